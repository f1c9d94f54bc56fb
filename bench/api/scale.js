// scale.js — the scale rows of `make bench` (issue 18), through the public API from the
// main thread on OPFS, driven by bench/run.js through window.api.scale:
//   rows(n)          W1 (one runMany) and W5 (10,000 point reads at once) on an n-row table,
//                    with the worker's wasm memory after W1;
//   memory()         each worker's wasm memory before and after W1 (100k rows), W3 (those
//                    rows as objects, in a fresh worker) and a 64 MiB blob written and read
//                    back (in a fresh worker); wasm memory never shrinks, so the figure after
//                    an operation is its high-water, and the worker keeps it until close
//                    (or, past 256 MiB, until it recycles itself when idle);
//   fillBig(name, mib)  a database of W1's 100k rows plus mib MiB of 64 KiB blobs, for the
//                    open → first result of index.html?w6=<name> (flat in database size?);
//                    wipe(name) deletes it;
//   tabOpen(name, leader), tabWrite(n, at), tabClose()  one of several tabs writing at
//                    once: n awaited autocommit inserts, started at wall-clock time `at`.
import { w1Rows, CREATE_T } from '../workload.js';
import { CREATE_T2, ROWS, openAs, w1, w5, wipe } from './common.js';

const MiB = 1024 * 1024;

/* The worker's wasm memory of db, in bytes. */
async function wasm(db) {
  return (await db.memoryUsage()).wasmBytes;
}

/*
** W1 and W5 on a fresh n-row table. Returns { w1, w5 } in ms and { before, after } the
** worker's wasm memory in bytes around W1.
*/
async function rows(n) {
  const name = 'bench-scale-rows';
  await wipe(name);
  const data = w1Rows(n);
  const db = await openAs(name, true);
  try {
    await db.exec(CREATE_T);
    const before = await wasm(db);
    const t = performance.now();
    const r = await db.runMany('INSERT INTO t VALUES(?,?,?,?)', data);
    const w1ms = performance.now() - t;
    if (r.changes !== n) throw new Error(`W1 inserted ${r.changes} rows of ${n}`);
    const after = await wasm(db);
    return { w1: w1ms, w5: await w5(db, n), before, after };
  } finally {
    await db.close();
    await wipe(name);
  }
}

/*
** The worker's wasm memory before and after W1 (100k rows), W3 (a fresh worker reading
** them all as objects) and a 64 MiB blob inserted and read back (a fresh worker). Returns
** { w1, w3, blob }, each { before, after } in bytes, and blob.idle: the page's worker's
** memory once idle after the blob (its next worker's if it recycled itself).
*/
async function memory() {
  const name = 'bench-scale-mem';
  await wipe(name);
  const out = {};
  let db = await openAs(name, true);
  try {
    await db.exec(`${CREATE_T}; CREATE TABLE b(v BLOB)`);
    out.w1 = { before: await wasm(db) };
    await w1(db, w1Rows(ROWS));
    out.w1.after = await wasm(db);
    await db.close();

    db = await openAs(name, true);
    out.w3 = { before: await wasm(db) };
    const all = await db.all('SELECT * FROM t');
    if (all.length !== ROWS) throw new Error(`W3 returned ${all.length} rows`);
    out.w3.after = await wasm(db);
    await db.close();

    // In one transaction: an idle worker whose memory passed 256 MiB recycles itself
    // (src/js/worker.js), and its high-water would be lost with it. Then, idle: what the
    // page's worker holds once it could recycle (a new worker's memory if it did).
    db = await openAs(name, true);
    out.blob = { before: await wasm(db) };
    const blob = new Uint8Array(64 * MiB);
    for (let i = 0; i < blob.length; i += 4096) blob[i] = i >> 12;
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO b(v) VALUES (?)', [blob]);
      const back = (await tx.get('SELECT v FROM b')).v;
      if (back.length !== blob.length || back[4096 * 1000] !== blob[4096 * 1000]) throw new Error('the 64 MiB blob came back different');
      out.blob.after = await wasm(db);
    });
    await db.get('SELECT 1');
    await new Promise((resolve) => setTimeout(resolve, 200));
    out.blob.idle = await wasm(db);
    return out;
  } finally {
    await db.close();
    await wipe(name);
  }
}

/*
** Makes database `name` afresh: W1's 100k rows in t (as the W6 page expects) and `mib`
** MiB of 64 KiB random blobs in a table beside it. Returns { bytes, ms }.
*/
async function fillBig(name, mib) {
  await wipe(name);
  const db = await openAs(name, true);
  try {
    const t = performance.now();
    await db.exec(`${CREATE_T}; CREATE TABLE big(i INTEGER PRIMARY KEY, b BLOB)`);
    await w1(db, w1Rows(ROWS));
    for (let done = 0; done < mib; done += 16) {
      await db.run('WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ?) INSERT INTO big(b) SELECT randomblob(65536) FROM c', [Math.min(16, mib - done) * 16]);
    }
    const ms = performance.now() - t;
    const bytes = (await db.get('SELECT (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM pragma_page_size) AS n')).n;
    return { bytes, ms };
  } finally {
    await db.close();
  }
}

/* This tab's database for tabWrite, kept open between calls. */
let tabDb = null;

/* Opens `name` in this tab, which should lead (the first tab) or follow; the leader makes
** table t2 afresh. */
async function tabOpen(name, leader) {
  if (leader) await wipe(name);
  tabDb = await openAs(name, leader);
  if (leader) await tabDb.exec(CREATE_T2);
}

/*
** Waits until wall-clock time `at` (ms since the epoch, as Date.now()), then makes n
** awaited autocommit inserts into t2. Returns { start, end } in ms since the epoch, on
** the clock the tabs share (timeOrigin + now()).
*/
async function tabWrite(n, at) {
  const wall = () => performance.timeOrigin + performance.now();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - wall())));
  const start = wall();
  for (let i = 0; i < n; i++) await tabDb.run('INSERT INTO t2(v) VALUES (?)', [i]);
  return { start, end: wall() };
}

/* Closes this tab's database; the leader returns t2's row count first. */
async function tabClose() {
  const n = tabDb.isLeader ? (await tabDb.get('SELECT count(*) AS n FROM t2')).n : null;
  await tabDb.close();
  tabDb = null;
  return n;
}

export const scale = { rows, memory, fillBig, wipe, tabOpen, tabWrite, tabClose };
