// runtime.test.mjs — the core as the database worker loads it (runtime.js without a
// codec): requests pass through as bytes, the decoding methods refuse clearly, and the
// connection counts the state that lives only on it (what keeps a worker from recycling).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCoreWith } from '../../src/js/runtime.js';
import { createNodeHost } from '../../src/js/host-node.js';
import { decodeResult } from '../../src/js/codec.js';
import { REQ_EXEC } from '../../src/js/proto.js';
import { WASM_PATH, setup, thrown } from './helpers.mjs';

const utf8 = (s) => new TextEncoder().encode(s);

test('100 without a codec, raw() runs requests and the decoding methods say why they refuse', async () => {
  const core = await loadCoreWith({ wasm: WASM_PATH, host: createNodeHost({ root: '/nonexistent' }) });
  const db = core.open('/bare', { vfs: 'memdb' });
  try {
    let r = db.raw(REQ_EXEC, { sql: utf8('CREATE TABLE t(x); INSERT INTO t VALUES (41 + 1)'), params: null });
    assert.equal(r.rc, 0);
    r = db.raw(REQ_EXEC, { sql: utf8('SELECT x FROM t'), params: null });
    assert.deepEqual(decodeResult(r.bytes.slice()).resultSets[0].rows, [{ x: 42 }]);
    for (const call of [() => db.exec('SELECT 1'), () => db.runMany('SELECT ?', [[1]]),
      () => db.batch([{ sql: 'SELECT 1' }]), () => db.import(new Uint8Array(0))]) {
      const e = thrown(call);
      assert.equal(e.code, 'SQLITE_MISUSE');
      assert.match(e.message, /loaded without a codec: load it with loadCore\(\) of core\.js/);
    }
    // What needs no codec still works.
    assert.equal(db.stats().autocommit, true);
    assert.ok(db.export().length > 0);
  } finally {
    db.close();
  }
});

test('110 stats().local counts temp objects and attached databases, the state only this connection has', async () => {
  const { core } = await setup();
  const db = core.open('/local', { vfs: 'memdb' });
  try {
    assert.equal(db.stats().local, 0);
    db.exec('CREATE TABLE main.kept(x)');
    assert.equal(db.stats().local, 0, 'a main table is shared, not local');
    db.exec('CREATE TEMP TABLE scratch(x); CREATE INDEX temp.scratch_x ON scratch(x)');
    assert.equal(db.stats().local, 2);
    db.exec("ATTACH ':memory:' AS side");
    assert.equal(db.stats().local, 3);
    db.exec('DETACH side; DROP TABLE temp.scratch');
    assert.equal(db.stats().local, 0);
  } finally {
    db.close();
  }
});

test('120 setPageSize: a database with no page yet takes it, one with pages keeps its own, other sizes are refused', async () => {
  const { core } = await setup();
  const db = core.open('/paged', { vfs: 'memdb' });
  try {
    for (const bad of [3000, 256, 131072, 8192.5, '8192', null]) {
      const e = thrown(() => db.setPageSize(bad));
      assert.equal(e.code, 'SQLITE_MISUSE', String(bad));
      assert.match(e.message, /power of two from 512 to 65536/);
    }
    db.setPageSize(8192);
    db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
    assert.deepEqual(db.exec('PRAGMA page_size').resultSets[0].rows, [{ page_size: 8192 }]);
    db.setPageSize(1024); // the database has pages now: SQLite keeps them
    assert.deepEqual(db.exec('PRAGMA page_size').resultSets[0].rows, [{ page_size: 8192 }]);
    assert.equal(db.export().length % 8192, 0);
  } finally {
    db.close();
  }
});
