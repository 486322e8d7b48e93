// gluon.data.vision: the transforms against NumPy references (test/fixtures/gluon-data/gen_gluon_data.py:
// ToTensor, Normalize, Resize nearest/bilinear/bicubic, CenterCrop, CropResize, Cast), the random
// transforms' properties, Compose, bad input, and MNIST/FashionMNIST reading the tiny IDX fixture
// (gzipped training pair, raw test pair) alone and through DataLoader workers.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';

const { nd, gluon } = mx;
const { vision } = gluon.data;
const { transforms } = vision;
type Arr = any;

const dir = fileURLToPath(new URL('../fixtures/gluon-data/', import.meta.url));
const fixture = JSON.parse(readFileSync(`${dir}gluon-data.json`, 'utf8'));
const mnistDir = `${dir}mnist`;

beforeAll(async () => {
  await mx.ready();
  announceBackend('gluon-vision');
});

interface Enc { shape: number[]; dtype: string; data: number[] }
const fromEnc = (e: Enc): Arr => nd.array(e.data, { dtype: e.dtype as Arr, shape: e.shape });
const vals = (a: Arr): number[] => Array.from(a.dataSync() as ArrayLike<number>, Number);

function make(t: string, args: Arr[]): Arr {
  switch (t) {
    case 'ToTensor': return new transforms.ToTensor();
    case 'Normalize': return new transforms.Normalize(args[0], args[1]);
    case 'Resize': return new transforms.Resize(args[0], args[1], args[2]);
    case 'CenterCrop': return new transforms.CenterCrop(args[0], args[1]);
    case 'CropResize': return new transforms.CropResize(args[0], args[1], args[2], args[3], args[4], args[5]);
    case 'Cast': return new transforms.Cast(args[0]);
    default: throw new Error(t);
  }
}

describe('vision transforms vs NumPy', () => {
  for (const c of fixture.transforms as Array<{ name: string; t: string; args: Arr[]; x: Enc; y: Enc }>) {
    it(c.name, () => {
      const y = make(c.t, c.args).forward(fromEnc(c.x));
      expect(y.shape).toEqual(c.y.shape);
      expect(y.dtype).toBe(c.y.dtype);
      const got = vals(y);
      if (c.y.dtype === 'float32') {
        got.forEach((v, i) => expect(Math.abs(v - c.y.data[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(c.y.data[i]!))));
      } else {
        expect(got).toEqual(c.y.data);
      }
    });
  }
});

describe('Compose and random transforms', () => {
  const img = () => nd.random.uniform({ low: 0, high: 255, shape: [6, 6, 3] }).astype('uint8');

  it('Compose applies in order (functions too) and keeps the context', () => {
    const x = img();
    const c = new transforms.Compose([new transforms.ToTensor(), (t: Arr) => t.mul(2), new transforms.Normalize(0.5, 0.25)]);
    const a = c.forward(x);
    const b = new transforms.Normalize(0.5, 0.25).forward(new transforms.ToTensor().forward(x).mul(2));
    expect(vals(a)).toEqual(vals(b));
    expect(a.context.toString()).toBe(x.context.toString());
    expect(c.length).toBe(3);
    expect(() => new transforms.Compose([3 as Arr])).toThrow(/transform 0 is neither a function nor has forward/);
  });

  it('RandomFlipLeftRight / TopBottom give the image or its mirror, both over many draws, repeatably', () => {
    const x = img();
    const xs = vals(x);
    const mirror = (axis: 'w' | 'h'): number[] => {
      const out: number[] = [];
      for (let y = 0; y < 6; y++) for (let w = 0; w < 6; w++) for (let c = 0; c < 3; c++) {
        const sy = axis === 'h' ? 5 - y : y, sw = axis === 'w' ? 5 - w : w;
        out.push(xs[(sy * 6 + sw) * 3 + c]!);
      }
      return out;
    };
    for (const [T, axis] of [[transforms.RandomFlipLeftRight, 'w'], [transforms.RandomFlipTopBottom, 'h']] as const) {
      const t = new T();
      mx.random.seed(3);
      const kinds = Array.from({ length: 24 }, () => {
        const v = vals(t.forward(x));
        if (JSON.stringify(v) === JSON.stringify(xs)) return 'same';
        expect(v).toEqual(mirror(axis));
        return 'mirror';
      });
      expect(new Set(kinds).size).toBe(2);
      mx.random.seed(3);
      const again = Array.from({ length: 24 }, () => (JSON.stringify(vals(t.forward(x))) === JSON.stringify(xs) ? 'same' : 'mirror'));
      expect(again).toEqual(kinds);
    }
  });

  it('RandomBrightness scales by one factor in [1-b, 1+b]; RandomContrast blends with the gray mean', () => {
    const x = nd.random.uniform({ low: 1, high: 2, shape: [4, 5, 3] });
    const xs = vals(x);
    for (let k = 0; k < 5; k++) {
      const y = vals(new transforms.RandomBrightness(0.4).forward(x));
      const alpha = y[0]! / xs[0]!;
      expect(alpha).toBeGreaterThanOrEqual(0.6 - 1e-6);
      expect(alpha).toBeLessThanOrEqual(1.4 + 1e-6);
      y.forEach((v, i) => expect(v).toBeCloseTo(xs[i]! * alpha, 5));
    }
    let gray = 0;
    for (let p = 0; p < 20; p++) gray += 0.299 * xs[3 * p]! + 0.587 * xs[3 * p + 1]! + 0.114 * xs[3 * p + 2]!;
    gray /= 20;
    for (let k = 0; k < 5; k++) {
      const y = vals(new transforms.RandomContrast(0.5).forward(x));
      // y = a x + (1 - a) gray: a from two pixels
      const a = (y[0]! - y[1]!) / (xs[0]! - xs[1]!);
      expect(a).toBeGreaterThanOrEqual(0.5 - 1e-4);
      expect(a).toBeLessThanOrEqual(1.5 + 1e-4);
      y.forEach((v, i) => expect(v).toBeCloseTo(a * xs[i]! + (1 - a) * gray, 4));
    }
    // uint8 saturates at 255 instead of wrapping
    const bright = new transforms.RandomBrightness(0);
    expect(vals(bright.forward(nd.array([[[250]]], { dtype: 'uint8' })))).toEqual([250]);
  });

  it('RandomResizedCrop: the whole image when scale and ratio are 1, else a random crop of the right size', () => {
    const x = img();
    const full = new transforms.RandomResizedCrop([4, 3], { scale: [1, 1], ratio: [1, 1] }).forward(x);
    expect(vals(full)).toEqual(vals(new transforms.Resize([4, 3]).forward(x)));
    const t = new transforms.RandomResizedCrop(5);
    mx.random.seed(9);
    const a = Array.from({ length: 6 }, () => vals(t.forward(x)));
    mx.random.seed(9);
    const b = Array.from({ length: 6 }, () => vals(t.forward(x)));
    expect(b).toEqual(a);
    expect(t.forward(x).shape).toEqual([5, 5, 3]);
    expect(new Set(a.map((v) => JSON.stringify(v))).size).toBeGreaterThan(1);
  });

  it('names the transform, the argument and the shape on bad input', () => {
    expect(() => new transforms.ToTensor().forward(nd.zeros([4, 4]))).toThrow(/ToTensor: expected an image \(H, W, C\) or a batch \(N, H, W, C\), got shape \(4, 4\)/);
    expect(() => new transforms.Normalize([0.5, 0.5], [1, 1]).forward(nd.zeros([3, 2, 2])))
      .toThrow(/Normalize: mean has 2 values but the image has 3 channels/);
    expect(() => new transforms.Normalize(0, 1).forward(nd.zeros([3, 2, 2], { dtype: 'uint8' }))).toThrow(/Normalize: expects float input/);
    expect(() => new transforms.Resize(0)).toThrow(/Resize: size must be a positive integer/);
    expect(() => new transforms.Resize(4, false, 5)).toThrow(/Resize: interpolation 5 is not supported/);
    expect(() => new transforms.CropResize(5, 0, 4, 4).forward(nd.zeros([6, 6, 1])))
      .toThrow(/CropResize: region x=5 y=0 width=4 height=4 is outside the image of width 6 and height 6/);
    expect(() => new transforms.RandomContrast(0.1).forward(nd.zeros([2, 2, 2]))).toThrow(/RandomContrast: expected an image \(H, W, 1\) or \(H, W, 3\)/);
    expect(() => new transforms.ToTensor().forward([1, 2] as Arr)).toThrow(/ToTensor: expected an NDArray image/);
  });
});

describe('MNIST and FashionMNIST', () => {
  it('read the four IDX files (gzipped or not) from a folder', () => {
    for (const [train, ref] of [[true, fixture.mnist.train], [false, fixture.mnist.test]] as const) {
      const ds = new vision.MNIST({ root: mnistDir, train });
      expect(ds.length).toBe(ref.labels.length);
      const [x, y] = ds.at(1);
      expect(x.shape).toEqual([8, 6, 1]);
      expect(x.dtype).toBe('uint8');
      expect(vals(x)).toEqual(ref.images.slice(48, 96));
      expect(y).toBe(ref.labels[1]);
      const labels = [...ds].map((s: Arr) => s[1]);
      expect(labels).toEqual(ref.labels);
    }
    const f = new vision.FashionMNIST({ root: mnistDir, train: false });
    expect(f.length).toBe(4);
  });

  it('take bytes, apply transform(data, label), and say where the files go when missing', () => {
    const images = readFileSync(`${mnistDir}/t10k-images-idx3-ubyte`);
    const labels = readFileSync(`${mnistDir}/t10k-labels-idx1-ubyte`);
    const ds = new vision.MNIST({ images, labels, transform: (d: Arr, l: number) => [d.astype('float32').div(255), l + 100] });
    const [x, y] = ds.at(0);
    expect(x.dtype).toBe('float32');
    expect(vals(x)[0]).toBeCloseTo(fixture.mnist.test.images[0] / 255, 6);
    expect(y).toBe(fixture.mnist.test.labels[0] + 100);
    expect(() => new vision.MNIST({ root: `${dir}nowhere` }))
      .toThrow(/MNIST: train-images-idx3-ubyte.gz \(or train-images-idx3-ubyte\) not found in .*nowhere\. isotensor downloads nothing at run time: put the four IDX files/);
    expect(() => new vision.FashionMNIST({ root: `${dir}nowhere`, train: false })).toThrow(/FashionMNIST: t10k-images-idx3-ubyte.gz/);
    expect(() => new vision.MNIST({ images, labels: images })).toThrow(/expected images \(N, rows, cols\) and labels \(N\), got \(4, 8, 6\) and \(4, 8, 6\)/);
    expect(() => new vision.MNIST({ images: new Uint8Array([1, 2, 3, 4]), labels })).toThrow(/not an IDX file/);
  });

  it('MNIST.load reads a folder without blocking callers', async () => {
    const ds = await vision.MNIST.load({ root: mnistDir, train: false });
    expect(ds.length).toBe(4);
    expect(ds).toBeInstanceOf(vision.MNIST);
  });

  it('batches through DataLoader: labels int32, workers equal to the calling thread', async () => {
    const ds = new vision.MNIST({ root: mnistDir }).transformFirst(new transforms.Compose([
      new transforms.RandomFlipLeftRight(), new transforms.ToTensor(), new transforms.Normalize(0.1307, 0.3081),
    ]));
    const here = new gluon.data.DataLoader(ds, { batchSize: 4, shuffle: true });
    const workers = new gluon.data.DataLoader(ds, { batchSize: 4, shuffle: true, numWorkers: 2 });
    const run = async (l: Arr) => {
      const out: unknown[] = [];
      for await (const [x, y] of l) out.push([x.shape, x.dtype, vals(x), y.dtype, vals(y)]);
      return out;
    };
    try {
      mx.random.seed(4);
      const a = await run(here);
      mx.random.seed(4);
      expect(await run(workers)).toEqual(a);
      expect(workers.usingWorkers).toBe(true);
      expect((a[0] as Arr)[0]).toEqual([4, 1, 8, 6]);
      expect((a[0] as Arr)[3]).toBe('int32');
      expect(a.flatMap((b: Arr) => b[4]).sort()).toEqual([...fixture.mnist.train.labels].sort());
    } finally {
      workers.close();
    }
    // without a transform: whole batches at once, the same samples as reading them one by one
    const plain = new vision.MNIST({ root: mnistDir });
    const batches: number[][] = [];
    for (const [x, y] of new gluon.data.DataLoader(plain, { batchSize: 6 })) {
      expect(x.dtype).toBe('uint8');
      batches.push(vals(y));
      if (batches.length === 1) expect(vals(x)).toEqual(fixture.mnist.train.images.slice(0, 6 * 48));
    }
    expect(batches).toEqual([fixture.mnist.train.labels.slice(0, 6), fixture.mnist.train.labels.slice(6)]);
  });
});
