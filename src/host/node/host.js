// host.js — the Node implementation of the core's host imports (src/core/host.h).
//
// Backs the core's 'host' VFS with real files through synchronous node:fs calls, so the
// same C that runs in the browser can be tested in Node against a real file system.
// SQLite's calls are synchronous and so are these.
//
// Paths: SQLite paths are virtual. Each one is resolved inside `root`; a leading '/'
// means the root, not the machine's '/', and a path that would leave the root ('..')
// cannot be opened.
//
// Errors: host.h forbids exceptions crossing into C, so every import catches and
// returns the most specific negative SQLite code (values from sqlite3.h, listed below).
//
// Not done: no locking (the core runs one connection per file per process in tests),
// no directory sync after create/delete.

import fs from 'node:fs';
import path from 'node:path';
import { randomFillSync } from 'node:crypto';

// SQLite open flags (sqlite3.h) that a host file open honours. SQLITE_OPEN_READONLY
// (0x1) needs no test of its own: without READWRITE a file opens read-only.
const SQLITE_OPEN_READWRITE = 0x2;
const SQLITE_OPEN_CREATE = 0x4;
const SQLITE_OPEN_EXCLUSIVE = 0x10;

// Result codes returned negated (sqlite3.h; SQLITE_IOERR_x = 10 | (n << 8)).
const SQLITE_READONLY = 8;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_IOERR_READ = 266;
const SQLITE_IOERR_WRITE = 778;
const SQLITE_IOERR_FSYNC = 1034;
const SQLITE_IOERR_TRUNCATE = 1546;
const SQLITE_IOERR_FSTAT = 1802;
const SQLITE_IOERR_DELETE = 2570;
const SQLITE_IOERR_ACCESS = 3338;
const SQLITE_IOERR_CLOSE = 4106;
const SQLITE_IOERR_DELETE_NOENT = 5898;

// crypto fills are done in chunks of this size, the Web Crypto limit, so the code reads
// the same as the browser host's.
const RANDOM_CHUNK = 65536;

/* True when a Node fs error means the storage is full (→ SQLITE_FULL). */
function isFull(e) {
  return e?.code === 'ENOSPC' || e?.code === 'EDQUOT';
}

/**
 * Creates a Node host.
 * root: the directory that SQLite paths are resolved in (default: the current directory).
 * log: optional function (level, message) receiving the core's log lines (level 0 error,
 *   1 warning, 2 debug); by default they go to console.error/warn/debug.
 * Returns { imports: { host: {...} }, attach(memory) }: pass it to loadCore, which calls
 * attach once with the module's memory before the first import can run.
 */
export function createNodeHost({ root = process.cwd(), log } = {}) {
  const rootDir = path.resolve(root);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let memory = null;
  // handles[h] = fd, or -1 for a free slot; free slots are reused lowest first so that
  // handles stay small as host.h asks.
  const handles = [];

  /* The bytes [ptr, ptr+n) of wasm memory; a fresh view, since memory may have grown. */
  function bytes(ptr, n) {
    return new Uint8Array(memory.buffer, ptr, n);
  }

  /*
  ** Resolves the SQLite path at (ptr, n) inside the root. Returns the absolute path, or
  ** null when it would leave the root (or holds U+0000, which no file name may).
  */
  function resolvePath(ptr, n) {
    const zPath = decoder.decode(bytes(ptr, n));
    if (zPath.includes('\0')) return null;
    const abs = path.resolve(rootDir, '.' + path.sep + zPath.replace(/^[/\\]+/, ''));
    const rel = path.relative(rootDir, abs);
    if (rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel)) return null;
    return abs;
  }

  /* The fd of handle h, or -1 when h is not an open handle. */
  function fdOf(h) {
    return Number.isInteger(h) && h >= 0 && h < handles.length ? handles[h] : -1;
  }

  /*
  ** host_open: opens or creates a file. Returns a handle >= 0, -SQLITE_CANTOPEN
  ** (missing file, no permission, a directory, any other failure) or -SQLITE_READONLY
  ** (read-only file system).
  */
  function open(ptr, n, flags) {
    const file = resolvePath(ptr, n);
    if (file === null) return -SQLITE_CANTOPEN;
    let oflag = (flags & SQLITE_OPEN_READWRITE) ? fs.constants.O_RDWR : fs.constants.O_RDONLY;
    if (flags & SQLITE_OPEN_CREATE) oflag |= fs.constants.O_CREAT;
    if (flags & SQLITE_OPEN_EXCLUSIVE) oflag |= fs.constants.O_EXCL;
    let fd;
    try {
      fd = fs.openSync(file, oflag, 0o644);
    } catch (e) {
      // No exception may reach C: the error becomes the code SQLite expects.
      return e?.code === 'EROFS' ? -SQLITE_READONLY : -SQLITE_CANTOPEN;
    }
    let h = handles.indexOf(-1);
    if (h < 0) h = handles.push(fd) - 1;
    else handles[h] = fd;
    return h;
  }

  /* host_close: closes handle h. Returns 0 or -SQLITE_IOERR_CLOSE. */
  function close(h) {
    const fd = fdOf(h);
    if (fd < 0) return -SQLITE_IOERR_CLOSE;
    handles[h] = -1;
    try {
      fs.closeSync(fd);
      return 0;
    } catch {
      // Converted to a code: the core decides what a failed close means.
      return -SQLITE_IOERR_CLOSE;
    }
  }

  /*
  ** host_read: reads up to n bytes at offset into p, looping over short reads. Returns
  ** the bytes read (fewer only at end of file) or -SQLITE_IOERR_READ.
  */
  function read(h, p, n, offset) {
    const fd = fdOf(h);
    if (fd < 0) return -SQLITE_IOERR_READ;
    try {
      const buf = bytes(p, n);
      let got = 0;
      while (got < n) {
        const k = fs.readSync(fd, buf, got, n - got, offset + got);
        if (k === 0) break; // end of file
        got += k;
      }
      return got;
    } catch {
      // Converted to a code (host.h: no exception crosses into C).
      return -SQLITE_IOERR_READ;
    }
  }

  /*
  ** host_write: writes all n bytes of p at offset. Returns 0, -SQLITE_FULL when storage
  ** is exhausted (even after a partial write), or -SQLITE_IOERR_WRITE.
  */
  function write(h, p, n, offset) {
    const fd = fdOf(h);
    if (fd < 0) return -SQLITE_IOERR_WRITE;
    try {
      const buf = bytes(p, n);
      let done = 0;
      while (done < n) done += fs.writeSync(fd, buf, done, n - done, offset + done);
      return 0;
    } catch (e) {
      // Converted to a code; a full disk must stay distinguishable from an I/O error.
      return isFull(e) ? -SQLITE_FULL : -SQLITE_IOERR_WRITE;
    }
  }

  /* host_truncate: sets the file size. Returns 0, -SQLITE_FULL or -SQLITE_IOERR_TRUNCATE. */
  function truncate(h, size) {
    const fd = fdOf(h);
    if (fd < 0) return -SQLITE_IOERR_TRUNCATE;
    try {
      fs.ftruncateSync(fd, size);
      return 0;
    } catch (e) {
      // Converted to a code (growing a file can hit a full disk).
      return isFull(e) ? -SQLITE_FULL : -SQLITE_IOERR_TRUNCATE;
    }
  }

  /* host_size: returns the file size in bytes or -SQLITE_IOERR_FSTAT. */
  function size(h) {
    const fd = fdOf(h);
    if (fd < 0) return -SQLITE_IOERR_FSTAT;
    try {
      return fs.fstatSync(fd).size;
    } catch {
      // Converted to a code (host.h: no exception crosses into C).
      return -SQLITE_IOERR_FSTAT;
    }
  }

  /* host_sync: makes the writes durable. Returns 0 or -SQLITE_IOERR_FSYNC. */
  function sync(h) {
    const fd = fdOf(h);
    if (fd < 0) return -SQLITE_IOERR_FSYNC;
    try {
      fs.fsyncSync(fd);
      return 0;
    } catch {
      // Converted to a code (host.h: no exception crosses into C).
      return -SQLITE_IOERR_FSYNC;
    }
  }

  /*
  ** host_delete: deletes a file. Returns 0, -SQLITE_IOERR_DELETE_NOENT when there is
  ** none, or -SQLITE_IOERR_DELETE.
  */
  function remove(ptr, n) {
    const file = resolvePath(ptr, n);
    if (file === null) return -SQLITE_IOERR_DELETE;
    try {
      fs.unlinkSync(file);
      return 0;
    } catch (e) {
      // Converted to a code; SQLite treats a missing file as success where it matters.
      return e?.code === 'ENOENT' ? -SQLITE_IOERR_DELETE_NOENT : -SQLITE_IOERR_DELETE;
    }
  }

  /* host_access: returns 1 if the file exists, 0 if not, -SQLITE_IOERR_ACCESS on failure. */
  function access(ptr, n) {
    const file = resolvePath(ptr, n);
    if (file === null) return 0; // outside the root nothing exists for SQLite
    try {
      fs.accessSync(file, fs.constants.F_OK);
      return 1;
    } catch (e) {
      // Converted to a code: absence is an answer, anything else a failure.
      return e?.code === 'ENOENT' || e?.code === 'ENOTDIR' ? 0 : -SQLITE_IOERR_ACCESS;
    }
  }

  /* host_random: fills p[0..n) with cryptographically random bytes. */
  function random(p, n) {
    const buf = bytes(p, n);
    for (let i = 0; i < n; i += RANDOM_CHUNK) randomFillSync(buf, i, Math.min(RANDOM_CHUNK, n - i));
  }

  /* host_time: milliseconds since 1970-01-01 UTC. */
  function time() {
    return Date.now();
  }

  /* host_tzoffset: minutes to add to UTC for local time at the instant ms (0 if invalid). */
  function tzoffset(ms) {
    const offset = -new Date(ms).getTimezoneOffset();
    return Number.isFinite(offset) ? offset : 0;
  }

  /* host_log: passes one log line to the `log` option or the console. */
  function hostLog(level, ptr, n) {
    const message = decoder.decode(bytes(ptr, n));
    if (log) {
      try {
        log(level, message);
      } catch (e) {
        // A failing logger must not unwind through C; report it where a person sees it.
        console.error('sqlite-worker: the log callback threw:', e);
      }
      return;
    }
    if (level === 0) console.error(`sqlite-worker: ${message}`);
    else if (level === 1) console.warn(`sqlite-worker: ${message}`);
    else console.debug(`sqlite-worker: ${message}`);
  }

  return {
    imports: {
      host: {
        open, close, read, write, truncate, size, sync, delete: remove, access,
        random, time, tzoffset, log: hostLog,
      },
    },
    /* Gives the host the module's memory; called once by loadCore. */
    attach(mem) {
      memory = mem;
    },
  };
}
