/*
** sqlw.h — the public C API of the SQLite Worker core.
**
** One connection is one opaque sqlw_db. Every request (a statement, a script, or one
** statement run for many parameter sets) takes its parameters as one encoded buffer and
** leaves its whole outcome — rows, counts, error — in one result buffer owned by the
** connection. Both layouts are documented in docs/format.md.
**
** Threading: none. A connection and everything it returns belong to one thread.
** Result codes are SQLite's, extended ones where SQLite has them.
*/
#ifndef SQLW_H
#define SQLW_H

#include <stddef.h>
#include <stdint.h>
#include "proto.h"   /* the numbers shared with JavaScript */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sqlw_db sqlw_db;

/* The version of the wire formats of docs/format.md that this core reads and writes. */
int sqlw_format_version(void);

/*
** Opens the database zPath on the VFS named zVfs ("host" for files through the host,
** "memdb" for SQLite's memory VFS; NULL for the default, "host") with SQLite's open flags
** (0 means SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE).
**
** *ppDb is set to a new connection even on failure (NULL only when memory runs out), so
** that sqlw_errmsg() can tell why; the caller closes it with sqlw_close() in either case.
** Returns SQLITE_OK or the error code of the open.
*/
int sqlw_open(const char *zPath, const char *zVfs, int flags, sqlw_db **ppDb);

/*
** Closes the connection and frees everything it owns, result buffer included.
** A NULL pDb is a no-op. Returns SQLITE_OK, or SQLite's error if the close failed (the
** handle is freed regardless).
*/
int sqlw_close(sqlw_db *pDb);

/*
** Runs zSql (nSql bytes; one statement or a script of several) with the parameters in
** aParam (nParam bytes, a SQWP buffer with one set; NULL/0 for none). Statements run in
** order; a script is not atomic: statements before a failing one keep their effect.
** The outcome is encoded into the result buffer (sqlw_result). Returns the result code,
** which is also in the buffer. The input buffers are only read during the call.
*/
int sqlw_exec(sqlw_db *pDb, const char *zSql, size_t nSql,
              const unsigned char *aParam, size_t nParam);

/*
** Runs the single statement zSql once for each parameter set of aParam, atomically:
** either every set ran or, on the first error, none of their effects remain. This is the
** fast path for bulk inserts: one prepare, one call. Rows returned (RETURNING) are
** gathered into one result set. Returns the result code; the outcome is in the result
** buffer. A zSql holding more than one statement is SQLITE_MISUSE.
*/
int sqlw_run_many(sqlw_db *pDb, const char *zSql, size_t nSql,
                  const unsigned char *aParam, size_t nParam);

/*
** Runs the items of the batch buffer a[0..n) (SQWB, docs/format.md) in order and
** atomically: either every item ran or none of their effects remain. An item is SQL
** text (one statement or a script) with one parameter set, run as sqlw_exec runs it;
** transaction control (BEGIN, COMMIT, SAVEPOINT…) is refused, as the batch is a
** transaction itself. The result buffer then holds a result list (SQWL): the result
** of every item run, the failing one last. Returns the batch's result code: the failing
** item's, SQLITE_MISUSE for a malformed buffer.
*/
int sqlw_batch(sqlw_db *pDb, const unsigned char *a, size_t n);

/*
** Cursors: a read statement answered a chunk at a time, across calls (db.iterate). A
** cursor belongs to an owner (aOwner: 16 bytes, a client's id) and has the owner's id
** iId. sqlw_cursor_open prepares zSql (one statement that only reads) with the one
** parameter set of aParam and answers its first chunk: a result (SQWR) with one result
** set of at most nMax rows (and about 1 MiB), flag SQLW_FLAG_MORE when more may follow.
** sqlw_cursor_next answers chunk iChunk (1, 2, ...): the next rows, or the last chunk
** again when iChunk is the one answered last (a re-sent request). A cursor ends with its
** last chunk, on sqlw_cursor_close, when its owner's cursors close (iId 0), after
** rIdleMs without a request (sqlw_cursor_expire), and with the connection. At most
** SQLW_CURSORS are open; opening one more closes the least recently used.
*/
#define SQLW_CURSORS 32
int sqlw_cursor_open(sqlw_db *pDb, const unsigned char *aOwner, uint32_t iId,
                     uint32_t nMax, const char *zSql, size_t nSql,
                     const unsigned char *aParam, size_t nParam);
int sqlw_cursor_next(sqlw_db *pDb, const unsigned char *aOwner, uint32_t iId,
                     uint32_t nMax, uint32_t iChunk);
void sqlw_cursor_close(sqlw_db *pDb, const unsigned char *aOwner, uint32_t iId);
void sqlw_cursor_expire(sqlw_db *pDb, double rIdleMs);
/* Closes every cursor (an import replaces the database under them). */
void sqlw_cursor_close_all(sqlw_db *pDb);
/* The cursors open. */
int sqlw_cursor_count(sqlw_db *pDb);

/*
** The result buffer of the last sqlw_exec/sqlw_run_many/sqlw_batch/sqlw_import call: a pointer
** owned by the connection, valid until the next call on it. *pnByte gets its length.
*/
const unsigned char *sqlw_result(sqlw_db *pDb, size_t *pnByte);

/*
** Serializes the main database into a new buffer of *pnByte bytes that the caller frees
** with sqlw_free(). The image is a standalone database file: its header is marked as
** a rollback-journal database even when the connection uses WAL. Returns NULL on
** failure; sqlw_errcode()/sqlw_errmsg() tell why.
*/
unsigned char *sqlw_export(sqlw_db *pDb, int64_t *pnByte);

/*
** Replaces the main database with the image a[0..n). The image is validated first (the
** file header, then a full PRAGMA integrity_check on a private copy); bytes that are not
** a sound SQLite database are refused with SQLITE_NOTADB or SQLITE_CORRUPT and leave the
** database untouched. a is only read. Returns the result code (also in the result
** buffer). Fails with SQLITE_BUSY inside an open transaction.
** The imported pages are the image's, except that the header's file change counter
** (bytes 24-27 and 92-95) and schema cookie (40-43) advance as for any write, so that
** anything holding the old database's pages sees it changed.
*/
int sqlw_import(sqlw_db *pDb, const unsigned char *a, size_t n);

/*
** Staged imports, for an image too large to hold in memory (a persistent database
** only: a memory database's are SQLITE_MISUSE). sqlw_stage_write writes a[0..n) at
** iOff of the staging file zPath, a file of the main database's VFS; the piece at 0
** begins the file anew, and a later piece with no file begun fails with SQLITE_ABORT.
** sqlw_import_file then replaces the main database with the staged image as
** sqlw_import does (same checks, same answer), reading it from storage; nExpected is
** the image's size, and a staged file of another size fails with SQLITE_ABORT. Neither
** holds more of the image in memory than one piece or SQLite's page cache.
** sqlw_stage_delete removes the staging file if there is one (a memory database has
** none). Each returns the result code and writes the result buffer.
*/
int sqlw_stage_write(sqlw_db *pDb, const char *zPath, int64_t iOff,
                     const unsigned char *a, size_t n);
int sqlw_import_file(sqlw_db *pDb, const char *zPath, int64_t nExpected);
int sqlw_stage_delete(sqlw_db *pDb, const char *zPath);

/*
** Storage modes for a persistent database (chosen by measurement: docs/decisions.md).
** Both use WAL under exclusive locking (the pool VFS has no shared memory, and one
** connection owns the database), which turns each commit into one appended, flushed
** write instead of a journal's several. The modes, SQLW_DURABLE (synchronous=FULL) and
** SQLW_RELAXED (synchronous=NORMAL), are in proto.h.
**
** Puts the main database in storage mode eMode (SQLW_DURABLE or SQLW_RELAXED). Call it
** right after sqlw_open, before the first statement. Returns SQLITE_OK, SQLITE_MISUSE
** for an unknown mode, or the error that kept SQLite from entering WAL mode (then
** sqlw_errmsg says why).
*/
int sqlw_set_durability(sqlw_db *pDb, int eMode);

/*
** Deadlines. sqlw_set_deadline gives the statements that run next rBudgetMs
** milliseconds (counted from this call, by the host's clock) before SQLite interrupts
** them: the statement running then fails with SQLITE_INTERRUPT and its transaction or
** savepoint is rolled back as for any error; the connection stays usable. A negative
** budget (or NaN) means no deadline of the caller's. sqlw_set_statement_cap caps every
** budget, the no-deadline one included, at rCapMs (negative: no cap). Checked every
** SQLW_PROGRESS_OPS virtual-machine steps and, in the wasm build, every few hundred of
** SQLite's allocations (stackguard.c), so preparing a statement and building a sort are
** interrupted too; a flush or a merge that allocates nothing is not.
** sqlw_clear_deadline removes the deadline, cap or not (for the caller's own statements).
*/
void sqlw_set_deadline(sqlw_db *pDb, double rBudgetMs);
void sqlw_clear_deadline(sqlw_db *pDb);
void sqlw_set_statement_cap(sqlw_db *pDb, double rCapMs);

/*
** Marks the connection private: one client uses it and no other tab can (a memory
** database of one tab). The multi-tab engine (coord_engine.c) then keeps no bookkeeping
** on it — no exactly-once records, floors, epoch or per-tab settings, no `_sqlw_`
** table — and removes those an imported image brings. Call it before the engine's
** first request.
*/
void sqlw_set_private(sqlw_db *pDb);

/*
** Asks for pages of szPage bytes (a power of two, 512 to 65536) in a database that has
** none yet: call it after sqlw_open and before sqlw_set_durability, whose switch to WAL
** writes the first page. A database that exists keeps its page size (SQLite's rule: a
** WAL database cannot change it). Returns SQLITE_OK, or SQLITE_MISUSE for a size SQLite
** has no pages of (the message says so); the size in force is PRAGMA page_size's.
*/
int sqlw_set_page_size(sqlw_db *pDb, int szPage);

/*
** Busy notices. sqlw_set_busy_notice asks for host_busy(aTag, nTag) once the requests
** that run next have taken rAfterMs milliseconds (checked with the deadline), so the
** host can learn, while a statement still runs, whose request keeps the connection
** busy; sqlw_end_busy_notice ends the notice, calling host_busy(0, 0) if host_busy
** was called. A negative rAfterMs sets no notice. nTag is at most SQLW_BUSY_TAG_MAX.
*/
void sqlw_set_busy_notice(sqlw_db *pDb, double rAfterMs, const unsigned char *aTag, int nTag);
void sqlw_end_busy_notice(sqlw_db *pDb);

/* The extended code, message and SQL byte offset (-1 if none) of the last failure. */
int sqlw_errcode(sqlw_db *pDb);
const char *sqlw_errmsg(sqlw_db *pDb);
int sqlw_error_offset(sqlw_db *pDb);

/* Returns the counter op (SQLW_STAT_* of proto.h) of pDb, or -1 for an unknown op. */
int64_t sqlw_stat(sqlw_db *pDb, int op);

/*
** The symbolic name of a result code, "SQLITE_CONSTRAINT_UNIQUE" for 2067; for an
** unknown extended code the name of its primary code; "SQLITE_UNKNOWN" otherwise.
** Static storage.
*/
const char *sqlw_code_name(int rc);

/* The i-th result code sqlw_code_name() knows by name (i from 0), or -1 past the last:
** lets a runtime copy the whole table at once. */
int sqlw_code_at(int i);

/*
** ---- Pools: the storage of one database name (src/core/vfs_pool.c) ----------------
**
** A pool is a set of slot files, opened by the host before the core needs them (in a
** browser, OPFS sync access handles, which can only be created asynchronously). Each
** slot holds one SQLite file (database, journal, WAL) or is free; a header at the start
** of the slot records which (docs/pool-format.md). A pool registers a VFS named
** "pool:<name>"; open the database on it with sqlw_open(zPath, that name, ...).
** One connection owns a pool at a time: the VFS does no locking.
*/
typedef struct sqlw_pool sqlw_pool;

/* Creates an empty pool named zName (1..64 bytes of UTF-8, no '/') and registers its
** VFS. *ppPool is NULL on failure. Returns SQLITE_OK, SQLITE_MISUSE (bad name, or a
** pool of that name exists), SQLITE_NOMEM. */
int sqlw_pool_create(const char *zName, sqlw_pool **ppPool);

/*
** Adds the slot file open as host handle h. Its header is read and checked: a slot
** that is empty or was never claimed becomes free; a valid header makes the file it
** names visible to SQLite. Returns SQLITE_OK; SQLITE_CORRUPT when the header fails its
** checks (the slot is kept aside, never reused, and sqlw_open on the pool fails with
** SQLITE_CORRUPT until the slot is dropped by sqlw_pool_wipe or removed); an I/O code if
** the header cannot be read; SQLITE_MISUSE if h is already in the pool.
*/
int sqlw_pool_add_slot(sqlw_pool *pPool, int h);

/* Removes one free slot from the pool (to shrink it) and returns its host handle, which
** the caller closes and deletes; -1 when no slot is free. */
int sqlw_pool_take_free(sqlw_pool *pPool);

/* The counter op (SQLW_POOL_* of proto.h) of a pool. */
int sqlw_pool_stat(sqlw_pool *pPool, int op);

/* Frees every slot of the pool (files and corrupt slots alike): the database is gone.
** Fails with SQLITE_BUSY while SQLite has a file of the pool open. */
int sqlw_pool_wipe(sqlw_pool *pPool);

/* The name of the pool's VFS ("pool:<name>"): static storage owned by the pool. */
const char *sqlw_pool_vfs(sqlw_pool *pPool);

/* Unregisters the VFS and frees the pool. The host handles stay open: the caller owns
** them. Fails with SQLITE_BUSY while SQLite has a file of the pool open. */
int sqlw_pool_destroy(sqlw_pool *pPool);

/* A message for the last failure of a pool call (static, or owned by the pool). */
const char *sqlw_pool_errmsg(sqlw_pool *pPool);

/* Frees memory returned by sqlw_export(). NULL is a no-op. */
void sqlw_free(void *p);

#ifdef __cplusplus
}
#endif
#endif /* SQLW_H */
