// live.js — change events and live queries (docs/coord.md, "Change notices").
//
// The leader's core knows, per commit, which tables it changed (engine_changes.c), and
// after each task that committed posts one CHANGES notice on the database's changes
// channel (a memory database's worker posts it to its page). A page listens only while
// it has a 'change' listener or a subscribed live query (ChangeFeed). A live query runs
// as REQ_LIVE: a read whose answer says which tables it read and which commits its
// result includes; it runs again only for a notice of a later commit that changed one of
// those tables (or the schema), one run at a time, the newest result winning. Nothing of
// a live query lives in the leader between its runs.

import { misuse } from './errors.js';
import { checkDecodeOptions, decodeResult, encodeParams, readNames } from './codec.js';
import { LISTEN_MESSAGE, changesChannelName, sqlBody } from './protocol.js';
import {
  ANS_ERROR, ANS_RESULT, COORD_CHANGES, COORD_CHANGES_ALL, COORD_CHANGES_FIELDS,
  COORD_CHANGES_MORE_WRITERS, COORD_CHANGES_SCHEMA, COORD_HEADER, COORD_ID_BYTES, COORD_VERSION,
  REQ_LIVE, SQLW_MAGIC_COORD,
} from './proto.js';
import { PREFIX, checkOptions, checkSql } from './options.js';
import { answerError, ownParams, resultError, shapeResult } from './queries.js';

// The largest notice a page decodes (256 names of at most 4 KiB, and the writers' ids).
const MAX_NOTICE_BYTES = 2 * 1024 * 1024;

/* The hex of 16 id bytes at u8[p]. */
function hexAt(u8, p) {
  let s = '';
  for (let i = 0; i < COORD_ID_BYTES; i++) s += u8[p + i].toString(16).padStart(2, '0');
  return s;
}

/*
** A CHANGES message (docs/coord.md), or null when `data` is not one of this wire
** version: { epoch, sender, first, last, schema, all, moreWriters, writers: [hex],
** tables: [names] }. Anything malformed is null: a page never throws on channel data.
*/
export function decodeChanges(data) {
  if (!(data instanceof ArrayBuffer) || data.byteLength < COORD_HEADER + COORD_CHANGES_FIELDS + 4
    || data.byteLength > MAX_NOTICE_BYTES) return null;
  const u8 = new Uint8Array(data);
  const dv = new DataView(data);
  for (let i = 0; i < 4; i++) if (u8[i] !== SQLW_MAGIC_COORD.charCodeAt(i)) return null;
  if (dv.getUint16(4, true) !== COORD_VERSION || dv.getUint16(6, true) !== COORD_CHANGES) return null;
  const epoch = Number(dv.getBigUint64(8, true));
  const sender = hexAt(u8, 16);
  let p = COORD_HEADER;
  const first = dv.getUint32(p, true);
  const last = dv.getUint32(p + 4, true);
  const flags = dv.getUint32(p + 8, true);
  const nWriter = dv.getUint32(p + 12, true);
  p += COORD_CHANGES_FIELDS;
  if (first === 0 || last < first || nWriter > (u8.length - p) / COORD_ID_BYTES) return null;
  const writers = [];
  for (let i = 0; i < nWriter; i++, p += COORD_ID_BYTES) writers.push(hexAt(u8, p));
  let tables;
  try {
    let end;
    [tables, end] = readNames(u8, dv, p, u8.length);
    if (end !== u8.length) return null;
  } catch {
    return null;
  }
  return {
    epoch, sender, first, last, writers, tables,
    schema: (flags & COORD_CHANGES_SCHEMA) !== 0,
    all: (flags & COORD_CHANGES_ALL) !== 0,
    moreWriters: (flags & COORD_CHANGES_MORE_WRITERS) !== 0,
  };
}

/* True when rows a and b (arrays of rows of one shape) hold the same values. */
function sameRows(a, b) {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  const ca = a.columns;
  const cb = b.columns;
  if (ca && cb && (ca.length !== cb.length || ca.some((c, i) => c !== cb[i]))) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    const kx = Object.keys(x);
    const ky = Object.keys(y);
    if (kx.length !== ky.length) return false;
    for (const k of kx) {
      if (!sameValue(x[k], y[k])) return false;
    }
  }
  return true;
}

/* One value of a row: numbers, bigints, strings, null, Uint8Array. */
function sameValue(x, y) {
  if (Object.is(x, y)) return true;
  if (x instanceof Uint8Array && y instanceof Uint8Array) {
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  return false;
}

/*
** A database's change feed: listens on the changes channel while anything in this page
** wants notices, turns each into a 'change' event and hands it to the live queries.
*/
export class ChangeFeed {
  #db;
  #channel = null;
  #lives = new Set();
  #epoch = -1;             // the leadership of the last notice taken
  #last = 0;               // ... and its last commit
  #closed = false;

  constructor(db) {
    this.#db = db;
  }

  /* Opens or closes the channel as the page needs it (a memory database's notices come
  ** from its worker: no channel). */
  update() {
    const want = !this.#closed && this.#db.persistent
      && (this.#lives.size > 0 || this.#db._listenerCount('change') > 0);
    if (want && !this.#channel) {
      this.#channel = new BroadcastChannel(changesChannelName(this.#db.name));
      this.#channel.onmessage = (e) => this.receive(e.data);
      this.#channel.postMessage(LISTEN_MESSAGE);
    } else if (!want && this.#channel) {
      this.#channel.close();
      this.#channel = null;
      // What it hears next is a fresh start, not a gap (nobody here waited for the rest).
      this.#epoch = -1;
      this.#last = 0;
    }
  }

  /** @internal True while the page listens for notices (tests). */
  get listening() {
    return this.#channel !== null;
  }

  /** @internal Live queries with a subscriber (tests). */
  get liveCount() {
    return this.#lives.size;
  }

  add(live) {
    this.#lives.add(live);
    this.update();
  }

  remove(live) {
    this.#lives.delete(live);
    this.update();
  }

  /* A notice arrived (channel data, or a memory database's worker's). */
  receive(data) {
    if (this.#closed) return;
    const n = decodeChanges(data);
    if (!n) {
      this.#db.trace('dropped a malformed change notice');
      return;
    }
    // A notice of a leadership older than the one this tab knows is stale.
    if (this.#db.epoch > 0 && n.epoch < this.#db.epoch) return;
    if (n.epoch === this.#epoch && n.last <= this.#last) return;       // heard already
    // A gap in one leadership's commits (a notice this page did not get): anything may
    // have changed.
    if (n.epoch === this.#epoch && n.first > this.#last + 1) n.all = true;
    this.#epoch = n.epoch;
    this.#last = n.last;
    const mine = this.#db.clientId;
    const local = n.writers.length > 0 && !n.moreWriters && n.writers.every((w) => w === mine);
    this.#db.emit('change', {
      tables: n.all ? [] : n.tables.slice(),
      seq: (BigInt(n.epoch) << 32n) | BigInt(n.last),
      local,
      schema: n.schema,
      all: n.all,
    });
    for (const live of this.#lives) live._notice(n);
  }

  /* The leader changed: notices may have been missed; every live query runs again. */
  leaderChanged() {
    this.#channel?.postMessage(LISTEN_MESSAGE);      // the new leader does not know yet
    for (const live of this.#lives) live._rerun();
  }

  /* The database closes: the channel goes and every live query stops. */
  close() {
    this.#closed = true;
    for (const live of [...this.#lives]) live._stop();
    this.#lives.clear();
    this.update();
  }
}

/**
 * A live query: the rows of one read statement, kept current as commits change the
 * tables it reads (README "Live queries"). Made by db.live().
 */
export class LiveQuery {
  #db;
  #feed;
  #sql;
  #body;
  #decodeOptions;
  #subs = new Set();
  #snapshot = undefined;
  #reads = null;           // lower-case names of the tables it reads; null: not known yet
  #epoch = -1;             // the leadership and commit the snapshot includes
  #counter = 0;
  #running = null;         // the AbortController of the run in flight
  #again = false;          // run again when it ends
  #want = null;            // { epoch, counter } of the newest notice it must include
  #stopped = true;
  /** Runs sent to the serving tab since it was made (each a read of its statement). */
  runs = 0;

  /** @internal Use db.live(). */
  constructor(db, feed, sql, params, options) {
    checkSql(sql);
    const o = checkOptions(options, ['rowMode', 'bigint'], 'live option');
    this.#decodeOptions = db._decodeOptions({ rowMode: o.rowMode, bigint: o.bigint });
    checkDecodeOptions(this.#decodeOptions);
    this.#db = db;
    this.#feed = feed;
    this.#sql = sql;
    this.#body = sqlBody(sql, ownParams(encodeParams(params)));
    // Bound, so they can be handed on as they are (useSyncExternalStore(q.subscribe, q.getSnapshot)).
    this.subscribe = this.subscribe.bind(this);
    this.getSnapshot = this.getSnapshot.bind(this);
  }

  /** The SQL text. */
  get sql() {
    return this.#sql;
  }

  /**
   * Calls listener(rows) now with the current rows (undefined before the first result)
   * and whenever they change; onError(error) when a run fails (the subscription stays).
   * Returns a function that unsubscribes. The first subscriber starts the query; when the
   * last leaves, all its work stops.
   */
  subscribe(listener, onError) {
    if (typeof listener !== 'function') throw misuse('live: subscribe expects a listener function', this.#sql);
    if (onError !== undefined && onError !== null && typeof onError !== 'function') {
      throw misuse('live: onError must be a function', this.#sql);
    }
    if (this.#db.closedForGood || this.#db._closing) throw misuse('the database is closed', this.#sql);
    const sub = { listener, onError: typeof onError === 'function' ? onError : null };
    this.#subs.add(sub);
    if (this.#stopped) this.#start();
    this.#call(sub, this.#snapshot);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#subs.delete(sub);
      if (this.#subs.size === 0) this._stop();
    };
  }

  /** The current rows: the same array until a result differs; undefined before the first. */
  getSnapshot() {
    return this.#snapshot;
  }

  #call(sub, value) {
    try {
      sub.listener(value);
    } catch (e) {
      console.error(PREFIX, 'a live query listener threw:', e);
    }
  }

  #start() {
    this.#stopped = false;
    this.#feed.add(this);
    this.#run();
  }

  /** @internal Stops all work: the run in flight is withdrawn, notices are ignored. */
  _stop() {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#subs.clear();
    this.#feed.remove(this);
    const ctl = this.#running;
    this.#running = null;
    this.#again = false;
    this.#want = null;
    ctl?.abort();
  }

  /** @internal The leader changed: run again (notices may have been missed). */
  _rerun() {
    if (this.#stopped) return;
    if (this.#running) this.#again = true;
    else this.#run();
  }

  /** @internal A change notice (decodeChanges's). */
  _notice(n) {
    if (this.#stopped) return;
    if (n.epoch < this.#epoch || (n.epoch === this.#epoch && n.last <= this.#counter)) return;
    // (A gap in what this page heard is the feed's to see: it marks the notice `all`.)
    const affects = n.all || n.schema || this.#reads === null
      || n.tables.some((t) => this.#reads.has(t.toLowerCase()));
    if (!affects) return;
    if (this.#running) {
      const w = this.#want;
      if (!w || n.epoch > w.epoch || (n.epoch === w.epoch && n.last > w.counter)) {
        this.#want = { epoch: n.epoch, counter: n.last };
      }
      return;
    }
    this.#run();
  }

  /* Sends one run; at most one is in flight. */
  #run() {
    const ctl = new AbortController();
    this.#running = ctl;
    this.#again = false;
    this.runs++;
    const sql = this.#sql;
    const decode = (ans, bytes) => {
      if (ans === ANS_ERROR) throw answerError(bytes, sql);
      if (ans !== ANS_RESULT) throw new Error(`unexpected answer kind ${ans}`);
      return decodeResult(bytes, this.#decodeOptions);
    };
    this.#db._send(REQ_LIVE, this.#body, sql, ctl.signal, decode).then((r) => {
      if (this.#running !== ctl) return;
      this.#running = null;
      const live = r.live;
      if (live) {
        this.#epoch = live.epoch;
        this.#counter = live.counter;
        this.#reads = live.all ? null : new Set(live.tables.map((t) => t.toLowerCase()));
      }
      if (r.rc !== 0) {
        this.#reads = new Set();        // runs again on a schema change (or any notice's gap)
        this.#fail(resultError(r, sql));
      } else {
        const rows = shapeResult(r).rows;
        if (!sameRows(rows, this.#snapshot)) {
          this.#snapshot = rows;
          for (const sub of [...this.#subs]) this.#call(sub, rows);
        }
      }
      this.#next();
    }, (e) => {
      if (this.#running !== ctl) return;
      this.#running = null;
      this.#fail(e);
      this.#next();
    });
  }

  /* After a run: once more if a notice it may not include (or a leader change) came. */
  #next() {
    const w = this.#want;
    this.#want = null;
    if (this.#stopped) return;
    if (this.#again || (w && (w.epoch > this.#epoch || (w.epoch === this.#epoch && w.counter > this.#counter)))) {
      this.#run();
    }
  }

  #fail(error) {
    for (const sub of [...this.#subs]) {
      if (!sub.onError) continue;
      try {
        sub.onError(error);
      } catch (e) {
        console.error(PREFIX, 'a live query onError threw:', e);
      }
    }
    if (![...this.#subs].some((s) => s.onError)) this.#db.trace('live query failed:', error?.message);
  }
}
