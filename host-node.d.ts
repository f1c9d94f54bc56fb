// Type declarations of 'sqlite-worker/host-node' (dist/host-node.js): the core's host in
// Node, over node:fs.

import type { Core, CoreHost } from './core.js';

/** A database kept as a pool of slot files (the browser's OPFS layout, in a folder). */
export interface SlotPool {
  /** The VFS to open the database with: core.open('/' + name, { vfs }). */
  readonly vfs: string;
  close(): void;
}

/** The Node host: pass it to loadCore. */
export interface NodeHost extends CoreHost {
  readWasm(pathOrUrl: string | URL): Promise<ArrayBufferView>;
  /** The database `name` as a pool of slot files in <root>/<encoded name>/. */
  openPool(core: Core, name: string, options?: { minFree?: number; initial?: number }): Promise<SlotPool>;
}

/** Creates a Node host: paths resolve in `root` (default: the current directory). */
export function createNodeHost(options?: {
  root?: string;
  /** The core's log lines: level 0 error, 1 warning, 2 debug. */
  log?: (level: 0 | 1 | 2, message: string) => void;
  /** Told that a request has run a while (tag: the asking client's id), then (null) that it ended. */
  onBusy?: (tag: Uint8Array | null) => void;
}): NodeHost;
