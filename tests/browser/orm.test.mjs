// orm.test.mjs — sqlite-worker/drizzle and sqlite-worker/kysely with the real drizzle-orm
// and kysely packages, in the browser: fixtures/orm.js (the suites) is bundled with them
// by esbuild and loaded by the api fixture, over an OPFS database (where the library's
// bookkeeping tables exist) and a memory one. Checked: migrations (Drizzle's migrator,
// Kysely's Migrator with the foreign_keys off/on rebuild), a schema with foreign keys,
// every value type exact (±2^63, blobs, booleans, timestamps, JSON), joins, relational
// queries, batches, errors with their codes, transactions that commit, roll back and
// nest, stream(), introspection without _sqlw_ tables, and a second tab's write waiting
// for a transaction.

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { openSession, bounded, port } from './driver.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PORT = port(8729);
const T = { timeout: 120_000 };
const CALL_MS = 60_000;
const BIG = `${2n ** 63n - 1n}n`;
const SMALL = `${-(2n ** 63n)}n`;

// The suites, bundled with the ORMs into a file the fixture server serves (one per run).
const BUNDLE = `build/orm-test/orm-${process.pid}.js`;
const s = await openSession({ port: PORT, fixture: 'api' });
before(async () => {
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'tests/browser/fixtures/orm.js')],
    bundle: true, format: 'esm', target: 'es2022', outfile: path.join(ROOT, BUNDLE), logLevel: 'silent',
  });
});
after(async () => {
  await s.close();
  fs.rmSync(path.join(ROOT, BUNDLE), { force: true });
});

/* Opens a new tab on the api fixture. */
async function newTab() {
  const page = await s.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  return page;
}

/*
** Runs the bundle's export `fn` in tab `page` on database `name` (opened there at its
** first use, with `options`), with `args`. Returns its value, or { thrown } with the
** error's code and message.
*/
function inTab(page, name, options, fn, ...args) {
  return bounded(page.evaluate(async (bundle, dbName, opts, f, a) => {
    while (window.apiReady !== true) await new Promise((resolve) => setTimeout(resolve, 10));
    window.orm ??= await import(bundle);
    window.dbs ??= new Map();
    try {
      if (!window.dbs.has(dbName)) window.dbs.set(dbName, window.api.openDatabase(dbName, opts));
      return await window.orm[f](await window.dbs.get(dbName), ...a);
    } catch (e) {
      return { thrown: { code: e?.code ?? e?.cause?.code ?? null, message: String(e?.message ?? e), stack: String(e?.stack ?? '') } };
    }
  }, `/${BUNDLE}`, name, options, fn, args), CALL_MS, `${fn} in a tab`);
}

/* Waits, bounded, until fn() is true in tab `page`. */
async function waitIn(page, fn, what, ms = CALL_MS) {
  await bounded(page.waitForFunction(fn, { polling: 50, timeout: ms }), ms + 5_000, what);
}

for (const persistence of ['opfs', 'memory']) {
  test(`100 Drizzle (${persistence}): migrations, exact values, joins, relational queries, batches, errors, transactions that commit, roll back and nest`, T, async () => {
    const page = await newTab();
    try {
      const r = await inTab(page, `orm-drizzle-${persistence}`, { persistence }, 'drizzleSuite');
      assert.equal(r.thrown, undefined, JSON.stringify(r.thrown));
      assert.equal(r.migrations, 1);
      assert.deepEqual(r.users, [
        { id: 1, name: 'ada', active: true, born: 'date:1764720000123', meta: { tags: ['a', 'b'], n: 1.5, none: null }, avatar: 'bytes:0,255,7', big: BIG },
        { id: 2, name: 'bob', active: false, born: null, meta: null, avatar: null, big: SMALL },
      ]);
      assert.deepEqual(r.join, [{ name: 'ada', title: 'first' }, { name: 'ada', title: 'second' }, { name: 'bob', title: 'third' }]);
      assert.deepEqual(r.relational, [{ name: 'ada', posts: [{ title: 'first' }, { title: 'second' }] }, { name: 'bob', posts: [{ title: 'third' }] }]);
      assert.deepEqual(r.one, { id: 12, userId: 2, title: 'third', author: { name: 'bob', big: SMALL } });
      assert.deepEqual(r.batch, { inserted: [{ id: 13 }], counted: [{ n: 4 }] });
      assert.equal(r.batchError.code, 'SQLITE_CONSTRAINT_UNIQUE');
      assert.equal(r.afterBatchError, 0, 'nothing of a failed batch is kept');
      assert.equal(r.unique.code, 'SQLITE_CONSTRAINT_UNIQUE');
      assert.equal(r.foreignKey.code, 'SQLITE_CONSTRAINT_FOREIGNKEY');
      assert.equal(r.rolledBack, 'TransactionRollbackError');
      assert.deepEqual(r.afterTransactions, [20, 22, 24, 25]);
      assert.equal(r.afterCascade, 0);
      assert.equal(r.inTransaction, false);
    } finally {
      await page.close();
    }
  });

  test(`110 Kysely (${persistence}): Migrator with the foreign_keys rebuild, introspection without _sqlw_, exact values, joins, errors, transactions, savepoints, stream()`, T, async () => {
    const page = await newTab();
    try {
      const r = await inTab(page, `orm-kysely-${persistence}`, { persistence }, 'kyselySuite');
      assert.equal(r.thrown, undefined, JSON.stringify(r.thrown));
      assert.deepEqual(r.migrated, { first: ['001_init:Success', '002_rebuild_pet:Success'], second: 0 });
      assert.equal(r.foreignKeys, 1);
      assert.deepEqual(r.tables, ['person', 'pet']);
      assert.deepEqual(r.petColumns, ['id', 'owner', 'kind', 'legs']);
      assert.deepEqual(r.insert, { insertId: '2n', rows: '2n' });
      assert.deepEqual(r.people, [
        { id: 1, name: 'ada', big: BIG, photo: 'bytes:1,2,255', flag: 1, at: new Date(1764720000123).toISOString(), doc: { list: [1, 'two', null], nested: { ok: true } } },
        { id: 2, name: 'bob', big: SMALL, photo: null, flag: 0, at: null, doc: null },
      ]);
      assert.deepEqual(r.returning, [{ id: 10, legs: 4 }, { id: 11, legs: 4 }]);
      assert.deepEqual(r.join, [{ name: 'ada', kind: 'cat' }, { name: 'bob', kind: 'dog' }]);
      assert.equal(r.unique.code, 'SQLITE_CONSTRAINT_UNIQUE');
      assert.equal(r.foreignKey.code, 'SQLITE_CONSTRAINT_FOREIGNKEY');
      assert.equal(r.rolledBack, 'no');
      assert.equal(r.outsideDuring, 'pending', 'a query outside the transaction waits for it');
      assert.equal(r.outsideAfter, 5);
      assert.deepEqual(r.afterTransactions, [20, 22, 24]);
      assert.deepEqual(r.streamed, [10, 11, 20, 22, 24]);
      assert.equal(r.afterCascade, 0);
      assert.equal(r.inTransaction, false);
    } finally {
      await page.close();
    }
  });
}

for (const orm of ['drizzle', 'kysely']) {
  test(`120 ${orm}: a transaction in one tab makes another tab's write wait; both land`, T, async () => {
    const name = `orm-wait-${orm}`;
    const [a, b] = [await newTab(), await newTab()];
    try {
      const setup = await inTab(a, name, { persistence: 'opfs' }, `${orm}Suite`);
      assert.equal(setup.thrown, undefined, JSON.stringify(setup.thrown));
      const held = await inTab(a, name, { persistence: 'opfs' }, `${orm}Hold`, 100);
      assert.equal(held?.thrown, undefined, JSON.stringify(held?.thrown));
      await inTab(b, name, { persistence: 'opfs' }, `${orm}Write`, 101);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(await b.evaluate(() => window.write), null, 'the write waits for the other tab\'s transaction');
      await bounded(a.evaluate(() => window.releaseTx()), CALL_MS, 'releasing the transaction');
      await waitIn(a, () => window.held !== undefined, 'the transaction');
      assert.equal(await bounded(a.evaluate(() => window.held), CALL_MS, 'the outcome'), 'committed');
      await waitIn(b, () => window.write !== null, 'the waiting write');
      assert.equal(await b.evaluate(() => window.write), 'ok');
    } finally {
      await a.close();
      await b.close();
    }
  });
}
