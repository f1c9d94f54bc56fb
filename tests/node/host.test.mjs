// host.test.mjs — the Node host against the contract of src/core/host.h, called
// directly with a WebAssembly.Memory as the core would: results, error codes, paths.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { createNodeHost } from '../../src/js/host-node.js';
import {
  SQLITE_CANTOPEN, SQLITE_OPEN_CREATE, SQLITE_OPEN_EXCLUSIVE, SQLITE_OPEN_READONLY,
  SQLITE_OPEN_READWRITE, SQLW_MATH_ACOS, SQLW_MATH_ASIN, SQLW_MATH_ATAN, SQLW_MATH_ATAN2,
  SQLW_MATH_ACOSH, SQLW_MATH_ASINH, SQLW_MATH_ATANH, SQLW_MATH_COS, SQLW_MATH_SIN,
  SQLW_MATH_TAN, SQLW_MATH_COSH, SQLW_MATH_SINH, SQLW_MATH_TANH, SQLW_MATH_EXP,
  SQLW_MATH_LOG, SQLW_MATH_LOG10, SQLW_MATH_LOG2, SQLW_MATH_POW, SQLW_MATH_FMOD,
} from '../../src/js/proto.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-worker-host-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const outside = `escape-${process.pid}-${Date.now()}.db`;
after(() => fs.rmSync(path.join(root, '..', outside), { force: true }));

const logs = [];
const host = createNodeHost({ root, log: (level, message) => logs.push([level, message]) });
const memory = new WebAssembly.Memory({ initial: 2 });
host.attach(memory);
const h = host.imports.host;
const u8 = () => new Uint8Array(memory.buffer);

// SQLite open flags and result codes (sqlite3.h).
const RW_CREATE = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
const RO = SQLITE_OPEN_READONLY;
const EXCLUSIVE = SQLITE_OPEN_EXCLUSIVE;
const CANTOPEN = SQLITE_CANTOPEN;

/* Writes a string at a fixed place in memory; returns [ptr, byte length]. */
function str(s, ptr = 0) {
  const { written } = new TextEncoder().encodeInto(s, u8().subarray(ptr));
  return [ptr, written];
}

test('100 open, write, read, size, truncate, sync, close', () => {
  const fd = h.open(...str('a.db'), RW_CREATE);
  assert.ok(fd >= 0);
  u8().set([1, 2, 3, 4, 5], 1000);
  assert.equal(h.write(fd, 1000, 5, 10), 0);
  assert.equal(h.size(fd), 15);
  u8().fill(0xee, 2000, 2100);
  assert.equal(h.read(fd, 2000, 5, 10), 5);
  assert.deepEqual([...u8().subarray(2000, 2005)], [1, 2, 3, 4, 5]);
  // The gap before offset 10 reads as zeros; a read past the end returns fewer bytes.
  assert.equal(h.read(fd, 2000, 20, 0), 15);
  assert.deepEqual([...u8().subarray(2000, 2015)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5]);
  assert.equal(h.read(fd, 2000, 10, 100), 0);
  assert.equal(h.truncate(fd, 12), 0);
  assert.equal(h.size(fd), 12);
  assert.equal(h.sync(fd), 0);
  assert.equal(h.close(fd), 0);
  assert.deepEqual([...fs.readFileSync(path.join(root, 'a.db'))], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
});

test('110 offsets beyond 4 GiB are exact (doubles, not 32-bit)', () => {
  const fd = h.open(...str('sparse.db'), RW_CREATE);
  const off = 2 ** 32 + 7;
  u8().set([42], 100);
  let rc;
  try {
    rc = h.write(fd, 100, 1, off);
    if (rc === 0) {
      assert.equal(h.size(fd), off + 1);
      u8()[200] = 0;
      assert.equal(h.read(fd, 200, 1, off), 1);
      assert.equal(u8()[200], 42);
    } else {
      // A file system without sparse files may refuse; it must say so with a code.
      assert.ok(rc === -13 || rc === -778, `rc ${rc}`);
    }
  } finally {
    h.close(fd);
    fs.rmSync(path.join(root, 'sparse.db'), { force: true });
  }
});

test('120 handles are small and freed slots are reused', () => {
  const a = h.open(...str('h1.db'), RW_CREATE);
  const b = h.open(...str('h2.db'), RW_CREATE);
  assert.notEqual(a, b);
  assert.ok(a < 8 && b < 8);
  assert.equal(h.close(a), 0);
  const c = h.open(...str('h3.db'), RW_CREATE);
  assert.equal(c, a);
  assert.equal(h.close(b), 0);
  assert.equal(h.close(c), 0);
});

test('130 open failures return -SQLITE_CANTOPEN', () => {
  assert.equal(h.open(...str('missing.db'), RO), -CANTOPEN);
  assert.equal(h.open(...str('no/dir/x.db'), RW_CREATE), -CANTOPEN);
  assert.equal(h.open(...str('../' + outside), RW_CREATE), -CANTOPEN);
  assert.equal(h.open(...str('/../' + outside), RW_CREATE), -CANTOPEN);
  assert.equal(h.open(...str('a/../../' + outside), RW_CREATE), -CANTOPEN);
  assert.equal(fs.existsSync(path.join(root, '..', outside)), false);
  fs.mkdirSync(path.join(root, 'adir'));
  assert.equal(h.open(...str('adir'), RW_CREATE), -CANTOPEN);
  const fd = h.open(...str('excl.db'), RW_CREATE);
  h.close(fd);
  assert.equal(h.open(...str('excl.db'), RW_CREATE | EXCLUSIVE), -CANTOPEN);
});

test('140 a leading slash is the root', () => {
  const fd = h.open(...str('/rooted.db'), RW_CREATE);
  assert.ok(fd >= 0);
  h.close(fd);
  assert.ok(fs.existsSync(path.join(root, 'rooted.db')));
  assert.equal(h.access(...str('rooted.db')), 1);
});

test('150 a read-only handle refuses writes with -SQLITE_IOERR_WRITE', () => {
  fs.writeFileSync(path.join(root, 'ro.db'), 'abc');
  const fd = h.open(...str('ro.db'), RO);
  assert.ok(fd >= 0);
  assert.equal(h.write(fd, 0, 1, 0), -778);
  assert.equal(h.read(fd, 500, 3, 0), 3);
  assert.equal(new TextDecoder().decode(u8().subarray(500, 503)), 'abc');
  h.close(fd);
});

test('160 bad handles return the specific error of each call', () => {
  for (const bad of [-1, 999, 1.5]) {
    assert.equal(h.read(bad, 0, 1, 0), -266);
    assert.equal(h.write(bad, 0, 1, 0), -778);
    assert.equal(h.truncate(bad, 0), -1546);
    assert.equal(h.size(bad), -1802);
    assert.equal(h.sync(bad), -1034);
    assert.equal(h.close(bad), -4106);
  }
});

test('170 delete and access', () => {
  fs.writeFileSync(path.join(root, 'del.db'), 'x');
  assert.equal(h.access(...str('del.db')), 1);
  assert.equal(h.delete(...str('del.db')), 0);
  assert.equal(h.access(...str('del.db')), 0);
  assert.equal(h.delete(...str('del.db')), -5898);
  fs.mkdirSync(path.join(root, 'ddir'));
  assert.equal(h.delete(...str('ddir')), -2570);
  assert.equal(h.access(...str('../' + outside)), 0);
});

test('180 UTF-8 file names', () => {
  const fd = h.open(...str('naïve-日本.db'), RW_CREATE);
  assert.ok(fd >= 0);
  h.close(fd);
  assert.ok(fs.existsSync(path.join(root, 'naïve-日本.db')));
});

test('190 random fills large buffers in chunks', () => {
  u8().fill(0, 0, 100000);
  h.random(0, 100000);
  const got = u8().subarray(0, 100000);
  // Every 64 KiB chunk was filled: no run of 64 zero bytes anywhere.
  for (let i = 0; i + 64 <= got.length; i += 64) assert.ok(got.subarray(i, i + 64).some((x) => x !== 0), `zeros at ${i}`);
});

test('200 time and tzoffset', () => {
  const t = h.time();
  assert.ok(Math.abs(t - Date.now()) < 1000);
  const jan = Date.UTC(2024, 0, 15);
  assert.equal(h.tzoffset(jan), -new Date(jan).getTimezoneOffset());
  assert.equal(h.tzoffset(NaN), 0);
});

test('205 math computes each SQLW_MATH_* function as Math does; NaN for an unknown one', () => {
  const one = [[SQLW_MATH_ACOS, Math.acos], [SQLW_MATH_ASIN, Math.asin], [SQLW_MATH_ATAN, Math.atan],
    [SQLW_MATH_ACOSH, Math.acosh, 1.25], [SQLW_MATH_ASINH, Math.asinh], [SQLW_MATH_ATANH, Math.atanh],
    [SQLW_MATH_COS, Math.cos], [SQLW_MATH_SIN, Math.sin], [SQLW_MATH_TAN, Math.tan],
    [SQLW_MATH_COSH, Math.cosh], [SQLW_MATH_SINH, Math.sinh], [SQLW_MATH_TANH, Math.tanh],
    [SQLW_MATH_EXP, Math.exp], [SQLW_MATH_LOG, Math.log], [SQLW_MATH_LOG10, Math.log10],
    [SQLW_MATH_LOG2, Math.log2]];
  for (const [op, f, x = 0.25] of one) assert.equal(h.math(op, x, 0), f(x), `op ${op}`);
  assert.equal(h.math(SQLW_MATH_ATAN2, 1, -2), Math.atan2(1, -2));
  assert.equal(h.math(SQLW_MATH_POW, 2, 10), 1024);
  assert.equal(h.math(SQLW_MATH_FMOD, -7.5, 2), -1.5);
  assert.ok(Number.isNaN(h.math(0, 1, 1)));
  assert.ok(Number.isNaN(h.math(1000, 1, 1)));
});

test('210 log lines reach the log option; a throwing logger does not escape', () => {
  h.log(1, ...str('careful'));
  assert.deepEqual(logs.at(-1), [1, 'careful']);
  const throwing = createNodeHost({ root, log: () => { throw new Error('logger broke'); } });
  throwing.attach(memory);
  const original = console.error;
  const seen = [];
  console.error = (...args) => seen.push(args);
  try {
    throwing.imports.host.log(0, ...str('x'));
  } finally {
    console.error = original;
  }
  assert.equal(seen.length, 1);
});

test('220 memory growth after attach is seen by the host', () => {
  const fd = h.open(...str('grow.db'), RW_CREATE);
  memory.grow(1);
  const top = memory.buffer.byteLength - 10;
  u8().set([9, 8, 7], top);
  assert.equal(h.write(fd, top, 3, 0), 0);
  assert.equal(h.read(fd, 0, 3, 0), 3);
  assert.deepEqual([...u8().subarray(0, 3)], [9, 8, 7]);
  h.close(fd);
});
