/*
** wire.c — test-side SQWP encoder and SQWR reader; see wire.h and docs/format.md.
**
** The reader trusts nothing in the buffer: every count is checked against the bytes left
** before anything is allocated for it, so a corrupt buffer from a fuzzed core yields an
** error string, never a huge allocation or an out-of-bounds read.
*/
#include "wire.h"

#include <string.h>

#include "sqlite3.h"
#include "proto.h"

#define WIRE_VERSION 1

/* ---------------------------------------------------------------- byte buffers */

/*
** Makes room for n more bytes in p. Returns 1 if there is room, 0 (and sets p->bOom)
** when memory runs out. The old bytes stay valid on failure.
*/
static int wireReserve(WireBuf *p, size_t n){
  size_t nNeed;
  size_t nNew;
  unsigned char *aNew;
  if( p->bOom ) return 0;
  nNeed = p->n + n;
  if( nNeed<p->n ){ p->bOom = 1; return 0; }    /* size_t overflow */
  if( nNeed<=p->nAlloc ) return 1;
  nNew = p->nAlloc ? p->nAlloc : 64;
  while( nNew<nNeed ) nNew *= 2;
  aNew = (unsigned char*)sqlite3_realloc64(p->a, (sqlite3_uint64)nNew);
  if( aNew==0 ){ p->bOom = 1; return 0; }
  p->a = aNew;
  p->nAlloc = nNew;
  return 1;
}

/* Appends a[0..n) to p (a may be NULL when n is 0). */
static void wireAppend(WireBuf *p, const void *a, size_t n){
  if( n==0 || !wireReserve(p, n) ) return;
  memcpy(p->a + p->n, a, n);
  p->n += n;
}

/* Appends one byte. */
static void wireU8(WireBuf *p, unsigned v){
  unsigned char c = (unsigned char)v;
  wireAppend(p, &c, 1);
}

/* Appends v as a little-endian integer of nByte bytes (2, 4 or 8). */
static void wireLE(WireBuf *p, uint64_t v, int nByte){
  unsigned char a[8];
  int i;
  for(i=0; i<nByte; i++) a[i] = (unsigned char)(v >> (8*i));
  wireAppend(p, a, (size_t)nByte);
}

/* Frees the bytes of p and zeroes it. */
static void wireBufFree(WireBuf *p){
  sqlite3_free(p->a);
  memset(p, 0, sizeof(*p));
}

/* ---------------------------------------------------------------- SQWP encoder */

/* wpInit: prepares an empty parameter buffer. Nothing is allocated yet. */
void wpInit(Wp *p){
  memset(p, 0, sizeof(*p));
}

/* wpFree: releases every buffer of p, including the one wpFinish() returned. */
void wpFree(Wp *p){
  wireBufFree(&p->names);
  wireBufFree(&p->values);
  wireBufFree(&p->out);
  p->nName = 0;
  p->nValue = 0;
}

/* wpName: appends the NUL-terminated name zName (copied). */
void wpName(Wp *p, const char *zName){
  size_t n = strlen(zName);
  wireLE(&p->names, n, 4);
  wireAppend(&p->names, zName, n);
  p->nName++;
}

/* wpNull: appends a NULL value. */
void wpNull(Wp *p){
  wireU8(&p->values, WIRE_NULL);
  p->nValue++;
}

/* wpInt: appends a 64-bit integer value. */
void wpInt(Wp *p, int64_t i){
  wireU8(&p->values, WIRE_INTEGER);
  wireLE(&p->values, (uint64_t)i, 8);
  p->nValue++;
}

/* wpDouble: appends a double value, bit for bit (-0.0 and NaN payloads included). */
void wpDouble(Wp *p, double r){
  uint64_t u;
  memcpy(&u, &r, 8);
  wireU8(&p->values, WIRE_FLOAT);
  wireLE(&p->values, u, 8);
  p->nValue++;
}

/* wpText: appends the text z[0..n) (copied; may hold NUL bytes; z may be NULL if n is 0). */
void wpText(Wp *p, const char *z, size_t n){
  wireU8(&p->values, WIRE_TEXT);
  wireLE(&p->values, n, 4);
  wireAppend(&p->values, z, n);
  p->nValue++;
}

/* wpBlob: appends the blob a[0..n) (copied; a may be NULL if n is 0). */
void wpBlob(Wp *p, const void *a, size_t n){
  wireU8(&p->values, WIRE_BLOB);
  wireLE(&p->values, n, 4);
  wireAppend(&p->values, a, n);
  p->nValue++;
}

/* wpRaw: appends a[0..n) to the values section as is; counts no value. */
void wpRaw(Wp *p, const void *a, size_t n){
  wireAppend(&p->values, a, n);
}

/*
** wpFinishRaw: builds header + names + values with the header fields given.
** Returns the buffer (owned by p) and its length in *pn, or NULL if out of memory.
*/
const unsigned char *wpFinishRaw(Wp *p, uint16_t iVersion, uint16_t flags,
                                 uint32_t nName, uint32_t nValue, uint32_t nSet,
                                 size_t *pn){
  *pn = 0;
  p->out.n = 0;
  wireAppend(&p->out, "SQWP", 4);
  wireLE(&p->out, iVersion, 2);
  wireLE(&p->out, flags, 2);
  wireLE(&p->out, nName, 4);
  wireLE(&p->out, nValue, 4);
  wireLE(&p->out, nSet, 4);
  wireAppend(&p->out, p->names.a, p->names.n);
  wireAppend(&p->out, p->values.a, p->values.n);
  if( p->names.bOom || p->values.bOom || p->out.bOom ) return 0;
  *pn = p->out.n;
  return p->out.a;
}

/*
** wpFinish: builds a well-formed buffer holding the names and values added so far, with
** nValue values per set. Returns the buffer (owned by p) or NULL if out of memory.
*/
const unsigned char *wpFinish(Wp *p, uint32_t nValue, size_t *pn){
  uint32_t nSet = nValue ? p->nValue/nValue : 1;
  return wpFinishRaw(p, WIRE_VERSION, 0, p->nName, nValue, nSet, pn);
}

/* ---------------------------------------------------------------- SQWR reader */

/* A read cursor over the buffer being parsed. */
typedef struct WrCursor WrCursor;
struct WrCursor {
  const unsigned char *a;    /* the buffer */
  size_t n;                  /* its length */
  size_t i;                  /* next byte to read */
  const char *zErr;          /* first problem found, or NULL */
};

/* Bytes left after the cursor. */
static size_t wrLeft(const WrCursor *p){
  return p->n - p->i;
}

/*
** Takes nByte bytes from the cursor. Returns a pointer to them, or NULL (recording zWhy)
** when fewer are left or an earlier read failed.
*/
static const unsigned char *wrTake(WrCursor *p, size_t nByte, const char *zWhy){
  const unsigned char *a;
  if( p->zErr ) return 0;
  if( nByte>wrLeft(p) ){
    p->zErr = zWhy;
    return 0;
  }
  a = p->a + p->i;
  p->i += nByte;
  return a;
}

/* Reads a little-endian unsigned integer of nByte bytes; 0 after a failure. */
static uint64_t wrLE(WrCursor *p, int nByte, const char *zWhy){
  const unsigned char *a = wrTake(p, (size_t)nByte, zWhy);
  uint64_t v = 0;
  int i;
  if( a==0 ) return 0;
  for(i=nByte-1; i>=0; i--) v = (v<<8) | a[i];
  return v;
}

/* Reads a (u32 n, n bytes) string into *pStr. */
static void wrString(WrCursor *p, WrStr *pStr, const char *zWhy){
  uint32_t n = (uint32_t)wrLE(p, 4, zWhy);
  const unsigned char *z = wrTake(p, n, zWhy);
  pStr->z = z ? (const char*)z : "";
  pStr->n = z ? n : 0;
}

/* Reads one tagged value into *pVal. */
static void wrValue(WrCursor *p, WrValue *pVal){
  const unsigned char *pTag = wrTake(p, 1, "value past the end");
  uint64_t u;
  if( pTag==0 ) return;
  pVal->eType = *pTag;
  switch( pVal->eType ){
    case WIRE_INTEGER:
      pVal->i = (int64_t)wrLE(p, 8, "integer past the end");
      break;
    case WIRE_FLOAT:
      u = wrLE(p, 8, "float past the end");
      memcpy(&pVal->r, &u, 8);
      break;
    case WIRE_TEXT:
    case WIRE_BLOB:
      pVal->n = (uint32_t)wrLE(p, 4, "text/blob length past the end");
      pVal->z = wrTake(p, pVal->n, "text/blob bytes past the end");
      if( pVal->z==0 ) pVal->n = 0;
      break;
    case WIRE_NULL:
      break;
    default:
      if( p->zErr==0 ) p->zErr = "unknown value type tag";
      break;
  }
}

/* Allocates n zeroed elements of sz bytes; NULL (and records OOM) on failure. */
static void *wrAlloc(WrCursor *p, uint64_t n, size_t sz){
  void *pNew;
  if( p->zErr ) return 0;
  if( n==0 ) n = 1;      /* a valid pointer even for empty arrays keeps callers simple */
  pNew = sqlite3_malloc64(n*sz);
  if( pNew==0 ){
    p->zErr = "out of memory";
    return 0;
  }
  memset(pNew, 0, (size_t)(n*sz));
  return pNew;
}

/* Reads one result set into *pSet. */
static void wrResultSet(WrCursor *p, WrSet *pSet){
  uint32_t i;
  uint64_t nVal;
  pSet->nCol = (uint32_t)wrLE(p, 4, "column count past the end");
  if( p->zErr ) return;
  if( pSet->nCol==0 ){
    p->zErr = "result set with no columns";
    return;
  }
  /* each column needs at least two 4-byte lengths */
  if( pSet->nCol > wrLeft(p)/8 ){
    p->zErr = "column count larger than the buffer";
    return;
  }
  pSet->aName = (WrStr*)wrAlloc(p, pSet->nCol, sizeof(WrStr));
  pSet->aDecl = (WrStr*)wrAlloc(p, pSet->nCol, sizeof(WrStr));
  for(i=0; i<pSet->nCol && p->zErr==0; i++){
    wrString(p, &pSet->aName[i], "column name past the end");
  }
  for(i=0; i<pSet->nCol && p->zErr==0; i++){
    wrString(p, &pSet->aDecl[i], "declared type past the end");
  }
  pSet->nRow = (uint32_t)wrLE(p, 4, "row count past the end");
  if( p->zErr ) return;
  /* each value needs at least its 1-byte tag */
  nVal = (uint64_t)pSet->nRow * pSet->nCol;
  if( nVal > wrLeft(p) ){
    p->zErr = "row count larger than the buffer";
    return;
  }
  pSet->aVal = (WrValue*)wrAlloc(p, nVal, sizeof(WrValue));
  for(i=0; i<nVal && p->zErr==0; i++){
    wrValue(p, &pSet->aVal[i]);
  }
}

/*
** wrParse: see wire.h. Besides the layout it checks the two rules docs/format.md states
** about the header: no result sets when rc is not 0, no message when rc is 0.
*/
const char *wrParse(const unsigned char *a, size_t n, WrResult *pRes){
  WrCursor cur;
  const unsigned char *aMagic;
  uint32_t i;

  memset(pRes, 0, sizeof(*pRes));
  pRes->err.z = "";
  if( a==0 ) return "no buffer";
  cur.a = a;
  cur.n = n;
  cur.i = 0;
  cur.zErr = 0;

  aMagic = wrTake(&cur, 4, "shorter than the header");
  if( aMagic && memcmp(aMagic, "SQWR", 4)!=0 ) return "bad magic";
  if( wrLE(&cur, 2, "shorter than the header")!=WIRE_VERSION && cur.zErr==0 ){
    return "unknown version";
  }
  if( (wrLE(&cur, 2, "shorter than the header") & ~(uint64_t)(SQLW_FLAG_IN_TXN|SQLW_FLAG_MORE))!=0
   && cur.zErr==0 ){
    return "unknown flags";
  }
  pRes->rc = (int)(uint32_t)wrLE(&cur, 4, "shorter than the header");
  pRes->iErrOffset = (int)(uint32_t)wrLE(&cur, 4, "shorter than the header");
  pRes->nChange = (int64_t)wrLE(&cur, 8, "shorter than the header");
  pRes->iLastRowid = (int64_t)wrLE(&cur, 8, "shorter than the header");
  pRes->nStatement = (uint32_t)wrLE(&cur, 4, "shorter than the header");
  pRes->nSet = (uint32_t)wrLE(&cur, 4, "shorter than the header");
  if( cur.zErr ) goto parse_failed;

  /* each result set needs at least its column count and row count */
  if( pRes->nSet > wrLeft(&cur)/8 ){
    cur.zErr = "result set count larger than the buffer";
    goto parse_failed;
  }
  pRes->aSet = (WrSet*)wrAlloc(&cur, pRes->nSet, sizeof(WrSet));
  for(i=0; i<pRes->nSet && cur.zErr==0; i++){
    wrResultSet(&cur, &pRes->aSet[i]);
  }
  wrString(&cur, &pRes->err, "error message past the end");
  if( cur.zErr ) goto parse_failed;
  if( cur.i!=cur.n ){
    cur.zErr = "bytes after the error message";
    goto parse_failed;
  }
  if( pRes->rc!=0 && pRes->nSet!=0 ){
    cur.zErr = "result sets despite an error";
    goto parse_failed;
  }
  if( pRes->rc==0 && pRes->err.n!=0 ){
    cur.zErr = "error message without an error";
    goto parse_failed;
  }
  return 0;

parse_failed:
  wrFree(pRes);
  return cur.zErr;
}

/* wrFree: releases the arrays of pRes and zeroes it. */
void wrFree(WrResult *pRes){
  uint32_t i;
  if( pRes->aSet ){
    for(i=0; i<pRes->nSet; i++){
      sqlite3_free(pRes->aSet[i].aName);
      sqlite3_free(pRes->aSet[i].aDecl);
      sqlite3_free(pRes->aSet[i].aVal);
    }
    sqlite3_free(pRes->aSet);
  }
  memset(pRes, 0, sizeof(*pRes));
  pRes->err.z = "";
}

/* wrCell: the value at (iRow, iCol) of pSet, or NULL when out of range. */
const WrValue *wrCell(const WrSet *pSet, uint32_t iRow, uint32_t iCol){
  if( pSet==0 || iRow>=pSet->nRow || iCol>=pSet->nCol || pSet->aVal==0 ) return 0;
  return &pSet->aVal[(size_t)iRow*pSet->nCol + iCol];
}
