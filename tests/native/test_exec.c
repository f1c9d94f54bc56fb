/*
** test_exec.c — sqlw_exec(): single statements, scripts, the counts and error fields of
** the result buffer, declared types, and the extended codes of constraint errors.
*/
#include <string.h>

#include "sqlite3.h"
#include "support.h"

TEST(exec100, "exec-100 one SELECT gives one result set"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  pRes = testExec(pDb, "SELECT 1 AS one, 'two' AS two, 3.5, NULL, x'0102'", 0, 0);
  REQUIRE(pRes->rc==SQLITE_OK);
  CHECK_INT(pRes->nStatement, 1);
  REQUIRE(pRes->nSet==1);
  REQUIRE(pRes->aSet[0].nCol==5);
  REQUIRE(pRes->aSet[0].nRow==1);
  CHECK_WSTR(pRes->aSet[0].aName[0], "one");
  CHECK_WSTR(pRes->aSet[0].aName[1], "two");
  CHECK_WSTR(pRes->aSet[0].aName[2], "3.5");
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 0), 1);
  CHECK_VAL_TEXT(wrCell(&pRes->aSet[0], 0, 1), "two");
  CHECK_INT(wrCell(&pRes->aSet[0], 0, 2)->eType, WIRE_FLOAT);
  CHECK(wrCell(&pRes->aSet[0], 0, 2)->r==3.5);
  CHECK_INT(wrCell(&pRes->aSet[0], 0, 3)->eType, WIRE_NULL);
  CHECK_INT(wrCell(&pRes->aSet[0], 0, 4)->eType, WIRE_BLOB);
  CHECK_MEM(wrCell(&pRes->aSet[0], 0, 4)->z, wrCell(&pRes->aSet[0], 0, 4)->n,
            "\x01\x02", 2);
  CHECK_INT(pRes->err.n, 0);
  CHECK_INT(pRes->iErrOffset, -1);
}

TEST(exec110, "exec-110 SELECT with no rows still gives a result set"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(a, b)"));
  pRes = testExec(pDb, "SELECT a, b FROM t", 0, 0);
  REQUIRE(pRes->rc==SQLITE_OK);
  REQUIRE(pRes->nSet==1);
  CHECK_INT(pRes->aSet[0].nCol, 2);
  CHECK_INT(pRes->aSet[0].nRow, 0);
  CHECK_WSTR(pRes->aSet[0].aName[1], "b");
}

TEST(exec120, "exec-120 statements without columns give no result set"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  pRes = testExec(pDb, "CREATE TABLE t(a)", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_OK);
  CHECK_INT(pRes->nSet, 0);
  CHECK_INT(pRes->nStatement, 1);
  CHECK_INT(pRes->nChange, 0);
}

TEST(exec130, "exec-130 many rows come back in order"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  uint32_t i;
  int bOk = 1;
  REQUIRE(pDb);
  pRes = testExec(pDb, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c "
                       "WHERE x<5000) SELECT x, 'row ' || x FROM c", 0, 0);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  REQUIRE(pRes->aSet[0].nRow==5000);
  for(i=0; i<5000 && bOk; i++){
    const WrValue *pVal = wrCell(&pRes->aSet[0], i, 0);
    bOk = CHECK_VAL_INT(pVal, (int64_t)i+1);
  }
  CHECK_VAL_TEXT(wrCell(&pRes->aSet[0], 4999, 1), "row 5000");
}

TEST(exec200, "exec-200 script gives one result set per SELECT"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  pRes = testExec(pDb, "SELECT 1 AS x; CREATE TABLE t(a); SELECT 2 AS y, 3 AS z;"
                       "  -- trailing comment\n", 0, 0);
  REQUIRE(pRes->rc==SQLITE_OK);
  CHECK_INT(pRes->nStatement, 3);
  REQUIRE(pRes->nSet==2);
  CHECK_INT(pRes->aSet[0].nCol, 1);
  CHECK_WSTR(pRes->aSet[0].aName[0], "x");
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 0), 1);
  CHECK_INT(pRes->aSet[1].nCol, 2);
  CHECK_WSTR(pRes->aSet[1].aName[1], "z");
  CHECK_VAL_INT(wrCell(&pRes->aSet[1], 0, 0), 2);
  CHECK_VAL_INT(wrCell(&pRes->aSet[1], 0, 1), 3);
}

TEST(exec210, "exec-210 script sums changes of its DML statements only"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(a)"));
  pRes = testExec(pDb, "INSERT INTO t VALUES(1),(2),(3);"
                       "UPDATE t SET a=a+10 WHERE a<3;"
                       "DELETE FROM t WHERE a=3", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_OK);
  CHECK_INT(pRes->nChange, 6);
  CHECK_INT(pRes->nStatement, 3);

  /* sqlite3_changes() keeps its value across statements that change nothing: a SELECT
  ** or a CREATE after an INSERT must not count the INSERT twice. */
  pRes = testExec(pDb, "INSERT INTO t VALUES(4),(5); SELECT * FROM t; CREATE TABLE u(x);"
                       "SELECT 1", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_OK);
  CHECK_INT(pRes->nChange, 2);
  CHECK_INT(pRes->nSet, 2);

  pRes = testExec(pDb, "SELECT count(*) FROM t", 0, 0);
  CHECK_INT(pRes->nChange, 0);
}

TEST(exec220, "exec-220 a script failing midway keeps earlier statements"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(a UNIQUE)"));
  pRes = testExec(pDb, "INSERT INTO t VALUES(1); INSERT INTO t VALUES(2);"
                       "INSERT INTO t VALUES(1); INSERT INTO t VALUES(3)", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_CONSTRAINT_UNIQUE);
  CHECK_INT(pRes->nSet, 0);
  CHECK_INT(pRes->nStatement, 2);
  CHECK(pRes->err.n>0);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 2);
  CHECK_INT(testInt(pDb, "SELECT sum(a) FROM t"), 3);
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 1);
}

TEST(exec230, "exec-230 a script failing inside its own BEGIN leaves it open"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(a UNIQUE)"));
  pRes = testExec(pDb, "BEGIN; INSERT INTO t VALUES(1); INSERT INTO t VALUES(1); COMMIT",
                  0, 0);
  CHECK_RC(pRes->rc, SQLITE_CONSTRAINT_UNIQUE);
  /* SQLite's rule: a constraint error aborts the statement, not the transaction */
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 0);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 1);
  REQUIRE(testOk(pDb, "ROLLBACK"));
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 0);
}

TEST(exec240, "exec-240 only the first nSql bytes are run"){
  sqlw_db *pDb = testOpenMem();
  static const char zSql[] = "SELECT 7;SELECT 8";
  int rc;
  const WrResult *pRes;
  REQUIRE(pDb);
  rc = sqlw_exec(pDb, zSql, 9, 0, 0);
  pRes = testLastResult(pDb, rc);
  CHECK_RC(pRes->rc, SQLITE_OK);
  REQUIRE(pRes->nSet==1);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 0), 7);

  /* no terminator at all after the text */
  rc = sqlw_exec(pDb, zSql, 8, 0, 0);
  pRes = testLastResult(pDb, rc);
  CHECK_RC(pRes->rc, SQLITE_OK);
  REQUIRE(pRes->nSet==1);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 0), 7);
}

TEST(exec250, "exec-250 empty and comment-only SQL do nothing"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  pRes = testExec(pDb, "", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_OK);
  CHECK_INT(pRes->nStatement, 0);
  CHECK_INT(pRes->nSet, 0);
  pRes = testExec(pDb, "  /* nothing */ -- at all\n ;; ", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_OK);
  CHECK_INT(pRes->nSet, 0);
}

TEST(exec260, "exec-260 SQL holding a NUL byte ends, never loops"){
  sqlw_db *pDb = testOpenMem();
  static const char zSql[] = "SELECT 1\0SELECT 2";
  int rc;
  const WrResult *pRes;
  REQUIRE(pDb);
  /* SQLite stops reading at a NUL; the bytes after it up to nSql must not make the
  ** request spin on an empty remainder. Either outcome below is acceptable: the text up
  ** to the NUL ran, or the request was refused. */
  rc = sqlw_exec(pDb, zSql, sizeof(zSql)-1, 0, 0);
  pRes = testLastResult(pDb, rc);
  if( pRes->rc==SQLITE_OK ){
    CHECK(pRes->nSet>=1);
  }else{
    CHECK_PRIMARY(pRes->rc, SQLITE_MISUSE, SQLITE_ERROR);
  }
  rc = sqlw_exec(pDb, "\0", 1, 0, 0);
  testLastResult(pDb, rc);
  CHECK_INT(testInt(pDb, "SELECT 3"), 3);
}

TEST(exec300, "exec-300 syntax error gives ERROR and its offset"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  pRes = testExec(pDb, "SELECT 1 FROM WHERE x", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_ERROR);
  CHECK_INT(pRes->iErrOffset, 14);
  CHECK_INT(sqlw_error_offset(pDb), 14);
  CHECK(testContains(pRes->err, "syntax error"));
  CHECK(strstr(sqlw_errmsg(pDb), "syntax error")!=0);
  CHECK_RC(sqlw_errcode(pDb), SQLITE_ERROR);
}

TEST(exec310, "exec-310 error offset in a script counts from the start of the text"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  /*                        0123456789012345678 */
  pRes = testExec(pDb, "SELECT 1; SELECT * FRM t", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_ERROR);
  CHECK_INT(pRes->iErrOffset, 19);
  CHECK_INT(sqlw_error_offset(pDb), 19);
}

TEST(exec320, "exec-320 errors without a position have offset -1"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(a PRIMARY KEY)"));
  pRes = testExec(pDb, "INSERT INTO t VALUES(1),(1)", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_CONSTRAINT_PRIMARYKEY);
  CHECK_INT(pRes->iErrOffset, -1);
}

TEST(exec330, "exec-330 the error is cleared by the next success"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  pRes = testExec(pDb, "SELEC 1", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_ERROR);
  pRes = testExec(pDb, "SELECT 1", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_OK);
  CHECK_INT(pRes->iErrOffset, -1);
  CHECK_INT(pRes->err.n, 0);
}

TEST(exec340, "exec-340 runtime error in a SELECT drops its partial rows"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(a); INSERT INTO t VALUES(1),(2),(3)"));
  /* abs(INT64_MIN) overflows at the third row, after two rows were produced */
  pRes = testExec(pDb, "SELECT abs(CASE a WHEN 3 THEN -9223372036854775807-1 ELSE a END)"
                       " FROM t", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_ERROR);
  CHECK_INT(pRes->nSet, 0);
  CHECK(testContains(pRes->err, "overflow"));
}

TEST(exec400, "exec-400 constraint errors carry extended codes"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(id INTEGER PRIMARY KEY, u UNIQUE, n NOT NULL,"
                      " c CHECK(c>0));"
                      "CREATE TABLE w(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
                      "INSERT INTO t VALUES(1, 'a', 1, 1);"
                      "INSERT INTO w VALUES('k', 1)"));

  pRes = testExec(pDb, "INSERT INTO t VALUES(2, 'a', 1, 1)", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_CONSTRAINT_UNIQUE);
  CHECK_INT(SQLITE_CONSTRAINT_UNIQUE, 2067);
  CHECK_RC(sqlw_errcode(pDb), 2067);

  pRes = testExec(pDb, "INSERT INTO t VALUES(3, 'b', NULL, 1)", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_CONSTRAINT_NOTNULL);
  CHECK_INT(pRes->rc, 1299);

  pRes = testExec(pDb, "INSERT INTO t VALUES(1, 'c', 1, 1)", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_CONSTRAINT_PRIMARYKEY);
  CHECK_INT(pRes->rc, 1555);

  pRes = testExec(pDb, "INSERT INTO w VALUES('k', 2)", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_CONSTRAINT_PRIMARYKEY);

  pRes = testExec(pDb, "INSERT INTO t VALUES(4, 'd', 1, -1)", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_CONSTRAINT_CHECK);
  CHECK_INT(pRes->rc, 275);
  CHECK(testContains(pRes->err, "CHECK constraint failed"));

  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 1);
}

TEST(exec410, "exec-410 missing table is ERROR with the table named"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  pRes = testExec(pDb, "SELECT * FROM no_such_table", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_ERROR);
  CHECK(testContains(pRes->err, "no_such_table"));
}

TEST(exec500, "exec-500 declared types are reported per column"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE d(a INTEGER, b TEXT, c, d VARCHAR(10), e BLOB);"
                      "INSERT INTO d VALUES(1, 'x', 2, 'y', x'00')"));
  pRes = testExec(pDb, "SELECT a, b, c, d, e, a+1 AS f FROM d", 0, 0);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  REQUIRE(pRes->aSet[0].nCol==6);
  CHECK_WSTR(pRes->aSet[0].aDecl[0], "INTEGER");
  CHECK_WSTR(pRes->aSet[0].aDecl[1], "TEXT");
  CHECK_WSTR(pRes->aSet[0].aDecl[2], "");
  CHECK_WSTR(pRes->aSet[0].aDecl[3], "VARCHAR(10)");
  CHECK_WSTR(pRes->aSet[0].aDecl[4], "BLOB");
  CHECK_WSTR(pRes->aSet[0].aDecl[5], "");
  CHECK_WSTR(pRes->aSet[0].aName[5], "f");
}

TEST(exec510, "exec-510 duplicate column names are kept as they are"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  pRes = testExec(pDb, "SELECT 1 AS a, 2 AS a", 0, 0);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1 && pRes->aSet[0].nCol==2);
  CHECK_WSTR(pRes->aSet[0].aName[0], "a");
  CHECK_WSTR(pRes->aSet[0].aName[1], "a");
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 1), 2);
}

TEST(exec600, "exec-600 lastInsertRowid follows the last insert"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)"));
  pRes = testExec(pDb, "INSERT INTO t(id, v) VALUES(42, 'a')", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_OK);
  CHECK_INT(pRes->iLastRowid, 42);
  CHECK_INT(pRes->nChange, 1);
  pRes = testExec(pDb, "INSERT INTO t(v) VALUES('b')", 0, 0);
  CHECK_INT(pRes->iLastRowid, 43);
  /* a SELECT does not change it: it is SQLite's value after the request */
  pRes = testExec(pDb, "SELECT * FROM t", 0, 0);
  CHECK_INT(pRes->iLastRowid, 43);
  pRes = testExec(pDb, "INSERT INTO t(id, v) VALUES(9223372036854775807, 'max')", 0, 0);
  CHECK_INT(pRes->iLastRowid, INT64_MAX);
}

TEST(exec610, "exec-610 RETURNING gives a result set and counts the change"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)"));
  pRes = testExec(pDb, "INSERT INTO t(v) VALUES('a'),('b') RETURNING id, v", 0, 0);
  REQUIRE(pRes->rc==SQLITE_OK);
  CHECK_INT(pRes->nChange, 2);
  REQUIRE(pRes->nSet==1);
  CHECK_INT(pRes->aSet[0].nRow, 2);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 1, 0), 2);
  CHECK_VAL_TEXT(wrCell(&pRes->aSet[0], 1, 1), "b");
}

TEST(exec700, "exec-700 transaction state is visible through the autocommit stat"){
  sqlw_db *pDb = testOpenMem();
  REQUIRE(pDb);
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 1);
  REQUIRE(testOk(pDb, "BEGIN"));
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 0);
  REQUIRE(testOk(pDb, "COMMIT"));
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 1);
  CHECK_INT(sqlw_stat(pDb, 12345), -1);
}
