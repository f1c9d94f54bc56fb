/*
** os.c — SQLite's OS layer for the core, which SQLite is built without
** (SQLITE_OS_OTHER=1): registers the core's VFSes at sqlite3_initialize() time.
** SQLite's own "memdb" VFS registers itself and needs nothing here.
*/
#include <time.h>
#include "sqlite3.h"
#include "host.h"
#include "vfs_host.h"

/* Called once by sqlite3_initialize(). "host" is the default VFS. */
int sqlite3_os_init(void){
  return sqlwHostVfsRegister(1);
}

/* Called by sqlite3_shutdown(). Nothing to release. */
int sqlite3_os_end(void){
  return SQLITE_OK;
}

#if defined(__wasm__)
/*
** localtime_r() for SQLite's 'localtime' and 'utc' modifiers. wasi-libc has no time-zone
** data (its localtime is UTC), so the offset comes from the host, which knows the
** user's zone and its daylight-saving rules at the given instant. The SQLite build
** maps localtime_r to this function (-Dlocaltime_r=sqlwLocaltimeR).
*/
struct tm *sqlwLocaltimeR(const time_t *pT, struct tm *pTm);   /* called by SQLite only */
struct tm *sqlwLocaltimeR(const time_t *pT, struct tm *pTm){
  time_t tLocal = *pT + (time_t)host_tzoffset((double)*pT*1000.0)*60;
  return gmtime_r(&tLocal, pTm);
}
#endif
