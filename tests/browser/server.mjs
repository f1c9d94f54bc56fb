// server.mjs — a tiny read-only static server for the browser tests: the repository
// root over http://127.0.0.1:<port>, with the MIME types browsers insist on
// (application/wasm for streaming compilation, text/javascript for module workers).
// No COOP/COEP headers: the library must work without cross-origin isolation.
//
// The port is fixed by each test file: OPFS belongs to an origin, and the port is part
// of the origin, so a test that relaunches the browser must come back on the same one.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, which the server serves. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const MIME = {
  '.wasm': 'application/wasm',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/*
** Maps a request path to a file under root. Returns the absolute path, or null when the
** path is malformed or would leave the root.
*/
function resolve(root, urlPath) {
  let rel;
  try {
    rel = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return null; // a malformed %-escape
  }
  if (rel.includes('\0')) return null;
  const abs = path.resolve(root, '.' + path.sep + rel.replace(/^\/+/, ''));
  const inside = path.relative(root, abs);
  if (inside.startsWith('..') || path.isAbsolute(inside)) return null;
  return abs;
}

/**
 * Starts the server on 127.0.0.1:port serving `root` (default: the repository root).
 * With `cache`, files are served as a deployed site serves them: `Cache-Control:
 * no-cache` with an ETag, a matching If-None-Match answered 304 (the browser revalidates
 * and reuses its copy, and with it the wasm it compiled); otherwise `no-store`.
 * `onRequest(path)`, if given, hears the path of every request. Returns { origin: 'http://127.0.0.1:<port>', close() → Promise }. Rejects when the
 * port is taken (EADDRINUSE): tests choose distinct ports.
 */
export async function startServer({ port, root = ROOT, cache = false, onRequest = null }) {
  const server = http.createServer((req, res) => {
    onRequest?.(req.url.split('?')[0]);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const file = resolve(root, req.url);
    let stat = null;
    try {
      stat = file && fs.statSync(file);
    } catch {
      // Missing file: answered with 404 below.
    }
    if (!stat || !stat.isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const type = MIME[path.extname(file)] ?? 'application/octet-stream';
    if (cache) {
      const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { ETag: etag, 'Cache-Control': 'no-cache' }).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': stat.size, 'Cache-Control': 'no-cache', ETag: etag });
    } else {
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': stat.size, 'Cache-Control': 'no-store' });
    }
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  });
  // Keep-alive sockets would hold close() open until they time out.
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}
