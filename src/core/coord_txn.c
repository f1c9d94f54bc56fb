/*
** coord_txn.c — a tab's SQL transaction on the leader's connection (docs/coord.md,
** "A tab's transaction"). One connection serves every tab, so a tab's BEGIN, COMMIT,
** ROLLBACK, SAVEPOINT, RELEASE and ROLLBACK TO cannot simply run on it: each request
** runs in a savepoint of its own, with its exactly-once record (coord_engine.c), and a
** BEGIN there fails. This module runs them instead, when sqlw_exec meets one at the top
** level of a request (sqlw_db.xControl), so that they act as on a connection of the
** tab's own:
**
**   - The tab's transaction is a savepoint `_sqlw_txn` on the connection. Below it is
**     a transaction the engine began (coord_engine.c begins one for any request that may
**     hold a transaction statement, sqlwMaybeTxnControl); it commits when the request
**     that ended the tab's transaction has written its record, so a COMMIT and its
**     record are one commit.
**   - BEGIN [DEFERRED|IMMEDIATE|EXCLUSIVE] opens `_sqlw_txn` (the mode changes nothing:
**     no other connection exists, and other tabs wait on the lease anyway); COMMIT or
**     END releases it, ROLLBACK rolls back to it and releases it. A SAVEPOINT outside a
**     transaction opens `_sqlw_txn` first, and the RELEASE of the outermost one ends it,
**     as SQLite does.
**   - The user's savepoints run as they are (SQLite checks their names), on top of
**     `_sqlw_txn`, so they outlive the request; their names are kept here to know when
**     the last is released. Names starting with `_sqlw_` are the library's.
**   - The first transaction statement of a request releases the request's savepoint
**     into the transaction below: from there on the request's statements take effect
**     one by one, as on a connection.
**
** While `_sqlw_txn` is open the coord machine holds a lease for the tab that opened it
** (coord.c): other tabs wait, this tab's requests join it.
*/
#include <string.h>
#include "sqlite3.h"
#include "sqlw.h"
#include "engine_int.h"
#include "coord_txn.h"

#define TXN_NONE       0   /* no transaction of the tab's */
#define TXN_BEGUN      1   /* BEGIN (or db.transaction()) opened it */
#define TXN_SAVEPOINT  2   /* a SAVEPOINT outside a transaction opened it */

/* What the authorizer saw of the statement being classified (one at a time). */
static struct {
  int bCapture;           /* its word is wanted (sqlwTxnSaw) */
  int eAction;            /* SQLITE_TRANSACTION, SQLITE_SAVEPOINT, or 0 */
  char zOp[12];           /* BEGIN, COMMIT, ROLLBACK, RELEASE */
  char *zName;            /* a savepoint's name */
} seen;

/* Forgets t's savepoints from the i-th on. */
static void txnPop(struct SqlwTxn *t, int i){
  while( t->nSp>i ) sqlite3_free(t->azSp[--t->nSp]);
}

/* Ends t's transaction in the state (the connection's is over or merged). */
static void txnNone(struct SqlwTxn *t){
  txnPop(t, 0);
  t->eState = TXN_NONE;
}

void sqlwTxnSaw(int eAction, const char *z1, const char *z2){
  if( !seen.bCapture || seen.eAction ) return;
  seen.eAction = eAction;
  sqlite3_snprintf((int)sizeof(seen.zOp), seen.zOp, "%s", z1 ? z1 : "");
  sqlite3_free(seen.zName);
  seen.zName = z2 ? sqlite3_mprintf("%s", z2) : 0;
}

int sqlwTxnOpen(sqlw_db *pDb){
  return pDb->txn.eState!=TXN_NONE;
}

void sqlwTxnRequest(sqlw_db *pDb, SqlwSavepoint *pSp){
  struct SqlwTxn *t = &pDb->txn;
  t->bArmed = pSp!=0;
  t->pReqSp = pSp;
  if( pSp ) t->bDirty = 0;      /* disarmed, it still says what the request did */
}

int sqlwTxnRequestSavepoint(sqlw_db *pDb){
  return pDb->txn.pReqSp!=0;
}

int sqlwTxnRequestDirty(sqlw_db *pDb){
  return pDb->txn.bDirty;
}

void sqlwTxnReset(sqlw_db *pDb){
  txnNone(&pDb->txn);
}

/* Runs one of the module's own statements. Returns SQLite's code. */
static int txnSql(sqlite3 *db, const char *zSql){
  return sqlite3_exec(db, zSql, 0, 0, 0);
}

int sqlwTxnBegin(sqlw_db *pDb){
  int rc = txnSql(sqlwHandle(pDb), "SAVEPOINT _sqlw_txn");
  if( rc==SQLITE_OK ) pDb->txn.eState = TXN_BEGUN;
  return rc;
}

int sqlwTxnRelease(sqlw_db *pDb){
  int rc = txnSql(sqlwHandle(pDb), "RELEASE _sqlw_txn");
  if( rc==SQLITE_OK ) txnNone(&pDb->txn);
  return rc;
}

/* Fails r with db's error (or rc's message). */
static void txnFailDb(Req *r, sqlite3 *db, int rc){
  sqlwReqFail(r, rc, sqlite3_errcode(db)==rc ? sqlite3_errmsg(db) : sqlite3_errstr(rc), -1);
}

/*
** Before a transaction statement takes effect: releases the running request's savepoint
** into the transaction below it (which the engine began: releasing an outermost savepoint
** would commit, before the request's record is written). Returns SQLITE_OK, or fails r.
*/
static int txnMerge(struct SqlwTxn *t, Req *r, sqlite3 *db){
  int rc;
  if( t->pReqSp==0 ) return SQLITE_OK;
  if( t->pReqSp->bAutocommit ){
    sqlwReqFail(r, SQLITE_MISUSE, "a transaction statement was not recognised before the "
                "request ran (please report it)", -1);
    return SQLITE_MISUSE;
  }
  rc = txnSql(db, "RELEASE _sqlw_request");
  if( rc ){
    txnFailDb(r, db, rc);
    return rc;
  }
  t->pReqSp = 0;
  return SQLITE_OK;
}

/* Opens the tab's transaction as eState (BEGIN, or a first SAVEPOINT). Returns SQLITE_OK
** or fails r. */
static int txnOpen(struct SqlwTxn *t, Req *r, sqlite3 *db, int eState){
  int rc;
  if( sqlite3_txn_state(db, 0)==SQLITE_TXN_WRITE ) t->bDirty = 1;
  rc = txnSql(db, "SAVEPOINT _sqlw_txn");
  if( rc ){
    txnFailDb(r, db, rc);
    return rc;
  }
  t->eState = eState;
  return SQLITE_OK;
}

/* The index of t's newest user savepoint named z, -1 for none. */
static int txnFind(const struct SqlwTxn *t, const char *z){
  int i;
  for(i=t->nSp-1; i>=0; i--){
    if( sqlite3_stricmp(t->azSp[i], z)==0 ) return i;
  }
  return -1;
}

/* Steps the user's savepoint statement as it is. Returns SQLite's code (r failed). */
static int txnStep(Req *r, sqlite3_stmt *pStmt){
  int rc = sqlite3_step(pStmt);
  if( rc==SQLITE_DONE ) return SQLITE_OK;
  sqlwReqFailDb(r, rc, -1);
  return rc;
}

/* Pushes savepoint zName, which SQLite has now, on t. Returns SQLITE_OK or NOMEM. */
static int txnPush(struct SqlwTxn *t, const char *zName){
  if( t->nSp>=t->nSpAlloc ){
    int nNew = t->nSpAlloc*2+8;
    char **az = sqlite3_realloc64(t->azSp, sizeof(char*)*(size_t)nNew);
    if( az==0 ) return SQLITE_NOMEM;
    t->azSp = az;
    t->nSpAlloc = nNew;
  }
  t->azSp[t->nSp] = sqlite3_mprintf("%s", zName);
  if( t->azSp[t->nSp]==0 ) return SQLITE_NOMEM;
  t->nSp++;
  return SQLITE_OK;
}

/* A savepoint statement (zOp BEGIN, RELEASE or ROLLBACK) on savepoint zName. */
static void txnSavepoint(struct SqlwTxn *t, Req *r, sqlite3 *db, sqlite3_stmt *pStmt,
                         const char *zOp, const char *zName){
  int i;
  if( zName==0 ){
    sqlwReqFail(r, SQLITE_NOMEM, 0, -1);
    return;
  }
  if( sqlite3_strnicmp(zName, "_sqlw_", 6)==0 ){
    sqlwReqFail(r, SQLITE_ERROR, "savepoint names starting with _sqlw_ are the library's "
                "own: choose another name", -1);
    return;
  }
  if( txnMerge(t, r, db) ) return;
  if( sqlite3_stricmp(zOp, "BEGIN")==0 ){
    int bOpened = 0;
    if( t->eState==TXN_NONE ){
      if( txnOpen(t, r, db, TXN_SAVEPOINT) ) return;
      bOpened = 1;
    }
    if( txnStep(r, pStmt) ){
      if( bOpened ){
        txnSql(db, "RELEASE _sqlw_txn");
        t->eState = TXN_NONE;
      }
      return;
    }
    if( txnPush(t, zName) ){
      /* SQLite has it; without its name here it could not be released by name. */
      txnSql(db, "ROLLBACK TO _sqlw_txn");
      txnSql(db, "RELEASE _sqlw_txn");
      txnNone(t);
      sqlwReqFail(r, SQLITE_NOMEM, "out of memory: the transaction was rolled back", -1);
    }
    return;
  }
  if( txnStep(r, pStmt) ) return;           /* SQLite's own "no such savepoint" */
  i = txnFind(t, zName);
  if( i<0 ) return;                         /* cannot be: SQLite knew it */
  if( sqlite3_stricmp(zOp, "RELEASE")==0 ){
    txnPop(t, i);
    if( t->nSp==0 && t->eState==TXN_SAVEPOINT ){
      int rc = txnSql(db, "RELEASE _sqlw_txn");
      if( rc ) txnFailDb(r, db, rc);
      else t->eState = TXN_NONE;
    }
  }else{
    txnPop(t, i+1);                         /* ROLLBACK TO keeps the savepoint itself */
  }
}

/* A transaction statement (zOp BEGIN, COMMIT or ROLLBACK). */
static void txnTransaction(struct SqlwTxn *t, Req *r, sqlite3 *db, const char *zOp){
  int rc;
  if( sqlite3_stricmp(zOp, "BEGIN")==0 ){
    if( t->eState!=TXN_NONE ){
      sqlwReqFail(r, SQLITE_ERROR, "cannot start a transaction within a transaction", -1);
      return;
    }
    if( txnMerge(t, r, db)==SQLITE_OK ) txnOpen(t, r, db, TXN_BEGUN);
    return;
  }
  if( t->eState==TXN_NONE ){
    sqlwReqFail(r, SQLITE_ERROR, sqlite3_stricmp(zOp, "COMMIT")==0
                ? "cannot commit - no transaction is active"
                : "cannot rollback - no transaction is active", -1);
    return;
  }
  if( txnMerge(t, r, db) ) return;
  if( sqlite3_stricmp(zOp, "COMMIT")==0 ){
    rc = txnSql(db, "RELEASE _sqlw_txn");
  }else{
    rc = txnSql(db, "ROLLBACK TO _sqlw_txn");
    if( rc==SQLITE_OK ) rc = txnSql(db, "RELEASE _sqlw_txn");
  }
  if( rc ){
    txnFailDb(r, db, rc);
    if( !sqlite3_get_autocommit(db) ) return;
  }
  txnNone(t);
}

/* sqlw_db.xControl: runs the transaction statement pStmt of the user's request. */
static int txnControl(void *pCtx, sqlite3_stmt *pStmt, Req *r){
  sqlw_db *pDb = (sqlw_db*)pCtx;
  struct SqlwTxn *t = &pDb->txn;
  sqlite3 *db = sqlwHandle(pDb);
  sqlite3_stmt *pSeen = 0;
  int rc;
  if( !t->bArmed ) return 0;
  /* What SQLite's parser makes of it: prepared afresh with the authorizer listening
  ** (pStmt may come from the cache, prepared long ago). */
  seen.bCapture = 1;
  seen.eAction = 0;
  rc = sqlite3_prepare_v2(db, sqlite3_sql(pStmt), -1, &pSeen, 0);
  sqlite3_finalize(pSeen);
  seen.bCapture = 0;
  if( rc ){
    txnFailDb(r, db, rc);
    return 1;
  }
  if( seen.eAction==SQLITE_SAVEPOINT ){
    txnSavepoint(t, r, db, pStmt, seen.zOp, seen.zName);
  }else if( seen.eAction==SQLITE_TRANSACTION ){
    txnTransaction(t, r, db, seen.zOp);
  }else{
    return 0;
  }
  sqlite3_free(seen.zName);
  seen.zName = 0;
  /* SQLite may have rolled everything back (an I/O error): the tab's transaction too. */
  if( sqlite3_get_autocommit(db) && t->eState!=TXN_NONE ) txnNone(t);
  return 1;
}

void sqlwTxnAttach(sqlw_db *pDb){
  pDb->xControl = txnControl;
  pDb->pControlCtx = pDb;
}
