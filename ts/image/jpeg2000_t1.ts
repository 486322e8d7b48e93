// JPEG 2000 tier-1 decoding: the MQ arithmetic decoder and EBCOT's three coding passes (significance
// propagation, magnitude refinement, cleanup) over one code-block, with the standard contexts (ITU-T T.800 D).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';

// The MQ coder's 47 probability states: Qe, next state after an MPS, after an LPS, and whether an LPS swaps
// the MPS sense (T.800 Table C.2).
const QE = [0x5601, 0x3401, 0x1801, 0x0ac1, 0x0521, 0x0221, 0x5601, 0x5401, 0x4801, 0x3801, 0x3001, 0x2401,
  0x1c01, 0x1601, 0x5601, 0x5401, 0x5101, 0x4801, 0x3801, 0x3401, 0x3001, 0x2801, 0x2401, 0x2201, 0x1c01, 0x1801,
  0x1601, 0x1401, 0x1201, 0x1101, 0x0ac1, 0x09c1, 0x08a1, 0x0521, 0x0441, 0x02a1, 0x0221, 0x0141, 0x0111, 0x0085,
  0x0049, 0x0025, 0x0015, 0x0009, 0x0005, 0x0001, 0x5601];
const NMPS = [1, 2, 3, 4, 5, 38, 7, 8, 9, 10, 11, 12, 13, 29, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
  29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 45, 46];
const NLPS = [1, 6, 9, 12, 29, 33, 6, 14, 14, 14, 17, 18, 20, 21, 14, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 23, 24,
  25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 46];
const SWITCH = [1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];

const CX_RL = 17;
const CX_UNI = 18;

/** The MQ decoder over `data` (bytes past the end read as 0xFF, which the decoder treats as a marker). */
class Mq {
  private a = 0x8000;
  private c = 0;
  private ct = 0;
  private bp = 0;
  readonly state = new Uint8Array(19);
  readonly mps = new Uint8Array(19);

  constructor(private readonly data: Uint8Array) {
    this.state[0] = 4;
    this.state[CX_RL] = 3;
    this.state[CX_UNI] = 46;
    this.c = this.byte(0) << 16;
    this.byteIn();
    this.c = (this.c << 7) >>> 0;
    this.ct -= 7;
  }

  private byte(i: number): number {
    return i < this.data.length ? this.data[i]! : 0xff;
  }

  private byteIn(): void {
    const next = this.byte(this.bp + 1);
    if (this.byte(this.bp) === 0xff) {
      if (next > 0x8f) {
        this.c += 0xff00;
        this.ct = 8;
      } else {
        this.bp++;
        this.c += next << 9;
        this.ct = 7;
      }
    } else {
      this.bp++;
      this.c += next << 8;
      this.ct = 8;
    }
  }

  private renorm(): void {
    do {
      if (this.ct === 0) this.byteIn();
      this.a <<= 1;
      this.c = (this.c << 1) >>> 0;
      this.ct--;
    } while (this.a < 0x8000);
  }

  decode(cx: number): number {
    const s = this.state[cx]!;
    const qe = QE[s]!;
    let d: number;
    this.a -= qe;
    if ((this.c >>> 16) < qe) {  // the LPS sub-interval (conditional exchange)
      if (this.a < qe) {
        d = this.mps[cx]!;
        this.state[cx] = NMPS[s]!;
      } else {
        d = 1 - this.mps[cx]!;
        if (SWITCH[s] === 1) this.mps[cx] = 1 - this.mps[cx]!;
        this.state[cx] = NLPS[s]!;
      }
      this.a = qe;
      this.renorm();
    } else {
      this.c -= qe * 0x10000;
      if ((this.a & 0x8000) === 0) {
        if (this.a < qe) {
          d = 1 - this.mps[cx]!;
          if (SWITCH[s] === 1) this.mps[cx] = 1 - this.mps[cx]!;
          this.state[cx] = NLPS[s]!;
        } else {
          d = this.mps[cx]!;
          this.state[cx] = NMPS[s]!;
        }
        this.renorm();
      } else {
        d = this.mps[cx]!;
      }
    }
    return d;
  }
}

// Zero-coding contexts by (horizontal, vertical, diagonal) significant-neighbour counts, for the LL/LH bands
// (the HL band swaps horizontal and vertical; HH has its own table). T.800 Table D.1.
function zcLow(h: number, v: number, d: number): number {
  if (h === 2) return 8;
  if (h === 1) return v >= 1 ? 7 : d >= 1 ? 6 : 5;
  if (v === 2) return 4;
  if (v === 1) return 3;
  return d >= 2 ? 2 : d;
}
function zcHH(hv: number, d: number): number {
  if (d >= 3) return 8;
  if (d === 2) return hv >= 1 ? 7 : 6;
  if (d === 1) return hv >= 2 ? 5 : hv === 1 ? 4 : 3;
  return hv >= 2 ? 2 : hv;
}

/**
 * Decodes one code-block's `passes` coding passes from `data` (one MQ codeword: code-block style 0) into
 * `out` (w*h signed magnitudes, in units of half the last bit-plane: value = sign * (2 * magnitude + 1) at
 * the last decoded plane, as OpenJPEG keeps them). `numbps` is the number of magnitude bit-planes; `orient`
 * 0 LL, 1 HL, 2 LH, 3 HH.
 */
export function decodeCodeBlock(data: Uint8Array, w: number, h: number, numbps: number, passes: number,
                                orient: number, out: Int32Array): void {
  out.fill(0);
  if (passes === 0 || w === 0 || h === 0) return;
  if (numbps <= 0) return;
  if (passes > numbps * 3 - 2) {
    throw new IsotensorError(`image.decode: bad JPEG 2000 (code-block has ${passes} coding passes for ${numbps} bit-planes)`);
  }
  const mq = new Mq(data);
  // Padded state planes (a 1-sample border): significance, sign (1 negative), visited-this-plane, refined.
  const pw = w + 2;
  const sig = new Uint8Array(pw * (h + 2));
  const neg = new Uint8Array(pw * (h + 2));
  const visit = new Uint8Array(pw * (h + 2));
  const refined = new Uint8Array(pw * (h + 2));
  const mag = out;

  const zc = (p: number): number => {
    const hs = sig[p - 1]! + sig[p + 1]!;
    const vs = sig[p - pw]! + sig[p + pw]!;
    const ds = sig[p - pw - 1]! + sig[p - pw + 1]! + sig[p + pw - 1]! + sig[p + pw + 1]!;
    if (orient === 3) return zcHH(hs + vs, ds);
    return orient === 1 ? zcLow(vs, hs, ds) : zcLow(hs, vs, ds);
  };
  const contrib = (q: number): number => (sig[q] ? (neg[q] ? -1 : 1) : 0);
  const decodeSign = (p: number): number => {
    const hc = Math.max(-1, Math.min(1, contrib(p - 1) + contrib(p + 1)));
    const vc = Math.max(-1, Math.min(1, contrib(p - pw) + contrib(p + pw)));
    let cx: number;
    let xor = 0;
    if (hc === 0) {
      cx = vc === 0 ? 9 : 10;
      xor = vc < 0 ? 1 : 0;
    } else {
      cx = vc === 0 ? 12 : vc === hc ? 13 : 11;
      xor = hc < 0 ? 1 : 0;
    }
    return mq.decode(cx) ^ xor;
  };
  const anySig = (p: number): boolean =>
    (sig[p - pw - 1]! | sig[p - pw]! | sig[p - pw + 1]! | sig[p - 1]! | sig[p + 1]! | sig[p + pw - 1]! | sig[p + pw]! |
     sig[p + pw + 1]!) !== 0;
  const becomeSig = (p: number, i: number, bp: number): void => {
    neg[p] = decodeSign(p);
    sig[p] = 1;
    mag[i] = neg[p] ? -(3 << bp) : 3 << bp;
  };

  let bp = numbps - 1;
  let kind = 2;  // 0 significance propagation, 1 refinement, 2 cleanup; the first pass is a cleanup
  for (let pass = 0; pass < passes; pass++) {
    for (let y0 = 0; y0 < h; y0 += 4) {
      const y1 = Math.min(h, y0 + 4);
      for (let x = 0; x < w; x++) {
        let y = y0;
        if (kind === 2 && y1 - y0 === 4) {  // run-length mode for a full column of insignificant samples
          let run = true;
          for (let k = y0; k < y1 && run; k++) {
            const p = (k + 1) * pw + x + 1;
            if (sig[p] || visit[p] || anySig(p)) run = false;
          }
          if (run) {
            if (mq.decode(CX_RL) === 0) continue;
            const r = (mq.decode(CX_UNI) << 1) | mq.decode(CX_UNI);
            y = y0 + r;
            const p = (y + 1) * pw + x + 1;
            becomeSig(p, y * w + x, bp);
            y++;
          }
        }
        for (; y < y1; y++) {
          const p = (y + 1) * pw + x + 1;
          const i = y * w + x;
          if (kind === 0) {
            if (sig[p] || !anySig(p)) continue;
            visit[p] = 1;
            if (mq.decode(zc(p))) becomeSig(p, i, bp);
          } else if (kind === 1) {
            if (!sig[p] || visit[p]) continue;
            const cx = refined[p] ? 16 : anySig(p) ? 15 : 14;
            const half = 1 << bp;
            const bit = mq.decode(cx);
            const m = Math.abs(mag[i]!) + (bit ? half : -half);
            mag[i] = mag[i]! < 0 ? -m : m;
            refined[p] = 1;
          } else {
            if (sig[p] || visit[p]) continue;
            if (mq.decode(zc(p))) becomeSig(p, i, bp);
          }
        }
      }
    }
    if (kind === 2) {
      visit.fill(0);
      bp--;
      kind = 0;
    } else {
      kind++;
    }
  }
}
