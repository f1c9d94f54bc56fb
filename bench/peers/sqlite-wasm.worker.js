// sqlite-wasm.worker.js — the peer @sqlite.org/sqlite-wasm (the official build) in a
// dedicated module worker, for the peers' benchmark (bench/peers/index.html): its
// opfs-sahpool VFS (installOpfsSAHPoolVfs) and its oo1 API, with the VFS's and the
// connection's defaults (journal mode, synchronous) left as they are.
//
// Requests (rpc.js): open, w1, query, pointLoop, close. `query` keeps one prepared
// statement per SQL text for the worker's lifetime, the way an app's worker would, so a
// request costs bind + step + reset and not a prepare. One worker serves one round: the
// page starts a worker, opens, runs the workloads, closes, and terminates it.
//
// Not done here: nothing else shares the pool (one connection, one worker), and the
// "opfs" VFS of the same package (which needs COOP/COEP) is not used.
import sqlite3InitModule from '/node_modules/@sqlite.org/sqlite-wasm/dist/index.mjs';
import { serve } from './rpc.js';
import { w1Rows, mulberry32, CREATE_T, INSERT_T } from '../workload.js';

const ROWS = 100000;
// opfs-sahpool takes absolute paths only (its documented peculiarity).
const DB_PATH = '/bench.db';
const POINT = 'SELECT * FROM t WHERE id = ?';
const SYNC_NAMES = ['off', 'normal', 'full', 'extra'];

let sqlite3 = null; // the initialized module, once per worker
let pool = null; // the opfs-sahpool utility object
let db = null; // the oo1 connection (an OpfsSAHPoolDb)
const statements = new Map(); // SQL text → { stmt, names }: prepared statements kept open

/*
** Returns the cached { stmt, names } for `sql`, preparing it on first use. names are the
** result column names (empty for a statement without result columns). Throws the
** library's SQLite3Error when the SQL does not prepare.
*/
function prepared(sql) {
  let entry = statements.get(sql);
  if (!entry) {
    const stmt = db.prepare(sql);
    const names = [];
    for (let i = 0; i < stmt.columnCount; i++) names.push(stmt.getColumnName(i));
    entry = { stmt, names };
    statements.set(sql, entry);
  }
  return entry;
}

/*
** Runs `sql` with the positional `params` on its cached statement. Returns its rows as
** objects keyed by column name (blobs come back as Uint8Array copies); the statement is
** reset afterwards, so an autocommit write is committed when this returns. Throws the
** library's SQLite3Error (its resultCode is the SQLite result code).
*/
function run(sql, params) {
  const { stmt, names } = prepared(sql);
  try {
    if (params && params.length) stmt.bind(params);
    const rows = [];
    const values = [];
    while (stmt.step()) {
      stmt.get(values);
      const row = {};
      for (let i = 0; i < names.length; i++) row[names[i]] = values[i];
      rows.push(row);
    }
    return rows;
  } finally {
    stmt.reset();
  }
}

/** The request handlers (rpc.js serve()); each one's reply is its return value. */
const handlers = {
  /*
  ** Initializes the module (once), installs opfs-sahpool — wiping its files first when
  ** `fresh` (the documented clearOnInit option) — and opens /bench.db. Returns
  ** { sqlite: library version, journal, sync: the modes in effect }. Throws when OPFS
  ** sync access handles are missing or locked by another context.
  */
  async open({ fresh }) {
    if (db) throw new Error('open: already open');
    sqlite3 ??= await sqlite3InitModule();
    pool = await sqlite3.installOpfsSAHPoolVfs({ clearOnInit: fresh });
    db = new pool.OpfsSAHPoolDb(DB_PATH);
    return {
      sqlite: sqlite3.version.libVersion,
      journal: db.selectValue('PRAGMA journal_mode'),
      sync: SYNC_NAMES[db.selectValue('PRAGMA synchronous')],
    };
  },

  /*
  ** W1: creates t and t2, then inserts w1Rows(100000) in one transaction through one
  ** prepared statement, bound and stepped per row (bind().stepReset()). The rows are
  ** generated before the clock starts. Returns { ms } from BEGIN to the end of COMMIT.
  ** Throws when t then holds a row count other than 100,000.
  */
  w1() {
    db.exec(`${CREATE_T}; CREATE TABLE t2(id INTEGER PRIMARY KEY, v INTEGER)`);
    const rows = w1Rows(ROWS);
    const t0 = performance.now();
    db.exec('BEGIN');
    const stmt = db.prepare(INSERT_T);
    try {
      for (const row of rows) stmt.bind(row).stepReset();
    } finally {
      stmt.finalize();
    }
    db.exec('COMMIT');
    const ms = performance.now() - t0;
    const n = db.selectValue('SELECT count(*) FROM t');
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
  pointLoop({ n, seed }) {
    const rand = mulberry32(seed);
    const ids = Array.from({ length: n }, () => 1 + rand() % ROWS);
    const results = new Array(n);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) results[i] = run(POINT, [ids[i]]);
    const ms = performance.now() - t0;
    results.forEach((rows, i) => {
      if (rows.length !== 1 || rows[0].id !== ids[i]) throw new Error(`W5 in worker: read ${i} of id ${ids[i]} returned ${rows.length} rows`);
    });
    return { ms };
  },

  /*
  ** Finalizes the cached statements, closes the connection and pauses the VFS, which
  ** releases its OPFS sync access handles so that the next worker can take them without
  ** waiting for this one's teardown. Returns null.
  */
  close() {
    for (const { stmt } of statements.values()) stmt.finalize();
    statements.clear();
    db.close();
    db = null;
    pool.pauseVfs();
    return null;
  },
};

serve(handlers);
