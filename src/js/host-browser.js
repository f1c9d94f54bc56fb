// host.js — the browser implementation of the core's host imports (src/core/host.h),
// for a dedicated worker, over OPFS sync access handles.
//
// A browser creates OPFS access handles only asynchronously, while SQLite calls its VFS
// synchronously. So the storage of one database name is a pool (docs/pool-format.md):
// a folder of slot files whose handles this host opens up front, before the core needs
// them; the core's pool VFS (src/core/vfs_pool.c) maps SQLite's files onto them. The host
// imports then work on those handles only: `open` fails (SQLITE_CANTOPEN), `delete` and
// `access` find no file, and `close` refuses a slot, which only its pool closes.
//
// Layout in the origin's OPFS:
//   sqlite-worker/                    one folder for everything of this library
//     <encoded database name>/        one folder per pool (encodeURIComponent, '.' → %2E)
//       slot-0000, slot-0001, …       the slot files
//
// Shape:
//   const host = createBrowserHost({ log });
//   const core = await loadCore({ wasm, host });          // imports + attach(memory)
//   const pool = await host.openPool(core, 'app', { initial: 6, minFree: 4 });
//   const db = core.open('/app', { vfs: pool.vfs });
//   …; await pool.grow();                                 // between requests
//   db.close(); pool.close();                              // releases the handles
//   await host.listDatabases(); await host.deleteDatabase('app'); await host.wipeAll();
//
// Errors: host.h forbids exceptions crossing into C, so every import catches, remembers
// the exception (host.lastError()) and returns the most specific negative SQLite code.
// The async management calls throw SQLiteError (src/js/errors.js):
//   SQLITE_BUSY (errno 5)  the pool's files are held by another worker or tab (or a
//     reloading tab's handles were not released within `busyTimeout`), or the pool is
//     open here and cannot be deleted.
//   SQLITE_WORKER_PERSISTENCE_UNAVAILABLE (the library's own code, src/core/proto.h)  no
//     OPFS, OPFS refused (private browsing: SecurityError), or no sync access handles
//     (not a dedicated worker); the message says which.
//   SQLITE_MISUSE  a bad database name, or a pool opened twice in one worker.
//
// Not done here: deciding when to grow (the caller calls pool.grow() between requests),
// and any coordination between tabs (a later layer's Web Locks).

import { misuse } from './errors.js';
import {
  HandleTable, SLOT_RE, baseImports, checkName, folderName, makeEmit, slotName,
} from './host-common.js';
import { SlotPool } from './pool.js';
import {
  ROOT_FOLDER, busy, deleteDatabaseFolder, ioError, libraryFolder, listDatabases, opfsRoot, unavailable,
  wipeFolders,
} from './opfs.js';
import {
  SQLITE_CANTOPEN, SQLITE_FULL, SQLITE_IOERR_CLOSE, SQLITE_IOERR_DELETE,
  SQLITE_IOERR_DELETE_NOENT, SQLITE_IOERR_FSTAT, SQLITE_IOERR_FSYNC, SQLITE_IOERR_READ,
  SQLITE_IOERR_TRUNCATE, SQLITE_IOERR_WRITE,
} from './proto.js';

// Result codes come from proto.js (generated from sqlite3.h); the imports return them negated.

// How long openPool retries by default while another holder keeps a slot open. Above
// 2 s because Chromium lets a terminated worker's running task go on for 2 s before
// stopping it (and only then releases its handles): a reloading tab's old worker may
// hold the database that long.
const BUSY_TIMEOUT_MS = 3000;
// First wait after NoModificationAllowedError, doubled up to BACKOFF_MAX_MS.
const BACKOFF_FIRST_MS = 25;
const BACKOFF_MAX_MS = 400;


/* A promise resolved after ms milliseconds. */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/*
** Throws SQLITE_WORKER_PERSISTENCE_UNAVAILABLE unless OPFS files can be opened for
** synchronous access here: where createSyncAccessHandle exists but the backend refuses
** it (NotSupportedError, as in WebKitGTK), a database could never open. Opens a handle
** on a probe file of its own in the library's folder, once per worker (a new name each
** time: WebKitGTK answers a second try on a refused file with InvalidStateError), and
** removes it. On refusal nothing is left behind: the probe and a library folder it made
** are removed.
*/
async function probeSyncAccess() {
  if (syncProbed) return;
  const root = await opfsRoot(true);
  let lib;
  let made = false;
  try {
    lib = await root.getDirectoryHandle(ROOT_FOLDER);
  } catch {
    lib = await root.getDirectoryHandle(ROOT_FOLDER, { create: true });
    made = true;
  }
  const probe = `.probe-${Math.random().toString(36).slice(2)}`;
  try {
    const access = await (await lib.getFileHandle(probe, { create: true })).createSyncAccessHandle();
    access.close();
    syncProbed = true;
    lib.removeEntry(probe).catch(() => {});
  } catch (e) {
    await lib.removeEntry(probe).catch(() => {});
    if (made) await root.removeEntry(ROOT_FOLDER).catch(() => {});
    throw unavailable(`the browser does not open OPFS files for synchronous access here (${e?.name}: ${e?.message})`, e);
  }
}
let syncProbed = false;

// How long readWasmSync waits for a module (FTS5's, 61 KB gzip) before it gives up.
const SYNC_FETCH_TIMEOUT_MS = 20_000;

/**
 * Creates a browser host.
 * log: optional function (level, message) receiving the core's log lines (level 0 error,
 *   1 warning, 2 debug); by default they go to console.error/warn/debug.
 * onBusy: optional function (tag) told, from inside a request, that it has run for a
 *   while (tag: a Uint8Array, the asking client's id), and then (tag null) that it ended.
 * Returns the host: { imports, attach(memory), readWasmSync(url) } for loadCore, plus
 *   openPool(core, name, options) → Promise<SlotPool>
 *   listDatabases() → Promise<string[]>
 *   deleteDatabase(name) → Promise<boolean>
 *   wipeAll() → Promise<void>
 *   lastError() → { op, name, message } of the last failed import, or null.
 */
export function createBrowserHost({ log, onBusy } = {}) {
  let memory = null;
  // Handle → { access: FileSystemSyncAccessHandle, file: slot file name }.
  const handles = new HandleTable();
  const emit = makeEmit(log);
  // The pools open in this host, by database name.
  const pools = new Map();
  // The folders of databases this worker may soon open, looked up ahead (prepareFolder):
  // name → promise of the folder's handle, or of null when it was not found.
  const prepared = new Map();
  let lastFailure = null;

  /* The bytes [ptr, ptr+n) of wasm memory; a fresh view, since memory may have grown. */
  function bytes(ptr, n) {
    return new Uint8Array(memory.buffer, ptr, n);
  }

  /* Remembers why an import failed (for lastError) and returns -rc. */
  function fail(op, e, rc) {
    lastFailure = { op, name: e?.name ?? 'Error', message: String(e?.message ?? e) };
    return -rc;
  }

  /* The access handle of h, or null when h is not an open handle. */
  function accessOf(h) {
    return handles.get(h)?.access ?? null;
  }

  /* Puts an access handle in the table. Returns its handle number. */
  function register(access, file) {
    return handles.add({ access, file });
  }

  /* Closes handle h and frees its entry; a second call is a no-op. Never throws. */
  function release(h) {
    const entry = handles.remove(h);
    if (!entry) return;
    try {
      entry.access.close();
    } catch (e) {
      // Closing a handle the browser already dropped is harmless; remember it anyway.
      fail('close', e, SQLITE_IOERR_CLOSE);
    }
  }

  /* host_open: only pool slots exist in a browser; they are opened by openPool. */
  function open() {
    lastFailure = { op: 'open', name: 'NotSupported', message: 'files outside a pool cannot be opened in a browser' };
    return -SQLITE_CANTOPEN;
  }

  /*
  ** host_close: every handle of this host is a pool's slot, owned by its pool until
  ** SlotPool#close (docs/wasm-abi.md: the host owns slot handles), so the core may
  ** not close one: that would let the number be reused under the pool. Returns
  ** -SQLITE_IOERR_CLOSE.
  */
  function close(h) {
    return fail('close', new Error(`handle ${h} is a pool slot: only its pool closes it`), SQLITE_IOERR_CLOSE);
  }

  /*
  ** host_read: reads up to n bytes at offset into p. Returns the bytes read (fewer only
  ** at end of file) or -SQLITE_IOERR_READ.
  */
  function read(h, p, n, offset) {
    const access = accessOf(h);
    if (!access) return fail('read', new Error(`bad handle ${h}`), SQLITE_IOERR_READ);
    try {
      const buf = bytes(p, n);
      let got = 0;
      while (got < n) {
        const k = access.read(buf.subarray(got), { at: offset + got });
        if (k <= 0) break; // end of file
        got += k;
      }
      return got;
    } catch (e) {
      // Converted to a code (host.h: no exception crosses into C).
      return fail('read', e, SQLITE_IOERR_READ);
    }
  }

  /*
  ** host_write: writes all n bytes of p at offset, looping while each call makes
  ** progress. Returns 0; -SQLITE_FULL when storage is exhausted: a thrown
  ** QuotaExceededError (Chromium) or a call that writes nothing more (Firefox writes
  ** what fits and returns the short count); -SQLITE_IOERR_WRITE otherwise.
  */
  function write(h, p, n, offset) {
    const access = accessOf(h);
    if (!access) return fail('write', new Error(`bad handle ${h}`), SQLITE_IOERR_WRITE);
    try {
      const buf = bytes(p, n);
      let done = 0;
      while (done < n) {
        const k = access.write(buf.subarray(done), { at: offset + done });
        if (!(k > 0)) {
          return fail('write', new Error(`short write: ${done} of ${n} bytes at ${offset}`), SQLITE_FULL);
        }
        done += k;
      }
      return 0;
    } catch (e) {
      // Converted to a code; a full storage must stay distinguishable from an I/O error.
      return fail('write', e, e?.name === 'QuotaExceededError' ? SQLITE_FULL : SQLITE_IOERR_WRITE);
    }
  }

  /* host_truncate: sets the file size. Returns 0, -SQLITE_FULL or -SQLITE_IOERR_TRUNCATE. */
  function truncate(h, size) {
    const access = accessOf(h);
    if (!access) return fail('truncate', new Error(`bad handle ${h}`), SQLITE_IOERR_TRUNCATE);
    try {
      access.truncate(size);
      return 0;
    } catch (e) {
      // Converted to a code (growing a file can exceed the quota).
      return fail('truncate', e, e?.name === 'QuotaExceededError' ? SQLITE_FULL : SQLITE_IOERR_TRUNCATE);
    }
  }

  /* host_size: returns the file size in bytes or -SQLITE_IOERR_FSTAT. */
  function size(h) {
    const access = accessOf(h);
    if (!access) return fail('size', new Error(`bad handle ${h}`), SQLITE_IOERR_FSTAT);
    try {
      return access.getSize();
    } catch (e) {
      // Converted to a code (host.h: no exception crosses into C).
      return fail('size', e, SQLITE_IOERR_FSTAT);
    }
  }

  /* host_sync: flushes the file to durable storage. Returns 0 or -SQLITE_IOERR_FSYNC. */
  function sync(h) {
    const access = accessOf(h);
    if (!access) return fail('sync', new Error(`bad handle ${h}`), SQLITE_IOERR_FSYNC);
    try {
      access.flush();
      return 0;
    } catch (e) {
      // Converted to a code (host.h: no exception crosses into C).
      return fail('sync', e, SQLITE_IOERR_FSYNC);
    }
  }

  /* host_delete: outside a pool no file exists, so there is nothing to delete. */
  function remove() {
    return -SQLITE_IOERR_DELETE_NOENT;
  }

  /* host_access: outside a pool no file exists. */
  function access() {
    return 0;
  }


  /*
  ** Creates a sync access handle on file handle `fh`, retrying with exponential backoff
  ** while another holder has one (NoModificationAllowedError: another worker or tab, or
  ** a reloading tab whose handles are not released yet) until `deadline` (a Date.now()
  ** value). Returns the handle. Throws SQLITE_BUSY when the deadline passes, or an
  ** SQLITE_CANTOPEN error for any other failure.
  */
  async function acquire(fh, dbName, deadline) {
    let wait = BACKOFF_FIRST_MS;
    const started = Date.now();
    for (;;) {
      try {
        return await fh.createSyncAccessHandle();
      } catch (e) {
        // Held by another handle: NoModificationAllowedError, or InvalidStateError in
        // WebKit; both are waited out, up to the deadline.
        if (e?.name === 'NotSupportedError') {
          throw unavailable(`the browser does not open OPFS files for synchronous access here (${e.name}: ${e.message})`, e);
        }
        if (e?.name !== 'NoModificationAllowedError' && e?.name !== 'InvalidStateError') {
          throw ioError(`cannot open ${fh.name} of database ${JSON.stringify(dbName)}`, SQLITE_CANTOPEN, e);
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          throw busy(`database ${JSON.stringify(dbName)} is in use by another worker or tab ` +
            `(its file ${fh.name} stayed locked for ${Date.now() - started} ms)`, e);
        }
        await sleep(Math.min(wait, left));
        wait = Math.min(wait * 2, BACKOFF_MAX_MS);
      }
    }
  }

  /*
  ** Creates the next slot file of `dir` and opens its access handle. Returns
  ** { access, file }. Throws SQLITE_FULL when the quota forbids a new file, an
  ** SQLITE_CANTOPEN error otherwise.
  */
  async function createSlot(dir, index, dbName) {
    const file = slotName(index);
    let fh;
    try {
      fh = await dir.getFileHandle(file, { create: true });
    } catch (e) {
      if (e?.name === 'QuotaExceededError') throw ioError(`cannot create ${file} of database ${JSON.stringify(dbName)}`, SQLITE_FULL, e);
      throw ioError(`cannot create ${file} of database ${JSON.stringify(dbName)}`, SQLITE_CANTOPEN, e);
    }
    // A file just created has no other holder; a short deadline still covers a race.
    // A file that cannot be opened is not left behind (an empty slot file is nothing).
    try {
      return { access: await acquire(fh, dbName, Date.now() + 1000), file };
    } catch (e) {
      await dir.removeEntry(file).catch(() => {});
      throw e;
    }
  }

  /*
  ** The SlotPool backend (src/js/pool.js) of database `name` in OPFS folder `dir`: slot
  ** files are created and opened asynchronously, named slot-<index> from nextIndex on.
  */
  function poolBackend(name, dir, nextIndex) {
    return {
      async create() {
        // The index is taken before the await, so overlapping calls never share a file.
        const { access, file } = await createSlot(dir, nextIndex++, name);
        return { h: register(access, file), label: file };
      },
      async remove(h, label) {
        release(h);
        try {
          await dir.removeEntry(label);
        } catch (e) {
          throw ioError(`cannot delete ${label} of database ${JSON.stringify(name)}`, SQLITE_IOERR_DELETE, e);
        }
      },
      release,
      log: emit,
      onClose: () => pools.delete(name),
    };
  }

  /**
   * Opens the pool of database `name`: its OPFS folder (created if missing), an access
   * handle on every slot file, the core's pool over them, then grows it to `initial`
   * slots with `minFree` free.
   * core: the Core of loadCore (its exports drive the pool), or a promise of it: the
   *   handles are opened while it loads.
   * options: { initial = 6, minFree = 4, busyTimeout = 3000 (ms to retry while another
   *   worker or tab holds a slot) }.
   * Returns a SlotPool (src/js/pool.js); open the database with core.open('/' + name, { vfs: pool.vfs }).
   * Throws SQLiteError: SQLITE_BUSY when the files stay held elsewhere past busyTimeout;
   * SQLITE_WORKER_PERSISTENCE_UNAVAILABLE; SQLITE_MISUSE for a bad name or a pool open
   * here already; SQLITE_CANTOPEN / SQLITE_FULL when OPFS refuses a file; the core's code
   * when a slot cannot be added. Nothing stays open after a failure.
   */
  async function openPool(coreOrPromise, name, { initial = 6, minFree = 4, busyTimeout = BUSY_TIMEOUT_MS } = {}) {
    checkName(name);
    if (pools.has(name)) throw misuse(`database ${JSON.stringify(name)} is open in this worker already`);
    pools.set(name, null); // reserved while the handles are being opened

    const opened = [];   // access handles opened and not yet given to the pool
    let dir = null;      // the database's folder
    let made = null;     // the library folder, when this call made the database's folder
    let x = null;        // the core's exports, once it is loaded
    let pool = null;
    try {
      // A folder looked up ahead is used once; without one, two round trips more.
      const ahead = prepared.get(name);
      prepared.delete(name);
      dir = ahead ? await ahead : null;
      if (!dir) {
        const lib = await libraryFolder(true);
        try {
          dir = await lib.getDirectoryHandle(folderName(name)).catch(async (e) => {
            if (e?.name !== 'NotFoundError') throw e;
            made = lib;
            return lib.getDirectoryHandle(folderName(name), { create: true });
          });
        } catch (e) {
          throw ioError(`cannot open the folder of database ${JSON.stringify(name)}`, SQLITE_CANTOPEN, e);
        }
      }
      // Every slot's handle is requested at once: each is a round trip to the browser's
      // storage process, and a database's start-up waits for all of them. Then the folder
      // is listed again: a previous holder may have added a slot after the first listing
      // (it held its files until our handles were granted), and a slot missed could hold
      // the WAL. Until a listing finds nothing new.
      const deadline = Date.now() + busyTimeout;
      const files = [];
      for (;;) {
        const fresh = [];
        for await (const [file, fh] of dir.entries()) {
          const m = SLOT_RE.exec(file);
          if (m && fh.kind === 'file' && !files.some((f) => f.fh.name === file)) fresh.push({ index: Number(m[1]), fh });
        }
        if (fresh.length === 0) break;
        files.push(...fresh);
        const got = await Promise.allSettled(fresh.map(({ fh }) => acquire(fh, name, deadline)));
        got.forEach((g, i) => {
          if (g.status === 'fulfilled') opened.push({ access: g.value, file: fresh[i].fh.name });
        });
        const failed = got.find((g) => g.status === 'rejected');
        if (failed) throw failed.reason;
      }
      files.sort((a, b) => a.index - b.index);
      opened.sort((a, b) => Number(SLOT_RE.exec(a.file)[1]) - Number(SLOT_RE.exec(b.file)[1]));
      const nextIndex = files.length ? files[files.length - 1].index + 1 : 0;

      // The core is needed only from here: a caller may pass it still loading, so the
      // wasm compiles while the handles above were being opened.
      const core = await coreOrPromise;
      x = core?.exports;
      if (!x || typeof x.pool_create !== 'function') throw misuse('openPool needs the core returned by loadCore');
      if (!memory) throw misuse('openPool needs a host attached to a core (pass the host to loadCore first)');

      // The core's pool, over the handles: synchronous from here until grow().
      pool = SlotPool.create(x, name, poolBackend(name, dir, nextIndex), { minFree, initial });
      while (opened.length) {
        const { access, file } = opened.shift();
        pool.adopt(register(access, file), file);
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
      for (const { access } of opened) {
        try {
          access.close();
        } catch {
          // A handle that cannot be closed is already unusable: ignored.
        }
      }
      if (made) {
        // A folder this call made for a database that never opened: not left behind
        // (removed only while empty; a slot file in it means another tab is using it).
        await made.removeEntry(folderName(name)).catch(() => {});
      }
      pools.delete(name);
      throw e;
    }
  }

  /**
   * Deletes database `name` and its storage (opfs.js). Throws SQLiteError SQLITE_BUSY
   * also when it is open in this worker (close it first).
   */
  async function deleteDatabase(name) {
    if (pools.has(name)) throw busy(`database ${JSON.stringify(name)} is open in this worker: close it before deleting it`);
    return deleteDatabaseFolder(name);
  }

  /**
   * Deletes every database of this origin (opfs.js). Throws SQLiteError SQLITE_BUSY
   * also when a pool is open in this worker.
   */
  async function wipeAll() {
    if (pools.size) throw busy(`databases are open in this worker (${[...pools.keys()].join(', ')}): close them first`);
    return wipeFolders();
  }

  return {
    imports: {
      host: {
        open, close, read, write, truncate, size, sync, delete: remove, access,
        ...baseImports({ bytes, emit, onBusy, fill: (view) => crypto.getRandomValues(view) }),
      },
    },
    /* Gives the host the module's memory; called once by loadCore. */
    attach(mem) {
      memory = mem;
    },
    /*
    ** Reads a wasm module at `url` synchronously (the FTS5 module, linked in the middle
    ** of a prepare: src/js/link.js). Allowed in a worker, not on a page. Returns an
    ** ArrayBuffer; throws naming the URL and the HTTP status on failure.
    */
    readWasmSync(url) {
      const req = new XMLHttpRequest();
      req.open('GET', String(url), false);
      req.responseType = 'arraybuffer';
      // The worker waits for it, and with it every tab it serves: a stalled download
      // fails the statement rather than the database (a worker may time a synchronous
      // request; a page may not).
      req.timeout = SYNC_FETCH_TIMEOUT_MS;
      req.send();
      if (req.status !== 200 && !(req.status === 0 && req.response?.byteLength)) {
        throw new Error(`cannot load ${url}: HTTP ${req.status} ${req.statusText}`);
      }
      return req.response;
    },
    openPool,
    /*
    ** Closes every access handle this host holds, without calling into the core: for a
    ** worker whose core can no longer be trusted (a wasm trap), so that another tab can
    ** open the files at once. Never throws.
    */
    releaseAll() {
      for (const h of handles.open()) release(h);
      pools.clear();
    },
    /* Resolves when databases can be opened on OPFS here; throws like openPool. */
    checkOpfs: () => probeSyncAccess(),
    /*
    ** Looks up the folder of database `name` ahead of an openPool, which then skips that
    ** step (a follower does this, so that taking the lead has two round trips to the
    ** browser's storage fewer). Opens no file and creates nothing; a folder not found
    ** (or any failure) leaves openPool to look it up itself. Never throws.
    */
    prepareFolder(name) {
      if (pools.has(name)) return;
      const ahead = libraryFolder(false).then((lib) => lib?.getDirectoryHandle(folderName(name)) ?? null);
      prepared.set(name, ahead.catch(() => null));
    },
    listDatabases,
    deleteDatabase,
    wipeAll,
    /** The last failure of an import: { op, name, message }, or null. */
    lastError() {
      return lastFailure;
    },
  };
}
