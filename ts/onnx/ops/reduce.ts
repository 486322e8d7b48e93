// ONNX reductions and orderings: Reduce*, ArgMax/ArgMin, TopK, CumSum/CumProd, NLL and softmax cross-entropy losses
// SPDX-License-Identifier: Apache-2.0
import type { DType } from '../../base/dtype.js';
import { converter, type NodeContext, type Value } from '../convert.js';

/** Reshapes v to `shape` when its shape differs (MXNet reduces to (1,) where ONNX gives a scalar ()). */
function toShape(c: NodeContext, v: Value, shape: readonly number[]): Value {
  const s = c.shape(v);
  if (s.length === shape.length && s.every((d, i) => d === shape[i])) return v;
  return c.op('Reshape', [v], { shape });
}

const INT_RANGE: Readonly<Record<string, [number | bigint, number | bigint]>> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535],
  int32: [-2147483648, 2147483647], uint32: [0, 4294967295],
  int64: [-(2n ** 63n), 2n ** 63n - 1n], uint64: [0n, 2n ** 64n - 1n], bool: [0, 1],
};

/** ONNX's value of a reduction over an empty set: its identity, or ±inf / the dtype's extreme for max and min. */
function emptyValue(kind: string, dtype: DType): number | bigint {
  switch (kind) {
    case 'max': return INT_RANGE[dtype]?.[0] ?? -Infinity;
    case 'min': return INT_RANGE[dtype]?.[1] ?? Infinity;
    case 'prod': return 1;
    case 'logsum': case 'logsumexp': return -Infinity;
    case 'mean': return NaN;
    default: return 0;
  }
}

interface ReduceSpec { kind: string; since: number }

const REDUCE: Readonly<Record<string, ReduceSpec>> = {
  ReduceSum: { kind: 'sum', since: 13 }, ReduceMean: { kind: 'mean', since: 18 }, ReduceMax: { kind: 'max', since: 18 },
  ReduceMin: { kind: 'min', since: 18 }, ReduceProd: { kind: 'prod', since: 18 }, ReduceL1: { kind: 'l1', since: 18 },
  ReduceL2: { kind: 'l2', since: 18 }, ReduceLogSum: { kind: 'logsum', since: 18 },
  ReduceLogSumExp: { kind: 'logsumexp', since: 18 }, ReduceSumSquare: { kind: 'sumsquare', since: 18 },
};

/** The reduction itself over normalised, non-empty `axes` with keepdims (the caller fixes the shape). */
function reduceKeep(c: NodeContext, kind: string, x: Value, axis: number[]): Value {
  const p = { axis, keepdims: true };
  switch (kind) {
    case 'sum': case 'mean': case 'max': case 'min': case 'prod': return c.op(kind, [x], p);
    case 'l1': return c.op('norm', [x], { ...p, ord: 1 });
    case 'l2': return c.op('norm', [x], { ...p, ord: 2 });
    case 'sumsquare': return c.op('sum', [c.op('square', [x])], p);
    case 'logsum': return c.op('log', [c.op('sum', [x], p)]);
    case 'logsumexp': {
      // log(sum(exp(x - m))) + m with m the maximum, so large inputs do not overflow.
      const m = c.op('max', [x], p);
      const s = c.op('sum', [c.op('exp', [c.op('broadcast_sub', [x, m])])], p);
      return c.op('broadcast_add', [c.op('log', [s]), m]);
    }
    default: return c.fail(`unknown reduction ${kind}`);
  }
}

for (const [onnx, spec] of Object.entries(REDUCE)) {
  converter(onnx, (c) => {
    const x = c.input(0);
    // Axes are an attribute before the op's `since` opset and an optional input from it on.
    const given = c.opset < spec.since ? c.ints('axes') : c.has(1) ? c.knownInts(1, 'axes') : undefined;
    const shape = c.shape(x, 'data');
    const rank = shape.length;
    const keepdims = c.int('keepdims', 1) !== 0;
    let axes: number[];
    if (given === undefined || given.length === 0) {
      if (c.opset >= spec.since && c.int('noop_with_empty_axes', 0) !== 0) return x;
      axes = shape.map((_, i) => i);
    } else {
      axes = [...new Set(given.map((a) => c.axis(a, rank, 'axes entry')))].sort((a, b) => a - b);
    }
    const outShape = keepdims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
    if (axes.length === 0) return c.op('_copy', [x]); // a scalar: nothing to reduce
    const dt = c.dtype(x, 'data');
    if (axes.some((a) => shape[a] === 0)) {
      const n = outShape.reduce((a, b) => a * b, 1);
      return c.constant(new Array<number | bigint>(n).fill(emptyValue(spec.kind, dt)), outShape, dt);
    }
    return toShape(c, reduceKeep(c, spec.kind, x, axes), outShape);
  });
}

/* ---- ArgMax / ArgMin ---- */

for (const [onnx, mx] of [['ArgMax', 'argmax'], ['ArgMin', 'argmin']] as const) {
  converter(onnx, (c) => {
    const x = c.input(0);
    const shape = c.shape(x, 'data');
    const axis = c.axis(c.int('axis', 0), shape.length);
    const keepdims = c.int('keepdims', 1) !== 0;
    const last = c.int('select_last_index', 0) !== 0;
    // MXNet returns the first extreme; the last one is the first of the reversed axis, counted from the end.
    const src = last ? c.op('reverse', [x], { axis: [axis] }) : x;
    let idx = c.cast(c.op(mx, [src], { axis, keepdims: true }), 'int64');
    if (last) idx = c.op('_rminus_scalar', [idx], { scalar: shape[axis]! - 1 });
    const outShape = keepdims ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);
    return toShape(c, idx, outShape);
  });
}

/* ---- TopK ---- */

converter('TopK', (c) => {
  const x = c.input(0);
  // k is an attribute before opset 10 and a 1-element input from it on.
  const k = c.opset < 10 ? c.int('k') ?? c.fail('attribute k is required') : c.knownInts(1, 'K')[0]!;
  const shape = c.shape(x, 'X');
  const axis = c.axis(c.int('axis', -1), shape.length);
  if (k < 0 || k > shape[axis]!) c.fail(`k = ${k} is out of range for axis ${axis} of size ${shape[axis]}`);
  // sorted=0 leaves the order unspecified, so the sorted order MXNet gives is valid too. Ties keep the lower index first.
  const largest = c.int('largest', 1) !== 0;
  return c.opN('topk', [x], { axis, k, ret_typ: 'both', is_ascend: !largest, dtype: 'int64' }).slice(0, 2);
});

/* ---- CumSum / CumProd ---- */


/** Shifts v by one step along axis, filling the first step with `fill` (exclusive scans). */
function shiftIn(c: NodeContext, v: Value, axis: number, n: number, fill: 'zeros_like' | 'ones_like'): Value {
  const head = c.op(fill, [c.op('slice_axis', [v], { axis, begin: 0, end: 1 })]);
  if (n === 1) return head;
  return c.op('Concat', [head, c.op('slice_axis', [v], { axis, begin: 0, end: n - 1 })], { dim: axis, num_args: 2 });
}

function scan(c: NodeContext, step: (v: Value, axis: number, n: number) => Value, fill: 'zeros_like' | 'ones_like'): Value {
  const x = c.input(0);
  const a = c.knownInts(1, 'axis');
  if (a.length !== 1) c.fail(`axis must hold one value, got ${a.length}`);
  const shape = c.shape(x, 'x');
  const axis = c.axis(a[0]!, shape.length);
  const n = shape[axis]!;
  if (n === 0) return c.op('_copy', [x]);
  const reverse = c.int('reverse', 0) !== 0;
  // reverse scans run forward over the flipped axis.
  let v = reverse ? c.op('reverse', [x], { axis: [axis] }) : x;
  v = step(v, axis, n);
  if (c.int('exclusive', 0) !== 0) v = shiftIn(c, v, axis, n, fill);
  return reverse ? c.op('reverse', [v], { axis: [axis] }) : v;
}

converter('CumSum', (c) => scan(c, (v, axis) => c.op('cumsum', [v], { axis }), 'zeros_like'));

converter('CumProd', (c) => scan(c, (v, axis, n) => {
  // No cumulative-product op: a Hillis-Steele scan, log2(n) shifted multiplications (exact for integers).
  let acc = v;
  for (let s = 1; s < n; s *= 2) {
    const ones = c.op('ones_like', [c.op('slice_axis', [acc], { axis, begin: 0, end: s })]);
    const shifted = c.op('Concat', [ones, c.op('slice_axis', [acc], { axis, begin: 0, end: n - s })], { dim: axis, num_args: 2 });
    acc = c.op('broadcast_mul', [acc, shifted]);
  }
  return acc === v ? c.op('_copy', [v]) : acc;
}, 'ones_like'));

/* ---- losses ---- */

/**
 * NegativeLogLikelihoodLoss on log-probabilities `logp` (N, C, d...) and int targets (N, d...):
 * loss = -logp[n, t, d...] * weight[t], 0 where t == ignore_index; reduced by none, sum or a weighted mean.
 */
function nllLoss(c: NodeContext, logp: Value, target: Value, weight: Value | undefined): Value {
  const reduction = c.string('reduction', 'mean');
  if (!['none', 'sum', 'mean'].includes(reduction)) c.fail(`reduction '${reduction}' is not one of none, sum, mean`);
  const dt = c.dtype(logp, 'input');
  if (c.rank(logp, 'input') < 2) c.fail('input must have rank 2 or more (N, C, ...)');
  // pick and take clip out-of-range targets (ignore_index may be out of range); those entries are masked below.
  const picked = c.op('pick', [logp, target], { axis: 1, keepdims: false, mode: 'clip' });
  let w: Value | undefined = weight === undefined ? undefined : c.cast(c.op('take', [weight, target], { axis: 0, mode: 'clip' }), dt);
  const ii = c.int('ignore_index');
  if (ii !== undefined) {
    const keep = c.cast(c.op('_not_equal_scalar', [target], { scalar: ii }), dt);
    w = w === undefined ? keep : c.op('broadcast_mul', [w, keep]);
  }
  const neg = c.op('negative', [picked]);
  const loss = w === undefined ? neg : c.op('broadcast_mul', [neg, w]);
  if (reduction === 'none') return loss;
  const total = toShape(c, c.op('sum', [loss]), []);
  if (reduction === 'sum') return total;
  const count = w === undefined ? c.shape(picked).reduce((a, b) => a * b, 1) : toShape(c, c.op('sum', [w]), []);
  return typeof count === 'number' ? c.op('_div_scalar', [total], { scalar: count }) : c.op('broadcast_div', [total, count]);
}

converter('NegativeLogLikelihoodLoss', (c) => nllLoss(c, c.input(0), c.input(1), c.has(2) ? c.input(2) : undefined));

converter('SoftmaxCrossEntropyLoss', (c) => {
  const logp = c.op('log_softmax', [c.input(0)], { axis: 1 });
  return [nllLoss(c, logp, c.input(1), c.has(2) ? c.input(2) : undefined), logp];
});
