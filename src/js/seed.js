// seed.js — the seed-compatible connection: `new DatabaseConnection()` and query(sql)
// resolving with JSON text, over the Database of database.js.

import { openDatabase } from './database.js';

/**
 * The seed-compatible connection: `new DatabaseConnection()` opens 'worker.db';
 * `ready` resolves once it is open; `query(sql)` resolves with JSON text: the rows (an
 * array of objects) of a statement that returns rows, else
 * {"changes":n,"lastInsertRowid":n}. Queries made before ready wait for it.
 */
export class DatabaseConnection {
  #db;

  constructor(name = 'worker.db', options = undefined) {
    this.#db = openDatabase(name, options);
    /** Resolves (with undefined) when the database is open; rejects when it cannot open. */
    this.ready = this.#db.then(() => undefined);
  }

  /** Runs sql (one statement or a script). Resolves with JSON text (see the class). */
  async query(sql) {
    const db = await this.#db;
    const r = await db.exec(sql);
    const value = r.resultSets.length ? r.rows : { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
    return toJson(value);
  }

  /** The Database behind this connection (for the rest of the API). */
  get database() {
    return this.#db;
  }

  /** Closes the database. */
  async close() {
    await (await this.#db).close();
  }
}

/*
** JSON text of query results: BigInt as a JSON number with every digit (JSON has no
** size limit), Uint8Array as an array of byte values. Returns a string.
*/
function toJson(value) {
  const marks = [];
  const token = `sqlw-big-${Math.random().toString(36).slice(2)}-`;
  const text = JSON.stringify(value, (k, v) => {
    if (typeof v === 'bigint') {
      marks.push(v.toString());
      return token + (marks.length - 1);
    }
    if (v instanceof Uint8Array) return Array.from(v);
    return v;
  });
  if (!marks.length) return text;
  // The token is random per call, so no user text can stand for a placeholder.
  return text.replace(new RegExp(`"${token}(\\d+)"`, 'g'), (_, i) => marks[Number(i)]);
}
