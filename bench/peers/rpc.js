// rpc.js — the request/reply protocol between the peers' benchmark page and a peer's
// dedicated worker: connect() on the main thread, serve() in the worker. Each request is
// one postMessage and each reply one postMessage, matched by a sequence number, so a
// workload's time on the main thread includes exactly one structured clone each way.
//
// Request: { v: 1, id, kind, args }. Reply: { v: 1, id, ok: true, result } or
// { v: 1, id, ok: false, error: { message, code } }, where code is the SQLite result
// code the peer's library attached to its exception (null when it attached none).
// Message kinds are the keys of the handler table that the worker passes to serve().

const VERSION = 1;

/**
 * Connects to `worker` (a Worker that runs serve()). Returns call(kind, args) → Promise
 * of the handler's result. A call rejects with an Error whose `code` is the SQLite result
 * code of the worker's exception; when the worker itself fails (an uncaught error, or a
 * message that cannot be deserialized), every pending call and every later one rejects.
 */
export function connect(worker) {
  const pending = new Map();
  let next = 1;
  let broken = null;
  const failAll = (err) => {
    broken = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.addEventListener('message', (e) => {
    const { v, id, ok, result, error } = e.data;
    const p = pending.get(id);
    if (v !== VERSION || !p) {
      failAll(new Error(`rpc: unexpected reply ${JSON.stringify({ v, id })}`));
      return;
    }
    pending.delete(id);
    if (ok) p.resolve(result);
    else p.reject(Object.assign(new Error(error.message), { code: error.code }));
  });
  worker.addEventListener('error', (e) => {
    failAll(new Error(`rpc: worker failed: ${e.message || 'script error (module load?)'}`));
  });
  worker.addEventListener('messageerror', () => {
    failAll(new Error('rpc: a reply could not be deserialized'));
  });
  return (kind, args) => {
    if (broken) return Promise.reject(broken);
    const id = next++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ v: VERSION, id, kind, args });
    });
  };
}

/**
 * Serves requests in this worker: each request's kind names a function of `handlers`,
 * called with the request's args; its return value (or the value its Promise resolves
 * to) is the reply. Requests run one at a time in arrival order, even when a handler is
 * async, so a handler never sees another's statement half-stepped. A handler's exception
 * becomes an error reply carrying its SQLite result code (sqlite-wasm's `resultCode`,
 * wa-sqlite's `code`; null for a DOMException, whose name joins the message instead);
 * nothing is thrown out of the message listener.
 */
export function serve(handlers) {
  let queue = Promise.resolve();
  self.addEventListener('message', (e) => {
    const { v, id, kind, args } = e.data;
    queue = queue.then(async () => {
      try {
        if (v !== VERSION) throw new Error(`rpc: request of version ${v}, expected ${VERSION}`);
        if (!Object.hasOwn(handlers, kind)) throw new Error(`rpc: unknown request kind ${kind}`);
        const result = await handlers[kind](args);
        self.postMessage({ v: VERSION, id, ok: true, result });
      } catch (err) {
        // A DOMException's `code` is a legacy DOM number, not an SQLite one: its name says more.
        const dom = err instanceof DOMException;
        const code = err?.resultCode ?? (dom ? null : err?.code) ?? null;
        const message = `${dom ? `${err.name}: ` : ''}${err?.message ?? err}`;
        self.postMessage({ v: VERSION, id, ok: false, error: { message, code } });
      }
    });
  });
}
