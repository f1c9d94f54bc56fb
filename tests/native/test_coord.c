/*
** test_coord.c — the multi-tab protocol's messages (src/core/coord.c, docs/coord.md):
** every type round-trips, and the decoder refuses every malformed message a script of
** the origin could post: truncations, trailing bytes, bad magic, version, type, status,
** reserved bytes, and bodies that claim more than there is. And one case of the state
** machine the simulator cannot reach (its tabs all start together): a tab that opens
** while the leader is frozen takes the lock over after the freeze deadline.
*/
#include <string.h>

#include "sqlite3.h"
#include "support.h"
#include "../../src/core/coord.h"

/* A message of type eType with every field its type has set to a recognisable value. */
static CoordMsg coordSample(int eType){
  static const unsigned char aBody[] = "SQWR-ish body bytes";
  CoordMsg m;
  memset(&m, 0, sizeof(m));
  m.eType = eType;
  m.iEpoch = 0x0102030405060708ull;
  memset(m.aSender, 0xa5, COORD_ID_BYTES);
  if( eType==COORD_REPLY || eType==COORD_LEASE_END ) memset(m.aTarget, 0x5a, COORD_ID_BYTES);
  if( eType==COORD_REQUEST || eType==COORD_REPLY ){
    m.iSeq = 77;
    m.aBody = aBody;
    m.nBody = sizeof(aBody)-1;
  }
  if( eType==COORD_REQUEST ){
    m.iLease = 3;
    m.iAckedBelow = 70;
    m.eKind = 2;
    m.iBudget = 30000;
  }
  if( eType==COORD_REPLY ) m.eStatus = COORD_REJECTED;
  if( eType==COORD_LEASE_END ){
    m.iLease = 9;
    m.eStatus = COORD_LEASE_IDLE;
  }
  return m;
}

/* Frees the buffer given to harnessDefer(). */
static void coordFreeBuf(void *p){
  sqlwBufFree((SqlwBuf*)p);
}

TEST(coordroundtrip, "coord-100 every message type round-trips, canonically"){
  static SqlwBuf buf, again;
  int eType;
  harnessDefer(coordFreeBuf, &buf);
  harnessDefer(coordFreeBuf, &again);
  for(eType=COORD_HELLO; eType<=COORD_LEASE_END; eType++){
    CoordMsg m = coordSample(eType), d;
    const char *zWhy = 0;
    buf.n = 0;
    REQUIRE(coordMsgEncode(&m, &buf)==SQLITE_OK);
    CHECK_RC(coordMsgDecode(buf.a, buf.n, &d, &zWhy), SQLITE_OK);
    CHECK_INT(d.eType, m.eType);
    CHECK(d.iEpoch==m.iEpoch);
    CHECK_MEM(d.aSender, COORD_ID_BYTES, m.aSender, COORD_ID_BYTES);
    CHECK_MEM(d.aTarget, COORD_ID_BYTES, m.aTarget, COORD_ID_BYTES);
    CHECK_INT(d.iSeq, m.iSeq);
    CHECK_INT(d.iLease, m.iLease);
    CHECK_INT(d.iAckedBelow, m.iAckedBelow);
    CHECK_INT(d.iBudget, m.iBudget);
    CHECK_INT(d.eKind, m.eKind);
    CHECK_INT(d.eStatus, m.eStatus);
    CHECK_MEM(d.aBody, d.nBody, m.aBody, m.nBody);
    again.n = 0;
    REQUIRE(coordMsgEncode(&d, &again)==SQLITE_OK);
    CHECK_MEM(again.a, again.n, buf.a, buf.n);
  }
}

TEST(coordrefuse, "coord-110 malformed messages are refused, never half-read"){
  static SqlwBuf buf;
  int eType;
  harnessDefer(coordFreeBuf, &buf);
  for(eType=COORD_HELLO; eType<=COORD_LEASE_END; eType++){
    CoordMsg m = coordSample(eType), d;
    const char *zWhy = 0;
    unsigned char a[256];
    size_t n, i;
    buf.n = 0;
    REQUIRE(coordMsgEncode(&m, &buf)==SQLITE_OK);
    REQUIRE(buf.n<sizeof(a)-1);
    /* Every truncation, and one byte more. */
    for(n=0; n<buf.n; n++){
      CHECK_RC(coordMsgDecode(buf.a, n, &d, &zWhy), SQLITE_MISUSE);
      CHECK(zWhy!=0 && d.eType==0);
    }
    memcpy(a, buf.a, buf.n);
    a[buf.n] = 0;
    CHECK_RC(coordMsgDecode(a, buf.n+1, &d, &zWhy), SQLITE_MISUSE);
    /* Each header field broken in turn. */
    memcpy(a, buf.a, buf.n);
    a[0] = 'X';
    CHECK_RC(coordMsgDecode(a, buf.n, &d, &zWhy), SQLITE_MISUSE);
    memcpy(a, buf.a, buf.n);
    a[4] = COORD_VERSION+1;
    CHECK_RC(coordMsgDecode(a, buf.n, &d, &zWhy), SQLITE_MISUSE);
    memcpy(a, buf.a, buf.n);
    a[6] = 0;
    CHECK_RC(coordMsgDecode(a, buf.n, &d, &zWhy), SQLITE_MISUSE);
    a[6] = 6;
    CHECK_RC(coordMsgDecode(a, buf.n, &d, &zWhy), SQLITE_MISUSE);
    /* Reserved bytes, statuses and body lengths of the types that have them. */
    if( eType==COORD_REQUEST || eType==COORD_REPLY || eType==COORD_LEASE_END ){
      size_t iRes = eType==COORD_REQUEST ? COORD_HEADER+13 : COORD_HEADER+21;
      for(i=iRes; i<iRes+3; i++){
        memcpy(a, buf.a, buf.n);
        a[i] = 1;
        CHECK_RC(coordMsgDecode(a, buf.n, &d, &zWhy), SQLITE_MISUSE);
      }
    }
    if( eType==COORD_REPLY || eType==COORD_LEASE_END ){
      memcpy(a, buf.a, buf.n);
      a[COORD_HEADER+20] = 0;
      CHECK_RC(coordMsgDecode(a, buf.n, &d, &zWhy), SQLITE_MISUSE);
      a[COORD_HEADER+20] = 99;
      CHECK_RC(coordMsgDecode(a, buf.n, &d, &zWhy), SQLITE_MISUSE);
    }
    if( eType==COORD_REQUEST || eType==COORD_REPLY ){
      size_t iLen = COORD_HEADER+(eType==COORD_REQUEST ? 20 : 24);   /* the body length */
      memcpy(a, buf.a, buf.n);
      a[iLen] = 0xff; a[iLen+1] = 0xff; a[iLen+2] = 0xff; a[iLen+3] = 0xff;
      CHECK_RC(coordMsgDecode(a, buf.n, &d, &zWhy), SQLITE_MISUSE);
      CHECK_STR(zWhy, "body longer than the message");
    }
  }
}

TEST(coordencode, "coord-120 the encoder refuses what the decoder would refuse"){
  static SqlwBuf buf;
  CoordMsg m;
  harnessDefer(coordFreeBuf, &buf);
  m = coordSample(COORD_HELLO);
  m.eType = 0;
  CHECK_RC(coordMsgEncode(&m, &buf), SQLITE_MISUSE);
  m = coordSample(COORD_REQUEST);
  m.eKind = 0;
  CHECK_RC(coordMsgEncode(&m, &buf), SQLITE_MISUSE);
  m = coordSample(COORD_REPLY);
  m.eStatus = 0;
  CHECK_RC(coordMsgEncode(&m, &buf), SQLITE_MISUSE);
  m = coordSample(COORD_LEASE_END);
  m.iLease = 0;
  CHECK_RC(coordMsgEncode(&m, &buf), SQLITE_MISUSE);
  m = coordSample(COORD_REPLY);
  m.aBody = 0;
  CHECK_RC(coordMsgEncode(&m, &buf), SQLITE_MISUSE);
  CHECK_INT(buf.n, 0);
}

/* An engine that is never called: the machine under test never leads. */
static int coordNoExec(void *pCtx, const CoordRequest *pReq, int *peKind, SqlwBuf *pOut){
  (void)pCtx; (void)pReq; (void)peKind; (void)pOut;
  return SQLITE_MISUSE;
}
static int coordNoEpoch(void *pCtx, uint64_t iProposed, uint64_t *piEpoch){
  (void)pCtx; (void)iProposed; (void)piEpoch;
  return SQLITE_MISUSE;
}
static int coordNoForget(void *pCtx, const unsigned char *aClient){
  (void)pCtx; (void)aClient;
  return SQLITE_OK;
}
static int coordNoRecorded(void *pCtx, SqlwBuf *pOut){
  (void)pCtx; (void)pOut;
  return SQLITE_OK;
}

/* Takes every action of the last event; returns how many were eAct (the last TIMER's
** time in *piAt when asked). */
static int coordCount(Coord *p, int eAct, int64_t *piAt){
  CoordAction a;
  int n = 0;
  while( coordNextAction(p, &a) ){
    if( a.eAct==eAct ) n++;
    if( a.eAct==COORD_ACT_TIMER && piAt ) *piAt = a.iAt;
  }
  return n;
}

TEST(coordsilent, "coord-130 a request waits no longer than the freeze deadline for a leader that never announces"){
  static const unsigned char aId[COORD_ID_BYTES] = { 7 };
  CoordEngine e = { 0, coordNoExec, coordNoEpoch, coordNoForget, coordNoRecorded, 0, 0, 0 };
  static const unsigned char aBody[5] = { 1, 0, 0, 0, 'x' };
  int64_t iAt = 0;
  Coord *p = coordCreate(aId, &e, 5000, 30000, 100);
  CHECK(p!=0);
  CHECK(coordCount(p, COORD_ACT_POST_ALL, 0)==1);            /* HELLO */
  /* The lock's holder is frozen: no ANNOUNCE ever comes. The request is held... */
  CHECK_RC(coordLocalRequest(p, 1, 0, 1, aBody, sizeof(aBody), COORD_NO_BUDGET, 0, 1000), SQLITE_OK);
  CHECK(coordCount(p, COORD_ACT_POST_LEADER, &iAt)==0);
  CHECK(iAt==6000);                                           /* ...with a deadline */
  CHECK_RC(coordTick(p, 5999), SQLITE_OK);
  CHECK(coordCount(p, COORD_ACT_STEAL_LEADER, 0)==0);
  CHECK_RC(coordTick(p, 6000), SQLITE_OK);
  CHECK(coordCount(p, COORD_ACT_STEAL_LEADER, 0)==1);         /* then the lock is taken */
  CHECK_RC(coordTick(p, 20000), SQLITE_OK);
  CHECK(coordCount(p, COORD_ACT_STEAL_LEADER, 0)==0);         /* once */
  coordDestroy(p);
}

/* Feeds client p a message of type eType from aFrom at epoch iEpoch (REPLY: to aTo, for
** iSeq, status eStatus, a body of one kind byte and "ok"). */
static void coordHear(Coord *p, int eType, const unsigned char *aFrom, uint64_t iEpoch,
                      const unsigned char *aTo, uint32_t iSeq, int eStatus, int64_t iNow){
  static const unsigned char aAnswer[3] = { 1, 'o', 'k' };
  CoordMsg m;
  SqlwBuf buf = {0};
  memset(&m, 0, sizeof(m));
  m.eType = eType;
  m.iEpoch = iEpoch;
  memcpy(m.aSender, aFrom, COORD_ID_BYTES);
  if( eType==COORD_REPLY ){
    memcpy(m.aTarget, aTo, COORD_ID_BYTES);
    m.iSeq = iSeq;
    m.eStatus = eStatus;
    m.aBody = aAnswer;
    m.nBody = sizeof(aAnswer);
  }
  CHECK_RC(coordMsgEncode(&m, &buf), SQLITE_OK);
  CHECK_RC(coordMessage(p, buf.a, buf.n, iNow), SQLITE_OK);
  sqlwBufFree(&buf);
}

TEST(coorddirect, "coord-140 a request its page posted: named, counted as sent, answered once"){
  static const unsigned char aId[COORD_ID_BYTES] = { 7 };
  static const unsigned char aL1[COORD_ID_BYTES] = { 1 };
  static const unsigned char aL2[COORD_ID_BYTES] = { 2 };
  CoordEngine e = { 0, coordNoExec, coordNoEpoch, coordNoForget, coordNoRecorded, 0, 0, 0 };
  static const unsigned char aBody[5] = { 1, 0, 0, 0, 'x' };
  unsigned char aHead[COORD_DIRECT_HEAD];
  CoordMsg m;
  SqlwBuf buf = {0};
  Coord *p = coordCreate(aId, &e, 5000, 30000, 100);
  REQUIRE(p!=0);
  coordCount(p, 0, 0);
  CHECK_INT(coordDirectHead(p, aHead), 0);                    /* no leader known yet */
  coordHear(p, COORD_ANNOUNCE, aL1, 9, 0, 0, 0, 200);
  coordCount(p, 0, 0);
  CHECK_INT(coordDirectHead(p, aHead), 1);
  /* The head is a REQUEST's, as this client encodes one at epoch 9, then L1's id. */
  memset(&m, 0, sizeof(m));
  m.eType = COORD_REQUEST;
  m.iEpoch = 9;
  memcpy(m.aSender, aId, COORD_ID_BYTES);
  m.eKind = 1;
  CHECK_RC(coordMsgEncode(&m, &buf), SQLITE_OK);
  CHECK(memcmp(buf.a, aHead, COORD_HEADER)==0);
  CHECK(memcmp(aHead+COORD_HEADER, aL1, COORD_ID_BYTES)==0);
  sqlwBufFree(&buf);

  /* Seq 1, posted by the page: nothing posted here, and L1's REPLY settles it silently
  ** (the page took the same message). */
  CHECK_RC(coordLocalRequest(p, 1, 0, 1, aBody, sizeof(aBody), COORD_NO_BUDGET, 1, 300), SQLITE_OK);
  CHECK_INT(coordCount(p, COORD_ACT_POST_LEADER, 0), 0);
  CHECK_INT(coordIdle(p), 0);
  coordHear(p, COORD_REPLY, aL1, 9, aId, 1, COORD_DONE, 310);
  CHECK_INT(coordCount(p, COORD_ACT_LOCAL_REPLY, 0), 0);
  CHECK_INT(coordIdle(p), 1);

  /* Seq 2's REPLY passes its word from the page: the word then registers nothing. */
  coordHear(p, COORD_REPLY, aL1, 9, aId, 2, COORD_DONE, 400);
  CHECK_INT(coordCount(p, COORD_ACT_LOCAL_REPLY, 0), 0);
  CHECK_RC(coordLocalRequest(p, 2, 0, 1, aBody, sizeof(aBody), COORD_NO_BUDGET, 1, 410), SQLITE_OK);
  CHECK_INT(coordCount(p, COORD_ACT_POST_LEADER, 0), 0);
  CHECK_INT(coordIdle(p), 1);
  /* A REPLY to a sequence already given is a duplicate, not remembered: seq 1 again. */
  coordHear(p, COORD_REPLY, aL1, 9, aId, 1, COORD_DONE, 420);
  CHECK_RC(coordLocalRequest(p, 3, 0, 1, aBody, sizeof(aBody), COORD_NO_BUDGET, 1, 430), SQLITE_OK);
  CHECK_INT(coordIdle(p), 0);

  /* The leader changes while seq 3 waits: the machine sends it itself, and forwards the
  ** new leader's answer to the page. */
  coordHear(p, COORD_ANNOUNCE, aL2, 10, 0, 0, 0, 500);
  CHECK_INT(coordCount(p, COORD_ACT_POST_LEADER, 0), 1);
  coordHear(p, COORD_REPLY, aL2, 10, aId, 3, COORD_DONE, 510);
  CHECK_INT(coordCount(p, COORD_ACT_LOCAL_REPLY, 0), 1);
  CHECK_INT(coordIdle(p), 1);

  /* A direct request unanswered for half the freeze deadline is sent from here too (its
  ** page's post may have been lost), with the probe of who leads. */
  {
    int64_t iAt = 0;
    CHECK_RC(coordLocalRequest(p, 4, 0, 1, aBody, sizeof(aBody), COORD_NO_BUDGET, 1, 520), SQLITE_OK);
    CHECK_INT(coordCount(p, COORD_ACT_POST_LEADER, &iAt), 0);
    CHECK(iAt==520+2500);
    CHECK_RC(coordTick(p, 520+2500), SQLITE_OK);
    {
      CoordAction a;
      int nLeader = 0, nAll = 0;
      while( coordNextAction(p, &a) ){
        if( a.eAct==COORD_ACT_POST_LEADER ) nLeader++;
        if( a.eAct==COORD_ACT_POST_ALL ) nAll++;
      }
      CHECK_INT(nLeader, 1);
      CHECK_INT(nAll, 1);
    }
    coordHear(p, COORD_REPLY, aL2, 10, aId, 4, COORD_DONE, 3100);
    CHECK_INT(coordCount(p, COORD_ACT_LOCAL_REPLY, 0), 1);    /* now the worker's to answer */
    CHECK_INT(coordIdle(p), 1);
  }

  /* A direct request the page settled from the channel unseen here goes with the
  ** page's floor. */
  CHECK_RC(coordLocalRequest(p, 5, 0, 1, aBody, sizeof(aBody), COORD_NO_BUDGET, 1, 3200), SQLITE_OK);
  CHECK_INT(coordIdle(p), 0);
  coordPageAcked(p, 5);
  CHECK_INT(coordIdle(p), 0);
  coordPageAcked(p, 6);
  CHECK_INT(coordIdle(p), 1);
  /* Passed "direct" while this client knows no leader (it could not have named one):
  ** an ordinary request, sent when a leader announces itself. */
  CHECK_RC(coordLeaderLockLost(p, 3250), SQLITE_OK);
  coordCount(p, 0, 0);
  CHECK_INT(coordDirectHead(p, aHead), 0);
  CHECK_RC(coordLocalRequest(p, 7, 0, 1, aBody, sizeof(aBody), COORD_NO_BUDGET, 1, 3300), SQLITE_OK);
  CHECK_INT(coordCount(p, COORD_ACT_POST_LEADER, 0), 0);
  coordHear(p, COORD_ANNOUNCE, aL1, 11, 0, 0, 0, 3310);
  CHECK_INT(coordCount(p, COORD_ACT_POST_LEADER, 0), 1);
  coordHear(p, COORD_REPLY, aL1, 11, aId, 7, COORD_DONE, 3320);
  CHECK_INT(coordCount(p, COORD_ACT_LOCAL_REPLY, 0), 1);
  CHECK_INT(coordIdle(p), 1);
  coordDestroy(p);
}
