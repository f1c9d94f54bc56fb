// host-common.js — what the browser host (host-browser.js) and the Node host
// (host-node.js) share: the rule for a database's name and the names of its folder and
// slot files, the table of open handles, where log lines go, and the imports that do not
// touch storage (random, time, tzoffset, busy, log). Each host adds its files.

import { misuse } from './errors.js';
import {
  SQLW_MATH_ACOS, SQLW_MATH_ASIN, SQLW_MATH_ATAN, SQLW_MATH_ATAN2, SQLW_MATH_ACOSH,
  SQLW_MATH_ASINH, SQLW_MATH_ATANH, SQLW_MATH_COS, SQLW_MATH_SIN, SQLW_MATH_TAN,
  SQLW_MATH_COSH, SQLW_MATH_SINH, SQLW_MATH_TANH, SQLW_MATH_EXP, SQLW_MATH_LOG,
  SQLW_MATH_LOG10, SQLW_MATH_LOG2, SQLW_MATH_POW, SQLW_MATH_FMOD,
} from './proto.js';

/** The longest database name, in bytes of UTF-8 (POOL_NAME_MAX of src/core/vfs_pool.c). */
export const NAME_MAX = 64;

/** Slot files are named slot-0000 … slot-9999, slot-10000 … */
export const SLOT_PREFIX = 'slot-';

export const SLOT_RE = /^slot-(\d{4,})$/;

// Random bytes are filled in pieces of this size, the Web Crypto limit.
const RANDOM_CHUNK = 65536;

const textEncoder = new TextEncoder();

const textDecoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Throws SQLiteError SQLITE_MISUSE unless `name` is a valid database name: 1 to 64 bytes
 * of UTF-8 (so no lone surrogate, which UTF-8 cannot carry), without '/', '\' or U+0000.
 * The one rule of the page (openDatabase, deleteDatabase) and of both hosts.
 */
export function checkName(name) {
  if (typeof name !== 'string' || name.length === 0) {
    throw misuse(`the database name must be a non-empty string, not ${name === '' ? 'an empty one' : typeof name}`);
  }
  if (textEncoder.encode(name).length > NAME_MAX || /[\0/\\]|\p{Cs}/u.test(name)) {
    throw misuse(`the database name must be at most ${NAME_MAX} bytes of UTF-8, without "/", "\\", U+0000 `
      + `or a lone surrogate: ${JSON.stringify(name)}`);
  }
}

/** The folder name of database `name`: reversible, and never '.' or '..'. */
export function folderName(name) {
  return encodeURIComponent(name).replace(/\./g, '%2E');
}

/** The slot file name of index i. */
export function slotName(i) {
  return SLOT_PREFIX + String(i).padStart(4, '0');
}

/**
 * The table of a host's open handles: small integers (host.h asks for them), free
 * numbers reused lowest first. An entry is whatever the host keeps for a handle.
 */
export class HandleTable {
  #entries = [];

  /** Adds `entry`. Returns its handle. */
  add(entry) {
    let h = this.#entries.indexOf(null);
    if (h < 0) h = this.#entries.push(null) - 1;
    this.#entries[h] = entry;
    return h;
  }

  /** The entry of handle h, or null when h is not an open handle. */
  get(h) {
    return Number.isInteger(h) && h >= 0 && h < this.#entries.length ? this.#entries[h] : null;
  }

  /** Frees handle h. Returns its entry (null when it was not open). */
  remove(h) {
    const entry = this.get(h);
    if (entry !== null) this.#entries[h] = null;
    return entry;
  }

  /** The handles open now. */
  open() {
    const out = [];
    this.#entries.forEach((e, h) => { if (e !== null) out.push(h); });
    return out;
  }
}

/**
 * The function a host writes a log line with, at level (0 error, 1 warning, 2 debug): to
 * the `log` option when given (a logger that throws is reported, never unwinds through
 * C), else to the console.
 */
export function makeEmit(log) {
  return (level, message) => {
    if (log) {
      try {
        log(level, message);
      } catch (e) {
        console.error('sqlite-worker: the log callback threw:', e);
      }
      return;
    }
    if (level === 0) console.error(`sqlite-worker: ${message}`);
    else if (level === 1) console.warn(`sqlite-worker: ${message}`);
    else console.debug(`sqlite-worker: ${message}`);
  };
}

// host_math's functions by operation (src/core/hostmath.c): the wasm build's libm.
// JavaScript's % on numbers is C's fmod.
const MATH = {
  [SQLW_MATH_ACOS]: Math.acos, [SQLW_MATH_ASIN]: Math.asin, [SQLW_MATH_ATAN]: Math.atan,
  [SQLW_MATH_ATAN2]: Math.atan2, [SQLW_MATH_ACOSH]: Math.acosh, [SQLW_MATH_ASINH]: Math.asinh,
  [SQLW_MATH_ATANH]: Math.atanh, [SQLW_MATH_COS]: Math.cos, [SQLW_MATH_SIN]: Math.sin,
  [SQLW_MATH_TAN]: Math.tan, [SQLW_MATH_COSH]: Math.cosh, [SQLW_MATH_SINH]: Math.sinh,
  [SQLW_MATH_TANH]: Math.tanh, [SQLW_MATH_EXP]: Math.exp, [SQLW_MATH_LOG]: Math.log,
  [SQLW_MATH_LOG10]: Math.log10, [SQLW_MATH_LOG2]: Math.log2, [SQLW_MATH_POW]: Math.pow,
  [SQLW_MATH_FMOD]: (x, y) => x % y,
};

/**
 * The imports of host.h that do not touch storage. bytes(ptr, n): a view of wasm memory;
 * emit: makeEmit's function; onBusy: the host's option (tag: a Uint8Array copy of the
 * asking client's id, or null when the request reported is over); fill(view): fills a
 * view of at most 65,536 bytes with random bytes. None throws: a failure is logged.
 */
export function baseImports({ bytes, emit, onBusy, fill }) {
  return {
    /* host_random: n random bytes at p. */
    random(p, n) {
      try {
        const buf = bytes(p, n);
        for (let i = 0; i < n; i += RANDOM_CHUNK) fill(buf.subarray(i, Math.min(n, i + RANDOM_CHUNK)));
      } catch (e) {
        emit(0, `random(${p}, ${n}) failed: ${e?.message ?? e}`);
      }
    },
    /* host_time: milliseconds since 1970-01-01 UTC. */
    time() {
      return Date.now();
    },
    /* host_math: the math function op of x (and y); NaN for an unknown op. */
    math(op, x, y) {
      const f = MATH[op];
      return f ? f(x, y) : NaN;
    },
    /* host_tzoffset: minutes to add to UTC for local time at the instant ms (0 if invalid). */
    tzoffset(ms) {
      const offset = -new Date(ms).getTimezoneOffset();
      return Number.isFinite(offset) ? offset : 0;
    },
    /* host_busy: the request running has run a while, or (n 0) the one reported is over. */
    busy(ptr, n) {
      try {
        onBusy?.(n > 0 ? bytes(ptr, n).slice() : null);
      } catch (e) {
        emit(0, `the onBusy callback threw: ${e?.message ?? e}`);
      }
    },
    /* host_log: one line of the core, to the `log` option or the console. */
    log(level, ptr, n) {
      let message;
      try {
        message = textDecoder.decode(bytes(ptr, n));
      } catch (e) {
        message = `(unreadable log line: ${e?.message ?? e})`;
      }
      emit(level, message);
    },
  };
}
