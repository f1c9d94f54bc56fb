/*
** support.h — helpers the native engine tests share: opening connections that close
** themselves when the test ends, running a request and parsing its result buffer in one
** step, and checks that print result codes by name.
**
** Every helper that runs a request is a macro over a function taking __FILE__/__LINE__,
** so a failure is reported at the test's line, not here.
**
** Lifetimes: a WrResult returned by testExec()/testRunMany() is valid until the next
** testExec()/testRunMany() call or the end of the test (it points into the connection's
** result buffer, which the next request replaces anyway).
*/
#ifndef SQLW_TEST_SUPPORT_H
#define SQLW_TEST_SUPPORT_H

#include "harness.h"
#include "wire.h"
#include "../../src/core/sqlw.h"

/*
** Opens zPath on zVfs with flags 0 (read/write, create) and checks that it worked.
** The connection is closed when the test ends unless testClose() closed it first.
** Returns NULL (after recording a failure) if the open failed.
*/
sqlw_db *testOpenAt(const char *zPath, const char *zVfs, const char *zFile, int iLine);
#define testOpen(zPath, zVfs)  testOpenAt((zPath), (zVfs), __FILE__, __LINE__)

/* A fresh private memdb connection. */
#define testOpenMem()          testOpenAt("mem", "memdb", __FILE__, __LINE__)

/* Closes a connection opened by testOpen() now and checks SQLITE_OK. */
void testCloseAt(sqlw_db *pDb, const char *zFile, int iLine);
#define testClose(pDb)         testCloseAt((pDb), __FILE__, __LINE__)

/*
** Runs sqlw_exec()/sqlw_run_many() and parses the result buffer. Records a failure when
** the buffer is malformed or its rc differs from the returned code or sqlw_errcode().
** Never returns NULL: after a malformed buffer the result is empty with rc = -1.
*/
const WrResult *testExecAt(sqlw_db *pDb, const char *zSql, const unsigned char *aParam,
                           size_t nParam, int bMany, const char *zFile, int iLine);
#define testExec(pDb, zSql, aParam, nParam) \
  testExecAt((pDb), (zSql), (aParam), (nParam), 0, __FILE__, __LINE__)
#define testRunMany(pDb, zSql, aParam, nParam) \
  testExecAt((pDb), (zSql), (aParam), (nParam), 1, __FILE__, __LINE__)

/* Parses the result buffer of the last request on pDb (e.g. after sqlw_import). */
const WrResult *testLastResultAt(sqlw_db *pDb, int rc, const char *zFile, int iLine);
#define testLastResult(pDb, rc) testLastResultAt((pDb), (rc), __FILE__, __LINE__)

/* Runs zSql without parameters and checks SQLITE_OK. Returns 1 if it succeeded. */
int testOkAt(sqlw_db *pDb, const char *zSql, const char *zFile, int iLine);
#define testOk(pDb, zSql)      testOkAt((pDb), (zSql), __FILE__, __LINE__)

/*
** Runs a query that returns one integer (one set, one row, one column) and returns it.
** Records a failure and returns INT64_MIN otherwise.
*/
int64_t testIntAt(sqlw_db *pDb, const char *zSql, const char *zFile, int iLine);
#define testInt(pDb, zSql)     testIntAt((pDb), (zSql), __FILE__, __LINE__)

/*
** Runs a query that returns one text value and copies it (NUL-terminated, cut to nOut-1
** bytes) into zOut. Records a failure and leaves "" otherwise.
*/
void testTextAt(sqlw_db *pDb, const char *zSql, char *zOut, size_t nOut,
                const char *zFile, int iLine);
#define testText(pDb, zSql, zOut, nOut) \
  testTextAt((pDb), (zSql), (zOut), (nOut), __FILE__, __LINE__)

/* Checks that result code a equals b, printing both by name. Returns 1 if equal. */
int testCheckRc(int a, int b, const char *zA, const char *zFile, int iLine);
#define CHECK_RC(a, b)         testCheckRc((a), (b), #a, __FILE__, __LINE__)

/* Checks that the primary code of a (a & 0xff) is p1 or p2. Returns 1 if so. */
int testCheckPrimary(int a, int p1, int p2, const char *zA, const char *zFile, int iLine);
#define CHECK_PRIMARY(a, p1, p2) testCheckPrimary((a), (p1), (p2), #a, __FILE__, __LINE__)

/* 1 if the result string s contains the NUL-terminated zNeedle. */
int testContains(WrStr s, const char *zNeedle);

/* Checks that value pVal is the integer i / the text z (NUL-terminated). */
int testCheckValInt(const WrValue *pVal, int64_t i, const char *zFile, int iLine);
int testCheckValText(const WrValue *pVal, const char *z, const char *zFile, int iLine);
#define CHECK_VAL_INT(pVal, i)   testCheckValInt((pVal), (i), __FILE__, __LINE__)
#define CHECK_VAL_TEXT(pVal, z)  testCheckValText((pVal), (z), __FILE__, __LINE__)

/* Checks that the WrStr s equals the NUL-terminated z. */
int testCheckStr(WrStr s, const char *z, const char *zFile, int iLine);
#define CHECK_WSTR(s, z)         testCheckStr((s), (z), __FILE__, __LINE__)

/* Removes zPath and its -journal and -wal files if present (test set-up in cwd). */
void testRemoveDb(const char *zPath);

#endif /* SQLW_TEST_SUPPORT_H */
