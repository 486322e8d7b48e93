// MXNet's mx.image.ImageDetIter: batches of augmented images and padded box labels for object detection.
// SPDX-License-Identifier: Apache-2.0
//
// A port of python/mxnet/image/detection.py's ImageDetIter. Reading (record files, image lists,
// shuffling, partitions) is an mx.image.ImageIter's: the iterator holds one, built without augmenters,
// and asks it for samples; TypeScript cannot override ImageIter's one-argument augmentationTransform
// with MXNet's (data, label) one, so ImageDetIter is a DataIter of its own with ImageIter's members.
// A record's label is the detection layout [header width A, object width B, extra header..., then
// objects of B values [class, xmin, ymin, xmax, ymax, ...]]; batches hold labels
// (batchSize, max objects, B) padded with -1, the max taken over the whole data set at construction.
import { IsotensorError, kindOf, optionsOf, show } from '../base/error.js';
import { ndToHost } from '../gluon/data/describe.js';
import { hostTensor, type HostTensor } from '../gluon/data/host/host_tensor.js';
import { withBatchRng } from '../gluon/data/host/rng.js';
import { DataBatch } from '../io/data_batch.js';
import { DataDesc } from '../io/data_desc.js';
import { BatchBuildingIter } from '../io/batch_building_iter.js';
import { array } from '../ndarray/creation.js';
import { NDArray } from '../ndarray/ndarray.js';
import { camelOptions } from './create_augmenter.js';
import { CreateDetAugmenter, DET_AUGMENTER_OPTIONS, type CreateDetAugmenterOptions } from './create_det_augmenter.js';
import { convertPixels, decodeImage } from './decode.js';
import { DetAugmenter, detLabelHost, type DetHostAugFn } from './detection_augmenter.js';
import { ImageIter, type ImageIterSource, type ImgListEntry } from './image_iter.js';
import { drawSeed, imageRng } from './image_rng.js';
import { LastBatchAssembly, type LastBatchHandle } from './last_batch.js';

/** Options of ImageDetIter (MXNet's keyword arguments; snake_case keys are accepted too), plus CreateDetAugmenter's. */
export interface ImageDetIterOptions extends CreateDetAugmenterOptions {
  /** The .rec file (im2rec's output, or mx.recordio's) with detection labels. */
  pathImgrec?: ImageIterSource | null;
  /** An image list file: `index\tlabels...\tpath` lines (paths relative to pathRoot). */
  pathImglist?: string | null;
  /** The list in memory: [[labels...], path] entries (keys 1, 2, ...). */
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
  /** The detection augmenters (default: CreateDetAugmenter(dataShape, the augmenter options)). */
  augList?: readonly DetAugmenter[] | null;
  /** Name of the data (default 'data') and label (default 'label') inputs. */
  dataName?: string;
  labelName?: string;
  /** 'pad' (default): fill the last batch from the start; 'discard': drop it; 'roll_over': finish it with the next epoch's first images. */
  lastBatchHandle?: 'pad' | 'discard' | 'roll_over';
}

const ITER_OPTIONS = [
  'pathImgrec', 'pathImglist', 'imglist', 'pathRoot', 'pathImgidx', 'shuffle', 'partIndex', 'numParts', 'augList',
  'dataName', 'labelName', 'lastBatchHandle',
] as const;

const OP = 'ImageDetIter';

/** A sample that MXNet skips (its RuntimeError): a bad image or label. */
class InvalidSample extends IsotensorError {}

type Sample = [number | Float32Array | Float64Array | number[] | NDArray, Uint8Array];

/**
 * Batches of augmented images and box labels, as MXNet's mx.image.ImageDetIter: data (B, C, H, W)
 * float32 and labels (B, max objects, object width) float32, rows past an image's objects filled with -1.
 * Images whose label has no valid box are skipped.
 * @example
 * ```ts
 * const it = new mx.image.ImageDetIter(32, [3, 300, 300], { pathImgrec: 'train.rec', pathImgidx: 'train.idx',
 *   shuffle: true, randCrop: 0.5, randPad: 0.5, randMirror: true, mean: true, std: true });
 * for (const batch of it) { ... }  // batch.label[0]: (32, it.labelShape[0], it.labelShape[1])
 * ```
 */
export class ImageDetIter extends BatchBuildingIter {
  protected readonly iterName = OP;
  /** (C, H, W) of the batches' images. */
  dataShape: [number, number, number];
  /** (max objects, object width) of each image's label. */
  labelShape: [number, number];
  /** The detection augmenters run on each sample. */
  auglist: DetAugmenter[];
  readonly lastBatchHandle: LastBatchHandle;
  /** The ImageIter that reads the samples (its augmenters are unused). */
  readonly reader: ImageIter;
  private readonly dataName: string;
  private readonly labelName: string;
  private readonly assembly: LastBatchAssembly;
  private epochSeed = 0;
  private batchNo = 0;

  constructor(batchSize: number, dataShape: readonly number[], opts: ImageDetIterOptions = {}) {
    const all = camelOptions(optionsOf(opts, OP), [...ITER_OPTIONS, ...DET_AUGMENTER_OPTIONS], OP) as ImageDetIterOptions;
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new IsotensorError(`${OP}: argument 'batchSize' must be a positive integer, got ${show(batchSize)}`);
    super(batchSize);
    this.dataShape = ImageIter.checkDataShape(dataShape);
    if (all.augList !== undefined && all.augList !== null &&
        (!Array.isArray(all.augList) || !all.augList.every((a) => a instanceof DetAugmenter))) {
      throw new IsotensorError(`${OP}: option 'augList' must be a list of mx.image DetAugmenters, got ${show(all.augList)}`);
    }
    const augOpts = Object.fromEntries(Object.entries(all).filter(([k]) => (DET_AUGMENTER_OPTIONS as readonly string[]).includes(k)));
    if (all.augList !== undefined && all.augList !== null && Object.keys(augOpts).length > 0) {
      throw new IsotensorError(`${OP}: augmenter options (${Object.keys(augOpts).join(', ')}) are used only without 'augList'`);
    }
    const readerOpts = Object.fromEntries(Object.entries(all).filter(([k]) => (ITER_OPTIONS as readonly string[]).includes(k) && k !== 'augList'));
    // The reader checks the sources and the reading options; its label options are MXNet's ImageIter defaults.
    this.reader = new ImageIter(batchSize, this.dataShape, { ...readerOpts, augList: [], labelName: all.labelName ?? 'label' });
    this.lastBatchHandle = this.reader.lastBatchHandle;
    this.assembly = new LastBatchAssembly(this.lastBatchHandle);
    this.dataName = all.dataName ?? 'data';
    this.labelName = all.labelName ?? 'label';
    this.auglist = all.augList ? [...all.augList] : CreateDetAugmenter(this.dataShape, augOpts as CreateDetAugmenterOptions);
    this.labelShape = this.estimateLabelShape();
  }

  /** The record file, or null for image lists. */
  get imgrec(): ImageIter['imgrec'] { return this.reader.imgrec; }
  /** The keys of the .idx file, or null. */
  get imgidx(): number[] | null { return this.reader.imgidx; }
  /** key → [labels, path] of image lists, or null. */
  get imglist(): ImageIter['imglist'] { return this.reader.imglist; }
  /** The keys read in order (shuffled at reset), or null when a record file is read sequentially. */
  get seq(): number[] | null { return this.reader.seq; }
  /** Position in seq. */
  get cur(): number { return this.reader.cur; }
  get numImage(): number | null { return this.reader.numImage; }
  get shuffle(): boolean { return this.reader.shuffle; }
  get pathRoot(): string | null { return this.reader.pathRoot; }

  /** MXNet's _estimate_label_shape: the most objects any image has, and the (last) object width. */
  private estimateLabelShape(): [number, number] {
    let maxCount = 0;
    let last: HostTensor | null = null;
    this.reset();
    for (let s = this.nextSample(); s !== null; s = this.nextSample()) {
      last = this.parseLabel(s[0]);
      maxCount = Math.max(maxCount, last.shape[0]!);
    }
    this.reset();
    if (last === null) throw new IsotensorError(`${OP}: the data has no images, so there is no label shape`);
    return [maxCount, last.shape[1]!];
  }

  get provideData(): DataDesc[] {
    return [new DataDesc(this.dataName, [this.batchSize, ...this.dataShape])];
  }

  get provideLabel(): DataDesc[] {
    return [new DataDesc(this.labelName, [this.batchSize, ...this.labelShape])];
  }

  /** Back to the start (a rolled-over partial batch is kept for the next one). */
  reset(): void {
    this.reader.reset();
    this.epochSeed = drawSeed();
    this.batchNo = 0;
    this.current = null;
    this.assembly.reset();
  }

  /** Back to the start, dropping any rolled-over images. */
  hardReset(): void {
    this.reader.hardReset();
    this.epochSeed = drawSeed();
    this.batchNo = 0;
    this.current = null;
    this.assembly.hardReset();
  }

  /** The next image's raw label and encoded bytes, or null at the end of the data (MXNet's next_sample). */
  nextSample(): Sample | null {
    if (!this.assembly.allowRead) return null;
    return this.reader.nextSample();
  }

  /** The bytes of an image file under pathRoot (MXNet's read_image). */
  readImage(fname: string): Uint8Array {
    return this.reader.readImage(fname);
  }

  /** Decodes an image's bytes to an (H, W, 3) uint8 RGB NDArray (MXNet's imdecode). */
  imdecode(s: Uint8Array): NDArray {
    return this.reader.imdecode(s);
  }

  /** Checks a decoded image (MXNet's check_valid_image). */
  checkValidImage(data: NDArray): void {
    this.reader.checkValidImage(data);
  }

  /** Runs the detection augmenters on an image and its (objects, width) label (MXNet's augmentation_transform). */
  augmentationTransform(data: NDArray, label: NDArray): [NDArray, NDArray] {
    return this.auglist.reduce<[NDArray, NDArray]>(([d, l], aug) => aug.call(d, l), [data, label]);
  }

  /** (H, W, C) → (C, H, W), the layout of the batch (MXNet's postprocess_data). */
  postprocessData(datum: NDArray): NDArray {
    return datum.transpose([2, 0, 1]);
  }

  /** A (C, H, W) shape with 3 channels (MXNet's check_data_shape). */
  checkDataShape(dataShape: unknown): [number, number, number] {
    return ImageIter.checkDataShape(dataShape);
  }

  /**
   * MXNet's _parse_label: a raw label [A, B, header..., objects of B values] as an (objects, B) float32
   * matrix, keeping the objects with xmax > xmin and ymax > ymin. @internal
   */
  parseLabel(label: unknown): HostTensor {
    const raw = label instanceof NDArray ? Float32Array.from(label.dataSync() as ArrayLike<number>, Number)
      : typeof label === 'number' ? Float32Array.of(label)
        : Array.isArray(label) || ArrayBuffer.isView(label) ? Float32Array.from(label as ArrayLike<number>) : null;
    if (raw === null) throw new InvalidSample(`${OP}: a label must be numbers, got ${kindOf(label)}`);
    if (raw.length < 7) throw new InvalidSample(`${OP}: label shape is invalid: ${raw.length} values, a detection label needs at least 7`);
    const headerWidth = Math.trunc(raw[0]!), objWidth = Math.trunc(raw[1]!);
    if (headerWidth < 2 || headerWidth > raw.length || objWidth < 5 || (raw.length - headerWidth) % objWidth !== 0) {
      throw new InvalidSample(`${OP}: label of ${raw.length} values is inconsistent with header width ${headerWidth} and ` +
                              `object width ${objWidth} (needs header >= 2, objects of >= 5 values filling the rest)`);
    }
    const rows: number[] = [];
    const n = (raw.length - headerWidth) / objWidth;
    for (let i = 0; i < n; i++) {
      const at = headerWidth + i * objWidth;
      if (raw[at + 3]! > raw[at + 1]! && raw[at + 4]! > raw[at + 2]!) rows.push(at);
    }
    if (rows.length === 0) throw new InvalidSample(`${OP}: encountered a sample with no valid box (xmax > xmin and ymax > ymin)`);
    const out = new Float32Array(rows.length * objWidth);
    rows.forEach((at, j) => out.set(raw.subarray(at, at + objWidth), j * objWidth));
    return hostTensor(out, [rows.length, objWidth], 'float32');
  }

  /** MXNet's _check_valid_label: (1+, 5+) with a row of class >= 0 and a proper box. */
  private checkValidLabel(label: HostTensor): void {
    const [n, k] = label.shape as [number, number];
    if (label.shape.length !== 2 || k < 5) throw new InvalidSample(`${OP}: label with shape (1+, 5+) required, got (${label.shape.join(', ')})`);
    const d = label.data as Float32Array;
    for (let i = 0; i < n; i++) {
      if (d[i * k]! >= 0 && d[i * k + 3]! > d[i * k + 1]! && d[i * k + 4]! > d[i * k + 2]!) return;
    }
    throw new InvalidSample(`${OP}: invalid label: no object with class >= 0 and a proper box`);
  }

  /** The augmenters as host functions, when the whole per-image path is the library's. */
  private hostPath(): DetHostAugFn[] | null {
    const proto = ImageDetIter.prototype;
    if (this.imdecode !== proto.imdecode || this.augmentationTransform !== proto.augmentationTransform ||
        this.postprocessData !== proto.postprocessData || this.checkValidImage !== proto.checkValidImage) return null;
    const fns = this.auglist.map((a) => a._hostFn());
    return fns.every((f) => f !== null) ? fns as DetHostAugFn[] : null;
  }

  private decodeHost(s: Uint8Array): HostTensor {
    try {
      const img = decodeImage(s);
      return hostTensor(convertPixels(img, 'RGB'), [img.height, img.width, 3], 'uint8');
    } catch (e) {
      throw new IsotensorError(`${OP}: broken image, ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  private storeLabel(batch: Float32Array, i: number, label: HostTensor): void {
    const [maxCount, width] = this.labelShape;
    const [n, k] = label.shape as [number, number];
    if (n > maxCount || k !== width) {
      throw new IsotensorError(`${OP}: an augmented label of shape (${n}, ${k}) does not fit the label shape (${maxCount}, ${width})`);
    }
    const slot = i * maxCount * width;
    batch.fill(-1, slot, slot + maxCount * width);
    batch.set(label.data as Float32Array, slot);
  }

  /** Fills slots start.. of the batch (MXNet's _batchify); returns how many are filled. */
  private batchify(data: Float32Array, label: Float32Array, start: number): number {
    const [c, h, w] = this.dataShape;
    const plane = h * w, size = c * plane;
    const host = this.hostPath();
    let i = start;
    withBatchRng(this.epochSeed, this.batchNo++, () => {
      while (i < this.batchSize) {
        const sample = this.nextSample();
        if (sample === null) break;
        const [raw, s] = sample;
        if (host !== null) {
          let img = this.decodeHost(s);
          let lab: HostTensor;
          try {
            lab = this.parseLabel(raw);
            for (const fn of host) [img, lab] = fn(img, lab, imageRng);
            this.checkValidLabel(lab);
          } catch (e) {
            if (e instanceof InvalidSample) continue;
            throw e;
          }
          const sh = img.shape;
          if (sh.length !== 3 || sh[0] !== h || sh[1] !== w || sh[2] !== c) {
            throw new IsotensorError(`${OP}: the augmenters made an image of shape (${sh.join(', ')}), but dataShape (${c}, ${h}, ${w}) ` +
                                     `needs (${h}, ${w}, ${c}) (force-resize to the data shape)`);
          }
          const src = img.data as ArrayLike<number>;
          for (let p = 0; p < plane; p++) for (let ch = 0; ch < c; ch++) data[i * size + ch * plane + p] = src[p * c + ch]!;
          this.storeLabel(label, i, lab);
        } else {
          let img = this.imdecode(s);
          let lab: HostTensor;
          try {
            try {
              this.checkValidImage(img);
            } catch (e) {
              if (e instanceof IsotensorError) throw new InvalidSample(e.message, { cause: e });
              throw e;
            }
            const parsed = this.parseLabel(raw);
            let labNd: NDArray = array(parsed.data as Float32Array, { shape: parsed.shape, dtype: 'float32' });
            [img, labNd] = this.augmentationTransform(img, labNd);
            lab = detLabelHost(labNd, OP);
            this.checkValidLabel(lab);
          } catch (e) {
            if (e instanceof InvalidSample) continue;
            throw e;
          }
          const out = this.postprocessData(img);
          if (!(out instanceof NDArray) || out.ndim !== 3 || out.shape[0] !== c || out.shape[1] !== h || out.shape[2] !== w) {
            throw new IsotensorError(`${OP}: an augmented, postprocessed image must be (${c}, ${h}, ${w}) (dataShape), got ` +
                                     `${out instanceof NDArray ? `shape (${out.shape.join(', ')})` : kindOf(out)}`);
          }
          const t = ndToHost(out, false);
          data.set(Float32Array.from(t.data as ArrayLike<number | bigint>, Number), i * size);
          this.storeLabel(label, i, lab);
        }
        i += 1;
      }
    });
    return i;
  }

  override iterNext(): boolean {
    const [c, h, w] = this.dataShape;
    const bs = this.batchSize;
    const [maxCount, width] = this.labelShape;
    const b = this.assembly.next(bs, () => ({ data: new Float32Array(bs * c * h * w), label: new Float32Array(bs * maxCount * width).fill(-1) }),
                                 (data, label, start) => this.batchify(data, label, start));
    this.current = b === null ? null : new DataBatch(
      [array(b.data, { shape: [bs, c, h, w], dtype: 'float32' })], [array(b.label, { shape: [bs, maxCount, width], dtype: 'float32' })], { pad: b.pad });
    return this.current !== null;
  }

  /** Checks a new label shape: (objects, width), no fewer objects, the same width (MXNet's check_label_shape). */
  checkLabelShape(labelShape: unknown): [number, number] {
    if (!Array.isArray(labelShape) || labelShape.length !== 2 || !labelShape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new IsotensorError(`${OP}.checkLabelShape: argument 'labelShape' must be (objects, width), two positive integers, got ${show(labelShape)}`);
    }
    if (labelShape[0] < this.labelShape[0]) {
      throw new IsotensorError(`${OP}.checkLabelShape: attempts to reduce the label count from ${this.labelShape[0]} to ${labelShape[0]}, not allowed`);
    }
    if (labelShape[1] !== this.labelShape[1]) {
      throw new IsotensorError(`${OP}.checkLabelShape: object width inconsistent: ${this.labelShape[1]} vs ${labelShape[1]}`);
    }
    return [labelShape[0], labelShape[1]];
  }

  /** Changes the data shape and/or the label shape (MXNet's reshape; null keeps one). */
  reshape(dataShape: readonly number[] | null = null, labelShape: readonly number[] | null = null): void {
    if (dataShape !== null) this.dataShape = this.checkDataShape(dataShape);
    if (labelShape !== null) this.labelShape = this.checkLabelShape(labelShape);
  }

  /**
   * Pads both iterators' labels to the larger object count (MXNet's sync_label_shape, for train and
   * validation iterators); returns `it`.
   */
  syncLabelShape(it: ImageDetIter, verbose = false): ImageDetIter {
    if (!(it instanceof ImageDetIter)) throw new IsotensorError(`${OP}.syncLabelShape: argument 'it' must be an ImageDetIter, got ${kindOf(it)}`);
    const mine = this.labelShape, theirs = it.labelShape;
    if (mine[1] !== theirs[1]) throw new IsotensorError(`${OP}.syncLabelShape: object width mismatch: ${mine[1]} vs ${theirs[1]}`);
    const maxCount = Math.max(mine[0], theirs[0]);
    if (maxCount > mine[0]) this.reshape(null, [maxCount, mine[1]]);
    if (maxCount > theirs[0]) it.reshape(null, [maxCount, theirs[1]]);
    if (verbose && maxCount > Math.min(mine[0], theirs[0])) console.info(`Resized label_shape to (${maxCount}, ${mine[1]}).`);
    return it;
  }
}
