/*
** harness.c — the registry, the checks and main() of the native test binary.
** See harness.h for how tests are written.
**
** The registry is a fixed array filled by constructors before main(), so registering
** allocates nothing and cannot fail halfway. Output goes to stdout, one line per test,
** failures indented under their test; the last line is always "N passed, M failed"
** (build scripts read it).
**
** Each test runs in a child process of its own, so a test that crashes, hangs or leaks
** (the sanitizer build checks for leaks when the child exits) fails alone and the others
** still run: an engine bug shows up as one failed test, not as a truncated report. A
** child gets SQLW_TEST_TIMEOUT seconds (default 60). With SQLW_TEST_NOFORK set, tests run
** in this process instead (for a debugger); then a timeout ends the whole run.
*/
#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1          /* sigaction, alarm under a strict -std */
#endif
#include "harness.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define HARNESS_MAX_TEST   1000   /* tests in the binary */
#define HARNESS_MAX_DEFER  64     /* cleanups registered by one test */
#define HARNESS_WALL_FACTOR 10    /* a test may wait this many times its CPU bound */
#define HARNESS_EXIT_FAIL  3      /* a child's exit code after failed checks (ASan uses 1,
                                  ** LeakSanitizer 23) */

/* One registered test. */
typedef struct HarnessEntry HarnessEntry;
struct HarnessEntry {
  const char *zName;      /* "feature-NNN phrase", static storage */
  HarnessTest xTest;      /* the test body */
};

/* One cleanup registered with harnessDefer(). */
typedef struct HarnessDefer HarnessDefer;
struct HarnessDefer {
  void (*x)(void*);       /* the cleanup */
  void *p;                /* its argument */
};

static HarnessEntry aTest[HARNESS_MAX_TEST];   /* registered tests, in no order */
static int nTest = 0;                           /* entries used in aTest */
static int bTooMany = 0;                        /* a registration did not fit */

static HarnessDefer aDefer[HARNESS_MAX_DEFER];  /* cleanups of the running test */
static int nDefer = 0;                          /* entries used in aDefer */

static const char *zCurrent = 0;   /* name of the running test, 0 outside tests */
static int nFailCheck = 0;         /* failed checks in the running test */
static int nPass = 0;              /* tests passed so far */
static int nFail = 0;              /* tests failed so far */
static unsigned nTimeout = 60;     /* seconds of CPU a test may use */

/*
** harnessAdd: appends a test to the registry. zName must be static storage.
** A registry overflow is remembered and reported by main() as a failure.
*/
void harnessAdd(const char *zName, HarnessTest xTest){
  if( nTest>=HARNESS_MAX_TEST ){
    bTooMany = 1;
    return;
  }
  aTest[nTest].zName = zName;
  aTest[nTest].xTest = xTest;
  nTest++;
}

/*
** harnessDefer: registers x(p) to run when the current test ends. If the table is full
** the cleanup runs at once (and a failure is recorded) rather than being lost.
*/
void harnessDefer(void (*x)(void*), void *p){
  if( nDefer>=HARNESS_MAX_DEFER ){
    FAIL("too many deferred cleanups in one test");
    x(p);
    return;
  }
  aDefer[nDefer].x = x;
  aDefer[nDefer].p = p;
  nDefer++;
}

/*
** harnessFail: prints "  FAIL file:line: message" and counts the failure against the
** running test. Returns 0.
*/
int harnessFail(const char *zFile, int iLine, const char *zFmt, ...){
  va_list ap;
  const char *zBase = strrchr(zFile, '/');
  printf("  FAIL %s:%d: ", zBase ? zBase+1 : zFile, iLine);
  va_start(ap, zFmt);
  vprintf(zFmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
  nFailCheck++;
  return 0;
}

/* harnessCheck: the CHECK() macro. Returns b. */
int harnessCheck(int b, const char *zExpr, const char *zFile, int iLine){
  if( b ) return 1;
  return harnessFail(zFile, iLine, "CHECK(%s)", zExpr);
}

/* harnessCheckInt: the CHECK_INT() macro. Returns 1 if a==b. */
int harnessCheckInt(int64_t a, int64_t b, const char *zA, const char *zB,
                    const char *zFile, int iLine){
  if( a==b ) return 1;
  return harnessFail(zFile, iLine, "%s == %s: got %" PRId64 ", expected %" PRId64,
                     zA, zB, a, b);
}

/* harnessCheckStr: the CHECK_STR() macro; NULL equals only NULL. Returns 1 if equal. */
int harnessCheckStr(const char *a, const char *b, const char *zA, const char *zB,
                    const char *zFile, int iLine){
  if( a==b || (a && b && strcmp(a, b)==0) ) return 1;
  return harnessFail(zFile, iLine, "%s == %s: got \"%s\", expected \"%s\"",
                     zA, zB, a ? a : "(null)", b ? b : "(null)");
}

/*
** harnessCheckMem: the CHECK_MEM() macro. Returns 1 if a[0..na) equals b[0..nb).
** On a mismatch the message gives the first differing offset rather than the bytes,
** which may be a megabyte long.
*/
int harnessCheckMem(const void *a, size_t na, const void *b, size_t nb,
                    const char *zA, const char *zB, const char *zFile, int iLine){
  size_t i;
  const unsigned char *pa = (const unsigned char*)a;
  const unsigned char *pb = (const unsigned char*)b;
  if( na!=nb ){
    return harnessFail(zFile, iLine, "%s == %s: %zu bytes, expected %zu",
                       zA, zB, na, nb);
  }
  if( na==0 ) return 1;
  if( pa==0 || pb==0 ){
    return harnessFail(zFile, iLine, "%s == %s: NULL pointer for %zu bytes", zA, zB, na);
  }
  for(i=0; i<na && pa[i]==pb[i]; i++){}
  if( i==na ) return 1;
  return harnessFail(zFile, iLine, "%s == %s: byte %zu is 0x%02x, expected 0x%02x",
                     zA, zB, i, pa[i], pb[i]);
}

/*
** Orders test names: the feature prefix as text, then the case number as a number (so
** "exec-90" runs before "exec-100"), then the rest as text.
*/
static int harnessCompare(const void *pA, const void *pB){
  const char *zA = ((const HarnessEntry*)pA)->zName;
  const char *zB = ((const HarnessEntry*)pB)->zName;
  while( *zA && *zB ){
    if( isdigit((unsigned char)*zA) && isdigit((unsigned char)*zB) ){
      char *zEndA, *zEndB;
      unsigned long long iA = strtoull(zA, &zEndA, 10);
      unsigned long long iB = strtoull(zB, &zEndB, 10);
      if( iA!=iB ) return iA<iB ? -1 : 1;
      zA = zEndA;
      zB = zEndB;
      continue;
    }
    if( *zA!=*zB ) return (unsigned char)*zA<(unsigned char)*zB ? -1 : 1;
    zA++;
    zB++;
  }
  return (unsigned char)*zA - (unsigned char)*zB;
}

/* Appends the decimal digits of v to z at *pi (for the signal handler: no printf). */
static void harnessPutUint(char *z, size_t *pi, unsigned v){
  char aDigit[12];
  int n = 0;
  do{
    aDigit[n++] = (char)('0' + v%10);
    v /= 10;
  }while( v );
  while( n>0 ) z[(*pi)++] = aDigit[--n];
}

/* Appends the string zIn to z at *pi, keeping room for the count line. */
static void harnessPutStr(char *z, size_t *pi, const char *zIn, size_t nMax){
  while( *zIn && *pi<nMax ) z[(*pi)++] = *zIn++;
}

/*
** SIGALRM handler of the in-process mode: the running test took longer than nTimeout
** seconds. Writes its
** failure and the count line with write(2) (async-signal-safe) and exits with 1.
*/
static void harnessOnAlarm(int iSig){
  char z[600];
  size_t i = 0;
  (void)iSig;
  harnessPutStr(z, &i, "FAIL ", 400);
  harnessPutStr(z, &i, zCurrent ? zCurrent : "(between tests)", 400);
  harnessPutStr(z, &i, " (timed out after ", 450);
  harnessPutUint(z, &i, nTimeout);
  harnessPutStr(z, &i, " s; the remaining tests did not run)\n", 520);
  harnessPutUint(z, &i, (unsigned)nPass);
  harnessPutStr(z, &i, " passed, ", 560);
  harnessPutUint(z, &i, (unsigned)nFail + 1);
  harnessPutStr(z, &i, " failed\n", 590);
  if( write(1, z, i)<0 ){ /* nothing more can be done in a signal handler */ }
  _exit(1);
}

/* Installs the in-process alarm handler and reads SQLW_TEST_TIMEOUT (seconds; 0
** disables the timeout). */
static void harnessWatchdog(void){
  struct sigaction sa;
  const char *z = getenv("SQLW_TEST_TIMEOUT");
  if( z && z[0] ) nTimeout = (unsigned)strtoul(z, 0, 10);
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = harnessOnAlarm;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, 0);
}

/* Runs the cleanups of the test that just ended, latest first. */
static void harnessRunDefers(void){
  while( nDefer>0 ){
    nDefer--;
    aDefer[nDefer].x(aDefer[nDefer].p);
  }
}

/*
** Runs test i in this process. Returns 1 if every check held, else 0 (after printing the
** FAIL line). Prints nothing on success: the caller prints the "ok" line.
*/
static int harnessRunHere(int i){
  zCurrent = aTest[i].zName;
  nFailCheck = 0;
  aTest[i].xTest();
  harnessRunDefers();
  if( nFailCheck==0 ) return 1;
  printf("FAIL %s (%d failed check%s)\n", zCurrent, nFailCheck,
         nFailCheck==1 ? "" : "s");
  return 0;
}

/*
** Runs test i in a child process and waits for it. Returns 1 if it passed, else 0 after
** a FAIL line says why (failed checks, a sanitizer report on stderr, a signal, or the
** timeout). Falls back to running in this process when fork() fails.
*/
static int harnessRunChild(int i){
  pid_t pid;
  int status = 0;
  fflush(stdout);
  fflush(stderr);
  pid = fork();
  if( pid<0 ) return harnessRunHere(i);
  if( pid==0 ){
    /* The bound is on CPU time, so a test's outcome does not depend on how busy the
    ** machine is; a test blocked without using CPU is stopped by the far wall clock. */
    struct rlimit lim;
    lim.rlim_cur = nTimeout;
    lim.rlim_max = nTimeout + 10;
    setrlimit(RLIMIT_CPU, &lim);
    signal(SIGXCPU, SIG_DFL);
    signal(SIGALRM, SIG_DFL);
    alarm(nTimeout*HARNESS_WALL_FACTOR);
    /* exit(), not _exit(): LeakSanitizer checks this test's leaks at exit */
    exit(harnessRunHere(i) ? 0 : HARNESS_EXIT_FAIL);
  }
  while( waitpid(pid, &status, 0)<0 ){
    /* EINTR: keep waiting; anything else means the child is gone */
    if( errno!=EINTR ){
      printf("FAIL %s (lost the test process)\n", aTest[i].zName);
      return 0;
    }
  }
  if( WIFEXITED(status) ){
    int iCode = WEXITSTATUS(status);
    if( iCode==0 ) return 1;
    if( iCode!=HARNESS_EXIT_FAIL ){
      printf("FAIL %s (exit code %d: a sanitizer report is on stderr)\n",
             aTest[i].zName, iCode);
    }
    return 0;
  }
  if( WIFSIGNALED(status) && (WTERMSIG(status)==SIGXCPU || WTERMSIG(status)==SIGKILL) ){
    printf("FAIL %s (used more than %u s of CPU)\n", aTest[i].zName, nTimeout);
  }else if( WIFSIGNALED(status) && WTERMSIG(status)==SIGALRM ){
    printf("FAIL %s (blocked for %u s)\n", aTest[i].zName, nTimeout*HARNESS_WALL_FACTOR);
  }else{
    printf("FAIL %s (killed by signal %d)\n", aTest[i].zName,
           WIFSIGNALED(status) ? WTERMSIG(status) : -1);
  }
  return 0;
}

/*
** Runs every test, or those whose name contains argv[1]. Prints one line per test and
** then "N passed, M failed" as the last line. Exits 0 only when no test failed.
*/
int main(int argc, char **argv){
  const char *zFilter = argc>1 ? argv[1] : 0;
  const char *zNoFork = getenv("SQLW_TEST_NOFORK");
  int bFork = !(zNoFork && zNoFork[0]);
  int i;

  setvbuf(stdout, 0, _IOLBF, 0);
  harnessWatchdog();
  qsort(aTest, (size_t)nTest, sizeof(aTest[0]), harnessCompare);
  for(i=0; i<nTest; i++){
    int bOk;
    if( zFilter && strstr(aTest[i].zName, zFilter)==0 ) continue;
    if( bFork ){
      bOk = harnessRunChild(i);
    }else{
      alarm(nTimeout);
      bOk = harnessRunHere(i);
      alarm(0);
    }
    zCurrent = 0;
    if( bOk ){
      nPass++;
      printf("ok   %s\n", aTest[i].zName);
    }else{
      nFail++;
    }
  }
  if( bTooMany ){
    printf("FAIL harness: more than %d tests registered\n", HARNESS_MAX_TEST);
    nFail++;
  }
  if( zFilter && nPass+nFail==0 ){
    printf("no test name contains \"%s\"\n", zFilter);
  }
  printf("%d passed, %d failed\n", nPass, nFail);
  fflush(stdout);
  return nFail==0 ? 0 : 1;
}
