// zlib/DEFLATE decompression (RFC 1950/1951) in TypeScript, so PNGs decode in browsers and Node alike.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import { CL_ORDER, DIST_BASE, DIST_EXTRA, LEN_BASE, LEN_EXTRA } from './deflate_codes.js';

const fail = (what: string): never => {
  throw new IsotensorError(`image.decode: corrupt compressed data (${what})`);
};


/** A canonical Huffman code: symbols by code length, for bit-by-bit decoding (counts per length). */
interface Huffman { counts: Uint16Array; symbols: Uint16Array }

function huffman(lengths: ArrayLike<number>): Huffman {
  const counts = new Uint16Array(16);
  for (let i = 0; i < lengths.length; i++) counts[lengths[i]!]!++;
  counts[0] = 0;
  const offs = new Uint16Array(16);
  for (let l = 1; l < 16; l++) offs[l] = offs[l - 1]! + counts[l - 1]!;
  const symbols = new Uint16Array(lengths.length);
  for (let i = 0; i < lengths.length; i++) if (lengths[i]) symbols[offs[lengths[i]!]!++] = i;
  return { counts, symbols };
}

class BitReader {
  pos = 0;
  private bit = 0;
  private bits = 0;
  constructor(readonly src: Uint8Array) {}

  need(n: number): number {
    while (this.bits < n) {
      if (this.pos >= this.src.length) fail('unexpected end');
      this.bit |= this.src[this.pos++]! << this.bits;
      this.bits += 8;
    }
    const v = this.bit & ((1 << n) - 1);
    this.bit >>>= n;
    this.bits -= n;
    return v;
  }

  /** Drops the bits left in the current byte (stored blocks start on a byte). */
  align(): void {
    this.bit = 0;
    this.bits = 0;
  }

  decode(h: Huffman): number {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < 16; len++) {
      code |= this.need(1);
      const count = h.counts[len]!;
      if (code - count < first) return h.symbols[index + (code - first)]!;
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    return fail('bad Huffman code');
  }
}

let fixed: [Huffman, Huffman] | undefined;
function fixedCodes(): [Huffman, Huffman] {
  if (fixed === undefined) {
    const l = new Uint8Array(288);
    l.fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
    fixed = [huffman(l), huffman(new Uint8Array(30).fill(5))];
  }
  return fixed;
}

function dynamicCodes(r: BitReader): [Huffman, Huffman] {
  const nlen = r.need(5) + 257;
  const ndist = r.need(5) + 1;
  const ncode = r.need(4) + 4;
  const cl = new Uint8Array(19);
  for (let i = 0; i < ncode; i++) cl[CL_ORDER[i]!] = r.need(3);
  const clh = huffman(cl);
  const lengths = new Uint8Array(nlen + ndist);
  for (let i = 0; i < nlen + ndist;) {
    const sym = r.decode(clh);
    if (sym < 16) {
      lengths[i++] = sym;
      continue;
    }
    let rep = 0;
    let val = 0;
    if (sym === 16) {
      if (i === 0) fail('repeat with no previous length');
      val = lengths[i - 1]!;
      rep = 3 + r.need(2);
    } else {
      rep = sym === 17 ? 3 + r.need(3) : 11 + r.need(7);
    }
    if (i + rep > nlen + ndist) fail('too many code lengths');
    lengths.fill(val, i, i + rep);
    i += rep;
  }
  return [huffman(lengths.subarray(0, nlen)), huffman(lengths.subarray(nlen))];
}

/** The bytes of a zlib stream (`zlib`: a 2-byte header first) or a raw DEFLATE stream. */
export function inflate(src: Uint8Array, zlib = true, sizeHint = 0): Uint8Array {
  const r = new BitReader(src);
  if (zlib) {
    if (src.length < 2 || (src[0]! & 0x0f) !== 8 || ((src[0]! << 8) | src[1]!) % 31 !== 0) fail('bad zlib header');
    if (src[1]! & 0x20) fail('preset dictionary');
    r.pos = 2;
  }
  let out = new Uint8Array(Math.max(sizeHint, 1024));
  let n = 0;
  const room = (k: number): void => {
    if (n + k <= out.length) return;
    const grown = new Uint8Array(Math.max(out.length * 2, n + k));
    grown.set(out.subarray(0, n));
    out = grown;
  };
  for (let last = 0; !last;) {
    last = r.need(1);
    const type = r.need(2);
    if (type === 0) {
      r.align();
      if (r.pos + 4 > src.length) fail('unexpected end');
      const len = src[r.pos]! | (src[r.pos + 1]! << 8);
      if ((len ^ 0xffff) !== (src[r.pos + 2]! | (src[r.pos + 3]! << 8))) fail('stored block length');
      r.pos += 4;
      if (r.pos + len > src.length) fail('unexpected end');
      room(len);
      out.set(src.subarray(r.pos, r.pos + len), n);
      n += len;
      r.pos += len;
      continue;
    }
    if (type === 3) fail('block type 3');
    const [lit, dist] = type === 1 ? fixedCodes() : dynamicCodes(r);
    for (;;) {
      const sym = r.decode(lit);
      if (sym < 256) {
        room(1);
        out[n++] = sym;
      } else if (sym === 256) {
        break;
      } else {
        const li = sym - 257;
        if (li >= 29) fail('bad length code');
        const len = LEN_BASE[li]! + r.need(LEN_EXTRA[li]!);
        const di = r.decode(dist);
        if (di >= 30) fail('bad distance code');
        const d = DIST_BASE[di]! + r.need(DIST_EXTRA[di]!);
        if (d > n) fail('distance before the start');
        room(len);
        for (let k = 0; k < len; k++, n++) out[n] = out[n - d]!;
      }
    }
  }
  return out.subarray(0, n);
}

/** The bytes of a gzip file (RFC 1952): its header skipped, the DEFLATE data inflated. */
export function gunzip(src: Uint8Array): Uint8Array {
  if (src.length < 18 || src[0] !== 0x1f || src[1] !== 0x8b || src[2] !== 8) fail('bad gzip header');
  const flags = src[3]!;
  let p = 10;
  if (flags & 4) p += 2 + (src[p]! | (src[p + 1]! << 8));  // FEXTRA
  for (const bit of [8, 16]) if (flags & bit) { while (p < src.length && src[p] !== 0) p++; p++; }  // FNAME, FCOMMENT
  if (flags & 2) p += 2;  // FHCRC
  if (p >= src.length) fail('bad gzip header');
  // ISIZE (the last 4 bytes) is the size modulo 2^32: a good first guess for the output buffer.
  const n = src.length;
  const size = (src[n - 4]! | (src[n - 3]! << 8) | (src[n - 2]! << 16) | (src[n - 1]! << 24)) >>> 0;
  return inflate(src.subarray(p), false, size);
}
