// Host data: nested JS arrays and TypedArrays as flat values plus a shape (ragged input rejected).
// SPDX-License-Identifier: Apache-2.0
import { isTypedArray, type TypedArray } from '../base/dtype.js';
import { IsotensorError, kindOf } from '../base/error.js';

/** A (possibly nested) JS array of numbers, booleans or bigints, or a scalar. */
export type NestedArray = number | boolean | bigint | ReadonlyArray<NestedArray> | TypedArray;

/**
 * Shape of nested arrays: the lengths down the first elements, checked on every branch.
 * @example inferShape([[1, 2, 3], [4, 5, 6]]) // [2, 3]
 */
export function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  for (;;) {
    if (isTypedArray(cur)) {
      shape.push(cur.length);
      break;
    }
    if (!Array.isArray(cur)) break;
    const arr = cur as ReadonlyArray<NestedArray>;
    shape.push(arr.length);
    if (arr.length === 0) break;
    cur = arr[0]!;
  }
  checkRagged(data, shape, 0, []);
  return shape;
}

function describe(path: number[]): string {
  return path.length === 0 ? 'the top level' : `index [${path.join('][')}]`;
}

function checkRagged(data: NestedArray, shape: readonly number[], depth: number, path: number[]): void {
  if (depth === shape.length) {
    if (Array.isArray(data) || isTypedArray(data)) {
      throw new IsotensorError(`nd.array: ragged nested array: ${describe(path)} is an array where a number was ` +
                               `expected (inferred shape (${shape.join(', ')}))`);
    }
    if (typeof data !== 'number' && typeof data !== 'boolean' && typeof data !== 'bigint') {
      throw new IsotensorError(`nd.array: ${describe(path)} is ${typeof data}, expected a number, boolean or bigint`);
    }
    return;
  }
  const isArr = Array.isArray(data) || isTypedArray(data);
  const len = isArr ? (data as ArrayLike<unknown>).length : -1;
  if (len !== shape[depth]) {
    throw new IsotensorError(`nd.array: ragged nested array: ${describe(path)} has ` +
                             `${isArr ? `length ${len}` : 'a scalar'} where length ${shape[depth]} was expected ` +
                             `(inferred shape (${shape.join(', ')}))`);
  }
  if (isTypedArray(data)) return;
  const arr = data as ReadonlyArray<NestedArray>;
  for (let i = 0; i < arr.length; i++) {
    path.push(i);
    checkRagged(arr[i]!, shape, depth + 1, path);
    path.pop();
  }
}

/** Flat row-major values of nested arrays (shape already checked). */
export function flatten(data: NestedArray): ArrayLike<number | boolean | bigint> {
  if (isTypedArray(data)) return data as ArrayLike<number | bigint>;
  if (!Array.isArray(data)) return [data as number | boolean | bigint];
  const out: Array<number | boolean | bigint> = [];
  const walk = (x: NestedArray): void => {
    if (Array.isArray(x)) {
      for (const y of x as ReadonlyArray<NestedArray>) walk(y);
    } else if (isTypedArray(x)) {
      for (let i = 0; i < x.length; i++) out.push(x[i]!);
    } else {
      out.push(x as number | boolean | bigint);
    }
  };
  walk(data);
  return out;
}

/** Product of a shape. @example shapeSize([2, 3]) // 6 */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Normalises MXNet-style shape arguments: `5`, `[2, 3]`. */
export function toShape(shape: number | readonly number[], what: string): number[] {
  if (typeof shape !== 'number' && !Array.isArray(shape)) {
    throw new IsotensorError(`${what}: shape must be a number or an array of them, got ${kindOf(shape)}`);
  }
  const s = typeof shape === 'number' ? [shape] : Array.from(shape);
  for (const d of s) {
    if (!Number.isInteger(d) || d < 0) throw new IsotensorError(`${what}: invalid shape (${s.join(', ')})`);
  }
  return s;
}

/** Nested JS arrays of the given shape from flat values (numbers for 0-d). */
export function unflatten<T>(flat: ArrayLike<T>, shape: readonly number[]): unknown {
  if (shape.length === 0) return flat[0];
  let pos = 0;
  const build = (axis: number): unknown[] => {
    const n = shape[axis]!;
    const out = new Array<unknown>(n);
    if (axis === shape.length - 1) {
      for (let i = 0; i < n; i++) out[i] = flat[pos++];
    } else {
      for (let i = 0; i < n; i++) out[i] = build(axis + 1);
    }
    return out;
  };
  return build(0);
}
