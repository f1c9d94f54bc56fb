// fts5.test.mjs — FTS5, a module of its own (src/js/link.js): linked into a connection
// the first time a statement names it or fails for want of it, read once per core and
// only then, and when it cannot be had, a clear SQL error with the connection intact.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { WASM_PATH, setup } from './helpers.mjs';
import { loadCore } from '../../src/js/core.js';
import { createNodeHost } from '../../src/js/host-node.js';

const { root } = await setup();
const FTS5_PATH = WASM_PATH.replace(/[^/]*$/, 'sqlite-worker-fts5.wasm');
const fts5Bytes = fs.readFileSync(FTS5_PATH);

/* A core over `root` whose FTS5 module comes from `fts5` (see loadCore), with the FTS5
** module's reads counted: returns { core, reads() }. */
async function counted(fts5 = () => fts5Bytes) {
  let n = 0;
  const core = await loadCore({
    wasm: WASM_PATH,
    host: createNodeHost({ root }),
    fts5: typeof fts5 === 'function' ? () => { n++; return fts5(); } : fts5,
  });
  return { core, reads: () => n };
}

/* The rows of the last result set of sql on connection db. */
const rows = (db, sql, params) => {
  const sets = db.exec(sql, params).resultSets;
  return sets.length ? sets[sets.length - 1].rows : [];
};

test('100 FTS5 is linked when a statement names it: MATCH, rank, highlight, snippet, bm25 and fts5vocab work', async () => {
  const { core, reads } = await counted();
  const db = core.open('/fts-100', { vfs: 'memdb' });
  try {
    db.exec('CREATE TABLE plain(x); INSERT INTO plain VALUES (1)');
    assert.equal(reads(), 0, 'no statement named FTS5 yet');
    db.exec("CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize = 'porter unicode61')");
    assert.equal(reads(), 1);
    db.exec('INSERT INTO docs(title, body) VALUES (?, ?), (?, ?), (?, ?)', [
      'Running', 'the runner runs every morning', 'Fish', 'fish swim in the sea', 'Café', 'un café noir, très noir']);
    const hits = rows(db, "SELECT rowid, highlight(docs, 1, '[', ']') AS h, snippet(docs, 1, '<', '>', '…', 3) AS s, "
      + "bm25(docs) AS score FROM docs WHERE docs MATCH 'run' ORDER BY rank"); // porter: runs → run
    assert.deepEqual(hits.map((r) => [r.rowid, r.h, r.s]), [[1, 'the runner [runs] every morning', 'the runner <runs>…']]);
    assert.ok(hits[0].score < 0, 'bm25 scores a hit below zero');
    assert.deepEqual(rows(db, "SELECT title FROM docs WHERE docs MATCH 'noir'").map((r) => r.title), ['Café']);
    db.exec('CREATE VIRTUAL TABLE words USING fts5vocab(docs, row)');
    const vocab = rows(db, "SELECT term, cnt FROM words WHERE term IN ('fish', 'noir')");
    assert.deepEqual(vocab.map((r) => [r.term, r.cnt]), [['fish', 2], ['noir', 2]]);
    assert.equal(reads(), 1, 'the module is read once per core');
  } finally {
    db.close();
  }
});

test('110 a connection that only reads an FTS5 table links it too (no such module → linked → prepared again), and so does a trigger', async () => {
  const { core, reads } = await counted();
  const path = '/fts-110.db';
  const a = core.open(path);
  a.exec(`CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);
    CREATE VIRTUAL TABLE notes_fts USING fts5(body, content='notes', content_rowid='id');
    CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN
      INSERT INTO notes_fts(rowid, body) VALUES (new.id, new.body);
    END;`);
  a.close();
  // A new core (a reloaded page): the file holds FTS5 tables; nothing is linked yet.
  const later = await counted();
  const b = later.core.open(path);
  try {
    assert.equal(later.reads(), 0);
    b.exec("INSERT INTO notes(body) VALUES ('alpha beta'), ('gamma delta')"); // the trigger writes notes_fts
    assert.equal(later.reads(), 1, 'the trigger\'s FTS5 table linked the module');
    const c = later.core.open(path);
    try {
      assert.deepEqual(rows(c, "SELECT rowid FROM notes_fts WHERE notes_fts MATCH 'gamma'").map((r) => r.rowid), [2]);
    } finally {
      c.close();
    }
    assert.equal(later.reads(), 1);
    b.exec('DROP TABLE notes_fts');
    assert.deepEqual(rows(b, "SELECT name FROM sqlite_schema WHERE name LIKE 'notes_fts%'"), []);
  } finally {
    b.close();
  }
  assert.equal(reads(), 1);
});

test('120 without the module: "no such module: fts5", the connection goes on, and the module is not asked for again', async () => {
  const { core, reads } = await counted(() => {
    throw new Error('offline');
  });
  const errors = [];
  const consoleError = console.error;
  console.error = (...args) => errors.push(args.join(' '));
  const db = core.open('/fts-120', { vfs: 'memdb' });
  try {
    assert.throws(() => db.exec('CREATE VIRTUAL TABLE t USING fts5(x)'), (e) => e.code === 'SQLITE_ERROR' && /no such module: fts5/.test(e.message));
    assert.throws(() => db.exec("SELECT fts5_source_id()"), /no such function: fts5_source_id/);
    assert.equal(reads(), 1, 'a failure is not retried');
    assert.equal(errors.length, 1);
    assert.match(errors[0], /FTS5 is not available: offline/);
    assert.deepEqual(rows(db, 'SELECT 40 + 2 AS n'), [{ n: 42 }]);
  } finally {
    console.error = consoleError;
    db.close();
  }
});

test('130 a module that is not FTS5\'s is refused before it runs: not shared, or needing what the core lacks', async () => {
  const consoleError = console.error;
  const errors = [];
  console.error = (...args) => errors.push(args.join(' '));
  try {
    for (const [bytes, why] of [
      [fs.readFileSync(WASM_PATH), /not a shared module/],
      [new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5]), /./],
    ]) {
      const { core } = await counted(() => bytes);
      const db = core.open('/fts-130', { vfs: 'memdb' });
      try {
        assert.throws(() => db.exec('CREATE VIRTUAL TABLE t USING fts5(x)'), /no such module: fts5/);
        assert.deepEqual(rows(db, 'SELECT 1 AS one'), [{ one: 1 }]);
      } finally {
        db.close();
      }
      assert.match(errors.at(-1), why);
    }
  } finally {
    console.error = consoleError;
  }
});

test('140 the default module is the file beside the core\'s wasm, read by the host; fts5_source_id() links it ahead', async () => {
  const core = await loadCore({ wasm: WASM_PATH, host: createNodeHost({ root }) });
  const db = core.open('/fts-140', { vfs: 'memdb' });
  try {
    assert.match(rows(db, 'SELECT fts5_source_id() AS id')[0].id, /^fts5: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [0-9a-f]+/);
    db.exec("CREATE VIRTUAL TABLE t USING fts5(x); INSERT INTO t VALUES ('hello there')");
    assert.deepEqual(rows(db, "SELECT x FROM t WHERE t MATCH 'hello'"), [{ x: 'hello there' }]);
  } finally {
    db.close();
  }
});
