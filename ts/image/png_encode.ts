// PNG encoding of 8-bit gray or RGB pixels: per-row filters, a zlib stream, CRC-checked chunks.
// SPDX-License-Identifier: Apache-2.0
import { deflate } from './deflate.js';
import { paeth } from './png.js';

const IDAT_SIZE = 8192;

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array, start: number, end: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ bytes[i]!) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Row `y` filtered with `type` (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth) into out[1..]. */
function filterRow(px: Uint8Array, y: number, stride: number, bpp: number, type: number, out: Uint8Array): void {
  const cur = y * stride;
  const prev = cur - stride;
  const first = y === 0;
  out[0] = type;
  // One loop per type: this runs five times per row when filters are chosen adaptively.
  if (type === 0) {
    out.set(px.subarray(cur, cur + stride), 1);
  } else if (type === 1) {
    for (let x = 0; x < stride; x++) out[x + 1] = px[cur + x]! - (x >= bpp ? px[cur + x - bpp]! : 0);
  } else if (type === 2) {
    if (first) out.set(px.subarray(cur, cur + stride), 1);
    else for (let x = 0; x < stride; x++) out[x + 1] = px[cur + x]! - px[prev + x]!;
  } else if (type === 3) {
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[cur + x - bpp]! : 0;
      const b = first ? 0 : px[prev + x]!;
      out[x + 1] = px[cur + x]! - ((a + b) >> 1);
    }
  } else {
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[cur + x - bpp]! : 0;
      const b = first ? 0 : px[prev + x]!;
      const c = x >= bpp && !first ? px[prev + x - bpp]! : 0;
      out[x + 1] = px[cur + x]! - paeth(a, b, c);
    }
  }
}

/** Filter choice: one type for every row, or 'adaptive' (libpng's minimum sum of absolute differences). */
export type PngFilter = 0 | 1 | 2 | 3 | 4 | 'adaptive';

/**
 * A PNG of `channels` (1 gray, 3 RGB; BGR when `bgr`) interleaved 8-bit pixels; `level` is zlib's
 * 0-9 and `rle` its Z_RLE strategy.
 */
export function encodePng(
  pixels: Uint8Array, width: number, height: number, channels: 1 | 3, bgr: boolean,
  level: number, filter: PngFilter, rle: boolean,
): Uint8Array {
  let px = pixels;
  if (channels === 3 && bgr) {
    px = new Uint8Array(pixels.length);
    for (let i = 0; i < px.length; i += 3) {
      px[i] = pixels[i + 2]!;
      px[i + 1] = pixels[i + 1]!;
      px[i + 2] = pixels[i]!;
    }
  }
  const stride = width * channels;
  // The filter types tried: libpng drops those that need a left (width 1) or upper (height 1) neighbour.
  let types = filter === 'adaptive' ? [0, 1, 2, 3, 4] : [filter];
  if (height === 1) types = types.filter((t) => t < 2);
  if (width === 1) types = types.filter((t) => t !== 1 && t !== 3 && t !== 4);
  if (types.length === 0) types = [0];
  const raw = new Uint8Array((stride + 1) * height);
  const trial = new Uint8Array(stride + 1);
  for (let y = 0; y < height; y++) {
    const row = raw.subarray(y * (stride + 1), (y + 1) * (stride + 1));
    if (types.length === 1) {
      filterRow(px, y, stride, channels, types[0]!, row);
      continue;
    }
    let best = Infinity;
    for (const type of types) {
      filterRow(px, y, stride, channels, type, trial);
      let sum = 0;
      // Filtered bytes read as signed: small magnitudes compress best.
      for (let x = 1; x <= stride && sum < best; x++) sum += trial[x]! < 128 ? trial[x]! : 256 - trial[x]!;
      if (sum < best) {
        best = sum;
        row.set(trial);
      }
    }
  }
  const idat = deflate(raw, level, rle);
  // libpng's optimize_cmf: a small image's zlib header names the smallest window that holds it.
  if (raw.length <= 16384) {
    let cinfo = 7;
    while (cinfo > 0 && raw.length <= 1 << (cinfo + 7)) cinfo--;
    idat[0] = 0x08 | (cinfo << 4);
    const flg = idat[1]! & 0xe0;
    idat[1] = flg + 31 - ((idat[0]! * 256 + flg) % 31);
  }

  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr.set([8, channels === 3 ? 2 : 0, 0, 0, 0], 8);
  // IDAT in 8 KiB pieces, as libpng writes them (its zlib output buffer size).
  const chunks: [string, Uint8Array][] = [['IHDR', ihdr]];
  for (let i = 0; i < idat.length; i += IDAT_SIZE) chunks.push(['IDAT', idat.subarray(i, i + IDAT_SIZE)]);
  chunks.push(['IEND', new Uint8Array(0)]);
  let size = 8;
  for (const [, d] of chunks) size += 12 + d.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let p = 8;
  for (const [name, d] of chunks) {
    view.setUint32(p, d.length);
    for (let i = 0; i < 4; i++) out[p + 4 + i] = name.charCodeAt(i);
    out.set(d, p + 8);
    view.setUint32(p + 8 + d.length, crc32(out, p + 4, p + 8 + d.length));
    p += 12 + d.length;
  }
  return out;
}
