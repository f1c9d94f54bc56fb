/*
** faulthost.c — the fault-injecting shim over the native host; see faulthost.h.
**
** Build. The test binary links the POSIX host compiled a second time with its file
** functions renamed, so that the names host_open ... host_sync are free for this file
** (the Makefile's rule, next to build/asan/test-native):
**
**   SHIM_RENAME := $(foreach f,open close read write truncate size sync,-Dhost_$(f)=posix_host_$(f))
**   ASAN_TEST_OBJ := $(filter-out build/asan/host_posix.o,$(ASAN_OBJ)) build/asan/host_posix_shim.o
**
**   build/asan/host_posix_shim.o: src/host/posix/host_posix.c src/core/host.h $(SQLITE_C)
**   	clang $(ASAN_FLAGS) $(INCLUDES) $(WARN) $(SHIM_RENAME) -c $< -o $@
**
** and build/asan/test-native links $(ASAN_TEST_OBJ) instead of $(ASAN_OBJ).
**
** The renaming reaches host.h's declarations in that one object too, so host_posix.c
** compiles unchanged; the other host functions (delete, access, random, time, tzoffset,
** log) keep their names and are not wrapped. The fuzzers, benchmarks and the wasm build
** never see this file.
**
** Memory here comes from malloc, not sqlite3_malloc64: the shim sits below SQLite, and
** a test that injects allocation failures into SQLite must not hit the shim by accident.
*/
#include "faulthost.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite3.h"

/* The POSIX host's file functions under the names the build rule above gives them. */
int posix_host_open(const char *zPath, int nPath, int flags);
int posix_host_close(int h);
int posix_host_read(int h, void *p, int n, double iOff);
int posix_host_write(int h, const void *p, int n, double iOff);
int posix_host_truncate(int h, double iSize);
double posix_host_size(int h);
int posix_host_sync(int h);

/* The host functions this file defines (host.h's names, declared here because the
** build renames them in host.h's declarations of host_posix.c only). */
int host_open(const char *zPath, int nPath, int flags);
int host_close(int h);
int host_read(int h, void *p, int n, double iOff);
int host_write(int h, const void *p, int n, double iOff);
int host_truncate(int h, double iSize);
double host_size(int h);
int host_sync(int h);

#define FAULT_MAX_HANDLE  1024                /* handles (descriptors) the shim tracks */
#define FAULT_MAX_SHADOW  (64*1024*1024)      /* largest file an overlay holds */

typedef struct FaultOp FaultOp;
typedef struct FaultFile FaultFile;

/* One write or truncate waiting in an overlay for its handle's sync. */
struct FaultOp {
  int eOp;                  /* FAULT_WRITE or FAULT_TRUNCATE */
  int64_t iOff;             /* write: the offset; truncate: the new size */
  int n;                    /* write: byte count */
  unsigned char *a;         /* write: a copy of the bytes (malloc'd) */
};

/*
** The shim's view of one handle. The overlay (aShadow != 0) exists from the first write
** or truncate in overlay mode until the handle's next sync or the power loss; while it
** exists, aShadow is the file as the core sees it and aOp the changes the file itself
** has not received yet.
*/
struct FaultFile {
  int bZombie;              /* closed by the core while changes waited: the descriptor
                            ** stays open (so its number is not reused) until the loss */
  unsigned char *aShadow;   /* the file's bytes as reads see them (malloc'd) */
  int64_t nShadow;          /* its size */
  int64_t nShadowAlloc;     /* bytes allocated at aShadow */
  FaultOp *aOp;             /* waiting changes, oldest first (malloc'd) */
  int nOp;                  /* entries used in aOp */
  int nOpAlloc;             /* entries allocated */
};

/* All state of the shim. A test process runs one test, so one global is enough. */
static struct {
  int aCount[FAULT_NKIND];  /* calls per kind since faultReset() ([FAULT_FULL]: writes
                            ** and truncates that grew their file) */
  int eArm;                 /* kind of the armed fault, -1 when none */
  int iArmAt;               /* the fault fires when the kind's counter reaches this */
  int bArmPersist;          /* ... and keeps firing after it */
  int nHit;                 /* calls failed by the armed fault */
  int bNoRealSync;          /* host_sync skips fdatasync (faultRealSync(0)) */
  int bOverlay;             /* overlay mode is on */
  int eCrash;               /* kind of the crash point, -1 when none */
  int iCrashAt;             /* the crash happens when the kind's counter reaches this */
  int bCrashed;             /* the crash point was reached */
  FaultFile aFile[FAULT_MAX_HANDLE];   /* per handle */
} fault = { {0}, -1, 0, 0, 0, 0, 0, -1, 0, 0, {{0}} };

/* Outcomes of faultEnter(). */
#define FAULT_PASS   0      /* perform the call */
#define FAULT_FAIL   1      /* fail it: the armed fault fired */
#define FAULT_DEAD   2      /* fail it: the machine has crashed */

/* 1 if a fault or crash point of kind eWatch applies to a call of kind eKind that grows
** its file (bGrow) or not. */
static int faultMatches(int eWatch, int eKind, int bGrow){
  return eWatch==eKind || eWatch==FAULT_ANY || (eWatch==FAULT_FULL && bGrow);
}

/*
** Counts one call of kind eKind (FAULT_READ..FAULT_SYNC) that grows its file or not
** (bGrow; writes and truncates only), and decides its fate. The crash point wins over
** an armed fault.
*/
static int faultEnter(int eKind, int bGrow){
  int c;
  fault.aCount[eKind]++;
  fault.aCount[FAULT_ANY]++;
  if( bGrow ) fault.aCount[FAULT_FULL]++;
  if( fault.bCrashed ) return FAULT_DEAD;
  if( fault.eCrash>=0 && faultMatches(fault.eCrash, eKind, bGrow)
   && fault.aCount[fault.eCrash]>=fault.iCrashAt ){
    fault.bCrashed = 1;
    return FAULT_DEAD;
  }
  if( fault.eArm<0 || !faultMatches(fault.eArm, eKind, bGrow) ) return FAULT_PASS;
  c = fault.aCount[fault.eArm];
  if( c==fault.iArmAt || (fault.bArmPersist && c>fault.iArmAt) ){
    fault.nHit++;
    return FAULT_FAIL;
  }
  return FAULT_PASS;
}

/* The FaultFile of handle h, or NULL when h is out of the tracked range. */
static FaultFile *faultFile(int h){
  if( h<0 || h>=FAULT_MAX_HANDLE ) return 0;
  return &fault.aFile[h];
}

/* Frees the overlay of pFile (shadow and waiting changes); the file is untouched. */
static void faultDropOverlay(FaultFile *pFile){
  int i;
  for(i=0; i<pFile->nOp; i++) free(pFile->aOp[i].a);
  free(pFile->aOp);
  free(pFile->aShadow);
  pFile->aOp = 0;
  pFile->nOp = pFile->nOpAlloc = 0;
  pFile->aShadow = 0;
  pFile->nShadow = pFile->nShadowAlloc = 0;
}

/* Makes room for nNeed bytes in the shadow of pFile. Returns 0, or -1 (out of memory,
** or larger than the overlay holds). */
static int faultShadowReserve(FaultFile *pFile, int64_t nNeed){
  unsigned char *aNew;
  int64_t nAlloc;
  if( nNeed<=pFile->nShadowAlloc ) return 0;
  if( nNeed>FAULT_MAX_SHADOW ) return -1;
  nAlloc = pFile->nShadowAlloc ? pFile->nShadowAlloc : 4096;
  while( nAlloc<nNeed ) nAlloc *= 2;
  if( nAlloc>FAULT_MAX_SHADOW ) nAlloc = FAULT_MAX_SHADOW;
  aNew = realloc(pFile->aShadow, (size_t)nAlloc);
  if( aNew==0 ) return -1;
  pFile->aShadow = aNew;
  pFile->nShadowAlloc = nAlloc;
  return 0;
}

/*
** Gives handle h an overlay if it has none: the shadow starts as a copy of the file.
** Returns 0, or -1 when the file cannot be read or is too large for an overlay.
*/
static int faultShadowLoad(int h, FaultFile *pFile){
  double rSize;
  int64_t nSize;
  if( pFile->aShadow ) return 0;
  rSize = posix_host_size(h);
  if( rSize<0 ) return -1;
  nSize = (int64_t)rSize;
  if( faultShadowReserve(pFile, nSize>0 ? nSize : 1) ) return -1;
  if( nSize>0 && posix_host_read(h, pFile->aShadow, (int)nSize, 0.0)!=nSize ){
    faultDropOverlay(pFile);
    return -1;
  }
  pFile->nShadow = nSize;
  return 0;
}

/* Sets the shadow's size to nSize, zero-filling growth. Returns 0 or -1. */
static int faultShadowResize(FaultFile *pFile, int64_t nSize){
  if( faultShadowReserve(pFile, nSize>0 ? nSize : 1) ) return -1;
  if( nSize>pFile->nShadow ){
    memset(pFile->aShadow + pFile->nShadow, 0, (size_t)(nSize - pFile->nShadow));
  }
  pFile->nShadow = nSize;
  return 0;
}

/* Appends a waiting change to pFile; a is copied. Returns 0 or -1 (out of memory). */
static int faultOpAdd(FaultFile *pFile, int eOp, int64_t iOff, const void *a, int n){
  FaultOp *pOp;
  if( pFile->nOp>=pFile->nOpAlloc ){
    int nNew = pFile->nOpAlloc ? 2*pFile->nOpAlloc : 16;
    FaultOp *aNew = realloc(pFile->aOp, (size_t)nNew*sizeof(FaultOp));
    if( aNew==0 ) return -1;
    pFile->aOp = aNew;
    pFile->nOpAlloc = nNew;
  }
  pOp = &pFile->aOp[pFile->nOp];
  memset(pOp, 0, sizeof(*pOp));
  pOp->eOp = eOp;
  pOp->iOff = iOff;
  if( eOp==FAULT_WRITE ){
    pOp->a = malloc(n>0 ? (size_t)n : 1);
    if( pOp->a==0 ) return -1;
    if( n>0 ) memcpy(pOp->a, a, (size_t)n);
    pOp->n = n;
  }
  pFile->nOp++;
  return 0;
}

/* Applies one waiting change to the real file of h. Returns 0 or the host's code. */
static int faultOpApply(int h, const FaultOp *pOp){
  if( pOp->eOp==FAULT_WRITE ) return posix_host_write(h, pOp->a, pOp->n, (double)pOp->iOff);
  return posix_host_truncate(h, (double)pOp->iOff);
}

/*
** Applies every waiting change of h to its file, in order, and drops the overlay.
** Returns 0, or the first failing host code (the overlay is dropped regardless).
*/
static int faultFlush(int h, FaultFile *pFile){
  int rc = 0;
  int i;
  for(i=0; i<pFile->nOp && rc==0; i++){
    rc = faultOpApply(h, &pFile->aOp[i]);
  }
  faultDropOverlay(pFile);
  return rc;
}

/* Writes n bytes of p at iOff: into the overlay in overlay mode, else to the file. */
static int faultStore(int h, const void *p, int n, double iOff){
  FaultFile *pFile = faultFile(h);
  int64_t iEnd;
  if( !fault.bOverlay || pFile==0 ) return posix_host_write(h, p, n, iOff);
  if( n<0 || (p==0 && n>0) || !(iOff>=0.0) ) return -SQLITE_IOERR_WRITE;
  iEnd = (int64_t)iOff + n;
  if( faultShadowLoad(h, pFile) ) return -SQLITE_IOERR_WRITE;
  if( iEnd>pFile->nShadow && faultShadowResize(pFile, iEnd) ) return -SQLITE_IOERR_WRITE;
  if( faultOpAdd(pFile, FAULT_WRITE, (int64_t)iOff, p, n) ) return -SQLITE_IOERR_WRITE;
  if( n>0 ) memcpy(pFile->aShadow + (int64_t)iOff, p, (size_t)n);
  return 0;
}

/* host_open: opens through the POSIX host; the handle starts with a clean state.
** A descriptor beyond the tracked range is refused with -SQLITE_CANTOPEN. */
int host_open(const char *zPath, int nPath, int flags){
  int h = posix_host_open(zPath, nPath, flags);
  FaultFile *pFile;
  if( h<0 ) return h;
  pFile = faultFile(h);
  if( pFile==0 ){
    posix_host_close(h);
    return -SQLITE_CANTOPEN;
  }
  faultDropOverlay(pFile);
  pFile->bZombie = 0;
  return h;
}

/* host_close: closes h, unless changes of h still wait for a sync in overlay mode: then
** the descriptor stays open until faultPowerLoss() decides their fate. */
int host_close(int h){
  FaultFile *pFile = faultFile(h);
  if( pFile && pFile->nOp>0 ){
    pFile->bZombie = 1;
    return 0;
  }
  if( pFile ) faultDropOverlay(pFile);
  return posix_host_close(h);
}

/* The size of h as the core sees it (the overlay's when h has one), or -1. */
static int64_t faultSizeOf(int h){
  FaultFile *pFile = faultFile(h);
  double r;
  if( pFile && pFile->aShadow ) return pFile->nShadow;
  r = posix_host_size(h);
  return r<0 ? -1 : (int64_t)r;
}

/* host_read: fails when a fault or the crash says so; reads the overlay when h has one. */
int host_read(int h, void *p, int n, double iOff){
  FaultFile *pFile;
  int64_t iStart, nAvail;
  if( faultEnter(FAULT_READ, 0)!=FAULT_PASS ) return -SQLITE_IOERR_READ;
  pFile = faultFile(h);
  if( pFile==0 || pFile->aShadow==0 ) return posix_host_read(h, p, n, iOff);
  if( n<0 || (p==0 && n>0) || !(iOff>=0.0) ) return -SQLITE_IOERR_READ;
  iStart = (int64_t)iOff;
  nAvail = iStart<pFile->nShadow ? pFile->nShadow - iStart : 0;
  if( nAvail>n ) nAvail = n;
  if( nAvail>0 ) memcpy(p, pFile->aShadow + iStart, (size_t)nAvail);
  return (int)nAvail;
}

/*
** host_write: fails when a fault or the crash says so; writes into the overlay in
** overlay mode. A FULL fault stores what a full storage would still take: the bytes
** inside the file's current size and half of those beyond it.
*/
int host_write(int h, const void *p, int n, double iOff){
  int64_t iSize = faultSizeOf(h);
  int bGrow = n>0 && iSize>=0 && iOff+n>(double)iSize;
  int eFate = faultEnter(FAULT_WRITE, bGrow);
  if( eFate==FAULT_DEAD ) return -SQLITE_IOERR_WRITE;
  if( eFate==FAULT_FAIL ){
    if( fault.eArm==FAULT_FULL ){
      int64_t nInside = iSize>(int64_t)iOff ? iSize - (int64_t)iOff : 0;
      int nKeep = (int)(nInside + (n - nInside)/2);
      if( nKeep>0 ) faultStore(h, p, nKeep, iOff);
      return -SQLITE_FULL;
    }
    return -SQLITE_IOERR_WRITE;
  }
  return faultStore(h, p, n, iOff);
}

/* host_truncate: fails when a fault or the crash says so (a FULL fault fails only a
** truncate that grows the file, and changes nothing); in overlay mode the new size waits
** for the sync like a write. */
int host_truncate(int h, double iSize){
  FaultFile *pFile;
  int64_t iOld = faultSizeOf(h);
  int eFate = faultEnter(FAULT_TRUNCATE, iOld>=0 && iSize>(double)iOld);
  if( eFate==FAULT_FAIL && fault.eArm==FAULT_FULL ) return -SQLITE_FULL;
  if( eFate!=FAULT_PASS ) return -SQLITE_IOERR_TRUNCATE;
  pFile = faultFile(h);
  if( !fault.bOverlay || pFile==0 ) return posix_host_truncate(h, iSize);
  if( !(iSize>=0.0) ) return -SQLITE_IOERR_TRUNCATE;
  if( faultShadowLoad(h, pFile) ) return -SQLITE_IOERR_TRUNCATE;
  if( faultShadowResize(pFile, (int64_t)iSize) ) return -SQLITE_IOERR_TRUNCATE;
  if( faultOpAdd(pFile, FAULT_TRUNCATE, (int64_t)iSize, 0, 0) ) return -SQLITE_IOERR_TRUNCATE;
  return 0;
}

/* host_size: the overlay's size when h has one. Fails only after the crash (size calls
** are not counted and take no fault). */
double host_size(int h){
  FaultFile *pFile;
  if( fault.bCrashed ) return -(double)SQLITE_IOERR_FSTAT;
  pFile = faultFile(h);
  if( pFile && pFile->aShadow ) return (double)pFile->nShadow;
  return posix_host_size(h);
}

/* host_sync: fails when a fault or the crash says so; otherwise the overlay of h reaches
** the file and, unless real syncs are off, the disk. */
int host_sync(int h){
  FaultFile *pFile;
  if( faultEnter(FAULT_SYNC, 0)!=FAULT_PASS ) return -SQLITE_IOERR_FSYNC;
  pFile = faultFile(h);
  if( pFile && pFile->aShadow && faultFlush(h, pFile)!=0 ) return -SQLITE_IOERR_FSYNC;
  if( fault.bNoRealSync ) return 0;
  return posix_host_sync(h);
}

/* faultReset: see faulthost.h. */
void faultReset(void){
  faultPowerLoss(FAULT_LOSS_KEEP, 0);
  memset(fault.aCount, 0, sizeof(fault.aCount));
  fault.nHit = 0;
  fault.bNoRealSync = 0;
}

/* faultCount: see faulthost.h. */
int faultCount(int eKind){
  if( eKind<0 || eKind>=FAULT_NKIND ) return -1;
  return fault.aCount[eKind];
}

/* faultArm: see faulthost.h. */
void faultArm(int eKind, int iNth, int bPersist){
  if( eKind<0 || eKind>=FAULT_NKIND || iNth<1 ){
    faultDisarm();
    return;
  }
  fault.eArm = eKind;
  fault.iArmAt = fault.aCount[eKind] + iNth;
  fault.bArmPersist = bPersist;
}

/* faultDisarm: see faulthost.h. */
void faultDisarm(void){
  fault.eArm = -1;
  fault.iArmAt = 0;
  fault.bArmPersist = 0;
}

/* faultHits: see faulthost.h. */
int faultHits(void){
  return fault.nHit;
}

/* faultRealSync: see faulthost.h. */
void faultRealSync(int bOn){
  fault.bNoRealSync = !bOn;
}

/* faultOverlayBegin: see faulthost.h. */
void faultOverlayBegin(void){
  fault.bOverlay = 1;
}

/* faultCrashAt: see faulthost.h. */
void faultCrashAt(int eKind, int iNth){
  if( eKind<0 || eKind>=FAULT_NKIND || iNth<1 ){
    fault.eCrash = -1;
    return;
  }
  fault.eCrash = eKind;
  fault.iCrashAt = fault.aCount[eKind] + iNth;
}

/* faultCrashNow: see faulthost.h. */
void faultCrashNow(void){
  fault.bCrashed = 1;
}

/* faultCrashed: see faulthost.h. */
int faultCrashed(void){
  return fault.bCrashed;
}

/* One step of xorshift32 on *pState (never 0). */
static unsigned int faultRandom(unsigned int *pState){
  unsigned int x = *pState;
  x ^= x<<13;
  x ^= x>>17;
  x ^= x<<5;
  *pState = x;
  return x;
}

/* faultPowerLoss: see faulthost.h. */
int faultPowerLoss(int eLoss, unsigned int iSeed){
  unsigned int iState = iSeed ? iSeed : 0x9e3779b9u;
  int rc = 0;
  int h;
  for(h=0; h<FAULT_MAX_HANDLE; h++){
    FaultFile *pFile = &fault.aFile[h];
    int i;
    for(i=0; i<pFile->nOp; i++){
      int eOp = pFile->aOp[i].eOp;
      int bKeep = eLoss==FAULT_LOSS_KEEP
               || (eLoss==FAULT_LOSS_RANDOM && (faultRandom(&iState)>>7 & 1))
               || (eLoss==FAULT_LOSS_DATA && eOp==FAULT_WRITE)
               || (eLoss==FAULT_LOSS_SIZE && eOp==FAULT_TRUNCATE);
      if( bKeep && faultOpApply(h, &pFile->aOp[i])!=0 ) rc = -1;
    }
    faultDropOverlay(pFile);
    if( pFile->bZombie ){
      posix_host_close(h);
      pFile->bZombie = 0;
    }
  }
  fault.bOverlay = 0;
  fault.eCrash = -1;
  fault.iCrashAt = 0;
  fault.bCrashed = 0;
  faultDisarm();
  return rc;
}

/* faultPending: see faulthost.h. */
int faultPending(void){
  int n = 0;
  int h;
  for(h=0; h<FAULT_MAX_HANDLE; h++) n += fault.aFile[h].nOp;
  return n;
}
