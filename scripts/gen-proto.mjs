#!/usr/bin/env node
// gen-proto.mjs — writes the JavaScript mirror of src/core/proto.h (src/js/proto.js) and
// the C table of result-code names (build/gen/codes.h), both from the same two sources:
// proto.h, where every number C and JavaScript share is written once, and the sqlite3.h
// the build uses, for SQLite's result and type codes. Nothing else may type them.
//
//   node scripts/gen-proto.mjs --sqlite <sqlite3.h> [--header <proto.h>] [--js <out.js>] [--c <out.h>]
//       writes the outputs named (a file is rewritten only when its text changes)
//   ... --check      writes nothing; exits 1 naming each output that differs (stale)
//   node scripts/gen-proto.mjs --shift <n> --header <proto.h> --out <shifted.h>
//       writes proto.h with every @enum value moved by n (an extended code's high byte
//       by n), for tests/node/proto-shift.test.mjs
// Exits 1 with a message on a line of proto.h it cannot read: nothing is skipped.

import { readFileSync, writeFileSync, existsSync } from 'node:fs';

/* Parses the value text of a #define. Returns a number, a BigInt (past 2^53) or a
** string; throws on any other form. */
function parseValue(text, where) {
  const t = text.trim();
  let m = /^"([A-Za-z0-9_ ]*)"$/.exec(t);
  if (m) return m[1];
  const int = (s) => {
    const n = BigInt(s.replace(/(ull|ul|u|ll|l)$/i, ''));
    return n;
  };
  let v;
  if ((m = /^((?:0x[0-9a-f]+|\d+)(?:ull|ul|u|ll|l)?)$/i.exec(t))) v = int(m[1]);
  else if ((m = /^\((\d+)u?<<(\d+)\)$/.exec(t))) v = int(m[1]) << int(m[2]);
  else if ((m = /^\((\d+)\|\((\d+)<<(\d+)\)\)$/.exec(t))) v = int(m[1]) | (int(m[2]) << int(m[3]));
  else throw new Error(`${where}: cannot read the value "${t}"`);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? v : Number(v);
}

/* The defines of proto.h's text: [{ name, value, text, section ('fixed'|'enum'), group (the
** section's number), line }]. */
export function readProto(src, file = 'proto.h') {
  const out = [];
  let section = null;
  let group = 0;
  let inComment = false;
  src.split('\n').forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    const mark = /^\*\*\s*@(fixed|enum)\s*$/.exec(line);
    if (mark) {
      section = mark[1];
      group++;
    }
    const m = /^#define\s+([A-Z][A-Z0-9_]*)\s+(.*?)\s*(\/\*.*)?$/.exec(line);
    if (m && m[1] !== 'SQLW_PROTO_H') {
      if (inComment) throw new Error(`${where}: a #define inside a comment`);
      if (!section) throw new Error(`${where}: ${m[1]} comes before any @fixed or @enum section`);
      out.push({ name: m[1], value: parseValue(m[2], where), text: m[2], section, group, line: i });
    } else if (/^#define\s/.test(line) && !/SQLW_PROTO_H/.test(line)) {
      throw new Error(`${where}: cannot read this #define`);
    }
    // Track block comments only to refuse defines hidden in them.
    const opens = (line.match(/\/\*/g) || []).length;
    const closes = (line.match(/\*\//g) || []).length;
    if (opens > closes) inComment = true;
    else if (closes > opens) inComment = false;
  });
  const seen = new Map();
  for (const d of out) {
    if (seen.has(d.name)) throw new Error(`${file}: ${d.name} is defined twice`);
    seen.set(d.name, d);
  }
  return out;
}

/* SQLite's result codes, fundamental type codes and open flags from sqlite3.h:
** { codes, types, flags }, each [{ name, value }]. */
export function readSqlite(src) {
  const codes = [];
  const primary = new Map();
  let inBlock = false;
  for (const line of src.split('\n')) {
    if (/^#define SQLITE_OK\s/.test(line)) inBlock = true;
    const m = /^#define (SQLITE_[A-Z]+)\s+(\d+)/.exec(line);
    if (inBlock && m) {
      primary.set(m[1], Number(m[2]));
      codes.push({ name: m[1], value: Number(m[2]) });
    }
    if (/^#define SQLITE_DONE\s/.test(line)) inBlock = false;
  }
  for (const line of src.split('\n')) {
    const m = /^#define (SQLITE_[A-Z0-9_]+)\s+\((SQLITE_[A-Z]+)\s*\|\s*\((\d+)<<8\)\)/.exec(line);
    if (m && primary.has(m[2])) codes.push({ name: m[1], value: primary.get(m[2]) | (Number(m[3]) << 8) });
  }
  const types = [];
  for (const name of ['SQLITE_INTEGER', 'SQLITE_FLOAT', 'SQLITE_TEXT', 'SQLITE_BLOB', 'SQLITE_NULL']) {
    const m = new RegExp(`^#\\s*define ${name}\\s+(\\d+)`, 'm').exec(src);
    if (!m) throw new Error(`sqlite3.h: no ${name}`);
    types.push({ name, value: Number(m[1]) });
  }
  const flags = [];
  for (const m of src.matchAll(/^#define (SQLITE_OPEN_[A-Z_]+)\s+(0x[0-9a-fA-F]+)/gm)) {
    if (!flags.some((f) => f.name === m[1])) flags.push({ name: m[1], value: Number(m[2]) });
  }
  if (codes.length < 100 || primary.get('SQLITE_DONE') === undefined) throw new Error('sqlite3.h: result codes not found');
  if (flags.length < 10) throw new Error('sqlite3.h: open flags not found');
  return { codes, types, flags };
}

/* Every result code with a name: SQLite's, then the library's own (proto.h). */
function namedCodes(proto, sqlite) {
  const own = proto.filter((d) => d.name.startsWith('SQLITE_WORKER_'));
  const all = [...sqlite.codes, ...own.map(({ name, value }) => ({ name, value }))];
  const byValue = new Map();
  for (const c of all) {
    if (byValue.has(c.value)) throw new Error(`result code ${c.value} is both ${byValue.get(c.value)} and ${c.name}`);
    byValue.set(c.value, c.name);
  }
  return all;
}

function jsLiteral(v) {
  if (typeof v === 'bigint') return `0x${v.toString(16)}n`;
  if (typeof v === 'string') return `'${v}'`;
  return String(v);
}

/* The text of src/js/proto.js. */
export function renderJs(proto, sqlite) {
  const lines = [
    '// proto.js — generated by scripts/gen-proto.mjs from src/core/proto.h and SQLite\'s',
    '// sqlite3.h; do not edit: change proto.h and run `make build`. What each number means',
    '// is said in proto.h.',
    '',
  ];
  for (const d of proto) lines.push(`export const ${d.name} = ${jsLiteral(d.value)};`);
  lines.push('', '// SQLite\'s result codes (sqlite3.h).');
  for (const c of sqlite.codes) lines.push(`export const ${c.name} = ${c.value};`);
  lines.push('', '// SQLite\'s fundamental datatypes (sqlite3.h).');
  for (const t of sqlite.types) lines.push(`export const ${t.name} = ${t.value};`);
  lines.push('', '// SQLite\'s open flags (sqlite3.h), as a VFS receives them.');
  for (const f of sqlite.flags) lines.push(`export const ${f.name} = 0x${f.value.toString(16)};`);
  lines.push('', '/** The name of every result code with one, SQLite\'s and the library\'s own. */');
  lines.push('export const CODE_NAMES = new Map([');
  for (const c of namedCodes(proto, sqlite)) lines.push(`  [${c.value}, '${c.name}'],`);
  lines.push(']);', '');
  return lines.join('\n');
}

/* The text of build/gen/codes.h: the same name table for the core (sqlw_code_name). */
export function renderC(proto, sqlite) {
  const lines = [
    '/* Generated by scripts/gen-proto.mjs from sqlite3.h and src/core/proto.h; do not edit. */',
    'static const struct { int rc; const char *zName; } aCodeName[] = {',
  ];
  for (const c of namedCodes(proto, sqlite)) lines.push(`  { ${c.value}, "${c.name}" },`);
  lines.push('};', '');
  return lines.join('\n');
}

/* proto.h's text with every @enum value moved by n. */
export function shiftProto(src, n) {
  const proto = readProto(src);
  const lines = src.split('\n');
  for (const d of proto) {
    if (d.section !== 'enum') continue;
    let text;
    if (typeof d.value === 'number' && d.value > 0xff && (d.value & 0xff) !== 0) {
      text = `(${d.value & 0xff}|(${(d.value >> 8) + n}<<8))`;
    } else if (typeof d.value === 'number') {
      text = String(d.value + n);
    } else {
      throw new Error(`${d.name}: an @enum value must be an integer`);
    }
    const re = new RegExp(`^(#define\\s+${d.name}\\s+)${d.text.replace(/[()|<]/g, '\\$&')}`);
    if (!re.test(lines[d.line])) throw new Error(`${d.name}: cannot rewrite its line`);
    lines[d.line] = lines[d.line].replace(re, `$1${text}`);
  }
  return lines.join('\n');
}

function main(argv) {
  const arg = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const header = arg('--header') ?? new URL('../src/core/proto.h', import.meta.url).pathname;
  const src = readFileSync(header, 'utf8');
  if (arg('--shift') !== undefined) {
    writeFileSync(arg('--out'), shiftProto(src, Number(arg('--shift'))));
    return 0;
  }
  const sqliteH = arg('--sqlite');
  if (!sqliteH || !existsSync(sqliteH)) throw new Error('--sqlite <path of sqlite3.h> is needed');
  const proto = readProto(src, header);
  const sqlite = readSqlite(readFileSync(sqliteH, 'utf8'));
  const outputs = [];
  if (arg('--js')) outputs.push([arg('--js'), renderJs(proto, sqlite)]);
  if (arg('--c')) outputs.push([arg('--c'), renderC(proto, sqlite)]);
  let stale = 0;
  for (const [file, text] of outputs) {
    const old = existsSync(file) ? readFileSync(file, 'utf8') : null;
    if (old === text) continue;
    if (argv.includes('--check')) {
      process.stderr.write(`${file} is stale: it is not what scripts/gen-proto.mjs makes of ${header}; run make build\n`);
      stale++;
    } else {
      writeFileSync(file, text);
    }
  }
  return stale ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`gen-proto: ${e.message}\n`);
    process.exitCode = 1;
  }
}
