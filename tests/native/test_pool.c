/*
** test_pool.c — the pool VFS (src/core/vfs_pool.c) through sqlw.h, over slot files of
** the native host: persistence across a restart, slots claimed and released by
** journals, growth and shrinking, wipe, corrupt headers, the slot format of
** docs/pool-format.md, 64-bit offsets, and every journal mode.
**
** Each case makes its pools in a folder named after it under the current directory
** (make test-native runs in a fresh temporary directory). "Restart" is what a reloaded
** tab does: close the connection and the pool, reopen every slot file, make a new pool
** of the same name over them (testpool.h).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite3.h"
#include "support.h"
#include "faulthost.h"
#include "testpool.h"
#include "../../src/core/host.h"

/* Header fields of docs/pool-format.md. */
#define HDR_USED     532      /* bytes of the header that carry fields */
#define HDR_FLAGS    8
#define HDR_NPATH    12
#define HDR_PATH     16
#define HDR_CKSUM    528

/* Opens zPath on p's VFS and checks that it worked. Returns p->pDb, NULL on failure. */
static sqlw_db *poolOpenOk(TestPool *p, const char *zPath, const char *zFile, int iLine){
  int rc = testPoolOpenDb(p, zPath);
  if( rc!=SQLITE_OK ){
    harnessFail(zFile, iLine, "open %s on %s: %s: %s", zPath, sqlw_pool_vfs(p->pPool),
                sqlw_code_name(rc), p->zErr);
    return 0;
  }
  return p->pDb;
}
#define POOL_OPEN(p, zPath)   poolOpenOk((p), (zPath), __FILE__, __LINE__)

/* Restarts p and checks that every slot came back. Returns 1 if so. */
static int poolRestartOk(TestPool *p, const char *zFile, int iLine){
  int rc = testPoolRestart(p);
  if( rc==SQLITE_OK ) return 1;
  return harnessFail(zFile, iLine, "restart of pool %s: %s: %s", p->zName,
                     sqlw_code_name(rc), p->pPool ? sqlw_pool_errmsg(p->pPool) : "");
}
#define POOL_RESTART(p)       poolRestartOk((p), __FILE__, __LINE__)

/* Checks PRAGMA integrity_check on pDb. Returns 1 if it says ok. */
static int poolIntegrityOk(sqlw_db *pDb, const char *zFile, int iLine){
  char zText[128];
  testTextAt(pDb, "PRAGMA integrity_check", zText, sizeof(zText), zFile, iLine);
  if( strcmp(zText, "ok")==0 ) return 1;
  return harnessFail(zFile, iLine, "integrity_check: %s", zText);
}
#define POOL_INTEGRITY(pDb)   poolIntegrityOk((pDb), __FILE__, __LINE__)

/* Fills pDb with table t: 200 rows whose blobs of 3,000 bytes span overflow pages. */
#define POOL_FILL_SQL \
  "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, b BLOB);" \
  "CREATE INDEX t_name ON t(name);" \
  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<200)" \
  " INSERT INTO t SELECT x, 'name-' || x, zeroblob(3000) FROM c;" \
  "UPDATE t SET b = CAST(printf('%.3000c', char(65 + id % 26)) AS BLOB)"

/* A digest of t that changes when any row, name or blob byte changes. */
#define POOL_DIGEST_SQL \
  "SELECT count(*) || ':' || sum(id) || ':' || sum(length(name)) || ':' ||" \
  " sum(unicode(substr(CAST(b AS TEXT), 1 + id % 3000, 1)))" \
  " || ':' || sum(length(b)) FROM t"

/* A digest of t(id, b) that changes when any row or blob byte changes. */
#define POOL_DIGEST_SQL_B \
  "SELECT count(*) || ':' || sum(id) || ':' || sum(length(b)) || ':' ||" \
  " sum(unicode(substr(hex(b), 1 + id % 200, 1)))" \
  " FROM t"

/* Reads the little-endian u32 at a. */
static uint32_t poolGet32(const unsigned char *a){
  return (uint32_t)a[0] | (uint32_t)a[1]<<8 | (uint32_t)a[2]<<16 | (uint32_t)a[3]<<24;
}

/* Writes v at a, little-endian. */
static void poolPut32(unsigned char *a, uint32_t v){
  a[0] = (unsigned char)v;
  a[1] = (unsigned char)(v>>8);
  a[2] = (unsigned char)(v>>16);
  a[3] = (unsigned char)(v>>24);
}

/* Builds in a[0..HDR_USED) the header of docs/pool-format.md for a slot holding zPath
** with flags (zPath NULL: free), checksum included. */
static void poolMakeHeader(unsigned char *a, uint32_t flags, const char *zPath){
  size_t n = zPath ? strlen(zPath) : 0;
  memset(a, 0, HDR_USED);
  memcpy(a, "SQWS", 4);
  a[4] = 1;                                 /* version 1, little-endian u16 */
  poolPut32(a+HDR_FLAGS, flags);
  poolPut32(a+HDR_NPATH, (uint32_t)n);
  if( n ) memcpy(a+HDR_PATH, zPath, n);
  poolPut32(a+HDR_CKSUM, testPoolFnv1a(a, HDR_CKSUM));
}

/* Destroys the pool *pp given to harnessDefer() (one made without TestPool), if any:
** pp points to a static the test clears when it destroys the pool itself. */
static void poolDestroyDeferred(void *pp){
  sqlw_pool_destroy(*(sqlw_pool**)pp);
  *(sqlw_pool**)pp = 0;
}

TEST(pool100, "pool-100 write, restart, the data is there"){
  TestPool *p = testPoolNew("pool-100", 4);
  sqlw_db *pDb;
  char zBefore[128], zAfter[128];
  REQUIRE(p);
  pDb = POOL_OPEN(p, "/app.db");
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, POOL_FILL_SQL));
  testText(pDb, POOL_DIGEST_SQL, zBefore, sizeof(zBefore));
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 200);

  REQUIRE(POOL_RESTART(p));
  pDb = POOL_OPEN(p, "/app.db");
  REQUIRE(pDb);
  testText(pDb, POOL_DIGEST_SQL, zAfter, sizeof(zAfter));
  CHECK_STR(zAfter, zBefore);
  CHECK(POOL_INTEGRITY(pDb));

  /* and once more after a change made by the restarted pool */
  REQUIRE(testOk(pDb, "DELETE FROM t WHERE id > 100"));
  REQUIRE(POOL_RESTART(p));
  pDb = POOL_OPEN(p, "/app.db");
  REQUIRE(pDb);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 100);
  CHECK(POOL_INTEGRITY(pDb));
}

TEST(pool110, "pool-110 the VFS is pool:<name>; names are checked"){
  static sqlw_pool *pA = 0;
  sqlw_pool *pB = 0;
  char zLong[70];
  harnessDefer(poolDestroyDeferred, &pA);
  CHECK_RC(sqlw_pool_create("p110", &pA), SQLITE_OK);
  REQUIRE(pA);
  CHECK_STR(sqlw_pool_vfs(pA), "pool:p110");
  CHECK(sqlite3_vfs_find("pool:p110")!=0);

  /* a second pool of the same name */
  CHECK_RC(sqlw_pool_create("p110", &pB), SQLITE_MISUSE);
  CHECK(pB==0);
  CHECK(strlen(sqlw_pool_errmsg(0))>0);

  /* bad names */
  CHECK_RC(sqlw_pool_create("", &pB), SQLITE_MISUSE);
  CHECK(pB==0);
  CHECK_RC(sqlw_pool_create("a/b", &pB), SQLITE_MISUSE);
  CHECK(pB==0);
  memset(zLong, 'x', 65);
  zLong[65] = 0;
  CHECK_RC(sqlw_pool_create(zLong, &pB), SQLITE_MISUSE);
  CHECK(pB==0);

  /* 64 bytes is the longest name */
  zLong[64] = 0;
  CHECK_RC(sqlw_pool_create(zLong, &pB), SQLITE_OK);
  REQUIRE(pB);
  CHECK_RC(sqlw_pool_destroy(pB), SQLITE_OK);

  /* destroy unregisters the VFS; the name can be used again */
  CHECK_RC(sqlw_pool_destroy(pA), SQLITE_OK);
  CHECK(sqlite3_vfs_find("pool:p110")==0);
  pA = 0;
  CHECK_RC(sqlw_pool_create("p110", &pA), SQLITE_OK);
  CHECK(pA!=0);
}

TEST(pool120, "pool-120 a handle added twice is SQLITE_MISUSE"){
  TestPool *p = testPoolNew("pool-120", 2);
  REQUIRE(p);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_SLOTS), 2);
  CHECK_RC(sqlw_pool_add_slot(p->pPool, p->aH[0]), SQLITE_MISUSE);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_SLOTS), 2);
}

TEST(pool130, "pool-130 counters: slots, free, open"){
  TestPool *p = testPoolNew("pool-130", 5);
  sqlw_db *pDb;
  REQUIRE(p);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_SLOTS), 5);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 5);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_CORRUPT), 0);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_OPEN), 0);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_WANTED), 0);
  pDb = POOL_OPEN(p, "/app.db");
  REQUIRE(pDb);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 4);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_OPEN), 1);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x)"));
  CHECK_RC(testPoolCloseDb(p), SQLITE_OK);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_OPEN), 0);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 4);     /* the database stays */
  REQUIRE(POOL_RESTART(p));
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_SLOTS), 5);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 4);
  CHECK(testPoolFind(p, "/app.db")>=0);
}

/*
** Runs a transaction in journal mode zMode on a fresh 6-slot pool and returns, through
** the pointers, the free slots inside it (after its first write) and after its commit.
*/
static void poolJournalSlots(const char *zDir, const char *zMode, int *pnIn, int *pnAfter){
  TestPool *p = testPoolNew(zDir, 6);
  sqlw_db *pDb;
  char zSql[128];
  *pnIn = *pnAfter = -1;
  if( p==0 ) return;
  pDb = POOL_OPEN(p, "/app.db");
  if( pDb==0 ) return;
  snprintf(zSql, sizeof(zSql), "%sPRAGMA journal_mode=%s",
           strcmp(zMode, "wal")==0 ? "PRAGMA locking_mode=EXCLUSIVE;" : "", zMode);
  if( !testOk(pDb, zSql) ) return;
  if( !testOk(pDb, "CREATE TABLE t(x); BEGIN; INSERT INTO t VALUES(1)") ) return;
  *pnIn = sqlw_pool_stat(p->pPool, SQLW_POOL_FREE);
  if( !testOk(pDb, "COMMIT") ) return;
  *pnAfter = sqlw_pool_stat(p->pPool, SQLW_POOL_FREE);
}

TEST(pool140, "pool-140 journals claim slots and release them when deleted"){
  int nIn, nAfter;
  /* DELETE: the journal exists only inside the transaction */
  poolJournalSlots("pool-140a", "delete", &nIn, &nAfter);
  CHECK_INT(nIn, 4);
  CHECK_INT(nAfter, 5);
  /* TRUNCATE and PERSIST keep the journal file, so its slot */
  poolJournalSlots("pool-140b", "truncate", &nIn, &nAfter);
  CHECK_INT(nIn, 4);
  CHECK_INT(nAfter, 4);
  poolJournalSlots("pool-140c", "persist", &nIn, &nAfter);
  CHECK_INT(nIn, 4);
  CHECK_INT(nAfter, 4);
  /* MEMORY never touches a slot (OFF is refused by the engine: SQLITE_DBCONFIG_DEFENSIVE) */
  poolJournalSlots("pool-140d", "memory", &nIn, &nAfter);
  CHECK_INT(nIn, 5);
  CHECK_INT(nAfter, 5);
  /* WAL: the WAL file lives while the connection does */
  poolJournalSlots("pool-140f", "wal", &nIn, &nAfter);
  CHECK_INT(nIn, 4);
  CHECK_INT(nAfter, 4);
}

TEST(pool145, "pool-145 a DELETE journal's slot is reused, the WAL's freed at close"){
  TestPool *p = testPoolNew("pool-145", 3);
  sqlw_db *pDb;
  int i;
  REQUIRE(p);
  pDb = POOL_OPEN(p, "/app.db");
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x)"));
  /* 50 transactions on 3 slots: every journal slot is released and claimed again */
  for(i=0; i<50; i++){
    if( !testOk(pDb, "INSERT INTO t VALUES(randomblob(500))") ) break;
  }
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 2);
  REQUIRE(testOk(pDb, "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL;"
                      "INSERT INTO t VALUES(1)"));
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 1);
  CHECK_RC(testPoolCloseDb(p), SQLITE_OK);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 2);     /* checkpointed, deleted */
  REQUIRE(POOL_RESTART(p));
  CHECK(testPoolFind(p, "/app.db-wal")<0);
  pDb = POOL_OPEN(p, "/app.db");
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "PRAGMA locking_mode=EXCLUSIVE"));
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 51);
  CHECK(POOL_INTEGRITY(pDb));
}

/* The size of slot file i of p and its bytes [iOfst, iOfst+n) into a; -1 if unreadable. */
static long poolSlotRead(TestPool *p, int i, long iOfst, unsigned char *a, size_t n){
  char zPath[200];
  FILE *f;
  long sz;
  snprintf(zPath, sizeof(zPath), "%s/slot-%03d", p->zDir, p->aId[i]);
  f = fopen(zPath, "rb");
  if( f==0 ) return -1;
  fseek(f, 0, SEEK_END);
  sz = ftell(f);
  memset(a, 0xff, n);
  if( fseek(f, iOfst, SEEK_SET)!=0 || fread(a, 1, n, f)!=n ) sz = -1;
  fclose(f);
  return sz;
}

/*
** pool-147/148: a database of szPage-byte pages opened as the worker opens it (WAL,
** exclusive, FULL, the engine's checkpoint), one transaction of ~1,500 pages whose commit
** checkpoints (1,000 frames or more), then 20 small commits. Checks that the emptied
** WAL keeps one interval of its frames, zeroed in its header, and that the small commits
** overwrite them (the file does not grow). Returns the WAL's slot, or -1.
*/
static int poolWalKeeps(TestPool *p, int szPage){
  unsigned char aHdr[32], aZero[32];
  char zFill[200];
  long szEmptied, sz;
  int iWal, i;
  memset(aZero, 0, sizeof(aZero));
  CHECK_RC(sqlw_set_page_size(p->pDb, szPage), SQLITE_OK);
  CHECK_RC(sqlw_set_durability(p->pDb, SQLW_DURABLE), SQLITE_OK);
  CHECK_INT(testInt(p->pDb, "PRAGMA page_size"), szPage);
  snprintf(zFill, sizeof(zFill), "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c"
           " WHERE x<1500) INSERT INTO t SELECT x, randomblob(%d) FROM c", szPage-600);
  if( !testOk(p->pDb, "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB)") || !testOk(p->pDb, zFill) ) return -1;
  iWal = testPoolFind(p, "/app.db-wal");
  if( iWal<0 ) return -1;
  szEmptied = poolSlotRead(p, iWal, TESTPOOL_HEADER, aHdr, sizeof(aHdr));
  CHECK(szEmptied>TESTPOOL_HEADER+1000L*szPage);            /* its blocks are kept... */
  CHECK(szEmptied<=TESTPOOL_HEADER+32+1040L*(24+szPage));    /* ...up to one interval */
  CHECK(memcmp(aHdr, aZero, sizeof(aHdr))==0);               /* an empty WAL to SQLite */
  for(i=0; i<20; i++){
    if( !testOk(p->pDb, "INSERT INTO t(b) VALUES(randomblob(100))") ) break;
  }
  sz = poolSlotRead(p, iWal, TESTPOOL_HEADER, aHdr, sizeof(aHdr));
  CHECK(sz==szEmptied);                                      /* overwritten, not grown */
  CHECK(memcmp(aHdr, aZero, sizeof(aHdr))!=0);               /* a new WAL header */
  return iWal;
}

TEST(pool147, "pool-147 a checkpoint empties the WAL: header zeroed, blocks kept, reused by the next commits"){
  TestPool *p = testPoolNew("pool-147", 4);
  char zDigest[128], zAfter[128];
  REQUIRE(p);
  REQUIRE(POOL_OPEN(p, "/app.db"));
  REQUIRE(poolWalKeeps(p, 4096)>=0);
  testTextAt(p->pDb, POOL_DIGEST_SQL_B, zDigest, sizeof(zDigest), __FILE__, __LINE__);
  REQUIRE(POOL_RESTART(p));
  REQUIRE(POOL_OPEN(p, "/app.db"));
  REQUIRE(testOk(p->pDb, "PRAGMA locking_mode=EXCLUSIVE"));
  testTextAt(p->pDb, POOL_DIGEST_SQL_B, zAfter, sizeof(zAfter), __FILE__, __LINE__);
  CHECK_STR(zAfter, zDigest);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM t"), 1520);
  CHECK(POOL_INTEGRITY(p->pDb));
}

TEST(pool148, "pool-148 sqlw_set_page_size: 8 KiB pages, whose WAL keeps one interval of 8 KiB frames"){
  TestPool *p = testPoolNew("pool-148", 4);
  REQUIRE(p);
  REQUIRE(POOL_OPEN(p, "/app.db"));
  /* Sizes SQLite has no pages of are refused, and change nothing. */
  CHECK_RC(sqlw_set_page_size(p->pDb, 3000), SQLITE_MISUSE);
  CHECK(strstr(sqlw_errmsg(p->pDb), "power of two")!=0);
  CHECK_RC(sqlw_set_page_size(p->pDb, 256), SQLITE_MISUSE);
  CHECK_RC(sqlw_set_page_size(p->pDb, 131072), SQLITE_MISUSE);
  REQUIRE(poolWalKeeps(p, 8192)>=0);
  /* Reopened, the database keeps its pages whatever is asked. */
  REQUIRE(POOL_RESTART(p));
  REQUIRE(POOL_OPEN(p, "/app.db"));
  CHECK_RC(sqlw_set_page_size(p->pDb, 1024), SQLITE_OK);
  CHECK_RC(sqlw_set_durability(p->pDb, SQLW_DURABLE), SQLITE_OK);
  CHECK_INT(testInt(p->pDb, "PRAGMA page_size"), 8192);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM t"), 1520);
  CHECK(POOL_INTEGRITY(p->pDb));
}

TEST(pool150, "pool-150 the pool asks for slots when few are free; adding them satisfies it"){
  TestPool *p = testPoolNew("pool-150", 1);
  sqlw_db *pDb;
  int nWanted;
  REQUIRE(p);
  pDb = POOL_OPEN(p, "/app.db");
  REQUIRE(pDb);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 0);
  nWanted = sqlw_pool_stat(p->pPool, SQLW_POOL_WANTED);
  CHECK(nWanted>0);
  REQUIRE(nWanted>0 && nWanted<=TESTPOOL_MAX_SLOT-1);
  CHECK_RC(testPoolGrow(p, nWanted), SQLITE_OK);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_WANTED), 0);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), nWanted);
  /* inside a write transaction the journal takes one: the pool asks again */
  REQUIRE(testOk(pDb, "CREATE TABLE t(x); BEGIN; INSERT INTO t VALUES(1)"));
  CHECK(sqlw_pool_stat(p->pPool, SQLW_POOL_WANTED)>0);
  REQUIRE(testOk(pDb, "COMMIT"));
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_WANTED), 0);
}

TEST(pool160, "pool-160 no free slot for a journal is a clear error, the database intact"){
  TestPool *p = testPoolNew("pool-160", 2);
  sqlw_db *pDb;
  const WrResult *pRes;
  REQUIRE(p);
  pDb = POOL_OPEN(p, "/app.db");
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x); INSERT INTO t VALUES(1)"));
  /* the host shrinks the pool to the database's own slot */
  CHECK(testPoolTakeFree(p)>=0);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 0);

  pRes = testExec(pDb, "INSERT INTO t VALUES(2)", 0, 0);
  CHECK_PRIMARY(pRes->rc, SQLITE_FULL, SQLITE_CANTOPEN);
  CHECK(pRes->err.n>0);
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 1);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 1);
  CHECK(POOL_INTEGRITY(pDb));

  /* a second database cannot be created either, and says so */
  {
    sqlw_db *pOther = 0;
    int rc = sqlw_open("/third.db", sqlw_pool_vfs(p->pPool), 0, &pOther);
    CHECK_PRIMARY(rc, SQLITE_FULL, SQLITE_CANTOPEN);
    sqlw_close(pOther);
  }

  /* the host adds a slot: the same write works */
  CHECK_RC(testPoolGrow(p, 1), SQLITE_OK);
  REQUIRE(testOk(pDb, "INSERT INTO t VALUES(2)"));
  REQUIRE(POOL_RESTART(p));
  pDb = POOL_OPEN(p, "/app.db");
  REQUIRE(pDb);
  CHECK_INT(testInt(pDb, "SELECT sum(x) FROM t"), 3);
  CHECK(POOL_INTEGRITY(pDb));
}

TEST(pool170, "pool-170 take_free shrinks the pool and never takes a used slot"){
  TestPool *p = testPoolNew("pool-170", 5);
  sqlw_db *pDb;
  int nTaken = 0;
  REQUIRE(p);
  pDb = POOL_OPEN(p, "/app.db");
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "PRAGMA journal_mode=PERSIST; CREATE TABLE t(x);"
                      "INSERT INTO t VALUES('kept')"));
  /* database and persistent journal hold 2 slots; 3 can go, even with the db open */
  while( testPoolTakeFree(p)>=0 ) nTaken++;
  CHECK_INT(nTaken, 3);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_SLOTS), 2);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 0);
  CHECK_INT(sqlw_pool_take_free(p->pPool), -1);
  REQUIRE(testOk(pDb, "INSERT INTO t VALUES('more')"));
  REQUIRE(POOL_RESTART(p));
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_SLOTS), 2);
  pDb = POOL_OPEN(p, "/app.db");
  REQUIRE(pDb);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 2);
  CHECK(POOL_INTEGRITY(pDb));
}

TEST(pool180, "pool-180 wipe: refused while open, then every slot is free and the db empty"){
  TestPool *p = testPoolNew("pool-180", 4);
  sqlw_db *pDb;
  REQUIRE(p);
  pDb = POOL_OPEN(p, "/app.db");
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "PRAGMA journal_mode=PERSIST; CREATE TABLE t(x); INSERT INTO t VALUES(1)"));
  CHECK_RC(sqlw_pool_wipe(p->pPool), SQLITE_BUSY);
  CHECK(strlen(sqlw_pool_errmsg(p->pPool))>0);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 1);       /* still usable */
  CHECK_RC(testPoolCloseDb(p), SQLITE_OK);
  CHECK_RC(sqlw_pool_wipe(p->pPool), SQLITE_OK);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 4);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_SLOTS), 4);
  pDb = POOL_OPEN(p, "/app.db");
  REQUIRE(pDb);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM sqlite_schema"), 0);
  CHECK_RC(testPoolCloseDb(p), SQLITE_OK);
  /* and after a restart: the wipe was durable */
  REQUIRE(POOL_RESTART(p));
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 3);     /* the new empty db */
  CHECK(testPoolFind(p, "/app.db-journal")<0);
  pDb = POOL_OPEN(p, "/app.db");
  REQUIRE(pDb);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM sqlite_schema"), 0);
}

TEST(pool190, "pool-190 destroy is refused while SQLite has a file open"){
  TestPool *p = testPoolNew("pool-190", 3);
  sqlw_db *pDb;
  REQUIRE(p);
  pDb = POOL_OPEN(p, "/app.db");
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x); INSERT INTO t VALUES(7)"));
  CHECK_RC(sqlw_pool_destroy(p->pPool), SQLITE_BUSY);
  CHECK(sqlite3_vfs_find(sqlw_pool_vfs(p->pPool))!=0);
  CHECK_INT(testInt(pDb, "SELECT x FROM t"), 7);
  CHECK_RC(testPoolStop(p), SQLITE_OK);
}

/*
** Makes pool-200's starting point: a pool in zDir whose database /app.db holds rows and,
** with bPersist, a persistent journal. Returns the pool, stopped, or NULL.
*/
static TestPool *poolCorruptSetup(const char *zDir, int bPersist){
  TestPool *p = testPoolNew(zDir, 4);
  sqlw_db *pDb;
  if( p==0 ) return 0;
  pDb = POOL_OPEN(p, "/app.db");
  if( pDb==0 ) return 0;
  if( bPersist && !testOk(pDb, "PRAGMA journal_mode=PERSIST") ) return 0;
  if( !testOk(pDb, "CREATE TABLE t(x); INSERT INTO t VALUES('intact')") ) return 0;
  if( testPoolStop(p)!=SQLITE_OK ){
    FAIL("cannot stop pool %s", p->zName);
    return 0;
  }
  return p;
}

/*
** Starts p expecting slot iSlot (alone) to be refused as corrupt and the database to
** refuse to open; zWhat describes the damage. Returns 1 if all held. Leaves p stopped.
*/
static int poolExpectCorrupt(TestPool *p, int iSlot, const char *zWhat){
  int rc = testPoolStart(p);
  int bOk = 1;
  int i;
  if( rc!=SQLITE_CORRUPT ){
    bOk = FAIL("%s: start gave %s, expected SQLITE_CORRUPT", zWhat, sqlw_code_name(rc));
  }
  for(i=0; i<p->nSlot; i++){
    int rcWant = i==iSlot ? SQLITE_CORRUPT : SQLITE_OK;
    if( p->aAddRc[i]!=rcWant ){
      bOk = FAIL("%s: slot %d added with %s, expected %s", zWhat, i,
                 sqlw_code_name(p->aAddRc[i]), sqlw_code_name(rcWant));
    }
  }
  if( p->pPool ){
    if( sqlw_pool_stat(p->pPool, SQLW_POOL_CORRUPT)!=1 ){
      bOk = FAIL("%s: %d corrupt slots counted", zWhat,
                 sqlw_pool_stat(p->pPool, SQLW_POOL_CORRUPT));
    }
    rc = testPoolOpenDb(p, "/app.db");
    if( rc!=SQLITE_CORRUPT ){
      bOk = FAIL("%s: open gave %s, expected SQLITE_CORRUPT", zWhat, sqlw_code_name(rc));
    }
  }
  testPoolStop(p);
  return bOk;
}

/* Starts p expecting every slot to be accepted and t to hold its one row. */
static int poolExpectIntact(TestPool *p, const char *zWhat){
  char zText[32];
  int rc = testPoolStart(p);
  if( rc!=SQLITE_OK ) return FAIL("%s: start gave %s", zWhat, sqlw_code_name(rc));
  if( POOL_OPEN(p, "/app.db")==0 ) return 0;
  testText(p->pDb, "SELECT x FROM t", zText, sizeof(zText));
  testPoolStop(p);
  return CHECK_STR(zText, "intact");
}

TEST(pool200, "pool-200 each byte of the database slot's header, flipped, is detected"){
  TestPool *p = poolCorruptSetup("pool-200", 0);
  unsigned char aHdr[HDR_USED];
  int iSlot, iByte, nBad = 0;
  REQUIRE(p);
  iSlot = testPoolFind(p, "/app.db");
  REQUIRE(iSlot>=0);
  REQUIRE(testPoolRead(p, iSlot, aHdr, HDR_USED, 0.0)==HDR_USED);
  for(iByte=0; iByte<HDR_USED && nBad<5; iByte++){
    unsigned char c = aHdr[iByte] ^ 0x01;
    char zWhat[64];
    snprintf(zWhat, sizeof(zWhat), "header byte %d flipped", iByte);
    REQUIRE(testPoolWrite(p, iSlot, &c, 1, (double)iByte)==0);
    if( !poolExpectCorrupt(p, iSlot, zWhat) ) nBad++;
    REQUIRE(testPoolWrite(p, iSlot, &aHdr[iByte], 1, (double)iByte)==0);
  }
  CHECK(poolExpectIntact(p, "header restored"));
}

TEST(pool210, "pool-210 a corrupt journal slot header is detected too"){
  TestPool *p = poolCorruptSetup("pool-210", 1);
  static const int aiByte[] = { 0, 4, 8, 12, 16, 20, 527, 528, 531 };
  unsigned char aHdr[HDR_USED];
  int iSlot;
  size_t k;
  REQUIRE(p);
  iSlot = testPoolFind(p, "/app.db-journal");
  REQUIRE(iSlot>=0);
  REQUIRE(testPoolRead(p, iSlot, aHdr, HDR_USED, 0.0)==HDR_USED);
  for(k=0; k<sizeof(aiByte)/sizeof(aiByte[0]); k++){
    unsigned char c = aHdr[aiByte[k]] ^ 0x80;
    char zWhat[64];
    snprintf(zWhat, sizeof(zWhat), "journal header byte %d flipped", aiByte[k]);
    REQUIRE(testPoolWrite(p, iSlot, &c, 1, (double)aiByte[k])==0);
    CHECK(poolExpectCorrupt(p, iSlot, zWhat));
    REQUIRE(testPoolWrite(p, iSlot, &aHdr[aiByte[k]], 1, (double)aiByte[k])==0);
  }
  CHECK(poolExpectIntact(p, "journal header restored"));
}

TEST(pool220, "pool-220 a free slot's header, and a never-claimed slot, with one byte set"){
  TestPool *p = poolCorruptSetup("pool-220", 0);
  static const int aiByte[] = { 0, 3, 4, 8, 12, 16, 300, 527, 528, 531 };
  unsigned char aHdr[HDR_USED];
  unsigned char c;
  int iFree = -1, iZero, i;
  size_t k;
  REQUIRE(p);
  /* a slot released by a DELETE journal holds a valid free header */
  REQUIRE(testPoolStart(p)==SQLITE_OK);
  REQUIRE(POOL_OPEN(p, "/app.db"));
  REQUIRE(testOk(p->pDb, "INSERT INTO t VALUES('more'); DELETE FROM t WHERE x='more'"));
  testPoolStop(p);
  for(i=0; i<p->nSlot && iFree<0; i++){
    if( i==testPoolFind(p, "/app.db") ) continue;
    if( testPoolRead(p, i, aHdr, HDR_USED, 0.0)==HDR_USED && memcmp(aHdr, "SQWS", 4)==0 ){
      iFree = i;
    }
  }
  REQUIRE(iFree>=0);
  for(k=0; k<sizeof(aiByte)/sizeof(aiByte[0]); k++){
    char zWhat[64];
    c = aHdr[aiByte[k]] ^ 0x10;
    snprintf(zWhat, sizeof(zWhat), "free header byte %d flipped", aiByte[k]);
    REQUIRE(testPoolWrite(p, iFree, &c, 1, (double)aiByte[k])==0);
    CHECK(poolExpectCorrupt(p, iFree, zWhat));
    REQUIRE(testPoolWrite(p, iFree, &aHdr[aiByte[k]], 1, (double)aiByte[k])==0);
  }
  CHECK(poolExpectIntact(p, "free header restored"));

  /* a slot never claimed is all zero; one byte set anywhere in its header is damage */
  for(iZero=0; iZero<p->nSlot; iZero++){
    if( testPoolRead(p, iZero, aHdr, HDR_USED, 0.0)==0 ) break;     /* empty file */
  }
  REQUIRE(iZero<p->nSlot);
  {
    unsigned char aZero[TESTPOOL_HEADER];
    memset(aZero, 0, sizeof(aZero));
    REQUIRE(testPoolWrite(p, iZero, aZero, TESTPOOL_HEADER, 0.0)==0);
    CHECK(poolExpectIntact(p, "a slot of 4096 zero bytes is free"));
  }
  for(k=0; k<sizeof(aiByte)/sizeof(aiByte[0]); k++){
    char zWhat[64];
    c = 0x01;
    snprintf(zWhat, sizeof(zWhat), "zero slot with byte %d set", aiByte[k]);
    REQUIRE(testPoolWrite(p, iZero, &c, 1, (double)aiByte[k])==0);
    CHECK(poolExpectCorrupt(p, iZero, zWhat));
    c = 0;
    REQUIRE(testPoolWrite(p, iZero, &c, 1, (double)aiByte[k])==0);
  }
  CHECK(poolExpectIntact(p, "zero slot restored"));
}

TEST(pool225, "pool-225 a slot shorter than a header is free when zero, corrupt if not"){
  TestPool *p = poolCorruptSetup("pool-225", 0);
  unsigned char a[100];
  int iZero;
  REQUIRE(p);
  for(iZero=0; iZero<p->nSlot; iZero++){
    if( testPoolRead(p, iZero, a, 1, 0.0)==0 ) break;
  }
  REQUIRE(iZero<p->nSlot);
  memset(a, 0, sizeof(a));
  REQUIRE(testPoolWrite(p, iZero, a, (int)sizeof(a), 0.0)==0);
  CHECK(poolExpectIntact(p, "100 zero bytes"));
  /* a header torn short: the first bytes of a real one */
  memcpy(a, "SQWS\001", 5);
  REQUIRE(testPoolWrite(p, iZero, a, (int)sizeof(a), 0.0)==0);
  CHECK(poolExpectCorrupt(p, iZero, "100 bytes of a header"));
}

TEST(pool230, "pool-230 headers with a valid checksum but bad fields are corrupt"){
  TestPool *p = poolCorruptSetup("pool-230", 0);
  unsigned char aGood[HDR_USED], a[HDR_USED];
  int iSlot, k;
  REQUIRE(p);
  iSlot = testPoolFind(p, "/app.db");
  REQUIRE(iSlot>=0);
  REQUIRE(testPoolRead(p, iSlot, aGood, HDR_USED, 0.0)==HDR_USED);
  for(k=0; k<9; k++){
    const char *zWhat = "?";
    memcpy(a, aGood, HDR_USED);
    switch( k ){
      case 0: zWhat = "version 2";            a[4] = 2;                          break;
      case 1: zWhat = "version 0";            a[4] = 0;                          break;
      case 2: zWhat = "version 257";          a[5] = 1;                          break;
      case 3: zWhat = "path length 0, flags"; poolPut32(a+HDR_NPATH, 0);
                                              memset(a+HDR_PATH, 0, 512);        break;
      case 4: zWhat = "path length 513";      poolPut32(a+HDR_NPATH, 513);       break;
      case 5: zWhat = "path length 2^32-1";   poolPut32(a+HDR_NPATH, 0xffffffff); break;
      case 6: zWhat = "flags 0 with a path";  poolPut32(a+HDR_FLAGS, 0);         break;
      case 7: zWhat = "magic SQWT";           a[3] = 'T';                        break;
      case 8: zWhat = "path length short by one"; poolPut32(a+HDR_NPATH, 6);     break;
    }
    poolPut32(a+HDR_CKSUM, testPoolFnv1a(a, HDR_CKSUM));
    REQUIRE(testPoolWrite(p, iSlot, a, HDR_USED, 0.0)==0);
    CHECK(poolExpectCorrupt(p, iSlot, zWhat));
  }
  REQUIRE(testPoolWrite(p, iSlot, aGood, HDR_USED, 0.0)==0);
  CHECK(poolExpectIntact(p, "header restored"));
}

TEST(pool235, "pool-235 two slots naming one file: set aside, not guessed"){
  TestPool *p = poolCorruptSetup("pool-235", 0);
  unsigned char aHdr[HDR_USED];
  int iDb, iOther;
  REQUIRE(p);
  iDb = testPoolFind(p, "/app.db");
  REQUIRE(iDb>=0);
  iOther = iDb==0 ? 1 : 0;
  REQUIRE(testPoolRead(p, iDb, aHdr, HDR_USED, 0.0)==HDR_USED);
  REQUIRE(testPoolWrite(p, iOther, aHdr, HDR_USED, 0.0)==0);
  REQUIRE(testPoolStart(p)==SQLITE_CORRUPT);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_CORRUPT), 1);
  CHECK_RC(testPoolOpenDb(p, "/app.db"), SQLITE_CORRUPT);
  CHECK(strlen(p->zErr)>0);
  /* wipe is the way out: every slot free, a new empty database */
  CHECK_RC(sqlw_pool_wipe(p->pPool), SQLITE_OK);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_CORRUPT), 0);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 4);
  REQUIRE(POOL_OPEN(p, "/app.db"));
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM sqlite_schema"), 0);
  REQUIRE(POOL_RESTART(p));
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_CORRUPT), 0);
}

TEST(pool240, "pool-240 the header is the documented layout"){
  TestPool *p = poolCorruptSetup("pool-240", 0);
  unsigned char aHdr[HDR_USED], aWant[HDR_USED], aHead[16];
  int iSlot;
  REQUIRE(p);
  iSlot = testPoolFind(p, "/app.db");
  REQUIRE(iSlot>=0);
  REQUIRE(testPoolRead(p, iSlot, aHdr, HDR_USED, 0.0)==HDR_USED);
  CHECK_MEM(aHdr, 4, "SQWS", 4);
  CHECK_INT(aHdr[4] | aHdr[5]<<8, 1);
  CHECK_INT(aHdr[6] | aHdr[7]<<8, 0);
  CHECK_INT(poolGet32(aHdr+HDR_FLAGS), SQLITE_OPEN_MAIN_DB);
  CHECK_INT(poolGet32(aHdr+HDR_NPATH), 7);
  CHECK_MEM(aHdr+HDR_PATH, 7, "/app.db", 7);
  CHECK_INT(poolGet32(aHdr+HDR_CKSUM), testPoolFnv1a(aHdr, HDR_CKSUM));
  poolMakeHeader(aWant, SQLITE_OPEN_MAIN_DB, "/app.db");
  CHECK_MEM(aHdr, HDR_USED, aWant, HDR_USED);
  /* SQLite's file starts at 4096 */
  REQUIRE(testPoolRead(p, iSlot, aHead, 16, (double)TESTPOOL_HEADER)==16);
  CHECK_MEM(aHead, 16, "SQLite format 3", 16);
}

TEST(pool245, "pool-245 a slot built from the document is read by the pool"){
  TestPool *p = testPoolNew("pool-245", 3);
  sqlw_db *pMem = testOpenMem();
  unsigned char aHdr[HDR_USED];
  unsigned char *aImg;
  int64_t nImg = 0;
  int rc;
  REQUIRE(p && pMem);
  REQUIRE(testOk(pMem, "CREATE TABLE t(x); INSERT INTO t VALUES('from the document')"));
  aImg = sqlw_export(pMem, &nImg);
  REQUIRE(aImg);
  REQUIRE(testPoolStop(p)==SQLITE_OK);
  poolMakeHeader(aHdr, SQLITE_OPEN_MAIN_DB, "/doc.db");
  rc = testPoolWrite(p, 1, aHdr, HDR_USED, 0.0);
  if( rc==0 ) rc = testPoolWrite(p, 1, aImg, (int)nImg, (double)TESTPOOL_HEADER);
  sqlw_free(aImg);
  REQUIRE(rc==0);
  REQUIRE(testPoolStart(p)==SQLITE_OK);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 2);
  REQUIRE(POOL_OPEN(p, "/doc.db"));
  {
    char zText[64];
    testText(p->pDb, "SELECT x FROM t", zText, sizeof(zText));
    CHECK_STR(zText, "from the document");
  }
  CHECK(POOL_INTEGRITY(p->pDb));
}

TEST(pool250, "pool-250 a header that cannot be read is an I/O error, the slot not added"){
  TestPool *p = testPoolNew("pool-250", 2);
  int h, rc;
  REQUIRE(p);
  /* a third slot file whose header read fails once */
  h = host_open("pool-250/extra", 14, SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE);
  REQUIRE(h>=0);
  faultArm(FAULT_READ, 1, 0);
  rc = sqlw_pool_add_slot(p->pPool, h);
  faultDisarm();
  CHECK_RC(rc, SQLITE_IOERR_READ);
  CHECK_INT(faultHits(), 1);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_SLOTS), 2);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_CORRUPT), 0);
  /* retried, it joins */
  CHECK_RC(sqlw_pool_add_slot(p->pPool, h), SQLITE_OK);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_SLOTS), 3);
  CHECK_INT(sqlw_pool_take_free(p->pPool), h);
  host_close(h);
}

TEST(pool260, "pool-260 claiming a slot on a full storage is SQLITE_FULL, nothing claimed"){
  TestPool *p = testPoolNew("pool-260", 3);
  sqlw_db *pDb = 0;
  int rc;
  REQUIRE(p);
  faultReset();
  faultArm(FAULT_FULL, 1, 1);
  rc = sqlw_open("/app.db", sqlw_pool_vfs(p->pPool), 0, &pDb);
  faultDisarm();
  CHECK_PRIMARY(rc, SQLITE_FULL, SQLITE_CANTOPEN);
  sqlw_close(pDb);
  CHECK(faultHits()>0);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 3);
  REQUIRE(POOL_RESTART(p));
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 3);
  REQUIRE(POOL_OPEN(p, "/app.db"));
  REQUIRE(testOk(p->pDb, "CREATE TABLE t(x)"));
}

/* The name SQLite's xOpen expects: the path, then an empty list of URI parameters. */
static const char azBigName[] = "/big.db\0\0\0";

TEST(pool300, "pool-300 offsets past 2 and 4 GiB reach the slot file exactly"){
  TestPool *p = testPoolNew("pool-300", 2);
  sqlite3_vfs *pVfs;
  sqlite3_file *pFile;
  static const double aOff[] = {
    2147483647.0 - 1,         /* across 2^31 */
    4294967296.0 - 2,         /* across 2^32 */
    5.0*1024*1024*1024 + 3,   /* 5 GiB + 3 */
  };
  sqlite3_int64 iSize = 0;
  int rc, outFlags = 0, iSlot;
  size_t k;
  REQUIRE(p);
  pVfs = sqlite3_vfs_find(sqlw_pool_vfs(p->pPool));
  REQUIRE(pVfs);
  pFile = calloc(1, (size_t)pVfs->szOsFile);
  REQUIRE(pFile);
  harnessDefer(free, pFile);
  rc = pVfs->xOpen(pVfs, azBigName, pFile,
                   SQLITE_OPEN_MAIN_DB|SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE, &outFlags);
  REQUIRE(rc==SQLITE_OK);
  iSlot = testPoolFind(p, "/big.db");
  CHECK(iSlot>=0);
  for(k=0; k<sizeof(aOff)/sizeof(aOff[0]); k++){
    char aBuf[8];
    double iFar = aOff[k];
    rc = pFile->pMethods->xWrite(pFile, "far", 3, (sqlite3_int64)iFar);
    if( rc==SQLITE_FULL ) break;    /* no sparse files here: nothing more to check */
    CHECK_RC(rc, SQLITE_OK);
    CHECK_RC(pFile->pMethods->xRead(pFile, aBuf, 3, (sqlite3_int64)iFar), SQLITE_OK);
    CHECK_MEM(aBuf, 3, "far", 3);
    CHECK_RC(pFile->pMethods->xFileSize(pFile, &iSize), SQLITE_OK);
    CHECK(iSize==(sqlite3_int64)iFar + 3);
    /* in the slot file, after the header, at the full offset */
    CHECK(host_size(p->aH[iSlot])==iFar + 3 + TESTPOOL_HEADER);
    memset(aBuf, 0, sizeof(aBuf));
    CHECK_INT(testPoolRead(p, iSlot, aBuf, 3, iFar + TESTPOOL_HEADER), 3);
    CHECK_MEM(aBuf, 3, "far", 3);
    /* a read past the end is short and zero-filled */
    memset(aBuf, 'x', sizeof(aBuf));
    CHECK_RC(pFile->pMethods->xRead(pFile, aBuf, 8, (sqlite3_int64)iFar), SQLITE_IOERR_SHORT_READ);
    CHECK_MEM(aBuf, 8, "far\0\0\0\0\0", 8);
  }
  /* nothing landed where a 32-bit offset would have put it */
  {
    char aBuf[3] = { 1, 1, 1 };
    double iWrapped = 5.0*1024*1024*1024 + 3 - 4294967296.0 + TESTPOOL_HEADER;
    CHECK(testPoolRead(p, iSlot, aBuf, 3, iWrapped)==3);
    CHECK_MEM(aBuf, 3, "\0\0\0", 3);
  }
  CHECK_RC(pFile->pMethods->xTruncate(pFile, 0), SQLITE_OK);
  CHECK_RC(pFile->pMethods->xFileSize(pFile, &iSize), SQLITE_OK);
  CHECK(iSize==0);
  CHECK_RC(pFile->pMethods->xClose(pFile), SQLITE_OK);
  CHECK_RC(pVfs->xDelete(pVfs, "/big.db", 0), SQLITE_OK);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 2);
  CHECK(host_size(p->aH[iSlot])<=TESTPOOL_HEADER);
}

/* One journal mode and synchronous level of pool-400. */
static void poolModeCase(const char *zDir, const char *zMode, const char *zSync){
  TestPool *p = testPoolNew(zDir, 5);
  sqlw_db *pDb;
  char zSql[200], zBefore[128], zAfter[128], zMode2[32];
  int bWal = strcmp(zMode, "wal")==0;
  if( p==0 ) return;
  pDb = POOL_OPEN(p, "/app.db");
  if( pDb==0 ) return;
  snprintf(zSql, sizeof(zSql), "%sPRAGMA synchronous=%s",
           bWal ? "PRAGMA locking_mode=EXCLUSIVE;" : "", zSync);
  if( !testOk(pDb, zSql) ) return;
  snprintf(zSql, sizeof(zSql), "PRAGMA journal_mode=%s", zMode);
  testText(pDb, zSql, zMode2, sizeof(zMode2));
  CHECK_STR(zMode2, zMode);
  if( !testOk(pDb, POOL_FILL_SQL) ) return;
  if( !testOk(pDb, "BEGIN; DELETE FROM t WHERE id % 7 = 0;"
                   "UPDATE t SET name = name || '!' WHERE id % 5 = 0; COMMIT") ) return;
  if( !testOk(pDb, "BEGIN; INSERT INTO t(name, b) VALUES('rolled back', x'00');"
                   "ROLLBACK") ) return;
  testText(pDb, POOL_DIGEST_SQL, zBefore, sizeof(zBefore));
  if( !POOL_RESTART(p) ) return;
  pDb = POOL_OPEN(p, "/app.db");
  if( pDb==0 ) return;
  if( !testOk(pDb, "PRAGMA locking_mode=EXCLUSIVE") ) return;
  testText(pDb, POOL_DIGEST_SQL, zAfter, sizeof(zAfter));
  CHECK_STR(zAfter, zBefore);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 200 - 28);
  CHECK(POOL_INTEGRITY(pDb));
  /* WAL is recorded in the database header; the rollback modes are not */
  testText(pDb, "PRAGMA journal_mode", zMode2, sizeof(zMode2));
  CHECK_STR(zMode2, bWal ? "wal" : "delete");
}

TEST(pool400, "pool-400 DELETE, synchronous FULL"){ poolModeCase("pool-400", "delete", "FULL"); }
TEST(pool401, "pool-401 DELETE, synchronous NORMAL"){ poolModeCase("pool-401", "delete", "NORMAL"); }
TEST(pool410, "pool-410 TRUNCATE, synchronous FULL"){ poolModeCase("pool-410", "truncate", "FULL"); }
TEST(pool411, "pool-411 TRUNCATE, synchronous NORMAL"){ poolModeCase("pool-411", "truncate", "NORMAL"); }
TEST(pool420, "pool-420 PERSIST, synchronous FULL"){ poolModeCase("pool-420", "persist", "FULL"); }
TEST(pool421, "pool-421 PERSIST, synchronous NORMAL"){ poolModeCase("pool-421", "persist", "NORMAL"); }
TEST(pool430, "pool-430 WAL (exclusive), synchronous FULL"){ poolModeCase("pool-430", "wal", "FULL"); }
TEST(pool431, "pool-431 WAL (exclusive), synchronous NORMAL"){ poolModeCase("pool-431", "wal", "NORMAL"); }

/* pool-440: sqlw_set_durability(eMode) on a pool database, then a restart. */
static void poolDurabilityCase(const char *zDir, int eMode, const char *zSync){
  TestPool *p = testPoolNew(zDir, 4);
  char zText[32];
  if( p==0 || POOL_OPEN(p, "/app.db")==0 ) return;
  CHECK_RC(sqlw_set_durability(p->pDb, eMode), SQLITE_OK);
  testText(p->pDb, "PRAGMA journal_mode", zText, sizeof(zText));
  CHECK_STR(zText, "wal");
  testText(p->pDb, "PRAGMA locking_mode", zText, sizeof(zText));
  CHECK_STR(zText, "exclusive");
  CHECK_INT(testInt(p->pDb, "PRAGMA synchronous"), strcmp(zSync, "FULL")==0 ? 2 : 1);
  if( !testOk(p->pDb, POOL_FILL_SQL) ) return;
  CHECK(testPoolFind(p, "/app.db-wal")>=0);
  if( !POOL_RESTART(p) || POOL_OPEN(p, "/app.db")==0 ) return;
  CHECK_RC(sqlw_set_durability(p->pDb, eMode), SQLITE_OK);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM t"), 200);
  CHECK(POOL_INTEGRITY(p->pDb));
}

TEST(pool440, "pool-440 SQLW_DURABLE: WAL, exclusive, synchronous FULL, survives a restart"){
  poolDurabilityCase("pool-440", SQLW_DURABLE, "FULL");
}

TEST(pool441, "pool-441 SQLW_RELAXED: WAL, exclusive, synchronous NORMAL"){
  poolDurabilityCase("pool-441", SQLW_RELAXED, "NORMAL");
}

TEST(pool500, "pool-500 temporary files stay in memory"){
  TestPool *p = testPoolNew("pool-500", 3);
  sqlw_db *pDb;
  REQUIRE(p);
  pDb = POOL_OPEN(p, "/app.db");
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "PRAGMA journal_mode=PERSIST; CREATE TABLE t(x)"));
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 1);
  REQUIRE(testOk(pDb,
      "CREATE TEMP TABLE tt(x);"
      "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<20000)"
      " INSERT INTO tt SELECT randomblob(100) FROM c;"
      "BEGIN; INSERT INTO t SELECT x FROM tt ORDER BY x; UPDATE t SET x = zeroblob(10)"
      " WHERE rowid % 2 = 0; COMMIT"));
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_FREE), 1);
  CHECK_INT(sqlw_pool_stat(p->pPool, SQLW_POOL_SLOTS), 3);
  CHECK_INT(testInt(pDb, "SELECT count(DISTINCT x) FROM t"), 10001);
}

TEST(pool510, "pool-510 export, import into another pool, export: the same bytes"){
  TestPool *pA = testPoolNew("pool-510a", 4);
  TestPool *pB = testPoolNew("pool-510b", 4);
  unsigned char *aA = 0, *aB = 0;
  int64_t nA = 0, nB = 0;
  int rc;
  REQUIRE(pA && pB);
  REQUIRE(POOL_OPEN(pA, "/app.db"));
  REQUIRE(testOk(pA->pDb, POOL_FILL_SQL));
  aA = sqlw_export(pA->pDb, &nA);
  REQUIRE(aA);
  harnessDefer(sqlw_free, aA);
  REQUIRE(POOL_OPEN(pB, "/app.db"));
  REQUIRE(testOk(pB->pDb, "CREATE TABLE old(x); INSERT INTO old VALUES(1)"));
  rc = sqlw_import(pB->pDb, aA, (size_t)nA);
  CHECK_RC(rc, SQLITE_OK);
  REQUIRE(POOL_RESTART(pB));
  REQUIRE(POOL_OPEN(pB, "/app.db"));
  aB = sqlw_export(pB->pDb, &nB);
  REQUIRE(aB);
  harnessDefer(sqlw_free, aB);
  REQUIRE(nB==nA && nA>=100);
  {
    /* every byte but the header fields that count commits, which an import advances
    ** on purpose (sqlw.h): change counter, schema cookie, version-valid-for */
    unsigned char aHdrA[100], aHdrB[100];
    memcpy(aHdrA, aA, 100);
    memcpy(aHdrB, aB, 100);
    CHECK_MEM(aHdrB+24, 4, aHdrB+92, 4);      /* version-valid-for = change counter */
    memset(aHdrA+24, 0, 4); memset(aHdrA+40, 0, 4); memset(aHdrA+92, 0, 4);
    memset(aHdrB+24, 0, 4); memset(aHdrB+40, 0, 4); memset(aHdrB+92, 0, 4);
    CHECK_MEM(aHdrB, 100, aHdrA, 100);
    CHECK_MEM(aB+100, (size_t)nB-100, aA+100, (size_t)nA-100);
  }
  CHECK_INT(testInt(pB->pDb, "SELECT count(*) FROM sqlite_schema WHERE name='old'"), 0);
  CHECK(POOL_INTEGRITY(pB->pDb));
}

TEST(pool520, "pool-520 two pools at once keep their databases apart"){
  TestPool *pA = testPoolNew("pool-520a", 3);
  TestPool *pB = testPoolNew("pool-520b", 3);
  REQUIRE(pA && pB);
  REQUIRE(POOL_OPEN(pA, "/app.db"));
  REQUIRE(POOL_OPEN(pB, "/app.db"));
  REQUIRE(testOk(pA->pDb, "CREATE TABLE a(x); INSERT INTO a VALUES('A')"));
  REQUIRE(testOk(pB->pDb, "CREATE TABLE b(x); INSERT INTO b VALUES('B')"));
  REQUIRE(POOL_RESTART(pA));
  REQUIRE(POOL_RESTART(pB));
  REQUIRE(POOL_OPEN(pA, "/app.db"));
  REQUIRE(POOL_OPEN(pB, "/app.db"));
  CHECK_INT(testInt(pA->pDb, "SELECT count(*) FROM sqlite_schema WHERE name='b'"), 0);
  CHECK_INT(testInt(pB->pDb, "SELECT count(*) FROM sqlite_schema WHERE name='a'"), 0);
  CHECK_INT(testInt(pA->pDb, "SELECT count(*) FROM a"), 1);
  CHECK_INT(testInt(pB->pDb, "SELECT count(*) FROM b"), 1);
}

TEST(pool530, "pool-530 VACUUM shrinks the database inside its slot"){
  TestPool *p = testPoolNew("pool-530", 4);
  double rBefore, rAfter;
  int iSlot;
  REQUIRE(p);
  REQUIRE(POOL_OPEN(p, "/app.db"));
  REQUIRE(testOk(p->pDb, POOL_FILL_SQL));
  iSlot = testPoolFind(p, "/app.db");
  REQUIRE(iSlot>=0);
  rBefore = host_size(p->aH[iSlot]);
  REQUIRE(testOk(p->pDb, "DELETE FROM t WHERE id > 10; VACUUM"));
  rAfter = host_size(p->aH[iSlot]);
  CHECK(rAfter < rBefore/4);
  CHECK_INT(testInt(p->pDb, "PRAGMA page_count") * testInt(p->pDb, "PRAGMA page_size")
            + TESTPOOL_HEADER, (int64_t)rAfter);
  REQUIRE(POOL_RESTART(p));
  REQUIRE(POOL_OPEN(p, "/app.db"));
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM t"), 10);
  CHECK(POOL_INTEGRITY(p->pDb));
}

TEST(pool600, "pool-600 abuse: NULL pools, unknown counters, no free slot"){
  static sqlw_pool *pPool = 0;
  harnessDefer(poolDestroyDeferred, &pPool);
  CHECK_INT(sqlw_pool_stat(0, SQLW_POOL_SLOTS), -1);
  CHECK_INT(sqlw_pool_take_free(0), -1);
  CHECK_RC(sqlw_pool_add_slot(0, 0), SQLITE_MISUSE);
  CHECK_RC(sqlw_pool_destroy(0), SQLITE_OK);
  CHECK(sqlw_pool_vfs(0)==0);
  CHECK_RC(sqlw_pool_create("p600", &pPool), SQLITE_OK);
  REQUIRE(pPool);
  CHECK_INT(sqlw_pool_stat(pPool, 0), -1);
  CHECK_INT(sqlw_pool_stat(pPool, 99), -1);
  CHECK_INT(sqlw_pool_take_free(pPool), -1);
  CHECK_RC(sqlw_pool_add_slot(pPool, -1), SQLITE_MISUSE);
  CHECK_RC(sqlw_pool_wipe(pPool), SQLITE_OK);
  /* an empty pool wants slots and cannot hold a database */
  CHECK(sqlw_pool_stat(pPool, SQLW_POOL_WANTED)>0);
  {
    sqlw_db *pDb = 0;
    int rc = sqlw_open("/app.db", sqlw_pool_vfs(pPool), 0, &pDb);
    CHECK_PRIMARY(rc, SQLITE_FULL, SQLITE_CANTOPEN);
    sqlw_close(pDb);
  }
}
