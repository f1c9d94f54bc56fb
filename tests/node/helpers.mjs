// helpers.mjs — shared set-up of the Node tests: a core loaded from dist/ over a Node
// host rooted in a fresh temporary directory, removed when the test file ends.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { loadCore } from '../../dist/core.js';
import { createNodeHost } from '../../dist/host-node.js';

/** The built wasm module, as a file path. */
export const WASM_PATH = fileURLToPath(new URL('../../dist/sqlite-worker.wasm', import.meta.url));

/**
 * Loads a core whose 'host' VFS is rooted in a new temporary directory.
 * Returns { core, root, logs }; logs collects [level, message] lines from the core.
 * The directory is removed after the calling test file's tests finish.
 */
export async function setup() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-worker-test-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const logs = [];
  const host = createNodeHost({ root, log: (level, message) => logs.push([level, message]) });
  const core = await loadCore({ wasm: WASM_PATH, host });
  return { core, root, logs };
}

/**
 * Runs fn and returns the error it throws; fails the test when it does not throw.
 */
export function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an exception, none was thrown');
}

/** The rows of the first result set of exec(sql, params, options). */
export function rows(db, sql, params, options) {
  return db.exec(sql, params, options).resultSets[0].rows;
}

/** Deterministic bytes (xorshift32) so failures reproduce. */
export function seededBytes(n, seed = 0x9e3779b9) {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}
