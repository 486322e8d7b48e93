// `mx.image.imencode`: an image NDArray to JPEG or PNG file bytes, as cv2.imencode makes them (MXNet's
// recordio.pack_img encodes with it).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, kindOf, optionsOf, show } from '../base/error.js';
import { NDArray } from '../ndarray/ndarray.js';
import { encodeJpeg } from './jpeg_encode.js';
import { encodePng } from './png_encode.js';

/** Options of imencode. */
export interface ImencodeOptions {
  /** '.jpg' (default), '.jpeg' or '.png', in any case. */
  format?: '.jpg' | '.jpeg' | '.png';
  /** JPEG quality, cv2.IMWRITE_JPEG_QUALITY: an integer, clamped to 0-100 as OpenCV does; default 95. */
  quality?: number;
  /**
   * PNG zlib level, cv2.IMWRITE_PNG_COMPRESSION: an integer, clamped to 0-9 as OpenCV does. Without it,
   * OpenCV's own default: level 1 with the Sub filter on every row and zlib's run-length strategy; with
   * it, the default strategy and libpng's adaptive filter choice per row.
   */
  compression?: number;
  /** The pixels are in OpenCV's BGR order (default false: RGB, like the rest of mx.image). */
  bgr?: boolean;
}

const FN = 'image.imencode';

function integerOption(v: unknown, name: string, lo: number, hi: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new IsotensorError(`${FN}: option '${name}' must be an integer, got ${typeof v === 'number' ? String(v) : kindOf(v)}`);
  }
  return Math.min(Math.max(v, lo), hi);
}

/**
 * The image encoded as a JPEG (baseline, 4:2:0, libjpeg's quality scale; byte for byte what
 * cv2.imencode gives) or a PNG (8-bit gray or RGB). `img` is uint8 of shape (H, W, 3), or (H, W, 1) /
 * (H, W) for gray.
 * @example const jpg = mx.image.imencode(img, { quality: 90 });  // Uint8Array, a .jpg file
 */
export function imencode(img: NDArray, opts: ImencodeOptions = {}): Uint8Array {
  opts = optionsOf(opts, FN);
  if (!(img instanceof NDArray)) throw new IsotensorError(`${FN}: argument 'img' must be a uint8 NDArray, got ${kindOf(img)}`);
  const shape = img.shape;
  const channels = (shape.length === 2 ? 1 : shape[2]) as 1 | 3;
  if (img.dtype !== 'uint8' || (shape.length !== 2 && shape.length !== 3) || (channels !== 1 && channels !== 3) ||
      shape[0] === 0 || shape[1] === 0) {
    throw new IsotensorError(`${FN}: argument 'img' must be a uint8 image of shape (H, W, 3), (H, W, 1) or (H, W) ` +
                             `with H, W > 0, got ${img.dtype} of shape (${shape.join(', ')})`);
  }
  const [height, width] = shape as [number, number];
  if (height > 65535 || width > 65535) {
    throw new IsotensorError(`${FN}: argument 'img' is ${width}x${height}; JPEG and PNG here take at most 65535 pixels a side`);
  }
  const format = opts.format ?? '.jpg';
  const fmt = typeof format === 'string' ? format.toLowerCase() : '';
  if (fmt !== '.jpg' && fmt !== '.jpeg' && fmt !== '.png') {
    throw new IsotensorError(`${FN}: option 'format' must be '.jpg', '.jpeg' or '.png', got ${show(format)}`);
  }
  if (opts.bgr !== undefined && typeof opts.bgr !== 'boolean') {
    throw new IsotensorError(`${FN}: option 'bgr' must be a boolean, got ${kindOf(opts.bgr)}`);
  }
  const bgr = opts.bgr ?? false;
  const quality = integerOption(opts.quality, 'quality', 0, 100, 95);
  const compression = integerOption(opts.compression, 'compression', 0, 9, -1);
  const d = img.dataSync() as Uint8Array;
  const pixels = new Uint8Array(d.buffer, d.byteOffset, height * width * channels);
  if (fmt !== '.png') return encodeJpeg(pixels, width, height, channels, quality, bgr);
  // OpenCV without IMWRITE_PNG_COMPRESSION: zlib level 1, Sub filter, Z_RLE (tuned for speed).
  if (compression < 0) return encodePng(pixels, width, height, channels, bgr, 1, 1, true);
  return encodePng(pixels, width, height, channels, bgr, compression, 'adaptive', false);
}
