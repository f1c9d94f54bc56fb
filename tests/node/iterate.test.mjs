// iterate.test.mjs — cursors (src/core/engine_cursor.c) through the multi-tab machine on
// the Node build, as db.iterate sends them: a read answered in chunks of at most n rows
// and about 1 MiB, flagged SQLW_FLAG_MORE until the last; a chunk asked again (its answer
// was lost) answered again, not skipped; writes refused; a closed, unknown or idle
// cursor answered as gone; cursors of a client that is gone closed; writes of the same
// or other clients between chunks run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, leadAlone, concat, WASM_PATH } from './helpers.mjs';
import { loadCore } from '../../src/js/core.js';
import { createNodeHost } from '../../src/js/host-node.js';
import { encodeParams, decodeResult } from '../../src/js/codec.js';
import { sqlBody } from '../../src/js/protocol.js';
import {
  COORD_NO_BUDGET, REQ_CURSOR_CLOSE, REQ_CURSOR_NEXT, REQ_CURSOR_OPEN, REQ_EXEC, SQLITE_WORKER_LEADER_CHANGED,
  SQLW_FLAG_MORE,
} from '../../src/js/proto.js';
import { ACT } from '../../src/js/coord.js';

const { root } = await setup();

const u32 = (n) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};

/* A leader alone over a pool database; send(kind, parts) runs one request of its own tab. */
async function leader(name) {
  const host = createNodeHost({ root });
  const core = await loadCore({ wasm: WASM_PATH, host });
  const pool = await host.openPool(core, name);
  const db = core.open(`/${name}`, { vfs: pool.vfs });
  db.setDurability('durable');
  const { machine: m, perform } = leadAlone(core, db);
  let seq = 0;
  const send = (kind, parts) => {
    const n = ++seq;
    let answer = null;
    for (const a of m.local(n, 0, kind, concat(parts), COORD_NO_BUDGET)) {
      if (a.act === ACT.LOCAL_REPLY && a.seq === n) answer = a.data;
    }
    perform([]);
    assert.ok(answer, `request ${n} was answered`);
    const r = decodeResult(answer);
    return { rc: r.rc, message: r.message, rows: r.resultSets?.[0]?.rows ?? [], more: (answer[6] & SQLW_FLAG_MORE) !== 0 };
  };
  const exec = (sql, params) => {
    const r = send(REQ_EXEC, sqlBody(sql).concat(params ? [encodeParams(params)] : []));
    assert.equal(r.rc, 0, r.message);
    return r;
  };
  return {
    db, machine: m, exec,
    open: (id, n, sql, params) => send(REQ_CURSOR_OPEN, [u32(id), u32(n), ...sqlBody(sql), ...(params ? [encodeParams(params)] : [])]),
    next: (id, n, chunk) => send(REQ_CURSOR_NEXT, [u32(id), u32(n), u32(chunk)]),
    close: (id) => send(REQ_CURSOR_CLOSE, [u32(id)]),
    shut() {
      m.destroy();
      db.close();
      pool.close();
    },
  };
}

test('100 a read in chunks: n rows each, MORE until the last; a chunk asked again is the same chunk; writes between chunks run', async () => {
  const l = await leader('iter100');
  try {
    l.exec('CREATE TABLE t(x INTEGER PRIMARY KEY, s TEXT)');
    l.exec("INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000) SELECT i, 'row ' || i FROM c");
    const first = l.open(7, 300, 'SELECT x, s FROM t WHERE x > ? ORDER BY x', [0]);
    assert.equal(first.rc, 0, first.message);
    assert.equal(first.rows.length, 300);
    assert.equal(first.more, true);
    assert.deepEqual(first.rows[0], { x: 1, s: 'row 1' });
    const second = l.next(7, 300, 1);
    assert.deepEqual([second.rows.length, second.rows[0].x, second.more], [300, 301, true]);
    const again = l.next(7, 300, 1);
    assert.deepEqual(again.rows, second.rows, 'the chunk asked again is the same');
    l.exec('INSERT INTO t VALUES (5000, \'late\')');   // a write between chunks runs
    const rest = [];
    for (let chunk = 2; ; chunk++) {
      const r = l.next(7, 300, chunk);
      assert.equal(r.rc, 0, r.message);
      rest.push(...r.rows.map((row) => row.x));
      if (!r.more) break;
    }
    assert.equal(rest[0], 601);
    assert.ok(rest.length === 400 || rest.length === 401, `${rest.length}`);
    const gone = l.next(7, 300, 99);
    assert.equal(gone.rc, SQLITE_WORKER_LEADER_CHANGED);
    assert.match(gone.message, /cursor is gone/);
  } finally {
    l.shut();
  }
});

test('110 a chunk ends at about 1 MiB whatever n says; a result far larger than a chunk is read whole', async () => {
  const l = await leader('iter110');
  try {
    l.exec("CREATE TABLE big(b BLOB); INSERT INTO big WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 40) SELECT zeroblob(262144) FROM c");
    let r = l.open(1, 1000, 'SELECT b FROM big');
    let total = 0;
    let chunks = 0;
    for (let chunk = 1; ; chunk++) {
      assert.equal(r.rc, 0, r.message);
      assert.ok(r.rows.length <= 5, `${r.rows.length} rows of 256 KiB in one chunk`);
      total += r.rows.reduce((n, row) => n + row.b.length, 0);
      chunks++;
      if (!r.more) break;
      r = l.next(1, 1000, chunk);
    }
    assert.equal(total, 40 * 262144);
    assert.ok(chunks >= 8, `${chunks} chunks`);
  } finally {
    l.shut();
  }
});

test('120 refused: writes, scripts, transaction control, wrong parameters; closed and unknown cursors are gone', async () => {
  const l = await leader('iter120');
  try {
    l.exec('CREATE TABLE t(x)');
    for (const [sql, pattern] of [['INSERT INTO t VALUES (1) RETURNING x', /may not write/], ['SELECT 1; SELECT 2', /exactly one/],
      ['BEGIN', /may not write or control/], ['', /none/], ['SELECT * FROM nope', /no such table/]]) {
      const r = l.open(2, 10, sql);
      assert.notEqual(r.rc, 0, sql);
      assert.match(r.message, pattern, sql);
    }
    assert.match(l.open(2, 10, 'SELECT ?', [1, 2]).message, /wrong number of parameter values/);
    assert.match(l.open(2, 0, 'SELECT 1').message, /at least one row/);
    assert.equal(l.exec('SELECT count(*) AS n FROM t').rows[0].n, 0);
    const open = l.open(3, 1, 'SELECT 1 UNION ALL SELECT 2');
    assert.equal(open.more, true);
    assert.equal(l.close(3).rc, 0);
    assert.equal(l.next(3, 1, 1).rc, SQLITE_WORKER_LEADER_CHANGED);
    assert.equal(l.next(4, 1, 1).rc, SQLITE_WORKER_LEADER_CHANGED);
    // A cursor that ends with its rows is gone too; a small result is one chunk.
    const whole = l.open(5, 10, 'SELECT 1 AS a');
    assert.deepEqual([whole.rows, whole.more], [[{ a: 1 }], false]);
    assert.equal(l.next(5, 10, 1).rc, SQLITE_WORKER_LEADER_CHANGED);
  } finally {
    l.shut();
  }
});

test('130 an open cursor does not keep a schema change or VACUUM from running: they run, and its next chunk says it is gone', async () => {
  const l = await leader('iter130');
  try {
    l.exec("CREATE TABLE t(x); CREATE TABLE u(y); INSERT INTO t VALUES (1), (2), (3)");
    assert.equal(l.open(1, 1, 'SELECT x FROM t').more, true);
    l.exec('DROP TABLE u');                        // SQLite alone: "database table is locked"
    assert.equal(l.next(1, 1, 1).rc, SQLITE_WORKER_LEADER_CHANGED);
    assert.equal(l.open(2, 1, 'SELECT x FROM t').more, true);
    l.exec('VACUUM');                              // SQLite alone: "SQL statements in progress"
    assert.equal(l.next(2, 1, 1).rc, SQLITE_WORKER_LEADER_CHANGED);
    assert.equal(l.exec("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'u'").rows[0].n, 0);
    // Writes and reads run beside an open cursor, which goes on.
    assert.equal(l.open(3, 1, 'SELECT x FROM t ORDER BY x').more, true);
    l.exec('INSERT INTO t VALUES (4)');
    assert.equal(l.next(3, 1, 1).rc, 0);
  } finally {
    l.shut();
  }
});
