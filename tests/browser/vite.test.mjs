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
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, ROOT } from './server.mjs';
import { bounded, launchBrowser, closeBrowser, port } from './driver.mjs';

const PORT = port(8720);
const BASE = '/sub/path/';
const VITE_VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).devDependencies.vite;
const PACK_TIMEOUT_MS = 60_000;
const INSTALL_TIMEOUT_MS = 240_000;
const BUILD_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 30_000;
const T = { timeout: 60_000 };
const EXPECTED = 'rows: 3, sum: 60, last: vite 😀, blob: 3 bytes';

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
  'main.js': `import { openDatabase } from 'sqlite-worker';

async function main() {
  const out = document.getElementById('result');
  try {
    const db = await openDatabase('vite-app.db', { persistence: 'opfs' });
    await db.exec('CREATE TABLE IF NOT EXISTS t(n INTEGER, label TEXT, data BLOB); DELETE FROM t');
    await db.runMany('INSERT INTO t VALUES (?, ?, ?)', [[10, 'a', null], [20n, 'b', null], [30, 'vite 😀', new Uint8Array([1, 2, 3])]]);
    const r = await db.get('SELECT count(*) AS c, sum(n) AS s, (SELECT label FROM t ORDER BY n DESC LIMIT 1) AS last, (SELECT data FROM t WHERE data IS NOT NULL) AS data FROM t');
    await db.close();
    out.textContent = \`rows: \${r.c}, sum: \${r.s}, last: \${r.last}, blob: \${r.data.length} bytes\`;
  } catch (e) {
    out.textContent = \`error: \${e.code} \${e.message}\`;
  }
}
main();
`,
};

let tmp = null;
let server = null;
let browser = null;
let page = null;
const responses = [];

/*
** Runs `command args` in `cwd`, in a process group of its own so that a timeout ends it
** and every process it started. Resolves with its stdout. Rejects when it exits non-zero,
** or after timeoutMs, with an Error carrying the end of its output.
*/
function run(command, args, { cwd, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const what = `${path.basename(command)} ${args.join(' ')}`;
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone: the close event settles the promise.
      }
      reject(new Error(`${what} took more than ${timeoutMs} ms\n${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${what} exited with ${code}\n${(stdout + stderr).slice(-4000)}`));
    });
  });
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlw-vite-'));
  const packed = JSON.parse(await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp],
    { cwd: ROOT, timeoutMs: PACK_TIMEOUT_MS }));
  const tarball = path.join(tmp, packed[0].filename);

  const app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  for (const [name, text] of Object.entries(APP_FILES)) fs.writeFileSync(path.join(app, name), text);
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--save-exact', tarball, `vite@${VITE_VERSION}`],
    { cwd: app, timeoutMs: INSTALL_TIMEOUT_MS });
  await run(process.execPath, [path.join(app, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'],
    { cwd: app, timeoutMs: BUILD_TIMEOUT_MS });

  server = await startServer({ port: PORT, root: path.join(app, 'www') });
  browser = await launchBrowser(path.join(tmp, 'profile'), { protocolTimeout: STEP_TIMEOUT_MS });
  page = (await browser.pages())[0] ?? await browser.newPage();
  page.on('response', (r) => responses.push({ url: r.url(), status: r.status() }));
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
}, { timeout: PACK_TIMEOUT_MS + INSTALL_TIMEOUT_MS + BUILD_TIMEOUT_MS + 3 * STEP_TIMEOUT_MS });

after(async () => {
  if (browser) await closeBrowser(browser);
  if (server) await server.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

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
