// worker.js — the database worker: loads the C core, opens the database's storage, and
// runs the page's requests on it. Thin by design: every request goes to the core as the
// bytes the page encoded, and the core's result buffer goes back as it was written.
//
// Messages (docs/format.md, "Page ↔ worker messages"; large frames are transferred,
// small ones copied, see protocol.js postFrame):
//   page → worker: first { type: 'open', name, persistence, durability, debug, lock,
//     wasm, busyTimeout }, then SQWQ frames (ArrayBuffers) of requests.
//   worker → page: { type: 'ready', persistent, persistenceError, vfs } or
//     { type: 'failed', error }, then one SQWA frame per SQWQ frame, in order.
// The worker holds the Web Lock named `lock` for its whole life, so the page learns of
// its death (terminate, crash) when that lock becomes free.
//
// Frames are handled one at a time, in arrival order; between requests the storage pool
// gets the files it asked for (OPFS creates them only asynchronously).

import { loadCore } from './core.js';
import { createBrowserHost, PERSISTENCE_UNAVAILABLE } from './host-browser.js';
import { SQLiteError } from './errors.js';
import {
  OP_EXEC, OP_RUN_MANY, OP_BATCH, OP_EXPORT, OP_IMPORT, OP_CLOSE,
  ANS_RESULT, ANS_LIST, ANS_BYTES, ANS_DONE, ANS_ERROR,
  decodeRequests, encodeAnswers, parseSqlBody, errorBody, postFrame,
} from './protocol.js';

const PREFIX = '[sqlite-worker]';

let debug = false;
let core = null;
let host = null;
let pool = null;
let db = null;
let queue = Promise.resolve();

/* Logs a debug line (debug mode only). */
function trace(...args) {
  if (debug) console.debug(PREFIX, ...args);
}

/* The flat form of an error for the page: { code, errno, message }. */
function flatten(e) {
  if (e instanceof SQLiteError) return { code: e.code, errno: e.errno, message: e.message };
  return { code: 'SQLITE_ERROR', errno: 1, message: `${e?.name ?? 'Error'}: ${e?.message ?? String(e)}` };
}

/*
** Holds the Web Lock `name` until this worker ends. Resolves once it is held, so the page
** can queue behind it.
*/
function holdLifeLock(name) {
  // Without Web Locks (an insecure context) the page cannot watch this worker's life;
  // it still learns of crashes through the worker's error event.
  if (!name || !globalThis.navigator?.locks) return Promise.resolve();
  return new Promise((held) => {
    navigator.locks.request(name, () => {
      held();
      return new Promise(() => {}); // never released: the lock ends with the worker
    });
  });
}

/*
** Opens the database `name` on the storage `persistence` asks for. 'memory' uses the
** core's memdb; 'opfs' a pool of OPFS files; 'auto' OPFS, else memory with the reason
** recorded. corePromise: the core, still loading (the pool's files open meanwhile); it
** is in `core` on return. Returns { persistent, persistenceError, vfs }. Throws
** SQLiteError, or the core's load error.
*/
async function openStorage({ name, persistence, busyTimeout }, corePromise) {
  let persistenceError = null;
  if (persistence !== 'memory') {
    try {
      pool = await host.openPool(corePromise, name, { busyTimeout });
    } catch (e) {
      if (persistence === 'opfs' || e?.code !== PERSISTENCE_UNAVAILABLE) throw e;
      persistenceError = e.message;
      trace('OPFS is not available, using memory:', e.message);
    }
  }
  core = await corePromise;
  const vfs = pool ? pool.vfs : 'memdb';
  try {
    db = core.open('/' + name, { vfs });
  } catch (e) {
    pool?.close();
    pool = null;
    throw e;
  }
  return { persistent: pool !== null, persistenceError, vfs };
}

/*
** The core's names of every result code it knows (primary and extended), so the page
** names codes as the core does: one pass over the core's table. Returns [[rc, name]].
*/
function codeTable() {
  const out = [];
  for (let i = 0, rc; (rc = core.exports.code_at(i)) >= 0; i++) out.push([rc, core.codeName(rc)]);
  return out;
}

/*
** Where the wasm comes from: the page's wasmUrl, else the bytes a self-contained build
** inlined (globalThis.sqliteWorkerWasm: bytes or a promise of them), else the module
** beside this file.
*/
function wasmSource(msg) {
  if (msg.wasm) return new URL(msg.wasm);
  return globalThis.sqliteWorkerWasm ?? new URL('./sqlite-worker.wasm', import.meta.url);
}

/* Answers the open message. Posts { type: 'ready', ... } or { type: 'failed', error }. */
async function open(msg) {
  const t0 = performance.now();
  debug = msg.debug === true;
  try {
    await holdLifeLock(msg.lock);
    host = createBrowserHost({
      log: (level, message) => {
        if (level === 0) console.error(PREFIX, message);
        else if (level === 1) console.warn(PREFIX, message);
        else trace(message);
      },
    });
    let t1 = 0;
    const corePromise = loadCore({ wasm: wasmSource(msg), host }).then((c) => {
      t1 = performance.now();
      return c;
    });
    const info = await openStorage(msg, corePromise);
    if (info.persistent) db.setDurability(msg.durability);
    await pool?.grow();
    const t2 = performance.now();
    trace(`opened "${msg.name}" on ${info.vfs} in ${(t2 - t0).toFixed(1)} ms `
      + `(the core loaded after ${(t1 - t0).toFixed(1)} ms, meanwhile the storage opened)`);
    self.postMessage({ type: 'ready', ...info, codes: codeTable() });
  } catch (e) {
    trace('open failed:', e);
    db?.close();
    db = null;
    pool?.close();
    pool = null;
    self.postMessage({ type: 'failed', error: flatten(e) });
  }
}

/*
** Runs one request. Returns its answer { id, kind, parts }; parts are copies, never
** views of wasm memory (the next request reuses it).
*/
function run({ id, kind, body }) {
  try {
    if (!db) throw new SQLiteError('the database is closed', { code: 'SQLITE_MISUSE', errno: 21 });
    switch (kind) {
      case OP_EXEC:
      case OP_RUN_MANY: {
        const { bytes } = db.raw(kind, parseSqlBody(body));
        return { id, kind: ANS_RESULT, parts: [bytes.slice()] };
      }
      case OP_BATCH: {
        const { bytes } = db.raw(OP_BATCH, body);
        return { id, kind: ANS_LIST, parts: [bytes.slice()] };
      }
      case OP_EXPORT:
        return { id, kind: ANS_BYTES, parts: [db.export()] };
      case OP_IMPORT:
        db.import(body);
        return { id, kind: ANS_DONE, parts: [] };
      case OP_CLOSE: {
        const d = db;
        db = null;
        try {
          d.close();
        } finally {
          pool?.close();
          pool = null;
        }
        return { id, kind: ANS_DONE, parts: [] };
      }
      default:
        throw new SQLiteError(`unknown request kind ${kind}`, { code: 'SQLITE_MISUSE', errno: 21 });
    }
  } catch (e) {
    return { id, kind: ANS_ERROR, parts: [errorBody(flatten(e))] };
  }
}

/* Runs the requests of one frame in order and posts their answers as one frame. */
async function handleFrame(buf) {
  let requests;
  try {
    requests = decodeRequests(buf);
  } catch (e) {
    console.error(PREFIX, 'dropped a malformed request frame:', e.message);
    return;
  }
  const t0 = debug ? performance.now() : 0;
  const answers = [];
  for (const r of requests) {
    answers.push(run(r));
    // The pool asks for files between requests; adding them is asynchronous.
    if (pool && pool.stat().wanted > 0) await pool.grow();
  }
  postFrame(self, encodeAnswers(answers));
  if (debug) trace(`${requests.length} request(s) in ${(performance.now() - t0).toFixed(2)} ms`);
}

self.onmessage = (e) => {
  const msg = e.data;
  if (msg instanceof ArrayBuffer) {
    queue = queue.then(() => handleFrame(msg));
  } else if (msg && msg.type === 'open') {
    queue = queue.then(() => open(msg));
  } else {
    console.error(PREFIX, 'dropped an unknown message');
  }
};
