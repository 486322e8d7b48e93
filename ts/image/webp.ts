// WebP decoding: the RIFF container (simple lossy, simple lossless, and extended VP8X files), the ALPH chunk
// that gives a lossy image its alpha (raw or lossless-compressed, with its prediction filters), and the first
// frame of an animation. Pixels match libwebp's (and so Pillow's) output exactly.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import type { DecodedImage } from './decoded.js';
import { decodeVp8 } from './webp_vp8.js';
import { decodeVp8l, decodeVp8lAlpha } from './webp_vp8l.js';
import { yuvToRgb } from './webp_yuv.js';

const fail = (what: string): never => {
  throw new IsotensorError(`image.decode: bad WebP (${what})`);
};

const fourcc = (b: Uint8Array, at: number): string => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
const u24 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
const u32 = (b: Uint8Array, at: number): number => (u24(b, at) + b[at + 3]! * 0x1000000);

export function isWebp(b: Uint8Array): boolean {
  return b.length >= 12 && fourcc(b, 0) === 'RIFF' && fourcc(b, 8) === 'WEBP';
}

interface Chunk { name: string; data: Uint8Array }

/** The chunks of b[from, to): a four-letter name, a 32-bit little-endian size, the data, a pad byte if odd. */
function chunks(b: Uint8Array, from: number, to: number): Chunk[] {
  const out: Chunk[] = [];
  for (let p = from; p < to;) {
    if (to - p < 8) fail(`chunk header truncated at byte ${p}`);
    const name = fourcc(b, p);
    const size = u32(b, p + 4);
    if (size > to - p - 8) fail(`chunk '${name}' of ${size} bytes runs past the end (${to - p - 8} left)`);
    out.push({ name, data: b.subarray(p + 8, p + 8 + size) });
    p += 8 + size + (size & 1);
  }
  return out;
}

/** An image bitstream (VP8 or VP8L, with an optional ALPH chunk before a VP8 one) as RGBA or RGB. */
interface Frame { width: number; height: number; alpha: boolean; rgba: Uint8Array }

function decodeFrame(list: Chunk[], where: string): Frame {
  const image = list.find((c) => c.name === 'VP8 ' || c.name === 'VP8L') ?? fail(`no VP8 or VP8L chunk in ${where}`);
  if (image.name === 'VP8L') {
    const { width, height, hasAlpha, argb } = decodeVp8l(image.data);
    const rgba = new Uint8Array(width * height * 4);
    for (let i = 0; i < argb.length; i++) {
      const v = argb[i]!;
      rgba[4 * i] = (v >> 16) & 0xff;
      rgba[4 * i + 1] = (v >> 8) & 0xff;
      rgba[4 * i + 2] = v & 0xff;
      rgba[4 * i + 3] = v >>> 24;
    }
    return { width, height, alpha: hasAlpha, rgba };
  }
  const frame = decodeVp8(image.data);
  const { width, height } = frame;
  const rgba = new Uint8Array(width * height * 4);
  yuvToRgb(frame, rgba, 4);
  const alph = list.indexOf(image) > 0 ? list.slice(0, list.indexOf(image)).find((c) => c.name === 'ALPH') : undefined;
  const alpha = alph ? decodeAlpha(alph.data, width, height) : undefined;
  for (let i = 0; i < width * height; i++) rgba[4 * i + 3] = alpha ? alpha[i]! : 255;
  return { width, height, alpha: alpha !== undefined, rgba };
}

/**
 * An ALPH chunk: a header byte (compression 0 raw or 1 lossless, prediction filter 0-3, pre-processing, reserved
 * 0), then width x height filtered alpha values, raw or as a headerless VP8L stream's green channel.
 */
function decodeAlpha(data: Uint8Array, width: number, height: number): Uint8Array {
  if (data.length <= 1) fail('empty ALPH chunk');
  const method = data[0]! & 3;
  const filter = (data[0]! >> 2) & 3;
  if (method > 1 || ((data[0]! >> 4) & 3) > 1 || data[0]! >> 6) fail(`ALPH header 0x${data[0]!.toString(16)}`);
  let a: Uint8Array;
  if (method === 0) {
    if (data.length - 1 < width * height) fail(`raw alpha of ${data.length - 1} bytes for ${width}x${height}`);
    a = data.slice(1, 1 + width * height);
  } else {
    a = decodeVp8lAlpha(data.subarray(1), width, height);
  }
  // Undo the filter: each value was stored as its difference from a prediction (left, above, or the gradient
  // left + above - above-left, clamped); the first row predicts from the left, the first column from above.
  if (filter === 0) return a;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const up = row - width;
    for (let x = 0; x < width; x++) {
      let pred: number;
      if (y === 0) pred = x === 0 ? 0 : a[row + x - 1]!;
      else if (filter === 1) pred = x === 0 ? a[up]! : a[row + x - 1]!;
      else if (filter === 2) pred = a[up + x]!;
      else if (x === 0) pred = a[up]!;
      else {
        const g = a[row + x - 1]! + a[up + x]! - a[up + x - 1]!;
        pred = g < 0 ? 0 : g > 255 ? 255 : g;
      }
      a[row + x] = (a[row + x]! + pred) & 0xff;
    }
  }
  return a;
}

/**
 * Decodes a WebP file: lossy (VP8), lossless (VP8L), lossy with alpha (VP8X + ALPH + VP8). An animation gives
 * its first frame on the canvas as libwebp's animation decoder (what Pillow uses) leaves it: transparent black
 * where the frame does not reach. RGBA when the file has alpha, else RGB.
 */
export function decodeWebp(b: Uint8Array): DecodedImage {
  if (!isWebp(b)) fail('no RIFF/WEBP signature');
  const riffSize = u32(b, 4);
  if (riffSize < 12) fail(`RIFF size ${riffSize} is too small`);
  if (riffSize > b.length - 8) fail(`truncated: the RIFF header says ${riffSize + 8} bytes, the file has ${b.length}`);
  const list = chunks(b, 12, 8 + riffSize);
  const first = list[0] ?? fail('no chunks');
  let frame: Frame;
  let hasAlpha: boolean;
  if (first.name === 'VP8 ' || first.name === 'VP8L') {
    frame = decodeFrame([first], 'the file');
    hasAlpha = frame.alpha;
  } else if (first.name === 'VP8X') {
    if (first.data.length < 10) fail(`VP8X chunk of ${first.data.length} bytes`);
    const flags = first.data[0]!;
    const canvasW = u24(first.data, 4) + 1;
    const canvasH = u24(first.data, 7) + 1;
    if (canvasW * canvasH > 1 << 28) fail(`canvas ${canvasW}x${canvasH} is too large`);
    const rest = list.slice(1);
    if (flags & 0x02) {  // animation: the first ANMF frame
      const anmf = rest.find((c) => c.name === 'ANMF') ?? fail('animation without frames');
      const d = anmf.data;
      if (d.length < 16) fail(`ANMF chunk of ${d.length} bytes`);
      const x0 = u24(d, 0) * 2, y0 = u24(d, 3) * 2;
      const sub = decodeFrame(chunks(d, 16, d.length), 'the first frame');
      if (sub.width !== u24(d, 6) + 1 || sub.height !== u24(d, 9) + 1) fail('frame size differs from its ANMF header');
      if (x0 + sub.width > canvasW || y0 + sub.height > canvasH) fail('the first frame lies outside the canvas');
      const rgba = new Uint8Array(canvasW * canvasH * 4);
      for (let y = 0; y < sub.height; y++) {
        rgba.set(sub.rgba.subarray(y * sub.width * 4, (y + 1) * sub.width * 4), ((y0 + y) * canvasW + x0) * 4);
      }
      frame = { width: canvasW, height: canvasH, alpha: true, rgba };
      hasAlpha = (flags & 0x10) !== 0;
    } else {
      frame = decodeFrame(rest, 'the VP8X file');
      if (frame.width !== canvasW || frame.height !== canvasH) {
        fail(`image ${frame.width}x${frame.height} differs from the canvas ${canvasW}x${canvasH}`);
      }
      hasAlpha = (flags & 0x10) !== 0 || frame.alpha;
    }
  } else {
    return fail(`first chunk '${first.name}' is not VP8, VP8L or VP8X`);
  }
  const { width, height, rgba } = frame;
  if (hasAlpha) return { width, height, channels: 4, data: rgba };
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgb[i] = rgba[j]!;
    rgb[i + 1] = rgba[j + 1]!;
    rgb[i + 2] = rgba[j + 2]!;
  }
  return { width, height, channels: 3, data: rgb };
}
