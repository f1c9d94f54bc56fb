// deadline.test.mjs — statements end: a request's deadline (its page's timeoutMs, sent as
// its budget) and the leader's cap (maxStatementMs) interrupt a statement with
// SQLITE_INTERRUPT, undo what it wrote, and leave the connection answering; a request
// whose budget ran out before it could run is not run. On the Node build, through the
// engine and through the multi-tab machine (the browser tests: tests/browser/api.test.mjs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, rows, thrown, leadAlone, concat, WASM_PATH } from './helpers.mjs';
import { loadCore } from '../../src/js/core.js';
import { createNodeHost } from '../../src/js/host-node.js';
import { sqlBody } from '../../src/js/protocol.js';
import {
  COORD_NO_BUDGET, REQ_EXEC, SQLITE_INTERRUPT,
} from '../../src/js/proto.js';

const { core } = await setup();

// Never ends by itself: only an interrupt stops it.
const RUNAWAY = 'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) FROM c';

test('100 a deadline interrupts a runaway statement; the connection answers next', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    db.setDeadline(100);
    const e = thrown(() => db.exec(RUNAWAY));
    assert.equal(e.code, 'SQLITE_INTERRUPT');
    assert.equal(e.errno, 9);
    db.setDeadline(Infinity);
    assert.deepEqual(rows(db, 'SELECT 1 AS one'), [{ one: 1 }]);
  } finally {
    db.close();
  }
});

test('110 an interrupted write is undone whole; a write inside the deadline stays', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    db.exec('CREATE TABLE t(x)');
    db.setDeadline(100);
    const e = thrown(() => db.exec(`INSERT INTO t ${RUNAWAY.replace('count(*)', 'n')}`));
    assert.equal(e.code, 'SQLITE_INTERRUPT');
    assert.deepEqual(rows(db, 'SELECT count(*) AS n FROM t'), [{ n: 0 }]);
    db.exec('INSERT INTO t VALUES (1)');
    assert.deepEqual(rows(db, 'SELECT count(*) AS n FROM t'), [{ n: 1 }]);
    assert.equal(db.stats().autocommit, true);
  } finally {
    db.close();
  }
});

test('120 the statement cap ends a statement that has no deadline, and caps a longer one', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    db.setStatementCap(100);
    db.setDeadline(Infinity);
    assert.equal(thrown(() => db.exec(RUNAWAY)).code, 'SQLITE_INTERRUPT');
    db.setDeadline(1e9);
    assert.equal(thrown(() => db.exec(RUNAWAY)).code, 'SQLITE_INTERRUPT');
    db.setStatementCap(Infinity);
    db.setDeadline(Infinity);
    assert.deepEqual(rows(db, 'SELECT 2 AS two'), [{ two: 2 }]);
  } finally {
    db.close();
  }
});

/* A machine that leads alone over a memory database (as a memory database's worker). */
function leaderAlone() {
  const db = core.open('/deadline', { vfs: 'memdb' });
  const { machine: m, replies, perform } = leadAlone(core, db);
  return {
    db, replies,
    local: (seq, sql, budget) => perform(m.local(seq, 0, REQ_EXEC, concat(sqlBody(sql)), budget)),
    close: () => { m.destroy(); db.close(); },
  };
}

test('200 through the machine: a request runs within its budget, ends at it, and is not run once it has none', () => {
  const l = leaderAlone();
  try {
    l.local(1, 'CREATE TABLE t(x); INSERT INTO t VALUES (1)', COORD_NO_BUDGET);
    l.local(2, RUNAWAY, 100);
    l.local(3, 'INSERT INTO t VALUES (3)', 0);            // its page has stopped waiting
    l.local(4, 'SELECT count(*) AS n FROM t', 1000);
    assert.equal(l.replies.get(1).rc, 0);
    const interrupted = l.replies.get(2);
    assert.equal(interrupted.rc, 9, JSON.stringify(interrupted));
    assert.equal(interrupted.message, "interrupted");
    assert.equal(l.replies.get(3).rc, SQLITE_INTERRUPT);
    assert.match(l.replies.get(3).message, /^the request was not run/);
    assert.deepEqual(l.replies.get(4).resultSets.at(-1).rows, [{ n: 1 }]);
  } finally {
    l.close();
  }
});

test('130 the deadline holds while SQLite prepares (no step runs there): 60,000 CTEs are interrupted', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    // Preparing n chained CTEs costs SQLite O(n²) time (60,000: seconds) before it finds
    // them too deep; the deadline ends it through the allocator (stackguard.c).
    const ctes = Array.from({ length: 60_001 }, (_, i) => (i === 0 ? 'c0 AS (SELECT 1 AS x)' : `c${i} AS (SELECT x FROM c${i - 1})`));
    db.setDeadline(200);
    const e = thrown(() => db.exec(`WITH ${ctes.join(', ')} SELECT x FROM c60000`));
    assert.equal(e.code, 'SQLITE_INTERRUPT', e.message);
    assert.equal(e.message, 'interrupted');
    db.setDeadline(Infinity);
    assert.deepEqual(rows(db, 'SELECT 3 AS three'), [{ three: 3 }]);
  } finally {
    db.close();
  }
});

test('210 a request that runs a while is reported to the host with its client, and again when it ends', async () => {
  const notices = [];
  const busyCore = await loadCore({ wasm: WASM_PATH, host: createNodeHost({ onBusy: (tag) => notices.push(tag && Buffer.from(tag).toString('hex')) }) });
  const db = busyCore.open('/busy', { vfs: 'memdb' });
  const { machine, replies, perform } = leadAlone(busyCore, db, 5);
  try {
    // Ended at its 1,500 ms budget: the notice (1,000 ms) comes first, whatever the load.
    perform(machine.local(1, 0, REQ_EXEC, concat(sqlBody(RUNAWAY)), 1500));
    assert.equal(replies.get(1).rc, SQLITE_INTERRUPT);
    assert.deepEqual(notices, ['05'.repeat(16), null]);
  } finally {
    machine.destroy();
    db.close();
  }
});
