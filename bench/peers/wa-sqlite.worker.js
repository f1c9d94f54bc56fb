// wa-sqlite.worker.js — the peer @journeyapps/wa-sqlite in a dedicated module worker, for
// the peers' benchmark (bench/peers/index.html): its synchronous build (wa-sqlite.mjs,
// not the Asyncify or JSPI one) with the AccessHandlePoolVFS example VFS registered as
// the default, and the VFS's and the connection's defaults (journal mode, synchronous)
// left as they are.
//
// Requests (rpc.js): open, w1, query, pointLoop, close. `query` keeps one prepared
// statement per SQL text for the worker's lifetime (statements() with `unscoped`, the
// library's documented way to keep one), so a request costs bind + step + reset and not
// a prepare. One worker serves one round: the page starts a worker, opens, runs the
// workloads, closes, and terminates it.
//
// Not done here: nothing else shares the pool (AccessHandlePoolVFS supports one
// connection in one context). The library's API is Promise-based even on the
// synchronous build (step, reset, open, close return Promises); that cost is the
// library's and stays in the numbers.
import SQLiteESMFactory from '/node_modules/@journeyapps/wa-sqlite/dist/wa-sqlite.mjs';
import * as SQLite from '/node_modules/@journeyapps/wa-sqlite/src/sqlite-api.js';
import { AccessHandlePoolVFS } from '/node_modules/@journeyapps/wa-sqlite/src/examples/AccessHandlePoolVFS.js';
import { serve } from './rpc.js';
import { w1Rows, mulberry32, CREATE_T, INSERT_T } from '../workload.js';

const ROWS = 100000;
// The VFS's name and its OPFS directory (AccessHandlePoolVFS uses one for both).
const VFS_DIR = 'bench-wa-sqlite';
const DB_PATH = '/bench.db';
const POINT = 'SELECT * FROM t WHERE id = ?';
const SYNC_NAMES = ['off', 'normal', 'full', 'extra'];

let sqlite3 = null; // the API object of SQLite.Factory
let vfs = null; // the AccessHandlePoolVFS instance
let db = null; // the connection handle
const statements = new Map(); // SQL text → { stmt, names }: prepared statements kept open

/*
** Removes the VFS's OPFS directory, that is every file of the pool: the wipe of a fresh
** round (the library's own tests reset OPFS the same way). Must run before the VFS opens
** its access handles. Returns when done; throws the DOMException of removeEntry except
** NotFoundError (nothing to remove).
*/
async function wipePool() {
  const root = await navigator.storage.getDirectory();
  try {
    await root.removeEntry(VFS_DIR, { recursive: true });
  } catch (err) {
    if (err.name !== 'NotFoundError') throw err;
  }
}

/*
** Returns the cached { stmt, names } for `sql`, preparing it on first use with
** statements(…, { unscoped: true }) so that it outlives the iteration. names are the
** result column names. Throws the library's SQLiteError when the SQL does not prepare.
*/
async function prepared(sql) {
  let entry = statements.get(sql);
  if (!entry) {
    for await (const stmt of sqlite3.statements(db, sql, { unscoped: true })) {
      entry = { stmt, names: sqlite3.column_names(stmt) };
      break;
    }
    if (!entry) throw new Error(`no statement in ${sql}`);
    statements.set(sql, entry);
  }
  return entry;
}

/*
** Runs `sql` with the positional `params` on its cached statement. Returns its rows as
** objects keyed by column name (row() copies blobs out of wasm memory); the statement is
** reset afterwards, so an autocommit write is committed when this resolves. Throws the
** library's SQLiteError (its code is the SQLite result code).
*/
async function run(sql, params) {
  const { stmt, names } = await prepared(sql);
  try {
    if (params && params.length) sqlite3.bind_collection(stmt, params);
    const rows = [];
    while (await sqlite3.step(stmt) === SQLite.SQLITE_ROW) {
      const values = sqlite3.row(stmt);
      const row = {};
      for (let i = 0; i < names.length; i++) row[names[i]] = values[i];
      rows.push(row);
    }
    return rows;
  } finally {
    await sqlite3.reset(stmt);
  }
}

/* Returns the first column of the last row of `sql` (undefined when it has no row). */
async function selectValue(sql) {
  let value;
  await sqlite3.exec(db, sql, (row) => { value = row[0]; });
  return value;
}

/** The request handlers (rpc.js serve()); each one's reply is its return value. */
const handlers = {
  /*
  ** Wipes the pool first when `fresh`, instantiates the synchronous build, creates and
  ** registers AccessHandlePoolVFS as the default VFS, and opens /bench.db. Returns
  ** { sqlite: library version, journal, sync: the modes in effect }. Throws when OPFS
  ** access handles are missing or locked by another context.
  */
  async open({ fresh }) {
    if (db) throw new Error('open: already open');
    if (fresh) await wipePool();
    const module = await SQLiteESMFactory();
    sqlite3 = SQLite.Factory(module);
    vfs = await AccessHandlePoolVFS.create(VFS_DIR, module);
    sqlite3.vfs_register(vfs, true);
    db = await sqlite3.open_v2(DB_PATH);
    return {
      sqlite: sqlite3.libversion(),
      journal: await selectValue('PRAGMA journal_mode'),
      sync: SYNC_NAMES[await selectValue('PRAGMA synchronous')],
    };
  },

  /*
  ** W1: creates t and t2, then inserts w1Rows(100000) in one transaction through one
  ** prepared statement, bound (bind_collection) and stepped per row. The rows are
  ** generated before the clock starts. Returns { ms } from BEGIN to the end of COMMIT.
  ** Throws when t then holds a row count other than 100,000.
  */
  async w1() {
    await sqlite3.exec(db, `${CREATE_T}; CREATE TABLE t2(id INTEGER PRIMARY KEY, v INTEGER)`);
    const rows = w1Rows(ROWS);
    const t0 = performance.now();
    await sqlite3.exec(db, 'BEGIN');
    for await (const stmt of sqlite3.statements(db, INSERT_T)) {
      for (const row of rows) {
        sqlite3.bind_collection(stmt, row);
        await sqlite3.step(stmt);
        await sqlite3.reset(stmt);
      }
    }
    await sqlite3.exec(db, 'COMMIT');
    const ms = performance.now() - t0;
    const n = await selectValue('SELECT count(*) FROM t');
    if (n !== ROWS) throw new Error(`W1 left ${n} rows in t, not ${ROWS}`);
    return { ms };
  },

  /* One statement with positional params; returns its rows as objects (see run()). */
  query({ sql, params }) {
    return run(sql, params);
  },

  /*
  ** W5 in the worker: n point reads by id, ids from mulberry32(seed) as on the main thread,
  ** each through run() (rows built as objects). Returns { ms } of the loop. Throws when a
  ** read did not return exactly its one row (checked after the clock stops).
  */
  async pointLoop({ n, seed }) {
    const rand = mulberry32(seed);
    const ids = Array.from({ length: n }, () => 1 + rand() % ROWS);
    const results = new Array(n);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) results[i] = await run(POINT, [ids[i]]);
    const ms = performance.now() - t0;
    results.forEach((rows, i) => {
      if (rows.length !== 1 || rows[0].id !== ids[i]) throw new Error(`W5 in worker: read ${i} of id ${ids[i]} returned ${rows.length} rows`);
    });
    return { ms };
  },

  /*
  ** Finalizes the cached statements, closes the connection and closes the VFS, which
  ** releases its OPFS access handles so that the next worker can take them without
  ** waiting for this one's teardown. Returns null.
  */
  async close() {
    for (const { stmt } of statements.values()) await sqlite3.finalize(stmt);
    statements.clear();
    await sqlite3.close(db);
    db = null;
    await vfs.close();
    return null;
  },
};

serve(handlers);
