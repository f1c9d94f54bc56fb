/*
** bench_native.c — the native side of `make bench`: the same C core, SQLite build and
** host VFS as the wasm module, compiled with gcc -O2 over the POSIX host (a real fsync
** on every flush). Runs workload W1 of the design (100,000 inserts in one transaction,
** one sqlw_run_many call) and prints one JSON line with the times in milliseconds.
**
** It also runs W1, W2 (1,000 single-row autocommit inserts) and W5 (10,000 point reads
** by random id) on the pool VFS over slot files in DIR, with the journal mode and
** synchronous level given, so the browser's numbers on OPFS have a native twin.
**
** Usage: bench-native DIR [RUNS] [JOURNAL SYNC]   e.g. bench-native /tmp/b 5 wal full
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sqlite3.h"
#include "sqlw.h"
#include "host.h"
#include "bench_util.h"

#define W1_ROWS 100000

static void put32(unsigned char *a, uint32_t v){ memcpy(a, &v, 4); }  /* little-endian host */

/* Encodes W1's rows as one SQWP buffer of nRow sets (id, name, score, data). Caller
** frees. */
static unsigned char *benchEncodeW1(int nRow, size_t *pn){
  size_t n = 20 + (size_t)nRow*(9+5+20+9+5+16);
  unsigned char *a = malloc(n), *p = a;
  uint32_t seed = 42;
  static const char azAlpha[] = "abcdefghijklmnopqrstuvwxyz";
  int i, k;
  memcpy(p, "SQWP", 4); p[4] = 1; p[5] = 0; p[6] = p[7] = 0;
  put32(p+8, 0); put32(p+12, 4); put32(p+16, (uint32_t)nRow);
  p += 20;
  for(i=0; i<nRow; i++){
    int64_t id = i+1;
    double score = benchRand(&seed)/4294967296.0*100.0;
    *p++ = SQLITE_INTEGER; memcpy(p, &id, 8); p += 8;
    *p++ = SQLITE_TEXT; put32(p, 20); p += 4;
    for(k=0; k<20; k++) *p++ = (unsigned char)azAlpha[benchRand(&seed)%26];
    *p++ = SQLITE_FLOAT; memcpy(p, &score, 8); p += 8;
    *p++ = SQLITE_BLOB; put32(p, 16); p += 4;
    for(k=0; k<16; k++) *p++ = (unsigned char)benchRand(&seed);
  }
  *pn = (size_t)(p-a);
  return a;
}

/* Fails the benchmark loudly: a number from a failed run would be a lie. */
static void benchCheck(int rc, sqlw_db *pDb, const char *zWhat){
  if( rc ){
    fprintf(stderr, "bench-native: %s failed: %s\n", zWhat, sqlw_errmsg(pDb));
    exit(1);
  }
}

/*
** Runs W1 nRun times on a fresh database each time: a file under zDir on the "host"
** VFS (bMem==0) or a private memdb database (bMem==1). Returns the median in ms and
** the fastest run in *pMin.
*/
static double benchW1(const char *zDir, int bMem, int nRun, const unsigned char *aParam,
                      size_t nParam, double *pMin){
  static const char zCreate[] =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB)";
  static const char zInsert[] = "INSERT INTO t VALUES(?,?,?,?)";
  double aMs[64];
  int r;
  for(r=0; r<nRun; r++){
    char zPath[4096];
    sqlw_db *pDb = 0;
    double t0;
    if( bMem ){
      snprintf(zPath, sizeof(zPath), "w1-%d", r);
    }else{
      snprintf(zPath, sizeof(zPath), "%s/w1-native-%d.db", zDir, r);
      unlink(zPath);
    }
    benchCheck(sqlw_open(zPath, bMem ? "memdb" : "host", 0, &pDb), pDb, "open");
    benchCheck(sqlw_exec(pDb, zCreate, sizeof(zCreate)-1, 0, 0), pDb, "create");
    t0 = benchNowMs();
    benchCheck(sqlw_run_many(pDb, zInsert, sizeof(zInsert)-1, aParam, nParam), pDb, "W1");
    aMs[r] = benchNowMs()-t0;
    sqlw_close(pDb);
    if( !bMem ) unlink(zPath);
  }
  qsort(aMs, (size_t)nRun, sizeof(double), cmpDouble);
  *pMin = aMs[0];
  return aMs[nRun/2];
}

/* Runs one SQL text and fails the benchmark on error. */
static void benchExec(sqlw_db *pDb, const char *zSql){
  benchCheck(sqlw_exec(pDb, zSql, strlen(zSql), 0, 0), pDb, zSql);
}

/* Opens "/bench.db" on a fresh pool of 6 slot files in zDir, with the journal mode and
** synchronous level given. *ppPool and *pah receive the pool and the slot handles. */
static sqlw_db *benchOpenPool(const char *zDir, const char *zJournal, const char *zSync,
                              sqlw_pool **ppPool, int *ah){
  char zPath[4096], zSql[200];
  sqlw_db *pDb = 0;
  int i;
  if( sqlw_pool_create("bench", ppPool) ){
    fprintf(stderr, "bench-native: pool: %s\n", sqlw_pool_errmsg(0));
    exit(1);
  }
  for(i=0; i<6; i++){
    snprintf(zPath, sizeof(zPath), "%s/slot-%d", zDir, i);
    unlink(zPath);
    ah[i] = host_open(zPath, (int)strlen(zPath), SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE);
    if( ah[i]<0 || sqlw_pool_add_slot(*ppPool, ah[i]) ){
      fprintf(stderr, "bench-native: cannot make slot %s\n", zPath);
      exit(1);
    }
  }
  benchCheck(sqlw_open("/bench.db", sqlw_pool_vfs(*ppPool), 0, &pDb), pDb, "open pool");
  if( sqlite3_stricmp(zJournal, "wal")==0 ) benchExec(pDb, "PRAGMA locking_mode=EXCLUSIVE");
  snprintf(zSql, sizeof(zSql), "PRAGMA journal_mode=%s; PRAGMA synchronous=%s",
           zJournal, zSync);
  benchExec(pDb, zSql);
  return pDb;
}

/* Closes what benchOpenPool() opened and deletes the slot files. */
static void benchClosePool(const char *zDir, sqlw_db *pDb, sqlw_pool *pPool, int *ah){
  char zPath[4096];
  int i;
  sqlw_close(pDb);
  sqlw_pool_destroy(pPool);
  for(i=0; i<6; i++){
    host_close(ah[i]);
    snprintf(zPath, sizeof(zPath), "%s/slot-%d", zDir, i);
    unlink(zPath);
  }
}

/* Encodes one SQWP set holding one integer. */
static void benchEncodeInt(unsigned char *a, int64_t v){
  memcpy(a, "SQWP", 4); a[4] = 1; a[5] = a[6] = a[7] = 0;
  put32(a+8, 0); put32(a+12, 1); put32(a+16, 1);
  a[20] = SQLITE_INTEGER;
  memcpy(a+21, &v, 8);
}

/*
** W1, W2, W5, W3 (ms) and W4 (µs per call) on the pool VFS, the median of nRun each,
** into a[0..4].
** W2 inserts rows with autocommit, one request each, as an app would; W5 reads
** 10,000 rows by random id from W1's table, one request each.
*/
static void benchPool(const char *zDir, const char *zJournal, const char *zSync, int nRun,
                      const unsigned char *aParam, size_t nParam, double *a){
  static const char zCreate[] =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB)";
  static const char zInsert[] = "INSERT INTO t VALUES(?,?,?,?)";
  static const char zInsert2[] = "INSERT INTO t2(v) VALUES(?)";
  static const char zSelect[] = "SELECT * FROM t WHERE id=?";
  static const char zAll[] = "SELECT * FROM t";
  static const char zOne[] = "SELECT 1";
  double aW1[64], aW2[64], aW5[64], aW3[64], aW4[64];
  int r, i;
  for(r=0; r<nRun; r++){
    sqlw_pool *pPool;
    int ah[6];
    unsigned char aOne[29];
    uint32_t seed = 7;
    double t0;
    sqlw_db *pDb = benchOpenPool(zDir, zJournal, zSync, &pPool, ah);
    benchExec(pDb, zCreate);
    benchExec(pDb, "CREATE TABLE t2(id INTEGER PRIMARY KEY, v INTEGER)");
    t0 = benchNowMs();
    benchCheck(sqlw_run_many(pDb, zInsert, sizeof(zInsert)-1, aParam, nParam), pDb, "W1");
    aW1[r] = benchNowMs()-t0;
    t0 = benchNowMs();
    for(i=0; i<1000; i++){
      benchEncodeInt(aOne, i);
      benchCheck(sqlw_exec(pDb, zInsert2, sizeof(zInsert2)-1, aOne, sizeof(aOne)), pDb, "W2");
    }
    aW2[r] = benchNowMs()-t0;
    t0 = benchNowMs();
    for(i=0; i<10000; i++){
      benchEncodeInt(aOne, 1 + benchRand(&seed)%W1_ROWS);
      benchCheck(sqlw_exec(pDb, zSelect, sizeof(zSelect)-1, aOne, sizeof(aOne)), pDb, "W5");
    }
    aW5[r] = benchNowMs()-t0;
    t0 = benchNowMs();
    benchCheck(sqlw_exec(pDb, zAll, sizeof(zAll)-1, 0, 0), pDb, "W3");
    aW3[r] = benchNowMs()-t0;
    t0 = benchNowMs();
    for(i=0; i<2000; i++){
      benchCheck(sqlw_exec(pDb, zOne, sizeof(zOne)-1, 0, 0), pDb, "W4");
    }
    aW4[r] = (benchNowMs()-t0)/2000*1000;
    benchClosePool(zDir, pDb, pPool, ah);
  }
  qsort(aW1, (size_t)nRun, sizeof(double), cmpDouble);
  qsort(aW2, (size_t)nRun, sizeof(double), cmpDouble);
  qsort(aW5, (size_t)nRun, sizeof(double), cmpDouble);
  qsort(aW3, (size_t)nRun, sizeof(double), cmpDouble);
  qsort(aW4, (size_t)nRun, sizeof(double), cmpDouble);
  a[0] = aW1[nRun/2];
  a[1] = aW2[nRun/2];
  a[2] = aW5[nRun/2];
  a[3] = aW3[nRun/2];
  a[4] = aW4[nRun/2];
}

/*
** The storage floor of W2: 1,000 × (overwrite one 4,120-byte WAL frame, then flush)
** at successive frame positions of a file written beforehand (a reused WAL), through
** the host, without SQLite; the browser side does the same on OPFS
** (bench/browser/worker.js). Returns ms, the median of nRun.
*/
static double benchFloor(const char *zDir, int nRun){
  enum { FRAME = 4120, N = 1000, SLOTS = 1000 };
  static unsigned char aFrame[FRAME];
  double aMs[64];
  char zPath[4096];
  int r, i, h;
  memset(aFrame, 7, sizeof(aFrame));
  snprintf(zPath, sizeof(zPath), "%s/floor", zDir);
  h = host_open(zPath, (int)strlen(zPath), SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE);
  if( h<0 ){
    fprintf(stderr, "bench-native: cannot open %s\n", zPath);
    exit(1);
  }
  for(i=0; i<SLOTS; i++) host_write(h, aFrame, FRAME, (double)i*FRAME);
  host_sync(h);
  for(r=0; r<nRun; r++){
    double t0 = benchNowMs();
    for(i=0; i<N; i++){
      if( host_write(h, aFrame, FRAME, (double)(i%SLOTS)*FRAME) || host_sync(h) ){
        fprintf(stderr, "bench-native: floor write failed\n");
        exit(1);
      }
    }
    aMs[r] = benchNowMs()-t0;
  }
  host_close(h);
  host_delete(zPath, (int)strlen(zPath));
  qsort(aMs, (size_t)nRun, sizeof(double), cmpDouble);
  return aMs[nRun/2];
}

int main(int argc, char **argv){
  const char *zDir = argc>1 ? argv[1] : ".";
  int nRun = argc>2 ? atoi(argv[2]) : 5;
  const char *zJournal = argc>3 ? argv[3] : "wal";
  const char *zSync = argc>4 ? argv[4] : "full";
  size_t nParam;
  unsigned char *aParam = benchEncodeW1(W1_ROWS, &nParam);
  double rFileMin, rMemMin, rFile, rMem, aPool[5], rFloor;
  if( nRun<1 || nRun>64 ) nRun = 5;
  rFile = benchW1(zDir, 0, nRun, aParam, nParam, &rFileMin);
  rMem = benchW1(zDir, 1, nRun, aParam, nParam, &rMemMin);
  benchPool(zDir, zJournal, zSync, nRun, aParam, nParam, aPool);
  rFloor = benchFloor(zDir, nRun);
  printf("{\"w1_file_ms\":%.3f,\"w1_file_min_ms\":%.3f,\"w1_mem_ms\":%.3f,"
         "\"w1_mem_min_ms\":%.3f,\"runs\":%d,\"rows\":%d,\"journal\":\"%s\","
         "\"sync\":\"%s\",\"w1_pool_ms\":%.3f,\"w2_pool_ms\":%.3f,"
         "\"w5_pool_ms\":%.3f,\"w3_pool_ms\":%.3f,\"w4_pool_us\":%.3f,"
         "\"floor_ms\":%.3f}\n",
         rFile, rFileMin, rMem, rMemMin, nRun, W1_ROWS, zJournal, zSync,
         aPool[0], aPool[1], aPool[2], aPool[3], aPool[4], rFloor);
  free(aParam);
  return 0;
}
