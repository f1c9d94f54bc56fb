// persistence.test.mjs — databases on the 'host' VFS are real files under the Node
// host's root: written, closed, reopened, and laid out where the path says.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setup, rows } from './helpers.mjs';
import { loadCore } from '../../src/js/core.js';
import { createNodeHost } from '../../src/js/host-node.js';
import { WASM_PATH } from './helpers.mjs';

const { core, root } = await setup();

test('100 rows written, closed and reopened are still there', () => {
  const a = core.open('keep.db');
  a.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
  a.runMany('INSERT INTO t VALUES (?, ?)', [[1, 'one'], [2, 'two'], [3, 'três']]);
  a.close();
  const b = core.open('keep.db');
  try {
    assert.deepEqual(rows(b, 'SELECT * FROM t ORDER BY id'), [{ id: 1, v: 'one' }, { id: 2, v: 'two' }, { id: 3, v: 'três' }]);
  } finally {
    b.close();
  }
});

test('110 the file is a SQLite database inside the root; no journal is left behind', () => {
  const db = core.open('layout.db');
  db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
  db.close();
  const bytes = fs.readFileSync(path.join(root, 'layout.db'));
  assert.equal(bytes.subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
  assert.equal(fs.existsSync(path.join(root, 'layout.db-journal')), false);
});

test('120 a leading slash means the host root', () => {
  const db = core.open('/slash.db');
  db.exec('CREATE TABLE t(x)');
  db.close();
  assert.ok(fs.existsSync(path.join(root, 'slash.db')));
});

test('130 subdirectories of the root work', () => {
  fs.mkdirSync(path.join(root, 'sub', 'dir'), { recursive: true });
  const db = core.open('sub/dir/nested.db');
  db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (42)');
  db.close();
  assert.ok(fs.statSync(path.join(root, 'sub', 'dir', 'nested.db')).size > 0);
});

test('140 a second core instance reads what the first committed', async () => {
  const db = core.open('shared.db');
  db.exec("CREATE TABLE t(x); INSERT INTO t VALUES ('from core 1')");
  db.close();
  const other = await loadCore({ wasm: WASM_PATH, host: createNodeHost({ root }) });
  const o = other.open('shared.db');
  try {
    assert.deepEqual(rows(o, 'SELECT x FROM t'), [{ x: 'from core 1' }]);
  } finally {
    o.close();
  }
});

test('150 a rolled-back transaction leaves the file as it was', () => {
  const db = core.open('rollback.db');
  db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
  db.exec('BEGIN; INSERT INTO t VALUES (2); DELETE FROM t WHERE x = 1; ROLLBACK');
  db.close();
  const again = core.open('rollback.db');
  try {
    assert.deepEqual(rows(again, 'SELECT x FROM t'), [{ x: 1 }]);
  } finally {
    again.close();
  }
});

test('160 a database larger than one wasm memory page survives reopening', () => {
  const db = core.open('big.db');
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB)');
  const sets = [];
  for (let i = 0; i < 200; i++) sets.push([i, new Uint8Array(20000).fill(i & 0xff)]);
  db.runMany('INSERT INTO t VALUES (?, ?)', sets);
  db.close();
  assert.ok(fs.statSync(path.join(root, 'big.db')).size >= 200 * 20000);
  const again = core.open('big.db');
  try {
    const got = rows(again, 'SELECT id, length(b) AS n, b FROM t WHERE id IN (0, 123, 199) ORDER BY id');
    assert.deepEqual(got.map((r) => [r.id, r.n, r.b[19999]]), [[0, 20000, 0], [123, 20000, 123], [199, 20000, 199]]);
    assert.deepEqual(rows(again, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
  } finally {
    again.close();
  }
});
