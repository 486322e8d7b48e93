// mx.image: WebP files decoded exactly as Pillow 12.3 (libwebp) decodes them (test/fixtures/image/
// gen_webp_cases.py): lossy VP8 at many qualities, sizes, segment and loop-filter settings (normal and simple
// filters, sharpness, token partitions); lossy with ALPH alpha (raw, lossless-coded, each prediction filter,
// quantized); lossless VP8L (palettes of 1-8 bits a pixel, color cache, backward references, near-lossless);
// the first frame of animations; and bad input.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { decodeImage } from '../../ts/image/decode';
import { flipBytesAndDecode } from '../helpers/byte-fuzz';
import { expectError } from '../helpers/errors';

const DIR = join(__dirname, '../fixtures/image/webp');
interface Case { file: string; pixels: string; rgba?: string; width: number; height: number; kind: string }
const cases = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as Case[];
const bytes = (f: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, f)));
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

beforeAll(async () => {
  await mx.ready();
});

describe('mx.image.imdecode of WebP against Pillow', () => {
  it('has the cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    for (const kind of ['lossy', 'lossless', 'alpha(compression 0', 'alpha(compression 1, filter 3', 'animated']) {
      expect(cases.some((c) => c.kind.includes(kind)), kind).toBe(true);
    }
  });
  for (const c of cases) {
    it(`${c.file} (${c.kind})`, () => {
      const img = mx.image.imdecode(bytes(c.file));
      expect(img.dtype).toBe('uint8');
      expect(img.shape).toEqual([c.height, c.width, 3]);
      expect(same(img.dataSync() as Uint8Array, bytes(c.pixels))).toBe(true);
      if (c.rgba !== undefined) {  // the alpha channel too (imdecode drops it)
        const d = decodeImage(bytes(c.file));
        expect(d.channels).toBe(4);
        expect(same(d.data, bytes(c.rgba))).toBe(true);
      }
    });
  }
});

describe('mx.image WebP layouts', () => {
  it('BGR, gray (OpenCV\'s BGR2GRAY), unchanged (alpha kept, as cv2.imdecode -1), and the format name', () => {
    const file = bytes('lossy_alpha_pillow_25x19.webp');
    const rgb = mx.image.imdecode(file).dataSync() as Uint8Array;
    const bgr = mx.image.imdecode(file, { toRgb: false }).dataSync() as Uint8Array;
    for (let i = 0; i < rgb.length; i += 3) expect([bgr[i], bgr[i + 1], bgr[i + 2]]).toEqual([rgb[i + 2], rgb[i + 1], rgb[i]]);
    const gray = mx.image.imdecode(file, { flag: 0 }).dataSync() as Uint8Array;
    for (let i = 0; i < gray.length; i++) expect(gray[i]).toBe((rgb[3 * i]! * 4899 + rgb[3 * i + 1]! * 9617 + rgb[3 * i + 2]! * 1868 + 8192) >> 14);
    const rgba = mx.image.imdecode(file, { flag: -1 });
    expect(rgba.shape).toEqual([19, 25, 4]);
    expect(Array.from(rgba.dataSync() as Uint8Array).filter((_, i) => i % 4 !== 3)).toEqual(Array.from(rgb));
    expect(mx.image.imageFormat(file)).toBe('WebP');
    expect(decodeImage(bytes('lossy_q75_32x32.webp')).channels).toBe(3);
  });
});

/** RIFF header + one chunk, with consistent sizes. */
function riff(name: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(20 + payload.length + (payload.length & 1));
  const view = new DataView(out.buffer);
  out.set(Buffer.from('RIFF'), 0);
  view.setUint32(4, out.length - 8, true);
  out.set(Buffer.from(`WEBP${name}`), 8);
  view.setUint32(16, payload.length, true);
  out.set(payload, 20);
  return out;
}

describe('mx.image WebP bad input', () => {
  it('names truncated files and corrupt chunk sizes, and the library keeps working', () => {
    for (const f of ['lossy_q75_32x32.webp', 'lossless_photo_24x20.webp', 'lossy_alpha_sin_f2_40x30.webp',
      'animated_lossy_20x14.webp']) {
      const b = bytes(f);
      for (const n of [12, 20, 31, 60, b.length >> 1, b.length - 1]) {
        expectError(() => mx.image.imdecode(b.subarray(0, n)), 'image.decode', 'bad WebP');
      }
    }
    // The payloads themselves cut short, in containers whose sizes agree with them.
    const lossy = bytes('lossy_q5_33x47.webp').subarray(20);
    expectError(() => mx.image.imdecode(riff('VP8 ', lossy.subarray(0, 8))), 'bad WebP', 'VP8 frame header truncated');
    expectError(() => mx.image.imdecode(riff('VP8 ', lossy.subarray(0, 40))), 'bad WebP', /VP8 (first partition|token partition)/);
    expectError(() => mx.image.imdecode(riff('VP8 ', lossy.subarray(0, lossy.length >> 1))), 'bad WebP', 'VP8 token partition ends early');
    const lossless = bytes('lossless_photo_24x20.webp').subarray(20);
    expectError(() => mx.image.imdecode(riff('VP8L', lossless.subarray(0, 3))), 'bad WebP', 'VP8L header truncated');
    for (const n of [6, 30, lossless.length >> 1]) {
      expectError(() => mx.image.imdecode(riff('VP8L', lossless.subarray(0, n))), 'bad WebP', 'VP8L');
    }
    // A chunk size past the end, a RIFF size too small, wrong signatures, an unknown first chunk.
    const big = bytes('lossy_q75_32x32.webp').slice();
    new DataView(big.buffer).setUint32(16, big.length, true);
    expectError(() => mx.image.imdecode(big), 'bad WebP', "chunk 'VP8 '", 'runs past the end');
    const small = bytes('lossy_q75_32x32.webp').slice();
    new DataView(small.buffer).setUint32(4, 4, true);
    expectError(() => mx.image.imdecode(small), 'bad WebP', 'RIFF size 4 is too small');
    const code = bytes('lossy_q75_32x32.webp').slice();
    code[23] = 0;
    expectError(() => mx.image.imdecode(code), 'bad WebP', 'start code');
    const sig = bytes('lossless_1x1.webp').slice();
    sig[20] = 0x2e;
    expectError(() => mx.image.imdecode(sig), 'bad WebP', 'VP8L signature');
    expectError(() => mx.image.imdecode(riff('JUNK', new Uint8Array(4))), 'bad WebP', "first chunk 'JUNK'");
    const alph = bytes('lossy_alpha_raw_18x11.webp').slice();
    alph[38] = 0x03;  // ALPH compression method 3
    expectError(() => mx.image.imdecode(alph), 'bad WebP', 'ALPH header');
    expect(mx.image.imdecode(bytes('lossy_q75_32x32.webp')).shape).toEqual([32, 32, 3]);
  });

  it('corrupt data decodes to something or throws IsotensorError, never another error', () => {
    const thrown = flipBytesAndDecode(cases.map((c) => ({ name: c.file, bytes: bytes(c.file) })), 12345, 12, 48);
    expect(thrown).toBeGreaterThan(0);
    expect(mx.image.imdecode(bytes('lossless_1x1.webp')).shape).toEqual([1, 1, 3]);
  });
});
