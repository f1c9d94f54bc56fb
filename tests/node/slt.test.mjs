// slt.test.mjs — the sqllogictest runner (tests/slt/): its value formatting against
// hand-computed expectations and against SQLite's own printf and casts, its parser on
// tricky records, and proof that it fails: executors that return wrong values (reals as
// text, a dropped row, a wrong integer) on small inline scripts must be reported. Then
// one corpus script through the Node executor, when the corpus is there.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseScript, formatValue, formatRows, hashLine, runScript } from '../slt/slt.mjs';
import { atof, printfFixed3, realToText } from '../slt/convert.mjs';
import { createNodeExecutor } from '../slt/node-executor.mjs';
import { SLT_DIR, missingCorpusMessage } from '../slt/run.mjs';
import { setup, seededBytes } from './helpers.mjs';

const { core } = await setup();
const scratch = core.open(':memory:', { vfs: 'memdb' });
let executor;
before(async () => {
  executor = await createNodeExecutor();
});
after(() => {
  executor?.dispose();
  scratch.close();
});

const bytes = (s) => new TextEncoder().encode(s);

/* The rows of sql with params on a scratch database (not the executor's). */
function rowsOf(sql, params) {
  return scratch.exec(sql, params, { rowMode: 'array', bigint: 'always' }).resultSets[0].rows;
}

/*
** An executor that runs SQL on the real Node executor and passes each value of every
** result through change(value) (rows through dropRows(rows) first).
*/
function tampered({ change = (v) => v, dropRows = (rows) => rows } = {}) {
  return {
    open: () => executor.open(),
    close: () => executor.close(),
    exec(sql) {
      const out = executor.exec(sql);
      if (out.ok) out.rows = dropRows(out.rows).map((row) => row.map(change));
      return out;
    },
  };
}

// A small script touching every type letter, a hashed result, rowsort, valuesort and a
// label; every record passes on SQLite.
const SCRIPT = `
statement ok
CREATE TABLE t1(a INTEGER, b TEXT, c REAL)

statement ok
INSERT INTO t1 VALUES(1, 'one', 1.5), (2, '', 2.0), (3, NULL, -0.25), (4, 'four', 1e20), (5, 'x', 0.0625)

query ITR rowsort
SELECT a, b, c FROM t1 WHERE a IN (3, 2)
----
2
(empty)
2.000
3
NULL
-0.250

query T nosort
SELECT c FROM t1 ORDER BY a
----
1.5
2.0
-0.25
1.0e+20
0.0625

query I valuesort label-sum
SELECT a * 1000 FROM t1 UNION ALL SELECT a FROM t1
----
10 values hashing to 2dc36c76b667ed7db32ad2d641063816

query I rowsort label-sum
SELECT a FROM t1 UNION ALL SELECT a * 1000 FROM t1
----
10 values hashing to 2dc36c76b667ed7db32ad2d641063816

query R nosort
SELECT c FROM t1 WHERE a = 5
----
0.063

statement error
INSERT INTO nosuchtable VALUES(1)
`;

test('100 I: the int64 value (truncated, clamped, or an integer prefix) as a signed 32-bit int', () => {
  const cases = [
    [5n, '5'], [-1n, '-1'], [2n ** 31n, '-2147483648'], [2n ** 32n + 7n, '7'],
    [9223372036854775807n, '-1'], [-(2n ** 63n), '0'],
    [3.9, '3'], [-3.9, '-3'], [4294967298.5, '2'], [1e19, '-1'], [-1e19, '0'], [-0, '0'],
    [' 12abc', '12'], ['-0012', '-12'], ['abc', '0'], ['1e5', '1'], ['\t+7', '7'], ['', '0'],
    ['2147483648', '-2147483648'], ['99999999999999999999', '-1'], ['-99999999999999999999', '0'],
    [bytes('42'), '42'], [new Uint8Array([0x34, 0, 0x35]), '4'],
  ];
  for (const [v, want] of cases) assert.equal(formatValue(v, 'I'), want, `I of ${typeof v} ${String(v)}`);
});

test('110 R: the double as SQLite prints %.3f (16 significant digits, half up, −0 as 0.000)', () => {
  const cases = [
    [1n, '1.000'], [-(2n ** 63n), '-9223372036854776000.000'], [2.5, '2.500'], [0.0625, '0.063'],
    [2.0005, '2.001'], [-0, '0.000'], [-0.0004, '-0.000'], [1 / 3, '0.333'], [0.0005, '0.001'],
    [1e20, '100000000000000000000.000'], [123456789.98765433, '123456789.988'],
    [Infinity, 'Inf'], [-Infinity, '-Inf'],
    ['3.14159abc', '3.142'], ['abc', '0.000'], ['1e3', '1000.000'], ['-.5', '-0.500'], ['  -7', '-7.000'],
    ['- 7', '0.000'], ['1e999', 'Inf'], [bytes('2.5'), '2.500'],
  ];
  for (const [v, want] of cases) assert.equal(formatValue(v, 'R'), want, `R of ${typeof v} ${String(v)}`);
});

test('120 T: text as is, integers in decimal, reals as %!.17g, (empty), controls and non-ASCII as @', () => {
  const cases = [
    ['abc', 'abc'], ['', '(empty)'], ['a\tb\n', 'a@b@'], ['é', '@@'], ['\x7f~', '@~'], ['a\0b', 'a'], ['\0b', '(empty)'],
    [5n, '5'], [-(2n ** 63n), '-9223372036854775808'],
    [1, '1.0'], [-0, '0.0'], [0.1, '0.1'], [49.47, '49.47'], [1 / 3, '0.33333333333333332'],
    [1e20, '1.0e+20'], [1e-5, '1.0e-05'], [1e16, '10000000000000000.0'], [1e17, '1.0e+17'], [Infinity, 'Inf'],
    [bytes('hi'), 'hi'], [new Uint8Array(0), '(empty)'], [new Uint8Array([0x41, 0, 0x42]), 'A'], [new Uint8Array([0xff]), '@'],
  ];
  for (const [v, want] of cases) assert.equal(formatValue(v, 'T'), want, `T of ${typeof v} ${String(v)}`);
});

test('130 NULL is NULL for every type letter; other letters and values are refused', () => {
  for (const t of 'IRT') assert.equal(formatValue(null, t), 'NULL');
  assert.throws(() => formatValue(1n, 'X'), TypeError);
  assert.throws(() => formatValue(undefined, 'I'), TypeError);
  assert.throws(() => formatValue({}, 'T'), TypeError);
});

test('140 rowsort orders rows by their formatted values as strings; valuesort every value', () => {
  const rows = [[10n, 'b'], [9n, 'a'], [10n, 'a'], [null, 'z']];
  assert.deepEqual(formatRows(rows, 'IT', 'nosort'), ['10', 'b', '9', 'a', '10', 'a', 'NULL', 'z']);
  assert.deepEqual(formatRows(rows, 'IT', 'rowsort'), ['10', 'a', '10', 'b', '9', 'a', 'NULL', 'z']);
  assert.deepEqual(formatRows(rows, 'IT', 'valuesort'), ['10', '10', '9', 'NULL', 'a', 'a', 'b', 'z']);
  assert.throws(() => formatRows(rows, 'IT', 'randomsort'), TypeError);
});

test('150 hash lines are the md5 of every value followed by a newline', () => {
  assert.equal(hashLine(['1', '2']), '2 values hashing to 6ddb4095eb719e2a9f0a3f95677d24e0');
  assert.equal(hashLine(['NULL', '(empty)', '-1', '0.063']), '4 values hashing to 908c2044e5588361ee9a18c7da6603eb');
  assert.equal(hashLine([]), '0 values hashing to d41d8cd98f00b204e9800998ecf8427e');
});

test('160 the conversions agree with SQLite\'s own printf and casts on many doubles and strings', () => {
  const doubles = [];
  const raw = new DataView(seededBytes(8 * 3000).buffer);
  for (let i = 0; i < 3000; i++) {
    const r = raw.getFloat64(8 * i);
    if (Number.isFinite(r)) doubles.push(r, r / 2 ** (i % 900), Math.round(r % 1e6) / [8, 1000, 3, 7][i % 4]);
  }
  const strings = doubles.slice(0, 2000).map((r, i) => [` ${realToText(r)}x`, `${r}`, `-.${i}e${i % 40 - 20}`, `+${i}.${i}E+`][i % 4]);
  for (let i = 0; i < doubles.length; i += 300) {
    const part = doubles.slice(i, i + 300);
    const sql = `SELECT ${part.map((_, j) => `printf('%.3f', CAST(?${j + 1} AS REAL)), CAST(CAST(?${j + 1} AS REAL) AS TEXT)`).join(', ')}`;
    const [row] = rowsOf(sql, part);
    part.forEach((r, j) => {
      assert.equal(printfFixed3(r), row[2 * j], `%.3f of ${r}`);
      assert.equal(realToText(r), row[2 * j + 1], `text of ${r}`);
    });
  }
  for (let i = 0; i < strings.length; i += 300) {
    const part = strings.slice(i, i + 300);
    const sql = `SELECT ${part.map((_, j) => `CAST(?${j + 1} AS REAL)`).join(', ')}`;
    const [row] = rowsOf(sql, part);
    part.forEach((s, j) => assert.ok(Object.is(atof(bytes(s)), row[j]), `atof(${JSON.stringify(s)}): ${atof(bytes(s))} vs ${row[j]}`));
  }
});

test('200 the parser: CRLF, comments inside records, conditions, no ----, labels, directives', () => {
  const text = [
    '# a comment', 'hash-threshold 3', '', 'skipif mysql # not compatible', 'onlyif SQLite', 'statement ok',
    'CREATE TABLE t(x)', '# a comment inside the record', 'AS_SQL_CONTINUES', '   ', 'onlyif mssql', 'halt', '',
    'query IT rowsort lbl-1\r', 'SELECT 1,\r', "  'a b '\r", '----\r', '1\r', 'a b \r', '\r',
    'query I', 'SELECT 1 WHERE 0', '', 'statement error', 'nonsense', '', 'skipif sqlite', 'query I nosort',
    'SELECT 2', '----', '2', '', 'frobnicate now', '',
  ].join('\n');
  const records = parseScript(text);
  assert.deepEqual(records.map((r) => [r.kind, r.line, r.skip]), [
    ['hash-threshold', 2, false], ['statement', 6, false], ['halt', 12, true], ['query', 14, false],
    ['query', 21, false], ['statement', 24, false], ['query', 28, true], ['unknown', 33, false],
  ]);
  assert.equal(records[0].threshold, 3);
  assert.equal(records[1].sql, 'CREATE TABLE t(x)\nAS_SQL_CONTINUES');
  assert.deepEqual([records[3].types, records[3].sort, records[3].label], ['IT', 'rowsort', 'lbl-1']);
  assert.equal(records[3].sql, "SELECT 1,\n  'a b '");
  assert.deepEqual(records[3].expected, ['1', 'a b ']);
  assert.deepEqual([records[4].sort, records[4].label, records[4].expected], ['nosort', '', []]);
  assert.equal(records[5].mode, 'error');
  assert.equal(records[7].word, 'frobnicate');
});

test('210 the inline script passes on the real executor', async () => {
  const r = await runScript(SCRIPT, executor, { file: 'inline' });
  assert.deepEqual(r.failures, []);
  assert.deepEqual([r.records, r.run, r.passed, r.failed, r.skipped], [8, 8, 8, 0, 0]);
});

test('220 reals returned as text fail (T shows 2, not 2.0)', async () => {
  const r = await runScript(SCRIPT, tampered({ change: (v) => (typeof v === 'number' ? String(v) : v) }));
  assert.equal(r.failed, 1);
  assert.equal(r.failures[0].line, 18);
  assert.deepEqual(r.failures[0].got, ['1.5', '2', '-0.25', '100000000000000000000', '0.0625']);
});

test('230 a dropped row fails, listed or hashed', async () => {
  const r = await runScript(SCRIPT, tampered({ dropRows: (rows) => rows.slice(1) }));
  assert.deepEqual(r.failures.map((f) => [f.line, f.reason]), [
    [8, 'wrong result'], [18, 'wrong result'], [27, 'wrong result'],
    [32, 'wrong result; label label-sum disagrees with line 27'], [37, 'wrong result'],
  ]);
  assert.equal(r.failed, 5);
});

test('240 a wrong integer fails', async () => {
  const r = await runScript(SCRIPT, tampered({ change: (v) => (v === 3000n ? 3001n : v) }));
  assert.deepEqual(r.failures.map((f) => f.line), [27, 32]);
  assert.match(r.failures[0].got[0], /^10 values hashing to /);
});

test('250 statements: ok that fails and error that succeeds both fail; a query error fails', async () => {
  const r = await runScript([
    'statement ok', 'CREATE TABLE', '', 'statement error', 'SELECT 1', '', 'query I', 'SELECT * FROM nowhere', '----', '1',
  ].join('\n'), executor);
  assert.deepEqual(r.failures.map((f) => [f.line, f.reason.split(':')[0]]),
    [[1, 'statement failed'], [4, 'statement succeeded'], [7, 'query failed']]);
});

test('260 wrong column count, disagreeing labels, a bad sort mode or type string fail', async () => {
  const r = await runScript([
    'query II', 'SELECT 1', '----', '1', '', 'query I nosort L', 'SELECT 1', '----', '1', '',
    'query I nosort L', 'SELECT 2', '----', '2', '', 'query I othersort', 'SELECT 1', '----', '1', '',
    'query IX', 'SELECT 1, 2', '----', '1', '2',
  ].join('\n'), executor);
  assert.deepEqual(r.failures.map((f) => f.reason), [
    'wrong number of result columns: expected 2 but got 1', 'label L disagrees with line 6', "unknown sort mode 'othersort'",
    "bad type string 'IX'",
  ]);
});

test('270 a runtime error passes only for an empty expected result of a query that compiles', async () => {
  const overflow = 'SELECT sum(x) FROM (SELECT 9223372036854775807 AS x UNION ALL SELECT 1)';
  const r = await runScript([
    'query I', overflow, '----', '', 'query I', overflow, '----', '1', '', 'query I', 'SELECT * FROM nowhere', '',
  ].join('\n'), executor);
  assert.deepEqual([r.run, r.passed, r.failed, r.ignored], [3, 1, 2, 1]);
  assert.deepEqual(r.failures.map((f) => f.line), [5, 10]);
});

test('280 halt stops the script; hash-threshold 0 never hashes', async () => {
  const values = Array.from({ length: 12 }, (_, i) => String(i + 1));
  const r = await runScript([
    'hash-threshold 0', '', 'query I nosort', 'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 12) SELECT n FROM c',
    '----', ...values, '', 'halt', '', 'statement ok', 'nonsense',
  ].join('\n'), executor);
  assert.deepEqual([r.records, r.run, r.passed, r.failed], [2, 1, 1, 0]);
});

test('290 an unknown record fails and stops the script', async () => {
  const r = await runScript(['statement ok', 'CREATE TABLE t(x)', '', 'frobnicate', '', 'statement ok', 'nonsense'].join('\n'), executor);
  assert.deepEqual([r.records, r.run, r.passed, r.failed], [2, 1, 1, 1]);
  assert.match(r.failures[0].reason, /^unknown record type 'frobnicate'/);
});

test('300 a corpus script through the Node executor', async (t) => {
  const file = path.join(SLT_DIR, 'test', 'evidence', 'slt_lang_aggfunc.test');
  if (!fs.existsSync(file)) {
    console.error(missingCorpusMessage());
    t.skip(`sqllogictest corpus not found at ${SLT_DIR}`);
    return;
  }
  const r = await runScript(fs.readFileSync(file, 'utf8'), executor, { file });
  assert.deepEqual(r.failures, []);
  assert.deepEqual([r.run, r.passed, r.ignored], [80, 80, 1]);
});
