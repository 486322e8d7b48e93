// ONNX element-wise operators: unary math, broadcasting binaries, comparisons, logic, activations.
// SPDX-License-Identifier: Apache-2.0
import type { DType } from '../../base/dtype.js';
import { converter, type NodeContext, type Value } from '../convert.js';

const UNARY: Readonly<Record<string, string>> = {
  Abs: 'abs', Neg: 'negative', Exp: 'exp', Log: 'log', Sqrt: 'sqrt', Relu: 'relu', Sigmoid: 'sigmoid',
  Tanh: 'tanh', Floor: 'floor', Ceil: 'ceil', Reciprocal: 'reciprocal', Sin: 'sin', Cos: 'cos', Tan: 'tan',
  Asin: 'arcsin', Acos: 'arccos', Atan: 'arctan', Sinh: 'sinh', Cosh: 'cosh', Asinh: 'arcsinh',
  Acosh: 'arccosh', Atanh: 'arctanh', Erf: 'erf', Sign: 'sign', Softsign: 'softsign',
};
for (const [onnx, mx] of Object.entries(UNARY)) converter(onnx, (c) => c.op(mx, [c.input(0)]));

converter('Identity', (c) => c.input(0));

/** x rounded half to even, as ONNX's Round (MXNet's round and rint round halves otherwise). */
export function roundHalfEven(c: NodeContext, x: Value): Value {
  // floor(x) + (frac > 1/2) + (frac == 1/2) * odd(floor(x))
  const dt = c.dtype(x);
  const f = c.op('floor', [x]);
  const frac = c.op('broadcast_sub', [x, f]);
  const up = c.cast(c.op('_greater_scalar', [frac], { scalar: 0.5 }), dt);
  const half = c.cast(c.op('_equal_scalar', [frac], { scalar: 0.5 }), dt);
  const odd = c.op('_mod_scalar', [f], { scalar: 2 });
  return c.op('broadcast_add', [c.op('broadcast_add', [f, up]), c.op('broadcast_mul', [half, odd])]);
}
converter('Round', (c) => roundHalfEven(c, c.input(0)));
converter('Softplus', (c) => c.op('Activation', [c.input(0)], { act_type: 'softrelu' }));
converter('IsNaN', (c) => c.op('Cast', [c.op('isnan', [c.input(0)])], { dtype: 'bool' }));
converter('IsInf', (c) => {
  const x = c.input(0);
  const pos = c.int('detect_positive', 1) !== 0;
  const neg = c.int('detect_negative', 1) !== 0;
  let r: Value;
  if (pos && neg) r = c.op('isinf', [x]);
  else if (!pos && !neg) r = c.op('zeros_like', [x]);
  else r = c.op(pos ? '_equal_scalar' : '_equal_scalar', [x], { scalar: pos ? 'inf' : '-inf' });
  return c.op('Cast', [r], { dtype: 'bool' });
});
converter('Not', (c) => c.op('Cast', [c.op('logical_not', [c.input(0)])], { dtype: 'bool' }));

/** Casts b to a's dtype when they differ (Pow's exponent, say). */
function sameType(c: NodeContext, a: Value, b: Value): Value {
  const da = c.dtype(a, 'input 0');
  return c.dtype(b, 'input 1') === da ? b : c.op('Cast', [b], { dtype: da });
}

const BINARY: Readonly<Record<string, string>> = {
  Add: 'broadcast_add', Sub: 'broadcast_sub', Mul: 'broadcast_mul', Div: 'broadcast_div',
};
for (const [onnx, mx] of Object.entries(BINARY)) {
  converter(onnx, (c) => c.op(mx, [c.input(0), c.input(1)]));
}
converter('Pow', (c) => c.op('broadcast_power', [c.input(0), sameType(c, c.input(0), c.input(1))]));
converter('Mod', (c) => {
  const a = c.input(0);
  const b = c.input(1);
  if (c.int('fmod', 0) !== 0) {
    // C fmod: the result has the dividend's sign, a - trunc(a / b) * b.
    const q = c.op('fix', [c.op('broadcast_div', [a, b])]);
    return c.op('broadcast_sub', [a, c.op('broadcast_mul', [q, b])]);
  }
  const r = c.op('broadcast_mod', [a, b]);
  if (!c.dtype(a).startsWith('float') && c.dtype(a) !== 'bfloat16') return r;
  // NumPy's float x mod 0 is NaN (MXNet's is 0): add 0 * (1 / (b != 0)), which is 0, or 0 * inf = NaN.
  const nanWhereZero = c.op('_mul_scalar', [c.op('reciprocal', [c.op('_not_equal_scalar', [b], { scalar: 0 })])], { scalar: 0 });
  return c.op('broadcast_add', [r, nanWhereZero]);
});

// Equal (which also compares strings) is in strings.ts.
const COMPARE: Readonly<Record<string, string>> = {
  Greater: 'broadcast_greater', GreaterOrEqual: 'broadcast_greater_equal',
  Less: 'broadcast_lesser', LessOrEqual: 'broadcast_lesser_equal',
  And: 'broadcast_logical_and', Or: 'broadcast_logical_or', Xor: 'broadcast_logical_xor',
};
for (const [onnx, mx] of Object.entries(COMPARE)) {
  converter(onnx, (c) => c.op('Cast', [c.op(mx, [c.input(0), c.input(1)])], { dtype: 'bool' }));
}

/** Folds a variadic op over its inputs pairwise with a broadcasting binary op. */
function fold(c: NodeContext, mx: string): Value {
  const xs = c.inputsFrom(0);
  let acc = xs[0]!;
  for (let i = 1; i < xs.length; i++) acc = c.op(mx, [acc, xs[i]!]);
  return xs.length === 1 ? c.op('_copy', [acc]) : acc;
}
converter('Sum', (c) => fold(c, 'broadcast_add'));
converter('Max', (c) => fold(c, 'broadcast_maximum'));
converter('Min', (c) => fold(c, 'broadcast_minimum'));
converter('Mean', (c) => {
  const n = c.inputsFrom(0).length;
  return c.op('_div_scalar', [fold(c, 'broadcast_add')], { scalar: n });
});

converter('Clip', (c) => {
  let x = c.input(0);
  // Opset < 11: min/max are attributes; later they are optional (scalar) inputs.
  const lo = c.opset < 11 ? c.float('min') : c.has(1) ? c.input(1) : undefined;
  const hi = c.opset < 11 ? c.float('max') : c.has(2) ? c.input(2) : undefined;
  for (const [bound, mx, scalarOp] of [[lo, 'broadcast_maximum', '_maximum_scalar'],
                                       [hi, 'broadcast_minimum', '_minimum_scalar']] as const) {
    if (bound === undefined) continue;
    if (typeof bound === 'number') x = c.op(scalarOp, [x], { scalar: bound });
    else if (c.isKnown(bound)) x = c.op(scalarOp, [x], { scalar: c.knownFloats(mx === 'broadcast_maximum' ? 1 : 2, 'bound')[0]! });
    else x = c.op(mx, [x, bound]);
  }
  return x === c.input(0) ? c.op('_copy', [x]) : x;
});

converter('Where', (c) => {
  const cond = c.input(0);
  const x = c.input(1);
  const y = c.input(2);
  const shape = broadcastShape([c.shape(cond, 'condition'), c.shape(x, 'X'), c.shape(y, 'Y')]);
  return c.op('where', [broadcastTo(c, c.cast(cond, 'float32'), shape), broadcastTo(c, x, shape), broadcastTo(c, y, shape)]);
});

/** v broadcast to `shape` (NumPy rules: missing leading dims are 1). */
export function broadcastTo(c: NodeContext, v: Value, shape: readonly number[]): Value {
  const s = c.shape(v);
  if (s.length === shape.length && s.every((d, i) => d === shape[i])) return v;
  const padded = [...new Array<number>(shape.length - s.length).fill(1), ...s];
  const r = padded.length === s.length ? v : c.op('Reshape', [v], { shape: padded });
  return c.op('broadcast_to', [r], { shape });
}

/** NumPy's broadcast of several shapes. */
export function broadcastShape(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = rank - s.length + i;
      const d = s[i]!;
      if (d !== 1) out[j] = d;
    }
  }
  return out;
}

/* ---- activations with parameters ---- */

converter('LeakyRelu', (c) => c.op('LeakyReLU', [c.input(0)], { act_type: 'leaky', slope: c.float('alpha', 0.01) }));
converter('Elu', (c) => c.op('LeakyReLU', [c.input(0)], { act_type: 'elu', slope: c.float('alpha', 1) }));
converter('Selu', (c) => {
  const alpha = c.float('alpha', 1.67326319217681884765625);
  const gamma = c.float('gamma', 1.05070102214813232421875);
  return c.op('_mul_scalar', [c.op('LeakyReLU', [c.input(0)], { act_type: 'elu', slope: alpha })], { scalar: gamma });
});
converter('Celu', (c) => {
  // celu(x) = alpha * elu(x / alpha) with elu's slope 1.
  const alpha = c.float('alpha', 1);
  const scaled = c.op('_div_scalar', [c.input(0)], { scalar: alpha });
  return c.op('_mul_scalar', [c.op('LeakyReLU', [scaled], { act_type: 'elu', slope: 1 })], { scalar: alpha });
});
converter('PRelu', (c) => {
  // max(0, x) + slope * min(0, x), with the slope broadcast to x.
  const x = c.input(0);
  let slope = c.input(1);
  // Before opset 7 a 1-D slope of C values was per channel (axis 1), which NumPy rules would not
  // broadcast against the last axis; PyTorch's exports of PReLU(num_parameters=C) rely on it.
  const xs = c.shapeIfKnown(x) ?? [];
  const ss = c.shapeIfKnown(slope) ?? [];
  if (ss.length === 1 && xs.length > 2 && ss[0] === xs[1] && ss[0] !== xs[xs.length - 1] && ss[0] !== 1) {
    slope = c.op('Reshape', [slope], { shape: [ss[0]!, ...new Array<number>(xs.length - 2).fill(1)] });
  }
  const neg = c.op('_minimum_scalar', [x], { scalar: 0 });
  return c.op('broadcast_add', [c.op('relu', [x]), c.op('broadcast_mul', [neg, slope])]);
});
converter('ThresholdedRelu', (c) => {
  const x = c.input(0);
  return c.op('broadcast_mul', [x, c.op('_greater_scalar', [x], { scalar: c.float('alpha', 1) })]);
});
converter('HardSigmoid', (c) => c.op('hard_sigmoid', [c.input(0)], { alpha: c.float('alpha', 0.2), beta: c.float('beta', 0.5) }));
converter('HardSwish', (c) => {
  const x = c.input(0);
  return c.op('broadcast_mul', [x, c.op('hard_sigmoid', [x], { alpha: 1 / 6, beta: 0.5 })]);
});
converter('Gelu', (c) => {
  const x = c.input(0);
  if (c.string('approximate', 'none') === 'tanh') {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    const cube = c.op('_mul_scalar', [c.op('_power_scalar', [x], { scalar: 3 })], { scalar: 0.044715 });
    const inner = c.op('_mul_scalar', [c.op('broadcast_add', [x, cube])], { scalar: Math.sqrt(2 / Math.PI) });
    const t = c.op('_plus_scalar', [c.op('tanh', [inner])], { scalar: 1 });
    return c.op('_mul_scalar', [c.op('broadcast_mul', [x, t])], { scalar: 0.5 });
  }
  const e = c.op('_plus_scalar', [c.op('erf', [c.op('_mul_scalar', [x], { scalar: Math.SQRT1_2 })])], { scalar: 1 });
  return c.op('_mul_scalar', [c.op('broadcast_mul', [x, e])], { scalar: 0.5 });
});
converter('Mish', (c) => {
  const x = c.input(0);
  return c.op('broadcast_mul', [x, c.op('tanh', [c.op('Activation', [x], { act_type: 'softrelu' })])]);
});
converter('Swish', (c) => {
  const x = c.input(0);
  const alpha = c.float('alpha', 1);
  return c.op('broadcast_mul', [x, c.op('sigmoid', [c.op('_mul_scalar', [x], { scalar: alpha })])]);
});
converter('Shrink', (c) => {
  // x - bias where x > lambd, x + bias where x < -lambd, else 0.
  const x = c.input(0);
  const lambd = c.float('lambd', 0.5);
  const bias = c.float('bias', 0);
  const dt: DType = c.dtype(x);
  const up = c.op('broadcast_mul', [c.op('_minus_scalar', [x], { scalar: bias }), c.cast(c.op('_greater_scalar', [x], { scalar: lambd }), dt)]);
  const down = c.op('broadcast_mul', [c.op('_plus_scalar', [x], { scalar: bias }), c.cast(c.op('_lesser_scalar', [x], { scalar: -lambd }), dt)]);
  return c.op('broadcast_add', [up, down]);
});
