// Image decoding by content (JPEG, PNG, BMP, PNM, TIFF, WebP, JPEG 2000), and conversion to RGB, BGR or gray.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, kindOf } from '../base/error.js';
import { decodeBmp, isBmp, openCVBitMasks } from './bmp.js';
import { isGrayPaletteBmp } from './bmp_palette.js';
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

/** Decodes an image file's bytes, whatever the format (by its signature): gray, RGB or RGBA as the file holds it. */
export function decodeImage(bytes: Uint8Array): DecodedImage {
  return findDecoder(bytes)[2](bytes);
}

function findDecoder(bytes: Uint8Array): (typeof DECODERS)[number] {
  const d = DECODERS.find(([, is]) => is(bytes));
  const known = d === undefined ? unsupportedFormat(bytes) : undefined;
  if (known !== undefined) throw new IsotensorError(`image.decode: ${known} images are not supported (JPEG, PNG, BMP, TIFF, PNM, WebP and JPEG 2000 are)`);
  if (d === undefined) {
    const head = Array.from(bytes.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
    throw new IsotensorError(`image.decode: not a JPEG, PNG, BMP, TIFF, PNM, WebP or JPEG 2000 image (first bytes ${head || 'none'}; ` +
                             `${bytes.length} bytes)`);
  }
  return d;
}

/** cv::imdecode's read modes: IMREAD_COLOR (1), IMREAD_GRAYSCALE (0), IMREAD_UNCHANGED (-1). */
export type ImreadMode = 'color' | 'gray' | 'unchanged';

/**
 * OpenCV's BGR2GRAY in fixed point (B 1868, G 9617, R 4899 over 2^14), of the first 3 channels: rounded, or
 * truncated (`round` 0) as its BMP reader does for a 32-bit image whose bit masks it applies.
 */
function cvGray(img: DecodedImage, round = 8192): Uint8Array {
  const c = img.channels;
  const src = img.data;
  const out = new Uint8Array(img.width * img.height);
  for (let i = 0; i < out.length; i++) out[i] = (src[i * c + 2]! * 1868 + src[i * c + 1]! * 9617 + src[i * c]! * 4899 + round) >> 14;
  return out;
}

/**
 * An image file decoded as cv::imdecode decodes it (the decoding MXNet's imdecode, unpack_img and record
 * iterators do), in RGB(A) order; callers swap to OpenCV's BGR(A) where they need it. 'color': 3 channels,
 * alpha dropped (not composited). 'unchanged': as the file holds it: 1 channel for gray (a gray-palette BMP
 * too), 3 for color, 4 with alpha (a PNG's gray+alpha as gray repeated, then alpha; a TIFF's RGB + extra
 * sample; a 32-bit BI_BITFIELDS BMP's fourth byte). 'gray': 1 channel, as each codec makes it: a JPEG's Y
 * plane (libjpeg's grayscale output), libpng's rgb_to_gray for PNG (alpha ignored), OpenCV's BGR2GRAY for the
 * rest. A TIFF's unassociated alpha is multiplied into its color in every mode, as libtiff's RGBA reading does;
 * a 16-bit TIFF reads in 'color' and 'gray' (reduced to 8 bits as OpenCV does), not 'unchanged' (OpenCV: uint16).
 */
export function decodeLikeOpenCV(bytes: Uint8Array, mode: ImreadMode): DecodedImage {
  if (!(bytes instanceof Uint8Array)) throw new IsotensorError(`image.decode: argument 'bytes' must be a Uint8Array, got ${kindOf(bytes)}`);
  if (mode !== 'color' && mode !== 'gray' && mode !== 'unchanged') {
    throw new IsotensorError(`image.decode: argument 'mode' must be 'color', 'gray' or 'unchanged', got ${String(mode)}`);
  }
  const [format, , decode] = findDecoder(bytes);
  if (mode === 'gray' && format === 'JPEG') return decodeJpeg(bytes, { gray: true });
  if (mode === 'gray' && format === 'PNG') return decodePng(bytes, { gray: true });
  const img = format === 'TIFF' ? decodeTiff(bytes, { openCV: mode }) : format === 'BMP' ? decodeBmp(bytes, { openCV: true }) : decode(bytes);
  if (mode === 'unchanged' && format === 'BMP' && img.channels === 3 && isGrayPaletteBmp(bytes)) {
    return { width: img.width, height: img.height, channels: 1, data: cvGray(img) };
  }
  if (mode === 'unchanged' || (mode === 'gray' && img.channels === 1)) return img;
  if (mode === 'gray') {
    const round = format === 'BMP' && openCVBitMasks(bytes) !== undefined ? 0 : 8192;
    return { width: img.width, height: img.height, channels: 1, data: cvGray(img, round) };
  }
  return img.channels === 3 ? img : { width: img.width, height: img.height, channels: 3, data: convertPixels(img, 'RGB') };
}

/** RGB(A) pixels in BGR(A) order (or back), `channels` (3 or 4) per pixel: OpenCV's order. */
export function swapRedBlue(data: Uint8Array, channels: number): Uint8Array {
  const out = data.slice();
  for (let i = 0; i < out.length; i += channels) {
    out[i] = data[i + 2]!;
    out[i + 2] = data[i]!;
  }
  return out;
}

/** The layout an image is converted to. */
export type PixelFormat = 'RGB' | 'BGR' | 'Grayscale';

/**
 * The pixels in `format` (alpha dropped), as Pillow converts them for ONNX's reference ImageDecoder: gray from
 * color uses the ITU-R 601 weights in Pillow's fixed point (R 19595, G 38470, B 7471, over 2^16, rounded).
 * MXNet's decoding follows OpenCV instead: see decodeLikeOpenCV.
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
