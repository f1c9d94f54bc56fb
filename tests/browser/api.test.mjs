// api.test.mjs — the public API end to end in one tab: main thread → worker → C core →
// OPFS, through fixtures/api.html (the library loaded as an app loads it). Every public
// function with its edge cases and abuse; values and errors as README "API" states them.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSession, port } from './driver.mjs';

const PORT = port(8717);
const T = { timeout: 90_000 };
const s = await openSession({ port: PORT, fixture: 'api' });
after(() => s.close());

/*
** Runs fn in the page with window.api's exports as its first argument; returns its
** value. A thrown error comes back as { thrown: { name, message, code, errno, sql,
** offset, batchIndex, isSQLiteError } } so tests can look at every field.
*/
function inPage(fn, ...args) {
  return s.evaluate(async (src, a) => {
    const f = (0, eval)(`(${src})`);
    try {
      return await f(window.api, ...a);
    } catch (e) {
      return {
        thrown: {
          name: e?.name, message: e?.message, code: e?.code, errno: e?.errno, sql: e?.sql,
          offset: e?.offset, batchIndex: e?.batchIndex, isSQLiteError: e instanceof window.api.SQLiteError,
          isError: e instanceof Error,
        },
      };
    }
  }, fn.toString(), args);
}

/* Asserts that r is a thrown SQLiteError with `code` whose message matches `re`. */
function assertThrown(r, code, re) {
  assert.ok(r && r.thrown, `expected an error, got ${JSON.stringify(r)}`);
  assert.equal(r.thrown.isSQLiteError, true, JSON.stringify(r.thrown));
  assert.equal(r.thrown.isError, true);
  assert.equal(r.thrown.code, code, JSON.stringify(r.thrown));
  if (re) assert.match(r.thrown.message, re);
}

test('100 values round-trip with their types: null, integers, BigInt, reals, text, blobs', T, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const db = await openDatabase('api-values');
    await db.exec('DROP TABLE IF EXISTS v; CREATE TABLE v(i INTEGER PRIMARY KEY, x)');
    const values = [null, 0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 2n ** 53n, -(2n ** 63n), 2n ** 63n - 1n,
      0.1, -0, 1e308, -2.5e-300, '', 'héllo 😀 \u2028', new Uint8Array([0, 255, 7]), new Uint8Array(0), true, false];
    await db.runMany('INSERT INTO v(i, x) VALUES (?, ?)', values.map((x, i) => [i, x]));
    const rows = await db.all('SELECT i, x, typeof(x) AS t FROM v ORDER BY i');
    const always = await db.get('SELECT x FROM v WHERE i = 1', [], { bigint: 'always' });
    const arrays = await db.all('SELECT 1 AS a, 2 AS a', [], { rowMode: 'array' });
    await db.close();
    const show = (x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? `bytes:${Array.from(x)}`
      : Object.is(x, -0) ? '-0' : x);
    return {
      rows: rows.map((row) => [show(row.x), row.t]),
      always: typeof always.x,
      arrays,
      columns: arrays.columns,
    };
  });
  assert.deepEqual(r.rows, [
    [null, 'null'], [0, 'integer'], [-1, 'integer'], [2 ** 53 - 1, 'integer'], [-(2 ** 53 - 1), 'integer'],
    ['9007199254740992n', 'integer'], ['-9223372036854775808n', 'integer'], ['9223372036854775807n', 'integer'],
    [0.1, 'real'], ['-0', 'real'], [1e308, 'real'], [-2.5e-300, 'real'], ['', 'text'], ['héllo 😀 \u2028', 'text'],
    ['bytes:0,255,7', 'blob'], ['bytes:', 'blob'], [1, 'integer'], [0, 'integer'],
  ]);
  assert.equal(r.always, 'bigint');
  assert.deepEqual(r.arrays, [[1, 2]]);
  assert.deepEqual(r.columns, ['a', 'a']);
});

test('101 exec runs scripts; all, get and run return what they say', T, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const db = await openDatabase('api-basic');
    const script = await db.exec(`DROP TABLE IF EXISTS t; CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
      INSERT INTO t(name) VALUES ('a'), ('b'); SELECT count(*) AS n FROM t`);
    const run = await db.run('INSERT INTO t(name) VALUES (?)', ['c']);
    const named = await db.get('SELECT id FROM t WHERE name = :name', { name: 'b' });
    const none = await db.get('SELECT id FROM t WHERE name = ?', ['zzz']);
    const all = await db.all('SELECT name FROM t ORDER BY id');
    const upd = await db.run('UPDATE t SET name = name || ?', ['!']);
    await db.close();
    return { script: { rows: script.rows, changes: script.changes, sets: script.resultSets.length }, run, named, none: none === undefined, all, upd };
  });
  assert.deepEqual(r.script, { rows: [{ n: 2 }], changes: 2, sets: 1 });
  assert.deepEqual(r.run, { changes: 1, lastInsertRowid: 3 });
  assert.deepEqual(r.named, { id: 2 });
  assert.equal(r.none, true);
  assert.deepEqual(r.all, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
  assert.deepEqual(r.upd, { changes: 3, lastInsertRowid: 3 });
});

test('102 SQLite errors arrive intact: code, errno, message, SQL, offset', T, async () => {
  const errs = await inPage(async ({ openDatabase }) => {
    const db = await openDatabase('api-errors');
    await db.exec('DROP TABLE IF EXISTS t; CREATE TABLE t(id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL)');
    await db.run("INSERT INTO t(email) VALUES ('a@x')");
    const out = {};
    const grab = async (name, p) => {
      try {
        await p;
        out[name] = 'no error';
      } catch (e) {
        out[name] = { code: e.code, errno: e.errno, message: e.message, sql: e.sql, offset: e.offset, name: e.name };
      }
    };
    await grab('unique', db.run("INSERT INTO t(email) VALUES ('a@x')"));
    await grab('notnull', db.run('INSERT INTO t(email) VALUES (NULL)'));
    await grab('syntax', db.all('SELEC * FROM t'));
    await grab('table', db.all('SELECT * FROM nope'));
    await grab('range', db.all('SELECT ?', [1, 2]));
    await grab('mismatch', db.all('SELECT ?', [new Date()]));
    await grab('undef', db.all('SELECT ?', [undefined]));
    out.after = await db.get('SELECT count(*) AS n FROM t');
    await db.close();
    return out;
  });
  assert.deepEqual({ ...errs.unique, message: undefined }, { code: 'SQLITE_CONSTRAINT_UNIQUE', errno: 2067, message: undefined, sql: "INSERT INTO t(email) VALUES ('a@x')", offset: -1, name: 'SQLiteError' });
  assert.match(errs.unique.message, /UNIQUE constraint failed: t\.email/);
  assert.equal(errs.notnull.code, 'SQLITE_CONSTRAINT_NOTNULL');
  assert.equal(errs.syntax.code, 'SQLITE_ERROR');
  assert.match(errs.syntax.message, /syntax error/);
  assert.equal(errs.syntax.offset, 0);
  assert.match(errs.table.message, /no such table: nope/);
  assert.equal(errs.range.code, 'SQLITE_RANGE');
  assert.equal(errs.mismatch.code, 'SQLITE_MISMATCH');
  assert.match(errs.mismatch.message, /Date/);
  assert.match(errs.undef.message, /use null for NULL/);
  assert.deepEqual(errs.after, { n: 1 });
});

test('103 wrong arity, wrong types and unknown options are refused clearly', T, async () => {
  const cases = [
    [({ openDatabase }) => openDatabase(), /name must be a non-empty string/],
    [({ openDatabase }) => openDatabase(42), /name must be a non-empty string/],
    [({ openDatabase }) => openDatabase('a/b'), /without "\/"/],
    [({ openDatabase }) => openDatabase('é'.repeat(33)), /at most 64 bytes of UTF-8/],
    [({ openDatabase }) => openDatabase('\ud800'), /lone surrogate/],
    [({ openDatabase }) => openDatabase('x', { persistance: 'opfs' }), /unknown option "persistance"/],
    [({ openDatabase }) => openDatabase('x', { persistence: 'disk' }), /persistence must be/],
    [({ openDatabase }) => openDatabase('x', { durability: 'fast' }), /durability must be/],
    [({ openDatabase }) => openDatabase('x', { timeoutMs: -1 }), /timeoutMs/],
    [({ openDatabase }) => openDatabase('x', 'opfs'), /option must be an object/],
    [({ openDatabase }) => openDatabase('x', { rowMode: 'rows' }), /rowMode/],
    [({ openDatabase }) => openDatabase('x', { pageSize: 3000 }), /pageSize must be a power of two from 512 to 65536/],
    [({ openDatabase }) => openDatabase('x', { pageSize: 131072 }), /pageSize must be/],
    [({ openDatabase }) => openDatabase('x', { pageSize: '8192' }), /pageSize must be .*not string/],
  ];
  for (const [fn, re] of cases) assertThrown(await inPage(fn), 'SQLITE_MISUSE', re);

  const r = await inPage(async ({ openDatabase }) => {
    const db = await openDatabase('api-abuse');
    const out = [];
    const grab = async (p) => {
      try {
        await p;
        out.push('no error');
      } catch (e) {
        out.push(`${e.code}: ${e.message}`);
      }
    };
    await grab(db.all(42));
    await grab(db.all());
    await grab(db.all('SELECT 1', 'x'));
    await grab(db.all('SELECT 1', [], { rowmode: 'array' }));
    await grab(db.run('SELECT 1\0'));
    await grab(db.runMany('SELECT ?', 'rows'));
    await grab(db.runMany('SELECT ?; SELECT ?', [[1]]));
    await grab(db.batch('SELECT 1'));
    await grab(db.batch([[42]]));
    await grab(db.transaction('BEGIN'));
    await grab(db.import('not bytes'));
    await grab(db.import(new Uint8Array([1, 2, 3])));
    let onErr;
    try {
      db.on('x', 'not a function');
    } catch (e) {
      onErr = e.code;
    }
    out.push(onErr);
    out.push((await db.get('SELECT 7 AS seven')).seven);
    await db.close();
    await grab(db.get('SELECT 1'));
    return out;
  });
  assert.match(r[0], /^SQLITE_MISUSE: sql must be a string, not number/);
  assert.match(r[1], /^SQLITE_MISUSE: sql must be a string, not undefined/);
  assert.match(r[2], /^SQLITE_MISUSE: .*array .*object/);
  assert.match(r[3], /^SQLITE_MISUSE: unknown query option "rowmode"/);
  assert.match(r[4], /^SQLITE_MISUSE: sql contains U\+0000/);
  assert.match(r[5], /^SQLITE_MISUSE: runMany expects an array/);
  assert.match(r[6], /^SQLITE_MISUSE: runMany takes exactly one SQL statement/);
  assert.match(r[7], /^SQLITE_MISUSE: batch expects an array/);
  assert.match(r[8], /^SQLITE_MISUSE: batch item 0/);
  assert.match(r[9], /^SQLITE_MISUSE: transaction expects a function/);
  assert.match(r[10], /^SQLITE_MISUSE: import expects a Uint8Array/);
  assert.match(r[11], /^SQLITE_NOTADB: /);
  assert.equal(r[12], 'SQLITE_MISUSE');
  assert.equal(r[13], 7);
  assert.match(r[14], /^SQLITE_MISUSE: the database is closed/);
});

test('104 runMany is one atomic request; batch too, and says which item failed', T, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const db = await openDatabase('api-many');
    await db.exec('DROP TABLE IF EXISTS t; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT UNIQUE)');
    const ok = await db.runMany('INSERT INTO t(v) VALUES (?)', Array.from({ length: 1000 }, (_, i) => [`v${i}`]));
    const returning = await db.runMany('INSERT INTO t(v) VALUES (:v) RETURNING id', [{ v: 'r1' }, { v: 'r2' }]);
    let manyErr;
    try {
      await db.runMany('INSERT INTO t(v) VALUES (?)', [['new1'], ['v5'], ['new2']]);
    } catch (e) {
      manyErr = e.code;
    }
    const afterMany = await db.get("SELECT count(*) AS n FROM t WHERE v LIKE 'new%'");
    const results = await db.batch([
      ['INSERT INTO t(v) VALUES (?)', ['b1']],
      ['UPDATE t SET v = ? WHERE v = ?', ['b2', 'b1']],
      ['SELECT v FROM t WHERE v = ?', ['b2']],
    ]);
    let batchErr;
    try {
      await db.batch([['INSERT INTO t(v) VALUES (?)', ['c1']], ['INSERT INTO t(v) VALUES (?)', ['v1']], ['INSERT INTO t(v) VALUES (?)', ['c3']]]);
    } catch (e) {
      batchErr = { code: e.code, index: e.batchIndex, sql: e.sql };
    }
    let ctlErr;
    try {
      await db.batch([['INSERT INTO t(v) VALUES (1)'], ['COMMIT']]);
    } catch (e) {
      ctlErr = { code: e.code, index: e.batchIndex };
    }
    const afterBatch = await db.get("SELECT count(*) AS n FROM t WHERE v LIKE 'c%' OR v = '1'");
    const total = await db.get('SELECT count(*) AS n FROM t');
    await db.close();
    return { ok, returning, manyErr, afterMany, results, batchErr, ctlErr, afterBatch, total };
  });
  assert.deepEqual(r.ok, { changes: 1000, lastInsertRowid: 1000, rows: [] });
  assert.deepEqual(r.returning.rows, [{ id: 1001 }, { id: 1002 }]);
  assert.equal(r.manyErr, 'SQLITE_CONSTRAINT_UNIQUE');
  assert.deepEqual(r.afterMany, { n: 0 });
  assert.equal(r.results.length, 3);
  assert.equal(r.results[0].changes, 1);
  assert.equal(r.results[1].changes, 1);
  assert.deepEqual(r.results[2].rows, [{ v: 'b2' }]);
  assert.deepEqual(r.batchErr, { code: 'SQLITE_CONSTRAINT_UNIQUE', index: 1, sql: 'INSERT INTO t(v) VALUES (?)' });
  assert.deepEqual(r.ctlErr, { code: 'SQLITE_MISUSE', index: 1 });
  assert.deepEqual(r.afterBatch, { n: 0 });
  assert.deepEqual(r.total, { n: 1003 });
});

test('105 transactions commit, roll back on a throw, queue, and hold other calls back', T, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const db = await openDatabase('api-tx');
    await db.exec('DROP TABLE IF EXISTS log; CREATE TABLE log(i INTEGER PRIMARY KEY, who TEXT)');
    const value = await db.transaction(async (tx) => {
      await tx.run("INSERT INTO log(who) VALUES ('t1')");
      return (await tx.get('SELECT count(*) AS n FROM log')).n;
    });
    let thrown;
    let kept;
    try {
      await db.transaction(async (tx) => {
        kept = tx;
        await tx.run("INSERT INTO log(who) VALUES ('rolled back')");
        throw new Error('app failure');
      });
    } catch (e) {
      thrown = e.message;
    }
    let late;
    try {
      await kept.get('SELECT 1');
    } catch (e) {
      late = e.code;
    }
    // Two transactions and plain calls started together: each transaction runs whole,
    // and the plain call made while the first runs waits for it.
    const slow = (who) => async (tx) => {
      for (let k = 0; k < 5; k++) {
        await tx.run('INSERT INTO log(who) VALUES (?)', [who]);
        await new Promise((res) => setTimeout(res, 5));
      }
    };
    const a = db.transaction(slow('A'));
    const plain = db.run("INSERT INTO log(who) VALUES ('plain')");
    const b = db.transaction(slow('B'));
    await Promise.all([a, plain, b]);
    const order = (await db.all('SELECT who FROM log ORDER BY i')).map((x) => x.who).join(',');
    await db.close();
    return { value, thrown, late, order };
  });
  assert.equal(r.value, 1);
  assert.equal(r.thrown, 'app failure');
  assert.equal(r.late, 'SQLITE_MISUSE');
  assert.equal(r.order, 't1,A,A,A,A,A,plain,B,B,B,B,B');
});

test('106 10,000 concurrent requests are all answered, in order', T, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const db = await openDatabase('api-many-requests');
    const answers = await Promise.all(Array.from({ length: 10000 }, (_, i) => db.get('SELECT ? AS i', [i])));
    const bad = answers.findIndex((a, i) => a.i !== i);
    await db.close();
    return { n: answers.length, bad };
  });
  assert.deepEqual(r, { n: 10000, bad: -1 });
});

test('107 DatabaseConnection: seed-compatible, queries before ready are kept', T, async () => {
  const r = await inPage(async ({ DatabaseConnection }) => {
    const conn = new DatabaseConnection();
    const early = conn.query('CREATE TABLE IF NOT EXISTS users(id INTEGER PRIMARY KEY, name TEXT, big INTEGER)');
    const insert = conn.query("INSERT INTO users(name, big) VALUES ('ann', 9007199254740993)");
    await conn.ready;
    const rows = await conn.query('SELECT name, big FROM users ORDER BY id DESC LIMIT 1');
    const db = await conn.database;
    const name = db.name;
    await conn.close();
    return { early: await early, insert: await insert, rows, name };
  });
  assert.equal(r.name, 'worker.db');
  assert.deepEqual(JSON.parse(r.early), { changes: 0, lastInsertRowid: 0 });
  assert.equal(JSON.parse(r.insert).changes, 1);
  assert.equal(r.rows, '[{"name":"ann","big":9007199254740993}]');
});

test('108 export → import round trip; a bad image leaves the database untouched', T, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const src = await openDatabase('api-img-src');
    await src.exec('DROP TABLE IF EXISTS t; CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)');
    const bytes = await src.export();
    await src.close();
    const dst = await openDatabase('api-img-dst', { persistence: 'memory' });
    await dst.exec('CREATE TABLE other(y); INSERT INTO other VALUES (9)');
    let bad;
    const broken = bytes.slice();
    broken[100] ^= 0xff;
    try {
      await dst.import(broken.subarray(0, 700));
    } catch (e) {
      bad = e.code;
    }
    const still = await dst.all('SELECT y FROM other');
    await dst.import(bytes);
    const rows = await dst.all('SELECT x FROM t');
    const again = await dst.export();
    await dst.close();
    return { header: new TextDecoder().decode(bytes.subarray(0, 15)), bad, still, rows, same: again.length === bytes.length };
  });
  assert.equal(r.header, 'SQLite format 3');
  assert.match(r.bad, /^SQLITE_(NOTADB|CORRUPT)/);
  assert.deepEqual(r.still, [{ y: 9 }]);
  assert.deepEqual(r.rows, [{ x: 1 }, { x: 2 }, { x: 3 }]);
  assert.equal(r.same, true);
});

test('109 persistence: opfs survives a reload, memory does not and says so', T, async () => {
  const before = await inPage(async ({ openDatabase }) => {
    const disk = await openDatabase('api-persist', { persistence: 'opfs' });
    await disk.exec('DROP TABLE IF EXISTS t; CREATE TABLE t(x); INSERT INTO t VALUES (42)');
    const mem = await openDatabase('api-persist-mem', { persistence: 'memory' });
    await mem.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
    return { disk: [disk.persistent, disk.persistenceError], mem: [mem.persistent, mem.persistenceError] };
  });
  assert.deepEqual(before, { disk: [true, null], mem: [false, null] });
  await s.reload();
  const afterReload = await inPage(async ({ openDatabase }) => {
    const disk = await openDatabase('api-persist', { persistence: 'opfs' });
    const mem = await openDatabase('api-persist-mem', { persistence: 'memory' });
    const out = { disk: await disk.all('SELECT x FROM t'), mem: await mem.all("SELECT name FROM sqlite_schema WHERE name = 't'") };
    await disk.close();
    await mem.close();
    return out;
  });
  assert.deepEqual(afterReload, { disk: [{ x: 42 }], mem: [] });
});

test('110 a worker that dies: the requests of a shared database are sent again, of a memory one reject', T, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    // Counts on while the stored epoch is `epoch` (it cannot end in that worker), and
    // stops at 5,000 under any other: in the worker that replaces it.
    const latch = (epoch) => 'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5000 '
      + `OR (SELECT v FROM _sqlw_meta WHERE k = 'epoch') = ${epoch}) SELECT count(*) AS n FROM c`;
    // Shared (OPFS): the page restarts the worker as the same client and sends the
    // unanswered requests again; a write among them lands once.
    const db = await openDatabase('api-death');
    await db.exec('DROP TABLE IF EXISTS t; CREATE TABLE t(x); INSERT INTO t VALUES (1)');
    const events = [];
    db.on('workerdied', (e) => events.push(e.reason));
    const slow = db.get(latch(db.epoch));
    const write = db.run('INSERT INTO t VALUES (2)');
    const queued = db.get('SELECT 2 AS two');
    window.workers.at(-1).terminate();
    const shared = await Promise.allSettled([slow, write, queued]);
    const after = await db.all('SELECT x FROM t ORDER BY x');
    await db.close();
    // Memory: the database died with its worker; pending requests reject, and the
    // next request starts a new (empty) one. The query never ends by itself.
    const mem = await openDatabase('api-death-mem', { persistence: 'memory' });
    await mem.exec('CREATE TABLE t(x)');
    const memSlow = mem.get('WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) AS n FROM c');
    window.workers.at(-1).terminate();
    const [memOutcome] = await Promise.allSettled([memSlow]);
    const memAfter = await mem.all("SELECT name FROM sqlite_master WHERE name = 't'");
    await mem.close();
    const show = (o) => (o.status === 'rejected' ? `${o.reason.code}: ${o.reason.message}` : o.value);
    return { shared: shared.map(show), after, events: events.length, mem: show(memOutcome), memAfter };
  });
  assert.deepEqual(r.shared, [{ n: 5000 }, { changes: 1, lastInsertRowid: 2 }, { two: 2 }]);
  assert.deepEqual(r.after, [{ x: 1 }, { x: 2 }]);
  assert.equal(r.events, 1);
  assert.match(r.mem, /^SQLITE_WORKER_DIED: the database worker stopped/);
  assert.deepEqual(r.memAfter, []);
});

test('111 a runaway past timeoutMs: the page rejects with SQLITE_WORKER_TIMEOUT, the leader interrupts it, the next request answers', T, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const runaway = 'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) AS n FROM c';
    const out = {};
    for (const persistence of ['memory', 'opfs']) {
      const db = await openDatabase('api-timeout', { timeoutMs: 1000, persistence });
      // A second client of the same database with no deadline of its own: it is answered
      // only once the runaway has ended (in memory, the same client's next request).
      const other = persistence === 'opfs' ? await openDatabase('api-timeout', { timeoutMs: Infinity }) : null;
      let err;
      try {
        await db.get(runaway);
      } catch (e) {
        err = `${e.code}: ${e.message}`;
      }
      const next = await (other ?? db).get('SELECT 1 AS one');
      await other?.close();
      await db.close();
      out[persistence] = { err, next };
    }
    return out;
  });
  for (const k of ['memory', 'opfs']) {
    assert.match(r[k].err, /^SQLITE_WORKER_TIMEOUT: no answer within 1000 ms/);
    assert.deepEqual(r[k].next, { one: 1 });
  }
});

test('111b maxStatementMs ends a statement whatever its asker waits: SQLITE_INTERRUPT, and the database answers', T, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const db = await openDatabase('api-cap', { maxStatementMs: 500, timeoutMs: Infinity, persistence: 'memory' });
    await db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
    const show = (e) => `${e.code} ${e.errno}: ${e.message}`;
    const err = await db.get('WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) AS n FROM c').catch(show);
    const write = await db.run('INSERT INTO t WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT n FROM c').catch(show);
    const after = await db.all('SELECT x FROM t');
    await db.close();
    const bad = [];
    for (const v of [0, -1, NaN, 2 ** 31, 1e19, '5', null]) {
      bad.push(await openDatabase('api-cap-bad', { maxStatementMs: v, persistence: 'memory' }).then(() => 'opened', show));
    }
    for (const [k, v] of [['timeoutMs', 2 ** 31], ['transactionIdleMs', 1e19], ['transactionIdleMs', Infinity], ['busyTimeoutMs', -1]]) {
      bad.push(await openDatabase('api-cap-bad', { [k]: v, persistence: 'memory' }).then(() => 'opened', show));
    }
    return { err, write, after, bad };
  });
  assert.equal(r.err, 'SQLITE_INTERRUPT 9: interrupted');
  assert.equal(r.write, 'SQLITE_INTERRUPT 9: interrupted');
  assert.deepEqual(r.after, [{ x: 1 }]);
  assert.equal(r.bad.length, 11);
  for (const b of r.bad) assert.match(b, /^SQLITE_MISUSE 21: \w+ must be a number of milliseconds/);
});

test('111c a trap in the core ends the worker (its files released); a request that traps 3 workers is rejected, the database answers', T, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const db = await openDatabase('api-trap', { workerUrl: '/tests/browser/fixtures/trap-worker.js' });
    await db.exec('DROP TABLE IF EXISTS t; CREATE TABLE t(x); INSERT INTO t VALUES (1)');
    const died = [];
    db.on('workerdied', (e) => died.push(e.reason));
    const workersBefore = window.workers.length;
    const show = (e) => `${e.code}: ${e.message}`;
    const trapped = await db.get("SELECT datetime(0, 'unixepoch', 'localtime') AS d").catch(show);
    const after = await db.all('SELECT x FROM t');
    const workers = window.workers.length - workersBefore;
    await db.close();
    return { trapped, after, died: died.length, workers };
  });
  assert.match(r.trapped, /^SQLITE_WORKER_DIED: .*3/);
  assert.deepEqual(r.after, [{ x: 1 }]);
  assert.equal(r.died, 3);
  assert.equal(r.workers, 3);   // two restarts for the request, one for the next
});

test('111d db.close() resolves within a bound while a statement with no deadline runs; the database opens again', { timeout: 90_000 }, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const out = {};
    for (const persistence of ['memory', 'opfs']) {
      const db = await openDatabase('api-close-bound', { timeoutMs: Infinity, persistence });
      const runaway = db.get('WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) AS n FROM c')
        .catch((e) => `${e.code}: ${e.message}`);
      await db.close();
      const again = await openDatabase('api-close-bound', { persistence });
      out[persistence] = { runaway: await runaway, next: await again.get('SELECT 1 AS one') };
      await again.close();
    }
    return out;
  });
  for (const k of ['memory', 'opfs']) {
    assert.match(r[k].runaway, /^SQLITE_ABORT: the database was closed before this request was answered/);
    assert.deepEqual(r[k].next, { one: 1 });
  }
});

test('111e after a huge result an idle worker gives its memory back (a new worker, no death); a memory database keeps its worker', { timeout: 90_000 }, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const out = {};
    for (const persistence of ['opfs', 'memory']) {
      const db = await openDatabase(`api-recycle-${persistence}`, { persistence });
      const died = [];
      db.on('workerdied', (e) => died.push(e.reason));
      await db.exec('CREATE TABLE IF NOT EXISTS t(x); DELETE FROM t; INSERT INTO t VALUES (1)');
      const before = window.workers.length;
      const big = await db.get('SELECT zeroblob(200000000) AS z');
      const next = await db.all('SELECT x FROM t');
      out[persistence] = { size: big.z.length, next, workers: window.workers.length - before, died };
      await db.close();
    }
    return out;
  });
  assert.deepEqual(r.opfs, { size: 200000000, next: [{ x: 1 }], workers: 1, died: [] });
  assert.deepEqual(r.memory, { size: 200000000, next: [{ x: 1 }], workers: 0, died: [] });
});

test('111f a leader whose connection holds a temp table or an attached database keeps its worker after a huge result', { timeout: 90_000 }, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const out = {};
    for (const local of ['CREATE TEMP TABLE scratch(x); INSERT INTO scratch VALUES (7)', "ATTACH ':memory:' AS side; CREATE TABLE side.scratch(x); INSERT INTO side.scratch VALUES (7)"]) {
      const db = await openDatabase('api-recycle-local');
      const died = [];
      db.on('workerdied', (e) => died.push(e.reason));
      await db.exec(local);
      const before = window.workers.length;
      const big = await db.get('SELECT zeroblob(200000000) AS z');
      const kept = await db.all('SELECT x FROM scratch');
      out[local.split(' ')[1]] = { size: big.z.length, kept, workers: window.workers.length - before, died };
      await db.close();
    }
    return out;
  });
  // Recycling would lose what lives only on the connection: the worker stays.
  assert.deepEqual(r.TEMP, { size: 200000000, kept: [{ x: 7 }], workers: 0, died: [] });
  assert.deepEqual(r["':memory:'"], { size: 200000000, kept: [{ x: 7 }], workers: 0, died: [] });
});

test('108b export({ stream: true }) reads the file in chunks from one snapshot; import() takes a stream', { timeout: 90_000 }, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const db = await openDatabase('api-stream');
    await db.exec('DROP TABLE IF EXISTS t; CREATE TABLE t(i INTEGER PRIMARY KEY, b BLOB)');
    await db.runMany('INSERT INTO t(b) VALUES (randomblob(4000))', Array.from({ length: 3000 }, () => []));
    const whole = await db.export();
    const stream = await db.export({ stream: true });
    // Streaming holds a transaction: a write made meanwhile waits, and is not in it.
    const reader = stream.getReader();
    const first = await reader.read();
    const write = db.run('INSERT INTO t(b) VALUES (x\'00\')');
    const chunks = [first.value];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    await write;
    const streamed = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      streamed.set(c, at);
      at += c.length;
    }
    // A standalone database of the snapshot: the write made meanwhile is not in it.
    const header = new TextDecoder().decode(streamed.subarray(0, 15));
    const other = await openDatabase('api-stream-copy');
    await other.import(streamed);
    const snapshot = await other.get('SELECT count(*) AS n FROM t');
    // A stream goes into another database as it is, the write included now.
    await other.import(await db.export({ stream: true }));
    const copied = await other.get('SELECT count(*) AS n, sum(length(b)) AS bytes FROM t');
    const after = await db.get('SELECT count(*) AS n FROM t');
    const bad = await db.export({ stream: 'yes' }).catch((e) => `${e.code}: ${e.message}`);
    await other.close();
    await db.close();
    return { chunks: chunks.length, header, size: streamed.length, whole: whole.length, snapshot, copied, after, bad };
  });
  assert.ok(r.chunks > 1, `${r.chunks} chunk(s)`);
  assert.equal(r.header, 'SQLite format 3');
  assert.ok(Math.abs(r.size - r.whole) <= 2 * 4096, `streamed ${r.size} bytes, exported ${r.whole}`);
  assert.deepEqual(r.snapshot, { n: 3000 });
  assert.deepEqual(r.copied, { n: 3001, bytes: 3000 * 4000 + 1 });
  assert.deepEqual(r.after, { n: 3001 });
  assert.match(r.bad, /^SQLITE_MISUSE: export option stream must be a boolean/);
});

test('108c a streamed export and import of 96 MiB: neither worker\'s memory grows by a fraction of it', { timeout: 240_000 }, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const MiB = 1024 * 1024;
    const src = await openDatabase('api-big-src', { timeoutMs: 200_000 });
    await src.exec('DROP TABLE IF EXISTS t; CREATE TABLE t(i INTEGER PRIMARY KEY, b BLOB)');
    for (let k = 0; k < 16; k++) {
      await src.exec('WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 96) INSERT INTO t(b) SELECT randomblob(65536) FROM c');
    }
    const dst = await openDatabase('api-big-dst', { timeoutMs: 200_000 });
    await dst.exec('DROP TABLE IF EXISTS t; CREATE TABLE IF NOT EXISTS old(x)');
    const srcBefore = (await src.memoryUsage()).wasmBytes;
    const dstBefore = (await dst.memoryUsage()).wasmBytes;
    const size = (await src.get('PRAGMA page_count')).page_count * (await src.get('PRAGMA page_size')).page_size;
    await dst.import(await src.export({ stream: true }));
    const srcGrew = (await src.memoryUsage()).wasmBytes - srcBefore;
    const dstGrew = (await dst.memoryUsage()).wasmBytes - dstBefore;
    const sum = 'SELECT count(*) AS n, sum(length(b)) AS bytes, sum(unicode(b)) AS mark FROM t';
    const want = await src.get(sum);
    const got = await dst.get(sum);
    const old = await dst.all("SELECT name FROM sqlite_schema WHERE name = 'old'");
    const check = await dst.get('PRAGMA integrity_check');
    const closed = await src.close().then(() => src.memoryUsage()).catch((e) => e.code);
    await dst.exec('DROP TABLE t');
    await dst.close();
    return { size, MiB, srcGrew, dstGrew, want, got, old, check, closed };
  });
  console.log(`# 96 MiB streamed: the source's worker grew ${(r.srcGrew / r.MiB).toFixed(1)} MiB, the importer's ${(r.dstGrew / r.MiB).toFixed(1)} MiB`);
  assert.ok(r.size >= 96 * r.MiB, `${r.size} bytes`);
  // A whole import holds the image twice in the importer's memory (192 MiB here).
  assert.ok(r.srcGrew < 24 * r.MiB, `the source's worker grew ${r.srcGrew} bytes`);
  assert.ok(r.dstGrew < 24 * r.MiB, `the importer's worker grew ${r.dstGrew} bytes`);
  assert.equal(r.want.n, 1536);
  assert.deepEqual(r.got, r.want);
  assert.deepEqual(r.old, []);
  assert.deepEqual(r.check, { integrity_check: 'ok' });
  assert.equal(r.closed, 'SQLITE_MISUSE');
});

test('112 debug mode from localStorage logs lifecycle lines with a prefix', T, async () => {
  const lines = [];
  const onConsole = (m) => lines.push(m.text());
  s.page.on('console', onConsole);
  try {
    await inPage(async ({ openDatabase }) => {
      localStorage.setItem('sqlite-worker-debug', 'true');
      try {
        const db = await openDatabase('api-debug', { persistence: 'memory' });
        await db.get('SELECT 1');
        await db.close();
      } finally {
        localStorage.removeItem('sqlite-worker-debug');
      }
    });
    // The worker's console lines reach the test a little after the page's.
    for (let i = 0; i < 50 && !lines.some((l) => /request\(s\) in/.test(l)); i++) await new Promise((res) => setTimeout(res, 50));
  } finally {
    s.page.off('console', onConsole);
  }
  assert.ok(lines.some((l) => l.startsWith('[sqlite-worker]') && /worker ready in/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('[sqlite-worker]') && /request\(s\) in/.test(l)), lines.join('\n'));
});

test('113 databases are listed and deleted; an open one is not deleted', T, async () => {
  const r = await inPage(async ({ openDatabase, listDatabases, deleteDatabase }) => {
    const db = await openDatabase('api-manage one', { persistence: 'opfs' });
    await db.exec('CREATE TABLE IF NOT EXISTS t(x)');
    const listed = (await listDatabases()).includes('api-manage one');
    let busy;
    try {
      await deleteDatabase('api-manage one');
    } catch (e) {
      busy = e.code;
    }
    await db.close();
    let deleted;
    for (let i = 0; i < 50 && deleted === undefined; i++) {
      // A closed worker's handles are released asynchronously.
      deleted = await deleteDatabase('api-manage one').catch((e) => (e.code === 'SQLITE_BUSY' ? new Promise((res) => setTimeout(res, 100)) : Promise.reject(e)));
    }
    const again = await deleteDatabase('api-manage one');
    const gone = !(await listDatabases()).includes('api-manage one');
    let bad;
    try {
      await deleteDatabase('a/b');
    } catch (e) {
      bad = e.code;
    }
    return { listed, busy, deleted, again, gone, bad };
  });
  assert.deepEqual(r, { listed: true, busy: 'SQLITE_BUSY', deleted: true, again: false, gone: true, bad: 'SQLITE_MISUSE' });
});

test('114 db.sql`…${value}…` binds every interpolation: hostile text stays a value; tx.sql; misuse is refused', T, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const db = await openDatabase('api-sql-tag', { persistence: 'memory' });
    await db.exec('CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT, data BLOB, big INTEGER)');
    const hostile = "x'); DROP TABLE p; --";
    const blob = new Uint8Array([0, 1, 254]);
    for (const [i, name] of [[1, 'a'], [2, hostile]]) await db.sql`INSERT INTO p(id, name, data, big) VALUES (${i}, ${name}, ${blob}, ${2n ** 62n})`;
    const who = hostile;
    const found = await db.sql`SELECT id, name, data, big, typeof(data) AS t FROM p WHERE name = ${who}`;
    const literalQuestion = await db.sql`SELECT '?' AS q, ${7} AS seven, ${'?2'} AS text`;
    const inTx = await db.transaction(async (tx) => {
      await tx.sql`UPDATE p SET name = ${'b'} WHERE id = ${1}`;
      return tx.sql`SELECT name FROM p ORDER BY id`;
    });
    const wrong = await Promise.allSettled([db.sql('SELECT 1'), db.sql`SELECT ${undefined}`]);
    const count = await db.get('SELECT count(*) AS n FROM p');
    await db.close();
    return {
      found: found.map((x) => ({ ...x, data: Array.from(x.data), big: String(x.big) })),
      columns: found.columns,
      literalQuestion,
      inTx: inTx.map((x) => x.name),
      wrong: wrong.map((o) => [o.status, o.reason?.code, o.reason?.message]),
      count,
    };
  });
  assert.deepEqual(r.found, [{ id: 2, name: "x'); DROP TABLE p; --", data: [0, 1, 254], big: String(2n ** 62n), t: 'blob' }]);
  assert.deepEqual(r.columns, ['id', 'name', 'data', 'big', 't']);
  assert.deepEqual(r.literalQuestion, [{ q: '?', seven: 7, text: '?2' }]);
  assert.deepEqual(r.inTx, ['b', "x'); DROP TABLE p; --"]);
  assert.equal(r.wrong[0][0], 'rejected');
  assert.equal(r.wrong[0][1], 'SQLITE_MISUSE');
  assert.match(r.wrong[0][2], /tag for a template literal/);
  assert.equal(r.wrong[1][0], 'rejected');
  assert.equal(r.wrong[1][1], 'SQLITE_MISMATCH');
  assert.deepEqual(r.count, { n: 2 });
});

test('115 a memory database is the tab\'s alone: it carries no _sqlw_ bookkeeping, nor does its export', T, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const db = await openDatabase('api-private', { persistence: 'memory' });
    await db.exec('CREATE TABLE t(x); PRAGMA foreign_keys = ON');
    await db.run('INSERT INTO t VALUES (1)');
    await db.transaction(async (tx) => { await tx.run('INSERT INTO t VALUES (2)'); });
    const listing = "SELECT name FROM sqlite_schema WHERE name LIKE '\\_sqlw\\_%' ESCAPE '\\'";
    const tables = await db.all(listing);
    const image = await db.export();
    const copy = await openDatabase('api-private-copy', { persistence: 'memory' });
    await copy.import(image);
    const copied = { tables: await copy.all(listing), rows: await copy.get('SELECT count(*) AS n FROM t') };
    const n = await db.get('SELECT count(*) AS n FROM t');
    await copy.close();
    await db.close();
    return { tables, copied, n };
  });
  assert.deepEqual(r.tables, []);
  assert.deepEqual(r.copied, { tables: [], rows: { n: 2 } });
  assert.deepEqual(r.n, { n: 2 });
});

test('116 SQL transactions in a memory database and a persistent one: across calls, in scripts, with savepoints; errors as SQLite gives them', T, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const out = {};
    for (const persistence of ['memory', 'opfs']) {
      const db = await openDatabase(`api-sql-txn-${persistence}`, { persistence });
      await db.exec('DROP TABLE IF EXISTS t; CREATE TABLE t(x)');
      const steps = [];
      await db.exec('BEGIN');
      steps.push(db.inTransaction);
      await db.run('INSERT INTO t VALUES (1)');
      await db.exec('SAVEPOINT a; INSERT INTO t VALUES (2)');
      await db.exec('ROLLBACK TO a');
      await db.sql`INSERT INTO t VALUES (${3})`;
      await db.exec('COMMIT');
      steps.push(db.inTransaction);
      // A script holding a whole transaction, as a migration file does.
      await db.exec('BEGIN; INSERT INTO t VALUES (4); INSERT INTO t VALUES (5); COMMIT');
      // A rolled-back one.
      await db.exec('BEGIN; INSERT INTO t VALUES (6)');
      await db.exec('ROLLBACK');
      const errors = await Promise.allSettled([db.exec('COMMIT'), db.exec('ROLLBACK'), db.exec('RELEASE nope'),
        db.exec('SAVEPOINT _sqlw_mine'), db.exec('INSERT INTO t VALUES (7); BEGIN')]);
      const rows = (await db.all('SELECT x FROM t ORDER BY x')).map((row) => row.x);
      await db.close();
      out[persistence] = {
        steps, rows, open: db.inTransaction,
        errors: errors.map((o) => o.status === 'rejected' ? `${o.reason.code}: ${o.reason.message}` : 'ok'),
      };
    }
    return out;
  });
  for (const persistence of ['memory', 'opfs']) {
    const x = r[persistence];
    assert.deepEqual(x.steps, [true, false], persistence);
    assert.deepEqual(x.rows, [1, 3, 4, 5], persistence);
    assert.equal(x.open, false);
    assert.equal(x.errors[0], 'SQLITE_ERROR: cannot commit - no transaction is active');
    assert.equal(x.errors[1], 'SQLITE_ERROR: cannot rollback - no transaction is active');
    assert.equal(x.errors[2], 'SQLITE_ERROR: no such savepoint: nope');
    assert.match(x.errors[3], /^SQLITE_ERROR: savepoint names starting with _sqlw_/);
    assert.match(x.errors[4], /^SQLITE_ERROR: a request may not leave a transaction open after writing outside one/);
  }
});

test('117 db.iterate reads a result in chunks: every row in order, a 300 MB result that no single answer may hold, early exit, arrays and bigints, inside transactions; writes refused', { timeout: 180_000 }, async () => {
  const r = await inPage(async ({ openDatabase }) => {
    const db = await openDatabase('api-iterate', { persistence: 'memory' });
    await db.exec("CREATE TABLE t(x INTEGER PRIMARY KEY, s TEXT); INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 10000) SELECT i, 'row ' || i FROM c");
    let n = 0;
    let ordered = true;
    for await (const row of db.iterate('SELECT x, s FROM t WHERE x > ? ORDER BY x', [0], { chunkRows: 999 })) {
      n++;
      if (row.x !== n || row.s !== `row ${n}`) ordered = false;
    }
    const huge = 'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300) SELECT zeroblob(1048576) AS b FROM c';
    const whole = await db.all(huge).then(() => 'no error', (e) => e.code);
    let bytes = 0;
    for await (const row of db.iterate(huge)) bytes += row.b.length;
    const early = [];
    for await (const row of db.iterate('SELECT x FROM t ORDER BY x', [], { chunkRows: 10 })) {
      early.push(row.x);
      if (early.length === 15) break;
    }
    const arrays = [];
    for await (const row of db.iterate('SELECT 9007199254740993 AS big, ?', ['v'], { rowMode: 'array', bigint: 'always' })) arrays.push(row.map(String));
    const inTx = [];
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (20000, \'in tx\')');
      for await (const row of tx.iterate('SELECT x FROM t WHERE x >= 10000 ORDER BY x', [], { chunkRows: 1 })) inTx.push(row.x);
    });
    await db.exec('BEGIN');
    const inSql = [];
    for await (const row of db.iterate('SELECT count(*) AS n FROM t')) inSql.push(row.n);
    await db.exec('COMMIT');
    const refused = [];
    for (const sql of ['DELETE FROM t RETURNING x', 'SELECT 1; SELECT 2', 'BEGIN']) {
      try {
        for await (const row of db.iterate(sql)) refused.push(['row', row]);
      } catch (e) {
        refused.push(e.code);
      }
    }
    const bad = await db.iterate('SELECT 1', [], { chunkRows: 0 }).next().then(() => 'no error', (e) => e.code);
    const count = await db.get('SELECT count(*) AS n FROM t');
    await db.close();
    return { n, ordered, whole, bytes, early, arrays, inTx, inSql, refused, bad, count };
  });
  assert.equal(r.n, 10000);
  assert.equal(r.ordered, true);
  assert.equal(r.whole, 'SQLITE_TOOBIG', 'the whole result does not fit one answer');
  assert.equal(r.bytes, 300 * 1048576);
  assert.deepEqual(r.early, Array.from({ length: 15 }, (_, i) => i + 1));
  assert.deepEqual(r.arrays, [['9007199254740993', 'v']]);
  assert.deepEqual(r.inTx, [10000, 20000]);
  assert.deepEqual(r.inSql, [10001]);
  assert.deepEqual(r.refused, ['SQLITE_MISUSE', 'SQLITE_MISUSE', 'SQLITE_MISUSE']);
  assert.equal(r.bad, 'SQLITE_MISUSE');
  assert.deepEqual(r.count, { n: 10001 });
});

test('118 the page compiles the wasm once and hands it to its workers: a worker that dies is replaced, and another database opens, with no second fetch', T, async () => {
  // Before counting: this page has compiled the module (a first open does).
  await inPage(async ({ openDatabase }) => (await openDatabase('api-module-warm', { persistence: 'memory' })).close());
  const fetched = [];
  const onRequest = (req) => {
    if (new URL(req.url()).pathname.endsWith('.wasm')) fetched.push(req.url());
  };
  s.page.on('request', onRequest);
  let r;
  try {
    r = await inPage(async ({ openDatabase }) => {
      const started = window.workers.length;
      const db = await openDatabase('api-module');
      await db.exec('DROP TABLE IF EXISTS t; CREATE TABLE t(x); INSERT INTO t VALUES (1)');
      window.workers.at(-1).terminate();
      const write = await db.run('INSERT INTO t VALUES (2)');   // a new worker runs it
      const rows = await db.all('SELECT x FROM t ORDER BY x');
      const mem = await openDatabase('api-module-mem', { persistence: 'memory' });
      const one = await mem.get('SELECT 1 AS one');
      await mem.close();
      await db.close();
      return { workers: window.workers.length - started, write, rows, one };
    });
  } finally {
    s.page.off('request', onRequest);
  }
  assert.deepEqual(r, { workers: 3, write: { changes: 1, lastInsertRowid: 2 }, rows: [{ x: 1 }, { x: 2 }], one: { one: 1 } });
  // Chromium reports a dedicated worker's fetches as the page's: none of the three
  // workers fetched the wasm (before: one fetch and one compilation each).
  assert.deepEqual(fetched, []);
});

test('119 pageSize: a new database gets pages of that size, one that exists keeps its own; a memory one too', T, async () => {
  const r = await inPage(async ({ openDatabase, deleteDatabase }) => {
    for (const n of ['api-pagesize', 'api-pagesize-default']) await deleteDatabase(n).catch(() => {});
    let db = await openDatabase('api-pagesize', { persistence: 'opfs', pageSize: 16384 });
    const created = (await db.get('PRAGMA page_size')).page_size;
    await db.exec('CREATE TABLE t(x)');
    const rows = Array.from({ length: 3000 }, (_, i) => [`row ${i} `.repeat(30)]);
    await db.runMany('INSERT INTO t VALUES (?)', rows);
    await db.close();
    // A new worker reads what the last one wrote; the option cannot resize it.
    db = await openDatabase('api-pagesize', { persistence: 'opfs', pageSize: 4096 });
    const reopened = (await db.get('PRAGMA page_size')).page_size;
    const back = await db.get('SELECT count(*) AS n, sum(length(x)) AS len FROM t');
    const check = (await db.get('PRAGMA integrity_check')).integrity_check;
    const image = await db.export();
    await db.close();
    const dflt = await openDatabase('api-pagesize-default', { persistence: 'opfs' });
    const defaultSize = (await dflt.get('PRAGMA page_size')).page_size;
    await dflt.close();
    const mem = await openDatabase('api-pagesize-mem', { persistence: 'memory', pageSize: 1024 });
    await mem.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
    const memSize = (await mem.get('PRAGMA page_size')).page_size;
    await mem.close();
    for (const n of ['api-pagesize', 'api-pagesize-default']) await deleteDatabase(n);
    return { created, reopened, back, check, imagePage: (image[16] << 8 | image[17]) || 65536, defaultSize, memSize };
  });
  assert.deepEqual(r, {
    created: 16384, reopened: 16384,
    back: { n: 3000, len: Array.from({ length: 3000 }, (_, i) => `row ${i} `.repeat(30).length).reduce((a, b) => a + b) },
    check: 'ok', imagePage: 16384, defaultSize: 4096, memSize: 1024,
  });
});
