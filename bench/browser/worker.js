// worker.js — the browser side of `make bench`: the design's workloads run inside a
// dedicated worker on OPFS, through the same C core and pool VFS as the native
// benchmark (bench/bench_native.c), in a journal mode and synchronous level given by
// the driver. Times are measured here, in the worker, with performance.now().
import { loadCore } from '/dist/core.js';
import { encodeParamSets } from '/dist/codec.js';
import { createBrowserHost } from '/dist/host-browser.js';
import { w1Rows, mulberry32, CREATE_T, INSERT_T, FRAME, FLOOR_N, FLOOR_SLOTS } from '../workload.js';

const ROWS = 100000;
const host = createBrowserHost();
const corePromise = loadCore({ wasm: fetch('/dist/sqlite-worker.wasm'), host });

/* Copies `bytes` into the core's scratch memory at offset `at`; returns the address. */
function place(x, bytes, p, at = 0) {
  new Uint8Array(x.memory.buffer, p + at, bytes.length).set(bytes);
  return p + at;
}

/*
** Opens the database of `pool` with the raw exports (the C loop needs the handle) and
** sets the journal and sync mode. Returns the handle.
*/
function openRaw(x, pool, journal, sync) {
  const enc = new TextEncoder();
  const names = enc.encode(`/${pool.name}\0${pool.vfs}\0`);
  const p = place(x, names, x.scratch(names.length));
  const db = x.open(p, p + names.indexOf(0) + 1, 0);
  if (!db || x.errcode(db)) throw new Error('open failed');
  const pragmas = (journal === 'wal' ? 'PRAGMA locking_mode=EXCLUSIVE; ' : '')
    + `PRAGMA journal_mode=${journal}; PRAGMA synchronous=${sync}`;
  const sql = enc.encode(pragmas);
  if (x.exec(db, place(x, sql, x.scratch(sql.length)), sql.length, 0, 0)) throw new Error('pragmas failed');
  return db;
}

/*
** One round: W1 as a C loop (one run_many call with the rows encoded beforehand, the
** way bench_native.c runs it), then, through the JS connection, W2 (1,000 autocommit
** inserts, one request each) and W5 (10,000 reads by random id, one request each, rows
** decoded to objects). Returns the times in ms.
*/
async function runOnce({ journal, sync, round }) {
  const core = await corePromise;
  const x = core.exports;
  const enc = new TextEncoder();
  const name = `bench-${journal}-${sync}-${round}`;
  await host.deleteDatabase(name);
  const pool = await host.openPool(core, name);
  let db = null;
  try {
    const raw = openRaw(x, { name, vfs: pool.vfs }, journal, sync);
    const schema = enc.encode(CREATE_T + '; CREATE TABLE t2(id INTEGER PRIMARY KEY, v INTEGER)');
    if (x.exec(raw, place(x, schema, x.scratch(schema.length)), schema.length, 0, 0)) throw new Error('schema failed');
    const params = encodeParamSets(w1Rows(ROWS));
    const sql = enc.encode(INSERT_T);
    const p = x.scratch(sql.length + params.length);
    place(x, sql, p);
    place(x, params, p, sql.length);
    const t0 = performance.now();
    const rc = x.run_many(raw, p, sql.length, p + sql.length, params.length);
    const w1 = performance.now() - t0;
    x.scratch(0);
    x.close(raw);
    if (rc) throw new Error(`W1 failed with ${rc}`);
    await pool.grow();

    db = core.open('/' + name, { vfs: pool.vfs });
    if (journal === 'wal') db.exec('PRAGMA locking_mode=EXCLUSIVE');
    db.exec(`PRAGMA journal_mode=${journal}; PRAGMA synchronous=${sync}`);
    let t = performance.now();
    for (let i = 0; i < 1000; i++) db.exec('INSERT INTO t2(v) VALUES (?)', [i]);
    const w2 = performance.now() - t;
    const rand = mulberry32(7);
    t = performance.now();
    for (let i = 0; i < 10000; i++) db.exec('SELECT * FROM t WHERE id = ?', [1 + rand() % ROWS]);
    const w5 = performance.now() - t;
    const n = db.exec('SELECT count(*) AS n FROM t').resultSets[0].rows[0].n;
    if (n !== ROWS) throw new Error(`W1 left ${n} rows`);
    return { w1, w2, w5 };
  } finally {
    if (db) db.close();
    pool.close();
    await host.deleteDatabase(name);
  }
}

/*
** The storage floor of W2: 1,000 × (overwrite 4,120 bytes, one WAL frame, then flush)
** on one OPFS file through a sync access handle, without SQLite. Returns ms.
*/
async function flushFloor() {
  const dir = await navigator.storage.getDirectory();
  const file = await dir.getFileHandle('bench-floor', { create: true });
  const access = await file.createSyncAccessHandle();
  try {
    const frame = new Uint8Array(FRAME).fill(7);
    for (let i = 0; i < FLOOR_SLOTS; i++) access.write(frame, { at: i * FRAME });
    access.flush();
    const t = performance.now();
    for (let i = 0; i < FLOOR_N; i++) {
      access.write(frame, { at: (i % FLOOR_SLOTS) * FRAME });
      access.flush();
    }
    return performance.now() - t;
  } finally {
    access.close();
    await dir.removeEntry('bench-floor');
  }
}

self.onmessage = async (e) => {
  const { id, ...args } = e.data;
  try {
    const result = args.floor ? await flushFloor() : await runOnce(args);
    self.postMessage({ id, ok: true, result });
  } catch (err) {
    self.postMessage({ id, ok: false, error: `${err.code ?? ''} ${err.message}` });
  }
};
