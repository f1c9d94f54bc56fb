/*
** engine.c — connections, the statement cache, requests (exec, run many, batch),
** deadlines and settings. Images (export, import) are engine_image.c's.
**
** Why one file of about 1,100 lines: the three kinds of request share the request state
** (Req), the statement cache and the connection's error, and each is one function that
** reads best beside the others; the connection's public functions are short.
**
** A request (sqlw_exec, sqlw_run_many, sqlw_import) always ends with a complete result
** buffer (codec.c), success or not, so the caller has one thing to read. Errors are
** recorded on the connection too (sqlw_errcode and friends).
**
** Statement cache: single-statement SQL texts are kept prepared, keyed by their exact
** bytes, in a small LRU (ENGINE_CACHE_SIZE). Cached statements are reset and their
** bindings cleared before a request returns, so no statement holds a read transaction
** or a pointer into a caller's buffer between requests. Scripts (several statements)
** are prepared, run and finalized statement by statement, since each may depend on the
** schema the previous one made.
*/
#include <string.h>
#include "sqlite3.h"
#include "sqlw.h"
#include "codec.h"
#include "codes.h"
#include "stackguard.h"
#include "engine_int.h"
#include "host.h"

#define ENGINE_CACHE_SIZE     64   /* prepared statements kept per connection */
#define ENGINE_BUF_KEEP  (4u<<20)  /* a result buffer above this is released after use */
#ifndef SQLW_EXPR_DEPTH
# define SQLW_EXPR_DEPTH 1000
#endif

int sqlw_format_version(void){
  return SQLW_FORMAT_VERSION;
}

/* Records rc and a copy of zMsg (may be NULL) as the connection's last failure. */
void sqlwSetError(sqlw_db *pDb, int rc, const char *zMsg, int iOff){
  sqlite3_free(pDb->zErr);
  pDb->rc = rc;
  pDb->zErr = (rc && zMsg) ? sqlite3_mprintf("%s", zMsg) : 0;
  pDb->iErrOff = rc ? iOff : -1;
}

/* Starts a request on pDb: an empty result buffer, nothing counted. */
void sqlwReqBegin(Req *r, sqlw_db *pDb){
  memset(r, 0, sizeof(*r));
  r->pDb = pDb;
  r->iErrOff = -1;
  pDb->zDeny = 0;
  sqlwStackTripped(1);
  if( pDb->out.nAlloc>ENGINE_BUF_KEEP ) sqlwBufFree(&pDb->out);
  sqlwResultBegin(&pDb->out);
}

/* Fails the request with rc and a message (zMsg is copied; NULL means SQLite's message
** for the code). Only the first failure of a request is kept. */
void sqlwReqFail(Req *r, int rc, const char *zMsg, int iErrOff){
  if( r->rc ) return;
  /* The request is over: the rest (messages, rollbacks) must be able to allocate. */
  sqlwGuardDeadline(0);
  r->rc = rc;
  if( (rc & 0xff)==SQLITE_AUTH && r->pDb->zDeny ){
    /* The authorizer said why ("not authorized" alone says nothing). */
    r->zMsg = sqlite3_mprintf("not authorized: %s", r->pDb->zDeny);
  }else{
    r->zMsg = sqlite3_mprintf("%s", zMsg ? zMsg : sqlite3_errstr(rc));
  }
  r->iErrOff = iErrOff;
}

/* Fails the request with rc and the connection's current error message. */
void sqlwReqFailDb(Req *r, int rc, int iErrOff){
  sqlwReqFail(r, rc, sqlite3_errmsg(r->pDb->db), iErrOff);
}

/* Completes the request: writes the result buffer and records the outcome on the
** connection. Returns the result code. */
int sqlwReqFinish(Req *r){
  sqlw_db *pDb = r->pDb;
  int rc;
  if( r->rc==SQLITE_NOMEM ){
    int eWhy = sqlwStackTripped(1);
    if( eWhy ){
      /* Not memory: SQLite went deeper than the stack allows, or past the deadline
      ** where no step runs (a prepare, a sort): see stackguard.c. */
      sqlite3_free(r->zMsg);
      r->rc = eWhy==SQLW_GUARD_STACK ? SQLITE_ERROR : SQLITE_INTERRUPT;
      r->zMsg = sqlite3_mprintf(eWhy==SQLW_GUARD_STACK
                  ? "SQL nested too deeply: it would overflow the stack" : "interrupted");
    }
  }
  rc = r->rc;
  const char *zMsg = r->zMsg ? r->zMsg : (rc ? "out of memory" : "");
  sqlwResultFinish(&pDb->out, rc, r->iErrOff, r->nChange,
                   pDb->db ? sqlite3_last_insert_rowid(pDb->db) : 0,
                   r->nStmt, r->nSet, zMsg);
  if( pDb->out.n>=8 ){
    /* The encoder may have turned the outcome into SQLITE_NOMEM. */
    const unsigned char *a = pDb->out.a;
    rc = (int)((uint32_t)a[8] | (uint32_t)a[9]<<8 | (uint32_t)a[10]<<16 | (uint32_t)a[11]<<24);
    if( rc==SQLITE_NOMEM && r->rc!=SQLITE_NOMEM ) zMsg = "out of memory";
    if( rc==SQLITE_TOOBIG && r->rc!=SQLITE_TOOBIG ) zMsg = SQLW_TOOBIG_MSG;
  }
  sqlwSetError(pDb, rc, zMsg, r->iErrOff);
  sqlite3_free(r->zMsg);
  r->zMsg = 0;
  return rc;
}

/* Returns the offset of the first byte of z[0..n) that is not whitespace, a semicolon
** or part of an SQL comment; n if there is none. */
static size_t engineSkipBlank(const char *z, size_t n){
  size_t i = 0;
  while( i<n ){
    char c = z[i];
    if( c==' ' || c=='\t' || c=='\n' || c=='\r' || c=='\f' || c==';' ){
      i++;
    }else if( c=='-' && i+1<n && z[i+1]=='-' ){
      while( i<n && z[i]!='\n' ) i++;
    }else if( c=='/' && i+1<n && z[i+1]=='*' ){
      i += 2;
      while( i+1<n && !(z[i]=='*' && z[i+1]=='/') ) i++;
      i = i+2<n ? i+2 : n;
    }else{
      break;
    }
  }
  return i;
}

/* True if z[0..n) holds nothing but whitespace, semicolons and SQL comments. */
static int engineIsBlank(const char *z, size_t n){
  return engineSkipBlank(z, n)==n;
}

/*
** True if the first keyword of z[0..n) (after whitespace and comments) starts or ends a
** transaction or savepoint. Run-many wraps its sets in a savepoint of its own, which
** such a statement would end or escape.
*/
static int engineIsTxnControl(const char *z, size_t n){
  static const char *azWord[] = { "BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT",
                                  "RELEASE" };
  size_t i = engineSkipBlank(z, n), k;
  for(k=0; k<sizeof(azWord)/sizeof(azWord[0]); k++){
    size_t m = strlen(azWord[k]);
    if( n-i>=m && sqlite3_strnicmp(z+i, azWord[k], (int)m)==0
     && (n-i==m || !((z[i+m]|0x20)>='a' && (z[i+m]|0x20)<='z') ) ){
      return 1;
    }
  }
  return 0;
}

int sqlwEngineIsTxnControl(const char *z, size_t n){
  return engineIsTxnControl(z, n);
}

int sqlwEngineIsBlank(const char *z, size_t n){
  return engineIsBlank(z, n);
}

int sqlwMaybeTxnControl(const char *z, size_t n){
  size_t i = 0;
  for(;;){
    if( engineIsTxnControl(z+i, n-i) ) return 1;
    while( i<n && z[i]!=';' ) i++;
    if( i>=n ) return 0;
    i++;
  }
}

/* Refuses a SQL text with a NUL byte inside: SQLite would stop reading there and
** silently ignore the rest. Returns SQLITE_OK, or fails r with SQLITE_MISUSE. */
static int engineCheckText(Req *r, const char *zSql, size_t nSql){
  const char *zNul = nSql ? memchr(zSql, 0, nSql) : 0;
  if( zNul ){
    int iOff = (int)(zNul-zSql);
    char *z = sqlite3_mprintf("the SQL text holds a NUL character at byte %d", iOff);
    sqlwReqFail(r, SQLITE_MISUSE, z ? z : "the SQL text holds a NUL character", iOff);
    sqlite3_free(z);
    return SQLITE_MISUSE;
  }
  return SQLITE_OK;
}

/* FNV-1a hash of a SQL text. */
static uint32_t cacheHash(const char *z, size_t n){
  uint32_t h = 2166136261u;
  size_t i;
  for(i=0; i<n; i++){
    h ^= (unsigned char)z[i];
    h *= 16777619u;
  }
  return h;
}

/* Unlinks e from the LRU list. */
static void cacheUnlinkLru(sqlw_db *pDb, CacheEntry *e){
  if( e->pPrev ) e->pPrev->pNext = e->pNext; else pDb->pMru = e->pNext;
  if( e->pNext ) e->pNext->pPrev = e->pPrev; else pDb->pLru = e->pPrev;
  e->pPrev = e->pNext = 0;
}

/* Links e at the most recently used end of the LRU list. */
static void cachePushMru(sqlw_db *pDb, CacheEntry *e){
  e->pPrev = 0;
  e->pNext = pDb->pMru;
  if( pDb->pMru ) pDb->pMru->pPrev = e; else pDb->pLru = e;
  pDb->pMru = e;
}

/* Removes e from the cache, finalizes its statement and frees it. */
static void cacheDrop(sqlw_db *pDb, CacheEntry *e){
  CacheEntry **pp = &pDb->aBucket[e->h & (ENGINE_CACHE_BUCKETS-1)];
  while( *pp!=e ) pp = &(*pp)->pHashNext;
  *pp = e->pHashNext;
  cacheUnlinkLru(pDb, e);
  sqlite3_finalize(e->pStmt);
  sqlite3_free(e->zSql);
  sqlwTablesFree(&e->tables);
  sqlite3_free(e);
  pDb->nCache--;
}

/* Empties the cache. */
void sqlwCacheClear(sqlw_db *pDb){
  while( pDb->pLru ) cacheDrop(pDb, pDb->pLru);
}

/* Adds a statement prepared from zSql[0..nSql) to the cache, evicting the least
** recently used entry when full. Returns 1 if cached, 0 if memory ran out (the caller
** then owns and finalizes the statement). */
static int cacheInsert(sqlw_db *pDb, const char *zSql, size_t nSql, uint32_t h,
                       sqlite3_stmt *pStmt){
  CacheEntry *e = sqlite3_malloc64(sizeof(*e));
  char *zCopy = sqlite3_malloc64(nSql ? nSql : 1);
  int iBucket = (int)(h & (ENGINE_CACHE_BUCKETS-1));
  if( e==0 || zCopy==0 ){
    sqlite3_free(e);
    sqlite3_free(zCopy);
    return 0;
  }
  if( pDb->nCache>=ENGINE_CACHE_SIZE ) cacheDrop(pDb, pDb->pLru);
  memcpy(zCopy, zSql, nSql);
  memset(e, 0, sizeof(*e));
  e->pStmt = pStmt;
  e->zSql = zCopy;
  e->nSql = nSql;
  e->h = h;
  e->bOwn = pDb->bOwn;
  e->pHashNext = pDb->aBucket[iBucket];
  pDb->aBucket[iBucket] = e;
  cachePushMru(pDb, e);
  pDb->nCache++;
  return 1;
}

#ifdef SQLW_FTS5_MODULE
/* Links FTS5 (dist/sqlite-worker-fts5.wasm) into connection db: the core's loader
** (src/js/core.js) fetches and instantiates the module once per instance, then calls its
** sqlite3_fts5_init(db). Returns SQLite's code (an error when the module cannot be had). */
__attribute__((import_module("link"), import_name("fts5"))) int sqlwLinkFts5(sqlite3 *db);

/* True when z[0..n) holds "fts5", in any case. */
static int engineNamesFts5(const char *z, size_t n){
  size_t i;
  for(i=0; i+4<=n; i++){
    if( (z[i]|0x20)=='f' && (z[i+1]|0x20)=='t' && (z[i+2]|0x20)=='s' && z[i+3]=='5' ) return 1;
  }
  return 0;
}

/* Links FTS5 into pDb's connection, once. Returns SQLite's code. */
static int engineLinkFts5(sqlw_db *pDb){
  int rc;
  if( pDb->bFts5 ) return SQLITE_OK;
  rc = sqlwLinkFts5(pDb->db);
  if( rc==SQLITE_OK ) pDb->bFts5 = 1;
  return rc;
}
#endif

/*
** sqlite3_prepare_v3 of the user's SQL (their statements, not the core's own). The core
** is built without FTS5, which is linked into a connection the first time it is named:
** a statement that fails to prepare for want of it ("no such module: fts5", "no such
** function: fts5_...": a query of an FTS5 table, a trigger writing one) is prepared again
** once it is linked; one that prepares but names FTS5 (CREATE VIRTUAL TABLE ... USING
** fts5, whose module is looked up when it runs) links it before it runs. When FTS5
** cannot be linked, the statement fails as SQLite says (the console says why). Returns
** SQLite's code, as sqlite3_prepare_v3.
*/
int sqlwPrepareUser(sqlw_db *pDb, const char *zSql, int nSql, unsigned int flags,
                    sqlite3_stmt **ppStmt, const char **pzTail){
  int rc = sqlite3_prepare_v3(pDb->db, zSql, nSql, flags, ppStmt, pzTail);
#ifdef SQLW_FTS5_MODULE
  if( !pDb->bFts5 ){
    if( rc==SQLITE_ERROR && strstr(sqlite3_errmsg(pDb->db), "fts5")!=0 ){
      if( engineLinkFts5(pDb)==SQLITE_OK ){
        if( pDb->pCollect ) sqlwTablesFree(pDb->pCollect);
        rc = sqlite3_prepare_v3(pDb->db, zSql, nSql, flags, ppStmt, pzTail);
      }
    }else if( rc==SQLITE_OK && *ppStmt && engineNamesFts5(zSql, (size_t)(*pzTail-zSql)) ){
      /* Not linked: the statement fails as it runs, as SQLite says ("no such module"). */
      (void)engineLinkFts5(pDb);
    }
  }
#endif
  return rc;
}

/*
** Prepares the first statement of zSql[0..nSql). When bWhole, the text is first looked
** up in the cache, and a text that holds exactly one statement is cached after
** preparing. Sets *ppStmt (NULL for a text of only comments/whitespace), *pzTail to
** where the next statement starts, and *pbCached. For the user's statements, *ppSet (if
** ppSet) is set to the tables the statement reads and writes (engine_changes.c): its
** cache entry's, or pDb->stmtTables until the next prepare; NULL for the core's own.
** Returns SQLite's code.
*/
static int enginePrepareSet(sqlw_db *pDb, const char *zSql, size_t nSql, int bWhole,
                            sqlite3_stmt **ppStmt, const char **pzTail, int *pbCached,
                            SqlwTables **ppSet){
  uint32_t h = 0;
  int rc;
  int bCollect = !pDb->bOwn;
  *pbCached = 0;
  if( ppSet ) *ppSet = 0;
  if( bWhole ){
    CacheEntry *e;
    h = cacheHash(zSql, nSql);
    for(e=pDb->aBucket[h & (ENGINE_CACHE_BUCKETS-1)]; e; e=e->pHashNext){
      if( e->h==h && e->nSql==nSql && e->bOwn==pDb->bOwn && memcmp(e->zSql, zSql, nSql)==0 ){
        cacheUnlinkLru(pDb, e);
        cachePushMru(pDb, e);
        pDb->nHit++;
        *ppStmt = e->pStmt;
        *pzTail = zSql+nSql;
        *pbCached = 1;
        if( ppSet && bCollect ) *ppSet = &e->tables;
        return SQLITE_OK;
      }
    }
  }
  if( nSql>(size_t)0x7ffffffe ) return SQLITE_TOOBIG;
  if( bCollect ){
    sqlwTablesFree(&pDb->stmtTables);
    pDb->pCollect = &pDb->stmtTables;
  }
  rc = bCollect ? sqlwPrepareUser(pDb, zSql, (int)nSql, bWhole ? SQLITE_PREPARE_PERSISTENT : 0,
                                  ppStmt, pzTail)
               : sqlite3_prepare_v3(pDb->db, zSql, (int)nSql, bWhole ? SQLITE_PREPARE_PERSISTENT : 0,
                                    ppStmt, pzTail);
  pDb->pCollect = 0;
  if( rc==SQLITE_OK && *ppStmt && bWhole ){
    pDb->nMiss++;
    if( engineIsBlank(*pzTail, nSql-(size_t)(*pzTail-zSql)) ){
      *pbCached = cacheInsert(pDb, zSql, nSql, h, *ppStmt);
      if( *pbCached ) sqlwTablesMove(&pDb->pMru->tables, &pDb->stmtTables);
    }
  }
  if( ppSet && bCollect && *ppStmt ){
    *ppSet = *pbCached ? &pDb->pMru->tables : &pDb->stmtTables;
  }
  return rc;
}

/* enginePrepareSet without the tables. */
static int enginePrepare(sqlw_db *pDb, const char *zSql, size_t nSql, int bWhole,
                         sqlite3_stmt **ppStmt, const char **pzTail, int *pbCached){
  return enginePrepareSet(pDb, zSql, nSql, bWhole, ppStmt, pzTail, pbCached, 0);
}

/*
** Around a run of the user's statement pStmt (tables pSet): the authorizer notes what a
** re-prepare sees (a schema change makes SQLite prepare it again as it runs), which then
** replaces the statement's tables; the changes it made are noted (engine_changes.c).
*/
typedef struct EngineRun {
  SqlwTables *pSet;
  int nReprepare;
  sqlite3_int64 nBefore;        /* sqlite3_total_changes64 before */
  sqlite3_int64 iCookie;        /* the schema cookie before, for a statement of DDL */
} EngineRun;

static void engineRunBegin(sqlw_db *pDb, EngineRun *p, SqlwTables *pSet, sqlite3_stmt *pStmt){
  p->pSet = pSet;
  if( pSet==0 ) return;
  p->iCookie = pSet->bSchema ? sqlwSchemaCookie(pDb) : -1;
  p->nReprepare = sqlite3_stmt_status(pStmt, SQLITE_STMTSTATUS_REPREPARE, 0);
  p->nBefore = sqlite3_total_changes64(pDb->db);
  if( pDb->stepTables.n || pDb->stepTables.bAll || pDb->stepTables.bSchema ){
    sqlwTablesFree(&pDb->stepTables);
  }
  pDb->pCollect = &pDb->stepTables;
}

static void engineRunEnd(sqlw_db *pDb, EngineRun *p, sqlite3_stmt *pStmt){
  SqlwTables *pSet = p->pSet;
  int bSchema = 0;
  if( pSet==0 ) return;
  pDb->pCollect = 0;
  if( sqlite3_stmt_status(pStmt, SQLITE_STMTSTATUS_REPREPARE, 0)!=p->nReprepare ){
    sqlwTablesMove(pSet, &pDb->stepTables);
  }
  if( pSet->bSchema ){
    sqlite3_int64 iNow = sqlwSchemaCookie(pDb);
    bSchema = iNow!=p->iCookie || iNow<0;
  }
  sqlwChangesStatement(pDb, pSet, sqlite3_total_changes64(pDb->db)!=p->nBefore, bSchema);
}

/* Ends a statement's use in a request: a cached one is reset with its bindings
** cleared; any other is finalized. */
static void engineRelease(sqlite3_stmt *pStmt, int bCached){
  if( bCached ){
    sqlite3_reset(pStmt);
    sqlite3_clear_bindings(pStmt);
  }else{
    sqlite3_finalize(pStmt);
  }
}

/*
** Steps pStmt to completion, appending its rows to the result set at *piSet (a new one
** is started when *piSet is 0 and the statement has columns) and counting its changes.
** *pnRow counts the set's rows across calls. Returns SQLITE_OK or the failure (then
** recorded in r).
*/
static int engineStepRows(Req *r, sqlite3_stmt *pStmt, size_t *piSet, uint32_t *pnRow){
  sqlw_db *pDb = r->pDb;
  int64_t nBefore = sqlite3_total_changes64(pDb->db);
  int rc = sqlite3_step(pStmt);
  /* Columns are read after the first step: a cached statement re-prepared because the
  ** schema changed (SELECT * after ALTER TABLE) only then shows its new columns. */
  int nCol = sqlite3_column_count(pStmt);
  if( nCol>0 && *piSet==0 ){
    *piSet = sqlwResultSetBegin(&pDb->out, pStmt);
    r->nSet++;
  }
  for(; rc==SQLITE_ROW; rc=sqlite3_step(pStmt)){
    sqlwResultRow(&pDb->out, pStmt, nCol);
    (*pnRow)++;
    if( pDb->out.bOom ){
      sqlwReqFail(r, SQLITE_NOMEM, "out of memory: the result is too large", -1);
      return SQLITE_NOMEM;
    }
  }
  if( nCol>0 ) sqlwResultSetEnd(&pDb->out, *piSet, *pnRow);
  if( rc!=SQLITE_DONE ){
    sqlwReqFailDb(r, rc, sqlite3_error_offset(pDb->db));
    return rc;
  }
  if( sqlite3_total_changes64(pDb->db)!=nBefore ) r->nChange += sqlite3_changes64(pDb->db);
  r->nStmt++;
  return SQLITE_OK;
}

/* engineStepRows, noting what the user's statement (tables pSet; NULL: none noted) changed. */
static int engineStep(Req *r, sqlite3_stmt *pStmt, size_t *piSet, uint32_t *pnRow,
                      SqlwTables *pSet){
  EngineRun run;
  int rc;
  engineRunBegin(r->pDb, &run, pSet, pStmt);
  rc = engineStepRows(r, pStmt, piSet, pnRow);
  engineRunEnd(r->pDb, &run, pStmt);
  return rc;
}

/* Reports the first name of p that aUsed does not mark as used. Returns SQLITE_OK if
** every name was used, else fails r with SQLITE_RANGE. */
static int engineCheckNames(Req *r, const SqlwParams *p, const unsigned char *aUsed){
  size_t i = p->iNames;
  uint32_t j;
  for(j=0; j<p->nName; j++){
    uint32_t n = (uint32_t)p->a[i] | (uint32_t)p->a[i+1]<<8
               | (uint32_t)p->a[i+2]<<16 | (uint32_t)p->a[i+3]<<24;
    if( !aUsed[j] ){
      char *z = sqlite3_mprintf("unknown parameter name '%.*s': the SQL has no such "
                                "parameter", (int)(n>200 ? 200 : n), p->a+i+4);
      sqlwReqFail(r, SQLITE_RANGE, z ? z : "unknown parameter name", -1);
      sqlite3_free(z);
      return SQLITE_RANGE;
    }
    i += 4+n;
  }
  return SQLITE_OK;
}

/* Fails r with a message made by sqlite3_mprintf (consumed; NULL means NOMEM). */
void sqlwReqFailOwned(Req *r, int rc, char *zMsg){
  if( zMsg==0 ){
    sqlwReqFail(r, SQLITE_NOMEM, 0, -1);
  }else{
    sqlwReqFail(r, rc, zMsg, -1);
    sqlite3_free(zMsg);
  }
}

/* Checks that pDb can take a request; fails r if it cannot. */
int sqlwReqUsable(Req *r){
  if( r->pDb->db==0 ){
    sqlwReqFail(r, SQLITE_MISUSE, "the database is not open", -1);
    return 0;
  }
  return 1;
}

int sqlwReqOneSet(Req *r, SqlwParams *par, const unsigned char *aParam, size_t nParam,
                  const char *zSql, size_t nSql, const char *zWho){
  char *zErr = 0;
  int rc = sqlwParamsOpen(par, aParam, nParam, &zErr);
  if( rc ){
    sqlwReqFail(r, rc, zErr, -1);
    return rc;
  }
  if( par->nSet!=1 ){
    sqlwReqFailOwned(r, SQLITE_MISUSE, sqlite3_mprintf("%s takes exactly one parameter set", zWho));
    return SQLITE_MISUSE;
  }
  return engineCheckText(r, zSql, nSql);
}

int sqlw_exec(sqlw_db *pDb, const char *zSql, size_t nSql,
              const unsigned char *aParam, size_t nParam){
  Req r;
  SqlwParams par;
  unsigned char *aUsed = 0;
  char *zErr = 0;
  size_t off = 0;
  size_t iCursor;
  uint32_t iValue = 0;
  int rc;

  if( pDb==0 ) return SQLITE_MISUSE;
  sqlwReqBegin(&r, pDb);
  if( !sqlwReqUsable(&r) ) return sqlwReqFinish(&r);
  if( sqlwReqOneSet(&r, &par, aParam, nParam, zSql, nSql, "exec") ) return sqlwReqFinish(&r);
  aUsed = sqlite3_malloc64(par.nName+1);
  if( aUsed==0 ){
    sqlwReqFail(&r, SQLITE_NOMEM, 0, -1);
    return sqlwReqFinish(&r);
  }
  memset(aUsed, 0, par.nName+1);
  iCursor = par.iValues;

  while( off<nSql && r.rc==SQLITE_OK ){
    sqlite3_stmt *pStmt = 0;
    const char *zTail = 0;
    int bCached = 0;
    int bLast;
    size_t iSet = 0;
    uint32_t nRow = 0;
    SqlwTables *pSet = 0;

    rc = enginePrepareSet(pDb, zSql+off, nSql-off, off==0, &pStmt, &zTail, &bCached, &pSet);
    if( rc ){
      int iOff = sqlite3_error_offset(pDb->db);
      sqlwReqFailDb(&r, rc, iOff>=0 ? iOff+(int)off : -1);
      break;
    }
    if( pStmt==0 ){              /* only comments or whitespace were left */
      off = (size_t)(zTail-zSql);
      continue;
    }
    off = (size_t)(zTail-zSql);
    bLast = engineIsBlank(zSql+off, nSql-off);

    if( pDb->chg.bLive ){
      /* A live query's run (REQ_LIVE): one statement that only reads; its read set goes
      ** with the answer. */
      if( !bLast || r.nStmt>0 || !sqlite3_stmt_readonly(pStmt) ){
        sqlwReqFail(&r, SQLITE_MISUSE, "a live query is one statement that only reads "
                    "(a SELECT, a WITH … SELECT, or a PRAGMA that reads)", -1);
        engineRelease(pStmt, bCached);
        break;
      }
    }

    /* A transaction statement is the tab's, not the request's: coord_txn.c runs it. */
    if( pDb->xControl && !sqlite3_stmt_isexplain(pStmt) ){
      const char *zText = sqlite3_sql(pStmt);
      if( zText && engineIsTxnControl(zText, strlen(zText))
       && pDb->xControl(pDb->pControlCtx, pStmt, &r) ){
        if( r.rc==SQLITE_OK ) r.nStmt++;
        engineRelease(pStmt, bCached);
        continue;
      }
    }

    /* Bind, checking counts and names before the statement runs. */
    if( par.nName ){
      SqlwBinding b;
      size_t iSetStart = par.iValues;
      rc = sqlwBindingInit(&b, &par, pStmt, aUsed, &zErr);
      if( rc==SQLITE_OK && bLast ) rc = engineCheckNames(&r, &par, aUsed);
      if( rc==SQLITE_OK ){
        rc = sqlwBindValues(pStmt, &par, &b, &iSetStart, &iValue, 0);
        if( rc ) sqlwReqFailDb(&r, rc, -1);
      }else if( zErr || rc==SQLITE_NOMEM ){
        sqlwReqFailOwned(&r, rc, zErr);
        zErr = 0;
      }
      sqlwBindingFree(&b);
    }else{
      uint32_t nNeed = (uint32_t)sqlite3_bind_parameter_count(pStmt);
      uint32_t nLeft = par.nValue-iValue;
      if( nNeed>nLeft || (bLast && nNeed!=nLeft) ){
        sqlwReqFailOwned(&r, SQLITE_RANGE, sqlite3_mprintf(
            "wrong number of parameter values: the SQL has %u parameter%s, %u value%s "
            "given", iValue+nNeed, iValue+nNeed==1 ? "" : "s",
            par.nValue, par.nValue==1 ? " was" : "s were"));
      }else{
        rc = sqlwBindValues(pStmt, &par, 0, &iCursor, &iValue, nNeed);
        if( rc ) sqlwReqFailDb(&r, rc, -1);
      }
    }
    if( r.rc==SQLITE_OK ) engineStep(&r, pStmt, &iSet, &nRow, pSet);
    if( pDb->chg.bLive && pSet ){
      sqlwTablesFree(&pDb->chg.live);
      sqlwTablesMerge(&pDb->chg.live, pSet, SQLW_TABLE_READ, SQLW_TABLE_READ);
    }
    engineRelease(pStmt, bCached);
  }

  /* Values or names left over after the last statement (a script whose last
  ** statement could not be recognised in advance, or a text with no statement). */
  if( r.rc==SQLITE_OK ){
    if( par.nName ){
      engineCheckNames(&r, &par, aUsed);
    }else if( iValue!=par.nValue ){
      sqlwReqFailOwned(&r, SQLITE_RANGE, sqlite3_mprintf(
          "wrong number of parameter values: the SQL has %u parameter%s, %u value%s "
          "given", iValue, iValue==1 ? "" : "s",
          par.nValue, par.nValue==1 ? " was" : "s were"));
    }
  }
  sqlite3_free(aUsed);
  return sqlwReqFinish(&r);
}

/* Runs "<zVerb> <zName>" on db (zName: a savepoint's, at most 32 bytes). */
static int engineSavepointSql(sqlite3 *db, const char *zVerb, const char *zName){
  char zSql[64];
  sqlw_db *pDb = sqlwChangesDb(db);
  sqlite3_stmt *pStmt = 0;
  int bCached = 0;
  int rc;
  sqlite3_snprintf((int)sizeof(zSql), zSql, "%s %s", zVerb, zName);
  if( pDb==0 ) return sqlite3_exec(db, zSql, 0, 0, 0);
  /* Every write request runs in one: prepared once, from the statement cache, not parsed
  ** for each request. */
  rc = sqlwPrepareCached(pDb, zSql, &pStmt, &bCached);
  if( rc==SQLITE_OK ){
    rc = sqlite3_step(pStmt);
    if( rc==SQLITE_DONE || rc==SQLITE_ROW ) rc = SQLITE_OK;
    sqlwReleaseCached(pStmt, bCached);
  }
  return rc;
}

int sqlwSavepointBegin(SqlwSavepoint *p, sqlite3 *db, const char *zName){
  p->db = db;
  p->zName = zName;
  p->bAutocommit = sqlite3_get_autocommit(db);
  return engineSavepointSql(db, "SAVEPOINT", zName);
}

int sqlwSavepointRelease(SqlwSavepoint *p){
  int rc = engineSavepointSql(p->db, "RELEASE", p->zName);
  if( rc ) sqlwSavepointUndo(p);
  return rc;
}

void sqlwSavepointUndo(SqlwSavepoint *p){
  /* A savepoint that began the transaction: its RELEASE after the ROLLBACK TO commits
  ** an empty transaction, which must not count the changes noted in it. (Not ROLLBACK:
  ** that would end other tabs' open cursors.) */
  if( p->bAutocommit ) sqlwChangesUndone(p->db);
  if( !sqlite3_get_autocommit(p->db)
   && engineSavepointSql(p->db, "ROLLBACK TO", p->zName)==SQLITE_OK ){
    engineSavepointSql(p->db, "RELEASE", p->zName);
  }
  if( p->bAutocommit && !sqlite3_get_autocommit(p->db) ){
    sqlite3_exec(p->db, "ROLLBACK", 0, 0, 0);
  }
}

int sqlwBindShape(Req *r, SqlwParams *par, sqlite3_stmt *pStmt, SqlwBinding *pB,
                  unsigned char **paUsed, const char *zEach){
  char *zErr = 0;
  int rc;
  if( par->nName ){
    unsigned char *aUsed = sqlite3_malloc64(par->nName);
    *paUsed = aUsed;
    if( aUsed==0 ){
      sqlwReqFail(r, SQLITE_NOMEM, 0, -1);
      return SQLITE_NOMEM;
    }
    memset(aUsed, 0, par->nName);
    rc = sqlwBindingInit(pB, par, pStmt, aUsed, &zErr);
    if( rc ){
      sqlwReqFailOwned(r, rc, zErr);
      return rc;
    }
    return engineCheckNames(r, par, aUsed);
  }
  if( (uint32_t)sqlite3_bind_parameter_count(pStmt)!=par->nValue ){
    int nNeed = sqlite3_bind_parameter_count(pStmt);
    sqlwReqFailOwned(r, SQLITE_RANGE, sqlite3_mprintf(
        "wrong number of parameter values: the SQL has %d parameter%s, %s %u",
        nNeed, nNeed==1 ? "" : "s", zEach, par->nValue));
    return SQLITE_RANGE;
  }
  return SQLITE_OK;
}

int sqlw_run_many(sqlw_db *pDb, const char *zSql, size_t nSql,
                  const unsigned char *aParam, size_t nParam){
  Req r;
  SqlwParams par;
  SqlwBinding b;
  unsigned char *aUsed = 0;
  sqlite3_stmt *pStmt = 0;
  const char *zTail = 0;
  char *zErr = 0;
  int bCached = 0;
  SqlwSavepoint sp;
  size_t iCursor, iSet = 0;
  uint32_t nRow = 0, iValue = 0, s;
  int rc;
  SqlwTables *pSet = 0;
  EngineRun run;

  memset(&b, 0, sizeof(b));
  if( pDb==0 ) return SQLITE_MISUSE;
  sqlwReqBegin(&r, pDb);
  if( !sqlwReqUsable(&r) ) return sqlwReqFinish(&r);
  rc = sqlwParamsOpen(&par, aParam, nParam, &zErr);
  if( rc ){
    sqlwReqFail(&r, rc, zErr, -1);
    return sqlwReqFinish(&r);
  }
  if( engineCheckText(&r, zSql, nSql) ) return sqlwReqFinish(&r);
  rc = enginePrepareSet(pDb, zSql, nSql, 1, &pStmt, &zTail, &bCached, &pSet);
  if( rc ){
    sqlwReqFailDb(&r, rc, sqlite3_error_offset(pDb->db));
    return sqlwReqFinish(&r);
  }
  if( pStmt==0 ){
    sqlwReqFail(&r, SQLITE_MISUSE, "runMany needs one SQL statement; the text has none", -1);
    return sqlwReqFinish(&r);
  }
  if( engineIsTxnControl(zSql, nSql) ){
    sqlwReqFail(&r, SQLITE_MISUSE, "runMany cannot run transaction control statements "
            "(BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT, RELEASE): it is atomic itself", 0);
    goto many_out;
  }
  if( !engineIsBlank(zTail, nSql-(size_t)(zTail-zSql)) ){
    sqlwReqFail(&r, SQLITE_MISUSE, "runMany takes exactly one SQL statement; the text "
            "has more (use exec or batch for scripts)", (int)(zTail-zSql));
    goto many_out;
  }

  if( par.nSet==0 ) goto many_out;   /* nothing to run, nothing to check */

  /* Check the binding once: every set has the same shape. */
  if( sqlwBindShape(&r, &par, pStmt, &b, &aUsed, "each set has") ) goto many_out;

  rc = sqlwSavepointBegin(&sp, pDb->db, "sqlw_run_many");
  if( rc ){
    sqlwReqFailDb(&r, rc, -1);
    goto many_out;
  }
  iCursor = par.iValues;
  /* What the sets changed is noted once, after the last (not a merge per row). */
  engineRunBegin(pDb, &run, pSet, pStmt);
  for(s=0; s<par.nSet && r.rc==SQLITE_OK; s++){
    rc = sqlwBindValues(pStmt, &par, par.nName ? &b : 0, &iCursor, &iValue, par.nValue);
    if( rc ){
      sqlwReqFailDb(&r, rc, -1);
      break;
    }
    if( engineStepRows(&r, pStmt, &iSet, &nRow) ) break;
    sqlite3_reset(pStmt);
  }
  sqlite3_reset(pStmt);
  engineRunEnd(pDb, &run, pStmt);
  if( r.rc==SQLITE_OK ){
    rc = sqlwSavepointRelease(&sp);
    if( rc ) sqlwReqFailDb(&r, rc, -1);
  }else{
    sqlwSavepointUndo(&sp);   /* every set undone */
  }

many_out:
  sqlwBindingFree(&b);
  sqlite3_free(aUsed);
  engineRelease(pStmt, bCached);
  return sqlwReqFinish(&r);
}

/* Little-endian u32 at a. */
static uint32_t engineGet32(const unsigned char *a){
  return (uint32_t)a[0] | (uint32_t)a[1]<<8 | (uint32_t)a[2]<<16 | (uint32_t)a[3]<<24;
}

/* Writes v little-endian at a. */
static void enginePut32(unsigned char *a, uint32_t v){
  a[0] = (unsigned char)v;
  a[1] = (unsigned char)(v>>8);
  a[2] = (unsigned char)(v>>16);
  a[3] = (unsigned char)(v>>24);
}


/*
** Checks a batch buffer's layout: every item's two lengths lie inside the buffer, and
** the last item ends it. Returns SQLITE_OK with *pnItem set, or SQLITE_MISUSE with
** *pzWhy saying what is wrong.
*/
static int batchParse(const unsigned char *a, size_t n, uint32_t *pnItem,
                      const char **pzWhy){
  uint32_t nItem, i;
  size_t off = SQLW_BATCH_HEADER;
  if( a==0 || n<SQLW_BATCH_HEADER || memcmp(a, SQLW_MAGIC_BATCH, 4)!=0 ){
    *pzWhy = "malformed batch buffer: bad magic or too short";
    return SQLITE_MISUSE;
  }
  if( (a[4] | a[5]<<8)!=SQLW_FORMAT_VERSION || (a[6] | a[7]<<8)!=0 ){
    *pzWhy = "malformed batch buffer: unknown version or flags";
    return SQLITE_MISUSE;
  }
  nItem = engineGet32(a+8);
  for(i=0; i<nItem; i++){
    uint32_t k;
    for(k=0; k<2; k++){          /* the SQL, then the parameters */
      uint32_t m;
      if( n-off<4 ){
        *pzWhy = "malformed batch buffer: truncated item";
        return SQLITE_MISUSE;
      }
      m = engineGet32(a+off);
      off += 4;
      if( n-off<m ){
        *pzWhy = "malformed batch buffer: item longer than the buffer";
        return SQLITE_MISUSE;
      }
      off += m;
    }
  }
  if( off!=n ){
    *pzWhy = "malformed batch buffer: bytes after the last item";
    return SQLITE_MISUSE;
  }
  *pnItem = nItem;
  return SQLITE_OK;
}

/* Appends the connection's result buffer (one SQWR) to the list, length first. */
static void batchAppend(SqlwBuf *pList, const SqlwBuf *pOut){
  if( sqlwBufReserve(pList, 4+pOut->n) ) return;
  enginePut32(pList->a+pList->n, (uint32_t)pOut->n);
  memcpy(pList->a+pList->n+4, pOut->a, pOut->n);
  pList->n += 4+pOut->n;
}

/* Fails a batch before or around its items: writes the failure as an SQWR in the
** connection's buffer (as any request does) and appends it to the list. */
static int batchFail(sqlw_db *pDb, SqlwBuf *pList, int rc, const char *zMsg){
  Req r;
  sqlwReqBegin(&r, pDb);
  sqlwReqFail(&r, rc, zMsg, -1);
  rc = sqlwReqFinish(&r);
  batchAppend(pList, &pDb->out);
  return rc;
}

int sqlw_batch(sqlw_db *pDb, const unsigned char *a, size_t n){
  SqlwBuf list;
  const char *zWhy = 0;
  uint32_t nItem = 0, i;
  int64_t iFail = -1;
  int rc;
  SqlwSavepoint sp;
  size_t off = SQLW_BATCH_HEADER;

  if( pDb==0 ) return SQLITE_MISUSE;
  memset(&list, 0, sizeof(list));
  list.nMax = SQLW_MAX_ANSWER;
  if( sqlwBufReserve(&list, SQLW_LIST_HEADER) ) return SQLITE_NOMEM;
  list.n = SQLW_LIST_HEADER;
  if( pDb->db==0 ){
    rc = batchFail(pDb, &list, SQLITE_MISUSE, "the database is not open");
    iFail = 0;
    goto batch_out;
  }
  rc = batchParse(a, n, &nItem, &zWhy);
  if( rc ){
    rc = batchFail(pDb, &list, rc, zWhy);
    iFail = 0;
    goto batch_out;
  }
  /* Refuse transaction control before anything runs. */
  for(i=0; i<nItem; i++){
    uint32_t nSql = engineGet32(a+off);
    uint32_t nParam = engineGet32(a+off+4+nSql);
    if( engineIsTxnControl((const char*)a+off+4, nSql) ){
      char *z = sqlite3_mprintf("batch item %u is transaction control (BEGIN, COMMIT, "
                                "END, ROLLBACK, SAVEPOINT, RELEASE): a batch is atomic "
                                "itself", i);
      rc = batchFail(pDb, &list, SQLITE_MISUSE, z ? z : "out of memory");
      sqlite3_free(z);
      iFail = i;
      goto batch_out;
    }
    off += 8+nSql+nParam;
  }
  if( nItem==0 ){
    Req r;
    sqlwReqBegin(&r, pDb);
    rc = sqlwReqFinish(&r);
    goto batch_out;
  }

  rc = sqlwSavepointBegin(&sp, pDb->db, "sqlw_batch");
  if( rc ){
    rc = batchFail(pDb, &list, rc, sqlite3_errmsg(pDb->db));
    iFail = 0;
    goto batch_out;
  }
  off = SQLW_BATCH_HEADER;
  for(i=0; i<nItem; i++){
    uint32_t nSql = engineGet32(a+off);
    const char *zSql = (const char*)a+off+4;
    uint32_t nParam = engineGet32(a+off+4+nSql);
    const unsigned char *aParam = a+off+8+nSql;
    off += 8+nSql+nParam;
    rc = sqlw_exec(pDb, zSql, nSql, nParam ? aParam : 0, nParam);
    batchAppend(&list, &pDb->out);
    if( rc==SQLITE_OK && list.bOom ){
      /* The results outgrew the list: the batch fails whole (rolled back below). */
      rc = list.bOom==2 ? SQLITE_TOOBIG : SQLITE_NOMEM;
    }
    if( rc ){
      iFail = i;
      break;
    }
    if( sqlite3_get_autocommit(pDb->db) ){
      /* A script's later statement ended the transaction: too late to undo. */
      rc = batchFail(pDb, &list, SQLITE_MISUSE, "a batch item ended the batch's "
                     "transaction (COMMIT or ROLLBACK inside a script): items up to it "
                     "may have been committed");
      iFail = i;
      break;
    }
  }
  if( rc==SQLITE_OK ){
    rc = sqlwSavepointRelease(&sp);
    if( rc ){
      rc = batchFail(pDb, &list, rc, sqlite3_errmsg(pDb->db));
      iFail = nItem-1;
    }
  }else{
    sqlwSavepointUndo(&sp);
  }

batch_out:
  if( list.bOom ){
    int rcList = list.bOom==2 ? SQLITE_TOOBIG : SQLITE_NOMEM;
    const char *zList = rcList==SQLITE_TOOBIG ? SQLW_TOOBIG_MSG : "out of memory";
    sqlwBufFree(&list);
    sqlwSetError(pDb, rcList, zList, -1);
    sqlwResultBegin(&pDb->out);
    sqlwResultFinish(&pDb->out, rcList, -1, 0, 0, 0, 0, zList);
    return rcList;
  }
  memcpy(list.a, SQLW_MAGIC_LIST, 4);
  list.a[4] = SQLW_FORMAT_VERSION; list.a[5] = 0;
  list.a[6] = 0; list.a[7] = 0;
  enginePut32(list.a+8, (uint32_t)rc);
  enginePut32(list.a+12, (uint32_t)(int32_t)iFail);
  {
    /* Count the items in the list (failures of the batch itself add one). */
    uint32_t nList = 0;
    size_t p = SQLW_LIST_HEADER;
    while( p<list.n ){
      p += 4+engineGet32(list.a+p);
      nList++;
    }
    enginePut32(list.a+16, nList);
  }
  if( rc==SQLITE_OK ) sqlwSetError(pDb, SQLITE_OK, 0, -1);
  sqlwBufFree(&pDb->out);
  pDb->out = list;
  return rc;
}

const unsigned char *sqlw_result(sqlw_db *pDb, size_t *pnByte){
  *pnByte = pDb ? pDb->out.n : 0;
  return pDb ? pDb->out.a : 0;
}

int sqlw_open(const char *zPath, const char *zVfs, int flags, sqlw_db **ppDb){
  sqlw_db *pDb;
  int rc;
  *ppDb = 0;
  rc = sqlite3_initialize();
  if( rc ) return rc;
  pDb = sqlite3_malloc64(sizeof(*pDb));
  if( pDb==0 ) return SQLITE_NOMEM;
  memset(pDb, 0, sizeof(*pDb));
  pDb->iErrOff = -1;
  pDb->rCapMs = -1;
  pDb->eDurability = -1;
  pDb->out.nMax = SQLW_MAX_ANSWER;
  *ppDb = pDb;
  if( sqlwBufReserve(&pDb->out, 4096) ){
    sqlwSetError(pDb, SQLITE_NOMEM, "out of memory", -1);
    return SQLITE_NOMEM;
  }
  sqlwResultBegin(&pDb->out);
  if( flags==0 ) flags = SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE;
  rc = sqlite3_open_v2(zPath ? zPath : "", &pDb->db, flags|SQLITE_OPEN_EXRESCODE,
                       zVfs ? zVfs : "host");
  if( rc ){
    sqlwSetError(pDb, rc, pDb->db ? sqlite3_errmsg(pDb->db) : sqlite3_errstr(rc), -1);
    sqlite3_close_v2(pDb->db);
    pDb->db = 0;
    return rc;
  }
  sqlite3_extended_result_codes(pDb->db, 1);
  sqlwChangesAttach(pDb);
  /* No writable_schema, no writes to sqlite_dbpage or to virtual tables' shadow
  ** tables, no journal_mode=OFF: no statement can break the file under SQLite. */
  sqlite3_db_config(pDb->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int*)0);
  sqlite3_limit(pDb->db, SQLITE_LIMIT_EXPR_DEPTH, SQLW_EXPR_DEPTH);
  /* Any one value or statement fits in a request and an answer (SQLW_MAX_ANSWER). */
  sqlite3_limit(pDb->db, SQLITE_LIMIT_LENGTH, (int)(SQLW_MAX_ANSWER-(1u<<20)));
  sqlite3_limit(pDb->db, SQLITE_LIMIT_SQL_LENGTH, (int)(SQLW_MAX_ANSWER-(1u<<20)));
  return SQLITE_OK;
}

int sqlw_close(sqlw_db *pDb){
  int rc = SQLITE_OK;
  if( pDb==0 ) return SQLITE_OK;
  sqlwCacheClear(pDb);
  sqlw_cursor_close_all(pDb);
  sqlite3_free(pDb->aCursor);
  if( pDb->db ) rc = sqlite3_close_v2(pDb->db);
  while( pDb->txn.nSp>0 ) sqlite3_free(pDb->txn.azSp[--pDb->txn.nSp]);
  sqlite3_free(pDb->txn.azSp);
  sqlwChangesClose(pDb);
  sqlwBufFree(&pDb->out);
  sqlite3_free(pDb->zErr);
  sqlite3_free(pDb);
  return rc;
}

/* WAL frames after which a commit checkpoints (SQLite's own default). */
#define ENGINE_WAL_CHECKPOINT 1000

/*
** The WAL hook: after a commit leaves ENGINE_WAL_CHECKPOINT frames or more, checkpoint
** and truncate the WAL to nothing. SQLite's own auto-checkpoint leaves the file as long
** as it grew, and the next connection to open the database (a new leader tab, in the
** middle of a failover) reads all of it to recover: measured ~90 ms for a 100,000-row
** transaction's WAL, against ~5 ms once truncated. The connection holds the database
** exclusively, so the checkpoint has no readers to wait for.
*/
static int engineWalHook(void *pArg, sqlite3 *db, const char *zDb, int nFrame){
  (void)pArg;
  if( nFrame>=ENGINE_WAL_CHECKPOINT ){
    sqlite3_wal_checkpoint_v2(db, zDb, SQLITE_CHECKPOINT_TRUNCATE, 0, 0);
  }
  return SQLITE_OK;
}

/* SQLite's progress handler: non-zero (interrupt) once the deadline has passed. */
int sqlwProgress(void *pArg){
  sqlw_db *pDb = (sqlw_db*)pArg;
  double rNow = host_time();
  if( pDb->rNoticeAt>0 && !pDb->bNoticed && rNow>pDb->rNoticeAt ){
    pDb->bNoticed = 1;
    host_busy(pDb->aTag, pDb->nTag);
  }
  return pDb->rDeadline>0 && rNow>pDb->rDeadline;
}

/* Installs SQLite's progress handler while a deadline or a busy notice needs it. */
static void engineProgressUpdate(sqlw_db *pDb){
  if( pDb->rDeadline>0 || pDb->rNoticeAt>0 ){
    sqlite3_progress_handler(pDb->db, SQLW_PROGRESS_OPS, sqlwProgress, pDb);
  }else{
    sqlite3_progress_handler(pDb->db, 0, 0, 0);
  }
}

void sqlw_set_busy_notice(sqlw_db *pDb, double rAfterMs, const unsigned char *aTag, int nTag){
  if( pDb==0 || pDb->db==0 ) return;
  sqlw_end_busy_notice(pDb);
  if( rAfterMs>=0 && nTag>=0 && nTag<=SQLW_BUSY_TAG_MAX ){
    if( nTag>0 ) memcpy(pDb->aTag, aTag, (size_t)nTag);
    pDb->nTag = nTag;
    pDb->rNoticeAt = host_time()+(rAfterMs>0 ? rAfterMs : 0.001);
  }
  engineProgressUpdate(pDb);
}

void sqlw_end_busy_notice(sqlw_db *pDb){
  if( pDb==0 || pDb->db==0 ) return;
  if( pDb->bNoticed ) host_busy(0, 0);
  pDb->bNoticed = 0;
  pDb->rNoticeAt = 0;
  engineProgressUpdate(pDb);
}

void sqlw_set_deadline(sqlw_db *pDb, double rBudgetMs){
  double r = rBudgetMs>=0 ? rBudgetMs : -1;   /* NaN and negatives: none */
  if( pDb==0 || pDb->db==0 ) return;
  if( pDb->rCapMs>=0 && (r<0 || r>pDb->rCapMs) ) r = pDb->rCapMs;
  pDb->rDeadline = r<0 ? 0 : host_time()+(r>0 ? r : 0.001);
  engineProgressUpdate(pDb);
  sqlwGuardDeadline(pDb->rDeadline);
}

void sqlw_clear_deadline(sqlw_db *pDb){
  if( pDb==0 || pDb->db==0 || pDb->rDeadline==0 ) return;
  pDb->rDeadline = 0;
  engineProgressUpdate(pDb);
  sqlwGuardDeadline(0);
}

void sqlw_set_statement_cap(sqlw_db *pDb, double rCapMs){
  if( pDb ) pDb->rCapMs = rCapMs>=0 ? rCapMs : -1;
}

void sqlw_set_private(sqlw_db *pDb){
  if( pDb ) pDb->bPrivate = 1;
}

int sqlw_set_page_size(sqlw_db *pDb, int szPage){
  char zSql[40];
  int rc;
  if( pDb==0 ) return SQLITE_MISUSE;
  if( pDb->db==0 || szPage<512 || szPage>65536 || (szPage & (szPage-1))!=0 ){
    sqlwSetError(pDb, SQLITE_MISUSE, pDb->db ? "the page size must be a power of two from 512 to 65536"
                                                : "the database is not open", -1);
    return SQLITE_MISUSE;
  }
  sqlite3_snprintf(sizeof(zSql), zSql, "PRAGMA main.page_size=%d", szPage);
  rc = sqlite3_exec(pDb->db, zSql, 0, 0, 0);
  sqlwSetError(pDb, rc, rc ? sqlite3_errmsg(pDb->db) : 0, -1);
  return rc;
}

int sqlw_set_durability(sqlw_db *pDb, int eMode){
  sqlite3_stmt *pStmt = 0;
  const char *zMode = 0;
  int rc;
  if( pDb==0 ) return SQLITE_MISUSE;
  if( pDb->db==0 || (eMode!=SQLW_DURABLE && eMode!=SQLW_RELAXED) ){
    sqlwSetError(pDb, SQLITE_MISUSE, pDb->db ? "unknown durability mode"
                                                : "the database is not open", -1);
    return SQLITE_MISUSE;
  }
  rc = sqlite3_exec(pDb->db, eMode==SQLW_DURABLE ?
         "PRAGMA locking_mode=EXCLUSIVE; PRAGMA synchronous=FULL" :
         "PRAGMA locking_mode=EXCLUSIVE; PRAGMA synchronous=NORMAL", 0, 0, 0);
  if( rc==SQLITE_OK ){
    rc = sqlite3_prepare_v2(pDb->db, "PRAGMA journal_mode=WAL", -1, &pStmt, 0);
  }
  if( rc==SQLITE_OK ){
    rc = sqlite3_step(pStmt);
    if( rc==SQLITE_ROW ){
      zMode = (const char*)sqlite3_column_text(pStmt, 0);
      rc = SQLITE_OK;
    }
  }
  if( rc==SQLITE_OK && (zMode==0 || sqlite3_stricmp(zMode, "wal")!=0) ){
    /* SQLite keeps the old mode, silently, when it cannot use WAL (an in-memory
    ** database, say): say so instead of pretending. */
    char *zMsg = sqlite3_mprintf("the database cannot use WAL (journal mode stays %s)",
                                 zMode ? zMode : "unknown");
    sqlite3_finalize(pStmt);
    sqlwSetError(pDb, SQLITE_ERROR, zMsg ? zMsg : "the database cannot use WAL", -1);
    sqlite3_free(zMsg);
    return SQLITE_ERROR;
  }
  if( rc ){
    sqlwSetError(pDb, rc, sqlite3_errmsg(pDb->db), -1);
  }else{
    sqlite3_wal_hook(pDb->db, engineWalHook, 0);
    pDb->eDurability = eMode;
    sqlwSetError(pDb, SQLITE_OK, 0, -1);
  }
  sqlite3_finalize(pStmt);
  return rc;
}

int sqlwPrepareCached(sqlw_db *pDb, const char *zSql, sqlite3_stmt **ppStmt, int *pbCached){
  const char *zTail = 0;
  int rc;
  pDb->bOwn = 1;
  rc = enginePrepare(pDb, zSql, strlen(zSql), 1, ppStmt, &zTail, pbCached);
  pDb->bOwn = 0;
  return rc;
}

void sqlwDenyReason(sqlw_db *pDb, const char *zWhy){
  if( pDb ) pDb->zDeny = zWhy;
}

int sqlwDurability(sqlw_db *pDb){
  return pDb ? pDb->eDurability : -1;
}

int sqlwBareStatement(sqlw_db *pDb, const char *zSql, size_t nSql){
  static const char *const azTxn[] = { "BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE" };
  sqlite3_stmt *pStmt = 0;
  const char *zTail = 0;
  int bCached = 0, bBare = 0;
  int bTxn, rc;
  if( pDb==0 || pDb->db==0 ) return 0;
  bTxn = !sqlite3_get_autocommit(pDb->db);
  rc = enginePrepare(pDb, zSql, nSql, 1, &pStmt, &zTail, &bCached);
  if( rc!=SQLITE_OK || pStmt==0 ){
    /* Out of memory: say so (run in a savepoint instead, VACUUM would fail with a
    ** misleading "within a transaction"); any other error is the statement's own, and
    ** so is an allocation the stack guard refused (SQL nested too deeply, or past the
    ** deadline): the request's own prepare fails the same way and says which. */
    return (rc & 0xff)==SQLITE_NOMEM && !sqlwStackTripped(0) ? -1 : 0;
  }
  if( bCached || engineIsBlank(zTail, nSql-(size_t)(zTail-zSql)) ){
    const char *z = sqlite3_sql(pStmt);
    size_t i;
    z += engineSkipBlank(z, strlen(z));
    /* Inside a transaction only a read: a PRAGMA there may write (user_version). */
    bBare = sqlite3_stmt_readonly(pStmt) || (!bTxn && (sqlite3_strnicmp(z, "PRAGMA", 6)==0
         || sqlite3_strnicmp(z, "VACUUM", 6)==0));
    for(i=0; bBare && i<sizeof(azTxn)/sizeof(azTxn[0]); i++){
      if( sqlite3_strnicmp(z, azTxn[i], (int)strlen(azTxn[i]))==0 ) bBare = 0;
    }
  }
  engineRelease(pStmt, bCached);
  return bBare;
}

/* Runs zSql (one of the core's statements) with ?1 = aClient and, if it has a second parameter, ?2 = i. Returns
** SQLite's code (SQLITE_OK when done). */
int sqlwRunFor(sqlw_db *pDb, const char *zSql, const unsigned char *aClient, sqlite3_int64 i){
  sqlite3_stmt *pStmt = 0;
  int bCached = 0;
  int rc = sqlwPrepareCached(pDb, zSql, &pStmt, &bCached);
  if( rc ) return rc;
  sqlite3_bind_blob(pStmt, 1, aClient, COORD_ID_BYTES, SQLITE_STATIC);
  if( sqlite3_bind_parameter_count(pStmt)>=2 ) sqlite3_bind_int64(pStmt, 2, i);
  while( (rc = sqlite3_step(pStmt))==SQLITE_ROW ){}
  sqlwReleaseCached(pStmt, bCached);
  return rc==SQLITE_DONE ? SQLITE_OK : rc;
}


void sqlwReleaseCached(sqlite3_stmt *pStmt, int bCached){
  if( pStmt ) engineRelease(pStmt, bCached);
}

sqlite3 *sqlwHandle(sqlw_db *pDb){
  return pDb ? pDb->db : 0;
}

int sqlw_errcode(sqlw_db *pDb){
  return pDb ? pDb->rc : SQLITE_MISUSE;
}

const char *sqlw_errmsg(sqlw_db *pDb){
  if( pDb==0 ) return "no database handle";
  if( pDb->rc==SQLITE_OK ) return "not an error";
  return pDb->zErr ? pDb->zErr : sqlite3_errstr(pDb->rc);
}

int sqlw_error_offset(sqlw_db *pDb){
  return pDb ? pDb->iErrOff : -1;
}

/*
** The state that lives only on connection db (SQLW_STAT_LOCAL): the objects of its temp
** schema plus its attached databases. -1 when the count cannot be read.
*/
static int64_t localState(sqlite3 *db){
  sqlite3_stmt *pStmt = 0;
  int64_t n = -1;
  int i;
  if( sqlite3_prepare_v2(db, "SELECT count(*) FROM temp.sqlite_schema", -1, &pStmt, 0)==SQLITE_OK
   && sqlite3_step(pStmt)==SQLITE_ROW ){
    n = sqlite3_column_int64(pStmt, 0);
    for(i=2; sqlite3_db_name(db, i); i++) n++;  /* 0 is main, 1 temp, then the attached */
  }
  sqlite3_finalize(pStmt);
  return n;
}

int64_t sqlw_stat(sqlw_db *pDb, int op){
  if( pDb==0 ) return -1;
  switch( op ){
    case SQLW_STAT_CACHE_HITS:   return pDb->nHit;
    case SQLW_STAT_CACHE_MISSES: return pDb->nMiss;
    case SQLW_STAT_CACHE_SIZE:   return pDb->nCache;
    case SQLW_STAT_AUTOCOMMIT:   return pDb->db ? sqlite3_get_autocommit(pDb->db) : 1;
    case SQLW_STAT_STACK_HIGH:   return sqlwStackHigh();
    case SQLW_STAT_LOCAL:        return pDb->db ? localState(pDb->db) : 0;
    default:                     return -1;
  }
}

int sqlw_code_at(int i){
  if( i<0 || (size_t)i>=sizeof(aCodeName)/sizeof(aCodeName[0]) ) return -1;
  return aCodeName[i].rc;
}

const char *sqlw_code_name(int rc){
  size_t i;
  const char *zPrimary = 0;
  for(i=0; i<sizeof(aCodeName)/sizeof(aCodeName[0]); i++){
    if( aCodeName[i].rc==rc ) return aCodeName[i].zName;
    if( aCodeName[i].rc==(rc & 0xff) ) zPrimary = aCodeName[i].zName;
  }
  return zPrimary ? zPrimary : "SQLITE_UNKNOWN";
}

void sqlw_free(void *p){
  sqlite3_free(p);
}
