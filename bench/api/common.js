// common.js — helpers of the public API's benchmark pages (index.html, live.js, scale.js):
// opening and deleting a benchmark database, W1, W2, W5, and percentiles.
import { openDatabase, deleteDatabase } from '/dist/index.js';
import { INSERT_T, mulberry32 } from '../workload.js';

/** W1's row count. */
export const ROWS = 100000;

/** Returns the value of sorted array `s` at quantile q (nearest rank). */
export function quantile(s, q) {
  return s[Math.max(0, Math.ceil(q * s.length) - 1)];
}

/** Deletes a benchmark database, waiting for a previous worker's handles to go. */
export async function wipe(name) {
  for (let i = 0; ; i++) {
    try {
      await deleteDatabase(name);
      return;
    } catch (e) {
      if (e.code !== 'SQLITE_BUSY' || i >= 100) throw e;
      await new Promise((res) => setTimeout(res, 100));
    }
  }
}

/**
 * Opens `name` on OPFS and checks that this page has the role its numbers are labelled
 * with (leader: true, follower: false). Returns the database; throws (closing it) when
 * the page has the other role.
 */
export async function openAs(name, leader) {
  const db = await openDatabase(name, { persistence: 'opfs' });
  if (db.isLeader !== leader) {
    await db.close();
    throw new Error(`${name}: this page ${leader ? 'follows' : 'leads'}, and should ${leader ? 'lead' : 'follow'}`);
  }
  return db;
}

/** W1 on the table t just created: runMany of `rows` (w1Rows(ROWS)). Returns the ms. */
export async function w1(db, rows) {
  const t = performance.now();
  const r = await db.runMany(INSERT_T, rows);
  const ms = performance.now() - t;
  if (r.changes !== ROWS) throw new Error(`W1 inserted ${r.changes} rows`);
  return ms;
}

/** W2's table, beside t, and its commit count. */
export const CREATE_T2 = 'CREATE TABLE t2(id INTEGER PRIMARY KEY, v INTEGER)';
export const W2_N = 1000;

/** W2 on the table t2 just created: W2_N awaited autocommit inserts. Returns the ms. */
export async function w2(db) {
  const t = performance.now();
  for (let i = 0; i < W2_N; i++) await db.run('INSERT INTO t2(v) VALUES (?)', [i]);
  const ms = performance.now() - t;
  if ((await db.get('SELECT count(*) AS n FROM t2')).n !== W2_N) throw new Error('W2 lost rows');
  return ms;
}

/** W5's point read and its count. */
export const POINT = 'SELECT * FROM t WHERE id = ?';
export const W5_N = 10000;

/** W5 on an n-row t: W5_N point reads by random id (seed 7), issued at once. Returns the ms. */
export async function w5(db, n = ROWS) {
  const rand = mulberry32(7);
  const ids = Array.from({ length: W5_N }, () => 1 + rand() % n);
  const t = performance.now();
  const reads = await Promise.all(ids.map((id) => db.get(POINT, [id])));
  const ms = performance.now() - t;
  reads.forEach((row, i) => {
    if (row?.id !== ids[i]) throw new Error(`W5: read ${i} of id ${ids[i]} returned ${row?.id}`);
  });
  return ms;
}
