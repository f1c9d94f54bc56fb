// limits.test.mjs — deep SQL through the public API in this browser's worker: every
// recursion shape of tests/shared/recursion.mjs climbed until SQLite refuses it (the
// engine's JavaScript stack differs between browsers, and the wasm runs on it), and the
// database answers the next request. The same walk runs on the Node build in
// tests/node/limits.test.mjs.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSession, port, BROWSER } from './driver.mjs';
import { SHAPES } from '../shared/recursion.mjs';

const PORT = port(8741);
const T = { timeout: 240_000 };
const s = await openSession({ port: PORT, fixture: 'api' });
after(() => s.close());

const REFUSALS = /SQL nested too deeply|Expression tree is too large|parser stack overflow|Recursion limit|too many terms in compound SELECT|nested too deep|malformed JSON|JSON path too deep/;

// The walk (tests/shared/recursion.mjs) runs in the page: its source and the shape's go along.
const walkSource = (await import('../shared/recursion.mjs')).walk.toString();

let i = 100;
for (const [name, shape] of Object.entries(SHAPES)) {
  test(`${i++} ${name}: climbed until SQLite refuses it, then the next request answers (${BROWSER})`, T, async () => {
    const r = await s.evaluate(async (walkSrc, sqlSrc, setup, max) => {
      const walk = (0, eval)(`(${walkSrc.replace(/^async function walk/, 'async function')})`);
      const shape = { sql: (0, eval)(`(${sqlSrc})`), max };
      const db = await window.api.openDatabase(`limits-${Math.random()}`, { persistence: 'memory', timeoutMs: 60_000 });
      try {
        if (setup.length) await db.exec(setup.join(";\n"));
        const out = await walk(shape, async (sql) => {
          try {
            await db.exec(sql);
            return { ok: true };
          } catch (e) {
            if (e.code === 'SQLITE_WORKER_TIMEOUT' || e.code === 'SQLITE_WORKER_DIED') throw e;
            return { code: e.code, message: e.message };
          }
        });
        out.next = await db.get('SELECT 1 AS one');
        return out;
      } catch (e) {
        return { failed: `${e.code}: ${e.message}` };
      } finally {
        await db.close();
      }
    }, walkSource, shape.sql.toString(), shape.setup ?? [], shape.max ?? null);
    assert.equal(r.failed, undefined, r.failed);
    assert.ok(r.refused, `${name}: nothing refused up to ${r.deepest}`);
    assert.equal(r.refused.code, 'SQLITE_ERROR', JSON.stringify(r.refused));
    assert.match(r.refused.message, REFUSALS);
    assert.equal(r.huge.code, 'SQLITE_ERROR', JSON.stringify(r.huge));
    assert.deepEqual(r.next, { one: 1 });
    console.log(`# ${name}: deepest ${r.deepest}, refused at ${r.refused.n}: ${r.refused.message}`);
  });
}
