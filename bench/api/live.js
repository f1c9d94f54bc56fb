// live.js — the live-query benchmark (bench/run.js, liveBench), in two pages of
// bench/api/index.html on one database: page A opens it first, leads and writes; page B
// follows and holds the live queries (db.live()), which run on A's worker over
// BroadcastChannel. bench/run.js calls these functions in each page in turn
// (window.api.live.*) and orders the steps; the waits are on events (a listener's rows,
// a channel message, a 'change' event), never polled.
//
// Latency from A's write to B's listener: both pages stamp now() (performance.timeOrigin
// + performance.now(): each page's origin is its start on the browser's clock, so the sums
// of two pages compare), A just before it sends the INSERT, B in its listener when the
// new row shows; B posts its stamp to A on a BroadcastChannel after stamping, so that hop
// is not in the number, and A sends its next INSERT only once the stamp came, so the
// writes never overlap. clockOffset() checks that the clocks agree: B's clock minus A's
// by ping-pong over a BroadcastChannel, bounded by half the shortest round trip (printed
// with the numbers).
import { w1Rows, CREATE_T } from '../workload.js';
import { CREATE_T2, ROWS, openAs, w1, w2, wipe } from './common.js';

const SEEN = 'bench-live-seen';         // B's listener → A: { key, id, at }
const CLOCK = 'bench-live-clock';       // A's ping { i } → B's pong { i, at }
const INSERT = 'INSERT INTO t(name, score, data) VALUES (?, ?, ?)';

/* The database's tables: W1's t, W2's t2, u that nobody writes, a marker (heard()). */
const SETUP = `${CREATE_T}; ${CREATE_T2}; CREATE TABLE u(v); CREATE TABLE marker(v)`;

/* The live queries, by key: t's last row; a table nobody writes; W1's and W2's tables. */
const QUERIES = {
  last: 'SELECT id, name, score FROM t ORDER BY id DESC LIMIT 1',
  u: 'SELECT count(*) AS n FROM u',
  t: 'SELECT count(*) AS n FROM t',
  t2: 'SELECT count(*) AS n FROM t2',
};

/* Now, in ms since the Unix epoch, on the clock every page of the browser shares. */
const now = () => performance.timeOrigin + performance.now();

/* This page's database (open()), its live queries by key (watch()), its recorded change
** events (hear()), and B's clock responder. */
let db = null;
const watches = new Map();
let changes = null;
let clockPong = null;

/* The rows A inserts, W1's shape without the id: [name, score, data]. */
let rowsCache = null;
function rowAt(i) {
  rowsCache ??= w1Rows(4096, 11).map((r) => r.slice(1));
  return rowsCache[i % rowsCache.length];
}

/*
** Opens database `name` in this page: as its leader after deleting it and creating the
** tables (page A), or as a follower (page B, which then answers clockOffset()'s pings).
** Throws when the page has the other role.
*/
async function open(name, leader) {
  if (leader) {
    await wipe(name);
    db = await openAs(name, true);
    await db.exec(SETUP);
  } else {
    db = await openAs(name, false);
    clockPong = new BroadcastChannel(CLOCK);
    clockPong.onmessage = (e) => clockPong.postMessage({ i: e.data.i, at: now() });
  }
}

/* Closes this page's database and its live queries; `wipeAfter` (A, last) deletes it. */
async function close(wipeAfter) {
  for (const key of [...watches.keys()]) unwatch(key);
  changes?.off();
  changes = null;
  clockPong?.close();
  clockPong = null;
  const name = db.name;
  await db.close();
  db = null;
  if (wipeAfter) await wipe(name);
}

/*
** Page A: `n` ping-pongs with page B's clock. Returns { offset, within } in ms: B's clock
** minus A's at the shortest round trip, ± half of it.
*/
async function clockOffset(n) {
  const ch = new BroadcastChannel(CLOCK);
  try {
    let best = { rtt: Infinity, offset: 0 };
    for (let i = 0; i < n; i++) {
      const t0 = now();
      const at = await new Promise((resolve) => {
        ch.onmessage = (e) => { if (e.data.i === i) resolve(e.data.at); };
        ch.postMessage({ i });
      });
      const t1 = now();
      if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: at - (t0 + t1) / 2 };
    }
    return { offset: best.offset, within: best.rtt / 2 };
  } finally {
    ch.close();
  }
}

/*
** Subscribes live query `key` (of QUERIES): its listener keeps the latest rows, wakes
** until()'s waiters and, with `post`, posts { key, id: rows[0].id, at: now() } on SEEN
** for page A. Resolves once the first result is in.
*/
function watch(key, post) {
  const rec = { q: db.live(QUERIES[key]), rows: undefined, at: 0, waiters: new Set(), errors: [], unsub: null, ch: null };
  if (post) rec.ch = new BroadcastChannel(SEEN);
  watches.set(key, rec);
  return new Promise((resolve, reject) => {
    rec.unsub = rec.q.subscribe((rows) => {
      if (rows === undefined) return;
      rec.at = now();
      rec.rows = rows;
      rec.ch?.postMessage({ key, id: rows[0]?.id ?? 0, at: rec.at });
      for (const w of [...rec.waiters]) w();
      resolve();
    }, (e) => {
      rec.errors.push(e);
      reject(e);
    });
  });
}

/* Unsubscribes live query `key`. */
function unwatch(key) {
  const rec = watches.get(key);
  rec.unsub();
  rec.ch?.close();
  watches.delete(key);
}

/*
** Waits until live query `key`'s first row has `column` ≥ `value`. Resolves to { at }
** (the listener's now() when it got those rows) and { runs } (the query's runs then).
*/
function until(key, column, value) {
  const rec = watches.get(key);
  return new Promise((resolve, reject) => {
    const check = () => {
      if (rec.errors.length) reject(rec.errors[0]);
      else if ((rec.rows?.[0]?.[column] ?? 0) >= value) resolve({ at: rec.at, runs: rec.q.runs });
      else return;
      rec.waiters.delete(check);
    };
    rec.waiters.add(check);
    check();
  });
}

/* The runs live query `key` has sent to the leader so far. */
function runs(key) {
  return watches.get(key).q.runs;
}

/* Records this page's 'change' events from now on (see heard()). */
function hear() {
  changes = { events: [], waiter: null, off: null };
  changes.off = db.on('change', (e) => {
    changes.events.push(e.tables);
    changes.waiter?.();
  });
}

/*
** Waits for a 'change' event naming `table` (a marker written after the measured
** writes: the leader posts its notices in order, so every earlier one was heard, and
** acted on, before it), then stops recording. Resolves to the count of events before it
** that named `counted`.
*/
function heard(table, counted) {
  return new Promise((resolve) => {
    changes.waiter = () => {
      const i = changes.events.findIndex((tables) => tables.includes(table));
      if (i < 0) return;
      const n = changes.events.slice(0, i).filter((tables) => tables.includes(counted)).length;
      changes.off();
      changes = null;
      resolve(n);
    };
    changes.waiter();
  });
}

/* Page A: one marker row (see heard()). */
async function mark() {
  await db.run('INSERT INTO marker VALUES (1)');
}

/*
** Page A, with B's live query posting on SEEN: `warm` + `n` awaited autocommit INSERTs
** into t, each followed by a wait for B's listener to have the row. Returns arrays of
** the last `n`, in ms: { commit } (A's await of run() alone) and { seen } (from just
** before A sent the INSERT to B's listener having it).
*/
async function latency(warm, n) {
  const ch = new BroadcastChannel(SEEN);
  let last = { id: 0, at: 0 };
  let wake = null;
  ch.onmessage = (e) => {
    if (e.data.id > last.id) last = e.data;
    wake?.();
  };
  const seenId = (id) => new Promise((resolve) => {
    wake = () => { if (last.id >= id) resolve(last.at); };
    wake();
  });
  try {
    const commit = [], seen = [];
    for (let i = 0; i < warm + n; i++) {
      const t0 = now();
      const r = await db.run(INSERT, rowAt(i));
      const t1 = now();
      const at = await seenId(r.lastInsertRowid);
      if (i >= warm) {
        commit.push(t1 - t0);
        seen.push(at - t0);
      }
    }
    return { commit, seen };
  } finally {
    ch.close();
  }
}

/*
** Page A: `n` autocommit INSERTs into t, all sent at once (`awaited` false) or each
** awaited before the next. Returns { lastId, start } (now() before the first) and { ms }.
*/
async function burst(n, awaited) {
  const start = now();
  let lastId = 0;
  if (awaited) {
    for (let i = 0; i < n; i++) lastId = (await db.run(INSERT, rowAt(i))).lastInsertRowid;
  } else {
    const rs = await Promise.all(Array.from({ length: n }, (_, i) => db.run(INSERT, rowAt(i))));
    lastId = Math.max(...rs.map((r) => r.lastInsertRowid));
  }
  return { lastId, start, ms: now() - start };
}

/*
** Page A: empty t and t2 as the open left them (dropped, the file vacuumed, created
** again), so every W1 and W2 starts from the same database while both pages stay open.
*/
async function reset() {
  await db.exec('DROP TABLE t; DROP TABLE t2');
  await db.exec('VACUUM');        // alone: a script runs as one transaction
  await db.exec(`${CREATE_T}; ${CREATE_T2}`);
}

/* Page A: W1 (100,000 rows into t, one runMany) on the empty t. Returns the ms. */
let w1Cache = null;
function runW1() {
  w1Cache ??= w1Rows(ROWS);
  return w1(db, w1Cache);
}

/* Page A: W2 (1,000 awaited autocommit inserts into the empty t2). Returns the ms. */
function runW2() {
  return w2(db);
}

export const live = { open, close, clockOffset, watch, unwatch, until, runs, hear, heard, mark, latency, burst, reset, runW1, runW2 };
