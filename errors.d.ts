// Type declarations of 'sqlite-worker/errors' (dist/errors.js).
export { SQLiteError } from './index.js';

/** The name of a result code: 'SQLITE_BUSY' for 5, the library's SQLITE_WORKER_* too. */
export function codeName(rc: number): string;
