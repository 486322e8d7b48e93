// ONNX neural-network operators: Conv, pooling, normalisation, Gemm/MatMul, softmax, Resize, ...
// SPDX-License-Identifier: Apache-2.0
import type { DType } from '../../base/dtype.js';
import { converter, type NodeContext, type Value } from '../convert.js';
import { resize } from './nn_resize.js';

const ones = (n: number): number[] => new Array<number>(n).fill(1);
const zeros = (n: number): number[] => new Array<number>(n).fill(0);
const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const isFloat = (d: DType): boolean => d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';

/** Whether output `i` of the node is wanted. */
function wants(c: NodeContext, i: number): boolean {
  return i < c.node.outputs.length && c.node.outputs[i] !== '';
}

/** Per-axis [begin, end] pads of a sliding window (Conv, pooling), honouring auto_pad. */
function windowPads(c: NodeContext, inSpatial: readonly number[], kernel: readonly number[], strides: readonly number[],
                    dil: readonly number[]): [number[], number[]] {
  const n = inSpatial.length;
  const autoPad = c.string('auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const pads = c.ints('pads', zeros(2 * n));
    if (pads.length !== 2 * n) c.fail(`pads has ${pads.length} values, expected ${2 * n}`);
    return [pads.slice(0, n), pads.slice(n)];
  }
  if (autoPad === 'VALID') return [zeros(n), zeros(n)];
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') c.fail(`auto_pad '${autoPad}' is not supported`);
  const b: number[] = [];
  const e: number[] = [];
  for (let i = 0; i < n; i++) {
    const out = Math.ceil(inSpatial[i]! / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dil[i]! + 1 - inSpatial[i]!);
    const small = Math.floor(total / 2);
    b.push(autoPad === 'SAME_UPPER' ? small : total - small);
    e.push(total - b[i]!);
  }
  return [b, e];
}

/** Pads (positive) or crops (negative) the spatial axes (2..) of x at their begins and ends. */
function padOrCrop(c: NodeContext, x: Value, begin: readonly number[], end: readonly number[], value = 0): Value {
  const padB = begin.map((v) => Math.max(0, v));
  const padE = end.map((v) => Math.max(0, v));
  let y = x;
  if (padB.some((v) => v > 0) || padE.some((v) => v > 0)) {
    const w = [0, 0, 0, 0];
    for (let i = 0; i < padB.length; i++) w.push(padB[i]!, padE[i]!);
    y = c.op('Pad', [y], { mode: 'constant', pad_width: w, constant_value: value });
  }
  if (begin.some((v) => v < 0) || end.some((v) => v < 0)) {
    const ps = c.shape(y);
    const lo = [0, 0, ...begin.map((v) => Math.max(0, -v))];
    const hi = [ps[0]!, ps[1]!, ...end.map((v, i) => ps[i + 2]! - Math.max(0, -v))];
    y = c.op('slice', [y], { begin: lo, end: hi });
  }
  return y;
}

/** The per-channel vector v (shape (C,)) shaped (1, C, 1, ...) for an input of rank r. */
function channelVector(c: NodeContext, v: Value, r: number): Value {
  const n = prod(c.shape(v));
  return c.op('Reshape', [v], { shape: [1, n, ...ones(r - 2)] });
}

/* ---- convolution ---- */

converter('Conv', (c) => {
  const x = c.input(0);
  const w = c.input(1);
  const xs = c.shape(x, 'X');
  const ws = c.shape(w, 'W');
  const n = ws.length - 2;
  if (n < 1 || n > 3) c.fail(`${n}-D convolution is not supported (1-D to 3-D only)`);
  const kernel = c.ints('kernel_shape', ws.slice(2));
  const strides = c.ints('strides', ones(n));
  const dil = c.ints('dilations', ones(n));
  let [b, e] = windowPads(c, xs.slice(2), kernel, strides, dil);
  let data = x;
  // MXNet pads symmetrically only: pad the input explicitly otherwise.
  if (b.some((v, i) => v !== e[i])) {
    data = padOrCrop(c, x, b, e);
    b = zeros(n);
    e = b;
  }
  const bias = c.has(2) ? [c.input(2)] : [];
  return c.op('Convolution', [data, w, ...bias], {
    kernel, stride: strides, dilate: dil, pad: b, num_filter: ws[0]!, num_group: c.int('group', 1), no_bias: !c.has(2),
  });
});

/** An integer operand minus its zero point, as float64 (exact for the int32 accumulations). */
function dezero(c: NodeContext, v: Value, zpIndex: number, zpShape: (n: number) => number[]): Value {
  const f = c.cast(v, 'float64');
  if (!c.has(zpIndex)) return f;
  const zp = c.cast(c.input(zpIndex), 'float64');
  const zs = c.shapeIfKnown(zp);
  const n = zs === undefined ? 1 : prod(zs);
  return c.op('broadcast_sub', [f, n === 1 ? c.op('Reshape', [zp], { shape: [1] }) : c.op('Reshape', [zp], { shape: zpShape(n) })]);
}

converter('ConvInteger', (c) => {
  const x = c.input(0);
  const ws = c.shape(c.input(1), 'w');
  const n = ws.length - 2;
  const xf = dezero(c, x, 2, () => c.fail('x_zero_point must be a scalar'));
  const wf = dezero(c, c.input(1), 3, (m) => [m, ...ones(n + 1)]);
  const kernel = c.ints('kernel_shape', ws.slice(2));
  const strides = c.ints('strides', ones(n));
  const dil = c.ints('dilations', ones(n));
  let [b, e] = windowPads(c, c.shape(x, 'x').slice(2), kernel, strides, dil);
  let data = xf;
  if (b.some((v, i) => v !== e[i])) {
    data = padOrCrop(c, xf, b, e);
    b = zeros(n);
    e = b;
  }
  const y = c.op('Convolution', [data, wf], {
    kernel, stride: strides, dilate: dil, pad: b, num_filter: ws[0]!, num_group: c.int('group', 1), no_bias: true,
  });
  return c.cast(y, 'int32');
});

converter('MatMulInteger', (c) => {
  // A's zero point may be per row (M,), B's per column (N,).
  const a = dezero(c, c.input(0), 2, (m) => [m, 1]);
  const b = dezero(c, c.input(1), 3, (m) => [m]);
  return c.cast(matmul(c, a, b), 'int32');
});

converter('ConvTranspose', (c) => {
  const x = c.input(0);
  const w = c.input(1);
  const xs = c.shape(x, 'X');
  const ws = c.shape(w, 'W');
  const n = ws.length - 2;
  if (n < 1 || n > 3) c.fail(`${n}-D transposed convolution is not supported (1-D to 3-D only)`);
  const group = c.int('group', 1);
  const kernel = c.ints('kernel_shape', ws.slice(2));
  const strides = c.ints('strides', ones(n));
  const dil = c.ints('dilations', ones(n));
  const outPad = c.ints('output_padding', zeros(n));
  const autoPad = c.string('auto_pad', 'NOTSET');
  const inS = xs.slice(2);
  // Unpadded output length along each axis (before output_padding).
  const full = inS.map((v, i) => strides[i]! * (v - 1) + (kernel[i]! - 1) * dil[i]! + 1);
  let b: number[] = [];
  let e: number[] = [];
  let target = c.ints('output_shape');
  if (target === undefined && (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER')) target = inS.map((v, i) => v * strides[i]!);
  if (target !== undefined) {
    const t = target.slice(target.length - n);
    const total = t.map((v, i) => full[i]! + outPad[i]! - v);
    b = total.map((v) => (autoPad === 'SAME_UPPER' ? Math.floor(v / 2) : v - Math.floor(v / 2)));
    e = total.map((v, i) => v - b[i]!);
  } else if (autoPad === 'NOTSET' || autoPad === 'VALID') {
    const pads = autoPad === 'VALID' ? zeros(2 * n) : c.ints('pads', zeros(2 * n));
    b = pads.slice(0, n);
    e = pads.slice(n);
  } else {
    return c.fail(`auto_pad '${autoPad}' is not supported`);
  }
  const numFilter = ws[1]! * group;
  const common = { kernel, stride: strides, dilate: dil, num_filter: numFilter, num_group: group };
  const simple = b.every((v, i) => v === e[i] && v >= 0) && outPad.every((v, i) => v >= 0 && v < Math.max(strides[i]!, dil[i]!));
  if (simple) {
    const bias = c.has(2) ? [c.input(2)] : [];
    return c.op('Deconvolution', [x, w, ...bias], { ...common, pad: b, adj: outPad, no_bias: !c.has(2) });
  }
  // Asymmetric pads or odd output padding: the unpadded result, then crop (or zero-pad) each end.
  let y = c.op('Deconvolution', [x, w], { ...common, pad: zeros(n), adj: zeros(n), no_bias: true });
  y = padOrCrop(c, y, b.map((v) => -v), e.map((v, i) => outPad[i]! - v));
  return c.has(2) ? c.op('broadcast_add', [y, channelVector(c, c.input(2), n + 2)]) : y;
});

/* ---- pooling ---- */

/** The most negative value of a dtype (max pooling's padding). */
function lowest(d: DType): number {
  switch (d) {
    case 'uint8': case 'uint16': case 'uint32': case 'uint64': case 'bool': return 0;
    case 'int8': return -128;
    case 'int16': return -32768;
    case 'int32': return -2147483648;
    default: return -Infinity;
  }
}

type PoolKind = 'max' | 'avg' | 'lp';

function pool(c: NodeContext, kind: PoolKind): Value | Value[] {
  const x = c.input(0);
  const xs = c.shape(x, 'X');
  const dt = c.dtype(x, 'X');
  const n = xs.length - 2;
  const indices = kind === 'max' && wants(c, 1);
  const kernel = c.ints('kernel_shape');
  if (kernel === undefined) c.fail('kernel_shape is required');
  const strides = c.ints('strides', ones(n));
  const dil = c.ints('dilations', ones(n));
  const ceil = c.int('ceil_mode', 0) !== 0;
  const countPad = c.int('count_include_pad', 0) !== 0;
  const p = kind === 'lp' ? (c.hasAttr('p') ? pValue(c) : 2) : 0;
  const inS = xs.slice(2);
  const [b, e] = windowPads(c, inS, kernel, strides, dil);
  const span = kernel.map((k, i) => (k - 1) * dil[i]! + 1);
  const out = inS.map((v, i) => {
    const q = (v + b[i]! + e[i]! - span[i]!) / strides[i]!;
    let o = (ceil ? Math.ceil(q) : Math.floor(q)) + 1;
    // The last window must start inside the input or its begin padding.
    if (ceil && (o - 1) * strides[i]! >= v + b[i]!) o--;
    return o;
  });
  // MXNet's Pooling: symmetric pads, no dilation, float data, and the same output length.
  if (!indices && n >= 1 && n <= 3 && isFloat(dt) && dil.every((d) => d === 1) && b.every((v, i) => v === e[i])) {
    const mxOut = (conv: 'valid' | 'full'): number[] => inS.map((v, i) => {
      const q = (v + 2 * b[i]! - kernel[i]!) / strides[i]!;
      return (conv === 'full' ? Math.ceil(q) : Math.floor(q)) + 1;
    });
    const conv = ceil && mxOut('full').every((v, i) => v === out[i]) ? 'full' : 'valid';
    // With 'full' windows may pass the padding; MXNet then counts only what lies inside it, like ONNX.
    // MXNet's lp pooling disagrees with ONNX's away from the plain 2-D case: slide for it.
    if (mxOut(conv).every((v, i) => v === out[i]) && kind !== 'lp') {
      return c.op('Pooling', [x], {
        kernel, stride: strides, pad: b, pool_type: kind, pooling_convention: conv,
        ...(kind === 'avg' ? { count_include_pad: countPad } : {}),
      });
    }
  }
  return slidingPool(c, x, kind, p, { inS, kernel, strides, dil, b, e, out, countPad, dt }, indices ? xs : undefined);
}

/** LpPool's p: an int (opset 2+) or a float (opset 1). */
function pValue(c: NodeContext): number {
  const a = c.node.attributes.find((t) => t.name === 'p');
  return a !== undefined && a.type === 1 ? c.float('p', 2) : c.int('p', 2);
}

/** Pooling as a sum/max over strided slices of the padded input: dilations, asymmetric pads, ceil mode. */
function slidingPool(c: NodeContext, x: Value, kind: PoolKind, p: number, g: {
  inS: number[]; kernel: number[]; strides: number[]; dil: number[]; b: number[]; e: number[]; out: number[];
  countPad: boolean; dt: DType;
}, indicesOf?: number[]): Value | Value[] {
  const n = g.inS.length;
  // Extra end padding so every (ceil-mode) window lies inside the array.
  const extra = g.inS.map((v, i) => Math.max(0, (g.out[i]! - 1) * g.strides[i]! + (g.kernel[i]! - 1) * g.dil[i]! + 1 - (v + g.b[i]! + g.e[i]!)));
  let src = x;
  if (kind === 'lp') src = p === 2 ? c.op('square', [x]) : c.op('_power_scalar', [c.op('abs', [x])], { scalar: p });
  const padded = padOrCrop(c, src, g.b, g.e.map((v, i) => v + extra[i]!), kind === 'max' ? lowest(g.dt) : 0);
  const ps = c.shape(padded);
  // Every window offset's strided slice, stacked and reduced in one op (a chain of binary ops over
  // slices of one array miscomputes in the graph executor).
  const wins: Value[] = [];
  const offs = zeros(n);
  for (;;) {
    const begin = [0, 0, ...offs.map((o, i) => o * g.dil[i]!)];
    const end = [ps[0]!, ps[1]!, ...offs.map((o, i) => o * g.dil[i]! + (g.out[i]! - 1) * g.strides[i]! + 1)];
    wins.push(c.op('slice', [padded], { begin, end, step: [1, 1, ...g.strides] }));
    let i = n - 1;
    while (i >= 0 && ++offs[i]! === g.kernel[i]) offs[i--] = 0;
    if (i < 0) break;
  }
  const acc = wins.length === 1 ? wins[0]!
    : c.op(kind === 'max' ? 'max' : 'sum', [c.op('stack', wins, { axis: 0, num_args: wins.length })], { axis: 0 });
  if (kind === 'max') return indicesOf === undefined ? acc : [acc, maxIndices(c, wins, g, indicesOf)];
  if (kind === 'lp') return p === 2 ? c.op('sqrt', [acc]) : c.op('_power_scalar', [acc], { scalar: 1 / p });
  // Divisors: window positions inside the input (or inside the padded input), separable per axis.
  const counts = g.inS.map((v, i) => {
    const lo = g.countPad ? 0 : g.b[i]!;
    const hi = g.countPad ? v + g.b[i]! + g.e[i]! : g.b[i]! + v;
    const r: number[] = [];
    for (let o = 0; o < g.out[i]!; o++) {
      let k = 0;
      for (let t = 0; t < g.kernel[i]!; t++) {
        const j = o * g.strides[i]! + t * g.dil[i]!;
        if (j >= lo && j < hi) k++;
      }
      r.push(k);
    }
    return r;
  });
  const div = new Float64Array(prod(g.out));
  for (let f = 0; f < div.length; f++) {
    let rem = f;
    let v = 1;
    for (let i = n - 1; i >= 0; i--) {
      v *= counts[i]![rem % g.out[i]!]!;
      rem = Math.floor(rem / g.out[i]!);
    }
    div[f] = v;
  }
  return c.op('broadcast_div', [acc, c.constant(div, [1, 1, ...g.out], g.dt)]);
}

/**
 * MaxPool's Indices: the flat input index of each window's first maximum, from the window offset k
 * (argmax over the stacked slices) and the output position's window start.
 */
function maxIndices(c: NodeContext, wins: Value[], g: { inS: number[]; kernel: number[]; strides: number[]; dil: number[];
                    b: number[]; out: number[] }, xs: number[]): Value {
  const n = g.inS.length;
  const colMajor = c.int('storage_order', 0) !== 0;
  // Element strides of the spatial axes in the flat index (row- or column-major within an image).
  const st = zeros(n);
  let acc = 1;
  for (let j = 0; j < n; j++) {
    const i = colMajor ? j : n - 1 - j;
    st[i] = acc;
    acc *= g.inS[i]!;
  }
  const k = wins.length === 1 ? c.op('zeros_like', [wins[0]!])
    : c.op('argmax', [c.op('stack', wins, { axis: 0, num_args: wins.length })], { axis: 0 });
  // Offset of window element k: k decomposed over the kernel dims (last fastest), times dilation and stride.
  let off: Value | undefined;
  let rest = c.cast(k, 'float64');
  for (let i = n - 1; i >= 0; i--) {
    const q = c.op('floor', [c.op('_div_scalar', [rest], { scalar: g.kernel[i]! })]);
    const r = c.op('broadcast_sub', [rest, c.op('_mul_scalar', [q], { scalar: g.kernel[i]! })]);
    const term = c.op('_mul_scalar', [r], { scalar: g.dil[i]! * st[i]! });
    off = off === undefined ? term : c.op('broadcast_add', [off, term]);
    rest = q;
  }
  // Window starts (padding removed), plus each (n, c) image's offset.
  const outN = prod(g.out);
  const base = new Float64Array(outN);
  for (let f = 0; f < outN; f++) {
    let rem = f;
    let v = 0;
    for (let i = n - 1; i >= 0; i--) {
      v += ((rem % g.out[i]!) * g.strides[i]! - g.b[i]!) * st[i]!;
      rem = Math.floor(rem / g.out[i]!);
    }
    base[f] = v;
  }
  const img = prod(g.inS);
  const nc = Float64Array.from({ length: xs[0]! * xs[1]! }, (_, i) => i * img);
  let y = c.op('broadcast_add', [off!, c.constant(base, [1, 1, ...g.out], 'float64')]);
  y = c.op('broadcast_add', [y, c.constant(nc, [xs[0]!, xs[1]!, ...ones(n)], 'float64')]);
  return c.cast(y, 'int64');
}

converter('MaxPool', (c) => pool(c, 'max'));
converter('AveragePool', (c) => pool(c, 'avg'));
converter('LpPool', (c) => pool(c, 'lp'));

function spatialAxes(c: NodeContext, x: Value): number[] {
  const r = c.rank(x, 'X');
  return Array.from({ length: r - 2 }, (_, i) => i + 2);
}
converter('GlobalAveragePool', (c) => c.op('mean', [c.input(0)], { axis: spatialAxes(c, c.input(0)), keepdims: true }));
converter('GlobalMaxPool', (c) => c.op('max', [c.input(0)], { axis: spatialAxes(c, c.input(0)), keepdims: true }));
converter('GlobalLpPool', (c) => {
  const x = c.input(0);
  const p = c.hasAttr('p') ? pValue(c) : 2;
  const s = c.op('sum', [c.op('_power_scalar', [c.op('abs', [x])], { scalar: p })], { axis: spatialAxes(c, x), keepdims: true });
  return c.op('_power_scalar', [s], { scalar: 1 / p });
});

/* ---- normalisation ---- */

converter('BatchNormalization', (c) => {
  const x = c.input(0);
  const eps = c.float('epsilon', 1e-5);
  const momentum = c.float('momentum', 0.9);
  if (c.opset < 9 && c.int('spatial', 1) === 0) c.fail('spatial 0 (per-activation statistics) is not supported');
  // Training mode: an attribute from opset 14; before that, asking for the running statistics.
  const training = c.opset >= 14 ? c.int('training_mode', 0) !== 0 : (c.opset >= 7 && wants(c, 1));
  if (c.opset < 7 && c.int('is_test', 0) === 0 && wants(c, 1)) c.fail('training mode of opset < 7 is not supported');
  const [scale, bias, mean, vr] = [c.input(1), c.input(2), c.input(3), c.input(4)];
  const r = c.rank(x, 'X');
  // MXNet's BatchNorm takes the statistics as auxiliary states, so only known ones can go there.
  if (!training && c.isKnown(mean) && c.isKnown(vr)) {
    return c.op('BatchNorm', [x, scale, bias, mean, vr], {
      eps, momentum, fix_gamma: false, use_global_stats: true, axis: 1,
    });
  }
  if (!training) {
    const inv = c.op('rsqrt', [c.op('_plus_scalar', [channelVector(c, vr, r)], { scalar: eps })]);
    const y = c.op('broadcast_mul', [c.op('broadcast_sub', [x, channelVector(c, mean, r)]), inv]);
    return c.op('broadcast_add', [c.op('broadcast_mul', [y, channelVector(c, scale, r)]), channelVector(c, bias, r)]);
  }
  // Batch statistics: population variance, and running statistics blended with `momentum`.
  const axes = [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2)];
  const [bm, bv] = c.opN('moments', [x], { axes, keepdims: true }) as [Value, Value];
  const inv = c.op('rsqrt', [c.op('_plus_scalar', [bv], { scalar: eps })]);
  let y = c.op('broadcast_mul', [c.op('broadcast_sub', [x, bm]), inv]);
  y = c.op('broadcast_add', [c.op('broadcast_mul', [y, channelVector(c, scale, r)]), channelVector(c, bias, r)]);
  const flat = (v: Value): Value => c.op('Reshape', [v], { shape: [c.shape(mean, 'mean')[0]!] });
  const blend = (run: Value, cur: Value): Value => c.op('broadcast_add', [
    c.op('_mul_scalar', [run], { scalar: momentum }), c.op('_mul_scalar', [flat(cur)], { scalar: 1 - momentum })]);
  return [y, blend(mean, bm), blend(vr, bv)];
});

converter('InstanceNormalization', (c) =>
  c.op('InstanceNorm', [c.input(0), c.input(1), c.input(2)], { eps: c.float('epsilon', 1e-5) }));

/** Runs `body` on x widened to float32 when stash_type asks for it, casting the results back. */
function stashed(c: NodeContext, x: Value, body: (x: Value) => Value[]): Value[] {
  const dt = c.dtype(x, 'X');
  const stash = c.int('stash_type', 1);
  if (stash !== 1 && stash !== 11 && stash !== 10 && stash !== 16) c.fail(`stash_type ${stash} is not supported`);
  if (stash !== 1 || dt === 'float32' || dt === 'float64') return body(x);
  const outs = body(c.cast(x, 'float32'));
  return [c.cast(outs[0]!, dt), ...outs.slice(1)];
}

converter('LayerNormalization', (c) => {
  const x = c.input(0);
  const xs = c.shape(x, 'X');
  const r = xs.length;
  const axis = c.axis(c.int('axis', -1), r);
  const eps = c.float('epsilon', 1e-5);
  const inner = prod(xs.slice(axis));
  const outer = prod(xs.slice(0, axis));
  const statShape = [...xs.slice(0, axis), ...ones(r - axis)];
  return stashed(c, x, (xf) => {
    const dt = c.dtype(xf);
    const x2 = axis === r - 1 ? xf : c.op('Reshape', [xf], { shape: [outer, inner] });
    const outs = c.opN('LayerNorm', [x2, c.constant(ones(inner), [inner], dt), c.constant(zeros(inner), [inner], dt)],
                       { axis: -1, eps, output_mean_var: wants(c, 1) || wants(c, 2) });
    let y = axis === r - 1 ? outs[0]! : c.op('Reshape', [outs[0]!], { shape: xs });
    y = c.op('broadcast_mul', [y, c.cast(c.input(1), dt)]);
    if (c.has(2)) y = c.op('broadcast_add', [y, c.cast(c.input(2), dt)]);
    if (outs.length < 3) return [y];
    const mean = c.op('Reshape', [outs[1]!], { shape: statShape });
    const invStd = c.op('reciprocal', [c.op('Reshape', [outs[2]!], { shape: statShape })]);
    return [y, mean, invStd];
  });
});

converter('GroupNormalization', (c) => {
  const x = c.input(0);
  const xs = c.shape(x, 'X');
  const r = xs.length;
  const groups: number = c.int('num_groups') ?? c.fail('num_groups is required');
  const eps = c.float('epsilon', 1e-5);
  const ch = xs[1]!;
  return stashed(c, x, (xf) => {
    const dt = c.dtype(xf);
    // MXNet's GroupNorm normalises (N, G, C/G * spatial); its gamma/beta are per group.
    const x4 = r === 4 ? xf : c.op('Reshape', [xf], { shape: [xs[0]!, ch, prod(xs.slice(2)), 1] });
    let y = c.op('GroupNorm', [x4, c.constant(ones(groups), [groups], dt), c.constant(zeros(groups), [groups], dt)],
                 { num_groups: groups, eps });
    if (r !== 4) y = c.op('Reshape', [y], { shape: xs });
    // Scale and bias: per channel (opset 21) or per group (opset 18), repeated over the group's channels.
    const perChannel = (v: Value): Value => {
      const n = prod(c.shape(v));
      const w = n === ch ? v : n === groups ? c.op('repeat', [c.op('Reshape', [v], { shape: [groups] })], { repeats: ch / groups, axis: 0 })
        : c.fail(`scale/bias have ${n} values; expected ${ch} (channels) or ${groups} (groups)`);
      return channelVector(c, c.cast(w, dt), r);
    };
    y = c.op('broadcast_mul', [y, perChannel(c.input(1))]);
    return [c.op('broadcast_add', [y, perChannel(c.input(2))])];
  });
});

converter('RMSNormalization', (c) => {
  const x = c.input(0);
  const r = c.rank(x, 'X');
  const axis = c.axis(c.int('axis', -1), r);
  const eps = c.float('epsilon', 1e-5);
  const axes = Array.from({ length: r - axis }, (_, i) => axis + i);
  return stashed(c, x, (xf) => {
    const dt = c.dtype(xf);
    const ms = c.op('mean', [c.op('square', [xf])], { axis: axes, keepdims: true });
    const y = c.op('broadcast_mul', [xf, c.op('rsqrt', [c.op('_plus_scalar', [ms], { scalar: eps })])]);
    return [c.op('broadcast_mul', [y, c.cast(c.input(1), dt)])];
  });
});

// MXNet's LRN divides alpha by the window size, as ONNX does.
converter('LRN', (c) => {
  const size = c.int('size');
  if (size === undefined) c.fail('size is required');
  return c.op('LRN', [c.input(0)], {
    nsize: size, alpha: c.float('alpha', 1e-4), beta: c.float('beta', 0.75), knorm: c.float('bias', 1),
  });
});

converter('LpNormalization', (c) => {
  const x = c.input(0);
  const p = c.int('p', 2);
  if (p !== 1 && p !== 2) c.fail(`p ${p} is not supported (1 or 2)`);
  const axis = c.axis(c.int('axis', -1), c.rank(x, 'input'));
  // A zero norm means an all-zero slice, which stays zero (ONNX's 0/0 = 0): divide it by 1 instead.
  const norm = c.op('norm', [x], { ord: p, axis: [axis], keepdims: true });
  const safe = c.op('broadcast_add', [norm, c.op('_equal_scalar', [norm], { scalar: 0 })]);
  return c.op('broadcast_div', [x, safe]);
});

converter('MeanVarianceNormalization', (c) => {
  const x = c.input(0);
  const r = c.rank(x, 'X');
  const axes = c.ints('axes', [0, 2, 3]).map((a) => c.axis(a, r, 'axes'));
  // (X - E[X]) / (sqrt(E[(X - E[X])^2]) + 1e-9), as ONNX's function body.
  const [m, v] = c.opN('moments', [x], { axes, keepdims: true }) as [Value, Value];
  const std = c.op('_plus_scalar', [c.op('sqrt', [v])], { scalar: 1e-9 });
  return c.op('broadcast_div', [c.op('broadcast_sub', [x, m]), std]);
});

/* ---- dropout ---- */

converter('Dropout', (c) => {
  const x = c.input(0);
  // Before opset 12 the ratio is an attribute and an imported graph always runs inference.
  const training = c.opset >= 12 && c.has(2) && c.knownInts(2, 'training_mode')[0]! !== 0;
  // The ratio matters (and must be known) only when training.
  const ratio = !training ? 0 : c.has(1) ? c.knownFloats(1, 'ratio')[0]! : 0.5;
  const allTrue = (): Value => c.op('Cast', [c.op('ones_like', [x])], { dtype: 'bool' });
  if (!training || ratio === 0) {
    const y = c.op('_copy', [x]);
    return wants(c, 1) ? [y, allTrue()] : [y];
  }
  if (ratio >= 1) c.fail('ratio 1 in training mode is not supported');
  const y = c.opNoFold('Dropout', [x], { p: ratio, mode: 'always' })[0]!;
  if (!wants(c, 1)) return [y];
  // The kept elements: Dropout zeroes the dropped ones (an input 0 reads as dropped, with the same output).
  return [y, c.op('Cast', [c.op('_not_equal_scalar', [y], { scalar: 0 })], { dtype: 'bool' })];
});

/* ---- matrix products ---- */

converter('Gemm', (c) => {
  const alpha = c.float('alpha', 1);
  const beta = c.float('beta', 1);
  let y = c.op('dot', [c.input(0), c.input(1)], {
    transpose_a: c.int('transA', 0) !== 0, transpose_b: c.int('transB', 0) !== 0,
  });
  if (alpha !== 1) y = c.op('_mul_scalar', [y], { scalar: alpha });
  if (c.has(2) && beta !== 0) {
    let cc = c.input(2);
    if (beta !== 1) cc = c.op('_mul_scalar', [cc], { scalar: beta });
    const ys = c.shape(y);
    const cs = c.shapeIfKnown(cc);
    // C of unknown shape: NumPy broadcasting in broadcast_add is all Gemm asks for.
    if (cs === undefined) return c.op('broadcast_add', [y, cc]);
    if (cs.length < 2) cc = c.op('Reshape', [cc], { shape: [...ones(2 - cs.length), ...cs] });
    if (cs.length > 2) c.fail(`C has rank ${cs.length}; expected at most 2`);
    y = c.op('broadcast_add', [y, prod(cs) === prod(ys) ? c.op('Reshape', [cc], { shape: ys }) : cc]);
  }
  return y;
});

/** NumPy matmul of a and b (1-D operands and broadcast batch dims included). */
export function matmul(c: NodeContext, a: Value, b: Value): Value {
  const as = c.shape(a, 'A');
  const bs = c.shape(b, 'B');
  if (as.length === 0 || bs.length === 0) c.fail('MatMul operands must have rank >= 1');
  // 1-D operands: a row (for A) or a column (for B), removed from the result.
  const a2 = as.length === 1 ? [1, as[0]!] : as;
  const b2 = bs.length === 1 ? [bs[0]!, 1] : bs;
  const A = as.length === 1 ? c.op('Reshape', [a], { shape: a2 }) : a;
  const B = bs.length === 1 ? c.op('Reshape', [b], { shape: b2 }) : b;
  const m = a2[a2.length - 2]!;
  const k = a2[a2.length - 1]!;
  const nn = b2[b2.length - 1]!;
  if (b2[b2.length - 2] !== k) c.fail(`MatMul shapes (${as.join(',')}) and (${bs.join(',')}) do not match`);
  const ba = a2.slice(0, -2);
  const bb = b2.slice(0, -2);
  let y: Value;
  let batch: number[];
  if (bb.length === 0) {
    // (..., m, k) x (k, n): one dot over the flattened rows.
    batch = ba;
    const flat = ba.length === 0 ? A : c.op('Reshape', [A], { shape: [prod(ba) * m, k] });
    y = c.op('dot', [flat, B]);
  } else {
    const rank = Math.max(ba.length, bb.length);
    const pa = [...ones(rank - ba.length), ...ba];
    const pb = [...ones(rank - bb.length), ...bb];
    batch = pa.map((d, i) => (d === 1 ? pb[i]! : d));
    const expand = (v: Value, s: number[], p: number[], tail: number[]): Value => {
      let r = v;
      if (p.every((d, i) => d === batch[i])) return c.op('Reshape', [r], { shape: [prod(batch), ...tail] });
      r = c.op('Reshape', [r], { shape: [...p, ...tail] });
      r = c.op('broadcast_to', [r], { shape: [...batch, ...tail] });
      void s;
      return c.op('Reshape', [r], { shape: [prod(batch), ...tail] });
    };
    y = c.op('batch_dot', [expand(A, a2, pa, [m, k]), expand(B, b2, pb, [k, nn])]);
  }
  const outShape = [...batch, ...(as.length === 1 ? [] : [m]), ...(bs.length === 1 ? [] : [nn])];
  const ys = c.shape(y);
  return ys.length === outShape.length && ys.every((d, i) => d === outShape[i]) ? y : c.op('Reshape', [y], { shape: outShape });
}

converter('MatMul', (c) => matmul(c, c.input(0), c.input(1)));

converter('Det', (c) => {
  const x = c.input(0);
  const xs = c.shape(x, 'X');
  // MXNet's det of one matrix has shape (1,); ONNX's is a scalar.
  const d = c.op('_linalg_det', [x]);
  return c.op('Reshape', [d], { shape: xs.slice(0, -2) });
});

/* ---- softmax family ---- */

/** Applies f along one axis (opset >= 13) or over the flattened trailing dims from axis (opset < 13). */
function softmaxLike(c: NodeContext, f: (x: Value, axis: number) => Value): Value {
  const x = c.input(0);
  const xs = c.shape(x, 'input');
  const r = xs.length;
  if (c.opset >= 13) return f(x, c.axis(c.int('axis', -1), r));
  const axis = c.axis(c.int('axis', 1), Math.max(r, 1));
  if (axis === r - 1) return f(x, axis);
  const flat = c.op('Reshape', [x], { shape: [prod(xs.slice(0, axis)), prod(xs.slice(axis))] });
  return c.op('Reshape', [f(flat, 1)], { shape: xs });
}

converter('Softmax', (c) => softmaxLike(c, (x, axis) => c.op('softmax', [x], { axis })));
converter('LogSoftmax', (c) => softmaxLike(c, (x, axis) => c.op('log_softmax', [x], { axis })));
converter('Hardmax', (c) => softmaxLike(c, (x, axis) => {
  // One at the first maximum along the axis: argmax compared with the positions along it.
  const xs = c.shape(x);
  const idx = c.op('argmax', [x], { axis, keepdims: true });
  const pos = c.constant(Array.from({ length: xs[axis]! }, (_, i) => i), xs.map((d, i) => (i === axis ? d : 1)), 'float32');
  return c.cast(c.op('broadcast_equal', [c.cast(idx, 'float32'), pos]), c.dtype(x));
}));

/* ---- resizing ---- */

converter('Resize', (c) => resize(c, 'resize'), 10);
converter('Resize', (c) => resize(c, 'resize'), 11);
converter('Upsample', (c) => resize(c, 'upsample'));

/* ---- einsum ---- */

converter('Einsum', (c) => {
  const eq: string = c.string('equation') ?? c.fail('equation is required');
  return einsum(c, eq.replace(/\s+/g, ''), c.inputsFrom(0));
});

/** Einsum by aligning every operand to one index order, multiplying and summing the contracted indices. */
function einsum(c: NodeContext, eq: string, xs: Value[]): Value {
  const [lhs = '', rhsGiven] = eq.split('->');
  const terms = lhs.split(',');
  if (terms.length !== xs.length) c.fail(`equation has ${terms.length} operands, the node ${xs.length}`);
  // '...' becomes letters not used elsewhere, as many as the operand's extra dims.
  const free = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('').filter((l) => !eq.includes(l));
  let ell = 0;
  const expanded = terms.map((t, i) => {
    if (!t.includes('...')) return t;
    const n = c.rank(xs[i]!) - (t.length - 3);
    ell = Math.max(ell, n);
    return t.replace('...', free.slice(0, ell).slice(ell - n).join(''));
  });
  const ellLetters = free.slice(0, ell).join('');
  const counts = new Map<string, number>();
  for (const t of expanded) for (const l of t) counts.set(l, (counts.get(l) ?? 0) + 1);
  const rhs = rhsGiven === undefined
    ? ellLetters + [...counts.keys()].filter((l) => counts.get(l) === 1 && !ellLetters.includes(l)).sort().join('')
    : rhsGiven.replace('...', ellLetters);
  const all = [...new Set([...rhs, ...expanded.join('')])];
  const dims = new Map<string, number>();
  const aligned = expanded.map((t, i) => {
    let v = xs[i]!;
    let letters = t;
    // A repeated letter in one operand: take the diagonal (it moves to the last axis).
    for (;;) {
      const dup = [...letters].find((l, j) => letters.indexOf(l) !== j);
      if (dup === undefined) break;
      const a1 = letters.indexOf(dup);
      const a2 = letters.indexOf(dup, a1 + 1);
      v = c.op('diag', [v], { axis1: a1, axis2: a2 });
      letters = letters.split('').filter((_, j) => j !== a1 && j !== a2).join('') + dup;
    }
    const s = c.shape(v);
    [...letters].forEach((l, j) => {
      const d = s[j]!;
      if (d !== 1 || !dims.has(l)) dims.set(l, Math.max(d, dims.get(l) ?? 1));
    });
    const present = all.filter((l) => letters.includes(l));
    const perm = present.map((l) => letters.indexOf(l));
    if (perm.some((p, j) => p !== j)) v = c.op('transpose', [v], { axes: perm });
    return { v, present };
  });
  let acc: Value | undefined;
  for (const { v, present } of aligned) {
    const shape = all.map((l) => (present.includes(l) ? c.shape(v)[present.indexOf(l)]! : 1));
    const r = c.op('Reshape', [v], { shape });
    acc = acc === undefined ? r : c.op('broadcast_mul', [acc, r]);
  }
  const sumAxes = all.map((l, i) => (rhs.includes(l) ? -1 : i)).filter((i) => i >= 0);
  let y = sumAxes.length > 0 ? c.op('sum', [acc!], { axis: sumAxes }) : acc!;
  const kept = all.filter((l) => rhs.includes(l));
  const perm = [...rhs].map((l) => kept.indexOf(l));
  if (perm.some((p, j) => p !== j)) y = c.op('transpose', [y], { axes: perm });
  const want = [...rhs].map((l) => dims.get(l)!);
  const ys = c.shape(y);
  if (ys.length === want.length && ys.every((d, i) => d === want[i])) return y;
  // A scalar result, or an index only ever seen with size 1 next to a broadcast one.
  return prod(ys) === prod(want) ? c.op('Reshape', [y], { shape: want }) : c.op('broadcast_to', [y], { shape: want });
}
