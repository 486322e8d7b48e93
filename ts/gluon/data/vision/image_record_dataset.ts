// gluon.data.vision.ImageRecordDataset: images and labels stored in a RecordIO file (im2rec's .rec + .idx).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, optionsOf, show } from '../../../base/error.js';
import { imdecode } from '../../../image/index.js';
import { array } from '../../../ndarray/creation.js';
import { unpack } from '../../../recordio/image_record.js';
import type { TransformFn } from '../dataset.js';
import { describeTransform } from '../describe.js';
import type { DatasetDesc } from '../host/dataset_desc.js';
import { RecordFileDataset, type RecordFileSource } from '../record_file_dataset.js';

/** Options of ImageRecordDataset. */
export interface ImageRecordDatasetOptions {
  /** 1 (default): (H, W, 3) RGB images; 0: (H, W, 1) gray. */
  flag?: 0 | 1;
  /** Applied to (image, label); returns the sample. */
  transform?: TransformFn;
  /** The .idx file, when the .rec is given as bytes (or its index has another name). */
  idxFile?: RecordFileSource;
}

/**
 * A dataset of image records (MXNet's gluon.data.vision.ImageRecordDataset): sample i is
 * `[image, label]`, the image decoded from record i as a uint8 (H, W, C) RGB NDArray, the label the
 * header's number, or a float32 NDArray of the header's labels when it holds several (flag > 0).
 * DataLoader workers (numWorkers > 0) read and decode the records themselves.
 * @example const ds = new gluon.data.vision.ImageRecordDataset('train.rec').transformFirst(new transforms.ToTensor());
 */
export class ImageRecordDataset extends RecordFileDataset {
  private readonly flag: 0 | 1;
  private readonly call: ((...a: any[]) => any) | null;
  private readonly transformFn: TransformFn | null;

  constructor(filename: RecordFileSource, opts: ImageRecordDatasetOptions = {}) {
    opts = optionsOf(opts, 'ImageRecordDataset');
    super(filename, opts.idxFile);
    this.flag = opts.flag ?? 1;
    if (this.flag !== 0 && this.flag !== 1) throw new IsotensorError(`ImageRecordDataset: option 'flag' must be 0 or 1, got ${show(this.flag)}`);
    const t = opts.transform;
    if (t !== undefined && t !== null && typeof t !== 'function' && typeof (t as { forward?: unknown }).forward !== 'function') {
      throw new IsotensorError(`ImageRecordDataset: option 'transform' must be a function or have forward(), got ${show(t)}`);
    }
    this.transformFn = t ?? null;
    this.call = t === undefined || t === null ? null : typeof t === 'function' ? t : (...a: any[]) => t.forward(...a);
  }

  override at(i: number): any {
    const [header, bytes] = unpack(super.at(i) as Uint8Array);
    let img;
    try {
      img = imdecode(bytes, { flag: this.flag });
    } catch (e) {
      throw new IsotensorError(`ImageRecordDataset: record ${i} (key ${this.record.keys[i]}) holds no image it can decode: ` +
                               `${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const label = typeof header.label === 'number' ? header.label : array(Float32Array.from(header.label), { dtype: 'float32' });
    return this.call === null ? [img, label] : this.call(img, label);
  }

  /** Workers read and decode the records themselves; the `transform` option goes as a description. */
  override _describe(): DatasetDesc {
    this._ownItems(ImageRecordDataset.prototype.at);
    const base: DatasetDesc = { k: 'array', cols: [this._recordsDesc('imageRecords', this.flag)], length: this.length };
    return this.transformFn === null ? base : { k: 'transform', base, fn: describeTransform(this.transformFn), first: false };
  }

  override _hasTransform(): boolean {
    return this.call !== null;
  }
}
