// webkit.test.mjs — the WebKit leg: Debian's WebKitGTK (MiniBrowser) under Xvfb, driven by
// classic W3C WebDriver over HTTP (WebKitWebDriver; no BiDi, so no puppeteer). WebKit on
// Linux has no OPFS sync access handles (WebKit implements them on Apple platforms only),
// so this leg runs what does not need them: the API on JavaScriptCore through the memory
// fallback, the fallback's reason, 'opfs' refused clearly, the one-file build, and the
// demo's memory state. Skipped, and said so, where WebKitWebDriver or Xvfb is missing.

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { startServer } from '../browser/server.mjs';

const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const DISPLAY_NUMBER = 97;
const DRIVER_PORT = 8797;
const SERVER_PORT = 8798;
const CALL_MS = 60_000;
const present = fs.existsSync('/usr/bin/WebKitWebDriver') && fs.existsSync('/usr/bin/Xvfb') && fs.existsSync(MINIBROWSER);
const T = { timeout: 120_000, skip: present ? false : 'WebKitWebDriver, Xvfb or MiniBrowser is not installed' };

const children = [];
let server = null;
let session = null;
const driver = `http://127.0.0.1:${DRIVER_PORT}`;

/* A WebDriver command: method, path (under /session/<id> when `inSession`), body. */
async function wd(method, path, body, inSession = true) {
  const url = `${driver}${inSession ? `/session/${session}` : ''}${path}`;
  const res = await fetch(url, {
    method, headers: { 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(CALL_MS),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
  return json.value;
}

/* Polls fn until it returns true or ms pass. */
async function until(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await fn()) return;
    } catch {
      // Not up yet.
    }
    if (Date.now() > end) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/*
** Runs async function fn (its source) in the page with args; resolves with its value, or
** { thrown: { name, code, message } } when it throws.
*/
function inPage(fn, ...args) {
  const script = `const done = arguments[arguments.length - 1];
    const f = (0, eval)(${JSON.stringify(`(${fn})`)});
    f(...Array.prototype.slice.call(arguments, 0, -1)).then(done,
      (e) => done({ thrown: { name: e && e.name, code: e && e.code, message: String(e && e.message) } }));`;
  return wd('POST', '/execute/async', { script, args });
}

/* Opens `path` of the test server and waits until window[flag] is true. */
async function load(path, flag) {
  await wd('POST', '/url', { url: `http://127.0.0.1:${SERVER_PORT}${path}` });
  await until(async () => (await wd('POST', '/execute/sync', { script: `return window.${flag} === true;`, args: [] })) === true,
    30_000, `${path} to load`);
}

before(async () => {
  if (!present) return;
  server = await startServer({ port: SERVER_PORT });
  const xvfb = spawn('Xvfb', [`:${DISPLAY_NUMBER}`, '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
  children.push(xvfb);
  await until(() => fs.existsSync(`/tmp/.X11-unix/X${DISPLAY_NUMBER}`), 10_000, 'Xvfb to start');
  const wdp = spawn('WebKitWebDriver', [`--port=${DRIVER_PORT}`], {
    stdio: 'ignore', env: { ...process.env, DISPLAY: `:${DISPLAY_NUMBER}` },
  });
  children.push(wdp);
  await until(async () => (await wd('GET', '/status', null, false)).ready === true, 10_000, 'WebKitWebDriver to start');
  const s = await wd('POST', '/session', {
    capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } } },
  }, false);
  session = s.sessionId;
  await wd('POST', '/timeouts', { script: CALL_MS });
});

after(async () => {
  if (session) await wd('DELETE', '').catch(() => {});
  for (const c of children.reverse()) c.kill();
  await server?.close();
});

test('100 WebKit: the API on JavaScriptCore in memory: values, errors with codes, a transaction, export and import, FTS5', T, async () => {
  await load('/tests/browser/fixtures/api.html', 'apiReady');
  const r = await inPage(async () => {
    const { openDatabase } = window.api;
    const db = await openDatabase('wk-api');
    await db.exec('CREATE TABLE t(i INTEGER PRIMARY KEY, x)');
    const values = [null, 42, -(2n ** 63n), 2n ** 53n, 0.5, 'héllo 😀', new Uint8Array([0, 255, 7])];
    await db.runMany('INSERT INTO t(x) VALUES (?)', values.map((v) => [v]));
    const rows = await db.all('SELECT x, typeof(x) AS t FROM t ORDER BY i');
    const shown = rows.map((row) => [typeof row.x === 'bigint' ? `${row.x}n` : row.x instanceof Uint8Array ? Array.from(row.x) : row.x, row.t]);
    const unique = await db.exec('CREATE TABLE u(k UNIQUE); INSERT INTO u VALUES (1), (1)').catch((e) => `${e.code} ${e.errno}`);
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO t(x) VALUES (?)', ['in tx']);
    });
    const rolled = await db.transaction(async (tx) => {
      await tx.run('INSERT INTO t(x) VALUES (?)', ['rolled back']);
      throw new Error('no');
    }).catch((e) => e.message);
    const image = await db.export();
    const copy = await openDatabase('wk-copy', { persistence: 'memory' });
    await copy.import(image);
    const copied = await copy.get('SELECT count(*) AS n FROM t');
    // FTS5: the worker fetches its module (a synchronous request) when first named.
    await db.exec("CREATE VIRTUAL TABLE f USING fts5(body); INSERT INTO f VALUES ('webkit finds this'), ('not that')");
    const fts5 = await db.all("SELECT body FROM f WHERE f MATCH 'finds'");
    const result = {
      persistent: db.persistent, reason: db.persistenceError, shown, unique, rolled, copied, fts5,
      inTx: await db.get("SELECT count(*) AS n FROM t WHERE x = 'in tx'"),
    };
    await copy.close();
    await db.close();
    return result;
  });
  assert.ok(!r.thrown, JSON.stringify(r.thrown));
  assert.equal(r.persistent, false);
  assert.match(r.reason, /persistence unavailable/);
  assert.deepEqual(r.fts5, [{ body: 'webkit finds this' }]);
  assert.deepEqual(r.shown, [[null, 'null'], [42, 'integer'], ['-9223372036854775808n', 'integer'], ['9007199254740992n', 'integer'],
    [0.5, 'real'], ['héllo 😀', 'text'], [[0, 255, 7], 'blob']]);
  assert.equal(r.unique, 'SQLITE_CONSTRAINT_UNIQUE 2067');
  assert.equal(r.rolled, 'no');
  assert.deepEqual(r.inTx, { n: 1 });
  assert.deepEqual(r.copied, { n: 8 });
});

test('110 WebKit: persistence \'opfs\' rejects with SQLITE_WORKER_PERSISTENCE_UNAVAILABLE and its reason; nothing is left in OPFS', T, async () => {
  await load('/tests/browser/fixtures/api.html', 'apiReady');
  const r = await inPage(async () => {
    const out = await window.api.openDatabase('wk-opfs', { persistence: 'opfs' }).then(() => 'opened', (e) => ({ code: e.code, message: e.message }));
    let entries = null;
    if (navigator.storage?.getDirectory) {
      const root = await navigator.storage.getDirectory().catch(() => null);
      if (root) {
        entries = [];
        for await (const [name] of root.entries()) entries.push(name);
      }
    }
    return { out, entries };
  });
  assert.equal(r.out.code, 'SQLITE_WORKER_PERSISTENCE_UNAVAILABLE', JSON.stringify(r));
  assert.match(r.out.message, /persistence unavailable: /);
  assert.ok(r.entries === null || !r.entries.includes('sqlite-worker'), JSON.stringify(r.entries));
});

test('120 WebKit: the one-file build runs an app in memory', T, async () => {
  await load('/tests/browser/fixtures/single.html', 'singleReady');
  const r = await inPage(async () => {
    const { openDatabase } = await import('/dist/sqlite-worker.single.js');
    const db = await openDatabase('wk-single');
    await db.exec('CREATE TABLE t(a, b)');
    await db.run('INSERT INTO t VALUES (?, ?)', [2n ** 62n, 'ünï']);
    const row = await db.get('SELECT a, b FROM t');
    await db.exec("CREATE VIRTUAL TABLE f USING fts5(b); INSERT INTO f SELECT b FROM t");
    const hit = await db.get("SELECT b FROM f WHERE f MATCH 'ünï'");
    const out = { persistent: db.persistent, a: `${row.a}`, b: row.b, fts5: hit?.b };
    await db.close();
    return out;
  });
  assert.deepEqual(r, { persistent: false, a: '4611686018427387904', b: 'ünï', fts5: 'ünï' });
});

test('130 WebKit: the demo opens in memory and says why', T, async () => {
  await wd('POST', '/url', { url: `http://127.0.0.1:${SERVER_PORT}/demo/index.html` });
  let state = null;
  await until(async () => {
    state = await wd('POST', '/execute/sync', {
      script: "const e = document.getElementById('status-storage'); return e ? [e.dataset.state || null, e.textContent] : null;", args: [],
    });
    return state && state[0] === 'memory';
  }, 30_000, 'the demo to show its storage');
  assert.match(state[1], /^memory — not persistent: persistence unavailable/);
});
