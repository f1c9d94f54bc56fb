// vite.test.mjs — the library as an app installs and bundles it: `npm pack` of this
// package, a fresh Vite app (in a temporary directory) that imports 'sqlite-worker',
// installs the tarball and Vite with npm, builds with a non-root base ('/sub/path/'), and
// is served from that sub-path by server.mjs (correct MIME types, no COOP/COEP headers)
// to the browser under test (SQLW_BROWSER, driver.mjs), where it opens an OPFS database, runs a query and writes the
// result into the page.
//
// What it proves: the package's `files` carry everything a bundler needs; Vite finds the
// worker (spawn.js's `new Worker(new URL(…, import.meta.url), …)`) and the wasm beside
// it (worker.js's `new URL('./sqlite-worker.wasm', import.meta.url)`) and emits both as
// assets; the built app works below a sub-path.
//
// Vite is installed at the version this package pins as a devDependency, so `npm ci`
// has put it in npm's cache and `npm install --prefer-offline` finds it there; on a
// machine whose cache lacks it, npm fetches it from the registry. Every step is bounded
// in time, and the temporary directory, the server and the browser are removed even
// when a step fails.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './server.mjs';
import { bounded, port } from './driver.mjs';
import { INSTALL_APP_MS, appExpected, appMain, closeApp, installApp, openApp, run } from './apps.mjs';

const PORT = port(8720);
const BASE = '/sub/path/';
const VITE_VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).devDependencies.vite;
const BUILD_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 30_000;
const T = { timeout: 60_000 };
const LABEL = 'vite 😀';
const EXPECTED = appExpected(LABEL);

// The app: what a developer writes after `npm create vite`, reduced to one query.
const APP_FILES = {
  'package.json': JSON.stringify({ name: 'sqlw-vite-app', private: true, type: 'module' }, null, 2),
  'vite.config.js': `export default {
  base: '${BASE}',
  // Built straight into the tree the test serves, so the files sit below the sub-path.
  build: { outDir: 'www${BASE}', emptyOutDir: true },
};
`,
  'index.html': `<!doctype html>
<meta charset="utf-8">
<title>sqlite-worker in a Vite app</title>
<p id="result">pending</p>
<script type="module" src="./main.js"></script>
`,
  'main.js': appMain('vite-app.db', LABEL),
};

let tmp = null;
let opened = null;
let page = null;
let server = null;
let responses = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlw-vite-'));
  const app = await installApp(ROOT, tmp, APP_FILES, [`vite@${VITE_VERSION}`]);
  await run(process.execPath, [path.join(app, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'],
    { cwd: app, timeoutMs: BUILD_TIMEOUT_MS });
  opened = await openApp(path.join(app, 'www'), PORT, tmp, STEP_TIMEOUT_MS);
  ({ page, server, responses } = opened);
}, { timeout: INSTALL_APP_MS + BUILD_TIMEOUT_MS + 3 * STEP_TIMEOUT_MS });

after(() => closeApp(opened, tmp));

test('100 vite emits the worker and the wasm as assets of the build', T, () => {
  const assets = fs.readdirSync(path.join(tmp, `app/www${BASE}assets`));
  assert.ok(assets.some((f) => f.endsWith('.wasm')), `no wasm among ${assets.join(', ')}`);
  assert.ok(assets.some((f) => /^worker.*\.js$/.test(f)), `no worker script among ${assets.join(', ')}`);
});

test('110 the built app, served below a sub-path, runs its query', T, async () => {
  await bounded(page.goto(`${server.origin}${BASE}index.html`, { waitUntil: 'load' }), STEP_TIMEOUT_MS, 'opening the app');
  await bounded(page.waitForFunction(() => document.getElementById('result')?.textContent !== 'pending'),
    STEP_TIMEOUT_MS, 'the app\'s query');
  assert.equal(await page.$eval('#result', (e) => e.textContent), EXPECTED);
});

test('120 every file the app loaded came from below the sub-path', T, () => {
  const loaded = responses.filter((r) => r.url.startsWith('http') && !r.url.endsWith('/favicon.ico'));
  assert.ok(loaded.some((r) => r.url.endsWith('.wasm')), 'the wasm was not loaded (did case 110 run?)');
  for (const r of loaded) {
    assert.ok(new URL(r.url).pathname.startsWith(BASE), `${r.url} is outside ${BASE}`);
    assert.equal(r.status, 200, `${r.url}: HTTP ${r.status}`);
  }
});
