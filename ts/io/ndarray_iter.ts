// NDArrayIter: batches over in-memory arrays, with MXNet's shuffle and last-batch rules (pad/discard/roll_over).
// SPDX-License-Identifier: Apache-2.0
import { isTypedArray, type TypedArray } from '../base/dtype.js';
import { IsotensorError, positionalOptions } from '../base/error.js';
import { array, arange } from '../ndarray/creation.js';
import type { NestedArray } from '../ndarray/host.js';
import { NDArray } from '../ndarray/ndarray.js';
import { shuffle as shuffleRows } from '../ndarray/random.js';
import { Concat, slice_axis, take, tile } from '../ops/ndarray.generated.js';
import { DataBatch } from './data_batch.js';
import { DataDesc } from './data_desc.js';
import { DataIter } from './data_iter.js';

/** One input: an NDArray (kept as is), or nested JS numbers / a 1-D TypedArray (copied as float32). */
export type IterArray = NDArray | NestedArray | TypedArray;
/** What NDArrayIter takes as data or label: one array, a list of arrays, or a name → array dict. */
export type IterInput = IterArray | NDArray[] | Record<string, IterArray>;

/** How the last, incomplete batch of an epoch is handled. */
export type LastBatchHandle = 'pad' | 'discard' | 'roll_over';

/** Options of NDArrayIter (MXNet's keyword arguments, camelCased). */
export interface NDArrayIterOptions {
  /** Examples per batch (default 1). */
  batchSize?: number;
  /** Reshuffle the examples at every reset (with mx.random's generator: mx.random.seed makes it repeatable). */
  shuffle?: boolean;
  /** 'pad' (default): fill the last batch from the start and report `pad`; 'discard': drop it;
   *  'roll_over': carry the rest into the first batch of the next epoch. */
  lastBatchHandle?: LastBatchHandle;
  /** Name of a single data array (default 'data'). */
  dataName?: string;
  /** Name of a single label array (default 'softmax_label'). */
  labelName?: string;
  /** Layout; its 'N' marks the batch axis (default 'NCHW'). */
  layout?: string;
}

type Named = [string, NDArray];

function isArrayList(v: unknown): v is NDArray[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => x instanceof NDArray);
}

/** MXNet's _init_data: one array → [[defaultName, a]]; a list → `_i_defaultName`; a dict → its entries; sorted by name. */
function initData(v: IterInput | null | undefined, allowEmpty: boolean, defaultName: string,
                  owned: Set<NDArray>): Named[] {
  let entries: [string, IterArray][];
  if (v === null || v === undefined) {
    entries = [];
  } else if (v instanceof NDArray || isTypedArray(v)) {
    entries = [[defaultName, v]];
  } else if (Array.isArray(v)) {
    if (isArrayList(v)) {
      entries = v.length === 1 ? [[defaultName, v[0]!]] : v.map((a, i): [string, IterArray] => [`_${i}_${defaultName}`, a]);
    } else {
      entries = (v as unknown[]).length === 0 ? [] : [[defaultName, v as NestedArray]];
    }
  } else if (typeof v === 'object') {
    entries = Object.entries(v as Record<string, IterArray>);
  } else {
    throw new IsotensorError(`NDArrayIter: input must be an NDArray, nested arrays, a TypedArray, a list of NDArrays or a dict of them, got ${typeof v}`);
  }
  if (!allowEmpty && entries.length === 0) throw new IsotensorError('NDArrayIter: data must not be empty');
  const out: Named[] = entries.map(([k, a]) => {
    if (a instanceof NDArray) return [k, a];
    try {
      // As MXNet's mx.nd.array(numpy): host data becomes float32 (what graphs expect of labels too).
      const arr = array(a as NestedArray, { dtype: 'float32' });
      owned.add(arr);
      return [k, arr];
    } catch (e) {
      throw new IsotensorError(`NDArrayIter: invalid input '${k}': ${(e as Error).message}`, { cause: e });
    }
  });
  return out.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}

/**
 * Iterates over NDArrays (or JS arrays) in batches, exactly as MXNet's mx.io.NDArrayIter: data and
 * label may be one array, a list (named `_0_data`, `_1_data`, ...) or a dict (sorted by name);
 * the last batch is padded from the start (`batch.pad` says how many), discarded, or rolled over
 * into the next epoch.
 * @example
 * ```ts
 * const it = new mx.io.NDArrayIter(x, y, { batchSize: 32, shuffle: true });
 * for (const batch of it) { mod.forward(batch); ... }
 * it.reset();
 * ```
 */
export class NDArrayIter extends DataIter {
  readonly shuffle: boolean;
  readonly lastBatchHandle: LastBatchHandle;
  readonly layout: string;
  readonly numData: number;
  /** The current cursor (position of the current batch's first example; negative before the first). */
  cursor: number;
  private data: Named[];
  private label: Named[];
  private readonly owned = new Set<NDArray>();
  private cacheData: NDArray[] | null = null;
  private cacheLabel: NDArray[] | null = null;

  /**
   * After batchSize, one options object or MXNet's positional `shuffle, last_batch_handle, data_name,
   * label_name` (`new NDArrayIter(x, y, 32, true, 'discard')`).
   */
  constructor(data: IterInput, label: IterInput | null = null, batchSize: number | NDArrayIterOptions = {},
              ...rest: [opts?: NDArrayIterOptions] | [shuffle?: boolean | null, lastBatchHandle?: LastBatchHandle | null,
                        dataName?: string | null, labelName?: string | null]) {
    const opts = positionalOptions<NDArrayIterOptions>('NDArrayIter', [['shuffle', 'boolean'], ['lastBatchHandle', 'string'],
                                                                       ['dataName', 'string'], ['labelName', 'string']], rest);
    const o: NDArrayIterOptions = typeof batchSize === 'number' ? { ...opts, batchSize } : { ...batchSize, ...opts };
    const bs = o.batchSize ?? 1;
    if (!Number.isInteger(bs) || bs <= 0) throw new IsotensorError(`NDArrayIter: batchSize must be a positive integer, got ${bs}`);
    super(bs);
    const handle = o.lastBatchHandle ?? 'pad';
    if (handle !== 'pad' && handle !== 'discard' && handle !== 'roll_over') {
      throw new IsotensorError(`NDArrayIter: lastBatchHandle must be 'pad', 'discard' or 'roll_over', got '${String(handle)}'`);
    }
    this.lastBatchHandle = handle;
    this.shuffle = o.shuffle ?? false;
    this.layout = o.layout ?? 'NCHW';
    this.data = initData(data, false, o.dataName ?? 'data', this.owned);
    this.label = initData(label, true, o.labelName ?? 'softmax_label', this.owned);
    const axis = this.batchAxis;
    for (const [k, a] of [...this.data, ...this.label]) {
      if (axis < 0 || a.ndim <= axis) {
        throw new IsotensorError(`NDArrayIter: '${k}' of shape [${a.shape.join(', ')}] has no batch axis ${axis} (layout '${this.layout}')`);
      }
    }
    this.numData = this.data[0]![1].shape[axis]!;
    for (const [k, a] of [...this.data, ...this.label]) {
      if (a.shape[axis] !== this.numData) {
        throw new IsotensorError(`NDArrayIter: '${k}' has ${a.shape[axis]} examples (shape [${a.shape.join(', ')}]) but ` +
          `'${this.data[0]![0]}' has ${this.numData}`);
      }
    }
    this.cursor = -bs;
    this.reset();
  }

  private get batchAxis(): number {
    return DataDesc.getBatchAxis(this.layout);
  }

  private descs(src: Named[]): DataDesc[] {
    const axis = this.batchAxis;
    return src.map(([k, v]) => {
      const s = [...v.shape];
      s[axis] = this.batchSize;
      return new DataDesc(k, s, v.dtype, this.layout);
    });
  }

  get provideData(): DataDesc[] {
    return this.descs(this.data);
  }

  get provideLabel(): DataDesc[] {
    return this.descs(this.label);
  }

  /** Back to the start, forgetting any rolled-over examples. */
  hardReset(): void {
    if (this.shuffle) this.shuffleData();
    this.cursor = -this.batchSize;
    this.cacheData = null;
    this.cacheLabel = null;
  }

  reset(): void {
    if (this.shuffle) this.shuffleData();
    const bs = this.batchSize, n = this.numData;
    if (this.lastBatchHandle === 'roll_over' && n - bs < this.cursor && this.cursor < n) {
      // (cursor - numData) is what the last batch had: the next epoch starts that much early.
      this.cursor = this.cursor - n - bs;
    } else {
      this.cursor = -bs;
    }
  }

  iterNext(): boolean {
    this.cursor += this.batchSize;
    return this.cursor < this.numData;
  }

  nextBatch(): DataBatch | null {
    if (!this.iterNext()) return null;
    const data = this.getData();
    const label = this.getLabel();
    if (data[0]!.shape[this.batchAxis] !== this.batchSize) {
      // An incomplete last batch ends the epoch; roll_over keeps it for the next one.
      this.cacheData = data;
      this.cacheLabel = label;
      return null;
    }
    return new DataBatch(data, label, { pad: this.getPad(), index: null });
  }

  getData(): NDArray[] {
    return this.batchify(this.data, 'data');
  }

  getLabel(): NDArray[] {
    return this.batchify(this.label, 'label');
  }

  getPad(): number {
    const bs = this.batchSize;
    if (this.lastBatchHandle === 'pad' && this.cursor + bs > this.numData) return this.cursor + bs - this.numData;
    if (this.lastBatchHandle === 'roll_over' && -bs < this.cursor && this.cursor < 0) return -this.cursor;
    return 0;
  }

  /** Rows [start, end) of every array along the batch axis (a view on axis 0). */
  private getRange(src: Named[], start: number | null, end: number | null): NDArray[] {
    const axis = this.batchAxis;
    const b = start ?? 0;
    const e = end ?? (src.length > 0 ? src[0]![1].shape[axis]! : 0);
    return src.map(([, a]) => (axis === 0 ? a.slice(b, e) : slice_axis(a, { axis, begin: b, end: e }) as NDArray));
  }

  private concat(first: NDArray[], second: NDArray[]): NDArray[] {
    if (first.length === 0 || second.length === 0) return first.length > 0 ? first : second;
    return first.map((a, i) => Concat(a, second[i]!, { dim: this.batchAxis }) as NDArray);
  }

  private tile(data: NDArray[], repeats: number): NDArray[] {
    return data.map((d) => {
      const reps = d.shape.map(() => 1);
      reps[this.batchAxis] = repeats;
      return tile(d, { reps }) as NDArray;
    });
  }

  private batchify(src: Named[], which: 'data' | 'label'): NDArray[] {
    const bs = this.batchSize, n = this.numData;
    if (this.cursor >= n) throw new IsotensorError('NDArrayIter: the iterator is at its end; call reset()');
    if (this.lastBatchHandle === 'roll_over' && -bs < this.cursor && this.cursor < 0) {
      // First batch of an epoch after a roll-over: the cached rest of the last epoch, then the start.
      const cache = which === 'data' ? this.cacheData : this.cacheLabel;
      if (cache === null) throw new IsotensorError('NDArrayIter: roll_over expected cached examples from the previous epoch');
      const second = this.getRange(src, null, this.cursor + bs);
      if (which === 'data') this.cacheData = null; else this.cacheLabel = null;
      return this.concat(cache, second);
    }
    if (this.lastBatchHandle === 'pad' && this.cursor + bs > n) {
      const pad = bs - n + this.cursor;
      const first = this.getRange(src, this.cursor, null);
      let second: NDArray[];
      if (pad > n) {
        second = this.tile(this.getRange(src, null, n), Math.floor(pad / n));
        if (pad % n !== 0) second = this.concat(second, this.getRange(src, null, pad % n));
      } else {
        second = this.getRange(src, null, pad);
      }
      return this.concat(first, second);
    }
    const end = this.cursor + bs < n ? this.cursor + bs : n;
    return this.getRange(src, this.cursor, end);
  }

  /** A new random order of the examples (the same permutation for data and label). */
  private shuffleData(): void {
    if (this.numData === 0) return;
    const ctx = this.data[0]![1].context;
    const order = shuffleRows(arange(0, this.numData, 1, { ctx }));
    const axis = this.batchAxis;
    const permute = (src: Named[]): Named[] => src.map(([k, a]) => {
      const idx = a.context.equals(ctx) ? order : order.asInContext(a.context);
      const p = take(a, idx, { axis }) as NDArray;
      if (idx !== order) idx.dispose();
      if (this.owned.delete(a)) a.dispose();
      this.owned.add(p);
      return [k, p];
    });
    this.data = permute(this.data);
    this.label = permute(this.label);
    order.dispose();
  }
}
