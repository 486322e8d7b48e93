// Turning datasets and transforms into descriptions a data worker can rebuild (host data, no functions).
// SPDX-License-Identifier: Apache-2.0
import type { DataArray, DType, TypedArray } from '../../base/dtype.js';
import { dtypeOfTypedArray } from '../../base/dtype.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { hostTensor, isHostTensor, isTyped, valueArray, type HostTensor } from './host/host_tensor.js';
import type { TransformDesc } from './host/transform_desc.js';

/** Thrown while describing: the dataset (or a transform in it) cannot go to a worker, and why. */
export class NotTransferable extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Something that describes itself for workers (the vision transforms). */
export interface Describable {
  _describe(): TransformDesc;
}

function isDescribable(v: unknown): v is Describable {
  return typeof v === 'object' && v !== null && typeof (v as { _describe?: unknown })._describe === 'function';
}

/** Values in shared memory when the runtime has it (one copy for all workers), else a private copy. */
export function sharedCopy<T extends DataArray>(a: T): T {
  if (typeof SharedArrayBuffer === 'function' && a.buffer instanceof SharedArrayBuffer) return a;
  const C = a.constructor as { new (b: ArrayBufferLike): T; BYTES_PER_ELEMENT: number };
  if (typeof SharedArrayBuffer !== 'function') return a.slice() as T;
  const out = new C(new SharedArrayBuffer(a.length * C.BYTES_PER_ELEMENT));
  (out as unknown as { set(x: T): void }).set(a);
  return out;
}

/** An NDArray's values as a shared HostTensor (a blocking read). */
export function ndToHost(a: NDArray, shared = true): HostTensor {
  const values = a.dataSync() as DataArray;
  return hostTensor(shared ? sharedCopy(values) : values, a.shape, a.dtype);
}

/** A typed array as a shared 1-D HostTensor of its own dtype (Uint8ClampedArray reads as uint8). */
export function typedToHost(a: TypedArray): HostTensor {
  const dtype: DType = dtypeOfTypedArray(a);
  const values = a instanceof Uint8ClampedArray ? new Uint8Array(a.buffer, a.byteOffset, a.length) : a as DataArray;
  return hostTensor(sharedCopy(values), [a.length], dtype);
}

/** A JS value with NDArrays replaced by HostTensors; throws NotTransferable for functions and class instances. */
export function toHostValue(v: unknown, where: string): unknown {
  if (v instanceof NDArray) return ndToHost(v, false);
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ||
      typeof v === 'bigint' || isTyped(v) || isHostTensor(v)) return v;
  if (Array.isArray(v)) return v.map((x) => toHostValue(x, where));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toHostValue(x, where)]));
  }
  throw new NotTransferable(`${where} holds a ${typeof v === 'function' ? 'function' : (v as object).constructor?.name ?? typeof v}`);
}

/** Source text of a user function that a worker can compile, or NotTransferable. */
export function functionSource(fn: Function): string {
  const src = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(src)) throw new NotTransferable('a transform is a native or bound function');
  if (/^class\b/.test(src)) throw new NotTransferable('a transform is a class');
  return src;
}

/** A transform (function, vision transform, Compose) as a description, or NotTransferable. */
export function describeTransform(fn: unknown): TransformDesc {
  if (typeof fn === 'function') return { t: 'fn', src: functionSource(fn) };
  if (isDescribable(fn)) return fn._describe();
  const name = (fn as object | null)?.constructor?.name ?? typeof fn;
  throw new NotTransferable(`a transform is a ${name} (only functions and gluon.data.vision.transforms go to workers)`);
}

/** Fresh values of a dtype holding `values` (used to gather typed-array columns). */
export function gatherValues(src: DataArray, dtype: DType, indices: readonly number[]): DataArray {
  const out = valueArray(dtype, indices.length);
  for (let i = 0; i < indices.length; i++) (out as Float32Array)[i] = (src as Float32Array)[indices[i]!]!;
  return out;
}
