// A PNG of a handwritten digit as LeNet's input: 28x28 floats in 0..1, a light digit on black, framed as MNIST frames digits.
// SPDX-License-Identifier: Apache-2.0
import { decodePng } from './png.mjs';

/** Area-averaged resampling of a w x h gray image (0..1 floats) to W x H. */
function resize(src, w, h, W, H) {
  const out = new Float32Array(W * H);
  for (let Y = 0; Y < H; Y++) {
    for (let X = 0; X < W; X++) {
      // The source rectangle this output pixel covers, with fractional edges weighted.
      const x0 = (X * w) / W, x1 = ((X + 1) * w) / W, y0 = (Y * h) / H, y1 = ((Y + 1) * h) / H;
      let sum = 0, area = 0;
      for (let y = Math.floor(y0); y < Math.ceil(y1); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.ceil(x1); x++) {
          const wx = Math.min(x + 1, x1) - Math.max(x, x0);
          sum += src[y * w + x] * wx * wy;
          area += wx * wy;
        }
      }
      out[Y * W + X] = area > 0 ? sum / area : 0;
    }
  }
  return out;
}

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
