// w1-loop.mjs — W1's C loop (100,000 inserts in one run_many call, rows encoded
// beforehand, on a private memdb database: CPU only, no storage) on one or more builds of
// the wasm module, in a dedicated worker of a headless browser and in Node, the builds
// interleaved round by round in alternating order so the machine's noise falls on all of
// them alike. The numbers that chose the build flags (docs/decisions.md).
//
//   node scripts/w1-loop.mjs [--runs N] [--warm N] [--node] [a.wasm b.wasm …]
//
// Each .wasm is a path under the repository (default dist/sqlite-worker.wasm); the
// browser is SQLW_BROWSER's (chromium, the default, or firefox; 0 for none), served on
// port 8798 (+100 in Firefox, + SQLW_PORT_OFFSET). Each build gets its own worker, which
// runs `--warm` untimed loops first (default 1: the first call also grows memory and
// meets the engine's baseline tier); the cold first loop is printed apart, with the host
// imports it called and the memory it left (browser). Prints, per build: the median and
// the min/max of the timed loops in ms, and its size.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { loadCore } from '../dist/core.js';
import { encodeParamSets } from '../dist/codec.js';
import { createNodeHost } from '../dist/host-node.js';
import { w1Rows, CREATE_T, INSERT_T } from '../bench/workload.js';
import { startServer, ROOT } from '../tests/browser/server.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  return v;
};
const RUNS = opt('--runs', 9);
const WARM = opt('--warm', 1);
const NODE = args.includes('--node');
const BUILDS = args.filter((a) => !a.startsWith('--'));
if (BUILDS.length === 0) BUILDS.push('dist/sqlite-worker.wasm');
for (const b of BUILDS) if (!fs.existsSync(path.join(ROOT, b))) throw new Error(`no such build: ${b}`);
const BROWSER = process.env.SQLW_BROWSER ?? 'chromium';
const ROWS = 100000;

/*
** The loop itself, as bench/run.js's wasmW1Loop runs it: given the raw exports `x` and
** the encoded rows, opens a fresh memdb database, creates the table, times one run_many
** call. Returns ms. The same source runs in Node and (as text) in the browser's worker.
*/
function loopOnce(x, params, round, enc, create, insert) {
  const put = (bytes) => {
    const p = x.scratch(bytes.length);
    new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
    return p;
  };
  const names = enc.encode(`w1-loop-${round}\0memdb\0`);
  const pNames = put(names);
  const db = x.open(pNames, pNames + names.indexOf(0) + 1, 0);
  if (!db || x.errcode(db)) throw new Error('W1 loop: open failed');
  const fail = (what, rc) => {
    const m = new Uint8Array(x.memory.buffer, x.errmsg(db));
    return new Error(`W1 loop: ${what} failed with ${rc}: ${new TextDecoder().decode(m.subarray(0, m.indexOf(0)))}`);
  };
  const c = enc.encode(create);
  const rcCreate = x.exec(db, put(c), c.length, 0, 0);
  if (rcCreate) throw fail('create', rcCreate);
  const sql = enc.encode(insert);
  const p = x.scratch(sql.length + params.length);
  new Uint8Array(x.memory.buffer, p, sql.length).set(sql);
  new Uint8Array(x.memory.buffer, p + sql.length, params.length).set(params);
  const t0 = performance.now();
  const rc = x.run_many(db, p, sql.length, p + sql.length, params.length);
  const ms = performance.now() - t0;
  if (rc) throw fail('run_many', rc);
  x.close(db);
  x.scratch(0);
  return ms;
}

/* The worker's module text: loads a build on 'load', runs one loop per 'run'. */
function workerSource(origin) {
  return `
import { loadCore } from '${origin}/dist/core.js';
import { encodeParamSets } from '${origin}/dist/codec.js';
import { createBrowserHost } from '${origin}/dist/host-browser.js';
import { w1Rows, CREATE_T, INSERT_T } from '${origin}/bench/workload.js';
const loopOnce = ${loopOnce.toString()};
let core, params, round = 0, calls = {};
const enc = new TextEncoder();
self.onmessage = async (e) => {
  try {
    if (e.data.load) {
      const host = createBrowserHost();
      // Count the host's imports called during a loop (per-row imports would show).
      for (const [name, f] of Object.entries(host.imports.host)) {
        host.imports.host[name] = function (...a) { calls[name] = (calls[name] ?? 0) + 1; return f.apply(this, a); };
      }
      core = await loadCore({ wasm: fetch('${origin}/' + e.data.load), host });
      params = encodeParamSets(w1Rows(${ROWS}));
      self.postMessage({ ok: true });
    } else {
      calls = {};
      const ms = loopOnce(core.exports, params, round++, enc, CREATE_T, INSERT_T);
      self.postMessage({ ok: true, ms, calls, mib: core.exports.memory.buffer.byteLength / 1048576 });
    }
  } catch (err) {
    self.postMessage({ ok: false, error: String(err && err.stack || err) });
  }
};`;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/* Bytes of a build: raw, gzip -9, brotli q11 (node:zlib). */
function sizes(file) {
  const b = fs.readFileSync(path.join(ROOT, file));
  const br = zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length } });
  return { raw: b.length, gzip: zlib.gzipSync(b, { level: 9 }).length, brotli: br.length };
}

/*
** Runs the interleaved rounds: `runners` maps each build to an async function doing one
** loop (returns { ms }). Returns { build: { cold, times } }.
*/
async function rounds(runners) {
  const out = Object.fromEntries(BUILDS.map((b) => [b, { cold: null, times: [] }]));
  for (let w = 0; w < WARM; w++) {
    for (const b of BUILDS) {
      const r = await runners[b]();
      if (w === 0) Object.assign(out[b], { cold: r.ms, calls: r.calls, mib: r.mib });
    }
  }
  for (let r = 0; r < RUNS; r++) {
    const order = r % 2 ? [...BUILDS].reverse() : BUILDS;
    for (const b of order) out[b].times.push((await runners[b]()).ms);
  }
  return out;
}

/* The loops in Node, each build its own instance. */
async function inNode() {
  const runners = {};
  const params = encodeParamSets(w1Rows(ROWS));
  const enc = new TextEncoder();
  for (const b of BUILDS) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'w1-loop-'));
    const core = await loadCore({ wasm: fs.readFileSync(path.join(ROOT, b)), host: createNodeHost({ root: dir }) });
    let round = 0;
    runners[b] = async () => ({ ms: loopOnce(core.exports, params, round++, enc, CREATE_T, INSERT_T) });
  }
  return rounds(runners);
}

/* The loops in the browser's dedicated workers, one worker per build. */
async function inBrowser() {
  process.env.SQLW_BROWSER = BROWSER;
  const { launchBrowser, closeBrowser, port } = await import('../tests/browser/driver.mjs');
  const server = await startServer({ port: port(8798) });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'w1-loop-profile-'));
  const browser = await launchBrowser(profile, { protocolTimeout: 600_000 });
  try {
    const page = await browser.newPage();
    // Any page of the origin will do: the workers are made from a Blob of this script's text.
    await page.goto(`${server.origin}/w1-loop`, { waitUntil: 'load' });
    await page.evaluate((src) => {
      const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
      window.w1 = {};
      window.w1.spawn = (key) => {
        const w = new Worker(url, { type: 'module' });
        window.w1[key] = (msg) => new Promise((resolve, reject) => {
          w.onmessage = (e) => (e.data.ok ? resolve(e.data) : reject(new Error(e.data.error)));
          w.onerror = (e) => reject(new Error(e.message));
          w.postMessage(msg);
        });
      };
    }, workerSource(server.origin));
    const runners = {};
    for (const [i, b] of BUILDS.entries()) {
      await page.evaluate((k, file) => { window.w1.spawn(k); return window.w1[k]({ load: file }); }, `b${i}`, b);
      runners[b] = () => page.evaluate((k) => window.w1[k]({ run: true }), `b${i}`);
    }
    return await rounds(runners);
  } finally {
    await closeBrowser(browser);
    await server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

const results = [];
if (BROWSER !== '0') results.push([BROWSER, await inBrowser()]);
if (NODE) results.push(['node', await inNode()]);
console.log(`W1 C loop on memdb, ${ROWS} rows: median of ${RUNS} (min–max) after ${WARM} warm-up; cold = the first call`);
console.log(`${'where'.padEnd(9)} ${'build'.padEnd(36)} ${'median'.padStart(7)} ${'min–max'.padStart(13)} ${'cold'.padStart(7)} ${'raw'.padStart(8)} ${'gzip'.padStart(7)} ${'brotli'.padStart(7)}`);
for (const [where, res] of results) {
  for (const b of BUILDS) {
    const { cold, times } = res[b];
    const s = sizes(b);
    const mm = `${Math.min(...times).toFixed(1)}–${Math.max(...times).toFixed(1)}`;
    console.log(`${where.padEnd(9)} ${b.padEnd(36)} ${median(times).toFixed(1).padStart(7)} ${mm.padStart(13)} ${(cold ?? NaN).toFixed(1).padStart(7)} ${String(s.raw).padStart(8)} ${String(s.gzip).padStart(7)} ${String(s.brotli).padStart(7)}`);
    if (res[b].calls) console.log(`          host imports called by the cold loop: ${JSON.stringify(res[b].calls)}; memory after it ${res[b].mib} MiB`);
  }
}
