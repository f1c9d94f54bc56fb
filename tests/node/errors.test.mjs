// errors.test.mjs — SQLite's extended result codes reach JavaScript unchanged: syntax
// errors with their offset, every constraint kind, open failures, misuse.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, rows, thrown } from './helpers.mjs';
import { SQLiteError } from '../../src/js/errors.js';
import { codeName } from '../../src/js/core.js';

const { core } = await setup();

test('100 a syntax error is SQLITE_ERROR with the offset of the bad token', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    const sql = 'SELECT * FORM t';
    const e = thrown(() => db.exec(sql));
    assert.ok(e instanceof SQLiteError);
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'SQLiteError');
    assert.equal(e.code, 'SQLITE_ERROR');
    assert.equal(e.errno, 1);
    assert.equal(e.sql, sql);
    assert.match(e.message, /syntax error/);
    assert.ok(e.offset >= 0, `offset ${e.offset}`);
    assert.equal(sql.slice(e.offset, e.offset + 4), 'FORM');
  } finally {
    db.close();
  }
});

test('110 the offset is a byte offset into the whole script', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    const sql = "SELECT 'é😀'; SELECT 1; SELEC 2";
    const e = thrown(() => db.exec(sql));
    assert.equal(e.code, 'SQLITE_ERROR');
    const bytes = Buffer.from(sql, 'utf8');
    assert.ok(e.offset >= 0 && e.offset < bytes.length, `offset ${e.offset}`);
    assert.equal(bytes.subarray(e.offset, e.offset + 5).toString(), 'SELEC');
  } finally {
    db.close();
  }
});

test('120 a missing table is SQLITE_ERROR with the message naming it', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    const e = thrown(() => db.exec('SELECT * FROM nowhere'));
    assert.equal(e.code, 'SQLITE_ERROR');
    assert.match(e.message, /no such table: nowhere/);
  } finally {
    db.close();
  }
});

test('200 constraint failures keep their extended codes', () => {
  const db = core.open('constraints.db');
  try {
    db.exec(`PRAGMA foreign_keys = ON;
      CREATE TABLE parent(id INTEGER PRIMARY KEY);
      CREATE TABLE c(
        u UNIQUE,
        nn NOT NULL DEFAULT 0,
        ck CHECK (ck IS NULL OR ck > 0),
        pid REFERENCES parent(id));
      CREATE TABLE pk(k TEXT PRIMARY KEY);
      INSERT INTO parent VALUES (1);
      INSERT INTO c(u) VALUES (1);
      INSERT INTO pk VALUES ('a');`);
    const cases = [
      ['INSERT INTO c(u) VALUES (1)', 'SQLITE_CONSTRAINT_UNIQUE', 2067, /UNIQUE constraint failed: c\.u/],
      ['INSERT INTO c(u, nn) VALUES (2, NULL)', 'SQLITE_CONSTRAINT_NOTNULL', 1299, /NOT NULL constraint failed: c\.nn/],
      ['INSERT INTO c(u, ck) VALUES (3, -1)', 'SQLITE_CONSTRAINT_CHECK', 275, /CHECK constraint failed/],
      ["INSERT INTO pk VALUES ('a')", 'SQLITE_CONSTRAINT_PRIMARYKEY', 1555, /UNIQUE constraint failed: pk\.k/],
      ['INSERT INTO parent VALUES (1)', 'SQLITE_CONSTRAINT_PRIMARYKEY', 1555, /parent\.id/],
      ['INSERT INTO c(u, pid) VALUES (4, 99)', 'SQLITE_CONSTRAINT_FOREIGNKEY', 787, /FOREIGN KEY constraint failed/],
    ];
    for (const [sql, code, errno, message] of cases) {
      const e = thrown(() => db.exec(sql));
      assert.ok(e instanceof SQLiteError, sql);
      assert.equal(e.code, code, sql);
      assert.equal(e.errno, errno, sql);
      assert.match(e.message, message, sql);
      assert.equal(e.sql, sql);
    }
    // None of the failing inserts left a row.
    assert.deepEqual(rows(db, 'SELECT count(*) AS n FROM c'), [{ n: 1 }]);
  } finally {
    db.close();
  }
});

test('210 codeName names codes as the C core does', () => {
  assert.equal(codeName(0), 'SQLITE_OK');
  assert.equal(codeName(2067), 'SQLITE_CONSTRAINT_UNIQUE');
  assert.equal(codeName(5), 'SQLITE_BUSY');
  assert.equal(core.codeName(787), 'SQLITE_CONSTRAINT_FOREIGNKEY');
});

test('300 a closed connection refuses every call with SQLITE_MISUSE', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  db.close();
  assert.equal(db.closed, true);
  for (const call of [() => db.exec('SELECT 1'), () => db.runMany('SELECT ?', [[1]]),
    () => db.export(), () => db.import(new Uint8Array(0)), () => db.stats()]) {
    const e = thrown(call);
    assert.ok(e instanceof SQLiteError);
    assert.equal(e.message, 'database is closed');
    assert.equal(e.code, 'SQLITE_MISUSE');
    assert.equal(e.errno, 21);
  }
  db.close(); // a second close is a no-op
});

test('310 opening in a missing directory is SQLITE_CANTOPEN', () => {
  const e = thrown(() => core.open('no/such/dir/x.db'));
  assert.ok(e instanceof SQLiteError);
  assert.equal(e.code, 'SQLITE_CANTOPEN');
  assert.equal(e.errno, 14);
});

test('320 a path leaving the host root cannot be opened', () => {
  const e = thrown(() => core.open('../escape.db'));
  assert.equal(e.code, 'SQLITE_CANTOPEN');
  const f = thrown(() => core.open('/a/../../escape.db'));
  assert.equal(f.code, 'SQLITE_CANTOPEN');
});

test('330 read-only open of a missing file is SQLITE_CANTOPEN', () => {
  const e = thrown(() => core.open('missing.db', { flags: 0x1 }));
  assert.equal(e.code, 'SQLITE_CANTOPEN');
});

test('340 a read-only connection refuses writes with SQLITE_READONLY', () => {
  const w = core.open('ro.db');
  w.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
  w.close();
  const r = core.open('ro.db', { flags: 0x1 });
  try {
    assert.deepEqual(rows(r, 'SELECT x FROM t'), [{ x: 1 }]);
    const e = thrown(() => r.exec('INSERT INTO t VALUES (2)'));
    assert.equal(e.code, 'SQLITE_READONLY');
    assert.equal(e.errno, 8);
  } finally {
    r.close();
  }
});

test('350 an unknown VFS is refused', () => {
  const e = thrown(() => core.open('x.db', { vfs: 'nope' }));
  assert.ok(e instanceof SQLiteError);
  assert.equal(e.code, 'SQLITE_ERROR');
  assert.match(e.message, /no such vfs/);
});

test('360 bad arguments are SQLITE_MISUSE, and nothing runs', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    db.exec('CREATE TABLE t(x)');
    assert.equal(thrown(() => db.exec(42)).code, 'SQLITE_MISUSE');
    assert.equal(thrown(() => db.exec('INSERT INTO t VALUES (1)', null, { rowMode: 'weird' })).code, 'SQLITE_MISUSE');
    assert.equal(thrown(() => db.exec('INSERT INTO t VALUES (1)', null, { bigint: true })).code, 'SQLITE_MISUSE');
    assert.deepEqual(rows(db, 'SELECT count(*) AS n FROM t'), [{ n: 0 }]);
    assert.equal(thrown(() => core.open(7)).code, 'SQLITE_MISUSE');
    assert.equal(thrown(() => core.open('a\u0000b')).code, 'SQLITE_MISUSE');
    assert.equal(thrown(() => db.import('not bytes')).code, 'SQLITE_MISUSE');
  } finally {
    db.close();
  }
});

test('370 empty and blank SQL run nothing and succeed', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    for (const sql of ['', '   ', '-- just a comment', ';;']) {
      const r = db.exec(sql);
      assert.equal(r.rc, 0, JSON.stringify(sql));
      assert.deepEqual(r.resultSets, []);
      assert.equal(r.changes, 0);
    }
  } finally {
    db.close();
  }
});
