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

/* 1 if an allocation was refused for depth since the last reset (bReset: reset now). */
int sqlwStackTripped(int bReset);

/* The most stack, in bytes, seen in use by an allocation (0 before the first one). */
int64_t sqlwStackHigh(void);

#endif
