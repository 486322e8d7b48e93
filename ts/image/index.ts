// `mx.image`: decoding image files into NDArrays (MXNet's mx.image.imdecode / imread), in pure TypeScript,
// so it works the same in Node, browsers and edge runtimes.
// SPDX-License-Identifier: Apache-2.0
import type { Context } from '../base/context.js';
import { IsotensorError, kindOf, optionsOf } from '../base/error.js';
import { nodeFs } from '../base/node_builtin.js';
import { localPath, readBytes } from '../base/read_source.js';
import { array } from '../ndarray/creation.js';
import { NDArray } from '../ndarray/ndarray.js';
import { decodeLikeOpenCV, imageFormat, swapRedBlue } from './decode.js';

export { imageFormat };
export { centerCrop, colorNormalize, fixedCrop, imresize, resizeShort, scaleDown } from './transform.js';
export { randomCrop, randomSizeCrop } from './random_crop.js';
export type { CropRect } from './random_crop.js';
export {
  Augmenter, CastAug, CenterCropAug, ForceResizeAug, HorizontalFlipAug, RandomCropAug, RandomOrderAug, RandomSizedCropAug,
  ResizeAug, SequentialAug,
} from './augmenter.js';
export {
  BrightnessJitterAug, ColorJitterAug, ColorNormalizeAug, ContrastJitterAug, HueJitterAug, LightingAug, RandomGrayAug,
  SaturationJitterAug,
} from './color_augmenter.js';
export { CreateAugmenter, createAugmenter } from './create_augmenter.js';
export type { CreateAugmenterOptions } from './create_augmenter.js';
export { ImageIter } from './image_iter.js';
export type { ImageIterOptions, ImageIterSource, ImgListEntry } from './image_iter.js';
export {
  DetAugmenter, DetBorrowAug, DetHorizontalFlipAug, DetRandomCropAug, DetRandomPadAug, DetRandomSelectAug,
} from './detection_augmenter.js';
export type { DetLabelLike, DetRandomCropOptions, DetRandomPadOptions } from './detection_augmenter.js';
export { CreateDetAugmenter, createDetAugmenter, CreateMultiRandCropAugmenter } from './create_det_augmenter.js';
export type { CreateDetAugmenterOptions, MultiRandCropOptions } from './create_det_augmenter.js';
export { ImageDetIter } from './detection_iter.js';
export type { ImageDetIterOptions } from './detection_iter.js';
export { imencode, type ImencodeOptions } from './encode.js';

/** Options of imdecode/imread. */
export interface ImdecodeOptions {
  /**
   * As OpenCV's cv::imdecode flag, which MXNet decodes with. 1 (default): three channels (alpha dropped);
   * 0: one gray channel as each codec makes it (a JPEG's Y plane, libpng's rgb_to_gray for PNG, OpenCV's
   * BGR2GRAY for the rest); -1: as the file holds it (IMREAD_UNCHANGED): one channel for gray images, three
   * for color, four when there is alpha (a PNG's RGBA, gray+alpha or tRNS; a WebP's alpha).
   */
  flag?: -1 | 0 | 1;
  /** With flags 1 and -1: RGB(A) order (default true) or BGR(A) (false, OpenCV's order). */
  toRgb?: boolean;
  ctx?: Context | string;
}

function bytesOf(buf: Uint8Array | ArrayBuffer | NDArray): Uint8Array {
  if (buf instanceof NDArray) {
    if (buf.dtype !== 'uint8' && buf.dtype !== 'int8') throw new IsotensorError(`image.imdecode: buf is a ${buf.dtype} NDArray; it needs the file's bytes (uint8)`);
    // The bytes of this array only (its values may be a view into a larger buffer).
    const d = buf.dataSync() as Uint8Array | Int8Array;
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  }
  if (buf instanceof Uint8Array) return buf;
  // new Uint8Array(5) would make five zeros: a number (or anything else) is a mistake here.
  if (!(buf instanceof ArrayBuffer)) throw new IsotensorError(`image.imdecode: argument 'buf' must be a Uint8Array, ArrayBuffer or uint8 NDArray, got ${kindOf(buf)}`);
  return new Uint8Array(buf);
}

/**
 * An encoded image (JPEG baseline/progressive, PNG, BMP, TIFF, PNM, WebP, JPEG 2000) as a uint8 NDArray of shape
 * (height, width, 3), (height, width, 1) with flag 0, or (height, width, 1, 3 or 4) with flag -1.
 * @example const img = mx.image.imdecode(bytes);  // (H, W, 3) uint8, RGB
 */
export function imdecode(buf: Uint8Array | ArrayBuffer | NDArray, opts: ImdecodeOptions = {}): NDArray {
  opts = optionsOf(opts, 'image.imdecode');
  const flag = opts.flag ?? 1;
  if (flag !== 0 && flag !== 1 && flag !== -1) {
    throw new IsotensorError(`image.imdecode: flag must be 1 (color), 0 (gray) or -1 (unchanged), got ${String(flag)}`);
  }
  const img = decodeLikeOpenCV(bytesOf(buf), flag === 1 ? 'color' : flag === 0 ? 'gray' : 'unchanged');
  const pixels = opts.toRgb === false && img.channels > 1 ? swapRedBlue(img.data, img.channels) : img.data;
  return array(pixels, { dtype: 'uint8', shape: [img.height, img.width, img.channels], ...(opts.ctx !== undefined ? { ctx: opts.ctx } : {}) });
}

/** An image file (a path, file:// or http(s):// URL) decoded as imdecode does. */
export async function imread(src: string | URL, opts: ImdecodeOptions = {}): Promise<NDArray> {
  return imdecode(await readBytes(src, 'image.imread', 'read the bytes yourself and use imdecode'), opts);
}

/** imread that blocks (a Node path or file:// URL). */
export function imreadSync(src: string | URL, opts: ImdecodeOptions = {}): NDArray {
  const p = localPath(src, 'image.imreadSync', 'use imread, or read the bytes and use imdecode');
  const b = nodeFs('image.imreadSync', 'elsewhere use imread or imdecode').readFileSync(p);
  return imdecode(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), opts);
}
