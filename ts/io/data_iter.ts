// DataIter: the base of MXNet's data iterators, with JS's iteration protocols on top.
// SPDX-License-Identifier: Apache-2.0
import type { NDArray } from '../ndarray/ndarray.js';
import { DataBatch } from './data_batch.js';
import type { DataDesc } from './data_desc.js';

/**
 * Base class of data iterators (MXNet's mx.io.DataIter). An iterator is its own iterator, as in
 * MXNet: `for (const batch of it)` runs to the end of the epoch and stops; `reset()` starts the
 * next epoch. `next()` follows the JS iterator protocol (`{ value, done }`); `nextBatch()` gives
 * the batch or null. Subclasses implement `iterNext/getData/getLabel/getPad` (or override
 * `nextBatch`) and `provideData/provideLabel`.
 * @example
 * ```ts
 * for (const batch of it) { ... }
 * it.reset();
 * ```
 */
export abstract class DataIter implements IterableIterator<DataBatch>, AsyncIterable<DataBatch> {
  batchSize: number;

  constructor(batchSize = 0) {
    this.batchSize = batchSize;
  }

  /** Descriptions of the data arrays each batch holds. */
  abstract get provideData(): DataDesc[];

  /** Descriptions of the label arrays each batch holds (empty when unlabeled). */
  get provideLabel(): DataDesc[] {
    return [];
  }

  /** Back to the start of the data. */
  reset(): void {}

  /** Moves to the next batch; false at the end of the data. */
  iterNext(): boolean {
    return false;
  }

  /** Data arrays of the current batch. */
  getData(): NDArray[] {
    return [];
  }

  /** Label arrays of the current batch. */
  getLabel(): NDArray[] {
    return [];
  }

  /** Indices of the current batch's examples (null when unknown). */
  getIndex(): number[] | null {
    return null;
  }

  /** Number of filler examples at the end of the current batch. */
  getPad(): number {
    return 0;
  }

  /** The next batch, or null at the end of the epoch (MXNet's next() without StopIteration). */
  nextBatch(): DataBatch | null {
    if (!this.iterNext()) return null;
    return new DataBatch(this.getData(), this.getLabel(), { pad: this.getPad(), index: this.getIndex() });
  }

  /** JS iterator protocol. */
  next(): IteratorResult<DataBatch> {
    const b = this.nextBatch();
    return b === null ? { done: true, value: undefined } : { done: false, value: b };
  }

  [Symbol.iterator](): IterableIterator<DataBatch> {
    return this;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<DataBatch> {
    for (let b = this.nextBatch(); b !== null; b = this.nextBatch()) yield b;
  }
}
