// Host-side views of NDArrays for the metrics: values as float64 plus shape, and the few array helpers they need.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, kindOf } from '../base/error.js';
import { broadcastIndices } from '../base/broadcast.js';
import { NDArray } from '../ndarray/ndarray.js';

/** An array's values on the host (float64, row-major) with its shape. */
export interface HostArray {
  v: Float64Array;
  shape: number[];
}

// Values read ahead without blocking (withHostValues), so metrics work where dataSync() may not
// block (a browser's main thread with threaded WebAssembly).
const readAhead = new Map<NDArray, ArrayLike<number | bigint>>();

/**
 * Reads the arrays asynchronously, then runs fn with those values standing in for dataSync().
 * @internal (EvalMetric.updateAsync, Module.fit/score)
 */
export async function withHostValues<T>(arrays: readonly NDArray[], fn: () => T): Promise<T> {
  const uniq = [...new Set(arrays.filter((a) => a instanceof NDArray))];
  const vals = await Promise.all(uniq.map((a) => a.data<never>() as Promise<ArrayLike<number | bigint>>));
  uniq.forEach((a, i) => readAhead.set(a, vals[i]!));
  try {
    return fn();
  } finally {
    for (const a of uniq) readAhead.delete(a);
  }
}

/** Reads an NDArray into float64 (blocking, unless withHostValues read it ahead). */
export function toHost(x: NDArray, what = 'metric'): HostArray {
  if (!(x instanceof NDArray)) throw new IsotensorError(`${what}: expected an NDArray, got ${kindOf(x)}`);
  const d = readAhead.get(x) ?? x.dataSync<never>() as ArrayLike<number | bigint>;
  const v = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) v[i] = Number(d[i]);
  return { v, shape: [...x.shape] };
}

/** numpy's astype('int32') of a float: truncation toward zero (wrapping like a C cast). */
export function toInt32(x: number): number {
  return Number.isFinite(x) ? Math.trunc(x) | 0 : -2147483648;
}

/** Index of the maximum along `axis` (first one on ties), as numpy.argmax. */
export function argmaxAxis(a: HostArray, axis: number): HostArray {
  const nd = a.shape.length;
  const ax = axis < 0 ? axis + nd : axis;
  if (ax < 0 || ax >= nd) throw new IsotensorError(`metric: argmax axis ${axis} is out of range for shape [${a.shape.join(', ')}]`);
  const n = a.shape[ax]!;
  const outer = a.shape.slice(0, ax).reduce((p, d) => p * d, 1);
  const inner = a.shape.slice(ax + 1).reduce((p, d) => p * d, 1);
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = 0, bv = -Infinity, found = false;
      for (let k = 0; k < n; k++) {
        const x = a.v[(o * n + k) * inner + i]!;
        if (!found || x > bv || (Number.isNaN(x) && !Number.isNaN(bv))) {
          best = k; bv = x; found = true;
          if (Number.isNaN(x)) break;  // numpy: the first NaN wins
        }
      }
      out[o * inner + i] = best;
    }
  }
  return { v: out, shape: [...a.shape.slice(0, ax), ...a.shape.slice(ax + 1)] };
}

/** Applies f elementwise over the broadcast of a and b. */
export function broadcastMap(a: HostArray, b: HostArray, f: (x: number, y: number) => number, what: string): HostArray {
  const { shape, ia, ib } = broadcastIndices(a.shape, b.shape, what);
  const out = new Float64Array(ia.length);
  for (let k = 0; k < ia.length; k++) out[k] = f(a.v[ia[k]!]!, b.v[ib[k]!]!);
  return { v: out, shape };
}

/** Mean of all values. */
export function mean(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s / v.length;
}
