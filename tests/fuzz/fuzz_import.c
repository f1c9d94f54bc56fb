/*
** fuzz_import.c — libFuzzer target: arbitrary bytes as a database image for
** sqlw_import() on a memdb connection that holds a known small table.
**
** A fuzzer starting from nothing rarely builds a database file, so the input is read in
** one of three ways, chosen by byte 0 (mod 3), the other two starting from a valid image
** of the known database that the target makes itself (no seed corpus needed):
**   0  raw       the rest of the input is the image;
**   1  patched   the valid image with the rest of the input applied as patches of
**                3 bytes each: a 16-bit little-endian offset (mod the image size) and
**                the byte to store there;
**   2  resized   the first 2 bytes give a length (mod image size + 2 KiB); the valid
**                image is cut to it, or extended with the rest of the input then zeros.
**
** Checks, aborting on any violation:
** - the result buffer is well formed and its rc equals the returned code;
** - a refusal is SQLITE_NOTADB or SQLITE_CORRUPT* and leaves the known rows intact;
** - an accepted image passes PRAGMA integrity_check and its schema can be read; then the
**   known image is imported back, so every input starts from the same database.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite3.h"
#include "../../src/core/sqlw.h"
#include "../native/wire.h"

#define FUZZ_ROWS 40                /* rows of the known table */

static sqlw_db *pDb = 0;            /* the connection, opened by the first input */
static unsigned char *aGood = 0;    /* a valid image of the known database */
static int64_t nGood = 0;           /* its size */
static int64_t iDigest = 0;         /* digest of the known rows (fuzzDigest) */

/* Reports a broken invariant and aborts, so libFuzzer saves the input. */
static void fuzzDie(const char *zWhat, const char *zDetail){
  fprintf(stderr, "fuzz_import: %s%s%s\n", zWhat, zDetail ? ": " : "",
          zDetail ? zDetail : "");
  abort();
}

static char zLastText[200];        /* first text value (or error) of the last fuzzExec */

/*
** Runs zSql on pDb and checks its result buffer. Returns the code; if pV is not NULL
** and the first row's first value is an integer, stores it there; if pbOk is not NULL,
** sets it to 1 when that value is the text "ok". The first text value, or the error
** message, is kept in zLastText for diagnostics.
*/
static int fuzzExec(const char *zSql, int64_t *pV, int *pbOk){
  size_t n;
  const unsigned char *a;
  WrResult res;
  const char *zWhy;
  int rc = sqlw_exec(pDb, zSql, strlen(zSql), 0, 0);
  a = sqlw_result(pDb, &n);
  zWhy = wrParse(a, n, &res);
  if( zWhy ) fuzzDie("malformed result buffer", zWhy);
  if( res.rc!=rc ) fuzzDie("returned code differs from the buffer's", zSql);
  if( pbOk ) *pbOk = 0;
  sqlite3_snprintf(sizeof(zLastText), zLastText, "%.*s", (int)res.err.n, res.err.z);
  if( rc==SQLITE_OK && res.nSet>0 && res.aSet[0].nRow>0 ){
    const WrValue *pVal = &res.aSet[0].aVal[0];
    if( pVal->eType==WIRE_TEXT ){
      sqlite3_snprintf(sizeof(zLastText), zLastText, "%.*s", (int)pVal->n,
                       (const char*)pVal->z);
    }
    if( pV && pVal->eType==WIRE_INTEGER ) *pV = pVal->i;
    if( pbOk && pVal->eType==WIRE_TEXT && pVal->n==2 && memcmp(pVal->z, "ok", 2)==0 ){
      *pbOk = 1;
    }
  }
  wrFree(&res);
  return rc;
}

/* A digest of the known table t; -1 if it cannot be read. */
static int64_t fuzzDigest(void){
  int64_t v = -1;
  if( fuzzExec("SELECT count(*)*100000 + sum(id) + sum(length(v)) FROM t", &v, 0) ){
    return -1;
  }
  return v;
}

/* Imports a[0..n), checks the result buffer, returns the code. */
static int fuzzImport(const unsigned char *a, size_t n){
  size_t nRes;
  const unsigned char *aRes;
  WrResult res;
  const char *zWhy;
  int rc = sqlw_import(pDb, a, n);
  aRes = sqlw_result(pDb, &nRes);
  zWhy = wrParse(aRes, nRes, &res);
  if( zWhy ) fuzzDie("malformed result buffer after import", zWhy);
  if( res.rc!=rc ) fuzzDie("import: returned code differs from the buffer's", 0);
  wrFree(&res);
  return rc;
}

/* Builds the known database (small pages, so images are small) and keeps its image. */
static void fuzzInit(void){
  char zSql[400];
  if( pDb ) return;
  if( sqlite3_initialize()!=SQLITE_OK ) fuzzDie("sqlite3_initialize failed", 0);
  if( sqlw_open("fuzz-import", "memdb", 0, &pDb)!=SQLITE_OK ) fuzzDie("open failed", 0);
  sqlite3_snprintf(sizeof(zSql), zSql,
      "PRAGMA page_size=512;"
      "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
      "CREATE INDEX t_v ON t(v);"
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<%d)"
      " INSERT INTO t SELECT x, printf('value-%%03d-padding', x) FROM c", FUZZ_ROWS);
  if( fuzzExec(zSql, 0, 0)!=SQLITE_OK ) fuzzDie("could not build the known database", 0);
  iDigest = fuzzDigest();
  aGood = sqlw_export(pDb, &nGood);
  if( aGood==0 || nGood<512 ) fuzzDie("export of the known database failed", 0);
}

/*
** Builds the image to import from the input (see the header comment) into a new
** buffer of exactly *pn bytes that the caller frees with sqlite3_free(). NULL when
** there is nothing to import or memory ran out.
*/
static unsigned char *fuzzImage(const uint8_t *aData, size_t nData, size_t *pn){
  unsigned char *a = 0;
  size_t n = 0;
  size_t i;
  *pn = 0;
  if( nData<1 ) return 0;
  switch( aData[0] % 3 ){
    case 0:
      n = nData-1;
      a = (unsigned char*)sqlite3_malloc64(n ? n : 1);
      if( a && n ) memcpy(a, aData+1, n);
      break;
    case 1:
      n = (size_t)nGood;
      a = (unsigned char*)sqlite3_malloc64(n);
      if( a==0 ) break;
      memcpy(a, aGood, n);
      for(i=1; i+3<=nData; i+=3){
        size_t iOff = ((size_t)aData[i] | (size_t)aData[i+1]<<8) % n;
        a[iOff] = aData[i+2];
      }
      break;
    default: {
      size_t nCopy;
      if( nData<3 ) return 0;
      n = ((size_t)aData[1] | (size_t)aData[2]<<8) % ((size_t)nGood + 2048);
      a = (unsigned char*)sqlite3_malloc64(n ? n : 1);
      if( a==0 ) break;
      nCopy = n<(size_t)nGood ? n : (size_t)nGood;
      memcpy(a, aGood, nCopy);
      if( n>nCopy ){
        size_t nTail = nData-3 < n-nCopy ? nData-3 : n-nCopy;
        memcpy(a+nCopy, aData+3, nTail);
        memset(a+nCopy+nTail, 0, n-nCopy-nTail);
      }
      break;
    }
  }
  if( a ) *pn = n;
  return a;
}

/* libFuzzer calls it; declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData){
  unsigned char *a;
  size_t n;
  int rc;

  fuzzInit();
  a = fuzzImage(aData, nData, &n);
  if( a==0 ) return 0;
  rc = fuzzImport(a, n);
  sqlite3_free(a);

  if( rc!=SQLITE_OK ){
    if( (rc & 0xff)!=SQLITE_NOTADB && (rc & 0xff)!=SQLITE_CORRUPT ){
      fuzzDie("import refused with an unexpected code", sqlw_code_name(rc));
    }
    if( fuzzDigest()!=iDigest ) fuzzDie("a refused import changed the old rows", zLastText);
  }else{
    int bOk = 0;
    if( fuzzExec("PRAGMA integrity_check", 0, &bOk)!=SQLITE_OK || !bOk ){
      fuzzDie("an accepted image fails integrity_check", zLastText);
    }
    if( fuzzExec("SELECT * FROM sqlite_schema", 0, 0)!=SQLITE_OK ){
      fuzzDie("the schema of an accepted image cannot be read", zLastText);
    }
    if( fuzzImport(aGood, (size_t)nGood)!=SQLITE_OK ){
      fuzzDie("the known image no longer imports", 0);
    }
    if( fuzzDigest()!=iDigest ) fuzzDie("the known image imported wrong rows", 0);
  }
  if( sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT)!=1 ) fuzzDie("a transaction was left open", 0);
  return 0;
}
