// nd.<math>(x, y): the NDArray math methods as functions, with numbers allowed on either side.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, kindOf } from '../base/error.js';
import type { DType } from '../base/dtype.js';
import { invoke, invoke1 } from './invoke.js';
import { splitV2Call, type SplitV2Options } from './method_calls.js';
import {
  NDArray, type Axis, type NormOptions, type ReduceOptions, type SortOptions, type TopkOptions,
} from './ndarray.js';

type Operand = NDArray | number;

function needArray(name: string, x: unknown): NDArray {
  if (!(x instanceof NDArray)) throw new IsotensorError(`nd.${name}: expected an NDArray, got ${kindOf(x)}`);
  return x;
}

// A bare value, or the `key` field of an options object (MXNet's keyword form); null and undefined reach
// the method, which refuses or defaults them by name.
function valueOrField<T>(v: unknown, key: string): T {
  return (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : v) as T;
}

/** Binary op where a number may come first: `rScalar` is the reversed scalar op (or a flip). */
function binary(name: string, a: Operand, b: Operand, method: (x: NDArray, y: Operand) => NDArray,
                reversed: string | ((x: NDArray, s: number) => NDArray)): NDArray {
  if (a instanceof NDArray) return method(a, b);
  if (b instanceof NDArray) {
    return typeof reversed === 'string' ? invoke1(reversed, [b], { scalar: a }) : reversed(b, a);
  }
  throw new IsotensorError(`nd.${name}: at least one argument must be an NDArray`);
}

/** a + b with broadcasting. @example nd.add(a, b); nd.add(a, 1) */
export function add(a: Operand, b: Operand): NDArray { return binary('add', a, b, (x, y) => x.add(y), (x, s) => x.add(s)); }
/** a - b. @example nd.sub(a, b); nd.sub(1, a) */
export function sub(a: Operand, b: Operand): NDArray { return binary('sub', a, b, (x, y) => x.sub(y), '_rminus_scalar'); }
/** a * b. @example nd.mul(a, 2) */
export function mul(a: Operand, b: Operand): NDArray { return binary('mul', a, b, (x, y) => x.mul(y), (x, s) => x.mul(s)); }
/** a / b. @example nd.div(1, a) */
export function div(a: Operand, b: Operand): NDArray { return binary('div', a, b, (x, y) => x.div(y), '_rdiv_scalar'); }
/** a mod b. @example nd.mod(a, 3) */
export function mod(a: Operand, b: Operand): NDArray { return binary('mod', a, b, (x, y) => x.mod(y), '_rmod_scalar'); }
/** a ** b. @example nd.pow(a, 2); nd.pow(2, a) */
export function pow(a: Operand, b: Operand): NDArray { return binary('pow', a, b, (x, y) => x.pow(y), '_rpower_scalar'); }
/** Element-wise maximum. @example nd.maximum(a, 0) */
export function maximum(a: Operand, b: Operand): NDArray {
  return binary('maximum', a, b, (x, y) => x.maximum(y), (x, s) => x.maximum(s));
}
/** Element-wise minimum. @example nd.minimum(a, b) */
export function minimum(a: Operand, b: Operand): NDArray {
  return binary('minimum', a, b, (x, y) => x.minimum(y), (x, s) => x.minimum(s));
}
/** 1 where a == b. @example nd.equal(a, b) */
export function equal(a: Operand, b: Operand): NDArray {
  return binary('equal', a, b, (x, y) => x.equal(y), (x, s) => x.equal(s));
}
/** 1 where a != b. @example nd.notEqual(a, 0) */
export function notEqual(a: Operand, b: Operand): NDArray {
  return binary('notEqual', a, b, (x, y) => x.notEqual(y), (x, s) => x.notEqual(s));
}
/** 1 where a > b. @example nd.greater(a, b) */
export function greater(a: Operand, b: Operand): NDArray {
  return binary('greater', a, b, (x, y) => x.greater(y), (x, s) => x.lesser(s));
}
/** 1 where a >= b. @example nd.greaterEqual(a, 0) */
export function greaterEqual(a: Operand, b: Operand): NDArray {
  return binary('greaterEqual', a, b, (x, y) => x.greaterEqual(y), (x, s) => x.lesserEqual(s));
}
/** 1 where a < b. @example nd.lesser(a, b) */
export function lesser(a: Operand, b: Operand): NDArray {
  return binary('lesser', a, b, (x, y) => x.lesser(y), (x, s) => x.greater(s));
}
/** 1 where a <= b. @example nd.lesserEqual(a, 1) */
export function lesserEqual(a: Operand, b: Operand): NDArray {
  return binary('lesserEqual', a, b, (x, y) => x.lesserEqual(y), (x, s) => x.greaterEqual(s));
}

/** -x. @example nd.neg(a) */
export function neg(x: NDArray): NDArray { return needArray('neg', x).neg(); }
/** |x|. @example nd.abs(a) */
export function abs(x: NDArray): NDArray { return needArray('abs', x).abs(); }
/** e^x. @example nd.exp(a) */
export function exp(x: NDArray): NDArray { return needArray('exp', x).exp(); }
/** ln x. @example nd.log(a) */
export function log(x: NDArray): NDArray { return needArray('log', x).log(); }
/** √x. @example nd.sqrt(a) */
export function sqrt(x: NDArray): NDArray { return needArray('sqrt', x).sqrt(); }
/** x². @example nd.square(a) */
export function square(x: NDArray): NDArray { return needArray('square', x).square(); }
/** max(x, 0). @example nd.relu(a) */
export function relu(x: NDArray): NDArray { return needArray('relu', x).relu(); }
/** Logistic sigmoid. @example nd.sigmoid(a) */
export function sigmoid(x: NDArray): NDArray { return needArray('sigmoid', x).sigmoid(); }
/** tanh x. @example nd.tanh(a) */
export function tanh(x: NDArray): NDArray { return needArray('tanh', x).tanh(); }

/** Sum over axes. @example nd.sum(a, { axis: 1 }) */
export function sum(x: NDArray, axis?: Axis | ReduceOptions, ...rest: [keepdims?: boolean, exclude?: boolean]): NDArray {
  return needArray('sum', x).sum(axis, ...rest);
}
/** Mean over axes. @example nd.mean(a) */
export function mean(x: NDArray, axis?: Axis | ReduceOptions, ...rest: [keepdims?: boolean, exclude?: boolean]): NDArray {
  return needArray('mean', x).mean(axis, ...rest);
}
/** Maximum over axes. @example nd.max(a, 0) */
export function max(x: NDArray, axis?: Axis | ReduceOptions, ...rest: [keepdims?: boolean, exclude?: boolean]): NDArray {
  return needArray('max', x).max(axis, ...rest);
}
/** Minimum over axes. @example nd.min(a) */
export function min(x: NDArray, axis?: Axis | ReduceOptions, ...rest: [keepdims?: boolean, exclude?: boolean]): NDArray {
  return needArray('min', x).min(axis, ...rest);
}
/** Product over axes. @example nd.prod(a) */
export function prod(x: NDArray, axis?: Axis | ReduceOptions, ...rest: [keepdims?: boolean, exclude?: boolean]): NDArray {
  return needArray('prod', x).prod(axis, ...rest);
}
/** Index of the maximum. @example nd.argmax(a, 1) */
export function argmax(x: NDArray, axis?: number | null | { axis?: number | null; keepdims?: boolean }, keepdims?: boolean): NDArray {
  return keepdims === undefined ? needArray('argmax', x).argmax(axis) : needArray('argmax', x).argmax(axis, keepdims);
}
/** Index of the minimum. @example nd.argmin(a, { axis: 0 }) */
export function argmin(x: NDArray, axis?: number | null | { axis?: number | null; keepdims?: boolean }, keepdims?: boolean): NDArray {
  return keepdims === undefined ? needArray('argmin', x).argmin(axis) : needArray('argmin', x).argmin(axis, keepdims);
}
/** Norm. @example nd.norm(a) */
export function norm(x: NDArray, opts?: Axis | NormOptions | 1 | 2, ...rest: unknown[]): NDArray {
  return needArray('norm', x).norm(opts, ...rest);
}
/** Matrix product. @example nd.dot(a, b, { transposeB: true }) */
export function dot(a: NDArray, b: NDArray, opts?: { transposeA?: boolean; transposeB?: boolean } | boolean,
                    transposeB?: boolean): NDArray {
  return transposeB === undefined ? needArray('dot', a).dot(b, opts) : needArray('dot', a).dot(b, opts, transposeB);
}
/** Permutes axes. @example nd.transpose(a, { axes: [1, 0] }) */
export function transpose(x: NDArray, axes?: readonly number[] | { axes?: readonly number[] } | number, ...more: number[]): NDArray {
  return needArray('transpose', x).transpose(axes, ...more);
}
/** Inserts an axis of size 1. @example nd.expandDims(a, 0) */
export function expandDims(x: NDArray, axis: number | { axis: number }, ...extra: never[]): NDArray {
  return needArray('expandDims', x).expandDims(valueOrField(axis, 'axis'), ...extra);
}
/** Removes axes of size 1. @example nd.squeeze(a) */
export function squeeze(x: NDArray, axis?: Axis | { axis?: Axis }, ...extra: never[]): NDArray {
  return needArray('squeeze', x).squeeze(valueOrField(axis, 'axis'), ...extra);
}
/** Collapses all but the first axis. @example nd.flatten(a) */
export function flatten(x: NDArray): NDArray { return needArray('flatten', x).flatten(); }
/** Limits values to [aMin, aMax]. @example nd.clip(a, 0, 1); nd.clip(a, { aMin: 0, aMax: 1 }) */
export function clip(x: NDArray, aMin: number | { aMin: number; aMax: number }, aMax?: number): NDArray {
  if (typeof aMin === 'number') return needArray('clip', x).clip(aMin, aMax as number);
  return invoke1('clip', [needArray('clip', x)], { ...aMin }); // every option reaches the op's own check
}
/** Sorted copy. @example nd.sort(a, { axis: 0 }) */
export function sort(x: NDArray, axis?: number | null | SortOptions, ...rest: [isAscend?: boolean]): NDArray {
  return needArray('sort', x).sort(axis, ...rest);
}
/** Sorting indices. @example nd.argsort(a) */
export function argsort(x: NDArray, axis?: number | null | SortOptions, ...rest: [isAscend?: boolean, dtype?: DType]): NDArray {
  return needArray('argsort', x).argsort(axis, ...rest);
}
/** Top k along an axis. @example nd.topk(a, { k: 2 }) */
export function topk(x: NDArray, opts: TopkOptions & { retTyp: 'both' }): NDArray[];
export function topk(x: NDArray, opts?: TopkOptions): NDArray;
export function topk(x: NDArray, opts?: TopkOptions): NDArray | NDArray[] {
  return needArray('topk', x).topk(opts);
}
/** Reverses along axes. @example nd.flip(a, 0); nd.flip(a, { axis: 1 }) */
export function flip(x: NDArray, axis: number | readonly number[] | { axis: number | readonly number[] }, ...extra: never[]): NDArray {
  return needArray('flip', x).flip(valueOrField(axis, 'axis'), ...extra);
}
/** Tiles the array. @example nd.tile(a, [2, 2]); nd.tile(a, { reps: [2] }) */
export function tile(x: NDArray, reps: number | readonly number[] | { reps: number | readonly number[] }, ...extra: never[]): NDArray {
  return needArray('tile', x).tile(valueOrField(reps, 'reps'), ...extra);
}
/** Repeats elements. @example nd.repeat(a, 2, { axis: 0 }); nd.repeat(a, { repeats: 2 }) */
export function repeat(x: NDArray, repeats: number | { repeats: number; axis?: number | null },
                       opts?: { axis?: number | null }): NDArray {
  const a = needArray('repeat', x);
  if (repeats !== null && typeof repeats === 'object') return a.repeat(repeats.repeats, { axis: repeats.axis });
  return a.repeat(repeats, opts);
}

/**
 * MXNet's `split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False)`: equal sections, or a split
 * before each index; one part comes back as an NDArray, several as a list.
 * @example nd.split_v2(a, 3); nd.split_v2(a, [2, 5], { axis: 1 }); nd.split_v2(a, 4, 0, true)
 */
export function split_v2(x: NDArray, indicesOrSections: number | readonly number[],
                         ...rest: [axis?: number | SplitV2Options, squeezeAxis?: boolean]): NDArray | NDArray[] {
  const [op, attrs] = splitV2Call('nd.split_v2', indicesOrSections, rest);
  const parts = invoke(op, [needArray('split_v2', x)], attrs);
  return parts.length === 1 ? parts[0]! : parts;
}
