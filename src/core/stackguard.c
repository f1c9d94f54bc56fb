/*
** stackguard.c — keeps deep SQL from overflowing a stack.
**
** SQLite bounds most recursion with its own limits (expression depth, compound terms,
** trigger depth, JSON depth), but not all of it: a chain of views whose column names
** are already known is expanded level by level with no limit, so a schema of a few
** thousand views over one another (built step by step, or imported) overflows the
** stack. In wasm there are two stacks: the module's own in linear memory, and the
** engine's native stack under the wasm frames (its size differs between browsers and
** no link flag sets it). Overflowing either kills the instance.
**
** Every recursion of SQLite's allocates memory on the way down, so the guard sits in
** the allocator: the wasm build maps SQLite's malloc and realloc here (-Dmalloc=...),
** and an allocation made deeper than SQLW_STACK_BUDGET bytes below the first one seen
** fails. SQLite recovers from a failed allocation anywhere (its statement fails with
** SQLITE_NOMEM and the connection stays usable); the engine then reports the failure as
** SQLITE_ERROR "SQL nested too deeply" (sqlwStackTripped). The native builds keep their
** deep C stack: nothing maps their SQLite's allocations here, and the guard never trips.
**
** The same hook keeps a request's deadline where SQLite's progress handler cannot: while
** a statement is prepared (n CTEs cost O(n²)) or a big sort is built, SQLite runs no
** step of its machine but allocates all the time. Every SQLW_GUARD_CLOCK_EVERY
** allocations the guard looks at the clock, and past the deadline every allocation
** fails; the engine reports SQLITE_INTERRUPT.
*/
#include <stdint.h>
#include <stdlib.h>
#include "stackguard.h"
#include "host.h"

#ifndef SQLW_STACK_BUDGET
# define SQLW_STACK_BUDGET (128*1024)   /* bytes of the wasm stack SQLite may use */
#endif

#define SQLW_GUARD_CLOCK_EVERY 256     /* allocations between two looks at the clock */

static uintptr_t iTop = 0;      /* the stack pointer of the shallowest allocation seen */
static uintptr_t iLow = 0;      /* the lowest stack pointer seen by an allocation */
static int eTripped = 0;        /* SQLW_GUARD_STACK/_DEADLINE since the last reset, or 0 */
static double rDeadline = 0;    /* host_time() past which allocations fail; 0: none */
static unsigned nSinceClock = 0;/* allocations since the clock was last read */

/* The current stack pointer (the caller's frame: in wasm, on the linear-memory stack). */
static uintptr_t guardSp(void){
  return (uintptr_t)__builtin_frame_address(0);
}

/* 1 when the caller is too deep, or its deadline has passed: the allocation must fail. */
static int guardTooDeep(void){
  uintptr_t sp = guardSp();
  /* The first allocation need not be the shallowest: which of SQLite's calls allocates
  ** first, and how deep its frames are, depends on the build (a -Os SQLite's first
  ** allocation is deeper than a later sqlite3_malloc of sqlw_open). Measured from a
  ** deeper one, iTop-sp would wrap and fail every shallower allocation. */
  if( sp>iTop ) iTop = sp;
  if( iLow==0 || sp<iLow ) iLow = sp;
  if( iTop-sp>SQLW_STACK_BUDGET ){
    eTripped = SQLW_GUARD_STACK;
    return 1;
  }
  if( rDeadline>0 ){
    if( eTripped==SQLW_GUARD_DEADLINE ) return 1;
    if( ++nSinceClock>=SQLW_GUARD_CLOCK_EVERY ){
      nSinceClock = 0;
      if( host_time()>rDeadline ){
        eTripped = SQLW_GUARD_DEADLINE;
        return 1;
      }
    }
  }
  return 0;
}

void *sqlwGuardMalloc(size_t n){
  return guardTooDeep() ? 0 : malloc(n);
}

void *sqlwGuardRealloc(void *p, size_t n){
  return guardTooDeep() ? 0 : realloc(p, n);
}

int sqlwStackTripped(int bReset){
  int e = eTripped;
  if( bReset ) eTripped = 0;
  return e;
}

void sqlwGuardDeadline(double rAt){
  rDeadline = rAt;
  nSinceClock = 0;
}

int64_t sqlwStackHigh(void){
  return iTop ? (int64_t)(iTop-iLow) : 0;
}
