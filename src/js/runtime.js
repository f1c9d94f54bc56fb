// runtime.js — loads the C core (dist/sqlite-worker.wasm) and wraps its exports.
//
// This is the only JavaScript that calls the wasm exports of docs/wasm-abi.md. It moves
// bytes in and out of wasm memory and nothing more: SQL and encoded parameters go into
// the module's scratch buffer, the core runs the whole request, and the one result
// buffer it leaves behind is decoded by codec.js. Every failure becomes a SQLiteError
// carrying the core's extended result code.
//
// The codec comes in as an argument (loadCoreWith): core.js, the API of Node and the
// tests, passes codec.js and gets every method; the database worker passes none, as it
// hands the page's bytes to the core and the core's bytes back undecoded (raw()), so
// its bundle carries no codec. Without one, exec, runMany, batch and import throw.
//
// Memory rule: the module's memory can grow during any call that allocates (open, exec,
// run_many, scratch, export_image, import_image), and growth detaches every view of the
// old ArrayBuffer. So no typed-array view is kept across such a call; `view()` rebuilds
// the view whenever memory.buffer has changed.
//
// Runs in Node and in browsers: the only Node-specific code (reading a file path) is
// imported dynamically, and only when given a path in Node. Which host (file system)
// backs the 'host' VFS is the caller's choice, passed in as `host`.

import { SQLiteError, misuse } from './errors.js';
import { Fts5Link, fts5Beside } from './link.js';
import {
  REQ_BATCH, REQ_RUN_MANY, SQLITE_NOMEM, SQLW_DURABLE, SQLW_FORMAT_VERSION, SQLW_RELAXED,
  SQLW_STAT_AUTOCOMMIT, SQLW_STAT_CACHE_HITS, SQLW_STAT_CACHE_MISSES, SQLW_STAT_CACHE_SIZE,
  SQLW_STAT_LOCAL, SQLW_STAT_STACK_HIGH,
} from './proto.js';

// Inputs larger than this are released from the scratch buffer after the call, so one
// big request does not pin its size of wasm memory in the allocator's hands forever.
const SCRATCH_KEEP = 1 << 20;
// The UTF-8 bytes of recently run SQL texts, so a statement run again (the common case:
// the core's statement cache is keyed by the same text) is copied, not re-encoded.
// SQL longer than SQL_CACHE_TEXT characters is encoded every time.
const SQL_CACHE_MAX = 64;
const SQL_CACHE_TEXT = 4096;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: false });

// The runtime of the first core loaded in this realm, for the module-level codeName():
// code names are static data of the C core, the same in every instance of a build.
let firstRuntime = null;


/*
** Instantiates a Response holding the wasm: streaming compilation when the platform has
** it, falling back to compiling the downloaded bytes (instantiateStreaming rejects a
** response whose Content-Type is not application/wasm, which many servers send).
** Returns a WebAssembly.Instance. Throws on HTTP errors and invalid modules.
*/
async function instantiateResponse(response, imports) {
  if (!response.ok) throw new Error(`cannot load the wasm module: HTTP ${response.status} ${response.statusText}`);
  if (typeof WebAssembly.instantiateStreaming === 'function') {
    try {
      const { instance } = await WebAssembly.instantiateStreaming(response.clone(), imports);
      return instance;
    } catch (e) {
      // A wrong MIME type is the usual reason and is worth a fallback; a module that
      // does not compile will fail again below with the same error, which is rethrown.
      if (!(e instanceof TypeError)) throw e;
    }
  }
  const { instance } = await WebAssembly.instantiate(await response.arrayBuffer(), imports);
  return instance;
}

/*
** Turns any accepted form of `wasm` into an instance with `imports`.
** Accepts a WebAssembly.Module, an ArrayBuffer or view of the bytes, a Response or a
** promise of one, a URL, or a string (a file path or file: URL, read by the host's
** readWasm — the Node host has one —, else a URL to fetch). This file imports nothing of
** Node, so browser bundles of it carry no `node:` import. Returns a
** WebAssembly.Instance. Throws TypeError for anything else.
*/
async function instantiate(wasm, host, link) {
  const imports = { ...host.imports, link: link.imports };
  if (wasm && typeof wasm.then === 'function') wasm = await wasm;
  if (wasm instanceof WebAssembly.Module) return WebAssembly.instantiate(wasm, imports);
  if (wasm instanceof ArrayBuffer || ArrayBuffer.isView(wasm)) {
    const { instance } = await WebAssembly.instantiate(wasm, imports);
    return instance;
  }
  if (typeof Response !== 'undefined' && wasm instanceof Response) return instantiateResponse(wasm, imports);
  if (typeof wasm === 'string' || wasm instanceof URL) {
    const url = wasm instanceof URL ? wasm : null;
    const isFile = url ? url.protocol === 'file:' : !/^(https?|blob|data):/i.test(wasm);
    if (isFile && typeof host.readWasm === 'function') {
      const { instance } = await WebAssembly.instantiate(await host.readWasm(wasm), imports);
      return instance;
    }
    return instantiateResponse(await fetch(wasm), imports);
  }
  throw new TypeError('wasm must be a WebAssembly.Module, bytes, a Response, a URL or a path');
}

/*
** The state shared by a Core and its connections: the exports and memory of one
** instance, and the helpers that move bytes across. Not exported.
*/
class Runtime {
  constructor(instance, codec) {
    this.x = instance.exports;
    this.codec = codec; // { encodeParams, …, batchBody } (core.js), or null
    this.memory = instance.exports.memory;
    this.u8 = new Uint8Array(this.memory.buffer);
    this.dv = new DataView(this.memory.buffer);
    this.sqlBytes = new Map(); // SQL text → its UTF-8 bytes (see SQL_CACHE_MAX)
  }

  /* A Uint8Array over all of wasm memory, rebuilt (with dv) after growth detached it. */
  view() {
    const buffer = this.memory.buffer;
    if (this.u8.buffer !== buffer) {
      this.u8 = new Uint8Array(buffer);
      this.dv = new DataView(buffer);
    }
    return this.u8;
  }

  /*
  ** The UTF-8 bytes of sql, from the cache when it was run recently. Returns a
  ** Uint8Array the caller must not modify.
  */
  utf8(sql) {
    let bytes = this.sqlBytes.get(sql);
    if (bytes === undefined) {
      bytes = textEncoder.encode(sql);
      if (sql.length <= SQL_CACHE_TEXT) {
        if (this.sqlBytes.size >= SQL_CACHE_MAX) this.sqlBytes.clear();
        this.sqlBytes.set(sql, bytes);
      }
    }
    return bytes;
  }

  /* Reads the NUL-terminated UTF-8 string at ptr (0 reads as ''). */
  cString(ptr) {
    if (!ptr) return '';
    const u8 = this.view();
    const end = u8.indexOf(0, ptr);
    return textDecoder.decode(u8.subarray(ptr, end < 0 ? u8.length : end));
  }

  /* sqlw_code_name: 'SQLITE_CONSTRAINT_UNIQUE' for 2067. */
  codeName(rc) {
    return this.cString(this.x.code_name(rc));
  }

  /*
  ** Copies `strings` into the scratch buffer, each NUL-terminated, one after the other.
  ** Returns their pointers; they are valid until the next scratch call.
  ** Throws SQLiteError SQLITE_MISUSE for a string holding U+0000 (C would cut it
  ** there), SQLITE_NOMEM when the module cannot allocate.
  */
  cStrings(strings) {
    let n = 0;
    for (const s of strings) {
      if (s.includes('\0')) throw misuse(`${JSON.stringify(s)} contains U+0000`);
      n += 3 * s.length + 1;
    }
    const base = this.x.scratch(n);
    if (!base) throw nomem();
    const u8 = this.view();
    const ptrs = [];
    let p = base;
    for (const s of strings) {
      ptrs.push(p);
      p += textEncoder.encodeInto(s, u8.subarray(p, p + 3 * s.length)).written;
      u8[p++] = 0;
    }
    return ptrs;
  }

  /*
  ** Builds the SQLiteError of the last failure of db from errcode/errmsg/error_offset,
  ** for calls that leave no result buffer (open, export). Returns the error.
  */
  lastError(db, sql) {
    const rc = this.x.errcode(db);
    const errno = rc || 1; // a failure reported without a code is still a failure
    return new SQLiteError(this.cString(this.x.errmsg(db)) || this.codeName(errno),
      { errno, sql, offset: this.x.error_offset(db) });
  }

  /*
  ** Decodes the result buffer of db's last request (exec, run_many, import_image).
  ** Returns the decoded object, or null when the core left no buffer (it could not
  ** allocate one; then errcode/errmsg tell the failure).
  */
  result(db, options) {
    const { checkDecodeOptions, decodeResultAt } = this.need();
    const { asArray, always } = checkDecodeOptions(options);
    const ptr = this.x.result_ptr(db);
    const len = this.x.result_len(db);
    if (!ptr || !len) return null;
    const u8 = this.view();
    return decodeResultAt(u8, this.dv, ptr, len, asArray, always);
  }

  /* The codec, or throws SQLITE_MISUSE for a core loaded without one (the worker's). */
  need() {
    if (!this.codec) throw misuse('this core was loaded without a codec: load it with loadCore() of core.js');
    return this.codec;
  }
}

/* The SQLiteError for memory the module could not allocate. */
function nomem() {
  return new SQLiteError('out of memory', { errno: SQLITE_NOMEM });
}

/*
** One open database of the core. Created by Core#open; every method is synchronous and
** runs one request to completion. After close(), every method throws SQLiteError
** SQLITE_MISUSE 'database is closed'.
*/
class Connection {
  #rt;
  #db;

  constructor(rt, db) {
    this.#rt = rt;
    this.#db = db;
  }

  /* The live handle, or throws SQLITE_MISUSE when the connection is closed. */
  #handle(sql) {
    if (!this.#db) throw misuse('database is closed', sql);
    return this.#db;
  }

  /*
  ** Copies sql and params (bytes; params may be null) into scratch memory one after the
  ** other and calls the export call(db, pSql, nSql, pParam, nParam). Returns its rc; the
  ** outcome is in the connection's result buffer.
  */
  #call(db, call, sql, params) {
    const rt = this.#rt;
    const nSql = sql.length;
    const nParam = params ? params.length : 0;
    const n = nSql + nParam;
    const p = rt.x.scratch(n || 1);
    if (!p) throw nomem();
    try {
      const u8 = rt.view();
      u8.set(sql, p);
      if (nParam) u8.set(params, p + nSql);
      return call(db, p, nSql, nParam ? p + nSql : 0, nParam);
    } finally {
      if (n > SCRATCH_KEEP) rt.x.scratch(0);
    }
  }

  /*
  ** Runs one request (call: the exec or run_many export) and decodes its result.
  ** Returns the decoded result. Throws SQLiteError with the core's code, message and
  ** error offset when rc ≠ 0.
  */
  #request(call, sql, aParam, options) {
    const db = this.#handle(sql);
    if (typeof sql !== 'string') throw misuse(`sql must be a string, not ${typeof sql}`);
    const rt = this.#rt;
    rt.need().checkDecodeOptions(options);
    const rc = this.#call(db, call, rt.utf8(sql), aParam);
    const result = rt.result(db, options);
    if (rc !== 0) {
      if (!result) throw rt.lastError(db, sql);
      throw new SQLiteError(result.message || rt.codeName(rc),
        { errno: rc, sql, offset: result.errorOffset });
    }
    if (!result) throw rt.lastError(db, sql);
    return result;
  }

  /**
   * Runs sql (one statement or a script) with one parameter set.
   * params: undefined/null, an array (by position) or an object (by name).
   * options: { rowMode: 'object'|'array', bigint: 'auto'|'always' }.
   * Returns { rc, errorOffset, message, changes, lastInsertRowid, statements, resultSets }.
   * Throws SQLiteError: the core's code when a statement fails (earlier statements of a
   * script keep their effect), SQLITE_MISMATCH/SQLITE_RANGE for parameters.
   */
  exec(sql, params, options) {
    this.#handle(sql);
    return this.#request(this.#rt.x.exec, sql, this.#rt.need().encodeParams(params), options);
  }

  /**
   * Runs the single statement sql once per parameter set, atomically (all or nothing).
   * paramSets: an array of arrays or an array of objects with the same keys.
   * Returns the decoded result; rows from RETURNING are gathered in one result set.
   * Throws SQLiteError like exec.
   */
  runMany(sql, paramSets, options) {
    this.#handle(sql);
    return this.#request(this.#rt.x.run_many, sql, this.#rt.need().encodeParamSets(paramSets), options);
  }

  /**
   * Runs the items [{ sql, params }] in order and atomically (sqlw_batch): every item or
   * none. params: as exec's. options: as exec's.
   * Returns the decoded results, one per item.
   * Throws SQLiteError with the failing item's code, message and offset, and
   * `batchIndex` set to its index; nothing of the batch remains then.
   */
  batch(items, options) {
    this.#handle();
    const { batchBody, encodeParams, decodeResultList } = this.#rt.need();
    if (!Array.isArray(items)) throw misuse('batch expects an array of { sql, params } items');
    const body = batchBody(items.map((it, i) => {
      if (!it || typeof it.sql !== 'string') throw misuse(`batch item ${i} needs sql: a string`);
      if (it.sql.includes('\0')) throw misuse(`batch item ${i}: SQL contains U+0000`, it.sql);
      const params = encodeParams(it.params);
      return { sql: it.sql, params: params && params.length ? params.slice() : null };
    }));
    const { rc, bytes } = this.raw(REQ_BATCH, body);
    const list = decodeResultList(bytes, options);
    if (rc !== 0) {
      const last = list.results[list.results.length - 1];
      const sql = list.failIndex >= 0 && list.failIndex < items.length ? items[list.failIndex].sql : undefined;
      const err = new SQLiteError(last?.message || this.#rt.codeName(rc),
        { errno: rc, sql, offset: last?.errorOffset ?? -1 });
      err.batchIndex = list.failIndex;
      throw err;
    }
    return list.results;
  }

  /**
   * Runs one request on bytes already encoded: op REQ_EXEC or REQ_RUN_MANY with body =
   * { sql: UTF-8 bytes, params: SQWP bytes or null }, or REQ_BATCH with body = an SQWB
   * buffer. For runtimes that pass the core's buffers through undecoded.
   * Returns { rc, bytes }: bytes is a view of the result buffer (SQWR, or SQWL for a
   * batch) in wasm memory, valid until the next call into the core: copy it first.
   * Throws SQLiteError SQLITE_NOMEM when no result buffer could be made.
   */
  raw(op, body) {
    const db = this.#handle();
    const rt = this.#rt;
    let rc;
    if (op === REQ_BATCH) rc = this.#call(db, (d, p, n) => rt.x.batch(d, p, n), body, null);
    else rc = this.#call(db, op === REQ_RUN_MANY ? rt.x.run_many : rt.x.exec, body.sql, body.params);
    const ptr = rt.x.result_ptr(db);
    const len = rt.x.result_len(db);
    if (!ptr || !len) throw rt.lastError(db);
    return { rc, bytes: new Uint8Array(rt.memory.buffer, ptr, len) };
  }

  /**
   * Sets how commits reach storage: 'durable' (WAL, synchronous=FULL: every commit is
   * flushed before it returns) or 'relaxed' (synchronous=NORMAL: a crash may lose the
   * latest commits, never half of one). Throws SQLiteError on failure.
   */
  setDurability(mode) {
    const db = this.#handle();
    const eMode = mode === 'durable' ? SQLW_DURABLE : mode === 'relaxed' ? SQLW_RELAXED : -1;
    if (eMode < 0) throw misuse(`durability must be 'durable' or 'relaxed', not ${String(mode)}`);
    const rc = this.#rt.x.set_durability(db, eMode);
    if (rc !== 0) throw this.#rt.lastError(db);
  }

  /**
   * Statements run after this call are interrupted (SQLITE_INTERRUPT) once `ms`
   * milliseconds have passed; Infinity, a negative number or NaN: no deadline (the cap
   * of setStatementCap still applies). The deadline stays until the next call.
   */
  setDeadline(ms) {
    this.#rt.x.set_deadline(this.#handle(), ms === Infinity ? -1 : Number(ms));
  }

  /** Marks the connection private (sqlw_set_private): one client uses it, so the multi-tab
   *  engine keeps no bookkeeping (`_sqlw_` tables) on it. Before the engine's first request. */
  setPrivate() {
    this.#rt.x.set_private(this.#handle());
  }

  /**
   * Asks for pages of `bytes` (a power of two, 512 to 65536) in a database that has none
   * yet (sqlw_set_page_size): before setDurability. A database that exists keeps its
   * own. Throws SQLiteError SQLITE_MISUSE for another size.
   */
  setPageSize(bytes) {
    const db = this.#handle();
    if (!Number.isInteger(bytes)) throw misuse(`the page size must be a power of two from 512 to 65536, not ${String(bytes)}`);
    const rc = this.#rt.x.set_page_size(db, bytes);
    if (rc !== 0) throw this.#rt.lastError(db);
  }

  /** Caps every deadline, and runs statements with none under it: `ms`, or Infinity for no cap. */
  setStatementCap(ms) {
    this.#rt.x.set_statement_cap(this.#handle(), ms === Infinity ? -1 : Number(ms));
  }

  /**
   * Serializes the main database. Returns a new Uint8Array (a standalone database file)
   * owned by the caller. Throws SQLiteError with the core's code on failure.
   */
  export() {
    const db = this.#handle();
    const rt = this.#rt;
    const p = rt.x.export_image(db);
    if (!p) throw rt.lastError(db);
    try {
      const size = rt.x.export_size();
      return new Uint8Array(rt.memory.buffer, p, size).slice();
    } finally {
      rt.x.free(p);
    }
  }

  /**
   * Replaces the main database with the image `bytes` (Uint8Array, ArrayBuffer or any
   * view). Only reads bytes. Returns undefined.
   * Throws SQLiteError: SQLITE_NOTADB or SQLITE_CORRUPT for bytes that are not a sound
   * database (the database is then untouched), SQLITE_BUSY inside a transaction.
   */
  import(bytes) {
    const db = this.#handle();
    const rt = this.#rt;
    rt.need();
    let src;
    if (bytes instanceof Uint8Array) src = bytes;
    else if (ArrayBuffer.isView(bytes)) src = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    else if (bytes instanceof ArrayBuffer) src = new Uint8Array(bytes);
    else throw misuse('import expects a Uint8Array, an ArrayBuffer or a view of one');
    const n = src.length;
    const p = rt.x.scratch(n || 1);
    if (!p) throw nomem();
    let rc;
    let result;
    try {
      rt.view().set(src, p);
      rc = rt.x.import_image(db, p, n);
      if (rc !== 0) result = rt.result(db);
    } finally {
      if (n > SCRATCH_KEEP) rt.x.scratch(0);
    }
    if (rc !== 0) {
      if (!result) throw rt.lastError(db);
      throw new SQLiteError(result.message || rt.codeName(rc),
        { errno: rc, offset: result.errorOffset });
    }
  }

  /**
   * Counters of the connection: { cacheHits, cacheMisses, cacheSize, autocommit,
   * stackHigh, local } (autocommit is true when no transaction is open; local counts
   * the temp schema's objects and the attached databases, state that lives only on
   * this connection; -1 when unknown). Throws only when closed.
   */
  stats() {
    const db = this.#handle();
    const stat = this.#rt.x.stat;
    return {
      cacheHits: stat(db, SQLW_STAT_CACHE_HITS),
      cacheMisses: stat(db, SQLW_STAT_CACHE_MISSES),
      cacheSize: stat(db, SQLW_STAT_CACHE_SIZE),
      autocommit: stat(db, SQLW_STAT_AUTOCOMMIT) === 1,
      stackHigh: stat(db, SQLW_STAT_STACK_HIGH),
      local: stat(db, SQLW_STAT_LOCAL),
    };
  }

  /** The core's handle of this connection (an sqlw_db pointer), for runtimes that call
   *  the exports themselves (coord_attach); 0 once closed. */
  get handle() {
    return this.#db;
  }

  /** True once close() has been called. */
  get closed() {
    return this.#db === 0;
  }

  /**
   * Closes the connection and frees everything the core holds for it. A second close is
   * a no-op. Throws SQLiteError when SQLite reports a failure; the handle is freed and
   * the connection closed regardless.
   */
  close() {
    const db = this.#db;
    if (!db) return;
    this.#db = 0;
    const rc = this.#rt.x.close(db);
    if (rc !== 0) {
      const code = this.#rt.codeName(rc);
      throw new SQLiteError(`close failed: ${code}`, { errno: rc });
    }
  }
}

/*
** A loaded core: one wasm instance, any number of connections. Created by loadCore.
*/
class Core {
  #rt;

  constructor(rt) {
    this.#rt = rt;
  }

  /**
   * Opens the database `path` on VFS `vfs` ('host': files through the host; 'memdb':
   * SQLite's memory VFS, where a path starting with '/' names a database shared by the
   * connections of this core) with SQLite open flags (0: READWRITE|CREATE).
   * Returns a Connection owned by the caller (close it).
   * Throws SQLiteError with SQLite's code when the open fails (the half-open handle is
   * closed first), SQLITE_NOMEM when no handle could be allocated.
   */
  open(path, { vfs = 'host', flags = 0 } = {}) {
    if (typeof path !== 'string') throw misuse(`path must be a string, not ${typeof path}`);
    if (typeof vfs !== 'string') throw misuse(`vfs must be a string, not ${typeof vfs}`);
    if (!Number.isInteger(flags)) throw misuse('flags must be an integer');
    const rt = this.#rt;
    const [zPath, zVfs] = rt.cStrings([path, vfs]);
    const db = rt.x.open(zPath, zVfs, flags);
    if (!db) throw nomem();
    if (rt.x.errcode(db) !== 0) {
      const err = rt.lastError(db);
      rt.x.close(db); // the error above is the one worth reporting; close's rc adds nothing
      throw err;
    }
    return new Connection(rt, db);
  }

  /** The symbolic name of a result code: 'SQLITE_CONSTRAINT_UNIQUE' for 2067. */
  codeName(rc) {
    return this.#rt.codeName(rc);
  }

  /** The instance's exports (docs/wasm-abi.md), for runtimes built on this core. */
  get exports() {
    return this.#rt.x;
  }

  /** The instance's memory. Views of memory.buffer are detached when it grows. */
  get memory() {
    return this.#rt.memory;
  }
}

/**
 * Loads the core with `codec`: the functions of codec.js and protocol.js's batchBody
 * (core.js passes them), or null for none (see the file header). The options are
 * loadCore's (core.js). Returns a Core. Throws when the module cannot be loaded or
 * speaks another wire-format version than this file.
 */
export async function loadCoreWith({ wasm, host, fts5 } = {}, codec = null) {
  if (!host || typeof host.attach !== 'function' || typeof host.imports !== 'object') {
    throw new TypeError('loadCore needs host: { imports, attach(memory) }');
  }
  const link = new Fts5Link(fts5 === undefined ? fts5Beside(wasm) : fts5, host);
  const instance = await instantiate(wasm, host, link);
  const rt = new Runtime(instance, codec);
  host.attach(rt.memory);
  link.attach(rt.x);
  if (typeof rt.x._initialize === 'function') rt.x._initialize();
  const version = rt.x.format_version();
  if (version !== SQLW_FORMAT_VERSION) {
    throw new Error(`the wasm core speaks wire format ${version}, this JavaScript speaks ${SQLW_FORMAT_VERSION}`);
  }
  if (!firstRuntime) firstRuntime = rt;
  return new Core(rt);
}

/**
 * The symbolic name of a SQLite result code ('SQLITE_BUSY' for 5), as the C core names
 * it. Needs a core loaded in this realm (the names come from C, not from a JS copy).
 * Throws SQLiteError SQLITE_MISUSE before the first loadCore.
 */
export function codeName(rc) {
  if (!firstRuntime) throw misuse('codeName() needs a core: call loadCore() first');
  return firstRuntime.codeName(rc);
}

