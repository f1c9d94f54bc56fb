// staged.test.mjs — streamed imports through the multi-tab machine (REQ_IMPORT_PART and
// REQ_IMPORT_END of src/core/coord.h) on the Node build, over a pool of the Node host:
// the pieces go to the asking tab's staging file, on storage, so a new leader goes on
// where the old one stopped; the end imports the file (checked like a whole image,
// recorded like a write) and removes it; a tab that is gone leaves no staging file.
// The browser tests (tests/browser/limits.test.mjs) stream through the public API.

import { test } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { setup, rows, seededBytes, leadAlone, concat, WASM_PATH } from './helpers.mjs';
import { loadCore } from '../../src/js/core.js';
import { sqlBody } from '../../src/js/protocol.js';
import { createNodeHost } from '../../src/js/host-node.js';
import {
  COORD_NO_BUDGET, REQ_BEGIN, REQ_COMMIT, REQ_EXEC, REQ_IMPORT, REQ_IMPORT_DISCARD,
  REQ_IMPORT_END, REQ_IMPORT_PART, SQLITE_ABORT, SQLITE_MISUSE,
} from '../../src/js/proto.js';

const { core, root } = await setup();

/* The 8 bytes of u64 v, little-endian. */
function u64(v) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(v), true);
  return out;
}

/* A database image of about `rows` rows of 1 KiB, made in memory. */
function image(n, seed = 1) {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, data BLOB)');
    db.runMany('INSERT INTO t VALUES (?, ?)', Array.from({ length: n }, (_, i) => [i + 1, seededBytes(1024, seed + i)]));
    return db.export();
  } finally {
    db.close();
  }
}

/* A leader alone over pool `name` (one tab's worker): the machine, its connection, its answers. */
async function leader(name, idByte = 7) {
  // A tab's worker: its own core over its own host (one pool per host).
  const host = createNodeHost({ root });
  const tabCore = await loadCore({ wasm: WASM_PATH, host });
  const pool = await host.openPool(tabCore, name);
  const db = tabCore.open(`/${name}`, { vfs: pool.vfs });
  const { machine: m, replies, perform } = leadAlone(tabCore, db, idByte);
  let seq = 0;
  const resend = (n, kind, body, lease = 0) => {
    replies.delete(n);
    perform(m.local(n, lease, kind, body, COORD_NO_BUDGET));
    return replies.get(n);
  };
  const send = (kind, body, lease = 0) => resend(++seq, kind, body, lease);
  const used = () => {
    const s = pool.stat();
    return s.slots - s.free;
  };
  return {
    db, pool, machine: m, send, resend, used, perform,
    get seq() { return seq; },
    async grow() { await pool.grow(); },
    close() {
      m.destroy();
      db.close();
      pool.close();
    },
  };
}

/* Streams `img` in pieces of `size` through l; returns the last piece's answer. */
async function stage(l, img, size, from = 0) {
  let r;
  for (let at = from; at < img.length; at += size) {
    r = l.send(REQ_IMPORT_PART, concat([u64(at), img.subarray(at, at + size)]));
    assert.equal(r.rc, 0, r.message);
    await l.grow();   // the host adds slot files between events, as the worker does
  }
  return r;
}

test('100 an image streamed in pieces replaces the database; the staging file is gone after', async () => {
  const img = image(300);
  const l = await leader('st100');
  try {
    l.db.exec('CREATE TABLE old(x); INSERT INTO old VALUES (1)');
    const before = l.used();
    await stage(l, img, 64 * 1024);
    assert.equal(l.used(), before + 1, 'the staging file holds a slot');
    const r = l.send(REQ_IMPORT_END, u64(img.length));
    assert.equal(r.rc, 0, r.message);
    assert.equal(l.used(), before, 'the staging file is removed');
    assert.deepEqual(rows(l.db, 'SELECT count(*) AS n, sum(length(data)) AS b FROM t'), [{ n: 300, b: 300 * 1024 }]);
    assert.deepEqual(rows(l.db, "SELECT name FROM sqlite_schema WHERE name = 'old'"), []);
    assert.deepEqual(rows(l.db, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
  } finally {
    l.close();
  }
});

test('110 a staged image that is not a sound database is refused and the database keeps its data', async () => {
  const img = image(100);
  const bad = img.slice();
  bad.fill(0x55, 4096 * 2, 4096 * 3);     // a b-tree page of the table, garbled
  const l = await leader('st110');
  try {
    l.db.exec('CREATE TABLE keep(x); INSERT INTO keep VALUES (42)');
    const before = l.used();
    await stage(l, bad, 100_000);
    const r = l.send(REQ_IMPORT_END, u64(bad.length));
    assert.equal(r.rc, 11, r.message);                  // SQLITE_CORRUPT
    assert.match(r.message, /not a sound SQLite database/);
    assert.equal(l.used(), before);
    assert.deepEqual(rows(l.db, 'SELECT x FROM keep'), [{ x: 42 }]);

    // Not a database at all; and a size that is not the stream's (a piece lost).
    await stage(l, new TextEncoder().encode('hello, this is not a database'.repeat(40)), 4096);
    const r2 = l.send(REQ_IMPORT_END, u64(29 * 40));
    assert.equal(r2.rc, 26, r2.message);                // SQLITE_NOTADB
    await stage(l, img, 1 << 20);
    const r3 = l.send(REQ_IMPORT_END, u64(img.length + 4096));
    assert.equal(r3.rc, 4, r3.message);                 // SQLITE_ABORT
    assert.match(r3.message, /pieces are missing/);
    assert.deepEqual(rows(l.db, 'SELECT x FROM keep'), [{ x: 42 }]);
    assert.equal(l.used(), before);
  } finally {
    l.close();
  }
});

test('120 a piece with no staging begun is refused; a discard drops the staged bytes', async () => {
  const img = image(50);
  const l = await leader('st120');
  try {
    const before = l.used();
    const r = l.send(REQ_IMPORT_PART, concat([u64(4096), img.subarray(4096, 8192)]));
    assert.equal(r.rc, SQLITE_ABORT, r.message);      // nothing was begun
    assert.match(r.message, /staged bytes are gone/);
    assert.equal(l.used(), before);
    await stage(l, img.subarray(0, 8192), 4096);
    assert.equal(l.used(), before + 1);
    const d = l.send(REQ_IMPORT_END, u64(REQ_IMPORT_DISCARD));
    assert.equal(d.rc, 0, d.message);
    assert.equal(l.used(), before);
    const e = l.send(REQ_IMPORT_END, u64(img.length));   // nothing staged any more
    assert.equal(e.rc, SQLITE_ABORT, e.message);
    const m = l.send(REQ_IMPORT_PART, new Uint8Array(3));  // malformed: no offset
    assert.equal(m.rc, SQLITE_MISUSE);
    assert.match(m.message, /^malformed import piece/);
  } finally {
    l.close();
  }
});

test('130 a new leader goes on with the pieces the old one staged; a re-sent end is answered from its record', async () => {
  const img = image(200, 5);
  const half = 4096 * Math.floor(img.length / 4096 / 2);
  const a = await leader('st130', 3);
  await stage(a, img.subarray(0, half), 32 * 1024);
  a.close();                                // the leader's tab is gone; the file stays
  const b = await leader('st130', 3);       // the same tab's requests, now led here
  try {
    await stage(b, img, 32 * 1024, half);
    const r = b.send(REQ_IMPORT_END, u64(img.length));
    assert.equal(r.rc, 0, r.message);
    assert.deepEqual(rows(b.db, 'SELECT count(*) AS n FROM t'), [{ n: 200 }]);
    // The same END again (a re-send after a leader change): its record, not a second import.
    b.db.exec("INSERT INTO t VALUES (1000, x'00')");
    const again = b.resend(b.seq, REQ_IMPORT_END, u64(img.length));
    assert.equal(again.rc, 0, again.message);
    assert.deepEqual(rows(b.db, 'SELECT count(*) AS n FROM t'), [{ n: 201 }]);
    const fresh = b.send(REQ_IMPORT_END, u64(img.length));
    assert.equal(fresh.rc, 4, 'a new END finds nothing staged');
  } finally {
    b.close();
  }
});

test('140 a tab that is gone leaves no staging file', async () => {
  const img = image(50);
  const l = await leader('st140');
  try {
    const before = l.used();
    // Another client's pieces, as a follower's requests arriving through the channel,
    // are not reachable here; this tab's own staging is dropped when its client is
    // forgotten, which the machine does for a client that is gone.
    await stage(l, img.subarray(0, 8192), 4096);
    assert.equal(l.used(), before + 1);
    l.perform(l.machine.clientGone('07'.repeat(16)));
    assert.equal(l.used(), before, 'the gone client\'s staging file is removed');
  } finally {
    l.close();
  }
});

test('150 reads inside a transaction write no bookkeeping: the pages a streamed export reads stay as they were', async () => {
  const l = await leader('st150');
  try {
    l.db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
    const state = () => rows(l.db, 'SELECT (SELECT count(*) FROM _sqlw_requests) AS r, (SELECT group_concat(floor) FROM _sqlw_clients) AS f, (SELECT total_changes()) AS c');
    assert.equal(l.send(REQ_EXEC, concat(sqlBody('INSERT INTO t VALUES (2)'))).rc, 0);
    const begin = l.send(REQ_BEGIN, new Uint8Array(0));
    assert.equal(begin.rc, 0, begin.message);
    const lease = l.seq;
    const before = state();
    // What a streamed export sends in its transaction, the small last chunk included.
    for (const sql of ['PRAGMA page_count', 'PRAGMA page_size', 'SELECT (SELECT data FROM sqlite_dbpage WHERE pgno = 1) AS d', 'SELECT x FROM t']) {
      const r = l.send(REQ_EXEC, concat(sqlBody(sql)), lease);
      assert.equal(r.rc, 0, `${sql}: ${r.message}`);
    }
    assert.deepEqual(state(), before);
    // A write in the transaction is still recorded with its answer.
    assert.equal(l.send(REQ_EXEC, concat(sqlBody('INSERT INTO t VALUES (3)')), lease).rc, 0);
    assert.notDeepEqual(state(), before);
    assert.equal(l.send(REQ_COMMIT, new Uint8Array(0), lease).rc, 0);
    assert.deepEqual(rows(l.db, 'SELECT group_concat(x) AS xs FROM t'), [{ xs: '1,2,3' }]);
  } finally {
    l.close();
  }
});

/* The file of a database SQLite made with page size `ps` in journal mode `mode`, holding
 * text that UTF-8 must keep: 300 rows, one 20 KiB value over overflow pages. */
function nativeImage(ps, mode) {
  const file = `/made-${ps}-${mode}`;
  const db = core.open(file, { vfs: 'host' });
  try {
    db.exec(`PRAGMA page_size = ${ps}; ${mode === 'wal' ? 'PRAGMA locking_mode = EXCLUSIVE; ' : ''}PRAGMA journal_mode = ${mode}`);
    db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, s TEXT); CREATE INDEX ts ON t(s)");
    db.runMany('INSERT INTO t(s) VALUES (?)', Array.from({ length: 300 }, (_, i) => [`héllo ${i} 😀 ${'ß'.repeat(i % 50)}`]));
    db.exec(`INSERT INTO t(s) VALUES ('${'ü'.repeat(10_000)}')`);
  } finally {
    db.close();
  }
  const img = new Uint8Array(fs.readFileSync(path.join(root, file)));
  assert.equal(img[18], mode === 'wal' ? 2 : 1);
  const field = img[16] << 8 | img[17];
  assert.equal(field === 1 ? 65536 : field, ps);     // 65536 is written as 1
  return img;
}

const TEXT_SUM = "SELECT count(*) AS n, sum(length(s)) AS chars, sum(unicode(substr(s, 2))) AS mark FROM t";

test('160 images of 1024-, 8192- and 65536-byte pages, rollback and WAL, land in a WAL database (streamed and whole) and in memory, text intact', async () => {
  const want = (() => {
    const db = core.open(':memory:', { vfs: 'memdb' });
    db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, s TEXT)");
    db.runMany('INSERT INTO t(s) VALUES (?)', Array.from({ length: 300 }, (_, i) => [`héllo ${i} 😀 ${'ß'.repeat(i % 50)}`]));
    db.exec(`INSERT INTO t(s) VALUES ('${'ü'.repeat(10_000)}')`);
    const r = rows(db, TEXT_SUM);
    db.close();
    return r;
  })();
  const l = await leader('st160');
  l.db.setDurability('durable');
  l.db.exec('CREATE TABLE warm(x)');          // the WAL file exists from the first write on
  try {
    for (const ps of [1024, 8192, 65536]) {
      for (const mode of ['delete', 'wal']) {
        const img = nativeImage(ps, mode);
        const what = `${ps}-byte pages, ${mode}`;
        const before = l.used();
        // Streamed: staged on storage, brought to the database's page size, copied in.
        await stage(l, img, 256 * 1024);
        const r = l.send(REQ_IMPORT_END, u64(img.length));
        assert.equal(r.rc, 0, `${what}: ${r.message}`);
        assert.deepEqual(rows(l.db, TEXT_SUM), want, what);
        assert.deepEqual(rows(l.db, 'PRAGMA page_size'), [{ page_size: 4096 }], what);
        assert.deepEqual(rows(l.db, 'PRAGMA journal_mode'), [{ journal_mode: 'wal' }], what);
        assert.deepEqual(rows(l.db, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }], what);
        assert.equal(l.used(), before, `${what}: no staging or resized file stays`);
        l.db.exec('DROP TABLE t');
        // Whole (a small image from a tab): the same, through a file beside the database.
        const w = l.send(REQ_IMPORT, img);
        assert.equal(w.rc, 0, `${what} whole: ${w.message}`);
        assert.deepEqual(rows(l.db, TEXT_SUM), want, `${what} whole`);
        assert.deepEqual(rows(l.db, 'PRAGMA page_size'), [{ page_size: 4096 }]);
        assert.equal(l.used(), before, `${what} whole: no file stays`);
        await l.grow();
        // Into memory: the image keeps its own page size.
        const m = core.open(':memory:', { vfs: 'memdb' });
        m.import(img);
        assert.deepEqual(rows(m, TEXT_SUM), want, `${what} memory`);
        assert.deepEqual(rows(m, 'PRAGMA page_size'), [{ page_size: ps }]);
        m.close();
      }
    }
  } finally {
    l.close();
  }
});

test('170 a UTF-16 image is refused clearly, never read as garbled text; an encrypted or unknown one too', async () => {
  const img = nativeImage(4096, 'delete');
  const l = await leader('st170');
  l.db.setDurability('durable');
  try {
    l.db.exec("CREATE TABLE keep(x); INSERT INTO keep VALUES ('ünchanged')");
    const utf16 = img.slice();
    utf16[59] = 2;                                   // text encoding: UTF-16le
    const junk = img.slice();
    junk.set(seededBytes(4096, 3).subarray(0, 100));  // an encrypted file's first page
    for (const [bad, code, re] of [[utf16, 26, /UTF-16 databases are not supported/], [junk, 26, /SQLite file header/]]) {
      await stage(l, bad, 1 << 20);
      const r = l.send(REQ_IMPORT_END, u64(bad.length));
      assert.equal(r.rc, code, r.message);
      assert.match(r.message, re);
      const w = l.send(REQ_IMPORT, bad);
      assert.equal(w.rc, code, w.message);
    }
    assert.deepEqual(rows(l.db, 'SELECT x FROM keep'), [{ x: 'ünchanged' }]);
    assert.deepEqual(rows(l.db, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
  } finally {
    l.close();
  }
});
