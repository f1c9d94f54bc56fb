/*
** test_params.c — SQWP parameter buffers: binding by position, by ?NNN and by name,
** values that must come back bit-exact, binding-rule violations (SQLITE_RANGE naming
** the parameter), and an abuse block of malformed buffers that must fail cleanly.
*/
#include <math.h>
#include <string.h>

#include "sqlite3.h"
#include "support.h"

/* Frees the Wp given to harnessDefer(). */
static void paramsFreeWp(void *p){
  wpFree((Wp*)p);
}

/* Returns a Wp freed when the test ends (a test uses at most a few). */
static Wp *paramsNewWp(void){
  static Wp aWp[4];
  static int iNext = 0;
  Wp *p = &aWp[iNext];
  iNext = (iNext+1) % 4;
  wpInit(p);
  harnessDefer(paramsFreeWp, p);
  return p;
}

/*
** Runs "SELECT ?1" with the single value already added to pWp and returns the value that
** came back, or NULL after recording a failure.
*/
static const WrValue *paramsEcho(sqlw_db *pDb, Wp *pWp, const char *zFile, int iLine){
  size_t n;
  const unsigned char *a = wpFinish(pWp, 1, &n);
  const WrResult *pRes;
  if( a==0 ){
    harnessFail(zFile, iLine, "out of memory building parameters");
    return 0;
  }
  pRes = testExecAt(pDb, "SELECT ?1", a, n, 0, zFile, iLine);
  if( pRes->rc!=SQLITE_OK || pRes->nSet!=1 || pRes->aSet[0].nRow!=1 ){
    harnessFail(zFile, iLine, "SELECT ?1 failed: %s: %.*s", sqlw_code_name(pRes->rc),
                (int)pRes->err.n, pRes->err.z);
    return 0;
  }
  return wrCell(&pRes->aSet[0], 0, 0);
}
#define ECHO(pDb, pWp) paramsEcho((pDb), (pWp), __FILE__, __LINE__)

/* Bits of a double, to compare -0.0 and subnormals exactly. */
static uint64_t paramsBits(double r){
  uint64_t u;
  memcpy(&u, &r, 8);
  return u;
}

TEST(params100, "params-100 positional values bind in order"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb);
  wpInt(pWp, 10);
  wpText(pWp, "abc", 3);
  wpNull(pWp);
  a = wpFinish(pWp, 3, &n);
  REQUIRE(a);
  pRes = testExec(pDb, "SELECT ?, ?, ?", a, n);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 0), 10);
  CHECK_VAL_TEXT(wrCell(&pRes->aSet[0], 0, 1), "abc");
  CHECK_INT(wrCell(&pRes->aSet[0], 0, 2)->eType, WIRE_NULL);
}

TEST(params110, "params-110 ?NNN binds by number"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb);
  wpInt(pWp, 1);
  wpInt(pWp, 2);
  wpInt(pWp, 3);
  a = wpFinish(pWp, 3, &n);
  REQUIRE(a);
  /* parameter count is the largest number, 3, even though ?2 is unused */
  pRes = testExec(pDb, "SELECT ?3, ?1, ?3", a, n);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 0), 3);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 1), 1);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 2), 3);
}

TEST(params120, "params-120 names with a prefix match exactly"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb);
  /* given in another order than the SQL uses them */
  wpName(pWp, "$c");
  wpName(pWp, ":a");
  wpName(pWp, "@b");
  wpText(pWp, "C", 1);
  wpText(pWp, "A", 1);
  wpText(pWp, "B", 1);
  a = wpFinish(pWp, 3, &n);
  REQUIRE(a);
  pRes = testExec(pDb, "SELECT :a, @b, $c, :a", a, n);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  CHECK_VAL_TEXT(wrCell(&pRes->aSet[0], 0, 0), "A");
  CHECK_VAL_TEXT(wrCell(&pRes->aSet[0], 0, 1), "B");
  CHECK_VAL_TEXT(wrCell(&pRes->aSet[0], 0, 2), "C");
  CHECK_VAL_TEXT(wrCell(&pRes->aSet[0], 0, 3), "A");
}

TEST(params130, "params-130 bare names match any prefix"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb);
  wpName(pWp, "a");
  wpName(pWp, "b");
  wpName(pWp, "c");
  wpInt(pWp, 1);
  wpInt(pWp, 2);
  wpInt(pWp, 3);
  a = wpFinish(pWp, 3, &n);
  REQUIRE(a);
  pRes = testExec(pDb, "SELECT :a, @b, $c", a, n);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 0), 1);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 1), 2);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 2), 3);
}

TEST(params135, "params-135 one bare name binds every prefix it matches"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb);
  wpName(pWp, "v");
  wpInt(pWp, 7);
  a = wpFinish(pWp, 1, &n);
  REQUIRE(a);
  pRes = testExec(pDb, "SELECT :v, @v, $v", a, n);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 0), 7);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 1), 7);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 2), 7);
}

TEST(params140, "params-140 named values insert into a table"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  char zText[32];
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)"));
  wpName(pWp, "id");
  wpName(pWp, "name");
  wpInt(pWp, 5);
  wpText(pWp, "five", 4);
  a = wpFinish(pWp, 2, &n);
  REQUIRE(a);
  pRes = testExec(pDb, "INSERT INTO t VALUES(:id, :name)", a, n);
  CHECK_RC(pRes->rc, SQLITE_OK);
  CHECK_INT(pRes->nChange, 1);
  CHECK_INT(pRes->iLastRowid, 5);
  testText(pDb, "SELECT name FROM t WHERE id=5", zText, sizeof(zText));
  CHECK_STR(zText, "five");
}

TEST(params150, "params-150 positional values spread over a script"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb);
  wpInt(pWp, 1);
  wpInt(pWp, 2);
  wpInt(pWp, 3);
  a = wpFinish(pWp, 3, &n);
  REQUIRE(a);
  pRes = testExec(pDb, "SELECT ?; SELECT ?, ?", a, n);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==2);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 0), 1);
  CHECK_VAL_INT(wrCell(&pRes->aSet[1], 0, 0), 2);
  CHECK_VAL_INT(wrCell(&pRes->aSet[1], 0, 1), 3);
}

TEST(params160, "params-160 names spread over a script"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb);
  wpName(pWp, "a");
  wpName(pWp, "b");
  wpInt(pWp, 10);
  wpInt(pWp, 20);
  a = wpFinish(pWp, 2, &n);
  REQUIRE(a);
  /* b appears only in the second statement, a in both */
  pRes = testExec(pDb, "SELECT :a; SELECT :b, :a", a, n);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==2);
  CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 0), 10);
  CHECK_VAL_INT(wrCell(&pRes->aSet[1], 0, 0), 20);
  CHECK_VAL_INT(wrCell(&pRes->aSet[1], 0, 1), 10);
}

TEST(params200, "params-200 NULL and integer extremes round-trip"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const WrValue *pVal;
  static const int64_t aInt[] = { 0, 1, -1, INT64_MIN, INT64_MAX, 4294967296LL,
                                  -9007199254740993LL, 9007199254740993LL };
  size_t i;
  REQUIRE(pDb);
  wpNull(pWp);
  pVal = ECHO(pDb, pWp);
  if( pVal ) CHECK_INT(pVal->eType, WIRE_NULL);
  for(i=0; i<sizeof(aInt)/sizeof(aInt[0]); i++){
    wpFree(pWp);
    wpInit(pWp);
    wpInt(pWp, aInt[i]);
    pVal = ECHO(pDb, pWp);
    if( pVal ) CHECK_VAL_INT(pVal, aInt[i]);
  }
}

TEST(params210, "params-210 doubles round-trip bit-exact"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const WrValue *pVal;
  double aReal[8];
  size_t i;
  REQUIRE(pDb);
  aReal[0] = -0.0;
  aReal[1] = 1e308;
  aReal[2] = 5e-324;           /* the smallest subnormal */
  aReal[3] = -2.2250738585072014e-308;
  aReal[4] = 0.1;
  aReal[5] = HUGE_VAL;
  aReal[6] = -HUGE_VAL;
  aReal[7] = 1.0;              /* integral: must stay a FLOAT, not become an INTEGER */
  for(i=0; i<sizeof(aReal)/sizeof(aReal[0]); i++){
    wpFree(pWp);
    wpInit(pWp);
    wpDouble(pWp, aReal[i]);
    pVal = ECHO(pDb, pWp);
    if( pVal==0 ) continue;
    if( CHECK_INT(pVal->eType, WIRE_FLOAT) ){
      if( !CHECK_INT(paramsBits(pVal->r), paramsBits(aReal[i])) ){
        FAIL("double #%zu: got %.17g, expected %.17g", i, pVal->r, aReal[i]);
      }
    }
  }
  /* the sign of -0.0 as such, in case the bits check above were ever relaxed */
  wpFree(pWp);
  wpInit(pWp);
  wpDouble(pWp, -0.0);
  pVal = ECHO(pDb, pWp);
  if( pVal ) CHECK(pVal->eType==WIRE_FLOAT && signbit(pVal->r) && pVal->r==0.0);
}

TEST(params220, "params-220 text with NUL, empty text and UTF-8 round-trip"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const WrValue *pVal;
  static const char zNul[] = "a\0b\0";
  static const char zUtf8[] = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80";
  REQUIRE(pDb);

  wpText(pWp, zNul, 4);
  pVal = ECHO(pDb, pWp);
  if( pVal && CHECK_INT(pVal->eType, WIRE_TEXT) ) CHECK_MEM(pVal->z, pVal->n, zNul, 4);

  wpFree(pWp);
  wpInit(pWp);
  wpText(pWp, "", 0);
  pVal = ECHO(pDb, pWp);
  /* empty text is text, not NULL */
  if( pVal && CHECK_INT(pVal->eType, WIRE_TEXT) ) CHECK_INT(pVal->n, 0);

  wpFree(pWp);
  wpInit(pWp);
  wpText(pWp, zUtf8, strlen(zUtf8));
  pVal = ECHO(pDb, pWp);
  if( pVal ) CHECK_VAL_TEXT(pVal, zUtf8);
  CHECK_INT(testInt(pDb, "SELECT length('h\xc3\xa9llo')"), 5);
}

TEST(params230, "params-230 empty blob stays an empty blob"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const WrValue *pVal;
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb);
  wpBlob(pWp, 0, 0);
  pVal = ECHO(pDb, pWp);
  if( pVal && CHECK_INT(pVal->eType, WIRE_BLOB) ) CHECK_INT(pVal->n, 0);

  /* and stored in a table */
  REQUIRE(testOk(pDb, "CREATE TABLE t(b)"));
  a = wpFinish(pWp, 1, &n);
  REQUIRE(a);
  pRes = testExec(pDb, "INSERT INTO t VALUES(?)", a, n);
  CHECK_RC(pRes->rc, SQLITE_OK);
  CHECK_INT(testInt(pDb, "SELECT typeof(b)='blob' AND length(b)=0 FROM t"), 1);
}

TEST(params240, "params-240 a 1 MiB blob round-trips"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const WrValue *pVal;
  const unsigned char *a;
  size_t n;
  size_t i;
  const WrResult *pRes;
  unsigned char *aBlob;
  const size_t nBlob = 1024*1024;
  REQUIRE(pDb);
  aBlob = (unsigned char*)sqlite3_malloc64(nBlob);
  REQUIRE(aBlob);
  harnessDefer(sqlite3_free, aBlob);
  for(i=0; i<nBlob; i++) aBlob[i] = (unsigned char)(i*7 + (i>>9));
  wpBlob(pWp, aBlob, nBlob);
  pVal = ECHO(pDb, pWp);
  if( pVal && CHECK_INT(pVal->eType, WIRE_BLOB) ) CHECK_MEM(pVal->z, pVal->n, aBlob, nBlob);

  REQUIRE(testOk(pDb, "CREATE TABLE t(b)"));
  a = wpFinish(pWp, 1, &n);
  REQUIRE(a);
  pRes = testExec(pDb, "INSERT INTO t VALUES(?)", a, n);
  CHECK_RC(pRes->rc, SQLITE_OK);
  pRes = testExec(pDb, "SELECT b FROM t", 0, 0);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1 && pRes->aSet[0].nRow==1);
  pVal = wrCell(&pRes->aSet[0], 0, 0);
  if( CHECK_INT(pVal->eType, WIRE_BLOB) ) CHECK_MEM(pVal->z, pVal->n, aBlob, nBlob);
}

TEST(params250, "params-250 no buffer means no parameters"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb);
  pRes = testExec(pDb, "SELECT 1", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_OK);
  /* an explicit empty set is the same */
  a = wpFinish(pWp, 0, &n);
  REQUIRE(a);
  pRes = testExec(pDb, "SELECT 1", a, n);
  CHECK_RC(pRes->rc, SQLITE_OK);
  /* a parameter with no buffer is unbound: a RANGE error, not a silent NULL */
  pRes = testExec(pDb, "SELECT ?", 0, 0);
  CHECK_RC(pRes->rc, SQLITE_RANGE);
}

TEST(params300, "params-300 too few positional values is RANGE"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb);
  wpInt(pWp, 1);
  a = wpFinish(pWp, 1, &n);
  REQUIRE(a);
  pRes = testExec(pDb, "SELECT ?1, ?2", a, n);
  CHECK_RC(pRes->rc, SQLITE_RANGE);
  CHECK(pRes->err.n>0);
  CHECK(testContains(pRes->err, "2"));
  CHECK_RC(sqlw_errcode(pDb), SQLITE_RANGE);
}

TEST(params310, "params-310 too many positional values is RANGE"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x)"));
  wpInt(pWp, 1);
  wpInt(pWp, 2);
  a = wpFinish(pWp, 2, &n);
  REQUIRE(a);
  pRes = testExec(pDb, "INSERT INTO t VALUES(?)", a, n);
  CHECK_RC(pRes->rc, SQLITE_RANGE);
  CHECK(pRes->err.n>0);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 0);
}

TEST(params320, "params-320 a script short of values runs nothing"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x)"));
  wpInt(pWp, 1);
  a = wpFinish(pWp, 1, &n);
  REQUIRE(a);
  pRes = testExec(pDb, "INSERT INTO t VALUES(?); INSERT INTO t VALUES(?)", a, n);
  CHECK_RC(pRes->rc, SQLITE_RANGE);
  /* docs/format.md: binding rules are checked before a statement runs. A script with too
  ** few values fails at the statement that lacks them; the first one may have run. */
  CHECK(testInt(pDb, "SELECT count(*) FROM t")<=1);
}

TEST(params330, "params-330 unknown name is RANGE naming it"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb);
  wpName(pWp, "a");
  wpName(pWp, "zebra");
  wpInt(pWp, 1);
  wpInt(pWp, 2);
  a = wpFinish(pWp, 2, &n);
  REQUIRE(a);
  pRes = testExec(pDb, "SELECT :a", a, n);
  CHECK_RC(pRes->rc, SQLITE_RANGE);
  CHECK(testContains(pRes->err, "zebra"));
}

TEST(params340, "params-340 missing name is RANGE naming it"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb);
  wpName(pWp, "a");
  wpInt(pWp, 1);
  a = wpFinish(pWp, 1, &n);
  REQUIRE(a);
  pRes = testExec(pDb, "SELECT :a, :giraffe", a, n);
  CHECK_RC(pRes->rc, SQLITE_RANGE);
  CHECK(testContains(pRes->err, "giraffe"));
}

TEST(params350, "params-350 prefixed name does not match another prefix"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb);
  wpName(pWp, ":a");
  wpInt(pWp, 1);
  a = wpFinish(pWp, 1, &n);
  REQUIRE(a);
  pRes = testExec(pDb, "SELECT @a", a, n);
  CHECK_RC(pRes->rc, SQLITE_RANGE);
  CHECK(testContains(pRes->err, "a"));
}

TEST(params360, "params-360 names for a positional-only statement are RANGE"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb);
  wpName(pWp, "a");
  wpInt(pWp, 1);
  a = wpFinish(pWp, 1, &n);
  REQUIRE(a);
  pRes = testExec(pDb, "SELECT ?", a, n);
  CHECK_RC(pRes->rc, SQLITE_RANGE);
}

/* ------------------------------------------------------------ malformed buffers */

/*
** Runs "SELECT ?1, ?2" with the malformed buffer a[0..n) and checks that it fails with
** MISUSE or RANGE, that the result buffer is well formed, and that the connection still
** works afterwards.
*/
static void paramsRefused(sqlw_db *pDb, const unsigned char *a, size_t n,
                          const char *zWhat, const char *zFile, int iLine){
  const WrResult *pRes = testExecAt(pDb, "SELECT ?1, ?2", a, n, 0, zFile, iLine);
  if( (pRes->rc & 0xff)!=SQLITE_MISUSE && (pRes->rc & 0xff)!=SQLITE_RANGE ){
    harnessFail(zFile, iLine, "%s: got %s, expected MISUSE or RANGE", zWhat,
                sqlw_code_name(pRes->rc));
  }
  if( pRes->rc!=SQLITE_OK && pRes->err.n==0 ){
    harnessFail(zFile, iLine, "%s: no error message", zWhat);
  }
  pRes = testExecAt(pDb, "SELECT 1", 0, 0, 0, zFile, iLine);
  if( pRes->rc!=SQLITE_OK ){
    harnessFail(zFile, iLine, "%s: connection unusable afterwards", zWhat);
  }
}
#define REFUSED(pDb, a, n, zWhat) paramsRefused((pDb), (a), (n), (zWhat), __FILE__, __LINE__)

/* Builds a valid two-value buffer for "SELECT ?1, ?2" into pWp. */
static const unsigned char *paramsValid(Wp *pWp, size_t *pn){
  wpInt(pWp, 1);
  wpText(pWp, "two", 3);
  return wpFinish(pWp, 2, pn);
}

/* Copies a[0..n) into a buffer freed when the test ends; NULL if out of memory. */
static unsigned char *paramsCopy(const unsigned char *a, size_t n){
  unsigned char *aCopy = (unsigned char*)sqlite3_malloc64(n ? n : 1);
  if( aCopy==0 ) return 0;
  memcpy(aCopy, a, n);
  harnessDefer(sqlite3_free, aCopy);
  return aCopy;
}

/* Stores the 32-bit little-endian v at a+i. */
static void paramsPut32(unsigned char *a, size_t i, uint32_t v){
  a[i] = (unsigned char)v;
  a[i+1] = (unsigned char)(v>>8);
  a[i+2] = (unsigned char)(v>>16);
  a[i+3] = (unsigned char)(v>>24);
}

TEST(params400, "params-400 the valid buffer of the abuse block works"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  size_t n;
  const unsigned char *a = paramsValid(pWp, &n);
  const WrResult *pRes;
  REQUIRE(pDb && a);
  pRes = testExec(pDb, "SELECT ?1, ?2", a, n);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  CHECK_VAL_TEXT(wrCell(&pRes->aSet[0], 0, 1), "two");
}

TEST(params410, "params-410 bad magic, version or flags is refused"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  size_t n;
  const unsigned char *aValid = paramsValid(pWp, &n);
  unsigned char *a;
  REQUIRE(pDb && aValid);
  a = paramsCopy(aValid, n);
  REQUIRE(a);

  a[0] = 'X';
  REFUSED(pDb, a, n, "bad magic");
  memcpy(a, "SQWR", 4);
  REFUSED(pDb, a, n, "result magic in a parameter buffer");
  memcpy(a, aValid, n);

  a[4] = 2;
  REFUSED(pDb, a, n, "version 2");
  a[4] = 0;
  REFUSED(pDb, a, n, "version 0");
  a[4] = 1;
  a[5] = 1;
  REFUSED(pDb, a, n, "version 257");
  memcpy(a, aValid, n);

  a[6] = 1;
  REFUSED(pDb, a, n, "flags 1");
  a[6] = 0;
  a[7] = 0x80;
  REFUSED(pDb, a, n, "flags 0x8000");
}

TEST(params420, "params-420 every truncation of a valid buffer is refused"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  size_t n;
  size_t nCut;
  const unsigned char *aValid = paramsValid(pWp, &n);
  REQUIRE(pDb && aValid);
  /* nCut==0 is "no buffer", which leaves ?1 and ?2 unbound: RANGE as well */
  for(nCut=0; nCut<n; nCut++){
    /* a private copy of exactly nCut bytes, so a read past it is caught by ASan */
    unsigned char *a = (unsigned char*)sqlite3_malloc64(nCut ? nCut : 1);
    REQUIRE(a);
    memcpy(a, aValid, nCut);
    REFUSED(pDb, nCut ? a : 0, nCut, "truncated");
    sqlite3_free(a);
  }
}

TEST(params430, "params-430 trailing bytes are refused"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  size_t n;
  const unsigned char *a;
  REQUIRE(pDb);
  wpInt(pWp, 1);
  wpInt(pWp, 2);
  wpRaw(pWp, "\x05", 1);           /* a NULL value beyond nValue */
  a = wpFinish(pWp, 2, &n);
  REQUIRE(a);
  REFUSED(pDb, a, n, "one value too many");
  wpFree(pWp);
  wpInit(pWp);
  wpInt(pWp, 1);
  wpInt(pWp, 2);
  wpRaw(pWp, "\x00", 1);
  a = wpFinish(pWp, 2, &n);
  REQUIRE(a);
  REFUSED(pDb, a, n, "one zero byte after the last value");
}

TEST(params440, "params-440 lengths past the end are refused"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  size_t n;
  const unsigned char *aValid;
  unsigned char *a;
  size_t iLen;
  REQUIRE(pDb);
  wpInt(pWp, 1);
  wpText(pWp, "two", 3);
  aValid = wpFinish(pWp, 2, &n);
  REQUIRE(aValid);
  a = paramsCopy(aValid, n);
  REQUIRE(a);
  iLen = 20 + 9 + 1;               /* header, integer value, text tag */
  paramsPut32(a, iLen, 4);
  REFUSED(pDb, a, n, "text length one past the end");
  paramsPut32(a, iLen, 0xffffffffu);
  REFUSED(pDb, a, n, "text length 2^32-1");
  paramsPut32(a, iLen, 0x80000000u);
  REFUSED(pDb, a, n, "text length 2^31");
  a[iLen-1] = WIRE_BLOB;
  paramsPut32(a, iLen, 0xfffffffdu);
  REFUSED(pDb, a, n, "blob length 2^32-3");

  /* a name length past the end */
  wpFree(pWp);
  wpInit(pWp);
  wpName(pWp, "a");
  wpName(pWp, "b");
  wpInt(pWp, 1);
  wpInt(pWp, 2);
  aValid = wpFinish(pWp, 2, &n);
  REQUIRE(aValid);
  a = paramsCopy(aValid, n);
  REQUIRE(a);
  paramsPut32(a, 20, 0xfffffff0u);
  REFUSED(pDb, a, n, "name length 2^32-16");
}

TEST(params450, "params-450 huge or inconsistent counts are refused"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  size_t n;
  const unsigned char *a;
  REQUIRE(pDb);
  wpInt(pWp, 1);
  wpInt(pWp, 2);
  a = wpFinishRaw(pWp, 1, 0, 0, 0xffffffffu, 1, &n);
  REQUIRE(a);
  REFUSED(pDb, a, n, "nValue 2^32-1");
  a = wpFinishRaw(pWp, 1, 0, 0, 2, 0xffffffffu, &n);
  REQUIRE(a);
  REFUSED(pDb, a, n, "nSet 2^32-1");
  a = wpFinishRaw(pWp, 1, 0, 0, 0x80000000u, 0x80000000u, &n);
  REQUIRE(a);
  REFUSED(pDb, a, n, "nValue*nSet overflows 32 and 64 bits");
  a = wpFinishRaw(pWp, 1, 0, 0xffffffffu, 2, 1, &n);
  REQUIRE(a);
  REFUSED(pDb, a, n, "nName 2^32-1");
  a = wpFinishRaw(pWp, 1, 0, 0, 1, 2, &n);
  REQUIRE(a);
  REFUSED(pDb, a, n, "two sets of one value for one statement run");
  a = wpFinishRaw(pWp, 1, 0, 0, 2, 0, &n);
  REQUIRE(a);
  REFUSED(pDb, a, n, "nSet 0 with values present");

  /* nName that differs from nValue */
  wpFree(pWp);
  wpInit(pWp);
  wpName(pWp, "a");
  wpInt(pWp, 1);
  wpInt(pWp, 2);
  a = wpFinishRaw(pWp, 1, 0, 1, 2, 1, &n);
  REQUIRE(a);
  REFUSED(pDb, a, n, "one name for two values");
}

TEST(params460, "params-460 unknown type tags are refused"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  static const unsigned char aTag[] = { 0, 6, 7, 0x41, 0xff };
  size_t i;
  REQUIRE(pDb);
  for(i=0; i<sizeof(aTag); i++){
    size_t n;
    const unsigned char *a;
    unsigned char aVal[9];
    memset(aVal, 0, sizeof(aVal));
    aVal[0] = aTag[i];
    wpFree(pWp);
    wpInit(pWp);
    wpInt(pWp, 1);
    wpRaw(pWp, aVal, sizeof(aVal));
    a = wpFinishRaw(pWp, 1, 0, 0, 2, 1, &n);
    REQUIRE(a);
    REFUSED(pDb, a, n, "unknown tag");
  }
}

TEST(params470, "params-470 a buffer of garbage is refused"){
  sqlw_db *pDb = testOpenMem();
  unsigned char a[256];
  size_t i;
  REQUIRE(pDb);
  for(i=0; i<sizeof(a); i++) a[i] = (unsigned char)(i*37 + 11);
  REFUSED(pDb, a, sizeof(a), "garbage");
  memcpy(a, "SQWP\x01\x00\x00\x00", 8);
  REFUSED(pDb, a, sizeof(a), "valid header then garbage");
}

TEST(params480, "params-480 a refused buffer does not disturb a transaction"){
  sqlw_db *pDb = testOpenMem();
  unsigned char a[8] = { 'S', 'Q', 'W', 'P', 9, 9, 9, 9 };
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x); BEGIN; INSERT INTO t VALUES(1)"));
  REFUSED(pDb, a, sizeof(a), "bad version inside a transaction");
  CHECK_INT(sqlw_stat(pDb, SQLW_STAT_AUTOCOMMIT), 0);
  REQUIRE(testOk(pDb, "COMMIT"));
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM t"), 1);
}

TEST(params490, "params-490 duplicate or empty names fail cleanly"){
  sqlw_db *pDb = testOpenMem();
  Wp *pWp = paramsNewWp();
  const unsigned char *a;
  size_t n;
  const WrResult *pRes;
  REQUIRE(pDb);
  wpName(pWp, "a");
  wpName(pWp, ":a");
  wpInt(pWp, 1);
  wpInt(pWp, 2);
  a = wpFinish(pWp, 2, &n);
  REQUIRE(a);
  /* two values for one parameter: ambiguous, so refused (never a silent pick) */
  pRes = testExec(pDb, "SELECT :a", a, n);
  CHECK_PRIMARY(pRes->rc, SQLITE_RANGE, SQLITE_MISUSE);

  wpFree(pWp);
  wpInit(pWp);
  wpName(pWp, "");
  wpInt(pWp, 1);
  a = wpFinish(pWp, 1, &n);
  REQUIRE(a);
  pRes = testExec(pDb, "SELECT :a", a, n);
  CHECK_PRIMARY(pRes->rc, SQLITE_RANGE, SQLITE_MISUSE);
  CHECK_INT(testInt(pDb, "SELECT 1"), 1);
}
