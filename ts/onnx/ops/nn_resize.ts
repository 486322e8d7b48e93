// ONNX Resize and Upsample as separable per-axis interpolation (nearest, linear, cubic, antialias, crop-and-resize).
// SPDX-License-Identifier: Apache-2.0
//
// ONNX's reference interpolates one axis at a time, so each resized axis is a linear map from `in`
// to `out` positions: a gather (`take`) when every output picks one input, else a dot with the
// (in, out) weight matrix built here on the host. tf_crop_and_resize's out-of-range outputs get
// the extrapolation value as an added constant (the weights of every row sum to one, so later axes
// keep it).
import type { DType } from '../../base/dtype.js';
import type { NodeContext, Value } from '../convert.js';

type Coeffs = (ratio: number, scale: number) => number[];

function nearestCoeffs(mode: string, c: NodeContext): Coeffs {
  return (ratio) => {
    if (Number.isInteger(ratio)) return [0, 1];
    switch (mode) {
      case 'round_prefer_floor': return [ratio <= 0.5 ? 1 : 0, ratio > 0.5 ? 1 : 0];
      case 'round_prefer_ceil': return [ratio < 0.5 ? 1 : 0, ratio >= 0.5 ? 1 : 0];
      case 'floor': return [1, 0];
      case 'ceil': return [0, 1];
      default: return c.fail(`nearest_mode '${mode}' is not supported`);
    }
  };
}

const linearCoeffs: Coeffs = (ratio) => [1 - ratio, ratio];

function linearAntialias(ratio: number, scale: number): number[] {
  const s = Math.min(scale, 1);
  const start = Math.floor(-1 / s) + 1;
  const footprint = 2 - 2 * start;
  const w: number[] = [];
  for (let i = start; i < start + footprint; i++) w.push(Math.min(1, Math.max(0, 1 - Math.abs((i - ratio) * s))));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / sum);
}

function cubicCoeffs(a: number): Coeffs {
  return (ratio) => {
    const r1 = ratio + 1;
    const q = 1 - ratio;
    const q1 = q + 1;
    return [
      ((a * r1 - 5 * a) * r1 + 8 * a) * r1 - 4 * a,
      ((a + 2) * ratio - (a + 3)) * ratio * ratio + 1,
      ((a + 2) * q - (a + 3)) * q * q + 1,
      ((a * q1 - 5 * a) * q1 + 8 * a) * q1 - 4 * a,
    ];
  };
}

function cubicAntialias(a: number): Coeffs {
  return (ratio, scale) => {
    const s = Math.min(scale, 1);
    const f = (x0: number): number => {
      const x = Math.abs(x0);
      if (x <= 1) return (a + 2) * x ** 3 - (a + 3) * x * x + 1;
      if (x < 2) return a * x ** 3 - 5 * a * x * x + 8 * a * x - 4 * a;
      return 0;
    };
    const iStart = Math.floor(-2 / s) + 1;
    const iEnd = 2 - iStart;
    const w: number[] = [];
    for (let i = iStart; i < iEnd; i++) w.push(f(s * (i - ratio)));
    const sum = w.reduce((p, v) => p + v, 0);
    return w.map((v) => v / sum);
  };
}

interface AxisMap {
  /** weights[o][i]: output o's weight on input i. */
  weights: Float64Array[];
  /** The value added to output o (tf_crop_and_resize's extrapolation). */
  extra: number[];
}

/** The n indices of [0, limit) nearest to x, ties to the smaller, ascending (ONNX's _get_neighbor_idxes). */
function neighbours(x: number, n: number, limit: number): number[] {
  // The n nearest lie within n of x: sort only those candidates.
  const cand: number[] = [];
  for (let i = Math.max(0, Math.floor(x) - n - 1); i <= Math.min(limit - 1, Math.floor(x) + n + 1); i++) cand.push(i);
  cand.sort((p, q) => Math.abs(x - p) - Math.abs(x - q) || p - q);
  return cand.slice(0, n).sort((p, q) => p - q);
}

function axisMap(c: NodeContext, inLen: number, outLen: number, scale: number, roi: [number, number], opts: {
  ctm: string; coeffs: Coeffs; excludeOutside: boolean; extrapolation: number;
}): AxisMap {
  const outW = scale * inLen;
  const weights: Float64Array[] = [];
  const extra: number[] = [];
  for (let o = 0; o < outLen; o++) {
    const row = new Float64Array(inLen);
    weights.push(row);
    extra.push(0);
    let x: number;
    switch (opts.ctm) {
      case 'align_corners': x = outW === 1 ? 0 : (o * (inLen - 1)) / (outW - 1); break;
      case 'asymmetric': x = o / scale; break;
      case 'pytorch_half_pixel': x = outW === 1 ? -0.5 : (o + 0.5) / scale - 0.5; break;
      case 'half_pixel': x = (o + 0.5) / scale - 0.5; break;
      case 'half_pixel_symmetric': {
        const offset = (inLen / 2) * (1 - outLen / outW);
        x = offset + (o + 0.5) / scale - 0.5;
        break;
      }
      case 'tf_crop_and_resize':
        x = outW === 1 ? ((roi[1] - roi[0]) * (inLen - 1)) / 2 : (o * (roi[1] - roi[0]) * (inLen - 1)) / (outW - 1);
        x += roi[0] * (inLen - 1);
        break;
      default: c.fail(`coordinate_transformation_mode '${opts.ctm}' is not supported`);
    }
    if (opts.ctm === 'tf_crop_and_resize' && (x < 0 || x > inLen - 1)) {
      extra[o] = opts.extrapolation;
      continue;
    }
    const ratio = Number.isInteger(x) ? 1 : x - Math.floor(x);
    const w = opts.coeffs(ratio, scale);
    const n = w.length;
    const pad = Math.ceil(n / 2);
    const idx = neighbours(x + pad, n, inLen + 2 * pad).map((i) => i - pad);
    if (opts.excludeOutside) {
      for (let j = 0; j < n; j++) if (idx[j]! < 0 || idx[j]! >= inLen) w[j] = 0;
      const sum = w.reduce((a, b) => a + b, 0);
      for (let j = 0; j < n; j++) w[j]! /= sum;
    }
    // Edge padding: outside indices read the nearest edge.
    for (let j = 0; j < n; j++) row[Math.min(inLen - 1, Math.max(0, idx[j]!))]! += w[j]!;
  }
  return { weights, extra };
}

/** Applies one axis's map to x. */
function applyAxis(c: NodeContext, x: Value, axis: number, m: AxisMap, inLen: number): Value {
  const outLen = m.weights.length;
  const picks = m.weights.map((row) => {
    const nz = row.reduce<number[]>((acc, v, i) => (v !== 0 ? [...acc, i] : acc), []);
    return nz.length === 1 && row[nz[0]!] === 1 ? nz[0]! : -1;
  });
  const noExtra = m.extra.every((v) => v === 0);
  if (noExtra && picks.every((p) => p >= 0)) {
    if (outLen === inLen && picks.every((p, i) => p === i)) return x;
    return c.op('take', [x, c.constant(picks, [outLen], 'int32')], { axis, mode: 'clip' });
  }
  const dt = c.dtype(x);
  const fdt: DType = dt === 'float64' || dt === 'float16' || dt === 'float32' ? dt : 'float32';
  const r = c.rank(x);
  const toLast = [...Array.from({ length: r }, (_, i) => i).filter((i) => i !== axis), axis];
  const back = toLast.map((_, i) => toLast.indexOf(i));
  let y = c.cast(x, fdt);
  if (axis !== r - 1) y = c.op('transpose', [y], { axes: toLast });
  const wt = new Float64Array(inLen * outLen);
  for (let o = 0; o < outLen; o++) for (let i = 0; i < inLen; i++) wt[i * outLen + o] = m.weights[o]![i]!;
  y = c.op('dot', [y, c.constant(wt, [inLen, outLen], fdt)]);
  if (!noExtra) y = c.op('broadcast_add', [y, c.constant(m.extra, [outLen], fdt)]);
  if (axis !== r - 1) y = c.op('transpose', [y], { axes: back });
  return c.cast(y, dt);
}

/** Resize (opset 10+) or Upsample (opset 7-9). */
export function resize(c: NodeContext, which: 'resize' | 'upsample'): Value {
  const x = c.input(0);
  const xs = c.shape(x, 'X');
  const r = xs.length;
  const legacy = which === 'upsample' || c.opset < 11;
  let mode = c.string('mode', 'nearest');
  if (mode === 'bilinear' || mode === 'trilinear') mode = 'linear';
  // Upsample and Resize-10: asymmetric coordinates; nearest picks floor (ceil when shrinking).
  const ctm = legacy ? 'asymmetric' : c.string('coordinate_transformation_mode', 'half_pixel');
  const antialias = !legacy && c.int('antialias', 0) !== 0;
  const a = c.float('cubic_coeff_a', -0.75);
  let axes = legacy ? undefined : c.ints('axes')?.map((v) => c.axis(v, r, 'axes'));
  axes ??= Array.from({ length: r }, (_, i) => i);
  // Scales and sizes, for the listed axes.
  let scalesIn: number[] | undefined;
  let sizesIn: number[] | undefined;
  if (which === 'upsample' && c.opset < 9) {
    scalesIn = c.floats('scales');
    if (scalesIn === undefined) c.fail('scales is required');
  } else if (legacy) {
    scalesIn = c.knownFloats(1, 'scales');
  } else {
    if (c.has(2)) scalesIn = c.knownFloats(2, 'scales');
    if (scalesIn !== undefined && scalesIn.length === 0) scalesIn = undefined;
    if (c.has(3)) sizesIn = c.knownInts(3, 'sizes');
    if (sizesIn !== undefined && sizesIn.length === 0) sizesIn = undefined;
    if (scalesIn === undefined && sizesIn === undefined) c.fail('one of scales and sizes is required');
  }
  const nAx = axes.length;
  if ((scalesIn ?? sizesIn)!.length !== nAx) c.fail(`scales/sizes have ${(scalesIn ?? sizesIn)!.length} values for ${nAx} axes`);
  const scale = new Array<number>(r).fill(1);
  const size = xs.slice();
  if (sizesIn !== undefined) {
    axes.forEach((ax, i) => { size[ax] = sizesIn![i]!; scale[ax] = sizesIn![i]! / xs[ax]!; });
    const policy = c.string('keep_aspect_ratio_policy', 'stretch');
    if (policy !== 'stretch') {
      if (policy !== 'not_larger' && policy !== 'not_smaller') c.fail(`keep_aspect_ratio_policy '${policy}' is not supported`);
      const ss = axes.map((ax) => scale[ax]!);
      const s = policy === 'not_larger' ? Math.min(...ss) : Math.max(...ss);
      for (const ax of axes) { scale[ax] = s; size[ax] = Math.floor(s * xs[ax]! + 0.5); }
    }
  } else {
    axes.forEach((ax, i) => { scale[ax] = scalesIn![i]!; size[ax] = Math.floor(scalesIn![i]! * xs[ax]!); });
  }
  // roi: starts then ends, for the listed axes (tf_crop_and_resize only).
  const roi: [number, number][] = xs.map(() => [0, 1]);
  if (ctm === 'tf_crop_and_resize') {
    const rv = c.has(1) ? c.knownFloats(1, 'roi') : [];
    if (rv.length !== 2 * nAx) c.fail(`roi has ${rv.length} values, expected ${2 * nAx}`);
    axes.forEach((ax, i) => { roi[ax] = [rv[i]!, rv[nAx + i]!]; });
  }
  let coeffs: Coeffs;
  if (mode === 'nearest') {
    if (antialias) c.fail('antialias with mode nearest is not supported');
    if (legacy) {
      coeffs = (ratio, s) => (Number.isInteger(ratio) ? [0, 1] : s < 1 ? [0, 1] : [1, 0]);
    } else {
      coeffs = nearestCoeffs(c.string('nearest_mode', 'round_prefer_floor'), c);
    }
  } else if (mode === 'linear') {
    coeffs = antialias ? linearAntialias : linearCoeffs;
  } else if (mode === 'cubic') {
    coeffs = antialias ? cubicAntialias(a) : cubicCoeffs(a);
  } else {
    c.fail(`mode '${mode}' is not supported`);
  }
  const opts = {
    ctm, coeffs, excludeOutside: !legacy && c.int('exclude_outside', 0) !== 0,
    extrapolation: c.float('extrapolation_value', 0),
  };
  let y = x;
  for (let ax = 0; ax < r; ax++) {
    if (size[ax] === xs[ax] && scale[ax] === 1 && ctm !== 'tf_crop_and_resize') continue;
    y = applyAxis(c, y, ax, axisMap(c, xs[ax]!, size[ax]!, scale[ax]!, roi[ax]!, opts), xs[ax]!);
  }
  return y === x ? c.op('_copy', [x]) : y;
}
