/*
** engine_cursor.c — cursors: a read statement answered a chunk at a time, across
** requests (sqlw.h, db.iterate). A result too large for one answer, or one an app wants
** row by row (Kysely's stream()), is read in chunks of at most nMax rows and about
** CURSOR_CHUNK_BYTES.
**
** A cursor is prepared on its own (not from the statement cache, whose statements other
** requests reset) and only reads, so running it on the shared connection between other
** requests changes nothing they do; what it reads is what SQLite gives a statement on a
** connection whose other statements write meanwhile (the rows may or may not show their
** changes). The last chunk answered is kept: a re-sent request for it (its answer was
** lost with a worker) is answered again instead of skipping rows.
*/
#include <string.h>
#include "sqlite3.h"
#include "sqlw.h"
#include "codec.h"
#include "engine_int.h"
#include "host.h"

/* The bytes of rows after which a chunk ends, whatever nMax says. */
#define CURSOR_CHUNK_BYTES (1u<<20)

struct SqlwCursor {
  sqlite3_stmt *pStmt;                  /* NULL: a free slot */
  unsigned char aOwner[16];
  uint32_t iId;
  uint32_t iChunk;                      /* chunks answered */
  double rUsed;                         /* host_time() of its last request */
  unsigned char *aLast;                 /* the last chunk's answer (an SQWR) */
  size_t nLast;
};

/* Frees cursor c's statement and kept answer: its slot is free. */
static void cursorFree(struct SqlwCursor *c){
  sqlite3_finalize(c->pStmt);
  sqlite3_free(c->aLast);
  memset(c, 0, sizeof(*c));
}

/* The open cursor (aOwner, iId), or NULL. */
static struct SqlwCursor *cursorFind(sqlw_db *pDb, const unsigned char *aOwner, uint32_t iId){
  int i;
  if( pDb->aCursor==0 ) return 0;
  for(i=0; i<SQLW_CURSORS; i++){
    struct SqlwCursor *c = &pDb->aCursor[i];
    if( c->pStmt && c->iId==iId && memcmp(c->aOwner, aOwner, 16)==0 ) return c;
  }
  return 0;
}

/* A slot for a new cursor: a free one, else the least recently used one, closed. NULL
** when out of memory. */
static struct SqlwCursor *cursorSlot(sqlw_db *pDb){
  struct SqlwCursor *pOld = 0;
  int i;
  if( pDb->aCursor==0 ){
    pDb->aCursor = sqlite3_malloc64(sizeof(struct SqlwCursor)*SQLW_CURSORS);
    if( pDb->aCursor==0 ) return 0;
    memset(pDb->aCursor, 0, sizeof(struct SqlwCursor)*SQLW_CURSORS);
  }
  for(i=0; i<SQLW_CURSORS; i++){
    struct SqlwCursor *c = &pDb->aCursor[i];
    if( c->pStmt==0 ) return c;
    if( pOld==0 || c->rUsed<pOld->rUsed ) pOld = c;
  }
  cursorFree(pOld);
  return pOld;
}

/*
** Steps c for its next chunk (at most nMax rows) into the result buffer and keeps a copy
** of the answer; the cursor ends when its rows do (or on an error). Returns the result
** code of the request r.
*/
static int cursorChunk(Req *r, struct SqlwCursor *c, uint32_t nMax){
  sqlw_db *pDb = r->pDb;
  int nCol = sqlite3_column_count(c->pStmt);
  size_t nStart = pDb->out.n;
  size_t iSet = sqlwResultSetBegin(&pDb->out, c->pStmt);
  uint32_t nRow = 0;
  int rc = SQLITE_ROW;
  int bMore;
  size_t n;
  const unsigned char *a;
  r->nSet++;
  while( nRow<nMax && pDb->out.n-nStart<CURSOR_CHUNK_BYTES ){
    rc = sqlite3_step(c->pStmt);
    if( rc!=SQLITE_ROW ) break;
    sqlwResultRow(&pDb->out, c->pStmt, nCol);
    nRow++;
    if( pDb->out.bOom ){
      sqlwReqFail(r, SQLITE_NOMEM, "out of memory: the chunk is too large", -1);
      break;
    }
  }
  sqlwResultSetEnd(&pDb->out, iSet, nRow);
  if( rc!=SQLITE_ROW && rc!=SQLITE_DONE ) sqlwReqFailDb(r, rc, -1);
  bMore = rc==SQLITE_ROW && r->rc==SQLITE_OK;
  c->iChunk++;
  c->rUsed = host_time();
  rc = sqlwReqFinish(r);
  a = sqlw_result(pDb, &n);
  if( bMore && n>=8 ){
    pDb->out.a[6] |= SQLW_FLAG_MORE;
    sqlite3_free(c->aLast);
    c->aLast = sqlite3_malloc64(n);
    c->nLast = c->aLast ? n : 0;
    if( c->aLast ) memcpy(c->aLast, a, n);
    else bMore = 0;              /* without its copy a re-send could skip rows: end */
  }
  if( !bMore ) cursorFree(c);
  return rc;
}

int sqlw_cursor_open(sqlw_db *pDb, const unsigned char *aOwner, uint32_t iId,
                     uint32_t nMax, const char *zSql, size_t nSql,
                     const unsigned char *aParam, size_t nParam){
  Req r;
  SqlwParams par;
  SqlwBinding b;
  unsigned char *aUsed = 0;
  sqlite3_stmt *pStmt = 0;
  const char *zTail = 0;
  struct SqlwCursor *c;
  size_t iCursor;
  uint32_t iValue = 0;
  int rc;

  if( pDb==0 ) return SQLITE_MISUSE;
  memset(&b, 0, sizeof(b));
  sqlwReqBegin(&r, pDb);
  if( !sqlwReqUsable(&r) ) return sqlwReqFinish(&r);
  sqlw_cursor_close(pDb, aOwner, iId);           /* a re-sent open starts over */
  if( nMax==0 ){
    sqlwReqFail(&r, SQLITE_MISUSE, "a chunk holds at least one row", -1);
    return sqlwReqFinish(&r);
  }
  if( sqlwReqOneSet(&r, &par, aParam, nParam, zSql, nSql, "iterate") ) return sqlwReqFinish(&r);
  if( nSql>(size_t)0x7ffffffe ){
    sqlwReqFail(&r, SQLITE_TOOBIG, 0, -1);
    return sqlwReqFinish(&r);
  }
  rc = sqlwPrepareUser(pDb, zSql, (int)nSql, 0, &pStmt, &zTail);
  if( rc ){
    sqlwReqFailDb(&r, rc, sqlite3_error_offset(pDb->db));
    return sqlwReqFinish(&r);
  }
  if( pStmt==0 ){
    sqlwReqFail(&r, SQLITE_MISUSE, "iterate needs one SQL statement; the text has none", -1);
    goto open_out;
  }
  if( !sqlwEngineIsBlank(zTail, nSql-(size_t)(zTail-zSql)) ){
    sqlwReqFail(&r, SQLITE_MISUSE, "iterate takes exactly one SQL statement; the text has "
                "more", (int)(zTail-zSql));
    goto open_out;
  }
  if( !sqlite3_stmt_readonly(pStmt) || sqlwEngineIsTxnControl(zSql, nSql) ){
    sqlwReqFail(&r, SQLITE_MISUSE, "iterate reads: its statement may not write or control "
                "a transaction (use exec, all or run)", -1);
    goto open_out;
  }
  if( sqlwBindShape(&r, &par, pStmt, &b, &aUsed, "values given:") ) goto open_out;
  iCursor = par.iValues;
  rc = sqlwBindValues(pStmt, &par, par.nName ? &b : 0, &iCursor, &iValue, par.nValue);
  if( rc ){
    sqlwReqFailDb(&r, rc, -1);
    goto open_out;
  }
  c = cursorSlot(pDb);
  if( c==0 ){
    sqlwReqFail(&r, SQLITE_NOMEM, 0, -1);
    goto open_out;
  }
  c->pStmt = pStmt;
  memcpy(c->aOwner, aOwner, 16);
  c->iId = iId;
  pStmt = 0;
  sqlwBindingFree(&b);
  sqlite3_free(aUsed);
  return cursorChunk(&r, c, nMax);

open_out:
  sqlwBindingFree(&b);
  sqlite3_free(aUsed);
  sqlite3_finalize(pStmt);
  return sqlwReqFinish(&r);
}

int sqlw_cursor_next(sqlw_db *pDb, const unsigned char *aOwner, uint32_t iId,
                     uint32_t nMax, uint32_t iChunk){
  Req r;
  struct SqlwCursor *c;
  if( pDb==0 ) return SQLITE_MISUSE;
  sqlwReqBegin(&r, pDb);
  if( !sqlwReqUsable(&r) ) return sqlwReqFinish(&r);
  c = cursorFind(pDb, aOwner, iId);
  if( c && iChunk+1==c->iChunk && c->aLast ){
    /* The chunk answered last, asked again: the same answer. */
    if( sqlwBufReserve(&pDb->out, c->nLast)==0 ){
      memcpy(pDb->out.a, c->aLast, c->nLast);
      pDb->out.n = c->nLast;
      c->rUsed = host_time();
      return SQLITE_OK;
    }
    sqlwReqFail(&r, SQLITE_NOMEM, 0, -1);
    return sqlwReqFinish(&r);
  }
  if( c==0 || iChunk!=c->iChunk || nMax==0 ){
    sqlwReqFail(&r, SQLITE_WORKER_LEADER_CHANGED, "the iteration's cursor is gone (the tab "
                "serving the database changed, or it was idle too long): iterate again", -1);
    return sqlwReqFinish(&r);
  }
  return cursorChunk(&r, c, nMax);
}

void sqlw_cursor_close(sqlw_db *pDb, const unsigned char *aOwner, uint32_t iId){
  int i;
  if( pDb==0 || pDb->aCursor==0 ) return;
  for(i=0; i<SQLW_CURSORS; i++){
    struct SqlwCursor *c = &pDb->aCursor[i];
    if( c->pStmt && memcmp(c->aOwner, aOwner, 16)==0 && (iId==0 || c->iId==iId) ) cursorFree(c);
  }
}

void sqlw_cursor_expire(sqlw_db *pDb, double rIdleMs){
  double rNow = host_time();
  int i;
  if( pDb==0 || pDb->aCursor==0 ) return;
  for(i=0; i<SQLW_CURSORS; i++){
    struct SqlwCursor *c = &pDb->aCursor[i];
    if( c->pStmt && rNow-c->rUsed>rIdleMs ) cursorFree(c);
  }
}

void sqlw_cursor_close_all(sqlw_db *pDb){
  int i;
  if( pDb==0 || pDb->aCursor==0 ) return;
  for(i=0; i<SQLW_CURSORS; i++) cursorFree(&pDb->aCursor[i]);
}

int sqlw_cursor_count(sqlw_db *pDb){
  int i, n = 0;
  if( pDb==0 || pDb->aCursor==0 ) return 0;
  for(i=0; i<SQLW_CURSORS; i++) n += pDb->aCursor[i].pStmt!=0;
  return n;
}
