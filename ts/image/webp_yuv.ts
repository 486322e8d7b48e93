// YUV 4:2:0 to RGB as libwebp outputs it: "fancy" upsampling of the chroma (the 9-3-3-1 bilinear filter
// between the two nearest chroma rows and columns) and libwebp's 14-bit fixed-point BT.601 conversion.
// SPDX-License-Identifier: Apache-2.0
import type { Vp8Frame } from './webp_vp8.js';

// Y'CbCr to R'G'B' in fixed point: each product keeps its high bits ((v * c) >> 8), the sum has 6 fraction bits.
const mulHi = (v: number, c: number): number => (v * c) >> 8;
const clip6 = (v: number): number => ((v & ~16383) === 0 ? v >> 6 : v < 0 ? 0 : 255);

function putPixel(out: Uint8Array, o: number, y: number, u: number, v: number): void {
  const yy = mulHi(y, 19077);
  out[o] = clip6(yy + mulHi(v, 26149) - 14234);
  out[o + 1] = clip6(yy - mulHi(u, 6419) - mulHi(v, 13320) + 8708);
  out[o + 2] = clip6(yy + mulHi(u, 33050) - 17685);
}

/**
 * One output row from luma row `yRow` and the chroma rows `near` (weight 3) and `far` (weight 1) around it;
 * along the row, each pixel likewise weighs its nearer chroma column 3 to 1 (the columns at the ends are
 * only interpolated vertically).
 */
function upsampleRow(f: Vp8Frame, yRow: number, near: number, far: number, out: Uint8Array, o: number, ch: number): void {
  const w = f.width;
  const Y = f.y, U = f.u, V = f.v;
  const yo = yRow * f.yStride;
  const n = near * f.uvStride;
  const fr = far * f.uvStride;
  // Vertical interpolation of chroma column x: 3 * near + far, in sixteenths later (x4 here).
  const vert = (P: Uint8Array, x: number): number => 3 * P[n + x]! + P[fr + x]!;
  let pu = vert(U, 0);
  let pv = vert(V, 0);
  putPixel(out, o, Y[yo]!, (pu + 2) >> 2, (pv + 2) >> 2);
  const lastPair = (w - 1) >> 1;
  for (let x = 1; x <= lastPair; x++) {
    const cu = vert(U, x);
    const cv = vert(V, x);
    putPixel(out, o + (2 * x - 1) * ch, Y[yo + 2 * x - 1]!, (3 * pu + cu + 8) >> 4, (3 * pv + cv + 8) >> 4);
    putPixel(out, o + 2 * x * ch, Y[yo + 2 * x]!, (pu + 3 * cu + 8) >> 4, (pv + 3 * cv + 8) >> 4);
    pu = cu;
    pv = cv;
  }
  if (!(w & 1)) putPixel(out, o + (w - 1) * ch, Y[yo + w - 1]!, (pu + 2) >> 2, (pv + 2) >> 2);
}

/** The frame's width x height pixels as RGB (ch 3) or into the RGB of RGBA (ch 4, alpha left as is). */
export function yuvToRgb(f: Vp8Frame, out: Uint8Array, ch: 3 | 4): void {
  const { width: w, height: h } = f;
  // Luma row r lies between chroma rows (r - 1) >> 1 and (r + 1) >> 1 and is nearer chroma row r >> 1; the first
  // row, and the last of an even height, use their one chroma row alone.
  for (let r = 0; r < h; r++) {
    const near = r >> 1;
    const far = r === 0 || (r === h - 1 && !(h & 1)) ? near : r & 1 ? near + 1 : near - 1;
    upsampleRow(f, r, near, far, out, r * w * ch, ch);
  }
}
