// node-executor.mjs — the sqllogictest executor over the wasm build in Node: src/js/core.js
// with the Node host, one in-memory (memdb) database per script, every record run with
// exec(sql, undefined, { rowMode: 'array', bigint: 'always' }) so rows keep duplicate
// column names and INTEGER values stay distinct from REAL ones (bigint vs number).

import { fileURLToPath } from 'node:url';
import { loadCore } from '../../src/js/core.js';
import { createNodeHost } from '../../src/js/host-node.js';
import { SQLiteError } from '../../src/js/errors.js';

const WASM = fileURLToPath(new URL('../../dist/sqlite-worker.wasm', import.meta.url));
const OPTIONS = { rowMode: 'array', bigint: 'always' };

/**
 * Loads the core and returns an executor (see slt.mjs): { name: 'node', open(), exec(sql),
 * close(), dispose() }. exec turns a SQLiteError into { ok: false, error } and rethrows
 * anything else (a broken harness, not a failed record). Throws when the wasm of dist/ is not built.
 */
export async function createNodeExecutor() {
  // memdb databases never touch the host's files; the root is only the host's default.
  const core = await loadCore({ wasm: WASM, host: createNodeHost() });
  let db = null;
  return {
    name: 'node',
    open() {
      db = core.open(':memory:', { vfs: 'memdb' });
    },
    exec(sql) {
      try {
        const set = db.exec(sql, undefined, OPTIONS).resultSets[0];
        return { ok: true, columns: set?.columns ?? [], rows: set?.rows ?? [] };
      } catch (e) {
        if (!(e instanceof SQLiteError)) throw e;
        return { ok: false, error: `${e.code}: ${e.message}` };
      }
    },
    close() {
      db?.close();
      db = null;
    },
    dispose() {},
  };
}
