/*
** test_batch.c — sqlw_batch(): several statements with their own parameters, run in
** order and atomically, answered with a result list (docs/format.md, SQWB and SQWL).
**
** The batch buffers are built here byte by byte from the document, and the result list
** is read the same way, so the core is checked against the format, not against itself.
*/
#include <stdio.h>
#include <string.h>

#include "sqlite3.h"
#include "support.h"

/* A batch buffer under construction: header, then items appended by batchItem(). */
typedef struct Batch {
  unsigned char a[8192];
  size_t n;
  uint32_t nItem;
} Batch;

static void put32(unsigned char *a, uint32_t v){
  a[0] = (unsigned char)v; a[1] = (unsigned char)(v>>8);
  a[2] = (unsigned char)(v>>16); a[3] = (unsigned char)(v>>24);
}

static uint32_t get32(const unsigned char *a){
  return (uint32_t)a[0] | (uint32_t)a[1]<<8 | (uint32_t)a[2]<<16 | (uint32_t)a[3]<<24;
}

/* Starts an empty batch. */
static void batchInit(Batch *b){
  memset(b, 0, sizeof(*b));
  memcpy(b->a, "SQWB", 4);
  b->a[4] = 1;
  b->n = 12;
}

/* Appends an item: zSql with the parameter buffer a[0..n) (n = 0: none). */
static void batchItem(Batch *b, const char *zSql, const unsigned char *a, size_t n){
  size_t nSql = strlen(zSql);
  put32(b->a+b->n, (uint32_t)nSql);
  memcpy(b->a+b->n+4, zSql, nSql);
  b->n += 4+nSql;
  put32(b->a+b->n, (uint32_t)n);
  if( n ) memcpy(b->a+b->n+4, a, n);
  b->n += 4+n;
  b->nItem++;
  put32(b->a+8, b->nItem);
}

/* The parsed head of a result list, and its results' positions. */
typedef struct List {
  int rc;
  int iFail;
  uint32_t nResult;
  const unsigned char *aRes[16];
  size_t nRes[16];
} List;

/* Reads the connection's result buffer as a result list. Returns 0 when well formed. */
static int listRead(sqlw_db *pDb, List *p){
  size_t n, off = 20;
  const unsigned char *a = sqlw_result(pDb, &n);
  uint32_t i;
  memset(p, 0, sizeof(*p));
  if( a==0 || n<20 || memcmp(a, "SQWL", 4)!=0 || a[4]!=1 || a[5] || a[6] || a[7] ) return 1;
  p->rc = (int)get32(a+8);
  p->iFail = (int)get32(a+12);
  p->nResult = get32(a+16);
  if( p->nResult>16 ) return 1;
  for(i=0; i<p->nResult; i++){
    if( n-off<4 || n-off-4<get32(a+off) ) return 1;
    p->nRes[i] = get32(a+off);
    p->aRes[i] = a+off+4;
    off += 4+p->nRes[i];
  }
  return off!=n;
}

/* One INTEGER parameter as a SQWP buffer (written by hand: header, tag, 8 bytes). */
static const unsigned char *oneInt(unsigned char *a, int64_t v, size_t *pn){
  int k;
  memset(a, 0, 29);
  memcpy(a, "SQWP", 4);
  a[4] = 1;
  a[12] = 1;                       /* nValue */
  a[16] = 1;                       /* nSet */
  a[20] = 1;                       /* INTEGER */
  for(k=0; k<8; k++) a[21+k] = (unsigned char)((uint64_t)v>>(8*k));
  *pn = 29;
  return a;
}

TEST(batchok, "batch-1 items run in order; each has its own result"){
  sqlw_db *pDb = testOpenMem();
  Batch b;
  List l;
  WrResult res;
  unsigned char aP[29];
  size_t nP;
  REQUIRE(pDb);
  batchInit(&b);
  batchItem(&b, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)", 0, 0);
  batchItem(&b, "INSERT INTO t(v) VALUES(?)", oneInt(aP, 41, &nP), nP);
  batchItem(&b, "INSERT INTO t(v) VALUES(?)", oneInt(aP, 42, &nP), nP);
  batchItem(&b, "SELECT v FROM t ORDER BY id", 0, 0);
  CHECK_RC(sqlw_batch(pDb, b.a, b.n), SQLITE_OK);
  REQUIRE(listRead(pDb, &l)==0);
  CHECK_RC(l.rc, SQLITE_OK);
  CHECK_INT(l.iFail, -1);
  REQUIRE(l.nResult==4);
  memset(&res, 0, sizeof(res));
  REQUIRE(wrParse(l.aRes[2], l.nRes[2], &res)==0);
  CHECK_INT(res.nChange, 1);
  CHECK_INT(res.iLastRowid, 2);
  wrFree(&res);
  REQUIRE(wrParse(l.aRes[3], l.nRes[3], &res)==0);
  REQUIRE(res.nSet==1 && res.aSet[0].nRow==2);
  CHECK_INT(wrCell(&res.aSet[0], 0, 0)->i, 41);
  CHECK_INT(wrCell(&res.aSet[0], 1, 0)->i, 42);
  wrFree(&res);
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 1);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 2);
}

TEST(batchfail, "batch-2 a failing item undoes every item; the list ends with it"){
  sqlw_db *pDb = testOpenMem();
  Batch b;
  List l;
  WrResult res;
  unsigned char aP[29];
  size_t nP;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(id INTEGER PRIMARY KEY, v UNIQUE); INSERT INTO t(v) VALUES(1)"));
  batchInit(&b);
  batchItem(&b, "INSERT INTO t(v) VALUES(?)", oneInt(aP, 2, &nP), nP);
  batchItem(&b, "INSERT INTO t(v) VALUES(?)", oneInt(aP, 1, &nP), nP);
  batchItem(&b, "INSERT INTO t(v) VALUES(3)", 0, 0);
  CHECK_RC(sqlw_batch(pDb, b.a, b.n), SQLITE_CONSTRAINT_UNIQUE);
  REQUIRE(listRead(pDb, &l)==0);
  CHECK_RC(l.rc, SQLITE_CONSTRAINT_UNIQUE);
  CHECK_INT(l.iFail, 1);
  REQUIRE(l.nResult==2);
  memset(&res, 0, sizeof(res));
  REQUIRE(wrParse(l.aRes[1], l.nRes[1], &res)==0);
  CHECK_RC(res.rc, SQLITE_CONSTRAINT_UNIQUE);
  CHECK(res.err.n>0 && strstr((const char*)res.err.z, "UNIQUE")!=0);
  wrFree(&res);
  CHECK_INT(sqlw_errcode(pDb), SQLITE_CONSTRAINT_UNIQUE);
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 1);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 1);
}

TEST(batchintx, "batch-3 inside the caller's transaction: nested, the caller decides"){
  sqlw_db *pDb = testOpenMem();
  Batch b;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(v UNIQUE); BEGIN; INSERT INTO t VALUES(1)"));
  batchInit(&b);
  batchItem(&b, "INSERT INTO t VALUES(2)", 0, 0);
  CHECK_RC(sqlw_batch(pDb, b.a, b.n), SQLITE_OK);
  batchInit(&b);
  batchItem(&b, "INSERT INTO t VALUES(3)", 0, 0);
  batchItem(&b, "INSERT INTO t VALUES(1)", 0, 0);
  CHECK_RC(sqlw_batch(pDb, b.a, b.n), SQLITE_CONSTRAINT_UNIQUE);
  /* The failed batch is undone; the caller's work and the first batch remain. */
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 0);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 2);
  CHECK_INT(testInt(pDb, "SELECT sum(v) FROM t"), 3);
  REQUIRE(testOk(pDb, "ROLLBACK"));
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 0);
}

TEST(batchtxn, "batch-4 transaction control is refused before anything runs"){
  static const char *azBad[] = { "COMMIT", "  begin immediate", "SAVEPOINT x",
                                 "/* c */ ROLLBACK", "release x", "END" };
  sqlw_db *pDb = testOpenMem();
  size_t i;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(v)"));
  for(i=0; i<sizeof(azBad)/sizeof(azBad[0]); i++){
    Batch b;
    List l;
    batchInit(&b);
    batchItem(&b, "INSERT INTO t VALUES(1)", 0, 0);
    batchItem(&b, azBad[i], 0, 0);
    CHECK_RC(sqlw_batch(pDb, b.a, b.n), SQLITE_MISUSE);
    REQUIRE(listRead(pDb, &l)==0);
    CHECK_INT(l.iFail, 1);
    CHECK_INT(l.nResult, 1);
  }
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 0);
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 1);
}

TEST(batchscript, "batch-5 a script item that commits is reported, not hidden"){
  sqlw_db *pDb = testOpenMem();
  Batch b;
  List l;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(v)"));
  batchInit(&b);
  batchItem(&b, "INSERT INTO t VALUES(1); COMMIT", 0, 0);
  CHECK_RC(sqlw_batch(pDb, b.a, b.n), SQLITE_MISUSE);
  REQUIRE(listRead(pDb, &l)==0);
  CHECK_INT(l.iFail, 0);
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 1);
  /* The database stays usable. */
  CHECK(testOk(pDb, "INSERT INTO t VALUES(2)"));
}

TEST(batchmalformed, "batch-6 malformed buffers are SQLITE_MISUSE, never a crash"){
  sqlw_db *pDb = testOpenMem();
  Batch b;
  List l;
  size_t n;
  REQUIRE(pDb);
  CHECK_RC(sqlw_batch(pDb, 0, 0), SQLITE_MISUSE);
  CHECK_RC(sqlw_batch(pDb, (const unsigned char*)"SQWX\1\0\0\0\0\0\0\0", 12), SQLITE_MISUSE);
  batchInit(&b);
  batchItem(&b, "SELECT 1", 0, 0);
  /* Every truncation of a good buffer is refused. */
  for(n=0; n<b.n; n++) CHECK_RC(sqlw_batch(pDb, b.a, n), SQLITE_MISUSE);
  /* A trailing byte, an item count past the items, a length past the end. */
  CHECK_RC(sqlw_batch(pDb, b.a, b.n+1), SQLITE_MISUSE);
  put32(b.a+8, 2);
  CHECK_RC(sqlw_batch(pDb, b.a, b.n), SQLITE_MISUSE);
  put32(b.a+8, 1);
  put32(b.a+12, 0xfffffff0u);
  CHECK_RC(sqlw_batch(pDb, b.a, b.n), SQLITE_MISUSE);
  REQUIRE(listRead(pDb, &l)==0);
  CHECK_INT(l.iFail, 0);
  b.a[4] = 2;
  put32(b.a+12, 8);
  CHECK_RC(sqlw_batch(pDb, b.a, b.n), SQLITE_MISUSE);
  /* A bad parameter buffer inside an item fails that item. */
  batchInit(&b);
  batchItem(&b, "SELECT ?", (const unsigned char*)"SQWPxxxx", 8);
  CHECK_RC(sqlw_batch(pDb, b.a, b.n), SQLITE_MISUSE);
  /* Empty: nothing runs, success. */
  batchInit(&b);
  CHECK_RC(sqlw_batch(pDb, b.a, b.n), SQLITE_OK);
  REQUIRE(listRead(pDb, &l)==0);
  CHECK_INT(l.nResult, 0);
  CHECK_INT(l.iFail, -1);
}
