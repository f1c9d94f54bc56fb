// scripts.test.mjs — several statements in one request, a script failing midway, the
// statement cache and the connection counters.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, rows, thrown } from './helpers.mjs';

const { core } = await setup();

test('100 a script returns one result set per row-returning statement, changes summed', () => {
  const db = core.open('script.db');
  try {
    const r = db.exec(`CREATE TABLE t(a);
      INSERT INTO t VALUES (1), (2);
      SELECT a FROM t ORDER BY a;
      UPDATE t SET a = a + 10;
      SELECT count(*) AS n, sum(a) AS s FROM t;
      DELETE FROM t WHERE a = 11;
      SELECT a FROM t WHERE a > 100`);
    assert.equal(r.rc, 0);
    assert.equal(r.statements, 7);
    assert.equal(r.changes, 2 + 2 + 1);
    assert.equal(r.resultSets.length, 3);
    assert.deepEqual(r.resultSets[0].columns, ['a']);
    assert.deepEqual(r.resultSets[0].rows, [{ a: 1 }, { a: 2 }]);
    assert.deepEqual(r.resultSets[1].rows, [{ n: 2, s: 23 }]);
    // A statement with columns and no rows still gets its (empty) result set.
    assert.deepEqual(r.resultSets[2].columns, ['a']);
    assert.deepEqual(r.resultSets[2].rows, []);
    assert.equal(r.message, '');
    assert.equal(r.errorOffset, -1);
  } finally {
    db.close();
  }
});

test('110 a script failing midway keeps the statements before the failure', () => {
  const db = core.open('midway.db');
  try {
    const sql = `CREATE TABLE u(a UNIQUE);
      INSERT INTO u VALUES (1);
      INSERT INTO u VALUES (1);
      INSERT INTO u VALUES (2)`;
    const e = thrown(() => db.exec(sql));
    assert.equal(e.code, 'SQLITE_CONSTRAINT_UNIQUE');
    assert.equal(e.sql, sql);
    // The table and first row exist; the statement after the failure never ran.
    assert.deepEqual(rows(db, 'SELECT a FROM u ORDER BY a'), [{ a: 1 }]);
    assert.equal(db.stats().autocommit, true);
  } finally {
    db.close();
  }
});

test('120 RETURNING and PRAGMA produce result sets', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    const r = db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v); INSERT INTO t(v) VALUES (?), (?) RETURNING id, v', ['a', 'b']);
    assert.equal(r.resultSets.length, 1);
    assert.deepEqual(r.resultSets[0].rows, [{ id: 1, v: 'a' }, { id: 2, v: 'b' }]);
    assert.equal(r.changes, 2);
    assert.equal(r.lastInsertRowid, 2);
    const p = db.exec('PRAGMA table_info(t)');
    assert.deepEqual(p.resultSets[0].rows.map((c) => c.name), ['id', 'v']);
  } finally {
    db.close();
  }
});

test('130 the same SQL twice is served from the statement cache', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    const sql = 'SELECT 40 + ? AS x';
    const before = db.stats();
    assert.deepEqual(rows(db, sql, [1]), [{ x: 41 }]);
    const once = db.stats();
    assert.equal(once.cacheMisses, before.cacheMisses + 1);
    assert.ok(once.cacheSize >= 1);
    assert.deepEqual(rows(db, sql, [2]), [{ x: 42 }]);
    const twice = db.stats();
    assert.equal(twice.cacheHits, once.cacheHits + 1);
    assert.equal(twice.cacheMisses, once.cacheMisses);
    // Different text is a different statement.
    rows(db, 'SELECT 41 + ? AS x', [1]);
    assert.equal(db.stats().cacheMisses, twice.cacheMisses + 1);
  } finally {
    db.close();
  }
});

test('140 a cached statement stays correct after the schema changes', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    db.exec('CREATE TABLE t(a); INSERT INTO t VALUES (1)');
    assert.deepEqual(rows(db, 'SELECT * FROM t'), [{ a: 1 }]);
    db.exec('ALTER TABLE t ADD COLUMN b DEFAULT 2');
    assert.deepEqual(rows(db, 'SELECT * FROM t'), [{ a: 1, b: 2 }]);
  } finally {
    db.close();
  }
});

test('150 autocommit follows BEGIN and COMMIT', () => {
  const db = core.open('tx.db');
  try {
    assert.equal(db.stats().autocommit, true);
    db.exec('BEGIN');
    assert.equal(db.stats().autocommit, false);
    db.exec('CREATE TABLE t(a); INSERT INTO t VALUES (1)');
    db.exec('ROLLBACK');
    assert.equal(db.stats().autocommit, true);
    assert.equal(thrown(() => db.exec('SELECT * FROM t')).code, 'SQLITE_ERROR');
  } finally {
    db.close();
  }
});

test('160 many requests in a row do not leak memory', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    db.exec('CREATE TABLE t(a, b)');
    const before = core.memory.buffer.byteLength;
    for (let i = 0; i < 3000; i++) {
      db.exec('INSERT INTO t VALUES (?, ?)', [i, 'x'.repeat(100)]);
      if (i % 3 === 0) thrown(() => db.exec('INSERT INTO nowhere VALUES (1)'));
    }
    assert.deepEqual(rows(db, 'SELECT count(*) AS n FROM t'), [{ n: 3000 }]);
    // 3000 rows of 100 bytes fit in well under 4 MiB of growth.
    assert.ok(core.memory.buffer.byteLength - before <= 4 << 20, `grew by ${core.memory.buffer.byteLength - before}`);
  } finally {
    db.close();
  }
});
