/*
** stackguard.h — the allocator that keeps deep SQL from overflowing a stack
** (stackguard.c). Internal to the core.
*/
#ifndef SQLW_STACKGUARD_H
#define SQLW_STACKGUARD_H

#include <stddef.h>
#include <stdint.h>

/* malloc() and realloc() for SQLite (the wasm build maps them here): they fail, as if
** memory ran out, when called deeper than the stack budget. */
void *sqlwGuardMalloc(size_t n);
void *sqlwGuardRealloc(void *p, size_t n);

/* Why an allocation was refused since the last reset (bReset: reset now): 0 none,
** SQLW_GUARD_STACK (too deep), SQLW_GUARD_DEADLINE (past the deadline). */
#define SQLW_GUARD_STACK    1
#define SQLW_GUARD_DEADLINE 2
int sqlwStackTripped(int bReset);

/* Allocations fail once host_time() passes rAt (checked every few hundred); 0: none. */
void sqlwGuardDeadline(double rAt);

/* The most stack, in bytes, seen in use by an allocation (0 before the first one). */
int64_t sqlwStackHigh(void);

#endif
