// Loads the WebAssembly core in any JS runtime: picks the threads or single flavour, finds the files
// next to the bundle, feeds the bytes to emscripten's glue, and starts the engine (ist_init).
//
// Files (built by `make wasm`): wasm/dist/isotensor-threads.{mjs,wasm,worker.js} (SIMD128 + pthreads)
// and wasm/dist/isotensor-simd.{mjs,wasm} (SIMD128, single thread, web-only glue that runs everywhere).

import { envVar, envVars } from '../base/env.js';
import { fileUrlToPath, nodeBuiltin } from '../base/node_builtin.js';
import { readBytes } from '../base/read_source.js';

export type WasmFlavour = 'threads' | 'single';

export interface LoadedWasm {
  /** The emscripten Module: _ist_* functions, _malloc, _free, UTF8ToString, stringToUTF8, lengthBytesUTF8. */
  module: any;
  flavour: WasmFlavour;
  /** Engine threads started by ist_init (1 for the single flavour). */
  threads: number;
  /** The current wasm memory buffer (a SharedArrayBuffer for threads); it changes after memory growth. */
  heap(): ArrayBuffer | SharedArrayBuffer;
  /**
   * Keeps the process alive while a Promise waits on engine work (Node: the pool workers are unref()ed
   * and a pending Atomics.waitAsync holds no handle). Call the returned function once the wait is over.
   */
  hold(): () => void;
  /** Why 'auto' did not pick threads (empty when it did or when the flavour was forced). */
  reason: string;
}

export interface LoadWasmOptions {
  /** 'auto' (default) picks threads where SharedArrayBuffer and workers are usable. */
  flavour?: WasmFlavour | 'auto';
  /** Folder (URL or, in Node, path) that holds the wasm/dist files; found next to the bundle by default. */
  baseUrl?: string | URL;
  /** Engine threads of the threads flavour; default min(cores, 8). The pthread pool holds 2 more. */
  threads?: number;
  /**
   * The emscripten factory of the chosen flavour (the default export of isotensor-simd.mjs or
   * isotensor-threads.mjs), for runtimes that cannot import a module by URL (Workers: import it statically).
   */
  factory?: (moduleArgs: Record<string, unknown>) => Promise<any>;
  /** The compiled .wasm of that flavour, for runtimes that forbid compiling bytes (workerd imports it). */
  module?: WebAssembly.Module;
  /** The .wasm bytes of that flavour, instead of reading them from `baseUrl`. */
  wasmBinary?: ArrayBuffer | Uint8Array;
}

const GLUE: Record<WasmFlavour, string> = { threads: 'isotensor-threads.mjs', single: 'isotensor-simd.mjs' };
const BINARY: Record<WasmFlavour, string> = { threads: 'isotensor-threads.wasm', single: 'isotensor-simd.wasm' };

const g = globalThis as any;
// Deno and Bun also set process.versions.node; Deno's stock pthread glue does not run (see RUNTIMES.md).
const isDeno = typeof g.Deno !== 'undefined';
const isNode = !isDeno && typeof process !== 'undefined' && !!process.versions?.node;

/** Why the threads flavour cannot run here, or '' when it can. */
function threadsUnavailable(): string {
  if (typeof SharedArrayBuffer === 'undefined') {
    return 'SharedArrayBuffer is unavailable (browsers need cross-origin isolation: COOP + COEP headers)';
  }
  if (isDeno) return 'Deno cannot run the emscripten 3.1.6 pthread workers';
  if (isNode) return '';
  if (typeof g.Worker === 'undefined') return 'this runtime has no Worker';
  if (g.crossOriginIsolated === false) return 'the page is not cross-origin isolated';
  return '';
}

/** Candidate folders holding the built files: beside the bundle (dist/) or beside these sources (ts/backend/). */
function candidateDirs(baseUrl?: string | URL): URL[] {
  if (baseUrl !== undefined) {
    const s = String(baseUrl);
    const withSlash = s.endsWith('/') ? s : s + '/';
    if (/^[a-z][a-z0-9+.-]*:/i.test(withSlash) && !/^[a-z]:[\\/]/i.test(withSlash)) return [new URL(withSlash)];
    // Pages and workers: a path ('/static/isotensor/') is relative to the document, not a file.
    const here = (g.location as { href?: string } | undefined)?.href;
    if (!isNode && !isDeno && here !== undefined) return [new URL(withSlash, here)];
    return [new URL('file://' + (withSlash.startsWith('/') ? '' : '/') + withSlash.replace(/\\/g, '/'))];
  }
  return [new URL('../wasm/dist/', import.meta.url), new URL('../../wasm/dist/', import.meta.url)];
}

/** The first folder that holds the flavour's files (only local folders can be probed cheaply). */
function pickDir(flavour: WasmFlavour, dirs: URL[]): URL {
  const fs = nodeBuiltin<typeof import('node:fs')>('node:fs');
  if (fs === null) return dirs[0];
  for (const d of dirs) {
    if (d.protocol === 'file:' && fs.existsSync(fileUrlToPath(new URL(GLUE[flavour], d)))) return d;
  }
  return dirs[0];
}


// The 3.1.6 ES-module glue still uses CommonJS names in its Node branch (threads flavour only: the single
// glue is web-only), while its factory runs. Only in Node, so browsers are untouched; the returned function
// removes what was added. (The glue itself leaves globalThis.Worker = worker_threads.Worker behind.)
function installNodeShim(dir: URL): () => void {
  const { createRequire } = nodeBuiltin<typeof import('node:module')>('node:module')!;
  const added: string[] = [];
  if (g.require === undefined) {
    g.require = createRequire(new URL(GLUE.threads, dir));
    added.push('require');
  }
  if (g.__dirname === undefined) {
    g.__dirname = fileUrlToPath(dir).replace(/[\\/]$/, '');
    added.push('__dirname');
  }
  return () => { for (const k of added) delete g[k]; };
}

// Node: pthread workers must not keep the process alive. The pool's workers are unref()ed, and so is
// every worker the glue adds later (when more threads run at once than the pool holds).
function unrefWorkers(M: any): void {
  const p = M.PThread;
  if (!p) return;
  for (const w of [...(p.unusedWorkers ?? []), ...(p.runningWorkers ?? [])]) w?.unref?.();
  if (typeof p.allocateUnusedWorker === 'function' && !p.allocateUnusedWorker.istUnref) {
    const allocate = p.allocateUnusedWorker;
    p.allocateUnusedWorker = function (this: unknown, ...args: unknown[]) {
      const r = allocate.apply(this, args);
      p.unusedWorkers[p.unusedWorkers.length - 1]?.unref?.();
      return r;
    };
    p.allocateUnusedWorker.istUnref = true;
  }
}

/** A ref'd timer while any hold is open: keeps Node alive for pending Promise waits. */
function makeHold(): () => () => void {
  let open = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  return () => {
    if (open++ === 0 && isNode) timer = setInterval(() => {}, 1 << 30);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--open === 0 && timer !== undefined) {
        clearInterval(timer);
        timer = undefined;
      }
    };
  };
}

/** The compiled module from an http(s) URL, compiled while it downloads where the server allows it. */
async function compileStreaming(url: URL): Promise<WebAssembly.Module> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`isotensor: cannot fetch ${url.href}: HTTP ${res.status}`);
  // Streaming needs the application/wasm type; browsers also keep the compiled code of streamed
  // modules in their code cache, so later page loads skip most of the compile.
  if (typeof WebAssembly.compileStreaming === 'function' &&
      (res.headers.get('Content-Type') ?? '').startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

/** The wasm of the flavour: what the caller gave (a compiled module or bytes), else the file's bytes. */
async function wasmSource(opts: LoadWasmOptions, url: () => URL): Promise<Record<string, unknown>> {
  let module = opts.module;
  if (module === undefined && opts.wasmBinary === undefined && /^https?:$/.test(url().protocol)) {
    module = await compileStreaming(url());
  }
  if (module !== undefined) {
    const compiled = module;
    // Instantiating a compiled module is also what runtimes that forbid compiling bytes allow (workerd).
    return {
      instantiateWasm(imports: WebAssembly.Imports, done: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) {
        WebAssembly.instantiate(compiled, imports).then((instance) => done(instance, compiled));
        return {};
      },
    };
  }
  return { wasmBinary: opts.wasmBinary ?? await readBytes(url(), 'loading the WebAssembly core', 'pass mx.configureWasm a baseUrl served over http(s), or the bytes as wasmBinary') };
}

async function instantiate(flavour: WasmFlavour, opts: LoadWasmOptions): Promise<LoadedWasm> {
  // A caller-supplied factory comes with its files: no folder is searched, and no module is imported by URL.
  const given = opts.factory !== undefined;
  const dir = given && opts.baseUrl === undefined ? null : pickDir(flavour, candidateDirs(opts.baseUrl));
  const at = (file: string): URL => {
    if (dir === null) throw new Error(`isotensor: ${file} is needed but no baseUrl was given`);
    return new URL(file, dir);
  };
  const removeShim = flavour === 'threads' && isNode && dir !== null ? installNodeShim(dir) : () => {};
  const [factory, source] = await Promise.all([
    given ? opts.factory! : import(/* @vite-ignore */ /* webpackIgnore: true */ at(GLUE[flavour]).href)
      .then((m: { default: NonNullable<LoadWasmOptions['factory']> }) => m.default),
    wasmSource(opts, () => at(BINARY[flavour])),
  ]);
  // Node's worker_threads wants a file path, not a file: URL.
  const local = isNode && dir?.protocol === 'file:';
  const moduleArgs: Record<string, unknown> = {
    ...source,
    // emscripten's getenv() does not see process.env; it reads Module.ENV, filled before main starts
    // with the ISOTENSOR_* variables (e.g. ISOTENSOR_ENGINE).
    preRun: [(m: any) => { if (m.ENV) Object.assign(m.ENV, envVars('ISOTENSOR_')); }],
  };
  if (dir !== null) {
    moduleArgs.locateFile = (path: string) => (local ? fileUrlToPath(new URL(path, dir)) : new URL(path, dir).href);
    moduleArgs.mainScriptUrlOrBlob = new URL(GLUE[flavour], dir).href;
  } else {
    // The 3.1.6 glue would otherwise build new URL(file, import.meta.url), which Workers may not allow.
    moduleArgs.locateFile = (path: string) => path;
  }
  if (opts.threads && opts.threads > 0) moduleArgs.istThreads = opts.threads | 0;
  let M: any;
  try {
    M = await factory(moduleArgs);
  } finally {
    removeShim();
  }
  const threads = flavour === 'threads' ? (M.istEngineThreads as number) : 1;
  if (isNode) unrefWorkers(M);
  if (M._ist_init(threads, 0) !== 0) {
    throw new Error(`isotensor: ist_init failed: ${M.UTF8ToString(M._ist_get_last_error() >>> 0)}`);
  }
  const heap = M.wasmMemory
    ? () => M.wasmMemory.buffer as SharedArrayBuffer
    : () => M.HEAPU8.buffer as ArrayBuffer;
  return { module: M, flavour, threads, heap, hold: makeHold(), reason: '' };
}

/** Loads the core compiled to WebAssembly. ISOTENSOR_WASM_FLAVOUR=threads|single overrides 'auto'. */
export async function loadWasm(opts: LoadWasmOptions = {}): Promise<LoadedWasm> {
  let wanted = opts.flavour ?? 'auto';
  const fromEnv = envVar('ISOTENSOR_WASM_FLAVOUR');
  if (wanted === 'auto' && (fromEnv === 'threads' || fromEnv === 'single')) wanted = fromEnv;
  // Files handed over by the caller are one flavour's: the single one unless it says otherwise.
  if (wanted === 'auto' && (opts.factory !== undefined || opts.module !== undefined || opts.wasmBinary !== undefined)) {
    wanted = 'single';
  }
  if (wanted !== 'auto') return instantiate(wanted, opts);
  const why = threadsUnavailable();
  if (why) return { ...(await instantiate('single', opts)), reason: why };
  try {
    return await instantiate('threads', opts);
  } catch (e) {
    const loaded = await instantiate('single', opts);
    return { ...loaded, reason: `threads flavour failed to load: ${(e as Error).message}` };
  }
}
