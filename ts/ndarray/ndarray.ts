// NDArray: an n-dimensional array on a device, backed by a core handle; ops run on the async engine.
// SPDX-License-Identifier: Apache-2.0
import type { Backend, Handle } from '../backend/backend.js';
import { assertCanBlock, checkContext, contextOf } from '../backend/runtime.js';
import { toContext, type Context } from '../base/context.js';
import {
  allocStorage, dtypeFlag, dtypeName, isBigInt, isTypedArray, normalizeDType, storageToData, toStorage,
  type DataArray, type DataArrayMap, type DType, type NumberDType, type TypedArray,
} from '../base/dtype.js';
import { booleanOption, IsotensorError, kindOf, optionsOf } from '../base/error.js';
import { formatValues, ndarrayRepr } from './format.js';
import { flatten, inferShape, shapeSize, unflatten, type NestedArray } from './host.js';
import { expectNDArray, invoke, invoke1, registerArrayClass } from './invoke.js';
import {
  argExtremeCall, clipCall, dotCall, expandDimsCall, flipCall, installElementwiseMethods, normCall, reduceCall, repeatCall,
  reshapeArgs, softmaxCall, sortCall, splitV2Call, squeezeCall, swapaxesCall, tileCall, topkCall, transposeCall, type Axis,
  type ElementwiseMethods, type NormOptions, type OpCall, type ReduceOptions, type SoftmaxOptions, type SortOptions,
  type SplitV2Options, type TopkOptions,
} from './method_calls.js';
import { markKept, track, untrack } from './tracking.js';

// Indices reach the core as int64: a fraction or NaN would be truncated into a wrong row.
function checkIndex(op: string, arg: string, v: number): void {
  if (!Number.isInteger(v)) throw new IsotensorError(`${op}: argument '${arg}': index ${String(v)} is not an integer`);
}

/** Nested JS arrays as `toArray()` returns them (a plain value for 0-d arrays). */
export type NestedNumbers = number | boolean | NestedNumbers[];

export type { Axis, NormOptions, ReduceOptions, SortOptions, TopkOptions } from './method_calls.js';

/** Values `set()` accepts: a scalar, an array (broadcast), or host data. */
/** How backward() treats a variable's gradient buffer (MXNet grad_req). */
export type GradReq = 'write' | 'add' | 'null';

/** @internal MXNet OpReqType codes of grad_req strings. */
export function gradReqCode(req: string, fn: string): number {
  if (req === 'write') return 1;
  if (req === 'add') return 3;
  if (req === 'null') return 0;
  throw new IsotensorError(`${fn}: gradReq must be 'write', 'add' or 'null', got '${req}'`);
}

export type SetValue = number | boolean | bigint | NDArray | TypedArray | NestedArray;

type Operand = NDArray | number;

const DISPOSED = 'NDArray has been disposed';

/** Options of `NDArray.backward` and `autograd.backward`. */
export interface BackwardOptions {
  retainGraph?: boolean;
  trainMode?: boolean;
}

/**
 * backward's flags: an options object, or (MXNet's positional `retain_graph, train_mode`) booleans,
 * which an options bag would otherwise take for options without them and silently replace by the defaults.
 * @internal
 */
export function backwardFlags(opts: BackwardOptions | boolean | null | undefined, trainMode: boolean | undefined,
                              fn: string): BackwardOptions {
  const o: BackwardOptions = typeof opts === 'boolean' ? { retainGraph: opts } : { ...optionsOf(opts, fn) };
  if (trainMode !== undefined) {
    if (typeof opts !== 'boolean') {
      throw new IsotensorError(`${fn}: a positional trainMode follows a positional retainGraph (a boolean), got ${kindOf(opts)} before it`);
    }
    o.trainMode = trainMode;
  }
  for (const k of ['retainGraph', 'trainMode'] as const) o[k] = booleanOption(o[k], fn, k);
  return o;
}

/**
 * An n-dimensional array on a device. Operations return at once (they are pushed to the
 * dependency engine); reading values (`dataSync()`, `toString()`, ...) waits for them.
 *
 * @example
 * ```ts
 * const a = nd.ones([2, 3]).mul(2);
 * console.log(a.toString()); // [[2. 2. 2.]\n [2. 2. 2.]]\n<NDArray 2x3 @cpu(0)>
 * a.dispose();
 * ```
 */
export class NDArray {
  private _h: Handle;
  private readonly _b: Backend;
  private _shape: number[] | null = null;
  private _dtype: DType | null = null;
  private _ctx: Context | null = null;
  private _grad: NDArray | null = null;
  /** @internal Lifetime bookkeeping (tracking.ts). */
  _finalizable = false;

  /** @internal Wraps a core handle and takes ownership of it; create arrays with `nd.*`. */
  constructor(handle: Handle, b: Backend) {
    this._h = handle;
    this._b = b;
    track(this, handle, b);
  }

  /** @internal The core handle; throws once disposed. */
  get handle(): Handle {
    if (this._h === 0) throw new IsotensorError(DISPOSED);
    return this._h;
  }

  /** @internal The backend that owns the handle. */
  get backend(): Backend {
    return this._b;
  }

  /** Whether `dispose()` was called. */
  get isDisposed(): boolean {
    return this._h === 0;
  }

  private shapeRef(): number[] {
    return (this._shape ??= this._b.shape(this.handle));
  }

  /** Dimensions. @example nd.zeros([2, 3]).shape // [2, 3] */
  get shape(): number[] {
    return this.shapeRef().slice();
  }

  /** Element type. @example nd.zeros([2]).dtype // 'float32' */
  get dtype(): DType {
    return (this._dtype ??= dtypeName(this._b.dtype(this.handle)));
  }

  /** Device. @example nd.zeros([2]).context.toString() // 'cpu(0)' */
  get context(): Context {
    return (this._ctx ??= contextOf(this._b.context(this.handle)));
  }

  /** Alias of `context` (MXNet's `ctx`). */
  get ctx(): Context {
    return this.context;
  }

  /** Number of elements. @example nd.zeros([2, 3]).size // 6 */
  get size(): number {
    return shapeSize(this.shapeRef());
  }

  /** Number of dimensions. @example nd.zeros([2, 3]).ndim // 2 */
  get ndim(): number {
    return this.shapeRef().length;
  }

  // ---- reading ----

  private readStorage(): DataArray {
    const buf = allocStorage(this.dtype, this.size);
    this._b.copyTo(this.handle, buf);
    return buf;
  }

  /**
   * The values, row-major, as a TypedArray (float16/bfloat16 widened to Float32Array; int64/uint64
   * as BigInt64Array/BigUint64Array: name the dtype for that type, `x.dataSync<'int64'>()`).
   * Blocks until pending writes are done.
   * @example Array.from(nd.ones([2]).dataSync()) // [1, 1]
   */
  dataSync<D extends DType = NumberDType>(): DataArrayMap[D] {
    assertCanBlock(this._b, 'dataSync()', 'await x.data()');
    return storageToData(this.dtype, this.readStorage()) as DataArrayMap[D];
  }

  /**
   * Non-blocking twin of `dataSync()`.
   * @example const v = await a.data();
   */
  async data<D extends DType = NumberDType>(): Promise<DataArrayMap[D]> {
    await this._b.readAsync(this.handle);
    return storageToData(this.dtype, this.readStorage()) as DataArrayMap[D];
  }

  private nested(values: DataArray): NestedNumbers {
    const d = this.dtype;
    const n = values.length;
    const plain = new Array<number | boolean>(n);
    if (d === 'bool') for (let i = 0; i < n; i++) plain[i] = values[i] !== 0;
    else if (isBigInt(d)) for (let i = 0; i < n; i++) plain[i] = Number(values[i]);
    else for (let i = 0; i < n; i++) plain[i] = values[i] as number;
    return unflatten(plain, this.shapeRef()) as NestedNumbers;
  }

  /**
   * The values as nested JS arrays (numbers; booleans for bool; a plain value for 0-d arrays).
   * @example nd.ones([2, 2]).toArraySync() // [[1, 1], [1, 1]]
   */
  toArraySync(): NestedNumbers {
    return this.nested(this.dataSync<DType>());
  }

  /** Non-blocking twin of `toArraySync()`. @example await a.toArray() */
  async toArray(): Promise<NestedNumbers> {
    return this.nested(await this.data<DType>());
  }

  private scalarOf(values: DataArray): number {
    if (values.length !== 1) {
      throw new IsotensorError(`The current array is not a scalar (shape (${this.shapeRef().join(', ')}))`);
    }
    return Number(values[0]);
  }

  /** The value of a one-element array. @example nd.full([1], 3).asScalar() // 3 */
  asScalar(): number {
    assertCanBlock(this._b, 'asScalar()', 'await x.scalar()');
    return this.scalarOf(this.dataSync<DType>());
  }

  /** Non-blocking twin of `asScalar()`. @example await nd.ones([1]).scalar() // 1 */
  async scalar(): Promise<number> {
    return this.scalarOf(await this.data<DType>());
  }

  /** Blocks until pending writes are done (raises their errors). @example a.waitToRead(); */
  waitToRead(): this {
    assertCanBlock(this._b, 'waitToRead()', 'await x.ready()');
    this._b.waitToRead(this.handle);
    return this;
  }

  /** Resolves once the array can be read. @example await a.ready(); */
  async ready(): Promise<this> {
    await this._b.readAsync(this.handle);
    return this;
  }

  /**
   * MXNet's printout: numpy's str of the values and `<NDArray 2x3 @cpu(0)>`. Blocks.
   * @example String(nd.ones([2, 3])) // '\n[[1. 1. 1.]\n [1. 1. 1.]]\n<NDArray 2x3 @cpu(0)>'
   */
  toString(): string {
    const values = this.dataSync<DType>();
    return ndarrayRepr(formatValues(values, this.shapeRef(), this.dtype), this.shapeRef(), this.context.toString());
  }

  /** Node's console.log shows the MXNet printout. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.isDisposed ? '<NDArray disposed>' : this.toString();
  }

  // ---- lifetime ----

  /** Frees the array now (views of it stay valid). Idempotent. @example a.dispose(); */
  dispose(): void {
    const h = this._h;
    if (h === 0) return;
    this._h = 0;
    untrack(this);
    this._b.free(h);
    // The gradient buffer made by attachGrad() belongs to this array.
    if (this._grad !== null && this._ownsGrad) this._grad.dispose();
    this._grad = null;
  }

  // ---- autograd ----

  private _ownsGrad = false;

  /**
   * Makes this array a variable autograd differentiates against: backward() writes its gradient
   * into `grad` (gradReq 'write'), adds to it ('add'), or skips it ('null'); the request may be
   * given alone, as MXNet's `attach_grad('add')` reads.
   * @example x.attachGrad(); autograd.record(() => x.mul(2).sum()).backward(); x.grad // [2. 2.]
   */
  attachGrad(opts: { gradReq?: GradReq } | GradReq = {}): void {
    const req = gradReqCode((typeof opts === 'string' ? opts : opts?.gradReq) ?? 'write', 'attachGrad');
    const g = invoke1('zeros_like', [this]);
    markKept(g);
    this._b.markVariables([this.handle], [req], [g.handle]);
    if (this._grad !== null && this._ownsGrad) this._grad.dispose();
    this._grad = g;
    this._ownsGrad = true;
  }

  /** @internal Records the gradient buffer given to autograd.markVariables. */
  setGradBuffer(g: NDArray | null): void {
    if (this._grad !== null && this._ownsGrad && this._grad !== g) this._grad.dispose();
    this._grad = g;
    this._ownsGrad = false;
  }

  /** The gradient buffer after `attachGrad()` (null before). */
  get grad(): NDArray | null {
    return this._grad !== null && !this._grad.isDisposed ? this._grad : null;
  }

  /**
   * MXNet's `_fresh_grad`: whether a backward over every variable (`y.backward()`,
   * `autograd.backward`) wrote this variable's gradient since the flag was last cleared. Trainer
   * clears it when it applies the gradient, and refuses a stale one. False for a non-variable;
   * setting it needs a variable (`attachGrad()` first).
   */
  get freshGrad(): boolean {
    return this._b.gradState(this.handle);
  }

  set freshGrad(fresh: boolean) {
    this._b.setGradState(this.handle, fresh === true);
  }

  /**
   * Back-propagates from this array (recorded under `autograd.record`) into the variables'
   * `grad`. headGrad defaults to ones; retainGraph keeps the graph for another backward.
   * The options may come first when there is no headGrad (`y.backward({ retainGraph: true })`,
   * as PyTorch's keyword call reads); after headGrad, booleans are retainGraph and trainMode, as
   * MXNet's positional `backward(out_grad, retain_graph, train_mode)`.
   * @example y.backward(); y.backward(nd.array([1, 0]), { retainGraph: true }); y.backward(null, true)
   */
  backward(headGrad?: NDArray | null | BackwardOptions, options: BackwardOptions | boolean = {}, trainMode?: boolean): void {
    if (headGrad !== null && headGrad !== undefined && !(headGrad instanceof NDArray)) {
      if (typeof headGrad !== 'object' || Array.isArray(headGrad) || arguments.length > 1) {
        throw new IsotensorError(`backward: headGrad must be an NDArray, null or an options object, got ${Array.isArray(headGrad) ? 'an array' : typeof headGrad}`);
      }
      options = headGrad;
      headGrad = null;
    }
    // MXNet's positional backward(out_grad, retain_graph, train_mode): booleans after headGrad.
    const opts = backwardFlags(options, trainMode, 'NDArray.backward');
    this._b.backward([this.handle], headGrad ? [headGrad.handle] : null, [], opts.retainGraph ?? false,
                     false, opts.trainMode ?? true);
  }

  /** The same values (shared storage) cut off from autograd history. @example y.detach() */
  detach(): NDArray {
    return new NDArray(this._b.detach(this.handle), this._b);
  }

  /** `using a = nd.zeros([2])` disposes at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- moving ----

  /**
   * Copies into another array (returned) or onto a context (a new array).
   * @example a.copyto(mx.gpu(0)); a.copyto(b);
   */
  copyto(other: NDArray | Context | string): NDArray {
    if (other instanceof NDArray) {
      invoke('_copyto', [this], null, [other]);
      return other;
    }
    const ctx = toContext(other);
    checkContext(ctx, this._b);
    const dst = new NDArray(this._b.create(this.shapeRef(), dtypeFlag(this.dtype), ctx.deviceTypeId, ctx.deviceId), this._b);
    invoke('_copyto', [this], null, [dst]);
    return dst;
  }

  /** This array when already on `ctx`, else a copy there. @example a.asInContext(mx.cpu()) */
  asInContext(ctx: Context | string): NDArray {
    const c = toContext(ctx);
    return c.equals(this.context) ? this : this.copyto(c);
  }

  /** A deep copy on the same context. @example const b = a.copy(); */
  copy(): NDArray {
    return this.copyto(this.context);
  }

  /**
   * A copy converted to `dtype` (`copy: false` returns this array when the dtype already matches).
   * @example nd.array([1.5]).astype('int32')
   */
  astype(dtype: DType | string, opts: { copy?: boolean } | boolean = {}): NDArray {
    const d = normalizeDType(dtype, 'astype');
    // MXNet's positional astype(dtype, copy).
    const copy = typeof opts === 'boolean' ? opts : optionsOf(opts, 'astype').copy;
    if (d === this.dtype) return copy === false ? this : this.copy();
    return invoke1('Cast', [this], { dtype: d });
  }

  // ---- writing ----

  /**
   * Overwrites all elements (MXNet `a[:] = value`): a scalar, an NDArray (broadcast), or host data.
   * @example a.set(2); a.set([[1, 2, 3], [4, 5, 6]]); a.set(b);
   */
  set(value: SetValue): this {
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
      invoke('_full', [], { shape: this.shapeRef(), ctx: this.context, dtype: this.dtype, value: Number(value) }, [this]);
      return this;
    }
    if (value instanceof NDArray) {
      if (value.handle === this.handle) return this;
      // MXNet's a[:] = b converts the dtype and broadcasts.
      const src = value.dtype === this.dtype ? value : value.astype(this.dtype);
      try {
        this.assignFrom(src);
      } finally {
        if (src !== value) src.dispose();
      }
      return this;
    }
    const flat = isTypedArray(value) ? value : flatten(value);
    if (flat.length === this.size) {
      assertCanBlock(this._b, 'set(host data)', 'set() with an NDArray made by nd.array()');
      this._b.copyFrom(this.handle, toStorage(this.dtype, flat));
      return this;
    }
    // A smaller host array broadcasts like an NDArray would.
    const shape = isTypedArray(value) ? [value.length] : inferShape(value);
    const ctx = this.context;
    const src = new NDArray(this._b.create(shape, dtypeFlag(this.dtype), ctx.deviceTypeId, ctx.deviceId), this._b);
    try {
      this._b.copyFrom(src.handle, toStorage(this.dtype, flat));
      this.assignFrom(src);
    } finally {
      src.dispose();
    }
    return this;
  }

  /** Copies `src` (same dtype) into this array, broadcasting NumPy-style (leading axes added). */
  private assignFrom(src: NDArray): void {
    const to = this.shapeRef();
    const from = src.shapeRef();
    if (from.length === to.length && from.every((d, i) => d === to[i])) {
      invoke('_copyto', [src], null, [this]);
      return;
    }
    if (from.length > to.length) {
      throw new IsotensorError(`set: cannot broadcast an array of shape (${from.join(', ')}) to (${to.join(', ')})`);
    }
    // broadcast_to wants equal ranks: view the source with leading axes of size 1.
    const ones = new Array<number>(to.length - from.length).fill(1);
    const padded = ones.length > 0 ? src.reshape([...ones, ...from]) : src;
    try {
      invoke('broadcast_to', [padded], { shape: to }, [this]);
    } finally {
      if (padded !== src) padded.dispose();
    }
  }

  /**
   * Overwrites the sub-array at `index` (one index per leading axis; negative counts from the end).
   * @example a.setAt(0, 5); a.setAt([1, 2], 7);
   */
  setAt(index: number | readonly number[], value: SetValue): this {
    const idx = typeof index === 'number' ? [index] : index;
    if (!Array.isArray(idx)) throw new IsotensorError(`setAt: argument 'index' must be a number or an array of them, got ${kindOf(index)}`);
    if (idx.length === 0) return this.set(value);
    const views: NDArray[] = [];
    try {
      let cur: NDArray = this;
      for (const i of idx) {
        cur = cur.at(i);
        views.push(cur);
      }
      cur.set(value);
    } finally {
      for (const v of views) v.dispose();
    }
    return this;
  }

  private inplace(bcast: string, scalarOp: string, x: Operand): this {
    if (typeof x === 'number') invoke(scalarOp, [this], { scalar: x }, [this]);
    else invoke(bcast, [this, x], null, [this]);
    return this;
  }

  /** In place `this += x` (MXNet `a += x`). @example a.iadd(1) */
  iadd(x: Operand): this { return this.inplace('broadcast_add', '_plus_scalar', x); }
  /** In place `this -= x`. @example a.isub(1) */
  isub(x: Operand): this { return this.inplace('broadcast_sub', '_minus_scalar', x); }
  /** In place `this *= x`. @example a.imul(3) */
  imul(x: Operand): this { return this.inplace('broadcast_mul', '_mul_scalar', x); }
  /** In place `this /= x`. @example a.idiv(2) */
  idiv(x: Operand): this { return this.inplace('broadcast_div', '_div_scalar', x); }

  // ---- views ----

  /**
   * A view with a new shape (shares memory). MXNet's codes work: 0 keeps a dim, -1 infers one,
   * -2 copies the rest, -3 merges two, -4 splits one. A last `{ reverse: true }` reads the codes
   * right to left (MXNet's `reverse=True`).
   * @example nd.arange(0, 6).reshape([2, 3]); a.reshape(-1); a.reshape(3, -1)
   * @example nd.zeros([10, 5, 4]).reshape([-1, 0], { reverse: true }).shape // [50, 4]
   */
  reshape(...shape: Array<number | readonly number[] | { reverse?: boolean }>): NDArray {
    const { shape: s, reverse } = reshapeArgs(shape, `; array shape (${this.shapeRef().join(', ')})`);
    if (reverse) return this.reshape(this.reversedReshape(s));
    return new NDArray(this._b.reshape(this.handle, s), this._b);
  }

  // The shape `codes` give read right to left, as MXNet's inferReshape does it: both lists reversed,
  // inferred left to right (through views of this array's storage), and the result reversed back.
  private reversedReshape(codes: number[]): number[] {
    const dims = this.shapeRef();
    const flipped = new NDArray(this._b.reshape(this.handle, [...dims].reverse()), this._b);
    try {
      const inferred = new NDArray(this._b.reshape(flipped.handle, [...codes].reverse()), this._b);
      try {
        return [...inferred.shapeRef()].reverse();
      } finally {
        inferred.dispose();
      }
    } catch (e) {
      if (!(e instanceof IsotensorError)) throw e;
      throw new IsotensorError(`reshape: argument 'shape': (${codes.join(', ')}) read right to left (reverse) does not fit array shape (${dims.join(', ')})`);
    } finally {
      flipped.dispose();
    }
  }

  /** A view of rows [begin, end) along axis 0. @example nd.arange(0, 6).slice(1, 3) */
  slice(begin: number, end?: number): NDArray {
    const n = this.shapeRef()[0] ?? 0;
    checkIndex('slice', 'begin', begin);
    if (end !== undefined) checkIndex('slice', 'end', end);
    const b = begin < 0 ? begin + n : begin;
    const e = end === undefined ? n : end < 0 ? end + n : end;
    return new NDArray(this._b.slice(this.handle, b, e), this._b);
  }

  /** A view of row `i` along axis 0, with that axis removed. @example nd.eye(3).at(1) // [0. 1. 0.] */
  at(i: number): NDArray {
    checkIndex('at', 'index', i);
    // The core counts a negative index from the end (once) and range-checks it.
    return new NDArray(this._b.at(this.handle, i), this._b);
  }

  /**
   * Whether both arrays share one storage chunk (views of each other).
   * @example a.reshape(-1).sharesMemoryWith(a) // true
   */
  sharesMemoryWith(other: NDArray): boolean {
    expectNDArray(other, 'sharesMemoryWith', 'other');
    return other.backend === this._b && this._b.sameStorage(this.handle, other.handle);
  }

  // ---- math ----

  private binary(bcast: string, scalarOp: string, x: Operand): NDArray {
    if (typeof x === 'number') return invoke1(scalarOp, [this], { scalar: x });
    return invoke1(bcast, [this, x]);
  }

  /** Element-wise sum with broadcasting. @example a.add(b); a.add(1) */
  add(x: Operand): NDArray { return this.binary('broadcast_add', '_plus_scalar', x); }
  /** Element-wise difference. @example a.sub(b) */
  sub(x: Operand): NDArray { return this.binary('broadcast_sub', '_minus_scalar', x); }
  /** Element-wise product. @example a.mul(2) */
  mul(x: Operand): NDArray { return this.binary('broadcast_mul', '_mul_scalar', x); }
  /** Element-wise quotient. @example a.div(b) */
  div(x: Operand): NDArray { return this.binary('broadcast_div', '_div_scalar', x); }
  /** Element-wise modulo. @example a.mod(3) */
  mod(x: Operand): NDArray { return this.binary('broadcast_mod', '_mod_scalar', x); }
  /** Element-wise power. @example a.pow(2) */
  pow(x: Operand): NDArray { return this.binary('broadcast_power', '_power_scalar', x); }
  /** Element-wise maximum. @example a.maximum(0) */
  maximum(x: Operand): NDArray { return this.binary('broadcast_maximum', '_maximum_scalar', x); }
  /** Element-wise minimum. @example a.minimum(b) */
  minimum(x: Operand): NDArray { return this.binary('broadcast_minimum', '_minimum_scalar', x); }
  /** 1 where equal, else 0. @example a.equal(b) */
  equal(x: Operand): NDArray { return this.binary('broadcast_equal', '_equal_scalar', x); }
  /** 1 where different, else 0. @example a.notEqual(0) */
  notEqual(x: Operand): NDArray { return this.binary('broadcast_not_equal', '_not_equal_scalar', x); }
  /** 1 where this > x. @example a.greater(0) */
  greater(x: Operand): NDArray { return this.binary('broadcast_greater', '_greater_scalar', x); }
  /** 1 where this >= x. @example a.greaterEqual(b) */
  greaterEqual(x: Operand): NDArray { return this.binary('broadcast_greater_equal', '_greater_equal_scalar', x); }
  /** 1 where this < x. @example a.lesser(1) */
  lesser(x: Operand): NDArray { return this.binary('broadcast_lesser', '_lesser_scalar', x); }
  /** 1 where this <= x. @example a.lesserEqual(b) */
  lesserEqual(x: Operand): NDArray { return this.binary('broadcast_lesser_equal', '_lesser_equal_scalar', x); }

  /** -x. @example a.neg() */
  neg(): NDArray { return invoke1('negative', [this]); }
  /** |x|. @example a.abs() */
  abs(): NDArray { return invoke1('abs', [this]); }
  /** e^x. @example a.exp() */
  exp(): NDArray { return invoke1('exp', [this]); }
  /** Natural logarithm. @example a.log() */
  log(): NDArray { return invoke1('log', [this]); }
  /** Square root. @example a.sqrt() */
  sqrt(): NDArray { return invoke1('sqrt', [this]); }
  /** x². @example a.square() */
  square(): NDArray { return invoke1('square', [this]); }
  /** max(x, 0). @example a.relu() */
  relu(): NDArray { return invoke1('relu', [this]); }
  /** 1 / (1 + e^-x). @example a.sigmoid() */
  sigmoid(): NDArray { return invoke1('sigmoid', [this]); }
  /** Hyperbolic tangent. @example a.tanh() */
  tanh(): NDArray { return invoke1('tanh', [this]); }

  private apply([op, attrs]: OpCall): NDArray {
    return invoke1(op, [this], attrs);
  }

  /** Sum over `axis` (all by default). @example a.sum(); a.sum(1); a.sum({ axis: 0, keepdims: true }) */
  sum(axis?: Axis | ReduceOptions, ...rest: [keepdims?: boolean, exclude?: boolean]): NDArray { return this.apply(reduceCall('sum', axis, rest)); }
  /** Mean over `axis`. @example a.mean(0) */
  mean(axis?: Axis | ReduceOptions, ...rest: [keepdims?: boolean, exclude?: boolean]): NDArray { return this.apply(reduceCall('mean', axis, rest)); }
  /** Maximum over `axis`. @example a.max() */
  max(axis?: Axis | ReduceOptions, ...rest: [keepdims?: boolean, exclude?: boolean]): NDArray { return this.apply(reduceCall('max', axis, rest)); }
  /** Minimum over `axis`. @example a.min(1) */
  min(axis?: Axis | ReduceOptions, ...rest: [keepdims?: boolean, exclude?: boolean]): NDArray { return this.apply(reduceCall('min', axis, rest)); }
  /** Product over `axis`. @example a.prod() */
  prod(axis?: Axis | ReduceOptions, ...rest: [keepdims?: boolean, exclude?: boolean]): NDArray { return this.apply(reduceCall('prod', axis, rest)); }

  /** Index of the maximum along `axis` (flattened when null). @example a.argmax(1) */
  argmax(axis: number | null | { axis?: number | null; keepdims?: boolean } = null, keepdims?: boolean): NDArray {
    return this.apply(argExtremeCall('argmax', axis, keepdims));
  }

  /** Index of the minimum along `axis`. @example a.argmin(0) */
  argmin(axis: number | null | { axis?: number | null; keepdims?: boolean } = null, keepdims?: boolean): NDArray {
    return this.apply(argExtremeCall('argmin', axis, keepdims));
  }

  /**
   * L2 (or L1) norm, over every axis or the given ones. Numbers are MXNet's positional `norm(ord, axis,
   * keepdims)`: `a.norm(1)` is the L1 norm of every element, as in MXNet; a list alone is the axes.
   * @example a.norm(); a.norm(1); a.norm(2, 1); a.norm({ axis: 1, ord: 1 })
   */
  norm(opts?: Axis | NormOptions | 1 | 2, ...rest: unknown[]): NDArray { return this.apply(normCall(opts, rest)); }

  /** Matrix product (MXNet `dot`). @example a.dot(b); a.dot(b, { transposeB: true }) */
  dot(b: NDArray, opts: { transposeA?: boolean; transposeB?: boolean } | boolean = {}, transposeB?: boolean): NDArray {
    const [op, attrs] = dotCall(opts, transposeB);
    return invoke1(op, [this, b], attrs);
  }

  /** Permutes axes (reverses them by default). @example a.transpose(); a.transpose([1, 0, 2]) */
  transpose(axes?: readonly number[] | { axes?: readonly number[] } | number, ...more: number[]): NDArray {
    return this.apply(transposeCall(axes, more));
  }

  /** Transpose (MXNet `.T`). @example a.T */
  get T(): NDArray {
    return this.transpose();
  }

  /** Inserts an axis of size 1. @example nd.zeros([3]).expandDims(0).shape // [1, 3] */
  expandDims(axis: number, ...extra: never[]): NDArray { return this.apply(expandDimsCall(axis, extra)); }

  /** Removes axes of size 1 (all, or the given ones). @example nd.zeros([1, 3, 1]).squeeze().shape // [3] */
  squeeze(axis?: Axis, ...extra: never[]): NDArray { return this.apply(squeezeCall(axis, extra)); }

  /** Collapses all but the first axis. @example nd.zeros([2, 3, 4]).flatten().shape // [2, 12] */
  flatten(): NDArray { return invoke1('Flatten', [this]); }

  /** Limits values to [aMin, aMax]. @example a.clip(0, 1) */
  clip(aMin: number, aMax: number): NDArray { return this.apply(clipCall(aMin, aMax)); }

  /** Sorted copy along `axis` (last by default). @example a.sort(); a.sort({ isAscend: false }) */
  sort(axis?: number | null | SortOptions, ...rest: [isAscend?: boolean]): NDArray { return this.apply(sortCall('sort', axis, rest)); }

  /** Indices that sort along `axis`. @example a.argsort() */
  argsort(axis?: number | null | SortOptions, ...rest: [isAscend?: boolean, dtype?: DType]): NDArray {
    return this.apply(sortCall('argsort', axis, rest));
  }

  /**
   * The k largest (or smallest) along `axis`: indices by default; `retTyp: 'both'` gives
   * [values, indices]. @example a.topk({ k: 2, retTyp: 'value' })
   */
  topk(opts: TopkOptions & { retTyp: 'both' }): NDArray[];
  topk(opts?: TopkOptions): NDArray;
  topk(opts?: TopkOptions): NDArray | NDArray[] {
    const [op, attrs] = topkCall(opts);
    const res = invoke(op, [this], attrs);
    return attrs['retTyp'] === 'both' ? res : res[0]!;
  }

  /** Reverses the order along `axis`. @example a.flip(0) */
  flip(axis: number | readonly number[], ...extra: never[]): NDArray { return this.apply(flipCall(axis, extra)); }

  /** Repeats the whole array `reps` times per axis. @example a.tile([2, 1]) */
  tile(reps: number | readonly number[], ...extra: never[]): NDArray { return this.apply(tileCall(reps, extra)); }

  /** Repeats each element (along `axis`, or of the flattened array). @example a.repeat(2, { axis: 0 }) */
  repeat(repeats: number, opts?: { axis?: number | null }): NDArray { return this.apply(repeatCall(repeats, opts)); }

  /** Softmax along `axis` (last by default). @example a.softmax(); a.softmax(0); a.softmax({ axis: 1, temperature: 2 }) */
  softmax(axis?: number | SoftmaxOptions, ...extra: never[]): NDArray { return this.apply(softmaxCall('softmax', axis, extra)); }
  /** Log-softmax along `axis`. @example a.logSoftmax(1) */
  logSoftmax(axis?: number | SoftmaxOptions, ...extra: never[]): NDArray { return this.apply(softmaxCall('log_softmax', axis, extra)); }
  /** Softmin along `axis`. @example a.softmin() */
  softmin(axis?: number | SoftmaxOptions, ...extra: never[]): NDArray { return this.apply(softmaxCall('softmin', axis, extra)); }
  /** Exchanges two axes. @example nd.zeros([2, 3]).swapaxes(0, 1).shape // [3, 2] */
  swapaxes(dim1: number, dim2: number): NDArray { return this.apply(swapaxesCall(dim1, dim2)); }
  /**
   * Splits into equal sections or before each of `indices` (MXNet's `split_v2`): one part is returned as an
   * NDArray, several as a list. @example a.splitV2(3); a.splitV2([2, 5], { axis: 1 }); a.splitV2(4, 0, true)
   */
  splitV2(indicesOrSections: number | readonly number[],
          ...rest: [axis?: number | SplitV2Options, squeezeAxis?: boolean]): NDArray | NDArray[] {
    const [op, attrs] = splitV2Call('NDArray.splitV2', indicesOrSections, rest);
    const parts = invoke(op, [this], attrs);
    return parts.length === 1 ? parts[0]! : parts;
  }

  /** Broadcasts to a larger shape (a copy). @example nd.ones([1, 3]).broadcastTo([2, 3]) */
  broadcastTo(shape: readonly number[]): NDArray {
    return invoke1('broadcast_to', [this], { shape });
  }
}

// floor, ceil, round, sin, cos, ..., zerosLike, onesLike: one definition for NDArray and Symbol (method_calls.ts).
// eslint-disable-next-line @typescript-eslint/no-empty-interface, @typescript-eslint/no-unsafe-declaration-merging
export interface NDArray extends ElementwiseMethods<NDArray> {}
installElementwiseMethods<NDArray>(NDArray.prototype, (x, op) => invoke1(op, [x]));

registerArrayClass(NDArray);

/** @internal Host values → a new array (blocking copy), used by nd.array. */
export function arrayFromHost(b: Backend, flat: ArrayLike<unknown>, shape: readonly number[], dtype: DType,
                              ctx: Context): NDArray {
  checkContext(ctx, b);
  const x = new NDArray(b.create(shape, dtypeFlag(dtype), ctx.deviceTypeId, ctx.deviceId), b);
  try {
    // A fresh array has no pending work, so this copy never waits (fine on a browser's main thread).
    if (flat.length > 0) b.copyFrom(x.handle, toStorage(dtype, flat));
  } catch (e) {
    x.dispose();
    throw e;
  }
  return x;
}
