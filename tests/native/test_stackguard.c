/*
** test_stackguard.c — the wasm build's guarding allocator (src/core/stackguard.c),
** called directly: native SQLite does not allocate through it.
*/
#include <stdint.h>
#include <stdlib.h>
#include "harness.h"
#include "../../src/core/stackguard.h"

/* Recurses until its frame is nBelow bytes below the caller's, then allocates n bytes
** through the guard there. Returns the allocation. */
static __attribute__((noinline)) void *guardBelow(uintptr_t iFrom, size_t nBelow, size_t n){
  volatile char aPad[256];
  void *p;
  aPad[0] = 1;
  if( iFrom-(uintptr_t)__builtin_frame_address(0)<nBelow ){
    p = guardBelow(iFrom, nBelow, n);
  }else{
    p = sqlwGuardMalloc(n);
  }
  if( aPad[0]!=1 ) abort();   /* the frame stays live under the call: no tail call */
  return p;
}

/* guardBelow() from the caller's frame. */
#define GUARD_BELOW(nBelow, n) guardBelow((uintptr_t)__builtin_frame_address(0), (nBelow), (n))

/* Regression (found by a -Os build of SQLite, whose first allocation was deeper than
** sqlw_open's): the guard measured depth from the first allocation, so every later one
** from a shallower frame failed as "too deep". */
TEST(guard100, "guard-100 an allocation shallower than the first one succeeds"){
  void *pDeep = GUARD_BELOW(16*1024, 32);
  void *pShallow = sqlwGuardMalloc(32);
  CHECK(pDeep!=0);
  CHECK(pShallow!=0);
  CHECK_INT(sqlwStackTripped(1), 0);
  free(pDeep);
  free(pShallow);
}

/* Deeper than the budget (128 KiB) below the shallowest allocation fails, and says so. */
TEST(guard110, "guard-110 an allocation past the stack budget fails with SQLW_GUARD_STACK"){
  void *pTop = sqlwGuardMalloc(8);
  void *pTooDeep = GUARD_BELOW(160*1024, 8);
  CHECK(pTop!=0);
  CHECK(pTooDeep==0);
  CHECK_INT(sqlwStackTripped(1), SQLW_GUARD_STACK);
  CHECK_INT(sqlwStackTripped(0), 0);
  free(pTop);
  free(pTooDeep);
}
