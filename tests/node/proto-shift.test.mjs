// proto-shift.test.mjs — proof that no number of the C ↔ JavaScript contract is typed by
// hand anywhere: a copy of the tree is built with every @enum value of src/core/proto.h
// moved (request and answer kinds, message types, statuses, actions, counters, modes,
// the library's own codes), and the whole Node suite must pass on it. A number typed in
// a JavaScript file, a test or the core instead of its name breaks that build.
//
// Takes a minute or two (the core is compiled again; SQLite's object is reused).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SLT_DIR } from '../slt/run.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHIFT = 32;
const NESTED = process.env.SQLW_PROTO_SHIFTED === '1';

/* Copies the tree's sources into dir; links what is only read (node_modules, SQLite). */
function copyTree(dir) {
  for (const d of ['src', 'scripts', 'docs', 'tests/node', 'tests/shared', 'tests/slt']) {
    fs.cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true });
  }
  for (const f of ['Makefile', 'package.json', 'README.md']) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  fs.mkdirSync(path.join(dir, 'build', 'wasm'), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'build', 'sqlite'), path.join(dir, 'build', 'sqlite'));
  // SQLite's wasm object does not read proto.h: keep it, and its flags stamp, with their times.
  for (const f of ['build/wasm/sqlite3.o', 'build/wasm.flags']) {
    const from = path.join(ROOT, f);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(dir, f), { preserveTimestamps: true });
  }
}

function run(cmd, args, cwd, env = {}) {
  const all = { ...process.env, ...env };
  delete all.NODE_TEST_CONTEXT;   // the nested suite is a run of its own, not a child of this one
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: all, maxBuffer: 64 << 20 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

test('100 the Node suite passes on a build whose shared numbers are all moved', { skip: NESTED && 'the shifted run itself', timeout: 30 * 60_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlw-shift-'));
  try {
    copyTree(dir);
    const header = path.join(dir, 'src', 'core', 'proto.h');
    let r = run(process.execPath, ['scripts/gen-proto.mjs', '--shift', String(SHIFT), '--header', header, '--out', header], dir);
    assert.equal(r.status, 0, r.out);
    r = run('make', ['-s', `-j${Math.max(2, os.availableParallelism?.() ?? 2)}`, 'node-dist'], dir);
    assert.equal(r.status, 0, r.out);

    // The build took the moved numbers: the mirror and the module both changed.
    const was = await import(pathToFileURL(path.join(ROOT, 'src', 'js', 'proto.js')));
    const now = await import(pathToFileURL(path.join(dir, 'src', 'js', 'proto.js')));
    assert.equal(now.REQ_EXEC, was.REQ_EXEC + SHIFT);
    assert.equal(now.COORD_ACT_TIMER, was.COORD_ACT_TIMER + SHIFT);
    assert.equal(now.SQLITE_WORKER_DIED, was.SQLITE_WORKER_DIED + (SHIFT << 8));
    assert.equal(now.COORD_VERSION, was.COORD_VERSION);   // @fixed: not moved
    assert.notDeepEqual(fs.readFileSync(path.join(dir, 'dist', 'sqlite-worker.wasm')),
      fs.readFileSync(path.join(ROOT, 'dist', 'sqlite-worker.wasm')));

    r = run(process.execPath, ['--test', 'tests/node/'], dir, { SQLW_PROTO_SHIFTED: '1', SQLW_SLT_DIR: SLT_DIR });
    const summary = r.out.split('\n').filter((l) => /^# (tests|pass|fail|skipped)/.test(l)).join(', ');
    t.diagnostic(`shifted by ${SHIFT}: ${summary}`);
    assert.equal(r.status, 0, r.out.split('\n').filter((l) => /^not ok|error|Error|expected|actual/.test(l)).slice(0, 60).join('\n'));
    assert.match(r.out, /^# fail 0$/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
