// build-js.mjs — builds the browser entry points of dist/ with esbuild, from src/:
//   dist/index.js, dist/worker.js   the public API and the database worker, each one
//                                    minified ES module with a source map; the API starts
//                                    the worker as new URL('./worker.js', import.meta.url)
//                                    and the worker loads ./sqlite-worker.wasm beside it,
//                                    so bundlers (Vite, webpack) and plain servers work;
//   dist/sqlite-worker.single.js    the same API as one module that needs no other file.
//
//   node scripts/build-js.mjs        (make build runs it; needs dist/sqlite-worker.wasm and
//                                    dist/sqlite-worker-fts5.wasm)
//
// Bundling matters for start-up: served as separate modules, the API and the worker
// load in a waterfall of small requests (measured: ~100 ms more from navigation to the
// first result in Chromium). The other dist/ files (core.js, codec.js, hosts) stay plain
// copies: Node and the storage tests import them one by one.
//
// The single-file build takes two passes:
//   1. the worker (src/js/worker.js and its imports) as one module script, preceded by a
//      statement that sets globalThis.sqliteWorkerWasm to a promise of the wasm's bytes,
//      inflated from gzip inlined as base64 (worker.js takes its wasm from there), and
//      one that sets globalThis.sqliteWorkerFts5 to a function of FTS5's (src/js/link.js);
//   2. the API (src/js/index.js) with spawn.js replaced by spawn-inline.js, which starts
//      the worker from a Blob URL of pass 1's code, supplied to it as `./worker-code.js`.
// The sources import one another as `./name.js`, their names in src/js/ and in dist/
// alike (the Makefile copies them under the same names).
//
// Exits non-zero with esbuild's messages when a pass fails; each output file is replaced
// only by a complete build (written beside it, then renamed).

import fs from 'node:fs';
import zlib from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const WASM = path.join(ROOT, 'dist/sqlite-worker.wasm');
const FTS5 = path.join(ROOT, 'dist/sqlite-worker-fts5.wasm');
const SINGLE = path.join(ROOT, 'dist/sqlite-worker.single.js');
const WORKER_CODE_NS = 'sqlite-worker-code';

/*
** The esbuild plugin that resolves `./name.js` imports to src/js/name.js, and, when
** `workerCode` is given, spawn.js to spawn-inline.js and spawn-inline.js's
** `./worker-code.js` to a module exporting WORKER_CODE = workerCode. Returns the plugin.
*/
function distLayout(workerCode) {
  return {
    name: 'dist-layout',
    setup(build) {
      build.onResolve({ filter: /^\.\/[\w-]+\.js$/ }, (args) => {
        const name = args.path.slice(2);
        if (workerCode !== undefined && name === 'worker-code.js') return { path: name, namespace: WORKER_CODE_NS };
        const inlined = workerCode !== undefined && name === 'spawn.js' ? 'spawn-inline.js' : name;
        return { path: path.join(ROOT, 'src/js', inlined) };
      });
      build.onLoad({ filter: /.*/, namespace: WORKER_CODE_NS }, () => ({
        contents: `export const WORKER_CODE = ${JSON.stringify(workerCode)};`,
        loader: 'js',
      }));
    },
  };
}

/*
** The statement that puts the wasm on globalThis.sqliteWorkerWasm: a promise of its
** bytes, inlined gzip-compressed as base64 and inflated by the browser's
** DecompressionStream when the worker starts. Compressed first, the one-file build is
** 550 KB raw and 390 KB gzip, against 1,056 KB and 473 KB with the raw module in base64
** (measured with make size). Returns the JavaScript text.
*/
function wasmStatement(wasmBytes) {
  const base64 = zlib.gzipSync(wasmBytes, { level: 9 }).toString('base64');
  return 'globalThis.sqliteWorkerWasm=(s=>{const b=new Uint8Array(s.length);'
    + 'for(let i=0;i<s.length;i++)b[i]=s.charCodeAt(i);'
    + "return new Response(new Blob([b]).stream().pipeThrough(new DecompressionStream('gzip')))"
    + '.arrayBuffer()})'
    + `(atob(${JSON.stringify(base64)}));`;
}

/*
** The statement that puts FTS5's module on globalThis.sqliteWorkerFts5: a function
** returning its bytes, decoded from base64 when called. It is called in the middle of a
** prepare (src/js/link.js), so it must be synchronous: the module is inlined
** uncompressed (the browser's DecompressionStream is asynchronous). Returns the
** JavaScript text.
*/
function fts5Statement(fts5Bytes) {
  return 'globalThis.sqliteWorkerFts5=(s=>()=>{const t=atob(s),b=new Uint8Array(t.length);'
    + 'for(let i=0;i<t.length;i++)b[i]=t.charCodeAt(i);return b})'
    + `(${JSON.stringify(fts5Bytes.toString('base64'))});`;
}

/*
** Bundles `entry` (a path under ROOT) with the dist-layout plugin, as `outName` in dist/
** (used for the source map's name). Returns { code, map } (map: the source map's text,
** or null without `sourcemap`). Throws esbuild's error (its messages already printed).
*/
async function bundle(entry, outName, { workerCode, banner, sourcemap = false } = {}) {
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, entry)],
    outfile: path.join(ROOT, 'dist', outName),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    minify: true,
    write: false,
    sourcemap: sourcemap ? 'linked' : false,
    // runtime.js reads wasm files with node:fs only in Node; that path never runs here.
    external: ['node:*'],
    banner: banner ? { js: banner } : undefined,
    plugins: [distLayout(workerCode)],
    logLevel: 'warning',
  });
  const code = result.outputFiles.find((f) => f.path.endsWith('.js')).text;
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'))?.text ?? null;
  return { code, map };
}

/* Writes text to dist/name through a temporary file, so a reader never sees half of it. */
function write(name, text) {
  const out = path.join(ROOT, 'dist', name);
  fs.writeFileSync(`${out}.tmp`, text);
  fs.renameSync(`${out}.tmp`, out);
  console.log(`dist/${name}: ${text.length} bytes`);
}

for (const [entry, name] of [['src/js/index.js', 'index.js'], ['src/js/worker.js', 'worker.js']]) {
  const { code, map } = await bundle(entry, name, { sourcemap: true });
  write(`${name}.map`, map);
  write(name, code);
}
const banner = wasmStatement(fs.readFileSync(WASM)) + fts5Statement(fs.readFileSync(FTS5));
const { code: workerCode } = await bundle('src/js/worker.js', 'worker.js', { banner });
const { code: single } = await bundle('src/js/index.js', path.basename(SINGLE), { workerCode });
write(path.basename(SINGLE), single);
