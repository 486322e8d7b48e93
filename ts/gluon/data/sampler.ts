// Samplers: the orders in which a DataLoader visits a dataset (MXNet's gluon.data.sampler).
// SPDX-License-Identifier: Apache-2.0
import { expectFunction, IsotensorError, kindOf, show } from '../../base/error.js';
import { scope } from '../../ndarray/lifetime.js';
import { arange } from '../../ndarray/creation.js';
import { shuffle } from '../../ndarray/random.js';

/** Base class: an iterable of indices with a length. Subclasses implement `[Symbol.iterator]` and `length`. */
export abstract class Sampler<T = number> implements Iterable<T> {
  abstract [Symbol.iterator](): Iterator<T>;
  abstract get length(): number;
}

function checkCount(v: number, what: string, op: string): void {
  if (!Number.isInteger(v) || v < 0) throw new IsotensorError(`${op}: argument '${what}' must be a non-negative integer, got ${show(v)}`);
}

/**
 * Indices start, start+1, ..., start+length-1.
 * @example [...new gluon.data.SequentialSampler(3)] // [0, 1, 2]
 */
export class SequentialSampler extends Sampler {
  constructor(private readonly len: number, private readonly start = 0) {
    super();
    checkCount(len, 'length', 'SequentialSampler');
    checkCount(start, 'start', 'SequentialSampler');
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.len; i++) yield this.start + i;
  }

  get length(): number {
    return this.len;
  }
}

/**
 * A new random permutation of 0..length-1 at every pass, drawn from mx.random (so `mx.random.seed`
 * makes the order repeatable).
 * @example mx.random.seed(1); [...new gluon.data.RandomSampler(5)]
 */
export class RandomSampler extends Sampler {
  constructor(private readonly len: number) {
    super();
    checkCount(len, 'length', 'RandomSampler');
  }

  [Symbol.iterator](): Iterator<number> {
    return randomPermutation(this.len)[Symbol.iterator]();
  }

  get length(): number {
    return this.len;
  }
}

/** A random permutation of 0..n-1 from mx.random's generator (the `_shuffle` op). */
export function randomPermutation(n: number): number[] {
  if (n === 0) return [];
  return scope(() => Array.from(shuffle(arange(0, n, 1, { dtype: 'float64' })).dataSync() as Float64Array));
}

/**
 * Indices of the items for which `fn(item)` is true (computed once, when created).
 * @example new gluon.data.FilterSampler((x) => x > 2, dataset)
 */
export class FilterSampler extends Sampler {
  private readonly indices: number[] = [];

  constructor(fn: (sample: any) => unknown, dataset: { length: number; at(i: number): unknown }) {
    super();
    expectFunction(fn, 'FilterSampler', 'fn');
    if (dataset === null || typeof dataset !== 'object' || typeof dataset.at !== 'function' || !Number.isInteger(dataset.length)) {
      throw new IsotensorError(`FilterSampler: argument 'dataset' must be a dataset (length and at(i)), got ${kindOf(dataset)}`);
    }
    for (let i = 0; i < dataset.length; i++) {
      // Each test runs in its own scope: item views and the test's temporaries are freed at once.
      if (scope(() => Boolean(fn(dataset.at(i))))) this.indices.push(i);
    }
  }

  [Symbol.iterator](): Iterator<number> {
    return this.indices[Symbol.iterator]();
  }

  get length(): number {
    return this.indices.length;
  }
}

/** What BatchSampler does with a last batch smaller than batchSize. */
export type LastBatch = 'keep' | 'discard' | 'rollover';

/** @internal Checks a lastBatch value (MXNet's message). */
export function checkLastBatch(v: unknown, op: string): LastBatch {
  if (v !== 'keep' && v !== 'discard' && v !== 'rollover') {
    throw new IsotensorError(`${op}: lastBatch must be one of 'keep', 'discard', or 'rollover', but got ${show(v)}`);
  }
  return v;
}

/**
 * Groups another sampler's indices into batches. `lastBatch`: 'keep' returns a smaller last batch,
 * 'discard' drops it, 'rollover' carries its indices into the next pass.
 * @example [...new gluon.data.BatchSampler(new gluon.data.SequentialSampler(10), 3, 'keep')]
 * // [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
 */
export class BatchSampler extends Sampler<number[]> {
  readonly lastBatch: LastBatch;
  private prev: number[] = [];

  constructor(readonly sampler: Iterable<number> & { length: number }, readonly batchSize: number,
              lastBatch: LastBatch = 'keep') {
    super();
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new IsotensorError(`BatchSampler: batchSize must be a positive integer, got ${show(batchSize)}`);
    }
    this.lastBatch = checkLastBatch(lastBatch, 'BatchSampler');
  }

  *[Symbol.iterator](): Iterator<number[]> {
    let batch = this.prev;
    this.prev = [];
    for (const i of this.sampler) {
      batch.push(i);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) {
      if (this.lastBatch === 'keep') yield batch;
      else if (this.lastBatch === 'rollover') this.prev = batch;
    }
  }

  get length(): number {
    const n = this.sampler.length, bs = this.batchSize;
    if (this.lastBatch === 'keep') return Math.ceil(n / bs);
    if (this.lastBatch === 'discard') return Math.floor(n / bs);
    return Math.floor((this.prev.length + n) / bs);
  }
}

/**
 * Indices at a fixed interval: 0, k, 2k, ..., then (with `rollover`) 1, 1+k, ... until all are visited.
 * @example [...new gluon.data.IntervalSampler(13, 3)] // [0, 3, 6, 9, 12, 1, 4, 7, 10, 2, 5, 8, 11]
 */
export class IntervalSampler extends Sampler {
  constructor(private readonly len: number, private readonly interval: number, private readonly rollover = true) {
    super();
    checkCount(len, 'length', 'IntervalSampler');
    if (!Number.isInteger(interval) || interval <= 0 || interval > len) {
      throw new IsotensorError(`IntervalSampler: interval ${show(interval)} must be a positive integer smaller than or equal to length ${len}`);
    }
  }

  *[Symbol.iterator](): Iterator<number> {
    const starts = this.rollover ? this.interval : 1;
    for (let i = 0; i < starts; i++) for (let j = i; j < this.len; j += this.interval) yield j;
  }

  get length(): number {
    // MXNet reports `length` even without rollover; the count of indices actually visited is returned here.
    return this.rollover ? this.len : Math.ceil(this.len / this.interval);
  }
}
