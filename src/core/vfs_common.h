/*
** vfs_common.h — the methods both of the core's VFSes (vfs_host.c, vfs_pool.c) share:
** a file has one owner (one connection per file, one leader per pool), so locking only
** records the level SQLite asked for, and the device is described the same way.
** Internal to the core.
*/
#ifndef SQLW_VFS_COMMON_H
#define SQLW_VFS_COMMON_H

#include "sqlite3.h"

/*
** The start every file of the core's VFSes has: the base class, then the lock level
** SQLite believes it holds. A VFS's file struct begins with these two members, in
** this order, so the methods below can work on it.
*/
typedef struct SqlwOwnedFile {
  sqlite3_file base;        /* Base class. Must be first. */
  int eLock;                /* SQLITE_LOCK_* level SQLite believes it holds */
} SqlwOwnedFile;

int sqlwOwnedLock(sqlite3_file *pFile, int eLock);
int sqlwOwnedUnlock(sqlite3_file *pFile, int eLock);
int sqlwOwnedCheckReservedLock(sqlite3_file *pFile, int *pResOut);
int sqlwOwnedFileControl(sqlite3_file *pFile, int op, void *pArg);
int sqlwOwnedSectorSize(sqlite3_file *pFile);
int sqlwOwnedDeviceCharacteristics(sqlite3_file *pFile);

#endif /* SQLW_VFS_COMMON_H */
