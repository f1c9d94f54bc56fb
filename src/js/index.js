// index.js — the public API: openDatabase() and the seed-compatible DatabaseConnection.
//
// A Database talks to one dedicated worker (worker.js) that owns the database. Every
// call becomes a request in an SQWQ frame (protocol.js); requests made in the same tick
// travel in one frame, and the worker answers each frame with one SQWA frame, in order.
// Parameters are encoded here (codec.js) and results decoded here, so the worker passes
// the core's buffers through and the frames are transferred, never structured-cloned.
//
// Many tabs: every tab's worker joins the database's multi-tab protocol (docs/coord.md);
// one of them leads and runs every tab's requests. This page owns the tab's client id
// and holds the client's life lock (`sqlw:<name>:client:<id>`), so a worker that dies is
// restarted as the same client: its unanswered requests are sent again with the same
// sequence numbers (the request ids), and the leader's records answer those that ran.
//
// Ordering: requests run in the order they were made. While transaction(fn) runs, the
// database's other calls wait behind it (fn uses `tx`); transactions queue likewise.
// A transaction is a lease on the leader (requests of kind BEGIN/COMMIT/ROLLBACK; the
// transaction's requests carry the BEGIN's id).
//
// Failure: a request that fails rejects with SQLiteError (code, errno, message, sql).
// A worker that dies (terminated, crashed) is seen through a Web Lock it holds for its
// whole life: with a shared database it is restarted and its requests re-sent; with a
// memory database (gone with it) they reject with SQLITE_WORKER_DIED.

import { codeName } from './errors.js';
import {
  SQLITE_WORKER_DIED, SQLITE_WORKER_LEADER_CHANGED, SQLITE_WORKER_PERSISTENCE_UNAVAILABLE,
  SQLITE_WORKER_RESULT_NOT_KEPT, SQLITE_WORKER_TIMEOUT, SQLITE_WORKER_TRANSACTION_TIMEOUT,
  SQLITE_WORKER_UNAVAILABLE,
} from './proto.js';

export { SQLiteError } from './errors.js';

export { openDatabase, Database } from './database.js';

export { persistStorage, listDatabases, deleteDatabase, deleteAllDatabases } from './manage.js';

export { DatabaseConnection } from './seed.js';

/** Error codes of this library (beyond SQLite's own), on SQLiteError#code. */
export const WORKER_TIMEOUT = codeName(SQLITE_WORKER_TIMEOUT);

export const WORKER_DIED = codeName(SQLITE_WORKER_DIED);

export const PERSISTENCE_UNAVAILABLE = codeName(SQLITE_WORKER_PERSISTENCE_UNAVAILABLE);

export const WORKER_UNAVAILABLE = codeName(SQLITE_WORKER_UNAVAILABLE);

export const WORKER_LEADER_CHANGED = codeName(SQLITE_WORKER_LEADER_CHANGED);

export const WORKER_TRANSACTION_TIMEOUT = codeName(SQLITE_WORKER_TRANSACTION_TIMEOUT);

export const WORKER_RESULT_NOT_KEPT = codeName(SQLITE_WORKER_RESULT_NOT_KEPT);
