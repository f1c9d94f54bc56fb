// Type declarations of 'sqlite-worker/core' (dist/core.js): the C core in any JavaScript
// runtime, synchronous, one instance per loadCore. README "Using the core from
// JavaScript (Node)" shows it with the Node host ('sqlite-worker/host-node').

import type { Bytes, Params, QueryOptions, Row, SQLResultValue, SQLValue } from './index.js';
export type { Bytes, Params, QueryOptions, Row, SQLResultValue, SQLValue } from './index.js';
export { SQLiteError } from './index.js';

/** What loadCore needs of a host: the imports of src/core/host.h, and the module's memory once. */
export interface CoreHost {
  imports: { host: Record<string, (...args: never[]) => unknown> };
  attach(memory: WebAssembly.Memory): void;
  /** Reads a wasm file named by a path or file: URL (the Node host has one). */
  readWasm?(pathOrUrl: string | URL): Promise<ArrayBufferView | ArrayBuffer>;
  /** The same, synchronously: FTS5's module is read in the middle of a prepare (the Node host has one). */
  readWasmSync?(pathOrUrl: string | URL): ArrayBufferView | ArrayBuffer;
}

/** One result set of a statement. */
export interface CoreResultSet {
  columns: string[];
  declTypes: string[];
  rows: Row[] | SQLResultValue[][];
}

/** What a request returned. */
export interface CoreResult {
  rc: number;
  errorOffset: number;
  message: string;
  changes: number | bigint;
  lastInsertRowid: number | bigint;
  statements: number;
  resultSets: CoreResultSet[];
}

/** One open database of a core; every method runs to completion. */
export interface Connection {
  /** Runs one statement or a script with one parameter set. */
  exec(sql: string, params?: Params, options?: QueryOptions): CoreResult;
  /** Runs one statement once per parameter set, atomically. */
  runMany(sql: string, paramSets: readonly Params[], options?: QueryOptions): CoreResult;
  /** Runs { sql, params } items in order, atomically. */
  batch(items: ReadonlyArray<{ sql: string; params?: Params }>, options?: QueryOptions): CoreResult[];
  /** 'durable' (every commit flushed) or 'relaxed'. */
  setDurability(mode: 'durable' | 'relaxed'): void;
  /** Interrupts statements run after this call once `ms` passed (Infinity: none). */
  setDeadline(ms: number): void;
  /** Caps every deadline (Infinity: no cap). */
  setStatementCap(ms: number): void;
  /** One client only: the multi-tab engine keeps no bookkeeping (`_sqlw_` tables) on it. */
  setPrivate(): void;
  /** Pages of `bytes` (512 to 65536, a power of two) for a database that has none yet; before setDurability. */
  setPageSize(bytes: number): void;
  /** The database file: a standalone SQLite database. */
  export(): Bytes;
  /** Replaces the database with a database file, validated first. */
  import(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): void;
  /**
   * Counters of the connection. `local`: the temp schema's objects plus the attached
   * databases (state that lives only on this connection), -1 when unknown.
   */
  stats(): { cacheHits: number; cacheMisses: number; cacheSize: number; autocommit: boolean; stackHigh: number; local: number };
  /** The core's handle (0 once closed). */
  readonly handle: number;
  readonly closed: boolean;
  close(): void;
}

/** A loaded core: one WebAssembly instance, any number of connections. */
export interface Core {
  /** Opens (creating) a database: a file of the host (vfs 'host'), a memory database ('memdb'), or a pool's VFS. */
  open(path: string, options?: { vfs?: string; flags?: number }): Connection;
  /** The name of a result code: 'SQLITE_BUSY' for 5. */
  codeName(rc: number): string;
  /** The instance's exports (docs/wasm-abi.md). */
  readonly exports: WebAssembly.Exports;
  readonly memory: WebAssembly.Memory;
}

/** Loads the core. wasm: the module's bytes, a Module, a Response, a URL or a path (read by host.readWasm). */
export function loadCore(options: {
  wasm: BufferSource | WebAssembly.Module | Response | PromiseLike<BufferSource | WebAssembly.Module | Response> | URL | string;
  host: CoreHost;
  /** FTS5's module, read (synchronously) and linked the first time a connection names FTS5: a Module, its
   *  bytes, a URL or path (read by host.readWasmSync), a function returning one, or null for none.
   *  Default: sqlite-worker-fts5.wasm beside `wasm` when that is a URL or path. */
  fts5?: WebAssembly.Module | BufferSource | URL | string | null | (() => WebAssembly.Module | BufferSource | URL | string);
}): Promise<Core>;

/** The name of a result code, from the first core loaded. */
export function codeName(rc: number): string;
