/*
** fuzz_params.c — libFuzzer target: arbitrary bytes as the SQWP parameter buffer of a
** fixed set of statements, run through sqlw_exec() and sqlw_run_many().
**
** Input layout: byte 0 chooses the statement (low 3 bits) and the mode (bit 3):
**   raw mode       the rest of the input is the parameter buffer as is;
**   header mode    bytes 1..3 give nName (0..3), nValue (0..7) and nSet (0..15), a valid
**                  header is built from them and the rest of the input follows it, so
**                  the fuzzer spends its time in names and values, not in the magic.
**
** After every call the target checks, and aborts on any violation:
** - the result buffer is well formed (tests/native/wire.c) and its rc equals the code
**   returned and sqlw_errcode();
** - no transaction is left open and the connection still answers;
** - a failed sqlw_run_many() left no rows (it is atomic);
** - a successful positional "SELECT ?1, ?2, ?3" returned the three values it was given,
**   bit for bit (a NaN comes back as NULL: SQLite binds NaN as NULL).
** The table the INSERTs fill is emptied after each input, so every run starts equal.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite3.h"
#include "../../src/core/sqlw.h"
#include "../native/wire.h"

/* One statement the fuzzer may run. */
typedef struct FuzzCase FuzzCase;
struct FuzzCase {
  const char *zSql;      /* the SQL text */
  int bMany;             /* 1: sqlw_run_many, 0: sqlw_exec */
  int bInsert;           /* 1: inserts into t (atomicity is checked) */
};

static const FuzzCase aCase[8] = {
  { "SELECT ?1, ?2, ?3",                                       0, 0 },
  { "SELECT :a, @b, $c",                                       0, 0 },
  { "INSERT INTO t VALUES(?, ?)",                              1, 1 },
  { "INSERT INTO t VALUES(:a, :b) RETURNING a, typeof(b)",     1, 1 },
  { "SELECT ?1; SELECT ?2, :x",                                0, 0 },
  { "SELECT typeof(?1), length(?1), hex(?1)",                  1, 0 },
  { "INSERT INTO t VALUES(?1, ?2); SELECT count(*) FROM t",    0, 0 },
  { "INSERT INTO t SELECT ?1, ?2 UNION ALL SELECT ?2, ?1",     1, 1 },
};

static sqlw_db *pDb = 0;     /* the one connection, opened by the first input */

/* Reports a broken invariant and aborts, so libFuzzer saves the input. */
static void fuzzDie(const char *zWhat, const char *zDetail){
  fprintf(stderr, "fuzz_params: %s%s%s\n", zWhat, zDetail ? ": " : "",
          zDetail ? zDetail : "");
  abort();
}

/*
** Runs zSql without parameters on pDb and returns the first column of its first row as
** an integer (0 when there is none). Aborts if the statement fails.
*/
static int64_t fuzzQueryInt(const char *zSql){
  size_t n;
  const unsigned char *a;
  WrResult res;
  int64_t v = 0;
  int rc = sqlw_exec(pDb, zSql, strlen(zSql), 0, 0);
  a = sqlw_result(pDb, &n);
  if( wrParse(a, n, &res) ) fuzzDie("malformed result of", zSql);
  if( rc!=SQLITE_OK ) fuzzDie("fixed statement failed", zSql);
  if( res.nSet>0 && res.aSet[0].nRow>0 && res.aSet[0].aVal[0].eType==WIRE_INTEGER ){
    v = res.aSet[0].aVal[0].i;
  }
  wrFree(&res);
  return v;
}

/* Opens the connection and creates the table, once. */
static void fuzzInit(void){
  if( pDb ) return;
  if( sqlite3_initialize()!=SQLITE_OK ) fuzzDie("sqlite3_initialize failed", 0);
  if( sqlw_open("fuzz-params", "memdb", 0, &pDb)!=SQLITE_OK ) fuzzDie("open failed", 0);
  fuzzQueryInt("CREATE TABLE t(a, b)");
}

/* Reads a little-endian u32 at a+i. */
static uint32_t fuzzU32(const unsigned char *a, size_t i){
  return (uint32_t)a[i] | (uint32_t)a[i+1]<<8 | (uint32_t)a[i+2]<<16
       | (uint32_t)a[i+3]<<24;
}

/*
** Compares the value encoded at a+*pi (inside a buffer the core accepted, so it is well
** formed) with the value pVal that came back, and advances *pi past it. Returns 1 if
** they are the same value.
*/
static int fuzzSameValue(const unsigned char *a, size_t *pi, const WrValue *pVal){
  int eType = a[*pi];
  uint32_t n;
  (*pi)++;
  switch( eType ){
    case WIRE_INTEGER: {
      uint64_t u = 0;
      int k;
      for(k=7; k>=0; k--) u = (u<<8) | a[*pi+k];
      *pi += 8;
      return pVal->eType==WIRE_INTEGER && pVal->i==(int64_t)u;
    }
    case WIRE_FLOAT: {
      uint64_t u = 0, uGot;
      double r;
      int k;
      for(k=7; k>=0; k--) u = (u<<8) | a[*pi+k];
      *pi += 8;
      memcpy(&r, &u, 8);
      if( r!=r ) return pVal->eType==WIRE_NULL;      /* NaN binds as NULL */
      if( pVal->eType!=WIRE_FLOAT ) return 0;
      memcpy(&uGot, &pVal->r, 8);
      return uGot==u;
    }
    case WIRE_TEXT:
    case WIRE_BLOB:
      n = fuzzU32(a, *pi);
      *pi += 4;
      *pi += n;
      return pVal->eType==eType && pVal->n==n
          && (n==0 || memcmp(pVal->z, a + *pi - n, n)==0);
    case WIRE_NULL:
      return pVal->eType==WIRE_NULL;
    default:
      return 0;
  }
}

/*
** Checks the round trip of a successful positional "SELECT ?1, ?2, ?3": the three values
** of aParam (accepted, so well formed with nName 0 and nValue 3) came back unchanged.
*/
static void fuzzCheckEcho(const unsigned char *aParam, const WrResult *pRes){
  size_t i = 20;
  uint32_t k;
  if( pRes->nSet!=1 || pRes->aSet[0].nRow!=1 || pRes->aSet[0].nCol!=3 ){
    fuzzDie("SELECT ?1, ?2, ?3 gave the wrong shape", 0);
  }
  for(k=0; k<3; k++){
    if( !fuzzSameValue(aParam, &i, &pRes->aSet[0].aVal[k]) ){
      fuzzDie("a value did not come back unchanged", 0);
    }
  }
}

/* libFuzzer calls it; declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData){
  const FuzzCase *pCase;
  unsigned char *aParam = 0;
  size_t nParam = 0;
  size_t nRes;
  const unsigned char *aRes;
  WrResult res;
  const char *zWhy;
  int rc;

  fuzzInit();
  if( nData<1 ) return 0;
  pCase = &aCase[aData[0] & 7];

  if( aData[0] & 8 ){
    /* header mode: a valid header from 3 bytes, then the rest of the input */
    size_t nBody = nData>4 ? nData-4 : 0;
    uint32_t nName = nData>1 ? aData[1] & 3 : 0;
    uint32_t nValue = nData>2 ? aData[2] & 7 : 0;
    uint32_t nSet = nData>3 ? aData[3] & 15 : 1;
    nParam = 20 + nBody;
    aParam = (unsigned char*)sqlite3_malloc64(nParam);
    if( aParam==0 ) return 0;
    memcpy(aParam, "SQWP\x01\x00\x00\x00", 8);
    aParam[8] = (unsigned char)nName;  aParam[9] = aParam[10] = aParam[11] = 0;
    aParam[12] = (unsigned char)nValue; aParam[13] = aParam[14] = aParam[15] = 0;
    aParam[16] = (unsigned char)nSet;  aParam[17] = aParam[18] = aParam[19] = 0;
    if( nBody ) memcpy(aParam+20, aData+4, nBody);
  }else if( nData>1 ){
    /* raw mode: a private copy of exactly the bytes, so overreads are caught */
    nParam = nData-1;
    aParam = (unsigned char*)sqlite3_malloc64(nParam);
    if( aParam==0 ) return 0;
    memcpy(aParam, aData+1, nParam);
  }

  if( pCase->bMany ){
    rc = sqlw_run_many(pDb, pCase->zSql, strlen(pCase->zSql), aParam, nParam);
  }else{
    rc = sqlw_exec(pDb, pCase->zSql, strlen(pCase->zSql), aParam, nParam);
  }

  aRes = sqlw_result(pDb, &nRes);
  zWhy = wrParse(aRes, nRes, &res);
  if( zWhy ) fuzzDie("malformed result buffer", zWhy);
  if( res.rc!=rc ) fuzzDie("returned code differs from the buffer's", sqlw_code_name(rc));
  if( sqlw_errcode(pDb)!=rc ) fuzzDie("sqlw_errcode differs from the returned code", 0);
  if( rc==SQLITE_OK && (aData[0] & 7)==0 && nParam>=20 && fuzzU32(aParam, 8)==0 ){
    fuzzCheckEcho(aParam, &res);
  }
  wrFree(&res);
  sqlite3_free(aParam);

  if( sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT)!=1 ) fuzzDie("a transaction was left open", 0);
  if( pCase->bInsert && rc!=SQLITE_OK && fuzzQueryInt("SELECT count(*) FROM t")!=0 ){
    fuzzDie("a failed run_many left rows behind", pCase->zSql);
  }
  fuzzQueryInt("DELETE FROM t");
  return 0;
}
