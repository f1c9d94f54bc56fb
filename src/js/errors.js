// errors.js — the one error type every layer of SQLite Worker throws, and the one form
// an error takes between threads and tabs.
//
// A failure keeps SQLite's extended result code from the C core all the way to the
// application: `errno` is the number (2067), `code` its symbolic name
// ('SQLITE_CONSTRAINT_UNIQUE'), and the message is SQLite's own text. Errors raised in
// JavaScript before anything reaches the core (a value that cannot be bound, a closed
// connection) use the SQLite code that describes them (SQLITE_MISMATCH, SQLITE_MISUSE…),
// and the library's own failures have codes of their own (SQLITE_WORKER_*, extended codes
// of SQLITE_ERROR, in src/core/proto.h), so callers can branch on `code` alone.
//
// The name always comes from the number, through CODE_NAMES: the table the core names
// codes with too (both are generated from proto.h and sqlite3.h). Between threads and
// tabs an error travels as { errno, message, offset } (errorFields) or, in binary, as
// an error result (SQWR, docs/format.md "Errors"); the name is derived again on arrival.

import {
  CODE_NAMES, SQLITE_ERROR, SQLITE_MISUSE,
} from './proto.js';

/** The name of result code rc ('SQLITE_BUSY' for 5; an unknown extended code's primary's; 'SQLITE_UNKNOWN'). */
export function codeName(rc) {
  return CODE_NAMES.get(rc) ?? CODE_NAMES.get(rc & 0xff) ?? 'SQLITE_UNKNOWN';
}

/**
 * An error carrying a SQLite result code.
 *
 * @param {string} message  SQLite's message (or ours, for errors found in JS).
 * @param {object} [info]
 * @param {number} [info.errno]   extended result code, e.g. 2067 (SQLITE_ERROR if absent);
 *                                `code` is its name.
 * @param {string} [info.sql]     the SQL of the failing request, when there is one.
 * @param {number} [info.offset]  byte offset of the error in the UTF-8 SQL text, −1 if unknown.
 * @param {unknown} [info.cause]  an underlying error, kept as Error#cause.
 * Owns nothing; never throws.
 */
export class SQLiteError extends Error {
  constructor(message, { errno = SQLITE_ERROR, sql, offset = -1, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'SQLiteError';
    this.errno = Number.isInteger(errno) ? errno : SQLITE_ERROR;
    this.code = codeName(this.errno);
    this.sql = sql;
    this.offset = Number.isInteger(offset) ? offset : -1;
  }
}

/**
 * The fields an error crosses a thread in: { errno, message, offset }. Anything not a
 * SQLiteError is SQLITE_ERROR with its name and message.
 */
export function errorFields(e) {
  if (e instanceof SQLiteError) return { errno: e.errno, message: e.message, offset: e.offset };
  return { errno: SQLITE_ERROR, message: `${e?.name ?? 'Error'}: ${e?.message ?? String(e)}`, offset: -1 };
}

/** The SQLiteError of fields that crossed a thread (errorFields), for the request `sql`. */
export function fromFields(f, sql) {
  return new SQLiteError(String(f?.message ?? 'unknown error'), {
    errno: Number.isInteger(f?.errno) ? f.errno : SQLITE_ERROR, offset: f?.offset, sql,
  });
}

/**
 * Builds the SQLITE_MISUSE error of an API used the wrong way (closed connection, bad
 * argument shapes). Returns the error; the caller throws it.
 */
export function misuse(message, sql) {
  return new SQLiteError(message, { errno: SQLITE_MISUSE, sql });
}
