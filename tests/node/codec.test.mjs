// codec.test.mjs — the JavaScript side of docs/format.md, byte by byte, without the
// core: SQWP buffers as encoded, SQWR buffers decoded, and malformed buffers refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeParams, encodeParamSets, decodeResult } from '../../src/js/codec.js';
import { SQLiteError } from '../../src/js/errors.js';
import { thrown } from './helpers.mjs';
import { SQLW_FORMAT_VERSION } from '../../src/js/proto.js';

/* Little-endian byte helpers for building expected buffers. */
const u16 = (n) => [n & 0xff, n >> 8];
const u32 = (n) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const i64 = (n) => [...new Uint8Array(new BigInt64Array([BigInt(n)]).buffer)];
const f64 = (x) => [...new Uint8Array(new Float64Array([x]).buffer)];
const str = (s) => { const b = new TextEncoder().encode(s); return [...u32(b.length), ...b]; };
const SQWP = [0x53, 0x51, 0x57, 0x50];
const SQWR = [0x53, 0x51, 0x57, 0x52];

test('100 SQLW_FORMAT_VERSION is 1', () => {
  assert.equal(SQLW_FORMAT_VERSION, 1);
});

test('110 no parameters encode to null', () => {
  assert.equal(encodeParams(undefined), null);
  assert.equal(encodeParams(null), null);
});

test('120 positional values encode as docs/format.md lays them out', () => {
  const got = encodeParams([1, -1, 1.5, -0, 'é', new Uint8Array([7, 8]), null, true, 2n ** 62n]);
  const want = [...SQWP, ...u16(1), ...u16(0), ...u32(0), ...u32(9), ...u32(1),
    1, ...i64(1), 1, ...i64(-1), 2, ...f64(1.5), 2, ...f64(-0), 3, ...str('é'),
    4, ...u32(2), 7, 8, 5, 1, ...i64(1), 1, ...i64(2n ** 62n)];
  assert.deepEqual([...got], want);
});

test('130 safe integers of every size encode exactly as int64', () => {
  for (const n of [0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, -(2 ** 32), 2 ** 52 + 3, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
    const got = encodeParams([n]);
    assert.deepEqual([...got.subarray(20)], [1, ...i64(n)], String(n));
  }
  // Beyond 2^53 a number is not an exact integer: it is sent as a FLOAT.
  assert.equal(encodeParams([2 ** 53])[20], 2);
});

test('140 named values encode names first, bare or prefixed as given', () => {
  const got = encodeParams({ id: 5, ':x': 'a' });
  const want = [...SQWP, ...u16(1), ...u16(0), ...u32(2), ...u32(2), ...u32(1),
    ...str('id'), ...str(':x'), 1, ...i64(5), 3, ...str('a')];
  assert.deepEqual([...got], want);
});

test('150 run-many sets are written set after set, names once', () => {
  const got = encodeParamSets([{ a: 1, b: 'x' }, { b: 'y', a: 2 }]);
  const want = [...SQWP, ...u16(1), ...u16(0), ...u32(2), ...u32(2), ...u32(2),
    ...str('a'), ...str('b'), 1, ...i64(1), 3, ...str('x'), 1, ...i64(2), 3, ...str('y')];
  assert.deepEqual([...got], want);
  const pos = encodeParamSets([[1], [2]]);
  assert.deepEqual([...pos], [...SQWP, ...u16(1), ...u16(0), ...u32(0), ...u32(1), ...u32(2),
    1, ...i64(1), 1, ...i64(2)]);
  const none = encodeParamSets([]);
  assert.deepEqual([...none], [...SQWP, ...u16(1), ...u16(0), ...u32(0), ...u32(0), ...u32(0)]);
});

test('160 long and non-ASCII strings are UTF-8, U+0000 kept, lone surrogates replaced', () => {
  const long = 'ab'.repeat(5000) + 'ü';
  for (const s of ['a\u0000b', long, '日本', '😀', 'x'.repeat(32), 'y'.repeat(33) + 'é']) {
    assert.deepEqual([...encodeParams([s]).subarray(20)], [3, ...str(s)], s.slice(0, 20));
  }
  assert.deepEqual([...encodeParams(['\ud800']).subarray(20)], [3, ...str('\ufffd')]);
});

test('170 100,000 sets encode into one buffer of the exact size', () => {
  const sets = [];
  for (let i = 0; i < 100000; i++) sets.push([i, `name ${i}`, i / 3, new Uint8Array(16)]);
  const got = encodeParamSets(sets);
  let size = 20;
  for (let i = 0; i < 100000; i++) size += 9 + 5 + `name ${i}`.length + 9 + 5 + 16;
  assert.equal(got.length, size);
  assert.equal(new DataView(got.buffer, got.byteOffset).getUint32(16, true), 100000);
});

/*
** Builds a SQWR buffer: header fields, result sets of [columns, declTypes, rows of
** encoded values], and a message.
*/
function sqwr({ rc = 0, off = -1, changes = 0, rowid = 0, stmts = 0, sets = [], message = '', version = 1 }) {
  const out = [...SQWR, ...u16(version), ...u16(0), ...u32(rc >>> 0), ...u32(off >>> 0),
    ...i64(changes), ...i64(rowid), ...u32(stmts), ...u32(sets.length)];
  for (const [cols, decl, rows] of sets) {
    out.push(...u32(cols.length));
    for (const c of cols) out.push(...str(c));
    for (const d of decl) out.push(...str(d));
    out.push(...u32(rows.length));
    for (const r of rows) for (const v of r) out.push(...v);
  }
  out.push(...str(message));
  return new Uint8Array(out);
}
const I = (n) => [1, ...i64(n)];
const F = (x) => [2, ...f64(x)];
const T = (s) => [3, ...str(s)];
const B = (b) => [4, ...u32(b.length), ...b];
const N = [5];

test('200 a result buffer decodes to rows of every type', () => {
  const buf = sqwr({ changes: 3, rowid: 2n ** 60n, stmts: 2, sets: [[['i', 'f', 't', 'b', 'n'], ['INTEGER', 'REAL', '', '', ''],
    [[I(-5), F(-0), T('héllo'), B([1, 2]), N], [I(2n ** 53n), F(5e-324), T(''), B([]), N]]]] });
  const r = decodeResult(buf);
  assert.equal(r.rc, 0);
  assert.equal(r.errorOffset, -1);
  assert.equal(r.changes, 3);
  assert.equal(r.lastInsertRowid, 2n ** 60n);
  assert.equal(r.statements, 2);
  assert.equal(r.message, '');
  const [a, b] = r.resultSets[0].rows;
  assert.equal(a.i, -5);
  assert.ok(Object.is(a.f, -0));
  assert.equal(a.t, 'héllo');
  assert.deepEqual(a.b, new Uint8Array([1, 2]));
  assert.equal(a.n, null);
  assert.equal(b.i, 2n ** 53n);
  assert.equal(b.f, 5e-324);
  assert.deepEqual(b.b, new Uint8Array(0));
  assert.deepEqual(r.resultSets[0].declTypes, ['INTEGER', 'REAL', '', '', '']);
});

test('210 the integer boundaries of number and BigInt', () => {
  const cases = [[2n ** 53n - 1n, 2 ** 53 - 1], [-(2n ** 53n) + 1n, -(2 ** 53) + 1], [2n ** 53n, 2n ** 53n],
    [-(2n ** 53n), -(2n ** 53n)], [2n ** 63n - 1n, 2n ** 63n - 1n], [-(2n ** 63n), -(2n ** 63n)],
    [-1n, -1], [2n ** 32n, 2 ** 32], [-(2n ** 32n) - 1n, -(2 ** 32) - 1], [0n, 0]];
  for (const [stored, want] of cases) {
    const r = decodeResult(sqwr({ changes: stored, sets: [[['v'], [''], [[I(stored)]]]] }));
    assert.equal(r.resultSets[0].rows[0].v, want, String(stored));
    assert.equal(r.changes, want, String(stored));
    const always = decodeResult(sqwr({ sets: [[['v'], [''], [[I(stored)]]]] }), { bigint: 'always' });
    assert.equal(always.resultSets[0].rows[0].v, stored);
    assert.equal(always.changes, 0n);
  }
});

test('220 the error fields decode', () => {
  const r = decodeResult(sqwr({ rc: 2067, off: 12, message: 'UNIQUE constraint failed: t.a' }));
  assert.equal(r.rc, 2067);
  assert.equal(r.errorOffset, 12);
  assert.equal(r.message, 'UNIQUE constraint failed: t.a');
  assert.deepEqual(r.resultSets, []);
});

test('230 text decodes through both the short-ASCII path and TextDecoder', () => {
  const texts = ['', 'a', ' ', ' a b\n', 'x'.repeat(24), 'y'.repeat(25), 'ascii then é', '\u0000', 'a\u0000b', '😀'.repeat(10), 'z'.repeat(10000)];
  const r = decodeResult(sqwr({ sets: [[['t'], [''], texts.map((t) => [T(t)])]] }), { rowMode: 'array' });
  assert.deepEqual(r.resultSets[0].rows.map((row) => row[0]), texts);
  // Invalid UTF-8 is replaced, never thrown on.
  const bad = decodeResult(sqwr({ sets: [[['t'], [''], [[[3, ...u32(2), 0xc3, 0x28]]]]] }));
  assert.equal(bad.resultSets[0].rows[0].t, '\ufffd(');
});

test('240 a decoded blob is a copy that owns its bytes', () => {
  const buf = sqwr({ sets: [[['b'], [''], [[B([9, 9, 9])]]]] });
  const r = decodeResult(buf);
  buf.fill(0);
  assert.deepEqual(r.resultSets[0].rows[0].b, new Uint8Array([9, 9, 9]));
  assert.equal(r.resultSets[0].rows[0].b.buffer.byteLength, 3);
});

test('250 a buffer at an offset of a larger ArrayBuffer decodes', () => {
  const inner = sqwr({ sets: [[['v'], [''], [[I(7)], [F(0.5)]]]] });
  const outer = new Uint8Array(inner.length + 13);
  outer.set(inner, 5);
  const r = decodeResult(outer.subarray(5, 5 + inner.length));
  assert.deepEqual(r.resultSets[0].rows, [{ v: 7 }, { v: 0.5 }]);
});

test('300 wrong magic, version, flags, tags and truncation are refused', () => {
  const good = sqwr({ sets: [[['v'], [''], [[T('abc')]]]], message: '' });
  const badMagic = good.slice(); badMagic[3] = 0x50;
  assert.throws(() => decodeResult(badMagic), /magic/);
  assert.throws(() => decodeResult(sqwr({ version: 2 })), /version 2/);
  const badFlags = good.slice(); badFlags[6] = 8;   // 1, 2, 4: SQLW_FLAG_IN_TXN, _MORE, _LIVE
  assert.throws(() => decodeResult(badFlags), /flags/);
  // A live answer's trailer (SQLW_FLAG_LIVE): decoded; missing or longer, refused.
  const trailer = [...new Uint8Array(new BigUint64Array([3n]).buffer), 7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0x74];
  const live = new Uint8Array(good.length + trailer.length); live.set(good); live.set(trailer, good.length); live[6] = 4;
  assert.deepEqual(decodeResult(live).live, { epoch: 3, counter: 7, all: false, tables: ['t'] });
  const bare = good.slice(); bare[6] = 4;
  assert.throws(() => decodeResult(bare), /live trailer/);
  const liveLonger = new Uint8Array(live.length + 1); liveLonger.set(live);
  assert.throws(() => decodeResult(liveLonger), /after the live trailer/);
  for (let n = 0; n < good.length; n++) {
    assert.throws(() => decodeResult(good.subarray(0, n)), /malformed/, `truncated to ${n}`);
  }
  const longer = new Uint8Array(good.length + 1); longer.set(good);
  assert.throws(() => decodeResult(longer), /malformed/);
  const badTag = sqwr({ sets: [[['v'], [''], [[[9]]]]] });
  assert.throws(() => decodeResult(badTag), /tag 9/);
  assert.throws(() => decodeResult([1, 2, 3]), TypeError);
});

test('310 unknown decode options are SQLITE_MISUSE', () => {
  const good = sqwr({});
  const e = thrown(() => decodeResult(good, { rowMode: 'rows' }));
  assert.ok(e instanceof SQLiteError);
  assert.equal(e.code, 'SQLITE_MISUSE');
  assert.equal(thrown(() => decodeResult(good, { bigint: 'never' })).code, 'SQLITE_MISUSE');
});
