// browser-executor.mjs — the sqllogictest executor in a headless browser: the public API
// on OPFS, through the fixture page tests/slt/page.html served by tests/browser/server.mjs.
// A script's steps go to the page in chunks, one page.evaluate per chunk, where they are
// all requested at once; a round trip per record would cost more than the records.
//
// The browser is the one SQLW_BROWSER names (chromium or firefox, Debian's), launched by
// tests/browser/driver.mjs on a profile directory of our own, removed by dispose().

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../browser/server.mjs';
import { BROWSER, bounded, closeBrowser, launchBrowser, port as portFor } from '../browser/driver.mjs';

const LAUNCH_TIMEOUT_MS = 30_000;
// One chunk of steps, or an open/close, in the page; a bound, not an expectation.
const CALL_TIMEOUT_MS = 600_000;
const FIXTURE = '/tests/slt/page.html';

/*
** A value from the page back to its JS type, by its type letter (see encodeSet in
** page.html): 'i'/'I' → BigInt, 'r' → number, 'R' → −0, NaN or ±Infinity, 'b' → bytes.
*/
function decodeValue(type, v) {
  switch (type) {
    case 'n': return null;
    case 'i': case 'I': return BigInt(v);
    case 'r': case 's': return v;
    case 'R': return v === '-0' ? -0 : Number(v);
    case 'b': return Uint8Array.from(Buffer.from(v, 'hex'));
    default: throw new Error(`unexpected value type from the page: ${JSON.stringify(type)}`);
  }
}

/* An encoded result set ({ columns, types, values }) as { columns, rows }. */
function decodeSet({ columns, types, values }) {
  const rows = [];
  for (let k = 0; columns.length && k < values.length; k += columns.length) {
    const row = new Array(columns.length);
    for (let c = 0; c < columns.length; c++) row[c] = decodeValue(types[k + c], values[k + c]);
    rows.push(row);
  }
  return { columns, rows };
}

/**
 * Starts the server on 127.0.0.1:port and the browser with the fixture page open. Returns
 * an executor (see slt.mjs): { name: the browser, open(name), runAll(steps), close(),
 * dispose() }; each script's database is 'slt-<name>' in OPFS, deleted before and after.
 * chunk: steps per page.evaluate. Throws (having cleaned up) when a step of the start
 * fails; runAll throws when the page does (a broken harness, not a failed record).
 */
export async function createBrowserExecutor({ port = portFor(8722), chunk = 2000 } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlw-slt-'));
  let server = null;
  let browser = null;
  const dispose = async () => {
    if (browser) await closeBrowser(browser);
    browser = null;
    if (server) await server.close();
    server = null;
    fs.rmSync(profile, { recursive: true, force: true });
  };
  let page;
  try {
    server = await startServer({ port });
    browser = await launchBrowser(profile, { protocolTimeout: CALL_TIMEOUT_MS });
    page = (await browser.pages())[0] ?? await browser.newPage();
    page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
    await bounded(page.goto(server.origin + FIXTURE, { waitUntil: 'load' }), LAUNCH_TIMEOUT_MS, 'opening the fixture page');
    await bounded(page.waitForFunction(() => window.sltReady === true), LAUNCH_TIMEOUT_MS, 'the fixture page');
  } catch (e) {
    await dispose();
    throw e;
  }
  const call = (what, fn, ...args) => bounded(page.evaluate(fn, ...args), CALL_TIMEOUT_MS, what);
  return {
    name: BROWSER,
    async open(name) {
      await call('opening a database', (n) => window.slt.open(n), `slt-${name}`);
    },
    async runAll(steps) {
      const outcomes = [];
      for (let i = 0; i < steps.length; i += chunk) {
        const part = JSON.parse(await call('running a chunk of steps', (s) => window.slt.run(s), steps.slice(i, i + chunk)));
        for (const { set, ...out } of part) outcomes.push(set ? { ...out, ...decodeSet(set) } : out);
      }
      return outcomes;
    },
    async close() {
      await call('closing a database', () => window.slt.close());
    },
    dispose,
  };
}
