// worker.js — the browser side of `make bench`: the design's workloads run inside a
// dedicated worker on OPFS, through the same C core and pool VFS as the native
// benchmark (bench/bench_native.c), in a journal mode and synchronous level given by
// the driver. Times are measured here, in the worker, with performance.now().
import { loadCore } from '/dist/core.js';
import { encodeParamSets } from '/dist/codec.js';
import { createBrowserHost } from '/dist/host-browser.js';
import { w1Rows, mulberry32, CREATE_T, INSERT_T, FRAME, FLOOR_N, FLOOR_SLOTS } from '../workload.js';
import { engineLoopW1, plainWasm } from '../loops.js';

const ROWS = 100000;
const host = createBrowserHost();
const corePromise = loadCore({ wasm: fetch('/dist/sqlite-worker.wasm'), host, fts5: '/dist/sqlite-worker-fts5.wasm' });

/* Copies `bytes` into the core's scratch memory at offset `at`; returns the address. */
function place(x, bytes, p, at = 0) {
  new Uint8Array(x.memory.buffer, p + at, bytes.length).set(bytes);
  return p + at;
}

/*
** Opens the database of `pool` with the raw exports (the C loop needs the handle) and
** sets the journal and sync mode, and the page size when pageSize is given (a new
** database only). Returns the handle.
*/
function openRaw(x, pool, journal, sync, pageSize = 0) {
  const enc = new TextEncoder();
  const names = enc.encode(`/${pool.name}\0${pool.vfs}\0`);
  const p = place(x, names, x.scratch(names.length));
  const db = x.open(p, p + names.indexOf(0) + 1, 0);
  if (!db || x.errcode(db)) throw new Error('open failed');
  // A page size takes effect on a database not yet written: before WAL writes page 1.
  const pragmas = (pageSize ? `PRAGMA page_size=${pageSize}; ` : '')
    + (journal === 'wal' ? 'PRAGMA locking_mode=EXCLUSIVE; ' : '')
    + `PRAGMA journal_mode=${journal}; PRAGMA synchronous=${sync}`;
  const sql = enc.encode(pragmas);
  if (x.exec(db, place(x, sql, x.scratch(sql.length)), sql.length, 0, 0)) throw new Error('pragmas failed');
  return db;
}

/*
** One round: W1 as a C loop (one run_many call with the rows encoded beforehand, the
** way bench_native.c runs it), then, through the JS connection, W2 (1,000 autocommit
** inserts, one request each) and W5 (10,000 reads by random id, one request each, rows
** decoded to objects), on a new database of pageSize-byte pages (SQLite's default when
** 0). Returns the times in ms.
*/
async function runOnce({ journal, sync, round, pageSize = 0 }) {
  const core = await corePromise;
  const x = core.exports;
  const enc = new TextEncoder();
  const name = `bench-${journal}-${sync}-${round}`;
  await host.deleteDatabase(name);
  const pool = await host.openPool(core, name);
  let db = null;
  try {
    const raw = openRaw(x, { name, vfs: pool.vfs }, journal, sync, pageSize);
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

/* Runs one SQL text on raw handle db; throws with SQLite's message on error. */
function execRaw(x, db, sql) {
  const bytes = new TextEncoder().encode(sql);
  if (x.exec(db, place(x, bytes, x.scratch(bytes.length)), bytes.length, 0, 0)) {
    throw new Error(`${sql.slice(0, 60)}: failed with ${x.errcode(db)}`);
  }
}

const COUNT_ROW = 1000;   // bytes of blob per row of the count(*) table: in the page at every size

/*
** The page-size database `bench-count-<pageSize>`: made (WAL/FULL) of about mib MiB of
** COUNT_ROW-byte rows in table c. Returns { ms }, the time to make it.
*/
async function countMake({ pageSize, mib }) {
  const core = await corePromise;
  const x = core.exports;
  const name = `bench-count-${pageSize}`;
  await host.deleteDatabase(name);
  const pool = await host.openPool(core, name);
  try {
    const t = performance.now();
    const db = openRaw(x, { name, vfs: pool.vfs }, 'wal', 'full', pageSize);
    try {
      execRaw(x, db, 'CREATE TABLE c(id INTEGER PRIMARY KEY, b BLOB)');
      const chunk = 16384;   // rows per statement (16 MiB)
      const rows = Math.round(mib * 1024 * 1024 / COUNT_ROW);
      for (let done = 0; done < rows; done += chunk) {
        execRaw(x, db, `WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < ${Math.min(chunk, rows - done)}) `
          + `INSERT INTO c(b) SELECT randomblob(${COUNT_ROW}) FROM k`);
        await pool.grow();
      }
    } finally {
      x.close(db);
    }
    return { ms: performance.now() - t };
  } finally {
    pool.close();
  }
}

/*
** The first SELECT count(*) over `bench-count-<pageSize>` (countMake): the pool opened
** afresh, the database opened (WAL/FULL), then the query timed alone. Returns { open,
** count } in ms and { n, pageSize, pages }.
*/
async function countFirst({ pageSize }) {
  const core = await corePromise;
  const name = `bench-count-${pageSize}`;
  const t = performance.now();
  const pool = await host.openPool(core, name);
  const db = core.open('/' + name, { vfs: pool.vfs });
  try {
    db.exec('PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=wal; PRAGMA synchronous=full');
    const open = performance.now() - t;
    const t1 = performance.now();
    const n = db.exec('SELECT count(*) AS n FROM c').resultSets[0].rows[0].n;
    const count = performance.now() - t1;
    const info = db.exec('SELECT (SELECT page_size FROM pragma_page_size) AS s, (SELECT page_count FROM pragma_page_count) AS p').resultSets[0].rows[0];
    if (info.s !== pageSize) throw new Error(`bench-count-${pageSize} has ${info.s}-byte pages`);
    return { open, count, n, pageSize: info.s, pages: info.p };
  } finally {
    db.close();
    pool.close();
  }
}

self.onmessage = async (e) => {
  const { id, ...args } = e.data;
  try {
    let result;
    if (args.floor) result = await flushFloor();
    else if (args.countMake) result = await countMake(args);
    else if (args.countFirst) result = await countFirst(args);
    else if (args.loops) {
      result = {
        engine: engineLoopW1(await corePromise, encodeParamSets, args.runs),
        plain: await plainWasm(await fetch('/build/wasm/bench-plain.wasm'), args.runs),
      };
    } else if (args.countDrop) result = await host.deleteDatabase(`bench-count-${args.pageSize}`);
    else result = await runOnce(args);
    self.postMessage({ id, ok: true, result });
  } catch (err) {
    self.postMessage({ id, ok: false, error: `${err.code ?? ''} ${err.message}` });
  }
};
