// DataBatch: one batch from a data iterator (MXNet's mx.io.DataBatch): data, label, pad, index.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, optionsOf } from '../base/error.js';
import { NDArray } from '../ndarray/ndarray.js';
import type { DataDesc } from './data_desc.js';

/** The optional fields of a DataBatch. */
export interface DataBatchOptions {
  /** Examples at the end of the batch that only fill it up (ignored by predict). */
  pad?: number | null;
  /** Indices of the examples in the batch, when the iterator knows them. */
  index?: number[] | null;
  /** Bucket key (for bucketing modules). */
  bucketKey?: unknown;
  /** Descriptions of `data` when they differ from the iterator's (e.g. a smaller batch). */
  provideData?: DataDesc[] | null;
  /** Descriptions of `label`. */
  provideLabel?: DataDesc[] | null;
}

function checkList(what: string, v: unknown): NDArray[] | null {
  if (v === null || v === undefined) return null;
  if (!Array.isArray(v) || !v.every((x) => x instanceof NDArray)) {
    throw new IsotensorError(`DataBatch: ${what} must be a list of NDArrays`);
  }
  return v as NDArray[];
}

/**
 * A batch: `data` and `label` are lists of NDArrays (one per input), `pad` counts the filler
 * examples at the end. MXNet's positional form and an options object both work.
 * @example new mx.io.DataBatch([x], [y]); new mx.io.DataBatch({ data: [x], label: [y], pad: 2 })
 */
export class DataBatch {
  data: NDArray[];
  label: NDArray[] | null;
  pad: number | null;
  index: number[] | null;
  bucketKey: unknown;
  provideData: DataDesc[] | null;
  provideLabel: DataDesc[] | null;

  constructor(data: NDArray[] | ({ data: NDArray[]; label?: NDArray[] | null } & DataBatchOptions),
              label: NDArray[] | null = null, opts: DataBatchOptions = {}) {
    opts = optionsOf(opts, 'DataBatch');
    if (!Array.isArray(data) && data !== null && typeof data === 'object') {
      opts = data;
      label = data.label ?? null;
      data = data.data;
    }
    this.data = checkList('data', data) ?? [];
    this.label = checkList('label', label);
    this.pad = opts.pad ?? null;
    this.index = opts.index ?? null;
    this.bucketKey = opts.bucketKey ?? null;
    this.provideData = opts.provideData ?? null;
    this.provideLabel = opts.provideLabel ?? null;
  }

  /** MXNet's str(): `DataBatch: data shapes: [[3, 2]] label shapes: [[3]]`. */
  toString(): string {
    const shapes = (xs: NDArray[]) => `[${xs.map((x) => `[${x.shape.join(', ')}]`).join(', ')}]`;
    const label = this.label && this.label.length > 0 ? shapes(this.label) : 'None';
    return `DataBatch: data shapes: ${shapes(this.data)} label shapes: ${label}`;
  }
}
