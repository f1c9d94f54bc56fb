/*
** vfs_host.c — the "host" VFS: each SQLite file is one file of the host (host.h).
**
** This is the VFS of native builds and of the Node host: SQLite's path names map one to
** one onto host paths, and every method is a direct host call. Temporary files (those
** SQLite opens without a name or with DELETEONCLOSE) never reach the host: they live in
** memory here, because a journal or sort file of a transient database has no reason to
** survive and the browser's storage cannot create files synchronously anyway.
**
** What this VFS does not do: locking between connections. The design gives each
** database one owning connection (the leader), so xLock only records the level SQLite
** asked for. Two connections writing one host file through this VFS would corrupt it.
** There are no shared-memory methods, so WAL needs PRAGMA locking_mode=EXCLUSIVE first.
*/
#include <string.h>
#include "sqlite3.h"
#include "host.h"
#include "vfs_host.h"
#include "memfile.h"
#include "vfs_common.h"

typedef struct HostFile HostFile;

/*
** An open file. Exactly one of the two backings is in use: a host handle (ih >= 0), or,
** for temporary files, a memory buffer (ih < 0).
*/
struct HostFile {
  sqlite3_file base;        /* Base class. Must be first. */
  int eLock;                /* SQLITE_LOCK_* level SQLite believes it holds (vfs_common.h) */
  int ih;                   /* Host handle, or -1 for a memory file */
  SqlwMemFile mem;          /* The contents of a memory file */
};

/* Converts a host return value (negative SQLite code) to a code, with a fallback. */
static int hostRc(int rc, int rcDefault){
  if( rc>=0 ) return SQLITE_OK;
  return -rc ? -rc : rcDefault;
}

/* xClose: closes the host handle or frees the memory file. */
static int hostClose(sqlite3_file *pFile){
  HostFile *p = (HostFile*)pFile;
  int rc = SQLITE_OK;
  if( p->ih>=0 ){
    rc = hostRc(host_close(p->ih), SQLITE_IOERR_CLOSE);
    p->ih = -1;
  }
  sqlwMemFree(&p->mem);
  return rc;
}

/* xRead: reads iAmt bytes at iOfst; a read past the end is zero-filled and reported as
** SQLITE_IOERR_SHORT_READ, as SQLite requires. */
static int hostRead(sqlite3_file *pFile, void *zBuf, int iAmt, sqlite3_int64 iOfst){
  HostFile *p = (HostFile*)pFile;
  int nGot;
  if( p->ih<0 ) return sqlwMemRead(&p->mem, zBuf, iAmt, iOfst);
  nGot = host_read(p->ih, zBuf, iAmt, (double)iOfst);
  if( nGot<0 ) return hostRc(nGot, SQLITE_IOERR_READ);
  if( nGot<iAmt ){
    memset((char*)zBuf+nGot, 0, (size_t)(iAmt-nGot));
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

/* xWrite: writes iAmt bytes at iOfst. */
static int hostWrite(sqlite3_file *pFile, const void *z, int iAmt, sqlite3_int64 iOfst){
  HostFile *p = (HostFile*)pFile;
  if( p->ih<0 ) return sqlwMemWrite(&p->mem, z, iAmt, iOfst);
  return hostRc(host_write(p->ih, z, iAmt, (double)iOfst), SQLITE_IOERR_WRITE);
}

/* xTruncate: sets the file size. */
static int hostTruncate(sqlite3_file *pFile, sqlite3_int64 size){
  HostFile *p = (HostFile*)pFile;
  if( p->ih<0 ) return sqlwMemTruncate(&p->mem, size);
  return hostRc(host_truncate(p->ih, (double)size), SQLITE_IOERR_TRUNCATE);
}

/* xSync: flushes to durable storage. Memory files have nothing to flush. */
static int hostSync(sqlite3_file *pFile, int flags){
  HostFile *p = (HostFile*)pFile;
  (void)flags;
  if( p->ih<0 ) return SQLITE_OK;
  return hostRc(host_sync(p->ih), SQLITE_IOERR_FSYNC);
}

/* xFileSize: the size in bytes. */
static int hostFileSize(sqlite3_file *pFile, sqlite3_int64 *pSize){
  HostFile *p = (HostFile*)pFile;
  double sz;
  if( p->ih<0 ){
    *pSize = p->mem.n;
    return SQLITE_OK;
  }
  sz = host_size(p->ih);
  if( sz<0 ) return hostRc((int)sz, SQLITE_IOERR_FSTAT);
  *pSize = (sqlite3_int64)sz;
  return SQLITE_OK;
}

static const sqlite3_io_methods hostIoMethods = {
  1,                              /* iVersion */
  hostClose,                      /* xClose */
  hostRead,                       /* xRead */
  hostWrite,                      /* xWrite */
  hostTruncate,                   /* xTruncate */
  hostSync,                       /* xSync */
  hostFileSize,                   /* xFileSize */
  sqlwOwnedLock,                       /* xLock */
  sqlwOwnedUnlock,                     /* xUnlock */
  sqlwOwnedCheckReservedLock,          /* xCheckReservedLock */
  sqlwOwnedFileControl,                /* xFileControl */
  sqlwOwnedSectorSize,                 /* xSectorSize */
  sqlwOwnedDeviceCharacteristics,      /* xDeviceCharacteristics */
  0,                              /* xShmMap */
  0,                              /* xShmLock */
  0,                              /* xShmBarrier */
  0,                              /* xShmUnmap */
  0,                              /* xFetch */
  0                               /* xUnfetch */
};

/* xOpen: a temporary file becomes a memory file; any other opens the host file. */
static int hostOpen(sqlite3_vfs *pVfs, const char *zName, sqlite3_file *pFile,
                    int flags, int *pOutFlags){
  HostFile *p = (HostFile*)pFile;
  (void)pVfs;
  memset(p, 0, sizeof(*p));
  p->ih = -1;
  if( zName==0 || (flags & SQLITE_OPEN_DELETEONCLOSE)!=0 ){
    /* Memory file: nothing to open. */
  }else{
    int ih = host_open(zName, (int)strlen(zName), flags);
    if( ih<0 ) return hostRc(ih, SQLITE_CANTOPEN);
    p->ih = ih;
  }
  if( pOutFlags ) *pOutFlags = flags;
  p->base.pMethods = &hostIoMethods;
  return SQLITE_OK;
}

/* xDelete: deletes a host file. A missing file is SQLITE_IOERR_DELETE_NOENT, which
** SQLite treats as success. */
static int hostDelete(sqlite3_vfs *pVfs, const char *zName, int syncDir){
  (void)pVfs; (void)syncDir;
  return hostRc(host_delete(zName, (int)strlen(zName)), SQLITE_IOERR_DELETE);
}

/* xAccess: whether the file exists; every existing file is readable and writable. */
static int hostAccess(sqlite3_vfs *pVfs, const char *zName, int flags, int *pResOut){
  int r = host_access(zName, (int)strlen(zName));
  (void)pVfs; (void)flags;
  if( r<0 ) return hostRc(r, SQLITE_IOERR_ACCESS);
  *pResOut = r;
  return SQLITE_OK;
}

/* xFullPathname: host paths are used as given; the host resolves them. */
static int hostFullPathname(sqlite3_vfs *pVfs, const char *zName, int nOut, char *zOut){
  (void)pVfs;
  sqlite3_snprintf(nOut, zOut, "%s", zName);
  return (int)strlen(zName)<nOut ? SQLITE_OK : SQLITE_CANTOPEN;
}

/* xRandomness: bytes from the host's cryptographic generator. */
static int hostRandomness(sqlite3_vfs *pVfs, int nByte, char *zOut){
  (void)pVfs;
  host_random(zOut, nByte);
  return nByte;
}

/* xSleep: a no-op. One connection owns each file, so SQLite never waits for a lock, and
** a browser worker has no way to block without SharedArrayBuffer. */
static int hostSleep(sqlite3_vfs *pVfs, int nMicro){
  (void)pVfs;
  return nMicro;
}

/* xCurrentTimeInt64: the host's clock as a Julian day number in milliseconds. */
static int hostCurrentTimeInt64(sqlite3_vfs *pVfs, sqlite3_int64 *piNow){
  (void)pVfs;
  *piNow = (sqlite3_int64)host_time() + (sqlite3_int64)210866760000000LL;
  return SQLITE_OK;
}

/* xCurrentTime: the same clock as a fractional Julian day. */
static int hostCurrentTime(sqlite3_vfs *pVfs, double *prNow){
  sqlite3_int64 i;
  hostCurrentTimeInt64(pVfs, &i);
  *prNow = (double)i/86400000.0;
  return SQLITE_OK;
}

/* xGetLastError: hosts report through result codes and host_log, not here. */
static int hostGetLastError(sqlite3_vfs *pVfs, int nBuf, char *zBuf){
  (void)pVfs;
  if( nBuf>0 ) zBuf[0] = 0;
  return 0;
}

static sqlite3_vfs hostVfs = {
  2,                              /* iVersion */
  sizeof(HostFile),               /* szOsFile */
  1024,                           /* mxPathname */
  0,                              /* pNext */
  "host",                         /* zName */
  0,                              /* pAppData */
  hostOpen,                       /* xOpen */
  hostDelete,                     /* xDelete */
  hostAccess,                     /* xAccess */
  hostFullPathname,               /* xFullPathname */
  0,                              /* xDlOpen */
  0,                              /* xDlError */
  0,                              /* xDlSym */
  0,                              /* xDlClose */
  hostRandomness,                 /* xRandomness */
  hostSleep,                      /* xSleep */
  hostCurrentTime,                /* xCurrentTime */
  hostGetLastError,               /* xGetLastError */
  hostCurrentTimeInt64,           /* xCurrentTimeInt64 */
  0,                              /* xSetSystemCall */
  0,                              /* xGetSystemCall */
  0                               /* xNextSystemCall */
};

/* Registers the "host" VFS, as the default when bDefault. Returns SQLite's code. */
int sqlwHostVfsRegister(int bDefault){
  return sqlite3_vfs_register(&hostVfs, bDefault);
}
