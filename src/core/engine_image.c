/*
** engine_image.c — a connection's database as one image: export (sqlw_export), import of
** a whole image (sqlw_import) or of one staged in pieces beside the database
** (sqlw_stage_write, sqlw_import_file, sqlw_stage_delete). An image is checked before it
** replaces anything (its header, then a full integrity check on a private copy), and an
** image of another page size lands at the database's own (VACUUM INTO a file of the
** database's VFS, then a backup). Part of the engine (engine.c): see engine_int.h.
*/
#include <string.h>
#include "sqlite3.h"
#include "sqlw.h"
#include "codec.h"
#include "engine_int.h"

/* Returns the main database's page count, or -1 on failure (recorded on pDb). */
static int64_t enginePageCount(sqlw_db *pDb){
  sqlite3_stmt *pStmt = 0;
  int64_t n = -1;
  int rc = sqlite3_prepare_v2(pDb->db, "PRAGMA main.page_count", -1, &pStmt, 0);
  if( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ) n = sqlite3_column_int64(pStmt, 0);
  if( n<0 ) sqlwSetError(pDb, sqlite3_errcode(pDb->db), sqlite3_errmsg(pDb->db), -1);
  sqlite3_finalize(pStmt);
  return n;
}

/* Serializes an empty database with pDb's page size: SQLite writes no page until the
** first change, but an export must be a file that opens as a database. Returns a
** sqlite3_malloc'd image and its size in *pn, or NULL. */
static unsigned char *engineEmptyImage(sqlw_db *pDb, int64_t *pn){
  sqlite3 *db = 0;
  unsigned char *a = 0;
  sqlite3_stmt *pStmt = 0;
  int szPage = 4096;
  char *zSql;
  if( sqlite3_prepare_v2(pDb->db, "PRAGMA main.page_size", -1, &pStmt, 0)==SQLITE_OK
   && sqlite3_step(pStmt)==SQLITE_ROW ){
    szPage = sqlite3_column_int(pStmt, 0);
  }
  sqlite3_finalize(pStmt);
  zSql = sqlite3_mprintf("PRAGMA page_size=%d; CREATE TABLE x(a); DROP TABLE x;", szPage);
  if( zSql
   && sqlite3_open_v2("sqlw-empty", &db, SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE,
                      "memdb")==SQLITE_OK
   && sqlite3_exec(db, zSql, 0, 0, 0)==SQLITE_OK ){
    sqlite3_int64 n = 0;
    a = sqlite3_serialize(db, "main", &n, 0);
    *pn = n;
  }
  if( a==0 ) sqlwSetError(pDb, SQLITE_NOMEM, "out of memory", -1);
  sqlite3_free(zSql);
  sqlite3_close_v2(db);
  return a;
}

unsigned char *sqlw_export(sqlw_db *pDb, int64_t *pnByte){
  unsigned char *a;
  sqlite3_int64 n = 0;
  int64_t nPage;
  *pnByte = 0;
  if( pDb==0 ) return 0;
  if( pDb->db==0 ){
    sqlwSetError(pDb, SQLITE_MISUSE, "the database is not open", -1);
    return 0;
  }
  nPage = enginePageCount(pDb);
  if( nPage<0 ) return 0;
  if( nPage==0 ){
    a = engineEmptyImage(pDb, pnByte);
  }else{
    a = sqlite3_serialize(pDb->db, "main", &n, 0);
    if( a==0 ){
      int rc = sqlite3_errcode(pDb->db);
      sqlwSetError(pDb, rc ? rc : SQLITE_NOMEM,
                     rc ? sqlite3_errmsg(pDb->db) : "out of memory", -1);
      return 0;
    }
    *pnByte = n;
  }
  if( a && *pnByte>=20 ){
    /* A standalone file: a WAL-mode header would make readers look for a -wal file. */
    if( a[18]==2 ) a[18] = 1;
    if( a[19]==2 ) a[19] = 1;
  }
  if( a ) sqlwSetError(pDb, SQLITE_OK, 0, -1);
  return a;
}

/*
** Checks the 100-byte header of a database image a[0..n) against the file format.
** Returns NULL if it is plausible, else a static message saying why it is not.
*/
static const char *engineCheckHeader(const unsigned char *a, size_t n){
  uint32_t szPage;
  if( n==0 ) return "the image is empty";
  if( n<512 || memcmp(a, "SQLite format 3", 16)!=0 ){
    return "the image does not start with the SQLite file header";
  }
  szPage = (uint32_t)a[16]<<8 | a[17];
  if( szPage==1 ) szPage = 65536;
  if( szPage<512 || szPage>65536 || (szPage & (szPage-1))!=0 ){
    return "the image's page size is invalid";
  }
  if( n%szPage!=0 ) return "the image's size is not a whole number of pages";
  if( a[18]<1 || a[18]>2 || a[19]<1 || a[19]>2 ){
    return "the image's file format version is unknown";
  }
  if( a[21]!=64 || a[22]!=32 || a[23]!=32 || a[20]>szPage-480 ){
    return "the image's header fields are invalid";
  }
  if( a[56]!=0 || a[57]!=0 || a[58]!=0 || a[59]>1 ){
    /* The core is UTF-8 only (SQLITE_OMIT_UTF16); a UTF-16 database would load but
    ** break the connection that imports it. */
    return "the image's text encoding is not UTF-8 (UTF-16 databases are not supported)";
  }
  return 0;
}

int sqlwProgress(void *pArg);

/*
** Finishes loading an image into connection db (rc: how the load went so far) and runs
** PRAGMA integrity_check on it, under pDb's deadline. Returns SQLITE_OK, or an error
** recorded in r: whatever stops the image from loading or checking is the image's
** defect (SQLITE_CORRUPT, SQLITE_NOTADB), except running out of memory.
*/
static int engineCheckImage(Req *r, sqlite3 *db, int rc){
  sqlite3_stmt *pStmt = 0;
  if( rc==SQLITE_OK && r->pDb->rDeadline>0 ){
    sqlite3_progress_handler(db, SQLW_PROGRESS_OPS, sqlwProgress, r->pDb);
  }
  if( rc==SQLITE_OK ){
    rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &pStmt, 0);
  }
  if( rc==SQLITE_OK ){
    rc = sqlite3_step(pStmt);
    if( rc==SQLITE_ROW ){
      const char *z = (const char*)sqlite3_column_text(pStmt, 0);
      if( z && strcmp(z, "ok")==0 ){
        rc = SQLITE_OK;
      }else{
        char *zMsg = sqlite3_mprintf("the image is not a sound SQLite database "
                                     "(integrity check: %s)", z ? z : "no answer");
        sqlwReqFailOwned(r, SQLITE_CORRUPT, zMsg);
        rc = SQLITE_CORRUPT;
      }
    }else if( rc==SQLITE_DONE ){
      rc = SQLITE_OK;
    }
  }
  if( rc && (rc & 0xff)==SQLITE_INTERRUPT && r->rc==SQLITE_OK ){
    sqlwReqFail(r, SQLITE_INTERRUPT, "interrupted", -1);
  }
  if( rc && r->rc==SQLITE_OK ){
    char *zMsg = sqlite3_mprintf("the image is not a sound SQLite database (%s)",
                                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    /* A malformed schema (SQLITE_ERROR, say) is a defect of the image too. */
    int rcImg = (rc & 0xff)==SQLITE_NOMEM ? SQLITE_NOMEM :
                (rc & 0xff)==SQLITE_NOTADB ? SQLITE_NOTADB : SQLITE_CORRUPT;
    sqlwReqFailOwned(r, rcImg, zMsg);
  }
  sqlite3_finalize(pStmt);
  if( db ) sqlite3_progress_handler(db, 0, 0, 0);
  return rc;
}

/*
** Loads the image into a private memory database and runs PRAGMA integrity_check on it.
** Returns SQLITE_OK with the loaded connection in *pdb (caller closes it), or an error
** recorded in r (and *pdb NULL).
*/
static int engineLoadChecked(Req *r, const unsigned char *a, size_t n, sqlite3 **pdb){
  sqlite3 *db = 0;
  unsigned char *aCopy;
  int rc;
  *pdb = 0;
  aCopy = sqlite3_malloc64(n);
  if( aCopy==0 ){
    sqlwReqFail(r, SQLITE_NOMEM, 0, -1);
    return SQLITE_NOMEM;
  }
  memcpy(aCopy, a, n);
  aCopy[18] = aCopy[19] = 1;     /* memdb has no WAL: read it as a rollback database */
  rc = sqlite3_open_v2("sqlw-import", &db, SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE
                       |SQLITE_OPEN_EXRESCODE|SQLITE_OPEN_URI, "memdb");
  if( rc==SQLITE_OK ){
    rc = sqlite3_deserialize(db, "main", aCopy, (sqlite3_int64)n, (sqlite3_int64)n,
                             SQLITE_DESERIALIZE_FREEONCLOSE|SQLITE_DESERIALIZE_RESIZEABLE);
    aCopy = 0;                   /* owned by db now, even on failure */
  }
  sqlite3_free(aCopy);
  rc = engineCheckImage(r, db, rc);
  if( rc ){
    sqlite3_close_v2(db);
    return rc;
  }
  *pdb = db;
  return SQLITE_OK;
}

/* True if the main database of db lives on SQLite's memdb VFS. */
static int engineIsMemdb(sqlite3 *db){
  sqlite3_vfs *pVfs = 0;
  sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &pVfs);
  return pVfs && strcmp(pVfs->zName, "memdb")==0;
}

/* Appends z to pOut as URI text: bytes other than letters, digits and -._~/ as %XX. */
static void engineUriText(sqlite3_str *pOut, const char *z){
  static const char zHex[] = "0123456789ABCDEF";
  for(; *z; z++){
    unsigned char c = (unsigned char)*z;
    if( (c>='a' && c<='z') || (c>='A' && c<='Z') || (c>='0' && c<='9') || strchr("-._~/", c) ){
      sqlite3_str_appendchar(pOut, 1, (char)c);
    }else{
      sqlite3_str_appendchar(pOut, 1, '%');
      sqlite3_str_appendchar(pOut, 1, zHex[c>>4]);
      sqlite3_str_appendchar(pOut, 1, zHex[c&15]);
    }
  }
}

/* The SQL that copies a connection's main database into file zPath of VFS zVfs at page
** size szPage (a URI names the VFS: the source may be on another one). The connection
** must have been opened with SQLITE_OPEN_URI. sqlite3_malloc'd, or NULL. */
static char *engineVacuumInto(int szPage, const char *zPath, const char *zVfs){
  sqlite3_str *pUri = sqlite3_str_new(0);
  char *zUri, *zSql;
  sqlite3_str_appendall(pUri, "file:");
  engineUriText(pUri, zPath);
  sqlite3_str_appendall(pUri, "?vfs=");
  engineUriText(pUri, zVfs);
  zUri = sqlite3_str_finish(pUri);
  zSql = zUri ? sqlite3_mprintf("PRAGMA main.page_size=%d; VACUUM INTO %Q", szPage, zUri) : 0;
  sqlite3_free(zUri);
  return zSql;
}

/* The page size of db's main database, or 0 when it cannot be read. */
static int enginePageSize(sqlite3 *db){
  sqlite3_stmt *pStmt = 0;
  int sz = 0;
  if( sqlite3_prepare_v2(db, "PRAGMA main.page_size", -1, &pStmt, 0)==SQLITE_OK
   && sqlite3_step(pStmt)==SQLITE_ROW ){
    sz = sqlite3_column_int(pStmt, 0);
  }
  sqlite3_finalize(pStmt);
  return sz;
}

/* The name of the copy of staged image zPath rebuilt at another page size. */
static char *engineResizedPath(const char *zPath){
  return sqlite3_mprintf("%s-resized", zPath);
}

/* Deletes zPath on pVfs if it exists. Returns SQLite's code. */
static int engineDeleteIfAny(sqlite3_vfs *pVfs, const char *zPath){
  int bExists = 0;
  int rc = pVfs->xAccess(pVfs, zPath, SQLITE_ACCESS_EXISTS, &bExists);
  if( rc==SQLITE_OK && bExists ) rc = pVfs->xDelete(pVfs, zPath, 0);
  return rc==SQLITE_IOERR_DELETE_NOENT ? SQLITE_OK : rc;
}

/*
** Gives the image in *pdbSrc the page size of pDb's database when they differ: a WAL
** database cannot change its page size, not even through a backup, so the image comes
** to the database's. (A memory database takes the image's own: engineReplace.) The
** image is copied page by page by VACUUM INTO zResized on pVfs (the database's VFS:
** VACUUM on a memdb image keeps its page size), which then replaces *pdbSrc, read-only:
** no further copy of it is held in memory. Returns SQLITE_OK, or an error recorded in r.
*/
static int engineMatchPageSize(Req *r, sqlw_db *pDb, sqlite3 **pdbSrc, sqlite3_vfs *pVfs,
                               const char *zResized){
  int szDst, szSrc, rc;
  char *zSql;
  if( engineIsMemdb(pDb->db) ) return SQLITE_OK;
  szDst = enginePageSize(pDb->db);
  szSrc = enginePageSize(*pdbSrc);
  if( szDst==0 || szSrc==0 || szDst==szSrc ) return SQLITE_OK;
  rc = engineDeleteIfAny(pVfs, zResized);
  zSql = engineVacuumInto(szDst, zResized, pVfs->zName);
  if( rc==SQLITE_OK ) rc = zSql ? SQLITE_OK : SQLITE_NOMEM;
  if( rc==SQLITE_OK && r->pDb->rDeadline>0 ){
    sqlite3_progress_handler(*pdbSrc, SQLW_PROGRESS_OPS, sqlwProgress, r->pDb);
  }
  if( rc==SQLITE_OK ) rc = sqlite3_exec(*pdbSrc, zSql, 0, 0, 0);
  sqlite3_progress_handler(*pdbSrc, 0, 0, 0);
  sqlite3_free(zSql);
  if( rc==SQLITE_OK ){
    sqlite3_close_v2(*pdbSrc);
    *pdbSrc = 0;
    rc = sqlite3_open_v2(zResized, pdbSrc, SQLITE_OPEN_READONLY|SQLITE_OPEN_EXRESCODE, pVfs->zName);
  }
  if( rc ){
    char *zMsg = sqlite3_mprintf("cannot bring the image's %d-byte pages to the database's %d "
                                 "(%s)", szSrc, szDst, *pdbSrc ? sqlite3_errmsg(*pdbSrc)
                                                                : sqlite3_errstr(rc));
    sqlwReqFailOwned(r, (rc & 0xff)==SQLITE_INTERRUPT ? SQLITE_INTERRUPT : rc, zMsg);
  }
  return rc;
}

/*
** Replaces pDb's main database with dbSrc's, copied page by page inside one write
** transaction of the destination: either the whole image lands or, on any error, the
** old database stays as it was. The copy holds no more than SQLite's page cache in
** memory (WAL: pages spill into the log before the commit).
*/
static void engineReplace(Req *r, sqlw_db *pDb, sqlite3 *dbSrc){
  sqlite3_backup *pBackup;
  int rc;
  sqlwCacheClear(pDb);
  pBackup = sqlite3_backup_init(pDb->db, "main", dbSrc, "main");
  if( pBackup==0 ){
    sqlwReqFailDb(r, sqlite3_extended_errcode(pDb->db), -1);
    return;
  }
  rc = sqlite3_backup_step(pBackup, -1);
  sqlite3_backup_finish(pBackup);
  if( rc==SQLITE_READONLY && engineIsMemdb(pDb->db) ){
    /* An in-memory destination cannot change its page size through a backup;
    ** there is no journal to protect, so load the image directly instead. */
    sqlite3_int64 nImg = 0;
    unsigned char *aImg = sqlite3_serialize(dbSrc, "main", &nImg, 0);
    rc = aImg ? sqlite3_deserialize(pDb->db, "main", aImg, nImg, nImg,
                   SQLITE_DESERIALIZE_FREEONCLOSE|SQLITE_DESERIALIZE_RESIZEABLE)
              : SQLITE_NOMEM;
  }
  if( rc!=SQLITE_DONE && rc!=SQLITE_OK ) sqlwReqFailDb(r, rc, -1);
}

/* Begins an import request: the connection is usable and outside a transaction. */
static int engineImportBegin(Req *r, sqlw_db *pDb){
  sqlwReqBegin(r, pDb);
  if( !sqlwReqUsable(r) ) return 0;
  if( !sqlite3_get_autocommit(pDb->db) ){
    sqlwReqFail(r, SQLITE_BUSY, "cannot import while a transaction is open", -1);
    return 0;
  }
  return 1;
}

static int engineStageOpen(sqlite3_vfs*, const char*, int, sqlite3_file**, sqlite3_filename*);
static void engineStageClose(sqlite3_file*, sqlite3_filename);

/*
** sqlw_import's path for an image (checked, loaded in *pdbSrc) whose page size is not
** that of pDb's database on storage: VACUUM cannot change a memdb image's page size, so
** the image is written to a file beside the database ("<db>.import-whole"), copied from
** there at the database's page size (engineMatchPageSize), and copied in. Both files
** are removed after. Failures are recorded in r.
*/
static void engineImportResized(Req *r, sqlw_db *pDb, const unsigned char *a, size_t n,
                                sqlite3 **pdbSrc){
  sqlite3_vfs *pVfs = 0;
  sqlite3_file *pFile = 0;
  sqlite3_filename zName = 0;
  const char *zDb = sqlite3_db_filename(pDb->db, "main");
  char *zWhole = sqlite3_mprintf("%s.import-whole", zDb ? zDb : "");
  char *zResized = zWhole ? engineResizedPath(zWhole) : 0;
  int rc = zResized ? SQLITE_OK : SQLITE_NOMEM;
  sqlite3_file_control(pDb->db, "main", SQLITE_FCNTL_VFS_POINTER, &pVfs);
  if( rc==SQLITE_OK && pVfs==0 ) rc = SQLITE_MISUSE;
  if( rc==SQLITE_OK ) rc = engineStageOpen(pVfs, zWhole, 1, &pFile, &zName);
  if( rc==SQLITE_OK ) rc = pFile->pMethods->xTruncate(pFile, 0);
  if( rc==SQLITE_OK ){
    /* In pieces (xWrite takes an int); a standalone file: no WAL-mode header. */
    static const unsigned char aOne[2] = { 1, 1 };
    size_t i;
    for(i=0; rc==SQLITE_OK && i<n; i+=0x10000000){
      size_t m = n-i<0x10000000 ? n-i : 0x10000000;
      rc = pFile->pMethods->xWrite(pFile, a+i, (int)m, (sqlite3_int64)i);
    }
    if( rc==SQLITE_OK ) rc = pFile->pMethods->xWrite(pFile, aOne, 2, 18);
  }
  engineStageClose(pFile, zName);
  if( rc ){
    sqlwReqFailOwned(r, rc, sqlite3_mprintf("cannot write the image beside the database to bring "
                                        "it to the database's page size: %s", sqlite3_errstr(rc)));
  }else{
    sqlite3_close_v2(*pdbSrc);
    *pdbSrc = 0;
    rc = sqlite3_open_v2(zWhole, pdbSrc, SQLITE_OPEN_READONLY|SQLITE_OPEN_EXRESCODE
                         |SQLITE_OPEN_URI, pVfs->zName);
    if( rc ){
      sqlwReqFailOwned(r, rc, sqlite3_mprintf("cannot open the image written beside the database: "
                                          "%s", *pdbSrc ? sqlite3_errmsg(*pdbSrc) : sqlite3_errstr(rc)));
    }else if( engineMatchPageSize(r, pDb, pdbSrc, pVfs, zResized)==SQLITE_OK ){
      engineReplace(r, pDb, *pdbSrc);
    }
    sqlite3_close_v2(*pdbSrc);
    *pdbSrc = 0;
  }
  if( pVfs && zWhole ) engineDeleteIfAny(pVfs, zWhole);
  if( pVfs && zResized ) engineDeleteIfAny(pVfs, zResized);
  sqlite3_free(zWhole);
  sqlite3_free(zResized);
}

int sqlw_import(sqlw_db *pDb, const unsigned char *a, size_t n){
  Req r;
  sqlite3 *dbSrc = 0;
  const char *zWhy;

  if( pDb==0 ) return SQLITE_MISUSE;
  if( !engineImportBegin(&r, pDb) ) return sqlwReqFinish(&r);
  zWhy = engineCheckHeader(a, n);
  if( zWhy ){
    sqlwReqFailOwned(&r, SQLITE_NOTADB, sqlite3_mprintf("not a SQLite database: %s", zWhy));
    return sqlwReqFinish(&r);
  }
  if( engineLoadChecked(&r, a, n, &dbSrc) ) return sqlwReqFinish(&r);
  if( !engineIsMemdb(pDb->db) && enginePageSize(dbSrc)!=enginePageSize(pDb->db) ){
    engineImportResized(&r, pDb, a, n, &dbSrc);
  }else{
    engineReplace(&r, pDb, dbSrc);
  }
  sqlite3_close_v2(dbSrc);
  return sqlwReqFinish(&r);
}

/* ---- Staged imports ----------------------------------------------------------------
** A streamed import writes the image, piece by piece, into a staging file beside the
** database (same VFS), so no step holds more of it than one piece; the file is then
** checked and copied in (sqlw_import_file). The file is opened for each step: it is
** state on storage, not in this connection, so a new leader goes on with it. */

/* The VFS of pDb's main database, or NULL (recorded in r) for a memory database. */
static sqlite3_vfs *engineStageVfs(Req *r, sqlw_db *pDb){
  sqlite3_vfs *pVfs = 0;
  sqlite3_file_control(pDb->db, "main", SQLITE_FCNTL_VFS_POINTER, &pVfs);
  if( pVfs==0 || engineIsMemdb(pDb->db) ){
    sqlwReqFail(r, SQLITE_MISUSE, "a memory database imports an image whole, not staged", -1);
    return 0;
  }
  return pVfs;
}

/* Opens the staging file zPath (creating it with bCreate) into *ppFile (free it with
** engineStageClose). Returns SQLite's code. */
static int engineStageOpen(sqlite3_vfs *pVfs, const char *zPath, int bCreate,
                           sqlite3_file **ppFile, sqlite3_filename *pzName){
  sqlite3_file *pFile;
  sqlite3_filename zName;
  int rc;
  *ppFile = 0;
  *pzName = 0;
  zName = sqlite3_create_filename(zPath, "", "", 0, 0);
  pFile = sqlite3_malloc(pVfs->szOsFile);
  if( zName==0 || pFile==0 ){
    sqlite3_free_filename(zName);
    sqlite3_free(pFile);
    return SQLITE_NOMEM;
  }
  memset(pFile, 0, pVfs->szOsFile);
  rc = pVfs->xOpen(pVfs, zName, pFile, SQLITE_OPEN_MAIN_DB|SQLITE_OPEN_READWRITE
                   |(bCreate ? SQLITE_OPEN_CREATE : 0), 0);
  if( rc ){
    if( pFile->pMethods ) pFile->pMethods->xClose(pFile);
    sqlite3_free(pFile);
    sqlite3_free_filename(zName);
    return rc;
  }
  *ppFile = pFile;
  *pzName = zName;
  return SQLITE_OK;
}

static void engineStageClose(sqlite3_file *pFile, sqlite3_filename zName){
  if( pFile ){
    if( pFile->pMethods ) pFile->pMethods->xClose(pFile);
    sqlite3_free(pFile);
  }
  sqlite3_free_filename(zName);
}

/* The message of a staging failure with code rc. */
static void engineStageFail(Req *r, int rc, const char *zWhat){
  if( (rc & 0xff)==SQLITE_CANTOPEN ){
    sqlwReqFail(r, SQLITE_ABORT, "the import's staged bytes are gone (another tab's import "
            "replaced them, or its tab was taken for gone): import again", -1);
  }else{
    sqlwReqFailOwned(r, rc, sqlite3_mprintf("cannot %s the import's staging file: %s",
                                        zWhat, sqlite3_errstr(rc)));
  }
}

int sqlw_stage_write(sqlw_db *pDb, const char *zPath, int64_t iOff,
                     const unsigned char *a, size_t n){
  Req r;
  sqlite3_vfs *pVfs;
  sqlite3_file *pFile = 0;
  sqlite3_filename zName = 0;
  int rc;
  if( pDb==0 ) return SQLITE_MISUSE;
  sqlwReqBegin(&r, pDb);
  if( !sqlwReqUsable(&r) || (pVfs = engineStageVfs(&r, pDb))==0 ) return sqlwReqFinish(&r);
  if( iOff<0 || n>0x40000000 ){
    sqlwReqFail(&r, SQLITE_MISUSE, "a staged piece's offset or size is out of range", -1);
    return sqlwReqFinish(&r);
  }
  /* The first piece begins the file (a stale one is cut back); a later piece goes
  ** only where the first one began it. */
  rc = engineStageOpen(pVfs, zPath, iOff==0, &pFile, &zName);
  if( rc==SQLITE_OK && iOff==0 ) rc = pFile->pMethods->xTruncate(pFile, 0);
  if( rc==SQLITE_OK && n>0 ) rc = pFile->pMethods->xWrite(pFile, a, (int)n, iOff);
  engineStageClose(pFile, zName);
  if( rc ) engineStageFail(&r, rc, "write");
  return sqlwReqFinish(&r);
}

int sqlw_stage_delete(sqlw_db *pDb, const char *zPath){
  Req r;
  sqlite3_vfs *pVfs = 0;
  int rc;
  if( pDb==0 ) return SQLITE_MISUSE;
  sqlwReqBegin(&r, pDb);
  if( !sqlwReqUsable(&r) ) return sqlwReqFinish(&r);
  sqlite3_file_control(pDb->db, "main", SQLITE_FCNTL_VFS_POINTER, &pVfs);
  if( pVfs==0 || engineIsMemdb(pDb->db) ) return sqlwReqFinish(&r);
  rc = engineDeleteIfAny(pVfs, zPath);
  if( rc==SQLITE_OK ){
    char *zResized = engineResizedPath(zPath);      /* a crash may have left it */
    rc = zResized ? engineDeleteIfAny(pVfs, zResized) : SQLITE_NOMEM;
    sqlite3_free(zResized);
  }
  if( rc ) engineStageFail(&r, rc, "delete");
  return sqlwReqFinish(&r);
}

int sqlw_import_file(sqlw_db *pDb, const char *zPath, int64_t nExpected){
  Req r;
  sqlite3_vfs *pVfs;
  sqlite3_file *pFile = 0;
  sqlite3_filename zName = 0;
  sqlite3 *dbSrc = 0;
  sqlite3_int64 nFile = 0;
  unsigned char aHdr[100];
  const char *zWhy = 0;
  int rc;

  if( pDb==0 ) return SQLITE_MISUSE;
  if( !engineImportBegin(&r, pDb) || (pVfs = engineStageVfs(&r, pDb))==0 ){
    return sqlwReqFinish(&r);
  }
  memset(aHdr, 0, sizeof(aHdr));
  rc = engineStageOpen(pVfs, zPath, 0, &pFile, &zName);
  if( rc==SQLITE_OK ) rc = pFile->pMethods->xFileSize(pFile, &nFile);
  if( rc==SQLITE_OK && nFile>=(sqlite3_int64)sizeof(aHdr) ){
    rc = pFile->pMethods->xRead(pFile, aHdr, (int)sizeof(aHdr), 0);
  }
  if( rc==SQLITE_OK && nFile!=nExpected ){
    zWhy = "the staged image's size is not the stream's: pieces are missing";
  }else if( rc==SQLITE_OK ){
    zWhy = engineCheckHeader(aHdr, nFile<0 ? 0 : (size_t)nFile);
  }
  if( rc==SQLITE_OK && zWhy==0 && (aHdr[18]!=1 || aHdr[19]!=1) ){
    /* A standalone file: a WAL-mode header would make SQLite look for a -wal file. */
    static const unsigned char aOne[2] = { 1, 1 };
    rc = pFile->pMethods->xWrite(pFile, aOne, 2, 18);
  }
  engineStageClose(pFile, zName);
  if( rc ){
    engineStageFail(&r, rc, "read");
    return sqlwReqFinish(&r);
  }
  if( zWhy ){
    sqlwReqFailOwned(&r, nFile==nExpected ? SQLITE_NOTADB : SQLITE_ABORT,
                 nFile==nExpected ? sqlite3_mprintf("not a SQLite database: %s", zWhy)
                                  : sqlite3_mprintf("%s", zWhy));
    return sqlwReqFinish(&r);
  }
  rc = sqlite3_open_v2(zPath, &dbSrc, SQLITE_OPEN_READONLY|SQLITE_OPEN_EXRESCODE|SQLITE_OPEN_URI,
                       pVfs->zName);
  if( engineCheckImage(&r, dbSrc, rc)==SQLITE_OK ){
    char *zResized = engineResizedPath(zPath);
    if( zResized==0 ){
      sqlwReqFail(&r, SQLITE_NOMEM, 0, -1);
    }else if( engineMatchPageSize(&r, pDb, &dbSrc, pVfs, zResized)==SQLITE_OK ){
      engineReplace(&r, pDb, dbSrc);
    }
    sqlite3_close_v2(dbSrc);
    dbSrc = 0;
    if( zResized ) engineDeleteIfAny(pVfs, zResized);
    sqlite3_free(zResized);
  }
  sqlite3_close_v2(dbSrc);
  return sqlwReqFinish(&r);
}
