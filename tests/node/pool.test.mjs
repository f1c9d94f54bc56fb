// pool.test.mjs — the pool VFS (src/core/vfs_pool.c) on the wasm build, over slot files
// of the Node host (openPool in src/js/host-node.js): the contract the native tests
// (tests/native/test_pool.c) check in C and the browser tests check over OPFS.
//
// A "restart" is what a reloaded tab does: close the database and the pool, then load a
// new core over a new host and open the pool again from the same folder.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setup, rows, thrown, seededBytes, WASM_PATH } from './helpers.mjs';
import { loadCore } from '../../src/js/core.js';
import { createNodeHost } from '../../src/js/host-node.js';
import { SQLiteError } from '../../src/js/errors.js';
import { SQLITE_CORRUPT, SQLITE_OPEN_MAIN_DB } from '../../src/js/proto.js';

const { root, logs } = await setup();

// docs/pool-format.md
const SLOT_HEADER = 4096;
const HDR_USED = 532;

/* A new core over a new host rooted in the test directory: a restarted tab. */
async function restart() {
  const host = createNodeHost({ root, log: (level, message) => logs.push([level, message]) });
  const core = await loadCore({ wasm: WASM_PATH, host });
  return { host, core };
}

/* Opens database `name` as a pool in a fresh core; returns { core, host, pool, db }. */
async function openDb(name, options) {
  const { host, core } = await restart();
  const pool = await host.openPool(core, name, options);
  const db = core.open(`/${name}`, { vfs: pool.vfs });
  return { core, host, pool, db };
}

/* Closes what openDb returned (the connection, then the pool). */
function closeDb({ db, pool }) {
  db.close();
  pool.close();
}

/* The folder of database `name` and the paths of its slot files, in order. */
function slotFiles(name) {
  const dir = path.join(root, encodeURIComponent(name).replace(/\./g, '%2E'));
  return fs.readdirSync(dir).filter((f) => /^slot-\d{4,}$/.test(f)).sort().map((f) => path.join(dir, f));
}

/* The slot file whose header names SQLite path `sqlPath`, or undefined. */
function slotOf(name, sqlPath) {
  return slotFiles(name).find((file) => {
    const a = fs.readFileSync(file).subarray(0, HDR_USED);
    if (a.length < HDR_USED || a.toString('latin1', 0, 4) !== 'SQWS') return false;
    const n = a.readUInt32LE(12);
    return a.toString('utf8', 16, 16 + n) === sqlPath;
  });
}

/* FNV-1a (32-bit): the header checksum. */
function fnv1a(a) {
  let h = 0x811c9dc5;
  for (const b of a) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

// Header fields that count the commits of a database file (file change counter,
// schema cookie, version-valid-for), not its contents.
const COUNTERS = [[24, 28], [40, 44], [92, 96]];

/* The offsets where a and b differ (at most 20), skipping the ranges in `skip`. */
function differences(a, b, skip = []) {
  const out = [];
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n && out.length < 20; i++) {
    if (skip.some(([lo, hi]) => i >= lo && i < hi)) continue;
    if (a[i] !== b[i]) out.push(`${i}: ${a[i]} → ${b[i]}`);
  }
  return out;
}

/* Rows of t: enough of them, with blobs spanning overflow pages, for several pages. */
function fill(db) {
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, b BLOB); CREATE INDEX t_name ON t(name)');
  const sets = [];
  for (let i = 1; i <= 100; i++) sets.push([i, `row ${i}`, seededBytes(3000, i)]);
  db.runMany('INSERT INTO t VALUES (?, ?, ?)', sets);
  return rows(db, 'SELECT * FROM t ORDER BY id');
}

test('100 write, close, reopen in a new core: the data is there', async () => {
  const first = await openDb('p100');
  const expected = fill(first.db);
  closeDb(first);
  const again = await openDb('p100');
  try {
    assert.deepEqual(rows(again.db, 'SELECT * FROM t ORDER BY id'), expected);
    assert.deepEqual(rows(again.db, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
  } finally {
    closeDb(again);
  }
});

test('110 the slots hold the documented header, SQLite\'s file after 4096 bytes', async () => {
  const h = await openDb('p110');
  h.db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
  closeDb(h);
  const file = slotOf('p110', '/p110');
  assert.ok(file, 'a slot names /p110');
  const a = fs.readFileSync(file);
  assert.equal(a.toString('latin1', 0, 4), 'SQWS');
  assert.equal(a.readUInt16LE(4), 1);
  assert.equal(a.readUInt16LE(6), 0);
  assert.equal(a.readUInt32LE(8), SQLITE_OPEN_MAIN_DB);
  assert.equal(a.readUInt32LE(12), 5);
  assert.equal(a.toString('utf8', 16, 21), '/p110');
  assert.ok(a.subarray(21, 528).every((b) => b === 0), 'the path is zero-padded');
  assert.equal(a.readUInt32LE(528), fnv1a(a.subarray(0, 528)));
  assert.equal(a.toString('latin1', SLOT_HEADER, SLOT_HEADER + 16), 'SQLite format 3\0');
});

test('120 the pool grows past its initial capacity and shrinks back', async () => {
  const h = await openDb('p120', { initial: 1, minFree: 0 });
  try {
    // opening the database took a slot; the core wants spares for a journal and a WAL,
    // and grow() between requests adds them
    let s = h.pool.stat();
    assert.ok(s.wanted > 0, JSON.stringify(s));
    assert.equal(await h.pool.grow(), s.wanted);
    s = h.pool.stat();
    assert.equal(s.wanted, 0);
    assert.ok(s.slots > 1, `${s.slots} slots`);
    // PERSIST keeps its journal: one more slot in use for good; the pool asks again
    h.db.exec('PRAGMA journal_mode=PERSIST');
    fill(h.db);
    s = h.pool.stat();
    assert.ok(s.wanted > 0, JSON.stringify(s));
    assert.ok(await h.pool.grow() > 0);
    s = h.pool.stat();
    assert.equal(s.wanted, 0);
    const before = slotFiles('p120').length;
    const removed = await h.pool.shrink(0);
    assert.equal(removed, s.free);
    assert.equal(slotFiles('p120').length, before - removed);
    assert.equal(h.pool.stat().free, 0);
    // with no slot free, a write that needs no new file still works
    h.db.exec('INSERT INTO t(name) VALUES (\'after shrink\')');
  } finally {
    closeDb(h);
  }
  const again = await openDb('p120', { initial: 1, minFree: 0 });
  try {
    assert.equal(rows(again.db, 'SELECT count(*) AS n FROM t')[0].n, 101);
  } finally {
    closeDb(again);
  }
});

test('130 no free slot for a new file: SQLITE_FULL or SQLITE_CANTOPEN, the data intact', async () => {
  const h = await openDb('p130', { initial: 1, minFree: 0 });
  try {
    h.db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
    await h.pool.shrink(0);
    assert.equal(h.pool.stat().free, 0);
    const e = thrown(() => h.db.exec('INSERT INTO t VALUES (2)'));
    assert.ok(e instanceof SQLiteError);
    assert.ok(['SQLITE_FULL', 'SQLITE_CANTOPEN'].includes(e.code), e.code);
    assert.deepEqual(rows(h.db, 'SELECT x FROM t'), [{ x: 1 }]);
    await h.pool.grow();
    h.db.exec('INSERT INTO t VALUES (2)');
    assert.deepEqual(rows(h.db, 'SELECT sum(x) AS s FROM t'), [{ s: 3 }]);
  } finally {
    closeDb(h);
  }
});

test('140 one corrupted header byte: the slot is set aside and the open fails with SQLITE_CORRUPT', async () => {
  const h = await openDb('p140');
  h.db.exec("CREATE TABLE t(x); INSERT INTO t VALUES ('intact')");
  closeDb(h);
  const file = slotOf('p140', '/p140');
  const fd = fs.openSync(file, 'r+');
  try {
    for (const offset of [0, 3, 4, 6, 8, 12, 16, 20, 300, 527, 528, 531]) {
      const byte = Buffer.alloc(1);
      fs.readSync(fd, byte, 0, 1, offset);
      fs.writeSync(fd, Buffer.from([byte[0] ^ 0x01]), 0, 1, offset);
      const { host, core } = await restart();
      const pool = await host.openPool(core, 'p140');
      try {
        assert.equal(pool.stat().corrupt, 1, `byte ${offset}`);
        const e = thrown(() => core.open('/p140', { vfs: pool.vfs }));
        assert.ok(e instanceof SQLiteError);
        assert.equal(e.code, 'SQLITE_CORRUPT', `byte ${offset}`);
        assert.equal(e.errno, SQLITE_CORRUPT);
      } finally {
        pool.close();
        fs.writeSync(fd, byte, 0, 1, offset);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  assert.ok(logs.some(([level, message]) => level === 1 && /corrupt/.test(message)), 'the host logged the corrupt slot');
  const again = await openDb('p140');
  try {
    assert.deepEqual(rows(again.db, 'SELECT x FROM t'), [{ x: 'intact' }]);
  } finally {
    closeDb(again);
  }
});

test('150 wipe: refused while open, then the database is empty; it clears a corrupt slot', async () => {
  const h = await openDb('p150');
  h.db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
  const e = thrown(() => h.pool.wipe());
  assert.equal(e.code, 'SQLITE_BUSY');
  h.db.close();
  // corrupt the database slot's checksum, reopen: set aside; wipe frees it
  h.pool.close();
  const file = slotOf('p150', '/p150');
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from([0xff]), 0, 1, 530);
  fs.closeSync(fd);
  const { host, core } = await restart();
  const pool = await host.openPool(core, 'p150');
  assert.equal(pool.stat().corrupt, 1);
  pool.wipe();
  const s = pool.stat();
  assert.equal(s.corrupt, 0);
  assert.equal(s.free, s.slots);
  const db = core.open('/p150', { vfs: pool.vfs });
  try {
    assert.deepEqual(rows(db, 'SELECT count(*) AS n FROM sqlite_schema'), [{ n: 0 }]);
  } finally {
    db.close();
    pool.close();
  }
});

test('160 every journal mode persists across a restart', async () => {
  for (const [mode, sync] of [['delete', 'FULL'], ['truncate', 'FULL'], ['persist', 'FULL'], ['wal', 'FULL'], ['wal', 'NORMAL']]) {
    const name = `p160-${mode}-${sync}`;
    const h = await openDb(name);
    let expected;
    try {
      if (mode === 'wal') h.db.exec('PRAGMA locking_mode=EXCLUSIVE');
      h.db.exec(`PRAGMA synchronous=${sync}`);
      assert.deepEqual(rows(h.db, `PRAGMA journal_mode=${mode}`), [{ journal_mode: mode }]);
      expected = fill(h.db);
      h.db.exec('BEGIN; DELETE FROM t WHERE id % 7 = 0; UPDATE t SET name = name || \'!\'; COMMIT');
      h.db.exec('BEGIN; DELETE FROM t; ROLLBACK');
      expected = expected.filter((r) => r.id % 7 !== 0).map((r) => ({ ...r, name: `${r.name}!` }));
    } finally {
      closeDb(h);
    }
    const again = await openDb(name);
    try {
      again.db.exec('PRAGMA locking_mode=EXCLUSIVE');
      assert.deepEqual(rows(again.db, 'SELECT * FROM t ORDER BY id'), expected, name);
      assert.deepEqual(rows(again.db, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }], name);
      assert.deepEqual(rows(again.db, 'PRAGMA journal_mode'), [{ journal_mode: mode === 'wal' ? 'wal' : 'delete' }], name);
    } finally {
      closeDb(again);
    }
  }
});

test('170 export, import into another pool, export: the same bytes but the commit counters', async () => {
  const a = await openDb('p170a');
  let image;
  try {
    fill(a.db);
    image = a.db.export();
  } finally {
    closeDb(a);
  }
  const b = await openDb('p170b');
  try {
    // a history of its own (other change counters than the image's)
    for (let i = 0; i < 5; i++) b.db.exec(`CREATE TABLE old${i}(x); INSERT INTO old${i} VALUES (${i})`);
    b.db.import(image);
  } finally {
    closeDb(b);
  }
  const again = await openDb('p170b');
  try {
    const copy = again.db.export();
    assert.deepEqual(rows(again.db, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
    assert.equal(copy.length, image.length);
    // every byte but the commit counters, which an import advances on purpose (sqlw.h)
    assert.deepEqual(differences(image, copy, COUNTERS), [], 'pages and header apart from the commit counters');
    const view = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
    assert.equal(view.getUint32(92), view.getUint32(24), 'version-valid-for = change counter');
  } finally {
    closeDb(again);
  }
});

test('180 openPool refuses bad names and a pool opened twice in one host', async () => {
  const { host, core } = await restart();
  for (const name of ['', 'a/b', 'x'.repeat(65), 'nul\0']) {
    await assert.rejects(host.openPool(core, name), (e) => e instanceof SQLiteError && e.code === 'SQLITE_MISUSE', JSON.stringify(name));
  }
  await assert.rejects(host.openPool({}, 'p180'), (e) => e.code === 'SQLITE_MISUSE');
  const pool = await host.openPool(core, 'p180');
  try {
    await assert.rejects(host.openPool(core, 'p180'), (e) => e.code === 'SQLITE_MISUSE');
    assert.equal(pool.vfs, 'pool:p180');
  } finally {
    pool.close();
  }
  assert.equal(pool.closed, true);
  assert.throws(() => pool.stat(), (e) => e.code === 'SQLITE_MISUSE');
  pool.close(); // a second close is a no-op
  // a name with dots and spaces maps to a folder of its own
  const odd = await host.openPool(core, '..odd name');
  try {
    assert.ok(fs.existsSync(path.join(root, '%2E%2Eodd%20name')));
  } finally {
    odd.close();
  }
});

test('190 close is refused while the database is open', async () => {
  const h = await openDb('p190');
  try {
    h.db.exec('CREATE TABLE t(x)');
    const e = thrown(() => h.pool.close());
    assert.equal(e.code, 'SQLITE_BUSY');
    assert.equal(h.pool.closed, false);
    h.db.exec('INSERT INTO t VALUES (1)');
  } finally {
    closeDb(h);
  }
});
