// Datasets: Dataset (transform, filter, shard, take, sample), SimpleDataset, ArrayDataset (MXNet's gluon.data.dataset).
// SPDX-License-Identifier: Apache-2.0
//
// A sample that is a JS array is a tuple (MXNet's tuple): transforms receive its elements as
// arguments and the default batchify stacks them element-wise. Besides MXNet's interface, a
// dataset can describe itself as host data (`_describe`) so DataLoader workers rebuild it without
// functions, report the dtypes of its number fields (`_hint`), and build whole batches at once
// (`_fastBatch`, when no transform runs).
import type { DataArray, DType, TypedArray } from '../../base/dtype.js';
import { dtypeOfTypedArray } from '../../base/dtype.js';
import { IsotensorError, kindOf } from '../../base/error.js';
import { array } from '../../ndarray/creation.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { take as takeOp } from '../../ops/ndarray.generated.js';
import {
  describeTransform, gatherValues, ndToHost, NotTransferable, toHostValue, typedToHost,
} from './describe.js';
import type { BatchHint } from './host/batchify_host.js';
import { callTransform, type ColumnDesc, type DatasetDesc } from './host/dataset_desc.js';
import { isTyped } from './host/host_tensor.js';
import { FilterSampler, Sampler, SequentialSampler } from './sampler.js';

/** A transform: a function, or an object with `forward` (a gluon Block, a vision transform). */
export type TransformFn = ((...args: any[]) => any) | { forward(...args: any[]): any };

/** What a batch made without per-item work looks like: one NDArray per tuple field. */
export type FastBatch = NDArray | NDArray[];

function toCallable(fn: TransformFn, op: string): (...args: any[]) => any {
  if (typeof fn === 'function') return fn;
  if (fn !== null && typeof fn === 'object' && typeof (fn as { forward?: unknown }).forward === 'function') {
    return (...args: any[]) => (fn as { forward(...a: any[]): any }).forward(...args);
  }
  throw new IsotensorError(`${op}: expected a function or an object with forward(), got ${typeof fn}`);
}

function checkIndex(i: number, n: number, op: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new IsotensorError(`${op}: index ${i} is out of range for length ${n}`);
}

/**
 * Base class of datasets: subclasses implement `length` and `at(i)`.
 * @example
 * ```ts
 * class Squares extends gluon.data.Dataset {
 *   get length() { return 10; }
 *   at(i: number) { return [i, i * i]; }
 * }
 * ```
 */
export abstract class Dataset implements Iterable<any> {
  /** Number of samples. */
  abstract get length(): number;

  /** Sample i (MXNet's `dataset[i]`). */
  abstract at(i: number): any;

  *[Symbol.iterator](): Iterator<any> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  /**
   * A dataset whose samples are `fn(sample)` (tuples spread into arguments). `lazy = false`
   * transforms every sample now (a random `fn` then gives the same result every epoch).
   * @example ds.transform((x, y) => [x.astype('float32').div(255), y])
   */
  transform(fn: TransformFn, lazy = true): Dataset {
    const t = new LazyTransformDataset(this, fn, false);
    return lazy ? t : new SimpleDataset([...t]);
  }

  /**
   * Transforms only the first element of each tuple (the data, not the label).
   * @example mnist.transformFirst(new transforms.ToTensor())
   */
  transformFirst(fn: TransformFn, lazy = true): Dataset {
    const t = new LazyTransformDataset(this, fn, true);
    return lazy ? t : new SimpleDataset([...t]);
  }

  /** The samples for which `fn(sample)` is true (evaluated once, now). */
  filter(fn: (sample: any) => unknown): Dataset {
    return new SampledDataset(this, new FilterSampler(fn, this));
  }

  /** Part `index` of `numShards` contiguous parts (the first `length % numShards` parts get one more sample). */
  shard(numShards: number, index: number): Dataset {
    if (!Number.isInteger(numShards) || numShards <= 0) throw new IsotensorError(`Dataset.shard: number of shards must be greater than 0, got ${numShards}`);
    if (!Number.isInteger(index) || index < 0) throw new IsotensorError(`Dataset.shard: index must be non-negative, got ${index}`);
    if (index >= numShards) throw new IsotensorError(`Dataset.shard: shard index out of bound: ${index} out of ${numShards}`);
    const n = this.length, len = Math.floor(n / numShards), rest = n % numShards;
    const start = len * index + Math.min(index, rest);
    const end = start + len + (index < rest ? 1 : 0);
    return new SampledDataset(this, new SequentialSampler(end - start, start));
  }

  /** The first `count` samples (all when count is null or larger). */
  take(count: number | null): Dataset {
    const n = count === null || count > this.length ? this.length : count;
    return new SampledDataset(this, new SequentialSampler(n));
  }

  /** The samples a sampler picks, in its order. */
  sample(sampler: Sampler): Dataset {
    if (!(sampler instanceof Sampler)) {
      throw new IsotensorError(`Dataset.sample: invalid sampler type ${(sampler as object)?.constructor?.name ?? typeof sampler}; expected a gluon.data.Sampler`);
    }
    return new SampledDataset(this, sampler);
  }

  /** @internal This dataset as host data for workers; throws NotTransferable with the reason when it cannot be. */
  _describe(): DatasetDesc {
    throw new NotTransferable(`${this.constructor.name} is a user-defined dataset (workers rebuild only ` +
                              'ArrayDataset, SimpleDataset, vision datasets and their transform/filter/shard/take)');
  }

  /** @internal dtypes of number fields, where known. */
  _hint(): BatchHint {
    return null;
  }

  /** @internal Whether any transform runs when reading samples (then batches get a random seed). */
  _hasTransform(): boolean {
    return false;
  }

  /** @internal A whole batch without per-sample work, or undefined when samples must be read one by one. */
  _fastBatch(_indices: readonly number[]): FastBatch | undefined {
    return undefined;
  }
}

/** One column of an ArrayDataset or the list of a SimpleDataset. */
type Column =
  | { k: 'nd'; a: NDArray }
  | { k: 'scalars'; a: DataArray; dtype: DType }
  | { k: 'dataset'; d: Dataset }
  | { k: 'list'; a: { length: number; at?(i: number): unknown; [i: number]: unknown } };

function toColumn(v: unknown, op: string, scalarNd: boolean): Column {
  if (v instanceof NDArray) {
    if (v.ndim === 0) throw new IsotensorError(`${op}: a 0-d array has no length`);
    if (scalarNd && v.ndim === 1) {
      // As MXNet: a 1-D NDArray is read to the host once, its samples are numbers.
      return { k: 'scalars', a: v.dataSync() as DataArray, dtype: v.dtype };
    }
    return { k: 'nd', a: v };
  }
  if (isTyped(v)) {
    const a = v instanceof Uint8ClampedArray ? new Uint8Array(v.buffer, v.byteOffset, v.length) : v as DataArray;
    return { k: 'scalars', a, dtype: dtypeOfTypedArray(v as TypedArray) };
  }
  if (v instanceof Dataset) return { k: 'dataset', d: v };
  if (v !== null && typeof v === 'object' && typeof (v as { length?: unknown }).length === 'number') {
    return { k: 'list', a: v as Extract<Column, { k: 'list' }>['a'] };
  }
  throw new IsotensorError(`${op}: expected NDArrays, typed arrays, JS arrays or datasets, got ${kindOf(v)}`);
}

function columnLength(c: Column): number {
  switch (c.k) {
    case 'nd': return c.a.shape[0]!;
    case 'scalars': return c.a.length;
    case 'dataset': return c.d.length;
    default: return c.a.length;
  }
}

function columnAt(c: Column, i: number): unknown {
  switch (c.k) {
    case 'nd': return c.a.at(i);
    case 'scalars': return Number(c.a[i]);
    case 'dataset': return c.d.at(i);
    default: return Array.isArray(c.a) || typeof c.a.at !== 'function' ? c.a[i] : c.a.at(i);
  }
}

function columnHint(c: Column): BatchHint {
  if (c.k === 'scalars') return c.dtype;
  if (c.k === 'dataset') return c.d._hint();
  return null;
}

// Descriptions copy the data as it is now (MXNet's workers fork the dataset when the pool starts).
function columnDesc(c: Column, where: string): ColumnDesc {
  switch (c.k) {
    case 'nd': return { k: 'tensor', t: ndToHost(c.a), scalar: false };
    case 'scalars': return { k: 'tensor', t: { ...typedToHost(c.a), dtype: c.dtype }, scalar: true };
    case 'dataset': return { k: 'dataset', d: c.d._describe() };
    default: {
      const items: unknown[] = [];
      for (let i = 0; i < c.a.length; i++) items.push(toHostValue(columnAt(c, i), where));
      return { k: 'list', items };
    }
  }
}

/** The column's rows `indices` as one NDArray, or undefined (lists and datasets go item by item). */
function columnBatch(c: Column, indices: readonly number[]): NDArray | undefined {
  if (c.k === 'nd') {
    const idx = array(Int32Array.from(indices), { ctx: c.a.context });
    const out = takeOp(c.a, idx, { axis: 0 }) as NDArray;
    idx.dispose();
    return out;
  }
  if (c.k === 'scalars') return array(gatherValues(c.a, c.dtype, indices), { dtype: c.dtype });
  return undefined;
}

/**
 * A dataset over one array-like: a JS array, a typed array, an NDArray (rows along axis 0) or
 * another dataset.
 * @example new gluon.data.SimpleDataset([[1, 'a'], [2, 'b']])
 */
export class SimpleDataset extends Dataset {
  private readonly col: Column;

  constructor(data: unknown) {
    super();
    this.col = toColumn(data, 'SimpleDataset', false);
  }

  get length(): number {
    return columnLength(this.col);
  }

  at(i: number): any {
    checkIndex(i, this.length, 'SimpleDataset.at');
    return columnAt(this.col, i);
  }

  override _describe(): DatasetDesc {
    return { k: 'array', cols: [columnDesc(this.col, 'SimpleDataset')], length: this.length };
  }

  override _hint(): BatchHint {
    return columnHint(this.col);
  }

  override _hasTransform(): boolean {
    return this.col.k === 'dataset' && this.col.d._hasTransform();
  }

  override _fastBatch(indices: readonly number[]): FastBatch | undefined {
    return this.col.k === 'dataset' ? this.col.d._fastBatch(indices) : columnBatch(this.col, indices);
  }
}

/**
 * Zips array-likes of equal length: sample i is `[a[i], b[i], ...]` (one array: `a[i]` itself).
 * A 1-D NDArray or a typed array gives numbers (their dtype is kept when batched).
 * @example const ds = new gluon.data.ArrayDataset(nd.random.uniform({ shape: [100, 10] }), labels);
 */
export class ArrayDataset extends Dataset {
  private readonly cols: Column[];
  private readonly len: number;

  constructor(...arrays: unknown[]) {
    super();
    if (arrays.length === 0) throw new IsotensorError('ArrayDataset: needs at least 1 array');
    this.cols = arrays.map((a, i) => toColumn(a, `ArrayDataset: array ${i}`, true));
    const lengths = this.cols.map(columnLength);
    this.len = lengths[0]!;
    lengths.forEach((n, i) => {
      if (n !== this.len) {
        throw new IsotensorError(`ArrayDataset: all arrays must have the same length; array 0 has length ${this.len} ` +
                                 `while array ${i} has ${n} (lengths: ${lengths.join(', ')})`);
      }
    });
  }

  get length(): number {
    return this.len;
  }

  at(i: number): any {
    checkIndex(i, this.len, 'ArrayDataset.at');
    if (this.cols.length === 1) return columnAt(this.cols[0]!, i);
    return this.cols.map((c) => columnAt(c, i));
  }

  override _describe(): DatasetDesc {
    return { k: 'array', cols: this.cols.map((c, i) => columnDesc(c, `ArrayDataset array ${i}`)), length: this.len };
  }

  override _hint(): BatchHint {
    return this.cols.length === 1 ? columnHint(this.cols[0]!) : this.cols.map(columnHint);
  }

  override _hasTransform(): boolean {
    return this.cols.some((c) => c.k === 'dataset' && c.d._hasTransform());
  }

  override _fastBatch(indices: readonly number[]): FastBatch | undefined {
    if (this.cols.some((c) => c.k === 'list' || c.k === 'dataset')) return undefined;
    const parts = this.cols.map((c) => columnBatch(c, indices)!);
    return this.cols.length === 1 ? parts[0]! : parts;
  }
}

/** @internal A dataset whose samples go through a transform (MXNet's _LazyTransformDataset). */
export class LazyTransformDataset extends Dataset {
  private readonly call: (...args: any[]) => any;

  constructor(private readonly base: Dataset, private readonly fn: TransformFn, private readonly first: boolean) {
    super();
    this.call = toCallable(fn, first ? 'Dataset.transformFirst' : 'Dataset.transform');
  }

  get length(): number {
    return this.base.length;
  }

  at(i: number): any {
    return callTransform(this.call, this.base.at(i), this.first);
  }

  override _describe(): DatasetDesc {
    return { k: 'transform', base: this.base._describe(), fn: describeTransform(this.fn), first: this.first };
  }

  override _hint(): BatchHint {
    const h = this.base._hint();
    // transformFirst keeps the other fields as they are.
    return this.first && Array.isArray(h) ? [null, ...h.slice(1)] : null;
  }

  override _hasTransform(): boolean {
    return true;
  }
}

/** @internal The samples of a dataset at the indices a sampler gave (MXNet's _SampledDataset). */
export class SampledDataset extends Dataset {
  private readonly indices: number[];
  private readonly len: number;

  constructor(private readonly base: Dataset, sampler: Sampler) {
    super();
    this.indices = [...sampler];
    this.len = sampler.length;
  }

  get length(): number {
    return this.len;
  }

  at(i: number): any {
    checkIndex(i, this.len, 'Dataset.at');
    return this.base.at(this.indices[i]!);
  }

  override _describe(): DatasetDesc {
    return { k: 'sampled', base: this.base._describe(), indices: this.indices.slice(0, this.len) };
  }

  override _hint(): BatchHint {
    return this.base._hint();
  }

  override _hasTransform(): boolean {
    return this.base._hasTransform();
  }

  override _fastBatch(indices: readonly number[]): FastBatch | undefined {
    return this.base._fastBatch(indices.map((i) => this.indices[i]!));
  }
}
