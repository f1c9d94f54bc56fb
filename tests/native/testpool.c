/*
** testpool.c — native pools for the tests; see testpool.h.
**
** Slot files are opened, read and written through host.h's functions, not the C
** library's, so that the fault shim sees the pool's start-up as it sees SQLite's I/O.
** Only the folder itself (mkdir, listing, unlink of a taken slot) uses POSIX directly:
** host.h has no directory calls.
*/
#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1          /* mkdir, readdir under a strict -std */
#endif
#include "testpool.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sqlite3.h"
#include "harness.h"
#include "../../src/core/host.h"

static int nPoolMade = 0;   /* pools made by this process, for unique names */

/* Writes the path of the slot file with id iId into zOut (nOut bytes). */
static void poolFilePath(TestPool *p, int iId, char *zOut, int nOut){
  snprintf(zOut, (size_t)nOut, "%s/slot-%03d", p->zDir, iId);
}

/* testPoolSlotPath: see testpool.h. */
void testPoolSlotPath(TestPool *p, int i, char *zOut, int nOut){
  if( i<0 || i>=p->nSlot ){
    if( nOut>0 ) zOut[0] = 0;
    return;
  }
  poolFilePath(p, p->aId[i], zOut, nOut);
}

/* Opens the slot file with id iId (creating it with bCreate). Returns a handle or a
** negative host code. */
static int poolOpenFile(TestPool *p, int iId, int bCreate){
  char zPath[256];
  int flags = SQLITE_OPEN_READWRITE | (bCreate ? SQLITE_OPEN_CREATE : 0);
  poolFilePath(p, iId, zPath, (int)sizeof(zPath));
  return host_open(zPath, (int)strlen(zPath), flags);
}

/* Removes every file in the folder zDir (not recursively). Returns 0 or -1. */
static int poolEmptyDir(const char *zDir){
  DIR *pDir = opendir(zDir);
  struct dirent *pEnt;
  char zPath[512];
  int rc = 0;
  if( pDir==0 ) return errno==ENOENT ? 0 : -1;
  while( (pEnt = readdir(pDir))!=0 ){
    if( strcmp(pEnt->d_name, ".")==0 || strcmp(pEnt->d_name, "..")==0 ) continue;
    snprintf(zPath, sizeof(zPath), "%s/%s", zDir, pEnt->d_name);
    if( unlink(zPath)!=0 ) rc = -1;
  }
  closedir(pDir);
  return rc;
}

/* Deferred end of a TestPool: stops it and frees it. */
static void poolFree(void *pArg){
  TestPool *p = (TestPool*)pArg;
  testPoolStop(p);
  free(p);
}

/* Creates one new empty slot file; returns its index in p, or -1. */
static int poolNewFile(TestPool *p){
  int iId, h, i;
  if( p->nSlot>=TESTPOOL_MAX_SLOT ) return -1;
  iId = p->nNextId++;
  h = poolOpenFile(p, iId, 1);
  if( h<0 ) return -1;
  i = p->nSlot++;
  p->aId[i] = iId;
  p->aH[i] = h;
  p->aAddRc[i] = SQLITE_OK;
  return i;
}

/* testPoolNewAt: see testpool.h. */
TestPool *testPoolNewAt(const char *zDir, int nSlot, const char *zFile, int iLine){
  TestPool *p;
  int i, rc;
  if( nSlot<0 || nSlot>TESTPOOL_MAX_SLOT || strlen(zDir)>=sizeof(p->zDir) ){
    harnessFail(zFile, iLine, "testPoolNew(%s, %d): bad arguments", zDir, nSlot);
    return 0;
  }
  if( (mkdir(zDir, 0755)!=0 && errno!=EEXIST) || poolEmptyDir(zDir)!=0 ){
    harnessFail(zFile, iLine, "testPoolNew: cannot prepare the folder %s", zDir);
    return 0;
  }
  p = calloc(1, sizeof(*p));
  if( p==0 ){
    harnessFail(zFile, iLine, "testPoolNew: out of memory");
    return 0;
  }
  memcpy(p->zDir, zDir, strlen(zDir)+1);
  snprintf(p->zName, sizeof(p->zName), "tp%d", ++nPoolMade);
  for(i=0; i<TESTPOOL_MAX_SLOT; i++) p->aH[i] = -1;
  harnessDefer(poolFree, p);
  for(i=0; i<nSlot; i++){
    if( poolNewFile(p)<0 ){
      harnessFail(zFile, iLine, "testPoolNew: cannot create slot file %d in %s", i, zDir);
      return 0;
    }
  }
  /* Handles are open now; start closes and reopens them like every later start. */
  for(i=0; i<p->nSlot; i++){
    host_close(p->aH[i]);
    p->aH[i] = -1;
  }
  rc = testPoolStart(p);
  if( p->pPool==0 ){
    harnessFail(zFile, iLine, "testPoolNew: the pool did not start: %s", sqlw_code_name(rc));
    return 0;
  }
  return p;
}

/* testPoolStart: see testpool.h. */
int testPoolStart(TestPool *p){
  int rc = SQLITE_OK;
  int i;
  if( p->pPool ) return SQLITE_MISUSE;
  for(i=0; i<p->nSlot; i++){
    int h = poolOpenFile(p, p->aId[i], 0);
    if( h<0 ){
      while( i-->0 ){
        host_close(p->aH[i]);
        p->aH[i] = -1;
      }
      return -h;
    }
    p->aH[i] = h;
  }
  rc = sqlw_pool_create(p->zName, &p->pPool);
  if( rc!=SQLITE_OK || p->pPool==0 ){
    for(i=0; i<p->nSlot; i++){
      host_close(p->aH[i]);
      p->aH[i] = -1;
    }
    p->pPool = 0;
    return rc!=SQLITE_OK ? rc : SQLITE_ERROR;
  }
  for(i=0; i<p->nSlot; i++){
    p->aAddRc[i] = sqlw_pool_add_slot(p->pPool, p->aH[i]);
    if( p->aAddRc[i]!=SQLITE_OK && rc==SQLITE_OK ) rc = p->aAddRc[i];
  }
  return rc;
}

/* testPoolStop: see testpool.h. */
int testPoolStop(TestPool *p){
  int rc = SQLITE_OK;
  int i;
  testPoolCloseDb(p);
  if( p->pPool ){
    rc = sqlw_pool_destroy(p->pPool);
    if( rc!=SQLITE_OK ) return rc;    /* still registered: keep the handles it uses */
    p->pPool = 0;
  }
  for(i=0; i<p->nSlot; i++){
    if( p->aH[i]>=0 ){
      int rcClose = host_close(p->aH[i]);
      if( rcClose<0 && rc==SQLITE_OK ) rc = -rcClose;
      p->aH[i] = -1;
    }
  }
  return rc;
}

/* testPoolRestart: see testpool.h. */
int testPoolRestart(TestPool *p){
  int rc = testPoolStop(p);
  int rc2;
  if( rc!=SQLITE_OK ) return rc;
  rc2 = testPoolStart(p);
  return rc2;
}

/* testPoolClear: see testpool.h. */
int testPoolClear(TestPool *p){
  int i;
  if( p->pPool ) return SQLITE_MISUSE;
  for(i=0; i<p->nSlot; i++){
    int h = poolOpenFile(p, p->aId[i], 0);
    int rc;
    if( h<0 ) return -h;
    rc = host_truncate(h, 0.0);
    host_close(h);
    if( rc<0 ) return -rc;
  }
  return SQLITE_OK;
}

/* testPoolGrow: see testpool.h. */
int testPoolGrow(TestPool *p, int n){
  int rc = SQLITE_OK;
  int k;
  if( p->pPool==0 ) return SQLITE_MISUSE;
  for(k=0; k<n; k++){
    int i = poolNewFile(p);
    if( i<0 ) return SQLITE_CANTOPEN;
    p->aAddRc[i] = sqlw_pool_add_slot(p->pPool, p->aH[i]);
    if( p->aAddRc[i]!=SQLITE_OK && rc==SQLITE_OK ) rc = p->aAddRc[i];
  }
  return rc;
}

/* testPoolOpenDb: see testpool.h. */
int testPoolOpenDb(TestPool *p, const char *zPath){
  sqlw_db *pDb = 0;
  int rc;
  p->zErr[0] = 0;
  if( p->pPool==0 || p->pDb ) return SQLITE_MISUSE;
  rc = sqlw_open(zPath, sqlw_pool_vfs(p->pPool), 0, &pDb);
  if( rc==SQLITE_OK ){
    p->pDb = pDb;
    return rc;
  }
  snprintf(p->zErr, sizeof(p->zErr), "%s", pDb ? sqlw_errmsg(pDb) : "no handle");
  sqlw_close(pDb);
  return rc;
}

/* testPoolCloseDb: see testpool.h. */
int testPoolCloseDb(TestPool *p){
  int rc = sqlw_close(p->pDb);
  p->pDb = 0;
  return rc;
}

/* testPoolTakeFree: see testpool.h. */
int testPoolTakeFree(TestPool *p){
  char zPath[256];
  int h, i;
  if( p->pPool==0 ) return -1;
  h = sqlw_pool_take_free(p->pPool);
  if( h<0 ) return -1;
  for(i=0; i<p->nSlot && p->aH[i]!=h; i++){}
  if( i==p->nSlot ){
    FAIL("sqlw_pool_take_free gave handle %d, which is none of the pool's slots", h);
    return -1;
  }
  host_close(h);
  poolFilePath(p, p->aId[i], zPath, (int)sizeof(zPath));
  unlink(zPath);
  p->nSlot--;
  memmove(&p->aId[i], &p->aId[i+1], sizeof(p->aId[0])*(size_t)(p->nSlot - i));
  memmove(&p->aH[i], &p->aH[i+1], sizeof(p->aH[0])*(size_t)(p->nSlot - i));
  memmove(&p->aAddRc[i], &p->aAddRc[i+1], sizeof(p->aAddRc[0])*(size_t)(p->nSlot - i));
  p->aH[p->nSlot] = -1;
  return h;
}

/* Runs a read (bWrite 0) or write of slot file i: through its handle when the pool
** runs, else through a handle opened for the call. */
static int poolSlotIo(TestPool *p, int i, void *a, int n, double iOff, int bWrite){
  int h, rc, bOwn = 0;
  if( i<0 || i>=p->nSlot ) return bWrite ? -SQLITE_IOERR_WRITE : -SQLITE_IOERR_READ;
  h = p->aH[i];
  if( h<0 ){
    h = poolOpenFile(p, p->aId[i], 0);
    if( h<0 ) return h;
    bOwn = 1;
  }
  rc = bWrite ? host_write(h, a, n, iOff) : host_read(h, a, n, iOff);
  if( bOwn ) host_close(h);
  return rc;
}

/* testPoolRead: see testpool.h. */
int testPoolRead(TestPool *p, int i, void *a, int n, double iOff){
  return poolSlotIo(p, i, a, n, iOff, 0);
}

/* testPoolWrite: see testpool.h. */
int testPoolWrite(TestPool *p, int i, const void *a, int n, double iOff){
  return poolSlotIo(p, i, (void*)a, n, iOff, 1);
}

/* Reads the little-endian u32 at a. */
static uint32_t poolGet32(const unsigned char *a){
  return (uint32_t)a[0] | (uint32_t)a[1]<<8 | (uint32_t)a[2]<<16 | (uint32_t)a[3]<<24;
}

/* testPoolFind: see testpool.h. Only the path fields are read; the checksum is not
** checked (a test looking for a slot to corrupt must find it either way). */
int testPoolFind(TestPool *p, const char *zPath){
  unsigned char aHdr[532];
  size_t nPath = strlen(zPath);
  int i;
  for(i=0; i<p->nSlot; i++){
    uint32_t n;
    if( testPoolRead(p, i, aHdr, (int)sizeof(aHdr), 0.0)!=(int)sizeof(aHdr) ) continue;
    if( memcmp(aHdr, "SQWS", 4)!=0 ) continue;
    n = poolGet32(aHdr+12);
    if( n==nPath && n<=512 && memcmp(aHdr+16, zPath, nPath)==0 ) return i;
  }
  return -1;
}

/* testPoolFnv1a: see testpool.h. */
uint32_t testPoolFnv1a(const unsigned char *a, int n){
  uint32_t h = 2166136261u;
  int i;
  for(i=0; i<n; i++){
    h ^= a[i];
    h *= 16777619u;
  }
  return h;
}
