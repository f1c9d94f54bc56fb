/*
** test_coord_engine.c — the leader's engine of the multi-tab protocol
** (src/core/coord_engine.c, coord.h: xExec, xEpoch): epochs, a write recorded and
** answered again from its record, export (kind 4) and import (kind 5) with the
** protocol's own tables kept across the import, and the error answers
** ("<code name>: <message>").
**
** Every request goes through the engine's xExec on a memdb connection. Request bodies
** and database images are made here by hand (an image by a plain SQLite connection of
** its own, serialized), and answers are read with the test-side SQWR reader (wire.c),
** so the engine is checked against docs/format.md and docs/coord.md.
*/
#include <stdio.h>
#include <string.h>

#include "sqlite3.h"
#include "support.h"
#include "faulthost.h"
#include "testpool.h"
#include "../../src/core/coord.h"
#include "../../src/core/engine_int.h"

/* Request and answer kinds (docs/format.md, SQWQ and SQWA). */
#define K_EXEC    1
#define K_EXPORT  4
#define K_IMPORT  5
#define A_RESULT  1
#define A_BYTES   3

/* Two clients' ids, and the same as SQL blob literals. */
static const unsigned char aCliA[COORD_ID_BYTES] = {
  0xa1,0xa1,0xa1,0xa1,0xa1,0xa1,0xa1,0xa1,0xa1,0xa1,0xa1,0xa1,0xa1,0xa1,0xa1,0xa1
};
static const unsigned char aCliB[COORD_ID_BYTES] = {
  0xb2,0xb2,0xb2,0xb2,0xb2,0xb2,0xb2,0xb2,0xb2,0xb2,0xb2,0xb2,0xb2,0xb2,0xb2,0xb2
};
#define SQL_A "x'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1'"
#define SQL_B "x'b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2'"

/* The protocol's temp tables an import keeps its rows aside in: none may outlive it. */
#define SQL_KEEP_LEFT \
  "SELECT count(*) FROM sqlite_temp_schema WHERE name LIKE '_sqlw_keep%'"

/* The engine over a memdb connection, and the answer of the last request. */
typedef struct Eng {
  sqlw_db *pDb;
  CoordEngine e;
  SqlwBuf out;          /* the last answer's body */
  int eKind;            /* its kind (-1 when xExec did not set one) */
} Eng;

static Eng gEng;        /* one per test (each test runs in a process of its own) */

static void engFreeOut(void *p){
  sqlwBufFree((SqlwBuf*)p);
}

static uint32_t get32(const unsigned char *a){
  return (uint32_t)a[0] | (uint32_t)a[1]<<8 | (uint32_t)a[2]<<16 | (uint32_t)a[3]<<24;
}

/* Opens a memdb connection with the engine over it. NULL after a recorded failure. */
static Eng *engOpen(const char *zFile, int iLine){
  Eng *p = &gEng;
  sqlwBufFree(&p->out);               /* an earlier engOpen() of the same test */
  memset(p, 0, sizeof(*p));
  p->pDb = testOpenAt("coordeng", "memdb", zFile, iLine);
  if( p->pDb==0 ) return 0;
  coordEngineInit(&p->e, p->pDb);
  harnessDefer(engFreeOut, &p->out);
  return p;
}
#define ENG_OPEN() engOpen(__FILE__, __LINE__)

/* Sends one request through xExec; the answer is left in p->out, p->eKind. */
static int engSend(Eng *p, const unsigned char *aClient, uint32_t iSeq, uint32_t iAcked,
                   int eKind, const void *aBody, size_t nBody){
  p->out.n = 0;
  p->eKind = -1;
  CoordRequest q = { aClient, iSeq, iAcked, 0, eKind, (const unsigned char*)aBody, nBody, -1, 0 };
  return p->e.xExec(p->e.pCtx, &q, &p->eKind, &p->out);
}

/* Sends an exec (kind 1) of zSql without parameters: u32 nSql, then the SQL. */
static int engExec(Eng *p, const unsigned char *aClient, uint32_t iSeq, uint32_t iAcked,
                   const char *zSql){
  unsigned char aBody[1024];
  size_t nSql = strlen(zSql);
  if( nSql>sizeof(aBody)-4 ) return -1;
  aBody[0] = (unsigned char)nSql;       aBody[1] = (unsigned char)(nSql>>8);
  aBody[2] = (unsigned char)(nSql>>16); aBody[3] = (unsigned char)(nSql>>24);
  memcpy(aBody+4, zSql, nSql);
  return engSend(p, aClient, iSeq, iAcked, K_EXEC, aBody, 4+nSql);
}

/*
** Checks that the last answer is a well-formed SQWR of kind 1 whose rc is rc. Returns 1
** if so. *pnChange (if not NULL) gets its change count.
*/
static int engCheckSqwr(Eng *p, int rc, int64_t *pnChange, const char *zFile, int iLine){
  WrResult r;
  const char *zWhy;
  int ok = 1;
  if( p->eKind!=A_RESULT ){
    return harnessFail(zFile, iLine, "answer kind %d, expected %d (an SQWR)", p->eKind,
                       A_RESULT);
  }
  if( p->out.n<12 || memcmp(p->out.a, SQLW_MAGIC_RESULT, 4)!=0 ){
    return harnessFail(zFile, iLine, "the answer (%zu bytes) is not an SQWR", p->out.n);
  }
  if( (int)get32(p->out.a+8)!=rc ){
    ok = harnessFail(zFile, iLine, "SQWR rc %s (%d), expected %s (%d)",
                     sqlw_code_name((int)get32(p->out.a+8)), (int)get32(p->out.a+8),
                     sqlw_code_name(rc), rc);
  }
  zWhy = wrParse(p->out.a, p->out.n, &r);
  if( zWhy ){
    ok = harnessFail(zFile, iLine, "malformed SQWR: %s", zWhy);
  }else if( pnChange ){
    *pnChange = r.nChange;
  }
  wrFree(&r);
  return ok;
}
#define CHECK_SQWR(p, rc, pn) engCheckSqwr((p), (rc), (pn), __FILE__, __LINE__)

/* Checks that the last answer's body is exactly the text z. */

/* Checks that the last answer's body is an error result of code rc with the message
** zMsg (NULL: any message). Returns 1 if so. */
static int engCheckError(Eng *p, int rc, const char *zMsg, const char *zFile, int iLine){
  WrResult r;
  const char *zWhy = wrParse(p->out.a, p->out.n, &r);
  int ok = 1;
  if( zWhy ){
    ok = harnessFail(zFile, iLine, "the error answer is not an SQWR: %s", zWhy);
  }else if( r.rc!=rc ){
    ok = harnessFail(zFile, iLine, "error %s (%d), expected %s (%d)", sqlw_code_name(r.rc),
                     r.rc, sqlw_code_name(rc), rc);
  }else if( zMsg && (r.err.n!=strlen(zMsg) || memcmp(r.err.z, zMsg, r.err.n)!=0) ){
    ok = harnessFail(zFile, iLine, "message \"%.*s\", expected \"%s\"", (int)r.err.n,
                     r.err.z, zMsg);
  }
  wrFree(&r);
  return ok;
}
#define CHECK_ERROR(p, rc, z) engCheckError((p), (rc), (z), __FILE__, __LINE__)

/* A copy of the last answer, freed when the test ends. */
static void engFreeCopy(void *p){
  sqlite3_free(p);
}
static unsigned char *engCopy(Eng *p, size_t *pn){
  unsigned char *a = sqlite3_malloc64(p->out.n ? p->out.n : 1);
  if( a==0 ) return 0;
  if( p->out.n ) memcpy(a, p->out.a, p->out.n);
  *pn = p->out.n;
  harnessDefer(engFreeCopy, a);
  return a;
}

/*
** A database image made elsewhere: a fresh SQLite memory database (its own
** connection, not the engine's) set up by zSql, serialized. Freed when the test ends.
*/
static unsigned char *imageMake(const char *zSql, size_t *pn, const char *zFile, int iLine){
  sqlite3 *db = 0;
  sqlite3_int64 n = 0;
  unsigned char *a = 0;
  char *zErr = 0;
  int rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE,
                           "memdb");
  if( rc==SQLITE_OK ) rc = sqlite3_exec(db, zSql, 0, 0, &zErr);
  if( rc==SQLITE_OK ){
    a = sqlite3_serialize(db, "main", &n, 0);
    if( a==0 ) rc = SQLITE_NOMEM;
  }
  if( rc!=SQLITE_OK ){
    harnessFail(zFile, iLine, "making the image: %s: %s", sqlw_code_name(rc),
                zErr ? zErr : (db ? sqlite3_errmsg(db) : "no connection"));
  }
  sqlite3_free(zErr);
  sqlite3_close(db);
  if( a==0 ) return 0;
  harnessDefer(engFreeCopy, a);
  *pn = (size_t)n;
  return a;
}
#define IMAGE_MAKE(zSql, pn) imageMake((zSql), (pn), __FILE__, __LINE__)

/* The image most tests import: its own t (two rows) and a table img. */
#define IMAGE_SQL \
  "CREATE TABLE t(x); INSERT INTO t VALUES(100),(200);" \
  "CREATE TABLE img(z TEXT); INSERT INTO img VALUES('from the image')"

/*
** The state most tests start from: epochs 1 and 2 taken, the user's tables t and u,
** and client A's write (seq 1, acknowledged below 1) "INSERT INTO t VALUES(42)",
** recorded; its answer is copied to *paAns1, *pnAns1. Returns 1 on success.
*/
static int engSetup(Eng *p, unsigned char **paAns1, size_t *pnAns1,
                    const char *zFile, int iLine){
  uint64_t iEpoch = 0;
  int ok = 1;
  if( p->e.xEpoch(p->e.pCtx, 0, &iEpoch)!=SQLITE_OK || iEpoch!=1 ) ok = 0;
  if( p->e.xEpoch(p->e.pCtx, 0, &iEpoch)!=SQLITE_OK || iEpoch!=2 ) ok = 0;
  if( !ok ) return harnessFail(zFile, iLine, "xEpoch did not give 1 then 2");
  if( !testOkAt(p->pDb, "CREATE TABLE t(x); CREATE TABLE u(y); INSERT INTO u VALUES('mine')",
                zFile, iLine) ){
    return 0;
  }
  if( engExec(p, aCliA, 1, 1, "INSERT INTO t VALUES(42)")!=SQLITE_OK
   || !engCheckSqwr(p, SQLITE_OK, 0, zFile, iLine) ){
    return harnessFail(zFile, iLine, "client A's write failed: %.*s", (int)p->out.n,
                       (const char*)p->out.a);
  }
  /* A's floor, as a prune (every CE_PRUNE_EVERY sequences) would have written it. */
  if( !testOkAt(p->pDb, "INSERT INTO _sqlw_clients(client, floor) VALUES("
                "x'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1', 1)", zFile, iLine) ){
    return 0;
  }
  *paAns1 = engCopy(p, pnAns1);
  return *paAns1!=0;
}
#define ENG_SETUP(p, pa, pn) engSetup((p), (pa), (pn), __FILE__, __LINE__)

/* ---- epochs ------------------------------------------------------------------------ */

/*
** The machine stops now, p's pool stops, then the power loss eLoss happens and the pool
** and its database start again, as after a restart. Returns the stored epoch, or -1.
*/
static int64_t engRestartEpoch(TestPool *p, int eLoss){
  faultCrashNow();
  testPoolStop(p);
  if( faultPowerLoss(eLoss, 0)!=0 ) return -1;
  if( testPoolStart(p)!=SQLITE_OK || testPoolOpenDb(p, "/epoch.db")!=SQLITE_OK
   || sqlw_set_durability(p->pDb, SQLW_DURABLE)!=SQLITE_OK ) return -1;
  return testInt(p->pDb, "SELECT v FROM _sqlw_meta WHERE k='epoch'");
}

TEST(coordeng105, "coordeng-105 durable pool: xEpoch's commit is written, not flushed; "
                  "the next durable commit flushes it; a killed process keeps it, a power "
                  "loss before that commit loses it"){
  TestPool *p = testPoolNew("coordeng105", 6);
  CoordEngine e;
  uint64_t iEpoch = 0;
  REQUIRE(p);
  REQUIRE(testPoolOpenDb(p, "/epoch.db")==SQLITE_OK);
  REQUIRE(sqlw_set_durability(p->pDb, SQLW_DURABLE)==SQLITE_OK);
  faultReset();
  faultRealSync(0);
  coordEngineInit(&e, p->pDb);
  CHECK_RC(e.xEpoch(e.pCtx, 0, &iEpoch), SQLITE_OK);
  CHECK_INT(iEpoch, 1);
  CHECK_INT(testInt(p->pDb, "PRAGMA synchronous"), 2);         /* FULL again after it */
  /* A durable commit is flushed, and the epoch's frames with it. */
  faultOverlayBegin();
  CHECK(testOk(p->pDb, "CREATE TABLE t(x); INSERT INTO t VALUES(1)"));
  CHECK(faultCount(FAULT_SYNC)>0);
  CHECK_INT(engRestartEpoch(p, FAULT_LOSS_DROP), 1);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM t"), 1);
  /* Epoch 2 (the WAL exists now): no flush at all; the process then dies before any
  ** commit, and the write had reached the host. */
  coordEngineInit(&e, p->pDb);
  CHECK(testOk(p->pDb, "INSERT INTO t VALUES(2)"));             /* a WAL to append to */
  faultReset();
  faultRealSync(0);
  faultOverlayBegin();
  CHECK_RC(e.xEpoch(e.pCtx, 0, &iEpoch), SQLITE_OK);
  CHECK_INT(iEpoch, 2);
  CHECK_INT(faultCount(FAULT_SYNC), 0);
  CHECK_INT(engRestartEpoch(p, FAULT_LOSS_KEEP), 2);
  /* Epoch 3, then the power goes before any commit: 3 is lost with every tab that knew
  ** it, and the next leader takes 3 again; the acknowledged rows stay. */
  coordEngineInit(&e, p->pDb);
  faultOverlayBegin();
  CHECK_RC(e.xEpoch(e.pCtx, 0, &iEpoch), SQLITE_OK);
  CHECK_INT(iEpoch, 3);
  CHECK_INT(engRestartEpoch(p, FAULT_LOSS_DROP), 2);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM t"), 2);
  faultReset();
}

TEST(coordeng100, "coordeng-100 xEpoch creates the schema and the epochs grow"){
  Eng *p = ENG_OPEN();
  uint64_t iEpoch = 0;
  REQUIRE(p);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM sqlite_schema"), 0);
  CHECK_RC(p->e.xEpoch(p->e.pCtx, 0, &iEpoch), SQLITE_OK);
  CHECK_INT(iEpoch, 1);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM sqlite_schema WHERE type='table' AND"
                    " name IN ('_sqlw_meta','_sqlw_requests','_sqlw_clients')"), 3);
  CHECK_INT(testInt(p->pDb, "SELECT v FROM _sqlw_meta WHERE k='epoch'"), 1);
  CHECK_RC(p->e.xEpoch(p->e.pCtx, 0, &iEpoch), SQLITE_OK);
  CHECK_INT(iEpoch, 2);
  CHECK_INT(testInt(p->pDb, "SELECT v FROM _sqlw_meta WHERE k='epoch'"), 2);
  /* A proposal above the stored epoch wins; one below it does not. */
  CHECK_RC(p->e.xEpoch(p->e.pCtx, 7, &iEpoch), SQLITE_OK);
  CHECK_INT(iEpoch, 7);
  CHECK_RC(p->e.xEpoch(p->e.pCtx, 3, &iEpoch), SQLITE_OK);
  CHECK_INT(iEpoch, 8);
  CHECK(sqlite3_get_autocommit(sqlwHandle(p->pDb)));
}

/* ---- a write, exactly once --------------------------------------------------------- */

TEST(coordeng110, "coordeng-110 a write is recorded and a re-send is answered from it"){
  Eng *p = ENG_OPEN();
  unsigned char *aAns1;
  size_t nAns1 = 0;
  int64_t nChange = -1;
  uint64_t iEpoch = 0;
  REQUIRE(p);
  REQUIRE(p->e.xEpoch(p->e.pCtx, 0, &iEpoch)==SQLITE_OK);
  REQUIRE(testOk(p->pDb, "CREATE TABLE t(x)"));

  CHECK_RC(engExec(p, aCliA, 1, 1, "INSERT INTO t VALUES(42)"), SQLITE_OK);
  REQUIRE(CHECK_SQWR(p, SQLITE_OK, &nChange));
  CHECK_INT(nChange, 1);
  aAns1 = engCopy(p, &nAns1);
  REQUIRE(aAns1);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_requests WHERE client=" SQL_A
                    " AND seq=1 AND kind=1"), 1);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM t"), 1);

  /* The same (client, seq) again: the recorded answer, byte for byte; no second row. */
  CHECK_RC(engExec(p, aCliA, 1, 1, "INSERT INTO t VALUES(42)"), SQLITE_OK);
  CHECK_INT(p->eKind, A_RESULT);
  CHECK_MEM(p->out.a, p->out.n, aAns1, nAns1);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM t"), 1);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_requests"), 1);

  /* A read is answered but not recorded. */
  CHECK_RC(engExec(p, aCliA, 2, 1, "SELECT count(*) FROM t"), SQLITE_OK);
  CHECK_SQWR(p, SQLITE_OK, 0);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_requests"), 1);
  CHECK(sqlite3_get_autocommit(sqlwHandle(p->pDb)));
}

/* ---- export ------------------------------------------------------------------------ */

static void closeDb(void *p){
  sqlite3_close((sqlite3*)p);
}

TEST(coordeng120, "coordeng-120 export answers the file, which holds the user's rows"){
  Eng *p = ENG_OPEN();
  unsigned char *aAns1, *aCopy;
  size_t nAns1 = 0;
  sqlite3 *db = 0;
  sqlite3_stmt *pStmt = 0;
  REQUIRE(p);
  REQUIRE(ENG_SETUP(p, &aAns1, &nAns1));
  REQUIRE(engExec(p, aCliA, 2, 1, "INSERT INTO t VALUES(43),(44)")==SQLITE_OK);
  REQUIRE(CHECK_SQWR(p, SQLITE_OK, 0));

  CHECK_RC(engSend(p, aCliB, 1, 1, K_EXPORT, 0, 0), SQLITE_OK);
  CHECK_INT(p->eKind, A_BYTES);
  REQUIRE(p->out.n>=512);
  CHECK_MEM(p->out.a, 16, "SQLite format 3", 16);     /* 15 characters and the NUL */
  /* An export is a read: not recorded. */
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_requests WHERE client=" SQL_B), 0);

  /* Loaded into a connection of its own, the image has the user's rows. */
  REQUIRE(sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE,
                          "memdb")==SQLITE_OK);
  harnessDefer(closeDb, db);
  aCopy = sqlite3_malloc64(p->out.n);
  REQUIRE(aCopy);
  memcpy(aCopy, p->out.a, p->out.n);
  CHECK_RC(sqlite3_deserialize(db, "main", aCopy, (sqlite3_int64)p->out.n,
                               (sqlite3_int64)p->out.n,
                               SQLITE_DESERIALIZE_FREEONCLOSE|SQLITE_DESERIALIZE_RESIZEABLE),
           SQLITE_OK);
  REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*), sum(x), (SELECT y FROM u),"
                             " (SELECT v FROM _sqlw_meta WHERE k='epoch') FROM t", -1,
                             &pStmt, 0)==SQLITE_OK);
  if( CHECK_RC(sqlite3_step(pStmt), SQLITE_ROW) ){
    CHECK_INT(sqlite3_column_int64(pStmt, 0), 3);
    CHECK_INT(sqlite3_column_int64(pStmt, 1), 42+43+44);
    CHECK_STR((const char*)sqlite3_column_text(pStmt, 2), "mine");
    CHECK_INT(sqlite3_column_int64(pStmt, 3), 2);
  }
  sqlite3_finalize(pStmt);
}

/* ---- import ------------------------------------------------------------------------ */

TEST(coordeng130, "coordeng-130 import replaces the user's tables, keeps the protocol's"){
  Eng *p = ENG_OPEN();
  unsigned char *aAns1, *aImg;
  size_t nAns1 = 0, nImg = 0;
  int64_t nChange = -1;
  uint64_t iEpoch = 0;
  char zText[64];
  REQUIRE(p);
  REQUIRE(ENG_SETUP(p, &aAns1, &nAns1));
  aImg = IMAGE_MAKE(IMAGE_SQL, &nImg);
  REQUIRE(aImg);

  CHECK_RC(engSend(p, aCliB, 1, 1, K_IMPORT, aImg, nImg), SQLITE_OK);
  REQUIRE(CHECK_SQWR(p, SQLITE_OK, &nChange));

  /* The user's tables are the image's. */
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM sqlite_schema WHERE name='u'"), 0);
  CHECK_INT(testInt(p->pDb, "SELECT count(*)*1000 + sum(x) FROM t"), 2*1000 + 300);
  testText(p->pDb, "SELECT z FROM img", zText, sizeof(zText));
  CHECK_STR(zText, "from the image");

  /* The protocol's rows are those from before: the epoch, A's record and floor, and
  ** the import's own record. */
  CHECK_INT(testInt(p->pDb, "SELECT v FROM _sqlw_meta WHERE k='epoch'"), 2);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_requests WHERE client=" SQL_A
                    " AND seq=1"), 1);
  CHECK_INT(testInt(p->pDb, "SELECT floor FROM _sqlw_clients WHERE client=" SQL_A), 1);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_requests WHERE client=" SQL_B
                    " AND seq=1 AND kind=1"), 1);
  CHECK_INT(testInt(p->pDb, SQL_KEEP_LEFT), 0);
  CHECK(sqlite3_get_autocommit(sqlwHandle(p->pDb)));

  /* A's write re-sent: answered from its record, nothing inserted into the new t. */
  CHECK_RC(engExec(p, aCliA, 1, 1, "INSERT INTO t VALUES(42)"), SQLITE_OK);
  CHECK_INT(p->eKind, A_RESULT);
  CHECK_MEM(p->out.a, p->out.n, aAns1, nAns1);
  CHECK_INT(testInt(p->pDb, "SELECT count(*)*1000 + sum(x) FROM t"), 2*1000 + 300);

  /* The next epoch follows the kept one. */
  CHECK_RC(p->e.xEpoch(p->e.pCtx, 0, &iEpoch), SQLITE_OK);
  CHECK_INT(iEpoch, 3);
}

TEST(coordeng140, "coordeng-140 an image's own protocol rows do not leak in"){
  static const char *azPage[] = { "", "PRAGMA page_size=1024;", "PRAGMA page_size=8192;" };
  int i;
  for(i=0; i<(int)(sizeof(azPage)/sizeof(azPage[0])); i++){
    Eng *p = ENG_OPEN();
    unsigned char *aAns1, *aImg;
    size_t nAns1 = 0, nImg = 0;
    char zSql[1024];
    REQUIRE(p);
    REQUIRE(ENG_SETUP(p, &aAns1, &nAns1));
    /* An image with the protocol's tables, holding an epoch of 999, a foreign key of
    ** its own in _sqlw_meta, a record (of client C, and one of A at seq 5) and floors. */
    snprintf(zSql, sizeof(zSql), "%s"
      "CREATE TABLE _sqlw_meta(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
      "CREATE TABLE _sqlw_requests(client BLOB NOT NULL, seq INTEGER NOT NULL,"
      " kind INTEGER NOT NULL, answer BLOB NOT NULL, PRIMARY KEY(client, seq)) WITHOUT ROWID;"
      "CREATE TABLE _sqlw_clients(client BLOB PRIMARY KEY, floor INTEGER NOT NULL);"
      "INSERT INTO _sqlw_meta VALUES('epoch', 999), ('other', 'x');"
      "INSERT INTO _sqlw_requests VALUES(x'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3', 7, 1, x'00'),"
      " (" SQL_A ", 5, 1, x'01');"
      "INSERT INTO _sqlw_clients VALUES(x'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3', 7),"
      " (" SQL_A ", 99);"
      IMAGE_SQL, azPage[i]);
    aImg = IMAGE_MAKE(zSql, &nImg);
    REQUIRE(aImg);

    CHECK_RC(engSend(p, aCliB, 1, 1, K_IMPORT, aImg, nImg), SQLITE_OK);
    REQUIRE(CHECK_SQWR(p, SQLITE_OK, 0));
    CHECK_INT(testInt(p->pDb, "SELECT count(*)*1000 + sum(x) FROM t"), 2*1000 + 300);

    CHECK_INT(testInt(p->pDb, "SELECT v FROM _sqlw_meta WHERE k='epoch'"), 2);
    CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_meta"), 1);
    CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_requests WHERE client="
                      "x'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3'"), 0);
    CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_requests WHERE client=" SQL_A
                      " AND seq=5"), 0);
    CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_requests"), 2);   /* A/1, B/1 */
    CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_clients WHERE client="
                      "x'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3'"), 0);
    CHECK_INT(testInt(p->pDb, "SELECT floor FROM _sqlw_clients WHERE client=" SQL_A), 1);
    CHECK_INT(testInt(p->pDb, SQL_KEEP_LEFT), 0);

    /* A below the image's floor of 99: not taken for a late copy; A/1 from its record. */
    CHECK_RC(engExec(p, aCliA, 1, 1, "INSERT INTO t VALUES(42)"), SQLITE_OK);
    CHECK_MEM(p->out.a, p->out.n, aAns1, nAns1);
    CHECK_RC(engExec(p, aCliA, 2, 1, "INSERT INTO t VALUES(1)"), SQLITE_OK);
    CHECK_SQWR(p, SQLITE_OK, 0);
    CHECK_INT(testInt(p->pDb, "SELECT count(*)*1000 + sum(x) FROM t"), 3*1000 + 301);
    if( i+1<(int)(sizeof(azPage)/sizeof(azPage[0])) ) testClose(p->pDb);
  }
}

TEST(coordeng150, "coordeng-150 a re-sent import is answered from its record, not re-applied"){
  Eng *p = ENG_OPEN();
  unsigned char *aAns1, *aImg, *aImpAns;
  size_t nAns1 = 0, nImg = 0, nImpAns = 0;
  REQUIRE(p);
  REQUIRE(ENG_SETUP(p, &aAns1, &nAns1));
  aImg = IMAGE_MAKE(IMAGE_SQL, &nImg);
  REQUIRE(aImg);
  REQUIRE(engSend(p, aCliB, 1, 1, K_IMPORT, aImg, nImg)==SQLITE_OK);
  REQUIRE(CHECK_SQWR(p, SQLITE_OK, 0));
  aImpAns = engCopy(p, &nImpAns);
  REQUIRE(aImpAns);

  /* The user changes the data again, through the engine and directly. */
  REQUIRE(engExec(p, aCliA, 2, 1, "INSERT INTO t VALUES(300)")==SQLITE_OK);
  REQUIRE(CHECK_SQWR(p, SQLITE_OK, 0));
  REQUIRE(testOk(p->pDb, "CREATE TABLE after(w); DROP TABLE img"));

  /* B's import re-sent: the recorded answer; the changes stay. */
  CHECK_RC(engSend(p, aCliB, 1, 1, K_IMPORT, aImg, nImg), SQLITE_OK);
  CHECK_INT(p->eKind, A_RESULT);
  CHECK_MEM(p->out.a, p->out.n, aImpAns, nImpAns);
  CHECK_INT(testInt(p->pDb, "SELECT count(*)*1000 + sum(x) FROM t"), 3*1000 + 600);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM sqlite_schema WHERE name='after'"), 1);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM sqlite_schema WHERE name='img'"), 0);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_requests WHERE client=" SQL_B), 1);
  CHECK_INT(testInt(p->pDb, SQL_KEEP_LEFT), 0);

  /* Acknowledged, but the floor has not moved far enough to prune: still answered from
  ** its record, not run. */
  REQUIRE(engExec(p, aCliB, 2, 2, "INSERT INTO t VALUES(1000)")==SQLITE_OK);
  CHECK_RC(engSend(p, aCliB, 1, 2, K_IMPORT, aImg, nImg), SQLITE_OK);
  CHECK_INT(testInt(p->pDb, "SELECT count(*)*1000 + sum(x) FROM t"), 4*1000 + 1600);
  /* Once the floor moves 32 on, the records below it go and the floor is written: a
  ** re-send below it is a late copy, neither run nor answered. */
  REQUIRE(engExec(p, aCliB, 40, 40, "INSERT INTO t VALUES(1)")==SQLITE_OK);
  CHECK_INT(testInt(p->pDb, "SELECT floor FROM _sqlw_clients WHERE client=" SQL_B), 40);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_requests WHERE client=" SQL_B), 1);
  CHECK_RC(engSend(p, aCliB, 1, 40, K_IMPORT, aImg, nImg), SQLITE_DONE);
  CHECK_INT(testInt(p->pDb, "SELECT count(*)*1000 + sum(x) FROM t"), 5*1000 + 1601);
}

TEST(coordeng160, "coordeng-160 an image that is not a database is refused, not recorded"){
  static const char *azBad[] = {
    "",
    "not a database",
    /* 512 bytes of text: long enough to be looked at as a header */
    "This is not a database. This is not a database. This is not a database. "
    "This is not a database. This is not a database. This is not a database. "
    "This is not a database. This is not a database. This is not a database. "
    "This is not a database. This is not a database. This is not a database. "
    "This is not a database. This is not a database. This is not a database. "
    "This is not a database. This is not a database. This is not a database. "
    "This is not a database. This is not a database. This is not a database. "
    "This is not a database.",
  };
  Eng *p = ENG_OPEN();
  unsigned char *aAns1, *aImg;
  size_t nAns1 = 0, nImg = 0;
  int i;
  REQUIRE(p);
  REQUIRE(ENG_SETUP(p, &aAns1, &nAns1));
  for(i=0; i<(int)(sizeof(azBad)/sizeof(azBad[0])); i++){
    CHECK_RC(engSend(p, aCliB, 1, 1, K_IMPORT, azBad[i], strlen(azBad[i])), SQLITE_OK);
    CHECK_SQWR(p, SQLITE_NOTADB, 0);
    CHECK_INT(testInt(p->pDb, "SELECT count(*)*1000 + sum(x) FROM t"), 1*1000 + 42);
    CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM u"), 1);
    CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_requests WHERE client=" SQL_B), 0);
    CHECK_INT(testInt(p->pDb, "SELECT v FROM _sqlw_meta WHERE k='epoch'"), 2);
    CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_requests"), 1);
    CHECK_INT(testInt(p->pDb, SQL_KEEP_LEFT), 0);
    CHECK(sqlite3_get_autocommit(sqlwHandle(p->pDb)));
  }

  /* The same seq with a sound image: it applies. */
  aImg = IMAGE_MAKE(IMAGE_SQL, &nImg);
  REQUIRE(aImg);
  CHECK_RC(engSend(p, aCliB, 1, 1, K_IMPORT, aImg, nImg), SQLITE_OK);
  CHECK_SQWR(p, SQLITE_OK, 0);
  CHECK_INT(testInt(p->pDb, "SELECT count(*)*1000 + sum(x) FROM t"), 2*1000 + 300);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM sqlite_schema WHERE name='u'"), 0);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_requests WHERE client=" SQL_B), 1);
}

/* ---- errors ------------------------------------------------------------------------ */

TEST(coordeng170, "coordeng-170 an unknown kind is refused with SQLITE_MISUSE"){
  static const int aKind[] = { 0, 6, 7, 11, 255 };
  Eng *p = ENG_OPEN();
  unsigned char *aAns1;
  size_t nAns1 = 0;
  int i;
  REQUIRE(p);
  REQUIRE(ENG_SETUP(p, &aAns1, &nAns1));
  for(i=0; i<(int)(sizeof(aKind)/sizeof(aKind[0])); i++){
    CHECK_RC(engSend(p, aCliA, 2, 1, aKind[i], "abcd", 4), SQLITE_MISUSE);
    CHECK_ERROR(p, SQLITE_MISUSE, aKind[i]==7 ? "this request kind cannot be sent to another tab" : 0);
  }
  /* A malformed exec body is a MISUSE too, and leaves nothing behind. */
  CHECK_RC(engSend(p, aCliA, 2, 1, K_EXEC, "ab", 2), SQLITE_MISUSE);
  CHECK_ERROR(p, SQLITE_MISUSE, "malformed request: no SQL length");
  CHECK_RC(engSend(p, aCliA, 2, 1, K_EXEC, "\x09\0\0\0" "abc", 7), SQLITE_MISUSE);
  CHECK_ERROR(p, SQLITE_MISUSE, "malformed request: SQL longer than the request");
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_requests"), 1);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM t"), 1);
  CHECK(sqlite3_get_autocommit(sqlwHandle(p->pDb)));
}

TEST(coordeng180, "coordeng-180 import while the client's transaction is open: SQLITE_BUSY"){
  Eng *p = ENG_OPEN();
  unsigned char *aAns1, *aImg;
  size_t nAns1 = 0, nImg = 0;
  REQUIRE(p);
  REQUIRE(ENG_SETUP(p, &aAns1, &nAns1));
  aImg = IMAGE_MAKE(IMAGE_SQL, &nImg);
  REQUIRE(aImg);

  CHECK_RC(engSend(p, aCliA, 10, 1, REQ_BEGIN, 0, 0), SQLITE_OK);
  REQUIRE(CHECK_SQWR(p, SQLITE_OK, 0));
  REQUIRE(!sqlite3_get_autocommit(sqlwHandle(p->pDb)));
  CHECK_RC(engExec(p, aCliA, 11, 1, "INSERT INTO t VALUES(7)"), SQLITE_OK);
  CHECK_SQWR(p, SQLITE_OK, 0);

  /* The lease holder's import, inside its transaction. */
  CHECK_RC(engSend(p, aCliA, 12, 1, K_IMPORT, aImg, nImg), SQLITE_OK);
  CHECK_SQWR(p, SQLITE_BUSY, 0);
  CHECK(!sqlite3_get_autocommit(sqlwHandle(p->pDb)));
  CHECK_INT(testInt(p->pDb, "SELECT count(*)*1000 + sum(x) FROM t"), 2*1000 + 49);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM u"), 1);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM sqlite_schema WHERE name='img'"), 0);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_requests WHERE client=" SQL_A
                    " AND seq=12"), 0);
  CHECK_INT(testInt(p->pDb, SQL_KEEP_LEFT), 0);

  CHECK_RC(engSend(p, aCliA, 13, 1, REQ_ROLLBACK, 0, 0), SQLITE_OK);
  CHECK_SQWR(p, SQLITE_OK, 0);
  CHECK(sqlite3_get_autocommit(sqlwHandle(p->pDb)));
  CHECK_INT(testInt(p->pDb, "SELECT count(*)*1000 + sum(x) FROM t"), 1*1000 + 42);
  CHECK_INT(testInt(p->pDb, "SELECT count(*) FROM _sqlw_requests WHERE client=" SQL_A), 1);

  /* With the transaction gone, the same import (same seq) applies. */
  CHECK_RC(engSend(p, aCliA, 12, 1, K_IMPORT, aImg, nImg), SQLITE_OK);
  CHECK_SQWR(p, SQLITE_OK, 0);
  CHECK_INT(testInt(p->pDb, "SELECT count(*)*1000 + sum(x) FROM t"), 2*1000 + 300);
}

TEST(coordengguard, "coordeng-190 the user's SQL cannot change, shadow or watch the protocol's tables, attach a file or undo the journal; reading them works"){
  sqlw_db *pDb = 0;
  CoordEngine e;
  uint64_t iEpoch = 0;
  static const unsigned char aA[COORD_ID_BYTES] = { 0xA1, 0xA1, 0xA1, 0xA1, 0xA1, 0xA1, 0xA1, 0xA1,
                                                    0xA1, 0xA1, 0xA1, 0xA1, 0xA1, 0xA1, 0xA1, 0xA1 };
  static const char *const azDenied[] = {
    "DELETE FROM _sqlw_requests", "DROP TABLE _sqlw_meta", "UPDATE _sqlw_clients SET floor=0",
    "INSERT INTO _SQLW_META VALUES('epoch', 0)", "ALTER TABLE _sqlw_meta ADD COLUMN x",
    "CREATE INDEX i ON _sqlw_requests(kind)", "CREATE TABLE _sqlw_other(x)",
    "CREATE TEMP TABLE _sqlw_requests(a)", "CREATE TEMP VIEW _sqlw_clients AS SELECT 1",
    "CREATE TEMP TRIGGER x AFTER INSERT ON main._sqlw_requests BEGIN SELECT 1; END",
    "PRAGMA writable_schema=1", "PRAGMA journal_mode=OFF", "ATTACH 'f' AS f", "VACUUM INTO 'f'",
  };
  size_t i;
  CHECK_RC(sqlw_open("coordeng-guard", "memdb", 0, &pDb), SQLITE_OK);
  coordEngineInit(&e, pDb);
  CHECK_RC(e.xEpoch(e.pCtx, 1, &iEpoch), SQLITE_OK);
  for(i=0; i<sizeof(azDenied)/sizeof(azDenied[0]); i++){
    unsigned char aBody[128];
    size_t n = strlen(azDenied[i]);
    SqlwBuf out;
    int eKind = 0;
    memset(&out, 0, sizeof(out));
    aBody[0] = (unsigned char)n; aBody[1] = aBody[2] = aBody[3] = 0;
    memcpy(aBody+4, azDenied[i], n);
    CoordRequest q = { aA, (uint32_t)(10+i), 0, 0, REQ_EXEC, aBody, 4+n, -1, 0 };
    CHECK_RC(e.xExec(e.pCtx, &q, &eKind, &out), SQLITE_OK);
    CHECK(out.n>=12);
    /* The SQWR's code (u32 at offset 8): not authorized. */
    CHECK_RC((int)((uint32_t)out.a[8] | (uint32_t)out.a[9]<<8), SQLITE_AUTH);
    sqlwBufFree(&out);
  }
  {
    const WrResult *r = testExec(pDb, "SELECT v FROM _sqlw_meta WHERE k='epoch'", 0, 0);
    CHECK_RC(r->rc, SQLITE_OK);
  }
  sqlw_close(pDb);
}
