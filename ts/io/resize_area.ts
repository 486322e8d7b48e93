// OpenCV's INTER_AREA downscaling of 8-bit images (cv::resize's resizeAreaFast_ and resizeArea_), which MXNet's
// inter_method 3 and 9 (to shrink) pick.
// SPDX-License-Identifier: Apache-2.0
//
// Integer factors average whole blocks (2x2: (sum + 2) >> 2 as OpenCV's vector path; others: round(sum * f32(1 /
// area))); other factors weight each source pixel by its overlap with the destination cell, in float32 as
// OpenCV accumulates, rounded half to even.
import { IsotensorError } from '../base/error.js';

const f32 = Math.fround;

function rint(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const sat8 = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : rint(v));

/** OpenCV's computeResizeAreaTab: (destination, source, weight) triples along one axis. */
function areaTab(ssize: number, dsize: number, scale: number): { di: number[]; si: number[]; alpha: number[] } {
  const di: number[] = [], si: number[] = [], alpha: number[] = [];
  for (let dx = 0; dx < dsize; dx++) {
    const fsx1 = dx * scale, fsx2 = fsx1 + scale;
    const cellWidth = Math.min(scale, ssize - fsx1);
    let sx1 = Math.ceil(fsx1), sx2 = Math.floor(fsx2);
    sx2 = Math.min(sx2, ssize - 1);
    sx1 = Math.min(sx1, sx2);
    if (sx1 - fsx1 > 1e-3) {
      di.push(dx); si.push(sx1 - 1); alpha.push(f32((sx1 - fsx1) / cellWidth));
    }
    for (let sx = sx1; sx < sx2; sx++) {
      di.push(dx); si.push(sx); alpha.push(f32(1 / cellWidth));
    }
    if (fsx2 - sx2 > 1e-3) {
      di.push(dx); si.push(sx2); alpha.push(f32(Math.min(Math.min(fsx2 - sx2, 1), cellWidth) / cellWidth));
    }
  }
  return { di, si, alpha };
}

/** An (h, w, c) uint8 image shrunk to (nh, nw) with INTER_AREA; both factors must be >= 1. */
export function resizeArea(src: Uint8Array, h: number, w: number, c: number, nh: number, nw: number, what: string): Uint8Array {
  // OpenCV's scale = 1 / inv_scale (not w / nw): its integer test sees that value.
  const sx = 1 / (nw / w), sy = 1 / (nh / h);
  if (sx < 1 || sy < 1) {
    throw new IsotensorError(`${what}: area resampling enlarges a ${w}x${h} image to ${nw}x${nh}, which is not implemented (only shrinking)`);
  }
  const out = new Uint8Array(nh * nw * c);
  const ix = Math.round(sx), iy = Math.round(sy);
  if (Math.abs(sx - ix) < Number.EPSILON && Math.abs(sy - iy) < Number.EPSILON) {
    const area = ix * iy, scale = f32(1 / area);
    const fast2 = ix === 2 && iy === 2 && c !== 2;
    for (let dy = 0; dy < nh; dy++) {
      for (let dx = 0; dx < nw; dx++) {
        for (let k = 0; k < c; k++) {
          let sum = 0;
          for (let y = 0; y < iy; y++) for (let x = 0; x < ix; x++) sum += src[((dy * iy + y) * w + dx * ix + x) * c + k]!;
          out[(dy * nw + dx) * c + k] = fast2 ? (sum + 2) >> 2 : sat8(f32(sum * scale));
        }
      }
    }
    return out;
  }
  const xt = areaTab(w, nw, sx), yt = areaTab(h, nh, sy);
  const buf = new Float32Array(nw * c), sum = new Float32Array(nw * c);
  let prev = -1;
  const flush = (dy: number): void => {
    for (let i = 0; i < sum.length; i++) out[dy * nw * c + i] = sat8(sum[i]!);
  };
  for (let j = 0; j < yt.di.length; j++) {
    const beta = yt.alpha[j]!, dy = yt.di[j]!, row = yt.si[j]! * w * c;
    buf.fill(0);
    for (let k = 0; k < xt.di.length; k++) {
      const d = xt.di[k]! * c, s = row + xt.si[k]! * c, a = xt.alpha[k]!;
      for (let ch = 0; ch < c; ch++) buf[d + ch] = f32(buf[d + ch]! + f32(src[s + ch]! * a));
    }
    if (dy !== prev) {
      if (prev >= 0) flush(prev);
      for (let i = 0; i < sum.length; i++) sum[i] = f32(beta * buf[i]!);
      prev = dy;
    } else {
      for (let i = 0; i < sum.length; i++) sum[i] = f32(sum[i]! + f32(beta * buf[i]!));
    }
  }
  if (prev >= 0) flush(prev);
  return out;
}
