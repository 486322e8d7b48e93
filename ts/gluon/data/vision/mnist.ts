// gluon.data.vision.MNIST and FashionMNIST: the four IDX files (gzipped or not) read from a folder or given as bytes.
// SPDX-License-Identifier: Apache-2.0
//
// As MXNet: sample i is [image (28, 28, 1) uint8 NDArray, label (int32 number)], `transform(data,
// label)` applies to both. Nothing is downloaded at run time: the files must be in `root` (Node),
// or be passed as bytes, or (any runtime) fetched by `await MNIST.load({ url })`.
import { IsotensorError, optionsOf } from '../../../base/error.js';
import { envVar } from '../../../base/env.js';
import { nodeBuiltin } from '../../../base/node_builtin.js';
import { array } from '../../../ndarray/creation.js';
import { keep } from '../../../ndarray/lifetime.js';
import type { NDArray } from '../../../ndarray/ndarray.js';
import { take as takeOp } from '../../../ops/ndarray.generated.js';
import { Dataset, type FastBatch, type TransformFn } from '../dataset.js';
import { describeTransform, gatherValues } from '../describe.js';
import type { BatchHint } from '../host/batchify_host.js';
import { callTransform, type DatasetDesc } from '../host/dataset_desc.js';
import { hostRow, hostTensor, type HostTensor } from '../host/host_tensor.js';
import { gunzip } from '../../../image/inflate.js';
import { isGzip, parseIdx } from './idx.js';

/** Options of MNIST / FashionMNIST. */
export interface MNISTOptions {
  /** Folder holding the IDX files (Node; default `$MXNET_HOME/datasets/mnist`, MXNET_HOME defaulting to ~/.mxnet). */
  root?: string;
  /** Training set (default) or test set. */
  train?: boolean;
  /** Applied to each sample as `transform(data, label)`. */
  transform?: TransformFn;
  /** The images file's bytes (IDX, gzipped or not) instead of reading `root`. */
  images?: Uint8Array;
  /** The labels file's bytes. */
  labels?: Uint8Array;
}

/** Options of MNIST.load: also a base URL to fetch the files from. */
export interface MNISTLoadOptions extends MNISTOptions {
  /** Base URL (or folder URL) of the four files. */
  url?: string | URL;
}

const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

// Node's zlib where there is one (faster); elsewhere isotensor's own inflate.
function gunzipSync(b: Uint8Array): Uint8Array {
  const zlib = nodeBuiltin('node:zlib');
  return zlib !== null ? new Uint8Array(zlib.gunzipSync(b)) : gunzip(b);
}

// The runtime's DecompressionStream where there is one (native code), else gunzipSync.
async function gunzipAsync(b: Uint8Array): Promise<Uint8Array> {
  const DS = (globalThis as { DecompressionStream?: new (f: string) => unknown }).DecompressionStream;
  if (nodeBuiltin('node:zlib') !== null || DS === undefined) return gunzipSync(b);
  const stream = new Blob([b as BlobPart]).stream().pipeThrough(new DS('gzip') as TransformStream);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function defaultRoot(folder: string): string {
  const os = nodeBuiltin('node:os'), path = nodeBuiltin('node:path');
  if (os === null || path === null) return '';
  const home = envVar('MXNET_HOME') ?? path.join(os.homedir(), '.mxnet');
  return path.join(home, 'datasets', folder);
}

/** Reads `name` or `name.gz` (or the `name.idx…` spelling some mirrors use) from a folder. */
function readFromRoot(root: string, name: string, what: string): Uint8Array {
  const fs = nodeBuiltin('node:fs'), path = nodeBuiltin('node:path');
  if (fs === null || path === null) {
    throw new IsotensorError(`${what}: reading a folder needs Node's fs; pass \`images\`/\`labels\` bytes or use \`await ${what}.load({ url })\``);
  }
  const dotted = name.replace(/-idx(\d)-ubyte$/, '.idx$1-ubyte');
  for (const f of [`${name}.gz`, name, `${dotted}.gz`, dotted]) {
    const full = path.join(root, f);
    if (fs.existsSync(full)) return new Uint8Array(fs.readFileSync(full));
  }
  throw new IsotensorError(`${what}: ${name}.gz (or ${name}) not found in ${root}. isotensor downloads nothing at run ` +
                           `time: put the four IDX files (${[...FILES.train, ...FILES.test].map((x) => `${x}.gz`).join(', ')}) ` +
                           'in that folder (they are the files MXNet and torchvision download), or pass `root`');
}

/** The MNIST handwritten digits (60,000 training and 10,000 test images of 28×28). */
export class MNIST extends Dataset {
  readonly train: boolean;
  /** Images (N, 28, 28, 1) uint8 on the host (shared memory where available). */
  readonly images: HostTensor;
  /** Labels (N) int32 on the host. */
  readonly labels: HostTensor;
  private readonly transformFn: TransformFn | null;
  private readonly call: ((...a: any[]) => any) | null;
  private imagesNd: NDArray | null = null;

  /** The folder under $MXNET_HOME/datasets. */
  protected static folder = 'mnist';

  constructor(opts: MNISTOptions = {}) {
    opts = optionsOf(opts, new.target);
    super();
    const what = this.constructor.name;
    this.train = opts.train ?? true;
    const [imgName, lblName] = this.train ? FILES.train : FILES.test;
    let img = opts.images, lbl = opts.labels;
    if ((img === undefined) !== (lbl === undefined)) throw new IsotensorError(`${what}: pass both \`images\` and \`labels\` bytes`);
    if (img === undefined || lbl === undefined) {
      const root = opts.root ?? defaultRoot((this.constructor as typeof MNIST).folder);
      img = readFromRoot(root, imgName, what);
      lbl = readFromRoot(root, lblName, what);
    }
    if (isGzip(img)) img = gunzipSync(img);
    if (isGzip(lbl)) lbl = gunzipSync(lbl);
    const images = parseIdx(img, imgName, true);
    const labels = parseIdx(lbl, lblName);
    if (images.shape.length !== 3 || labels.shape.length !== 1) {
      throw new IsotensorError(`${what}: expected images (N, rows, cols) and labels (N), got (${images.shape.join(', ')}) ` +
                               `and (${labels.shape.join(', ')})`);
    }
    if (images.shape[0] !== labels.shape[0]) {
      throw new IsotensorError(`${what}: ${images.shape[0]} images but ${labels.shape[0]} labels`);
    }
    this.images = hostTensor(images.data, [...images.shape, 1], images.dtype);
    this.labels = hostTensor(Int32Array.from(labels.data as Uint8Array), labels.shape, 'int32');
    this.transformFn = opts.transform ?? null;
    this.call = this.transformFn === null ? null
      : typeof this.transformFn === 'function' ? this.transformFn : (...a: any[]) => (this.transformFn as { forward(...x: any[]): any }).forward(...a);
  }

  /** Fetches the files from `url` (browsers, Deno, Node) or reads `root`, then builds the dataset. */
  static async load<T extends typeof MNIST>(this: T, opts: MNISTLoadOptions = {}): Promise<InstanceType<T>> {
    if (opts.url === undefined || (opts.images !== undefined && opts.labels !== undefined)) return new this(opts) as InstanceType<T>;
    const [imgName, lblName] = (opts.train ?? true) ? FILES.train : FILES.test;
    const base = String(opts.url).endsWith('/') ? String(opts.url) : `${String(opts.url)}/`;
    const get = async (name: string): Promise<Uint8Array> => {
      for (const f of [`${name}.gz`, name]) {
        const res = await fetch(new URL(f, base));
        if (res.ok) {
          const b = new Uint8Array(await res.arrayBuffer());
          return isGzip(b) ? gunzipAsync(b) : b;
        }
      }
      throw new IsotensorError(`${this.name}.load: ${name}.gz (or ${name}) not found under ${base}`);
    };
    const [images, labels] = await Promise.all([get(imgName), get(lblName)]);
    return new this({ ...opts, images, labels }) as InstanceType<T>;
  }

  get length(): number {
    return this.labels.shape[0]!;
  }

  private allImages(): NDArray {
    // Kept: it lives as long as the dataset, whichever scope first asked for an image.
    this.imagesNd ??= keep(array(this.images.data, { shape: this.images.shape, dtype: 'uint8' }));
    return this.imagesNd;
  }

  at(i: number): any {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new IsotensorError(`${this.constructor.name}.at: index ${i} is out of range for length ${this.length}`);
    }
    const sample = [this.allImages().at(i), this.labels.data[i]!];
    return this.call === null ? sample : callTransform(this.call, sample, false);
  }

  /** Image i on the host, without an NDArray. */
  hostImage(i: number): HostTensor {
    return hostRow(this.images, i);
  }

  override _describe(): DatasetDesc {
    const base: DatasetDesc = {
      k: 'array',
      cols: [{ k: 'tensor', t: this.images, scalar: false }, { k: 'tensor', t: this.labels, scalar: true }],
      length: this.length,
    };
    return this.transformFn === null ? base : { k: 'transform', base, fn: describeTransform(this.transformFn), first: false };
  }

  override _hint(): BatchHint {
    return this.transformFn === null ? [null, 'int32'] : null;
  }

  override _hasTransform(): boolean {
    return this.transformFn !== null;
  }

  override _fastBatch(indices: readonly number[]): FastBatch | undefined {
    if (this.transformFn !== null) return undefined;
    const idx = array(Int32Array.from(indices));
    const data = takeOp(this.allImages(), idx, { axis: 0 }) as NDArray;
    idx.dispose();
    return [data, array(gatherValues(this.labels.data, 'int32', indices), { dtype: 'int32' })];
  }
}

/** Zalando's Fashion-MNIST: the same format and files as MNIST (default folder $MXNET_HOME/datasets/fashion-mnist). */
export class FashionMNIST extends MNIST {
  protected static override folder = 'fashion-mnist';
}
