// values.test.mjs — every JavaScript value type through the core and back: bound with
// `SELECT ?`, and stored in a table then read back, with SQLite's typeof() of each.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, rows, seededBytes } from './helpers.mjs';

const { core } = await setup();

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const SAFE = Number.MAX_SAFE_INTEGER; // 2^53 − 1
const MIB = seededBytes(1 << 20);

// [label, value bound, value expected back (auto mode), typeof() in SQL]
const CASES = [
  ['int64 max', INT64_MAX, INT64_MAX, 'integer'],
  ['int64 min', INT64_MIN, INT64_MIN, 'integer'],
  ['2^53-1 as number', SAFE, SAFE, 'integer'],
  ['-(2^53-1) as number', -SAFE, -SAFE, 'integer'],
  ['2^53 as bigint', 2n ** 53n, 2n ** 53n, 'integer'],
  ['-2^53 as bigint', -(2n ** 53n), -(2n ** 53n), 'integer'],
  ['2^53-1 as bigint comes back a number', BigInt(SAFE), SAFE, 'integer'],
  ['small bigint', -42n, -42, 'integer'],
  ['zero', 0, 0, 'integer'],
  ['2^32 boundary', 4294967296, 4294967296, 'integer'],
  ['-2^31-1', -2147483649, -2147483649, 'integer'],
  ['2^53 as number is not a safe integer: REAL', 2 ** 53, 2 ** 53, 'real'],
  ['-0.0', -0, -0, 'real'],
  ['1.5', 1.5, 1.5, 'real'],
  ['1e308', 1e308, 1e308, 'real'],
  ['5e-324 (smallest subnormal)', 5e-324, 5e-324, 'real'],
  ['-Infinity', -Infinity, -Infinity, 'real'],
  ['NaN binds as a float SQLite stores as NULL', NaN, null, 'null'],
  ['empty text', '', '', 'text'],
  ['text with edge whitespace', ' \t spaced \n ', ' \t spaced \n ', 'text'],
  ['unicode text', 'héllo wörld — 日本語 Ωμέγα', 'héllo wörld — 日本語 Ωμέγα', 'text'],
  ['emoji text', '👍🏽 family: 👨‍👩‍👧 flag: 🇫🇷', '👍🏽 family: 👨‍👩‍👧 flag: 🇫🇷', 'text'],
  ['text starting with U+FEFF (a BOM is text, not stripped)', '\ufeffbom', '\ufeffbom', 'text'],
  ['text with U+0000 inside', 'a\u0000b\u0000', 'a\u0000b\u0000', 'text'],
  ['long ASCII text', 'x'.repeat(100000), 'x'.repeat(100000), 'text'],
  ['empty blob', new Uint8Array(0), new Uint8Array(0), 'blob'],
  ['small blob', new Uint8Array([0, 1, 254, 255]), new Uint8Array([0, 1, 254, 255]), 'blob'],
  ['1 MiB random blob', MIB, MIB, 'blob'],
  ['ArrayBuffer', new Uint8Array([9, 8, 7]).buffer, new Uint8Array([9, 8, 7]), 'blob'],
  ['a view binds only its own bytes', new Uint8Array([1, 2, 3, 4, 5]).subarray(1, 3), new Uint8Array([2, 3]), 'blob'],
  ['Int16Array', new Int16Array([1, -1]), new Uint8Array([1, 0, 255, 255]), 'blob'],
  ['DataView', new DataView(new Uint8Array([5, 6, 7]).buffer, 1, 2), new Uint8Array([6, 7]), 'blob'],
  ['null', null, null, 'null'],
  ['true', true, 1, 'integer'],
  ['false', false, 0, 'integer'],
];

/* Asserts got equals want exactly: same JS type, -0 kept, bytes equal for blobs. */
function assertSame(got, want, label) {
  if (want instanceof Uint8Array) {
    assert.ok(got instanceof Uint8Array, `${label}: expected a Uint8Array, got ${typeof got}`);
    assert.equal(got.length, want.length, `${label}: blob length`);
    assert.ok(Buffer.from(got.buffer, got.byteOffset, got.length).equals(Buffer.from(want.buffer, want.byteOffset, want.length)),
      `${label}: blob bytes differ`);
  } else {
    assert.equal(typeof got, typeof want, `${label}: JS type`);
    assert.ok(Object.is(got, want), `${label}: got ${String(got)}, want ${String(want)}`);
  }
}

test('100 each value through SELECT ? comes back with its type', () => {
  const db = core.open('select.db');
  try {
    for (const [label, value, want, type] of CASES) {
      const [row] = rows(db, 'SELECT ?1 AS v, typeof(?1) AS t', [value]);
      assertSame(row.v, want, label);
      assert.equal(row.t, type, `${label}: typeof`);
    }
  } finally {
    db.close();
  }
});

test('110 each value stored in a table and read back', () => {
  const db = core.open('table.db');
  try {
    // An untyped column has no affinity: values are stored exactly as bound (a REAL
    // column would store -0.0 as the integer 0).
    db.exec('CREATE TABLE v(id INTEGER PRIMARY KEY, x)');
    for (let i = 0; i < CASES.length; i++) db.exec('INSERT INTO v VALUES (?, ?)', [i, CASES[i][1]]);
    const got = rows(db, 'SELECT id, x, typeof(x) AS t FROM v ORDER BY id');
    assert.equal(got.length, CASES.length);
    for (let i = 0; i < CASES.length; i++) {
      const [label, , want, type] = CASES[i];
      assert.equal(got[i].id, i);
      assertSame(got[i].x, want, `table: ${label}`);
      assert.equal(got[i].t, type, `table: ${label}: typeof`);
    }
  } finally {
    db.close();
  }
});

test('120 text lengths are counted in characters by SQLite, bytes are UTF-8', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    const [row] = rows(db, "SELECT length(?1) AS n, hex(?1) AS h, length(?2) AS m", ['é😀', 'a\u0000b']);
    assert.equal(row.n, 2);
    assert.equal(row.h, 'C3A9F09F9880');
    // length() stops at the first NUL: the NUL really is inside the bound text.
    assert.equal(row.m, 1);
    const [z] = rows(db, "SELECT hex(?) AS h", ['a\u0000b']);
    assert.equal(z.h, '610062');
  } finally {
    db.close();
  }
});

test("130 bigint: 'always' returns every INTEGER, changes and rowid as BigInt", () => {
  const db = core.open('always.db');
  try {
    db.exec('CREATE TABLE t(a INTEGER PRIMARY KEY, b)');
    const ins = db.exec('INSERT INTO t(b) VALUES (7)', null, { bigint: 'always' });
    assert.equal(ins.changes, 1n);
    assert.equal(ins.lastInsertRowid, 1n);
    const [row] = rows(db, 'SELECT a, b, 1.5 AS r, ? AS big FROM t', [INT64_MIN], { bigint: 'always' });
    assert.equal(row.a, 1n);
    assert.equal(row.b, 7n);
    assert.equal(row.r, 1.5); // REAL stays a number
    assert.equal(row.big, INT64_MIN);
    const auto = db.exec('INSERT INTO t(b) VALUES (8)');
    assert.equal(auto.changes, 1);
    assert.equal(auto.lastInsertRowid, 2);
  } finally {
    db.close();
  }
});

test('140 a rowid beyond 2^53 comes back as BigInt in lastInsertRowid', () => {
  const db = core.open('rowid.db');
  try {
    db.exec('CREATE TABLE t(a INTEGER PRIMARY KEY)');
    const r = db.exec('INSERT INTO t VALUES (?)', [INT64_MAX]);
    assert.equal(r.lastInsertRowid, INT64_MAX);
    const s = db.exec('INSERT INTO t VALUES (?)', [SAFE]);
    assert.equal(s.lastInsertRowid, SAFE);
  } finally {
    db.close();
  }
});

test('150 values computed by SQL decode to the right JS types', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    const [row] = rows(db, `SELECT 9223372036854775807 AS max, -9223372036854775807 - 1 AS min,
      9007199254740993 AS over, -9007199254740991 AS safemin, 0.1 + 0.2 AS sum,
      x'' AS eb, zeroblob(3) AS zb, char(0x1F600) AS emoji, NULL AS n, 'ab' || char(0) || 'c' AS nul`);
    assert.equal(row.max, INT64_MAX);
    assert.equal(row.min, INT64_MIN);
    assert.equal(row.over, 9007199254740993n);
    assert.equal(row.safemin, -SAFE);
    assert.equal(row.sum, 0.1 + 0.2);
    assert.deepEqual(row.eb, new Uint8Array(0));
    assert.deepEqual(row.zb, new Uint8Array(3));
    assert.equal(row.emoji, '😀');
    assert.equal(row.n, null);
    assert.equal(row.nul, 'ab\u0000c');
  } finally {
    db.close();
  }
});

test('160 a returned blob owns its bytes: later requests do not change it', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    const [first] = rows(db, 'SELECT ? AS b', [new Uint8Array([1, 2, 3])]);
    // A request big enough to grow wasm memory detaches every old view of it.
    rows(db, 'SELECT ? AS b', [new Uint8Array(64 << 20)]);
    assert.deepEqual(first.b, new Uint8Array([1, 2, 3]));
    assert.equal(first.b.buffer.byteLength, 3);
  } finally {
    db.close();
  }
});

test('170 SQL math functions compute what JavaScript\'s Math does (the wasm build\'s libm is the host\'s)', () => {
  const db = core.open(':memory:', { vfs: 'memdb' });
  try {
    const [row] = rows(db, `SELECT acos(0.5) AS acos, asin(0.5) AS asin, atan(2) AS atan,
      atan2(1, -2) AS atan2, acosh(2) AS acosh, asinh(2) AS asinh, atanh(0.5) AS atanh,
      cos(1) AS cos, sin(1) AS sin, tan(1) AS tan, cosh(1) AS cosh, sinh(1) AS sinh,
      tanh(1) AS tanh, exp(1) AS exp, ln(10) AS ln, log10(2) AS log10, log2(10) AS log2,
      log(2, 1024) AS logb, pow(2, 0.5) AS pow, mod(7.5, -2) AS mod, mod(-7.5, 2) AS modneg,
      sqrt(2) AS sqrt, ceil(-1.5) AS ceil, floor(-1.5) AS floor, trunc(-1.5) AS trunc,
      pi() AS pi, degrees(pi()) AS degrees, radians(180) AS radians,
      ln(0) AS ln0, sqrt(-1) AS sqrtneg, acos(2) AS acos2`);
    const want = {
      acos: Math.acos(0.5), asin: Math.asin(0.5), atan: Math.atan(2), atan2: Math.atan2(1, -2),
      acosh: Math.acosh(2), asinh: Math.asinh(2), atanh: Math.atanh(0.5), cos: Math.cos(1),
      sin: Math.sin(1), tan: Math.tan(1), cosh: Math.cosh(1), sinh: Math.sinh(1),
      tanh: Math.tanh(1), exp: Math.exp(1), ln: Math.log(10), log10: Math.log10(2),
      log2: Math.log2(10), logb: Math.log(1024) / Math.log(2), pow: Math.pow(2, 0.5),
      mod: 1.5, modneg: -1.5, sqrt: Math.SQRT2, ceil: -1, floor: -2, trunc: -1, pi: Math.PI,
      degrees: 180, radians: Math.PI, ln0: null, sqrtneg: null, acos2: null,
    };
    assert.deepEqual(row, want);
    // FTS5's bm25() calls log() too.
    db.exec(`CREATE VIRTUAL TABLE f USING fts5(body);
      INSERT INTO f VALUES ('apple pie'), ('apple tart'), ('plum cake')`);
    const ranks = rows(db, "SELECT bm25(f) AS r FROM f WHERE f MATCH 'plum'");
    assert.equal(ranks.length, 1);
    assert.ok(Number.isFinite(ranks[0].r) && ranks[0].r < 0, `bm25 ${ranks[0].r}`);
  } finally {
    db.close();
  }
});
