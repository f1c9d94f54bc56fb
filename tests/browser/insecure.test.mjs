// insecure.test.mjs — a page that is not a secure context (http:// on a host name other
// than localhost): no OPFS, no Web Locks. Persistence must be explicit there: 'auto'
// falls back to memory and says why, 'opfs' refuses with a code the app can act on.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSession, port } from './driver.mjs';
import { SQLITE_WORKER_PERSISTENCE_UNAVAILABLE } from '../../src/js/proto.js';

const PORT = port(8718);
const T = { timeout: 60_000 };
const s = await openSession({ port: PORT, fixture: 'api', insecureHost: 'insecure.test' });
after(() => s?.close());

test('100 the fixture really is an insecure context', T, async () => {
  const r = await s.evaluate(() => ({ secure: isSecureContext, origin: location.origin, locks: 'locks' in navigator }));
  assert.deepEqual(r, { secure: false, origin: `http://insecure.test:${PORT}`, locks: false });
});

test("110 'auto' falls back to memory, says why, warns once, and works", T, async () => {
  const warnings = [];
  const onConsole = (m) => {
    if (m.type() === 'warn' || m.type() === 'warning') warnings.push(m.text());
  };
  s.page.on('console', onConsole);
  let r;
  try {
    r = await s.evaluate(async () => {
      const db = await window.api.openDatabase('insecure-auto');
      await db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
      const out = { persistent: db.persistent, why: db.persistenceError, rows: await db.all('SELECT x FROM t') };
      await db.close();
      return out;
    });
  } finally {
    s.page.off('console', onConsole);
  }
  assert.equal(r.persistent, false);
  assert.match(r.why, /persistence unavailable/);
  assert.deepEqual(r.rows, [{ x: 1 }]);
  assert.equal(warnings.filter((w) => w.includes('[sqlite-worker]') && w.includes('memory only')).length, 1, warnings.join('\n'));
});

test("120 'opfs' refuses with SQLITE_WORKER_PERSISTENCE_UNAVAILABLE", T, async () => {
  const r = await s.evaluate(async () => {
    try {
      await window.api.openDatabase('insecure-opfs', { persistence: 'opfs' });
      return 'opened';
    } catch (e) {
      return { code: e.code, errno: e.errno, message: e.message, isSQLiteError: e instanceof window.api.SQLiteError };
    }
  });
  assert.equal(r.code, 'SQLITE_WORKER_PERSISTENCE_UNAVAILABLE');
  assert.equal(r.errno, SQLITE_WORKER_PERSISTENCE_UNAVAILABLE);
  assert.equal(r.isSQLiteError, true);
  assert.match(r.message, /persistence unavailable/);
});
