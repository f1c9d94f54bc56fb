/*
** host_posix.c — the host functions of src/core/host.h on POSIX (Linux first).
**
** This is the native host: native unit tests, fuzzers and the "native SQLite" baseline of
** the benchmarks link the core against it. Every file operation is the plain system call
** (open, pread, pwrite, ftruncate, fstat, fdatasync, unlink, access), so a benchmark
** against it measures SQLite with a real flush to stable storage.
**
** A handle is the file descriptor itself: non-negative, small, and owned by the core until
** host_close(). Paths arrive as (pointer, length) without a terminator and are copied into
** a bounded local buffer before they reach the kernel.
**
** What this file does not do:
** - No locking. The core runs one connection per database in one thread; two processes
**   sharing a file through this host would corrupt it.
** - No directory fsync after a file is created or deleted. host.h has no call for it, so
**   a crash right after a journal is created may lose the journal's directory entry; the
**   browser and Node hosts have the same contract.
** - No fault injection; tests that need failing I/O wrap these functions elsewhere.
*/
#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1          /* tm_gmtoff, getrandom, O_CLOEXEC, fdatasync */
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "sqlite3.h"
#include "../../core/host.h"
#include "../../core/proto.h"

#ifndef PATH_MAX
# define PATH_MAX 4096
#endif

/* Largest file offset a double carries exactly (2^53); larger offsets are refused
** rather than rounded to a neighbouring byte. */
#define POSIX_MAX_OFFSET 9007199254740992.0

/*
** Copies the path zPath[0..nPath) into zOut (PATH_MAX bytes) with a terminator.
** Returns 0, or 1 when the path is empty, longer than PATH_MAX - 1 bytes, or holds a NUL
** byte (the kernel would silently cut it there and open another file).
*/
static int posixPath(const char *zPath, int nPath, char *zOut){
  if( zPath==0 || nPath<=0 || nPath>=PATH_MAX ) return 1;
  if( memchr(zPath, 0, (size_t)nPath)!=0 ) return 1;
  memcpy(zOut, zPath, (size_t)nPath);
  zOut[nPath] = 0;
  return 0;
}

/*
** Converts the double iOff into *piOut. Returns 0, or 1 when iOff is negative, not an
** integer, not finite, or beyond 2^53 (the host.h contract) or off_t.
*/
static int posixOffset(double iOff, off_t *piOut){
  if( !(iOff>=0.0) || iOff>POSIX_MAX_OFFSET || iOff!=floor(iOff) ) return 1;
  if( sizeof(off_t)<8 && iOff>2147483647.0 ) return 1;
  *piOut = (off_t)iOff;
  return 0;
}

/*
** host_open: opens zPath[0..nPath) with SQLite's open flags mapped to open(2) flags.
** READWRITE gives O_RDWR (else O_RDONLY), CREATE gives O_CREAT, EXCLUSIVE with CREATE
** gives O_EXCL. New files get mode 0644 (before the umask).
** Returns the descriptor, or -SQLITE_CANTOPEN (bad path, missing file, any other
** failure), -SQLITE_PERM (EACCES/EPERM) or -SQLITE_READONLY (EROFS while asking to write).
*/
int host_open(const char *zPath, int nPath, int flags){
  char zName[PATH_MAX];
  int oflags = O_CLOEXEC;
  int fd;

  if( posixPath(zPath, nPath, zName) ) return -SQLITE_CANTOPEN;
  oflags |= (flags & SQLITE_OPEN_READWRITE) ? O_RDWR : O_RDONLY;
  if( flags & SQLITE_OPEN_CREATE ){
    oflags |= O_CREAT;
    if( flags & SQLITE_OPEN_EXCLUSIVE ) oflags |= O_EXCL;
  }
  do{
    fd = open(zName, oflags, 0644);
  }while( fd<0 && errno==EINTR );
  if( fd>=0 ) return fd;
  switch( errno ){
    case EACCES:
    case EPERM:
      return -SQLITE_PERM;
    case EROFS:
      return (flags & SQLITE_OPEN_READWRITE) ? -SQLITE_READONLY : -SQLITE_CANTOPEN;
    default:
      return -SQLITE_CANTOPEN;
  }
}

/*
** host_close: closes the descriptor h. The descriptor is released even when close(2)
** reports an error, so EINTR is not retried (on Linux a retry could close a descriptor
** another open just reused). Returns 0 or -SQLITE_IOERR_CLOSE.
*/
int host_close(int h){
  if( h<0 ) return -SQLITE_IOERR_CLOSE;
  if( close(h)!=0 && errno!=EINTR ) return -SQLITE_IOERR_CLOSE;
  return 0;
}

/*
** host_read: reads up to n bytes at iOff into p, looping over short reads and EINTR so
** that only the end of the file makes the count short. p belongs to the caller.
** Returns the number of bytes read (0..n), or -SQLITE_IOERR_READ.
*/
int host_read(int h, void *p, int n, double iOff){
  off_t iPos;
  int nDone = 0;

  if( h<0 || n<0 || (p==0 && n>0) || posixOffset(iOff, &iPos) ){
    return -SQLITE_IOERR_READ;
  }
  while( nDone<n ){
    ssize_t got = pread(h, (char*)p + nDone, (size_t)(n - nDone), iPos + nDone);
    if( got<0 ){
      if( errno==EINTR ) continue;
      return -SQLITE_IOERR_READ;
    }
    if( got==0 ) break;   /* end of file */
    nDone += (int)got;
  }
  return nDone;
}

/*
** host_write: writes all n bytes of p at iOff, looping over short writes and EINTR.
** p belongs to the caller. Returns 0, -SQLITE_FULL when the disk or the quota is
** exhausted (the file may then hold part of the data, which SQLite's journal covers),
** or -SQLITE_IOERR_WRITE.
*/
int host_write(int h, const void *p, int n, double iOff){
  off_t iPos;
  int nDone = 0;

  if( h<0 || n<0 || (p==0 && n>0) || posixOffset(iOff, &iPos) ){
    return -SQLITE_IOERR_WRITE;
  }
  while( nDone<n ){
    ssize_t put = pwrite(h, (const char*)p + nDone, (size_t)(n - nDone), iPos + nDone);
    if( put<0 ){
      if( errno==EINTR ) continue;
      if( errno==ENOSPC || errno==EDQUOT || errno==EFBIG ) return -SQLITE_FULL;
      return -SQLITE_IOERR_WRITE;
    }
    if( put==0 ) return -SQLITE_FULL;   /* no progress and no error: nothing fits */
    nDone += (int)put;
  }
  return 0;
}

/*
** host_truncate: sets the size of h to iSize bytes (shrinking or growing with zeros).
** Returns 0, -SQLITE_FULL when growing fails for lack of space, or -SQLITE_IOERR_TRUNCATE.
*/
int host_truncate(int h, double iSize){
  off_t iLen;
  int rc;

  if( h<0 || posixOffset(iSize, &iLen) ) return -SQLITE_IOERR_TRUNCATE;
  do{
    rc = ftruncate(h, iLen);
  }while( rc!=0 && errno==EINTR );
  if( rc==0 ) return 0;
  if( errno==ENOSPC || errno==EDQUOT || errno==EFBIG ) return -SQLITE_FULL;
  return -SQLITE_IOERR_TRUNCATE;
}

/*
** host_size: returns the size of h in bytes, or -SQLITE_IOERR_FSTAT.
*/
double host_size(int h){
  struct stat st;
  if( h<0 || fstat(h, &st)!=0 ) return -(double)SQLITE_IOERR_FSTAT;
  return (double)st.st_size;
}

/*
** host_sync: flushes the data of h (and the metadata needed to read it back, such as the
** size) to stable storage with fdatasync(2). This is the real flush the benchmarks'
** native baseline pays for. Returns 0 or -SQLITE_IOERR_FSYNC.
*/
int host_sync(int h){
  int rc;
  if( h<0 ) return -SQLITE_IOERR_FSYNC;
  do{
    rc = fdatasync(h);
  }while( rc!=0 && errno==EINTR );
  return rc==0 ? 0 : -SQLITE_IOERR_FSYNC;
}

/*
** host_delete: removes the file zPath[0..nPath).
** Returns 0, -SQLITE_IOERR_DELETE_NOENT when there is no such file (SQLite treats that
** as success when deleting a journal), or -SQLITE_IOERR_DELETE.
*/
int host_delete(const char *zPath, int nPath){
  char zName[PATH_MAX];
  if( posixPath(zPath, nPath, zName) ) return -SQLITE_IOERR_DELETE;
  if( unlink(zName)==0 ) return 0;
  if( errno==ENOENT ) return -SQLITE_IOERR_DELETE_NOENT;
  return -SQLITE_IOERR_DELETE;
}

/*
** host_access: tells whether the file zPath[0..nPath) exists.
** Returns 1 if it does, 0 if it does not (ENOENT, or a path component that is not a
** directory), or -SQLITE_IOERR_ACCESS when the question cannot be answered.
*/
int host_access(const char *zPath, int nPath){
  char zName[PATH_MAX];
  if( posixPath(zPath, nPath, zName) ) return -SQLITE_IOERR_ACCESS;
  if( access(zName, F_OK)==0 ) return 1;
  if( errno==ENOENT || errno==ENOTDIR ) return 0;
  return -SQLITE_IOERR_ACCESS;
}

/*
** Fills p[0..n) from /dev/urandom, for kernels without getrandom(2).
** Returns the number of bytes filled (n unless the device is unusable).
*/
static int posixUrandom(unsigned char *p, int n){
  int nDone = 0;
  int fd;
  do{
    fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  }while( fd<0 && errno==EINTR );
  if( fd<0 ) return 0;
  while( nDone<n ){
    ssize_t got = read(fd, p + nDone, (size_t)(n - nDone));
    if( got<0 && errno==EINTR ) continue;
    if( got<=0 ) break;
    nDone += (int)got;
  }
  close(fd);
  return nDone;
}

/*
** host_random: fills p[0..n) (owned by the caller) with random bytes from getrandom(2),
** which returns at most 32 MiB per call and may be interrupted, hence the loop. If the
** kernel has no getrandom, /dev/urandom is read instead. host.h gives this function no
** way to fail, so if both sources are unusable the bytes left are filled from the clock
** and the process id and a warning is logged: SQLite uses randomness for temporary names
** and rowids, not for secrets.
*/
void host_random(void *p, int n){
  unsigned char *a = (unsigned char*)p;
  int nDone = 0;

  if( a==0 || n<=0 ) return;
  while( nDone<n ){
    ssize_t got = getrandom(a + nDone, (size_t)(n - nDone), 0);
    if( got<0 ){
      if( errno==EINTR ) continue;
      break;
    }
    nDone += (int)got;
  }
  if( nDone<n ){
    nDone += posixUrandom(a + nDone, n - nDone);
  }
  if( nDone<n ){
    struct timespec ts;
    uint64_t x;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    x = ((uint64_t)ts.tv_sec<<32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid()<<16);
    static const char zMsg[] = "no source of random bytes: using the clock";
    host_log(1, zMsg, (int)sizeof(zMsg)-1);
    for(; nDone<n; nDone++){
      /* splitmix64 step: spreads the few bits of entropy over every byte */
      uint64_t z;
      x += 0x9e3779b97f4a7c15ULL;
      z = x;
      z = (z ^ (z>>30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z>>27)) * 0x94d049bb133111ebULL;
      a[nDone] = (unsigned char)(z ^ (z>>31));
    }
  }
}

/*
** host_time: returns the wall-clock time in milliseconds since 1970-01-01 00:00:00 UTC,
** with the sub-millisecond part as the fraction.
*/
double host_time(void){
  struct timespec ts;
  if( clock_gettime(CLOCK_REALTIME, &ts)!=0 ) return 0.0;
  return (double)ts.tv_sec*1000.0 + (double)ts.tv_nsec/1.0e6;
}

/*
** host_tzoffset: returns the minutes to add to UTC to get the local time (per the TZ
** environment variable and the system's zone files) at the instant iMs, in ms since
** 1970. Returns 0 when the instant cannot be converted.
*/
int host_tzoffset(double iMs){
  struct tm tmLocal;
  double rSec;
  time_t t;

  if( !(iMs==iMs) ) return 0;   /* NaN */
  rSec = floor(iMs/1000.0);
  /* time_t is 64-bit here; beyond about ±2.9e11 years localtime_r fails anyway */
  if( rSec<-9.0e15 || rSec>9.0e15 ) return 0;
  t = (time_t)rSec;
  if( localtime_r(&t, &tmLocal)==0 ) return 0;
  return (int)(tmLocal.tm_gmtoff/60);
}

/*
** Returns 1 when debug logging was asked for with a non-empty SQLW_DEBUG environment
** variable. Read once: the environment does not change under a running test.
*/
static int posixDebugOn(void){
  static int bDebug = -1;
  if( bDebug<0 ){
    const char *z = getenv("SQLW_DEBUG");
    bDebug = (z!=0 && z[0]!=0 && strcmp(z, "0")!=0) ? 1 : 0;
  }
  return bDebug;
}

/* host_busy: nothing to tell a native caller (it can watch its own requests). */
void host_busy(const unsigned char *aTag, int nTag){
  (void)aTag;
  (void)nTag;
}

/*
** host_math: the math function eOp (SQLW_MATH_*) of x (and y), from the C library. The
** core calls it only in its wasm build (src/core/hostmath.c); here it completes host.h.
** Returns NaN for an unknown eOp.
*/
double host_math(int eOp, double x, double y){
  switch( eOp ){
    case SQLW_MATH_ACOS:  return acos(x);
    case SQLW_MATH_ASIN:  return asin(x);
    case SQLW_MATH_ATAN:  return atan(x);
    case SQLW_MATH_ATAN2: return atan2(x, y);
    case SQLW_MATH_ACOSH: return acosh(x);
    case SQLW_MATH_ASINH: return asinh(x);
    case SQLW_MATH_ATANH: return atanh(x);
    case SQLW_MATH_COS:   return cos(x);
    case SQLW_MATH_SIN:   return sin(x);
    case SQLW_MATH_TAN:   return tan(x);
    case SQLW_MATH_COSH:  return cosh(x);
    case SQLW_MATH_SINH:  return sinh(x);
    case SQLW_MATH_TANH:  return tanh(x);
    case SQLW_MATH_EXP:   return exp(x);
    case SQLW_MATH_LOG:   return log(x);
    case SQLW_MATH_LOG10: return log10(x);
    case SQLW_MATH_LOG2:  return log2(x);
    case SQLW_MATH_POW:   return pow(x, y);
    case SQLW_MATH_FMOD:  return fmod(x, y);
  }
  return NAN;
}

/*
** host_log: writes the line z[0..n) (owned by the caller) to stderr as
** "sqlite-worker: <level>: <text>". Errors (0) and warnings (1) always appear; debug lines
** (2 and above) only when SQLW_DEBUG is set, so test output stays readable.
*/
void host_log(int level, const char *z, int n){
  static const char *azLevel[] = { "error", "warning", "debug" };
  if( z==0 || n<0 ) n = 0;
  if( level<0 ) level = 0;
  if( level>=2 ){
    if( !posixDebugOn() ) return;
    level = 2;
  }
  /* One fprintf per line: stderr is unbuffered, and a line written in pieces could be
  ** split by the test harness's own output. */
  fprintf(stderr, "sqlite-worker: %s: %.*s\n", azLevel[level], n, z ? z : "");
}
