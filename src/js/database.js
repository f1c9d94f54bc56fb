// database.js — an open database of the public API: Database (open, close, transactions,
// export and import streamed in pieces, events, storage figures) and openDatabase(). Its
// query methods are Queries' (queries.js); its requests travel through its Channel
// (channel.js), which it owns.
//
// Ordering: requests run in the order they were made. While transaction(fn) runs, the
// database's other calls wait behind it (fn uses `tx`); transactions queue likewise.
// A tab's SQL transaction (BEGIN … COMMIT sent as SQL) is the tab's, as on one
// connection: every call of the tab joins it. A call whose SQL may begin or end one is
// sent when nothing else of the tab is on its way, and nothing is sent before its answer
// says whether the tab is in a transaction (coord_txn.c; docs/coord.md).

import { SQLiteError, codeName, misuse } from './errors.js';
import { decodeResult } from './codec.js';
import { MAX_IMPORT_BYTES, clientLockName } from './protocol.js';
import {
  ANS_BYTES, ANS_ERROR, ANS_RESULT, COORD_VERSION, REQ_BEGIN, REQ_CLOSE, REQ_COMMIT,
  REQ_EXPORT, REQ_IMPORT, REQ_IMPORT_DISCARD, REQ_IMPORT_END, REQ_IMPORT_PART,
  REQ_EXEC, REQ_LIVE, REQ_ROLLBACK, SQLITE_ERROR, SQLW_FLAG_IN_TXN,
  SQLITE_TOOBIG, SQLITE_WORKER_UNAVAILABLE,
} from './proto.js';
import { PREFIX, abortError, checkOptions, normalizeOptions } from './options.js';
import { Channel } from './channel.js';
import { Queries, Transaction, answerError, lostReason, resultError } from './queries.js';
import { checkName } from './host-common.js';
import { ChangeFeed, LiveQuery } from './live.js';
const EXPORT_CHUNK_BYTES = 2 * 1024 * 1024;   // a streamed export's chunks (whole pages)
// A streamed import() sends the image to the leader in pieces of this size, one at a time.
const IMPORT_PIECE_BYTES = 4 * 1024 * 1024;

// db.close() waits this long for the worker beyond the calls' own timeoutMs.
const CLOSE_WAIT_MS = 10_000;
const CLOSE_LATE = Symbol('late');

let instances = 0;

// A statement that may begin or end a transaction: one of these words first, at the
// text's start or after a semicolon, past blanks and comments. It errs on the side of yes
// (a word in a string or a trigger's body), which only makes that call wait its turn;
// the engine's own test (sqlwMaybeTxnControl) is no wider.
const TXN_WORD = /BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE/i;
const TXN_START = /(?:^|;)(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?(?:\*\/|$))*(?:BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)(?![A-Za-z])/i;

/* True if the SQL text may hold a transaction statement. */
export function mayControlTransaction(sql) {
  return typeof sql === 'string' && TXN_WORD.test(sql) && TXN_START.test(sql);
}

/* True if bytes is a result (SQWR) or a batch's result list (SQWL). */
function isResultBuffer(b) {
  return b instanceof Uint8Array && b.length >= 8 && b[0] === 0x53 && b[1] === 0x51 && b[2] === 0x57
    && (b[3] === 0x52 || b[3] === 0x4c);
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

/* A new client id: 16 random bytes as 32 hex digits. */
function newClientId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * An open database. Created by openDatabase(); see README "API".
 */
export class Database extends Queries {
  #channel;
  #queue = [];            // calls waiting their turn: { run, control }
  #inTransaction = false;
  #sqlLease = 0;          // the tab's SQL transaction: the id of the request that began it
  #sqlLost = null;        // how the leader ended it, told to the next call: { errno, message }
  #inflight = 0;          // requests of _send on their way
  #barrier = false;       // one that may begin or end a transaction is on its way
  #importing = Promise.resolve();   // the streamed import in progress (one at a time)
  #closed = false;
  #listeners = new Map();
  #ready = null;
  #tx = null;             // the running transaction's handle
  #releaseClient = null;  // ends the hold of the client's life lock
  #clientLockFreed = null; // settles once that lock is free again
  #onPageHide = null;
  #onPageShow = null;
  #feed = new ChangeFeed(this);   // change notices: 'change' events and live queries

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
   * Subscribes fn to `event`: 'change' ({ tables, seq, local, schema, all }: after a
   * commit of any tab changed these tables), 'leaderchange' ({ isLeader, epoch }),
   * 'workerdied' ({ reason }), 'versionchange' ({ version, current }), 'close'. Returns a
   * function that unsubscribes.
   */
  on(event, fn) {
    if (typeof event !== 'string') throw misuse('event must be a string');
    if (typeof fn !== 'function') throw misuse('listener must be a function');
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event).add(fn);
    if (event === 'change') this.#feed.update();
    return () => {
      const set = this.#listeners.get(event);
      if (!set?.delete(fn)) return;
      if (set.size === 0) this.#listeners.delete(event);
      if (event === 'change') this.#feed.update();
    };
  }

  /** @internal How many listeners `event` has. */
  _listenerCount(event) {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** @internal The change feed (tests: whether it listens, its live queries). */
  get _feed() {
    return this.#feed;
  }

  /** @internal True once close() began. */
  get _closing() {
    return this.#closed;
  }

  /* A memory database's change notice, from its worker. */
  _changes(data) {
    this.#feed.receive(data);
  }

  /**
   * A live query: subscribe(listener, onError?) gets the rows of `sql` now and again
   * after each commit (of any tab) that changed a table it reads; getSnapshot() returns
   * the current rows. options: { rowMode, bigint }. See README "Live queries".
   */
  live(sql, params, options) {
    if (this.#closed) throw misuse('the database is closed', sql);
    return new LiveQuery(this, this.#feed, sql, params, options);
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
        if (!e.persisted) return;
        this.#channel.restart();
        this.#feed.leaderChanged();    // notices went unheard in the back/forward cache
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
    this.#feed.leaderChanged();
  }

  /* A tab of a newer wire version runs: this one should reload (see 'versionchange'). */
  _versionChange(version) {
    this.trace(`a tab of a newer version runs (wire ${version}, this tab ${COORD_VERSION}): reload to get it`);
    this.emit('versionchange', { version, current: COORD_VERSION });
  }

  /* The leader ended this tab's transaction `lease` without its word. */
  _leaseEnded(lease, reason) {
    if (this.#tx && this.#tx.lease === lease) this.#tx._lose(reason);
    if (lease !== 0 && lease === this.#sqlLease) {
      this.#sqlLease = 0;
      this.#sqlLost = lostReason(reason, this.options.transactionIdleMs);
    }
  }

  /** True while this tab holds a transaction it began with SQL (BEGIN, SAVEPOINT). */
  get inTransaction() {
    return this.#sqlLease !== 0;
  }

  /* Sends a request right away (transactions use it for `tx`). Returns a Promise. */
  _direct(kind, parts, sql, decode, lease = 0, onId = null, signal = null) {
    return this.#channel.request(kind, parts, sql, decode, lease, onId, signal);
  }

  /* Sends a request in its turn: after this tab's transaction(fn), and, when its SQL may
  ** begin or end a transaction, alone (see the head of this file). Returns a Promise. */
  _send(kind, parts, sql, signal, decode) {
    if (this.#closed) return Promise.reject(misuse('the database is closed', sql));
    if (signal?.aborted) return Promise.reject(abortError(signal, sql));
    const control = kind === REQ_EXEC && mayControlTransaction(sql);
    if (!this.#inTransaction && !this.#barrier && this.#queue.length === 0 && !(control && this.#inflight > 0)) {
      return this.#sendNow(kind, parts, sql, signal, decode, control);
    }
    return new Promise((resolve, reject) => {
      // Waits its turn; an abort meanwhile takes it out of the line.
      const entry = {
        control,
        run: () => {
          signal?.removeEventListener('abort', onAbort);
          this.#sendNow(kind, parts, sql, signal, decode, control).then(resolve, reject);
        },
      };
      const onAbort = () => {
        const i = this.#queue.indexOf(entry);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(abortError(signal, sql));
        this.#drain();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(entry);
    });
  }

  /* Sends a request of _send now, in the tab's SQL transaction if it holds one. */
  #sendNow(kind, parts, sql, signal, decode, control) {
    if (this.#sqlLost && kind !== REQ_LIVE) {     // told to the app's next call, not a live query's run
      const lost = this.#sqlLost;
      this.#sqlLost = null;
      return Promise.reject(new SQLiteError(lost.message, { errno: lost.errno, sql }));
    }
    const lease = this.#sqlLease;
    let id = 0;
    this.#inflight++;
    if (control) this.#barrier = true;
    const p = this._direct(kind, parts, sql, (ans, bytes) => {
      this.#noteTransaction(id, lease, bytes);
      return decode(ans, bytes);
    }, lease, (i) => { id = i; }, signal);
    const done = () => {
      this.#inflight--;
      if (control) this.#barrier = false;
      this.#drain();
    };
    p.then(done, done);
    return p;
  }

  /* An answer says whether the tab holds a transaction now (SQLW_FLAG_IN_TXN): the
  ** request `id` (sent in transaction `lease`, 0: none) began one, or it ended. */
  #noteTransaction(id, lease, bytes) {
    if (!isResultBuffer(bytes)) return;
    if (bytes[6] & SQLW_FLAG_IN_TXN) {
      if (this.#sqlLease === 0 && lease === 0) this.#sqlLease = id;
    } else if (lease !== 0 && lease === this.#sqlLease) {
      this.#sqlLease = 0;
    }
  }

  /* Runs waiting calls in order until one must wait (a transaction, or a call that may
  ** begin or end one while others are on their way). */
  #drain() {
    while (!this.#inTransaction && !this.#barrier && this.#queue.length) {
      if (this.#queue[0].control && this.#inflight > 0) return;
      this.#queue.shift().run();
    }
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
        if (this.#sqlLease) {
          // As on one connection: this tab's SQL transaction is open.
          reject(new SQLiteError('cannot start a transaction within a transaction (this tab began one with SQL: COMMIT or ROLLBACK it first)', { errno: SQLITE_ERROR, sql: 'BEGIN' }));
          return;
        }
        this.#inTransaction = true;
        this.#runTransaction(fn).then(resolve, reject).finally(() => {
          this.#inTransaction = false;
          this.#drain();
        });
      };
      if (this.#inTransaction || this.#barrier || this.#queue.length) this.#queue.push({ control: false, run: start });
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
    this.#feed.close();       // live queries stop; no more notices
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
