/*
** host.h — the only functions the core imports from its host.
**
** In WebAssembly they are imports of module "host" (the names below without the
** "host_" prefix); natively they are ordinary C functions (src/host/posix/host_posix.c).
** A JavaScript host implements them in src/host/<name>/.
**
** Rules every implementation keeps:
** - No exception or signal crosses into the core: a failure is a negative SQLite result
**   code (for example -SQLITE_CANTOPEN), chosen as specifically as the host can.
** - File offsets and sizes are doubles: exact up to 2^53 bytes, so 64-bit end to end
**   without BigInt on the JavaScript side.
** - Buffers (pointer, length) are only valid during the call.
** - A handle is a small non-negative integer owned by the core until host_close.
*/
#ifndef SQLW_HOST_H
#define SQLW_HOST_H

#include <stddef.h>

#if defined(__wasm__)
# define HOST_IMPORT(name) __attribute__((import_module("host"), import_name(#name)))
#else
# define HOST_IMPORT(name)
#endif

/* Opens (creating if flags has SQLITE_OPEN_CREATE) the file zPath[0..nPath) with
** SQLite's open flags. Returns a handle >= 0, or -SQLITE_CANTOPEN / -SQLITE_PERM /
** -SQLITE_READONLY. */
HOST_IMPORT(open) int host_open(const char *zPath, int nPath, int flags);

/* Closes a handle. Returns 0 or -SQLITE_IOERR_CLOSE. */
HOST_IMPORT(close) int host_close(int h);

/* Reads up to n bytes at iOff into p. Returns the bytes read (fewer at end of file), or
** -SQLITE_IOERR_READ. */
HOST_IMPORT(read) int host_read(int h, void *p, int n, double iOff);

/* Writes all n bytes of p at iOff. Returns 0, -SQLITE_FULL when storage is exhausted
** (even after a partial write), or -SQLITE_IOERR_WRITE. */
HOST_IMPORT(write) int host_write(int h, const void *p, int n, double iOff);

/* Sets the file's size. Returns 0, -SQLITE_FULL or -SQLITE_IOERR_TRUNCATE. */
HOST_IMPORT(truncate) int host_truncate(int h, double iSize);

/* Returns the file's size in bytes, or -SQLITE_IOERR_FSTAT. */
HOST_IMPORT(size) double host_size(int h);

/* Makes every write so far durable. Returns 0 or -SQLITE_IOERR_FSYNC. */
HOST_IMPORT(sync) int host_sync(int h);

/* Deletes the file zPath. Returns 0, -SQLITE_IOERR_DELETE_NOENT when there is none, or
** -SQLITE_IOERR_DELETE. */
HOST_IMPORT(delete) int host_delete(const char *zPath, int nPath);

/* Returns 1 if the file zPath exists, 0 if not, -SQLITE_IOERR_ACCESS on failure. */
HOST_IMPORT(access) int host_access(const char *zPath, int nPath);

/* Fills p[0..n) with cryptographically random bytes. */
HOST_IMPORT(random) void host_random(void *p, int n);

/* Milliseconds since 1970-01-01 00:00:00 UTC. */
HOST_IMPORT(time) double host_time(void);

/* Minutes to add to UTC to get local time at the UTC instant iMs (ms since 1970). */
HOST_IMPORT(tzoffset) int host_tzoffset(double iMs);

/* Returns the math function eOp (SQLW_MATH_* of proto.h) of x, or of x and y for the
** functions of two arguments (atan2, pow, fmod); NaN for an unknown eOp. Only the wasm
** build calls it (src/core/hostmath.c): native builds use their C library's libm. */
HOST_IMPORT(math) double host_math(int eOp, double x, double y);

/* The request running now has run for a while (aTag[0..nTag): whose it is, the asking
** client's id), or, with nTag 0, the request that was reported is over. Called from
** inside the request (SQLite's progress handler): the host can tell its page, which
** can end a worker busy for a client that is gone (see sqlw_set_busy_notice). */
HOST_IMPORT(busy) void host_busy(const unsigned char *aTag, int nTag);

/* Writes one log line z[0..n) at level 0 (error), 1 (warning) or 2 (debug). */
HOST_IMPORT(log) void host_log(int level, const char *z, int n);

#endif /* SQLW_HOST_H */
