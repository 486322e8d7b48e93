// The WebAssembly build as a Backend: marshals the C ABI through the emscripten module's heap.
// SPDX-License-Identifier: Apache-2.0
//
// Hot-path calls allocate nothing in wasm memory: arguments (shapes, handle lists, attribute
// strings) and out-parameters go to one scratch area _malloc'ed once and grown on demand. Any
// call into wasm may grow memory, which replaces the heap's ArrayBuffer, so the typed views are
// re-created from heap() after every call that can allocate. int64 values travel as (lo, hi)
// int32 pairs: in memory always, and as arguments unless the build uses WASM_BIGINT.
import { IsotensorError } from '../base/error.js';
import type { Backend, ExecutorHandle, Handle, OpHandle, SymbolHandle } from './backend.js';
import type { LoadedWasm } from './wasm_loader.js';

type WasmFn = (...args: Array<number | bigint>) => number;

interface EmscriptenModule {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  UTF8ToString(ptr: number, maxBytes?: number): string;
  stringToUTF8(s: string, ptr: number, maxBytes: number): void;
  lengthBytesUTF8(s: string): number;
  asm?: Record<string, unknown>;
  [key: string]: unknown;
}

const SCRATCH_MIN = 64 * 1024;
// Host copies up to this size reuse the scratch area; larger ones get their own allocation.
const SCRATCH_REUSE_MAX = 1024 * 1024;
// Room for the outputs of one op when the core creates them.
const MAX_OUTPUTS = 1024;
const TWO_32 = 4294967296;

// Atomics.waitAsync (ES2024), typed here so older lib settings compile.
type WaitAsync = (a: Int32Array, index: number, value: number) =>
  { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync?.bind(Atomics);

function isBrowserMainThread(): boolean {
  const g = globalThis as { document?: unknown; importScripts?: unknown };
  return typeof g.document !== 'undefined' && typeof g.importScripts === 'undefined';
}

/** Backend over the emscripten build (threads or single flavour). @internal */
export class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  readonly flavour: 'threads' | 'single';
  readonly canBlock: boolean;
  /** Worker threads of the engine (1 in the single flavour). */
  readonly threads: number;

  private readonly m: EmscriptenModule;
  private readonly heap: () => ArrayBufferLike;
  private readonly hold: () => () => void;
  private readonly i64Args: 'pairs' | 'bigint';
  private buffer: ArrayBufferLike | null = null;
  private u8: Uint8Array = new Uint8Array(0);
  private i32: Int32Array = new Int32Array(0);
  private u32: Uint32Array = new Uint32Array(0);
  private scratch = 0;
  private scratchBytes = 0;

  // The C ABI, bound once (raw wasm exports when reachable: no wrapper per call).
  private readonly fGetLastError: WasmFn;
  private readonly fRuntimeInfo: WasmFn;
  private readonly fNumGpus: WasmFn;
  private readonly fWaitAll: WasmFn;
  private readonly fWaitAllSignal: WasmFn;
  private readonly fSetTrace: WasmFn;
  private readonly fTakeTrace: WasmFn;
  private readonly fRandomSeed: WasmFn;
  private readonly fMemoryInfo: WasmFn;
  private readonly fMemoryRelease: WasmFn;
  private readonly fHeapPages: WasmFn | null;
  private readonly fCreate: WasmFn;
  private readonly fFree: WasmFn;
  private readonly fGetShape: WasmFn;
  private readonly fGetDtype: WasmFn;
  private readonly fGetContext: WasmFn;
  private readonly fCopyFrom: WasmFn;
  private readonly fCopyTo: WasmFn;
  private readonly fWaitToRead: WasmFn;
  private readonly fWaitToWrite: WasmFn;
  private readonly fReadSignal: WasmFn;
  private readonly fReshape: WasmFn;
  private readonly fSlice: WasmFn;
  private readonly fAt: WasmFn;
  private readonly fSameStorage: WasmFn;
  private readonly fOpGet: WasmFn;
  private readonly fOpListJSON: WasmFn;
  private readonly fOpCallCounts: WasmFn;
  private readonly fInvoke: WasmFn;
  private readonly fSave: WasmFn;
  private readonly fBufferFree: WasmFn;
  private readonly fLoad: WasmFn;
  private readonly fSetRecording: WasmFn;
  private readonly fSetTraining: WasmFn;
  private readonly fIsRecording: WasmFn;
  private readonly fIsTraining: WasmFn;
  private readonly fMarkVariables: WasmFn;
  private readonly fBackward: WasmFn;
  private readonly fDetach: WasmFn;
  private readonly fGetGrad: WasmFn;
  private readonly fAutogradKind: WasmFn;
  private readonly fGetGradState: WasmFn;
  private readonly fSetGradState: WasmFn;
  private readonly fRecordCustom: WasmFn;
  private readonly fTakeReleasedCustom: WasmFn;

  constructor(loaded: LoadedWasm) {
    this.m = loaded.module as EmscriptenModule;
    this.heap = () => loaded.heap();
    this.hold = () => loaded.hold();
    this.flavour = loaded.flavour;
    this.threads = loaded.threads;
    this.canBlock = !(loaded.flavour === 'threads' && isBrowserMainThread());
    const fn = (name: string): WasmFn => {
      const raw = this.m.asm?.[name];
      if (typeof raw === 'function') return raw as WasmFn;
      const wrapped = this.m['_' + name];
      if (typeof wrapped !== 'function') throw new IsotensorError(`the WebAssembly module does not export ${name}`);
      return wrapped as WasmFn;
    };
    this.fGetLastError = fn('ist_get_last_error');
    this.fRuntimeInfo = fn('ist_runtime_info');
    this.fNumGpus = fn('ist_num_gpus');
    this.fWaitAll = fn('ist_wait_all');
    this.fWaitAllSignal = fn('ist_wait_all_signal');
    this.fSetTrace = fn('ist_engine_set_trace');
    this.fTakeTrace = fn('ist_engine_take_trace');
    this.fRandomSeed = fn('ist_random_seed');
    this.fMemoryInfo = fn('ist_memory_info');
    this.fMemoryRelease = fn('ist_memory_release');
    // Threads: reading the shared memory's buffer is a runtime call (~40 ns) that checks for growth by
    // any thread; the page count from wasm tells views() the same for less, twice per op call.
    this.fHeapPages = loaded.flavour === 'threads' ? fn('ist_heap_pages') : null;
    this.fCreate = fn('ist_ndarray_create');
    this.fFree = fn('ist_ndarray_free');
    this.fGetShape = fn('ist_ndarray_get_shape');
    this.fGetDtype = fn('ist_ndarray_get_dtype');
    this.fGetContext = fn('ist_ndarray_get_context');
    this.fCopyFrom = fn('ist_ndarray_sync_copy_from_cpu');
    this.fCopyTo = fn('ist_ndarray_sync_copy_to_cpu');
    this.fWaitToRead = fn('ist_ndarray_wait_to_read');
    this.fWaitToWrite = fn('ist_ndarray_wait_to_write');
    this.fReadSignal = fn('ist_ndarray_read_signal');
    this.fReshape = fn('ist_ndarray_reshape');
    this.fSlice = fn('ist_ndarray_slice');
    this.fAt = fn('ist_ndarray_at');
    this.fSameStorage = fn('ist_ndarray_same_storage');
    this.fOpGet = fn('ist_op_get');
    this.fOpListJSON = fn('ist_op_list_json');
    this.fOpCallCounts = fn('ist_op_call_counts_json');
    this.fInvoke = fn('ist_imperative_invoke');
    this.fSave = fn('ist_ndarray_save');
    this.fBufferFree = fn('ist_buffer_free');
    this.fLoad = fn('ist_ndarray_load');
    this.fSetRecording = fn('ist_autograd_set_recording');
    this.fSetTraining = fn('ist_autograd_set_training');
    this.fIsRecording = fn('ist_autograd_is_recording');
    this.fIsTraining = fn('ist_autograd_is_training');
    this.fMarkVariables = fn('ist_autograd_mark_variables');
    this.fBackward = fn('ist_autograd_backward');
    this.fDetach = fn('ist_ndarray_detach');
    this.fGetGrad = fn('ist_ndarray_get_grad');
    this.fAutogradKind = fn('ist_ndarray_autograd_kind');
    this.fGetGradState = fn('ist_ndarray_get_grad_state');
    this.fSetGradState = fn('ist_ndarray_set_grad_state');
    this.fRecordCustom = fn('ist_autograd_record_custom');
    this.fTakeReleasedCustom = fn('ist_autograd_take_released_custom');
    // ist_ndarray_slice(h, int64, int64, out): 4 wasm params with BigInt, 6 once legalized to pairs.
    this.i64Args = this.fSlice.length === 4 ? 'bigint' : 'pairs';
    this.ensureScratch(SCRATCH_MIN);
  }

  // ---- marshalling helpers ----

  /** Re-creates the heap views when memory grew. */
  private views(): void {
    // Memory only grows: views of the same length are views of the current memory.
    if (this.fHeapPages !== null && this.buffer !== null && this.fHeapPages() * 65536 === this.u8.byteLength) return;
    const b = this.heap();
    if (b !== this.buffer) {
      this.buffer = b;
      this.u8 = new Uint8Array(b);
      this.i32 = new Int32Array(b);
      this.u32 = new Uint32Array(b);
    }
  }

  /** The scratch area, at least `bytes` long. Views are current on return. */
  private ensureScratch(bytes: number): number {
    if (bytes > this.scratchBytes) {
      const size = Math.max(bytes, this.scratchBytes * 2, SCRATCH_MIN);
      const p = this.m._malloc(size) >>> 0;
      if (p === 0) throw new IsotensorError(`out of WebAssembly memory allocating ${size} bytes of scratch`);
      if (this.scratch !== 0) this.m._free(this.scratch);
      this.scratch = p;
      this.scratchBytes = size;
    }
    this.views();
    return this.scratch;
  }

  private malloc(bytes: number): number {
    // Pointers come back as signed i32: above 2 GiB of heap (MAXIMUM_MEMORY is 4 GiB) they would be negative.
    const p = this.m._malloc(Math.max(bytes, 1)) >>> 0;
    if (p === 0) throw new IsotensorError(`out of WebAssembly memory allocating ${bytes} bytes`);
    this.views();
    return p;
  }

  private lastError(): IsotensorError {
    return new IsotensorError(this.m.UTF8ToString(this.fGetLastError() >>> 0) || 'isotensor: unknown error');
  }

  private check(rc: number): void {
    if (rc !== 0) throw this.lastError();
  }

  private writeI64(p: number, v: number): void {
    this.u32[p >>> 2] = v >>> 0;
    this.i32[(p >>> 2) + 1] = Math.floor(v / TWO_32);
  }

  private readI64(p: number): number {
    return this.i32[(p >>> 2) + 1]! * TWO_32 + this.u32[p >>> 2]!;
  }

  /** Writes a NUL-terminated UTF-8 string; the caller reserved 3 * length + 1 bytes. */
  private writeString(s: string, p: number): number {
    const u8 = this.u8;
    const n = s.length;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        const len = this.m.lengthBytesUTF8(s);
        this.m.stringToUTF8(s, p, len + 1);
        return len + 1;
      }
      u8[p + i] = c;
    }
    u8[p + n] = 0;
    return n + 1;
  }

  private readCString(p: number): string {
    return this.m.UTF8ToString(p >>> 0);
  }

  private i64Arg(v: number): Array<number | bigint> {
    return this.i64Args === 'bigint' ? [BigInt(v)] : [v >>> 0, Math.floor(v / TWO_32)];
  }

  /** Calls a function whose only out-parameter is a `const char**`, and reads the string. */
  private stringOut(f: WasmFn): string {
    const p = this.ensureScratch(4);
    this.check(f(p));
    this.views();
    return this.readCString(this.u32[p >>> 2]!);
  }

  private bytesOf(v: ArrayBufferView): Uint8Array {
    return v instanceof Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }

  /** Waits without blocking for a flag the engine sets to 1, then frees it. */
  private async waitFlag(flag: number): Promise<void> {
    const release = this.hold(); // a pending Atomics.waitAsync alone does not keep Node alive
    try {
      for (;;) {
        this.views();
        if (Atomics.load(this.i32, flag >>> 2) !== 0) return;
        const shared = typeof SharedArrayBuffer !== 'undefined' && this.buffer instanceof SharedArrayBuffer;
        if (!shared || waitAsync === undefined) {
          throw new IsotensorError('the WebAssembly engine did not complete a synchronous wait (flavour ' +
                                   `${this.flavour}); Atomics.waitAsync is needed for the threads flavour`);
        }
        const r = waitAsync(this.i32, flag >>> 2, 0);
        if (r.async) await r.value;
      }
    } finally {
      release();
      this.m._free(flag);
    }
  }

  private newFlag(): number {
    const p = this.malloc(4);
    this.i32[p >>> 2] = 0;
    return p;
  }

  // ---- Backend ----

  runtimeInfo(): string { return this.stringOut(this.fRuntimeInfo); }

  numGpus(): number {
    const p = this.ensureScratch(4);
    this.check(this.fNumGpus(p));
    this.views();
    return this.i32[p >>> 2]!;
  }

  waitAll(): void { this.check(this.fWaitAll()); }

  async waitAllAsync(): Promise<void> {
    const flag = this.newFlag();
    const rc = this.fWaitAllSignal(flag);
    if (rc !== 0) {
      this.m._free(flag);
      throw this.lastError();
    }
    await this.waitFlag(flag);
  }

  setTrace(on: boolean): void { this.check(this.fSetTrace(on ? 1 : 0)); }
  takeTrace(): string { return this.stringOut(this.fTakeTrace); }
  randomSeed(seed: number, devType: number, devId: number): void {
    this.check(this.fRandomSeed(seed | 0, devType, devId));
  }

  memoryInfo(devType: number, devId: number): number[] {
    const p = this.ensureScratch(32);
    this.check(this.fMemoryInfo(devType, devId, p));
    this.views();
    return [this.readI64(p), this.readI64(p + 8), this.readI64(p + 16), this.readI64(p + 24)];
  }

  memoryRelease(devType: number, devId: number): void { this.check(this.fMemoryRelease(devType, devId)); }

  create(shape: readonly number[], dtype: number, devType: number, devId: number): Handle {
    const n = shape.length;
    const p = this.ensureScratch(8 + 8 * n);
    for (let i = 0; i < n; i++) this.writeI64(p + 8 + 8 * i, shape[i]!);
    this.check(this.fCreate(p + 8, n, dtype, devType, devId, p));
    this.views();
    return this.u32[p >>> 2]!;
  }

  free(h: Handle): void { this.check(this.fFree(h)); }

  shape(h: Handle): number[] {
    const p = this.ensureScratch(8);
    this.check(this.fGetShape(h, p, p + 4));
    this.views();
    const ndim = this.i32[p >>> 2]!;
    const sp = this.u32[(p + 4) >>> 2]!;
    const out = new Array<number>(ndim);
    for (let i = 0; i < ndim; i++) out[i] = this.readI64(sp + 8 * i);
    return out;
  }

  dtype(h: Handle): number {
    const p = this.ensureScratch(4);
    this.check(this.fGetDtype(h, p));
    this.views();
    return this.i32[p >>> 2]!;
  }

  context(h: Handle): [number, number] {
    const p = this.ensureScratch(8);
    this.check(this.fGetContext(h, p, p + 4));
    this.views();
    return [this.i32[p >>> 2]!, this.i32[(p + 4) >>> 2]!];
  }

  copyFrom(h: Handle, src: ArrayBufferView): void {
    const n = src.byteLength;
    const own = n > SCRATCH_REUSE_MAX;
    const p = own ? this.malloc(n) : this.ensureScratch(n);
    this.u8.set(this.bytesOf(src), p);
    const rc = this.fCopyFrom(h, p, n);
    if (own) this.m._free(p);
    this.check(rc);
  }

  copyTo(h: Handle, dst: ArrayBufferView): void {
    const n = dst.byteLength;
    const own = n > SCRATCH_REUSE_MAX;
    const p = own ? this.malloc(n) : this.ensureScratch(n);
    const rc = this.fCopyTo(h, p, n);
    if (rc === 0) {
      this.views();
      this.bytesOf(dst).set(this.u8.subarray(p, p + n));
    }
    if (own) this.m._free(p);
    this.check(rc);
  }

  waitToRead(h: Handle): void { this.check(this.fWaitToRead(h)); }
  waitToWrite(h: Handle): void { this.check(this.fWaitToWrite(h)); }

  async readAsync(h: Handle): Promise<void> {
    const flag = this.newFlag();
    const rc = this.fReadSignal(h, flag);
    if (rc !== 0) {
      this.m._free(flag);
      throw this.lastError();
    }
    await this.waitFlag(flag);
  }

  reshape(h: Handle, shape: readonly number[]): Handle {
    const n = shape.length;
    const p = this.ensureScratch(8 + 8 * n);
    for (let i = 0; i < n; i++) this.writeI64(p + 8 + 8 * i, shape[i]!);
    this.check(this.fReshape(h, p + 8, n, p));
    this.views();
    return this.u32[p >>> 2]!;
  }

  slice(h: Handle, begin: number, end: number): Handle {
    const p = this.ensureScratch(4);
    this.check(this.fSlice(h, ...this.i64Arg(begin), ...this.i64Arg(end), p));
    this.views();
    return this.u32[p >>> 2]!;
  }

  at(h: Handle, index: number): Handle {
    const p = this.ensureScratch(4);
    this.check(this.fAt(h, ...this.i64Arg(index), p));
    this.views();
    return this.u32[p >>> 2]!;
  }

  sameStorage(a: Handle, b: Handle): boolean {
    const p = this.ensureScratch(4);
    this.check(this.fSameStorage(a, b, p));
    this.views();
    return this.i32[p >>> 2] !== 0;
  }

  opGet(name: string): OpHandle {
    const p = this.ensureScratch(4 + 3 * name.length + 1);
    this.writeString(name, p + 4);
    this.check(this.fOpGet(p + 4, p));
    this.views();
    return this.u32[p >>> 2]!;
  }

  opListJSON(): string { return this.stringOut(this.fOpListJSON); }
  opCallCountsJSON(): string { return this.stringOut(this.fOpCallCounts); }

  invoke(op: OpHandle, inputs: readonly Handle[], outputs: readonly Handle[] | null,
         keys: readonly string[], vals: readonly string[]): Handle[] {
    const nIn = inputs.length;
    const nParams = keys.length;
    const cap = outputs !== null ? outputs.length : MAX_OUTPUTS;
    let strBytes = 0;
    for (let i = 0; i < nParams; i++) strBytes += 3 * keys[i]!.length + 3 * vals[i]!.length + 2;
    const pNum = this.ensureScratch(4 + 4 * (nIn + cap + 2 * nParams) + strBytes);
    const pIn = pNum + 4;
    const pOut = pIn + 4 * nIn;
    const pKeys = pOut + 4 * cap;
    const pVals = pKeys + 4 * nParams;
    let pStr = pVals + 4 * nParams;
    const u32 = this.u32;
    for (let i = 0; i < nIn; i++) u32[(pIn >>> 2) + i] = inputs[i]!;
    if (outputs !== null) {
      for (let i = 0; i < cap; i++) u32[(pOut >>> 2) + i] = outputs[i]!;
      this.i32[pNum >>> 2] = cap;
    } else {
      this.i32[pNum >>> 2] = 0;
    }
    for (let i = 0; i < nParams; i++) {
      u32[(pKeys >>> 2) + i] = pStr;
      pStr += this.writeString(keys[i]!, pStr);
      u32[(pVals >>> 2) + i] = pStr;
      pStr += this.writeString(vals[i]!, pStr);
    }
    this.check(this.fInvoke(op, nIn, pIn, pNum, pOut, cap, nParams, pKeys, pVals));
    if (outputs !== null) return outputs as Handle[];
    this.views();
    const nOut = this.i32[pNum >>> 2]!;
    const out = new Array<Handle>(nOut);
    for (let i = 0; i < nOut; i++) out[i] = this.u32[(pOut >>> 2) + i]!;
    return out;
  }

  save(handles: readonly Handle[], keys: readonly string[] | null): Uint8Array {
    const n = handles.length;
    let strBytes = 0;
    if (keys !== null) for (const k of keys) strBytes += 3 * k.length + 1;
    const p = this.ensureScratch(8 + 4 * n + (keys !== null ? 4 * n : 0) + strBytes);
    const pArr = p + 8;
    const pKeys = pArr + 4 * n;
    let pStr = pKeys + (keys !== null ? 4 * n : 0);
    for (let i = 0; i < n; i++) this.u32[(pArr >>> 2) + i] = handles[i]!;
    if (keys !== null) {
      for (let i = 0; i < n; i++) {
        this.u32[(pKeys >>> 2) + i] = pStr;
        pStr += this.writeString(keys[i]!, pStr);
      }
    }
    this.check(this.fSave(n, pArr, keys !== null ? pKeys : 0, p, p + 4));
    this.views();
    const buf = this.u32[p >>> 2]!;
    const len = this.u32[(p + 4) >>> 2]!;
    const out = this.u8.slice(buf, buf + len);
    this.check(this.fBufferFree(buf));
    return out;
  }

  load(bytes: Uint8Array): { arrays: Handle[]; keys: string[] } {
    const data = this.malloc(bytes.byteLength);
    this.u8.set(bytes, data);
    const p = this.ensureScratch(16);
    const rc = this.fLoad(data, bytes.byteLength, p, p + 4, p + 8, p + 12);
    this.m._free(data);
    this.check(rc);
    this.views();
    const nArr = this.i32[p >>> 2]!;
    const pArr = this.u32[(p + 4) >>> 2]!;
    const nKeys = this.i32[(p + 8) >>> 2]!;
    const pKeys = this.u32[(p + 12) >>> 2]!;
    const arrays = new Array<Handle>(nArr);
    for (let i = 0; i < nArr; i++) arrays[i] = this.u32[(pArr >>> 2) + i]!;
    const keys = new Array<string>(nKeys);
    for (let i = 0; i < nKeys; i++) keys[i] = this.readCString(this.u32[(pKeys >>> 2) + i]!);
    return { arrays, keys };
  }
  // ---- autograd ----

  private intOut(f: WasmFn, ...args: number[]): number {
    const p = this.ensureScratch(4);
    this.check(f(...args, p));
    this.views();
    return this.i32[p >>> 2]!;
  }

  setRecording(on: boolean): boolean { return this.intOut(this.fSetRecording, on ? 1 : 0) !== 0; }
  setTraining(on: boolean): boolean { return this.intOut(this.fSetTraining, on ? 1 : 0) !== 0; }
  isRecording(): boolean { return this.intOut(this.fIsRecording) !== 0; }
  isTraining(): boolean { return this.intOut(this.fIsTraining) !== 0; }

  markVariables(vars: readonly Handle[], reqs: readonly number[], grads: readonly Handle[]): void {
    const n = vars.length;
    const p = this.ensureScratch(12 * n + 4);
    for (let i = 0; i < n; i++) {
      this.u32[(p >>> 2) + i] = vars[i]!;
      this.i32[(p >>> 2) + n + i] = reqs[i]!;
      this.u32[(p >>> 2) + 2 * n + i] = grads[i]!;
    }
    this.check(this.fMarkVariables(n, p, p + 4 * n, p + 8 * n));
  }

  backward(heads: readonly Handle[], headGrads: readonly Handle[] | null, vars: readonly Handle[],
           retainGraph: boolean, createGraph: boolean, isTrain: boolean): Handle[] {
    const nh = heads.length;
    const nv = vars.length;
    const p = this.ensureScratch(4 * (2 * nh + 2 * nv) + 4);
    const pHeads = p;
    const pGrads = pHeads + 4 * nh;
    const pVars = pGrads + 4 * nh;
    const pOut = pVars + 4 * nv;
    for (let i = 0; i < nh; i++) {
      this.u32[(pHeads >>> 2) + i] = heads[i]!;
      this.u32[(pGrads >>> 2) + i] = headGrads !== null ? headGrads[i]! : 0;
    }
    for (let i = 0; i < nv; i++) this.u32[(pVars >>> 2) + i] = vars[i]!;
    this.check(this.fBackward(nh, pHeads, headGrads !== null ? pGrads : 0, nv, pVars, retainGraph ? 1 : 0,
                              createGraph ? 1 : 0, isTrain ? 1 : 0, pOut));
    this.views();
    const out = new Array<Handle>(nv);
    for (let i = 0; i < nv; i++) out[i] = this.u32[(pOut >>> 2) + i]!;
    return out;
  }

  detach(h: Handle): Handle { return this.intOut(this.fDetach, h) >>> 0; }
  gradOf(h: Handle): Handle { return this.intOut(this.fGetGrad, h) >>> 0; }
  autogradKind(h: Handle): number { return this.intOut(this.fAutogradKind, h); }
  gradState(h: Handle): boolean { return this.intOut(this.fGetGradState, h) !== 0; }
  setGradState(h: Handle, fresh: boolean): void { this.check(this.fSetGradState(h, fresh ? 1 : 0)); }
  setCustomBackward(fn: (id: number, ograds: Handle[], numInputs: number) => Handle[]): void {
    // Called from inside ist_autograd_backward (core-cpp/c_api): must not throw into the wasm frames.
    this.m.istCustomBackward = (id: number, nOg: number, pOg: number, nIg: number, pIg: number): number => {
      try {
        this.views();
        const og: Handle[] = [];
        for (let i = 0; i < nOg; i++) og.push(this.u32[(pOg >>> 2) + i]!);
        const ig = fn(id, og, nIg);
        if (ig.length !== nIg) throw new IsotensorError('the custom backward callback must return one handle per input');
        this.views();
        for (let i = 0; i < nIg; i++) this.u32[(pIg >>> 2) + i] = ig[i]!;
        return 0;
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        const bytes = this.m.lengthBytesUTF8(msg) + 1;
        const p = this.m._malloc(bytes) >>> 0;
        if (p === 0) return 0;
        this.m.stringToUTF8(msg, p, bytes);
        return p;
      }
    };
  }

  recordCustom(id: number, inputs: readonly Handle[], outputs: readonly Handle[]): void {
    const n = inputs.length;
    const m = outputs.length;
    const p = this.ensureScratch(4 * (n + m) + 4);
    for (let i = 0; i < n; i++) this.u32[(p >>> 2) + i] = inputs[i]!;
    for (let i = 0; i < m; i++) this.u32[(p >>> 2) + n + i] = outputs[i]!;
    this.check(this.fRecordCustom(id, n, p, m, p + 4 * n));
  }

  takeReleasedCustom(): number[] {
    const cap = 256;
    const p = this.ensureScratch(4 * cap + 4);
    this.check(this.fTakeReleasedCustom(cap, p + 4, p));
    this.views();
    const n = this.i32[p >>> 2]!;
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.i32[(p >>> 2) + 1 + i]!);
    return out;
  }

  /* ---- symbol ---- C functions bound on first use (this section keeps to itself). */
  private symFns = new Map<string, WasmFn>();
  private sf(name: string): WasmFn {
    let f = this.symFns.get(name);
    if (f === undefined) {
      const raw = this.m.asm?.['ist_symbol_' + name] ?? this.m['_ist_symbol_' + name];
      if (typeof raw !== 'function') throw new IsotensorError(`the WebAssembly module does not export ist_symbol_${name}`);
      f = raw as WasmFn;
      this.symFns.set(name, f);
    }
    return f;
  }

  /** Writes strings after `base` (pointer table first); returns the table's address. */
  private symStrings(strs: readonly string[], base: number): number {
    let pStr = base + 4 * strs.length;
    for (let i = 0; i < strs.length; i++) {
      this.u32[(base >>> 2) + i] = pStr;
      pStr += this.writeString(strs[i]!, pStr);
    }
    return base;
  }

  /** Bytes symStrings may write, rounded up so what follows stays 4-byte aligned. */
  private symStringBytes(strs: readonly string[]): number {
    let n = 4 * strs.length;
    for (const s of strs) n += 3 * s.length + 1;
    return (n + 3) & ~3;
  }

  /** Calls f(...args, out) with a handle out-parameter. */
  private symHandleOut(f: WasmFn, ...args: number[]): SymbolHandle {
    const p = this.ensureScratch(4);
    this.check(f(...args, p));
    this.views();
    return this.u32[p >>> 2]!;
  }

  private symStringOut(f: WasmFn, ...args: number[]): string {
    const p = this.ensureScratch(4);
    this.check(f(...args, p));
    this.views();
    return this.readCString(this.u32[p >>> 2]!);
  }

  symbolVariable(name: string): SymbolHandle {
    const p = this.ensureScratch(4 + 3 * name.length + 1);
    this.writeString(name, p + 4);
    this.check(this.sf('create_variable')(p + 4, p));
    this.views();
    return this.u32[p >>> 2]!;
  }

  symbolAtomic(op: string, keys: readonly string[], vals: readonly string[]): SymbolHandle {
    const p = this.ensureScratch(8 + 3 * op.length + 1 + this.symStringBytes(keys) + this.symStringBytes(vals));
    const pKeys = p + 4;
    const pVals = pKeys + this.symStringBytes(keys);
    const pOp = pVals + this.symStringBytes(vals);
    this.symStrings(keys, pKeys);
    this.symStrings(vals, pVals);
    this.writeString(op, pOp);
    this.check(this.sf('create_atomic')(pOp, keys.length, pKeys, pVals, p));
    this.views();
    return this.u32[p >>> 2]!;
  }

  symbolCompose(h: SymbolHandle, name: string | null, args: readonly SymbolHandle[], keys: readonly string[] | null): void {
    const nameBytes = name === null ? 0 : 3 * name.length + 1;
    const keyBytes = keys === null ? 0 : this.symStringBytes(keys);
    const p = this.ensureScratch(4 * args.length + keyBytes + nameBytes + 4);
    for (let i = 0; i < args.length; i++) this.u32[(p >>> 2) + i] = args[i]!;
    const pKeys = p + 4 * args.length;
    if (keys !== null) this.symStrings(keys, pKeys);
    const pName = pKeys + keyBytes;
    if (name !== null) this.writeString(name, pName);
    this.check(this.sf('compose')(h, name === null ? 0 : pName, args.length, keys === null ? 0 : pKeys, p));
  }

  symbolFree(h: SymbolHandle): void { this.check(this.sf('free')(h)); }
  symbolCopy(h: SymbolHandle): SymbolHandle { return this.symHandleOut(this.sf('copy'), h); }

  symbolGroup(hs: readonly SymbolHandle[]): SymbolHandle {
    const p = this.ensureScratch(4 * hs.length + 4);
    for (let i = 0; i < hs.length; i++) this.u32[(p >>> 2) + 1 + i] = hs[i]!;
    this.check(this.sf('group')(hs.length, p + 4, p));
    this.views();
    return this.u32[p >>> 2]!;
  }

  symbolNumOutputs(h: SymbolHandle): number { return this.intOut(this.sf('num_outputs'), h); }
  symbolGetOutput(h: SymbolHandle, index: number): SymbolHandle { return this.symHandleOut(this.sf('get_output'), h, index); }
  symbolInternals(h: SymbolHandle): SymbolHandle { return this.symHandleOut(this.sf('get_internals'), h); }
  symbolChildren(h: SymbolHandle): SymbolHandle { return this.symHandleOut(this.sf('get_children'), h); }
  symbolCutSubgraph(h: SymbolHandle): SymbolHandle { return this.symHandleOut(this.sf('cut_subgraph'), h); }
  symbolList(h: SymbolHandle, which: number): string { return this.symStringOut(this.sf('list'), h, which); }

  symbolGetAttr(h: SymbolHandle, key: string): string | null {
    const p = this.ensureScratch(8 + 3 * key.length + 1);
    this.writeString(key, p + 8);
    this.check(this.sf('get_attr')(h, p + 8, p, p + 4));
    this.views();
    if (this.i32[(p + 4) >>> 2] === 0) return null;
    return this.readCString(this.u32[p >>> 2]!);
  }

  symbolSetAttr(h: SymbolHandle, key: string, value: string): void {
    const p = this.ensureScratch(3 * key.length + 3 * value.length + 2);
    const pVal = p + this.writeString(key, p);
    this.writeString(value, pVal);
    this.check(this.sf('set_attr')(h, p, pVal));
  }

  symbolListAttr(h: SymbolHandle, recursive: boolean): string {
    return this.symStringOut(this.sf('list_attr'), h, recursive ? 1 : 0);
  }

  symbolToJSON(h: SymbolHandle): string { return this.symStringOut(this.sf('to_json'), h); }

  symbolFromJSON(json: string): SymbolHandle {
    const bytes = this.m.lengthBytesUTF8(json) + 1;
    const data = this.malloc(bytes);
    this.m.stringToUTF8(json, data, bytes);
    const p = this.ensureScratch(4);
    const rc = this.sf('from_json')(data, p);
    this.m._free(data);
    this.check(rc);
    this.views();
    return this.u32[p >>> 2]!;
  }

  /* ---- executor ---- C functions bound on first use (this section keeps to itself). */
  private execFns = new Map<string, WasmFn>();
  private monitors = new Map<number, (name: string, h: Handle) => void>();
  private monitorError: unknown = null;
  private xf(name: string): WasmFn {
    let f = this.execFns.get(name);
    if (f === undefined) {
      const raw = this.m.asm?.[name] ?? this.m['_' + name];
      if (typeof raw !== 'function') throw new IsotensorError(`the WebAssembly module does not export ${name}`);
      f = raw as WasmFn;
      this.execFns.set(name, f);
    }
    return f;
  }

  /** Writes a table of string pointers at `base` followed by the strings; returns the end. */
  private xStrings(strs: readonly string[], base: number): number {
    let pStr = base + 4 * strs.length;
    for (let i = 0; i < strs.length; i++) {
      this.u32[(base >>> 2) + i] = pStr;
      pStr += this.writeString(strs[i]!, pStr);
    }
    return pStr;
  }

  private xStringBytes(strs: readonly string[] | null): number {
    if (strs === null) return 0;
    let n = 4 * strs.length;
    for (const s of strs) n += 3 * s.length + 1;
    return n;
  }

  /** Rethrows an error the monitor callback raised during the last forward/backward. */
  private checkMonitor(rc: number): void {
    const err = this.monitorError;
    this.monitorError = null;
    this.check(rc);
    if (err !== null) throw err;
  }

  symbolInferShape(h: SymbolHandle, keys: readonly string[] | null, shapes: readonly (readonly number[])[],
                   partial: boolean): string {
    const n = shapes.length;
    let total = 0;
    for (const sh of shapes) total += sh.length;
    const pInd = 8;
    const pData = (pInd + 4 * (n + 1) + 7) & ~7;
    const pKeys = pData + 8 * total;
    const p = this.ensureScratch(pKeys + this.xStringBytes(keys) + 8);
    let k = 0;
    this.i32[(p + pInd) >>> 2] = 0;
    for (let i = 0; i < n; i++) {
      for (const d of shapes[i]!) this.writeI64(p + pData + 8 * k++, d);
      this.i32[((p + pInd) >>> 2) + i + 1] = k;
    }
    if (keys !== null) this.xStrings(keys, p + pKeys);
    this.check(this.xf('ist_symbol_infer_shape')(h, n, keys === null ? 0 : p + pKeys, p + pInd, p + pData,
                                                 partial ? 1 : 0, p));
    this.views();
    return this.readCString(this.u32[p >>> 2]!);
  }

  symbolInferType(h: SymbolHandle, keys: readonly string[] | null, dtypes: readonly number[], partial: boolean): string {
    const n = dtypes.length;
    const p = this.ensureScratch(8 + 4 * n + this.xStringBytes(keys));
    for (let i = 0; i < n; i++) this.i32[((p + 8) >>> 2) + i] = dtypes[i]!;
    const pKeys = p + 8 + 4 * n;
    if (keys !== null) this.xStrings(keys, pKeys);
    this.check(this.xf('ist_symbol_infer_type')(h, n, keys === null ? 0 : pKeys, p + 8, partial ? 1 : 0, p));
    this.views();
    return this.readCString(this.u32[p >>> 2]!);
  }

  executorBind(sym: SymbolHandle, devType: number, devId: number, args: readonly Handle[], grads: readonly Handle[],
               reqs: readonly number[], aux: readonly Handle[], groupNames: readonly string[],
               groupDevTypes: readonly number[], groupDevIds: readonly number[], flags: number): ExecutorHandle {
    const n = args.length;
    const g = groupNames.length;
    const pArgs = 8;
    const pGrads = pArgs + 4 * n;
    const pReqs = pGrads + 4 * n;
    const pAux = pReqs + 4 * n;
    const pTypes = pAux + 4 * aux.length;
    const pIds = pTypes + 4 * g;
    const pNames = pIds + 4 * g;
    const p = this.ensureScratch(pNames + this.xStringBytes(groupNames) + 8);
    const u32 = this.u32;
    for (let i = 0; i < n; i++) {
      u32[((p + pArgs) >>> 2) + i] = args[i]!;
      u32[((p + pGrads) >>> 2) + i] = grads[i]!;
      this.i32[((p + pReqs) >>> 2) + i] = reqs[i]!;
    }
    for (let i = 0; i < aux.length; i++) u32[((p + pAux) >>> 2) + i] = aux[i]!;
    for (let i = 0; i < g; i++) {
      this.i32[((p + pTypes) >>> 2) + i] = groupDevTypes[i]!;
      this.i32[((p + pIds) >>> 2) + i] = groupDevIds[i]!;
    }
    this.xStrings(groupNames, p + pNames);
    this.check(this.xf('ist_executor_bind')(sym, devType, devId, n, p + pArgs, p + pGrads, p + pReqs, aux.length,
                                            p + pAux, g, p + pNames, p + pTypes, p + pIds, flags, p));
    this.views();
    return this.u32[p >>> 2]!;
  }

  executorFree(h: ExecutorHandle): void {
    this.monitors.delete(h);
    this.check(this.xf('ist_executor_free')(h));
  }

  executorForward(h: ExecutorHandle, isTrain: boolean): void {
    this.checkMonitor(this.xf('ist_executor_forward')(h, isTrain ? 1 : 0));
  }

  executorBackward(h: ExecutorHandle, outGrads: readonly Handle[] | null, isTrain: boolean): void {
    const n = outGrads === null ? 0 : outGrads.length;
    const p = this.ensureScratch(4 * n + 4);
    for (let i = 0; i < n; i++) this.u32[(p >>> 2) + i] = outGrads![i]!;
    this.checkMonitor(this.xf('ist_executor_backward')(h, n, outGrads === null ? 0 : p, isTrain ? 1 : 0));
  }

  executorOutputs(h: ExecutorHandle): Handle[] {
    const p = this.ensureScratch(4 + 4 * MAX_OUTPUTS);
    this.check(this.xf('ist_executor_outputs')(h, MAX_OUTPUTS, p, p + 4));
    this.views();
    const n = this.i32[p >>> 2]!;
    const out: Handle[] = [];
    for (let i = 0; i < n; i++) out.push(this.u32[((p + 4) >>> 2) + i]!);
    return out;
  }

  executorPlanStats(h: ExecutorHandle): number[] {
    const p = this.ensureScratch(40);
    this.check(this.xf('ist_executor_plan_stats')(h, p));
    this.views();
    const out: number[] = [];
    for (let i = 0; i < 5; i++) out.push(this.readI64(p + 8 * i));
    return out;
  }

  executorPlanJSON(h: ExecutorHandle): string {
    const p = this.ensureScratch(4);
    this.check(this.xf('ist_executor_plan_json')(h, p));
    this.views();
    return this.readCString(this.u32[p >>> 2]!);
  }

  executorSetMonitor(h: ExecutorHandle, fn: ((name: string, h: Handle) => void) | null, monitorAll: boolean): void {
    // Called from inside forward/backward (core-cpp/c_api): must not throw into the wasm frames.
    this.m.istExecutorMonitor ??= (user: number, pName: number, value: number): void => {
      const cb = this.monitors.get(user >>> 0);
      if (cb === undefined || this.monitorError !== null) {
        this.fFree(value);
        return;
      }
      try {
        cb(this.readCString(pName), value >>> 0);
      } catch (e) {
        this.monitorError = e;
      }
    };
    if (fn === null) {
      this.monitors.delete(h);
      this.check(this.xf('ist_executor_set_monitor')(h, 0, 0, 0));
      return;
    }
    this.monitors.set(h, fn);
    this.check(this.xf('ist_executor_set_monitor')(h, 0, h, monitorAll ? 1 : 0));
  }
}
