// Runtime: picks and loads the backend (native addon or WebAssembly), and the engine-wide calls.
// SPDX-License-Identifier: Apache-2.0
import { Context } from '../base/context.js';
import { envVar } from '../base/env.js';
import { IsotensorError, toIsotensorError } from '../base/error.js';
import type { Backend, BackendName } from './backend.js';
import { NativeBackend } from './native.js';
import { loadNative, nativeLoadError, type NativeAddon } from './native_loader.js';
import { WasmBackend } from './wasm.js';
import { loadWasm, type LoadWasmOptions } from './wasm_loader.js';

/** What `mx.runtimeInfo()` reports: the backend plus the core's own report (keys camelCased). */
export interface RuntimeInfo {
  backend: BackendName;
  /** 'threads' (SIMD128 + pthreads) or 'single' (SIMD128, one thread); null on the native addon. */
  wasmFlavour: 'threads' | 'single' | null;
  engine: string;
  threads: number;
  simd: unknown;
  cuda: boolean;
  numGpus: number;
  cublas: boolean;
  cudnn: boolean;
  mpi: boolean;
  nccl: boolean;
  /** Why the native addon is not available ('' when it loads): e.g. not built at install, or not Node. */
  nativeUnavailable: string;
  [key: string]: unknown;
}

/** Where and how the WebAssembly backend finds its files (see `mx.configureWasm`). */
export type WasmOptions = LoadWasmOptions;

let requested: BackendName | null = null;
let active: Backend | null = null;
const loaded = new Map<BackendName, Backend>();
let pending: { name: BackendName; promise: Promise<void> } | null = null;
let nativeProbe: { addon: NativeAddon | null; reason: string } | null = null;
const infoCache = new WeakMap<Backend, RuntimeInfo>();
let wasmOptions: WasmOptions = {};


function nativeAddon(): { addon: NativeAddon | null; reason: string } {
  if (nativeProbe === null) {
    try {
      const addon = loadNative();
      nativeProbe = { addon, reason: addon === null ? nativeLoadError() || 'the addon did not load' : '' };
    } catch (e) {
      nativeProbe = { addon: null, reason: e instanceof Error ? e.message : String(e) };
    }
  }
  return nativeProbe;
}

function checkName(name: string, source: string): BackendName {
  if (name !== 'native' && name !== 'wasm') {
    throw new IsotensorError(`${source}: unknown backend '${name}' (expected 'native' or 'wasm')`);
  }
  return name;
}

function chosenName(): BackendName {
  if (requested !== null) return requested;
  const e = envVar('ISOTENSOR_BACKEND');
  if (e !== undefined) return checkName(e, 'ISOTENSOR_BACKEND');
  return nativeAddon().addon !== null ? 'native' : 'wasm';
}

function loadNativeBackend(): Backend {
  const have = loaded.get('native');
  if (have !== undefined) return have;
  const { addon, reason } = nativeAddon();
  if (addon === null) {
    throw new IsotensorError(`the native backend is not available: ${reason}. Build it with \`make native\`, ` +
                             "or use the WebAssembly backend (mx.setBackend('wasm') or ISOTENSOR_BACKEND=wasm)");
  }
  const threads = Number(envVar('ISOTENSOR_NUM_THREADS') ?? 0) | 0;
  const b = new NativeBackend(addon, threads);
  loaded.set('native', b);
  return b;
}

async function loadWasmBackend(): Promise<Backend> {
  const have = loaded.get('wasm');
  if (have !== undefined) return have;
  const f = envVar('ISOTENSOR_WASM_FLAVOUR') ?? 'auto';
  if (f !== 'threads' && f !== 'single' && f !== 'auto') {
    throw new IsotensorError(`ISOTENSOR_WASM_FLAVOUR: unknown flavour '${f}' (expected 'threads', 'single' or 'auto')`);
  }
  const b = new WasmBackend(await loadWasm({ ...wasmOptions, flavour: wasmOptions.flavour ?? f }));
  loaded.set('wasm', b);
  return b;
}

/**
 * Tells the WebAssembly backend where its files are, before it loads: `baseUrl` (a folder serving
 * isotensor-{simd,threads}.{mjs,wasm}), a `flavour`, engine `threads`, or the files themselves — the glue's
 * `factory` and the compiled `module` (or `wasmBinary` bytes) — for runtimes that import them statically
 * (Workers: the package's `workerd` entry does this for you).
 * @example mx.configureWasm({ baseUrl: '/static/isotensor/' }); await mx.ready();
 */
export function configureWasm(options: WasmOptions): void {
  if (loaded.has('wasm') || (pending !== null && pending.name === 'wasm')) {
    throw new IsotensorError('mx.configureWasm: the WebAssembly backend is already loaded (or loading); ' +
                             'call it before mx.ready() or mx.setBackend()');
  }
  wasmOptions = { ...options };
}

/**
 * Loads the chosen backend: `mx.setBackend()`, else ISOTENSOR_BACKEND, else the native addon when
 * it loads, else WebAssembly. Idempotent; the synchronous API works once it has resolved.
 * @example await mx.ready();
 */
export function ready(): Promise<void> {
  let name: BackendName;
  try {
    name = chosenName();
  } catch (e) {
    return Promise.reject(toIsotensorError(e));
  }
  if (active !== null && active.name === name) return Promise.resolve();
  if (pending !== null && pending.name === name) return pending.promise;
  if (name === 'native') {
    // The addon loads synchronously, so the sync API works even before the Promise is awaited.
    try {
      active = loadNativeBackend();
      pending = null;
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(toIsotensorError(e));
    }
  }
  const promise = loadWasmBackend().then(
    (b) => {
      if (pending !== null && pending.name === name) pending = null;
      if (chosenName() === name) active = b;
    },
    (e: unknown) => {
      if (pending !== null && pending.name === name) pending = null;
      throw toIsotensorError(e);
    },
  );
  pending = { name, promise };
  return promise;
}

/**
 * Picks the backend of new arrays ('native' addon or 'wasm') and loads it; await the result (or
 * `mx.ready()`) before using the synchronous API. Arrays made on the other backend keep working.
 * @example await mx.setBackend('wasm');
 */
export function setBackend(name: BackendName): Promise<void> {
  requested = checkName(name, 'mx.setBackend');
  if (active !== null && active.name !== requested) active = null;
  const p = ready();
  p.catch(() => undefined); // callers who do not await still see the error at their next call
  return p;
}

/** The active backend; throws when `mx.ready()` has not resolved yet. @internal */
export function backend(): Backend {
  if (active !== null) return active;
  throw new IsotensorError('isotensor is not ready: call `await mx.ready()` first ' +
                           '(it loads the native addon or the WebAssembly module)');
}

/** The active backend or null. @internal */
export function activeBackend(): Backend | null {
  return active;
}

/** Throws the error that names the non-blocking twin when `b` must not block this thread. @internal */
export function assertCanBlock(b: Backend, what: string, twin: string): void {
  if (!b.canBlock) {
    throw new IsotensorError(`${what} would block the browser's main thread (WebAssembly threads flavour); ` +
                             `use ${twin} instead`);
  }
}

function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function infoOf(b: Backend): RuntimeInfo {
  let info = infoCache.get(b);
  if (info === undefined) {
    const raw = JSON.parse(b.runtimeInfo()) as Record<string, unknown>;
    const r: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) r[camel(k)] = v;
    info = {
      engine: '', threads: 1, simd: false, cuda: false, numGpus: 0, cublas: false, cudnn: false, mpi: false,
      nccl: false, ...r, backend: b.name, wasmFlavour: b.flavour,
      nativeUnavailable: b.name === 'native' ? '' : nativeAddon().reason,
    } as RuntimeInfo;
    infoCache.set(b, info);
  }
  return info;
}

/**
 * Which backend runs and what it can do: wasm flavour, threads, SIMD, CUDA, cuBLAS/cuDNN, MPI/NCCL.
 * @example mx.runtimeInfo().backend // 'native'
 */
export function runtimeInfo(): RuntimeInfo {
  const b = backend();
  return { ...infoOf(b), numGpus: numGpus() };
}

/**
 * Number of visible CUDA devices; 0 without the native CUDA addon. Never throws.
 * @example if (mx.numGpus() > 0) ctx = mx.gpu();
 */
export function numGpus(): number {
  try {
    if (active !== null) return active.numGpus();
    const { addon } = nativeAddon();
    return addon !== null ? addon.numGpus() : 0;
  } catch {
    return 0;
  }
}

/**
 * Throws a clear IsotensorError when arrays cannot be allocated on `ctx` with backend `b`
 * (GPU without a CUDA addon, or no device n). @internal
 */
export function checkContext(ctx: Context, b: Backend): void {
  if (ctx.deviceType !== 'gpu') return;
  if (b.name === 'wasm') {
    throw new IsotensorError(`${ctx} is not available: the WebAssembly backend runs on the CPU only; ` +
                             "GPU contexts need the native addon built with CUDA (mx.setBackend('native'))");
  }
  if (!infoOf(b).cuda) {
    throw new IsotensorError(`${ctx} is not available: the native addon was built without CUDA ` +
                             '(rebuild it where nvcc is installed); mx.numGpus() is 0');
  }
  const n = b.numGpus();
  if (ctx.deviceId >= n) {
    throw new IsotensorError(`${ctx} is not available: no CUDA device ${ctx.deviceId} ` +
                             `(mx.numGpus() is ${n}${n > 0 ? `, valid ids 0..${n - 1}` : ''})`);
  }
}

/**
 * Blocks until all pushed work on every loaded backend has finished. Raises an async failure
 * that no read has reported yet (once).
 * @example mx.waitAll();
 */
export function waitAll(): void {
  const b = backend();
  assertCanBlock(b, 'mx.waitAll()', 'await mx.waitAllAsync()');
  for (const l of loaded.values()) l.waitAll();
}

/**
 * Resolves once all pushed work has finished, without blocking the JS thread.
 * @example await mx.waitAllAsync();
 */
export async function waitAllAsync(): Promise<void> {
  backend();
  for (const l of loaded.values()) await l.waitAllAsync();
}

/** Context helper: the numeric ids of a context. @internal */
export function contextOf(ids: [number, number]): Context {
  return Context.fromIds(ids[0], ids[1]);
}
