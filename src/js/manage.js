// manage.js — the origin's databases on OPFS, without opening one: list, delete (only
// while no tab has the database open: its leader lock must be free), delete all, and the
// browser's storage persistence and estimate.

import { SQLiteError } from './errors.js';
import { leaderLockName } from './protocol.js';
import { SQLITE_BUSY } from './proto.js';
import { checkName } from './host-common.js';
import { deleteDatabaseFolder, listDatabases as listFolders, wipeFolders } from './opfs.js';

/**
 * Asks the browser to keep this origin's storage (OPFS databases included) under storage
 * pressure instead of evicting it: navigator.storage.persist(). Resolves with its answer
 * (true: persisted; false: refused, or no such API). Chromium decides by the site's
 * engagement without asking; Firefox asks the user; Safari may grant it to a web app on
 * the home screen.
 */
export async function persistStorage() {
  const s = globalThis.navigator?.storage;
  if (!s?.persist) return false;
  try {
    return (await s.persist()) === true;
  } catch {
    return false;
  }
}

/**
 * The names of this origin's databases in OPFS, sorted. Resolves with [] when there are
 * none. Rejects with SQLITE_WORKER_PERSISTENCE_UNAVAILABLE where there is no OPFS.
 */
export async function listDatabases() {
  return listFolders();
}

/**
 * Deletes the OPFS database `name` and its files. Resolves with true if it existed.
 * Rejects with SQLITE_BUSY while it is open (close it first, in every tab),
 * SQLITE_MISUSE for a bad name.
 */
export async function deleteDatabase(name) {
  checkName(name);
  return whileUnused(name, () => deleteDatabaseFolder(name));
}

/* How long deleteDatabase() waits for the leader lock of a database being closed. */
const DELETE_WAIT_MS = 1000;

/*
** Runs fn (the deletion of database `name`) only while no tab has it open: it takes the
** database's leader lock if it is free with no request waiting for it (every tab with
** the database open holds it or waits for it, also between two leaders, when no worker
** holds the files), and holds it while fn runs, so no tab can take the lead and open
** the files meanwhile. A lock freed by a tab that has just closed can take a moment to
** show as free (Firefox's lock manager learns of it after the page does): tried again
** for up to DELETE_WAIT_MS. Rejects with SQLITE_BUSY else.
*/
async function whileUnused(name, fn) {
  const locks = globalThis.navigator?.locks;
  if (!locks) return fn();
  const NONE = Symbol('busy');
  for (const end = Date.now() + DELETE_WAIT_MS; ;) {
    const out = await locks.request(leaderLockName(name), { ifAvailable: true }, (lock) => (lock ? fn() : NONE));
    if (out !== NONE) return out;
    if (Date.now() >= end) {
      throw new SQLiteError(`database ${JSON.stringify(name)} is open in a tab: close it (in every tab) before deleting it`,
        { errno: SQLITE_BUSY });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Deletes every OPFS database of this origin. Rejects with SQLITE_BUSY while any is
 * open.
 */
export async function deleteAllDatabases() {
  return wipeFolders();
}
