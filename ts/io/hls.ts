// OpenCV's 8-bit BGR <-> HLS conversions (cvtColor COLOR_BGR2HLS / COLOR_HLS2BGR), for MXNet's random_h/s/l.
// SPDX-License-Identifier: Apache-2.0
//
// As OpenCV 4 (cv2 4.14 agrees bit for bit): bytes scaled by 1/255 into float32, converted in float32 (H in
// degrees, halved to 0..180 for 8 bits; L and S times 255), rounded half to even and saturated.
const f32 = Math.fround;
const INV255 = f32(1 / 255);
const FLT_EPSILON = 1.1920928955078125e-7;
const SECTORS = [[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]] as const;

function sat8(v: number): number {
  if (v <= 0) return 0;
  if (v >= 255) return 255;
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** BGR (3 bytes per pixel) to OpenCV's 8-bit HLS (H 0..180, L, S 0..255), in place. */
export function bgrToHls(d: Uint8Array): void {
  for (let i = 0; i < d.length; i += 3) {
    const b = f32(d[i]! * INV255), g = f32(d[i + 1]! * INV255), r = f32(d[i + 2]! * INV255);
    let vmax = r, vmin = r;
    if (vmax < g) vmax = g;
    if (vmax < b) vmax = b;
    if (vmin > g) vmin = g;
    if (vmin > b) vmin = b;
    let diff = f32(vmax - vmin);
    const l = f32(f32(vmax + vmin) * 0.5);
    let h = 0, s = 0;
    if (diff > FLT_EPSILON) {
      const sum = f32(vmax + vmin);
      s = l < 0.5 ? f32(diff / sum) : f32(diff / f32(2 - sum));
      diff = f32(60 / diff);
      // One rounding for x * diff + offset: OpenCV's vector code uses a fused multiply-add here.
      if (vmax === r) h = f32(f32(g - b) * diff);
      else if (vmax === g) h = f32(f32(b - r) * diff + 120);
      else h = f32(f32(r - g) * diff + 240);
      if (h < 0) h = f32(h + 360);
    }
    d[i] = sat8(f32(h * 0.5));
    d[i + 1] = sat8(f32(l * 255));
    d[i + 2] = sat8(f32(s * 255));
  }
}

/** OpenCV's 8-bit HLS back to BGR, in place. */
export function hlsToBgr(d: Uint8Array): void {
  const hscale = f32(6 / 180);
  const tab = [0, 0, 0, 0];
  for (let i = 0; i < d.length; i += 3) {
    let h = d[i]!;
    const l = f32(d[i + 1]! * INV255), s = f32(d[i + 2]! * INV255);
    let b: number, g: number, r: number;
    if (s === 0) {
      b = g = r = l;
    } else {
      const p2 = l <= 0.5 ? f32(l * f32(1 + s)) : f32(f32(l + s) - f32(l * s));
      const p1 = f32(f32(2 * l) - p2);
      h = f32(h * hscale);
      while (h < 0) h = f32(h + 6);
      while (h >= 6) h = f32(h - 6);
      const sector = Math.floor(h);
      h = f32(h - sector);
      tab[0] = p2;
      tab[1] = p1;
      tab[2] = f32(p1 + f32(f32(p2 - p1) * f32(1 - h)));
      tab[3] = f32(p1 + f32(f32(p2 - p1) * h));
      const sd = SECTORS[sector]!;
      b = tab[sd[0]]!;
      g = tab[sd[1]]!;
      r = tab[sd[2]]!;
    }
    d[i] = sat8(f32(b * 255));
    d[i + 1] = sat8(f32(g * 255));
    d[i + 2] = sat8(f32(r * 255));
  }
}
