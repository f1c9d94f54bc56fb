/*
** coord.c — the multi-tab protocol's state machine (docs/coord.md): one per tab, fed
** events (lock granted or lost, storage opened, a message, a local request, a tick) and
** draining actions (posts, role changes, replies, timers) that its runtime carries out.
** It does no I/O itself. The leader serves requests through a CoordEngine (coord.h;
** coord_engine.c over an sqlw_db); the messages it exchanges are coord_msg.c's.
**
** Why one file of about 1,100 lines: it is one object whose every event handler reads
** and changes the same state (role, epoch, lease, pending, held and withdrawn requests),
** and its invariants (docs/coord.md) are kept by the handlers together; split, they
** would be read apart. What is separable is elsewhere: messages (coord_msg.c), how a
** request runs (coord_engine.c).
*/
#include <string.h>
#include "sqlite3.h"
#include "coord.h"

#define COORD_FOLLOWER 0      /* not the leader (a leader may or may not be known) */
#define COORD_OPENING  1      /* holds the leader lock, storage not open yet */
#define COORD_LEADER   2      /* holds the lock and the open database */
#define COORD_RETRY_MS 1000   /* wait before asking to open storage again */
#define COORD_MAX_LEADERS 3   /* leaders a request may outlive before it is given up */
#define COORD_CANCEL_KEEP 32  /* withdrawals remembered for requests not arrived yet */
#define COORD_AHEAD_KEEP  64  /* answers remembered that passed before their request */
#define COORD_BUF_KEEP (1u<<20) /* a buffer larger than this is freed once used */

/* A request of this tab not answered yet. */
typedef struct CoordPending CoordPending;
struct CoordPending {
  uint32_t iSeq;              /* its sequence */
  uint32_t iLease;            /* the transaction (lease) it belongs to, 0 for none */
  int eKind;                  /* request kind (SQWQ op) */
  unsigned char *aBody;       /* its body (sqlite3_malloc'd), or NULL when empty */
  size_t nBody;
  int64_t iSent;              /* when it was last posted to a leader; 0: not posted */
  int64_t iMade;              /* when this tab made it */
  int64_t iDeadline;          /* when the page stops waiting for it; -1: never */
  uint64_t iLedBy;            /* the epoch of the leader it last went to (0: none yet) */
  int nLeaders;               /* leaders it went to (this tab's own turns included) */
  int bDirect;                /* its page posted it to aTo[0] and takes that leader's
                              ** answer itself (see coordLocalRequest) */
  int nTo;                    /* leaders in aTo */
  unsigned char aTo[2][COORD_ID_BYTES]; /* the last two leaders it went to, newest first:
                              ** only they (or the leader now known) may answer it */
  CoordPending *pNext;
};

/* Another client's request the leader holds while a lease of someone else runs. */
typedef struct CoordHeld CoordHeld;
struct CoordHeld {
  unsigned char aClient[COORD_ID_BYTES];
  uint32_t iSeq, iAckedBelow, iLease;
  int eKind;
  int64_t iDeadline;          /* when its asker stops waiting (this leader's clock); -1: never */
  unsigned char *aBody;       /* sqlite3_malloc'd, or NULL when empty */
  size_t nBody;
  CoordHeld *pNext;
};

/* An action, with its data as an offset into Coord.data (which may move). */
typedef struct CoordQueued {
  CoordAction act;
  size_t iData;
} CoordQueued;

struct Coord {
  unsigned char aId[COORD_ID_BYTES];      /* this client */
  CoordEngine eng;                        /* how the leader runs requests */
  int64_t freezeMs;                       /* see coordCreate() */
  int64_t idleMs;                         /* see coordCreate() */
  int bLease;                             /* leader: a transaction's lease is held */
  unsigned char aLeaseClient[COORD_ID_BYTES]; /* by this client */
  uint32_t iLease;                        /* its id (the sequence of its BEGIN) */
  int64_t iLeaseIdleAt;                   /* rolled back when idle until then */
  CoordHeld *pHeld, *pHeldLast;           /* requests waiting for the lease to end */
  struct {                                /* withdrawals that found nothing held (the   */
    unsigned char aClient[COORD_ID_BYTES];/* request may still be on its way): a later */
    uint32_t iSeq;                        /* copy of one is dropped. A ring of the      */
  } aCancel[COORD_CANCEL_KEEP];           /* latest COORD_CANCEL_KEEP.                  */
  int iCancel;                            /* next slot of aCancel */
  unsigned char (*aGone)[COORD_ID_BYTES]; /* clients gone during a lease: forgotten after */
  int64_t iBeatAt;                        /* leader holding requests: next ANNOUNCE */
  int nGone, nGoneAlloc;
  int eState;                             /* COORD_FOLLOWER / OPENING / LEADER */
  uint64_t iEpoch;                        /* highest epoch seen (own, as leader) */
  int bLeaderKnown;                       /* a follower knows who leads */
  unsigned char aLeader[COORD_ID_BYTES];  /* who */
  int bStealAsked;                        /* a steal was asked of the current leader */
  int64_t iProbed;                        /* follower: when it last asked who leads
                                          ** (HELLO) because a request waited long */
  int64_t iRetryAt;                       /* OPENING after a failed open: when to retry */
  int64_t iRunLocalAt;                    /* a new leader runs this tab's held requests
                                          ** then (0: none waiting), after the runtime has
                                          ** told the page of its role */
  int64_t iTimerAt;                       /* the timer last asked for, 0 for none */
  CoordPending *pFirst, *pLast;           /* this tab's unanswered requests, in order */
  uint32_t iPageAcked;                    /* the page has every answer below it */
  uint32_t iMaxSeq;                       /* the highest sequence the page gave */
  uint32_t aAhead[COORD_AHEAD_KEEP];      /* the known leader's answers to sequences the */
  int iAhead;                             /* page has not given yet (a direct request's */
                                          /* REPLY can pass it): a ring, 0 for empty */
  unsigned char (*aWatched)[COORD_ID_BYTES]; /* leader: clients whose lives it watches */
  uint32_t *aBegun;                       /* for each: the highest BEGIN it served, or 0 */
  int nWatched, nWatchedAlloc;
  CoordQueued *aAct;                      /* actions of the current event */
  int nAct, nActAlloc, iActNext;
  SqlwBuf data;                           /* the actions' bytes */
  SqlwBuf scratch;                        /* an answer being built */
  int bOom;                               /* an allocation failed in this event */
};

/*
** Starts an event. The previous events' actions are forgotten once all were taken; an
** event raised while the runtime still drains actions (a client found dead while its
** watch is being set up) queues its actions after the ones not yet taken.
*/
static void coordBegin(Coord *p){
  if( p->iActNext>=p->nAct ){
    p->nAct = 0;
    p->iActNext = 0;
    p->data.n = 0;
    p->data.bOom = 0;
    /* A large answer's buffer is not kept for the next event. */
    if( p->data.nAlloc>COORD_BUF_KEEP ) sqlwBufFree(&p->data);
  }
  p->bOom = 0;
}

/* Queues an action whose data are the last n bytes of p->data. Returns the action, or
** NULL (OOM). */
static CoordAction *coordActTail(Coord *p, int eAct, size_t n){
  CoordQueued *q;
  if( p->nAct==p->nActAlloc ){
    int nNew = p->nActAlloc ? p->nActAlloc*2 : 16;
    CoordQueued *aNew = sqlite3_realloc64(p->aAct, (sqlite3_uint64)nNew*sizeof(*aNew));
    if( aNew==0 ){ p->bOom = 1; return 0; }
    p->aAct = aNew;
    p->nActAlloc = nNew;
  }
  q = &p->aAct[p->nAct];
  memset(q, 0, sizeof(*q));
  q->act.eAct = eAct;
  q->iData = p->data.n-n;
  q->act.nData = n;
  p->nAct++;
  return &q->act;
}

/* Queues an action whose data (a, n) is copied. Returns the action, or NULL (OOM). */
static CoordAction *coordAct(Coord *p, int eAct, const unsigned char *a, size_t n){
  if( n ){
    if( sqlwBufReserve(&p->data, n) ){ p->bOom = 1; return 0; }
    memcpy(p->data.a+p->data.n, a, n);
    p->data.n += n;
  }
  return coordActTail(p, eAct, n);
}

/* Queues the post of message *pMsg on a channel (eAct: COORD_ACT_POST_*). */
static void coordPost(Coord *p, int eAct, CoordMsg *pMsg, const unsigned char *aTo){
  CoordAction *pAct;
  size_t nHad = p->data.n;
  memcpy(pMsg->aSender, p->aId, COORD_ID_BYTES);
  pMsg->iEpoch = p->iEpoch;
  /* Encoded in place, after the actions' bytes so far (a failed encoding adds none). */
  if( coordMsgEncode(pMsg, &p->data) ){ p->bOom = 1; return; }
  pAct = coordActTail(p, eAct, p->data.n-nHad);
  if( pAct && aTo ) memcpy(pAct->aId, aTo, COORD_ID_BYTES);
}

/* Posts ANNOUNCE (the leader). */
static void coordAnnounce(Coord *p){
  CoordMsg m;
  memset(&m, 0, sizeof(m));
  m.eType = COORD_ANNOUNCE;
  coordPost(p, COORD_ACT_POST_ALL, &m, 0);
}

/* The lowest sequence whose answer the page may still lack: the lowest the machine has
** not answered, or the page's own floor (an answer may be on its way to the page, and
** lost with the worker), whichever is lower. */
static uint32_t coordAckedBelow(const Coord *p){
  uint32_t i = p->pFirst ? p->pFirst->iSeq : 0xffffffffu;
  return p->iPageAcked<i ? p->iPageAcked : i;
}

/* The deadline, on this machine's clock, of a budget received at iNow. */
static int64_t coordDeadline(uint32_t iBudget, int64_t iNow){
  return iBudget==COORD_NO_BUDGET ? -1 : iNow+(int64_t)iBudget;
}

/* The budget left at iNow before iDeadline (0 once passed). */
static uint32_t coordBudget(int64_t iDeadline, int64_t iNow){
  if( iDeadline<0 ) return COORD_NO_BUDGET;
  if( iDeadline<=iNow ) return 0;
  return iDeadline-iNow>=(int64_t)COORD_NO_BUDGET ? COORD_NO_BUDGET-1 : (uint32_t)(iDeadline-iNow);
}

/* Records pending request r as posted to the known leader at iNow. */
static void coordMarkSent(Coord *p, CoordPending *r, int64_t iNow){
  if( r->iLedBy!=p->iEpoch ){
    r->iLedBy = p->iEpoch;
    r->nLeaders++;
  }
  if( p->bLeaderKnown && (r->nTo==0 || memcmp(r->aTo[0], p->aLeader, COORD_ID_BYTES)!=0) ){
    memcpy(r->aTo[1], r->aTo[0], COORD_ID_BYTES);
    memcpy(r->aTo[0], p->aLeader, COORD_ID_BYTES);
    if( r->nTo<2 ) r->nTo++;
  }
  r->iSent = iNow>0 ? iNow : 1;     /* 0 means "not posted" */
}

/* Posts pending request r to the leader (from now on its answer comes through here). */
static void coordSend(Coord *p, CoordPending *r, int64_t iNow){
  CoordMsg m;
  memset(&m, 0, sizeof(m));
  m.eType = COORD_REQUEST;
  m.iSeq = r->iSeq;
  m.iLease = r->iLease;
  m.iAckedBelow = coordAckedBelow(p);
  m.eKind = r->eKind;
  m.iBudget = coordBudget(r->iDeadline, iNow);
  m.aBody = r->aBody;
  m.nBody = (uint32_t)r->nBody;
  coordMarkSent(p, r, iNow);
  r->bDirect = 0;
  coordPost(p, COORD_ACT_POST_LEADER, &m, 0);
}

/* Remembers that the known leader answered sequence iSeq, which the page has not given
** this machine yet (see aAhead). */
static void coordAheadPut(Coord *p, uint32_t iSeq){
  p->aAhead[p->iAhead] = iSeq;
  p->iAhead = (p->iAhead+1) % COORD_AHEAD_KEEP;
}

/* True, and forgotten, when the known leader's answer to iSeq passed before it. */
static int coordAheadTake(Coord *p, uint32_t iSeq){
  int k;
  for(k=0; k<COORD_AHEAD_KEEP; k++){
    if( p->aAhead[k]==iSeq && iSeq ){
      p->aAhead[k] = 0;
      return 1;
    }
  }
  return 0;
}

/*
** True when pending request r went to COORD_MAX_LEADERS leaders at other epochs than the
** current one and none answered: each of them stopped (closed, crashed, trapped) while
** it had the request, which may be what stops them. It is then answered with an error
** here and never sent again, so one request cannot take the lead from every tab in
** turn. A request this tab runs as leader counts as sent to it.
*/
static int coordGivenUp(const Coord *p, const CoordPending *r){
  return r->nLeaders>=COORD_MAX_LEADERS && r->iLedBy!=p->iEpoch;
}

/* True if aSender may answer pending request r: a leader r was sent to, or the one
** known now (a REPLY from anyone else, forged or stray, settles nothing). */
static int coordMayAnswer(const Coord *p, const CoordPending *r, const unsigned char *aSender){
  int i;
  for(i=0; i<r->nTo; i++){
    if( memcmp(r->aTo[i], aSender, COORD_ID_BYTES)==0 ) return 1;
  }
  return p->bLeaderKnown && memcmp(p->aLeader, aSender, COORD_ID_BYTES)==0;
}

/* Rejects this tab's request iSeq with an error result: code rc, message zMsg. */
static void coordRejectLocal(Coord *p, uint32_t iSeq, int rc, const char *zMsg){
  SqlwBuf err = {0};
  CoordAction *pAct = 0;
  sqlwResultError(&err, rc, -1, zMsg);
  if( err.bOom ){
    p->bOom = 1;
  }else{
    pAct = coordAct(p, COORD_ACT_LOCAL_REPLY, err.a, err.n);
  }
  if( pAct ){
    pAct->iSeq = iSeq;
    pAct->eStatus = COORD_REJECTED;
  }
  sqlwBufFree(&err);
}

/* Answers pending request r as given up (see coordGivenUp). The caller drops it. */
static void coordGiveUp(Coord *p, const CoordPending *r){
  coordRejectLocal(p, r->iSeq, SQLITE_WORKER_DIED, "3 tabs serving the database stopped while "
    "this request was with them (it may be what stops them), so it is not sent again; it may "
    "or may not have run");
}

/* Removes pending request r (answered). */
static void coordDrop(Coord *p, CoordPending *r){
  CoordPending **pp;
  for(pp=&p->pFirst; *pp && *pp!=r; pp=&(*pp)->pNext){}
  if( *pp==0 ) return;
  *pp = r->pNext;
  if( p->pLast==r ){
    CoordPending *q;
    p->pLast = 0;
    for(q=p->pFirst; q; q=q->pNext) p->pLast = q;
  }
  sqlite3_free(r->aBody);
  sqlite3_free(r);
}

/*
** Runs a request on the leader's database. Fills p->scratch with the answer's body and
** returns its SQWA kind, 0 after an error (then p->scratch holds the error body), or -1
** for a late copy of a request already answered (nothing to send).
*/
static int coordRun(Coord *p, const CoordRequest *q, int64_t iNow){
  int eAnswer = 0;
  int rc;
  p->scratch.n = 0;
  if( p->scratch.nAlloc>COORD_BUF_KEEP ) sqlwBufFree(&p->scratch);
  if( p->eng.xDeadline ){
    p->eng.xDeadline(p->eng.pCtx, q->iDeadline<0 ? -1 : q->iDeadline-iNow);
  }
  rc = p->eng.xExec(p->eng.pCtx, q, &eAnswer, &p->scratch);
  if( rc==SQLITE_NOMEM ) p->bOom = 1;
  if( rc==SQLITE_DONE ) return -1;              /* a late copy: no answer at all */
  return rc==SQLITE_OK ? eAnswer : 0;
}

#define SERVE_HELD 0      /* waits for another client's lease to end */
#define SERVE_DONE 1      /* answered: the body is in p->scratch */
#define SERVE_LATE 2      /* a late copy of an answered request: no answer at all */

/* Fills p->scratch with an error answer: an error result of code rc, message zMsg. */
static void coordErrorAnswer(Coord *p, int rc, const char *zMsg){
  sqlwResultError(&p->scratch, rc, -1, zMsg);
  if( p->scratch.bOom ){
    p->scratch.bOom = 0;
    p->scratch.n = 0;
    p->bOom = 1;
  }
}

/* The error answer of a request that belonged to a transaction the leader does not
** have (it was lost with a previous leader, or rolled back). Fills p->scratch. */
static void coordLostAnswer(Coord *p){
  coordErrorAnswer(p, SQLITE_WORKER_LEADER_CHANGED, "the transaction was lost "
    "when the tab serving the database changed (or it was rolled back after being idle); "
    "nothing of it was saved: run it again");
}

/* The error answer of a request whose asker stopped waiting before it could run.
** Fills p->scratch. */
static void coordExpiredAnswer(Coord *p){
  coordErrorAnswer(p, SQLITE_INTERRUPT, "the request was not run: its time "
    "(timeoutMs) ran out while it waited for the database");
}

/* Marks the SQWR or SQWL answer in p->scratch with whether its asker holds a
** transaction now (flag SQLW_FLAG_IN_TXN): its page tags what it sends next with it. */
static void coordMarkTxn(Coord *p, int bIn){
  unsigned char *a = p->scratch.a;
  if( p->scratch.n<8 ) return;
  if( memcmp(a, SQLW_MAGIC_RESULT, 4)!=0 && memcmp(a, SQLW_MAGIC_LIST, 4)!=0 ) return;
  if( bIn ) a[6] |= SQLW_FLAG_IN_TXN;
  else a[6] &= (unsigned char)~SQLW_FLAG_IN_TXN;
}

/* The slot of aBegun for client aId, or NULL when it is not watched (its own tab). */
static uint32_t *coordBegunOf(Coord *p, const unsigned char *aId){
  int i;
  for(i=0; i<p->nWatched; i++){
    if( memcmp(p->aWatched[i], aId, COORD_ID_BYTES)==0 ) return &p->aBegun[i];
  }
  return 0;
}

/*
** The leader serves one request of client aClient: runs it, holds it behind another
** client's lease, or answers it as lost (a lease request with no such lease). Starts
** and ends leases. Returns SERVE_*; for SERVE_DONE the answer's kind is in *peAnswer
** (0: the body is an error result) and the body in p->scratch.
*/
static int coordServe(Coord *p, const CoordRequest *q, int64_t iNow, int *peAnswer){
  const unsigned char *aClient = q->aClient;
  uint32_t iSeq = q->iSeq, iLease = q->iLease;
  int eKind = q->eKind;
  int bHolder = p->bLease && memcmp(p->aLeaseClient, aClient, COORD_ID_BYTES)==0;
  int bMine = bHolder && iLease==p->iLease && iLease!=0;
  int eAnswer;
  if( bHolder && iSeq==p->iLease ){
    /* The request that opened the live lease again (a BEGIN, or SQL that began the
    ** tab's transaction): its client lost the answer (a restarted worker re-sends);
    ** answered again from its record, nothing begins. */
    CoordRequest again = *q;
    again.iDeadline = -1;
    eAnswer = coordRun(p, &again, iNow);
    if( eAnswer<0 ) return SERVE_LATE;
    p->iLeaseIdleAt = iNow+p->idleMs;
    coordMarkTxn(p, 1);
    *peAnswer = eAnswer;
    return SERVE_DONE;
  }
  /* Untagged requests wait for the lease to end, the holder's too: its page tags all it
  ** sends once it knows of its transaction, and sends nothing that might begin one
  ** while anything else is on its way (an untagged request that reaches the leader
  ** after the BEGIN was sent before it, and re-sent). */
  if( p->bLease && iLease==0 ) return SERVE_HELD;
  if( iLease!=0 && !bMine ){
    /* Of a transaction this leader does not hold: answered from its record (a COMMIT
    ** that committed) or as lost; nothing runs. */
    CoordRequest lost = *q;
    lost.iDeadline = -1;
    lost.bLost = 1;
    eAnswer = coordRun(p, &lost, iNow);
    if( eAnswer<0 ) return SERVE_LATE;
    coordMarkTxn(p, 0);
    *peAnswer = eAnswer;
    return SERVE_DONE;
  }
  if( eKind==REQ_BEGIN && !bHolder ){
    /* A client begins its transactions in sequence order: a BEGIN not above the last
    ** one served is a late copy (and must not open a second transaction). */
    uint32_t *pBegun = coordBegunOf(p, aClient);
    if( pBegun && iSeq<=*pBegun ){
      /* Its lease is over: answer "lost" (a late copy's answer is ignored; a client
      ** that still waits learns its transaction is gone). */
      coordLostAnswer(p);
      *peAnswer = 0;
      return SERVE_DONE;
    }
    if( pBegun ) *pBegun = iSeq;
  }
  if( q->iDeadline>=0 && q->iDeadline<=iNow && eKind!=REQ_COMMIT && eKind!=REQ_ROLLBACK ){
    /* Its asker stopped waiting before it could run: running it now would only hold
    ** the database (a BEGIN would hold a lease nobody uses). */
    coordExpiredAnswer(p);
    coordMarkTxn(p, bHolder);
    *peAnswer = 0;
    return SERVE_DONE;
  }
  if( eKind==REQ_COMMIT || eKind==REQ_ROLLBACK ){
    CoordRequest always = *q;   /* an end of a transaction runs whatever the time */
    always.iDeadline = -1;
    eAnswer = coordRun(p, &always, iNow);
  }else{
    eAnswer = coordRun(p, q, iNow);
  }
  if( eAnswer<0 ) return SERVE_LATE;
  /* The engine says whether a transaction is open now (coord_txn.c): a BEGIN, SQL or
  ** db.transaction()'s, opened one, a COMMIT or ROLLBACK ended it. */
  if( p->eng.xInTxn && p->eng.xInTxn(p->eng.pCtx) ){
    if( !p->bLease ){
      p->bLease = 1;
      memcpy(p->aLeaseClient, aClient, COORD_ID_BYTES);
      p->iLease = iSeq;
    }
  }else{
    p->bLease = 0;
  }
  if( p->bLease ) p->iLeaseIdleAt = iNow+p->idleMs;
  coordMarkTxn(p, p->bLease);
  *peAnswer = eAnswer;
  return SERVE_DONE;
}

/* Answers this tab's request iSeq with the body in p->scratch. */
static void coordReplyLocal(Coord *p, uint32_t iSeq, int eAnswer){
  CoordAction *pAct = 0;
  /* Moved, not copied, when it is the event's first data (a large answer usually is). */
  size_t n = p->scratch.n;
  if( sqlwBufMove(&p->data, &p->scratch) ) p->bOom = 1;
  else pAct = coordActTail(p, COORD_ACT_LOCAL_REPLY, n);
  if( pAct ){
    pAct->iSeq = iSeq;
    pAct->eStatus = eAnswer ? COORD_DONE : COORD_REJECTED;
    pAct->eKind = eAnswer;
  }
}

/* Answers client aClient's request iSeq with the body in p->scratch (a REPLY). */
static void coordReplyRemote(Coord *p, const unsigned char *aClient, uint32_t iSeq,
                             int eAnswer){
  CoordMsg r;
  CoordAction *pAct;
  unsigned char kind = (unsigned char)eAnswer;
  size_t nHad = p->data.n;
  memset(&r, 0, sizeof(r));
  r.eType = COORD_REPLY;
  memcpy(r.aSender, p->aId, COORD_ID_BYTES);
  r.iEpoch = p->iEpoch;
  memcpy(r.aTarget, aClient, COORD_ID_BYTES);
  r.iSeq = iSeq;
  r.eStatus = eAnswer ? COORD_DONE : COORD_REJECTED;
  /* One byte of answer kind, then the answer: encoded straight into the actions' bytes. */
  r.aBody = p->scratch.a;
  r.nBody = (uint32_t)p->scratch.n;
  if( coordMsgEncodeAfter(&r, &kind, 1, &p->data) ){ p->bOom = 1; return; }
  pAct = coordActTail(p, COORD_ACT_POST_CLIENT, p->data.n-nHad);
  if( pAct ) memcpy(pAct->aId, aClient, COORD_ID_BYTES);
}

/* The leader serves its own tab's pending requests, in order, until one is held. */
static void coordRunLocal(Coord *p, int64_t iNow){
  while( p->pFirst && !p->bOom ){
    CoordPending *r = p->pFirst;
    int eAnswer = 0;
    int e;
    if( coordGivenUp(p, r) ){
      coordGiveUp(p, r);
      coordDrop(p, r);
      continue;
    }
    if( r->iLedBy!=p->iEpoch ){
      r->iLedBy = p->iEpoch;
      r->nLeaders++;
    }
    {
      CoordRequest q = { p->aId, r->iSeq, coordAckedBelow(p), r->iLease, r->eKind,
                         r->aBody, r->nBody, r->iDeadline, 0 };
      e = coordServe(p, &q, iNow, &eAnswer);
    }
    if( e==SERVE_HELD ) break;
    if( e==SERVE_LATE ){
      /* This tab re-sent a request it had the answer of: only a restarted worker does,
      ** for a reply it lost on the way; it cannot be answered again. */
      coordRejectLocal(p, r->iSeq, SQLITE_WORKER_DIED, "the answer to this request was lost "
        "with the worker that ran it");
    }else{
      coordReplyLocal(p, r->iSeq, eAnswer);
    }
    coordDrop(p, r);
  }
}

/* Frees held request h. */
static void coordFreeHeld(CoordHeld *h){
  sqlite3_free(h->aBody);
  sqlite3_free(h);
}

/*
** Forgets client aId's records, or, during a lease, after it: the lease's transaction is
** open on the connection, and a forget written into it would vanish with its rollback
** (and with it the dead client's floor, letting its late copies run again).
*/
static void coordForget(Coord *p, const unsigned char *aId){
  if( p->bLease ){
    if( p->nGone==p->nGoneAlloc ){
      int nNew = p->nGoneAlloc ? p->nGoneAlloc*2 : 8;
      void *aNew = sqlite3_realloc64(p->aGone, (sqlite3_uint64)nNew*COORD_ID_BYTES);
      if( aNew==0 ){ p->bOom = 1; return; }
      p->aGone = aNew;
      p->nGoneAlloc = nNew;
    }
    memcpy(p->aGone[p->nGone++], aId, COORD_ID_BYTES);
    return;
  }
  if( p->eng.xForget(p->eng.pCtx, aId)==SQLITE_NOMEM ) p->bOom = 1;
}

/* With no lease in the way any more, serves the held requests in order, then this tab's. */
static void coordDrainHeld(Coord *p, int64_t iNow){
  while( p->nGone>0 && !p->bLease ){
    p->nGone--;
    if( p->eng.xForget(p->eng.pCtx, p->aGone[p->nGone])==SQLITE_NOMEM ) p->bOom = 1;
  }
  while( p->pHeld && !p->bOom ){
    CoordHeld *h = p->pHeld;
    int eAnswer = 0;
    CoordRequest q = { h->aClient, h->iSeq, h->iAckedBelow, h->iLease, h->eKind,
                       h->aBody, h->nBody, h->iDeadline, 0 };
    int e = coordServe(p, &q, iNow, &eAnswer);
    if( e==SERVE_HELD ) break;
    if( e==SERVE_DONE ) coordReplyRemote(p, h->aClient, h->iSeq, eAnswer);
    p->pHeld = h->pNext;
    if( p->pHeld==0 ) p->pHeldLast = 0;
    coordFreeHeld(h);
  }
  coordRunLocal(p, iNow);
}

/*
** Ends the current lease without its client's word (reason: COORD_LEASE_IDLE, or
** COORD_LEASE_ROLLED_BACK when the client died): rolls the transaction back, tells the
** client when it is alive, and serves what was held.
*/
static void coordEndLease(Coord *p, int eReason, int bTell, int bDrain, int64_t iNow){
  int eAnswer = 0;
  unsigned char aClient[COORD_ID_BYTES];
  uint32_t iLease = p->iLease;
  if( !p->bLease ) return;
  memcpy(aClient, p->aLeaseClient, COORD_ID_BYTES);
  p->bLease = 0;
  p->scratch.n = 0;
  if( p->eng.xDeadline ) p->eng.xDeadline(p->eng.pCtx, -1);
  {
    CoordRequest q = { aClient, 0, 0, iLease, REQ_ROLLBACK, 0, 0, -1, 0 };
    p->eng.xExec(p->eng.pCtx, &q, &eAnswer, &p->scratch);
  }
  if( bTell ){
    if( memcmp(aClient, p->aId, COORD_ID_BYTES)==0 ){
      CoordAction *pAct = coordAct(p, COORD_ACT_LEASE_LOST, 0, 0);
      if( pAct ){
        pAct->iSeq = iLease;
        pAct->eStatus = eReason;
      }
    }else{
      CoordMsg m;
      memset(&m, 0, sizeof(m));
      m.eType = COORD_LEASE_END;
      memcpy(m.aTarget, aClient, COORD_ID_BYTES);
      m.iLease = iLease;
      m.eStatus = eReason;
      coordPost(p, COORD_ACT_POST_CLIENT, &m, aClient);
    }
  }
  if( bDrain ) coordDrainHeld(p, iNow);
}

/* Emits ROLE. */
static void coordRole(Coord *p){
  CoordAction *pAct = coordAct(p, COORD_ACT_ROLE, 0, 0);
  if( pAct ){
    pAct->bLeader = p->eState==COORD_LEADER;
    pAct->iEpoch = p->iEpoch;
  }
}

/* Leaves the leadership (a higher epoch exists): the runtime closes the storage. */
static void coordStepDown(Coord *p){
  int bWas = p->eState!=COORD_FOLLOWER;
  p->eState = COORD_FOLLOWER;
  p->bLeaderKnown = 0;
  p->nWatched = 0;
  /* The storage closes with the role: an open lease's transaction rolls back, and the
  ** held requests will be re-sent by their clients to the new leader. */
  p->bLease = 0;
  p->nGone = 0;         /* the next leader watches every client with records again */
  p->iRunLocalAt = 0;
  while( p->pHeld ){
    CoordHeld *h = p->pHeld;
    p->pHeld = h->pNext;
    coordFreeHeld(h);
  }
  p->pHeldLast = 0;
  if( bWas ) coordRole(p);
}

/* Sets the timer to the earliest deadline the state needs (TIMER when it changes). */
static int64_t coordOldestSent(const Coord *p);

static void coordSchedule(Coord *p){
  int64_t iAt = 0;
  if( p->eState==COORD_OPENING && p->iRetryAt ) iAt = p->iRetryAt;
  if( p->eState==COORD_LEADER && p->bLease && (iAt==0 || p->iLeaseIdleAt<iAt) ){
    iAt = p->iLeaseIdleAt;
  }
  if( p->eState==COORD_LEADER && p->pHeld && (iAt==0 || p->iBeatAt<iAt) ) iAt = p->iBeatAt;
  if( p->eState==COORD_LEADER && p->iRunLocalAt && (iAt==0 || p->iRunLocalAt<iAt) ){
    iAt = p->iRunLocalAt;
  }
  if( p->eState==COORD_FOLLOWER && p->bLeaderKnown && !p->bStealAsked ){
    int64_t iOldest = coordOldestSent(p);
    if( iOldest ){
      int64_t iDue = iOldest+p->freezeMs;
      if( p->iProbed<iOldest+p->freezeMs/2 ) iDue = iOldest+p->freezeMs/2;
      if( iAt==0 || iDue<iAt ) iAt = iDue;
    }
  }
  if( p->eState==COORD_FOLLOWER && !p->bLeaderKnown && !p->bStealAsked && p->pFirst ){
    /* No leader has announced itself while a request waits: its lock's holder may be
    ** frozen since before this tab opened (it never heard HELLO). */
    int64_t iDue = p->pFirst->iMade+p->freezeMs;
    if( iAt==0 || iDue<iAt ) iAt = iDue;
  }
  if( iAt && iAt!=p->iTimerAt ){
    CoordAction *pAct = coordAct(p, COORD_ACT_TIMER, 0, 0);
    if( pAct ) pAct->iAt = iAt;
  }
  p->iTimerAt = iAt;
}

/* The earliest time a pending request was last posted to the leader, 0 if none was. */
static int64_t coordOldestSent(const Coord *p){
  const CoordPending *r;
  int64_t iOldest = 0;
  for(r=p->pFirst; r; r=r->pNext){
    if( r->iSent && (iOldest==0 || r->iSent<iOldest) ) iOldest = r->iSent;
  }
  return iOldest;
}

/* Ends an event. Returns SQLITE_NOMEM if an allocation failed, else SQLITE_OK. */
static int coordEnd(Coord *p){
  coordSchedule(p);
  return p->bOom || p->data.bOom ? SQLITE_NOMEM : SQLITE_OK;
}

Coord *coordCreate(const unsigned char *aId, const CoordEngine *pEngine, int64_t freezeMs,
                   int64_t idleMs, int64_t iNow){
  Coord *p = sqlite3_malloc64(sizeof(*p));
  CoordMsg m;
  (void)iNow;
  if( p==0 ) return 0;
  memset(p, 0, sizeof(*p));
  memcpy(p->aId, aId, COORD_ID_BYTES);
  p->iPageAcked = 0xffffffffu;
  p->eng = *pEngine;
  p->freezeMs = freezeMs;
  p->idleMs = idleMs;
  coordBegin(p);
  memset(&m, 0, sizeof(m));
  m.eType = COORD_HELLO;
  coordPost(p, COORD_ACT_POST_ALL, &m, 0);
  if( coordEnd(p) ){
    coordDestroy(p);
    return 0;
  }
  return p;
}

void coordSetEngine(Coord *p, const CoordEngine *pEngine){
  p->eng = *pEngine;
}

void coordDestroy(Coord *p){
  if( p==0 ) return;
  while( p->pFirst ) coordDrop(p, p->pFirst);
  while( p->pHeld ){
    CoordHeld *h = p->pHeld;
    p->pHeld = h->pNext;
    coordFreeHeld(h);
  }
  sqlite3_free(p->aWatched);
  sqlite3_free(p->aBegun);
  sqlite3_free(p->aGone);
  sqlite3_free(p->aAct);
  sqlwBufFree(&p->data);
  sqlwBufFree(&p->scratch);
  sqlite3_free(p);
}

int coordLeaderLockGranted(Coord *p, int64_t iNow){
  (void)iNow;
  coordBegin(p);
  if( p->eState==COORD_FOLLOWER ){
    p->eState = COORD_OPENING;
    p->bLeaderKnown = 0;
    p->iRetryAt = 0;
    coordAct(p, COORD_ACT_OPEN_STORAGE, 0, 0);
  }
  return coordEnd(p);
}

static void coordWatch(Coord *p, const unsigned char *aId);

/*
** A new leader watches every client with records, so the records of those that died
** under an earlier leader are forgotten too (their life locks are free: granted at
** once). Its own client's are kept.
*/
static void coordWatchRecorded(Coord *p){
  size_t i;
  p->scratch.n = 0;
  if( p->eng.xRecorded(p->eng.pCtx, &p->scratch) ){
    if( p->scratch.bOom ) p->bOom = 1;
    return;
  }
  for(i=0; i+COORD_ID_BYTES<=p->scratch.n; i+=COORD_ID_BYTES){
    unsigned char aId[COORD_ID_BYTES];
    memcpy(aId, p->scratch.a+i, COORD_ID_BYTES);
    if( memcmp(aId, p->aId, COORD_ID_BYTES)!=0 ) coordWatch(p, aId);
  }
}

int coordLeaderLockLost(Coord *p, int64_t iNow){
  (void)iNow;
  coordBegin(p);
  coordStepDown(p);
  return coordEnd(p);
}

int coordStorageOpened(Coord *p, int rc, int64_t iNow){
  uint64_t iEpoch = 0;
  coordBegin(p);
  if( p->eState!=COORD_OPENING ) return coordEnd(p);
  /* The epoch is the stored one's successor: every leader stores its own before it
  ** announces, so it exceeds every real leader's; an epoch read from a message is
  ** never proposed (a forged one near 2^64 would be kept, and wrap). */
  if( rc==SQLITE_OK ) rc = p->eng.xEpoch(p->eng.pCtx, 0, &iEpoch);
  if( rc!=SQLITE_OK ){
    /* Storage is held elsewhere (a frozen leader) or broken: try again later. */
    p->iRetryAt = iNow+COORD_RETRY_MS;
    return coordEnd(p);
  }
  p->eState = COORD_LEADER;
  p->iEpoch = iEpoch;
  p->iRetryAt = 0;
  coordRole(p);
  coordAnnounce(p);
  if( p->pFirst ) p->iRunLocalAt = iNow>0 ? iNow : 1;   /* next tick: the role goes out first */
  coordWatchRecorded(p);
  return coordEnd(p);
}

/* The leader starts watching client aId's life, once. */
static void coordWatch(Coord *p, const unsigned char *aId){
  int i;
  CoordAction *pAct;
  for(i=0; i<p->nWatched; i++){
    if( memcmp(p->aWatched[i], aId, COORD_ID_BYTES)==0 ) return;
  }
  if( p->nWatched==p->nWatchedAlloc ){
    int nNew = p->nWatchedAlloc ? p->nWatchedAlloc*2 : 8;
    void *aNew = sqlite3_realloc64(p->aWatched, (sqlite3_uint64)nNew*COORD_ID_BYTES);
    uint32_t *aNewBegun;
    if( aNew==0 ){ p->bOom = 1; return; }
    p->aWatched = aNew;
    aNewBegun = sqlite3_realloc64(p->aBegun, (sqlite3_uint64)nNew*sizeof(uint32_t));
    if( aNewBegun==0 ){ p->bOom = 1; return; }
    p->aBegun = aNewBegun;
    p->nWatchedAlloc = nNew;
  }
  memcpy(p->aWatched[p->nWatched], aId, COORD_ID_BYTES);
  p->aBegun[p->nWatched++] = 0;
  pAct = coordAct(p, COORD_ACT_WATCH_CLIENT, 0, 0);
  if( pAct ) memcpy(pAct->aId, aId, COORD_ID_BYTES);
}

/* A follower learns of leader aLeader at epoch iEpoch: every pending request goes to it. */
static void coordFollow(Coord *p, const unsigned char *aLeader, uint64_t iEpoch,
                        int64_t iNow){
  CoordPending *r;
  p->iEpoch = iEpoch;
  p->bLeaderKnown = 1;
  p->bStealAsked = 0;
  memcpy(p->aLeader, aLeader, COORD_ID_BYTES);
  memset(p->aAhead, 0, sizeof(p->aAhead));     /* they were the previous leader's */
  for(r=p->pFirst; r; ){
    CoordPending *pNext = r->pNext;
    if( coordGivenUp(p, r) ){
      coordGiveUp(p, r);
      coordDrop(p, r);
    }else{
      coordSend(p, r, iNow);
    }
    r = pNext;
  }
}

int coordMessage(Coord *p, const unsigned char *a, size_t n, int64_t iNow){
  CoordMsg m;
  const char *zWhy = 0;
  coordBegin(p);
  if( coordMsgDecode(a, n, &m, &zWhy)!=SQLITE_OK ) return coordEnd(p);
  if( memcmp(m.aSender, p->aId, COORD_ID_BYTES)==0 ) return coordEnd(p);
  /* A leader steps down only when its lock is taken (coordLeaderLockLost), never for a
  ** message: any script of the origin can post one with any epoch. */
  switch( m.eType ){
    case COORD_HELLO:
      if( p->eState==COORD_LEADER ) coordAnnounce(p);
      break;
    case COORD_ANNOUNCE:
      if( p->eState!=COORD_FOLLOWER || m.iEpoch<p->iEpoch ) break;   /* stale */
      if( p->bLeaderKnown && m.iEpoch==p->iEpoch
       && memcmp(p->aLeader, m.aSender, COORD_ID_BYTES)==0 ){
        /* The known leader is alive (it holds our requests behind a transaction):
        ** the freeze deadline starts again. */
        CoordPending *r;
        for(r=p->pFirst; r; r=r->pNext) if( r->iSent ) r->iSent = iNow>0 ? iNow : 1;
        break;
      }
      coordFollow(p, m.aSender, m.iEpoch, iNow);
      break;
    case COORD_REQUEST: {
      int eAnswer = 0, e;
      if( p->eState!=COORD_LEADER ) break;          /* the new leader will get it again */
      if( m.iEpoch<p->iEpoch ){                     /* sent before the sender heard of us */
        coordAnnounce(p);
        break;
      }
      if( m.eKind==REQ_CANCEL ){
        /* The sender withdraws a request it sent: dropped if still held, unanswered;
        ** else remembered, in case the request itself is still on its way. */
        CoordHeld **pp = &p->pHeld, *pPrev = 0;
        int bFound = 0;
        while( *pp ){
          CoordHeld *h = *pp;
          if( h->iSeq==m.iSeq && memcmp(h->aClient, m.aSender, COORD_ID_BYTES)==0 ){
            *pp = h->pNext;
            if( p->pHeldLast==h ) p->pHeldLast = pPrev;
            coordFreeHeld(h);
            bFound = 1;
            break;
          }
          pPrev = h;
          pp = &h->pNext;
        }
        if( !bFound ){
          memcpy(p->aCancel[p->iCancel].aClient, m.aSender, COORD_ID_BYTES);
          p->aCancel[p->iCancel].iSeq = m.iSeq;
          p->iCancel = (p->iCancel+1) % COORD_CANCEL_KEEP;
        }
        break;
      }
      {
        int k;
        for(k=0; k<COORD_CANCEL_KEEP; k++){
          if( p->aCancel[k].iSeq==m.iSeq && m.iSeq
           && memcmp(p->aCancel[k].aClient, m.aSender, COORD_ID_BYTES)==0 ) break;
        }
        if( k<COORD_CANCEL_KEEP ) break;             /* withdrawn before it arrived */
      }
      coordWatch(p, m.aSender);
      {
        CoordRequest q = { m.aSender, m.iSeq, m.iAckedBelow, m.iLease, m.eKind, m.aBody,
                           m.nBody, coordDeadline(m.iBudget, iNow), 0 };
        e = coordServe(p, &q, iNow, &eAnswer);
      }
      if( e==SERVE_HELD ){
        CoordHeld *h = sqlite3_malloc64(sizeof(*h));
        if( h==0 ){ p->bOom = 1; break; }
        memset(h, 0, sizeof(*h));
        memcpy(h->aClient, m.aSender, COORD_ID_BYTES);
        h->iSeq = m.iSeq;
        h->iAckedBelow = m.iAckedBelow;
        h->iLease = m.iLease;
        h->eKind = m.eKind;
        h->iDeadline = coordDeadline(m.iBudget, iNow);
        if( m.nBody ){
          h->aBody = sqlite3_malloc64(m.nBody);
          if( h->aBody==0 ){ sqlite3_free(h); p->bOom = 1; break; }
          memcpy(h->aBody, m.aBody, m.nBody);
          h->nBody = m.nBody;
        }
        if( p->pHeld==0 ) p->iBeatAt = iNow+p->freezeMs/2;
        if( p->pHeldLast ) p->pHeldLast->pNext = h; else p->pHeld = h;
        p->pHeldLast = h;
        break;
      }
      if( e==SERVE_LATE ) break;                    /* a late copy: the client has it */
      coordReplyRemote(p, m.aSender, m.iSeq, eAnswer);
      if( !p->bLease ) coordDrainHeld(p, iNow);      /* a COMMIT or ROLLBACK freed the way */
      break;
    }
    case COORD_LEASE_END: {
      CoordAction *pAct;
      if( memcmp(m.aTarget, p->aId, COORD_ID_BYTES)!=0 ) break;
      /* Only the leader that holds this tab's lease can end it. */
      if( !p->bLeaderKnown || memcmp(m.aSender, p->aLeader, COORD_ID_BYTES)!=0 ) break;
      pAct = coordAct(p, COORD_ACT_LEASE_LOST, 0, 0);
      if( pAct ){
        pAct->iSeq = m.iLease;
        pAct->eStatus = m.eStatus;
      }
      break;
    }
    case COORD_REPLY: {
      CoordPending *q;
      CoordAction *pAct;
      if( memcmp(m.aTarget, p->aId, COORD_ID_BYTES)!=0 ) break;
      if( m.eStatus==COORD_NOT_LEADER || m.nBody==0 ) break;
      for(q=p->pFirst; q && q->iSeq!=m.iSeq; q=q->pNext){}
      if( q==0 ){
        /* A duplicate (answered already), or the answer to a request its page posted
        ** directly, passing the page's word of it: remembered, so that word, when it
        ** comes, waits for nothing. */
        if( m.iSeq>p->iMaxSeq && p->bLeaderKnown
         && memcmp(m.aSender, p->aLeader, COORD_ID_BYTES)==0 ){
          coordAheadPut(p, m.iSeq);
        }
        break;
      }
      if( !coordMayAnswer(p, q, m.aSender) ) break;   /* not from a leader it went to */
      if( q->bDirect && memcmp(m.aSender, q->aTo[0], COORD_ID_BYTES)==0 ){
        coordDrop(p, q);          /* its page took this same message off the channel */
        break;
      }
      /* Any leader's answer is final, even an older one's: storage lets one leader
      ** run at a time, so what it answered is what happened. */
      pAct = coordAct(p, COORD_ACT_LOCAL_REPLY, m.aBody+1, m.nBody-1);
      if( pAct ){
        pAct->iSeq = m.iSeq;
        pAct->eStatus = m.eStatus==COORD_DONE ? COORD_DONE : COORD_REJECTED;
        pAct->eKind = m.aBody[0];
      }
      coordDrop(p, q);
      break;
    }
    default:
      break;
  }
  return coordEnd(p);
}

int coordLocalRequest(Coord *p, uint32_t iSeq, uint32_t iLease, int eKind,
                      const unsigned char *aBody, size_t nBody, uint32_t iBudget,
                      int bDirect, int64_t iNow){
  unsigned char *aCopy = 0;
  if( nBody ){
    aCopy = sqlite3_malloc64(nBody);
    if( aCopy==0 ) return SQLITE_NOMEM;
    memcpy(aCopy, aBody, nBody);
  }
  return coordLocalTake(p, iSeq, iLease, eKind, aCopy, nBody, iBudget, bDirect, iNow);
}

int coordLocalTake(Coord *p, uint32_t iSeq, uint32_t iLease, int eKind,
                   unsigned char *aBody, size_t nBody, uint32_t iBudget,
                   int bDirect, int64_t iNow){
  CoordPending *r;
  int bAhead;
  coordBegin(p);
  if( iSeq>p->iMaxSeq ) p->iMaxSeq = iSeq;
  bAhead = coordAheadTake(p, iSeq);
  bDirect = bDirect && p->eState==COORD_FOLLOWER && p->bLeaderKnown;
  if( bDirect && bAhead ){
    sqlite3_free(aBody);
    return coordEnd(p);                         /* its page has the leader's answer */
  }
  r = sqlite3_malloc64(sizeof(*r));
  if( r==0 ){
    sqlite3_free(aBody);
    return SQLITE_NOMEM;
  }
  memset(r, 0, sizeof(*r));
  r->iSeq = iSeq;
  r->iLease = iLease;
  r->eKind = eKind;
  r->iMade = iNow;
  r->iDeadline = coordDeadline(iBudget, iNow);
  if( nBody ){
    r->aBody = aBody;
    r->nBody = nBody;
  }else{
    sqlite3_free(aBody);
  }
  if( p->pLast ) p->pLast->pNext = r; else p->pFirst = r;
  p->pLast = r;
  if( p->eState==COORD_LEADER ){
    int bHad = p->bLease;
    coordRunLocal(p, iNow);
    if( bHad && !p->bLease ) coordDrainHeld(p, iNow);   /* this tab's COMMIT freed the way */
  }else if( bDirect ){
    coordMarkSent(p, r, iNow);      /* its page posted it to the known leader */
    r->bDirect = 1;
  }else if( p->eState==COORD_FOLLOWER && p->bLeaderKnown ){
    coordSend(p, r, iNow);
  }
  /* Else it waits: for the storage to open, or for a leader to announce itself. */
  return coordEnd(p);
}

int coordCancel(Coord *p, uint32_t iSeq, int64_t iNow){
  CoordPending *r;
  coordBegin(p);
  for(r=p->pFirst; r && r->iSeq!=iSeq; r=r->pNext){}
  if( r ){
    if( r->iSent && p->eState==COORD_FOLLOWER && p->bLeaderKnown ){
      CoordMsg m;
      memset(&m, 0, sizeof(m));
      m.eType = COORD_REQUEST;
      m.iSeq = iSeq;
      m.iAckedBelow = coordAckedBelow(p);
      m.eKind = REQ_CANCEL;
      m.iBudget = 0;
      coordPost(p, COORD_ACT_POST_LEADER, &m, 0);
    }
    coordDrop(p, r);
  }
  (void)iNow;
  return coordEnd(p);
}

void coordPageAcked(Coord *p, uint32_t iBelow){
  CoordPending *r;
  if( iBelow>p->iPageAcked || p->iPageAcked==0xffffffffu ) p->iPageAcked = iBelow;
  /* The page waits for none of them: answered (a direct request's answer may have
  ** passed this machine unseen), given up, or withdrawn. */
  while( (r = p->pFirst)!=0 && r->iSeq<p->iPageAcked ) coordDrop(p, r);
}

int coordClientGone(Coord *p, const unsigned char *aId, int64_t iNow){
  int i;
  coordBegin(p);
  if( p->eState==COORD_LEADER ){
    int bEnded = 0;
    CoordHeld **pp;
    if( p->bLease && memcmp(p->aLeaseClient, aId, COORD_ID_BYTES)==0 ){
      coordEndLease(p, COORD_LEASE_ROLLED_BACK, 0, 0, iNow);  /* no lease outlives its client */
      bEnded = 1;
    }
    /* Its floor first, so nothing of it runs again; then what it left waiting goes. */
    coordForget(p, aId);
    for(pp=&p->pHeld; *pp; ){
      CoordHeld *h = *pp;
      if( memcmp(h->aClient, aId, COORD_ID_BYTES)==0 ){
        *pp = h->pNext;
        coordFreeHeld(h);
      }else{
        pp = &h->pNext;
      }
    }
    p->pHeldLast = 0;
    for(pp=&p->pHeld; *pp; pp=&(*pp)->pNext) p->pHeldLast = *pp;
    if( bEnded ) coordDrainHeld(p, iNow);
  }
  for(i=0; i<p->nWatched; i++){
    if( memcmp(p->aWatched[i], aId, COORD_ID_BYTES)==0 ){
      memmove(p->aWatched[i], p->aWatched[i+1], (size_t)(p->nWatched-i-1)*COORD_ID_BYTES);
      memmove(&p->aBegun[i], &p->aBegun[i+1], (size_t)(p->nWatched-i-1)*sizeof(uint32_t));
      p->nWatched--;
      break;
    }
  }
  return coordEnd(p);
}

int coordTick(Coord *p, int64_t iNow){
  coordBegin(p);
  p->iTimerAt = 0;
  if( p->eState==COORD_LEADER && p->iRunLocalAt && iNow>=p->iRunLocalAt ){
    p->iRunLocalAt = 0;
    coordRunLocal(p, iNow);
  }
  if( p->eState==COORD_LEADER && p->bLease && iNow>=p->iLeaseIdleAt ){
    coordEndLease(p, COORD_LEASE_IDLE, 1, 1, iNow);
  }
  if( p->eState==COORD_LEADER && p->pHeld && iNow>=p->iBeatAt ){
    /* Requests held behind a lease wait long: tell their clients this leader is alive,
    ** so they do not take it for frozen. */
    coordAnnounce(p);
    p->iBeatAt = iNow+p->freezeMs/2;
  }
  if( p->eState==COORD_OPENING && p->iRetryAt && iNow>=p->iRetryAt ){
    p->iRetryAt = 0;
    coordAct(p, COORD_ACT_OPEN_STORAGE, 0, 0);
  }
  if( p->eState==COORD_FOLLOWER && !p->bLeaderKnown && !p->bStealAsked && p->pFirst
   && iNow-p->pFirst->iMade>=p->freezeMs ){
    p->bStealAsked = 1;
    coordAct(p, COORD_ACT_STEAL_LEADER, 0, 0);
  }
  if( p->eState==COORD_FOLLOWER && p->bLeaderKnown && !p->bStealAsked ){
    /* A request has waited long. Busy is not frozen: at half the freeze deadline this
    ** client asks who leads (HELLO), and the leader's page answers for its worker even
    ** while the worker computes (its ANNOUNCE restarts the deadline). Only a leader
    ** whose whole page is silent until the deadline is taken over. */
    int64_t iOldest = coordOldestSent(p);
    if( iOldest && iNow-iOldest>=p->freezeMs ){
      p->bStealAsked = 1;
      coordAct(p, COORD_ACT_STEAL_LEADER, 0, 0);
    }else if( iOldest && iNow-iOldest>=p->freezeMs/2 && p->iProbed<iOldest+p->freezeMs/2 ){
      CoordMsg m;
      CoordPending *r;
      memset(&m, 0, sizeof(m));
      m.eType = COORD_HELLO;
      coordPost(p, COORD_ACT_POST_ALL, &m, 0);
      p->iProbed = iNow;
      /* A request its page posted that long ago is sent from here too: had the post
      ** been lost, nothing else would send it (the leader answers a copy of a write
      ** from its record). */
      for(r=p->pFirst; r; r=r->pNext){
        if( r->bDirect && iNow-r->iSent>=p->freezeMs/2 ) coordSend(p, r, iNow);
      }
    }
  }
  return coordEnd(p);
}

int coordNextAction(Coord *p, CoordAction *pAct){
  CoordQueued *q;
  if( p->iActNext>=p->nAct ) return 0;
  q = &p->aAct[p->iActNext++];
  *pAct = q->act;
  pAct->aData = q->act.nData ? p->data.a+q->iData : 0;
  return 1;
}

int coordAnnouncement(const Coord *p, SqlwBuf *pOut){
  CoordMsg m;
  if( p->eState!=COORD_LEADER ) return SQLITE_MISUSE;
  memset(&m, 0, sizeof(m));
  m.eType = COORD_ANNOUNCE;
  m.iEpoch = p->iEpoch;
  memcpy(m.aSender, p->aId, COORD_ID_BYTES);
  return coordMsgEncode(&m, pOut);
}

int coordTakeChanges(Coord *p, SqlwBuf *pOut){
  size_t nStart = pOut->n;
  if( p->eState!=COORD_LEADER || p->eng.xChanges==0 ) return 0;
  if( sqlwBufReserve(pOut, COORD_HEADER) ) return 0;
  coordMsgHeader(pOut->a+nStart, COORD_CHANGES, p->iEpoch, p->aId);
  pOut->n += COORD_HEADER;
  if( !p->eng.xChanges(p->eng.pCtx, pOut) || pOut->bOom ){
    pOut->n = nStart;
    return 0;
  }
  return 1;
}

int coordDirectHead(const Coord *p, unsigned char *aOut){
  if( p->eState!=COORD_FOLLOWER || !p->bLeaderKnown ) return 0;
  coordMsgHeader(aOut, COORD_REQUEST, p->iEpoch, p->aId);
  memcpy(aOut+COORD_HEADER, p->aLeader, COORD_ID_BYTES);
  return 1;
}

int coordIdle(const Coord *p){
  return !p->bLease && p->pHeld==0 && p->pFirst==0 && p->iRunLocalAt==0;
}

int coordIsLeader(const Coord *p){
  return p->eState==COORD_LEADER;
}

uint64_t coordEpoch(const Coord *p){
  return p->iEpoch;
}

int coordLeaseHolder(const Coord *p, unsigned char *aClient){
  if( p->eState!=COORD_LEADER || !p->bLease ) return 0;
  memcpy(aClient, p->aLeaseClient, COORD_ID_BYTES);
  return 1;
}
