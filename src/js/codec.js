// codec.js — the JavaScript mirror of the wire formats of docs/format.md.
//
// encodeParams/encodeParamSets turn JavaScript values into one SQWP parameter buffer
// (JS → core); decodeResult turns one SQWR result buffer (core → JS) into plain
// JavaScript objects. The C side (src/core/codec.c) is the source of truth: this file
// follows the layout tables of docs/format.md field by field, checks the magic and
// version of every buffer it reads, and leaves every SQL-level rule (how many
// parameters a statement has, which names it uses) to the core, which sees the
// statement. What JS checks here is only what the core cannot see: JavaScript types.
//
// Value mapping (design.md, "Public API"):
//   null → NULL; number → INTEGER when a safe integer other than −0, else FLOAT;
//   bigint → INTEGER (must fit in 64 bits); string → TEXT; boolean → INTEGER 1/0;
//   ArrayBuffer or any view of one → BLOB (the bytes of the view only).
//   Back: NULL → null; INTEGER → number within ±(2^53−1), else BigInt (or always BigInt
//   with { bigint: 'always' }); FLOAT → number (bit-exact); TEXT → string;
//   BLOB → a Uint8Array that owns its bytes (a copy, so it outlives the source buffer).
//
// Not done here: nothing is validated against a statement; strings holding lone UTF-16
// surrogates are sent with U+FFFD in their place (TextEncoder's rule), as every UTF-8
// API does.

import { SQLiteError, misuse } from './errors.js';
import {
  SQLITE_BLOB, SQLITE_FLOAT, SQLITE_INTEGER, SQLITE_MISMATCH, SQLITE_NULL, SQLITE_RANGE,
  SQLITE_TEXT, SQLITE_TOOBIG, SQLW_FORMAT_VERSION, SQLW_LIST_HEADER, SQLW_MAGIC_LIST,
  SQLW_MAGIC_PARAMS, SQLW_MAGIC_RESULT, SQLW_MAX_ANSWER, SQLW_PARAMS_HEADER,
  SQLW_FLAG_IN_TXN, SQLW_FLAG_LIVE, SQLW_FLAG_MORE, SQLW_LIVE_ALL, SQLW_LIVE_TRAILER, SQLW_RESULT_HEADER,
} from './proto.js';

// The tags of docs/format.md "Values" are SQLite's fundamental type numbers (SQLITE_INTEGER…).

const TWO_POW_32 = 4294967296;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

// ---------------------------------------------------------------------------------------
// Encoding (SQWP)
// ---------------------------------------------------------------------------------------

/*
** A growing output buffer. One Uint8Array plus a DataView over the same bytes; it
** doubles when full, so encoding N values costs O(N) copies in total. `pos` is the
** number of bytes written. The encoder owns the buffer until it hands out a view of it.
*/
// The most bytes of parameters one request carries: a request's body is at most 256 MiB
// (SQLW_MAX_ANSWER), and its SQL comes with them.
const MAX_PARAMS_BYTES = SQLW_MAX_ANSWER - 64 * 1024;

class Writer {
  constructor(capacity) {
    this.u8 = new Uint8Array(capacity);
    this.dv = new DataView(this.u8.buffer);
    this.pos = 0;
  }

  /* Makes room for n more bytes, moving the content into a larger buffer if needed. */
  reserve(n) {
    const need = this.pos + n;
    if (need <= this.u8.length) return;
    if (need > MAX_PARAMS_BYTES) {
      // Refused before the copy: a request carries at most MAX_PARAMS_BYTES.
      throw new SQLiteError(`the parameters come to more than a request can carry (${MAX_PARAMS_BYTES} bytes): `
        + 'split them (runMany in chunks, one large value per request)', { errno: SQLITE_TOOBIG });
    }
    let cap = this.u8.length * 2;
    while (cap < need) cap *= 2;
    const u8 = new Uint8Array(cap);
    u8.set(this.u8.subarray(0, this.pos));
    this.u8 = u8;
    this.dv = new DataView(u8.buffer);
  }
}

/*
** Describes the JavaScript type of a value that cannot be bound, for error messages:
** "undefined", "a function", "a Date"… Never throws (even for exotic proxies, whose
** constructor lookup could throw — that is why the lookup is guarded).
*/
function describeType(v) {
  if (v === undefined) return 'undefined';
  const t = typeof v;
  if (t === 'function') return 'a function';
  if (t === 'symbol') return 'a symbol';
  if (t !== 'object') return `a ${t}`;
  if (Array.isArray(v)) return 'an array';
  let name;
  try {
    const proto = Object.getPrototypeOf(v);
    name = proto === null || proto === Object.prototype ? 'object' : proto.constructor?.name;
  } catch {
    // A hostile proxy may throw from getPrototypeOf; the message only needs a label.
    name = undefined;
  }
  if (!name || name === 'object' || name === 'Object') return 'an object';
  return /^[AEIOU]/.test(name) ? `an ${name}` : `a ${name}`;
}

/* Names a parameter for messages: 'parameter 2' or 'parameter ":id"', plus the set. */
function paramLabel(index, name, setIndex) {
  const what = name === undefined ? `parameter ${index + 1}` : `parameter "${name}"`;
  return setIndex < 0 ? what : `${what} of paramSets[${setIndex}]`;
}

/*
** Builds the SQLITE_MISMATCH error for a value with no SQLite type. Returns the error.
*/
function mismatch(v, index, name, setIndex) {
  let hint = '';
  if (v === undefined) hint = ' (use null for NULL)';
  else if (v instanceof Date) hint = ' (convert it first, e.g. with getTime() or toISOString())';
  else if (typeof v === 'object') hint = ' (only null, numbers, bigints, strings, booleans and byte arrays bind)';
  return new SQLiteError(`cannot bind ${describeType(v)} to ${paramLabel(index, name, setIndex)}${hint}`,
    { errno: SQLITE_MISMATCH });
}

/*
** Appends one value (tag and payload) to w. index/name/setIndex only label errors.
** Throws SQLiteError SQLITE_MISMATCH for a value with no SQLite type or a bigint
** outside the 64-bit range; w may then hold a partial value, and the caller drops it.
*/
function writeValue(w, v, index, name, setIndex) {
  switch (typeof v) {
    case 'number': {
      w.reserve(9);
      const p = w.pos;
      // −0 is not an integer to SQLite: keep it a FLOAT so its sign survives.
      if (Number.isSafeInteger(v) && (v !== 0 || 1 / v > 0)) {
        // Two 32-bit halves instead of setBigInt64: no BigInt allocation per value.
        // ToUint32 is the value modulo 2^32 (two's complement low word for negatives),
        // and floor(v / 2^32) is the signed high word; both are exact for safe integers.
        w.u8[p] = SQLITE_INTEGER;
        w.dv.setUint32(p + 1, v >>> 0, true);
        w.dv.setInt32(p + 5, Math.floor(v / TWO_POW_32), true);
      } else {
        w.u8[p] = SQLITE_FLOAT;
        w.dv.setFloat64(p + 1, v, true);
      }
      w.pos = p + 9;
      return;
    }
    case 'string': {
      const n = v.length;
      // Worst case of UTF-16 → UTF-8 is 3 bytes per code unit (a surrogate pair is 2
      // units and 4 bytes), so 3n always suffices.
      w.reserve(5 + 3 * n);
      const u8 = w.u8;
      const p = w.pos;
      u8[p] = SQLITE_TEXT;
      let nByte = 0;
      let i = 0;
      if (n <= 32) {
        // Short ASCII strings are most text; copying them here beats the call into
        // encodeInto and the subarray it needs.
        for (; i < n; i++) {
          const c = v.charCodeAt(i);
          if (c >= 0x80) break;
          u8[p + 5 + i] = c;
        }
      }
      if (i === n) nByte = n;
      else nByte = textEncoder.encodeInto(v, u8.subarray(p + 5, p + 5 + 3 * n)).written;
      w.dv.setUint32(p + 1, nByte, true);
      w.pos = p + 5 + nByte;
      return;
    }
    case 'object': {
      if (v === null) {
        w.reserve(1);
        w.u8[w.pos++] = SQLITE_NULL;
        return;
      }
      let bytes;
      // A Uint8Array is copied from directly; other views and buffers need a byte view.
      if (v instanceof Uint8Array) bytes = v;
      else if (ArrayBuffer.isView(v)) bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      else if (v instanceof ArrayBuffer) bytes = new Uint8Array(v);
      else if (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer) bytes = new Uint8Array(v);
      else throw mismatch(v, index, name, setIndex);
      const n = bytes.length;
      w.reserve(5 + n);
      const u8 = w.u8;
      const p = w.pos;
      u8[p] = SQLITE_BLOB;
      w.dv.setUint32(p + 1, n, true);
      // TypedArray#set has a fixed cost that a byte loop beats for small blobs (ids,
      // hashes); large blobs take the bulk copy.
      if (n <= 64) for (let i = 0; i < n; i++) u8[p + 5 + i] = bytes[i];
      else u8.set(bytes, p + 5);
      w.pos = p + 5 + n;
      return;
    }
    case 'bigint': {
      if (v < INT64_MIN || v > INT64_MAX) {
        throw new SQLiteError(
          `cannot bind bigint ${v} to ${paramLabel(index, name, setIndex)}: outside the 64-bit integer range`,
          { errno: SQLITE_MISMATCH });
      }
      w.reserve(9);
      const p = w.pos;
      w.u8[p] = SQLITE_INTEGER;
      w.dv.setBigInt64(p + 1, v, true);
      w.pos = p + 9;
      return;
    }
    case 'boolean': {
      w.reserve(9);
      const p = w.pos;
      w.u8[p] = SQLITE_INTEGER;
      w.dv.setUint32(p + 1, v ? 1 : 0, true);
      w.dv.setUint32(p + 5, 0, true);
      w.pos = p + 9;
      return;
    }
    default:
      throw mismatch(v, index, name, setIndex);
  }
}

/* Writes the SQWP header and the names. Returns nothing; w.pos ends after the names. */
function writeHeader(w, names, nValue, nSet) {
  const nName = names === null ? 0 : names.length;
  w.reserve(SQLW_PARAMS_HEADER);
  const u8 = w.u8;
  for (let i = 0; i < 4; i++) u8[i] = SQLW_MAGIC_PARAMS.charCodeAt(i);
  w.dv.setUint16(4, SQLW_FORMAT_VERSION, true);
  w.dv.setUint16(6, 0, true);
  w.dv.setUint32(8, nName, true);
  w.dv.setUint32(12, nValue, true);
  w.dv.setUint32(16, nSet, true);
  w.pos = SQLW_PARAMS_HEADER;
  for (let i = 0; i < nName; i++) {
    const name = names[i];
    w.reserve(4 + 3 * name.length);
    const p = w.pos;
    const nByte = textEncoder.encodeInto(name, w.u8.subarray(p + 4, p + 4 + 3 * name.length)).written;
    w.dv.setUint32(p, nByte, true);
    w.pos = p + 4 + nByte;
  }
}

/*
** True when params is a set of named parameters: any object that is not an array and
** not a byte buffer (a buffer would be a single BLOB, which is a caller's mistake that
** deserves the "must be an array or object" error below, not a silent empty set).
*/
function isNamedSet(params) {
  return typeof params === 'object' && params !== null && !Array.isArray(params)
    && !ArrayBuffer.isView(params) && !(params instanceof ArrayBuffer);
}

// One writer serves every single-set encoding: a request encodes its parameters and
// copies them into wasm memory at once, so a fresh ArrayBuffer per request (most of the
// cost of encoding a few values) buys nothing. A writer grown past ONE_SET_KEEP is
// replaced by a small one next time, so one huge request does not pin its memory.
const ONE_SET_KEEP = 64 * 1024;
let oneSet = null;

/* The shared writer, emptied, with room for at least `capacity` bytes. */
function oneSetWriter(capacity) {
  if (oneSet === null || oneSet.u8.length > ONE_SET_KEEP) oneSet = new Writer(Math.max(capacity, 256));
  oneSet.pos = 0;
  oneSet.reserve(capacity);
  return oneSet;
}

/*
** Encodes one parameter set into a SQWP buffer with nSet = 1.
**
** params: undefined or null (no parameters: returns null, which the core reads as an
** absent buffer), an array (values bind by position) or a plain object (keys are
** parameter names; a bare key such as `id` matches :id, @id or $id, a key with its
** prefix matches exactly).
** Returns a Uint8Array over a buffer that the next encodeParams call reuses: copy it
** to keep it (the core copies it into wasm memory right away).
** Throws SQLiteError: SQLITE_MISMATCH for a value that has no SQLite type (the message
** names the parameter and the JS type), SQLITE_MISUSE when params is neither.
*/
export function encodeParams(params) {
  if (params === undefined || params === null) return null;
  if (Array.isArray(params)) {
    const n = params.length;
    const w = oneSetWriter(SQLW_PARAMS_HEADER + 16 * n + 16);
    writeHeader(w, null, n, 1);
    for (let i = 0; i < n; i++) writeValue(w, params[i], i, undefined, -1);
    return w.u8.subarray(0, w.pos);
  }
  if (isNamedSet(params)) {
    const names = Object.keys(params);
    const n = names.length;
    const w = oneSetWriter(SQLW_PARAMS_HEADER + 32 * n + 16);
    writeHeader(w, names, n, 1);
    for (let i = 0; i < n; i++) writeValue(w, params[names[i]], i, names[i], -1);
    return w.u8.subarray(0, w.pos);
  }
  throw misuse(`parameters must be an array or an object, not ${describeType(params)}`);
}

/*
** Encodes many parameter sets (for run-many) into one SQWP buffer.
**
** sets: an array whose items are all arrays (by position, all of the same length) or all
** plain objects (by name: the first set gives the names, every other set must have
** exactly the same keys, in any order). An empty array encodes zero sets.
** Returns a new Uint8Array owned by the caller.
** Throws SQLiteError: SQLITE_MISMATCH for a value with no SQLite type; SQLITE_RANGE for a
** set whose length or keys differ from the first (naming the set index and the key);
** SQLITE_MISUSE when sets is not an array, or mixes arrays with objects.
*/
export function encodeParamSets(sets) {
  if (!Array.isArray(sets)) {
    throw misuse(`parameter sets must be an array of arrays or of objects, not ${describeType(sets)}`);
  }
  const nSet = sets.length;
  if (nSet === 0) {
    const w = new Writer(SQLW_PARAMS_HEADER);
    writeHeader(w, null, 0, 0);
    return w.u8;
  }
  const first = sets[0];
  if (Array.isArray(first)) {
    const nValue = first.length;
    const w = new Writer(SQLW_PARAMS_HEADER + (16 * nValue + 1) * nSet);
    writeHeader(w, null, nValue, nSet);
    for (let s = 0; s < nSet; s++) {
      const set = sets[s];
      if (!Array.isArray(set)) {
        throw misuse(`paramSets[${s}] is ${describeType(set)} but paramSets[0] is an array: use arrays for every set or objects for every set`);
      }
      if (set.length !== nValue) {
        throw new SQLiteError(`paramSets[${s}] has ${set.length} values but paramSets[0] has ${nValue}`,
          { errno: SQLITE_RANGE });
      }
      for (let i = 0; i < nValue; i++) writeValue(w, set[i], i, undefined, s);
    }
    return w.u8.subarray(0, w.pos);
  }
  if (!isNamedSet(first)) {
    throw misuse(`paramSets[0] must be an array or an object, not ${describeType(first)}`);
  }
  const names = Object.keys(first);
  const nValue = names.length;
  const w = new Writer(SQLW_PARAMS_HEADER + 32 * nValue + (16 * nValue + 1) * nSet);
  writeHeader(w, names, nValue, nSet);
  for (let s = 0; s < nSet; s++) {
    const set = sets[s];
    if (!isNamedSet(set)) {
      throw misuse(`paramSets[${s}] is ${describeType(set)} but paramSets[0] is an object: use arrays for every set or objects for every set`);
    }
    for (let i = 0; i < nValue; i++) {
      const name = names[i];
      const v = set[name];
      // Absent and undefined read the same; only an absent key is a shape error.
      if (v === undefined && !Object.prototype.hasOwnProperty.call(set, name)) {
        throw new SQLiteError(`paramSets[${s}] has no key "${name}" (every set must have the keys of paramSets[0])`,
          { errno: SQLITE_RANGE });
      }
      writeValue(w, v, i, name, s);
    }
    // Every name of set 0 is present, so a different key count means an extra key.
    let nKey = 0;
    for (const k in set) if (Object.prototype.hasOwnProperty.call(set, k)) nKey++;
    if (nKey !== nValue) {
      const extra = Object.keys(set).find((k) => !names.includes(k));
      throw new SQLiteError(`paramSets[${s}] has key "${extra}" that paramSets[0] does not have`,
        { errno: SQLITE_RANGE });
    }
  }
  return w.u8.subarray(0, w.pos);
}

// ---------------------------------------------------------------------------------------
// Decoding (SQWR)
// ---------------------------------------------------------------------------------------

// Text up to this many bytes tries the pure-ASCII fast path of readText.
const SHORT_TEXT = 24;
// charCodes[n] is a reused array of exactly n char codes, so the fast path neither
// allocates nor resizes an array per string.
const charCodes = Array.from({ length: SHORT_TEXT + 1 }, (_, n) => new Array(n).fill(0));

/*
** Decodes n bytes of UTF-8 at u8[p..p+n) into a string. Short pure-ASCII text, which is
** most column text, is built with one String.fromCharCode call over a reused array of
** char codes: a TextDecoder call has a fixed cost that dominates for a few bytes
** (measured in Node 20: 20-byte strings about 1.7× faster; the two cross near 32 bytes,
** and the string-concatenation variant is slower than both). Anything else goes through
** TextDecoder, which replaces invalid sequences with U+FFFD.
*/
function readText(u8, p, n) {
  if (n <= SHORT_TEXT) {
    const a = charCodes[n];
    let i = 0;
    for (; i < n; i++) {
      const c = u8[p + i];
      if (c >= 0x80) break;
      a[i] = c;
    }
    if (i === n) return String.fromCharCode.apply(null, a);
  }
  return textDecoder.decode(u8.subarray(p, p + n));
}

/*
** Reads the i64 at p as a JavaScript number when it is within ±(2^53−1) and `always` is
** false, else as a BigInt. Reads two 32-bit halves so the common case allocates nothing.
*/
function readInt64(dv, p, always) {
  const lo = dv.getUint32(p, true);
  const hi = dv.getInt32(p + 4, true);
  // |value| <= 2^53−1 ⇔ hi in [−2^21, 2^21), except hi = −2^21 with lo = 0, which is −2^53.
  if (!always && hi < 0x200000 && (hi > -0x200000 || (hi === -0x200000 && lo !== 0))) {
    return hi * TWO_POW_32 + lo;
  }
  return dv.getBigInt64(p, true);
}

/* Builds the Error for a malformed result buffer (a core/JS mismatch, never user data). */
function badResult(what) {
  return new Error(`malformed SQWR result buffer: ${what}`);
}

// The checked form of absent options (checkDecodeOptions), shared: nothing writes it.
const DEFAULT_DECODE = Object.freeze({ asArray: false, always: false });

/*
** Checks the options of decodeResult (see there) before any work is done, so a caller
** can refuse bad options before running a statement. Returns { asArray, always }.
** Throws SQLiteError SQLITE_MISUSE for an unknown rowMode or bigint value.
*/
export function checkDecodeOptions(options) {
  if (options === undefined || options === null) return DEFAULT_DECODE;
  let asArray = false;
  let always = false;
  const { rowMode = 'object', bigint = 'auto' } = options;
  if (rowMode === 'array') asArray = true;
  else if (rowMode !== 'object') throw misuse(`rowMode must be 'object' or 'array', not ${String(rowMode)}`);
  if (bigint === 'always') always = true;
  else if (bigint !== 'auto') throw misuse(`bigint must be 'auto' or 'always', not ${String(bigint)}`);
  return { asArray, always };
}

// The column sections (names and declared types) of recent result sets, keyed by their
// bytes: an app runs the same few statements again and again, and decoding 2 × nCol
// strings per request was a third of a point read's decoding time (measured in
// Chromium). A hit costs one byte comparison; the arrays handed out are fresh copies.
const COLUMN_CACHE_MAX = 32;
const columnCache = new Map(); // hash → { bytes, columns, declTypes, template, protoCol }
let lastColumns = null; // the entry of the last result set decoded: tried before hashing

/* FNV-1a over u8[p..end): the column cache's key. */
function hashBytes(u8, p, end) {
  let h = 0x811c9dc5;
  for (let i = p; i < end; i++) h = Math.imul(h ^ u8[i], 16777619);
  return h >>> 0;
}

/* True when u8[p..p+bytes.length) equals bytes. */
function sameBytes(u8, p, bytes) {
  for (let i = 0; i < bytes.length; i++) if (u8[p + i] !== bytes[i]) return false;
  return true;
}

/*
** Decodes the column section of a result set (nCol, names, declared types) starting at
** p, through the cache. Returns { end, entry } with end the offset after the section and
** entry { columns, declTypes, template, protoCol } (shared: copy before handing out).
** Throws on a truncated section.
*/
function readColumns(u8, dv, p, end) {
  if (p + 4 > end) throw badResult('truncated result set');
  const nCol = dv.getUint32(p, true);
  let q = p + 4;
  for (let c = 0; c < 2 * nCol; c++) {
    if (q + 4 > end) throw badResult('truncated column name');
    const n = dv.getUint32(q, true);
    if (q + 4 + n > end) throw badResult('truncated column name');
    q += 4 + n;
  }
  if (lastColumns !== null && lastColumns.bytes.length === q - p && sameBytes(u8, p, lastColumns.bytes)) {
    return { end: q, entry: lastColumns };
  }
  const key = hashBytes(u8, p, q);
  const hit = columnCache.get(key);
  if (hit && hit.bytes.length === q - p && sameBytes(u8, p, hit.bytes)) {
    lastColumns = hit;
    return { end: q, entry: hit };
  }

  const columns = new Array(nCol);
  const declTypes = new Array(nCol);
  let r = p + 4;
  for (let c = 0; c < 2 * nCol; c++) {
    const n = dv.getUint32(r, true);
    const s = readText(u8, r + 4, n);
    if (c < nCol) columns[c] = s; else declTypes[c - nCol] = s;
    r += 4 + n;
  }
  // '__proto__' as a plain assignment would replace the row's prototype; such a column
  // takes the slower defineProperty path, decided once per column section.
  const protoCol = columns.indexOf('__proto__');
  // Object rows are cloned from a template that already has every key: V8 then creates
  // each row with its final shape in one step, and the stores below only overwrite
  // (measured about 25% faster for a 4-column SELECT than adding keys one by one).
  const template = {};
  if (protoCol < 0) for (let c = 0; c < nCol; c++) template[columns[c]] = null;
  const entry = { bytes: u8.slice(p, q), columns, declTypes, template, protoCol };
  if (columnCache.size >= COLUMN_CACHE_MAX) columnCache.clear();
  columnCache.set(key, entry);
  lastColumns = entry;
  return { end: q, entry };
}

/*
** Decodes one SQWR result buffer.
**
** u8: the buffer; only read during the call (the result owns copies of everything, so
** u8 may be a view of wasm memory that is reused or detached afterwards).
** options.rowMode: 'object' (default; rows keyed by column name, a later column of the
** same name wins) or 'array' (rows are arrays, every column kept).
** options.bigint: 'auto' (default; BigInt only beyond ±(2^53−1)) or 'always' (every
** INTEGER, changes and lastInsertRowid are BigInt).
** Returns { rc, errorOffset, message, changes, lastInsertRowid, statements,
**           resultSets: [{ columns, declTypes, rows }] }.
** Throws Error when the magic, version or layout is wrong; SQLiteError SQLITE_MISUSE for
** an unknown option value.
*/
export function decodeResult(u8, options) {
  const { asArray, always } = checkDecodeOptions(options);
  if (!(u8 instanceof Uint8Array)) throw new TypeError('decodeResult expects a Uint8Array');
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.length);
  const whole = u8.byteOffset === 0 ? u8 : new Uint8Array(u8.buffer, 0, u8.byteOffset + u8.length);
  const wdv = u8.byteOffset === 0 ? dv : new DataView(u8.buffer, 0, u8.byteOffset + u8.length);
  return decodeResultAt(whole, wdv, u8.byteOffset, u8.length, asArray, always);
}

/**
 * Encodes an error result (an SQWR with code errno, SQL offset `offset` and `message`,
 * no result sets): the form an error made in JavaScript travels in, as the core's do
 * (docs/format.md, "Errors"). Returns a Uint8Array that owns its bytes.
 */
export function encodeError({ errno, message, offset = -1 }) {
  const text = textEncoder.encode(String(message));
  const u8 = new Uint8Array(SQLW_RESULT_HEADER + 4 + text.length);
  const dv = new DataView(u8.buffer);
  for (let i = 0; i < 4; i++) u8[i] = SQLW_MAGIC_RESULT.charCodeAt(i);
  dv.setUint16(4, SQLW_FORMAT_VERSION, true);
  dv.setInt32(8, errno, true);
  dv.setInt32(12, offset, true);
  dv.setUint32(SQLW_RESULT_HEADER, text.length, true);
  u8.set(text, SQLW_RESULT_HEADER + 4);
  return u8;
}

/*
** decodeResult for a buffer at u8[start..start+len), where u8 and dv span the same
** memory from offset 0 (a runtime keeps one of each over all of wasm memory, so a
** request allocates no view). asArray/always: the checked options
** (checkDecodeOptions). Returns and throws as decodeResult.
*/
export function decodeResultAt(u8, dv, start, len, asArray, always) {
  const end = start + len;
  if (len < SQLW_RESULT_HEADER + 4 || end > u8.length) throw badResult(`${len} bytes is shorter than the header`);
  if (!hasMagic(u8, start, SQLW_MAGIC_RESULT)) {
    throw badResult('bad magic (expected "SQWR")');
  }
  const version = dv.getUint16(start + 4, true);
  if (version !== SQLW_FORMAT_VERSION) {
    throw badResult(`format version ${version}, this reader speaks ${SQLW_FORMAT_VERSION}`);
  }
  const flags = dv.getUint16(start + 6, true);
  if ((flags & ~(SQLW_FLAG_IN_TXN | SQLW_FLAG_MORE | SQLW_FLAG_LIVE)) !== 0) throw badResult(`unknown flags 0x${flags.toString(16)}`);

  const rc = dv.getInt32(start + 8, true);
  const errorOffset = dv.getInt32(start + 12, true);
  const changes = readInt64(dv, start + 16, always);
  const lastInsertRowid = readInt64(dv, start + 24, always);
  const statements = dv.getUint32(start + 32, true);
  const nResultSet = dv.getUint32(start + 36, true);
  let p = start + SQLW_RESULT_HEADER;

  // Every length is checked against the end before it is used, so a truncated buffer
  // is an error rather than a silent misread (u8[i] past the end reads undefined).
  const resultSets = [];
  for (let r = 0; r < nResultSet; r++) {
    const { end: afterColumns, entry } = readColumns(u8, dv, p, end);
    p = afterColumns;
    const columns = entry.columns;
    const nCol = columns.length;
    const protoCol = asArray ? -1 : entry.protoCol;
    const template = entry.template;
    if (p + 4 > end) throw badResult('truncated row count');
    const nRow = dv.getUint32(p, true);
    p += 4;
    const rows = [];
    for (let i = 0; i < nRow; i++) {
      const row = asArray ? new Array(nCol) : { ...template };
      for (let c = 0; c < nCol; c++) {
        if (p >= end) throw badResult('truncated row');
        const tag = u8[p];
        let v;
        switch (tag) {
          case SQLITE_INTEGER:
            if (p + 9 > end) throw badResult('truncated INTEGER');
            v = readInt64(dv, p + 1, always);
            p += 9;
            break;
          case SQLITE_FLOAT:
            if (p + 9 > end) throw badResult('truncated FLOAT');
            v = dv.getFloat64(p + 1, true);
            p += 9;
            break;
          case SQLITE_TEXT: {
            if (p + 5 > end) throw badResult('truncated TEXT');
            const n = dv.getUint32(p + 1, true);
            p += 5;
            if (p + n > end) throw badResult('truncated TEXT');
            v = readText(u8, p, n);
            p += n;
            break;
          }
          case SQLITE_BLOB: {
            if (p + 5 > end) throw badResult('truncated BLOB');
            const n = dv.getUint32(p + 1, true);
            p += 5;
            if (p + n > end) throw badResult('truncated BLOB');
            v = u8.slice(p, p + n);
            p += n;
            break;
          }
          case SQLITE_NULL:
            v = null;
            p += 1;
            break;
          default:
            throw badResult(`unknown value tag ${tag} at byte ${p - start}`);
        }
        if (asArray) row[c] = v;
        else if (c !== protoCol) row[columns[c]] = v;
        else Object.defineProperty(row, '__proto__', { value: v, enumerable: true, writable: true, configurable: true });
      }
      rows.push(row);
    }
    resultSets.push({ columns: columns.slice(), declTypes: entry.declTypes.slice(), rows });
  }

  if (p + 4 > end) throw badResult('truncated message');
  const nMessage = dv.getUint32(p, true);
  p += 4;
  if ((flags & SQLW_FLAG_LIVE) === 0 && p + nMessage !== end) throw badResult(`message of ${nMessage} bytes does not end the buffer`);
  if (p + nMessage > end) throw badResult('truncated message');
  const message = nMessage ? readText(u8, p, nMessage) : '';
  const result = { rc, errorOffset, message, changes, lastInsertRowid, statements, resultSets };
  if (flags & SQLW_FLAG_LIVE) result.live = readLiveTrailer(u8, dv, p + nMessage, end);
  return result;
}

/*
** A live query's trailer (SQLW_FLAG_LIVE, docs/format.md) at u8[p..end): { epoch, counter
** (the commits of that leadership its result includes), all (its read set is unknown),
** tables (the tables its statement reads) }.
*/
function readLiveTrailer(u8, dv, p, end) {
  if (p + SQLW_LIVE_TRAILER + 4 > end) throw badResult('truncated live trailer');
  const epoch = Number(dv.getBigUint64(p, true));
  const counter = dv.getUint32(p + 8, true);
  const all = (dv.getUint32(p + 12, true) & SQLW_LIVE_ALL) !== 0;
  const [tables, after] = readNames(u8, dv, p + SQLW_LIVE_TRAILER, end);
  if (after !== end) throw badResult('bytes after the live trailer');
  return { epoch, counter, all, tables };
}

/*
** A list of names at u8[p..end): u32 count, then count × (u32 n, n bytes of UTF-8).
** Returns [names, the offset after them]. Throws on a list that passes end.
*/
export function readNames(u8, dv, p, end) {
  if (p + 4 > end) throw badResult('truncated name list');
  const n = dv.getUint32(p, true);
  p += 4;
  if (n > (end - p) / 4) throw badResult('name list longer than the buffer');
  const names = [];
  for (let i = 0; i < n; i++) {
    if (p + 4 > end) throw badResult('truncated name');
    const len = dv.getUint32(p, true);
    p += 4;
    if (p + len > end) throw badResult('truncated name');
    names.push(readText(u8, p, len));
    p += len;
  }
  return [names, p];
}

/*
** Decodes one SQWL result list (docs/format.md): the answer of a batch.
** u8: the buffer (only read during the call). options: as decodeResult.
** Returns { rc, failIndex (−1 when no item failed), results: [decoded SQWR, …] }.
** Throws Error when the list or one of its results is malformed.
*/
export function decodeResultList(u8, options) {
  const { asArray, always } = checkDecodeOptions(options);
  if (!(u8 instanceof Uint8Array)) throw new TypeError('decodeResultList expects a Uint8Array');
  const len = u8.length;
  if (len < SQLW_LIST_HEADER || !hasMagic(u8, 0, SQLW_MAGIC_LIST)) {
    throw new Error('malformed SQWL result list: bad magic or too short');
  }
  const whole = new Uint8Array(u8.buffer, 0, u8.byteOffset + len);
  const dv = new DataView(u8.buffer, 0, u8.byteOffset + len);
  const base = u8.byteOffset;
  const version = dv.getUint16(base + 4, true);
  if (version !== SQLW_FORMAT_VERSION || (dv.getUint16(base + 6, true) & ~SQLW_FLAG_IN_TXN) !== 0) {
    throw new Error(`malformed SQWL result list: version ${version} or flags unknown`);
  }
  const rc = dv.getInt32(base + 8, true);
  const failIndex = dv.getInt32(base + 12, true);
  const n = dv.getUint32(base + 16, true);
  const results = [];
  let p = base + 20;
  for (let i = 0; i < n; i++) {
    if (p + 4 > base + len) throw new Error('malformed SQWL result list: truncated');
    const m = dv.getUint32(p, true);
    if (p + 4 + m > base + len) throw new Error('malformed SQWL result list: result longer than the list');
    results.push(decodeResultAt(whole, dv, p + 4, m, asArray, always));
    p += 4 + m;
  }
  if (p !== base + len) throw new Error('malformed SQWL result list: bytes after the last result');
  return { rc, failIndex, results };
}

/* True when u8 holds the 4-letter magic at byte `at`. */
function hasMagic(u8, at, magic) {
  for (let i = 0; i < 4; i++) if (u8[at + i] !== magic.charCodeAt(i)) return false;
  return true;
}
