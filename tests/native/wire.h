/*
** wire.h — test-side encoder of SQWP parameter buffers and reader of SQWR result
** buffers (docs/format.md, version 1).
**
** Written separately from the core's codec on purpose: the tests check the core against
** the document, not against itself. Used by the native tests and the fuzz targets.
**
** Encoder: wpInit(), then any names (wpName) and values (wpInt, wpText, ...) in order,
** then wpFinish() gives the buffer. Names and values may be interleaved in the calls; the
** buffer always has the names first, as the format requires. Out of memory is sticky:
** wpFinish() then returns NULL.
**
** Reader: wrParse() checks that a buffer is well formed — magic, version, flags, every
** length inside the buffer, every type tag known, nothing after the message — and
** indexes it. Pointers in a WrResult point into the parsed buffer, which the core owns
** and replaces on its next call: read what you need before calling the core again.
*/
#ifndef SQLW_TEST_WIRE_H
#define SQLW_TEST_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Type tags of docs/format.md, equal to SQLite's fundamental types. */
#define WIRE_INTEGER 1
#define WIRE_FLOAT   2
#define WIRE_TEXT    3
#define WIRE_BLOB    4
#define WIRE_NULL    5

/* A growable byte buffer. */
typedef struct WireBuf WireBuf;
struct WireBuf {
  unsigned char *a;   /* bytes, from sqlite3_malloc64 */
  size_t n;           /* bytes used */
  size_t nAlloc;      /* bytes allocated */
  int bOom;           /* an allocation failed; further appends are ignored */
};

/* An SQWP buffer under construction. */
typedef struct Wp Wp;
struct Wp {
  WireBuf names;      /* encoded names, (u32 n, bytes) each */
  WireBuf values;     /* encoded values */
  WireBuf out;        /* the finished buffer, rebuilt by each wpFinish() */
  uint32_t nName;     /* names added */
  uint32_t nValue;    /* values added (all sets together) */
};

void wpInit(Wp *p);
void wpFree(Wp *p);                  /* releases every buffer; p may be reused after wpInit */
void wpName(Wp *p, const char *zName);
void wpNull(Wp *p);
void wpInt(Wp *p, int64_t i);
void wpDouble(Wp *p, double r);
void wpText(Wp *p, const char *z, size_t n);
void wpBlob(Wp *p, const void *a, size_t n);
/* Appends raw bytes to the values section (for malformed buffers). */
void wpRaw(Wp *p, const void *a, size_t n);

/*
** Finishes the buffer with nValue values per set: the header gets nName, nValue and
** nSet = (values added) / nValue (1 when nValue is 0). Returns the buffer, owned by p and
** valid until the next wpFinish()/wpFree(); *pn gets its length. NULL if out of memory.
*/
const unsigned char *wpFinish(Wp *p, uint32_t nValue, size_t *pn);

/* Like wpFinish() but with every header field given, to build inconsistent buffers. */
const unsigned char *wpFinishRaw(Wp *p, uint16_t iVersion, uint16_t flags,
                                 uint32_t nName, uint32_t nValue, uint32_t nSet,
                                 size_t *pn);

/* One value of a result row. */
typedef struct WrValue WrValue;
struct WrValue {
  int eType;                 /* WIRE_INTEGER .. WIRE_NULL */
  int64_t i;                 /* WIRE_INTEGER */
  double r;                  /* WIRE_FLOAT, bit-exact */
  const unsigned char *z;    /* WIRE_TEXT/WIRE_BLOB: bytes in the buffer (n may be 0) */
  uint32_t n;                /* WIRE_TEXT/WIRE_BLOB: byte count */
};

/* A length-prefixed string of the buffer (not terminated). */
typedef struct WrStr WrStr;
struct WrStr {
  const char *z;             /* bytes in the buffer */
  uint32_t n;                /* byte count */
};

/* One result set. */
typedef struct WrSet WrSet;
struct WrSet {
  uint32_t nCol;             /* columns */
  WrStr *aName;              /* nCol column names */
  WrStr *aDecl;              /* nCol declared types ("" when none) */
  uint32_t nRow;             /* rows */
  WrValue *aVal;             /* nRow*nCol values, row after row */
};

/* A parsed SQWR buffer. */
typedef struct WrResult WrResult;
struct WrResult {
  int rc;                    /* extended result code */
  int iErrOffset;            /* byte offset of the error in the SQL, -1 if unknown */
  int64_t nChange;           /* rows changed */
  int64_t iLastRowid;        /* last insert rowid after the request */
  uint32_t nStatement;       /* statements run to completion */
  uint32_t nSet;             /* result sets */
  WrSet *aSet;               /* the nSet result sets */
  WrStr err;                 /* error message, empty when rc is 0 */
};

/*
** Parses the SQWR buffer a[0..n) into *pRes. Returns NULL when it is well formed, else a
** static string saying what is wrong (and *pRes is left empty). Either way the caller
** calls wrFree(pRes) afterwards. Arrays come from sqlite3_malloc64; out of memory is
** reported as "out of memory".
*/
const char *wrParse(const unsigned char *a, size_t n, WrResult *pRes);

/* Frees the arrays of a WrResult filled by wrParse(); the struct is zeroed. */
void wrFree(WrResult *pRes);

/* The value at (iRow, iCol) of pSet, or NULL when out of range. */
const WrValue *wrCell(const WrSet *pSet, uint32_t iRow, uint32_t iCol);

#endif /* SQLW_TEST_WIRE_H */
