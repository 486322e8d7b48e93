// A drawing as LeNet's input, framed as MNIST frames its digits: ink cropped, scaled into 20x20, centred in 28x28 by its centre of mass.
// SPDX-License-Identifier: Apache-2.0
import { resize } from '../shared/resize.mjs';

/**
 * 784 floats in 0..1 (row-major 28x28, ink light on black as in MNIST) from an ImageData whose
 * alpha channel holds the ink; null when nothing is drawn. MNIST's recipe (LeCun et al.): the
 * digit's bounding box is scaled, aspect kept, to fit 20x20, then placed so that its centre of
 * mass sits at the centre of the 28x28 field.
 */
export function mnistInput({ data, width, height }) {
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i++) ink[i] = data[4 * i + 3] / 255;
  let x0 = width, x1 = -1, y0 = height, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Faint antialiasing at the stroke edges does not widen the box.
      if (ink[y * width + x] > 0.1) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const crop = new Float32Array(bw * bh);
  for (let y = 0; y < bh; y++) crop.set(ink.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + bw), y * bw);
  const s = 20 / Math.max(bw, bh), W = Math.max(1, Math.round(bw * s)), H = Math.max(1, Math.round(bh * s));
  const small = resize(crop, bw, bh, W, H);

  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const v = small[y * W + x];
      mass += v; mx += (x + 0.5) * v; my += (y + 0.5) * v;
    }
  }
  // Shift the centre of mass to (14, 14), but never push ink off the field (a lopsided 7 could go too far).
  const clamp = (v, hi) => Math.min(Math.max(v, 0), hi);
  const ox = clamp(Math.round(14 - mx / mass), 28 - W), oy = clamp(Math.round(14 - my / mass), 28 - H);
  const out = new Float32Array(784);
  for (let y = 0; y < H; y++) out.set(small.subarray(y * W, (y + 1) * W), (oy + y) * 28 + ox);
  return out;
}
