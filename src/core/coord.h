/*
** coord.h — the messages of the multi-tab protocol (docs/coord.md): their decoded form,
** the decoder that checks every byte of an untrusted message, and the encoder.
** Internal to the core. The state machine that exchanges them builds on this file.
*/
#ifndef SQLW_COORD_H
#define SQLW_COORD_H

#include <stddef.h>
#include <stdint.h>
#include "codec.h"
#include "sqlw.h"
#include "proto.h"

/*
** One message. Which fields mean something depends on eType (docs/coord.md); the others
** are zero. aBody points into the buffer the message was decoded from (or is the data to
** encode) and is not owned.
*/
typedef struct CoordMsg {
  int eType;                              /* COORD_HELLO .. COORD_LEASE_END */
  uint64_t iEpoch;                        /* the sender's epoch */
  unsigned char aSender[COORD_ID_BYTES];  /* the sender's client id */
  unsigned char aTarget[COORD_ID_BYTES];  /* REPLY, LEASE_END: the client addressed */
  uint32_t iSeq;                          /* REQUEST, REPLY: the request's sequence */
  uint32_t iLease;                        /* REQUEST, LEASE_END: the lease, 0 for none */
  uint32_t iAckedBelow;                   /* REQUEST: every seq below it was answered */
  uint32_t iBudget;                       /* REQUEST: ms the asker still waits for the
                                          ** answer, COORD_NO_BUDGET for no limit */
  int eKind;                              /* REQUEST: the request kind (SQWQ op) */
  int eStatus;                            /* REPLY: COORD_DONE..; LEASE_END: reason */
  const unsigned char *aBody;             /* REQUEST, REPLY: the body */
  uint32_t nBody;                         /* its length */
} CoordMsg;

/*
** Decodes the message a[0..n) into *p, checking everything: magic, version, a known
** type, the exact length of its fields (nothing after the last one), zero reserved
** bytes, a known status or reason. Returns SQLITE_OK, or SQLITE_MISUSE with *pzWhy a
** static string saying what is wrong (and *p zeroed). Never reads outside a[0..n).
*/
int coordMsgDecode(const unsigned char *a, size_t n, CoordMsg *p, const char **pzWhy);

/*
** Appends the encoding of *p to pOut. Returns SQLITE_OK, SQLITE_MISUSE for a message
** that would not decode (unknown type, status or reason; a body over 2^32−64 bytes),
** or SQLITE_NOMEM.
*/
int coordMsgEncode(const CoordMsg *p, SqlwBuf *pOut);


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
** How the leader runs a request: xExec(pCtx, aClient, iSeq, iAckedBelow, eKind, aBody,
** nBody, peKind, pOut) runs it on the open database (recording writes with their
** (client, seq), so a re-sent one is answered from the record, and dropping that
** client's records below iAckedBelow, which it will never send again) and appends the
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
** database and returns it in *piEpoch.
** xForget(pCtx, aClient) drops every record of a client that is gone.
** xRecorded(pCtx, pOut) appends the ids of the clients that have records (16 bytes
** each), so a new leader can watch them and forget the dead.
** xDeadline(pCtx, iBudgetMs), called before each xExec of a request, gives the time the
** request may run before it is interrupted (SQLITE_INTERRUPT), -1 for no limit; it may
** be NULL. A request whose asker's budget ran out before it could run is not run: it is
** answered "SQLITE_INTERRUPT: ..." (COMMIT and ROLLBACK always run).
*/
typedef struct CoordEngine {
  void *pCtx;
  int (*xExec)(void *pCtx, const unsigned char *aClient, uint32_t iSeq, uint32_t iAckedBelow,
               int eKind, const unsigned char *aBody, size_t nBody, int *peKind,
               SqlwBuf *pOut);
  int (*xEpoch)(void *pCtx, uint64_t iProposed, uint64_t *piEpoch);
  int (*xForget)(void *pCtx, const unsigned char *aClient);
  int (*xRecorded)(void *pCtx, SqlwBuf *pOut);
  void (*xDeadline)(void *pCtx, int64_t iBudgetMs);
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
** COORD_NO_BUDGET for no limit. */
int coordLocalRequest(Coord *p, uint32_t iSeq, uint32_t iLease, int eKind,
                      const unsigned char *aBody, size_t nBody, uint32_t iBudget,
                      int64_t iNow);
int coordClientGone(Coord *p, const unsigned char *aId, int64_t iNow);

/* The page gave up on its request iSeq (an AbortSignal): it is dropped where it still
** waits (here, or held by the leader: a withdrawal is sent), unanswered. One that is
** running or answered is not affected. Returns SQLITE_OK or SQLITE_NOMEM. */
int coordCancel(Coord *p, uint32_t iSeq, int64_t iNow);

/* The page has the answers of every request below iBelow (it only grows; the machine
** does not know of answers lost between it and the page until told). The leader may drop
** this client's records below the lower of it and the machine's own floor. Without a
** call, only the machine's floor counts. */
void coordPageAcked(Coord *p, uint32_t iBelow);
int coordTick(Coord *p, int64_t iNow);

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
