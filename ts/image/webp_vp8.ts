// Lossy WebP: a VP8 key frame (RFC 6386) decoded to Y, U and V planes with libwebp's arithmetic: the boolean
// decoder, segment/quantizer/loop-filter headers, token partitions, intra prediction, the inverse WHT and DCT,
// and the normal and simple loop filters. YUV to RGB is webp_yuv.ts.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import { BMODE_PROBS, COEFF_PROBS, COEFF_UPDATE_PROBS } from './webp_vp8_tables.js';

const fail = (what: string): never => {
  throw new IsotensorError(`image.decode: bad WebP (VP8 ${what})`);
};

/**
 * VP8's boolean entropy decoder, as libwebp runs it: `range` is kept minus one, `bits` counts the bits of
 * `value` not yet consumed, and reading past the end shifts in one byte of zeros and sets `eof`.
 */
class BoolDecoder {
  private value = 0;
  private range = 255 - 1;
  private bits = -8;
  eof = false;

  constructor(private readonly buf: Uint8Array, private pos: number, private readonly end: number) {
    this.load();
  }

  private load(): void {
    if (this.pos < this.end) {
      this.bits += 8;
      this.value = this.buf[this.pos++]! | (this.value << 8);
    } else if (!this.eof) {
      this.value <<= 8;
      this.bits += 8;
      this.eof = true;
    } else {
      this.bits = 0;
    }
  }

  bit(prob: number): number {
    let range = this.range;
    if (this.bits < 0) this.load();
    const pos = this.bits;
    const split = (range * prob) >> 8;
    let bit = 0;
    if (this.value >>> pos > split) {
      range -= split;
      this.value -= (split + 1) << pos;
      bit = 1;
    } else {
      range = split + 1;
    }
    const shift = 7 ^ (31 - Math.clz32(range));
    this.bits -= shift;
    this.range = (range << shift) - 1;
    return bit;
  }

  /** v or -v by one even-odds bit (libwebp's branchless VP8GetSigned, which always shifts by one). */
  signed(v: number): number {
    if (this.bits < 0) this.load();
    const pos = this.bits;
    const split = this.range >> 1;
    const mask = (split - (this.value >>> pos)) >> 31;
    this.bits -= 1;
    this.range = (this.range + mask) | 1;
    this.value -= ((split + 1) & mask) << pos;
    return (v ^ mask) - mask;
  }

  /** An n-bit unsigned literal, most significant bit first. */
  literal(n: number): number {
    let v = 0;
    while (n-- > 0) v |= this.bit(0x80) << n;
    return v;
  }

  /** An n-bit magnitude then a sign bit. */
  signedLiteral(n: number): number {
    const v = this.literal(n);
    return this.bit(0x80) ? -v : v;
  }

  /** An optional signed value: a flag, then the value if the flag is set (else 0). */
  optionalSigned(n: number): number {
    return this.bit(0x80) ? this.signedLiteral(n) : 0;
  }
}

// Quantizer step per index (RFC 6386 section 14.1).
const DC_TABLE = Uint8Array.from([
  4, 5, 6, 7, 8, 9, 10, 10, 11, 12, 13, 14, 15, 16, 17, 17, 18, 19, 20, 20, 21, 21, 22, 22, 23, 23, 24, 25, 25, 26,
  27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 46, 47, 48, 49, 50, 51, 52,
  53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 76, 77, 78, 79,
  80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 93, 95, 96, 98, 100, 101, 102, 104, 106, 108, 110, 112, 114, 116,
  118, 122, 124, 126, 128, 130, 132, 134, 136, 138, 140, 143, 145, 148, 151, 154, 157,
]);
const AC_TABLE = Uint16Array.from([
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33,
  34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 60, 62, 64,
  66, 68, 70, 72, 74, 76, 78, 80, 82, 84, 86, 88, 90, 92, 94, 96, 98, 100, 102, 104, 106, 108, 110, 112, 114, 116,
  119, 122, 125, 128, 131, 134, 137, 140, 143, 146, 149, 152, 155, 158, 161, 164, 167, 170, 173, 177, 181, 185,
  189, 193, 197, 201, 205, 209, 213, 217, 221, 225, 229, 234, 239, 245, 249, 254, 259, 264, 269, 274, 279, 284,
]);
// Token position -> coefficient index, and position -> probability band (16 is a sentinel).
const ZIGZAG = [0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15];
const BANDS = [0, 1, 2, 3, 6, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 0];
// Extra-bit probabilities of the DCT_CAT3..CAT6 tokens.
const CAT_PROBS = [[173, 148, 140], [176, 155, 140, 135], [180, 157, 141, 134, 130],
  [254, 254, 243, 230, 196, 177, 153, 140, 133, 130, 129]];

// Intra modes: 4x4 modes 0-9 (the 16x16 and chroma modes share the numbers of DC, TM, VE and HE), plus the
// DC variants for macroblocks on the top or left border.
const B_DC = 0, B_TM = 1, B_VE = 2, B_HE = 3, B_RD = 4, B_VR = 5, B_LD = 6, B_VL = 7, B_HD = 8, B_HU = 9;
const DC_NOTOP = 4, DC_NOLEFT = 5, DC_NOTOPLEFT = 6;

// The work area one macroblock is predicted and reconstructed in, laid out as libwebp's: rows of BPS bytes,
// luma with a row above and four columns of top-right, chroma U and V side by side below it.
const BPS = 32;
const Y_OFF = BPS + 8;
const U_OFF = Y_OFF + BPS * 16 + BPS;
const V_OFF = U_OFF + 16;
const WORK_SIZE = BPS * 17 + BPS * 9;

const clip8 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);
const sclip1 = (v: number): number => (v < -128 ? -128 : v > 127 ? 127 : v);  // to a signed byte
const sclip2 = (v: number): number => (v < -16 ? -16 : v > 15 ? 15 : v);
const mul1 = (a: number): number => ((a * 20091) >> 16) + a;  // a * sqrt(2) * cos(pi/8)
const mul2 = (a: number): number => (a * 35468) >> 16;        // a * sqrt(2) * sin(pi/8)

// ---- inverse transforms (add the residual to the prediction in the work area) ----

function transformFull(c: Int16Array, ci: number, d: Uint8Array, di: number, tmp: Int32Array): void {
  for (let i = 0; i < 4; i++) {  // vertical pass
    const i0 = c[ci + i]!, i4 = c[ci + 4 + i]!, i8 = c[ci + 8 + i]!, i12 = c[ci + 12 + i]!;
    const a = i0 + i8;
    const b = i0 - i8;
    const cc = mul2(i4) - mul1(i12);
    const dd = mul1(i4) + mul2(i12);
    tmp[i * 4] = a + dd;
    tmp[i * 4 + 1] = b + cc;
    tmp[i * 4 + 2] = b - cc;
    tmp[i * 4 + 3] = a - dd;
  }
  for (let i = 0; i < 4; i++) {  // horizontal pass, one output row each
    const dc = tmp[i]! + 4;
    const a = dc + tmp[8 + i]!;
    const b = dc - tmp[8 + i]!;
    const cc = mul2(tmp[4 + i]!) - mul1(tmp[12 + i]!);
    const dd = mul1(tmp[4 + i]!) + mul2(tmp[12 + i]!);
    const o = di + i * BPS;
    d[o] = clip8(d[o]! + ((a + dd) >> 3));
    d[o + 1] = clip8(d[o + 1]! + ((b + cc) >> 3));
    d[o + 2] = clip8(d[o + 2]! + ((b - cc) >> 3));
    d[o + 3] = clip8(d[o + 3]! + ((a - dd) >> 3));
  }
}

/** The transform when only coefficients 0, 1 and 4 are non-zero. */
function transformAC3(c: Int16Array, ci: number, d: Uint8Array, di: number): void {
  const a = c[ci]! + 4;
  const c4 = mul2(c[ci + 4]!), d4 = mul1(c[ci + 4]!);
  const c1 = mul2(c[ci + 1]!), d1 = mul1(c[ci + 1]!);
  const rows = [a + d4, a + c4, a - c4, a - d4];
  for (let y = 0; y < 4; y++) {
    const dc = rows[y]!;
    const o = di + y * BPS;
    d[o] = clip8(d[o]! + ((dc + d1) >> 3));
    d[o + 1] = clip8(d[o + 1]! + ((dc + c1) >> 3));
    d[o + 2] = clip8(d[o + 2]! + ((dc - c1) >> 3));
    d[o + 3] = clip8(d[o + 3]! + ((dc - d1) >> 3));
  }
}

function transformDC(c: Int16Array, ci: number, d: Uint8Array, di: number): void {
  const v = (c[ci]! + 4) >> 3;
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) d[di + y * BPS + x] = clip8(d[di + y * BPS + x]! + v);
}

/** The inverse Walsh-Hadamard transform of the 16 luma DCs, into coefficient 0 of each luma block. */
function transformWHT(dc: Int16Array, out: Int16Array): void {
  const tmp = new Int32Array(16);
  for (let i = 0; i < 4; i++) {
    const a0 = dc[i]! + dc[12 + i]!, a1 = dc[4 + i]! + dc[8 + i]!;
    const a2 = dc[4 + i]! - dc[8 + i]!, a3 = dc[i]! - dc[12 + i]!;
    tmp[i] = a0 + a1;
    tmp[8 + i] = a0 - a1;
    tmp[4 + i] = a3 + a2;
    tmp[12 + i] = a3 - a2;
  }
  for (let i = 0; i < 4; i++) {
    const dcv = tmp[i * 4]! + 3;
    const a0 = dcv + tmp[i * 4 + 3]!, a1 = tmp[i * 4 + 1]! + tmp[i * 4 + 2]!;
    const a2 = tmp[i * 4 + 1]! - tmp[i * 4 + 2]!, a3 = dcv - tmp[i * 4 + 3]!;
    out[(i * 4) * 16] = (a0 + a1) >> 3;
    out[(i * 4 + 1) * 16] = (a3 + a2) >> 3;
    out[(i * 4 + 2) * 16] = (a0 - a1) >> 3;
    out[(i * 4 + 3) * 16] = (a3 - a2) >> 3;
  }
}

// ---- intra prediction, in the work area (d[o - 1] is left, d[o - BPS] above) ----

function fill(d: Uint8Array, o: number, size: number, v: number): void {
  for (let y = 0; y < size; y++) d.fill(v, o + y * BPS, o + y * BPS + size);
}

/** The 16x16 luma and 8x8 chroma predictions: DC (and its border variants), TM, VE, HE. */
function predictBlock(d: Uint8Array, o: number, size: number, mode: number): void {
  const shift = size === 16 ? 4 : 3;
  if (mode === B_DC || mode === DC_NOTOP || mode === DC_NOLEFT) {
    let sum = 0;
    if (mode !== DC_NOTOP) for (let i = 0; i < size; i++) sum += d[o - BPS + i]!;
    if (mode !== DC_NOLEFT) for (let i = 0; i < size; i++) sum += d[o - 1 + i * BPS]!;
    const s = mode === B_DC ? shift + 1 : shift;
    fill(d, o, size, (sum + (1 << (s - 1))) >> s);
  } else if (mode === DC_NOTOPLEFT) {
    fill(d, o, size, 0x80);
  } else if (mode === B_TM) {
    const tl = d[o - BPS - 1]!;
    for (let y = 0; y < size; y++) {
      const l = d[o + y * BPS - 1]! - tl;
      for (let x = 0; x < size; x++) d[o + y * BPS + x] = clip8(d[o - BPS + x]! + l);
    }
  } else if (mode === B_VE) {
    for (let y = 0; y < size; y++) d.copyWithin(o + y * BPS, o - BPS, o - BPS + size);
  } else if (mode === B_HE) {
    for (let y = 0; y < size; y++) d.fill(d[o + y * BPS - 1]!, o + y * BPS, o + y * BPS + size);
  } else {
    fail(`intra mode ${mode}`);
  }
}

const avg3 = (a: number, b: number, c: number): number => (a + 2 * b + c + 2) >> 2;
const avg2 = (a: number, b: number): number => (a + b + 1) >> 1;

/** The ten 4x4 luma predictions. */
function predict4(d: Uint8Array, o: number, mode: number): void {
  const T = (i: number): number => d[o - BPS + i]!;  // above, i in -1..7
  const L = (i: number): number => d[o - 1 + i * BPS]!;  // left, i in -1..3
  const set = (x: number, y: number, v: number): void => {
    d[o + y * BPS + x] = v;
  };
  const X = T(-1), A = T(0), B = T(1), C = T(2), D = T(3), E = T(4), F = T(5), G = T(6), H = T(7);
  const I = L(0), J = L(1), K = L(2), Lv = L(3);
  switch (mode) {
    case B_DC: {
      let dc = 4;
      for (let i = 0; i < 4; i++) dc += T(i) + L(i);
      fill(d, o, 4, dc >> 3);
      break;
    }
    case B_TM:
      predictBlock(d, o, 4, B_TM);
      break;
    case B_VE: {
      const v = [avg3(X, A, B), avg3(A, B, C), avg3(B, C, D), avg3(C, D, E)];
      for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) set(x, y, v[x]!);
      break;
    }
    case B_HE: {
      const v = [avg3(X, I, J), avg3(I, J, K), avg3(J, K, Lv), avg3(K, Lv, Lv)];
      for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) set(x, y, v[y]!);
      break;
    }
    case B_RD: {  // down-right: along diagonals x - y, from the left column up to the top row
      const e = [avg3(J, K, Lv), avg3(I, J, K), avg3(X, I, J), avg3(A, X, I), avg3(B, A, X), avg3(C, B, A), avg3(D, C, B)];
      for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) set(x, y, e[x - y + 3]!);
      break;
    }
    case B_LD: {  // down-left: along anti-diagonals x + y
      const e = [avg3(A, B, C), avg3(B, C, D), avg3(C, D, E), avg3(D, E, F), avg3(E, F, G), avg3(F, G, H), avg3(G, H, H)];
      for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) set(x, y, e[x + y]!);
      break;
    }
    case B_VR:
      set(0, 0, avg2(X, A)); set(1, 2, avg2(X, A));
      set(1, 0, avg2(A, B)); set(2, 2, avg2(A, B));
      set(2, 0, avg2(B, C)); set(3, 2, avg2(B, C));
      set(3, 0, avg2(C, D));
      set(0, 3, avg3(K, J, I));
      set(0, 2, avg3(J, I, X));
      set(0, 1, avg3(I, X, A)); set(1, 3, avg3(I, X, A));
      set(1, 1, avg3(X, A, B)); set(2, 3, avg3(X, A, B));
      set(2, 1, avg3(A, B, C)); set(3, 3, avg3(A, B, C));
      set(3, 1, avg3(B, C, D));
      break;
    case B_VL:
      set(0, 0, avg2(A, B));
      set(1, 0, avg2(B, C)); set(0, 2, avg2(B, C));
      set(2, 0, avg2(C, D)); set(1, 2, avg2(C, D));
      set(3, 0, avg2(D, E)); set(2, 2, avg2(D, E));
      set(0, 1, avg3(A, B, C));
      set(1, 1, avg3(B, C, D)); set(0, 3, avg3(B, C, D));
      set(2, 1, avg3(C, D, E)); set(1, 3, avg3(C, D, E));
      set(3, 1, avg3(D, E, F)); set(2, 3, avg3(D, E, F));
      set(3, 2, avg3(E, F, G));
      set(3, 3, avg3(F, G, H));
      break;
    case B_HD:
      set(0, 0, avg2(I, X)); set(2, 1, avg2(I, X));
      set(0, 1, avg2(J, I)); set(2, 2, avg2(J, I));
      set(0, 2, avg2(K, J)); set(2, 3, avg2(K, J));
      set(0, 3, avg2(Lv, K));
      set(3, 0, avg3(A, B, C));
      set(2, 0, avg3(X, A, B));
      set(1, 0, avg3(I, X, A)); set(3, 1, avg3(I, X, A));
      set(1, 1, avg3(J, I, X)); set(3, 2, avg3(J, I, X));
      set(1, 2, avg3(K, J, I)); set(3, 3, avg3(K, J, I));
      set(1, 3, avg3(Lv, K, J));
      break;
    case B_HU:
      set(0, 0, avg2(I, J));
      set(2, 0, avg2(J, K)); set(0, 1, avg2(J, K));
      set(2, 1, avg2(K, Lv)); set(0, 2, avg2(K, Lv));
      set(1, 0, avg3(I, J, K));
      set(3, 0, avg3(J, K, Lv)); set(1, 1, avg3(J, K, Lv));
      set(3, 1, avg3(K, Lv, Lv)); set(1, 2, avg3(K, Lv, Lv));
      for (const [x, y] of [[3, 2], [2, 2], [0, 3], [1, 3], [2, 3], [3, 3]] as const) set(x, y, Lv);
      break;
    default:
      fail(`4x4 intra mode ${mode}`);
  }
}

// ---- loop filters, on a plane (p is the first pixel after the edge, step crosses the edge) ----

function needsFilter(b: Uint8Array, p: number, step: number, t: number): boolean {
  return 4 * Math.abs(b[p - step]! - b[p]!) + Math.abs(b[p - 2 * step]! - b[p + step]!) <= t;
}

function needsFilter2(b: Uint8Array, p: number, s: number, t: number, it: number): boolean {
  const p3 = b[p - 4 * s]!, p2 = b[p - 3 * s]!, p1 = b[p - 2 * s]!, p0 = b[p - s]!;
  const q0 = b[p]!, q1 = b[p + s]!, q2 = b[p + 2 * s]!, q3 = b[p + 3 * s]!;
  if (4 * Math.abs(p0 - q0) + Math.abs(p1 - q1) > t) return false;
  return Math.abs(p3 - p2) <= it && Math.abs(p2 - p1) <= it && Math.abs(p1 - p0) <= it &&
    Math.abs(q3 - q2) <= it && Math.abs(q2 - q1) <= it && Math.abs(q1 - q0) <= it;
}

function hev(b: Uint8Array, p: number, s: number, thresh: number): boolean {
  return Math.abs(b[p - 2 * s]! - b[p - s]!) > thresh || Math.abs(b[p + s]! - b[p]!) > thresh;
}

/** Adjusts the two pixels next to the edge (the simple filter, and high-variance edges). */
function filter2(b: Uint8Array, p: number, s: number): void {
  const p1 = b[p - 2 * s]!, p0 = b[p - s]!, q0 = b[p]!, q1 = b[p + s]!;
  const a = 3 * (q0 - p0) + sclip1(p1 - q1);
  const a1 = sclip2((a + 4) >> 3);
  const a2 = sclip2((a + 3) >> 3);
  b[p - s] = clip8(p0 + a2);
  b[p] = clip8(q0 - a1);
}

/** Inner edges: four pixels. */
function filter4(b: Uint8Array, p: number, s: number): void {
  const p1 = b[p - 2 * s]!, p0 = b[p - s]!, q0 = b[p]!, q1 = b[p + s]!;
  const a = 3 * (q0 - p0);
  const a1 = sclip2((a + 4) >> 3);
  const a2 = sclip2((a + 3) >> 3);
  const a3 = (a1 + 1) >> 1;
  b[p - 2 * s] = clip8(p1 + a3);
  b[p - s] = clip8(p0 + a2);
  b[p] = clip8(q0 - a1);
  b[p + s] = clip8(q1 - a3);
}

/** Macroblock edges: six pixels. */
function filter6(b: Uint8Array, p: number, s: number): void {
  const p2 = b[p - 3 * s]!, p1 = b[p - 2 * s]!, p0 = b[p - s]!;
  const q0 = b[p]!, q1 = b[p + s]!, q2 = b[p + 2 * s]!;
  const a = sclip1(3 * (q0 - p0) + sclip1(p1 - q1));
  const a1 = (27 * a + 63) >> 7;
  const a2 = (18 * a + 63) >> 7;
  const a3 = (9 * a + 63) >> 7;
  b[p - 3 * s] = clip8(p2 + a3);
  b[p - 2 * s] = clip8(p1 + a2);
  b[p - s] = clip8(p0 + a1);
  b[p] = clip8(q0 - a1);
  b[p + s] = clip8(q1 - a2);
  b[p + 2 * s] = clip8(q2 - a3);
}

/** `size` pixels along an edge: across with step `hs`, along with step `vs`. */
function filterLoop(b: Uint8Array, p: number, hs: number, vs: number, size: number, thresh: number, ithresh: number,
                    hevThresh: number, inner: boolean): void {
  const t2 = 2 * thresh + 1;
  for (let i = 0; i < size; i++, p += vs) {
    if (!needsFilter2(b, p, hs, t2, ithresh)) continue;
    if (hev(b, p, hs, hevThresh)) filter2(b, p, hs);
    else if (inner) filter4(b, p, hs);
    else filter6(b, p, hs);
  }
}

function simpleFilter(b: Uint8Array, p: number, hs: number, vs: number, thresh: number): void {
  const t2 = 2 * thresh + 1;
  for (let i = 0; i < 16; i++, p += vs) if (needsFilter(b, p, hs, t2)) filter2(b, p, hs);
}

/** The decoded planes: luma of (mbW * 16) x (mbH * 16), chroma half that, cropped to width x height by the caller. */
export interface Vp8Frame {
  width: number;
  height: number;
  y: Uint8Array;
  u: Uint8Array;
  v: Uint8Array;
  yStride: number;
  uvStride: number;
}

interface Quant { y1: [number, number]; y2: [number, number]; uv: [number, number] }
interface FilterInfo { limit: number; ilevel: number; hevThresh: number; inner: boolean }

/** The width and height in a VP8 bitstream's key frame header (checking its signature). */
function vp8Size(b: Uint8Array): [number, number] {
  if (b.length < 10) fail(`frame header truncated (${b.length} bytes)`);
  if (b[3] !== 0x9d || b[4] !== 0x01 || b[5] !== 0x2a) fail('start code missing');
  return [(b[6]! | (b[7]! << 8)) & 0x3fff, (b[8]! | (b[9]! << 8)) & 0x3fff];
}

/** Decodes a VP8 key frame (the payload of a WebP `VP8 ` chunk). */
export function decodeVp8(b: Uint8Array): Vp8Frame {
  const [width, height] = vp8Size(b);
  const tag = b[0]! | (b[1]! << 8) | (b[2]! << 16);
  if (tag & 1) fail('frame is not a key frame');
  if (((tag >> 1) & 7) > 3) fail(`profile ${(tag >> 1) & 7}`);
  if (!((tag >> 4) & 1)) fail('frame is not shown');
  const part0Size = tag >>> 5;
  if (width === 0 || height === 0) fail(`size ${width}x${height}`);
  if (10 + part0Size > b.length) fail(`first partition (${part0Size} bytes) runs past the end`);
  const br = new BoolDecoder(b, 10, 10 + part0Size);
  br.bit(0x80);  // color space
  br.bit(0x80);  // clamping type (libwebp always clamps)

  // Segment header.
  const useSegment = br.bit(0x80) === 1;
  let updateMap = false;
  let absoluteDelta = true;
  const segQuant = [0, 0, 0, 0];
  const segFilter = [0, 0, 0, 0];
  const segProbs = [255, 255, 255];
  if (useSegment) {
    updateMap = br.bit(0x80) === 1;
    if (br.bit(0x80)) {
      absoluteDelta = br.bit(0x80) === 1;
      for (let s = 0; s < 4; s++) segQuant[s] = br.optionalSigned(7);
      for (let s = 0; s < 4; s++) segFilter[s] = br.optionalSigned(6);
    }
    if (updateMap) for (let s = 0; s < 3; s++) segProbs[s] = br.bit(0x80) ? br.literal(8) : 255;
  }
  // Loop filter header.
  const simple = br.bit(0x80) === 1;
  const level = br.literal(6);
  const sharpness = br.literal(3);
  const useLfDelta = br.bit(0x80) === 1;
  const refLfDelta = [0, 0, 0, 0];
  const modeLfDelta = [0, 0, 0, 0];
  if (useLfDelta && br.bit(0x80)) {
    for (let i = 0; i < 4; i++) if (br.bit(0x80)) refLfDelta[i] = br.signedLiteral(6);
    for (let i = 0; i < 4; i++) if (br.bit(0x80)) modeLfDelta[i] = br.signedLiteral(6);
  }
  const filterType = level === 0 ? 0 : simple ? 1 : 2;
  if (br.eof) fail('header truncated');

  // Token partitions: their sizes (3 bytes each, but the last's), then their data; the last must not be empty.
  const numParts = 1 << br.literal(2);
  const sizesAt = 10 + part0Size;
  if (b.length - sizesAt < 3 * (numParts - 1)) fail('partition sizes truncated');
  let at = sizesAt + 3 * (numParts - 1);
  const parts: BoolDecoder[] = [];
  for (let p = 0; p < numParts; p++) {
    let size = b.length - at;
    if (p < numParts - 1) {
      const o = sizesAt + 3 * p;
      size = Math.min(size, b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16));
    } else if (size <= 0) {
      fail(`token partition ${p + 1} of ${numParts} is missing`);
    }
    parts.push(new BoolDecoder(b, at, at + size));
    at += size;
  }

  // Quantizers.
  const baseQ = br.literal(7);
  const dqY1Dc = br.optionalSigned(4), dqY2Dc = br.optionalSigned(4), dqY2Ac = br.optionalSigned(4);
  const dqUvDc = br.optionalSigned(4), dqUvAc = br.optionalSigned(4);
  const clipQ = (q: number, max: number): number => (q < 0 ? 0 : q > max ? max : q);
  const quant: Quant[] = [];
  for (let s = 0; s < 4; s++) {
    const q = useSegment ? segQuant[s]! + (absoluteDelta ? 0 : baseQ) : baseQ;
    quant.push({
      y1: [DC_TABLE[clipQ(q + dqY1Dc, 127)]!, AC_TABLE[clipQ(q, 127)]!],
      y2: [DC_TABLE[clipQ(q + dqY2Dc, 127)]! * 2, Math.max(8, (AC_TABLE[clipQ(q + dqY2Ac, 127)]! * 101581) >> 16)],
      uv: [DC_TABLE[clipQ(q + dqUvDc, 117)]!, AC_TABLE[clipQ(q + dqUvAc, 127)]!],
    });
  }
  br.bit(0x80);  // refresh entropy probabilities (meaningless for a single key frame)
  const probs = new Uint8Array(COEFF_PROBS.length);
  for (let i = 0; i < probs.length; i++) probs[i] = br.bit(COEFF_UPDATE_PROBS[i]!) ? br.literal(8) : COEFF_PROBS[i]!;
  const useSkipProb = br.bit(0x80) === 1;
  const skipProb = useSkipProb ? br.literal(8) : 0;
  if (br.eof) fail('header truncated');

  // Filter strength per segment and per kind of macroblock (16x16 or 4x4 prediction).
  const strengths: FilterInfo[][] = [];
  for (let s = 0; s < 4; s++) {
    const row: FilterInfo[] = [];
    for (let i4 = 0; i4 <= 1; i4++) {
      let lv = useSegment ? segFilter[s]! + (absoluteDelta ? 0 : level) : level;
      if (useLfDelta) lv += refLfDelta[0]! + (i4 ? modeLfDelta[0]! : 0);
      lv = lv < 0 ? 0 : lv > 63 ? 63 : lv;
      let ilevel = lv;
      if (sharpness > 0) {
        ilevel >>= sharpness > 4 ? 2 : 1;
        if (ilevel > 9 - sharpness) ilevel = 9 - sharpness;
      }
      if (ilevel < 1) ilevel = 1;
      row.push(lv > 0 ? { limit: 2 * lv + ilevel, ilevel, hevThresh: lv >= 40 ? 2 : lv >= 15 ? 1 : 0, inner: i4 === 1 }
        : { limit: 0, ilevel: 0, hevThresh: 0, inner: false });
    }
    strengths.push(row);
  }

  const mbW = (width + 15) >> 4;
  const mbH = (height + 15) >> 4;
  const yStride = mbW * 16;
  const uvStride = mbW * 8;
  const Y = new Uint8Array(yStride * mbH * 16);
  const U = new Uint8Array(uvStride * mbH * 8);
  const V = new Uint8Array(uvStride * mbH * 8);
  const finfo: FilterInfo[] = new Array<FilterInfo>(mbW * mbH);

  // Per-column state carried down the frame: modes, non-zero flags and unfiltered bottom rows of the row above.
  const intraTop = new Uint8Array(4 * mbW);  // all B_DC to start
  const nzTop = new Uint8Array(mbW);
  const nzDcTop = new Uint8Array(mbW);
  const topY = new Uint8Array(16 * mbW);
  const topU = new Uint8Array(8 * mbW);
  const topV = new Uint8Array(8 * mbW);
  const work = new Uint8Array(WORK_SIZE);
  const coeffs = new Int16Array(384);
  const dc = new Int16Array(16);
  const tmp = new Int32Array(16);
  const codes = new Uint8Array(24);  // per block: 0 nothing, 1 DC only, 2 first three coefficients, 3 all

  /** One block's tokens; returns the index after the last non-zero coefficient (first when none). */
  const getCoeffs = (tb: BoolDecoder, type: number, ctx: number, dq0: number, dq1: number, n: number,
                     out: Int16Array, o: number): number => {
    let p = ((type * 8 + BANDS[n]!) * 3 + ctx) * 11;
    for (; n < 16; n++) {
      if (!tb.bit(probs[p]!)) return n;
      while (!tb.bit(probs[p + 1]!)) {
        n++;
        if (n === 16) return 16;
        p = (type * 8 + BANDS[n]!) * 33;
      }
      let v: number;
      const next = (type * 8 + BANDS[n + 1]!) * 33;
      if (!tb.bit(probs[p + 2]!)) {
        v = 1;
        p = next + 11;
      } else {
        v = largeValue(tb, p);
        p = next + 22;
      }
      out[o + ZIGZAG[n]!] = tb.signed(v) * (n > 0 ? dq1 : dq0);
    }
    return 16;
  };
  const largeValue = (tb: BoolDecoder, p: number): number => {
    if (!tb.bit(probs[p + 3]!)) return tb.bit(probs[p + 4]!) ? 3 + tb.bit(probs[p + 5]!) : 2;
    if (!tb.bit(probs[p + 6]!)) {
      if (!tb.bit(probs[p + 7]!)) return 5 + tb.bit(159);
      return 7 + 2 * tb.bit(165) + tb.bit(145);
    }
    const bit1 = tb.bit(probs[p + 8]!);
    const bit0 = tb.bit(probs[p + 9 + bit1]!);
    const cat = 2 * bit1 + bit0;
    let v = 0;
    for (const pr of CAT_PROBS[cat]!) v += v + tb.bit(pr);
    return v + 3 + (8 << cat);
  };

  const segments = new Uint8Array(mbW);
  const skips = new Uint8Array(mbW);
  const isI4 = new Uint8Array(mbW);
  const yModes = new Uint8Array(16 * mbW);
  const uvModes = new Uint8Array(mbW);
  const intraLeft = new Uint8Array(4);
  for (let mbY = 0; mbY < mbH; mbY++) {
    // The modes of the whole row, from the first partition.
    intraLeft.fill(B_DC);
    for (let mbX = 0; mbX < mbW; mbX++) {
      segments[mbX] = updateMap ? (!br.bit(segProbs[0]!) ? br.bit(segProbs[1]!) : br.bit(segProbs[2]!) + 2) : 0;
      skips[mbX] = useSkipProb ? br.bit(skipProb) : 0;
      isI4[mbX] = br.bit(145) ? 0 : 1;
      const top = 4 * mbX;
      if (!isI4[mbX]) {
        const ymode = br.bit(156) ? (br.bit(128) ? B_TM : B_HE) : (br.bit(163) ? B_VE : B_DC);
        yModes[16 * mbX] = ymode;
        intraTop.fill(ymode, top, top + 4);
        intraLeft.fill(ymode);
      } else {
        for (let y = 0; y < 4; y++) {
          let ymode = intraLeft[y]!;
          for (let x = 0; x < 4; x++) {
            const pr = (intraTop[top + x]! * 10 + ymode) * 9;
            const bit = (i: number): number => br.bit(BMODE_PROBS[pr + i]!);
            ymode = !bit(0) ? B_DC : !bit(1) ? B_TM : !bit(2) ? B_VE
              : !bit(3) ? (!bit(4) ? B_HE : !bit(5) ? B_RD : B_VR)
                : !bit(6) ? B_LD : !bit(7) ? B_VL : !bit(8) ? B_HD : B_HU;
            intraTop[top + x] = ymode;
            yModes[16 * mbX + 4 * y + x] = ymode;
          }
          intraLeft[y] = ymode;
        }
      }
      uvModes[mbX] = !br.bit(142) ? B_DC : !br.bit(114) ? B_VE : br.bit(183) ? B_TM : B_HE;
    }
    if (br.eof) fail('first partition ends early');

    // Tokens and reconstruction, macroblock by macroblock.
    const tb = parts[mbY & (numParts - 1)]!;
    let nzLeft = 0;
    let nzDcLeft = 0;
    // Borders: 129 on the left, 127 above the first row (and top-left 129 below it; see the copy in the loop).
    for (let j = 0; j < 16; j++) work[Y_OFF + j * BPS - 1] = 129;
    for (let j = 0; j < 8; j++) work[U_OFF + j * BPS - 1] = work[V_OFF + j * BPS - 1] = 129;
    if (mbY > 0) {
      work[Y_OFF - BPS - 1] = work[U_OFF - BPS - 1] = work[V_OFF - BPS - 1] = 129;
    } else {
      work.fill(127, Y_OFF - BPS - 1, Y_OFF - BPS + 20);
      work.fill(127, U_OFF - BPS - 1, U_OFF - BPS + 8);
      work.fill(127, V_OFF - BPS - 1, V_OFF - BPS + 8);
    }
    for (let mbX = 0; mbX < mbW; mbX++) {
      const i4 = isI4[mbX] === 1;
      const q = quant[segments[mbX]!]!;
      let skip = skips[mbX] === 1;
      codes.fill(0);
      if (!skip) {
        coeffs.fill(0);
        let first = 0;
        let type = 3;
        if (!i4) {  // the luma DCs, through the WHT
          dc.fill(0);
          const nz = getCoeffs(tb, 1, nzDcTop[mbX]! + nzDcLeft, q.y2[0], q.y2[1], 0, dc, 0);
          nzDcTop[mbX] = nzDcLeft = nz > 0 ? 1 : 0;
          if (nz > 1) {
            transformWHT(dc, coeffs);
          } else {
            const dc0 = (dc[0]! + 3) >> 3;
            for (let i = 0; i < 256; i += 16) coeffs[i] = dc0;
          }
          first = 1;
          type = 0;
        }
        let tnz = nzTop[mbX]! & 0x0f;
        let lnz = nzLeft & 0x0f;
        for (let y = 0; y < 4; y++) {
          let l = lnz & 1;
          for (let x = 0; x < 4; x++) {
            const blk = y * 4 + x;
            const nz = getCoeffs(tb, type, l + (tnz & 1), q.y1[0], q.y1[1], first, coeffs, blk * 16);
            l = nz > first ? 1 : 0;
            tnz = (tnz >> 1) | (l << 7);
            codes[blk] = nz > 3 ? 3 : nz > 1 ? 2 : coeffs[blk * 16] !== 0 ? 1 : 0;
          }
          tnz >>= 4;
          lnz = (lnz >> 1) | (l << 7);
        }
        let outT = tnz;
        let outL = lnz >> 4;
        for (let ch = 0; ch < 4; ch += 2) {
          tnz = nzTop[mbX]! >> (4 + ch);
          lnz = nzLeft >> (4 + ch);
          for (let y = 0; y < 2; y++) {
            let l = lnz & 1;
            for (let x = 0; x < 2; x++) {
              const blk = 16 + ch * 2 + y * 2 + x;
              const nz = getCoeffs(tb, 2, l + (tnz & 1), q.uv[0], q.uv[1], 0, coeffs, blk * 16);
              l = nz > 0 ? 1 : 0;
              tnz = (tnz >> 1) | (l << 3);
              codes[blk] = nz > 3 ? 3 : nz > 1 ? 2 : coeffs[blk * 16] !== 0 ? 1 : 0;
            }
            tnz >>= 2;
            lnz = (lnz >> 1) | (l << 5);
          }
          outT |= (tnz << 4) << ch;
          outL |= (lnz & 0xf0) << ch;
        }
        nzTop[mbX] = outT;
        nzLeft = outL;
        skip = codes.every((c) => c === 0);
      } else {
        nzTop[mbX] = nzLeft = 0;
        if (!i4) nzDcTop[mbX] = nzDcLeft = 0;
      }
      if (tb.eof) fail('token partition ends early');
      if (filterType > 0) {
        const f = strengths[segments[mbX]!]![i4 ? 1 : 0]!;
        finfo[mbY * mbW + mbX] = { ...f, inner: f.inner || !skip };
      }

      // Prediction and residuals in the work area.
      if (mbX > 0) {  // the left border is the previous macroblock's right columns
        for (let j = -1; j < 16; j++) work.copyWithin(Y_OFF + j * BPS - 4, Y_OFF + j * BPS + 12, Y_OFF + j * BPS + 16);
        for (let j = -1; j < 8; j++) {
          work.copyWithin(U_OFF + j * BPS - 4, U_OFF + j * BPS + 4, U_OFF + j * BPS + 8);
          work.copyWithin(V_OFF + j * BPS - 4, V_OFF + j * BPS + 4, V_OFF + j * BPS + 8);
        }
      }
      if (mbY > 0) {
        work.set(topY.subarray(16 * mbX, 16 * mbX + 16), Y_OFF - BPS);
        work.set(topU.subarray(8 * mbX, 8 * mbX + 8), U_OFF - BPS);
        work.set(topV.subarray(8 * mbX, 8 * mbX + 8), V_OFF - BPS);
      }
      const dcMode = (m: number): number => (m !== B_DC ? m : mbX === 0 ? (mbY === 0 ? DC_NOTOPLEFT : DC_NOLEFT)
        : mbY === 0 ? DC_NOTOP : B_DC);
      if (i4) {
        const tr = Y_OFF - BPS + 16;  // the four pixels above and to the right
        if (mbY > 0) {
          if (mbX >= mbW - 1) work.fill(topY[16 * mbX + 15]!, tr, tr + 4);
          else work.set(topY.subarray(16 * mbX + 16, 16 * mbX + 20), tr);
        }
        for (let k = 1; k <= 3; k++) work.copyWithin(tr + 4 * k * BPS, tr, tr + 4);
        for (let n = 0; n < 16; n++) {
          const o = Y_OFF + (n >> 2) * 4 * BPS + (n & 3) * 4;
          predict4(work, o, yModes[16 * mbX + n]!);
          addResidual(codes[n]!, coeffs, n * 16, work, o, tmp);
        }
      } else {
        predictBlock(work, Y_OFF, 16, dcMode(yModes[16 * mbX]!));
        for (let n = 0; n < 16; n++) {
          addResidual(codes[n]!, coeffs, n * 16, work, Y_OFF + (n >> 2) * 4 * BPS + (n & 3) * 4, tmp);
        }
      }
      const uvMode = dcMode(uvModes[mbX]!);
      predictBlock(work, U_OFF, 8, uvMode);
      predictBlock(work, V_OFF, 8, uvMode);
      for (let c = 0; c < 2; c++) {
        const base = 16 + 4 * c;
        const o = c === 0 ? U_OFF : V_OFF;
        const cs = codes.subarray(base, base + 4);
        if (cs.some((x) => x >= 2)) {  // any AC: the full transform on all four blocks
          for (let k = 0; k < 4; k++) transformFull(coeffs, (base + k) * 16, work, o + (k >> 1) * 4 * BPS + (k & 1) * 4, tmp);
        } else {
          for (let k = 0; k < 4; k++) {
            if (coeffs[(base + k) * 16] !== 0) transformDC(coeffs, (base + k) * 16, work, o + (k >> 1) * 4 * BPS + (k & 1) * 4);
          }
        }
      }
      if (mbY < mbH - 1) {
        topY.set(work.subarray(Y_OFF + 15 * BPS, Y_OFF + 15 * BPS + 16), 16 * mbX);
        topU.set(work.subarray(U_OFF + 7 * BPS, U_OFF + 7 * BPS + 8), 8 * mbX);
        topV.set(work.subarray(V_OFF + 7 * BPS, V_OFF + 7 * BPS + 8), 8 * mbX);
      }
      for (let j = 0; j < 16; j++) Y.set(work.subarray(Y_OFF + j * BPS, Y_OFF + j * BPS + 16), (mbY * 16 + j) * yStride + mbX * 16);
      for (let j = 0; j < 8; j++) {
        U.set(work.subarray(U_OFF + j * BPS, U_OFF + j * BPS + 8), (mbY * 8 + j) * uvStride + mbX * 8);
        V.set(work.subarray(V_OFF + j * BPS, V_OFF + j * BPS + 8), (mbY * 8 + j) * uvStride + mbX * 8);
      }
    }
  }

  if (filterType > 0) loopFilter(Y, U, V, yStride, uvStride, mbW, mbH, finfo, filterType === 1);
  return { width, height, y: Y, u: U, v: V, yStride, uvStride };
}

function addResidual(code: number, c: Int16Array, ci: number, d: Uint8Array, di: number, tmp: Int32Array): void {
  if (code === 3) transformFull(c, ci, d, di, tmp);
  else if (code === 2) transformAC3(c, ci, d, di);
  else if (code === 1) transformDC(c, ci, d, di);
}

/** The in-loop deblocking filter over the whole frame, macroblock by macroblock in raster order. */
function loopFilter(Y: Uint8Array, U: Uint8Array, V: Uint8Array, ys: number, uvs: number, mbW: number, mbH: number,
                    finfo: FilterInfo[], simple: boolean): void {
  for (let mbY = 0; mbY < mbH; mbY++) {
    for (let mbX = 0; mbX < mbW; mbX++) {
      const f = finfo[mbY * mbW + mbX]!;
      const { limit, ilevel, hevThresh: hv } = f;
      if (limit === 0) continue;
      const y0 = mbY * 16 * ys + mbX * 16;
      if (simple) {
        if (mbX > 0) simpleFilter(Y, y0, 1, ys, limit + 4);
        if (f.inner) for (let k = 4; k < 16; k += 4) simpleFilter(Y, y0 + k, 1, ys, limit);
        if (mbY > 0) simpleFilter(Y, y0, ys, 1, limit + 4);
        if (f.inner) for (let k = 4; k < 16; k += 4) simpleFilter(Y, y0 + k * ys, ys, 1, limit);
        continue;
      }
      const c0 = mbY * 8 * uvs + mbX * 8;
      if (mbX > 0) {
        filterLoop(Y, y0, 1, ys, 16, limit + 4, ilevel, hv, false);
        filterLoop(U, c0, 1, uvs, 8, limit + 4, ilevel, hv, false);
        filterLoop(V, c0, 1, uvs, 8, limit + 4, ilevel, hv, false);
      }
      if (f.inner) {
        for (let k = 4; k < 16; k += 4) filterLoop(Y, y0 + k, 1, ys, 16, limit, ilevel, hv, true);
        filterLoop(U, c0 + 4, 1, uvs, 8, limit, ilevel, hv, true);
        filterLoop(V, c0 + 4, 1, uvs, 8, limit, ilevel, hv, true);
      }
      if (mbY > 0) {
        filterLoop(Y, y0, ys, 1, 16, limit + 4, ilevel, hv, false);
        filterLoop(U, c0, uvs, 1, 8, limit + 4, ilevel, hv, false);
        filterLoop(V, c0, uvs, 1, 8, limit + 4, ilevel, hv, false);
      }
      if (f.inner) {
        for (let k = 4; k < 16; k += 4) filterLoop(Y, y0 + k * ys, ys, 1, 16, limit, ilevel, hv, true);
        filterLoop(U, c0 + 4 * uvs, uvs, 1, 8, limit, ilevel, hv, true);
        filterLoop(V, c0 + 4 * uvs, uvs, 1, 8, limit, ilevel, hv, true);
      }
    }
  }
}
