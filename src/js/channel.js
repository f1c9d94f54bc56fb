// channel.js — the page's transport to its database worker: starting and watching the
// worker (a Web Lock it holds for its life), sending requests in SQWQ frames (one per
// tick) and settling them from SQWA frames, their deadlines, re-sends after a worker
// restarts (same ids: the leader's records answer those that ran), aborts, and the
// answering of HELLO for a leading worker that is busy. When another tab leads, it posts
// the requests on the leader's channel itself and settles them from the leader's REPLY
// (the follower's hop, docs/coord.md); they still go to the worker, which re-sends them
// if that leader goes. It knows nothing of queries or transactions: its owner (a
// Database) gives it requests as kind + body parts and hears from it through a few calls
// (trace, emit, _role, _leaseEnded, _versionChange).

import { SQLiteError, fromFields } from './errors.js';
import { defaultWasmUrl, spawnWorker } from './spawn.js';
import {
  FRAME_DIRECT, FRAME_MAX, MAX_BODY_BYTES, MAX_IMPORT_BYTES, allChannelName,
  checkChannelMessage, clientChannelName, clientLockName, decodeAnswers,
  encodeCoordRequest, encodeRequests, giveBack, isHello, pageChannelName, postFrame, replyFields,
  offerSpare, requestChannelName, workerLockName,
} from './protocol.js';
import {
  ANS_ERROR, COORD_DONE, COORD_HEADER, COORD_ID_BYTES, COORD_NO_BUDGET, COORD_NOT_LEADER,
  COORD_REPLY, REQ_CANCEL, REQ_CLOSE, REQ_IMPORT, SQLITE_ABORT, SQLITE_INTERRUPT, SQLITE_MISUSE,
  SQLITE_TOOBIG, SQLITE_WORKER_DIED, SQLITE_WORKER_TIMEOUT, SQLITE_WORKER_UNAVAILABLE,
} from './proto.js';
import { PREFIX, abortError } from './options.js';
// The wasm compiled by this page, by URL: a promise of a WebAssembly.Module, or of null
// when the page could not compile it (the worker then loads the wasm itself).
const compiled = new Map();

/*
** Compiles the wasm at `url` in this page, once per page and URL (see Channel#start).
** Returns a promise of the WebAssembly.Module, or of null when it cannot be compiled
** here (no streaming compilation, an HTTP error, a CSP without 'wasm-unsafe-eval'):
** never rejects. A failure is not kept, so a later worker tries again.
*/
function compiledModule(url) {
  let p = compiled.get(url);
  if (!p) {
    p = compileWasm(url).catch(() => {
      // The worker loads the wasm itself and reports what is wrong with it.
      compiled.delete(url);
      return null;
    });
    compiled.set(url, p);
  }
  return p;
}

/* Fetches and compiles the wasm at `url`. Resolves to the Module or null; throws what
** the compilation throws. */
async function compileWasm(url) {
  if (typeof WebAssembly?.compileStreaming !== 'function' || typeof fetch !== 'function') return null;
  const response = await fetch(url);
  if (!response.ok) return null;
  try {
    return await WebAssembly.compileStreaming(response.clone());
  } catch (e) {
    // Refused for a Content-Type other than application/wasm: compiled from the bytes.
    if (!(e instanceof TypeError)) throw e;
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

// How much sooner than this page's deadline the leader's interrupt of a request may
// answer (clocks in milliseconds, budgets rounded down) and still be its timeout.
const INTERRUPT_SLACK_MS = 5;

// A request unanswered this long while a leader holds its lock makes the tab take the
// lock over (docs/coord.md, "Frozen leader").
const FREEZE_MS = 5000;

// A request is sent again to a restarted worker at most this many times (a request that
// kills every worker it reaches is then rejected, not retried forever).
const MAX_RESENDS = 3;

// Requests queued in one tick beyond this many are posted at once as a frame (see
// Channel#enqueue): measured on 10,000 point reads issued together, pipelining the
// page's encoding with the worker's execution.
const FRAME_EAGER = 256;

// A leading worker that answers no ping for maxStatementMs and this long is ended.
const WATCHDOG_GRACE_MS = 5_000;

// A request larger than this goes to the leader through the worker only: posted by the
// page too, its bytes would be copied twice more.
const DIRECT_MAX_BYTES = 1024 * 1024;

// A request this page posted to the leader itself reaches its worker only when it is not
// answered within this time (or when the leader changes): the worker then watches it as
// any request it sent (the leader's freeze, re-sends to a new leader). Most are answered
// sooner and never cost the worker anything. Any value is correct; this one keeps the
// delay it adds to noticing a frozen leader (freezeMs, 5 s) small.
const REGISTER_MS = 50;

// Where a pending request went (p.path).
const NOT_SENT = 0;       // waits in this page (#outgoing, #waiting)
const VIA_WORKER = 1;     // in a frame, for the worker to send
const DIRECT = 2;         // posted to the leader by this page (and in a frame)

/* True when the message `bytes` carries the epoch of the header `head` (both SQWC). */
function sameEpoch(bytes, head) {
  for (let i = 8; i < 16; i++) if (bytes[i] !== head[i]) return false;
  return true;
}

/* A request waiting for its frame, with every field a frame entry reads from the start
** (one shape for buildFrame; #flush sets budget, flags and gen). */
function outgoing(id, kind, lease, parts, deadline) {
  return { id, kind, lease, parts, deadline, budget: COORD_NO_BUDGET, flags: 0, gen: 0 };
}

/*
** The worker runtime's connection: one Worker at a time, its frames, the pending
** requests (kept until answered, so a restarted worker gets them again).
*/
export class Channel {
  #db;
  #worker = null;
  #starting = null;
  #allChannel = null;     // while this tab's worker leads: the page answers HELLO here
  #watchdog = null;       // { worker, timer } while a ping of the worker is unanswered
  #memoryAsks = [];       // memoryBytes() calls waiting for the worker's pong
  #busy = null;           // { client, abort } while the worker runs another tab's request long
  #pending = new Map();   // id → { resolve, reject, deadline, sql, decode, kind, lease, parts, resends }
  #timer = null;          // the one timer of the pending requests' deadlines
  #ready = false;         // the worker has answered 'ready'
  #shared = false;        // the database is shared by tabs (its worker may be restarted)
  #outgoing = [];         // requests of this tick: { id, kind, lease, parts }
  #flushQueued = false;
  #nextId = 1;
  #generation = 0;
  #instance;
  #idle = [];             // resolvers waiting for no pending request (see whenIdle)
  #leader = null;         // { gen, head, hex, heard }: the leader the worker named, or null
  #replies = null;        // this client's channel, where the leader's REPLYs arrive
  #answers = null;        // this page's channel: the answers to the requests it posted
  #requests = null;       // the channel where this page posts requests to the leader
  #ownId = null;          // this client's id (16 bytes)
  #direct = 0;            // pending requests posted to the leader by this page
  #via = 0;               // pending requests sent through the worker
  #waiting = [];          // requests held back so they do not overtake direct ones
  #ackOwed = false;       // answers were taken from the channel since the last frame
  #unregistered = [];     // direct requests not told to the worker yet (see REGISTER_MS)
  #registerTimer = null;

  constructor(db, instance) {
    this.#db = db;
    this.#instance = instance;
  }

  /* Starts the worker if none runs. Resolves with the worker's ready message. */
  start() {
    if (this.#worker) return this.#starting;
    const db = this.#db;
    const o = db.options;
    const generation = ++this.#generation;
    const lock = workerLockName(this.#instance, generation, Math.random().toString(36).slice(2));
    const t0 = performance.now();
    let worker;
    try {
      worker = spawnWorker(db.name, o.workerUrl);
    } catch (e) {
      return Promise.reject(new SQLiteError(`cannot start the database worker: ${e.message}`,
        { errno: SQLITE_WORKER_UNAVAILABLE, cause: e }));
    }
    this.#worker = worker;
    // The page fetches and compiles the wasm while the worker's script loads, and hands
    // the worker the Module (kept for the page's next workers: a restarted worker
    // compiles nothing). Not for a worker of the app's own URL without wasmUrl: where
    // that one finds the wasm is its own affair.
    const wasmUrl = o.wasmUrl ? new URL(o.wasmUrl, globalThis.location?.href).href : undefined;
    const compiling = wasmUrl ?? (o.workerUrl ? null : defaultWasmUrl()?.href ?? null);
    const module = compiling ? compiledModule(compiling) : null;
    this.#starting = new Promise((resolve, reject) => {
      worker.onmessage = (e) => {
        const msg = e.data;
        if (msg?.type === 'ready') {
          worker.onmessage = (ev) => this.#onMessage(ev.data);
          this.#ready = true;
          this.#shared = msg.persistent === true;
          this.#watch(worker, lock, generation);
          db.trace(`worker ready in ${(performance.now() - t0).toFixed(1)} ms on ${msg.vfs}`);
          db._role(msg.isLeader, msg.epoch);
          this.#answerForLeader(msg.announce);
          this.#listenForReplies();
          this.#resend();
          this.#named(msg.leaderGen, msg.leaderHead);
          resolve(msg);
        } else if (msg?.type === 'failed') {
          this.#stop(worker);
          const err = fromFields(msg.error);
          this.#rejectAll(() => err);
          reject(err);
        }
      };
      worker.onerror = (e) => {
        e.preventDefault?.();
        const message = e.message || 'the worker script failed to load (check its URL and the server\'s JavaScript MIME type)';
        if (this.#worker === worker && !this.#ready) {
          this.#stop(worker);
          const err = new SQLiteError(`the database worker failed: ${message}`, { errno: SQLITE_WORKER_UNAVAILABLE });
          this.#rejectAll(() => err);
          reject(err);
        }
        this.#died(worker, message);
      };
      worker.postMessage({
        type: 'open',
        name: db.name,
        clientId: db.clientId,
        persistence: o.persistence,
        durability: o.durability,
        busyTimeout: o.busyTimeoutMs,
        freezeMs: FREEZE_MS,
        idleMs: o.transactionIdleMs,
        maxStatementMs: o.maxStatementMs === Infinity ? -1 : o.maxStatementMs,
        pageSize: o.pageSize,
        debug: o.debug,
        lock,
        wasm: wasmUrl,
        moduleFollows: module !== null,
      });
      module?.then((m) => {
        try {
          worker.postMessage({ type: 'module', module: m });
        } catch {
          // The browser cannot post a Module to this worker: it loads the wasm itself.
          worker.postMessage({ type: 'module', module: null });
        }
      });
    });
    return this.#starting;
  }

  /* Watches the worker's life lock: once it is free, the worker is gone. */
  #watch(worker, lock, generation) {
    if (!globalThis.navigator?.locks) return;
    navigator.locks.request(lock, () => {
      if (this.#generation === generation) this.#died(worker, 'the database worker stopped (terminated or crashed)');
    }).catch(() => {});
  }

  /*
  ** Busy is not frozen (docs/coord.md): while this tab's worker leads a shared database,
  ** this page answers the other tabs' "who leads?" (HELLO, on the channel every client
  ** hears) with the worker's ANNOUNCE, so a worker deep in a long statement is not taken
  ** for a frozen tab; only a page that is silent as a whole (frozen, in the back/forward
  ** cache) loses the lead. announce: the ANNOUNCE bytes (an ArrayBuffer), or null when
  ** the worker does not lead (then the page stops answering).
  */
  #answerForLeader(announce) {
    this.#allChannel?.close();
    this.#allChannel = null;
    if (!announce || !this.#shared || typeof BroadcastChannel !== 'function') return;
    const bytes = new Uint8Array(announce);
    const ch = new BroadcastChannel(allChannelName(this.#db.name));
    ch.onmessage = (e) => {
      if (!isHello(e.data)) return;
      ch.postMessage(bytes);
      this.#checkWorker();
    };
    this.#allChannel = ch;
  }

  /*
  ** Opens this client's channels, once, for a shared database: the one where the leader's
  ** REPLYs arrive (its worker hears them too), the one this page posts its requests on,
  ** which only the leader hears (it listens there while it watches this client; no other
  ** tab opens it, so no follower receives another's requests), and the one the leader
  ** answers those on, which only this page hears.
  */
  #listenForReplies() {
    if (this.#replies || !this.#shared || typeof BroadcastChannel !== 'function') return;
    const hex = this.#db.clientId;
    this.#ownId = new Uint8Array(COORD_ID_BYTES);
    for (let i = 0; i < COORD_ID_BYTES; i++) this.#ownId[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    this.#replies = new BroadcastChannel(clientChannelName(this.#db.name, hex));
    this.#replies.onmessage = (e) => this.#onReply(e.data);
    this.#requests = new BroadcastChannel(requestChannelName(this.#db.name, hex));
    this.#answers = new BroadcastChannel(pageChannelName(this.#db.name, hex));
    this.#answers.onmessage = (e) => this.#onReply(e.data);
  }

  /*
  ** The worker named the leader to post to (head: coord_direct's bytes, or null) as naming
  ** `gen`. This page posts to it once it heard it answer this client (`heard`): the leader
  ** then listens on this client's requests channel, which it opens before answering a
  ** client it did not know. The requests this page posted before are the worker's to send
  ** from now on
  ** (it re-sends them when the leader changed), so they count as sent through it: a new
  ** request goes through the worker too until they are answered, not to overtake them.
  */
  #named(gen, head) {
    if (!Number.isInteger(gen)) return;
    let hex = null;
    let bytes = null;
    if (head instanceof ArrayBuffer && head.byteLength === COORD_HEADER + COORD_ID_BYTES) {
      bytes = new Uint8Array(head);
      hex = '';
      for (let i = COORD_HEADER; i < bytes.length; i++) hex += bytes[i].toString(16).padStart(2, '0');
    }
    this.#register();     // the worker sends them to the new leader, if any
    this.#leader = bytes ? { gen, head: bytes, hex, heard: false } : null;
    if (this.#direct > 0) {
      for (const p of this.#pending.values()) if (p.path === DIRECT) p.path = VIA_WORKER;
      this.#via += this.#direct;
      this.#direct = 0;
    }
    if (this.#waiting.length) this.#flush();
  }

  /*
  ** A message on this client's channel. A REPLY settles a request this page posted,
  ** when it comes from the leader it posted it to (checked as the worker checks every
  ** channel message: size, shape, addressee); anything else is the worker's business.
  */
  #onReply(data) {
    const lead = this.#leader;
    if (this.#direct === 0 && this.#via === 0 && (lead === null || lead.heard)) return;
    const m = checkChannelMessage(data, this.#ownId);
    if (typeof m === 'string' || m.type !== COORD_REPLY) return;
    if (lead && !lead.heard && m.sender === lead.hex && sameEpoch(m.bytes, lead.head)) lead.heard = true;
    const { seq, status, body } = replyFields(m.bytes);
    if (status === COORD_NOT_LEADER || body.length === 0) return;
    const p = this.#pending.get(seq);
    if (!p || p.to !== m.sender) return;
    this.#take(seq, p);
    if (p.registered) this.#ackOwed = true;
    this.#answer(p, status === COORD_DONE ? body[0] : ANS_ERROR, body.subarray(1));
    this.#settled();
  }

  /*
  ** A tab waits on this page's worker (it asked who leads): the worker must still make
  ** progress. It answers a ping between two events; one that does not answer within
  ** maxStatementMs (every statement's cap) and WATCHDOG_GRACE_MS more is stuck where no
  ** deadline reaches (a flush that does not return, a bug): it is terminated, which moves
  ** the lead as a closed tab does, and this page's requests go to a new worker. With no
  ** maxStatementMs a busy worker is never judged stuck.
  */
  #checkWorker() {
    const cap = this.#db.options.maxStatementMs;
    const worker = this.#worker;
    if (cap === Infinity || !worker || this.#watchdog) return;
    const limit = cap + WATCHDOG_GRACE_MS;
    this.#watchdog = {
      worker,
      timer: setTimeout(() => {
        this.#watchdog = null;
        if (this.#worker !== worker) return;
        console.warn(PREFIX, `the database worker made no progress for ${limit} ms (maxStatementMs ${cap}): ending it`);
        this.#died(worker, `the database worker made no progress for ${limit} ms (maxStatementMs) and was ended`);
      }, limit),
    };
    worker.postMessage({ type: 'ping' });
  }

  /* The worker answered a ping (msg, with its memory's size; null: the worker is gone). */
  #pong(msg) {
    clearTimeout(this.#watchdog?.timer);
    this.#watchdog = null;
    for (const resolve of this.#memoryAsks.splice(0)) resolve(msg?.wasmBytes ?? 0);
  }

  /* The size of this page's worker's wasm memory, asked between two of its events; 0
  ** with no worker running. */
  memoryBytes() {
    const worker = this.#worker;
    if (!worker) return Promise.resolve(0);
    return new Promise((resolve) => {
      this.#memoryAsks.push(resolve);
      worker.postMessage({ type: 'ping' });
    });
  }

  /* Forgets the worker (terminating it); pending requests are the caller's business. */
  #stop(worker) {
    if (this.#worker !== worker) return;
    this.#answerForLeader(null);
    this.#pong(null);
    this.#busy?.abort.abort();
    this.#busy = null;
    this.#worker = null;
    this.#starting = null;
    this.#ready = false;
    this.#outgoing = [];
    this.#waiting = [];
    this.#unregistered = [];
    clearTimeout(this.#registerTimer);
    this.#registerTimer = null;
    this.#leader = null;    // the next worker names one
    worker.terminate();
  }

  /* Rejects every pending request with errorOf(p). */
  #rejectAll(errorOf) {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#direct = 0;
    this.#via = 0;
    this.#outgoing = [];
    this.#waiting = [];
    clearTimeout(this.#timer);
    this.#timer = null;
    for (const p of pending) p.reject(errorOf(p));
    this.#settled();
  }

  /*
  ** A worker died. A shared database's requests survive it: a new worker starts and gets
  ** them again (a request that was with MAX_RESENDS workers that died is rejected instead). A memory
  ** database died with its worker: its requests reject with SQLITE_WORKER_DIED.
  */
  #died(worker, why) {
    if (this.#worker !== worker) return;
    this.#stop(worker);
    this.#db.trace(`worker died: ${why}`);
    this.#db.emit('workerdied', { reason: why });
    const dead = (p) => new SQLiteError(`${why}; the request may or may not have run. The next request starts a new worker.`,
      { errno: SQLITE_WORKER_DIED, sql: p.sql });
    if (!this.#shared) {
      this.#rejectAll(dead);
      return;
    }
    for (const [id, p] of this.#pending) {
      if (++p.resends >= MAX_RESENDS) {
        // It may be what stops them (a trap in the core): never sent again.
        this.#take(id, p);
        p.reject(new SQLiteError(`${why}; ${MAX_RESENDS} workers stopped while this request was with them `
          + '(it may be what stops them), so it is not sent again; it may or may not have run',
        { errno: SQLITE_WORKER_DIED, sql: p.sql }));
      }
    }
    this.#settled();
    if (this.#pending.size) this.restart();
  }

  /*
  ** The worker ends itself to give its memory back (it had nothing pending): not a death.
  ** A new one starts now if requests are waiting, else with the next request.
  */
  #recycled() {
    if (!this.#worker) return;
    this.#db.trace('the worker recycles itself (its memory grew); a new one takes over');
    this.#replace();
  }

  /* Ends the worker and starts another for the pending requests: not a death. */
  #replace() {
    this.#generation++;   // its life lock's release is not a death
    this.#stop(this.#worker);
    if (this.#pending.size) this.restart();
  }

  /*
  ** The leading worker reports that a request of tab `client` (hex) has run a while, or
  ** (null) that it ended. A request of another tab that is gone would run on with no one
  ** to answer (timeoutMs Infinity and no maxStatementMs set no deadline), holding every
  ** tab's requests: when that tab's life lock comes free, this page ends its worker (a
  ** replacement, not a death) and the lead moves or restarts; the gone tab's request is
  ** never sent again.
  */
  #onBusy(client) {
    this.#busy?.abort.abort();
    this.#busy = null;
    const worker = this.#worker;
    if (typeof client !== 'string' || !this.#shared || !worker || client === this.#db.clientId) return;
    if (!globalThis.navigator?.locks) return;
    const abort = new AbortController();
    this.#busy = { client, abort };
    this.#db.trace(`the worker runs a request of tab ${client.slice(0, 8)}… for over a second; watching that tab`);
    navigator.locks.request(clientLockName(this.#db.name, client), { signal: abort.signal }, () => {
      if (this.#worker !== worker || this.#busy?.client !== client) return;
      this.#busy = null;
      console.warn(PREFIX, `the database worker runs a request of a tab that is gone (${client.slice(0, 8)}…): ending it`);
      this.#replace();
    }).catch(() => {}); // aborted: the request ended first
  }

  /* Starts a new worker for the pending requests (after a death or a pagehide). */
  restart() {
    if (this.#worker || this.#db.closedForGood) return;
    this.start().catch((e) => this.#db.trace('restarting the worker failed:', e.message));
  }

  /* Stops the worker without failing its requests (pagehide: free the storage now). */
  suspend() {
    if (!this.#worker || !this.#shared) return;
    this.#generation++;
    this.#stop(this.#worker);
  }

  /* Sends every pending request to a new worker, in order (same ids). */
  #resend() {
    if (this.#pending.size === 0) return;
    this.#outgoing = [];
    this.#waiting = [];
    this.#direct = 0;
    this.#via = 0;
    for (const [id, p] of this.#pending) {
      p.path = NOT_SENT;
      this.#outgoing.push(outgoing(id, p.kind, p.lease, p.parts, p.deadline));
    }
    this.#db.trace(`sending ${this.#pending.size} request(s) again to the new worker`);
    this.#flush();
  }

  /*
  ** Sends one request. kind: OP_*; parts: Uint8Arrays of its body; decode(kind, body)
  ** turns the answer into the value the promise resolves with (or throws); lease: the
  ** transaction it belongs to (0: none); onId(id) learns the request's id. Returns a
  ** Promise of that value.
  */
  request(kind, parts, sql, decode, lease = 0, onId = null, signal = null) {
    if (this.#ready && this.#worker) return this.#enqueue(kind, parts, sql, decode, lease, onId, signal);
    return this.start().then(() => this.#enqueue(kind, parts, sql, decode, lease, onId, signal));
  }

  /* Queues a request for this tick's frame. Returns its Promise. */
  #enqueue(kind, parts, sql, decode, lease, onId, signal) {
    if (signal?.aborted) return Promise.reject(abortError(signal, sql));
    let size = 0;
    for (const part of parts) size += part.length;
    const max = kind === REQ_IMPORT ? MAX_IMPORT_BYTES : MAX_BODY_BYTES;
    if (size > max) {
      return Promise.reject(new SQLiteError(`the request is ${size} bytes: more than a request can carry `
        + `(${max} bytes)${kind === REQ_IMPORT ? '' : '; split it (runMany in chunks, one value at a time)'}`,
      { errno: SQLITE_TOOBIG, sql }));
    }
    if (this.#nextId > 0xffffffff) {
      // Ids are u32 and the leader refuses one below this tab's floor as a late copy:
      // they cannot wrap. A new open gets a new client id, and ids start again.
      return Promise.reject(new SQLiteError('this tab has made 4,294,967,295 requests to the database, all one '
        + 'connection can number: close it and open it again', { errno: SQLITE_MISUSE, sql }));
    }
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      onId?.(id);
      const timeoutMs = this.#db.options.timeoutMs;
      if (signal) {
        // Aborted: rejected at once; dropped where it still waits (here, in the worker, or
        // held by the leader). A statement already running ends only at its deadline.
        const onAbort = () => this.#abort(id, signal);
        signal.addEventListener('abort', onAbort, { once: true });
        const [res, rej] = [resolve, reject];
        resolve = (v) => { signal.removeEventListener('abort', onAbort); res(v); };
        reject = (e) => { signal.removeEventListener('abort', onAbort); rej(e); };
      }
      const deadline = performance.now() + timeoutMs;
      this.#pending.set(id, {
        resolve, reject, deadline, sql, decode, kind, lease, parts, resends: 0,
        path: NOT_SENT, to: null, size,
      });
      if (this.#timer === null && timeoutMs !== Infinity) this.#timer = setTimeout(() => this.#expire(), timeoutMs);
      this.#outgoing.push(outgoing(id, kind, lease, parts, deadline));
      // A long run of requests goes out in frames of FRAME_EAGER as it is made, so the
      // worker starts on the first while this thread still encodes the rest.
      if (this.#outgoing.length >= FRAME_EAGER) this.#flush();
      else if (!this.#flushQueued) {
        this.#flushQueued = true;
        queueMicrotask(() => {
          this.#flushQueued = false;
          this.#flush();
        });
      }
    });
  }

  /* Request id's AbortSignal fired: it rejects now, and is withdrawn where it waits. */
  #abort(id, signal) {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#take(id, p);
    if (p.path === NOT_SENT) {
      this.#outgoing = this.#outgoing.filter((r) => r.id !== id);
      this.#waiting = this.#waiting.filter((r) => r.id !== id);
    } else if (p.path === DIRECT && !p.registered) {
      // Only the leader has it: withdrawn there, as the worker would.
      const acked = this.#pending.keys().next().value ?? this.#nextId;
      this.#post([[null, encodeCoordRequest(p.head, { seq: id, lease: 0, acked, kind: REQ_CANCEL, budget: 0 }, [])]]);
    } else if (this.#worker && this.#ready) {
      this.#worker.postMessage({ type: 'cancel', id });
    }
    p.reject(abortError(signal, p.sql));
    this.#settled();
  }

  /*
  ** Rejects the requests whose deadline has passed and sets the timer for the next one.
  ** One timer serves every request: they share timeoutMs, so the oldest (first in
  ** #pending) is always the next to expire.
  */
  #expire() {
    this.#timer = null;
    const now = performance.now();
    const timeoutMs = this.#db.options.timeoutMs;
    for (const [id, p] of this.#pending) {
      if (p.deadline > now) {
        this.#timer = setTimeout(() => this.#expire(), p.deadline - now);
        break;
      }
      this.#take(id, p);
      p.reject(new SQLiteError(`no answer within ${timeoutMs} ms (the request may still run)`,
        { errno: SQLITE_WORKER_TIMEOUT, sql: p.sql }));
    }
    this.#settled();
  }

  /*
  ** Posts the requests of this tick (after those held back) as frames (FRAME_MAX requests
  ** per frame). While another tab leads, a request goes to it directly (posted here on
  ** the leader's channel, and flagged so in the frame) unless a request sent through the
  ** worker still waits, which it would overtake; a request that cannot go directly (see
  ** #canPost) waits while direct ones are pending, for the same reason. Requests of one
  ** page thus reach the leader in the order they were made.
  */
  #flush() {
    let out = this.#outgoing;
    this.#outgoing = [];
    if (this.#waiting.length) {
      out = this.#waiting.concat(out);
      this.#waiting = [];
    }
    if (!this.#worker || !this.#ready || out.length === 0) return;
    // Every request below the oldest pending one was answered here or given up (ids
    // grow; the leader may drop this client's records of them).
    const acked = this.#pending.keys().next().value ?? out[0].id;
    // Each request tells the leader how long this page still waits for it: past that the
    // leader interrupts it (SQLITE_INTERRUPT), or does not run it at all.
    const now = performance.now();
    const lead = this.#leader;
    const sent = [];
    let posts = null;      // [r, bytes] posted to the leader by this page
    let i = 0;
    for (; i < out.length; i++) {
      const r = out[i];
      const p = this.#pending.get(r.id);
      if (!p) continue; // aborted or timed out while it waited
      r.budget = r.deadline === Infinity ? COORD_NO_BUDGET : Math.max(0, Math.floor(r.deadline - now));
      if (lead?.heard && this.#via === 0 && this.#canPost(p)) {
        posts ??= [];
        posts.push([r, encodeCoordRequest(lead.head, { seq: r.id, lease: r.lease, acked, kind: r.kind, budget: r.budget }, r.parts)]);
        r.flags = FRAME_DIRECT;
        r.gen = lead.gen;
        p.path = DIRECT;
        p.to = lead.hex;
        p.head = lead.head;
        p.registered = false;
        this.#direct++;
        continue;
      } else if (this.#direct > 0) {
        break;
      } else {
        r.flags = 0;
        p.path = VIA_WORKER;
        this.#via++;
      }
      sent.push(r);
    }
    if (i < out.length) this.#waiting = out.slice(i);
    if (posts) this.#post(posts);
    if (sent.length) this.#frame(sent, acked);
  }

  /* Posts requests to the worker as frames (FRAME_MAX per frame) after the floor acked. */
  #frame(sent, acked) {
    this.#ackOwed = false;
    for (let k = 0; k < sent.length; k += FRAME_MAX) {
      postFrame(this.#worker, encodeRequests(sent.length <= FRAME_MAX ? sent : sent.slice(k, k + FRAME_MAX), acked));
    }
  }

  /* True when pending request p may be posted to the leader by this page: not a close
  ** (its worker's business) and small enough (DIRECT_MAX_BYTES). */
  #canPost(p) {
    return p.kind !== REQ_CLOSE && p.size <= DIRECT_MAX_BYTES && this.#replies !== null;
  }

  /*
  ** Posts REQUEST messages ([r, bytes]) on this client's requests channel; the requests
  ** go to the worker REGISTER_MS later unless answered by then (see #register). Those
  ** that cannot be posted (the browser could not clone one: out of memory) go to the
  ** worker now, for it to send.
  */
  #post(posts) {
    let k = 0;
    try {
      for (; k < posts.length; k++) {
        this.#requests.postMessage(posts[k][1]);
        if (posts[k][0]) this.#unregistered.push(posts[k][0]);
      }
    } catch (e) {
      console.error(PREFIX, 'a request could not be posted to the leader (its worker sends it):', e?.message);
      const rest = [];
      for (; k < posts.length; k++) {
        const [r] = posts[k];
        const p = r && this.#pending.get(r.id);
        if (p?.path !== DIRECT) continue;
        r.flags = 0;
        p.path = VIA_WORKER;
        p.to = null;
        this.#direct--;
        this.#via++;
        rest.push(r);
      }
      if (rest.length) this.#frame(rest, this.#pending.keys().next().value ?? rest[0].id);
    }
    if (this.#unregistered.length && this.#registerTimer === null) {
      this.#registerTimer = setTimeout(() => {
        this.#registerTimer = null;
        this.#register();
      }, REGISTER_MS);
    }
  }

  /*
  ** Tells the worker of the direct requests still unanswered: flagged direct with the
  ** naming they were posted under, so its machine counts them as sent to that leader
  ** (or, named another since, sends them itself).
  */
  #register() {
    const list = this.#unregistered;
    if (list.length === 0) return;
    this.#unregistered = [];
    const now = performance.now();
    const sent = [];
    for (const r of list) {
      const p = this.#pending.get(r.id);
      if (!p || p.path !== DIRECT) continue;
      p.registered = true;
      r.budget = r.deadline === Infinity ? COORD_NO_BUDGET : Math.max(0, Math.floor(r.deadline - now));
      sent.push(r);
    }
    if (sent.length && this.#worker && this.#ready) this.#frame(sent, this.#pending.keys().next().value ?? sent[0].id);
  }

  /* A message of the worker: an SQWA frame, or a role or lease notice. */
  #onMessage(msg) {
    if (msg instanceof ArrayBuffer) this.#onFrame(msg);
    else if (msg?.type === 'spare') offerSpare(msg.buffer); // a request frame, read: see protocol.js
    else if (msg?.type === 'pong') this.#pong(msg);
    else if (msg?.type === 'recycle') this.#recycled();
    else if (msg?.type === 'busy') this.#onBusy(msg.client);
    else if (msg?.type === 'role') {
      this.#db._role(msg.isLeader, msg.epoch);
      this.#answerForLeader(msg.announce);
    }
    else if (msg?.type === 'leader') this.#named(msg.gen, msg.head);
    else if (msg?.type === 'lease') this.#db._leaseEnded(msg.lease, msg.reason);
    else if (msg?.type === 'changes') this.#db._changes(msg.data);
    else if (msg?.type === 'versionchange') this.#db._versionChange(msg.version);
  }

  /* Settles the requests answered by one SQWA frame. */
  #onFrame(buf) {
    let answers;
    try {
      answers = decodeAnswers(buf);
    } catch (e) {
      console.error(PREFIX, 'dropped a malformed answer frame:', e.message);
      return;
    }
    for (const a of answers) {
      const p = this.#pending.get(a.id);
      if (!p) continue; // timed out already, or answered from the channel
      this.#take(a.id, p);
      this.#answer(p, a.kind, a.body);
    }
    // Every answer was decoded into values of their own (codec.js keeps no view of a
    // body): the worker may build its next frames in this buffer (protocol.js, offerSpare).
    if (this.#worker) giveBack(this.#worker, buf);
    this.#settled();
  }

  /* Settles pending request p (taken already) with the answer of kind `kind`. */
  #answer(p, kind, body) {
    try {
      p.resolve(p.decode(kind, body));
    } catch (e) {
      p.reject(this.#timedOut(e, p) ?? e);
    }
  }

  /* Removes pending request id (p) from the counts of where requests went. Once no
  ** direct request is pending, the requests held back go. */
  #take(id, p) {
    this.#pending.delete(id);
    if (p.path === DIRECT) {
      if (--this.#direct === 0 && this.#waiting.length) queueMicrotask(() => this.#flush());
    } else if (p.path === VIA_WORKER) {
      this.#via--;
    }
  }

  /*
  ** The leader interrupts a request at the deadline this page gave it, so its answer
  ** (SQLITE_INTERRUPT) can arrive just before this page's own timer fires: then it is this
  ** page's timeout all the same. Returns that SQLITE_WORKER_TIMEOUT error, or null when
  ** e is another error (maxStatementMs's interrupt comes earlier than the deadline).
  */
  #timedOut(e, p) {
    if (e?.errno !== SQLITE_INTERRUPT || performance.now() < p.deadline - INTERRUPT_SLACK_MS) return null;
    return new SQLiteError(`no answer within ${this.#db.options.timeoutMs} ms (the statement was interrupted)`,
      { errno: SQLITE_WORKER_TIMEOUT, sql: p.sql });
  }

  /*
  ** Once nothing is pending: the worker learns the page's floor if answers came from the
  ** channel since the last frame (its machine would keep those requests; a next request
  ** in this task carries the floor in its frame, then nothing is posted), and the
  ** whenIdle() waits resolve.
  */
  #settled() {
    if (this.#pending.size === 0 && this.#ackOwed) {
      this.#ackOwed = false;
      setTimeout(() => {
        if (this.#pending.size === 0 && this.#worker && this.#ready) {
          this.#worker.postMessage({ type: 'acked', below: this.#nextId });
        }
      }, 0);
    }
    if (this.#pending.size || this.#idle.length === 0) return;
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }

  /* Resolves when no request is pending (answered, rejected or timed out). */
  whenIdle() {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /* Ends the worker after close: nothing is pending any more. */
  end() {
    if (this.#worker) this.#stop(this.#worker);
    this.#replies?.close();
    this.#replies = null;
    this.#requests?.close();
    this.#requests = null;
    this.#answers?.close();
    this.#answers = null;
    this.#generation++;
    clearTimeout(this.#timer);
    this.#timer = null;
  }

  /*
  ** Gives up on the worker (db.close() waited too long for it): every pending request
  ** rejects with SQLITE_ABORT and the worker is terminated, which frees its locks and
  ** files as a closed tab's are (a statement it was running is rolled back).
  */
  abort(why) {
    if (this.#worker) this.#stop(this.#worker);
    this.#rejectAll((p) => new SQLiteError(`the database was closed before this request was answered (${why})`,
      { errno: SQLITE_ABORT, sql: p.sql }));
  }
}
