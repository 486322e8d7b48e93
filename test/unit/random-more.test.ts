// Negative binomial, generalized negative binomial and multinomial sampling (MXNet's
// _random_*, *_like, _sample_* ops): moments of large samples, shapes and dtypes, determinism per
// seed (pinned values, identical on every backend), the log-probability gradient of
// _sample_multinomial, and bad parameters.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';
import { randomArray } from '../helpers/gradcheck';

const { nd, autograd } = mx;
type Arr = any;

beforeAll(async () => {
  await mx.ready();
  announceBackend('random-more');
});

const values = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number>, Number);

function stats(a: number[]): { mean: number; variance: number } {
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  return { mean, variance: a.reduce((s, v) => s + (v - mean) ** 2, 0) / (a.length - 1) };
}

/** Mean and variance within `z` standard errors (variance's error from the sample's 4th moment). */
function expectMoments(a: number[], mean: number, variance: number, z = 6): void {
  const s = stats(a);
  const n = a.length;
  const m4 = a.reduce((acc, v) => acc + (v - s.mean) ** 4, 0) / n;
  expect(Math.abs(s.mean - mean), `mean ${s.mean} vs ${mean}`).toBeLessThan(z * Math.sqrt(variance / n));
  expect(Math.abs(s.variance - variance), `variance ${s.variance} vs ${variance}`)
    .toBeLessThan(z * Math.sqrt(Math.max(m4 - s.variance ** 2, 1e-12) / n));
}

const isCount = (v: number): boolean => Number.isInteger(v) && v >= 0;

/** Expects an IsotensorError whose message contains every fragment; the library keeps working. */
function expectError(fn: () => unknown, fragments: string[]): void {
  let err: unknown = null;
  try {
    mx.scope(() => {
      const r = fn();
      for (const o of Array.isArray(r) ? r : [r]) (o as Arr).dataSync();
    });
  } catch (e) {
    err = e;
  }
  expect(err, `expected an error mentioning ${fragments.join(', ')}`).toBeInstanceOf(mx.IsotensorError);
  for (const f of fragments) expect((err as Error).message).toContain(f);
  expect(values(nd.elemwise_add(nd.array([1, 2]), nd.array([3, 4])))).toEqual([4, 6]);
}

describe('negative binomial', () => {
  it('NB(k, p) counts failures before the k-th success: mean k(1-p)/p, variance k(1-p)/p^2', () => {
    mx.random.seed(11);
    for (const [k, p] of [[3, 0.4], [1, 0.8], [20, 0.5]] as const) {
      const x = nd.random_negative_binomial({ k, p, shape: [100000] });
      expect(x.dtype).toBe('float32');
      const v = values(x);
      expect(v.every(isCount)).toBe(true);
      expectMoments(v, (k * (1 - p)) / p, (k * (1 - p)) / (p * p));
    }
  });

  it('k = 0 or p = 1 gives 0; float64 and float16 outputs', () => {
    mx.random.seed(12);
    expect(values(nd._random_negative_binomial({ k: 0, p: 0.5, shape: [5] }))).toEqual([0, 0, 0, 0, 0]);
    expect(values(nd._random_negative_binomial({ k: 4, p: 1, shape: [5] }))).toEqual([0, 0, 0, 0, 0]);
    for (const dtype of ['float64', 'float16'] as const) {
      const x = nd._random_negative_binomial({ k: 2, p: 0.5, shape: [20000], dtype });
      expect(x.dtype).toBe(dtype);
      expectMoments(values(x), 2, 4);
    }
  });

  it('generalized NB(mu, alpha): mean mu, variance mu + alpha mu^2; alpha = 0 is Poisson', () => {
    mx.random.seed(13);
    for (const [mu, alpha] of [[2, 0.3], [5, 1], [3, 0]] as const) {
      const v = values(nd.random_generalized_negative_binomial({ mu, alpha, shape: [100000] }));
      expect(v.every(isCount)).toBe(true);
      expectMoments(v, mu, mu + alpha * mu * mu);
    }
    expect(values(nd._random_generalized_negative_binomial({ mu: 0, alpha: 2, shape: [4] }))).toEqual([0, 0, 0, 0]);
  });

  it('the *_like forms take shape and dtype from their input', () => {
    mx.random.seed(14);
    const a = nd._random_negative_binomial_like(nd.zeros([300, 200], { dtype: 'float64' }), { k: 3, p: 0.4 });
    expect(a.shape).toEqual([300, 200]);
    expect(a.dtype).toBe('float64');
    expectMoments(values(a), 4.5, 11.25);
    const b = nd._random_generalized_negative_binomial_like(nd.zeros([250, 400], { dtype: 'float16' }), { mu: 2, alpha: 0.3 });
    expect(b.shape).toEqual([250, 400]);
    expect(b.dtype).toBe('float16');
    expectMoments(values(b), 2, 3.2);
  });

  it('per-parameter _sample_ forms: output shape params.shape + shape, moments per row', () => {
    mx.random.seed(15);
    const k = nd.array([20, 49]), p = nd.array([0.4, 0.77]);
    const x = nd.sample_negative_binomial(k, p, { shape: [50000] });
    expect(x.shape).toEqual([2, 50000]);
    const v = values(x);
    expectMoments(v.slice(0, 50000), 30, 75);
    expectMoments(v.slice(50000), (49 * 0.23) / 0.77, (49 * 0.23) / (0.77 * 0.77));
    const g = nd._sample_generalized_negative_binomial(nd.array([[2, 2.5]], { dtype: 'float64' }),
                                                       nd.array([[1, 0.1]], { dtype: 'float64' }), { shape: [40000] });
    expect(g.shape).toEqual([1, 2, 40000]);
    expect(g.dtype).toBe('float32');
    const gv = values(g);
    expectMoments(gv.slice(0, 40000), 2, 6);
    expectMoments(gv.slice(40000), 2.5, 3.125);
    expect(nd.sample_generalized_negative_binomial(nd.array([1]), nd.array([1]), { dtype: 'float64' }).dtype).toBe('float64');
  });

  it('invalid per-element parameters give NaN rather than an error', () => {
    mx.random.seed(16);
    const v = values(nd._sample_negative_binomial(nd.array([-1, 3, 3]), nd.array([0.5, 0, 1.5])));
    expect(v.every(Number.isNaN)).toBe(true);
    expect(values(nd._sample_generalized_negative_binomial(nd.array([-1, 2]), nd.array([1, -0.5]))).every(Number.isNaN)).toBe(true);
  });
});

describe('determinism', () => {
  it('pins the numbers of seed 42 (the same on every backend and thread count)', () => {
    mx.random.seed(42);
    expect(values(nd._random_negative_binomial({ k: 3, p: 0.4, shape: [12] }))).toEqual([5, 5, 2, 0, 1, 7, 4, 4, 5, 2, 2, 3]);
    mx.random.seed(42);
    expect(values(nd._random_generalized_negative_binomial({ mu: 2, alpha: 0.3, shape: [12] })))
      .toEqual([3, 3, 0, 0, 0, 3, 1, 1, 2, 0, 1, 1]);
    mx.random.seed(42);
    expect(values(nd._sample_multinomial(nd.array([[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]]), { shape: [6] })))
      .toEqual([3, 3, 3, 3, 2, 2, 0, 0, 1, 0, 1, 0]);
  });

  it('repeats per seed, moves on between calls, and matches the scalar op element for element', () => {
    mx.random.seed(7);
    const a = values(nd._random_negative_binomial({ k: 3, p: 0.4, shape: [64] }));
    const a2 = values(nd._random_negative_binomial({ k: 3, p: 0.4, shape: [64] }));
    mx.random.seed(7);
    expect(values(nd._random_negative_binomial({ k: 3, p: 0.4, shape: [64] }))).toEqual(a);
    expect(a2).not.toEqual(a);
    mx.random.seed(7);
    expect(values(nd._sample_negative_binomial(nd.array([3]), nd.array([0.4]), { shape: [64] }))).toEqual(a);
    mx.random.seed(7);
    expect(values(nd._random_negative_binomial({ k: 3, p: 0.4, shape: [64], dtype: 'float64' }))).toEqual(a);
    mx.random.seed(8);
    expect(values(nd._random_negative_binomial({ k: 3, p: 0.4, shape: [64] }))).not.toEqual(a);
  });
});

describe('multinomial', () => {
  it('shapes: (1,) or shape for 1-D data, data.shape[:-1] + shape otherwise; int32 by default', () => {
    mx.random.seed(21);
    const p = nd.array([0.25, 0.25, 0.5]);
    const one = nd.sample_multinomial(p);
    expect(one.shape).toEqual([1]);
    expect(one.dtype).toBe('int32');
    expect(nd._sample_multinomial(p, { shape: [2, 3] }).shape).toEqual([2, 3]);
    const rows = nd.array([[0.5, 0.5], [0.9, 0.1], [0, 1]]).reshape([3, 1, 2]);
    expect(nd._sample_multinomial(rows).shape).toEqual([3, 1]);
    expect(nd._sample_multinomial(rows, { shape: [4] }).shape).toEqual([3, 1, 4]);
    for (const dtype of ['uint8', 'float16', 'float32', 'float64'] as const) {
      const s = nd._sample_multinomial(p, { shape: [50], dtype });
      expect(s.dtype).toBe(dtype);
      expect(values(s).every((v) => v === 0 || v === 1 || v === 2)).toBe(true);
    }
    expect(nd._sample_multinomial(nd.zeros([0, 3]), { shape: [2] }).shape).toEqual([0, 2]);
  });

  it('draws categories with their probabilities; zero-probability categories never', () => {
    mx.random.seed(22);
    const probs = [0.1, 0, 0.2, 0.3, 0.4];
    const v = values(nd._sample_multinomial(nd.array([probs, [0, 0, 1, 0, 0]]), { shape: [100000] }));
    const counts = [0, 0, 0, 0, 0];
    for (const c of v.slice(0, 100000)) counts[c]! += 1;
    expect(counts[1]).toBe(0);
    probs.forEach((q, c) => expect(Math.abs(counts[c]! / 100000 - q), `category ${c}`).toBeLessThan(6 * Math.sqrt(q * (1 - q) / 100000) + 1e-12));
    expect(v.slice(100000).every((c) => c === 2)).toBe(true);
    // Rows are used as weights: an unnormalized row samples like its normalized form.
    mx.random.seed(23);
    const w = values(nd._sample_multinomial(nd.array([2, 6], { dtype: 'float64' }), { shape: [40000] }));
    const ones = w.filter((c) => c === 1).length / 40000;
    expect(Math.abs(ones - 0.75)).toBeLessThan(6 * Math.sqrt(0.75 * 0.25 / 40000));
  });

  it('get_prob returns the log probability of each draw', () => {
    mx.random.seed(24);
    const p = [[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]];
    const [s, lp] = nd._sample_multinomial(nd.array(p, { dtype: 'float64' }), { shape: [5], getProb: true }) as Arr[];
    expect(s.shape).toEqual([2, 5]);
    expect(lp.shape).toEqual([2, 5]);
    expect(lp.dtype).toBe('float64');
    const sv = values(s), lv = values(lp);
    sv.forEach((c, i) => expect(lv[i]).toBeCloseTo(Math.log(p[Math.floor(i / 5)]![c]!), 12));
  });

  it('the gradient flows through the log probabilities (REINFORCE) and is zero without get_prob', () => {
    mx.scope(() => {
      const probs = [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]];
      const x = nd.array(probs, { dtype: 'float64' });
      x.attachGrad();
      mx.random.seed(25);
      const head = randomArray([2, 4], 3);
      const [s, lp] = autograd.record(() => nd._sample_multinomial(x, { shape: [4], getProb: true })) as Arr[];
      lp.backward(head);
      const want = [0, 0, 0, 0, 0, 0];
      const sv = values(s), hv = values(head);
      sv.forEach((c, i) => { const r = Math.floor(i / 4); want[r * 3 + c]! += hv[i]! / probs[r]![c]!; });
      values(x.grad).forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 12));

      const y = nd.array(probs, { dtype: 'float64' });
      y.attachGrad();
      const t = autograd.record(() => nd.elemwise_mul(nd._sample_multinomial(y, { dtype: 'float64' }), nd.ones([2], { dtype: 'float64' })));
      t.backward();
      expect(values(y.grad)).toEqual([0, 0, 0, 0, 0, 0]);
    });
  });

  it('the same draws for every probability and output dtype, 1-D data as a one-row matrix', () => {
    const p = [0.0625, 0.25, 0, 0.1875, 0.5];  // exact in every float dtype, so every row sums alike
    mx.random.seed(27);
    const want = values(nd._sample_multinomial(nd.array(p, { dtype: 'float64' }), { shape: [64] }));
    for (const pd of ['float32', 'float64', 'float16', 'bfloat16'] as const) {
      for (const dtype of ['uint8', 'int32', 'float16', 'float32', 'float64'] as const) {
        mx.random.seed(27);
        const [s, lp] = nd._sample_multinomial(nd.array([p], { dtype: pd }), { shape: [64], getProb: true, dtype }) as Arr[];
        expect(s.shape).toEqual([1, 64]);
        expect(s.dtype).toBe(dtype);
        expect(lp.dtype).toBe(pd);
        expect(values(s), `${pd} -> ${dtype}`).toEqual(want);
        const logs = values(nd.array(want.map((c) => Math.log(p[c]!)), { dtype: pd }));  // rounded to pd
        values(lp).forEach((l, i) => expect(l).toBeCloseTo(logs[i]!, 12));
      }
    }
  });

  it('accumulates the gradient of the log probabilities (gradReq add)', () => {
    mx.scope(() => {
      const probs = [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]];
      const x = nd.array(probs, { dtype: 'float64' });
      x.attachGrad({ gradReq: 'add' });
      const want = [0, 0, 0, 0, 0, 0];
      for (const seed of [31, 32]) {
        mx.random.seed(seed);
        const head = randomArray([2, 6], seed);
        const [s, lp] = autograd.record(() => nd._sample_multinomial(x, { shape: [6], getProb: true })) as Arr[];
        lp.backward(head);
        const sv = values(s), hv = values(head);
        sv.forEach((c, i) => { const r = Math.floor(i / 6); want[r * 3 + c]! += hv[i]! / probs[r]![c]!; });
      }
      values(x.grad).forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 12));
    });
  });

  it('finite differences of the log probabilities under a fixed seed agree with autograd', () => {
    // checkGrad re-runs the op without reseeding, so a sampler needs its own loop: every
    // evaluation starts from the same seed and so draws the same categories.
    const seed = 26, eps = 1e-6;
    const base = [0.2, 0.3, 0.5, 0.35, 0.25, 0.4];
    const params = { shape: [5], getProb: true };
    const head = values(randomArray([2, 5], 4));
    const objective = (p: number[]): number => mx.scope(() => {
      mx.random.seed(seed);
      const [, lp] = nd._sample_multinomial(nd.array(p, { shape: [2, 3], dtype: 'float64' }), params) as Arr[];
      return values(lp).reduce((acc, v, i) => acc + v * head[i]!, 0);
    });
    mx.scope(() => {
      const x = nd.array(base, { shape: [2, 3], dtype: 'float64' });
      x.attachGrad();
      mx.random.seed(seed);
      const [, lp] = autograd.record(() => nd._sample_multinomial(x, params)) as Arr[];
      lp.backward(nd.array(head, { shape: [2, 5], dtype: 'float64' }));
      values(x.grad).forEach((a, e) => {
        const up = base.slice(), down = base.slice();
        up[e]! += eps;
        down[e]! -= eps;
        const numeric = (objective(up) - objective(down)) / (2 * eps);
        expect(Math.abs(a - numeric), `d/dp[${e}]: autograd ${a} vs ${numeric}`).toBeLessThanOrEqual(1e-6 + 1e-4 * Math.abs(a));
      });
    });
    // Counted like test/helpers/gradcheck.ts's checkGrad for the operator coverage report.
    const g = globalThis as { __istGradChecks?: Record<string, number> };
    (g.__istGradChecks ??= {})._sample_multinomial = (g.__istGradChecks._sample_multinomial ?? 0) + 1;
  });
});

describe('bad parameters name the op and the argument', () => {
  it('scalar samplers', () => {
    expectError(() => nd._random_negative_binomial({ k: -1, p: 0.5, shape: [2] }), ['_random_negative_binomial', "argument 'k'"]);
    expectError(() => nd._random_negative_binomial({ k: 2, p: 0, shape: [2] }), ['_random_negative_binomial', "argument 'p'"]);
    expectError(() => nd._random_negative_binomial({ k: 2, p: 1.5, shape: [2] }), ['_random_negative_binomial', "argument 'p'"]);
    expectError(() => nd._random_generalized_negative_binomial({ mu: -1, shape: [2] }),
                ['_random_generalized_negative_binomial', "argument 'mu'"]);
    expectError(() => nd._random_generalized_negative_binomial({ alpha: -0.5, shape: [2] }),
                ['_random_generalized_negative_binomial', "argument 'alpha'"]);
    expectError(() => nd._random_negative_binomial({ shape: [2], dtype: 'int32' as never }), ['_random_negative_binomial', "argument 'dtype'"]);
    expectError(() => nd._random_negative_binomial_like(nd.ones([2], { dtype: 'int32' })), ['_random_negative_binomial_like', "argument 'data'", 'int32']);
    expectError(() => nd._random_generalized_negative_binomial_like(nd.ones([2]), { alpha: -1 }),
                ['_random_generalized_negative_binomial_like', "argument 'alpha'"]);
  });

  it('per-parameter samplers', () => {
    expectError(() => nd._sample_negative_binomial(nd.ones([2]), nd.ones([3])), ['_sample_negative_binomial', "argument 'p'", '(2,)', '(3,)']);
    expectError(() => nd._sample_negative_binomial(nd.ones([2], { dtype: 'int32' }), nd.ones([2], { dtype: 'int32' })),
                ['_sample_negative_binomial', "argument 'k'", 'int32']);
    expectError(() => nd._sample_generalized_negative_binomial(nd.ones([2]), nd.ones([2], { dtype: 'float64' })),
                ['_sample_generalized_negative_binomial', "argument 'alpha'", 'float64']);
    expectError(() => nd._sample_generalized_negative_binomial(nd.ones([2]), nd.ones([2]), { shape: [0] }),
                ['_sample_generalized_negative_binomial', "argument 'shape'"]);
  });

  it('multinomial', () => {
    expectError(() => nd._sample_multinomial(nd.array(0.5)), ['_sample_multinomial', "argument 'data'", '()']);
    expectError(() => nd._sample_multinomial(nd.zeros([2, 0])), ['_sample_multinomial', "argument 'data'", '(2,0)']);
    expectError(() => nd._sample_multinomial(nd.array([0.5, -0.1, 0.6])), ['_sample_multinomial', "argument 'data'", '-0.1']);
    expectError(() => nd._sample_multinomial(nd.array([[0.5, 0.5], [0, 0]])), ['_sample_multinomial', "argument 'data'", 'row 1']);
    expectError(() => nd._sample_multinomial(nd.array([[0.5, 0.5], [0.2, NaN], [-1, 1]])),
                ['_sample_multinomial', "argument 'data'", 'row 1 has nan at category 1']);
    expectError(() => nd._sample_multinomial(nd.array([[1, Infinity]]), { shape: [2] }), ['_sample_multinomial', "argument 'data'", 'inf']);
    expectError(() => nd._sample_multinomial(nd.array([1e308, 1e308], { dtype: 'float64' })),
                ['_sample_multinomial', "argument 'data'", 'row 0 of probabilities sums to inf']);
    expectError(() => nd._sample_multinomial(nd.ones([300]), { dtype: 'uint8' }), ['_sample_multinomial', "argument 'dtype'", '300']);
    expectError(() => nd._sample_multinomial(nd.ones([3], { dtype: 'int32' })), ['_sample_multinomial', "argument 'data'", 'int32']);
    expectError(() => mx.operator.invoke('_backward_sample_multinomial', [nd.ones([2, 2]), nd.ones([2, 4]), nd.zeros([2, 3], { dtype: 'int32' })],
                                         { shape: '(3,)', get_prob: 'True' } as never),
                ['_backward_sample_multinomial', "argument 'ograd'", '(2,2)', '(2,3)']);
    expectError(() => mx.operator.invoke('_backward_sample_multinomial', [nd.ones([2]), nd.ones([2, 4]), nd.array([1, 7], { dtype: 'int32' })],
                                         { get_prob: 'True' } as never),
                ['_backward_sample_multinomial', "argument 'sample'", '7']);
    expectError(() => mx.operator.invoke('_backward_sample_multinomial', [nd.ones([3]), nd.ones([3, 4]), nd.array([1, -2, 9], { dtype: 'float32' })],
                                         { get_prob: 'True', dtype: 'float32' } as never),
                ['_backward_sample_multinomial', "argument 'sample'", 'entry 1 is -2']);
  });
});
