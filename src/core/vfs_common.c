/*
** vfs_common.c — the sqlite3_io_methods both of the core's VFSes share (see
** vfs_common.h): one owner per file, so no locking beyond recording the level.
*/
#include "vfs_common.h"

/* xLock: records the level; nobody else can hold a lock on the file. */
int sqlwOwnedLock(sqlite3_file *pFile, int eLock){
  SqlwOwnedFile *f = (SqlwOwnedFile*)pFile;
  if( eLock>f->eLock ) f->eLock = eLock;
  return SQLITE_OK;
}

/* xUnlock: records the level. */
int sqlwOwnedUnlock(sqlite3_file *pFile, int eLock){
  SqlwOwnedFile *f = (SqlwOwnedFile*)pFile;
  if( eLock<f->eLock ) f->eLock = eLock;
  return SQLITE_OK;
}

/* xCheckReservedLock: no other connection can hold a lock here. */
int sqlwOwnedCheckReservedLock(sqlite3_file *pFile, int *pResOut){
  (void)pFile;
  *pResOut = 0;
  return SQLITE_OK;
}

/* xFileControl: reports the lock level for SQLite's own checks; nothing else. */
int sqlwOwnedFileControl(sqlite3_file *pFile, int op, void *pArg){
  if( op==SQLITE_FCNTL_LOCKSTATE ){
    *(int*)pArg = ((SqlwOwnedFile*)pFile)->eLock;
    return SQLITE_OK;
  }
  return SQLITE_NOTFOUND;
}

/* xSectorSize: OPFS and local disks write in 4 KiB units at least. */
int sqlwOwnedSectorSize(sqlite3_file *pFile){
  (void)pFile;
  return 4096;
}

/*
** xDeviceCharacteristics: powersafe overwrite only. A write changes nothing outside
** the bytes written, even when power fails: true of the host file systems under OPFS
** and of POSIX files (SQLite's unix VFS assumes the same by default), and the model of
** the native power-loss tests. Without it SQLite pads every WAL commit to a sector
** boundary by writing its last frame again: three writes per small commit instead of
** two (measured: writes were a third of W2's time in Chromium).
*/
int sqlwOwnedDeviceCharacteristics(sqlite3_file *pFile){
  (void)pFile;
  return SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}
