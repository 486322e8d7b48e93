// TIFF decoding (first image): strips, uncompressed / PackBits / LZW / Deflate, horizontal predictor,
// 8-bit gray, RGB(A) and palette, and 1-bit bilevel images (16-bit gray and RGB(A) too, reduced to 8 bits as
// OpenCV reads them); a gray image's extra samples are dropped.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import type { DecodedImage } from './decoded.js';
import { inflate } from './inflate.js';

export function isTiff(b: Uint8Array): boolean {
  return b.length >= 8 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 42 && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 42));
}

const fail = (what: string): never => {
  throw new IsotensorError(`image.decode: bad or unsupported TIFF (${what})`);
};

function packBits(src: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let n = 0;
  for (let p = 0; p < src.length && n < size;) {
    const c = (src[p++]! << 24) >> 24;
    if (c >= 0) {
      const k = Math.min(c + 1, size - n, src.length - p);
      out.set(src.subarray(p, p + k), n);
      n += k;
      p += c + 1;
    } else if (c !== -128) {
      out.fill(src[p++] ?? 0, n, Math.min(size, n + 1 - c));
      n = Math.min(size, n + 1 - c);
    }
  }
  return out;
}

// TIFF's LZW: MSB-first codes of 9-12 bits, 256 clear, 257 end; the code width grows one code early.
function lzw(src: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const length = new Uint16Array(4096);
  for (let i = 0; i < 256; i++) { suffix[i] = i; length[i] = 1; prefix[i] = -1; }
  let n = 0;
  let bit = 0;
  let width = 9;
  let next = 258;
  let old = -1;
  const emit = (code: number): number => {
    const len = length[code]!;
    for (let k = len - 1, c = code; k >= 0; k--, c = prefix[c]!) if (n + k < size) out[n + k] = suffix[c]!;
    n += len;
    return len;
  };
  const first = (code: number): number => { let c = code; while (prefix[c]! >= 0) c = prefix[c]!; return suffix[c]!; };
  while (n < size && bit + width <= src.length * 8) {
    let code = 0;
    for (let k = 0; k < width; k++, bit++) code = (code << 1) | ((src[bit >> 3]! >> (7 - (bit & 7))) & 1);
    if (code === 257) break;
    if (code === 256) { width = 9; next = 258; old = -1; continue; }
    if (old < 0) { if (code > 255) fail('LZW code before a clear'); emit(code); old = code; continue; }
    if (code > next || next >= 4096) fail('bad LZW code');
    const f = code < next ? first(code) : first(old);
    prefix[next] = old; suffix[next] = f; length[next] = length[old]! + 1; next++;
    emit(code);
    old = code;
    if (next + 1 >= 1 << width && width < 12) width++;
  }
  return out;
}

const EXTRASAMPLE_UNASSOCALPHA = 2;

/**
 * 16-bit samples (in the file's byte order; `rowSamples` > 0 undoes the horizontal predictor over rows of that
 * many samples) as 8-bit: scaled as libtiff's RGBA reading does for color, the high byte for gray (OpenCV's
 * own 16-bit path, then shifted down).
 */
function to8Bits(src: Uint8Array, n: number, le: boolean, rowSamples: number, spp: number, color: boolean): Uint8Array {
  const v = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const wide = new Uint16Array(n);
  for (let i = 0; i < n; i++) wide[i] = v.getUint16(2 * i, le);
  if (rowSamples > 0) for (let i = 0; i < n; i++) if (i % rowSamples >= spp) wide[i] = wide[i]! + wide[i - spp]!;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = color ? Math.floor((wide[i]! * 255 + 32767) / 65535) : wide[i]! >> 8;
  return out;
}

/**
 * The pixels as gray, RGB or RGBA (RGB with an extra sample keeps the first as alpha, as stored: Pillow's
 * reading). With `openCV` (cv::imdecode's read mode), as OpenCV reads them: unassociated alpha (ExtraSamples 2)
 * is multiplied into the color as libtiff's TIFFReadRGBA does, (c * a + 127) / 255 truncated (its UaToAa
 * table); in modes 'color' and 'gray' 16-bit samples are read too: RGB(A) as (v * 255 + 32767) / 65535
 * (libtiff's Bitdepth16To8), gray as the high byte ('unchanged' would keep 16 bits, which 8-bit pixels cannot).
 */
export function decodeTiff(b: Uint8Array, opts: { openCV?: 'color' | 'gray' | 'unchanged' } = {}): DecodedImage {
  const le = b[0] === 0x49;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u16 = (p: number): number => { if (p + 2 > b.length) fail('runs past the end'); return v.getUint16(p, le); };
  const u32 = (p: number): number => { if (p + 4 > b.length) fail('runs past the end'); return v.getUint32(p, le); };
  const ifd = u32(4);
  const count = u16(ifd);
  const tags = new Map<number, number[]>();
  const SIZE: Record<number, number> = { 1: 1, 3: 2, 4: 4 };
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + 12 * i;
    const tag = u16(e);
    const type = u16(e + 2);
    const n = u32(e + 4);
    const size = SIZE[type];
    if (size === undefined) continue;  // rationals, ASCII: not needed for pixels
    const at = size * n <= 4 ? e + 8 : u32(e + 8);
    if (n > 1 << 24) fail(`tag ${tag} has ${n} values`);
    tags.set(tag, Array.from({ length: n }, (_, k) => (size === 1 ? b[at + k] ?? fail('runs past the end') : size === 2 ? u16(at + 2 * k) : u32(at + 4 * k))));
  }
  const one = (tag: number, dflt?: number): number => tags.get(tag)?.[0] ?? dflt ?? fail(`tag ${tag} missing`);
  const w = one(256);
  const h = one(257);
  const bits = one(258, 1);
  const compression = one(259, 1);
  const photometric = one(262);
  const spp = one(277, 1);
  const rowsPerStrip = Math.min(one(278, h), h);
  const predictor = one(317, 1);
  if (one(284, 1) !== 1) fail('planar configuration 2');
  if (w <= 0 || h <= 0 || w * h > 1 << 28) fail(`size ${w}x${h}`);
  const wide = bits === 16 && (opts.openCV === 'color' || opts.openCV === 'gray') && (photometric === 1 || photometric === 2);
  if (bits === 16 && opts.openCV === 'unchanged') fail('16 bits per sample with flag -1, which OpenCV keeps as uint16');
  if (!(bits === 8 || wide || (bits === 1 && spp === 1))) fail(`${bits} bits per sample`);
  if (![0, 1, 2, 3].includes(photometric)) fail(`photometric interpretation ${photometric}`);
  const offsets = tags.get(273) ?? fail('no strip offsets');
  const counts = tags.get(279) ?? fail('no strip byte counts');
  const fileStride = Math.ceil((w * spp * bits) / 8);
  const fileRaw = new Uint8Array(fileStride * h);
  offsets.forEach((off, s) => {
    const rows = Math.min(rowsPerStrip, h - s * rowsPerStrip);
    if (rows <= 0) return;
    const size = rows * fileStride;
    const src = b.subarray(off, off + (counts[s] ?? 0));
    if (off + (counts[s] ?? 0) > b.length) fail('strip runs past the end');
    const strip = compression === 1 ? src : compression === 32773 ? packBits(src, size) : compression === 5 ? lzw(src, size)
      : compression === 8 || compression === 32946 ? inflate(src, true, size) : fail(`compression ${compression}`);
    fileRaw.set(strip.subarray(0, size), s * rowsPerStrip * fileStride);
  });
  const raw = wide ? to8Bits(fileRaw, w * spp * h, le, predictor === 2 ? w * spp : 0, spp, photometric === 2) : fileRaw;
  const stride = wide ? w * spp : fileStride;
  if (predictor === 2 && !wide) for (let y = 0; y < h; y++) for (let x = spp; x < w * spp; x++) raw[y * stride + x] = raw[y * stride + x]! + raw[y * stride + x - spp]!;
  const channels = photometric === 2 || photometric === 3 ? (photometric === 2 && spp >= 4 ? 4 : 3) : 1;
  const premultiply = channels === 4 && opts.openCV !== undefined && tags.get(338)?.[0] === EXTRASAMPLE_UNASSOCALPHA;
  const out = new Uint8Array(w * h * channels);
  const map = tags.get(320);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * channels;
      if (bits === 1) {
        const bitv = (raw[y * stride + (x >> 3)]! >> (7 - (x & 7))) & 1;
        out[o] = (bitv ^ (photometric === 0 ? 1 : 0)) * 255;
      } else if (photometric === 3) {
        const k = raw[y * stride + x * spp]!;
        const m = map !== undefined && map.length >= 768 ? map : fail('palette image without a 256-entry color map');
        for (let c = 0; c < 3; c++) out[o + c] = m[c * 256 + k]! >> 8;
      } else {
        for (let c = 0; c < channels; c++) {
          const s = raw[y * stride + x * spp + c]!;
          out[o + c] = photometric === 0 ? 255 - s : s;
        }
        if (premultiply) {
          const a = out[o + 3]!;
          for (let c = 0; c < 3; c++) out[o + c] = Math.floor((out[o + c]! * a + 127) / 255);
        }
      }
    }
  }
  return { width: w, height: h, channels, data: out };
}
