/*
** test_cache.c — the prepared-statement cache, seen through sqlw_stat().
*/
#include "sqlite3.h"
#include "support.h"

TEST(cache100, "cache-100 a repeated statement is a hit, not a miss"){
  sqlw_db *pDb = testOpenMem();
  int64_t nHit0, nMiss0, nHit1, nMiss1;
  const WrResult *pRes;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x)"));
  pRes = testExec(pDb, "SELECT count(*) FROM t", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_OK);
  nHit0 = sqlw_stat(pDb, SQLW_STAT_CACHE_HITS);
  nMiss0 = sqlw_stat(pDb, SQLW_STAT_CACHE_MISSES);
  CHECK(nHit0>=0 && nMiss0>=1);
  pRes = testExec(pDb, "SELECT count(*) FROM t", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_OK);
  nHit1 = sqlw_stat(pDb, SQLW_STAT_CACHE_HITS);
  nMiss1 = sqlw_stat(pDb, SQLW_STAT_CACHE_MISSES);
  CHECK_INT(nHit1, nHit0+1);
  CHECK_INT(nMiss1, nMiss0);
  CHECK(sqlw_stat(pDb, SQLW_STAT_CACHE_SIZE)>=1);
}

TEST(cache110, "cache-110 a new statement is a miss"){
  sqlw_db *pDb = testOpenMem();
  int64_t nMiss0;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "SELECT 1"));
  nMiss0 = sqlw_stat(pDb, SQLW_STAT_CACHE_MISSES);
  REQUIRE(testOk(pDb, "SELECT 2"));
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_CACHE_MISSES), nMiss0+1);
}

TEST(cache120, "cache-120 a cached statement sees a changed schema"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(a); INSERT INTO t VALUES(1)"));
  pRes = testExec(pDb, "SELECT * FROM t", 0, 0);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  CHECK_INT(pRes->aSet[0].nCol, 1);
  REQUIRE(testOk(pDb, "ALTER TABLE t ADD COLUMN b DEFAULT 2"));
  pRes = testExec(pDb, "SELECT * FROM t", 0, 0);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  CHECK_INT(pRes->aSet[0].nCol, 2);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 1), 2);
  REQUIRE(testOk(pDb, "DROP TABLE t"));
  pRes = testExec(pDb, "SELECT * FROM t", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_ERROR);
}

TEST(cache125, "cache-125 a cached SELECT * follows a dropped column"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(a, b, c); INSERT INTO t VALUES(1, 2, 3)"));
  pRes = testExec(pDb, "SELECT * FROM t", 0, 0);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  CHECK_INT(pRes->aSet[0].nCol, 3);
  REQUIRE(testOk(pDb, "ALTER TABLE t DROP COLUMN c"));
  /* the statement is re-prepared by SQLite on its first step: the result set must
  ** describe the statement as it ran, not as it was cached */
  pRes = testExec(pDb, "SELECT * FROM t", 0, 0);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  if( CHECK_INT(pRes->aSet[0].nCol, 2) ){
    CHECK_WSTR(pRes->aSet[0].aName[1], "b");
    CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 1), 2);
  }
  REQUIRE(testOk(pDb, "ALTER TABLE t RENAME COLUMN b TO bee"));
  pRes = testExec(pDb, "SELECT * FROM t", 0, 0);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  if( pRes->aSet[0].nCol==2 ) CHECK_WSTR(pRes->aSet[0].aName[1], "bee");
}

TEST(cache130, "cache-130 a cached statement starts afresh after an error"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  int i;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(a UNIQUE)"));
  for(i=0; i<3; i++){
    pRes = testExec(pDb, "INSERT INTO t VALUES(1)", 0, 0);
    CHECK_RC(pRes->rc, i==0 ? SQLITE_OK : SQLITE_CONSTRAINT_UNIQUE);
  }
  pRes = testExec(pDb, "SELECT a FROM t", 0, 0);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  CHECK_INT(pRes->aSet[0].nRow, 1);
  /* the same SELECT again returns all rows again, not a continuation */
  pRes = testExec(pDb, "SELECT a FROM t", 0, 0);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  CHECK_INT(pRes->aSet[0].nRow, 1);
}

TEST(cache140, "cache-140 cached statements do not hold a read transaction open"){
  sqlw_db *pDb = testOpenMem();
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(a); INSERT INTO t VALUES(1),(2)"));
  /* a SELECT stopped after its result was gathered must be reset, else the connection
  ** stays in a read transaction and, for example, VACUUM fails */
  REQUIRE(testOk(pDb, "SELECT a FROM t"));
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 1);
  CHECK(testOk(pDb, "VACUUM"));
}

TEST(cache150, "cache-150 many distinct statements keep working"){
  sqlw_db *pDb = testOpenMem();
  int i;
  REQUIRE(pDb);
  for(i=0; i<300; i++){
    char zSql[64];
    sqlite3_snprintf(sizeof(zSql), zSql, "SELECT %d", i);
    if( testInt(pDb, zSql)!=i ){
      FAIL("SELECT %d", i);
      break;
    }
  }
  CHECK(sqlw_stat(pDb, SQLW_STAT_CACHE_SIZE)>=1);
  CHECK(sqlw_stat(pDb, SQLW_STAT_CACHE_SIZE)<=300);
  CHECK_INT(testInt(pDb, "SELECT 299"), 299);
}
