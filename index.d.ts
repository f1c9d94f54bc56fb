// Type declarations of the public API (dist/index.js). README "API" is the reference.
// TypeScript before 5.7 reads dist/ts5.6/index.d.ts (package.json "types@<5.7"): the same
// declarations with Bytes a plain Uint8Array.

/** Bytes the library makes (BLOB values, export()): backed by an ArrayBuffer, never a
 *  SharedArrayBuffer, so they pass where DOM APIs want a BufferSource (Blob, Response,
 *  crypto.subtle). */
export type Bytes = Uint8Array<ArrayBuffer>;

/** A value SQLite can store, as bound from JavaScript. Booleans bind as 1 and 0. */
export type SQLValue = null | number | bigint | string | boolean | Uint8Array | ArrayBuffer | ArrayBufferView;

/** A value as it comes back: INTEGER beyond ±(2^53−1) (or always, with bigint: 'always') is a bigint. */
export type SQLResultValue = null | number | bigint | string | Bytes;

/** Parameters: by position (`?`, `?NNN`) as an array, or by name (`:name`, `@name`, `$name`) as an object. */
export type Params = readonly SQLValue[] | { readonly [name: string]: SQLValue } | null | undefined;

/** A row in object mode: column name → value (a later column of the same name wins). */
export type Row = Record<string, SQLResultValue>;

/** Rows of a query: objects (default) or arrays; `columns` names every column, duplicates kept. */
export type Rows<R = Row> = R[] & { readonly columns: string[] };

/** Options of one query. */
export interface QueryOptions {
  /** 'object' (default): rows are objects; 'array': rows are arrays (duplicate column names survive). */
  rowMode?: 'object' | 'array';
  /** 'auto' (default): BigInt only beyond ±(2^53−1); 'always': every INTEGER is a bigint. */
  bigint?: 'auto' | 'always';
}

/** Options of one call (a query method's last argument). */
export interface CallOptions extends QueryOptions {
  /** Aborting rejects the call at once with SQLITE_ABORT and withdraws the request wherever it still waits (this
   *  tab, its worker, the leader tab). A statement already running goes on until its deadline (no SharedArrayBuffer
   *  reaches it). */
  signal?: AbortSignal;
}

/** How a call decodes INTEGERs: 'auto' (numbers, bigints beyond ±(2^53−1)) or 'always' (bigints). */
export type BigIntMode = 'auto' | 'always';
/** How a call returns rows: 'object' or 'array'. */
export type RowMode = 'object' | 'array';

/** What a database's calls use when they name no rowMode or bigint: openDatabase's options. */
export interface Defaults {
  rowMode: RowMode;
  bigint: BigIntMode;
}
/** The defaults of a database opened without rowMode and bigint. */
export type StandardDefaults = { rowMode: 'object'; bigint: 'auto' };

/** A row of rowMode M: objects, or arrays of values in column order. */
export type RowOf<M extends RowMode> = M extends 'array' ? SQLResultValue[] : Row;
/** The rowMode of a call with options O on a database with defaults D. */
export type RowModeOf<O, D extends Defaults> = O extends { rowMode: 'array' } ? 'array'
  : O extends { rowMode: 'object' } ? 'object'
  : 'rowMode' extends keyof O ? (O extends { rowMode?: undefined } ? D['rowMode'] : RowMode) : D['rowMode'];
/** The bigint mode of a call with options O on a database with defaults D. */
export type BigIntModeOf<O, D extends Defaults> = O extends { bigint: 'always' } ? 'always'
  : O extends { bigint: 'auto' } ? 'auto'
  : 'bigint' extends keyof O ? (O extends { bigint?: undefined } ? D['bigint'] : BigIntMode) : D['bigint'];
/** The defaults a database opened with options O has. */
export type DefaultsOf<O> = { rowMode: RowModeOf<O, StandardDefaults>; bigint: BigIntModeOf<O, StandardDefaults> };

/** What a statement changed; with bigint: 'always', as bigints. */
export interface RunResult<B extends BigIntMode = 'auto'> {
  /** Rows inserted, updated or deleted by the statement (all of a script's statements for exec). */
  changes: B extends 'always' ? bigint : number;
  /** The rowid of the last row inserted on this database (0 if none yet); a bigint beyond ±(2^53−1). */
  lastInsertRowid: B extends 'always' ? bigint : number | bigint;
}

/** One result set of exec. */
export interface ResultSet {
  columns: string[];
  /** Declared column types ('' for expressions). */
  declTypes: string[];
  rows: Row[] | SQLResultValue[][];
}

/** The result of exec: the last statement's rows, and every result set of the script. */
export interface ExecResult<R = Row, B extends BigIntMode = 'auto'> extends RunResult<B> {
  rows: Rows<R>;
  columns: string[];
  resultSets: ResultSet[];
}

/** The result of one batch item. */
export interface BatchResult<R = Row, B extends BigIntMode = 'auto'> extends RunResult<B> {
  rows: Rows<R>;
  columns: string[];
}

/** A call's options whose rows are objects. */
export type ObjectRowsOptions = CallOptions & { rowMode: 'object' };
/** A call's options whose rows are arrays of values, in column order. */
export type ArrayRowsOptions = CallOptions & { rowMode: 'array' };
/** A call's options whose rows are as the database's defaults say (openDatabase's rowMode). */
export type DefaultRowsOptions = CallOptions & { rowMode?: undefined };

/** Options of openDatabase. Every one is optional; unknown names are refused. */
export interface OpenOptions extends QueryOptions {
  /** 'auto' (default): OPFS, else memory (db.persistent = false, reason in persistenceError, one console warning);
   *  'opfs': reject with SQLITE_WORKER_PERSISTENCE_UNAVAILABLE where OPFS is missing; 'memory': this tab only.
   *  An OPFS database is shared by every tab of the origin (one tab's worker leads, the others route to it). */
  persistence?: 'auto' | 'opfs' | 'memory';
  /** 'durable' (default): every commit is flushed before its promise resolves;
   *  'relaxed': a crash may lose the latest commits, never half of one. */
  durability?: 'durable' | 'relaxed';
  /** Per request, in ms, up to 2^31−1 (default 30000; Infinity for none): past it the promise rejects with
   *  SQLITE_WORKER_TIMEOUT, and the tab running it interrupts it (its writes are undone) or, if it has not started,
   *  does not run it. */
  timeoutMs?: number;
  /** A cap, in ms up to 2^31−1 (default Infinity: none), on any request this tab runs while it leads, whoever
   *  asked and whatever their timeoutMs: past it the statement ends with SQLITE_INTERRUPT. Give every tab the same. */
  maxStatementMs?: number;
  /** A transaction with no request for this long, in ms up to 2^31−1 (default 30000), is rolled back by the leader;
   *  its next call rejects with SQLITE_WORKER_TRANSACTION_TIMEOUT. The leader tab's setting applies. */
  transactionIdleMs?: number;
  /** The page size in bytes of a database this open creates: a power of two from 512 to 65536 (default 4096,
   *  SQLite's). A database that exists keeps its own (`PRAGMA page_size` tells it). Larger pages scan large
   *  tables and bulk-insert faster; each durable commit writes whole pages. */
  pageSize?: number;
  /** How long to wait, in ms (0 to 2^31−1), for storage another tab or a reloading page still holds (default 5000),
   *  then SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** Log lifecycle, timings and errors with the prefix [sqlite-worker]; default: localStorage 'sqlite-worker-debug' === 'true'. */
  debug?: boolean;
  /** Where the worker script is, when a deployment moves it (default: beside this module). */
  workerUrl?: string | URL;
  /** Where the wasm module is, when a deployment moves it (default: beside the worker). FTS5's module,
   *  fetched the first time a statement names FTS5, is then sqlite-worker-fts5.wasm beside it. */
  wasmUrl?: string | URL;
}

/** The query methods of a database and of a transaction's `tx`. Rows are typed by the
 *  call's rowMode, else by the database's (openDatabase's rowMode): objects, or arrays with
 *  `{ rowMode: 'array' }`; counts by the call's or database's bigint mode. */
export interface Queries<D extends Defaults = StandardDefaults> {
  /** Runs one statement or a script (statements separated by `;`). */
  exec<O extends CallOptions = {}>(sql: string, params?: Params, options?: O):
    Promise<ExecResult<RowOf<RowModeOf<O, D>>, BigIntModeOf<O, D>>>;
  /** The rows of a query. */
  all<R = Row>(sql: string, params: Params, options: ObjectRowsOptions): Promise<Rows<R>>;
  all<R extends SQLResultValue[] = SQLResultValue[]>(sql: string, params: Params, options: ArrayRowsOptions): Promise<Rows<R>>;
  all<R = RowOf<D['rowMode']>>(sql: string, params?: Params, options?: DefaultRowsOptions): Promise<Rows<R>>;
  /** A tagged template: db.sql`SELECT * FROM t WHERE id = ${id}` — the rows, as all(), with every interpolated
   *  value bound as a parameter (?1, ?2, …), never spliced into the SQL text. */
  sql<R = RowOf<D['rowMode']>>(strings: TemplateStringsArray, ...values: SQLValue[]): Promise<Rows<R>>;
  /** The first row of a query, or undefined. */
  get<R = Row>(sql: string, params: Params, options: ObjectRowsOptions): Promise<R | undefined>;
  get<R extends SQLResultValue[] = SQLResultValue[]>(sql: string, params: Params, options: ArrayRowsOptions): Promise<R | undefined>;
  get<R = RowOf<D['rowMode']>>(sql: string, params?: Params, options?: DefaultRowsOptions): Promise<R | undefined>;
  /** The rows of one statement that reads, as an async iterator, read from the serving tab in chunks of
   *  `chunkRows` rows (default 256; a chunk also ends at about 1 MiB): no answer holds the whole result. Breaking
   *  out of the loop closes it. Between chunks the tab's and other tabs' writes run; the rows may or may not show
   *  them, as with a statement on one SQLite connection. A write, a script or transaction control is
   *  SQLITE_MISUSE; a cursor lost with its leader, idle 30 s, or ended by a schema change or VACUUM
   *  rejects with SQLITE_WORKER_LEADER_CHANGED. */
  iterate<R = Row>(sql: string, params: Params, options: ObjectRowsOptions & { chunkRows?: number }): AsyncGenerator<R, void, undefined>;
  iterate<R extends SQLResultValue[] = SQLResultValue[]>(sql: string, params: Params, options: ArrayRowsOptions & { chunkRows?: number }): AsyncGenerator<R, void, undefined>;
  iterate<R = RowOf<D['rowMode']>>(sql: string, params?: Params, options?: DefaultRowsOptions & { chunkRows?: number }): AsyncGenerator<R, void, undefined>;
  /** Runs a statement; says what it changed. */
  run<O extends CallOptions = {}>(sql: string, params?: Params, options?: O): Promise<RunResult<BigIntModeOf<O, D>>>;
  /** Runs one statement once per parameter set, atomically, in one round trip (rows: from RETURNING). */
  runMany<O extends CallOptions = {}>(sql: string, paramSets: readonly Params[], options?: O):
    Promise<RunResult<BigIntModeOf<O, D>> & { rows: Rows<RowOf<RowModeOf<O, D>>> }>;
  /** Runs [sql, params?] items in order, atomically, in one round trip. On failure the
   *  SQLiteError's batchIndex names the item, and nothing of the batch remains. */
  batch<O extends CallOptions = {}>(items: ReadonlyArray<readonly [string, Params?] | string>, options?: O):
    Promise<BatchResult<RowOf<RowModeOf<O, D>>, BigIntModeOf<O, D>>[]>;
}

/** A change notice: commits (of any tab, this one included) changed these tables. Given after the commits are
 *  durable, at most once per task of the serving tab (several commits may share one). */
export interface ChangeEvent {
  /** The tables the commits changed (as SQLite names them), triggers' writes, foreign-key cascades and an FTS5
   *  table's writes (under its own name) included; empty when `all`. */
  tables: string[];
  /** The last commit it reports: grows with every commit that changed something ((leadership epoch << 32) |
   *  commit count), so a later event has a larger seq. */
  seq: bigint;
  /** Every commit it reports was this tab's. */
  local: boolean;
  /** A table, view, index or trigger was created, altered or dropped. */
  schema: boolean;
  /** Any table may have changed: an import, or commits this tab did not hear of. */
  all: boolean;
}

/** A live query (db.live): the rows of one read statement, run again after each commit that changed a table it reads. */
export interface LiveQuery<T> {
  /** The SQL text. */
  readonly sql: string;
  /** Runs sent to the serving tab so far (the first, then one per batch of relevant commits). */
  readonly runs: number;
  /** Calls listener now with the current rows (undefined before the first result) and whenever they change;
   *  onError when a run fails (the subscription stays: a later commit may make it succeed). Returns the function that
   *  unsubscribes; when the last listener leaves, all work stops. Svelte's store contract and React's
   *  useSyncExternalStore(q.subscribe, q.getSnapshot) work as they are. */
  subscribe(listener: (rows: T | undefined) => void, onError?: (error: Error) => void): () => void;
  /** The current rows: the same array until a run's result differs; undefined before the first result. */
  getSnapshot(): T | undefined;
}

/** Options of a live query. */
export interface LiveOptions extends QueryOptions {}

/** Events of a database and their details. */
export interface DatabaseEvents {
  /** Commits of any tab changed tables (see ChangeEvent). */
  change: ChangeEvent;
  /** The leadership changed: this tab leads now, stopped leading, or another tab took over (a higher epoch). */
  leaderchange: { isLeader: boolean; epoch: number };
  /** The worker died (terminated, crashed). With an OPFS database a new one starts and the pending requests are
   *  sent again (answered once); with a memory database they were rejected with SQLITE_WORKER_DIED. */
  workerdied: { reason: string };
  /** A tab of this origin runs a newer version of the library, which speaks another protocol between tabs: reload
   *  this page to get it (as with IndexedDB's versionchange). Until then this tab does not take the lead by force,
   *  so the two versions do not fight over the files; its requests wait for a leader of its own version. */
  versionchange: { version: number; current: number };
  /** close() finished. */
  close: Record<string, never>;
}

/** The `tx` of transaction(fn): the query methods inside the transaction, and nested transactions. */
export interface Transaction<D extends Defaults = StandardDefaults> extends Queries<D> {
  /** Runs fn(tx) in a savepoint of this transaction: released when its promise resolves, rolled back to when it
   *  rejects (the outer transaction goes on, and fn's error is thrown). Nests to any depth. */
  transaction<T>(fn: (tx: Transaction<D>) => Promise<T> | T): Promise<T>;
}

/** An open database: the query methods (Queries, merged into the class below), and more. */
export interface Database<D extends Defaults = StandardDefaults> extends Queries<D> {}
/** An open database (openDatabase makes them; `db instanceof Database` holds). */
export class Database<D extends Defaults = StandardDefaults> {
  private constructor();
  /** The name given to openDatabase. */
  readonly name: string;
  /** True when the database lives in OPFS and survives reloads. */
  readonly persistent: boolean;
  /** Why persistence: 'auto' fell back to memory, or null. */
  readonly persistenceError: string | null;
  /** True when this tab's worker serves the database (for every tab); false when another tab's does. */
  readonly isLeader: boolean;
  /** This tab's client id in the multi-tab protocol: 32 hex digits, new for each openDatabase. */
  readonly clientId: string;
  /** The leadership epoch this tab knows of (it grows with each leader change). */
  readonly epoch: number;
  /** True while this tab holds a transaction it began with SQL (`BEGIN`, or a `SAVEPOINT` outside a transaction):
   *  every call of this tab then joins it, as on one connection, and other tabs wait. */
  readonly inTransaction: boolean;
  /** Runs fn(tx) in a transaction: commits when its promise resolves, rolls back when it rejects.
   *  Other calls on this db wait until it ends: use `tx` inside fn. Transactions queue. Inside a transaction this tab
   *  began with SQL it fails as `BEGIN` would (SQLITE_ERROR). */
  transaction<T>(fn: (tx: Transaction<D>) => Promise<T> | T): Promise<T>;
  /** The whole database file: a standalone SQLite database. */
  export(options?: { stream?: false }): Promise<Bytes>;
  /** The database file as a stream of 2 MiB chunks from one snapshot; the stream holds a transaction until it is read
   *  to the end or cancelled (other calls and tabs' writes wait; idle past transactionIdleMs, it errors). */
  export(options: { stream: true }): Promise<ReadableStream<Bytes>>;
  /** Replaces the database with a database file, validated first (SQLITE_NOTADB / SQLITE_CORRUPT leave it untouched).
   *  Into a persistent database an image over 4 MiB (bytes or a stream) is sent in acknowledged 4 MiB pieces and staged
   *  on storage (bounded by storage only); into a memory database it is sent whole (up to 1 GiB, else SQLITE_TOOBIG;
   *  a stream is read whole first). */
  import(bytes: Uint8Array | ArrayBuffer | ArrayBufferView | ReadableStream<Uint8Array | ArrayBuffer | ArrayBufferView>): Promise<void>;
  /** The size of this tab's worker's WebAssembly memory in bytes: it never shrinks, so it is the worker's high-water
   *  mark (0 when no worker runs). */
  memoryUsage(): Promise<{ wasmBytes: number }>;
  /** The database's size (page_count × page_size) and the origin's storage figures from navigator.storage
   *  (usage and quota: null where the browser gives none; persisted: persistStorage() was granted). */
  storageEstimate(): Promise<{ databaseBytes: number; usage: number | null; quota: number | null; persisted: boolean }>;
  /** A live query over `sql` (one statement that only reads): see LiveQuery. Its read set comes from SQLite (a view's
   *  tables included); a statement that writes, or a script, fails its runs with SQLITE_MISUSE. */
  live<R = Row>(sql: string, params: Params, options: LiveOptions & { rowMode: 'object' }): LiveQuery<Rows<R>>;
  live<R extends SQLResultValue[] = SQLResultValue[]>(sql: string, params: Params, options: LiveOptions & { rowMode: 'array' }): LiveQuery<Rows<R>>;
  live<R = RowOf<D['rowMode']>>(sql: string, params?: Params, options?: LiveOptions & { rowMode?: undefined }): LiveQuery<Rows<R>>;
  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof DatabaseEvents>(event: K, listener: (detail: DatabaseEvents[K]) => void): () => void;
  /** Closes the database and ends its worker, after the calls made before it; bounded: past their timeoutMs plus
   *  10 s the worker is terminated and what is pending rejects with SQLITE_ABORT. */
  close(): Promise<void>;
}

/** Opens (creating if needed) the database `name` in a worker of its own. */
export function openDatabase<O extends OpenOptions = {}>(name: string, options?: O): Promise<Database<DefaultsOf<O>>>;

/** Asks the browser not to evict this origin's storage (navigator.storage.persist()); resolves with its answer. */
export function persistStorage(): Promise<boolean>;

/** The names of this origin's databases in OPFS, sorted. */
export function listDatabases(): Promise<string[]>;

/** Deletes an OPFS database and its files; true if it existed. Rejects with SQLITE_BUSY while it is open. */
export function deleteDatabase(name: string): Promise<boolean>;

/** Deletes every OPFS database of this origin. Rejects with SQLITE_BUSY while any is open. */
export function deleteAllDatabases(): Promise<void>;

/** The seed-compatible connection: database 'worker.db' by default, JSON text results. */
export class DatabaseConnection {
  constructor(name?: string, options?: OpenOptions);
  /** Resolves when the database is open; rejects when it cannot open. Queries made before wait for it. */
  readonly ready: Promise<void>;
  /** Runs sql: JSON of the rows (objects) of a statement that returns rows, else {"changes":n,"lastInsertRowid":n}. */
  query(sql: string): Promise<string>;
  /** The Database behind this connection. */
  readonly database: Promise<Database>;
  /** Closes the database. */
  close(): Promise<void>;
}

/** Every rejection of this library. */
export class SQLiteError extends Error {
  /** 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_BUSY', … or one of this library's codes (SQLITE_WORKER_*). */
  readonly code: string;
  /** The extended result code: SQLite's, or this library's (SQLITE_WORKER_*: extended codes of SQLITE_ERROR,
   *  16385 and up); `code` is its name. */
  readonly errno: number;
  /** The SQL of the failed request, when there is one. */
  readonly sql?: string;
  /** Byte offset of the error in the SQL, or −1. */
  readonly offset?: number;
  /** For batch(): the index of the item that failed. */
  readonly batchIndex?: number;
}

/** Code of a request with no answer within timeoutMs. */
export const WORKER_TIMEOUT: 'SQLITE_WORKER_TIMEOUT';
/** Code of requests pending when the worker of a memory database died, and of a request given up after 3 workers
 *  or 3 leader tabs stopped while it was with them (it may be what stops them). */
export const WORKER_DIED: 'SQLITE_WORKER_DIED';
/** Code of a transaction's requests when the tab serving the database changed during it: nothing of it was kept. */
export const WORKER_LEADER_CHANGED: 'SQLITE_WORKER_LEADER_CHANGED';
/** Code of a transaction's calls after the leader rolled it back for being idle (transactionIdleMs). */
export const WORKER_TRANSACTION_TIMEOUT: 'SQLITE_WORKER_TRANSACTION_TIMEOUT';
/** Code of an 'opfs' database where OPFS or sync access handles are missing. */
export const PERSISTENCE_UNAVAILABLE: 'SQLITE_WORKER_PERSISTENCE_UNAVAILABLE';
/** Code of a write re-sent after its answer was lost (a tab or worker stopped) when its result was over 64 KiB:
 *  it was applied, but its result was not kept. */
export const WORKER_RESULT_NOT_KEPT: 'SQLITE_WORKER_RESULT_NOT_KEPT';
/** Code of a worker that cannot start (no Worker, script failed to load). */
export const WORKER_UNAVAILABLE: 'SQLITE_WORKER_UNAVAILABLE';
