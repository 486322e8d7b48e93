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
/** A symbol handle (a pointer value). */
export type SymbolHandle = number;
/** An executor handle (a pointer value). */
export type ExecutorHandle = number;

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
  /** JSON {"op": {"float32": calls, ...}} since start-up (the operator coverage report). */
  opCallCountsJSON(): string;
  /** Pushes an op. outputs: caller-provided arrays that receive the results, or null for new ones. */
  invoke(op: OpHandle, inputs: readonly Handle[], outputs: readonly Handle[] | null,
         keys: readonly string[], vals: readonly string[]): Handle[];

  save(handles: readonly Handle[], keys: readonly string[] | null): Uint8Array;
  load(bytes: Uint8Array): { arrays: Handle[]; keys: string[] };

  /** Autograd switches (per thread in the core); setters return the previous value. */
  setRecording(on: boolean): boolean;
  setTraining(on: boolean): boolean;
  isRecording(): boolean;
  isTraining(): boolean;
  /** reqs: 0 null, 1 write, 3 add; grads[i] may be 0 with req 0. */
  markVariables(vars: readonly Handle[], reqs: readonly number[], grads: readonly Handle[]): void;
  /**
   * Differentiates heads (headGrads: null, or per head a handle or 0 for ones). With vars empty,
   * writes into the variables' gradient buffers and returns []; otherwise new gradient handles.
   */
  backward(heads: readonly Handle[], headGrads: readonly Handle[] | null, vars: readonly Handle[],
           retainGraph: boolean, createGraph: boolean, isTrain: boolean): Handle[];
  detach(h: Handle): Handle;
  /** The variable's gradient buffer as a new handle, or 0. */
  gradOf(h: Handle): Handle;
  /** 0 untracked, 1 variable, 2 recorded op output. */
  autogradKind(h: Handle): number;
  /** Whether backward wrote the variable's gradient since the state was last cleared (MXNet's fresh_out_grad). */
  gradState(h: Handle): boolean;
  /** Sets that state; h must be a variable. */
  setGradState(h: Handle, fresh: boolean): void;
  /**
   * Installs the callback backward() makes for custom Functions: it receives new handles of the
   * output gradients (the callee owns them) and returns, per input, a new handle the core takes
   * over, or 0 for a zero gradient. It may throw; the error becomes backward()'s error.
   */
  setCustomBackward(fn: (id: number, ograds: Handle[], numInputs: number) => Handle[]): void;
  /** Records outputs = function id(inputs) when recording. */
  recordCustom(id: number, inputs: readonly Handle[], outputs: readonly Handle[]): void;
  /** Ids of custom functions whose recorded node is gone (the caller may forget them). */
  takeReleasedCustom(): number[];

  /* ---- symbol ---- (handles to graphs; ts/symbol/symbol.ts owns them) */
  symbolVariable(name: string): SymbolHandle;
  /** An op symbol without inputs yet; params are MXNet attribute strings. */
  symbolAtomic(op: string, keys: readonly string[], vals: readonly string[]): SymbolHandle;
  /** Composes in place: keys null = positional args, else args[i] is input keys[i]. */
  symbolCompose(h: SymbolHandle, name: string | null, args: readonly SymbolHandle[], keys: readonly string[] | null): void;
  symbolFree(h: SymbolHandle): void;
  symbolCopy(h: SymbolHandle): SymbolHandle;
  symbolGroup(hs: readonly SymbolHandle[]): SymbolHandle;
  symbolNumOutputs(h: SymbolHandle): number;
  symbolGetOutput(h: SymbolHandle, index: number): SymbolHandle;
  symbolInternals(h: SymbolHandle): SymbolHandle;
  symbolChildren(h: SymbolHandle): SymbolHandle;
  /** MXNet's MXSymbolCutSubgraph, in place: a group of the cut entries. */
  symbolCutSubgraph(h: SymbolHandle): SymbolHandle;
  /** JSON array of names. which: 0 arguments, 1 outputs, 2 aux states, 3 all inputs. */
  symbolList(h: SymbolHandle, which: number): string;
  /** The head's attribute, or null (also for groups). Key "name": the name. */
  symbolGetAttr(h: SymbolHandle, key: string): string | null;
  symbolSetAttr(h: SymbolHandle, key: string, value: string): void;
  /** JSON: {key: value} of the head, or (recursive) {node: {key: value}}. */
  symbolListAttr(h: SymbolHandle, recursive: boolean): string;
  symbolToJSON(h: SymbolHandle): string;
  symbolFromJSON(json: string): SymbolHandle;

  /* ---- executor ---- (graph inference and bound executors; ts/symbol/executor.ts owns them) */
  /**
   * Shape inference as JSON {arg_names, arg_shapes, out_names, out_shapes, aux_names, aux_shapes,
   * complete} (unknown dims 0, unknown shapes null). keys null: shapes of the first arguments in order.
   */
  symbolInferShape(h: SymbolHandle, keys: readonly string[] | null, shapes: readonly (readonly number[])[],
                   partial: boolean): string;
  /** dtype inference (flags, -1 unknown) as JSON {arg_names, arg_types, out_names, ...}. */
  symbolInferType(h: SymbolHandle, keys: readonly string[] | null, dtypes: readonly number[], partial: boolean): string;
  /**
   * Binds: args per listArguments, grads per argument (0 = none), reqs 0 null / 1 write / 3 add,
   * aux per listAuxiliaryStates, ctx groups, flags bit 0 = no memory planning.
   */
  executorBind(sym: SymbolHandle, devType: number, devId: number, args: readonly Handle[], grads: readonly Handle[],
               reqs: readonly number[], aux: readonly Handle[], groupNames: readonly string[],
               groupDevTypes: readonly number[], groupDevIds: readonly number[], flags: number): ExecutorHandle;
  executorFree(h: ExecutorHandle): void;
  executorForward(h: ExecutorHandle, isTrain: boolean): void;
  /** outGrads: null, or one handle per output (0 = ones). */
  executorBackward(h: ExecutorHandle, outGrads: readonly Handle[] | null, isTrain: boolean): void;
  /** New handles on the output arrays. */
  executorOutputs(h: ExecutorHandle): Handle[];
  /** [planned bytes, naive bytes, in-place entries, reused entries, buffers]. */
  executorPlanStats(h: ExecutorHandle): number[];
  executorPlanJSON(h: ExecutorHandle): string;
  /**
   * Calls fn(name, new handle the callee owns) for each node output as it is pushed (inputs too
   * with monitorAll); null removes it. A throw from fn is rethrown by the forward/backward call.
   */
  executorSetMonitor(h: ExecutorHandle, fn: ((name: string, h: Handle) => void) | null, monitorAll: boolean): void;
}
