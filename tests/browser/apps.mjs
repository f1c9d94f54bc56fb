// apps.mjs — what the tests that build an app from the packed library share
// (vite.test.mjs, bundlers.test.mjs): commands bounded in time, the app's code, packing
// and installing it, serving it to the browser under test.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from './server.mjs';
import { launchBrowser, closeBrowser } from './driver.mjs';

/*
** Runs `command args` in `cwd`, in a process group of its own so that a timeout ends it
** and every process it started. Resolves with its stdout. Rejects when it exits non-zero,
** or after timeoutMs, with an Error carrying the end of its output.
*/
export function run(command, args, { cwd, timeoutMs }) {
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

const PACK_TIMEOUT_MS = 60_000;
const INSTALL_TIMEOUT_MS = 240_000;
/** How long packing the library and installing an app may take, in all. */
export const INSTALL_APP_MS = PACK_TIMEOUT_MS + INSTALL_TIMEOUT_MS;

/*
** The app's code: opens an OPFS database `dbName`, writes three rows (the last labelled
** `label`), reads them back and puts what it read (or the error) into #result.
*/
export function appMain(dbName, label) {
  return `import { openDatabase } from 'sqlite-worker';

async function main() {
  const out = document.getElementById('result');
  try {
    const db = await openDatabase(${JSON.stringify(dbName)}, { persistence: 'opfs' });
    await db.exec('CREATE TABLE IF NOT EXISTS t(n INTEGER, label TEXT, data BLOB); DELETE FROM t');
    await db.runMany('INSERT INTO t VALUES (?, ?, ?)', [[10, 'a', null], [20n, 'b', null], [30, ${JSON.stringify(label)}, new Uint8Array([1, 2, 3])]]);
    const r = await db.get('SELECT count(*) AS c, sum(n) AS s, (SELECT label FROM t ORDER BY n DESC LIMIT 1) AS last, (SELECT data FROM t WHERE data IS NOT NULL) AS data FROM t');
    // FTS5, a module of its own the worker fetches when first named: the bundle ships it.
    await db.exec("CREATE VIRTUAL TABLE IF NOT EXISTS f USING fts5(body); DELETE FROM f; INSERT INTO f VALUES ('quick brown fox'), ('lazy dog')");
    const hit = await db.get("SELECT body FROM f WHERE f MATCH 'fox'");
    await db.close();
    out.textContent = \`rows: \${r.c}, sum: \${r.s}, last: \${r.last}, blob: \${r.data.length} bytes, fts5: \${hit.body}\`;
  } catch (e) {
    out.textContent = \`error: \${e.code} \${e.message}\`;
  }
}
main();
`;
}

/* What appMain's page shows once its query ran. */
export function appExpected(label) {
  return `rows: 3, sum: 60, last: ${label}, blob: 3 bytes, fts5: quick brown fox`;
}

/*
** Packs this package (`npm pack`) into tmp and installs the tarball and `deps` (npm specs)
** into a new app tmp/app made of `files` ({ name: text }). Returns the app's directory.
*/
export async function installApp(root, tmp, files, deps) {
  const packed = JSON.parse(await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp],
    { cwd: root, timeoutMs: PACK_TIMEOUT_MS }));
  const app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(app, name), text);
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--save-exact',
    path.join(tmp, packed[0].filename), ...deps], { cwd: app, timeoutMs: INSTALL_TIMEOUT_MS });
  return app;
}

/*
** Serves `www` on `port` and opens a browser (profile under tmp). Returns { server,
** browser, page, responses } (responses: every response the page got, { url, status }).
*/
export async function openApp(www, port, tmp, stepMs) {
  const server = await startServer({ port, root: www });
  const browser = await launchBrowser(path.join(tmp, 'profile'), { protocolTimeout: stepMs });
  const page = (await browser.pages())[0] ?? await browser.newPage();
  const responses = [];
  page.on('response', (r) => responses.push({ url: r.url(), status: r.status() }));
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  return { server, browser, page, responses };
}

/* Closes what openApp opened (any part may be missing) and removes tmp. */
export async function closeApp(opened, tmp) {
  if (opened?.browser) await closeBrowser(opened.browser);
  if (opened?.server) await opened.server.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}
