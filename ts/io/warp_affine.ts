// OpenCV's cv::warpAffine for 8-bit images with a constant border, in its fixed-point arithmetic: nearest, bilinear, bicubic and Lanczos4.
// SPDX-License-Identifier: Apache-2.0
//
// As OpenCV: the 2x3 matrix (float32 here, as MXNet builds it) is inverted in double; source positions are
// (M * AB_SCALE) rounded. Nearest keeps the integer part (rounded). The others keep 5 fractional bits and
// remap with a 32x32 table of 2-D weights (1-D coefficients multiplied in float32, times 2^15, rounded,
// with OpenCV's correction so that each set sums to 2^15); each pixel is (sum of taps * weights + 2^14)
// >> 15, where taps outside the image read the border value. INTER_AREA samples bilinearly, as warpAffine does.
import { rint } from '../gluon/data/vision/image_kernels.js';
import { cubicCoefs, lanczosCoefs } from '../gluon/data/vision/image_resize.js';

const AB_BITS = 10;
const AB_SCALE = 1 << AB_BITS;
const INTER_BITS = 5;
const INTER_TAB = 1 << INTER_BITS;
const COEF_SCALE = 1 << 15;

/** OpenCV's initInterTab2D(method, fixpt = true): k*k integer weights for each of the 32x32 fractions (y, then x). */
function weightTable(k: number, coefs: (x: number) => number[]): Int32Array {
  const oneD = Array.from({ length: INTER_TAB }, (_, i) => coefs(Math.fround(i * Math.fround(1 / INTER_TAB))));
  const tab = new Int32Array(INTER_TAB * INTER_TAB * k * k);
  for (let i = 0; i < INTER_TAB; i++) {
    for (let j = 0; j < INTER_TAB; j++) {
      const t = (i * INTER_TAB + j) * k * k;
      let sum = 0;
      for (let k1 = 0; k1 < k; k1++) {
        for (let k2 = 0; k2 < k; k2++) {
          const v = Math.fround(oneD[i]![k1]! * oneD[j]![k2]!);
          sum += tab[t + k1 * k + k2] = rint(Math.fround(v * COEF_SCALE));
        }
      }
      if (sum !== COEF_SCALE) {
        // OpenCV moves the rounding error onto the largest (or smallest) of four taps at (k/2.., k/2..).
        const diff = sum - COEF_SCALE, h = k >> 1;
        let mk1 = h, mk2 = h, Mk1 = h, Mk2 = h;
        for (let k1 = h; k1 < h + 2; k1++) {
          for (let k2 = h; k2 < h + 2; k2++) {
            const v = tab[t + k1 * k + k2]!;
            if (v < tab[t + mk1 * k + mk2]!) { mk1 = k1; mk2 = k2; } else if (v > tab[t + Mk1 * k + Mk2]!) { Mk1 = k1; Mk2 = k2; }
          }
        }
        if (diff < 0) tab[t + Mk1 * k + Mk2] -= diff;
        else tab[t + mk1 * k + mk2] -= diff;
      }
    }
  }
  return tab;
}

function linearCoefs(x: number): number[] {
  return [Math.fround(1 - x), x];
}

// Taps per axis and the first tap's offset from the sample position, per interpolation.
const KERNELS: Record<number, { k: number; coefs: (x: number) => number[] }> = {
  1: { k: 2, coefs: linearCoefs }, 2: { k: 4, coefs: cubicCoefs }, 4: { k: 8, coefs: lanczosCoefs },
};
const tables = new Map<number, Int32Array>();

/**
 * `src` (h, w, c) uint8 warped by the forward matrix `m` ([m00, m01, m02, m10, m11, m12]) into (dh, dw) with
 * OpenCV's interpolation `interp` (0 nearest, 1 bilinear, 2 bicubic, 3 area (bilinear here), 4 Lanczos4);
 * pixels mapped from outside the source set to `fill` (channels past the third: 0).
 */
export function warpAffine(src: Uint8Array, h: number, w: number, c: number, m: readonly number[],
                           dw: number, dh: number, fill: number, interp: number): Uint8Array {
  // Inverse map (cv::invertAffineTransform's arithmetic, as warpAffine does without WARP_INVERSE_MAP).
  let [m0, m1, m2, m3, m4, m5] = m as [number, number, number, number, number, number];
  let d = m0 * m4 - m1 * m3;
  d = d !== 0 ? 1 / d : 0;
  const a11 = m4 * d, a22 = m0 * d;
  m0 = a11; m1 *= -d; m3 *= -d; m4 = a22;
  const b1 = -m0 * m2 - m1 * m5, b2 = -m3 * m2 - m4 * m5;
  m2 = b1; m5 = b2;
  const out = new Uint8Array(dh * dw * c);
  const cval = Array.from({ length: c }, (_, k) => (k < 3 ? Math.min(Math.max(fill, 0), 255) : 0));
  const adelta = new Int32Array(dw), bdelta = new Int32Array(dw);
  for (let x = 0; x < dw; x++) {
    adelta[x] = rint(m0 * x * AB_SCALE);
    bdelta[x] = rint(m3 * x * AB_SCALE);
  }
  const rowStep = w * c;
  if (interp === 0) {
    for (let y = 0; y < dh; y++) {
      const x0 = rint((m1 * y + m2) * AB_SCALE) + AB_SCALE / 2;
      const y0 = rint((m4 * y + m5) * AB_SCALE) + AB_SCALE / 2;
      for (let x = 0; x < dw; x++) {
        const sx = (x0 + adelta[x]!) >> AB_BITS, sy = (y0 + bdelta[x]!) >> AB_BITS;
        const o = (y * dw + x) * c;
        const inside = sx >= 0 && sx < w && sy >= 0 && sy < h;
        for (let k = 0; k < c; k++) out[o + k] = inside ? src[sy * rowStep + sx * c + k]! : cval[k]!;
      }
    }
    return out;
  }
  const kernel = KERNELS[interp === 3 ? 1 : interp];
  if (kernel === undefined) throw new Error(`warpAffine: unknown interpolation ${interp}`);
  const { k } = kernel;
  let tab = tables.get(k);
  if (tab === undefined) tables.set(k, (tab = weightTable(k, kernel.coefs)));
  const back = (k >> 1) - 1;  // the first tap sits this far before the sample position
  const round5 = AB_SCALE / INTER_TAB / 2;
  for (let y = 0; y < dh; y++) {
    const x0 = rint((m1 * y + m2) * AB_SCALE) + round5;
    const y0 = rint((m4 * y + m5) * AB_SCALE) + round5;
    for (let x = 0; x < dw; x++) {
      const X = (x0 + adelta[x]!) >> (AB_BITS - INTER_BITS);
      const Y = (y0 + bdelta[x]!) >> (AB_BITS - INTER_BITS);
      const sx = (X >> INTER_BITS) - back, sy = (Y >> INTER_BITS) - back;
      const t = ((Y & (INTER_TAB - 1)) * INTER_TAB + (X & (INTER_TAB - 1))) * k * k;
      const o = (y * dw + x) * c;
      if (sx >= w || sx + k <= 0 || sy >= h || sy + k <= 0) {
        for (let ch = 0; ch < c; ch++) out[o + ch] = cval[ch]!;
        continue;
      }
      // Windows wholly inside the image (most pixels) read without the per-tap border test.
      const inside = sx >= 0 && sx + k <= w && sy >= 0 && sy + k <= h;
      for (let ch = 0; ch < c; ch++) {
        let v = 0;
        for (let i = 0; i < k; i++) {
          const yy = sy + i;
          if (inside) {
            const base = yy * rowStep + sx * c + ch;
            for (let j = 0; j < k; j++) v += src[base + j * c]! * tab[t + i * k + j]!;
            continue;
          }
          const rowIn = yy >= 0 && yy < h;
          for (let j = 0; j < k; j++) {
            const xx = sx + j;
            v += (rowIn && xx >= 0 && xx < w ? src[yy * rowStep + xx * c + ch]! : cval[ch]!) * tab[t + i * k + j]!;
          }
        }
        const r = (v + (1 << 14)) >> 15;
        out[o + ch] = r < 0 ? 0 : r > 255 ? 255 : r;
      }
    }
  }
  return out;
}
