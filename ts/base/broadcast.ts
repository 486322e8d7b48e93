// NumPy broadcasting of two shapes on the host: the result shape and, per result element, the flat
// index into each operand (metrics over host arrays, ONNX's string operators).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from './error.js';

/** NumPy broadcasting of two shapes; throws, naming `what`, when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[], what: string): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1, y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new IsotensorError(`${what}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The broadcast shape of a and b, and for each of its elements (row-major) the flat index into a and into b. */
export function broadcastIndices(a: readonly number[], b: readonly number[], what: string): { shape: number[]; ia: Int32Array; ib: Int32Array } {
  const shape = broadcastShapes(a, b, what);
  const n = shape.length;
  const size = shape.reduce((p, d) => p * d, 1);
  const strides = (s: readonly number[]): number[] => {
    const st = new Array<number>(n).fill(0);
    let acc = 1;
    for (let i = s.length - 1; i >= 0; i--) {
      st[n - s.length + i] = s[i] === 1 ? 0 : acc;
      acc *= s[i]!;
    }
    return st;
  };
  const sa = strides(a), sb = strides(b);
  const ia = new Int32Array(size), ib = new Int32Array(size);
  const idx = new Array<number>(n).fill(0);
  for (let k = 0; k < size; k++) {
    let pa = 0, pb = 0;
    for (let d = 0; d < n; d++) { pa += idx[d]! * sa[d]!; pb += idx[d]! * sb[d]!; }
    ia[k] = pa;
    ib[k] = pb;
    for (let d = n - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { shape, ia, ib };
}
