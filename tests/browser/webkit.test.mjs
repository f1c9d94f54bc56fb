// webkit.test.mjs — how the browser host reads WebKit's OPFS errors, injected into the
// fixture worker (fixtures/shim.js refuseSyncHandles) so they are tested in every
// browser: NotSupportedError from createSyncAccessHandle (WebKitGTK has the method but
// its backend refuses it) means "persistence unavailable", with the reason and nothing
// left behind; InvalidStateError (WebKit's word for a file another handle holds) is
// waited out like NoModificationAllowedError, within busyTimeout.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSession, port } from './driver.mjs';

const PORT = port(8726);
const T = { timeout: 60_000 };
const s = await openSession({ port: PORT });
after(() => s.close());

test('100 NotSupportedError from the sync handle: persistence unavailable with its reason; no folder or file left', T, async () => {
  await s.start();
  await s.call('wipeAll');
  await s.call('refuseSyncHandles', { name: 'NotSupportedError', count: 1e9 });
  await assert.rejects(s.call('checkOpfs'), (e) => e.code === 'SQLITE_WORKER_PERSISTENCE_UNAVAILABLE'
    && /does not open OPFS files for synchronous access here \(NotSupportedError/.test(e.message));
  assert.equal(await s.call('libraryEntries'), null, 'the probe and its folder are removed');
  await assert.rejects(s.call('open', { name: 'wk-ns' }), (e) => e.code === 'SQLITE_WORKER_PERSISTENCE_UNAVAILABLE');
  assert.deepEqual(await s.call('libraryEntries'), [], 'no empty database folder is left');
  assert.deepEqual(await s.call('list'), []);
});

test('110 InvalidStateError is waited out like NoModificationAllowedError; past busyTimeout it is SQLITE_BUSY', T, async () => {
  await s.start();
  await s.call('checkOpfs');
  await s.call('open', { name: 'wk-is' });
  await s.call('exec', { sql: 'CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (1)' });
  await s.call('close');
  // Refused a few times, then granted: the open succeeds and the rows are there.
  await s.call('refuseSyncHandles', { name: 'InvalidStateError', count: 3 });
  await s.call('open', { name: 'wk-is' });
  assert.deepEqual(await s.rows('SELECT count(*) AS n FROM t'), [{ n: 1 }]);
  await s.call('close');
  // Refused for good: SQLITE_BUSY after busyTimeout, not SQLITE_CANTOPEN at once.
  await s.call('refuseSyncHandles', { name: 'InvalidStateError', count: 1e9 });
  await assert.rejects(s.call('open', { name: 'wk-is', busyTimeout: 300 }), (e) => e.code === 'SQLITE_BUSY');
  await s.start();   // a fresh worker: nothing refused
  await s.call('open', { name: 'wk-is' });
  assert.deepEqual(await s.rows('SELECT count(*) AS n FROM t'), [{ n: 1 }]);
  await s.call('close');
  await s.call('deleteDatabase', { name: 'wk-is' });
});
