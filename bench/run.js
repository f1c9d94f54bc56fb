// run.js — `make bench`: the design's workloads as plain SQLite runs them (bench/bench_plain.c:
// SQLite's API only, the same build and pragmas: the reference of issue 18's bar), through our
// engine natively (bench/bench_native.c, gcc -O2, POSIX host with a real fsync), in Node on
// the wasm build (node:fs host), and in
// a headless browser: the C loop in a dedicated worker on OPFS (bench/browser/), the
// public API from the main thread (bench/api/), the same from a follower tab and the
// failover to it (bench/api/ in two pages), live queries from one tab's writes to
// another's listener (bench/api/live.js, two pages), and the peers @sqlite.org/sqlite-wasm
// and @journeyapps/wa-sqlite (bench/peers/), all in one browser run, printed as tables
// with each ratio naming its reference (× plain SQLite, × our engine native), measured in
// the same run, on the same filesystem.
// BENCH_RUNS sets the rounds per number (medians); BENCH_BROWSER=chromium (the default)
// or firefox picks the browser (Debian's, launched by tests/browser/driver.mjs), 0 skips
// it; BENCH_PEERS=0 skips the peers; BENCH_MODES=wal/full,… limits the journal modes;
// BENCH_BIG_MIB sets the size of the streamed export/import (default 1536 MiB; 0 skips it).
// The scale rows (issue 18; bench/api/scale.js): BENCH_SCALE=0 skips them all;
// BENCH_SCALE_ROWS sets the big table of W1/W5 (default 1000000); BENCH_SCALE_MIB the
// database of the open → first result row (default 1024 MiB; 0 skips it); BENCH_TABS the
// tabs writing at once (default 8; 0 skips it). BENCH_PAGE_SIZES=4096,8192,16384 adds the
// page-size table (off by default), its count(*) over a BENCH_PAGE_MIB database (default 256).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCore } from '../dist/core.js';
import { encodeParamSets } from '../dist/codec.js';
import { createNodeHost } from '../dist/host-node.js';
import { w1Rows, CREATE_T, INSERT_T } from './workload.js';
import { startServer } from '../tests/browser/server.mjs';
import { benchPeers } from './peers/driver.mjs';
import { engineLoopW1, plainWasm } from './loops.js';

const BROWSER = process.env.BENCH_BROWSER || 'chromium';
const BROWSER_NAME = { chromium: 'Chromium', firefox: 'Firefox' }[BROWSER];
if (BROWSER !== '0' && !BROWSER_NAME) throw new Error(`BENCH_BROWSER must be chromium, firefox or 0, not ${BROWSER}`);
// The driver launches the browser SQLW_BROWSER names (read when it loads).
process.env.SQLW_BROWSER = BROWSER === '0' ? 'chromium' : BROWSER;
const { launchBrowser, closeBrowser } = await import('../tests/browser/driver.mjs');
// performance.now()'s resolution in a page without cross-origin isolation.
const TIMER = BROWSER === 'firefox' ? '1 ms' : '100 µs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const RUNS = Number(process.env.BENCH_RUNS || 5);
const BIG_MIB = Number(process.env.BENCH_BIG_MIB ?? 1536);
const ROWS = 100000;
const SCALE = process.env.BENCH_SCALE !== '0';
const SCALE_ROWS = Number(process.env.BENCH_SCALE_ROWS || 1000000);
const SCALE_MIB = Number(process.env.BENCH_SCALE_MIB ?? 1024);
const TABS = Number(process.env.BENCH_TABS ?? 8);
const PAGE_SIZES = (process.env.BENCH_PAGE_SIZES || '').split(',').filter(Boolean).map(Number);
const PAGE_MIB = Number(process.env.BENCH_PAGE_MIB || 256);
// Commits of the writers' row: W2's 1,000 from one tab, and as many in all from TABS tabs.
const WRITES = 1000;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/* The value of xs at quantile q (nearest rank). */
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(q * s.length) - 1)];
}

/**
 * Runs W1 in Node on the wasm module, on a file through node:fs (vfs 'host') or in
 * memory (vfs 'memdb'). Returns medians in ms: the whole runMany call, and the JS
 * encoding of the parameter sets alone (a part of it).
 */
async function wasmW1(core, dir, vfs) {
  const rows = w1Rows(ROWS);
  const total = [], encode = [];
  for (let r = 0; r < RUNS; r++) {
    const file = vfs === 'host' ? `w1-wasm-${r}.db` : `w1-${r}`;
    if (vfs === 'host') fs.rmSync(path.join(dir, file), { force: true });
    const db = core.open(file, { vfs });
    db.exec(CREATE_T);
    const t0 = performance.now();
    const res = db.runMany(INSERT_T, rows);
    total.push(performance.now() - t0);
    if (res.changes !== ROWS) throw new Error(`W1 inserted ${res.changes} rows, not ${ROWS}`);
    const t1 = performance.now();
    encodeParamSets(rows);
    encode.push(performance.now() - t1);
    const n = db.exec('SELECT count(*) AS n FROM t').resultSets[0].rows[0].n;
    if (n !== ROWS) throw new Error(`W1 left ${n} rows, not ${ROWS}`);
    db.close();
    if (vfs === 'host') fs.rmSync(path.join(dir, file), { force: true });
  }
  return { total: median(total), encode: median(encode) };
}

/*
** Runs the plain-SQLite reference (bench/bench_plain.c: SQLite's API only, the same build
** and pragmas) in dir, the file workloads in the given mode. Returns its JSON line: medians
** in ms of W1, W2, W3, W5 on a file and W1, W3, W5 on memdb.
*/
function plainBench(dir, journal = 'wal', sync = 'full') {
  const out = execFileSync(path.join(root, 'build/native/bench-plain'),
    [dir, String(RUNS), journal, sync]);
  return JSON.parse(out.toString());
}

/* Runs the native benchmark in dir; the pool workloads in the given mode. */
function nativeBench(dir, journal = 'wal', sync = 'full') {
  const out = execFileSync(path.join(root, 'build/native/bench-native'),
    [dir, String(RUNS), journal, sync]);
  return JSON.parse(out.toString());
}

/* The journal modes measured in the browser, the default first. */
// BENCH_MODES=wal/full,delete/full measures only those.
const ALL_MODES = [['wal', 'full'], ['wal', 'normal'], ['delete', 'full'], ['truncate', 'full'], ['persist', 'full']];
const MODES = process.env.BENCH_MODES
  ? ALL_MODES.filter(([j, s]) => process.env.BENCH_MODES.split(',').includes(`${j}/${s}`))
  : ALL_MODES;
if (MODES.length === 0) throw new Error(`BENCH_MODES=${process.env.BENCH_MODES} names no mode of ${ALL_MODES.map((m) => m.join('/')).join(', ')}`);

/*
** Runs W1/W2/W5 in the headless browser in a dedicated worker on OPFS, RUNS
** rounds per mode. Returns { 'wal/full': { w1, w2, w5 }, ... } of medians in ms.
*/
async function browserBench(profile) {
  // Served as a deployed site serves files (revalidated: a reload reuses what the browser
  // has, the compiled wasm too), for ours and the peers alike.
  const server = await startServer({ port: 8790 + Number(process.env.SQLW_PORT_OFFSET || 0), cache: true });
  const browser = await launchBrowser(profile, { protocolTimeout: 600_000 });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`[bench page] ${e.message}`));
    await page.goto(`${server.origin}/bench/browser/index.html`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.bench !== undefined, { polling: 50 });
    const out = {};
    for (const [journal, sync] of MODES) {
      const rounds = [];
      for (let round = 0; round < RUNS; round++) {
        rounds.push(await page.evaluate((a) => window.bench.run(a), { journal, sync, round }));
      }
      out[`${journal}/${sync}`] = {
        w1: median(rounds.map((r) => r.w1)),
        w2: median(rounds.map((r) => r.w2)),
        w5: median(rounds.map((r) => r.w5)),
      };
    }
    const floors = [];
    for (let round = 0; round < RUNS; round++) floors.push(await page.evaluate(() => window.bench.run({ floor: true })));
    out.floor = median(floors);
    out.loops = await page.evaluate((runs) => window.bench.run({ loops: true, runs }), RUNS);
    if (PAGE_SIZES.length > 0) out.pages = await pageSizeBench(page);
    out.api = await apiBench(page, server.origin);
    out.tabs = await tabsBench(browser, server.origin);
    out.live = await liveBench(browser, server.origin);
    out.limits = await limitsBench(page, server.origin);
    if (SCALE) out.scale = await scaleBench(browser, server.origin);
    if (process.env.BENCH_PEERS !== '0') out.peers = await benchPeers({ browser, origin: server.origin, runs: RUNS });
    return out;
  } finally {
    await closeBrowser(browser);
    await server.close();
  }
}

/*
** Page sizes (BENCH_PAGE_SIZES) in the benchmark worker on OPFS, WAL/FULL: W1, W2, W5 as
** the journal-mode table runs them, RUNS rounds, the sizes' order turned each round; then
** a PAGE_MIB MiB database per size and RUNS rounds of its first SELECT count(*) (pool and
** database opened afresh), in turn. Returns { [size]: { w1, w2, w5, open, count } } of
** medians in ms, with { makeMs, pages } of each database.
*/
async function pageSizeBench(page) {
  const run = (a) => page.evaluate((x) => window.bench.run(x), a);
  const turn = (round) => PAGE_SIZES.map((_, i) => PAGE_SIZES[(i + round) % PAGE_SIZES.length]);
  const got = Object.fromEntries(PAGE_SIZES.map((s) => [s, { rounds: [], counts: [] }]));
  for (let round = 0; round < RUNS; round++) {
    for (const size of turn(round)) got[size].rounds.push(await run({ journal: 'wal', sync: 'full', round, pageSize: size }));
  }
  try {
    for (const size of PAGE_SIZES) got[size].makeMs = (await run({ countMake: true, pageSize: size, mib: PAGE_MIB })).ms;
    for (let round = 0; round < RUNS; round++) {
      for (const size of turn(round)) got[size].counts.push(await run({ countFirst: true, pageSize: size }));
    }
  } finally {
    for (const size of PAGE_SIZES) await run({ countDrop: true, pageSize: size });
  }
  const out = {};
  for (const size of PAGE_SIZES) {
    const g = got[size];
    const n = new Set(g.counts.map((c) => c.n));
    if (n.size !== 1) throw new Error(`count(*) at ${size}-byte pages gave ${[...n]}`);
    out[size] = { makeMs: g.makeMs, pages: g.counts[0].pages, rows: g.counts[0].n };
    for (const k of ['w1', 'w2', 'w5']) out[size][k] = median(g.rounds.map((r) => r[k]));
    for (const k of ['open', 'count']) out[size][k] = median(g.counts.map((r) => r[k]));
  }
  return out;
}

/* Prints the page-size table (see pageSizeBench), each ratio against the first size. */
function pagesTable(pg) {
  const base = pg[PAGE_SIZES[0]];
  const MiB = 1024 * 1024;
  const rows = PAGE_SIZES.map((size) => {
    const p = pg[size];
    return [`${size / 1024} KiB`, `${f1(p.w1)} (${ratio(p.w1, base.w1)})`, `${f1(p.w2)} (${ratio(p.w2, base.w2)})`,
      `${f1(p.w5)} (${ratio(p.w5, base.w5)})`, `${(p.pages * size / MiB).toFixed(0)} MiB, ${p.pages.toLocaleString('en-US')} pages`,
      f1(p.makeMs), f1(p.open), `${f1(p.count)} (${ratio(p.count, base.count)})`, `${(p.count / p.pages * 1000).toFixed(2)} µs`];
  });
  console.log(`\nPage sizes (${BROWSER_NAME}, dedicated worker, OPFS pool VFS, WAL/FULL, ms, medians of ${RUNS}, sizes in turn;`);
  console.log(`ratios × ${PAGE_SIZES[0] / 1024} KiB): W1/W2/W5 as in the journal-mode table; then a ~${PAGE_MIB} MiB database of`);
  console.log(`${(1000).toLocaleString('en-US')}-byte blobs (in the page at every size) per size, and its first SELECT count(*): the pool and`);
  console.log('the database opened afresh in the worker, the query timed alone (the OS may cache the file).\n');
  table(['page size', 'W1', 'W2', 'W5', 'database', 'made in', 'open', 'first count(*)', 'count per page'], rows);
}

/*
** The public API from the main thread (bench/api/index.html): RUNS rounds of W1–W5,
** each followed by a page load that measures W6. Returns medians { w1, w2, w3, w5, w6,
** and W6's parts w6Load, w6Open, w6Query } in ms and { w4Mean, w4P50, w4P99 } in µs, with the journal mode and sync level seen.
*/
async function apiBench(page, origin) {
  const url = `${origin}/bench/api/index.html`;
  const rounds = [];
  for (let round = 0; round < RUNS; round++) {
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(() => window.api !== undefined, { polling: 50 });
    const r = await page.evaluate(() => window.api.round());
    await page.goto(`${url}?w6`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.w6 !== undefined, { polling: 50 });
    const w6 = await page.evaluate(() => window.w6);
    Object.assign(r, { w6: w6.ms, w6Load: w6.called, w6Open: w6.open, w6Query: w6.query, w6Bare: w6.bareWorker });
    rounds.push(r);
  }
  const out = { journal: rounds[0].journal, sync: rounds[0].sync };
  for (const k of ['w1', 'w2', 'w3', 'w5', 'w6', 'w6Load', 'w6Open', 'w6Query', 'w6Bare', 'w4Mean', 'w4P50', 'w4P99', 'echo']) out[k] = median(rounds.map((r) => r[k]));
  return out;
}

/*
** Many tabs (bench/api/index.html in two pages of the browser): RUNS rounds, each with
** fresh pages A (the leader) and B (a follower): B runs W1, W3 and W4 through A, then
** node closes A and B times the failover. Returns medians { w1, w3 } in ms and
** { w4Mean, w4P50, w4P99, echo, echoRelay } in µs, and the failover's { median, max, leading } in
** ms (leading: the median time to B's 'leaderchange').
*/
async function tabsBench(browser, origin) {
  const open = async () => {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`[bench tab] ${e.message}`));
    await page.goto(`${origin}/bench/api/index.html`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.api !== undefined, { polling: 50 });
    return page;
  };
  const rounds = [], failovers = [];
  for (let round = 0; round < RUNS; round++) {
    const a = await open();
    await a.evaluate(() => window.api.lead());
    const b = await open();
    try {
      rounds.push(await b.evaluate(() => window.api.follow()));
      await b.evaluate(() => window.api.failover());
      await a.close();
      failovers.push(await b.evaluate(() => window.failedOver));
    } finally {
      if (!a.isClosed()) await a.close();
      await b.close();
    }
  }
  const out = {};
  for (const k of ['w1', 'w3', 'w4Mean', 'w4P50', 'w4P99', 'echo', 'echoRelay']) out[k] = median(rounds.map((r) => r[k]));
  const ms = failovers.map((f) => f.ms);
  out.failover = { median: median(ms), max: Math.max(...ms), leading: median(failovers.map((f) => f.leading)) };
  return out;
}

// The live-query latency: awaited writes measured after LIVE_WARM unmeasured ones; the
// re-runs: LIVE_BURST writes.
const LIVE_WARM = 20;
const LIVE_N = 200;
const LIVE_BURST = 1000;
const W2_N = 1000;      // W2's commits (bench/api/common.js)
// W1 and W2 with and without a live query: three rounds, each condition once in each place of the order.
const LIVE_ROUNDS = Math.min(RUNS, 3);

/*
** Live queries (bench/api/live.js in two pages of bench/api/index.html): page A opens
** the database first, leads and writes; page B follows and holds the live queries.
** Returns { clock } (B's clock minus A's, { offset, within } ms), { latency } (A's
** write → B's listener: p50/p99 of LIVE_N, and A's commit alone), { reruns } (of B's
** query over t for LIVE_BURST autocommit writes sent at once, and awaited one by one;
** of its query over a table nobody writes; the notices B heard) and { w12 } (W1 and W2
** with no live query, one in B, one in A: medians of LIVE_ROUNDS rounds, each condition
** from the same empty tables, their order turned each round).
*/
async function liveBench(browser, origin) {
  const open = async () => {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`[bench live] ${e.message}`));
    await page.goto(`${origin}/bench/api/index.html`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.api !== undefined, { polling: 50 });
    return page;
  };
  const call = (page, fn, ...args) => page.evaluate((f, a) => window.api.live[f](...a), fn, args);
  const a = await open();
  const b = await open();
  try {
    const out = {};
    await call(a, 'open', 'bench-live', true);
    await call(b, 'open', 'bench-live', false);
    out.clock = await call(a, 'clockOffset', 50);

    await call(b, 'watch', 'last', true);
    const lat = await call(a, 'latency', LIVE_WARM, LIVE_N);
    await call(b, 'unwatch', 'last');
    out.latency = {
      p50: quantile(lat.seen, 0.5), p99: quantile(lat.seen, 0.99),
      commitP50: quantile(lat.commit, 0.5), commitP99: quantile(lat.commit, 0.99),
    };

    out.reruns = {};
    for (const awaited of [false, true]) {
      await call(b, 'hear');
      await call(b, 'watch', 'last', false);
      await call(b, 'watch', 'u', false);
      const w = await call(a, 'burst', LIVE_BURST, awaited);
      const shown = await call(b, 'until', 'last', 'id', w.lastId);
      // A marker after the writes: once B heard its notice it has heard (and acted on)
      // every notice of the writes, so the runs below are final.
      await call(a, 'mark');
      const notices = await call(b, 'heard', 'marker', 't');
      const runs = await call(b, 'runs', 'last');
      const unrelated = await call(b, 'runs', 'u');
      if (runs !== shown.runs) throw new Error(`live: B's query ran ${runs - shown.runs} more times after the last write showed`);
      await call(b, 'unwatch', 'last');
      await call(b, 'unwatch', 'u');
      out.reruns[awaited ? 'awaited' : 'atOnce'] = { reruns: runs - 1, unrelated: unrelated - 1, notices, ms: w.ms, shownMs: shown.at - w.start };
    }

    // W1 and W2, after one W1 that warms page A and its worker up, in LIVE_ROUNDS rounds
    // of the three conditions, each from the same empty tables.
    await call(a, 'reset');
    await call(a, 'runW1');
    const conds = ['none', 'b', 'a'];
    const rounds = Object.fromEntries(conds.map((c) => [c, []]));
    for (let round = 0; round < LIVE_ROUNDS; round++) {
      for (let k = 0; k < conds.length; k++) {
        const cond = conds[(k + round) % conds.length];
        await call(a, 'reset');
        const watcher = { none: null, a, b }[cond];
        if (watcher) {
          await call(watcher, 'watch', 't', false);
          await call(watcher, 'watch', 't2', false);
        }
        const w1 = await call(a, 'runW1');
        if (watcher) await call(watcher, 'until', 't', 'n', ROWS);
        const w2 = await call(a, 'runW2');
        const r = watcher ? await call(watcher, 'until', 't2', 'n', W2_N) : null;
        rounds[cond].push({ w1, w2, reruns: r ? r.runs - 1 : 0 });
        if (watcher) {
          await call(watcher, 'unwatch', 't');
          await call(watcher, 'unwatch', 't2');
        }
      }
    }
    await call(b, 'close', false);
    await call(a, 'close', true);
    out.w12 = {};
    for (const c of conds) {
      out.w12[c] = {};
      for (const k of ['w1', 'w2', 'reruns']) out.w12[c][k] = median(rounds[c].map((r) => r[k]));
    }
    return out;
  } finally {
    await a.close();
    await b.close();
  }
}

/* Prints the live-query tables (see liveBench). */
function liveTable(l) {
  const lat = l.latency;
  const r = l.reruns;
  const w = l.w12;
  const num = (x) => x.toLocaleString('en-US');
  const reruns = (n) => `${num(n)} re-run${n === 1 ? '' : 's'}`;
  console.log(`\nLive queries (${BROWSER_NAME}, ms unless marked): page A opens the database first, leads and writes;`);
  console.log('page B follows and holds db.live() queries, which run on A\'s worker over BroadcastChannel.');
  console.log(`Latency: A's awaited single-row autocommit INSERTs into t, each waiting for B's listener of`);
  console.log(`'SELECT id, name, score FROM t ORDER BY id DESC LIMIT 1' to have it; from just before A sends to B's`);
  console.log(`listener, on the clock the pages share (timeOrigin + now(), ${TIMER} timer; B's clock − A's by ping-pong:`);
  console.log(`${l.clock.offset.toFixed(2)} ± ${l.clock.within.toFixed(2)} ms). Re-runs: runs − 1 of a query B subscribed before the writes,`);
  console.log('counted once the last write showed and a later marker\'s notice was heard.\n');
  const row = (x, label) => [`live: re-runs per ${num(LIVE_BURST)} autocommit writes, ${label}`,
    `${reruns(x.reruns)} (${num(x.notices)} change notices heard; B had the last row at ${f1(x.shownMs)}, A's writes took ${f1(x.ms)})`];
  table(['what', 'value'], [
    [`live: tab A write → tab B listener has the new rows, p50 / p99 of ${LIVE_N}`, `${f1(lat.p50)} / ${f1(lat.p99)}`],
    ['  of which: A\'s commit alone (await run()), p50 / p99', `${f1(lat.commitP50)} / ${f1(lat.commitP99)}`],
    ['  on top of the commit, p50', `${f1(lat.p50 - lat.commitP50)} (write → listener ${ratio(lat.p50, lat.commitP50)} the commit)`],
    row(r.atOnce, 'sent at once'),
    ['  B\'s live query over a table nobody writes', reruns(r.atOnce.unrelated)],
    row(r.awaited, 'awaited one by one'),
    ['  B\'s live query over a table nobody writes', reruns(r.awaited.unrelated)],
  ]);
  console.log(`\nW1 and W2 of the API table from page A (leading), page B open and following, each with no live`);
  console.log('query, with B subscribed to \'SELECT count(*) AS n FROM t\' and the same over t2 (W2\'s table), and with A');
  console.log(`subscribed to them itself; medians of ${LIVE_ROUNDS} rounds, each from empty tables (dropped, VACUUM, created) in`);
  console.log('the database both pages keep open, after one W1 more, so A\'s worker runs them warm (faster than the API');
  console.log('table\'s, each on a new database and worker). Re-runs: of the t2 query during W2, for its 1,000 commits.\n');
  table(['workload', 'no live query', 'live query in B', 'B × none', 'live query in A', 'A × none'], [
    ['W1 100k inserts, 1 tx (runMany)', f1(w.none.w1), f1(w.b.w1), ratio(w.b.w1, w.none.w1), f1(w.a.w1), ratio(w.a.w1, w.none.w1)],
    ['W2 1,000 awaited autocommit run()', f1(w.none.w2), f1(w.b.w2), ratio(w.b.w2, w.none.w2), f1(w.a.w2), ratio(w.a.w2, w.none.w2)],
    ['  re-runs of the live query during W2', '', num(w.b.reruns), '', num(w.a.reruns), ''],
  ]);
}

/*
** Interrupts and a streamed copy (bench/api/index.html: limits(), bigStream()): RUNS
** rounds of the latencies (medians, ms), then one streamed export → import of BIG_MIB MiB.
*/
async function limitsBench(page, origin) {
  await page.goto(`${origin}/bench/api/index.html`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.api !== undefined, { polling: 50 });
  const rounds = [];
  for (let round = 0; round < RUNS; round++) rounds.push(await page.evaluate(() => window.api.limits()));
  const out = {};
  for (const k of Object.keys(rounds[0])) out[k] = median(rounds.map((r) => r[k]));
  if (BIG_MIB > 0) out.big = await page.evaluate((mib) => window.api.bigStream(mib), BIG_MIB);
  return out;
}

/* Prints the limits table (see limitsBench). */
function limitsTable(l) {
  const MiB = 1024 * 1024;
  const mb = (x) => `${(x / MiB).toFixed(1)} MiB`;
  console.log(`\nLimits (${BROWSER_NAME}, ms, medians of ${RUNS}): a runaway statement (a recursive CTE with no end) under`);
  console.log('timeoutMs 200 (the page rejects it, the leader interrupts it) and under maxStatementMs 200 with timeoutMs');
  console.log('Infinity; an AbortSignal fired at a call held behind a transaction; W1 with the default timeoutMs (a deadline');
  console.log('on every request: the progress handler runs) and with none.\n');
  table(['what', 'measure', 'ms'], [
    ['runaway, timeoutMs 200', 'call → rejection', f1(l.timeout)],
    ['', 'call → next SELECT 1 answered', f1(l.timeoutNext)],
    ['runaway, maxStatementMs 200', 'call → SQLITE_INTERRUPT', f1(l.cap)],
    ['', 'call → next SELECT 1 answered', f1(l.capNext)],
    ['AbortSignal, held call', 'abort() → rejection', f1(l.abort)],
    ['W1 (memory database)', 'with a deadline', f1(l.w1Deadline)],
    ['', 'with none', `${f1(l.w1None)} (deadline ${ratio(l.w1Deadline, l.w1None)})`],
  ]);
  if (!l.big) return;
  const b = l.big;
  console.log(`\nA ${mb(b.bytes)} database on OPFS exported as a stream into import() of another (staged pieces):`);
  console.log('wasm memory of each worker before and after (it never shrinks: after is the high-water mark).\n');
  table(['step', 'where', 'value'], [
    ['fill (64 KiB blobs)', 'source', `${f1(b.fillMs)} ms`],
    ['export stream, read to the end', 'source', `${f1(b.exportMs)} ms (${(b.bytes / MiB / (b.exportMs / 1000)).toFixed(0)} MiB/s)`],
    ['export stream → import', 'both', `${f1(b.streamMs)} ms (${(b.bytes / MiB / (b.streamMs / 1000)).toFixed(0)} MiB/s)`],
    ['worker memory', 'source', `${mb(b.src.before)} → ${mb(b.src.after)}`],
    ['worker memory', 'importer', `${mb(b.dst.before)} → ${mb(b.dst.after)}`],
  ]);
}

/* Opens bench/api/index.html in a new page of browser; resolves with the page, ready. */
async function apiPage(browser, origin, label) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`[bench ${label}] ${e.message}`));
  await page.goto(`${origin}/bench/api/index.html`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.api !== undefined, { polling: 50 });
  return page;
}

/*
** The scale rows (bench/api/scale.js), each skippable (see the top of this file): W1 and
** W5 on a SCALE_ROWS-row table; the workers' wasm memory around W1, W3 and a 64 MiB blob;
** W6 on a database of W1's rows alone and on one with SCALE_MIB MiB more, RUNS rounds
** each, in turn; TABS tabs writing at once against one tab. Returns { rows, memory, open,
** writers } (ms and bytes).
*/
async function scaleBench(browser, origin) {
  const out = {};
  const page = await apiPage(browser, origin, 'scale');
  const call = (fn, ...args) => page.evaluate((f, a) => window.api.scale[f](...a), fn, args);
  try {
    if (SCALE_ROWS > 0) out.rows = await call('rows', SCALE_ROWS);
    out.memory = await call('memory');
    if (SCALE_MIB > 0) {
      const small = await call('fillBig', 'bench-scale-small', 0);
      const big = await call('fillBig', 'bench-scale-big', SCALE_MIB);
      const w6 = { small: [], big: [] };
      for (let round = 0; round < RUNS; round++) {
        for (const which of round % 2 ? ['big', 'small'] : ['small', 'big']) {
          await page.goto(`${origin}/bench/api/index.html?w6=bench-scale-${which}`, { waitUntil: 'load' });
          await page.waitForFunction(() => window.w6 !== undefined, { polling: 50 });
          w6[which].push((await page.evaluate(() => window.w6)).ms);
        }
      }
      await page.goto(`${origin}/bench/api/index.html`, { waitUntil: 'load' });
      await page.waitForFunction(() => window.api !== undefined, { polling: 50 });
      await call('wipe', 'bench-scale-small');
      await call('wipe', 'bench-scale-big');
      out.open = { small: { bytes: small.bytes, w6: median(w6.small) }, big: { bytes: big.bytes, fillMs: big.ms, w6: median(w6.big) } };
    }
  } finally {
    await page.close();
  }
  if (TABS > 0) out.writers = await writersBench(browser, origin);
  return out;
}

/*
** TABS tabs of one database writing at once, against one tab: WRITES awaited autocommit
** inserts from one tab, and WRITES / TABS from each of TABS tabs started at the same
** wall-clock time; min(RUNS, 3) rounds, the order of the two turned each round. Returns
** { one, many } with the medians of commits per second (all the commits over the span
** from the first start to the last end).
*/
async function writersBench(browser, origin) {
  const rates = { 1: [], [TABS]: [] };
  for (let round = 0; round < Math.min(RUNS, 3); round++) {
    for (const k of round % 2 ? [TABS, 1] : [1, TABS]) {
      const pages = [];
      try {
        for (let i = 0; i < k; i++) {
          const page = await apiPage(browser, origin, `writer ${i}`);
          pages.push(page);
          await page.evaluate((leader) => window.api.scale.tabOpen('bench-scale-tabs', leader), i === 0);
        }
        const n = Math.round(WRITES / k);
        const at = await pages[0].evaluate(() => performance.timeOrigin + performance.now() + 300);
        const spans = await Promise.all(pages.map((p) => p.evaluate((a, b) => window.api.scale.tabWrite(a, b), n, at)));
        const ms = Math.max(...spans.map((x) => x.end)) - Math.min(...spans.map((x) => x.start));
        for (const p of pages.slice(1)) await p.evaluate(() => window.api.scale.tabClose());
        const count = await pages[0].evaluate(() => window.api.scale.tabClose());
        if (count !== n * k) throw new Error(`${k} tabs wrote ${count} rows, not ${n * k}`);
        rates[k].push(n * k / ms * 1000);
      } finally {
        for (const p of pages) await p.close();
      }
    }
  }
  return { one: median(rates[1]), many: median(rates[TABS]) };
}

/* Prints the scale table (see scaleBench); api: the API table's medians, the references. */
function scaleTable(sc, api) {
  const MiB = 1024 * 1024;
  const mb = (x) => `${(x / MiB).toFixed(1)} MiB`;
  const num = (x) => x.toLocaleString('en-US');
  const rows = [];
  if (sc.rows) {
    rows.push([`W1 ${num(SCALE_ROWS)} inserts, 1 tx (runMany)`, `${f1(sc.rows.w1)} ms`, `${ratio(sc.rows.w1 / SCALE_ROWS, api.w1 / ROWS)} per row`]);
    rows.push([`W5 10,000 point reads at once, ${num(SCALE_ROWS)}-row table`, `${f1(sc.rows.w5)} ms`, ratio(sc.rows.w5, api.w5)]);
    rows.push([`worker memory, W1 of ${num(SCALE_ROWS)} rows: before → after`, `${mb(sc.rows.before)} → ${mb(sc.rows.after)}`, '']);
  }
  const m = sc.memory;
  rows.push(['worker memory, W1 100k rows: before → after', `${mb(m.w1.before)} → ${mb(m.w1.after)}`, '']);
  rows.push(['worker memory, W3 100k rows as objects (a fresh worker)', `${mb(m.w3.before)} → ${mb(m.w3.after)}`, '']);
  rows.push(['worker memory, a 64 MiB blob written and read back (a fresh worker, one transaction)', `${mb(m.blob.before)} → ${mb(m.blob.after)}`, '']);
  rows.push(['  then idle (past 256 MiB the worker recycles itself: a new one\'s memory)', mb(m.blob.idle), '']);
  if (sc.open) {
    const o = sc.open;
    rows.push([`W6 reload → first result, ${mb(o.small.bytes)} database (W1's rows)`, `${f1(o.small.w6)} ms`, '1.00×']);
    rows.push([`W6 reload → first result, ${mb(o.big.bytes)} database (the same + blobs)`, `${f1(o.big.w6)} ms`, ratio(o.big.w6, o.small.w6)]);
    rows.push(['  (the API table\'s W6, its own 100k-row database)', `${f1(api.w6)} ms`, '']);
  }
  if (sc.writers) {
    const w = sc.writers;
    rows.push([`commits/s, 1 tab (${num(WRITES)} awaited autocommit run())`, `${f1(w.one)}/s`, '1.00×']);
    rows.push([`commits/s, ${TABS} tabs at once (${num(Math.round(WRITES / TABS))} each, all of them)`, `${f1(w.many)}/s`, ratio(w.many, w.one)]);
  }
  console.log(`\nScale (${BROWSER_NAME}, the public API from the main thread, OPFS, WAL/FULL; one run unless marked): W1/W5`);
  console.log('on a big table (the last column: per row against the API table\'s W1, and W5 against its W5); the worker\'s');
  console.log('wasm memory, which never shrinks: after an operation is its high-water, kept until close(); W6 on a');
  console.log(`small and a big database, medians of ${RUNS}, in turn (the last column: × the small one); tabs writing`);
  console.log(`at once, all the commits over the span from the first start to the last end, medians of ${Math.min(RUNS, 3)}.\n`);
  table(['what', 'value', 'ratio'], rows);
}

/* Prints a markdown table. */
function table(head, rows) {
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map((h, i) => (i < 2 ? '---' : '---:')).join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

const f1 = (ms) => ms.toFixed(1);
const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(2)}×` : '');

/*
** Prints the public-API table: ours from the main thread, plain SQLite (its API only, the
** same build and pragmas, WAL/FULL, on a POSIX file), our engine native (the same C,
** WAL/FULL, one C call per request), and the peers, each ratio naming its reference, with
** the design's aims.
*/
function apiTable(browser, n, pl) {
  const a = browser.api;
  const p = browser.peers;
  const us = (x) => `${x.toFixed(1)} µs`;
  const peerCells = (key, fmt) => (p ? [fmt(p['sqlite-wasm'][key]), fmt(p['wa-sqlite'][key])] : ['—', '—']);
  const peerRatio = (key, ref) => (p ? [ratio(p['sqlite-wasm'][key], ref), ratio(p['wa-sqlite'][key], ref)] : ['—', '—']);
  const w = (label, key, plainMs, nativeMs, aim) => [label, f1(a[key]), f1(plainMs), ratio(a[key], plainMs),
    f1(nativeMs), ratio(a[key], nativeMs), ...peerCells(key, f1), ...peerRatio(key, plainMs), aim];
  const rows = [
    w('W1 100k inserts, 1 tx (runMany)', 'w1', pl.w1_file_ms, n.w1_pool_ms, '≤ 3× engine native'),
    w('W2 1,000 awaited autocommit run()', 'w2', pl.w2_file_ms, n.w2_pool_ms, '≤ 200 ms'),
    w('W3 SELECT * 100k rows as objects', 'w3', pl.w3_file_ms, n.w3_pool_ms, '≤ 6× engine native'),
    ['W4 SELECT 1 round trip, mean', us(a.w4Mean), '', '', us(n.w4_pool_us), ratio(a.w4Mean, n.w4_pool_us), ...peerCells('w4Mean', us), '', '', '≤ 50 µs'],
    ['W4 floor: bare postMessage echo, mean', us(a.echo), '', '', '', '', '', '', '', '', ''],
    [`W4 p50 / p99 (${TIMER} timer)`, `${us(a.w4P50)} / ${us(a.w4P99)}`, '', '', '', '', ...(p ? [`${us(p['sqlite-wasm'].w4P50)} / ${us(p['sqlite-wasm'].w4P99)}`, `${us(p['wa-sqlite'].w4P50)} / ${us(p['wa-sqlite'].w4P99)}`] : ['—', '—']), '', '', ''],
    w('W5 10,000 point reads at once', 'w5', pl.w5_file_ms, n.w5_pool_ms, '≤ 90 ms'),
    ['W5 in the peers\' worker (loop)', '', '', '', '', '', ...peerCells('w5InWorker', f1), '', '', ''],
    ['W6 reload to first result', f1(a.w6), '', '', '', '', ...peerCells('w6', f1), '', '', '≤ 120 ms'],
  ];
  console.log(`\nThe public API from the main thread (ms unless marked), in the same ${BROWSER_NAME} run as the peers;`);
  console.log(`ours: openDatabase() on OPFS, ${a.journal}/${a.sync === 2 ? 'FULL' : a.sync}; plain SQLite: its API only (bench/bench_plain.c), a`);
  console.log('POSIX file, the same build and pragmas (WAL, exclusive, FULL); our engine native: the same C as the worker,');
  console.log('one call per request, WAL/FULL, on POSIX slot files. Each ratio names its reference; the peers\' is plain SQLite.');
  if (p) {
    console.log(`peers: @sqlite.org/sqlite-wasm ${p['sqlite-wasm'].version} (opfs-sahpool, oo1, SQLite ${p['sqlite-wasm'].sqlite}, ${p['sqlite-wasm'].journal}/${p['sqlite-wasm'].sync}) and `
      + `@journeyapps/wa-sqlite ${p['wa-sqlite'].version} (AccessHandlePoolVFS, sync build, SQLite ${p['wa-sqlite'].sqlite}, ${p['wa-sqlite'].journal}/${p['wa-sqlite'].sync}), each in a worker, as the peers' defaults.`);
  }
  console.log('');
  table(['workload', 'ours', 'plain SQLite', 'ours × plain SQLite', 'our engine native', 'ours × our engine native',
    'sqlite-wasm', 'wa-sqlite', 'sqlite-wasm × plain SQLite', 'wa-sqlite × plain SQLite', 'aim'], rows);
}

/*
** Prints issue 18's bar: each measure beside its reference and aim, and whether this run
** met it. pl: plain SQLite WAL/FULL on a file; loop: the wasm C loop in Node on memdb;
** pd: plain SQLite with the core's defaults (its memdb W1 is loop's reference).
*/
function barTable(browser, pl, loop, pd) {
  const a = browser.api;
  const c = browser['wal/full'];
  const met = (ok) => (ok ? 'met' : 'not met');
  const rows = [];
  const vs = (label, ours, ref, refLabel, aimX) => rows.push([label, f1(ours), `${f1(ref)} (${refLabel})`, ratio(ours, ref), `≤ ${aimX}×`, met(ours <= aimX * ref)]);
  const abs = (label, ours, aimMs) => rows.push([label, f1(ours), '', '', `≤ ${aimMs} ms`, met(ours <= aimMs)]);
  if (c) vs('W1 C loop in the worker (OPFS, WAL/FULL)', c.w1, pl.w1_file_ms, 'plain SQLite, file', 2);
  vs('W1 C loop, wasm in Node, memdb', loop, pd.w1_mem_ms, 'plain SQLite, memdb', 2);
  vs('W1 through the public API', a.w1, pl.w1_file_ms, 'plain SQLite, file', 4);
  vs('W3 through the public API', a.w3, pl.w3_file_ms, 'plain SQLite, file', 3);
  vs('W2 through the public API', a.w2, browser.floor, 'storage floor, OPFS', 1.5);
  abs('W5 through the public API', a.w5, 90);
  abs('W6 reload to first result', a.w6, 100);
  rows.push([`  of which: page load ${f1(a.w6Load)}, openDatabase() ${f1(a.w6Open)} (the worker's start, the wasm, the pool, the open), the read ${f1(a.w6Query)}`, '', '', '', 'open ≤ 25 ms, inside openDatabase()', '']);
  rows.push(['  openDatabase()', f1(a.w6Open), `${f1(a.w6Bare)} (a bare module worker's first answer)`, ratio(a.w6Open, a.w6Bare), '≤ 25 ms', met(a.w6Open <= 25)]);
  abs('failover: leader closed → first answer, median', browser.tabs.failover.median, 40);
  console.log(`\nIssue 18's bar (${BROWSER_NAME}, ms): against plain SQLite with our pragmas (WAL, exclusive, FULL; bench/bench_plain.c)`);
  console.log('in this run, or against the storage floor this run measured on OPFS (1,000 × write one WAL frame + flush).\n');
  table(['measure', 'ours', 'reference', 'ours × reference', 'aim', 'this run'], rows);
}

/*
** Prints the many-tabs table: the leader's numbers (the API table's, one tab) beside a
** follower tab's, and the failover from a closed leader page to the follower.
*/
function tabsTable(browser) {
  const a = browser.api;
  const t = browser.tabs;
  const us = (x) => `${x.toFixed(1)} µs`;
  const f = t.failover;
  const rows = [
    ['W1 100k inserts, 1 tx (runMany)', f1(a.w1), f1(t.w1), ratio(t.w1, a.w1), ''],
    ['W3 SELECT * 100k rows as objects', f1(a.w3), f1(t.w3), ratio(t.w3, a.w3), ''],
    ['W4 SELECT 1 round trip, mean', us(a.w4Mean), us(t.w4Mean), ratio(t.w4Mean, a.w4Mean), ''],
    ['W4 floor: bare echo on the same path, mean', us(a.echo), us(t.echo), ratio(t.echo, a.echo), ''],
    ['  the follower\'s path through its own worker, mean', '', us(t.echoRelay), '', ''],
    [`W4 p50 / p99 (${TIMER} timer)`, `${us(a.w4P50)} / ${us(a.w4P99)}`, `${us(t.w4P50)} / ${us(t.w4P99)}`, ratio(t.w4P50, a.w4P50), 'p50 ≤ 400 µs'],
    ['failover: leader page closed → first answer, median / max', '', `${f1(f.median)} / ${f1(f.max)}`, '', '≤ 100 ms'],
    ['  of which: to the follower\'s leaderchange, median', '', f1(f.leading), '', ''],
  ];
  console.log('\nMany tabs (ms unless marked): page A opens the database first and leads, page B follows and');
  console.log('sends its requests to A over BroadcastChannel; the leader column is the API table\'s (one tab).');
  console.log('W4 floor: a 64-byte echo, leader: page ↔ worker; follower: page ↔ (BroadcastChannel) a worker of A, the path');
  console.log('of its requests (posted by the page itself); below it, page ↔ its worker ↔ (BroadcastChannel) a worker of A.');
  console.log(`Failover, after B's W1–W4 (100k rows): B sends SELECT 1 one after the other while node closes A; from just`);
  console.log(`before the close to B's first answer as leader, over ${RUNS} runs.\n`);
  table(['workload', 'leader tab', 'follower tab', 'follower × leader', 'aim'], rows);
}

/*
** Prints the wasm's cost apart from our engine's, on memdb (no storage): plain SQLite's C
** loop natively (pd, bench-plain) and in wasm (the same loop, build/wasm/bench-plain.wasm),
** and our engine's run_many loop in wasm, in Node (nl) and in the browser's worker (bl, or
** none), each { engine, plain }.
*/
function loopsTable(pd, nl, bl) {
  const rows = [];
  const add = (where, l) => {
    rows.push(['W1', where, f1(l.plain.w1), ratio(l.plain.w1, pd.w1_mem_ms), f1(l.engine), ratio(l.engine, l.plain.w1), ratio(l.engine, pd.w1_mem_ms)]);
    rows.push(['W3', where, f1(l.plain.w3), ratio(l.plain.w3, pd.w3_mem_ms), '', '', '']);
    rows.push(['W5', where, f1(l.plain.w5), ratio(l.plain.w5, pd.w5_mem_ms), '', '', '']);
  };
  add('Node', nl);
  if (bl) add(`${BROWSER_NAME}, dedicated worker`, bl);
  console.log('\nThe wasm\'s cost apart from our engine\'s, memdb (no storage), ms: plain SQLite\'s C loop (bench/bench_plain.c)');
  console.log('compiled to wasm with the shipped module\'s SQLite objects and flags, against the same loop natively');
  console.log(`(W1 ${f1(pd.w1_mem_ms)}, W3 ${f1(pd.w3_mem_ms)}, W5 ${f1(pd.w5_mem_ms)}); our engine's C loop: one run_many call in the shipped module.\n`);
  table(['workload', 'where', 'plain SQLite in wasm', '× plain SQLite native', 'our engine\'s loop in wasm', '× plain SQLite in wasm', '× plain SQLite native'], rows);
}

// What make bench builds besides dist/: say so rather than fail halfway through the run.
const BUILT = ['build/native/bench-native', 'build/native/bench-plain', 'build/wasm/bench-plain.wasm'];
const missing = BUILT.filter((f) => !fs.existsSync(path.join(root, f)));
if (missing.length > 0) throw new Error(`${missing.join(', ')} missing: run make ${missing.join(' ')} (make bench builds them)`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlw-bench-'));
try {
  const native = nativeBench(dir);
  // The Node file rows open with the core's defaults (no durability set: SQLite's DELETE
  // journal, synchronous=FULL), so their plain reference runs in that mode too.
  const plainDelete = plainBench(dir, 'delete', 'full');
  const core = await loadCore({
    wasm: fs.readFileSync(path.join(root, 'dist/sqlite-worker.wasm')),
    host: createNodeHost({ root: dir }),
  });
  const file = await wasmW1(core, dir, 'host');
  const mem = await wasmW1(core, dir, 'memdb');
  const loop = engineLoopW1(core, encodeParamSets, RUNS);
  const plainLoop = await plainWasm(fs.readFileSync(path.join(root, 'build/wasm/bench-plain.wasm')), RUNS);
  console.log(`SQLite Worker benchmark: medians of ${RUNS} runs; ${os.cpus().length} cores; Node ${process.version}`);
  console.log('\nW1 = 100,000 inserts in one transaction. Plain SQLite: a C loop over SQLite\'s API only (bench/bench_plain.c:');
  console.log('prepare once, bind/step/reset per row), the same SQLite build; our engine native: the engine\'s C (one');
  console.log('run-many call over encoded rows), gcc -O2; both over POSIX files with a real fdatasync. Files: SQLite\'s');
  console.log('default DELETE journal, synchronous=FULL (what the core opens with in Node).\n');
  const pd = plainDelete;
  table(['workload', 'where', 'ms', '× plain SQLite', '× our engine native'], [
    ['W1, file', 'plain SQLite: C loop over its API, gcc -O2', f1(pd.w1_file_ms), '1.00×', ratio(pd.w1_file_ms, native.w1_file_ms)],
    ['W1, file', 'our engine native: C loop, gcc -O2, POSIX fsync', f1(native.w1_file_ms), ratio(native.w1_file_ms, pd.w1_file_ms), '1.00×'],
    ['W1, file', 'wasm in Node: runMany, node:fs', f1(file.total), ratio(file.total, pd.w1_file_ms), ratio(file.total, native.w1_file_ms)],
    ['W1, memdb', 'plain SQLite: C loop over its API, gcc -O2', f1(pd.w1_mem_ms), '1.00×', ratio(pd.w1_mem_ms, native.w1_mem_ms)],
    ['W1, memdb', 'our engine native: C loop, gcc -O2', f1(native.w1_mem_ms), ratio(native.w1_mem_ms, pd.w1_mem_ms), '1.00×'],
    ['W1, memdb', 'wasm in Node: C loop (one run_many call)', f1(loop), ratio(loop, pd.w1_mem_ms), ratio(loop, native.w1_mem_ms)],
    ['W1, memdb', 'wasm in Node: runMany (encode + call)', f1(mem.total), ratio(mem.total, pd.w1_mem_ms), ratio(mem.total, native.w1_mem_ms)],
    ['  JS encoding of the rows', 'wasm in Node', f1(mem.encode), '', ''],
  ]);
  const nodeLoops = { engine: loop, plain: plainLoop };
  if (BROWSER === '0') loopsTable(pd, nodeLoops, null);
  if (BROWSER !== '0') {
    const profile = path.join(dir, 'profile');
    const browser = await browserBench(profile);
    const rows = [];
    let floorNative = null;
    const plains = {};
    for (const [journal, sync] of MODES) {
      const n = nativeBench(dir, journal, sync);
      const pl = plains[`${journal}/${sync}`] = plainBench(dir, journal, sync);
      floorNative ??= n.floor_ms;
      const b = browser[`${journal}/${sync}`];
      const mode = `${journal.toUpperCase()}${journal === 'wal' ? ' (exclusive)' : ''} / ${sync.toUpperCase()}`;
      rows.push([mode, 'W1', f1(b.w1), f1(pl.w1_file_ms), ratio(b.w1, pl.w1_file_ms), f1(n.w1_pool_ms), ratio(b.w1, n.w1_pool_ms)]);
      rows.push([mode, 'W2', f1(b.w2), f1(pl.w2_file_ms), ratio(b.w2, pl.w2_file_ms), f1(n.w2_pool_ms), ratio(b.w2, n.w2_pool_ms)]);
      rows.push([mode, 'W5', f1(b.w5), f1(pl.w5_file_ms), ratio(b.w5, pl.w5_file_ms), f1(n.w5_pool_ms), ratio(b.w5, n.w5_pool_ms)]);
    }
    console.log(`\n${BROWSER_NAME}, dedicated worker, OPFS pool VFS; plain SQLite: SQLite's API only on a POSIX file, the`);
    console.log('same pragmas; our engine native: the same C as the worker on POSIX slot files (gcc -O2, fsync).');
    console.log('W1 as one run_many call; W2 = 1,000 autocommit inserts and W5 = 10,000 reads by random id, one request each\n');
    rows.push(['no SQLite: 1,000 × (write 4,120 B + flush), the floor of W2', 'floor', f1(browser.floor), '', '', f1(floorNative), ratio(browser.floor, floorNative)]);
    table(['journal / synchronous', 'workload', `${BROWSER_NAME} ms`, 'plain SQLite ms', '× plain SQLite', 'our engine native ms', '× our engine native'], rows);
    if (browser.pages) pagesTable(browser.pages);
    loopsTable(pd, nodeLoops, browser.loops);
    const plainWal = plains['wal/full'] ?? plainBench(dir, 'wal', 'full');
    apiTable(browser, nativeBench(dir, 'wal', 'full'), plainWal);
    barTable(browser, plainWal, loop, pd);
    tabsTable(browser);
    liveTable(browser.live);
    limitsTable(browser.limits);
    if (browser.scale) scaleTable(browser.scale, browser.api);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
