/*
** wasm_api.c — the exports of the WebAssembly module (docs/wasm-abi.md).
**
** Thin adapters over sqlw.h for a caller that can pass only numbers: out-parameters
** become return values or a follow-up call, 64-bit results become doubles (exact to
** 2^53), and a scratch buffer lets JavaScript place its input in wasm memory without a
** malloc per request. No logic lives here.
*/
#include "sqlite3.h"
#include <string.h>
#include "sqlw.h"
#include "coord.h"

#define WASM_EXPORT(name) __attribute__((export_name(#name)))

/* The exports are declared by their attribute and listed in docs/wasm-abi.md (checked by
** tests/node/module.test.mjs); a prototype for each would be a third copy. */
#pragma clang diagnostic ignored "-Wmissing-prototypes"

static unsigned char *aScratch = 0;   /* The scratch buffer (sqlite3_malloc64'd) */
static size_t nScratch = 0;           /* Its size */
static double rExportSize = 0;        /* Size of the last export_image() */

/* Returns a buffer of at least n bytes, valid until the next call; n==0 frees it.
** Returns 0 when memory runs out (the old buffer is freed then). */
WASM_EXPORT(scratch) unsigned char *wasmScratch(size_t n){
  /* SQLite is built with SQLITE_OMIT_AUTOINIT; this may be the first call of all. */
  if( sqlite3_initialize() ) return 0;
  if( n==0 || n>nScratch ){
    sqlite3_free(aScratch);
    aScratch = 0;
    nScratch = 0;
    if( n==0 ) return 0;
    if( n<65536 ) n = 65536;
    aScratch = sqlite3_malloc64(n);
    if( aScratch ) nScratch = n;
  }
  return aScratch;
}

/* A block of n bytes (at least 1) for `coord_local` to take, or 0 when memory runs out. */
WASM_EXPORT(alloc) unsigned char *wasmAlloc(size_t n){
  if( sqlite3_initialize() ) return 0;
  return sqlite3_malloc64(n ? n : 1);
}

WASM_EXPORT(format_version) int wasmFormatVersion(void){
  return sqlw_format_version();
}

/* sqlw_open(); returns the handle, 0 only when memory ran out. */
WASM_EXPORT(open) sqlw_db *wasmOpen(const char *zPath, const char *zVfs, int flags){
  sqlw_db *pDb = 0;
  sqlw_open(zPath, zVfs, flags, &pDb);
  return pDb;
}

WASM_EXPORT(close) int wasmClose(sqlw_db *pDb){
  return sqlw_close(pDb);
}

WASM_EXPORT(exec) int wasmExec(sqlw_db *pDb, const char *zSql, size_t nSql,
                               const unsigned char *aParam, size_t nParam){
  return sqlw_exec(pDb, zSql, nSql, aParam, nParam);
}

WASM_EXPORT(run_many) int wasmRunMany(sqlw_db *pDb, const char *zSql, size_t nSql,
                                      const unsigned char *aParam, size_t nParam){
  return sqlw_run_many(pDb, zSql, nSql, aParam, nParam);
}

WASM_EXPORT(batch) int wasmBatch(sqlw_db *pDb, const unsigned char *a, size_t n){
  return sqlw_batch(pDb, a, n);
}

WASM_EXPORT(result_ptr) const unsigned char *wasmResultPtr(sqlw_db *pDb){
  size_t n;
  return sqlw_result(pDb, &n);
}

WASM_EXPORT(result_len) size_t wasmResultLen(sqlw_db *pDb){
  size_t n;
  sqlw_result(pDb, &n);
  return n;
}

/* sqlw_export(); the size is read with export_size(). */
WASM_EXPORT(export_image) unsigned char *wasmExportImage(sqlw_db *pDb){
  int64_t n = 0;
  unsigned char *a = sqlw_export(pDb, &n);
  rExportSize = (double)n;
  return a;
}

WASM_EXPORT(export_size) double wasmExportSize(void){
  return rExportSize;
}

WASM_EXPORT(import_image) int wasmImportImage(sqlw_db *pDb, const unsigned char *a,
                                              size_t n){
  return sqlw_import(pDb, a, n);
}

WASM_EXPORT(set_durability) int wasmSetDurability(sqlw_db *pDb, int eMode){
  return sqlw_set_durability(pDb, eMode);
}

WASM_EXPORT(set_deadline) void wasmSetDeadline(sqlw_db *pDb, double rBudgetMs){
  sqlw_set_deadline(pDb, rBudgetMs);
}

WASM_EXPORT(set_statement_cap) void wasmSetStatementCap(sqlw_db *pDb, double rCapMs){
  sqlw_set_statement_cap(pDb, rCapMs);
}

WASM_EXPORT(set_private) void wasmSetPrivate(sqlw_db *pDb){
  sqlw_set_private(pDb);
}

WASM_EXPORT(set_page_size) int wasmSetPageSize(sqlw_db *pDb, int szPage){
  return sqlw_set_page_size(pDb, szPage);
}

WASM_EXPORT(errcode) int wasmErrcode(sqlw_db *pDb){
  return sqlw_errcode(pDb);
}

WASM_EXPORT(errmsg) const char *wasmErrmsg(sqlw_db *pDb){
  return sqlw_errmsg(pDb);
}

WASM_EXPORT(error_offset) int wasmErrorOffset(sqlw_db *pDb){
  return sqlw_error_offset(pDb);
}

WASM_EXPORT(stat) double wasmStat(sqlw_db *pDb, int op){
  return (double)sqlw_stat(pDb, op);
}

WASM_EXPORT(code_name) const char *wasmCodeName(int rc){
  return sqlw_code_name(rc);
}

WASM_EXPORT(code_at) int wasmCodeAt(int i){
  return sqlw_code_at(i);
}

WASM_EXPORT(free) void wasmFree(void *p){
  sqlw_free(p);
}

/* Pools (docs/wasm-abi.md). */

/* sqlw_pool_create(); 0 on failure, with the reason in pool_errmsg(0). */
WASM_EXPORT(pool_create) sqlw_pool *wasmPoolCreate(const char *zName){
  sqlw_pool *pPool = 0;
  sqlw_pool_create(zName, &pPool);
  return pPool;
}

WASM_EXPORT(pool_add_slot) int wasmPoolAddSlot(sqlw_pool *pPool, int h){
  return sqlw_pool_add_slot(pPool, h);
}

WASM_EXPORT(pool_take_free) int wasmPoolTakeFree(sqlw_pool *pPool){
  return sqlw_pool_take_free(pPool);
}

WASM_EXPORT(pool_stat) int wasmPoolStat(sqlw_pool *pPool, int op){
  return sqlw_pool_stat(pPool, op);
}

WASM_EXPORT(pool_wipe) int wasmPoolWipe(sqlw_pool *pPool){
  return sqlw_pool_wipe(pPool);
}

WASM_EXPORT(pool_vfs) const char *wasmPoolVfs(sqlw_pool *pPool){
  return sqlw_pool_vfs(pPool);
}

WASM_EXPORT(pool_destroy) int wasmPoolDestroy(sqlw_pool *pPool){
  return sqlw_pool_destroy(pPool);
}

WASM_EXPORT(pool_errmsg) const char *wasmPoolErrmsg(sqlw_pool *pPool){
  return sqlw_pool_errmsg(pPool);
}

/* The multi-tab protocol (src/core/coord.h, docs/coord.md, docs/wasm-abi.md). */

static CoordAction coordLast;       /* the action coord_next() took, read by coord_act_* */

/* Engine calls before the storage is open fail: the machine only calls them as leader. */
static int wasmNoExec(void *pCtx, const CoordRequest *pReq, int *peKind, SqlwBuf *pOut){
  (void)pCtx; (void)pReq; (void)peKind; (void)pOut;
  return SQLITE_MISUSE;
}
static int wasmNoEpoch(void *pCtx, uint64_t iProposed, uint64_t *piEpoch){
  (void)pCtx; (void)iProposed; (void)piEpoch;
  return SQLITE_MISUSE;
}
static int wasmNoForget(void *pCtx, const unsigned char *aClient){
  (void)pCtx; (void)aClient;
  return SQLITE_MISUSE;
}
static int wasmNoRecorded(void *pCtx, SqlwBuf *pOut){
  (void)pCtx; (void)pOut;
  return SQLITE_MISUSE;
}

/* coordCreate() for client aId (16 bytes); 0 when out of memory. */
WASM_EXPORT(coord_create) Coord *wasmCoordCreate(const unsigned char *aId, double freezeMs,
                                                 double idleMs, double now){
  CoordEngine e = { 0, wasmNoExec, wasmNoEpoch, wasmNoForget, wasmNoRecorded, 0, 0, 0 };
  if( sqlite3_initialize() ) return 0;
  return coordCreate(aId, &e, (int64_t)freezeMs, (int64_t)idleMs, (int64_t)now);
}

WASM_EXPORT(coord_destroy) void wasmCoordDestroy(Coord *p){
  coordDestroy(p);
}

/* Sets the leader's engine over the open database db (0: none). */
WASM_EXPORT(coord_attach) void wasmCoordAttach(Coord *p, sqlw_db *pDb){
  CoordEngine e = { 0, wasmNoExec, wasmNoEpoch, wasmNoForget, wasmNoRecorded, 0, 0, 0 };
  if( pDb ) coordEngineInit(&e, pDb);
  coordSetEngine(p, &e);
}

WASM_EXPORT(coord_leader_granted) int wasmCoordGranted(Coord *p, double now){
  return coordLeaderLockGranted(p, (int64_t)now);
}

WASM_EXPORT(coord_leader_lost) int wasmCoordLost(Coord *p, double now){
  return coordLeaderLockLost(p, (int64_t)now);
}

WASM_EXPORT(coord_storage_opened) int wasmCoordOpened(Coord *p, int rc, double now){
  return coordStorageOpened(p, rc, (int64_t)now);
}

WASM_EXPORT(coord_message) int wasmCoordMessage(Coord *p, const unsigned char *a, size_t n,
                                               double now){
  return coordMessage(p, a, n, (int64_t)now);
}

/* The body is the machine's from the call on: a block of `alloc`, or 0 when n is 0. */
WASM_EXPORT(coord_local) int wasmCoordLocal(Coord *p, uint32_t iSeq, uint32_t iLease, int eKind,
                                           unsigned char *a, size_t n, uint32_t iBudget,
                                           int bDirect, double now){
  return coordLocalTake(p, iSeq, iLease, eKind, a, n, iBudget, bDirect, (int64_t)now);
}

WASM_EXPORT(coord_cancel) int wasmCoordCancel(Coord *p, uint32_t iSeq, double now){
  return coordCancel(p, iSeq, (int64_t)now);
}

WASM_EXPORT(coord_client_gone) int wasmCoordGone(Coord *p, const unsigned char *aId, double now){
  return coordClientGone(p, aId, (int64_t)now);
}

WASM_EXPORT(coord_page_acked) void wasmCoordPageAcked(Coord *p, uint32_t iBelow){
  coordPageAcked(p, iBelow);
}

WASM_EXPORT(coord_tick) int wasmCoordTick(Coord *p, double now){
  return coordTick(p, (int64_t)now);
}

/* Takes the next action: returns its COORD_ACT_* (0 when none); coord_act_* read it. */
WASM_EXPORT(coord_next) int wasmCoordNext(Coord *p){
  if( !coordNextAction(p, &coordLast) ) memset(&coordLast, 0, sizeof(coordLast));
  return coordLast.eAct;
}

WASM_EXPORT(coord_act_id) const unsigned char *wasmCoordActId(void){ return coordLast.aId; }
WASM_EXPORT(coord_act_seq) uint32_t wasmCoordActSeq(void){ return coordLast.iSeq; }
WASM_EXPORT(coord_act_status) int wasmCoordActStatus(void){ return coordLast.eStatus; }
WASM_EXPORT(coord_act_kind) int wasmCoordActKind(void){ return coordLast.eKind; }
WASM_EXPORT(coord_act_leader) int wasmCoordActLeader(void){ return coordLast.bLeader; }
WASM_EXPORT(coord_act_epoch) double wasmCoordActEpoch(void){ return (double)coordLast.iEpoch; }
WASM_EXPORT(coord_act_at) double wasmCoordActAt(void){ return (double)coordLast.iAt; }
WASM_EXPORT(coord_act_data) const unsigned char *wasmCoordActData(void){ return coordLast.aData; }
WASM_EXPORT(coord_act_len) size_t wasmCoordActLen(void){ return coordLast.nData; }

/* The leader's ANNOUNCE (coordAnnouncement), valid until the next call; 0 when c does
** not lead or memory ran out. Its length: coord_announcement_len(). */
static SqlwBuf coordAnnounceBuf;
WASM_EXPORT(coord_announcement) const unsigned char *wasmCoordAnnouncement(Coord *p){
  coordAnnounceBuf.n = 0;
  return coordAnnouncement(p, &coordAnnounceBuf)==SQLITE_OK ? coordAnnounceBuf.a : 0;
}
WASM_EXPORT(coord_announcement_len) size_t wasmCoordAnnouncementLen(void){
  return coordAnnounceBuf.n;
}

/* coordTakeChanges's message, valid until the next call; 0 when there is none. Its
** length: coord_changes_len(). */
static SqlwBuf coordChangesBuf;
WASM_EXPORT(coord_take_changes) const unsigned char *wasmCoordTakeChanges(Coord *p){
  coordChangesBuf.n = 0;
  coordChangesBuf.bOom = 0;
  return coordTakeChanges(p, &coordChangesBuf) ? coordChangesBuf.a : 0;
}
WASM_EXPORT(coord_changes_len) size_t wasmCoordChangesLen(void){
  return coordChangesBuf.n;
}

/* coordDirectHead's COORD_DIRECT_HEAD bytes, valid until the next call; 0 when c leads
** or knows no leader. */
static unsigned char coordDirectBuf[COORD_DIRECT_HEAD];
WASM_EXPORT(coord_direct) const unsigned char *wasmCoordDirect(Coord *p){
  return coordDirectHead(p, coordDirectBuf) ? coordDirectBuf : 0;
}

WASM_EXPORT(coord_is_leader) int wasmCoordIsLeader(Coord *p){ return coordIsLeader(p); }
WASM_EXPORT(coord_idle) int wasmCoordIdle(Coord *p){ return coordIdle(p); }
WASM_EXPORT(coord_epoch) double wasmCoordEpoch(Coord *p){ return (double)coordEpoch(p); }
