// BMP decoding: uncompressed 1/4/8-bit palette, 16-bit (5-5-5), 24- and 32-bit images, bottom-up or
// top-down; alpha is dropped, except that OpenCV's reading keeps a 32-bit BI_BITFIELDS image's fourth byte.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import type { DecodedImage } from './decoded.js';

export function isBmp(b: Uint8Array): boolean {
  return b.length >= 26 && b[0] === 0x42 && b[1] === 0x4d;
}

const fail = (what: string): never => {
  throw new IsotensorError(`image.decode: bad or unsupported BMP (${what})`);
};

const BI_BITFIELDS = 3;

/**
 * The red, green, blue and alpha masks OpenCV applies to a 32-bit BI_BITFIELDS BMP: it reads them only from a
 * header of 56 bytes or more (BITMAPV3/V4/V5), and uses them only when red, green and blue are all nonzero
 * (alpha 0 reads as opaque). Undefined when it takes the bytes as B, G, R, A instead, or for any other BMP.
 */
export function openCVBitMasks(b: Uint8Array): [number, number, number, number] | undefined {
  if (b.length < 70) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(14, true) < 56 || v.getUint16(28, true) !== 32 || v.getUint32(30, true) !== BI_BITFIELDS) return undefined;
  const masks = [54, 58, 62, 66].map((at) => v.getUint32(at, true)) as [number, number, number, number];
  return masks[0] !== 0 && masks[1] !== 0 && masks[2] !== 0 ? masks : undefined;
}

// A masked field scaled to 0-255 as OpenCV does: times 255 / (mask >> shift) in float32, truncated.
function fieldReader(mask: number): (px: number) => number {
  if (mask === 0) return () => 255;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const scale = Math.fround(255 / Math.fround(mask >>> shift));
  return (px) => Math.trunc(Math.fround(Math.fround((px & mask) >>> shift) * scale)) & 255;
}

/**
 * The pixels as gray, RGB (or RGBA): Pillow's reading by default; with `openCV`, cv::imdecode's: a 32-bit
 * BI_BITFIELDS image has 4 channels, the fourth byte as alpha (not composited), its masks applied as
 * openCVBitMasks says.
 */
export function decodeBmp(b: Uint8Array, opts: { openCV?: boolean } = {}): DecodedImage {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dataAt = v.getUint32(10, true);
  const headerSize = v.getUint32(14, true);
  if (headerSize < 40 || 14 + headerSize > b.length) fail(`header of ${headerSize} bytes`);
  const w = v.getInt32(18, true);
  const hSigned = v.getInt32(22, true);
  const bits = v.getUint16(28, true);
  const compression = v.getUint32(30, true);
  // BI_BITFIELDS with the standard masks reads like BI_RGB for 32-bit images.
  if (compression !== 0 && !(compression === BI_BITFIELDS && (bits === 32 || bits === 16))) fail(`compression ${compression}`);
  const h = Math.abs(hSigned);
  if (w <= 0 || h === 0 || w * h > 1 << 28) fail(`size ${w}x${hSigned}`);
  if (![1, 4, 8, 16, 24, 32].includes(bits)) fail(`${bits} bits per pixel`);
  const stride = Math.ceil((w * bits) / 32) * 4;
  if (dataAt + stride * h > b.length) fail('pixel data runs past the end');
  let palette: Uint8Array | undefined;
  if (bits <= 8) {
    const colors = v.getUint32(46, true) || 1 << bits;
    const at = 14 + headerSize;
    if (at + colors * 4 > b.length) fail('palette runs past the end');
    palette = b.subarray(at, at + colors * 4);  // B, G, R, reserved
  }
  const withAlpha = opts.openCV === true && bits === 32 && compression === BI_BITFIELDS;
  const masks = withAlpha ? openCVBitMasks(b) : undefined;
  const fields = masks?.map(fieldReader);
  const channels = withAlpha ? 4 : 3;
  const out = new Uint8Array(w * h * channels);
  for (let y = 0; y < h; y++) {
    const row = dataAt + (hSigned > 0 ? h - 1 - y : y) * stride;
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * channels;
      if (fields !== undefined) {
        const px = v.getUint32(row + 4 * x, true);
        for (let c = 0; c < 4; c++) out[o + c] = fields[c]!(px);
      } else if (bits >= 24) {
        const p = row + x * (bits >> 3);
        out[o] = b[p + 2]!;
        out[o + 1] = b[p + 1]!;
        out[o + 2] = b[p]!;
        if (withAlpha) out[o + 3] = b[p + 3]!;
      } else if (bits === 16) {
        const px = v.getUint16(row + 2 * x, true);
        // 5 bits per channel scaled to 8 as (c << 3) | (c >> 2).
        const c5 = (s: number): number => { const c = (px >> s) & 31; return (c << 3) | (c >> 2); };
        out[o] = c5(10);
        out[o + 1] = c5(5);
        out[o + 2] = c5(0);
      } else {
        const perByte = 8 / bits;
        const k = (b[row + Math.floor(x / perByte)]! >> (8 - bits * (1 + (x % perByte)))) & ((1 << bits) - 1);
        if (4 * k + 2 >= palette!.length) fail('palette index out of range');
        out[o] = palette![4 * k + 2]!;
        out[o + 1] = palette![4 * k + 1]!;
        out[o + 2] = palette![4 * k]!;
      }
    }
  }
  return { width: w, height: h, channels, data: out };
}
