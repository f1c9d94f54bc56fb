// 'sqlite-worker/worker' (dist/worker.js) is the database worker's script: loaded by
// `new Worker(...)`, it exports nothing.
export {};
