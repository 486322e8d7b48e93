// A PNG of a handwritten digit as LeNet's input: 28x28 floats in 0..1, a light digit on black, framed as MNIST frames digits.
// SPDX-License-Identifier: Apache-2.0
import { resize } from '../shared/resize.mjs';
import { decodePng } from './png.mjs';

/** A PNG file as the network's input: 784 floats in 0..1, a light digit on black, 28x28. */
export function preprocess(bytes) {
  const { width, height, gray } = decodePng(bytes);
  let img = Float32Array.from(gray, (v) => v / 255);
  const mean = img.reduce((a, v) => a + v, 0) / img.length;
  if (mean > 0.5) img = img.map((v) => 1 - v);  // dark ink on light paper
  if (width === 28 && height === 28) return img;
  // Bounding box of the ink, scaled (aspect kept) into 20x20, centred in 28x28.
  const max = img.reduce((a, v) => Math.max(a, v), 0);
  let x0 = width, x1 = -1, y0 = height, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (img[y * width + x] > 0.2 * max) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    }
  }
  if (x1 < 0) return new Float32Array(784);  // blank image
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const crop = new Float32Array(bw * bh);
  for (let y = 0; y < bh; y++) crop.set(img.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + bw), y * bw);
  const s = 20 / Math.max(bw, bh), W = Math.max(1, Math.round(bw * s)), H = Math.max(1, Math.round(bh * s));
  const small = resize(crop, bw, bh, W, H);
  const out = new Float32Array(784);
  const ox = Math.floor((28 - W) / 2), oy = Math.floor((28 - H) / 2);
  for (let y = 0; y < H; y++) out.set(small.subarray(y * W, (y + 1) * W), (oy + y) * 28 + ox);
  return out;
}
