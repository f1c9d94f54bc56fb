// link.js — links SQLite's FTS5 into a loaded core the first time a connection needs it.
//
// The core (dist/sqlite-worker.wasm) is built without FTS5; FTS5 is SQLite's own fts5.c
// built as a module of its own (dist/sqlite-worker-fts5.wasm, a position-independent
// "shared" wasm module: see the Makefile), 60 KB of the 350 a page would otherwise
// download whether it uses full-text search or not. When a statement names FTS5 (or
// fails to prepare for want of it), the C core calls the import link.fts5(db)
// (src/core/engine.c, sqlwPrepareUser); this file then, once per core:
//   1. gets the module's bytes synchronously (the core is in the middle of a prepare):
//      bytes or a compiled Module given to loadCore, else the host's readWasmSync (a
//      file in Node, a synchronous request in a worker);
//   2. reads its dylink.0 section (the memory and table it needs), allocates that memory
//      with the core's allocator (once linked, never freed: the module lives as long as
//      the core),
//      zeroes it and grows the core's function table;
//   3. instantiates it against the core's memory, table and stack pointer, and the
//      SQLite functions it imports, which the core exports (Makefile FTS5_IMPORTS);
//      its start function applies its relocations;
// and then calls its sqlite3_fts5_init(db) for the connection. A failure (no such file,
// a module that does not fit this core, no memory) is reported on the console and the
// statement fails as SQLite says ("no such module: fts5"); the module is asked for again
// only RETRY_MS later (a synchronous request per statement would stall an offline app).

import { SQLITE_ERROR } from './proto.js';

const PREFIX = '[sqlite-worker]';
const DYLINK_MEM_INFO = 1; // the dylink.0 subsection of memory and table needs
const RETRY_MS = 10_000;

/*
** Reads the memory and table needs of a dylink.0 section (an ArrayBuffer). Returns
** { memSize, memAlign, tableSize, tableAlign } (alignments as powers of two). Throws
** Error when the section is malformed.
*/
function readDylink(section) {
  const u8 = new Uint8Array(section);
  let p = 0;
  const uleb = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      if (p >= u8.length) throw new Error('the FTS5 module\'s dylink.0 section is truncated');
      const b = u8[p++];
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
      shift += 7;
    }
  };
  while (p < u8.length) {
    const id = u8[p++];
    const size = uleb();
    const end = p + size;
    if (id === DYLINK_MEM_INFO) {
      const info = { memSize: uleb(), memAlign: uleb(), tableSize: uleb(), tableAlign: uleb() };
      if (p !== end) throw new Error('the FTS5 module\'s dylink.0 memory info is malformed');
      return info;
    }
    p = end;
  }
  throw new Error('the FTS5 module has no dylink.0 memory info');
}

/** FTS5 for one core: its import (imports.link) and, once linked, the module's exports. */
export class Fts5Link {
  #source;
  #host;
  #core = null;
  #exports = null;
  #failedAt = -Infinity; // performance.now() of the last failure

  /*
  ** source: the FTS5 module (a WebAssembly.Module, its bytes, a URL or path the host's
  ** readWasmSync reads, or a function returning one of these), or null when there is
  ** none; host: the core's host.
  */
  constructor(source, host) {
    this.#source = source;
    this.#host = host;
  }

  /** The import module `link` of the core. */
  get imports() {
    return { fts5: (db) => this.#link(db) };
  }

  /** Gives the link the core's exports (its memory, table, allocator, functions). */
  attach(exports) {
    this.#core = exports;
  }

  /* The import: links FTS5 into connection db. Returns SQLite's code. */
  #link(db) {
    if (!this.#exports && performance.now() - this.#failedAt < RETRY_MS) return SQLITE_ERROR;
    try {
      this.#exports ??= this.#instantiate();
      return this.#exports.sqlite3_fts5_init(db, 0, 0);
    } catch (e) {
      this.#failedAt = performance.now();
      console.error(PREFIX, `FTS5 is not available: ${e?.message ?? e}`);
      return SQLITE_ERROR;
    }
  }

  /* The compiled FTS5 module, fetched synchronously. Throws when there is none. */
  #module() {
    let src = this.#source;
    if (typeof src === 'function') src = src();
    if (src instanceof WebAssembly.Module) return src;
    if (typeof src === 'string' || src instanceof URL) {
      if (typeof this.#host?.readWasmSync !== 'function') throw new Error(`this host cannot read ${src}`);
      src = this.#host.readWasmSync(src);
    }
    if (src instanceof ArrayBuffer || ArrayBuffer.isView(src)) return new WebAssembly.Module(src);
    throw new Error('no FTS5 module was given (loadCore\'s fts5 option)');
  }

  /* The index of function f in table: its own slot when the core has one (so that a
  ** pointer to it compares equal to the core's), else a new slot. */
  #tableIndex(table, f) {
    for (let i = 1; i < table.length; i++) {
      if (table.get(i) === f) return i;
    }
    const i = table.length;
    table.grow(1);
    table.set(i, f);
    return i;
  }

  /* Instantiates the FTS5 module into the core. Returns its exports. Throws on failure. */
  #instantiate() {
    const x = this.#core;
    if (!x) throw new Error('the core is not loaded');
    const mod = this.#module();
    const [section] = WebAssembly.Module.customSections(mod, 'dylink.0');
    if (!section) throw new Error('the FTS5 module is not a shared module (no dylink.0 section)');
    const need = readDylink(section);
    const align = 2 ** need.memAlign;
    const block = x.alloc(need.memSize + align);
    if (!block) throw new Error(`out of memory for the FTS5 module's ${need.memSize} bytes`);
    try {
      return this.#place(mod, need, Math.ceil(block / align) * align);
    } catch (e) {
      x.free(block);
      throw e;
    }
  }

  /* Instantiates mod with its memory at memoryBase in the core (need: its dylink.0).
  ** Returns its exports. Throws on failure (the table may keep the slots it grew: they
  ** are never used). */
  #place(mod, need, memoryBase) {
    const x = this.#core;
    new Uint8Array(x.memory.buffer, memoryBase, need.memSize).fill(0);
    const table = x.__indirect_function_table;
    const tableBase = table.length;
    if (need.tableSize) table.grow(need.tableSize);
    const env = {
      memory: x.memory,
      __indirect_function_table: table,
      __stack_pointer: x.__stack_pointer,
      __memory_base: new WebAssembly.Global({ value: 'i32', mutable: false }, memoryBase),
      __table_base: new WebAssembly.Global({ value: 'i32', mutable: false }, tableBase),
    };
    const got = {};
    const coreFunction = (name) => {
      if (typeof x[name] !== 'function') throw new Error(`the FTS5 module needs ${name}, which this core does not export (a module of another build?)`);
      return x[name];
    };
    for (const imp of WebAssembly.Module.imports(mod)) {
      if (imp.module === 'GOT.func') {
        // The table index of a core function whose address the module takes.
        got[imp.name] = new WebAssembly.Global({ value: 'i32', mutable: true }, this.#tableIndex(table, coreFunction(imp.name)));
      } else if (imp.module !== 'env') {
        throw new Error(`the FTS5 module imports ${imp.module}.${imp.name}, which no core provides`);
      } else if (imp.kind === 'function' && !(imp.name in env)) {
        env[imp.name] = coreFunction(imp.name);
      }
    }
    const instance = new WebAssembly.Instance(mod, { env, 'GOT.func': got });
    instance.exports.__wasm_call_ctors?.();
    if (typeof instance.exports.sqlite3_fts5_init !== 'function') throw new Error('the FTS5 module has no sqlite3_fts5_init');
    return instance.exports;
  }
}

/*
** The default FTS5 source beside a core's wasm: for a URL, the file
** sqlite-worker-fts5.wasm in its folder; for a path, the same beside it; else null.
*/
export function fts5Beside(wasm) {
  if (wasm instanceof URL) return new URL('sqlite-worker-fts5.wasm', wasm);
  if (typeof wasm !== 'string') return null;
  if (/^[a-z][a-z0-9+.-]*:/i.test(wasm) && !/^[a-z]:[\\/]/i.test(wasm)) return new URL('sqlite-worker-fts5.wasm', wasm).href;
  return wasm.replace(/[^/\\]*$/, 'sqlite-worker-fts5.wasm');
}
