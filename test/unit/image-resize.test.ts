// OpenCV's cv::resize in mx.image: every method (nearest, bilinear, bicubic, area, Lanczos) on uint8 images byte
// for byte and on float32 within 1e-4 against cv2 (test/fixtures/image-resize/gen_image_resize.py), MXNet's
// interpolation codes 9 (by the size change) and 10 (random), and bad input.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { expectError } from '../helpers/errors';

interface Img { shape: [number, number, number]; dtype: 'uint8' | 'float32'; data: string }
interface Case { image: string; w: number; h: number; interp: number; out: string }
const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/image-resize/image_resize.json'), 'utf8')) as
  { images: Record<string, Img>; cases: Case[] };

function decode(b64: string, dtype: 'uint8' | 'float32'): number[] {
  const buf = Buffer.from(b64, 'base64');
  const bytes = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  return Array.from(dtype === 'uint8' ? bytes : new Float32Array(bytes.buffer));
}

function image(name: string): mx.NDArray {
  const img = fixture.images[name]!;
  return mx.nd.array(decode(img.data, img.dtype), { shape: img.shape, dtype: img.dtype });
}

const values = (x: mx.NDArray): number[] => Array.from(x.dataSync() as ArrayLike<number>);
const METHODS = ['nearest', 'bilinear', 'bicubic', 'area', 'Lanczos'];

beforeAll(async () => {
  await mx.ready();
});

describe('mx.image.imresize against cv2.resize', () => {
  it('has every method on uint8 and float32 images', () => {
    for (let m = 0; m < 5; m++) {
      for (const dt of ['uint8', 'float32']) {
        expect(fixture.cases.some((c) => c.interp === m && fixture.images[c.image]!.dtype === dt)).toBe(true);
      }
    }
  });
  for (const c of fixture.cases) {
    const img = fixture.images[c.image]!;
    it(`${c.image} -> ${c.w}x${c.h} ${METHODS[c.interp]}`, () => {
      const out = mx.image.imresize(image(c.image), c.w, c.h, c.interp);
      expect(out.shape).toEqual([c.h, c.w, img.shape[2]]);
      expect(out.dtype).toBe(img.dtype);
      const want = decode(c.out, img.dtype);
      if (img.dtype === 'uint8') {
        expect(values(out)).toEqual(want);
      } else {
        const got = values(out);
        got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-4));
      }
    });
  }
});

describe('resize callers and MXNet interpolation codes', () => {
  const ref = (name: string, w: number, h: number, interp: number): number[] => {
    const c = fixture.cases.find((k) => k.image === name && k.w === w && k.h === h && k.interp === interp)!;
    return decode(c.out, fixture.images[name]!.dtype);
  };

  it('gluon Resize and mx.image fixedCrop run the same kernels', () => {
    const x = image('rgb13x9');
    expect(values(new mx.gluon.data.vision.transforms.Resize([18, 26], false, 2).forward(x))).toEqual(ref('rgb13x9', 18, 26, 2));
    // A batch resizes image by image.
    const batch = mx.nd.stack(x, x);
    const out = new mx.gluon.data.vision.transforms.Resize([4, 6], false, 1).forward(batch);
    expect(out.shape).toEqual([2, 6, 4, 3]);
    expect(values(out)).toEqual([...ref('rgb13x9', 4, 6, 1), ...ref('rgb13x9', 4, 6, 1)]);
    expect(values(mx.image.fixedCrop(x, 0, 0, 9, 13, [5, 30], 4))).toEqual(ref('rgb13x9', 5, 30, 4));
    expect(values(mx.image.fixedCrop(x, 0, 0, 9, 13, [3, 13], 3))).toEqual(ref('rgb13x9', 3, 13, 3));
  });

  it('9 picks bicubic to enlarge both sides, area to shrink both, bilinear otherwise', () => {
    const x = image('rgb13x9');
    expect(values(mx.image.imresize(x, 18, 26, 9))).toEqual(ref('rgb13x9', 18, 26, 2));
    expect(values(mx.image.imresize(x, 4, 6, 9))).toEqual(ref('rgb13x9', 4, 6, 3));
    expect(values(mx.image.imresize(x, 5, 30, 9))).toEqual(ref('rgb13x9', 5, 30, 1));
    expect(values(mx.image.fixedCrop(x, 0, 0, 9, 13, [4, 6], 9))).toEqual(ref('rgb13x9', 4, 6, 3));
    // ResizeAug shrinks the short side 9 -> 4 (both sides shrink: area).
    const small = new mx.image.ResizeAug(4, 9).call(x);
    expect(small.shape).toEqual([5, 4, 3]);
    expect(values(small)).toEqual(values(mx.image.imresize(x, 4, 5, 3)));
  });

  it('10 picks each of the five methods at random', () => {
    const x = image('gray7x5');
    const outs = [0, 1, 2, 3, 4].map((m) => JSON.stringify(ref('gray7x5', 8, 6, m)));
    expect(new Set(outs).size).toBe(5);
    mx.random.seed(7);
    const seen = new Set<number>();
    for (let t = 0; t < 60; t++) {
      const m = outs.indexOf(JSON.stringify(values(mx.image.imresize(x, 8, 6, 10))));
      expect(m).toBeGreaterThanOrEqual(0);
      seen.add(m);
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses bad codes and sizes, naming the function and the argument', () => {
    const x = image('gray7x5');
    expectError(() => mx.image.imresize(x, 4, 4, 5), 'image.imresize', "'interp'", '4 (Lanczos)', 'got 5');
    expectError(() => mx.image.imresize(x, 4, 4, 1.5), 'image.imresize', "'interp'");
    expectError(() => mx.image.resizeShort(x, 4, -1), 'image.resizeShort', "'interp'");
    expectError(() => mx.image.imresize(x, 0, 4), 'image.imresize', 'w must be a positive integer');
    expectError(() => new mx.image.ForceResizeAug([4, 4], 6), 'image.ForceResizeAug', "'interp'");
    expectError(() => mx.image.imresize(mx.nd.zeros([0, 3, 1], { dtype: 'uint8' }), 4, 4, 3), 'image.imresize', 'empty image');
  });
});
