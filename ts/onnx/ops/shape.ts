// ONNX shape, layout and indexing operators: Reshape, Transpose, Slice, Gather, Pad, Cast, Constant, ...
// SPDX-License-Identifier: Apache-2.0
import type { DType } from '../../base/dtype.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { converter, numbersOf, type NodeContext, type Value } from '../convert.js';
import { dtypeOfOnnx, onnxTypeOf } from '../tensor.js';
import { castTo } from './cast.js';
import { ONNX_TYPE } from '../onnx_proto.js';
import { StringTensor, stringsFromProto } from '../strings.js';
import { narrowOf } from '../narrow.js';

/* ---- helpers ---- */

function prod(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** An empty array of `shape`: MXNet ops reject zero-size results, and an empty array has no values to compute. */
function empty(c: NodeContext, shape: readonly number[], dtype: DType): Value {
  return c.op('_zeros', [], { shape, dtype });
}

/** v reshaped to an exact shape (no MXNet special codes: an empty result is made directly). */
function reshapeTo(c: NodeContext, v: Value, shape: readonly number[]): Value {
  if (prod(shape) === 0) return empty(c, shape, c.dtype(v));
  if (sameShape(c.shape(v), shape)) return c.op('_copy', [v]);
  return c.op('Reshape', [v], { shape });
}

/** MXNet's tuple syntax with None (slice's begin/end may need "to the start" under a negative step). */
function tuple(xs: readonly (number | null)[]): string {
  return `(${xs.map((x) => (x === null ? 'None' : String(x))).join(',')}${xs.length === 1 ? ',' : ''})`;
}

/** Integer indices with negative entries wrapped by `dim`: idx + (idx < 0) * dim. */
function wrapNegative(c: NodeContext, idx: Value, dim: number): Value {
  const neg = c.op('_mul_scalar', [c.op('_lesser_scalar', [idx], { scalar: 0 })], { scalar: dim });
  return c.op('broadcast_add', [idx, neg]);
}

/** Moves the last axis of an ONNX index tensor (..., M) to the front: MXNet's gather_nd/scatter_nd layout (M, ...). */
function indexTuplesFirst(c: NodeContext, idx: Value): Value {
  const r = c.rank(idx, 'indices');
  const axes = [r - 1, ...Array.from({ length: r - 1 }, (_, i) => i)];
  return c.op('transpose', [c.cast(idx, 'int64')], { axes });
}

/** A known array's values in storage order, int64 kept exact as bigints. */
function valuesOf(a: NDArray): ArrayLike<number | bigint> {
  return a.dataSync<DType>() as ArrayLike<number | bigint>;
}

/** Row-major strides of a shape. */
function stridesOf(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) st[i] = st[i + 1]! * shape[i + 1]!;
  return st;
}

/** Constant int64 array of `shape` whose value at each position is its coordinate along `axis`. */
function coordinateGrid(c: NodeContext, shape: readonly number[], axis: number): Value {
  const n = prod(shape);
  const st = stridesOf(shape);
  const vals = new Array<number>(n);
  for (let i = 0; i < n; i++) vals[i] = Math.floor(i / st[axis]!) % shape[axis]!;
  return c.constant(vals, shape, 'int64');
}

/* ---- constants and shapes ---- */

converter('Constant', (c) => {
  const proto = c.tensorProtoAttr('value');
  if (proto?.dataType === ONNX_TYPE.STRING) return stringsFromProto(proto, `${c.label}: attribute value`);
  const t = c.tensorAttr('value');
  if (t !== undefined) return t;
  const f = c.float('value_float');
  if (f !== undefined) return c.constant([f], [], 'float32');
  const fs = c.floats('value_floats');
  if (fs !== undefined) return c.constant(fs, [fs.length], 'float32');
  const i = c.int('value_int');
  if (i !== undefined) return c.constant([i], [], 'int64');
  const is = c.ints('value_ints');
  if (is !== undefined) return c.constant(is, [is.length], 'int64');
  if (c.hasAttr('sparse_value')) c.fail('sparse_value constants are not supported');
  const str = c.string('value_string');
  if (str !== undefined) return new StringTensor([str], []);
  const strs = c.strings('value_strings');
  if (strs !== undefined) return new StringTensor(strs);
  return c.fail('has no value attribute');
});

converter('ConstantOfShape', (c) => {
  const shape = c.knownInts(0, 'shape');
  const t = c.tensorAttr('value');
  const dtype: DType = t?.dtype ?? 'float32';
  const v = t === undefined ? 0 : valuesOf(t)[0] ?? 0;
  if (prod(shape) === 0) return empty(c, shape, dtype);
  // A fill op, not a host array: light models make every weight this way (VGG-19's 100M-element fc).
  if (typeof v === 'number' || (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER))) {
    return c.op('_full', [], { shape, dtype, value: Number(v) });
  }
  return c.constant(new Array<bigint>(prod(shape)).fill(v), shape, dtype);
});

converter('Shape', (c) => {
  const s = c.shape(c.input(0));
  const r = s.length;
  // Opset 15 start/end: negative counts from the end; both clamp to [0, rank].
  const clamp = (x: number): number => Math.min(Math.max(x < 0 ? x + r : x, 0), r);
  const start = clamp(c.int('start', 0));
  const end = clamp(c.int('end', r));
  const out = s.slice(start, Math.max(start, end));
  return c.constant(out, [out.length], 'int64');
});

converter('Size', (c) => c.constant([prod(c.shape(c.input(0)))], [], 'int64'));

converter('Cast', (c) => {
  const to = c.int('to') ?? c.fail('attribute to is required');
  return castTo(c, c.input(0), to);
});

converter('CastLike', (c) => {
  const like = c.input(1);
  return castTo(c, c.input(0), narrowOf(like)?.code ?? onnxTypeOf(c.dtype(like, 'target_type')));
});

converter('Range', (c) => {
  const dtype = c.dtype(c.input(0), 'start');
  const [start] = c.knownFloats(0, 'start');
  const [limit] = c.knownFloats(1, 'limit');
  const [delta] = c.knownFloats(2, 'delta');
  if (delta === 0) c.fail('delta must not be 0');
  const n = Math.max(Math.ceil((limit! - start!) / delta!), 0);
  return c.constant(Array.from({ length: n }, (_, i) => start! + i * delta!), [n], dtype);
});

converter('EyeLike', (c) => {
  const x = c.input(0);
  const s = c.shape(x);
  if (s.length !== 2) c.fail(`input must be 2-D, got rank ${s.length}`);
  const to = c.int('dtype');
  const dtype = to === undefined ? c.dtype(x) : dtypeOfOnnx(to, c.label);
  const k = c.int('k', 0);
  const [n, m] = s as [number, number];
  const vals = new Array<number>(n * m).fill(0);
  for (let i = 0; i < n; i++) if (i + k >= 0 && i + k < m) vals[i * m + i + k] = 1;
  return c.constant(vals, [n, m], dtype);
});

/* ---- reshaping ---- */

converter('Reshape', (c) => {
  const x = c.input(0);
  const target = c.opset < 5 ? c.ints('shape', []) : c.knownInts(1, 'shape');
  const allowzero = c.int('allowzero', 0) !== 0;
  const s = c.shapeIfKnown(x);
  if (s === undefined) {
    // Without the input's shape, MXNet's own codes do the same: 0 copies a dim, -1 is inferred at bind time.
    if (allowzero && target.includes(0)) c.fail('allowzero with a 0 in shape needs the input shape (options.inputShapes)');
    if (target.some((d) => d < -1)) c.fail(`shape (${target.join(', ')}) has entries below -1`);
    return c.op('Reshape', [x], { shape: target });
  }
  const total = prod(s);
  // ONNX codes: 0 copies the input dim (unless allowzero), -1 is inferred from the rest.
  const out = target.map((d, i) => (d === 0 && !allowzero ? s[i] ?? c.fail(`shape[${i}] = 0 copies a dim the input lacks`) : d));
  const infer = out.indexOf(-1);
  if (infer >= 0) {
    if (out.lastIndexOf(-1) !== infer) c.fail('shape has more than one -1');
    const known = prod(out.filter((_, i) => i !== infer));
    if (known === 0 || total % known !== 0) c.fail(`cannot infer the -1 of (${target.join(', ')}) for an input of ${total} elements`);
    out[infer] = total / known;
  }
  if (prod(out) !== total) c.fail(`cannot reshape (${s.join(', ')}) into (${out.join(', ')})`);
  return reshapeTo(c, x, out);
});

converter('Flatten', (c) => {
  const x = c.input(0);
  // MXNet's Flatten is ONNX's axis 1 and needs no static shape.
  if (c.int('axis', 1) === 1 && c.shapeIfKnown(x) === undefined) return c.op('Flatten', [x]);
  const s = c.shape(x);
  const r = s.length;
  let axis = c.int('axis', 1);
  if (axis < -r || axis > r) c.fail(`axis ${axis} is out of range for rank ${r}`);
  if (axis < 0) axis += r;
  return reshapeTo(c, x, [prod(s.slice(0, axis)), prod(s.slice(axis))]);
});

/** Squeeze/Unsqueeze axes: an attribute before opset 13, an optional input from 13. */
function axesOf(c: NodeContext): number[] | undefined {
  return c.opset < 13 ? c.ints('axes') : c.has(1) ? c.knownInts(1, 'axes') : undefined;
}

converter('Squeeze', (c) => {
  const x = c.input(0);
  const s = c.shape(x);
  const axes = axesOf(c);
  const drop = new Set(axes === undefined ? s.flatMap((d, i) => (d === 1 ? [i] : [])) : axes.map((a) => c.axis(a, s.length)));
  for (const a of drop) if (s[a] !== 1) c.fail(`cannot squeeze axis ${a} of size ${s[a]}`);
  return reshapeTo(c, x, s.filter((_, i) => !drop.has(i)));
});

converter('Unsqueeze', (c) => {
  const x = c.input(0);
  const s = c.shape(x);
  const axes = axesOf(c) ?? c.fail('axes are required');
  const r = s.length + axes.length;
  const ins = new Set(axes.map((a) => c.axis(a, r)));
  if (ins.size !== axes.length) c.fail('axes has duplicates');
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < r; i++) out.push(ins.has(i) ? 1 : s[j++]!);
  return reshapeTo(c, x, out);
});

converter('Transpose', (c) => {
  const x = c.input(0);
  const given = c.ints('perm');
  if (given !== undefined && c.shapeIfKnown(x) === undefined) return c.op('transpose', [x], { axes: given });
  const r = c.rank(x);
  const perm = given ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  if (perm.length !== r) c.fail(`perm has ${perm.length} entries for rank ${r}`);
  const s = c.shape(x);
  if (prod(s) === 0) return empty(c, perm.map((p) => s[p]!), c.dtype(x));
  return c.op('transpose', [x], { axes: perm.map((p) => c.axis(p, r, 'perm entry')) });
});

converter('Expand', (c) => {
  const x = c.input(0);
  const target = c.knownInts(1, 'shape');
  const s = c.shape(x);
  // Bidirectional broadcast: the longer shape wins the rank, dims of 1 stretch on either side.
  const r = Math.max(s.length, target.length);
  const a = [...new Array<number>(r - s.length).fill(1), ...s];
  const b = [...new Array<number>(r - target.length).fill(1), ...target];
  const out = a.map((d, i) => {
    const e = b[i]!;
    if (d !== e && d !== 1 && e !== 1) c.fail(`cannot broadcast (${s.join(', ')}) to (${target.join(', ')})`);
    return d === 1 ? e : d;
  });
  if (prod(out) === 0) return empty(c, out, c.dtype(x));
  const padded = sameShape(a, s) ? x : c.op('Reshape', [x], { shape: a });
  return sameShape(a, out) ? c.op('_copy', [padded]) : c.op('broadcast_to', [padded], { shape: out });
});

converter('Tile', (c) => {
  const x = c.input(0);
  const reps = c.knownInts(1, 'repeats');
  const s = c.shape(x);
  if (reps.length !== s.length) c.fail(`repeats has ${reps.length} entries for rank ${s.length}`);
  const out = s.map((d, i) => d * reps[i]!);
  if (prod(out) === 0) return empty(c, out, c.dtype(x));
  return c.op('tile', [x], { reps });
});

/* ---- joining and splitting ---- */

converter('Concat', (c) => {
  const xs = c.inputsFrom(0);
  if (xs.some((x) => c.shapeIfKnown(x) === undefined)) {
    // Shapes unknown until bind time (dynamic dims): Concat takes ONNX's axis as is.
    return c.op('Concat', xs, { dim: c.int('axis', 1), num_args: xs.length });
  }
  const shapes = xs.map((x) => c.shape(x));
  const r = shapes[0]!.length;
  const axis = c.axis(c.int('axis', 1), r);
  const out = shapes[0]!.slice();
  out[axis] = shapes.reduce((acc, s) => acc + s[axis]!, 0);
  if (prod(out) === 0) return empty(c, out, c.dtype(xs[0]!));
  const parts = xs.filter((_, i) => prod(shapes[i]!) > 0); // zero-length pieces add nothing
  return parts.length === 1 ? c.op('_copy', [parts[0]!]) : c.op('Concat', parts, { dim: axis, num_args: parts.length });
});

converter('Split', (c) => {
  const x = c.input(0);
  const s = c.shape(x);
  const axis = c.axis(c.int('axis', 0), s.length);
  const d = s[axis]!;
  const n = c.node.outputs.length;
  let sizes = c.opset < 13 ? c.ints('split') : c.has(1) ? c.knownInts(1, 'split') : undefined;
  if (sizes === undefined) {
    const num = c.int('num_outputs');
    if (num !== undefined) {
      // Opset 18: chunks of ceil(d / num), the last one smaller.
      const chunk = Math.ceil(d / num);
      sizes = Array.from({ length: num }, (_, i) => Math.max(0, Math.min(chunk, d - i * chunk)));
    } else {
      if (d % n !== 0) c.fail(`axis ${axis} of size ${d} does not split evenly into ${n} outputs`);
      sizes = new Array<number>(n).fill(d / n);
    }
  }
  if (sizes.reduce((a, b) => a + b, 0) !== d) c.fail(`split sizes (${sizes.join(', ')}) do not add up to ${d}`);
  const dtype = c.dtype(x);
  let begin = 0;
  return sizes.map((len) => {
    const shape = s.slice();
    shape[axis] = len;
    const part = prod(shape) === 0 ? empty(c, shape, dtype) : c.op('slice_axis', [x], { axis, begin, end: begin + len });
    begin += len;
    return part;
  });
});

/* ---- slicing ---- */

converter('Slice', (c) => {
  const x = c.input(0);
  const s = c.shape(x, 'data');
  const r = s.length;
  let starts: number[];
  let ends: number[];
  let axes: number[];
  let steps: number[];
  if (c.opset < 10) {
    starts = c.ints('starts', []);
    ends = c.ints('ends', []);
    axes = c.ints('axes') ?? starts.map((_, i) => i);
    steps = starts.map(() => 1);
  } else {
    starts = c.knownInts(1, 'starts');
    ends = c.knownInts(2, 'ends');
    axes = c.knownInts(3, 'axes', starts.map((_, i) => i));
    steps = c.knownInts(4, 'steps', starts.map(() => 1));
  }
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    c.fail('starts, ends, axes and steps must have the same length');
  }
  const begin: (number | null)[] = s.map(() => 0);
  const end: (number | null)[] = s.slice();
  const step = s.map(() => 1);
  const out = s.slice();
  axes.forEach((a0, k) => {
    const a = c.axis(a0, r);
    const d = s[a]!;
    const st = steps[k]!;
    if (st === 0) c.fail('steps must not be 0');
    // ONNX clamping (INT64 max/min sentinels included): [0, d] forwards, [-1, d-1] backwards.
    let b = starts[k]! < 0 ? starts[k]! + d : starts[k]!;
    let e = ends[k]! < 0 ? ends[k]! + d : ends[k]!;
    if (st > 0) {
      b = Math.min(Math.max(b, 0), d);
      e = Math.min(Math.max(e, 0), d);
      out[a] = Math.max(0, Math.ceil((e - b) / st));
    } else {
      b = Math.min(Math.max(b, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
      out[a] = Math.max(0, Math.ceil((b - e) / -st));
    }
    begin[a] = b;
    end[a] = e < 0 ? null : e; // -1 backwards means "through index 0", MXNet's None
    step[a] = st;
  });
  if (prod(out) === 0) return empty(c, out, c.dtype(x));
  if (r === 0) return c.op('_copy', [x]);
  return c.op('slice', [x], { begin: tuple(begin), end: tuple(end), step: tuple(step) });
});

/* ---- gathering ---- */

converter('Gather', (c) => {
  const x = c.input(0);
  const idx = c.input(1);
  const s = c.shapeIfKnown(x);
  const is = c.shapeIfKnown(idx);
  // 'wrap' makes negative indices count from the end, as ONNX wants.
  if (s === undefined || is === undefined) return c.op('take', [x, idx], { axis: c.int('axis', 0), mode: 'wrap' });
  const axis = c.axis(c.int('axis', 0), s.length);
  const out = [...s.slice(0, axis), ...is, ...s.slice(axis + 1)];
  if (prod(out) === 0) return empty(c, out, c.dtype(x));
  const r = c.op('take', [x, idx], { axis, mode: 'wrap' });
  // A 0-d index drops the axis; in a Symbol graph it is a (1) parameter (MXNet shapes have no 0-d), which
  // would keep it (PyTorch writes x[:, 0] this way): reshape to the ONNX shape.
  return is.length === 0 && out.length > 0 && !c.isKnown(r) ? c.op('Reshape', [r], { shape: out }) : r;
});

converter('GatherElements', (c) => {
  let x = c.input(0);
  const idx = c.input(1);
  const s = c.shape(x);
  const is = c.shape(idx, 'indices');
  const axis = c.axis(c.int('axis', 0), s.length);
  if (is.length !== s.length) c.fail('indices must have the rank of data');
  if (prod(is) === 0) return empty(c, is, c.dtype(x));
  // ONNX lets indices be shorter than data outside axis: take_along_axis needs them equal, so crop data.
  if (is.some((d, i) => i !== axis && d !== s[i])) {
    x = c.op('slice', [x], { begin: s.map(() => 0), end: s.map((d, i) => (i === axis ? d : is[i]!)) });
  }
  return c.op('_take_along_axis', [x, idx], { axis });
});

converter('GatherND', (c) => {
  const x = c.input(0);
  const idx = c.input(1);
  const s = c.shape(x);
  const is = c.shape(idx, 'indices');
  const b = c.int('batch_dims', 0);
  const m = is[is.length - 1]!;
  if (is.length < 1 || b + m > s.length) c.fail(`indices of shape (${is.join(', ')}) do not fit data of rank ${s.length}`);
  const lead = is.slice(0, -1);
  const out = [...lead, ...s.slice(b + m)];
  if (prod(out) === 0) return empty(c, out, c.dtype(x));
  let coords = indexTuplesFirst(c, idx);
  if (b > 0) {
    // Batch dims index themselves: prepend each batch coordinate to every index tuple.
    const grids = Array.from({ length: b }, (_, j) => c.op('Reshape', [coordinateGrid(c, lead, j)], { shape: [1, ...lead] }));
    coords = c.op('Concat', [...grids, coords], { dim: 0, num_args: b + 1 });
  }
  return c.op('gather_nd', [x, coords]);
});

converter('Compress', (c) => {
  let x = c.input(0);
  const cond = numbersOf(c.known(1, 'condition'));
  const a = c.int('axis');
  let s = c.shape(x);
  if (a === undefined) {
    x = reshapeTo(c, x, [prod(s)]);
    s = [prod(s)];
  }
  const axis = a === undefined ? 0 : c.axis(a, s.length);
  const keep: number[] = [];
  for (let i = 0; i < Math.min(cond.length, s[axis]!); i++) if (cond[i] !== 0) keep.push(i);
  const out = s.slice();
  out[axis] = keep.length;
  if (prod(out) === 0) return empty(c, out, c.dtype(x));
  return c.op('take', [x, c.constant(keep, [keep.length], 'int64')], { axis });
});

/* ---- scattering ---- */

type Reduce = (a: number | bigint, b: number | bigint) => number | bigint;
const REDUCE: Readonly<Record<string, Reduce | undefined>> = {
  none: (_a, b) => b,
  add: (a, b) => (typeof a === 'bigint' ? a + BigInt(b) : a + Number(b)),
  mul: (a, b) => (typeof a === 'bigint' ? a * BigInt(b) : a * Number(b)),
  max: (a, b) => (a >= b ? a : b),
  min: (a, b) => (a <= b ? a : b),
};

function reduction(c: NodeContext): string {
  const r = c.string('reduction', 'none');
  if (REDUCE[r] === undefined) c.fail(`reduction '${r}' is not one of none, add, mul, max, min`);
  return r;
}

/**
 * A reducing scatter on the host (known inputs): `targets(k)` is the flat data position update k goes to.
 */
function hostScatter(c: NodeContext, red: string, targets: (k: number) => number): Value {
  const data = c.known(0, 'data');
  const upd = valuesOf(c.known(2, 'updates'));
  const out = Array.from(valuesOf(data));
  const f = REDUCE[red]!;
  for (let k = 0; k < upd.length; k++) {
    const t = targets(k);
    out[t] = f(out[t]!, upd[k]!);
  }
  return c.constant(out, data.shape, data.dtype);
}

const REDUCE_OP: Readonly<Record<string, [string, string]>> = {
  add: ['sum', 'broadcast_add'], mul: ['prod', 'broadcast_mul'], max: ['max', 'broadcast_maximum'], min: ['min', 'broadcast_minimum'],
};

/**
 * A reducing scatter in the graph (no registered op does it): every update is spread over a
 * (K, slots, S) tensor by a one-hot of its flat slot, reduced over K and combined with the data.
 * Unhit entries hold the reduction's identity (data itself for max/min). `coords` are index tuples
 * first, (M, ...), already non-negative; memory grows as K * data size, so known inputs go to hostScatter.
 */
function graphScatter(c: NodeContext, red: string, coords: Value, updates: Value, s: readonly number[], m: number): Value {
  const data = c.input(0);
  const slots = prod(s.slice(0, m));
  const chunk = prod(s.slice(m));
  const flat = c.op('Reshape', [c.op('_ravel_multi_index', [coords], { shape: s.slice(0, m) })], { shape: [-1] });
  const k = prod(c.shape(flat, 'indices'));
  const full = [k, slots, chunk];
  const hit = c.op('broadcast_to', [c.op('Reshape', [c.op('one_hot', [flat], { depth: slots })], { shape: [k, slots, 1] })], { shape: full });
  const upd = c.op('broadcast_to', [c.op('Reshape', [updates], { shape: [k, 1, chunk] })], { shape: full });
  const rows = c.op('Reshape', [data], { shape: [slots, chunk] });
  const fill = red === 'add' ? c.op('zeros_like', [upd]) : red === 'mul' ? c.op('ones_like', [upd])
    : c.op('broadcast_to', [c.op('Reshape', [rows], { shape: [1, slots, chunk] })], { shape: full });
  const [reduceOp, combineOp] = REDUCE_OP[red]!;
  const reduced = c.op(reduceOp, [c.op('where', [hit, upd, fill])], { axis: 0 });
  return c.op('Reshape', [c.op(combineOp, [rows, reduced])], { shape: s });
}

/** Whether data, indices and updates are all known (then a reducing scatter runs on the host). */
function allKnown(c: NodeContext): boolean {
  return [0, 1, 2].every((i) => c.isKnown(c.input(i)));
}

converter('ScatterND', (c) => {
  const data = c.input(0);
  const s = c.shape(data, 'data');
  const is = c.shape(c.input(1), 'indices');
  const m = is[is.length - 1]!;
  const red = reduction(c);
  if (prod(is) === 0 || prod(s) === 0) return c.op('_copy', [data]);
  if (red === 'none') {
    return c.op('_scatter_set_nd', [data, c.input(2), indexTuplesFirst(c, c.input(1))], { shape: s });
  }
  if (!allKnown(c)) {
    // Negative entries count from the end of the dim they index.
    const tuples = indexTuplesFirst(c, c.input(1));
    const dims = c.constant(s.slice(0, m), [m, ...new Array<number>(is.length - 1).fill(1)], 'int64');
    const wrapped = c.op('broadcast_add', [tuples, c.op('broadcast_mul', [c.op('_lesser_scalar', [tuples], { scalar: 0 }), dims])]);
    return graphScatter(c, red, wrapped, c.input(2), s, m);
  }
  const idx = numbersOf(c.known(1, 'indices'));
  const st = stridesOf(s);
  const chunk = prod(s.slice(m));
  return hostScatter(c, red, (k) => {
    const t = Math.floor(k / chunk);
    let off = 0;
    for (let j = 0; j < m; j++) {
      const v = idx[t * m + j]!;
      off += (v < 0 ? v + s[j]! : v) * st[j]!;
    }
    return off + (k % chunk);
  });
});

function scatterElements(c: NodeContext): Value {
  const data = c.input(0);
  const idx = c.input(1);
  const s = c.shape(data, 'data');
  const is = c.shape(idx, 'indices');
  const axis = c.axis(c.int('axis', 0), s.length);
  const red = c.node.opType === 'Scatter' ? 'none' : reduction(c);
  if (prod(is) === 0) return c.op('_copy', [data]);
  if (red === 'none' || !allKnown(c)) {
    // Every update's full coordinate: its own position, with `axis` replaced by the (wrapped) index.
    const rows = is.map((_, d) => (d === axis ? wrapNegative(c, c.cast(idx, 'int64'), s[axis]!) : coordinateGrid(c, is, d)));
    const coords = c.op('stack', rows, { axis: 0, num_args: rows.length });
    if (red !== 'none') return graphScatter(c, red, coords, c.input(2), s, s.length);
    return c.op('_scatter_set_nd', [data, c.input(2), coords], { shape: s });
  }
  const iv = numbersOf(c.known(1, 'indices'));
  const st = stridesOf(s);
  const ist = stridesOf(is);
  return hostScatter(c, red, (k) => {
    let off = 0;
    for (let d = 0; d < is.length; d++) {
      let v = Math.floor(k / ist[d]!) % is[d]!;
      if (d === axis) v = iv[k]! < 0 ? iv[k]! + s[d]! : iv[k]!;
      off += v * st[d]!;
    }
    return off;
  });
}
converter(['ScatterElements', 'Scatter'], scatterElements);

/* ---- padding ---- */

converter('Pad', (c) => {
  let x = c.input(0);
  const s = c.shape(x);
  const r = s.length;
  const mode = c.string('mode', 'constant');
  let pads: number[];
  let value = 0;
  let axes = s.map((_, i) => i);
  if (c.opset < 11) {
    pads = c.ints(c.opset < 2 ? 'paddings' : 'pads', []);
    value = c.float('value', 0);
  } else {
    pads = c.knownInts(1, 'pads');
    if (c.has(2)) value = c.knownFloats(2, 'constant_value')[0] ?? 0;
    if (c.has(3)) axes = c.knownInts(3, 'axes').map((a) => c.axis(a, r));
  }
  const n = axes.length;
  if (pads.length !== 2 * n) c.fail(`pads has ${pads.length} entries for ${n} axes`);
  const before = s.map(() => 0);
  const after = s.map(() => 0);
  axes.forEach((a, k) => { before[a] = pads[k]!; after[a] = pads[k + n]!; });
  const out = s.map((d, i) => d + before[i]! + after[i]!);
  if (out.some((d) => d < 0)) c.fail(`pads (${pads.join(', ')}) crop more than the input (${s.join(', ')}) holds`);
  if (prod(out) === 0) return empty(c, out, c.dtype(x));
  // Negative pads crop: slice those first, then pad the positive parts.
  if (before.some((p) => p < 0) || after.some((p) => p < 0)) {
    x = c.op('slice', [x], { begin: before.map((p) => Math.max(0, -p)), end: s.map((d, i) => d - Math.max(0, -after[i]!)) });
  }
  const bp = before.map((p) => Math.max(0, p));
  const ap = after.map((p) => Math.max(0, p));
  if (bp.every((p) => p === 0) && ap.every((p) => p === 0)) return c.op('_copy', [x]);
  const inner = c.shape(x);
  if (mode === 'wrap') {
    // Wrap has no MXNet mode: take each padded axis's indices modulo its length.
    for (let a = 0; a < r; a++) {
      if (bp[a] === 0 && ap[a] === 0) continue;
      const d = inner[a]!;
      const idx = Array.from({ length: d + bp[a]! + ap[a]! }, (_, i) => (((i - bp[a]!) % d) + d) % d);
      x = c.op('take', [x, c.constant(idx, [idx.length], 'int64')], { axis: a });
    }
    return x;
  }
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') c.fail(`mode '${mode}' is not one of constant, reflect, edge, wrap`);
  const padWidth = bp.flatMap((p, i) => [p, ap[i]!]);
  return c.op('Pad', [x], { mode, pad_width: padWidth, constant_value: mode === 'constant' ? value : undefined });
});

converter('CenterCropPad', (c) => {
  let x = c.input(0);
  const s = c.shape(x);
  const target = c.knownInts(1, 'shape');
  const axes = (c.ints('axes') ?? s.map((_, i) => i)).map((a) => c.axis(a, s.length));
  if (target.length !== axes.length) c.fail(`shape has ${target.length} entries for ${axes.length} axes`);
  const begin = s.map(() => 0);
  const end = s.slice();
  const padWidth = s.flatMap(() => [0, 0]);
  axes.forEach((a, k) => {
    const d = s[a]!;
    const t = target[k]!;
    if (t < d) {
      begin[a] = Math.floor((d - t) / 2);
      end[a] = begin[a]! + t;
    } else if (t > d) {
      padWidth[2 * a] = Math.floor((t - d) / 2);
      padWidth[2 * a + 1] = t - d - padWidth[2 * a]!;
    }
  });
  if (begin.some((b, i) => b !== 0 || end[i] !== s[i])) x = c.op('slice', [x], { begin, end });
  if (padWidth.some((p) => p !== 0)) x = c.op('Pad', [x], { mode: 'constant', pad_width: padWidth, constant_value: 0 });
  return x === c.input(0) ? c.op('_copy', [x]) : x;
});

/* ---- one-hot, triangles, sequences ---- */

const ONE_HOT_DTYPES = new Set<DType>(['float32', 'float64', 'float16', 'bfloat16', 'uint8', 'int8', 'int32', 'int64']);

converter('OneHot', (c) => {
  const idx = c.input(0);
  const depth = Math.trunc(c.knownFloats(1, 'depth')[0] ?? c.fail('depth is empty'));
  const valuesArr = c.known(2, 'values');
  const [off, on] = numbersOf(valuesArr);
  if (on === undefined) c.fail('values must hold [off_value, on_value]');
  const r = c.rank(idx, 'indices');
  const axis = c.axis(c.int('axis', -1), r + 1);
  const dtype = valuesArr.dtype;
  // Negative indices count back from depth; other out-of-range ones give an off row (one_hot does that).
  const wrapped = wrapNegative(c, c.cast(idx, 'int64'), depth);
  let y = c.op('one_hot', [wrapped], { depth, on_value: on, off_value: off!, dtype: ONE_HOT_DTYPES.has(dtype) ? dtype : 'float64' });
  y = c.cast(y, dtype);
  if (axis === r) return y;
  const axes = [...Array.from({ length: axis }, (_, i) => i), r, ...Array.from({ length: r - axis }, (_, i) => axis + i)];
  return c.op('transpose', [y], { axes });
});

converter('Trilu', (c) => {
  const x = c.input(0);
  const s = c.shape(x);
  if (s.length < 2) c.fail(`input must have rank >= 2, got ${s.length}`);
  const k = c.has(1) ? c.knownInts(1, 'k')[0] ?? 0 : 0;
  const upper = c.int('upper', 1) !== 0;
  if (prod(s) === 0) return empty(c, s, c.dtype(x));
  const [n, m] = s.slice(-2) as [number, number];
  const mask = new Array<number>(prod(s));
  for (let i = 0; i < mask.length; i++) {
    const row = Math.floor(i / m) % n;
    const col = i % m;
    mask[i] = (upper ? col - row >= k : col - row <= k) ? 1 : 0;
  }
  return c.op('where', [c.constant(mask, s, 'float32'), x, c.op('zeros_like', [x])]);
});

converter('ReverseSequence', (c) => {
  const x = c.input(0);
  const s = c.shape(x);
  const timeAxis = c.axis(c.int('time_axis', 0), s.length, 'time_axis');
  const batchAxis = c.axis(c.int('batch_axis', 1), s.length, 'batch_axis');
  if (prod(s) === 0) return c.op('_copy', [x]);
  // Along time: index t reads len-1-t while t < len (the batch's length), else t itself.
  const tShape = s.map((d, i) => (i === timeAxis ? d : 1));
  const bShape = s.map((d, i) => (i === batchAxis ? d : 1));
  const t = coordinateGrid(c, tShape, timeAxis);
  const len = c.op('Reshape', [c.cast(c.input(1), 'int64')], { shape: bShape });
  const inside = c.op('broadcast_lesser', [t, len]);
  const delta = c.op('broadcast_sub', [c.op('_minus_scalar', [len], { scalar: 1 }), c.op('_mul_scalar', [t], { scalar: 2 })]);
  const idx = c.op('broadcast_add', [t, c.op('broadcast_mul', [inside, delta])]);
  return c.op('_take_along_axis', [x, c.op('broadcast_to', [idx], { shape: s })], { axis: timeAxis });
});

/* ---- depth/space rearrangement ---- */

function blockShuffle(c: NodeContext, toSpace: boolean): Value {
  const x = c.input(0);
  const s = c.shape(x);
  if (s.length !== 4) c.fail(`input must be 4-D (N, C, H, W), got rank ${s.length}`);
  const bs = c.int('blocksize') ?? c.fail('attribute blocksize is required');
  const crd = c.string('mode', 'DCR') === 'CRD';
  const [n, ch, h, w] = s as [number, number, number, number];
  let mid: number[];
  let perm: number[];
  let out: number[];
  if (toSpace) {
    if (ch % (bs * bs) !== 0) c.fail(`channels ${ch} are not a multiple of blocksize^2 = ${bs * bs}`);
    const cc = ch / (bs * bs);
    mid = crd ? [n, cc, bs, bs, h, w] : [n, bs, bs, cc, h, w];
    perm = crd ? [0, 1, 4, 2, 5, 3] : [0, 3, 4, 1, 5, 2];
    out = [n, cc, h * bs, w * bs];
  } else {
    if (h % bs !== 0 || w % bs !== 0) c.fail(`spatial dims ${h}x${w} are not multiples of blocksize ${bs}`);
    mid = [n, ch, h / bs, bs, w / bs, bs];
    perm = crd ? [0, 1, 3, 5, 2, 4] : [0, 3, 5, 1, 2, 4];
    out = [n, ch * bs * bs, h / bs, w / bs];
  }
  if (prod(s) === 0) return empty(c, out, c.dtype(x));
  return c.op('Reshape', [c.op('transpose', [c.op('Reshape', [x], { shape: mid })], { axes: perm })], { shape: out });
}
converter('DepthToSpace', (c) => blockShuffle(c, true));
converter('SpaceToDepth', (c) => blockShuffle(c, false));

/* ---- data-dependent shapes (host-computed from known inputs) ---- */

converter('NonZero', (c) => {
  const x = c.known(0, 'X');
  const s = x.shape.length === 0 ? [1] : x.shape;
  const v = valuesOf(x);
  const st = stridesOf(s);
  const hits: number[] = [];
  for (let i = 0; i < v.length; i++) if (Number(v[i]) !== 0) hits.push(i);
  const out = new Array<number>(s.length * hits.length);
  hits.forEach((flat, k) => {
    for (let d = 0; d < s.length; d++) out[d * hits.length + k] = Math.floor(flat / st[d]!) % s[d]!;
  });
  return c.constant(out, [s.length, hits.length], 'int64');
});

converter('Unique', (c) => {
  const x = c.known(0, 'X');
  const a = c.int('axis');
  const sorted = c.int('sorted', 1) !== 0;
  const s = a === undefined ? [prod(x.shape)] : x.shape;
  const axis = a === undefined ? 0 : c.axis(a, s.length);
  const v = valuesOf(x);
  // Each unit is one slice along axis, read as its tuple of values.
  const d = s[axis]!;
  const outer = prod(s.slice(0, axis));
  const inner = prod(s.slice(axis + 1));
  const unit = (u: number): (number | bigint)[] => {
    const t: (number | bigint)[] = [];
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) t.push(v[(o * d + u) * inner + i]!);
    return t;
  };
  const cmp = (p: (number | bigint)[], q: (number | bigint)[]): number => {
    for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) return p[i]! < q[i]! ? -1 : 1;
    return 0;
  };
  const firsts: number[] = [];
  const keys = new Map<string, number>();
  const inverse: number[] = [];
  for (let u = 0; u < d; u++) {
    const key = unit(u).join(',');
    let k = keys.get(key);
    if (k === undefined) {
      k = firsts.length;
      keys.set(key, k);
      firsts.push(u);
    }
    inverse.push(k);
  }
  const order = firsts.map((_, k) => k);
  if (sorted) order.sort((p, q) => cmp(unit(firsts[p]!), unit(firsts[q]!)));
  const rank = new Array<number>(order.length);
  order.forEach((k, i) => { rank[k] = i; });
  const counts = new Array<number>(order.length).fill(0);
  for (const k of inverse) counts[rank[k]!]!++;
  const idx = order.map((k) => firsts[k]!);
  const n = idx.length;
  const flat = a === undefined ? reshapeTo(c, x, s) : x;
  return [
    c.op('take', [flat, c.constant(idx, [n], 'int64')], { axis }),
    c.constant(idx, [n], 'int64'),
    c.constant(inverse.map((k) => rank[k]!), [d], 'int64'),
    c.constant(counts, [n], 'int64'),
  ];
});
