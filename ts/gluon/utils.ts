// gluon.utils (MXNet's gluon/utils.py): splitData, splitAndLoad for data parallelism, clipGlobalNorm.
// SPDX-License-Identifier: Apache-2.0
import { toContext, type Context } from '../base/context.js';
import { expectArray, IsotensorError, kindOf, show } from '../base/error.js';
import { scope } from '../ndarray/lifetime.js';
import { NDArray } from '../ndarray/ndarray.js';
import { expectNDArray, invoke1 } from '../ndarray/invoke.js';

/**
 * Splits data into numSlice parts along batchAxis. evenSplit (default) requires the size to be
 * divisible; otherwise the first slices take one more row. Slices along axis 0 are views.
 * @example gluon.utils.splitData(nd.zeros([6, 2]), 3).map((a) => a.shape) // [[2, 2], [2, 2], [2, 2]]
 */
export function splitData(data: NDArray, numSlice: number, batchAxis = 0, evenSplit = true): NDArray[] {
  expectNDArray(data, 'splitData', "argument 'data'");
  const size = data.shape[batchAxis];
  if (size === undefined) throw new IsotensorError(`splitData: batchAxis ${show(batchAxis)} out of range for shape (${data.shape.join(', ')})`);
  if (!Number.isInteger(numSlice) || numSlice < 1) throw new IsotensorError(`splitData: argument 'numSlice' must be a positive integer, got ${show(numSlice)}`);
  if (evenSplit && size % numSlice !== 0) {
    throw new IsotensorError(`data with shape (${data.shape.join(', ')}) cannot be evenly split into ${numSlice} slices ` +
                             `along axis ${batchAxis}. Use a batch size that's multiple of ${numSlice} or set ` +
                             'evenSplit: false to allow uneven partitioning of data.');
  }
  // MXNet 1.9: the first size % numSlice slices take one extra row.
  const each = Math.floor(size / numSlice);
  const extras = size % numSlice;
  const bounds: [number, number][] = [];
  let at = 0;
  for (let i = 0; i < numSlice; i++) {
    const n = each + (i < extras ? 1 : 0);
    bounds.push([at, at + n]);
    at += n;
  }
  if (numSlice === 1) return [data];
  return bounds.map(([b, e]) => (batchAxis === 0 ? data.slice(b, e)
    : invoke1('slice_axis', [data], { axis: batchAxis, begin: b, end: e })));
}

/**
 * Splits data along batchAxis and copies each slice to one context of ctxList.
 * @example const xs = gluon.utils.splitAndLoad(batch, [mx.cpu(0), mx.cpu(1)]);
 */
export function splitAndLoad(data: NDArray, ctxList: readonly (Context | string)[], batchAxis = 0,
                             evenSplit = true): NDArray[] {
  expectNDArray(data, 'splitAndLoad', "argument 'data'");
  const ctxs = expectArray(ctxList, 'splitAndLoad', 'ctxList', 'an array of contexts').map((c) => toContext(c));
  if (ctxs.length === 0) throw new IsotensorError('splitAndLoad: ctxList is empty');
  if (ctxs.length === 1) return [data.asInContext(ctxs[0]!)];
  const slices = splitData(data, ctxs.length, batchAxis, evenSplit);
  return slices.map((s, i) => {
    const c = ctxs[i]!;
    if (s.context.equals(c)) return s;
    const out = s.copyto(c);
    if (s !== data) s.dispose();
    return out;
  });
}

/**
 * Rescales arrays in place so that the 2-norm of all of them together is at most maxNorm;
 * returns that norm (before rescaling). checkIsfinite: throws on a NaN or infinite norm.
 * @example gluon.utils.clipGlobalNorm(params.map((p) => p.grad()), 1.0)
 */
export function clipGlobalNorm(arrays: readonly NDArray[], maxNorm: number, checkIsfinite = true): number {
  expectArray(arrays, 'clipGlobalNorm', 'arrays', 'an array of NDArrays').forEach((a, i) => expectNDArray(a, 'clipGlobalNorm', `arrays[${i}]`));
  if (arrays.length === 0) throw new IsotensorError('clipGlobalNorm: arrays is empty');
  if (typeof maxNorm !== 'number' || !(maxNorm > 0)) {
    throw new IsotensorError(`clipGlobalNorm: argument 'maxNorm' must be a positive number, got ${show(maxNorm)}`);
  }
  const ctx = arrays[0]!.context;
  return scope(() => {
    let total: NDArray | null = null;
    for (const a of arrays) {
      const sq = a.astype('float32', { copy: false }).square().sum().copyto(ctx);
      total = total === null ? sq : total.add(sq);
    }
    const norm = Math.sqrt(total!.asScalar());
    if (checkIsfinite && !Number.isFinite(norm)) {
      throw new IsotensorError(`clipGlobalNorm: the global norm is ${norm} (nan or inf); gradients are not finite`);
    }
    const scale = maxNorm / (norm + 1e-8);
    if (scale < 1) for (const a of arrays) a.imul(scale);
    return norm;
  });
}
