// MXNet's mx.image.ImageIter: batches of augmented images from a RecordIO file (.rec, .idx) or an image list.
// SPDX-License-Identifier: Apache-2.0
//
// A port of python/mxnet/image/image.py's ImageIter: the same sources, sequence, partitioning, last-batch
// rules (pad / discard / roll_over, with MXNet's `pad` values) and overridable steps (nextSample,
// imdecode, augmentationTransform, postprocessData). When the steps are the library's and every
// augmenter is a library one, images are decoded and augmented on the host and each batch becomes one
// NDArray. Random augmenters and the shuffle draw from a generator seeded from mx.random at every reset,
// one per batch, so mx.random.seed makes the epochs repeatable.
import { IsotensorError, kindOf, optionsOf, show } from '../base/error.js';
import { nodeBuiltin, nodeFs } from '../base/node_builtin.js';
import { ndToHost } from '../gluon/data/describe.js';
import { hostTensor, type HostTensor } from '../gluon/data/host/host_tensor.js';
import { HostRng, withBatchRng } from '../gluon/data/host/rng.js';
import { DataBatch } from '../io/data_batch.js';
import { DataDesc } from '../io/data_desc.js';
import { BatchBuildingIter } from '../io/batch_building_iter.js';
import { array } from '../ndarray/creation.js';
import { NDArray } from '../ndarray/ndarray.js';
import { MXIndexedRecordIO } from '../recordio/indexed_record_file.js';
import { MXRecordIO } from '../recordio/record_file.js';
import { unpack } from '../recordio/image_record.js';
import { Augmenter, type HostAugFn } from './augmenter.js';
import { AUGMENTER_OPTIONS, camelOptions, CreateAugmenter, type CreateAugmenterOptions } from './create_augmenter.js';
import { convertPixels, decodeImage } from './decode.js';
import { imageRng, drawSeed } from './image_rng.js';
import { LastBatchAssembly, type LastBatchHandle } from './last_batch.js';

/** A record file or .idx file: a Node path, or the file's bytes. */
export type ImageIterSource = string | Uint8Array | ArrayBuffer;

/** One entry of `imglist`: [label, path], [[labels...], path] or [label1, label2, ..., path]. */
export type ImgListEntry = readonly [...(number | readonly number[])[], string];

/** Options of ImageIter (MXNet's keyword arguments; snake_case keys are accepted too), plus CreateAugmenter's. */
export interface ImageIterOptions extends CreateAugmenterOptions {
  /** Labels per image (default 1): labels are (B,) when 1, else (B, labelWidth). */
  labelWidth?: number;
  /** The .rec file (im2rec's output, or mx.recordio's). */
  pathImgrec?: ImageIterSource | null;
  /** An image list file: `index\tlabel[\tlabel...]\tpath` lines (paths relative to pathRoot). */
  pathImglist?: string | null;
  /** The list in memory: [label(s), path] entries (keys 1, 2, ...). */
  imglist?: readonly ImgListEntry[] | null;
  /** The folder list paths are relative to. */
  pathRoot?: string | null;
  /** The .idx file next to the .rec: needed to shuffle or partition a record file. */
  pathImgidx?: ImageIterSource | null;
  /** Reshuffle the images at every reset (default false). */
  shuffle?: boolean;
  /** This part of `numParts` contiguous parts (default 0 of 1). */
  partIndex?: number;
  numParts?: number;
  /** The augmenters (default: CreateAugmenter(dataShape, the augmenter options)). */
  augList?: readonly Augmenter[] | null;
  /** Name of the data (default 'data') and label (default 'softmax_label') inputs. */
  dataName?: string;
  labelName?: string;
  /** dtype labels from image lists are parsed as (default float32; batches are float32 either way). */
  dtype?: 'int32' | 'float32' | 'int64' | 'float64';
  /** 'pad' (default): fill the last batch from the start; 'discard': drop it; 'roll_over': finish it with the next epoch's first images. */
  lastBatchHandle?: 'pad' | 'discard' | 'roll_over';
}

const ITER_OPTIONS = [
  'labelWidth', 'pathImgrec', 'pathImglist', 'imglist', 'pathRoot', 'pathImgidx', 'shuffle', 'partIndex', 'numParts',
  'augList', 'dataName', 'labelName', 'dtype', 'lastBatchHandle',
] as const;

/** Labels and where the image comes from. */
type ListEntry = [Float64Array, string];

// The shuffle's stream of the epoch seed (batch k uses stream k).
const SHUFFLE_STREAM = 0x7fffffff;

const OP = 'ImageIter';

function source(v: unknown, what: string): ImageIterSource | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'string' || v instanceof Uint8Array || v instanceof ArrayBuffer) return v;
  throw new IsotensorError(`${OP}: option '${what}' must be a path or the file's bytes (Uint8Array, ArrayBuffer), got ${kindOf(v)}`);
}

function intOption(v: unknown, dflt: number, min: number, what: string): number {
  if (v === undefined || v === null) return dflt;
  if (!Number.isInteger(v) || (v as number) < min) throw new IsotensorError(`${OP}: option '${what}' must be an integer >= ${min}, got ${show(v)}`);
  return v as number;
}

function parseLabels(values: readonly unknown[], dtype: string, where: string): Float64Array {
  const out = new Float64Array(values.length);
  values.forEach((v, i) => {
    const n = typeof v === 'string' ? Number(v) : v;
    if (typeof n !== 'number' || Number.isNaN(n) || (typeof v === 'string' && v.trim() === '')) {
      throw new IsotensorError(`${OP}: ${where}: label ${show(v)} is not a number`);
    }
    // Integer label dtypes keep whole numbers, as MXNet's nd.array(labels, dtype) does.
    out[i] = dtype === 'int32' || dtype === 'int64' ? Math.trunc(n) : dtype === 'float32' ? Math.fround(n) : n;
  });
  return out;
}

/**
 * Batches of augmented images, as MXNet's mx.image.ImageIter: from a .rec file (`pathImgrec`, with
 * `pathImgidx` for shuffling and partitions), an image list file (`pathImglist` + `pathRoot`) or a list
 * (`imglist`). Batches hold data (B, C, H, W) float32 and labels (B,) or (B, labelWidth) float32.
 * @example
 * ```ts
 * const it = new mx.image.ImageIter(32, [3, 224, 224], { pathImgrec: 'train.rec', pathImgidx: 'train.idx',
 *   shuffle: true, resize: 256, randCrop: true, randMirror: true, mean: true, std: true });
 * for (const batch of it) { ... }
 * it.reset();
 * ```
 */
export class ImageIter extends BatchBuildingIter {
  protected readonly iterName = OP;
  readonly dataShape: [number, number, number];
  readonly labelWidth: number;
  readonly shuffle: boolean;
  readonly lastBatchHandle: LastBatchHandle;
  /** The record file, or null for image lists. */
  readonly imgrec: MXRecordIO | null;
  /** The keys of the .idx file, or null. */
  readonly imgidx: number[] | null;
  /** key → [labels, path] of image lists, or null. */
  readonly imglist: Map<number, ListEntry> | null;
  readonly pathRoot: string | null;
  /** The keys read in order (shuffled at reset), or null when a record file is read sequentially. */
  seq: number[] | null;
  /** The augmenters run on each image. */
  auglist: Augmenter[];
  /** Position in seq. */
  cur = 0;
  readonly numImage: number | null;
  private readonly dataName: string;
  private readonly labelName: string;
  private readonly assembly: LastBatchAssembly;
  private epochSeed = 0;
  private batchNo = 0;

  constructor(batchSize: number, dataShape: readonly number[], opts: ImageIterOptions = {}) {
    const all = camelOptions(optionsOf(opts, OP), [...ITER_OPTIONS, ...AUGMENTER_OPTIONS], OP) as ImageIterOptions;
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new IsotensorError(`${OP}: argument 'batchSize' must be a positive integer, got ${show(batchSize)}`);
    super(batchSize);
    this.dataShape = ImageIter.checkDataShape(dataShape);
    const rec = source(all.pathImgrec, 'pathImgrec');
    const idx = source(all.pathImgidx, 'pathImgidx');
    const listFile = all.pathImglist ?? null;
    if (listFile !== null && typeof listFile !== 'string') throw new IsotensorError(`${OP}: option 'pathImglist' must be a path, got ${kindOf(listFile)}`);
    const list = all.imglist ?? null;
    if (list !== null && !Array.isArray(list)) throw new IsotensorError(`${OP}: option 'imglist' must be a list of [label(s), path] entries, got ${kindOf(list)}`);
    if (rec === null && listFile === null && list === null) {
      throw new IsotensorError(`${OP}: give the images: 'pathImgrec' (a .rec file), 'pathImglist' (a .lst file) or 'imglist'`);
    }
    const dtype = all.dtype ?? 'float32';
    if (!['int32', 'float32', 'int64', 'float64'].includes(dtype)) {
      throw new IsotensorError(`${OP}: option 'dtype' must be 'int32', 'float32', 'int64' or 'float64' (the labels' type), got ${show(dtype)}`);
    }
    const handle = all.lastBatchHandle ?? 'pad';
    if (handle !== 'pad' && handle !== 'discard' && handle !== 'roll_over') {
      throw new IsotensorError(`${OP}: option 'lastBatchHandle' must be 'pad', 'discard' or 'roll_over', got ${show(handle)}`);
    }
    this.lastBatchHandle = handle;
    this.assembly = new LastBatchAssembly(handle);
    this.labelWidth = intOption(all.labelWidth, 1, 1, 'labelWidth');
    const numParts = intOption(all.numParts, 1, 1, 'numParts');
    const partIndex = intOption(all.partIndex, 0, 0, 'partIndex');
    if (partIndex >= numParts) throw new IsotensorError(`${OP}: option 'partIndex' (${partIndex}) must be less than 'numParts' (${numParts})`);
    if (all.shuffle !== undefined && typeof all.shuffle !== 'boolean') throw new IsotensorError(`${OP}: option 'shuffle' must be a boolean, got ${show(all.shuffle)}`);
    this.shuffle = all.shuffle ?? false;
    this.dataName = all.dataName ?? 'data';
    this.labelName = all.labelName ?? 'softmax_label';
    for (const [k, v] of [['dataName', this.dataName], ['labelName', this.labelName]] as const) {
      if (typeof v !== 'string') throw new IsotensorError(`${OP}: option '${k}' must be a string, got ${kindOf(v)}`);
    }
    if (all.augList !== undefined && all.augList !== null &&
        (!Array.isArray(all.augList) || !all.augList.every((a) => a instanceof Augmenter))) {
      throw new IsotensorError(`${OP}: option 'augList' must be a list of mx.image Augmenters, got ${show(all.augList)}`);
    }
    const augOpts = Object.fromEntries(Object.entries(all).filter(([k]) => (AUGMENTER_OPTIONS as readonly string[]).includes(k)));
    if (all.augList !== undefined && all.augList !== null && Object.keys(augOpts).length > 0) {
      throw new IsotensorError(`${OP}: augmenter options (${Object.keys(augOpts).join(', ')}) are used only without 'augList'`);
    }

    if (rec !== null) {
      if (idx !== null) {
        const r = new MXIndexedRecordIO(idx, rec, 'r');
        this.imgrec = r;
        this.imgidx = [...r.keys];
      } else {
        this.imgrec = new MXRecordIO(rec, 'r');
        this.imgidx = null;
      }
    } else {
      this.imgrec = null;
      this.imgidx = null;
    }
    let keys: number[] = [];
    if (listFile !== null) {
      [this.imglist, keys] = ImageIter.readImglist(listFile, dtype);
    } else if (list !== null) {
      this.imglist = new Map();
      list.forEach((entry, i) => {
        if (!Array.isArray(entry) || entry.length < 2 || typeof entry[entry.length - 1] !== 'string') {
          throw new IsotensorError(`${OP}: imglist[${i}] must be [label(s), path], got ${show(entry)}`);
        }
        const labels = entry.length > 2 ? entry.slice(0, -1) : typeof entry[0] === 'number' ? [entry[0]] : entry[0];
        if (!Array.isArray(labels) && !ArrayBuffer.isView(labels)) throw new IsotensorError(`${OP}: imglist[${i}]: the label must be a number or a list of numbers, got ${show(entry[0])}`);
        // MXNet numbers list entries 1, 2, ...
        this.imglist!.set(i + 1, [parseLabels(Array.from(labels as ArrayLike<unknown>), dtype, `imglist[${i}]`), entry[entry.length - 1] as string]);
        keys.push(i + 1);
      });
    } else {
      this.imglist = null;
    }
    const root = all.pathRoot ?? null;
    if (root !== null && typeof root !== 'string') throw new IsotensorError(`${OP}: option 'pathRoot' must be a path, got ${kindOf(root)}`);
    this.pathRoot = root;

    if (this.imgrec === null) {
      this.seq = keys;
    } else if (this.shuffle || numParts > 1 || idx !== null) {
      if (this.imgidx === null) {
        throw new IsotensorError(`${OP}: ${this.shuffle ? "'shuffle'" : "'numParts' > 1"} needs the record file's index ('pathImgidx')`);
      }
      this.seq = [...this.imgidx];
    } else {
      this.seq = null;
    }
    if (numParts > 1) {
      const n = this.seq!.length, c = Math.floor(n / numParts);
      this.seq = this.seq!.slice(partIndex * c, (partIndex + 1) * c);
    }
    this.auglist = all.augList ? [...all.augList] : CreateAugmenter(this.dataShape, augOpts as CreateAugmenterOptions);
    this.numImage = this.seq !== null ? this.seq.length : null;
    this.reset();
  }

  /** A (C, H, W) shape with 3 channels (MXNet's check_data_shape). */
  static checkDataShape(dataShape: unknown): [number, number, number] {
    if (!Array.isArray(dataShape) || dataShape.length !== 3 || !dataShape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new IsotensorError(`${OP}: argument 'dataShape' must be (channels, height, width), three positive integers, got ${show(dataShape)}`);
    }
    if (dataShape[0] !== 3) throw new IsotensorError(`${OP}: argument 'dataShape' must have 3 channels (C, H, W), got ${show(dataShape)}`);
    return [dataShape[0], dataShape[1], dataShape[2]];
  }

  private static readImglist(file: string, dtype: string): [Map<number, ListEntry>, number[]] {
    const text = nodeFs(`${OP} reading the image list '${file}'`, "elsewhere pass the list as 'imglist'").readFileSync(file, 'utf8');
    const map = new Map<number, ListEntry>();
    const keys: number[] = [];
    text.split('\n').forEach((raw, n) => {
      const line = raw.trim();
      if (line === '') return;
      const parts = line.split('\t');
      const key = Number(parts[0]);
      if (parts.length < 3 || !Number.isInteger(key)) {
        throw new IsotensorError(`${OP}: ${file} line ${n + 1} must be 'index<TAB>label(s)<TAB>path', got ${show(raw)}`);
      }
      map.set(key, [parseLabels(parts.slice(1, -1), dtype, `${file} line ${n + 1}`), parts[parts.length - 1]!]);
      keys.push(key);
    });
    return [map, keys];
  }

  get provideData(): DataDesc[] {
    return [new DataDesc(this.dataName, [this.batchSize, ...this.dataShape])];
  }

  get provideLabel(): DataDesc[] {
    return [new DataDesc(this.labelName, this.labelWidth > 1 ? [this.batchSize, this.labelWidth] : [this.batchSize])];
  }

  private newEpoch(): void {
    this.epochSeed = drawSeed();
    this.batchNo = 0;
    if (this.seq !== null && this.shuffle) {
      // Python's random.shuffle.
      const rng = new HostRng(this.epochSeed, SHUFFLE_STREAM);
      for (let i = this.seq.length - 1; i > 0; i--) {
        const j = rng.randint(0, i);
        [this.seq[i], this.seq[j]] = [this.seq[j]!, this.seq[i]!];
      }
    }
  }

  /** Back to the start (a rolled-over partial batch is kept for the next one). */
  reset(): void {
    this.newEpoch();
    this.current = null;
    if (this.assembly.reset()) {
      this.imgrec?.reset();
      this.cur = 0;
    }
  }

  /** Back to the start, dropping any rolled-over images. */
  hardReset(): void {
    this.newEpoch();
    this.current = null;
    this.imgrec?.reset();
    this.cur = 0;
    this.assembly.hardReset();
  }

  /** The next image's label(s) and encoded bytes, or null at the end of the data (MXNet's next_sample). */
  nextSample(): [number | Float32Array | Float64Array | number[], Uint8Array] | null {
    if (!this.assembly.allowRead) return null;
    if (this.seq !== null) {
      if (this.cur >= this.numImage!) {
        if (this.lastBatchHandle !== 'discard') this.cur = 0;
        return null;
      }
      const idx = this.seq[this.cur]!;
      this.cur += 1;
      if (this.imgrec !== null) {
        const [header, img] = unpack((this.imgrec as MXIndexedRecordIO).readIdx(idx));
        if (this.imglist === null) return [header.label, img];
        return [this.listEntry(idx)[0], img];
      }
      const [label, fname] = this.listEntry(idx);
      return [label, this.readImage(fname)];
    }
    const s = this.imgrec!.read();
    if (s === null) {
      if (this.lastBatchHandle !== 'discard') this.imgrec!.reset();
      return null;
    }
    const [header, img] = unpack(s);
    return [header.label, img];
  }

  private listEntry(key: number): ListEntry {
    const e = this.imglist!.get(key);
    if (e === undefined) throw new IsotensorError(`${OP}: the image list has no entry with index ${key}`);
    return e;
  }

  /** The bytes of an image file under pathRoot (MXNet's read_image). */
  readImage(fname: string): Uint8Array {
    const path = nodeBuiltin<typeof import('node:path')>('node:path');
    const full = path !== null ? path.join(this.pathRoot ?? '', fname) : `${this.pathRoot ?? ''}${fname}`;
    const b = nodeFs(`${OP} reading '${full}'`, 'elsewhere use a record file given as bytes').readFileSync(full);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }

  private locate(): string {
    const n = this.numImage;
    const pos = n === null || n === 0 ? this.cur - 1 : (this.cur % n) - 1;
    const idx = this.seq !== null ? this.seq.at(pos) : pos;
    if (this.imglist !== null && idx !== undefined) {
      const e = this.imglist.get(idx);
      if (e !== undefined) return `filename: ${e[1]}`;
    }
    return `index: ${idx}`;
  }

  /** Decodes an image's bytes to an (H, W, 3) uint8 RGB NDArray (MXNet's ImageIter.imdecode). */
  imdecode(s: Uint8Array): NDArray {
    const img = this.decodeHost(s);
    return array(img.data as Uint8Array, { shape: img.shape, dtype: 'uint8' });
  }

  private decodeHost(s: Uint8Array): HostTensor {
    try {
      const img = decodeImage(s);
      return hostTensor(convertPixels(img, 'RGB'), [img.height, img.width, 3], 'uint8');
    } catch (e) {
      throw new IsotensorError(`${OP}: broken image ${this.locate()}, ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  /** Checks a decoded image (MXNet's check_valid_image: it must have a shape). */
  checkValidImage(data: NDArray): void {
    if (!(data instanceof NDArray) || data.ndim === 0) throw new IsotensorError(`${OP}: data shape is wrong: expected an image, got ${kindOf(data)}`);
  }

  /** Runs the augmenters on an image (MXNet's augmentation_transform). */
  augmentationTransform(data: NDArray): NDArray {
    return this.auglist.reduce((x, aug) => aug.call(x), data);
  }

  /** (H, W, C) → (C, H, W), the layout of the batch (MXNet's postprocess_data). */
  postprocessData(datum: NDArray): NDArray {
    return datum.transpose([2, 0, 1]);
  }

  /** The augmenters as one host function, when the whole per-image path is the library's. */
  private hostPath(): HostAugFn[] | null {
    const proto = ImageIter.prototype;
    if (this.imdecode !== proto.imdecode || this.augmentationTransform !== proto.augmentationTransform ||
        this.postprocessData !== proto.postprocessData || this.checkValidImage !== proto.checkValidImage) return null;
    const fns = this.auglist.map((a) => a._hostFn());
    return fns.every((f) => f !== null) ? fns as HostAugFn[] : null;
  }

  private storeLabel(batch: Float32Array, i: number, label: unknown): void {
    const lw = this.labelWidth;
    const values = typeof label === 'number' ? [label]
      : label instanceof NDArray ? Array.from(label.dataSync() as ArrayLike<number>, Number)
        : Array.isArray(label) || ArrayBuffer.isView(label) ? Array.from(label as ArrayLike<number>) : null;
    if (values === null || values.length !== lw) {
      throw new IsotensorError(`${OP}: image ${this.locate()} has ${values === null ? `a label of type ${kindOf(label)}` : `${values.length} label(s)`} ` +
                               `but labelWidth is ${lw}`);
    }
    for (let k = 0; k < lw; k++) batch[i * lw + k] = values[k]!;
  }

  /** Fills slots start.. of the batch; returns how many are filled (0: nothing was left). */
  private batchify(data: Float32Array, label: Float32Array, start: number): number {
    const [c, h, w] = this.dataShape;
    const plane = h * w, size = c * plane;
    const host = this.hostPath();
    let i = start;
    withBatchRng(this.epochSeed, this.batchNo++, () => {
      while (i < this.batchSize) {
        const sample = this.nextSample();
        if (sample === null) break;
        const [lab, s] = sample;
        let img: HostTensor;
        if (host !== null) {
          img = host.reduce((x, f) => f(x, imageRng), this.decodeHost(s));
          const sh = img.shape;
          if (sh.length !== 3 || sh[0] !== h || sh[1] !== w || sh[2] !== c) {
            throw new IsotensorError(`${OP}: the augmenters made an image of shape (${sh.join(', ')}), but dataShape (${c}, ${h}, ${w}) ` +
                                     `needs (${h}, ${w}, ${c}) (crop or resize to the data shape)`);
          }
          const src = img.data as ArrayLike<number>;
          for (let p = 0; p < plane; p++) for (let ch = 0; ch < c; ch++) data[i * size + ch * plane + p] = src[p * c + ch]!;
        } else {
          const decoded = this.imdecode(s);
          this.checkValidImage(decoded);
          const out = this.postprocessData(this.augmentationTransform(decoded));
          if (!(out instanceof NDArray) || out.ndim !== 3 || out.shape[0] !== c || out.shape[1] !== h || out.shape[2] !== w) {
            throw new IsotensorError(`${OP}: an augmented, postprocessed image must be (${c}, ${h}, ${w}) (dataShape), got ` +
                                     `${out instanceof NDArray ? `shape (${out.shape.join(', ')})` : kindOf(out)}`);
          }
          const t = ndToHost(out, false);
          if (t.dtype === 'int64' || t.dtype === 'uint64') data.set(Float32Array.from(t.data as BigInt64Array, Number), i * size);
          else data.set(t.data as Float32Array, i * size);
        }
        this.storeLabel(label, i, lab);
        i += 1;
      }
    });
    return i;
  }

  override iterNext(): boolean {
    const [c, h, w] = this.dataShape;
    const bs = this.batchSize;
    const b = this.assembly.next(bs, () => ({ data: new Float32Array(bs * c * h * w), label: new Float32Array(bs * this.labelWidth) }),
                                 (data, label, start) => this.batchify(data, label, start));
    this.current = b === null ? null : new DataBatch(
      [array(b.data, { shape: [bs, c, h, w], dtype: 'float32' })],
      [array(b.label, { shape: this.labelWidth > 1 ? [bs, this.labelWidth] : [bs], dtype: 'float32' })], { pad: b.pad });
    return this.current !== null;
  }
}
