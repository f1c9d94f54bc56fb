// bundlers.test.mjs — the library in apps built by webpack 5 and by esbuild, as
// vite.test.mjs does for Vite: `npm pack` of this package, a fresh app per bundler (in a
// temporary directory) that imports 'sqlite-worker', installs the tarball and the
// bundler with npm (at the versions this package pins as devDependencies, so npm's cache
// has them), builds with the bundler's JavaScript API, and is served by server.mjs to
// the browser under test, where it opens an OPFS database, runs a query and writes the
// result into the page.
//
// What it proves: no file the browser loads imports anything of Node (webpack 5 fails on
// a `node:` scheme); webpack 5 turns the worker (`new Worker(new URL(…,
// import.meta.url))`) into a chunk and the wasm into an asset with no configuration;
// esbuild leaves those URLs as they are, so the app ships dist/worker.js,
// dist/sqlite-worker.wasm and dist/sqlite-worker-fts5.wasm beside its bundle, as the
// README says. The app uses FTS5, so the module fetched when first needed ships too.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './server.mjs';
import { bounded, port } from './driver.mjs';
import { INSTALL_APP_MS, appExpected, appMain, closeApp, installApp, openApp, run } from './apps.mjs';

const PORT = port(8728);
const DEV = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).devDependencies;
const BUILD_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 30_000;
const T = { timeout: 60_000 };
const LABEL = 'app 😀';
const EXPECTED = appExpected(LABEL);

// The app's page: the same for both bundlers.
const INDEX_HTML = `<!doctype html>
<meta charset="utf-8">
<title>sqlite-worker in a bundled app</title>
<p id="result">pending</p>
<script type="module" src="./main.js"></script>
`;

// Each bundler's build script (run with node in the app), into www/<bundler>/.
const BUNDLERS = {
  webpack: {
    build: `import webpack from 'webpack';
import path from 'node:path';
const compiler = webpack({
  mode: 'production',
  entry: './main.js',
  output: { path: path.resolve('www/webpack'), filename: 'main.js', clean: true },
});
compiler.run((err, stats) => {
  if (err || stats.hasErrors()) {
    console.error(err ?? stats.toString({ all: false, errors: true }));
    process.exit(1);
  }
  compiler.close(() => {});
});
`,
  },
  esbuild: {
    // esbuild bundles the API and leaves new URL('./worker.js', import.meta.url) as it is:
    // the worker and the wasm are copied beside the bundle.
    build: `import * as esbuild from 'esbuild';
import fs from 'node:fs';
await esbuild.build({ entryPoints: ['main.js'], bundle: true, format: 'esm', outfile: 'www/esbuild/main.js', logLevel: 'error' });
for (const f of ['worker.js', 'sqlite-worker.wasm', 'sqlite-worker-fts5.wasm']) fs.copyFileSync('node_modules/sqlite-worker/dist/' + f, 'www/esbuild/' + f);
`,
  },
};

let tmp = null;
let opened = null;
let page = null;
let server = null;
let responses = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlw-bundlers-'));
  const files = { 'package.json': JSON.stringify({ name: 'sqlw-bundled-app', private: true, type: 'module' }),
    'main.js': appMain('bundled-app.db', LABEL) };
  for (const [name, { build }] of Object.entries(BUNDLERS)) files[`build-${name}.mjs`] = build;
  const app = await installApp(ROOT, tmp, files, [`webpack@${DEV.webpack}`, `esbuild@${DEV.esbuild}`]);
  for (const name of Object.keys(BUNDLERS)) {
    fs.mkdirSync(path.join(app, 'www', name), { recursive: true });
    await run(process.execPath, [`build-${name}.mjs`], { cwd: app, timeoutMs: BUILD_TIMEOUT_MS });
    fs.writeFileSync(path.join(app, 'www', name, 'index.html'), INDEX_HTML);
  }
  opened = await openApp(path.join(app, 'www'), PORT, tmp, STEP_TIMEOUT_MS);
  ({ page, server, responses } = opened);
}, { timeout: INSTALL_APP_MS + 2 * BUILD_TIMEOUT_MS + 3 * STEP_TIMEOUT_MS });

after(() => closeApp(opened, tmp));

test('100 webpack 5 emits the worker as a chunk and the wasm as an asset, with no configuration', T, () => {
  const files = fs.readdirSync(path.join(tmp, 'app', 'www', 'webpack'));
  assert.ok(files.some((f) => f.endsWith('.wasm')), `no wasm among ${files.join(', ')}`);
  assert.ok(files.filter((f) => f.endsWith('.js')).length >= 2, `no worker chunk among ${files.join(', ')}`);
});

for (const [number, name] of [['110', 'webpack'], ['120', 'esbuild']]) {
  test(`${number} the ${name} app runs its query`, T, async () => {
    responses.length = 0;
    await bounded(page.goto(`${server.origin}/${name}/index.html`, { waitUntil: 'load' }), STEP_TIMEOUT_MS, `opening the ${name} app`);
    await bounded(page.waitForFunction(() => document.getElementById('result')?.textContent !== 'pending'),
      STEP_TIMEOUT_MS, `the ${name} app's query`);
    assert.equal(await page.$eval('#result', (e) => e.textContent), EXPECTED);
    const loaded = responses.filter((r) => r.url.startsWith('http') && !r.url.endsWith('/favicon.ico'));
    assert.ok(loaded.some((r) => r.url.endsWith('.wasm')), `the ${name} app loaded no wasm`);
    for (const r of loaded) assert.equal(r.status, 200, `${r.url}: HTTP ${r.status}`);
  });
}
