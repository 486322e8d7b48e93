// PNG decoding: every color type and bit depth, palettes and Adam7 interlacing, into gray, RGB or RGBA as
// OpenCV's libpng reader gives them; 16-bit samples keep their high byte (libpng's strip_16).
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

/** Sample i of a row of `depth`-bit samples, as stored (16-bit samples whole, palette indices unscaled). */
function sample(row: Uint8Array, off: number, i: number, depth: number): number {
  if (depth === 8) return row[off + i]!;
  if (depth === 16) return (row[off + 2 * i]! << 8) | row[off + 2 * i + 1]!;
  const perByte = 8 / depth;
  return (row[off + Math.floor(i / perByte)]! >> (8 - depth * (1 + (i % perByte)))) & ((1 << depth) - 1);
}

/** A stored sample as 8 bits: libpng's expand of 1/2/4-bit gray (bit replication) and strip_16 (high byte). */
function to8(v: number, depth: number): number {
  return depth === 16 ? v >> 8 : depth === 8 ? v : v * (depth === 1 ? 255 : depth === 2 ? 85 : 17);
}

// libpng's png_set_rgb_to_gray(png, 1, 0.299, 0.587), which cv::imdecode asks for with IMREAD_GRAYSCALE, as
// 15-bit fixed point: red 9797, green 19234, blue the rest.
const RED_15 = 9797;
const GREEN_15 = 19234;
const BLUE_15 = 32768 - RED_15 - GREEN_15;
// PNG_FP_1 and PNG_GAMMA_THRESHOLD_FIXED: gammas (in units of 1e-5) within 5% of 1 are not corrected.
const FP_1 = 100000;
const gammaSignificant = (g: number): boolean => g < FP_1 - 5000 || g > FP_1 + 5000;
const reciprocal = (g: number): number => Math.floor(1e10 / g + 0.5);

/**
 * Colour samples (full depth) to one gray byte, as libpng's rgb_to_gray does it for OpenCV: straight
 * weights (truncated for 8-bit, rounded for 16-bit; gray pixels kept) when neither the file gamma nor the
 * screen gamma libpng derives from it is significant; otherwise the weights apply to linear values, through
 * libpng's gamma tables (8-bit tables, or 16-bit ones keeping 11 bits of input since the result is stripped).
 */
function rgbToGray(depth: number, fileGamma: number): (r: number, g: number, b: number) => number {
  const screenGamma = reciprocal(fileGamma);
  if (!gammaSignificant(fileGamma) && !gammaSignificant(screenGamma)) {
    if (depth === 16) return (r, g, b) => (r === g && r === b ? r : (RED_15 * r + GREEN_15 * g + BLUE_15 * b + 16384) >>> 15) >> 8;
    return (r, g, b) => (r === g && r === b ? r : (RED_15 * r + GREEN_15 * g + BLUE_15 * b) >>> 15);
  }
  const toLinear = reciprocal(fileGamma);
  const fromLinear = reciprocal(screenGamma);
  const overall = Math.floor(1e15 / fileGamma / screenGamma + 0.5);
  if (depth !== 16) {
    // png_build_8bit_table: 0 and 255 stay; identity when the exponent is not significant.
    const table = (gamma: number): Uint8Array => Uint8Array.from({ length: 256 }, (_, i) =>
      i === 0 || i === 255 || !gammaSignificant(gamma) ? i : Math.floor(255 * Math.pow(i / 255, gamma * 1e-5) + 0.5));
    const [to1, from1, same] = [table(toLinear), table(fromLinear), table(overall)];
    return (r, g, b) => (r === g && r === b ? same[r]!
      : from1[(RED_15 * to1[r]! + GREEN_15 * to1[g]! + BLUE_15 * to1[b]! + 16384) >>> 15]!);
  }
  // png_build_16bit_table with gamma_shift 5 (PNG_MAX_GAMMA_8 = 11 significant input bits).
  const SHIFT = 5;
  const MAX = (1 << (16 - SHIFT)) - 1;
  const table16 = (gamma: number) => (v: number): number => {
    const iv = v >> SHIFT;
    return gammaSignificant(gamma) ? Math.floor(65535 * Math.pow(iv / MAX, gamma * 1e-5) + 0.5)
      : Math.floor((iv * 65535 + (1 << (15 - SHIFT))) / MAX);
  };
  const [to1, from1] = [table16(toLinear), table16(fromLinear)];
  // png_build_16to8_table: gray pixels map to the 8-bit level whose (rounded) boundary they fall below.
  const bounds = Uint32Array.from({ length: 255 }, (_, i) => {
    const edge = Math.min(65535, Math.max(0, Math.floor(65535 * Math.pow((i * 257 + 128) / 65535, overall * 1e-5) + 0.5)));
    return Math.floor((edge * (MAX + 1) + 32768) / 65535) + 1;
  });
  const level = (v: number): number => {
    const last = v >> SHIFT;
    let i = 0;
    while (i < 255 && last >= bounds[i]!) i++;
    return i;
  };
  return (r, g, b) => (r === g && r === b ? level(r)
    : from1((RED_15 * to1(r) + GREEN_15 * to1(g) + BLUE_15 * to1(b) + 16384) >>> 15) >> 8);
}

export interface PngDecodeOptions {
  /**
   * One gray channel as cv::imdecode's IMREAD_GRAYSCALE gives it (libpng's rgb_to_gray, alpha ignored)
   * instead of the file's own channels.
   */
  gray?: boolean;
}

/**
 * Decodes a PNG file as OpenCV's reader with IMREAD_UNCHANGED does (in RGB order): gray files 1 channel,
 * gray+alpha 4 (gray repeated, then alpha), RGB 3, RGBA 4, and RGB or palette files with a tRNS chunk 4
 * (alpha 0 for the transparent color or the palette entry's alpha). `gray` gives libpng's gray instead.
 */
export function decodePng(b: Uint8Array, opts: PngDecodeOptions = {}): DecodedImage {
  if (!isPng(b)) fail('no PNG signature');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let w = 0;
  let h = 0;
  let depth = 0;
  let type = 0;
  let interlace = 0;
  let palette: Uint8Array | undefined;
  let trns: Uint8Array | undefined;
  // libpng's file gamma: sRGB implies 1/2.2 whatever gAMA says; none means 1.
  let gAMA = 0;
  let sRGB = false;
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
    } else if (name === 'tRNS') {
      trns = data;
    } else if (name === 'gAMA' && len === 4) {
      gAMA = view.getUint32(p + 8);
    } else if (name === 'sRGB') {
      sRGB = true;
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

  const color = type === 2 || type === 3 || type === 6;
  // tRNS gives an RGB or palette image alpha; OpenCV ignores it for gray files.
  const transparent = trns !== undefined && (type === 3 || (type === 2 && trns.length >= 6));
  // The transparent color; libpng compares 8-bit samples with the low byte of each 16-bit field.
  const key = type === 2 && transparent ? [0, 2, 4].map((i) => ((depth === 16 ? trns![i]! << 8 : 0) | trns![i + 1]!)) : [];
  const channels = opts.gray ? 1 : type === 4 || type === 6 || transparent ? 4 : color ? 3 : 1;
  const gray = opts.gray && color ? rgbToGray(type === 3 ? 8 : depth, sRGB ? 45455 : gAMA > 0 ? gAMA : FP_1) : undefined;
  const out = new Uint8Array(w * h * channels);
  const px = [0, 0, 0, 0];
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
    if (!interlace && depth === 8 && spp === channels && type !== 3 && gray === undefined) {
      // Rows already hold the output pixels (8-bit gray, RGB or RGBA, not interlaced).
      for (let y = 0; y < ph; y++) out.set(rows.subarray(y * stride, y * stride + w * channels), (y0 + y) * w * channels);
      continue;
    }
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) {
        const o = ((y0 + y * dy) * w + x0 + x * dx) * channels;
        // The pixel's samples at full depth: gray or RGB, then alpha (255 at 8 bits when the file has none).
        let alpha = 255;
        if (type === 3) {
          const k = sample(rows, y * stride, x, depth);
          if (3 * k + 2 >= palette!.length) fail('palette index out of range');
          px[0] = palette![3 * k]!;
          px[1] = palette![3 * k + 1]!;
          px[2] = palette![3 * k + 2]!;
          if (trns !== undefined && k < trns.length) alpha = trns[k]!;
        } else {
          for (let s = 0; s < spp; s++) px[s] = sample(rows, y * stride, x * spp + s, depth);
          if (type === 4 || type === 6) alpha = to8(px[spp - 1]!, depth);
          else if (transparent && px[0] === key[0] && px[1] === key[1] && px[2] === key[2]) alpha = 0;
        }
        const d = type === 3 ? 8 : depth;
        if (gray !== undefined) {
          out[o] = gray(px[0]!, px[1]!, px[2]!);
        } else if (!color) {
          const v = to8(px[0]!, d);
          out[o] = v;
          if (channels === 4) {
            out[o + 1] = out[o + 2] = v;
            out[o + 3] = alpha;
          }
        } else {
          out[o] = to8(px[0]!, d);
          out[o + 1] = to8(px[1]!, d);
          out[o + 2] = to8(px[2]!, d);
          if (channels === 4) out[o + 3] = alpha;
        }
      }
    }
  }
  return { width: w, height: h, channels, data: out };
}
