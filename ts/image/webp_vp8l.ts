// Lossless WebP (VP8L): Huffman-coded ARGB with a color cache and LZ77 backward references, meta Huffman
// codes per tile, and the predictor, cross-color, subtract-green and color-indexing transforms. Also decodes
// the headerless VP8L streams that hold a lossy image's alpha (ALPH chunks, read by webp.ts).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';

const fail = (what: string): never => {
  throw new IsotensorError(`image.decode: bad WebP (VP8L ${what})`);
};

/** Bits least significant first; reading past the end yields zeros and makes `eos` true. */
class BitReader {
  private val = 0;
  private nbits = 0;
  private virtualBytes = 0;

  constructor(private readonly buf: Uint8Array, private pos: number, private readonly end: number) {}

  private fill(n: number): void {
    while (this.nbits < n) {
      if (this.pos < this.end) this.val |= this.buf[this.pos++]! << this.nbits;
      else this.virtualBytes++;
      this.nbits += 8;
    }
  }

  /** n <= 24 bits. */
  read(n: number): number {
    if (n === 0) return 0;
    this.fill(n);
    const v = this.val & ((1 << n) - 1);
    this.val >>>= n;
    this.nbits -= n;
    return v;
  }

  /** The next 16 bits, not consumed. */
  peek16(): number {
    this.fill(16);
    return this.val & 0xffff;
  }

  skip(n: number): void {
    this.val >>>= n;
    this.nbits -= n;
  }

  /** True once more bits were consumed than the data holds. */
  get eos(): boolean {
    return this.virtualBytes * 8 > this.nbits;
  }
}

// ---- Huffman codes: a root table on 8 bits, with second-level tables for longer codes ----

const ROOT_BITS = 8;
const LINK = 0x80;

interface Huffman {
  /** Per entry: the code length to consume (a leaf), or LINK | the bits of a second-level table. */
  lens: Uint8Array;
  /** Per entry: the symbol (a leaf), or where the second-level table starts. */
  vals: Uint16Array;
}

/** The decoding table of canonical code lengths; undefined unless the code is complete (or has one symbol). */
function buildHuffman(lengths: Uint8Array, n: number): Huffman | undefined {
  const count = new Int32Array(16);
  let used = 0;
  let single = 0;
  for (let s = 0; s < n; s++) {
    if (lengths[s]! > 0) {
      count[lengths[s]!]!++;
      used++;
      single = s;
    }
  }
  if (used === 0) return undefined;
  if (used === 1) {  // one symbol: decoded without reading any bits
    return { lens: new Uint8Array(1 << ROOT_BITS), vals: new Uint16Array(1 << ROOT_BITS).fill(single) };
  }
  let open = 1;
  for (let len = 1; len < 16; len++) {
    open = 2 * open - count[len]!;
    if (open < 0) return undefined;  // over-subscribed
  }
  if (open !== 0) return undefined;  // incomplete
  // Canonical codes: those of each length follow the shorter ones, in symbol order.
  const next = new Int32Array(16);
  let code = 0;
  for (let len = 1; len < 16; len++) {
    next[len] = code;
    code = (code + count[len]!) << 1;
  }
  const lens: number[] = new Array<number>(1 << ROOT_BITS).fill(0);
  const vals: number[] = new Array<number>(1 << ROOT_BITS).fill(0);
  const long = new Map<number, [number, number, number][]>();  // root index -> (rest of the code, length, symbol)
  for (let s = 0; s < n; s++) {
    const len = lengths[s]!;
    if (len === 0) continue;
    const c = next[len]!++;
    let rev = 0;
    for (let i = 0; i < len; i++) rev |= ((c >> i) & 1) << (len - 1 - i);
    if (len <= ROOT_BITS) {
      for (let k = rev; k < 1 << ROOT_BITS; k += 1 << len) {
        lens[k] = len;
        vals[k] = s;
      }
    } else {
      const root = rev & ((1 << ROOT_BITS) - 1);
      if (!long.has(root)) long.set(root, []);
      long.get(root)!.push([rev >> ROOT_BITS, len, s]);
    }
  }
  for (const [root, codes] of long) {
    const bits = Math.max(...codes.map(([, len]) => len)) - ROOT_BITS;
    const at = lens.length;
    lens.push(...new Array<number>(1 << bits).fill(0));
    vals.push(...new Array<number>(1 << bits).fill(0));
    lens[root] = LINK | bits;
    vals[root] = at;
    for (const [rest, len, s] of codes) {
      for (let k = rest; k < 1 << bits; k += 1 << (len - ROOT_BITS)) {
        lens[at + k] = len;
        vals[at + k] = s;
      }
    }
  }
  return { lens: Uint8Array.from(lens), vals: Uint16Array.from(vals) };
}

function readSymbol(h: Huffman, br: BitReader): number {
  const bits = br.peek16();
  const i = bits & 0xff;
  const len = h.lens[i]!;
  if (len & LINK) {
    const j = h.vals[i]! + ((bits >> ROOT_BITS) & ((1 << (len & 0x7f)) - 1));
    br.skip(h.lens[j]!);
    return h.vals[j]!;
  }
  br.skip(len);
  return h.vals[i]!;
}

const CODE_LENGTH_ORDER = [17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/** One Huffman code of the stream: "simple" (one or two 1-bit symbols) or code lengths that are themselves coded. */
function readHuffman(br: BitReader, alphabet: number): Huffman {
  const lengths = new Uint8Array(Math.max(alphabet, 256));
  if (br.read(1)) {
    const two = br.read(1);
    lengths[br.read(br.read(1) ? 8 : 1)] = 1;
    if (two) lengths[br.read(8)] = 1;
  } else {
    const clLengths = new Uint8Array(19);
    const numCodes = br.read(4) + 4;
    for (let i = 0; i < numCodes; i++) clLengths[CODE_LENGTH_ORDER[i]!] = br.read(3);
    const cl = buildHuffman(clLengths, 19) ?? fail('code-length code is not a valid prefix code');
    let maxSymbol = alphabet;
    if (br.read(1)) {
      maxSymbol = 2 + br.read(2 + 2 * br.read(3));
      if (maxSymbol > alphabet) fail(`code lengths for ${maxSymbol} symbols of ${alphabet}`);
    }
    let prev = 8;
    for (let s = 0; s < alphabet;) {
      if (maxSymbol-- === 0) break;
      const len = readSymbol(cl, br);
      if (len < 16) {
        lengths[s++] = len;
        if (len !== 0) prev = len;
      } else {
        const repeat = br.read([2, 3, 7][len - 16]!) + [3, 3, 11][len - 16]!;
        if (s + repeat > alphabet) fail('code lengths repeat past the alphabet');
        lengths.fill(len === 16 ? prev : 0, s, s + repeat);
        s += repeat;
      }
    }
  }
  if (br.eos) fail('data truncated in a Huffman code');
  return buildHuffman(lengths, alphabet) ?? fail('a Huffman code is not a valid prefix code');
}

// ---- LZ77 distances ----

/** Distance codes 1-120 name nearby pixels by (dy, 8 - dx); larger codes are plain distances plus 120. */
const CODE_TO_PLANE = [
  0x18, 0x07, 0x17, 0x19, 0x28, 0x06, 0x27, 0x29, 0x16, 0x1a, 0x26, 0x2a, 0x38, 0x05, 0x37, 0x39, 0x15, 0x1b, 0x36,
  0x3a, 0x25, 0x2b, 0x48, 0x04, 0x47, 0x49, 0x14, 0x1c, 0x35, 0x3b, 0x46, 0x4a, 0x24, 0x2c, 0x58, 0x45, 0x4b, 0x34,
  0x3c, 0x03, 0x57, 0x59, 0x13, 0x1d, 0x56, 0x5a, 0x23, 0x2d, 0x44, 0x4c, 0x55, 0x5b, 0x33, 0x3d, 0x68, 0x02, 0x67,
  0x69, 0x12, 0x1e, 0x66, 0x6a, 0x22, 0x2e, 0x54, 0x5c, 0x43, 0x4d, 0x65, 0x6b, 0x32, 0x3e, 0x78, 0x01, 0x77, 0x79,
  0x53, 0x5d, 0x11, 0x1f, 0x64, 0x6c, 0x42, 0x4e, 0x76, 0x7a, 0x21, 0x2f, 0x75, 0x7b, 0x31, 0x3f, 0x63, 0x6d, 0x52,
  0x5e, 0x00, 0x74, 0x7c, 0x41, 0x4f, 0x10, 0x20, 0x62, 0x6e, 0x30, 0x73, 0x7d, 0x51, 0x5f, 0x40, 0x72, 0x7e, 0x61,
  0x6f, 0x50, 0x71, 0x7f, 0x60, 0x70,
];

/** A length or distance from its prefix symbol and extra bits. */
function prefixValue(sym: number, br: BitReader): number {
  if (sym < 4) return sym + 1;
  const extra = (sym - 2) >> 1;
  return ((2 + (sym & 1)) << extra) + br.read(extra) + 1;
}

function planeDistance(width: number, code: number): number {
  if (code > 120) return code - 120;
  const d = CODE_TO_PLANE[code - 1]!;
  const dist = (d >> 4) * width + 8 - (d & 0xf);
  return dist >= 1 ? dist : 1;
}

// ---- pixel arithmetic (per 8-bit channel of ARGB words) ----

const addPixels = (a: number, b: number): number =>
  ((((a & 0xff00ff00) + (b & 0xff00ff00)) & 0xff00ff00) | (((a & 0x00ff00ff) + (b & 0x00ff00ff)) & 0x00ff00ff)) >>> 0;
const average2 = (a: number, b: number): number => ((((a ^ b) & 0xfefefefe) >>> 1) + (a & b)) >>> 0;
const clip255 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

function clampedAddSubtractFull(a: number, b: number, c: number): number {
  let out = 0;
  for (let s = 0; s < 32; s += 8) out |= clip255(((a >>> s) & 0xff) + ((b >>> s) & 0xff) - ((c >>> s) & 0xff)) << s;
  return out >>> 0;
}

function clampedAddSubtractHalf(a: number, b: number, c: number): number {
  const ave = average2(a, b);
  let out = 0;
  for (let s = 0; s < 32; s += 8) {
    const x = (ave >>> s) & 0xff;
    out |= clip255(x + Math.trunc((x - ((c >>> s) & 0xff)) / 2)) << s;
  }
  return out >>> 0;
}

/** T or L, whichever the gradient T + L - TL is nearer (summed over the channels). */
function select(t: number, l: number, tl: number): number {
  let d = 0;
  for (let s = 0; s < 32; s += 8) {
    const c = (tl >>> s) & 0xff;
    d += Math.abs(((l >>> s) & 0xff) - c) - Math.abs(((t >>> s) & 0xff) - c);
  }
  return d <= 0 ? t : l;
}

/** Prediction mode m (0-13; 14 and 15 act as 0) from left, top, top-left and top-right. */
function predict(m: number, l: number, t: number, tl: number, tr: number): number {
  switch (m) {
    case 1: return l;
    case 2: return t;
    case 3: return tr;
    case 4: return tl;
    case 5: return average2(average2(l, tr), t);
    case 6: return average2(l, tl);
    case 7: return average2(l, t);
    case 8: return average2(tl, t);
    case 9: return average2(t, tr);
    case 10: return average2(average2(l, tl), average2(t, tr));
    case 11: return select(t, l, tl);
    case 12: return clampedAddSubtractFull(l, t, tl);
    case 13: return clampedAddSubtractHalf(l, t, tl);
    default: return 0xff000000;
  }
}

const subSample = (size: number, bits: number): number => (size + (1 << bits) - 1) >> bits;

interface Transform { type: number; xsize: number; bits: number; data: Uint32Array }

function inversePredictor(d: Uint32Array, w: number, h: number, t: Transform): void {
  for (let x = 0; x < w; x++) d[x] = addPixels(d[x]!, x === 0 ? 0xff000000 : d[x - 1]!);
  const tiles = subSample(w, t.bits);
  for (let y = 1; y < h; y++) {
    const row = y * w;
    const modes = (y >> t.bits) * tiles;
    d[row] = addPixels(d[row]!, d[row - w]!);
    for (let x = 1; x < w; x++) {
      const m = (t.data[modes + (x >> t.bits)]! >> 8) & 0xf;
      const i = row + x;
      // The top-right of the last column is this row's first pixel (the pixel after the top one in memory).
      d[i] = addPixels(d[i]!, predict(m, d[i - 1]!, d[i - w]!, d[i - w - 1]!, d[i - w + 1]!));
    }
  }
}

function inverseCrossColor(d: Uint32Array, w: number, h: number, t: Transform): void {
  const tiles = subSample(w, t.bits);
  const s8 = (v: number): number => (v << 24) >> 24;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const m = t.data[(y >> t.bits) * tiles + (x >> t.bits)]!;
      const g2r = s8(m), g2b = s8(m >> 8), r2b = s8(m >> 16);
      const i = y * w + x;
      const argb = d[i]!;
      const green = s8(argb >> 8);
      const red = ((argb >> 16) + ((g2r * green) >> 5)) & 0xff;
      const blue = ((argb & 0xff) + ((g2b * green) >> 5) + ((r2b * s8(red)) >> 5)) & 0xff;
      d[i] = ((argb & 0xff00ff00) | (red << 16) | blue) >>> 0;
    }
  }
}

function addGreen(d: Uint32Array): void {
  for (let i = 0; i < d.length; i++) {
    const argb = d[i]!;
    const g = (argb >> 8) & 0xff;
    d[i] = ((argb & 0xff00ff00) | ((((argb & 0x00ff00ff) + ((g << 16) | g)) & 0x00ff00ff))) >>> 0;
  }
}

/** Palette indices (packed 1, 2, 4 or 8 to a green byte) to colors. */
function inverseColorIndexing(d: Uint32Array, w: number, h: number, t: Transform): Uint32Array {
  const packedW = subSample(w, t.bits);
  const bpp = 8 >> t.bits;
  const perByte = 1 << t.bits;
  const mask = (1 << bpp) - 1;
  const out = new Uint32Array(w * h);
  for (let y = 0; y < h; y++) {
    let packed = 0;
    for (let x = 0; x < w; x++) {
      if ((x & (perByte - 1)) === 0) packed = (d[y * packedW + (x >> t.bits)]! >> 8) & 0xff;
      out[y * w + x] = t.data[packed & mask]!;
      packed >>= bpp;
    }
  }
  return out;
}

const MAX_PIXELS = 1 << 28;

/**
 * One entropy-coded image of xsize x ysize: with level0 (the main image, or an alpha plane), its transforms
 * and meta Huffman codes come first and are undone at the end; sub-images (transform data, the meta codes'
 * own image) have neither.
 */
function decodeStream(br: BitReader, xsize: number, ysize: number, level0: boolean): Uint32Array {
  if (xsize * ysize > MAX_PIXELS) fail(`${xsize}x${ysize} is too large`);
  const transforms: Transform[] = [];
  let w = xsize;
  if (level0) {
    let seen = 0;
    while (br.read(1)) {
      const type = br.read(2);
      if (seen & (1 << type)) fail(`transform ${type} repeated`);
      seen |= 1 << type;
      const t: Transform = { type, xsize: w, bits: 0, data: new Uint32Array(0) };
      if (type === 0 || type === 1) {
        t.bits = br.read(3) + 2;
        t.data = decodeStream(br, subSample(w, t.bits), subSample(ysize, t.bits), false);
      } else if (type === 3) {
        const numColors = br.read(8) + 1;
        t.bits = numColors > 16 ? 0 : numColors > 4 ? 1 : numColors > 2 ? 2 : 3;
        const colors = decodeStream(br, numColors, 1, false);
        // Palette entries are deltas of the previous one; indices past the palette are transparent black.
        t.data = new Uint32Array(1 << (8 >> t.bits));
        for (let i = 0; i < numColors; i++) t.data[i] = i === 0 ? colors[0]! : addPixels(colors[i]!, t.data[i - 1]!);
        w = subSample(w, t.bits);
      }
      transforms.push(t);
    }
  }
  let cacheBits = 0;
  if (br.read(1)) {
    cacheBits = br.read(4);
    if (cacheBits < 1 || cacheBits > 11) fail(`color cache of ${cacheBits} bits`);
  }
  let metaBits = 0;
  let meta: Uint32Array | undefined;
  let numGroups = 1;
  if (level0 && br.read(1)) {
    metaBits = br.read(3) + 2;
    meta = decodeStream(br, subSample(w, metaBits), subSample(ysize, metaBits), false);
    for (let i = 0; i < meta.length; i++) {
      meta[i] = (meta[i]! >> 8) & 0xffff;
      numGroups = Math.max(numGroups, meta[i]! + 1);
    }
  }
  if (br.eos) fail('data truncated');
  const cacheSize = cacheBits ? 1 << cacheBits : 0;
  const groups: Huffman[][] = [];
  for (let g = 0; g < numGroups; g++) {
    groups.push([256 + 24 + cacheSize, 256, 256, 256, 40].map((n) => readHuffman(br, n)));
  }

  // The pixels: literals, backward references and color cache hits.
  const data = new Uint32Array(w * ysize);
  const cache = new Uint32Array(cacheSize);
  const cacheShift = 32 - cacheBits;
  let cached = 0;  // pixels before this one are in the cache
  const metaW = subSample(w, metaBits);
  const groupAt = (x: number, y: number): Huffman[] => groups[meta ? meta[(y >> metaBits) * metaW + (x >> metaBits)]! : 0]!;
  const total = w * ysize;
  let x = 0;
  let y = 0;
  let group = groupAt(0, 0);
  const metaMask = meta ? (1 << metaBits) - 1 : -1;
  for (let i = 0; i < total;) {
    if ((x & metaMask) === 0) group = groupAt(x, y);
    const code = readSymbol(group[0]!, br);
    if (code < 256) {
      const red = readSymbol(group[1]!, br);
      const blue = readSymbol(group[2]!, br);
      const alpha = readSymbol(group[3]!, br);
      data[i++] = ((alpha << 24) | (red << 16) | (code << 8) | blue) >>> 0;
      if (++x >= w) {
        x = 0;
        y++;
        if (br.eos) fail('data truncated');
      }
    } else if (code < 256 + 24) {
      const length = prefixValue(code - 256, br);
      const dist = planeDistance(w, prefixValue(readSymbol(group[4]!, br), br));
      if (br.eos) fail('data truncated');
      if (dist > i || length > total - i) fail(`backward reference (distance ${dist}, length ${length}) out of the image`);
      for (let k = 0; k < length; k++, i++) data[i] = data[i - dist]!;
      x += length;
      while (x >= w) {
        x -= w;
        y++;
      }
      if (x & metaMask) group = groupAt(x, y);
    } else {
      const key = code - 280;
      if (key >= cacheSize) fail(`color cache index ${key}`);
      for (; cached < i; cached++) cache[Math.imul(data[cached]!, 0x1e35a7bd) >>> cacheShift] = data[cached]!;
      data[i++] = cache[key]!;
      if (++x >= w) {
        x = 0;
        y++;
      }
    }
    if (cacheSize) for (; cached < i; cached++) cache[Math.imul(data[cached]!, 0x1e35a7bd) >>> cacheShift] = data[cached]!;
  }
  if (br.eos) fail('data truncated');

  let out: Uint32Array = data;
  for (let k = transforms.length - 1; k >= 0; k--) {
    const t = transforms[k]!;
    if (t.type === 0) inversePredictor(out, t.xsize, ysize, t);
    else if (t.type === 1) inverseCrossColor(out, t.xsize, ysize, t);
    else if (t.type === 2) addGreen(out);
    else out = inverseColorIndexing(out, t.xsize, ysize, t);
  }
  return out;
}

/** The header of a VP8L bitstream: signature 0x2f, 14-bit width and height less one, alpha hint, version 0. */
function vp8lHeader(b: Uint8Array): { width: number; height: number; hasAlpha: boolean } {
  if (b.length < 5) fail(`header truncated (${b.length} bytes)`);
  if (b[0] !== 0x2f) fail(`signature 0x${b[0]!.toString(16)}`);
  const br = new BitReader(b, 1, 5);
  const width = br.read(14) + 1;
  const height = br.read(14) + 1;
  const hasAlpha = br.read(1) === 1;
  const version = br.read(3);
  if (version !== 0) fail(`version ${version}`);
  return { width, height, hasAlpha };
}

/** Decodes a VP8L bitstream (a WebP `VP8L` chunk's payload) to ARGB words, row by row. */
export function decodeVp8l(b: Uint8Array): { width: number; height: number; hasAlpha: boolean; argb: Uint32Array } {
  const { width, height, hasAlpha } = vp8lHeader(b);
  const argb = decodeStream(new BitReader(b, 5, b.length), width, height, true);
  return { width, height, hasAlpha, argb };
}

/** The green channel of a headerless VP8L stream of width x height (how ALPH chunks compress alpha). */
export function decodeVp8lAlpha(b: Uint8Array, width: number, height: number): Uint8Array {
  const argb = decodeStream(new BitReader(b, 0, b.length), width, height, true);
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = (argb[i]! >> 8) & 0xff;
  return out;
}
