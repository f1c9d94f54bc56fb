/*
** harness.h — a very small unit-test harness for the native tests.
**
** Every .c file of tests/native is linked into one binary. A test is a function declared
** with TEST(); it registers itself before main() runs, so adding a file needs no list to
** update. Names follow SQLite's test files: the feature, a case number, a short phrase
** ("exec-120 script sums changes"). main() runs the tests in name order (numbers compared
** as numbers), or only those whose name contains argv[1], and prints as its last line
** "N passed, M failed".
**
** CHECK macros record a failure with file:line and carry on, so one run reports every
** broken expectation; each returns 1 when the check held, so a test can stop early with
** REQUIRE(). Resources a test must release even when it stops early are registered with
** harnessDefer(); the harness releases them after the test, latest first.
**
** Each test runs in a child process (see harness.c), so a crash, a hang or a leak fails
** that test alone. Environment: SQLW_TEST_TIMEOUT=<seconds> of CPU per test (default 60;
** a test that waits without using CPU is stopped after ten times as many seconds),
** SQLW_TEST_NOFORK=1 to run in one process under a debugger. Example:
**   make test-native                        (all tests, in a fresh temporary directory)
**   cd $(mktemp -d) && <repo>/build/asan/test-native params-4   (the params-4xx cases)
*/
#ifndef SQLW_TEST_HARNESS_H
#define SQLW_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

typedef void (*HarnessTest)(void);

/* Registers the test xTest under the static name zName. Called by TEST(). */
void harnessAdd(const char *zName, HarnessTest xTest);

/* Runs x(p) after the current test ends, whether it passed or not (latest first). */
void harnessDefer(void (*x)(void*), void *p);

/* Records a failure of the current test at zFile:iLine with a printf-style message.
** Always returns 0, so it can end a failed check expression. */
int harnessFail(const char *zFile, int iLine, const char *zFmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 3, 4)))
#endif
  ;

/* The checks behind the macros below. Each returns 1 if it held, 0 after a failure. */
int harnessCheck(int b, const char *zExpr, const char *zFile, int iLine);
int harnessCheckInt(int64_t a, int64_t b, const char *zA, const char *zB,
                    const char *zFile, int iLine);
int harnessCheckStr(const char *a, const char *b, const char *zA, const char *zB,
                    const char *zFile, int iLine);
int harnessCheckMem(const void *a, size_t na, const void *b, size_t nb,
                    const char *zA, const char *zB, const char *zFile, int iLine);

/* Declares and registers the test function fn named zName. */
#define TEST(fn, zName)                                                 \
  static void fn(void);                                                 \
  __attribute__((constructor)) static void fn##Register(void){          \
    harnessAdd(zName, fn);                                              \
  }                                                                     \
  static void fn(void)

#define CHECK(x)         harnessCheck(!!(x), #x, __FILE__, __LINE__)
#define CHECK_INT(a, b)  harnessCheckInt((int64_t)(a), (int64_t)(b), #a, #b, \
                                         __FILE__, __LINE__)
#define CHECK_STR(a, b)  harnessCheckStr((a), (b), #a, #b, __FILE__, __LINE__)
#define CHECK_MEM(a, na, b, nb) \
  harnessCheckMem((a), (na), (b), (nb), #a, #b, __FILE__, __LINE__)
#define FAIL(...)        harnessFail(__FILE__, __LINE__, __VA_ARGS__)

/* Stops the current test (returning from it) when x does not hold. */
#define REQUIRE(x)       do{ if( !CHECK(x) ) return; }while(0)

#endif /* SQLW_TEST_HARNESS_H */
