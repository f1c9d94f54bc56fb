// errors.js — the one error type every layer of SQLite Worker throws.
//
// A failure keeps SQLite's extended result code from the C core all the way to the
// application: `errno` is the number (2067), `code` its symbolic name
// ('SQLITE_CONSTRAINT_UNIQUE'), and the message is SQLite's own text. Errors raised in
// JavaScript before anything reaches the core (a value that cannot be bound, a closed
// connection) use the SQLite code that describes them (SQLITE_MISMATCH, SQLITE_MISUSE…)
// so callers can branch on `code` alone.

import { SQLITE_ERROR, SQLITE_MISUSE } from './proto.js';

/**
 * An error carrying a SQLite result code.
 *
 * @param {string} message  SQLite's message (or ours, for errors found in JS).
 * @param {object} [info]
 * @param {string} [info.code]    symbolic name, e.g. 'SQLITE_CONSTRAINT_UNIQUE'.
 * @param {number} [info.errno]   extended result code, e.g. 2067.
 * @param {string} [info.sql]     the SQL of the failing request, when there is one.
 * @param {number} [info.offset]  byte offset of the error in the UTF-8 SQL text, −1 if unknown.
 * @param {unknown} [info.cause]  an underlying error, kept as Error#cause.
 * Owns nothing; never throws.
 */
export class SQLiteError extends Error {
  constructor(message, { code = 'SQLITE_ERROR', errno = SQLITE_ERROR, sql, offset = -1, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'SQLiteError';
    this.code = code;
    this.errno = errno;
    this.sql = sql;
    this.offset = offset;
  }
}

/**
 * Builds the SQLITE_MISUSE error of an API used the wrong way (closed connection, bad
 * argument shapes). Returns the error; the caller throws it.
 */
export function misuse(message, sql) {
  return new SQLiteError(message, { code: 'SQLITE_MISUSE', errno: SQLITE_MISUSE, sql });
}
