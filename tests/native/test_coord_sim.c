/*
** test_coord_sim.c — a deterministic simulator of the multi-tab protocol: 2–8 clients,
** each a real state machine (src/core/coord.c) driving the real engine
** (src/core/coord_engine.c) on one shared memory database, with the browser simulated
** around them: the leader lock (a FIFO queue, freed when its holder dies, taken by a
** steal), the clients' life locks, channels that delay and duplicate messages, timers,
** and storage that one client at a time may hold open (as OPFS sync access handles).
**
** A follower's page that knows the leader (its worker names it, after a delay, as the
** browser's worker does: coordDirectHead) and heard it answer, posts its requests to
** it itself and settles on its REPLY, which goes to the page alone when the leader
** answers at once, and to the page and its worker when it answered later (held behind a
** transaction). The request reaches the worker only when it waits a while or the
** leader changes (a REPLY may pass it), flagged direct when the leader the page used is
** still the one its worker names (docs/coord.md, "The follower's hop").
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
**   3. once crashes stop and a leader exists, every live client's requests are answered,
**      and its worker's machine holds nothing any more;
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
  int bDirect;                 /* the page posted it and waits for aTo's REPLY itself */
  int bPosted;                 /* the page posted it to aTo (it takes aTo's REPLY) */
  unsigned char aTo[COORD_ID_BYTES];
  uint32_t iGen;               /* the naming it was posted under */
  int bReg;                    /* its worker has been told of it */
  int64_t iRegAt;              /* when the page tells its worker, if still unanswered */
} SimReq;

/* A message of a page to its worker on its way: a request (bReq), or only the page's
** floor (it went idle after settling requests itself). */
typedef struct SimFrame {
  int bReq;
  SimReq r;
  uint32_t iGen;               /* the worker's naming of the leader the page used */
  uint32_t iAcked;             /* the page's floor when it sent it */
  int64_t iAt;
} SimFrame;

/* The worker's word to its page of the leader to post to (after a delay). */
typedef struct SimNote {
  uint32_t iGen;
  int bHead;
  unsigned char aHead[COORD_DIRECT_HEAD];
  int64_t iAt;
} SimNote;
#define SIM_FRAMES (2*SIM_REQUESTS+8)
#define SIM_NOTES  16

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
  int bFromPage;               /* posted by client iFrom's page (its requests channel) */
  int bPageOnly;               /* a REPLY for the addressee's page alone */
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
  SimFrame aFrame[SIM_FRAMES]; /* the page's messages on their way to its worker */
  int nFrame;
  uint32_t iWorkerGen;         /* the worker's naming of the leader, and the naming */
  int bWorkerHead;
  unsigned char aWorkerHead[COORD_DIRECT_HEAD];
  SimNote aNote[SIM_NOTES];    /* its words on their way to the page */
  int nNote;
  uint32_t iPageGen;           /* what the page was last told */
  int bHeard;                  /* the page heard the leader named answer this client */
  int bPageHead;
  unsigned char aPageHead[COORD_DIRECT_HEAD];
  char aTaken[SIM_REQUESTS+1]; /* per sequence: the page settled it from the channel */
  int nDirect;                 /* how many of its requests it settles from the channel */
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
  int nTaken;                  /* answers pages took from the channel */
  int iDirectFrom;             /* a page's message is being delivered: its client, or -1 */
  int nPassed;                 /* requests whose REPLY reached the worker before them */
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

static int simInTxn(void *pCtx){
  SimClient *c = (SimClient*)pCtx;
  return c->pDb ? c->real.xInTxn(c->real.pCtx) : 0;
}

static int simEpoch(void *pCtx, uint64_t iProposed, uint64_t *piEpoch){
  SimClient *c = (SimClient*)pCtx;
  if( c->pDb==0 ) return SQLITE_MISUSE;
  return c->real.xEpoch(c->real.pCtx, iProposed, piEpoch);
}

static void simDrain(Sim *s, int i);

/* After client i's worker handled an event: when the leader it would name to its page
** changed, it names the new one (or none), a little later, in order. */
static void simName(Sim *s, int i){
  SimClient *c = &s->c[i];
  unsigned char aHead[COORD_DIRECT_HEAD];
  int bHead;
  SimNote *n;
  int64_t iAt = s->now+(int64_t)(simRand(s)%3);
  if( c->pCoord==0 ) return;
  memset(aHead, 0, sizeof(aHead));
  bHead = coordDirectHead(c->pCoord, aHead);
  if( bHead==c->bWorkerHead && memcmp(aHead, c->aWorkerHead, sizeof(aHead))==0 ) return;
  c->bWorkerHead = bHead;
  memcpy(c->aWorkerHead, aHead, sizeof(aHead));
  c->iWorkerGen++;
  if( c->nNote>=SIM_NOTES ){
    simFail(s, "client %d: too many namings on their way%.0d", i, 0);
    return;
  }
  if( c->nNote && c->aNote[c->nNote-1].iAt>iAt ) iAt = c->aNote[c->nNote-1].iAt;
  n = &c->aNote[c->nNote++];
  n->iGen = c->iWorkerGen;
  n->bHead = bHead;
  memcpy(n->aHead, aHead, sizeof(aHead));
  n->iAt = iAt;
}

/* The body of request r (exec: u32 length, the SQL) in aBody[80]. Returns its size. */
static size_t simBody(const SimReq *r, unsigned char *aBody){
  size_t nSql = strlen(r->zSql);
  if( r->eKind!=1 ) return 0;
  aBody[0] = (unsigned char)nSql; aBody[1] = aBody[2] = aBody[3] = 0;
  memcpy(aBody+4, r->zSql, nSql);
  return 4+nSql;
}

/* The page's floor: every answer below its oldest pending request (or all it issued). */
static uint32_t simFloor(const SimClient *c){
  return c->nPending ? c->aPending[0].iSeq : c->nIssued+1;
}

/* Client i's worker gets request r of its page (bDirect: the page posted it to the
** leader its worker named as iGen) after the page's floor iAcked. */
static void simToWorker(Sim *s, int i, const SimReq *r, int bDirect, uint32_t iGen,
                        uint32_t iAcked){
  SimClient *c = &s->c[i];
  unsigned char aBody[80];
  size_t nBody = simBody(r, aBody);
  bDirect = bDirect && iGen==c->iWorkerGen;   /* the leader it named is still the one */
  if( bDirect && c->aTaken[r->iSeq] ) s->nPassed++;
  coordPageAcked(c->pCoord, iAcked);
  coordLocalRequest(c->pCoord, r->iSeq, r->iLease, r->eKind, aBody, nBody, COORD_NO_BUDGET,
                    bDirect, s->now);
  simDrain(s, i);
}

/* Hands request r of client i's page to its worker at once (a restarted worker). */
static void simSubmit(Sim *s, int i, const SimReq *r){
  simToWorker(s, i, r, 0, 0, simFloor(&s->c[i]));
}

/* Queues a message of client i's page to its worker (in order, a little later). */
static void simFrame(Sim *s, int i, const SimReq *r, uint32_t iGen){
  SimClient *c = &s->c[i];
  SimFrame *f;
  int64_t iAt = s->now+(int64_t)(simRand(s)%6);
  if( c->nFrame>=SIM_FRAMES ){
    simFail(s, "client %d: too many messages to its worker%.0d", i, 0);
    return;
  }
  if( c->nFrame && c->aFrame[c->nFrame-1].iAt>iAt ) iAt = c->aFrame[c->nFrame-1].iAt;
  f = &c->aFrame[c->nFrame++];
  memset(f, 0, sizeof(*f));
  f->bReq = r!=0;
  if( r ) f->r = *r;
  f->iGen = iGen;
  f->iAcked = simFloor(c);
  f->iAt = iAt;
}

/* Queues message a (n bytes) of client i on a channel (eAct), maybe twice. */
static void simPost(Sim *s, int i, int eAct, const unsigned char *aTo,
                    const unsigned char *a, size_t n, int bFromPage, int bPageOnly){
  int nCopy = simRand(s)%20==0 ? 2 : 1;   /* a duplicate now and then */
  while( nCopy-- && s->nMsg<SIM_MSGS ){
    SimMsg *m = &s->aMsg[s->nMsg++];
    m->eAct = eAct;
    m->iFrom = i;
    m->bFromPage = bFromPage;
    m->bPageOnly = bPageOnly;
    if( aTo ) memcpy(m->aTo, aTo, COORD_ID_BYTES); else memset(m->aTo, 0, COORD_ID_BYTES);
    m->iAt = s->now+(int64_t)(simRand(s)%4);
    m->a = sqlite3_malloc64(n);
    memcpy(m->a, a, n);
    m->n = n;
  }
}

/*
** Client i's page sends request r: posted on the leader channel by the page itself when
** it knows the leader and none of its requests went through the worker still waits (they
** would be overtaken), and handed to its worker in either case.
*/
static void simSend(Sim *s, int i, SimReq *r){
  SimClient *c = &s->c[i];
  int k, nVia = 0;
  for(k=0; k<c->nPending; k++){
    if( c->aPending[k].iSeq!=r->iSeq && !c->aPending[k].bDirect ) nVia++;
  }
  if( c->bPageHead && c->bHeard && nVia==0 ){
    CoordMsg m;
    SqlwBuf out = {0};
    unsigned char aBody[80];
    int b;
    memset(&m, 0, sizeof(m));
    m.eType = COORD_REQUEST;
    for(b=7; b>=0; b--) m.iEpoch = (m.iEpoch<<8) | c->aPageHead[8+b];
    memcpy(m.aSender, c->aPageHead+16, COORD_ID_BYTES);
    m.iSeq = r->iSeq;
    m.iLease = r->iLease;
    m.iAckedBelow = simFloor(c);
    m.eKind = r->eKind;
    m.iBudget = COORD_NO_BUDGET;
    m.aBody = aBody;
    m.nBody = (uint32_t)simBody(r, aBody);
    if( coordMsgEncode(&m, &out)!=SQLITE_OK || memcmp(out.a, c->aPageHead, COORD_HEADER)!=0 ){
      simFail(s, "client %d: the direct head does not encode as a REQUEST's%.0d", i, 0);
    }else{
      simPost(s, i, COORD_ACT_POST_LEADER, 0, out.a, out.n, 1, 0);
      r->bDirect = r->bPosted = 1;
      memcpy(r->aTo, c->aPageHead+COORD_HEADER, COORD_ID_BYTES);
      r->iGen = c->iPageGen;
      r->bReg = 0;
      r->iRegAt = s->now+1+(int64_t)(simRand(s)%8);
    }
    sqlwBufFree(&out);
  }
  if( !r->bDirect ) simFrame(s, i, r, c->iPageGen);   /* else later, if at all */
}

/* Client i's page tells its worker of its direct requests not answered yet (all of
** them, or those due by now). */
static void simRegister(Sim *s, int i, int bAll){
  SimClient *c = &s->c[i];
  int k;
  for(k=0; k<c->nPending; k++){
    SimReq *r = &c->aPending[k];
    if( !r->bPosted || r->bReg || (!bAll && r->iRegAt>s->now) ) continue;
    r->bReg = 1;
    simFrame(s, i, r, r->iGen);
  }
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
  simSend(s, i, r);
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
  e.xInTxn = simInTxn;
  e.xChanges = 0;
  c->pCoord = coordCreate(c->aId, &e, SIM_FREEZE, SIM_IDLE, s->now);
  if( c->pCoord==0 ){
    simFail(s, "coordCreate failed (client %d)%.0d", i, 0);
    return;
  }
  simDrain(s, i);
  s->aQueue[s->nQueue++] = i;
  c->bQueued = 1;
  for(k=0; k<c->nPending; k++){
    c->aPending[k].bDirect = 0;          /* the new worker sends them */
    c->aPending[k].bReg = 1;
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
  c->nFrame = 0;                                /* so do the page's messages to it */
  c->nNote = 0;
  c->bWorkerHead = 0;
  c->bPageHead = 0;                             /* the page posts nothing itself now */
  c->bHeard = 0;
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
    /* The worker's copy of an answer the page took from the channel is dropped. */
    if( !c->aTaken[f->iSeq] ){
      simFail(s, "client %d got an answer for seq %d it does not wait for", i, (int)f->iSeq);
    }
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
      case COORD_ACT_POST_ALL:
        /* The answer to a request a page posted goes to that page alone. */
        simPost(s, i, a.eAct, a.aId, a.aData, a.nData, 0,
                a.eAct==COORD_ACT_POST_CLIENT && s->iDirectFrom>=0 && a.nData>7
                && a.aData[6]==COORD_REPLY
                && memcmp(a.aId, s->c[s->iDirectFrom].aId, COORD_ID_BYTES)==0);
        break;
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
  simName(s, i);
}

/* Delivers message m to client i (if its worker runs). */
static void simDeliver(Sim *s, int i, const SimMsg *m){
  if( s->c[i].pCoord==0 ) return;
  coordMessage(s->c[i].pCoord, m->a, m->n, s->now);
  simDrain(s, i);
}

/*
** Client i's page hears message m on its channel: a REPLY to a request it posted itself,
** from the leader it posted it to, settles that request (its worker hears the same
** message). Once nothing is pending, the page tells its worker its floor.
*/
static void simPageHears(Sim *s, int i, const SimMsg *m){
  SimClient *c = &s->c[i];
  CoordMsg r;
  const char *zWhy = 0;
  SimAnswer f;
  int k;
  if( !c->bAlive || coordMsgDecode(m->a, m->n, &r, &zWhy)!=SQLITE_OK ) return;
  if( r.eType!=COORD_REPLY || memcmp(r.aTarget, c->aId, COORD_ID_BYTES)!=0 ) return;
  if( c->bPageHead && memcmp(r.aSender, c->aPageHead+COORD_HEADER, COORD_ID_BYTES)==0
   && memcmp(m->a+8, c->aPageHead+8, 8)==0 ){
    c->bHeard = 1;                 /* the leader named listens to this page */
  }
  if( r.eStatus==COORD_NOT_LEADER || r.nBody==0 ) return;
  for(k=0; k<c->nPending && c->aPending[k].iSeq!=r.iSeq; k++){}
  if( k==c->nPending || !c->aPending[k].bPosted
   || memcmp(c->aPending[k].aTo, r.aSender, COORD_ID_BYTES)!=0 ) return;
  memset(&f, 0, sizeof(f));
  f.iSeq = r.iSeq;
  f.eStatus = r.eStatus;
  f.rc = -1;
  if( r.eStatus==COORD_DONE && r.aBody[0]==1 && r.nBody>=13 ){
    const unsigned char *a = r.aBody+1;
    f.rc = (int)((uint32_t)a[8] | (uint32_t)a[9]<<8 | (uint32_t)a[10]<<16 | (uint32_t)a[11]<<24);
  }
  c->aTaken[r.iSeq] = 1;
  s->nTaken++;
  simPageAnswer(s, i, &f);
  if( c->nPending==0 && c->pCoord ) simFrame(s, i, 0, c->iPageGen);
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
  s->iDirectFrom = -1;
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
    /* The workers' namings of the leader reach their pages; the pages' messages reach
    ** their workers. */
    for(i=0; i<s->n; i++){
      SimClient *c = &s->c[i];
      while( c->nNote && c->aNote[0].iAt<=t ){
        SimNote n = c->aNote[0];
        int k;
        memmove(c->aNote, c->aNote+1, (size_t)(--c->nNote)*sizeof(SimNote));
        simRegister(s, i, 1);          /* the worker sends them to the new leader, if any */
        c->iPageGen = n.iGen;
        c->bHeard = 0;
        c->bPageHead = n.bHead;
        memcpy(c->aPageHead, n.aHead, sizeof(n.aHead));
        /* The worker sends the page's direct requests again itself from now on. */
        for(k=0; k<c->nPending; k++) c->aPending[k].bDirect = 0;
      }
      if( c->pCoord ) simRegister(s, i, 0);
      while( c->nFrame && c->aFrame[0].iAt<=t && c->pCoord ){
        SimFrame f = c->aFrame[0];
        memmove(c->aFrame, c->aFrame+1, (size_t)(--c->nFrame)*sizeof(SimFrame));
        if( f.bReq ){
          simToWorker(s, i, &f.r, f.r.bDirect, f.iGen, f.iAcked);
        }else{
          coordPageAcked(c->pCoord, f.iAcked);
        }
        s->iStep++;
      }
      if( c->nNote || c->nFrame ) bBusy = 1;
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
      if( m.eAct==COORD_ACT_POST_CLIENT && m.bPageOnly ){
        j = simIndexOf(s, m.aTo);
        if( j>=0 ) simPageHears(s, j, &m);
      }else if( m.eAct==COORD_ACT_POST_CLIENT ){
        j = simIndexOf(s, m.aTo);
        if( j>=0 && simRand(s)%2 ){          /* the page and its worker, in either order */
          simPageHears(s, j, &m);
          simDeliver(s, j, &m);
        }else if( j>=0 ){
          simDeliver(s, j, &m);
          simPageHears(s, j, &m);
        }
      }else{
        s->iDirectFrom = m.bFromPage ? m.iFrom : -1;
        for(j=0; j<s->n; j++) if( j!=m.iFrom ) simDeliver(s, j, &m);
        s->iDirectFrom = -1;
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
    }else if( s->c[i].bAlive && s->c[i].pCoord && !coordIdle(s->c[i].pCoord) ){
      simFail(s, "client %d's worker still holds requests at the end%.0d", i, 0);
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
  uint32_t nTaken = 0, nPassed = 0;
  for(seed=1; seed<=nRun && nFail<3; seed++){
    uint32_t s = zSeed ? (uint32_t)strtoul(zSeed, 0, 10) : seed;
    if( simRun(&sim, s, -1, 1, 0) ){
      FAIL("seed %u: %s (replay: SQLW_SIM_SEED=%u)", s, sim.zFail, s);
      nFail++;
    }
    nAcked += (uint32_t)sim.nAcked;
    nTaken += (uint32_t)sim.nTaken;
    nPassed += (uint32_t)sim.nPassed;
  }
  printf("  simulator: %u seeded runs, %u acknowledged writes checked; %u answers taken by "
         "pages from the channel, %u of them before their worker had the request\n",
         nRun, nAcked, nTaken, nPassed);
  CHECK(nRun<50 || (nTaken>0 && nPassed>0));   /* the direct path and its race ran */
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
