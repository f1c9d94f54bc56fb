/*
** test_codes.c — sqlw_code_name(): symbolic names of result codes.
*/
#include "sqlite3.h"
#include "support.h"

TEST(codes100, "codes-100 primary codes have their names"){
  CHECK_STR(sqlw_code_name(SQLITE_OK), "SQLITE_OK");
  CHECK_STR(sqlw_code_name(0), "SQLITE_OK");
  CHECK_STR(sqlw_code_name(SQLITE_ERROR), "SQLITE_ERROR");
  CHECK_STR(sqlw_code_name(SQLITE_BUSY), "SQLITE_BUSY");
  CHECK_STR(sqlw_code_name(SQLITE_NOMEM), "SQLITE_NOMEM");
  CHECK_STR(sqlw_code_name(SQLITE_READONLY), "SQLITE_READONLY");
  CHECK_STR(sqlw_code_name(SQLITE_CORRUPT), "SQLITE_CORRUPT");
  CHECK_STR(sqlw_code_name(SQLITE_FULL), "SQLITE_FULL");
  CHECK_STR(sqlw_code_name(SQLITE_CANTOPEN), "SQLITE_CANTOPEN");
  CHECK_STR(sqlw_code_name(SQLITE_CONSTRAINT), "SQLITE_CONSTRAINT");
  CHECK_STR(sqlw_code_name(SQLITE_MISUSE), "SQLITE_MISUSE");
  CHECK_STR(sqlw_code_name(SQLITE_RANGE), "SQLITE_RANGE");
  CHECK_STR(sqlw_code_name(SQLITE_NOTADB), "SQLITE_NOTADB");
  CHECK_STR(sqlw_code_name(SQLITE_ROW), "SQLITE_ROW");
  CHECK_STR(sqlw_code_name(SQLITE_DONE), "SQLITE_DONE");
}

TEST(codes110, "codes-110 extended codes have their own names"){
  CHECK_STR(sqlw_code_name(2067), "SQLITE_CONSTRAINT_UNIQUE");
  CHECK_STR(sqlw_code_name(SQLITE_CONSTRAINT_NOTNULL), "SQLITE_CONSTRAINT_NOTNULL");
  CHECK_STR(sqlw_code_name(SQLITE_CONSTRAINT_PRIMARYKEY), "SQLITE_CONSTRAINT_PRIMARYKEY");
  CHECK_STR(sqlw_code_name(SQLITE_CONSTRAINT_CHECK), "SQLITE_CONSTRAINT_CHECK");
  CHECK_STR(sqlw_code_name(SQLITE_IOERR_WRITE), "SQLITE_IOERR_WRITE");
  CHECK_STR(sqlw_code_name(SQLITE_IOERR_FSYNC), "SQLITE_IOERR_FSYNC");
  CHECK_STR(sqlw_code_name(SQLITE_IOERR_DELETE_NOENT), "SQLITE_IOERR_DELETE_NOENT");
  CHECK_STR(sqlw_code_name(SQLITE_READONLY_DBMOVED), "SQLITE_READONLY_DBMOVED");
  CHECK_STR(sqlw_code_name(SQLITE_CORRUPT_INDEX), "SQLITE_CORRUPT_INDEX");
  /* The library's own codes (proto.h) are named by the same table. */
  CHECK_STR(sqlw_code_name(SQLITE_WORKER_DIED), "SQLITE_WORKER_DIED");
  CHECK_STR(sqlw_code_name(SQLITE_WORKER_RESULT_NOT_KEPT), "SQLITE_WORKER_RESULT_NOT_KEPT");
}

TEST(codes120, "codes-120 unknown extended codes fall back to the primary"){
  CHECK_STR(sqlw_code_name(SQLITE_CONSTRAINT | (99<<8)), "SQLITE_CONSTRAINT");
  CHECK_STR(sqlw_code_name(SQLITE_IOERR | (200<<8)), "SQLITE_IOERR");
  CHECK_STR(sqlw_code_name(0xff), "SQLITE_UNKNOWN");
  CHECK_STR(sqlw_code_name(-1), "SQLITE_UNKNOWN");
  CHECK_STR(sqlw_code_name(99), "SQLITE_UNKNOWN");
}

TEST(codes130, "codes-130 every name is non-empty static text"){
  int rc;
  for(rc=0; rc<0x10000; rc+=7){
    const char *z = sqlw_code_name(rc);
    if( z==0 || z[0]==0 ){
      FAIL("sqlw_code_name(%d) is empty", rc);
      break;
    }
  }
}
