/*
** test_abuse.c — the public API called the wrong way: a NULL connection, a connection
** whose open failed, NULL buffers with lengths. Every call must fail with a code (or a
** documented neutral value), never crash.
*/
#include <string.h>

#include "sqlite3.h"
#include "support.h"

TEST(abuse100, "abuse-100 requests on a NULL connection are MISUSE"){
  int64_t n = 99;
  CHECK_RC(sqlw_exec(0, "SELECT 1", 8, 0, 0), SQLITE_MISUSE);
  CHECK_RC(sqlw_run_many(0, "SELECT 1", 8, 0, 0), SQLITE_MISUSE);
  CHECK_RC(sqlw_import(0, (const unsigned char*)"x", 1), SQLITE_MISUSE);
  CHECK(sqlw_export(0, &n)==0);
  CHECK_INT(n, 0);
  CHECK_RC(sqlw_errcode(0), SQLITE_MISUSE);
  CHECK(sqlw_errmsg(0)!=0);
  CHECK_INT(sqlw_error_offset(0), -1);
  CHECK_RC(sqlw_close(0), SQLITE_OK);
  sqlw_free(0);
}

TEST(abuse110, "abuse-110 stat and result of a NULL connection are neutral"){
  size_t n = 99;
  const unsigned char *a;
  CHECK_INT(sqlw_stat(0, SQLW_STAT_CACHE_HITS), -1);
  a = sqlw_result(0, &n);
  CHECK(a==0);
  CHECK_INT(n, 0);
}

TEST(abuse120, "abuse-120 a connection whose open failed refuses requests"){
  sqlw_db *pDb = 0;
  int64_t n = 0;
  const WrResult *pRes;
  int rc = sqlw_open("no-such-dir/abuse.db", "host", 0, &pDb);
  CHECK_RC(rc, SQLITE_CANTOPEN);
  REQUIRE(pDb!=0);
  pRes = testExec(pDb, "SELECT 1", 0, 0);
  CHECK_PRIMARY(pRes->rc, SQLITE_MISUSE, SQLITE_CANTOPEN);
  pRes = testRunMany(pDb, "SELECT 1", 0, 0);
  CHECK_PRIMARY(pRes->rc, SQLITE_MISUSE, SQLITE_CANTOPEN);
  CHECK(sqlw_export(pDb, &n)==0);
  CHECK(sqlw_errcode(pDb)!=SQLITE_OK);
  rc = sqlw_import(pDb, (const unsigned char*)"SQLite format 3", 16);
  CHECK(rc!=SQLITE_OK);
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_CACHE_SIZE), 0);
  sqlw_close(pDb);
}

TEST(abuse130, "abuse-130 NULL SQL of length 0 is an empty request"){
  sqlw_db *pDb = testOpenMem();
  int rc;
  const WrResult *pRes;
  REQUIRE(pDb);
  rc = sqlw_exec(pDb, 0, 0, 0, 0);
  pRes = testLastResult(pDb, rc);
  CHECK_RC(pRes->rc, SQLITE_OK);
  CHECK_INT(pRes->nStatement, 0);
  rc = sqlw_run_many(pDb, 0, 0, 0, 0);
  pRes = testLastResult(pDb, rc);
  CHECK_RC(pRes->rc, SQLITE_MISUSE);
}

TEST(abuse140, "abuse-140 the result buffer is replaced, not appended"){
  sqlw_db *pDb = testOpenMem();
  size_t n1 = 0, n2 = 0;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "SELECT 1, 2, 3, 'a fairly long text value to grow the buffer'"));
  sqlw_result(pDb, &n1);
  REQUIRE(testOk(pDb, "SELECT 1"));
  sqlw_result(pDb, &n2);
  CHECK(n2<n1);
  /* a request that fails before running leaves a complete buffer too */
  testExec(pDb, "SELECT ?", (const unsigned char*)"SQWP", 4);
  sqlw_result(pDb, &n2);
  CHECK(n2>=40);
}
