/*
** test_cursor.c — cursors (engine_cursor.c): a read answered in chunks across calls,
** the last chunk answered again when asked again, refusals, and every statement
** finalized however a cursor ends (the sanitizers see leaks).
*/
#include <string.h>

#include "sqlite3.h"
#include "support.h"

static const unsigned char aOwnerA[16] = { 1 };
static const unsigned char aOwnerB[16] = { 2 };

/* The flags of the last result (SQWR byte 6). */
static int cursorFlags(sqlw_db *pDb){
  size_t n;
  const unsigned char *a = sqlw_result(pDb, &n);
  return n>=8 ? a[6] : -1;
}

/* Opens cursor (pOwner, iId) over zSql with no parameters. Returns the result code. */
static int cursorOpen(sqlw_db *pDb, const unsigned char *pOwner, uint32_t iId, uint32_t nMax,
                      const char *zSql){
  return sqlw_cursor_open(pDb, pOwner, iId, nMax, zSql, strlen(zSql), 0, 0);
}

TEST(cursor100, "cursor-100 a read in chunks of n rows, MORE until the last; a chunk asked again is the same"){
  sqlw_db *pDb = testOpenMem();
  const WrResult *pRes;
  int64_t iSum = 0;
  uint32_t iChunk;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x); INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
                      "SELECT i+1 FROM c WHERE i<1000) SELECT i FROM c"));
  CHECK_RC(cursorOpen(pDb, aOwnerA, 9, 300, "SELECT x FROM t ORDER BY x"), SQLITE_OK);
  pRes = testLastResult(pDb, SQLITE_OK);
  REQUIRE(pRes->nSet==1);
  CHECK_INT(pRes->aSet[0].nRow, 300);
  CHECK_INT(cursorFlags(pDb), SQLW_FLAG_MORE);
  for(iChunk=1; ; iChunk++){
    CHECK_RC(sqlw_cursor_next(pDb, aOwnerA, 9, 300, iChunk), SQLITE_OK);
    if( iChunk==1 ){
      /* Asked again: the same chunk, and the cursor goes on from there. */
      CHECK_RC(sqlw_cursor_next(pDb, aOwnerA, 9, 300, 1), SQLITE_OK);
    }
    pRes = testLastResult(pDb, SQLITE_OK);
    iSum += pRes->aSet[0].nRow;
    if( !(cursorFlags(pDb) & SQLW_FLAG_MORE) ) break;
    REQUIRE(iChunk<10);
  }
  CHECK_INT(iSum, 700);
  CHECK_RC(sqlw_cursor_next(pDb, aOwnerA, 9, 300, iChunk+1), SQLITE_WORKER_LEADER_CHANGED);
}

TEST(cursor110, "cursor-110 writes, scripts and transaction control are refused; cursors close by id, by owner, idle, and with the connection"){
  sqlw_db *pDb = testOpenMem();
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)"));
  CHECK_RC(cursorOpen(pDb, aOwnerA, 1, 5, "DELETE FROM t RETURNING x"), SQLITE_MISUSE);
  CHECK_RC(cursorOpen(pDb, aOwnerA, 1, 5, "SELECT 1; SELECT 2"), SQLITE_MISUSE);
  CHECK_RC(cursorOpen(pDb, aOwnerA, 1, 5, "COMMIT"), SQLITE_MISUSE);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 3);
  CHECK_RC(cursorOpen(pDb, aOwnerA, 1, 1, "SELECT x FROM t"), SQLITE_OK);
  CHECK_RC(cursorOpen(pDb, aOwnerA, 2, 1, "SELECT x FROM t"), SQLITE_OK);
  CHECK_RC(cursorOpen(pDb, aOwnerB, 1, 1, "SELECT x FROM t"), SQLITE_OK);
  CHECK_RC(cursorOpen(pDb, aOwnerB, 2, 1, "SELECT x FROM t"), SQLITE_OK);
  sqlw_cursor_close(pDb, aOwnerA, 1);
  CHECK_RC(sqlw_cursor_next(pDb, aOwnerA, 1, 1, 1), SQLITE_WORKER_LEADER_CHANGED);
  CHECK_RC(sqlw_cursor_next(pDb, aOwnerA, 2, 1, 1), SQLITE_OK);
  sqlw_cursor_close(pDb, aOwnerA, 0);
  CHECK_RC(sqlw_cursor_next(pDb, aOwnerA, 2, 1, 2), SQLITE_WORKER_LEADER_CHANGED);
  CHECK_RC(sqlw_cursor_next(pDb, aOwnerB, 1, 1, 1), SQLITE_OK);
  sqlw_cursor_expire(pDb, -1);                /* every cursor is idle past -1 ms */
  CHECK_RC(sqlw_cursor_next(pDb, aOwnerB, 1, 1, 2), SQLITE_WORKER_LEADER_CHANGED);
  /* More than SQLW_CURSORS: the least recently used go. */
  {
    uint32_t i;
    for(i=1; i<=SQLW_CURSORS+3; i++) CHECK_RC(cursorOpen(pDb, aOwnerB, i, 1, "SELECT x FROM t"), SQLITE_OK);
    CHECK_RC(sqlw_cursor_next(pDb, aOwnerB, 1, 1, 1), SQLITE_WORKER_LEADER_CHANGED);
    CHECK_RC(sqlw_cursor_next(pDb, aOwnerB, SQLW_CURSORS+3, 1, 1), SQLITE_OK);
  }
  /* Left open: the connection's close at the test's end finalizes them (else a leak). */
}
