// serve.mjs — the demo's development server (make demo): demo/ at / and the
// repository's dist/ at /dist/, over http://localhost:<PORT>/ (PORT, default 3000).
//
// It serves files and nothing else: GET and HEAD only, no directory listings, no path
// outside those two folders. It sends the MIME types the library needs
// (application/wasm for streaming compilation, text/javascript for module workers),
// `Cache-Control: no-store` so a rebuilt dist/ is picked up on reload, and
// `Access-Control-Allow-Origin: *`. There are no COOP/COEP headers: the library needs
// no cross-origin isolation, and the demo shows it working without.
//
// Run directly, it listens until Ctrl+C (SIGINT) or SIGTERM and then exits 0; a port
// already in use is a message and exit status 1. Tests import startDemoServer instead.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../', import.meta.url));

/** The folders served: URL prefix → directory. The first prefix that matches wins. */
const MOUNTS = [
  { prefix: '/dist/', dir: path.join(REPO, 'dist') },
  { prefix: '/', dir: path.join(REPO, 'demo') },
];

const MIME = {
  '.wasm': 'application/wasm',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const DEFAULT_PORT = 3000;
const DEFAULT_HOST = 'localhost';

/*
** Maps a request target to a file path. Returns { file } (an absolute path inside one
** of MOUNTS; a path ending in '/' means its index.html), or { status } — 400 for a
** malformed target (not starting with '/', a bad %-escape, U+0000, a backslash, a '..'
** segment), 404 should the path still resolve outside its mount. Never throws.
*/
function resolveTarget(target) {
  const raw = target.split(/[?#]/, 1)[0];
  if (!raw.startsWith('/')) return { status: 400 };
  let decoded;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return { status: 400 }; // a malformed %-escape
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { status: 400 };
  if (decoded.split('/').some((seg) => seg === '..')) return { status: 400 };
  const mount = MOUNTS.find((m) => decoded.startsWith(m.prefix));   // '/' matches every path
  let rel = decoded.slice(mount.prefix.length);
  if (rel === '' || rel.endsWith('/')) rel += 'index.html';
  const file = path.resolve(mount.dir, rel);
  const inside = path.relative(mount.dir, file);
  if (inside.startsWith('..') || path.isAbsolute(inside)) return { status: 404 };
  return { file };
}

/* Ends res with a short plain-text answer of `status`. */
function answer(res, status, text, headers = {}) {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    'Access-Control-Allow-Origin': '*',
    ...headers,
  });
  res.end(text + '\n');
}

/* Answers one request: the file it names, or 400/404/405. Never throws. */
function handle(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    answer(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
    return;
  }
  const { file, status } = resolveTarget(req.url ?? '');
  if (!file) {
    answer(res, status, status === 400 ? 'bad request' : 'not found');
    return;
  }
  fs.stat(file, (statError, stat) => {
    if (statError || !stat.isFile()) {
      answer(res, 404, 'not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': stat.size,
      'Cache-Control': 'no-store',
      'Access-Control-Allow-Origin': '*',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = fs.createReadStream(file);
    // The headers are gone already: a read error can only cut the answer short.
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  });
}

/**
 * Starts the demo server on host:port (defaults: localhost, 3000; port 0 picks a free
 * one). Resolves with { url: 'http://<host>:<port>/', port, close() → Promise } once it
 * listens; close() ends open connections too. Rejects with the listen error (code
 * EADDRINUSE when the port is taken).
 */
export async function startDemoServer({ port = DEFAULT_PORT, host = DEFAULT_HOST } = {}) {
  const server = http.createServer(handle);
  // Keep-alive connections would hold close() open until they time out.
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address().port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closing = null;
  return {
    url: `http://${shownHost}:${bound}/`,
    port: bound,
    close() {
      closing ??= new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}

/*
** Runs the server from the command line: PORT from the environment, a message when
** ready, exit 1 with a message when it cannot listen, exit 0 after SIGINT or SIGTERM.
*/
async function main() {
  const text = process.env.PORT ?? String(DEFAULT_PORT);
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    console.error(`PORT must be a port number (0–65535), not ${JSON.stringify(text)}`);
    process.exit(1);
  }
  let server;
  try {
    server = await startDemoServer({ port });
  } catch (e) {
    if (e.code === 'EADDRINUSE') {
      console.error(`Port ${port} is already in use. Stop whatever uses it, or pick another: PORT=3001 make demo`);
    } else {
      console.error(`Cannot start the demo server on ${DEFAULT_HOST}:${port}: ${e.message}`);
    }
    process.exit(1);
  }
  console.log(`SQLite Worker demo: ${server.url}`);
  console.log('Press Ctrl+C to stop.');
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
