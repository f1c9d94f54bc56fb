// module.test.mjs — the wasm module's interface: it imports only module 'host' (no WASI),
// exports what docs/wasm-abi.md lists, and loads from every accepted source.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { WASM_PATH, setup } from './helpers.mjs';
import { loadCore } from '../../dist/core.js';
import { createNodeHost } from '../../dist/host-node.js';
import { FORMAT_VERSION } from '../../dist/codec.js';

const { root } = await setup();
const bytes = fs.readFileSync(WASM_PATH);
const module = new WebAssembly.Module(bytes);
const HOST_FUNCTIONS = ['open', 'close', 'read', 'write', 'truncate', 'size', 'sync', 'delete',
  'access', 'random', 'time', 'tzoffset', 'busy', 'log'];

test('100 every import is from module host; none is WASI', () => {
  const imports = WebAssembly.Module.imports(module);
  assert.ok(imports.length > 0);
  for (const imp of imports) {
    assert.equal(imp.module, 'host', `${imp.module}.${imp.name}`);
    assert.equal(imp.kind, 'function', imp.name);
    assert.ok(HOST_FUNCTIONS.includes(imp.name), `unexpected import host.${imp.name}`);
  }
  assert.equal(imports.some((i) => i.module.startsWith('wasi')), false);
});

test('110 the Node host provides every function host.h declares', () => {
  const host = createNodeHost({ root });
  assert.deepEqual(Object.keys(host.imports.host).sort(), [...HOST_FUNCTIONS].sort());
  for (const name of HOST_FUNCTIONS) assert.equal(typeof host.imports.host[name], 'function');
});

test('120 the exports are those of docs/wasm-abi.md', () => {
  // The document is the contract: every export it lists in a table's first column
  // (`name`, or `a`, `b` for several), and nothing else, plus the memory.
  const doc = fs.readFileSync(new URL('../../docs/wasm-abi.md', import.meta.url), 'utf8');
  const documented = new Set(['memory']);
  for (const line of doc.split('\n')) {
    const cell = /^\| ([^|]+) \|/.exec(line);
    if (!cell) continue;
    for (const m of cell[1].matchAll(/`([a-z_]+)`/g)) documented.add(m[1]);
  }
  const names = WebAssembly.Module.exports(module).map((e) => e.name).sort();
  assert.deepEqual(names, [...documented].sort());
});

test('130 the core loads from a path, a file URL, bytes, an ArrayBuffer and a Module', async () => {
  const sources = [WASM_PATH, pathToFileURL(WASM_PATH), bytes, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), module,
    Promise.resolve(new Response(bytes, { headers: { 'Content-Type': 'application/wasm' } })),
    new Response(bytes)];
  for (const wasm of sources) {
    const core = await loadCore({ wasm, host: createNodeHost({ root }) });
    assert.equal(core.exports.format_version(), FORMAT_VERSION);
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
