// params.test.mjs — binding parameters: by position, ?NNN, by name with each prefix and
// bare keys, in scripts; and every way of binding wrongly, with its code and message.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, rows, thrown } from './helpers.mjs';
import { SQLiteError } from '../../src/js/errors.js';

const { core } = await setup();
let db;
before(() => {
  db = core.open(':memory:', { vfs: 'memdb' });
});
after(() => db?.close());

test('100 positional ? parameters bind in order', () => {
  assert.deepEqual(rows(db, 'SELECT ? AS a, ? AS b, ? AS c', [1, 'two', 3.5]), [{ a: 1, b: 'two', c: 3.5 }]);
});

test('110 ?NNN parameters bind by number, reused and out of order', () => {
  assert.deepEqual(rows(db, 'SELECT ?2 AS a, ?1 AS b, ?2 AS c', ['x', 'y']), [{ a: 'y', b: 'x', c: 'y' }]);
  // ?3 alone makes a statement of three parameters: the array covers all three.
  assert.deepEqual(rows(db, 'SELECT ?3 AS a', [null, null, 'z']), [{ a: 'z' }]);
});

test('120 bare keys match :name, @name and $name', () => {
  assert.deepEqual(rows(db, 'SELECT :a AS a, @b AS b, $c AS c', { a: 1, b: 2, c: 3 }), [{ a: 1, b: 2, c: 3 }]);
});

test('130 keys with their prefix match exactly', () => {
  assert.deepEqual(rows(db, 'SELECT :a AS a, @b AS b, $c AS c', { ':a': 'x', '@b': 'y', $c: 'z' }),
    [{ a: 'x', b: 'y', c: 'z' }]);
});

test('140 a name used twice binds once', () => {
  assert.deepEqual(rows(db, 'SELECT :n + :n AS s', { n: 21 }), [{ s: 42 }]);
});

test('150 key order does not matter', () => {
  assert.deepEqual(rows(db, 'SELECT :a AS a, :b AS b', { b: 'B', a: 'A' }), [{ a: 'A', b: 'B' }]);
});

test('160 a script takes positional values statement by statement', () => {
  const t = core.open(':memory:', { vfs: 'memdb' });
  try {
    t.exec('CREATE TABLE t(x); INSERT INTO t VALUES (?); INSERT INTO t VALUES (?)', [10, 20]);
    assert.deepEqual(rows(t, 'SELECT x FROM t ORDER BY rowid'), [{ x: 10 }, { x: 20 }]);
    t.exec('INSERT INTO t VALUES (:a); INSERT INTO t VALUES (:b)', { a: 30, b: 40 });
    assert.deepEqual(rows(t, 'SELECT x FROM t ORDER BY rowid').map((r) => r.x), [10, 20, 30, 40]);
  } finally {
    t.close();
  }
});

test('200 too few positional values is SQLITE_RANGE', () => {
  const e = thrown(() => db.exec('SELECT ?, ?', [1]));
  assert.ok(e instanceof SQLiteError);
  assert.equal(e.code, 'SQLITE_RANGE');
  assert.equal(e.errno, 25);
  assert.match(e.message, /parameter|value/i);
  assert.match(e.message, /2/);
});

test('210 too many positional values is SQLITE_RANGE', () => {
  const e = thrown(() => db.exec('SELECT ?', [1, 2]));
  assert.equal(e.code, 'SQLITE_RANGE');
  assert.equal(e.errno, 25);
  assert.match(e.message, /2/);
});

test('220 values for a statement without parameters is SQLITE_RANGE', () => {
  const e = thrown(() => db.exec('SELECT 1', [1]));
  assert.equal(e.code, 'SQLITE_RANGE');
});

test('230 missing parameters for ? (no values given) is SQLITE_RANGE', () => {
  const e = thrown(() => db.exec('SELECT ?', []));
  assert.equal(e.code, 'SQLITE_RANGE');
});

test('240 an unknown name is SQLITE_RANGE naming it', () => {
  const e = thrown(() => db.exec('SELECT :a', { a: 1, zzz: 2 }));
  assert.equal(e.code, 'SQLITE_RANGE');
  assert.equal(e.errno, 25);
  assert.match(e.message, /zzz/);
});

test('250 a missing name is SQLITE_RANGE naming it', () => {
  const e = thrown(() => db.exec('SELECT :a, :missing', { a: 1 }));
  assert.equal(e.code, 'SQLITE_RANGE');
  assert.match(e.message, /missing/);
});

test('260 a prefixed key does not match another prefix', () => {
  const e = thrown(() => db.exec('SELECT :a', { '@a': 1 }));
  assert.equal(e.code, 'SQLITE_RANGE');
  assert.match(e.message, /a/);
});

test('300 unsupported JS types are SQLITE_MISMATCH naming the parameter and type', () => {
  const cases = [
    [undefined, /undefined/, /null/],
    [() => 1, /function/],
    [Symbol('s'), /symbol/],
    [{ a: 1 }, /object/],
    [new Date(0), /Date/],
    [new Map(), /Map/],
    [[1, 2], /array/],
  ];
  for (const [value, type, hint] of cases) {
    const e = thrown(() => db.exec('SELECT ?, ?', [1, value]));
    assert.ok(e instanceof SQLiteError, String(type));
    assert.equal(e.code, 'SQLITE_MISMATCH');
    assert.equal(e.errno, 20);
    assert.match(e.message, /parameter 2\b/);
    assert.match(e.message, type);
    if (hint) assert.match(e.message, hint);
    const n = thrown(() => db.exec('SELECT :v', { v: value }));
    assert.equal(n.code, 'SQLITE_MISMATCH');
    assert.match(n.message, /"v"/);
    assert.match(n.message, type);
  }
});

test('310 a bigint outside 64 bits is SQLITE_MISMATCH', () => {
  const e = thrown(() => db.exec('SELECT ?', [2n ** 63n]));
  assert.equal(e.code, 'SQLITE_MISMATCH');
  assert.match(e.message, /parameter 1/);
  assert.match(e.message, /64-bit/);
  const f = thrown(() => db.exec('SELECT ?', [-(2n ** 63n) - 1n]));
  assert.equal(f.code, 'SQLITE_MISMATCH');
});

test('320 parameters that are neither an array nor an object are SQLITE_MISUSE', () => {
  for (const bad of [5, 'x', true, new Uint8Array(1)]) {
    const e = thrown(() => db.exec('SELECT ?', bad));
    assert.equal(e.code, 'SQLITE_MISUSE', String(bad));
    assert.equal(e.errno, 21);
  }
});

test('330 a bad value is refused before anything runs', () => {
  const s = core.open(':memory:', { vfs: 'memdb' });
  try {
    s.exec('CREATE TABLE t(x)');
    thrown(() => s.exec('INSERT INTO t VALUES (1); INSERT INTO t VALUES (?)', [undefined]));
    assert.deepEqual(rows(s, 'SELECT count(*) AS n FROM t'), [{ n: 0 }]);
  } finally {
    s.close();
  }
});

test('340 null and undefined params mean none', () => {
  assert.deepEqual(rows(db, 'SELECT 1 AS one', null), [{ one: 1 }]);
  assert.deepEqual(rows(db, 'SELECT 1 AS one', undefined), [{ one: 1 }]);
  assert.deepEqual(rows(db, 'SELECT 1 AS one', []), [{ one: 1 }]);
  assert.deepEqual(rows(db, 'SELECT 1 AS one', {}), [{ one: 1 }]);
});
