// private.test.mjs — a private window: Firefox with private browsing on (every window
// private), Chromium in an incognito (off-the-record) context. Whatever the browser
// decides about OPFS there, persistence must be explicit (design.md): 'auto' says
// whether it got OPFS and why not, 'opfs' either works or refuses with
// SQLITE_WORKER_PERSISTENCE_UNAVAILABLE, the two agree, and the database works either
// way. What each browser did is printed (README "Browser support" records it).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from './server.mjs';
import { BROWSER, bounded, launchBrowser, closeBrowser, port } from './driver.mjs';

const PORT = port(8724);
const T = { timeout: 60_000 };
const WAIT_MS = 30_000;

let server = null;
let browser = null;
let profile = null;
let page = null;

before(async () => {
  server = await startServer({ port: PORT });
  profile = fs.mkdtempSync(path.join(os.tmpdir(), `sqlw-private-${BROWSER}-`));
  browser = await launchBrowser(profile, { privateBrowsing: BROWSER === 'firefox' });
  // Chromium: a new browser context is an incognito one.
  const context = BROWSER === 'firefox' ? browser.defaultBrowserContext() : await browser.createBrowserContext();
  page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await bounded(page.goto(`${server.origin}/tests/browser/fixtures/api.html`, { waitUntil: 'load' }), WAIT_MS, 'opening the fixture');
  await bounded(page.waitForFunction(() => window.apiReady === true, { polling: 50 }), WAIT_MS, 'the fixture');
});

after(async () => {
  if (browser) await closeBrowser(browser);
  if (server) await server.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

test('100 a private window: persistence is explicit, and the database works either way', T, async (t) => {
  const r = await bounded(page.evaluate(async () => {
    const { openDatabase } = window.api;
    const auto = await openDatabase('private-auto');
    await auto.exec('CREATE TABLE IF NOT EXISTS t(x); DELETE FROM t; INSERT INTO t VALUES (1), (2)');
    const out = {
      persistent: auto.persistent, why: auto.persistenceError,
      rows: await auto.all('SELECT x FROM t ORDER BY x'), isLeader: auto.isLeader,
    };
    await auto.close();
    try {
      const opfs = await openDatabase('private-opfs', { persistence: 'opfs' });
      await opfs.exec('CREATE TABLE IF NOT EXISTS t(x); DELETE FROM t; INSERT INTO t VALUES (3)');
      out.opfs = { opened: true, rows: await opfs.all('SELECT x FROM t') };
      await opfs.close();
    } catch (e) {
      out.opfs = { opened: false, code: e.code, message: e.message };
    }
    return out;
  }), WAIT_MS, 'the private window scenario');
  assert.deepEqual(r.rows, [{ x: 1 }, { x: 2 }]);
  assert.equal(r.isLeader, true);
  if (r.persistent) {
    assert.equal(r.why, null);
    assert.deepEqual(r.opfs, { opened: true, rows: [{ x: 3 }] });
  } else {
    assert.match(r.why, /^persistence unavailable: /);
    assert.equal(r.opfs.opened, false);
    assert.equal(r.opfs.code, 'SQLITE_WORKER_PERSISTENCE_UNAVAILABLE');
  }
  t.diagnostic(`${BROWSER} private window: ${r.persistent ? 'OPFS available (persistent: true)' : `no OPFS: ${r.why}`}`);
});
