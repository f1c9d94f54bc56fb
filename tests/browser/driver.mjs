// driver.mjs — the browser tests' driver: a browser chosen by SQLW_BROWSER (chromium,
// the default, over CDP; firefox over WebDriver BiDi) launched through puppeteer-core
// with a profile directory the test owns, the fixture page served by server.mjs, and
// calls into the fixture's workers. The browsers are Debian's packages; SQLW_BROWSER_PATH
// names another executable.
//
// Every launch and every call is bounded in time, and Session#close always ends the
// browser and the server, so a failing test cannot leave a browser running.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { startServer } from './server.mjs';

/** The browser under test: 'chromium' or 'firefox'. */
export const BROWSER = process.env.SQLW_BROWSER ?? 'chromium';

const BROWSERS = {
  chromium: {
    browser: 'chrome',
    executablePath: '/usr/bin/chromium',
    protocol: 'cdp',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  },
  firefox: {
    browser: 'firefox',
    executablePath: '/usr/lib/firefox-esr/firefox-esr',
    protocol: 'webDriverBiDi',
    args: [],
  },
};

// Bounds: a launch, one call into the page, and the fixture page's load.
const LAUNCH_TIMEOUT_MS = 30_000;
const CALL_TIMEOUT_MS = 60_000;
// The fixture pages: 'storage' drives the core and host directly (fixtures/index.html),
// 'api' loads the public API as an app does (fixtures/api.html, window.api).
const FIXTURES = {
  storage: { path: '/tests/browser/fixtures/index.html', ready: () => window.fixture !== undefined },
  api: { path: '/tests/browser/fixtures/api.html', ready: () => window.apiReady === true },
};

if (!BROWSERS[BROWSER]) throw new Error(`SQLW_BROWSER must be chromium or firefox, not ${JSON.stringify(BROWSER)}`);

/**
 * The port a test file serves on: its own base (8711–8799) in Chromium, 100 above in
 * Firefox, so both browsers' suites can run at once (make test runs them side by side);
 * SQLW_PORT_OFFSET moves them all, for a second checkout's suites on the same machine.
 */
const PORT_OFFSET = Number(process.env.SQLW_PORT_OFFSET || 0);
export function port(base) {
  return base + (BROWSER === 'firefox' ? 100 : 0) + PORT_OFFSET;
}

/** True when the browser speaks the Chrome DevTools Protocol (quota overrides need it). */
export const HAS_CDP = BROWSERS[BROWSER].protocol === 'cdp';

/* Decodes { $bytes } and { $bigint } values of the fixture page into Buffer and BigInt. */
function fromWire(v) {
  if (Array.isArray(v)) return v.map(fromWire);
  if (v && typeof v === 'object') {
    if (typeof v.$bytes === 'string') return Buffer.from(v.$bytes, 'base64');
    if (typeof v.$bigint === 'string') return BigInt(v.$bigint);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromWire(x)]));
  }
  return v;
}

/* Encodes bytes for the fixture page as { $bytes: base64 }. */
function toWire(v) {
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (Array.isArray(v)) return v.map(toWire);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toWire(x)]));
  return v;
}

/** Rejects after ms with an Error naming what timed out; resolves like promise otherwise. */
export function bounded(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The Error of a failed worker request: message, name, code and errno of the worker's. */
export class WorkerError extends Error {
  constructor({ name, message, code, errno }) {
    super(message);
    this.name = name;
    this.code = code;
    this.errno = errno;
  }
}

/**
 * A browser with the fixture page open, its server, and its profile directory.
 * Created by openSession; always end it with close().
 */
export class Session {
  constructor({ port, profile, server, browser, page, fixture, origin }) {
    this.port = port;
    this.fixture = fixture;
    this.pageOrigin = origin;
    this.insecureHost = origin && !origin.startsWith('http://127.0.0.1') ? new URL(origin).hostname : undefined;
    this.profile = profile;
    this.server = server;
    this.browser = browser;
    this.page = page;
  }

  /** The page's origin: http://127.0.0.1:<port> (or the insecure host's). */
  get origin() {
    return this.pageOrigin ?? this.server.origin;
  }

  /** Starts fixture worker `key` (default 'a'), replacing one of that key. */
  async start(key = 'a') {
    const r = await this.#evaluate((k) => window.fixture.start(k), key);
    if (!r.ok) throw new WorkerError(r.error);
  }

  /** Terminates fixture worker `key` at once. */
  async terminate(key = 'a') {
    await this.#evaluate((k) => window.fixture.terminate(k), key);
  }

  /**
   * Sends request `op` with `args` to worker `key`. Returns its result (bytes as
   * Buffer). Throws WorkerError with the worker's code and errno when it failed.
   */
  async call(op, args = {}, key = 'a') {
    const r = fromWire(await this.#evaluate((k, o, a) => window.fixture.call(k, o, a), key, op, toWire(args)));
    if (!r.ok) throw new WorkerError(r.error);
    return r.result;
  }

  /** The rows of the first result set of `sql` on worker `key`. */
  async rows(sql, params, key = 'a') {
    const r = await this.call('exec', { sql, params }, key);
    return r.resultSets[0]?.rows ?? [];
  }

  /** Runs the transaction made of the requests `steps` (SQL texts) on worker `key`
   *  in a loop until killLoop (see page.js). */
  async startLoop(steps, key = 'a') {
    await this.#evaluate((k, s) => window.fixture.startLoop(k, s), key, steps);
  }

  /** Stops the loop and terminates the worker in one task. Returns { acked, failure }. */
  async killLoop(key = 'a') {
    return this.#evaluate((k) => window.fixture.killLoop(k), key);
  }

  /** Reloads the page (its workers die with it) and waits for the fixture. */
  async reload() {
    await bounded(this.page.reload({ waitUntil: 'load' }), CALL_TIMEOUT_MS, 'reload');
    await this.#ready();
  }

  /** Closes the browser (the profile stays) and launches it again on the same profile. */
  async relaunch() {
    await closeBrowser(this.browser);
    this.browser = null;
    this.browser = await launchBrowser(this.profile, { insecureHost: this.insecureHost });
    this.page = await openFixture(this.browser, this.origin, this.fixture);
  }

  /** A CDP session of the page (Chromium only). */
  async cdp() {
    if (!HAS_CDP) throw new Error(`${BROWSER} has no DevTools protocol`);
    return this.page.createCDPSession();
  }

  /**
   * Ends everything: the browser, the server and (unless keepProfile) the profile
   * directory. Never throws; safe to call twice.
   */
  async close({ keepProfile = false } = {}) {
    const browser = this.browser;
    this.browser = null;
    if (browser) await closeBrowser(browser);
    if (this.server) await this.server.close();
    this.server = null;
    if (!keepProfile && this.profile) fs.rmSync(this.profile, { recursive: true, force: true });
  }

  /* page.evaluate, bounded in time. */
  #evaluate(fn, ...args) {
    return bounded(this.page.evaluate(fn, ...args), CALL_TIMEOUT_MS, 'a call into the page');
  }

  /** Runs fn(...args) in the page (page.evaluate), bounded in time. Returns its value. */
  evaluate(fn, ...args) {
    return this.#evaluate(fn, ...args);
  }

  /** Opens another page (tab) of the same browser on the fixture. Returns the Page. */
  async newPage() {
    const page = await this.browser.newPage();
    await loadFixture(page, this.origin, this.fixture);
    return page;
  }

  /* Waits until the fixture page's script has run. */
  async #ready() {
    await bounded(this.page.waitForFunction(FIXTURES[this.fixture].ready), CALL_TIMEOUT_MS, 'the fixture page');
  }
}

/**
 * Launches the browser under test on profile directory `profile`. Every browser test
 * launches through here, so SQLW_BROWSER picks the browser for all of them.
 * options: { insecureHost: a host name the browser resolves to the loopback address, so
 *   pages can be loaded from an origin that is not a secure context;
 *   privateBrowsing: Firefox's private browsing (every window private);
 *   downloads: a directory where downloads are saved without asking;
 *   protocolTimeout: ms one protocol call may take }.
 * Returns a Browser.
 */
export async function launchBrowser(profile, { insecureHost, privateBrowsing, downloads, protocolTimeout } = {}) {
  const b = BROWSERS[BROWSER];
  const args = [...b.args];
  // persist() asks the user in Firefox; a headless browser has nobody to answer.
  const prefs = BROWSER === 'firefox'
    ? { 'dom.storageManager.prompt.testing': true, 'dom.storageManager.prompt.testing.allow': true } : {};
  if (insecureHost) {
    if (BROWSER === 'chromium') args.push(`--host-resolver-rules=MAP ${insecureHost} 127.0.0.1`);
    else prefs['network.dns.localDomains'] = insecureHost;
  }
  if (privateBrowsing) {
    if (BROWSER !== 'firefox') throw new Error('privateBrowsing is a Firefox launch option here');
    prefs['browser.privatebrowsing.autostart'] = true;
  }
  if (downloads && BROWSER === 'firefox') {
    Object.assign(prefs, {
      'browser.download.folderList': 2,
      'browser.download.dir': downloads,
      'browser.download.useDownloadDir': true,
      'browser.download.always_ask_before_handling_new_types': false,
    });
  }
  const browser = await bounded(puppeteer.launch({
    browser: b.browser,
    executablePath: process.env.SQLW_BROWSER_PATH || b.executablePath,
    protocol: b.protocol,
    headless: true,
    userDataDir: profile,
    args,
    extraPrefsFirefox: prefs,
    timeout: LAUNCH_TIMEOUT_MS,
    protocolTimeout: protocolTimeout ?? CALL_TIMEOUT_MS,
  }), LAUNCH_TIMEOUT_MS + 5_000, `launching ${BROWSER}`);
  if (downloads && BROWSER === 'chromium') {
    const cdp = await browser.target().createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
  }
  return browser;
}

/** Closes a browser; kills its process when a polite close does not end it. Never throws. */
export async function closeBrowser(browser) {
  try {
    await bounded(browser.close(), 10_000, 'closing the browser');
  } catch {
    // A browser that will not close politely is killed below; nothing else can be done.
    try {
      browser.process()?.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/* Loads fixture page `fixture` in page and waits for its script. */
async function loadFixture(page, origin, fixture) {
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  if (process.env.SQLW_BROWSER_CONSOLE) page.on('console', (m) => console.error(`[console] ${m.text()}`));
  await bounded(page.goto(origin + FIXTURES[fixture].path, { waitUntil: 'load' }), CALL_TIMEOUT_MS, 'opening the fixture page');
  await bounded(page.waitForFunction(FIXTURES[fixture].ready), CALL_TIMEOUT_MS, 'the fixture page');
}

/* Opens fixture page `fixture` in browser's first tab. Returns the Page. */
async function openFixture(browser, origin, fixture) {
  const pages = await browser.pages();
  const page = pages[0] ?? await browser.newPage();
  await loadFixture(page, origin, fixture);
  return page;
}

/**
 * Starts a server on 127.0.0.1:port and a browser on a new profile directory (or on
 * `profile` when given), with fixture page `fixture` ('storage' or 'api') open.
 * Returns a Session. Cleans up whatever it started when a step fails.
 */
export async function openSession({ port, profile, fixture = 'storage', insecureHost } = {}) {
  if (!FIXTURES[fixture]) throw new Error(`unknown fixture ${fixture}`);
  const dir = profile ?? fs.mkdtempSync(path.join(os.tmpdir(), `sqlw-${BROWSER}-`));
  let server = null;
  let browser = null;
  try {
    server = await startServer({ port });
    browser = await launchBrowser(dir, { insecureHost });
    const origin = insecureHost ? `http://${insecureHost}:${port}` : server.origin;
    const page = await openFixture(browser, origin, fixture);
    return new Session({ port, profile: dir, server, browser, page, fixture, origin });
  } catch (e) {
    if (browser) await closeBrowser(browser);
    if (server) await server.close();
    if (!profile) fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
