// slt.mjs — a sqllogictest runner: parses SQLite's sqllogictest scripts, runs their
// records through an executor, formats every result value as the original C driver
// (sqllogictest.c with its SQLite engine) does, and compares with the expected values or
// their md5 hash.
//
// Script format (the one-value-per-line dialect): records separated by blank lines;
// lines starting with '#' are comments, wherever they are. A record is
//   statement ok|error            then SQL lines
//   query <types> [<sort>] [<label>]   then SQL lines, '----', one value per line or
//                                  "N values hashing to <md5>"
//   hash-threshold N              results of more than N values compare as a hash
//   halt                          stop the script here
// optionally preceded by "skipif <engine>" / "onlyif <engine>" lines. Type letters: I,
// R, T, one per result column. Sort modes: nosort, rowsort, valuesort.
//
// Values are formatted by the query's type letters, not by their own type (see
// formatValue). Executors return typed values; INTEGER must come as bigint and REAL as
// number, since the text of a REAL differs from an integer's ("1.0", not "1").
//
// Executor interface (methods may return promises):
//   open(name)   a fresh, empty database for one script
//   exec(sql)    → { ok: true, columns: [names], rows: [[values]] } for the first result
//                  set (columns [] and rows [] for a statement without one), or
//                  { ok: false, error: 'message' }; sql may hold several statements
//   runAll(steps)  optional, instead of exec: every step of a script in order, as
//                  [{ sql, probe }], → one outcome per step (exec's shape). For a failed
//                  step with probe set, the outcome also has `compiles`: whether
//                  `EXPLAIN <sql>`, run right after it, succeeds.
//   close()      ends the script's database
// A query that fails counts as failed, except as the original driver does: it ignores an
// error raised while stepping (after the statement compiled), so a query whose expected
// result is empty and that compiles but fails at run time passes, and is reported as an
// ignored runtime error (SQLite's sum() integer overflow, for one).

import crypto from 'node:crypto';
import { columnDouble, columnInt, columnText, printfFixed3 } from './convert.mjs';

/* The engine name of skipif/onlyif lines that this runner is. */
const ENGINE = 'sqlite';

/* The hash threshold in force at the start of every script. */
const DEFAULT_HASH_THRESHOLD = 8;

/*
** The lines of a script as the original driver reads them: a trailing '\r' removed, a
** line of white space only made empty, comment lines ('#' in the first column) dropped.
** Returns [{ text, line }] with 1-based line numbers.
*/
function scriptLines(text) {
  const out = [];
  text.split('\n').forEach((raw, i) => {
    let s = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (/^\s*$/.test(s)) s = '';
    if (s[0] !== '#') out.push({ text: s, line: i + 1 });
  });
  return out;
}

/* The first four white-space separated tokens of a line (missing ones are ''). */
function tokens(s) {
  const t = s.trim().split(/\s+/);
  return [0, 1, 2, 3].map((i) => t[i] ?? '');
}

/**
 * Parses a script. engine: the engine that skipif/onlyif lines are checked against
 * (case-insensitive). Returns the records in order, each { kind, line, skip, ... }:
 *   statement:  { mode: 'ok' | 'error' (anything else is reported as an error), sql }
 *   query:      { types, sort, label, sql, expected: [lines after '----'] }
 *   hash-threshold: { threshold };  halt: {};  unknown: { word } (an error)
 * skip is true when a skipif/onlyif line excludes the record for engine. Never throws.
 */
export function parseScript(text, engine = ENGINE) {
  const lines = scriptLines(text);
  const records = [];
  let i = 0;
  while (i < lines.length) {
    if (lines[i].text === '') {
      i++;
      continue;
    }
    const group = [];
    while (i < lines.length && lines[i].text !== '') group.push(lines[i++]);
    let k = 0;
    let skip = false;
    for (let t = tokens(group[k].text); (t[0] === 'skipif' || t[0] === 'onlyif') && k + 1 < group.length;
      t = tokens(group[++k].text)) {
      const match = t[1].toLowerCase() === engine.toLowerCase();
      if (t[0] === 'skipif' ? match : !match) skip = true;
    }
    const [word, a, b, c] = tokens(group[k].text);
    const body = group.slice(k + 1).map((l) => l.text);
    const base = { line: group[k].line, skip };
    if (word === 'statement') {
      records.push({ kind: 'statement', ...base, mode: a, sql: body.join('\n') });
    } else if (word === 'query') {
      const sep = body.indexOf('----');
      records.push({
        kind: 'query', ...base, types: a, sort: b || 'nosort', label: c,
        sql: (sep < 0 ? body : body.slice(0, sep)).join('\n'),
        expected: sep < 0 ? [] : body.slice(sep + 1),
      });
    } else if (word === 'hash-threshold') {
      records.push({ kind: 'hash-threshold', ...base, threshold: Number.parseInt(a, 10) || 0 });
    } else if (word === 'halt') {
      records.push({ kind: 'halt', ...base });
    } else {
      records.push({ kind: 'unknown', ...base, word });
    }
  }
  return records;
}

/* Bytes of a T value that the driver shows as '@': controls, DEL and non-ASCII. */
const printable = (c) => c >= 0x20 && c <= 0x7e;
/* Text that a T column shows as it is: not empty, printable ASCII only. */
const PLAIN_TEXT = /^[\x20-\x7e]+$/;

/**
 * One result value as the original driver prints it for type letter `type`:
 * NULL → 'NULL' for every letter; 'I' → sqlite3_column_int as %d (the int64 value's low
 * 32 bits, signed; a REAL truncated toward zero and clamped to int64 first; text by its
 * integer prefix); 'R' → sqlite3_column_double as %.3f (SQLite's printf); 'T' →
 * sqlite3_column_text up to its first NUL, '(empty)' when that is empty, each byte
 * outside 0x20..0x7e as '@'. value: null, bigint (INTEGER), number (REAL), string or
 * Uint8Array. Returns a string. Throws TypeError for another type letter or value type.
 */
export function formatValue(value, type) {
  if (value === null) return 'NULL';
  const t = typeof value;
  // The common cases, without the general conversions below.
  if (type === 'I' && t === 'bigint' && value >= -0x80000000n && value <= 0x7fffffffn) return value.toString();
  if (type === 'T' && t === 'string' && PLAIN_TEXT.test(value)) return value;
  if (t !== 'bigint' && t !== 'number' && t !== 'string' && !(value instanceof Uint8Array)) {
    throw new TypeError(`not a SQLite value: ${t}`);
  }
  if (type === 'I') return String(columnInt(value));
  if (type === 'R') return printfFixed3(columnDouble(value));
  if (type === 'T') {
    const bytes = columnText(value);
    if (bytes.length === 0) return '(empty)';
    let s = '';
    for (const c of bytes) s += printable(c) ? String.fromCharCode(c) : '@';
    return s;
  }
  throw new TypeError(`unknown type letter ${JSON.stringify(type)}`);
}

/* strcmp order of two formatted values (all ASCII, so code units order as bytes). */
const strcmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The values of `rows` (arrays) formatted by `types` (one letter per column) and put in
 * the order of `sort`: 'nosort' as they came, 'rowsort' rows ordered by their formatted
 * values column by column, 'valuesort' every value ordered on its own. Returns the flat
 * list of values. Throws TypeError for an unknown sort mode or letter.
 */
export function formatRows(rows, types, sort) {
  const letters = Array.from(types);
  const n = letters.length;
  const formatted = rows.map((row) => {
    const out = new Array(n);
    for (let c = 0; c < n; c++) out[c] = formatValue(row[c], letters[c]);
    return out;
  });
  if (sort === 'rowsort') {
    formatted.sort((x, y) => {
      for (let c = 0; c < n; c++) {
        const d = strcmp(x[c], y[c]);
        if (d) return d;
      }
      return 0;
    });
  } else if (sort !== 'nosort' && sort !== 'valuesort') {
    throw new TypeError(`unknown sort mode ${JSON.stringify(sort)}`);
  }
  const values = [];
  for (const row of formatted) for (const v of row) values.push(v);
  return sort === 'valuesort' ? values.sort(strcmp) : values;
}

/** The driver's result hash line: 'N values hashing to <md5 of each value + "\n">'. */
export function hashLine(values) {
  const text = values.length ? `${values.join('\n')}\n` : '';
  return `${values.length} values hashing to ${crypto.createHash('md5').update(text).digest('hex')}`;
}

/* A query's type string is valid: one or more of I, R and T. */
const validTypes = (types) => /^[IRT]+$/.test(types);

/*
** The steps an executor runs for records: the statements and the queries with a valid
** type string, up to the first halt or unknown record that applies, without the
** skipped ones. Returns [{ record, sql, probe }]; probe marks queries whose expected
** result is empty (see the runtime-error rule above).
*/
function stepsOf(records) {
  const steps = [];
  for (const record of records) {
    if (record.skip) continue;
    if (record.kind === 'halt' || record.kind === 'unknown') break;
    if (record.kind === 'statement' || (record.kind === 'query' && validTypes(record.types))) {
      steps.push({ record, sql: record.sql, probe: record.kind === 'query' && record.expected.length === 0 });
    }
  }
  return steps;
}

/*
** Runs steps with executor: its runAll when it has one, else exec one by one (and
** `EXPLAIN <sql>` after a failed probe step). Returns one outcome per step.
*/
async function execute(executor, steps) {
  const plain = steps.map(({ sql, probe }) => ({ sql, probe }));
  if (executor.runAll) {
    const outcomes = await executor.runAll(plain);
    if (!Array.isArray(outcomes) || outcomes.length !== steps.length) {
      throw new Error(`the executor returned ${outcomes?.length} outcomes for ${steps.length} steps`);
    }
    return outcomes;
  }
  const outcomes = [];
  for (const { sql, probe } of plain) {
    const out = await executor.exec(sql);
    if (!out.ok && probe) out.compiles = (await executor.exec(`EXPLAIN ${sql}`)).ok;
    outcomes.push(out);
  }
  return outcomes;
}

/* Shortens a list of lines for a failure report. */
function excerpt(lines, max = 12) {
  return lines.length > max ? [...lines.slice(0, max), `… (${lines.length} lines)`] : lines;
}

/*
** Checks one query's outcome against its record. labels: the script's label → { hash,
** line } map (updated). threshold: the hash threshold in force. Returns { pass, ignored,
** reason, got } (got: the lines produced, for reports).
*/
function checkQuery(record, out, labels, threshold) {
  if (!validTypes(record.types)) return { pass: false, reason: `bad type string '${record.types}'` };
  if (!['nosort', 'rowsort', 'valuesort'].includes(record.sort)) {
    return { pass: false, reason: `unknown sort mode '${record.sort}'` };
  }
  let rows = out.rows;
  let ignored = false;
  if (!out.ok) {
    if (!(record.expected.length === 0 && out.compiles)) return { pass: false, reason: `query failed: ${out.error}` };
    rows = [];
    ignored = true;
  } else if (out.columns.length !== record.types.length) {
    return { pass: false, reason: `wrong number of result columns: expected ${record.types.length} but got ${out.columns.length}` };
  }
  let values;
  try {
    values = formatRows(rows, record.types, record.sort);
  } catch (e) {
    return { pass: false, reason: `unformattable result: ${e.message}` };
  }
  const hashed = record.label || (threshold > 0 && values.length > threshold) ? hashLine(values) : null;
  const got = threshold === 0 || values.length <= threshold ? values : [hashed];
  const reasons = [];
  if (got.length !== record.expected.length || got.some((v, i) => v !== record.expected[i])) {
    reasons.push('wrong result');
  }
  if (record.label) {
    const key = record.label.slice(0, 20);
    const seen = labels.get(key);
    if (!seen) labels.set(key, { hash: hashed, line: record.line });
    else if (seen.hash !== hashed) reasons.push(`label ${key} disagrees with line ${seen.line}`);
  }
  return { pass: reasons.length === 0, ignored, reason: reasons.join('; '), got };
}

/**
 * Runs one script (text) through executor (see the interface above) on a fresh
 * database named `name`. Returns { file, records, run, passed, failed, skipped,
 * ignored, ms, failures: [{ line, sql, reason, expected, got }] } where records counts
 * the script's statement and query records, run those that ran, skipped those for other
 * engines (records after a halt are neither), ignored the runtime errors passed as the
 * driver does, and failures lists the first `maxReported` failures. Throws what the
 * executor throws (a broken executor, not a failed record).
 */
export async function runScript(text, executor, { file = '', name = 'slt', maxReported = 5 } = {}) {
  const started = performance.now();
  const records = parseScript(text);
  const steps = stepsOf(records);
  await executor.open(name);
  let outcomes;
  try {
    outcomes = await execute(executor, steps);
  } finally {
    await executor.close();
  }
  const byRecord = new Map(steps.map((s, i) => [s.record, outcomes[i]]));
  const report = { file, records: 0, run: 0, passed: 0, failed: 0, skipped: 0, ignored: 0, ms: 0, failures: [] };
  const fail = (record, reason, got) => {
    report.failed++;
    if (report.failures.length < maxReported) {
      report.failures.push({
        line: record.line, sql: record.sql ?? '', reason,
        expected: record.kind === 'statement' ? [record.mode] : excerpt(record.expected ?? []),
        got: excerpt(got ?? []),
      });
    }
  };
  const isRecord = (r) => r.kind === 'statement' || r.kind === 'query';
  report.records = records.filter(isRecord).length;
  const labels = new Map();
  let threshold = DEFAULT_HASH_THRESHOLD;
  for (const record of records) {
    if (record.skip) {
      if (isRecord(record)) report.skipped++;
      continue;
    }
    if (record.kind === 'halt') break;
    if (record.kind === 'hash-threshold') {
      threshold = record.threshold;
      continue;
    }
    if (record.kind === 'unknown') {
      fail(record, `unknown record type '${record.word}'; the rest of the script is not run`);
      break;
    }
    report.run++;
    const out = byRecord.get(record);
    if (record.kind === 'statement') {
      const ok = record.mode === 'ok' ? out.ok : record.mode === 'error' ? !out.ok : null;
      if (ok) report.passed++;
      else if (ok === null) fail(record, `statement argument should be 'ok' or 'error', not '${record.mode}'`);
      else fail(record, out.ok ? 'statement succeeded' : `statement failed: ${out.error}`, [out.ok ? 'ok' : 'error']);
      continue;
    }
    const r = checkQuery(record, out, labels, threshold);
    if (r.pass) {
      report.passed++;
      if (r.ignored) report.ignored++;
    } else {
      fail(record, r.reason, r.got);
    }
  }
  report.ms = performance.now() - started;
  return report;
}
