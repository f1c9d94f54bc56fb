/*
** test_open.c — sqlw_open() and sqlw_close() on the "memdb" and "host" VFSes.
**
** The host cases use files in the current directory, which the build runs in a fresh
** temporary directory; each case removes its files first so a re-run starts clean.
*/
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sqlite3.h"
#include "support.h"

TEST(open100, "open-100 memdb opens and closes"){
  sqlw_db *pDb = 0;
  CHECK_RC(sqlw_open("m100", "memdb", 0, &pDb), SQLITE_OK);
  REQUIRE(pDb!=0);
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 1);
  CHECK_RC(sqlw_errcode(pDb), SQLITE_OK);
  CHECK_RC(sqlw_close(pDb), SQLITE_OK);
}

TEST(open110, "open-110 close of NULL is a no-op"){
  CHECK_RC(sqlw_close(0), SQLITE_OK);
}

TEST(open120, "open-120 memdb connections are private"){
  sqlw_db *pA = testOpen("same-name", "memdb");
  sqlw_db *pB = testOpen("same-name", "memdb");
  REQUIRE(pA && pB);
  REQUIRE(testOk(pA, "CREATE TABLE t(x); INSERT INTO t VALUES(1)"));
  CHECK_INT(testInt(pA, "SELECT count(*) FROM t"), 1);
  CHECK_INT(testInt(pB, "SELECT count(*) FROM sqlite_schema"), 0);
}

TEST(open130, "open-130 memdb data is gone after close"){
  sqlw_db *pDb = testOpen("m130", "memdb");
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x)"));
  testClose(pDb);
  pDb = testOpen("m130", "memdb");
  REQUIRE(pDb);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM sqlite_schema"), 0);
}

TEST(open200, "open-200 host file persists across reopen"){
  const char *zFile = "open-200.db";
  sqlw_db *pDb;
  char zText[64];
  testRemoveDb(zFile);
  pDb = testOpen(zFile, "host");
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT);"
                      "INSERT INTO t(name) VALUES('alpha'),('beta'),('gamma')"));
  testClose(pDb);
  CHECK(access(zFile, F_OK)==0);

  pDb = testOpen(zFile, "host");
  REQUIRE(pDb);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 3);
  testText(pDb, "SELECT group_concat(name, ',') FROM (SELECT name FROM t ORDER BY id)",
           zText, sizeof(zText));
  CHECK_STR(zText, "alpha,beta,gamma");
  testText(pDb, "PRAGMA integrity_check", zText, sizeof(zText));
  CHECK_STR(zText, "ok");
}

TEST(open210, "open-210 host file starts with the SQLite header"){
  const char *zFile = "open-210.db";
  sqlw_db *pDb;
  FILE *pF;
  char aHead[16];
  testRemoveDb(zFile);
  pDb = testOpen(zFile, "host");
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x); INSERT INTO t VALUES(42)"));
  testClose(pDb);
  pF = fopen(zFile, "rb");
  REQUIRE(pF!=0);
  CHECK_INT(fread(aHead, 1, 16, pF), 16);
  fclose(pF);
  CHECK_MEM(aHead, 16, "SQLite format 3", 16);
}

TEST(open220, "open-220 rollback on a host file leaves no journal"){
  const char *zFile = "open-220.db";
  sqlw_db *pDb;
  testRemoveDb(zFile);
  pDb = testOpen(zFile, "host");
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x); INSERT INTO t VALUES(1)"));
  REQUIRE(testOk(pDb, "BEGIN; INSERT INTO t VALUES(2); INSERT INTO t VALUES(3)"));
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 0);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 3);
  REQUIRE(testOk(pDb, "ROLLBACK"));
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 1);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 1);
  CHECK(access("open-220.db-journal", F_OK)!=0);
  testClose(pDb);

  pDb = testOpen(zFile, "host");
  REQUIRE(pDb);
  CHECK_INT(testInt(pDb, "SELECT sum(x) FROM t"), 1);
}

TEST(open230, "open-230 default VFS is host"){
  const char *zFile = "open-230.db";
  sqlw_db *pDb;
  testRemoveDb(zFile);
  pDb = testOpen(zFile, 0);
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x)"));
  testClose(pDb);
  CHECK(access(zFile, F_OK)==0);
}

TEST(open300, "open-300 missing file without CREATE is CANTOPEN"){
  sqlw_db *pDb = 0;
  int rc;
  testRemoveDb("open-300.db");
  rc = sqlw_open("open-300.db", "host", SQLITE_OPEN_READWRITE, &pDb);
  CHECK_RC(rc, SQLITE_CANTOPEN);
  REQUIRE(pDb!=0);
  CHECK_RC(sqlw_errcode(pDb), SQLITE_CANTOPEN);
  CHECK(sqlw_errmsg(pDb)!=0 && sqlw_errmsg(pDb)[0]!=0);
  sqlw_close(pDb);
  CHECK(access("open-300.db", F_OK)!=0);
}

TEST(open310, "open-310 file in a missing directory is CANTOPEN"){
  sqlw_db *pDb = 0;
  CHECK_RC(sqlw_open("no-such-dir/x.db", "host", 0, &pDb), SQLITE_CANTOPEN);
  REQUIRE(pDb!=0);
  CHECK_RC(sqlw_errcode(pDb), SQLITE_CANTOPEN);
  sqlw_close(pDb);
}

TEST(open320, "open-320 unknown VFS is an error with a message"){
  sqlw_db *pDb = 0;
  int rc = sqlw_open("x.db", "no-such-vfs", 0, &pDb);
  CHECK(rc!=SQLITE_OK);
  REQUIRE(pDb!=0);
  CHECK(strstr(sqlw_errmsg(pDb), "no-such-vfs")!=0 || strstr(sqlw_errmsg(pDb), "vfs")!=0);
  sqlw_close(pDb);
}

TEST(open330, "open-330 read-only open refuses writes with READONLY"){
  const char *zFile = "open-330.db";
  sqlw_db *pDb = 0;
  const WrResult *pRes;
  testRemoveDb(zFile);
  pDb = testOpen(zFile, "host");
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x); INSERT INTO t VALUES(7)"));
  testClose(pDb);

  pDb = 0;
  CHECK_RC(sqlw_open(zFile, "host", SQLITE_OPEN_READONLY, &pDb), SQLITE_OK);
  REQUIRE(pDb!=0);
  pRes = testExec(pDb, "SELECT x FROM t", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_OK);
  if( pRes->nSet==1 ) CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 0), 7);
  pRes = testExec(pDb, "INSERT INTO t VALUES(8)", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_READONLY);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 1);
  sqlw_close(pDb);
}

TEST(open340, "open-340 a file that is not a database is NOTADB on first use"){
  const char *zFile = "open-340.db";
  sqlw_db *pDb = 0;
  FILE *pF;
  int rc;
  const WrResult *pRes;
  testRemoveDb(zFile);
  pF = fopen(zFile, "wb");
  REQUIRE(pF!=0);
  fputs("this is plainly not a database file, but it is long enough to have a header "
        "that SQLite reads and rejects.......................................", pF);
  fclose(pF);
  rc = sqlw_open(zFile, "host", 0, &pDb);
  REQUIRE(pDb!=0);
  if( rc==SQLITE_OK ){
    pRes = testExec(pDb, "SELECT * FROM sqlite_schema", 0, 0);
    CHECK_RC(pRes->rc, SQLITE_NOTADB);
  }else{
    CHECK_RC(rc, SQLITE_NOTADB);
  }
  sqlw_close(pDb);
}

TEST(open400, "open-400 format version is 1"){
  CHECK_INT(sqlw_format_version(), 1);
}
