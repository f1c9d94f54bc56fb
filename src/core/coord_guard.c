/*
** coord_guard.c — the leader's guard and the per-tab connection settings (docs/coord.md,
** docs/threat-model.md). The guard is SQLite's authorizer on the leader's connection:
** while the user's SQL runs (sqlwGuardUser) it refuses, with a reason, what would
** break exactly-once or durability — writes to the `_sqlw_*` bookkeeping (directly, by
** a trigger or a view, by a TEMP shadow), ATTACH of anything but ':memory:', the PRAGMAs
** the durability option owns — and it sees, at prepare, the PRAGMAs that change a
** connection setting. Settings belong to the tab that set them: a word of bits per
** client, applied before each of its requests and stored in `_sqlw_settings` so the
** next leader applies it too. Used by coord_engine.c (coord_guard.h).
*/
#include <string.h>
#include "sqlite3.h"
#include "sqlw.h"
#include "coord.h"
#include "coord_guard.h"
#include "coord_txn.h"
#include "engine_int.h"

/* True while the user's SQL runs (see sqlwAuthorize). One connection runs at a time. */
static int ceUserSql = 0;

/* ---- Per-tab settings ---------------------------------------------------------------
** The connection settings a tab may change with PRAGMA, one bit each in a settings word.
** A client's word is the whole state it wants; clients that never set anything get the
** connection's state at open (ceSet.iDefault). defer_foreign_keys is not here: SQLite
** turns it off at the end of every transaction, so it lasts one transaction anyway.
** case_sensitive_like cannot be read back, so its value is taken from the statement
** that set it (the authorizer sees the argument). */
static const char *const azCeSetting[] = {
  "foreign_keys", "recursive_triggers", "reverse_unordered_selects", "query_only",
  "trusted_schema", "ignore_check_constraints", "automatic_index", "cell_size_check",
  "legacy_alter_table", "count_changes", "short_column_names", "full_column_names",
  "case_sensitive_like",
};
#define CE_NSETTING    ((int)(sizeof(azCeSetting)/sizeof(azCeSetting[0])))
#define CE_QUERY_ONLY  (1u<<3)
#define CE_CASE_LIKE   (1u<<12)
#define CE_SET_CACHE   64        /* clients whose words are remembered in memory */

/* The settings state of the leader's connection. */
static struct {
  sqlw_db *pDb;                  /* the connection it describes (another: start over) */
  uint32_t iCur;                 /* the connection's settings now */
  uint32_t iDefault;             /* a client's that set nothing: the state at open */
  int bSaw;                      /* the user's SQL set a setting (seen at prepare) */
  int bCaseLike;                 /* ... and case_sensitive_like to this */
  int nClient;                   /* clients remembered in aClient/aWord */
  unsigned char aClient[CE_SET_CACHE][COORD_ID_BYTES];
  uint32_t aWord[CE_SET_CACHE];
} ceSet;

/* True if z names the protocol's bookkeeping (a name starting with "_sqlw_"). */
static int ceReserved(const char *z){
  return z && sqlite3_strnicmp(z, "_sqlw_", 6)==0;
}

/* True if zDb names the main database or temp (or none: the statement's default). */
static int ceMainOrTemp(const char *zDb){
  return zDb==0 || sqlite3_stricmp(zDb, "main")==0 || sqlite3_stricmp(zDb, "temp")==0;
}

/* Refuses an action, saying why (the request's error message carries it). */
static int ceDeny(sqlw_db *pDb, const char *zWhy){
  sqlwDenyReason(pDb, zWhy);
  return SQLITE_DENY;
}

/* True if zArg is one of the (up to two) spellings of a PRAGMA value. */
static int ceIsValue(const char *zArg, const char *zA, const char *zB){
  return sqlite3_stricmp(zArg, zA)==0 || (zB && sqlite3_stricmp(zArg, zB)==0);
}

/*
** Why the user may not run PRAGMA zName=zArg on database zDb, or NULL when it may. What
** durability and exactly-once rest on is the library's: WAL under exclusive locking and
** the synchronous level of the durability option (a value equal to what the database
** has is accepted, as the no-op it is: apps and ORMs often set journal_mode=WAL).
*/
static const char *cePragmaRefused(sqlw_db *pDb, const char *zName, const char *zArg,
                                   const char *zDb){
  int eDur = sqlwDurability(pDb);
  int bMain = zDb==0 || sqlite3_stricmp(zDb, "main")==0;
  if( zArg==0 ) return 0;                      /* reading a value */
  if( sqlite3_stricmp(zName, "journal_mode")==0 ){
    if( ceIsValue(zArg, "off", 0) ){
      return "journal_mode=OFF would leave no way to roll a request back";
    }
    if( eDur<0 || !bMain || ceIsValue(zArg, "wal", 0) ) return 0;
    return "journal_mode is the library's: the database stays in WAL mode, on which "
           "durability and exactly-once rest (the durability option trades safety for speed)";
  }
  if( sqlite3_stricmp(zName, "locking_mode")==0 ){
    if( eDur<0 || ceIsValue(zArg, "exclusive", 0) ) return 0;
    return "locking_mode is the library's: one connection (the leader's) owns the file, "
           "under exclusive locking";
  }
  if( sqlite3_stricmp(zName, "synchronous")==0 ){
    if( eDur<0 || !bMain ) return 0;
    if( eDur==SQLW_DURABLE ? ceIsValue(zArg, "full", "2") : ceIsValue(zArg, "normal", "1") ){
      return 0;
    }
    return "synchronous is set by the durability option ('durable': FULL, 'relaxed': "
           "NORMAL): open the database with the durability you want";
  }
  if( sqlite3_stricmp(zName, "writable_schema")==0 ){
    return "writable_schema is off here: a write to sqlite_schema can break the file";
  }
  if( sqlite3_stricmp(zName, "schema_version")==0 ){
    return "schema_version is SQLite's own: a wrong value corrupts the database";
  }
  if( sqlite3_stricmp(zName, "hard_heap_limit")==0 ){
    return "hard_heap_limit would fail every tab's requests on the shared connection";
  }
  return 0;
}

/*
** The authorizer of the leader's connection (pCtx: its sqlw_db). While the user's SQL is
** being prepared: no change to the protocol's tables in main (names starting with
** "_sqlw_"; reading them is allowed), no temp object under such a name (it would shadow
** them), no write to sqlite_dbpage, no ATTACH of a file, no PRAGMA that undoes
** durability (cePragmaRefused). Whoever prepares: no trigger or view writes the
** protocol's tables. The settings a tab may set are noted (ceSet).
*/
int sqlwAuthorize(void *pCtx, int eAction, const char *z1, const char *z2,
                       const char *zDb, const char *zTrigger){
  sqlw_db *pDb = (sqlw_db*)pCtx;
  if( pDb->pCollect ) sqlwChangesSaw(pDb, eAction, z1, z2);   /* engine_changes.c */
  switch( eAction ){
    case SQLITE_INSERT: case SQLITE_UPDATE: case SQLITE_DELETE:
      if( ceReserved(z1) && zTrigger ){
        return ceDeny(pDb, "a trigger may not write the library's bookkeeping (_sqlw_ tables)");
      }
      if( !ceUserSql ) return SQLITE_OK;
      if( z1 && sqlite3_stricmp(z1, "sqlite_dbpage")==0 ){
        /* Read, the pages make a streamed export; written, they would let a statement
        ** rewrite the file under SQLite and the protocol's records. */
        return ceDeny(pDb, "sqlite_dbpage is read-only here");
      }
      if( ceReserved(z1) && ceMainOrTemp(zDb) ){
        return ceDeny(pDb, "the _sqlw_ tables are the library's bookkeeping (exactly-once "
                           "records): they may be read, not changed");
      }
      return SQLITE_OK;
    case SQLITE_CREATE_TEMP_TABLE: case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TRIGGER: case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_DROP_TEMP_TABLE: case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TRIGGER: case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_DROP_TABLE: case SQLITE_ALTER_TABLE: case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_INDEX: case SQLITE_DROP_INDEX: case SQLITE_CREATE_TRIGGER:
    case SQLITE_DROP_TRIGGER: case SQLITE_CREATE_VIEW: case SQLITE_DROP_VIEW:
      /* The name is z1, or z2 for ALTER TABLE (z1: the schema) and for indexes and
      ** triggers (z1: their own name, z2: their table's). */
      if( ceUserSql && (ceReserved(z1) || ceReserved(z2)) && ceMainOrTemp(zDb) ){
        return ceDeny(pDb, "names starting with _sqlw_ are the library's bookkeeping: "
                           "no object may be made, changed or dropped under them");
      }
      return SQLITE_OK;
    case SQLITE_ATTACH:
      if( ceUserSql && z1 && z1[0] && sqlite3_stricmp(z1, ":memory:")!=0 ){
        return ceDeny(pDb, "only ':memory:' may be attached (ATTACH, VACUUM INTO): a file "
                           "would be made in this database's own storage, outside what its "
                           "leader owns and commits atomically; export() copies a database");
      }
      return SQLITE_OK;
    case SQLITE_PRAGMA:
      if( ceUserSql && z1 && !pDb->bOwn ){
        const char *zWhy;
        int i;
        if( z2 ){
          for(i=0; i<CE_NSETTING; i++){
            if( sqlite3_stricmp(z1, azCeSetting[i])==0 ){
              ceSet.bSaw = 1;
              if( (1u<<i)==CE_CASE_LIKE ) ceSet.bCaseLike = ceIsValue(z2, "1", "on")
                                                          || ceIsValue(z2, "yes", "true");
            }
          }
        }
        zWhy = cePragmaRefused(pDb, z1, z2, zDb);
        if( zWhy ) return ceDeny(pDb, zWhy);
      }
      return SQLITE_OK;
    case SQLITE_TRANSACTION: case SQLITE_SAVEPOINT:
      sqlwTxnSaw(eAction, z1, z2);     /* coord_txn.c asks what a statement does */
      return SQLITE_OK;
    default:
      return SQLITE_OK;
  }
}

/* Reads the connection's settings word (case_sensitive_like: from iCaseLike's bit). */
static uint32_t ceSettingsRead(sqlite3 *db, uint32_t iCaseLike){
  uint32_t w = iCaseLike & CE_CASE_LIKE;
  int i;
  for(i=0; i<CE_NSETTING; i++){
    sqlite3_stmt *pStmt = 0;
    char *zSql;
    if( (1u<<i)==CE_CASE_LIKE ) continue;
    zSql = sqlite3_mprintf("PRAGMA %s", azCeSetting[i]);
    if( zSql && sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0)==SQLITE_OK
     && sqlite3_step(pStmt)==SQLITE_ROW && sqlite3_column_int(pStmt, 0) ){
      w |= 1u<<i;
    }
    sqlite3_finalize(pStmt);
    sqlite3_free(zSql);
  }
  return w;
}

/* Starts the state over for connection pDb: what it has now is its default. */
static void ceSettingsReset(sqlw_db *pDb){
  memset(&ceSet, 0, sizeof(ceSet));
  ceSet.pDb = pDb;
  ceSet.iCur = ceSet.iDefault = ceSettingsRead(sqlwHandle(pDb), 0);
}

/* Makes the connection's settings w (only the ones that differ are set). Returns
** SQLite's code. */
static int ceSettingsApply(sqlw_db *pDb, uint32_t w){
  sqlite3 *db = sqlwHandle(pDb);
  int i, rc = SQLITE_OK;
  if( ceSet.pDb!=pDb ) ceSettingsReset(pDb);
  for(i=0; rc==SQLITE_OK && i<CE_NSETTING; i++){
    uint32_t b = 1u<<i;
    if( (ceSet.iCur ^ w) & b ){
      char *zSql = sqlite3_mprintf("PRAGMA %s=%d", azCeSetting[i], (w & b) ? 1 : 0);
      rc = zSql ? sqlite3_exec(db, zSql, 0, 0, 0) : SQLITE_NOMEM;
      sqlite3_free(zSql);
      if( rc==SQLITE_OK ) ceSet.iCur = (ceSet.iCur & ~b) | (w & b);
    }
  }
  return rc;
}

/* The slot of aClient in the in-memory cache, or -1. */
static int ceSettingsSlot(const unsigned char *aClient){
  int i;
  for(i=0; i<ceSet.nClient; i++){
    if( memcmp(ceSet.aClient[i], aClient, COORD_ID_BYTES)==0 ) return i;
  }
  return -1;
}

/* Remembers aClient's word w in memory (the oldest entry makes room). */
static void ceSettingsRemember(const unsigned char *aClient, uint32_t w){
  int i = ceSettingsSlot(aClient);
  if( i<0 ){
    if( ceSet.nClient==CE_SET_CACHE ){
      memmove(ceSet.aClient[0], ceSet.aClient[1], (CE_SET_CACHE-1)*COORD_ID_BYTES);
      memmove(&ceSet.aWord[0], &ceSet.aWord[1], (CE_SET_CACHE-1)*sizeof(uint32_t));
      ceSet.nClient--;
    }
    i = ceSet.nClient++;
    memcpy(ceSet.aClient[i], aClient, COORD_ID_BYTES);
  }
  ceSet.aWord[i] = w;
}

/* The settings aClient wants: remembered, stored in _sqlw_settings, or the default. */
static uint32_t ceSettingsOf(sqlw_db *pDb, const unsigned char *aClient){
  sqlite3_stmt *pStmt = 0;
  int bCached = 0;
  uint32_t w;
  int i;
  if( ceSet.pDb!=pDb ) ceSettingsReset(pDb);
  i = ceSettingsSlot(aClient);
  if( i>=0 ) return ceSet.aWord[i];
  w = ceSet.iDefault;
  if( !pDb->bPrivate && sqlwPrepareCached(pDb, "SELECT word FROM main._sqlw_settings WHERE client=?1",
                                          &pStmt, &bCached)==SQLITE_OK ){
    sqlite3_bind_blob(pStmt, 1, aClient, COORD_ID_BYTES, SQLITE_STATIC);
    if( sqlite3_step(pStmt)==SQLITE_ROW ) w = (uint32_t)sqlite3_column_int64(pStmt, 0);
    sqlwReleaseCached(pStmt, bCached);
  }
  ceSettingsRemember(aClient, w);
  return w;
}

/* Gives the connection aClient's settings before one of its requests. */
void sqlwSettingsFor(sqlw_db *pDb, const unsigned char *aClient){
  ceSet.bSaw = 0;
  ceSettingsApply(pDb, ceSettingsOf(pDb, aClient));
}

/*
** After a request of aClient whose SQL set a setting: reads what the connection has now
** and, when it changed, makes it aClient's (stored, so the next leader applies it too).
*/
void sqlwSettingsCapture(sqlw_db *pDb, const unsigned char *aClient){
  sqlite3 *db = sqlwHandle(pDb);
  uint32_t w;
  if( !ceSet.bSaw ) return;
  ceSet.bSaw = 0;
  w = ceSettingsRead(db, ceSet.bCaseLike ? CE_CASE_LIKE : 0);
  ceSet.iCur = w;
  if( w==ceSettingsOf(pDb, aClient) ) return;
  ceSettingsRemember(aClient, w);
  if( pDb->bPrivate ) return;            /* one tab: the connection's state is its own */
  if( w & CE_QUERY_ONLY ) sqlite3_exec(db, "PRAGMA query_only=0", 0, 0, 0);
  sqlwRunFor(pDb, "INSERT OR REPLACE INTO main._sqlw_settings(client, word) VALUES(?1, ?2)",
         aClient, (sqlite3_int64)w);
  if( w & CE_QUERY_ONLY ) sqlite3_exec(db, "PRAGMA query_only=1", 0, 0, 0);
}

/* Forgets the settings of aClient, which is gone. Returns SQLite's code. */
int sqlwSettingsForget(sqlw_db *pDb, const unsigned char *aClient){
  int i = ceSettingsSlot(aClient);
  if( i>=0 && ceSet.pDb==pDb ){
    memmove(ceSet.aClient[i], ceSet.aClient[i+1], (size_t)(ceSet.nClient-i-1)*COORD_ID_BYTES);
    memmove(&ceSet.aWord[i], &ceSet.aWord[i+1], (size_t)(ceSet.nClient-i-1)*sizeof(uint32_t));
    ceSet.nClient--;
  }
  if( pDb->bPrivate ) return SQLITE_OK;
  return sqlwRunFor(pDb, "DELETE FROM main._sqlw_settings WHERE client=?1", aClient, 0);
}

/* Lets the engine's own bookkeeping write while the connection is query_only (a client's
** setting): bOn 1 before the write, 0 after it. */
void sqlwBookkeeping(sqlw_db *pDb, int bOn){
  if( ceSet.pDb==pDb && (ceSet.iCur & CE_QUERY_ONLY) ){
    sqlite3_exec(sqlwHandle(pDb), bOn ? "PRAGMA query_only=0" : "PRAGMA query_only=1", 0, 0, 0);
  }
}

void sqlwGuardUser(int bOn){
  ceUserSql = bOn;
}

void sqlwSettingsDefault(sqlw_db *pDb){
  if( ceSet.pDb==pDb ) ceSettingsApply(pDb, ceSet.iDefault);
}
