// pool.js — the JavaScript side of one database name's pool of slot files, shared by
// every host that has pools (src/js/host-browser.js, src/js/host-node.js).
//
// The core's pool (src/core/vfs_pool.c) decides everything about slots; this class only
// supplies slot files when the core wants them (grow), hands free ones back (shrink),
// and owns their handles until close(). How a slot file is made, removed and released
// differs per host and comes in as a backend:
//   backend.create()            → Promise<{ h, label }>: a new slot file, its host handle
//                                 and a label for messages (its file name)
//   backend.remove(h, label)    → Promise: closes handle h and deletes its file; throws
//                                 SQLiteError SQLITE_IOERR_DELETE when it cannot
//   backend.release(h)          closes handle h
//   backend.log(level, message) reports a corrupt slot (level 1, a warning)
//   backend.onClose()           the pool is closed: the host forgets it

import { SQLiteError, misuse } from './errors.js';
import {
  SQLITE_CORRUPT, SQLITE_MISUSE, SQLITE_NOMEM, SQLW_POOL_CORRUPT, SQLW_POOL_FREE, SQLW_POOL_OPEN, SQLW_POOL_SLOTS,
  SQLW_POOL_WANTED,
} from './proto.js';

// Most slot files one grow() call creates: a bound, not a limit anyone should reach.
const GROW_MAX = 64;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/**
 * One database name's pool, open in a host. Created by the host's openPool(); owns the
 * handles of its slots until close().
 */
export class SlotPool {
  #x;
  #backend;
  #labels = new Map();   // host handle → label of this pool's slots
  #closed = false;

  /*
  ** x: the core's exports; id: the core's pool (a wasm pointer); name: the database
  ** name; backend: see the file header; minFree, initial: see grow().
  */
  constructor(x, id, name, backend, { minFree, initial }) {
    this.#x = x;
    this.#backend = backend;
    /** The pool of the core (a wasm pointer). */
    this.id = id;
    /** The database name. */
    this.name = name;
    /** The VFS name to open the database with: core.open('/' + name, { vfs }). */
    this.vfs = this.#cString(x.pool_vfs(id));
    /** Free slots grow() keeps in reserve beyond what the core asks for. */
    this.minFree = minFree;
    /** Slots grow() keeps at least. */
    this.initial = initial;
  }

  /**
   * Creates the core's pool of database `name` and the SlotPool over it (x: the core's
   * exports; backend, options: as for the constructor). The core's pool is destroyed
   * again when the SlotPool cannot be made. Throws SQLiteError SQLITE_NOMEM, or
   * SQLITE_MISUSE with the core's reason (a bad name, a pool of that name already).
   */
  static create(x, name, backend, options) {
    const zName = textEncoder.encode(name);
    const p = x.scratch(zName.length + 1);
    if (!p) throw new SQLiteError('out of memory', { errno: SQLITE_NOMEM });
    const u8 = new Uint8Array(x.memory.buffer);
    u8.set(zName, p);
    u8[p + zName.length] = 0;
    const id = x.pool_create(p);
    if (!id) throw new SQLiteError(cString(x, x.pool_errmsg(0)) || 'cannot create the pool', { errno: SQLITE_MISUSE });
    try {
      return new SlotPool(x, id, name, backend, options);
    } catch (e) {
      x.pool_destroy(id);
      throw e;
    }
  }

  /** The pool's counters: { slots, free, corrupt, open, wanted }. */
  stat() {
    this.#check();
    const s = (op) => this.#x.pool_stat(this.id, op);
    return { slots: s(SQLW_POOL_SLOTS), free: s(SQLW_POOL_FREE), corrupt: s(SQLW_POOL_CORRUPT), open: s(SQLW_POOL_OPEN), wanted: s(SQLW_POOL_WANTED) };
  }

  /**
   * Adds slot files until the core wants no more, at least `minFree` are free and at
   * least `initial` exist (at most 64 per call). Call it between requests: SQLite's
   * calls are synchronous and cannot wait for a new file. Returns the slots added.
   * Throws SQLiteError SQLITE_FULL / SQLITE_CANTOPEN when a slot cannot be created.
   */
  async grow() {
    this.#check();
    let added = 0;
    while (added < GROW_MAX) {
      const { slots, free, wanted } = this.stat();
      if (wanted <= 0 && free >= this.minFree && slots >= this.initial) break;
      const { h, label } = await this.#backend.create();
      if (this.#closed) { // closed while the file was being created
        this.#backend.release(h);
        break;
      }
      this.adopt(h, label);
      added++;
    }
    return added;
  }

  /**
   * Removes free slots beyond `keepFree` (default minFree): their handles are closed
   * and their files deleted. Returns the slots removed. Throws SQLiteError
   * SQLITE_IOERR_DELETE when a file cannot be removed (its slot is gone from the pool).
   */
  async shrink(keepFree = this.minFree) {
    this.#check();
    let removed = 0;
    while (this.stat().free > keepFree) {
      const h = this.#x.pool_take_free(this.id);
      if (h < 0) break;
      const label = this.#labels.get(h);
      this.#labels.delete(h);
      await this.#backend.remove(h, label);
      removed++;
    }
    return removed;
  }

  /**
   * Frees every slot: the database is gone, the slot files stay for reuse.
   * Throws SQLiteError SQLITE_BUSY while the database is open.
   */
  wipe() {
    this.#check();
    const rc = this.#x.pool_wipe(this.id);
    if (rc !== 0) throw this.#error(rc);
  }

  /**
   * Unregisters the pool's VFS and closes every slot handle, so another worker or tab
   * can open the database. A second call is a no-op. Throws SQLiteError SQLITE_BUSY
   * while the database (any file of the pool) is open: close it first.
   */
  close() {
    if (this.#closed) return;
    const rc = this.#x.pool_destroy(this.id);
    if (rc !== 0) throw this.#error(rc);
    this.#closed = true;
    for (const h of this.#labels.keys()) this.#backend.release(h);
    this.#labels.clear();
    this.#backend.onClose();
  }

  /** True once close() has succeeded. */
  get closed() {
    return this.#closed;
  }

  /**
   * Adds slot handle h (label: its file name, for messages) to the core's pool; from
   * here on close() releases it. Used by grow() and by the host's openPool for the
   * files that exist already. A corrupt slot is kept (the core sets it aside, and
   * opening the database then fails with SQLITE_CORRUPT); any other failure throws the
   * core's error.
   */
  adopt(h, label) {
    this.#labels.set(h, label);
    const rc = this.#x.pool_add_slot(this.id, h);
    if (rc === SQLITE_CORRUPT) {
      this.#backend.log(1, `database ${JSON.stringify(this.name)}: ${label}: ${this.#cString(this.#x.pool_errmsg(this.id))}`);
      return;
    }
    if (rc !== 0) throw this.#error(rc);
  }

  /* The SQLiteError of a failed pool call with result code rc. */
  #error(rc) {
    const code = this.#cString(this.#x.code_name(rc)) || 'SQLITE_ERROR';
    return new SQLiteError(this.#cString(this.#x.pool_errmsg(this.id)) || code, { errno: rc });
  }

  /* Throws SQLITE_MISUSE once the pool is closed. */
  #check() {
    if (this.#closed) throw misuse(`the pool of database ${JSON.stringify(this.name)} is closed`);
  }

  /* Reads the NUL-terminated UTF-8 string at ptr of the core's memory ('' for 0). */
  #cString(ptr) {
    return cString(this.#x, ptr);
  }
}

/* The NUL-terminated UTF-8 string at ptr of the memory of the core x ('' for 0). */
function cString(x, ptr) {
  if (!ptr) return '';
  const u8 = new Uint8Array(x.memory.buffer);
  const end = u8.indexOf(0, ptr);
  return textDecoder.decode(u8.subarray(ptr, end < 0 ? u8.length : end));
}
