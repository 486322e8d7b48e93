// ONNX's narrow element types (float8, float4, int4, int2): held widened in a carrier dtype, tagged.
// SPDX-License-Identifier: Apache-2.0
//
// NDArrays have no 8-, 4- or 2-bit formats, but every value of these types is exact in a wider one:
// float32 for the floats, int8/uint8 for the integers. A narrow tensor is therefore an NDArray of
// that carrier dtype whose values lie on the narrow type's grid, tagged with its ONNX element type
// (tensor.ts's `elementType(x)`), so a session knows what Cast/QuantizeLinear produced and files are written back
// in the narrow encoding. Rounding onto the grid is the core op round_to_format (ml_dtypes' rules).
import type { DType } from '../base/dtype.js';
import { IsotensorError } from '../base/error.js';
import { ONNX_TYPE } from './onnx_proto.js';

/** One narrow ONNX element type. */
export interface NarrowType {
  /** The ONNX element type number (TensorProto.DataType). */
  code: number;
  /** Its name, as round_to_format's `format` takes it ('float8e4m3fn', 'int4', ...). */
  name: string;
  /** The dtype its values are held in. */
  carrier: DType;
  /** Bits per element in a file (8, 4 or 2: 4- and 2-bit values are packed, low bits first). */
  bits: 8 | 4 | 2;
  /** The value of each code. */
  values: Float64Array;
}

// The value of an IEEE-like code with `e` exponent bits, `m` mantissa bits and bias `bias`. `fnuz`:
// code 0x80 is NaN and there is no -0 or infinity; `fn`: the all-ones code is NaN and there is no
// infinity; otherwise (float8e5m2) the top exponent is infinity/NaN. float4e2m1 has neither.
function floatCode(code: number, e: number, m: number, bias: number, style: 'ieee' | 'fn' | 'fnuz' | 'none'): number {
  const signBit = 1 << (e + m);
  const sign = code & signBit ? -1 : 1;
  const exp = (code >> m) & ((1 << e) - 1);
  const man = code & ((1 << m) - 1);
  if (style === 'fnuz' && code === signBit) return NaN;
  if (style === 'fn' && (code & (signBit - 1)) === signBit - 1) return NaN;
  if (style === 'ieee' && exp === (1 << e) - 1) return man === 0 ? sign * Infinity : NaN;
  if (exp === 0) return sign * man * 2 ** (1 - bias - m);
  return sign * (1 + man / (1 << m)) * 2 ** (exp - bias);
}

function table(n: number, f: (code: number) => number): Float64Array {
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = f(i);
  return t;
}

function integers(bits: number, signed: boolean): Float64Array {
  return table(1 << bits, (c) => (signed && c >= 1 << (bits - 1) ? c - (1 << bits) : c));
}

const TYPES: NarrowType[] = [
  { code: ONNX_TYPE.FLOAT8E4M3FN, name: 'float8e4m3fn', carrier: 'float32', bits: 8, values: table(256, (c) => floatCode(c, 4, 3, 7, 'fn')) },
  { code: ONNX_TYPE.FLOAT8E4M3FNUZ, name: 'float8e4m3fnuz', carrier: 'float32', bits: 8, values: table(256, (c) => floatCode(c, 4, 3, 8, 'fnuz')) },
  { code: ONNX_TYPE.FLOAT8E5M2, name: 'float8e5m2', carrier: 'float32', bits: 8, values: table(256, (c) => floatCode(c, 5, 2, 15, 'ieee')) },
  { code: ONNX_TYPE.FLOAT8E5M2FNUZ, name: 'float8e5m2fnuz', carrier: 'float32', bits: 8, values: table(256, (c) => floatCode(c, 5, 2, 16, 'fnuz')) },
  { code: ONNX_TYPE.FLOAT8E8M0, name: 'float8e8m0', carrier: 'float32', bits: 8, values: table(256, (c) => (c === 255 ? NaN : 2 ** (c - 127))) },
  { code: ONNX_TYPE.FLOAT4E2M1, name: 'float4e2m1', carrier: 'float32', bits: 4, values: table(16, (c) => floatCode(c, 2, 1, 1, 'none')) },
  { code: ONNX_TYPE.INT4, name: 'int4', carrier: 'int8', bits: 4, values: integers(4, true) },
  { code: ONNX_TYPE.UINT4, name: 'uint4', carrier: 'uint8', bits: 4, values: integers(4, false) },
  { code: ONNX_TYPE.INT2, name: 'int2', carrier: 'int8', bits: 2, values: integers(2, true) },
  { code: ONNX_TYPE.UINT2, name: 'uint2', carrier: 'uint8', bits: 2, values: integers(2, false) },
];
const BY_CODE = new Map(TYPES.map((t) => [t.code, t]));
const BY_NAME = new Map(TYPES.map((t) => [t.name, t]));

/** The narrow type of an ONNX element type number (or name), or undefined for the others. */
export function narrowType(code: number | string): NarrowType | undefined {
  return typeof code === 'number' ? BY_CODE.get(code) : BY_NAME.get(code);
}

// NDArrays (and graph Symbols) holding narrow values, with their type.
const tags = new WeakMap<object, NarrowType>();

/** Marks a carrier array (or graph value) as holding values of narrow type t; returns it. */
export function tagNarrow<V extends object>(v: V, t: NarrowType): V {
  tags.set(v, t);
  return v;
}

/** The narrow type a value was tagged with, if any. */
export function narrowOf(v: object): NarrowType | undefined {
  return tags.get(v);
}

/** Codes (one per element, in `bytes` packed `t.bits` to a byte, low bits first) as carrier values. */
export function decodeNarrow(t: NarrowType, bytes: Uint8Array, n: number, what: string): Float64Array {
  const perByte = 8 / t.bits;
  if (bytes.length < Math.ceil(n / perByte)) {
    throw new IsotensorError(`${what}: ${bytes.length} bytes hold ${bytes.length * perByte} ${t.name} values, ` +
                             `the shape needs ${n}`);
  }
  const out = new Float64Array(n);
  const mask = (1 << t.bits) - 1;
  for (let i = 0; i < n; i++) {
    const code = (bytes[Math.floor(i / perByte)]! >> ((i % perByte) * t.bits)) & mask;
    out[i] = t.values[code]!;
  }
  return out;
}

/** Carrier values (on t's grid) as packed codes; a value off the grid is an error. */
export function encodeNarrow(t: NarrowType, values: ArrayLike<number>, what: string): Uint8Array {
  // Map keys treat -0 as 0: -0 gets its own key, and falls back to 0 in types without it.
  const key = (v: number): number | string => (Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'nan' : v);
  const codeOf = new Map<number | string, number>();
  t.values.forEach((v, c) => { if (!codeOf.has(key(v))) codeOf.set(key(v), c); });
  const perByte = 8 / t.bits;
  const out = new Uint8Array(Math.ceil(values.length / perByte));
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const code = codeOf.get(key(v)) ?? (Object.is(v, -0) ? codeOf.get(0) : undefined);
    if (code === undefined) throw new IsotensorError(`${what}: ${v} is not a ${t.name} value`);
    out[Math.floor(i / perByte)]! |= code << ((i % perByte) * t.bits);
  }
  return out;
}
