/*
** bench_plain.c — the plain-SQLite reference of `make bench`: the design's workloads as a
** C program over SQLite's own API only (prepare once; bind, step, reset per row), with
** the same SQLite build (the Makefile's SQLITE_OPTS, gcc -O2) and the same pragmas the
** engine sets on a database (src/core/engine.c, sqlw_set_durability): locking_mode=
** EXCLUSIVE, journal_mode=WAL, synchronous=FULL (another journal mode and level may be
** given, to match the engine's other benchmarked modes); page and cache size are SQLite's
** and the build's defaults, as in the engine. Every ratio that says "× plain SQLite"
** divides by a number printed here.
**
** The build has no OS layer of SQLite's own (SQLITE_OS_OTHER=1), so SQLite's VFS is the
** core's "host" VFS over POSIX files (src/core/vfs_host.c, a real fdatasync on flush),
** registered by sqlite3_initialize(); memdb is SQLite's own. Nothing of the engine runs
** in the timed loops.
**
** What it does not do: the engine's WAL hook (a truncating checkpoint after a commit of
** 1,000 frames or more) is not a pragma; here SQLite's own auto-checkpoint runs instead.
**
** Workloads, the same rows as bench_native.c and bench/workload.js (mulberry32, seed 42):
**   W1  100,000 inserts (id, 20-letter name, score, 16-byte blob) in one transaction;
**   W2  1,000 single-row autocommit inserts (a file only: on memdb nothing is durable);
**   W3  SELECT * of the 100,000 rows, every column read (sqlite3_column_*);
**   W5  10,000 point reads by random id (seed 7).
** Prints one JSON line of medians in ms.
**
** Usage: bench-plain DIR [RUNS] [JOURNAL SYNC]   e.g. bench-plain /tmp/b 5 wal full
** Built for wasm too (the memdb workloads as exports): see the __wasm__ part below.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sqlite3.h"
#include "bench_util.h"

/* Fails the benchmark loudly: a number from a failed run would be a lie. The wasm build
** has no stderr or exit (no WASI imports): it traps, and its caller sees the trap. */
#ifdef __wasm__
static inline void plainIgnore(int x, ...){ (void)x; }   /* uses the message's values */
# define PLAIN_FAIL(...) (plainIgnore(0, __VA_ARGS__), __builtin_trap())
#else
# define PLAIN_FAIL(...) (fprintf(stderr, "bench-plain: " __VA_ARGS__), exit(1))
#endif

#define W1_ROWS 100000
#define W2_N 1000
#define W5_N 10000
#define NAME_LEN 20
#define BLOB_LEN 16

/* One row of W1. */
typedef struct PlainRow PlainRow;
struct PlainRow {
  double rScore;                 /* 0..100 */
  char zName[NAME_LEN];          /* 20 letters, not terminated */
  unsigned char aData[BLOB_LEN]; /* 16 random bytes */
};

/* Returns W1's nRow rows, in the order bench_native.c draws them. Caller frees. */
static PlainRow *plainRows(int nRow){
  static const char azAlpha[] = "abcdefghijklmnopqrstuvwxyz";
  PlainRow *a = malloc(sizeof(PlainRow)*(size_t)nRow);
  uint32_t seed = 42;
  int i, k;
  if( a==0 ) PLAIN_FAIL("out of memory\n");
  for(i=0; i<nRow; i++){
    a[i].rScore = benchRand(&seed)/4294967296.0*100.0;
    for(k=0; k<NAME_LEN; k++) a[i].zName[k] = azAlpha[benchRand(&seed)%26];
    for(k=0; k<BLOB_LEN; k++) a[i].aData[k] = (unsigned char)benchRand(&seed);
  }
  return a;
}

/* Fails the benchmark loudly when rc is not one of the codes expected: a number from a
** failed run would be a lie. */
static void plainCheck(int rc, sqlite3 *db, const char *zWhat){
  if( rc!=SQLITE_OK && rc!=SQLITE_DONE && rc!=SQLITE_ROW ){
    PLAIN_FAIL("%s failed: %s\n", zWhat, db ? sqlite3_errmsg(db) : "");
  }
}

/* Runs SQL text, failing the benchmark on error. */
static void plainExec(sqlite3 *db, const char *zSql){
  plainCheck(sqlite3_exec(db, zSql, 0, 0, 0), db, zSql);
}

/* Prepares zSql once; the caller finalizes the statement. */
static sqlite3_stmt *plainPrepare(sqlite3 *db, const char *zSql){
  sqlite3_stmt *pStmt = 0;
  plainCheck(sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0), db, zSql);
  return pStmt;
}

/* Steps a bound statement that returns no row, then resets it. */
static void plainStepReset(sqlite3 *db, sqlite3_stmt *pStmt, const char *zWhat){
  int rc = sqlite3_step(pStmt);
  if( rc!=SQLITE_DONE ) plainCheck(rc==SQLITE_ROW ? SQLITE_ERROR : rc, db, zWhat);
  sqlite3_reset(pStmt);
}

/* W1: the rows in one transaction. Returns ms. */
static double plainW1(sqlite3 *db, const PlainRow *aRow){
  sqlite3_stmt *pIns;
  double t0 = benchNowMs();
  int i;
  plainExec(db, "BEGIN");
  pIns = plainPrepare(db, "INSERT INTO t VALUES(?,?,?,?)");
  for(i=0; i<W1_ROWS; i++){
    sqlite3_bind_int64(pIns, 1, i+1);
    sqlite3_bind_text(pIns, 2, aRow[i].zName, NAME_LEN, SQLITE_STATIC);
    sqlite3_bind_double(pIns, 3, aRow[i].rScore);
    sqlite3_bind_blob(pIns, 4, aRow[i].aData, BLOB_LEN, SQLITE_STATIC);
    plainStepReset(db, pIns, "W1 insert");
  }
  sqlite3_finalize(pIns);
  plainExec(db, "COMMIT");
  return benchNowMs()-t0;
}

#ifndef __wasm__   /* memdb only in wasm: nothing durable to measure */
/* W2: W2_N autocommit inserts into t2. Returns ms. */
static double plainW2(sqlite3 *db){
  sqlite3_stmt *pIns;
  double t0 = benchNowMs();
  int i;
  pIns = plainPrepare(db, "INSERT INTO t2(v) VALUES(?)");
  for(i=0; i<W2_N; i++){
    sqlite3_bind_int(pIns, 1, i);
    plainStepReset(db, pIns, "W2 insert");
  }
  sqlite3_finalize(pIns);
  return benchNowMs()-t0;
}
#endif

/* Where W3 leaves a sum of what it read, so the compiler cannot skip the reads. */
static volatile double plainSink;

/* W3: every row of t, each column read as its type. Returns ms; checks the row count
** and the bytes read. */
static double plainW3(sqlite3 *db){
  sqlite3_stmt *pSel;
  double t0 = benchNowMs(), rSum = 0;
  int n = 0, rc;
  long nByte = 0;
  pSel = plainPrepare(db, "SELECT * FROM t");
  while( (rc = sqlite3_step(pSel))==SQLITE_ROW ){
    const unsigned char *zName;
    const void *pData;
    rSum += (double)sqlite3_column_int64(pSel, 0);
    zName = sqlite3_column_text(pSel, 1);
    nByte += sqlite3_column_bytes(pSel, 1);
    rSum += sqlite3_column_double(pSel, 2);
    pData = sqlite3_column_blob(pSel, 3);
    nByte += sqlite3_column_bytes(pSel, 3);
    if( zName==0 || pData==0 ) break;
    n++;
  }
  plainCheck(rc, db, "W3");
  sqlite3_finalize(pSel);
  t0 = benchNowMs()-t0;
  plainSink = rSum;
  if( n!=W1_ROWS || nByte!=(long)W1_ROWS*(NAME_LEN+BLOB_LEN) ){
    PLAIN_FAIL("W3 read %d rows, %ld bytes\n", n, nByte);
  }
  return t0;
}

/* W5: W5_N point reads by random id, every column read. Returns ms. */
static double plainW5(sqlite3 *db){
  sqlite3_stmt *pSel;
  uint32_t seed = 7;
  double t0 = benchNowMs();
  int i, nHit = 0;
  pSel = plainPrepare(db, "SELECT * FROM t WHERE id=?");
  for(i=0; i<W5_N; i++){
    sqlite3_int64 id = 1 + benchRand(&seed)%W1_ROWS;
    sqlite3_bind_int64(pSel, 1, id);
    if( sqlite3_step(pSel)==SQLITE_ROW ){
      nHit += sqlite3_column_int64(pSel, 0)==id;
      (void)sqlite3_column_text(pSel, 1);
      (void)sqlite3_column_double(pSel, 2);
      (void)sqlite3_column_blob(pSel, 3);
    }
    sqlite3_reset(pSel);
  }
  sqlite3_finalize(pSel);
  if( nHit!=W5_N ){
    PLAIN_FAIL("W5 found %d rows of %d\n", nHit, W5_N);
  }
  return benchNowMs()-t0;
}

static const char zSchema[] =
  "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB);"
  "CREATE TABLE t2(id INTEGER PRIMARY KEY, v INTEGER)";

#ifdef __wasm__
/*
** The wasm build (build/wasm/bench-plain.wasm, the same SQLite objects as the shipped
** module): the memdb workloads, one export each, for bench/run.js in Node and the
** benchmark worker in a browser, so the wasm's own cost shows apart from our engine's.
** Its imports are the host interface's; on memdb only host_time (a clock in ms),
** host_random and host_tzoffset are called. Each export traps on failure.
*/
static PlainRow *aWasmRow = 0;   /* W1's rows, made once */
static sqlite3 *pWasmDb = 0;     /* the open private memdb database, or 0 */

int plainWasmOpen(void);
double plainWasmW1(void);
double plainWasmW3(void);
double plainWasmW5(void);
void plainWasmClose(void);

/* Opens a new private memdb database with the schema (closing the last one). Returns 0. */
__attribute__((export_name("plain_open"))) int plainWasmOpen(void){
  plainWasmClose();
  if( aWasmRow==0 ) aWasmRow = plainRows(W1_ROWS);
  plainCheck(sqlite3_initialize(), 0, "sqlite3_initialize");
  plainCheck(sqlite3_open_v2("plain", &pWasmDb, SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE,
                             "memdb"), pWasmDb, "open memdb");
  plainExec(pWasmDb, zSchema);
  return 0;
}

/* W1, W3, W5 on the database plainWasmOpen() opened (W1 first). Return ms. */
__attribute__((export_name("plain_w1"))) double plainWasmW1(void){
  return plainW1(pWasmDb, aWasmRow);
}
__attribute__((export_name("plain_w3"))) double plainWasmW3(void){
  return plainW3(pWasmDb);
}
__attribute__((export_name("plain_w5"))) double plainWasmW5(void){
  return plainW5(pWasmDb);
}

/* Closes the database plainWasmOpen() opened, if any. */
__attribute__((export_name("plain_close"))) void plainWasmClose(void){
  if( pWasmDb ) sqlite3_close_v2(pWasmDb);
  pWasmDb = 0;
}
#else
int main(int argc, char **argv){
  const char *zDir = argc>1 ? argv[1] : ".";
  int nRun = argc>2 ? atoi(argv[2]) : 5;
  const char *zJournal = argc>3 ? argv[3] : "wal";
  const char *zSync = argc>4 ? argv[4] : "full";
  char zPragma[200];
  double aW1f[64], aW2f[64], aW3f[64], aW5f[64], aW1m[64], aW3m[64], aW5m[64];
  PlainRow *aRow = plainRows(W1_ROWS);
  int r;
  if( nRun<1 || nRun>64 ) nRun = 5;
  plainCheck(sqlite3_initialize(), 0, "sqlite3_initialize");
  /* As the engine: WAL needs the exclusive lock first on a VFS without shared memory. */
  snprintf(zPragma, sizeof(zPragma), "%sPRAGMA journal_mode=%s; PRAGMA synchronous=%s",
           sqlite3_stricmp(zJournal, "wal")==0 ? "PRAGMA locking_mode=EXCLUSIVE; " : "",
           zJournal, zSync);
  for(r=0; r<nRun; r++){
    char zPath[4096], zMem[64];
    sqlite3 *db = 0;
    /* A file: the engine's pragmas, then W1, W2, W3, W5 in the order of the API bench. */
    snprintf(zPath, sizeof(zPath), "%s/plain-%d.db", zDir, r);
    unlink(zPath);
    plainCheck(sqlite3_open_v2(zPath, &db, SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE, "host"),
               db, "open");
    plainExec(db, zPragma);
    plainExec(db, zSchema);
    aW1f[r] = plainW1(db, aRow);
    aW2f[r] = plainW2(db);
    aW3f[r] = plainW3(db);
    aW5f[r] = plainW5(db);
    sqlite3_close_v2(db);
    unlink(zPath);
    /* A private memdb database, as the engine's native W1 on memdb: no pragmas. */
    snprintf(zMem, sizeof(zMem), "plain-%d", r);
    db = 0;
    plainCheck(sqlite3_open_v2(zMem, &db, SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE, "memdb"),
               db, "open memdb");
    plainExec(db, zSchema);
    aW1m[r] = plainW1(db, aRow);
    aW3m[r] = plainW3(db);
    aW5m[r] = plainW5(db);
    sqlite3_close_v2(db);
  }
  printf("{\"runs\":%d,\"rows\":%d,\"journal\":\"%s\",\"sync\":\"%s\","
         "\"w1_file_ms\":%.3f,\"w2_file_ms\":%.3f,\"w3_file_ms\":%.3f,\"w5_file_ms\":%.3f,"
         "\"w1_mem_ms\":%.3f,\"w3_mem_ms\":%.3f,\"w5_mem_ms\":%.3f}\n",
         nRun, W1_ROWS, zJournal, zSync, benchMedian(aW1f, nRun), benchMedian(aW2f, nRun),
         benchMedian(aW3f, nRun), benchMedian(aW5f, nRun), benchMedian(aW1m, nRun),
         benchMedian(aW3m, nRun), benchMedian(aW5m, nRun));
  free(aRow);
  return 0;
}
#endif
