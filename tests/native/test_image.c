/*
** test_image.c — sqlw_export() and sqlw_import(): round trips into memdb and into a host
** file, and an abuse block of images that are not sound databases, each of which must be
** refused while the old database stays readable with its old rows.
*/
#include <string.h>
#include <unistd.h>

#include "sqlite3.h"
#include "support.h"

/* Fills pDb with a table of 500 rows large enough to span several pages. */
static int imageFill(sqlw_db *pDb, const char *zFile, int iLine){
  return testOkAt(pDb,
      "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, data BLOB);"
      "CREATE INDEX t_name ON t(name);"
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<500)"
      " INSERT INTO t SELECT x, 'name-' || x, randomblob(100) FROM c", zFile, iLine);
}
#define IMAGE_FILL(pDb) imageFill((pDb), __FILE__, __LINE__)

/* A digest of t: count*1e6 + sum(id) + total length of names. */
#define IMAGE_DIGEST_SQL \
  "SELECT count(*)*1000000 + sum(id) + sum(length(name)) FROM t"

/* Frees an exported image given to harnessDefer(). */
static void imageFree(void *p){
  sqlw_free(p);
}

/* Exports pDb; the image is freed when the test ends. NULL after a recorded failure. */
static unsigned char *imageExport(sqlw_db *pDb, int64_t *pn, const char *zFile,
                                  int iLine){
  unsigned char *a = sqlw_export(pDb, pn);
  if( a==0 ){
    harnessFail(zFile, iLine, "sqlw_export: %s: %s", sqlw_code_name(sqlw_errcode(pDb)),
                sqlw_errmsg(pDb));
    return 0;
  }
  harnessDefer(imageFree, a);
  return a;
}
#define IMAGE_EXPORT(pDb, pn) imageExport((pDb), (pn), __FILE__, __LINE__)

/* Runs sqlw_import and checks its result buffer; returns the code. */
static int imageImport(sqlw_db *pDb, const unsigned char *a, size_t n,
                       const char *zFile, int iLine){
  int rc = sqlw_import(pDb, a, n);
  testLastResultAt(pDb, rc, zFile, iLine);
  return rc;
}
#define IMAGE_IMPORT(pDb, a, n) imageImport((pDb), (a), (n), __FILE__, __LINE__)

/* Reads the big-endian 16- and 32-bit fields of a database header. */
static uint32_t imageBE(const unsigned char *a, int nByte){
  uint32_t v = 0;
  int i;
  for(i=0; i<nByte; i++) v = (v<<8) | a[i];
  return v;
}

TEST(image100, "image-100 export starts with the SQLite header"){
  sqlw_db *pDb = testOpenMem();
  unsigned char *a;
  int64_t n = 0;
  uint32_t szPage;
  REQUIRE(pDb);
  REQUIRE(IMAGE_FILL(pDb));
  a = IMAGE_EXPORT(pDb, &n);
  REQUIRE(a);
  REQUIRE(n>=512);
  CHECK_MEM(a, 16, "SQLite format 3", 16);
  szPage = imageBE(a+16, 2);
  if( szPage==1 ) szPage = 65536;
  CHECK_INT(n % szPage, 0);
  CHECK_INT(imageBE(a+28, 4), n / szPage);        /* in-header page count */
  CHECK_INT(a[18], 1);                            /* rollback-journal file formats */
  CHECK_INT(a[19], 1);
}

TEST(image110, "image-110 export then import into memdb keeps every row"){
  sqlw_db *pSrc = testOpen("src", "memdb");
  sqlw_db *pDst = testOpen("dst", "memdb");
  unsigned char *a;
  int64_t n = 0;
  int64_t iDigest;
  REQUIRE(pSrc && pDst);
  REQUIRE(IMAGE_FILL(pSrc));
  iDigest = testInt(pSrc, IMAGE_DIGEST_SQL);
  a = IMAGE_EXPORT(pSrc, &n);
  REQUIRE(a);
  REQUIRE(testOk(pDst, "CREATE TABLE other(x); INSERT INTO other VALUES(1)"));
  CHECK_RC(IMAGE_IMPORT(pDst, a, (size_t)n), SQLITE_OK);
  CHECK_INT(testInt(pDst, IMAGE_DIGEST_SQL), iDigest);
  CHECK_INT(testInt(pDst, "SELECT count(*) FROM sqlite_schema WHERE name='other'"), 0);
  CHECK_INT(testInt(pDst, "SELECT count(*) FROM t WHERE name='name-250'"), 1);
  /* the imported database is writable */
  CHECK(testOk(pDst, "INSERT INTO t(name) VALUES('new')"));
  CHECK_INT(testInt(pDst, "SELECT max(id) FROM t"), 501);
  /* the source is unchanged */
  CHECK_INT(testInt(pSrc, IMAGE_DIGEST_SQL), iDigest);
}

TEST(image120, "image-120 import into a host file persists"){
  const char *zFile = "image-120.db";
  sqlw_db *pSrc = testOpen("src", "memdb");
  sqlw_db *pDst;
  unsigned char *a;
  int64_t n = 0;
  int64_t iDigest;
  char zText[16];
  REQUIRE(pSrc);
  testRemoveDb(zFile);
  pDst = testOpen(zFile, "host");
  REQUIRE(pDst);
  REQUIRE(testOk(pDst, "CREATE TABLE old(x); INSERT INTO old VALUES(1)"));
  REQUIRE(IMAGE_FILL(pSrc));
  iDigest = testInt(pSrc, IMAGE_DIGEST_SQL);
  a = IMAGE_EXPORT(pSrc, &n);
  REQUIRE(a);
  CHECK_RC(IMAGE_IMPORT(pDst, a, (size_t)n), SQLITE_OK);
  CHECK_INT(testInt(pDst, IMAGE_DIGEST_SQL), iDigest);
  testClose(pDst);

  pDst = testOpen(zFile, "host");
  REQUIRE(pDst);
  CHECK_INT(testInt(pDst, IMAGE_DIGEST_SQL), iDigest);
  CHECK_INT(testInt(pDst, "SELECT count(*) FROM sqlite_schema WHERE name='old'"), 0);
  testText(pDst, "PRAGMA integrity_check", zText, sizeof(zText));
  CHECK_STR(zText, "ok");
}

TEST(image130, "image-130 host file exports and re-imports to the same rows"){
  const char *zFile = "image-130.db";
  sqlw_db *pDb;
  sqlw_db *pMem = testOpen("copy", "memdb");
  unsigned char *a;
  int64_t n = 0;
  int64_t iDigest;
  REQUIRE(pMem);
  testRemoveDb(zFile);
  pDb = testOpen(zFile, "host");
  REQUIRE(pDb);
  REQUIRE(IMAGE_FILL(pDb));
  iDigest = testInt(pDb, IMAGE_DIGEST_SQL);
  a = IMAGE_EXPORT(pDb, &n);
  REQUIRE(a);
  CHECK_MEM(a, 16, "SQLite format 3", 16);
  CHECK_RC(IMAGE_IMPORT(pMem, a, (size_t)n), SQLITE_OK);
  CHECK_INT(testInt(pMem, IMAGE_DIGEST_SQL), iDigest);
}

TEST(image140, "image-140 export of a WAL database is marked rollback"){
  const char *zFile = "image-140.db";
  sqlw_db *pDb;
  sqlw_db *pMem = testOpen("copy", "memdb");
  unsigned char *a;
  int64_t n = 0;
  REQUIRE(pMem);
  testRemoveDb(zFile);
  pDb = testOpen(zFile, "host");
  REQUIRE(pDb);
  /* whichever mode the host VFS allows, the image must say "rollback" */
  testExec(pDb, "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL", 0, 0);
  REQUIRE(testOk(pDb, "CREATE TABLE t(x); INSERT INTO t VALUES(1),(2)"));
  a = IMAGE_EXPORT(pDb, &n);
  REQUIRE(a && n>=100);
  CHECK_INT(a[18], 1);
  CHECK_INT(a[19], 1);
  CHECK_RC(IMAGE_IMPORT(pMem, a, (size_t)n), SQLITE_OK);
  CHECK_INT(testInt(pMem, "SELECT sum(x) FROM t"), 3);
}

TEST(image150, "image-150 import inside a transaction is BUSY"){
  sqlw_db *pSrc = testOpen("src", "memdb");
  sqlw_db *pDst = testOpen("dst", "memdb");
  unsigned char *a;
  int64_t n = 0;
  REQUIRE(pSrc && pDst);
  REQUIRE(IMAGE_FILL(pSrc));
  a = IMAGE_EXPORT(pSrc, &n);
  REQUIRE(a);
  REQUIRE(testOk(pDst, "CREATE TABLE keep(x); BEGIN; INSERT INTO keep VALUES(1)"));
  CHECK_RC(IMAGE_IMPORT(pDst, a, (size_t)n), SQLITE_BUSY);
  CHECK_INT(sqlw_stat(pDst, SQLW_STAT_AUTOCOMMIT), 0);
  REQUIRE(testOk(pDst, "COMMIT"));
  CHECK_INT(testInt(pDst, "SELECT count(*) FROM keep"), 1);
}

TEST(image160, "image-160 export of an empty database is a valid image"){
  sqlw_db *pDb = testOpen("empty", "memdb");
  sqlw_db *pDst = testOpen("dst", "memdb");
  unsigned char *a;
  int64_t n = 0;
  REQUIRE(pDb && pDst);
  a = IMAGE_EXPORT(pDb, &n);
  REQUIRE(a);
  CHECK(n>=512);
  CHECK_MEM(a, 16, "SQLite format 3", 16);
  REQUIRE(testOk(pDst, "CREATE TABLE t(x); INSERT INTO t VALUES(1)"));
  CHECK_RC(IMAGE_IMPORT(pDst, a, (size_t)n), SQLITE_OK);
  CHECK_INT(testInt(pDst, "SELECT count(*) FROM sqlite_schema"), 0);
  CHECK(testOk(pDst, "CREATE TABLE u(y); INSERT INTO u VALUES(2)"));
}

TEST(image170, "image-170 import of another page size into memdb and a host file"){
  const char *zFile = "image-170.db";
  sqlw_db *pSrc = testOpen("src", "memdb");
  sqlw_db *pMem = testOpen("dst", "memdb");
  sqlw_db *pHost;
  unsigned char *a;
  int64_t n = 0;
  int64_t iDigest;
  REQUIRE(pSrc && pMem);
  testRemoveDb(zFile);
  pHost = testOpen(zFile, "host");
  REQUIRE(pHost);
  REQUIRE(testOk(pSrc, "PRAGMA page_size=1024"));
  REQUIRE(IMAGE_FILL(pSrc));
  CHECK_INT(testInt(pSrc, "PRAGMA page_size"), 1024);
  iDigest = testInt(pSrc, IMAGE_DIGEST_SQL);
  a = IMAGE_EXPORT(pSrc, &n);
  REQUIRE(a);
  CHECK_INT(imageBE(a+16, 2), 1024);

  REQUIRE(testOk(pMem, "CREATE TABLE old(x); INSERT INTO old VALUES(1)"));
  CHECK_RC(IMAGE_IMPORT(pMem, a, (size_t)n), SQLITE_OK);
  CHECK_INT(testInt(pMem, IMAGE_DIGEST_SQL), iDigest);
  CHECK(testOk(pMem, "INSERT INTO t(name) VALUES('more')"));

  REQUIRE(testOk(pHost, "CREATE TABLE old(x); INSERT INTO old VALUES(1)"));
  CHECK_INT(testInt(pHost, "PRAGMA page_size"), 4096);
  CHECK_RC(IMAGE_IMPORT(pHost, a, (size_t)n), SQLITE_OK);
  CHECK_INT(testInt(pHost, IMAGE_DIGEST_SQL), iDigest);
  testClose(pHost);
  pHost = testOpen(zFile, "host");
  REQUIRE(pHost);
  CHECK_INT(testInt(pHost, IMAGE_DIGEST_SQL), iDigest);
  CHECK_INT(testInt(pHost, "SELECT count(*) FROM sqlite_schema WHERE name='old'"), 0);
}

TEST(image180, "image-180 an image whose header says WAL imports"){
  sqlw_db *pSrc = testOpen("src", "memdb");
  sqlw_db *pDst = testOpen("dst", "memdb");
  unsigned char *a;
  unsigned char *aWal;
  int64_t n = 0;
  int64_t iDigest;
  REQUIRE(pSrc && pDst);
  REQUIRE(IMAGE_FILL(pSrc));
  iDigest = testInt(pSrc, IMAGE_DIGEST_SQL);
  a = IMAGE_EXPORT(pSrc, &n);
  REQUIRE(a);
  /* a file copied from a checkpointed WAL database: bytes 18 and 19 are 2 */
  aWal = (unsigned char*)sqlite3_malloc64((sqlite3_uint64)n);
  REQUIRE(aWal);
  harnessDefer(sqlite3_free, aWal);
  memcpy(aWal, a, (size_t)n);
  aWal[18] = 2;
  aWal[19] = 2;
  CHECK_RC(IMAGE_IMPORT(pDst, aWal, (size_t)n), SQLITE_OK);
  CHECK_INT(testInt(pDst, IMAGE_DIGEST_SQL), iDigest);
  CHECK(aWal[18]==2 && aWal[19]==2);            /* the input is only read */
}

TEST(image190, "image-190 the imported connection's statement cache starts afresh"){
  sqlw_db *pSrc = testOpen("src", "memdb");
  sqlw_db *pDst = testOpen("dst", "memdb");
  unsigned char *a;
  int64_t n = 0;
  const WrResult *pRes;
  REQUIRE(pSrc && pDst);
  REQUIRE(testOk(pSrc, "CREATE TABLE t(a, b); INSERT INTO t VALUES(1, 2)"));
  a = IMAGE_EXPORT(pSrc, &n);
  REQUIRE(a);
  REQUIRE(testOk(pDst, "CREATE TABLE t(z); INSERT INTO t VALUES(9)"));
  pRes = testExec(pDst, "SELECT * FROM t", 0, 0);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  CHECK_INT(pRes->aSet[0].nCol, 1);
  CHECK_RC(IMAGE_IMPORT(pDst, a, (size_t)n), SQLITE_OK);
  pRes = testExec(pDst, "SELECT * FROM t", 0, 0);
  REQUIRE(pRes->rc==SQLITE_OK && pRes->nSet==1);
  if( CHECK_INT(pRes->aSet[0].nCol, 2) ){
    CHECK_VAL_INT(wrCell(&pRes->aSet[0], 0, 1), 2);
  }
}

/* ------------------------------------------------------------ abuse block */

/*
** Imports a[0..n) into pDb (which holds the IMAGE_FILL table with digest iDigest) and
** checks that it is refused with NOTADB or CORRUPT* and that the old rows are intact.
** Returns 1 if all of that held.
*/
static int imageRefused(sqlw_db *pDb, const unsigned char *a, size_t n, int64_t iDigest,
                        const char *zWhat, const char *zFile, int iLine){
  int rc = imageImport(pDb, a, n, zFile, iLine);
  int bOk = 1;
  char zText[16];
  if( (rc & 0xff)!=SQLITE_NOTADB && (rc & 0xff)!=SQLITE_CORRUPT ){
    bOk = harnessFail(zFile, iLine, "%s: import gave %s, expected NOTADB or CORRUPT",
                      zWhat, sqlw_code_name(rc));
  }
  if( testIntAt(pDb, IMAGE_DIGEST_SQL, zFile, iLine)!=iDigest ){
    bOk = harnessFail(zFile, iLine, "%s: the old rows changed", zWhat);
  }
  testTextAt(pDb, "PRAGMA integrity_check", zText, sizeof(zText), zFile, iLine);
  if( strcmp(zText, "ok")!=0 ){
    bOk = harnessFail(zFile, iLine, "%s: integrity_check says \"%s\"", zWhat, zText);
  }
  return bOk;
}
#define REFUSED(pDb, a, n, iDigest, zWhat) \
  imageRefused((pDb), (a), (n), (iDigest), (zWhat), __FILE__, __LINE__)

/* Copies a[0..n) into a buffer freed when the test ends. */
static unsigned char *imageCopy(const unsigned char *a, size_t n){
  unsigned char *aCopy = (unsigned char*)sqlite3_malloc64(n ? n : 1);
  if( aCopy==0 ) return 0;
  if( n ) memcpy(aCopy, a, n);
  harnessDefer(sqlite3_free, aCopy);
  return aCopy;
}

/* Opens two memdbs: pDb filled with the test table, and the exported image of it. */
#define IMAGE_SETUP()                                                   \
  sqlw_db *pDb = testOpen("victim", "memdb");                           \
  unsigned char *aImg;                                                  \
  int64_t nImg = 0;                                                     \
  int64_t iDigest;                                                      \
  REQUIRE(pDb);                                                         \
  REQUIRE(IMAGE_FILL(pDb));                                             \
  iDigest = testInt(pDb, IMAGE_DIGEST_SQL);                             \
  aImg = IMAGE_EXPORT(pDb, &nImg);                                      \
  REQUIRE(aImg && nImg>=4096)

TEST(image200, "image-200 empty image is refused"){
  IMAGE_SETUP();
  REFUSED(pDb, aImg, 0, iDigest, "zero bytes");
  REFUSED(pDb, 0, 0, iDigest, "NULL");
}

TEST(image210, "image-210 garbage is refused"){
  unsigned char aJunk[8192];
  size_t i;
  IMAGE_SETUP();
  for(i=0; i<sizeof(aJunk); i++) aJunk[i] = (unsigned char)((i*2654435761u)>>13);
  REFUSED(pDb, aJunk, sizeof(aJunk), iDigest, "8 KiB of garbage");
  REFUSED(pDb, aJunk, 17, iDigest, "17 bytes of garbage");
  memset(aJunk, 0, sizeof(aJunk));
  REFUSED(pDb, aJunk, sizeof(aJunk), iDigest, "8 KiB of zeros");
  REFUSED(pDb, (const unsigned char*)"SQLite format 3", 16, iDigest, "the magic alone");
}

TEST(image220, "image-220 truncated images are refused"){
  IMAGE_SETUP();
  REFUSED(pDb, aImg, 50, iDigest, "half a header");
  REFUSED(pDb, aImg, 100, iDigest, "the header alone");
  REFUSED(pDb, aImg, (size_t)nImg/2, iDigest, "first half");
  REFUSED(pDb, aImg, (size_t)nImg-1, iDigest, "one byte short");
  {
    uint32_t szPage = imageBE(aImg+16, 2);
    if( szPage==1 ) szPage = 65536;
    REFUSED(pDb, aImg, (size_t)nImg-szPage, iDigest, "last page missing");
  }
}

TEST(image230, "image-230 a corrupted page is refused"){
  unsigned char *a;
  uint32_t szPage;
  uint32_t nPage;
  uint32_t iPg;
  IMAGE_SETUP();
  szPage = imageBE(aImg+16, 2);
  if( szPage==1 ) szPage = 65536;
  nPage = (uint32_t)(nImg/szPage);
  REQUIRE(nPage>=4);
  a = imageCopy(aImg, (size_t)nImg);
  REQUIRE(a);

  /* page 2's b-tree page type byte: not a valid type */
  a[szPage] = 0x07;
  REFUSED(pDb, a, (size_t)nImg, iDigest, "bad page type on page 2");
  memcpy(a, aImg, (size_t)nImg);

  /* a page in the middle: its cell count claims far more cells than fit */
  iPg = nPage/2;
  {
    size_t iHdr = (size_t)(iPg-1)*szPage;
    a[iHdr+3] = 0xff;
    a[iHdr+4] = 0xff;
  }
  REFUSED(pDb, a, (size_t)nImg, iDigest, "cell count of a middle page");
  memcpy(a, aImg, (size_t)nImg);

  /* the header's page size is not a power of two */
  a[16] = 0x03;
  a[17] = 0x00;
  REFUSED(pDb, a, (size_t)nImg, iDigest, "page size 768");
  memcpy(a, aImg, (size_t)nImg);

  /* the magic string */
  a[0] = 's';
  REFUSED(pDb, a, (size_t)nImg, iDigest, "magic");
  memcpy(a, aImg, (size_t)nImg);

  /* the schema table's root page: zeroed */
  memset(a+100, 0, szPage-100);
  REFUSED(pDb, a, (size_t)nImg, iDigest, "page 1 body zeroed");
}

TEST(image240, "image-240 every page zeroed in turn is refused"){
  unsigned char *a;
  uint32_t szPage;
  uint32_t nPage;
  uint32_t iPg;
  IMAGE_SETUP();
  szPage = imageBE(aImg+16, 2);
  if( szPage==1 ) szPage = 65536;
  nPage = (uint32_t)(nImg/szPage);
  a = imageCopy(aImg, (size_t)nImg);
  REQUIRE(a);
  for(iPg=2; iPg<=nPage; iPg++){
    char zWhat[64];
    size_t iOff = (size_t)(iPg-1)*szPage;
    memset(a+iOff, 0, szPage);
    sqlite3_snprintf(sizeof(zWhat), zWhat, "page %u of %u zeroed", iPg, nPage);
    REFUSED(pDb, a, (size_t)nImg, iDigest, zWhat);
    memcpy(a+iOff, aImg+iOff, szPage);
  }
  /* and the untouched copy is still accepted: the loop above restored every page */
  CHECK_RC(IMAGE_IMPORT(pDb, a, (size_t)nImg), SQLITE_OK);
  CHECK_INT(testInt(pDb, IMAGE_DIGEST_SQL), iDigest);
}

TEST(image250, "image-250 a refused import leaves a host file intact"){
  const char *zFile = "image-250.db";
  sqlw_db *pDb;
  unsigned char aJunk[4096];
  int64_t iDigest;
  testRemoveDb(zFile);
  pDb = testOpen(zFile, "host");
  REQUIRE(pDb);
  REQUIRE(IMAGE_FILL(pDb));
  iDigest = testInt(pDb, IMAGE_DIGEST_SQL);
  memset(aJunk, 0x5a, sizeof(aJunk));
  memcpy(aJunk, "SQLite format 3", 16);
  REFUSED(pDb, aJunk, sizeof(aJunk), iDigest, "header magic then junk");
  testClose(pDb);
  pDb = testOpen(zFile, "host");
  REQUIRE(pDb);
  CHECK_INT(testInt(pDb, IMAGE_DIGEST_SQL), iDigest);
}

/* Found by fuzz_import: byte 47 (the schema format number) patched to 12. */
TEST(image260, "image-260 an unsupported schema format is refused as NOTADB"){
  unsigned char *a;
  IMAGE_SETUP();
  a = imageCopy(aImg, (size_t)nImg);
  REQUIRE(a);
  a[47] = 12;
  REFUSED(pDb, a, (size_t)nImg, iDigest, "schema format 12");
  memcpy(a, aImg, (size_t)nImg);
  a[18] = 3;
  REFUSED(pDb, a, (size_t)nImg, iDigest, "file format version 3");
}

/*
** Found by fuzz_import: byte 59 (low byte of the text encoding) patched. The build has no
** UTF-16 support, and a connection whose encoding is already fixed cannot switch: an
** accepted UTF-16 image left every later statement failing.
*/
TEST(image270, "image-270 a UTF-16 image is refused and the old rows stay"){
  unsigned char *a;
  static const unsigned char aEnc[] = { 2, 3, 0xee, 4 };
  size_t i;
  IMAGE_SETUP();
  a = imageCopy(aImg, (size_t)nImg);
  REQUIRE(a);
  for(i=0; i<sizeof(aEnc); i++){
    char zWhat[40];
    a[59] = aEnc[i];
    sqlite3_snprintf(sizeof(zWhat), zWhat, "text encoding %d", aEnc[i]);
    /* after the first failure the connection may be unusable: stop there */
    if( !REFUSED(pDb, a, (size_t)nImg, iDigest, zWhat) ) return;
  }
  CHECK(testOk(pDb, "INSERT INTO t(name) VALUES('still writable')"));
}

/* Stages a[0..n) in pieces of nPiece bytes at zStage of pDb; returns 1 if each landed. */
static int imageStage(sqlw_db *pDb, const char *zStage, const unsigned char *a, size_t n,
                      size_t nPiece, const char *zFile, int iLine){
  size_t i;
  for(i=0; i<n || i==0; i+=nPiece){
    size_t m = n-i<nPiece ? n-i : nPiece;
    int rc = sqlw_stage_write(pDb, zStage, (int64_t)i, a+i, m);
    testLastResultAt(pDb, rc, zFile, iLine);
    if( rc ) return harnessFail(zFile, iLine, "staging at %d: %s", (int)i, sqlw_code_name(rc));
    if( n==0 ) break;
  }
  return 1;
}
#define IMAGE_STAGE(pDb, z, a, n, m) imageStage((pDb), (z), (a), (n), (m), __FILE__, __LINE__)

TEST(image300, "image-300 a staged image imports from storage; a refused one leaves the rows"){
  const char *zFile = "image-300.db";
  const char *zStage = "image-300.db.import-test";
  sqlw_db *pSrc = testOpen("src300", "memdb");
  sqlw_db *pDst;
  sqlw_db *pMem;
  unsigned char *a, *aBad;
  int64_t n = 0;
  int64_t iDigest;
  char zText[16];
  REQUIRE(pSrc);
  testRemoveDb(zFile);
  unlink(zStage);
  pDst = testOpen(zFile, "host");
  REQUIRE(pDst);
  REQUIRE(testOk(pDst, "CREATE TABLE old(x); INSERT INTO old VALUES(1)"));
  REQUIRE(IMAGE_FILL(pSrc));
  iDigest = testInt(pSrc, IMAGE_DIGEST_SQL);
  a = IMAGE_EXPORT(pSrc, &n);
  REQUIRE(a);

  /* A piece before any first piece: nothing to write into. */
  CHECK_RC(sqlw_stage_write(pDst, zStage, 4096, a+4096, 4096), SQLITE_ABORT);
  /* Garbled, then refused: the old rows stay. */
  aBad = imageCopy(a, (size_t)n);
  REQUIRE(aBad);
  memset(aBad+2*4096, 0x55, 4096);
  REQUIRE(IMAGE_STAGE(pDst, zStage, aBad, (size_t)n, 3000));
  CHECK_RC(sqlw_import_file(pDst, zStage, n), SQLITE_CORRUPT);
  CHECK_INT(testInt(pDst, "SELECT x FROM old"), 1);
  /* A size that is not the staged file's. */
  REQUIRE(IMAGE_STAGE(pDst, zStage, a, (size_t)n, 5000));
  CHECK_RC(sqlw_import_file(pDst, zStage, n+4096), SQLITE_ABORT);
  /* The image, staged anew over the old file. */
  REQUIRE(IMAGE_STAGE(pDst, zStage, a, (size_t)n, 7000));
  CHECK_RC(sqlw_import_file(pDst, zStage, n), SQLITE_OK);
  CHECK_INT(testInt(pDst, IMAGE_DIGEST_SQL), iDigest);
  CHECK_RC(sqlw_stage_delete(pDst, zStage), SQLITE_OK);
  CHECK_INT(access(zStage, F_OK), -1);
  CHECK_RC(sqlw_stage_delete(pDst, zStage), SQLITE_OK);    /* none: nothing to do */
  testClose(pDst);
  pDst = testOpen(zFile, "host");
  REQUIRE(pDst);
  CHECK_INT(testInt(pDst, IMAGE_DIGEST_SQL), iDigest);
  testText(pDst, "PRAGMA integrity_check", zText, sizeof(zText));
  CHECK_STR(zText, "ok");

  /* A memory database has no staging. */
  pMem = testOpen("mem300", "memdb");
  REQUIRE(pMem);
  CHECK_RC(sqlw_stage_write(pMem, "x", 0, a, 100), SQLITE_MISUSE);
  CHECK_RC(sqlw_import_file(pMem, "x", 100), SQLITE_MISUSE);
}
