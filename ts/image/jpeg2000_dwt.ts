// JPEG 2000 inverse wavelets (reversible 5/3 in integers, irreversible 9/7 in float32 as OpenJPEG computes
// it) and the inverse colour transforms (RCT, ICT).
// SPDX-License-Identifier: Apache-2.0

const f32 = Math.fround;

/** Mirrors index i into [i0, i1) (whole-sample symmetric extension). */
function mirror(i: number, i0: number, i1: number): number {
  while (i < i0 || i >= i1) i = i < i0 ? 2 * i0 - i : 2 * (i1 - 1) - i;
  return i;
}

/**
 * One 1-D inverse transform of `n` samples starting at absolute coordinate `x0`: `lo` (low-pass) and `hi`
 * (high-pass) samples in, the interleaved signal out in `out`.
 */
function inverse1d(lo: ArrayLike<number>, hi: ArrayLike<number>, n: number, x0: number, reversible: boolean,
                   out: Float64Array): void {
  const i0 = x0, i1 = x0 + n;
  const even = (x0 & 1) === 0;
  // Interleave: absolute even positions carry low-pass samples.
  for (let k = 0, li = 0, hj = 0; k < n; k++) out[k] = ((x0 + k) & 1) === 0 ? lo[li++]! : hi[hj++]!;
  if (n === 1) {
    if (!even && reversible) out[0] = Math.trunc(out[0]! / 2);  // OpenJPEG leaves a lone 9/7 sample as it is
    return;
  }
  const at = (i: number): number => out[mirror(i, i0, i1) - i0]!;
  if (reversible) {
    for (let i = i0 + (even ? 0 : 1); i < i1; i += 2) out[i - i0] = out[i - i0]! - Math.floor((at(i - 1) + at(i + 1) + 2) / 4);
    for (let i = i0 + (even ? 1 : 0); i < i1; i += 2) out[i - i0] = out[i - i0]! + Math.floor((at(i - 1) + at(i + 1)) / 2);
    return;
  }
  const K = f32(1.230174105);
  const twoInvK = f32(1.625732422);
  for (let i = i0; i < i1; i++) out[i - i0] = f32(out[i - i0]! * ((i & 1) === 0 ? K : twoInvK));
  const steps = [f32(-0.443506852), f32(-0.882911075), f32(0.052980118), f32(1.586134342)];  // -delta, -gamma, -beta, -alpha
  for (let s = 0; s < 4; s++) {
    const c = steps[s]!;
    const parity = s % 2 === 0 ? 0 : 1;  // even (low) samples first, then odd (high)
    for (let i = i0; i < i1; i++) {
      if ((i & 1) !== parity) continue;
      out[i - i0] = f32(out[i - i0]! + f32(f32(at(i - 1) + at(i + 1)) * c));
    }
  }
}

/**
 * Inverse DWT in place over `a` (row stride `stride`): for each level, the (w, h) region of resolution r
 * (from `dims[r]`: [x0, y0, x1, y1]) holds its lower resolution's samples top-left and the three
 * high-pass bands right, below, and diagonal.
 */
export function inverseDwt(a: Float32Array, stride: number, dims: [number, number, number, number][], reversible: boolean): void {
  for (let r = 1; r < dims.length; r++) {
    const [x0, y0, x1, y1] = dims[r]!;
    const [lx0, ly0, lx1, ly1] = dims[r - 1]!;
    const w = x1 - x0, h = y1 - y0;
    const sw = lx1 - lx0, sh = ly1 - ly0;
    if (w === 0 || h === 0) continue;
    const out = new Float64Array(Math.max(w, h));
    const lo = new Float64Array(Math.max(w, h));
    const hi = new Float64Array(Math.max(w, h));
    // OpenJPEG transforms rows first (horizontal), then columns.
    for (let y = 0; y < h; y++) {
      const row = y * stride;
      for (let k = 0; k < sw; k++) lo[k] = a[row + k]!;
      for (let k = 0; k < w - sw; k++) hi[k] = a[row + sw + k]!;
      inverse1d(lo, hi, w, x0, reversible, out);
      for (let k = 0; k < w; k++) a[row + k] = out[k]!;
    }
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < sh; k++) lo[k] = a[k * stride + x]!;
      for (let k = 0; k < h - sh; k++) hi[k] = a[(sh + k) * stride + x]!;
      inverse1d(lo, hi, h, y0, reversible, out);
      for (let k = 0; k < h; k++) a[k * stride + x] = out[k]!;
    }
  }
}

/** Inverse reversible colour transform, in place. */
export function inverseRct(y0: Float32Array, y1: Float32Array, y2: Float32Array): void {
  for (let i = 0; i < y0.length; i++) {
    const g = y0[i]! - Math.floor((y1[i]! + y2[i]!) / 4);
    const r = y2[i]! + g;
    const b = y1[i]! + g;
    y0[i] = r;
    y1[i] = g;
    y2[i] = b;
  }
}

/** Inverse irreversible colour transform (float32, OpenJPEG's coefficients), in place. */
export function inverseIct(y0: Float32Array, y1: Float32Array, y2: Float32Array): void {
  const cr = f32(1.402), cgu = f32(0.34413), cgv = f32(0.71414), cb = f32(1.772);
  for (let i = 0; i < y0.length; i++) {
    const y = y0[i]!, u = y1[i]!, v = y2[i]!;
    y0[i] = f32(y + f32(v * cr));
    y1[i] = f32(f32(y - f32(u * cgu)) - f32(v * cgv));
    y2[i] = f32(y + f32(u * cb));
  }
}
