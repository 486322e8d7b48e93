// Whether a BMP is a palette image whose colors are all gray: OpenCV reads those as one channel (IsColorPalette).
// SPDX-License-Identifier: Apache-2.0

/**
 * True for a 1/4/8-bit BMP whose palette entries (the first 2^bits, or fewer when biClrUsed says so; OpenCV
 * zeroes the rest) all have blue = green = red, which cv::imdecode with IMREAD_UNCHANGED gives as gray.
 * Assumes the bytes decode (decodeBmp has checked the header); false for anything else.
 */
export function isGrayPaletteBmp(b: Uint8Array): boolean {
  if (b.length < 54) return false;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const bits = v.getUint16(28, true);
  if (bits > 8) return false;
  const at = 14 + v.getUint32(14, true);
  const colors = Math.min(v.getUint32(46, true) || 1 << bits, 1 << bits);
  if (at + colors * 4 > b.length) return false;
  for (let i = at; i < at + colors * 4; i += 4) {
    if (b[i] !== b[i + 1] || b[i] !== b[i + 2]) return false;
  }
  return true;
}
