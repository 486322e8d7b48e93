// PNM decoding: binary and ASCII PBM/PGM/PPM (P1-P6), 8-bit output (16-bit samples and other maxvals scaled).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import type { DecodedImage } from './decoded.js';

export function isPnm(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0x50 && b[1]! >= 0x31 && b[1]! <= 0x36 && /\s/.test(String.fromCharCode(b[2]!));
}

const fail = (what: string): never => {
  throw new IsotensorError(`image.decode: bad PNM (${what})`);
};

export function decodePnm(b: Uint8Array): DecodedImage {
  const kind = b[1]! - 0x30;
  let p = 2;
  // Header fields are whitespace-separated decimal numbers; '#' starts a comment to the end of the line.
  const next = (): number => {
    for (;;) {
      while (p < b.length && /\s/.test(String.fromCharCode(b[p]!))) p++;
      if (b[p] !== 0x23) break;
      while (p < b.length && b[p] !== 0x0a) p++;
    }
    const s = p;
    while (p < b.length && b[p]! >= 0x30 && b[p]! <= 0x39) p++;
    if (s === p) fail('expected a number');
    return Number(String.fromCharCode(...b.subarray(s, p)));
  };
  const w = next();
  const h = next();
  const bitmap = kind === 1 || kind === 4;
  const maxval = bitmap ? 1 : next();
  if (w <= 0 || h <= 0 || w * h > 1 << 28 || maxval <= 0 || maxval > 65535) fail(`header (${w}x${h}, maxval ${maxval})`);
  const channels = kind === 3 || kind === 6 ? 3 : 1;
  const n = w * h * channels;
  const out = new Uint8Array(n);
  // PBM: 1 is black.
  const scale = (v: number): number => (bitmap ? (v ? 0 : 255) : maxval === 255 ? v : Math.round((v * 255) / maxval));
  if (kind <= 3) {
    for (let i = 0; i < n; i++) {
      if (kind === 1) {
        while (p < b.length && b[p] !== 0x30 && b[p] !== 0x31) p++;
        if (p >= b.length) fail('too few samples');
        out[i] = scale(b[p++]! - 0x30);
      } else {
        out[i] = scale(next());
      }
    }
  } else {
    p++;  // one whitespace byte ends the header
    if (kind === 4) {
      const stride = Math.ceil(w / 8);
      if (p + stride * h > b.length) fail('pixel data runs past the end');
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = scale((b[p + y * stride + (x >> 3)]! >> (7 - (x & 7))) & 1);
    } else {
      const wide = maxval > 255;
      if (p + n * (wide ? 2 : 1) > b.length) fail('pixel data runs past the end');
      for (let i = 0; i < n; i++) out[i] = scale(wide ? (b[p + 2 * i]! << 8) | b[p + 2 * i + 1]! : b[p + i]!);
    }
  }
  return { width: w, height: h, channels, data: out };
}
