/*
** coord_msg.c — the messages of the multi-tab protocol (docs/coord.md, "Messages"): the
** decoder and the encoder. The state machine that exchanges them is coord.c.
**
** Every message arrives from another tab over a BroadcastChannel, where any script of
** the origin may post anything: the decoder trusts nothing, and a message it refuses is
** dropped by the caller (logged in debug mode), never acted on. Layout, little-endian:
**
**   0  "SQWC"   4  u16 version   6  u16 type   8  u64 epoch   16  sender id (16 bytes)
**   32 the type's fields:
**      HELLO, ANNOUNCE  none
**      REQUEST          u32 seq, u32 lease, u32 ackedBelow, u8 kind, u8 0, u16 0,
**                       u32 budget, u32 nBody, body
**      REPLY            target id (16), u32 seq, u8 status, u8 0, u16 0, u32 nBody, body
**      LEASE_END        target id (16), u32 lease, u8 reason, u8 0, u16 0
**
** The last field ends the message. Encoding is canonical: a message that decodes
** re-encodes to the same bytes.
*/
#include <string.h>
#include "sqlite3.h"
#include "coord_msg.h"

#define COORD_MAX_BODY 0xffffffc0u     /* keeps n + fields inside 32 bits */

static uint32_t coordGet32(const unsigned char *a){
  return (uint32_t)a[0] | (uint32_t)a[1]<<8 | (uint32_t)a[2]<<16 | (uint32_t)a[3]<<24;
}

static void coordPut32(unsigned char *a, uint32_t v){
  a[0] = (unsigned char)v; a[1] = (unsigned char)(v>>8);
  a[2] = (unsigned char)(v>>16); a[3] = (unsigned char)(v>>24);
}

/* The bytes of a message of type eType after the header, without its body; -1 for an
** unknown type. */
static int coordFixed(int eType){
  switch( eType ){
    case COORD_HELLO:
    case COORD_ANNOUNCE:   return 0;
    case COORD_REQUEST:    return COORD_REQUEST_FIELDS;
    case COORD_REPLY:      return COORD_REPLY_FIELDS;
    case COORD_LEASE_END:  return COORD_LEASE_END_FIELDS;
    default:               return -1;
  }
}

/* Fails a decode: zeroes *p, sets *pzWhy. Returns SQLITE_MISUSE. */
static int coordRefuse(CoordMsg *p, const char **pzWhy, const char *zWhy){
  memset(p, 0, sizeof(*p));
  *pzWhy = zWhy;
  return SQLITE_MISUSE;
}

int coordMsgDecode(const unsigned char *a, size_t n, CoordMsg *p, const char **pzWhy){
  int nFixed, k;
  const unsigned char *f;
  memset(p, 0, sizeof(*p));
  *pzWhy = 0;
  if( a==0 || n<COORD_HEADER ) return coordRefuse(p, pzWhy, "shorter than a header");
  if( memcmp(a, SQLW_MAGIC_COORD, 4)!=0 ) return coordRefuse(p, pzWhy, "bad magic");
  if( (a[4] | a[5]<<8)!=COORD_VERSION ) return coordRefuse(p, pzWhy, "unknown version");
  p->eType = a[6] | a[7]<<8;
  nFixed = coordFixed(p->eType);
  if( nFixed<0 ) return coordRefuse(p, pzWhy, "unknown type");
  if( n-COORD_HEADER<(size_t)nFixed ) return coordRefuse(p, pzWhy, "truncated");
  for(k=7; k>=0; k--) p->iEpoch = (p->iEpoch<<8) | a[8+k];
  memcpy(p->aSender, a+16, COORD_ID_BYTES);
  f = a+COORD_HEADER;
  switch( p->eType ){
    case COORD_REQUEST:
      p->iSeq = coordGet32(f);
      p->iLease = coordGet32(f+4);
      p->iAckedBelow = coordGet32(f+8);
      p->eKind = f[12];
      if( f[13] || f[14] || f[15] ) return coordRefuse(p, pzWhy, "reserved bytes set");
      if( p->eKind==0 ) return coordRefuse(p, pzWhy, "no request kind");
      p->iBudget = coordGet32(f+16);
      p->nBody = coordGet32(f+20);
      break;
    case COORD_REPLY:
      memcpy(p->aTarget, f, COORD_ID_BYTES);
      p->iSeq = coordGet32(f+16);
      p->eStatus = f[20];
      if( f[21] || f[22] || f[23] ) return coordRefuse(p, pzWhy, "reserved bytes set");
      if( p->eStatus<COORD_DONE || p->eStatus>COORD_NOT_LEADER ){
        return coordRefuse(p, pzWhy, "unknown reply status");
      }
      p->nBody = coordGet32(f+24);
      break;
    case COORD_LEASE_END:
      memcpy(p->aTarget, f, COORD_ID_BYTES);
      p->iLease = coordGet32(f+16);
      p->eStatus = f[20];
      if( f[21] || f[22] || f[23] ) return coordRefuse(p, pzWhy, "reserved bytes set");
      if( p->eStatus<COORD_LEASE_COMMITTED || p->eStatus>COORD_LEASE_LEADER_GONE ){
        return coordRefuse(p, pzWhy, "unknown lease-end reason");
      }
      if( p->iLease==0 ) return coordRefuse(p, pzWhy, "lease 0 cannot end");
      break;
    default:
      break;
  }
  if( n-COORD_HEADER-(size_t)nFixed!=p->nBody ){
    return coordRefuse(p, pzWhy, n-COORD_HEADER-(size_t)nFixed<p->nBody ?
                       "body longer than the message" : "bytes after the last field");
  }
  if( p->nBody ) p->aBody = f+nFixed;
  return SQLITE_OK;
}

void coordMsgHeader(unsigned char *a, int eType, uint64_t iEpoch, const unsigned char *aSender){
  int k;
  memcpy(a, SQLW_MAGIC_COORD, 4);
  a[4] = (unsigned char)COORD_VERSION;
  a[5] = (unsigned char)(COORD_VERSION>>8);
  a[6] = (unsigned char)eType;
  a[7] = (unsigned char)(eType>>8);
  for(k=0; k<8; k++) a[8+k] = (unsigned char)(iEpoch>>(8*k));
  memcpy(a+16, aSender, COORD_ID_BYTES);
}

int coordMsgEncode(const CoordMsg *p, SqlwBuf *pOut){
  return coordMsgEncodeAfter(p, 0, 0, pOut);
}

int coordMsgEncodeAfter(const CoordMsg *p, const unsigned char *aPre, uint32_t nPre,
                        SqlwBuf *pOut){
  int nFixed = coordFixed(p->eType);
  uint32_t nBody = 0;
  unsigned char *a;
  if( nFixed<0 ) return SQLITE_MISUSE;
  if( p->eType==COORD_REQUEST || p->eType==COORD_REPLY ){
    if( p->nBody>COORD_MAX_BODY-nPre || (p->nBody && p->aBody==0) ) return SQLITE_MISUSE;
    nBody = nPre+p->nBody;
  }else if( nPre ){
    return SQLITE_MISUSE;
  }
  if( p->eType==COORD_REQUEST && (p->eKind<=0 || p->eKind>255) ) return SQLITE_MISUSE;
  if( p->eType==COORD_REPLY && (p->eStatus<COORD_DONE || p->eStatus>COORD_NOT_LEADER) ){
    return SQLITE_MISUSE;
  }
  if( p->eType==COORD_LEASE_END && (p->iLease==0 || p->eStatus<COORD_LEASE_COMMITTED
                                    || p->eStatus>COORD_LEASE_LEADER_GONE) ){
    return SQLITE_MISUSE;
  }
  if( sqlwBufReserve(pOut, COORD_HEADER+(size_t)nFixed+nBody) ) return SQLITE_NOMEM;
  a = pOut->a+pOut->n;
  memset(a, 0, COORD_HEADER+(size_t)nFixed);
  coordMsgHeader(a, p->eType, p->iEpoch, p->aSender);
  a += COORD_HEADER;
  switch( p->eType ){
    case COORD_REQUEST:
      coordPut32(a, p->iSeq);
      coordPut32(a+4, p->iLease);
      coordPut32(a+8, p->iAckedBelow);
      a[12] = (unsigned char)p->eKind;
      coordPut32(a+16, p->iBudget);
      coordPut32(a+20, nBody);
      break;
    case COORD_REPLY:
      memcpy(a, p->aTarget, COORD_ID_BYTES);
      coordPut32(a+16, p->iSeq);
      a[20] = (unsigned char)p->eStatus;
      coordPut32(a+24, nBody);
      break;
    case COORD_LEASE_END:
      memcpy(a, p->aTarget, COORD_ID_BYTES);
      coordPut32(a+16, p->iLease);
      a[20] = (unsigned char)p->eStatus;
      break;
    default:
      break;
  }
  if( nPre ) memcpy(a+nFixed, aPre, nPre);
  if( nBody>nPre ) memcpy(a+nFixed+nPre, p->aBody, nBody-nPre);
  pOut->n += COORD_HEADER+(size_t)nFixed+nBody;
  return SQLITE_OK;
}
