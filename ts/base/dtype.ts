// dtypes: names, MXNet type flags, element sizes, and the TypedArrays that hold them in JS.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from './error.js';

/** Element types, named as in MXNet/NumPy. `float32` is the default. */
export type DType =
  | 'float32' | 'float64' | 'float16' | 'uint8' | 'int32' | 'int8' | 'int64' | 'bool'
  | 'int16' | 'uint16' | 'uint32' | 'uint64' | 'bfloat16';

/** The TypedArray that `dataSync()` returns for a dtype (float16/bfloat16 widen to Float32Array). */
export type DataArray =
  | Float32Array | Float64Array | Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array
  | Uint32Array | BigInt64Array | BigUint64Array;

/** The TypedArray `dataSync()` returns, by dtype. */
export interface DataArrayMap {
  float32: Float32Array; float64: Float64Array; float16: Float32Array; bfloat16: Float32Array;
  uint8: Uint8Array; int8: Int8Array; int16: Int16Array; uint16: Uint16Array; int32: Int32Array;
  uint32: Uint32Array; bool: Uint8Array; int64: BigInt64Array; uint64: BigUint64Array;
}

/** dtypes read as numbers (all but int64/uint64): what `dataSync()` is typed for by default. */
export type NumberDType = Exclude<DType, 'int64' | 'uint64'>;

/** The DataArrays of numeric (non-bigint) dtypes. */
export type NumberArray = DataArrayMap[NumberDType];

/** TypedArrays accepted as input data. */
export type TypedArray = DataArray | Uint8ClampedArray;

/** MXNet type flags (the numbers the binary formats and the C ABI use). */
export const DTYPE_FLAGS: Readonly<Record<DType, number>> = {
  float32: 0, float64: 1, float16: 2, uint8: 3, int32: 4, int8: 5, int64: 6, bool: 7,
  int16: 8, uint16: 9, uint32: 10, uint64: 11, bfloat16: 12,
};

const NAMES_BY_FLAG: DType[] = [];
for (const [name, flag] of Object.entries(DTYPE_FLAGS)) NAMES_BY_FLAG[flag] = name as DType;

// NumPy-style spellings users bring from Python.
const ALIASES: Readonly<Record<string, DType>> = {
  float: 'float32', double: 'float64', half: 'float16', int: 'int32', long: 'int64',
  bool_: 'bool', boolean: 'bool', f4: 'float32', f8: 'float64', f2: 'float16',
  i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64', u1: 'uint8', u2: 'uint16', u4: 'uint32',
  u8: 'uint64', bf16: 'bfloat16',
};

const BYTES: Readonly<Record<DType, number>> = {
  float32: 4, float64: 8, float16: 2, uint8: 1, int32: 4, int8: 1, int64: 8, bool: 1,
  int16: 2, uint16: 2, uint32: 4, uint64: 8, bfloat16: 2,
};

/**
 * Checks and normalises a dtype name; `op` (the function asking) is named in the error.
 * @example normalizeDType('float') // 'float32'
 */
export function normalizeDType(d: DType | string, op?: string): DType {
  if (Object.prototype.hasOwnProperty.call(DTYPE_FLAGS, d)) return d as DType;
  const alias = ALIASES[d];
  if (alias !== undefined) return alias;
  const where = op === undefined ? '' : `${op}: argument 'dtype': `;
  throw new IsotensorError(`${where}unknown dtype '${String(d)}' (expected one of ${Object.keys(DTYPE_FLAGS).join(', ')})`);
}

/** MXNet type flag of a dtype. @example dtypeFlag('int32') // 4 */
export function dtypeFlag(d: DType | string): number {
  return DTYPE_FLAGS[normalizeDType(d)];
}

/** dtype name of an MXNet type flag. @example dtypeName(0) // 'float32' */
export function dtypeName(flag: number): DType {
  const n = NAMES_BY_FLAG[flag];
  if (n === undefined) throw new IsotensorError(`unknown dtype flag ${flag}`);
  return n;
}

/** Bytes per element. @example bytesPerElement('float16') // 2 */
export function bytesPerElement(d: DType): number {
  return BYTES[d];
}

/** Whether a dtype is a floating-point type. */
export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
}

/** Whether elements of a dtype are read as bigint (int64/uint64). */
export function isBigInt(d: DType): boolean {
  return d === 'int64' || d === 'uint64';
}

type StorageCtor =
  | Float32ArrayConstructor | Float64ArrayConstructor | Uint8ArrayConstructor | Int8ArrayConstructor
  | Int16ArrayConstructor | Uint16ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor
  | BigInt64ArrayConstructor | BigUint64ArrayConstructor;

const STORAGE: Readonly<Record<DType, StorageCtor>> = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array, uint8: Uint8Array,
  int32: Int32Array, int8: Int8Array, int64: BigInt64Array, bool: Uint8Array, int16: Int16Array,
  uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array, bfloat16: Uint16Array,
};

/** A zeroed TypedArray holding `n` elements in the array's memory layout (float16 as raw bits). */
export function allocStorage(d: DType, n: number): DataArray {
  return new STORAGE[d](n);
}

/** The dtype NDArrays get from a TypedArray source. @example dtypeOfTypedArray(new Int32Array(2)) // 'int32' */
export function dtypeOfTypedArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array || a instanceof Uint8ClampedArray) return 'uint8';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Uint32Array) return 'uint32';
  return 'uint64';
}

/** Whether a value is one of the TypedArrays above (DataView excluded). */
export function isTypedArray(v: unknown): v is TypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

// ---- float16 / bfloat16 <-> float32 (round to nearest even, as the core does) ----
const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE half bits of a number. @example floatToHalfBits(1) // 0x3c00 */
export function floatToHalfBits(v: number): number {
  f32Scratch[0] = v;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) !== 0)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++; // a carry rounds up into inf: correct
  return sign | h;
}

let halfTable: Float32Array | null = null;
function halfLookup(): Float32Array {
  if (halfTable !== null) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = (h & 0x8000) !== 0 ? -1 : 1;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m !== 0 ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  halfTable = t;
  return t;
}

/** Number value of IEEE half bits. @example halfBitsToFloat(0x3c00) // 1 */
export function halfBitsToFloat(h: number): number {
  return halfLookup()[h & 0xffff]!;
}

/** bfloat16 bits of a number. @example floatToBFloat16Bits(1) // 0x3f80 */
export function floatToBFloat16Bits(v: number): number {
  f32Scratch[0] = v;
  const x = u32Scratch[0]!;
  if (Number.isNaN(v)) return ((x >>> 16) & 0x8000) | 0x7fc0;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Number value of bfloat16 bits. @example bfloat16BitsToFloat(0x3f80) // 1 */
export function bfloat16BitsToFloat(h: number): number {
  u32Scratch[0] = (h & 0xffff) << 16;
  return f32Scratch[0]!;
}

/** Widens raw float16/bfloat16 bits to a Float32Array; other dtypes pass through. */
export function storageToData(d: DType, raw: DataArray): DataArray {
  if (d === 'float16') {
    const t = halfLookup();
    const bits = raw as Uint16Array;
    const out = new Float32Array(bits.length);
    for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]!]!;
    return out;
  }
  if (d === 'bfloat16') {
    const bits = raw as Uint16Array;
    const out = new Float32Array(bits.length);
    const outBits = new Uint32Array(out.buffer);
    for (let i = 0; i < bits.length; i++) outBits[i] = bits[i]! << 16;
    return out;
  }
  return raw;
}

/** Converts one JS value to what the dtype's storage array holds (number or bigint). */
function toElement(d: DType, v: unknown): number | bigint {
  if (isBigInt(d)) {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'boolean') return v ? 1n : 0n;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new IsotensorError(`cannot store ${String(v)} in an ${d} array`);
    return BigInt(Math.trunc(n));
  }
  const n = typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
  if (d === 'float16') return floatToHalfBits(n);
  if (d === 'bfloat16') return floatToBFloat16Bits(n);
  if (d === 'bool') return n !== 0 && !Number.isNaN(n) ? 1 : 0;
  return n;
}

/**
 * Fills a storage array of dtype `d` from any array-like of numbers, booleans or bigints
 * (TypedArrays of another dtype included: values are converted like a cast).
 */
export function toStorage(d: DType, values: ArrayLike<unknown>): DataArray {
  const n = values.length;
  const out = allocStorage(d, n);
  if (!isBigInt(d) && d !== 'float16' && d !== 'bfloat16' && d !== 'bool' && !(values instanceof BigInt64Array) &&
      !(values instanceof BigUint64Array) && isTypedArray(values)) {
    (out as Float64Array).set(values as unknown as ArrayLike<number>); // numeric TypedArray: native conversion
    return out;
  }
  if (isBigInt(d)) {
    const o = out as BigInt64Array;
    for (let i = 0; i < n; i++) o[i] = toElement(d, values[i]) as bigint;
  } else {
    const o = out as Float64Array;
    for (let i = 0; i < n; i++) o[i] = toElement(d, values[i]) as number;
  }
  return out;
}

/** Storage value of a single scalar (used to fill). */
export function scalarToStorage(d: DType, v: number | bigint | boolean): DataArray {
  return toStorage(d, [v]);
}
