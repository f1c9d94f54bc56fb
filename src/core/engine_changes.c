/*
** engine_changes.c — change capture: which tables each committed request or transaction
** changed, taken where it is complete, with no per-row work.
**
** The authorizer sees, while SQLite prepares a statement, every table the statement may
** read or write: its own, a view's base tables, every trigger body and foreign-key
** action it can set off, a virtual table (FTS5) under its own name. Those names are kept
** with the statement (the statement cache's entry, or the last uncached statement), and
** taken again when SQLite re-prepares it while it runs (a schema change). After a
** statement runs, its write names join the open transaction's set if it changed rows
** (sqlite3_total_changes64 moved: the update hook misses REPLACE's deletes, WITHOUT
** ROWID tables and the truncate optimisation; the counter does not) or changed the
** schema (the schema cookie moved: CREATE TABLE IF NOT EXISTS of a table that exists
** changes nothing). SQLite's commit hook moves the transaction's set to the committed
** set and counts the commit; its rollback hook drops it. The leader's engine
** (coord_engine.c) names the client whose request committed, and takes the committed set
** as a change notice (docs/coord.md, "Change notices").
**
** A set is an over-estimate: a trigger that did not fire, or a savepoint rolled back
** inside a transaction that committed, still counts. It never misses a table.
*/
#include <string.h>
#include "engine_int.h"
#include "proto.h"

void sqlwTablesFree(SqlwTables *p){
  int i;
  for(i=0; i<p->n; i++) sqlite3_free(p->az[i]);
  sqlite3_free(p->az);
  sqlite3_free(p->aFlag);
  memset(p, 0, sizeof(*p));
}

void sqlwTablesMove(SqlwTables *pTo, SqlwTables *pFrom){
  if( pTo==pFrom ) return;
  sqlwTablesFree(pTo);
  *pTo = *pFrom;
  memset(pFrom, 0, sizeof(*pFrom));
}

/* Adds name z with eFlag to p (or its flag to the name there). Past SQLW_TABLES_MAX
** names, or out of memory, p means every table. */
static void tablesAdd(SqlwTables *p, const char *z, int eFlag){
  int i;
  size_t n;
  if( z==0 || p->bAll ) return;
  for(i=0; i<p->n; i++){
    if( sqlite3_stricmp(p->az[i], z)==0 ){
      p->aFlag[i] |= (unsigned char)eFlag;
      return;
    }
  }
  if( p->n>=SQLW_TABLES_MAX ){
    p->bAll = 1;
    return;
  }
  if( p->n==p->nAlloc ){
    int nNew = p->nAlloc ? p->nAlloc*2 : 4;
    char **az = sqlite3_realloc64(p->az, sizeof(char*)*(size_t)nNew);
    unsigned char *aFlag;
    if( az==0 ){
      p->bAll = 1;
      return;
    }
    p->az = az;
    aFlag = sqlite3_realloc64(p->aFlag, (size_t)nNew);
    if( aFlag==0 ){
      p->bAll = 1;
      return;
    }
    p->aFlag = aFlag;
    p->nAlloc = nNew;
  }
  n = strlen(z);
  p->az[p->n] = sqlite3_malloc64(n+1);
  if( p->az[p->n]==0 ){
    p->bAll = 1;
    return;
  }
  memcpy(p->az[p->n], z, n+1);
  p->aFlag[p->n++] = (unsigned char)eFlag;
}

void sqlwTablesMerge(SqlwTables *pTo, const SqlwTables *pFrom, int mask, int eFlag){
  int i;
  for(i=0; i<pFrom->n && !pTo->bAll; i++){
    if( pFrom->aFlag[i] & mask ) tablesAdd(pTo, pFrom->az[i], eFlag);
  }
  pTo->bSchema |= pFrom->bSchema;
  pTo->bAll |= pFrom->bAll;
}

void sqlwChangesSaw(sqlw_db *pDb, int eAction, const char *z1, const char *z2){
  SqlwTables *p = pDb->pCollect;
  if( p==0 ) return;
  switch( eAction ){
    case SQLITE_READ:
      tablesAdd(p, z1, SQLW_TABLE_READ);
      break;
    case SQLITE_INSERT: case SQLITE_UPDATE: case SQLITE_DELETE:
      /* The schema table's rows are written with the DDL that says so (bSchema). */
      if( z1 && (sqlite3_stricmp(z1, "sqlite_master")==0
              || sqlite3_stricmp(z1, "sqlite_temp_master")==0) ) break;
      tablesAdd(p, z1, SQLW_TABLE_WRITE);
      break;
    case SQLITE_CREATE_TABLE: case SQLITE_CREATE_TEMP_TABLE: case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_TEMP_VIEW: case SQLITE_DROP_TABLE: case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_VIEW: case SQLITE_DROP_TEMP_VIEW: case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_VTABLE:
      p->bSchema = 1;
      tablesAdd(p, z1, SQLW_TABLE_WRITE);
      break;
    case SQLITE_CREATE_INDEX: case SQLITE_CREATE_TEMP_INDEX: case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TEMP_INDEX: case SQLITE_CREATE_TRIGGER: case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_DROP_TRIGGER: case SQLITE_DROP_TEMP_TRIGGER: case SQLITE_ALTER_TABLE:
      p->bSchema = 1;                 /* z2: the table (z1: the index, trigger, schema) */
      tablesAdd(p, z2, SQLW_TABLE_WRITE);
      break;
    default:
      break;
  }
}

/* The commit hook: the transaction's changes are committed (counted when there are any). */
static int changesCommitted(void *pArg){
  sqlw_db *pDb = (sqlw_db*)pArg;
  struct SqlwChanges *c = &pDb->chg;
  if( c->txn.n==0 && !c->txn.bSchema && !c->txn.bAll ) return 0;
  sqlwTablesMerge(&c->done, &c->txn, SQLW_TABLE_WRITE, SQLW_TABLE_WRITE);
  sqlwTablesFree(&c->txn);
  c->nCommit++;
  if( c->iFirst==0 ) c->iFirst = c->nCommit;
  c->nNew++;
  return 0;
}

/* The rollback hook: nothing of the transaction stands. */
static void changesRolledBack(void *pArg){
  sqlwTablesFree(&((sqlw_db*)pArg)->chg.txn);
}

/* The name under which a connection keeps its sqlw_db (sqlite3_set_clientdata). */
#define CHANGES_CLIENTDATA "sqlw_db"

void sqlwChangesAttach(sqlw_db *pDb){
  sqlite3_set_clientdata(pDb->db, CHANGES_CLIENTDATA, pDb, 0);
  sqlite3_commit_hook(pDb->db, changesCommitted, pDb);
  sqlite3_rollback_hook(pDb->db, changesRolledBack, pDb);
}

sqlw_db *sqlwChangesDb(sqlite3 *db){
  return (sqlw_db*)sqlite3_get_clientdata(db, CHANGES_CLIENTDATA);
}

void sqlwChangesUndone(sqlite3 *db){
  sqlw_db *pDb = sqlwChangesDb(db);
  if( pDb ) sqlwTablesFree(&pDb->chg.txn);
}

void sqlwChangesClose(sqlw_db *pDb){
  sqlwTablesFree(&pDb->stmtTables);
  sqlwTablesFree(&pDb->stepTables);
  sqlwTablesFree(&pDb->chg.txn);
  sqlwTablesFree(&pDb->chg.done);
  sqlwTablesFree(&pDb->chg.live);
}

sqlite3_int64 sqlwSchemaCookie(sqlw_db *pDb){
  sqlite3_stmt *pStmt = 0;
  sqlite3_int64 v = -1;
  SqlwTables *pCollect = pDb->pCollect;
  int bOwn = pDb->bOwn;
  /* Prepared afresh, as the core's own (the guard refuses schema_version to the user),
  ** noting nothing. */
  pDb->pCollect = 0;
  pDb->bOwn = 1;
  if( sqlite3_prepare_v2(pDb->db, "PRAGMA main.schema_version", -1, &pStmt, 0)==SQLITE_OK
   && sqlite3_step(pStmt)==SQLITE_ROW ){
    v = sqlite3_column_int64(pStmt, 0);
  }
  sqlite3_finalize(pStmt);
  pDb->bOwn = bOwn;
  pDb->pCollect = pCollect;
  return v;
}

void sqlwChangesStatement(sqlw_db *pDb, const SqlwTables *pSet, int bRows, int bSchema){
  struct SqlwChanges *c = &pDb->chg;
  int bWasSchema = c->txn.bSchema;
  if( pSet==0 || (!bRows && !bSchema) ) return;
  sqlwTablesMerge(&c->txn, pSet, SQLW_TABLE_WRITE, SQLW_TABLE_WRITE);
  c->txn.bSchema = bWasSchema || bSchema;
  if( sqlite3_get_autocommit(pDb->db) ){
    /* It ran with no transaction open: it committed itself, before its names were
    ** noted (the commit hook saw an empty set). */
    changesCommitted(pDb);
  }
}

/* ---- the leader's side -------------------------------------------------------------- */

void sqlwChangesEpoch(sqlw_db *pDb, uint64_t iEpoch){
  struct SqlwChanges *c = &pDb->chg;
  if( c->iEpoch==iEpoch ) return;
  sqlwTablesFree(&c->done);
  c->iEpoch = iEpoch;
  c->nCommit = c->iFirst = c->nNew = 0;
  c->nWriter = c->bMoreWriters = 0;
}

void sqlwChangesWriter(sqlw_db *pDb, const unsigned char *aClient){
  struct SqlwChanges *c = &pDb->chg;
  int i;
  if( c->nNew==0 ) return;
  c->nNew = 0;
  for(i=0; i<c->nWriter; i++){
    if( memcmp(c->aWriter+i*COORD_ID_BYTES, aClient, COORD_ID_BYTES)==0 ) return;
  }
  if( c->nWriter<SQLW_NOTICE_WRITERS ){
    memcpy(c->aWriter+(c->nWriter++)*COORD_ID_BYTES, aClient, COORD_ID_BYTES);
  }else{
    c->bMoreWriters = 1;
  }
}

void sqlwChangesAll(sqlw_db *pDb){
  struct SqlwChanges *c = &pDb->chg;
  c->done.bAll = 1;
  c->done.bSchema = 1;
  c->nCommit++;
  if( c->iFirst==0 ) c->iFirst = c->nCommit;
  c->nNew++;
}

/* Appends u32 v little-endian (pOut has room). */
static void put32(SqlwBuf *pOut, uint32_t v){
  unsigned char *a = pOut->a+pOut->n;
  a[0] = (unsigned char)v;
  a[1] = (unsigned char)(v>>8);
  a[2] = (unsigned char)(v>>16);
  a[3] = (unsigned char)(v>>24);
  pOut->n += 4;
}

/* The bytes of p's names flagged with a bit of mask, as putNames writes them. */
static size_t namesBytes(const SqlwTables *p, int mask){
  size_t nNeed = 4;
  int i;
  for(i=0; !p->bAll && i<p->n; i++){
    if( p->aFlag[i] & mask ) nNeed += 4+strlen(p->az[i]);
  }
  return nNeed;
}

/* Appends p's names flagged with a bit of mask: u32 count, then (u32 n, n bytes) each;
** none when p means every table or they pass SQLW_NAMES_BYTES (the caller then says
** "every table"). Returns 0, or 1 when out of memory. */
static int putNames(SqlwBuf *pOut, const SqlwTables *p, int mask){
  size_t nNeed = namesBytes(p, mask);
  uint32_t nName = 0;
  int i;
  if( nNeed>SQLW_NAMES_BYTES ) nNeed = 4;
  for(i=0; nNeed>4 && i<p->n; i++){
    if( p->aFlag[i] & mask ) nName++;
  }
  if( sqlwBufReserve(pOut, nNeed) ) return 1;
  put32(pOut, nName);
  for(i=0; nName && i<p->n; i++){
    if( p->aFlag[i] & mask ){
      size_t n = strlen(p->az[i]);
      put32(pOut, (uint32_t)n);
      memcpy(pOut->a+pOut->n, p->az[i], n);
      pOut->n += n;
    }
  }
  return 0;
}

int sqlwChangesTake(sqlw_db *pDb, SqlwBuf *pOut){
  struct SqlwChanges *c = &pDb->chg;
  uint32_t flags;
  if( c->iFirst==0 ) return 0;
  flags = (c->done.bSchema ? COORD_CHANGES_SCHEMA : 0)
        | (c->done.bAll || namesBytes(&c->done, SQLW_TABLE_WRITE)>SQLW_NAMES_BYTES ? COORD_CHANGES_ALL : 0)
        | (c->bMoreWriters ? COORD_CHANGES_MORE_WRITERS : 0);
  if( sqlwBufReserve(pOut, COORD_CHANGES_FIELDS+(size_t)c->nWriter*COORD_ID_BYTES) ) return 0;
  put32(pOut, c->iFirst);
  put32(pOut, c->nCommit);
  put32(pOut, flags);
  put32(pOut, (uint32_t)c->nWriter);
  memcpy(pOut->a+pOut->n, c->aWriter, (size_t)c->nWriter*COORD_ID_BYTES);
  pOut->n += (size_t)c->nWriter*COORD_ID_BYTES;
  if( putNames(pOut, &c->done, SQLW_TABLE_WRITE) ) return 0;
  sqlwTablesFree(&c->done);
  c->iFirst = 0;
  c->nWriter = c->bMoreWriters = 0;
  return 1;
}

void sqlwChangesLiveTrailer(sqlw_db *pDb, SqlwBuf *pOut){
  struct SqlwChanges *c = &pDb->chg;
  int i;
  if( sqlwBufReserve(pOut, SQLW_LIVE_TRAILER) ) return;
  for(i=0; i<8; i++) pOut->a[pOut->n++] = (unsigned char)(c->iEpoch>>(8*i));
  put32(pOut, c->nCommit);
  put32(pOut, c->live.bAll || namesBytes(&c->live, SQLW_TABLE_READ)>SQLW_NAMES_BYTES ? SQLW_LIVE_ALL : 0);
  putNames(pOut, &c->live, SQLW_TABLE_READ);
}
