// JPEG 2000 decoding (ITU-T T.800 part 1): the JP2 container or a raw J2K codestream, its marker segments
// (SIZ, COD, COC, QCD, QCC, tiles of SOT/SOD), then tier-2 packets, tier-1 EBCOT, dequantization, the inverse
// wavelet and colour transforms, as OpenJPEG (and so Pillow) decodes 8-bit gray and RGB images.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import { concatBytes } from './bytes.js';
import type { DecodedImage } from './decoded.js';
import { inverseDwt, inverseIct, inverseRct } from './jpeg2000_dwt.js';
import { decodeCodeBlock } from './jpeg2000_t1.js';
import { buildTileComp, type CompParams, readPacket, type TileComp } from './jpeg2000_t2.js';

const bad = (what: string): never => {
  throw new IsotensorError(`image.decode: bad JPEG 2000 (${what})`);
};
const unsupported = (what: string): never => {
  throw new IsotensorError(`image.decode: unsupported JPEG 2000 (${what})`);
};

const JP2_SIGNATURE = [0, 0, 0, 12, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a];

function isJp2(b: Uint8Array): boolean {
  return b.length >= 12 && JP2_SIGNATURE.every((v, i) => b[i] === v);
}
function isJ2k(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51;
}

export function isJpeg2000(b: Uint8Array): boolean {
  return isJp2(b) || isJ2k(b);
}

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const u32 = (b: Uint8Array, at: number): number => b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);

/** The codestream inside a JP2 file: the contents of its 'jp2c' box. */
function jp2Codestream(b: Uint8Array): Uint8Array {
  for (let p = 0; p < b.length;) {
    if (b.length - p < 8) bad(`box header truncated at byte ${p}`);
    let len = u32(b, p);
    const type = String.fromCharCode(b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!);
    let head = 8;
    if (len === 1) {
      if (b.length - p < 16) bad('extended box length truncated');
      len = u32(b, p + 8) * 0x100000000 + u32(b, p + 12);
      head = 16;
    } else if (len === 0) {
      len = b.length - p;
    }
    if (len < head || p + len > b.length) bad(`box '${type}' length ${len} at byte ${p}`);
    if (type === 'jp2c') return b.subarray(p + head, p + len);
    p += len;
  }
  return bad('no codestream (jp2c) box');
}

interface Coding {
  sop: boolean; eph: boolean; order: number; layers: number; mct: number;
  comps: CompParams[];
}

interface Siz {
  x1: number; y1: number; x0: number; y0: number; tw: number; th: number; tx0: number; ty0: number;
  nc: number;
}

function parseSpcod(b: Uint8Array, at: number, end: number, p: CompParams, precincts: boolean): void {
  if (at + 5 > end) bad('COD/COC segment too short');
  p.nl = b[at]!;
  if (p.nl > 32) bad(`${p.nl} decomposition levels`);
  p.xcb = b[at + 1]! + 2;
  p.ycb = b[at + 2]! + 2;
  if (p.xcb > 10 || p.ycb > 10 || p.xcb + p.ycb > 12) bad('code-block size');
  p.style = b[at + 3]!;
  if (b[at + 4]! > 1) bad(`wavelet transform ${b[at + 4]}`);
  p.reversible = b[at + 4] === 1;
  p.precincts = [];
  for (let r = 0; r <= p.nl; r++) {
    if (precincts) {
      if (at + 5 + r >= end) bad('precinct sizes truncated');
      const v = b[at + 5 + r]!;
      p.precincts.push([v & 15, v >> 4]);
      if (r > 0 && ((v & 15) === 0 || v >> 4 === 0)) bad('zero precinct size');
    } else {
      p.precincts.push([15, 15]);
    }
  }
}

function parseQuant(b: Uint8Array, at: number, end: number, p: CompParams): void {
  if (at >= end) bad('QCD/QCC segment too short');
  const s = b[at]!;
  p.guard = s >> 5;
  p.qstyle = s & 31;
  p.steps = [];
  if (p.qstyle === 0) {
    for (let q = at + 1; q < end; q++) p.steps.push([b[q]! >> 3, 0]);
  } else if (p.qstyle === 1 || p.qstyle === 2) {
    for (let q = at + 1; q + 1 < end; q += 2) {
      const v = u16(b, q);
      p.steps.push([v >> 11, v & 0x7ff]);
    }
  } else {
    bad(`quantization style ${p.qstyle}`);
  }
  if (p.steps.length === 0) bad('no quantization step sizes');
}

const cloneComp = (p: CompParams): CompParams => ({ ...p, precincts: p.precincts.slice(), steps: p.steps.slice() });
const cloneCoding = (c: Coding): Coding => ({ ...c, comps: c.comps.map(cloneComp) });

/** Applies a COD, COC, QCD or QCC segment (body b[at, end)) to `c`. */
function codingMarker(m: number, b: Uint8Array, at: number, end: number, c: Coding, nc: number, setCoc: boolean[],
                      setQcc: boolean[]): void {
  const compIndex = (): [number, number] => {
    const i = nc < 257 ? b[at]! : u16(b, at);
    if (i >= nc) bad(`component ${i} of ${nc}`);
    return [i, at + (nc < 257 ? 1 : 2)];
  };
  if (m === 0xff52) {
    if (at + 5 > end) bad('COD segment too short');
    const scod = b[at]!;
    c.sop = (scod & 2) !== 0;
    c.eph = (scod & 4) !== 0;
    c.order = b[at + 1]!;
    c.layers = u16(b, at + 2);
    c.mct = b[at + 4]!;
    if (c.layers === 0) bad('zero quality layers');
    for (let i = 0; i < nc; i++) if (!setCoc[i]) parseSpcod(b, at + 5, end, c.comps[i]!, (scod & 1) !== 0);
  } else if (m === 0xff53) {
    const [i, q] = compIndex();
    parseSpcod(b, q + 1, end, c.comps[i]!, (b[q]! & 1) !== 0);
    setCoc[i] = true;
  } else if (m === 0xff5c) {
    for (let i = 0; i < nc; i++) if (!setQcc[i]) parseQuant(b, at, end, c.comps[i]!);
  } else {
    const [i, q] = compIndex();
    parseQuant(b, q, end, c.comps[i]!);
    setQcc[i] = true;
  }
}

const CODING_MARKERS = new Set([0xff52, 0xff53, 0xff5c, 0xff5d]);

/** Yields the packets of a tile in its progression order (T.800 B.12.1): [component, resolution, precinct, layer]. */
function* packetOrder(tcs: TileComp[], layers: number, order: number, tx0: number, ty0: number, tx1: number,
                      ty1: number): Generator<[number, number, number, number]> {
  const maxRes = Math.max(...tcs.map((t) => t.res.length));
  const np = (c: number, r: number): number => {
    const res = tcs[c]!.res[r];
    return res === undefined ? 0 : res.pw * res.ph;
  };
  // The position orders visit the tile's sample grid at the precincts' corners, projected to full resolution.
  const steps = (cs: number[]): [number, number] => {
    let dx = Infinity, dy = Infinity;
    for (const c of cs) {
      const tc = tcs[c]!;
      for (let r = 0; r < tc.res.length; r++) {
        const [ppx, ppy] = tc.p.precincts[r]!;
        dx = Math.min(dx, 2 ** (ppx + tc.p.nl - r));
        dy = Math.min(dy, 2 ** (ppy + tc.p.nl - r));
      }
    }
    return [dx, dy];
  };
  // The precinct of (c, r) whose corner is at (x, y), or -1.
  const precinctAt = (c: number, r: number, x: number, y: number): number => {
    const tc = tcs[c]!;
    const res = tc.res[r];
    if (res === undefined || res.pw * res.ph === 0) return -1;
    const level = tc.p.nl - r;
    const [ppx, ppy] = tc.p.precincts[r]!;
    const sx = 2 ** (ppx + level), sy = 2 ** (ppy + level);
    if (!(y % sy === 0 || (y === ty0 && (res.y0 * 2 ** level) % sy !== 0))) return -1;
    if (!(x % sx === 0 || (x === tx0 && (res.x0 * 2 ** level) % sx !== 0))) return -1;
    const i = Math.floor(Math.ceil(x / 2 ** level) / 2 ** ppx) - Math.floor(res.x0 / 2 ** ppx);
    const j = Math.floor(Math.ceil(y / 2 ** level) / 2 ** ppy) - Math.floor(res.y0 / 2 ** ppy);
    if (i < 0 || j < 0 || i >= res.pw || j >= res.ph) return -1;
    return i + j * res.pw;
  };
  const all = tcs.map((_, c) => c);
  const grid = function* (dx: number, dy: number): Generator<[number, number]> {
    for (let y = ty0; y < ty1; y += dy - (y % dy)) for (let x = tx0; x < tx1; x += dx - (x % dx)) yield [x, y];
  };
  if (order === 0) {  // LRCP
    for (let l = 0; l < layers; l++) {
      for (let r = 0; r < maxRes; r++) for (let c = 0; c < tcs.length; c++) for (let p = 0; p < np(c, r); p++) yield [c, r, p, l];
    }
  } else if (order === 1) {  // RLCP
    for (let r = 0; r < maxRes; r++) {
      for (let l = 0; l < layers; l++) for (let c = 0; c < tcs.length; c++) for (let p = 0; p < np(c, r); p++) yield [c, r, p, l];
    }
  } else if (order === 2) {  // RPCL
    const [dx, dy] = steps(all);
    for (let r = 0; r < maxRes; r++) {
      for (const [x, y] of grid(dx, dy)) {
        for (let c = 0; c < tcs.length; c++) {
          const p = precinctAt(c, r, x, y);
          if (p >= 0) for (let l = 0; l < layers; l++) yield [c, r, p, l];
        }
      }
    }
  } else if (order === 3) {  // PCRL
    const [dx, dy] = steps(all);
    for (const [x, y] of grid(dx, dy)) {
      for (let c = 0; c < tcs.length; c++) {
        for (let r = 0; r < tcs[c]!.res.length; r++) {
          const p = precinctAt(c, r, x, y);
          if (p >= 0) for (let l = 0; l < layers; l++) yield [c, r, p, l];
        }
      }
    }
  } else if (order === 4) {  // CPRL
    for (let c = 0; c < tcs.length; c++) {
      const [dx, dy] = steps([c]);
      for (const [x, y] of grid(dx, dy)) {
        for (let r = 0; r < tcs[c]!.res.length; r++) {
          const p = precinctAt(c, r, x, y);
          if (p >= 0) for (let l = 0; l < layers; l++) yield [c, r, p, l];
        }
      }
    }
  } else {
    bad(`progression order ${order}`);
  }
}

/** Rounds half to even, as C's lrintf does. */
function rint(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Decodes tile `t` (its tile-parts' data joined) into `out`, the interleaved 8-bit image. */
function decodeTile(siz: Siz, t: number, coding: Coding, data: Uint8Array, out: Uint8Array, width: number): void {
  const ntx = Math.ceil((siz.x1 - siz.tx0) / siz.tw);
  const p = t % ntx, q = Math.floor(t / ntx);
  const tx0 = Math.max(siz.tx0 + p * siz.tw, siz.x0), ty0 = Math.max(siz.ty0 + q * siz.th, siz.y0);
  const tx1 = Math.min(siz.tx0 + (p + 1) * siz.tw, siz.x1), ty1 = Math.min(siz.ty0 + (q + 1) * siz.th, siz.y1);
  if (tx1 <= tx0 || ty1 <= ty0) return;
  const tcs = coding.comps.map((cp) => buildTileComp(tx0, ty0, tx1, ty1, cp));
  let pos = 0;
  for (const [c, r, pr, l] of packetOrder(tcs, coding.layers, coding.order, tx0, ty0, tx1, ty1)) {
    if (pos >= data.length) break;  // a truncated tile: the remaining packets are absent
    pos = readPacket(data, pos, data.length, tcs[c]!.res[r]!.precincts[pr]!, l, coding.sop, coding.eph);
  }
  const w = tx1 - tx0, h = ty1 - ty0;
  const comps: Float32Array[] = [];
  for (const tc of tcs) {
    const a = new Float32Array(w * h);  // 5/3 integers and 9/7 float32 values are exact in it
    const cp = tc.p;
    for (let r = 0; r < tc.res.length; r++) {
      const res = tc.res[r]!;
      const lower = r > 0 ? tc.res[r - 1]! : undefined;
      for (let bi = 0; bi < res.bands.length; bi++) {
        const band = res.bands[bi]!;
        const ox = (band.orient & 1) && lower ? lower.x1 - lower.x0 : 0;
        const oy = (band.orient & 2) && lower ? lower.y1 - lower.y0 : 0;
        // The 9/7 step (T.800 E.1), (1 + mant/2^11) 2^(R - expn) in float32, R the 8-bit depth: OpenJPEG adds no
        // band gain and scales the high-pass by 2/K instead. Halved, as the coefficients carry one extra bit.
        const step = cp.reversible ? 1 : Math.fround(Math.fround((1 + band.mant / 2048) * 2 ** (8 - band.expn)) * 0.5);
        for (const prec of res.precincts) {
          for (const cb of prec[bi]!.blocks) {
            const cw = cb.x1 - cb.x0, ch = cb.y1 - cb.y0;
            if (!cb.included || cb.passes === 0) continue;
            if (cb.numbps > 30) bad(`${cb.numbps} bit-planes in a code-block`);
            const buf = concatBytes(cb.chunks);
            const coef = new Int32Array(cw * ch);
            decodeCodeBlock(buf, cw, ch, cb.numbps, cb.passes, band.orient, coef);
            for (let y = 0; y < ch; y++) {
              const row = (cb.y0 - band.y0 + oy + y) * w + cb.x0 - band.x0 + ox;
              for (let x = 0; x < cw; x++) {
                const v = coef[y * cw + x]!;
                a[row + x] = cp.reversible ? Math.trunc(v / 2) : Math.fround(v * step);
              }
            }
          }
        }
      }
    }
    inverseDwt(a, w, tc.res.map((res) => [res.x0, res.y0, res.x1, res.y1]), cp.reversible);
    comps.push(a);
  }
  if (coding.mct === 1) {
    if (comps.length < 3) bad('colour transform with fewer than 3 components');
    const rev = tcs[0]!.p.reversible;
    if (tcs[1]!.p.reversible !== rev || tcs[2]!.p.reversible !== rev) unsupported('mixed wavelets with a colour transform');
    if (rev) inverseRct(comps[0]!, comps[1]!, comps[2]!);
    else inverseIct(comps[0]!, comps[1]!, comps[2]!);
  }
  for (let c = 0; c < comps.length; c++) {
    const a = comps[c]!;
    const rev = tcs[c]!.p.reversible;
    const nc = comps.length;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let v = a[y * w + x]!;
        if (!rev) v = rint(v);
        out[((ty0 - siz.y0 + y) * width + tx0 - siz.x0 + x) * nc + c] = Math.max(0, Math.min(255, v + 128));
      }
    }
  }
}

/** Decodes a JPEG 2000 file (JP2 or raw codestream) to 8-bit gray or RGB. */
export function decodeJpeg2000(file: Uint8Array): DecodedImage {
  const b = isJp2(file) ? jp2Codestream(file) : file;
  if (!isJ2k(b)) bad('codestream does not start with SOC and SIZ');
  let pos = 2;
  const segment = (): [number, number, number] => {  // marker, body start, body end
    if (pos + 4 > b.length) bad(`marker truncated at byte ${pos}`);
    const m = u16(b, pos);
    if ((m >> 8) !== 0xff) bad(`expected a marker at byte ${pos}, found 0x${m.toString(16)}`);
    const len = u16(b, pos + 2);
    if (len < 2 || pos + 2 + len > b.length) bad(`marker 0x${m.toString(16)} length ${len} at byte ${pos}`);
    const r: [number, number, number] = [m, pos + 4, pos + 2 + len];
    pos += 2 + len;
    return r;
  };
  const [, s0, s1] = segment();
  if (s1 - s0 < 36) bad('SIZ segment too short');
  const siz: Siz = {
    x1: u32(b, s0 + 2), y1: u32(b, s0 + 6), x0: u32(b, s0 + 10), y0: u32(b, s0 + 14),
    tw: u32(b, s0 + 18), th: u32(b, s0 + 22), tx0: u32(b, s0 + 26), ty0: u32(b, s0 + 30), nc: u16(b, s0 + 34),
  };
  const width = siz.x1 - siz.x0, height = siz.y1 - siz.y0;
  if (siz.x1 <= siz.x0 || siz.y1 <= siz.y0 || siz.tw === 0 || siz.th === 0 || siz.tx0 > siz.x0 || siz.ty0 > siz.y0 ||
      siz.tx0 + siz.tw <= siz.x0 || siz.ty0 + siz.th <= siz.y0) bad('image or tile geometry');
  if (s1 - s0 < 36 + 3 * siz.nc || siz.nc === 0) bad('SIZ component list');
  if (siz.nc !== 1 && siz.nc !== 3) unsupported(`${siz.nc} components (1 and 3 are supported)`);
  for (let c = 0; c < siz.nc; c++) {
    const ssiz = b[s0 + 36 + 3 * c]!;
    const sign = ssiz & 0x80 ? ', signed' : '';
    if (ssiz !== 7) unsupported(`component ${c} of ${(ssiz & 0x7f) + 1} bits${sign} (8-bit unsigned is supported)`);
    if (b[s0 + 37 + 3 * c] !== 1 || b[s0 + 38 + 3 * c] !== 1) unsupported('subsampled components');
  }
  if (width * height > 1 << 26) unsupported(`${width}x${height} image (more than 2^26 pixels)`);
  const ntiles = Math.ceil((siz.x1 - siz.tx0) / siz.tw) * Math.ceil((siz.y1 - siz.ty0) / siz.th);
  if (ntiles > 65535) bad(`${ntiles} tiles`);

  const blank = (): CompParams => ({ nl: 0, xcb: 6, ycb: 6, style: 0, reversible: true, precincts: [[15, 15]], guard: 0,
                                     qstyle: 0, steps: [] });
  const main: Coding = { sop: false, eph: false, order: 0, layers: 1, mct: 0, comps: Array.from({ length: siz.nc }, blank) };
  const mainCoc: boolean[] = [], mainQcc: boolean[] = [];
  let haveCod = false, haveQcd = false;
  // Main header, up to the first SOT.
  for (;;) {
    if (pos + 2 > b.length) bad('main header truncated');
    if (u16(b, pos) === 0xff90) break;
    const [m, a0, a1] = segment();
    if (CODING_MARKERS.has(m)) {
      codingMarker(m, b, a0, a1, main, siz.nc, mainCoc, mainQcc);
      if (m === 0xff52) haveCod = true;
      if (m === 0xff5c) haveQcd = true;
    } else if (m === 0xff5f) unsupported('progression order changes (POC)');
    else if (m === 0xff60) unsupported('packed packet headers (PPM)');
    else if (m === 0xff5e) unsupported('region of interest (RGN)');
  }
  if (!haveCod || !haveQcd) bad('main header lacks COD or QCD');

  const tiles: { coding: Coding; parts: Uint8Array[] }[] = [];
  while (pos + 2 <= b.length && u16(b, pos) === 0xff90) {
    const sot = pos;
    const [, a0, a1] = segment();
    if (a1 - a0 < 8) bad('SOT segment too short');
    const t = u16(b, a0);
    const psot = u32(b, a0 + 2);
    if (t >= ntiles) bad(`tile ${t} of ${ntiles}`);
    const end = psot === 0 ? b.length - (u16(b, b.length - 2) === 0xffd9 ? 2 : 0) : sot + psot;
    if (end > b.length || end < pos) bad(`tile-part length ${psot}`);
    const first = tiles[t] === undefined;
    const tile = tiles[t] ?? (tiles[t] = { coding: cloneCoding(main), parts: [] });
    // Precedence (T.800 A.6): tile COC/QCC over tile COD/QCD over main COC/QCC over main COD/QCD.
    const tileCoc: boolean[] = [], tileQcc: boolean[] = [];
    for (;;) {
      if (pos + 2 > end) bad('tile-part header truncated');
      if (u16(b, pos) === 0xff93) {
        pos += 2;
        break;
      }
      const [m, c0, c1] = segment();
      if (c1 > end) bad('tile-part header runs past the tile-part');
      if (CODING_MARKERS.has(m)) {
        if (!first) bad('coding marker in a later tile-part');
        codingMarker(m, b, c0, c1, tile.coding, siz.nc, tileCoc, tileQcc);
      } else if (m === 0xff5f) unsupported('progression order changes (POC)');
      else if (m === 0xff61) unsupported('packed packet headers (PPT)');
      else if (m === 0xff5e) unsupported('region of interest (RGN)');
    }
    tile.parts.push(b.subarray(pos, end));
    pos = end;
  }
  if (tiles.length === 0) bad('no tiles');

  const out = new Uint8Array(width * height * siz.nc);
  tiles.forEach((tile, t) => {
    if (tile === undefined) return;
    decodeTile(siz, t, tile.coding, concatBytes(tile.parts), out, width);
  });
  return { width, height, channels: siz.nc as 1 | 3, data: out };
}
