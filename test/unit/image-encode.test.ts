// mx.image.imencode against OpenCV (test/fixtures/image-encode/gen_image_encode.py): JPEGs byte for byte
// what cv2.imencode writes, decoding to what Pillow decodes; PNGs with cv2's filter choices that Pillow
// and our decoder read back exactly; options, layouts and bad input.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { expectError } from '../helpers/errors';

interface Img { height: number; width: number; pixels: string }
interface Fixture {
  rgb: Img;
  gray: Img;
  jpeg: Record<string, { quality: number; cv2: string; pillow: string; cv2MeanAbsError: number }>;
  png: Record<string, { ours: string; cv2: string }>;
}
const fx = JSON.parse(readFileSync(join(__dirname, '../fixtures/image-encode/image_encode.json'), 'utf8')) as Fixture;
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

let rgb: mx.NDArray;
let gray: mx.NDArray;
beforeAll(async () => {
  await mx.ready();
  rgb = mx.nd.array(b64(fx.rgb.pixels), { dtype: 'uint8', shape: [fx.rgb.height, fx.rgb.width, 3] });
  gray = mx.nd.array(b64(fx.gray.pixels), { dtype: 'uint8', shape: [fx.gray.height, fx.gray.width] });
});

const pixels = (a: mx.NDArray): Uint8Array => a.dataSync() as Uint8Array;
const meanAbs = (a: Uint8Array, b: Uint8Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
};

/** The concatenated IDAT data of a PNG, inflated: the filtered rows. */
function filteredRows(png: Uint8Array): Uint8Array {
  const parts: number[] = [];
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (let p = 8; p < png.length;) {
    const n = v.getUint32(p);
    if (String.fromCharCode(...png.subarray(p + 4, p + 8)) === 'IDAT') parts.push(...png.subarray(p + 8, p + 8 + n));
    p += 12 + n;
  }
  // Node's zlib (not ours) reads the streams, a second opinion on their validity.
  return new Uint8Array(inflateSync(Buffer.from(parts)));
}

describe('imencode JPEG (cv2.imencode: libjpeg-turbo, 4:2:0, IJG quality)', () => {
  for (const [name, q, src] of [['rgb_q95', 95, 'rgb'], ['rgb_q50', 50, 'rgb'], ['gray_q95', 95, 'gray']] as const) {
    it(`${name}: the bytes cv2 writes`, () => {
      const img = src === 'rgb' ? rgb : gray;
      const ours = mx.image.imencode(img, { quality: q });
      expect(ours).toBeInstanceOf(Uint8Array);
      expect(same(ours, b64(fx.jpeg[name]!.cv2))).toBe(true);
      // Our decoder reads them as Pillow does, and the error is cv2's.
      const back = mx.image.imdecode(ours, { flag: -1 });
      expect(back.shape).toEqual(src === 'rgb' ? [fx.rgb.height, fx.rgb.width, 3] : [fx.gray.height, fx.gray.width, 1]);
      expect(same(pixels(back), b64(fx.jpeg[name]!.pillow))).toBe(true);
      expect(meanAbs(pixels(back), pixels(img))).toBeLessThanOrEqual(fx.jpeg[name]!.cv2MeanAbsError * 1.2 + 1e-9);
    });
  }

  it('lower quality, smaller file and larger error; quality is clamped to 0-100 as OpenCV does', () => {
    const sizes = [10, 50, 75, 95, 100].map((q) => mx.image.imencode(rgb, { quality: q }).length);
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeGreaterThan(sizes[i - 1]!);
    const err = (q: number): number => meanAbs(pixels(mx.image.imdecode(mx.image.imencode(rgb, { quality: q }))), pixels(rgb));
    expect(err(50)).toBeGreaterThan(err(95));
    expect(same(mx.image.imencode(rgb, { quality: 150 }), mx.image.imencode(rgb, { quality: 100 }))).toBe(true);
    expect(same(mx.image.imencode(rgb, { quality: -3 }), mx.image.imencode(rgb, { quality: 0 }))).toBe(true);
    expect(same(mx.image.imencode(rgb), mx.image.imencode(rgb, { format: '.JPEG' as '.jpeg', quality: 95 }))).toBe(true);
  });

  it('bgr: the same file from BGR pixels; gray (H, W, 1) as (H, W); odd sizes decode', () => {
    const bgr = mx.nd.array(pixels(rgb).slice(), { dtype: 'uint8', shape: rgb.shape });
    const p = pixels(bgr);
    for (let i = 0; i < p.length; i += 3) [p[i], p[i + 2]] = [p[i + 2]!, p[i]!];
    const flipped = mx.nd.array(p, { dtype: 'uint8', shape: rgb.shape });
    expect(same(mx.image.imencode(flipped, { bgr: true }), mx.image.imencode(rgb))).toBe(true);
    const g1 = mx.nd.array(pixels(gray), { dtype: 'uint8', shape: [fx.gray.height, fx.gray.width, 1] });
    expect(same(mx.image.imencode(g1), mx.image.imencode(gray))).toBe(true);
    // Sizes that leave partial MCUs and dummy blocks (17x33, 1x1) still decode to their shape.
    for (const [h, w] of [[17, 33], [1, 1], [9, 20]]) {
      const a = mx.nd.array(new Uint8Array(h * w * 3).map((_, i) => (i * 37) & 255), { dtype: 'uint8', shape: [h, w, 3] });
      expect(mx.image.imdecode(mx.image.imencode(a)).shape).toEqual([h, w, 3]);
    }
  });
});

describe('imencode PNG (cv2.imencode: libpng + zlib)', () => {
  for (const [name, src, opts] of [
    ['rgb_default', 'rgb', {}], ['rgb_c9', 'rgb', { compression: 9 }], ['gray_default', 'gray', {}],
  ] as const) {
    it(`${name}: cv2's filter choices, read back exactly by Pillow and by us`, () => {
      const img = src === 'rgb' ? rgb : gray;
      const ours = mx.image.imencode(img, { format: '.png', ...opts });
      // The bytes Pillow and cv2 decoded to the source when the fixture was made.
      expect(same(ours, b64(fx.png[name]!.ours))).toBe(true);
      const cv2 = b64(fx.png[name]!.cv2);
      expect(same(ours.subarray(0, 33), cv2.subarray(0, 33))).toBe(true);  // signature and IHDR
      expect(same(filteredRows(ours), filteredRows(cv2))).toBe(true);
      expect(ours.length).toBeLessThanOrEqual(cv2.length * 1.02);
      const back = mx.image.imdecode(ours, { flag: -1 });
      expect(same(pixels(back), pixels(img))).toBe(true);
    });
  }

  it('every compression level round-trips exactly; 0 stores; higher levels are not larger', () => {
    const big = mx.nd.array(new Uint8Array(40 * 50 * 3).map((_, i) => ((i % 150) >> 2) + ((i / 150) | 0)), { dtype: 'uint8', shape: [40, 50, 3] });
    const sizes: number[] = [];
    for (let c = 0; c <= 9; c++) {
      const b = mx.image.imencode(big, { format: '.png', compression: c });
      expect(same(pixels(mx.image.imdecode(b)), pixels(big))).toBe(true);
      sizes.push(b.length);
    }
    expect(sizes[0]).toBeGreaterThan(40 * 50 * 3);
    expect(sizes[9]).toBeLessThanOrEqual(sizes[1]!);
    expect(sizes[1]).toBeLessThan(sizes[0]! / 2);
    expect(same(mx.image.imencode(big, { format: '.png', compression: 12 }), mx.image.imencode(big, { format: '.png', compression: 9 }))).toBe(true);
    // BGR input gives the RGB file.
    const p = pixels(big).slice();
    for (let i = 0; i < p.length; i += 3) [p[i], p[i + 2]] = [p[i + 2]!, p[i]!];
    const bgr = mx.nd.array(p, { dtype: 'uint8', shape: [40, 50, 3] });
    expect(same(mx.image.imencode(bgr, { format: '.png', bgr: true }), mx.image.imencode(big, { format: '.png' }))).toBe(true);
  });
});

describe('imencode bad input', () => {
  it('refuses other dtypes, shapes and options, naming imencode and the argument', () => {
    const f32 = mx.nd.zeros([4, 4, 3]);
    expectError(() => mx.image.imencode(f32), 'image.imencode', "'img'", 'float32', '(4, 4, 3)');
    expectError(() => mx.image.imencode(mx.nd.zeros([4, 4, 4], { dtype: 'uint8' })), 'image.imencode', '(4, 4, 4)');
    expectError(() => mx.image.imencode(mx.nd.zeros([4, 4, 2], { dtype: 'uint8' })), 'image.imencode', '(4, 4, 2)');
    expectError(() => mx.image.imencode(mx.nd.zeros([12], { dtype: 'uint8' })), 'image.imencode', '(12)');
    expectError(() => mx.image.imencode(mx.nd.zeros([1, 4, 4, 3], { dtype: 'uint8' })), 'image.imencode', '(1, 4, 4, 3)');
    expectError(() => mx.image.imencode(mx.nd.zeros([0, 4, 3], { dtype: 'uint8' })), 'image.imencode', '(0, 4, 3)');
    expectError(() => mx.image.imencode(new Uint8Array(12) as unknown as mx.NDArray), 'image.imencode', "'img'", 'NDArray');
    expectError(() => mx.image.imencode(rgb, { format: '.bmp' as '.png' }), 'image.imencode', "'format'", '.bmp');
    expectError(() => mx.image.imencode(rgb, { quality: 90.5 }), 'image.imencode', "'quality'", '90.5');
    expectError(() => mx.image.imencode(rgb, { format: '.png', compression: '3' as unknown as number }), 'image.imencode', "'compression'");
    expectError(() => mx.image.imencode(rgb, { bgr: 1 as unknown as boolean }), 'image.imencode', "'bgr'");
    expectError(() => mx.image.imencode(rgb, 95 as unknown as mx.image.ImencodeOptions), 'image.imencode', 'options');
  });
});
