/*
** coord_msg.h — the messages of the multi-tab protocol (coord_msg.c, docs/coord.md
** "Messages"): their decoded form, the decoder that checks every byte of an untrusted
** message, and the encoder. Internal to the core.
*/
#ifndef SQLW_COORD_MSG_H
#define SQLW_COORD_MSG_H

#include <stddef.h>
#include <stdint.h>
#include "codec.h"
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
/* coordMsgEncode of a REQUEST or REPLY whose body is aPre[0..nPre) then p's body (an
** answer after its kind byte, with no copy of the two made first). */
int coordMsgEncodeAfter(const CoordMsg *p, const unsigned char *aPre, uint32_t nPre,
                        SqlwBuf *pOut);

/* Writes the COORD_HEADER bytes of a message of type eType, epoch iEpoch, from aSender. */
void coordMsgHeader(unsigned char *a, int eType, uint64_t iEpoch, const unsigned char *aSender);

#endif /* SQLW_COORD_MSG_H */
