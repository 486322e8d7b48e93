// JPEG decoder (baseline and progressive Huffman, 8-bit), bit-exact with libjpeg-turbo's defaults.
// SPDX-License-Identifier: Apache-2.0
//
// Matches what Pillow/libjpeg-turbo produce with default settings: ISLOW integer IDCT, "fancy"
// (triangle-filter) upsampling for h2v1 / h1v2 / h2v2 chroma, replication for other integral
// factors, and libjpeg's fixed-point YCbCr->RGB tables. The arithmetic follows IJG's jidctint.c,
// jdsample.c, jdcolor.c, jdhuff.c and jdphuff.c.
import { IsotensorError } from '../base/error.js';
import type { DecodedImage } from './decoded.js';

function fail(message: string): never {
  throw new IsotensorError(`image.decode: ${message}`);
}

const TRUNCATED = 'JPEG data is truncated or corrupt (ran out of data before the end of the image)';
const MAX_PIXELS = 1 << 28;

/** True when the bytes start with the JPEG SOI marker (FF D8) followed by another marker. */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

// Zigzag position -> natural (row-major) index; the 16 extra entries absorb run lengths that
// overshoot coefficient 63 in corrupt data, as libjpeg's jpeg_natural_order does.
const NATURAL_ORDER = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
  13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52,
  45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
  63, 63, 63, 63, 63,
]);

// Entropy decoding

const LOOKAHEAD = 9;

interface HuffmanTable {
  /** Codes of up to LOOKAHEAD bits: (length << 8) | symbol, 0 where the code is longer. */
  lookup: Uint16Array;
  /** Largest code of each length (-1 if none); index 17 is a sentinel. */
  maxCode: Int32Array;
  /** symbols[code + valueOffset[length]] is the symbol of a code of that length. */
  valueOffset: Int32Array;
  symbols: Uint8Array;
}

function buildHuffman(counts: Uint8Array, symbols: Uint8Array): HuffmanTable {
  const lookup = new Uint16Array(1 << LOOKAHEAD);
  const maxCode = new Int32Array(18).fill(-1);
  const valueOffset = new Int32Array(18);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    valueOffset[len] = k - code;
    for (let i = 0; i < counts[len - 1]; i++, code++, k++) {
      if (len <= LOOKAHEAD) {
        const shift = LOOKAHEAD - len;
        lookup.fill((len << 8) | symbols[k], code << shift, (code + 1) << shift);
      }
    }
    if (counts[len - 1]) maxCode[len] = code - 1;
    // No code may be all ones (libjpeg's JERR_BAD_HUFF_TABLE).
    if (code >= 1 << len) fail('corrupt JPEG data: bad Huffman table');
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff;
  return { lookup, maxCode, valueOffset, symbols };
}

/** Reads entropy-coded bits, undoing byte stuffing; past a marker it supplies zeros like libjpeg. */
class BitReader {
  bits = 0; // the next `count` bits, most significant first
  count = 0;
  markerHit = false;
  pastEnd = false;
  eobRun = 0; // progressive AC: blocks left in the current end-of-band run
  constructor(readonly data: Uint8Array, public pos: number) {}

  fill(): void {
    const data = this.data;
    while (this.count <= 24) {
      let byte = 0;
      if (!this.markerHit) {
        let p = this.pos;
        if (p >= data.length) {
          this.markerHit = this.pastEnd = true;
        } else {
          byte = data[p++];
          if (byte === 0xff) {
            let next = -1;
            while (p < data.length && (next = data[p++]) === 0xff);
            if (next !== 0) {
              // A marker (or the end of the data): leave pos on it and pad with zero bits.
              this.markerHit = true;
              if (next === -1 || next === 0xff) this.pastEnd = true;
              p -= 2;
              byte = 0;
            }
          }
          this.pos = p;
        }
      }
      this.bits = (this.bits << 8) | byte;
      this.count += 8;
    }
  }

  read(n: number): number {
    if (this.count < n) this.fill();
    this.count -= n;
    return (this.bits >>> this.count) & ((1 << n) - 1);
  }

  /** Reads s bits as a signed magnitude (JPEG's RECEIVE + EXTEND). */
  receive(s: number): number {
    if (s === 0) return 0;
    const v = this.read(s);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }

  decode(t: HuffmanTable): number {
    if (this.count < 16) this.fill();
    const e = t.lookup[(this.bits >>> (this.count - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1)];
    if (e !== 0) {
      this.count -= e >> 8;
      return e & 0xff;
    }
    for (let len = LOOKAHEAD + 1; len <= 16; len++) {
      const code = (this.bits >>> (this.count - len)) & ((1 << len) - 1);
      if (code <= t.maxCode[len]) {
        this.count -= len;
        return t.symbols[code + t.valueOffset[len]];
      }
    }
    if (this.pastEnd) fail(TRUNCATED);
    return fail('corrupt JPEG data: bad Huffman code');
  }

  /** Drops the leftover bits and steps over the RSTn marker that ends a restart interval. */
  restart(): void {
    const data = this.data;
    let p = this.pos;
    this.bits = this.count = this.eobRun = 0;
    this.markerHit = false;
    for (; p + 1 < data.length; p++) {
      if (data[p] !== 0xff) continue;
      const m = data[p + 1];
      if (m >= 0xd0 && m <= 0xd7) {
        this.pos = p + 2;
        return;
      }
      if (m !== 0 && m !== 0xff) break; // some other marker: the scan is over early
    }
    this.pos = p;
    this.markerHit = true;
    if (p + 1 >= data.length) this.pastEnd = true;
  }
}

interface Component {
  id: number;
  h: number;
  v: number;
  quantId: number;
  /** Sample grid of this component: ceil(image size * factor / max factor). */
  width: number;
  height: number;
  /** Blocks holding real samples (a non-interleaved scan codes exactly these). */
  blocksW: number;
  blocksH: number;
  /** Allocated blocks per row (whole MCUs). */
  stride: number;
  coefs: Int16Array;
  quant: Uint16Array | null;
  pred: number;
  dc: HuffmanTable | null;
  ac: HuffmanTable | null;
}

interface Frame {
  width: number;
  height: number;
  progressive: boolean;
  components: Component[];
  hMax: number;
  vMax: number;
  mcusX: number;
  mcusY: number;
}

type BlockDecoder = (r: BitReader, c: Component, off: number, ss: number, se: number, al: number) => void;

function decodeBaseline(r: BitReader, c: Component, off: number): void {
  const coefs = c.coefs;
  const ac = c.ac!;
  c.pred += r.receive(r.decode(c.dc!));
  coefs[off] = c.pred;
  for (let k = 1; k < 64; k++) {
    const rs = r.decode(ac);
    const s = rs & 15;
    if (s === 0) {
      if (rs !== 0xf0) break;
      k += 15;
      continue;
    }
    k += rs >> 4;
    coefs[off + NATURAL_ORDER[k]] = r.receive(s);
  }
}

function decodeDcFirst(r: BitReader, c: Component, off: number, _ss: number, _se: number, al: number): void {
  c.pred += r.receive(r.decode(c.dc!));
  c.coefs[off] = c.pred * (1 << al);
}

function decodeDcRefine(r: BitReader, c: Component, off: number, _ss: number, _se: number, al: number): void {
  if (r.read(1)) c.coefs[off] |= 1 << al;
}

function decodeAcFirst(r: BitReader, c: Component, off: number, ss: number, se: number, al: number): void {
  if (r.eobRun > 0) {
    r.eobRun--;
    return;
  }
  const coefs = c.coefs;
  const ac = c.ac!;
  for (let k = ss; k <= se; k++) {
    const rs = r.decode(ac);
    const run = rs >> 4;
    const s = rs & 15;
    if (s !== 0) {
      k += run;
      coefs[off + NATURAL_ORDER[k]] = r.receive(s) * (1 << al);
    } else if (run === 15) {
      k += 15;
    } else {
      r.eobRun = (1 << run) - 1 + (run ? r.read(run) : 0);
      break;
    }
  }
}

function decodeAcRefine(r: BitReader, c: Component, off: number, ss: number, se: number, al: number): void {
  const coefs = c.coefs;
  const p1 = 1 << al;
  const m1 = -1 << al;
  let k = ss;
  if (r.eobRun === 0) {
    for (; k <= se; k++) {
      const rs = r.decode(c.ac!);
      let run = rs >> 4;
      let value = 0;
      if (rs & 15) {
        value = r.read(1) ? p1 : m1;
      } else if (run !== 15) {
        r.eobRun = (1 << run) + (run ? r.read(run) : 0);
        break;
      }
      // Skip `run` zero coefficients, refining the nonzero ones passed on the way.
      do {
        const i = off + NATURAL_ORDER[k];
        if (coefs[i] !== 0) {
          if (r.read(1) && (coefs[i] & p1) === 0) coefs[i] += coefs[i] >= 0 ? p1 : m1;
        } else if (--run < 0) {
          break;
        }
        k++;
      } while (k <= se);
      if (value) coefs[off + NATURAL_ORDER[k]] = value;
    }
  }
  if (r.eobRun > 0) {
    for (; k <= se; k++) {
      const i = off + NATURAL_ORDER[k];
      if (coefs[i] !== 0 && r.read(1) && (coefs[i] & p1) === 0) coefs[i] += coefs[i] >= 0 ? p1 : m1;
    }
    r.eobRun--;
  }
}

function decodeScan(
  data: Uint8Array, pos: number, frame: Frame, comps: Component[],
  ss: number, se: number, ah: number, al: number, restartInterval: number,
): number {
  let decoder: BlockDecoder;
  if (!frame.progressive) decoder = decodeBaseline;
  else if (ss === 0) decoder = ah === 0 ? decodeDcFirst : decodeDcRefine;
  else decoder = ah === 0 ? decodeAcFirst : decodeAcRefine;
  const reader = new BitReader(data, pos);
  const single = comps.length === 1;
  // A one-component scan codes that component's blocks in raster order, one block per MCU.
  const mcusX = single ? comps[0].blocksW : frame.mcusX;
  const total = mcusX * (single ? comps[0].blocksH : frame.mcusY);
  for (const c of comps) c.pred = 0;
  for (let mcu = 0; mcu < total; mcu++) {
    if (restartInterval > 0 && mcu > 0 && mcu % restartInterval === 0) {
      reader.restart();
      for (const c of comps) c.pred = 0;
    }
    const my = (mcu / mcusX) | 0;
    const mx = mcu - my * mcusX;
    if (single) {
      decoder(reader, comps[0], (my * comps[0].stride + mx) * 64, ss, se, al);
    } else {
      for (const c of comps) {
        for (let v = 0; v < c.v; v++) {
          const row = (my * c.v + v) * c.stride + mx * c.h;
          for (let h = 0; h < c.h; h++) decoder(reader, c, (row + h) * 64, ss, se, al);
        }
      }
    }
    if (reader.pastEnd) fail(TRUNCATED);
  }
  return reader.pos;
}

// Inverse DCT: jpeg_idct_islow (CONST_BITS 13, PASS1_BITS 2)

// Post-IDCT range limit: index (x & 1023) gives clamp(x + 128, 0, 255) for x in [-512, 511],
// wrapping beyond like libjpeg's table.
const IDCT_CLAMP = new Uint8Array(1024);
for (let i = 0; i < 1024; i++) IDCT_CLAMP[i] = i < 128 ? i + 128 : i < 512 ? 255 : i < 896 ? 0 : i - 896;

function idctBlock(
  coefs: Int16Array, off: number, q: Uint16Array, out: Uint8Array, outOff: number, outStride: number,
  ws: Int32Array,
): void {
  for (let c = 0; c < 8; c++) {
    const i = off + c;
    if ((coefs[i + 8] | coefs[i + 16] | coefs[i + 24] | coefs[i + 32] | coefs[i + 40] | coefs[i + 48] |
         coefs[i + 56]) === 0) {
      const dc = coefs[i] * q[c] * 4;
      for (let r = 0; r < 64; r += 8) ws[c + r] = dc;
      continue;
    }
    let z2 = coefs[i + 16] * q[c + 16], z3 = coefs[i + 48] * q[c + 48];
    let z1 = (z2 + z3) * 4433;
    let tmp2 = z1 - z3 * 15137, tmp3 = z1 + z2 * 6270;
    z2 = coefs[i] * q[c];
    z3 = coefs[i + 32] * q[c + 32];
    let tmp0 = (z2 + z3) * 8192, tmp1 = (z2 - z3) * 8192;
    const tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
    tmp0 = coefs[i + 56] * q[c + 56]; tmp1 = coefs[i + 40] * q[c + 40];
    tmp2 = coefs[i + 24] * q[c + 24]; tmp3 = coefs[i + 8] * q[c + 8];
    z1 = tmp0 + tmp3; z2 = tmp1 + tmp2; z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * 9633;
    tmp0 *= 2446; tmp1 *= 16819; tmp2 *= 25172; tmp3 *= 12299;
    z1 *= -7373; z2 *= -20995; z3 = z3 * -16069 + z5; z4 = z4 * -3196 + z5;
    tmp0 += z1 + z3; tmp1 += z2 + z4; tmp2 += z2 + z3; tmp3 += z1 + z4;
    ws[c] = (tmp10 + tmp3 + 1024) >> 11;
    ws[c + 56] = (tmp10 - tmp3 + 1024) >> 11;
    ws[c + 8] = (tmp11 + tmp2 + 1024) >> 11;
    ws[c + 48] = (tmp11 - tmp2 + 1024) >> 11;
    ws[c + 16] = (tmp12 + tmp1 + 1024) >> 11;
    ws[c + 40] = (tmp12 - tmp1 + 1024) >> 11;
    ws[c + 24] = (tmp13 + tmp0 + 1024) >> 11;
    ws[c + 32] = (tmp13 - tmp0 + 1024) >> 11;
  }
  for (let r = 0; r < 64; r += 8, outOff += outStride) {
    if ((ws[r + 1] | ws[r + 2] | ws[r + 3] | ws[r + 4] | ws[r + 5] | ws[r + 6] | ws[r + 7]) === 0) {
      out.fill(IDCT_CLAMP[((ws[r] + 16) >> 5) & 1023], outOff, outOff + 8);
      continue;
    }
    let z2 = ws[r + 2], z3 = ws[r + 6];
    let z1 = (z2 + z3) * 4433;
    let tmp2 = z1 - z3 * 15137, tmp3 = z1 + z2 * 6270;
    let tmp0 = (ws[r] + ws[r + 4]) * 8192, tmp1 = (ws[r] - ws[r + 4]) * 8192;
    const tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
    tmp0 = ws[r + 7]; tmp1 = ws[r + 5]; tmp2 = ws[r + 3]; tmp3 = ws[r + 1];
    z1 = tmp0 + tmp3; z2 = tmp1 + tmp2; z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * 9633;
    tmp0 *= 2446; tmp1 *= 16819; tmp2 *= 25172; tmp3 *= 12299;
    z1 *= -7373; z2 *= -20995; z3 = z3 * -16069 + z5; z4 = z4 * -3196 + z5;
    tmp0 += z1 + z3; tmp1 += z2 + z4; tmp2 += z2 + z3; tmp3 += z1 + z4;
    const ROUND = 1 << 17;
    out[outOff] = IDCT_CLAMP[((tmp10 + tmp3 + ROUND) >> 18) & 1023];
    out[outOff + 7] = IDCT_CLAMP[((tmp10 - tmp3 + ROUND) >> 18) & 1023];
    out[outOff + 1] = IDCT_CLAMP[((tmp11 + tmp2 + ROUND) >> 18) & 1023];
    out[outOff + 6] = IDCT_CLAMP[((tmp11 - tmp2 + ROUND) >> 18) & 1023];
    out[outOff + 2] = IDCT_CLAMP[((tmp12 + tmp1 + ROUND) >> 18) & 1023];
    out[outOff + 5] = IDCT_CLAMP[((tmp12 - tmp1 + ROUND) >> 18) & 1023];
    out[outOff + 3] = IDCT_CLAMP[((tmp13 + tmp0 + ROUND) >> 18) & 1023];
    out[outOff + 4] = IDCT_CLAMP[((tmp13 - tmp0 + ROUND) >> 18) & 1023];
  }
}

/** Dequantizes and inverse-transforms the real blocks of a component into a sample plane. */
function componentPlane(c: Component): { samples: Uint8Array; stride: number } {
  const stride = c.blocksW * 8;
  const samples = new Uint8Array(stride * c.blocksH * 8);
  const ws = new Int32Array(64);
  const q = c.quant ?? fail('corrupt JPEG data: a component has no scan');
  for (let by = 0; by < c.blocksH; by++) {
    for (let bx = 0; bx < c.blocksW; bx++) {
      idctBlock(c.coefs, (by * c.stride + bx) * 64, q, samples, by * 8 * stride + bx * 8, stride, ws);
    }
  }
  return { samples, stride };
}

// Upsampling (jdsample.c) and color conversion (jdcolor.c)

/**
 * Writes output row `y` of component `c` at full resolution into `out`. Rows outside the
 * component repeat its edge rows, as libjpeg's context-row pointers do.
 */
function upsampleRow(
  c: Component, plane: Uint8Array, stride: number, hf: number, vf: number, y: number, width: number,
  out: Uint8Array,
): void {
  const w = c.width;
  const fancyH = hf === 2 && w > 2;
  if (vf === 2 && (fancyH || hf === 1)) {
    // h2v2 / h1v2 fancy: blend the nearest row (3/4) with the next nearest (1/4).
    const cy = y >> 1;
    const upper = (y & 1) === 0;
    const ny = upper ? Math.max(cy - 1, 0) : Math.min(cy + 1, c.height - 1);
    const a = cy * stride;
    const b = ny * stride;
    if (hf === 1) {
      const bias = upper ? 1 : 2;
      for (let x = 0; x < w; x++) out[x] = (plane[a + x] * 3 + plane[b + x] + bias) >> 2;
      return;
    }
    let thisSum = plane[a] * 3 + plane[b];
    let nextSum = plane[a + 1] * 3 + plane[b + 1];
    out[0] = (thisSum * 4 + 8) >> 4;
    out[1] = (thisSum * 3 + nextSum + 7) >> 4;
    let lastSum = thisSum;
    thisSum = nextSum;
    let o = 2;
    for (let x = 2; x < w; x++, o += 2) {
      nextSum = plane[a + x] * 3 + plane[b + x];
      out[o] = (thisSum * 3 + lastSum + 8) >> 4;
      out[o + 1] = (thisSum * 3 + nextSum + 7) >> 4;
      lastSum = thisSum;
      thisSum = nextSum;
    }
    out[o] = (thisSum * 3 + lastSum + 8) >> 4;
    out[o + 1] = (thisSum * 4 + 7) >> 4;
    return;
  }
  const row = ((y / vf) | 0) * stride;
  if (vf === 1 && fancyH) {
    // h2v1 fancy: each output sample is 3/4 nearer + 1/4 further input, biases alternate 1/2.
    let v = plane[row];
    out[0] = v;
    out[1] = (v * 3 + plane[row + 1] + 2) >> 2;
    let o = 2;
    for (let x = 1; x < w - 1; x++, o += 2) {
      v = plane[row + x] * 3;
      out[o] = (v + plane[row + x - 1] + 1) >> 2;
      out[o + 1] = (v + plane[row + x + 1] + 2) >> 2;
    }
    v = plane[row + w - 1];
    out[o] = (v * 3 + plane[row + w - 2] + 1) >> 2;
    out[o + 1] = v;
    return;
  }
  // Integral factors without fancy filtering: replicate.
  for (let x = 0, o = 0; o < width; x++) {
    const v = plane[row + x];
    for (let k = 0; k < hf && o < width; k++) out[o++] = v;
  }
}

let colorTables: { crR: Int32Array; cbB: Int32Array; crG: Int32Array; cbG: Int32Array } | null = null;

function yccTables() {
  if (colorTables) return colorTables;
  // libjpeg's build_ycc_rgb_table: SCALEBITS 16, FIX(x) = round(x * 65536).
  const fix = (x: number) => Math.floor(x * 65536 + 0.5);
  const half = 1 << 15;
  const crR = new Int32Array(256), cbB = new Int32Array(256), crG = new Int32Array(256), cbG = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    const x = i - 128;
    crR[i] = (fix(1.402) * x + half) >> 16;
    cbB[i] = (fix(1.772) * x + half) >> 16;
    crG[i] = -fix(0.71414) * x;
    cbG[i] = -fix(0.34414) * x + half;
  }
  return (colorTables = { crR, cbB, crG, cbG });
}

/** Rows of full-resolution samples of component 0 (libjpeg's grayscale output of a YCbCr file is its Y plane). */
function lumaPlane(frame: Frame, plane: { samples: Uint8Array; stride: number }): Uint8Array {
  const { width, height } = frame;
  const c = frame.components[0];
  const hf = frame.hMax / c.h, vf = frame.vMax / c.v;
  if (!Number.isInteger(hf) || !Number.isInteger(vf)) fail('unsupported JPEG sampling factors (non-integral ratio)');
  const data = new Uint8Array(width * height);
  const row = new Uint8Array(width + 4 * 8);
  for (let y = 0; y < height; y++) {
    if (hf === 1 && vf === 1) {
      data.set(plane.samples.subarray(y * plane.stride, y * plane.stride + width), y * width);
    } else {
      upsampleRow(c, plane.samples, plane.stride, hf, vf, y, width, row);
      data.set(row.subarray(0, width), y * width);
    }
  }
  return data;
}

function render(frame: Frame, colorTransform: boolean, gray: boolean): DecodedImage {
  const { width, height, components } = frame;
  if (components.length === 1 || (gray && colorTransform)) {
    // Gray output of a YCbCr file needs no chroma: libjpeg skips those components too.
    return { width, height, channels: 1, data: lumaPlane(frame, componentPlane(components[0])) };
  }
  const planes = components.map(componentPlane);
  const channels = 3;
  const data = new Uint8Array(width * height * channels);
  const rows = components.map((c) => {
    if (frame.hMax % c.h || frame.vMax % c.v) fail('unsupported JPEG sampling factors (non-integral ratio)');
    return new Uint8Array(width + 4 * 8);
  });
  const clamped = new Uint8ClampedArray(data.buffer, data.byteOffset, data.length);
  const t = yccTables();
  for (let y = 0; y < height; y++) {
    const srcs: Uint8Array[] = [];
    const offs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const c = components[i];
      const hf = frame.hMax / c.h, vf = frame.vMax / c.v;
      if (hf === 1 && vf === 1) {
        srcs.push(planes[i].samples);
        offs.push(y * planes[i].stride);
      } else {
        upsampleRow(c, planes[i].samples, planes[i].stride, hf, vf, y, width, rows[i]);
        srcs.push(rows[i]);
        offs.push(0);
      }
    }
    const [s0, s1, s2] = srcs;
    const [o0, o1, o2] = offs;
    let o = y * width * 3;
    if (colorTransform) {
      for (let x = 0; x < width; x++, o += 3) {
        const lum = s0[o0 + x], cb = s1[o1 + x], cr = s2[o2 + x];
        clamped[o] = lum + t.crR[cr];
        clamped[o + 1] = lum + ((t.cbG[cb] + t.crG[cr]) >> 16);
        clamped[o + 2] = lum + t.cbB[cb];
      }
    } else {
      for (let x = 0; x < width; x++, o += 3) {
        data[o] = s0[o0 + x];
        data[o + 1] = s1[o1 + x];
        data[o + 2] = s2[o2 + x];
      }
    }
  }
  if (gray) {
    // libjpeg's rgb_gray_convert (an RGB-coded file): FIX(0.299), FIX(0.587), FIX(0.114) over 2^16, rounded.
    const luma = new Uint8Array(width * height);
    for (let i = 0; i < luma.length; i++) luma[i] = (data[3 * i] * 19595 + data[3 * i + 1] * 38470 + data[3 * i + 2] * 7471 + 32768) >>> 16;
    return { width, height, channels: 1, data: luma };
  }
  return { width, height, channels, data };
}

// Marker parsing

function parseFrame(data: Uint8Array, p: number, end: number, progressive: boolean): Frame {
  if (end - p < 6) fail('corrupt JPEG data: short SOF segment');
  const precision = data[p];
  if (precision !== 8) fail(`unsupported JPEG: ${precision}-bit samples (only 8-bit JPEGs are supported)`);
  const height = (data[p + 1] << 8) | data[p + 2];
  const width = (data[p + 3] << 8) | data[p + 4];
  const n = data[p + 5];
  if (height === 0) fail('unsupported JPEG: height defined by a DNL marker');
  if (width === 0) fail('corrupt JPEG data: image width is 0');
  if (width * height > MAX_PIXELS) fail(`JPEG image too large (${width}x${height})`);
  if (n === 4) fail('unsupported JPEG: CMYK/YCCK (4-component) images are not supported');
  if (n !== 1 && n !== 3) fail(`unsupported JPEG: ${n} color components`);
  if (end - p < 6 + 3 * n) fail('corrupt JPEG data: short SOF segment');
  const components: Component[] = [];
  for (let i = 0; i < n; i++) {
    const q = p + 6 + 3 * i;
    const h = data[q + 1] >> 4, v = data[q + 1] & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) fail('corrupt JPEG data: bad sampling factors');
    if (data[q + 2] > 3) fail('corrupt JPEG data: bad quantization table index');
    components.push({
      id: data[q], h, v, quantId: data[q + 2], width: 0, height: 0, blocksW: 0, blocksH: 0, stride: 0,
      coefs: new Int16Array(0), quant: null, pred: 0, dc: null, ac: null,
    });
  }
  const hMax = Math.max(...components.map((c) => c.h));
  const vMax = Math.max(...components.map((c) => c.v));
  const mcusX = Math.ceil(width / (8 * hMax));
  const mcusY = Math.ceil(height / (8 * vMax));
  const coefCount = components.reduce((n, c) => n + mcusX * c.h * mcusY * c.v * 64, 0);
  if (coefCount > MAX_PIXELS) fail(`JPEG image too large (${width}x${height})`);
  for (const c of components) {
    c.width = Math.ceil((width * c.h) / hMax);
    c.height = Math.ceil((height * c.v) / vMax);
    c.blocksW = Math.ceil(c.width / 8);
    c.blocksH = Math.ceil(c.height / 8);
    c.stride = mcusX * c.h;
    c.coefs = new Int16Array(c.stride * mcusY * c.v * 64);
  }
  return { width, height, progressive, components, hMax, vMax, mcusX, mcusY };
}

export interface JpegDecodeOptions {
  /** libjpeg's grayscale output (JCS_GRAYSCALE, as cv::imdecode's IMREAD_GRAYSCALE asks): the Y plane of a YCbCr file. */
  gray?: boolean;
}

/** Decodes a JPEG file: 1 channel for grayscale files (or with `gray`), 3 (RGB) for YCbCr and RGB files. */
export function decodeJpeg(bytes: Uint8Array, opts: JpegDecodeOptions = {}): DecodedImage {
  if (!isJpeg(bytes)) fail('not a JPEG file (no SOI marker)');
  const data = bytes;
  const quant: (Uint16Array | undefined)[] = [];
  const dcTables: (HuffmanTable | undefined)[] = [];
  const acTables: (HuffmanTable | undefined)[] = [];
  let frame: Frame | null = null;
  let restartInterval = 0;
  let jfif = false;
  let adobeTransform = -1;
  let scans = 0;
  let pos = 2;
  for (;;) {
    // Find the next marker, skipping garbage and fill bytes.
    while (pos < data.length && data[pos] !== 0xff) pos++;
    while (pos < data.length && data[pos] === 0xff) pos++;
    if (pos >= data.length) fail(TRUNCATED);
    const marker = data[pos++];
    if (marker === 0xd9) break; // EOI
    if (marker === 0 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue;
    if (pos + 2 > data.length) fail(TRUNCATED);
    const length = (data[pos] << 8) | data[pos + 1];
    if (length < 2) fail('corrupt JPEG data: bad marker length');
    const p = pos + 2;
    const end = pos + length;
    if (end > data.length) fail(TRUNCATED);
    pos = end;
    switch (marker) {
      case 0xdb: // DQT
        for (let q = p; q < end;) {
          const sixteen = data[q] >> 4, id = data[q] & 15;
          if (id > 3 || sixteen > 1 || q + 1 + 64 * (sixteen + 1) > end) fail('corrupt JPEG data: bad DQT segment');
          const table = new Uint16Array(64);
          for (let k = 0; k < 64; k++) {
            table[NATURAL_ORDER[k]] = sixteen ? (data[q + 1 + 2 * k] << 8) | data[q + 2 + 2 * k] : data[q + 1 + k];
          }
          quant[id] = table;
          q += 1 + 64 * (sixteen + 1);
        }
        break;
      case 0xc4: // DHT
        for (let q = p; q < end;) {
          if (q + 17 > end) fail('corrupt JPEG data: bad DHT segment');
          const cls = data[q] >> 4, id = data[q] & 15;
          const counts = data.subarray(q + 1, q + 17);
          let n = 0;
          for (let i = 0; i < 16; i++) n += counts[i];
          if (cls > 1 || id > 3 || n > 256 || q + 17 + n > end) fail('corrupt JPEG data: bad DHT segment');
          const table = buildHuffman(counts, data.slice(q + 17, q + 17 + n));
          (cls === 0 ? dcTables : acTables)[id] = table;
          q += 17 + n;
        }
        break;
      case 0xdd: // DRI
        if (end - p < 2) fail('corrupt JPEG data: bad DRI segment');
        restartInterval = (data[p] << 8) | data[p + 1];
        break;
      case 0xc0: case 0xc1: case 0xc2:
        if (frame) fail('corrupt JPEG data: more than one frame');
        frame = parseFrame(data, p, end, marker === 0xc2);
        break;
      case 0xc3: case 0xc7: case 0xcb: case 0xcf:
        fail('unsupported JPEG: lossless JPEG is not supported');
      case 0xc5: case 0xc6:
        fail('unsupported JPEG: hierarchical (differential) JPEG is not supported');
      case 0xc9: case 0xca: case 0xcd: case 0xce: case 0xcc:
        fail('unsupported JPEG: arithmetic coding is not supported');
      case 0xdc:
        fail('unsupported JPEG: DNL marker');
      case 0xe0: // APP0: JFIF implies YCbCr
        if (end - p >= 14 && data[p] === 0x4a && data[p + 1] === 0x46 && data[p + 2] === 0x49 &&
            data[p + 3] === 0x46 && data[p + 4] === 0) jfif = true;
        break;
      case 0xee: // APP14: Adobe's transform flag says whether the components are YCbCr
        if (end - p >= 12 && data[p] === 0x41 && data[p + 1] === 0x64 && data[p + 2] === 0x6f &&
            data[p + 3] === 0x62 && data[p + 4] === 0x65) adobeTransform = data[p + 11];
        break;
      case 0xda: { // SOS
        if (!frame) fail('corrupt JPEG data: scan before frame header');
        const n = data[p];
        if (n < 1 || n > 4 || end - p < 4 + 2 * n) fail('corrupt JPEG data: bad SOS segment');
        const comps: Component[] = [];
        let blocksPerMcu = 0;
        for (let i = 0; i < n; i++) {
          const c = frame.components.find((x) => x.id === data[p + 1 + 2 * i]);
          if (!c || comps.includes(c)) fail('corrupt JPEG data: bad component in SOS');
          c.dc = dcTables[data[p + 2 + 2 * i] >> 4] ?? null;
          c.ac = acTables[data[p + 2 + 2 * i] & 15] ?? null;
          // libjpeg latches each component's quantization table when its first scan starts.
          c.quant ??= quant[c.quantId] ?? fail('corrupt JPEG data: missing quantization table');
          blocksPerMcu += c.h * c.v;
          comps.push(c);
        }
        const q = p + 1 + 2 * n;
        const ss = data[q], se = data[q + 1], ah = data[q + 2] >> 4, al = data[q + 2] & 15;
        if (n > 1 && blocksPerMcu > 10) fail('corrupt JPEG data: too many blocks per MCU');
        if (frame.progressive) {
          if (ss > se || se > 63 || (ss === 0 && se !== 0) || (ss > 0 && n !== 1) || al > 13 ||
              (ah !== 0 && ah !== al + 1)) fail('corrupt JPEG data: bad progressive scan parameters');
        }
        const needDc = !frame.progressive || (ss === 0 && ah === 0);
        const needAc = !frame.progressive || ss > 0;
        for (const c of comps) {
          if ((needDc && !c.dc) || (needAc && !c.ac)) fail('corrupt JPEG data: missing Huffman table');
        }
        pos = decodeScan(data, end, frame, comps, ss, se, ah, al, restartInterval);
        scans++;
        break;
      }
      default:
        break; // APPn, COM and others carry nothing the pixels depend on
    }
  }
  if (!frame || scans === 0) fail('corrupt JPEG data: no image data before the EOI marker');
  let colorTransform = frame.components.length === 3;
  if (colorTransform && !jfif) {
    if (adobeTransform >= 0) colorTransform = adobeTransform !== 0;
    else {
      const [a, b, c] = frame.components.map((x) => x.id);
      colorTransform = !(a === 82 && b === 71 && c === 66);
    }
  }
  return render(frame, colorTransform, opts.gray === true);
}
