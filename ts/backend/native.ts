// The native Node addon as a Backend: a thin pass-through that turns thrown Errors into IsotensorErrors.
// SPDX-License-Identifier: Apache-2.0
import { toIsotensorError } from '../base/error.js';
import type { Backend, ExecutorHandle, Handle, OpHandle, SymbolHandle } from './backend.js';
import type { NativeAddon } from './native_loader.js';

// Outputs an op may create in one call (the addon's kMaxOutputs: split may make many).
const MAX_OUTPUTS = 4096;

/** Backend over bindings/build/isotensor.node. @internal */
export class NativeBackend implements Backend {
  readonly name = 'native' as const;
  readonly flavour = null;
  readonly canBlock = true;
  private readonly a: NativeAddon;
  // invoke's handle block, shared with the addon (see its setInvokeBuffer).
  private handleBuf = new Float64Array(2 * MAX_OUTPUTS);

  /** Wraps a loaded addon and starts its engine (threads: 0 = hardware concurrency). */
  constructor(addon: NativeAddon, numThreads = 0) {
    this.a = addon;
    try {
      addon.init(numThreads, 0);
      addon.setInvokeBuffer(this.handleBuf);
    } catch (e) {
      throw toIsotensorError(e);
    }
  }

  runtimeInfo(): string { try { return this.a.runtimeInfo(); } catch (e) { throw toIsotensorError(e); } }
  numGpus(): number { try { return this.a.numGpus(); } catch (e) { throw toIsotensorError(e); } }
  waitAll(): void { try { this.a.waitAll(); } catch (e) { throw toIsotensorError(e); } }
  async waitAllAsync(): Promise<void> {
    try { await this.a.waitAllAsync(); } catch (e) { throw toIsotensorError(e); }
  }
  setTrace(on: boolean): void { try { this.a.setTrace(on); } catch (e) { throw toIsotensorError(e); } }
  takeTrace(): string { try { return this.a.takeTrace(); } catch (e) { throw toIsotensorError(e); } }
  randomSeed(seed: number, devType: number, devId: number): void {
    try { this.a.randomSeed(seed, devType, devId); } catch (e) { throw toIsotensorError(e); }
  }
  memoryInfo(devType: number, devId: number): number[] {
    try { return this.a.memoryInfo(devType, devId); } catch (e) { throw toIsotensorError(e); }
  }
  memoryRelease(devType: number, devId: number): void {
    try { this.a.memoryRelease(devType, devId); } catch (e) { throw toIsotensorError(e); }
  }

  create(shape: readonly number[], dtype: number, devType: number, devId: number): Handle {
    try { return this.a.create(shape as number[], dtype, devType, devId); } catch (e) { throw toIsotensorError(e); }
  }
  free(h: Handle): void { try { this.a.free(h); } catch (e) { throw toIsotensorError(e); } }
  shape(h: Handle): number[] { try { return this.a.shape(h); } catch (e) { throw toIsotensorError(e); } }
  dtype(h: Handle): number { try { return this.a.dtype(h); } catch (e) { throw toIsotensorError(e); } }
  context(h: Handle): [number, number] { try { return this.a.context(h); } catch (e) { throw toIsotensorError(e); } }
  copyFrom(h: Handle, src: ArrayBufferView): void {
    try { this.a.copyFrom(h, src); } catch (e) { throw toIsotensorError(e); }
  }
  copyTo(h: Handle, dst: ArrayBufferView): void { try { this.a.copyTo(h, dst); } catch (e) { throw toIsotensorError(e); } }
  waitToRead(h: Handle): void { try { this.a.waitToRead(h); } catch (e) { throw toIsotensorError(e); } }
  waitToWrite(h: Handle): void { try { this.a.waitToWrite(h); } catch (e) { throw toIsotensorError(e); } }
  async readAsync(h: Handle): Promise<void> {
    try { await this.a.readAsync(h); } catch (e) { throw toIsotensorError(e); }
  }
  reshape(h: Handle, shape: readonly number[]): Handle {
    try { return this.a.reshape(h, shape as number[]); } catch (e) { throw toIsotensorError(e); }
  }
  slice(h: Handle, begin: number, end: number): Handle {
    try { return this.a.slice(h, begin, end); } catch (e) { throw toIsotensorError(e); }
  }
  at(h: Handle, index: number): Handle { try { return this.a.at(h, index); } catch (e) { throw toIsotensorError(e); } }
  sameStorage(a: Handle, b: Handle): boolean {
    try { return this.a.sameStorage(a, b); } catch (e) { throw toIsotensorError(e); }
  }

  opGet(name: string): OpHandle { try { return this.a.opGet(name); } catch (e) { throw toIsotensorError(e); } }
  opCallCountsJSON(): string { try { return this.a.opCallCountsJSON(); } catch (e) { throw toIsotensorError(e); } }
  opListJSON(): string { try { return this.a.opListJSON(); } catch (e) { throw toIsotensorError(e); } }
  invoke(op: OpHandle, inputs: readonly Handle[], outputs: readonly Handle[] | null,
         keys: readonly string[], vals: readonly string[]): Handle[] {
    const nIn = inputs.length;
    const nGiven = outputs !== null ? outputs.length : 0;
    let buf = this.handleBuf;
    if (nIn + Math.max(nGiven, MAX_OUTPUTS) > buf.length) {
      buf = this.handleBuf = new Float64Array(2 * (nIn + Math.max(nGiven, MAX_OUTPUTS)));
      this.a.setInvokeBuffer(buf);
    }
    for (let i = 0; i < nIn; i++) buf[i] = inputs[i]!;
    for (let i = 0; i < nGiven; i++) buf[nIn + i] = outputs![i]!;
    const noParams = keys.length === 0;
    let nOut: number;
    try {
      nOut = this.a.invoke(op, nIn, nGiven, noParams ? null : keys as string[], noParams ? null : vals as string[]);
    } catch (e) {
      throw toIsotensorError(e);
    }
    if (nGiven > 0) return outputs as Handle[];
    const res = new Array<Handle>(nOut);
    for (let i = 0; i < nOut; i++) res[i] = buf[nIn + i]!;
    return res;
  }

  save(handles: readonly Handle[], keys: readonly string[] | null): Uint8Array {
    try { return this.a.save(handles as number[], keys as string[] | null); } catch (e) { throw toIsotensorError(e); }
  }
  load(bytes: Uint8Array): { arrays: Handle[]; keys: string[] } {
    try { return this.a.load(bytes); } catch (e) { throw toIsotensorError(e); }
  }
  setRecording(on: boolean): boolean { try { return this.a.setRecording(on); } catch (e) { throw toIsotensorError(e); } }
  setTraining(on: boolean): boolean { try { return this.a.setTraining(on); } catch (e) { throw toIsotensorError(e); } }
  isRecording(): boolean { try { return this.a.isRecording(); } catch (e) { throw toIsotensorError(e); } }
  isTraining(): boolean { try { return this.a.isTraining(); } catch (e) { throw toIsotensorError(e); } }
  markVariables(vars: readonly Handle[], reqs: readonly number[], grads: readonly Handle[]): void {
    try { this.a.markVariables(vars as Handle[], reqs as number[], grads as Handle[]); } catch (e) { throw toIsotensorError(e); }
  }
  backward(heads: readonly Handle[], headGrads: readonly Handle[] | null, vars: readonly Handle[],
           retainGraph: boolean, createGraph: boolean, isTrain: boolean): Handle[] {
    try {
      return this.a.backward(heads as Handle[], headGrads as Handle[] | null, vars as Handle[], retainGraph,
                             createGraph, isTrain);
    } catch (e) { throw toIsotensorError(e); }
  }
  detach(h: Handle): Handle { try { return this.a.detach(h); } catch (e) { throw toIsotensorError(e); } }
  gradOf(h: Handle): Handle { try { return this.a.gradOf(h); } catch (e) { throw toIsotensorError(e); } }
  autogradKind(h: Handle): number { try { return this.a.autogradKind(h); } catch (e) { throw toIsotensorError(e); } }
  gradState(h: Handle): boolean { try { return this.a.gradState(h); } catch (e) { throw toIsotensorError(e); } }
  setGradState(h: Handle, fresh: boolean): void { try { this.a.setGradState(h, fresh); } catch (e) { throw toIsotensorError(e); } }
  setCustomBackward(fn: (id: number, ograds: Handle[], numInputs: number) => Handle[]): void {
    try { this.a.setCustomBackward(fn); } catch (e) { throw toIsotensorError(e); }
  }
  recordCustom(id: number, inputs: readonly Handle[], outputs: readonly Handle[]): void {
    try { this.a.recordCustom(id, inputs as Handle[], outputs as Handle[]); } catch (e) { throw toIsotensorError(e); }
  }
  takeReleasedCustom(): number[] { try { return this.a.takeReleasedCustom(); } catch (e) { throw toIsotensorError(e); } }

  /* ---- symbol ---- */
  private get sa(): SymbolAddon { return this.a as unknown as SymbolAddon; }
  symbolVariable(name: string): SymbolHandle {
    try { return this.sa.symbolVariable(name); } catch (e) { throw toIsotensorError(e); }
  }
  symbolAtomic(op: string, keys: readonly string[], vals: readonly string[]): SymbolHandle {
    try { return this.sa.symbolAtomic(op, keys, vals); } catch (e) { throw toIsotensorError(e); }
  }
  symbolCompose(h: SymbolHandle, name: string | null, args: readonly SymbolHandle[], keys: readonly string[] | null): void {
    try { this.sa.symbolCompose(h, name, args, keys); } catch (e) { throw toIsotensorError(e); }
  }
  symbolFree(h: SymbolHandle): void { try { this.sa.symbolFree(h); } catch (e) { throw toIsotensorError(e); } }
  symbolCopy(h: SymbolHandle): SymbolHandle { try { return this.sa.symbolCopy(h); } catch (e) { throw toIsotensorError(e); } }
  symbolGroup(hs: readonly SymbolHandle[]): SymbolHandle {
    try { return this.sa.symbolGroup(hs); } catch (e) { throw toIsotensorError(e); }
  }
  symbolNumOutputs(h: SymbolHandle): number { try { return this.sa.symbolNumOutputs(h); } catch (e) { throw toIsotensorError(e); } }
  symbolGetOutput(h: SymbolHandle, index: number): SymbolHandle {
    try { return this.sa.symbolGetOutput(h, index); } catch (e) { throw toIsotensorError(e); }
  }
  symbolInternals(h: SymbolHandle): SymbolHandle { try { return this.sa.symbolInternals(h); } catch (e) { throw toIsotensorError(e); } }
  symbolChildren(h: SymbolHandle): SymbolHandle { try { return this.sa.symbolChildren(h); } catch (e) { throw toIsotensorError(e); } }
  symbolCutSubgraph(h: SymbolHandle): SymbolHandle { try { return this.sa.symbolCutSubgraph(h); } catch (e) { throw toIsotensorError(e); } }
  symbolList(h: SymbolHandle, which: number): string { try { return this.sa.symbolList(h, which); } catch (e) { throw toIsotensorError(e); } }
  symbolGetAttr(h: SymbolHandle, key: string): string | null {
    try { return this.sa.symbolGetAttr(h, key); } catch (e) { throw toIsotensorError(e); }
  }
  symbolSetAttr(h: SymbolHandle, key: string, value: string): void {
    try { this.sa.symbolSetAttr(h, key, value); } catch (e) { throw toIsotensorError(e); }
  }
  symbolListAttr(h: SymbolHandle, recursive: boolean): string {
    try { return this.sa.symbolListAttr(h, recursive); } catch (e) { throw toIsotensorError(e); }
  }
  symbolToJSON(h: SymbolHandle): string { try { return this.sa.symbolToJSON(h); } catch (e) { throw toIsotensorError(e); } }
  symbolFromJSON(json: string): SymbolHandle { try { return this.sa.symbolFromJSON(json); } catch (e) { throw toIsotensorError(e); } }

  /* ---- executor ---- */
  private get xa(): ExecutorAddon { return this.a as unknown as ExecutorAddon; }
  symbolInferShape(h: SymbolHandle, keys: readonly string[] | null, shapes: readonly (readonly number[])[],
                   partial: boolean): string {
    try { return this.xa.symbolInferShape(h, keys, shapes, partial); } catch (e) { throw toIsotensorError(e); }
  }
  symbolInferType(h: SymbolHandle, keys: readonly string[] | null, dtypes: readonly number[], partial: boolean): string {
    try { return this.xa.symbolInferType(h, keys, dtypes, partial); } catch (e) { throw toIsotensorError(e); }
  }
  executorBind(sym: SymbolHandle, devType: number, devId: number, args: readonly Handle[], grads: readonly Handle[],
               reqs: readonly number[], aux: readonly Handle[], groupNames: readonly string[],
               groupDevTypes: readonly number[], groupDevIds: readonly number[], flags: number): ExecutorHandle {
    try {
      return this.xa.executorBind(sym, devType, devId, args, grads, reqs, aux, groupNames, groupDevTypes, groupDevIds,
                                  flags);
    } catch (e) { throw toIsotensorError(e); }
  }
  executorFree(h: ExecutorHandle): void { try { this.xa.executorFree(h); } catch (e) { throw toIsotensorError(e); } }
  executorForward(h: ExecutorHandle, isTrain: boolean): void {
    try { this.xa.executorForward(h, isTrain); } catch (e) { throw toIsotensorError(e); }
  }
  executorBackward(h: ExecutorHandle, outGrads: readonly Handle[] | null, isTrain: boolean): void {
    try { this.xa.executorBackward(h, outGrads, isTrain); } catch (e) { throw toIsotensorError(e); }
  }
  executorOutputs(h: ExecutorHandle): Handle[] { try { return this.xa.executorOutputs(h); } catch (e) { throw toIsotensorError(e); } }
  executorPlanStats(h: ExecutorHandle): number[] {
    try { return this.xa.executorPlanStats(h); } catch (e) { throw toIsotensorError(e); }
  }
  executorPlanJSON(h: ExecutorHandle): string { try { return this.xa.executorPlanJSON(h); } catch (e) { throw toIsotensorError(e); } }
  executorSetMonitor(h: ExecutorHandle, fn: ((name: string, h: Handle) => void) | null, monitorAll: boolean): void {
    try { this.xa.executorSetMonitor(h, fn, monitorAll); } catch (e) { throw toIsotensorError(e); }
  }
}

/* ---- symbol ---- the addon's symbol functions (bindings/addon.cc), named as in Backend. */
interface SymbolAddon {
  symbolVariable(name: string): SymbolHandle;
  symbolAtomic(op: string, keys: readonly string[], vals: readonly string[]): SymbolHandle;
  symbolCompose(h: SymbolHandle, name: string | null, args: readonly SymbolHandle[], keys: readonly string[] | null): void;
  symbolFree(h: SymbolHandle): void;
  symbolCopy(h: SymbolHandle): SymbolHandle;
  symbolGroup(hs: readonly SymbolHandle[]): SymbolHandle;
  symbolNumOutputs(h: SymbolHandle): number;
  symbolGetOutput(h: SymbolHandle, index: number): SymbolHandle;
  symbolInternals(h: SymbolHandle): SymbolHandle;
  symbolChildren(h: SymbolHandle): SymbolHandle;
  symbolCutSubgraph(h: SymbolHandle): SymbolHandle;
  symbolList(h: SymbolHandle, which: number): string;
  symbolGetAttr(h: SymbolHandle, key: string): string | null;
  symbolSetAttr(h: SymbolHandle, key: string, value: string): void;
  symbolListAttr(h: SymbolHandle, recursive: boolean): string;
  symbolToJSON(h: SymbolHandle): string;
  symbolFromJSON(json: string): SymbolHandle;
}

/* ---- executor ---- the addon's executor functions (bindings/addon.cc), named as in Backend. */
interface ExecutorAddon {
  symbolInferShape(h: SymbolHandle, keys: readonly string[] | null, shapes: readonly (readonly number[])[],
                   partial: boolean): string;
  symbolInferType(h: SymbolHandle, keys: readonly string[] | null, dtypes: readonly number[], partial: boolean): string;
  executorBind(sym: SymbolHandle, devType: number, devId: number, args: readonly Handle[], grads: readonly Handle[],
               reqs: readonly number[], aux: readonly Handle[], groupNames: readonly string[],
               groupDevTypes: readonly number[], groupDevIds: readonly number[], flags: number): ExecutorHandle;
  executorFree(h: ExecutorHandle): void;
  executorForward(h: ExecutorHandle, isTrain: boolean): void;
  executorBackward(h: ExecutorHandle, outGrads: readonly Handle[] | null, isTrain: boolean): void;
  executorOutputs(h: ExecutorHandle): Handle[];
  executorPlanStats(h: ExecutorHandle): number[];
  executorPlanJSON(h: ExecutorHandle): string;
  executorSetMonitor(h: ExecutorHandle, fn: ((name: string, h: Handle) => void) | null, monitorAll: boolean): void;
}
