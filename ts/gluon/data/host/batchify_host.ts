// Default batchify on host values: MXNet's default_batchify_fn rules for samples without NDArrays.
// SPDX-License-Identifier: Apache-2.0
//
// A sample that is a JS array is a tuple (MXNet's tuple: batched element-wise); inside a tuple, an
// array of numbers (nested to any depth, rectangular) is data, as NumPy's asarray would take it.
// JS numbers carry no dtype: a column's dtype comes from where its numbers were read (a typed
// array, a 1-D NDArray; the `hint`), else integers batch as int32 and other numbers as float32
// (MXNet: NumPy's int64/float64).
import { dtypeOfTypedArray, isBigInt, type DataArray, type DType } from '../../../base/dtype.js';
import { IsotensorError } from '../../../base/error.js';
import { hostTensor, isHostTensor, isTyped, sameShape, shapeText, valueArray, type HostTensor } from './host_tensor.js';

/** The dtype of number items at each tuple position, where known (null: unknown). */
export type BatchHint = DType | null | BatchHint[];

/** A batch built on the host: one tensor per leaf of the sample structure. */
export type HostBatch = HostTensor | HostBatch[];

const INT32_MIN = -2147483648, INT32_MAX = 2147483647;

function isScalar(v: unknown): v is number | boolean | bigint {
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint';
}

function isNumericNested(v: unknown): boolean {
  if (isScalar(v)) return true;
  if (isTyped(v)) return true;
  return Array.isArray(v) && v.every(isNumericNested);
}

/** Whether an array sample (or element) is a tuple to batch element-wise rather than numeric data. */
export function isTuple(v: unknown[], top: boolean): boolean {
  return top || !v.every(isNumericNested);
}

/** The hint of tuple position j. */
export function hintAt(hint: BatchHint | undefined, j: number): BatchHint {
  return Array.isArray(hint) ? hint[j] ?? null : null;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (isHostTensor(v)) return 'array';
  if (isTyped(v)) return v.constructor.name;
  if (Array.isArray(v)) return 'JS array';
  const t = typeof v;
  return t === 'object' ? (v as object).constructor?.name ?? 'object' : t;
}

/** dtype NumPy-like inference would pick for a list of JS values, or the hint. */
export function numberDType(values: ArrayLike<unknown>, hint: BatchHint | undefined): DType {
  if (typeof hint === 'string') return hint;
  let allBool = values.length > 0, allInt = true, fitsInt32 = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'bigint') return 'int64';
    if (typeof v !== 'boolean') allBool = false;
    const n = Number(v);
    if (!Number.isInteger(n)) allInt = false;
    else if (n < INT32_MIN || n > INT32_MAX) fitsInt32 = false;
  }
  if (allBool) return 'bool';
  if (allInt) return fitsInt32 ? 'int32' : 'int64';
  return 'float32';
}

function nestedShape(v: unknown): number[] {
  const s: number[] = [];
  let cur: unknown = v;
  while (Array.isArray(cur) || isTyped(cur)) {
    s.push((cur as ArrayLike<unknown>).length);
    if ((cur as ArrayLike<unknown>).length === 0) break;
    cur = (cur as ArrayLike<unknown>)[0];
  }
  return s;
}

function pushFlat(v: unknown, out: unknown[], shape: readonly number[], depth: number, where: string): void {
  if (depth === shape.length) {
    if (!isScalar(v)) throw new IsotensorError(`${where}: ragged data (a ${kindOf(v)} where a number was expected)`);
    out.push(v);
    return;
  }
  const a = v as ArrayLike<unknown>;
  if (!(Array.isArray(v) || isTyped(v)) || a.length !== shape[depth]) {
    throw new IsotensorError(`${where}: ragged data (expected length ${shape[depth]} at depth ${depth})`);
  }
  for (let i = 0; i < a.length; i++) pushFlat(a[i], out, shape, depth + 1, where);
}

function fillValues(dtype: DType, values: ArrayLike<unknown>): DataArray {
  const out = valueArray(dtype, values.length);
  if (isBigInt(dtype)) {
    const o = out as BigInt64Array;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      o[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
    }
  } else {
    const o = out as Float32Array;
    for (let i = 0; i < values.length; i++) o[i] = Number(values[i]);
  }
  return out;
}

/** Stacks samples that are not tuples and not NDArrays: numbers, typed arrays, nested number arrays, HostTensors. */
export function stackLeaf(samples: readonly unknown[], hint: BatchHint | undefined, where: string): HostTensor {
  const f = samples[0];
  const n = samples.length;
  if (isHostTensor(f)) {
    const per = f.data.length;
    const out = valueArray(f.dtype, n * per);
    samples.forEach((s, i) => {
      if (!isHostTensor(s)) throw new IsotensorError(`${where}: item ${i} is a ${kindOf(s)} but item 0 is an array`);
      if (!sameShape(s.shape, f.shape) || s.dtype !== f.dtype) {
        throw new IsotensorError(`${where}: cannot stack item ${i} of shape ${shapeText(s.shape)} ${s.dtype} with ` +
                                 `item 0 of shape ${shapeText(f.shape)} ${f.dtype}`);
      }
      out.set(s.data as never, i * per);
    });
    return hostTensor(out, [n, ...f.shape], f.dtype);
  }
  if (isScalar(f)) {
    samples.forEach((s, i) => {
      if (!isScalar(s)) throw new IsotensorError(`${where}: item ${i} is a ${kindOf(s)} but item 0 is a number`);
    });
    const dtype = numberDType(samples, hint);
    return hostTensor(fillValues(dtype, samples), [n], dtype);
  }
  if (isTyped(f)) {
    const dtype = dtypeOfTypedArray(f);
    const per = f.length;
    const values: unknown[] = [];
    samples.forEach((s, i) => {
      if (!isTyped(s) || s.length !== per) {
        throw new IsotensorError(`${where}: item ${i} is a ${kindOf(s)}${isTyped(s) ? ` of length ${s.length}` : ''} ` +
                                 `but item 0 is a ${kindOf(f)} of length ${per}`);
      }
      for (let k = 0; k < per; k++) values.push(s[k]);
    });
    return hostTensor(fillValues(dtype, values), [n, per], dtype);
  }
  if (Array.isArray(f) && isNumericNested(f)) {
    const shape = nestedShape(f);
    const values: unknown[] = [];
    samples.forEach((s, i) => pushFlat(s, values, shape, 0, `${where}: item ${i}`));
    const dtype = numberDType(values, hint);
    return hostTensor(fillValues(dtype, values), [n, ...shape], dtype);
  }
  throw new IsotensorError(`${where}: the default batchify cannot stack items of type ${kindOf(f)}; ` +
                           'pass your own `batchify` to the DataLoader');
}

/** MXNet's default_batchify_fn on host samples (HostTensors where the calling thread has NDArrays). */
export function batchifyHost(samples: readonly unknown[], hint: BatchHint | undefined, top = true,
                             where = 'DataLoader batchify'): HostBatch {
  const f = samples[0];
  if (Array.isArray(f) && isTuple(f, top)) {
    const len = f.length;
    samples.forEach((s, i) => {
      if (!Array.isArray(s) || s.length !== len) {
        throw new IsotensorError(`${where}: item ${i} is ${Array.isArray(s) ? `a tuple of ${s.length}` : `a ${kindOf(s)}`} ` +
                                 `but item 0 is a tuple of ${len}`);
      }
    });
    const out: HostBatch[] = [];
    for (let j = 0; j < len; j++) {
      out.push(batchifyHost(samples.map((s) => (s as unknown[])[j]), hintAt(hint, j), false, where));
    }
    return out;
  }
  return stackLeaf(samples, hint, where);
}

/** Every transferable buffer of a host batch (for postMessage's transfer list). */
export function batchBuffers(b: HostBatch, into: ArrayBuffer[] = []): ArrayBuffer[] {
  if (Array.isArray(b)) {
    for (const x of b) batchBuffers(x, into);
  } else if (b.data.buffer instanceof ArrayBuffer && !into.includes(b.data.buffer)) {
    into.push(b.data.buffer);
  }
  return into;
}
