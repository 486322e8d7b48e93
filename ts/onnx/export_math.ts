// ONNX exports of MXNet's element-wise math without one ONNX op (log10, cbrt, round, mod, ...), NaN-aware reductions, moments, softmin and the regression heads
// SPDX-License-Identifier: Apache-2.0
import type { DType } from '../base/dtype.js';
import { IsotensorError } from '../base/error.js';
import { axesOf, predicate, reshapeTo, scalarOf, step, type Exporter, type NodeExport } from './export_graph.js';
import { onnxTypeOf } from './tensor.js';

/** x times a constant of x's dtype (log10 = ln x / ln 10, degrees, ...). */
const scaled = (opType: string, factor: number, then?: string): NodeExport => (e, n, ins, out, _a, _s, cx) => {
  const dt = cx.typeOf(ins[0]!);
  const x = opType === '' ? ins[0]! : step(e, out, opType, [ins[0]!], opType.toLowerCase());
  if (then === undefined) e.node('Mul', [x, scalarOf(e, `${out}_k`, factor, dt)], [out], [], n.name);
  else e.node(then, [x, scalarOf(e, `${out}_k`, factor, dt)], [out], [], n.name);
};

/** trunc(x) = sign(x) floor(|x|) (-0 for small negatives, as C's trunc). */
function truncOf(e: Exporter, out: string, x: string): string {
  return step(e, out, 'Mul', [step(e, out, 'Sign', [x], 'sign'), step(e, out, 'Floor', [step(e, out, 'Abs', [x], 'abs')], 'floor')], 'trunc');
}

/**
 * MXNet's mod: the remainder takes the divisor's sign (Python's %), and x mod 0 is 0. ONNX's Mod gives C's
 * fmod for floats and Python's for integers, and may trap on an integer 0: the divisor 0 is replaced by 1
 * before the Mod and its result by 0 after.
 */
function modOf(e: Exporter, n: { name: string }, out: string, a: string, b: string, dt: DType): void {
  const float = dt.startsWith('float') || dt === 'bfloat16';
  const zero = scalarOf(e, `${out}_zero`, 0, dt);
  const isZero = step(e, out, 'Equal', [b, zero], 'b0');
  const safeB = step(e, out, 'Where', [isZero, scalarOf(e, `${out}_one`, 1, dt), b], 'b');
  let r = step(e, out, 'Mod', [a, safeB], 'fmod', [{ name: 'fmod', i: float ? 1 : 0 }]);
  if (float) {
    // r + b where r is non-zero and its sign differs from b's.
    const rNeg = step(e, out, 'Less', [r, zero], 'rneg');
    const bNeg = step(e, out, 'Less', [safeB, zero], 'bneg');
    const fix = step(e, out, 'And', [step(e, out, 'Not', [step(e, out, 'Equal', [r, zero], 'r0')], 'rnz'),
      step(e, out, 'Xor', [rNeg, bNeg], 'signs')], 'fix');
    r = step(e, out, 'Where', [fix, step(e, out, 'Add', [r, safeB], 'rb'), r], 'py');
  }
  e.node('Where', [isZero, zero, r], [out], [], n.name);
}

/** nansum / nanprod: NaNs replaced by the reduction's neutral value, then reduced over MXNet's axis/keepdims. */
const nanReduce = (opType: 'ReduceSum' | 'ReduceProd', neutral: number): NodeExport => (e, n, ins, out, a, shapeOf, cx) => {
  if (a('exclude') === true) throw new IsotensorError(`onnx.exportModel: ${n.op} with exclude=True is not supported`);
  const dt = cx.typeOf(ins[0]!);
  const rank = shapeOf(ins[0]!).length;
  const clean = step(e, out, 'Where', [step(e, out, 'IsNaN', [ins[0]!], 'nan'), scalarOf(e, `${out}_neutral`, neutral, dt), ins[0]!], 'clean');
  const keep = a('keepdims') === true;
  const axes = axesOf(a('axis'), rank);
  // Opset 17: ReduceSum reads its axes from an input, the other reductions from an attribute.
  const r = opType === 'ReduceSum'
    ? step(e, out, opType, [clean, e.constant(`${out}_axes`, axes, 'int64')], 'r', [{ name: 'keepdims', i: keep ? 1 : 0 }])
    : step(e, out, opType, [clean], 'r', [{ name: 'axes', ints: axes }, { name: 'keepdims', i: keep ? 1 : 0 }]);
  reshapeTo(e, r, out, shapeOf(out), n.name);
};

/** isnan / isinf / isfinite: ONNX's bool test cast to MXNet's output dtype (that of the input). */
const floatTest = (test: 'nan' | 'inf' | 'finite'): NodeExport => (e, n, ins, out, _a, _s, cx) => {
  const x = ins[0]!;
  let p: string;
  if (test === 'nan') p = step(e, out, 'IsNaN', [x], 'p');
  else if (test === 'inf') p = step(e, out, 'IsInf', [x], 'p');
  else p = step(e, out, 'Not', [step(e, out, 'Or', [step(e, out, 'IsNaN', [x], 'nan'), step(e, out, 'IsInf', [x], 'inf')], 'bad')], 'p');
  e.node('Cast', [p], [out], [{ name: 'to', i: onnxTypeOf(cx.typeOf(out)) }], n.name);
};

/** A head whose inference output is its data (the label only shapes the gradient). */
const identityHead: NodeExport = (e, n, ins, out) => e.node('Identity', [ins[0]!], [out], [], n.name);

/**
 * atan2(y, x): atan(y / x), moved by pi into the left half-plane; x = 0 gives +-pi/2 by y's sign and
 * atan2(0, 0) = 0.
 */
function atan2Of(e: Exporter, n: { name: string }, out: string, y: string, x: string, dt: DType): void {
  const zero = scalarOf(e, `${out}_zero`, 0, dt);
  const base = step(e, out, 'Atan', [step(e, out, 'Div', [y, x], 'ratio')], 'atan');
  const pi = scalarOf(e, `${out}_pi`, Math.PI, dt);
  const left = step(e, out, 'Where', [step(e, out, 'GreaterOrEqual', [y, zero], 'yup'),
    step(e, out, 'Add', [base, pi], 'plus'), step(e, out, 'Sub', [base, pi], 'minus')], 'left');
  const moved = step(e, out, 'Where', [step(e, out, 'Less', [x, zero], 'xneg'), left, base], 'moved');
  const both0 = step(e, out, 'And', [step(e, out, 'Equal', [x, zero], 'x0'), step(e, out, 'Equal', [y, zero], 'y0')], 'both0');
  e.node('Where', [both0, zero, moved], [out], [], n.name);
}

type TwoOperands = (e: Exporter, n: { name: string }, out: string, a: string, b: string, dt: DType) => void;

/** The tensor form of a two-operand export and its scalar forms, x op s and s op x (MXNet's _r*_scalar). */
function withScalars(f: TwoOperands): { tensor: NodeExport; scalar: NodeExport; rscalar: NodeExport } {
  const s = (e: Exporter, out: string, a: (k: string) => unknown, dt: DType): string => scalarOf(e, `${out}_s`, Number(a('scalar')), dt);
  return {
    tensor: (e, n, ins, out, _a, _s, cx) => f(e, n, out, ins[0]!, ins[1]!, cx.typeOf(ins[0]!)),
    scalar: (e, n, ins, out, a, _s, cx) => f(e, n, out, ins[0]!, s(e, out, a, cx.typeOf(ins[0]!)), cx.typeOf(ins[0]!)),
    rscalar: (e, n, ins, out, a, _s, cx) => f(e, n, out, s(e, out, a, cx.typeOf(ins[0]!)), ins[0]!, cx.typeOf(ins[0]!)),
  };
}

const atan2 = withScalars(atan2Of);
const mod = withScalars(modOf);

export const MATH_EXPORTS: Readonly<Record<string, NodeExport>> = {
  arctan2: atan2.tensor, _arctan2_scalar: atan2.scalar, _rarctan2_scalar: atan2.rscalar,
  _cast_like: (e, n, ins, out, _a, _s, cx) => e.node('Cast', [ins[0]!], [out], [{ name: 'to', i: onnxTypeOf(cx.typeOf(ins[1]!)) }], n.name),
  arcsinh: (e, n, ins, out) => e.node('Asinh', [ins[0]!], [out], [], n.name),
  arccosh: (e, n, ins, out) => e.node('Acosh', [ins[0]!], [out], [], n.name),
  arctanh: (e, n, ins, out) => e.node('Atanh', [ins[0]!], [out], [], n.name),
  log10: scaled('Log', 1 / Math.LN10),
  log2: scaled('Log', 1 / Math.LN2),
  // log(1 + x) and exp(x) - 1: ONNX has no log1p/expm1, so tiny x lose their relative precision.
  log1p: (e, n, ins, out, _a, _s, cx) =>
    e.node('Log', [step(e, out, 'Add', [ins[0]!, scalarOf(e, `${out}_one`, 1, cx.typeOf(ins[0]!))], 'x1')], [out], [], n.name),
  expm1: scaled('Exp', 1, 'Sub'),
  degrees: scaled('', 180 / Math.PI),
  radians: scaled('', Math.PI / 180),
  cbrt: (e, n, ins, out, _a, _s, cx) => {
    const x = ins[0]!;
    const root = step(e, out, 'Pow', [step(e, out, 'Abs', [x], 'abs'), scalarOf(e, `${out}_third`, 1 / 3, cx.typeOf(x))], 'root');
    e.node('Mul', [step(e, out, 'Sign', [x], 'sign'), root], [out], [], n.name);
  },
  rcbrt: (e, n, ins, out, _a, _s, cx) => {
    const x = ins[0]!;
    const root = step(e, out, 'Pow', [step(e, out, 'Abs', [x], 'abs'), scalarOf(e, `${out}_third`, 1 / 3, cx.typeOf(x))], 'root');
    e.node('Reciprocal', [step(e, out, 'Mul', [step(e, out, 'Sign', [x], 'sign'), root], 'cbrt')], [out], [], n.name);
  },
  isnan: floatTest('nan'), isinf: floatTest('inf'), isfinite: floatTest('finite'),
  // MXNet's rint takes floor(x) on a tie (-2.5 -> -3, 2.5 -> 2), not ONNX Round's even neighbour.
  rint: (e, n, ins, out) => {
    const x = ins[0]!;
    const f = step(e, out, 'Floor', [x], 'floor'), c = step(e, out, 'Ceil', [x], 'ceil');
    const down = step(e, out, 'LessOrEqual', [step(e, out, 'Sub', [x, f], 'below'), step(e, out, 'Sub', [c, x], 'above')], 'down');
    e.node('Where', [down, f, c], [out], [], n.name);
  },
  // round and fix/trunc work from trunc(x), exactly.

  trunc: (e, n, ins, out) => e.node('Identity', [truncOf(e, out, ins[0]!)], [out], [], n.name),
  fix: (e, n, ins, out) => e.node('Identity', [truncOf(e, out, ins[0]!)], [out], [], n.name),
  round: (e, n, ins, out, _a, _s, cx) => {
    // Half away from zero: trunc(x) + sign(x) where |x - trunc(x)| >= 0.5 (x - trunc(x) is exact).
    const x = ins[0]!;
    const t = truncOf(e, out, x);
    const frac = step(e, out, 'Abs', [step(e, out, 'Sub', [x, t], 'diff')], 'frac');
    const up = step(e, out, 'GreaterOrEqual', [frac, scalarOf(e, `${out}_half`, 0.5, cx.typeOf(x))], 'up');
    e.node('Where', [up, step(e, out, 'Add', [t, step(e, out, 'Sign', [x], 'sgn')], 'away'), t], [out], [], n.name);
  },
  broadcast_mod: mod.tensor, _mod_scalar: mod.scalar, _rmod_scalar: mod.rscalar,
  broadcast_hypot: (e, n, ins, out) => {
    const sq = (x: string, k: string): string => step(e, out, 'Mul', [x, x], k);
    e.node('Sqrt', [step(e, out, 'Add', [sq(ins[0]!, 'a2'), sq(ins[1]!, 'b2')], 'sum')], [out], [], n.name);
  },
  _hypot_scalar: (e, n, ins, out, a, _s, cx) => {
    const s = Number(a('scalar'));
    const x2 = step(e, out, 'Mul', [ins[0]!, ins[0]!], 'a2');
    e.node('Sqrt', [step(e, out, 'Add', [x2, scalarOf(e, `${out}_s2`, s * s, cx.typeOf(ins[0]!))], 'sum')], [out], [], n.name);
  },
  // logical ops on any dtype: inputs tested against 0, the result cast back.
  _logical_and_scalar: (e, n, ins, out, a, shapeOf, cx) =>
    predicate('And', false, true)(e, n, [ins[0]!, scalarOf(e, `${out}_s`, Number(a('scalar')), cx.typeOf(ins[0]!))], out, a, shapeOf, cx),
  _logical_or_scalar: (e, n, ins, out, a, shapeOf, cx) =>
    predicate('Or', false, true)(e, n, [ins[0]!, scalarOf(e, `${out}_s`, Number(a('scalar')), cx.typeOf(ins[0]!))], out, a, shapeOf, cx),
  _logical_xor_scalar: (e, n, ins, out, a, shapeOf, cx) =>
    predicate('Xor', false, true)(e, n, [ins[0]!, scalarOf(e, `${out}_s`, Number(a('scalar')), cx.typeOf(ins[0]!))], out, a, shapeOf, cx),
  nansum: nanReduce('ReduceSum', 0),
  nanprod: nanReduce('ReduceProd', 1),
  moments: (e, n, ins, out, a, shapeOf, cx) => {
    const rank = shapeOf(ins[0]!).length;
    const axes = axesOf(a('axes'), rank);
    const keep = a('keepdims') === true ? 1 : 0;
    const mean = step(e, out, 'ReduceMean', [ins[0]!], 'mean_keep', [{ name: 'axes', ints: axes }, { name: 'keepdims', i: 1 }]);
    const d = step(e, out, 'Sub', [ins[0]!, mean], 'centred');
    const v = step(e, out, 'ReduceMean', [step(e, out, 'Mul', [d, d], 'sq')], 'var_keep', [{ name: 'axes', ints: axes }, { name: 'keepdims', i: keep }]);
    const m = keep ? mean : step(e, out, 'ReduceMean', [ins[0]!], 'mean', [{ name: 'axes', ints: axes }, { name: 'keepdims', i: 0 }]);
    reshapeTo(e, m, out, shapeOf(out), n.name);
    reshapeTo(e, v, cx.outName(1), shapeOf(cx.outName(1)));
  },
  softmin: (e, n, ins, out, a, _s, cx) => {
    if (a('use_length') === true) throw new IsotensorError('onnx.exportModel: softmin with use_length=True has no ONNX form');
    const t = a('temperature');
    const scale = -1 / (typeof t === 'number' ? t : 1);
    const z = step(e, out, 'Mul', [ins[0]!, scalarOf(e, `${out}_k`, scale, cx.typeOf(ins[0]!))], 'z');
    e.node('Softmax', [z], [out], [{ name: 'axis', i: Number(a('axis') ?? -1) }], n.name);
  },
  smooth_l1: (e, n, ins, out, a, _s, cx) => {
    // 0.5 (sigma x)^2 where |x| < 1 / sigma^2, else |x| - 0.5 / sigma^2.
    const x = ins[0]!, dt = cx.typeOf(x);
    const s2 = Number(a('scalar') ?? 1) ** 2;
    const ax = step(e, out, 'Abs', [x], 'abs');
    const quad = step(e, out, 'Mul', [step(e, out, 'Mul', [x, x], 'x2'), scalarOf(e, `${out}_q`, 0.5 * s2, dt)], 'quad');
    const lin = step(e, out, 'Sub', [ax, scalarOf(e, `${out}_l`, 0.5 / s2, dt)], 'lin');
    e.node('Where', [step(e, out, 'Less', [ax, scalarOf(e, `${out}_t`, 1 / s2, dt)], 'small'), quad, lin], [out], [], n.name);
  },
  LinearRegressionOutput: identityHead,
  MAERegressionOutput: identityHead,
  LogisticRegressionOutput: (e, n, ins, out) => e.node('Sigmoid', [ins[0]!], [out], [], n.name),
  MakeLoss: identityHead,
  make_loss: identityHead,
};
