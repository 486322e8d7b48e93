// mx.image: JPEG 2000 files (JP2 and raw J2K codestreams) decoded exactly as Pillow 12.3 (OpenJPEG) decodes
// them (test/fixtures/image/gen_jp2_cases.py): lossless 5/3 and lossy 9/7 gray and RGB at odd sizes, 1 to 6
// resolutions, tiles (with offsets), quality layers, every progression order, precincts, code-block sizes,
// with and without the colour transform; the ONNX ImageDecoder case; and bad input.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { decodeImage } from '../../ts/image/decode';
import { flipBytesAndDecode } from '../helpers/byte-fuzz';
import { expectError } from '../helpers/errors';

const DIR = join(__dirname, '../fixtures/image/jpeg2000');
interface Case { file: string; pixels: string; width: number; height: number; mode: string; options: Record<string, unknown> }
const cases = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as Case[];
const bytes = (f: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, f)));
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

beforeAll(async () => {
  await mx.ready();
});

describe('mx.image.imdecode of JPEG 2000 against Pillow', () => {
  it('has the cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    for (const opt of ['irreversible', 'tile_size', 'quality_layers', 'progression', 'numresolutions', 'precinct_size', 'no_jp2']) {
      expect(cases.some((c) => opt in c.options), opt).toBe(true);
    }
    for (const order of ['RLCP', 'RPCL', 'PCRL', 'CPRL']) expect(cases.some((c) => c.options.progression === order), order).toBe(true);
  });
  for (const c of cases) {
    it(`${c.file} (${JSON.stringify(c.options)})`, () => {
      const want = bytes(c.pixels);
      const d = decodeImage(bytes(c.file));
      expect([d.width, d.height, d.channels]).toEqual([c.width, c.height, c.mode === 'L' ? 1 : 3]);
      expect(same(d.data, want)).toBe(true);
      const img = mx.image.imdecode(bytes(c.file));
      expect(img.dtype).toBe('uint8');
      expect(img.shape).toEqual([c.height, c.width, 3]);
      const rgb = img.dataSync() as Uint8Array;
      if (c.mode === 'L') {
        for (let i = 0; i < want.length; i++) expect([rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]]).toEqual([want[i], want[i], want[i]]);
      } else {
        expect(same(rgb, want)).toBe(true);
      }
    });
  }
});

describe('mx.image JPEG 2000 layouts', () => {
  it('BGR, gray, the format name, and the ONNX conformance image', () => {
    const file = bytes('rgb_33x47.jp2');
    const rgb = mx.image.imdecode(file).dataSync() as Uint8Array;
    const bgr = mx.image.imdecode(file, { toRgb: false }).dataSync() as Uint8Array;
    for (let i = 0; i < rgb.length; i += 3) expect([bgr[i], bgr[i + 1], bgr[i + 2]]).toEqual([rgb[i + 2], rgb[i + 1], rgb[i]]);
    const gray = mx.image.imdecode(file, { flag: 0 }).dataSync() as Uint8Array;
    expect(gray[7]).toBe((rgb[21]! * 19595 + rgb[22]! * 38470 + rgb[23]! * 7471 + 0x8000) >>> 16);
    expect(mx.image.imdecode(bytes('gray_17x9.jp2'), { flag: 0 }).shape).toEqual([9, 17, 1]);
    expect(mx.image.imageFormat(file)).toBe('JPEG 2000');
    expect(mx.image.imageFormat(bytes('rgb_40x20_j2k.j2k'))).toBe('JPEG 2000');
  });
});

/** Replaces the marker segment `marker` (its first occurrence) body's byte `at` with `v`. */
function patch(b: Uint8Array, marker: number, at: number, v: number): Uint8Array {
  const out = b.slice();
  for (let i = 0; i + 1 < out.length; i++) {
    if (out[i] === 0xff && out[i + 1] === (marker & 0xff)) {
      out[i + 4 + at] = v;
      return out;
    }
  }
  throw new Error(`no marker ${marker.toString(16)}`);
}

describe('mx.image JPEG 2000 bad input', () => {
  it('names truncated files, corrupt lengths and unsupported features, and the library keeps working', () => {
    for (const f of ['rgb_17x9.jp2', 'gray_21x23_j2k.j2k', 'rgb_37x26_tiles16.jp2', 'rgb_33x31_irrev.jp2']) {
      const b = bytes(f);
      for (const n of [12, 13, 30, 60, 100, b.length >> 1, b.length - 3]) {
        expectError(() => mx.image.imdecode(b.subarray(0, n)), 'image.decode', 'bad JPEG 2000');
      }
    }
    const j2k = bytes('rgb_40x20_j2k.j2k');
    const sizLen = j2k.slice();
    sizLen[4] = 0xff;  // SIZ length past the end
    expectError(() => mx.image.imdecode(sizLen), 'bad JPEG 2000', 'marker 0xff51 length');
    const short = j2k.slice();
    short[5] = 3;
    expectError(() => mx.image.imdecode(short), 'bad JPEG 2000', 'SIZ segment too short');
    const jp2 = bytes('rgb_17x9.jp2').slice();
    jp2[12] = 0x7f;  // the ftyp box length past the end
    expectError(() => mx.image.imdecode(jp2), 'bad JPEG 2000', "box 'ftyp' length");
    // SIZ: 12-bit, signed, 2 components, subsampled.
    expectError(() => mx.image.imdecode(patch(j2k, 0xff51, 36, 11)), 'unsupported JPEG 2000', '12 bits');
    expectError(() => mx.image.imdecode(patch(j2k, 0xff51, 36, 0x87)), 'unsupported JPEG 2000', 'signed');
    expectError(() => mx.image.imdecode(patch(j2k, 0xff51, 35, 2)), 'unsupported JPEG 2000', '2 components');
    expectError(() => mx.image.imdecode(patch(j2k, 0xff51, 37, 2)), 'unsupported JPEG 2000', 'subsampled');
    // COD: code-block style, wavelet, progression order.
    expectError(() => mx.image.imdecode(patch(j2k, 0xff52, 8, 0x08)), 'unsupported JPEG 2000', 'code-block style 0x8');
    expectError(() => mx.image.imdecode(patch(j2k, 0xff52, 9, 2)), 'bad JPEG 2000', 'wavelet transform 2');
    expectError(() => mx.image.imdecode(patch(j2k, 0xff52, 1, 7)), 'bad JPEG 2000', 'progression order 7');
    expectError(() => mx.image.imdecode(patch(j2k, 0xff5c, 0, 0x45)), 'bad JPEG 2000', 'quantization style 5');
    expect(mx.image.imdecode(bytes('rgb_1x1.jp2')).shape).toEqual([1, 1, 3]);
  });

  it('corrupt data decodes to something or throws IsotensorError, never another error', () => {
    const thrown = flipBytesAndDecode(cases.map((c) => ({ name: c.file, bytes: bytes(c.file) })), 4321, 10, 40);
    expect(thrown).toBeGreaterThan(0);
    expect(mx.image.imdecode(bytes('gray_1x1.jp2')).shape).toEqual([1, 1, 3]);
  });
});
