// size.mjs — `make size`: the bytes of dist/, raw, gzip -9 and brotli (quality 11), both
// compressed by node:zlib, and what a page downloads against the aim of issue 18.
//
//   node scripts/size.mjs [file…]     (default: the files make size lists)
//
// What a page downloads: the API (dist/index.js), the worker (dist/worker.js) and the
// module (dist/sqlite-worker.wasm), each compressed on its own as a server sends it.
// The one-file build (dist/sqlite-worker.single.js) is the alternative to those three.
// Sizes are in bytes; KB in the totals is 1,000 bytes.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PAGE = ['dist/sqlite-worker.wasm', 'dist/index.js', 'dist/worker.js'];
const AIM_GZIP = 330_000;

/* { raw, gzip, brotli } of the file at rel (a path under the repository). */
function sizes(rel) {
  const b = fs.readFileSync(path.join(ROOT, rel));
  const brotli = zlib.brotliCompressSync(b, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length },
  });
  return { raw: b.length, gzip: zlib.gzipSync(b, { level: 9 }).length, brotli: brotli.length };
}

const files = process.argv.length > 2 ? process.argv.slice(2) : PAGE;
const row = (name, s) => console.log(`${name.padEnd(32)} ${String(s.raw).padStart(9)} ${String(s.gzip).padStart(9)} ${String(s.brotli).padStart(9)}`);
console.log(`${'file'.padEnd(32)} ${'raw'.padStart(9)} ${'gzip-9'.padStart(9)} ${'brotli'.padStart(9)}`);
for (const f of files) row(f, sizes(f));
const page = PAGE.map(sizes).reduce((a, s) => ({ raw: a.raw + s.raw, gzip: a.gzip + s.gzip, brotli: a.brotli + s.brotli }));
const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
console.log(`\nwhat a page downloads (${PAGE.map((f) => path.basename(f)).join(' + ')}):`);
console.log(`  gzip -9 ${kb(page.gzip)}, brotli ${kb(page.brotli)} (raw ${kb(page.raw)}); aim ≤ ${kb(AIM_GZIP)} gzip: ${page.gzip <= AIM_GZIP ? 'met' : `${kb(page.gzip - AIM_GZIP)} over`}`);
