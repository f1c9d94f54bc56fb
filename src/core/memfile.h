/*
** memfile.h — a file held in memory, for SQLite's temporary files (statement journals,
** sorter spills, transient indexes) in every VFS of the core: they need not survive,
** and a browser cannot create a storage file synchronously. Internal to the core.
*/
#ifndef SQLW_MEMFILE_H
#define SQLW_MEMFILE_H
#include "sqlite3.h"

typedef struct SqlwMemFile {
  unsigned char *a;          /* Contents (sqlite3_malloc64'd), or NULL */
  sqlite3_int64 n;           /* Size in bytes */
  sqlite3_int64 nAlloc;      /* Bytes allocated at a */
} SqlwMemFile;

int sqlwMemRead(SqlwMemFile *p, void *z, int iAmt, sqlite3_int64 iOfst);
int sqlwMemWrite(SqlwMemFile *p, const void *z, int iAmt, sqlite3_int64 iOfst);
int sqlwMemTruncate(SqlwMemFile *p, sqlite3_int64 size);
void sqlwMemFree(SqlwMemFile *p);

#endif
