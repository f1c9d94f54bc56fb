/*
** engine_int.h — the engine's internals (engine.c) that the core's own modules use:
** today the leader's engine (coord_engine.c) runs its bookkeeping on the connection
** behind an sqlw_db. Not part of the public C API (sqlw.h). engine.c includes this
** header too, so the compiler checks every definition against its declaration.
*/
#ifndef SQLW_ENGINE_INT_H
#define SQLW_ENGINE_INT_H

#include <stddef.h>
#include "sqlite3.h"
#include "sqlw.h"

/* SQLite's connection behind pDb (engine.c), for the core's own bookkeeping. */
sqlite3 *sqlwHandle(sqlw_db *pDb);

/* Prepares the single statement zSql through pDb's statement cache (engine.c); release
** it with sqlwReleaseCached(pStmt, *pbCached). Returns SQLite's code. */
int sqlwPrepareCached(sqlw_db *pDb, const char *zSql, sqlite3_stmt **ppStmt, int *pbCached);
void sqlwReleaseCached(sqlite3_stmt *pStmt, int bCached);

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

#endif /* SQLW_ENGINE_INT_H */
