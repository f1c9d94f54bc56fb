// opfs.js — this library's folders in the origin's Origin Private File System, through
// the asynchronous API that pages and workers both have: the root, the library's folder,
// and the databases' folders listed, deleted and wiped. The worker's host
// (host-browser.js) opens databases in them; the page's management functions
// (manage.js) use only this module, so the page does not download the host.
//
// Layout: sqlite-worker/<encoded database name>/slot-NNNN (host-browser.js).
//
// Errors are SQLiteError (src/js/errors.js): SQLITE_WORKER_PERSISTENCE_UNAVAILABLE (no
// OPFS, OPFS refused, or no sync access handles where they are needed), SQLITE_BUSY
// (files held by another worker or tab), SQLITE_CANTOPEN, SQLITE_FULL and
// SQLITE_IOERR_DELETE with the browser's error as the cause.

import { SQLiteError } from './errors.js';
import { checkName, folderName } from './host-common.js';
import {
  SQLITE_BUSY, SQLITE_CANTOPEN, SQLITE_FULL, SQLITE_IOERR_DELETE,
  SQLITE_WORKER_PERSISTENCE_UNAVAILABLE,
} from './proto.js';

/** The folder of this library in the origin's OPFS (slot files: host-common.js). */
export const ROOT_FOLDER = 'sqlite-worker';

/** The SQLITE_BUSY error of files held elsewhere. */
export function busy(message, cause) {
  return new SQLiteError(message, { errno: SQLITE_BUSY, cause });
}

/** The error of a browser that cannot persist (see the file header). */
export function unavailable(reason, cause) {
  return new SQLiteError(`persistence unavailable: ${reason}`, { errno: SQLITE_WORKER_PERSISTENCE_UNAVAILABLE, cause });
}

/** The error of an OPFS call that failed for a reason of its own, with its code. */
export function ioError(message, errno, cause) {
  return new SQLiteError(`${message}: ${cause?.name ?? 'Error'}: ${cause?.message ?? cause}`, { errno, cause });
}

/**
 * The origin's OPFS root. Throws SQLITE_WORKER_PERSISTENCE_UNAVAILABLE when there is no
 * OPFS, when the browser refuses it (private browsing), or, when `needSync` (opening
 * databases, not managing folders), when this is not a context with sync access
 * handles (only dedicated workers have them).
 */
export async function opfsRoot(needSync = true) {
  if (typeof navigator === 'undefined' || typeof navigator.storage?.getDirectory !== 'function') {
    throw unavailable('this browser has no Origin Private File System (navigator.storage.getDirectory)');
  }
  if (needSync && (typeof FileSystemFileHandle === 'undefined' ||
      typeof FileSystemFileHandle.prototype.createSyncAccessHandle !== 'function')) {
    throw unavailable('no OPFS sync access handles here (they exist only in dedicated workers)');
  }
  try {
    // Kept once found: it is a round trip to the browser (~20 ms here), and a new leader
    // asks for it again in the middle of a failover.
    rootHandle ??= await navigator.storage.getDirectory();
    return rootHandle;
  } catch (e) {
    // SecurityError in private browsing and when storage is blocked for the site.
    throw unavailable(`the browser refused the Origin Private File System (${e?.name}: ${e?.message})`, e);
  }
}
let rootHandle = null;

/**
 * The folder of this library in OPFS (created when `create`), or null when it does not
 * exist. Throws like opfsRoot.
 */
export async function libraryFolder(create, needSync = true) {
  const root = await opfsRoot(needSync);
  try {
    return await root.getDirectoryHandle(ROOT_FOLDER, { create });
  } catch (e) {
    if (e?.name === 'NotFoundError') return null;
    if (e?.name === 'QuotaExceededError') throw ioError('cannot create the storage folder', SQLITE_FULL, e);
    throw ioError('cannot open the storage folder', SQLITE_CANTOPEN, e);
  }
}

/* True for the errors OPFS gives for removing an entry another holder has open. */
function held(e) {
  return e?.name === 'NoModificationAllowedError' || e?.name === 'InvalidModificationError';
}

/**
 * The names of the databases stored in this origin, sorted. Returns [] when there are
 * none. Throws SQLITE_WORKER_PERSISTENCE_UNAVAILABLE like opfsRoot.
 */
export async function listDatabases() {
  const lib = await libraryFolder(false, false);
  if (!lib) return [];
  const names = [];
  for await (const [entry, handle] of lib.entries()) {
    if (handle.kind !== 'directory') continue;
    try {
      names.push(decodeURIComponent(entry));
    } catch {
      // Not a folder this library made (not URI-encoded): not a database of ours.
    }
  }
  return names.sort();
}

/**
 * Deletes the folder of database `name`. Returns true if it existed, false if not.
 * Throws SQLiteError SQLITE_BUSY when its files are held by a worker or tab;
 * SQLITE_IOERR_DELETE otherwise; SQLITE_MISUSE for a bad name.
 */
export async function deleteDatabaseFolder(name) {
  checkName(name);
  const lib = await libraryFolder(false, false);
  if (!lib) return false;
  try {
    await lib.removeEntry(folderName(name), { recursive: true });
    return true;
  } catch (e) {
    if (e?.name === 'NotFoundError') return false;
    if (held(e)) throw busy(`database ${JSON.stringify(name)} is in use by another worker or tab and cannot be deleted`, e);
    throw ioError(`cannot delete database ${JSON.stringify(name)}`, SQLITE_IOERR_DELETE, e);
  }
}

/**
 * Deletes every database of this origin (the library's whole OPFS folder). Throws
 * SQLiteError SQLITE_BUSY when a worker or tab holds files; SQLITE_IOERR_DELETE
 * otherwise.
 */
export async function wipeFolders() {
  const root = await opfsRoot(false);
  try {
    await root.removeEntry(ROOT_FOLDER, { recursive: true });
  } catch (e) {
    if (e?.name === 'NotFoundError') return;
    if (held(e)) throw busy('a database is in use by another worker or tab; nothing can be wiped now', e);
    throw ioError('cannot wipe the databases', SQLITE_IOERR_DELETE, e);
  }
}
