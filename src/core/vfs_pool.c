/*
** vfs_pool.c — the pool VFS: SQLite's files of one database name in a pool of slot
** files that the host opened in advance (in a browser: OPFS sync access handles).
**
** Why a pool: a browser creates OPFS access handles only asynchronously, while SQLite
** calls its VFS synchronously. So the host opens a folder of slot files before the core
** runs, and this VFS maps SQLite's paths (database, journal, WAL) onto them, each slot
** recording in its header which path it holds (docs/pool-format.md). The header takes
** the first 4096 bytes of a slot file; SQLite's bytes start after it.
**
** Access rules:
** - One connection owns a pool (the leader tab's, in the browser), so there is no
**   locking between connections: xLock only records the level.
** - Headers are written and flushed when a slot is claimed (a file created) and when it
**   is released (a file deleted); in between, only file data is written.
** - A header that fails its checks marks the slot corrupt. Corrupt slots are never
**   reused, and every xOpen of a pool file fails with SQLITE_CORRUPT while one exists:
**   it may have held the database or a hot journal, and guessing either way could
**   lose committed data. sqlw_pool_wipe() is the way out.
** - The pool is the only writer of its slot files, so it remembers their sizes and
**   xFileSize asks the host only when a size is unknown (a new slot, a failed write).
** - Temporary files (no name, or DELETEONCLOSE) live in memory (memfile.c).
** - The pool never creates slot files: when fewer than POOL_SPARE slots are free it
**   says so (SQLW_POOL_WANTED) and the host adds slots between requests.
**
** Offsets are 64-bit throughout and cross to the host as doubles (exact to 2^53).
*/
#include <string.h>
#include "sqlite3.h"
#include "sqlw.h"
#include "host.h"
#include "memfile.h"
#include "vfs_common.h"

#define POOL_HEADER    4096   /* bytes of a slot file before the SQLite file's data */
#define POOL_WAL_BUF  (256*1024) /* bytes of WAL appends gathered into one host write */
#define POOL_WAL_FRAME_HDR 24    /* bytes of a WAL frame header (SQLite's wal.c) */
#define POOL_WAL_HDR      32      /* bytes of a WAL file's header (SQLite's wal.c) */
#define POOL_WAL_KEEP_FRAMES 1040 /* WAL frames kept allocated when it is emptied: the
                                  ** engine's checkpoint interval (ENGINE_WAL_CHECKPOINT,
                                  ** 1,000) and the frames of a commit that crosses it */
#define POOL_WAL_PAGE_UNSEEN 4096 /* the page size assumed for a WAL whose header or pages
                                  ** this pool has not seen written (SQLite's default) */
#define POOL_HDR_USED   532   /* bytes of the header that carry fields */
#define POOL_PATH_MAX   512   /* longest SQLite path a slot records */
#define POOL_NAME_MAX    64   /* longest pool name */
#define POOL_SPARE        3   /* free slots wanted in reserve (journal, WAL, one more) */
#define POOL_VERSION      1

#define SLOT_FREE    0
#define SLOT_USED    1
#define SLOT_CORRUPT 2

typedef struct PoolSlot PoolSlot;
typedef struct PoolFile PoolFile;

/* One slot file of the pool. */
struct PoolSlot {
  int h;                          /* Host handle of the slot file */
  int eState;                     /* SLOT_FREE, SLOT_USED or SLOT_CORRUPT */
  int flags;                      /* SQLite open flags of the file held */
  int nOpen;                      /* sqlite3_file objects open on this slot */
  double rSize;                   /* Size of the slot file as last known (header
                                  ** included), or -1 when unknown (see poolHostWrite) */
  int szWalPage;                  /* WAL: its page size, from its header or a page
                                  ** written (see poolWrite), or 0 when not seen yet */
  char zPath[POOL_PATH_MAX+1];    /* SQLite path of the file held (SLOT_USED) */
};

struct sqlw_pool {
  sqlite3_vfs vfs;                /* The registered VFS; pAppData points here */
  char zVfsName[POOL_NAME_MAX+8]; /* "pool:<name>" */
  PoolSlot **apSlot;              /* Slots, each sqlite3_malloc64'd, so a PoolSlot
                                  ** never moves while files point at it */
  int nSlot;                      /* Slots in apSlot */
  int nAlloc;                     /* Entries allocated at apSlot */
  int nOpen;                      /* Pool files SQLite has open */
  char zErr[200];                 /* Message of the last failure */
};

/* An open file of the pool: a slot, or a memory file for temporary files. */
struct PoolFile {
  sqlite3_file base;              /* Base class. Must be first. */
  int eLock;                      /* Lock level SQLite believes it holds (vfs_common.h) */
  sqlw_pool *pPool;               /* The pool */
  PoolSlot *pSlot;                /* The slot, or NULL for a memory file */
  SqlwMemFile mem;                /* Contents of a memory file */
  unsigned char *aBuf;            /* WAL writes not yet passed to the host, or NULL */
  int nBuf;                       /* Bytes in aBuf */
  sqlite3_int64 iBufOfst;         /* File offset of aBuf[0] */
  int bCommit;                    /* The frame being gathered ends a transaction */
  sqlite3_int64 iLastEnd;         /* WAL: offset just past the last write */
};

static char zCreateErr[200];      /* Why the last sqlw_pool_create failed */

/* Converts a host result (negative SQLite code on failure) to a result code. */
static int poolRc(double r, int rcDefault){
  if( r>=0 ) return SQLITE_OK;
  return (int)-r ? (int)-r : rcDefault;
}

/* Little-endian field access for headers. */
static void poolPut32(unsigned char *a, uint32_t v){
  a[0] = (unsigned char)v;        a[1] = (unsigned char)(v>>8);
  a[2] = (unsigned char)(v>>16);  a[3] = (unsigned char)(v>>24);
}
static uint32_t poolGet32(const unsigned char *a){
  return (uint32_t)a[0] | (uint32_t)a[1]<<8 | (uint32_t)a[2]<<16 | (uint32_t)a[3]<<24;
}

/* FNV-1a over n bytes: the header checksum. */
static uint32_t poolChecksum(const unsigned char *a, int n){
  uint32_t h = 2166136261u;
  int i;
  for(i=0; i<n; i++){
    h ^= a[i];
    h *= 16777619u;
  }
  return h;
}

/* Records a failure message on the pool. */
static void poolSetError(sqlw_pool *pPool, const char *zFormat, const char *zArg, int iArg){
  sqlite3_snprintf(sizeof(pPool->zErr), pPool->zErr, zFormat, zArg, iArg);
}

/*
** Writes to slot p's file through the host, keeping p->rSize: the pool is the only
** writer of its slot files while it owns them, so xFileSize can answer from memory
** (SQLite asks at every transaction, and a host size call is a system call; it was a
** fifth of a point read's time in Chromium). A failed write may have written part of
** the data, so the size becomes unknown. Returns the host's result.
*/
static int poolHostWrite(PoolSlot *p, const void *z, int n, double rOfst){
  int r = host_write(p->h, z, n, rOfst);
  if( r<0 ) p->rSize = -1.0;
  else if( p->rSize>=0.0 && rOfst+n>p->rSize ) p->rSize = rOfst+n;
  return r;
}

/* host_truncate for slot p, keeping p->rSize. Returns the host's result. */
static int poolHostTruncate(PoolSlot *p, double rSize){
  int r = host_truncate(p->h, rSize);
  p->rSize = r<0 ? -1.0 : rSize;
  return r;
}

/*
** Writes slot p's header (free when p is SLOT_FREE) and flushes it, so that the
** mapping survives a crash once this returns. Returns SQLITE_OK or the host's code.
*/
static int poolWriteHeader(PoolSlot *p){
  unsigned char a[POOL_HDR_USED];
  size_t nPath = p->eState==SLOT_USED ? strlen(p->zPath) : 0;
  int rc;
  memset(a, 0, sizeof(a));
  memcpy(a, "SQWS", 4);
  a[4] = POOL_VERSION;
  poolPut32(a+8, p->eState==SLOT_USED ? (uint32_t)p->flags : 0);
  poolPut32(a+12, (uint32_t)nPath);
  memcpy(a+16, p->zPath, nPath);
  poolPut32(a+528, poolChecksum(a, 528));
  rc = poolRc(poolHostWrite(p, a, POOL_HDR_USED, 0.0), SQLITE_IOERR_WRITE);
  if( rc==SQLITE_OK ) rc = poolRc(host_sync(p->h), SQLITE_IOERR_FSYNC);
  return rc;
}

/*
** Reads and checks slot p's header, setting p->eState (and flags and path). Returns
** SQLITE_OK, SQLITE_CORRUPT for a header that fails its checks, or an I/O code.
*/
static int poolReadHeader(PoolSlot *p){
  unsigned char a[POOL_HDR_USED];
  int n = host_read(p->h, a, POOL_HDR_USED, 0.0);
  int i;
  uint32_t flags, nPath;
  if( n<0 ) return poolRc(n, SQLITE_IOERR_READ);
  for(i=0; i<n && a[i]==0; i++){}
  if( i==n ){                                  /* never claimed: all zero or empty */
    p->eState = SLOT_FREE;
    return SQLITE_OK;
  }
  p->eState = SLOT_CORRUPT;
  if( n<POOL_HDR_USED || memcmp(a, "SQWS", 4)!=0 ) return SQLITE_CORRUPT;
  if( a[4]!=POOL_VERSION || a[5]!=0 || a[6]!=0 || a[7]!=0 ) return SQLITE_CORRUPT;
  if( poolGet32(a+528)!=poolChecksum(a, 528) ) return SQLITE_CORRUPT;
  flags = poolGet32(a+8);
  nPath = poolGet32(a+12);
  if( nPath>POOL_PATH_MAX || (flags==0)!=(nPath==0) ) return SQLITE_CORRUPT;
  for(i=16+(int)nPath; i<528; i++){
    if( a[i] ) return SQLITE_CORRUPT;
  }
  if( memchr(a+16, 0, nPath) ) return SQLITE_CORRUPT;
  if( nPath==0 ){
    p->eState = SLOT_FREE;
    return SQLITE_OK;
  }
  p->eState = SLOT_USED;
  p->flags = (int)flags;
  memcpy(p->zPath, a+16, nPath);
  p->zPath[nPath] = 0;
  return SQLITE_OK;
}

/* Returns the index of the slot holding zPath, or -1. */
static int poolFind(sqlw_pool *pPool, const char *zPath){
  int i;
  for(i=0; i<pPool->nSlot; i++){
    PoolSlot *p = pPool->apSlot[i];
    if( p->eState==SLOT_USED && strcmp(p->zPath, zPath)==0 ) return i;
  }
  return -1;
}

/* Counts the slots in state eState. */
static int poolCount(sqlw_pool *pPool, int eState){
  int i, n = 0;
  for(i=0; i<pPool->nSlot; i++) n += pPool->apSlot[i]->eState==eState;
  return n;
}

/*
** Frees slot p: a free header first (flushed: from then on the file is gone, which is
** the commit point of a DELETE-mode journal), then the data is dropped.
*/
static int poolRelease(PoolSlot *p){
  PoolSlot old = *p;
  int rc;
  p->eState = SLOT_FREE;
  p->flags = 0;
  p->zPath[0] = 0;
  rc = poolWriteHeader(p);
  if( rc ){
    /* Storage may still name the file: so must memory, or a later claim could give
    ** the same path to a second slot. */
    *p = old;
    return rc;
  }
  return poolRc(poolHostTruncate(p, (double)POOL_HEADER), SQLITE_IOERR_TRUNCATE);
}

/*
** Passes the WAL bytes gathered in f->aBuf to the host as one write. Every other
** operation on the file calls this first, so SQLite never sees the difference, except
** that a failed write may be reported by the next operation (xSync, at the latest:
** before a commit is reported). Returns SQLITE_OK or the host's code.
*/
static int poolFlushBuf(PoolFile *f){
  int n = f->nBuf;
  if( n==0 ) return SQLITE_OK;
  f->nBuf = 0;
  return poolRc(poolHostWrite(f->pSlot, f->aBuf, n, (double)(f->iBufOfst+POOL_HEADER)),
                SQLITE_IOERR_WRITE);
}

/* xClose: ends a file's use of its slot, or frees a memory file. */
static int poolClose(sqlite3_file *pFile){
  PoolFile *f = (PoolFile*)pFile;
  int rc = SQLITE_OK;
  if( f->pSlot ){
    rc = poolFlushBuf(f);
    f->pSlot->nOpen--;
    f->pPool->nOpen--;
    f->pSlot = 0;
  }
  sqlite3_free(f->aBuf);
  f->aBuf = 0;
  sqlwMemFree(&f->mem);
  return rc;
}

/* xRead: reads at iOfst of the file (after the slot header); past the end is
** zero-filled and SQLITE_IOERR_SHORT_READ. */
static int poolRead(sqlite3_file *pFile, void *zBuf, int iAmt, sqlite3_int64 iOfst){
  PoolFile *f = (PoolFile*)pFile;
  int nGot;
  if( f->pSlot==0 ) return sqlwMemRead(&f->mem, zBuf, iAmt, iOfst);
  if( f->nBuf ){
    int rc = poolFlushBuf(f);
    if( rc ) return rc;
  }
  nGot = host_read(f->pSlot->h, zBuf, iAmt, (double)(iOfst+POOL_HEADER));
  if( nGot<0 ) return poolRc(nGot, SQLITE_IOERR_READ);
  if( nGot<iAmt ){
    memset((char*)zBuf+nGot, 0, (size_t)(iAmt-nGot));
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

/* xWrite: writes at iOfst of the file. A full storage is SQLITE_FULL. */
static int poolWrite(sqlite3_file *pFile, const void *z, int iAmt, sqlite3_int64 iOfst){
  PoolFile *f = (PoolFile*)pFile;
  if( f->pSlot==0 ) return sqlwMemWrite(&f->mem, z, iAmt, iOfst);
  if( (f->pSlot->flags & SQLITE_OPEN_WAL)!=0 ){
    /* The WAL's page size, which sizes what poolWalEmpty keeps: from its header
    ** (bytes 8..11, big-endian), or from a page written after a frame's header. */
    const unsigned char *a = (const unsigned char*)z;
    uint32_t sz = iOfst==0 && iAmt>=POOL_WAL_HDR
      ? (uint32_t)a[8]<<24 | (uint32_t)a[9]<<16 | (uint32_t)a[10]<<8 | a[11] : (uint32_t)iAmt;
    if( sz>=512 && sz<=65536 && (sz & (sz-1))==0 ) f->pSlot->szWalPage = (int)sz;
  }
  if( (f->pSlot->flags & SQLITE_OPEN_WAL)!=0 && iAmt<POOL_WAL_BUF ){
    /* A WAL transaction is a run of appends (frame header, page, header, page…):
    ** gathered, they cost one host write instead of two per page, and a browser's
    ** write call costs far more than a memcpy. The gathered bytes reach the host no
    ** later than the write of the frame that commits (its header's bytes 4..7, the
    ** database size after the commit, are not zero), so a commit is in the host's
    ** hands when SQLite considers it written, a failed write is reported to the
    ** transaction it belongs to, and a killed worker loses no commit that a direct
    ** write would have kept. */
    if( f->nBuf>0 && (iOfst!=f->iBufOfst+f->nBuf || f->nBuf+iAmt>POOL_WAL_BUF) ){
      int rc = poolFlushBuf(f);
      if( rc ) return rc;
    }
    if( f->aBuf==0 ) f->aBuf = sqlite3_malloc(POOL_WAL_BUF);
    if( f->aBuf ){
      const unsigned char *a = (const unsigned char*)z;
      int bEnd = 0;
      int bNext = iOfst==f->iLastEnd;
      if( f->nBuf==0 ) f->iBufOfst = iOfst;
      memcpy(f->aBuf+f->nBuf, z, (size_t)iAmt);
      f->nBuf += iAmt;
      f->iLastEnd = iOfst+iAmt;
      if( iAmt==POOL_WAL_FRAME_HDR ){
        f->bCommit = (a[4] | a[5] | a[6] | a[7])!=0;
        /* A commit frame's header written again in place (SQLite rewrites checksums
        ** at commit after overwriting frames) has no page write after it. */
        bEnd = f->bCommit && !bNext;
      }else{
        bEnd = f->bCommit;          /* the page of a commit frame */
        f->bCommit = 0;
      }
      return bEnd ? poolFlushBuf(f) : SQLITE_OK;
    }
  }
  if( f->nBuf ){
    int rc = poolFlushBuf(f);
    if( rc ) return rc;
  }
  f->iLastEnd = iOfst+iAmt;
  return poolRc(poolHostWrite(f->pSlot, z, iAmt, (double)(iOfst+POOL_HEADER)),
                SQLITE_IOERR_WRITE);
}

/*
** Empties a WAL (the engine's checkpoint truncates it, so that a new leader's recovery
** does not read a long WAL that was already checkpointed) without giving its blocks
** back: its header is zeroed, which makes the file an empty WAL to any recovery (SQLite
** reads no frame after a header without its magic), and up to POOL_WAL_KEEP_FRAMES
** frames of its page size stay allocated (a WAL grows that far between two checkpoints
** anyway). The WAL's next frames then overwrite blocks the host file system already
** holds: a durable commit that appends to a file costs a flush of the file's metadata
** too (measured: ~1.5× the flush of an overwrite on OPFS). SQLite writes a new header
** with new salts before the first frame, so the old frames after it never count.
*/
static int poolWalEmpty(PoolSlot *p){
  static const unsigned char aZero[POOL_WAL_HDR] = {0};
  double sz = p->rSize>=0.0 ? p->rSize : host_size(p->h);
  double keep = POOL_WAL_HDR + (double)POOL_WAL_KEEP_FRAMES
                               * (POOL_WAL_FRAME_HDR + (p->szWalPage ? p->szWalPage : POOL_WAL_PAGE_UNSEEN));
  int rc;
  if( sz<0 ) return poolRc(sz, SQLITE_IOERR_FSTAT);
  if( sz>POOL_HEADER+keep ){
    rc = poolRc(poolHostTruncate(p, POOL_HEADER+keep), SQLITE_IOERR_TRUNCATE);
    if( rc ) return rc;
  }
  if( sz<=POOL_HEADER ) return SQLITE_OK;
  return poolRc(poolHostWrite(p, aZero, POOL_WAL_HDR, (double)POOL_HEADER), SQLITE_IOERR_TRUNCATE);
}

/* xTruncate: sets the file's size. */
static int poolTruncate(sqlite3_file *pFile, sqlite3_int64 size){
  PoolFile *f = (PoolFile*)pFile;
  if( f->pSlot==0 ) return sqlwMemTruncate(&f->mem, size);
  if( f->nBuf ){
    int rc = poolFlushBuf(f);
    if( rc ) return rc;
  }
  if( size==0 && (f->pSlot->flags & SQLITE_OPEN_WAL)!=0 ) return poolWalEmpty(f->pSlot);
  return poolRc(poolHostTruncate(f->pSlot, (double)(size+POOL_HEADER)),
                SQLITE_IOERR_TRUNCATE);
}

/* xSync: flushes the slot file to durable storage. */
static int poolSync(sqlite3_file *pFile, int flags){
  PoolFile *f = (PoolFile*)pFile;
  (void)flags;
  if( f->pSlot==0 ) return SQLITE_OK;
  if( f->nBuf ){
    int rc = poolFlushBuf(f);
    if( rc ) return rc;
  }
  return poolRc(host_sync(f->pSlot->h), SQLITE_IOERR_FSYNC);
}

/* xFileSize: the file's size, not counting the slot header. */
static int poolFileSize(sqlite3_file *pFile, sqlite3_int64 *pSize){
  PoolFile *f = (PoolFile*)pFile;
  double sz;
  if( f->pSlot==0 ){
    *pSize = f->mem.n;
    return SQLITE_OK;
  }
  if( f->nBuf ){
    int rc = poolFlushBuf(f);
    if( rc ) return rc;
  }
  sz = f->pSlot->rSize;
  if( sz<0.0 ){
    sz = host_size(f->pSlot->h);
    if( sz<0 ) return poolRc(sz, SQLITE_IOERR_FSTAT);
    f->pSlot->rSize = sz;
  }
  *pSize = sz>POOL_HEADER ? (sqlite3_int64)sz-POOL_HEADER : 0;
  return SQLITE_OK;
}

static const sqlite3_io_methods poolIoMethods = {
  1,                              /* iVersion */
  poolClose,                      /* xClose */
  poolRead,                       /* xRead */
  poolWrite,                      /* xWrite */
  poolTruncate,                   /* xTruncate */
  poolSync,                       /* xSync */
  poolFileSize,                   /* xFileSize */
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

/*
** xOpen: a temporary file becomes a memory file; a named file is the slot holding its
** path, or (with SQLITE_OPEN_CREATE) a free slot claimed for it. Fails with
** SQLITE_CORRUPT while the pool has a corrupt slot, SQLITE_CANTOPEN for a missing file
** or a path too long, SQLITE_FULL when no slot is free, SQLITE_BUSY for a database
** file that is open already.
*/
static int poolOpen(sqlite3_vfs *pVfs, const char *zName, sqlite3_file *pFile,
                    int flags, int *pOutFlags){
  sqlw_pool *pPool = (sqlw_pool*)pVfs->pAppData;
  PoolFile *f = (PoolFile*)pFile;
  int i;
  memset(f, 0, sizeof(*f));
  f->pPool = pPool;
  if( zName!=0 && (flags & SQLITE_OPEN_DELETEONCLOSE)==0 ){
    if( poolCount(pPool, SLOT_CORRUPT)>0 ){
      poolSetError(pPool, "pool %s has a slot whose header is corrupt: its files cannot "
                   "be trusted (wipe the database to reuse the pool)", pPool->zVfsName, 0);
      return SQLITE_CORRUPT;
    }
    if( strlen(zName)>POOL_PATH_MAX ) return SQLITE_CANTOPEN;
    i = poolFind(pPool, zName);
    if( i<0 ){
      int rc;
      PoolSlot *p;
      if( (flags & SQLITE_OPEN_CREATE)==0 ) return SQLITE_CANTOPEN;
      for(i=0; i<pPool->nSlot && pPool->apSlot[i]->eState!=SLOT_FREE; i++){}
      if( i==pPool->nSlot ){
        poolSetError(pPool, "pool %s has no free slot for a new file", pPool->zVfsName, 0);
        return SQLITE_FULL;
      }
      p = pPool->apSlot[i];
      /* Drop whatever a previous file left in the slot, durably, before the header
      ** names the new file: a release's truncation may not have reached storage, and
      ** a stale journal under a fresh header would be "hot" after a crash and roll
      ** the database back past committed transactions. */
      rc = poolRc(poolHostTruncate(p, (double)POOL_HEADER), SQLITE_IOERR_TRUNCATE);
      if( rc==SQLITE_OK ) rc = poolRc(host_sync(p->h), SQLITE_IOERR_FSYNC);
      if( rc ) return rc;
      p->eState = SLOT_USED;
      p->szWalPage = 0;
      p->flags = flags & (SQLITE_OPEN_MAIN_DB|SQLITE_OPEN_MAIN_JOURNAL|SQLITE_OPEN_WAL
                          |SQLITE_OPEN_SUPER_JOURNAL|SQLITE_OPEN_TEMP_DB
                          |SQLITE_OPEN_TEMP_JOURNAL|SQLITE_OPEN_SUBJOURNAL
                          |SQLITE_OPEN_TRANSIENT_DB);
      if( p->flags==0 ) p->flags = SQLITE_OPEN_MAIN_DB;
      sqlite3_snprintf(sizeof(p->zPath), p->zPath, "%s", zName);
      rc = poolWriteHeader(p);
      if( rc ){
        p->eState = SLOT_FREE;      /* the header may be half written: never trust it */
        p->zPath[0] = 0;
        poolWriteHeader(p);
        return rc;
      }
    }
    if( (flags & SQLITE_OPEN_MAIN_DB) && pPool->apSlot[i]->nOpen>0 ){
      /* One owner per file: a second connection to a database this pool has open
      ** (an ATTACH of its own path, say) would keep a page cache and a WAL index of
      ** its own, and the two would overwrite each other's commits. */
      poolSetError(pPool, "%s is already open (one connection owns a database)", zName, 0);
      return SQLITE_BUSY;
    }
    f->pSlot = pPool->apSlot[i];
    f->pSlot->nOpen++;
    pPool->nOpen++;
  }
  if( pOutFlags ) *pOutFlags = flags;
  f->base.pMethods = &poolIoMethods;
  return SQLITE_OK;
}

/* xDelete: releases the slot holding zName. A missing file is
** SQLITE_IOERR_DELETE_NOENT, which SQLite treats as success. */
static int poolDelete(sqlite3_vfs *pVfs, const char *zName, int syncDir){
  sqlw_pool *pPool = (sqlw_pool*)pVfs->pAppData;
  int i = poolFind(pPool, zName);
  (void)syncDir;     /* poolRelease always flushes the header */
  if( i<0 ) return SQLITE_IOERR_DELETE_NOENT;
  if( pPool->apSlot[i]->nOpen>0 ) return SQLITE_IOERR_DELETE;
  return poolRelease(pPool->apSlot[i]);
}

/* xAccess: a file exists when a slot holds it; every file is readable and writable. */
static int poolAccess(sqlite3_vfs *pVfs, const char *zName, int flags, int *pResOut){
  sqlw_pool *pPool = (sqlw_pool*)pVfs->pAppData;
  (void)flags;
  *pResOut = poolFind(pPool, zName)>=0;
  return SQLITE_OK;
}

/* xFullPathname: pool paths are names, used as given. */
static int poolFullPathname(sqlite3_vfs *pVfs, const char *zName, int nOut, char *zOut){
  (void)pVfs;
  sqlite3_snprintf(nOut, zOut, "%s", zName);
  return (int)strlen(zName)<nOut ? SQLITE_OK : SQLITE_CANTOPEN;
}

/* Makes room in apSlot for one more slot. Returns SQLITE_OK or SQLITE_NOMEM. */
static int poolGrow(sqlw_pool *pPool){
  if( pPool->nSlot>=pPool->nAlloc ){
    int nNew = pPool->nAlloc ? pPool->nAlloc*2 : 8;
    PoolSlot **apNew = sqlite3_realloc64(pPool->apSlot,
                                         sizeof(PoolSlot*)*(sqlite3_uint64)nNew);
    if( apNew==0 ) return SQLITE_NOMEM;
    pPool->apSlot = apNew;
    pPool->nAlloc = nNew;
  }
  return SQLITE_OK;
}

int sqlw_pool_create(const char *zName, sqlw_pool **ppPool){
  sqlw_pool *pPool;
  sqlite3_vfs *pHost;
  size_t nName = zName ? strlen(zName) : 0;
  char zVfs[POOL_NAME_MAX+8];
  int rc;
  *ppPool = 0;
  rc = sqlite3_initialize();
  if( rc ) return rc;
  if( nName==0 || nName>POOL_NAME_MAX || strchr(zName, '/') ){
    sqlite3_snprintf(sizeof(zCreateErr), zCreateErr,
                     "a pool name is 1 to %d bytes without '/'", POOL_NAME_MAX);
    return SQLITE_MISUSE;
  }
  sqlite3_snprintf(sizeof(zVfs), zVfs, "pool:%s", zName);
  if( sqlite3_vfs_find(zVfs) ){
    sqlite3_snprintf(sizeof(zCreateErr), zCreateErr, "pool %s exists already", zName);
    return SQLITE_MISUSE;
  }
  pHost = sqlite3_vfs_find("host");
  pPool = sqlite3_malloc64(sizeof(*pPool));
  if( pPool==0 || pHost==0 ){
    sqlite3_free(pPool);
    sqlite3_snprintf(sizeof(zCreateErr), zCreateErr, "out of memory");
    return SQLITE_NOMEM;
  }
  memset(pPool, 0, sizeof(*pPool));
  memcpy(pPool->zVfsName, zVfs, sizeof(zVfs));
  pPool->vfs.iVersion = 2;
  pPool->vfs.szOsFile = sizeof(PoolFile);
  pPool->vfs.mxPathname = POOL_PATH_MAX;
  pPool->vfs.zName = pPool->zVfsName;
  pPool->vfs.pAppData = pPool;
  pPool->vfs.xOpen = poolOpen;
  pPool->vfs.xDelete = poolDelete;
  pPool->vfs.xAccess = poolAccess;
  pPool->vfs.xFullPathname = poolFullPathname;
  /* Randomness, sleep and time are the host's, as for the "host" VFS. */
  pPool->vfs.xRandomness = pHost->xRandomness;
  pPool->vfs.xSleep = pHost->xSleep;
  pPool->vfs.xCurrentTime = pHost->xCurrentTime;
  pPool->vfs.xGetLastError = pHost->xGetLastError;
  pPool->vfs.xCurrentTimeInt64 = pHost->xCurrentTimeInt64;
  rc = sqlite3_vfs_register(&pPool->vfs, 0);
  if( rc ){
    sqlite3_free(pPool);
    sqlite3_snprintf(sizeof(zCreateErr), zCreateErr, "cannot register the pool's VFS");
    return rc;
  }
  *ppPool = pPool;
  return SQLITE_OK;
}

int sqlw_pool_add_slot(sqlw_pool *pPool, int h){
  PoolSlot *p;
  int i, rc;
  if( pPool==0 || h<0 ) return SQLITE_MISUSE;
  for(i=0; i<pPool->nSlot; i++){
    if( pPool->apSlot[i]->h==h ){
      poolSetError(pPool, "handle %s%d is already a slot of the pool", "", h);
      return SQLITE_MISUSE;
    }
  }
  rc = poolGrow(pPool);
  if( rc ) return rc;
  p = sqlite3_malloc64(sizeof(*p));
  if( p==0 ) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  p->h = h;
  p->rSize = -1.0;
  rc = poolReadHeader(p);
  if( rc==SQLITE_OK && p->eState==SLOT_USED && poolFind(pPool, p->zPath)>=0 ){
    p->eState = SLOT_CORRUPT;       /* two slots claim one file: trust neither blindly */
    rc = SQLITE_CORRUPT;
  }
  if( rc!=SQLITE_OK && rc!=SQLITE_CORRUPT ){
    sqlite3_free(p);
    poolSetError(pPool, "cannot read the header of slot handle %s%d", "", h);
    return rc;
  }
  pPool->apSlot[pPool->nSlot] = p;
  pPool->nSlot++;
  if( rc==SQLITE_CORRUPT ){
    poolSetError(pPool, "the header of slot %s%d is corrupt; the slot is set aside", "",
                 pPool->nSlot-1);
  }
  return rc;
}

int sqlw_pool_take_free(sqlw_pool *pPool){
  int i;
  if( pPool==0 ) return -1;
  for(i=pPool->nSlot-1; i>=0; i--){
    PoolSlot *p = pPool->apSlot[i];
    if( p->eState==SLOT_FREE && p->nOpen==0 ){
      int h = p->h;
      memmove(&pPool->apSlot[i], &pPool->apSlot[i+1],
              sizeof(PoolSlot*)*(size_t)(pPool->nSlot-i-1));
      pPool->nSlot--;
      sqlite3_free(p);
      return h;
    }
  }
  return -1;
}

int sqlw_pool_stat(sqlw_pool *pPool, int op){
  int nFree;
  if( pPool==0 ) return -1;
  switch( op ){
    case SQLW_POOL_SLOTS:   return pPool->nSlot;
    case SQLW_POOL_FREE:    return poolCount(pPool, SLOT_FREE);
    case SQLW_POOL_CORRUPT: return poolCount(pPool, SLOT_CORRUPT);
    case SQLW_POOL_OPEN:    return pPool->nOpen;
    case SQLW_POOL_WANTED:
      nFree = poolCount(pPool, SLOT_FREE);
      return nFree<POOL_SPARE ? POOL_SPARE-nFree : 0;
    default:                return -1;
  }
}

int sqlw_pool_wipe(sqlw_pool *pPool){
  int i, rc = SQLITE_OK;
  if( pPool==0 ) return SQLITE_MISUSE;
  if( pPool->nOpen>0 ){
    poolSetError(pPool, "pool %s has open files: close the database first",
                 pPool->zVfsName, 0);
    return SQLITE_BUSY;
  }
  for(i=0; i<pPool->nSlot; i++){
    if( pPool->apSlot[i]->eState!=SLOT_FREE ){
      int rc2 = poolRelease(pPool->apSlot[i]);
      if( rc==SQLITE_OK ) rc = rc2;
    }
  }
  if( rc ) poolSetError(pPool, "wiping pool %s failed", pPool->zVfsName, 0);
  return rc;
}

const char *sqlw_pool_vfs(sqlw_pool *pPool){
  return pPool ? pPool->zVfsName : 0;
}

int sqlw_pool_destroy(sqlw_pool *pPool){
  int i;
  if( pPool==0 ) return SQLITE_OK;
  if( pPool->nOpen>0 ){
    poolSetError(pPool, "pool %s has open files: close the database first",
                 pPool->zVfsName, 0);
    return SQLITE_BUSY;
  }
  sqlite3_vfs_unregister(&pPool->vfs);
  for(i=0; i<pPool->nSlot; i++) sqlite3_free(pPool->apSlot[i]);
  sqlite3_free(pPool->apSlot);
  sqlite3_free(pPool);
  return SQLITE_OK;
}

const char *sqlw_pool_errmsg(sqlw_pool *pPool){
  return pPool ? pPool->zErr : zCreateErr;
}
