/*
** engine_int.h — the engine's internals that the core's own modules use: the state of a
** connection and of a request (engine.c; its images, engine_image.c), the statement
** cache the leader's engine (coord_engine.c) prepares its bookkeeping through, and the
** savepoint helper. Not part of the public C API (sqlw.h). Every module that defines
** these includes this header, so the compiler checks each definition against it.
*/
#ifndef SQLW_ENGINE_INT_H
#define SQLW_ENGINE_INT_H

#include <stddef.h>
#include "sqlite3.h"
#include "sqlw.h"
#include "codec.h"

/* SQLite's connection behind pDb (engine.c), for the core's own bookkeeping. */
sqlite3 *sqlwHandle(sqlw_db *pDb);

/* Prepares the single statement zSql through pDb's statement cache (engine.c); release
** it with sqlwReleaseCached(pStmt, *pbCached). Returns SQLite's code. */
int sqlwPrepareCached(sqlw_db *pDb, const char *zSql, sqlite3_stmt **ppStmt, int *pbCached);
void sqlwReleaseCached(sqlite3_stmt *pStmt, int bCached);

/* Runs zSql, one of the core's own statements, through the cache with ?1 = the client id
** aClient (COORD_ID_BYTES) and, if it has a second parameter, ?2 = i. Returns SQLite's
** code (SQLITE_OK when done). */
int sqlwRunFor(sqlw_db *pDb, const char *zSql, const unsigned char *aClient, sqlite3_int64 i);

/* Records zWhy (a static string) as the reason of the authorizer's refusal being made:
** the request's error message says it after "not authorized: ". Cleared when a request
** begins. */
void sqlwDenyReason(sqlw_db *pDb, const char *zWhy);

/* The durability mode pDb was given (SQLW_DURABLE, SQLW_RELAXED), or -1 when none was
** (a memory database). */
int sqlwDurability(sqlw_db *pDb);

/* True when zSql[0..nSql) is one statement best run outside a request's savepoint: a
** read (re-running it is harmless: it needs no record), and, with no transaction open,
** a PRAGMA (foreign_keys and others are no-ops inside a transaction) or VACUUM (refused
** inside one); never transaction control. A read inside a transaction (a lease) runs
** bare too, so it writes no bookkeeping: a streamed export reads the file's pages in
** one, and a page written meanwhile would make the copy inconsistent. Returns -1 when
** out of memory. */
int sqlwBareStatement(sqlw_db *pDb, const char *zSql, size_t nSql);

/* ---- the engine's own state (engine.c, engine_image.c) ---------------------------- */

#define SQLW_TABLES_MAX 256        /* names in a set before it means "every table" */
#define SQLW_NOTICE_WRITERS 32     /* writers a change notice names */
#define SQLW_NAMES_BYTES (64*1024) /* a notice's or live answer's names, at most (else "all") */
#define ENGINE_CACHE_BUCKETS 128   /* hash buckets of the statement cache (a power of two) */
#define SQLW_PROGRESS_OPS 1000     /* VM steps between two looks at the clock */

typedef struct CacheEntry CacheEntry;

/* A set of table names: what a statement may read or write (the authorizer saw it at
** prepare), or what a transaction's statements changed (engine_changes.c). Names are
** SQLite's own spelling of the table, any schema; compared without case. */
typedef struct SqlwTables SqlwTables;
struct SqlwTables {
  int n, nAlloc;            /* names, slots */
  char **az;                /* the names (sqlite3_malloc'd) */
  unsigned char *aFlag;     /* per name: SQLW_TABLE_READ | SQLW_TABLE_WRITE */
  int bSchema;              /* creates, drops or alters a schema object */
  int bAll;                 /* too many names (SQLW_TABLES_MAX) or out of memory: any table */
};
#define SQLW_TABLE_READ  1
#define SQLW_TABLE_WRITE 2

/* A cached statement. Linked both in a hash chain and in the LRU list. */
struct CacheEntry {
  sqlite3_stmt *pStmt;      /* The prepared statement */
  char *zSql;               /* Its SQL text, the key (sqlite3_malloc64'd) */
  size_t nSql;              /* Bytes in zSql */
  uint32_t h;               /* Hash of zSql */
  int bOwn;                 /* The core's own statement (sqlwPrepareCached), never the
                            ** user's: the same text from the user is another entry */
  SqlwTables tables;        /* What it reads and writes (the user's statements only) */
  CacheEntry *pHashNext;    /* Next entry in the same bucket */
  CacheEntry *pPrev;        /* More recently used entry, or NULL */
  CacheEntry *pNext;        /* Less recently used entry, or NULL */
};

struct Req;
struct SqlwSavepoint;

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
  int bPrivate;             /* sqlw_set_private: the engine keeps no bookkeeping */
  int bFts5;                /* FTS5 was linked into this connection (sqlwPrepareUser) */
  /* Runs a transaction statement (BEGIN, COMMIT, SAVEPOINT, ...) that sqlw_exec met at
  ** the top level of the user's SQL, instead of stepping it: coord_txn.c keeps each tab's
  ** transaction. Returns 1 when it ran it (failing r on error), 0 to step it as it is. */
  int (*xControl)(void *pCtx, sqlite3_stmt *pStmt, struct Req *r);
  void *pControlCtx;
  struct SqlwCursor *aCursor; /* SQLW_CURSORS open cursors (engine_cursor.c), or NULL */
  SqlwTables *pCollect;     /* where the authorizer notes tables now, or NULL */
  SqlwTables stmtTables;    /* the tables of the last statement prepared uncached */
  SqlwTables stepTables;    /* what a statement's re-prepare saw while it ran */
  struct SqlwChanges {      /* what commits changed (engine_changes.c) */
    SqlwTables txn;         /* the open transaction's statements changed these */
    SqlwTables done;        /* committed since the last notice was taken */
    uint64_t iEpoch;        /* the leadership the counter counts in (sqlwChangesEpoch) */
    uint32_t nCommit;       /* commits that changed something, this epoch */
    uint32_t iFirst;        /* the first of them in done; 0: done is empty */
    uint32_t nNew;          /* commits since the writer was last noted */
    int nWriter;            /* clients whose commits done holds */
    int bMoreWriters;       /* ... and more than SQLW_NOTICE_WRITERS */
    unsigned char aWriter[SQLW_NOTICE_WRITERS*16];
    int bLive;              /* the request is a live query's run (REQ_LIVE) */
    SqlwTables live;        /* ... and its statement reads these */
  } chg;
  struct SqlwTxn {          /* a tab's transaction on this connection (coord_txn.c) */
    int eState;             /* none, begun by BEGIN, or by a SAVEPOINT */
    int nSp, nSpAlloc;      /* the user's savepoints, oldest first */
    char **azSp;            /* their names (sqlite3_malloc'd; freed by sqlw_close) */
    int bArmed;             /* a user request runs: its transaction statements are ours */
    struct SqlwSavepoint *pReqSp; /* its savepoint, until a transaction statement ends it */
    int bDirty;             /* it began the transaction over writes made outside one */
  } txn;
};

/* ---- change capture (engine_changes.c) --------------------------------------------- */

/* The authorizer's report (coord_guard.c calls it for every action): notes the table in
** pDb->pCollect, if any. */
void sqlwChangesSaw(sqlw_db *pDb, int eAction, const char *z1, const char *z2);
/* Installs the commit and rollback hooks on pDb's connection (and keeps pDb with it). */
void sqlwChangesAttach(sqlw_db *pDb);
/* The sqlw_db of connection db (one of sqlw_open's), or NULL for any other. */
sqlw_db *sqlwChangesDb(sqlite3 *db);
/* The transaction open on db (a connection of sqlw_open) is being undone whole: what its
** statements changed is forgotten. */
void sqlwChangesUndone(sqlite3 *db);
/* Frees everything of pDb's change capture. */
void sqlwChangesClose(sqlw_db *pDb);
void sqlwTablesFree(SqlwTables *p);
/* Replaces *pTo with *pFrom, which is left empty. */
void sqlwTablesMove(SqlwTables *pTo, SqlwTables *pFrom);
/* Copies the names of pFrom flagged with a bit of mask into pTo (with eFlag), and its
** bSchema, bAll. */
void sqlwTablesMerge(SqlwTables *pTo, const SqlwTables *pFrom, int mask, int eFlag);
/* SQLite's schema cookie of main (PRAGMA schema_version), or -1 when it cannot be read. */
sqlite3_int64 sqlwSchemaCookie(sqlw_db *pDb);
/* A statement of the user's with tables pSet ran to its end: bRows when it changed rows,
** bSchema when it changed the schema. Notes its writes in the open transaction, or as
** committed when none is open (it committed itself). */
void sqlwChangesStatement(sqlw_db *pDb, const SqlwTables *pSet, int bRows, int bSchema);
/* The leader's side (coord_engine.c). A new leadership iEpoch: the counter starts again. */
void sqlwChangesEpoch(sqlw_db *pDb, uint64_t iEpoch);
/* The request of client aClient (COORD_ID_BYTES) ended: the commits it made are its. */
void sqlwChangesWriter(sqlw_db *pDb, const unsigned char *aClient);
/* A commit changed every table (an import). */
void sqlwChangesAll(sqlw_db *pDb);
/* Appends a CHANGES message's fields and body (docs/coord.md) for what committed since
** the last call, and empties it. Returns 1 when it wrote one, 0 when nothing committed
** (or memory ran out: pOut->bOom). */
int sqlwChangesTake(sqlw_db *pDb, SqlwBuf *pOut);
/* Appends a live query's trailer (docs/format.md, SQLW_FLAG_LIVE) to pOut: the
** leadership and commit its result includes, and the tables its statement reads. */
void sqlwChangesLiveTrailer(sqlw_db *pDb, SqlwBuf *pOut);

/* The state of one request while it runs. */
typedef struct Req Req;
struct Req {
  sqlw_db *pDb;             /* The connection */
  int rc;                   /* Outcome so far */
  char *zMsg;               /* Error message (sqlite3_malloc'd), or NULL */
  int iErrOff;              /* Error offset in the SQL, or -1 */
  int64_t nChange;          /* Rows changed so far */
  uint32_t nStmt;           /* Statements completed */
  uint32_t nSet;            /* Result sets written */
};

/* Records rc and a copy of zMsg (may be NULL) as the connection's last failure. */
void sqlwSetError(sqlw_db *pDb, int rc, const char *zMsg, int iOff);
/* Starts a request on pDb: an empty result buffer, nothing counted. */
void sqlwReqBegin(Req *r, sqlw_db *pDb);
/* Fails the request with rc and a message (zMsg is copied; NULL means SQLite's message
** for the code). Only the first failure of a request is kept. */
void sqlwReqFail(Req *r, int rc, const char *zMsg, int iErrOff);
/* Fails the request with rc and the connection's current error message. */
void sqlwReqFailDb(Req *r, int rc, int iErrOff);
/* sqlwReqFail with a message the request takes over (sqlite3_malloc'd, may be NULL). */
void sqlwReqFailOwned(Req *r, int rc, char *zMsg);
/* Fails the request (SQLITE_MISUSE) when pDb cannot run one; returns the failure or 0. */
int sqlwReqUsable(Req *r);
/* Completes the request: writes the result buffer and records the outcome on the
** connection. Returns the result code. */
int sqlwReqFinish(Req *r);
/* Empties pDb's statement cache (finalizing every statement). */
void sqlwCacheClear(sqlw_db *pDb);
/* SQLite's progress handler of a request: interrupts it past its deadline. */
int sqlwProgress(void *pArg);

/*
** A savepoint of the core's own around one unit of work (a request, a batch, a run of
** many parameter sets), so that a failure undoes the unit whole. The one helper of
** engine.c and coord_engine.c. zName: static text of at most 32 bytes.
*/
typedef struct SqlwSavepoint SqlwSavepoint;
struct SqlwSavepoint {
  sqlite3 *db;
  const char *zName;
  int bAutocommit;        /* no transaction was open when it began */
};

/* Begins savepoint zName on db. Returns SQLite's code. */
int sqlwSavepointBegin(SqlwSavepoint *p, sqlite3 *db, const char *zName);
/* Releases it, keeping its work; when the release fails, undoes it (below) and returns
** the failure's code. */
int sqlwSavepointRelease(SqlwSavepoint *p);
/* Undoes everything since it began and ends it. After an I/O error SQLite may have
** rolled the whole transaction back already; a transaction the savepoint began is
** ended either way. Never fails. */
void sqlwSavepointUndo(SqlwSavepoint *p);

/* Opens the parameters aParam[0..nParam) of a request of one set (zWho: "exec") into
** par and checks zSql's text. Returns SQLITE_OK, or fails r. */
int sqlwReqOneSet(Req *r, SqlwParams *par, const unsigned char *aParam, size_t nParam,
                  const char *zSql, size_t nSql, const char *zWho);
/* Checks that the parameters of par fit statement pStmt (for every set alike): by name
** (then *paUsed, allocated, marks the names used, and pB holds the binding), or by count.
** zEach words the count in a message ("each set has"). Returns SQLITE_OK, or fails r. */
int sqlwBindShape(Req *r, SqlwParams *par, sqlite3_stmt *pStmt, SqlwBinding *pB,
                  unsigned char **paUsed, const char *zEach);
/* The engine's statement preparation, binding and row encoding, for engine_cursor.c. */
int sqlwEngineIsTxnControl(const char *z, size_t n);
int sqlwEngineIsBlank(const char *z, size_t n);
int sqlwPrepareUser(sqlw_db *pDb, const char *zSql, int nSql, unsigned int flags,
                    sqlite3_stmt **ppStmt, const char **pzTail);

/* True if some statement of z[0..n) may be transaction control: one starting with
** BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT or RELEASE at the text's start or after any
** semicolon (in a string or a comment too: it errs on the side of yes). */
int sqlwMaybeTxnControl(const char *z, size_t n);

#endif /* SQLW_ENGINE_INT_H */
