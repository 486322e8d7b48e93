// ImageDetRecordIter: MXNet's C++ detection RecordIO iterator (src/io/iter_image_det_recordio.cc).
// SPDX-License-Identifier: Apache-2.0
//
// As MXNet 1.9's PrefetcherIter(BatchLoader(ImageDetNormalizeIter(ImageDetRecordIter))): each record is
// decoded (gray for data_shape[0] 1, BGR for 3, BGRA for 4), its detection label taken from path_imglist (by
// the header's id) or the header's labels, and both go through the detection augmenter (image_det_aug.ts).
// The image (RGB(A), float32) is written at the top left of a zero (C, H, W) slot (shrink/fit leave the rest
// 0), then mean (mean_r/g/b/a when any is > 0, else the mean image) is subtracted from the whole slot, channels
// are divided by std_r/g/b/a where > 0, and the result is times `scale`. The label of each example is
// (label_pad_width + 4) values: channels, rows, cols of the augmented image, the label's length, the label
// ([header_width, object_width, header..., objects...]), then label_pad_value; label_pad_width 0 takes the
// widest label of the list or of this part of the file (a larger one is an error). Batches are (B, C, H, W)
// and (B, label_pad_width + 4); `shuffle` shuffles each chunk's examples with std::mt19937(233 + seed);
// round_batch (default) completes the last batch from the start and the next epoch goes on from there.
// Augmentation draws from std::mt19937(233), MXNet's first decoding thread (MXNet runs min(preprocess_threads,
// cores - 1) threads seeded 233 * (i + 1), so seeded runs match MXNet's with preprocess_threads 1).
import { IsotensorError, kindOf } from '../base/error.js';
import { decodeLikeOpenCV, swapRedBlue } from '../image/decode.js';
import { array } from '../ndarray/creation.js';
import { unpack } from '../recordio/image_record.js';
import { BatchBuildingIter } from './batch_building_iter.js';
import { DataBatch } from './data_batch.js';
import { DataDesc } from './data_desc.js';
import { DefaultImageDetAugmenter, DET_AUG_PARAMS, DET_CROP_LISTS, takeCropLists } from './image_det_aug.js';
import type { Img } from './image_record_aug.js';
import { RecordSource } from './image_record_source.js';
import { BATCH_PARAMS, COMMON_PARAMS, iterParams, type IterSource, type ParamSpec } from './iter_params.js';
import { readSource } from './iter_source.js';
import { meanImage } from './mean_image.js';
import { MT19937 } from './mt19937.js';

const f32 = Math.fround;
/** MXNet's kRandMagic of the detection parser and iterator. */
const RAND_MAGIC = 233;
const NAME = 'ImageDetRecordIter';

/**
 * Parameters of ImageDetRecordIter: MXNet's keyword arguments, as snake_case (pasted from Python) or
 * camelCase keys. Paths are Node paths; path_imgrec and path_imglist may also be the files' bytes.
 * The crop lists (min_crop_scales ... max_crop_trials) take a number or one number per crop sampler.
 */
export interface ImageDetRecordIterOptions {
  [key: string]: unknown;
  path_imgrec?: IterSource;
  pathImgrec?: IterSource;
  path_imglist?: IterSource | null;
  pathImglist?: IterSource | null;
  data_shape?: number[];
  dataShape?: number[];
  batch_size?: number;
  batchSize?: number;
  label_width?: number;
  labelWidth?: number;
  label_pad_width?: number;
  labelPadWidth?: number;
  label_pad_value?: number;
  labelPadValue?: number;
  shuffle?: boolean;
  seed?: number;
  round_batch?: boolean;
  roundBatch?: boolean;
  resize_mode?: 'force' | 'shrink' | 'fit';
  resizeMode?: 'force' | 'shrink' | 'fit';
  dtype?: 'float32' | null;
}

const PARSER_PARAMS: readonly ParamSpec[] = [
  { name: 'path_imglist', kind: 'source', default: null },
  { name: 'path_imgrec', kind: 'source', default: './data/imgrec.rec' },
  { name: 'aug_seq', kind: 'string', default: 'det_aug_default', oneOf: ['det_aug_default'] },
  // -1 (or any value <= 0): labels of any width.
  { name: 'label_width', kind: 'int', default: -1 },
  { name: 'data_shape', kind: 'shape' },
  // Accepted for compatibility: records are decoded on the calling thread.
  { name: 'preprocess_threads', kind: 'int', default: 4, min: 1 },
  { name: 'verbose', kind: 'bool', default: true },
  { name: 'num_parts', kind: 'int', default: 1, min: 1 },
  { name: 'part_index', kind: 'int', default: 0, min: 0 },
  { name: 'shuffle_chunk_size', kind: 'int', default: 0, min: 0 },
  { name: 'shuffle_chunk_seed', kind: 'int', default: 0 },
  { name: 'label_pad_width', kind: 'int', default: 0 },
  { name: 'label_pad_value', kind: 'float', default: -1 },
  { name: 'shuffle', kind: 'bool', default: false },
  { name: 'seed', kind: 'int', default: 0 },
  // The prefetcher's output type: MXNet copies the float32 batch without converting, so only float32 works there.
  { name: 'dtype', kind: 'string', default: 'float32' },
];

const NORMALIZE_PARAMS: readonly ParamSpec[] = [
  { name: 'mean_img', kind: 'source', default: null },
  { name: 'mean_r', kind: 'float', default: 0 },
  { name: 'mean_g', kind: 'float', default: 0 },
  { name: 'mean_b', kind: 'float', default: 0 },
  { name: 'mean_a', kind: 'float', default: 0 },
  { name: 'std_r', kind: 'float', default: 0 },
  { name: 'std_g', kind: 'float', default: 0 },
  { name: 'std_b', kind: 'float', default: 0 },
  { name: 'std_a', kind: 'float', default: 0 },
  { name: 'scale', kind: 'float', default: 1 },
];

// The crop lists are parsed by takeCropLists; listing them here keeps them among the known keys in errors.
const LIST_PLACEHOLDERS: readonly ParamSpec[] = DET_CROP_LISTS.map((s) => ({ name: s.name, kind: 'intList', default: s.default }));

const SPECS: readonly ParamSpec[] = [...PARSER_PARAMS, ...BATCH_PARAMS, ...DET_AUG_PARAMS, ...LIST_PLACEHOLDERS,
  ...NORMALIZE_PARAMS, ...COMMON_PARAMS];

/** One decoded, augmented, normalized example. */
interface Example {
  data: Float32Array;
  label: Float32Array;
  id: number;
}

/**
 * MXNet's ImageDetLabelMap: an im2rec .lst file, each line the image index, its labels and the path
 * (whitespace separated); `width` > 0 takes that many labels, otherwise every value between index and path.
 */
function labelMap(src: IterSource, width: number): Map<number, Float32Array> {
  const text = new TextDecoder().decode(readSource(NAME, 'path_imglist', src));
  const map = new Map<number, Float32Array>();
  text.split(/\r?\n/).forEach((line, i) => {
    const f = line.trim().split(/\s+/);
    if (f.length === 1 && f[0] === '') return;
    const fail = (what: string): never => {
      throw new IsotensorError(`${NAME}: path_imglist line ${i + 1}: bad image list format (${what})`);
    };
    const fields = width > 0 ? f.slice(1, width + 1) : f.slice(1, -1);
    if (width > 0 && f.length < width + 1) fail(`expected an index and ${width} label(s)`);
    if (fields.length === 0) fail('empty label: expected an index, labels and the image path');
    const nums = fields.map(Number);
    const index = Number(f[0]);
    if (!(index >= 0) || nums.some((v) => !Number.isFinite(v))) fail(`expected numbers, got '${line.trim()}'`);
    map.set(Math.trunc(index), Float32Array.from(nums));
  });
  return map;
}

/**
 * Reads batches of images and detection labels from a RecordIO (.rec) file, as MXNet's mx.io.ImageDetRecordIter.
 * Labels are [header_width, object_width, header..., (class, xmin, ymin, xmax, ymax, extra...) per object]
 * with corners relative to the image; each batch label row starts with the image's (channels, rows, cols)
 * and the label's length.
 * @example
 * ```ts
 * const it = new mx.io.ImageDetRecordIter({ path_imgrec: 'train.rec', data_shape: [3, 300, 300], batch_size: 32,
 *                                           rand_crop_prob: 0.5, min_crop_scales: 0.3, min_crop_overlaps: 0.5,
 *                                           rand_pad_prob: 0.5, max_pad_scale: 4, rand_mirror_prob: 0.5,
 *                                           mean_r: 123.68, mean_g: 116.28, mean_b: 103.53 });
 * for (const batch of it) { ... }   // batch.label[0]: (32, label_pad_width + 4)
 * ```
 */
export class ImageDetRecordIter extends BatchBuildingIter {
  protected readonly iterName = NAME;
  readonly dataShape: [number, number, number];
  /** Width of each label row: label_pad_width (given or estimated) + 4. */
  readonly labelWidth: number;
  /** label_pad_width after estimation. */
  readonly labelPadWidth: number;
  readonly roundBatch: boolean;
  readonly dataName: string;
  readonly labelName: string;
  /** Number of records in this part of the file. */
  readonly numExamples: number;
  private readonly p: Record<string, any>;
  private readonly source: RecordSource;
  private readonly aug: DefaultImageDetAugmenter;
  private readonly labels: Map<number, Float32Array> | null;
  /** The decoding thread's engine (augmentation) and the iterator's (example order). */
  private readonly prnd = new MT19937(RAND_MAGIC);
  private readonly rnd: MT19937;
  private meanImg: Float32Array | null = null;
  private readonly unit: number;
  // The batch being filled (reused: slots a short batch does not fill keep older values, as in MXNet).
  private readonly dataBuf: Float32Array;
  private readonly labelBuf: Float32Array;
  private readonly indexBuf: number[];
  private insts: Example[] = [];
  private instPos = 0;
  private overflow = 0;

  constructor(opts: ImageDetRecordIterOptions) {
    if (opts === undefined || opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
      throw new IsotensorError(`${NAME}: expected one options object of parameters, got ${kindOf(opts)}`);
    }
    const [rest, lists] = takeCropLists(NAME, opts as Record<string, unknown>);
    if (rest.dtype === null) delete rest.dtype;
    const p = iterParams(NAME, SPECS, rest) as Record<string, any>;
    super(p.batch_size as number);
    this.p = p;
    if (p.dtype !== 'float32') {
      throw new IsotensorError(`${NAME}: dtype must be 'float32' or null (MXNet's prefetcher copies the float32 batch ` +
                               `without converting it), got '${p.dtype}'`);
    }
    if (p.data_shape.length !== 3) throw new IsotensorError(`${NAME}: data_shape must be (channels, height, width), got (${p.data_shape.join(', ')})`);
    this.dataShape = p.data_shape as [number, number, number];
    if (![1, 3, 4].includes(this.dataShape[0])) throw new IsotensorError(`${NAME}: data_shape[0] (channels) must be 1, 3 or 4, got ${this.dataShape[0]}`);
    if (p.path_imgrec === null || p.path_imgrec === '') throw new IsotensorError(`${NAME}: path_imgrec (the .rec file) is required`);
    if (p.part_index >= p.num_parts) throw new IsotensorError(`${NAME}: part_index ${p.part_index} must be < num_parts ${p.num_parts}`);
    if (p.shuffle_chunk_size > 0) {
      throw new IsotensorError(`${NAME}: shuffle_chunk_size is not supported (dmlc's chunk-shuffling reader); use shuffle`);
    }
    this.roundBatch = p.round_batch;
    this.dataName = p.data_name;
    this.labelName = p.label_name;
    this.aug = new DefaultImageDetAugmenter(NAME, p, lists, this.dataShape);
    this.labels = p.path_imglist === null || p.path_imglist === '' ? null : labelMap(p.path_imglist, p.label_width);
    this.source = new RecordSource(NAME, p.path_imgrec, null, p.num_parts, p.part_index, false, 0, this.batchSize);
    this.numExamples = this.source.length;
    this.labelPadWidth = this.estimatePadWidth();
    this.labelWidth = this.labelPadWidth + 4;
    this.rnd = new MT19937(RAND_MAGIC + p.seed);
    this.unit = this.dataShape[0] * this.dataShape[1] * this.dataShape[2];
    this.dataBuf = new Float32Array(this.batchSize * this.unit);
    this.labelBuf = new Float32Array(this.batchSize * this.labelWidth);
    this.indexBuf = new Array<number>(this.batchSize).fill(0);
    if (p.mean_img !== null && p.mean_img !== '') this.initMeanImg(p.mean_img);
  }

  /** MXNet's label padding width: the widest label (list or records of this part), checked against label_pad_width. */
  private estimatePadWidth(): number {
    const p = this.p;
    let widest = 0;
    if (this.labels !== null) {
      for (const l of this.labels.values()) widest = Math.max(widest, l.length);
    } else {
      for (let chunk = this.source.nextChunk(); chunk !== null; chunk = this.source.nextChunk()) {
        for (const rec of chunk) {
          const [header] = unpack(this.source.read(rec));
          widest = Math.max(widest, this.recordLabel(header.label, header.id).length);
        }
      }
      this.source.beforeFirst();
    }
    if (widest > p.label_pad_width) {
      if (p.label_pad_width > 0) {
        throw new IsotensorError(`${NAME}: label_pad_width ${p.label_pad_width} is smaller than the widest label (${widest} values)`);
      }
      return widest;
    }
    return p.label_pad_width;
  }

  /** A record header's labels, checked against label_width. */
  private recordLabel(label: number | ArrayLike<number>, id: number): ArrayLike<number> {
    if (typeof label === 'number') {
      throw new IsotensorError(`${NAME}: record ${id} holds no detection label (pack the labels in the record header ` +
                               'or give path_imglist): not enough label packed in img_list or rec file');
    }
    if (this.p.label_width > 0 && label.length !== this.p.label_width) {
      throw new IsotensorError(`${NAME}: the rec file provides ${label.length}-dimensional labels but label_width is ${this.p.label_width}`);
    }
    return label;
  }

  get provideData(): DataDesc[] {
    return [new DataDesc(this.dataName, [this.batchSize, ...this.dataShape], 'float32')];
  }

  get provideLabel(): DataDesc[] {
    return [new DataDesc(this.labelName, [this.batchSize, this.labelWidth], 'float32')];
  }

  /** MXNet's BatchLoader::BeforeFirst: after a batch completed from the start (round_batch), the next epoch goes on from there. */
  reset(): void {
    this.current = null;
    if (!this.roundBatch || this.overflow === 0) this.rewind();
    else this.overflow = 0;
  }

  /** The record iterator's BeforeFirst. */
  private rewind(): void {
    this.source.beforeFirst();
    this.insts = [];
    this.instPos = 0;
  }

  /** Decodes a record's image as cv::imdecode with MXNet's flag for data_shape[0]. */
  private decode(payload: Uint8Array, id: number): Img {
    const c = this.dataShape[0];
    let img;
    try {
      img = decodeLikeOpenCV(payload, c === 1 ? 'gray' : c === 3 ? 'color' : 'unchanged');
    } catch (e) {
      throw new IsotensorError(`${NAME}: cannot decode the image of record ${id}: ${(e as Error).message}`, { cause: e });
    }
    const { width: w, height: h } = img;
    if (img.channels !== c) {
      // MXNet's CHECK after cv::imdecode(buf, -1): data_shape[0] 4 takes only images with alpha.
      throw new IsotensorError(`${NAME}: invalid image with index ${id}: expected ${c} channels, got ${img.channels} ` +
                               '(data_shape[0] 4 needs images with alpha: RGBA, gray+alpha or tRNS PNGs, or WebPs with alpha)');
    }
    return { data: c === 1 ? img.data : swapRedBlue(img.data, c), h, w, c };
  }

  /** One record: decode, label, augment, then the label row and the normalized (C, H, W) slot. */
  private parseRecord(rec: number): Example {
    const [header, payload] = unpack(this.source.read(rec));
    const id = header.id;
    const img = this.decode(payload, id);
    let raw: ArrayLike<number>;
    if (this.labels !== null) {
      const l = this.labels.get(id);
      if (l === undefined) throw new IsotensorError(`${NAME}: path_imglist has no label for image id ${id}`);
      raw = l;
    } else {
      raw = this.recordLabel(header.label, id);
    }
    const { img: res, label } = this.aug.process(img, raw, id, this.prnd);
    const [c, h, w] = this.dataShape;
    if (res.c !== c || res.h > h || res.w > w) {
      throw new IsotensorError(`${NAME}: record ${id} is ${res.w}x${res.h} with ${res.c} channel(s) after augmentation, ` +
                               `more than data_shape (${c}, ${h}, ${w}) holds`);
    }
    if (label.length > this.labelPadWidth) {
      throw new IsotensorError(`${NAME}: record ${id}'s label has ${label.length} values, more than label_pad_width ${this.labelPadWidth}`);
    }
    const row = new Float32Array(this.labelWidth).fill(this.p.label_pad_value);
    row[0] = res.c;
    row[1] = res.h;
    row[2] = res.w;
    row[3] = label.length;
    row.set(label, 4);
    const data = new Float32Array(this.unit);
    const plane = h * w;
    const swap = c === 1 ? [0] : c === 3 ? [2, 1, 0] : [2, 1, 0, 3];
    for (let i = 0; i < res.h; i++) {
      for (let j = 0; j < res.w; j++) {
        const s = (i * res.w + j) * c;
        for (let k = 0; k < c; k++) data[k * plane + i * w + j] = res.data[s + swap[k]!]!;
      }
    }
    this.normalize(data);
    return { data, label: row, id };
  }

  /** MXNet's ImageDetNormalizeIter::SetOutImg, in place on a (C, H, W) slot. */
  private normalize(data: Float32Array): void {
    const p = this.p;
    const c = this.dataShape[0], plane = this.dataShape[1] * this.dataShape[2];
    const keys = ['r', 'g', 'b', 'a'];
    // Channels a parameter reaches: r alone for gray, r/g/b for color, all four with alpha.
    const used = c === 1 ? [0] : c === 3 ? [0, 1, 2] : [0, 1, 2, 3];
    const mean = keys.map((k) => f32(p[`mean_${k}`]));
    const std = keys.map((k) => f32(p[`std_${k}`]));
    if (mean.some((m) => m > 0)) {
      for (const k of used) for (let i = k * plane; i < (k + 1) * plane; i++) data[i] = f32(data[i]! - mean[k]!);
    } else if (this.meanImg !== null) {
      const m = this.meanImg;
      for (let i = 0; i < data.length; i++) data[i] = f32(data[i]! - m[i]!);
    }
    for (const k of used) {
      if (std[k]! > 0) for (let i = k * plane; i < (k + 1) * plane; i++) data[i] = f32(data[i]! / std[k]!);
    }
    const scale = f32(p.scale);
    for (let i = 0; i < data.length; i++) data[i] = f32(data[i]! * scale);
  }

  /** The next example (MXNet's ImageDetRecordIter::Next): a chunk parsed at a time, its order shuffled when asked. */
  private nextExample(): Example | null {
    for (;;) {
      if (this.instPos < this.insts.length) return this.insts[this.instPos++]!;
      const chunk = this.source.nextChunk();
      if (chunk === null) return null;
      this.insts = chunk.map((rec) => this.parseRecord(rec));
      if (this.p.shuffle) this.rnd.shuffle(this.insts);
      this.instPos = 0;
    }
  }

  private put(slot: number, ex: Example): void {
    this.dataBuf.set(ex.data, slot * this.unit);
    this.labelBuf.set(ex.label, slot * this.labelWidth);
    this.indexBuf[slot] = ex.id;
  }

  /** MXNet's BatchLoader::Next. */
  iterNext(): boolean {
    this.current = null;
    if (this.overflow !== 0) return false;
    const bs = this.batchSize;
    let top = 0;
    while (top < bs) {
      const ex = this.nextExample();
      if (ex === null) break;
      this.put(top++, ex);
    }
    let pad = 0;
    if (top === 0) return false;
    if (top < bs) {
      if (this.roundBatch) {
        this.rewind();
        for (; top < bs; top++, this.overflow++) {
          const ex = this.nextExample();
          if (ex === null) throw new IsotensorError(`${NAME}: the number of images (${this.numExamples}) must be bigger than the batch size (${bs})`);
          this.put(top, ex);
        }
        pad = this.overflow;
      } else {
        pad = bs - top;
      }
    }
    const data = array(this.dataBuf, { shape: [bs, ...this.dataShape], dtype: 'float32' });
    const label = array(this.labelBuf, { shape: [bs, this.labelWidth], dtype: 'float32' });
    this.current = new DataBatch([data], [label], { pad, index: [...this.indexBuf] });
    return true;
  }

  /** Closes the record file. */
  close(): void {
    this.source.close();
  }

  /** mean_img, read or (a path that does not exist yet) computed over every example (augmented, divided by std, times scale). */
  private initMeanImg(src: IterSource): void {
    const examples = function* (this: ImageDetRecordIter): Iterable<ArrayLike<number>> {
      for (let ex = this.nextExample(); ex !== null; ex = this.nextExample()) yield ex.data;
    }.bind(this);
    const { mean, computed } = meanImage(NAME, src, this.dataShape, examples);
    this.meanImg = mean;
    if (computed) this.rewind();
  }
}
