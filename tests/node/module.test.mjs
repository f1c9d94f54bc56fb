// module.test.mjs — the wasm module's interface: it imports only module 'host' (no WASI),
// exports what docs/wasm-abi.md lists, and loads from every accepted source.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WASM_PATH, setup } from './helpers.mjs';
import { loadCore } from '../../src/js/core.js';
import { createNodeHost } from '../../src/js/host-node.js';
import { SQLW_FORMAT_VERSION } from '../../src/js/proto.js';

const { root } = await setup();
const bytes = fs.readFileSync(WASM_PATH);
const module = new WebAssembly.Module(bytes);
const HOST_FUNCTIONS = ['open', 'close', 'read', 'write', 'truncate', 'size', 'sync', 'delete',
  'access', 'random', 'time', 'tzoffset', 'math', 'busy', 'log'];

// The FTS5 module (src/js/link.js) and what it needs of the core.
const fts5 = new WebAssembly.Module(fs.readFileSync(WASM_PATH.replace(/[^/]*$/, 'sqlite-worker-fts5.wasm')));

test('100 every import is from module host but link.fts5; none is WASI', () => {
  const imports = WebAssembly.Module.imports(module);
  assert.ok(imports.length > 0);
  for (const imp of imports) {
    if (imp.module === 'link') {
      assert.deepEqual([imp.name, imp.kind], ['fts5', 'function']);
      continue;
    }
    assert.equal(imp.module, 'host', `${imp.module}.${imp.name}`);
    assert.equal(imp.kind, 'function', imp.name);
    assert.ok(HOST_FUNCTIONS.includes(imp.name), `unexpected import host.${imp.name}`);
  }
  assert.equal(imports.some((i) => i.module.startsWith('wasi')), false);
});

test('105 the README lists every function host.h declares, and the module imports no other', () => {
  const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## The wasm module'));
  const table = section.slice(0, section.indexOf('\n## '));
  const listed = [...table.matchAll(/^\| `([a-z]+)\(/gm)].map((m) => m[1]).sort();
  const header = fs.readFileSync(new URL('../../src/core/host.h', import.meta.url), 'utf8');
  const declared = [...header.matchAll(/^HOST_IMPORT\((\w+)\)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(listed, declared);
  assert.deepEqual(declared, [...HOST_FUNCTIONS].sort());
  for (const i of WebAssembly.Module.imports(module)) assert.ok(i.module === 'link' || declared.includes(i.name), i.name);
});

test('110 the Node host provides every function host.h declares', () => {
  const host = createNodeHost({ root });
  assert.deepEqual(Object.keys(host.imports.host).sort(), [...HOST_FUNCTIONS].sort());
  for (const name of HOST_FUNCTIONS) assert.equal(typeof host.imports.host[name], 'function');
});

test('120 the exports are those of docs/wasm-abi.md, and the functions the FTS5 module imports', () => {
  // The document is the contract: every export it lists in a table's first column
  // (`name`, or `a`, `b` for several), and nothing else, plus the memory and what the
  // FTS5 module imports of the core under the same names.
  const doc = fs.readFileSync(new URL('../../docs/wasm-abi.md', import.meta.url), 'utf8');
  const documented = new Set(['memory']);
  for (const line of doc.split('\n')) {
    const cell = /^\| ([^|]+) \|/.exec(line);
    if (!cell || cell[1].includes('.')) continue; // an import (`link.fts5`)
    for (const m of cell[1].matchAll(/`([a-z_]+)`/g)) documented.add(m[1]);
  }
  const forFts5 = WebAssembly.Module.imports(fts5).filter((i) => i.kind === 'function').map((i) => i.name);
  assert.ok(forFts5.includes('sqlite3_create_module_v2') && forFts5.includes('sqlite3_step'), forFts5.join(' '));
  for (const name of forFts5) documented.add(name);
  const names = WebAssembly.Module.exports(module).map((e) => e.name).sort();
  assert.deepEqual(names, [...documented].sort());
  // What the FTS5 module imports besides: the core's memory, table, stack pointer and
  // its own bases, and (GOT.func) slots of core functions whose address it takes.
  for (const i of WebAssembly.Module.imports(fts5)) {
    if (i.kind === 'function') assert.equal(i.module, 'env', i.name);
    else if (i.module === 'env') assert.ok(['memory', '__indirect_function_table', '__stack_pointer', '__memory_base', '__table_base'].includes(i.name), i.name);
    else assert.equal(i.module, 'GOT.func', `${i.module}.${i.name}`);
  }
});

/* The exported functions' signatures, read from the module's binary: name → { params, results }. */
function exportSignatures(wasm) {
  let p = 8;
  const leb = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = wasm[p++];
      v += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return v;
    }
  };
  const name = () => {
    const n = leb();
    const s = new TextDecoder().decode(wasm.subarray(p, p + n));
    p += n;
    return s;
  };
  const types = [];
  const funcs = [];   // type index per function index, imports first
  const out = new Map();
  while (p < wasm.length) {
    const id = wasm[p++];
    const size = leb();
    const end = p + size;
    if (id === 1) {
      for (let i = leb(); i > 0; i--) {
        assert.equal(wasm[p++], 0x60);
        const params = leb();
        p += params;
        const results = leb();
        p += results;
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let i = leb(); i > 0; i--) {
        name();
        name();
        const kind = wasm[p++];
        if (kind === 0) funcs.push(leb());
        else if (kind === 1) { p++; const f = wasm[p++]; leb(); if (f & 1) leb(); }
        else if (kind === 2) { const f = wasm[p++]; leb(); if (f & 1) leb(); }
        else p += 2;
      }
    } else if (id === 3) {
      for (let i = leb(); i > 0; i--) funcs.push(leb());
    } else if (id === 7) {
      for (let i = leb(); i > 0; i--) {
        const n = name();
        const kind = wasm[p++];
        const index = leb();
        if (kind === 0) out.set(n, types[funcs[index]]);
      }
    }
    p = end;
  }
  return out;
}

test('125 every export has the number of parameters and results docs/wasm-abi.md gives it', () => {
  const doc = fs.readFileSync(new URL('../../docs/wasm-abi.md', import.meta.url), 'utf8');
  const sigs = exportSignatures(bytes);
  let checked = 0;
  for (const line of doc.split('\n')) {
    const row = /^\| ([^|]+) \| ([^|]+) \|/.exec(line);
    if (!row) continue;
    // One signature for every name of the row, or one each (`(c) → ptr` / `() → u32`).
    const forms = [...row[2].matchAll(/`\(([^)]*)\) → ([^`]+)`/g)].map((m) => ({
      params: m[1].split(',').map((x) => x.trim()).filter(Boolean).length,
      results: m[2].trim() === 'void' ? 0 : 1,
    }));
    const names = [...row[1].matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
    if (forms.length === 0) continue;
    assert.ok(forms.length === 1 || forms.length === names.length, `a row of ${names.length} names has ${forms.length} signatures`);
    names.forEach((n, i) => {
      const sig = sigs.get(n);
      assert.ok(sig, `${n} is documented but not exported`);
      assert.deepEqual(sig, forms.length === 1 ? forms[0] : forms[i], `${n}: the module's signature against the document's`);
      checked++;
    });
  }
  // SQLite's functions exported for the FTS5 module: their signatures are SQLite's, and
  // a mismatch would fail its instantiation (LinkError: tests/node/fts5.test.mjs).
  const forFts5 = new Set(WebAssembly.Module.imports(fts5).map((i) => i.name));
  const own = [...sigs.keys()].filter((n) => !forFts5.has(n));
  assert.equal(checked, own.length, 'every exported function has a documented signature');
});

test('130 the core loads from a path, a file URL, bytes, an ArrayBuffer and a Module', async () => {
  const sources = [WASM_PATH, pathToFileURL(WASM_PATH), bytes, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), module,
    Promise.resolve(new Response(bytes, { headers: { 'Content-Type': 'application/wasm' } })),
    new Response(bytes)];
  for (const wasm of sources) {
    const core = await loadCore({ wasm, host: createNodeHost({ root }) });
    assert.equal(core.exports.format_version(), SQLW_FORMAT_VERSION);
    const db = core.open(':memory:', { vfs: 'memdb' });
    assert.deepEqual(db.exec('SELECT 1 + 1 AS two').resultSets[0].rows, [{ two: 2 }]);
    db.close();
  }
});

test('140 loadCore refuses a missing host and a bad wasm argument', async () => {
  await assert.rejects(loadCore({ wasm: WASM_PATH }), TypeError);
  await assert.rejects(loadCore({ wasm: 42, host: createNodeHost({ root }) }), TypeError);
  await assert.rejects(loadCore({ wasm: new Uint8Array([0, 1, 2, 3]), host: createNodeHost({ root }) }), WebAssembly.CompileError);
});

test('150 every ES module of dist/ loads (each of its imports resolves in dist/)', async () => {
  const dir = new URL('../../dist/', import.meta.url);
  const skip = new Set(['worker.js', 'sqlite-worker.single.js']);   // they start work when loaded
  const names = fs.readdirSync(dir).filter((f) => f.endsWith('.js') && !skip.has(f));
  assert.ok(names.includes('host-common.js') && names.includes('proto.js'), names.join(' '));
  for (const f of names) await import(new URL(f, dir));
});

// The shifted copy of tests/node/proto-shift.test.mjs builds only what Node loads.
const PARTIAL = process.env.SQLW_PROTO_SHIFTED === '1' && 'a partial build (proto-shift)';

test('160 no browser file of dist/ imports anything of Node (bundlers fail on node: schemes)', { skip: PARTIAL }, () => {
  const dir = new URL('../../dist/', import.meta.url);
  const nodeOnly = new Set(['host-node.js']);   // the 'sqlite-worker/host-node' entry
  const names = fs.readdirSync(dir).filter((f) => f.endsWith('.js') && !nodeOnly.has(f));
  assert.ok(names.includes('index.js') && names.includes('worker.js') && names.includes('core.js'), names.join(' '));
  for (const f of names) {
    const text = fs.readFileSync(new URL(f, dir), 'utf8');
    const found = text.match(/(?:from\s*|import\s*\(\s*|require\s*\(\s*)['"`](node:[^'"`]+|fs|path|crypto|url)['"`]/);
    assert.equal(found, null, `${f} imports ${found?.[1]}`);
  }
});

test('170 the package: dist, the types, the license and the README; no sources, tests or build files', { skip: PARTIAL }, () => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'],
    { cwd: new URL('../..', import.meta.url), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const files = JSON.parse(out)[0].files.map((f) => f.path);
  for (const f of ['LICENSE', 'README.md', 'index.d.ts', 'package.json', 'dist/index.js', 'dist/worker.js',
    'dist/core.js', 'dist/link.js', 'dist/host-node.js', 'dist/sqlite-worker.wasm', 'dist/sqlite-worker-fts5.wasm', 'dist/sqlite-worker.single.js', 'dist/drizzle.js', 'dist/kysely.js']) {
    assert.ok(files.includes(f), `${f} is not in the package: ${files.join(' ')}`);
  }
  const root = ['LICENSE', 'README.md', 'package.json', 'index.d.ts', 'core.d.ts', 'errors.d.ts', 'host-node.d.ts', 'worker.d.ts',
    'drizzle.d.ts', 'kysely.d.ts'];
  assert.deepEqual(files.filter((f) => !f.startsWith('dist/') && !root.includes(f)), []);
  // Every subpath's types, for TypeScript before 5.7 too.
  for (const f of root.filter((x) => x.endsWith('.d.ts'))) assert.ok(files.includes(`dist/ts5.6/${f}`), `dist/ts5.6/${f}`);
  const license = fs.readFileSync(new URL('../../LICENSE', import.meta.url), 'utf8');
  assert.match(license, /MIT License/);
  assert.match(license, /SQLite is in the public domain/);
});

test('180 publint (strict) and "are the types wrong" (ESM-only profile) find nothing in the package', { skip: PARTIAL, timeout: 180_000 }, () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlw-pack-'));
  try {
    const publint = spawnSync(path.join(root, 'node_modules/.bin/publint'), ['--strict'], { cwd: root, encoding: 'utf8' });
    assert.equal(publint.status, 0, publint.stdout + publint.stderr);
    assert.match(publint.stdout, /All good/);
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    // The package is ESM only (no CommonJS entry, by design); the wasm is an asset, not a module.
    const attw = spawnSync(path.join(root, 'node_modules/.bin/attw'), [path.join(tmp, packed[0].filename),
      '--profile', 'esm-only', '--exclude-entrypoints', './sqlite-worker.wasm', './sqlite-worker-fts5.wasm', '--format', 'ascii'], { cwd: root, encoding: 'utf8' });
    assert.equal(attw.status, 0, attw.stdout + attw.stderr);
    assert.doesNotMatch(attw.stdout, /(node16 \(from ESM\)|bundler): (?!🟢)/u, attw.stdout);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
