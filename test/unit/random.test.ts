// Random ops on Philox 4x32-10: one seed gives the same numbers on every backend and thread
// count (checked against a Python reference of the stream in test/fixtures/reduce.json).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';

const { nd } = mx;
beforeAll(() => mx.ready());

const philox = (JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/reduce.json', import.meta.url)), 'utf8')) as {
  philox: { key42_uniform_float32: number[]; key42_normal_float32: number[] };
}).philox;

function stats(a: ArrayLike<number>): { mean: number; variance: number; min: number; max: number } {
  let s = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < a.length; i++) { s += a[i]!; min = Math.min(min, a[i]!); max = Math.max(max, a[i]!); }
  const mean = s / a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i]! - mean) ** 2;
  return { mean, variance: v / (a.length - 1), min, max };
}

describe('seeding', () => {
  it('reproduces the Philox reference stream after mx.random.seed(42)', () => {
    mx.random.seed(42);
    const u = nd.random.uniform({ low: 0, high: 1, shape: [8] });
    expect(Array.from(u.dataSync())).toEqual(philox.key42_uniform_float32);
    mx.random.seed(42);
    const n = Array.from(nd.random.normal({ shape: [8] }).dataSync());
    n.forEach((v, i) => expect(Math.abs(v - philox.key42_normal_float32[i]!)).toBeLessThanOrEqual(1e-6));
  });

  it('gives the same numbers twice for the same seed, and new numbers on the next call', () => {
    mx.random.seed(7);
    const a = Array.from(nd.random.uniform({ low: -1, high: 1, shape: [100] }).dataSync());
    const a2 = Array.from(nd.random.uniform({ low: -1, high: 1, shape: [100] }).dataSync());
    mx.random.seed(7);
    const b = Array.from(nd.random.uniform({ low: -1, high: 1, shape: [100] }).dataSync());
    expect(b).toEqual(a);
    expect(a2).not.toEqual(a);
    mx.random.seed(8);
    expect(Array.from(nd.random.uniform({ low: -1, high: 1, shape: [100] }).dataSync())).not.toEqual(a);
  });

  it('continues one stream across calls: two draws of 4 equal one draw of 8', () => {
    mx.random.seed(3);
    const first = Array.from(nd.random.uniform({ shape: [4] }).dataSync());
    const second = Array.from(nd.random.uniform({ shape: [4] }).dataSync());
    mx.random.seed(3);
    expect(Array.from(nd.random.uniform({ shape: [8] }).dataSync())).toEqual([...first, ...second]);
  });

  // The CPU draws uniform, normal and exponential samples 64 elements at a time (ops/random/sampler_lanes.h):
  // element i's value must not depend on where those runs start or end.
  it('uniform, normal and exponential values depend only on the element, not on the length of the draw', () => {
    const draws: Array<[string, (n: number) => mx.NDArray]> = [
      ['normal float32', (n) => nd.random.normal(0.5, 2, [n])],
      ['normal float64', (n) => nd.random.normal(0, 1, [n], { dtype: 'float64' })],
      ['normal float16', (n) => nd.random.normal(0, 1, [n], { dtype: 'float16' })],
      ['exponential float32', (n) => nd.random.exponential(0.75, [n])],
      ['uniform float32', (n) => nd.random.uniform(-1, 3, [n])],
      ['uniform float64', (n) => nd.random.uniform(0, 1, [n], { dtype: 'float64' })],
      // Array-valued parameters (_sample_normal, _sample_exponential), one of each: element i of the output.
      ['normal, array parameters', (n) => nd.random.normal(nd.array([5]), nd.array([0.5]), [n]).reshape(-1)],
      ['exponential, array parameters', (n) => nd.random.exponential(nd.array([2]), [n]).reshape(-1)],
    ];
    for (const [name, draw] of draws) {
      mx.random.seed(11);
      const long = Array.from(draw(200).dataSync());
      expect(long.every(Number.isFinite), name).toBe(true);
      for (const n of [1, 5, 63, 64, 65, 130]) {
        mx.random.seed(11);
        expect(Array.from(draw(n).dataSync()), `${name} of ${n}`).toEqual(long.slice(0, n));
      }
      // Two draws continue the stream: the second starts mid-run.
      mx.random.seed(11);
      const first = Array.from(draw(37).dataSync());
      expect([...first, ...Array.from(draw(100).dataSync())], `${name} 37 + 100`).toEqual(long.slice(0, 137));
    }
  });
});

describe('distributions', () => {
  it('uniform stays in [low, high) with the right moments', () => {
    mx.random.seed(1);
    const s = stats(nd.random.uniform({ low: 2, high: 5, shape: [100000] }).dataSync());
    expect(s.min).toBeGreaterThanOrEqual(2);
    expect(s.max).toBeLessThan(5);
    expect(Math.abs(s.mean - 3.5)).toBeLessThan(0.02);
    expect(Math.abs(s.variance - 0.75)).toBeLessThan(0.02);
  });

  it('normal has mean loc and standard deviation scale, in float32 and float64', () => {
    mx.random.seed(2);
    for (const dtype of ['float32', 'float64'] as const) {
      const x = nd.random.normal({ loc: -1, scale: 3, shape: [100000], dtype });
      expect(x.dtype).toBe(dtype);
      const s = stats(x.dataSync() as Float32Array | Float64Array);
      expect(Math.abs(s.mean + 1)).toBeLessThan(0.05);
      expect(Math.abs(Math.sqrt(s.variance) - 3)).toBeLessThan(0.05);
    }
  });

  it('randint draws int32 from [low, high) evenly, int64 on request', () => {
    mx.random.seed(4);
    const r = nd.random.randint({ low: -2, high: 3, shape: [50000] });
    expect(r.dtype).toBe('int32');
    const counts = new Map<number, number>();
    for (const v of r.dataSync() as Int32Array) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2]);
    for (const c of counts.values()) expect(Math.abs(c - 10000)).toBeLessThan(500);
    const big = nd.random.randint({ low: 0, high: 2 ** 40, shape: [10], dtype: 'int64' });
    expect(big.dtype).toBe('int64');
    expect(big.shape).toEqual([10]);
  });

  it('exposes the other samplers under their MXNet names', () => {
    mx.random.seed(5);
    const e = stats(nd._random_exponential({ lam: 2, shape: [100000] }).dataSync());
    expect(Math.abs(e.mean - 0.5)).toBeLessThan(0.01);
    const g = stats(nd._random_gamma({ alpha: 4, beta: 0.5, shape: [100000] }).dataSync());
    expect(Math.abs(g.mean - 2)).toBeLessThan(0.03);
    const p = stats(nd._random_poisson({ lam: 20, shape: [100000] }).dataSync());
    expect(Math.abs(p.mean - 20)).toBeLessThan(0.2);
    expect(Math.abs(p.variance - 20)).toBeLessThan(1);
  });
});

describe('shuffle', () => {
  it('permutes rows (axis 0) and keeps each row intact', () => {
    mx.random.seed(6);
    const x = nd.arange(0, 30).reshape([10, 3]);
    const y = nd.random.shuffle(x);
    expect(y.shape).toEqual([10, 3]);
    const rows = y.toArraySync() as number[][];
    for (const row of rows) expect(row).toEqual([row[0]!, row[0]! + 1, row[0]! + 2]);
    expect(rows.map((r) => r[0]!).sort((a, b) => a - b)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    mx.random.seed(6);
    expect(nd.random.shuffle(x).toArraySync()).toEqual(rows);
    expect(Array.from(x.dataSync())).toEqual(Array.from({ length: 30 }, (_, i) => i));  // input untouched
  });

  it('one seed gives one row permutation for every dtype and row width, in place too', () => {
    const n = 37;
    const order = (x: mx.NDArray, width: number): number[] =>
      Array.from({ length: n }, (_, r) => Number(x.dataSync()[r * width]) / width);
    const shuffled = (x: mx.NDArray): mx.NDArray => { mx.random.seed(9); return nd.random.shuffle(x); };
    const seq = (len: number): number[] => Array.from({ length: len }, (_, i) => i);
    const want = order(shuffled(nd.arange(0, n)), 1);
    // Pinned: the same on every backend, and the GPU kernel's permutation too.
    expect(want).toEqual([32, 14, 22, 24, 3, 18, 13, 26, 21, 23, 9, 19, 12, 10, 20, 17, 1, 33, 16, 30, 11, 2, 0, 27, 35,
                          8, 34, 4, 6, 29, 25, 5, 28, 36, 7, 15, 31]);
    expect(order(shuffled(nd.array(seq(n), { dtype: 'int32' })), 1)).toEqual(want);
    expect(order(shuffled(nd.array(seq(n), { dtype: 'float16' })), 1)).toEqual(want);
    expect(order(shuffled(nd.array(seq(n), { dtype: 'float64' })), 1)).toEqual(want);
    expect(order(shuffled(nd.array(seq(3 * n), { shape: [n, 3], dtype: 'uint8' })), 3)).toEqual(want);  // 3-byte rows
    expect(order(shuffled(nd.arange(0, 8 * n).reshape([n, 2, 4])), 8)).toEqual(want);
    const inPlace = nd.arange(0, n);
    mx.random.seed(9);
    nd._shuffle(inPlace, { out: inPlace });
    expect(order(inPlace, 1)).toEqual(want);
    // Nothing to permute: one row, no rows, a scalar.
    expect(Array.from(shuffled(nd.array([[1, 2, 3]])).dataSync())).toEqual([1, 2, 3]);
    expect(shuffled(nd.zeros([0, 4])).shape).toEqual([0, 4]);
    expect(Array.from(shuffled(nd.array(5)).dataSync())).toEqual([5]);
  });
});

describe('random errors', () => {
  it('rejects high < low, negative scale and empty integer ranges', () => {
    expect(() => nd.random.uniform({ low: 2, high: 1, shape: [2] }).waitToRead()).toThrow(mx.IsotensorError);
    expect(() => nd.random.uniform({ low: 2, high: 1, shape: [2] }).waitToRead()).toThrow(/_random_uniform.*'high'/);
    expect(() => nd.random.normal({ scale: -1, shape: [2] }).waitToRead()).toThrow(/_random_normal.*'scale'/);
    expect(() => nd.random.randint({ low: 3, high: 3, shape: [2] }).waitToRead()).toThrow(/_random_randint.*'high'/);
    expect(() => nd.random.uniform({ shape: [2], dtype: 'int32' }).waitToRead()).toThrow(mx.IsotensorError);
  });
});
