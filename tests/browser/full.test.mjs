// full.test.mjs — storage exhausted mid-write is SQLITE_FULL with the database intact:
// a real quota (Chromium's Storage.overrideQuotaForOrigin, over CDP), and an emulation
// of the short writes Firefox gives when its quota runs out (fixtures/shim.js). After
// each failure: integrity_check ok, the old rows there, the new row absent, and writes
// work again once there is room — also after a reopen and a reload. Every case runs in
// the default durable mode (WAL) and with a rollback journal.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSession, HAS_CDP, BROWSER, port } from './driver.mjs';

const PORT = port(8714);
const T = { timeout: 90_000 };
const MODES = [['durable', 0], ['delete', 5]];   // storage mode, case number offset
const BIG = 3 * 1024 * 1024;   // bytes of the blob that does not fit
const s = await openSession({ port: PORT });
after(() => s.close());

/* Creates table t in the open database with n rows of 1000 bytes. */
async function fill(n) {
  await s.call('exec', { sql: 'CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB)' });
  await s.call('runMany', { sql: 'INSERT INTO t(b) VALUES (randomblob(?))', sets: Array.from({ length: n }, () => [1000]) });
}

/* Asserts the database is sound and holds exactly `n` rows, the last with id n. */
async function assertIntact(n, what) {
  assert.deepEqual(await s.rows('PRAGMA integrity_check'), [{ integrity_check: 'ok' }], what);
  assert.deepEqual(await s.rows('SELECT count(*) AS n, max(id) AS top, sum(length(b)) AS bytes FROM t'),
    [{ n, top: n, bytes: n * 1000 }], what);
}

/* Runs one request expected to fail; returns its error (or null when it succeeded). */
function failure(op, args) {
  return s.call(op, args).then(() => null, (err) => err);
}

for (const [mode, k] of MODES) {
  const name = (base) => `${base}-${mode}`;

  test(`${100 + k} a real quota exhausted by a big insert (${mode}): SQLITE_FULL, intact, writable with more quota`, { ...T, skip: !HAS_CDP && `${BROWSER} has no quota override` }, async () => {
    await s.start();
    await s.call('open', { name: name('quota'), mode });
    await fill(20);
    const cdp = await s.cdp();
    const origin = s.origin;
    try {
      const { usage } = await cdp.send('Storage.getUsageAndQuota', { origin });
      await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 256 * 1024 });
      const e = await failure('exec', { sql: `INSERT INTO t(b) VALUES (randomblob(${BIG}))` });
      assert.ok(e, 'the insert must fail');
      assert.equal(e.code, 'SQLITE_FULL', e.message);
      assert.equal(e.errno, 13);
      assert.equal((await s.call('lastError')).name, 'QuotaExceededError');
      await assertIntact(20, 'after SQLITE_FULL');
      // An atomic batch that does not fit is refused as a whole.
      const b = await failure('runMany', { sql: 'INSERT INTO t(b) VALUES (randomblob(?))', sets: [[1000], [BIG]] });
      assert.equal(b?.code, 'SQLITE_FULL');
      await assertIntact(20, 'after a refused batch');
      // Reopened from storage (a hot journal or WAL, if any, is recovered): intact.
      await s.call('close');
      await s.call('open', { name: name('quota'), mode });
      await assertIntact(20, 'reopened under the quota');
    } finally {
      await cdp.send('Storage.overrideQuotaForOrigin', { origin });   // the real quota again
      await cdp.detach();
    }
    await s.call('exec', { sql: 'INSERT INTO t(b) VALUES (randomblob(1000))' });
    await s.call('exec', { sql: `INSERT INTO t(b) VALUES (randomblob(${BIG})); DELETE FROM t WHERE id = 22` });
    await assertIntact(21, 'after the quota was lifted');
    await s.reload();
    await s.start();
    await s.call('open', { name: name('quota'), mode });
    await assertIntact(21, 'after a reload');
    await s.call('close');
  });

  test(`${110 + k} short writes (Firefox's quota behaviour, emulated) at every stage of a commit (${mode}): SQLITE_FULL, intact`, T, async () => {
    await s.start();
    await s.call('open', { name: name('short'), mode });
    await fill(20);
    // The budget runs out in a file's first bytes, in the journal or WAL, or in the database.
    for (const budget of [0, 100, 4096, 16 * 1024, 200 * 1024, 1024 * 1024]) {
      await s.call('shortWrites', { budget });
      const e = await failure('exec', { sql: `INSERT INTO t(b) VALUES (randomblob(${BIG}))` });
      const last = await s.call('lastError');
      await s.call('shortWrites', { budget: null });
      assert.ok(e, `budget ${budget}: the insert must fail`);
      assert.equal(e.code, 'SQLITE_FULL', `budget ${budget}: ${e.message}`);
      assert.match(last.message, /short write/, `budget ${budget}`);
      await assertIntact(20, `budget ${budget}`);
      await s.call('exec', { sql: 'INSERT INTO t(b) VALUES (randomblob(1000)); DELETE FROM t WHERE id = 21' });
      await assertIntact(20, `budget ${budget}, written again`);
    }
    await s.reload();
    await s.start();
    await s.call('open', { name: name('short'), mode });
    await assertIntact(20, 'after a reload');
    await s.call('close');
  });

  test(`${120 + k} storage running out mid-batch leaves no part of the batch (${mode})`, T, async () => {
    await s.start();
    await s.call('open', { name: name('short'), mode });
    await s.call('shortWrites', { budget: 300 * 1024 });
    const sets = Array.from({ length: 2000 }, () => [1000]);   // 2 MB of rows in one atomic call
    const e = await failure('runMany', { sql: 'INSERT INTO t(b) VALUES (randomblob(?))', sets });
    await s.call('shortWrites', { budget: null });
    assert.equal(e?.code, 'SQLITE_FULL');
    await assertIntact(20, 'after the batch');
    await s.call('close');
    await s.call('open', { name: name('short'), mode });
    await assertIntact(20, 'reopened');
    await s.call('close');
  });
}
