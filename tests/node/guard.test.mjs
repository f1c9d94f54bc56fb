// guard.test.mjs — the leader's guard (src/core/coord_guard.c, sqlwAuthorize) on the Node
// build, through the multi-tab machine over a pool of the Node host, as a tab's worker
// runs it: every way found to reach the protocol's bookkeeping (_sqlw_*) is refused
// with a reason and leaves exactly-once working; VACUUM works and gives pages back;
// only ':memory:' can be attached; the PRAGMAs durability rests on are the library's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, seededBytes, leadAlone, concat, WASM_PATH } from './helpers.mjs';
import { loadCore } from '../../src/js/core.js';
import { createNodeHost } from '../../src/js/host-node.js';
import { encodeParams } from '../../src/js/codec.js';
import { sqlBody } from '../../src/js/protocol.js';
import { COORD_NO_BUDGET, REQ_BEGIN, REQ_COMMIT, REQ_EXEC, REQ_IMPORT } from '../../src/js/proto.js';
import { ACT } from '../../src/js/coord.js';
import { decodeResult } from '../../src/js/codec.js';

const { root } = await setup();

/* A leader alone over pool `name`, durable, as a tab's worker runs one. */
async function leader(name, idByte = 7) {
  const host = createNodeHost({ root });
  const core = await loadCore({ wasm: WASM_PATH, host });
  const pool = await host.openPool(core, name);
  const db = core.open(`/${name}`, { vfs: pool.vfs });
  db.setDurability('durable');
  return lead(core, db, () => pool.close(), { core, pool, name });
}

/* A leader alone over a memory database. */
async function memoryLeader() {
  const host = createNodeHost({ root });
  const core = await loadCore({ wasm: WASM_PATH, host });
  const db = core.open(':memory:', { vfs: 'memdb' });
  return lead(core, db, () => {}, { core });
}

/* The machine over db; q(sql, params) sends a request and returns its decoded answer
 * (rc 0 and rows on success), or, for a rejection, its error's { rc, message }. */
function lead(core, db, closePool, extra) {
  const { machine: m, replies, perform } = leadAlone(core, db);
  let seq = 0;
  const send = (n, sql, params) => {
    replies.delete(n);
    const body = concat(sqlBody(sql).concat(params ? [encodeParams(params)] : []));
    perform(m.local(n, 0, REQ_EXEC, body, COORD_NO_BUDGET));
    const r = replies.get(n);
    return { rc: r.rc, message: r.message, rows: r.resultSets?.[0]?.rows ?? [] };
  };
  return {
    ...extra, db, machine: m,
    q: (sql, params) => send(++seq, sql, params),
    resend: (n, sql, params) => send(n, sql, params),
    get seq() { return seq; },
    ok(sql, params) {
      const r = send(++seq, sql, params);
      assert.equal(r.rc, 0, `${sql}: ${r.message}`);
      return r.rows;
    },
    refused(sql, pattern, params) {
      const r = send(++seq, sql, params);
      assert.equal(r.rc, 23, `${sql} was not refused (${r.rc} ${r.message})`);
      assert.match(r.message, pattern, sql);
      return r;
    },
    close() {
      m.destroy();
      db.close();
      closePool();
    },
  };
}

const ID = new Uint8Array(16).fill(7);

test('100 every bypass of the bookkeeping guard is refused, and a re-sent write still runs once', async () => {
  const l = await leader('guard100');
  try {
    l.ok('CREATE TABLE t(x)');
    l.ok('INSERT INTO t VALUES (1)');          // the engine's record statements are now cached
    const writeSeq = l.seq;
    // The engine's own statements, sent by the user with the same text: a cache of their own.
    l.refused('INSERT INTO main._sqlw_requests(client, seq, kind, answer) VALUES(?1, ?2, ?3, ?4)',
      /bookkeeping/, [ID, 999, 1, new Uint8Array(1)]);
    l.refused('DELETE FROM main._sqlw_requests WHERE client=?1 AND seq<?2', /bookkeeping/, [ID, 1000]);
    l.refused('INSERT INTO main._sqlw_clients(client, floor) VALUES(?1, ?2) '
      + 'ON CONFLICT(client) DO UPDATE SET floor=max(floor, excluded.floor)', /bookkeeping/, [ID, 1e6]);
    l.refused('UPDATE _sqlw_meta SET v = 0', /bookkeeping/);
    // Temp objects that would shadow or watch the bookkeeping.
    l.refused('CREATE TEMP TABLE _sqlw_requests(client, seq, kind, answer)', /_sqlw_/);
    l.refused('CREATE TEMP VIEW _sqlw_clients AS SELECT 1', /_sqlw_/);
    l.refused('CREATE TEMP TRIGGER gone AFTER INSERT ON main._sqlw_requests BEGIN DELETE FROM main._sqlw_requests; END', /_sqlw_/);
    l.refused('CREATE TRIGGER gone AFTER INSERT ON main._sqlw_requests BEGIN SELECT RAISE(ABORT, \'no\'); END', /_sqlw_/);
    l.refused('CREATE INDEX i ON _sqlw_requests(kind)', /_sqlw_/);
    l.refused('DROP TABLE _sqlw_meta', /_sqlw_/);
    l.refused('ALTER TABLE _sqlw_clients RENAME TO c', /_sqlw_/);
    // A trigger on a user table may be made, but it may not write the bookkeeping when it fires.
    l.ok('CREATE TEMP TRIGGER wipe AFTER INSERT ON main.t BEGIN DELETE FROM main._sqlw_requests; END');
    l.refused('INSERT INTO t VALUES (2)', /trigger/);
    l.ok('DROP TRIGGER wipe');
    // The file itself.
    l.refused('PRAGMA writable_schema = ON', /writable_schema/);
    l.refused('PRAGMA schema_version = 1', /schema_version/);
    assert.notEqual(l.q("DELETE FROM sqlite_schema WHERE name = '_sqlw_requests'").rc, 0);
    l.refused("INSERT INTO sqlite_dbpage(pgno, data) VALUES (1, zeroblob(4096))", /read-only/);
    // Reading the bookkeeping stays allowed (the same text as the engine's lookup).
    assert.equal(l.ok('SELECT floor FROM main._sqlw_clients WHERE client=?1', [ID]).length, 0);
    // Nothing reached it: the write re-sent is answered from its record, not run again.
    assert.equal(l.resend(writeSeq, 'INSERT INTO t VALUES (1)').rc, 0);
    assert.deepEqual(l.ok('SELECT x FROM t'), [{ x: 1 }]);
    assert.deepEqual(l.ok('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
    assert.equal(l.ok("SELECT count(*) AS n FROM sqlite_temp_schema")[0].n, 0);
  } finally {
    l.close();
  }
});

test('110 no false refusals: attached memory databases, reads, and VACUUM\'s own copy', async () => {
  const l = await leader('guard110');
  try {
    l.ok("ATTACH ':memory:' AS m");
    l.ok('CREATE TABLE m._sqlw_mine(a)');
    l.ok('INSERT INTO m._sqlw_mine VALUES (1)');
    assert.deepEqual(l.ok('SELECT a FROM m._sqlw_mine'), [{ a: 1 }]);
    l.ok('DETACH m');
    assert.ok(l.ok("SELECT name FROM sqlite_schema WHERE name LIKE '\\_sqlw\\_%' ESCAPE '\\'").length >= 3);
    l.ok('CREATE TABLE t(x)');
    l.ok('VACUUM');
    assert.deepEqual(l.ok('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
  } finally {
    l.close();
  }
});

/* Pages of the database, and pages on its freelist. */
function pages(l) {
  return { count: l.ok('PRAGMA page_count')[0].page_count, free: l.ok('PRAGMA freelist_count')[0].freelist_count };
}

for (const kind of ['pool', 'memory']) {
  test(`120 VACUUM gives pages back (${kind}); auto_vacuum and incremental_vacuum work; VACUUM INTO is refused clearly`, async () => {
    const l = kind === 'pool' ? await leader('guard120') : await memoryLeader();
    try {
      l.ok('CREATE TABLE big(id INTEGER PRIMARY KEY, data BLOB)');
      for (let i = 0; i < 8; i++) l.ok('INSERT INTO big(data) VALUES (?)', [seededBytes(256 * 1024, i + 1)]);
      l.ok('DELETE FROM big WHERE id > 1');
      const before = pages(l);
      assert.ok(before.free > 400, `freelist ${before.free}`);
      l.ok('VACUUM');
      const after = pages(l);
      assert.equal(after.free, 0);
      assert.ok(after.count < before.count - 400, `${before.count} → ${after.count}`);
      assert.equal(l.ok('SELECT length(data) AS n FROM big')[0].n, 256 * 1024);
      // auto_vacuum takes a VACUUM to change; then incremental_vacuum gives pages back.
      l.ok('PRAGMA auto_vacuum = INCREMENTAL');
      l.ok('VACUUM');
      assert.equal(l.ok('PRAGMA auto_vacuum')[0].auto_vacuum, 2);
      for (let i = 0; i < 4; i++) l.ok('INSERT INTO big(data) VALUES (?)', [seededBytes(256 * 1024, i + 20)]);
      l.ok('DELETE FROM big WHERE id > 1');
      const freed = pages(l);
      assert.ok(freed.free > 200);
      l.ok('PRAGMA incremental_vacuum');
      assert.equal(pages(l).free, 0);
      assert.ok(pages(l).count < freed.count - 200);
      l.refused("VACUUM INTO 'copy'", /only ':memory:'/);
      assert.deepEqual(l.ok('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
    } finally {
      l.close();
    }
  });
}

test('130 one owner per file: ATTACH of a file is refused, a second open of the database is SQLITE_BUSY', async () => {
  const l = await leader('guard130');
  try {
    l.ok('CREATE TABLE t(x)');
    l.ok('INSERT INTO t VALUES (1)');
    for (const target of ['/guard130', 'other', 'file:x?mode=memory']) {
      l.refused(`ATTACH '${target}' AS dup`, /only ':memory:'/);
    }
    // The pool itself refuses a second connection to its database (defence in depth).
    assert.throws(() => l.core.open('/guard130', { vfs: l.pool.vfs }), (e) => e.code === 'SQLITE_BUSY');
    const files = l.pool.stat();
    l.ok('INSERT INTO t VALUES (2)');
    assert.deepEqual(l.ok('SELECT x FROM t ORDER BY x'), [{ x: 1 }, { x: 2 }]);
    assert.equal(l.pool.stat().slots - l.pool.stat().free, files.slots - files.free);
    l.ok("ATTACH ':memory:' AS scratch");
    l.ok('CREATE TABLE scratch.s AS SELECT x FROM main.t');
    assert.equal(l.ok('SELECT count(*) AS n FROM scratch.s')[0].n, 2);
  } finally {
    l.close();
  }
});

test('140 the PRAGMAs durability rests on are refused, naming the durability option; equal values pass', async () => {
  const l = await leader('guard140');
  try {
    for (const sql of ['PRAGMA synchronous = OFF', 'PRAGMA synchronous = NORMAL', 'PRAGMA main.synchronous = 0']) {
      l.refused(sql, /durability/);
    }
    for (const mode of ['DELETE', 'MEMORY', 'TRUNCATE', 'PERSIST']) l.refused(`PRAGMA journal_mode = ${mode}`, /WAL/);
    l.refused('PRAGMA journal_mode = OFF', /roll/);
    l.refused('PRAGMA locking_mode = NORMAL', /exclusive/);
    l.refused('PRAGMA hard_heap_limit = 1', /every tab/);
    // What the database already has passes, as the no-op it is; reading is free.
    assert.deepEqual(l.ok('PRAGMA journal_mode = WAL'), [{ journal_mode: 'wal' }]);
    l.ok('PRAGMA synchronous = FULL');
    l.ok('PRAGMA locking_mode = EXCLUSIVE');
    assert.deepEqual(l.ok('PRAGMA synchronous'), [{ synchronous: 2 }]);
    assert.deepEqual(l.ok('PRAGMA journal_mode'), [{ journal_mode: 'wal' }]);
  } finally {
    l.close();
  }
  const m = await memoryLeader();
  try {
    m.refused('PRAGMA journal_mode = OFF', /roll/);
    m.ok('PRAGMA synchronous = OFF');          // a memory database has nothing to flush
  } finally {
    m.close();
  }
});

test('150 a private (memory) database keeps no bookkeeping: no _sqlw_ table after writes, a transaction, a setting, an import of an image that had them', async () => {
  const host = createNodeHost({ root });
  const core = await loadCore({ wasm: WASM_PATH, host });
  const db = core.open(':memory:', { vfs: 'memdb' });
  db.setPrivate();
  const l = lead(core, db, () => {}, { core });
  const source = await leader('guard150');          // an OPFS-like database: it has them
  try {
    l.ok('CREATE TABLE t(x)');
    l.ok('INSERT INTO t VALUES (1)');
    l.ok('PRAGMA foreign_keys = ON');
    assert.deepEqual(l.ok('PRAGMA foreign_keys'), [{ foreign_keys: 1 }]);
    // A transaction's lease: BEGIN, a write in it, COMMIT.
    const { machine: m } = l;
    const replies = [];
    const perform = (actions) => {
      for (const a of actions) if (a.act === ACT.LOCAL_REPLY) replies.push(decodeResult(a.data));
    };
    const begin = l.seq + 1;
    perform(m.local(begin, 0, REQ_BEGIN, new Uint8Array(0), COORD_NO_BUDGET));
    perform(m.local(begin + 1, begin, REQ_EXEC, concat(sqlBody('INSERT INTO t VALUES (2)')), COORD_NO_BUDGET));
    perform(m.local(begin + 2, begin, REQ_COMMIT, new Uint8Array(0), COORD_NO_BUDGET));
    assert.deepEqual(replies.map((r) => r.rc), [0, 0, 0]);
    assert.deepEqual(l.resend(begin + 3, 'SELECT count(*) AS n FROM t').rows, [{ n: 2 }]);
    assert.deepEqual(l.resend(begin + 4, "SELECT name FROM sqlite_schema WHERE name LIKE '\\_sqlw\\_%' ESCAPE '\\'").rows, []);

    source.ok('CREATE TABLE imported(y)');
    source.ok("INSERT INTO imported VALUES ('from a shared database')");
    const image = source.db.export();
    assert.ok(source.ok("SELECT name FROM sqlite_schema WHERE name LIKE '\\_sqlw\\_%' ESCAPE '\\'").length >= 3);
    perform(m.local(begin + 5, 0, REQ_IMPORT, image, COORD_NO_BUDGET));
    assert.equal(replies.at(-1).rc, 0, replies.at(-1).message);
    assert.deepEqual(l.resend(begin + 6, 'SELECT y FROM imported').rows, [{ y: 'from a shared database' }]);
    assert.deepEqual(l.resend(begin + 7, "SELECT name FROM sqlite_schema WHERE name LIKE '\\_sqlw\\_%' ESCAPE '\\'").rows, []);
    assert.deepEqual(l.resend(begin + 8, 'PRAGMA integrity_check').rows, [{ integrity_check: 'ok' }]);
  } finally {
    l.close();
    source.close();
  }
});
