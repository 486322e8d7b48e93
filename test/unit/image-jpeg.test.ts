// The pure-TS JPEG decoder (ts/image/jpeg.ts, through mx.image.imdecode) against Pillow/libjpeg-turbo, byte for byte: baseline
// and progressive, 4:4:4 / 4:2:2 / 4:2:0 / 4:4:0 / 4:1:1, odd sizes, restart intervals, grayscale,
// Adobe RGB (fixtures from test/fixtures/image/gen_jpeg_cases.py), plus bad input.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';

const DIR = join(__dirname, '../fixtures/image/jpeg');
interface Case { file: string; expected: string; width: number; height: number; channels: 1 | 3; progressive: boolean }
const cases = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as Case[];
const bytes = (f: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, f)));
const { IsotensorError } = mx;

beforeAll(async () => {
  await mx.ready();
});

/** The decoder through the public API: the file's own channels (flag -1), as width/height/channels/data. */
function decodeJpeg(data: Uint8Array): { width: number; height: number; channels: number; data: Uint8Array } {
  return mx.scope(() => {
    const img = mx.image.imdecode(data, { flag: -1 });
    const [height, width, channels] = img.shape as [number, number, number];
    return { width, height, channels, data: (img.dataSync() as Uint8Array).slice() };
  });
}
const isJpeg = (data: Uint8Array): boolean => mx.image.imageFormat(data) === 'JPEG';

/** Asserts decodeJpeg throws an IsotensorError whose message starts 'image.decode: ' and matches. */
function expectDecodeError(data: Uint8Array, pattern: RegExp): void {
  let err: unknown = null;
  try {
    decodeJpeg(data);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(IsotensorError);
  const msg = (err as Error).message;
  expect(msg.startsWith('image.decode: ')).toBe(true);
  expect(msg).toMatch(pattern);
}

describe('decodeJpeg against Pillow (libjpeg-turbo)', () => {
  it('has the cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    expect(cases.some((c) => c.progressive)).toBe(true);
  });
  for (const c of cases) {
    it(c.file, () => {
      const data = bytes(c.file);
      expect(isJpeg(data)).toBe(true);
      const img = decodeJpeg(data);
      expect([img.width, img.height, img.channels]).toEqual([c.width, c.height, c.channels]);
      const want = bytes(c.expected);
      expect(img.data.length).toBe(want.length);
      let mismatches = 0;
      let first = -1;
      for (let i = 0; i < want.length; i++) {
        if (img.data[i] !== want[i]) {
          if (first < 0) first = i;
          mismatches++;
        }
      }
      expect(mismatches, `first mismatch at byte ${first}: got ${img.data[first]}, want ${want[first]}`).toBe(0);
    });
  }
});

describe('decodeJpeg bad input', () => {
  const good = bytes('q75_420_17x13.jpg');
  const progressive = bytes('prog_q75_420_17x13.jpg');

  it('isJpeg checks the SOI marker', () => {
    expect(isJpeg(good)).toBe(true);
    expect(isJpeg(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBe(false);
    expect(isJpeg(new Uint8Array([]))).toBe(false);
    expectDecodeError(new Uint8Array([1, 2, 3, 4]), /not a JPEG/);
  });

  it('truncated files', () => {
    for (const data of [good, progressive]) {
      for (const n of [3, 20, 200, data.length >> 1, data.length - 40, data.length - 2]) {
        expectDecodeError(data.subarray(0, n), /truncated/);
      }
    }
  });

  it('random bytes after SOI never hang or crash', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let trial = 0; trial < 200; trial++) {
      const data = new Uint8Array(16 + (trial % 50) * 20);
      for (let i = 0; i < data.length; i++) data[i] = rand();
      data.set([0xff, 0xd8, 0xff]);
      expect(() => decodeJpeg(data)).toThrow(IsotensorError);
    }
    // Garbage scan data inside valid headers: decodes to something or fails cleanly.
    const sos = good.findIndex((b, i) => b === 0xff && good[i + 1] === 0xda);
    for (let trial = 0; trial < 100; trial++) {
      const data = good.slice();
      for (let i = sos + 16; i < data.length - 2; i++) data[i] = rand();
      try {
        expect(decodeJpeg(data).data.length).toBe(17 * 13 * 3);
      } catch (e) {
        expect(e).toBeInstanceOf(IsotensorError);
      }
    }
  });

  it('unsupported: arithmetic coding, lossless, 12-bit, CMYK', () => {
    const sof = good.findIndex((b, i) => b === 0xff && good[i + 1] === 0xc0);
    const patched = (at: number, value: number) => {
      const data = good.slice();
      data[at] = value;
      return data;
    };
    expectDecodeError(patched(sof + 1, 0xc9), /arithmetic coding is not supported/);
    expectDecodeError(patched(sof + 1, 0xca), /arithmetic coding is not supported/);
    expectDecodeError(patched(sof + 1, 0xc3), /lossless JPEG is not supported/);
    expectDecodeError(patched(sof + 4, 12), /12-bit/);
    expectDecodeError(patched(sof + 9, 4), /CMYK/);
  });
});
