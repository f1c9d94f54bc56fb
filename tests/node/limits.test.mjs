// limits.test.mjs — deep and long SQL gets SQLite's own error, never a trap: every
// recursion shape of tests/shared/recursion.mjs climbed until SQLite refuses it, on the
// Node build (the browsers' workers: tests/browser/limits.test.mjs), and the connection
// answers the next statement.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, rows } from './helpers.mjs';
import { SHAPES, walk } from '../shared/recursion.mjs';

const { core } = await setup();

// What SQLite says when it refuses a deep shape: each of these is its own limit.
const REFUSALS = /SQL nested too deeply|Expression tree is too large|parser stack overflow|Recursion limit|too many terms in compound SELECT|nested too deep|malformed JSON|JSON path too deep|too many FROM clause terms|too many columns/;

/* Runs sql on db; { ok: true } or the error's { code, message }. */
function runner(db) {
  return async (sql) => {
    try {
      db.exec(sql);
      return { ok: true };
    } catch (e) {
      if (!e.code) throw e;   // not SQLite's: a trap
      return { code: e.code, message: e.message };
    }
  };
}

let i = 100;
for (const [name, shape] of Object.entries(SHAPES)) {
  test(`${i++} ${name}: climbed until SQLite refuses it, then the next statement answers`, async () => {
    const db = core.open(':memory:', { vfs: 'memdb' });
    try {
      for (const sql of shape.setup ?? []) db.exec(sql);
      const r = await walk(shape, runner(db));
      assert.ok(r.refused, `${name}: nothing refused up to ${r.deepest}`);
      assert.equal(r.refused.code, 'SQLITE_ERROR', JSON.stringify(r.refused));
      assert.match(r.refused.message, REFUSALS);
      assert.equal(r.huge.code, 'SQLITE_ERROR', JSON.stringify(r.huge));
      assert.ok(r.deepest >= 30, `${name}: only ${r.deepest} deep`);
      console.log(`# ${name}: deepest ${r.deepest}, refused at ${r.refused.n}: ${r.refused.message}; stack high-water ${db.stats().stackHigh}`);
      assert.deepEqual(rows(db, 'SELECT 1 AS one'), [{ one: 1 }]);
    } finally {
      db.close();
    }
  });
}

test('200 import refuses an image whose schema SQLite cannot parse (a view 3,000 terms deep), as stock SQLite does', () => {
  const src = core.open('/limits-src', { vfs: 'memdb' });
  const dst = core.open('/limits-dst', { vfs: 'memdb' });
  try {
    // The view is made with a placeholder of the same length, then its text is written
    // over in the image (writable_schema is off in the engine): 64 KiB pages keep the
    // schema record on one page.
    const deep = `CREATE VIEW deep AS SELECT ${Array(3000).fill('1').join(' + ')}`;
    const head = 'CREATE VIEW deep AS SELECT ';
    const placeholder = `${head}'${'x'.repeat(deep.length - head.length - 2)}'`;
    src.exec(`PRAGMA page_size = 65536; CREATE TABLE t(x); INSERT INTO t VALUES (1); ${placeholder}`);
    const image = src.export();
    const at = Buffer.from(image).indexOf(placeholder);
    assert.ok(at > 0);
    image.set(new TextEncoder().encode(deep), at);
    dst.exec('CREATE TABLE keep(y); INSERT INTO keep VALUES (7)');
    let e;
    try {
      dst.import(image);
    } catch (err) {
      e = err;
    }
    assert.equal(e?.code, 'SQLITE_CORRUPT');
    assert.match(e.message, /malformed database schema \(deep\) - Expression tree is too large/);
    assert.deepEqual(rows(dst, 'SELECT y FROM keep'), [{ y: 7 }]);
  } finally {
    src.close();
    dst.close();
  }
});
