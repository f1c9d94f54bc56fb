// workload.js — the benchmark data of the design's workloads, from a seeded generator
// (mulberry32, the same one bench_native.c uses), so every run inserts the same rows.

/** Returns a function yielding uint32 values from seed. */
export function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6D2B79F5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const ALPHA = 'abcdefghijklmnopqrstuvwxyz';

/**
 * The rows of W1: [id, name (20 letters), score (0..100), data (16 random bytes)],
 * n rows, generated in the same order as the native benchmark.
 */
export function w1Rows(n, seed = 42) {
  const rand = mulberry32(seed);
  const rows = new Array(n);
  for (let i = 0; i < n; i++) {
    const score = rand() / 4294967296 * 100;
    let name = '';
    for (let k = 0; k < 20; k++) name += ALPHA[rand() % 26];
    const data = new Uint8Array(16);
    for (let k = 0; k < 16; k++) data[k] = rand() & 0xff;
    rows[i] = [i + 1, name, score, data];
  }
  return rows;
}

export const CREATE_T =
  'CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB)';
export const INSERT_T = 'INSERT INTO t VALUES(?,?,?,?)';

// The storage floor of W2 (bench/run.js): FLOOR_N × (overwrite one WAL frame of FRAME
// bytes, then flush) at FLOOR_SLOTS successive frame positions of a file written once
// beforehand: the pattern of a WAL that is reused after a checkpoint.
export const FRAME = 4120;
export const FLOOR_N = 1000;
export const FLOOR_SLOTS = 1000;
