/*
** testpool.h — native pools for the tests: a folder of slot files opened through the
** host (host_open, so the fault shim of faulthost.h sees every call), a sqlw_pool over
** them, a connection to its database, and the restart a browser tab would do: close the
** connection and the pool, reopen every slot file, build a new pool of the same name.
**
** A TestPool belongs to the test that made it: it is stopped and freed when the test ends
** (connection closed, pool destroyed, handles closed), so a test stopping early with
** REQUIRE() leaks nothing. The slot files stay in the folder, under the current directory
** (make test-native runs in a fresh temporary directory).
**
** Slot files are named slot-<id> in the pool's folder; index i of the arrays below is the
** i-th slot file of the pool in creation order (a slot taken out with testPoolTakeFree()
** leaves the arrays).
*/
#ifndef SQLW_TEST_TESTPOOL_H
#define SQLW_TEST_TESTPOOL_H

#include <stdint.h>
#include "../../src/core/sqlw.h"

#define TESTPOOL_MAX_SLOT 64        /* slot files one TestPool can hold */
#define TESTPOOL_HEADER   4096      /* bytes before the SQLite file in a slot */

typedef struct TestPool TestPool;
struct TestPool {
  char zDir[128];                   /* folder of the slot files, relative to the cwd */
  char zName[32];                   /* the pool's name; its VFS is "pool:<name>" */
  sqlw_pool *pPool;                 /* the pool, NULL while stopped */
  sqlw_db *pDb;                     /* the connection of testPoolOpenDb(), or NULL */
  int nSlot;                        /* slot files */
  int aId[TESTPOOL_MAX_SLOT];       /* slot file i is <zDir>/slot-<aId[i]> */
  int aH[TESTPOOL_MAX_SLOT];        /* its host handle, -1 while stopped */
  int aAddRc[TESTPOOL_MAX_SLOT];    /* what sqlw_pool_add_slot() said for it last */
  int nNextId;                      /* id of the next new slot file */
  char zErr[256];                   /* message of the last failed testPoolOpenDb() */
};

/*
** Makes the folder zDir (removing any files already in it), creates nSlot empty slot
** files, and starts the pool over them. Returns the pool, freed when the test ends, or
** NULL after recording a failure (a slot refused by sqlw_pool_add_slot is not a failure
** here: see aAddRc).
*/
TestPool *testPoolNewAt(const char *zDir, int nSlot, const char *zFile, int iLine);
#define testPoolNew(zDir, nSlot)  testPoolNewAt((zDir), (nSlot), __FILE__, __LINE__)

/*
** Opens every slot file with host_open, creates the pool and adds the slots in order.
** Returns SQLITE_OK, the code of sqlw_pool_create(), or the first code other than
** SQLITE_OK that sqlw_pool_add_slot() gave (every slot is still offered to the pool).
*/
int testPoolStart(TestPool *p);

/*
** Closes the connection (its code is dropped: after a crash it fails by design),
** destroys the pool and closes every slot handle. Returns the code of
** sqlw_pool_destroy(), or a host code when a handle would not close.
*/
int testPoolStop(TestPool *p);

/* testPoolStop() then testPoolStart(): what a restarted tab does. Returns the first
** failure of either (SQLITE_OK when both worked). */
int testPoolRestart(TestPool *p);

/* Truncates every slot file to 0 bytes (free slots) while the pool is stopped.
** Returns SQLITE_OK or a host code. */
int testPoolClear(TestPool *p);

/* Creates n more empty slot files and adds them to the running pool. Returns SQLITE_OK
** or the first failure. */
int testPoolGrow(TestPool *p, int n);

/*
** Opens zPath on the pool's VFS as p->pDb with sqlw_open(flags 0). Returns SQLITE_OK or
** the open's code; on failure p->pDb stays NULL and p->zErr holds the message.
*/
int testPoolOpenDb(TestPool *p, const char *zPath);

/* Closes p->pDb (a no-op when none). Returns sqlw_close()'s code. */
int testPoolCloseDb(TestPool *p);

/*
** Takes one free slot out of the pool (sqlw_pool_take_free), closes its handle and
** deletes its file. Returns the handle the pool gave, or -1 when it had no free slot (or
** gave a handle that is not one of p's slots, which is recorded as a failure).
*/
int testPoolTakeFree(TestPool *p);

/* The index of the slot whose header names zPath (read from the file through the host,
** per docs/pool-format.md), or -1. Works whether the pool runs or not. */
int testPoolFind(TestPool *p, const char *zPath);

/* Writes the path of slot file i into zOut (nOut bytes, terminated). */
void testPoolSlotPath(TestPool *p, int i, char *zOut, int nOut);

/*
** Reads / writes n bytes at iOff of slot file i directly (not through the pool), with
** the pool stopped or running. Return host codes: bytes read, or 0 for a write.
*/
int testPoolRead(TestPool *p, int i, void *a, int n, double iOff);
int testPoolWrite(TestPool *p, int i, const void *a, int n, double iOff);

/* FNV-1a (32-bit) over a[0..n): the slot header's checksum (docs/pool-format.md). */
uint32_t testPoolFnv1a(const unsigned char *a, int n);

#endif /* SQLW_TEST_TESTPOOL_H */
