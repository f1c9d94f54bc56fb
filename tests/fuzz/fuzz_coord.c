/*
** fuzz_coord.c — libFuzzer target: arbitrary bytes as a multi-tab protocol message
** (src/core/coord_msg.c), as any script of the origin could post on the channels.
**
** Checks, aborting on a violation: the decoder never reads outside the input (ASan);
** a refused message comes with a reason and a zeroed result; an accepted one re-encodes
** to exactly the input bytes (the encoding is canonical, so nothing was skipped or
** guessed).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite3.h"
#include "../../src/core/coord.h"

/* libFuzzer calls it; declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *a, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *a, size_t n){
  CoordMsg m;
  const char *zWhy = 0;
  /* The core is built with SQLITE_OMIT_AUTOINIT; the encoder allocates through SQLite. */
  if( sqlite3_initialize()!=SQLITE_OK ) abort();
  if( coordMsgDecode(a, n, &m, &zWhy)!=SQLITE_OK ){
    if( zWhy==0 || m.eType!=0 || m.aBody!=0 ){
      fprintf(stderr, "refused without a reason, or with a half-filled message\n");
      abort();
    }
    return 0;
  }else{
    SqlwBuf out;
    memset(&out, 0, sizeof(out));
    if( coordMsgEncode(&m, &out)!=SQLITE_OK || out.n!=n || memcmp(out.a, a, n)!=0 ){
      fprintf(stderr, "an accepted message does not re-encode to its bytes\n");
      abort();
    }
    sqlwBufFree(&out);
  }
  return 0;
}
