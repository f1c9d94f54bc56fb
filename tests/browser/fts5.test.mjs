// fts5.test.mjs — FTS5 as a module of its own (src/js/link.js) in the browser: the page
// downloads dist/sqlite-worker-fts5.wasm only when a statement first names FTS5 (the
// worker fetches it synchronously, in the middle of the prepare), once per worker; an
// FTS5 table on OPFS is searched again after a reload (the module is linked when the
// query fails to prepare without it); without the module a statement fails with SQLite's
// "no such module: fts5" and the database goes on.
//
// In the browser SQLW_BROWSER names (driver.mjs).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from './server.mjs';
import { bounded, launchBrowser, closeBrowser, port } from './driver.mjs';

const PORT = port(8742);
const PAGE = '/tests/browser/fixtures/api.html';
const FTS5 = '/dist/sqlite-worker-fts5.wasm';
const STEP_TIMEOUT_MS = 30_000;
const T = { timeout: 90_000 };

let server = null;
let browser = null;
let profile = null;
let page = null;
const requests = [];

/* Loads the fixture page afresh (a reload: a new worker). */
async function load() {
  await bounded(page.goto(server.origin + PAGE, { waitUntil: 'load' }), STEP_TIMEOUT_MS, 'opening the page');
  await bounded(page.waitForFunction(() => window.apiReady === true), STEP_TIMEOUT_MS, 'the page script');
}

/* Runs fn(api, ...args) in the page; resolves with its value or { error: { code, message } }. */
function inPage(fn, ...args) {
  return bounded(page.evaluate(async (src, a) => {
    try {
      return await (0, eval)(src)(window.api, ...a);
    } catch (e) {
      return { error: { code: e?.code, message: e?.message } };
    }
  }, fn.toString(), args), STEP_TIMEOUT_MS, 'the page');
}

const fetchedFts5 = () => requests.filter((p) => p === FTS5).length;

before(async () => {
  server = await startServer({ port: PORT, onRequest: (p) => requests.push(p) });
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlw-fts5-'));
  browser = await launchBrowser(profile, { protocolTimeout: STEP_TIMEOUT_MS });
  page = (await browser.pages())[0] ?? await browser.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await load();
});

after(async () => {
  if (browser) await closeBrowser(browser);
  if (server) await server.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

test('100 a page that never names FTS5 never downloads it; the first statement that does fetches it once', T, async () => {
  const plain = await inPage(async (api) => {
    const db = await api.openDatabase('fts5-a.db', { persistence: 'opfs' });
    await db.exec('CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)');
    await db.runMany('INSERT INTO notes(body) VALUES (?)', [['the quick brown fox'], ['jumps over'], ['the lazy dog']]);
    const n = (await db.get('SELECT count(*) AS n FROM notes')).n;
    await db.close();
    return n;
  });
  assert.equal(plain, 3);
  assert.equal(fetchedFts5(), 0, `requests: ${requests.join(' ')}`);
  const found = await inPage(async (api) => {
    const db = await api.openDatabase('fts5-a.db', { persistence: 'opfs' });
    await db.exec(`CREATE VIRTUAL TABLE notes_fts USING fts5(body, content='notes', content_rowid='id');
      INSERT INTO notes_fts(notes_fts) VALUES ('rebuild')`);
    const hits = await db.all("SELECT rowid, highlight(notes_fts, 0, '[', ']') AS h FROM notes_fts WHERE notes_fts MATCH 'the' ORDER BY rowid");
    const again = await db.all("SELECT rowid FROM notes_fts WHERE notes_fts MATCH 'dog'");
    await db.close();
    return { hits, again };
  });
  assert.deepEqual(found, {
    hits: [{ rowid: 1, h: '[the] quick brown fox' }, { rowid: 3, h: '[the] lazy dog' }],
    again: [{ rowid: 3 }],
  });
  assert.equal(fetchedFts5(), 1);
});

test('110 after a reload, a query of the FTS5 table on OPFS links the module again and finds the rows', T, async () => {
  await load();
  const before = fetchedFts5();
  const r = await inPage(async (api) => {
    const db = await api.openDatabase('fts5-a.db', { persistence: 'opfs' });
    const rows = await db.all("SELECT rowid FROM notes_fts WHERE notes_fts MATCH 'quick OR lazy' ORDER BY rowid");
    const { lastInsertRowid } = await db.run("INSERT INTO notes(body) VALUES ('a quick one')");
    await db.run("INSERT INTO notes_fts(rowid, body) VALUES (?, 'a quick one')", [lastInsertRowid]);
    const quick = await db.all("SELECT rowid FROM notes_fts WHERE notes_fts MATCH 'quick' ORDER BY rowid");
    await db.close();
    return { rows, quick };
  });
  assert.deepEqual(r, { rows: [{ rowid: 1 }, { rowid: 3 }], quick: [{ rowid: 1 }, { rowid: 4 }] });
  assert.equal(fetchedFts5() - before, 1, 'one fetch by the new worker');
});

test('120 without the module: "no such module: fts5", and the database goes on', T, async () => {
  await load();
  // wasmUrl moves the core (here: the same module before wasm-opt): FTS5's is looked
  // for beside it, where there is none.
  const r = await inPage(async (api) => {
    const db = await api.openDatabase('fts5-b.db', { persistence: 'opfs', wasmUrl: '/build/wasm/sqlite-worker.raw.wasm' });
    const out = {};
    try {
      await db.exec('CREATE VIRTUAL TABLE t USING fts5(x)');
      out.created = true;
    } catch (e) {
      out.error = { code: e.code, message: e.message };
    }
    out.after = await db.get('SELECT 6 * 7 AS n');
    await db.close();
    return out;
  });
  assert.equal(r.created, undefined);
  assert.deepEqual(r.error, { code: 'SQLITE_ERROR', message: 'no such module: fts5' });
  assert.deepEqual(r.after, { n: 42 });
});
