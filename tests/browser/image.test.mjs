// image.test.mjs — export and import of whole databases in OPFS pools: export → import
// into a fresh database → export again gives the same bytes, the import persists, and
// bytes that are not a sound database are refused with the target untouched.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSession, port } from './driver.mjs';

const PORT = port(8713);
const T = { timeout: 60_000 };
const s = await openSession({ port: PORT });
after(() => s.close());

let image = null;      // the export of 'img-src'
let imported = null;   // the export of 'img-dst' right after importing image
let expected = null;

// Header fields that count the commits of a database file (file change counter,
// schema cookie, version-valid-for), not its contents.
const COUNTERS = [[24, 28], [40, 44], [92, 96]];

/* The byte offsets where a and b differ (all of the longer one's tail when their
** lengths differ), at most 20, skipping the ranges in `skip`. */
function differences(a, b, skip = []) {
  const out = [];
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n && out.length < 20; i++) {
    if (skip.some(([lo, hi]) => i >= lo && i < hi)) continue;
    if (a[i] !== b[i]) out.push(`${i}: ${a[i]} → ${b[i]}`);
  }
  return out;
}

test('100 a database exported from OPFS is a database file of whole pages', T, async () => {
  await s.start('a');
  await s.call('open', { name: 'img-src' }, 'a');
  await s.call('exec', { sql: 'CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, data BLOB); CREATE INDEX t_name ON t(name)' }, 'a');
  const sets = [];
  for (let i = 1; i <= 500; i++) sets.push([i, `row ${i}`, 60 + (i % 40)]);
  await s.call('runMany', { sql: 'INSERT INTO t VALUES (?, ?, randomblob(?))', sets }, 'a');
  expected = await s.rows('SELECT id, name, hex(data) AS h FROM t ORDER BY id', undefined, 'a');
  image = await s.call('export', {}, 'a');
  assert.ok(Buffer.isBuffer(image));
  assert.equal(image.subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
  const pageSize = image.readUInt16BE(16);
  assert.equal(image.length % pageSize, 0);
  assert.ok(image.length >= 10 * pageSize, `${image.length} bytes`);
});

// Import advances the header's change counter and schema cookie like any commit
// (docs/decisions.md, "Import keeps the image's pages"): every other byte is the image's.
test('110 export → import into a fresh database → export: byte-identical apart from the commit counters', T, async () => {
  await s.start('b');
  await s.call('open', { name: 'img-dst' }, 'b');
  await s.call('import', { bytes: image }, 'b');
  imported = await s.call('export', {}, 'b');
  assert.deepEqual(await s.rows('SELECT id, name, hex(data) AS h FROM t ORDER BY id', undefined, 'b'), expected);
  assert.equal(imported.length, image.length);
  assert.deepEqual(differences(image, imported, COUNTERS), [], 'pages and header apart from the commit counters');
  // The counters moved, consistently: version-valid-for equals the change counter.
  assert.ok(differences(image, imported).length > 0, 'the change counter advanced');
  assert.equal(imported.readUInt32BE(92), imported.readUInt32BE(24));
});

test('120 the imported database persists across a reload, with the same bytes', T, async () => {
  await s.reload();
  await s.start('b');
  await s.call('open', { name: 'img-dst' }, 'b');
  assert.deepEqual(await s.rows('PRAGMA integrity_check', undefined, 'b'), [{ integrity_check: 'ok' }]);
  assert.deepEqual(await s.rows('SELECT id, name, hex(data) AS h FROM t ORDER BY id', undefined, 'b'), expected);
  assert.deepEqual(differences(imported, await s.call('export', {}, 'b')), []);
});

test('130 importing over a database with data replaces it wholly', T, async () => {
  await s.start('c');
  await s.call('open', { name: 'img-over' }, 'c');
  await s.call('exec', { sql: "CREATE TABLE other(x); INSERT INTO other VALUES ('old'); CREATE TABLE t(id)" }, 'c');
  await s.call('import', { bytes: image }, 'c');
  assert.deepEqual(await s.rows("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name", undefined, 'c'), [{ name: 't' }]);
  assert.deepEqual(await s.rows('SELECT count(*) AS n FROM t', undefined, 'c'), [{ n: 500 }]);
  assert.deepEqual(differences(image, await s.call('export', {}, 'c'), COUNTERS), []);
  await s.call('close', {}, 'c');
});

test('140 bytes that are not a sound database are refused; the target is untouched', T, async () => {
  const pageSize = image.readUInt16BE(16);
  const garbage = Buffer.alloc(8192, 0x5a);
  const truncated = image.subarray(0, image.length - 100);
  const corrupt = Buffer.from(image);
  corrupt.fill(0xff, 2 * pageSize + 8, 2 * pageSize + 200);   // inside a b-tree page
  for (const [what, bytes, codes] of [['garbage', garbage, ['SQLITE_NOTADB']],
    ['truncated', truncated, ['SQLITE_NOTADB']], ['corrupt', corrupt, ['SQLITE_CORRUPT']],
    ['empty', Buffer.alloc(0), ['SQLITE_NOTADB']]]) {
    const e = await s.call('import', { bytes }, 'b').then(() => null, (err) => err);
    assert.ok(e, `${what} must be refused`);
    assert.ok(codes.includes(e.code), `${what}: ${e.code} ${e.message}`);
  }
  assert.deepEqual(await s.rows('SELECT id, name, hex(data) AS h FROM t ORDER BY id', undefined, 'b'), expected);
  assert.deepEqual(differences(imported, await s.call('export', {}, 'b')), []);
});
