// protocol.js — the messages between a page and its database worker (docs/format.md,
// "Page ↔ worker messages"): requests travel as one SQWQ frame per tick, answers as one
// SQWA frame per frame of requests, both ArrayBuffers that are transferred, not copied.
// The bodies are the core's own buffers: SQL text with an SQWP parameter buffer, an SQWB
// batch; answers carry the core's SQWR result or SQWL result list as it left them.
//
// Both sides import this file; neither trusts the other's bytes: a frame that does not
// parse is reported as malformed and dropped, never half-applied.

import {
  COORD_ANNOUNCE, COORD_HEADER, COORD_HELLO, COORD_ID_BYTES, COORD_LEASE_END,
  COORD_LEASE_END_FIELDS, COORD_NO_BUDGET, COORD_REPLY, COORD_REPLY_FIELDS, COORD_REQUEST,
  COORD_REQUEST_FIELDS, COORD_VERSION, SQLW_BATCH_HEADER, SQLW_FORMAT_VERSION,
  SQLW_MAGIC_BATCH, SQLW_MAGIC_COORD, SQLW_MAX_ANSWER,
} from './proto.js';

/** Version of the SQWQ/SQWA frames between a page and its worker (JavaScript's only). */
export const FRAME_VERSION = 5;   // 3: a request carries its budget; 4: and its direct flag;
                                  // 5: the frame's length (its buffer may be longer)

const HEADER = 16;       // magic, u16 version, u16 count, u32 acked below, u32 length
const ENTRY = 20;        // u32 id, u8 op/kind, u8 flags, u16 gen, u32 lease, u32 budget, u32 n
/** An SQWQ entry's flag: the page posted this request to the leader itself (see
 *  encodeCoordRequest); the entry's gen says which naming of the leader it used. */
export const FRAME_DIRECT = 1;
/** The largest request body the page sends, and the largest answer the core makes
 *  (SQLW_MAX_ANSWER): 256 MiB. Larger is SQLITE_TOOBIG. */
export const MAX_BODY_BYTES = SQLW_MAX_ANSWER;
/** The largest database image import() sends in one request (it is validated whole in
 *  the worker's memory, next to the database's copy): 1 GiB. */
export const MAX_IMPORT_BYTES = 1024 * 1024 * 1024;
const MAX_COUNT = 0xffff;

const textEncoder = new TextEncoder();

/*
** Builds one frame with magic `magic` from entries [{ id, kind, lease?, budget?, flags?,
** gen?, parts }], where parts are Uint8Arrays written one after the other as the entry's
** body (budget: ms the page still waits for the answer, COORD_NO_BUDGET by default;
** flags: FRAME_DIRECT or 0; gen: the u16 naming of the leader); acked: the header's
** acked-below field. Returns the frame's ArrayBuffer (exactly sized, ready to
** transfer; a spare one may be longer, see offerSpare): for one entry whose only part
** framedPart made, that part's own buffer with the frame written around it (a large
** answer is not copied twice).
*/
function buildFrame(magic, entries, acked = 0) {
  let size = HEADER;
  for (const e of entries) {
    size += ENTRY;
    for (const p of e.parts) size += p.length;
  }
  const only = entries.length === 1 && entries[0].parts.length === 1 ? entries[0].parts[0] : null;
  const inPlace = only !== null && framed.has(only.buffer) && only.byteOffset === HEADER + ENTRY;
  const buf = inPlace ? only.buffer : frameBuffer(size);
  const u8 = new Uint8Array(buf);
  const dv = new DataView(buf);
  for (let i = 0; i < 4; i++) u8[i] = magic.charCodeAt(i);
  dv.setUint16(4, FRAME_VERSION, true);
  dv.setUint16(6, entries.length, true);
  dv.setUint32(8, acked, true);
  dv.setUint32(12, size, true);
  let p = HEADER;
  for (const e of entries) {
    let n = 0;
    for (const part of e.parts) n += part.length;
    dv.setUint32(p, e.id, true);
    u8[p + 4] = e.kind;
    u8[p + 5] = e.flags ?? 0;
    dv.setUint16(p + 6, e.gen ?? 0, true);
    dv.setUint32(p + 8, e.lease ?? 0, true);
    dv.setUint32(p + 12, e.budget ?? COORD_NO_BUDGET, true);
    dv.setUint32(p + 16, n, true);
    p += ENTRY;
    if (inPlace) break;
    for (const part of e.parts) {
      copyInto(u8, part, p);
      p += part.length;
    }
  }
  return buf;
}

// Parts up to this many bytes are copied byte by byte: TypedArray#set costs more than
// the loop for a short run (measured in Node: a frame of 256 answers of 90 bytes is
// built in 28 µs, not 60–80).
const COPY_LOOP_MAX = 256;

/** Copies Uint8Array src into Uint8Array dst at offset `at` (dst must have room). */
export function copyInto(dst, src, at) {
  const n = src.length;
  if (n > COPY_LOOP_MAX) {
    dst.set(src, at);
  } else {
    for (let i = 0; i < n; i++) dst[at + i] = src[i];
  }
}

// The buffers framedPart made: only these become frames in place (never an app's bytes).
const framed = new WeakSet();

/**
 * A Uint8Array of n bytes in its own ArrayBuffer, after room for a one-entry frame's
 * header and entry: an answer copied there out of wasm memory becomes its SQWA frame,
 * when it travels alone, without a second copy (buildFrame).
 */
export function framedPart(n) {
  const buf = frameBuffer(HEADER + ENTRY + n);
  framed.add(buf);
  return new Uint8Array(buf, HEADER + ENTRY, n);
}

// Buffers of frames given back by their receiver (the page gives its worker the answer
// frames it has decoded), reused for the next frames: a new ArrayBuffer costs its size in
// fresh memory (measured in Chromium on a 2-core VM: ~4.5 µs per KiB, a
// 52 KiB frame of 256 point-read answers ~230 µs, a 6.4 MB result ~25 ms), a reused one
// nothing. Only frames that are transferred take one (a copied frame would copy the whole
// buffer). At most SPARE_COUNT are kept (a burst of 10,000 point reads is 40 frames),
// each at most SPARE_MAX bytes, SPARE_BYTES in all.
const SPARE_COUNT = 64;
const SPARE_MAX = 8 * 1024 * 1024;
const SPARE_BYTES = 16 * 1024 * 1024;
const spares = [];
let spareBytes = 0;

// A frame smaller than TRANSFER_MIN is copied when posted (postFrame), so its buffer is
// free again at once: the last one of each size is kept (SMALL_KEPT sizes at most) and
// the next frame of that size is built in it. A request repeated one at a time (W4) makes
// frames of one size each way; a new small ArrayBuffer cost ~2 µs of each (profiled).
const SMALL_KEPT = 16;
const smallFree = new Map(); // byte length → ArrayBuffer

/* A buffer of at least `size` bytes for a frame (exactly `size` below TRANSFER_MIN): a
** spare or a small one posted before when one fits, else a new one. */
function frameBuffer(size) {
  if (size < TRANSFER_MIN) {
    const free = smallFree.get(size);
    if (free === undefined) return new ArrayBuffer(size);
    smallFree.delete(size);
    return free;
  }
  let best = -1;
  for (let i = 0; i < spares.length; i++) {
    const n = spares[i].byteLength;
    if (n >= size && (best < 0 || n < spares[best].byteLength)) best = i;
  }
  if (best < 0) return new ArrayBuffer(size);
  const buf = spares.splice(best, 1)[0];
  spareBytes -= buf.byteLength;
  return buf;
}

/**
 * Keeps `buf`, the buffer of a frame its receiver has read and given back, for the next
 * frames built here. Ignores what is not a whole, attached ArrayBuffer between
 * TRANSFER_MIN and SPARE_MAX bytes; past SPARE_COUNT spares or SPARE_BYTES the oldest
 * go. Returns true if kept.
 */
export function offerSpare(buf) {
  if (!(buf instanceof ArrayBuffer) || buf.byteLength < TRANSFER_MIN || buf.byteLength > SPARE_MAX) return false;
  if (buf.resizable || spares.includes(buf)) return false;
  spares.push(buf);
  spareBytes += buf.byteLength;
  // Over the bounds, the oldest go first.
  while (spares.length > SPARE_COUNT || spareBytes > SPARE_BYTES) spareBytes -= spares.shift().byteLength;
  return spares.includes(buf);
}

/** The spare buffers kept (offerSpare): { count, bytes }. */
export function spareStats() {
  return { count: spares.length, bytes: spareBytes };
}

/** Drops every spare buffer (offerSpare). */
export function dropSpares() {
  spares.length = 0;
  spareBytes = 0;
}

// Frames from this many bytes are given back to their sender once read (offerSpare).
const GIVE_BACK_MIN = 32 * 1024;

/**
 * Gives the buffer of frame `buf`, read and no longer looked at, back to its sender on
 * `port` (a Worker or a worker's global scope) as `{ type: 'spare', buffer }`, when it is
 * large enough to be worth the post; the sender passes it to offerSpare.
 */
export function giveBack(port, buf) {
  if (buf.byteLength >= GIVE_BACK_MIN) port.postMessage({ type: 'spare', buffer: buf }, [buf]);
}

/*
** Parses a frame with magic `magic`. Returns { acked, entries: [{ id, kind, flags, gen,
** lease, budget, body }] } with body a Uint8Array view of the frame. Throws Error naming
** what is malformed.
*/
function parseFrame(magic, buf) {
  if (!(buf instanceof ArrayBuffer)) throw new Error('malformed frame: not an ArrayBuffer');
  const whole = new Uint8Array(buf);
  if (whole.length < HEADER) throw new Error('malformed frame: shorter than its header');
  for (let i = 0; i < 4; i++) {
    if (whole[i] !== magic.charCodeAt(i)) throw new Error(`malformed frame: bad magic (expected "${magic}")`);
  }
  const dv = new DataView(buf);
  const version = dv.getUint16(4, true);
  if (version !== FRAME_VERSION) throw new Error(`frame version ${version}, this side speaks ${FRAME_VERSION}`);
  const count = dv.getUint16(6, true);
  const acked = dv.getUint32(8, true);
  const length = dv.getUint32(12, true);
  if (length < HEADER || length > whole.length) throw new Error(`malformed frame: a length of ${length} in a buffer of ${whole.length}`);
  const u8 = whole.subarray(0, length);
  const entries = [];
  let p = HEADER;
  for (let i = 0; i < count; i++) {
    if (p + ENTRY > u8.length) throw new Error('malformed frame: truncated entry');
    const id = dv.getUint32(p, true);
    const kind = u8[p + 4];
    const flags = u8[p + 5];
    const gen = dv.getUint16(p + 6, true);
    const lease = dv.getUint32(p + 8, true);
    const budget = dv.getUint32(p + 12, true);
    const n = dv.getUint32(p + 16, true);
    p += ENTRY;
    if (p + n > u8.length) throw new Error('malformed frame: entry longer than the frame');
    entries.push({ id, kind, flags, gen, lease, budget, body: u8.subarray(p, p + n) });
    p += n;
  }
  if (p !== u8.length) throw new Error('malformed frame: bytes after the last entry');
  return { acked, entries };
}

/** The largest number of requests (or answers) one frame holds. */
export const FRAME_MAX = MAX_COUNT;

// The encoded length and text of recently sent SQL, so a statement sent again (the
// common case) is not encoded again. Texts longer than SQL_CACHE_TEXT are not kept.
const SQL_CACHE_MAX = 64;
const SQL_CACHE_TEXT = 4096;
const sqlCache = new Map(); // sql → [head, text]

/**
 * Encodes the body of an exec or run-many request: u32 length of the SQL, the SQL as
 * UTF-8, then the SQWP parameter buffer (absent: no parameters). Returns the parts
 * (Uint8Arrays, shared: never modify them) to pass to encodeRequests; `params` is
 * copied there, so it may be a reused buffer.
 */
export function sqlBody(sql, params) {
  let parts = sqlCache.get(sql);
  if (parts === undefined) {
    const text = textEncoder.encode(sql);
    const head = new Uint8Array(4);
    new DataView(head.buffer).setUint32(0, text.length, true);
    parts = [head, text];
    if (sql.length <= SQL_CACHE_TEXT) {
      if (sqlCache.size >= SQL_CACHE_MAX) sqlCache.clear();
      sqlCache.set(sql, parts);
    }
  }
  return params && params.length ? [parts[0], parts[1], params] : parts;
}

// Frames smaller than this are copied by postMessage rather than transferred: for a
// small buffer a transfer costs more than the copy (measured in Chromium: a 64-byte
// round trip took ~27 µs longer transferred than copied), for a larger one less: W5's
// frames of 256 requests and of their answers (~15 and ~25 KB) went 62–67 ms per 10,000
// reads copied, 48–55 transferred, the same from 1 to 16 KiB (2026-12-04).
export const TRANSFER_MIN = 4 * 1024;

/**
 * Posts `frame` (an ArrayBuffer) on `port` (a Worker or a worker's global scope):
 * transferred when it is large, copied when it is small (see TRANSFER_MIN). The caller
 * must not use the frame afterwards: a small one is built over by a later frame.
 */
export function postFrame(port, frame) {
  if (frame.byteLength >= TRANSFER_MIN) {
    port.postMessage(frame, [frame]);
  } else {
    port.postMessage(frame);
    // Copied: the buffer may carry the next frame of its size.
    if (smallFree.size < SMALL_KEPT) smallFree.set(frame.byteLength, frame);
  }
}

/** Splits an exec/run-many body into { sql: Uint8Array, params: Uint8Array|null }. Throws on a bad length. */
export function parseSqlBody(body) {
  if (body.length < 4) throw new Error('malformed request: no SQL length');
  const n = (body[0] | body[1] << 8 | body[2] << 16 | body[3] << 24) >>> 0;
  if (4 + n > body.length) throw new Error('malformed request: SQL longer than the request');
  const params = body.length > 4 + n ? body.subarray(4 + n) : null;
  return { sql: body.subarray(4, 4 + n), params };
}

/**
 * Encodes the SQWB batch buffer of items [{ sql, params }] (params: an SQWP buffer or
 * null). Returns a Uint8Array that owns its bytes.
 */
export function batchBody(items) {
  const texts = items.map((it) => textEncoder.encode(it.sql));
  let size = SQLW_BATCH_HEADER;
  for (let i = 0; i < items.length; i++) size += 8 + texts[i].length + (items[i].params ? items[i].params.length : 0);
  const u8 = new Uint8Array(size);
  const dv = new DataView(u8.buffer);
  for (let i = 0; i < 4; i++) u8[i] = SQLW_MAGIC_BATCH.charCodeAt(i);
  dv.setUint16(4, SQLW_FORMAT_VERSION, true);
  dv.setUint32(8, items.length, true);
  let p = SQLW_BATCH_HEADER;
  for (let i = 0; i < items.length; i++) {
    const params = items[i].params;
    dv.setUint32(p, texts[i].length, true);
    u8.set(texts[i], p + 4);
    p += 4 + texts[i].length;
    dv.setUint32(p, params ? params.length : 0, true);
    if (params) u8.set(params, p + 4);
    p += 4 + (params ? params.length : 0);
  }
  return u8;
}

/**
 * Builds an SQWQ frame from requests [{ id, kind: REQ_*, lease, parts }] (lease: the id of
 * the BEGIN of the transaction a request belongs to, 0 for none); acked: the page has the
 * answers of every request with a lower id. Returns an ArrayBuffer.
 */
export function encodeRequests(requests, acked) {
  return buildFrame('SQWQ', requests, acked);
}

/**
 * Parses an SQWQ frame. Returns { acked, requests: [{ id, kind, lease, body }] }.
 * Throws Error when malformed.
 */
export function decodeRequests(buf) {
  const { acked, entries } = parseFrame('SQWQ', buf);
  return { acked, requests: entries };
}

/** Builds an SQWA frame from answers [{ id, kind: ANS_*, parts }]. Returns an ArrayBuffer. */
export function encodeAnswers(answers) {
  return buildFrame('SQWA', answers);
}

/** Parses an SQWA frame. Returns [{ id, kind, body }]. Throws Error when malformed. */
export function decodeAnswers(buf) {
  return parseFrame('SQWA', buf).entries;
}

/*
** The multi-tab messages (src/core/coord.h, docs/coord.md "Messages"): 32 bytes of
** header ("SQWC", u16 version, u16 type, u64 epoch, sender id), then the type's fields.
** COORD_VERSION is in the channels' names, so tabs of two library versions that speak
** differently never hear each other; they learn of each other on the versions channel
** (versionChannelName), whose name has no version.
*/
/* Bytes after the header, without the body, and the body length's offset there (-1: no
** body), by type. */
const COORD_LAYOUT = new Map([
  [COORD_HELLO, [0, -1]],
  [COORD_ANNOUNCE, [0, -1]],
  [COORD_REQUEST, [COORD_REQUEST_FIELDS, 20]],
  [COORD_REPLY, [COORD_REPLY_FIELDS, 24]],
  [COORD_LEASE_END, [COORD_LEASE_END_FIELDS, -1]],
]);

/**
 * Encodes a REQUEST as a follower's page posts it to the leader itself (docs/coord.md,
 * "The follower's hop"): `head` is the first COORD_HEADER bytes of what its worker named
 * (coord_direct: the header with this client's epoch and id); seq, lease, acked, kind,
 * budget as in an SQWQ entry; parts the body. Returns a Uint8Array that owns its bytes.
 */
export function encodeCoordRequest(head, { seq, lease, acked, kind, budget }, parts) {
  let n = 0;
  for (const part of parts) n += part.length;
  const at = COORD_HEADER + COORD_REQUEST_FIELDS;
  const u8 = new Uint8Array(at + n);
  const dv = new DataView(u8.buffer);
  u8.set(head.subarray(0, COORD_HEADER), 0);
  dv.setUint32(COORD_HEADER, seq, true);
  dv.setUint32(COORD_HEADER + 4, lease, true);
  dv.setUint32(COORD_HEADER + 8, acked, true);
  u8[COORD_HEADER + 12] = kind;
  dv.setUint32(COORD_HEADER + 16, budget, true);
  dv.setUint32(COORD_HEADER + 20, n, true);
  let p = at;
  for (const part of parts) {
    u8.set(part, p);
    p += part.length;
  }
  return u8;
}

/**
 * The fields of a REPLY that checkChannelMessage passed (bytes: the message): { seq,
 * status, body } with body a view of the message (the answer's kind byte, then the
 * answer).
 */
export function replyFields(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = COORD_HEADER + COORD_ID_BYTES;
  return {
    seq: dv.getUint32(at, true),
    status: bytes[at + 4],
    body: bytes.subarray(COORD_HEADER + COORD_REPLY_FIELDS),
  };
}

/** The BroadcastChannel every client of database `name` hears (HELLO, ANNOUNCE). */
export function allChannelName(name) {
  return `sqlw:${name}:v${COORD_VERSION}:all`;
}

/** The BroadcastChannel the leader of database `name` hears requests on. */
export function leaderChannelName(name) {
  return `sqlw:${name}:v${COORD_VERSION}:leader`;
}

/** The BroadcastChannel where client `hex`'s page posts its requests to the leader of
 *  database `name` itself (the follower's hop: docs/coord.md); only the leader listens. */
export function requestChannelName(name, hex) {
  return `sqlw:${name}:v${COORD_VERSION}:req:${hex}`;
}

/** The BroadcastChannel where the leader of database `name` answers the requests client
 *  `hex`'s page posted itself; only that page listens (its worker is not woken). */
export function pageChannelName(name, hex) {
  return `sqlw:${name}:v${COORD_VERSION}:page:${hex}`;
}

/** The BroadcastChannel where the leader of database `name` posts change notices
 *  (CHANGES); pages listen while they have a 'change' listener or a live query. */
export function changesChannelName(name) {
  return `sqlw:${name}:v${COORD_VERSION}:changes`;
}

/** What a page posts on the changes channel when it starts listening, and again when the
 *  leader changes: a leader posts notices once a page said so (docs/coord.md). */
export const LISTEN_MESSAGE = Object.freeze({ sqlw: 'listen' });

/** The BroadcastChannel client `hex` of database `name` hears its answers on. */
export function clientChannelName(name, hex) {
  return `sqlw:${name}:v${COORD_VERSION}:client:${hex}`;
}

/** The BroadcastChannel where tabs of any library version say which wire version they speak. */
export function versionChannelName(name) {
  return `sqlw:${name}:versions`;
}

/** The lock whose holder leads database `name` and owns its files (no version in it:
 *  one owner of the files, whatever the library's version). */
export function leaderLockName(name) {
  return `sqlw:${name}:leader`;
}

/** The lock a worker of this page holds for its life (page-local: instance, the database
 *  object's number in the page; generation, the worker's; nonce, random), which tells the
 *  page the worker died when it is granted. */
export function workerLockName(instance, generation, nonce) {
  return `sqlite-worker:life:${instance}:${generation}:${nonce}`;
}

/** The life lock of client `hex` of database `name`: held while its tab lives. */
export function clientLockName(name, hex) {
  return `sqlw:${name}:client:${hex}`;
}

/*
** Checks a channel message before any byte of it is copied into the core: bytes, a whole
** message of this wire version (header, the type's fields, a body no larger than a
** request or an answer can be and exactly as long as it says), not from this client, and
** for an answer or a lease's end, addressed to it. ownId: this client's 16-byte id.
** Returns { type, sender, bytes } (sender: the sender's id in hex), or a string saying why
** the message is dropped.
*/
export function checkChannelMessage(data, ownId) {
  let u8;
  if (data instanceof ArrayBuffer) u8 = new Uint8Array(data);
  else if (data instanceof Uint8Array) u8 = data;
  else return 'not bytes';
  if (u8.length < COORD_HEADER) return `${u8.length} bytes: shorter than a header`;
  if (!hasMagic(u8, SQLW_MAGIC_COORD)) return 'bad magic';
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  if (dv.getUint16(4, true) !== COORD_VERSION) return `wire version ${dv.getUint16(4, true)}`;
  const type = dv.getUint16(6, true);
  const layout = COORD_LAYOUT.get(type);
  if (layout === undefined) return `unknown type ${type}`;
  const [fixed, bodyAt] = layout;
  const rest = u8.length - COORD_HEADER - fixed;
  if (rest < 0) return 'truncated';
  const nBody = bodyAt < 0 ? 0 : dv.getUint32(COORD_HEADER + bodyAt, true);
  if (nBody > MAX_BODY_BYTES + 64) return `a ${nBody}-byte body: larger than any request or answer`;
  if (rest !== nBody) return 'length does not match';
  let same = true;
  for (let i = 0; i < COORD_ID_BYTES; i++) if (u8[16 + i] !== ownId[i]) same = false;
  if (same) return 'from this client';
  if (type === COORD_REPLY || type === COORD_LEASE_END) {
    for (let i = 0; i < COORD_ID_BYTES; i++) if (u8[COORD_HEADER + i] !== ownId[i]) return 'addressed to another client';
  }
  let sender = '';
  for (let i = 16; i < 16 + COORD_ID_BYTES; i++) sender += u8[i].toString(16).padStart(2, '0');
  return { type, sender, bytes: u8 };
}

/*
** True when `data` (a channel message) is a HELLO of the multi-tab protocol (docs/coord.md:
** magic "SQWC", then u16 version, u16 type). The page of a leader reads no more of the
** protocol than this: it answers with bytes its worker made.
*/
export function isHello(data) {
  const u8 = data instanceof ArrayBuffer ? new Uint8Array(data)
    : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
  return u8 !== null && u8.length >= 8 && hasMagic(u8, SQLW_MAGIC_COORD)
    && (u8[6] | u8[7] << 8) === COORD_HELLO;
}

/* True when the bytes u8 begin with the 4-letter magic. */
function hasMagic(u8, magic) {
  for (let i = 0; i < 4; i++) if (u8[i] !== magic.charCodeAt(i)) return false;
  return true;
}
