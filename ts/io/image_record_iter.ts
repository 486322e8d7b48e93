// ImageRecordIter (+ ImageRecordUInt8Iter, ImageRecordInt8Iter): MXNet's C++ image RecordIO iterator (src/io/iter_image_recordio_2.cc).
// SPDX-License-Identifier: Apache-2.0
//
// Per record, as MXNet's ImageRecordIOParser2: decode (gray for data_shape[0] 1, BGR for 3, BGRA for 4),
// take the label (from path_imglist by the header's id, else the header's labels), run the default
// augmenter (image_record_aug.ts), then mirror (rand_mirror: a coin flip; mirror: always), swap to RGB(A)
// and, for float output, (pixel - mean) * contrast / std + illumination / std where
// contrast = (1 ± max_random_contrast) * scale and illumination = ±max_random_illumination * scale
// (mean from mean_r/g/b/a or the mean image). Batches are (B, C, H, W); the label is (B, label_width),
// (B,) when label_width is 1. With round_batch (default) the last batch of an epoch is completed from
// the start of the data and the reset() after it goes on from there, as MXNet does. Randomness is
// std::mt19937 seeded as MXNet seeds its first decoding thread (111, or per image with seed_aug;
// shuffling with 111 + seed), so seeded runs repeat. Two differences, both on purpose: `batch.index` holds
// the records' header ids (MXNet fills zeros), and without round_batch the last batch's `pad` counts its
// filler slots (MXNet reports 0 there, so predict would score the stale fillers).
import { IsotensorError } from '../base/error.js';
import { decodeLikeOpenCV, swapRedBlue } from '../image/decode.js';
import { array } from '../ndarray/creation.js';
import { unpack } from '../recordio/image_record.js';
import { BatchBuildingIter } from './batch_building_iter.js';
import { DataBatch } from './data_batch.js';
import { DataDesc } from './data_desc.js';
import { AUG_PARAMS, DefaultImageAugmenter, type Img } from './image_record_aug.js';
import { RecordSource } from './image_record_source.js';
import { BATCH_PARAMS, COMMON_PARAMS, iterParams, type IterSource, type ParamSpec } from './iter_params.js';
import { readSource } from './iter_source.js';
import { meanImage } from './mean_image.js';
import { MT19937 } from './mt19937.js';

const f32 = Math.fround;
const RAND_MAGIC = 111;

/** Output element types MXNet's ImageRecordIter supports. */
export type ImageRecordDType = 'float32' | 'uint8' | 'int8';

/**
 * Parameters of ImageRecordIter: MXNet's keyword arguments, as snake_case (pasted from Python) or
 * camelCase keys. Paths are Node paths; path_imgrec, path_imgidx and path_imglist may also be the files' bytes.
 */
export interface ImageRecordIterOptions {
  [key: string]: unknown;
  path_imgrec?: IterSource;
  pathImgrec?: IterSource;
  path_imgidx?: IterSource | null;
  pathImgidx?: IterSource | null;
  path_imglist?: IterSource | null;
  pathImglist?: IterSource | null;
  data_shape?: number[];
  dataShape?: number[];
  batch_size?: number;
  batchSize?: number;
  label_width?: number;
  labelWidth?: number;
  shuffle?: boolean;
  seed?: number;
  round_batch?: boolean;
  roundBatch?: boolean;
  dtype?: ImageRecordDType | null;
}

const PARSER_PARAMS: readonly ParamSpec[] = [
  { name: 'path_imglist', kind: 'source', default: null },
  { name: 'path_imgrec', kind: 'source', default: null },
  { name: 'path_imgidx', kind: 'source', default: null },
  { name: 'aug_seq', kind: 'string', default: 'aug_default', oneOf: ['aug_default'] },
  { name: 'label_width', kind: 'int', default: 1, min: 1 },
  { name: 'data_shape', kind: 'shape' },
  // Accepted for compatibility: records are decoded on the calling thread.
  { name: 'preprocess_threads', kind: 'int', default: 4, min: 1 },
  { name: 'verbose', kind: 'bool', default: true },
  { name: 'num_parts', kind: 'int', default: 1, min: 1 },
  { name: 'part_index', kind: 'int', default: 0, min: 0 },
  { name: 'device_id', kind: 'int', default: 0, min: -1 },
  { name: 'shuffle_chunk_size', kind: 'int', default: 0, min: 0 },
  { name: 'shuffle_chunk_seed', kind: 'int', default: 0 },
  { name: 'seed_aug', kind: 'optionalInt', default: null },
  { name: 'shuffle', kind: 'bool', default: false },
  { name: 'seed', kind: 'int', default: 0 },
  { name: 'dtype', kind: 'string', default: 'float32' },
];

const NORMALIZE_PARAMS: readonly ParamSpec[] = [
  { name: 'mirror', kind: 'bool', default: false },
  { name: 'rand_mirror', kind: 'bool', default: false },
  { name: 'mean_img', kind: 'source', default: null },
  { name: 'mean_r', kind: 'float', default: 0 },
  { name: 'mean_g', kind: 'float', default: 0 },
  { name: 'mean_b', kind: 'float', default: 0 },
  { name: 'mean_a', kind: 'float', default: 0 },
  { name: 'std_r', kind: 'float', default: 1 },
  { name: 'std_g', kind: 'float', default: 1 },
  { name: 'std_b', kind: 'float', default: 1 },
  { name: 'std_a', kind: 'float', default: 1 },
  { name: 'scale', kind: 'float', default: 1 },
  { name: 'max_random_contrast', kind: 'float', default: 0 },
  { name: 'max_random_illumination', kind: 'float', default: 0 },
];

const SPECS: readonly ParamSpec[] = [...PARSER_PARAMS, ...BATCH_PARAMS, ...AUG_PARAMS, ...NORMALIZE_PARAMS, ...COMMON_PARAMS];

/** std::round: halves away from zero. */
function roundAway(v: number): number {
  return Math.sign(v) * Math.round(Math.abs(v));
}

/** One decoded, augmented, normalized example waiting for a batch slot. */
interface Example {
  data: Float32Array | Uint8Array | Int8Array;
  label: Float32Array;
  id: number;
}

/** MXNet's ImageLabelMap: an im2rec .lst file (index, label_width labels, path; whitespace separated). */
function labelMap(iter: string, src: IterSource, width: number): Map<number, Float32Array> {
  const text = new TextDecoder().decode(readSource(iter, 'path_imglist', src));
  const map = new Map<number, Float32Array>();
  text.split(/\r?\n/).forEach((line, i) => {
    const f = line.trim().split(/\s+/);
    if (f.length === 1 && f[0] === '') return;
    if (f.length < width + 1) throw new IsotensorError(`${iter}: path_imglist line ${i + 1}: bad image list format (expected an index and ${width} label(s))`);
    const labels = Float32Array.from(f.slice(1, width + 1).map((s) => Number.parseFloat(s)));
    map.set(Math.trunc(Number.parseFloat(f[0]!)), labels);
  });
  return map;
}

/**
 * Reads batches of images from a RecordIO (.rec) file made by im2rec, as MXNet's mx.io.ImageRecordIter.
 * @example
 * ```ts
 * const it = new mx.io.ImageRecordIter({ path_imgrec: 'train.rec', data_shape: [3, 224, 224], batch_size: 32,
 *                                        resize: 256, rand_crop: true, rand_mirror: true,
 *                                        mean_r: 123.68, mean_g: 116.28, mean_b: 103.53 });
 * for (const batch of it) { ... }   // batch.data[0]: (32, 3, 224, 224) float32, RGB
 * it.reset();
 * ```
 */
export class ImageRecordIter extends BatchBuildingIter {
  readonly dataShape: [number, number, number];
  readonly labelWidth: number;
  readonly roundBatch: boolean;
  readonly dtype: ImageRecordDType;
  readonly dataName: string;
  readonly labelName: string;
  /** Number of records in this part of the file. */
  readonly numExamples: number;
  protected readonly iterName: string;
  private readonly p: Record<string, any>;
  private readonly source: RecordSource;
  private readonly aug: DefaultImageAugmenter;
  private readonly labels: Map<number, Float32Array> | null;
  private readonly prnd = new MT19937(RAND_MAGIC);
  private meanImg: Float32Array | null = null;
  private readonly unit: number;
  // The batch being filled (reused: slots a short batch does not fill keep older values, as in MXNet).
  private readonly dataBuf: Float32Array | Uint8Array | Int8Array;
  private readonly labelBuf: Float32Array;
  private readonly indexBuf: number[];
  private queue: Example[] = [];
  private queuePos = 0;
  private overflow = false;

  constructor(opts: ImageRecordIterOptions, forcedDType?: ImageRecordDType, name = 'ImageRecordIter') {
    const p = iterParams(name, SPECS, opts) as Record<string, any>;
    super(p.batch_size as number);
    this.iterName = name;
    this.p = p;
    if (forcedDType !== undefined) {
      if (opts.dtype !== undefined && opts.dtype !== null && opts.dtype !== forcedDType) {
        throw new IsotensorError(`${name}: dtype is always '${forcedDType}' here, got '${String(opts.dtype)}'`);
      }
      p.dtype = forcedDType;
    }
    if (!['float32', 'uint8', 'int8'].includes(p.dtype)) {
      throw new IsotensorError(`${name}: dtype must be 'float32', 'uint8' or 'int8' (MXNet's ImageRecordIter supports no other), got '${p.dtype}'`);
    }
    this.dtype = p.dtype;
    if (p.data_shape.length !== 3) {
      throw new IsotensorError(`${name}: data_shape must be (channels, height, width), got (${p.data_shape.join(', ')})`);
    }
    this.dataShape = p.data_shape as [number, number, number];
    if (![1, 3, 4].includes(this.dataShape[0])) {
      throw new IsotensorError(`${name}: data_shape[0] (channels) must be 1, 3 or 4, got ${this.dataShape[0]}`);
    }
    if (p.path_imgrec === null || p.path_imgrec === '') throw new IsotensorError(`${name}: path_imgrec (the .rec file) is required`);
    if (p.part_index >= p.num_parts) throw new IsotensorError(`${name}: part_index ${p.part_index} must be < num_parts ${p.num_parts}`);
    if (p.shuffle_chunk_size > 0) {
      throw new IsotensorError(`${name}: shuffle_chunk_size is not supported (dmlc's chunk-shuffling reader); use shuffle with path_imgidx`);
    }
    this.checkNormalize(name);
    this.labelWidth = p.label_width;
    this.roundBatch = p.round_batch;
    this.dataName = p.data_name;
    this.labelName = p.label_name;
    this.aug = new DefaultImageAugmenter(name, p, this.dataShape);
    const idx = p.path_imgidx === '' ? null : p.path_imgidx;
    this.labels = p.path_imglist === null || p.path_imglist === '' ? null : labelMap(name, p.path_imglist, this.labelWidth);
    this.source = new RecordSource(name, p.path_imgrec, idx, p.num_parts, p.part_index, p.shuffle, p.seed, this.batchSize);
    this.numExamples = this.source.length;
    this.unit = this.dataShape[0] * this.dataShape[1] * this.dataShape[2];
    const n = this.batchSize * this.unit;
    this.dataBuf = this.dtype === 'float32' ? new Float32Array(n) : this.dtype === 'uint8' ? new Uint8Array(n) : new Int8Array(n);
    this.labelBuf = new Float32Array(this.batchSize * this.labelWidth);
    this.indexBuf = new Array<number>(this.batchSize).fill(0);
    if (this.dtype !== 'uint8' && p.mean_img !== null && p.mean_img !== '') this.initMeanImg(p.mean_img);
  }

  /** Normalization parameters an integer output would silently ignore are refused. */
  private checkNormalize(name: string): void {
    const p = this.p;
    if (this.dtype === 'float32') {
      for (const k of ['std_r', 'std_g', 'std_b', 'std_a']) if (p[k] === 0) throw new IsotensorError(`${name}: ${k} must not be 0`);
      return;
    }
    const unused = ['std_r', 'std_g', 'std_b', 'std_a', 'scale'].filter((k) => p[k] !== 1)
      .concat(['max_random_contrast', 'max_random_illumination'].filter((k) => p[k] !== 0))
      .concat(this.dtype === 'uint8' ? ['mean_r', 'mean_g', 'mean_b', 'mean_a'].filter((k) => p[k] !== 0) : [])
      .concat(this.dtype === 'uint8' && p.mean_img !== null && p.mean_img !== '' ? ['mean_img'] : []);
    if (unused.length > 0) {
      throw new IsotensorError(`${name}: ${unused.join(', ')} ${unused.length > 1 ? 'have' : 'has'} no effect with ${this.dtype} output ` +
                               `(MXNet ignores ${unused.length > 1 ? 'them' : 'it'}); remove ${unused.length > 1 ? 'them' : 'it'} or use dtype 'float32'`);
    }
  }

  get provideData(): DataDesc[] {
    return [new DataDesc(this.dataName, [this.batchSize, ...this.dataShape], this.dtype)];
  }

  get provideLabel(): DataDesc[] {
    return [new DataDesc(this.labelName, this.labelShape, 'float32')];
  }

  private get labelShape(): number[] {
    return this.labelWidth === 1 ? [this.batchSize] : [this.batchSize, this.labelWidth];
  }

  /** MXNet's BeforeFirst: after a batch completed from the start (round_batch), the next epoch goes on from there. */
  reset(): void {
    this.current = null;
    if (!this.roundBatch || !this.overflow) {
      this.queue = [];
      this.queuePos = 0;
      this.source.beforeFirst();
    } else {
      this.overflow = false;
    }
  }

  /** Decodes a record's image as cv::imdecode with MXNet's flag for data_shape[0]. */
  private decode(payload: Uint8Array, id: number): Img {
    const c = this.dataShape[0];
    let img;
    try {
      img = decodeLikeOpenCV(payload, c === 1 ? 'gray' : c === 3 ? 'color' : 'unchanged');
    } catch (e) {
      throw new IsotensorError(`${this.iterName}: cannot decode the image of record ${id}: ${(e as Error).message}`, { cause: e });
    }
    const { width: w, height: h } = img;
    if (img.channels !== c) {
      // MXNet's CHECK after cv::imdecode(buf, -1): data_shape[0] 4 takes only images with alpha.
      throw new IsotensorError(`${this.iterName}: invalid image with index ${id}: expected ${c} channels, got ${img.channels} ` +
                               '(data_shape[0] 4 needs images with alpha: RGBA, gray+alpha or tRNS PNGs, or WebPs with alpha)');
    }
    return { data: c === 1 ? img.data : swapRedBlue(img.data, c), h, w, c };
  }

  /** One record: decode, label, augment, normalize (ParseChunk's body). `glIdx` is MXNet's per-chunk counter. */
  private parseRecord(rec: number, glIdx: number): Example {
    const p = this.p;
    const name = this.iterName;
    const [header, payload] = unpack(this.source.read(rec));
    const id = header.id;
    if (p.seed_aug !== null) this.prnd.seed(glIdx + p.seed_aug + RAND_MAGIC);
    const img = this.decode(payload, id);
    let label: Float32Array;
    if (this.labels !== null) {
      const l = this.labels.get(id);
      if (l === undefined) throw new IsotensorError(`${name}: path_imglist has no label for image id ${id}`);
      label = l;
    } else if (typeof header.label !== 'number') {
      const l = Float32Array.from(header.label);
      if (l.length !== this.labelWidth) {
        throw new IsotensorError(`${name}: the rec file provides ${l.length}-dimensional labels but label_width is ${this.labelWidth}`);
      }
      label = l;
    } else {
      if (this.labelWidth !== 1) {
        throw new IsotensorError(`${name}: label_width must be 1 unless an imglist is provided or the rec file is packed with ` +
                                 `multi-dimensional labels (label_width is ${this.labelWidth})`);
      }
      label = Float32Array.of(header.label);
    }
    const res = this.aug.process(img, this.prnd);
    const [c, h, w] = this.dataShape;
    if (res.c !== c || res.h !== h || res.w !== w) {
      throw new IsotensorError(`${name}: record ${id} is ${res.w}x${res.h} with ${res.c} channel(s) after augmentation, ` +
                               `data_shape asks for (${c}, ${h}, ${w})`);
    }
    const mirrored = (p.rand_mirror && this.prnd.bernoulli(0.5)) || p.mirror;
    let contrast = 1, illumination = 0;
    if (this.dtype !== 'uint8') {
      const mc = f32(p.max_random_contrast), mi = f32(p.max_random_illumination), sc = f32(p.scale);
      contrast = f32(f32(f32(f32(f32(this.prnd.canonicalFloat() * mc) * 2) - mc) + 1) * sc);
      illumination = f32(f32(f32(f32(this.prnd.canonicalFloat() * mi) * 2) - mi) * sc);
    }
    return { data: this.normalize(res, mirrored, contrast, illumination), label, id };
  }

  /** MXNet's ProcessImage: channel swap to RGB(A), mean/std/contrast/illumination, mirror, into (C, H, W). */
  private normalize(res: Img, mirrored: boolean, contrast: number, illumination: number): Float32Array | Uint8Array | Int8Array {
    const p = this.p;
    const { h, w, c } = res;
    const plane = h * w;
    const swap = c === 1 ? [0] : c === 3 ? [2, 1, 0] : [2, 1, 0, 3];
    const keys = ['r', 'g', 'b', 'a'];
    const mean = keys.map((k) => f32(p[`mean_${k}`]));
    const std = keys.map((k) => f32(p[`std_${k}`]));
    const mult = std.map((s) => f32(contrast / s)), bias = std.map((s) => f32(illumination / s));
    const meanImg = this.meanImg;
    const out = this.dtype === 'float32' ? new Float32Array(c * plane) : this.dtype === 'uint8' ? new Uint8Array(c * plane) : new Int8Array(c * plane);
    const src = res.data;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const o = i * w + (mirrored ? w - j - 1 : j);
        const s = (i * w + j) * c;
        for (let k = 0; k < c; k++) {
          const px = src[s + swap[k]!]!;
          let v: number;
          if (this.dtype === 'uint8') {
            v = px;
          } else if (this.dtype === 'int8') {
            const m = roundAway(meanImg !== null ? meanImg[k * plane + i * w + j]! : mean[k]!);
            v = Math.max(-128, Math.min(127, px - m));
          } else {
            const m = meanImg !== null ? meanImg[k * plane + i * w + j]! : mean[k]!;
            v = f32(f32(f32(px - m) * mult[k]!) + bias[k]!);
          }
          out[k * plane + o] = v;
        }
      }
    }
    return out;
  }

  /** Parses a chunk of records into the queue (MXNet parses a whole chunk, in file order, before serving it). */
  private parseChunk(chunk: number[], glStart: number): Example[] {
    return chunk.map((rec, j) => this.parseRecord(rec, glStart + j));
  }

  iterNext(): boolean {
    this.current = null;
    if (this.overflow) return false;
    const bs = this.batchSize;
    let filled = 0;
    let pad = 0;
    while (filled < bs) {
      if (this.queuePos >= this.queue.length) {
        const chunk = this.source.nextChunk();
        if (chunk !== null) {
          const legacy = this.source.legacyShuffle;
          this.queue = this.parseChunk(chunk, legacy ? bs : filled);
          this.queuePos = 0;
          if (legacy) this.source.shuffleChunk(this.queue);
          continue;
        }
        if (filled === 0) return false;
        if (this.overflow) throw new IsotensorError(`${this.iterName}: the number of images (${this.numExamples}) must be bigger than the batch size (${bs})`);
        pad = bs - filled;
        if (this.roundBatch) {
          this.overflow = true;
          this.source.beforeFirst();
          continue;
        }
        break;
      }
      const n = Math.min(this.queue.length - this.queuePos, bs - filled);
      for (let i = 0; i < n; i++) {
        const ex = this.queue[this.queuePos + i]!;
        this.dataBuf.set(ex.data as never, (filled + i) * this.unit);
        this.labelBuf.set(ex.label, (filled + i) * this.labelWidth);
        this.indexBuf[filled + i] = ex.id;
      }
      this.queuePos += n;
      filled += n;
    }
    const data = array(this.dataBuf, { shape: [bs, ...this.dataShape], dtype: this.dtype });
    const label = array(this.labelBuf, { shape: this.labelShape, dtype: 'float32' });
    this.current = new DataBatch([data], [label], { pad, index: [...this.indexBuf] });
    return true;
  }

  /** Closes the record file. */
  close(): void {
    this.source.close();
  }

  /** mean_img, read or (a path that does not exist yet) computed over every chunk as MXNet's CreateMeanImg parses it. */
  private initMeanImg(src: IterSource): void {
    const chunks = function* (this: ImageRecordIter): Iterable<ArrayLike<number>> {
      for (let chunk = this.source.nextChunk(); chunk !== null; chunk = this.source.nextChunk()) {
        for (const ex of this.parseChunk(chunk, this.batchSize)) yield ex.data;
      }
    }.bind(this);
    const { mean, computed } = meanImage(this.iterName, src, this.dataShape, chunks);
    this.meanImg = mean;
    if (computed) this.source.beforeFirst();
  }
}

/** ImageRecordIter with uint8 output (MXNet's deprecated ImageRecordUInt8Iter; same as dtype 'uint8'). */
export class ImageRecordUInt8Iter extends ImageRecordIter {
  constructor(opts: ImageRecordIterOptions) {
    super(opts, 'uint8', 'ImageRecordUInt8Iter');
  }
}

/** ImageRecordIter with int8 output (MXNet's deprecated ImageRecordInt8Iter; same as dtype 'int8'). */
export class ImageRecordInt8Iter extends ImageRecordIter {
  constructor(opts: ImageRecordIterOptions) {
    super(opts, 'int8', 'ImageRecordInt8Iter');
  }
}
