// runmany.test.mjs — one statement run for many parameter sets: bulk inserts, atomicity
// on failure, RETURNING rows gathered, and malformed parameter sets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, rows, thrown } from './helpers.mjs';
import { SQLiteError } from '../../src/js/errors.js';

const { core } = await setup();

test('100 10,000 positional sets insert 10,000 rows', () => {
  const db = core.open('bulk.db');
  try {
    db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB)');
    const sets = [];
    for (let i = 1; i <= 10000; i++) sets.push([i, `name-${i}`, i / 4, new Uint8Array([i & 0xff, i >> 8])]);
    const r = db.runMany('INSERT INTO t VALUES (?, ?, ?, ?)', sets);
    assert.equal(r.rc, 0);
    assert.equal(r.changes, 10000);
    assert.equal(r.lastInsertRowid, 10000);
    assert.deepEqual(rows(db, 'SELECT count(*) AS n, sum(id) AS s, sum(score) AS f FROM t'),
      [{ n: 10000, s: 50005000, f: 50005000 / 4 }]);
    assert.deepEqual(rows(db, 'SELECT * FROM t WHERE id = 4242'),
      [{ id: 4242, name: 'name-4242', score: 1060.5, data: new Uint8Array([4242 & 0xff, 4242 >> 8]) }]);
  } finally {
    db.close();
  }
});

test('110 named sets bind by key, whatever the key order', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)');
    const r = db.runMany('INSERT INTO t VALUES (:id, $name)', [{ id: 1, name: 'a' }, { name: 'b', id: 2 }, { id: 3, name: null }]);
    assert.equal(r.changes, 3);
    assert.deepEqual(rows(db, 'SELECT * FROM t ORDER BY id'), [{ id: 1, name: 'a' }, { id: 2, name: 'b' }, { id: 3, name: null }]);
  } finally {
    db.close();
  }
});

test('120 a failing set in the middle leaves no row at all', () => {
  const db = core.open('atomic.db');
  try {
    db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY)');
    const sets = [];
    for (let i = 1; i <= 1000; i++) sets.push([i]);
    sets.splice(500, 0, [3]); // a duplicate key halfway through
    const e = thrown(() => db.runMany('INSERT INTO t VALUES (?)', sets));
    assert.ok(e instanceof SQLiteError);
    assert.equal(e.code, 'SQLITE_CONSTRAINT_PRIMARYKEY');
    assert.equal(e.errno, 1555);
    assert.deepEqual(rows(db, 'SELECT count(*) AS n FROM t'), [{ n: 0 }]);
    assert.equal(db.stats().autocommit, true);
  } finally {
    db.close();
  }
});

test('130 inside an open transaction, a failing run-many undoes only itself', () => {
  const db = core.open('nested.db');
  try {
    db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY); BEGIN; INSERT INTO t VALUES (100)');
    const e = thrown(() => db.runMany('INSERT INTO t VALUES (?)', [[1], [2], [100], [3]]));
    assert.equal(e.code, 'SQLITE_CONSTRAINT_PRIMARYKEY');
    assert.equal(db.stats().autocommit, false);
    db.exec('COMMIT');
    assert.deepEqual(rows(db, 'SELECT id FROM t'), [{ id: 100 }]);
  } finally {
    db.close();
  }
});

test('140 RETURNING rows of every set are gathered into one result set', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
    const r = db.runMany('INSERT INTO t(v) VALUES (?) RETURNING id, v', [['a'], ['b'], ['c']]);
    assert.equal(r.resultSets.length, 1);
    assert.deepEqual(r.resultSets[0].columns, ['id', 'v']);
    assert.deepEqual(r.resultSets[0].rows, [{ id: 1, v: 'a' }, { id: 2, v: 'b' }, { id: 3, v: 'c' }]);
    const arr = db.runMany('INSERT INTO t(v) VALUES (?) RETURNING id', [['d'], ['e']], { rowMode: 'array' });
    assert.deepEqual(arr.resultSets[0].rows, [[4], [5]]);
  } finally {
    db.close();
  }
});

test('150 a SELECT run for many sets returns the rows of every set', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    const r = db.runMany('SELECT ? * 2 AS d', [[1], [2], [3]]);
    assert.deepEqual(r.resultSets[0].rows, [{ d: 2 }, { d: 4 }, { d: 6 }]);
    assert.equal(r.changes, 0);
  } finally {
    db.close();
  }
});

test('160 sets of different lengths or keys are SQLITE_RANGE naming the set', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    db.exec('CREATE TABLE t(a, b)');
    const len = thrown(() => db.runMany('INSERT INTO t VALUES (?, ?)', [[1, 2], [3, 4], [5]]));
    assert.equal(len.code, 'SQLITE_RANGE');
    assert.equal(len.errno, 25);
    assert.match(len.message, /paramSets\[2\]/);
    const missing = thrown(() => db.runMany('INSERT INTO t VALUES (:a, :b)', [{ a: 1, b: 2 }, { a: 3 }]));
    assert.equal(missing.code, 'SQLITE_RANGE');
    assert.match(missing.message, /paramSets\[1\]/);
    assert.match(missing.message, /"b"/);
    const extra = thrown(() => db.runMany('INSERT INTO t VALUES (:a, :b)', [{ a: 1, b: 2 }, { a: 3, b: 4, c: 5 }]));
    assert.equal(extra.code, 'SQLITE_RANGE');
    assert.match(extra.message, /"c"/);
    const renamed = thrown(() => db.runMany('INSERT INTO t VALUES (:a, :b)', [{ a: 1, b: 2 }, { a: 3, c: 4 }]));
    assert.equal(renamed.code, 'SQLITE_RANGE');
    assert.deepEqual(rows(db, 'SELECT count(*) AS n FROM t'), [{ n: 0 }]);
  } finally {
    db.close();
  }
});

test('170 mixing arrays and objects, or non-array sets, is SQLITE_MISUSE', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    for (const sets of [[[1], { a: 1 }], [{ a: 1 }, [1]], 'x', [5], null]) {
      const e = thrown(() => db.runMany('SELECT :a', sets));
      assert.equal(e.code, 'SQLITE_MISUSE', JSON.stringify(sets));
      assert.equal(e.errno, 21);
    }
  } finally {
    db.close();
  }
});

test('180 a bad value names the set and the parameter', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    const e = thrown(() => db.runMany('SELECT ?, ?', [[1, 2], [3, undefined]]));
    assert.equal(e.code, 'SQLITE_MISMATCH');
    assert.match(e.message, /parameter 2 of paramSets\[1\]/);
  } finally {
    db.close();
  }
});

test('190 more than one statement is refused by the core', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    db.exec('CREATE TABLE t(a)');
    const e = thrown(() => db.runMany('INSERT INTO t VALUES (?); INSERT INTO t VALUES (?)', [[1, 2]]));
    assert.equal(e.code, 'SQLITE_MISUSE');
    assert.deepEqual(rows(db, 'SELECT count(*) AS n FROM t'), [{ n: 0 }]);
  } finally {
    db.close();
  }
});

test('200 the count of values is checked against the statement', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    db.exec('CREATE TABLE t(a, b)');
    assert.equal(thrown(() => db.runMany('INSERT INTO t VALUES (?, ?)', [[1], [2]])).code, 'SQLITE_RANGE');
    assert.equal(thrown(() => db.runMany('INSERT INTO t VALUES (:a, :b)', [{ a: 1 }])).code, 'SQLITE_RANGE');
    assert.deepEqual(rows(db, 'SELECT count(*) AS n FROM t'), [{ n: 0 }]);
  } finally {
    db.close();
  }
});

test('210 zero sets run nothing', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    db.exec('CREATE TABLE t(a)');
    const r = db.runMany('INSERT INTO t VALUES (?)', []);
    assert.equal(r.changes, 0);
    assert.deepEqual(rows(db, 'SELECT count(*) AS n FROM t'), [{ n: 0 }]);
  } finally {
    db.close();
  }
});
