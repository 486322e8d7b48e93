// Baseline JPEG encoding as OpenCV's cv2.imencode('.jpg') does it with libjpeg-turbo's defaults.
// SPDX-License-Identifier: Apache-2.0
//
// Follows libjpeg-turbo step by step so the bytes match cv2's: JFIF APP0, IJG quality scaling of the
// standard (Annex K) quantisation tables, fixed-point RGB->YCbCr (jccolor.c), 4:2:0 box downsampling
// with alternating rounding bias (jcsample.c), edge replication and dummy blocks (jcprepct.c,
// jccoefct.c), the ISLOW integer forward DCT (jfdctint.c), reciprocal quantisation (jcdctmgr.c) and the
// standard Huffman tables (jstdhuff.c). Gray images are written as one-component JPEGs.

// Zigzag position -> natural (row-major) index of an 8x8 block.
const ZIGZAG = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14,
  21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53,
  60, 61, 54, 47, 55, 62, 63,
]);

// Annex K.1 tables in natural order.
const LUMA_QUANT = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
  14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
  49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA_QUANT = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
  47, 66, 99, 99, 99, 99, 99, 99, ...new Array<number>(32).fill(99),
];

// Annex K.3 Huffman tables: code counts per length 1..16, then the symbols.
const DC_LUMA_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_CHROMA_BITS = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
const DC_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const AC_LUMA_BITS = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];
const AC_LUMA_VALUES = [
  0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71,
  0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72,
  0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37,
  0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
  0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83,
  0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3,
  0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
  0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
  0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
];
const AC_CHROMA_BITS = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];
const AC_CHROMA_VALUES = [
  0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22,
  0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1,
  0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x35, 0x36,
  0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
  0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a,
  0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a,
  0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba,
  0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
  0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
];

/** A Huffman code for encoding: code and length by symbol. */
interface HuffCode { code: Uint16Array; size: Uint8Array; bits: number[]; values: number[] }

function huffCode(bits: number[], values: number[]): HuffCode {
  const code = new Uint16Array(256);
  const size = new Uint8Array(256);
  let c = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++, c <<= 1) {
    for (let i = 0; i < bits[len - 1]!; i++, c++, k++) {
      code[values[k]!] = c;
      size[values[k]!] = len;
    }
  }
  return { code, size, bits, values };
}

let tables: { dc: HuffCode[]; ac: HuffCode[] } | undefined;
function huffTables(): { dc: HuffCode[]; ac: HuffCode[] } {
  tables ??= {
    dc: [huffCode(DC_LUMA_BITS, DC_VALUES), huffCode(DC_CHROMA_BITS, DC_VALUES)],
    ac: [huffCode(AC_LUMA_BITS, AC_LUMA_VALUES), huffCode(AC_CHROMA_BITS, AC_CHROMA_VALUES)],
  };
  return tables;
}

/** jpeg_quality_scaling + jpeg_add_quant_table (force_baseline): a table in natural order. */
function scaledTable(base: number[], quality: number): Uint16Array {
  const q = Math.min(Math.max(quality, 1), 100);
  const scale = q < 50 ? Math.floor(5000 / q) : 200 - q * 2;
  return Uint16Array.from(base, (v) => Math.min(Math.max(Math.floor((v * scale + 50) / 100), 1), 255));
}

/**
 * jcdctmgr.c's compute_reciprocal for a divisor (the table value times 8, the ISLOW DCT's scale):
 * quantize() then computes ((|x| + corr) * recip) >> shift, libjpeg-turbo's rounding of |x| / divisor.
 */
function reciprocals(table: Uint16Array): { recip: Float64Array; corr: Float64Array; shift: Float64Array } {
  const recip = new Float64Array(64);
  const corr = new Float64Array(64);
  const shift = new Float64Array(64);
  for (let i = 0; i < 64; i++) {
    const divisor = table[i]! << 3;
    // b = floor(log2(divisor)); r = 16 + b (DCTELEM is 16 bits in libjpeg-turbo's SIMD builds).
    const b = 31 - Math.clz32(divisor);
    let r = 16 + b;
    let fq = Math.floor(2 ** r / divisor);
    const fr = 2 ** r % divisor;
    let c = divisor >> 1;
    if (fr === 0) {
      fq = Math.floor(fq / 2);
      r--;
    } else if (fr <= divisor >> 1) {
      c++;
    } else {
      fq++;
    }
    recip[i] = fq;
    corr[i] = c;
    shift[i] = 2 ** r;
  }
  return { recip, corr, shift };
}

/** jpeg_fdct_islow on 64 level-shifted samples, in place (output scaled by 8). */
function fdctIslow(d: Int32Array): void {
  for (let r = 0; r < 64; r += 8) {
    const tmp0 = d[r]! + d[r + 7]!, tmp7 = d[r]! - d[r + 7]!;
    const tmp1 = d[r + 1]! + d[r + 6]!, tmp6 = d[r + 1]! - d[r + 6]!;
    const tmp2 = d[r + 2]! + d[r + 5]!, tmp5 = d[r + 2]! - d[r + 5]!;
    const tmp3 = d[r + 3]! + d[r + 4]!, tmp4 = d[r + 3]! - d[r + 4]!;
    const tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
    d[r] = (tmp10 + tmp11) << 2;
    d[r + 4] = (tmp10 - tmp11) << 2;
    let z1 = (tmp12 + tmp13) * 4433;
    d[r + 2] = (z1 + tmp13 * 6270 + 1024) >> 11;
    d[r + 6] = (z1 - tmp12 * 15137 + 1024) >> 11;
    z1 = tmp4 + tmp7;
    let z2 = tmp5 + tmp6, z3 = tmp4 + tmp6, z4 = tmp5 + tmp7;
    const z5 = (z3 + z4) * 9633;
    const t4 = tmp4 * 2446, t5 = tmp5 * 16819, t6 = tmp6 * 25172, t7 = tmp7 * 12299;
    z1 *= -7373; z2 *= -20995; z3 = z3 * -16069 + z5; z4 = z4 * -3196 + z5;
    d[r + 7] = (t4 + z1 + z3 + 1024) >> 11;
    d[r + 5] = (t5 + z2 + z4 + 1024) >> 11;
    d[r + 3] = (t6 + z2 + z3 + 1024) >> 11;
    d[r + 1] = (t7 + z1 + z4 + 1024) >> 11;
  }
  for (let c = 0; c < 8; c++) {
    const tmp0 = d[c]! + d[c + 56]!, tmp7 = d[c]! - d[c + 56]!;
    const tmp1 = d[c + 8]! + d[c + 48]!, tmp6 = d[c + 8]! - d[c + 48]!;
    const tmp2 = d[c + 16]! + d[c + 40]!, tmp5 = d[c + 16]! - d[c + 40]!;
    const tmp3 = d[c + 24]! + d[c + 32]!, tmp4 = d[c + 24]! - d[c + 32]!;
    const tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
    d[c] = (tmp10 + tmp11 + 2) >> 2;
    d[c + 32] = (tmp10 - tmp11 + 2) >> 2;
    let z1 = (tmp12 + tmp13) * 4433;
    d[c + 16] = (z1 + tmp13 * 6270 + 16384) >> 15;
    d[c + 48] = (z1 - tmp12 * 15137 + 16384) >> 15;
    z1 = tmp4 + tmp7;
    let z2 = tmp5 + tmp6, z3 = tmp4 + tmp6, z4 = tmp5 + tmp7;
    const z5 = (z3 + z4) * 9633;
    const t4 = tmp4 * 2446, t5 = tmp5 * 16819, t6 = tmp6 * 25172, t7 = tmp7 * 12299;
    z1 *= -7373; z2 *= -20995; z3 = z3 * -16069 + z5; z4 = z4 * -3196 + z5;
    d[c + 56] = (t4 + z1 + z3 + 16384) >> 15;
    d[c + 40] = (t5 + z2 + z4 + 16384) >> 15;
    d[c + 24] = (t6 + z2 + z3 + 16384) >> 15;
    d[c + 8] = (t7 + z1 + z4 + 16384) >> 15;
  }
}

/** Appends bytes, growing as needed; entropy-coded bits go through put() with 0xFF stuffing. */
class ByteSink {
  buf: Uint8Array;
  n = 0;
  private acc = 0; // pending bits, right-aligned
  private count = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(Math.max(size, 1024));
  }

  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    grown.set(this.buf.subarray(0, this.n));
    this.buf = grown;
  }

  bytes(list: ArrayLike<number>): void {
    this.room(list.length);
    for (let i = 0; i < list.length; i++) this.buf[this.n++] = list[i]!;
  }

  u16(v: number): void {
    this.bytes([v >> 8, v & 255]);
  }

  /** Writes the low `size` bits of `code` (size <= 16), most significant first. */
  put(code: number, size: number): void {
    this.acc = (this.acc << size) | (code & ((1 << size) - 1));
    this.count += size;
    while (this.count >= 8) {
      this.count -= 8;
      const byte = (this.acc >>> this.count) & 255;
      this.room(2);
      this.buf[this.n++] = byte;
      if (byte === 0xff) this.buf[this.n++] = 0;
    }
    this.acc &= (1 << this.count) - 1;
  }

  /** Pads the last byte with 1 bits, as jchuff.c's flush_bits does. */
  flush(): void {
    if (this.count > 0) this.put(0x7f, 8 - this.count);
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

/** One component: its sample plane (whole blocks, edges replicated), sampling factors and tables. */
interface Plane { data: Uint8Array; stride: number; blocksW: number; blocksH: number; h: number; v: number; table: number }

/**
 * Encodes `channels`-interleaved 8-bit pixels (1: gray; 3: RGB, or BGR when `bgr`) as a baseline JPEG
 * at `quality` (1-100, libjpeg's scale).
 */
export function encodeJpeg(pixels: Uint8Array, width: number, height: number, channels: 1 | 3, quality: number, bgr: boolean): Uint8Array {
  const color = channels === 3;
  const planes = color ? colorPlanes(pixels, width, height, bgr) : [grayPlane(pixels, width, height)];
  const quant = [scaledTable(LUMA_QUANT, quality), scaledTable(CHROMA_QUANT, quality)];
  const { dc, ac } = huffTables();
  const out = new ByteSink(((width * height * channels) >> 2) + 1024);

  out.bytes([0xff, 0xd8]);
  // JFIF APP0: version 1.01, no units, 1:1 density, no thumbnail.
  out.bytes([0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  for (let t = 0; t < (color ? 2 : 1); t++) {
    out.bytes([0xff, 0xdb, 0, 67, t]);
    out.bytes(Array.from(ZIGZAG, (k) => quant[t]![k]!));
  }
  out.bytes([0xff, 0xc0]);
  out.u16(8 + 3 * planes.length);
  out.bytes([8]);
  out.u16(height);
  out.u16(width);
  out.bytes([planes.length]);
  planes.forEach((p, i) => out.bytes([i + 1, (p.h << 4) | p.v, p.table]));
  // jcmarker.c sends each table in its own DHT segment, DC then AC per component, once each.
  for (let t = 0; t < (color ? 2 : 1); t++) {
    for (const [cls, h] of [[0, dc[t]!], [1, ac[t]!]] as [number, HuffCode][]) {
      out.bytes([0xff, 0xc4]);
      out.u16(19 + h.values.length);
      out.bytes([(cls << 4) | t, ...h.bits, ...h.values]);
    }
  }
  out.bytes([0xff, 0xda]);
  out.u16(6 + 2 * planes.length);
  out.bytes([planes.length]);
  planes.forEach((p, i) => out.bytes([i + 1, (p.table << 4) | p.table]));
  out.bytes([0, 63, 0]);

  encodeScan(out, planes, quant, dc, ac);
  out.flush();
  out.bytes([0xff, 0xd9]);
  return out.result();
}

function encodeScan(out: ByteSink, planes: Plane[], quant: Uint16Array[], dc: HuffCode[], ac: HuffCode[]): void {
  const divisors = quant.map(reciprocals);
  const ws = new Int32Array(64);
  const block = new Int32Array(64);
  const pred = new Int32Array(planes.length);
  // One component: an MCU is one block in raster order. Several: each MCU holds h x v blocks of each.
  const single = planes.length === 1;
  const mcusX = single ? planes[0]!.blocksW : Math.ceil(planes[0]!.blocksW / planes[0]!.h);
  const mcusY = single ? planes[0]!.blocksH : Math.ceil(planes[0]!.blocksH / planes[0]!.v);
  for (let my = 0; my < mcusY; my++) {
    for (let mx = 0; mx < mcusX; mx++) {
      for (let ci = 0; ci < planes.length; ci++) {
        const p = planes[ci]!;
        const { recip, corr, shift } = divisors[p.table]!;
        const hs = single ? 1 : p.h;
        const vs = single ? 1 : p.v;
        let lastDc = 0;
        for (let v = 0; v < vs; v++) {
          for (let h = 0; h < hs; h++) {
            const bx = mx * hs + h;
            const by = my * vs + v;
            if (bx < p.blocksW && by < p.blocksH) {
              let s = by * 8 * p.stride + bx * 8;
              for (let r = 0; r < 64; r += 8, s += p.stride) {
                for (let c = 0; c < 8; c++) ws[r + c] = p.data[s + c]! - 128;
              }
              fdctIslow(ws);
              for (let i = 0; i < 64; i++) {
                const x = ws[i]!;
                const q = Math.floor(((x < 0 ? -x : x) + corr[i]!) * recip[i]! / shift[i]!);
                block[i] = x < 0 ? -q : q;
              }
            } else {
              // A dummy block past the image's blocks: flat, with the previous block's DC (jccoefct.c).
              block.fill(0);
              block[0] = lastDc;
            }
            lastDc = block[0]!;
            encodeBlock(out, block, block[0]! - pred[ci]!, dc[p.table]!, ac[p.table]!);
            pred[ci] = block[0]!;
          }
        }
      }
    }
  }
}

/** The number of bits of |v| (JPEG's magnitude category). */
function category(v: number): number {
  return v === 0 ? 0 : 32 - Math.clz32(v < 0 ? -v : v);
}

function encodeBlock(out: ByteSink, block: Int32Array, diff: number, dc: HuffCode, ac: HuffCode): void {
  let nbits = category(diff);
  out.put(dc.code[nbits]!, dc.size[nbits]!);
  if (nbits) out.put(diff < 0 ? diff - 1 : diff, nbits);
  let run = 0;
  for (let k = 1; k < 64; k++) {
    const v = block[ZIGZAG[k]!]!;
    if (v === 0) {
      run++;
      continue;
    }
    for (; run > 15; run -= 16) out.put(ac.code[0xf0]!, ac.size[0xf0]!);
    nbits = category(v);
    const sym = (run << 4) | nbits;
    out.put(ac.code[sym]!, ac.size[sym]!);
    out.put(v < 0 ? v - 1 : v, nbits);
    run = 0;
  }
  if (run > 0) out.put(ac.code[0]!, ac.size[0]!);
}

/** A gray image as one plane of whole blocks, the last column and row repeated to fill them. */
function grayPlane(pixels: Uint8Array, width: number, height: number): Plane {
  const blocksW = Math.ceil(width / 8);
  const blocksH = Math.ceil(height / 8);
  const stride = blocksW * 8;
  const data = new Uint8Array(stride * blocksH * 8);
  for (let y = 0; y < blocksH * 8; y++) {
    const src = Math.min(y, height - 1) * width;
    const o = y * stride;
    data.set(pixels.subarray(src, src + width), o);
    data.fill(pixels[src + width - 1]!, o + width, o + stride);
  }
  return { data, stride, blocksW, blocksH, h: 1, v: 1, table: 0 };
}

/**
 * Y at full resolution and Cb, Cr averaged over 2x2 (4:2:0), each padded to whole blocks the way
 * libjpeg pads: full-resolution rows and columns repeat the last pixel; downsampled chroma rows past
 * the image repeat the last downsampled row.
 */
function colorPlanes(pixels: Uint8Array, width: number, height: number, bgr: boolean): Plane[] {
  const [ri, bi] = bgr ? [2, 0] : [0, 2];
  // jccolor.c's rgb_ycc_start: 16-bit fixed point, rounding folded into the tables.
  const fix = (x: number): number => Math.floor(x * 65536 + 0.5);
  const yR = fix(0.299), yG = fix(0.587), yB = fix(0.114);
  const cbR = fix(0.16874), cbG = fix(0.33126), half = fix(0.5);
  const crG = fix(0.41869), crB = fix(0.08131);
  const offset = (128 << 16) + 32768 - 1;

  const yBlocksW = Math.ceil(width / 8), yBlocksH = Math.ceil(height / 8);
  const cw = Math.ceil(width / 2), ch = Math.ceil(height / 2);
  const cBlocksW = Math.ceil(cw / 8), cBlocksH = Math.ceil(ch / 8);
  // Full-resolution planes wide enough for both Y's blocks and twice chroma's, rows padded to even.
  const fw = Math.max(yBlocksW * 8, cBlocksW * 16);
  const fh = Math.max(yBlocksH * 8, 2 * ch);
  const Y = new Uint8Array(fw * fh), Cb = new Uint8Array(fw * fh), Cr = new Uint8Array(fw * fh);
  for (let y = 0; y < height; y++) {
    let s = y * width * 3;
    const o = y * fw;
    for (let x = 0; x < width; x++, s += 3) {
      const r = pixels[s + ri]!, g = pixels[s + 1]!, b = pixels[s + bi]!;
      Y[o + x] = (yR * r + yG * g + yB * b + 32768) >>> 16;
      Cb[o + x] = (half * b - cbR * r - cbG * g + offset) >>> 16;
      Cr[o + x] = (half * r - crG * g - crB * b + offset) >>> 16;
    }
    for (const p of [Y, Cb, Cr]) p.fill(p[o + width - 1]!, o + width, o + fw);
  }
  for (let y = height; y < fh; y++) {
    for (const p of [Y, Cb, Cr]) p.copyWithin(y * fw, (height - 1) * fw, height * fw);
  }
  const chroma = (full: Uint8Array): Plane => {
    const stride = cBlocksW * 8;
    const data = new Uint8Array(stride * cBlocksH * 8);
    for (let y = 0; y < ch; y++) {
      const a = 2 * y * fw, b = a + fw, o = y * stride;
      for (let x = 0; x < stride; x++) {
        data[o + x] = (full[a + 2 * x]! + full[a + 2 * x + 1]! + full[b + 2 * x]! + full[b + 2 * x + 1]! + 1 + (x & 1)) >> 2;
      }
    }
    for (let y = ch; y < cBlocksH * 8; y++) data.copyWithin(y * stride, (ch - 1) * stride, ch * stride);
    return { data, stride, blocksW: cBlocksW, blocksH: cBlocksH, h: 1, v: 1, table: 1 };
  };
  return [
    { data: Y, stride: fw, blocksW: yBlocksW, blocksH: yBlocksH, h: 2, v: 2, table: 0 },
    chroma(Cb), chroma(Cr),
  ];
}
