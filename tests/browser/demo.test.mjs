// demo.test.mjs — the demo (make demo) in the browser under test (SQLW_BROWSER): scripts/serve.mjs started
// in-process, demo/index.html opened on a new profile. Every button of the page is
// pressed and its rendered result checked (rows, values, types, error codes); the SQL
// editor runs with Ctrl+Enter; the data survives a reload; a database exported through
// a real download comes back through the file picker after a reset; the layout holds at
// 1280×800 and at phone width; "Open another tab" opens a second tab that follows, and
// takes over when the first closes (a query in flight then says it was served during a
// leader change); a user added through the Live panel of one tab shows in the other's
// panel, with no reload, and a commit to another table does not run its live query
// again; nothing is logged to the console. Screenshots go to build/artifacts/demo/ (not
// committed).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HAS_CDP, bounded, launchBrowser, closeBrowser, port } from './driver.mjs';
import { startDemoServer } from '../../scripts/serve.mjs';

const PORT = port(8721);
const T = { timeout: 90_000 };
const WAIT_MS = 30_000;          // one wait for the page (an action, the open, a download)
const FLIP_MS = 5_000;
// waitForFunction polls on a timer: by default it polls on animation frames, which a tab
// in the background (and Firefox after a reload, headless) does not run.
const POLL_MS = 50;           // a follower says it leads within this once the leader's tab closes
const SERVED = {                 // what a step or log line says about the tab that served it
  leader: 'served by this tab (leader)',
  follower: 'served by the leader tab (this tab follows)',
  change: 'served during a leader change',
};
const ROLE = /^(leader|follower) — .*\(epoch (\d+)\)$/;   // #status-role
const ARTIFACTS = fileURLToPath(new URL('../../build/artifacts/demo/', import.meta.url));

let server = null;
let browser = null;
let page = null;                 // the page under test (the second tab, once the first has closed)
let tmp = null;                  // the profile and the downloads, removed in after()
const problems = [];             // console errors and warnings, page errors, failed requests
const dialogs = [];              // confirm() messages, accepted

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlw-demo-'));
  fs.mkdirSync(path.join(tmp, 'profile'));
  fs.mkdirSync(path.join(tmp, 'downloads'));
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  server = await startDemoServer({ port: PORT, host: '127.0.0.1' });
  browser = await launchBrowser(path.join(tmp, 'profile'),
    { downloads: path.join(tmp, 'downloads'), protocolTimeout: WAIT_MS * 2 });
  page = watch((await browser.pages())[0] ?? await browser.newPage());
  await page.setViewport({ width: 1280, height: 800 });
});

/*
** Records p's console errors and warnings, page errors, failed requests and HTTP errors
** in `problems`, and accepts its dialogs. Returns p.
*/
function watch(p) {
  p.setDefaultTimeout(WAIT_MS);
  p.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  p.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  p.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  p.on('dialog', (d) => {
    dialogs.push(d.message());
    d.accept().catch(() => {}); // the page may be gone; the test sees the outcome anyway
  });
  return p;
}

after(async () => {
  const b = browser;
  browser = null;
  if (b) await closeBrowser(b);
  if (server) await server.close();
  server = null;
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/*
** Requests `target` (sent as is: no URL normalization) from the demo server with
** `method`. Resolves with { status, headers, body }.
*/
function raw(target, method = 'GET') {
  return bounded(new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: PORT, path: target, method }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  }), WAIT_MS, `${method} ${target}`);
}

/* Loads the page (or reloads it) and waits until it has opened the database in OPFS. */
async function openPage(reload = false) {
  if (reload) await page.reload({ waitUntil: 'load' });
  else await page.goto(server.url, { waitUntil: 'load' });
  await opened(page);
  assert.match(await page.$eval('#status-role', (e) => e.textContent), /^leader .*\(epoch \d+\)$/);
}

/* Waits until page p has opened the database in OPFS and enabled its buttons. */
async function opened(p) {
  await p.waitForFunction(() => document.getElementById('status-storage')?.dataset.state, { timeout: WAIT_MS, polling: POLL_MS });
  const storage = await p.$eval('#status-storage', (e) => ({ state: e.dataset.state, text: e.textContent }));
  assert.equal(storage.state, 'opfs', `the page did not open the database in OPFS: ${storage.text}`);
  await p.waitForFunction(() => !document.getElementById('run').disabled, { timeout: WAIT_MS, polling: POLL_MS });
}

/*
** Runs `action` (which opens a tab) and returns the new tab's page once it shows the
** demo. (Target openers are a DevTools-protocol notion; this works over BiDi too.)
*/
async function newTab(action) {
  const before = new Set(await browser.pages());
  await action();
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const fresh = (await browser.pages()).find((p) => !before.has(p) && p.url() === server.url);
    if (fresh) return fresh;
    if (Date.now() > deadline) throw new Error('no new tab showed the demo');
    await new Promise((res) => setTimeout(res, POLL_MS));
  }
}

/* Page p's role line, #status-role, read: { role: 'leader' | 'follower', epoch, text }. */
async function roleOf(p) {
  const text = await p.$eval('#status-role', (e) => e.textContent);
  const m = text.match(ROLE);
  assert.ok(m, `#status-role: ${text}`);
  return { role: m[1], epoch: Number(m[2]), text };
}

/* The number of actions page p has finished (#result's data-run). */
function runCount(p = page) {
  return p.$eval('#result', (e) => Number(e.dataset.run));
}

/* Waits until page p has finished more than `n` actions. Returns the rendered result. */
async function resultAfter(n, p = page) {
  await p.waitForFunction((k) => Number(document.getElementById('result').dataset.run) > k, { timeout: WAIT_MS, polling: POLL_MS }, n);
  return readResult(p);
}

/*
** The rendered result of page p, read back from the DOM: { action, outcome, code,
** served, summary, steps: [{ method, served, failed, error: { code, errno, message,
** batchIndex } | null, tables: [{ columns, rows: [[text]], types: [[type]] }], info:
** [{ changes, lastInsertRowid }], text, steps }] }. Cells are the text the page shows;
** served, the step's "served by …" text (null when it has none).
*/
function readResult(p = page) {
  return p.$eval('#result', (root) => {
    const field = (dl, name) => [...dl.querySelectorAll(':scope > div')]
      .find((d) => d.querySelector('dt').textContent === name)?.querySelector('dd').textContent;
    const table = (t) => ({
      columns: [...t.querySelectorAll('thead th')].map((th) => th.firstChild.textContent),
      rows: [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent)),
      types: [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((td) => td.firstElementChild.dataset.type)),
    });
    const step = (s) => {
      const dl = s.querySelector(':scope > dl.error');
      return {
        method: s.querySelector(':scope > .step-head .method').textContent,
        served: s.querySelector(':scope > .step-head .served')?.textContent ?? null,
        failed: s.classList.contains('failed'),
        error: dl ? {
          code: field(dl, 'code'), errno: Number(field(dl, 'errno')), message: field(dl, 'message'),
          batchIndex: field(dl, 'batchIndex'), offset: field(dl, 'offset'),
        } : null,
        tables: [...s.querySelectorAll(':scope > .table-wrap table, :scope > ol.batch > li > .table-wrap table')].map(table),
        info: [...s.querySelectorAll(':scope > p.info, :scope > ol.batch > li > p.info')].map((p) => ({
          changes: p.querySelector('[data-field=changes]')?.textContent,
          lastInsertRowid: p.querySelector('[data-field=lastInsertRowid]')?.textContent,
          text: p.textContent,
        })),
        steps: [...s.querySelectorAll(':scope > .substeps > article.step')].map(step),
      };
    };
    return {
      action: root.dataset.action,
      outcome: root.dataset.outcome,
      code: root.dataset.code,
      served: root.dataset.served,
      summary: document.getElementById('summary').textContent,
      steps: [...root.querySelectorAll(':scope > article.step')].map(step),
    };
  });
}

/* Clicks the element matching `selector` in page p; returns the result of the action it starts. */
async function press(selector, p = page) {
  const n = await runCount(p);
  await p.click(selector);
  return resultAfter(n, p);
}

/* Puts `sql` in the editor and runs it with Ctrl+Enter. Returns the rendered result. */
async function runInEditor(sql) {
  await page.$eval('#sql', (t) => { t.value = ''; });
  await page.focus('#sql');
  await page.keyboard.type(sql);
  const n = await runCount();
  await page.keyboard.down('Control');
  await page.keyboard.press('Enter');
  await page.keyboard.up('Control');
  return resultAfter(n);
}

/*
** Page p's Live panel, read back from the DOM: { state (#live-rows' data-state), columns,
** rows: [[text]], change (the last change line's text), runs, seq, local }.
*/
function readLive(p) {
  return p.$eval('#live', (root) => {
    const status = root.querySelector('#live-status');
    return {
      state: root.querySelector('#live-rows').dataset.state,
      columns: [...root.querySelectorAll('#live-rows thead th')].map((th) => th.textContent),
      rows: [...root.querySelectorAll('#live-rows tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent)),
      change: root.querySelector('#live-change').textContent,
      runs: Number(status.dataset.runs),
      seq: status.dataset.seq ?? null,
      local: status.dataset.local ?? null,
    };
  });
}

/*
** Polls page p's Live panel (readLive) until done(panel) is true, at most WAIT_MS.
** Returns the panel; throws, showing it, when the time is up.
*/
async function liveUntil(p, done, what) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const panel = await readLive(p);
    if (done(panel)) return panel;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${WAIT_MS} ms (the panel: ${JSON.stringify(panel)})`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/* The ids and names of a Live panel's rows (id, name, email, age). */
function idNames(panel) {
  return panel.rows.map(([id, name]) => [id, name]);
}

/* The names of the tables of a sqlite_schema listing (rows of type, name, sql). */
function tableNames(t) {
  return t.rows.filter((r) => r[0] === 'table').map((r) => r[1]);
}

/* Asserts that the result failed with `code` (and errno), as an expected error. */
function expectError(r, code, errno, message) {
  assert.equal(r.outcome, 'expected', JSON.stringify(r));
  assert.equal(r.code, code);
  const failed = r.steps.at(-1);
  assert.equal(failed.failed, true);
  assert.equal(failed.error.code, code);
  assert.equal(failed.error.errno, errno);
  if (message) assert.match(failed.error.message, message);
}

/* Asserts the result succeeded (outcome ok). */
function ok(r) {
  assert.equal(r.outcome, 'ok', JSON.stringify(r.steps.find((s) => s.error)?.error ?? r));
}

const COUNT_COLUMNS = ['users', 'posts'];

// What each button of the sections must show, pressed in page order on a new database.
const EXPECT = {
  'create-tables'(r) {
    ok(r);
    assert.equal(r.steps[0].method, 'db.exec');
    assert.deepEqual(tableNames(r.steps[1].tables[0]), ['posts', 'tags', 'users']);
  },
  'add-column'(r) {
    ok(r);
    const info = r.steps[1].tables[0];
    const bio = info.rows.find((row) => row[1] === 'bio');
    assert.ok(bio, JSON.stringify(info.rows));
    assert.equal(bio[2], 'TEXT');
    assert.equal(info.types[info.rows.indexOf(bio)][info.columns.indexOf('dflt_value')], 'null');
  },
  'drop-table'(r) {
    ok(r);
    assert.deepEqual(tableNames(r.steps[1].tables[0]), ['posts', 'users']);
  },
  'list-tables'(r) {
    ok(r);
    const t = r.steps[0].tables[0];
    assert.deepEqual(t.columns, ['type', 'name', 'sql']);
    assert.deepEqual(tableNames(t), ['posts', 'users']);
    assert.match(t.rows.find((row) => row[1] === 'users')[2], /email TEXT UNIQUE/);
  },
  insert(r) {
    ok(r);
    assert.equal(r.steps[0].method, 'db.run');
    assert.deepEqual(r.steps[0].info.map(({ changes, lastInsertRowid }) => [changes, lastInsertRowid]), [['1', '1']]);
  },
  'insert-many'(r) {
    ok(r);
    assert.equal(r.steps[0].method, 'db.runMany');
    assert.deepEqual(r.steps[0].tables[0].rows, [
      ['2', 'Grace', 'grace@example.com'], ['3', 'Alan', 'alan@example.com'],
      ['4', 'Edsger', 'edsger@example.com'], ['5', 'Barbara', 'barbara@example.com']]);
    assert.equal(r.steps[0].info[0].changes, '4');
    assert.equal(r.steps[1].info[0].changes, '5');
  },
  update(r) {
    ok(r);
    assert.equal(r.steps[0].info[0].changes, '1');
    assert.deepEqual(r.steps[1].tables[0].rows, [['Grace', '46']]);
  },
  delete(r) {
    ok(r);
    assert.deepEqual(r.steps[0].tables[0].columns, COUNT_COLUMNS);
    assert.deepEqual(r.steps[0].tables[0].rows, [['5', '5']]);
    assert.equal(r.steps[1].info[0].changes, '1');
    assert.deepEqual(r.steps[2].tables[0].rows, [['4', '4']], 'the post went with its author (ON DELETE CASCADE)');
  },
  duplicate(r) {
    expectError(r, 'SQLITE_CONSTRAINT_UNIQUE', 2067, /UNIQUE constraint failed: users\.email/);
  },
  'insert-or-ignore'(r) {
    ok(r);
    assert.equal(r.steps[0].info[0].changes, '0');
  },
  upsert(r) {
    ok(r);
    assert.deepEqual(r.steps[0].tables[0].rows, [['1', 'Ada King', 'ada@example.com', '37']]);
  },
  where(r) {
    ok(r);
    const t = r.steps[0].tables[0];
    assert.deepEqual(t.rows.map((row) => [row[1], row[3]]), [['Grace', '46'], ['Alan', '41'], ['Barbara', 'NULL']]);
    assert.deepEqual(t.types[2], ['number', 'text', 'text', 'null']);
  },
  join(r) {
    ok(r);
    const t = r.steps[0].tables[0];
    assert.deepEqual(t.columns, ['id', 'author', 'title', 'body']);
    assert.deepEqual(t.rows.map((row) => [row[0], row[1]]), [['1', 'Grace'], ['2', 'Grace'], ['3', 'Alan'], ['5', 'Barbara']]);
    assert.equal(t.types[3][3], 'null');
  },
  aggregates(r) {
    ok(r);
    const [users, withAge, avg, youngest, oldest] = r.steps[0].tables[0].rows[0];
    assert.deepEqual([users, withAge, youngest, oldest], ['4', '3', '37', '46']);
    assert.equal(Number(avg), (37 + 46 + 41) / 3);
    assert.deepEqual(r.steps[1].tables[0].rows, [['Grace', '2'], ['Alan', '1'], ['Barbara', '1'], ['Ada King', '0']]);
  },
  types(r) {
    ok(r);
    const t = r.steps[0].tables[0];
    const cell = (name) => ({ text: t.rows[0][t.columns.indexOf(name)], type: t.types[0][t.columns.indexOf(name)] });
    assert.deepEqual(cell('big'), { text: '9007199254740993n', type: 'bigint' });
    assert.deepEqual(cell('big_type'), { text: 'integer', type: 'text' });
    assert.deepEqual(cell('int'), { text: '42', type: 'number' });
    assert.deepEqual(cell('real'), { text: '3.5', type: 'number' });
    assert.deepEqual(cell('text'), { text: 'text', type: 'text' });
    assert.deepEqual(cell('missing'), { text: 'NULL', type: 'null' });
    assert.deepEqual(cell('blob'), { text: "x'00ff'", type: 'blob' });
    assert.equal(cell('random').type, 'blob');
    assert.match(cell('random').text, /^x'[0-9a-f]{16}'$/);
    assert.deepEqual(r.steps[1].tables[0].rows, [['42n', '4611686018427387904n']], "bigint: 'always'");
    assert.deepEqual(r.steps[1].tables[0].types, [['bigint', 'bigint']]);
  },
  'tx-commit'(r) {
    ok(r);
    assert.deepEqual(r.steps[0].tables[0].rows, [['4', '4']]);
    assert.equal(r.steps[1].method, 'db.transaction');
    assert.deepEqual(r.steps[1].steps.map((s) => s.method), ['tx.run', 'tx.run']);
    assert.match(r.steps[1].info.at(-1).text, /committed; fn returned 6/);
    assert.deepEqual(r.steps[2].tables[0].rows, [['5', '5']]);
  },
  'tx-rollback'(r) {
    ok(r);
    assert.match(r.summary, /handled SQLITE_CONSTRAINT_NOTNULL/);
    assert.deepEqual(r.steps[0].tables[0].rows, [['5', '5']]);
    assert.equal(r.steps[1].error.code, 'SQLITE_CONSTRAINT_NOTNULL');
    assert.equal(r.steps[1].steps[0].failed, false);
    assert.equal(r.steps[1].steps[1].error.code, 'SQLITE_CONSTRAINT_NOTNULL');
    assert.deepEqual(r.steps[2].tables[0].rows, [['5', '5']], 'the first insert was rolled back');
  },
  batch(r) {
    ok(r);
    assert.equal(r.steps[0].method, 'db.batch');
    assert.deepEqual(r.steps[0].info.map((i) => i.changes), ['1', '4']);
    assert.deepEqual(r.steps[0].tables[0].rows, [['6']]);
  },
  'batch-fail'(r) {
    ok(r);
    assert.deepEqual(r.steps[0].tables[0].rows, [['5', '6']]);
    assert.equal(r.steps[1].error.code, 'SQLITE_CONSTRAINT_NOTNULL');
    assert.equal(r.steps[1].error.batchIndex, '1');
    assert.deepEqual(r.steps[2].tables[0].rows, [['5', '6']], 'nothing of the batch remains');
  },
  'err-constraint'(r) {
    expectError(r, 'SQLITE_CONSTRAINT_FOREIGNKEY', 787, /FOREIGN KEY constraint failed/);
  },
  'err-syntax'(r) {
    expectError(r, 'SQLITE_ERROR', 1, /syntax error/);
    assert.match(r.steps[0].error.offset, /^0 /);
  },
  'err-no-table'(r) {
    expectError(r, 'SQLITE_ERROR', 1, /no such table: nowhere/);
  },
  'err-strict'(r) {
    assert.equal(r.steps[0].failed, false, 'the STRICT table was created');
    expectError(r, 'SQLITE_CONSTRAINT_DATATYPE', 3091, /cannot store TEXT value in INTEGER column readings\.value/);
  },
  'err-mismatch'(r) {
    expectError(r, 'SQLITE_MISMATCH', 20, /cannot bind a Date/);
    assert.equal(r.steps[0].served, null, 'the page refused the Date itself: no tab served it');
  },
};

// The users and posts after every button has been pressed once.
const USERS = [['1', 'Ada King'], ['2', 'Grace'], ['3', 'Alan'], ['5', 'Barbara'], ['6', 'Margaret']];
const USERS_SQL = 'SELECT id, name FROM users ORDER BY id; SELECT COUNT(*) AS posts FROM posts';

test('090 the server: demo/ at /, dist/ at /dist/, MIME types, headers, nothing else', { ...T }, async () => {
  const types = {
    '/': 'text/html', '/app.js': 'text/javascript', '/style.css': 'text/css', '/favicon.svg': 'image/svg+xml',
    '/dist/index.js': 'text/javascript', '/dist/sqlite-worker.wasm': 'application/wasm',
  };
  for (const [target, type] of Object.entries(types)) {
    const r = await raw(target);
    assert.equal(r.status, 200, target);
    assert.equal(r.headers['content-type'].split(';')[0], type, target);
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers['cross-origin-opener-policy'], undefined);
    assert.equal(r.headers['cross-origin-embedder-policy'], undefined);
  }
  assert.equal((await raw('/')).body.toString(), fs.readFileSync(new URL('../../demo/index.html', import.meta.url), 'utf8'));
  const head = await raw('/dist/sqlite-worker.wasm', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(Number(head.headers['content-length']), fs.statSync(new URL('../../dist/sqlite-worker.wasm', import.meta.url)).size);
  for (const target of ['/%2e%2e/Makefile', '/dist/..%2fMakefile', '/dist/%2E%2E/package.json', '/%zz', '/a%00b', '/..\\Makefile']) {
    assert.equal((await raw(target)).status, 400, target);
  }
  for (const target of ['/Makefile', '/nope.html', '/tests/browser/driver.mjs', '/src/js/index.js', '/dist/nope.js', '/dist/']) {
    assert.equal((await raw(target)).status, 404, target);
  }
  const post = await raw('/', 'POST');
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
});

test('100 the page opens the database in OPFS and says so', { ...T }, async () => {
  await openPage();
  const status = await page.evaluate(() => Object.fromEntries(['storage', 'role', 'name', 'version', 'databases']
    .map((k) => [k, document.getElementById(`status-${k}`).textContent])));
  assert.match(status.storage, /^OPFS/);
  assert.match(status.role, /^leader/);
  assert.match(await page.$eval('#status-client', (e) => e.textContent), /^[0-9a-f]{8}$/);
  assert.equal(status.name, 'demo');
  assert.match(status.version, /^3\.\d+\.\d+$/);
  assert.equal(status.databases, 'demo');
  const r = await readResult();
  assert.equal(r.action, 'open');
  assert.deepEqual(r.steps.map((s) => s.method), ['openDatabase("demo")', 'db.exec', 'db.get']);
  assert.deepEqual(r.steps.map((s) => s.served), [null, SERVED.leader, SERVED.leader], 'the open serves nothing; the queries, this tab');
  const log = await page.$$eval('#log li', (lis) => lis.map((li) => li.textContent));
  assert.match(log.at(-1), /^\d\d:\d\d:\d\d\.\d{3} Open the database ok \d.* ms served by this tab \(leader\)$/);
});

test('110 every button of the sections runs and shows its result', { ...T, timeout: 180_000 }, async () => {
  const ids = await page.$$eval('section.demo button', (bs) => bs.map((b) => b.dataset.action));
  assert.deepEqual([...ids].sort(), Object.keys(EXPECT).sort(), 'every button has an expectation, and only those');
  for (const id of ids) {
    const r = await press(`section.demo button[data-action="${id}"]`);
    assert.equal(r.action, id);
    try {
      EXPECT[id](r);
    } catch (e) {
      e.message = `button ${id}: ${e.message}`;
      throw e;
    }
  }
  const log = await page.$$eval('#log li', (lis) => lis.map((li) => li.className + ' ' + li.textContent));
  assert.equal(log.length, ids.length + 1);
  assert.match(log[0], /^log-expected .*Binding a Date SQLITE_MISMATCH \(expected\)/);
  assert.match(log.find((l) => l.includes('Duplicate email')), /SQLITE_CONSTRAINT_UNIQUE/);
});

test('120 the editor runs a script with Ctrl+Enter: one table per result set', { ...T }, async () => {
  const r = await runInEditor(`${USERS_SQL}; SELECT 1 AS a, 2 AS a`);
  ok(r);
  assert.equal(r.action, 'editor');
  const [users, posts, dup] = r.steps[0].tables;
  assert.deepEqual(users.rows, USERS);
  assert.deepEqual(users.columns, ['id', 'name']);
  assert.deepEqual(posts.rows, [['6']]);
  assert.deepEqual(dup.columns, ['a', 'a']);
  assert.deepEqual(dup.rows, [['1', '2']], 'duplicate column names survive');
  const write = await runInEditor("UPDATE users SET bio = 'hello' WHERE id = 1");
  assert.deepEqual(write.steps[0].tables, []);
  assert.equal(write.steps[0].info[0].changes, '1');
  const bad = await runInEditor('SELECT FROM');
  assert.equal(bad.outcome, 'error');
  assert.equal(bad.steps[0].error.code, 'SQLITE_ERROR');
});

test('130 after a reload the rows are still there', { ...T }, async () => {
  await openPage(true);
  await page.$eval('#sql', (t) => { t.value = ''; });
  await page.type('#sql', USERS_SQL);
  const r = await press('#run');
  ok(r);
  assert.deepEqual(r.steps[0].tables[0].rows, USERS);
  assert.deepEqual(r.steps[0].tables[1].rows, [['6']]);
});

test('140 export downloads the file; reset empties the database; import brings the rows back', { ...T }, async () => {
  const file = path.join(tmp, 'downloads', 'demo.sqlite');
  const exported = await press('#export');
  ok(exported);
  assert.match(exported.steps[0].info[0].text, /^Uint8Array\(\d+\)/);
  const deadline = Date.now() + WAIT_MS;
  while (!(fs.existsSync(file) && fs.statSync(file).size > 0)) {
    assert.ok(Date.now() < deadline, 'the download did not arrive');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const bytes = fs.readFileSync(file);
  assert.equal(bytes.subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
  assert.equal(bytes.length, Number(exported.steps[0].info[0].text.match(/^Uint8Array\((\d+)\)/)[1]));

  const reset = await press('#reset');
  ok(reset);
  assert.match(dialogs.at(-1), /Delete the database "demo"/);
  assert.deepEqual(reset.steps.map((s) => s.method),
    ['db.close()', 'deleteDatabase("demo")', 'openDatabase("demo")', 'db.exec', 'db.get', 'db.all']);
  assert.deepEqual(reset.steps.at(-1).tables[0].rows, [], 'no tables after the reset');
  assert.equal(await page.$eval('#status-storage', (e) => e.dataset.state), 'opfs');
  assert.equal(await page.$eval('#status-name', (e) => e.textContent), 'demo');

  const input = await page.$('#import-file');
  const n = await runCount();
  await input.uploadFile(file);
  const imported = await resultAfter(n);
  ok(imported);
  assert.equal(imported.action, 'import');
  assert.match(imported.steps[0].method, /^db\.import\(<demo\.sqlite, \d+ bytes>\)$/);
  assert.deepEqual(tableNames(imported.steps[1].tables[0]), ['posts', 'readings', 'users']);
  const rows = await runInEditor(USERS_SQL);
  assert.deepEqual(rows.steps[0].tables[0].rows, USERS);
  // The foreign keys are still enforced on the imported database.
  expectError(await press('section.demo button[data-action="err-constraint"]'), 'SQLITE_CONSTRAINT_FOREIGNKEY', 787);
});

test('150 cells show their types: NULL, BigInt, blob hex, numbers apart from text', { ...T }, async () => {
  const r = await runInEditor("SELECT NULL AS n, 9007199254740993 AS big, x'00ff' AS b, 1.5 AS r, '1.5' AS t, '' AS e, -0.0 AS z");
  ok(r);
  const t = r.steps[0].tables[0];
  assert.deepEqual(t.rows, [['NULL', '9007199254740993n', "x'00ff'", '1.5', '1.5', '', '-0']]);
  assert.deepEqual(t.types, [['null', 'bigint', 'blob', 'number', 'text', 'text', 'number']]);
  const look = await page.$$eval('#result table.rows tbody td > .v', (vs) => vs.map((v) => {
    const s = getComputedStyle(v);
    return { cls: v.className, color: s.color, font: s.fontFamily, italic: s.fontStyle, align: getComputedStyle(v.parentElement).textAlign };
  }));
  const [nul, big, blob, num, text] = look;
  assert.equal(nul.italic, 'italic');
  assert.notEqual(nul.color, text.color);
  assert.notEqual(num.color, text.color, 'numbers and text look different');
  assert.notEqual(num.font, text.font);
  assert.equal(num.align, 'right');
  assert.equal(text.align, 'left');
  assert.notEqual(big.color, num.color);
  assert.notEqual(blob.color, text.color);
  assert.match(blob.font, /mono/i);
});

test('160 keyboard: the controls are reachable with Tab, focus is visible, Enter presses', { ...T }, async () => {
  await openPage(true);   // a fresh page: Tab starts from the top
  const order = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    order.push(await page.evaluate(() => {
      const e = document.activeElement;
      return { id: e.id || e.dataset.action || e.tagName, outline: getComputedStyle(e).outlineStyle };
    }));
  }
  const ids = order.map((o) => o.id);
  assert.deepEqual(ids.slice(0, 2), ['open-tab', 'debug']);
  assert.deepEqual(ids.slice(2, 6), ['create-tables', 'add-column', 'drop-table', 'list-tables']);
  for (const later of ['export', 'import-file', 'reset', 'sql', 'run']) assert.ok(ids.includes(later), `${later} is reachable`);
  assert.ok(ids.indexOf('export') < ids.indexOf('sql') && ids.indexOf('sql') < ids.indexOf('run'), ids.join(' '));
  const controls = order.slice(0, ids.indexOf('run') + 1);
  const focused = await page.evaluate(() => document.hasFocus());
  if (focused) {
    assert.ok(controls.every((o) => o.outline !== 'none'), `every focused control shows an outline: ${JSON.stringify(controls)}`);
  } else {
    // Headless Firefox never gives the document focus, so nothing matches :focus there;
    // the rule that draws the outline is checked instead.
    const rule = await page.evaluate(() => [...document.styleSheets].flatMap((sh) => [...sh.cssRules])
      .find((r) => r.selectorText === ':focus-visible')?.style.getPropertyValue('outline'));
    assert.match(rule ?? '', /solid/);
    // Nor do keys pressed there activate controls (the browser's own behaviour, not the
    // page's): Enter and Space are checked where the document has focus.
    return;
  }

  // Enter on a focused button runs its action.
  await page.focus('section.demo button[data-action="list-tables"]');
  const n = await runCount();
  await page.keyboard.press('Enter');
  const r = await resultAfter(n);
  assert.equal(r.action, 'list-tables');

  // Space toggles the debug checkbox, which says it applies on reload.
  await page.focus('#debug');
  await page.keyboard.press('Space');
  assert.equal(await page.evaluate(() => localStorage.getItem('sqlite-worker-debug')), 'true');
  assert.match(await page.$eval('#debug-note', (e) => e.textContent), /reload to apply/);
  await page.keyboard.press('Space');
  assert.equal(await page.evaluate(() => localStorage.getItem('sqlite-worker-debug')), null);
});

test('170 the layout holds at 1280×800 and at phone width; screenshots', { ...T }, async () => {
  await press('section.demo button[data-action="list-tables"]');  // a table with long SQL
  await page.setViewport({ width: 1280, height: 800 });
  await page.evaluate(() => window.scrollTo(0, 0));
  const wide = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, width: innerWidth,
    columns: getComputedStyle(document.querySelector('.layout')).gridTemplateColumns.split(' ').length,
  }));
  assert.ok(wide.scroll <= wide.width, JSON.stringify(wide));
  assert.equal(wide.columns, 2);
  await page.screenshot({ path: path.join(ARTIFACTS, 'demo-1280x800.png') });
  await page.screenshot({ path: path.join(ARTIFACTS, 'demo-1280-full.png'), fullPage: true });

  // The page scrolls to the results at phone width: instantly, so the screenshot shows them.
  if (HAS_CDP) await page.emulateMediaFeatures([{ name: 'prefers-reduced-motion', value: 'reduce' }]);
  // (Not isMobile: switching it reloads the page.)
  await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 2 });
  assert.equal((await press('section.demo button[data-action="types"]')).action, 'types');   // a wide table
  const phone = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, width: innerWidth,
    columns: getComputedStyle(document.querySelector('.layout')).gridTemplateColumns.split(' ').length,
    wraps: [...document.querySelectorAll('#result .table-wrap')].map((w) => [w.scrollWidth, w.clientWidth]),
    resultsTop: document.getElementById('h-results').getBoundingClientRect().top,
  }));
  assert.ok(phone.scroll <= phone.width, `the page scrolls sideways at phone width: ${JSON.stringify(phone)}`);
  assert.equal(phone.columns, 1);
  await page.screenshot({ path: path.join(ARTIFACTS, 'demo-390x844-results.png') });
  assert.ok(phone.wraps.some(([scroll, client]) => scroll > client), `the wide table scrolls inside its box: ${JSON.stringify(phone)}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(ARTIFACTS, 'demo-390x844.png') });
  await page.setViewport({ width: 1280, height: 800 });
});

test('175 two tabs: the second follows; when the first closes it leads, with a higher epoch', { ...T }, async () => {
  const first = page;
  // "Open another tab" is a focusable button; Enter on it opens the page in a new tab.
  const control = await first.$eval('#open-tab', (b) => ({ tag: b.tagName, type: b.type, text: b.textContent, disabled: b.disabled }));
  assert.deepEqual(control, { tag: 'BUTTON', type: 'button', text: 'Open another tab', disabled: false });
  await first.focus('#open-tab');
  assert.equal(await first.evaluate(() => document.activeElement.id), 'open-tab');
  const second = watch(await newTab(() => first.click('#open-tab')));
  await second.setViewport({ width: 1280, height: 800 });
  await opened(second);
  assert.equal(second.url(), first.url());

  // The first leads, the second follows, at the same epoch; each shows its own client id.
  const [lead, follow] = [await roleOf(first), await roleOf(second)];
  assert.equal(lead.role, 'leader', lead.text);
  assert.equal(follow.role, 'follower', follow.text);
  assert.equal(follow.text, `follower — another tab's worker serves the database (epoch ${lead.epoch})`);
  const ids = await Promise.all([first, second].map((p) => p.$eval('#status-client code', (c) => ({ short: c.textContent, title: c.title }))));
  for (const { short, title } of ids) assert.match(title, new RegExp(`^db\\.clientId ${short}[0-9a-f]{24}$`));
  assert.notEqual(ids[0].short, ids[1].short);

  // Each says which tab served its query: the leader itself; the follower, the leader.
  // (A tab in the background runs no animation frames, which waitForFunction polls on:
  // the tab in use is brought to the front, as a user would.)
  await first.bringToFront();
  const inFirst = await press('section.demo button[data-action="list-tables"]', first);
  assert.equal(inFirst.steps[0].served, SERVED.leader);
  await second.bringToFront();
  const inSecond = await press('section.demo button[data-action="list-tables"]', second);
  ok(inSecond);
  assert.deepEqual(inSecond.steps[0].tables[0].rows, inFirst.steps[0].tables[0].rows, 'the same database');
  assert.equal(inSecond.steps[0].served, SERVED.follower);
  assert.equal(inSecond.served, 'follower');
  assert.ok((await second.$eval('#log li', (li) => li.textContent)).endsWith(SERVED.follower));
  await second.screenshot({ path: path.join(ARTIFACTS, 'demo-follower-1280x800.png') });

  // The leader's tab (in the background) closes: the follower's role line says it leads,
  // with a higher epoch.
  const t0 = Date.now();
  await bounded(first.close(), WAIT_MS, 'closing the first tab');
  await second.waitForFunction(() => document.getElementById('status-role').textContent.startsWith('leader '), { timeout: FLIP_MS, polling: POLL_MS })
    .catch(async (e) => {
      throw new Error(`no flip within ${FLIP_MS} ms: #status-role says "${(await roleOf(second)).text}" (${e.message})`);
    });
  const flipMs = Date.now() - t0;
  page = second;   // the page under test from here on
  const now = await roleOf(second);
  assert.equal(now.text, `leader — this tab's worker serves the database (epoch ${now.epoch})`);
  assert.ok(now.epoch > lead.epoch, `epoch ${now.epoch} after ${lead.epoch}`);
  const log = await second.$$eval('#log li', (lis) => lis.map((li) => li.textContent));
  assert.ok(log.some((l) => l.includes(`leaderchange leader, epoch ${now.epoch}`)), log.join('\n'));
  console.log(`# the second tab led ${flipMs} ms after the first closed (epoch ${lead.epoch} → ${now.epoch})`);

  // A query there is served by this tab; foreign keys hold on the new leader's connection.
  const after = await press('section.demo button[data-action="list-tables"]', second);
  ok(after);
  assert.equal(after.steps[0].served, SERVED.leader);
  assert.equal(after.served, 'leader');
  const fk = await press('section.demo button[data-action="err-constraint"]', second);
  expectError(fk, 'SQLITE_CONSTRAINT_FOREIGNKEY', 787);
  assert.equal(fk.steps[0].served, SERVED.leader);
});

test("176 a query in flight while the leader's tab closes says it was served during a leader change", { ...T }, async () => {
  // The leader (the second tab, from 175) opens a third, which follows.
  const leader = page;
  const third = watch(await newTab(() => leader.click('#open-tab')));
  await third.setViewport({ width: 1280, height: 800 });
  await opened(third);
  const before = await roleOf(third);
  assert.equal(before.role, 'follower', before.text);

  // A query that runs in the leader's worker until the leader changes: it counts on while
  // the stored epoch is the old leader's, and stops at 5,000 under any other. The
  // leader's tab closes meanwhile; the third tab sends it again to the new leader,
  // itself, where it ends. No timing: on the old leader it could never have ended.
  await third.$eval('#sql', (t, epoch) => {
    t.value = 'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5000 '
      + `OR (SELECT v FROM _sqlw_meta WHERE k = 'epoch') = ${epoch}) SELECT COUNT(*) AS n FROM c`;
  }, before.epoch);
  const n = await runCount(third);
  await third.click('#run');
  await bounded(leader.close(), WAIT_MS, 'closing the leader tab');
  page = third;
  const r = await resultAfter(n, third);
  ok(r);
  assert.deepEqual(r.steps[0].tables[0].rows, [['5000']], 'sent again to the new leader, and answered');
  assert.equal(r.steps[0].served, SERVED.change);
  assert.equal(r.served, 'change');
  await third.screenshot({ path: path.join(ARTIFACTS, 'demo-leader-change-1280x800.png') });
  const now = await roleOf(third);
  assert.equal(now.role, 'leader', now.text);
  assert.ok(now.epoch > before.epoch, `epoch ${now.epoch} after ${before.epoch}`);
});

test('177 the Live panel: a user added in one tab shows in the other with no reload', { ...T }, async () => {
  // The leader (176's third tab) opens another tab, which follows; both panels show the
  // newest users, newest first.
  const a = page;
  const b = watch(await newTab(() => a.click('#open-tab')));
  await b.setViewport({ width: 1280, height: 800 });
  await opened(b);
  assert.equal((await roleOf(b)).role, 'follower');
  const newest = [...USERS].reverse();
  for (const p of [a, b]) {
    const panel = await liveUntil(p, (l) => l.state === 'rows', 'the first rows');
    assert.deepEqual(panel.columns, ['id', 'name', 'email', 'age']);
    assert.deepEqual(idNames(panel), newest);
  }
  const runsBefore = (await readLive(b)).runs;
  assert.ok(runsBefore >= 1, `the live query ran: ${runsBefore}`);

  // Tab a adds a user through its panel; tab b's panel shows it, with no reload and
  // nothing pressed there: its live query ran again on the change notice.
  await a.bringToFront();
  await a.type('#live-name', 'Katherine');
  const added = await press('#live-add', a);
  ok(added);
  assert.equal(added.action, 'live-add');
  assert.equal(added.steps[0].method, 'db.run');
  assert.deepEqual(added.steps[0].info.map(({ changes, lastInsertRowid }) => [changes, lastInsertRowid]), [['1', '7']]);
  assert.equal(await a.$eval('#live-name', (i) => i.value), '', 'the input is emptied');
  const inB = await liveUntil(b, (l) => l.rows.some((r) => r[1] === 'Katherine'), "Katherine in the other tab's panel");
  assert.deepEqual(idNames(inB), [['7', 'Katherine'], ...newest.slice(0, 4)]);
  assert.match(inB.change, /^Last change: users, written by another tab, seq \d+n \(epoch \d+, commit \d+\)\.$/);
  assert.equal(inB.local, 'false');
  assert.ok(inB.runs > runsBefore, `the live query ran again: ${runsBefore} → ${inB.runs}`);
  const [, epoch, commit] = inB.change.match(/\(epoch (\d+), commit (\d+)\)/);
  assert.equal(BigInt(inB.seq), (BigInt(epoch) << 32n) | BigInt(commit));
  // The writer's panel heard the same commit, as its own.
  const inA = await liveUntil(a, (l) => l.seq === inB.seq, "the writer's change line");
  assert.deepEqual(idNames(inA), idNames(inB));
  assert.match(inA.change, /^Last change: users, written by this tab, /);
  assert.equal(inA.local, 'true');

  // A commit that changes posts only is a change event in b, but its live query, which
  // reads users only, does not run again.
  const post = await runInEditor("INSERT INTO posts(user_id, title) VALUES (7, 'Hidden figures')");
  ok(post);
  const other = await liveUntil(b, (l) => BigInt(l.seq) > BigInt(inB.seq), 'the change to posts');
  assert.match(other.change, /^Last change: posts, written by another tab, /);
  assert.equal(other.runs, inB.runs, 'no run for a table it does not read');
  assert.deepEqual(other.rows, inB.rows);

  // The follower writes through its panel too; the leader's tab shows the row.
  await b.bringToFront();
  await b.type('#live-name', 'Dorothy');
  ok(await press('#live-add', b));
  const back = await liveUntil(a, (l) => l.rows.some((r) => r[1] === 'Dorothy'), "Dorothy in the leader's panel");
  assert.deepEqual(idNames(back).slice(0, 2), [['8', 'Dorothy'], ['7', 'Katherine']]);
  assert.match(back.change, /^Last change: users, written by another tab, /);
  await b.$eval('#live', (e) => e.scrollIntoView());
  await b.screenshot({ path: path.join(ARTIFACTS, 'demo-live-1280x800.png') });
  await bounded(b.close(), WAIT_MS, 'closing the second tab');
  await a.bringToFront();
});

test('180 nothing was logged to the console, no request failed', { ...T }, () => {
  assert.deepEqual(problems, []);
});
