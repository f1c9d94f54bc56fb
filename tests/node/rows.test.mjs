// rows.test.mjs — the shape of result sets: row modes, duplicate column names, declared
// types, odd column names.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup } from './helpers.mjs';

const { core } = await setup();
let db;
before(() => {
  db = core.open(':memory:', { vfs: 'memdb' });
});
after(() => db?.close());

test("100 rowMode 'array' keeps duplicate columns", () => {
  const r = db.exec('SELECT 1 AS a, 2 AS a', null, { rowMode: 'array' });
  assert.deepEqual(r.resultSets[0].columns, ['a', 'a']);
  assert.deepEqual(r.resultSets[0].rows, [[1, 2]]);
});

test("110 rowMode 'object' lets the later duplicate win", () => {
  const r = db.exec('SELECT 1 AS a, 2 AS a');
  assert.deepEqual(r.resultSets[0].columns, ['a', 'a']);
  assert.deepEqual(r.resultSets[0].rows, [{ a: 2 }]);
});

test('120 declared types are reported, empty for expressions', () => {
  db.exec('CREATE TABLE d(i INTEGER, t VARCHAR(10), r REAL, b BLOB, n)');
  db.exec("INSERT INTO d VALUES (1, 'x', 1.0, x'00', NULL)");
  const r = db.exec('SELECT i, t, r, b, n, i + 1 AS e FROM d');
  assert.deepEqual(r.resultSets[0].columns, ['i', 't', 'r', 'b', 'n', 'e']);
  assert.deepEqual(r.resultSets[0].declTypes, ['INTEGER', 'VARCHAR(10)', 'REAL', 'BLOB', '', '']);
  assert.deepEqual(r.resultSets[0].rows, [{ i: 1, t: 'x', r: 1, b: new Uint8Array([0]), n: null, e: 2 }]);
});

test('130 a query without rows still reports its columns', () => {
  const r = db.exec('SELECT i, t FROM d WHERE 0');
  assert.equal(r.resultSets.length, 1);
  assert.deepEqual(r.resultSets[0].columns, ['i', 't']);
  assert.deepEqual(r.resultSets[0].rows, []);
});

test('140 odd column names become keys as they are', () => {
  const [row] = db.exec('SELECT 1 AS "__proto__", 2 AS "", 3 AS "ünï cödé", 4 AS "1", 5 AS "constructor"').resultSets[0].rows;
  assert.equal(Object.getPrototypeOf(row), Object.prototype);
  assert.deepEqual(Object.keys(row).sort(), ['', '1', '__proto__', 'constructor', 'ünï cödé'].sort());
  assert.equal(Object.getOwnPropertyDescriptor(row, '__proto__').value, 1);
  assert.equal(row[''], 2);
  assert.equal(row['ünï cödé'], 3);
  assert.equal(row['1'], 4);
  assert.equal(row.constructor, 5);
});

test('150 many rows decode in order', () => {
  const r = db.exec('WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 50000) SELECT n, n * 0.5 AS h, printf(\'r%d\', n) AS s FROM c', null, { rowMode: 'array' });
  const got = r.resultSets[0].rows;
  assert.equal(got.length, 50000);
  for (let i = 0; i < got.length; i += 997) assert.deepEqual(got[i], [i + 1, (i + 1) * 0.5, `r${i + 1}`]);
  assert.deepEqual(got[49999], [50000, 25000, 'r50000']);
});

test('160 a result larger than the initial wasm memory decodes', () => {
  const r = db.exec("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 40) SELECT n, randomblob(1048576) AS b, ? AS t FROM c", ['é'.repeat(1000)]);
  const got = r.resultSets[0].rows;
  assert.equal(got.length, 40);
  assert.equal(got[39].n, 40);
  assert.equal(got[39].b.length, 1048576);
  assert.equal(got[39].t, 'é'.repeat(1000));
  // randomblob comes from host.random: not all zeros.
  assert.ok(got[0].b.some((x) => x !== 0));
});
