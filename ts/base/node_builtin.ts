// Node's built-in modules, reached through process.getBuiltinModule and never an import statement.
// SPDX-License-Identifier: Apache-2.0
//
// Why: one bundle must load unchanged in browsers, Web Workers and Workers runtimes, and bundlers must not
// try to resolve 'node:*'. Node >= 20.16 (package.json's engines), Deno and Bun all implement it.
import { IsotensorError } from './error.js';

type BuiltinGetter = (id: string) => unknown;

/**
 * The built-in module `id` (e.g. 'node:fs'), or null outside Node-compatible runtimes. Node older than
 * 20.16 (below package.json's engines) still works through the CJS bundle's own require.
 */
export function nodeBuiltin<T = any>(id: string): T | null {
  const p = (globalThis as { process?: { getBuiltinModule?: BuiltinGetter; versions?: { node?: string } } }).process;
  if (!p?.versions?.node) return null;
  if (typeof p.getBuiltinModule === 'function') return (p.getBuiltinModule(id) as T | undefined) ?? null;
  return typeof require === 'function' ? (require(id) as T) : null;
}

/** Node's fs, or an IsotensorError saying that `purpose` needs it (and what to do instead, `hint`). */
export function nodeFs(purpose: string, hint = ''): typeof import('node:fs') {
  const fs = nodeBuiltin<typeof import('node:fs')>('node:fs');
  if (fs === null) throw new IsotensorError(`${purpose} needs Node's file system${hint ? `; ${hint}` : ''}`);
  return fs;
}

/** A file system path from a file:// URL (Node's rules when available). */
export function fileUrlToPath(url: string | URL): string {
  const urlMod = nodeBuiltin<typeof import('node:url')>('node:url');
  return urlMod !== null ? urlMod.fileURLToPath(url) : decodeURIComponent(new URL(String(url)).pathname);
}
