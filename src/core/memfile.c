/*
** memfile.c — files in memory for SQLite's temporary files (see memfile.h).
** The methods follow the contracts of the sqlite3_io_methods they back.
*/
#include <string.h>
#include "memfile.h"

/*
** Reads iAmt bytes at iOfst. A read past the end is zero-filled and returns
** SQLITE_IOERR_SHORT_READ, as SQLite requires of xRead.
*/
int sqlwMemRead(SqlwMemFile *p, void *z, int iAmt, sqlite3_int64 iOfst){
  sqlite3_int64 nAvail = p->n - iOfst;
  int nGot = nAvail<=0 ? 0 : (nAvail<iAmt ? (int)nAvail : iAmt);
  if( nGot>0 ) memcpy(z, p->a+iOfst, (size_t)nGot);
  if( nGot<iAmt ){
    memset((char*)z+nGot, 0, (size_t)(iAmt-nGot));
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

/*
** Writes iAmt bytes at iOfst, growing the file (a gap reads as zeros). Returns
** SQLITE_OK or SQLITE_IOERR_NOMEM when the file cannot grow.
*/
int sqlwMemWrite(SqlwMemFile *p, const void *z, int iAmt, sqlite3_int64 iOfst){
  sqlite3_int64 iEnd = iOfst + iAmt;
  if( iEnd>p->nAlloc ){
    sqlite3_int64 nNew = p->nAlloc ? p->nAlloc*2 : 8192;
    unsigned char *aNew;
    while( nNew<iEnd ) nNew *= 2;
    aNew = sqlite3_realloc64(p->a, (sqlite3_uint64)nNew);
    if( aNew==0 ) return SQLITE_IOERR_NOMEM;
    p->a = aNew;
    p->nAlloc = nNew;
  }
  if( iOfst>p->n ) memset(p->a+p->n, 0, (size_t)(iOfst-p->n));
  memcpy(p->a+iOfst, z, (size_t)iAmt);
  if( iEnd>p->n ) p->n = iEnd;
  return SQLITE_OK;
}

/* Shrinks the file to size bytes (growing by truncate is not needed by SQLite's
** temporary files, and a later write zero-fills any gap). */
int sqlwMemTruncate(SqlwMemFile *p, sqlite3_int64 size){
  if( size<p->n ) p->n = size;
  return SQLITE_OK;
}

/* Frees the contents; the file is empty after. */
void sqlwMemFree(SqlwMemFile *p){
  sqlite3_free(p->a);
  memset(p, 0, sizeof(*p));
}
