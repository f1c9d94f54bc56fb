/*
** proto.h — every number C and JavaScript share: the kinds of requests, answers and
** multi-tab messages, what the core's machines ask their runtime to do, the counters a
** runtime reads, and the library's own result codes.
**
** This file is the only place these numbers are written. scripts/gen-proto.mjs turns it
** (and SQLite's result and type codes, from the sqlite3.h the build uses) into
** src/js/proto.js, which every JavaScript file and test imports; `make build` rewrites
** it when this file changes, and tests/node/proto.test.mjs fails when it is stale.
**
** Form, read by the generator: one `#define NAME value` per line, value a decimal or
** hex integer (u/ull suffixes allowed), `(a<<b)`, `(a|(b<<c))`, or a string literal;
** a comment on the line or the lines above says what it means. Sections begin with a
** line `** @fixed` or `** @enum`: an @enum value is a name only, and any distinct values
** would do (tests/node/proto-shift.test.mjs rebuilds everything with each of them moved
** and runs the Node suite); an @fixed value is a fact of a format or a bound (a version,
** a header's size, a sentinel), and changing it changes the format.
*/
#ifndef SQLW_PROTO_H
#define SQLW_PROTO_H

/* ---- versions ---------------------------------------------------------------------
** @fixed
*/
/* The core's buffers of docs/format.md (SQWP, SQWR, SQWB, SQWL). */
#define SQLW_FORMAT_VERSION 1
/* The multi-tab messages (SQWC) of docs/coord.md; the channels' names carry it. */
#define COORD_VERSION 5        /* 2: REQUEST carries the asker's budget; 3: errors are SQWR;
                               ** 4: the leader hears each client's requests on its own channel;
                               ** 5: live queries (REQ_LIVE) and change notices (CHANGES) */

/* ---- layouts ------------------------------------------------------------------------
** @fixed
*/
#define SQLW_MAGIC_PARAMS  "SQWP"   /* a parameter buffer */
#define SQLW_MAGIC_RESULT  "SQWR"   /* a result buffer */
#define SQLW_MAGIC_BATCH   "SQWB"   /* a batch */
#define SQLW_MAGIC_LIST    "SQWL"   /* a batch's result list */
#define SQLW_MAGIC_COORD   "SQWC"   /* a multi-tab message */
#define SQLW_PARAMS_HEADER 20       /* bytes of an SQWP before its names */
#define SQLW_RESULT_HEADER 40       /* bytes of an SQWR before its first result set */
#define SQLW_BATCH_HEADER  12       /* SQWB: magic, u16 version, u16 flags, u32 items */
#define SQLW_LIST_HEADER   20       /* SQWL: magic, version, flags, rc, failing item, items */
/* A flag of an SQWR's or SQWL's flags (byte 6): after this request the asking tab holds a
** transaction (a lease on the leader), which its next requests belong to. */
#define SQLW_FLAG_IN_TXN   1
/* A flag of an SQWR's flags: a cursor's chunk, and more rows may follow (REQ_CURSOR_NEXT). */
#define SQLW_FLAG_MORE     2
/* A flag of an SQWR's flags: a live query's answer (REQ_LIVE); the message is followed by
** the live trailer (docs/format.md): u64 epoch, u32 commit counter, u32 flags, u32 count,
** then count × (u32 n, n bytes of a table name it reads). */
#define SQLW_FLAG_LIVE     4
#define SQLW_LIVE_TRAILER  16       /* the trailer's bytes before its names */
#define SQLW_LIVE_ALL      1        /* trailer flag: its read set is unknown (any table) */
#define COORD_ID_BYTES     16       /* a client id: 16 random bytes */
#define COORD_HEADER       32       /* magic, u16 version, u16 type, u64 epoch, sender id */
/* The fields after the header (before the body) of a REQUEST, a REPLY, a LEASE_END. */
#define COORD_REQUEST_FIELDS   24   /* seq, lease, acked below, kind, 3 zero, budget, nBody */
#define COORD_REPLY_FIELDS     28   /* target id, seq, status, 3 zero, nBody */
#define COORD_LEASE_END_FIELDS 24   /* target id, lease, reason, 3 zero */
#define COORD_CHANGES_FIELDS   16   /* first commit, last commit, flags, nWriter */
/* Flags of a CHANGES message. */
#define COORD_CHANGES_SCHEMA       1  /* a schema object was made, changed or dropped */
#define COORD_CHANGES_ALL          2  /* every table may have changed (an import; too many) */
#define COORD_CHANGES_MORE_WRITERS 4  /* more tabs wrote than the message names */
/* coordDirectHead(): a REQUEST's header, then the leader's id. */
#define COORD_DIRECT_HEAD  48

/* ---- bounds and sentinels -----------------------------------------------------------
** @fixed
*/
/* The largest answer (a result buffer, a batch's result list) and the largest request
** body a page sends: 256 MiB (why: codec.h). */
#define SQLW_MAX_ANSWER (256u<<20)
/* A request's budget when its asker waits for the answer without limit. */
#define COORD_NO_BUDGET 0xffffffffu
/* REQ_IMPORT_END's size that drops the staged bytes instead of importing them. */
#define REQ_IMPORT_DISCARD 0xffffffffffffffffull
/* The longest tag of a busy notice (sqlw_set_busy_notice). */
#define SQLW_BUSY_TAG_MAX 16

/* ---- request kinds ------------------------------------------------------------------
** A page's SQWQ op and a REQUEST's kind.
** @enum
*/
#define REQ_EXEC          1    /* SQL text and parameters */
#define REQ_RUN_MANY      2    /* one statement, many parameter sets */
#define REQ_BATCH         3    /* an SQWB batch */
#define REQ_EXPORT        4    /* empty; the answer is the file (ANS_BYTES) */
#define REQ_IMPORT        5    /* a whole database image; recorded like a write */
#define REQ_CLOSE         6    /* page → its worker only: close the database */
#define REQ_BEGIN         8    /* a transaction's lease; its sequence becomes the lease id */
#define REQ_COMMIT        9    /* ends the lease, keeping its writes */
#define REQ_ROLLBACK     10    /* ends the lease, undoing its writes */
#define REQ_CANCEL       11    /* empty: withdraws the sender's request iSeq, where it waits */
#define REQ_IMPORT_PART  12    /* u64 offset, then bytes of an image, staged (not recorded) */
#define REQ_IMPORT_END   13    /* u64 the staged image's size: import it (recorded), or
                               ** REQ_IMPORT_DISCARD: drop the staged bytes */
#define REQ_CURSOR_OPEN  14    /* u32 cursor id, u32 rows per chunk, then as REQ_EXEC: one
                               ** read statement, answered a chunk at a time */
#define REQ_CURSOR_NEXT  15    /* u32 cursor id, u32 rows per chunk, u32 chunk number */
#define REQ_CURSOR_CLOSE 16    /* u32 cursor id */
#define REQ_LIVE         17    /* as REQ_EXEC, one statement that only reads: a live query's
                               ** run; its answer carries SQLW_FLAG_LIVE and the trailer */

/* ---- answer kinds (SQWA kind byte, a REPLY's answer kind) ---------------------------
** @enum
*/
#define ANS_RESULT        1    /* an SQWR */
#define ANS_LIST          2    /* an SQWL */
#define ANS_BYTES         3    /* raw bytes (an exported database) */
#define ANS_DONE          4    /* empty (a close) */
#define ANS_ERROR         5    /* an error the core did not encode: UTF-8 JSON */

/* ---- multi-tab message types (u16 at offset 6 of an SQWC) ---------------------------
** @enum
*/
#define COORD_HELLO       1    /* new client → all: who leads? */
#define COORD_ANNOUNCE    2    /* leader → all: I lead, at this epoch */
#define COORD_REQUEST     3    /* follower → leader: run this */
#define COORD_REPLY       4    /* leader → one client: the answer */
#define COORD_LEASE_END   5    /* leader → one client: your transaction ended */
#define COORD_CHANGES     6    /* leader → every page: commits changed these tables */

/* ---- REPLY statuses (and a local reply's) -------------------------------------------
** @enum
*/
#define COORD_DONE        1    /* body: the answer (an SQWA entry's kind and body) */
#define COORD_REJECTED    2    /* body: an error (docs/format.md, "Errors") */
#define COORD_NOT_LEADER  3    /* the receiver is not (or no longer) the leader */

/* ---- why a transaction's lease ended (LEASE_END, COORD_ACT_LEASE_LOST) --------------
** @enum
*/
#define COORD_LEASE_COMMITTED   1
#define COORD_LEASE_ROLLED_BACK 2
#define COORD_LEASE_IDLE        3  /* no request for transactionIdleMs: rolled back */
#define COORD_LEASE_LEADER_GONE 4  /* the leader holding it went away: rolled back */

/* ---- what the multi-tab machine asks of its runtime (coordNextAction) ---------------
** @enum
*/
#define COORD_ACT_POST_LEADER   1  /* post aData on the leader channel */
#define COORD_ACT_POST_CLIENT   2  /* post aData on client aId's channel */
#define COORD_ACT_POST_ALL      3  /* post aData on the channel every client hears */
#define COORD_ACT_ROLE          4  /* this client's role changed: bLeader, iEpoch */
#define COORD_ACT_OPEN_STORAGE  5  /* leader: open the database, then coordStorageOpened() */
#define COORD_ACT_LOCAL_REPLY   6  /* answer this tab's request iSeq: eStatus, eKind, aData */
#define COORD_ACT_WATCH_CLIENT  7  /* ask for client aId's life lock; coordClientGone() when granted */
#define COORD_ACT_TIMER         8  /* call coordTick() at iAt (ms) or later */
#define COORD_ACT_STEAL_LEADER  9  /* the leader seems frozen: ask for the leader lock with steal */
#define COORD_ACT_LEASE_LOST   10  /* this tab's transaction iSeq (its lease) was ended: eStatus
                                   ** is the reason (COORD_LEASE_IDLE…) */

/* ---- storage modes (sqlw_set_durability) --------------------------------------------
** @enum
*/
#define SQLW_DURABLE  0   /* synchronous=FULL: a commit is flushed before it returns */
#define SQLW_RELAXED  1   /* synchronous=NORMAL: a crash may lose the latest commits,
                          ** never half of one; several times faster for small writes */

/* ---- a connection's counters (sqlw_stat) --------------------------------------------
** @enum
*/
#define SQLW_STAT_CACHE_HITS    1   /* statements served from the statement cache */
#define SQLW_STAT_CACHE_MISSES  2   /* statements prepared because not cached */
#define SQLW_STAT_CACHE_SIZE    3   /* statements in the cache now */
#define SQLW_STAT_AUTOCOMMIT    4   /* 1 when no transaction is open */
#define SQLW_STAT_STACK_HIGH    5   /* most bytes of stack SQLite was seen using (wasm) */
#define SQLW_STAT_LOCAL         6   /* temp schema objects plus attached databases: state
                                    ** that lives only on this connection */

/* ---- a pool's counters (sqlw_pool_stat) ---------------------------------------------
** @enum
*/
#define SQLW_POOL_SLOTS    1   /* slots in the pool */
#define SQLW_POOL_FREE     2   /* slots holding no file */
#define SQLW_POOL_CORRUPT  3   /* slots whose header failed its checks */
#define SQLW_POOL_OPEN     4   /* files SQLite has open now */
#define SQLW_POOL_WANTED   5   /* free slots the pool asks the host to add */

/* ---- the functions of host_math (src/core/hostmath.c) ---------------------------------
** The wasm build's math library: what SQLite's math functions and FTS5's bm25() ask of
** libm, computed by the host (JavaScript's Math, and % for fmod).
** @enum
*/
#define SQLW_MATH_ACOS   1
#define SQLW_MATH_ASIN   2
#define SQLW_MATH_ATAN   3
#define SQLW_MATH_ATAN2  4   /* atan2(x, y), in C's order of arguments */
#define SQLW_MATH_ACOSH  5
#define SQLW_MATH_ASINH  6
#define SQLW_MATH_ATANH  7
#define SQLW_MATH_COS    8
#define SQLW_MATH_SIN    9
#define SQLW_MATH_TAN    10
#define SQLW_MATH_COSH   11
#define SQLW_MATH_SINH   12
#define SQLW_MATH_TANH   13
#define SQLW_MATH_EXP    14
#define SQLW_MATH_LOG    15
#define SQLW_MATH_LOG10  16
#define SQLW_MATH_LOG2   17
#define SQLW_MATH_POW    18  /* pow(x, y): x to the power y */
#define SQLW_MATH_FMOD   19  /* fmod(x, y): x - n*y, n = x/y truncated (JavaScript's %) */

/* ---- the library's own result codes --------------------------------------------------
** Extended codes of SQLITE_ERROR (1), as SQLite's own extended codes are of their
** primary code: (code & 0xff) is 1. sqlw_code_name() and the page name them.
** @enum
*/
#define SQLITE_WORKER_TIMEOUT                 (1|(64<<8))  /* no answer within timeoutMs */
#define SQLITE_WORKER_DIED                    (1|(65<<8))  /* the request's worker or leaders stopped */
#define SQLITE_WORKER_PERSISTENCE_UNAVAILABLE (1|(66<<8))  /* 'opfs' where OPFS cannot serve */
#define SQLITE_WORKER_UNAVAILABLE             (1|(67<<8))  /* no worker can start */
#define SQLITE_WORKER_LEADER_CHANGED          (1|(68<<8))  /* a transaction's leader went away */
#define SQLITE_WORKER_TRANSACTION_TIMEOUT     (1|(69<<8))  /* a transaction idle past its bound */
#define SQLITE_WORKER_RESULT_NOT_KEPT         (1|(70<<8))  /* a re-sent write's large answer */

#endif /* SQLW_PROTO_H */
