// BMP decoding: uncompressed 1/4/8-bit palette, 16-bit (5-5-5), 24- and 32-bit images, bottom-up or
// top-down; alpha is dropped.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import type { DecodedImage } from './decoded.js';

export function isBmp(b: Uint8Array): boolean {
  return b.length >= 26 && b[0] === 0x42 && b[1] === 0x4d;
}

const fail = (what: string): never => {
  throw new IsotensorError(`image.decode: bad or unsupported BMP (${what})`);
};

export function decodeBmp(b: Uint8Array): DecodedImage {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dataAt = v.getUint32(10, true);
  const headerSize = v.getUint32(14, true);
  if (headerSize < 40 || 14 + headerSize > b.length) fail(`header of ${headerSize} bytes`);
  const w = v.getInt32(18, true);
  const hSigned = v.getInt32(22, true);
  const bits = v.getUint16(28, true);
  const compression = v.getUint32(30, true);
  // BI_BITFIELDS with the standard masks reads like BI_RGB for 32-bit images.
  if (compression !== 0 && !(compression === 3 && (bits === 32 || bits === 16))) fail(`compression ${compression}`);
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
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const row = dataAt + (hSigned > 0 ? h - 1 - y : y) * stride;
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      if (bits >= 24) {
        const p = row + x * (bits >> 3);
        out[o] = b[p + 2]!;
        out[o + 1] = b[p + 1]!;
        out[o + 2] = b[p]!;
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
  return { width: w, height: h, channels: 3, data: out };
}
