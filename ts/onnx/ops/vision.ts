// ONNX sampling and detection operators: GridSample, AffineGrid, RoiAlign, MaxRoiPool, NonMaxSuppression, MaxUnpool, Col2Im, DeformConv
// SPDX-License-Identifier: Apache-2.0
//
// MXNet's BilinearSampler/GridGenerator only know align_corners=True, bilinear, zero padding, so the
// samplers here are composed from elementwise ops and one `take`: sampling positions and their
// interpolation weights are computed with graph ops (they may depend on data such as the grid or the
// rois), the image is laid out as a (positions, channels) table, and every tap is one gathered row.
// Shapes are static, so index tables that depend only on shapes (Col2Im) are built on the host.
import type { DType } from '../../base/dtype.js';
import { converter, numbersOf, type NodeContext, type Value } from '../convert.js';
import { roundHalfEven } from './elementwise.js';

/* ---- small graph helpers ---- */

const scalarOp = (c: NodeContext, op: string, v: Value, scalar: number): Value => c.op(op, [v], { scalar });
const addS = (c: NodeContext, v: Value, s: number): Value => (s === 0 ? v : scalarOp(c, '_plus_scalar', v, s));
const mulS = (c: NodeContext, v: Value, s: number): Value => (s === 1 ? v : scalarOp(c, '_mul_scalar', v, s));
const add = (c: NodeContext, a: Value, b: Value): Value => c.op('broadcast_add', [a, b]);
const sub = (c: NodeContext, a: Value, b: Value): Value => c.op('broadcast_sub', [a, b]);
const mul = (c: NodeContext, a: Value, b: Value): Value => c.op('broadcast_mul', [a, b]);
const div = (c: NodeContext, a: Value, b: Value): Value => c.op('broadcast_div', [a, b]);
const floor = (c: NodeContext, v: Value): Value => c.op('floor', [v]);
const clip = (c: NodeContext, v: Value, lo: number, hi: number): Value => c.op('clip', [v], { a_min: lo, a_max: hi });
const reshape = (c: NodeContext, v: Value, shape: readonly number[]): Value => c.op('Reshape', [v], { shape });
const transpose = (c: NodeContext, v: Value, axes: readonly number[]): Value => c.op('transpose', [v], { axes });
const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** The float dtype sampling math runs in: float64 data keeps float64, everything else float32. */
function floatOf(c: NodeContext, v: Value): DType {
  return c.dtype(v) === 'float64' ? 'float64' : 'float32';
}

/** A (1, ..., n at `axis`, ..., 1) constant 0..n-1 of rank `rank`, for broadcasting positions. */
function iota(c: NodeContext, n: number, axis: number, rank: number, dt: DType): Value {
  const shape = new Array<number>(rank).fill(1);
  shape[axis] = n;
  return c.constant(range(n), shape, dt);
}

/** Reflects x into [lo, hi] (a triangle wave), as GridSample's reflection padding. */
function reflect(c: NodeContext, x: Value, lo: number, hi: number): Value {
  const rng = hi - lo;
  if (rng <= 0) return addS(c, mulS(c, x, 0), lo);
  const t = scalarOp(c, '_mod_scalar', addS(c, x, -lo), 2 * rng);
  // t <= rng ? t : 2 rng - t
  const over = scalarOp(c, '_greater_scalar', t, rng);
  return addS(c, add(c, t, mul(c, over, addS(c, mulS(c, t, -2), 2 * rng))), lo);
}

/** x where lo <= x <= hi, else f(x): the reference only moves out-of-range coordinates. */
function outsideOnly(c: NodeContext, x: Value, lo: number, hi: number, f: (x: Value) => Value): Value {
  const out = add(c, scalarOp(c, '_lesser_scalar', x, lo), scalarOp(c, '_greater_scalar', x, hi));
  return add(c, x, mul(c, out, sub(c, f(x), x)));
}

/** One axis's taps: integer positions and weights, each (...prefix, T). */
interface AxisTaps { idx: Value; w: Value; len: number }

/**
 * Gathers every tap combination from `table` ((rows, Ch): one row per position) and weights it.
 * Each axis's taps have shape prefix-broadcastable + [T_a]; `base` (broadcastable to prefix + [1])
 * offsets the flat row index (the batch). Returns (prefix..., K, Ch) weighted rows, K = prod T_a.
 */
function gatherTaps(c: NodeContext, table: Value, base: Value | undefined, axes: readonly AxisTaps[],
                    prefix: readonly number[], dt: DType): Value {
  const p = prefix.length;
  const d = axes.length;
  const ts = axes.map((a) => c.shape(a.idx, 'sampling taps').at(-1)!);
  let stride = 1;
  const strides = new Array<number>(d);
  for (let a = d - 1; a >= 0; a--) { strides[a] = stride; stride *= axes[a]!.len; }
  let idx: Value | undefined;
  let w: Value | undefined;
  axes.forEach((ax, a) => {
    // Index and weight may broadcast differently over the prefix: each keeps its own leading dims.
    const full = (v: Value): number[] => [...c.shape(v, 'sampling taps').slice(0, -1), ...ts.map((t, b) => (b === a ? t : 1))];
    const i = reshape(c, mulS(c, ax.idx, strides[a]!), full(ax.idx));
    const wa = reshape(c, ax.w, full(ax.w));
    idx = idx === undefined ? i : add(c, idx, i);
    w = w === undefined ? wa : mul(c, w, wa);
  });
  const k = prod(ts);
  // Every prefix dim must be present after broadcasting (a constant multiply-by-ones if not).
  const ones = c.constant(new Array<number>(prod(prefix)).fill(1), [...prefix, ...ts.map(() => 1)], dt);
  idx = reshape(c, mul(c, idx!, ones), [...prefix, k]);
  w = reshape(c, mul(c, w!, ones), [...prefix, k]);
  if (base !== undefined) idx = add(c, idx, base);
  const rows = c.op('take', [table, c.cast(idx, 'int32')], { axis: 0, mode: 'clip' });
  return mul(c, rows, c.op('expand_dims', [w], { axis: p + 1 }));
}

/** Position-major table of a (N, C, *S) image: (N * prod S, C), plus each row's batch offset. */
function imageTable(c: NodeContext, x: Value, xs: readonly number[]): Value {
  const r = xs.length;
  return reshape(c, transpose(c, x, [0, ...range(r - 2).map((i) => i + 2), 1]), [xs[0]! * prod(xs.slice(2)), xs[1]!]);
}

/* ---- GridSample ---- */

type Padding = 'zeros' | 'border' | 'reflection';

/** Taps of one axis for sample coordinates x (unnormalised, already border/reflection-moved). */
function axisTaps(c: NodeContext, x: Value, len: number, mode: string, padding: Padding, lo: number, hi: number): AxisTaps {
  const last = c.rank(x) - 1;
  let idxs: Value[];
  let ws: Value[];
  if (mode === 'nearest') {
    idxs = [x];
    ws = [addS(c, mulS(c, x, 0), 1)];
  } else {
    const x0 = floor(c, x);
    const f = sub(c, x, x0);
    if (mode === 'linear') {
      idxs = [x0, addS(c, x0, 1)];
      ws = [addS(c, mulS(c, f, -1), 1), f];
    } else {
      // Keys cubic convolution, A = -0.75, for taps x0-1 .. x0+2.
      const A = -0.75;
      const poly = (t: Value, far: boolean): Value => {
        // far: ((A t - 5A) t + 8A) t - 4A; near: ((A+2) t - (A+3)) t t + 1
        if (far) return addS(c, mul(c, addS(c, mul(c, addS(c, mulS(c, t, A), -5 * A), t), 8 * A), t), -4 * A);
        return addS(c, mul(c, mul(c, addS(c, mulS(c, t, A + 2), -(A + 3)), t), t), 1);
      };
      const g = addS(c, mulS(c, f, -1), 1);
      idxs = [-1, 0, 1, 2].map((o) => addS(c, x0, o));
      ws = [poly(addS(c, f, 1), true), poly(f, false), poly(g, false), poly(addS(c, g, 1), true)];
    }
  }
  // Padding of the tap positions: zeros drops outside taps, border clamps, reflection mirrors.
  const fixed = idxs.map((i, t) => {
    if (padding === 'zeros') {
      const inside = mul(c, scalarOp(c, '_greater_equal_scalar', i, 0), scalarOp(c, '_lesser_equal_scalar', i, len - 1));
      ws[t] = mul(c, ws[t]!, inside);
      return clip(c, i, 0, len - 1);
    }
    if (padding === 'border') return clip(c, i, 0, len - 1);
    // int() of a reflected position (>= lo >= -0.5) is the floor of its positive part.
    return clip(c, floor(c, c.op('_maximum_scalar', [outsideOnly(c, i, lo, hi, (v) => reflect(c, v, lo, hi))], { scalar: 0 })), 0, len - 1);
  });
  return {
    idx: c.op('Concat', fixed, { dim: last, num_args: fixed.length }),
    w: c.op('Concat', ws, { dim: last, num_args: ws.length }),
    len,
  };
}

/**
 * Samples image x (N, C, *S) at unnormalised coordinates coords[a] (each (N, *O, 1), for spatial
 * axis a of S); returns (N, C, *O).
 */
function sample(c: NodeContext, x: Value, xs: readonly number[], coords: readonly Value[], outSpatial: readonly number[],
                mode: string, padding: Padding, alignCorners: boolean, dt: DType): Value {
  const n = xs[0]!;
  const spatial = xs.slice(2);
  const d = spatial.length;
  const axes = coords.map((x0, a) => {
    const len = spatial[a]!;
    const lo = alignCorners ? 0 : -0.5;
    const hi = alignCorners ? len - 1 : len - 0.5;
    let xa = mode === 'nearest' ? roundHalfEven(c, x0) : x0;
    if (padding === 'border') xa = outsideOnly(c, xa, lo, hi, (v) => clip(c, v, 0, len - 1));
    else if (padding === 'reflection') xa = outsideOnly(c, xa, lo, hi, (v) => reflect(c, v, lo, hi));
    return axisTaps(c, xa, len, mode, padding, lo, hi);
  });
  const prefix = [n, ...outSpatial];
  const base = c.constant(range(n).map((i) => i * prod(spatial)), [n, ...outSpatial.map(() => 1), 1], dt);
  const rows = gatherTaps(c, imageTable(c, c.cast(x, dt), xs), base, axes, prefix, dt);
  const y = c.op('sum', [rows], { axis: [d + 1] });
  return transpose(c, y, [0, d + 1, ...range(d).map((i) => i + 1)]);
}

/** Unnormalises grid coordinates: [-1, 1] to pixel positions. */
function denormalize(c: NodeContext, g: Value, len: number, alignCorners: boolean): Value {
  return alignCorners ? mulS(c, addS(c, g, 1), (len - 1) / 2) : mulS(c, addS(c, mulS(c, addS(c, g, 1), len), -1), 0.5);
}

function gridSample(c: NodeContext): Value {
  const x = c.input(0);
  const grid = c.input(1);
  const xs = c.shape(x, 'X');
  const gs = c.shape(grid, 'grid');
  const d = xs.length - 2;
  if (d < 1) c.fail(`X must have spatial dims, got shape (${xs})`);
  if (gs.length !== d + 2 || gs[0] !== xs[0] || gs.at(-1) !== d) {
    c.fail(`grid shape (${gs}) does not match X shape (${xs}): expected (N, *out, ${d})`);
  }
  let mode = c.string('mode', c.opset < 20 ? 'bilinear' : 'linear');
  mode = mode === 'bilinear' ? 'linear' : mode === 'bicubic' ? 'cubic' : mode;
  if (mode !== 'linear' && mode !== 'nearest' && mode !== 'cubic') c.fail(`mode '${mode}' is not supported`);
  const padding = c.string('padding_mode', 'zeros');
  if (padding !== 'zeros' && padding !== 'border' && padding !== 'reflection') c.fail(`padding_mode '${padding}' is not supported`);
  const alignCorners = c.int('align_corners', 0) !== 0;
  const xdt = c.dtype(x, 'X');
  const dt = floatOf(c, x);
  if (prod(xs) === 0 || prod(gs) === 0) return c.op('_zeros', [], { shape: [xs[0]!, xs[1]!, ...gs.slice(1, -1)], dtype: xdt });
  const g = c.cast(grid, dt);
  // The grid's last axis lists coordinates innermost-first (x, y, z): component d-1-a is axis a.
  const coords = range(d).map((a) => denormalize(c, c.op('slice_axis', [g], { axis: d + 1, begin: d - 1 - a, end: d - a }),
                                                 xs[2 + a]!, alignCorners));
  return c.cast(sample(c, x, xs, coords, gs.slice(1, -1), mode, padding as Padding, alignCorners, dt), xdt);
}

converter('GridSample', gridSample, 16);

/* ---- AffineGrid ---- */

converter('AffineGrid', (c) => {
  const theta = c.input(0);
  const size = c.knownInts(1, 'size');
  const alignCorners = c.int('align_corners', 0) !== 0;
  const spatial = size.slice(2);
  const d = spatial.length;
  if (d !== 2 && d !== 3) c.fail(`size must be (N, C, H, W) or (N, C, D, H, W), got (${size})`);
  const ts = c.shape(theta, 'theta');
  if (ts.length !== 3 || ts[1] !== d || ts[2] !== d + 1) c.fail(`theta shape (${ts}) must be (N, ${d}, ${d + 1})`);
  // Base grid (d+1, positions): rows x, y[, z], 1 with x along the last spatial axis.
  const lin = spatial.map((len) => range(len).map((i) => (alignCorners ? (len === 1 ? -1 : -1 + (2 * i) / (len - 1))
                                                                      : -1 + 1 / len + (2 * i) / len)));
  const npos = prod(spatial);
  const base = new Float64Array((d + 1) * npos);
  for (let p = 0; p < npos; p++) {
    let rest = p;
    for (let a = d - 1; a >= 0; a--) {
      const i = rest % spatial[a]!;
      rest = Math.floor(rest / spatial[a]!);
      base[(d - 1 - a) * npos + p] = lin[a]![i]!;
    }
    base[d * npos + p] = 1;
  }
  const tdt = c.dtype(theta, 'theta');
  // The reference multiplies in float64; so do we, rounding once at the end.
  const grid = c.op('dot', [c.cast(theta, 'float64'), c.constant(base, [d + 1, npos], 'float64')]);
  return c.cast(reshape(c, transpose(c, grid, [0, 2, 1]), [ts[0]!, ...spatial, d]), tdt === 'float64' ? 'float64' : tdt);
}, 20);

/* ---- MaxRoiPool: MXNet's ROIPooling (Caffe's bins, the roi corners rounded after scaling) ---- */

converter('MaxRoiPool', (c) => {
  const x = c.input(0);
  const xs = c.shape(x, 'X');
  if (xs.length !== 4) c.fail(`X must be (N, C, H, W), got (${xs})`);
  const rs = c.shape(c.input(1), 'rois');
  if (rs.length !== 2 || rs[1] !== 5) c.fail(`rois must be (num_rois, 5), got (${rs})`);
  const pooled = c.ints('pooled_shape');
  if (pooled === undefined || pooled.length !== 2) c.fail('pooled_shape (height, width) is required');
  return c.op('ROIPooling', [x, c.cast(c.input(1), c.dtype(x, 'X'))],
              { pooled_size: pooled, spatial_scale: c.float('spatial_scale', 1) });
});

/* ---- RoiAlign ---- */

converter('RoiAlign', (c) => {
  const x = c.input(0);
  const rois = c.input(1);
  const bidx = c.input(2);
  const xs = c.shape(x, 'X');
  if (xs.length !== 4) c.fail(`X must be (N, C, H, W), got (${xs})`);
  const [, , h, w] = xs as [number, number, number, number];
  const rs = c.shape(rois, 'rois');
  if (rs.length !== 2 || rs[1] !== 4) c.fail(`rois must be (num_rois, 4), got (${rs})`);
  const nr = rs[0]!;
  const mode = c.string('mode', 'avg');
  if (mode !== 'avg' && mode !== 'max') c.fail(`mode '${mode}' is not supported`);
  const ph = c.int('output_height', 1);
  const pw = c.int('output_width', 1);
  const ratio = c.int('sampling_ratio', 0);
  const scale = c.float('spatial_scale', 1);
  const ctm = c.opset >= 16 ? c.string('coordinate_transformation_mode', 'half_pixel') : 'output_half_pixel';
  if (ctm !== 'half_pixel' && ctm !== 'output_half_pixel') c.fail(`coordinate_transformation_mode '${ctm}' is not supported`);
  const halfPixel = ctm === 'half_pixel';
  const xdt = c.dtype(x, 'X');
  const dt = floatOf(c, x);
  // Positions are (R, ph, pw, gy, gx) broadcasts; the sample grid size per roi is sampling_ratio, or
  // ceil(roi size / output size) (data dependent: the rois must be known to size the grid).
  const r5 = (v: Value): Value => reshape(c, v, [nr, 1, 1, 1, 1]);
  const roi = c.cast(rois, dt);
  const col = (k: number): Value => r5(addS(c, mulS(c, c.op('slice_axis', [roi], { axis: 1, begin: k, end: k + 1 }), scale), halfPixel ? -0.5 : 0));
  const [x1, y1, x2, y2] = [col(0), col(1), col(2), col(3)];
  let roiW = sub(c, x2, x1);
  let roiH = sub(c, y2, y1);
  if (!halfPixel) {
    roiW = c.op('_maximum_scalar', [roiW], { scalar: 1 });
    roiH = c.op('_maximum_scalar', [roiH], { scalar: 1 });
  }
  const binH = mulS(c, roiH, 1 / ph);
  const binW = mulS(c, roiW, 1 / pw);
  let gh: Value;
  let gw: Value;
  let gmaxH = ratio;
  let gmaxW = ratio;
  if (ratio > 0) {
    gh = c.constant([ratio], [1, 1, 1, 1, 1], dt);
    gw = gh;
  } else {
    gh = c.op('ceil', [binH]);
    gw = c.op('ceil', [binW]);
    const known = (v: Value): number[] => (c.isKnown(v) ? numbersOf(v) : c.fail(
      'sampling_ratio 0 sizes the sampling grid from the rois\' values, so rois must be known when the graph is built ' +
      '(use mx.onnx.InferenceSession, or a model with sampling_ratio > 0)'));
    gmaxH = Math.max(1, ...known(gh));
    gmaxW = Math.max(1, ...known(gw));
  }
  const pos = (start: Value, bin: Value, g: Value, p: number, gmax: number, pAxis: number, gAxis: number): Value =>
    add(c, add(c, start, mul(c, bin, iota(c, p, pAxis, 5, dt))),
        div(c, mul(c, bin, addS(c, iota(c, gmax, gAxis, 5, dt), 0.5)), g));
  const yy = pos(y1, binH, gh, ph, gmaxH, 1, 3);
  const xx = pos(x1, binW, gw, pw, gmaxW, 2, 4);
  // Samples beyond one pixel outside the image contribute zero.
  const inRange = (v: Value, len: number): Value =>
    mul(c, scalarOp(c, '_greater_equal_scalar', v, -1), scalarOp(c, '_lesser_equal_scalar', v, len));
  const axis = (v: Value, len: number): AxisTaps => {
    const y = c.op('_minimum_scalar', [c.op('_maximum_scalar', [v], { scalar: 0 })], { scalar: len - 1 });
    const lo = floor(c, y);
    const l = sub(c, y, lo);
    const e = (t: Value): Value => c.op('expand_dims', [t], { axis: 5 });
    return {
      idx: c.op('Concat', [e(lo), e(c.op('_minimum_scalar', [addS(c, lo, 1)], { scalar: len - 1 }))], { dim: 5, num_args: 2 }),
      w: c.op('Concat', [e(mul(c, addS(c, mulS(c, l, -1), 1), inRange(v, len))), e(mul(c, l, inRange(v, len)))], { dim: 5, num_args: 2 }),
      len,
    };
  };
  const ay = axis(yy, h);
  const ax = axis(xx, w);
  // The other axis's range check also zeroes the weights.
  ay.w = mul(c, ay.w, c.op('expand_dims', [inRange(xx, w)], { axis: 5 }));
  ax.w = mul(c, ax.w, c.op('expand_dims', [inRange(yy, h)], { axis: 5 }));
  const base = mulS(c, reshape(c, c.cast(bidx, dt), [nr, 1, 1, 1, 1, 1]), h * w);
  const prefix = [nr, ph, pw, gmaxH, gmaxW];
  const rows = gatherTaps(c, imageTable(c, c.cast(x, dt), xs), base, [ay, ax], prefix, dt); // (R, ph, pw, gy, gx, 4, C)
  // Samples past a roi's own grid size (sampling_ratio 0 with rois of different sizes) are masked.
  const valid = ratio > 0 ? undefined
    : mul(c, c.op('broadcast_lesser', [iota(c, gmaxH, 3, 5, dt), gh]), c.op('broadcast_lesser', [iota(c, gmaxW, 4, 5, dt), gw]));
  let y: Value;
  if (mode === 'avg') {
    let s = c.op('sum', [rows], { axis: [5] });
    if (valid !== undefined) s = mul(c, s, c.op('expand_dims', [valid], { axis: 5 }));
    const count = c.op('_maximum_scalar', [mul(c, gh, gw)], { scalar: 1 });
    y = div(c, c.op('sum', [s], { axis: [3, 4] }), reshape(c, count, ratio > 0 ? [1, 1, 1, 1] : [nr, 1, 1, 1]));
  } else {
    // The reference's max mode: the largest weighted corner, then the largest sample.
    let m = c.op('max', [rows], { axis: [5] });
    if (valid !== undefined) m = add(c, m, c.op('expand_dims', [mulS(c, addS(c, valid, -1), 3e38)], { axis: 5 }));
    y = c.op('max', [m], { axis: [3, 4] });
  }
  return c.cast(transpose(c, y, [0, 3, 1, 2]), xdt);
}, 10);

/* ---- NonMaxSuppression ---- */

converter('NonMaxSuppression', (c) => {
  const boxes = c.known(0, 'boxes');
  const scores = c.known(1, 'scores');
  const bs = boxes.shape;
  const ss = scores.shape;
  if (bs.length !== 3 || bs[2] !== 4) c.fail(`boxes must be (batches, boxes, 4), got (${bs})`);
  if (ss.length !== 3 || ss[0] !== bs[0] || ss[2] !== bs[1]) c.fail(`scores (${ss}) must be (batches, classes, ${bs[1]})`);
  const maxOut = c.has(2) ? c.knownInts(2, 'max_output_boxes_per_class') : [];
  const iouIn = c.has(3) ? c.knownFloats(3, 'iou_threshold') : [];
  const scoreIn = c.has(4) ? c.knownFloats(4, 'score_threshold') : [];
  const center = c.int('center_point_box', 0) !== 0;
  const limit = maxOut.length > 0 ? Math.max(maxOut[0]!, 0) : 0;
  const iouT = iouIn.length > 0 ? Math.fround(iouIn[0]!) : 0;
  const scoreT = scoreIn.length > 0 ? scoreIn[0]! : undefined;
  const b = numbersOf(boxes);
  const s = numbersOf(scores);
  const [nb, nbox] = [bs[0]!, bs[1]!];
  const nc = ss[1]!;
  // Corner extents (x and y, min and max) as the reference reads them.
  const extent = (bi: number, i: number): [number, number, number, number] => {
    const o = (bi * nbox + i) * 4;
    const [a, bb, cc, dd] = [b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!];
    const f = Math.fround;
    if (center) return [f(a - f(cc / 2)), f(a + f(cc / 2)), f(bb - f(dd / 2)), f(bb + f(dd / 2))];
    return [Math.min(bb, dd), Math.max(bb, dd), Math.min(a, cc), Math.max(a, cc)];
  };
  const suppress = (bi: number, i: number, j: number): boolean => {
    const [ax0, ax1, ay0, ay1] = extent(bi, i);
    const [bx0, bx1, by0, by1] = extent(bi, j);
    // float32 arithmetic throughout, as the reference computes on float32 boxes.
    const f = Math.fround;
    const ix = f(Math.min(ax1, bx1) - Math.max(ax0, bx0));
    const iy = f(Math.min(ay1, by1) - Math.max(ay0, by0));
    if (ix <= 0 || iy <= 0) return false;
    const inter = f(ix * iy);
    const a1 = f(f(ax1 - ax0) * f(ay1 - ay0));
    const a2 = f(f(bx1 - bx0) * f(by1 - by0));
    const union = f(f(a1 + a2) - inter);
    if (a1 <= 0 || a2 <= 0 || union <= 0) return false;
    return f(inter / union) > iouT;
  };
  const out: number[] = [];
  for (let bi = 0; bi < nb; bi++) {
    for (let ci = 0; ci < nc; ci++) {
      const sc = (i: number): number => s[(bi * nc + ci) * nbox + i]!;
      const cand = range(nbox).filter((i) => scoreT === undefined || sc(i) > scoreT);
      // Highest score first; equal scores keep the lower index first.
      cand.sort((p, q) => sc(q) - sc(p) || p - q);
      const kept: number[] = [];
      for (const i of cand) {
        if (kept.length >= limit) break;
        if (kept.some((j) => suppress(bi, i, j))) continue;
        kept.push(i);
        out.push(bi, ci, i);
      }
    }
  }
  return c.constant(out.map((v) => BigInt(v)), [out.length / 3, 3], 'int64');
}, 10);

/* ---- MaxUnpool ---- */

converter('MaxUnpool', (c) => {
  const x = c.input(0);
  const ind = c.input(1);
  const xs = c.shape(x, 'X');
  const k = c.ints('kernel_shape') ?? c.fail('kernel_shape is required');
  const nd = k.length;
  if (xs.length !== nd + 2) c.fail(`X shape (${xs}) does not match kernel_shape (${k})`);
  const strides = c.ints('strides', k.map(() => 1));
  const pads = c.ints('pads', new Array<number>(2 * nd).fill(0));
  const inferred = [xs[0]!, xs[1]!, ...k.map((kk, i) => (xs[i + 2]! - 1) * strides[i]! - (pads[i]! + pads[nd + i]!) + kk)];
  const shape = c.has(2) ? c.knownInts(2, 'output_shape') : inferred;
  if (shape.length !== xs.length) c.fail(`output_shape (${shape}) must have rank ${xs.length}`);
  if (shape.some((v, i) => v < inferred[i]!)) c.fail(`output_shape (${shape}) is smaller than the unpooled shape (${inferred})`);
  const n = prod(xs);
  // Indices address the unpooled (inferred) shape; a larger output_shape pads each axis at its end.
  let flat: Value = reshape(c, c.cast(ind, 'int64'), [n]);
  if (shape.some((v, i) => v !== inferred[i])) {
    flat = c.op('_ravel_multi_index', [c.op('_unravel_index', [flat], { shape: inferred })], { shape });
  }
  const y = c.op('scatter_nd', [reshape(c, x, [n]), reshape(c, flat, [1, n])], { shape: [prod(shape)] });
  return reshape(c, y, shape);
}, 9);

/* ---- Col2Im ---- */

converter('Col2Im', (c) => {
  const x = c.input(0);
  const img = c.knownInts(1, 'image_shape');
  const block = c.knownInts(2, 'block_shape');
  const nd = img.length;
  if (block.length !== nd) c.fail(`block_shape (${block}) and image_shape (${img}) differ in length`);
  const dil = c.ints('dilations', img.map(() => 1));
  const pads = c.ints('pads', new Array<number>(2 * nd).fill(0));
  const strides = c.ints('strides', img.map(() => 1));
  const xs = c.shape(x, 'input');
  if (xs.length !== 3) c.fail(`input must be (N, C * prod(block_shape), L), got (${xs})`);
  const kk = prod(block);
  if (xs[1]! % kk !== 0) c.fail(`input dim 1 (${xs[1]}) is not a multiple of prod(block_shape) = ${kk}`);
  const ch = xs[1]! / kk;
  const blocks = img.map((v, i) => Math.floor((v + pads[i]! + pads[nd + i]! - dil[i]! * (block[i]! - 1) - 1) / strides[i]!) + 1);
  if (blocks.some((v) => v < 1) || prod(blocks) !== xs[2]) {
    c.fail(`input dim 2 (${xs[2]}) does not match the ${blocks.join('x')} sliding blocks of image_shape (${img})`);
  }
  // Host table: for every image position, the (kernel offset, block) columns that land on it.
  const npos = prod(img);
  const sources: number[][] = Array.from({ length: npos }, () => []);
  const nblk = xs[2]!;
  for (let ko = 0; ko < kk; ko++) {
    const off = unravel(ko, block);
    for (let bl = 0; bl < nblk; bl++) {
      const bi = unravel(bl, blocks);
      let p = 0;
      let inside = true;
      for (let i = 0; i < nd; i++) {
        const v = bi[i]! * strides[i]! - pads[i]! + off[i]! * dil[i]!;
        if (v < 0 || v >= img[i]!) { inside = false; break; }
        p = p * img[i]! + v;
      }
      if (inside) sources[p]!.push(ko * nblk + bl);
    }
  }
  const kmax = Math.max(1, ...sources.map((l) => l.length));
  const idx = new Int32Array(npos * kmax);
  const mask = new Float32Array(npos * kmax);
  sources.forEach((l, p) => l.forEach((src, j) => { idx[p * kmax + j] = src; mask[p * kmax + j] = 1; }));
  const dt = c.dtype(x, 'input');
  const xr = reshape(c, x, [xs[0]!, ch, kk * nblk]);
  const g = c.op('take', [xr, c.constant(idx, [npos, kmax], 'int32')], { axis: 2, mode: 'clip' });
  const y = c.op('sum', [mul(c, g, c.constant(mask, [npos, kmax], dt))], { axis: [3] });
  return reshape(c, y, [xs[0]!, ch, ...img]);
}, 18);

function unravel(i: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) { out[a] = i % shape[a]!; i = Math.floor(i / shape[a]!); }
  return out;
}

/* ---- DeformConv ---- */

converter('DeformConv', (c) => {
  const x = c.input(0);
  const wt = c.input(1);
  const offset = c.input(2);
  const xs = c.shape(x, 'X');
  const ws = c.shape(wt, 'W');
  const os = c.shape(offset, 'offset');
  if (xs.length !== 4) c.fail(`only 2-D DeformConv is supported (X of rank 4), got X shape (${xs})`);
  const [n, ic, ih, iw] = xs as [number, number, number, number];
  const oc = ws[0]!;
  const group = c.int('group', 1);
  const og = c.int('offset_group', 1);
  const ks = c.ints('kernel_shape', ws.slice(2));
  const [kh, kw] = ks as [number, number];
  const dil = c.ints('dilations', [1, 1]);
  const pads = c.ints('pads', [0, 0, 0, 0]);
  const strides = c.ints('strides', [1, 1]);
  if (ic !== ws[1]! * group || oc % group !== 0) c.fail(`X (${xs}) and W (${ws}) do not match group ${group}`);
  if (ic % og !== 0) c.fail(`input channels ${ic} are not a multiple of offset_group ${og}`);
  const K = kh * kw;
  if (os.length !== 4 || os[0] !== n || os[1] !== og * K * 2) c.fail(`offset shape (${os}) must be (${n}, ${og * K * 2}, oh, ow)`);
  const [oh, ow] = [os[2]!, os[3]!];
  const eh = Math.floor((ih - ((kh - 1) * dil[0]! + 1) + pads[0]! + pads[2]!) / strides[0]!) + 1;
  const ew = Math.floor((iw - ((kw - 1) * dil[1]! + 1) + pads[1]! + pads[3]!) / strides[1]!) + 1;
  if (eh !== oh || ew !== ow) c.fail(`offset's output size ${oh}x${ow} does not match the convolution's ${eh}x${ew}`);
  const xdt = c.dtype(x, 'X');
  const dt = floatOf(c, x);
  // Sampling positions (N, og, kh, kw, oh, ow): the kernel tap's position plus its learned offset.
  const off = reshape(c, c.cast(offset, dt), [n, og, kh, kw, 2, oh, ow]);
  const comp = (k: number): Value => reshape(c, c.op('slice_axis', [off], { axis: 4, begin: k, end: k + 1 }), [n, og, kh, kw, oh, ow]);
  const gridPos = (kAxis: number, kLen: number, d: number, oAxis: number, oLen: number, st: number, pad: number): Value =>
    add(c, mulS(c, iota(c, kLen, kAxis, 6, dt), d), addS(c, mulS(c, iota(c, oLen, oAxis, 6, dt), st), -pad));
  const py = add(c, comp(0), gridPos(2, kh, dil[0]!, 4, oh, strides[0]!, pads[0]!));
  const px = add(c, comp(1), gridPos(3, kw, dil[1]!, 5, ow, strides[1]!, pads[1]!));
  // Bilinear with zero padding, the reference's GridSample(align_corners=1) at these positions.
  const e = (v: Value): Value => c.op('expand_dims', [v], { axis: 6 });
  const ay = axisTaps(c, e(py), ih, 'linear', 'zeros', 0, ih - 1);
  const ax = axisTaps(c, e(px), iw, 'linear', 'zeros', 0, iw - 1);
  const cg = ic / og;
  // Table rows: (batch, offset group, y, x); columns: the group's channels.
  const table = reshape(c, transpose(c, reshape(c, c.cast(x, dt), [n, og, cg, ih, iw]), [0, 1, 3, 4, 2]), [n * og * ih * iw, cg]);
  const base = c.constant(range(n * og).map((i) => i * ih * iw), [n, og, 1, 1, 1, 1, 1], dt);
  const rows = gatherTaps(c, table, base, [ay, ax], [n, og, kh, kw, oh, ow], dt); // (n, og, kh, kw, oh, ow, 4, cg)
  let v = c.op('sum', [rows], { axis: [6] }); // (n, og, kh, kw, oh, ow, cg)
  if (c.has(4)) v = mul(c, v, e(reshape(c, c.cast(c.input(4), dt), [n, og, kh, kw, oh, ow])));
  // Columns (ic * K, n, oh * ow), channel-major as W's (ic/group, kh, kw) rows.
  const cols = reshape(c, transpose(c, v, [1, 6, 2, 3, 0, 4, 5]), [ic * K, n, oh * ow]);
  const w2 = reshape(c, c.cast(wt, dt), [oc, (ic / group) * K]);
  const ocg = oc / group;
  const icK = (ic / group) * K;
  const parts = range(group).map((gi) => {
    const wg = group === 1 ? w2 : c.op('slice_axis', [w2], { axis: 0, begin: gi * ocg, end: (gi + 1) * ocg });
    const cg2 = group === 1 ? cols : c.op('slice_axis', [cols], { axis: 0, begin: gi * icK, end: (gi + 1) * icK });
    return c.op('dot', [wg, cg2]); // (ocg, n, P)
  });
  let y = parts.length === 1 ? parts[0]! : c.op('Concat', parts, { dim: 0, num_args: parts.length });
  if (c.has(3)) y = add(c, y, reshape(c, c.cast(c.input(3), dt), [oc, 1, 1]));
  return c.cast(reshape(c, transpose(c, y, [1, 0, 2]), [n, oc, oh, ow]), xdt);
}, 19);
