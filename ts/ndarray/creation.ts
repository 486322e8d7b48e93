// Array creation: nd.empty/zeros/ones/full/array/arange/eye and the *Like helpers.
// SPDX-License-Identifier: Apache-2.0
import { backend, checkContext } from '../backend/runtime.js';
import { Context, toContext } from '../base/context.js';
import {
  dtypeFlag, dtypeOfTypedArray, isTypedArray, normalizeDType, type DType, type TypedArray,
} from '../base/dtype.js';
import { IsotensorError, optionsOf, positionalOptions } from '../base/error.js';
import { flatten, inferShape, shapeSize, toShape, type NestedArray } from './host.js';
import { expectNDArray, invoke1 } from './invoke.js';
import { arrayFromHost, NDArray } from './ndarray.js';

/** Where and of which type a new array is: `{ ctx?, dtype? }`. */
export interface CreationOptions {
  ctx?: Context | string;
  dtype?: DType | string;
}

/** Options of nd.array: also the shape of flat TypedArray data. */
export interface ArrayOptions extends CreationOptions {
  shape?: number | readonly number[];
}

/** Accepts MXNet's positional forms: `(shape, ctx, dtype)` as well as `(shape, { ctx, dtype })`. */
function creationArgs(op: string, opts: CreationOptions | Context | string | undefined,
                      dtype: DType | string | undefined): { ctx: Context; dtype: DType | undefined } {
  if (opts instanceof Context || typeof opts === 'string') {
    return { ctx: toContext(opts), dtype: dtype === undefined ? undefined : normalizeDType(dtype, op) };
  }
  const d = opts?.dtype ?? dtype;
  return { ctx: toContext(opts?.ctx), dtype: d === undefined ? undefined : normalizeDType(d, op) };
}

/**
 * An uninitialised array (its contents are whatever the allocator had).
 * @example nd.empty([2, 3]); nd.empty([2, 3], mx.gpu())
 */
export function empty(shape: number | readonly number[], opts?: CreationOptions | Context | string,
                      dtype?: DType | string): NDArray {
  const a = creationArgs('nd.empty', opts, dtype);
  const b = backend();
  checkContext(a.ctx, b);
  const s = toShape(shape, 'nd.empty');
  return new NDArray(b.create(s, dtypeFlag(a.dtype ?? 'float32'), a.ctx.deviceTypeId, a.ctx.deviceId), b);
}

function filled(op: string, what: string, shape: number | readonly number[],
                opts: CreationOptions | Context | string | undefined,
                dtype: DType | string | undefined, extra: Record<string, number> = {}): NDArray {
  const a = creationArgs(what, opts, dtype);
  checkContext(a.ctx, backend());
  return invoke1(op, [], { shape: toShape(shape, what), ctx: a.ctx, dtype: a.dtype ?? 'float32', ...extra });
}

/** An array of zeros. @example nd.zeros([2, 3]); nd.zeros([2, 3], { dtype: 'int32' }) */
export function zeros(shape: number | readonly number[], opts?: CreationOptions | Context | string,
                      dtype?: DType | string): NDArray {
  return filled('_zeros', 'nd.zeros', shape, opts, dtype);
}

/** An array of ones. @example nd.ones([2, 3]) */
export function ones(shape: number | readonly number[], opts?: CreationOptions | Context | string,
                     dtype?: DType | string): NDArray {
  return filled('_ones', 'nd.ones', shape, opts, dtype);
}

/** An array filled with `value`. @example nd.full([2, 3], 7) */
export function full(shape: number | readonly number[], value: number, opts?: CreationOptions | Context | string,
                     dtype?: DType | string): NDArray {
  return filled('_full', 'nd.full', shape, opts, dtype, { value });
}

/**
 * An array from host data: nested arrays (shape inferred; float32 unless `dtype`), a TypedArray
 * (its own dtype unless `dtype`; `shape` reshapes the flat data), a scalar (0-d), or an NDArray (copied).
 * @example nd.array([[1, 2], [3, 4]]); nd.array(new Int32Array([1, 2, 3, 4]), { shape: [2, 2] })
 */
export function array(data: NestedArray | NDArray, opts?: ArrayOptions | Context | string,
                      dtype?: DType | string): NDArray {
  const o: ArrayOptions = opts instanceof Context || typeof opts === 'string' ? { ctx: opts } : opts ?? {};
  const d = o.dtype ?? dtype;
  const ctx = toContext(o.ctx);
  if (data instanceof NDArray) {
    const target = d === undefined ? data.dtype : normalizeDType(d, 'nd.array');
    const moved = data.copyto(ctx);
    if (target === moved.dtype) return moved;
    const cast = moved.astype(target);
    moved.dispose();
    return cast;
  }
  let shape: number[];
  let flat: ArrayLike<unknown>;
  let dt: DType;
  if (isTypedArray(data)) {
    flat = data;
    dt = d === undefined ? dtypeOfTypedArray(data as TypedArray) : normalizeDType(d, 'nd.array');
    shape = o.shape === undefined ? [data.length] : toShape(o.shape, 'nd.array');
  } else {
    shape = inferShape(data);
    flat = flatten(data);
    dt = d === undefined ? 'float32' : normalizeDType(d, 'nd.array');
    if (o.shape !== undefined) shape = toShape(o.shape, 'nd.array');
  }
  if (shapeSize(shape) !== flat.length) {
    throw new IsotensorError(`nd.array: shape (${shape.join(', ')}) holds ${shapeSize(shape)} elements but the data ` +
                             `has ${flat.length}`);
  }
  return arrayFromHost(backend(), flat, shape, dt, ctx);
}

/** Options of nd.arange. */
export interface ArangeOptions extends CreationOptions {
  /** Repeats each value this many times. */
  repeat?: number;
}

/**
 * Evenly spaced values in [start, stop) (one argument: [0, start)).
 * @example nd.arange(5); nd.arange(1, 10, 2, { dtype: 'int32' })
 */
export function arange(start: number, stop?: number | null, step: number | null = 1, options: ArangeOptions | number | null = {},
                       ...rest: unknown[]): NDArray {
  // MXNet's positional arange(start, stop, step, repeat, infer_range, ctx, dtype), or one options object.
  const opts = positionalOptions<ArangeOptions & { inferRange?: boolean }>('nd.arange', [
    ['repeat', 'number'], ['inferRange', 'boolean'], ['ctx', 'any'], ['dtype', 'any']], [options, ...rest]);
  if (opts.inferRange === true) throw new IsotensorError('nd.arange: inferRange is a Symbol-only option (give stop)');
  step = step ?? 1;
  const ctx = toContext(opts.ctx);
  checkContext(ctx, backend());
  const [lo, hi] = stop === undefined || stop === null ? [0, start] : [start, stop];
  return invoke1('_arange', [], {
    start: lo, stop: hi, step, repeat: opts.repeat, ctx,
    dtype: opts.dtype === undefined ? 'float32' : normalizeDType(opts.dtype, 'nd.arange'),
  });
}

/** Options of nd.eye. */
export interface EyeOptions extends CreationOptions {
  /** Columns (default: N). */
  M?: number;
  /** Diagonal: 0 main, > 0 above, < 0 below. */
  k?: number;
}

/** An N×M matrix with ones on the k-th diagonal. @example nd.eye(3); nd.eye(2, { M: 3, k: 1 }) */
export function eye(N: number, opts?: EyeOptions): NDArray {
  const o = optionsOf(opts, 'nd.eye');
  const ctx = toContext(o.ctx);
  checkContext(ctx, backend());
  return invoke1('_eye', [], {
    N, M: o.M ?? 0, k: o.k ?? 0, ctx, dtype: o.dtype === undefined ? 'float32' : normalizeDType(o.dtype, 'nd.eye'),
  });
}

function likeArgs(op: string, x: NDArray, opts: CreationOptions | undefined): { ctx: Context; dtype: DType } {
  expectNDArray(x, op, 'x');
  return {
    ctx: opts?.ctx === undefined ? x.context : toContext(opts.ctx),
    dtype: opts?.dtype === undefined ? x.dtype : normalizeDType(opts.dtype, op),
  };
}

/** Zeros with x's shape, dtype and context. @example nd.zerosLike(a) */
export function zerosLike(x: NDArray, opts?: CreationOptions): NDArray {
  const a = likeArgs('nd.zerosLike', x, opts);
  return zeros(x.shape, a);
}

/** Ones with x's shape, dtype and context. @example nd.onesLike(a) */
export function onesLike(x: NDArray, opts?: CreationOptions): NDArray {
  const a = likeArgs('nd.onesLike', x, opts);
  return ones(x.shape, a);
}

/** `value` everywhere, with x's shape, dtype and context. @example nd.fullLike(a, 0.5) */
export function fullLike(x: NDArray, value: number, opts?: CreationOptions): NDArray {
  const a = likeArgs('nd.fullLike', x, opts);
  return full(x.shape, value, a);
}
