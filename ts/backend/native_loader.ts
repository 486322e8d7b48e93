// Loads the native Node addon (bindings/build/isotensor.node, built by `make native`): the C ABI
// wrapped 1:1 by bindings/addon.cc. Handles and op handles are JS numbers holding the pointer value;
// every function throws an Error whose message is the core's ist_get_last_error() on failure.
// SPDX-License-Identifier: Apache-2.0
import { nodeBuiltin } from '../base/node_builtin.js';

export interface NativeAddon {
  init(numThreads: number, engineKind: number): void;
  runtimeInfo(): string;
  numGpus(): number;
  waitAll(): void;
  waitAllAsync(): Promise<void>;
  setTrace(on: boolean): void;
  takeTrace(): string;
  randomSeed(seed: number, devType: number, devId: number): void;
  /** [live bytes, peak bytes, pooled bytes, live allocation count] */
  memoryInfo(devType: number, devId: number): number[];
  memoryRelease(devType: number, devId: number): void;
  create(shape: number[], dtype: number, devType: number, devId: number): number;
  free(h: number): void;
  shape(h: number): number[];
  dtype(h: number): number;
  context(h: number): [number, number];
  copyFrom(h: number, src: ArrayBufferView): void;
  copyTo(h: number, dst: ArrayBufferView): void;
  waitToRead(h: number): void;
  waitToWrite(h: number): void;
  /** Resolves once reads are possible, even if the array holds an error: the following copyTo raises it. */
  readAsync(h: number): Promise<void>;
  reshape(h: number, shape: number[]): number;
  slice(h: number, begin: number, end: number): number;
  at(h: number, i: number): number;
  sameStorage(a: number, b: number): boolean;
  opGet(name: string): number;
  opListJSON(): string;
  opCallCountsJSON(): string;
  /** Registers invoke's handle block (kept alive and read/written in place by the addon). */
  setInvokeBuffer(buf: Float64Array): void;
  /** Inputs at buf[0, numInputs), given outputs after them; returns the output count, written from buf[numInputs]. */
  invoke(op: number, numInputs: number, numGiven: number, keys: string[] | null, vals: string[] | null): number;
  save(handles: number[], keys: string[] | null): Uint8Array;
  load(bytes: Uint8Array): { arrays: number[]; keys: string[] };
  setRecording(on: boolean): boolean;
  setTraining(on: boolean): boolean;
  isRecording(): boolean;
  isTraining(): boolean;
  markVariables(vars: number[], reqs: number[], grads: number[]): void;
  backward(heads: number[], headGrads: number[] | null, vars: number[], retainGraph: boolean,
           createGraph: boolean, isTrain: boolean): number[];
  detach(h: number): number;
  gradOf(h: number): number;
  autogradKind(h: number): number;
  gradState(h: number): boolean;
  setGradState(h: number, fresh: boolean): void;
  setCustomBackward(fn: (id: number, ograds: number[], numInputs: number) => number[]): void;
  recordCustom(id: number, inputs: number[], outputs: number[]): void;
  takeReleasedCustom(): number[];
}

// From the bundle (dist/) and from these sources (ts/backend/, e.g. vitest on sources).
const CANDIDATES = ['../bindings/build/isotensor.node', '../../bindings/build/isotensor.node'];

let reason = '';

// Where the package's install step says why it did not build the addon (scripts/install-native.mjs).
const INSTALL_STATUS = ['../bindings/build/install-status.json', '../../bindings/build/install-status.json'];

// A require() relative to this file without a static `import 'node:module'`, which would break the same
// bundle in browsers; or the CJS bundle's own require.
function nodeRequire(): NodeRequire | null {
  const mod = nodeBuiltin<typeof import('node:module')>('node:module');
  if (mod?.createRequire) return mod.createRequire(import.meta.url) as NodeRequire;
  return typeof require === 'function' ? require : null;
}

/** The install step's account of the addon (e.g. 'no C++ compiler found'), or ''. */
function installNote(req: NodeRequire): string {
  for (const rel of INSTALL_STATUS) {
    try {
      const status = req(rel) as { built?: boolean; reason?: string };
      if (status && status.built === false && status.reason) return status.reason;
    } catch {
      // not there: a development checkout (`make native` builds the addon)
    }
  }
  return '';
}

/** Why the last loadNative() returned null ('' when it loaded). */
export function nativeLoadError(): string {
  return reason;
}

/**
 * The addon, or null (see nativeLoadError()) outside Node or when the file is missing or fails to load.
 * It does not start the engine: the caller calls init(numThreads, engineKind) once.
 */
export function loadNative(): NativeAddon | null {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (!p?.versions?.node || typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined') {
    reason = 'the native addon needs Node.js';
    return null;
  }
  let req: NodeRequire | null;
  try {
    req = nodeRequire();
  } catch (e) {
    reason = `cannot create require(): ${(e as Error).message}`;
    return null;
  }
  if (req === null) {
    reason = 'no synchronous require() in this Node (needs Node >= 20.16 for process.getBuiltinModule)';
    return null;
  }
  const errors: string[] = [];
  for (const rel of CANDIDATES) {
    let path: string;
    try {
      path = req.resolve(rel);
    } catch {
      continue;  // not there
    }
    try {
      const addon = req(path) as NativeAddon;
      reason = '';
      return addon;
    } catch (e) {
      errors.push(`${path}: ${(e as Error).message}`);
    }
  }
  const note = errors.length > 0 ? '' : installNote(req);
  reason = errors.length > 0 ? `the native addon failed to load (${errors.join('; ')})`
         : note !== '' ? `the native addon was not built when the package was installed: ${note}`
         : 'bindings/build/isotensor.node was not found (run `make native`)';
  return null;
}
