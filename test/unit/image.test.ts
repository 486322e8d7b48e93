// mx.image: PNG, BMP, PNM and TIFF files decoded as Pillow decodes them (test/fixtures/image/
// gen_image_cases.py: color types, palettes, 1-bit, stored/LZW/Deflate/PackBits data, alpha dropped),
// imdecode's flags as cv2.imdecode gives them (gen_opencv_cases.py: gray and unchanged per codec), the
// RGB/BGR/gray layouts, imread, and bad input. JPEG has its own spec (image-jpeg.test.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { convertPixels, decodeImage } from '../../ts/image/decode';
import { expectError } from '../helpers/errors';

const DIR = join(__dirname, '../fixtures/image/formats');
interface Case { file: string; pixels: string; width: number; height: number; channels: 1 | 3 }
const cases = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as Case[];
const bytes = (f: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, f)));

beforeAll(async () => {
  await mx.ready();
});

describe('mx.image.imdecode against Pillow', () => {
  // OpenCV (so imdecode) multiplies a TIFF's unassociated alpha into its color; Pillow's reading (ONNX's
  // ImageDecoder) drops it: the opencv cases check imdecode on such files.
  const PILLOW_ONLY = new Set(['tiff_rgba.tif']);
  it('has the cases', () => expect(cases.length).toBeGreaterThanOrEqual(20));
  for (const c of cases) {
    it(c.file, () => {
      if (PILLOW_ONLY.has(c.file)) {
        expect(Buffer.from(convertPixels(decodeImage(bytes(c.file)), 'RGB')).equals(Buffer.from(bytes(c.pixels)))).toBe(true);
        return;
      }
      const img = mx.image.imdecode(bytes(c.file), { flag: c.channels === 1 ? 0 : 1 });
      expect(img.dtype).toBe('uint8');
      expect(img.shape).toEqual([c.height, c.width, c.channels]);
      expect(Buffer.from(img.dataSync() as Uint8Array).equals(Buffer.from(bytes(c.pixels)))).toBe(true);
    });
  }
});

describe('mx.image.imdecode flags as cv2.imdecode (MXNet decodes with OpenCV)', () => {
  const CV = join(__dirname, '../fixtures/image/opencv');
  interface CvCase { file: string; flag: -1 | 0 | 1; shape: number[] }
  const cvCases = JSON.parse(readFileSync(join(CV, 'manifest.json'), 'utf8')) as CvCase[];
  const cvBytes = (f: string): Uint8Array => new Uint8Array(readFileSync(join(CV, f)));
  const decode = (f: string, flag: -1 | 0 | 1): mx.NDArray => mx.image.imdecode(cvBytes(f), { flag, toRgb: false });

  it('has the cases', () => expect(cvCases.length).toBeGreaterThanOrEqual(20));
  for (const c of cvCases) {
    it(`${c.file} flag ${c.flag}`, () => {
      const img = decode(c.file, c.flag);
      expect(img.shape).toEqual(c.shape);
      expect(Buffer.from(img.dataSync() as Uint8Array).equals(Buffer.from(cvBytes(`${c.file}.${c.flag}.raw`)))).toBe(true);
    });
  }

  it('JPEG gray is the Y plane, not a luma of the decoded RGB; sRGB PNG gray goes through libpng\'s gamma', () => {
    // The cases above would pass with the old conversions if the fixtures did not tell them apart.
    const luma = (f: string): number[] => {
      const c = decode(f, 1).dataSync() as Uint8Array;
      return Array.from({ length: c.length / 3 }, (_, i) => (c[3 * i + 2]! * 19595 + c[3 * i + 1]! * 38470 + c[3 * i]! * 7471 + 0x8000) >>> 16);
    };
    const y = Array.from(decode('jpeg_420.jpg', 0).dataSync() as Uint8Array);
    expect(y.filter((v, i) => v !== luma('jpeg_420.jpg')[i]).length).toBeGreaterThan(20);
    const plain = luma('png_srgb.png');
    expect(Array.from(decode('png_srgb.png', 0).dataSync() as Uint8Array).filter((v, i) => Math.abs(v - plain[i]!) > 5).length).toBeGreaterThan(5);
  });

  it('TIFF alpha: imdecode multiplies unassociated alpha in as libtiff does, (c * a + 127) / 255; Pillow\'s reading keeps the color', () => {
    const stored = decodeImage(cvBytes('tiff_rgba_unassoc.tif'));
    const bgra = decode('tiff_rgba_unassoc.tif', -1).dataSync() as Uint8Array;
    expect(stored.channels).toBe(4);
    const s = stored.data;
    for (let i = 0; i < s.length; i += 4) {
      const a = s[i + 3]!;
      expect([bgra[i], bgra[i + 1], bgra[i + 2], bgra[i + 3]]).toEqual([2, 1, 0].map((c) => Math.floor((s[i + c]! * a + 127) / 255)).concat(a));
    }
    // Pillow's reading of a 32-bit BI_BITFIELDS BMP stays RGB with the bytes as B, G, R (ONNX's ImageDecoder).
    expect(decodeImage(cvBytes('bmp_bitfields_v5_10bit.bmp')).channels).toBe(3);
    // cv2 keeps 16 bits for -1 (uint16), which imdecode's uint8 cannot.
    expectError(() => decode('tiff_rgb16.tif', -1), 'image.decode', '16 bits per sample with flag -1');
  });

  it('-1 keeps alpha in RGBA order with toRgb; 1 drops it; 0 ignores it', () => {
    const rgba = mx.image.imdecode(cvBytes('png_rgba.png'), { flag: -1 }).dataSync() as Uint8Array;
    const bgra = decode('png_rgba.png', -1).dataSync() as Uint8Array;
    expect(rgba.length).toBe(6 * 8 * 4);
    for (let i = 0; i < rgba.length; i += 4) expect([rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]]).toEqual([bgra[i + 2], bgra[i + 1], bgra[i], bgra[i + 3]]);
    const rgb = mx.image.imdecode(cvBytes('png_rgba.png')).dataSync() as Uint8Array;
    expect(Array.from(rgb)).toEqual(Array.from(rgba).filter((_, i) => i % 4 !== 3));
    expect(mx.image.imdecode(cvBytes('jpeg_gray.jpg'), { flag: -1 }).shape).toEqual([7, 9, 1]);
    expect(mx.image.imdecode(bytes('png_rgb.png'), { flag: -1 }).shape).toEqual([7, 13, 3]);
  });
});

describe('mx.image layouts and sources', () => {
  it('BGR reverses the channels; gray from a color PNG is libpng\'s rgb_to_gray (OpenCV\'s)', () => {
    const rgb = mx.image.imdecode(bytes('png_rgb.png')).dataSync() as Uint8Array;
    const bgr = mx.image.imdecode(bytes('png_rgb.png'), { toRgb: false }).dataSync() as Uint8Array;
    for (let i = 0; i < rgb.length; i += 3) expect([bgr[i], bgr[i + 1], bgr[i + 2]]).toEqual([rgb[i + 2], rgb[i + 1], rgb[i]]);
    const gray = mx.image.imdecode(bytes('png_rgb.png'), { flag: 0 }).dataSync() as Uint8Array;
    for (let i = 0; i < gray.length; i++) expect(gray[i]).toBe((rgb[3 * i]! * 9797 + rgb[3 * i + 1]! * 19234 + rgb[3 * i + 2]! * 3737) >>> 15);
    // A gray file as color repeats the gray value.
    const g3 = mx.image.imdecode(bytes('png_gray.png')).dataSync() as Uint8Array;
    expect([g3[0], g3[1], g3[2]]).toEqual([g3[0], g3[0], g3[0]]);
  });

  it('takes an ArrayBuffer or a uint8 NDArray, and reads files', async () => {
    const b = bytes('bmp_rgb.bmp');
    const want = Array.from(mx.image.imdecode(b).dataSync() as Uint8Array);
    expect(Array.from(mx.image.imdecode(b.slice().buffer).dataSync() as Uint8Array)).toEqual(want);
    expect(Array.from(mx.image.imdecode(mx.nd.array(b, { dtype: 'uint8' })).dataSync() as Uint8Array)).toEqual(want);
    expect(Array.from(mx.image.imreadSync(join(DIR, 'bmp_rgb.bmp')).dataSync() as Uint8Array)).toEqual(want);
    expect(Array.from((await mx.image.imread(join(DIR, 'bmp_rgb.bmp'))).dataSync() as Uint8Array)).toEqual(want);
    expect(mx.image.imageFormat(b)).toBe('BMP');
    expect(mx.image.imageFormat(bytes('tiff_lzw.tif'))).toBe('TIFF');
  });
});

describe('mx.image transforms (MXNet image.imresize, resize_short, fixed_crop, center_crop, color_normalize)', () => {
  const img = (): mx.NDArray => mx.image.imdecode(bytes('png_rgb.png'));  // 13 x 7

  it('imresize gives what gluon transforms.Resize gives', () => {
    const { transforms } = mx.gluon.data.vision;
    for (const interp of [0, 1, 2]) {
      const a = mx.image.imresize(img(), 20, 9, interp);
      expect(a.shape).toEqual([9, 20, 3]);
      expect(a.dtype).toBe('uint8');
      const b = new transforms.Resize([20, 9], { interpolation: interp }).forward(img());
      expect(Array.from(a.dataSync() as Uint8Array)).toEqual(Array.from(b.dataSync() as Uint8Array));
    }
  });

  it('resizeShort keeps the aspect ratio; scaleDown and centerCrop follow MXNet', () => {
    expect(mx.image.resizeShort(img(), 14).shape).toEqual([14, 26, 3]);
    expect(mx.image.scaleDown([13, 7], [10, 10])).toEqual([7, 7]);
    expect(mx.image.scaleDown([13, 7], [4, 3])).toEqual([4, 3]);
    const [out, region] = mx.image.centerCrop(img(), [4, 3]);
    expect(region).toEqual([4, 2, 4, 3]);
    expect(out.shape).toEqual([3, 4, 3]);
    // No resize when the crop has the asked size: the pixels are the region's.
    const src = img().dataSync() as Uint8Array;
    const got = out.dataSync() as Uint8Array;
    for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) for (let c = 0; c < 3; c++) {
      expect(got[(y * 4 + x) * 3 + c]).toBe(src[((y + 2) * 13 + x + 4) * 3 + c]);
    }
    expect(mx.image.fixedCrop(img(), 1, 1, 5, 4, [10, 8]).shape).toEqual([8, 10, 3]);
  });

  it('colorNormalize subtracts the mean and divides by std per channel', () => {
    const x = mx.nd.array([[[10, 20, 30]]], { dtype: 'uint8' });
    const y = mx.image.colorNormalize(x, [1, 2, 3], [3, 3, 3]);
    expect(Array.from(y.dataSync() as Float32Array)).toEqual([3, 6, 9]);
    expect(Array.from(mx.image.colorNormalize(x, 10).dataSync() as Float32Array)).toEqual([0, 10, 20]);
  });
});

describe('mx.image bad input', () => {
  it('names the problem, never hangs, and the library keeps working', () => {
    expectError(() => mx.image.imdecode(new Uint8Array([1, 2, 3, 4, 5])), 'image.decode', 'not a JPEG, PNG');
    const png = bytes('png_rgb.png');
    expectError(() => mx.image.imdecode(png.subarray(0, 60)), 'image.decode', 'PNG');
    // A zlib stream whose header is not deflate's.
    const badZlib = png.slice();
    const idat = Buffer.from(png).indexOf('IDAT');
    badZlib[idat + 4] = 0x00;
    expectError(() => mx.image.imdecode(badZlib), 'image.decode', 'zlib header');
    expectError(() => mx.image.imdecode(bytes('tiff_rgb.tif').subarray(0, 40)), 'image.decode', 'TIFF');
    expectError(() => mx.image.imdecode(bytes('bmp_rgb.bmp').subarray(0, 100)), 'image.decode', 'BMP');
    const ascii = (t: string): Uint8Array => Uint8Array.from(t, (ch) => ch.charCodeAt(0));
    expectError(() => mx.image.imdecode(ascii('RIFF\x10\x00\x00\x00WEBPVP8 ')), 'image.decode', 'bad WebP (truncated');
    expectError(() => mx.image.imdecode(ascii('GIF89a\x01\x00\x01\x00')), 'image.decode', 'GIF images are not supported');
    expectError(() => mx.image.imdecode(png, { flag: 2 as never }), 'imdecode', 'flag');
    expectError(() => mx.image.imdecode(mx.nd.zeros([4])), 'imdecode', 'float32');
    expectError(() => mx.image.imresize(mx.nd.zeros([4, 4]), 2, 2), 'imresize', 'image (H, W, C)');
    expectError(() => mx.image.imresize(mx.image.imdecode(png), 0, 2), 'imresize', 'w must be a positive integer');
    expectError(() => mx.image.fixedCrop(mx.image.imdecode(png), 10, 0, 5, 5), 'fixedCrop', 'outside the image');
    expect(mx.image.imdecode(png).shape).toEqual([7, 13, 3]);
  });
});
