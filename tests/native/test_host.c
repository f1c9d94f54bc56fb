/*
** test_host.c — the contract of src/core/host.h, checked against the POSIX host the
** native binary links. The same cases are meant to hold for every host; they use files
** in the current directory.
*/
#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1          /* setenv, tzset, mkdir under a strict -std */
#endif
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sqlite3.h"
#include "support.h"
#include "../../src/core/host.h"

/* Closes a host handle given to harnessDefer() as (void*)(intptr_t)(h+1). */
static void hostCloseDeferred(void *p){
  int h = (int)(intptr_t)p - 1;
  host_close(h);
}

/* Opens zPath with flags; the handle is closed when the test ends. Returns it or < 0. */
static int hostOpen(const char *zPath, int flags){
  int h = host_open(zPath, (int)strlen(zPath), flags);
  if( h>=0 ) harnessDefer(hostCloseDeferred, (void*)(intptr_t)(h+1));
  return h;
}

#define RW_CREATE (SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE)

TEST(host100, "host-100 open creates, write then read back"){
  const char *zPath = "host-100.bin";
  int h;
  char aBuf[32];
  unlink(zPath);
  h = hostOpen(zPath, RW_CREATE);
  REQUIRE(h>=0);
  CHECK(host_size(h)==0.0);
  CHECK_INT(host_write(h, "hello, world", 12, 0.0), 0);
  CHECK(host_size(h)==12.0);
  memset(aBuf, 0, sizeof(aBuf));
  CHECK_INT(host_read(h, aBuf, 12, 0.0), 12);
  CHECK_MEM(aBuf, 12, "hello, world", 12);
  CHECK_INT(host_read(h, aBuf, 5, 7.0), 5);
  CHECK_MEM(aBuf, 5, "world", 5);
  CHECK_INT(host_sync(h), 0);
  CHECK_INT(host_access(zPath, (int)strlen(zPath)), 1);
}

TEST(host110, "host-110 reads at the end are short, not errors"){
  const char *zPath = "host-110.bin";
  int h;
  char aBuf[16];
  unlink(zPath);
  h = hostOpen(zPath, RW_CREATE);
  REQUIRE(h>=0);
  CHECK_INT(host_write(h, "abcdef", 6, 0.0), 0);
  CHECK_INT(host_read(h, aBuf, 16, 2.0), 4);
  CHECK_MEM(aBuf, 4, "cdef", 4);
  CHECK_INT(host_read(h, aBuf, 16, 6.0), 0);
  CHECK_INT(host_read(h, aBuf, 16, 1e6), 0);
  CHECK_INT(host_read(h, aBuf, 0, 0.0), 0);
}

TEST(host120, "host-120 writes past the end fill the gap with zeros"){
  const char *zPath = "host-120.bin";
  int h;
  unsigned char aBuf[10];
  unlink(zPath);
  h = hostOpen(zPath, RW_CREATE);
  REQUIRE(h>=0);
  CHECK_INT(host_write(h, "xy", 2, 8.0), 0);
  CHECK(host_size(h)==10.0);
  CHECK_INT(host_read(h, aBuf, 10, 0.0), 10);
  CHECK_MEM(aBuf, 10, "\0\0\0\0\0\0\0\0xy", 10);
}

TEST(host130, "host-130 truncate shrinks and grows"){
  const char *zPath = "host-130.bin";
  int h;
  unsigned char aBuf[8];
  unlink(zPath);
  h = hostOpen(zPath, RW_CREATE);
  REQUIRE(h>=0);
  CHECK_INT(host_write(h, "12345678", 8, 0.0), 0);
  CHECK_INT(host_truncate(h, 3.0), 0);
  CHECK(host_size(h)==3.0);
  CHECK_INT(host_truncate(h, 6.0), 0);
  CHECK(host_size(h)==6.0);
  CHECK_INT(host_read(h, aBuf, 8, 0.0), 6);
  CHECK_MEM(aBuf, 6, "123\0\0\0", 6);
  CHECK_INT(host_truncate(h, -1.0), -SQLITE_IOERR_TRUNCATE);
}

TEST(host140, "host-140 offsets beyond 4 GiB work (sparse)"){
  const char *zPath = "host-140.bin";
  int h;
  char aBuf[4];
  const double iFar = 5.0*1024*1024*1024 + 3;   /* 5 GiB + 3 */
  unlink(zPath);
  h = hostOpen(zPath, RW_CREATE);
  REQUIRE(h>=0);
  if( host_write(h, "far", 3, iFar)!=0 ){
    /* a filesystem without sparse files or a 5 GiB quota: nothing to check here */
    host_truncate(h, 0.0);
    return;
  }
  CHECK(host_size(h)==iFar+3);
  CHECK_INT(host_read(h, aBuf, 4, iFar), 3);
  CHECK_MEM(aBuf, 3, "far", 3);
  CHECK_INT(host_truncate(h, 0.0), 0);
}

TEST(host150, "host-150 bad offsets and lengths are I/O errors"){
  const char *zPath = "host-150.bin";
  int h;
  char aBuf[4];
  unlink(zPath);
  h = hostOpen(zPath, RW_CREATE);
  REQUIRE(h>=0);
  CHECK_INT(host_read(h, aBuf, 4, -1.0), -SQLITE_IOERR_READ);
  CHECK_INT(host_read(h, aBuf, 4, 0.5), -SQLITE_IOERR_READ);
  CHECK_INT(host_read(h, aBuf, 4, NAN), -SQLITE_IOERR_READ);
  CHECK_INT(host_read(h, aBuf, -1, 0.0), -SQLITE_IOERR_READ);
  CHECK_INT(host_write(h, aBuf, 4, -1.0), -SQLITE_IOERR_WRITE);
  CHECK_INT(host_write(h, aBuf, 4, 1e300), -SQLITE_IOERR_WRITE);
  CHECK_INT(host_read(-1, aBuf, 4, 0.0), -SQLITE_IOERR_READ);
  CHECK(host_size(-1)==-(double)SQLITE_IOERR_FSTAT);
  CHECK_INT(host_sync(-1), -SQLITE_IOERR_FSYNC);
  CHECK_INT(host_close(-1), -SQLITE_IOERR_CLOSE);
}

TEST(host200, "host-200 open without CREATE of a missing file is CANTOPEN"){
  unlink("host-200.bin");
  CHECK_INT(host_open("host-200.bin", 12, SQLITE_OPEN_READWRITE), -SQLITE_CANTOPEN);
  CHECK_INT(host_access("host-200.bin", 12), 0);
}

TEST(host210, "host-210 EXCLUSIVE refuses an existing file"){
  const char *zPath = "host-210.bin";
  int h;
  unlink(zPath);
  h = hostOpen(zPath, RW_CREATE|SQLITE_OPEN_EXCLUSIVE);
  REQUIRE(h>=0);
  CHECK(host_open(zPath, (int)strlen(zPath), RW_CREATE|SQLITE_OPEN_EXCLUSIVE)<0);
  /* without EXCLUSIVE the same file opens */
  CHECK(hostOpen(zPath, RW_CREATE)>=0);
}

TEST(host220, "host-220 read-only handles cannot write"){
  const char *zPath = "host-220.bin";
  int h;
  unlink(zPath);
  h = hostOpen(zPath, RW_CREATE);
  REQUIRE(h>=0);
  CHECK_INT(host_write(h, "data", 4, 0.0), 0);
  h = hostOpen(zPath, SQLITE_OPEN_READONLY);
  REQUIRE(h>=0);
  CHECK_INT(host_write(h, "more", 4, 0.0), -SQLITE_IOERR_WRITE);
  CHECK(host_size(h)==4.0);
}

TEST(host230, "host-230 paths are (pointer, length), not C strings"){
  /* the bytes after nPath belong to something else and must be ignored */
  static const char zTwo[] = "host-230.binXYZ";
  int h;
  unlink("host-230.bin");
  unlink("host-230.binXYZ");
  h = hostOpen("host-230.bin", RW_CREATE);
  REQUIRE(h>=0);
  CHECK_INT(host_access(zTwo, 12), 1);
  CHECK_INT(host_access(zTwo, 15), 0);
  CHECK(access("host-230.binXYZ", F_OK)!=0);
  /* a NUL inside the length would silently shorten the path: refused */
  CHECK_INT(host_open("host-230.bin\0x", 14, RW_CREATE), -SQLITE_CANTOPEN);
  CHECK_INT(host_open("", 0, RW_CREATE), -SQLITE_CANTOPEN);
  CHECK_INT(host_open(0, 5, RW_CREATE), -SQLITE_CANTOPEN);
}

TEST(host240, "host-240 an over-long path is CANTOPEN"){
  char *zLong = (char*)sqlite3_malloc64(70000);
  REQUIRE(zLong);
  harnessDefer(sqlite3_free, zLong);
  memset(zLong, 'a', 70000);
  CHECK_INT(host_open(zLong, 70000, RW_CREATE), -SQLITE_CANTOPEN);
  CHECK(host_access(zLong, 70000)<0);
  CHECK(host_delete(zLong, 70000)<0);
}

TEST(host250, "host-250 a directory cannot be opened for writing"){
  mkdir("host-250.dir", 0755);
  CHECK(host_open("host-250.dir", 12, RW_CREATE)<0);
  CHECK_INT(host_access("host-250.dir", 12), 1);
  rmdir("host-250.dir");
}

TEST(host260, "host-260 handles are small and reused"){
  int h1 = host_open("host-260.bin", 12, RW_CREATE);
  int h2;
  REQUIRE(h1>=0);
  CHECK_INT(host_close(h1), 0);
  h2 = host_open("host-260.bin", 12, RW_CREATE);
  REQUIRE(h2>=0);
  CHECK(h2<1024);
  CHECK_INT(host_close(h2), 0);
}

TEST(host300, "host-300 delete, then delete again is NOENT"){
  const char *zPath = "host-300.bin";
  int h = host_open(zPath, (int)strlen(zPath), RW_CREATE);
  REQUIRE(h>=0);
  CHECK_INT(host_close(h), 0);
  CHECK_INT(host_access(zPath, (int)strlen(zPath)), 1);
  CHECK_INT(host_delete(zPath, (int)strlen(zPath)), 0);
  CHECK_INT(host_access(zPath, (int)strlen(zPath)), 0);
  CHECK_INT(host_delete(zPath, (int)strlen(zPath)), -SQLITE_IOERR_DELETE_NOENT);
}

TEST(host310, "host-310 access through a file as directory is 'no'"){
  const char *zPath = "host-310.bin";
  int h = hostOpen(zPath, RW_CREATE);
  REQUIRE(h>=0);
  CHECK_INT(host_access("host-310.bin/x", 14), 0);
}

TEST(host400, "host-400 random bytes fill the buffer and differ"){
  unsigned char a[100000];
  unsigned char b[64];
  int i;
  int nZero = 0;
  memset(a, 0, sizeof(a));
  host_random(a, (int)sizeof(a));
  for(i=0; i<(int)sizeof(a); i++) nZero += a[i]==0;
  /* expected about 390 zero bytes; all-zero tails would mean a short fill */
  CHECK(nZero<1000);
  CHECK(a[sizeof(a)-1]!=0 || a[sizeof(a)-2]!=0 || a[sizeof(a)-3]!=0);
  memcpy(b, a, sizeof(b));
  host_random(a, (int)sizeof(b));
  CHECK(memcmp(a, b, sizeof(b))!=0);
  host_random(a, 0);
  host_random(0, 0);
}

TEST(host410, "host-410 time is the wall clock in milliseconds"){
  double rNow = host_time();
  double rSys = (double)time(0)*1000.0;
  CHECK(fabs(rNow - rSys)<2000.0);
  CHECK(rNow>1.6e12);                      /* after 2020 */
  CHECK(host_time()>=rNow);
}

TEST(host420, "host-420 tzoffset follows TZ"){
  const char *zOld = getenv("TZ");
  char *zSave = zOld ? sqlite3_mprintf("%s", zOld) : 0;
  double rJan = 1704067200000.0;           /* 2024-01-01 00:00 UTC */
  double rJul = 1719792000000.0;           /* 2024-07-01 00:00 UTC */
  setenv("TZ", "UTC0", 1);
  tzset();
  CHECK_INT(host_tzoffset(rJan), 0);
  setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1);
  tzset();
  CHECK_INT(host_tzoffset(rJan), -300);
  CHECK_INT(host_tzoffset(rJul), -240);
  setenv("TZ", "IST-5:30", 1);
  tzset();
  CHECK_INT(host_tzoffset(rJan), 330);
  CHECK_INT(host_tzoffset(NAN), 0);
  if( zSave ){
    setenv("TZ", zSave, 1);
    sqlite3_free(zSave);
  }else{
    unsetenv("TZ");
  }
  tzset();
}

TEST(host430, "host-430 log accepts odd levels and lengths"){
  /* output goes to stderr; this checks only that odd arguments are safe */
  host_log(2, "debug line, shown only with SQLW_DEBUG", 38);
  host_log(99, "debug, clamped to level 2", 25);
  host_log(2, 0, 10);
  host_log(2, "x", -1);
  CHECK(1);
}
