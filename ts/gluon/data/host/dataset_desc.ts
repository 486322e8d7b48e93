// Dataset descriptions: what a data worker is sent instead of a Dataset object, and their host rebuild.
// SPDX-License-Identifier: Apache-2.0
//
// A description holds host data only (HostTensors, in shared memory where the runtime has it, so
// every worker reads one copy; file-backed datasets as paths that each thread opens itself) and
// transform descriptions. Items read from it are what the calling thread's dataset would return,
// with HostTensors where that one has NDArrays.
import { IsotensorError } from '../../../base/error.js';
import { imageFilesColumn, recordsColumn, type ImageFilesDesc, type RecordsDesc } from './file_sources.js';
import { hostRow, type HostTensor } from './host_tensor.js';
import type { HostRng } from './rng.js';
import { buildTransform, type TransformDesc } from './transform_desc.js';

/** One column of an ArrayDataset-like description. */
export type ColumnDesc =
  /** Rows of a tensor along axis 0; `scalar`: a 1-D tensor whose rows are numbers. */
  | { k: 'tensor'; t: HostTensor; scalar: boolean }
  /** A list of plain values (NDArrays inside already turned into HostTensors). */
  | { k: 'list'; items: unknown[] }
  /** Another dataset. */
  | { k: 'dataset'; d: DatasetDesc }
  /** A record file's items ('records': raw bytes; 'imageRecords': [image, label]), read by each thread itself. */
  | RecordsDesc
  /** Image files' [image, label] items, each read and decoded when asked for. */
  | ImageFilesDesc;

/** A dataset as data. */
export type DatasetDesc =
  /** Columns zipped into tuples (one column: its items themselves). */
  | { k: 'array'; cols: ColumnDesc[]; length: number }
  /** The base dataset's items at `indices`. */
  | { k: 'sampled'; base: DatasetDesc; indices: number[] }
  /** Items passed through a transform (`first`: only the first element of tuples). */
  | { k: 'transform'; base: DatasetDesc; fn: TransformDesc; first: boolean };

/** Random access to a rebuilt dataset. */
export interface HostDataset {
  readonly length: number;
  at(i: number): unknown;
}

function column(c: ColumnDesc, rng: () => HostRng): { length: number; at(i: number): unknown } {
  if (c.k === 'tensor') {
    const t = c.t;
    if (c.scalar) return { length: t.shape[0]!, at: (i) => Number(t.data[i]) };
    return { length: t.shape[0]!, at: (i) => hostRow(t, i) };
  }
  if (c.k === 'list') return { length: c.items.length, at: (i) => c.items[i] };
  if (c.k === 'dataset') return buildHostDataset(c.d, rng);
  if (c.k === 'imageFiles') return imageFilesColumn(c);
  return recordsColumn(c);
}

/** Calls a transform the way MXNet's _LazyTransformDataset does: tuples are spread into arguments. */
export function callTransform(fn: (...a: unknown[]) => unknown, item: unknown, first: boolean): unknown {
  if (!Array.isArray(item)) return fn(item);
  if (first) return item.length > 1 ? [fn(item[0]), ...item.slice(1)] : fn(item[0]);
  return fn(...item);
}

/** Rebuilds a dataset from its description; `rng` gives the generator of the batch being built. */
export function buildHostDataset(d: DatasetDesc, rng: () => HostRng): HostDataset {
  switch (d.k) {
    case 'array': {
      const cols = d.cols.map((c) => column(c, rng));
      if (cols.length === 1) return { length: d.length, at: (i) => cols[0]!.at(i) };
      return { length: d.length, at: (i) => cols.map((c) => c.at(i)) };
    }
    case 'sampled': {
      const base = buildHostDataset(d.base, rng);
      return { length: d.indices.length, at: (i) => base.at(d.indices[i]!) };
    }
    case 'transform': {
      const base = buildHostDataset(d.base, rng);
      const fn = buildTransform(d.fn, rng);
      return { length: base.length, at: (i) => callTransform(fn, base.at(i), d.first) };
    }
    default:
      throw new IsotensorError(`unknown dataset description '${(d as { k: string }).k}'`);
  }
}
