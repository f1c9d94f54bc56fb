// worker.js — the database worker: loads the C core and binds its multi-tab protocol
// (coord, docs/coord.md) to the browser: Web Locks, BroadcastChannel, timers and the
// OPFS storage. Thin by design: the page's requests go to the core as the bytes the page
// encoded, and the answers come back as the core wrote them, whichever tab ran them.
//
// Messages with the page (docs/format.md, "Page ↔ worker messages"):
//   page → worker: first { type: 'open', name, clientId, persistence, durability, debug,
//     lock, wasm, moduleFollows, busyTimeout, freezeMs, idleMs, maxStatementMs (-1: none),
//     pageSize (bytes, or undefined: SQLite's default) },
//     then, when moduleFollows, { type: 'module', module } (the wasm the page compiled, a
//     WebAssembly.Module, or null: load it as without), then SQWQ frames (ArrayBuffers) of
//     requests, { type: 'cancel', id } (the page gave up on request id), { type: 'ping' }
//     (answered { type: 'pong', wasmBytes } between two events: the page's watchdog and
//     memoryUsage()), { type: 'acked', below } (the page settled every request below
//     `below` or gave up on it: sent when it went idle after answers it took from the
//     channel itself), and { type: 'close' } to end.
//   worker → page: { type: 'ready', persistent, persistenceError, vfs, codes, isLeader,
//     epoch, announce, leaderGen, leaderHead } or { type: 'failed', error }; then
//     { type: 'leader', gen, head } when the leader this follower would post to changes
//     (head: coord_direct's 48 bytes, null when none; gen: its u16 naming, which the
//     page's direct requests carry back); SQWA frames of answers (in the order
//     they come: a request answered by another tab may overtake one of this tab's),
//     { type: 'role', isLeader, epoch, announce } when the leadership changes (announce:
//     a shared leader's ANNOUNCE, which its page posts when a tab asks who leads), and
//     { type: 'lease', lease, reason } when the leader ended this tab's transaction,
//     { type: 'recycle' } before it ends itself to give its memory back (see
//     maybeRecycle), { type: 'busy', client } while a request of tab `client` (hex)
//     has run over a second (client null: it ended), and { type: 'versionchange',
//     version } when a tab of a newer wire version runs (see openVersions).
// The worker holds the Web Lock named `lock` for its whole life, so the page learns of
// its death (terminate, crash) when that lock becomes free.
//
// Two modes. Shared (OPFS, with Web Locks and BroadcastChannel): every tab's worker asks
// for the lock `sqlw:<name>:leader`; the holder opens the OPFS files and runs every
// tab's requests; the others send theirs over the channels. Private (a memory database,
// or a context without those APIs): the same machine leads alone, with no channels.
//
// Everything that touches the core runs in one queue, in arrival order; between events
// the storage pool gets the files it asked for (OPFS creates them only asynchronously).

import { loadCoreWith } from './runtime.js';
import { fts5Beside } from './link.js';
import { createBrowserHost } from './host-browser.js';
import { SQLiteError, errorFields } from './errors.js';
import { encodeError } from './codec.js';
import { CoordMachine, ACT, idHex } from './coord.js';
import {
  decodeRequests, encodeAnswers, postFrame, allChannelName, changesChannelName, leaderChannelName, LISTEN_MESSAGE,
  clientChannelName, clientLockName, leaderLockName, pageChannelName, requestChannelName,
  versionChannelName,
  checkChannelMessage, FRAME_DIRECT, giveBack, offerSpare,
} from './protocol.js';
import {
  ANS_DONE, ANS_ERROR, COORD_ANNOUNCE, COORD_DONE, COORD_LEASE_IDLE, COORD_REPLY, COORD_REQUEST,
  COORD_VERSION, REQ_CLOSE, REQ_EXEC, SQLITE_MISUSE, SQLITE_WORKER_PERSISTENCE_UNAVAILABLE,
} from './proto.js';

const PREFIX = '[sqlite-worker]';

// A follower warms the core up this long after it is ready (not before: the page's first
// requests come first).
const WARM_UP_DELAY_MS = 300;
const WARM_UP_SQL = 'CREATE TABLE w(a INTEGER PRIMARY KEY, b TEXT); '
  + "INSERT INTO w(b) SELECT 'x' FROM (WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 200) SELECT n FROM c); "
  + "SELECT count(*) FROM w; BEGIN IMMEDIATE; INSERT INTO w(b) VALUES ('y'); COMMIT";

let debug = false;
let opts = null;         // the open message
let core = null;
let coreLoading = null;  // the core while it loads (a promise), from the open message on
let host = null;
let pool = null;
let poolAhead = null;    // the pool being opened since the leader lock was granted (a promise)
let db = null;
let machine = null;
let shared = false;      // shared mode (see the header)
let sharing = false;     // the leader lock is wanted: shared mode, or at open not ruled out yet
let closed = false;
let queue = Promise.resolve();
let answers = [];        // answers of the current event, posted as one frame
let role = { isLeader: false, epoch: 0 };
let leaderHead = null;   // the leader named to the page last (coord_direct's bytes, or null)
let leaderGen = 0;       // its naming, u16: a direct request carries the one it used
let onRole = null;       // resolves the wait for a first role (see open)
let timer = null;
// requests: hex → [the channel client hex's page posts requests on, the one it hears
// the answers to them on] (see watchClient).
const chan = { all: null, leaderIn: null, versions: null, changes: null, clients: new Map(), requests: new Map() };
let changesWanted = false; // as leader: a page said it listens for change notices
let directFrom = null;     // while a message of a page's requests channel is handled: its client
let ownId = null;          // this client's id (16 bytes)
let newerWire = 0;         // the highest newer wire version another tab speaks (0: none seen)
const alive = new Set();   // senders of an ANNOUNCE whose life lock was seen held (hex)
let channelOrder = Promise.resolve(); // channel messages reach the machine in arrival order
const lock = { name: '', held: false, early: false, release: null, abort: null };
const watches = new Map(); // client hex → AbortController of its life-lock request

/* Logs a debug line (debug mode only). */
function trace(...args) {
  if (debug) console.debug(PREFIX, ...args);
}

// Debug mode: when each step of the first open happened, in ms since the worker started
// (its performance.now()), traced as one line when the worker posts 'ready'.
let openMarks = [];

/* Notes step `what` of the first open (debug mode only). */
function mark(what) {
  if (debug && openMarks !== null) openMarks.push(`${what} ${performance.now().toFixed(1)}`);
}

/* Runs fn after everything queued before it (fn may be async). An exception out of it is
** fatal to this worker (see fatal). After it, the worker may recycle itself. */
function enqueue(fn) {
  queue = queue.then(fn).then(maybeRecycle).catch(fatal);
  return queue;
}

// A shared database's worker whose wasm memory grew past this (a huge result, import or
// export went through it) gives its memory back by ending itself when idle (wasm memory
// never shrinks); its page starts a new one at once.
const RECYCLE_BYTES = 256 * 1024 * 1024;

/*
** Recycles this worker when its memory passed RECYCLE_BYTES and nothing would be lost:
** a shared database (a memory database lives in this worker), no transaction, held or
** pending request, and, as leader, no temp table or attached database on the connection
** (they live only there). The storage is closed cleanly, the page is told, and the
** worker closes itself; another tab may take the lead, as after a closed tab.
*/
function maybeRecycle() {
  if (closed || !shared || !machine || !core || core.memory.buffer.byteLength <= RECYCLE_BYTES) return;
  if (!machine.idle) return;
  if (db && db.stats().local !== 0) return;
  trace(`recycling the worker: its memory grew to ${core.memory.buffer.byteLength} bytes`);
  close();
  self.postMessage({ type: 'recycle' });
  self.close();
}

/*
** Ends this worker after an exception escaped the core's event handling: a wasm trap
** (the instance's stack and heap are then in an unknown state), the engine's own stack
** exhausted under the wasm (RangeError), or a bug. Nothing more runs in this instance:
** the OPFS handles are closed from JavaScript, without the core, so another tab (or this
** tab's next worker) can open the files at once, and the worker closes itself. The page
** sees its life lock freed, starts a new worker and sends the unanswered requests again;
** a request that kills 3 workers is rejected there.
*/
function fatal(e) {
  if (closed) return;
  console.error(PREFIX, 'the worker stops after an internal error (a new one takes over):', e);
  closed = true;
  clearTimeout(timer);
  machine = null;
  db = null;
  pool = null;
  try {
    host?.releaseAll();
  } catch {
    // releaseAll never throws; nothing else can be done here anyway.
  }
  for (const ch of [chan.all, chan.leaderIn, chan.changes, ...chan.clients.values(), ...[...chan.requests.values()].flat()]) ch?.close();
  for (const ctl of watches.values()) ctl.abort();
  lock.abort?.abort();
  lock.release?.();
  self.close();
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

/* ---- performing the machine's actions ------------------------------------------- */

/*
** Performs actions (from a CoordMachine event), then posts the answers they made (unless
** `batch`: the caller posts them with flushAnswers, one frame for many events).
*/
function perform(actions, batch = false) {
  for (const a of actions) {
    switch (a.act) {
      case ACT.POST_ALL:
        chan.all?.postMessage(a.data.buffer);
        break;
      case ACT.POST_LEADER:
        postToLeader(a.data.buffer);
        break;
      case ACT.POST_CLIENT:
        try {
          // The answer to a request a page posted itself goes to that page alone.
          if (a.id === directFrom && a.data[6] === COORD_REPLY) chan.requests.get(a.id)?.[1].postMessage(a.data.buffer);
          else clientChannel(a.id)?.postMessage(a.data.buffer);
        } catch (e) {
          // The browser could not clone it (out of memory): the client's request times
          // out. Answers are at most 256 MiB, so this is rare.
          console.error(PREFIX, `an answer of ${a.data.length} bytes could not be sent to its tab:`, e?.message);
        }
        break;
      case ACT.ROLE:
        setRole(a.leader, a.epoch);
        break;
      case ACT.OPEN_STORAGE:
        openLeaderStorage();
        break;
      case ACT.LOCAL_REPLY:
        answers.push(a.status === COORD_DONE
          ? { id: a.seq, kind: a.kind, parts: [a.data] }
          : { id: a.seq, kind: ANS_ERROR, parts: [a.data] });
        break;
      case ACT.WATCH_CLIENT:
        watchClient(a.id);
        break;
      case ACT.TIMER:
        clearTimeout(timer);
        timer = setTimeout(() => enqueue(() => machine && perform(machine.tick())), Math.max(0, a.at - performance.now()));
        break;
      case ACT.STEAL_LEADER:
        if (newerWire) {
          // The silent leader may be a newer version's: wait in line instead of fighting.
          trace('the leader does not answer, but a newer version runs: not taking its lock');
          break;
        }
        trace('the leader does not answer: taking its lock');
        requestLeadership(true);
        break;
      case ACT.LEASE_LOST:
        self.postMessage({ type: 'lease', lease: a.seq, reason: a.status === COORD_LEASE_IDLE ? 'idle' : 'lost' });
        break;
      default:
        if (a.nomem) console.error(PREFIX, 'out of memory in the multi-tab protocol');
    }
  }
  if (!batch) settle();
}

/* After events: the page learns of a new role and leader, then gets the answers as one
** SQWA frame. */
function settle() {
  // A follower's leader may change without a ROLE action.
  if (machine && !closed && (machine.epoch !== role.epoch || machine.isLeader !== role.isLeader)) {
    setRole(machine.isLeader, machine.epoch);
  }
  nameLeader();
  flushAnswers();
  flushChanges();
}

/*
** A leader's change notice (docs/coord.md, "Change notices"): what the commits of this
** task changed, once, after their answers. Shared: on the changes channel, for every
** page (this tab's too), once a page said it listens (a post costs ~30 µs even when
** nobody hears it; until then the commits' changes add up in the core, and the first
** notice covers them all); alone (a memory database): to this tab's page.
*/
function flushChanges() {
  if (!machine || closed || !role.isLeader || (shared && (!changesWanted || !chan.changes))) return;
  const notice = machine.takeChanges();
  if (!notice) return;
  if (shared) {
    chan.changes.postMessage(notice.buffer);
  } else {
    self.postMessage({ type: 'changes', data: notice.buffer }, [notice.buffer]);
  }
}

/*
** The follower's hop (docs/coord.md): a page whose worker follows posts its requests on
** the leader's channel itself, to the leader named here. When the machine's leader (or
** its epoch) changes, the page is told, with a new naming (gen); a request the page
** posted under an older naming is sent by the machine itself (it may have gone to a
** leader that is gone).
*/
function nameLeader() {
  if (!shared || !machine || closed) return;
  const head = machine.directHead(leaderHead);
  if (head === leaderHead) return;
  leaderHead = head;
  leaderGen = (leaderGen + 1) & 0xffff;
  self.postMessage({ type: 'leader', gen: leaderGen, head: head ? head.slice().buffer : null });
}

/* Posts the answers gathered so far as one SQWA frame. */
function flushAnswers() {
  if (answers.length === 0) return;
  const out = answers;
  answers = [];
  postFrame(self, encodeAnswers(out));
  // Every answer is in the frame now: the machine may write its answer slabs again.
  machine?.answersFramed();
}

/* Records a role change and tells the page; a leader that stepped down closes its files. */
function setRole(isLeader, epoch) {
  const was = role.isLeader;
  role = { isLeader, epoch };
  if (was && !isLeader) stepDown();
  if (isLeader && shared && !chan.leaderIn) {
    chan.leaderIn = new BroadcastChannel(leaderChannelName(opts.name));
    chan.leaderIn.onmessage = (e) => onChannel(e.data);
  }
  if (isLeader && shared && !chan.changes) {
    // Pages that want change notices say so here (LISTEN_MESSAGE); until one does, the
    // core keeps what commits changed and posts nothing.
    chan.changes = new BroadcastChannel(changesChannelName(opts.name));
    chan.changes.onmessage = (e) => {
      if (e.data?.sqlw !== LISTEN_MESSAGE.sqlw || changesWanted) return;
      changesWanted = true;
      enqueue(flushChanges);
    };
  }
  // A follower looks its database's folder up now: taking the lead then opens the files
  // without that step.
  if (!isLeader && shared && !closed) host.prepareFolder(opts.name);
  trace(isLeader ? `leading at epoch ${epoch}` : `following at epoch ${epoch}`);
  if (onRole && (isLeader || epoch > 0)) onRole();
  // A shared leader's page answers "who leads?" (HELLO) for it while it computes: it gets
  // the ANNOUNCE to post (docs/coord.md, "Busy is not frozen").
  const announce = isLeader && shared ? machine?.announcement()?.buffer ?? null : null;
  self.postMessage({ type: 'role', isLeader, epoch, announce });
}

/* Leaves the leadership: closes the storage, stops listening as leader and watching. */
function stepDown() {
  chan.leaderIn?.close();
  chan.leaderIn = null;
  chan.changes?.close();
  chan.changes = null;
  changesWanted = false;
  for (const ctl of watches.values()) ctl.abort();
  watches.clear();
  closeRequests(null);
  closeStorage();
  if (lock.held) {
    // Replaced while holding the lock (it can only have been stolen): let it go and
    // queue for it again.
    lock.release?.();
  }
}

/* Closes the database and the pool, if open, and a pool still being opened ahead. */
function closeStorage() {
  discardPoolAhead();
  machine?.attach(0);
  try {
    db?.close();
  } catch (e) {
    console.error(PREFIX, 'closing the database:', e.message);
  }
  db = null;
  pool?.close();
  pool = null;
}

/* Posts a request on the leader's channel, through an instance that lives one task. */
let leaderOut = null;
function postToLeader(buffer) {
  if (!leaderOut) {
    leaderOut = new BroadcastChannel(leaderChannelName(opts.name));
    // Closed once this task's requests are posted, so this tab does not receive the
    // other tabs' requests (no per-message work in every tab).
    setTimeout(() => {
      leaderOut.close();
      leaderOut = null;
    }, 0);
  }
  leaderOut.postMessage(buffer);
}

/* The channel to client `hex` (the leader's replies), opened once. */
function clientChannel(hex) {
  if (!shared) return null;
  let ch = chan.clients.get(hex);
  if (!ch) {
    ch = new BroadcastChannel(clientChannelName(opts.name, hex));
    chan.clients.set(hex, ch);
  }
  return ch;
}

/*
** Watches client `hex`'s life lock: granted means the client is gone. While watched, its
** page may post requests on its own channel (requestChannelName), which this leader
** hears: opened here, before this leader answers the client (the page posts there only
** once it heard this leader answer it). The answers to those go on the page's channel
** (pageChannelName), which its worker does not hear: it is not woken for them.
*/
function watchClient(hex) {
  if (!shared || watches.has(hex)) return;
  const ctl = new AbortController();
  watches.set(hex, ctl);
  const requests = new BroadcastChannel(requestChannelName(opts.name, hex));
  requests.onmessage = (e) => onChannel(e.data, hex);
  chan.requests.set(hex, [requests, new BroadcastChannel(pageChannelName(opts.name, hex))]);
  navigator.locks.request(clientLockName(opts.name, hex), { signal: ctl.signal }, () => {
    watches.delete(hex);
    closeRequests(hex);
    chan.clients.get(hex)?.close();
    chan.clients.delete(hex);
    trace(`client ${hex.slice(0, 8)} is gone`);
    enqueue(() => machine && perform(machine.clientGone(hex)));
  }).catch(() => {}); // aborted: this worker stopped leading
}

/* Stops hearing client `hex`'s requests channel (every client's when hex is null). */
function closeRequests(hex) {
  for (const [k, pair] of chan.requests) {
    if (hex !== null && k !== hex) continue;
    for (const ch of pair) ch.close();
    chan.requests.delete(k);
  }
}

/*
** Asks for the leader lock (queued behind its holder; steal: take it at once). When
** granted, the machine hears of it; when stolen, it steps down and asks again.
*/
function requestLeadership(steal = false) {
  if (closed) return;
  lock.abort?.abort();
  const ctl = new AbortController();
  lock.abort = ctl;
  const options = steal ? { steal: true } : { signal: ctl.signal };
  let granted = false;
  navigator.locks.request(lock.name, options, () => {
    if (closed) return undefined;
    granted = true;
    lock.held = true;
    lock.abort = null;
    return new Promise((release) => {
      lock.release = release;
      grantedAt = performance.now();
      mark('leader lock');
      trace('granted the leader lock');
      // The machine will ask for the storage (a follower granted the lock opens it): its
      // files are opened from here, without waiting for the queue or, at the first open,
      // for the core to load.
      openPoolAhead();
      if (!machine) {
        lock.early = true; // granted before the core loaded: open() tells the machine
        return;
      }
      enqueue(onLeaderLock);
    });
  }).then(() => {
    // Released by this worker (stepped down, closing, or not sharing after all).
    lock.held = false;
    lock.release = null;
    if (!closed && sharing) requestLeadership();
  }, (e) => {
    if (!granted) return; // the request was aborted (a steal replaced it)
    // Stolen: another tab took the lock from this frozen-looking leader.
    lock.held = false;
    lock.release = null;
    trace('the leader lock was taken by another tab:', e?.name);
    if (lock.early) {
      // Stolen before the core loaded: the machine never heard of it.
      lock.early = false;
      discardPoolAhead();
      if (sharing) requestLeadership();
      return;
    }
    enqueue(() => {
      if (!machine) return;
      perform(machine.lost());
      requestLeadership();
    });
  });
}

/* Tells the machine the leader lock is held; a pool opened ahead that it does not ask for
** is closed again. */
function onLeaderLock() {
  if (!machine) {
    discardPoolAhead();
    return;
  }
  const actions = machine.granted();
  if (!actions.some((a) => a.act === ACT.OPEN_STORAGE)) discardPoolAhead();
  perform(actions);
}

/*
** Starts opening the pool's files as soon as the leader lock is granted (shared mode):
** each file is a round trip to the browser's storage, and the handles do not need the
** core until the pool is made over them, so they open while the core loads or while
** the queue runs what came before. Only the lock's holder opens the files, as always:
** the pool is then either taken by openStorage or closed by discardPoolAhead.
*/
function openPoolAhead() {
  if (!sharing || closed || poolAhead || pool) return;
  poolAhead = host.openPool(core ?? coreLoading, opts.name, { busyTimeout: opts.busyTimeout });
  // The error, if any, is openStorage's to report; nothing waits on it before that.
  poolAhead.then(() => mark('pool'), () => {});
}

/* Closes a pool opened ahead that the machine did not take (once it has opened). */
function discardPoolAhead() {
  const ahead = poolAhead;
  poolAhead = null;
  ahead?.then((p) => {
    try {
      p.close();
    } catch (e) {
      console.error(PREFIX, 'closing a pool opened ahead:', e?.message);
    }
  }, () => {});
}

/*
** Opens the storage as the new leader (the host retries with backoff while a previous
** holder's handles are still being released), then tells the machine. Before the page
** has its 'ready', a failure fails the open instead.
*/
function openLeaderStorage() {
  enqueue(async () => {
    let rc = 0;
    const t0 = performance.now();
    try {
      await openStorage();
      if (debug) trace(`storage opened in ${(performance.now() - t0).toFixed(1)} ms`);
    } catch (e) {
      closeStorage();
      if (onOpenFailed) {
        onOpenFailed(e);
        return;
      }
      rc = e?.errno || 1;
      console.warn(PREFIX, `cannot open "${opts.name}" as the leader (retrying): ${e?.message}`);
    }
    if (!machine) return undefined;
    const t1 = performance.now();
    perform(machine.storageOpened(rc));
    mark('lead');
    if (debug && role.isLeader) {
      trace(`took the lead in ${(performance.now() - t1).toFixed(1)} ms (epoch, bookkeeping, held requests); `
        + `${(performance.now() - grantedAt).toFixed(1)} ms after the lock was granted`);
    }
    return growPool();
  });
}
let onOpenFailed = null; // before ready: a failed open fails openDatabase (see open)
let grantedAt = 0;       // when the leader lock was last granted (debug timings)

/* Opens the pool (shared mode) or a memory database, and attaches the machine. */
async function openStorage() {
  const t0 = performance.now();
  if (shared) {
    openPoolAhead();
    const ahead = poolAhead;
    try {
      pool = await ahead;
    } finally {
      if (poolAhead === ahead) poolAhead = null;
    }
  }
  const t1 = performance.now();
  db = core.open('/' + opts.name, { vfs: pool ? pool.vfs : 'memdb' });
  if (debug) trace(`pool ${(t1 - t0).toFixed(1)} ms (waited here), database ${(performance.now() - t1).toFixed(1)} ms`);
  // The page size counts only for a database that has no page yet: before the switch to
  // WAL writes the first one.
  if (opts.pageSize !== undefined) db.setPageSize(opts.pageSize);
  if (pool) db.setDurability(opts.durability);
  // A memory database is this tab's alone: no records, settings or epoch to keep.
  else db.setPrivate();
  // Every statement this tab runs as leader, whoever asked, stops at maxStatementMs.
  db.setStatementCap(opts.maxStatementMs ?? -1);
  mark('database');
  // The pool opens with files enough for a first transaction; it grows after the next
  // event (growPool), not here: a new leader answers sooner.
  machine.attach(db.handle);
}

/* ---- the page's requests and the channels' messages ------------------------------ */

/* Runs the requests of one frame: each goes to the machine (or is the close). */
function handleFrame(buf) {
  let requests;
  let acked;
  try {
    ({ requests, acked } = decodeRequests(buf));
  } catch (e) {
    console.error(PREFIX, 'dropped a malformed request frame:', e.message);
    return undefined;
  }
  const t0 = debug ? performance.now() : 0;
  machine?.pageAcked(acked);
  for (const r of requests) {
    if (r.kind === REQ_CLOSE) {
      close();
      answers.push({ id: r.id, kind: ANS_DONE, parts: [] });
      continue;
    }
    if (!machine || closed) {
      answers.push({ id: r.id, kind: ANS_ERROR, parts: [encodeError({ errno: SQLITE_MISUSE, message: 'the database is closed' })] });
      continue;
    }
    let actions;
    // Posted by the page to the leader named last: the machine takes it as sent there.
    const direct = (r.flags & FRAME_DIRECT) !== 0 && r.gen === leaderGen && leaderHead !== null;
    try {
      actions = machine.local(r.id, r.lease, r.kind, r.body, r.budget, direct);
    } catch (e) {
      // The core could not take the request (its copy did not fit in memory): answered
      // with the error, and the worker goes on. Anything else is fatal (see enqueue).
      if (!(e instanceof SQLiteError)) throw e;
      answers.push({ id: r.id, kind: ANS_ERROR, parts: [encodeError(errorFields(e))] });
      continue;
    }
    perform(actions, true);
  }
  settle();
  if (debug) trace(`${requests.length} request(s) in ${(performance.now() - t0).toFixed(2)} ms (${role.isLeader ? 'run here' : 'sent to the leader'})`);
  // The machine copied every body: the page may build its next frames in this buffer.
  giveBack(self, buf);
  return growPool();
}

/* The pool asks for files between events; adding them is asynchronous. */
function growPool() {
  if (pool && pool.stat().wanted > 0) return pool.grow();
  return undefined;
}

/*
** A message on a channel (docs/threat-model.md): checked in JavaScript before a byte of it
** is copied into the core (checkChannelMessage: size, shape, sender, addressee); a
** request reaches only a leader; an ANNOUNCE is believed only from a tab that lives (its
** life lock is held), so a forged one from a made-up id cannot lead the followers away;
** on client `from`'s requests channel, only that client's REQUESTs count. Messages
** reach the machine in the order they came.
*/
function onChannel(data, from = null) {
  const m = checkChannelMessage(data, ownId);
  if (typeof m === 'string') {
    trace(`dropped a channel message: ${m}`);
    return;
  }
  if (from !== null && (m.type !== COORD_REQUEST || m.sender !== from)) {
    trace(`dropped a message on the requests channel of ${from.slice(0, 8)}: not its request`);
    return;
  }
  if (m.type === COORD_REQUEST && !role.isLeader) return; // the leader gets it again
  const verified = m.type === COORD_ANNOUNCE ? senderLives(m.sender) : true;
  channelOrder = channelOrder.then(() => verified).then((ok) => {
    if (!ok) {
      trace(`dropped an ANNOUNCE from ${m.sender.slice(0, 8)}: no tab of that id lives`);
      return;
    }
    enqueue(() => {
      if (!machine || closed) return undefined;
      let actions;
      try {
        actions = machine.message(m.bytes);
      } catch (e) {
        if (!(e instanceof SQLiteError)) throw e;
        console.warn(PREFIX, 'dropped a message the core could not take:', e.message);
        return undefined;
      }
      directFrom = from;
      try {
        perform(actions);
      } finally {
        directFrom = null;
      }
      return growPool();
    });
  });
}

/* True (or a Promise of it) when client `hex` of this database lives: its life lock is held. */
function senderLives(hex) {
  if (alive.has(hex)) return true;
  return navigator.locks.query().then(({ held = [] }) => {
    const name = clientLockName(opts.name, hex);
    const lives = held.some((l) => l.name === name);
    if (lives) {
      if (alive.size >= 1000) alive.clear();
      alive.add(hex);
    }
    return lives;
  }, () => false);
}

/*
** The versions channel: every tab says which wire version it speaks when it opens, and
** answers a tab that speaks an older one. A tab that hears of a newer version tells its
** page ('versionchange': reload to get it) and stops taking the leader lock by force
** (steal), so old and new tabs do not fight over the files: the newer tabs lead.
*/
function openVersions(name) {
  chan.versions = new BroadcastChannel(versionChannelName(name));
  const say = () => chan.versions?.postMessage({ sqlw: 'wire', version: COORD_VERSION });
  chan.versions.onmessage = (e) => {
    const v = e.data?.sqlw === 'wire' ? e.data.version : undefined;
    if (!Number.isSafeInteger(v) || v < 1 || v === COORD_VERSION) return;
    if (v < COORD_VERSION) {
      say();
    } else if (v > newerWire) {
      newerWire = v;
      trace(`a tab speaks wire version ${v} (this one ${COORD_VERSION}): asking the page to reload`);
      self.postMessage({ type: 'versionchange', version: v });
    }
  };
  say();
}

/* Ends everything: the machine, the channels, the locks, the storage. */
function close() {
  if (closed) return;
  closed = true;
  clearTimeout(timer);
  closeStorage();
  machine?.destroy();
  machine = null;
  chan.all?.close();
  chan.leaderIn?.close();
  chan.versions?.close();
  chan.versions = null;
  for (const ch of chan.clients.values()) ch.close();
  chan.clients.clear();
  for (const ctl of watches.values()) ctl.abort();
  watches.clear();
  closeRequests(null);
  lock.abort?.abort();
  lock.release?.();
}

/*
** Runs a little SQL on a private memory database, so the wasm functions a new leader
** needs are compiled before a failover needs them (the browser compiles each function
** on its first call: measured ~20 ms of a failover's ~100 ms after the lock).
*/
function warmUp() {
  if (closed || role.isLeader || !core) return;
  enqueue(() => {
    const t0 = performance.now();
    const w = core.open('/sqlw-warm-up', { vfs: 'memdb' });
    try {
      const { rc } = w.raw(REQ_EXEC, { sql: new TextEncoder().encode(WARM_UP_SQL), params: null });
      if (rc !== 0) trace(`warm-up failed: ${core.codeName(rc)}`);
    } finally {
      w.close();
    }
    trace(`warmed up in ${(performance.now() - t0).toFixed(1)} ms`);
  });
}

/* ---- opening ----------------------------------------------------------------------- */

// The Module the page compiled, posted after the open message ({ type: 'module' }): a
// promise of it, or of null when the page could not compile or post it.
let takePageModule = null;
const pageModule = new Promise((resolve) => {
  takePageModule = resolve;
});

/*
** Where the wasm comes from: the Module the page compiled when the open message says one
** follows (moduleFollows), else (or when the page had none) the page's wasmUrl, else the
** bytes a self-contained build inlined (globalThis.sqliteWorkerWasm: bytes or a promise
** of them), else the module beside this file.
*/
function wasmSource(msg) {
  const own = () => (msg.wasm ? new URL(msg.wasm)
    : globalThis.sqliteWorkerWasm ?? new URL('./sqlite-worker.wasm', import.meta.url));
  if (msg.moduleFollows === true) {
    return pageModule.then((m) => {
      mark(m ? 'module from the page' : 'no module from the page');
      return m ?? own();
    });
  }
  return own();
}

/*
** Where FTS5's module comes from (src/js/link.js: fetched the first time a connection
** needs it): beside the page's wasmUrl, else the bytes a self-contained build inlined
** (globalThis.sqliteWorkerFts5: a function returning them), else the module beside this
** file.
*/
function fts5Source(msg) {
  if (msg.wasm) return fts5Beside(msg.wasm);
  return globalThis.sqliteWorkerFts5 ?? new URL('./sqlite-worker-fts5.wasm', import.meta.url);
}

/*
** Answers the open message: loads the core, picks the mode, joins the protocol and waits
** for a first role (this tab leads with its storage open, or a leader is known; at most
** freezeMs). Posts { type: 'ready', ... } or { type: 'failed', error }.
*/
async function open(msg) {
  const t0 = performance.now();
  opts = msg;
  debug = msg.debug === true;
  mark('open message');
  try {
    host = createBrowserHost({
      log: (level, message) => {
        if (level === 0) console.error(PREFIX, message);
        else if (level === 1) console.warn(PREFIX, message);
        else trace(message);
      },
      // Told from inside a request that has run a while (and when it ends): the page ends
      // this worker if the request's tab is gone (no deadline would end it).
      onBusy: (tag) => self.postMessage({ type: 'busy', client: tag ? idHex(tag) : null }),
    });
    // Everything that waits on the browser starts at once: the wasm's download and
    // compilation, the life lock, the OPFS check, then the leader lock and the pool's
    // files (openPoolAhead); the machine starts once the core is loaded.
    // No codec: the machine passes the page's bytes through (runtime.js).
    coreLoading = loadCoreWith({ wasm: wasmSource(msg), host, fts5: fts5Source(msg) });
    coreLoading.then(() => mark('wasm instantiated'), () => {}); // awaited below; a failure is reported there
    const lifeLock = holdLifeLock(msg.lock);
    // Shared mode is likely (OPFS asked for, Web Locks and BroadcastChannel here): the
    // leader lock, and with it the pool's files, are asked for while OPFS is checked.
    if (msg.persistence !== 'memory' && globalThis.navigator?.locks && typeof BroadcastChannel === 'function') {
      sharing = true;
      lock.name = leaderLockName(msg.name);
      requestLeadership();
    }
    let persistenceError = null;
    if (msg.persistence !== 'memory') {
      try {
        await host.checkOpfs();
        if (!globalThis.navigator?.locks || typeof BroadcastChannel !== 'function') {
          throw new SQLiteError('persistence unavailable: this context has no Web Locks or BroadcastChannel, '
            + 'which sharing the database between tabs needs', { errno: SQLITE_WORKER_PERSISTENCE_UNAVAILABLE });
        }
      } catch (e) {
        if (msg.persistence === 'opfs' || e?.errno !== SQLITE_WORKER_PERSISTENCE_UNAVAILABLE) throw e;
        persistenceError = e.message;
        trace('OPFS is not available, using memory:', e.message);
      }
    }
    shared = msg.persistence !== 'memory' && !persistenceError;
    mark('storage checked');
    if (sharing && !shared) {
      // OPFS refused: this tab keeps its database in memory, alone.
      sharing = false;
      lock.early = false;
      lock.abort?.abort();
      lock.release?.();
      discardPoolAhead();
    }
    await lifeLock;
    core = await coreLoading;
    mark('core');
    const t1 = performance.now();
    const firstRole = new Promise((resolve, reject) => {
      onRole = resolve;
      onOpenFailed = reject;
    });
    const clientId = new Uint8Array(msg.clientId.match(/../g).map((h) => parseInt(h, 16)));
    ownId = clientId;
    machine = new CoordMachine(core, clientId, { freezeMs: msg.freezeMs, idleMs: msg.idleMs });
    if (shared) {
      openVersions(msg.name);
      // Listeners first, then HELLO: the leader's ANNOUNCE cannot be missed.
      chan.all = new BroadcastChannel(allChannelName(msg.name));
      chan.all.onmessage = (e) => onChannel(e.data);
      const mine = clientChannel(msg.clientId);
      mine.onmessage = (e) => onChannel(e.data);
      perform(machine.initial);
      if (lock.early) {
        lock.early = false;
        enqueue(onLeaderLock);
      }
    } else {
      perform(machine.granted()); // alone: this client leads its memory database
    }
    let wait;
    const waited = new Promise((resolve) => {
      wait = setTimeout(resolve, msg.freezeMs);
    });
    await Promise.race([firstRole, waited]);
    clearTimeout(wait);
    onRole = null;
    onOpenFailed = null;
    trace(`opened "${msg.name}" ${shared ? 'shared on OPFS' : 'in memory'} in ${(performance.now() - t0).toFixed(1)} ms `
      + `(the core loaded after ${(t1 - t0).toFixed(1)} ms)`);
    if (shared && !role.isLeader) setTimeout(warmUp, WARM_UP_DELAY_MS);
    nameLeader();
    mark('ready');
    if (debug) trace(`open timeline (ms since the worker started): ${openMarks.join(', ')}`);
    openMarks = null;
    self.postMessage({
      type: 'ready', persistent: shared, persistenceError, vfs: shared ? 'opfs' : 'memdb',
      isLeader: role.isLeader, epoch: role.epoch,
      announce: role.isLeader && shared ? machine.announcement()?.buffer ?? null : null,
      leaderGen, leaderHead: leaderHead ? leaderHead.slice().buffer : null,
    });
  } catch (e) {
    trace('open failed:', e);
    onRole = null;
    onOpenFailed = null;
    close();
    self.postMessage({ type: 'failed', error: errorFields(e) });
  }
}

self.onmessage = (e) => {
  const msg = e.data;
  if (msg instanceof ArrayBuffer) {
    enqueue(() => handleFrame(msg));
  } else if (msg && msg.type === 'cancel' && Number.isInteger(msg.id)) {
    // The page gave up on a request (AbortSignal): dropped where it still waits.
    enqueue(() => machine && !closed && perform(machine.cancel(msg.id >>> 0)));
  } else if (msg && msg.type === 'acked' && Number.isInteger(msg.below)) {
    // The page settled every request below `below` (some from the channel, unseen here).
    enqueue(() => machine && !closed && machine.pageAcked(msg.below >>> 0));
  } else if (msg && msg.type === 'spare') {
    // An answer frame the page has read, given back: the next frames are built in it.
    offerSpare(msg.buffer);
  } else if (msg && msg.type === 'ping') {
    // Not queued: answered as soon as the worker is between two events (its page's
    // watchdog, for a leader other tabs wait on).
    self.postMessage({ type: 'pong', wasmBytes: core ? core.memory.buffer.byteLength : 0 });
  } else if (msg && msg.type === 'module') {
    // The page's compiled wasm (see wasmSource); anything else is not one.
    takePageModule(msg.module instanceof WebAssembly.Module ? msg.module : null);
  } else if (msg && msg.type === 'open') {
    // Not queued: the open waits for events that the queue runs (the lock, the storage).
    open(msg);
  } else {
    console.error(PREFIX, 'dropped an unknown message');
  }
};
