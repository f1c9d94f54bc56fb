/*
** bench_native.c — the native side of `make bench`: the same C core, SQLite build and
** host VFS as the wasm module, compiled with gcc -O2 over the POSIX host (a real fsync
** on every flush). Runs workload W1 of the design (100,000 inserts in one transaction,
** one sqlw_run_many call) and prints one JSON line with the times in milliseconds.
**
** Usage: bench-native DIR [RUNS]   (DIR: where the database files are made)
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sqlite3.h"
#include "sqlw.h"

#define W1_ROWS 100000

/* mulberry32: the seeded generator the JS side uses too (bench/workload.js). */
static uint32_t benchRand(uint32_t *pState){
  uint32_t t = (*pState += 0x6D2B79F5u);
  t = (t ^ (t>>15)) * (t | 1u);
  t ^= t + (t ^ (t>>7)) * (t | 61u);
  return t ^ (t>>14);
}

static double benchNowMs(void){
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec*1e3 + ts.tv_nsec/1e6;
}

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

static int cmpDouble(const void *a, const void *b){
  double x = *(const double*)a, y = *(const double*)b;
  return x<y ? -1 : x>y;
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

int main(int argc, char **argv){
  const char *zDir = argc>1 ? argv[1] : ".";
  int nRun = argc>2 ? atoi(argv[2]) : 5;
  size_t nParam;
  unsigned char *aParam = benchEncodeW1(W1_ROWS, &nParam);
  double rFileMin, rMemMin, rFile, rMem;
  if( nRun<1 || nRun>64 ) nRun = 5;
  rFile = benchW1(zDir, 0, nRun, aParam, nParam, &rFileMin);
  rMem = benchW1(zDir, 1, nRun, aParam, nParam, &rMemMin);
  printf("{\"w1_file_ms\":%.3f,\"w1_file_min_ms\":%.3f,\"w1_mem_ms\":%.3f,"
         "\"w1_mem_min_ms\":%.3f,\"runs\":%d,\"rows\":%d}\n",
         rFile, rFileMin, rMem, rMemMin, nRun, W1_ROWS);
  free(aParam);
  return 0;
}
