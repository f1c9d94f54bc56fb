/*
** coord.h — the multi-tab protocol's state machine (coord.c, docs/coord.md): the events
** it takes, the actions it asks for, and the engine through which a leader runs
** requests. Internal to the core. Its messages are coord_msg.h's.
*/
#ifndef SQLW_COORD_H
#define SQLW_COORD_H

#include <stddef.h>
#include <stdint.h>
#include "codec.h"
#include "sqlw.h"
#include "proto.h"
#include "coord_msg.h"

/* ---- the state machine (docs/coord.md) ------------------------------------------- */

/*
** What the runtime must do, drained with coordNextAction() after every event. Pointers
** in an action stay valid until the next event call on the machine. An event raised
** while actions are still being drained queues its own after them.
*/
typedef struct CoordAction {
  int eAct;                              /* COORD_ACT_* */
  unsigned char aId[COORD_ID_BYTES];     /* POST_CLIENT, WATCH_CLIENT: the client */
  uint32_t iSeq;                         /* LOCAL_REPLY: the request */
  int eStatus;                           /* LOCAL_REPLY: COORD_DONE or COORD_REJECTED */
  int eKind;                             /* LOCAL_REPLY (done): the answer's kind (SQWA) */
  int bLeader;                           /* ROLE */
  uint64_t iEpoch;                       /* ROLE */
  int64_t iAt;                           /* TIMER */
  const unsigned char *aData;            /* POST_*: the message; LOCAL_REPLY: the body */
  size_t nData;
} CoordAction;

/*
** How the leader runs a request: xExec(pCtx, pReq, peKind, pOut) runs request *pReq
** on the open database (recording writes with their (client, seq), so a re-sent one is
** answered from the record, and dropping that client's records below iAckedBelow,
** which it will never send again) and appends the
** answer's body to pOut with its SQWA kind in *peKind. Returns SQLITE_OK;
** SQLITE_DONE for a late copy of a request the client has the answer of (below its
** acknowledged floor: not run, not answered); or an error code for a request that could
** not be run at all (the answer is then an error result, an SQWR with the code, which
** the asking tab reports with that code). Kinds 4 (export: the answer is the file) and
** 5 (import: recorded like a write) run too. Transactions: REQ_BEGIN
** begins one; REQ_COMMIT records (client, seq) and commits (a re-sent COMMIT is
** answered from its record; with no transaction open and no record it returns
** SQLITE_ABORT: the transaction was lost); REQ_ROLLBACK rolls back.
** xEpoch(pCtx, iProposed, piEpoch) stores the epoch max(stored + 1, iProposed) in the
** database and returns it in *piEpoch. The write reaches the host before it returns; it
** need not be flushed (the next durable commit flushes it: docs/decisions.md).
** xForget(pCtx, aClient) drops every record of a client that is gone.
** xRecorded(pCtx, pOut) appends the ids of the clients that have records (16 bytes
** each), so a new leader can watch them and forget the dead.
** xDeadline(pCtx, iBudgetMs), called before each xExec of a request, gives the time the
** request may run before it is interrupted (SQLITE_INTERRUPT), -1 for no limit; it may
** be NULL. A request whose asker's budget ran out before it could run is not run: it is
** answered "SQLITE_INTERRUPT: ..." (COMMIT and ROLLBACK always run).
*/
typedef struct CoordRequest {
  const unsigned char *aClient;  /* the asking client's id (COORD_ID_BYTES) */
  uint32_t iSeq;                 /* its sequence */
  uint32_t iAckedBelow;          /* every request of aClient below it was answered */
  uint32_t iLease;               /* the transaction (lease) it belongs to, 0 for none */
  int eKind;                     /* REQ_* */
  const unsigned char *aBody;    /* its body (not owned) */
  size_t nBody;
  int64_t iDeadline;             /* when its asker stops waiting (ms); -1: never */
  int bLost;                     /* it belongs to a transaction (lease) this leader does
                                 ** not hold: answered from its record, or as lost */
} CoordRequest;

typedef struct CoordEngine {
  void *pCtx;
  int (*xExec)(void *pCtx, const CoordRequest *pReq, int *peKind, SqlwBuf *pOut);
  int (*xEpoch)(void *pCtx, uint64_t iProposed, uint64_t *piEpoch);
  int (*xForget)(void *pCtx, const unsigned char *aClient);
  int (*xRecorded)(void *pCtx, SqlwBuf *pOut);
  int (*xInTxn)(void *pCtx);
  void (*xDeadline)(void *pCtx, int64_t iBudgetMs);
  /* Appends the fields and body of a CHANGES message for what committed since the last
  ** call, if anything did (returns 1), and forgets it. May be NULL. */
  int (*xChanges)(void *pCtx, SqlwBuf *pOut);
} CoordEngine;

typedef struct Coord Coord;

/* A client's machine with id aId; freezeMs: how long a request may go unanswered
** while a leader is known before that leader is taken for frozen; idleMs: how long a
** transaction's lease may stay without a request before it is rolled back. NULL when
** out of memory. Posts HELLO (drain the actions). */
Coord *coordCreate(const unsigned char *aId, const CoordEngine *pEngine, int64_t freezeMs,
                   int64_t idleMs, int64_t iNow);
void coordDestroy(Coord *p);

/* Replaces the machine's engine (a runtime opens the storage after the machine exists:
** it sets the engine over the opened database before coordStorageOpened()). */
void coordSetEngine(Coord *p, const CoordEngine *pEngine);

/* The events. Each returns SQLITE_OK or SQLITE_NOMEM; afterwards drain the actions. */
int coordLeaderLockGranted(Coord *p, int64_t iNow);
int coordLeaderLockLost(Coord *p, int64_t iNow);      /* another client stole it */
int coordStorageOpened(Coord *p, int rc, int64_t iNow);
int coordMessage(Coord *p, const unsigned char *a, size_t n, int64_t iNow);
/* This tab's request. iBudget: ms the page waits for its answer from now,
** COORD_NO_BUDGET for no limit. bDirect: the page posted it on the leader's channel
** itself, to the leader coordDirectHead() last named, and settles on that leader's
** REPLY itself (docs/coord.md, "The follower's hop"): the machine records it as sent
** there and forwards no answer from that leader; it re-sends it as any other when the
** leader changes. Pass bDirect only while that leader is still the one known. */
int coordLocalRequest(Coord *p, uint32_t iSeq, uint32_t iLease, int eKind,
                      const unsigned char *aBody, size_t nBody, uint32_t iBudget,
                      int bDirect, int64_t iNow);
/* coordLocalRequest taking the body instead of copying it: aBody (sqlite3_malloc'd, or
** NULL when nBody is 0) is the machine's from the call on, freed whatever happens. */
int coordLocalTake(Coord *p, uint32_t iSeq, uint32_t iLease, int eKind,
                   unsigned char *aBody, size_t nBody, uint32_t iBudget,
                   int bDirect, int64_t iNow);
int coordClientGone(Coord *p, const unsigned char *aId, int64_t iNow);

/* The page gave up on its request iSeq (an AbortSignal): it is dropped where it still
** waits (here, or held by the leader: a withdrawal is sent), unanswered. One that is
** running or answered is not affected. Returns SQLITE_OK or SQLITE_NOMEM. */
int coordCancel(Coord *p, uint32_t iSeq, int64_t iNow);

/* The page has the answers of every request below iBelow, or gave up on them (it only
** grows; the machine does not know of answers lost between it and the page until told).
** The leader may drop this client's records below the lower of it and the machine's
** own floor. The machine forgets its requests below it: nobody waits for them. Without
** a call, only the machine's floor counts. */
void coordPageAcked(Coord *p, uint32_t iBelow);
int coordTick(Coord *p, int64_t iNow);

/* As leader: appends to pOut the CHANGES message (docs/coord.md, "Change notices") for
** the commits since the last call, and returns 1; 0 when none changed anything (or when
** not leading, or out of memory). A runtime calls it once per task, after the events. */
int coordTakeChanges(Coord *p, SqlwBuf *pOut);

/* Takes the next action into *pAct. Returns 1, or 0 when there is none left. */
int coordNextAction(Coord *p, CoordAction *pAct);

/* The state: is this client the leader, its epoch; as leader, the client holding the
** lease (copied to aClient, 1 returned) or 0 when none does. */
int coordIsLeader(const Coord *p);

/* True when the machine holds nothing: no transaction's lease, no other client's held
** request, no request of this tab waiting for its answer. */
int coordIdle(const Coord *p);

/* Appends the leader's ANNOUNCE at its current epoch to pOut, for its page to post on
** its behalf when asked who leads (the page answers while the worker is busy). Returns
** SQLITE_OK, SQLITE_MISUSE when this client does not lead, or SQLITE_NOMEM. */
int coordAnnouncement(const Coord *p, SqlwBuf *pOut);

/* For a follower that knows its leader: writes COORD_DIRECT_HEAD bytes to aOut, a
** REQUEST's header as this client would send it now (its epoch and id) and the
** leader's id, for the page to post its requests on the leader's channel itself.
** Returns 1, or 0 (nothing written) when this client leads or knows no leader. */
int coordDirectHead(const Coord *p, unsigned char *aOut);
uint64_t coordEpoch(const Coord *p);
int coordLeaseHolder(const Coord *p, unsigned char *aClient);

/* ---- the leader's engine (src/core/coord_engine.c) ------------------------------- */
/* It runs on the engine's internals (engine_int.h). */

/*
** Fills *pEngine with the leader's engine over the open database pDb: requests of kind
** 1 (exec), 2 (run many) and 3 (batch) with their SQWQ bodies, each run in a savepoint
** with the (client, seq) record of a write in _sqlw_requests, so a re-sent write is
** answered from the record instead of running twice; and the epoch in _sqlw_meta.
*/
void coordEngineInit(CoordEngine *pEngine, sqlw_db *pDb);

#endif /* SQLW_COORD_H */
