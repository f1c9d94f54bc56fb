/*
** test_oom.c — the out-of-memory sweep: SQLite's allocator (which the core uses for
** everything it allocates) fails at its Nth call, for every N from 1 until an operation
** runs without reaching it, across the leader's work: open (durability, epoch), a write
** and its record, a prune of records, an import, an export and VACUUM, each through the
** coord engine as a leader runs them, on a WAL database on the host VFS.
**
** After each failed run the allocator is whole again, the connection is closed and the
** file opened afresh: the operation must have ended with SQLITE_OK or an out-of-memory
** code (never another: a corrupt or misreported database), and the file must pass
** PRAGMA integrity_check with either the state before the operation or the one after
** it, its bookkeeping tables present. The sanitizers (make test-native) see every leak.
*/
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include "sqlite3.h"
#include "harness.h"
#include "support.h"
#include "../../src/core/coord.h"

/* The allocator that fails: SQLite's own, wrapped. */
static sqlite3_mem_methods oomReal;
static int64_t oomCalls = 0;    /* allocations (malloc and growing realloc) since armed */
static int64_t oomFailAt = 0;   /* the call that fails; 0: none */
static int oomHit = 0;          /* the failing call was reached */

static void *oomMalloc(int n){
  if( oomFailAt && ++oomCalls==oomFailAt ){
    oomHit = 1;
    return 0;
  }
  return oomReal.xMalloc(n);
}
static void *oomRealloc(void *p, int n){
  if( oomFailAt && ++oomCalls==oomFailAt ){
    oomHit = 1;
    return 0;
  }
  return oomReal.xRealloc(p, n);
}
static void oomFree(void *p){ oomReal.xFree(p); }
static int oomSize(void *p){ return oomReal.xSize(p); }
static int oomRoundup(int n){ return oomReal.xRoundup(n); }
static int oomInit(void *p){ return oomReal.xInit(p); }
static void oomShutdown(void *p){ oomReal.xShutdown(p); }

/* Puts the failing allocator in place (each test runs in a process of its own). */
static int oomInstall(void){
  static sqlite3_mem_methods m;
  sqlite3_shutdown();
  if( sqlite3_config(SQLITE_CONFIG_GETMALLOC, &oomReal)!=SQLITE_OK ) return 0;
  m = oomReal;
  m.xMalloc = oomMalloc;
  m.xRealloc = oomRealloc;
  m.xFree = oomFree;
  m.xSize = oomSize;
  m.xRoundup = oomRoundup;
  m.xInit = oomInit;
  m.xShutdown = oomShutdown;
  return sqlite3_config(SQLITE_CONFIG_MALLOC, &m)==SQLITE_OK && sqlite3_initialize()==SQLITE_OK;
}

static void oomArm(int64_t n){ oomCalls = 0; oomFailAt = n; oomHit = 0; }
static void oomDisarm(void){ oomFailAt = 0; }

/* True for the codes an allocation failure may end an operation with. */
static int oomCode(int rc){
  return rc==SQLITE_OK || (rc & 0xff)==SQLITE_NOMEM || rc==SQLITE_IOERR_NOMEM;
}

static const unsigned char aCli[COORD_ID_BYTES] = { 7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7 };

/* An operation under test: runs on the leader's engine e over pDb; returns its code. */
typedef int (*OomOp)(sqlw_db *pDb, CoordEngine *e, uint32_t iSeq);

/* Sends an exec of zSql as request iSeq (acked below iAcked). Returns the outcome: the
** engine's code, else the SQWR's. */
static int oomExec(CoordEngine *e, uint32_t iSeq, uint32_t iAcked, const char *zSql){
  unsigned char aBody[512];
  size_t n = strlen(zSql);
  SqlwBuf out;
  int eKind = 0, rc;
  memset(&out, 0, sizeof(out));
  aBody[0] = (unsigned char)n; aBody[1] = (unsigned char)(n>>8); aBody[2] = aBody[3] = 0;
  memcpy(aBody+4, zSql, n);
  {
    CoordRequest q = { aCli, iSeq, iAcked, 0, REQ_EXEC, aBody, 4+n, -1, 0 };
    rc = e->xExec(e->pCtx, &q, &eKind, &out);
  }
  if( rc==SQLITE_OK && eKind==ANS_RESULT && out.n>=12 ){
    rc = (int)((uint32_t)out.a[8] | (uint32_t)out.a[9]<<8 | (uint32_t)out.a[10]<<16
               | (uint32_t)out.a[11]<<24);
  }else if( rc==SQLITE_OK && eKind!=ANS_RESULT ){
    /* A rejection's text: "<code name>: ..." */
    rc = (out.n>=13 && memcmp(out.a, "SQLITE_NOMEM:", 13)==0) ? SQLITE_NOMEM : SQLITE_ERROR;
  }
  if( rc!=SQLITE_OK && !oomCode(rc) && getenv("SQLW_OOM_DEBUG") ){
    { size_t k; fprintf(stderr, "%s: rc %d kind %d: ", zSql, rc, eKind); for(k=0; k<out.n && k<300; k++) fputc(out.a[k]>=32 && out.a[k]<127 ? out.a[k] : 46, stderr); fputc(10, stderr); }
  }
  sqlwBufFree(&out);
  return rc;
}

static int opNothing(sqlw_db *pDb, CoordEngine *e, uint32_t iSeq){
  (void)pDb; (void)e; (void)iSeq;
  return SQLITE_OK;
}
static int opWrite(sqlw_db *pDb, CoordEngine *e, uint32_t iSeq){
  (void)pDb;
  return oomExec(e, iSeq, 0, "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM c "
                              "WHERE n<10) INSERT INTO t(v) SELECT printf('w%d', n) FROM c");
}
static int opPrune(sqlw_db *pDb, CoordEngine *e, uint32_t iSeq){
  (void)pDb;
  /* Acknowledged below iSeq: the records below go, the floor is written. */
  return oomExec(e, iSeq, iSeq, "INSERT INTO t(v) VALUES('pruning')");
}
static int opVacuum(sqlw_db *pDb, CoordEngine *e, uint32_t iSeq){
  (void)pDb;
  return oomExec(e, iSeq, 0, "VACUUM");
}
static int opExport(sqlw_db *pDb, CoordEngine *e, uint32_t iSeq){
  SqlwBuf out;
  int eKind = 0, rc;
  (void)pDb;
  memset(&out, 0, sizeof(out));
  {
    CoordRequest q = { aCli, iSeq, 0, 0, REQ_EXPORT, 0, 0, -1, 0 };
    rc = e->xExec(e->pCtx, &q, &eKind, &out);
  }
  if( rc==SQLITE_OK && (eKind!=ANS_BYTES || out.n<512 || memcmp(out.a, "SQLite format 3", 16)!=0) ){
    rc = SQLITE_ERROR;
  }
  sqlwBufFree(&out);
  return rc;
}

/* The image opImport imports (made before the sweep, outside it). */
static unsigned char *aImage = 0;
static int64_t nImage = 0;

static int opImport(sqlw_db *pDb, CoordEngine *e, uint32_t iSeq){
  SqlwBuf out;
  int eKind = 0, rc;
  (void)pDb;
  memset(&out, 0, sizeof(out));
  {
    CoordRequest q = { aCli, iSeq, 0, 0, REQ_IMPORT, aImage, (size_t)nImage, -1, 0 };
    rc = e->xExec(e->pCtx, &q, &eKind, &out);
  }
  if( rc==SQLITE_OK && eKind==ANS_RESULT && out.n>=12 ){
    rc = (int)((uint32_t)out.a[8] | (uint32_t)out.a[9]<<8);
  }
  sqlwBufFree(&out);
  return rc;
}

/* The rows of t in the file zPath, opened afresh; -1 when it fails its checks. */
static int64_t oomRowsAfter(const char *zPath, char *zWhy, size_t nWhy){
  sqlw_db *pDb = 0;
  int64_t n = -1;
  zWhy[0] = 0;
  if( sqlw_open(zPath, "host", 0, &pDb)!=SQLITE_OK || sqlw_set_durability(pDb, SQLW_DURABLE) ){
    snprintf(zWhy, nWhy, "reopen failed: %s", sqlw_errmsg(pDb));
  }else{
    char zCheck[64];
    testText(pDb, "PRAGMA integrity_check", zCheck, sizeof(zCheck));
    if( strcmp(zCheck, "ok")!=0 ){
      snprintf(zWhy, nWhy, "integrity_check: %s", zCheck);
    }else if( testInt(pDb, "SELECT count(*) FROM sqlite_schema WHERE name IN "
                      "('_sqlw_meta','_sqlw_requests','_sqlw_clients','_sqlw_settings')")!=4 ){
      snprintf(zWhy, nWhy, "the bookkeeping tables are not all there");
    }else{
      n = testInt(pDb, "SELECT count(*) FROM t");
    }
  }
  sqlw_close(pDb);
  return n;
}

static int oomMakeBaseline(const char *zPath);

/* Copies file zFrom to zTo (made anew). Returns 1 on success. */
static int oomCopy(const char *zFrom, const char *zTo){
  FILE *in = fopen(zFrom, "rb"), *out = in ? fopen(zTo, "wb") : 0;
  char a[8192];
  size_t n;
  int ok = in && out;
  while( ok && (n = fread(a, 1, sizeof(a), in))>0 ) ok = fwrite(a, 1, n, out)==n;
  if( in ) fclose(in);
  if( out && fclose(out) ) ok = 0;
  return ok;
}

/* Puts the database every run starts from at zPath: a copy of the one oomMakeBaseline
** made once (opening and filling it each time costs dozens of flushes). */
static int oomBaseline(const char *zPath){
  static int bMade = 0;
  char zWal[300];
  if( !bMade ){
    if( !oomMakeBaseline("oom-base.db") ) return 0;
    bMade = 1;
  }
  snprintf(zWal, sizeof(zWal), "%s-wal", zPath);
  remove(zWal);
  return oomCopy("oom-base.db", zPath);
}

/* Makes the database every run starts from: t with 50 rows, 40 recorded writes. */
static int oomMakeBaseline(const char *zPath){
  sqlw_db *pDb = 0;
  CoordEngine e;
  uint64_t iEpoch = 0;
  uint32_t i;
  int ok;
  remove(zPath);
  {
    char z[300];
    snprintf(z, sizeof(z), "%s-wal", zPath);
    remove(z);
  }
  if( sqlw_open(zPath, "host", 0, &pDb)!=SQLITE_OK ) return 0;
  ok = sqlw_set_durability(pDb, SQLW_DURABLE)==SQLITE_OK;
  coordEngineInit(&e, pDb);
  ok = ok && e.xEpoch(e.pCtx, 0, &iEpoch)==SQLITE_OK;
  ok = ok && oomExec(&e, 1, 0, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); "
                               "CREATE INDEX tv ON t(v)")==SQLITE_OK;
  for(i=2; ok && i<42; i++){
    ok = oomExec(&e, i, 0, "INSERT INTO t(v) VALUES(hex(randomblob(20)))")==SQLITE_OK;
  }
  ok = ok && oomExec(&e, 42, 0, "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM c "
                               "WHERE n<10) INSERT INTO t(v) SELECT 'x' FROM c")==SQLITE_OK;
  sqlw_close(pDb);
  return ok;
}

/*
** The sweep of one operation: for N = 1, 2, ...: the baseline, then open, durability,
** epoch and the operation with the Nth allocation failing; then the checks above. Ends
** when a run does not reach its Nth allocation. Returns the runs made.
*/
static int oomSweep(const char *zName, OomOp xOp, int64_t nBefore, int64_t nAfter){
  char zPath[64], zWhy[200];
  int64_t iFail;
  int nRun = 0;
  snprintf(zPath, sizeof(zPath), "oom-%s.db", zName);
  for(iFail=1; ; iFail++){
    sqlw_db *pDb = 0;
    CoordEngine e;
    uint64_t iEpoch = 0;
    int rc, bHit;
    int64_t nRows;
    if( !oomBaseline(zPath) ){
      FAIL("%s: the baseline could not be made", zName);
      return nRun;
    }
    oomArm(iFail);
    rc = sqlw_open(zPath, "host", 0, &pDb);
    if( rc==SQLITE_OK ) rc = sqlw_set_durability(pDb, SQLW_DURABLE);
    if( rc==SQLITE_OK ){
      coordEngineInit(&e, pDb);
      rc = e.xEpoch(e.pCtx, 0, &iEpoch);
    }
    if( rc!=SQLITE_OK && !oomCode(rc) && getenv("SQLW_OOM_DEBUG") ){
      fprintf(stderr, "open: %s\n", sqlw_errmsg(pDb));
    }
    if( rc==SQLITE_OK ) rc = xOp(pDb, &e, 43);
    bHit = oomHit;
    oomDisarm();
    sqlw_close(pDb);
    nRun++;
    if( !oomCode(rc) ){
      FAIL("%s: allocation %lld failed and the operation said %s (%d), not out of memory",
           zName, (long long)iFail, sqlw_code_name(rc), rc);
      return nRun;
    }
    nRows = oomRowsAfter(zPath, zWhy, sizeof(zWhy));
    if( nRows<0 ){
      FAIL("%s: after allocation %lld failed: %s", zName, (long long)iFail, zWhy);
      return nRun;
    }
    if( nRows!=nBefore && nRows!=nAfter ){
      FAIL("%s: after allocation %lld failed, t has %lld rows: neither %lld before nor %lld "
           "after", zName, (long long)iFail, (long long)nRows, (long long)nBefore,
           (long long)nAfter);
      return nRun;
    }
    if( !bHit ){
      if( rc!=SQLITE_OK ) FAIL("%s: no allocation failed, yet %s", zName, sqlw_code_name(rc));
      if( nRows!=nAfter ) FAIL("%s: the operation ran, t has %lld rows", zName, (long long)nRows);
      return nRun;
    }
  }
}

#define OOM_TEST(fn, zName, xOp, nBefore, nAfter)                             \
  TEST(fn, "oom-" zName " every allocation of open and " #xOp " fails in turn: clean " \
           "errors, the file intact"){                                        \
    int n;                                                                    \
    REQUIRE(oomInstall());                                                    \
    n = oomSweep(#xOp, xOp, nBefore, nAfter);                                 \
    CHECK(n>50);                                                              \
  }

OOM_TEST(oom100, "100", opNothing, 50, 50)
OOM_TEST(oom110, "110", opWrite, 50, 60)
OOM_TEST(oom120, "120", opPrune, 50, 51)
OOM_TEST(oom130, "130", opVacuum, 50, 50)
OOM_TEST(oom140, "140", opExport, 50, 50)

TEST(oom150, "oom-150 every allocation of open and opImport fails in turn: clean errors, the file intact"){
  sqlw_db *pSrc = 0;
  int n;
  REQUIRE(oomInstall());
  REQUIRE(sqlw_open("oom-src", "memdb", 0, &pSrc)==SQLITE_OK);
  REQUIRE(testOk(pSrc, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); "
                       "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM c WHERE n<70) "
                       "INSERT INTO t(v) SELECT hex(randomblob(30)) FROM c"));
  aImage = sqlw_export(pSrc, &nImage);
  sqlw_close(pSrc);
  REQUIRE(aImage!=0);
  n = oomSweep("opImport", opImport, 50, 70);
  CHECK(n>50);
  sqlw_free(aImage);
  aImage = 0;
}
