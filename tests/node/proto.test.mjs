// proto.test.mjs — the numbers C and JavaScript share are written once, in
// src/core/proto.h: the JavaScript mirror (src/js/proto.js) and the core's code-name
// table are what scripts/gen-proto.mjs makes of it, and a change to the header that the
// mirror does not follow is caught.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setup } from './helpers.mjs';
import * as proto from '../../src/js/proto.js';
import { readProto } from '../../scripts/gen-proto.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GEN = path.join(ROOT, 'scripts', 'gen-proto.mjs');
const HEADER = path.join(ROOT, 'src', 'core', 'proto.h');
const SQLITE_H = path.join(ROOT, 'build', 'sqlite', 'sqlite3.h');
const MIRROR = path.join(ROOT, 'src', 'js', 'proto.js');
const CODES_H = path.join(ROOT, 'build', 'gen', 'codes.h');

/* Runs the generator in check mode. Returns { status, stderr }. */
function check(header = HEADER) {
  const r = spawnSync(process.execPath, [GEN, '--check', '--header', header, '--sqlite', SQLITE_H,
    '--js', MIRROR, '--c', CODES_H], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

test('100 the mirror and the code table are what the generator makes of proto.h', () => {
  const r = check();
  assert.equal(r.status, 0, r.stderr);
});

test('110 a header change the mirror does not follow is caught (planted in a copy)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlw-proto-'));
  try {
    const planted = path.join(dir, 'proto.h');
    const src = fs.readFileSync(HEADER, 'utf8');
    const moved = src.replace(/^(#define REQ_EXPORT\s+)(\d+)/m, (m, a, n) => `${a}${Number(n) + 100}`);
    assert.notEqual(moved, src);
    fs.writeFileSync(planted, moved);
    const r = check(planted);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /src\/js\/proto\.js is stale/);
    // A line the generator cannot read stops it; nothing is skipped.
    fs.writeFileSync(planted, src.replace(/^(#define REQ_EXEC\s+)\d+/m, '$1(2+1)'));
    const bad = check(planted);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /cannot read the value "\(2\+1\)"/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('120 every define of proto.h is in the mirror with its value; @enum values are distinct per section', () => {
  const defs = readProto(fs.readFileSync(HEADER, 'utf8'));
  assert.ok(defs.length > 60, `${defs.length} defines`);
  for (const d of defs) assert.equal(proto[d.name], d.value, d.name);
  // Within one @enum section, no two names share a value.
  const groups = new Map();
  for (const d of defs.filter((x) => x.section === 'enum')) {
    const g = d.group;
    const seen = groups.get(g) ?? new Map();
    assert.ok(!seen.has(d.value), `${d.name} and ${seen.get(d.value)} share ${d.value}`);
    seen.set(d.value, d.name);
    groups.set(g, seen);
  }
});

test('130 the core names every code the page names, and the same way (one table)', async () => {
  const { core } = await setup();
  const x = core.exports;
  const fromCore = new Map();
  for (let i = 0; ; i++) {
    const rc = x.code_at(i);
    if (rc < 0) break;
    fromCore.set(rc, core.codeName(rc));
  }
  assert.deepEqual([...fromCore].sort((a, b) => a[0] - b[0]), [...proto.CODE_NAMES].sort((a, b) => a[0] - b[0]));
  // The library's own codes are extended codes of SQLITE_ERROR.
  for (const [rc, name] of proto.CODE_NAMES) {
    if (name.startsWith('SQLITE_WORKER_')) assert.equal(rc & 0xff, proto.SQLITE_ERROR, name);
  }
  assert.equal(core.codeName(proto.SQLITE_WORKER_DIED), 'SQLITE_WORKER_DIED');
});

test('140 no source file types a number of the contract: none defines a mirrored name itself', () => {
  const names = new Set(Object.keys(proto));
  const files = [
    ...fs.readdirSync(path.join(ROOT, 'src', 'js')).map((f) => path.join(ROOT, 'src', 'js', f)),
    ...fs.readdirSync(path.join(ROOT, 'tests', 'node')).map((f) => path.join(ROOT, 'tests', 'node', f)),
  ].filter((f) => /\.m?js$/.test(f) && f !== MIRROR);
  const found = [];
  for (const f of files) {
    const src = fs.readFileSync(f, 'utf8');
    for (const m of src.matchAll(/^\s*(?:export\s+)?(?:const|let|var)\s+([A-Z][A-Z0-9_]*)\s*=/gm)) {
      if (names.has(m[1])) found.push(`${path.relative(ROOT, f)}: ${m[1]}`);
    }
  }
  assert.deepEqual(found, []);
  // And the magic numbers of the formats are not spelled out as bytes in the page's code.
  for (const f of files.filter((x) => x.includes(`${path.sep}src${path.sep}`))) {
    assert.doesNotMatch(fs.readFileSync(f, 'utf8'), /0x53,?\s*(?:\|\||u8\[\d\]\s*!==\s*)?0x51/, path.relative(ROOT, f));
  }
});
