// A minimal PNG codec on node:zlib: decodes and encodes 8-bit non-interlaced PNGs (gray, gray+alpha, RGB, RGBA; palette decoded).
// SPDX-License-Identifier: Apache-2.0
import { crc32, deflateSync, inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
// Samples per pixel for each PNG colour type (0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA).
const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Undoes one scanline's filter in place (`prev` is the reconstructed line above, zeros for the first). */
function unfilter(type, line, prev, bpp) {
  for (let i = 0; i < line.length; i++) {
    const a = i >= bpp ? line[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
    let add;
    switch (type) {
      case 0: add = 0; break;
      case 1: add = a; break;
      case 2: add = b; break;
      case 3: add = (a + b) >> 1; break;
      case 4: {  // Paeth: the neighbour closest to a + b - c
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        add = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        break;
      }
      default: throw new Error(`PNG: unknown filter type ${type}`);
    }
    line[i] = (line[i] + add) & 0xff;
  }
}

/**
 * Decodes a PNG file's bytes into `{ width, height, gray }`: one luminance byte per pixel
 * (alpha composited over black, so a transparent background reads as 0 like MNIST's).
 */
export function decodePng(bytes) {
  const buf = Buffer.from(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, bytes.byteLength ?? bytes.length);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('PNG: not a PNG file (bad signature)');
  let pos = 8, width = 0, height = 0, depth = 0, colour = -1, interlace = 0, palette = null;
  const idat = [];
  while (pos + 8 <= buf.length) {
    const len = buf.readUInt32BE(pos), type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4);
      depth = data[8]; colour = data[9]; interlace = data[12];
    } else if (type === 'PLTE') palette = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  if (!(colour in CHANNELS)) throw new Error(`PNG: unsupported colour type ${colour}`);
  if (depth !== 8) throw new Error(`PNG: only 8-bit images are supported (this one has ${depth} bits per sample)`);
  if (interlace !== 0) throw new Error('PNG: interlaced images are not supported');
  if (colour === 3 && !palette) throw new Error('PNG: palette image without a PLTE chunk');
  const bpp = CHANNELS[colour], stride = width * bpp;
  const raw = inflateSync(Buffer.concat(idat));
  if (raw.length < height * (stride + 1)) throw new Error('PNG: image data is truncated');
  const gray = new Uint8Array(width * height);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const line = Uint8Array.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    unfilter(raw[y * (stride + 1)], line, prev, bpp);
    for (let x = 0; x < width; x++) {
      const s = line.subarray(x * bpp, x * bpp + bpp);
      let r, g, b, alpha = 255;
      if (colour === 0 || colour === 4) { r = g = b = s[0]; if (colour === 4) alpha = s[1]; }
      else if (colour === 3) { r = palette[3 * s[0]]; g = palette[3 * s[0] + 1]; b = palette[3 * s[0] + 2]; }
      else { r = s[0]; g = s[1]; b = s[2]; if (colour === 6) alpha = s[3]; }
      // ITU-R BT.601 luma, then alpha over black.
      gray[y * width + x] = Math.round(((0.299 * r + 0.587 * g + 0.114 * b) * alpha) / 255);
    }
    prev = line;
  }
  return { width, height, gray };
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * Encodes 8-bit pixels as PNG bytes: `channels` 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA),
 * `pixels` holding width*height*channels bytes, row-major. Rows are stored unfiltered.
 */
export function encodePng(width, height, pixels, channels = 1) {
  const colour = { 1: 0, 2: 4, 3: 2, 4: 6 }[channels];
  if (colour === undefined) throw new Error(`PNG: cannot encode ${channels} channels (expected 1, 2, 3 or 4)`);
  if (pixels.length !== width * height * channels) throw new Error(`PNG: expected ${width * height * channels} bytes, got ${pixels.length}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = colour;  // 8 bits per sample; deflate, adaptive filtering, no interlace (zeros)
  const stride = width * channels, raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}
