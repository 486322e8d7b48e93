// gluon.data.vision.ImageFolderDataset: images in one folder per class, decoded by mx.image on access.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, optionsOf } from '../../../base/error.js';
import { nodeBuiltin } from '../../../base/node_builtin.js';
import { imreadSync } from '../../../image/index.js';
import { Dataset, type TransformFn } from '../dataset.js';
import { describeTransform, NotTransferable } from '../describe.js';
import type { DatasetDesc } from '../host/dataset_desc.js';

/** Options of ImageFolderDataset. */
export interface ImageFolderOptions {
  /** 1 (default): (H, W, 3) RGB images; 0: (H, W, 1) gray. */
  flag?: 0 | 1;
  /** Applied to (image, label); returns the sample. */
  transform?: TransformFn;
}

// The files mx.image decodes; others in the class folders are skipped.
const EXTENSIONS = ['.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.pnm', '.ppm', '.pgm', '.pbm'];

/**
 * A dataset of images stored as `root/<class>/<file>` (MXNet's ImageFolderDataset): classes are the
 * sub-folders in sorted order (`synsets`), labels their indices; each sample is `[image, label]`,
 * the image a uint8 (H, W, C) NDArray read when the sample is asked for. Node only (it lists folders).
 * DataLoader workers (numWorkers > 0) read and decode the files themselves.
 * @example const ds = new gluon.data.vision.ImageFolderDataset('data/train').transformFirst(new transforms.ToTensor());
 */
export class ImageFolderDataset extends Dataset {
  /** Class names: the sub-folders of root, sorted. */
  readonly synsets: string[] = [];
  /** [path, label] of every image, class by class, files sorted. */
  readonly items: [string, number][] = [];
  private readonly flag: 0 | 1;
  private readonly call: ((...a: any[]) => any) | null;
  private readonly transformFn: TransformFn | null;

  constructor(readonly root: string, opts: ImageFolderOptions = {}) {
    opts = optionsOf(opts, 'ImageFolderDataset');
    super();
    const fs = nodeBuiltin<typeof import('node:fs')>('node:fs');
    const path = nodeBuiltin<typeof import('node:path')>('node:path');
    if (fs === null || path === null) {
      throw new IsotensorError('ImageFolderDataset lists folders with Node\'s file system; elsewhere decode the bytes with mx.image.imdecode into an ArrayDataset');
    }
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new IsotensorError(`ImageFolderDataset: '${root}' is not a folder`);
    this.flag = opts.flag ?? 1;
    if (this.flag !== 0 && this.flag !== 1) throw new IsotensorError(`ImageFolderDataset: flag must be 0 or 1, got ${String(this.flag)}`);
    for (const name of fs.readdirSync(root).sort()) {
      const dir = path.join(root, name);
      if (!fs.statSync(dir).isDirectory()) continue;
      const label = this.synsets.length;
      this.synsets.push(name);
      for (const f of fs.readdirSync(dir).sort()) {
        if (EXTENSIONS.includes(path.extname(f).toLowerCase())) this.items.push([path.join(dir, f), label]);
      }
    }
    const t = opts.transform;
    this.transformFn = t ?? null;
    this.call = t === undefined ? null : typeof t === 'function' ? t : (...a: any[]) => t.forward(...a);
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): any {
    if (!Number.isInteger(i) || i < 0 || i >= this.items.length) {
      throw new IsotensorError(`ImageFolderDataset: index ${i} is out of range for length ${this.items.length}`);
    }
    const [file, label] = this.items[i]!;
    const img = imreadSync(file, { flag: this.flag });
    return this.call === null ? [img, label] : this.call(img, label);
  }

  /** Workers read and decode the files themselves; the `transform` option goes as a description. */
  override _describe(): DatasetDesc {
    if (this.at !== ImageFolderDataset.prototype.at) {
      throw new NotTransferable(`${this.constructor.name.replace(/\$\d+$/, '')} overrides at() (workers rebuild only the library's datasets)`);
    }
    const items = this.items.map(([file, label]): [string, number] => [file, label]);
    const base: DatasetDesc = { k: 'array', cols: [{ k: 'imageFiles', items, flag: this.flag }], length: items.length };
    return this.transformFn === null ? base : { k: 'transform', base, fn: describeTransform(this.transformFn), first: false };
  }

  override _hasTransform(): boolean {
    return this.call !== null;
  }
}
