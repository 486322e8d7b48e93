// zlib/DEFLATE compression (RFC 1950/1951) in TypeScript: LZ77 over hash chains with zlib's per-level
// search limits, then per block the smallest of stored, fixed-Huffman and dynamic-Huffman coding.
// SPDX-License-Identifier: Apache-2.0
import { CL_ORDER, DIST_BASE, DIST_EXTRA, LEN_BASE, LEN_EXTRA } from './deflate_codes.js';

const WINDOW = 32768;
const MIN_MATCH = 3;
const MAX_MATCH = 258;
const HASH_BITS = 15;
const HASH_MASK = (1 << HASH_BITS) - 1;
// Symbols per block before it is written (zlib's lit_bufsize - 1 at memLevel 8).
const BLOCK_SYMBOLS = 16383;
// A 3-byte match this far back costs more than its literals (zlib's TOO_FAR).
const TOO_FAR = 4096;

// zlib's configuration_table: good_length, max_lazy (max insert length when greedy), nice_length,
// max_chain; levels 1-3 match greedily, 4-9 lazily.
const LEVELS: [number, number, number, number][] = [
  [0, 0, 0, 0], [4, 4, 8, 4], [4, 5, 16, 8], [4, 6, 32, 32], [4, 4, 16, 16], [8, 16, 32, 32], [8, 16, 128, 128],
  [8, 32, 128, 256], [32, 128, 258, 1024], [32, 258, 258, 4096],
];


let codeTables: { lenCode: Uint8Array; distCode: Uint8Array; fixedLit: Uint8Array; fixedDist: Uint8Array } | undefined;
/** Length (3..258) -> length code index 0..28, distance (1..32768) -> distance code, and the fixed code lengths. */
function tables(): NonNullable<typeof codeTables> {
  if (codeTables) return codeTables;
  const lenCode = new Uint8Array(MAX_MATCH + 1);
  for (let c = 0; c < 29; c++) lenCode.fill(c, LEN_BASE[c]!, c === 28 ? 259 : LEN_BASE[c + 1]!);
  lenCode[258] = 28;
  const distCode = new Uint8Array(WINDOW + 1);
  for (let c = 0; c < 30; c++) distCode.fill(c, DIST_BASE[c]!, c === 29 ? WINDOW + 1 : DIST_BASE[c + 1]!);
  const fixedLit = new Uint8Array(288).fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
  const fixedDist = new Uint8Array(30).fill(5);
  return (codeTables = { lenCode, distCode, fixedLit, fixedDist });
}

/** LSB-first bit output into a growing byte buffer. */
class BitWriter {
  buf: Uint8Array;
  n = 0;
  private acc = 0;
  private count = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(Math.max(size, 256));
  }

  room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    grown.set(this.buf.subarray(0, this.n));
    this.buf = grown;
  }

  /** Writes the low `size` bits of `v` (size <= 16). */
  put(v: number, size: number): void {
    this.acc |= v << this.count;
    this.count += size;
    if (this.count >= 16) {
      this.room(2);
      this.buf[this.n++] = this.acc & 255;
      this.buf[this.n++] = (this.acc >>> 8) & 255;
      this.acc >>>= 16;
      this.count -= 16;
    }
  }

  /** Pads to a whole byte. */
  align(): void {
    while (this.count > 0) {
      this.room(1);
      this.buf[this.n++] = this.acc & 255;
      this.acc >>>= 8;
      this.count = Math.max(this.count - 8, 0);
    }
    this.acc = 0;
  }

  bytes(src: Uint8Array): void {
    this.room(src.length);
    this.buf.set(src, this.n);
    this.n += src.length;
  }
}

/**
 * Huffman code lengths of at most `limit` bits for the symbol frequencies (package-merge, so the
 * lengths are optimal under the limit). Fewer than two used symbols get a second one, as zlib does,
 * so every code is complete.
 */
export function codeLengths(freqs: Uint32Array, limit: number): Uint8Array {
  const n = freqs.length;
  const lengths = new Uint8Array(n);
  const used: number[] = [];
  for (let i = 0; i < n; i++) if (freqs[i]) used.push(i);
  for (let s = 0; used.length < 2 && s < n; s++) if (!freqs[s]) used.push(s);
  used.sort((a, b) => (freqs[a] || 1) - (freqs[b] || 1) || a - b);
  const m = used.length;
  // Nodes: leaves first (0..m-1), then packages; a package's children are two earlier nodes.
  const cap = m + 2 * m * limit;
  const weight = new Float64Array(cap);
  const left = new Int32Array(cap).fill(-1);
  const right = new Int32Array(cap);
  for (let i = 0; i < m; i++) weight[i] = freqs[used[i]!] || 1;
  let nodes = m;
  let list = Array.from({ length: m }, (_, i) => i);
  for (let level = 1; level < limit; level++) {
    const merged: number[] = [];
    let li = 0;
    for (let j = 0; j + 1 < list.length; j += 2) {
      const p = nodes++;
      weight[p] = weight[list[j]!]! + weight[list[j + 1]!]!;
      left[p] = list[j]!;
      right[p] = list[j + 1]!;
      while (li < m && weight[li]! <= weight[p]!) merged.push(li++);
      merged.push(p);
    }
    while (li < m) merged.push(li++);
    list = merged;
  }
  const stack: number[] = list.slice(0, 2 * m - 2);
  while (stack.length) {
    const x = stack.pop()!;
    if (left[x]! < 0) lengths[used[x]!]!++;
    else stack.push(left[x]!, right[x]!);
  }
  return lengths;
}

/** Canonical codes for the lengths, bit-reversed for LSB-first output. */
function canonicalCodes(lengths: Uint8Array): Uint16Array {
  const count = new Uint16Array(16);
  for (const l of lengths) count[l]!++;
  count[0] = 0;
  const next = new Uint16Array(16);
  for (let l = 1, code = 0; l < 16; l++) {
    code = (code + count[l - 1]!) << 1;
    next[l] = code;
  }
  const codes = new Uint16Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) {
    const l = lengths[s]!;
    if (!l) continue;
    let c = next[l]!++;
    let r = 0;
    for (let k = 0; k < l; k++, c >>= 1) r = (r << 1) | (c & 1);
    codes[s] = r;
  }
  return codes;
}

/** The run-length coded code lengths of a dynamic block header (symbols 0-18 with their extra bits). */
function runLengths(lengths: Uint8Array): { syms: number[]; extra: number[] } {
  const syms: number[] = [];
  const extra: number[] = [];
  for (let i = 0; i < lengths.length;) {
    const v = lengths[i]!;
    let run = 1;
    while (i + run < lengths.length && lengths[i + run] === v) run++;
    i += run;
    if (v === 0) {
      while (run >= 11) { const k = Math.min(run, 138); syms.push(18); extra.push(k - 11); run -= k; }
      if (run >= 3) { syms.push(17); extra.push(run - 3); run = 0; }
    } else {
      syms.push(v); extra.push(0); run--;
      while (run >= 3) { const k = Math.min(run, 6); syms.push(16); extra.push(k - 3); run -= k; }
    }
    for (; run > 0; run--) { syms.push(v); extra.push(0); }
  }
  return { syms, extra };
}

/** Accumulates LZ77 symbols and writes them as blocks. */
class BlockWriter {
  readonly lit = new Uint16Array(BLOCK_SYMBOLS); // literal byte, or 257+ length code index with its length
  readonly len = new Uint16Array(BLOCK_SYMBOLS); // match length (0: a literal)
  readonly dist = new Uint16Array(BLOCK_SYMBOLS);
  count = 0;
  blockStart = 0; // input offset of the block's first byte, for stored blocks
  constructor(readonly out: BitWriter, readonly src: Uint8Array) {}

  literal(b: number): void {
    this.lit[this.count] = b;
    this.len[this.count++] = 0;
  }

  match(length: number, distance: number): void {
    this.len[this.count] = length;
    this.dist[this.count++] = distance;
  }

  full(): boolean {
    return this.count === BLOCK_SYMBOLS;
  }

  /**
   * Writes the pending symbols, covering input bytes blockStart..end, as the cheapest block type
   * (`storedOnly`: level 0, the bytes as they are).
   */
  flush(end: number, last: boolean, storedOnly = false): void {
    const { lenCode, distCode, fixedLit, fixedDist } = tables();
    const litFreq = new Uint32Array(286);
    const distFreq = new Uint32Array(30);
    for (let i = 0; i < this.count; i++) {
      const l = this.len[i]!;
      if (l === 0) litFreq[this.lit[i]!]!++;
      else {
        litFreq[257 + lenCode[l]!]!++;
        distFreq[distCode[this.dist[i]!]!]!++;
      }
    }
    litFreq[256] = 1;
    const litLen = codeLengths(litFreq, 15);
    const distLen = codeLengths(distFreq, 15);
    let nlit = 286;
    while (nlit > 257 && litLen[nlit - 1] === 0) nlit--;
    let ndist = 30;
    while (ndist > 1 && distLen[ndist - 1] === 0) ndist--;
    const all = new Uint8Array(nlit + ndist);
    all.set(litLen.subarray(0, nlit));
    all.set(distLen.subarray(0, ndist), nlit);
    const rl = runLengths(all);
    const clFreq = new Uint32Array(19);
    for (const s of rl.syms) clFreq[s]!++;
    const clLen = codeLengths(clFreq, 7);
    let ncl = 19;
    while (ncl > 4 && clLen[CL_ORDER[ncl - 1]!] === 0) ncl--;

    // Sizes in bits of the data under each code (the extra bits are the same for both).
    let extraBits = 0;
    let dynBits = 0;
    let fixBits = 0;
    for (let s = 0; s < 286; s++) {
      dynBits += litFreq[s]! * litLen[s]!;
      fixBits += litFreq[s]! * fixedLit[s]!;
      if (s >= 257) extraBits += litFreq[s]! * LEN_EXTRA[s - 257]!;
    }
    for (let d = 0; d < 30; d++) {
      dynBits += distFreq[d]! * distLen[d]!;
      fixBits += distFreq[d]! * 5;
      extraBits += distFreq[d]! * DIST_EXTRA[d]!;
    }
    let header = 5 + 5 + 4 + 3 * ncl;
    for (const s of rl.syms) header += clLen[s]! + (s === 16 ? 2 : s === 17 ? 3 : s === 18 ? 7 : 0);
    const dynamic = 3 + header + dynBits + extraBits;
    const fixed = 3 + fixBits + extraBits;
    const raw = end - this.blockStart;
    // A stored block: 3 header bits, up to 7 to the byte boundary, LEN/NLEN; one per 65535 bytes.
    const stored = (Math.max(1, Math.ceil(raw / 65535)) * 5 + raw) * 8 + 7;

    const out = this.out;
    if (storedOnly || (stored <= dynamic && stored <= fixed)) {
      for (let p = this.blockStart, first = true; first || p < end; first = false) {
        const k = Math.min(65535, end - p);
        out.put((last && p + k === end ? 1 : 0), 3);
        out.align();
        out.room(4);
        out.buf[out.n++] = k & 255;
        out.buf[out.n++] = k >> 8;
        out.buf[out.n++] = ~k & 255;
        out.buf[out.n++] = (~k >> 8) & 255;
        out.bytes(this.src.subarray(p, p + k));
        p += k;
      }
    } else if (fixed <= dynamic) {
      out.put(last ? 3 : 2, 3);
      this.writeSymbols(fixedLit, canonicalCodes(fixedLit), fixedDist, canonicalCodes(fixedDist));
    } else {
      out.put(last ? 5 : 4, 3);
      out.put(nlit - 257, 5);
      out.put(ndist - 1, 5);
      out.put(ncl - 4, 4);
      for (let i = 0; i < ncl; i++) out.put(clLen[CL_ORDER[i]!]!, 3);
      const clCodes = canonicalCodes(clLen);
      for (let i = 0; i < rl.syms.length; i++) {
        const s = rl.syms[i]!;
        out.put(clCodes[s]!, clLen[s]!);
        if (s >= 16) out.put(rl.extra[i]!, s === 16 ? 2 : s === 17 ? 3 : 7);
      }
      this.writeSymbols(litLen, canonicalCodes(litLen), distLen, canonicalCodes(distLen));
    }
    this.count = 0;
    this.blockStart = end;
  }

  private writeSymbols(litLen: Uint8Array, litCodes: Uint16Array, distLen: Uint8Array, distCodes: Uint16Array): void {
    const { lenCode, distCode } = tables();
    const out = this.out;
    for (let i = 0; i < this.count; i++) {
      const l = this.len[i]!;
      if (l === 0) {
        const b = this.lit[i]!;
        out.put(litCodes[b]!, litLen[b]!);
        continue;
      }
      const lc = lenCode[l]!;
      out.put(litCodes[257 + lc]!, litLen[257 + lc]!);
      if (LEN_EXTRA[lc]) out.put(l - LEN_BASE[lc]!, LEN_EXTRA[lc]!);
      const d = this.dist[i]!;
      const dc = distCode[d]!;
      out.put(distCodes[dc]!, distLen[dc]!);
      if (DIST_EXTRA[dc]) out.put(d - DIST_BASE[dc]!, DIST_EXTRA[dc]!);
    }
    out.put(litCodes[256]!, litLen[256]!);
  }
}

/** Hash chains over the whole input: head by 3-byte hash, prev by position within the window. */
class Matcher {
  readonly head = new Int32Array(1 << HASH_BITS).fill(-1);
  readonly prev = new Int32Array(WINDOW);
  matchStart = 0;
  constructor(readonly src: Uint8Array, readonly chain: number, readonly good: number, readonly nice: number) {}

  /** Adds the string at p (p + 2 < length) to its chain; returns the previous head. */
  insert(p: number): number {
    const s = this.src;
    const h = ((s[p]! << 10) ^ (s[p + 1]! << 5) ^ s[p + 2]!) & HASH_MASK;
    const old = this.head[h]!;
    this.prev[p & (WINDOW - 1)] = old;
    this.head[h] = p;
    return old;
  }

  /** The longest match (> prevLen) for p along the chain from cand; its start in matchStart. */
  longest(p: number, cand: number, prevLen: number): number {
    const s = this.src;
    const maxLen = Math.min(MAX_MATCH, s.length - p);
    const limit = p - WINDOW;
    let chain = prevLen >= this.good ? this.chain >> 2 : this.chain;
    let best = prevLen;
    const nice = Math.min(this.nice, maxLen);
    while (cand > limit && cand >= 0 && chain-- > 0) {
      if (s[cand + best] === s[p + best] && s[cand] === s[p] && s[cand + 1] === s[p + 1]) {
        let k = 2;
        while (k < maxLen && s[cand + k] === s[p + k]) k++;
        if (k > best) {
          best = k;
          this.matchStart = cand;
          if (k >= nice) break;
        }
      }
      cand = this.prev[cand & (WINDOW - 1)]!;
    }
    return best;
  }
}

/** Greedy matching (zlib's deflate_fast, levels 1-3). */
function deflateFast(src: Uint8Array, w: BlockWriter, level: number): void {
  const [good, maxInsert, nice, chain] = LEVELS[level]!;
  const m = new Matcher(src, chain, good, nice);
  const n = src.length;
  for (let p = 0; p < n;) {
    let len = 0;
    if (p + MIN_MATCH <= n) {
      const cand = m.insert(p);
      if (cand >= 0 && p - cand <= WINDOW) len = m.longest(p, cand, MIN_MATCH - 1);
    }
    if (len >= MIN_MATCH) {
      w.match(len, p - m.matchStart);
      if (len <= maxInsert) for (let k = 1; k < len && p + k + MIN_MATCH <= n; k++) m.insert(p + k);
      p += len;
    } else {
      w.literal(src[p]!);
      p++;
    }
    if (w.full()) w.flush(p, false);
  }
}

/** Lazy matching (zlib's deflate_slow, levels 4-9): a match is kept only if the next one is not longer. */
function deflateSlow(src: Uint8Array, w: BlockWriter, level: number): void {
  const [good, maxLazy, nice, chain] = LEVELS[level]!;
  const m = new Matcher(src, chain, good, nice);
  const n = src.length;
  let matchLen = MIN_MATCH - 1;
  let matchStart = 0;
  let pending = false; // a literal at p - 1 not yet written
  for (let p = 0; p < n;) {
    const prevLen = matchLen;
    const prevStart = matchStart;
    matchLen = MIN_MATCH - 1;
    if (p + MIN_MATCH <= n) {
      const cand = m.insert(p);
      if (cand >= 0 && prevLen < maxLazy && p - cand <= WINDOW) {
        const l = m.longest(p, cand, prevLen);
        if (l > prevLen) {
          matchLen = l;
          matchStart = m.matchStart;
          if (matchLen === MIN_MATCH && p - matchStart > TOO_FAR) matchLen = MIN_MATCH - 1;
        }
      }
    }
    if (prevLen >= MIN_MATCH && matchLen <= prevLen) {
      // The match found at p - 1 wins: write it, then skip past it, hashing what it covers.
      w.match(prevLen, p - 1 - prevStart);
      const end = p - 1 + prevLen;
      for (let k = p + 1; k < end && k + MIN_MATCH <= n; k++) m.insert(k);
      p = end;
      pending = false;
      matchLen = MIN_MATCH - 1;
    } else {
      if (pending) w.literal(src[p - 1]!);
      pending = true;
      p++;
    }
    if (w.full()) w.flush(pending ? p - 1 : p, false);
  }
  if (pending) w.literal(src[n - 1]!);
}

/** Runs of one byte as distance-1 matches, everything else literal (zlib's Z_RLE strategy). */
function deflateRle(src: Uint8Array, w: BlockWriter): void {
  const n = src.length;
  for (let p = 0; p < n;) {
    let len = 0;
    if (p > 0) {
      const b = src[p - 1]!;
      const max = Math.min(MAX_MATCH, n - p);
      while (len < max && src[p + len] === b) len++;
    }
    if (len >= MIN_MATCH) {
      w.match(len, 1);
      p += len;
    } else {
      w.literal(src[p]!);
      p++;
    }
    if (w.full()) w.flush(p, false);
  }
}

/** Adler-32 of the data (zlib's trailer). */
export function adler32(src: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < src.length;) {
    const end = Math.min(i + 5552, src.length);
    for (; i < end; i++) {
      a += src[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * A zlib stream of the bytes at `level` 0 (stored) to 9 (smallest), zlib's trade-offs; `rle` matches
 * only runs of one byte (zlib's Z_RLE strategy, what OpenCV uses for PNGs by default).
 */
export function deflate(src: Uint8Array, level: number, rle = false): Uint8Array {
  const out = new BitWriter((src.length >> 1) + 64);
  // CMF: deflate with a 32K window; FLG: zlib's level hint, check bits making the pair a multiple of 31.
  const hint = rle || level < 2 ? 0 : level < 6 ? 1 : level === 6 ? 2 : 3;
  const cmf = 0x78;
  let flg = hint << 6;
  flg += 31 - ((cmf * 256 + flg) % 31);
  out.bytes(new Uint8Array([cmf, flg]));
  const w = new BlockWriter(out, src);
  if (level === 0) {
    w.flush(src.length, true, true);
  } else {
    if (rle) deflateRle(src, w);
    else if (level <= 3) deflateFast(src, w, level);
    else deflateSlow(src, w, level);
    w.flush(src.length, true);
  }
  out.align();
  const a = adler32(src);
  out.bytes(new Uint8Array([a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255]));
  return out.buf.slice(0, out.n);
}
