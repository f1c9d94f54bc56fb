/*
** engine.c — connections, the statement cache, requests, export and import.
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
#define ENGINE_CACHE_BUCKETS 128   /* hash buckets (a power of two) */
#define ENGINE_BUF_KEEP  (4u<<20)  /* a result buffer above this is released after use */
#define SQLW_PROGRESS_OPS 1000    /* VM steps between two looks at the clock */
#ifndef SQLW_EXPR_DEPTH
# define SQLW_EXPR_DEPTH 1000
#endif

typedef struct CacheEntry CacheEntry;

/* A cached statement. Linked both in a hash chain and in the LRU list. */
struct CacheEntry {
  sqlite3_stmt *pStmt;      /* The prepared statement */
  char *zSql;               /* Its SQL text, the key (sqlite3_malloc64'd) */
  size_t nSql;              /* Bytes in zSql */
  uint32_t h;               /* Hash of zSql */
  int bOwn;                 /* The core's own statement (sqlwPrepareCached), never the
                            ** user's: the same text from the user is another entry */
  CacheEntry *pHashNext;    /* Next entry in the same bucket */
  CacheEntry *pPrev;        /* More recently used entry, or NULL */
  CacheEntry *pNext;        /* Less recently used entry, or NULL */
};

struct sqlw_db {
  sqlite3 *db;              /* The SQLite connection; NULL if the open failed */
  SqlwBuf out;              /* The result buffer of the last request */
  int rc;                   /* Code of the last failure (SQLITE_OK after success) */
  char *zErr;               /* Its message (sqlite3_malloc'd), or NULL */
  int iErrOff;              /* Its byte offset in the SQL, or -1 */
  CacheEntry *aBucket[ENGINE_CACHE_BUCKETS]; /* Hash table of the cache */
  CacheEntry *pMru;         /* Most recently used cache entry */
  CacheEntry *pLru;         /* Least recently used cache entry */
  int nCache;               /* Entries in the cache */
  int64_t nHit;             /* Cache hits */
  int64_t nMiss;            /* Cache misses */
  double rDeadline;         /* host_time() past which statements are interrupted; 0: none */
  double rCapMs;            /* sqlw_set_statement_cap's cap, or -1 */
  double rNoticeAt;         /* host_time() past which host_busy is called; 0: none */
  int bNoticed;             /* host_busy was called for the current request */
  int nTag;                 /* Bytes in aTag */
  unsigned char aTag[SQLW_BUSY_TAG_MAX]; /* The tag host_busy reports */
  int bOwn;                 /* The statement being prepared is the core's own */
  int eDurability;          /* sqlw_set_durability's mode, or -1 before any */
  const char *zDeny;        /* Why the authorizer last refused (static), or NULL */
};

/* The state of one request while it runs. */
typedef struct Req {
  sqlw_db *pDb;             /* The connection */
  int rc;                   /* Outcome so far */
  char *zMsg;               /* Error message (sqlite3_malloc'd), or NULL */
  int iErrOff;              /* Error offset in the SQL, or -1 */
  int64_t nChange;          /* Rows changed so far */
  uint32_t nStmt;           /* Statements completed */
  uint32_t nSet;            /* Result sets written */
} Req;

int sqlw_format_version(void){
  return SQLW_FORMAT_VERSION;
}

/* Records rc and a copy of zMsg (may be NULL) as the connection's last failure. */
static void engineSetError(sqlw_db *pDb, int rc, const char *zMsg, int iOff){
  sqlite3_free(pDb->zErr);
  pDb->rc = rc;
  pDb->zErr = (rc && zMsg) ? sqlite3_mprintf("%s", zMsg) : 0;
  pDb->iErrOff = rc ? iOff : -1;
}

/* Starts a request on pDb: an empty result buffer, nothing counted. */
static void reqBegin(Req *r, sqlw_db *pDb){
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
static void reqFail(Req *r, int rc, const char *zMsg, int iErrOff){
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
static void reqFailDb(Req *r, int rc, int iErrOff){
  reqFail(r, rc, sqlite3_errmsg(r->pDb->db), iErrOff);
}

/* Completes the request: writes the result buffer and records the outcome on the
** connection. Returns the result code. */
static int reqFinish(Req *r){
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
  engineSetError(pDb, rc, zMsg, r->iErrOff);
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

/* Refuses a SQL text with a NUL byte inside: SQLite would stop reading there and
** silently ignore the rest. Returns SQLITE_OK, or fails r with SQLITE_MISUSE. */
static int engineCheckText(Req *r, const char *zSql, size_t nSql){
  const char *zNul = nSql ? memchr(zSql, 0, nSql) : 0;
  if( zNul ){
    int iOff = (int)(zNul-zSql);
    char *z = sqlite3_mprintf("the SQL text holds a NUL character at byte %d", iOff);
    reqFail(r, SQLITE_MISUSE, z ? z : "the SQL text holds a NUL character", iOff);
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
  sqlite3_free(e);
  pDb->nCache--;
}

/* Empties the cache. */
static void cacheClear(sqlw_db *pDb){
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

/*
** Prepares the first statement of zSql[0..nSql). When bWhole, the text is first looked
** up in the cache, and a text that holds exactly one statement is cached after
** preparing. Sets *ppStmt (NULL for a text of only comments/whitespace), *pzTail to
** where the next statement starts, and *pbCached. Returns SQLite's code.
*/
static int enginePrepare(sqlw_db *pDb, const char *zSql, size_t nSql, int bWhole,
                         sqlite3_stmt **ppStmt, const char **pzTail, int *pbCached){
  uint32_t h = 0;
  int rc;
  *pbCached = 0;
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
        return SQLITE_OK;
      }
    }
  }
  if( nSql>(size_t)0x7ffffffe ) return SQLITE_TOOBIG;
  rc = sqlite3_prepare_v3(pDb->db, zSql, (int)nSql, bWhole ? SQLITE_PREPARE_PERSISTENT : 0,
                          ppStmt, pzTail);
  if( rc==SQLITE_OK && *ppStmt && bWhole ){
    pDb->nMiss++;
    if( engineIsBlank(*pzTail, nSql-(size_t)(*pzTail-zSql)) ){
      *pbCached = cacheInsert(pDb, zSql, nSql, h, *ppStmt);
    }
  }
  return rc;
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
static int engineStep(Req *r, sqlite3_stmt *pStmt, size_t *piSet, uint32_t *pnRow){
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
      reqFail(r, SQLITE_NOMEM, "out of memory: the result is too large", -1);
      return SQLITE_NOMEM;
    }
  }
  if( nCol>0 ) sqlwResultSetEnd(&pDb->out, *piSet, *pnRow);
  if( rc!=SQLITE_DONE ){
    reqFailDb(r, rc, sqlite3_error_offset(pDb->db));
    return rc;
  }
  if( sqlite3_total_changes64(pDb->db)!=nBefore ) r->nChange += sqlite3_changes64(pDb->db);
  r->nStmt++;
  return SQLITE_OK;
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
      reqFail(r, SQLITE_RANGE, z ? z : "unknown parameter name", -1);
      sqlite3_free(z);
      return SQLITE_RANGE;
    }
    i += 4+n;
  }
  return SQLITE_OK;
}

/* Fails r with a message made by sqlite3_mprintf (consumed; NULL means NOMEM). */
static void reqFailOwned(Req *r, int rc, char *zMsg){
  if( zMsg==0 ){
    reqFail(r, SQLITE_NOMEM, 0, -1);
  }else{
    reqFail(r, rc, zMsg, -1);
    sqlite3_free(zMsg);
  }
}

/* Checks that pDb can take a request; fails r if it cannot. */
static int engineUsable(Req *r){
  if( r->pDb->db==0 ){
    reqFail(r, SQLITE_MISUSE, "the database is not open", -1);
    return 0;
  }
  return 1;
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
  reqBegin(&r, pDb);
  if( !engineUsable(&r) ) return reqFinish(&r);
  rc = sqlwParamsOpen(&par, aParam, nParam, &zErr);
  if( rc ){
    reqFail(&r, rc, zErr, -1);
    return reqFinish(&r);
  }
  if( par.nSet!=1 ){
    reqFail(&r, SQLITE_MISUSE, "exec takes exactly one parameter set", -1);
    return reqFinish(&r);
  }
  if( engineCheckText(&r, zSql, nSql) ) return reqFinish(&r);
  aUsed = sqlite3_malloc64(par.nName+1);
  if( aUsed==0 ){
    reqFail(&r, SQLITE_NOMEM, 0, -1);
    return reqFinish(&r);
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

    rc = enginePrepare(pDb, zSql+off, nSql-off, off==0, &pStmt, &zTail, &bCached);
    if( rc ){
      int iOff = sqlite3_error_offset(pDb->db);
      reqFailDb(&r, rc, iOff>=0 ? iOff+(int)off : -1);
      break;
    }
    if( pStmt==0 ){              /* only comments or whitespace were left */
      off = (size_t)(zTail-zSql);
      continue;
    }
    off = (size_t)(zTail-zSql);
    bLast = engineIsBlank(zSql+off, nSql-off);

    /* Bind, checking counts and names before the statement runs. */
    if( par.nName ){
      SqlwBinding b;
      size_t iSetStart = par.iValues;
      rc = sqlwBindingInit(&b, &par, pStmt, aUsed, &zErr);
      if( rc==SQLITE_OK && bLast ) rc = engineCheckNames(&r, &par, aUsed);
      if( rc==SQLITE_OK ){
        rc = sqlwBindValues(pStmt, &par, &b, &iSetStart, &iValue, 0);
        if( rc ) reqFailDb(&r, rc, -1);
      }else if( zErr || rc==SQLITE_NOMEM ){
        reqFailOwned(&r, rc, zErr);
        zErr = 0;
      }
      sqlwBindingFree(&b);
    }else{
      uint32_t nNeed = (uint32_t)sqlite3_bind_parameter_count(pStmt);
      uint32_t nLeft = par.nValue-iValue;
      if( nNeed>nLeft || (bLast && nNeed!=nLeft) ){
        reqFailOwned(&r, SQLITE_RANGE, sqlite3_mprintf(
            "wrong number of parameter values: the SQL has %u parameter%s, %u value%s "
            "given", iValue+nNeed, iValue+nNeed==1 ? "" : "s",
            par.nValue, par.nValue==1 ? " was" : "s were"));
      }else{
        rc = sqlwBindValues(pStmt, &par, 0, &iCursor, &iValue, nNeed);
        if( rc ) reqFailDb(&r, rc, -1);
      }
    }
    if( r.rc==SQLITE_OK ) engineStep(&r, pStmt, &iSet, &nRow);
    engineRelease(pStmt, bCached);
  }

  /* Values or names left over after the last statement (a script whose last
  ** statement could not be recognised in advance, or a text with no statement). */
  if( r.rc==SQLITE_OK ){
    if( par.nName ){
      engineCheckNames(&r, &par, aUsed);
    }else if( iValue!=par.nValue ){
      reqFailOwned(&r, SQLITE_RANGE, sqlite3_mprintf(
          "wrong number of parameter values: the SQL has %u parameter%s, %u value%s "
          "given", iValue, iValue==1 ? "" : "s",
          par.nValue, par.nValue==1 ? " was" : "s were"));
    }
  }
  sqlite3_free(aUsed);
  return reqFinish(&r);
}

/* Runs zSql, a fixed statement of ours (savepoints), reporting failures into r when
** bReport. Returns SQLite's code. */
static int engineExecFixed(Req *r, const char *zSql, int bReport){
  int rc = sqlite3_exec(r->pDb->db, zSql, 0, 0, 0);
  if( rc && bReport ) reqFailDb(r, rc, -1);
  return rc;
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
  int bAutocommit;
  size_t iCursor, iSet = 0;
  uint32_t nRow = 0, iValue = 0, s;
  int rc;

  memset(&b, 0, sizeof(b));
  if( pDb==0 ) return SQLITE_MISUSE;
  reqBegin(&r, pDb);
  if( !engineUsable(&r) ) return reqFinish(&r);
  rc = sqlwParamsOpen(&par, aParam, nParam, &zErr);
  if( rc ){
    reqFail(&r, rc, zErr, -1);
    return reqFinish(&r);
  }
  if( engineCheckText(&r, zSql, nSql) ) return reqFinish(&r);
  rc = enginePrepare(pDb, zSql, nSql, 1, &pStmt, &zTail, &bCached);
  if( rc ){
    reqFailDb(&r, rc, sqlite3_error_offset(pDb->db));
    return reqFinish(&r);
  }
  if( pStmt==0 ){
    reqFail(&r, SQLITE_MISUSE, "runMany needs one SQL statement; the text has none", -1);
    return reqFinish(&r);
  }
  if( engineIsTxnControl(zSql, nSql) ){
    reqFail(&r, SQLITE_MISUSE, "runMany cannot run transaction control statements "
            "(BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT, RELEASE): it is atomic itself", 0);
    goto many_out;
  }
  if( !engineIsBlank(zTail, nSql-(size_t)(zTail-zSql)) ){
    reqFail(&r, SQLITE_MISUSE, "runMany takes exactly one SQL statement; the text "
            "has more (use exec or batch for scripts)", (int)(zTail-zSql));
    goto many_out;
  }

  if( par.nSet==0 ) goto many_out;   /* nothing to run, nothing to check */

  /* Check the binding once: every set has the same shape. */
  if( par.nName ){
    aUsed = sqlite3_malloc64(par.nName);
    if( aUsed==0 ){
      reqFail(&r, SQLITE_NOMEM, 0, -1);
      goto many_out;
    }
    memset(aUsed, 0, par.nName);
    rc = sqlwBindingInit(&b, &par, pStmt, aUsed, &zErr);
    if( rc ){
      reqFailOwned(&r, rc, zErr);
      goto many_out;
    }
    if( engineCheckNames(&r, &par, aUsed) ) goto many_out;
  }else if( (uint32_t)sqlite3_bind_parameter_count(pStmt)!=par.nValue ){
    int nNeed = sqlite3_bind_parameter_count(pStmt);
    reqFailOwned(&r, SQLITE_RANGE, sqlite3_mprintf(
        "wrong number of parameter values: the SQL has %d parameter%s, each set has %u",
        nNeed, nNeed==1 ? "" : "s", par.nValue));
    goto many_out;
  }

  bAutocommit = sqlite3_get_autocommit(pDb->db);
  if( engineExecFixed(&r, "SAVEPOINT sqlw_run_many", 1) ) goto many_out;
  iCursor = par.iValues;
  for(s=0; s<par.nSet && r.rc==SQLITE_OK; s++){
    rc = sqlwBindValues(pStmt, &par, par.nName ? &b : 0, &iCursor, &iValue, par.nValue);
    if( rc ){
      reqFailDb(&r, rc, -1);
      break;
    }
    if( engineStep(&r, pStmt, &iSet, &nRow) ) break;
    sqlite3_reset(pStmt);
  }
  sqlite3_reset(pStmt);
  if( r.rc==SQLITE_OK ) engineExecFixed(&r, "RELEASE sqlw_run_many", 1);
  if( r.rc!=SQLITE_OK ){
    /* Undo every set. After an I/O error SQLite may already have rolled the whole
    ** transaction back, so the savepoint can be gone: then end any transaction this
    ** call started. */
    if( engineExecFixed(&r, "ROLLBACK TO sqlw_run_many", 0)==SQLITE_OK ){
      engineExecFixed(&r, "RELEASE sqlw_run_many", 0);
    }
    if( bAutocommit && !sqlite3_get_autocommit(pDb->db) ){
      engineExecFixed(&r, "ROLLBACK", 0);
    }
    r.nChange = 0;
  }

many_out:
  sqlwBindingFree(&b);
  sqlite3_free(aUsed);
  engineRelease(pStmt, bCached);
  return reqFinish(&r);
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
  reqBegin(&r, pDb);
  reqFail(&r, rc, zMsg, -1);
  rc = reqFinish(&r);
  batchAppend(pList, &pDb->out);
  return rc;
}

int sqlw_batch(sqlw_db *pDb, const unsigned char *a, size_t n){
  SqlwBuf list;
  const char *zWhy = 0;
  uint32_t nItem = 0, i;
  int64_t iFail = -1;
  int rc, bAutocommit;
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
    reqBegin(&r, pDb);
    rc = reqFinish(&r);
    goto batch_out;
  }

  bAutocommit = sqlite3_get_autocommit(pDb->db);
  rc = sqlite3_exec(pDb->db, "SAVEPOINT sqlw_batch", 0, 0, 0);
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
    rc = sqlite3_exec(pDb->db, "RELEASE sqlw_batch", 0, 0, 0);
    if( rc ){
      rc = batchFail(pDb, &list, rc, sqlite3_errmsg(pDb->db));
      iFail = nItem-1;
    }
  }
  if( rc!=SQLITE_OK ){
    if( sqlite3_exec(pDb->db, "ROLLBACK TO sqlw_batch", 0, 0, 0)==SQLITE_OK ){
      sqlite3_exec(pDb->db, "RELEASE sqlw_batch", 0, 0, 0);
    }
    if( bAutocommit && !sqlite3_get_autocommit(pDb->db) ){
      sqlite3_exec(pDb->db, "ROLLBACK", 0, 0, 0);
    }
  }

batch_out:
  if( list.bOom ){
    int rcList = list.bOom==2 ? SQLITE_TOOBIG : SQLITE_NOMEM;
    const char *zList = rcList==SQLITE_TOOBIG ? SQLW_TOOBIG_MSG : "out of memory";
    sqlwBufFree(&list);
    engineSetError(pDb, rcList, zList, -1);
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
  if( rc==SQLITE_OK ) engineSetError(pDb, SQLITE_OK, 0, -1);
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
    engineSetError(pDb, SQLITE_NOMEM, "out of memory", -1);
    return SQLITE_NOMEM;
  }
  sqlwResultBegin(&pDb->out);
  if( flags==0 ) flags = SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE;
  rc = sqlite3_open_v2(zPath ? zPath : "", &pDb->db, flags|SQLITE_OPEN_EXRESCODE,
                       zVfs ? zVfs : "host");
  if( rc ){
    engineSetError(pDb, rc, pDb->db ? sqlite3_errmsg(pDb->db) : sqlite3_errstr(rc), -1);
    sqlite3_close_v2(pDb->db);
    pDb->db = 0;
    return rc;
  }
  sqlite3_extended_result_codes(pDb->db, 1);
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
  cacheClear(pDb);
  if( pDb->db ) rc = sqlite3_close_v2(pDb->db);
  sqlwBufFree(&pDb->out);
  sqlite3_free(pDb->zErr);
  sqlite3_free(pDb);
  return rc;
}

/* Returns the main database's page count, or -1 on failure (recorded on pDb). */
static int64_t enginePageCount(sqlw_db *pDb){
  sqlite3_stmt *pStmt = 0;
  int64_t n = -1;
  int rc = sqlite3_prepare_v2(pDb->db, "PRAGMA main.page_count", -1, &pStmt, 0);
  if( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ) n = sqlite3_column_int64(pStmt, 0);
  if( n<0 ) engineSetError(pDb, sqlite3_errcode(pDb->db), sqlite3_errmsg(pDb->db), -1);
  sqlite3_finalize(pStmt);
  return n;
}

/* Serializes an empty database with pDb's page size: SQLite writes no page until the
** first change, but an export must be a file that opens as a database. Returns a
** sqlite3_malloc'd image and its size in *pn, or NULL. */
static unsigned char *engineEmptyImage(sqlw_db *pDb, int64_t *pn){
  sqlite3 *db = 0;
  unsigned char *a = 0;
  sqlite3_stmt *pStmt = 0;
  int szPage = 4096;
  char *zSql;
  if( sqlite3_prepare_v2(pDb->db, "PRAGMA main.page_size", -1, &pStmt, 0)==SQLITE_OK
   && sqlite3_step(pStmt)==SQLITE_ROW ){
    szPage = sqlite3_column_int(pStmt, 0);
  }
  sqlite3_finalize(pStmt);
  zSql = sqlite3_mprintf("PRAGMA page_size=%d; CREATE TABLE x(a); DROP TABLE x;", szPage);
  if( zSql
   && sqlite3_open_v2("sqlw-empty", &db, SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE,
                      "memdb")==SQLITE_OK
   && sqlite3_exec(db, zSql, 0, 0, 0)==SQLITE_OK ){
    sqlite3_int64 n = 0;
    a = sqlite3_serialize(db, "main", &n, 0);
    *pn = n;
  }
  if( a==0 ) engineSetError(pDb, SQLITE_NOMEM, "out of memory", -1);
  sqlite3_free(zSql);
  sqlite3_close_v2(db);
  return a;
}

unsigned char *sqlw_export(sqlw_db *pDb, int64_t *pnByte){
  unsigned char *a;
  sqlite3_int64 n = 0;
  int64_t nPage;
  *pnByte = 0;
  if( pDb==0 ) return 0;
  if( pDb->db==0 ){
    engineSetError(pDb, SQLITE_MISUSE, "the database is not open", -1);
    return 0;
  }
  nPage = enginePageCount(pDb);
  if( nPage<0 ) return 0;
  if( nPage==0 ){
    a = engineEmptyImage(pDb, pnByte);
  }else{
    a = sqlite3_serialize(pDb->db, "main", &n, 0);
    if( a==0 ){
      int rc = sqlite3_errcode(pDb->db);
      engineSetError(pDb, rc ? rc : SQLITE_NOMEM,
                     rc ? sqlite3_errmsg(pDb->db) : "out of memory", -1);
      return 0;
    }
    *pnByte = n;
  }
  if( a && *pnByte>=20 ){
    /* A standalone file: a WAL-mode header would make readers look for a -wal file. */
    if( a[18]==2 ) a[18] = 1;
    if( a[19]==2 ) a[19] = 1;
  }
  if( a ) engineSetError(pDb, SQLITE_OK, 0, -1);
  return a;
}

/*
** Checks the 100-byte header of a database image a[0..n) against the file format.
** Returns NULL if it is plausible, else a static message saying why it is not.
*/
static const char *engineCheckHeader(const unsigned char *a, size_t n){
  uint32_t szPage;
  if( n==0 ) return "the image is empty";
  if( n<512 || memcmp(a, "SQLite format 3", 16)!=0 ){
    return "the image does not start with the SQLite file header";
  }
  szPage = (uint32_t)a[16]<<8 | a[17];
  if( szPage==1 ) szPage = 65536;
  if( szPage<512 || szPage>65536 || (szPage & (szPage-1))!=0 ){
    return "the image's page size is invalid";
  }
  if( n%szPage!=0 ) return "the image's size is not a whole number of pages";
  if( a[18]<1 || a[18]>2 || a[19]<1 || a[19]>2 ){
    return "the image's file format version is unknown";
  }
  if( a[21]!=64 || a[22]!=32 || a[23]!=32 || a[20]>szPage-480 ){
    return "the image's header fields are invalid";
  }
  if( a[56]!=0 || a[57]!=0 || a[58]!=0 || a[59]>1 ){
    /* The core is UTF-8 only (SQLITE_OMIT_UTF16); a UTF-16 database would load but
    ** break the connection that imports it. */
    return "the image's text encoding is not UTF-8 (UTF-16 databases are not supported)";
  }
  return 0;
}

static int engineProgress(void *pArg);

/*
** Finishes loading an image into connection db (rc: how the load went so far) and runs
** PRAGMA integrity_check on it, under pDb's deadline. Returns SQLITE_OK, or an error
** recorded in r: whatever stops the image from loading or checking is the image's
** defect (SQLITE_CORRUPT, SQLITE_NOTADB), except running out of memory.
*/
static int engineCheckImage(Req *r, sqlite3 *db, int rc){
  sqlite3_stmt *pStmt = 0;
  if( rc==SQLITE_OK && r->pDb->rDeadline>0 ){
    sqlite3_progress_handler(db, SQLW_PROGRESS_OPS, engineProgress, r->pDb);
  }
  if( rc==SQLITE_OK ){
    rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &pStmt, 0);
  }
  if( rc==SQLITE_OK ){
    rc = sqlite3_step(pStmt);
    if( rc==SQLITE_ROW ){
      const char *z = (const char*)sqlite3_column_text(pStmt, 0);
      if( z && strcmp(z, "ok")==0 ){
        rc = SQLITE_OK;
      }else{
        char *zMsg = sqlite3_mprintf("the image is not a sound SQLite database "
                                     "(integrity check: %s)", z ? z : "no answer");
        reqFailOwned(r, SQLITE_CORRUPT, zMsg);
        rc = SQLITE_CORRUPT;
      }
    }else if( rc==SQLITE_DONE ){
      rc = SQLITE_OK;
    }
  }
  if( rc && (rc & 0xff)==SQLITE_INTERRUPT && r->rc==SQLITE_OK ){
    reqFail(r, SQLITE_INTERRUPT, "interrupted", -1);
  }
  if( rc && r->rc==SQLITE_OK ){
    char *zMsg = sqlite3_mprintf("the image is not a sound SQLite database (%s)",
                                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    /* A malformed schema (SQLITE_ERROR, say) is a defect of the image too. */
    int rcImg = (rc & 0xff)==SQLITE_NOMEM ? SQLITE_NOMEM :
                (rc & 0xff)==SQLITE_NOTADB ? SQLITE_NOTADB : SQLITE_CORRUPT;
    reqFailOwned(r, rcImg, zMsg);
  }
  sqlite3_finalize(pStmt);
  if( db ) sqlite3_progress_handler(db, 0, 0, 0);
  return rc;
}

/*
** Loads the image into a private memory database and runs PRAGMA integrity_check on it.
** Returns SQLITE_OK with the loaded connection in *pdb (caller closes it), or an error
** recorded in r (and *pdb NULL).
*/
static int engineLoadChecked(Req *r, const unsigned char *a, size_t n, sqlite3 **pdb){
  sqlite3 *db = 0;
  unsigned char *aCopy;
  int rc;
  *pdb = 0;
  aCopy = sqlite3_malloc64(n);
  if( aCopy==0 ){
    reqFail(r, SQLITE_NOMEM, 0, -1);
    return SQLITE_NOMEM;
  }
  memcpy(aCopy, a, n);
  aCopy[18] = aCopy[19] = 1;     /* memdb has no WAL: read it as a rollback database */
  rc = sqlite3_open_v2("sqlw-import", &db, SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE
                       |SQLITE_OPEN_EXRESCODE|SQLITE_OPEN_URI, "memdb");
  if( rc==SQLITE_OK ){
    rc = sqlite3_deserialize(db, "main", aCopy, (sqlite3_int64)n, (sqlite3_int64)n,
                             SQLITE_DESERIALIZE_FREEONCLOSE|SQLITE_DESERIALIZE_RESIZEABLE);
    aCopy = 0;                   /* owned by db now, even on failure */
  }
  sqlite3_free(aCopy);
  rc = engineCheckImage(r, db, rc);
  if( rc ){
    sqlite3_close_v2(db);
    return rc;
  }
  *pdb = db;
  return SQLITE_OK;
}

/* True if the main database of db lives on SQLite's memdb VFS. */
static int engineIsMemdb(sqlite3 *db){
  sqlite3_vfs *pVfs = 0;
  sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &pVfs);
  return pVfs && strcmp(pVfs->zName, "memdb")==0;
}

/* Appends z to pOut as URI text: bytes other than letters, digits and -._~/ as %XX. */
static void engineUriText(sqlite3_str *pOut, const char *z){
  static const char zHex[] = "0123456789ABCDEF";
  for(; *z; z++){
    unsigned char c = (unsigned char)*z;
    if( (c>='a' && c<='z') || (c>='A' && c<='Z') || (c>='0' && c<='9') || strchr("-._~/", c) ){
      sqlite3_str_appendchar(pOut, 1, (char)c);
    }else{
      sqlite3_str_appendchar(pOut, 1, '%');
      sqlite3_str_appendchar(pOut, 1, zHex[c>>4]);
      sqlite3_str_appendchar(pOut, 1, zHex[c&15]);
    }
  }
}

/* The SQL that copies a connection's main database into file zPath of VFS zVfs at page
** size szPage (a URI names the VFS: the source may be on another one). The connection
** must have been opened with SQLITE_OPEN_URI. sqlite3_malloc'd, or NULL. */
static char *engineVacuumInto(int szPage, const char *zPath, const char *zVfs){
  sqlite3_str *pUri = sqlite3_str_new(0);
  char *zUri, *zSql;
  sqlite3_str_appendall(pUri, "file:");
  engineUriText(pUri, zPath);
  sqlite3_str_appendall(pUri, "?vfs=");
  engineUriText(pUri, zVfs);
  zUri = sqlite3_str_finish(pUri);
  zSql = zUri ? sqlite3_mprintf("PRAGMA main.page_size=%d; VACUUM INTO %Q", szPage, zUri) : 0;
  sqlite3_free(zUri);
  return zSql;
}

/* The page size of db's main database, or 0 when it cannot be read. */
static int enginePageSize(sqlite3 *db){
  sqlite3_stmt *pStmt = 0;
  int sz = 0;
  if( sqlite3_prepare_v2(db, "PRAGMA main.page_size", -1, &pStmt, 0)==SQLITE_OK
   && sqlite3_step(pStmt)==SQLITE_ROW ){
    sz = sqlite3_column_int(pStmt, 0);
  }
  sqlite3_finalize(pStmt);
  return sz;
}

/* The name of the copy of staged image zPath rebuilt at another page size. */
static char *engineResizedPath(const char *zPath){
  return sqlite3_mprintf("%s-resized", zPath);
}

/* Deletes zPath on pVfs if it exists. Returns SQLite's code. */
static int engineDeleteIfAny(sqlite3_vfs *pVfs, const char *zPath){
  int bExists = 0;
  int rc = pVfs->xAccess(pVfs, zPath, SQLITE_ACCESS_EXISTS, &bExists);
  if( rc==SQLITE_OK && bExists ) rc = pVfs->xDelete(pVfs, zPath, 0);
  return rc==SQLITE_IOERR_DELETE_NOENT ? SQLITE_OK : rc;
}

/*
** Gives the image in *pdbSrc the page size of pDb's database when they differ: a WAL
** database cannot change its page size, not even through a backup, so the image comes
** to the database's. (A memory database takes the image's own: engineReplace.) The
** image is copied page by page by VACUUM INTO zResized on pVfs (the database's VFS:
** VACUUM on a memdb image keeps its page size), which then replaces *pdbSrc, read-only:
** no further copy of it is held in memory. Returns SQLITE_OK, or an error recorded in r.
*/
static int engineMatchPageSize(Req *r, sqlw_db *pDb, sqlite3 **pdbSrc, sqlite3_vfs *pVfs,
                               const char *zResized){
  int szDst, szSrc, rc;
  char *zSql;
  if( engineIsMemdb(pDb->db) ) return SQLITE_OK;
  szDst = enginePageSize(pDb->db);
  szSrc = enginePageSize(*pdbSrc);
  if( szDst==0 || szSrc==0 || szDst==szSrc ) return SQLITE_OK;
  rc = engineDeleteIfAny(pVfs, zResized);
  zSql = engineVacuumInto(szDst, zResized, pVfs->zName);
  if( rc==SQLITE_OK ) rc = zSql ? SQLITE_OK : SQLITE_NOMEM;
  if( rc==SQLITE_OK && r->pDb->rDeadline>0 ){
    sqlite3_progress_handler(*pdbSrc, SQLW_PROGRESS_OPS, engineProgress, r->pDb);
  }
  if( rc==SQLITE_OK ) rc = sqlite3_exec(*pdbSrc, zSql, 0, 0, 0);
  sqlite3_progress_handler(*pdbSrc, 0, 0, 0);
  sqlite3_free(zSql);
  if( rc==SQLITE_OK ){
    sqlite3_close_v2(*pdbSrc);
    *pdbSrc = 0;
    rc = sqlite3_open_v2(zResized, pdbSrc, SQLITE_OPEN_READONLY|SQLITE_OPEN_EXRESCODE, pVfs->zName);
  }
  if( rc ){
    char *zMsg = sqlite3_mprintf("cannot bring the image's %d-byte pages to the database's %d "
                                 "(%s)", szSrc, szDst, *pdbSrc ? sqlite3_errmsg(*pdbSrc)
                                                                : sqlite3_errstr(rc));
    reqFailOwned(r, (rc & 0xff)==SQLITE_INTERRUPT ? SQLITE_INTERRUPT : rc, zMsg);
  }
  return rc;
}

/*
** Replaces pDb's main database with dbSrc's, copied page by page inside one write
** transaction of the destination: either the whole image lands or, on any error, the
** old database stays as it was. The copy holds no more than SQLite's page cache in
** memory (WAL: pages spill into the log before the commit).
*/
static void engineReplace(Req *r, sqlw_db *pDb, sqlite3 *dbSrc){
  sqlite3_backup *pBackup;
  int rc;
  cacheClear(pDb);
  pBackup = sqlite3_backup_init(pDb->db, "main", dbSrc, "main");
  if( pBackup==0 ){
    reqFailDb(r, sqlite3_extended_errcode(pDb->db), -1);
    return;
  }
  rc = sqlite3_backup_step(pBackup, -1);
  sqlite3_backup_finish(pBackup);
  if( rc==SQLITE_READONLY && engineIsMemdb(pDb->db) ){
    /* An in-memory destination cannot change its page size through a backup;
    ** there is no journal to protect, so load the image directly instead. */
    sqlite3_int64 nImg = 0;
    unsigned char *aImg = sqlite3_serialize(dbSrc, "main", &nImg, 0);
    rc = aImg ? sqlite3_deserialize(pDb->db, "main", aImg, nImg, nImg,
                   SQLITE_DESERIALIZE_FREEONCLOSE|SQLITE_DESERIALIZE_RESIZEABLE)
              : SQLITE_NOMEM;
  }
  if( rc!=SQLITE_DONE && rc!=SQLITE_OK ) reqFailDb(r, rc, -1);
}

/* Begins an import request: the connection is usable and outside a transaction. */
static int engineImportBegin(Req *r, sqlw_db *pDb){
  reqBegin(r, pDb);
  if( !engineUsable(r) ) return 0;
  if( !sqlite3_get_autocommit(pDb->db) ){
    reqFail(r, SQLITE_BUSY, "cannot import while a transaction is open", -1);
    return 0;
  }
  return 1;
}

static int engineStageOpen(sqlite3_vfs*, const char*, int, sqlite3_file**, sqlite3_filename*);
static void engineStageClose(sqlite3_file*, sqlite3_filename);

/*
** sqlw_import's path for an image (checked, loaded in *pdbSrc) whose page size is not
** that of pDb's database on storage: VACUUM cannot change a memdb image's page size, so
** the image is written to a file beside the database ("<db>.import-whole"), copied from
** there at the database's page size (engineMatchPageSize), and copied in. Both files
** are removed after. Failures are recorded in r.
*/
static void engineImportResized(Req *r, sqlw_db *pDb, const unsigned char *a, size_t n,
                                sqlite3 **pdbSrc){
  sqlite3_vfs *pVfs = 0;
  sqlite3_file *pFile = 0;
  sqlite3_filename zName = 0;
  const char *zDb = sqlite3_db_filename(pDb->db, "main");
  char *zWhole = sqlite3_mprintf("%s.import-whole", zDb ? zDb : "");
  char *zResized = zWhole ? engineResizedPath(zWhole) : 0;
  int rc = zResized ? SQLITE_OK : SQLITE_NOMEM;
  sqlite3_file_control(pDb->db, "main", SQLITE_FCNTL_VFS_POINTER, &pVfs);
  if( rc==SQLITE_OK && pVfs==0 ) rc = SQLITE_MISUSE;
  if( rc==SQLITE_OK ) rc = engineStageOpen(pVfs, zWhole, 1, &pFile, &zName);
  if( rc==SQLITE_OK ) rc = pFile->pMethods->xTruncate(pFile, 0);
  if( rc==SQLITE_OK ){
    /* In pieces (xWrite takes an int); a standalone file: no WAL-mode header. */
    static const unsigned char aOne[2] = { 1, 1 };
    size_t i;
    for(i=0; rc==SQLITE_OK && i<n; i+=0x10000000){
      size_t m = n-i<0x10000000 ? n-i : 0x10000000;
      rc = pFile->pMethods->xWrite(pFile, a+i, (int)m, (sqlite3_int64)i);
    }
    if( rc==SQLITE_OK ) rc = pFile->pMethods->xWrite(pFile, aOne, 2, 18);
  }
  engineStageClose(pFile, zName);
  if( rc ){
    reqFailOwned(r, rc, sqlite3_mprintf("cannot write the image beside the database to bring "
                                        "it to the database's page size: %s", sqlite3_errstr(rc)));
  }else{
    sqlite3_close_v2(*pdbSrc);
    *pdbSrc = 0;
    rc = sqlite3_open_v2(zWhole, pdbSrc, SQLITE_OPEN_READONLY|SQLITE_OPEN_EXRESCODE
                         |SQLITE_OPEN_URI, pVfs->zName);
    if( rc ){
      reqFailOwned(r, rc, sqlite3_mprintf("cannot open the image written beside the database: "
                                          "%s", *pdbSrc ? sqlite3_errmsg(*pdbSrc) : sqlite3_errstr(rc)));
    }else if( engineMatchPageSize(r, pDb, pdbSrc, pVfs, zResized)==SQLITE_OK ){
      engineReplace(r, pDb, *pdbSrc);
    }
    sqlite3_close_v2(*pdbSrc);
    *pdbSrc = 0;
  }
  if( pVfs && zWhole ) engineDeleteIfAny(pVfs, zWhole);
  if( pVfs && zResized ) engineDeleteIfAny(pVfs, zResized);
  sqlite3_free(zWhole);
  sqlite3_free(zResized);
}

int sqlw_import(sqlw_db *pDb, const unsigned char *a, size_t n){
  Req r;
  sqlite3 *dbSrc = 0;
  const char *zWhy;

  if( pDb==0 ) return SQLITE_MISUSE;
  if( !engineImportBegin(&r, pDb) ) return reqFinish(&r);
  zWhy = engineCheckHeader(a, n);
  if( zWhy ){
    reqFailOwned(&r, SQLITE_NOTADB, sqlite3_mprintf("not a SQLite database: %s", zWhy));
    return reqFinish(&r);
  }
  if( engineLoadChecked(&r, a, n, &dbSrc) ) return reqFinish(&r);
  if( !engineIsMemdb(pDb->db) && enginePageSize(dbSrc)!=enginePageSize(pDb->db) ){
    engineImportResized(&r, pDb, a, n, &dbSrc);
  }else{
    engineReplace(&r, pDb, dbSrc);
  }
  sqlite3_close_v2(dbSrc);
  return reqFinish(&r);
}

/* ---- Staged imports ----------------------------------------------------------------
** A streamed import writes the image, piece by piece, into a staging file beside the
** database (same VFS), so no step holds more of it than one piece; the file is then
** checked and copied in (sqlw_import_file). The file is opened for each step: it is
** state on storage, not in this connection, so a new leader goes on with it. */

/* The VFS of pDb's main database, or NULL (recorded in r) for a memory database. */
static sqlite3_vfs *engineStageVfs(Req *r, sqlw_db *pDb){
  sqlite3_vfs *pVfs = 0;
  sqlite3_file_control(pDb->db, "main", SQLITE_FCNTL_VFS_POINTER, &pVfs);
  if( pVfs==0 || engineIsMemdb(pDb->db) ){
    reqFail(r, SQLITE_MISUSE, "a memory database imports an image whole, not staged", -1);
    return 0;
  }
  return pVfs;
}

/* Opens the staging file zPath (creating it with bCreate) into *ppFile (free it with
** engineStageClose). Returns SQLite's code. */
static int engineStageOpen(sqlite3_vfs *pVfs, const char *zPath, int bCreate,
                           sqlite3_file **ppFile, sqlite3_filename *pzName){
  sqlite3_file *pFile;
  sqlite3_filename zName;
  int rc;
  *ppFile = 0;
  *pzName = 0;
  zName = sqlite3_create_filename(zPath, "", "", 0, 0);
  pFile = sqlite3_malloc(pVfs->szOsFile);
  if( zName==0 || pFile==0 ){
    sqlite3_free_filename(zName);
    sqlite3_free(pFile);
    return SQLITE_NOMEM;
  }
  memset(pFile, 0, pVfs->szOsFile);
  rc = pVfs->xOpen(pVfs, zName, pFile, SQLITE_OPEN_MAIN_DB|SQLITE_OPEN_READWRITE
                   |(bCreate ? SQLITE_OPEN_CREATE : 0), 0);
  if( rc ){
    if( pFile->pMethods ) pFile->pMethods->xClose(pFile);
    sqlite3_free(pFile);
    sqlite3_free_filename(zName);
    return rc;
  }
  *ppFile = pFile;
  *pzName = zName;
  return SQLITE_OK;
}

static void engineStageClose(sqlite3_file *pFile, sqlite3_filename zName){
  if( pFile ){
    if( pFile->pMethods ) pFile->pMethods->xClose(pFile);
    sqlite3_free(pFile);
  }
  sqlite3_free_filename(zName);
}

/* The message of a staging failure with code rc. */
static void engineStageFail(Req *r, int rc, const char *zWhat){
  if( (rc & 0xff)==SQLITE_CANTOPEN ){
    reqFail(r, SQLITE_ABORT, "the import's staged bytes are gone (another tab's import "
            "replaced them, or its tab was taken for gone): import again", -1);
  }else{
    reqFailOwned(r, rc, sqlite3_mprintf("cannot %s the import's staging file: %s",
                                        zWhat, sqlite3_errstr(rc)));
  }
}

int sqlw_stage_write(sqlw_db *pDb, const char *zPath, int64_t iOff,
                     const unsigned char *a, size_t n){
  Req r;
  sqlite3_vfs *pVfs;
  sqlite3_file *pFile = 0;
  sqlite3_filename zName = 0;
  int rc;
  if( pDb==0 ) return SQLITE_MISUSE;
  reqBegin(&r, pDb);
  if( !engineUsable(&r) || (pVfs = engineStageVfs(&r, pDb))==0 ) return reqFinish(&r);
  if( iOff<0 || n>0x40000000 ){
    reqFail(&r, SQLITE_MISUSE, "a staged piece's offset or size is out of range", -1);
    return reqFinish(&r);
  }
  /* The first piece begins the file (a stale one is cut back); a later piece goes
  ** only where the first one began it. */
  rc = engineStageOpen(pVfs, zPath, iOff==0, &pFile, &zName);
  if( rc==SQLITE_OK && iOff==0 ) rc = pFile->pMethods->xTruncate(pFile, 0);
  if( rc==SQLITE_OK && n>0 ) rc = pFile->pMethods->xWrite(pFile, a, (int)n, iOff);
  engineStageClose(pFile, zName);
  if( rc ) engineStageFail(&r, rc, "write");
  return reqFinish(&r);
}

int sqlw_stage_delete(sqlw_db *pDb, const char *zPath){
  Req r;
  sqlite3_vfs *pVfs = 0;
  int rc;
  if( pDb==0 ) return SQLITE_MISUSE;
  reqBegin(&r, pDb);
  if( !engineUsable(&r) ) return reqFinish(&r);
  sqlite3_file_control(pDb->db, "main", SQLITE_FCNTL_VFS_POINTER, &pVfs);
  if( pVfs==0 || engineIsMemdb(pDb->db) ) return reqFinish(&r);
  rc = engineDeleteIfAny(pVfs, zPath);
  if( rc==SQLITE_OK ){
    char *zResized = engineResizedPath(zPath);      /* a crash may have left it */
    rc = zResized ? engineDeleteIfAny(pVfs, zResized) : SQLITE_NOMEM;
    sqlite3_free(zResized);
  }
  if( rc ) engineStageFail(&r, rc, "delete");
  return reqFinish(&r);
}

int sqlw_import_file(sqlw_db *pDb, const char *zPath, int64_t nExpected){
  Req r;
  sqlite3_vfs *pVfs;
  sqlite3_file *pFile = 0;
  sqlite3_filename zName = 0;
  sqlite3 *dbSrc = 0;
  sqlite3_int64 nFile = 0;
  unsigned char aHdr[100];
  const char *zWhy = 0;
  int rc;

  if( pDb==0 ) return SQLITE_MISUSE;
  if( !engineImportBegin(&r, pDb) || (pVfs = engineStageVfs(&r, pDb))==0 ){
    return reqFinish(&r);
  }
  memset(aHdr, 0, sizeof(aHdr));
  rc = engineStageOpen(pVfs, zPath, 0, &pFile, &zName);
  if( rc==SQLITE_OK ) rc = pFile->pMethods->xFileSize(pFile, &nFile);
  if( rc==SQLITE_OK && nFile>=(sqlite3_int64)sizeof(aHdr) ){
    rc = pFile->pMethods->xRead(pFile, aHdr, (int)sizeof(aHdr), 0);
  }
  if( rc==SQLITE_OK && nFile!=nExpected ){
    zWhy = "the staged image's size is not the stream's: pieces are missing";
  }else if( rc==SQLITE_OK ){
    zWhy = engineCheckHeader(aHdr, nFile<0 ? 0 : (size_t)nFile);
  }
  if( rc==SQLITE_OK && zWhy==0 && (aHdr[18]!=1 || aHdr[19]!=1) ){
    /* A standalone file: a WAL-mode header would make SQLite look for a -wal file. */
    static const unsigned char aOne[2] = { 1, 1 };
    rc = pFile->pMethods->xWrite(pFile, aOne, 2, 18);
  }
  engineStageClose(pFile, zName);
  if( rc ){
    engineStageFail(&r, rc, "read");
    return reqFinish(&r);
  }
  if( zWhy ){
    reqFailOwned(&r, nFile==nExpected ? SQLITE_NOTADB : SQLITE_ABORT,
                 nFile==nExpected ? sqlite3_mprintf("not a SQLite database: %s", zWhy)
                                  : sqlite3_mprintf("%s", zWhy));
    return reqFinish(&r);
  }
  rc = sqlite3_open_v2(zPath, &dbSrc, SQLITE_OPEN_READONLY|SQLITE_OPEN_EXRESCODE|SQLITE_OPEN_URI,
                       pVfs->zName);
  if( engineCheckImage(&r, dbSrc, rc)==SQLITE_OK ){
    char *zResized = engineResizedPath(zPath);
    if( zResized==0 ){
      reqFail(&r, SQLITE_NOMEM, 0, -1);
    }else if( engineMatchPageSize(&r, pDb, &dbSrc, pVfs, zResized)==SQLITE_OK ){
      engineReplace(&r, pDb, dbSrc);
    }
    sqlite3_close_v2(dbSrc);
    dbSrc = 0;
    if( zResized ) engineDeleteIfAny(pVfs, zResized);
    sqlite3_free(zResized);
  }
  sqlite3_close_v2(dbSrc);
  return reqFinish(&r);
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
static int engineProgress(void *pArg){
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
    sqlite3_progress_handler(pDb->db, SQLW_PROGRESS_OPS, engineProgress, pDb);
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

int sqlw_set_durability(sqlw_db *pDb, int eMode){
  sqlite3_stmt *pStmt = 0;
  const char *zMode = 0;
  int rc;
  if( pDb==0 ) return SQLITE_MISUSE;
  if( pDb->db==0 || (eMode!=SQLW_DURABLE && eMode!=SQLW_RELAXED) ){
    engineSetError(pDb, SQLITE_MISUSE, pDb->db ? "unknown durability mode"
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
    engineSetError(pDb, SQLITE_ERROR, zMsg ? zMsg : "the database cannot use WAL", -1);
    sqlite3_free(zMsg);
    return SQLITE_ERROR;
  }
  if( rc ){
    engineSetError(pDb, rc, sqlite3_errmsg(pDb->db), -1);
  }else{
    sqlite3_wal_hook(pDb->db, engineWalHook, 0);
    pDb->eDurability = eMode;
    engineSetError(pDb, SQLITE_OK, 0, -1);
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

int64_t sqlw_stat(sqlw_db *pDb, int op){
  if( pDb==0 ) return -1;
  switch( op ){
    case SQLW_STAT_CACHE_HITS:   return pDb->nHit;
    case SQLW_STAT_CACHE_MISSES: return pDb->nMiss;
    case SQLW_STAT_CACHE_SIZE:   return pDb->nCache;
    case SQLW_STAT_AUTOCOMMIT:   return pDb->db ? sqlite3_get_autocommit(pDb->db) : 1;
    case SQLW_STAT_STACK_HIGH:   return sqlwStackHigh();
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
