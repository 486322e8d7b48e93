// The Backend interface: handle-level operations of the C ABI, implemented by the addon and by WASM.
// SPDX-License-Identifier: Apache-2.0
//
// Everything above this interface is backend-agnostic. Handles are plain numbers holding the
// core's pointer values; a handle belongs to the backend that made it. Every method throws an
// IsotensorError carrying the core's message on failure. Methods mirror bindings' NativeAddon 1:1.

/** An NDArray handle (a pointer value). */
export type Handle = number;
/** An operator handle (a pointer value). */
export type OpHandle = number;

export type BackendName = 'native' | 'wasm';

export interface Backend {
  readonly name: BackendName;
  /** WASM flavour; null for the native addon. */
  readonly flavour: 'threads' | 'single' | null;
  /** False where the thread must not block (threads flavour on a browser's main thread). */
  readonly canBlock: boolean;

  runtimeInfo(): string;
  numGpus(): number;
  waitAll(): void;
  waitAllAsync(): Promise<void>;
  setTrace(on: boolean): void;
  takeTrace(): string;
  randomSeed(seed: number, devType: number, devId: number): void;
  /** [live bytes, peak bytes, pooled bytes, live allocation count]. */
  memoryInfo(devType: number, devId: number): number[];
  memoryRelease(devType: number, devId: number): void;

  create(shape: readonly number[], dtype: number, devType: number, devId: number): Handle;
  free(h: Handle): void;
  shape(h: Handle): number[];
  dtype(h: Handle): number;
  /** [devType, devId]. */
  context(h: Handle): [number, number];
  /** Blocking copy of host data into the array; byteLength must equal the array's. */
  copyFrom(h: Handle, src: ArrayBufferView): void;
  /** Blocking copy of the array into host memory; byteLength must equal the array's. */
  copyTo(h: Handle, dst: ArrayBufferView): void;
  waitToRead(h: Handle): void;
  waitToWrite(h: Handle): void;
  /** Resolves once the array can be read (also when it holds an error: the next copyTo raises it). */
  readAsync(h: Handle): Promise<void>;
  reshape(h: Handle, shape: readonly number[]): Handle;
  slice(h: Handle, begin: number, end: number): Handle;
  at(h: Handle, index: number): Handle;
  sameStorage(a: Handle, b: Handle): boolean;

  opGet(name: string): OpHandle;
  opListJSON(): string;
  /** Pushes an op. outputs: caller-provided arrays that receive the results, or null for new ones. */
  invoke(op: OpHandle, inputs: readonly Handle[], outputs: readonly Handle[] | null,
         keys: readonly string[], vals: readonly string[]): Handle[];

  save(handles: readonly Handle[], keys: readonly string[] | null): Uint8Array;
  load(bytes: Uint8Array): { arrays: Handle[]; keys: string[] };
}
