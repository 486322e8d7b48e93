// The seed's NDArray sections (python-overview.md: Creation through Automatic Parallelization),
// translated 1:1 to the TS API with the seed's printed values. GPU examples run on a GPU when this
// run has one; otherwise on cpu(0), printing why the GPU-specific assertion is skipped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, gpuOrCpu, here } from '../helpers/backend';

const { nd } = mx;
let tmp = '';

beforeAll(async () => {
  await mx.ready();
  announceBackend('seed-ndarray');
  tmp = mkdtempSync(join(tmpdir(), 'isotensor-seed-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const filled = (v: number) => [[v, v, v], [v, v, v]];

describe('Creation and Initialization', () => {
  it('creates a 2-by-3 matrix on cpu and on gpu 0 / gpu 2 (>>> a = mx.nd.empty((2, 3)) ...)', () => {
    const a = nd.empty([2, 3]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.context.toString()).toBe(here());
    const g0 = gpuOrCpu(0, 'mx.nd.empty((2, 3), mx.gpu())');
    const b = nd.empty([2, 3], g0);
    expect(b.context.equals(g0)).toBe(true);
    const g2 = gpuOrCpu(2, 'mx.nd.empty((2, 3), mx.gpu(2))');
    const c = nd.empty([2, 3], g2);
    expect(c.shape).toEqual([2, 3]); // (2L, 3L)
    expect(c.context.toString()).toBe(g2.toString()); // gpu(2)
    if (mx.numGpus() > 2) expect(c.context.toString()).toBe('gpu(2)');
    if (mx.numGpus() <= 2) {
      // Without that device the allocation fails with a message naming what is missing.
      expect(() => nd.empty([2, 3], mx.gpu(2))).toThrow(mx.IsotensorError);
      expect(() => nd.empty([2, 3], mx.gpu(2))).toThrow(/gpu\(2\) is not available: .*(WebAssembly|without CUDA|no CUDA device 2)/);
    }
    for (const x of [a, b, c]) x.dispose();
  });

  it('initializes with zeros, ones and b[:] = 2', () => {
    const a = nd.zeros([2, 3]);
    const b = nd.ones([2, 3]);
    expect(a.toArraySync()).toEqual(filled(0));
    expect(b.toArraySync()).toEqual(filled(1));
    b.set(2); // b[:] = 2
    expect(b.toArraySync()).toEqual(filled(2));
  });

  it('copies from cpu to gpu (a.copyto(b))', () => {
    const a = nd.ones([2, 3]);
    const b = nd.zeros([2, 3], gpuOrCpu(0, 'a.copyto(b) with b on mx.gpu()'));
    const r = a.copyto(b);
    expect(r).toBe(b);
    expect(b.toArraySync()).toEqual(filled(1));
  });

  it('converts to host arrays (a.asnumpy()) and prints them', () => {
    const a = nd.ones([2, 3]);
    const b = a.toArraySync();
    expect(Array.isArray(b)).toBe(true);
    expect(b).toEqual(filled(1));
    expect(a.dataSync()).toBeInstanceOf(Float32Array);
    // print b → [[ 1. 1. 1.] [ 1. 1. 1.]] (numpy >= 1.14 prints no sign space)
    expect(a.toString()).toBe(`\n[[1. 1. 1.]\n [1. 1. 1.]]\n<NDArray 2x3 @${here()}>`);
  });

  it('assigns host data (a[:] = np.random.uniform(-0.1, 0.1, a.shape))', () => {
    const a = nd.empty([2, 3]);
    const values = [[-0.06821112, -0.03704893, 0.06688045], [0.09947646, -0.07700162, 0.07681718]];
    a.set(values);
    const got = a.toArraySync() as number[][];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expect(got[i]![j]).toBeCloseTo(values[i]![j]!, 7);
    expect(a.toString()).toBe('\n[[-0.06821112 -0.03704893  0.06688045]\n [ 0.09947646 -0.07700162  0.07681718]]' +
                              `\n<NDArray 2x3 @${here()}>`);
    // The same with isotensor's own sampler.
    a.set(nd.random.uniform({ low: -0.1, high: 0.1, shape: a.shape }));
    for (const v of a.dataSync()) {
      expect(v).toBeGreaterThanOrEqual(-0.1);
      expect(v).toBeLessThan(0.1);
    }
  });
});

describe('Basic Operations: element-wise', () => {
  it('computes a * b and a + b (a = ones * 2, b = ones * 4)', () => {
    const a = nd.ones([2, 3]).mul(2);
    const b = nd.ones([2, 3]).mul(4);
    expect(b.toArraySync()).toEqual(filled(4));
    const c = a.add(b);
    expect(c.toArraySync()).toEqual(filled(6));
    const d = a.mul(b);
    expect(d.toArraySync()).toEqual(filled(8));
    expect(String(d)).toBe(`\n[[8. 8. 8.]\n [8. 8. 8.]]\n<NDArray 2x3 @${here()}>`);
  });

  it('moves arrays to one device before combining them (c = a.copyto(mx.gpu()) * b)', () => {
    const g = gpuOrCpu(0, 'c = a.copyto(mx.gpu()) * b');
    const a = nd.ones([2, 3]).mul(2);
    const b = nd.ones([2, 3], g).mul(3);
    const c = a.copyto(g).mul(b);
    expect(c.context.equals(g)).toBe(true);
    expect(c.toArraySync()).toEqual(filled(6));
  });
});

describe('Load and Save', () => {
  it('round-trips one array through bytes (pickle.dumps / pickle.loads)', () => {
    const a = nd.ones([2, 3]).mul(2);
    const data = nd.serialize([a]);
    expect(data).toBeInstanceOf(Uint8Array);
    const [b] = nd.deserialize<mx.NDArray[]>(data);
    expect(b!.toArraySync()).toEqual(filled(2));
  });

  it('saves and loads a list (mx.nd.save(\'mydata.bin\', [a, b]))', async () => {
    const a = nd.ones([2, 3]).mul(2);
    const b = nd.ones([2, 3]).mul(3);
    const path = join(tmp, 'mydata.bin');
    await nd.save(path, [a, b]);
    const c = await nd.load<mx.NDArray[]>(path);
    expect(c[0]!.toArraySync()).toEqual(filled(2));
    expect(c[1]!.toArraySync()).toEqual(filled(3));
  });

  it('saves and loads a dict (mx.nd.save(\'mydata.bin\', {\'a\': a, \'b\': b}))', async () => {
    const a = nd.ones([2, 3]).mul(2);
    const b = nd.ones([2, 3]).mul(3);
    const path = join(tmp, 'mydata-dict.bin');
    await nd.save(path, { a, b });
    const c = await nd.load<Record<string, mx.NDArray>>(path);
    expect(c['a']!.toArraySync()).toEqual(filled(2));
    expect(c['b']!.toArraySync()).toEqual(filled(3));
    const s = nd.loadSync<Record<string, mx.NDArray>>(path);
    expect(Object.keys(s)).toEqual(['a', 'b']);
  });

  it('points s3:// and hdfs:// users to serialize (mx.nd.save(\'s3://mybucket/mydata.bin\', [a, b]))', async () => {
    const a = nd.ones([2, 3]);
    await expect(nd.save('s3://mybucket/mydata.bin', [a])).rejects.toThrow(/s3:\/\/.*nd\.serialize/);
    await expect(nd.save('hdfs:///users/myname/mydata.bin', [a])).rejects.toThrow(mx.IsotensorError);
  });
});

describe('Automatic Parallelization', () => {
  it('orders a += 1; b *= 3 (b is a) and runs c *= 3 on the copy independently', () => {
    const a = nd.ones([2, 3]);
    const b = a;
    const c = a.copyto(mx.cpu());
    a.iadd(1);
    b.imul(3);
    c.imul(3);
    expect(a.toArraySync()).toEqual(filled(6)); // (1 + 1) * 3
    expect(b.toArraySync()).toEqual(filled(6));
    expect(c.toArraySync()).toEqual(filled(3));
  });

  it('returns from every call at once and finishes at a read or mx.waitAll()', async () => {
    const a = nd.ones([512, 512]);
    for (let i = 0; i < 10; i++) a.iadd(1);
    mx.waitAll();
    expect(a.dataSync()[0]).toBe(11);
    const b = a.mul(2);
    await mx.waitAllAsync();
    expect(await b.scalar().catch(() => 'not a scalar')).toBe('not a scalar');
    expect((await b.data())[511 * 512]).toBe(22);
  });
});
