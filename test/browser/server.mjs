// Static file server for the browser suite: the repo root over HTTP on 127.0.0.1, with or without cross-origin isolation.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const contentTypes = {
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.params': 'application/octet-stream',
};

// COOP + COEP make the page (and its workers) crossOriginIsolated, which is what unlocks SharedArrayBuffer
// and so the threads flavour; CORP lets those same-origin files load under require-corp.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Starts one server for `root` (default: the repository). `isolated` adds the COOP/COEP/CORP headers to every
 * response. Resolves to { origin, close() }; the port is ephemeral.
 */
export async function startServer({ isolated, root = repoRoot } = {}) {
  const rootDir = resolve(root);
  const server = createServer(async (req, res) => {
    const headers = { 'Cache-Control': 'no-store', ...(isolated ? isolationHeaders : {}) };
    try {
      const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      const file = resolve(rootDir, '.' + pathname);
      if (file !== rootDir && !file.startsWith(rootDir + sep)) throw Object.assign(new Error('outside root'), { status: 403 });
      const info = await stat(file);
      if (!info.isFile()) throw Object.assign(new Error('not a file'), { status: 404 });
      res.writeHead(200, {
        ...headers,
        'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream',
        'Content-Length': info.size,
      });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file).on('error', () => res.destroy()).pipe(res);
    } catch (e) {
      const status = e.status ?? (e.code === 'ENOENT' || e.code === 'ENOTDIR' ? 404 : 500);
      res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`${status} ${req.url}\n`);
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    isolated: Boolean(isolated),
    close: () => new Promise((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

/** Both servers the suite needs: `isolated` (COOP/COEP) and `plain` (no isolation headers). */
export async function startServers(root) {
  const isolated = await startServer({ isolated: true, root });
  try {
    const plain = await startServer({ isolated: false, root });
    return { isolated, plain, close: () => Promise.all([isolated.close(), plain.close()]) };
  } catch (e) {
    await isolated.close();
    throw e;
  }
}
