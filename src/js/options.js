// options.js — the page's checks of what an application passes in: openDatabase()'s
// options (normalized, with their defaults and bounds), a query's options, database
// names, SQL text and abort signals. Each check throws SQLiteError SQLITE_MISUSE naming
// what is wrong; nothing here talks to a worker.

import { SQLiteError, misuse } from './errors.js';
import { checkDecodeOptions } from './codec.js';
import { SQLITE_ABORT } from './proto.js';
export const PREFIX = '[sqlite-worker]';

const DEBUG_KEY = 'sqlite-worker-debug';

const OPTIONS = ['persistence', 'timeoutMs', 'transactionIdleMs', 'maxStatementMs', 'debug', 'durability', 'bigint', 'rowMode', 'busyTimeoutMs', 'workerUrl', 'wasmUrl', 'pageSize'];

// The longest duration a timer can wait (setTimeout fires at once beyond it).
const MAX_MS = 2 ** 31 - 1;

export const QUERY_OPTIONS = ['rowMode', 'bigint', 'signal'];

const DEFAULT_TIMEOUT_MS = 30000;

const DEFAULT_BUSY_TIMEOUT_MS = 5000;

const DEFAULT_TRANSACTION_IDLE_MS = 30000;

/* True when localStorage says 'sqlite-worker-debug' = 'true' (false where there is none). */
function debugFromStorage() {
  try {
    return globalThis.localStorage?.getItem(DEBUG_KEY) === 'true';
  } catch {
    return false; // storage blocked (sandboxed frame, privacy settings)
  }
}

/*
** Checks an options object against the names allowed. Returns the object (or {}).
** Throws SQLiteError SQLITE_MISUSE for a non-object or an unknown name.
*/
export function checkOptions(options, allowed, what) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) throw misuse(`${what} must be an object`);
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) throw misuse(`unknown ${what} "${k}" (known: ${allowed.join(', ')})`);
  }
  return options;
}

/*
** Validates openDatabase's options. Returns them with defaults filled in.
** Throws SQLiteError SQLITE_MISUSE for a wrong type or value.
*/
export function normalizeOptions(options) {
  const o = checkOptions(options, OPTIONS, 'option');
  const persistence = o.persistence ?? 'auto';
  if (!['auto', 'opfs', 'memory'].includes(persistence)) {
    throw misuse(`persistence must be 'auto', 'opfs' or 'memory', not ${JSON.stringify(persistence)}`);
  }
  const durability = o.durability ?? 'durable';
  if (!['durable', 'relaxed'].includes(durability)) {
    throw misuse(`durability must be 'durable' or 'relaxed', not ${JSON.stringify(durability)}`);
  }
  const timeoutMs = duration(o, 'timeoutMs', DEFAULT_TIMEOUT_MS, { infinite: true });
  const transactionIdleMs = duration(o, 'transactionIdleMs', DEFAULT_TRANSACTION_IDLE_MS);
  const maxStatementMs = duration(o, 'maxStatementMs', Infinity, { infinite: true });
  const busyTimeoutMs = duration(o, 'busyTimeoutMs', DEFAULT_BUSY_TIMEOUT_MS, { zero: true });
  if (o.debug !== undefined && typeof o.debug !== 'boolean') throw misuse('debug must be a boolean');
  const decode = checkDecodeOptions({ rowMode: o.rowMode ?? 'object', bigint: o.bigint ?? 'auto' });
  const pageSize = o.pageSize;
  if (pageSize !== undefined
    && (!Number.isInteger(pageSize) || pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0)) {
    throw misuse(`pageSize must be a power of two from 512 to 65536 (bytes), not ${typeof pageSize === 'number' ? pageSize : typeof pageSize}`);
  }
  for (const k of ['workerUrl', 'wasmUrl']) {
    if (o[k] !== undefined && typeof o[k] !== 'string' && !(o[k] instanceof URL)) throw misuse(`${k} must be a string or a URL`);
  }
  return {
    persistence,
    durability,
    timeoutMs,
    transactionIdleMs,
    maxStatementMs,
    busyTimeoutMs,
    debug: o.debug ?? debugFromStorage(),
    rowMode: decode.asArray ? 'array' : 'object',
    bigint: decode.always ? 'always' : 'auto',
    workerUrl: o.workerUrl,
    wasmUrl: o.wasmUrl,
    pageSize,
  };
}

/*
** The duration option `key` of o (default `fallback`): a number of milliseconds above 0
** (or 0 with zero) and at most MAX_MS, or Infinity where `infinite`. Throws SQLiteError
** SQLITE_MISUSE naming the option otherwise.
*/
function duration(o, key, fallback, { infinite = false, zero = false } = {}) {
  const v = o[key] === undefined ? fallback : o[key];
  if (v === Infinity && infinite) return v;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (v === 0 && !zero) || v > MAX_MS) {
    throw misuse(`${key} must be a number of milliseconds, ${zero ? '0' : 'above 0'} to ${MAX_MS}`
      + `${infinite ? ', or Infinity' : ''}; got ${typeof v === 'number' ? v : typeof v}`);
  }
  return v;
}

/* The `signal` query option: an AbortSignal, or null when absent. Throws SQLITE_MISUSE. */
export function checkSignal(signal) {
  if (signal === undefined || signal === null) return null;
  if (typeof signal !== 'object' || typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
    throw misuse('signal must be an AbortSignal');
  }
  return signal;
}

/* The rejection of a call whose AbortSignal fired: SQLITE_ABORT, the signal's reason as cause. */
export function abortError(signal, sql) {
  return new SQLiteError('aborted (the call\'s AbortSignal): not run if it had not started; a statement '
    + 'already running goes on until its deadline', { errno: SQLITE_ABORT, sql, cause: signal.reason });
}

/* Checks the SQL argument. Throws SQLiteError SQLITE_MISUSE. */
export function checkSql(sql) {
  if (typeof sql !== 'string') throw misuse(`sql must be a string, not ${sql === null ? 'null' : typeof sql}`);
  if (sql.includes('\0')) throw misuse('sql contains U+0000', sql);
}
