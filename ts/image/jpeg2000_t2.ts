// JPEG 2000 tier-2 decoding: a tile-component's resolutions, sub-bands, precincts and code-blocks, the tag
// trees, and the packet headers that say which code-blocks each quality layer adds and how many bytes.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';

const bad = (what: string): never => {
  throw new IsotensorError(`image.decode: bad JPEG 2000 (${what})`);
};
const unsupported = (what: string): never => {
  throw new IsotensorError(`image.decode: unsupported JPEG 2000 (${what})`);
};

export const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
const pow2 = (n: number): number => 2 ** n;

/** A tag tree (T.800 B.10.2): one leaf per code-block of a precinct's band, minima up to a single root. */
class TagTree {
  private readonly value: Int32Array;
  private readonly low: Int32Array;
  private readonly parent: Int32Array;

  constructor(w: number, h: number) {
    const levels: [number, number][] = [];
    let lw = w;
    let lh = h;
    let n = 0;
    for (;;) {
      levels.push([lw, lh]);
      n += lw * lh;
      if (lw * lh <= 1) break;
      lw = Math.ceil(lw / 2);
      lh = Math.ceil(lh / 2);
    }
    this.value = new Int32Array(n).fill(0x7fffffff);
    this.low = new Int32Array(n);
    this.parent = new Int32Array(n).fill(-1);
    let base = 0;
    for (let l = 0; l + 1 < levels.length; l++) {
      const [cw, ch] = levels[l]!;
      const next = base + cw * ch;
      const pw = levels[l + 1]![0];
      for (let j = 0; j < ch; j++) for (let i = 0; i < cw; i++) this.parent[base + j * cw + i] = next + (j >> 1) * pw + (i >> 1);
      base = next;
    }
  }

  /** Decodes up to `threshold`; true when the leaf's value is below it. */
  decode(bits: Bits, leaf: number, threshold: number): boolean {
    const stack: number[] = [];
    let node = leaf;
    while (this.parent[node]! >= 0) {
      stack.push(node);
      node = this.parent[node]!;
    }
    let low = 0;
    for (;;) {
      if (low > this.low[node]!) this.low[node] = low;
      else low = this.low[node]!;
      while (low < threshold && low < this.value[node]!) {
        if (bits.bit()) this.value[node] = low;
        else low++;
      }
      this.low[node] = low;
      if (stack.length === 0) break;
      node = stack.pop()!;
    }
    return this.value[node]! < threshold;
  }

  leafValue(leaf: number): number {
    return this.value[leaf]!;
  }
}

/** Packet-header bits: MSB first, a 0 bit stuffed after every 0xFF byte. */
class Bits {
  private buf = 0;
  private ct = 0;
  constructor(private readonly b: Uint8Array, public pos: number, private readonly end: number) {}

  bit(): number {
    if (this.ct === 0) {
      this.buf = (this.buf << 8) & 0xffff;
      this.ct = this.buf === 0xff00 ? 7 : 8;
      if (this.pos >= this.end) bad('packet header runs past the tile data');
      this.buf |= this.b[this.pos++]!;
    }
    this.ct--;
    return (this.buf >> this.ct) & 1;
  }

  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | this.bit();
    return v;
  }

  /** Ends the header: a byte after a trailing 0xFF holds its stuffed bit. */
  align(): void {
    if ((this.buf & 0xff) === 0xff) {
      this.ct = 0;
      this.bit();
    }
    this.ct = 0;
  }
}

export interface CodeBlock {
  x0: number; y0: number; x1: number; y1: number;
  included: boolean;
  numbps: number;
  lblock: number;
  passes: number;
  chunks: Uint8Array[];
}

export interface PrecinctBand { mb: number; cw: number; ch: number; blocks: CodeBlock[]; incl: TagTree; imsb: TagTree }
export interface Band { orient: number; x0: number; y0: number; x1: number; y1: number; mb: number; expn: number; mant: number }
export interface Resolution {
  x0: number; y0: number; x1: number; y1: number;
  pw: number; ph: number;
  bands: Band[];
  precincts: PrecinctBand[][];  // [precinct][band]
}

export interface CompParams {
  nl: number;            // decomposition levels
  xcb: number; ycb: number;  // code-block size exponents
  style: number;         // code-block style flags
  reversible: boolean;   // 5/3 (true) or 9/7 wavelet
  precincts: [number, number][];  // per resolution, exponents
  guard: number;
  qstyle: number;        // 0 none, 1 scalar derived, 2 scalar expounded
  steps: [number, number][];  // [exponent, mantissa]
}

export interface TileComp { x0: number; y0: number; x1: number; y1: number; p: CompParams; res: Resolution[] }

/** Builds the resolutions, bands, precincts and code-blocks of a tile-component spanning [x0,x1)x[y0,y1). */
export function buildTileComp(x0: number, y0: number, x1: number, y1: number, p: CompParams): TileComp {
  const res: Resolution[] = [];
  const nl = p.nl;
  if (p.style !== 0) unsupported(`code-block style 0x${p.style.toString(16)}`);
  for (let r = 0; r <= nl; r++) {
    const s = pow2(nl - r);
    const rx0 = ceilDiv(x0, s), ry0 = ceilDiv(y0, s), rx1 = ceilDiv(x1, s), ry1 = ceilDiv(y1, s);
    const [ppx, ppy] = p.precincts[r]!;
    const pw = rx1 > rx0 ? ceilDiv(rx1, pow2(ppx)) - Math.floor(rx0 / pow2(ppx)) : 0;
    const ph = ry1 > ry0 ? ceilDiv(ry1, pow2(ppy)) - Math.floor(ry0 / pow2(ppy)) : 0;
    const bands: Band[] = [];
    const orients = r === 0 ? [0] : [1, 2, 3];
    for (const orient of orients) {
      const nb = r === 0 ? nl : nl - r + 1;
      const xo = orient & 1, yo = orient >> 1;
      const d = pow2(nb);
      const bx0 = ceilDiv(x0 - pow2(nb - 1) * xo, d), by0 = ceilDiv(y0 - pow2(nb - 1) * yo, d);
      const bx1 = ceilDiv(x1 - pow2(nb - 1) * xo, d), by1 = ceilDiv(y1 - pow2(nb - 1) * yo, d);
      const bi = r === 0 ? 0 : 3 * (r - 1) + orient;
      let expn: number, mant: number;
      if (p.qstyle === 1) {
        const [e0, m0] = p.steps[0]!;
        expn = e0 - nl + nb;
        mant = m0;
      } else {
        if (bi >= p.steps.length) bad('quantization lists too few sub-bands');
        [expn, mant] = p.steps[bi]!;
      }
      bands.push({ orient, x0: bx0, y0: by0, x1: bx1, y1: by1, mb: p.guard + expn - 1, expn, mant });
    }
    const cbgw = r === 0 ? ppx : ppx - 1, cbgh = r === 0 ? ppy : ppy - 1;
    const xcb = Math.min(p.xcb, cbgw), ycb = Math.min(p.ycb, cbgh);
    const precincts: PrecinctBand[][] = [];
    const px0 = Math.floor(rx0 / pow2(ppx)) * pow2(ppx), py0 = Math.floor(ry0 / pow2(ppy)) * pow2(ppy);
    for (let k = 0; k < pw * ph; k++) {
      let gx = px0 + (k % pw) * pow2(ppx), gy = py0 + Math.floor(k / pw) * pow2(ppy);
      if (r > 0) {
        gx = ceilDiv(gx, 2);
        gy = ceilDiv(gy, 2);
      }
      const pbands: PrecinctBand[] = [];
      for (const b of bands) {
        const cx0 = Math.max(gx, b.x0), cy0 = Math.max(gy, b.y0);
        const cx1 = Math.min(gx + pow2(cbgw), b.x1), cy1 = Math.min(gy + pow2(cbgh), b.y1);
        let cw = 0, ch = 0;
        const blocks: CodeBlock[] = [];
        if (cx1 > cx0 && cy1 > cy0) {
          const bx = Math.floor(cx0 / pow2(xcb)), by = Math.floor(cy0 / pow2(ycb));
          cw = ceilDiv(cx1, pow2(xcb)) - bx;
          ch = ceilDiv(cy1, pow2(ycb)) - by;
          for (let j = 0; j < ch; j++) {
            for (let i = 0; i < cw; i++) {
              blocks.push({
                x0: Math.max(cx0, (bx + i) * pow2(xcb)), y0: Math.max(cy0, (by + j) * pow2(ycb)),
                x1: Math.min(cx1, (bx + i + 1) * pow2(xcb)), y1: Math.min(cy1, (by + j + 1) * pow2(ycb)),
                included: false, numbps: 0, lblock: 3, passes: 0, chunks: [],
              });
            }
          }
        }
        pbands.push({ mb: b.mb, cw, ch, blocks, incl: new TagTree(Math.max(cw, 1), Math.max(ch, 1)),
                      imsb: new TagTree(Math.max(cw, 1), Math.max(ch, 1)) });
      }
      precincts.push(pbands);
    }
    res.push({ x0: rx0, y0: ry0, x1: rx1, y1: ry1, pw, ph, bands, precincts });
  }
  return { x0, y0, x1, y1, p, res };
}

/** Reads one packet (layer `layer` of a precinct) at `pos`; returns the position after its body. */
export function readPacket(b: Uint8Array, pos: number, end: number, prec: PrecinctBand[], layer: number,
                           sop: boolean, eph: boolean): number {
  if (sop && pos + 6 <= end && b[pos] === 0xff && b[pos + 1] === 0x91) pos += 6;
  const bits = new Bits(b, pos, end);
  const adds: [CodeBlock, number][] = [];
  if (bits.bit()) {
    for (const pb of prec) {
      for (let k = 0; k < pb.blocks.length; k++) {
        const cb = pb.blocks[k]!;
        let inc: boolean;
        const first = !cb.included;
        if (first) inc = pb.incl.decode(bits, k, layer + 1);
        else inc = bits.bit() === 1;
        if (!inc) continue;
        if (first) {
          let i = 0;
          while (!pb.imsb.decode(bits, k, i)) {
            if (++i > 64) bad('zero bit-plane count too large');
          }
          cb.numbps = pb.mb - pb.imsb.leafValue(k);
          cb.included = true;
        }
        let n: number;
        if (!bits.bit()) n = 1;
        else if (!bits.bit()) n = 2;
        else {
          n = bits.bits(2);
          if (n === 3) {
            n = bits.bits(5);
            n = n === 31 ? 37 + bits.bits(7) : 6 + n;
          } else {
            n += 3;
          }
        }
        while (bits.bit()) {
          if (++cb.lblock > 32) bad('code-block length field too long');
        }
        const len = bits.bits(cb.lblock + Math.floor(Math.log2(n)));
        cb.passes += n;
        adds.push([cb, len]);
      }
    }
  }
  bits.align();
  pos = bits.pos;
  if (eph) {
    if (pos + 2 > end || b[pos] !== 0xff || b[pos + 1] !== 0x92) bad('missing EPH marker');
    pos += 2;
  }
  for (const [cb, len] of adds) {
    if (pos + len > end) bad('code-block data runs past the tile data');
    cb.chunks.push(b.subarray(pos, pos + len));
    pos += len;
  }
  return pos;
}
