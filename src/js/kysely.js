// kysely.js — sqlite-worker/kysely: a Kysely dialect over an open Database (README
// "Kysely"). Kysely's own SQLite adapter and query compiler; an introspector that leaves
// the library's bookkeeping (_sqlw_*) out; a driver whose transactions are the tab's SQL
// transactions (BEGIN … COMMIT sent as SQL: a lease on the leader, docs/coord.md), with
// savepoints, while the dialect's other queries wait for them.

import { CompiledQuery, SelectQueryNode, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';

/* A savepoint statement: verb, then the name as a quoted identifier. */
function savepointQuery(verb, name) {
  if (typeof name !== 'string' || name === '') throw new TypeError('a savepoint needs a name');
  return CompiledQuery.raw(`${verb} "${name.replace(/"/g, '""')}"`);
}

/** A Kysely dialect over a sqlite-worker Database: `new Kysely({ dialect: new SQLiteWorkerDialect({ database: db }) })`. */
export class SQLiteWorkerDialect {
  #config;

  /**
   * config.database: an open Database, or a function returning one (or a Promise of one),
   * called once when Kysely first needs it. config.onCreateConnection(connection): run
   * once the connection exists (settings, pragmas).
   */
  constructor(config) {
    if (!config || typeof config !== 'object' || !config.database
      || (typeof config.database !== 'function' && typeof config.database.exec !== 'function')) {
      throw new TypeError('SQLiteWorkerDialect needs { database }: an open Database, or a function returning one');
    }
    this.#config = { ...config };
  }

  createAdapter() {
    return new SqliteAdapter();
  }

  createDriver() {
    return new SQLiteWorkerDriver(this.#config);
  }

  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }

  createIntrospector(db) {
    return new SQLiteWorkerIntrospector(db);
  }
}

/* Kysely's SQLite introspector without the library's bookkeeping tables. */
class SQLiteWorkerIntrospector extends SqliteIntrospector {
  async getTables(options) {
    return (await super.getTables(options)).filter((t) => !/^_sqlw_/i.test(t.name));
  }

  async getMetadata(options) {
    return { tables: await this.getTables(options) };
  }
}

/*
** The driver. One Database is one connection (each tab is one connection to the shared
** database). A transaction holds it: queries acquired after its BEGIN wait until it ends,
** as with Kysely's other single-connection dialects; queries outside transactions run
** side by side.
*/
class SQLiteWorkerDriver {
  #config;
  #db = null;
  #held = null;           // while a transaction holds the database: { done, release }

  constructor(config) {
    this.#config = config;
  }

  async init() {
    const d = this.#config.database;
    this.#db = typeof d === 'function' ? await d() : d;
    if (this.#config.onCreateConnection) await this.#config.onCreateConnection(new SQLiteWorkerConnection(this.#db));
  }

  async acquireConnection() {
    while (this.#held) await this.#held.done;
    return new SQLiteWorkerConnection(this.#db);
  }

  async beginTransaction(connection) {
    while (this.#held) await this.#held.done;
    let release;
    const done = new Promise((resolve) => { release = resolve; });
    const held = { done, release };
    this.#held = held;
    connection.held = held;
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection) {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection) {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection, name) {
    await connection.executeQuery(savepointQuery('savepoint', name));
  }

  async rollbackToSavepoint(connection, name) {
    await connection.executeQuery(savepointQuery('rollback to', name));
  }

  async releaseSavepoint(connection, name) {
    await connection.executeQuery(savepointQuery('release', name));
  }

  async releaseConnection(connection) {
    const held = connection.held;
    if (!held) return;
    connection.held = null;
    if (this.#held === held) this.#held = null;
    held.release();
  }

  /* Kysely's destroy() closes the database, as its own SQLite dialect does. */
  async destroy() {
    await this.#db?.close();
  }
}

/* A connection: the Database's calls, results shaped as Kysely wants them. */
class SQLiteWorkerConnection {
  #db;

  constructor(db) {
    this.#db = db;
    this.held = null;
  }

  async executeQuery(compiledQuery) {
    const r = await this.#db.exec(compiledQuery.sql, [...compiledQuery.parameters]);
    if (r.resultSets.length > 0) return { rows: r.rows };
    return {
      insertId: BigInt(r.lastInsertRowid),
      numAffectedRows: BigInt(r.changes),
      rows: [],
    };
  }

  /* Rows in chunks of chunkSize, read from the serving tab chunk by chunk (db.iterate):
  ** a SELECT only, as Kysely's SQLite driver. */
  async* streamQuery(compiledQuery, chunkSize = 100) {
    if (!SelectQueryNode.is(compiledQuery.query)) {
      throw new Error('sqlite-worker streams SELECT queries only');
    }
    const size = Number.isInteger(chunkSize) && chunkSize > 0 ? chunkSize : 100;
    let rows = [];
    for await (const row of this.#db.iterate(compiledQuery.sql, [...compiledQuery.parameters], { chunkRows: size })) {
      rows.push(row);
      if (rows.length >= size) {
        yield { rows };
        rows = [];
      }
    }
    if (rows.length) yield { rows };
  }
}
