// index.js — the public API: openDatabase() and the seed-compatible DatabaseConnection.
//
// A Database talks to one dedicated worker (worker.js) that owns the database. Every
// call becomes a request in an SQWQ frame (protocol.js); requests made in the same tick
// travel in one frame, and the worker answers each frame with one SQWA frame, in order.
// Parameters are encoded here (codec.js) and results decoded here, so the worker passes
// the core's buffers through and the frames are transferred, never structured-cloned.
//
// Many tabs: every tab's worker joins the database's multi-tab protocol (docs/coord.md);
// one of them leads and runs every tab's requests. This page owns the tab's client id
// and holds the client's life lock (`sqlw:<name>:client:<id>`), so a worker that dies is
// restarted as the same client: its unanswered requests are sent again with the same
// sequence numbers (the request ids), and the leader's records answer those that ran.
//
// Ordering: requests run in the order they were made. While transaction(fn) runs, the
// database's other calls wait behind it (fn uses `tx`); transactions queue likewise.
// A transaction is a lease on the leader (requests of kind BEGIN/COMMIT/ROLLBACK; the
// transaction's requests carry the BEGIN's id).
//
// Failure: a request that fails rejects with SQLiteError (code, errno, message, sql).
// A worker that dies (terminated, crashed) is seen through a Web Lock it holds for its
// whole life: with a shared database it is restarted and its requests re-sent; with a
// memory database (gone with it) they reject with SQLITE_WORKER_DIED.

import { SQLiteError, codeName, fromFields, misuse } from './errors.js';
import { spawnWorker } from './spawn.js';
import { encodeParams, encodeParamSets, decodeResult, decodeResultList, checkDecodeOptions } from './codec.js';
import {
  FRAME_MAX, encodeRequests, decodeAnswers, sqlBody, batchBody, postFrame,
  MAX_BODY_BYTES, MAX_IMPORT_BYTES, clientLockName, leaderLockName, allChannelName,
  isHello,
} from './protocol.js';
import {
  ANS_BYTES, ANS_ERROR, ANS_LIST, ANS_RESULT, COORD_NO_BUDGET, COORD_VERSION, REQ_BATCH,
  REQ_BEGIN, REQ_CLOSE, REQ_COMMIT, REQ_EXEC, REQ_EXPORT, REQ_IMPORT, REQ_IMPORT_DISCARD,
  REQ_IMPORT_END, REQ_IMPORT_PART, REQ_ROLLBACK, REQ_RUN_MANY, SQLITE_ABORT, SQLITE_BUSY,
  SQLITE_ERROR, SQLITE_INTERRUPT, SQLITE_MISUSE, SQLITE_TOOBIG, SQLITE_WORKER_DIED,
  SQLITE_WORKER_LEADER_CHANGED, SQLITE_WORKER_PERSISTENCE_UNAVAILABLE,
  SQLITE_WORKER_RESULT_NOT_KEPT, SQLITE_WORKER_TIMEOUT, SQLITE_WORKER_TRANSACTION_TIMEOUT,
  SQLITE_WORKER_UNAVAILABLE,
} from './proto.js';

export { SQLiteError } from './errors.js';

const PREFIX = '[sqlite-worker]';
const DEBUG_KEY = 'sqlite-worker-debug';
const OPTIONS = ['persistence', 'timeoutMs', 'transactionIdleMs', 'maxStatementMs', 'debug', 'durability', 'bigint', 'rowMode', 'busyTimeoutMs', 'workerUrl', 'wasmUrl'];
// How much sooner than this page's deadline the leader's interrupt of a request may
// answer (clocks in milliseconds, budgets rounded down) and still be its timeout.
const INTERRUPT_SLACK_MS = 5;
// The longest duration a timer can wait (setTimeout fires at once beyond it).
const MAX_MS = 2 ** 31 - 1;
const QUERY_OPTIONS = ['rowMode', 'bigint', 'signal'];
const DEFAULT_TIMEOUT_MS = 30000;
const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const DEFAULT_TRANSACTION_IDLE_MS = 30000;
// A request unanswered this long while a leader holds its lock makes the tab take the
// lock over (docs/coord.md, "Frozen leader").
const FREEZE_MS = 5000;
// A request is sent again to a restarted worker at most this many times (a request that
// kills every worker it reaches is then rejected, not retried forever).
const MAX_RESENDS = 3;
// Requests queued in one tick beyond this many are posted at once as a frame (see
// Channel#enqueue): measured on 10,000 point reads issued together, pipelining the
// page's encoding with the worker's execution.
const FRAME_EAGER = 256;
const EXPORT_CHUNK_BYTES = 2 * 1024 * 1024;   // a streamed export's chunks (whole pages)
// A streamed import() sends the image to the leader in pieces of this size, one at a time.
const IMPORT_PIECE_BYTES = 4 * 1024 * 1024;
// A leading worker that answers no ping for maxStatementMs and this long is ended.
const WATCHDOG_GRACE_MS = 5_000;
// db.close() waits this long for the worker beyond the calls' own timeoutMs.
const CLOSE_WAIT_MS = 10_000;
const CLOSE_LATE = Symbol('late');

/** Error codes of this library (beyond SQLite's own), on SQLiteError#code. */
export const WORKER_TIMEOUT = codeName(SQLITE_WORKER_TIMEOUT);
export const WORKER_DIED = codeName(SQLITE_WORKER_DIED);
export const PERSISTENCE_UNAVAILABLE = codeName(SQLITE_WORKER_PERSISTENCE_UNAVAILABLE);
export const WORKER_UNAVAILABLE = codeName(SQLITE_WORKER_UNAVAILABLE);
export const WORKER_LEADER_CHANGED = codeName(SQLITE_WORKER_LEADER_CHANGED);
export const WORKER_TRANSACTION_TIMEOUT = codeName(SQLITE_WORKER_TRANSACTION_TIMEOUT);
export const WORKER_RESULT_NOT_KEPT = codeName(SQLITE_WORKER_RESULT_NOT_KEPT);

let instances = 0;

/* True when localStorage says 'sqlite-worker-debug' = 'true' (false where there is none). */
function debugFromStorage() {
  try {
    return globalThis.localStorage?.getItem(DEBUG_KEY) === 'true';
  } catch {
    return false; // storage blocked (sandboxed frame, privacy settings)
  }
}

/*
** Checks an options object against the names allowed. Returns the object (or {}).
** Throws SQLiteError SQLITE_MISUSE for a non-object or an unknown name.
*/
function checkOptions(options, allowed, what) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) throw misuse(`${what} must be an object`);
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) throw misuse(`unknown ${what} "${k}" (known: ${allowed.join(', ')})`);
  }
  return options;
}

/*
** Validates openDatabase's options. Returns them with defaults filled in.
** Throws SQLiteError SQLITE_MISUSE for a wrong type or value.
*/
function normalizeOptions(options) {
  const o = checkOptions(options, OPTIONS, 'option');
  const persistence = o.persistence ?? 'auto';
  if (!['auto', 'opfs', 'memory'].includes(persistence)) {
    throw misuse(`persistence must be 'auto', 'opfs' or 'memory', not ${JSON.stringify(persistence)}`);
  }
  const durability = o.durability ?? 'durable';
  if (!['durable', 'relaxed'].includes(durability)) {
    throw misuse(`durability must be 'durable' or 'relaxed', not ${JSON.stringify(durability)}`);
  }
  const timeoutMs = duration(o, 'timeoutMs', DEFAULT_TIMEOUT_MS, { infinite: true });
  const transactionIdleMs = duration(o, 'transactionIdleMs', DEFAULT_TRANSACTION_IDLE_MS);
  const maxStatementMs = duration(o, 'maxStatementMs', Infinity, { infinite: true });
  const busyTimeoutMs = duration(o, 'busyTimeoutMs', DEFAULT_BUSY_TIMEOUT_MS, { zero: true });
  if (o.debug !== undefined && typeof o.debug !== 'boolean') throw misuse('debug must be a boolean');
  const decode = checkDecodeOptions({ rowMode: o.rowMode ?? 'object', bigint: o.bigint ?? 'auto' });
  for (const k of ['workerUrl', 'wasmUrl']) {
    if (o[k] !== undefined && typeof o[k] !== 'string' && !(o[k] instanceof URL)) throw misuse(`${k} must be a string or a URL`);
  }
  return {
    persistence,
    durability,
    timeoutMs,
    transactionIdleMs,
    maxStatementMs,
    busyTimeoutMs,
    debug: o.debug ?? debugFromStorage(),
    rowMode: decode.asArray ? 'array' : 'object',
    bigint: decode.always ? 'always' : 'auto',
    workerUrl: o.workerUrl,
    wasmUrl: o.wasmUrl,
  };
}

/*
** The duration option `key` of o (default `fallback`): a number of milliseconds above 0
** (or 0 with zero) and at most MAX_MS, or Infinity where `infinite`. Throws SQLiteError
** SQLITE_MISUSE naming the option otherwise.
*/
function duration(o, key, fallback, { infinite = false, zero = false } = {}) {
  const v = o[key] === undefined ? fallback : o[key];
  if (v === Infinity && infinite) return v;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (v === 0 && !zero) || v > MAX_MS) {
    throw misuse(`${key} must be a number of milliseconds, ${zero ? '0' : 'above 0'} to ${MAX_MS}`
      + `${infinite ? ', or Infinity' : ''}; got ${typeof v === 'number' ? v : typeof v}`);
  }
  return v;
}

/* A chunk of an import's stream as a Uint8Array. Throws SQLITE_MISUSE for anything but bytes. */
function streamBytes(value) {
  const bytes = value instanceof Uint8Array ? value
    : ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
      : value instanceof ArrayBuffer ? new Uint8Array(value) : null;
  if (!bytes) throw misuse('import: the stream must give Uint8Array, ArrayBuffer or view chunks');
  return bytes;
}

/* The 8 bytes of u64 v, little-endian (v: a Number or a BigInt). */
function u64(v) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(v), true);
  return out;
}

/*
** Reads a ReadableStream of byte chunks whole, refusing more than `max` bytes
** (SQLITE_TOOBIG). Resolves with one Uint8Array.
*/
async function readWhole(stream, max) {
  const chunks = [];
  let size = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const bytes = streamBytes(value);
      size += bytes.length;
      if (size > max) {
        throw new SQLiteError(`import: the image is larger than ${max} bytes`, { errno: SQLITE_TOOBIG });
      }
      chunks.push(bytes);
    }
  } catch (e) {
    reader.cancel(e).catch(() => {});
    throw e;
  }
  const whole = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    whole.set(c, at);
    at += c.length;
  }
  return whole;
}

/* The `signal` query option: an AbortSignal, or null when absent. Throws SQLITE_MISUSE. */
function checkSignal(signal) {
  if (signal === undefined || signal === null) return null;
  if (typeof signal !== 'object' || typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
    throw misuse('signal must be an AbortSignal');
  }
  return signal;
}

/* The rejection of a call whose AbortSignal fired: SQLITE_ABORT, the signal's reason as cause. */
function abortError(signal, sql) {
  return new SQLiteError('aborted (the call\'s AbortSignal): not run if it had not started; a statement '
    + 'already running goes on until its deadline', { errno: SQLITE_ABORT, sql, cause: signal.reason });
}

/* Checks a database name. Throws SQLiteError SQLITE_MISUSE. */
function checkName(name) {
  if (typeof name !== 'string' || name.length === 0) throw misuse('the database name must be a non-empty string');
  // The storage's limit (POOL_NAME_MAX of src/core/vfs_pool.c): 64 bytes of UTF-8.
  if (new TextEncoder().encode(name).length > 64 || /[\0/\\]|\p{Cs}/u.test(name)) {
    throw misuse('the database name must be at most 64 bytes of UTF-8, without "/", "\\", U+0000 or a lone surrogate');
  }
}

/* Checks the SQL argument. Throws SQLiteError SQLITE_MISUSE. */
function checkSql(sql) {
  if (typeof sql !== 'string') throw misuse(`sql must be a string, not ${sql === null ? 'null' : typeof sql}`);
  if (sql.includes('\0')) throw misuse('sql contains U+0000', sql);
}

/* Copies an SQWP view (the codec reuses its buffer) into bytes the request owns. */
function ownParams(view) {
  return view && view.length ? view.slice() : null;
}

/*
** The outcome of a statement as the API returns it: rows of its last result set (an
** array with a `columns` property), changes, lastInsertRowid.
*/
function shapeResult(r) {
  const set = r.resultSets.length ? r.resultSets[r.resultSets.length - 1] : null;
  const rows = set ? set.rows : [];
  Object.defineProperty(rows, 'columns', { value: set ? set.columns : [], enumerable: false });
  return { rows, columns: rows.columns, changes: r.changes, lastInsertRowid: r.lastInsertRowid };
}

/* A new client id: 16 random bytes as 32 hex digits. */
function newClientId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/*
** The worker runtime's connection: one Worker at a time, its frames, the pending
** requests (kept until answered, so a restarted worker gets them again).
*/
class Channel {
  #db;
  #worker = null;
  #starting = null;
  #allChannel = null;     // while this tab's worker leads: the page answers HELLO here
  #watchdog = null;       // { worker, timer } while a ping of the worker is unanswered
  #memoryAsks = [];       // memoryBytes() calls waiting for the worker's pong
  #busy = null;           // { client, abort } while the worker runs another tab's request long
  #pending = new Map();   // id → { resolve, reject, deadline, sql, decode, kind, lease, parts, resends }
  #timer = null;          // the one timer of the pending requests' deadlines
  #ready = false;         // the worker has answered 'ready'
  #shared = false;        // the database is shared by tabs (its worker may be restarted)
  #outgoing = [];         // requests of this tick: { id, kind, lease, parts }
  #flushQueued = false;
  #nextId = 1;
  #generation = 0;
  #instance;
  #idle = [];             // resolvers waiting for no pending request (see whenIdle)

  constructor(db, instance) {
    this.#db = db;
    this.#instance = instance;
  }

  /* Starts the worker if none runs. Resolves with the worker's ready message. */
  start() {
    if (this.#worker) return this.#starting;
    const db = this.#db;
    const o = db.options;
    const generation = ++this.#generation;
    const lock = `sqlite-worker:life:${this.#instance}:${generation}:${Math.random().toString(36).slice(2)}`;
    const t0 = performance.now();
    let worker;
    try {
      worker = spawnWorker(db.name, o.workerUrl);
    } catch (e) {
      return Promise.reject(new SQLiteError(`cannot start the database worker: ${e.message}`,
        { errno: SQLITE_WORKER_UNAVAILABLE, cause: e }));
    }
    this.#worker = worker;
    this.#starting = new Promise((resolve, reject) => {
      worker.onmessage = (e) => {
        const msg = e.data;
        if (msg?.type === 'ready') {
          worker.onmessage = (ev) => this.#onMessage(ev.data);
          this.#ready = true;
          this.#shared = msg.persistent === true;
          this.#watch(worker, lock, generation);
          db.trace(`worker ready in ${(performance.now() - t0).toFixed(1)} ms on ${msg.vfs}`);
          db._role(msg.isLeader, msg.epoch);
          this.#answerForLeader(msg.announce);
          this.#resend();
          resolve(msg);
        } else if (msg?.type === 'failed') {
          this.#stop(worker);
          const err = fromFields(msg.error);
          this.#rejectAll(() => err);
          reject(err);
        }
      };
      worker.onerror = (e) => {
        e.preventDefault?.();
        const message = e.message || 'the worker script failed to load (check its URL and the server\'s JavaScript MIME type)';
        if (this.#worker === worker && !this.#ready) {
          this.#stop(worker);
          const err = new SQLiteError(`the database worker failed: ${message}`, { errno: SQLITE_WORKER_UNAVAILABLE });
          this.#rejectAll(() => err);
          reject(err);
        }
        this.#died(worker, message);
      };
      worker.postMessage({
        type: 'open',
        name: db.name,
        clientId: db.clientId,
        persistence: o.persistence,
        durability: o.durability,
        busyTimeout: o.busyTimeoutMs,
        freezeMs: FREEZE_MS,
        idleMs: o.transactionIdleMs,
        maxStatementMs: o.maxStatementMs === Infinity ? -1 : o.maxStatementMs,
        debug: o.debug,
        lock,
        wasm: o.wasmUrl ? new URL(o.wasmUrl, globalThis.location?.href).href : undefined,
      });
    });
    return this.#starting;
  }

  /* Watches the worker's life lock: once it is free, the worker is gone. */
  #watch(worker, lock, generation) {
    if (!globalThis.navigator?.locks) return;
    navigator.locks.request(lock, () => {
      if (this.#generation === generation) this.#died(worker, 'the database worker stopped (terminated or crashed)');
    }).catch(() => {});
  }

  /*
  ** Busy is not frozen (docs/coord.md): while this tab's worker leads a shared database,
  ** this page answers the other tabs' "who leads?" (HELLO, on the channel every client
  ** hears) with the worker's ANNOUNCE, so a worker deep in a long statement is not taken
  ** for a frozen tab; only a page that is silent as a whole (frozen, in the back/forward
  ** cache) loses the lead. announce: the ANNOUNCE bytes (an ArrayBuffer), or null when
  ** the worker does not lead (then the page stops answering).
  */
  #answerForLeader(announce) {
    this.#allChannel?.close();
    this.#allChannel = null;
    if (!announce || !this.#shared || typeof BroadcastChannel !== 'function') return;
    const bytes = new Uint8Array(announce);
    const ch = new BroadcastChannel(allChannelName(this.#db.name));
    ch.onmessage = (e) => {
      if (!isHello(e.data)) return;
      ch.postMessage(bytes);
      this.#checkWorker();
    };
    this.#allChannel = ch;
  }

  /*
  ** A tab waits on this page's worker (it asked who leads): the worker must still make
  ** progress. It answers a ping between two events; one that does not answer within
  ** maxStatementMs (every statement's cap) and WATCHDOG_GRACE_MS more is stuck where no
  ** deadline reaches (a flush that does not return, a bug): it is terminated, which moves
  ** the lead as a closed tab does, and this page's requests go to a new worker. With no
  ** maxStatementMs a busy worker is never judged stuck.
  */
  #checkWorker() {
    const cap = this.#db.options.maxStatementMs;
    const worker = this.#worker;
    if (cap === Infinity || !worker || this.#watchdog) return;
    const limit = cap + WATCHDOG_GRACE_MS;
    this.#watchdog = {
      worker,
      timer: setTimeout(() => {
        this.#watchdog = null;
        if (this.#worker !== worker) return;
        console.warn(PREFIX, `the database worker made no progress for ${limit} ms (maxStatementMs ${cap}): ending it`);
        this.#died(worker, `the database worker made no progress for ${limit} ms (maxStatementMs) and was ended`);
      }, limit),
    };
    worker.postMessage({ type: 'ping' });
  }

  /* The worker answered a ping (msg, with its memory's size; null: the worker is gone). */
  #pong(msg) {
    clearTimeout(this.#watchdog?.timer);
    this.#watchdog = null;
    for (const resolve of this.#memoryAsks.splice(0)) resolve(msg?.wasmBytes ?? 0);
  }

  /* The size of this page's worker's wasm memory, asked between two of its events; 0
  ** with no worker running. */
  memoryBytes() {
    const worker = this.#worker;
    if (!worker) return Promise.resolve(0);
    return new Promise((resolve) => {
      this.#memoryAsks.push(resolve);
      worker.postMessage({ type: 'ping' });
    });
  }

  /* Forgets the worker (terminating it); pending requests are the caller's business. */
  #stop(worker) {
    if (this.#worker !== worker) return;
    this.#answerForLeader(null);
    this.#pong(null);
    this.#busy?.abort.abort();
    this.#busy = null;
    this.#worker = null;
    this.#starting = null;
    this.#ready = false;
    this.#outgoing = [];
    worker.terminate();
  }

  /* Rejects every pending request with errorOf(p). */
  #rejectAll(errorOf) {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#outgoing = [];
    clearTimeout(this.#timer);
    this.#timer = null;
    for (const p of pending) p.reject(errorOf(p));
    this.#settled();
  }

  /*
  ** A worker died. A shared database's requests survive it: a new worker starts and gets
  ** them again (a request that was with MAX_RESENDS workers that died is rejected instead). A memory
  ** database died with its worker: its requests reject with SQLITE_WORKER_DIED.
  */
  #died(worker, why) {
    if (this.#worker !== worker) return;
    this.#stop(worker);
    this.#db.trace(`worker died: ${why}`);
    this.#db.emit('workerdied', { reason: why });
    const dead = (p) => new SQLiteError(`${why}; the request may or may not have run. The next request starts a new worker.`,
      { errno: SQLITE_WORKER_DIED, sql: p.sql });
    if (!this.#shared) {
      this.#rejectAll(dead);
      return;
    }
    for (const [id, p] of this.#pending) {
      if (++p.resends >= MAX_RESENDS) {
        // It may be what stops them (a trap in the core): never sent again.
        this.#pending.delete(id);
        p.reject(new SQLiteError(`${why}; ${MAX_RESENDS} workers stopped while this request was with them `
          + '(it may be what stops them), so it is not sent again; it may or may not have run',
        { errno: SQLITE_WORKER_DIED, sql: p.sql }));
      }
    }
    this.#settled();
    if (this.#pending.size) this.restart();
  }

  /*
  ** The worker ends itself to give its memory back (it had nothing pending): not a death.
  ** A new one starts now if requests are waiting, else with the next request.
  */
  #recycled() {
    if (!this.#worker) return;
    this.#db.trace('the worker recycles itself (its memory grew); a new one takes over');
    this.#replace();
  }

  /* Ends the worker and starts another for the pending requests: not a death. */
  #replace() {
    this.#generation++;   // its life lock's release is not a death
    this.#stop(this.#worker);
    if (this.#pending.size) this.restart();
  }

  /*
  ** The leading worker reports that a request of tab `client` (hex) has run a while, or
  ** (null) that it ended. A request of another tab that is gone would run on with no one
  ** to answer (timeoutMs Infinity and no maxStatementMs set no deadline), holding every
  ** tab's requests: when that tab's life lock comes free, this page ends its worker (a
  ** replacement, not a death) and the lead moves or restarts; the gone tab's request is
  ** never sent again.
  */
  #onBusy(client) {
    this.#busy?.abort.abort();
    this.#busy = null;
    const worker = this.#worker;
    if (typeof client !== 'string' || !this.#shared || !worker || client === this.#db.clientId) return;
    if (!globalThis.navigator?.locks) return;
    const abort = new AbortController();
    this.#busy = { client, abort };
    this.#db.trace(`the worker runs a request of tab ${client.slice(0, 8)}… for over a second; watching that tab`);
    navigator.locks.request(clientLockName(this.#db.name, client), { signal: abort.signal }, () => {
      if (this.#worker !== worker || this.#busy?.client !== client) return;
      this.#busy = null;
      console.warn(PREFIX, `the database worker runs a request of a tab that is gone (${client.slice(0, 8)}…): ending it`);
      this.#replace();
    }).catch(() => {}); // aborted: the request ended first
  }

  /* Starts a new worker for the pending requests (after a death or a pagehide). */
  restart() {
    if (this.#worker || this.#db.closedForGood) return;
    this.start().catch((e) => this.#db.trace('restarting the worker failed:', e.message));
  }

  /* Stops the worker without failing its requests (pagehide: free the storage now). */
  suspend() {
    if (!this.#worker || !this.#shared) return;
    this.#generation++;
    this.#stop(this.#worker);
  }

  /* Sends every pending request to a new worker, in order (same ids). */
  #resend() {
    if (this.#pending.size === 0) return;
    this.#outgoing = [];
    for (const [id, p] of this.#pending) this.#outgoing.push({ id, kind: p.kind, lease: p.lease, parts: p.parts, deadline: p.deadline });
    this.#db.trace(`sending ${this.#pending.size} request(s) again to the new worker`);
    this.#flush();
  }

  /*
  ** Sends one request. kind: OP_*; parts: Uint8Arrays of its body; decode(kind, body)
  ** turns the answer into the value the promise resolves with (or throws); lease: the
  ** transaction it belongs to (0: none); onId(id) learns the request's id. Returns a
  ** Promise of that value.
  */
  request(kind, parts, sql, decode, lease = 0, onId = null, signal = null) {
    if (this.#ready && this.#worker) return this.#enqueue(kind, parts, sql, decode, lease, onId, signal);
    return this.start().then(() => this.#enqueue(kind, parts, sql, decode, lease, onId, signal));
  }

  /* Queues a request for this tick's frame. Returns its Promise. */
  #enqueue(kind, parts, sql, decode, lease, onId, signal) {
    if (signal?.aborted) return Promise.reject(abortError(signal, sql));
    let size = 0;
    for (const part of parts) size += part.length;
    const max = kind === REQ_IMPORT ? MAX_IMPORT_BYTES : MAX_BODY_BYTES;
    if (size > max) {
      return Promise.reject(new SQLiteError(`the request is ${size} bytes: more than a request can carry `
        + `(${max} bytes)${kind === REQ_IMPORT ? '' : '; split it (runMany in chunks, one value at a time)'}`,
      { errno: SQLITE_TOOBIG, sql }));
    }
    if (this.#nextId > 0xffffffff) {
      // Ids are u32 and the leader refuses one below this tab's floor as a late copy:
      // they cannot wrap. A new open gets a new client id, and ids start again.
      return Promise.reject(new SQLiteError('this tab has made 4,294,967,295 requests to the database, all one '
        + 'connection can number: close it and open it again', { errno: SQLITE_MISUSE, sql }));
    }
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      onId?.(id);
      const timeoutMs = this.#db.options.timeoutMs;
      if (signal) {
        // Aborted: rejected at once; dropped where it still waits (here, in the worker, or
        // held by the leader). A statement already running ends only at its deadline.
        const onAbort = () => this.#abort(id, signal);
        signal.addEventListener('abort', onAbort, { once: true });
        const [res, rej] = [resolve, reject];
        resolve = (v) => { signal.removeEventListener('abort', onAbort); res(v); };
        reject = (e) => { signal.removeEventListener('abort', onAbort); rej(e); };
      }
      this.#pending.set(id, { resolve, reject, deadline: performance.now() + timeoutMs, sql, decode, kind, lease, parts, resends: 0 });
      if (this.#timer === null && timeoutMs !== Infinity) this.#timer = setTimeout(() => this.#expire(), timeoutMs);
      this.#outgoing.push({ id, kind, lease, parts, deadline: performance.now() + timeoutMs });
      // A long run of requests goes out in frames of FRAME_EAGER as it is made, so the
      // worker starts on the first while this thread still encodes the rest.
      if (this.#outgoing.length >= FRAME_EAGER) this.#flush();
      else if (!this.#flushQueued) {
        this.#flushQueued = true;
        queueMicrotask(() => {
          this.#flushQueued = false;
          this.#flush();
        });
      }
    });
  }

  /* Request id's AbortSignal fired: it rejects now, and is withdrawn where it waits. */
  #abort(id, signal) {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    const n = this.#outgoing.length;
    this.#outgoing = this.#outgoing.filter((r) => r.id !== id);
    if (this.#outgoing.length === n && this.#worker && this.#ready) this.#worker.postMessage({ type: 'cancel', id });
    p.reject(abortError(signal, p.sql));
    this.#settled();
  }

  /*
  ** Rejects the requests whose deadline has passed and sets the timer for the next one.
  ** One timer serves every request: they share timeoutMs, so the oldest (first in
  ** #pending) is always the next to expire.
  */
  #expire() {
    this.#timer = null;
    const now = performance.now();
    const timeoutMs = this.#db.options.timeoutMs;
    for (const [id, p] of this.#pending) {
      if (p.deadline > now) {
        this.#timer = setTimeout(() => this.#expire(), p.deadline - now);
        break;
      }
      this.#pending.delete(id);
      p.reject(new SQLiteError(`no answer within ${timeoutMs} ms (the request may still run)`,
        { errno: SQLITE_WORKER_TIMEOUT, sql: p.sql }));
    }
    this.#settled();
  }

  /* Posts the requests of this tick as frames (FRAME_MAX requests per frame). */
  #flush() {
    const out = this.#outgoing;
    this.#outgoing = [];
    if (!this.#worker || !this.#ready || out.length === 0) return;
    // Every request below the oldest pending one was answered here (ids grow; the
    // leader may drop this client's records of them).
    const acked = this.#pending.keys().next().value ?? out[0].id;
    // Each request tells the leader how long this page still waits for it: past that the
    // leader interrupts it (SQLITE_INTERRUPT), or does not run it at all.
    const now = performance.now();
    for (const r of out) r.budget = r.deadline === Infinity ? COORD_NO_BUDGET : Math.max(0, Math.floor(r.deadline - now));
    for (let i = 0; i < out.length; i += FRAME_MAX) {
      postFrame(this.#worker, encodeRequests(out.length <= FRAME_MAX ? out : out.slice(i, i + FRAME_MAX), acked));
    }
  }

  /* A message of the worker: an SQWA frame, or a role or lease notice. */
  #onMessage(msg) {
    if (msg instanceof ArrayBuffer) this.#onFrame(msg);
    else if (msg?.type === 'pong') this.#pong(msg);
    else if (msg?.type === 'recycle') this.#recycled();
    else if (msg?.type === 'busy') this.#onBusy(msg.client);
    else if (msg?.type === 'role') {
      this.#db._role(msg.isLeader, msg.epoch);
      this.#answerForLeader(msg.announce);
    }
    else if (msg?.type === 'lease') this.#db._leaseEnded(msg.lease, msg.reason);
    else if (msg?.type === 'versionchange') this.#db._versionChange(msg.version);
  }

  /* Settles the requests answered by one SQWA frame. */
  #onFrame(buf) {
    let answers;
    try {
      answers = decodeAnswers(buf);
    } catch (e) {
      console.error(PREFIX, 'dropped a malformed answer frame:', e.message);
      return;
    }
    for (const a of answers) {
      const p = this.#pending.get(a.id);
      if (!p) continue; // timed out already
      this.#pending.delete(a.id);
      try {
        p.resolve(p.decode(a.kind, a.body));
      } catch (e) {
        p.reject(this.#timedOut(e, p) ?? e);
      }
    }
    this.#settled();
  }

  /*
  ** The leader interrupts a request at the deadline this page gave it, so its answer
  ** (SQLITE_INTERRUPT) can arrive just before this page's own timer fires: then it is this
  ** page's timeout all the same. Returns that SQLITE_WORKER_TIMEOUT error, or null when
  ** e is another error (maxStatementMs's interrupt comes earlier than the deadline).
  */
  #timedOut(e, p) {
    if (e?.errno !== SQLITE_INTERRUPT || performance.now() < p.deadline - INTERRUPT_SLACK_MS) return null;
    return new SQLiteError(`no answer within ${this.#db.options.timeoutMs} ms (the statement was interrupted)`,
      { errno: SQLITE_WORKER_TIMEOUT, sql: p.sql });
  }

  /* Resolves the whenIdle() waits once nothing is pending. */
  #settled() {
    if (this.#pending.size || this.#idle.length === 0) return;
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }

  /* Resolves when no request is pending (answered, rejected or timed out). */
  whenIdle() {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /* Ends the worker after close: nothing is pending any more. */
  end() {
    if (this.#worker) this.#stop(this.#worker);
    this.#generation++;
    clearTimeout(this.#timer);
    this.#timer = null;
  }

  /*
  ** Gives up on the worker (db.close() waited too long for it): every pending request
  ** rejects with SQLITE_ABORT and the worker is terminated, which frees its locks and
  ** files as a closed tab's are (a statement it was running is rolled back).
  */
  abort(why) {
    if (this.#worker) this.#stop(this.#worker);
    this.#rejectAll((p) => new SQLiteError(`the database was closed before this request was answered (${why})`,
      { errno: SQLITE_ABORT, sql: p.sql }));
  }
}

/* Builds the SQLiteError of an ANS_ERROR body (an error result, SQWR). */
function answerError(body, sql) {
  let r;
  try {
    r = decodeResult(body);
  } catch (e) {
    return new SQLiteError(`a malformed error answer from the worker: ${e.message}`, { errno: SQLITE_ERROR, sql });
  }
  return resultError(r.rc === 0 ? { ...r, rc: SQLITE_ERROR } : r, sql);
}

/* Builds the SQLiteError of a failed SQWR result. */
function resultError(r, sql) {
  return new SQLiteError(r.message || codeName(r.rc), { errno: r.rc, sql, offset: r.errorOffset });
}

/**
 * The query methods shared by a Database and a transaction's `tx`: exec, all, get, run,
 * runMany, batch. Each returns a Promise; the subclass decides how requests are sent.
 */
class Queries {
  /* Sends a request now (subclasses route it); signal: the call's AbortSignal or null.
  ** Returns a Promise. */
  _send(kind, parts, sql, signal, decode) {
    throw new Error(`not implemented: ${kind} ${parts} ${sql} ${signal} ${decode}`);
  }

  /* The database's default decode options merged with a call's. */
  _decodeOptions(options) {
    const o = checkOptions(options, QUERY_OPTIONS, 'query option');
    const base = this._database().options;
    return { rowMode: o.rowMode ?? base.rowMode, bigint: o.bigint ?? base.bigint };
  }

  /*
  ** Runs sql with params and decodes its SQWR. Returns a Promise of the decoded result.
  */
  _statement(kind, sql, params, options, many) {
    try {
      checkSql(sql);
      const decodeOptions = this._decodeOptions(options);
      checkDecodeOptions(decodeOptions);
      const signal = checkSignal(options?.signal);
      const body = sqlBody(sql, ownParams(many ? encodeParamSets(params) : encodeParams(params)));
      return this._send(kind, body, sql, signal, (ans, bytes) => {
        if (ans === ANS_ERROR) throw answerError(bytes, sql);
        if (ans !== ANS_RESULT) throw new Error(`unexpected answer kind ${ans}`);
        const r = decodeResult(bytes, decodeOptions);
        if (r.rc !== 0) throw resultError(r, sql);
        return r;
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Runs one statement or a script. Returns { rows, columns, changes, lastInsertRowid,
   * resultSets } (rows/columns: of the last statement that returns rows).
   */
  async exec(sql, params, options) {
    const r = await this._statement(REQ_EXEC, sql, params, options, false);
    return { ...shapeResult(r), resultSets: r.resultSets };
  }

  /** Returns the rows of the query (objects by default); `rows.columns` names the columns. */
  async all(sql, params, options) {
    return shapeResult(await this._statement(REQ_EXEC, sql, params, options, false)).rows;
  }

  /** Returns the first row of the query, or undefined when it returns none. */
  async get(sql, params, options) {
    const sets = (await this._statement(REQ_EXEC, sql, params, options, false)).resultSets;
    return sets.length ? sets[sets.length - 1].rows[0] : undefined;
  }

  /** Runs a statement. Returns { changes, lastInsertRowid }. */
  async run(sql, params, options) {
    const { changes, lastInsertRowid } = await this._statement(REQ_EXEC, sql, params, options, false);
    return { changes, lastInsertRowid };
  }

  /**
   * Runs one statement once per parameter set, atomically, in one round trip.
   * Returns { changes, lastInsertRowid, rows } (rows: from RETURNING, if any).
   */
  async runMany(sql, paramSets, options) {
    if (!Array.isArray(paramSets)) throw misuse('runMany expects an array of parameter sets', typeof sql === 'string' ? sql : undefined);
    const { changes, lastInsertRowid, rows } = shapeResult(await this._statement(REQ_RUN_MANY, sql, paramSets, options, true));
    return { changes, lastInsertRowid, rows };
  }

  /**
   * Runs [sql, params?] items in order, atomically, in one round trip.
   * Returns one { rows, columns, changes, lastInsertRowid } per item. Rejects with the
   * failing item's SQLiteError (its `batchIndex` says which); nothing of it remains.
   */
  batch(items, options) {
    try {
      if (!Array.isArray(items)) throw misuse('batch expects an array of [sql, params] items');
      const decodeOptions = this._decodeOptions(options);
      const list = items.map((item, i) => {
        const [sql, params] = Array.isArray(item) ? item : [item];
        if (typeof sql !== 'string') throw misuse(`batch item ${i} must be [sql, params?] with sql a string`);
        checkSql(sql);
        return { sql, params: ownParams(encodeParams(params)) };
      });
      const signal = checkSignal(options?.signal);
      const body = batchBody(list);
      return this._send(REQ_BATCH, [body], undefined, signal, (ans, bytes) => {
        if (ans === ANS_ERROR) throw answerError(bytes);
        if (ans !== ANS_LIST) throw new Error(`unexpected answer kind ${ans}`);
        const { rc, failIndex, results } = decodeResultList(bytes, decodeOptions);
        if (rc !== 0) {
          const last = results[results.length - 1] ?? { message: '', errorOffset: -1 };
          const sql = list[failIndex]?.sql;
          const err = new SQLiteError(last.message || 'batch failed',
            { errno: rc, sql, offset: last.errorOffset });
          err.batchIndex = failIndex;
          throw err;
        }
        return results.map(shapeResult);
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }
}

/** A transaction's handle: the query methods, valid until the transaction ends. */
class Transaction extends Queries {
  #db;
  #open = true;
  #lost = null;           // the SQLiteError of a transaction the leader ended

  constructor(db) {
    super();
    this.#db = db;
    this.lease = 0;       // the id of its BEGIN request, once sent
  }

  _database() {
    return this.#db;
  }

  _send(kind, parts, sql, signal, decode) {
    if (!this.#open) return Promise.reject(misuse('this transaction is over: use the db outside transaction(fn)', sql));
    if (this.#lost) return Promise.reject(new SQLiteError(this.#lost.message, { errno: this.#lost.errno, sql }));
    return this.#db._direct(kind, parts, sql, decode, this.lease, null, signal);
  }

  /* The leader ended the transaction (reason 'idle' or 'lost'): later calls reject. */
  _lose(reason) {
    this.#lost = reason === 'idle'
      ? { errno: SQLITE_WORKER_TRANSACTION_TIMEOUT, message: `the transaction was rolled back after ${this.#db.options.transactionIdleMs} ms without a request (transactionIdleMs)` }
      : { errno: SQLITE_WORKER_LEADER_CHANGED, message: 'the transaction was lost when the tab serving the database changed; nothing of it was saved: run it again' };
  }

  /* The error of a lost transaction, or null. */
  get _lostError() {
    return this.#lost;
  }

  /* Ends the handle: later calls reject. */
  _end() {
    this.#open = false;
  }
}

/**
 * An open database. Created by openDatabase(); see README "API".
 */
export class Database extends Queries {
  #channel;
  #queue = [];            // calls waiting for a transaction to end: () => void
  #inTransaction = false;
  #importing = Promise.resolve();   // the streamed import in progress (one at a time)
  #closed = false;
  #listeners = new Map();
  #ready = null;
  #tx = null;             // the running transaction's handle
  #releaseClient = null;  // ends the hold of the client's life lock
  #clientLockFreed = null; // settles once that lock is free again
  #onPageHide = null;
  #onPageShow = null;

  /** @internal Use openDatabase(). */
  constructor(name, options) {
    super();
    this.name = name;
    this.options = options;
    this.persistent = false;
    this.persistenceError = null;
    this.isLeader = false;
    this.epoch = 0;
    this.clientId = newClientId();
    this.closedForGood = false;
    this.#channel = new Channel(this, ++instances);
  }

  _database() {
    return this;
  }

  /* Logs a debug line (debug mode only). */
  trace(...args) {
    if (this.options.debug) console.debug(PREFIX, `[${this.name}]`, ...args);
  }

  /* Calls the listeners of `event` with detail. */
  emit(event, detail) {
    for (const fn of this.#listeners.get(event) ?? []) {
      try {
        fn(detail);
      } catch (e) {
        console.error(PREFIX, `a '${event}' listener threw:`, e);
      }
    }
  }

  /**
   * Subscribes fn to `event`: 'leaderchange' ({ isLeader, epoch }), 'workerdied'
   * ({ reason }), 'versionchange' ({ version, current }), 'close'. Returns a function
   * that unsubscribes.
   */
  on(event, fn) {
    if (typeof event !== 'string') throw misuse('event must be a string');
    if (typeof fn !== 'function') throw misuse('listener must be a function');
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event).add(fn);
    return () => this.#listeners.get(event)?.delete(fn);
  }

  /*
  ** Holds the client's life lock (the leader learns of this client's death when it is
  ** free), starts the worker and records what storage it got. Resolves with this.
  */
  async _open() {
    const held = this.#holdClientLock();
    this.#ready = this.#channel.start();
    let info;
    try {
      [info] = await Promise.all([this.#ready, held]);
    } catch (e) {
      this.#releaseClient?.();
      throw e;
    }
    this.persistent = info.persistent;
    this.persistenceError = info.persistenceError;
    if (!info.persistent && this.options.persistence === 'auto') {
      console.warn(PREFIX, `"${this.name}" is kept in memory only and will not survive a reload: ${info.persistenceError}`);
    }
    if (info.persistent && typeof globalThis.addEventListener === 'function') {
      // Leaving the page frees the database's files at once (a reload's new page, or
      // another tab, takes them over); a page restored from the back/forward cache
      // starts a worker again for what is pending.
      this.#onPageHide = () => this.#channel.suspend();
      this.#onPageShow = (e) => {
        if (e.persisted) this.#channel.restart();
      };
      globalThis.addEventListener('pagehide', this.#onPageHide);
      globalThis.addEventListener('pageshow', this.#onPageShow);
    }
    return this;
  }

  /* Requests the client's life lock. Resolves once it is held (at once without locks). */
  #holdClientLock() {
    if (!globalThis.navigator?.locks) return Promise.resolve();
    return new Promise((held, failed) => {
      this.#clientLockFreed = navigator.locks.request(clientLockName(this.name, this.clientId), () => {
        held();
        return new Promise((release) => {
          this.#releaseClient = release;
        });
      }).catch(failed);
    });
  }

  /* The worker's news of the leadership: updates isLeader and epoch, emits 'leaderchange'. */
  _role(isLeader, epoch) {
    if (isLeader === this.isLeader && epoch === this.epoch) return;
    this.isLeader = isLeader;
    this.epoch = epoch;
    this.trace(isLeader ? `this tab leads (epoch ${epoch})` : `another tab leads (epoch ${epoch})`);
    this.emit('leaderchange', { isLeader, epoch });
  }

  /* A tab of a newer wire version runs: this one should reload (see 'versionchange'). */
  _versionChange(version) {
    this.trace(`a tab of a newer version runs (wire ${version}, this tab ${COORD_VERSION}): reload to get it`);
    this.emit('versionchange', { version, current: COORD_VERSION });
  }

  /* The leader ended this tab's transaction `lease` without its word. */
  _leaseEnded(lease, reason) {
    if (this.#tx && this.#tx.lease === lease) this.#tx._lose(reason);
  }

  /* Sends a request right away (transactions use it for `tx`). Returns a Promise. */
  _direct(kind, parts, sql, decode, lease = 0, onId = null, signal = null) {
    return this.#channel.request(kind, parts, sql, decode, lease, onId, signal);
  }

  /* Sends a request when no transaction holds the database. Returns a Promise. */
  _send(kind, parts, sql, signal, decode) {
    if (this.#closed) return Promise.reject(misuse('the database is closed', sql));
    if (signal?.aborted) return Promise.reject(abortError(signal, sql));
    if (!this.#inTransaction && this.#queue.length === 0) return this._direct(kind, parts, sql, decode, 0, null, signal);
    return new Promise((resolve, reject) => {
      // Waits behind this tab's transaction; an abort meanwhile takes it out of the line.
      const run = () => {
        signal?.removeEventListener('abort', onAbort);
        this._direct(kind, parts, sql, decode, 0, null, signal).then(resolve, reject);
      };
      const onAbort = () => {
        const i = this.#queue.indexOf(run);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(abortError(signal, sql));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(run);
    });
  }

  /* Runs queued calls until one of them is a transaction (which takes the database). */
  #drain() {
    while (!this.#inTransaction && this.#queue.length) this.#queue.shift()();
  }

  /**
   * Runs fn(tx) in a transaction: commits when fn's promise resolves (resolving with its
   * value), rolls back when it rejects or throws (rejecting with its error). Other calls
   * on db wait until it ends; use `tx` inside fn.
   */
  transaction(fn) {
    if (typeof fn !== 'function') return Promise.reject(misuse('transaction expects a function (tx) => …'));
    if (this.#closed) return Promise.reject(misuse('the database is closed'));
    return new Promise((resolve, reject) => {
      const start = () => {
        this.#inTransaction = true;
        this.#runTransaction(fn).then(resolve, reject).finally(() => {
          this.#inTransaction = false;
          this.#drain();
        });
      };
      if (this.#inTransaction || this.#queue.length) this.#queue.push(start);
      else start();
    });
  }

  /*
  ** BEGIN (a lease on the leader), fn(tx), COMMIT or ROLLBACK. Returns fn's value;
  ** throws fn's or COMMIT's error.
  */
  async #runTransaction(fn) {
    const tx = new Transaction(this);
    const control = (kind, sql) => this._direct(kind, [], sql, (ans, bytes) => {
      if (ans === ANS_ERROR) throw answerError(bytes, sql);
      const r = decodeResult(bytes);
      if (r.rc !== 0) throw resultError(r, sql);
      return r;
    }, tx.lease, kind === REQ_BEGIN ? (id) => { tx.lease = id; } : null);
    this.#tx = tx;
    try {
      await control(REQ_BEGIN, 'BEGIN');
      let value;
      try {
        value = await fn(tx);
      } catch (e) {
        tx._end();
        if (!tx._lostError) await control(REQ_ROLLBACK, 'ROLLBACK').catch((re) => this.trace('rollback after a failed transaction:', re.message));
        throw e;
      }
      tx._end();
      const lost = tx._lostError;
      if (lost) throw new SQLiteError(lost.message, { errno: lost.errno, sql: 'COMMIT' });
      try {
        await control(REQ_COMMIT, 'COMMIT');
      } catch (e) {
        await control(REQ_ROLLBACK, 'ROLLBACK').catch(() => {});
        throw e;
      }
      return value;
    } finally {
      this.#tx = null;
    }
  }

  /** Returns the whole database file as a Uint8Array (a standalone SQLite database). */
  export(options) {
    let stream;
    try {
      stream = checkOptions(options, ['stream'], 'export option').stream ?? false;
      if (typeof stream !== 'boolean') throw misuse('export option stream must be a boolean');
    } catch (e) {
      return Promise.reject(e);
    }
    if (stream) return Promise.resolve(this.#exportStream());
    return this._send(REQ_EXPORT, [], undefined, null, (ans, bytes) => {
      if (ans === ANS_ERROR) throw answerError(bytes);
      if (ans !== ANS_BYTES) throw new Error(`unexpected answer kind ${ans}`);
      return bytes.slice();
    });
  }

  /*
  ** The database file as a ReadableStream of chunks (EXPORT_CHUNK_BYTES of whole pages), read
  ** from one consistent snapshot: the stream holds a transaction (a lease on the leader,
  ** so other tabs' writes wait) from its first read to its last, or until it is
  ** cancelled. Pages are read through SQLite (sqlite_dbpage), so neither this page, its
  ** worker nor the leader holds more than a chunk. A reader slower than
  ** transactionIdleMs between two chunks loses the transaction: the stream errors with
  ** SQLITE_WORKER_TRANSACTION_TIMEOUT.
  */
  #exportStream() {
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    let txReady;
    const gotTx = new Promise((resolve, reject) => {
      txReady = { resolve, reject };
    });
    this.transaction(async (tx) => {
      txReady.resolve(tx);
      await held;
    }).catch((e) => txReady.reject(e));
    let tx = null;
    let next = 1;
    let last = 0;
    let perChunk = 1;
    const end = () => release();
    return new ReadableStream({
      start: async () => {
        tx = await gotTx;
        last = (await tx.get('PRAGMA page_count')).page_count;
        perChunk = Math.max(1, Math.floor(EXPORT_CHUNK_BYTES / (await tx.get('PRAGMA page_size')).page_size));
      },
      pull: async (ctl) => {
        try {
          if (next > last) {
            end();
            ctl.close();
            return;
          }
          const upto = Math.min(last, next + perChunk - 1);
          // One lookup per page: sqlite_dbpage takes only pgno = ? as a constraint (a
          // range would scan the whole file for every chunk).
          const rows = await tx.all('WITH RECURSIVE p(n) AS (SELECT ?1 UNION ALL SELECT n + 1 FROM p WHERE n < ?2) '
            + 'SELECT (SELECT data FROM sqlite_dbpage WHERE pgno = n) FROM p', [next, upto], { rowMode: 'array' });
          let size = 0;
          for (const [page] of rows) size += page.length;
          const chunk = new Uint8Array(size);
          let at = 0;
          for (const [page] of rows) {
            chunk.set(page, at);
            at += page.length;
          }
          // A standalone file: a WAL-mode header would make readers look for a -wal file.
          if (next === 1 && chunk.length >= 20) {
            if (chunk[18] === 2) chunk[18] = 1;
            if (chunk[19] === 2) chunk[19] = 1;
          }
          next = upto + 1;
          ctl.enqueue(chunk);
        } catch (e) {
          end();
          throw e;
        }
      },
      cancel: end,
    }, { highWaterMark: 1 });
  }

  /**
   * The memory of this tab's database worker: { wasmBytes }, the size of its WebAssembly
   * memory, which never shrinks (so it is the worker's high-water mark); 0 when no worker
   * runs. The leader's worker holds the database's cache and every request's work.
   */
  async memoryUsage() {
    if (this.#closed) throw misuse('the database is closed');
    return { wasmBytes: await this.#channel.memoryBytes() };
  }

  /**
   * How much storage this database and its origin use: { databaseBytes } (the database's
   * pages: page_count × page_size), and the browser's navigator.storage figures for the
   * whole origin, { usage, quota } (null where the browser gives none) and { persisted }
   * (true once the browser agreed not to evict the origin's storage: persistStorage()).
   * An app can warn before the quota is reached.
   */
  async storageEstimate() {
    if (this.#closed) throw misuse('the database is closed');
    const s = globalThis.navigator?.storage;
    const [estimate, persisted, size] = await Promise.all([
      s?.estimate ? s.estimate().catch(() => ({})) : {},
      s?.persisted ? s.persisted().catch(() => false) : false,
      this.get('SELECT (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM pragma_page_size) AS bytes'),
    ]);
    return {
      databaseBytes: size.bytes,
      usage: Number.isFinite(estimate.usage) ? estimate.usage : null,
      quota: Number.isFinite(estimate.quota) ? estimate.quota : null,
      persisted: persisted === true,
    };
  }

  /*
  ** import() of a ReadableStream (or of an image over a piece) into a persistent
  ** database: the image goes to the leader in pieces of IMPORT_PIECE_BYTES, each answered
  ** before the next is read, into this tab's staging file beside the database; the last
  ** request imports that file (checked like a whole image) and removes it. The leader's
  ** worker holds a piece at a time. A failure drops the staged bytes.
  */
  #importStaged(reader) {
    // One staged import at a time: this tab has one staging file.
    const run = this.#importing.then(() => this.#importPieces(reader));
    this.#importing = run.catch(() => {});
    return run;
  }

  /* #importStaged's work: reader gives the image's chunks ({ done, value }, as a stream's). */
  async #importPieces(reader) {
    const piece = new Uint8Array(IMPORT_PIECE_BYTES);
    let fill = 0;
    let offset = 0;
    let sent = false;
    const check = (ans, body) => {
      if (ans === ANS_ERROR) throw answerError(body);
      if (ans !== ANS_RESULT) throw new Error(`unexpected answer kind ${ans}`);
      const r = decodeResult(body);
      if (r.rc !== 0) throw new SQLiteError(r.message || codeName(r.rc), { errno: r.rc });
    };
    const flush = async () => {
      sent = true;
      await this._send(REQ_IMPORT_PART, [u64(offset), piece.subarray(0, fill)], undefined, null, check);
      offset += fill;
      fill = 0;
    };
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const bytes = streamBytes(value);
        for (let at = 0; at < bytes.length;) {
          const n = Math.min(bytes.length - at, piece.length - fill);
          piece.set(bytes.subarray(at, at + n), fill);
          fill += n;
          at += n;
          if (fill === piece.length) await flush();
        }
      }
      if (fill > 0 || offset === 0) await flush();
      return await this._send(REQ_IMPORT_END, [u64(offset)], undefined, null, check);
    } catch (e) {
      reader.cancel(e).catch(() => {});
      if (sent) this._send(REQ_IMPORT_END, [u64(REQ_IMPORT_DISCARD)], undefined, null, () => {}).catch(() => {});
      throw e;
    }
  }

  /**
   * Replaces the database with `bytes` (a database file: Uint8Array, ArrayBuffer or a
   * view), validated first: bytes that are not a sound database reject with
   * SQLITE_NOTADB or SQLITE_CORRUPT and leave the database as it was.
   */
  import(bytes) {
    if (typeof ReadableStream === 'function' && bytes instanceof ReadableStream) {
      if (!this.persistent) return readWhole(bytes, MAX_IMPORT_BYTES).then((whole) => this.import(whole));
      return this.#importStaged(bytes.getReader());
    }
    let src;
    if (bytes instanceof Uint8Array) src = bytes;
    else if (ArrayBuffer.isView(bytes)) src = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    else if (bytes instanceof ArrayBuffer) src = new Uint8Array(bytes);
    else return Promise.reject(misuse('import expects a Uint8Array, an ArrayBuffer, a view of one or a ReadableStream of bytes'));
    if (this.persistent && src.length > IMPORT_PIECE_BYTES) {
      // Staged too: the leader's worker then holds a piece, not the image twice.
      let done = false;
      return this.#importStaged({
        read: async () => {
          const r = done ? { done: true } : { done: false, value: src };
          done = true;
          return r;
        },
        cancel: async () => {},
      });
    }
    return this._send(REQ_IMPORT, [src], undefined, null, (ans, body) => {
      if (ans === ANS_ERROR) throw answerError(body);
      if (ans !== ANS_RESULT) throw new Error(`unexpected answer kind ${ans}`);
      const r = decodeResult(body);
      if (r.rc !== 0) throw new SQLiteError(r.message || codeName(r.rc), { errno: r.rc });
    });
  }

  /**
   * Closes the database once every request made before is settled, and ends its worker
   * (a leader hands the database over to another tab). A second close resolves at once.
   */
  async close() {
    if (this.#closed) return;
    // Behind the transactions and calls queued before it, and after their answers.
    const done = new Promise((resolve, reject) => {
      const run = () => this.#channel.whenIdle()
        .then(() => this._direct(REQ_CLOSE, [], undefined, (ans, body) => {
          if (ans === ANS_ERROR) throw answerError(body);
        }))
        .then(resolve, reject);
      if (!this.#inTransaction && this.#queue.length === 0) run();
      else this.#queue.push(run);
    });
    this.#closed = true;
    // Bounded: past the calls' own timeoutMs (or CLOSE_WAIT_MS with none) and CLOSE_WAIT_MS
    // more for the worker's close, the worker is terminated and what is left rejects.
    const { timeoutMs } = this.options;
    const bound = (timeoutMs === Infinity ? 0 : timeoutMs) + CLOSE_WAIT_MS;
    let timer;
    const late = new Promise((resolve) => {
      timer = setTimeout(resolve, bound, CLOSE_LATE);
    });
    try {
      if (await Promise.race([done, late]) === CLOSE_LATE) {
        this.trace(`close: no answer within ${bound} ms; terminating the worker`);
        this.#channel.abort(`db.close() waited ${bound} ms`);
      }
    } finally {
      clearTimeout(timer);
      this.closedForGood = true;
      this.#channel.end();
      this.#releaseClient?.();
      // Closed means closed for every tab too: deleteDatabase() right after sees no
      // life lock of this tab (the lock manager frees it a task later).
      await this.#clientLockFreed;
      if (this.#onPageHide) {
        globalThis.removeEventListener('pagehide', this.#onPageHide);
        globalThis.removeEventListener('pageshow', this.#onPageShow);
      }
      this.emit('close', {});
    }
  }
}

/**
 * Opens (creating if needed) the database `name`, in a worker of its own.
 * options: { persistence: 'auto'|'opfs'|'memory', durability: 'durable'|'relaxed',
 *   timeoutMs, busyTimeoutMs, debug, rowMode: 'object'|'array', bigint: 'auto'|'always',
 *   workerUrl, wasmUrl }.
 * Resolves with a Database. Rejects with SQLiteError: SQLITE_MISUSE for bad arguments,
 * SQLITE_WORKER_PERSISTENCE_UNAVAILABLE when persistence is 'opfs' and OPFS is missing,
 * SQLITE_BUSY when another tab holds the database, SQLITE_WORKER_UNAVAILABLE when no
 * worker can start.
 */
export async function openDatabase(name, options) {
  checkName(name);
  const o = normalizeOptions(options);
  if (typeof Worker === 'undefined') {
    throw new SQLiteError('openDatabase needs Web Workers (a browser page or worker)', { errno: SQLITE_WORKER_UNAVAILABLE });
  }
  const db = new Database(name, o);
  db.trace('opening', o);
  return db._open();
}

/* The OPFS side of database management, loaded when first needed. */
async function storage() {
  const { createBrowserHost } = await import('./host-browser.js');
  return createBrowserHost();
}

/**
 * Asks the browser to keep this origin's storage (OPFS databases included) under storage
 * pressure instead of evicting it: navigator.storage.persist(). Resolves with its answer
 * (true: persisted; false: refused, or no such API). Chromium decides by the site's
 * engagement without asking; Firefox asks the user; Safari may grant it to a web app on
 * the home screen.
 */
export async function persistStorage() {
  const s = globalThis.navigator?.storage;
  if (!s?.persist) return false;
  try {
    return (await s.persist()) === true;
  } catch {
    return false;
  }
}

/**
 * The names of this origin's databases in OPFS, sorted. Resolves with [] when there are
 * none. Rejects with SQLITE_WORKER_PERSISTENCE_UNAVAILABLE where there is no OPFS.
 */
export async function listDatabases() {
  return (await storage()).listDatabases();
}

/**
 * Deletes the OPFS database `name` and its files. Resolves with true if it existed.
 * Rejects with SQLITE_BUSY while it is open (close it first, in every tab),
 * SQLITE_MISUSE for a bad name.
 */
export async function deleteDatabase(name) {
  checkName(name);
  const store = await storage();
  return whileUnused(name, () => store.deleteDatabase(name));
}

/* How long deleteDatabase() waits for the leader lock of a database being closed. */
const DELETE_WAIT_MS = 1000;

/*
** Runs fn (the deletion of database `name`) only while no tab has it open: it takes the
** database's leader lock if it is free with no request waiting for it (every tab with
** the database open holds it or waits for it, also between two leaders, when no worker
** holds the files), and holds it while fn runs, so no tab can take the lead and open
** the files meanwhile. A lock freed by a tab that has just closed can take a moment to
** show as free (Firefox's lock manager learns of it after the page does): tried again
** for up to DELETE_WAIT_MS. Rejects with SQLITE_BUSY else.
*/
async function whileUnused(name, fn) {
  const locks = globalThis.navigator?.locks;
  if (!locks) return fn();
  const NONE = Symbol('busy');
  for (const end = Date.now() + DELETE_WAIT_MS; ;) {
    const out = await locks.request(leaderLockName(name), { ifAvailable: true }, (lock) => (lock ? fn() : NONE));
    if (out !== NONE) return out;
    if (Date.now() >= end) {
      throw new SQLiteError(`database ${JSON.stringify(name)} is open in a tab: close it (in every tab) before deleting it`,
        { errno: SQLITE_BUSY });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Deletes every OPFS database of this origin. Rejects with SQLITE_BUSY while any is
 * open.
 */
export async function deleteAllDatabases() {
  const store = await storage();
  return store.wipeAll();
}

/**
 * The seed-compatible connection: `new DatabaseConnection()` opens 'worker.db';
 * `ready` resolves once it is open; `query(sql)` resolves with JSON text: the rows (an
 * array of objects) of a statement that returns rows, else
 * {"changes":n,"lastInsertRowid":n}. Queries made before ready wait for it.
 */
export class DatabaseConnection {
  #db;

  constructor(name = 'worker.db', options = undefined) {
    this.#db = openDatabase(name, options);
    /** Resolves (with undefined) when the database is open; rejects when it cannot open. */
    this.ready = this.#db.then(() => undefined);
  }

  /** Runs sql (one statement or a script). Resolves with JSON text (see the class). */
  async query(sql) {
    const db = await this.#db;
    const r = await db.exec(sql);
    const value = r.resultSets.length ? r.rows : { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
    return toJson(value);
  }

  /** The Database behind this connection (for the rest of the API). */
  get database() {
    return this.#db;
  }

  /** Closes the database. */
  async close() {
    await (await this.#db).close();
  }
}

/*
** JSON text of query results: BigInt as a JSON number with every digit (JSON has no
** size limit), Uint8Array as an array of byte values. Returns a string.
*/
function toJson(value) {
  const marks = [];
  const token = `sqlw-big-${Math.random().toString(36).slice(2)}-`;
  const text = JSON.stringify(value, (k, v) => {
    if (typeof v === 'bigint') {
      marks.push(v.toString());
      return token + (marks.length - 1);
    }
    if (v instanceof Uint8Array) return Array.from(v);
    return v;
  });
  if (!marks.length) return text;
  // The token is random per call, so no user text can stand for a placeholder.
  return text.replace(new RegExp(`"${token}(\\d+)"`, 'g'), (_, i) => marks[Number(i)]);
}
