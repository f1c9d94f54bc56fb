// spawn.js — creates the database worker. Its own module so that builds can swap it:
// this one loads dist/worker.js beside it (bundlers such as Vite and webpack recognise
// the `new Worker(new URL(…, import.meta.url))` form and bundle the worker), while the
// self-contained single-file build replaces this module with one that starts the worker
// from code inlined in the bundle.

/**
 * Starts the worker for database `name`: from `workerUrl` when given, else the worker
 * module beside this file. Returns the Worker. Throws what the Worker constructor throws.
 */
export function spawnWorker(name, workerUrl) {
  if (workerUrl) return new Worker(workerUrl, { type: 'module', name: `sqlite-worker ${name}` });
  // Written out in full: Vite bundles a worker only when the options are a literal.
  return new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: `sqlite-worker ${name}` });
}

/**
 * Where the worker started by spawnWorker (without `workerUrl`) loads the wasm from: the
 * module beside this file, as a URL. The page compiles it while the worker script loads
 * (see compiledModule in channel.js).
 */
export function defaultWasmUrl() {
  return new URL('./sqlite-worker.wasm', import.meta.url);
}
