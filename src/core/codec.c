/*
** codec.c — encodes results (SQWR) and decodes and binds parameters (SQWP); the layouts
** are specified in docs/format.md.
**
** Trust: a parameter buffer comes from JavaScript and, in a multi-tab deployment, from
** other tabs, so it is untrusted. sqlwParamsOpen() walks it completely and refuses it
** unless every length lies inside it and it ends exactly after the last value; the
** binders then read it without further checks. This is the code the params fuzzer
** (tests/fuzz/fuzz_params.c) aims at.
*/
#include <string.h>
#include "codec.h"

/* Little-endian stores and loads that need no alignment. */
static void codecPut32(unsigned char *a, uint32_t v){
  a[0] = (unsigned char)v;         a[1] = (unsigned char)(v>>8);
  a[2] = (unsigned char)(v>>16);   a[3] = (unsigned char)(v>>24);
}
static void codecPut64(unsigned char *a, uint64_t v){
  codecPut32(a, (uint32_t)v);
  codecPut32(a+4, (uint32_t)(v>>32));
}
static uint32_t codecGet32(const unsigned char *a){
  return (uint32_t)a[0] | (uint32_t)a[1]<<8 | (uint32_t)a[2]<<16 | (uint32_t)a[3]<<24;
}
static uint64_t codecGet64(const unsigned char *a){
  return (uint64_t)codecGet32(a) | (uint64_t)codecGet32(a+4)<<32;
}

/*
** Makes room for nMore bytes after p->n. Returns 0, or SQLITE_NOMEM (and sets bOom)
** when the buffer cannot grow; then p keeps its old contents.
*/
int sqlwBufReserve(SqlwBuf *p, size_t nMore){
  size_t nNeed;
  unsigned char *aNew;
  size_t nNew;
  if( p->bOom ) return SQLITE_NOMEM;
  nNeed = p->n + nMore;
  if( nNeed<p->n || nNeed>(size_t)0x7fffffff ){   /* overflow, or past 2 GiB */
    p->bOom = p->nMax ? 2 : 1;
    return SQLITE_NOMEM;
  }
  if( p->nMax && nNeed>p->nMax ){
    p->bOom = 2;
    return SQLITE_NOMEM;
  }
  if( nNeed<=p->nAlloc ) return SQLITE_OK;
  /* Doubled, as appends add up; one large append (a big value) gets an eighth more
  ** than it needs, not the next power of two (a 64 MiB blob does not take 128). */
  nNew = p->nAlloc<4096 ? 4096 : (p->nAlloc>(size_t)0x7fffffff ? nNeed : p->nAlloc*2);
  if( nNew<nNeed ) nNew = nNeed+nNeed/8;
  aNew = sqlite3_realloc64(p->a, nNew);
  if( aNew==0 ){
    p->bOom = 1;
    return SQLITE_NOMEM;
  }
  p->a = aNew;
  p->nAlloc = nNew;
  return SQLITE_OK;
}

/* Frees the buffer's memory; p may be reused after. */
void sqlwBufFree(SqlwBuf *p){
  size_t nMax = p->nMax;
  sqlite3_free(p->a);
  memset(p, 0, sizeof(*p));
  p->nMax = nMax;
}

/*
** Appends pFrom's bytes to pTo and empties pFrom. An empty pTo takes pFrom's allocation
** (the two trade theirs): an answer of megabytes changes hands without a copy, so a
** large result is not held twice. Returns SQLITE_OK, or SQLITE_NOMEM (pTo's bOom set)
** when the copy fails or would pass pTo's nMax.
*/
int sqlwBufMove(SqlwBuf *pTo, SqlwBuf *pFrom){
  if( pTo->n==0 && !pTo->bOom && (pTo->nMax==0 || pFrom->n<=pTo->nMax) ){
    unsigned char *a = pTo->a;
    size_t nAlloc = pTo->nAlloc;
    pTo->a = pFrom->a;
    pTo->n = pFrom->n;
    pTo->nAlloc = pFrom->nAlloc;
    pFrom->a = a;
    pFrom->nAlloc = nAlloc;
  }else{
    if( sqlwBufReserve(pTo, pFrom->n) ) return SQLITE_NOMEM;
    if( pFrom->n ) memcpy(pTo->a+pTo->n, pFrom->a, pFrom->n);
    pTo->n += pFrom->n;
  }
  pFrom->n = 0;
  return SQLITE_OK;
}

/* Appends n bytes. Drops them after an allocation failure (bOom tells). */
static void codecPutBytes(SqlwBuf *p, const void *z, size_t n){
  if( sqlwBufReserve(p, n) ) return;
  if( n ) memcpy(p->a+p->n, z, n);
  p->n += n;
}

/* Appends a u32 length followed by n bytes. */
static void codecPutLenBytes(SqlwBuf *p, const void *z, size_t n){
  if( sqlwBufReserve(p, 4+n) ) return;
  codecPut32(p->a+p->n, (uint32_t)n);
  if( n ) memcpy(p->a+p->n+4, z, n);
  p->n += 4+n;
}

/* Appends a NUL-terminated string (NULL as empty) with its length. */
static void codecPutString(SqlwBuf *p, const char *z){
  codecPutLenBytes(p, z ? z : "", z ? strlen(z) : 0);
}

/*
** Starts a result buffer: empties p and writes a zeroed header that
** sqlwResultFinish() fills in. Clears a previous allocation failure.
*/
void sqlwResultBegin(SqlwBuf *p){
  p->n = 0;
  p->bOom = 0;
  if( sqlwBufReserve(p, SQLW_RESULT_HEADER) ) return;
  memset(p->a, 0, SQLW_RESULT_HEADER);
  p->n = SQLW_RESULT_HEADER;
}

/*
** Starts a result set for pStmt: column count, names and declared types, and a row
** count to be patched by sqlwResultSetEnd(). Returns the offset of that row count.
*/
size_t sqlwResultSetBegin(SqlwBuf *p, sqlite3_stmt *pStmt){
  int nCol = sqlite3_column_count(pStmt);
  int i;
  size_t iRowCount;
  unsigned char a[4];
  codecPut32(a, (uint32_t)nCol);
  codecPutBytes(p, a, 4);
  for(i=0; i<nCol; i++) codecPutString(p, sqlite3_column_name(pStmt, i));
  for(i=0; i<nCol; i++) codecPutString(p, sqlite3_column_decltype(pStmt, i));
  iRowCount = p->n;
  codecPut32(a, 0);
  codecPutBytes(p, a, 4);
  return iRowCount;
}

/* Appends the current row of pStmt (nCol columns) as typed values. */
void sqlwResultRow(SqlwBuf *p, sqlite3_stmt *pStmt, int nCol){
  int i;
  for(i=0; i<nCol; i++){
    int eType = sqlite3_column_type(pStmt, i);
    unsigned char *z;
    switch( eType ){
      case SQLITE_INTEGER: {
        if( sqlwBufReserve(p, 9) ) return;
        z = p->a+p->n;
        z[0] = SQLITE_INTEGER;
        codecPut64(z+1, (uint64_t)sqlite3_column_int64(pStmt, i));
        p->n += 9;
        break;
      }
      case SQLITE_FLOAT: {
        double r = sqlite3_column_double(pStmt, i);
        uint64_t u;
        memcpy(&u, &r, 8);
        if( sqlwBufReserve(p, 9) ) return;
        z = p->a+p->n;
        z[0] = SQLITE_FLOAT;
        codecPut64(z+1, u);
        p->n += 9;
        break;
      }
      case SQLITE_TEXT:
      case SQLITE_BLOB: {
        const void *pData = eType==SQLITE_TEXT ?
            (const void*)sqlite3_column_text(pStmt, i) : sqlite3_column_blob(pStmt, i);
        size_t n = (size_t)sqlite3_column_bytes(pStmt, i);
        if( pData==0 && n>0 ){      /* the conversion ran out of memory */
          p->bOom = 1;
          return;
        }
        if( sqlwBufReserve(p, 5+n) ) return;
        z = p->a+p->n;
        z[0] = (unsigned char)eType;
        codecPut32(z+1, (uint32_t)n);
        if( n ) memcpy(z+5, pData, n);
        p->n += 5+n;
        break;
      }
      default: {
        unsigned char t = SQLITE_NULL;
        codecPutBytes(p, &t, 1);
        break;
      }
    }
  }
}

/* Writes the row count nRow of the result set whose count is at offset iSet. */
void sqlwResultSetEnd(SqlwBuf *p, size_t iSet, uint32_t nRow){
  if( !p->bOom && iSet+4<=p->n ) codecPut32(p->a+iSet, nRow);
}

/*
** Completes the result buffer: fills the header and appends the message. On an error
** (rc != 0) the result sets written so far are dropped, so an error result carries no
** rows. When the buffer ran out of memory, the outcome becomes SQLITE_NOMEM; when it
** would have passed its nMax, SQLITE_TOOBIG.
*/
void sqlwResultFinish(SqlwBuf *p, int rc, int iErrOff, int64_t nChange,
                      int64_t iRowid, uint32_t nStmt, uint32_t nSet, const char *zMsg){
  unsigned char *a;
  if( p->bOom ){
    rc = p->bOom==2 ? SQLITE_TOOBIG : SQLITE_NOMEM;
    zMsg = p->bOom==2 ? SQLW_TOOBIG_MSG : "out of memory";
    iErrOff = -1;
    p->bOom = 0;
  }
  if( rc!=SQLITE_OK ){
    nSet = 0;
    p->n = p->nAlloc>=SQLW_RESULT_HEADER ? SQLW_RESULT_HEADER : 0;
  }
  if( p->n<SQLW_RESULT_HEADER ){
    /* Not even the header fits: nothing can be reported but the caller's rc. */
    return;
  }
  a = p->a;
  memcpy(a, SQLW_MAGIC_RESULT, 4);
  a[4] = SQLW_FORMAT_VERSION; a[5] = 0;
  a[6] = 0; a[7] = 0;
  codecPut32(a+8, (uint32_t)rc);
  codecPut32(a+12, (uint32_t)iErrOff);
  codecPut64(a+16, (uint64_t)nChange);
  codecPut64(a+24, (uint64_t)iRowid);
  codecPut32(a+32, nStmt);
  codecPut32(a+36, nSet);
  codecPutString(p, rc==SQLITE_OK ? "" : zMsg);
  if( p->bOom ){
    /* The message did not fit: report the error with an empty message. */
    p->bOom = 0;
    p->n = SQLW_RESULT_HEADER;
    if( sqlwBufReserve(p, 4)==SQLITE_OK ){
      codecPut32(p->a+p->n, 0);
      p->n += 4;
    }
  }
}

void sqlwResultError(SqlwBuf *p, int rc, int iErrOff, const char *zMsg){
  sqlwResultBegin(p);
  if( p->bOom ) return;
  sqlwResultFinish(p, rc, iErrOff, 0, 0, 0, 0, zMsg);
  if( p->n==0 ) p->bOom = 1;
}

/*
** Returns the offset just after the value at i in a[0..n), or 0 when the value is
** malformed or runs past n (0 is never a valid end, the header comes first).
*/
static size_t codecSkipValue(const unsigned char *a, size_t n, size_t i){
  if( i>=n ) return 0;
  switch( a[i] ){
    case SQLITE_INTEGER:
    case SQLITE_FLOAT:   return n-i>=9 ? i+9 : 0;
    case SQLITE_NULL:    return i+1;
    case SQLITE_TEXT:
    case SQLITE_BLOB: {
      uint32_t nByte;
      if( n-i<5 ) return 0;
      nByte = codecGet32(a+i+1);
      return n-i-5>=nByte ? i+5+nByte : 0;
    }
    default:             return 0;
  }
}

/*
** Validates the parameter buffer a[0..n) and describes it in *p. An empty buffer
** means no parameters and one set. Returns SQLITE_OK, or SQLITE_MISUSE with *pzErr set
** to a static message saying what is wrong.
*/
int sqlwParamsOpen(SqlwParams *p, const unsigned char *a, size_t n, char **pzErr){
  size_t i;
  uint64_t nTotal, k;
  memset(p, 0, sizeof(*p));
  p->a = a;
  p->n = n;
  if( a==0 || n==0 ){
    p->nSet = 1;
    return SQLITE_OK;
  }
  if( n<SQLW_PARAMS_HEADER || memcmp(a, SQLW_MAGIC_PARAMS, 4)!=0 ){
    *pzErr = "parameter buffer: bad magic (not a SQWP buffer)";
    return SQLITE_MISUSE;
  }
  if( (a[4] | a[5]<<8)!=SQLW_FORMAT_VERSION ){
    *pzErr = "parameter buffer: unsupported format version";
    return SQLITE_MISUSE;
  }
  if( (a[6] | a[7])!=0 ){
    *pzErr = "parameter buffer: unknown flags";
    return SQLITE_MISUSE;
  }
  p->nName = codecGet32(a+8);
  p->nValue = codecGet32(a+12);
  p->nSet = codecGet32(a+16);
  if( p->nName!=0 && p->nName!=p->nValue ){
    *pzErr = "parameter buffer: name count differs from value count";
    return SQLITE_MISUSE;
  }
  /* Every value takes at least one byte: reject counts the buffer cannot hold before
  ** walking, so a forged count cannot make the walk long. */
  nTotal = (uint64_t)p->nValue * p->nSet;
  if( nTotal>n || p->nName>n ){
    *pzErr = "parameter buffer: counts exceed the buffer";
    return SQLITE_MISUSE;
  }
  i = 20;
  p->iNames = i;
  for(k=0; k<p->nName; k++){
    uint32_t nByte;
    if( n-i<4 || n-i-4<(nByte = codecGet32(a+i)) ){
      *pzErr = "parameter buffer: a name runs past the end";
      return SQLITE_MISUSE;
    }
    i += 4+nByte;
  }
  p->iValues = i;
  for(k=0; k<nTotal; k++){
    i = codecSkipValue(a, n, i);
    if( i==0 ){
      *pzErr = "parameter buffer: a value is malformed or runs past the end";
      return SQLITE_MISUSE;
    }
  }
  if( i!=n ){
    *pzErr = "parameter buffer: bytes after the last value";
    return SQLITE_MISUSE;
  }
  return SQLITE_OK;
}

/* Keeps the first failure: *pRc becomes rc unless it already holds an error. */
static void codecKeep(int *pRc, int rc){
  if( *pRc==SQLITE_OK ) *pRc = rc;
}

/* Binds the value at a[*piCursor] to parameter iParam (if iParam > 0) and advances the
** cursor. The buffer was validated by sqlwParamsOpen(). Returns SQLite's bind code. */
static int codecBindOne(sqlite3_stmt *pStmt, const unsigned char *a, size_t *piCursor,
                        const int *aIdx, int nIdx){
  size_t i = *piCursor;
  int rc = SQLITE_OK;
  int k;
  switch( a[i] ){
    case SQLITE_INTEGER: {
      sqlite3_int64 v = (sqlite3_int64)codecGet64(a+i+1);
      for(k=0; k<nIdx && aIdx[k]; k++) codecKeep(&rc, sqlite3_bind_int64(pStmt, aIdx[k], v));
      *piCursor = i+9;
      break;
    }
    case SQLITE_FLOAT: {
      uint64_t u = codecGet64(a+i+1);
      double r;
      memcpy(&r, &u, 8);
      for(k=0; k<nIdx && aIdx[k]; k++) codecKeep(&rc, sqlite3_bind_double(pStmt, aIdx[k], r));
      *piCursor = i+9;
      break;
    }
    case SQLITE_TEXT:
    case SQLITE_BLOB: {
      uint32_t nByte = codecGet32(a+i+1);
      /* SQLITE_STATIC: the buffer outlives the statement's use in this request, and
      ** the engine clears bindings before the request returns. A zero-length value
      ** still passes a non-NULL pointer, since NULL would bind SQL NULL. */
      const char *z = (const char*)a+i+5;
      for(k=0; k<nIdx && aIdx[k]; k++){
        if( a[i]==SQLITE_TEXT ){
          codecKeep(&rc, sqlite3_bind_text64(pStmt, aIdx[k], z, nByte, SQLITE_STATIC, SQLITE_UTF8));
        }else{
          codecKeep(&rc, sqlite3_bind_blob64(pStmt, aIdx[k], z, nByte, SQLITE_STATIC));
        }
      }
      *piCursor = i+5+nByte;
      break;
    }
    default: {
      for(k=0; k<nIdx && aIdx[k]; k++) codecKeep(&rc, sqlite3_bind_null(pStmt, aIdx[k]));
      *piCursor = i+1;
      break;
    }
  }
  return rc;
}

/* Skips a name and returns a pointer to its bytes, with its length in *pn. */
static const char *codecName(const SqlwParams *p, size_t *piCursor, uint32_t *pn){
  size_t i = *piCursor;
  *pn = codecGet32(p->a+i);
  *piCursor = i+4+*pn;
  return (const char*)p->a+i+4;
}

/*
** Maps the names of p to the parameters of pStmt, in *pB, and checks that every
** parameter of the statement gets exactly one value. aUsed[j] is set for each name j
** the statement uses (the caller reports names no statement used). Returns SQLITE_OK;
** SQLITE_RANGE with *pzErr (sqlite3_malloc'd, caller frees) when a parameter has no
** value, two names bind one parameter, or the statement has a nameless "?" parameter;
** SQLITE_NOMEM.
*/
int sqlwBindingInit(SqlwBinding *pB, const SqlwParams *p, sqlite3_stmt *pStmt,
                    unsigned char *aUsed, char **pzErr){
  int nParam = sqlite3_bind_parameter_count(pStmt);
  unsigned char *aCover = 0;
  size_t iCursor = p->iNames;
  uint32_t j;
  int i;
  int rc = SQLITE_OK;
  pB->nParam = nParam;
  pB->aIdx = sqlite3_malloc64(sizeof(int)*3*(uint64_t)(p->nName ? p->nName : 1));
  aCover = sqlite3_malloc64((uint64_t)nParam+1);
  if( pB->aIdx==0 || aCover==0 ){
    rc = SQLITE_NOMEM;
    goto binding_out;
  }
  memset(aCover, 0, (size_t)nParam+1);
  for(j=0; j<p->nName; j++){
    uint32_t nName;
    const char *zName = codecName(p, &iCursor, &nName);
    int *aIdx = pB->aIdx + 3*j;
    char zBuf[256];
    int k, nIdx = 0;
    aIdx[0] = aIdx[1] = aIdx[2] = 0;
    if( nName==0 || nName>=sizeof(zBuf)-1 || memchr(zName, 0, nName) ) continue;
    if( zName[0]==':' || zName[0]=='@' || zName[0]=='$' ){
      memcpy(zBuf, zName, nName);
      zBuf[nName] = 0;
      aIdx[nIdx] = sqlite3_bind_parameter_index(pStmt, zBuf);
      if( aIdx[nIdx] ) nIdx++;
    }else{
      static const char azPrefix[] = ":@$";
      memcpy(zBuf+1, zName, nName);
      zBuf[nName+1] = 0;
      for(k=0; k<3; k++){
        zBuf[0] = azPrefix[k];
        aIdx[nIdx] = sqlite3_bind_parameter_index(pStmt, zBuf);
        if( aIdx[nIdx] ) nIdx++;
      }
    }
    for(k=0; k<nIdx; k++){
      if( aCover[aIdx[k]] ){
        *pzErr = sqlite3_mprintf("parameter %s is given more than one value",
                                 sqlite3_bind_parameter_name(pStmt, aIdx[k]));
        rc = SQLITE_RANGE;
        goto binding_out;
      }
      aCover[aIdx[k]] = 1;
    }
    if( nIdx ) aUsed[j] = 1;
  }
  for(i=1; i<=nParam; i++){
    if( !aCover[i] ){
      const char *zP = sqlite3_bind_parameter_name(pStmt, i);
      if( zP==0 || zP[0]=='?' ){
        *pzErr = sqlite3_mprintf("parameter %d is positional (?) but values were "
                                 "given by name", i);
      }else{
        *pzErr = sqlite3_mprintf("missing value for parameter %s", zP);
      }
      rc = SQLITE_RANGE;
      goto binding_out;
    }
  }
binding_out:
  sqlite3_free(aCover);
  if( rc==SQLITE_NOMEM ) *pzErr = 0;
  return rc;
}

/* Frees what sqlwBindingInit() allocated. */
void sqlwBindingFree(SqlwBinding *pB){
  sqlite3_free(pB->aIdx);
  pB->aIdx = 0;
}

/*
** Binds values of p starting at *piCursor and advances the cursor:
** - pB==NULL (positional): the next nTake values, to parameters 1..nTake;
** - pB!=NULL (named): all p->nValue values of one set, each to the parameters its name
**   maps to in pB (values the statement does not use are skipped).
** Returns SQLITE_OK or the first failing bind code.
*/
int sqlwBindValues(sqlite3_stmt *pStmt, const SqlwParams *p, const SqlwBinding *pB,
                   size_t *piCursor, uint32_t *piValue, uint32_t nTake){
  uint32_t j;
  int rc = SQLITE_OK;
  if( pB==0 ){
    for(j=0; j<nTake && rc==SQLITE_OK; j++){
      int iIdx = (int)j+1;
      rc = codecBindOne(pStmt, p->a, piCursor, &iIdx, 1);
    }
    *piValue += nTake;
  }else{
    for(j=0; j<p->nValue && rc==SQLITE_OK; j++){
      rc = codecBindOne(pStmt, p->a, piCursor, pB->aIdx+3*j, 3);
    }
    *piValue += p->nValue;
  }
  return rc;
}
