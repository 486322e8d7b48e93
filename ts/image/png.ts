// PNG decoding: every color type and bit depth, palettes and Adam7 interlacing; 16-bit samples keep
// their high byte and transparency is dropped (gray stays gray, everything else becomes RGB).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import { concatBytes } from './bytes.js';
import type { DecodedImage } from './decoded.js';
import { inflate } from './inflate.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && SIGNATURE.every((v, i) => b[i] === v);
}

const fail = (what: string): never => {
  throw new IsotensorError(`image.decode: bad PNG (${what})`);
};

// Samples per pixel of each color type: gray, -, RGB, palette, gray+alpha, -, RGBA.
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** PNG's Paeth predictor (the encoder uses it too). */
export function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Reverses the scanline filters of one (sub)image in place; returns the unfiltered rows. */
function unfilter(raw: Uint8Array, at: number, w: number, h: number, bitsPerPixel: number): { rows: Uint8Array; end: number } {
  const stride = Math.ceil((w * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const rows = new Uint8Array(stride * h);
  for (let y = 0; y < h; y++) {
    if (at + 1 + stride > raw.length) fail('image data too short');
    const type = raw[at++]!;
    const cur = y * stride;
    const prev = cur - stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? rows[cur + x - bpp]! : 0;
      const b = y > 0 ? rows[prev + x]! : 0;
      const c = x >= bpp && y > 0 ? rows[prev + x - bpp]! : 0;
      const v = raw[at + x]!;
      rows[cur + x] = type === 0 ? v : type === 1 ? v + a : type === 2 ? v + b : type === 3 ? v + ((a + b) >> 1)
        : type === 4 ? v + paeth(a, b, c) : fail(`filter type ${type}`);
    }
    at += stride;
  }
  return { rows, end: at };
}

/** Sample i of a row of `depth`-bit samples, scaled to 8 bits (palette indices unscaled). */
function sample(row: Uint8Array, off: number, i: number, depth: number, scale: boolean): number {
  if (depth === 8) return row[off + i]!;
  if (depth === 16) return row[off + 2 * i]!;
  const perByte = 8 / depth;
  const v = (row[off + Math.floor(i / perByte)]! >> (8 - depth * (1 + (i % perByte)))) & ((1 << depth) - 1);
  return scale ? Math.round((v * 255) / ((1 << depth) - 1)) : v;
}

export function decodePng(b: Uint8Array): DecodedImage {
  if (!isPng(b)) fail('no PNG signature');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let w = 0;
  let h = 0;
  let depth = 0;
  let type = 0;
  let interlace = 0;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  for (let p = 8; p + 8 <= b.length;) {
    const len = view.getUint32(p);
    const name = String.fromCharCode(b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!);
    if (p + 12 + len > b.length) fail(`chunk ${name} runs past the end`);
    const data = b.subarray(p + 8, p + 8 + len);
    if (name === 'IHDR') {
      if (len < 13) fail('short IHDR');
      w = view.getUint32(p + 8);
      h = view.getUint32(p + 12);
      [depth, type] = [data[8]!, data[9]!];
      interlace = data[12]!;
    } else if (name === 'PLTE') {
      palette = data;
    } else if (name === 'IDAT') {
      idat.push(data);
    } else if (name === 'IEND') {
      break;
    }
    p += 12 + len;
  }
  const spp = SAMPLES[type];
  if (w === 0 || h === 0 || spp === undefined || ![1, 2, 4, 8, 16].includes(depth)) fail(`header (${w}x${h}, color type ${type}, depth ${depth})`);
  if (w * h > 1 << 28) fail(`${w}x${h} is too large`);
  if (type === 3 && palette === undefined) fail('palette image without PLTE');
  if (idat.length === 0) fail('no image data');
  const compressed = concatBytes(idat);
  const bitsPerPixel = spp * depth;
  const raw = inflate(compressed, true, (Math.ceil((w * bitsPerPixel) / 8) + 1) * h);

  const channels = type === 0 || type === 4 ? 1 : 3;
  const out = new Uint8Array(w * h * channels);
  // Adam7 passes: start x, start y, step x, step y (a non-interlaced image is one pass of steps 1).
  const passes = interlace ? [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] : [[0, 0, 1, 1]];
  let at = 0;
  for (const [x0, y0, dx, dy] of passes as [number, number, number, number][]) {
    const pw = Math.ceil((w - x0) / dx);
    const ph = Math.ceil((h - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const { rows, end } = unfilter(raw, at, pw, ph, bitsPerPixel);
    at = end;
    const stride = Math.ceil((pw * bitsPerPixel) / 8);
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) {
        const o = ((y0 + y * dy) * w + x0 + x * dx) * channels;
        if (type === 3) {
          const k = sample(rows, y * stride, x, depth, false) * 3;
          if (k + 2 >= palette!.length) fail('palette index out of range');
          out[o] = palette![k]!;
          out[o + 1] = palette![k + 1]!;
          out[o + 2] = palette![k + 2]!;
        } else {
          for (let ch = 0; ch < channels; ch++) out[o + ch] = sample(rows, y * stride, x * spp + ch, depth, true);
        }
      }
    }
  }
  return { width: w, height: h, channels, data: out };
}
