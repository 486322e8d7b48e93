// HostTensor: a dense array in plain JS memory (values + shape + dtype), what data workers pass around.
// SPDX-License-Identifier: Apache-2.0
//
// Workers never load a backend: images, rows and batches travel between threads as HostTensors, plain
// objects (so structured clone keeps them) whose `data` holds element values as `dataSync()` returns
// them (float16/bfloat16 widened to Float32Array, bool as Uint8Array, int64 as BigInt64Array).
import { isTypedArray, type DataArray, type DType, type TypedArray } from '../../../base/dtype.js';
import { IsotensorError } from '../../../base/error.js';

/** A dense row-major array on the host. */
export interface HostTensor {
  readonly $host: 1;
  readonly data: DataArray;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

type ValueCtor =
  | Float32ArrayConstructor | Float64ArrayConstructor | Uint8ArrayConstructor | Int8ArrayConstructor
  | Int16ArrayConstructor | Uint16ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor
  | BigInt64ArrayConstructor | BigUint64ArrayConstructor;

const VALUES: Readonly<Record<DType, ValueCtor>> = {
  float32: Float32Array, float64: Float64Array, float16: Float32Array, bfloat16: Float32Array,
  uint8: Uint8Array, int8: Int8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array,
  uint32: Uint32Array, bool: Uint8Array, int64: BigInt64Array, uint64: BigUint64Array,
};

/** Whether a value is a HostTensor. */
export function isHostTensor(v: unknown): v is HostTensor {
  return typeof v === 'object' && v !== null && (v as { $host?: unknown }).$host === 1;
}

/** A zeroed value array for `n` elements of a dtype (in shared memory when asked and available). */
export function valueArray(dtype: DType, n: number, shared = false): DataArray {
  const C = VALUES[dtype];
  if (shared && typeof SharedArrayBuffer === 'function') {
    return new C(new SharedArrayBuffer(n * C.BYTES_PER_ELEMENT) as unknown as ArrayBuffer) as DataArray;
  }
  return new C(n) as DataArray;
}

/** Wraps values (not copied). */
export function hostTensor(data: DataArray, shape: readonly number[], dtype: DType): HostTensor {
  const n = shapeSize(shape);
  if (data.length !== n) {
    throw new IsotensorError(`HostTensor: shape (${shape.join(', ')}) holds ${n} elements but the data has ${data.length}`);
  }
  return { $host: 1, data, shape: [...shape], dtype };
}

/** Product of a shape. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row i of a tensor along axis 0, sharing memory (a subarray). */
export function hostRow(t: HostTensor, i: number): HostTensor {
  const rowShape = t.shape.slice(1);
  const n = shapeSize(rowShape);
  return { $host: 1, data: t.data.subarray(i * n, (i + 1) * n) as DataArray, shape: rowShape, dtype: t.dtype };
}

/** Whether two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** `(2, 3)`-style text of a shape, as error messages print it. */
export function shapeText(s: readonly number[]): string {
  return `(${s.join(', ')})`;
}

/** Whether a value is a TypedArray (not a DataView). */
export function isTyped(v: unknown): v is TypedArray {
  return isTypedArray(v);
}
