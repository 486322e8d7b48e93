// ONNX bit operators and quantisation: BitShift, Bitwise*, BitCast, (De)QuantizeLinear, QLinear*
// SPDX-License-Identifier: Apache-2.0
//
// No registered op works on bits, so the bit operators are built from exact integer arithmetic:
// integer ops wrap like C (uint64 is the widest ring, and casts keep the low bits), so AND is a sum
// of per-bit products, OR/XOR follow from a + b, and shifts multiply or floor-divide by 2^s.
import type { DType } from '../../base/dtype.js';
import { allocStorage } from '../../base/dtype.js';
import { converter, type NodeContext, type Value } from '../convert.js';
import { dtypeOfOnnx, hostFromNDArray, ndarrayFromHost } from '../tensor.js';
import './quantize.js';

const INT_BITS: Readonly<Partial<Record<DType, number>>> = {
  int8: 8, uint8: 8, int16: 16, uint16: 16, int32: 32, uint32: 32, int64: 64, uint64: 64,
};

/** Bit width of an integer input's dtype, or a clear error for other dtypes. */
function intBits(c: NodeContext, v: Value, what: string): { dt: DType; bits: number } {
  const dt = c.dtype(v, what);
  const bits = INT_BITS[dt];
  if (bits === undefined) c.fail(`${what} has dtype ${dt}; this operator takes integer tensors only`);
  return { dt, bits };
}

/** The two operands' dtype (ONNX requires them equal). */
function sameIntType(c: NodeContext): { dt: DType; bits: number } {
  const a = intBits(c, c.input(0), 'input 0');
  const b = c.dtype(c.input(1), 'input 1');
  if (b !== a.dt) c.fail(`operands have dtypes ${a.dt} and ${b}; ONNX requires them equal`);
  return a;
}

/** a AND b on the low `bits` bits, as uint64: sum over k of bit_k(a) * bit_k(b) * 2^k. */
function andU64(c: NodeContext, a: Value, b: Value, bits: number): Value {
  const pow = c.constant(Array.from({ length: bits }, (_, k) => 1n << BigInt(k)), [bits], 'uint64');
  // Each value gains a trailing axis of its bits: (x / 2^k) mod 2, exact in unsigned integer arithmetic.
  const bitsOf = (x: Value): Value => c.op('_mod_scalar', [
    c.op('broadcast_div', [c.op('expand_dims', [c.cast(x, 'uint64')], { axis: -1 }), pow]),
  ], { scalar: 2 });
  const both = c.op('broadcast_mul', [c.op('broadcast_mul', [bitsOf(a), bitsOf(b)]), pow]);
  return c.op('sum', [both], { axis: -1 });
}

converter('BitwiseAnd', (c) => {
  const { dt, bits } = sameIntType(c);
  return c.cast(andU64(c, c.input(0), c.input(1), bits), dt);
}, 18);

// a | b = a + b - (a & b) and a ^ b = a + b - 2 (a & b), modulo 2^64; the final cast keeps the low bits.
for (const [op, k] of [['BitwiseOr', 1], ['BitwiseXor', 2]] as const) {
  converter(op, (c) => {
    const { dt, bits } = sameIntType(c);
    const a = c.input(0);
    const b = c.input(1);
    let and = andU64(c, a, b, bits);
    if (k === 2) and = c.op('_mul_scalar', [and], { scalar: 2 });
    const sum = c.op('broadcast_add', [c.cast(a, 'uint64'), c.cast(b, 'uint64')]);
    return c.cast(c.op('broadcast_sub', [sum, and]), dt);
  }, 18);
}

converter('BitwiseNot', (c) => {
  // ~x = -1 - x in two's complement; int64 holds every input's low bits, and the cast back keeps them.
  const x = c.input(0);
  const { dt } = intBits(c, x, 'input 0');
  return c.cast(c.op('_rminus_scalar', [c.cast(x, 'int64')], { scalar: -1 }), dt);
}, 18);

converter('BitShift', (c) => {
  const dir = c.string('direction', '');
  if (dir !== 'LEFT' && dir !== 'RIGHT') c.fail(`direction must be LEFT or RIGHT, got '${dir}'`);
  const { dt, bits } = sameIntType(c);
  const signed = dt.startsWith('int');
  const x = c.input(0);
  const s = c.cast(c.input(1), 'int64'); // a uint64 shift of 2^63 or more reads as negative: out of range too
  // Shifts outside [0, bits) give 0 (or -1 for negative values shifted right), as onnx's reference does.
  const valid = c.op('broadcast_mul', [c.op('_greater_equal_scalar', [s], { scalar: 0 }),
                                       c.op('_lesser_scalar', [s], { scalar: bits })]);
  // 2^s as two factors of at most 2^32, each exact in float64 and in int64.
  const sc = c.op('_minimum_scalar', [c.op('_maximum_scalar', [s], { scalar: 0 })], { scalar: bits - 1 });
  const s1 = c.op('_minimum_scalar', [sc], { scalar: 32 });
  const s2 = c.op('broadcast_sub', [sc, s1]);
  const work: DType = dir === 'RIGHT' && signed ? 'int64' : 'uint64';
  const pow = (e: Value): Value => c.op('Cast', [c.op('_rpower_scalar', [c.cast(e, 'float64')], { scalar: 2 })], { dtype: work });
  const [p1, p2] = [pow(s1), pow(s2)];
  const xv = c.cast(x, work);
  const vw = c.cast(valid, work);
  let r: Value;
  if (dir === 'LEFT') {
    r = c.op('broadcast_mul', [c.op('broadcast_mul', [c.op('broadcast_mul', [xv, p1]), p2]), vw]);
  } else if (!signed) {
    r = c.op('broadcast_mul', [c.op('broadcast_div', [c.op('broadcast_div', [xv, p1]), p2]), vw]);
  } else {
    // Arithmetic shift = floor division; integer division truncates, so subtract the (floor) remainder first.
    const floorDiv = (v: Value, p: Value): Value => c.op('broadcast_div', [c.op('broadcast_sub', [v, c.op('broadcast_mod', [v, p])]), p]);
    const shifted = floorDiv(floorDiv(xv, p1), p2);
    const fill = c.op('negative', [c.op('_lesser_scalar', [xv], { scalar: 0 })]);
    const invalid = c.op('_rminus_scalar', [vw], { scalar: 1 });
    r = c.op('broadcast_add', [c.op('broadcast_mul', [shifted, vw]), c.op('broadcast_mul', [fill, invalid])]);
  }
  return c.cast(r, dt);
}, 11);

converter('BitCast', (c) => {
  const x = c.input(0);
  const to = dtypeOfOnnx(c.int('to') ?? c.fail('attribute to is required'), `${c.label}: attribute to`);
  const from = c.dtype(x, 'input');
  const size = (d: DType): number => allocStorage(d, 0).BYTES_PER_ELEMENT;
  if (size(from) !== size(to)) c.fail(`cannot reinterpret ${from} (${size(from) * 8} bits) as ${to} (${size(to) * 8} bits)`);
  if (c.isKnown(x)) {
    // Known values: reinterpret their bytes on the host.
    const h = hostFromNDArray(x, '');
    const out = allocStorage(to, h.storage.length);
    new Uint8Array(out.buffer).set(new Uint8Array(h.storage.buffer, h.storage.byteOffset, h.storage.byteLength));
    return ndarrayFromHost({ name: '', dtype: to, shape: x.shape, storage: out }, x.context);
  }
  // Between integer types (and bool) of one width the wrapping cast keeps the bits.
  const intLike = (d: DType): boolean => INT_BITS[d] !== undefined || d === 'bool';
  if (intLike(from) && intLike(to) && to !== 'bool') return c.cast(x, to);
  const f = FLOAT_BITS[from];
  const t = FLOAT_BITS[to];
  if (f !== undefined && INT_BITS[to] !== undefined) return c.cast(floatBits(c, x, f), to);
  if (t !== undefined && INT_BITS[from] !== undefined) return c.cast(bitsFloat(c, x, t), to);
  if (f !== undefined && t !== undefined) return c.cast(bitsFloat(c, floatBits(c, x, f), t), to);
  return c.fail(`reinterpreting ${from} as ${to} is not supported`);
}, 26);

/** IEEE layouts: total, exponent and mantissa bits and the exponent bias. */
interface FloatLayout { bits: number; ebits: number; mbits: number; bias: number }
const FLOAT_BITS: Readonly<Partial<Record<DType, FloatLayout>>> = {
  float16: { bits: 16, ebits: 5, mbits: 10, bias: 15 }, bfloat16: { bits: 16, ebits: 8, mbits: 7, bias: 127 },
  float32: { bits: 32, ebits: 8, mbits: 23, bias: 127 }, float64: { bits: 64, ebits: 11, mbits: 52, bias: 1023 },
};

/** Multiplies by 2^k in two exact steps (2^k alone may not be a normal double). */
function timesPow2(c: NodeContext, v: Value, k: number): Value {
  const h = Math.trunc(k / 2);
  return c.op('_mul_scalar', [c.op('_mul_scalar', [v], { scalar: 2 ** h })], { scalar: 2 ** (k - h) });
}

/**
 * The bit pattern of floats as int64 (low `bits` bits), from exact float64 arithmetic: exponent from
 * log2 (corrected by one either way), mantissa by scaling. NaN becomes the canonical quiet NaN.
 */
function floatBits(c: NodeContext, x: Value, l: FloatLayout): Value {
  const v = c.cast(x, 'float64');
  const one = c.op('ones_like', [v]);
  const sel = (cond: Value, a: Value, b: Value): Value => c.op('where', [cond, a, b]);
  const isZero = c.op('_equal_scalar', [v], { scalar: 0 });
  // The sign bit, -0 included (1 / -0 is -inf); NaN counts as positive.
  const neg = c.op('broadcast_add', [c.op('_lesser_scalar', [v], { scalar: 0 }),
                                     c.op('broadcast_mul', [isZero, c.op('_lesser_scalar', [c.op('_rdiv_scalar', [v], { scalar: 1 })], { scalar: 0 })])]);
  const nan = c.op('isnan', [v]);
  const a = c.op('abs', [v]);
  const inf = c.op('isinf', [a]);
  const special = c.op('_not_equal_scalar', [c.op('broadcast_add', [c.op('broadcast_add', [isZero, nan]), inf])], { scalar: 0 });
  const as = sel(special, one, a);
  let e = c.op('floor', [c.op('log2', [as])]);
  e = c.op('broadcast_sub', [e, c.op('broadcast_greater', [c.op('_rpower_scalar', [e], { scalar: 2 }), as])]);
  e = c.op('broadcast_add', [e, c.op('broadcast_lesser_equal', [c.op('_rpower_scalar', [c.op('_plus_scalar', [e], { scalar: 1 })], { scalar: 2 }), as])]);
  const normM = timesPow2(c, c.op('_minus_scalar', [c.op('broadcast_div', [as, c.op('_rpower_scalar', [e], { scalar: 2 })])], { scalar: 1 }), l.mbits);
  const sub = c.op('_lesser_scalar', [as], { scalar: 2 ** (1 - l.bias) });
  const zeros = c.op('zeros_like', [v]);
  const emax = (2 ** l.ebits) - 1;
  let E = sel(sub, zeros, c.op('_plus_scalar', [e], { scalar: l.bias }));
  let M = sel(sub, timesPow2(c, as, l.bias - 1 + l.mbits), normM);
  E = sel(isZero, zeros, sel(c.op('broadcast_add', [nan, inf]), c.op('_plus_scalar', [zeros], { scalar: emax }), E));
  M = sel(c.op('broadcast_add', [isZero, inf]), zeros, sel(nan, c.op('_plus_scalar', [zeros], { scalar: 2 ** (l.mbits - 1) }), M));
  // Assembled in int64: E * 2^mbits + M + sign, where the sign bit wraps to int64's minimum for 64-bit floats.
  const body = c.op('broadcast_add', [c.op('_mul_scalar', [c.cast(E, 'int64')], { scalar: 2 ** l.mbits }), c.cast(M, 'int64')]);
  const sign = c.op('_mul_scalar', [c.cast(neg, 'int64')], { scalar: l.bits === 64 ? -(2 ** 63) : 2 ** (l.bits - 1) });
  return c.op('broadcast_add', [body, sign]);
}

/** Floats (as float64) with the bit patterns of integers' low `bits` bits. */
function bitsFloat(c: NodeContext, x: Value, l: FloatLayout): Value {
  let u = c.cast(x, 'uint64');
  if (l.bits < 64) u = c.op('_mod_scalar', [u], { scalar: 2 ** l.bits });
  const f = (v: Value): Value => c.cast(v, 'float64');
  const sign = f(c.op('_div_scalar', [u], { scalar: 2 ** (l.bits - 1) }));
  const E = f(c.op('_mod_scalar', [c.op('_div_scalar', [u], { scalar: 2 ** l.mbits })], { scalar: 2 ** l.ebits }));
  const M = f(c.op('_mod_scalar', [u], { scalar: 2 ** l.mbits }));
  // Normal: (1 + M / 2^mbits) * 2^(E - bias), which overflows to inf for the top exponent; subnormal: M * 2^(1 - bias - mbits).
  const normal = c.op('broadcast_mul', [c.op('_plus_scalar', [timesPow2(c, M, -l.mbits)], { scalar: 1 }),
                                        c.op('_rpower_scalar', [c.op('_minus_scalar', [E], { scalar: l.bias })], { scalar: 2 })]);
  let v = c.op('where', [c.op('_equal_scalar', [E], { scalar: 0 }), timesPow2(c, M, 1 - l.bias - l.mbits), normal]);
  const isNan = c.op('broadcast_mul', [c.op('_equal_scalar', [E], { scalar: 2 ** l.ebits - 1 }), c.op('_not_equal_scalar', [M], { scalar: 0 })]);
  v = c.op('where', [isNan, c.op('_div_scalar', [c.op('zeros_like', [v])], { scalar: 0 }), v]); // 0 / 0: NaN
  return c.op('broadcast_mul', [v, c.op('_rminus_scalar', [c.op('_mul_scalar', [sign], { scalar: 2 })], { scalar: 1 })]);
}
