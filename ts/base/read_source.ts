// Where the library reads files from: Node paths and file:// URLs through Node's fs, http(s):// and (outside
// Node) relative URLs through fetch — the same rule for nd.load, sym.load and Gluon's importsAsync.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, kindOf } from './error.js';
import { fileUrlToPath, nodeBuiltin } from './node_builtin.js';

/** A path or URL as text; anything else (a missing argument, a number) is refused by name. */
function pathText(path: string | URL, what: string): string {
  if (typeof path === 'string') return path;
  if (path instanceof URL) return path.toString();
  throw new IsotensorError(`${what}: argument 'path' must be a string or URL, got ${kindOf(path)}`);
}

/**
 * A file system path from a path or file:// URL; other schemes (s3://, hdfs://) are refused with `hint`
 * (what to do instead).
 */
export function localPath(path: string | URL, what: string, hint: string): string {
  const s = pathText(path, what);
  if (s.startsWith('file:')) return fileUrlToPath(s);
  const scheme = /^([a-z][a-z0-9+.-]+):\/\//i.exec(s);
  if (scheme !== null) {
    throw new IsotensorError(`${what}: ${scheme[1]}:// URLs are not supported (paths, file:// and, for loading, ` +
                             `http(s):// only); ${hint}`);
  }
  return s;
}

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  let r: Response;
  try {
    r = await fetch(url);
  } catch (e) {
    throw new IsotensorError(`${what}: fetching ${url} failed: ${(e as Error).message}`, { cause: e });
  }
  if (!r.ok) throw new IsotensorError(`${what}: GET ${url} failed: ${r.status} ${r.statusText}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** The bytes at `src`: fetched for http(s) (and for relative URLs where there is no file system), else read. */
export async function readBytes(src: string | URL, what: string, hint: string): Promise<Uint8Array> {
  const s = pathText(src, what);
  if (/^https?:\/\//i.test(s)) return fetchBytes(s, what);
  const fs = nodeBuiltin<typeof import('node:fs')>('node:fs');
  if (fs === null) return fetchBytes(s, what);
  return new Uint8Array(await fs.promises.readFile(localPath(s, what, hint)));
}

/** readBytes as UTF-8 text. */
export async function readText(src: string | URL, what: string, hint: string): Promise<string> {
  return new TextDecoder().decode(await readBytes(src, what, hint));
}
