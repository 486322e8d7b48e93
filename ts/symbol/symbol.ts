// Symbol: a handle to a computation graph in the core (MXNet's mx.sym.Symbol), and the op-symbol factory.
// SPDX-License-Identifier: Apache-2.0
//
// Graph semantics live in core-cpp/graph/symbol.cc; this class names things the MXNet way
// (automatic names, attribute scopes, arithmetic ops) and owns the handle. Handles are freed by
// dispose() or, as a safety net, when the object is collected.
import type { Backend, SymbolHandle } from '../backend/backend.js';
import { backend } from '../backend/runtime.js';
import type { Context } from '../base/context.js';
import { DTYPE_FLAGS, normalizeDType, type DType } from '../base/dtype.js';
import { IsotensorError, kindOf, optionsOf, positionalOptions, show } from '../base/error.js';
import { nodeFs } from '../base/node_builtin.js';
import { localPath, readText } from '../base/read_source.js';
import { formatAttr, formatNumber, toSnake, type AttrValue } from '../ndarray/attrs.js';
import {
  argExtremeCall, clipCall, dotCall, expandDimsCall, flipCall, installElementwiseMethods, normCall, reduceCall, repeatCall,
  reshapeArgs, softmaxCall, sortCall, splitV2Call, squeezeCall, swapaxesCall, tileCall, topkCall, transposeCall, type Axis,
  type ElementwiseMethods, type NormOptions, type OpCall, type ReduceOptions, type SoftmaxOptions, type SortOptions,
  type SplitV2Options, type TopkOptions,
} from '../ndarray/method_calls.js';
import { NDArray } from '../ndarray/ndarray.js';
import { printSummary, type SummaryOptions } from '../viz/summary.js';
import type { BindOptions, Executor, SimpleBindOptions } from './executor.js';
import { AttrScope, NameManager } from './name.js';

interface Held {
  readonly h: SymbolHandle;
  readonly b: Backend;
}

// JS has no destructors: symbols nobody disposed free their handle when collected.
const registry: FinalizationRegistry<Held> | null = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry<Held>((held) => {
    try {
      held.b.symbolFree(held.h);
    } catch {
      // A finalizer has no caller to report to.
    }
  })
  : null;

/** What shape inference returns: one entry per listArguments()/listOutputs()/listAuxiliaryStates(). */
export interface ShapeResult {
  argShapes: number[][];
  outShapes: number[][];
  auxShapes: number[][];
}

/** What type inference returns, aligned like ShapeResult. */
export interface TypeResult {
  argTypes: DType[];
  outTypes: DType[];
  auxTypes: DType[];
}

/**
 * Shape/type inference and executors, provided by ts/symbol/infer.ts and ts/symbol/executor.ts
 * (they register themselves here, so this file does not depend on them). @internal
 */
export interface SymbolPasses {
  inferShape(sym: Symbol, shapes: Record<string, readonly number[]>, partial: boolean): ShapeResult;
  inferType(sym: Symbol, types: Record<string, DType | string>): TypeResult;
  bind(sym: Symbol, ctx: Context | string, args: unknown, opts?: BindOptions): Executor;
  simpleBind(sym: Symbol, ctx: Context | string, shapes: Record<string, readonly number[]>,
             opts?: SimpleBindOptions): Executor;
}

let passes: Partial<SymbolPasses> = {};

/** @internal Called by infer.ts / executor.ts with their implementations. */
export function registerSymbolPasses(p: Partial<SymbolPasses>): void {
  passes = { ...passes, ...p };
}

function pass<K extends keyof SymbolPasses>(k: K): SymbolPasses[K] {
  const f = passes[k];
  if (f === undefined) throw new IsotensorError(`Symbol.${k}: shape inference and executors are not loaded`);
  return f as SymbolPasses[K];
}

/** An initializer as a Variable's `init`: its JSON (`mx.init.Xavier().dumps()`) or the object. */
export type InitSpec = string | { dumps(): string };

/** Options of {@link Variable}. */
export interface VariableOptions {
  /** Extra attributes (strings), merged over the current AttrScope's. */
  attr?: Record<string, string>;
  /** Shape used by inference when none is given at bind (0 = unknown dim). Stored as `__shape__`. */
  shape?: readonly number[];
  /** Learning-rate multiplier (`__lr_mult__`). */
  lrMult?: number;
  /** Weight-decay multiplier (`__wd_mult__`). */
  wdMult?: number;
  /** Element type (`__dtype__`, stored as MXNet's type flag). */
  dtype?: DType | string;
  /** Initializer for this variable (`__init__`). */
  init?: InitSpec;
  /** Storage type: 'default', 'row_sparse' or 'csr' (`__storage_type__`). */
  stype?: 'default' | 'row_sparse' | 'csr';
  /** Further attributes must be spelled `__name__`. */
  [extra: `__${string}__`]: string | number | undefined;
}

/** Options every op symbol function takes besides inputs and params. */
export interface SymbolCommonOptions {
  /** Node name; default from the current NameManager (`fullyconnected0`, ...). */
  name?: string;
  /** Extra attributes (hidden ones are `__x__`), merged over the current AttrScope's. */
  attr?: Record<string, string>;
}

const STYPES: Readonly<Record<string, number>> = { default: 0, row_sparse: 1, csr: 2 };

/** A dict of NDArrays by argument name (bind's positional argsGrad), not an options object. */
function isArrayDict(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const vals = Object.values(v);
  return vals.some((x) => x instanceof NDArray) && vals.every((x) => x === null || x instanceof NDArray);
}

/** The symbolic graph: variables, ops and their composition (MXNet's `mx.sym.Symbol`). */
export class Symbol {
  /** The backend handle (an ist::Symbol*). */
  readonly handle: SymbolHandle;
  readonly backend: Backend;
  private disposed = false;

  /** @internal Wraps a handle this object now owns. */
  constructor(handle: SymbolHandle, b: Backend) {
    this.handle = handle;
    this.backend = b;
    registry?.register(this, { h: handle, b }, this);
  }

  // ---- lifetime ----

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Frees the handle (the graph lives on in other symbols that share it). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    registry?.unregister(this);
    this.backend.symbolFree(this.handle);
  }

  [globalThis.Symbol.dispose](): void {
    this.dispose();
  }

  /** @internal */
  h(): SymbolHandle {
    if (this.disposed) throw new IsotensorError('this Symbol was disposed');
    return this.handle;
  }

  private wrap(h: SymbolHandle): Symbol {
    return new Symbol(h, this.backend);
  }

  // ---- names and outputs ----

  /** The head node's name; null for a group of several nodes. */
  get name(): string | null {
    return this.backend.symbolGetAttr(this.h(), 'name');
  }

  /** Number of outputs. */
  get numOutputs(): number {
    return this.backend.symbolNumOutputs(this.h());
  }

  get length(): number {
    return this.numOutputs;
  }

  toString(): string {
    const n = this.name;
    if (n !== null) return `<Symbol ${n}>`;
    const names: string[] = [];
    for (const s of this) {
      names.push(s.name ?? '');
      s.dispose();
    }
    return `<Symbol group [${names.join(', ')}]>`;
  }

  /** Names of the arguments (free variables that are not auxiliary states), in graph order. */
  listArguments(): string[] {
    return JSON.parse(this.backend.symbolList(this.h(), 0)) as string[];
  }

  /** Output names: `<node>_output` (variables: their name). */
  listOutputs(): string[] {
    return JSON.parse(this.backend.symbolList(this.h(), 1)) as string[];
  }

  /** Auxiliary states: variables an op updates in place (BatchNorm's moving_mean/moving_var). */
  listAuxiliaryStates(): string[] {
    return JSON.parse(this.backend.symbolList(this.h(), 2)) as string[];
  }

  /** Every variable: arguments and auxiliary states, in graph order. */
  listInputs(): string[] {
    return JSON.parse(this.backend.symbolList(this.h(), 3)) as string[];
  }

  /** Output `i` (a symbol with one output). */
  at(i: number): Symbol {
    if (!Number.isInteger(i)) throw new IsotensorError(`Symbol.at: argument 'i' must be an integer, got ${show(i)}`);
    const n = this.numOutputs;
    const k = i < 0 ? i + n : i;
    if (k < 0 || k >= n) throw new IsotensorError(`Symbol.at: index ${i} is out of range (${n} output(s))`);
    return this.wrap(this.backend.symbolGetOutput(this.h(), k));
  }

  /** The output named `name` (one of listOutputs()), or output `name` when a number. */
  get(name: string | number): Symbol {
    if (typeof name === 'number') return this.at(name);
    if (typeof name !== 'string') throw new IsotensorError(`Symbol.get: argument 'name' must be a string or number, got ${kindOf(name)}`);
    const names = this.listOutputs();
    const first = names.indexOf(name);
    if (first < 0) throw new IsotensorError(`Symbol.get: no output named '${name}' (outputs: ${names.join(', ')})`);
    if (names.indexOf(name, first + 1) >= 0) throw new IsotensorError(`Symbol.get: several outputs are named '${name}'`);
    return this.at(first);
  }

  *[globalThis.Symbol.iterator](): IterableIterator<Symbol> {
    const n = this.numOutputs;
    for (let i = 0; i < n; i++) yield this.at(i);
  }

  /** Every node output of the graph as one group (`fc1_output`, variables, ...). */
  getInternals(): Symbol {
    return this.wrap(this.backend.symbolInternals(this.h()));
  }

  /** The inputs of the head node(s) as one group, or null when there are none. */
  getChildren(): Symbol | null {
    const c = this.wrap(this.backend.symbolChildren(this.h()));
    if (c.numOutputs === 0) {
      c.dispose();
      return null;
    }
    return c;
  }

  // ---- attributes ----

  /** The head node's attribute `key` (hidden ones also by their bare name: 'lr_mult'); null when absent. */
  attr(key: string): string | null {
    if (key === 'name') return this.name;
    return this.backend.symbolGetAttr(this.h(), key);
  }

  /** The head node's attributes. */
  listAttr(): Record<string, string> {
    return JSON.parse(this.backend.symbolListAttr(this.h(), false)) as Record<string, string>;
  }

  /** Attributes of every node with any: { node name: { key: value } }. */
  attrDict(): Record<string, Record<string, string>> {
    return JSON.parse(this.backend.symbolListAttr(this.h(), true)) as Record<string, Record<string, string>>;
  }

  /** Sets attributes of the head node (MXNet's `_set_attr`); values must be strings. */
  setAttr(attrs: Record<string, string>): this {
    if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) {
      throw new IsotensorError(`Symbol.setAttr: argument 'attrs' must be an object of strings, got ${kindOf(attrs)}`);
    }
    for (const [k, v] of Object.entries(attrs)) {
      if (typeof v !== 'string') throw new IsotensorError(`Symbol.setAttr: attribute '${k}' must be a string`);
      this.backend.symbolSetAttr(this.h(), k, v);
    }
    return this;
  }

  // ---- composition ----

  /** A deep copy of the graph. */
  copy(): Symbol {
    return this.wrap(this.backend.symbolCopy(this.h()));
  }

  /**
   * A copy with free variables replaced (MXNet's `net(data=other, name=...)`): by name, or for an op
   * symbol without inputs yet, positionally. The head node is renamed to `name` (MXNet clears it
   * when no name is given).
   * @example
   * ```ts
   * const composed = net.call({ data: net2 }, { name: 'compose' });
   * ```
   */
  call(inputs: Record<string, Symbol> | readonly Symbol[], opts: { name?: string } = {}): Symbol {
    if (inputs === null || typeof inputs !== 'object') {
      throw new IsotensorError(`Symbol.call: argument 'inputs' must be an object or array of Symbols, got ${kindOf(inputs)}`);
    }
    opts = optionsOf(opts, 'Symbol.call');
    const s = this.copy();
    try {
      if (Array.isArray(inputs)) {
        s.backend.symbolCompose(s.h(), opts.name ?? null, (inputs as readonly Symbol[]).map((x) => handleOf(x, s.backend)), null);
      } else {
        const keys = Object.keys(inputs);
        const hs = keys.map((k) => handleOf((inputs as Record<string, Symbol>)[k]!, s.backend));
        s.backend.symbolCompose(s.h(), opts.name ?? null, hs, keys);
      }
    } catch (e) {
      s.dispose();
      throw e;
    }
    return s;
  }

  // ---- serialization ----

  /** MXNet 1.9's symbol JSON, byte for byte. */
  toJSON(): string {
    return this.backend.symbolToJSON(this.h());
  }

  /** Writes toJSON() to a file (Node). */
  async save(path: string | URL): Promise<void> {
    const p = localPath(path, 'Symbol.save', 'save locally, or upload toJSON() yourself');
    await nodeFs('Symbol.save', 'elsewhere use toJSON()').promises.writeFile(p, this.toJSON());
  }

  /** save() that blocks (Node). */
  saveSync(path: string | URL): void {
    const p = localPath(path, 'Symbol.saveSync', 'save locally, or upload toJSON() yourself');
    nodeFs('Symbol.saveSync', 'elsewhere use toJSON()').writeFileSync(p, this.toJSON());
  }

  // ---- inference and executors (ts/symbol/infer.ts, executor.ts) ----

  /** Shapes of every argument, output and aux state from the given ones (throws when incomplete). */
  inferShape(shapes: Record<string, readonly number[]> = {}): ShapeResult {
    return pass('inferShape')(this, shapes, false);
  }

  /** inferShape that leaves unknowns as 0 dims / empty shapes instead of throwing. */
  inferShapePartial(shapes: Record<string, readonly number[]> = {}): ShapeResult {
    return pass('inferShape')(this, shapes, true);
  }

  inferType(types: Record<string, DType | string> = {}): TypeResult {
    return pass('inferType')(this, types);
  }

  /** An Executor over given arrays: a dict by argument name or an array in listArguments() order. */
  bind(ctx: Context | string, args: unknown, opts?: BindOptions | BindOptions['argsGrad'], ...rest: unknown[]): Executor {
    // MXNet's positional bind(ctx, args, args_grad, grad_req, aux_states, group2ctx): arrays (a list, or a dict
    // of NDArrays) are argsGrad, which an options bag would otherwise take for options and silently drop.
    const o = positionalOptions<BindOptions>('Symbol.bind', [['argsGrad', 'object'], ['gradReq', 'any'],
                                                             ['auxStates', 'object'], ['group2ctx', 'object']],
                                             [opts, ...rest], isArrayDict);
    return pass('bind')(this, ctx, args, o);
  }

  /**
   * An Executor that allocates every array from the given input shapes. A string is gradReq, as
   * MXNet's positional `simple_bind(ctx, grad_req)`.
   */
  simpleBind(ctx: Context | string, shapes: Record<string, readonly number[]>, opts?: SimpleBindOptions | string): Executor {
    const o = typeof opts === 'string' ? { gradReq: opts as SimpleBindOptions['gradReq'] }
      : optionsOf(opts, 'Symbol.simpleBind');
    return pass('simpleBind')(this, ctx, shapes, o);
  }

  /** Prints MXNet's layer table (mx.viz.printSummary) for the given input shapes and returns it. */
  printSummary(shapes: Record<string, readonly number[]> | null = null, opts: SummaryOptions = {}): string {
    return printSummary(this, shapes, optionsOf(opts, 'Symbol.printSummary'));
  }

  // ---- arithmetic (MXNet's Symbol operators: same ops, same automatic names) ----

  add(other: Symbol | number): Symbol { return binary(this, other, '_Plus', '_PlusScalar'); }
  sub(other: Symbol | number): Symbol { return binary(this, other, '_Minus', '_MinusScalar'); }
  /** other - this. */
  rsub(other: number): Symbol { return scalarOp('_RMinusScalar', this, other); }
  mul(other: Symbol | number): Symbol { return binary(this, other, '_Mul', '_MulScalar'); }
  div(other: Symbol | number): Symbol { return binary(this, other, '_Div', '_DivScalar'); }
  /** other / this. */
  rdiv(other: number): Symbol { return scalarOp('_RDivScalar', this, other); }
  mod(other: Symbol | number): Symbol { return binary(this, other, '_Mod', '_ModScalar'); }
  /** other % this. */
  rmod(other: number): Symbol { return scalarOp('_RModScalar', this, other); }
  pow(other: Symbol | number): Symbol { return binary(this, other, '_Power', '_PowerScalar'); }
  /** other ** this. */
  rpow(other: number): Symbol { return scalarOp('_rpower_scalar', this, other); }
  /** -this (MXNet: this * -1.0). */
  neg(): Symbol { return scalarOp('_MulScalar', this, '-1.0'); }
  abs(): Symbol { return createOpSymbol('abs', 'abs', [this], {}, {}); }
  eq(other: Symbol | number): Symbol { return binary(this, other, '_equal', '_equal_scalar'); }
  ne(other: Symbol | number): Symbol { return binary(this, other, '_not_equal', '_not_equal_scalar'); }
  gt(other: Symbol | number): Symbol { return binary(this, other, '_greater', '_greater_scalar'); }
  ge(other: Symbol | number): Symbol { return binary(this, other, '_greater_equal', '_greater_equal_scalar'); }
  lt(other: Symbol | number): Symbol { return binary(this, other, '_lesser', '_lesser_scalar'); }
  le(other: Symbol | number): Symbol { return binary(this, other, '_lesser_equal', '_lesser_equal_scalar'); }

  // ---- NDArray's math methods (MXNet's fluent Symbol methods): the same arguments, read by method_calls.ts ----
  // So a hybridForward written with x.reshape(...), x.sum(1), x.transpose() runs hybridized as it runs imperatively.

  /** Element-wise maximum with broadcasting (a number: `_maximum_scalar`). @example a.maximum(0) */
  maximum(x: Symbol | number): Symbol { return binary(this, x, 'broadcast_maximum', '_maximum_scalar'); }
  minimum(x: Symbol | number): Symbol { return binary(this, x, 'broadcast_minimum', '_minimum_scalar'); }
  /** 1 where equal, else 0, with broadcasting (eq() is MXNet's `==`, without it). */
  equal(x: Symbol | number): Symbol { return binary(this, x, 'broadcast_equal', '_equal_scalar'); }
  notEqual(x: Symbol | number): Symbol { return binary(this, x, 'broadcast_not_equal', '_not_equal_scalar'); }
  greater(x: Symbol | number): Symbol { return binary(this, x, 'broadcast_greater', '_greater_scalar'); }
  greaterEqual(x: Symbol | number): Symbol { return binary(this, x, 'broadcast_greater_equal', '_greater_equal_scalar'); }
  lesser(x: Symbol | number): Symbol { return binary(this, x, 'broadcast_lesser', '_lesser_scalar'); }
  lesserEqual(x: Symbol | number): Symbol { return binary(this, x, 'broadcast_lesser_equal', '_lesser_equal_scalar'); }

  exp(): Symbol { return this.apply(['exp', {}]); }
  log(): Symbol { return this.apply(['log', {}]); }
  sqrt(): Symbol { return this.apply(['sqrt', {}]); }
  square(): Symbol { return this.apply(['square', {}]); }
  relu(): Symbol { return this.apply(['relu', {}]); }
  sigmoid(): Symbol { return this.apply(['sigmoid', {}]); }
  tanh(): Symbol { return this.apply(['tanh', {}]); }

  /** Sum over `axis` (all by default). @example x.sum(1); x.sum({ axis: 0, keepdims: true }) */
  sum(axis?: Axis | ReduceOptions, ...rest: [keepdims?: boolean, exclude?: boolean]): Symbol { return this.apply(reduceCall('sum', axis, rest)); }
  mean(axis?: Axis | ReduceOptions, ...rest: [keepdims?: boolean, exclude?: boolean]): Symbol { return this.apply(reduceCall('mean', axis, rest)); }
  max(axis?: Axis | ReduceOptions, ...rest: [keepdims?: boolean, exclude?: boolean]): Symbol { return this.apply(reduceCall('max', axis, rest)); }
  min(axis?: Axis | ReduceOptions, ...rest: [keepdims?: boolean, exclude?: boolean]): Symbol { return this.apply(reduceCall('min', axis, rest)); }
  prod(axis?: Axis | ReduceOptions, ...rest: [keepdims?: boolean, exclude?: boolean]): Symbol { return this.apply(reduceCall('prod', axis, rest)); }
  argmax(axis: number | null | { axis?: number | null; keepdims?: boolean } = null, keepdims?: boolean): Symbol {
    return this.apply(argExtremeCall('argmax', axis, keepdims));
  }
  argmin(axis: number | null | { axis?: number | null; keepdims?: boolean } = null, keepdims?: boolean): Symbol {
    return this.apply(argExtremeCall('argmin', axis, keepdims));
  }
  norm(opts?: Axis | NormOptions | 1 | 2, ...rest: unknown[]): Symbol { return this.apply(normCall(opts, rest)); }
  /** Matrix product (MXNet `dot`). @example a.dot(b, { transposeB: true }) */
  dot(b: Symbol, opts: { transposeA?: boolean; transposeB?: boolean } | boolean = {}, transposeB?: boolean): Symbol {
    if (!(b instanceof Symbol)) throw new IsotensorError(`dot: argument 'rhs' must be a Symbol, got ${kindOf(b)}`);
    return this.apply(dotCall(opts, transposeB), [b]);
  }
  transpose(axes?: readonly number[] | { axes?: readonly number[] } | number, ...more: number[]): Symbol {
    return this.apply(transposeCall(axes, more));
  }
  /** Transpose (MXNet `.T`). */
  get T(): Symbol { return this.transpose(); }
  expandDims(axis: number, ...extra: never[]): Symbol { return this.apply(expandDimsCall(axis, extra)); }
  squeeze(axis?: Axis, ...extra: never[]): Symbol { return this.apply(squeezeCall(axis, extra)); }
  flatten(): Symbol { return this.apply(['Flatten', {}]); }
  clip(aMin: number, aMax: number): Symbol { return this.apply(clipCall(aMin, aMax)); }
  sort(axis?: number | null | SortOptions, ...rest: [isAscend?: boolean]): Symbol { return this.apply(sortCall('sort', axis, rest)); }
  argsort(axis?: number | null | SortOptions, ...rest: [isAscend?: boolean, dtype?: DType]): Symbol {
    return this.apply(sortCall('argsort', axis, rest));
  }
  /** topk: one symbol with the op's outputs (two with `retTyp: 'both'`: values, indices). */
  topk(opts?: TopkOptions): Symbol { return this.apply(topkCall(opts)); }
  flip(axis: number | readonly number[], ...extra: never[]): Symbol { return this.apply(flipCall(axis, extra)); }
  tile(reps: number | readonly number[], ...extra: never[]): Symbol { return this.apply(tileCall(reps, extra)); }
  repeat(repeats: number, opts?: { axis?: number | null }): Symbol { return this.apply(repeatCall(repeats, opts)); }
  broadcastTo(shape: readonly number[]): Symbol { return this.apply(['broadcast_to', { shape }]); }
  /**
   * MXNet's Reshape with its codes (0, -1, -2, -3, -4) and `{ reverse }`, as NDArray.reshape takes them.
   * @example x.reshape(-1, 784); x.reshape([0, -1]); x.reshape([-1, 0], { reverse: true })
   */
  reshape(...shape: Array<number | readonly number[] | { reverse?: boolean }>): Symbol {
    const { shape: s, reverse } = reshapeArgs(shape, '');
    return this.apply(['Reshape', reverse ? { shape: s, reverse } : { shape: s }]);
  }
  softmax(axis?: number | SoftmaxOptions, ...extra: never[]): Symbol { return this.apply(softmaxCall('softmax', axis, extra)); }
  logSoftmax(axis?: number | SoftmaxOptions, ...extra: never[]): Symbol { return this.apply(softmaxCall('log_softmax', axis, extra)); }
  softmin(axis?: number | SoftmaxOptions, ...extra: never[]): Symbol { return this.apply(softmaxCall('softmin', axis, extra)); }
  swapaxes(dim1: number, dim2: number): Symbol { return this.apply(swapaxesCall(dim1, dim2)); }
  /** MXNet's `split_v2`: equal sections or a split before each of `indices`; one output per part. */
  splitV2(indicesOrSections: number | readonly number[], ...rest: [axis?: number | SplitV2Options, squeezeAxis?: boolean]): Symbol {
    return this.apply(splitV2Call('Symbol.splitV2', indicesOrSections, rest));
  }
  /** Cast to dtype (MXNet `astype`). */
  astype(dtype: DType | string): Symbol { return this.apply(['Cast', { dtype }]); }

  /**
   * @internal The op on this symbol (and `more` inputs) through callSymbolOp, as the generated `sym.<op>`
   * functions call it (camelCase params, dtype names), named with the op in lower case.
   */
  apply([op, attrs]: OpCall, more: readonly Symbol[] = []): Symbol {
    return callSymbolOp({ name: op }, op.toLowerCase(), [this, ...more, attrs]);
  }
}


// floor, ceil, round, sin, cos, ..., zerosLike, onesLike, as on NDArray (method_calls.ts).
// eslint-disable-next-line @typescript-eslint/no-empty-interface, @typescript-eslint/no-unsafe-declaration-merging
export interface Symbol extends ElementwiseMethods<Symbol> {}
installElementwiseMethods<Symbol>(Symbol.prototype, (x, op) => x.apply([op, {}]));

/**
 * A number as Python's str() writes it, which is what MXNet's front end stores in symbol attributes:
 * exponent form below 1e-4 and from 1e16 on, with a two-digit exponent ('1e-05'). Integral values
 * print as integers (JS cannot tell 2 from 2.0).
 */
export function pyNumber(v: number): string {
  if (!Number.isFinite(v)) return formatNumber(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
    return v.toExponential().replace(/e([+-])(\d)$/, (_m, sign: string, d: string) => `e${sign}0${d}`);
  }
  return String(v);
}

function formatParam(v: AttrValue): string {
  return typeof v === 'number' ? pyNumber(v) : formatAttr(v);
}

function handleOf(x: unknown, b: Backend): SymbolHandle {
  if (!(x instanceof Symbol)) throw new IsotensorError(`expected a Symbol, got ${kindOf(x)}`);
  if (x.backend !== b) throw new IsotensorError(`a Symbol of the ${x.backend.name} backend cannot join a ${b.name} graph`);
  return x.h();
}

function binary(a: Symbol, b: Symbol | number, op: string, scalar: string): Symbol {
  if (b instanceof Symbol) return createOpSymbol(op, op.toLowerCase(), [a, b], {}, {});
  if (typeof b === 'number') return scalarOp(scalar, a, b);
  throw new IsotensorError(`Symbol.${op}: expected a Symbol or a number, got ${typeof b}`);
}

function scalarOp(op: string, a: Symbol, scalar: number | string): Symbol {
  return createOpSymbol(op, op.toLowerCase(), [a], {}, { scalar: typeof scalar === 'number' ? pyNumber(scalar) : scalar });
}

/**
 * Creates an op symbol the way MXNet's generated `mx.sym.<op>` functions do: attributes from
 * the current AttrScope, a name from the current NameManager (`hint` + counter), then composition
 * with the positional and named inputs. @internal
 */
export function createOpSymbol(op: string, hint: string, positional: readonly Symbol[],
                               named: Readonly<Record<string, Symbol>>, params: Readonly<Record<string, AttrValue>>,
                               common: SymbolCommonOptions = {}): Symbol {
  const first = positional[0] ?? Object.values(named)[0];
  const b = first !== undefined ? first.backend : backend();
  const keys: string[] = [];
  const vals: string[] = [];
  const attr = AttrScope.current.get(common.attr);
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    keys.push(k);
    vals.push(formatParam(v));
  }
  for (const [k, v] of Object.entries(attr)) {
    keys.push(k);
    vals.push(v);
  }
  const name = NameManager.current.get(common.name, hint);
  const s = new Symbol(b.symbolAtomic(op, keys, vals), b);
  const hs: SymbolHandle[] = [];
  const ks: string[] = [];
  for (const x of positional) {
    hs.push(handleOf(x, b));
    ks.push('');
  }
  for (const [k, x] of Object.entries(named)) {
    hs.push(handleOf(x, b));
    ks.push(k);
  }
  try {
    b.symbolCompose(s.h(), name, hs, ks);
  } catch (e) {
    s.dispose();
    throw e;
  }
  return s;
}

/** How a generated `sym.<op>` function maps its arguments (ts/ops/symbol.generated.ts). @internal */
export interface SymbolOpSpec {
  /** Registry name (or alias) the node is created with. */
  readonly name: string;
  /** Snake name of the param counting variadic inputs (Concat's num_args); absent otherwise. */
  readonly variadic?: string;
  /** Option names whose MXNet name is not their snake_case form. */
  readonly keys?: Readonly<Record<string, string>>;
}

function isOptionsObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !(v instanceof Symbol) && !Array.isArray(v);
}

/**
 * Runs a generated op symbol function: Symbols positionally (arrays spread), then an options
 * object whose Symbol values are inputs by name and whose other values are params (camelCase),
 * plus `name` and `attr`. @internal
 */
export function callSymbolOp(spec: SymbolOpSpec, hint: string, args: readonly unknown[]): Symbol {
  let n = args.length;
  let opts: Record<string, unknown> = {};
  if (n > 0 && (args[n - 1] === undefined || isOptionsObject(args[n - 1]))) {
    opts = (args[n - 1] as Record<string, unknown> | undefined) ?? {};
    n--;
  }
  const positional: Symbol[] = [];
  for (let i = 0; i < n; i++) {
    const a = args[i];
    if (a instanceof Symbol) positional.push(a);
    else if (Array.isArray(a)) {
      for (const x of a) {
        if (!(x instanceof Symbol)) throw new IsotensorError(`${spec.name}: inputs must be Symbols`);
        positional.push(x);
      }
    } else if (a !== null && a !== undefined) {
      throw new IsotensorError(`${spec.name}: argument ${i} must be a Symbol (or the options object last), got ${typeof a}`);
    }
  }
  const named: Record<string, Symbol> = {};
  const params: Record<string, AttrValue> = {};
  let common: SymbolCommonOptions = {};
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined) continue;
    if (k === 'name') {
      if (typeof v !== 'string') throw new IsotensorError(`${spec.name}: name must be a string`);
      common = { ...common, name: v };
    } else if (k === 'attr') {
      common = { ...common, attr: v as Record<string, string> };
    } else if (v instanceof Symbol) {
      named[spec.keys?.[k] ?? toSnake(k)] = v;
    } else if (k === 'dtype' && typeof v === 'string' && v !== 'None') {
      params['dtype'] = normalizeDType(v, spec.name);
    } else if (k === 'out' || k === 'ctx') {
      continue;  // imperative-only options
    } else {
      params[spec.keys?.[k] ?? toSnake(k)] = v as AttrValue;
    }
  }
  if (spec.variadic !== undefined) {
    if (Object.keys(named).length > 0 && positional.length > 0) {
      throw new IsotensorError(`${spec.name}: an op with a variable number of inputs takes them either ` +
                               'positionally or by name, not both');
    }
    if (params[spec.variadic] === undefined) params[spec.variadic] = positional.length + Object.keys(named).length;
  }
  return createOpSymbol(spec.name, hint, positional, named, params, common);
}

/**
 * A graph input (MXNet's `mx.sym.Variable` / `mx.sym.var`).
 * @example
 * ```ts
 * const data = sym.Variable('data', { shape: [100, 10] });
 * data.attr('__shape__') // '(100, 10)'
 * ```
 */
export function Variable(name: string, options: VariableOptions | null = {}, ...rest: unknown[]): Symbol {
  if (typeof name !== 'string') throw new IsotensorError('Variable: name must be a string');
  // MXNet's positional Variable(name, attr, shape, lr_mult, wd_mult, dtype, init, stype): a second argument
  // alone stays the options object (MXNet's attr dict goes as { attr }).
  const opts = rest.length === 0 ? optionsOf(options, 'Variable')
    : positionalOptions<VariableOptions>('Variable', [['attr', 'object'], ['shape', 'any'], ['lrMult', 'number'],
                                                      ['wdMult', 'number'], ['dtype', 'any'], ['init', 'any'], ['stype', 'string']],
                                         [options, ...rest]);
  const b = backend();
  const s = new Symbol(b.symbolVariable(name), b);
  const attr: Record<string, string> = AttrScope.current.get(opts.attr);
  if (opts.shape !== undefined) attr['__shape__'] = formatAttr(opts.shape as readonly number[]);
  if (opts.lrMult !== undefined) attr['__lr_mult__'] = pyNumber(opts.lrMult);
  if (opts.wdMult !== undefined) attr['__wd_mult__'] = pyNumber(opts.wdMult);
  if (opts.dtype !== undefined) attr['__dtype__'] = String(DTYPE_FLAGS[normalizeDType(opts.dtype, 'Variable')]);
  if (opts.init !== undefined) attr['__init__'] = typeof opts.init === 'string' ? opts.init : opts.init.dumps();
  if (opts.stype !== undefined) {
    const id = STYPES[opts.stype];
    if (id === undefined) throw new IsotensorError(`Variable: unknown stype '${opts.stype}'`);
    attr['__storage_type__'] = String(id);
  }
  for (const [k, v] of Object.entries(opts)) {
    if (['attr', 'shape', 'lrMult', 'wdMult', 'dtype', 'init', 'stype'].includes(k) || v === undefined) continue;
    if (!(k.startsWith('__') && k.endsWith('__'))) {
      s.dispose();
      throw new IsotensorError(`Variable: attribute ${k} is not supported; additional attributes must start and ` +
                               'end with double underscores, e.g. __yourattr__');
    }
    attr[k] = typeof v === 'number' ? pyNumber(v) : String(v);
  }
  try {
    s.setAttr(attr);
  } catch (e) {
    s.dispose();
    throw e;
  }
  return s;
}

/**
 * Groups symbols into one with all their outputs (MXNet's `mx.sym.Group`).
 * @example sym.Group([a, b]).listOutputs() // ['a', 'b']
 */
export function Group(symbols: readonly Symbol[]): Symbol {
  if (!Array.isArray(symbols) || symbols.length === 0 || symbols.some((s) => !(s instanceof Symbol))) {
    throw new IsotensorError('Group: expected a non-empty list of Symbols');
  }
  const b = symbols[0]!.backend;
  return new Symbol(b.symbolGroup(symbols.map((s) => handleOf(s, b))), b);
}

/** A symbol from MXNet's JSON (any MXNet version's). */
export function fromJSON(json: string): Symbol {
  if (typeof json !== 'string') throw new IsotensorError('fromJSON: expected a string');
  const b = backend();
  return new Symbol(b.symbolFromJSON(json), b);
}

/** Loads a `-symbol.json` file: a Node path, a file:// or http(s):// URL (relative URLs in browsers). */
export async function load(path: string | URL): Promise<Symbol> {
  return fromJSON(await readText(path, 'sym.load', 'fetch the text yourself and pass it to sym.fromJSON(text)'));
}

/** load() that blocks (Node). */
export function loadSync(path: string | URL): Symbol {
  const p = localPath(path, 'sym.loadSync', 'use sym.load');
  return fromJSON(nodeFs('sym.loadSync', 'elsewhere use sym.fromJSON(text)').readFileSync(p, 'utf8'));
}


/** MXNet's `sym.split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False)`: see Symbol.splitV2. */
export function split_v2(x: Symbol, indicesOrSections: number | readonly number[],
                         ...rest: [axis?: number | SplitV2Options, squeezeAxis?: boolean]): Symbol {
  if (!(x instanceof Symbol)) throw new IsotensorError(`sym.split_v2: argument 'ary' must be a Symbol, got ${kindOf(x)}`);
  return x.splitV2(indicesOrSections, ...rest);
}
