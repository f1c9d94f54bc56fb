/*
** coord_engine.c — the leader's engine for the multi-tab protocol (docs/coord.md,
** "Requests, exactly once" and "Epochs"): how coord runs a request on the open
** database, and where the epoch lives.
**
** A request (client, seq) runs inside a savepoint. If it wrote anything (the main
** database's transaction became a write transaction), its answer is recorded in
** _sqlw_requests in the same savepoint, so the write and its record commit together:
** a request re-sent after a leader change, or after its tab's worker died, finds the
** record and gets the recorded answer instead of running twice. Reads are not recorded:
** running them again is harmless. A request that fails is rolled back whole, record
** and all, and answered with its error (through coord, a failing script keeps none of
** its statements' effects).
**
** A single statement that reads (in a transaction too), a PRAGMA or VACUUM runs as it
** is, outside any savepoint and unrecorded (sqlwBareStatement): PRAGMA foreign_keys is
** a no-op inside a transaction, VACUUM is refused inside one, and a read may simply run
** again.
**
** Connection settings belong to the tab that set them (coord_guard.c, with the guard):
** before each request the connection takes the asking client's settings, and a client's
** settings are kept in _sqlw_settings, so a new leader applies them too.
**
** A request that may hold a transaction statement (BEGIN, COMMIT, SAVEPOINT, ...) runs
** over a transaction the engine begins, and coord_txn.c runs those statements as on the
** tab's own connection; such a request's record commits with it (ceEndControl).
**
** Known limit: a script (several statements) runs inside the savepoint, so a PRAGMA
** that needs no transaction does nothing there.
*/
#include <string.h>
#include "sqlite3.h"
#include "sqlw.h"
#include "coord.h"
#include "engine_int.h"
#include "coord_guard.h"
#include "coord_txn.h"


static const char zSchema[] =
  "CREATE TABLE IF NOT EXISTS main._sqlw_meta(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS main._sqlw_requests(client BLOB NOT NULL, seq INTEGER NOT NULL,"
  " kind INTEGER NOT NULL, answer BLOB NOT NULL, PRIMARY KEY(client, seq)) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS main._sqlw_clients(client BLOB PRIMARY KEY, floor INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS main._sqlw_settings(client BLOB PRIMARY KEY, word INTEGER NOT NULL)"
  " WITHOUT ROWID";

/* The time the current request may run (xDeadline), -1 for no limit. */
static int64_t ceBudgetMs = -1;

/* Runs the user's request (kind eKind) with the authorizer's guard up, and the request's
** deadline: past it, SQLite's progress handler interrupts the statement. */
static int ceUser(sqlw_db *pDb, int eKind, const char *zSql, size_t nSql,
                  const unsigned char *aRest, size_t nRest){
  int rc;
  sqlw_set_deadline(pDb, (double)ceBudgetMs);
  sqlwGuardUser(1);
  if( eKind==REQ_BATCH ) rc = sqlw_batch(pDb, aRest, nRest);
  else if( eKind==REQ_EXEC ) rc = sqlw_exec(pDb, zSql, nSql, aRest, nRest);
  else rc = sqlw_run_many(pDb, zSql, nSql, aRest, nRest);
  sqlwGuardUser(0);
  sqlw_clear_deadline(pDb);
  return rc;
}

/* The floor of a client that is gone: every sequence is below it. */
#define CE_GONE 0xffffffffu
/* A client's records below its acknowledged floor are dropped (and the floor written)
** once the floor has moved this far: at most this many records per client wait. */
#define CE_PRUNE_EVERY 32
/* The largest answer kept whole in a write's record (above it, a note is kept). */
#define CE_KEEP_ANSWER (64*1024)
/* Gone clients remembered (their late duplicates refused), the most recent ones. */
#define CE_GONE_KEEP 1000

/* The code of db's last failure (out of memory, say), SQLITE_ERROR when it has none. */
static int ceErrcode(sqlite3 *db){
  int rc = sqlite3_extended_errcode(db);
  return rc==SQLITE_OK ? SQLITE_ERROR : rc;
}

/*
** Makes pOut a rejection's body: an error result (SQWR: code, message, no offset), the
** one form every error takes between threads and tabs (docs/format.md, "Errors").
*/
static void ceFail(SqlwBuf *pOut, int rc, const char *zMsg){
  sqlwResultError(pOut, rc, -1, zMsg);
}

/* Makes pOut the answer recorded for a write whose answer was too big to keep. */
static void ceNotKept(SqlwBuf *pOut){
  ceFail(pOut, SQLITE_WORKER_RESULT_NOT_KEPT, "the request was applied, but its result "
         "(over 64 KiB) was not kept to be sent again after the answer was lost (a tab or "
         "worker stopped): read what it wrote");
}

/*
** Looks up the record of (aClient, iSeq). Returns SQLITE_ROW with the answer appended to
** pOut and its kind in *peKind, SQLITE_DONE when there is none, or an error code.
*/
static int ceLookup(sqlw_db *pDb, const unsigned char *aClient, uint32_t iSeq, int *peKind,
                    SqlwBuf *pOut){
  sqlite3_stmt *pStmt = 0;
  int bCached = 0;
  int rc;
  if( pDb->bPrivate ) return SQLITE_DONE;          /* no records: never answered before */
  rc = sqlwPrepareCached(pDb, "SELECT kind, answer FROM main._sqlw_requests "
                         "WHERE client=?1 AND seq=?2", &pStmt, &bCached);
  if( rc ) return rc;
  sqlite3_bind_blob(pStmt, 1, aClient, COORD_ID_BYTES, SQLITE_STATIC);
  sqlite3_bind_int64(pStmt, 2, iSeq);
  rc = sqlite3_step(pStmt);
  if( rc==SQLITE_ROW ){
    int n = sqlite3_column_bytes(pStmt, 1);
    const unsigned char *a = sqlite3_column_blob(pStmt, 1);
    *peKind = sqlite3_column_int(pStmt, 0);
    if( *peKind==0 && (n<4 || memcmp(a, SQLW_MAGIC_RESULT, 4)!=0) ){
      /* A note of an earlier version, as text: the only one it wrote was that a big
      ** answer was not kept. */
      ceNotKept(pOut);
      rc = pOut->bOom ? SQLITE_NOMEM : SQLITE_ROW;
    }else if( sqlwBufReserve(pOut, (size_t)n) ){
      rc = SQLITE_NOMEM;
    }else{
      if( n ) memcpy(pOut->a+pOut->n, a, (size_t)n);
      pOut->n += (size_t)n;
    }
  }
  sqlwReleaseCached(pStmt, bCached);
  return rc;
}

/* Records the answer a[0..n) of kind eKind for (aClient, iSeq). Returns SQLite's code. */
static int ceRecord(sqlw_db *pDb, const unsigned char *aClient, uint32_t iSeq, int eKind,
                    const unsigned char *a, size_t n){
  sqlite3_stmt *pStmt = 0;
  int bCached = 0;
  int rc;
  if( pDb->bPrivate ) return SQLITE_OK;            /* nobody could send it again */
  rc = sqlwPrepareCached(pDb, "INSERT INTO main._sqlw_requests(client, seq, kind, answer) "
                         "VALUES(?1, ?2, ?3, ?4)", &pStmt, &bCached);
  if( rc ) return rc;
  sqlite3_bind_blob(pStmt, 1, aClient, COORD_ID_BYTES, SQLITE_STATIC);
  sqlite3_bind_int64(pStmt, 2, iSeq);
  sqlite3_bind_int(pStmt, 3, eKind);
  sqlite3_bind_blob64(pStmt, 4, a, n, SQLITE_STATIC);
  rc = sqlite3_step(pStmt);
  sqlwReleaseCached(pStmt, bCached);
  return rc==SQLITE_DONE ? SQLITE_OK : rc;
}

/* Runs the request itself. Returns its result code; its answer is sqlw_result's. */
static int ceRun(sqlw_db *pDb, int eKind, const unsigned char *aBody, size_t nBody,
                 const char **pzWhy){
  uint32_t nSql;
  if( eKind==REQ_BATCH ) return ceUser(pDb, REQ_BATCH, 0, 0, aBody, nBody);
  if( nBody<4 ){
    *pzWhy = "malformed request: no SQL length";
    return SQLITE_MISUSE;
  }
  nSql = (uint32_t)aBody[0] | (uint32_t)aBody[1]<<8 | (uint32_t)aBody[2]<<16
       | (uint32_t)aBody[3]<<24;
  if( nSql>nBody-4 ){
    *pzWhy = "malformed request: SQL longer than the request";
    return SQLITE_MISUSE;
  }
  return ceUser(pDb, eKind, (const char*)aBody+4, nSql, aBody+4+nSql, nBody-4-nSql);
}



/*
** Raises aClient's floor to iBelow and drops its records below it: the client has those
** answers, and a late copy of one of those requests (below the floor) is refused, not
** run again. CE_GONE: the client is gone; the most recent CE_GONE_KEEP gone clients are
** remembered. Returns SQLite's code.
*/
static int ceDrop(sqlw_db *pDb, const unsigned char *aClient, uint32_t iBelow){
  sqlite3 *db = sqlwHandle(pDb);
  int rc;
  if( pDb->bPrivate ) return SQLITE_OK;
  rc = sqlwRunFor(pDb, "DELETE FROM main._sqlw_requests WHERE client=?1 AND seq<?2", aClient,
                  (sqlite3_int64)iBelow);
  if( rc==SQLITE_OK ){
    rc = sqlwRunFor(pDb, iBelow==CE_GONE
      ? "INSERT OR REPLACE INTO main._sqlw_clients(client, floor) VALUES(?1, ?2)"
      : "INSERT INTO main._sqlw_clients(client, floor) VALUES(?1, ?2) "
        "ON CONFLICT(client) DO UPDATE SET floor=max(floor, excluded.floor)",
      aClient, (sqlite3_int64)iBelow);
  }
  if( rc==SQLITE_OK && iBelow==CE_GONE ){
    rc = sqlite3_exec(db, "DELETE FROM main._sqlw_clients WHERE floor=4294967295 AND rowid<"
                      "(SELECT rowid FROM main._sqlw_clients WHERE floor=4294967295 "
                      "ORDER BY rowid DESC LIMIT 1 OFFSET 999)", 0, 0, 0);
  }
  return rc;
}

/*
** Returns 1 if iSeq is below aClient's floor (a late copy), 0 if not, or -1 on error.
** The floor goes to *piFloor when asked (-1 when the client has none).
*/
static int ceFloor(sqlw_db *pDb, const unsigned char *aClient, uint32_t iSeq,
                   sqlite3_int64 *piFloor){
  sqlite3_stmt *pStmt = 0;
  int bCached = 0;
  int r = 0, rc;
  if( piFloor ) *piFloor = -1;
  if( pDb->bPrivate ) return 0;
  if( sqlwPrepareCached(pDb, "SELECT floor FROM main._sqlw_clients WHERE client=?1", &pStmt,
                        &bCached) ){
    return -1;
  }
  sqlite3_bind_blob(pStmt, 1, aClient, COORD_ID_BYTES, SQLITE_STATIC);
  rc = sqlite3_step(pStmt);
  if( rc==SQLITE_ROW ){
    sqlite3_int64 iFloor = sqlite3_column_int64(pStmt, 0);
    r = (sqlite3_int64)iSeq<iFloor;
    if( piFloor ) *piFloor = iFloor;
  }else if( rc!=SQLITE_DONE ){
    r = -1;
  }
  sqlwReleaseCached(pStmt, bCached);
  return r;
}

/* ceFloor without the floor. */
static int ceBelowFloor(sqlw_db *pDb, const unsigned char *aClient, uint32_t iSeq){
  return ceFloor(pDb, aClient, iSeq, 0);
}

/* Moves the connection's result buffer (an SQWR) to the end of pOut (sqlwBufMove: taken
** whole, not copied, when pOut is empty). Returns SQLITE_OK/NOMEM. */
static int ceAnswer(sqlw_db *pDb, SqlwBuf *pOut){
  return sqlwBufMove(pOut, &pDb->out);
}

/* The answer to a request of a transaction this leader does not hold (lost with a
** previous leader, or rolled back after being idle). Returns the code. */
static int ceLost(SqlwBuf *pOut){
  ceFail(pOut, SQLITE_WORKER_LEADER_CHANGED, "the transaction was lost when the tab "
         "serving the database changed (or it was rolled back after being idle); nothing "
         "of it was saved: run it again");
  return SQLITE_ABORT;
}

/* Ends the connection's transaction with a rollback, the tab's with it. */
static void ceRollbackAll(sqlw_db *pDb){
  sqlite3 *db = sqlwHandle(pDb);
  if( !sqlite3_get_autocommit(db) ) sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
  sqlwTxnReset(pDb);
}

/*
** db.transaction()'s kinds (see coord.h): BEGIN opens the tab's transaction
** (coord_txn.c) over a BEGIN IMMEDIATE; ROLLBACK ends it; COMMIT writes its record in
** the transaction it commits. Returns as xExec does.
*/
static int ceTransaction(sqlw_db *pDb, const unsigned char *aClient, uint32_t iSeq,
                         int eKind, int *peKind, SqlwBuf *pOut){
  sqlite3 *db = sqlwHandle(pDb);
  int rc;
  *peKind = ANS_RESULT;
  if( eKind==REQ_BEGIN ){
    /* A BEGIN is recorded in its own transaction: a late copy of the BEGIN of a
    ** transaction that committed finds the record and opens nothing. */
    rc = ceLookup(pDb, aClient, iSeq, peKind, pOut);
    if( rc==SQLITE_ROW ){
      /* Its transaction is still open: a re-sent BEGIN, answered again. Else it
      ** committed long ago: a late copy. */
      return sqlwTxnOpen(pDb) ? SQLITE_OK : SQLITE_DONE;
    }
    if( rc!=SQLITE_DONE ) return rc;
    if( sqlwTxnOpen(pDb) ){
      ceFail(pOut, SQLITE_ERROR, "cannot start a transaction within a transaction");
      return SQLITE_ERROR;
    }
    if( sqlw_exec(pDb, "BEGIN IMMEDIATE", 15, 0, 0)==SQLITE_OK ){
      rc = ceAnswer(pDb, pOut);
      sqlwBookkeeping(pDb, 1);
      if( rc==SQLITE_OK ) rc = ceRecord(pDb, aClient, iSeq, ANS_RESULT, pOut->a, pOut->n);
      sqlwBookkeeping(pDb, 0);
      if( rc==SQLITE_OK ) rc = sqlwTxnBegin(pDb);
      if( rc!=SQLITE_OK ){
        ceRollbackAll(pDb);
        ceFail(pOut, rc, sqlite3_errstr(rc));
      }
      return rc;
    }
    return ceAnswer(pDb, pOut);
  }
  if( eKind==REQ_ROLLBACK ){
    sqlw_exec(pDb, "", 0, 0, 0);
    ceRollbackAll(pDb);
    return ceAnswer(pDb, pOut);
  }
  rc = ceLookup(pDb, aClient, iSeq, peKind, pOut);
  if( rc==SQLITE_ROW ) return SQLITE_OK;          /* a re-sent COMMIT: it committed */
  if( rc!=SQLITE_DONE ) return rc;
  if( !sqlwTxnOpen(pDb) ) return ceLost(pOut);
  /* The answer is that of an empty request (success, nothing returned), recorded in the
  ** transaction before it commits, so a re-sent COMMIT finds it. */
  sqlw_exec(pDb, "", 0, 0, 0);
  rc = sqlwTxnRelease(pDb);
  if( rc==SQLITE_OK ) rc = ceAnswer(pDb, pOut);
  sqlwBookkeeping(pDb, 1);
  if( rc==SQLITE_OK ) rc = ceRecord(pDb, aClient, iSeq, ANS_RESULT, pOut->a, pOut->n);
  sqlwBookkeeping(pDb, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_exec(db, "COMMIT", 0, 0, 0);
  if( rc!=SQLITE_OK ){
    ceRollbackAll(pDb);
    ceFail(pOut, rc, sqlite3_errstr(rc));
  }
  return rc;
}

/* Exports the database: the answer is the file's bytes (ANS_BYTES). Returns as xExec. */
static int ceExport(sqlw_db *pDb, int *peKind, SqlwBuf *pOut){
  int64_t n = 0;
  unsigned char *a = sqlw_export(pDb, &n);
  if( a==0 ){
    ceFail(pOut, sqlw_errcode(pDb), sqlw_errmsg(pDb));
    return sqlw_errcode(pDb) ? sqlw_errcode(pDb) : SQLITE_NOMEM;
  }
  if( sqlwBufReserve(pOut, (size_t)n) ){
    sqlw_free(a);
    return SQLITE_NOMEM;
  }
  memcpy(pOut->a+pOut->n, a, (size_t)n);
  pOut->n += (size_t)n;
  sqlw_free(a);
  *peKind = ANS_BYTES;
  return SQLITE_OK;
}

/*
** Drops whatever the image put under the protocol's reserved names (tables, or views
** posing as them). Returns SQLite's code.
*/
static int ceDropReserved(sqlite3 *db){
  static const char *const azName[] = { "_sqlw_requests", "_sqlw_clients", "_sqlw_meta",
                                        "_sqlw_settings" };
  int i, rc = SQLITE_OK;
  for(i=0; rc==SQLITE_OK && i<4; i++){
    sqlite3_stmt *pStmt = 0;
    char *zDrop = 0;
    rc = sqlite3_prepare_v2(db, "SELECT type FROM main.sqlite_schema WHERE name=?1 COLLATE NOCASE "
                            "AND type IN ('table', 'view')", -1, &pStmt, 0);
    if( rc ) break;
    sqlite3_bind_text(pStmt, 1, azName[i], -1, SQLITE_STATIC);
    if( sqlite3_step(pStmt)==SQLITE_ROW ){
      zDrop = sqlite3_mprintf("DROP %s main.\"%w\"", sqlite3_column_text(pStmt, 0), azName[i]);
    }
    rc = sqlite3_finalize(pStmt);
    if( rc==SQLITE_OK && zDrop ) rc = sqlite3_exec(db, zDrop, 0, 0, 0);
    sqlite3_free(zDrop);
  }
  return rc;
}

/* ---- Streamed imports ----------------------------------------------------------------
** A tab streams an image as REQ_IMPORT_PART requests (an offset, then bytes), each
** answered before the next is sent, then a REQ_IMPORT_END with the image's size. The
** pieces go to the tab's staging file beside the database (ceStagePath), on storage,
** so a new leader goes on where the old one stopped; the END imports the file like a
** whole image (recorded, answered from its record when re-sent) and removes it. The
** file of a tab that is gone is removed when its records are forgotten (ceForget). */

/* The staging file of aClient: "<database path>.import-<client id in hex>", a
** sqlite3_malloc'd string, or NULL when out of memory. */
static char *ceStagePath(sqlw_db *pDb, const unsigned char *aClient){
  static const char zHex[] = "0123456789abcdef";
  char zId[2*COORD_ID_BYTES+1];
  const char *zDb = sqlite3_db_filename(sqlwHandle(pDb), "main");
  int i;
  for(i=0; i<COORD_ID_BYTES; i++){
    zId[2*i] = zHex[aClient[i]>>4];
    zId[2*i+1] = zHex[aClient[i]&15];
  }
  zId[2*COORD_ID_BYTES] = 0;
  return sqlite3_mprintf("%s.import-%s", zDb ? zDb : "", zId);
}

/* Reads the u64 (little-endian) at a. */
static uint64_t ceU64(const unsigned char *a){
  uint64_t v = 0;
  int i;
  for(i=7; i>=0; i--) v = v<<8 | a[i];
  return v;
}

/* Imports a[0..n), or the staged image zStaged of nStaged bytes when zStaged is not NULL. */
static int ceImportRun(sqlw_db *pDb, const unsigned char *a, size_t n, const char *zStaged,
                       int64_t nStaged){
  int rc = zStaged ? sqlw_import_file(pDb, zStaged, nStaged) : sqlw_import(pDb, a, n);
  if( rc==SQLITE_OK ) sqlwChangesAll(pDb);      /* every table may have changed */
  return rc;
}

static int ceImport(sqlw_db*, const unsigned char*, uint32_t, const unsigned char*, size_t,
                    const char*, int64_t, int*, SqlwBuf*);

/* A REQ_IMPORT_PART or REQ_IMPORT_END of aClient (see "Streamed imports"). */
static int ceStaged(sqlw_db *pDb, const unsigned char *aClient, uint32_t iSeq, int eKind,
                    const unsigned char *aBody, size_t nBody, int *peKind, SqlwBuf *pOut){
  char *zPath;
  uint64_t iArg;
  int rc;
  if( nBody<8 || (eKind==REQ_IMPORT_END && nBody!=8) ){
    ceFail(pOut, SQLITE_MISUSE, "malformed import piece");
    return SQLITE_MISUSE;
  }
  iArg = ceU64(aBody);
  zPath = ceStagePath(pDb, aClient);
  if( zPath==0 ){
    ceFail(pOut, SQLITE_NOMEM, "out of memory");
    return SQLITE_NOMEM;
  }
  *peKind = ANS_RESULT;
  if( eKind==REQ_IMPORT_PART ){
    if( iArg>((uint64_t)1<<53) ) iArg = (uint64_t)1<<53;   /* refused as out of range */
    sqlw_stage_write(pDb, zPath, (int64_t)iArg, aBody+8, nBody-8);
    rc = ceAnswer(pDb, pOut);
  }else if( iArg==REQ_IMPORT_DISCARD ){
    sqlw_stage_delete(pDb, zPath);
    rc = ceAnswer(pDb, pOut);
  }else{
    rc = ceImport(pDb, aClient, iSeq, 0, 0, zPath,
                  iArg>((uint64_t)1<<53) ? -1 : (int64_t)iArg, peKind, pOut);
    sqlw_stage_delete(pDb, zPath);               /* used, or of no more use */
  }
  sqlite3_free(zPath);
  return rc;
}

/*
** Imports the image a[0..n) for (aClient, iSeq). The image replaces the whole file, so
** the protocol's own rows (records, floors, the epoch) are kept aside in temp tables
** and put back, then the import is recorded: a re-sent import is answered from its
** record. The restore is a transaction of its own after the import's (a leader that
** dies between them leaves the image's rows, which only make late copies of
** requests run: see docs/coord.md). The answer is the import's SQWR (ANS_RESULT).
*/
static int ceImport(sqlw_db *pDb, const unsigned char *aClient, uint32_t iSeq,
                    const unsigned char *a, size_t n, const char *zStaged, int64_t nStaged,
                    int *peKind, SqlwBuf *pOut){
  static const char zKeep[] =
    "DROP TABLE IF EXISTS temp._sqlw_keep_requests; DROP TABLE IF EXISTS temp._sqlw_keep_clients;"
    "DROP TABLE IF EXISTS temp._sqlw_keep_meta; DROP TABLE IF EXISTS temp._sqlw_keep_settings;"
    "CREATE TEMP TABLE _sqlw_keep_requests AS SELECT client, seq, kind, answer FROM main._sqlw_requests;"
    "CREATE TEMP TABLE _sqlw_keep_settings AS SELECT client, word FROM main._sqlw_settings;"
    "CREATE TEMP TABLE _sqlw_keep_clients AS SELECT client, floor FROM main._sqlw_clients;"
    "CREATE TEMP TABLE _sqlw_keep_meta AS SELECT k, v FROM main._sqlw_meta";
  static const char zRefill[] =
    "INSERT INTO main._sqlw_requests SELECT * FROM temp._sqlw_keep_requests;"
    "INSERT INTO main._sqlw_clients SELECT * FROM temp._sqlw_keep_clients;"
    "INSERT INTO main._sqlw_meta SELECT * FROM temp._sqlw_keep_meta;"
    "INSERT INTO main._sqlw_settings SELECT * FROM temp._sqlw_keep_settings";
  static const char zDrop[] =
    "DROP TABLE IF EXISTS temp._sqlw_keep_requests; DROP TABLE IF EXISTS temp._sqlw_keep_clients;"
    "DROP TABLE IF EXISTS temp._sqlw_keep_meta; DROP TABLE IF EXISTS temp._sqlw_keep_settings";
  sqlite3 *db = sqlwHandle(pDb);
  int rc = ceLookup(pDb, aClient, iSeq, peKind, pOut);
  if( rc==SQLITE_ROW ) return SQLITE_OK;        /* a re-sent import: it landed */
  if( rc!=SQLITE_DONE ){
    ceFail(pOut, rc, sqlite3_errstr(rc));
    return rc;
  }
  *peKind = ANS_RESULT;
  if( !sqlite3_get_autocommit(db) ){
    ceImportRun(pDb, a, n, zStaged, nStaged);            /* refused: a transaction is open */
    return ceAnswer(pDb, pOut);
  }
  if( pDb->bPrivate ){
    /* No bookkeeping to keep; the image's own (an OPFS database's export) goes. */
    if( ceImportRun(pDb, a, n, zStaged, nStaged)==SQLITE_OK ){
      rc = sqlite3_exec(db, "BEGIN IMMEDIATE", 0, 0, 0);
      if( rc==SQLITE_OK ) rc = ceDropReserved(db);
      if( rc==SQLITE_OK ) rc = sqlite3_exec(db, "COMMIT", 0, 0, 0);
      if( rc!=SQLITE_OK && !sqlite3_get_autocommit(db) ) sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
      if( rc!=SQLITE_OK ){
        ceFail(pOut, rc, "the image was imported, but its _sqlw_ tables could not be removed");
        return rc;
      }
    }
    return ceAnswer(pDb, pOut);
  }
  rc = sqlite3_exec(db, zKeep, 0, 0, 0);
  if( rc ){
    ceFail(pOut, rc, sqlite3_errmsg(db));
    return rc;
  }
  if( ceImportRun(pDb, a, n, zStaged, nStaged)==SQLITE_OK ){
    int nTry;
    /* The image landed: the bookkeeping must follow it. Out of memory, once more after
    ** SQLite gives back what it can (a database without its records would run re-sent
    ** requests twice). */
    for(nTry=0; nTry<2; nTry++){
      if( nTry ) sqlite3_db_release_memory(db);
      rc = sqlite3_exec(db, "BEGIN IMMEDIATE", 0, 0, 0);
      if( rc==SQLITE_OK ) rc = ceDropReserved(db);
      if( rc==SQLITE_OK ) rc = sqlite3_exec(db, zSchema, 0, 0, 0);
      if( rc==SQLITE_OK ) rc = sqlite3_exec(db, zRefill, 0, 0, 0);
      if( rc==SQLITE_OK ){
        size_t nAns;
        const unsigned char *aAns = sqlw_result(pDb, &nAns);
        rc = ceRecord(pDb, aClient, iSeq, ANS_RESULT, aAns, nAns);
      }
      if( rc==SQLITE_OK ) rc = sqlite3_exec(db, "COMMIT", 0, 0, 0);
      if( rc!=SQLITE_OK && !sqlite3_get_autocommit(db) ) sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
      if( (rc & 0xff)!=SQLITE_NOMEM ) break;
    }
    /* The image landed whatever happened to the bookkeeping: the answer says so. */
    if( rc==SQLITE_NOMEM ){
      sqlite3_exec(db, zDrop, 0, 0, 0);
      return SQLITE_NOMEM;
    }
  }
  sqlite3_exec(db, zDrop, 0, 0, 0);
  return ceAnswer(pDb, pOut);
}

static int ceExecUser(sqlw_db*, const CoordRequest*, int*, SqlwBuf*);

/* A cursor idle this long is closed (a tab that stopped iterating without a word). */
#define CE_CURSOR_IDLE_MS 30000.0

/* A little-endian u32 at a. */
static uint32_t ceU32(const unsigned char *a){
  return (uint32_t)a[0] | (uint32_t)a[1]<<8 | (uint32_t)a[2]<<16 | (uint32_t)a[3]<<24;
}

/*
** The cursor kinds (db.iterate, see sqlw.h): reads, so not recorded; the answer is the
** chunk's result (SQWR), an error result inside it. Returns as xExec does.
*/
static int ceCursor(sqlw_db *pDb, const CoordRequest *q, int *peKind, SqlwBuf *pOut){
  const unsigned char *a = q->aBody;
  size_t n = q->nBody;
  sqlw_cursor_expire(pDb, CE_CURSOR_IDLE_MS);
  *peKind = ANS_RESULT;
  if( q->eKind==REQ_CURSOR_CLOSE ){
    if( n!=4 ) goto malformed;
    sqlw_cursor_close(pDb, q->aClient, ceU32(a));
    sqlw_exec(pDb, "", 0, 0, 0);
    return ceAnswer(pDb, pOut);
  }
  if( q->eKind==REQ_CURSOR_NEXT ){
    if( n!=12 ) goto malformed;
    sqlw_set_deadline(pDb, (double)ceBudgetMs);
    sqlw_cursor_next(pDb, q->aClient, ceU32(a), ceU32(a+4), ceU32(a+8));
  }else{
    uint32_t nSql;
    if( n<12 || (nSql = ceU32(a+8))>n-12 ) goto malformed;
    sqlwSettingsFor(pDb, q->aClient);
    sqlw_set_deadline(pDb, (double)ceBudgetMs);
    sqlwGuardUser(1);
    sqlw_cursor_open(pDb, q->aClient, ceU32(a), ceU32(a+4), (const char*)a+12, nSql,
                     a+12+nSql, n-12-nSql);
    sqlwGuardUser(0);
  }
  sqlw_clear_deadline(pDb);
  return ceAnswer(pDb, pOut);
malformed:
  ceFail(pOut, SQLITE_MISUSE, "a malformed cursor request");
  return SQLITE_MISUSE;
}

/* A request running longer than this is reported to the host, with its client's id
** (host_busy): the leader's page ends a worker busy for a client that is gone. */
#define CE_BUSY_NOTICE_MS 1000

static int ceExecKind(sqlw_db*, const CoordRequest*, int*, SqlwBuf*);

/* CoordEngine.xExec over an sqlw_db (see coord.h), with a busy notice (see above). */
static int ceExec(void *pCtx, const CoordRequest *q, int *peKind, SqlwBuf *pOut){
  sqlw_db *pDb = (sqlw_db*)pCtx;
  int rc;
  sqlw_set_busy_notice(pDb, CE_BUSY_NOTICE_MS, q->aClient, COORD_ID_BYTES);
  rc = ceExecKind(pDb, q, peKind, pOut);
  sqlw_end_busy_notice(pDb);
  sqlwChangesWriter(pDb, q->aClient);   /* what it committed is its (the change notice) */
  return rc;
}

/*
** A live query's run (REQ_LIVE: its body as REQ_EXEC's): one statement that only reads,
** run as a read (not recorded). Its answer is flagged SQLW_FLAG_LIVE and carries the
** trailer: the leadership and commit counter its result includes, and the tables its
** statement reads (docs/format.md).
*/
static int ceLive(sqlw_db *pDb, const CoordRequest *q, int *peKind, SqlwBuf *pOut){
  const unsigned char *a = q->aBody;
  size_t n = q->nBody;
  uint32_t nSql;
  size_t nStart = pOut->n;
  int rc;
  *peKind = ANS_RESULT;
  if( n<4 || (nSql = ceU32(a))>n-4 ){
    ceFail(pOut, SQLITE_MISUSE, "malformed live query request");
    return SQLITE_MISUSE;
  }
  sqlwSettingsFor(pDb, q->aClient);
  pDb->chg.bLive = 1;
  sqlwTablesFree(&pDb->chg.live);
  ceUser(pDb, REQ_EXEC, (const char*)a+4, nSql, a+4+nSql, n-4-nSql);
  pDb->chg.bLive = 0;
  rc = ceAnswer(pDb, pOut);
  if( rc==SQLITE_OK && pOut->n-nStart>=8 ){
    pOut->a[nStart+6] |= SQLW_FLAG_LIVE;
    sqlwChangesLiveTrailer(pDb, pOut);
    if( pOut->bOom ) rc = SQLITE_NOMEM;
  }
  sqlwTablesFree(&pDb->chg.live);
  return rc;
}

/* True when request q failed only because a cursor is open (SQLite refuses DROP, and
** VACUUM, while a statement is active: SQLITE_LOCKED, "SQL statements in progress") and
** was undone whole: a request that holds no transaction statement. */
static int ceCursorBlocked(sqlw_db *pDb, const CoordRequest *q){
  int rc = sqlw_errcode(pDb) & 0xff;
  uint32_t nSql;
  if( sqlw_cursor_count(pDb)==0 || q->eKind!=REQ_EXEC || q->nBody<4 ) return 0;
  if( rc!=SQLITE_LOCKED && !(rc==SQLITE_ERROR && strstr(sqlw_errmsg(pDb), "statements in progress")) ){
    return 0;
  }
  nSql = ceU32(q->aBody);
  return nSql<=q->nBody-4 && !sqlwMaybeTxnControl((const char*)q->aBody+4, nSql);
}

/* ceExec's work: runs the request by its kind. */
static int ceExecKind(sqlw_db *pDb, const CoordRequest *q, int *peKind, SqlwBuf *pOut){
  const unsigned char *aClient = q->aClient;
  uint32_t iSeq = q->iSeq;
  int eKind = q->eKind;
  sqlite3 *db = sqlwHandle(pDb);
  int rc;
  if( db==0 ){
    ceFail(pOut, SQLITE_MISUSE, "the database is not open");
    return SQLITE_MISUSE;
  }
  if( q->bLost ){
    /* Of a transaction this leader does not hold: it committed (then its record says
    ** so), or it is lost. */
    rc = ceLookup(pDb, aClient, iSeq, peKind, pOut);
    if( rc==SQLITE_ROW ) return SQLITE_OK;
    if( rc!=SQLITE_DONE ){
      ceFail(pOut, rc, sqlite3_errstr(rc));
      return rc;
    }
    return ceLost(pOut);
  }
  if( eKind==REQ_BEGIN || eKind==REQ_COMMIT || eKind==REQ_ROLLBACK ){
    /* A late copy of an answered BEGIN must not open a second transaction. */
    int bStale = iSeq ? ceBelowFloor(pDb, aClient, iSeq) : 0;
    if( bStale>0 ) return SQLITE_DONE;
    if( bStale<0 ){
      int rcErr = ceErrcode(db);
      ceFail(pOut, rcErr, sqlite3_errmsg(db));
      return rcErr;
    }
    /* A transaction runs under its client's settings (foreign_keys cannot change in one). */
    if( eKind==REQ_BEGIN ) sqlwSettingsFor(pDb, aClient);
    return ceTransaction(pDb, aClient, iSeq, eKind, peKind, pOut);
  }
  if( eKind==REQ_CURSOR_OPEN || eKind==REQ_CURSOR_NEXT || eKind==REQ_CURSOR_CLOSE ){
    return ceCursor(pDb, q, peKind, pOut);
  }
  if( eKind==REQ_LIVE ) return ceLive(pDb, q, peKind, pOut);
  if( eKind==REQ_EXPORT ) return ceExport(pDb, peKind, pOut);
  if( eKind==REQ_IMPORT || eKind==REQ_IMPORT_PART || eKind==REQ_IMPORT_END ){
    int bStale = ceBelowFloor(pDb, aClient, iSeq);
    if( bStale>0 ) return SQLITE_DONE;
    if( bStale<0 ){
      int rcErr = ceErrcode(db);
      ceFail(pOut, rcErr, sqlite3_errmsg(db));
      return rcErr;
    }
    sqlw_cursor_close_all(pDb);                 /* the database under them goes */
    if( eKind==REQ_IMPORT ) return ceImport(pDb, aClient, iSeq, q->aBody, q->nBody, 0, 0, peKind, pOut);
    return ceStaged(pDb, aClient, iSeq, eKind, q->aBody, q->nBody, peKind, pOut);
  }
  if( eKind<REQ_EXEC || eKind>REQ_BATCH ){
    ceFail(pOut, SQLITE_MISUSE, "this request kind cannot be sent to another tab");
    return SQLITE_MISUSE;
  }
  {
    size_t nStart = pOut->n;
    rc = ceExecUser(pDb, q, peKind, pOut);
    if( ceCursorBlocked(pDb, q) ){
      /* An open cursor (another iteration, maybe of another tab) kept a schema change
      ** or VACUUM from running: the change wins, the cursors end (their next chunk says
      ** so), and the request runs again (it was undone whole). */
      sqlw_cursor_close_all(pDb);
      pOut->n = nStart;
      rc = ceExecUser(pDb, q, peKind, pOut);
    }
  }
  sqlwSettingsCapture(pDb, aClient);
  return rc;
}

/* Records the request's answer (the connection's result buffer, of kind eAnswer) with
** (aClient, iSeq), and drops the client's records below iAckedBelow now and then (iFloor:
** its floor). Returns SQLite's code. */
static int ceRecordAnswer(sqlw_db *pDb, const unsigned char *aClient, uint32_t iSeq,
                          uint32_t iAckedBelow, sqlite3_int64 iFloor, int eAnswer){
  size_t nAns;
  const unsigned char *aAns = sqlw_result(pDb, &nAns);
  int rc = SQLITE_OK;
  /* The client has every answer below iAckedBelow: those records can go, in the same
  ** transaction, so pruning costs no commit of its own; and only every CE_PRUNE_EVERY
  ** sequences, so most writes touch one page of bookkeeping, not two. Until then the
  ** records themselves refuse late copies. */
  if( (sqlite3_int64)iAckedBelow>=(iFloor<0 ? 0 : iFloor)+CE_PRUNE_EVERY ){
    rc = ceDrop(pDb, aClient, iAckedBelow);
  }
  if( rc==SQLITE_OK && nAns>CE_KEEP_ANSWER ){
    /* A big answer (RETURNING rows) is not stored whole: the write is recorded with a
    ** note, and a re-sent copy is answered that it was applied (kind 0: an error). */
    SqlwBuf note = {0};
    ceNotKept(&note);
    rc = note.bOom ? SQLITE_NOMEM : ceRecord(pDb, aClient, iSeq, 0, note.a, note.n);
    sqlwBufFree(&note);
  }else if( rc==SQLITE_OK ){
    rc = ceRecord(pDb, aClient, iSeq, eAnswer, aAns, nAns);
  }
  return rc;
}

/* ceEndControl's refusal of a request (not one of SQLite's codes). */
#define CE_OVER_WRITES (-1)

/*
** The end of a request in which a transaction statement ran (coord_txn.c): its statements
** took effect one by one, as on a connection, so what stands is recorded with the answer,
** failure or not, and committed unless the tab's transaction is open. A request that
** leaves the tab's transaction open over writes it made outside one is undone whole:
** those writes could not commit before its answer, nor wait for the transaction.
*/
static int ceEndControl(sqlw_db *pDb, const CoordRequest *q, sqlite3_int64 iFloor,
                        int eAnswer){
  sqlite3 *db = sqlwHandle(pDb);
  int rc = SQLITE_OK;
  if( sqlwTxnOpen(pDb) && sqlwTxnRequestDirty(pDb) ){
    ceRollbackAll(pDb);
    return CE_OVER_WRITES;
  }
  /* Recorded also when it leaves the tab's transaction open: a re-sent copy is then
  ** answered from the record, not run again (coord.c). */
  if( sqlite3_txn_state(db, "main")==SQLITE_TXN_WRITE || sqlwTxnOpen(pDb) ){
    rc = ceRecordAnswer(pDb, q->aClient, q->iSeq, q->iAckedBelow, iFloor, eAnswer);
  }
  if( rc==SQLITE_OK && !sqlwTxnOpen(pDb) && !sqlite3_get_autocommit(db) ){
    rc = sqlite3_exec(db, "COMMIT", 0, 0, 0);
  }
  if( rc!=SQLITE_OK ) ceRollbackAll(pDb);
  return rc;
}

/* ceExec for the user's requests (kinds 1 to 3), under aClient's settings. */
static int ceExecUser(sqlw_db *pDb, const CoordRequest *q, int *peKind, SqlwBuf *pOut){
  const unsigned char *aClient = q->aClient;
  const unsigned char *aBody = q->aBody;
  uint32_t iSeq = q->iSeq;
  size_t nBody = q->nBody;
  int eKind = q->eKind;
  sqlite3 *db = sqlwHandle(pDb);
  const char *zWhy = 0;
  int rc, rcRun;
  int bBegun = 0;               /* the engine began a transaction for this request */
  SqlwSavepoint sp;
  int eAnswer = eKind==REQ_BATCH ? ANS_LIST : ANS_RESULT;
  sqlite3_int64 iFloor = -1;
  sqlwSettingsFor(pDb, aClient);
  if( eKind==REQ_EXEC && nBody>=4 ){
    uint32_t nSql = (uint32_t)aBody[0] | (uint32_t)aBody[1]<<8 | (uint32_t)aBody[2]<<16
                  | (uint32_t)aBody[3]<<24;
    int bBare;
    sqlwGuardUser(1);           /* it prepares the user's statement (and caches it) */
    bBare = nSql<=nBody-4 ? sqlwBareStatement(pDb, (const char*)aBody+4, nSql) : 0;
    sqlwGuardUser(0);
    if( bBare<0 ){
      ceFail(pOut, SQLITE_NOMEM, "out of memory");
      return SQLITE_NOMEM;
    }
    if( bBare ){
      /* A read, a PRAGMA or VACUUM: run as it is, not recorded (see sqlwBareStatement). */
      ceUser(pDb, REQ_EXEC, (const char*)aBody+4, nSql, aBody+4+nSql, nBody-4-nSql);
      *peKind = ANS_RESULT;
      return ceAnswer(pDb, pOut);
    }
    /* A transaction statement in it would end a savepoint that began the transaction
    ** (committing before the record is written): the engine begins one below. */
    if( nSql<=nBody-4 && sqlite3_get_autocommit(db)
     && sqlwMaybeTxnControl((const char*)aBody+4, nSql) ){
      rc = sqlite3_exec(db, "BEGIN", 0, 0, 0);
      if( rc ){
        ceFail(pOut, rc, sqlite3_errmsg(db));
        return rc;
      }
      bBegun = 1;
    }
  }
  rc = sqlwSavepointBegin(&sp, db, "_sqlw_request");
  if( rc==SQLITE_OK ){
    int bStale = ceFloor(pDb, aClient, iSeq, &iFloor);
    if( bStale ){
      int rcErr = bStale<0 ? ceErrcode(db) : SQLITE_DONE;
      if( bStale<0 ) ceFail(pOut, rcErr, sqlite3_errmsg(db));  /* before RELEASE resets it */
      sqlwSavepointRelease(&sp);
      if( bBegun ) sqlite3_exec(db, "COMMIT", 0, 0, 0);
      return rcErr;                                 /* DONE: a late copy, answered already */
    }
    rc = ceLookup(pDb, aClient, iSeq, peKind, pOut);
    if( rc==SQLITE_ROW ){
      sqlwSavepointRelease(&sp);
      if( bBegun ) sqlite3_exec(db, "COMMIT", 0, 0, 0);
      return SQLITE_OK;                         /* answered from the record */
    }
  }
  if( rc!=SQLITE_DONE ){
    sqlwSavepointUndo(&sp);
    if( bBegun ) ceRollbackAll(pDb);
    ceFail(pOut, rc, sqlite3_errstr(rc));
    return rc;
  }
  sqlwTxnRequest(pDb, &sp);
  rcRun = ceRun(pDb, eKind, aBody, nBody, &zWhy);
  if( !sqlwTxnRequestSavepoint(pDb) ){
    /* A transaction statement ran: the request's savepoint is gone (coord_txn.c). */
    sqlwTxnRequest(pDb, 0);
    rc = ceEndControl(pDb, q, iFloor, eAnswer);
    if( rc==CE_OVER_WRITES ){
      rc = SQLITE_ERROR;
      ceFail(pOut, rc, "a request may not leave a transaction open after writing outside "
             "one (a write before its BEGIN, or a COMMIT then a BEGIN): nothing of it was "
             "kept and no transaction is open; send the BEGIN in a request of its own");
      return rc;
    }
  }else{
    sqlwTxnRequest(pDb, 0);
    if( zWhy ){
      sqlwSavepointUndo(&sp);
      if( bBegun ) ceRollbackAll(pDb);
      ceFail(pOut, SQLITE_MISUSE, zWhy);
      return SQLITE_MISUSE;
    }
    rc = SQLITE_OK;
    if( rcRun==SQLITE_OK && sqlite3_txn_state(db, "main")==SQLITE_TXN_WRITE ){
      rc = ceRecordAnswer(pDb, aClient, iSeq, q->iAckedBelow, iFloor, eAnswer);
    }
    if( rcRun!=SQLITE_OK || rc!=SQLITE_OK ){
      sqlwSavepointUndo(&sp);
    }else if( !sqlite3_get_autocommit(db) ){
      rc = sqlwSavepointRelease(&sp);
    }
    if( bBegun && !sqlite3_get_autocommit(db) ){
      if( rc==SQLITE_OK ) rc = sqlite3_exec(db, "COMMIT", 0, 0, 0);
      if( rc!=SQLITE_OK ) ceRollbackAll(pDb);
    }
    /* SQLite may have rolled the tab's transaction back (an I/O error, a full disk, an
    ** interrupted write): the tab then holds none. */
    if( sqlite3_get_autocommit(db) && sqlwTxnOpen(pDb) ) sqlwTxnReset(pDb);
  }
  if( rc!=SQLITE_OK ){
    ceFail(pOut, rc, sqlite3_errstr(rc));
    return rc;
  }
  /* The answer: the result (or failure) as the core encoded it. */
  if( ceAnswer(pDb, pOut) ) return SQLITE_NOMEM;
  *peKind = eAnswer;
  return SQLITE_OK;
}

/* CoordEngine.xEpoch over an sqlw_db (see coord.h). */
static int ceEpoch(void *pCtx, uint64_t iProposed, uint64_t *piEpoch){
  sqlite3 *db = sqlwHandle((sqlw_db*)pCtx);
  sqlite3_stmt *pStmt = 0;
  sqlite3_int64 iStored = 0;
  int bUnsynced;
  int rc;
  if( db==0 ) return SQLITE_MISUSE;
  if( ((sqlw_db*)pCtx)->bPrivate ){
    *piEpoch = iProposed>1 ? iProposed : 1;       /* one leader for the database's life */
    sqlwChangesEpoch((sqlw_db*)pCtx, *piEpoch);
    return SQLITE_OK;
  }
  /* Not flushed (synchronous=NORMAL for this one commit, docs/decisions.md 2026-12-03):
  ** the epoch fences leaders that are alive, and they all die with the machine, so what
  ** must hold is that the write reaches the host before the announcement, not the
  ** disk. The next durable commit flushes the WAL, the epoch's frames with it. */
  bUnsynced = sqlwDurability((sqlw_db*)pCtx)==SQLW_DURABLE
           && sqlite3_exec(db, "PRAGMA synchronous=NORMAL", 0, 0, 0)==SQLITE_OK;
  rc = sqlite3_exec(db, "BEGIN IMMEDIATE", 0, 0, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_exec(db, zSchema, 0, 0, 0);
  if( rc==SQLITE_OK ){
    rc = sqlite3_prepare_v2(db, "SELECT v FROM main._sqlw_meta WHERE k='epoch'", -1, &pStmt, 0);
  }
  if( rc==SQLITE_OK ){
    if( sqlite3_step(pStmt)==SQLITE_ROW ) iStored = sqlite3_column_int64(pStmt, 0);
    rc = sqlite3_finalize(pStmt);
  }
  if( rc==SQLITE_OK ){
    /* Saturates: an epoch never wraps (a stored one is at most 2^63-1). */
    const sqlite3_int64 iMax = (sqlite3_int64)(((uint64_t)1<<63)-1);
    uint64_t iNext = iStored<0 ? 1 : iStored==iMax ? (uint64_t)iStored : (uint64_t)iStored+1;
    uint64_t iNew = iNext>iProposed ? iNext : iProposed;
    if( iNew>(uint64_t)iMax ) iNew = (uint64_t)iMax;
    char *zSql = sqlite3_mprintf("INSERT OR REPLACE INTO main._sqlw_meta(k, v) VALUES('epoch', %lld)",
                                 (sqlite3_int64)iNew);
    rc = zSql ? sqlite3_exec(db, zSql, 0, 0, 0) : SQLITE_NOMEM;
    sqlite3_free(zSql);
    if( rc==SQLITE_OK ) *piEpoch = iNew;
  }
  if( rc==SQLITE_OK ) rc = sqlite3_exec(db, "COMMIT", 0, 0, 0);
  if( rc ) sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
  if( bUnsynced ){
    /* Every later commit is flushed again; without it this leader must not lead. */
    int rc2 = sqlite3_exec(db, "PRAGMA synchronous=FULL", 0, 0, 0);
    if( rc==SQLITE_OK ) rc = rc2;
  }
  if( rc==SQLITE_OK ) sqlwChangesEpoch((sqlw_db*)pCtx, *piEpoch);   /* commits count anew */
  return rc;
}

/* CoordEngine.xDeadline over an sqlw_db (see coord.h). */
static void ceDeadline(void *pCtx, int64_t iBudgetMs){
  (void)pCtx;
  ceBudgetMs = iBudgetMs;
}

/* CoordEngine.xForget over an sqlw_db (see coord.h). */
static int ceForget(void *pCtx, const unsigned char *aClient){
  sqlw_db *pDb = (sqlw_db*)pCtx;
  int rc;
  if( sqlwHandle(pDb)==0 ) return SQLITE_MISUSE;
  sqlw_cursor_close(pDb, aClient, 0);
  /* The engine's own writes: under the connection's default settings (not query_only). */
  sqlwSettingsDefault(pDb);
  rc = ceDrop(pDb, aClient, CE_GONE);
  if( rc==SQLITE_OK ) rc = sqlwSettingsForget(pDb, aClient);
  if( rc==SQLITE_OK ){
    char *zPath = ceStagePath(pDb, aClient);   /* an import it left half sent */
    if( zPath==0 ) return SQLITE_NOMEM;
    sqlw_stage_delete(pDb, zPath);
    sqlite3_free(zPath);
  }
  return rc;
}

/* CoordEngine.xRecorded over an sqlw_db (see coord.h). */
static int ceRecorded(void *pCtx, SqlwBuf *pOut){
  sqlite3 *db = sqlwHandle((sqlw_db*)pCtx);
  sqlite3_stmt *pStmt = 0;
  int rc;
  if( db==0 ) return SQLITE_MISUSE;
  if( ((sqlw_db*)pCtx)->bPrivate ) return SQLITE_OK;
  rc = sqlite3_prepare_v2(db, "SELECT DISTINCT client FROM main._sqlw_requests", -1, &pStmt, 0);
  if( rc ) return rc;
  while( (rc = sqlite3_step(pStmt))==SQLITE_ROW ){
    if( sqlite3_column_bytes(pStmt, 0)!=COORD_ID_BYTES ) continue;
    if( sqlwBufReserve(pOut, COORD_ID_BYTES) ){
      rc = SQLITE_NOMEM;
      break;
    }
    memcpy(pOut->a+pOut->n, sqlite3_column_blob(pStmt, 0), COORD_ID_BYTES);
    pOut->n += COORD_ID_BYTES;
  }
  sqlite3_finalize(pStmt);
  return rc==SQLITE_DONE ? SQLITE_OK : rc;
}

/* CoordEngine.xChanges over an sqlw_db (see coord.h). */
static int ceChanges(void *pCtx, SqlwBuf *pOut){
  return sqlwChangesTake((sqlw_db*)pCtx, pOut);
}

/* CoordEngine.xInTxn over an sqlw_db (see coord.h). */
static int ceInTxn(void *pCtx){
  return sqlwTxnOpen((sqlw_db*)pCtx);
}

void coordEngineInit(CoordEngine *pEngine, sqlw_db *pDb){
  if( sqlwHandle(pDb) ) sqlite3_set_authorizer(sqlwHandle(pDb), sqlwAuthorize, pDb);
  pEngine->pCtx = pDb;
  pEngine->xExec = ceExec;
  pEngine->xEpoch = ceEpoch;
  pEngine->xForget = ceForget;
  pEngine->xRecorded = ceRecorded;
  pEngine->xDeadline = ceDeadline;
  pEngine->xInTxn = ceInTxn;
  pEngine->xChanges = ceChanges;
  sqlwTxnAttach(pDb);
}
