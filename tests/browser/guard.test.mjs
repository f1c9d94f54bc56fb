// guard.test.mjs — integrity under hostile or careless SQL through the public API in one
// tab (fixtures/api.html): VACUUM gives space back in memory and OPFS databases (a
// database of a few hundred MiB included, measured on OPFS after the files are closed);
// ATTACH of the database's own path (or any file) is refused and every acknowledged
// write survives a reopen; the bookkeeping and durability PRAGMAs are refused with a
// reason. The engine-level cases are in tests/node/guard.test.mjs.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSession, port } from './driver.mjs';

const PORT = port(8725);
const T = { timeout: 240_000 };
const s = await openSession({ port: PORT, fixture: 'api' });
after(() => s.close());

/* Runs fn(window.api, ...args) in the page; a thrown error comes back as { thrown: { code, message } }. */
function inPage(fn, ...args) {
  return s.evaluate(async (src, a) => {
    const f = (0, eval)(`(${src})`);
    try {
      return await f(window.api, ...a);
    } catch (e) {
      return { thrown: { code: e?.code, message: e?.message } };
    }
  }, fn.toString(), args);
}

test('100 VACUUM in a memory database gives its pages back', T, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const db = await openDatabase('guard-mem', { persistence: 'memory' });
    await db.exec('CREATE TABLE t(i INTEGER PRIMARY KEY, b BLOB)');
    await db.exec('WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 256) INSERT INTO t(b) SELECT randomblob(16384) FROM c');
    await db.exec('DELETE FROM t WHERE i > 16');
    const before = await db.get('SELECT (SELECT page_count FROM pragma_page_count) AS pages, (SELECT freelist_count FROM pragma_freelist_count) AS free');
    await db.exec('VACUUM');
    const after = await db.get('SELECT (SELECT page_count FROM pragma_page_count) AS pages, (SELECT freelist_count FROM pragma_freelist_count) AS free');
    const rows = await db.get('SELECT count(*) AS n, sum(length(b)) AS bytes FROM t');
    await db.close();
    return { before, after, rows };
  });
  assert.ok(r.before.free > 900, JSON.stringify(r));
  assert.equal(r.after.free, 0);
  assert.ok(r.after.pages < r.before.pages / 8, JSON.stringify(r));
  assert.deepEqual(r.rows, { n: 16, bytes: 16 * 16384 });
});

test('110 VACUUM of a 256 MiB OPFS database gives the space back on storage; its rows and the bookkeeping stay', T, async () => {
  // One step per call into the page, so that no call runs long on a loaded machine.
  const name = 'guard-vacuum';
  const MiB = 1024 * 1024;
  /* Runs fn(db) on the database (opened, then closed), and returns its result. */
  const step = (fn) => inPage(async ({ openDatabase }, n, src) => {
    const db = await openDatabase(n, { timeoutMs: 200_000 });
    try {
      return await (0, eval)(`(${src})`)(db);
    } finally {
      await db.close();
    }
  }, name, fn.toString());
  /* The bytes of the database's OPFS files (read while it is closed). */
  const onDisk = () => inPage(async (api, n) => {
    const lib = await (await navigator.storage.getDirectory()).getDirectoryHandle('sqlite-worker');
    const dir = await lib.getDirectoryHandle(n);
    let bytes = 0;
    for await (const [, h] of dir.entries()) if (h.kind === 'file') bytes += (await h.getFile()).size;
    return bytes;
  }, name);
  const ok = (r) => {
    assert.ok(!r?.thrown, JSON.stringify(r?.thrown));
    return r;
  };

  ok(await step((db) => db.exec('DROP TABLE IF EXISTS t; CREATE TABLE t(i INTEGER PRIMARY KEY, b BLOB)')));
  for (let k = 0; k < 4; k++) {
    ok(await step((db) => db.exec('WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1024) '
      + 'INSERT INTO t(b) SELECT randomblob(65536) FROM c')));
  }
  const before = ok(await step(async (db) => {
    await db.exec('DELETE FROM t WHERE i % 4 <> 0');
    return {
      want: await db.get('SELECT count(*) AS n, sum(unicode(b)) AS mark FROM t'),
      pages: (await db.get('PRAGMA page_count')).page_count,
    };
  }));
  const bytesBefore = ok(await onDisk());
  const pagesAfter = ok(await step(async (db) => {
    await db.exec('VACUUM');
    return (await db.get('PRAGMA page_count')).page_count;
  }));
  const bytesAfter = ok(await onDisk());
  const r = ok(await step(async (db) => {
    const got = await db.get('SELECT count(*) AS n, sum(unicode(b)) AS mark FROM t');
    const check = await db.get('PRAGMA integrity_check');
    const books = await db.all("SELECT name FROM sqlite_schema WHERE name LIKE '\\_sqlw\\_%' ESCAPE '\\' ORDER BY name");
    await db.exec('DROP TABLE t');
    return { got, check, books: books.map((b) => b.name) };
  }));
  console.log(`# VACUUM: ${(bytesBefore / MiB).toFixed(0)} MiB on OPFS before, ${(bytesAfter / MiB).toFixed(0)} MiB after`);
  assert.ok(bytesBefore > 256 * MiB, `${bytesBefore}`);
  assert.ok(bytesAfter < bytesBefore / 2, `${bytesBefore} → ${bytesAfter}`);
  assert.ok(pagesAfter < before.pages / 3, `${before.pages} → ${pagesAfter}`);
  assert.equal(before.want.n, 1024);
  assert.deepEqual(r.got, before.want);
  assert.deepEqual(r.check, { integrity_check: 'ok' });
  assert.deepEqual(r.books, ['_sqlw_clients', '_sqlw_meta', '_sqlw_requests', '_sqlw_settings']);
});

test('120 ATTACH of the database\'s own path is refused; 100 acknowledged writes all survive a reopen', T, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const name = 'guard-attach';
    let db = await openDatabase(name);
    await db.exec('DROP TABLE IF EXISTS t; CREATE TABLE t(x)');
    const refused = [];
    for (const target of [`/${name}`, name, 'other', '/other']) {
      refused.push(await db.exec(`ATTACH '${target}' AS dup`).then(() => 'attached', (e) => `${e.code}: ${e.message}`));
    }
    for (let i = 0; i < 100; i++) await db.run('INSERT INTO t VALUES (?)', [i]);
    const memory = await db.exec("ATTACH ':memory:' AS scratch; CREATE TABLE scratch.s(x); INSERT INTO scratch.s SELECT x FROM t")
      .then(() => db.get('SELECT count(*) AS n FROM scratch.s'));
    await db.close();
    db = await openDatabase(name);
    const n = await db.get('SELECT count(*) AS n, sum(x) AS sum FROM t');
    const check = await db.get('PRAGMA integrity_check');
    await db.close();
    return { refused, memory, n, check };
  });
  for (const why of r.refused) assert.match(why, /^SQLITE_AUTH: not authorized: only ':memory:' may be attached/);
  assert.deepEqual(r.memory, { n: 100 });
  assert.deepEqual(r.n, { n: 100, sum: 4950 });
  assert.deepEqual(r.check, { integrity_check: 'ok' });
});

test('130 the bookkeeping and the durability PRAGMAs are refused with a reason; a re-set of what is there passes', T, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const db = await openDatabase('guard-pragmas');
    const tryIt = (sql) => db.exec(sql).then(() => 'ok', (e) => `${e.code}: ${e.message}`);
    const out = {};
    for (const sql of ['PRAGMA synchronous = OFF', 'PRAGMA journal_mode = DELETE', 'PRAGMA locking_mode = NORMAL',
      'PRAGMA writable_schema = ON', 'CREATE TEMP TABLE _sqlw_requests(a)', 'DELETE FROM _sqlw_requests',
      'PRAGMA journal_mode = WAL', 'PRAGMA synchronous = FULL', 'VACUUM INTO \'copy\'']) {
      out[sql] = await tryIt(sql);
    }
    out.mode = await db.get('PRAGMA journal_mode');
    await db.close();
    return out;
  });
  assert.match(r['PRAGMA synchronous = OFF'], /^SQLITE_AUTH: .*durability/);
  assert.match(r['PRAGMA journal_mode = DELETE'], /^SQLITE_AUTH: .*WAL/);
  assert.match(r['PRAGMA locking_mode = NORMAL'], /^SQLITE_AUTH: .*exclusive/);
  assert.match(r['PRAGMA writable_schema = ON'], /^SQLITE_AUTH: .*writable_schema/);
  assert.match(r['CREATE TEMP TABLE _sqlw_requests(a)'], /^SQLITE_AUTH: .*_sqlw_/);
  assert.match(r['DELETE FROM _sqlw_requests'], /^SQLITE_AUTH: .*bookkeeping/);
  assert.match(r["VACUUM INTO 'copy'"], /^SQLITE_AUTH: .*only ':memory:'/);
  assert.equal(r['PRAGMA journal_mode = WAL'], 'ok');
  assert.equal(r['PRAGMA synchronous = FULL'], 'ok');
  assert.deepEqual(r.mode, { journal_mode: 'wal' });
});

test('140 images of 1024-, 8192- and 65536-byte pages, rollback and WAL headers, import into OPFS (whole and streamed) with text intact', T, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const fill = "CREATE TABLE t(id INTEGER PRIMARY KEY, s TEXT); WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 500) INSERT INTO t(s) SELECT 'héllo ' || n || ' 😀 ' || printf('%.*c', n % 40, 'ß') FROM c; INSERT INTO t(s) VALUES (printf('%.*c', 9000, 'ü'))";
    const sum = 'SELECT count(*) AS n, sum(length(s)) AS chars, sum(unicode(substr(s, 2))) AS mark FROM t';
    const dst = await openDatabase('guard-import-pages');
    const out = [];
    for (const ps of [1024, 8192, 65536]) {
      const src = await openDatabase(`guard-src-${ps}`, { persistence: 'memory' });
      await src.exec(`PRAGMA page_size = ${ps}; ${fill}`);
      const want = await src.get(sum);
      const image = await src.export();
      await src.close();
      for (const wal of [false, true]) {
        const img = image.slice();
        if (wal) img[18] = img[19] = 2;        // the header of a database in WAL mode
        for (const how of ['whole', 'stream']) {
          await dst.import(how === 'whole' ? img : new Blob([img]).stream());
          const got = await dst.get(sum);
          const pageSize = (await dst.get('PRAGMA page_size')).page_size;
          const check = (await dst.get('PRAGMA integrity_check')).integrity_check;
          out.push({ what: `${ps} ${wal ? 'wal' : 'rollback'} ${how}`, same: JSON.stringify(got) === JSON.stringify(want), pageSize, check });
        }
      }
    }
    // The last one, back out and into memory: the same text.
    const back = await openDatabase('guard-back', { persistence: 'memory' });
    await back.import(await dst.export());
    const again = await back.get(sum);
    const here = await dst.get(sum);
    await back.close();
    await dst.close();
    return { out, roundTrip: JSON.stringify(again) === JSON.stringify(here) };
  });
  assert.ok(!r.thrown, JSON.stringify(r.thrown));
  assert.equal(r.out.length, 12);
  for (const o of r.out) assert.deepEqual(o, { what: o.what, same: true, pageSize: 4096, check: 'ok' });
  assert.equal(r.roundTrip, true);
});

test('150 storageEstimate() gives the database\'s size and the origin\'s figures; persistStorage() gives the browser\'s answer', T, async () => {
  const r = await inPage(async ({ openDatabase, persistStorage }) => {
    const db = await openDatabase('guard-estimate');
    await db.exec('DROP TABLE IF EXISTS t; CREATE TABLE t(b BLOB)');
    const before = await db.storageEstimate();
    await db.run('INSERT INTO t VALUES (randomblob(4000000))');
    const after = await db.storageEstimate();
    const answer = await persistStorage();
    const persisted = await navigator.storage.persisted();
    const again = await db.storageEstimate();
    await db.exec('DROP TABLE t');
    await db.close();
    const closed = await db.storageEstimate().catch((e) => e.code);
    return { before, after, answer, persisted, again, closed };
  });
  assert.ok(!r.thrown, JSON.stringify(r.thrown));
  assert.ok(r.after.databaseBytes - r.before.databaseBytes >= 4_000_000, JSON.stringify(r));
  assert.ok(r.after.databaseBytes % 4096 === 0);
  for (const e of [r.before, r.after]) {
    assert.ok(e.usage === null || Number.isFinite(e.usage), JSON.stringify(e));
    assert.ok(e.quota === null || e.quota > 0, JSON.stringify(e));
  }
  assert.equal(typeof r.answer, 'boolean');
  assert.equal(r.again.persisted, r.persisted);
  assert.equal(r.closed, 'SQLITE_MISUSE');
});

test('160 deleteDatabase() refuses while a tab leads the database, even when no worker holds its files yet (a hand-over)', T, async () => {
  const r = await inPage(async ({ openDatabase, deleteDatabase, listDatabases }) => {
    const name = 'guard-delete';
    const db = await openDatabase(name);
    await db.exec('CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (1)');
    await db.close();
    // Between two leaders: the new one holds the leader lock and no file yet.
    let release;
    await new Promise((held) => {
      navigator.locks.request(`sqlw:${name}:leader`, () => {
        held();
        return new Promise((r) => { release = r; });
      });
    });
    const during = await deleteDatabase(name).then((v) => `deleted: ${v}`, (e) => e.code);
    const listed = (await listDatabases()).includes(name);
    release();
    const after = await deleteDatabase(name);
    return { during, listed, after, gone: !(await listDatabases()).includes(name) };
  });
  assert.deepEqual(r, { during: 'SQLITE_BUSY', listed: true, after: true, gone: true });
});
