// mx.onnx: the random operators (RandomUniform/Normal(-Like), Bernoulli, Multinomial). Their values are draws,
// so the checks are the distribution's (range, moments, frequencies), the shapes and dtypes, and the seeds:
// a seeded node gives the same values every run, those mx.random.seed(seed) gives next.
// SPDX-License-Identifier: Apache-2.0
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';

type Arr = any;
const DIR = join(__dirname, '../fixtures/onnx/random');
const model = (name: string): string => join(DIR, `${name}.onnx`);

beforeAll(async () => {
  await mx.ready();
  announceBackend('onnx-random');
});
// Fixed streams: the statistical bounds below hold for these draws (and by wide margins for any).
beforeEach(() => mx.random.seed(1234));

interface Out { shape: number[]; dtype: string; values: number[] }

/** Runs a model's session `runs` times on `feeds`; output 'y' of each run. */
function runSession(name: string, feeds: () => Record<string, Arr>, runs = 1): Out[] {
  const s = mx.onnx.InferenceSession.createSync(model(name));
  try {
    return Array.from({ length: runs }, () => mx.scope(() => {
      const y = s.run<Arr>(feeds()).y;
      return { shape: y.shape, dtype: y.dtype, values: Array.from(y.dataSync() as ArrayLike<number>, Number) };
    }));
  } finally {
    s.dispose();
  }
}

/** The model imported at `shapes`, bound and run forward on `feeds`: output 0. */
function runImported(name: string, shapes: Record<string, number[]>, feeds: Record<string, Arr>): Out {
  return mx.scope(() => {
    const imp = mx.onnx.importModelSync(model(name), { inputShapes: shapes });
    const ex = imp.sym.bind(mx.cpu(), { ...feeds }, { gradReq: 'null' });
    ex.forward({ isTrain: false });
    const y = ex.outputs[0];
    const out = { shape: y.shape, dtype: y.dtype, values: Array.from(y.dataSync() as ArrayLike<number>, Number) };
    ex.dispose();
    return out;
  });
}

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v: number[]): number => { const m = mean(v); return Math.sqrt(mean(v.map((x) => (x - m) ** 2))); };

describe('RandomUniform / RandomNormal', () => {
  it('RandomUniform: float32 in [low, high) with the uniform mean, new draws each run', () => {
    const [a, b] = runSession('uniform', () => ({}), 2) as [Out, Out];
    expect(a.shape).toEqual([4000]);
    expect(a.dtype).toBe('float32');
    expect(Math.min(...a.values)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...a.values)).toBeLessThan(3);
    expect(Math.abs(mean(a.values) - 1)).toBeLessThan(0.1);  // sd of the mean: 0.018
    expect(Math.abs(std(a.values) - 4 / Math.sqrt(12))).toBeLessThan(0.05);
    expect(b.values).not.toEqual(a.values);
  });

  it('RandomNormal with a seed: float64 N(2, 0.5), the same every run and in a new session', () => {
    const [a, b] = runSession('normal_seeded_double', () => ({}), 2) as [Out, Out];
    const [c] = runSession('normal_seeded_double', () => ({}));
    expect(a.shape).toEqual([50, 80]);
    expect(a.dtype).toBe('float64');
    expect(Math.abs(mean(a.values) - 2)).toBeLessThan(0.04);  // sd of the mean: 0.008
    expect(Math.abs(std(a.values) - 0.5)).toBeLessThan(0.03);
    expect(b.values).toEqual(a.values);
    expect(c!.values).toEqual(a.values);
    // What mx.random.seed(7) gives next, and the global stream is left where it was.
    const next = mx.scope(() => Array.from(mx.nd.random.uniform(0, 1, [3]).dataSync() as Float32Array));
    mx.random.seed(1234);
    runSession('normal_seeded_double', () => ({}));
    expect(mx.scope(() => Array.from(mx.nd.random.uniform(0, 1, [3]).dataSync() as Float32Array))).toEqual(next);
    mx.random.seed(7);
    const direct = mx.scope(() => Array.from(mx.nd.random.normal(2, 0.5, [50, 80], { dtype: 'float64' }).dataSync() as Float64Array));
    expect(direct).toEqual(a.values);
  });

  it('RandomUniformLike: the shape of an int64 input, the dtype attribute, in a session and imported', () => {
    const feeds = (): Record<string, Arr> => ({ x: mx.nd.zeros([5, 100], { dtype: 'int64' }) });
    const [s] = runSession('uniform_like_int', feeds);
    const imp = runImported('uniform_like_int', { x: [5, 100] }, feeds());
    for (const o of [s!, imp]) {
      expect(o.shape).toEqual([5, 100]);
      expect(o.dtype).toBe('float32');
      expect(Math.min(...o.values)).toBeGreaterThanOrEqual(10);
      expect(Math.max(...o.values)).toBeLessThan(12);
      expect(Math.abs(mean(o.values) - 11)).toBeLessThan(0.1);
    }
  });

  it('RandomNormalLike with a fractional seed: N(-1, 3) in the input dtype, the same every run', () => {
    const feeds = (): Record<string, Arr> => ({ x: mx.nd.ones([40, 100]) });
    const [a, b] = runSession('normal_like', feeds, 2) as [Out, Out];
    expect(a.shape).toEqual([40, 100]);
    expect(a.dtype).toBe('float32');
    expect(Math.abs(mean(a.values) + 1)).toBeLessThan(0.25);  // sd of the mean: 0.05
    expect(Math.abs(std(a.values) - 3)).toBeLessThan(0.15);
    expect(b.values).toEqual(a.values);
    expect(runImported('normal_like', { x: [40, 100] }, feeds()).values).toEqual(a.values);
  });
});

describe('Bernoulli', () => {
  const rows = 8;
  const probs = (dtype: 'float32' | 'float64', n: number): Arr =>
    mx.nd.array(Array.from({ length: rows * n }, (_, i) => Math.floor(i / n) / (rows - 1)), { dtype, shape: [rows, n] });

  it('dtype bool: row r is true with probability r/7; 0 and 1 are exact', () => {
    const [o] = runSession('bernoulli_bool', () => ({ p: probs('float32', 1000) }));
    expect(o!.shape).toEqual([8, 1000]);
    expect(o!.dtype).toBe('bool');
    for (let r = 0; r < rows; r++) {
      const row = o!.values.slice(r * 1000, (r + 1) * 1000);
      expect(row.every((v) => v === 0 || v === 1)).toBe(true);
      const p = r / (rows - 1);
      if (p === 0 || p === 1) expect(mean(row)).toBe(p);
      else expect(Math.abs(mean(row) - p), `row ${r}`).toBeLessThan(0.06);  // sd: at most 0.016
    }
  });

  it('with a seed: float64 0/1 in the input dtype, the same every run, imported too', () => {
    const p = (): Record<string, Arr> => ({ p: mx.nd.full([3, 500], 0.3, { dtype: 'float64' }) });
    const [a, b] = runSession('bernoulli_seeded', p, 2) as [Out, Out];
    expect(a.dtype).toBe('float64');
    expect(a.values.every((v) => v === 0 || v === 1)).toBe(true);
    expect(Math.abs(mean(a.values) - 0.3)).toBeLessThan(0.05);
    expect(b.values).toEqual(a.values);
    expect(runImported('bernoulli_seeded', { p: [3, 500] }, p()).values).toEqual(a.values);
  });
});

describe('Multinomial', () => {
  it('samples classes with the softmax of the unnormalised log-probabilities, as int64', () => {
    const want = [[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1]];
    // Log-probabilities shifted by a constant per row: the softmax is unchanged.
    const x = mx.nd.array(want.flatMap((r, i) => r.map((p) => Math.log(p) + 5 * i - 2)), { shape: [2, 4] });
    const [o] = runSession('multinomial', () => ({ x }));
    expect(o!.shape).toEqual([2, 3000]);
    expect(o!.dtype).toBe('int64');
    want.forEach((row, r) => {
      const got = o!.values.slice(r * 3000, (r + 1) * 3000);
      row.forEach((p, k) => {
        const f = got.filter((v) => v === k).length / 3000;
        expect(Math.abs(f - p), `row ${r} class ${k}: ${f}`).toBeLessThan(0.035);  // sd: at most 0.009
      });
    });
    x.dispose();
  });

  it('refuses an input that is not [batch, classes], naming the op and the shape; then keeps working', () => {
    const s = mx.onnx.InferenceSession.createSync(model('multinomial_rank3'));
    try {
      let err: any;
      try { mx.scope(() => s.run({ x: mx.nd.ones([2, 3, 4]) })); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(mx.IsotensorError);
      expect(String(err.message)).toMatch(/Multinomial/);
      expect(String(err.message)).toMatch(/\[2, 3, 4\]/);
      const y = mx.scope(() => Array.from(s.run<Arr>({ x: mx.nd.zeros([2, 3]) }).y.dataSync() as Int32Array));
      expect(y.length).toBe(4);
      expect(y.every((v) => v >= 0 && v < 3)).toBe(true);
    } finally {
      s.dispose();
    }
  });
});

describe('exportModel', () => {
  it("writes the samplers as ONNX random ops: seeded nodes give the executor's values, unseeded ones new draws", () => {
    mx.scope(() => {
      const x = mx.sym.Variable('x');
      const u = mx.sym.uniform({ low: -2, high: 3, shape: [4, 5], seed: 7 });
      const nl = mx.sym._random_normal_like(x, { loc: 1, scale: 0.5, seed: 11 });
      const seeded = mx.sym.elemwise_add(u, nl);
      const xa = mx.nd.zeros([4, 5]);
      const ex = seeded.bind(mx.cpu(), { x: xa }, { gradReq: 'null' });
      const want = Array.from(ex.forward({ isTrain: false })[0].dataSync() as Float32Array);
      ex.dispose();
      const s = mx.onnx.InferenceSession.createSync(mx.onnx.exportModel(seeded, {}, { inputShapes: { x: [4, 5] } }));
      for (let run = 0; run < 2; run++) {
        expect(Array.from(s.run<Arr>({ x: xa })[s.outputNames[0]!]!.dataSync() as Float32Array)).toEqual(want);
      }
      s.dispose();

      // Unseeded, through MXNet's other spellings: N(0, 1) draws, new ones each run.
      const n = mx.sym.normal({ shape: [4000] });
      const s2 = mx.onnx.InferenceSession.createSync(mx.onnx.exportModel(n, {}, { inputShapes: {} }));
      const a = Array.from(s2.run<Arr>({})[s2.outputNames[0]!]!.dataSync() as Float32Array);
      const b = Array.from(s2.run<Arr>({})[s2.outputNames[0]!]!.dataSync() as Float32Array);
      s2.dispose();
      expect(a).not.toEqual(b);
      const mean = a.reduce((p, v) => p + v, 0) / a.length;
      const sd = Math.sqrt(a.reduce((p, v) => p + (v - mean) ** 2, 0) / a.length);
      expect(Math.abs(mean)).toBeLessThan(0.1);  // 6 standard errors
      expect(Math.abs(sd - 1)).toBeLessThan(0.07);
    });
  });
});
