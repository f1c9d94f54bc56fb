// image.test.mjs — export and import of whole database images, and the refusal of bytes
// that are not a sound database (the target keeps its data).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, rows, thrown, seededBytes } from './helpers.mjs';
import { SQLiteError } from '../../src/js/errors.js';

const { core } = await setup();
const HEADER = new TextEncoder().encode('SQLite format 3\0');

/* Fills a database with enough rows for several pages and returns its rows. */
function fill(db) {
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, data BLOB); CREATE INDEX t_name ON t(name)');
  const sets = [];
  for (let i = 1; i <= 500; i++) sets.push([i, `row ${i}`, seededBytes(50, i)]);
  db.runMany('INSERT INTO t VALUES (?, ?, ?)', sets);
  return rows(db, 'SELECT * FROM t ORDER BY id');
}

/* Builds a source database file and returns { image, expected rows }. */
function source(name) {
  const db = core.open(name);
  try {
    const expected = fill(db);
    return { image: db.export(), expected };
  } finally {
    db.close();
  }
}

test('100 an export is a database file', () => {
  const { image } = source('src100.db');
  assert.ok(image instanceof Uint8Array);
  assert.deepEqual(image.subarray(0, 16), HEADER);
  const pageSize = (image[16] << 8) | image[17];
  assert.ok(image.length >= 3 * pageSize, `${image.length} bytes`);
  assert.equal(image.length % pageSize, 0);
});

test('110 export → import into a memdb connection gives the same rows', () => {
  const { image, expected } = source('src110.db');
  const m = core.open('/x', { vfs: 'memdb' });
  try {
    assert.equal(m.import(image), undefined);
    assert.deepEqual(rows(m, 'SELECT * FROM t ORDER BY id'), expected);
    assert.deepEqual(rows(m, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
    // The imported database is writable.
    m.exec("INSERT INTO t(name) VALUES ('after')");
    assert.equal(rows(m, 'SELECT count(*) AS n FROM t')[0].n, 501);
  } finally {
    m.close();
  }
});

test('120 export → import into a fresh file database, and it persists', () => {
  const { image, expected } = source('src120.db');
  const f = core.open('dst120.db');
  try {
    f.import(image);
    assert.deepEqual(rows(f, 'SELECT * FROM t ORDER BY id'), expected);
  } finally {
    f.close();
  }
  const again = core.open('dst120.db');
  try {
    assert.deepEqual(rows(again, 'SELECT * FROM t ORDER BY id'), expected);
  } finally {
    again.close();
  }
});

test('130 import replaces existing data', () => {
  const { image, expected } = source('src130.db');
  const f = core.open('dst130.db');
  try {
    f.exec("CREATE TABLE old(x); INSERT INTO old VALUES ('gone')");
    f.import(image);
    assert.deepEqual(rows(f, 'SELECT * FROM t ORDER BY id'), expected);
    assert.equal(thrown(() => f.exec('SELECT * FROM old')).code, 'SQLITE_ERROR');
  } finally {
    f.close();
  }
});

test('140 the export of an empty database imports', () => {
  const e = core.open('empty140.db');
  let image;
  try {
    image = e.export();
  } finally {
    e.close();
  }
  assert.deepEqual(image.subarray(0, 16), HEADER);
  const m = core.open('/empty', { vfs: 'memdb' });
  try {
    m.import(image);
    assert.deepEqual(rows(m, 'SELECT count(*) AS n FROM sqlite_schema'), [{ n: 0 }]);
  } finally {
    m.close();
  }
});

test('150 an export from a memdb connection imports into a file', () => {
  const m = core.open('/mem150', { vfs: 'memdb' });
  let image;
  let expected;
  try {
    expected = fill(m);
    image = m.export();
  } finally {
    m.close();
  }
  const f = core.open('dst150.db');
  try {
    f.import(image);
    assert.deepEqual(rows(f, 'SELECT * FROM t ORDER BY id'), expected);
  } finally {
    f.close();
  }
});

test('200 bytes that are not a sound database are refused and the data stays', () => {
  const { image } = source('src200.db');
  const pageSize = (image[16] << 8) | image[17];
  const corruptPage = image.slice();
  // Page 2 is a b-tree page (the table or its index); an invalid page type byte.
  corruptPage[pageSize] = 0x55;
  const corruptCells = image.slice();
  // Page 2's cell pointers (after its 8- or 12-byte header) now point past the page.
  corruptCells.fill(0xff, pageSize + 8, pageSize + 16);
  const badHeader = image.slice();
  badHeader[0] = 0x73; // 's'
  const cases = [
    ['random bytes', seededBytes(8192, 7)],
    ['empty', new Uint8Array(0)],
    ['a header only', image.slice(0, 100)],
    ['a truncated image', image.slice(0, image.length - pageSize)],
    ['half a page', image.slice(0, pageSize + pageSize / 2)],
    ['a corrupted page type', corruptPage],
    ['corrupted cells', corruptCells],
    ['a bad magic', badHeader],
  ];
  for (const [vfs, name] of [['host', 'keep200.db'], ['memdb', '/keep200']]) {
    const db = core.open(name, { vfs });
    try {
      db.exec("CREATE TABLE keep(x); INSERT INTO keep VALUES ('still here')");
      for (const [label, bytes] of cases) {
        const e = thrown(() => db.import(bytes));
        assert.ok(e instanceof SQLiteError, `${vfs}: ${label}`);
        assert.ok(e.code === 'SQLITE_NOTADB' || e.code.startsWith('SQLITE_CORRUPT'), `${vfs}: ${label}: got ${e.code}`);
        assert.ok(e.errno === 26 || (e.errno & 0xff) === 11, `${vfs}: ${label}: errno ${e.errno}`);
        assert.deepEqual(rows(db, 'SELECT x FROM keep'), [{ x: 'still here' }], `${vfs}: ${label}: data lost`);
      }
      assert.deepEqual(rows(db, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
    } finally {
      db.close();
    }
  }
});

test('210 import inside an open transaction is SQLITE_BUSY', () => {
  const { image } = source('src210.db');
  const db = core.open('busy210.db');
  try {
    db.exec('CREATE TABLE keep(x); BEGIN; INSERT INTO keep VALUES (1)');
    const e = thrown(() => db.import(image));
    assert.equal(e.code, 'SQLITE_BUSY');
    assert.equal(e.errno, 5);
    db.exec('COMMIT');
    assert.deepEqual(rows(db, 'SELECT x FROM keep'), [{ x: 1 }]);
  } finally {
    db.close();
  }
});

test('220 import accepts an ArrayBuffer and leaves the input untouched', () => {
  const { image, expected } = source('src220.db');
  const copy = image.slice();
  const m = core.open('/ab220', { vfs: 'memdb' });
  try {
    m.import(copy.buffer);
    assert.deepEqual(copy, image);
    assert.deepEqual(rows(m, 'SELECT * FROM t ORDER BY id'), expected);
  } finally {
    m.close();
  }
});

test('230 a WAL database exports as a rollback-journal image', () => {
  const db = core.open('wal230.db');
  let image;
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    const mode = rows(db, 'PRAGMA journal_mode = WAL')[0].journal_mode;
    db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
    image = db.export();
    if (mode === 'wal') {
      // Bytes 18 and 19 are the write/read versions: 1 is legacy (rollback journal).
      assert.equal(image[18], 1);
      assert.equal(image[19], 1);
    }
  } finally {
    db.close();
  }
  const m = core.open('/wal230', { vfs: 'memdb' });
  try {
    m.import(image);
    assert.deepEqual(rows(m, 'SELECT x FROM t'), [{ x: 1 }]);
  } finally {
    m.close();
  }
});
