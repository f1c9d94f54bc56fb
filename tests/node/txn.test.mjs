// txn.test.mjs — a tab's SQL transaction on the leader (src/core/coord_txn.c) on the Node
// build, through the multi-tab machine as a tab's worker runs it: BEGIN, COMMIT,
// ROLLBACK, SAVEPOINT, RELEASE and ROLLBACK TO sent as SQL act as on one connection,
// across requests and inside scripts, with SQLite's own errors; the answer says whether
// the tab holds a transaction (SQLW_FLAG_IN_TXN); a COMMIT is recorded with what it
// commits; the same in a memory database.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, leadAlone, concat, WASM_PATH } from './helpers.mjs';
import { loadCore } from '../../src/js/core.js';
import { createNodeHost } from '../../src/js/host-node.js';
import { encodeParams } from '../../src/js/codec.js';
import { sqlBody } from '../../src/js/protocol.js';
import {
  COORD_NO_BUDGET, REQ_BEGIN, REQ_COMMIT, REQ_EXEC, SQLITE_WORKER_LEADER_CHANGED, SQLW_FLAG_IN_TXN,
} from '../../src/js/proto.js';
import { ACT } from '../../src/js/coord.js';
import { decodeResult } from '../../src/js/codec.js';
import { mayControlTransaction } from '../../src/js/database.js';

const { root } = await setup();

/* A leader alone over a durable pool database, or (memory) a memory database, and a tab
 * that tags its requests with its transaction as a page does. */
async function tab(name, memory = false) {
  const host = createNodeHost({ root });
  const core = await loadCore({ wasm: WASM_PATH, host });
  let pool = null;
  let db;
  if (memory) {
    db = core.open(':memory:', { vfs: 'memdb' });
    db.setPrivate();
  } else {
    pool = await host.openPool(core, name);
    db = core.open(`/${name}`, { vfs: pool.vfs });
    db.setDurability('durable');
  }
  const { machine: m, perform } = leadAlone(core, db);
  let seq = 0;
  let lease = 0;
  const raw = (n, tag, kind, body) => {
    let answer = null;
    for (const a of m.local(n, tag, kind, body, COORD_NO_BUDGET)) {
      if (a.act === ACT.LOCAL_REPLY && a.seq === n) answer = a.data;
    }
    perform([]);
    assert.ok(answer, `request ${n} was answered`);
    const r = decodeResult(answer);
    const inTxn = (answer[6] & SQLW_FLAG_IN_TXN) !== 0;
    // As the page does: an answer that says "in a transaction" to an untagged request
    // makes that request the lease; one that says "none" ends it.
    if (inTxn && tag === 0 && lease === 0) lease = n;
    else if (!inTxn && tag !== 0 && tag === lease) lease = 0;
    return { rc: r.rc, message: r.message, rows: r.resultSets?.at(-1)?.rows ?? [], inTxn };
  };
  const sqlRequest = (sql, params) => concat(sqlBody(sql).concat(params ? [encodeParams(params)] : []));
  const t = {
    db, machine: m,
    get lease() { return lease; },
    get seq() { return seq; },
    /* Sends sql as the next request, tagged with the tab's transaction. */
    q: (sql, params) => raw(++seq, lease, REQ_EXEC, sqlRequest(sql, params)),
    /* Sends request n again, as a worker re-sends one, tagged with `tag`. */
    again: (n, tag, sql) => raw(n, tag, REQ_EXEC, sqlRequest(sql)),
    kind: (kind) => raw(++seq, kind === REQ_BEGIN ? 0 : lease, kind, new Uint8Array(0)),
    ok(sql, params) {
      const r = t.q(sql, params);
      assert.equal(r.rc, 0, `${sql}: ${r.message}`);
      return r;
    },
    fails(sql, pattern) {
      const r = t.q(sql);
      assert.notEqual(r.rc, 0, `${sql} did not fail`);
      assert.match(r.message, pattern, sql);
      return r;
    },
    values: (table = 't') => t.ok(`SELECT group_concat(x, ',') AS v FROM (SELECT x FROM ${table} ORDER BY x)`).rows[0].v,
    close() {
      m.destroy();
      db.close();
      pool?.close();
    },
  };
  return t;
}

test('100 BEGIN, writes in two requests, SAVEPOINT, ROLLBACK TO, COMMIT leave what SQLite would', async () => {
  const t = await tab('txn100');
  try {
    t.ok('CREATE TABLE t(x)');
    const begin = t.ok('BEGIN');
    assert.equal(begin.inTxn, true);
    assert.equal(t.lease, t.seq, 'the BEGIN is the lease');
    assert.equal(t.ok('INSERT INTO t VALUES (1)').inTxn, true);
    t.ok('INSERT INTO t VALUES (2)');
    t.ok('SAVEPOINT a');
    t.ok('INSERT INTO t VALUES (3)');
    t.ok('ROLLBACK TO a');
    t.ok('INSERT INTO t VALUES (4)');
    assert.equal(t.values(), '1,2,4', 'the transaction sees its own writes');
    const lease = t.lease;
    const commit = t.ok('COMMIT');
    const commitSeq = t.seq;
    assert.equal(commit.inTxn, false);
    assert.equal(t.lease, 0);
    assert.equal(t.db.stats().autocommit, true);
    assert.equal(t.values(), '1,2,4');
    // The COMMIT is recorded with what it committed: sent again, it is answered from
    // the record (the lease is over), not run, and not answered "lost".
    const again = t.again(commitSeq, lease, 'COMMIT');
    assert.equal(again.rc, 0, again.message);
  } finally {
    t.close();
  }
});

test('110 misuse gets SQLite\'s own errors and changes nothing', async () => {
  const t = await tab('txn110');
  try {
    t.ok('CREATE TABLE t(x)');
    t.fails('COMMIT', /^cannot commit - no transaction is active$/);
    t.fails('END TRANSACTION', /^cannot commit - no transaction is active$/);
    t.fails('ROLLBACK', /^cannot rollback - no transaction is active$/);
    t.fails('RELEASE nope', /no such savepoint: nope/);
    t.fails('ROLLBACK TO nope', /no such savepoint: nope/);
    assert.equal(t.lease, 0);
    t.ok('BEGIN IMMEDIATE');
    const r = t.fails('BEGIN', /^cannot start a transaction within a transaction$/);
    assert.equal(r.inTxn, true, 'still in the transaction');
    t.fails('SAVEPOINT _sqlw_x', /_sqlw_/);
    t.fails('RELEASE _sqlw_txn', /_sqlw_/);
    t.fails('ROLLBACK TO _sqlw_request', /_sqlw_/);
    t.ok('INSERT INTO t VALUES (1)');
    t.ok('ROLLBACK');
    assert.equal(t.lease, 0);
    assert.equal(t.values(), null);
    // EXPLAIN of a transaction statement is a query, not the statement.
    assert.ok(t.ok('EXPLAIN BEGIN').rows.length > 0);
    assert.equal(t.lease, 0);
  } finally {
    t.close();
  }
});

test('120 scripts: a whole transaction, one left open, and writes outside one refused whole', async () => {
  const t = await tab('txn120');
  try {
    t.ok('CREATE TABLE t(x)');
    assert.equal(t.ok('BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); COMMIT').inTxn, false);
    assert.equal(t.values(), '1,2');
    assert.equal(t.ok('BEGIN; INSERT INTO t VALUES (3)').inTxn, true);
    assert.equal(t.ok('INSERT INTO t VALUES (4); COMMIT; INSERT INTO t VALUES (5)').inTxn, false);
    assert.equal(t.values(), '1,2,3,4,5');
    // Writes before a BEGIN that stays open cannot be kept: the whole request is undone.
    const r = t.fails('INSERT INTO t VALUES (6); BEGIN; INSERT INTO t VALUES (7)', /nothing of it was kept/);
    assert.equal(r.inTxn, false);
    assert.equal(t.lease, 0);
    assert.equal(t.values(), '1,2,3,4,5');
    t.fails('INSERT INTO t VALUES (8); COMMIT; BEGIN', /nothing of it was kept|cannot commit/);
    assert.equal(t.values(), '1,2,3,4,5');
    // Before its BEGIN a script still writes, then commits with it.
    assert.equal(t.ok('INSERT INTO t VALUES (9); BEGIN; INSERT INTO t VALUES (10); ROLLBACK; INSERT INTO t VALUES (11)').inTxn, false);
    assert.equal(t.values(), '1,2,3,4,5,9,11');
    // A failing statement after a transaction statement leaves what ran, as on a
    // connection, and the transaction open.
    const f = t.fails('BEGIN; INSERT INTO t VALUES (12); INSERT INTO nope VALUES (1)', /no such table: nope/);
    assert.equal(f.inTxn, true);
    t.ok('COMMIT');
    assert.equal(t.values(), '1,2,3,4,5,9,11,12');
    // A script with no transaction statement is still all or nothing.
    t.fails('INSERT INTO t VALUES (13); INSERT INTO nope VALUES (1)', /no such table/);
    assert.equal(t.values(), '1,2,3,4,5,9,11,12');
    // Words in strings or trigger bodies only look like transaction statements.
    t.ok("CREATE TRIGGER tr AFTER INSERT ON t WHEN new.x = 100 BEGIN INSERT INTO t VALUES (101); END; INSERT INTO t VALUES ('; COMMIT')");
    t.ok('INSERT INTO t VALUES (100)');
    assert.equal(t.lease, 0);
    assert.equal(t.ok('SELECT count(*) AS n FROM t WHERE x IN (100, 101, \'; COMMIT\')').rows[0].n, 3);
  } finally {
    t.close();
  }
});

test('130 savepoints outside a transaction open one; RELEASE of the outermost commits it', async () => {
  const t = await tab('txn130');
  try {
    t.ok('CREATE TABLE t(x)');
    assert.equal(t.ok('SAVEPOINT outer').inTxn, true);
    t.ok('INSERT INTO t VALUES (1)');
    t.ok('SAVEPOINT "inner one"');
    t.ok('INSERT INTO t VALUES (2)');
    t.ok('SAVEPOINT deep');
    t.ok('INSERT INTO t VALUES (3)');
    assert.equal(t.ok('RELEASE "INNER ONE"').inTxn, true, 'releasing an inner one (and those after it) keeps the transaction');
    t.fails('RELEASE deep', /no such savepoint: deep/);
    t.ok('ROLLBACK TO outer');
    assert.equal(t.values(), null);
    t.ok('INSERT INTO t VALUES (4)');
    assert.equal(t.ok('RELEASE SAVEPOINT outer').inTxn, false, 'the outermost one ends it');
    assert.equal(t.db.stats().autocommit, true);
    assert.equal(t.values(), '4');
    // Inside BEGIN, releasing every savepoint keeps the transaction.
    t.ok('BEGIN');
    t.ok('SAVEPOINT s; INSERT INTO t VALUES (5); RELEASE s');
    assert.equal(t.lease !== 0, true);
    t.ok('SAVEPOINT s; INSERT INTO t VALUES (6); ROLLBACK TO s; RELEASE s');
    t.ok('END');
    assert.equal(t.values(), '4,5');
  } finally {
    t.close();
  }
});

test('140 a request of a transaction that is gone is answered lost; one that began it, sent again, from its record', async () => {
  const t = await tab('txn140');
  try {
    t.ok('CREATE TABLE t(x)');
    const begun = t.ok('BEGIN; INSERT INTO t VALUES (1)');
    const lease = t.lease;
    assert.equal(begun.inTxn, true);
    // Its worker sends it again (the answer was lost): answered, nothing runs twice.
    const again = t.again(lease, 0, 'BEGIN; INSERT INTO t VALUES (1)');
    assert.equal(again.rc, 0, again.message);
    assert.equal(again.inTxn, true);
    assert.equal(t.values(), '1');
    t.ok('ROLLBACK');
    // A late request of that transaction is not run alone.
    const late = t.again(t.seq + 1, lease, 'INSERT INTO t VALUES (2)');
    assert.equal(late.rc, SQLITE_WORKER_LEADER_CHANGED);
    assert.equal(late.inTxn, false);
    assert.equal(t.values(), null);
  } finally {
    t.close();
  }
});

test('150 db.transaction()\'s kinds share the tab\'s transaction: savepoints nest in it, BEGIN in it fails', async () => {
  const t = await tab('txn150');
  try {
    t.ok('CREATE TABLE t(x)');
    const begin = t.kind(REQ_BEGIN);
    assert.equal(begin.rc, 0, begin.message);
    assert.equal(begin.inTxn, true);
    t.ok('INSERT INTO t VALUES (1)');
    t.ok('SAVEPOINT sqlw_nested_1');
    t.ok('INSERT INTO t VALUES (2)');
    t.ok('ROLLBACK TO sqlw_nested_1; RELEASE sqlw_nested_1');
    t.fails('BEGIN', /within a transaction/);
    const commit = t.kind(REQ_COMMIT);
    assert.equal(commit.rc, 0, commit.message);
    assert.equal(commit.inTxn, false);
    assert.equal(t.values(), '1');
  } finally {
    t.close();
  }
});

test('160 a memory database keeps the same transactions, and no bookkeeping', async () => {
  const t = await tab('txn160', true);
  try {
    t.ok('CREATE TABLE t(x)');
    t.ok('BEGIN');
    t.ok('INSERT INTO t VALUES (1)');
    t.ok('SAVEPOINT a; INSERT INTO t VALUES (2); ROLLBACK TO a');
    t.ok('COMMIT');
    assert.equal(t.values(), '1');
    t.fails('COMMIT', /no transaction is active/);
    assert.equal(t.ok("SELECT count(*) AS n FROM sqlite_schema WHERE name LIKE '\\_sqlw\\_%' ESCAPE '\\'").rows[0].n, 0);
  } finally {
    t.close();
  }
});

test('170 the page\'s test for SQL that may begin or end a transaction errs only on the side of yes', () => {
  for (const sql of ['BEGIN', ' begin immediate', 'COMMIT', 'end', 'ROLLBACK TO a', 'savepoint x', 'RELEASE x',
    'SELECT 1; BEGIN', 'SELECT 1;\n-- note\n/* more */ COMMIT', '/* a */ BEGIN', '-- a\nBEGIN', 'SELECT 1;;  ;BEGIN',
    "INSERT INTO t VALUES ('; BEGIN')", 'CREATE TRIGGER r AFTER INSERT ON t BEGIN SELECT 1; END', 'BEGIN_x']) {
    assert.equal(mayControlTransaction(sql), true, sql);
  }
  for (const sql of ['SELECT 1', 'SELECT begin FROM t', "SELECT 'COMMIT'", 'EXPLAIN BEGIN', 'SELECT CASE WHEN 1 THEN 2 END',
    'INSERT INTO ends VALUES (1)', 'WITH x AS (SELECT 1) SELECT * FROM x', 'SELECT 1; SELECT beginning FROM t']) {
    assert.equal(mayControlTransaction(sql), false, sql);
  }
});
