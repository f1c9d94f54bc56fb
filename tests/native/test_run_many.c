/*
** test_run_many.c — sqlw_run_many(): one statement for many parameter sets, atomic.
*/
#include <stdio.h>
#include <string.h>

#include "sqlite3.h"
#include "support.h"

/* Frees the Wp given to harnessDefer(). */
static void manyFreeWp(void *p){
  wpFree((Wp*)p);
  sqlite3_free(p);
}

/* Returns a new Wp freed when the test ends, or NULL if out of memory. */
static Wp *manyNewWp(void){
  Wp *p = (Wp*)sqlite3_malloc64(sizeof(Wp));
  if( p==0 ) return 0;
  wpInit(p);
  harnessDefer(manyFreeWp, p);
  return p;
}

/*
** Adds nRow sets (i, "name-i") for i = 1..nRow to pWp, except that set iDup (1-based;
** 0 for none) repeats the id of set 1, and returns the finished buffer.
*/
static const unsigned char *manyRows(Wp *pWp, int nRow, int iDup, size_t *pn){
  int i;
  for(i=1; i<=nRow; i++){
    char zName[32];
    int n = snprintf(zName, sizeof(zName), "name-%d", i);
    wpInt(pWp, i==iDup ? 1 : i);
    wpText(pWp, zName, (size_t)n);
  }
  return wpFinish(pWp, 2, pn);
}

TEST(runmany100, "runmany-100 10,000 sets insert 10,000 rows"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = manyNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  char zText[32];
  REQUIRE(pDb && pWp);
  REQUIRE(testOk(pDb, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)"));
  a = manyRows(pWp, 10000, 0, &n);
  REQUIRE(a);
  pRes = testRunMany(pDb, "INSERT INTO t VALUES(?, ?)", a, n);
  CHECK_RC(pRes->rc, SQLITE_OK);
  CHECK_INT(pRes->nChange, 10000);
  CHECK_INT(pRes->nSet, 0);
  CHECK_INT(pRes->iLastRowid, 10000);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 10000);
  CHECK_INT(testInt(pDb, "SELECT sum(id) FROM t"), 50005000);
  testText(pDb, "SELECT name FROM t WHERE id=7777", zText, sizeof(zText));
  CHECK_STR(zText, "name-7777");
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 1);
}

TEST(runmany110, "runmany-110 a failing set in the middle leaves no rows"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = manyNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb && pWp);
  REQUIRE(testOk(pDb, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)"));
  a = manyRows(pWp, 10000, 5000, &n);
  REQUIRE(a);
  pRes = testRunMany(pDb, "INSERT INTO t VALUES(?, ?)", a, n);
  CHECK_RC(pRes->rc, SQLITE_CONSTRAINT_PRIMARYKEY);
  CHECK(pRes->err.n>0);
  CHECK_INT(pRes->nSet, 0);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 0);
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 1);
  /* the same sets without the duplicate then succeed */
  wpFree(pWp);
  wpInit(pWp);
  a = manyRows(pWp, 10000, 0, &n);
  REQUIRE(a);
  pRes = testRunMany(pDb, "INSERT INTO t VALUES(?, ?)", a, n);
  CHECK_RC(pRes->rc, SQLITE_OK);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 10000);
}

TEST(runmany120, "runmany-120 inside BEGIN only the run-many part rolls back"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = manyNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb && pWp);
  REQUIRE(testOk(pDb, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)"));
  REQUIRE(testOk(pDb, "BEGIN; INSERT INTO t VALUES(-1, 'before')"));
  a = manyRows(pWp, 1000, 600, &n);
  REQUIRE(a);
  pRes = testRunMany(pDb, "INSERT INTO t VALUES(?, ?)", a, n);
  CHECK_RC(pRes->rc, SQLITE_CONSTRAINT_PRIMARYKEY);
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 0);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 1);
  REQUIRE(testOk(pDb, "COMMIT"));
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 1);
  CHECK_INT(testInt(pDb, "SELECT id FROM t"), -1);
}

TEST(runmany130, "runmany-130 inside BEGIN a success stays in the transaction"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = manyNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb && pWp);
  REQUIRE(testOk(pDb, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)"));
  REQUIRE(testOk(pDb, "BEGIN"));
  a = manyRows(pWp, 100, 0, &n);
  REQUIRE(a);
  pRes = testRunMany(pDb, "INSERT INTO t VALUES(?, ?)", a, n);
  CHECK_RC(pRes->rc, SQLITE_OK);
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 0);
  REQUIRE(testOk(pDb, "ROLLBACK"));
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 0);
}

TEST(runmany140, "runmany-140 RETURNING rows of every set form one result set"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = manyNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb && pWp);
  REQUIRE(testOk(pDb, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)"));
  a = manyRows(pWp, 3, 0, &n);
  REQUIRE(a);
  pRes = testRunMany(pDb, "INSERT INTO t VALUES(?, ?) RETURNING id*10, name", a, n);
  REQUIRE(pRes->rc==SQLITE_OK);
  CHECK_INT(pRes->nChange, 3);
  REQUIRE(pRes->nSet==1);
  REQUIRE(pRes->aSet[0].nRow==3);
  CHECK_INT(pRes->aSet[0].nCol, 2);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 0), 10);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 2, 0), 30);
  CHECK_VAL_TEXT(wrCell(&pRes->aSet[0], 2, 1), "name-3");
}

TEST(runmany150, "runmany-150 a SELECT runs once per set"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = manyNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb && pWp);
  wpInt(pWp, 1);
  wpInt(pWp, 2);
  wpInt(pWp, 3);
  a = wpFinish(pWp, 1, &n);
  REQUIRE(a);
  pRes = testRunMany(pDb, "SELECT ?1 * 2", a, n);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  REQUIRE(pRes->aSet[0].nRow==3);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 0), 2);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 1, 0), 4);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 2, 0), 6);
}

TEST(runmany160, "runmany-160 named sets bind by name"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = manyNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb && pWp);
  REQUIRE(testOk(pDb, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)"));
  wpName(pWp, "name");
  wpName(pWp, "id");
  wpText(pWp, "x", 1);
  wpInt(pWp, 1);
  wpText(pWp, "y", 1);
  wpInt(pWp, 2);
  a = wpFinish(pWp, 2, &n);
  REQUIRE(a);
  pRes = testRunMany(pDb, "INSERT INTO t VALUES(:id, :name)", a, n);
  CHECK_RC(pRes->rc, SQLITE_OK);
  CHECK_INT(pRes->nChange, 2);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t WHERE (id, name) IN "
                         "(VALUES(1, 'x'), (2, 'y'))"), 2);
}

TEST(runmany170, "runmany-170 more than one statement is MISUSE"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = manyNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb && pWp);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x)"));
  wpInt(pWp, 1);
  a = wpFinish(pWp, 1, &n);
  REQUIRE(a);
  pRes = testRunMany(pDb, "INSERT INTO t VALUES(?); INSERT INTO t VALUES(2)", a, n);
  CHECK_RC(pRes->rc, SQLITE_MISUSE);
  CHECK(pRes->err.n>0);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 0);
}

TEST(runmany180, "runmany-180 a set with the wrong value count is RANGE, nothing kept"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = manyNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb && pWp);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x, y)"));
  wpInt(pWp, 1);
  wpInt(pWp, 2);
  wpInt(pWp, 3);
  a = wpFinish(pWp, 3, &n);
  REQUIRE(a);
  pRes = testRunMany(pDb, "INSERT INTO t VALUES(?, ?)", a, n);
  CHECK_RC(pRes->rc, SQLITE_RANGE);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 0);
}

TEST(runmany190, "runmany-190 zero sets run nothing"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = manyNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb && pWp);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x)"));
  a = wpFinishRaw(pWp, 1, 0, 0, 1, 0, &n);
  REQUIRE(a);
  pRes = testRunMany(pDb, "INSERT INTO t VALUES(?)", a, n);
  CHECK_RC(pRes->rc, SQLITE_OK);
  CHECK_INT(pRes->nChange, 0);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 0);
}

TEST(runmany200, "runmany-200 a syntax error is ERROR with its offset"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = manyNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb && pWp);
  wpInt(pWp, 1);
  a = wpFinish(pWp, 1, &n);
  REQUIRE(a);
  pRes = testRunMany(pDb, "INSERT INTO t VALUS(?)", a, n);
  CHECK_RC(pRes->rc, SQLITE_ERROR);
  CHECK(pRes->iErrOffset>=0);
}

TEST(runmany210, "runmany-210 a malformed buffer is refused and nothing runs"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = manyNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb && pWp);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x)"));
  wpInt(pWp, 1);
  wpInt(pWp, 2);
  wpInt(pWp, 3);
  /* claims four sets, holds three */
  a = wpFinishRaw(pWp, 1, 0, 0, 1, 4, &n);
  REQUIRE(a);
  pRes = testRunMany(pDb, "INSERT INTO t VALUES(?)", a, n);
  CHECK_PRIMARY(pRes->rc, SQLITE_MISUSE, SQLITE_RANGE);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 0);
}

TEST(runmany220, "runmany-220 transaction control is refused and changes nothing"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  static const char *azSql[] = { "COMMIT", "ROLLBACK", "END" };
  size_t i;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x)"));
  for(i=0; i<sizeof(azSql)/sizeof(azSql[0]); i++){
    REQUIRE(testOk(pDb, "BEGIN; INSERT INTO t VALUES(1)"));
    pRes = testRunMany(pDb, azSql[i], 0, 0);
    if( pRes->rc==SQLITE_OK ) FAIL("run_many(\"%s\") succeeded", azSql[i]);
    /* the caller's transaction is neither committed nor rolled back by a failed call */
    if( sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT)!=0 ){
      FAIL("run_many(\"%s\") returned %s but ended the caller's transaction", azSql[i],
           sqlw_code_name(pRes->rc));
      continue;
    }
    REQUIRE(testOk(pDb, "ROLLBACK"));
    CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 0);
  }
}

TEST(runmany230, "runmany-230 BEGIN is refused and leaves no transaction open"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  pRes = testRunMany(pDb, "BEGIN", 0, 0);
  CHECK(pRes->rc!=SQLITE_OK);
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 1);
}
