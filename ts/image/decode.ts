// Image decoding by content (JPEG, PNG, BMP, PNM, TIFF, WebP, JPEG 2000), and conversion to RGB, BGR or gray.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, kindOf } from '../base/error.js';
import { decodeBmp, isBmp } from './bmp.js';
import type { DecodedImage } from './decoded.js';
import { decodeJpeg, isJpeg } from './jpeg.js';
import { decodeJpeg2000, isJpeg2000 } from './jpeg2000.js';
import { decodePng, isPng } from './png.js';
import { decodePnm, isPnm } from './pnm.js';
import { decodeTiff, isTiff } from './tiff.js';
import { decodeWebp, isWebp } from './webp.js';

const DECODERS: [string, (b: Uint8Array) => boolean, (b: Uint8Array) => DecodedImage][] = [
  ['JPEG', isJpeg, decodeJpeg], ['PNG', isPng, decodePng], ['BMP', isBmp, decodeBmp], ['TIFF', isTiff, decodeTiff],
  ['PNM', isPnm, decodePnm], ['WebP', isWebp, decodeWebp], ['JPEG 2000', isJpeg2000, decodeJpeg2000],
];

/** The image format of encoded bytes ('JPEG', 'PNG', ...), or undefined. */
export function imageFormat(bytes: Uint8Array): string | undefined {
  if (!(bytes instanceof Uint8Array)) throw new IsotensorError(`image.imageFormat: argument 'bytes' must be a Uint8Array, got ${kindOf(bytes)}`);
  return DECODERS.find(([, is]) => is(bytes))?.[0];
}

// Formats recognised by their signature but not decoded, so the error can name them.
function unsupportedFormat(b: Uint8Array): string | undefined {
  const ascii = (at: number, n: number): string => String.fromCharCode(...b.subarray(at, at + n));
  if (ascii(0, 4) === 'GIF8') return 'GIF';
  if (ascii(4, 4) === 'ftyp') return `${ascii(8, 4).trim()} (HEIF/AVIF)`;
  return undefined;
}

/** Decodes an image file's bytes, whatever the format (by its signature). */
export function decodeImage(bytes: Uint8Array): DecodedImage {
  const d = DECODERS.find(([, is]) => is(bytes));
  const known = d === undefined ? unsupportedFormat(bytes) : undefined;
  if (known !== undefined) throw new IsotensorError(`image.decode: ${known} images are not supported (JPEG, PNG, BMP, TIFF, PNM, WebP and JPEG 2000 are)`);
  if (d === undefined) {
    const head = Array.from(bytes.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
    throw new IsotensorError(`image.decode: not a JPEG, PNG, BMP, TIFF, PNM, WebP or JPEG 2000 image (first bytes ${head || 'none'}; ` +
                             `${bytes.length} bytes)`);
  }
  return d[2](bytes);
}

/** The layout an image is converted to. */
export type PixelFormat = 'RGB' | 'BGR' | 'Grayscale';

/**
 * The pixels in `format`, `channels` per pixel. Gray from color uses the ITU-R 601 weights in Pillow's
 * fixed point (R 19595, G 38470, B 7471, over 2^16, rounded), as ONNX's reference ImageDecoder does.
 */
export function convertPixels(img: DecodedImage, format: PixelFormat): Uint8Array {
  const n = img.width * img.height;
  const src = img.data;
  const c = img.channels;
  if (format === 'Grayscale') {
    if (c === 1) return src;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = (src[i * c]! * 19595 + src[i * c + 1]! * 38470 + src[i * c + 2]! * 7471 + 0x8000) >>> 16;
    return out;
  }
  if (c === 3 && format === 'RGB') return src;
  const out = new Uint8Array(n * 3);
  const [r, b] = format === 'RGB' ? [0, 2] : [2, 0];
  for (let i = 0; i < n; i++) {
    const s = i * c;
    out[i * 3 + r] = src[s]!;
    out[i * 3 + 1] = src[c === 1 ? s : s + 1]!;
    out[i * 3 + b] = src[c === 1 ? s : s + 2]!;
  }
  return out;
}
