/*
** test_changes.c — change capture (engine_changes.c): the tables each commit changed,
** where SQLite's update hook would miss them (REPLACE's deletes, WITHOUT ROWID, DELETE
** without WHERE, a trigger's writes, a foreign-key cascade, FTS5's shadow tables), no
** commit for what changed nothing, one for a transaction, none for what was rolled back,
** and a live query's read set taken again when SQLite re-prepares its statement.
*/
#include <stdio.h>
#include <string.h>

#include "sqlite3.h"
#include "support.h"
#include "engine_int.h"
#include "coord_guard.h"

/* What sqlwChangesTake gave: its commits, flags and names ("a,b"), or n = 0 for none. */
typedef struct Taken {
  int n;                  /* 1 when a notice was taken */
  uint32_t iFirst, iLast, flags;
  char zNames[512];
} Taken;

static uint32_t get32(const unsigned char *a){
  return (uint32_t)a[0] | (uint32_t)a[1]<<8 | (uint32_t)a[2]<<16 | (uint32_t)a[3]<<24;
}

/* Appends the name list at a (u32 count, then u32 n + bytes each) to z, comma separated. */
static void namesAt(const unsigned char *a, size_t nAvail, char *z, size_t nz){
  uint32_t i, nName = get32(a);
  size_t off = 4;
  z[0] = 0;
  for(i=0; i<nName && off+4<=nAvail; i++){
    uint32_t n = get32(a+off);
    size_t len = strlen(z);
    snprintf(z+len, nz-len, "%s%.*s", i ? "," : "", (int)n, (const char*)a+off+4);
    off += 4+n;
  }
}

/* Takes the committed changes of pDb (as the leader does once per task). */
static Taken take(sqlw_db *pDb){
  Taken t;
  SqlwBuf b;
  memset(&t, 0, sizeof(t));
  memset(&b, 0, sizeof(b));
  if( sqlwChangesTake(pDb, &b) ){
    uint32_t nWriter = get32(b.a+12);
    t.n = 1;
    t.iFirst = get32(b.a);
    t.iLast = get32(b.a+4);
    t.flags = get32(b.a+8);
    namesAt(b.a+16+nWriter*16, b.n-16-nWriter*16, t.zNames, sizeof(t.zNames));
  }
  sqlwBufFree(&b);
  return t;
}

/* A memory database with the leader's authorizer (which reports to the change capture). */
static sqlw_db *openCapturing(void){
  sqlw_db *pDb = testOpenMem();
  if( pDb ) sqlite3_set_authorizer(sqlwHandle(pDb), sqlwAuthorize, pDb);
  return pDb;
}

TEST(changes100, "changes-100 each commit names what it changed, where the update hook would miss it"){
  static const struct { const char *zWrite; const char *zNames; } aCase[] = {
    { "INSERT INTO src VALUES ('a')", "src,audit" },                /* a trigger's write */
    { "DELETE FROM p WHERE id = 1", "p,c" },                         /* an FK cascade */
    { "INSERT OR REPLACE INTO r VALUES ('k', 2)", "r" },             /* REPLACE's delete */
    { "INSERT INTO w VALUES ('a', 1)", "w" },                        /* WITHOUT ROWID */
    { "DELETE FROM d", "d" },                                        /* the truncate optimisation */
    { "INSERT INTO f VALUES ('hello world')", "f" },                 /* FTS5, under its own name */
  };
  sqlw_db *pDb = openCapturing();
  Taken t;
  size_t i;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "PRAGMA foreign_keys = ON"));
  REQUIRE(testOk(pDb,
    "CREATE TABLE src(v); CREATE TABLE audit(m);"
    "CREATE TRIGGER tr AFTER INSERT ON src BEGIN INSERT INTO audit VALUES (new.v); END;"
    "CREATE TABLE p(id INTEGER PRIMARY KEY); CREATE TABLE c(id INTEGER PRIMARY KEY, pid REFERENCES p(id) ON DELETE CASCADE);"
    "INSERT INTO p VALUES (1); INSERT INTO c VALUES (10, 1);"
    "CREATE TABLE r(k TEXT PRIMARY KEY, v); INSERT INTO r VALUES ('k', 1);"
    "CREATE TABLE w(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
    "CREATE TABLE d(v); INSERT INTO d VALUES (1), (2);"
    "CREATE VIRTUAL TABLE f USING fts5(body)"));
  t = take(pDb);
  CHECK_INT(t.n, 1);
  CHECK(t.flags & COORD_CHANGES_SCHEMA);
  for(i=0; i<sizeof(aCase)/sizeof(aCase[0]); i++){
    REQUIRE(testOk(pDb, aCase[i].zWrite));
    t = take(pDb);
    CHECK_INT(t.n, 1);
    CHECK_INT(t.iFirst, t.iLast);                 /* one commit */
    CHECK_INT(t.flags, 0);
    CHECK_STR(t.zNames, aCase[i].zNames);
  }
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM c"), 0);
  /* What changed nothing commits nothing: a read, an UPDATE of no row, a DELETE of an
  ** empty table, a CREATE TABLE IF NOT EXISTS of a table that exists. */
  REQUIRE(testOk(pDb, "SELECT * FROM src"));
  REQUIRE(testOk(pDb, "UPDATE src SET v = 1 WHERE 0"));
  REQUIRE(testOk(pDb, "DELETE FROM d"));
  REQUIRE(testOk(pDb, "CREATE TABLE IF NOT EXISTS src(v)"));
  CHECK_INT(take(pDb).n, 0);
  /* A schema change names its table and says so; the schema table is not named. */
  REQUIRE(testOk(pDb, "DROP TABLE d"));
  t = take(pDb);
  CHECK_INT(t.flags & COORD_CHANGES_SCHEMA, COORD_CHANGES_SCHEMA);
  CHECK_STR(t.zNames, "d");
  /* Names past SQLW_NAMES_BYTES: the notice says "every table" and names none. */
  {
    static char zSql[SQLW_NAMES_BYTES+200];
    int n = snprintf(zSql, sizeof(zSql), "CREATE TABLE \"");
    memset(zSql+n, 'x', SQLW_NAMES_BYTES+10);
    snprintf(zSql+n+SQLW_NAMES_BYTES+10, 40, "\"(v)");
    REQUIRE(testOk(pDb, zSql));
    t = take(pDb);
    CHECK_INT(t.flags, COORD_CHANGES_SCHEMA|COORD_CHANGES_ALL);
    CHECK_STR(t.zNames, "");
  }
}

TEST(changes110, "changes-110 a transaction is one commit of the union; a rollback or an undone request leaves nothing; commits count up"){
  sqlw_db *pDb = openCapturing();
  Taken t;
  SqlwSavepoint sp;
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE a(v); CREATE TABLE b(v); CREATE TABLE c(v)"));
  t = take(pDb);
  CHECK_INT(t.n, 1);
  REQUIRE(testOk(pDb, "BEGIN; INSERT INTO a VALUES (1); INSERT INTO b VALUES (1); COMMIT"));
  REQUIRE(testOk(pDb, "BEGIN; INSERT INTO c VALUES (1); ROLLBACK"));
  t = take(pDb);
  CHECK_INT(t.n, 1);
  CHECK_INT(t.iLast, t.iFirst);
  CHECK_STR(t.zNames, "a,b");
  /* A request's savepoint that began the transaction, undone: nothing of it counts. */
  REQUIRE(sqlwSavepointBegin(&sp, sqlwHandle(pDb), "_sqlw_request")==SQLITE_OK);
  REQUIRE(testOk(pDb, "INSERT INTO c VALUES (2)"));
  sqlwSavepointUndo(&sp);
  CHECK_INT(take(pDb).n, 0);
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM c"), 0);
  /* Two commits before a take: one notice, both counted, the names merged. */
  REQUIRE(testOk(pDb, "INSERT INTO a VALUES (2)"));
  REQUIRE(testOk(pDb, "INSERT INTO c VALUES (3)"));
  {
    uint32_t iBefore = t.iLast;
    t = take(pDb);
    CHECK_INT(t.iFirst, iBefore+1);
    CHECK_INT(t.iLast, iBefore+2);
    CHECK_STR(t.zNames, "a,c");
  }
  /* A new leadership counts from 1 again. */
  sqlwChangesEpoch(pDb, 7);
  REQUIRE(testOk(pDb, "INSERT INTO b VALUES (3)"));
  t = take(pDb);
  CHECK_INT(t.iFirst, 1);
  CHECK_INT(t.iLast, 1);
}

/* Runs zSql as a live query's run; returns the names of its read set ("a,b"). */
static void liveReads(sqlw_db *pDb, const char *zSql, char *z, size_t nz){
  SqlwBuf b;
  memset(&b, 0, sizeof(b));
  pDb->chg.bLive = 1;
  sqlw_exec(pDb, zSql, strlen(zSql), 0, 0);
  pDb->chg.bLive = 0;
  sqlwChangesLiveTrailer(pDb, &b);
  z[0] = 0;
  if( b.n>=SQLW_LIVE_TRAILER+4 ) namesAt(b.a+SQLW_LIVE_TRAILER, b.n-SQLW_LIVE_TRAILER, z, nz);
  sqlwTablesFree(&pDb->chg.live);
  sqlwBufFree(&b);
}

TEST(changes120, "changes-120 a live query's read set: a view's tables, taken again when SQLite re-prepares the cached statement"){
  sqlw_db *pDb = openCapturing();
  char z[256];
  REQUIRE(pDb);
  REQUIRE(testOk(pDb, "CREATE TABLE x(v); CREATE TABLE y(v); CREATE TABLE z(v);"
                      "CREATE VIEW v AS SELECT v FROM x UNION ALL SELECT v FROM y"));
  liveReads(pDb, "SELECT count(*) FROM v", z, sizeof(z));
  CHECK_STR(z, "y,x");
  liveReads(pDb, "SELECT count(*) FROM v", z, sizeof(z));         /* cached: the same */
  CHECK_STR(z, "y,x");
  REQUIRE(testOk(pDb, "DROP VIEW v; CREATE VIEW v AS SELECT v FROM z"));
  liveReads(pDb, "SELECT count(*) FROM v", z, sizeof(z));         /* re-prepared as it ran */
  CHECK_STR(z, "z");
  /* A live query is one statement that only reads. */
  pDb->chg.bLive = 1;
  CHECK_RC(sqlw_exec(pDb, "INSERT INTO x VALUES (1)", 24, 0, 0), SQLITE_MISUSE);
  CHECK_RC(sqlw_exec(pDb, "SELECT 1; SELECT 2", 18, 0, 0), SQLITE_MISUSE);
  pDb->chg.bLive = 0;
  CHECK_INT(testInt(pDb, "SELECT count(*) FROM x"), 0);
}
