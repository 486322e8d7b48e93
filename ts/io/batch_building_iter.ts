// A DataIter whose iterNext builds the whole DataBatch: the base of MXNet's C++-style iterators (CSVIter, MNISTIter, ImageRecordIter, ...).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import type { NDArray } from '../ndarray/ndarray.js';
import type { DataBatch } from './data_batch.js';
import { DataIter } from './data_iter.js';

/**
 * MXNet's C++ iterators fill one batch per `iterNext` and answer getData/getLabel/getIndex/getPad from it;
 * subclasses do the same: `iterNext` sets `current` (null after a reset or at the end).
 */
export abstract class BatchBuildingIter extends DataIter {
  /** How the iterator is named in errors ('ImageRecordIter', ...). */
  protected abstract readonly iterName: string;
  /** The batch the last successful iterNext built. */
  protected current: DataBatch | null = null;

  override nextBatch(): DataBatch | null {
    return this.iterNext() ? this.current : null;
  }

  override getData(): NDArray[] {
    return this.currentBatch('getData').data;
  }

  override getLabel(): NDArray[] {
    return this.currentBatch('getLabel').label ?? [];
  }

  override getIndex(): number[] | null {
    return this.currentBatch('getIndex').index;
  }

  override getPad(): number {
    return this.currentBatch('getPad').pad ?? 0;
  }

  private currentBatch(what: string): DataBatch {
    if (this.current === null) throw new IsotensorError(`${this.iterName}.${what}: no current batch; call iterNext() (or next()) first`);
    return this.current;
  }
}
