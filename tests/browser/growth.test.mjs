// growth.test.mjs — a pool grows past its initial slots as the database needs more
// files (here: attached databases in the same pool), the new slots persist, and what
// they hold reads back after a reload. It also shrinks.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSession, port } from './driver.mjs';

const PORT = port(8712);
const T = { timeout: 60_000 };
const s = await openSession({ port: PORT });
after(() => s.close());

const EXTRA = 8;   // attached databases (SQLite allows 10)

test('100 attaching databases one request at a time grows the pool past its initial slots', T, async () => {
  await s.start();
  const { stat } = await s.call('open', { name: 'grow', initial: 4, minFree: 1 });
  assert.equal(stat.slots, 4);
  await s.call('exec', { sql: 'CREATE TABLE t(v); INSERT INTO t VALUES (0)' });
  const slots = [];
  for (let i = 1; i <= EXTRA; i++) {
    await s.call('exec', { sql: `ATTACH '/grow-x${i}' AS x${i}; CREATE TABLE x${i}.t(v); INSERT INTO x${i}.t VALUES (${i}), (randomblob(5000))` });
    const st = await s.call('stat');
    slots.push(st.slots);
    assert.equal(st.corrupt, 0);
    assert.ok(st.free >= 3, `after ${i}: ${JSON.stringify(st)}`); // the core's reserve is restored
    assert.ok(st.open >= 1 + i, `after ${i}: ${JSON.stringify(st)}`);   // + the WAL files
  }
  assert.ok(slots.at(-1) >= 1 + EXTRA + 3, `slots: ${slots}`);
  assert.ok(slots.at(-1) > 4);
  for (let i = 1; i < slots.length; i++) assert.ok(slots[i] >= slots[i - 1], `slots: ${slots}`);
});

test('110 after a reload the grown pool has all its slots and every database reads back', T, async () => {
  const before = await s.call('stat');
  await s.reload();
  await s.start();
  const { stat } = await s.call('open', { name: 'grow', initial: 4, minFree: 1 });
  assert.equal(stat.slots, before.slots);
  assert.equal(stat.corrupt, 0);
  assert.deepEqual(await s.rows('SELECT v FROM t'), [{ v: 0 }]);
  for (let i = 1; i <= EXTRA; i++) {
    await s.call('exec', { sql: `ATTACH '/grow-x${i}' AS x${i}` });
    assert.deepEqual(await s.rows(`SELECT v, typeof(v) AS ty FROM x${i}.t WHERE typeof(v) = 'integer'`), [{ v: i, ty: 'integer' }]);
    assert.deepEqual(await s.rows(`PRAGMA x${i}.integrity_check`), [{ integrity_check: 'ok' }]);
  }
  assert.deepEqual(await s.call('list'), ['grow']);   // the attached files live in grow's pool
});

test('120 a request needing more new files than free slots fails cleanly; retried after growth, it works', T, async () => {
  // Five new attached databases in one request: the pool keeps 3 free slots and cannot
  // grow while SQLite runs (access handles are created asynchronously).
  await s.call('exec', { sql: [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `DETACH x${i};`).join(' ') });
  const st = await s.call('stat');
  const burst = [1, 2, 3, 4, 5].map((i) => `ATTACH '/burst-${i}' AS b${i}; CREATE TABLE IF NOT EXISTS b${i}.t(v);`).join(' ');
  const e = await s.call('exec', { sql: burst }).then(() => null, (err) => err);
  assert.ok(e, `expected a failure with ${st.free} free slots`);
  assert.equal(e.code, 'SQLITE_FULL', `${e.code}: ${e.message}`);
  assert.deepEqual(await s.rows('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
  assert.deepEqual(await s.rows('SELECT v FROM t'), [{ v: 0 }]);
  // Each failed attempt keeps the files it created and the pool grows its reserve back
  // after it, so retrying the same request succeeds within a few attempts.
  let slots = st.slots;
  for (let attempt = 1; ; attempt++) {
    const attached = (await s.rows('PRAGMA database_list')).filter((d) => d.name.startsWith('b'));
    if (attached.length) await s.call('exec', { sql: attached.map((d) => `DETACH ${d.name};`).join(' ') });
    const grown = await s.call('stat');
    assert.ok(grown.slots > slots, `attempt ${attempt}: ${slots} → ${grown.slots} slots`);
    slots = grown.slots;
    const r = await s.call('exec', { sql: burst }).then(() => null, (err) => err);
    if (!r) break;
    assert.equal(r.code, 'SQLITE_FULL', r.message);
    assert.ok(attempt < 5, `still failing after ${attempt} attempts with ${slots} slots`);
  }
  assert.deepEqual((await s.rows('PRAGMA database_list')).map((d) => d.name).filter((n) => n.startsWith('b')), ['b1', 'b2', 'b3', 'b4', 'b5']);
  await s.call('exec', { sql: [1, 2, 3, 4, 5].map((i) => `DETACH b${i};`).join(' ') });
});

test('130 shrinking removes free slots beyond the reserve; the data stays', T, async () => {
  await s.call('close');
  await s.start();
  await s.call('open', { name: 'grow', initial: 4, minFree: 1 });
  const before = await s.call('stat');
  const removed = await s.call('shrink', { keepFree: 1 });
  const after = await s.call('stat');
  assert.equal(after.free, 1);
  assert.equal(after.slots, before.slots - removed);
  assert.deepEqual(await s.rows('SELECT v FROM t'), [{ v: 0 }]);
  await s.call('exec', { sql: "ATTACH '/grow-x8' AS x8" });
  assert.deepEqual(await s.rows('SELECT v FROM x8.t WHERE typeof(v) = \'integer\''), [{ v: 8 }]);
  await s.call('close');
});
