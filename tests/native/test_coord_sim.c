/*
** test_coord_sim.c — a deterministic simulator of the multi-tab protocol: 2–8 clients,
** each a real state machine (src/core/coord.c) driving the real engine
** (src/core/coord_engine.c) on one shared memory database, with the browser simulated
** around them: the leader lock (a FIFO queue, freed when its holder dies, taken by a
** steal), the clients' life locks, channels that delay and duplicate messages, timers,
** and storage that one client at a time may hold open (as OPFS sync access handles).
**
** Every client's page issues writes, each inserting a key unique to (client, seq) into
** t(k) — no UNIQUE constraint, so a write applied twice shows as a duplicate row. Answers
** take a few ms from a worker to its page and die with the worker. Worker crashes (the
** page keeps its requests and re-sends them to a restarted worker with the same client
** id and sequences, telling it the page's floor: coordPageAcked) and tab crashes (the client is gone) happen at random
** (random sweep), or to the current leader at every step of a fixed run, one run per
** step (systematic sweep). Checked:
**   1. only the client holding the storage runs requests (at most one executes);
**   2. no key is ever in t twice, and every acknowledged write's key is there;
**   3. once crashes stop and a leader exists, every live client's requests are answered;
** A failure prints its seed (and crash step); SQLW_SIM_SEED=<seed> replays one run,
** SQLW_SIM_STEP=<k> the sweep's run with a crash at step k, SQLW_SIM_TRACE=1 prints
** every action. SQLW_SIM_RUNS (default 500) and SQLW_SIM_SWEEPS (seeds swept, default
** 1) size the sweeps: the sanitizer build runs the defaults, `make test-sim` (gcc -O2)
** runs 10,000 seeds and 10 sweeps.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite3.h"
#include "support.h"
#include "../../src/core/coord.h"
#include "../../src/core/engine_int.h"

#define SIM_CLIENTS    8
#define SIM_REQUESTS  12       /* writes per client and run */
#define SIM_MSGS    4096
#define SIM_STEPS   4000       /* ms of simulated time, at most */
#define SIM_FREEZE   200       /* ms a request waits before a steal is tried */
#define SIM_IDLE     100       /* ms a transaction may idle before it is rolled back */

/* A request of a page, kept until answered (re-sent by a restarted worker). */
typedef struct SimReq {
  uint32_t iSeq;
  uint32_t iLease;             /* the transaction it belongs to, 0 for none */
  int eKind;                   /* 1 exec, or REQ_BEGIN / COMMIT */
  char zSql[48];               /* exec: the INSERT */
} SimReq;

/* Transaction stages of a page: BEGIN, two inserts, COMMIT, one at a time. */
#define TXN_NONE   0
#define TXN_BEGIN  1
#define TXN_A      2
#define TXN_B      3
#define TXN_COMMIT 4

typedef struct SimMsg {
  int eAct;                    /* COORD_ACT_POST_* */
  int iFrom;                   /* sender index */
  unsigned char aTo[COORD_ID_BYTES];  /* POST_CLIENT: the addressee */
  int64_t iAt;                 /* delivery time */
  unsigned char *a;
  size_t n;
} SimMsg;

/* An answer on its way from a worker to its page (lost if the worker dies first). */
typedef struct SimAnswer {
  uint32_t iSeq;
  int eStatus;
  int rc;                      /* the SQWR's code of a done exec, -1 otherwise */
  int64_t iAt;                 /* when the page gets it */
} SimAnswer;

typedef struct SimClient {
  int bAlive;                  /* the tab exists */
  Coord *pCoord;               /* its worker's machine, NULL while the worker is down */
  unsigned char aId[COORD_ID_BYTES];
  sqlw_db *pDb;                /* the storage, while this client holds it */
  CoordEngine real;            /* the engine over pDb */
  int bQueued;                 /* asks for the leader lock */
  int64_t iTimerAt;            /* coordTick() due, 0 for none */
  int64_t iOpenAt;             /* an asked storage open completes, 0 for none */
  int64_t iRestartAt;          /* the worker restarts, 0 for none */
  uint32_t nIssued;            /* requests the page made */
  SimReq aPending[SIM_REQUESTS]; /* requests not answered yet */
  int nPending;
  SimAnswer aFly[SIM_REQUESTS];  /* answers on their way to the page */
  int nFly;
  int eTxn;                    /* the transaction's stage, TXN_NONE when none runs */
  uint32_t iTxn;               /* its lease: the sequence of its BEGIN */
  int bTxnNext;                /* its next step is due */
  char aTxn[SIM_REQUESTS+1];   /* per BEGIN sequence: 1 committed (acked), 2 failed */
  int aWatch[SIM_CLIENTS];     /* as leader: watches client i's life */
} SimClient;

typedef struct Sim {
  uint32_t rng;
  int64_t now;
  int n;                       /* clients */
  SimClient c[SIM_CLIENTS];
  SimMsg aMsg[SIM_MSGS];
  int nMsg;
  int iHolder;                 /* the leader lock's holder, -1 for none */
  int aQueue[SIM_CLIENTS];     /* lock requests in order */
  int nQueue;
  char zDb[32];                /* the shared memory database */
  sqlw_db *pCheck;             /* a connection that keeps it alive and checks it */
  int bCrashes;                /* random crashes allowed now */
  int iStep;                   /* events handled */
  int iCrashStep;              /* systematic sweep: crash the leader at this step, or -1 */
  int nAcked;
  char aAcked[SIM_CLIENTS][SIM_REQUESTS+1];
  const char *zFail;           /* the first broken invariant */
  char zWhy[200];
} Sim;

static uint32_t simRand(Sim *s){
  uint32_t t = (s->rng += 0x6D2B79F5u);
  t = (t ^ (t>>15)) * (t | 1u);
  t ^= t + (t ^ (t>>7)) * (t | 61u);
  return t ^ (t>>14);
}

static void simFail(Sim *s, const char *zFmt, int a, int b){
  if( s->zFail ) return;
  snprintf(s->zWhy, sizeof(s->zWhy), zFmt, a, b);
  s->zFail = s->zWhy;
}

static int simIndexOf(Sim *s, const unsigned char *aId){
  int i;
  for(i=0; i<s->n; i++) if( memcmp(s->c[i].aId, aId, COORD_ID_BYTES)==0 ) return i;
  return -1;
}

/* The engine as the simulated browser gives it: only the storage holder may run. */
static int simExec(void *pCtx, const CoordRequest *pReq, int *peKind, SqlwBuf *pOut){
  SimClient *c = (SimClient*)pCtx;
  if( c->pDb==0 ) return SQLITE_MISUSE;     /* a write would fail: invariant 1 */
  return c->real.xExec(c->real.pCtx, pReq, peKind, pOut);
}

static int simForget(void *pCtx, const unsigned char *aClient){
  SimClient *c = (SimClient*)pCtx;
  return c->pDb ? c->real.xForget(c->real.pCtx, aClient) : SQLITE_MISUSE;
}

static int simRecorded(void *pCtx, SqlwBuf *pOut){
  SimClient *c = (SimClient*)pCtx;
  return c->pDb ? c->real.xRecorded(c->real.pCtx, pOut) : SQLITE_MISUSE;
}

static int simEpoch(void *pCtx, uint64_t iProposed, uint64_t *piEpoch){
  SimClient *c = (SimClient*)pCtx;
  if( c->pDb==0 ) return SQLITE_MISUSE;
  return c->real.xEpoch(c->real.pCtx, iProposed, piEpoch);
}

static void simDrain(Sim *s, int i);

/* Hands request r of client i's page to its worker. */
static void simSubmit(Sim *s, int i, const SimReq *r){
  unsigned char aBody[80];
  size_t nSql = strlen(r->zSql);
  aBody[0] = (unsigned char)nSql; aBody[1] = aBody[2] = aBody[3] = 0;
  memcpy(aBody+4, r->zSql, nSql);
  /* The page has every answer below its oldest pending request (or all it issued). */
  coordPageAcked(s->c[i].pCoord, s->c[i].nPending ? s->c[i].aPending[0].iSeq
                                                   : s->c[i].nIssued+1);
  coordLocalRequest(s->c[i].pCoord, r->iSeq, r->iLease, r->eKind, aBody,
                    r->eKind==1 ? 4+nSql : 0, COORD_NO_BUDGET, s->now);
  simDrain(s, i);
}

/* Client i's page makes a request: a plain insert, or the next step of its transaction. */
static void simIssue(Sim *s, int i){
  SimClient *c = &s->c[i];
  SimReq *r = &c->aPending[c->nPending];
  memset(r, 0, sizeof(*r));
  r->iSeq = ++c->nIssued;
  r->eKind = 1;
  switch( c->eTxn ){
    case TXN_NONE:
      if( c->nIssued+3<=SIM_REQUESTS && simRand(s)%4==0 ){
        c->eTxn = TXN_BEGIN;
        c->iTxn = r->iSeq;
        r->eKind = REQ_BEGIN;
      }else{
        snprintf(r->zSql, sizeof(r->zSql), "INSERT INTO t(k) VALUES('c%d-%u')", i, r->iSeq);
      }
      break;
    case TXN_BEGIN:
    case TXN_A:
      c->eTxn++;
      r->iLease = c->iTxn;
      snprintf(r->zSql, sizeof(r->zSql), "INSERT INTO t(k) VALUES('c%d-%u%c')", i, c->iTxn,
               c->eTxn==TXN_A ? 'a' : 'b');
      break;
    default:
      c->eTxn = TXN_COMMIT;
      r->iLease = c->iTxn;
      r->eKind = REQ_COMMIT;
      break;
  }
  c->nPending++;
  simSubmit(s, i, r);
}

/* Closes client i's storage, if open (an open transaction rolls back). */
static void simCloseStorage(Sim *s, int i){
  if( s->c[i].pDb ){
    sqlw_close(s->c[i].pDb);
    s->c[i].pDb = 0;
  }
}

/* Grants the leader lock to the first live queued client, if it is free. */
static void simGrant(Sim *s){
  while( s->iHolder<0 && s->nQueue>0 ){
    int i = s->aQueue[0];
    memmove(s->aQueue, s->aQueue+1, (size_t)(--s->nQueue)*sizeof(int));
    s->c[i].bQueued = 0;
    if( s->c[i].pCoord==0 ) continue;
    s->iHolder = i;
    coordLeaderLockGranted(s->c[i].pCoord, s->now);
    simDrain(s, i);
  }
}

/* Starts client i's worker: a machine, the lock asked for, the page's requests again. */
static void simStartWorker(Sim *s, int i){
  SimClient *c = &s->c[i];
  CoordEngine e;
  int k;
  e.pCtx = c;
  e.xExec = simExec;
  e.xEpoch = simEpoch;
  e.xForget = simForget;
  e.xRecorded = simRecorded;
  e.xDeadline = 0;
  c->pCoord = coordCreate(c->aId, &e, SIM_FREEZE, SIM_IDLE, s->now);
  if( c->pCoord==0 ){
    simFail(s, "coordCreate failed (client %d)%.0d", i, 0);
    return;
  }
  simDrain(s, i);
  s->aQueue[s->nQueue++] = i;
  c->bQueued = 1;
  for(k=0; k<c->nPending; k++){
    simSubmit(s, i, &c->aPending[k]);
  }
  simGrant(s);
}

/* Client i's worker dies; bTab: the whole tab. */
static void simCrash(Sim *s, int i, int bTab){
  SimClient *c = &s->c[i];
  int k, j;
  if( getenv("SQLW_SIM_TRACE") ) printf("  t=%lld client %d crashes (%s)\n", (long long)s->now, i, bTab ? "tab" : "worker");
  if( c->pCoord ){
    coordDestroy(c->pCoord);
    c->pCoord = 0;
  }
  simCloseStorage(s, i);
  c->iTimerAt = c->iOpenAt = 0;
  c->nFly = 0;                                  /* answers on their way die with it */
  for(k=0; k<s->nQueue; k++){
    if( s->aQueue[k]==i ){
      memmove(s->aQueue+k, s->aQueue+k+1, (size_t)(s->nQueue-k-1)*sizeof(int));
      s->nQueue--;
      break;
    }
  }
  c->bQueued = 0;
  memset(c->aWatch, 0, sizeof(c->aWatch));
  if( s->iHolder==i ) s->iHolder = -1;
  if( bTab ){
    c->bAlive = 0;
    c->nPending = 0;
    c->eTxn = TXN_NONE;
    c->bTxnNext = 0;
    /* Its life lock is free: the leader watching it learns of its death. */
    for(j=0; j<s->n; j++){
      if( s->c[j].aWatch[i] && s->c[j].pCoord ){
        s->c[j].aWatch[i] = 0;
        coordClientGone(s->c[j].pCoord, c->aId, s->now);
        simDrain(s, j);
      }
    }
  }else{
    c->iRestartAt = s->now+1+(int64_t)(simRand(s)%20);
  }
  simGrant(s);
}

/* Client i's page gets the answer f of one of its requests. */
static void simPageAnswer(Sim *s, int i, const SimAnswer *f){
  SimClient *c = &s->c[i];
  int k;
  SimReq r;
  for(k=0; k<c->nPending && c->aPending[k].iSeq!=f->iSeq; k++){}
  if( k==c->nPending ){
    simFail(s, "client %d got an answer for seq %d it does not wait for", i, (int)f->iSeq);
    return;
  }
  r = c->aPending[k];
  if( getenv("SQLW_SIM_TRACE") ){
    printf("  t=%lld client %d answer seq %u kind %d lease %u: status %d rc %d\n",
           (long long)s->now, i, r.iSeq, r.eKind, r.iLease, f->eStatus, f->rc);
  }
  memmove(c->aPending+k, c->aPending+k+1, (size_t)(c->nPending-k-1)*sizeof(SimReq));
  c->nPending--;
  if( r.iLease==0 && r.eKind==1 ){
    if( f->rc==SQLITE_OK ){
      s->aAcked[i][f->iSeq] = 1;
      s->nAcked++;
    }else{
      simFail(s, "a write of client %d failed (seq %d)", i, (int)f->iSeq);
    }
  }else if( c->eTxn!=TXN_NONE && (r.iSeq==c->iTxn || r.iLease==c->iTxn) ){
    if( f->rc!=SQLITE_OK ){
      c->aTxn[c->iTxn] = 2;               /* lost with a leader, or rolled back */
      c->eTxn = TXN_NONE;
    }else if( r.eKind==REQ_COMMIT ){
      c->aTxn[c->iTxn] = 1;
      s->nAcked += 2;
      c->eTxn = TXN_NONE;
    }else{
      c->bTxnNext = 1;
    }
  }
}

/* Performs the actions of client i's last event. */
static void simDrain(Sim *s, int i){
  SimClient *c = &s->c[i];
  CoordAction a;
  static int bTrace = -1;
  if( bTrace<0 ) bTrace = getenv("SQLW_SIM_TRACE")!=0;
  while( c->pCoord && coordNextAction(c->pCoord, &a) ){
    if( bTrace ){
      printf("  t=%lld client %d action %d (id %d, seq %u, leader %d, epoch %llu, msg type %d)\n",
             (long long)s->now, i, a.eAct, a.aId[0], a.iSeq, a.bLeader, (unsigned long long)a.iEpoch,
             a.eAct<=COORD_ACT_POST_ALL && a.nData>7 ? a.aData[6] : 0);
    }
    switch( a.eAct ){
      case COORD_ACT_POST_LEADER:
      case COORD_ACT_POST_CLIENT:
      case COORD_ACT_POST_ALL: {
        int nCopy = simRand(s)%20==0 ? 2 : 1;   /* a duplicate now and then */
        while( nCopy-- && s->nMsg<SIM_MSGS ){
          SimMsg *m = &s->aMsg[s->nMsg++];
          m->eAct = a.eAct;
          m->iFrom = i;
          memcpy(m->aTo, a.aId, COORD_ID_BYTES);
          m->iAt = s->now+(int64_t)(simRand(s)%4);
          m->a = sqlite3_malloc64(a.nData);
          memcpy(m->a, a.aData, a.nData);
          m->n = a.nData;
        }
        break;
      }
      case COORD_ACT_ROLE:
        if( !a.bLeader ) simCloseStorage(s, i);
        break;
      case COORD_ACT_OPEN_STORAGE:
        c->iOpenAt = s->now+1+(int64_t)(simRand(s)%3);
        break;
      case COORD_ACT_LOCAL_REPLY: {
        int rc = -1;
        if( a.eStatus==COORD_DONE && a.eKind==1 && a.nData>=12 ){
          rc = (int)((uint32_t)a.aData[8] | (uint32_t)a.aData[9]<<8
                     | (uint32_t)a.aData[10]<<16 | (uint32_t)a.aData[11]<<24);
        }
        if( c->nFly<SIM_REQUESTS ){
          SimAnswer *f = &c->aFly[c->nFly++];
          f->iSeq = a.iSeq;
          f->eStatus = a.eStatus;
          f->rc = rc;
          f->iAt = s->now+(int64_t)(simRand(s)%3);
        }else{
          simFail(s, "client %d has more answers in flight than requests%.0d", i, 0);
        }
        break;
      }
      case COORD_ACT_LEASE_LOST:
        if( c->eTxn!=TXN_NONE && a.iSeq==c->iTxn ){
          c->aTxn[c->iTxn] = 2;
          c->eTxn = TXN_NONE;
        }
        break;
      case COORD_ACT_WATCH_CLIENT: {
        int j = simIndexOf(s, a.aId);
        if( j>=0 ){
          if( s->c[j].bAlive ) c->aWatch[j] = 1;
          else coordClientGone(c->pCoord, a.aId, s->now);   /* its lock is free already */
        }
        break;
      }
      case COORD_ACT_TIMER:
        c->iTimerAt = a.iAt;
        break;
      case COORD_ACT_STEAL_LEADER:
        /* The lock changes hands at once; the old holder learns it from epochs. */
        if( s->iHolder!=i ){
          int k;
          for(k=0; k<s->nQueue; k++){
            if( s->aQueue[k]==i ){
              memmove(s->aQueue+k, s->aQueue+k+1, (size_t)(s->nQueue-k-1)*sizeof(int));
              s->nQueue--;
              break;
            }
          }
          if( s->iHolder>=0 && s->c[s->iHolder].pCoord ){
            int iOld = s->iHolder;
            s->aQueue[s->nQueue++] = iOld;         /* the old holder asks again */
            s->iHolder = i;
            coordLeaderLockLost(s->c[iOld].pCoord, s->now);
            simDrain(s, iOld);
          }
          s->iHolder = i;
          coordLeaderLockGranted(c->pCoord, s->now);
        }
        break;
      default:
        break;
    }
  }
}

/* Delivers message m to client i (if its worker runs). */
static void simDeliver(Sim *s, int i, const SimMsg *m){
  if( s->c[i].pCoord==0 ) return;
  coordMessage(s->c[i].pCoord, m->a, m->n, s->now);
  simDrain(s, i);
}

/* Checks invariant 2 on the database: no key twice; bAll: every acked key present. */
static void simCheckRows(Sim *s, int bAll){
  const WrResult *r = testExec(s->pCheck, "SELECT count(*) - count(DISTINCT k) FROM t", 0, 0);
  int i;
  uint32_t q;
  if( r->rc==SQLITE_BUSY && !bAll ) return;   /* a transaction holds the database now */
  if( r->rc!=SQLITE_OK || r->nSet!=1 ){
    if( getenv("SQLW_SIM_TRACE") ){
      int j;
      for(j=0; j<s->n; j++){
        unsigned char aH[COORD_ID_BYTES];
        if( s->c[j].pDb ) printf("  client %d holds the storage: autocommit %d, lease %d\n", j,
          sqlite3_get_autocommit(sqlwHandle(s->c[j].pDb)),
          s->c[j].pCoord ? coordLeaseHolder(s->c[j].pCoord, aH) : -1);
      }
    }
    simFail(s, "cannot read t (rc %d)%.0d", r->rc, 0);
    return;
  }
  if( wrCell(&r->aSet[0], 0, 0)->i!=0 ){
    simFail(s, "%d write(s) applied twice%.0d", (int)wrCell(&r->aSet[0], 0, 0)->i, 0);
  }
  if( !bAll ) return;
  for(i=0; i<s->n; i++){
    for(q=1; q<=SIM_REQUESTS; q++){
      char zSql[120];
      sqlite3_int64 nA, nB;
      if( !s->c[i].aTxn[q] ) continue;
      snprintf(zSql, sizeof(zSql), "SELECT (SELECT count(*) FROM t WHERE k='c%d-%ua'), "
               "(SELECT count(*) FROM t WHERE k='c%d-%ub')", i, q, i, q);
      r = testExec(s->pCheck, zSql, 0, 0);
      if( r->rc!=SQLITE_OK ) continue;
      nA = wrCell(&r->aSet[0], 0, 0)->i;
      nB = wrCell(&r->aSet[0], 0, 1)->i;
      if( nA!=nB ){
        simFail(s, "a transaction of client %d (lease %d) was committed in part", i, (int)q);
      }else if( s->c[i].aTxn[q]==1 && nA!=1 ){
        simFail(s, "a committed transaction of client %d (lease %d) is not there once", i, (int)q);
      }
    }
  }
  for(i=0; i<s->n; i++){
    for(q=1; q<=SIM_REQUESTS; q++){
      char zSql[80];
      if( !s->aAcked[i][q] ) continue;
      snprintf(zSql, sizeof(zSql), "SELECT count(*) FROM t WHERE k='c%d-%u'", i, q);
      r = testExec(s->pCheck, zSql, 0, 0);
      if( r->rc!=SQLITE_OK || wrCell(&r->aSet[0], 0, 0)->i!=1 ){
        simFail(s, "an acknowledged write of client %d (seq %d) is not in the database", i, (int)q);
      }
    }
  }
}

/*
** Checks that the records of answered writes stay bounded: none left of a dead client
** (the leader forgets them), and a live one's only since its last acknowledgement.
*/
static void simCheckRecords(Sim *s){
  int i, iLeader = -1;
  for(i=0; i<s->n; i++) if( s->c[i].pCoord && coordIsLeader(s->c[i].pCoord) ) iLeader = i;
  for(i=0; i<s->n && !s->zFail; i++){
    char zSql[120];
    const WrResult *r;
    int k;
    sqlite3_int64 n;
    k = snprintf(zSql, sizeof(zSql), "SELECT count(*) FROM _sqlw_requests WHERE client=x'");
    for(int b=0; b<COORD_ID_BYTES; b++) k += snprintf(zSql+k, sizeof(zSql)-(size_t)k, "%02x", s->c[i].aId[b]);
    snprintf(zSql+k, sizeof(zSql)-(size_t)k, "'");
    r = testExec(s->pCheck, zSql, 0, 0);
    if( r->rc!=SQLITE_OK ) continue;     /* no leader ever made the table */
    n = wrCell(&r->aSet[0], 0, 0)->i;
    if( !s->c[i].bAlive && n!=0 && iLeader>=0 ){
      /* With no leader (every tab that ran one closed), nobody could forget them yet. */
      simFail(s, "%d record(s) of dead client %d were kept", (int)n, i);
    }else if( n>SIM_REQUESTS ){
      simFail(s, "client %d has %d records", i, (int)n);
    }
  }
}

/* One run: with random crashes when bRandom, with the leader crashed at step iCrashStep
** (-1: never). Returns 0 when every invariant held, else 1 (s->zFail says which). */
static int simRun(Sim *s, uint32_t seed, int iCrashStep, int bRandom, int *pnSteps){
  int i, t;
  memset(s, 0, sizeof(*s));
  s->rng = seed;
  s->iHolder = -1;
  s->iCrashStep = iCrashStep;
  s->n = 2+(int)(simRand(s)%(SIM_CLIENTS-1));
  snprintf(s->zDb, sizeof(s->zDb), "/sim-%u-%d", seed, iCrashStep);
  s->pCheck = testOpen(s->zDb, "memdb");
  if( s->pCheck==0 ) return 1;
  if( testExec(s->pCheck, "CREATE TABLE t(k TEXT)", 0, 0)->rc ) return 1;
  s->bCrashes = bRandom;
  for(i=0; i<s->n; i++){
    SimClient *c = &s->c[i];
    int k;
    c->bAlive = 1;
    for(k=0; k<COORD_ID_BYTES; k++) c->aId[k] = (unsigned char)simRand(s);
    c->aId[0] = (unsigned char)i;           /* distinct whatever the generator says */
  }
  for(i=0; i<s->n; i++) simStartWorker(s, i);

  for(t=0; t<SIM_STEPS && !s->zFail; t++){
    int bBusy = 0;
    s->now = t;
    /* Answers reach their pages. */
    for(i=0; i<s->n; i++){
      SimClient *c = &s->c[i];
      int k;
      for(k=0; k<c->nFly; k++){
        SimAnswer f = c->aFly[k];
        if( f.iAt>t ){ bBusy = 1; continue; }
        memmove(c->aFly+k, c->aFly+k+1, (size_t)(c->nFly-k-1)*sizeof(SimAnswer));
        c->nFly--;
        k--;
        simPageAnswer(s, i, &f);
      }
    }
    /* The pages make requests; a transaction's steps follow one another. */
    for(i=0; i<s->n; i++){
      SimClient *c = &s->c[i];
      if( !c->bAlive || c->pCoord==0 ) continue;
      if( c->eTxn!=TXN_NONE ){
        if( c->bTxnNext ){
          c->bTxnNext = 0;
          simIssue(s, i);
          s->iStep++;
        }
      }else if( c->nIssued<SIM_REQUESTS && simRand(s)%8==0 ){
        simIssue(s, i);
        s->iStep++;
      }
    }
    /* Messages due now, in the order they were posted. */
    for(i=0; i<s->nMsg; i++){
      SimMsg m = s->aMsg[i];
      int j;
      if( m.iAt>t ){ bBusy = 1; continue; }
      memmove(s->aMsg+i, s->aMsg+i+1, (size_t)(s->nMsg-i-1)*sizeof(SimMsg));
      s->nMsg--;
      i--;
      if( m.eAct==COORD_ACT_POST_CLIENT ){
        j = simIndexOf(s, m.aTo);
        if( j>=0 ) simDeliver(s, j, &m);
      }else{
        for(j=0; j<s->n; j++) if( j!=m.iFrom ) simDeliver(s, j, &m);
      }
      sqlite3_free(m.a);
      s->iStep++;
      if( s->iStep==s->iCrashStep && s->iHolder>=0 ){
        simCrash(s, s->iHolder, s->iStep%2);   /* its worker, or its whole tab */
      }
      bBusy = 1;
    }
    /* Storage opens, timers, restarts, random crashes. */
    for(i=0; i<s->n; i++){
      SimClient *c = &s->c[i];
      unsigned char aScratchId[COORD_ID_BYTES];
      if( c->pCoord && c->iOpenAt && c->iOpenAt<=t ){
        int j, rc = SQLITE_OK;
        c->iOpenAt = 0;
        for(j=0; j<s->n; j++) if( s->c[j].pDb ) rc = SQLITE_BUSY;   /* held elsewhere */
        if( rc==SQLITE_OK && sqlw_open(s->zDb, "memdb", 0, &c->pDb)!=SQLITE_OK ){
          sqlw_close(c->pDb);
          c->pDb = 0;
          rc = SQLITE_CANTOPEN;
        }
        if( c->pDb ) coordEngineInit(&c->real, c->pDb);
        coordStorageOpened(c->pCoord, rc, s->now);
        simDrain(s, i);
        s->iStep++;
      }
      if( c->pCoord && c->iTimerAt && c->iTimerAt<=t ){
        c->iTimerAt = 0;
        coordTick(c->pCoord, s->now);
        simDrain(s, i);
      }
      if( c->bAlive && c->pCoord==0 && c->iRestartAt && c->iRestartAt<=t ){
        c->iRestartAt = 0;
        simStartWorker(s, i);
      }
      if( c->iOpenAt || c->iRestartAt || c->nPending || c->bTxnNext || c->eTxn!=TXN_NONE
       || (c->bAlive && c->nIssued<SIM_REQUESTS) ){
        bBusy = 1;
      }
      /* A lease left behind (its transaction failed at the page) ends by its timeout. */
      if( c->pCoord && coordLeaseHolder(c->pCoord, aScratchId) && c->iTimerAt ){
        bBusy = 1;
      }
    }
    if( s->bCrashes && t<SIM_STEPS/2 && simRand(s)%400==0 ){
      int v = (int)(simRand(s)%(uint32_t)s->n);
      if( s->c[v].bAlive && s->c[v].pCoord ) simCrash(s, v, simRand(s)%3==0);
    }
    if( t%64==0 ) simCheckRows(s, 0);
    for(i=0; i<s->n; i++){
      unsigned char aHolder[COORD_ID_BYTES];
      int j;
      if( s->c[i].pCoord==0 || !coordLeaseHolder(s->c[i].pCoord, aHolder) ) continue;
      j = simIndexOf(s, aHolder);
      if( j<0 || !s->c[j].bAlive ) simFail(s, "leader %d keeps the lease of dead client %d", i, j);
    }
    if( !bBusy ) break;                      /* everything answered, nothing in flight */
    /* Past half the time nothing crashes: what is left must finish (invariant 3). */
    if( t>=SIM_STEPS/2 ) s->bCrashes = 0;
  }
  simCheckRows(s, 1);
  for(i=0; i<s->n && !s->zFail; i++){
    if( s->c[i].bAlive && s->c[i].nPending ){
      simFail(s, "client %d still waits for %d request(s) at the end", i, s->c[i].nPending);
    }
  }
  simCheckRecords(s);
  for(i=0; i<s->n; i++){
    if( s->c[i].pCoord ) coordDestroy(s->c[i].pCoord);
    simCloseStorage(s, i);
  }
  for(i=0; i<s->nMsg; i++) sqlite3_free(s->aMsg[i].a);
  testClose(s->pCheck);
  if( pnSteps ) *pnSteps = s->iStep;
  return s->zFail!=0;
}

/* A positive count from the environment variable zName, else nDefault. */
static uint32_t simEnv(const char *zName, uint32_t nDefault){
  const char *z = getenv(zName);
  unsigned long n = z ? strtoul(z, 0, 10) : 0;
  return n>0 ? (uint32_t)n : nDefault;
}

TEST(coordsim, "coord-200 simulator: random crashes, delays, duplicates; nothing lost or doubled"){
  static Sim sim;
  const char *zSeed = getenv("SQLW_SIM_SEED");
  uint32_t seed, nRun = zSeed ? 1 : simEnv("SQLW_SIM_RUNS", 500), nFail = 0, nAcked = 0;
  for(seed=1; seed<=nRun && nFail<3; seed++){
    uint32_t s = zSeed ? (uint32_t)strtoul(zSeed, 0, 10) : seed;
    if( simRun(&sim, s, -1, 1, 0) ){
      FAIL("seed %u: %s (replay: SQLW_SIM_SEED=%u)", s, sim.zFail, s);
      nFail++;
    }
    nAcked += (uint32_t)sim.nAcked;
  }
  printf("  simulator: %u seeded runs, %u acknowledged writes checked\n", nRun, nAcked);
}

TEST(coordsimsweep, "coord-210 simulator: the leader crashes at every step of a run"){
  static Sim sim;
  int nSteps = 0, k, nFail = 0, nTotal = 0;
  uint32_t seed, nSeed = simEnv("SQLW_SIM_SWEEPS", 1);
  if( getenv("SQLW_SIM_STEP") ){
    seed = simEnv("SQLW_SIM_SEED", 7);
    k = atoi(getenv("SQLW_SIM_STEP"));
    if( simRun(&sim, seed, k, 0, 0) ) FAIL("seed %u, leader crashed at step %d: %s", seed, k, sim.zFail);
    return;
  }
  for(seed=7; seed<7+nSeed && nFail<3; seed++){
    if( simRun(&sim, seed, -1, 0, &nSteps) ){
      FAIL("seed %u: the run without crashes failed: %s", seed, sim.zFail);
      return;
    }
    for(k=1; k<=nSteps && nFail<3; k++){
      if( simRun(&sim, seed, k, 0, 0) ){
        FAIL("seed %u, leader crashed at step %d: %s (replay: SQLW_SIM_SEED=%u SQLW_SIM_STEP=%d)",
             seed, k, sim.zFail, seed, k);
        nFail++;
      }
    }
    nTotal += nSteps;
  }
  printf("  simulator: %u run(s) swept, the leader crashed at each of %d steps in all\n", nSeed, nTotal);
}
