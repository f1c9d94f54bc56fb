// live.test.mjs — change events and live queries across tabs (README "Live queries",
// docs/coord.md "Change notices"). The tabs open one database through the public API
// (fixtures/api.html); a live query in one tab must see every commit of any tab that
// changed a table it reads (triggers, foreign-key cascades, REPLACE, WITHOUT ROWID,
// DELETE without WHERE and FTS5 included), run again no more often than those commits
// (counted: LiveQuery.runs), never for unrelated tables, through a schema change and a
// leader change, and leave nothing behind when unsubscribed or closed.
//
// Waiting is done on outcomes (a snapshot's rows, a marker notice), never on time: the
// leader posts the notices of one sender in order, so once a tab has heard a marker
// written after a change, it has heard the change.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSession, bounded, port } from './driver.mjs';
import { tabHelpers } from './tabs.mjs';
import { changesChannelName } from '../../src/js/protocol.js';

const PORT = port(8731);
const T = { timeout: 180_000 };
const CALL_MS = 60_000;

const s = await openSession({ port: PORT, fixture: 'api' });
after(() => s.close());

const { newTab, closeTabs, assertNoPageErrors } = tabHelpers(s, CALL_MS);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/*
** Runs fn(db, ...args) in tab `page` (database `name`, opened at first use with
** `options`). Page helpers: window.lq(key) is the record of live query `key` made by
** window.watch(db, key, sql, params, options): { q, values, errors, unsub }; and
** window.changes[name] lists the 'change' events a window.listen(db) saw.
*/
function call(page, name, options, fn, args) {
  return bounded(page.evaluate(async (src, dbName, opts, a) => {
    while (window.apiReady !== true) await new Promise((resolve) => setTimeout(resolve, 10));
    window.dbs ??= new Map();
    window.live ??= new Map();
    window.changes ??= {};
    window.watch ??= (db, key, sql, params, o) => {
      const rec = { q: db.live(sql, params, o), values: [], errors: [] };
      rec.unsub = rec.q.subscribe((rows) => { if (rows !== undefined) rec.values.push(rows); }, (e) => rec.errors.push(`${e.code}: ${e.message}`));
      window.live.set(key, rec);
      return rec;
    };
    window.lq ??= (key) => window.live.get(key);
    window.listen ??= (db) => {
      const list = (window.changes[db.name] ??= []);
      return db.on('change', (e) => list.push({ tables: e.tables, seq: String(e.seq), local: e.local, schema: e.schema, all: e.all }));
    };
    try {
      if (!window.dbs.has(dbName)) window.dbs.set(dbName, window.api.openDatabase(dbName, opts ?? undefined));
      const f = (0, eval)(`(${src})`);
      return await f(await window.dbs.get(dbName), ...a);
    } catch (e) {
      return { thrown: { name: e?.name, message: e?.message ?? String(e), code: e?.code, errno: e?.errno } };
    }
  }, fn.toString(), name, options ?? null, args), CALL_MS, `a call into a tab (${name})`);
}

function inTab(page, name, fn, ...args) {
  return call(page, name, null, fn, args);
}

/* Waits until fn(db, ...args) is truthy in the tab (polled), bounded; returns its value. */
async function until(page, name, fn, what, ...args) {
  const deadline = Date.now() + CALL_MS;
  let last;
  for (;;) {
    last = await inTab(page, name, fn, ...args);
    if (last && !last.thrown) return last;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${CALL_MS} ms (last: ${JSON.stringify(last)})`);
    await sleep(25);
  }
}

/* The count of rows of live query `key`'s latest snapshot, or null. */
const snapshotOf = (db, key) => window.lq(key)?.q.getSnapshot() ?? null;

/* Writes a marker row in tab `writer` and waits until tab `reader`'s marker query shows
** it: its run followed the marker's notice, and every notice posted before that one had
** been heard (and acted on) before it. */
async function markerHeard(writer, reader, name, n) {
  await inTab(writer, name, (db, v) => db.run('INSERT INTO marker VALUES (?)', [v]), n);
  await until(reader, name, (db, v) => window.lq('__marker')?.q.getSnapshot()?.some((r) => r.v === v), `the marker ${n}`, n);
}

/* Opens database `name` in tabs a (first: it leads) and b, with a marker table, b
** listening for changes and watching the marker. */
async function twoTabs(name, setupSql) {
  const a = await newTab();
  const b = await newTab();
  await inTab(a, name, (db, sql) => db.exec(`CREATE TABLE IF NOT EXISTS marker(v); ${sql}`), setupSql ?? '');
  await inTab(b, name, (db) => {
    window.unlisten = window.listen(db);
    window.watch(db, '__marker', 'SELECT v FROM marker');
    return true;
  });
  await until(b, name, (db) => window.lq('__marker').q.getSnapshot() !== undefined, 'the marker query\'s first result');
  return { a, b };
}

test('100 a live query in tab B sees tab A\'s insert; both tabs get one change event (local in A only)', T, async () => {
  const name = `live100-${Date.now()}`;
  const { a, b } = await twoTabs(name, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
  try {
    await inTab(a, name, (db) => { window.listen(db); return true; });
    await inTab(b, name, (db) => { window.watch(db, 't', 'SELECT id, v FROM t ORDER BY id'); return true; });
    await until(b, name, (db) => Array.isArray(window.lq('t').q.getSnapshot()), 'the first result');
    assert.deepEqual(await inTab(b, name, snapshotOf, 't'), []);
    await inTab(a, name, (db) => db.run("INSERT INTO t(v) VALUES ('hello')"));
    const rows = await until(b, name, (db) => { const r = window.lq('t').q.getSnapshot(); return r?.length === 1 ? r : null; }, 'the insert in B');
    assert.deepEqual(rows, [{ id: 1, v: 'hello' }]);
    // The writer's own tab hears it too, as local; the other tab as not local.
    // (A tab's first notice may also report commits made just before it listened: the
    // tables' creation here. The insert's is the one without a schema change.)
    const ea = await until(a, name, (db) => (window.changes[db.name] ?? []).find((e) => e.tables.includes('t') && !e.schema), 'A\'s change event');
    const eb = await until(b, name, (db) => (window.changes[db.name] ?? []).find((e) => e.tables.includes('t') && !e.schema), 'B\'s change event');
    assert.equal(ea.local, true);
    assert.equal(eb.local, false);
    assert.equal(ea.seq, eb.seq);
    assert.deepEqual(eb.tables, ['t']);
    assert.equal(eb.schema, false);
    // Same reference until the result changes: a re-run with equal rows keeps it.
    assert.equal(await inTab(b, name, (db) => {
      const r = window.lq('t');
      return r.values.length === 2 && r.values[1] === r.q.getSnapshot();
    }), true);
    assertNoPageErrors([a, b]);
  } finally {
    await closeTabs([a, b]);
  }
});

test('110 a 1,000-row transaction in tab A gives B\'s live query exactly one re-run, with the final state', T, async () => {
  const name = `live110-${Date.now()}`;
  const { a, b } = await twoTabs(name, 'CREATE TABLE t(id INTEGER PRIMARY KEY, v)');
  try {
    await inTab(b, name, (db) => { window.watch(db, 'n', 'SELECT count(*) AS n, total(v) AS s FROM t'); return true; });
    await until(b, name, (db) => window.lq('n').q.getSnapshot() !== undefined, 'the first result');
    await inTab(a, name, (db) => db.transaction(async (tx) => {
      for (let i = 0; i < 1000; i += 100) {
        await tx.runMany('INSERT INTO t(v) VALUES (?)', Array.from({ length: 100 }, (_, k) => [i + k]));
      }
    }));
    await until(b, name, (db) => window.lq('n').q.getSnapshot()?.[0]?.n === 1000, 'the 1,000 rows in B');
    await markerHeard(a, b, name, 1);
    const seen = await inTab(b, name, (db) => ({ runs: window.lq('n').q.runs, values: window.lq('n').values }));
    assert.equal(seen.runs, 2, 'one run, then one re-run for the one commit');
    assert.deepEqual(seen.values, [[{ n: 0, s: 0 }], [{ n: 1000, s: 499500 }]]);
    assertNoPageErrors([a, b]);
  } finally {
    await closeTabs([a, b]);
  }
});

test('120 writes to an unrelated table re-run nothing; a view over two tables re-runs on either', T, async () => {
  const name = `live120-${Date.now()}`;
  const { a, b } = await twoTabs(name, 'CREATE TABLE x(v); CREATE TABLE y(v); CREATE TABLE other(v); '
    + 'CREATE VIEW xy AS SELECT v FROM x UNION ALL SELECT v FROM y');
  try {
    await inTab(b, name, (db) => {
      window.watch(db, 'x', 'SELECT count(*) AS n FROM x');
      window.watch(db, 'xy', 'SELECT count(*) AS n FROM xy');
      return true;
    });
    await until(b, name, (db) => window.lq('x').q.getSnapshot() && window.lq('xy').q.getSnapshot(), 'the first results');
    for (let i = 0; i < 20; i++) await inTab(a, name, (db) => db.run('INSERT INTO other VALUES (1)'));
    await markerHeard(a, b, name, 1);
    assert.deepEqual(await inTab(b, name, (db) => [window.lq('x').q.runs, window.lq('xy').q.runs]), [1, 1],
      'no run for 20 commits to a table neither reads');
    await inTab(a, name, (db) => db.run('INSERT INTO y VALUES (1)'));
    await until(b, name, (db) => window.lq('xy').q.getSnapshot()[0].n === 1, 'the view sees y');
    await inTab(a, name, (db) => db.run('INSERT INTO x VALUES (1)'));
    await until(b, name, (db) => window.lq('xy').q.getSnapshot()[0].n === 2 && window.lq('x').q.getSnapshot()[0].n === 1, 'the view sees x');
    await markerHeard(a, b, name, 2);
    assert.deepEqual(await inTab(b, name, (db) => [window.lq('x').q.runs, window.lq('xy').q.runs]), [2, 3]);
    assertNoPageErrors([a, b]);
  } finally {
    await closeTabs([a, b]);
  }
});

// Each case: setup SQL, the write (in tab A), the live queries of tab B that must re-run
// (with the rows they must then show) and one that must not.
const CASES = [
  ['a trigger\'s write', 'CREATE TABLE src(v); CREATE TABLE audit(m); CREATE TRIGGER tr AFTER INSERT ON src BEGIN INSERT INTO audit VALUES (\'saw \' || new.v); END',
    "INSERT INTO src VALUES ('a')", { 'SELECT m FROM audit': [{ m: 'saw a' }] }],
  ['a foreign-key cascade', 'CREATE TABLE p(id INTEGER PRIMARY KEY); CREATE TABLE c(id INTEGER PRIMARY KEY, pid REFERENCES p(id) ON DELETE CASCADE); INSERT INTO p VALUES (1); INSERT INTO c VALUES (10, 1)',
    'DELETE FROM p WHERE id = 1', { 'SELECT id FROM c': [] }],
  ['a REPLACE conflict', 'CREATE TABLE r(k TEXT PRIMARY KEY, v); INSERT INTO r VALUES (\'k\', 1)',
    "INSERT OR REPLACE INTO r VALUES ('k', 2)", { 'SELECT k, v FROM r': [{ k: 'k', v: 2 }] }],
  ['a WITHOUT ROWID table', 'CREATE TABLE w(k TEXT PRIMARY KEY, v) WITHOUT ROWID',
    "INSERT INTO w VALUES ('a', 1)", { 'SELECT k, v FROM w': [{ k: 'a', v: 1 }] }],
  ['DELETE without WHERE', 'CREATE TABLE d(v); INSERT INTO d VALUES (1), (2), (3)',
    'DELETE FROM d', { 'SELECT count(*) AS n FROM d': [{ n: 0 }] }],
  ['an FTS5 insert', 'CREATE VIRTUAL TABLE f USING fts5(body)',
    "INSERT INTO f VALUES ('hello live world')", { "SELECT body FROM f WHERE f MATCH 'live'": [{ body: 'hello live world' }] }],
];

test('130 a trigger, an FK cascade, REPLACE, WITHOUT ROWID, DELETE without WHERE, FTS5: each re-runs the queries reading what it changed, and no other', T, async () => {
  const name = `live130-${Date.now()}`;
  // The schema first (a schema change runs every live query again), then the queries.
  const { a, b } = await twoTabs(name, `CREATE TABLE bystander(v); ${CASES.map((c) => c[1]).join('; ')}`);
  try {
    await inTab(a, name, (db) => db.exec('PRAGMA foreign_keys = ON'));      // tab A's setting
    const all = CASES.flatMap((c) => Object.keys(c[3]));
    await inTab(b, name, (db, k) => {
      window.watch(db, 'bystander', 'SELECT count(*) AS n FROM bystander');
      for (const sql of k) window.watch(db, sql, sql);
      return true;
    }, all);
    await until(b, name, (db, k) => ['bystander', ...k].every((sql) => window.lq(sql).q.getSnapshot() !== undefined), 'first results', all);
    for (const [i, [what, , write, expect]] of CASES.entries()) {
      const keys = Object.keys(expect);
      const before = await inTab(b, name, (db, k) => k.map((sql) => window.lq(sql).q.runs), keys);
      const r = await inTab(a, name, (db, sql) => db.exec(sql).then(() => true), write);
      assert.equal(r, true, `${what}: the write ran (${JSON.stringify(r)})`);
      for (const [sql, rows] of Object.entries(expect)) {
        const got = await until(b, name, (db, k, want) => JSON.stringify(window.lq(k).q.getSnapshot()) === want ? window.lq(k).q.getSnapshot() : null,
          `${what}: ${sql} shows the write`, sql, JSON.stringify(rows));
        assert.deepEqual(got, rows);
      }
      const afterRuns = await inTab(b, name, (db, k) => k.map((sql) => window.lq(sql).q.runs), keys);
      afterRuns.forEach((n, k) => assert.equal(n, before[k] + 1, `${what}: ${keys[k]} ran once more`));
      await markerHeard(a, b, name, 100 + i);
      assert.equal(await inTab(b, name, (db) => window.lq('bystander').q.runs), 1, `${what}: the bystander did not run`);
    }
    assertNoPageErrors([a, b]);
  } finally {
    await closeTabs([a, b]);
  }
});

test('140 a schema change re-runs: a dropped table turns the live query into an error (onError, still subscribed), a re-created one back into rows', T, async () => {
  const name = `live140-${Date.now()}`;
  const { a, b } = await twoTabs(name, 'CREATE TABLE s(v); INSERT INTO s VALUES (1)');
  try {
    await inTab(b, name, (db) => { window.watch(db, 's', 'SELECT v FROM s'); return true; });
    await until(b, name, (db) => window.lq('s').q.getSnapshot()?.length === 1, 'the first result');
    await markerHeard(a, b, name, 0);
    const schemaBefore = await inTab(b, name, (db) => window.changes[db.name].filter((x) => x.schema).length);
    await inTab(a, name, (db) => db.exec('DROP TABLE s'));
    const err = await until(b, name, (db) => window.lq('s').errors[0], 'the error after DROP');
    assert.match(err, /no such table: s/);
    const e = await until(b, name, (db) => (window.changes[db.name] ?? []).find((x) => x.schema), 'a schema change event');
    assert.ok(e.tables.includes('s'));
    await inTab(a, name, (db) => db.exec('CREATE TABLE s(v); INSERT INTO s VALUES (7), (8)'));
    const rows = await until(b, name, (db) => { const r = window.lq('s').q.getSnapshot(); return r?.length === 2 ? r : null; }, 'rows again after CREATE');
    assert.deepEqual(rows, [{ v: 7 }, { v: 8 }]);
    // A CREATE TABLE IF NOT EXISTS of a table that exists changes nothing: no notice.
    await inTab(a, name, (db) => db.exec('CREATE TABLE IF NOT EXISTS s(v)'));
    await markerHeard(a, b, name, 1);
    assert.equal(await inTab(b, name, (db) => window.changes[db.name].filter((x) => x.schema).length), schemaBefore + 2,
      'DROP and CREATE were schema changes; the no-op was not');
    assertNoPageErrors([a, b]);
  } finally {
    await closeTabs([a, b]);
  }
});

test('150 a leader change during a subscription loses no update', T, async () => {
  const name = `live150-${Date.now()}`;
  const { a, b } = await twoTabs(name, 'CREATE TABLE t(v)');
  const c = await newTab();
  try {
    assert.equal(await inTab(a, name, (db) => db.isLeader), true);
    await inTab(b, name, (db) => { window.watch(db, 't', 'SELECT v FROM t ORDER BY v'); return true; });
    await until(b, name, (db) => window.lq('t').q.getSnapshot() !== undefined, 'the first result');
    await inTab(c, name, (db) => db.run('INSERT INTO t VALUES (1)'));
    // The leader's tab goes right after a write (its notice may or may not have left).
    await inTab(a, name, (db) => { db.run('INSERT INTO t VALUES (2)'); return true; });
    await a.close();
    await inTab(c, name, (db) => db.run('INSERT INTO t VALUES (3)'));
    const rows = await until(b, name, (db) => { const r = window.lq('t').q.getSnapshot(); return r?.some((x) => x.v === 3) ? r : null; }, 'the write after the leader change');
    const values = rows.map((r) => r.v);
    const stored = (await inTab(c, name, (db) => db.all('SELECT v FROM t ORDER BY v'))).map((r) => r.v);
    assert.deepEqual(values, stored, 'the live query shows what the database holds');
    assert.ok(values.includes(1) && values.includes(3));
    assertNoPageErrors([b, c]);
  } finally {
    await closeTabs([a, b, c]);
  }
});

test('160 100 live queries in 4 tabs under a write burst stay correct, with runs ≤ 1 + affecting commits', T, async () => {
  const name = `live160-${Date.now()}`;
  const tabs = [await newTab(), await newTab(), await newTab(), await newTab()];
  try {
    await inTab(tabs[0], name, (db) => db.exec('CREATE TABLE marker(v); CREATE TABLE k0(v); CREATE TABLE k1(v); CREATE TABLE k2(v); CREATE TABLE k3(v); CREATE TABLE k4(v)'));
    // 25 queries per tab, 5 per table: count and sum of k0..k4.
    for (const p of tabs) {
      await inTab(p, name, (db) => {
        window.listen(db);
        window.watch(db, '__marker', 'SELECT v FROM marker');
        for (let i = 0; i < 25; i++) window.watch(db, `q${i}`, `SELECT count(*) AS n, total(v) AS s, ${i} AS i FROM k${i % 5}`);
        return true;
      });
    }
    for (const p of tabs) await until(p, name, (db) => [...window.live.values()].every((r) => r.q.getSnapshot() !== undefined), 'first results');
    // Burst: each tab writes 30 single-row commits spread over k0..k3 (k4 never written).
    await Promise.all(tabs.map((p, t) => inTab(p, name, async (db, tab) => {
      const ps = [];
      for (let i = 0; i < 30; i++) ps.push(db.run(`INSERT INTO k${(tab + i) % 4} VALUES (?)`, [i]));
      await Promise.all(ps);
      return true;
    }, t)));
    const truth = await inTab(tabs[0], name, (db) => Promise.all([0, 1, 2, 3, 4].map((k) => db.get(`SELECT count(*) AS n, total(v) AS s FROM k${k}`))));
    for (const [ti, p] of tabs.entries()) {
      await inTab(tabs[0], name, (db, v) => db.run('INSERT INTO marker VALUES (?)', [v]), 1000 + ti);
      await until(p, name, (db, v) => window.lq('__marker').q.getSnapshot()?.some((r) => r.v === v), 'the marker', 1000 + ti);
      const state = await until(p, name, (db, t) => {
        const out = [];
        for (let i = 0; i < 25; i++) {
          const r = window.lq(`q${i}`);
          const snap = r.q.getSnapshot()[0];
          if (snap.n !== t[i % 5].n) return null;
          out.push({ i, n: snap.n, s: snap.s, runs: r.q.runs, errors: r.errors.length });
        }
        return out;
      }, 'every query current', truth);
      for (const q of state) {
        assert.equal(q.s, truth[q.i % 5].s);
        assert.equal(q.errors, 0);
        // Commits to its table: 30 per tab spread over 4 tables → 30 per table.
        const affecting = q.i % 5 === 4 ? 0 : 30;
        assert.ok(q.runs <= 1 + affecting, `query ${q.i} in tab ${ti}: ${q.runs} runs for ${affecting} commits`);
        if (q.i % 5 === 4) assert.equal(q.runs, 1, 'the table nobody wrote: no re-run');
      }
    }
    assertNoPageErrors(tabs);
  } finally {
    await closeTabs(tabs);
  }
});

test('170 unsubscribing the last listener and closing leave no channel, listener, run or leader-side state', T, async () => {
  const name = `live170-${Date.now()}`;
  const { a, b } = await twoTabs(name, 'CREATE TABLE t(v)');
  try {
    const r = await inTab(b, name, async (db) => {
      const q = db.live('SELECT count(*) AS n FROM t');
      const seen = [];
      const u1 = q.subscribe((rows) => seen.push(rows));
      const u2 = q.subscribe(() => {});
      const during = { listening: db._feed.listening, lives: db._feed.liveCount };
      u1();
      const afterOne = db._feed.liveCount;
      u2();
      u2();                                         // twice is harmless
      return { during, afterOne, afterAll: db._feed.liveCount, runs: q.runs, q: (window.kept = q) && true };
    });
    assert.deepEqual(r.during, { listening: true, lives: 2 });   // the marker query and this one
    assert.equal(r.afterOne, 2, 'one listener left: still live');
    assert.equal(r.afterAll, 1, 'no listener: the query left the feed');
    // Writes now make no run of the unsubscribed query.
    await inTab(a, name, (db) => db.run('INSERT INTO t VALUES (1)'));
    await markerHeard(a, b, name, 1);
    assert.equal(await inTab(b, name, () => window.kept.runs), r.runs, 'no run after unsubscribe');
    // The marker query gone too: no channel; a 'change' listener opens it, its removal closes it.
    const ch = await inTab(b, name, (db) => {
      window.lq('__marker').unsub();
      window.unlisten();
      const none = db._feed.listening;
      const off = db.on('change', () => {});
      const withListener = db._feed.listening;
      off();
      return [none, withListener, db._feed.listening];
    });
    assert.deepEqual(ch, [false, true, false]);
    // Leader-side: a live query keeps nothing there between runs; close ends everything.
    const closed = await inTab(b, name, async (db) => {
      const q = db.live('SELECT count(*) AS n FROM t');
      const errors = [];
      q.subscribe(() => {}, (e) => errors.push(e.message));
      await db.close();
      let threw = null;
      try { q.subscribe(() => {}); } catch (e) { threw = e.code; }
      return { listening: db._feed.listening, lives: db._feed.liveCount, threw, errors };
    });
    assert.deepEqual(closed, { listening: false, lives: 0, threw: 'SQLITE_MISUSE', errors: [] });
    // The leader serves on, without the closed tab's queries.
    assert.equal((await inTab(a, name, (db) => db.get('SELECT count(*) AS n FROM t'))).n, 1);
    assertNoPageErrors([a, b]);
  } finally {
    await closeTabs([a, b]);
  }
});

test('175 the leader posts no notice until a page listens; the first then covers every commit since', T, async () => {
  const name = `live175-${Date.now()}`;
  const a = await newTab();
  const c = await newTab();
  try {
    await inTab(a, name, (db) => db.exec('CREATE TABLE t(v)'));
    // Tab C hears the changes channel raw (no LISTEN, as a bystander script would).
    await inTab(c, name, (db, ch) => {
      window.raw = [];
      window.rawChannel = new BroadcastChannel(ch);
      window.rawChannel.onmessage = (e) => {
        if (e.data instanceof ArrayBuffer) {
          const dv = new DataView(e.data);
          window.raw.push([dv.getUint32(32, true), dv.getUint32(36, true)]);
        }
      };
      return true;
    }, changesChannelName(name));
    for (let i = 0; i < 5; i++) await inTab(a, name, (db, v) => db.run('INSERT INTO t VALUES (?)', [v]), i);
    // Now a page listens: the leader's first notice reports commits 1 (the CREATE) to 6.
    await inTab(c, name, (db) => { window.listen(db); return true; });
    const first = await until(c, name, () => window.raw[0], 'the first notice');
    assert.deepEqual(first, [1, 6], 'nothing was posted before a page listened, and nothing is lost');
    const e = await until(c, name, (db) => window.changes[db.name]?.[0], 'the change event');
    assert.deepEqual(e.tables, ['t']);
    assert.equal(e.schema, true);
    await inTab(c, name, () => { window.rawChannel.close(); return true; });
    assertNoPageErrors([a, c]);
  } finally {
    await closeTabs([a, c]);
  }
});

test('180 bad input: a live query that writes or holds two statements is refused; forged and malformed notices on the channel break nothing', T, async () => {
  const name = `live180-${Date.now()}`;
  const { a, b } = await twoTabs(name, 'CREATE TABLE t(v)');
  try {
    const refused = await inTab(b, name, async (db) => {
      const out = [];
      for (const sql of ['INSERT INTO t VALUES (1)', 'SELECT 1; SELECT 2', 'PRAGMA user_version = 3']) {
        const errs = [];
        const q = db.live(sql);
        const off = q.subscribe(() => {}, (e) => errs.push(e.code));
        while (errs.length === 0) await new Promise((r) => setTimeout(r, 10));
        off();
        out.push(errs[0]);
      }
      let bad = null;
      try { db.live(42); } catch (e) { bad = e.code; }
      let badOpt = null;
      try { db.live('SELECT 1', [], { signal: 1 }); } catch (e) { badOpt = e.code; }
      return { out, bad, badOpt, n: (await db.get('SELECT count(*) AS n FROM t')).n };
    });
    assert.deepEqual(refused, { out: ['SQLITE_MISUSE', 'SQLITE_MISUSE', 'SQLITE_MISUSE'], bad: 'SQLITE_MISUSE', badOpt: 'SQLITE_MISUSE', n: 0 });
    await inTab(b, name, (db) => { window.watch(db, 't', 'SELECT count(*) AS n FROM t'); return true; });
    await until(b, name, (db) => window.lq('t').q.getSnapshot() !== undefined, 'the first result');
    // A hostile script of the origin posts junk and forged notices on the changes channel.
    const channel = changesChannelName(name);
    await inTab(a, name, (db, ch) => {
      const bc = new BroadcastChannel(ch);
      const junk = [null, 'x', 42, new ArrayBuffer(3), new Uint8Array(100).buffer, { a: 1 }];
      for (const j of junk) bc.postMessage(j);
      // A well-formed notice naming t, far in the future: it may make the query run once more, no more.
      const forged = new Uint8Array(32 + 16 + 4 + 4 + 1);
      const dv = new DataView(forged.buffer);
      forged.set([0x53, 0x51, 0x57, 0x43]);
      dv.setUint16(4, 5, true);
      dv.setUint16(6, 6, true);
      dv.setBigUint64(8, 1n << 40n, true);
      dv.setUint32(32, 1, true);
      dv.setUint32(36, 1, true);
      dv.setUint32(48, 1, true);
      dv.setUint32(52, 1, true);
      forged[56] = 't'.charCodeAt(0);
      for (let i = 0; i < 50; i++) bc.postMessage(forged.buffer.slice(0));
      bc.close();
      return true;
    }, channel);
    await inTab(a, name, (db) => db.run('INSERT INTO t VALUES (1)'));
    const n = await until(b, name, (db) => window.lq('t').q.getSnapshot()?.[0]?.n === 1 && window.lq('t').q.runs, 'the real write');
    assert.ok(n <= 4, `junk and 50 forged notices cost at most a few runs (${n})`);
    assertNoPageErrors([a, b]);
  } finally {
    await closeTabs([a, b]);
  }
});

test('190 a memory database: change events and live queries in its own tab', T, async () => {
  const a = await newTab();
  const name = `live190-${Date.now()}`;
  try {
    const r = await call(a, name, { persistence: 'memory' }, async (db) => {
      const events = [];
      db.on('change', (e) => events.push(e));
      await db.exec('CREATE TABLE t(v)');
      const q = db.live('SELECT count(*) AS n FROM t');
      const values = [];
      q.subscribe((rows) => rows && values.push(rows[0].n));
      while (values.length < 1) await new Promise((res) => setTimeout(res, 5));
      await db.run('INSERT INTO t VALUES (1)');
      while (values.length < 2) await new Promise((res) => setTimeout(res, 5));
      return { values, events: events.map((e) => ({ tables: e.tables, local: e.local, schema: e.schema })), listening: db._feed.listening };
    }, []);
    assert.deepEqual(r.values, [0, 1]);
    assert.deepEqual(r.events, [{ tables: ['t'], local: true, schema: true }, { tables: ['t'], local: true, schema: false }]);
    assert.equal(r.listening, false, 'no channel for a memory database');
    assertNoPageErrors([a]);
  } finally {
    await closeTabs([a]);
  }
});
