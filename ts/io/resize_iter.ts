// ResizeIter: wraps an iterator so that an epoch has a fixed number of batches (MXNet's mx.io.ResizeIter).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import type { NDArray } from '../ndarray/ndarray.js';
import type { DataBatch } from './data_batch.js';
import type { DataDesc } from './data_desc.js';
import { DataIter } from './data_iter.js';

/**
 * Gives `size` batches per epoch from `dataIter`, restarting it when it runs out.
 * @example new mx.io.ResizeIter(new mx.io.NDArrayIter(nd.ones([100, 10]), null, 25), 2)
 */
export class ResizeIter extends DataIter {
  readonly dataIter: DataIter;
  readonly size: number;
  readonly resetInternal: boolean;
  private cur = 0;
  private current: DataBatch | null = null;

  constructor(dataIter: DataIter, size: number, resetInternal = true) {
    super(dataIter.batchSize);
    if (!Number.isInteger(size) || size < 0) throw new IsotensorError(`ResizeIter: size must be a non-negative integer, got ${size}`);
    this.dataIter = dataIter;
    this.size = size;
    this.resetInternal = resetInternal;
  }

  get provideData(): DataDesc[] {
    return this.dataIter.provideData;
  }

  get provideLabel(): DataDesc[] {
    return this.dataIter.provideLabel;
  }

  reset(): void {
    this.cur = 0;
    if (this.resetInternal) this.dataIter.reset();
  }

  iterNext(): boolean {
    if (this.cur === this.size) return false;
    let b = this.dataIter.nextBatch();
    if (b === null) {
      this.dataIter.reset();
      b = this.dataIter.nextBatch();
      if (b === null) throw new IsotensorError('ResizeIter: the wrapped iterator gives no batch after reset()');
    }
    this.current = b;
    this.cur += 1;
    return true;
  }

  nextBatch(): DataBatch | null {
    return this.iterNext() ? this.current : null;
  }

  getData(): NDArray[] {
    return this.current?.data ?? [];
  }

  getLabel(): NDArray[] {
    return this.current?.label ?? [];
  }

  getIndex(): number[] | null {
    return this.current?.index ?? null;
  }

  getPad(): number {
    return this.current?.pad ?? 0;
  }
}
