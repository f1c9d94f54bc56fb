// single.test.mjs — the self-contained single-file build, dist/sqlite-worker.single.js:
// a page that imports only that file (fixtures/single.html) opens an OPFS database,
// writes and reads rows with bound parameters, searches them with FTS5, and closes, while
// the browser fetches nothing but the page and that file: no worker.js, no wasm.
//
// In the browser SQLW_BROWSER names (driver.mjs).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from './server.mjs';
import { bounded, launchBrowser, closeBrowser, port } from './driver.mjs';

const PORT = port(8719);
const PAGE = '/tests/browser/fixtures/single.html';
const SINGLE = '/dist/sqlite-worker.single.js';
const STEP_TIMEOUT_MS = 30_000;
const T = { timeout: 90_000 };

let server = null;
let browser = null;
let profile = null;
let page = null;
const requests = [];
let scenarioRan = false;

before(async () => {
  server = await startServer({ port: PORT });
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlw-single-'));
  browser = await launchBrowser(profile, { protocolTimeout: STEP_TIMEOUT_MS });
  page = (await browser.pages())[0] ?? await browser.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await bounded(page.goto(server.origin + PAGE, { waitUntil: 'load' }), STEP_TIMEOUT_MS, 'opening the page');
  await bounded(page.waitForFunction(() => window.singleReady === true), STEP_TIMEOUT_MS, 'the page script');
});

after(async () => {
  if (browser) await closeBrowser(browser);
  if (server) await server.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

test('100 the single file has the exports of dist/index.js', T, async () => {
  const modular = await import('../../dist/index.js');
  const single = await import('../../dist/sqlite-worker.single.js');
  assert.deepEqual(Object.keys(single).sort(), Object.keys(modular).sort());
});

test('110 an OPFS database: create, insert with parameters, read back, FTS5, close', T, async () => {
  const r = await bounded(page.evaluate(() => window.runScenario('single.db')), STEP_TIMEOUT_MS, 'the scenario');
  scenarioRan = true;
  assert.equal(r.error, undefined, JSON.stringify(r.error));
  assert.equal(r.persistent, true);
  assert.deepEqual(r.fts5, ['héllo 😀']);
  assert.deepEqual(r.rows, [
    { id: 1, big: { bigint: String(2n ** 62n + 1n) }, t: 'integer', label: 'héllo 😀', data: { bytes: [0, 1, 254, 255] }, score: 0.5 },
    { id: 2, big: { bigint: String(-(2n ** 63n)) }, t: 'integer', label: '', data: { bytes: [] }, score: -1.25 },
    { id: 3, big: 7, t: 'integer', label: 'x', data: null, score: null },
    { id: 4, big: { bigint: String(2n ** 53n) }, t: 'integer', label: 'y', data: { bytes: [9] }, score: 1e300 },
  ]);
});

test('120 the page fetched only itself and the single file', T, async () => {
  assert.ok(scenarioRan, 'case 110 must run first: it starts the worker and loads the wasm');
  const fetched = requests.filter((u) => !u.startsWith('blob:') && !u.endsWith('/favicon.ico'))
    .map((u) => new URL(u).pathname);
  assert.ok(!fetched.some((p) => /worker\.js$|\.wasm$/.test(p)), `worker or wasm fetched: ${fetched.join(', ')}`);
  assert.deepEqual(fetched, [PAGE, SINGLE]);
});
