// queries.js — the query methods of the public API, shared by a database and a
// transaction (Queries: exec, all, get, run, runMany, batch), and Transaction, a lease on
// the leader whose calls carry the BEGIN's id. Parameters are encoded here and results
// decoded here; a failed result becomes the SQLiteError of its code (resultError).

import { SQLiteError, codeName, misuse } from './errors.js';
import {
  checkDecodeOptions, decodeResult, decodeResultList, encodeParamSets, encodeParams,
} from './codec.js';
import { batchBody, sqlBody } from './protocol.js';
import {
  ANS_ERROR, ANS_LIST, ANS_RESULT, REQ_BATCH, REQ_CURSOR_CLOSE, REQ_CURSOR_NEXT, REQ_CURSOR_OPEN, REQ_EXEC,
  REQ_RUN_MANY, SQLITE_ERROR, SQLW_FLAG_MORE,
  SQLITE_WORKER_LEADER_CHANGED, SQLITE_WORKER_TRANSACTION_TIMEOUT,
} from './proto.js';
import { QUERY_OPTIONS, checkOptions, checkSignal, checkSql } from './options.js';

// The SQL text of each template a tagged `sql` call used (the strings array is the same
// object at every call of one template literal, so its text is built once).
const templateText = new WeakMap();
// iterate(): rows per chunk unless options.chunkRows says otherwise; the cursors' ids.
const ITERATE_CHUNK_ROWS = 256;
let cursorIds = 0;

/* A little-endian u32 as 4 bytes. */
function u32(n) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/*
** The SQL of a tagged template: its strings joined by numbered parameters (?1, ?2, …),
** so every interpolation is bound, never spliced into the text. Throws SQLITE_MISUSE for
** anything but a template's strings.
*/
function templateSql(strings) {
  let sql = templateText.get(strings);
  if (sql !== undefined) return sql;
  if (!Array.isArray(strings) || !Array.isArray(strings.raw) || !strings.every((s) => typeof s === 'string')) {
    throw misuse('sql is a tag for a template literal: db.sql`SELECT * FROM t WHERE id = ${id}`');
  }
  sql = strings[0];
  for (let i = 1; i < strings.length; i++) sql += `?${i}${strings[i]}`;
  templateText.set(strings, sql);
  return sql;
}

/* Copies an SQWP view (the codec reuses its buffer) into bytes the request owns. */
export function ownParams(view) {
  return view && view.length ? view.slice() : null;
}

/*
** The outcome of a statement as the API returns it: rows of its last result set (an
** array with a `columns` property), changes, lastInsertRowid.
*/
export function shapeResult(r) {
  const set = r.resultSets.length ? r.resultSets[r.resultSets.length - 1] : null;
  const rows = set ? set.rows : [];
  Object.defineProperty(rows, 'columns', { value: set ? set.columns : [], enumerable: false });
  return { rows, columns: rows.columns, changes: r.changes, lastInsertRowid: r.lastInsertRowid };
}

/* Builds the SQLiteError of an ANS_ERROR body (an error result, SQWR). */
export function answerError(body, sql) {
  let r;
  try {
    r = decodeResult(body);
  } catch (e) {
    return new SQLiteError(`a malformed error answer from the worker: ${e.message}`, { errno: SQLITE_ERROR, sql });
  }
  return resultError(r.rc === 0 ? { ...r, rc: SQLITE_ERROR } : r, sql);
}

/* Builds the SQLiteError of a failed SQWR result. */
export function resultError(r, sql) {
  return new SQLiteError(r.message || codeName(r.rc), { errno: r.rc, sql, offset: r.errorOffset });
}

/**
 * The query methods shared by a Database and a transaction's `tx`: exec, all, get, run,
 * runMany, batch. Each returns a Promise; the subclass decides how requests are sent.
 */
export class Queries {
  /* Sends a request now (subclasses route it); signal: the call's AbortSignal or null.
  ** Returns a Promise. */
  _send(kind, parts, sql, signal, decode) {
    throw new Error(`not implemented: ${kind} ${parts} ${sql} ${signal} ${decode}`);
  }

  /* The database's default decode options merged with a call's. */
  _decodeOptions(options) {
    const o = checkOptions(options, QUERY_OPTIONS, 'query option');
    const base = this._database().options;
    return { rowMode: o.rowMode ?? base.rowMode, bigint: o.bigint ?? base.bigint };
  }

  /*
  ** Runs sql with params and decodes its SQWR. Returns a Promise of the decoded result.
  */
  _statement(kind, sql, params, options, many) {
    try {
      checkSql(sql);
      const decodeOptions = this._decodeOptions(options);
      checkDecodeOptions(decodeOptions);
      const signal = checkSignal(options?.signal);
      // A run-many's buffer is its own already; encodeParams reuses one, copied here.
      const body = sqlBody(sql, many ? encodeParamSets(params) : ownParams(encodeParams(params)));
      return this._send(kind, body, sql, signal, (ans, bytes) => {
        if (ans === ANS_ERROR) throw answerError(bytes, sql);
        if (ans !== ANS_RESULT) throw new Error(`unexpected answer kind ${ans}`);
        const r = decodeResult(bytes, decodeOptions);
        if (r.rc !== 0) throw resultError(r, sql);
        return r;
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Runs one statement or a script. Returns { rows, columns, changes, lastInsertRowid,
   * resultSets } (rows/columns: of the last statement that returns rows).
   */
  async exec(sql, params, options) {
    const r = await this._statement(REQ_EXEC, sql, params, options, false);
    return { ...shapeResult(r), resultSets: r.resultSets };
  }

  /**
   * A tagged template: db.sql`SELECT * FROM t WHERE id = ${id}` returns the rows (as
   * all()), every interpolated value bound as a parameter, never part of the SQL text.
   */
  sql(strings, ...values) {
    let text;
    try {
      text = templateSql(strings);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.all(text, values);
  }

  /** Returns the rows of the query (objects by default); `rows.columns` names the columns. */
  async all(sql, params, options) {
    return shapeResult(await this._statement(REQ_EXEC, sql, params, options, false)).rows;
  }

  /** Returns the first row of the query, or undefined when it returns none. */
  async get(sql, params, options) {
    const sets = (await this._statement(REQ_EXEC, sql, params, options, false)).resultSets;
    return sets.length ? sets[sets.length - 1].rows[0] : undefined;
  }

  /** Runs a statement. Returns { changes, lastInsertRowid }. */
  async run(sql, params, options) {
    const { changes, lastInsertRowid } = await this._statement(REQ_EXEC, sql, params, options, false);
    return { changes, lastInsertRowid };
  }

  /**
   * The rows of one statement that reads, as an async iterator, fetched from the serving
   * tab in chunks of options.chunkRows rows (default 256; a chunk also ends at about
   * 1 MiB), so no answer holds the whole result. Breaking out of the loop closes it.
   */
  async* iterate(sql, params, options) {
    checkSql(sql);
    const o = checkOptions(options, [...QUERY_OPTIONS, 'chunkRows'], 'iterate option');
    const chunkRows = o.chunkRows ?? ITERATE_CHUNK_ROWS;
    if (!Number.isInteger(chunkRows) || chunkRows < 1 || chunkRows > 0xffffffff) {
      throw misuse('iterate option chunkRows must be an integer from 1', sql);
    }
    const decodeOptions = this._decodeOptions({ rowMode: o.rowMode, bigint: o.bigint });
    checkDecodeOptions(decodeOptions);
    const signal = checkSignal(o.signal);
    const id = (cursorIds = (cursorIds + 1) >>> 0) || (cursorIds = 1);
    const decode = (ans, bytes) => {
      if (ans === ANS_ERROR) throw answerError(bytes, sql);
      if (ans !== ANS_RESULT) throw new Error(`unexpected answer kind ${ans}`);
      const r = decodeResult(bytes, decodeOptions);
      if (r.rc !== 0) throw resultError(r, sql);
      return { rows: shapeResult(r).rows, more: (bytes[6] & SQLW_FLAG_MORE) !== 0 };
    };
    let chunk = await this._send(REQ_CURSOR_OPEN, [u32(id), u32(chunkRows), ...sqlBody(sql, ownParams(encodeParams(params)))],
      sql, signal, decode);
    let done = !chunk.more;
    try {
      for (let n = 1; ; n++) {
        for (const row of chunk.rows) yield row;
        if (!chunk.more) {
          done = true;
          return;
        }
        chunk = await this._send(REQ_CURSOR_NEXT, [u32(id), u32(chunkRows), u32(n)], sql, signal, decode);
        done = !chunk.more;
      }
    } finally {
      if (!done) this._send(REQ_CURSOR_CLOSE, [u32(id)], sql, null, () => null).catch(() => {});
    }
  }

  /**
   * Runs one statement once per parameter set, atomically, in one round trip.
   * Returns { changes, lastInsertRowid, rows } (rows: from RETURNING, if any).
   */
  async runMany(sql, paramSets, options) {
    if (!Array.isArray(paramSets)) throw misuse('runMany expects an array of parameter sets', typeof sql === 'string' ? sql : undefined);
    const { changes, lastInsertRowid, rows } = shapeResult(await this._statement(REQ_RUN_MANY, sql, paramSets, options, true));
    return { changes, lastInsertRowid, rows };
  }

  /**
   * Runs [sql, params?] items in order, atomically, in one round trip.
   * Returns one { rows, columns, changes, lastInsertRowid } per item. Rejects with the
   * failing item's SQLiteError (its `batchIndex` says which); nothing of it remains.
   */
  batch(items, options) {
    try {
      if (!Array.isArray(items)) throw misuse('batch expects an array of [sql, params] items');
      const decodeOptions = this._decodeOptions(options);
      const list = items.map((item, i) => {
        const [sql, params] = Array.isArray(item) ? item : [item];
        if (typeof sql !== 'string') throw misuse(`batch item ${i} must be [sql, params?] with sql a string`);
        checkSql(sql);
        return { sql, params: ownParams(encodeParams(params)) };
      });
      const signal = checkSignal(options?.signal);
      const body = batchBody(list);
      return this._send(REQ_BATCH, [body], undefined, signal, (ans, bytes) => {
        if (ans === ANS_ERROR) throw answerError(bytes);
        if (ans !== ANS_LIST) throw new Error(`unexpected answer kind ${ans}`);
        const { rc, failIndex, results } = decodeResultList(bytes, decodeOptions);
        if (rc !== 0) {
          const last = results[results.length - 1] ?? { message: '', errorOffset: -1 };
          const sql = list[failIndex]?.sql;
          const err = new SQLiteError(last.message || 'batch failed',
            { errno: rc, sql, offset: last.errorOffset });
          err.batchIndex = failIndex;
          throw err;
        }
        return results.map(shapeResult);
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }
}

/** A transaction's handle: the query methods, valid until the transaction ends. */
/* How the leader ended a transaction without its tab's word (reason 'idle' or 'lost'):
** { errno, message } of the error its next call gets. */
export function lostReason(reason, idleMs) {
  return reason === 'idle'
    ? { errno: SQLITE_WORKER_TRANSACTION_TIMEOUT, message: `the transaction was rolled back after ${idleMs} ms without a request (transactionIdleMs)` }
    : { errno: SQLITE_WORKER_LEADER_CHANGED, message: 'the transaction was lost when the tab serving the database changed; nothing of it was saved: run it again' };
}

export class Transaction extends Queries {
  #db;
  #open = true;
  #lost = null;           // the SQLiteError of a transaction the leader ended
  #depth = 0;             // savepoints of tx.transaction() open

  constructor(db) {
    super();
    this.#db = db;
    this.lease = 0;       // the id of its BEGIN request, once sent
  }

  _database() {
    return this.#db;
  }

  _send(kind, parts, sql, signal, decode) {
    if (!this.#open) return Promise.reject(misuse('this transaction is over: use the db outside transaction(fn)', sql));
    if (this.#lost) return Promise.reject(new SQLiteError(this.#lost.message, { errno: this.#lost.errno, sql }));
    return this.#db._direct(kind, parts, sql, decode, this.lease, null, signal);
  }

  /* The leader ended the transaction (reason 'idle' or 'lost'): later calls reject. */
  _lose(reason) {
    this.#lost = lostReason(reason, this.#db.options.transactionIdleMs);
  }

  /**
   * Runs fn(tx) in a savepoint of this transaction: released when fn's promise resolves
   * (resolving with its value), rolled back to when it rejects or throws (rejecting with
   * its error; the outer transaction goes on). Nests to any depth.
   */
  async transaction(fn) {
    if (typeof fn !== 'function') throw misuse('transaction expects a function (tx) => …');
    const name = `sqlw_nested_${++this.#depth}`;
    try {
      await this.exec(`SAVEPOINT ${name}`);
      let value;
      try {
        value = await fn(this);
      } catch (e) {
        await this.exec(`ROLLBACK TO ${name}; RELEASE ${name}`).catch(() => {});
        throw e;
      }
      await this.exec(`RELEASE ${name}`);
      return value;
    } finally {
      this.#depth--;
    }
  }

  /* The error of a lost transaction, or null. */
  get _lostError() {
    return this.#lost;
  }

  /* Ends the handle: later calls reject. */
  _end() {
    this.#open = false;
  }
}
