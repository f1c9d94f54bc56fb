// busy.test.mjs — a database whose files another worker holds (another tab, or a
// reloading tab's handles not yet released: NoModificationAllowedError) is retried with
// backoff, then refused with SQLITE_BUSY — never a hang or a raw DOMException — and
// opens once the holder lets go. A browser that cannot persist says so with its own code.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSession, port } from './driver.mjs';
import { SQLITE_WORKER_PERSISTENCE_UNAVAILABLE } from '../../src/js/proto.js';

const PORT = port(8716);
const T = { timeout: 60_000 };
const s = await openSession({ port: PORT });
after(() => s.close());

test('100 a second worker opening a held database gets SQLITE_BUSY within the busy timeout', T, async () => {
  await s.start('a');
  await s.start('b');
  await s.call('open', { name: 'held' }, 'a');
  await s.call('exec', { sql: "CREATE TABLE t(v); INSERT INTO t VALUES ('from a')" }, 'a');
  const t0 = Date.now();
  const e = await s.call('open', { name: 'held', busyTimeout: 1500 }, 'b').then(() => null, (err) => err);
  const ms = Date.now() - t0;
  assert.ok(e, 'the second open must fail');
  assert.equal(e.code, 'SQLITE_BUSY');
  assert.equal(e.errno, 5);
  assert.equal(e.name, 'SQLiteError');
  assert.match(e.message, /database "held" is in use by another worker or tab/);
  assert.ok(ms >= 1400 && ms < 5000, `refused after ${ms} ms`);
  // The holder is unaffected.
  assert.deepEqual(await s.rows('SELECT v FROM t', undefined, 'a'), [{ v: 'from a' }]);
});

test('110 once the holder closes, the second worker opens the database and reads it', T, async () => {
  await s.call('close', {}, 'a');
  await s.call('open', { name: 'held' }, 'b');
  assert.deepEqual(await s.rows('SELECT v FROM t', undefined, 'b'), [{ v: 'from a' }]);
  // And the first is now the one refused, after the default timeout (3 s).
  const t0 = Date.now();
  await assert.rejects(s.call('open', { name: 'held' }, 'a'), { code: 'SQLITE_BUSY' });
  const ms = Date.now() - t0;
  assert.ok(ms >= 2900 && ms < 7000, `refused after ${ms} ms`);
});

test('120 a failed open leaves nothing held: after the holder ends, the same worker opens', T, async () => {
  // Worker a failed above; b holds the pool. Terminating b (no close) releases its
  // handles asynchronously, which the backoff of a's next open absorbs.
  await s.terminate('b');
  const r = await s.call('open', { name: 'held' }, 'a');
  assert.deepEqual(r.stat.corrupt, 0);
  assert.deepEqual(await s.rows('SELECT v FROM t', undefined, 'a'), [{ v: 'from a' }]);
});

test('130 a database held by another worker cannot be deleted or wiped: SQLITE_BUSY', T, async () => {
  await s.start('b');
  await assert.rejects(s.call('deleteDatabase', { name: 'held' }, 'b'), { code: 'SQLITE_BUSY' });
  await assert.rejects(s.call('wipeAll', {}, 'b'), { code: 'SQLITE_BUSY' });
  assert.deepEqual(await s.rows('SELECT v FROM t', undefined, 'a'), [{ v: 'from a' }]);
  await s.call('close', {}, 'a');
  assert.equal(await s.call('deleteDatabase', { name: 'held' }, 'b'), true);
});

test('140 a page reloaded while its worker holds the database opens it again', T, async () => {
  await s.start('a');
  await s.call('open', { name: 'reloaded' }, 'a');
  await s.call('exec', { sql: 'CREATE TABLE t(v); INSERT INTO t VALUES (1), (2)' }, 'a');
  for (let i = 0; i < 5; i++) {
    await s.reload();
    await s.start('a');
    const r = await s.call('open', { name: 'reloaded' }, 'a');
    assert.ok(r.ms < 2500, `open took ${r.ms} ms`);
    assert.deepEqual(await s.rows('SELECT sum(v) AS n FROM t', undefined, 'a'), [{ n: 3 + i * 3 }]);
    await s.call('exec', { sql: 'INSERT INTO t VALUES (3)' }, 'a');
  }
});

test('150 OPFS refused (private browsing: SecurityError) → SQLITE_WORKER_PERSISTENCE_UNAVAILABLE', T, async () => {
  await s.start('c');
  await s.call('refuseStorage', {}, 'c');
  for (const [op, args] of [['open', { name: 'private' }], ['list', {}], ['wipeAll', {}], ['deleteDatabase', { name: 'x' }]]) {
    const e = await s.call(op, args, 'c').then(() => null, (err) => err);
    assert.ok(e, `${op} must fail`);
    assert.equal(e.code, 'SQLITE_WORKER_PERSISTENCE_UNAVAILABLE', op);
    assert.equal(e.errno, SQLITE_WORKER_PERSISTENCE_UNAVAILABLE);
    assert.match(e.message, /persistence unavailable: .*SecurityError/);
  }
});

test('160 no sync access handles (the page\'s main thread) → SQLITE_WORKER_PERSISTENCE_UNAVAILABLE', T, async () => {
  const e = await s.page.evaluate(async () => {
    const { loadCore } = await import('/dist/core.js');
    const { createBrowserHost } = await import('/dist/host-browser.js');
    const host = createBrowserHost();
    const core = await loadCore({ wasm: '/dist/sqlite-worker.wasm', host });
    try {
      await host.openPool(core, 'main-thread');
      return null;
    } catch (err) {
      return { name: err.name, code: err.code, errno: err.errno, message: err.message };
    }
  });
  assert.equal(e?.code, 'SQLITE_WORKER_PERSISTENCE_UNAVAILABLE');
  assert.match(e.message, /dedicated workers/);
});
