// batch.test.mjs — Connection#batch through the wasm core in Node: items with their
// own parameters run in order and atomically, a failure names its item and leaves
// nothing behind, transaction control is refused, and the SQWL list decodes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, rows, thrown } from './helpers.mjs';
import { SQLiteError } from '../../src/js/errors.js';
import { decodeResultList } from '../../src/js/codec.js';

const { core } = await setup();

test('100 items run in order, each with its own parameters and result', () => {
  const db = core.open('batch-ok.db', { vfs: 'memdb' });
  try {
    const results = db.batch([
      { sql: 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)' },
      { sql: 'INSERT INTO t(v) VALUES (?), (?)', params: ['a', 'b'] },
      { sql: 'UPDATE t SET v = upper(v) WHERE id = :id', params: { id: 2 } },
      { sql: 'SELECT v FROM t ORDER BY id' },
    ]);
    assert.equal(results.length, 4);
    assert.equal(results[1].changes, 2);
    assert.equal(results[1].lastInsertRowid, 2);
    assert.equal(results[2].changes, 1);
    assert.deepEqual(results[3].resultSets[0].rows, [{ v: 'a' }, { v: 'B' }]);
    assert.equal(db.stats().autocommit, true);
  } finally {
    db.close();
  }
});

test('110 a failing item undoes the batch and says which item it was', () => {
  const db = core.open('batch-fail.db', { vfs: 'memdb' });
  try {
    db.exec('CREATE TABLE t(v UNIQUE); INSERT INTO t VALUES (1)');
    const e = thrown(() => db.batch([
      { sql: 'INSERT INTO t VALUES (?)', params: [2] },
      { sql: 'INSERT INTO t VALUES (?)', params: [3] },
      { sql: 'INSERT INTO t VALUES (?)', params: [1] },
    ]));
    assert.ok(e instanceof SQLiteError);
    assert.equal(e.code, 'SQLITE_CONSTRAINT_UNIQUE');
    assert.equal(e.errno, 2067);
    assert.equal(e.batchIndex, 2);
    assert.equal(e.sql, 'INSERT INTO t VALUES (?)');
    assert.match(e.message, /UNIQUE constraint failed: t\.v/);
    assert.deepEqual(rows(db, 'SELECT v FROM t'), [{ v: 1 }]);
    // Inside the caller's transaction, only the batch is undone.
    db.exec('BEGIN; INSERT INTO t VALUES (10)');
    assert.throws(() => db.batch([{ sql: 'INSERT INTO t VALUES (11)' }, { sql: 'SELECT * FROM nope' }]), /no such table/);
    assert.equal(db.stats().autocommit, false);
    db.exec('COMMIT');
    assert.deepEqual(rows(db, 'SELECT v FROM t ORDER BY v'), [{ v: 1 }, { v: 10 }]);
  } finally {
    db.close();
  }
});

test('120 transaction control and bad items are refused before anything runs', () => {
  const db = core.open('batch-ctl.db', { vfs: 'memdb' });
  try {
    db.exec('CREATE TABLE t(v)');
    for (const ctl of ['BEGIN', 'commit', 'SAVEPOINT s', 'RELEASE s', 'ROLLBACK', 'END TRANSACTION']) {
      const e = thrown(() => db.batch([{ sql: 'INSERT INTO t VALUES (1)' }, { sql: ctl }]));
      assert.equal(e.code, 'SQLITE_MISUSE', ctl);
      assert.equal(e.batchIndex, 1);
      assert.match(e.message, /transaction control/);
    }
    assert.deepEqual(rows(db, 'SELECT count(*) AS n FROM t'), [{ n: 0 }]);
    assert.equal(thrown(() => db.batch('SELECT 1')).code, 'SQLITE_MISUSE');
    assert.equal(thrown(() => db.batch([{ sql: 42 }])).code, 'SQLITE_MISUSE');
    assert.equal(thrown(() => db.batch([{ sql: 'SELECT ?', params: [new Date()] }])).code, 'SQLITE_MISMATCH');
    assert.deepEqual(db.batch([]), []);
  } finally {
    db.close();
  }
});

test('130 the SQWL decoder refuses malformed lists', () => {
  const good = new Uint8Array([0x53, 0x51, 0x57, 0x4c, 1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
  assert.deepEqual(decodeResultList(good), { rc: 0, failIndex: -1, results: [] });
  for (let n = 0; n < good.length; n++) assert.throws(() => decodeResultList(good.subarray(0, n)), /malformed/);
  const bad = good.slice();
  bad[16] = 1; // one result announced, none present
  assert.throws(() => decodeResultList(bad), /truncated/);
  const trailing = new Uint8Array([...good, 0]);
  assert.throws(() => decodeResultList(trailing), /after the last result/);
  assert.throws(() => decodeResultList([1, 2]), TypeError);
});
