// OpenCV's cv::resize (imgproc/src/resize.cpp, 4.x) on interleaved (H, W, C) planes, arithmetic for arithmetic.
// SPDX-License-Identifier: Apache-2.0
//
// Codes are OpenCV's: 0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos (8x8). Scales are OpenCV's
// `1 / (dst / src)` (not src / dst: the integer tests and pixel mapping see that double).
// - uint8 runs OpenCV's fixed-point path: weights rounded to 11 fractional bits (INTER_RESIZE_COEF_BITS),
//   rows filtered horizontally into ints, then vertically: bilinear as OpenCV's SIMD code (16-bit products,
//   (sum + 2) >> 2), bicubic as its 128-bit loop (float32 sums rounded half to even) for the first multiple
//   of 8 columns and its scalar 22-bit rounding shift for the rest, Lanczos by the scalar shift.
//   This is OpenCV's own arithmetic, cv2 built without IPP (as MXNet's bundled OpenCV is); a cv2 that
//   hands bicubic uint8 to Intel IPP (pip wheels by default) differs by 1 on a few pixels.
// - Area: integer shrinks average blocks (2x2 as OpenCV's (sum + 2) >> 2), other shrinks weight source
//   pixels by their overlap (float32), enlargements are bilinear with OpenCV's area coefficients.
// - Bilinear with an exact 2x2 shrink is the 2x2 area average (OpenCV switches to it).
// - Float images use float32 weights and sums (float64 images: doubles), as OpenCV's float paths.
const f32 = Math.fround;
const COEF_SCALE = 2048; // 1 << INTER_RESIZE_COEF_BITS
const SHIFT22 = 4194304; // 1 << (2 * INTER_RESIZE_COEF_BITS)
const HALF22 = 2097152;
// Lanes of a 128-bit vector (OpenCV's x86-64 and arm64 builds run these loops on 128-bit registers).
const LANES_S16 = 8;

/** Round half to even (cvRound). */
function rint(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const satU8 = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : v);
const clampIndex = (i: number, n: number): number => (i < 0 ? 0 : i >= n ? n - 1 : i);

/** An interleaved image plane: `data[(y * w + x) * c + ch]`. */
export interface Plane {
  data: ArrayLike<number>;
  h: number;
  w: number;
  c: number;
}

/** How values are stored: uint8 (OpenCV's fixed point), float32 or float64 arithmetic. */
export type ResizeKind = 'u8' | 'f32' | 'f64';

/** OpenCV's interpolateCubic (A = -0.75), in float32. */
export function cubicCoefs(x: number): number[] {
  const A = -0.75;
  const x1 = f32(x + 1), mx = f32(1 - x);
  const c0 = f32(f32(f32(f32(f32(f32(A * x1) - 5 * A) * x1) + 8 * A) * x1) - 4 * A);
  const c1 = f32(f32(f32(f32(f32(f32((A + 2) * x) - (A + 3)) * x) * x)) + 1);
  const c2 = f32(f32(f32(f32(f32((A + 2) * mx) - (A + 3)) * mx) * mx) + 1);
  return [c0, c1, c2, f32(f32(f32(1 - c0) - c1) - c2)];
}

const S45 = 0.70710678118654752440084436210485;
const LANCZOS_CS: readonly (readonly [number, number])[] =
  [[1, 0], [-S45, -S45], [0, 1], [S45, -S45], [-1, 0], [S45, S45], [0, -1], [-S45, S45]];

/** OpenCV's interpolateLanczos4: sin(πx/4)·sin(πx)/(π²x²/4) at the 8 taps, normalised in float32. */
export function lanczosCoefs(x: number): number[] {
  if (x < 1.1920928955078125e-7) return [0, 0, 0, 1, 0, 0, 0, 0]; // FLT_EPSILON: the centre tap alone
  const y0 = -f32(x + 3) * Math.PI * 0.25, s0 = Math.sin(y0), c0 = Math.cos(y0);
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const y = -f32(f32(x + 3) - i) * Math.PI * 0.25;
    const v = f32((LANCZOS_CS[i]![0] * s0 + LANCZOS_CS[i]![1] * c0) / (y * y));
    out.push(v);
    sum = f32(sum + v);
  }
  const inv = f32(1 / sum);
  return out.map((v) => f32(v * inv));
}

/** Source offsets and weights along one axis for the separable filters (bilinear, bicubic, Lanczos, area-enlarge). */
interface AxisTaps {
  /** First source index of each destination index's window. */
  first: Int32Array;
  /** `k` weights per destination index (OpenCV's float cbuf, or its 11-bit integers for uint8). */
  wt: Float64Array;
  k: number;
  /** Destination indices from here on just copy the clamped last source pixel (OpenCV's xmax). */
  xmax: number;
}

function axisTaps(ssize: number, dsize: number, interp: number, horizontal: boolean, fixed: boolean): AxisTaps {
  const inv = dsize / ssize, scale = 1 / inv;
  const k = interp === 2 ? 4 : interp === 4 ? 8 : 2, k2 = k / 2;
  const area = interp === 3, linearLike = interp === 1 || interp === 3;
  const first = new Int32Array(dsize), wt = new Float64Array(dsize * k);
  let xmax = dsize;
  for (let d = 0; d < dsize; d++) {
    let s: number, f: number;
    if (!area) {
      f = f32((d + 0.5) * scale - 0.5);
      s = Math.floor(f);
      f = f32(f - s);
    } else {
      s = Math.floor(d * scale);
      f = f32(d + 1 - (s + 1) * inv);
      f = f <= 0 ? 0 : f32(f - Math.floor(f));
    }
    // OpenCV clamps the horizontal pass only; rows are clamped later with their weights kept.
    if (horizontal) {
      if (s < 0 && linearLike) { f = 0; s = 0; }
      if (s + k2 >= ssize) {
        xmax = Math.min(xmax, d);
        if (s >= ssize - 1 && linearLike) { f = 0; s = ssize - 1; }
      }
    }
    first[d] = s - k2 + 1;
    const cb = interp === 2 ? cubicCoefs(f) : interp === 4 ? lanczosCoefs(f) : [f32(1 - f), f];
    for (let j = 0; j < k; j++) wt[d * k + j] = fixed ? Math.max(-32768, Math.min(32767, rint(f32(cb[j]! * COEF_SCALE)))) : cb[j]!;
  }
  return { first, wt, k, xmax };
}

/** Columns of a row of `width` values that OpenCV's 128-bit vertical bicubic loop covers (the rest: its scalar tail). */
function cubicVectorEnd(width: number): number {
  let x = 0;
  while (x <= width - LANES_S16) x += LANES_S16;
  return x;
}

// The hot loops of resizeSeparable, one per element kind so each stays monomorphic.
function hPassFixed(src: ArrayLike<number>, base: number, r: Int32Array, sIdx: Int32Array, hw: Float64Array,
                    ow: number, c: number, k: number): void {
  for (let dx = 0, t = 0, o = 0; dx < ow; dx++, t += k) {
    for (let ch = 0; ch < c; ch++, o++) {
      const at = base + ch;
      let v = 0;
      for (let j = 0; j < k; j++) v += src[at + sIdx[t + j]!]! * hw[t + j]!;
      r[o] = v;
    }
  }
}

function hPassF32(src: ArrayLike<number>, base: number, r: Float64Array, sIdx: Int32Array, hw: Float64Array,
                  ow: number, c: number, k: number): void {
  for (let dx = 0, t = 0, o = 0; dx < ow; dx++, t += k) {
    for (let ch = 0; ch < c; ch++, o++) {
      const at = base + ch;
      let v = f32(src[at + sIdx[t]!]! * hw[t]!);
      for (let j = 1; j < k; j++) v = f32(v + f32(src[at + sIdx[t + j]!]! * hw[t + j]!));
      r[o] = v;
    }
  }
}

function hPassF64(src: ArrayLike<number>, base: number, r: Float64Array, sIdx: Int32Array, hw: Float64Array,
                  ow: number, c: number, k: number): void {
  for (let dx = 0, t = 0, o = 0; dx < ow; dx++, t += k) {
    for (let ch = 0; ch < c; ch++, o++) {
      const at = base + ch;
      let v = src[at + sIdx[t]!]! * hw[t]!;
      for (let j = 1; j < k; j++) v += src[at + sIdx[t + j]!]! * hw[t + j]!;
      r[o] = v;
    }
  }
}

function vPassLinearF32(r0: Float64Array, r1: Float64Array, b0: number, b1: number, out: Float32Array, o: number, width: number): void {
  for (let x = 0; x < width; x++) out[o + x] = f32(r0[x]! * b0) + f32(r1[x]! * b1);
}

/**
 * VResizeLinearVec_32s8u: (S >> 4) as int16, high halves of the products (>> 16 floors as the 16-bit
 * multiply does; |product| < 2^31), then (sum + 2) >> 2; cv2 4.x rounds every column of a bilinear row
 * this way (its tail included).
 */
function vPassLinearU8(r0: Int32Array, r1: Int32Array, b0: number, b1: number, out: Uint8Array, o: number, width: number): void {
  for (let x = 0; x < width; x++) {
    const v = (((r0[x]! >> 4) * b0) >> 16) + (((r1[x]! >> 4) * b1) >> 16);
    out[o + x] = satU8((v + 2) >> 2);
  }
}

/** The separable path (OpenCV's resizeGeneric_): one horizontal pass per source row, then the vertical blend. */
function resizeSeparable(p: Plane, oh: number, ow: number, interp: number, kind: ResizeKind): ArrayLike<number> {
  const { data: src, h, w, c } = p;
  const fixed = kind === 'u8';
  const fr = kind === 'f64' ? (v: number): number => v : f32;
  const tx = axisTaps(w, ow, interp, true, fixed), ty = axisTaps(h, oh, interp, false, fixed);
  const width = ow * c, k = tx.k;
  // Each tap's clamped source offset in the row, once; past xmax (bilinear) a tap pair is the last pixel,
  // weighted as a copy (OpenCV's xmax branch), so one loop serves every column.
  const sIdx = new Int32Array(ow * k), hw = new Float64Array(ow * k);
  for (let dx = 0; dx < ow; dx++) {
    const s0 = tx.first[dx]!;
    for (let j = 0; j < k; j++) {
      const copy = k === 2 && dx >= tx.xmax;
      sIdx[dx * k + j] = clampIndex(copy ? s0 : s0 + j, w) * c;
      hw[dx * k + j] = copy ? (j === 0 ? (fixed ? COEF_SCALE : 1) : 0) : tx.wt[dx * k + j]!;
    }
  }
  // Horizontally filtered source rows, each made once (OpenCV keeps a ring of them): ints for uint8.
  const rowCache: (Float64Array | Int32Array | undefined)[] = new Array(h);
  const hrow = (sy: number): Float64Array | Int32Array => {
    let r = rowCache[sy];
    if (r) return r;
    if (fixed) {
      r = new Int32Array(width);
      hPassFixed(src, sy * w * c, r, sIdx, hw, ow, c, k);
    } else {
      r = new Float64Array(width);
      if (kind === 'f32') hPassF32(src, sy * w * c, r, sIdx, hw, ow, c, k);
      else hPassF64(src, sy * w * c, r, sIdx, hw, ow, c, k);
    }
    rowCache[sy] = r;
    return r;
  };
  const out = fixed ? new Uint8Array(oh * width) : kind === 'f32' ? new Float32Array(oh * width) : new Float64Array(oh * width);
  const kv = ty.k;
  const vecEnd = fixed && interp === 2 ? cubicVectorEnd(width) : width;
  const rows: (Float64Array | Int32Array)[] = new Array<Float64Array | Int32Array>(kv);
  const b: number[] = new Array<number>(kv);
  for (let dy = 0; dy < oh; dy++) {
    for (let j = 0; j < kv; j++) {
      rows[j] = hrow(clampIndex(ty.first[dy]! + j, h));
      b[j] = ty.wt[dy * kv + j]!;
    }
    const o = dy * width;
    if (!fixed) {
      if (kv === 2) {
        const r0 = rows[0]!, r1 = rows[1]!, b0 = b[0]!, b1 = b[1]!;
        if (kind === 'f32') vPassLinearF32(r0 as Float64Array, r1 as Float64Array, b0, b1, out as Float32Array, o, width);
        else for (let x = 0; x < width; x++) out[o + x] = r0[x]! * b0 + r1[x]! * b1;
        continue;
      }
      for (let x = 0; x < width; x++) {
        let v = fr(rows[0]![x]! * b[0]!);
        for (let j = 1; j < kv; j++) v = fr(v + fr(rows[j]![x]! * b[j]!));
        out[o + x] = v;
      }
      continue;
    }
    let x = 0;
    if (kv === 2) {
      vPassLinearU8(rows[0] as Int32Array, rows[1] as Int32Array, b[0]!, b[1]!, out as Uint8Array, o, width);
      x = width;
    } else if (kv === 4) {
      // VResizeCubicVec_32s8u: float32 S·(β / 2^22), summed from the last row in, rounded half to even.
      const fb = b.map((v) => f32(v / SHIFT22));
      for (; x < vecEnd; x++) {
        const t = f32(f32(rows[2]![x]! * fb[2]!) + f32(rows[3]![x]! * fb[3]!));
        const v = f32(f32(rows[0]![x]! * fb[0]!) + f32(f32(rows[1]![x]! * fb[1]!) + t));
        out[o + x] = satU8(rint(v));
      }
    }
    for (; x < width; x++) {
      let v = 0;
      for (let j = 0; j < kv; j++) v += rows[j]![x]! * b[j]!;
      out[o + x] = satU8(Math.floor((v + HALF22) / SHIFT22));
    }
  }
  return out;
}

/** OpenCV's computeResizeAreaTab: (destination, source, weight) triples along one axis. */
function areaTab(ssize: number, dsize: number, scale: number): { di: number[]; si: number[]; alpha: number[] } {
  const di: number[] = [], si: number[] = [], alpha: number[] = [];
  for (let dx = 0; dx < dsize; dx++) {
    const fsx1 = dx * scale, fsx2 = fsx1 + scale;
    const cellWidth = Math.min(scale, ssize - fsx1);
    let sx1 = Math.ceil(fsx1), sx2 = Math.floor(fsx2);
    sx2 = Math.min(sx2, ssize - 1);
    sx1 = Math.min(sx1, sx2);
    if (sx1 - fsx1 > 1e-3) { di.push(dx); si.push(sx1 - 1); alpha.push(f32((sx1 - fsx1) / cellWidth)); }
    for (let sx = sx1; sx < sx2; sx++) { di.push(dx); si.push(sx); alpha.push(f32(1 / cellWidth)); }
    if (fsx2 - sx2 > 1e-3) {
      di.push(dx); si.push(sx2); alpha.push(f32(Math.min(Math.min(fsx2 - sx2, 1), cellWidth) / cellWidth));
    }
  }
  return { di, si, alpha };
}

/** OpenCV's resizeArea_: each source pixel weighted by its overlap with the destination cell, float32 sums. */
function resizeAreaGeneral(p: Plane, oh: number, ow: number, kind: ResizeKind): ArrayLike<number> {
  const { data: src, h, w, c } = p;
  const fr = kind === 'f64' ? (v: number): number => v : f32;
  const xt = areaTab(w, ow, 1 / (ow / w)), yt = areaTab(h, oh, 1 / (oh / h));
  const width = ow * c;
  const out = kind === 'u8' ? new Uint8Array(oh * width) : kind === 'f32' ? new Float32Array(oh * width) : new Float64Array(oh * width);
  const buf = new Float64Array(width), sum = new Float64Array(width);
  const flush = (dy: number): void => {
    for (let i = 0; i < width; i++) out[dy * width + i] = kind === 'u8' ? satU8(rint(sum[i]!)) : sum[i]!;
  };
  let prev = -1;
  for (let j = 0; j < yt.di.length; j++) {
    const beta = yt.alpha[j]!, dy = yt.di[j]!, row = yt.si[j]! * w * c;
    buf.fill(0);
    for (let t = 0; t < xt.di.length; t++) {
      const d = xt.di[t]! * c, s = row + xt.si[t]! * c, a = xt.alpha[t]!;
      for (let ch = 0; ch < c; ch++) buf[d + ch] = fr(buf[d + ch]! + fr(src[s + ch]! * a));
    }
    if (dy !== prev) {
      if (prev >= 0) flush(prev);
      for (let i = 0; i < width; i++) sum[i] = fr(beta * buf[i]!);
      prev = dy;
    } else {
      for (let i = 0; i < width; i++) sum[i] = fr(sum[i]! + fr(beta * buf[i]!));
    }
  }
  if (prev >= 0) flush(prev);
  return out;
}

/** OpenCV's resizeAreaFast_: the mean of each ix × iy block. */
function resizeAreaFast(p: Plane, oh: number, ow: number, ix: number, iy: number, kind: ResizeKind): ArrayLike<number> {
  const { data: src, w, c } = p;
  const fr = kind === 'f64' ? (v: number): number => v : f32;
  const width = ow * c;
  const out = kind === 'u8' ? new Uint8Array(oh * width) : kind === 'f32' ? new Float32Array(oh * width) : new Float64Array(oh * width);
  const scale = fr(1 / (ix * iy));
  // OpenCV's 8-bit 2x2 code (SIMD and its scalar tail) rounds half up for 1, 3 and 4 channels.
  const roundUp2x2 = kind === 'u8' && ix === 2 && iy === 2 && (c === 1 || c === 3 || c === 4);
  for (let dy = 0; dy < oh; dy++) {
    for (let dx = 0; dx < ow; dx++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let y = 0; y < iy; y++) {
          for (let x = 0; x < ix; x++) s = fr(s + src[((dy * iy + y) * w + dx * ix + x) * c + ch]!);
        }
        const o = (dy * ow + dx) * c + ch;
        out[o] = roundUp2x2 ? (s + 2) >> 2 : kind === 'u8' ? satU8(rint(f32(s * scale))) : fr(s * scale);
      }
    }
  }
  return out;
}

/** OpenCV's resizeNN: source index floor(d · scale), clamped. */
function resizeNearest(p: Plane, oh: number, ow: number, kind: ResizeKind): ArrayLike<number> {
  const { data: src, h, w, c } = p;
  const sx = 1 / (ow / w), sy = 1 / (oh / h);
  const out = kind === 'u8' ? new Uint8Array(oh * ow * c) : kind === 'f32' ? new Float32Array(oh * ow * c) : new Float64Array(oh * ow * c);
  const xs = new Int32Array(ow);
  for (let x = 0; x < ow; x++) xs[x] = Math.min(Math.floor(x * sx), w - 1);
  for (let y = 0; y < oh; y++) {
    const row = Math.min(Math.floor(y * sy), h - 1) * w;
    for (let x = 0; x < ow; x++) {
      for (let ch = 0; ch < c; ch++) out[(y * ow + x) * c + ch] = src[(row + xs[x]!) * c + ch]!;
    }
  }
  return out;
}

/**
 * cv::resize of one (h, w, c) plane to (oh, ow) with OpenCV interpolation `interp` (0-4). `kind` 'u8' expects
 * values in 0..255 and returns a Uint8Array; 'f32' / 'f64' return float arrays.
 */
export function resizePlane(p: Plane, oh: number, ow: number, interp: number, kind: ResizeKind): ArrayLike<number> {
  const { h, w } = p;
  if (oh === h && ow === w) {
    const n = h * w * p.c;
    const out = kind === 'u8' ? new Uint8Array(n) : kind === 'f32' ? new Float32Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = p.data[i]!;
    return out;
  }
  if (interp === 0) return resizeNearest(p, oh, ow, kind);
  const sx = 1 / (ow / w), sy = 1 / (oh / h);
  const ix = rint(sx), iy = rint(sy);
  const areaFast = Math.abs(sx - ix) < Number.EPSILON && Math.abs(sy - iy) < Number.EPSILON;
  let method = interp;
  if (method === 1 && areaFast && ix === 2 && iy === 2) method = 3;
  if (method === 3 && sx >= 1 && sy >= 1) {
    return areaFast ? resizeAreaFast(p, oh, ow, ix, iy, kind) : resizeAreaGeneral(p, oh, ow, kind);
  }
  return resizeSeparable(p, oh, ow, method, kind);
}
