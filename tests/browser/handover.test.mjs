// handover.test.mjs — a new leader's pool sees every slot file of its database, also one
// the previous holder made while the new one was waiting for the files: the browser host
// lists the folder again once it has the handles (a slot missed could hold the WAL).
// The wait is made deterministic by holding the new worker's sync-handle requests at a
// gate (fixtures/shim.js) while a slot file appears.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSession, port } from './driver.mjs';

const PORT = port(8727);
const T = { timeout: 60_000 };
const s = await openSession({ port: PORT });
after(() => s.close());

test('100 a slot file made while the pool waits for its handles is adopted, not missed', T, async () => {
  await s.start('a');
  await s.call('open', { name: 'handover' }, 'a');
  await s.call('exec', { sql: 'CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (1)' }, 'a');
  const before = (await s.call('stat', {}, 'a')).slots;
  await s.call('close', {}, 'a');
  await s.start('b');
  await s.call('gateSyncHandles', {}, 'b');
  const opening = s.call('open', { name: 'handover' }, 'b');
  // The folder is listed and the handles are asked for: now a slot file appears.
  for (let i = 0; i < 200 && !(await s.call('gateWaiting', {}, 'b')); i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal(await s.call('gateWaiting', {}, 'b'), true, 'the open never asked for a handle');
  await s.evaluate(async () => {
    const lib = await (await navigator.storage.getDirectory()).getDirectoryHandle('sqlite-worker');
    const dir = await lib.getDirectoryHandle('handover');
    await dir.getFileHandle('slot-0099', { create: true });
  });
  await s.call('gateOpen', {}, 'b');
  const opened = await opening;
  assert.equal(opened.stat.slots, Math.max(before, 6) + 1, JSON.stringify({ before, stat: opened.stat }));
  assert.deepEqual(await s.rows('SELECT x FROM t', [], 'b'), [{ x: 1 }]);
  await s.call('close', {}, 'b');
  await s.call('deleteDatabase', { name: 'handover' }, 'b');
});
