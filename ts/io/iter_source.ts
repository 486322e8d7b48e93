// The files a C++-style data iterator reads: a Node path (or file:// URL), a folder of files, or the bytes themselves.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import { nodeBuiltin } from '../base/node_builtin.js';
import { localPath } from '../base/read_source.js';
import type { IterSource } from './iter_params.js';

/** A readable name of a source, for messages. */
export function sourceName(src: IterSource): string {
  return typeof src === 'string' || src instanceof URL ? String(src) : `<${src.byteLength} bytes>`;
}

function nodeFsFor(iter: string, param: string): typeof import('node:fs') {
  const fs = nodeBuiltin<typeof import('node:fs')>('node:fs');
  if (fs === null) throw new IsotensorError(`${iter}: reading '${param}' from a path needs Node's file system; pass the file's bytes instead`);
  return fs;
}

/**
 * The bytes of `src`; `allowDir`: a folder gives its files' bytes in name order (MXNet's `data_csv='data/'`).
 * A missing file is an IsotensorError naming the iterator and the parameter.
 */
export function readSources(iter: string, param: string, src: IterSource, allowDir = false): Uint8Array[] {
  if (src instanceof Uint8Array) return [src];
  if (src instanceof ArrayBuffer) return [new Uint8Array(src)];
  const fs = nodeFsFor(iter, param);
  const path = localPath(src, iter, `pass the file's bytes as '${param}' instead`);
  let st: import('node:fs').Stats;
  try {
    st = fs.statSync(path);
  } catch {
    throw new IsotensorError(`${iter}: ${param} '${path}' does not exist`);
  }
  if (st.isDirectory()) {
    if (!allowDir) throw new IsotensorError(`${iter}: ${param} '${path}' is a folder, expected a file`);
    const pathMod = nodeBuiltin<typeof import('node:path')>('node:path')!;
    const files = fs.readdirSync(path).sort()
      .map((f) => pathMod.join(path, f)).filter((f) => fs.statSync(f).isFile());
    if (files.length === 0) throw new IsotensorError(`${iter}: ${param} folder '${path}' holds no files`);
    return files.map((f) => new Uint8Array(fs.readFileSync(f)));
  }
  return [new Uint8Array(fs.readFileSync(path))];
}

/** The bytes of one file. */
export function readSource(iter: string, param: string, src: IterSource): Uint8Array {
  return readSources(iter, param, src, false)[0]!;
}

/** Whether a path exists (false outside Node or for bytes). */
export function sourceExists(src: IterSource): boolean {
  if (!(typeof src === 'string' || src instanceof URL)) return true;
  const fs = nodeBuiltin<typeof import('node:fs')>('node:fs');
  if (fs === null) return false;
  try {
    return fs.existsSync(localPath(src, 'source', ''));
  } catch {
    return false;
  }
}
