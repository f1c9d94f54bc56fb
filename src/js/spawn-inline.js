// spawn-inline.js — creates the database worker in the self-contained single-file build
// (dist/sqlite-worker.single.js): scripts/build-single.mjs bundles index.js with this
// module in the place of spawn.js, so the worker starts from code carried inside the
// bundle and the app needs no other file.
//
// `./worker-code.js` exists only during that build: scripts/build-single.mjs supplies it
// as the bundled worker (worker.js and its imports), whose first statement sets
// globalThis.sqliteWorkerWasm to the wasm's bytes, so the worker fetches nothing either.
// This module is not usable outside that build.

import { WORKER_CODE } from './worker-code.js';

// One Blob URL for every worker of the page (each database, each restarted worker).
// It is never revoked: a worker reads its script after its constructor returns, and the
// page cannot tell when that is; the cost is one copy of the worker code per page.
let blobUrl = null;

/**
 * Starts the worker for database `name`: from `workerUrl` when given, else from the
 * worker code inlined in this bundle, through a Blob URL. Returns the Worker. Throws
 * what the Worker constructor throws.
 */
export function spawnWorker(name, workerUrl) {
  const options = { type: 'module', name: `sqlite-worker ${name}` };
  if (workerUrl) return new Worker(workerUrl, options);
  blobUrl ??= URL.createObjectURL(new Blob([WORKER_CODE], { type: 'text/javascript' }));
  return new Worker(blobUrl, options);
}

/**
 * The worker of this build carries the wasm inlined: there is no file for the page to
 * compile ahead. Returns null.
 */
export function defaultWasmUrl() {
  return null;
}
