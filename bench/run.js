// run.js — `make bench`: W1 (100,000 inserts in one transaction, one run-many call)
// natively (bench/bench_native.c, gcc -O2, POSIX host with real fsync) and in Node on
// the wasm build (node:fs host, same filesystem), printed as a table with the ratio.
// Later issues add the browser workloads and the peer libraries to this table.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCore } from '../dist/core.js';
import { encodeParamSets } from '../dist/codec.js';
import { createNodeHost } from '../dist/host-node.js';
import { w1Rows, CREATE_T, INSERT_T } from './workload.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const RUNS = Number(process.env.BENCH_RUNS || 5);
const ROWS = 100000;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/**
 * Runs W1 in Node on the wasm module, on a file through node:fs (vfs 'host') or in
 * memory (vfs 'memdb'). Returns medians in ms: the whole runMany call, and the JS
 * encoding of the parameter sets alone (a part of it).
 */
async function wasmW1(core, dir, vfs) {
  const rows = w1Rows(ROWS);
  const total = [], encode = [];
  for (let r = 0; r < RUNS; r++) {
    const file = vfs === 'host' ? `w1-wasm-${r}.db` : `w1-${r}`;
    if (vfs === 'host') fs.rmSync(path.join(dir, file), { force: true });
    const db = core.open(file, { vfs });
    db.exec(CREATE_T);
    const t0 = performance.now();
    const res = db.runMany(INSERT_T, rows);
    total.push(performance.now() - t0);
    if (res.changes !== ROWS) throw new Error(`W1 inserted ${res.changes} rows, not ${ROWS}`);
    const t1 = performance.now();
    encodeParamSets(rows);
    encode.push(performance.now() - t1);
    const n = db.exec('SELECT count(*) AS n FROM t').resultSets[0].rows[0].n;
    if (n !== ROWS) throw new Error(`W1 left ${n} rows, not ${ROWS}`);
    db.close();
    if (vfs === 'host') fs.rmSync(path.join(dir, file), { force: true });
  }
  return { total: median(total), encode: median(encode) };
}

/**
 * Runs W1 as the native benchmark does: one run_many call of the wasm core with the
 * rows already encoded and in wasm memory, on a private memdb database, so the time is
 * the C loop alone. Returns the median in ms.
 */
function wasmW1Loop(core) {
  const x = core.exports;
  const enc = new TextEncoder();
  const params = encodeParamSets(w1Rows(ROWS));
  const put = (bytes) => {
    const p = x.scratch(bytes.length);
    new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
    return p;
  };
  const times = [];
  for (let r = 0; r < RUNS; r++) {
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

function nativeW1(dir) {
  const out = execFileSync(path.join(root, 'build/native/bench-native'), [dir, String(RUNS)]);
  return JSON.parse(out.toString());
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlw-bench-'));
try {
  const native = nativeW1(dir);
  const core = await loadCore({
    wasm: fs.readFileSync(path.join(root, 'dist/sqlite-worker.wasm')),
    host: createNodeHost({ root: dir }),
  });
  const file = await wasmW1(core, dir, 'host');
  const mem = await wasmW1(core, dir, 'memdb');
  const loop = wasmW1Loop(core);
  const table = [
    ['W1 100k inserts, 1 tx, file', 'native: C loop, gcc -O2, POSIX fsync', native.w1_file_ms, 1],
    ['W1 100k inserts, 1 tx, file', 'wasm in Node: runMany, node:fs', file.total, file.total / native.w1_file_ms],
    ['W1 100k inserts, 1 tx, memdb', 'native: C loop, gcc -O2', native.w1_mem_ms, 1],
    ['W1 100k inserts, 1 tx, memdb', 'wasm in Node: C loop (one run_many call)', loop, loop / native.w1_mem_ms],
    ['W1 100k inserts, 1 tx, memdb', 'wasm in Node: runMany (encode + call)', mem.total, mem.total / native.w1_mem_ms],
    ['  of which JS encoding of the rows', 'wasm in Node', mem.encode, null],
  ];
  console.log(`SQLite Worker benchmark: medians of ${RUNS} runs; ${os.cpus().length} cores; Node ${process.version}`);
  console.log('| workload | where | ms | × native |');
  console.log('|---|---|---:|---:|');
  for (const [w, where, ms, ratio] of table) {
    console.log(`| ${w} | ${where} | ${ms.toFixed(1)} | ${ratio == null ? '' : ratio.toFixed(2) + '×'} |`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
