// coord.js — the worker's handle on the core's multi-tab state machine (src/core/coord.h,
// docs/coord.md, the coord_* exports of docs/wasm-abi.md): events go in, and each event
// returns the actions the machine asks for, as plain objects with their bytes copied out
// of wasm memory. It owns no browser object: worker.js turns the actions into posts,
// locks and timers.

import { SQLiteError } from './errors.js';
import { TRANSFER_MIN, copyInto, framedPart } from './protocol.js';
import {
  COORD_ACT_LEASE_LOST, COORD_ACT_LOCAL_REPLY, COORD_ACT_OPEN_STORAGE, COORD_ACT_POST_ALL,
  COORD_ACT_POST_CLIENT, COORD_ACT_POST_LEADER, COORD_ACT_ROLE, COORD_ACT_STEAL_LEADER,
  COORD_ACT_TIMER, COORD_ACT_WATCH_CLIENT, COORD_DIRECT_HEAD, COORD_ID_BYTES, SQLITE_NOMEM,
} from './proto.js';

/** What the machine asks for (COORD_ACT_* of coord.h). */
export const ACT = {
  POST_LEADER: COORD_ACT_POST_LEADER,     // post data on the leader's channel
  POST_CLIENT: COORD_ACT_POST_CLIENT,     // post data on client id's channel
  POST_ALL: COORD_ACT_POST_ALL,           // post data on the channel every client hears
  ROLE: COORD_ACT_ROLE,                   // this client's role changed: leader, epoch
  OPEN_STORAGE: COORD_ACT_OPEN_STORAGE,   // open the database, then storageOpened()
  LOCAL_REPLY: COORD_ACT_LOCAL_REPLY,     // this tab's request seq is answered: status, kind, data
  WATCH_CLIENT: COORD_ACT_WATCH_CLIENT,   // ask for client id's life lock; clientGone() when granted
  TIMER: COORD_ACT_TIMER,                 // call tick() at `at` (ms) or later
  STEAL_LEADER: COORD_ACT_STEAL_LEADER,   // the leader seems frozen: take its lock with steal
  LEASE_LOST: COORD_ACT_LEASE_LOST,       // this tab's transaction `seq` ended: status is the reason
};
// The scratch buffer is shrunk back after a message larger than this.
const SCRATCH_KEEP = 1 << 20;
// The size of a slab of small answers (each < TRANSFER_MIN, so a slab holds at least one).
const SLAB_BYTES = TRANSFER_MIN;
// The slabs kept for the next answers once framed (1 MiB: a frame of 256 answers of 4 KiB).
const SLABS_KEPT = 256;
// The slab before the first answer: full, so the first answer takes a slab of its own.
const NO_SLAB = new Uint8Array(0);

/** The hex text of a client id. */
export function idHex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** The bytes of a client id from its hex text (32 hex digits). Throws on anything else. */
export function idBytes(hex) {
  if (typeof hex !== 'string' || !/^[0-9a-f]{32}$/.test(hex)) throw new TypeError('a client id is 32 lowercase hex digits');
  const out = new Uint8Array(COORD_ID_BYTES);
  for (let i = 0; i < COORD_ID_BYTES; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** One client's machine in a loaded core. Call destroy() when done. */
export class CoordMachine {
  #x;
  #memory;
  #c;
  #slab = NO_SLAB;           // where small answers are copied (see #answer)
  #slabUsed = 0;
  #slabs = [];               // the slabs filled since answersFramed(), in order
  #slabAt = -1;              // the index of #slab in #slabs
  #heap8 = new Uint8Array(0);

  /*
  ** core: a loaded Core; id: this client's 16 bytes; freezeMs, idleMs: see coordCreate.
  ** Throws SQLiteError SQLITE_NOMEM. The HELLO it posts is in `initial` (perform it).
  */
  constructor(core, id, { freezeMs, idleMs }) {
    this.#x = core.exports;
    this.#memory = core.memory;
    this.#c = this.#x.coord_create(this.#put(id), freezeMs, idleMs, performance.now());
    if (!this.#c) throw new SQLiteError('out of memory', { errno: SQLITE_NOMEM });
    this.initial = this.#actions(0);
  }

  /* Copies bytes into the core's scratch buffer. Returns their pointer. */
  #put(bytes) {
    const p = this.#x.scratch(bytes.length || 1);
    if (!p) throw new SQLiteError('out of memory', { errno: SQLITE_NOMEM });
    new Uint8Array(this.#memory.buffer, p, bytes.length).set(bytes);
    return p;
  }

  /* Takes the actions of the event that returned rc. Returns them (see ACT). */
  #actions(rc, size = 0) {
    const x = this.#x;
    if (size > SCRATCH_KEEP) x.scratch(0);
    const out = [];
    for (let act = x.coord_next(this.#c); act; act = x.coord_next(this.#c)) {
      const a = { act };
      switch (act) {
        case ACT.POST_LEADER:
        case ACT.POST_ALL:
        case ACT.POST_CLIENT:
          a.data = this.#bytes(x.coord_act_data(), x.coord_act_len());
          if (act === ACT.POST_CLIENT) a.id = idHex(this.#bytes(x.coord_act_id(), COORD_ID_BYTES));
          break;
        case ACT.ROLE:
          a.leader = x.coord_act_leader() === 1;
          a.epoch = x.coord_act_epoch();
          break;
        case ACT.LOCAL_REPLY:
          a.seq = x.coord_act_seq();
          a.status = x.coord_act_status();
          a.kind = x.coord_act_kind();
          a.data = this.#answer(x.coord_act_data(), x.coord_act_len());
          break;
        case ACT.WATCH_CLIENT:
          a.id = idHex(this.#bytes(x.coord_act_id(), COORD_ID_BYTES));
          break;
        case ACT.TIMER:
          a.at = x.coord_act_at();
          break;
        case ACT.LEASE_LOST:
          a.seq = x.coord_act_seq();
          a.status = x.coord_act_status();
          break;
        default:
          break;
      }
      out.push(a);
    }
    if (rc === SQLITE_NOMEM) out.push({ act: 0, nomem: true });
    return out;
  }

  /* An answer's n bytes at p. One large enough for its frame to be transferred is copied
   *  once: into the place of a one-entry SQWA frame's body (it usually travels alone,
   *  and then as that frame); a small one into the current answer slab, a view of which
   *  is returned (an ArrayBuffer per small answer cost the worker ~3 µs each: a third of
   *  W5's 10,000 point reads). A slab is not written again until answersFramed() says
   *  that every answer returned so far has been copied into a frame: the slabs are then
   *  filled again from the first (a new one costs its 4 KiB of fresh memory). */
  #answer(p, n) {
    if (n >= TRANSFER_MIN) {
      const out = framedPart(n);
      out.set(this.#heap().subarray(p, p + n));
      return out;
    }
    if (this.#slabUsed + n > this.#slab.length) {
      if (++this.#slabAt === this.#slabs.length) this.#slabs.push(new Uint8Array(SLAB_BYTES));
      this.#slab = this.#slabs[this.#slabAt];
      this.#slabUsed = 0;
    }
    const at = this.#slabUsed;
    copyInto(this.#slab, this.#heap().subarray(p, p + n), at);
    this.#slabUsed += n;
    return this.#slab.subarray(at, at + n);
  }

  /** Every answer this machine returned has been copied into a frame (or dropped): its
   *  slabs may be written again. At most SLABS_KEPT are kept for that. */
  answersFramed() {
    if (this.#slabs.length > SLABS_KEPT) this.#slabs.length = SLABS_KEPT;
    this.#slabAt = -1;
    this.#slab = NO_SLAB;
    this.#slabUsed = 0;
  }

  /* A view of all of wasm memory (a new one after the memory grew: the old is detached). */
  #heap() {
    if (this.#heap8.length === 0) this.#heap8 = new Uint8Array(this.#memory.buffer);
    return this.#heap8;
  }

  /* A copy of n bytes of wasm memory at p (an empty array for none). */
  #bytes(p, n) {
    return this.#heap().slice(p, p + n);
  }

  /** The leader's engine over the open connection `handle` (0: none). */
  attach(handle) {
    this.#x.coord_attach(this.#c, handle);
  }

  /** The leader lock was granted. Returns the actions. */
  granted() {
    return this.#actions(this.#x.coord_leader_granted(this.#c, performance.now()));
  }

  /** The leader lock was stolen. Returns the actions. */
  lost() {
    return this.#actions(this.#x.coord_leader_lost(this.#c, performance.now()));
  }

  /** The storage asked for opened (rc 0) or not. Returns the actions. */
  storageOpened(rc) {
    return this.#actions(this.#x.coord_storage_opened(this.#c, rc, performance.now()));
  }

  /** A message arrived on a channel (bytes: a Uint8Array). Returns the actions. */
  message(bytes) {
    const p = this.#put(bytes);
    return this.#actions(this.#x.coord_message(this.#c, p, bytes.length, performance.now()), bytes.length);
  }

  /** This tab's request; budget: ms the page waits for it (0xffffffff: no limit); direct:
   *  the page posted it to the leader directHead() names (see coordLocalRequest). Returns
   *  the actions. */
  local(seq, lease, kind, body, budget, direct = false) {
    // One copy into wasm memory, into a block the machine keeps as the request's body.
    let p = 0;
    if (body.length) {
      p = this.#x.alloc(body.length);
      if (!p) throw new SQLiteError('out of memory', { errno: SQLITE_NOMEM });
      new Uint8Array(this.#memory.buffer, p, body.length).set(body);
    }
    return this.#actions(this.#x.coord_local(this.#c, seq, lease, kind, p, body.length, budget,
      direct ? 1 : 0, performance.now()));
  }

  /** What the page needs to post its requests to the leader itself (coordDirectHead):
   *  COORD_DIRECT_HEAD bytes (a REQUEST's header, then the leader's id), or null when
   *  this client leads or knows no leader. `told`: the bytes returned last, returned
   *  again (not copied) when nothing changed. */
  directHead(told = null) {
    const p = this.#x.coord_direct(this.#c);
    if (!p) return null;
    const now = new Uint8Array(this.#memory.buffer, p, COORD_DIRECT_HEAD);
    if (told && told.length === now.length && told.every((b, i) => b === now[i])) return told;
    return now.slice();
  }

  /** Client `hex`'s life lock was granted: it is gone. Returns the actions. */
  clientGone(hex) {
    return this.#actions(this.#x.coord_client_gone(this.#c, this.#put(idBytes(hex)), performance.now()));
  }

  /** The page gave up on its request seq (an AbortSignal). Returns the actions. */
  cancel(seq) {
    return this.#actions(this.#x.coord_cancel(this.#c, seq, performance.now()));
  }

  /** The page has the answers of every request below `below`, or gave up on them (no
   *  actions: the machine forgets its requests below it). */
  pageAcked(below) {
    this.#x.coord_page_acked(this.#c, below);
  }

  /** The timer asked for is due. Returns the actions. */
  tick() {
    return this.#actions(this.#x.coord_tick(this.#c, performance.now()));
  }

  /** The leader's ANNOUNCE message (a copy), for its page to post when another tab asks
   *  who leads while this worker computes; null when this client does not lead. */
  announcement() {
    const p = this.#x.coord_announcement(this.#c);
    if (!p) return null;
    return new Uint8Array(this.#memory.buffer, p, this.#x.coord_announcement_len()).slice();
  }

  /** As leader: the CHANGES message for the commits since the last call (a copy), or
   *  null when none changed anything (coordTakeChanges). */
  takeChanges() {
    const p = this.#x.coord_take_changes(this.#c);
    if (!p) return null;
    return new Uint8Array(this.#memory.buffer, p, this.#x.coord_changes_len()).slice();
  }

  /** True when the machine holds nothing: no lease, no held or pending request. */
  get idle() {
    return this.#x.coord_idle(this.#c) === 1;
  }

  /** Is this client the leader. */
  get isLeader() {
    return this.#x.coord_is_leader(this.#c) === 1;
  }

  /** The highest epoch this client knows (its own, as leader). */
  get epoch() {
    return this.#x.coord_epoch(this.#c);
  }

  /** Frees the machine. */
  destroy() {
    if (this.#c) this.#x.coord_destroy(this.#c);
    this.#c = 0;
  }
}
