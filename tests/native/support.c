/*
** support.c — shared helpers of the native engine tests; see support.h.
**
** Connections opened through testOpen() are tracked in a small table and closed by one
** deferred cleanup when the test ends, so a test that stops early with REQUIRE() leaks
** nothing (the sanitizer build would report it).
*/
#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1          /* unlink under a strict -std */
#endif
#include "support.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sqlite3.h"

#define SUPPORT_MAX_DB 16          /* connections one test may hold open */

static sqlw_db *aOpenDb[SUPPORT_MAX_DB];  /* connections to close at the end of the test */
static int nOpenDb = 0;                   /* entries used in aOpenDb */
static WrResult lastRes;                  /* the result returned by testExecAt() */
static int bLastRes = 0;                  /* lastRes holds arrays to free */
static int bArmed = 0;                    /* supportEndTest() is deferred already */

/*
** SQLite is built with SQLITE_OMIT_AUTOINIT, so nothing may call sqlite3_malloc64() (as
** wire.c does) before sqlite3_initialize(). sqlw_open() initializes too, but a test that
** builds a parameter buffer or calls the host first must not depend on test order.
*/
__attribute__((constructor)) static void supportInit(void){
  if( sqlite3_initialize()!=SQLITE_OK ){
    fprintf(stderr, "sqlite3_initialize() failed\n");
  }
}

/* Deferred cleanup: closes every connection still open and frees the parsed result. */
static void supportEndTest(void *pUnused){
  (void)pUnused;
  while( nOpenDb>0 ){
    nOpenDb--;
    sqlw_close(aOpenDb[nOpenDb]);
  }
  if( bLastRes ){
    wrFree(&lastRes);
    bLastRes = 0;
  }
  bArmed = 0;
}

/* Makes sure supportEndTest() runs when the current test ends. */
static void supportArm(void){
  if( !bArmed ){
    bArmed = 1;
    harnessDefer(supportEndTest, 0);
  }
}

/* testOpenAt: see support.h. The connection belongs to the support table. */
sqlw_db *testOpenAt(const char *zPath, const char *zVfs, const char *zFile, int iLine){
  sqlw_db *pDb = 0;
  int rc = sqlw_open(zPath, zVfs, 0, &pDb);
  if( pDb==0 ){
    harnessFail(zFile, iLine, "sqlw_open(%s, %s) gave no handle (rc %d)", zPath,
                zVfs ? zVfs : "NULL", rc);
    return 0;
  }
  if( rc!=SQLITE_OK ){
    harnessFail(zFile, iLine, "sqlw_open(%s, %s): %s: %s", zPath, zVfs ? zVfs : "NULL",
                sqlw_code_name(rc), sqlw_errmsg(pDb));
    sqlw_close(pDb);
    return 0;
  }
  if( nOpenDb>=SUPPORT_MAX_DB ){
    harnessFail(zFile, iLine, "more than %d connections in one test", SUPPORT_MAX_DB);
    sqlw_close(pDb);
    return 0;
  }
  supportArm();
  aOpenDb[nOpenDb++] = pDb;
  return pDb;
}

/* testCloseAt: see support.h. */
void testCloseAt(sqlw_db *pDb, const char *zFile, int iLine){
  int i;
  for(i=0; i<nOpenDb; i++){
    if( aOpenDb[i]==pDb ){
      aOpenDb[i] = aOpenDb[--nOpenDb];
      testCheckRc(sqlw_close(pDb), SQLITE_OK, "sqlw_close()", zFile, iLine);
      return;
    }
  }
  harnessFail(zFile, iLine, "testClose() of a connection testOpen() did not open");
}

/* testLastResultAt: see support.h. rc is the code the call returned. */
const WrResult *testLastResultAt(sqlw_db *pDb, int rc, const char *zFile, int iLine){
  size_t nBuf = 0;
  const unsigned char *aBuf;
  const char *zWhy;

  supportArm();
  if( bLastRes ) wrFree(&lastRes);
  bLastRes = 1;
  aBuf = sqlw_result(pDb, &nBuf);
  zWhy = wrParse(aBuf, nBuf, &lastRes);
  if( zWhy ){
    harnessFail(zFile, iLine, "malformed result buffer (%zu bytes): %s", nBuf, zWhy);
    lastRes.rc = -1;
    return &lastRes;
  }
  if( lastRes.rc!=rc ){
    harnessFail(zFile, iLine, "returned %s but the buffer says %s", sqlw_code_name(rc),
                sqlw_code_name(lastRes.rc));
  }
  if( rc!=SQLITE_OK && sqlw_errcode(pDb)!=rc ){
    harnessFail(zFile, iLine, "returned %s but sqlw_errcode() says %s",
                sqlw_code_name(rc), sqlw_code_name(sqlw_errcode(pDb)));
  }
  return &lastRes;
}

/* testExecAt: see support.h. */
const WrResult *testExecAt(sqlw_db *pDb, const char *zSql, const unsigned char *aParam,
                           size_t nParam, int bMany, const char *zFile, int iLine){
  size_t nSql = strlen(zSql);
  int rc = bMany ? sqlw_run_many(pDb, zSql, nSql, aParam, nParam)
                 : sqlw_exec(pDb, zSql, nSql, aParam, nParam);
  return testLastResultAt(pDb, rc, zFile, iLine);
}

/* testOkAt: see support.h. */
int testOkAt(sqlw_db *pDb, const char *zSql, const char *zFile, int iLine){
  const WrResult *pRes = testExecAt(pDb, zSql, 0, 0, 0, zFile, iLine);
  if( pRes->rc==SQLITE_OK ) return 1;
  return harnessFail(zFile, iLine, "\"%s\": %s: %.*s", zSql, sqlw_code_name(pRes->rc),
                     (int)pRes->err.n, pRes->err.z);
}

/* Returns the only value of a one-set, one-row, one-column result, or NULL. */
static const WrValue *supportOnlyValue(sqlw_db *pDb, const char *zSql,
                                       const char *zFile, int iLine){
  const WrResult *pRes = testExecAt(pDb, zSql, 0, 0, 0, zFile, iLine);
  if( pRes->rc!=SQLITE_OK ){
    harnessFail(zFile, iLine, "\"%s\": %s: %.*s", zSql, sqlw_code_name(pRes->rc),
                (int)pRes->err.n, pRes->err.z);
    return 0;
  }
  if( pRes->nSet!=1 || pRes->aSet[0].nRow!=1 || pRes->aSet[0].nCol!=1 ){
    harnessFail(zFile, iLine, "\"%s\": expected one value, got %u sets", zSql,
                pRes->nSet);
    return 0;
  }
  return wrCell(&pRes->aSet[0], 0, 0);
}

/* testIntAt: see support.h. */
int64_t testIntAt(sqlw_db *pDb, const char *zSql, const char *zFile, int iLine){
  const WrValue *pVal = supportOnlyValue(pDb, zSql, zFile, iLine);
  if( pVal==0 ) return INT64_MIN;
  if( pVal->eType!=WIRE_INTEGER ){
    harnessFail(zFile, iLine, "\"%s\": type %d, expected an integer", zSql, pVal->eType);
    return INT64_MIN;
  }
  return pVal->i;
}

/* testTextAt: see support.h. */
void testTextAt(sqlw_db *pDb, const char *zSql, char *zOut, size_t nOut,
                const char *zFile, int iLine){
  const WrValue *pVal = supportOnlyValue(pDb, zSql, zFile, iLine);
  size_t n;
  if( nOut==0 ) return;
  zOut[0] = 0;
  if( pVal==0 ) return;
  if( pVal->eType!=WIRE_TEXT ){
    harnessFail(zFile, iLine, "\"%s\": type %d, expected text", zSql, pVal->eType);
    return;
  }
  n = pVal->n < nOut-1 ? pVal->n : nOut-1;
  if( n ) memcpy(zOut, pVal->z, n);
  zOut[n] = 0;
}

/* testCheckRc: see support.h. */
int testCheckRc(int a, int b, const char *zA, const char *zFile, int iLine){
  if( a==b ) return 1;
  return harnessFail(zFile, iLine, "%s: got %s (%d), expected %s (%d)", zA,
                     sqlw_code_name(a), a, sqlw_code_name(b), b);
}

/* testCheckPrimary: see support.h. */
int testCheckPrimary(int a, int p1, int p2, const char *zA, const char *zFile, int iLine){
  if( (a & 0xff)==p1 || (a & 0xff)==p2 ) return 1;
  return harnessFail(zFile, iLine, "%s: got %s (%d), expected %s or %s", zA,
                     sqlw_code_name(a), a, sqlw_code_name(p1), sqlw_code_name(p2));
}

/* testContains: see support.h. */
int testContains(WrStr s, const char *zNeedle){
  size_t n = strlen(zNeedle);
  size_t i;
  if( n==0 ) return 1;
  for(i=0; i+n<=s.n; i++){
    if( memcmp(s.z+i, zNeedle, n)==0 ) return 1;
  }
  return 0;
}

/* testCheckValInt: see support.h. */
int testCheckValInt(const WrValue *pVal, int64_t i, const char *zFile, int iLine){
  if( pVal==0 ) return harnessFail(zFile, iLine, "no such value");
  if( pVal->eType!=WIRE_INTEGER ){
    return harnessFail(zFile, iLine, "value has type %d, expected integer %lld",
                       pVal->eType, (long long)i);
  }
  if( pVal->i!=i ){
    return harnessFail(zFile, iLine, "value is %lld, expected %lld",
                       (long long)pVal->i, (long long)i);
  }
  return 1;
}

/* testCheckValText: see support.h. */
int testCheckValText(const WrValue *pVal, const char *z, const char *zFile, int iLine){
  size_t n = strlen(z);
  if( pVal==0 ) return harnessFail(zFile, iLine, "no such value");
  if( pVal->eType!=WIRE_TEXT ){
    return harnessFail(zFile, iLine, "value has type %d, expected text \"%s\"",
                       pVal->eType, z);
  }
  if( pVal->n!=n || (n && memcmp(pVal->z, z, n)!=0) ){
    return harnessFail(zFile, iLine, "value is \"%.*s\", expected \"%s\"",
                       (int)pVal->n, (const char*)pVal->z, z);
  }
  return 1;
}

/* testCheckStr: see support.h. */
int testCheckStr(WrStr s, const char *z, const char *zFile, int iLine){
  size_t n = strlen(z);
  if( s.n==n && (n==0 || memcmp(s.z, z, n)==0) ) return 1;
  return harnessFail(zFile, iLine, "string is \"%.*s\", expected \"%s\"",
                     (int)s.n, s.z, z);
}

/* testRemoveDb: see support.h. Missing files are not an error. */
void testRemoveDb(const char *zPath){
  char zSide[512];
  unlink(zPath);
  snprintf(zSide, sizeof(zSide), "%s-journal", zPath);
  unlink(zSide);
  snprintf(zSide, sizeof(zSide), "%s-wal", zPath);
  unlink(zSide);
  snprintf(zSide, sizeof(zSide), "%s-shm", zPath);
  unlink(zSide);
}
