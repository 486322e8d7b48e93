// OpenCV's cv::warpAffine for 8-bit images with bilinear sampling and a constant border, in its fixed-point arithmetic.
// SPDX-License-Identifier: Apache-2.0
//
// As OpenCV: the 2x3 matrix (float32 here, as MXNet builds it) is inverted in double; source positions are
// (M * AB_SCALE) rounded, with 5 fractional bits (32x32 weight table, weights of 2^15), and each pixel is
// (sum of 4 taps * weights + 2^14) >> 15; taps outside the image read the border value.

const AB_BITS = 10;
const AB_SCALE = 1 << AB_BITS;
const INTER_BITS = 5;
const INTER_TAB = 1 << INTER_BITS;
const ROUND_DELTA = AB_SCALE / INTER_TAB / 2;

/** cvRound / saturate_cast<int>(double): half to even. */
function round(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * `src` (h, w, c) uint8 warped by the forward matrix `m` ([m00, m01, m02, m10, m11, m12]) into (dh, dw),
 * bilinear, pixels mapped from outside the source set to `fill` (channels past the third: 0).
 */
export function warpAffineLinear(src: Uint8Array, h: number, w: number, c: number, m: readonly number[],
                                 dw: number, dh: number, fill: number): Uint8Array {
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
    adelta[x] = round(m0 * x * AB_SCALE);
    bdelta[x] = round(m3 * x * AB_SCALE);
  }
  const rowStep = w * c;
  const at = (sx: number, sy: number, k: number): number =>
    sx >= 0 && sx < w && sy >= 0 && sy < h ? src[sy * rowStep + sx * c + k]! : cval[k]!;
  for (let y = 0; y < dh; y++) {
    const x0 = round((m1 * y + m2) * AB_SCALE) + ROUND_DELTA;
    const y0 = round((m4 * y + m5) * AB_SCALE) + ROUND_DELTA;
    for (let x = 0; x < dw; x++) {
      const X = (x0 + adelta[x]!) >> (AB_BITS - INTER_BITS);
      const Y = (y0 + bdelta[x]!) >> (AB_BITS - INTER_BITS);
      const sx = X >> INTER_BITS, sy = Y >> INTER_BITS;
      const tx = X & (INTER_TAB - 1), ty = Y & (INTER_TAB - 1);
      // OpenCV's bilinear table entries: products of (1 - f, f) at 1/32 steps, times 2^15 (exact).
      const w0 = (INTER_TAB - ty) * (INTER_TAB - tx) * 32, w1 = (INTER_TAB - ty) * tx * 32;
      const w2 = ty * (INTER_TAB - tx) * 32, w3 = ty * tx * 32;
      const o = (y * dw + x) * c;
      if (sx >= w || sx + 1 < 0 || sy >= h || sy + 1 < 0) {
        for (let k = 0; k < c; k++) out[o + k] = cval[k]!;
        continue;
      }
      for (let k = 0; k < c; k++) {
        const v = at(sx, sy, k) * w0 + at(sx + 1, sy, k) * w1 + at(sx, sy + 1, k) * w2 + at(sx + 1, sy + 1, k) * w3;
        const r = (v + (1 << 14)) >> 15;
        out[o + k] = r < 0 ? 0 : r > 255 ? 255 : r;
      }
    }
  }
  return out;
}
