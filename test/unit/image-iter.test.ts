// Record datasets and MXNet's Python image iterator: gluon.data.RecordFileDataset, vision.ImageRecordDataset,
// mx.image.ImageIter, CreateAugmenter and the augmenters, against NumPy/OpenCV references written by
// test/fixtures/image-iter/gen_image_iter.py (tiny .rec/.idx files of PNG images, an image list).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { expectError } from '../helpers/errors';

const DIR = join(__dirname, '../fixtures/image-iter');
const REC = join(DIR, 'single.rec');
const IDX = join(DIR, 'single.idx');
const MULTI = join(DIR, 'multi.rec');
interface Manifest {
  sizes: [number, number][];
  pixels0: number[];
  crops: number[][];
  normalized: number[][];
  hue0: number[];
  gray: number[];
  resize_f32_cubic_5x4: number[];
  resize_u8_linear_13x11: number[];
  record0_head: number[];
  record0_len: number;
}
const M = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as Manifest;
const { ImageIter } = mx.image;

beforeAll(async () => {
  await mx.ready();
});

const values = (a: mx.NDArray): number[] => Array.from(a.dataSync() as ArrayLike<number>, Number);
/** Image 0 (8 x 10, RGB) as a uint8 NDArray. */
const img0 = (): mx.NDArray => mx.nd.array(Uint8Array.from(M.pixels0), { dtype: 'uint8', shape: [8, 10, 3] });
/** Crop i (6 x 6) as an (H, W, C) uint8 NDArray. */
const crop = (i: number): mx.NDArray => mx.nd.array(Uint8Array.from(M.crops[i]!), { dtype: 'uint8', shape: [3, 6, 6] }).transpose([1, 2, 0]);
const sixBySix = (): mx.image.Augmenter[] => [new mx.image.CenterCropAug([6, 6]), new mx.image.CastAug()];

function expectClose(got: number[], want: number[], tol: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  expect(worst).toBeLessThanOrEqual(tol);
}

function epoch(it: mx.io.DataIter): mx.io.DataBatch[] {
  return [...it];
}

describe('gluon.data.RecordFileDataset and vision.ImageRecordDataset', () => {
  it('RecordFileDataset: the .idx next to the .rec gives the length; items are the raw records', () => {
    const ds = new mx.gluon.data.RecordFileDataset(REC);
    expect(ds.length).toBe(5);
    const r0 = ds.at(0) as Uint8Array;
    expect(r0).toBeInstanceOf(Uint8Array);
    expect(r0.length).toBe(M.record0_len);
    expect(Array.from(r0.subarray(0, 24))).toEqual(M.record0_head);
    // Bytes in memory: the .idx is given too.
    const mem = new mx.gluon.data.RecordFileDataset(new Uint8Array(readFileSync(REC)), new Uint8Array(readFileSync(IDX)));
    expect(Array.from(mem.at(4) as Uint8Array)).toEqual(Array.from(ds.at(4) as Uint8Array));
  });

  it('ImageRecordDataset: (H, W, 3) uint8 RGB images and the header labels', () => {
    const ds = new mx.gluon.data.vision.ImageRecordDataset(REC);
    expect(ds.length).toBe(5);
    for (let i = 0; i < 5; i++) {
      const [img, label] = ds.at(i) as [mx.NDArray, number];
      expect(img.dtype).toBe('uint8');
      expect(img.shape).toEqual([...M.sizes[i]!, 3]);
      expect(label).toBe(i);
    }
    expect(values((ds.at(0) as [mx.NDArray])[0])).toEqual(M.pixels0);
    const gray = (ds.at(0) as [mx.NDArray])[0];
    const g = new mx.gluon.data.vision.ImageRecordDataset(REC, { flag: 0 }).at(0)[0] as mx.NDArray;
    expect(g.shape).toEqual([8, 10, 1]);
    // ITU-R 601 luma of the RGB pixels (OpenCV and Pillow round it within one step).
    const rgb = values(gray), gv = values(g);
    for (let p = 0; p < 80; p++) expect(Math.abs(gv[p]! - (0.299 * rgb[3 * p]! + 0.587 * rgb[3 * p + 1]! + 0.114 * rgb[3 * p + 2]!))).toBeLessThanOrEqual(1);
  });

  it('ImageRecordDataset: several labels come as a float32 NDArray; transform and transformFirst', () => {
    const ds = new mx.gluon.data.vision.ImageRecordDataset(MULTI);
    const [, label] = ds.at(2) as [mx.NDArray, mx.NDArray];
    expect(label).toBeInstanceOf(mx.NDArray);
    expect(label.dtype).toBe('float32');
    expect(values(label)).toEqual([2, 12]);
    const t = new mx.gluon.data.vision.ImageRecordDataset(REC, { transform: (img: mx.NDArray, y: number) => [img.shape[0], y * 10] });
    expect(t.at(3)).toEqual([6, 30]);
    const first = new mx.gluon.data.vision.ImageRecordDataset(REC).transformFirst(new mx.gluon.data.vision.transforms.ToTensor());
    const [x, y] = first.at(1) as [mx.NDArray, number];
    expect(x.shape).toEqual([3, 7, 6]);
    expect(y).toBe(1);
  });

  it('a DataLoader batches it, with or without workers (records are read on the calling thread)', async () => {
    const ds = new mx.gluon.data.vision.ImageRecordDataset(REC)
      .transformFirst(new mx.gluon.data.vision.transforms.Compose([
        new mx.gluon.data.vision.transforms.CenterCrop(6), new mx.gluon.data.vision.transforms.ToTensor()]));
    // Batches are disposed when the loop moves on (autoDispose): read them inside it.
    const plain: number[][][] = [];
    for (const [x, y] of new mx.gluon.data.DataLoader(ds, { batchSize: 2 }) as Iterable<[mx.NDArray, mx.NDArray]>) {
      expect(x.shape).toEqual([y.shape[0], 3, 6, 6]);
      plain.push([values(x), values(y)]);
    }
    expect(plain.length).toBe(3);
    expect(plain.map((b) => b[1])).toEqual([[0, 1], [2, 3], [4]]);
    expect(plain[0]![0]!.slice(0, 4)).toEqual(M.crops[0]!.slice(0, 4).map((v) => Math.fround(v / 255)));
    const warn = console.warn;
    console.warn = () => {};
    try {
      const loader = new mx.gluon.data.DataLoader(ds, { batchSize: 2, numWorkers: 2 });
      const batches: number[][][] = [];
      for await (const [x, y] of loader as AsyncIterable<[mx.NDArray, mx.NDArray]>) batches.push([values(x), values(y)]);
      loader.close();
      expect(batches).toEqual(plain);
    } finally {
      console.warn = warn;
    }
  });

  it('refuses bad input', () => {
    const ds = new mx.gluon.data.RecordFileDataset(REC);
    expectError(() => ds.at(5), 'RecordFileDataset.at', 'out of range');
    expectError(() => ds.at(-1), 'out of range');
    expectError(() => new mx.gluon.data.RecordFileDataset(42 as never), 'RecordFileDataset', "'filename'");
    expectError(() => new mx.gluon.data.RecordFileDataset(new Uint8Array(readFileSync(REC))), 'RecordFileDataset', '.idx');
    expectError(() => new mx.gluon.data.RecordFileDataset(join(DIR, 'missing.rec')), 'missing');
    expectError(() => new mx.gluon.data.vision.ImageRecordDataset(REC, { flag: 2 as never }), 'ImageRecordDataset', "'flag'");
    // A record whose payload is no image.
    const w = new mx.recordio.MXIndexedRecordIO(null, null, 'w');
    w.writeIdx(0, mx.recordio.pack({ flag: 0, label: 1, id: 0, id2: 0 }, new TextEncoder().encode('not an image')));
    const bad = new mx.gluon.data.vision.ImageRecordDataset(w.bytes(), { idxFile: w.idxBytes() });
    expectError(() => bad.at(0), 'ImageRecordDataset', 'record 0');
  });
});

describe('mx.image augmenters: deterministic paths against NumPy / OpenCV', () => {
  it('CenterCropAug + CastAug + ColorNormalizeAug', () => {
    const src = mx.nd.array(Uint8Array.from(M.pixels0), { dtype: 'uint8', shape: [8, 10, 3] });
    const cropped = new mx.image.CenterCropAug([6, 6]).call(src);
    expect(cropped.dtype).toBe('uint8');
    expect(values(cropped.transpose([2, 0, 1]))).toEqual(M.crops[0]);
    const cast = new mx.image.CastAug().call(cropped);
    expect(cast.dtype).toBe('float32');
    const norm = new mx.image.ColorNormalizeAug([123.68, 116.28, 103.53], [58.395, 57.12, 57.375]).call(cast);
    expect(values(norm.transpose([2, 0, 1]))).toEqual(M.normalized[0]!.map(Math.fround));
    // mean only, and an NDArray std.
    const m = new mx.image.ColorNormalizeAug(100, null).call(cast);
    expect(values(m)).toEqual(values(cast).map((v) => v - 100));
    const s = new mx.image.ColorNormalizeAug(null, mx.nd.array([2, 4, 8])).call(cast);
    expect(values(s)).toEqual(values(cast).map((v, i) => Math.fround(v / [2, 4, 8][i % 3]!)));
  });

  it('ForceResizeAug runs OpenCV resize arithmetic (float exact to rounding; uint8 byte for byte)', () => {
    const f = new mx.image.ForceResizeAug([5, 4]).call(img0().astype('float32'));
    expect(f.shape).toEqual([4, 5, 3]);
    expectClose(values(f), M.resize_f32_cubic_5x4, 1e-3);
    const u = new mx.image.ForceResizeAug([13, 11], 1).call(img0());
    expect(u.shape).toEqual([11, 13, 3]);
    expect(u.dtype).toBe('uint8');
    expect(values(u)).toEqual(M.resize_u8_linear_13x11);
    // ResizeAug: shorter side to size, aspect kept (MXNet's integer division).
    expect(new mx.image.ResizeAug(4).call(img0()).shape).toEqual([4, 5, 3]);
    expect(new mx.image.ResizeAug(12).call(img0()).shape).toEqual([12, 15, 3]);
  });

  it('HorizontalFlipAug(1) mirrors, (0) keeps; RandomGrayAug(1) and HueJitterAug(0) are matrix products', () => {
    const x = img0();
    const flipped = values(new mx.image.HorizontalFlipAug(1).call(x));
    const src = M.pixels0;
    for (let y = 0; y < 8; y++) for (let xx = 0; xx < 10; xx++) for (let c = 0; c < 3; c++) {
      expect(flipped[(y * 10 + xx) * 3 + c]).toBe(src[(y * 10 + 9 - xx) * 3 + c]);
    }
    expect(values(new mx.image.HorizontalFlipAug(0).call(x))).toEqual(src);
    const f = crop(0).astype('float32');
    expectClose(values(new mx.image.RandomGrayAug(1).call(f)), M.gray, 1e-3);
    expect(values(new mx.image.RandomGrayAug(0).call(f))).toEqual(values(f));
    expectClose(values(new mx.image.HueJitterAug(0).call(f)), M.hue0, 1e-3);
    expect(values(new mx.image.LightingAug(0, [55.46, 4.794, 1.148], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]).call(f))).toEqual(values(f));
  });

  it('the jitter augmenters follow their formulas for the factor they drew', () => {
    const f = crop(1).astype('float32');
    const src = values(f);
    const b = values(new mx.image.BrightnessJitterAug(0.3).call(f));
    const alpha = b[0]! / src[0]!;
    expect(alpha).toBeGreaterThanOrEqual(0.7 - 1e-6);
    expect(alpha).toBeLessThanOrEqual(1.3 + 1e-6);
    expectClose(b, src.map((v) => Math.fround(v * alpha)), 1e-3);
    // Contrast: alpha * x + (1 - alpha) * mean luma, the same offset everywhere.
    const luma = (i: number): number => 0.299 * src[3 * i]! + 0.587 * src[3 * i + 1]! + 0.114 * src[3 * i + 2]!;
    let meanLuma = 0;
    for (let p = 0; p < 36; p++) meanLuma += luma(p) / 36;
    const c = values(new mx.image.ContrastJitterAug(0.5).call(f));
    const i0 = src.findIndex((v) => v !== src[0]);
    const ca = (c[i0]! - c[0]!) / (src[i0]! - src[0]!);
    expect(ca).toBeGreaterThanOrEqual(0.5 - 1e-4);
    expect(ca).toBeLessThanOrEqual(1.5 + 1e-4);
    expectClose(c, src.map((v) => ca * v + (1 - ca) * meanLuma), 2e-3);
    // Saturation: per pixel alpha * x + (1 - alpha) * luma.
    const s = values(new mx.image.SaturationJitterAug(0.5).call(f));
    const sa = (s[i0]! - s[0]! - (luma(Math.floor(i0 / 3)) - luma(0))) / (src[i0]! - src[0]! - (luma(Math.floor(i0 / 3)) - luma(0)));
    expectClose(s, src.map((v, i) => sa * v + (1 - sa) * luma(Math.floor(i / 3))), 2e-3);
    // ColorJitterAug holds the non-zero ones, in a random order.
    const cj = new mx.image.ColorJitterAug(0.1, 0, 0.2);
    expect(cj.ts.map((t) => JSON.parse(t.dumps())[0]).sort()).toEqual(['brightnessjitteraug', 'saturationjitteraug']);
    expect(cj.call(f).shape).toEqual([6, 6, 3]);
    // uint8 input: computed in float32 and cast back.
    expect(new mx.image.BrightnessJitterAug(0.2).call(crop(1)).dtype).toBe('uint8');
  });

  it('LightingAug adds eigvec · (alpha · eigval) with alpha ~ N(0, alphastd)', () => {
    mx.random.seed(3);
    const aug = new mx.image.LightingAug(0.5, [1, 1, 1], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    const one = mx.nd.zeros([1, 1, 3]);
    const draws: number[] = [];
    for (let i = 0; i < 60; i++) draws.push(...values(aug.call(one)));
    const mean = draws.reduce((a, v) => a + v, 0) / draws.length;
    const sd = Math.sqrt(draws.reduce((a, v) => a + (v - mean) ** 2, 0) / draws.length);
    expect(Math.abs(mean)).toBeLessThan(0.2);
    expect(sd).toBeGreaterThan(0.35);
    expect(sd).toBeLessThan(0.65);
  });

  it('random crops: regions inside the image, pixels of that region, reproducible with mx.random.seed', () => {
    const x = img0();
    const src = M.pixels0;
    const seen = new Set<string>();
    mx.random.seed(11);
    const first: number[][] = [];
    for (let k = 0; k < 12; k++) {
      const [out, [x0, y0, w, h]] = mx.image.randomCrop(x, [4, 3]);
      expect([w, h]).toEqual([4, 3]);
      expect(x0 >= 0 && x0 <= 6 && y0 >= 0 && y0 <= 5).toBe(true);
      const v = values(out);
      for (let yy = 0; yy < 3; yy++) for (let xx = 0; xx < 4; xx++) for (let c = 0; c < 3; c++) {
        expect(v[(yy * 4 + xx) * 3 + c]).toBe(src[((y0 + yy) * 10 + x0 + xx) * 3 + c]);
      }
      seen.add(`${x0},${y0}`);
      first.push([x0, y0]);
    }
    expect(seen.size).toBeGreaterThan(3);
    mx.random.seed(11);
    for (let k = 0; k < 12; k++) expect(mx.image.randomCrop(x, [4, 3])[1].slice(0, 2)).toEqual(first[k]);
    // Larger than the image: scaled down to fit, then resized up.
    const [big, rect] = mx.image.randomCrop(x, [20, 4]);
    expect(big.shape).toEqual([4, 20, 3]);
    expect(rect).toEqual([0, rect[1], 10, 2]);
    for (let k = 0; k < 10; k++) {
      const [o, [x0, y0, w, h]] = mx.image.randomSizeCrop(x, [5, 5], [0.3, 1], [0.5, 2]);
      expect(o.shape).toEqual([5, 5, 3]);
      expect(x0 + w <= 10 && y0 + h <= 8 && x0 >= 0 && y0 >= 0).toBe(true);
    }
    expect(new mx.image.RandomSizedCropAug([3, 3], 0.08, [3 / 4, 4 / 3]).call(x).shape).toEqual([3, 3, 3]);
    expect(new mx.image.RandomCropAug([3, 2]).call(x).shape).toEqual([2, 3, 3]);
  });

  it('SequentialAug, RandomOrderAug, dumps and user augmenters', () => {
    const seq = new mx.image.SequentialAug([new mx.image.CenterCropAug([6, 6]), new mx.image.CastAug()]);
    expect(values(seq.call(img0()).transpose([2, 0, 1]))).toEqual(M.crops[0]);
    expect(JSON.parse(new mx.image.ResizeAug(4).dumps())).toEqual(['resizeaug', { size: 4, interp: 2 }]);
    expect(JSON.parse(seq.dumps())).toEqual(['sequentialaug', [JSON.stringify(['centercropaug', { size: [6, 6], interp: 2 }]),
                                                                JSON.stringify(['castaug', { type: 'float32' }])]]);
    mx.random.seed(5);
    const order = new mx.image.RandomOrderAug([new mx.image.CastAug(), new mx.image.HorizontalFlipAug(1), new mx.image.RandomGrayAug(1)]);
    const names = new Set<string>();
    for (let k = 0; k < 8; k++) {
      order.call(crop(0));
      names.add(order.ts.map((t) => t.constructor.name).join());
    }
    expect(names.size).toBeGreaterThan(1);
    class Invert extends mx.image.Augmenter {
      constructor() { super('invert'); }
      call(src: mx.NDArray): mx.NDArray { return src.astype('float32').mul(-1).add(255); }
    }
    expect(values(new Invert().call(crop(0))).slice(0, 3)).toEqual(values(crop(0)).slice(0, 3).map((v) => 255 - v));
    expect(new Invert().dumps()).toBe('["invert",{}]');
  });

  it('CreateAugmenter builds MXNet\'s list', () => {
    const names = (a: mx.image.Augmenter[]): string[] => a.map((t) => JSON.parse(t.dumps())[0] as string);
    expect(names(mx.image.CreateAugmenter([3, 6, 6]))).toEqual(['centercropaug', 'castaug']);
    const all = mx.image.CreateAugmenter([3, 6, 8], {
      resize: 10, randCrop: true, randResize: true, randMirror: true, mean: true, std: true, brightness: 0.1,
      contrast: 0.1, saturation: 0.1, hue: 0.1, pcaNoise: 0.1, randGray: 0.1, interMethod: 1,
    });
    expect(names(all)).toEqual(['resizeaug', 'randomsizedcropaug', 'horizontalflipaug', 'castaug', 'colorjitteraug',
                                'huejitteraug', 'lightingaug', 'randomgrayaug', 'colornormalizeaug']);
    expect((all[1] as mx.image.RandomSizedCropAug).size).toEqual([8, 6]);
    expect((all[8] as mx.image.ColorNormalizeAug).mean).toEqual([123.68, 116.28, 103.53]);
    expect(names(mx.image.CreateAugmenter([3, 4, 4], { rand_crop: true } as never))).toEqual(['randomcropaug', 'castaug']);
    expectError(() => mx.image.CreateAugmenter([3, 4, 4], { randResize: true }), 'CreateAugmenter', 'randCrop');
    expectError(() => mx.image.CreateAugmenter([3, 4, 4], { brightnes: 0.1 } as never), 'CreateAugmenter', "unknown option 'brightnes'");
    expectError(() => mx.image.CreateAugmenter([3, 4], {}), 'CreateAugmenter', "'dataShape'");
    expectError(() => mx.image.CreateAugmenter([3, 4, 4], { mean: [1, 2] }), 'CreateAugmenter', "'mean'");
    expectError(() => mx.image.CreateAugmenter([3, 4, 4], { interMethod: 5 }), 'CreateAugmenter', 'interMethod', '3 (area), 4 (Lanczos)');
  });

  it('refuses bad augmenter arguments and images', () => {
    expectError(() => new mx.image.ResizeAug(0), 'ResizeAug', "'size'");
    expectError(() => new mx.image.CenterCropAug([4] as never), 'CenterCropAug', "'size'");
    expectError(() => new mx.image.RandomSizedCropAug([4, 4], 0, [1, 1]), 'RandomSizedCropAug', "'area'");
    expectError(() => new mx.image.RandomSizedCropAug([4, 4], 0.5, [2, 1]), 'RandomSizedCropAug', "'ratio'");
    expectError(() => new mx.image.BrightnessJitterAug(-1), 'BrightnessJitterAug', "'brightness'");
    expectError(() => new mx.image.HorizontalFlipAug('x' as never), 'HorizontalFlipAug', "'p'");
    expectError(() => new mx.image.LightingAug(0.1, [1, 2], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]), 'LightingAug', "'eigval'");
    expectError(() => new mx.image.CastAug('float7'), 'CastAug');
    expectError(() => new mx.image.SequentialAug([1] as never), 'SequentialAug', "'ts'");
    expectError(() => new mx.image.CenterCropAug([2, 2]).call(mx.nd.zeros([4, 4])), 'CenterCropAug', '(H, W, C)');
    expectError(() => new mx.image.HueJitterAug(0.1).call(mx.nd.zeros([2, 2, 1])), 'HueJitterAug', '3 channels');
    expectError(() => new mx.image.ColorNormalizeAug([1, 2], null).call(mx.nd.zeros([2, 2, 3])), 'ColorNormalizeAug', 'channels');
    expectError(() => mx.image.randomCrop('img' as never, [2, 2]), 'randomCrop', "'src'");
  });
});

describe('mx.image.ImageIter', () => {
  const cropOnly = { augList: sixBySix() };
  /** Crop i as CHW float values. */
  const crops = (...ids: number[]): number[] => ids.flatMap((i) => M.crops[i]!);

  it('reads a .rec with its .idx: batches, labels, pad, provideData/provideLabel, reset', () => {
    const it = new ImageIter(2, [3, 6, 6], { pathImgrec: REC, pathImgidx: IDX, ...cropOnly });
    expect(it.provideData.map(String)).toEqual(['DataDesc[data,(2, 3, 6, 6),float32,NCHW]']);
    expect(it.provideLabel.map(String)).toEqual(['DataDesc[softmax_label,(2,),float32,NCHW]']);
    for (let round = 0; round < 2; round++) {
      const bs = epoch(it);
      expect(bs.length).toBe(3);
      expect(bs[0]!.data[0]!.shape).toEqual([2, 3, 6, 6]);
      expect(bs[0]!.data[0]!.dtype).toBe('float32');
      expect(values(bs[0]!.data[0]!)).toEqual(crops(0, 1));
      expect(values(bs[1]!.data[0]!)).toEqual(crops(2, 3));
      // The last batch is filled from the start.
      expect(values(bs[2]!.data[0]!)).toEqual(crops(4, 0));
      expect(bs.map((b) => values(b.label![0]!))).toEqual([[0, 1], [2, 3], [4, 0]]);
      expect(bs.map((b) => b.pad)).toEqual([0, 0, 1]);
      expect(it.nextBatch()).toBeNull();
      it.reset();
    }
  });

  it('reads a .rec sequentially without its .idx, and from bytes', () => {
    const seq = epoch(new ImageIter(2, [3, 6, 6], { pathImgrec: REC, ...cropOnly }));
    expect(seq.map((b) => values(b.label![0]!))).toEqual([[0, 1], [2, 3], [4, 0]]);
    expect(values(seq[2]!.data[0]!)).toEqual(crops(4, 0));
    const mem = epoch(new ImageIter(5, [3, 6, 6], { pathImgrec: new Uint8Array(readFileSync(REC)), ...cropOnly }));
    expect(values(mem[0]!.data[0]!)).toEqual(crops(0, 1, 2, 3, 4));
  });

  it('the default augmenters (center crop, cast, ImageNet mean/std) match NumPy', () => {
    const it = new ImageIter(2, [3, 6, 6], { path_imgrec: REC, path_imgidx: IDX, mean: true, std: true } as never);
    const b = it.nextBatch()!;
    expect(values(b.data[0]!)).toEqual([...M.normalized[0]!, ...M.normalized[1]!].map(Math.fround));
  });

  it('lastBatchHandle discard and roll_over (with MXNet\'s pad values)', () => {
    const d = new ImageIter(2, [3, 6, 6], { pathImgrec: REC, pathImgidx: IDX, lastBatchHandle: 'discard', ...cropOnly });
    expect(epoch(d).map((b) => values(b.label![0]!))).toEqual([[0, 1], [2, 3]]);
    d.reset();
    expect(epoch(d).length).toBe(2);
    const r = new ImageIter(2, [3, 6, 6], { pathImgrec: REC, pathImgidx: IDX, lastBatchHandle: 'roll_over', ...cropOnly });
    expect(epoch(r).map((b) => values(b.label![0]!))).toEqual([[0, 1], [2, 3]]);
    r.reset();
    const e2 = epoch(r);
    expect(e2.map((b) => values(b.label![0]!))).toEqual([[4, 0], [1, 2], [3, 4]]);
    expect(e2.map((b) => b.pad)).toEqual([1, 0, 0]);
    expect(values(e2[0]!.data[0]!)).toEqual(crops(4, 0));
    r.reset();
    expect(epoch(r).map((b) => values(b.label![0]!))).toEqual([[0, 1], [2, 3]]);
    r.hardReset();
    expect(epoch(r).map((b) => values(b.label![0]!))).toEqual([[0, 1], [2, 3]]);
  });

  it('labelWidth > 1 from multi-label records, and partitions', () => {
    const it = new ImageIter(2, [3, 6, 6], { pathImgrec: MULTI, labelWidth: 2, ...cropOnly });
    expect(it.provideLabel[0]!.shape).toEqual([2, 2]);
    const bs = epoch(it);
    expect(bs[0]!.label![0]!.shape).toEqual([2, 2]);
    expect(bs.map((b) => values(b.label![0]!))).toEqual([[0, 10, 1, 11], [2, 12, 0, 10]]);
    const part = new ImageIter(2, [3, 6, 6], { pathImgrec: REC, pathImgidx: IDX, numParts: 2, partIndex: 1, ...cropOnly });
    expect(part.seq).toEqual([2, 3]);
    expect(epoch(part).map((b) => values(b.label![0]!))).toEqual([[2, 3]]);
    expectError(() => epoch(new ImageIter(2, [3, 6, 6], { pathImgrec: MULTI, ...cropOnly })), 'ImageIter', 'labelWidth is 1');
  });

  it('reads image lists (a .lst file or imglist) under pathRoot', () => {
    const lst = new ImageIter(3, [3, 6, 6], { pathImglist: join(DIR, 'list.lst'), pathRoot: DIR, labelWidth: 2, ...cropOnly });
    const [b] = epoch(lst);
    expect(values(b!.data[0]!)).toEqual(crops(0, 1, 2));
    expect(values(b!.label![0]!)).toEqual([0, 1, 2, 3, 4, 5]);
    const list = new ImageIter(2, [3, 6, 6], {
      imglist: [[7, 'imgs/img2.png'], [[8], 'imgs/img0.png'], [9, 'imgs/img1.png']], pathRoot: DIR, ...cropOnly,
    });
    const bs = epoch(list);
    expect(bs.map((x) => values(x.label![0]!))).toEqual([[7, 8], [9, 7]]);
    expect(values(bs[0]!.data[0]!)).toEqual(crops(2, 0));
    const multi = new ImageIter(1, [3, 6, 6], { imglist: [[1, 2, 'imgs/img1.png']], pathRoot: DIR, labelWidth: 2, ...cropOnly });
    expect(values(multi.nextBatch()!.label![0]!)).toEqual([1, 2]);
  });

  it('shuffles and augments reproducibly with mx.random.seed', () => {
    const make = (): mx.image.ImageIter => new ImageIter(2, [3, 4, 4], {
      pathImgrec: REC, pathImgidx: IDX, shuffle: true, randCrop: true, randMirror: true, brightness: 0.2,
    });
    const run = (seed: number): number[][] => {
      mx.random.seed(seed);
      const it = make();
      const out = [...epoch(it), ...(it.reset(), epoch(it))].flatMap((b) => [values(b.data[0]!), values(b.label![0]!)]);
      return out;
    };
    const a = run(1), b = run(1), c = run(2);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // Every image shows up once per epoch (and once more as padding).
    mx.random.seed(1);
    const labels = epoch(make()).flatMap((x) => values(x.label![0]!));
    expect(new Set(labels.slice(0, 5)).size).toBe(5);
  });

  it('user augmenters and overridden steps run on NDArrays and give the same batches', () => {
    const center = new mx.image.CenterCropAug([6, 6]);
    class MyCrop extends mx.image.Augmenter {
      call(src: mx.NDArray): mx.NDArray { return center.call(src); }
    }
    const it = new ImageIter(5, [3, 6, 6], { pathImgrec: REC, augList: [new MyCrop(), new mx.image.CastAug()] });
    expect(values(it.nextBatch()!.data[0]!)).toEqual(crops(0, 1, 2, 3, 4));
    class Doubled extends ImageIter {
      override postprocessData(datum: mx.NDArray): mx.NDArray { return super.postprocessData(datum).mul(2); }
    }
    const d = new Doubled(2, [3, 6, 6], { pathImgrec: REC, ...cropOnly });
    expect(values(d.nextBatch()!.data[0]!)).toEqual(crops(0, 1).map((v) => 2 * v));
  });

  it('refuses bad input', () => {
    expectError(() => new ImageIter(2, [3, 6, 6], {}), 'ImageIter', 'pathImgrec');
    expectError(() => new ImageIter(0, [3, 6, 6], { pathImgrec: REC }), 'ImageIter', "'batchSize'");
    expectError(() => new ImageIter(2, [1, 6, 6], { pathImgrec: REC }), 'ImageIter', '3 channels');
    expectError(() => new ImageIter(2, [3, 6], { pathImgrec: REC }), 'ImageIter', "'dataShape'");
    expectError(() => new ImageIter(2, [3, 6, 6], { pathImgrec: REC, shuffle: true }), 'ImageIter', 'pathImgidx');
    expectError(() => new ImageIter(2, [3, 6, 6], { pathImgrec: REC, pathImgidx: IDX, partIndex: 2, numParts: 2 }), 'ImageIter', 'partIndex');
    expectError(() => new ImageIter(2, [3, 6, 6], { pathImgrec: REC, lastBatchHandle: 'keep' as never }), 'ImageIter', 'lastBatchHandle');
    expectError(() => new ImageIter(2, [3, 6, 6], { pathImgrec: REC, batch_size: 3 } as never), 'ImageIter', "unknown option 'batch_size'");
    expectError(() => new ImageIter(2, [3, 6, 6], { pathImgrec: REC, augList: [1] } as never), 'ImageIter', "'augList'");
    expectError(() => new ImageIter(2, [3, 6, 6], { pathImgrec: REC, augList: [], resize: 4 }), 'ImageIter', 'augList');
    expectError(() => new ImageIter(2, [3, 6, 6], { pathImgrec: join(DIR, 'nope.rec') }), 'nope.rec');
    // Augmenters that do not make the data shape.
    expectError(() => new ImageIter(2, [3, 6, 6], { pathImgrec: REC, augList: [new mx.image.CastAug()] }).nextBatch(),
                'ImageIter', '(8, 10, 3)', 'dataShape');
    // A record that is no image.
    const w = new mx.recordio.MXRecordIO(null, 'w');
    w.write(mx.recordio.pack({ flag: 0, label: 1, id: 0, id2: 0 }, new TextEncoder().encode('no image here')));
    expectError(() => new ImageIter(1, [3, 6, 6], { pathImgrec: w.bytes() }).nextBatch(), 'ImageIter', 'broken image');
  });
});
