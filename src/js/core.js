// core.js — loads the C core (dist/sqlite-worker.wasm) with its whole JavaScript API:
// runtime.js's connections, whose exec, runMany, batch and import encode parameters and
// decode results with codec.js. Node (host-node.js) and the tests use this module; the
// database worker loads the core through runtime.js without the codec.

import {
  checkDecodeOptions, decodeResultAt, decodeResultList, encodeParamSets, encodeParams,
} from './codec.js';
import { batchBody } from './protocol.js';
import { loadCoreWith } from './runtime.js';

export { codeName } from './runtime.js';

const CODEC = Object.freeze({
  checkDecodeOptions, decodeResultAt, decodeResultList, encodeParamSets, encodeParams, batchBody,
});

/**
 * Loads the core.
 * wasm: a BufferSource, a WebAssembly.Module, a Response or promise of one, a URL, or a
 *   string (a file path or file: URL, read with host.readWasm: the Node host's; a URL
 *   elsewhere).
 * host: { imports, attach(memory), readWasm?, readWasmSync? } — the import object
 *   ({ host: {...} }, see src/core/host.h), a function given the module's memory once,
 *   before any call, and (optional) ones that read a wasm file's bytes, the second
 *   synchronously (for the FTS5 module).
 * fts5: the FTS5 module (src/js/link.js), linked the first time a connection needs it:
 *   a WebAssembly.Module, its bytes, a URL or path (read with host.readWasmSync), a
 *   function returning one of these, or null for none. By default the file
 *   sqlite-worker-fts5.wasm beside `wasm` when that is a URL or path.
 * Returns a Core (runtime.js). Throws when the module cannot be loaded or speaks another
 * wire-format version than this file.
 */
export function loadCore(options) {
  return loadCoreWith(options, CODEC);
}
