// MNISTIter: MXNet's C++ MNIST iterator (src/io/iter_mnist.cc) over the IDX files, as mx.io.MNISTIter.
// SPDX-License-Identifier: Apache-2.0
//
// As MXNet: the images are read once, scaled by 1/256 to float32, shuffled once (not per epoch) with
// std::mt19937(seed), cut into `num_parts` parts, and served in full batches only (the last
// incomplete batch is dropped; pad is always 0). Data is (B, 1, rows, cols), or (B, rows*cols) with
// `flat`; the label is (B,) float32. `batch.index` holds the examples' positions in the part (MXNet fills zeros).
import { nodeBuiltin } from '../base/node_builtin.js';
import { IsotensorError } from '../base/error.js';
import { normalizeDType, type DType } from '../base/dtype.js';
import { gunzip } from '../image/inflate.js';
import { isGzip, parseIdx } from '../gluon/data/vision/idx.js';
import { array } from '../ndarray/creation.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { BatchBuildingIter } from './batch_building_iter.js';
import { DataBatch } from './data_batch.js';
import { DataDesc } from './data_desc.js';
import { COMMON_PARAMS, iterParams, type IterSource, type ParamSpec } from './iter_params.js';
import { readSource } from './iter_source.js';
import { MT19937 } from './mt19937.js';

/** Parameters of MNISTIter (MXNet's names; camelCase or snake_case keys). */
export interface MNISTIterOptions {
  /** The images IDX file (path or bytes; gzip allowed). Default './train-images-idx3-ubyte'. */
  image?: IterSource;
  /** The labels IDX file. Default './train-labels-idx1-ubyte'. */
  label?: IterSource;
  /** Examples per batch (default 128). */
  batchSize?: number;
  batch_size?: number;
  /** Shuffle the examples once, at creation (default true). */
  shuffle?: boolean;
  /** (B, rows*cols) instead of (B, 1, rows, cols) (default false). */
  flat?: boolean;
  /** Seed of the shuffle (default 0). */
  seed?: number;
  /** Accepted for compatibility (MXNet logs a line unless silent). */
  silent?: boolean;
  /** Split the data into this many parts (default 1) ... */
  numParts?: number;
  num_parts?: number;
  /** ... and read this one (default 0). */
  partIndex?: number;
  part_index?: number;
  /** Output data type (default float32). */
  dtype?: DType | string | null;
  dataName?: string;
  data_name?: string;
  labelName?: string;
  label_name?: string;
  prefetchBuffer?: number;
  prefetch_buffer?: number;
  ctx?: 'cpu' | 'gpu';
}

const SPECS: readonly ParamSpec[] = [
  { name: 'image', kind: 'source', default: './train-images-idx3-ubyte' },
  { name: 'label', kind: 'source', default: './train-labels-idx1-ubyte' },
  { name: 'batch_size', kind: 'int', default: 128, min: 1 },
  { name: 'shuffle', kind: 'bool', default: true },
  { name: 'flat', kind: 'bool', default: false },
  { name: 'seed', kind: 'int', default: 0 },
  { name: 'silent', kind: 'bool', default: false },
  { name: 'num_parts', kind: 'int', default: 1, min: 1 },
  { name: 'part_index', kind: 'int', default: 0, min: 0 },
  { name: 'dtype', kind: 'string', default: 'float32' },
  ...COMMON_PARAMS,
];

const NAME = 'MNISTIter';

function unzip(b: Uint8Array): Uint8Array {
  if (!isGzip(b)) return b;
  const zlib = nodeBuiltin<typeof import('node:zlib')>('node:zlib');
  return zlib !== null ? new Uint8Array(zlib.gunzipSync(b)) : gunzip(b);
}

/** MXNet's GetPart: [count/num_parts*i, count/num_parts*(i+1)) truncated. */
function part(count: number, numParts: number, index: number): [number, number] {
  return [Math.trunc((count / numParts) * index), Math.trunc((count / numParts) * (index + 1))];
}

/**
 * Iterates over MNIST's IDX files in batches, as MXNet's mx.io.MNISTIter.
 * @example
 * ```ts
 * const it = new mx.io.MNISTIter({ image: 'train-images-idx3-ubyte.gz', label: 'train-labels-idx1-ubyte.gz', batch_size: 100 });
 * for (const batch of it) { ... }   // batch.data[0]: (100, 1, 28, 28) in [0, 1)
 * ```
 */
export class MNISTIter extends BatchBuildingIter {
  protected readonly iterName = NAME;
  readonly shuffle: boolean;
  readonly flat: boolean;
  readonly dataName: string;
  readonly labelName: string;
  readonly dtype: DType;
  /** Number of examples in this part. */
  readonly numExamples: number;
  private readonly rows: number;
  private readonly cols: number;
  /** Pixels as read (0..255), in served order. */
  private readonly pixels: Uint8Array;
  private readonly labels: Float32Array;
  /** Original index (within the part) of each served example. */
  private readonly order: number[];
  private loc = 0;

  constructor(opts: MNISTIterOptions = {}) {
    const p = iterParams(NAME, SPECS, opts);
    super(p.batch_size as number);
    const numParts = p.num_parts as number, partIndex = p.part_index as number;
    if (partIndex >= numParts) throw new IsotensorError(`${NAME}: part_index ${partIndex} must be < num_parts ${numParts}`);
    this.shuffle = p.shuffle as boolean;
    this.flat = p.flat as boolean;
    this.dataName = p.data_name as string;
    this.labelName = p.label_name as string;
    this.dtype = normalizeDType(p.dtype as string, NAME);
    const img = parseIdx(unzip(readSource(NAME, 'image', p.image as IterSource)), 'image');
    const lbl = parseIdx(unzip(readSource(NAME, 'label', p.label as IterSource)), 'label');
    if (img.shape.length !== 3 || img.dtype !== 'uint8') {
      throw new IsotensorError(`${NAME}: 'image' must be an IDX file of uint8 images (N, rows, cols), got ${img.dtype} (${img.shape.join(', ')})`);
    }
    if (lbl.shape.length !== 1 || lbl.dtype !== 'uint8') {
      throw new IsotensorError(`${NAME}: 'label' must be an IDX file of uint8 labels (N), got ${lbl.dtype} (${lbl.shape.join(', ')})`);
    }
    const [n, rows, cols] = img.shape as [number, number, number];
    // Each file is partitioned by its own count, as MXNet does.
    const [is, ie] = part(n, numParts, partIndex);
    const [ls, le] = part(lbl.shape[0]!, numParts, partIndex);
    if (ie - is !== le - ls) {
      throw new IsotensorError(`${NAME}: ${ie - is} images but ${le - ls} labels in part ${partIndex} of ${numParts}`);
    }
    this.rows = rows;
    this.cols = cols;
    this.numExamples = ie - is;
    const px = (img.data as Uint8Array).subarray(is * rows * cols, ie * rows * cols);
    const lb = (lbl.data as Uint8Array).subarray(ls, le);
    this.order = Array.from({ length: this.numExamples }, (_, i) => i);
    if (this.shuffle) new MT19937(p.seed as number).shuffle(this.order);
    const size = rows * cols;
    this.pixels = new Uint8Array(this.numExamples * size);
    this.labels = new Float32Array(this.numExamples);
    this.order.forEach((src, i) => {
      this.pixels.set(px.subarray(src * size, (src + 1) * size), i * size);
      this.labels[i] = lb[src]!;
    });
  }

  private get dataShape(): number[] {
    return this.flat ? [this.batchSize, this.rows * this.cols] : [this.batchSize, 1, this.rows, this.cols];
  }

  get provideData(): DataDesc[] {
    return [new DataDesc(this.dataName, this.dataShape, this.dtype)];
  }

  get provideLabel(): DataDesc[] {
    return [new DataDesc(this.labelName, [this.batchSize], 'float32')];
  }

  /** Back to the first batch (the order stays: MXNet shuffles once). */
  reset(): void {
    this.loc = 0;
    this.current = null;
  }

  iterNext(): boolean {
    const bs = this.batchSize;
    if (this.loc + bs > this.numExamples) {
      this.current = null;
      return false;
    }
    const size = this.rows * this.cols;
    const data = new Float32Array(bs * size);
    const px = this.pixels.subarray(this.loc * size, (this.loc + bs) * size);
    // MXNet multiplies by 1.0f / 256.0f (exact in float32).
    for (let i = 0; i < data.length; i++) data[i] = px[i]! * 0.00390625;
    let x: NDArray = array(data, { shape: this.dataShape, dtype: 'float32' });
    if (this.dtype !== 'float32') {
      const cast = x.astype(this.dtype);
      x.dispose();
      x = cast;
    }
    const y = array(this.labels.slice(this.loc, this.loc + bs), { shape: [bs], dtype: 'float32' });
    this.current = new DataBatch([x], [y], { pad: 0, index: this.order.slice(this.loc, this.loc + bs) });
    this.loc += bs;
    return true;
  }
}
