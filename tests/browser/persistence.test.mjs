// persistence.test.mjs — a database in OPFS survives a page reload and a browser
// restart on the same profile (in the default durable WAL mode, where the rows may
// still be in the WAL file only, and with a rollback journal), and the host's
// management calls (list, delete, wipe) see the pools as the folders they are.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSession, port } from './driver.mjs';

const PORT = port(8711);
const T = { timeout: 60_000 };
const s = await openSession({ port: PORT });
after(() => s.close());

const ROWS = [{ id: 1, v: 'one' }, { id: 2, v: 'två' }, { id: 3, v: '三' }];

test('100 rows written, the page reloaded: the rows are there', T, async () => {
  await s.start();
  await s.call('open', { name: 'reload' });
  await s.call('exec', { sql: 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)' });
  await s.call('runMany', { sql: 'INSERT INTO t VALUES (?, ?)', sets: ROWS.map((r) => [r.id, r.v]) });
  await s.reload();   // the worker dies with the page, without closing anything
  await s.start();
  await s.call('open', { name: 'reload' });
  assert.deepEqual(await s.rows('SELECT * FROM t ORDER BY id'), ROWS);
  assert.deepEqual(await s.rows('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
  await s.call('close');
});

test('110 rows written, the browser closed and relaunched on its profile: the rows are there', T, async () => {
  await s.start();
  await s.call('open', { name: 'relaunch' });
  await s.call('exec', { sql: 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)' });
  await s.call('runMany', { sql: 'INSERT INTO t VALUES (?, ?)', sets: ROWS.map((r) => [r.id, r.v]) });
  await s.call('exec', { sql: "UPDATE t SET v = 'uno' WHERE id = 1" });
  await s.relaunch();   // the database is still open when the browser goes
  await s.start();
  await s.call('open', { name: 'relaunch' });
  assert.deepEqual(await s.rows('SELECT * FROM t ORDER BY id'), [{ id: 1, v: 'uno' }, ROWS[1], ROWS[2]]);
  assert.deepEqual(await s.rows('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
  // The reload case's data survived the restart too.
  await s.call('close');
  await s.call('open', { name: 'reload' });
  assert.deepEqual(await s.rows('SELECT * FROM t ORDER BY id'), ROWS);
  await s.call('close');
});

test('120 a reopened pool has the slots it had, none corrupt, the reserve free', T, async () => {
  await s.start();
  const { vfs, stat } = await s.call('open', { name: 'reload' });
  assert.equal(vfs, 'pool:reload');
  assert.equal(stat.slots, 6);
  assert.equal(stat.corrupt, 0);
  assert.equal(stat.wanted, 0);
  assert.ok(stat.open >= 1 && stat.free >= 4, JSON.stringify(stat));
  await s.call('close');
});

test('125 in the rollback-journal mode too, a reload and a relaunch keep the rows', T, async () => {
  await s.start();
  await s.call('open', { name: 'journal', mode: 'delete' });
  await s.call('exec', { sql: 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)' });
  await s.call('runMany', { sql: 'INSERT INTO t VALUES (?, ?)', sets: ROWS.map((r) => [r.id, r.v]) });
  await s.reload();
  await s.start();
  await s.call('open', { name: 'journal', mode: 'delete' });
  assert.deepEqual(await s.rows('SELECT * FROM t ORDER BY id'), ROWS);
  await s.call('exec', { sql: 'DELETE FROM t WHERE id = 2' });
  await s.relaunch();
  await s.start();
  await s.call('open', { name: 'journal', mode: 'delete' });
  assert.deepEqual(await s.rows('SELECT * FROM t ORDER BY id'), [ROWS[0], ROWS[2]]);
  assert.deepEqual(await s.rows('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
  await s.call('close');
});

test('130 listDatabases names every database; odd names round-trip', T, async () => {
  const odd = ['..', '.', 'a b%c', 'ünï 日本', 'x'.repeat(64)];
  await s.start();
  for (const name of odd) {
    await s.call('open', { name });
    await s.call('exec', { sql: 'CREATE TABLE t(n); INSERT INTO t VALUES (?)', params: [name] });
    await s.call('close');
  }
  assert.deepEqual(await s.call('list'), [...odd, 'journal', 'relaunch', 'reload'].sort());
  for (const name of odd) {
    await s.call('open', { name });
    assert.deepEqual(await s.rows('SELECT n FROM t'), [{ n: name }]);
    await s.call('close');
  }
});

test('140 deleteDatabase removes one database; a second delete finds none', T, async () => {
  await s.start();
  assert.equal(await s.call('deleteDatabase', { name: 'a b%c' }), true);
  assert.equal(await s.call('deleteDatabase', { name: 'a b%c' }), false);
  assert.equal((await s.call('list')).includes('a b%c'), false);
  // Opening it again starts from nothing.
  await s.call('open', { name: 'a b%c' });
  assert.deepEqual(await s.rows("SELECT count(*) AS n FROM sqlite_schema"), [{ n: 0 }]);
  await s.call('close');
});

test('150 a slot header with one flipped byte is detected and reported, never trusted', T, async () => {
  await s.start();
  await s.call('open', { name: 'hdr' });
  await s.call('exec', { sql: "CREATE TABLE t(v); INSERT INTO t VALUES ('kept')" });
  await s.call('close');
  // Magic, version, reserved, flags, path length, path, padding, checksum.
  for (const offset of [0, 4, 6, 8, 12, 16, 200, 527, 528, 531]) {
    await s.call('corruptByte', { name: 'hdr', file: 'slot-0000', offset });
    const e = await s.call('open', { name: 'hdr' }).then(() => null, (err) => err);
    assert.equal(e?.code, 'SQLITE_CORRUPT', `byte ${offset}: ${e?.message}`);
    const logs = await s.call('logs');
    assert.match(logs.at(-1)[1], /"hdr": slot-0000: .*corrupt/, `byte ${offset}`);
    await s.call('corruptByte', { name: 'hdr', file: 'slot-0000', offset });   // flipped back
    await s.call('open', { name: 'hdr' });
    assert.deepEqual(await s.rows('SELECT v FROM t'), [{ v: 'kept' }], `byte ${offset}`);
    await s.call('close');
  }
});

test('160 wiping a pool with a corrupt slot frees it: the database starts empty', T, async () => {
  await s.call('corruptByte', { name: 'hdr', file: 'slot-0000', offset: 20 });
  await assert.rejects(s.call('open', { name: 'hdr' }), { code: 'SQLITE_CORRUPT' });
  const stat = await s.call('wipePool', { name: 'hdr' });
  assert.equal(stat.corrupt, 0);
  assert.equal(stat.free, stat.slots);
  const { stat: reopened } = await s.call('open', { name: 'hdr' });
  assert.equal(reopened.corrupt, 0);
  assert.deepEqual(await s.rows("SELECT count(*) AS n FROM sqlite_schema"), [{ n: 0 }]);
  await s.call('close');
});

test('170 an open database cannot be deleted or wiped: SQLITE_BUSY; closed, it can', T, async () => {
  await s.start();
  await s.call('open', { name: 'reload' });
  await assert.rejects(s.call('deleteDatabase', { name: 'reload' }), { code: 'SQLITE_BUSY' });
  await assert.rejects(s.call('wipeAll'), { code: 'SQLITE_BUSY' });
  assert.deepEqual(await s.rows('SELECT count(*) AS n FROM t'), [{ n: 3 }]);
  await s.call('close');
  await s.call('wipeAll');
  assert.deepEqual(await s.call('list'), []);
  await s.call('wipeAll'); // nothing left to wipe is not an error
});

test('180 abuse: bad names are SQLITE_MISUSE; a pool open twice in a worker too', T, async () => {
  await s.start();
  for (const name of ['', 'a/b', 'x'.repeat(65), 'é'.repeat(33), 'nul\0']) {
    await assert.rejects(s.call('open', { name }), { code: 'SQLITE_MISUSE' }, JSON.stringify(name));
  }
  await assert.rejects(s.call('deleteDatabase', { name: 'a/b' }), { code: 'SQLITE_MISUSE' });
  assert.deepEqual(await s.call('list'), []);
  await s.call('open', { name: 'twice' });
  await assert.rejects(s.call('open', { name: 'twice' }), { code: 'SQLITE_MISUSE' });
  await s.call('close');
});
