// kill.test.mjs — a worker terminated at a random point inside large transactions,
// again and again: after each restart the database passes integrity_check and holds
// exactly the transactions that committed (every acknowledged one, plus at most the
// one whose acknowledgement was in flight when the worker died).
//
// Transactions run in the default durable mode (WAL, exclusive locking,
// synchronous=FULL) and, between requests, with a rollback journal too.
//
// How a browser stops a worker matters here. Chromium lets the task running at
// worker.terminate() go on for 2 s and only then stops it, wherever it is; between
// tasks it stops at once. So case 100 kills workers between the requests of
// transactions that span several requests (the kill lands with the transaction open),
// and case 110 runs each transaction as one long request that terminate() cuts
// inside SQLite's own work (inserts, cache spills, the commit).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSession, port } from './driver.mjs';

const PORT = port(8715);
const ROUNDS = Number(process.env.SQLW_KILL_ROUNDS ?? 20);
const SEED = Number(process.env.SQLW_KILL_SEED ?? Date.now() % 2 ** 31);
const BLOB = 500;   // bytes of each row of big
const s = await openSession({ port: PORT });
after(() => s.close());

/* A deterministic generator of pseudo-random integers in [lo, hi) (xorshift32), so a
** run replays from its seed. */
function generator(seed) {
  let x = seed >>> 0 || 1;
  return (lo, hi) => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return lo + (x % Math.max(1, hi - lo));
  };
}

/* The SQL that inserts `rows` rows of BLOB bytes tagged with the next transaction. */
function insertRows(rows) {
  return `INSERT INTO big(tx, data)
    WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${rows})
    SELECT (SELECT n + 1 FROM counter), randomblob(${BLOB}) FROM c`;
}

/* Creates the database `name` in storage mode `mode`: the counter, big, and scratch
** (work that is undone). */
async function create(name, mode) {
  await s.start();
  await s.call('open', { name, mode });
  await s.call('exec', { sql: `CREATE TABLE counter(n INTEGER NOT NULL); INSERT INTO counter VALUES (0);
    CREATE TABLE big(tx INTEGER NOT NULL, data BLOB NOT NULL); CREATE INDEX big_tx ON big(tx);
    CREATE TABLE scratch(x BLOB)` });
}

/*
** Runs ROUNDS rounds of: the transaction `steps` in a loop, the worker terminated after
** nextWait(cut) ms (cut: whether the previous round's kill landed before a commit was
** answered; null in the first round), a new worker opening the database, and the
** checks. Returns { committed, inFlight, rolledBack, opens, waits } over all rounds.
*/
async function killRounds(name, mode, steps, rowsPerTx, nextWait) {
  let [{ n: committed }] = await s.rows('SELECT n FROM counter');   // known to be in the database
  let inFlight = 0;    // rounds where a commit landed but its answer did not
  const opens = [];
  const waits = [];
  let cut = null;
  for (let round = 0; round < ROUNDS; round++) {
    waits.push(nextWait(cut));
    const what = `seed ${SEED}, round ${round}, killed after ${waits[round]} ms`;
    await s.startLoop(steps);
    await new Promise((ok) => setTimeout(ok, waits[round]));
    const { acked, failure } = await s.killLoop();
    assert.equal(failure, null, `${what}: a transaction failed: ${JSON.stringify(failure)}`);
    await s.start();
    const { ms, stat } = await s.call('open', { name, mode, busyTimeout: 10_000 });
    opens.push(ms);
    assert.equal(stat.corrupt, 0, what);
    assert.deepEqual(await s.rows('PRAGMA integrity_check'), [{ integrity_check: 'ok' }], what);
    const [{ n }] = await s.rows('SELECT n FROM counter');
    // Every acknowledged commit is there, and at most one more (its answer was lost).
    assert.ok(n === committed + acked || n === committed + acked + 1,
      `${what}: counter ${n}, expected ${committed + acked} or one more (acked ${acked})`);
    cut = n === committed + acked;
    if (!cut) inFlight++;
    // Nothing of an unfinished transaction: whole transactions numbered 1..n, no scratch.
    const [c] = await s.rows(`SELECT count(*) AS rows, count(DISTINCT tx) AS txs, coalesce(max(tx), 0) AS top,
      coalesce(sum(length(data) != ${BLOB}), 0) AS bad, (SELECT count(*) FROM scratch) AS scratch FROM big`);
    assert.deepEqual(c, { rows: n * rowsPerTx, txs: n, top: n, bad: 0, scratch: 0 }, what);
    committed = n;
  }
  return { committed, inFlight, rolledBack: ROUNDS - inFlight, opens, waits };
}

for (const [number, mode] of [[100, 'durable'], [105, 'delete']]) {
  test(`${number} terminated ${ROUNDS} times between the requests of open transactions (${mode}): integrity ok, only committed data`, { timeout: 180_000 }, async () => {
    await create(`kill-between-${mode}`, mode);
    const chunk = insertRows(100);
    const steps = ['BEGIN', chunk, chunk, chunk, chunk, 'UPDATE counter SET n = n + 1; COMMIT'];
    const random = generator(SEED + number);
    const r = await killRounds(`kill-between-${mode}`, mode, steps, 400, () => random(20, 400));
    assert.ok(r.committed >= ROUNDS / 2, `only ${r.committed} commits in ${ROUNDS} rounds: transactions too slow for the delays`);
    console.log(`# ${number} seed ${SEED}: ${r.committed} commits; ${r.inFlight} rounds with an answer in flight; reopen ms ${r.opens.join(' ')}`);
    await s.call('close');
  });
}

test(`110 terminated ${ROUNDS} times inside one long request, inside SQLite's work (durable): integrity ok, only committed data`, { timeout: 300_000 }, async () => {
  await create('kill-inside', 'durable');
  // One request of a fixed duration on any machine: chunks of rows that spill SQLite's
  // cache into the WAL, each chunk inserted only while less than FILL seconds have
  // passed since the request began (each statement reads the clock anew), then their
  // deletion, 100 kept rows, the counter, the commit.
  const FILL = 2.0;
  const chunk = `INSERT INTO scratch WITH RECURSIVE c(i) AS (
      SELECT 1 WHERE unixepoch('subsec') < (SELECT s + ${FILL} FROM t0)
      UNION ALL SELECT i + 1 FROM c WHERE i < 20000)
    SELECT randomblob(20) FROM c;`;
  const tx = `BEGIN;
    CREATE TEMP TABLE IF NOT EXISTS t0(s); DELETE FROM t0; INSERT INTO t0 VALUES (unixepoch('subsec'));
    ${chunk.repeat(400)}
    DELETE FROM scratch;
    ${insertRows(100)};
    UPDATE counter SET n = n + 1;
    COMMIT;`;
  await s.call('exec', { sql: tx });   // the first run also grows the files: not timed
  const t0 = Date.now();
  await s.call('exec', { sql: tx });
  const duration = Date.now() - t0;
  assert.deepEqual(await s.rows('SELECT count(*) AS n FROM scratch'), [{ n: 0 }]);
  // terminate() at t stops the request 2 s later or a little more. The kill points are
  // drawn from [0, hi): hi starts where the stop would fall at the request's end, and
  // shrinks after a kill that came too late (the commit was done) and grows after one
  // that cut the request, so the stops keep falling in its last part: the end of the
  // filling, the deletion, the commit.
  const random = generator(SEED + 110);
  let hi = Math.max(100, duration - 2000);
  const r = await killRounds('kill-inside', 'durable', [tx], 100, (cut) => {
    if (cut === false) hi = Math.max(50, Math.floor(hi * 0.6));
    if (cut === true) hi += 100;
    return random(0, hi);
  });
  console.log(`# 110 seed ${SEED}: request ${duration} ms; ${r.committed} commits; ${r.rolledBack} rounds cut before a commit was answered; kills after ms ${r.waits.join(' ')}; reopen ms ${r.opens.join(' ')}`);
  assert.ok(r.rolledBack >= ROUNDS / 4, `only ${r.rolledBack} of ${ROUNDS} kills landed before a commit's answer (request ${duration} ms)`);
  await s.call('close');
});
