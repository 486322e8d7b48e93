// The mx.nd.random sampler functions (MXNet's positional forms and NDArray parameters) over the
// _random_* / _sample_* ops: shapes, dtypes, seeding, and sample statistics.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';

const { nd } = mx;
type Arr = any;
const vals = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number>, Number);
const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

beforeAll(async () => {
  await mx.ready();
  announceBackend('random-api');
});

describe('nd.random samplers', () => {
  const n = 20000;
  // Means within 6 standard errors (deterministic for the fixed seed; the bound guards the formula).
  const cases: Array<[string, () => Arr, number, number]> = [
    ['exponential(scale 2)', () => nd.random.exponential(2, [n]), 2, 2],
    ['gamma(3, 0.5)', () => nd.random.gamma(3, 0.5, [n]), 1.5, Math.sqrt(3) * 0.5],
    ['poisson(4)', () => nd.random.poisson(4, [n]), 4, 2],
    ['negativeBinomial(5, 0.5)', () => nd.random.negativeBinomial(5, 0.5, [n]), 5, Math.sqrt(10)],
    ['generalizedNegativeBinomial(2, 0.3)', () => nd.random.generalizedNegativeBinomial(2, 0.3, [n]), 2,
      Math.sqrt(2 + 0.3 * 4)],
    ['randn', () => nd.random.randn(n, { loc: 1, scale: 2 }), 1, 2],
  ];
  for (const [name, draw, mu, sd] of cases) {
    it(`${name} has the right shape, dtype and mean`, () => {
      mx.random.seed(7);
      const x = draw();
      expect(x.shape).toEqual([n]);
      expect(x.dtype).toBe('float32');
      expect(Math.abs(mean(vals(x)) - mu)).toBeLessThan(6 * sd / Math.sqrt(n));
      mx.random.seed(7);
      expect(vals(draw()).slice(0, 20)).toEqual(vals(x).slice(0, 20));
    });
  }

  it('randn takes the shape as leading arguments', () => {
    expect(nd.random.randn(2, 3).shape).toEqual([2, 3]);
    expect(nd.random.randn(4).shape).toEqual([4]);
  });

  it('NDArray parameters draw `shape` samples per element', () => {
    mx.random.seed(3);
    const g = nd.random.gamma(nd.array([1, 10]), nd.array([1, 1]), [4000]);
    expect(g.shape).toEqual([2, 4000]);
    const rows = [vals(g.at(0)), vals(g.at(1))];
    expect(Math.abs(mean(rows[0]!) - 1)).toBeLessThan(0.15);
    expect(Math.abs(mean(rows[1]!) - 10)).toBeLessThan(0.5);
    const e = nd.random.exponential(nd.array([0.5, 4]), [4000]);
    expect(Math.abs(mean(vals(e.at(1))) - 4)).toBeLessThan(0.6);
    expect(nd.random.poisson(nd.array([1, 2, 3]), [5]).shape).toEqual([3, 5]);
    expect(nd.random.negative_binomial(nd.array([2]), nd.array([0.5]), [3]).shape).toEqual([1, 3]);
    expect(() => nd.random.gamma(nd.array([1]), 2 as never, [2])).toThrow(/beta must be one too/);
  });

  it('multinomial draws category indices, with log-probabilities on request', () => {
    mx.random.seed(11);
    const p = nd.array([[0, 1, 0], [0.5, 0, 0.5]]);
    const idx = nd.random.multinomial(p, { shape: [200] }) as Arr;
    expect(idx.shape).toEqual([2, 200]);
    expect(idx.dtype).toBe('int32');
    const r = vals(idx);
    expect(r.slice(0, 200).every((v) => v === 1)).toBe(true);
    expect(r.slice(200).every((v) => v === 0 || v === 2)).toBe(true);
    const [draws, logp] = nd.random.multinomial(p, { shape: [3], getProb: true }) as Arr[];
    expect(draws.shape).toEqual([2, 3]);
    vals(logp).slice(0, 3).forEach((v) => expect(v).toBeCloseTo(0, 6));
    vals(logp).slice(3).forEach((v) => expect(v).toBeCloseTo(Math.log(0.5), 6));
  });
});
