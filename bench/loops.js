// loops.js — the C loops of W1 on memdb in wasm, in Node (bench/run.js) or in the benchmark
// worker (bench/browser/): our engine's (one run_many call of the shipped module) and plain
// SQLite's (build/wasm/bench-plain.wasm, from bench/bench_plain.c: SQLite's API only, the
// shipped module's SQLite objects and flags), so a table can show the wasm's own cost apart
// from our engine's.
//
// For plain SQLite:
// The module imports the host interface (src/core/host.h); on memdb SQLite calls only
// time, random and tzoffset. The file imports answer as a host with no files would.
// time is a monotonic clock here (performance.now()): the workloads time themselves with
// it, and none of them asks SQLite for the date.

import { w1Rows, CREATE_T, INSERT_T } from './workload.js';

const ROWS = 100000;
const SQLITE_CANTOPEN = 14;
const WARM = 3;

/* The median of xs. */
function median(xs) {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1];
}

/**
 * Runs W1 as the native benchmark does: one run_many call of the wasm core (loadCore's)
 * with the rows already encoded (by encodeParamSets, dist/codec.js's) and in wasm memory,
 * on a private memdb database, so the time is the C loop alone. Returns the median of
 * `runs` in ms.
 */
export function engineLoopW1(core, encodeParamSets, runs) {
  const x = core.exports;
  const enc = new TextEncoder();
  const params = encodeParamSets(w1Rows(ROWS));
  const put = (bytes) => {
    const p = x.scratch(bytes.length);
    new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
    return p;
  };
  const times = [];
  for (let r = 0; r < runs; r++) {
    const names = enc.encode(`w1-loop-${r}\0memdb\0`);
    const pNames = put(names);
    const db = x.open(pNames, pNames + names.indexOf(0) + 1, 0);
    if (!db || x.errcode(db)) throw new Error('W1 loop: open failed');
    const create = enc.encode(CREATE_T);
    if (x.exec(db, put(create), create.length, 0, 0)) throw new Error('W1 loop: create failed');
    const sql = enc.encode(INSERT_T);
    const p = x.scratch(sql.length + params.length);
    new Uint8Array(x.memory.buffer, p, sql.length).set(sql);
    new Uint8Array(x.memory.buffer, p + sql.length, params.length).set(params);
    const t0 = performance.now();
    const rc = x.run_many(db, p, sql.length, p + sql.length, params.length);
    times.push(performance.now() - t0);
    if (rc) throw new Error(`W1 loop: run_many failed with ${rc}`);
    x.close(db);
  }
  x.scratch(0);
  return median(times);
}
const SQLITE_IOERR = 10;

/* The host imports of a host with no files, over the module's memory once it exists. */
function memdbHost(memory) {
  const noFile = () => -SQLITE_IOERR;
  return {
    time: () => performance.now(),
    tzoffset: () => 0,
    random: (p, n) => {
      for (let at = 0; at < n; at += 65536) {
        crypto.getRandomValues(new Uint8Array(memory().buffer, p + at, Math.min(65536, n - at)));
      }
    },
    open: () => -SQLITE_CANTOPEN,
    close: () => 0,
    read: noFile,
    write: noFile,
    truncate: noFile,
    size: noFile,
    sync: noFile,
    delete: noFile,
    access: () => 0,
  };
}

/**
 * Runs W1 (100,000 inserts in one transaction), W3 (every column of the 100,000 rows) and
 * W5 (10,000 point reads) on a new private memdb database per round, `runs` rounds after
 * WARM more that are not counted, with the module's bytes (or a Response). Resolves with the
 * medians { w1, w3, w5 } in ms.
 */
export async function plainWasm(bytes, runs) {
  let instance = null;
  const imports = { host: memdbHost(() => instance.exports.memory) };
  const source = bytes instanceof Response ? await bytes.arrayBuffer() : bytes;
  ({ instance } = await WebAssembly.instantiate(source, imports));
  const x = instance.exports;
  x._initialize();
  const got = { w1: [], w3: [], w5: [] };
  // The first WARM rounds are not counted: a fresh module runs on the baseline compiler
  // until its hot functions are optimized (~1 s for W1 at first), and our engine's loop
  // runs in a module that has run for a while.
  for (let r = 1 - WARM; r <= runs; r++) {
    x.plain_open();
    const w1 = x.plain_w1();
    const w3 = x.plain_w3();
    const w5 = x.plain_w5();
    x.plain_close();
    if (r > 0) {
      got.w1.push(w1);
      got.w3.push(w3);
      got.w5.push(w5);
    }
  }
  return { w1: median(got.w1), w3: median(got.w3), w5: median(got.w5) };
}
