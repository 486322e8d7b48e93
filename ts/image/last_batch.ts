// MXNet ImageIter's batch assembly with its last-batch handling (pad, discard, roll_over), shared by ImageIter and ImageDetIter.
// SPDX-License-Identifier: Apache-2.0

export type LastBatchHandle = 'pad' | 'discard' | 'roll_over';

/** Fills batch slots from `start` on; returns how many slots are then filled. */
export type BatchFill = (data: Float32Array, label: Float32Array, start: number) => number;

/**
 * The state MXNet's ImageIter.next keeps between batches: a partial batch rolled over to the next epoch,
 * and whether reading is allowed (a padded last batch ends the epoch until a reset).
 */
export class LastBatchAssembly {
  /** False after a padded last batch: nextSample returns null until reset. */
  allowRead = true;
  private rolledOver: { data: Float32Array; label: Float32Array; filled: number } | null = null;

  constructor(readonly handle: LastBatchHandle) {}

  /** A reset: true when reading starts over (false when a rolled-over partial batch waits to be completed). */
  reset(): boolean {
    if (this.handle === 'roll_over' && this.rolledOver !== null) return false;
    this.allowRead = true;
    return true;
  }

  /** A hard reset: drops any rolled-over images. */
  hardReset(): void {
    this.allowRead = true;
    this.rolledOver = null;
  }

  /**
   * The next batch of `batchSize` slots (MXNet's next): `alloc` makes empty buffers and `fill` reads images
   * into them. Null at the end of the epoch.
   */
  next(batchSize: number, alloc: () => { data: Float32Array; label: Float32Array }, fill: BatchFill):
    { data: Float32Array; label: Float32Array; pad: number } | null {
    const cached = this.rolledOver;
    let data: Float32Array, label: Float32Array, filled: number;
    if (cached !== null) {
      ({ data, label, filled } = cached);
    } else {
      ({ data, label } = alloc());
      filled = fill(data, label, 0);
      if (filled === 0) return null;
    }
    // MXNet reports pad = batch size - the images read before the wrap, also for a rolled-over batch.
    const pad = batchSize - filled;
    if (pad !== 0) {
      if (this.handle === 'discard') return null;
      if (this.handle === 'roll_over' && cached === null) {
        this.rolledOver = { data, label, filled };
        return null;
      }
      fill(data, label, filled);
      if (this.handle === 'pad') this.allowRead = false;
      else this.rolledOver = null;
    }
    return { data, label, pad };
  }
}
