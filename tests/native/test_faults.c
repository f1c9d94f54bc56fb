/*
** test_faults.c — fault sweeps: a fixed workload run once for every way its I/O can
** fail, on the pool VFS in every journal mode (and on the "host" VFS once), through the
** shim of faulthost.h; and, first, tests of the shim itself (fault-0xx).
**
** The workload (sweepSteps) starts with the journal mode (for WAL, sqlw_set_durability()
** as the product sets it), makes a table, commits three transactions of four inserts
** each whose blobs span overflow pages, then an update and a delete: six commits, so
** seven states S0 (no table) .. S6 of the database's content. A reference run on memdb
** gives each state's fingerprint. The cache is kept small so that pages spill to the
** database in the middle of transactions.
**
** Each sweep first counts the workload's host calls of each kind (a dry run: the
** workload and the close of its connection), then runs it once per crash point or
** fault on an empty pool, and checks after a restart (a new pool over the same slot
** files, no faults) that the pool accepts every slot, the database opens, PRAGMA
** integrity_check says ok, and the content is a state the commits allow:
**
** - The workload stops at the first error. Let m be the commits that returned
**   SQLITE_OK: the content must be S<m>, or S<m+1> when the error came from the
**   committing statement itself (a commit that reports an error may still have reached
**   the disk: SQLite's answer is "unknown", never "half").
** - A power loss leaves the same choice, except in WAL with synchronous NORMAL, where
**   commits are not synced: there any S<j> with j <= m+1 is allowed, but never a state
**   that is none of them. A killed process (every write reached the operating system)
**   loses nothing in any mode.
**
** Fault sweeps (fault-1xx): for each kind (read, write, truncate, sync, and a full
** storage) and every N from 1 to one past the dry run's count, the Nth call fails,
** transiently (that call) or persistently (that call and every later one of its kind).
** After a transient fault the same connection must still be usable and consistent: it
** is checked in-process too.
**
** Crash sweeps (fault-2xx): the machine stops before the Nth sync, and what was not
** synced is lost: all of it; only the size changes (truncates); only the data; or each
** change at random (several seeds); also before the Nth write (random loss), and a
** killed process before the Nth write. Each kind also once after the whole workload.
**
** Each sweep prints its number of runs and its time.
*/
#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1          /* clock_gettime under a strict -std */
#endif
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sqlite3.h"
#include "support.h"
#include "faulthost.h"
#include "testpool.h"
#include "../../src/core/host.h"

#define SWEEP_NSTATE    7       /* S0 .. S6 */
#define SWEEP_SLOTS     6       /* slots of the sweeps' pools */
#define SWEEP_CACHE     8       /* pages: small, so transactions spill */
#define SWEEP_MAX_FAIL  3       /* failures reported per sweep before it stops */
#define SWEEP_SEEDS     8       /* seeds per sync of the random-loss sweeps (each write
                                ** gets one) */

/* A journal mode and synchronous level. */
typedef struct SweepMode SweepMode;
struct SweepMode {
  const char *zJournal;       /* PRAGMA journal_mode */
  const char *zSync;          /* PRAGMA synchronous */
  int bDurable;               /* a commit that returned OK survives a power loss */
  int eDurability;            /* WAL: set with sqlw_set_durability(this), as the
                              ** product does; -1: with the pragmas above */
};

/* Where the sweep's database lives: a pool, or a file of the "host" VFS. */
typedef struct SweepStore SweepStore;
struct SweepStore {
  TestPool *pPool;            /* the pool, or NULL for the host VFS */
  const char *zFile;          /* host VFS: the database file */
  sqlw_db *pHostDb;           /* host VFS: the open connection, or NULL */
};

/* The outcome of one workload run. */
typedef struct SweepRun SweepRun;
struct SweepRun {
  int rc;                     /* the first failure, SQLITE_OK if none */
  int nOk;                    /* commits that returned SQLITE_OK */
  int bInFlight;              /* the failure came from the committing statement */
};

/* One sweep's bookkeeping. */
typedef struct Sweep Sweep;
struct Sweep {
  SweepStore *pStore;         /* the storage */
  const SweepMode *pMode;     /* the mode */
  int nRun;                   /* runs so far */
  int nFail;                  /* runs that broke a rule */
  char zCase[160];            /* what the current run does, for failure messages */
};

static char azStep[SWEEP_NSTATE][400];    /* azStep[k]: the script from S<k-1> to S<k> */
static int anStmt[SWEEP_NSTATE];          /* statements in azStep[k] */
static Wp aStepParam[SWEEP_NSTATE];       /* its parameters, in order */
static const unsigned char *aStepBuf[SWEEP_NSTATE];  /* ... finished (NULL: none) */
static size_t anStepBuf[SWEEP_NSTATE];    /* ... and their sizes */
static uint64_t aState[SWEEP_NSTATE];     /* fingerprint of each state */
static int bStepsMade = 0;                /* azStep, anStmt, aState are filled */

static const char *azKind[] = { "read", "write", "truncate", "sync", "full", "any" };

/* ---- the workload ----------------------------------------------------------------- */

/*
** Appends to step k an insert of the row (iKey, blob of nByte bytes), the values as
** positional parameters of apStepParam[k]. The blob's bytes come from a generator seeded
** with the key, so every row and every overflow page differs.
*/
static void sweepAddInsert(int k, int iKey, int nByte){
  unsigned char a[8192];
  unsigned int x = 0x9e3779b9u ^ (unsigned int)iKey*2654435761u;
  size_t n = strlen(azStep[k]);
  int i;
  for(i=0; i<nByte && i<(int)sizeof(a); i++){
    x ^= x<<13;
    x ^= x>>17;
    x ^= x<<5;
    a[i] = (unsigned char)x;
  }
  snprintf(azStep[k]+n, sizeof(azStep[k])-n, "INSERT INTO t(k, b) VALUES(?, ?);");
  wpInt(&aStepParam[k], iKey);
  wpBlob(&aStepParam[k], a, (size_t)i);
  anStmt[k]++;
}

/* Runs zSql on pDb with the parameters aParam[0..nParam) and parses its result into *pRes (which the caller frees with
** wrFree). Returns the code; records nothing, so that failures the sweep expects do not
** count as test failures. A malformed result buffer is returned as -1. */
static int sweepQuery(sqlw_db *pDb, const char *zSql, const unsigned char *aParam,
                      size_t nParam, WrResult *pRes){
  size_t nBuf = 0;
  const unsigned char *aBuf;
  int rc = sqlw_exec(pDb, zSql, strlen(zSql), aParam, nParam);
  aBuf = sqlw_result(pDb, &nBuf);
  if( wrParse(aBuf, nBuf, pRes)!=0 ) return -1;
  return rc;
}

/*
** Computes the fingerprint of the content of pDb: 0 when table t does not exist, else
** FNV-1a (64-bit) over every row's id, k and blob in id order. Returns SQLITE_OK or the
** failing code (then *pFp is 0).
*/
static int sweepFingerprint(sqlw_db *pDb, uint64_t *pFp){
  WrResult res;
  uint64_t h = 14695981039346656037ull;
  uint32_t iRow, iCol;
  int rc;
  *pFp = 0;
  memset(&res, 0, sizeof(res));
  rc = sweepQuery(pDb, "SELECT count(*) FROM sqlite_schema WHERE name='t'", 0, 0, &res);
  if( rc==SQLITE_OK && (res.nSet!=1 || res.aSet[0].nRow!=1) ) rc = -1;
  if( rc!=SQLITE_OK || wrCell(&res.aSet[0], 0, 0)->i==0 ){
    wrFree(&res);
    return rc;
  }
  wrFree(&res);
  rc = sweepQuery(pDb, "SELECT id, k, b FROM t ORDER BY id", 0, 0, &res);
  if( rc==SQLITE_OK && res.nSet!=1 ) rc = -1;
  if( rc!=SQLITE_OK ){
    wrFree(&res);
    return rc;
  }
  for(iRow=0; iRow<res.aSet[0].nRow; iRow++){
    for(iCol=0; iCol<3; iCol++){
      const WrValue *pVal = wrCell(&res.aSet[0], iRow, iCol);
      unsigned char aInt[8];
      const unsigned char *a = aInt;
      uint32_t n = 8, i;
      if( pVal->eType==WIRE_BLOB || pVal->eType==WIRE_TEXT ){
        a = pVal->z;
        n = pVal->n;
      }else{
        for(i=0; i<8; i++) aInt[i] = (unsigned char)((uint64_t)pVal->i >> (8*i));
      }
      for(i=0; i<n; i++){
        h ^= a[i];
        h *= 1099511628211ull;
      }
      h ^= (uint64_t)pVal->eType;
      h *= 1099511628211ull;
    }
  }
  wrFree(&res);
  *pFp = h==0 ? 1 : h;
  return SQLITE_OK;
}

/* The state whose fingerprint is fp, or -1. */
static int sweepStateOf(uint64_t fp){
  int k;
  for(k=0; k<SWEEP_NSTATE; k++){
    if( aState[k]==fp ) return k;
  }
  return -1;
}

/* Frees the workload's parameter buffers (deferred to the end of the test). */
static void sweepFreeSteps(void *pUnused){
  int k;
  (void)pUnused;
  for(k=0; k<SWEEP_NSTATE; k++) wpFree(&aStepParam[k]);
  bStepsMade = 0;
}

/* Builds the workload's scripts and the fingerprint of every state (once per test).
** Returns 1, or 0 after recording a failure. */
static int sweepSteps(void){
  sqlw_db *pDb;
  int k, j;
  if( bStepsMade ) return 1;
  memset(azStep, 0, sizeof(azStep));
  memset(anStmt, 0, sizeof(anStmt));
  memset(aStepBuf, 0, sizeof(aStepBuf));
  memset(anStepBuf, 0, sizeof(anStepBuf));
  for(k=0; k<SWEEP_NSTATE; k++) wpInit(&aStepParam[k]);
  bStepsMade = 1;
  harnessDefer(sweepFreeSteps, 0);
  snprintf(azStep[1], sizeof(azStep[1]), "BEGIN; CREATE TABLE t(id INTEGER PRIMARY KEY,"
           " k INTEGER, b BLOB); CREATE INDEX t_k ON t(k); COMMIT");
  anStmt[1] = 4;
  for(k=2; k<=4; k++){
    snprintf(azStep[k], sizeof(azStep[k]), "BEGIN;");
    anStmt[k] = 1;
    for(j=0; j<4; j++) sweepAddInsert(k, 10*k + j, 2500 + 1700*j + 300*k);
    strcat(azStep[k], "COMMIT");
    anStmt[k]++;
    aStepBuf[k] = wpFinish(&aStepParam[k], 8, &anStepBuf[k]);
    if( aStepBuf[k]==0 ) return FAIL("out of memory");
  }
  snprintf(azStep[5], sizeof(azStep[5]), "UPDATE t SET k = k + 1000,"
           " b = CAST(substr(b, 1, 1000) AS BLOB) WHERE id %% 2 = 0");
  anStmt[5] = 1;
  snprintf(azStep[6], sizeof(azStep[6]), "DELETE FROM t WHERE id %% 3 = 0");
  anStmt[6] = 1;

  pDb = testOpen("sweep-reference", "memdb");
  if( pDb==0 ) return 0;
  for(k=0; k<SWEEP_NSTATE; k++){
    WrResult res;
    int rc = SQLITE_OK;
    memset(&res, 0, sizeof(res));
    if( k>0 ) rc = sweepQuery(pDb, azStep[k], aStepBuf[k], anStepBuf[k], &res);
    wrFree(&res);
    if( rc!=SQLITE_OK ) return FAIL("reference step %d: %s", k, sqlw_code_name(rc));
    if( sweepFingerprint(pDb, &aState[k])!=SQLITE_OK ){
      return FAIL("fingerprint of state %d failed", k);
    }
    if( k>0 && sweepStateOf(aState[k])!=k ){
      return FAIL("states %d and %d look alike", sweepStateOf(aState[k]), k);
    }
  }
  testClose(pDb);
  return 1;
}

/* ---- storage ----------------------------------------------------------------------- */

/* The open connection of the store, or NULL. */
static sqlw_db *storeDb(SweepStore *p){
  return p->pPool ? p->pPool->pDb : p->pHostDb;
}

/* Opens the database. Returns SQLITE_OK or the open's code (no connection then). */
static int storeOpen(SweepStore *p){
  int rc;
  if( p->pPool ) return testPoolOpenDb(p->pPool, "/app.db");
  rc = sqlw_open(p->zFile, "host", 0, &p->pHostDb);
  if( rc!=SQLITE_OK ){
    sqlw_close(p->pHostDb);
    p->pHostDb = 0;
  }
  return rc;
}

/* Closes the connection, if any. Returns sqlw_close()'s code. */
static int storeCloseDb(SweepStore *p){
  int rc;
  if( p->pPool ) return testPoolCloseDb(p->pPool);
  rc = sqlw_close(p->pHostDb);
  p->pHostDb = 0;
  return rc;
}

/* Closes everything a restart closes (connection, pool, slot handles). */
static int storeStop(SweepStore *p){
  if( p->pPool ) return testPoolStop(p->pPool);
  storeCloseDb(p);
  return SQLITE_OK;
}

/* Starts the storage again (a pool over the same slot files). */
static int storeStart(SweepStore *p){
  return p->pPool ? testPoolStart(p->pPool) : SQLITE_OK;
}

/* Empties the stopped storage. */
static int storeClear(SweepStore *p){
  if( p->pPool ) return testPoolClear(p->pPool);
  testRemoveDb(p->zFile);
  return SQLITE_OK;
}

/* ---- runs --------------------------------------------------------------------------- */

/* Prepares a run: empty storage, started, and the shim reset with real syncs off.
** Returns 1, or 0 after recording a failure. */
static int sweepFresh(Sweep *pS){
  int rc = storeStop(pS->pStore);
  faultReset();
  faultRealSync(0);
  if( rc==SQLITE_OK ) rc = storeClear(pS->pStore);
  if( rc==SQLITE_OK ) rc = storeStart(pS->pStore);
  if( rc!=SQLITE_OK ) return FAIL("%s: cannot prepare a run: %s", pS->zCase, sqlw_code_name(rc));
  return 1;
}

/* Runs the workload in pS's mode, stopping at the first error; fills *pRun. */
static void sweepWorkload(Sweep *pS, SweepRun *pRun){
  SweepStore *pStore = pS->pStore;
  char zSetup[200];
  WrResult res;
  int k, rc;
  memset(pRun, 0, sizeof(*pRun));
  rc = storeOpen(pStore);
  if( rc!=SQLITE_OK ){
    pRun->rc = rc;
    return;
  }
  if( pS->pMode->eDurability>=0 ){
    rc = sqlw_set_durability(storeDb(pStore), pS->pMode->eDurability);
    if( rc!=SQLITE_OK ){
      pRun->rc = rc;
      return;
    }
    snprintf(zSetup, sizeof(zSetup), "PRAGMA cache_size=%d", SWEEP_CACHE);
  }else{
    snprintf(zSetup, sizeof(zSetup), "PRAGMA journal_mode=%s; PRAGMA synchronous=%s;"
             " PRAGMA cache_size=%d", pS->pMode->zJournal, pS->pMode->zSync, SWEEP_CACHE);
  }
  memset(&res, 0, sizeof(res));
  rc = sweepQuery(storeDb(pStore), zSetup, 0, 0, &res);
  wrFree(&res);
  if( rc!=SQLITE_OK ){
    pRun->rc = rc;
    return;
  }
  for(k=1; k<SWEEP_NSTATE; k++){
    rc = sweepQuery(storeDb(pStore), azStep[k], aStepBuf[k], anStepBuf[k], &res);
    if( rc==SQLITE_OK ){
      pRun->nOk++;
    }else{
      pRun->rc = rc;
      pRun->bInFlight = rc>0 && res.nStatement==(uint32_t)(anStmt[k]-1);
    }
    wrFree(&res);
    if( rc!=SQLITE_OK ) return;
  }
}

/* Records a broken rule of the current run (and counts it). Returns 0. */
static int sweepBroken(Sweep *pS, const SweepRun *pRun, const char *zWhat){
  pS->nFail++;
  if( pS->nFail>SWEEP_MAX_FAIL ) return 0;
  return FAIL("%s: workload ended with %s after %d commits%s: %s", pS->zCase,
              sqlw_code_name(pRun->rc), pRun->nOk,
              pRun->bInFlight ? " (next one in flight)" : "", zWhat);
}

/* 1 if state j is allowed after run pRun (bLossy: unsynced commits may be lost). */
static int sweepAllowed(const SweepRun *pRun, int j, int bLossy){
  if( j<0 ) return 0;
  if( j==pRun->nOk ) return 1;
  if( j==pRun->nOk+1 && pRun->bInFlight ) return 1;
  return bLossy && j<pRun->nOk;
}

/*
** Checks the open connection pDb: integrity and an allowed content. zWhere says which
** connection. Returns 1 if both hold.
*/
static int sweepCheckDb(Sweep *pS, const SweepRun *pRun, sqlw_db *pDb, int bLossy,
                        const char *zWhere){
  WrResult res;
  uint64_t fp;
  char zMsg[200];
  int rc, j;
  memset(&res, 0, sizeof(res));
  rc = sweepQuery(pDb, "PRAGMA integrity_check", 0, 0, &res);
  if( rc!=SQLITE_OK || res.nSet!=1 || res.aSet[0].nRow!=1
   || res.aSet[0].aVal[0].eType!=WIRE_TEXT || res.aSet[0].aVal[0].n!=2
   || memcmp(res.aSet[0].aVal[0].z, "ok", 2)!=0 ){
    snprintf(zMsg, sizeof(zMsg), "%s: integrity_check: %s %.*s", zWhere,
             sqlw_code_name(rc), rc==SQLITE_OK && res.nSet==1 && res.aSet[0].nRow>0
               && res.aSet[0].aVal[0].eType==WIRE_TEXT ? (int)res.aSet[0].aVal[0].n : 0,
             rc==SQLITE_OK && res.nSet==1 && res.aSet[0].nRow>0 ?
               (const char*)res.aSet[0].aVal[0].z : "");
    wrFree(&res);
    return sweepBroken(pS, pRun, zMsg);
  }
  wrFree(&res);
  rc = sweepFingerprint(pDb, &fp);
  if( rc!=SQLITE_OK ){
    snprintf(zMsg, sizeof(zMsg), "%s: reading the table: %s", zWhere, sqlw_code_name(rc));
    return sweepBroken(pS, pRun, zMsg);
  }
  j = sweepStateOf(fp);
  if( !sweepAllowed(pRun, j, bLossy) ){
    if( j<0 ){
      snprintf(zMsg, sizeof(zMsg), "%s: the content is no committed state", zWhere);
    }else{
      snprintf(zMsg, sizeof(zMsg), "%s: the content is state S%d", zWhere, j);
    }
    return sweepBroken(pS, pRun, zMsg);
  }
  return 1;
}

/* Restarts the stopped storage without faults and checks it (see the file's header). */
static int sweepVerify(Sweep *pS, const SweepRun *pRun, int bLossy){
  char zMsg[200];
  int rc;
  storeStop(pS->pStore);
  faultReset();
  faultRealSync(0);
  rc = storeStart(pS->pStore);
  if( rc!=SQLITE_OK ){
    snprintf(zMsg, sizeof(zMsg), "restart: %s%s%s", sqlw_code_name(rc),
             pS->pStore->pPool && pS->pStore->pPool->pPool ? ": " : "",
             pS->pStore->pPool && pS->pStore->pPool->pPool ?
               sqlw_pool_errmsg(pS->pStore->pPool->pPool) : "");
    return sweepBroken(pS, pRun, zMsg);
  }
  rc = storeOpen(pS->pStore);
  if( rc!=SQLITE_OK ){
    snprintf(zMsg, sizeof(zMsg), "reopen: %s: %s", sqlw_code_name(rc),
             pS->pStore->pPool ? pS->pStore->pPool->zErr : "");
    return sweepBroken(pS, pRun, zMsg);
  }
  {
    WrResult res;
    memset(&res, 0, sizeof(res));
    rc = sweepQuery(storeDb(pS->pStore), "PRAGMA locking_mode=EXCLUSIVE", 0, 0, &res);
    wrFree(&res);
  }
  if( rc!=SQLITE_OK ) return sweepBroken(pS, pRun, "reopen: locking_mode failed");
  rc = sweepCheckDb(pS, pRun, storeDb(pS->pStore), bLossy, "after restart");
  storeStop(pS->pStore);
  return rc;
}

/* Seconds of the monotonic clock. */
static double sweepNow(void){
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec/1e9;
}

/*
** The dry run: the workload and the connection's close without faults. Fills
** aCount[kind] with the calls of each kind. Returns 1 if the run succeeded and checks.
*/
static int sweepDryRun(Sweep *pS, int *aCount){
  SweepRun run;
  int k;
  snprintf(pS->zCase, sizeof(pS->zCase), "%s/%s dry run", pS->pMode->zJournal,
           pS->pMode->zSync);
  if( !sweepFresh(pS) ) return 0;
  sweepWorkload(pS, &run);
  storeCloseDb(pS->pStore);
  for(k=0; k<FAULT_NKIND; k++) aCount[k] = faultCount(k);
  if( run.rc!=SQLITE_OK || run.nOk!=SWEEP_NSTATE-1 ){
    return FAIL("%s: the workload failed: %s", pS->zCase, sqlw_code_name(run.rc));
  }
  return sweepVerify(pS, &run, 0);
}

/* Makes a Sweep over pStore in pMode. */
static void sweepInit(Sweep *pS, SweepStore *pStore, const SweepMode *pMode){
  memset(pS, 0, sizeof(*pS));
  pS->pStore = pStore;
  pS->pMode = pMode;
}

/*
** The fault sweep: every kind (read, write, truncate, sync, full), transient and
** persistent, N from 1 to one past the dry run's count. Prints its runs and time.
*/
static void sweepFaults(SweepStore *pStore, const SweepMode *pMode){
  static const int aeKind[] = { FAULT_READ, FAULT_WRITE, FAULT_TRUNCATE, FAULT_SYNC,
                                FAULT_FULL };
  Sweep s;
  int aCount[FAULT_NKIND];
  char zRuns[200] = "";
  double rStart = sweepNow();
  size_t iKind;
  sweepInit(&s, pStore, pMode);
  if( !sweepSteps() || !sweepDryRun(&s, aCount) ) return;
  for(iKind=0; iKind<sizeof(aeKind)/sizeof(aeKind[0]); iKind++){
    int eKind = aeKind[iKind];
    int bPersist, n, nRun0 = s.nRun;
    size_t nz = strlen(zRuns);
    for(bPersist=0; bPersist<2 && s.nFail<=SWEEP_MAX_FAIL; bPersist++){
      for(n=1; n<=aCount[eKind]+1 && s.nFail<=SWEEP_MAX_FAIL; n++){
        SweepRun run;
        snprintf(s.zCase, sizeof(s.zCase), "%s/%s: %s fault #%d, %s", pMode->zJournal,
                 pMode->zSync, azKind[eKind], n, bPersist ? "persistent" : "transient");
        if( !sweepFresh(&s) ) return;
        faultArm(eKind, n, bPersist);
        sweepWorkload(&s, &run);
        if( !bPersist && faultHits()>0 && storeDb(pStore) ){
          /* the fault came and went: the connection must carry on */
          faultDisarm();
          sweepCheckDb(&s, &run, storeDb(pStore), 0, "same connection");
        }
        storeCloseDb(pStore);
        faultDisarm();
        sweepVerify(&s, &run, 0);
        s.nRun++;
      }
    }
    snprintf(zRuns+nz, sizeof(zRuns)-nz, "%s%s %d", nz ? ", " : "", azKind[eKind],
             s.nRun - nRun0);
  }
  printf("  sweep %s/%s faults: %d runs (%s) in %.1f s\n", pMode->zJournal, pMode->zSync,
         s.nRun, zRuns, sweepNow() - rStart);
  if( s.nFail>SWEEP_MAX_FAIL ){
    FAIL("%d runs broke a rule; the sweep stopped after %d", s.nFail, SWEEP_MAX_FAIL);
  }
}

/*
** One crash run: the machine stops before the iNth call of kind eKind (0: after the
** workload, before the close), then the power loss eLoss (drawn from iSeed) happens.
** bOverlay keeps unsynced writes apart (power loss); without it every write before the
** crash is in the files (a killed process).
*/
static void sweepCrashRun(Sweep *pS, int bOverlay, int eKind, int iNth, int eLoss,
                          unsigned int iSeed){
  static const char *azLoss[] = { "power loss", "process killed", "random loss",
                                  "loss of sizes", "loss of data" };
  SweepRun run;
  int bLossy = !pS->pMode->bDurable && eLoss!=FAULT_LOSS_KEEP;
  if( iNth>0 ){
    snprintf(pS->zCase, sizeof(pS->zCase), "%s/%s: %s before %s #%d (seed %u)",
             pS->pMode->zJournal, pS->pMode->zSync, azLoss[eLoss], azKind[eKind], iNth,
             iSeed);
  }else{
    snprintf(pS->zCase, sizeof(pS->zCase), "%s/%s: %s after the workload (seed %u)",
             pS->pMode->zJournal, pS->pMode->zSync, azLoss[eLoss], iSeed);
  }
  if( !sweepFresh(pS) ) return;
  if( bOverlay ) faultOverlayBegin();
  if( iNth>0 ) faultCrashAt(eKind, iNth);
  sweepWorkload(pS, &run);
  faultCrashNow();
  storeStop(pS->pStore);
  if( faultPowerLoss(eLoss, iSeed)!=0 ){
    FAIL("%s: applying the kept writes failed", pS->zCase);
  }
  sweepVerify(pS, &run, bLossy);
  pS->nRun++;
}

/*
** The crash sweep: power loss before every sync (all unsynced changes lost; only the
** writes lost; only the truncates lost); random loss before every sync
** (SWEEP_SEEDS seeds: a sync ends the largest set of unsynced changes) and before every
** write (one seed); a killed process before every write; each also once after the whole
** workload. Prints its runs and time.
*/
static void sweepCrashes(SweepStore *pStore, const SweepMode *pMode){
  Sweep s;
  int aCount[FAULT_NKIND];
  double rStart = sweepNow();
  int n, iSeed, nDrop, nRandom, nKill;
  sweepInit(&s, pStore, pMode);
  if( !sweepSteps() || !sweepDryRun(&s, aCount) ) return;

  for(n=0; n<=aCount[FAULT_SYNC] && s.nFail<=SWEEP_MAX_FAIL; n++){
    sweepCrashRun(&s, 1, FAULT_SYNC, n, FAULT_LOSS_DROP, 0);
  }
  for(n=0; n<=aCount[FAULT_SYNC] && s.nFail<=SWEEP_MAX_FAIL; n++){
    sweepCrashRun(&s, 1, FAULT_SYNC, n, FAULT_LOSS_DATA, 0);
    sweepCrashRun(&s, 1, FAULT_SYNC, n, FAULT_LOSS_SIZE, 0);
  }
  nDrop = s.nRun;
  for(iSeed=1; iSeed<=SWEEP_SEEDS; iSeed++){
    for(n=0; n<=aCount[FAULT_SYNC] && s.nFail<=SWEEP_MAX_FAIL; n++){
      sweepCrashRun(&s, 1, FAULT_SYNC, n, FAULT_LOSS_RANDOM, (unsigned)(1000*iSeed + n));
    }
  }
  for(n=1; n<=aCount[FAULT_WRITE] && s.nFail<=SWEEP_MAX_FAIL; n++){
    sweepCrashRun(&s, 1, FAULT_WRITE, n, FAULT_LOSS_RANDOM, (unsigned)(100000 + n));
  }
  nRandom = s.nRun - nDrop;
  for(n=0; n<=aCount[FAULT_WRITE] && s.nFail<=SWEEP_MAX_FAIL; n++){
    sweepCrashRun(&s, 0, FAULT_WRITE, n, FAULT_LOSS_KEEP, 0);
  }
  nKill = s.nRun - nDrop - nRandom;
  printf("  sweep %s/%s crashes: %d runs (power loss %d, random loss %d, killed %d)"
         " in %.1f s\n", pMode->zJournal, pMode->zSync, s.nRun, nDrop, nRandom, nKill,
         sweepNow() - rStart);
  if( s.nFail>SWEEP_MAX_FAIL ){
    FAIL("%d runs broke a rule; the sweep stopped after %d", s.nFail, SWEEP_MAX_FAIL);
  }
}

/* ---- the shim itself ---------------------------------------------------------------- */

/* Reads up to n bytes of file zPath at iOff with stdio, around the shim. Returns the
** count read, or -1 when the file cannot be opened. */
static int shimPeek(const char *zPath, long iOff, void *a, int n){
  FILE *pF = fopen(zPath, "rb");
  int nGot;
  if( pF==0 ) return -1;
  if( fseek(pF, iOff, SEEK_SET)!=0 ){
    fclose(pF);
    return 0;
  }
  nGot = (int)fread(a, 1, (size_t)n, pF);
  fclose(pF);
  return nGot;
}

/* Opens zPath through the shim, truncated to 0. Returns the handle or < 0. */
static int shimOpen(const char *zPath){
  int h = host_open(zPath, (int)strlen(zPath), SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE);
  if( h>=0 ) host_truncate(h, 0.0);
  return h;
}

TEST(fault010, "fault-010 shim: counters, transient and persistent faults, each code"){
  char a[8];
  int h = shimOpen("fault-010.bin");
  REQUIRE(h>=0);
  faultReset();
  CHECK_INT(host_write(h, "abcd", 4, 0.0), 0);
  CHECK_INT(host_read(h, a, 4, 0.0), 4);
  CHECK_INT(host_sync(h), 0);
  CHECK_INT(host_truncate(h, 2.0), 0);
  CHECK_INT(faultCount(FAULT_READ), 1);
  CHECK_INT(faultCount(FAULT_WRITE), 1);
  CHECK_INT(faultCount(FAULT_SYNC), 1);
  CHECK_INT(faultCount(FAULT_TRUNCATE), 1);
  CHECK_INT(faultCount(FAULT_FULL), 1);         /* the write grew the file */
  CHECK_INT(faultCount(FAULT_ANY), 4);

  faultArm(FAULT_READ, 2, 0);                     /* transient: the 2nd read only */
  CHECK_INT(host_read(h, a, 2, 0.0), 2);
  CHECK_INT(host_read(h, a, 2, 0.0), -SQLITE_IOERR_READ);
  CHECK_INT(host_read(h, a, 2, 0.0), 2);
  faultArm(FAULT_WRITE, 1, 1);                    /* persistent */
  CHECK_INT(host_write(h, "x", 1, 0.0), -SQLITE_IOERR_WRITE);
  CHECK_INT(host_write(h, "x", 1, 0.0), -SQLITE_IOERR_WRITE);
  CHECK_INT(host_read(h, a, 2, 0.0), 2);          /* other kinds unaffected */
  CHECK_MEM(a, 2, "ab", 2);                       /* a failed write changed nothing */
  faultArm(FAULT_TRUNCATE, 1, 0);
  CHECK_INT(host_truncate(h, 1.0), -SQLITE_IOERR_TRUNCATE);
  CHECK(host_size(h)==2.0);
  faultArm(FAULT_SYNC, 1, 0);
  CHECK_INT(host_sync(h), -SQLITE_IOERR_FSYNC);
  CHECK_INT(host_sync(h), 0);
  faultArm(FAULT_ANY, 3, 0);                      /* every kind counts towards ANY */
  CHECK_INT(host_sync(h), 0);
  CHECK_INT(host_read(h, a, 1, 0.0), 1);
  CHECK_INT(host_truncate(h, 2.0), -SQLITE_IOERR_TRUNCATE);
  faultDisarm();
  CHECK_INT(host_write(h, "x", 1, 0.0), 0);
  CHECK_INT(faultHits(), 1 + 2 + 1 + 1 + 1);
  host_close(h);
}

TEST(fault020, "fault-020 shim: a full storage fails writes that grow, after a short write"){
  unsigned char a[16];
  int h = shimOpen("fault-020.bin");
  REQUIRE(h>=0);
  faultReset();
  CHECK_INT(host_write(h, "0123456789", 10, 0.0), 0);
  faultArm(FAULT_FULL, 1, 1);
  CHECK_INT(host_write(h, "abcd", 4, 2.0), 0);          /* inside the file: fits */
  CHECK_INT(host_truncate(h, 8.0), 0);                   /* shrinking: fits */
  CHECK_INT(host_write(h, "ABCDEFGH", 8, 4.0), -SQLITE_FULL);
  CHECK(host_size(h)==10.0);                             /* 4 inside + half of 8 beyond 8 */
  CHECK_INT(host_read(h, a, 16, 0.0), 10);
  CHECK_MEM(a, 10, "01abABCDEF", 10);
  CHECK_INT(host_truncate(h, 100.0), -SQLITE_FULL);
  CHECK(host_size(h)==10.0);
  CHECK_INT(faultHits(), 2);
  faultDisarm();
  host_close(h);
}

TEST(fault030, "fault-030 shim: the overlay holds unsynced writes until sync or power loss"){
  unsigned char a[16];
  int h = shimOpen("fault-030.bin");
  REQUIRE(h>=0);
  faultReset();
  CHECK_INT(host_write(h, "synced", 6, 0.0), 0);
  faultOverlayBegin();
  CHECK_INT(host_write(h, "SY", 2, 0.0), 0);
  CHECK_INT(host_write(h, "++", 2, 6.0), 0);
  CHECK(host_size(h)==8.0);                              /* the core sees its writes */
  CHECK_INT(host_read(h, a, 16, 0.0), 8);
  CHECK_MEM(a, 8, "SYnced++", 8);
  CHECK_INT(shimPeek("fault-030.bin", 0, a, 16), 6);     /* the file does not, yet */
  CHECK_MEM(a, 6, "synced", 6);
  CHECK_INT(host_sync(h), 0);                            /* now it does */
  CHECK_INT(shimPeek("fault-030.bin", 0, a, 16), 8);
  CHECK_MEM(a, 8, "SYnced++", 8);
  CHECK_INT(faultPending(), 0);

  CHECK_INT(host_write(h, "lost", 4, 0.0), 0);
  CHECK_INT(host_truncate(h, 3.0), 0);
  CHECK_INT(faultPending(), 2);
  CHECK_INT(faultPowerLoss(FAULT_LOSS_DROP, 0), 0);
  CHECK_INT(shimPeek("fault-030.bin", 0, a, 16), 8);
  CHECK_MEM(a, 8, "SYnced++", 8);

  faultOverlayBegin();
  CHECK_INT(host_write(h, "data", 4, 0.0), 0);
  CHECK_INT(host_truncate(h, 6.0), 0);
  CHECK_INT(faultPowerLoss(FAULT_LOSS_DATA, 0), 0);     /* the write stays, not the size */
  CHECK_INT(shimPeek("fault-030.bin", 0, a, 16), 8);
  CHECK_MEM(a, 8, "dataed++", 8);

  faultOverlayBegin();
  CHECK_INT(host_write(h, "XX", 2, 0.0), 0);
  CHECK_INT(host_truncate(h, 6.0), 0);
  CHECK_INT(faultPowerLoss(FAULT_LOSS_SIZE, 0), 0);     /* the size stays, not the write */
  CHECK_INT(shimPeek("fault-030.bin", 0, a, 16), 6);
  CHECK_MEM(a, 6, "dataed", 6);

  /* a handle closed with writes waiting: they wait on, and a kept loss applies them */
  faultOverlayBegin();
  CHECK_INT(host_write(h, "kept", 4, 0.0), 0);
  CHECK_INT(host_close(h), 0);
  CHECK_INT(shimPeek("fault-030.bin", 0, a, 16), 6);
  CHECK_INT(faultPowerLoss(FAULT_LOSS_KEEP, 0), 0);
  CHECK_INT(shimPeek("fault-030.bin", 0, a, 16), 6);
  CHECK_MEM(a, 6, "kepted", 6);
}

TEST(fault040, "fault-040 shim: after the crash point every call fails, nothing reaches a file"){
  unsigned char a[8];
  int h = shimOpen("fault-040.bin");
  REQUIRE(h>=0);
  faultReset();
  CHECK_INT(host_write(h, "ab", 2, 0.0), 0);
  faultCrashAt(FAULT_WRITE, 2);
  CHECK_INT(host_write(h, "AB", 2, 0.0), 0);             /* the 1st write from now */
  CHECK(!faultCrashed());
  CHECK_INT(host_write(h, "XY", 2, 0.0), -SQLITE_IOERR_WRITE);
  CHECK(faultCrashed());
  CHECK_INT(host_read(h, a, 2, 0.0), -SQLITE_IOERR_READ);
  CHECK_INT(host_sync(h), -SQLITE_IOERR_FSYNC);
  CHECK_INT(host_truncate(h, 0.0), -SQLITE_IOERR_TRUNCATE);
  CHECK(host_size(h)<0);
  CHECK_INT(faultPowerLoss(FAULT_LOSS_KEEP, 0), 0);
  CHECK(!faultCrashed());
  CHECK_INT(host_read(h, a, 8, 0.0), 2);
  CHECK_MEM(a, 2, "AB", 2);
  host_close(h);
}

/* A pool store for a sweep test (its folder named zDir). NULL after a failure. */
static SweepStore *sweepPoolStore(const char *zDir){
  static SweepStore store;
  memset(&store, 0, sizeof(store));
  store.pPool = testPoolNew(zDir, SWEEP_SLOTS);
  return store.pPool ? &store : 0;
}

static const SweepMode modeDelete   = { "delete",   "FULL",   1, -1 };
static const SweepMode modeTruncate = { "truncate", "FULL",   1, -1 };
static const SweepMode modePersist  = { "persist",  "FULL",   1, -1 };
static const SweepMode modeWalFull  = { "wal",      "FULL",   1, SQLW_DURABLE };
static const SweepMode modeWalNorm  = { "wal",      "NORMAL", 0, SQLW_RELAXED };

TEST(fault100, "fault-100 pool, DELETE/FULL: every read, write, truncate, sync, full fails"){
  SweepStore *p = sweepPoolStore("fault-100");
  REQUIRE(p);
  sweepFaults(p, &modeDelete);
}

TEST(fault110, "fault-110 pool, TRUNCATE/FULL: every I/O call fails"){
  SweepStore *p = sweepPoolStore("fault-110");
  REQUIRE(p);
  sweepFaults(p, &modeTruncate);
}

TEST(fault120, "fault-120 pool, PERSIST/FULL: every I/O call fails"){
  SweepStore *p = sweepPoolStore("fault-120");
  REQUIRE(p);
  sweepFaults(p, &modePersist);
}

TEST(fault130, "fault-130 pool, WAL/FULL (SQLW_DURABLE): every I/O call fails"){
  SweepStore *p = sweepPoolStore("fault-130");
  REQUIRE(p);
  sweepFaults(p, &modeWalFull);
}

TEST(fault140, "fault-140 pool, WAL/NORMAL (SQLW_RELAXED): every I/O call fails"){
  SweepStore *p = sweepPoolStore("fault-140");
  REQUIRE(p);
  sweepFaults(p, &modeWalNorm);
}

/* Closes the host-VFS connection of the SweepStore given to harnessDefer(). */
static void sweepStoreDeferred(void *p){
  storeStop((SweepStore*)p);
}

TEST(fault150, "fault-150 host VFS, DELETE/FULL: every I/O call fails"){
  static SweepStore store;
  memset(&store, 0, sizeof(store));
  store.zFile = "fault-150.db";
  harnessDefer(sweepStoreDeferred, &store);
  sweepFaults(&store, &modeDelete);
}

TEST(fault200, "fault-200 pool, DELETE/FULL: power loss, random loss, killed process"){
  SweepStore *p = sweepPoolStore("fault-200");
  REQUIRE(p);
  sweepCrashes(p, &modeDelete);
}

TEST(fault210, "fault-210 pool, TRUNCATE/FULL: power loss, random loss, killed process"){
  SweepStore *p = sweepPoolStore("fault-210");
  REQUIRE(p);
  sweepCrashes(p, &modeTruncate);
}

TEST(fault220, "fault-220 pool, PERSIST/FULL: power loss, random loss, killed process"){
  SweepStore *p = sweepPoolStore("fault-220");
  REQUIRE(p);
  sweepCrashes(p, &modePersist);
}

TEST(fault230, "fault-230 pool, WAL/FULL (SQLW_DURABLE): power loss, random loss, killed"){
  SweepStore *p = sweepPoolStore("fault-230");
  REQUIRE(p);
  sweepCrashes(p, &modeWalFull);
}

TEST(fault240, "fault-240 pool, WAL/NORMAL (SQLW_RELAXED): commits lost, never half of one"){
  SweepStore *p = sweepPoolStore("fault-240");
  REQUIRE(p);
  sweepCrashes(p, &modeWalNorm);
}
