// Area-averaged image resampling, shared by the Node predictor (examples/predict) and the browser page (examples/browser-digits).
// SPDX-License-Identifier: Apache-2.0

/** Area-averaged resampling of a w x h gray image (0..1 floats) to W x H. */
export function resize(src, w, h, W, H) {
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
