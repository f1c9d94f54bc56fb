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
// Pools: openPool() gives the core's pool VFS (src/core/vfs_pool.c) a folder of slot
// files under the root, laid out and driven as the browser host does over OPFS
// (src/js/host-browser.js): the same pool object (stat, grow, shrink, wipe, close), so
// one contract suite runs against both.
//   <root>/<encoded database name>/slot-0000, slot-0001, …
//
// Not done: no locking (the core runs one connection per file per process in tests,
// and a pool belongs to one connection), no directory sync after create/delete.

import fs from 'node:fs';
import path from 'node:path';
import { randomFillSync } from 'node:crypto';
import { SQLiteError, misuse } from './errors.js';
import {
  HandleTable, SLOT_RE, baseImports, checkName, folderName, makeEmit, slotName,
} from './host-common.js';
import { SlotPool } from './pool.js';
import {
  SQLITE_CANTOPEN, SQLITE_FULL, SQLITE_IOERR_ACCESS, SQLITE_IOERR_CLOSE,
  SQLITE_IOERR_DELETE, SQLITE_IOERR_DELETE_NOENT, SQLITE_IOERR_FSTAT, SQLITE_IOERR_FSYNC,
  SQLITE_IOERR_READ, SQLITE_IOERR_TRUNCATE, SQLITE_IOERR_WRITE, SQLITE_OPEN_CREATE,
  SQLITE_OPEN_EXCLUSIVE, SQLITE_OPEN_READWRITE, SQLITE_READONLY,
} from './proto.js';

// SQLite's open flags and result codes come from proto.js (generated from sqlite3.h): the
// imports return result codes negated, openPool's errors carry them. SQLITE_OPEN_READONLY
// needs no test of its own: without READWRITE a file opens read-only.


/* True when a Node fs error means the storage is full (→ SQLITE_FULL). */
function isFull(e) {
  return e?.code === 'ENOSPC' || e?.code === 'EDQUOT';
}

/* The error of a file system call that failed, with the SQLite code that describes it. */
function fsError(message, e) {
  const errno = isFull(e) ? SQLITE_FULL : SQLITE_CANTOPEN;
  return new SQLiteError(`${message}: ${e?.code ?? e?.name ?? 'Error'}: ${e?.message ?? e}`, { errno, cause: e });
}

/**
 * Creates a Node host.
 * root: the directory that SQLite paths are resolved in (default: the current directory).
 * log: optional function (level, message) receiving the core's log lines (level 0 error,
 *   1 warning, 2 debug); by default they go to console.error/warn/debug.
 * onBusy: optional function (tag) told, from inside a request, that it has run for a
 *   while (tag: a Uint8Array, the asking client's id), and then (tag null) that it ended.
 * Returns { imports: { host: {...} }, attach(memory) }: pass it to loadCore, which calls
 * attach once with the module's memory before the first import can run. Also
 *   openPool(core, name, options) → Promise<SlotPool>: the database `name` as a pool of
 *   slot files in <root>/<encoded name>/ (see openPool below).
 */
export function createNodeHost({ root = process.cwd(), log, onBusy } = {}) {
  const rootDir = path.resolve(root);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let memory = null;
  // Handle → { fd }.
  const handles = new HandleTable();
  const emit = makeEmit(log);
  // The pools open in this host, by database name (null while one is being opened).
  const pools = new Map();

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
    return handles.get(h)?.fd ?? -1;
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
    return register(fd);
  }

  /* Puts fd in the handle table. Returns its handle number. */
  function register(fd) {
    return handles.add({ fd });
  }

  /* host_close: closes handle h. Returns 0 or -SQLITE_IOERR_CLOSE. */
  function close(h) {
    const fd = fdOf(h);
    if (fd < 0) return -SQLITE_IOERR_CLOSE;
    handles.remove(h);
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


  /* Closes handle h and frees its entry; a second call is a no-op. Never throws. */
  function release(h) {
    const fd = fdOf(h);
    if (fd < 0) return;
    handles.remove(h);
    try {
      fs.closeSync(fd);
    } catch {
      // A descriptor that cannot be closed is unusable anyway; nothing to recover.
    }
  }

  /*
  ** Creates slot file `index` of folder `dir` (it must not exist) and opens it. Returns
  ** its handle. Throws SQLITE_FULL (no space) or SQLITE_CANTOPEN.
  */
  function createSlot(dir, index, dbName) {
    const file = path.join(dir, slotName(index));
    try {
      return register(fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644));
    } catch (e) {
      throw fsError(`cannot create ${slotName(index)} of database ${JSON.stringify(dbName)}`, e);
    }
  }

  /*
  ** The SlotPool backend (src/js/pool.js) of database `name` in folder `dir`: slot
  ** files are made synchronously with node:fs, named slot-<index> from nextIndex on.
  */
  function poolBackend(name, dir, nextIndex) {
    return {
      async create() {
        const index = nextIndex++;
        return { h: createSlot(dir, index, name), label: slotName(index) };
      },
      async remove(h, label) {
        release(h);
        try {
          fs.unlinkSync(path.join(dir, label));
        } catch (e) {
          throw new SQLiteError(`cannot delete ${label} of database ${JSON.stringify(name)}: ${e?.message}`,
            { errno: SQLITE_IOERR_DELETE, cause: e });
        }
      },
      release,
      log: emit,
      onClose: () => pools.delete(name),
    };
  }

  /**
   * Opens the pool of database `name`: its folder under the root (created if missing),
   * every slot file in it, the core's pool over them, then grows it to `initial` slots
   * with `minFree` free.
   * core: the Core of loadCore (its exports drive the pool).
   * options: { initial = 6, minFree = 4 }.
   * Returns a SlotPool (src/js/pool.js); open the database with core.open('/' + name, { vfs: pool.vfs }).
   * Throws SQLiteError: SQLITE_MISUSE for a bad name or a pool open here already;
   * SQLITE_CANTOPEN / SQLITE_FULL when a file cannot be opened or created; the core's
   * code when a slot cannot be added. Nothing stays open after a failure.
   */
  async function openPool(core, name, { initial = 6, minFree = 4 } = {}) {
    const x = core?.exports;
    if (!x || typeof x.pool_create !== 'function') throw misuse('openPool needs the core returned by loadCore');
    if (!memory) throw misuse('openPool needs a host attached to a core (pass the host to loadCore first)');
    checkName(name);
    if (pools.has(name)) throw misuse(`database ${JSON.stringify(name)} is open in this host already`);
    pools.set(name, null); // reserved while the files are being opened

    const opened = [];   // { h, index } opened and not yet given to the pool
    let pool = null;
    try {
      const dir = path.join(rootDir, folderName(name));
      let entries;
      try {
        fs.mkdirSync(dir, { recursive: true });
        entries = fs.readdirSync(dir);
      } catch (e) {
        throw fsError(`cannot open the folder of database ${JSON.stringify(name)}`, e);
      }
      const indexes = entries.map((file) => SLOT_RE.exec(file)).filter(Boolean).map((m) => Number(m[1])).sort((a, b) => a - b);
      for (const index of indexes) {
        try {
          opened.push({ h: register(fs.openSync(path.join(dir, slotName(index)), fs.constants.O_RDWR)), index });
        } catch (e) {
          throw fsError(`cannot open ${slotName(index)} of database ${JSON.stringify(name)}`, e);
        }
      }
      const nextIndex = indexes.length ? indexes[indexes.length - 1] + 1 : 0;

      pool = SlotPool.create(x, name, poolBackend(name, dir, nextIndex), { minFree, initial });
      while (opened.length) {
        const { h, index } = opened.shift();
        pool.adopt(h, slotName(index));
      }
      await pool.grow();
      pools.set(name, pool);
      return pool;
    } catch (e) {
      // Undo everything; the first error is the one worth reporting.
      if (pool) {
        try {
          pool.close();
        } catch {
          // Nothing of a pool that never served a database can be open: ignored.
        }
      }
      for (const { h } of opened) release(h);
      pools.delete(name);
      throw e;
    }
  }

  return {
    imports: {
      host: {
        open, close, read, write, truncate, size, sync, delete: remove, access,
        ...baseImports({ bytes, emit, onBusy, fill: (view) => randomFillSync(view) }),
      },
    },
    /* Gives the host the module's memory; called once by loadCore. */
    attach(mem) {
      memory = mem;
    },
    /* Reads a wasm file (a path or file: URL) for loadCore. */
    readWasm(pathOrUrl) {
      return fs.promises.readFile(pathOrUrl);
    },
    /* The same, synchronously (the FTS5 module, linked in the middle of a prepare). */
    readWasmSync(pathOrUrl) {
      return fs.readFileSync(typeof pathOrUrl === 'string' && pathOrUrl.startsWith('file:') ? new URL(pathOrUrl) : pathOrUrl);
    },
    openPool,
  };
}
