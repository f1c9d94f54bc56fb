// helpers.mjs — shared set-up of the Node tests: a core (src/js, the wasm of dist/) over a Node
// host rooted in a fresh temporary directory, removed when the test file ends.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { loadCore } from '../../src/js/core.js';
import { createNodeHost } from '../../src/js/host-node.js';
import { CoordMachine, ACT } from '../../src/js/coord.js';
import { decodeResult } from '../../src/js/codec.js';
import {
  COORD_DONE,
} from '../../src/js/proto.js';

/** The built wasm module, as a file path. */
export const WASM_PATH = fileURLToPath(new URL('../../dist/sqlite-worker.wasm', import.meta.url));

/**
 * Loads a core whose 'host' VFS is rooted in a new temporary directory.
 * Returns { core, root, logs }; logs collects [level, message] lines from the core.
 * The directory is removed after the calling test file's tests finish.
 */
export async function setup() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-worker-test-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const logs = [];
  const host = createNodeHost({ root, log: (level, message) => logs.push([level, message]) });
  const core = await loadCore({ wasm: WASM_PATH, host });
  return { core, root, logs };
}

/**
 * Runs fn and returns the error it throws; fails the test when it does not throw.
 */
export function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an exception, none was thrown');
}

/** The rows of the first result set of exec(sql, params, options). */
export function rows(db, sql, params, options) {
  return db.exec(sql, params, options).resultSets[0].rows;
}

/** Deterministic bytes (xorshift32) so failures reproduce. */
export function seededBytes(n, seed = 0x9e3779b9) {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}

/**
 * A multi-tab machine of `core` that leads alone over the open database `db` (as one
 * tab's worker does). Returns { machine, replies, perform }: perform(actions) carries out
 * the machine's actions; replies maps a local request's seq to its decoded SQWR, or to
 * the error text of a rejection.
 */
export function leadAlone(core, db, idByte = 9) {
  const machine = new CoordMachine(core, new Uint8Array(16).fill(idByte), { freezeMs: 5000, idleMs: 30000 });
  const replies = new Map();
  const perform = (actions) => {
    for (const a of actions) {
      if (a.act === ACT.OPEN_STORAGE) {
        machine.attach(db.handle);
        perform(machine.storageOpened(0));
      } else if (a.act === ACT.LOCAL_REPLY) {
        replies.set(a.seq, { ...decodeResult(a.data), rejected: a.status !== COORD_DONE });
      }
    }
  };
  perform(machine.granted());
  return { machine, replies, perform };
}

/** The byte arrays of `parts` one after the other, in one Uint8Array. */
export function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) {
    out.set(p, i);
    i += p.length;
  }
  return out;
}
