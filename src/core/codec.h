/*
** codec.h — the core's side of the wire formats of docs/format.md: a growable output
** buffer, the result (SQWR) encoder and the parameter (SQWP) decoder and binder.
** Internal to the core; the public face is sqlw.h.
*/
#ifndef SQLW_CODEC_H
#define SQLW_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include "sqlite3.h"
#include "proto.h"

/* The largest answer (a result buffer, a batch's result list): 256 MiB. A page's
** request and its answer are copied several times between threads and into wasm memory
** (2 GiB at most), and a follower's answer crosses a BroadcastChannel whole. SQLite's
** length limits (SQLITE_LIMIT_LENGTH, SQLITE_LIMIT_SQL_LENGTH) sit a little below it, so
** any single value fits in an answer. */
#define SQLW_TOOBIG_MSG "the result is larger than an answer can carry (256 MiB): select " \
  "fewer rows or columns at a time (LIMIT, or a WHERE on the key)"

/* A growable byte buffer. After a failed allocation bOom is set (2: the buffer would
** pass its nMax), further writes are dropped, and the owner reports SQLITE_NOMEM (or
** SQLITE_TOOBIG). */
typedef struct SqlwBuf {
  unsigned char *a;        /* Bytes (sqlite3_malloc64'd), or NULL */
  size_t n;                /* Bytes in use */
  size_t nAlloc;           /* Bytes allocated */
  int bOom;                /* 1 after an allocation failed, 2 when nMax would be passed */
  size_t nMax;             /* the most bytes it may hold; 0: 2 GiB. Kept by sqlwBufFree. */
} SqlwBuf;

int sqlwBufReserve(SqlwBuf *p, size_t nMore);
void sqlwBufFree(SqlwBuf *p);
int sqlwBufMove(SqlwBuf *pTo, SqlwBuf *pFrom);

/* Result encoder (SQWR). */
void sqlwResultBegin(SqlwBuf *p);
size_t sqlwResultSetBegin(SqlwBuf *p, sqlite3_stmt *pStmt);
void sqlwResultRow(SqlwBuf *p, sqlite3_stmt *pStmt, int nCol);
void sqlwResultSetEnd(SqlwBuf *p, size_t iSet, uint32_t nRow);
void sqlwResultFinish(SqlwBuf *p, int rc, int iErrOff, int64_t nChange,
                      int64_t iRowid, uint32_t nStmt, uint32_t nSet, const char *zMsg);
/* Makes p an error result: code rc, SQL offset iErrOff (-1: none), message zMsg. After
** an allocation failure p holds what fitted and p->bOom is set. */
void sqlwResultError(SqlwBuf *p, int rc, int iErrOff, const char *zMsg);

/* A validated parameter buffer (SQWP). Offsets index a[]. */
typedef struct SqlwParams {
  const unsigned char *a;  /* The buffer (caller-owned, read only) */
  size_t n;                /* Its length */
  uint32_t nName;          /* Names (0: positional) */
  uint32_t nValue;         /* Values per set */
  uint32_t nSet;           /* Parameter sets */
  size_t iNames;           /* Offset of the first name */
  size_t iValues;          /* Offset of the first value of the first set */
} SqlwParams;

int sqlwParamsOpen(SqlwParams *p, const unsigned char *a, size_t n, char **pzErr);

/* How the names of a SqlwParams map to one statement's parameters. */
typedef struct SqlwBinding {
  int nParam;              /* sqlite3_bind_parameter_count() of the statement */
  int *aIdx;               /* Per name: up to 3 parameter indexes (0 = none) */
} SqlwBinding;

int sqlwBindingInit(SqlwBinding *pB, const SqlwParams *p, sqlite3_stmt *pStmt,
                    unsigned char *aUsed, char **pzErr);
void sqlwBindingFree(SqlwBinding *pB);
int sqlwBindValues(sqlite3_stmt *pStmt, const SqlwParams *p, const SqlwBinding *pB,
                   size_t *piCursor, uint32_t *piValue, uint32_t nTake);

#endif /* SQLW_CODEC_H */
