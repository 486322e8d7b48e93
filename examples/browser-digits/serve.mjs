// A static server for the browser digit demo: the page, isotensor's bundles and wasm, and a trained model, on 127.0.0.1.
// SPDX-License-Identifier: Apache-2.0
//
//   node examples/browser-digits/serve.mjs [--model DIR] [--port 8000] [--no-isolation]
//
// It serves only what the page needs: /examples/browser-digits/ (the page), /examples/shared/ (its helpers), /dist/ (the bundles),
// /wasm/dist/ (the WebAssembly builds) and /model/ (DIR, default out/train-mnist, as written by
// `make demo`). By default every response carries COOP + COEP, which makes the page cross-origin
// isolated: SharedArrayBuffer exists and isotensor picks its threads flavour. --no-isolation
// leaves the headers off, so the same page runs the single-thread flavour.
import { existsSync, promises as fs } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const PAGE_PATH = '/examples/browser-digits/';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** URL prefix → directory on disk; nothing outside these is served. */
function roots(modelDir) {
  return [
    ['/examples/browser-digits/', join(REPO, 'examples/browser-digits')],
    ['/examples/shared/', join(REPO, 'examples/shared')],
    ['/dist/', join(REPO, 'dist')],
    ['/wasm/dist/', join(REPO, 'wasm/dist')],
    ['/model/', resolve(modelDir)],
  ];
}

/** The file a URL path names, or null when it is outside the served directories. */
function fileFor(pathname, mounts) {
  for (const [prefix, dir] of mounts) {
    if (!pathname.startsWith(prefix)) continue;
    const rest = pathname.slice(prefix.length) || 'index.html';
    const file = resolve(dir, rest);
    // resolve() collapses '..'; anything that lands outside the mount is refused.
    return file === dir || file.startsWith(dir + sep) ? file : null;
  }
  return null;
}

/**
 * Starts the server. `port` 0 picks a free port. Resolves to `{ url, server, close() }`, where url
 * is the page's address.
 */
export async function start({ model = join(REPO, 'out/train-mnist'), port = 8000, host = '127.0.0.1', isolation = true } = {}) {
  const mounts = roots(model);
  const isolationHeaders = isolation
    ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
    : {};
  const server = createServer(async (req, res) => {
    const send = (status, headers, body) => {
      // no-store: a rebuilt bundle or a retrained model shows up on the next reload.
      res.writeHead(status, { 'Cache-Control': 'no-store', ...isolationHeaders, ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { Allow: 'GET, HEAD' }, 'method not allowed\n');
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    } catch {
      return send(400, { 'Content-Type': 'text/plain' }, 'bad request\n');
    }
    if (pathname === '/' || pathname === PAGE_PATH.slice(0, -1)) return send(302, { Location: PAGE_PATH }, '');
    const file = fileFor(pathname, mounts);
    if (file === null) return send(404, { 'Content-Type': 'text/plain' }, `not served: ${pathname}\n`);
    try {
      const body = await fs.readFile(file);
      send(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': body.length }, body);
    } catch (e) {
      const hint = pathname.startsWith('/model/') ? ' (train a model first: make demo)' : '';
      send(e.code === 'ENOENT' || e.code === 'EISDIR' ? 404 : 500, { 'Content-Type': 'text/plain' },
        `${e.code === 'ENOENT' ? 'no such file' : e.message}: ${pathname}${hint}\n`);
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const url = `http://${host}:${server.address().port}${PAGE_PATH}`;
  return { url, server, close: () => new Promise((ok) => server.close(ok)) };
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      model: { type: 'string', default: join(REPO, 'out/train-mnist') },
      port: { type: 'string', default: '8000' },
      'no-isolation': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (args.help) {
    console.log('usage: node examples/browser-digits/serve.mjs [--model DIR] [--port 8000] [--no-isolation]\n' +
      'DIR holds lenet-symbol.json and lenet-0000.params (default out/train-mnist, written by `make demo`)');
    return;
  }
  const port = Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port: expected an integer in 0..65535, got '${args.port}'`);
    process.exit(2);
  }
  for (const f of ['lenet-symbol.json', 'lenet-0000.params']) {
    if (!existsSync(join(args.model, f))) console.warn(`warning: ${join(args.model, f)} does not exist; train a model first (make demo)`);
  }
  if (!existsSync(join(REPO, 'dist/index.mjs'))) console.warn('warning: dist/index.mjs does not exist; build isotensor first (make)');
  const { url } = await start({ model: args.model, port, isolation: !args['no-isolation'] });
  console.log(`serving ${url} (${args['no-isolation'] ? 'no isolation headers: single-thread wasm' : 'COOP + COEP: threads wasm'}; ` +
    `model ${resolve(args.model)}); Ctrl-C stops`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
