// driver.mjs — the peers' half of the browser benchmark: @sqlite.org/sqlite-wasm
// (opfs-sahpool, oo1) and @journeyapps/wa-sqlite (synchronous build, AccessHandlePoolVFS),
// each in a dedicated worker of bench/peers/index.html in headless Chromium, through the
// workloads W1–W6 of bench/workload.js. benchPeers() runs on a browser the caller
// launched; run directly (`node bench/peers/driver.mjs [runs]`) it starts the static
// server and Chromium itself and prints the result as JSON.
//
// Each round gives each peer a fresh page and a fresh database; the peers alternate
// within a round so that drift in the machine's speed reaches both alike. Every number
// comes from a round whose results the page checked (row counts, keys, ids); a failed
// check throws and no number is reported.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startServer } from '../../tests/browser/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

/* The peers: result key → npm package. */
const PEERS = {
  'sqlite-wasm': '@sqlite.org/sqlite-wasm',
  'wa-sqlite': '@journeyapps/wa-sqlite',
};

// Bounds on each wait, in ms: a round does 100k inserts, 1k flushed commits and 14k
// round trips (seconds); W6 is one page load; these are an order of magnitude above.
const NAV_TIMEOUT = 30000;
const ROUND_TIMEOUT = 180000;
const W6_TIMEOUT = 60000;

/*
** Returns the median of xs (the upper one for an even count), rounded to 0.1: the
** timers of a page without cross-origin isolation tick in about 100 µs, so no digit
** below that carries information in ms, nor below 0.1 µs in a mean over 2,000 trips.
*/
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[s.length >> 1] * 10) / 10;
}

/*
** Resolves as `promise` does, or rejects with an Error naming `what` after `ms`
** milliseconds. The timer never outlives the race.
*/
async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/* Returns the installed version of npm package `name` (from its package.json). */
function packageVersion(name) {
  const file = path.join(root, 'node_modules', name, 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

/**
 * Runs `runs` rounds of W1–W6 for both peers in `browser` (a launched puppeteer-core
 * Browser) against the static server at `origin`. Returns { 'sqlite-wasm': r,
 * 'wa-sqlite': r } with r = { version (npm package), sqlite (library), journal, sync,
 * w1, w2, w3, w5, w5InWorker, w6 (medians in ms), w4Mean, w4P50, w4P99 (medians in µs) }.
 * Throws on any failed check, page error or timeout; the page it opened is closed either
 * way. OPFS data of the peers (about 5 MB each) stays in the browser's profile.
 */
export async function benchPeers({ browser, origin, runs }) {
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`benchPeers: runs must be a positive integer, not ${runs}`);
  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`[peers page] ${m.text()}`);
  });
  page.setDefaultTimeout(NAV_TIMEOUT);
  page.setDefaultNavigationTimeout(NAV_TIMEOUT);
  const base = `${origin}/bench/peers/index.html`;
  const rounds = Object.fromEntries(Object.keys(PEERS).map((peer) => [peer, []]));
  try {
    for (let r = 0; r < runs; r++) {
      for (const peer of Object.keys(PEERS)) {
        await page.goto(base, { waitUntil: 'load' });
        const result = await withTimeout(
          page.evaluate((p) => window.peers.round(p), peer), ROUND_TIMEOUT, `${peer} round ${r}`);
        await page.goto(`${base}?w6=${peer}`, { waitUntil: 'load' });
        const { ms } = await withTimeout(page.evaluate(() => window.w6), W6_TIMEOUT, `${peer} W6 round ${r}`);
        rounds[peer].push({ ...result, w6: ms });
        if (pageErrors.length) throw new Error(`page errors: ${pageErrors.join('; ')}`);
      }
    }
  } finally {
    await withTimeout(page.close(), NAV_TIMEOUT, 'closing the page');
  }
  const out = {};
  for (const [peer, pkg] of Object.entries(PEERS)) {
    const rs = rounds[peer];
    for (const key of ['sqlite', 'journal', 'sync']) {
      const seen = new Set(rs.map((x) => x[key]));
      if (seen.size !== 1) throw new Error(`${peer}: ${key} changed between rounds: ${[...seen]}`);
    }
    const pick = (key) => median(rs.map((x) => x[key]));
    out[peer] = {
      version: packageVersion(pkg), sqlite: rs[0].sqlite, journal: rs[0].journal, sync: rs[0].sync,
      w1: pick('w1'), w2: pick('w2'), w3: pick('w3'),
      w4Mean: pick('w4Mean'), w4P50: pick('w4P50'), w4P99: pick('w4P99'),
      w5: pick('w5'), w5InWorker: pick('w5InWorker'), w6: pick('w6'),
    };
  }
  return out;
}

/*
** `node bench/peers/driver.mjs [runs]`: starts the server on port 8791 and headless
** Debian Chromium on a temporary profile, prints benchPeers()'s result as JSON, and
** removes the browser, the server and the profile whether or not the run succeeded.
** Sets a non-zero exit code on failure.
*/
async function main() {
  const runs = Number(process.argv[2] ?? 1);
  const { default: puppeteer } = await import('puppeteer-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlw-peers-'));
  let server = null;
  let browser = null;
  try {
    server = await startServer({ port: 8791 + Number(process.env.SQLW_PORT_OFFSET || 0), cache: true });
    browser = await puppeteer.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      userDataDir: profile,
      timeout: NAV_TIMEOUT,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const result = await benchPeers({ browser, origin: server.origin, runs });
    console.log(JSON.stringify(result, null, 2));
  } finally {
    if (browser) await withTimeout(browser.close(), NAV_TIMEOUT, 'closing the browser');
    if (server) await server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
