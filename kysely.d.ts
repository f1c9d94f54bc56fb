// Types of sqlite-worker/kysely: a Kysely dialect over an open Database (README "Kysely").
import type {
  DatabaseConnection, DatabaseIntrospector, Dialect, DialectAdapter, Driver, Kysely, QueryCompiler,
} from 'kysely';
import type { Database } from './index.js';

export interface SQLiteWorkerDialectConfig {
  /** An open Database, or a function returning one (or a Promise of one), called when Kysely first needs it. */
  database: Database<any> | (() => Database<any> | Promise<Database<any>>);
  /** Runs once the connection exists (settings, pragmas). */
  onCreateConnection?: (connection: DatabaseConnection) => Promise<void>;
}

/** A Kysely dialect over a sqlite-worker Database: `new Kysely<DB>({ dialect: new SQLiteWorkerDialect({ database: db }) })`.
 *  Transactions are the tab's SQL transactions (other tabs wait; this dialect's other queries wait too), with
 *  savepoints; introspection leaves the library's `_sqlw_` tables out; `destroy()` closes the database. */
export class SQLiteWorkerDialect implements Dialect {
  constructor(config: SQLiteWorkerDialectConfig);
  createAdapter(): DialectAdapter;
  createDriver(): Driver;
  createQueryCompiler(): QueryCompiler;
  createIntrospector(db: Kysely<any>): DatabaseIntrospector;
}
