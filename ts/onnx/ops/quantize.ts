// ONNX linear quantisation: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, QLinearMatMul, QLinearConv.
// SPDX-License-Identifier: Apache-2.0
//
// Quantised values are computed in float64 (exact for every integer the quantised types hold), rounded
// half to even as onnx's reference (np.rint) does, then clipped and cast.
import type { DType } from '../../base/dtype.js';
import { converter, type NodeContext, type Value } from '../convert.js';
import { narrowOf, narrowType, tagNarrow, type NarrowType } from '../narrow.js';
import { dtypeOfOnnx } from '../tensor.js';
import { toNarrow } from './cast.js';
import { roundHalfEven } from './elementwise.js';
import { matmul } from './nn.js';

const Q_RANGE: Readonly<Partial<Record<DType, [number, number]>>> = {
  uint8: [0, 255], int8: [-128, 127], uint16: [0, 65535], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
};
// The narrow integer types, held in int8/uint8 (narrow.ts).
const NARROW_RANGE: Readonly<Record<string, [number, number]>> = {
  int4: [-8, 7], uint4: [0, 15], int2: [-2, 1], uint2: [0, 3],
};

/** Number of elements of v; a value whose shape cannot be inferred is taken as a scalar. */
function sizeOf(c: NodeContext, v: Value): number {
  return (c.shapeIfKnown(v) ?? []).reduce((a, b) => a * b, 1);
}

/**
 * A scale or zero point shaped to broadcast against x (onnx's reshape_input): one value; a vector
 * along `axis`; or, with `block`, one value per block of `block` elements along `axis`.
 */
function quantParam(c: NodeContext, v: Value, xShape: readonly number[], axis: number, block: number, what: string): Value {
  if (sizeOf(c, v) === 1) return c.op('Reshape', [v], { shape: [1] });
  const rank = xShape.length;
  const ax = c.axis(axis, rank);
  const vs = c.shape(v, what);
  if (block <= 0) {
    if (vs.length !== 1 || vs[0] !== xShape[ax]) c.fail(`${what} of shape (${vs.join(', ')}) does not match axis ${ax} of x (${xShape.join(', ')})`);
    return c.op('Reshape', [v], { shape: xShape.map((d, i) => (i === ax ? d : 1)) });
  }
  if (vs.length !== rank || vs.some((d, i) => i !== ax && d !== xShape[i]) || vs[ax]! !== Math.ceil(xShape[ax]! / block)) {
    c.fail(`${what} of shape (${vs.join(', ')}) is not x's shape (${xShape.join(', ')}) blocked by ${block} along axis ${ax}`);
  }
  const r = c.op('repeat', [v], { repeats: block, axis: ax });
  return vs[ax]! * block === xShape[ax] ? r : c.op('slice_axis', [r], { axis: ax, begin: 0, end: xShape[ax]! });
}

/** A quantised type: a dtype, or a narrow ONNX type (held in its carrier dtype). */
type QType = DType | NarrowType;

const qName = (t: QType): string => (typeof t === 'string' ? t : t.name);
const SUPPORTED = 'uint8, int8, uint16, int16, int32, int4, uint4, int2, uint2, float8 and float4e2m1';

/** v (float64, integral) plus an optional zero point, clipped to t's range and cast to it. */
function saturate(c: NodeContext, v: Value, zp: Value | undefined, t: QType): Value {
  const range = typeof t === 'string' ? Q_RANGE[t] : NARROW_RANGE[t.name];
  const [lo, hi] = range ?? c.fail(`quantised output type ${qName(t)} is not supported (${SUPPORTED})`);
  const withZp = zp === undefined ? v : c.op('broadcast_add', [v, c.cast(zp, 'float64')]);
  const y = c.op('Cast', [c.op('clip', [withZp], { a_min: lo, a_max: hi })], { dtype: typeof t === 'string' ? t : t.carrier });
  return typeof t === 'string' ? y : tagNarrow(y, t);
}

/** The quantised type of an ONNX element type, or a clear error for those that are not one. */
function quantType(c: NodeContext, code: number): QType {
  const n = narrowType(code);
  if (n !== undefined) return n;
  const d = dtypeOfOnnx(code, `${c.label}: output_dtype`);
  if (Q_RANGE[d] === undefined) c.fail(`quantising to ${d} is not supported (${SUPPORTED})`);
  return d;
}

/** The quantised type a value holds (its narrow type, else its dtype). */
function typeOfValue(c: NodeContext, v: Value, what: string): QType {
  return narrowOf(v) ?? c.dtype(v, what);
}

/** The dtype x / scale is computed in, as NumPy promotes them. */
function divisionType(a: DType, b: DType): DType {
  if (!a.startsWith('float') && !a.startsWith('bfloat')) return 'float64';
  const rank = (d: DType): number => ({ float64: 3, float32: 2 } as Record<string, number>)[d] ?? 1;
  return rank(a) >= rank(b) ? a : b;
}

converter('QuantizeLinear', (c) => {
  const x = c.input(0);
  const scale = c.input(1);
  const zp = c.has(2) ? c.input(2) : undefined;
  const xs = c.shape(x, 'x');
  const axis = c.int('axis', 1);
  const block = c.int('block_size', 0);
  const attrT = c.int('output_dtype', 0);
  let t: QType;
  if (zp !== undefined) {
    t = typeOfValue(c, zp, 'y_zero_point');
    if (attrT !== 0 && qName(quantType(c, attrT)) !== qName(t)) c.fail(`output_dtype ${qName(quantType(c, attrT))} differs from y_zero_point's type ${qName(t)}`);
  } else {
    t = attrT !== 0 ? quantType(c, attrT) : 'uint8';
  }
  const precision = c.int('precision', 0);
  const cd = precision !== 0 ? dtypeOfOnnx(precision, `${c.label}: precision`) : divisionType(c.dtype(x, 'x'), c.dtype(scale, 'y_scale'));
  const s = c.cast(quantParam(c, scale, xs, axis, block, 'y_scale'), cd);
  const scaled = c.op('broadcast_div', [c.cast(x, cd), s]);
  if (typeof t !== 'string' && t.carrier === 'float32') {
    // float8 (zero point 0 by the spec) and float4e2m1 (which adds it): round onto the format's grid.
    const shifted = zp !== undefined && t.name === 'float4e2m1'
      ? c.op('broadcast_add', [scaled, c.cast(quantParam(c, zp, xs, axis, block, 'y_zero_point'), cd)]) : scaled;
    return toNarrow(c, shifted, t, c.int('saturate', 1) !== 0);
  }
  const q = roundHalfEven(c, scaled);
  return saturate(c, c.cast(q, 'float64'), zp === undefined ? undefined : quantParam(c, zp, xs, axis, block, 'y_zero_point'), t);
}, 10);

converter('DequantizeLinear', (c) => {
  const x = c.input(0);
  const scale = c.input(1);
  const xs = c.shape(x, 'x');
  const axis = c.int('axis', 1);
  const block = c.int('block_size', 0);
  const attrT = c.int('output_dtype', 0);
  const out = attrT !== 0 ? dtypeOfOnnx(attrT, `${c.label}: output_dtype`) : c.dtype(scale, 'x_scale');
  let v = c.cast(x, 'float64');
  if (c.has(2)) v = c.op('broadcast_sub', [v, c.cast(quantParam(c, c.input(2), xs, axis, block, 'x_zero_point'), 'float64')]);
  const y = c.op('broadcast_mul', [v, c.cast(quantParam(c, scale, xs, axis, block, 'x_scale'), 'float64')]);
  return c.cast(y, out);
}, 10);

converter('DynamicQuantizeLinear', (c) => {
  const x = c.cast(c.input(0), 'float32');
  // The range always holds 0: scale = (max(0, max x) - min(0, min x)) / 255, or 1/255 when it is empty.
  const hi = c.op('_maximum_scalar', [c.op('max', [x])], { scalar: 0 });
  const lo = c.op('_minimum_scalar', [c.op('min', [x])], { scalar: 0 });
  let range = c.op('broadcast_sub', [hi, lo]);
  range = c.op('broadcast_add', [range, c.op('_equal_scalar', [range], { scalar: 0 })]);
  const scale = c.op('_div_scalar', [c.op('Reshape', [range], { shape: [1] })], { scalar: 255 });
  const zpF = c.op('clip', [c.op('_rminus_scalar', [c.op('broadcast_div', [c.op('Reshape', [lo], { shape: [1] }), scale])], { scalar: 0 })],
                   { a_min: 0, a_max: 255 });
  const zp = roundHalfEven(c, zpF);
  const q = c.op('broadcast_add', [roundHalfEven(c, c.op('broadcast_div', [x, scale])), zp]);
  const y = c.op('Cast', [c.op('clip', [q], { a_min: 0, a_max: 255 })], { dtype: 'uint8' });
  const scalar = (v: Value): Value => c.op('Reshape', [v], { shape: [] });
  return [y, scalar(c.cast(scale, c.dtype(c.input(0)))), scalar(c.op('Cast', [zp], { dtype: 'uint8' }))];
}, 11);

/** An integer operand minus its (reshaped) zero point, in float64. */
function dezero(c: NodeContext, v: Value, zp: Value | undefined): Value {
  const f = c.cast(v, 'float64');
  return zp === undefined ? f : c.op('broadcast_sub', [f, c.cast(zp, 'float64')]);
}

/** A value with one element as (1,), else reshaped to `shape(n)`. */
function shaped(c: NodeContext, v: Value, shape: (n: number) => number[]): Value {
  const n = sizeOf(c, v);
  return c.op('Reshape', [v], { shape: n === 1 ? [1] : shape(n) });
}

/** Requantises an exact float64 accumulator: acc * (sa * sb / sy) + zy, rounded half to even and saturated. */
function requantize(c: NodeContext, acc: Value, sa: Value, sb: Value, sy: Value, zy: Value | undefined, dt: QType): Value {
  // The multiplier is formed in the scales' own dtype, as the reference does, then widened.
  const m = c.cast(c.op('broadcast_div', [c.op('broadcast_mul', [sa, sb]), sy]), 'float64');
  let r = c.op('broadcast_mul', [acc, m]);
  if (zy !== undefined) r = c.op('broadcast_add', [r, c.cast(zy, 'float64')]);
  return saturate(c, roundHalfEven(c, r), undefined, dt);
}

converter('QLinearMatMul', (c) => {
  const a = c.input(0);
  const b = c.input(3);
  const zy = c.has(7) ? shaped(c, c.input(7), () => c.fail('y_zero_point must be a scalar')) : undefined;
  const dt = c.has(7) ? c.dtype(c.input(7), 'y_zero_point') : c.dtype(a, 'a');
  // A's scale and zero point may be per row (M,), B's per column (N,).
  const row = (m: number): number[] => [m, 1];
  const col = (m: number): number[] => [m];
  const acc = matmul(c, dezero(c, a, c.has(2) ? shaped(c, c.input(2), row) : undefined),
                     dezero(c, b, c.has(5) ? shaped(c, c.input(5), col) : undefined));
  return requantize(c, acc, shaped(c, c.input(1), row), shaped(c, c.input(4), col),
                    shaped(c, c.input(6), () => c.fail('y_scale must be a scalar')), zy, dt);
}, 10);

converter('QLinearConv', (c) => {
  const x = c.input(0);
  const w = c.input(3);
  const ws = c.shape(w, 'w');
  const r = ws.length;
  const dt = c.has(7) ? c.dtype(c.input(7), 'y_zero_point') : c.dtype(x, 'x');
  const xf = dezero(c, x, c.has(2) ? shaped(c, c.input(2), () => c.fail('x_zero_point must be a scalar')) : undefined);
  // w's zero point and scale may be per output channel.
  const wf = dezero(c, w, c.has(5) ? shaped(c, c.input(5), (m) => [m, ...new Array<number>(r - 1).fill(1)]) : undefined);
  const inputs: Value[] = [xf, wf];
  if (c.has(8)) inputs.push(c.cast(c.input(8), 'float64'));
  // The ONNX Conv converter, on the dezeroed float64 operands (exact for the int32 accumulation).
  const acc = c.convertAs('Conv', inputs)[0]!;
  const channel = (m: number): number[] => [1, m, ...new Array<number>(r - 2).fill(1)];
  return requantize(c, acc, shaped(c, c.input(1), () => c.fail('x_scale must be a scalar')), shaped(c, c.input(4), channel),
                    shaped(c, c.input(6), () => c.fail('y_scale must be a scalar')),
                    c.has(7) ? shaped(c, c.input(7), () => c.fail('y_zero_point must be a scalar')) : undefined, dt);
}, 10);
