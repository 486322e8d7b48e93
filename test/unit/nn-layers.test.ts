// NN layer ops through the public API: Activation, LeakyReLU, softmax / log_softmax / softmin,
// SoftmaxActivation, SoftmaxOutput, the regression outputs, BatchNorm, LayerNorm, InstanceNorm,
// GroupNorm, L2Normalization, LRN, Dropout, Embedding, MakeLoss, make_loss, softmax_cross_entropy.
//
// Forward values and gradients come from test/fixtures/nn_layers.json, written with PyTorch by
// test/fixtures/gen_nn_layers.py. The rest: finite-difference checks of every differentiable op
// (float64), the loss heads' gradients against finite differences of the loss they stand for,
// training vs inference (BatchNorm's moving statistics, Dropout, rrelu), hidden outputs,
// 16-bit and empty inputs, and bad input.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';
import { checkGrad, pseudoRandom, randomArray } from '../helpers/gradcheck';

const { nd, autograd } = mx;
type Arr = any; // an NDArray; kept loose so the spec does not depend on the .d.ts details
const ops = nd as unknown as Record<string, (...args: unknown[]) => Arr>;
const N: Arr = nd; // the layer ops, untyped: their results are NDArray | NDArray[]

interface FixtureArray { shape: number[]; dtype: string; data: number[] }
interface Case {
  name: string;
  op: string;
  inputs: FixtureArray[];
  params: Record<string, unknown>;
  expected: FixtureArray[];
  tol: number;
  train: boolean;
  headGrads?: FixtureArray[];
  grads?: (FixtureArray | null)[];
  after?: (FixtureArray | null)[];
}
interface ErrorCase {
  name: string;
  op: string;
  inputs: { shape: number[]; dtype: string }[];
  params: Record<string, unknown>;
  match: string[];
}

const fixtures = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/nn_layers.json', import.meta.url)), 'utf8'),
) as { cases: Case[]; errors: ErrorCase[] };

beforeAll(async () => {
  await mx.ready();
  announceBackend('nn-layers');
});

// ---- helpers ----

const fromFixture = (a: FixtureArray): Arr => nd.array(a.data, { shape: a.shape, dtype: a.dtype });
const values = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number | bigint>, Number);
const list = (r: Arr): Arr[] => (Array.isArray(r) ? r : [r]);

function callOp(op: string, inputs: Arr[], params: Record<string, unknown> = {}): Arr {
  const fn = ops[op];
  expect(typeof fn, `nd.${op} should be a function`).toBe('function');
  return Object.keys(params).length ? fn(...inputs, params) : fn(...inputs);
}

/** Shape, dtype and values within tol * (1 + |expected|). */
function expectClose(x: Arr, e: FixtureArray | { shape: number[]; dtype: string; data: number[] }, tol: number,
                     what = ''): void {
  expect(x.shape, `${what} shape`).toEqual(e.shape);
  expect(x.dtype, `${what} dtype`).toBe(e.dtype);
  const got = values(x);
  expect(got.length).toBe(e.data.length);
  for (let i = 0; i < got.length; ++i) {
    const ok = Math.abs(got[i]! - e.data[i]!) <= tol * (1 + Math.abs(e.data[i]!));
    if (!ok) expect.fail(`${what}[${i}]: got ${got[i]}, expected ${e.data[i]} (tol ${tol})`);
  }
}

function expectValues(x: Arr, data: number[], tol = 1e-6, what = ''): void {
  expectClose(x, { shape: x.shape, dtype: x.dtype, data }, tol, what);
}

/** Runs `fn`, expects an IsotensorError whose message contains every string, returns the message. */
function expectError(fn: () => unknown, ...parts: string[]): string {
  let err: unknown = null;
  try {
    fn();
    mx.waitAll();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an IsotensorError, nothing was thrown').not.toBeNull();
  expect(err).toBeInstanceOf(mx.IsotensorError);
  const msg = String((err as Error).message);
  for (const p of parts) expect(msg, msg).toContain(p);
  return msg;
}

/** A float64 array with values in [lo, hi) away from zero by at least `gap`. */
function awayFromZero(shape: number[], seed: number, gap = 0.15): Arr {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = pseudoRandom(n, seed).map((u) => (Math.abs(u) < gap ? Math.sign(u || 1) * (gap + 0.2) : u) * 1.5);
  return nd.array(v, { shape, dtype: 'float64' });
}

/**
 * Loss heads: autograd's gradient (head gradient ignored) against central differences of the loss
 * they stand for, computed in JS from the op's forward outputs.
 */
function checkLossGrad(op: string, inputs: Arr[], params: Record<string, unknown>,
                       loss: (outs: number[][], xs: number[][]) => number, tol = 1e-6): void {
  mx.scope(() => {
    const x = inputs[0].copy();
    x.attachGrad();
    const out = list(autograd.record(() => callOp(op, [x, ...inputs.slice(1)], params)));
    autograd.backward(out, out.map((o: Arr) => randomArray(o.shape, 7, 1, 0, o.dtype)));
    const analytic = values(x.grad);
    const base = values(inputs[0]);
    const rest = inputs.slice(1).map(values);
    const eps = 1e-6;
    const at = (p: number[]): number => mx.scope(() => {
      const xs = [nd.array(p, { shape: inputs[0].shape, dtype: inputs[0].dtype }), ...inputs.slice(1)];
      const outs = list(callOp(op, xs, params)).map(values);
      return loss(outs, [p, ...rest]);
    });
    for (let e = 0; e < base.length; ++e) {
      const plus = base.slice();
      const minus = base.slice();
      plus[e]! += eps;
      minus[e]! -= eps;
      const numeric = (at(plus) - at(minus)) / (2 * eps);
      if (Math.abs(analytic[e]! - numeric) > tol * (1 + Math.abs(numeric))) {
        expect.fail(`${op}: d/dx[${e}] autograd ${analytic[e]} vs finite difference ${numeric}`);
      }
    }
  });
  // Counted like checkGrad's checks in the operator coverage report (test/helpers/op-coverage.ts).
  const g = globalThis as { __istGradChecks?: Record<string, number> };
  const name = mx.operator.getOperator(op)?.name ?? op;
  (g.__istGradChecks ??= {})[name] = (g.__istGradChecks[name] ?? 0) + 1;
}

// ---- PyTorch fixtures ----

describe('forward values and gradients against PyTorch', () => {
  for (const c of fixtures.cases) {
    it(c.name, () => {
      mx.scope(() => {
        const inputs = c.inputs.map(fromFixture);
        const run = (): Arr[] => list(callOp(c.op, inputs, c.params));
        let outs: Arr[];
        if (c.headGrads) {
          c.grads!.forEach((g, i) => { if (g) inputs[i].attachGrad(); });
          outs = autograd.record(run, { trainMode: c.train });
        } else {
          outs = (c.train ? autograd.trainMode : autograd.predictMode)(run);
        }
        expect(outs.length).toBe(c.expected.length);
        outs.forEach((o, k) => expectClose(o, c.expected[k]!, c.tol, `output ${k}`));
        if (c.headGrads) {
          autograd.backward(outs, c.headGrads.map(fromFixture));
          c.grads!.forEach((g, i) => { if (g) expectClose(inputs[i].grad, g, c.tol, `grad of input ${i}`); });
        }
        c.after?.forEach((a, i) => { if (a) expectClose(inputs[i], a, c.tol, `input ${i} after the call`); });
      });
    });
  }
});

// ---- finite differences (float64) ----

describe('finite-difference gradients (float64)', () => {
  it('Activation, every act_type', () => {
    for (const actType of ['relu', 'sigmoid', 'tanh', 'softrelu', 'softsign']) {
      checkGrad('Activation', [awayFromZero([3, 4], 11)], { actType });
    }
  });

  it('LeakyReLU leaky, elu, selu, gelu and rrelu (inference)', () => {
    const x = awayFromZero([2, 3, 4], 12);
    checkGrad('LeakyReLU', [x], { actType: 'leaky', slope: 0.2 });
    checkGrad('LeakyReLU', [x], { actType: 'elu', slope: 0.8 });
    checkGrad('LeakyReLU', [x], { actType: 'selu' });
    checkGrad('LeakyReLU', [x], { actType: 'gelu' });
    checkGrad('LeakyReLU', [x], { actType: 'rrelu' }, { train: false });
  });

  it('LeakyReLU prelu, with respect to data and gamma', () => {
    checkGrad('LeakyReLU', [awayFromZero([2, 3, 4], 13), randomArray([3], 14, 0.2, 0.3)], { actType: 'prelu' });
    checkGrad('LeakyReLU', [awayFromZero([4, 3], 15), randomArray([1], 16, 0.1, 0.2)], { actType: 'prelu' });
  });

  it('softmax, log_softmax, softmin along several axes, with temperature', () => {
    const x = randomArray([2, 3, 4], 17, 2);
    for (const op of ['softmax', 'log_softmax', 'softmin']) {
      checkGrad(op, [x], {});
      checkGrad(op, [x], { axis: 1, temperature: 0.7 });
      checkGrad(op, [x], { axis: 0 });
    }
  });

  it('softmax and log_softmax with use_length (data only)', () => {
    const x = randomArray([3, 4], 18, 2);
    const len = nd.array([4, 1, 2], { dtype: 'int32' });
    checkGrad('softmax', [x, len], { useLength: true }, { wrt: [0] });
    checkGrad('log_softmax', [x, len], { useLength: true }, { wrt: [0] });
    checkGrad('softmin', [x, len], { useLength: true, temperature: 2 }, { wrt: [0] });
  });

  it('softmax with a float32 output dtype from float64 data', () => {
    mx.scope(() => {
      const x = randomArray([2, 5], 19, 2);
      const y = N.softmax(x, { dtype: 'float32' });
      expect(y.dtype).toBe('float32');
      const v = x.copy();
      v.attachGrad();
      const out = autograd.record(() => N.softmax(v, { dtype: 'float32' }));
      autograd.backward([out], [nd.ones([2, 5], { dtype: 'float32' })]);
      expect(v.grad.dtype).toBe('float64');
      // sum of softmax is 1: the gradient of sum(out) is 0
      for (const g of values(v.grad)) expect(Math.abs(g)).toBeLessThan(1e-6);
    });
  });

  it('SoftmaxActivation instance and channel', () => {
    checkGrad('SoftmaxActivation', [randomArray([3, 4], 20, 2)], {});
    checkGrad('SoftmaxActivation', [randomArray([2, 3, 2, 2], 21, 2)], { mode: 'channel' });
  });

  it('BatchNorm in training and inference, with use_global_stats, axis 1 and -1', () => {
    const mk = (c: number, seed: number): Arr[] => [
      randomArray([c], seed, 0.3, 1), randomArray([c], seed + 1, 0.5), randomArray([c], seed + 2, 0.5),
      randomArray([c], seed + 3, 0.3, 1.2)];
    const [g, b, mm, mv] = mk(3, 30);
    const x = randomArray([4, 3, 2], 22, 2);
    const wrt = { wrt: [0, 1, 2] };
    checkGrad('BatchNorm', [x, g, b, mm, mv], { fixGamma: false }, { ...wrt, train: true, rtol: 1e-4, atol: 1e-5 });
    checkGrad('BatchNorm', [x, g, b, mm, mv], { fixGamma: true }, { ...wrt, train: true, rtol: 1e-4, atol: 1e-5 });
    checkGrad('BatchNorm', [x, g, b, mm, mv], { fixGamma: false }, { ...wrt, train: false });
    checkGrad('BatchNorm', [x, g, b, mm, mv], { fixGamma: false, useGlobalStats: true }, { ...wrt, train: true });
    const [g2, b2, mm2, mv2] = mk(2, 40);
    checkGrad('BatchNorm', [randomArray([3, 2, 2], 23, 2), g2, b2, mm2, mv2], { fixGamma: false, axis: -1 },
      { ...wrt, train: true, rtol: 1e-4, atol: 1e-5 });
  });

  it('LayerNorm, InstanceNorm, GroupNorm', () => {
    checkGrad('LayerNorm', [randomArray([3, 5], 24, 2), randomArray([5], 25, 0.3, 1), randomArray([5], 26)], {});
    checkGrad('LayerNorm', [randomArray([2, 3, 2], 27, 2), randomArray([3], 28, 0.3, 1), randomArray([3], 29)],
      { axis: 1 });
    checkGrad('InstanceNorm', [randomArray([2, 3, 4], 31, 2), randomArray([3], 32, 0.3, 1), randomArray([3], 33)],
      {});
    checkGrad('GroupNorm', [randomArray([2, 4, 3], 34, 2), randomArray([2], 35, 0.3, 1), randomArray([2], 36)],
      { numGroups: 2 });
  });

  it('L2Normalization, every mode', () => {
    for (const mode of ['instance', 'channel', 'spatial']) {
      checkGrad('L2Normalization', [randomArray([2, 3, 2], 37, 2)], { mode });
    }
  });

  it('LRN', () => {
    checkGrad('LRN', [randomArray([2, 4, 2, 2], 38, 2)], { nsize: 3, alpha: 0.3, beta: 0.75, knorm: 1.5 });
    checkGrad('LRN', [randomArray([1, 6, 3], 39, 2)], { nsize: 5, alpha: 0.2 });
  });

  it('Embedding with respect to its weight', () => {
    const idx = nd.array([[1, 3], [3, 0]], { dtype: 'float64' });
    checkGrad('Embedding', [idx, randomArray([4, 3], 41)], { inputDim: 4, outputDim: 3 }, { wrt: [1] });
  });

  it('softmax_cross_entropy', () => {
    checkGrad('softmax_cross_entropy', [randomArray([3, 4], 42, 2), nd.array([1, 0, 3], { dtype: 'float64' })], {},
      { wrt: [0] });
  });

  it('Activation has second derivatives (its gradient is composed of differentiable ops)', () => {
    const xs = [-1.5, 0.3, 2];
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    const second: Record<string, (v: number) => number> = {
      sigmoid: (v) => sig(v) * (1 - sig(v)) * (1 - 2 * sig(v)),
      tanh: (v) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2),
      softrelu: (v) => sig(v) * (1 - sig(v)),
      softsign: (v) => -2 * Math.sign(v) / (1 + Math.abs(v)) ** 3,
    };
    for (const [actType, f] of Object.entries(second)) {
      mx.scope(() => {
        const x = nd.array(xs, { dtype: 'float64' });
        x.attachGrad();
        const [dx] = autograd.record(() => autograd.grad(N.Activation(x, { actType }), [x], { createGraph: true }));
        dx.backward();
        expectValues(x.grad, xs.map(f), 1e-9, actType);
      });
    }
  });

  it('Dropout with p = 0, and in inference, is the identity', () => {
    checkGrad('Dropout', [randomArray([3, 4], 43)], { p: 0 });
    checkGrad('Dropout', [randomArray([3, 4], 44)], { p: 0.5 }, { train: false });
  });
});

// ---- loss heads: gradients of the loss they stand for ----

describe('loss head gradients against the losses they stand for', () => {
  const logPick = (p: number[], k: number, labels: number[]): number =>
    labels.reduce((s, l, r) => s - Math.log(p[r * k + l]!), 0);

  it('SoftmaxOutput: cross entropy, with batch normalization and grad_scale', () => {
    const x = randomArray([3, 4], 50, 2);
    const label = nd.array([2, 0, 3], { dtype: 'float64' });
    checkLossGrad('SoftmaxOutput', [x, label], {}, ([p]) => logPick(p!, 4, [2, 0, 3]));
    checkLossGrad('SoftmaxOutput', [x, label], { normalization: 'batch', gradScale: 3 },
      ([p]) => (3 * logPick(p!, 4, [2, 0, 3])) / 3);
  });

  it('LinearRegressionOutput, LogisticRegressionOutput, MAERegressionOutput', () => {
    const x = randomArray([3, 2], 51, 2);
    const y = randomArray([3, 2], 52, 2);
    const m = 2; // label elements per sample
    checkLossGrad('LinearRegressionOutput', [x, y], { gradScale: 0.5 },
      (_o, [xv, yv]) => (0.5 * xv!.reduce((s, v, i) => s + 0.5 * (v - yv![i]!) ** 2, 0)) / m);
    checkLossGrad('LogisticRegressionOutput', [x, y], {},
      ([p], [, yv]) => -p!.reduce((s, v, i) => s + yv![i]! * Math.log(v) + (1 - yv![i]!) * Math.log(1 - v), 0) / m);
    checkLossGrad('MAERegressionOutput', [x, y], {},
      (_o, [xv, yv]) => xv!.reduce((s, v, i) => s + Math.abs(v - yv![i]!), 0) / m);
  });

  it('MakeLoss and make_loss: gradients of grad_scale * sum(x)', () => {
    const x = randomArray([2, 3], 53);
    checkLossGrad('MakeLoss', [x], { gradScale: 0.25 }, (_o, [xv]) => 0.25 * xv!.reduce((s, v) => s + v, 0));
    checkLossGrad('make_loss', [x], {}, (_o, [xv]) => xv!.reduce((s, v) => s + v, 0));
  });
});

// ---- training vs inference ----

describe('training and inference behaviour', () => {
  const bnInputs = (): Arr[] => [
    nd.array([[1, 2], [3, 6], [5, 4], [7, 0]]), nd.array([2, 0.5]), nd.array([0.1, -0.2]),
    nd.array([0.5, -1]), nd.array([1, 2])];

  it('BatchNorm updates moving_mean / moving_var in place in training only', () => {
    mx.scope(() => {
      const [x, g, b, mm, mv] = bnInputs();
      autograd.predictMode(() => N.BatchNorm(x, g, b, mm, mv));
      expectValues(mm, [0.5, -1]);
      expectValues(mv, [1, 2]);
      const y = autograd.trainMode(() => N.BatchNorm(x, g, b, mm, mv, { fixGamma: false, momentum: 0.5 }));
      // batch mean [4, 3], biased variance [5, 5]
      expectValues(mm, [0.5 * 0.5 + 4 * 0.5, -1 * 0.5 + 3 * 0.5]);
      expectValues(mv, [1 * 0.5 + 5 * 0.5, 2 * 0.5 + 5 * 0.5]);
      const inv = 1 / Math.sqrt(5 + 1e-3);
      expectValues(y, [(1 - 4) * inv * 2 + 0.1, (2 - 3) * inv * 0.5 - 0.2, (3 - 4) * inv * 2 + 0.1,
        (6 - 3) * inv * 0.5 - 0.2, (5 - 4) * inv * 2 + 0.1, (4 - 3) * inv * 0.5 - 0.2, (7 - 4) * inv * 2 + 0.1,
        (0 - 3) * inv * 0.5 - 0.2], 1e-5);
      // a second training step compounds the momentum
      autograd.trainMode(() => N.BatchNorm(x, g, b, mm, mv, { fixGamma: false, momentum: 0.5 }));
      expectValues(mm, [(2.25 + 4) / 2, (1 + 3) / 2]);
      // recording in training mode updates too; use_global_stats never does
      autograd.record(() => N.BatchNorm(x, g, b, mm, mv, { useGlobalStats: true }));
      expectValues(mm, [3.125, 2]);
    });
  });

  it('BatchNorm in inference uses the moving statistics; outputMeanVar gives mean and inverse std', () => {
    mx.scope(() => {
      const [x, g, b, mm, mv] = bnInputs();
      const r = autograd.predictMode(() => N.BatchNorm(x, g, b, mm, mv, { fixGamma: false, outputMeanVar: true }));
      expect(Array.isArray(r)).toBe(true);
      expect(r.length).toBe(3);
      expectValues(r[1], [0.5, -1]);
      expectValues(r[2], [1 / Math.sqrt(1 + 1e-3), 1 / Math.sqrt(2 + 1e-3)], 1e-6);
      const xs = [1, 2, 3, 6, 5, 4, 7, 0];
      expectValues(r[0], xs.map((v, i) => (i % 2 === 0 ? (v - 0.5) * 2 / Math.sqrt(1.001) + 0.1
        : (v + 1) * 0.5 / Math.sqrt(2.001) - 0.2)), 1e-5);
      // the default returns the output alone
      const y = autograd.predictMode(() => N.BatchNorm(x, g, b, mm, mv));
      expect(Array.isArray(y)).toBe(false);
      expect(y.shape).toEqual([4, 2]);
    });
  });

  it('BatchNorm float16 data keeps float32 statistics', () => {
    mx.scope(() => {
      const x = nd.array([[1, 2], [3, 6]], { dtype: 'float16' });
      const r = autograd.trainMode(() =>
        N.BatchNorm(x, nd.ones([2]), nd.zeros([2]), nd.zeros([2]), nd.ones([2]), { outputMeanVar: true }));
      expect(r[0].dtype).toBe('float16');
      expect(r[1].dtype).toBe('float32');
      expectValues(r[1], [2, 4]);
      expectValues(r[0], [-1, -1, 1, 1], 2e-3);
    });
  });

  it('BatchNorm float16 in inference with float16 parameters: float32 mean and inverse std outputs', () => {
    mx.scope(() => {
      const h = (v: number[]) => nd.array(v, { dtype: 'float16' });
      const x = nd.array([[1, 2, 3], [3, 6, -1]], { dtype: 'float16' });
      const r = autograd.predictMode(() =>
        N.BatchNorm(x, h([2, 1, 0.5]), h([0, 1, -1]), h([0.5, -1, 2]), h([4, 1, 0.25]),
                    { fixGamma: false, eps: 0.001, outputMeanVar: true }));
      expect([r[0].dtype, r[1].dtype, r[2].dtype]).toEqual(['float16', 'float32', 'float32']);
      expectValues(r[1], [0.5, -1, 2]);
      const inv = [4, 1, 0.25].map((v) => 1 / Math.sqrt(v + 0.001));
      expectValues(r[2], inv, 1e-6);
      const gm = [2, 1, 0.5], bt = [0, 1, -1], mu = [0.5, -1, 2];
      expectValues(r[0], [1, 2, 3, 3, 6, -1].map((v, i) => (v - mu[i % 3]!) * inv[i % 3]! * gm[i % 3]! + bt[i % 3]!), 5e-3);
    });
  });

  it('Dropout is the identity in inference and drops about p of the elements in training', () => {
    mx.scope(() => {
      mx.random.seed(7);
      const x = nd.ones([100, 100]);
      const yi = autograd.predictMode(() => N.Dropout(x, { p: 0.3 }));
      expect(Array.isArray(yi)).toBe(false);
      expect(values(yi).every((v) => v === 1)).toBe(true);
      const y = autograd.trainMode(() => N.Dropout(x, { p: 0.3 }));
      const v = values(y);
      const zeros = v.filter((e) => e === 0).length;
      expect(zeros / v.length).toBeGreaterThan(0.27);
      expect(zeros / v.length).toBeLessThan(0.33);
      for (const e of v) if (e !== 0) expect(e).toBeCloseTo(1 / 0.7, 5);
      // mode 'always' drops in inference too
      const ya = autograd.predictMode(() => N.Dropout(x, { p: 0.5, mode: 'always' }));
      expect(values(ya).some((e) => e === 0)).toBe(true);
      // p = 1 drops everything, p = 0 nothing
      expect(values(autograd.trainMode(() => N.Dropout(x, { p: 1 }))).every((e) => e === 0)).toBe(true);
      expect(values(autograd.trainMode(() => N.Dropout(x, { p: 0 }))).every((e) => e === 1)).toBe(true);
    });
  });

  it('Dropout masks repeat with the seed and differ between calls', () => {
    mx.scope(() => {
      const x = nd.ones([64]);
      mx.random.seed(123);
      const a = values(autograd.trainMode(() => N.Dropout(x)));
      const b = values(autograd.trainMode(() => N.Dropout(x)));
      mx.random.seed(123);
      const c = values(autograd.trainMode(() => N.Dropout(x)));
      expect(c).toEqual(a);
      expect(b).not.toEqual(a);
    });
  });

  it('Dropout gradient is the mask; axes share one draw along the given axes', () => {
    mx.scope(() => {
      const x = randomArray([6, 8], 60, 1, 2);
      x.attachGrad();
      const y = autograd.record(() => N.Dropout(x, { p: 0.4 }));
      y.backward();
      const xv = values(x);
      const yv = values(y);
      const gv = values(x.grad);
      for (let i = 0; i < xv.length; ++i) expect(gv[i]).toBeCloseTo(yv[i]! / xv[i]!, 9);
      // variational: the mask has shape (6, 1); each row is all dropped or all kept
      const z = values(autograd.trainMode(() => N.Dropout(nd.ones([6, 8]), { p: 0.5, axes: [1] })));
      for (let r = 0; r < 6; ++r) {
        const row = z.slice(r * 8, r * 8 + 8);
        expect(new Set(row).size).toBe(1);
      }
      const w = nd.ones([6, 8]);
      w.attachGrad();
      const yw = autograd.record(() => N.Dropout(w, { p: 0.5, axes: [0] }));
      yw.backward();
      expect(values(w.grad)).toEqual(values(yw));
    });
  });

  it('LeakyReLU rrelu draws slopes in [lower, upper) in training and uses their mean in inference', () => {
    mx.scope(() => {
      const x = nd.full([1000], -1, { dtype: 'float64' });
      const inf = values(autograd.predictMode(() => N.LeakyReLU(x, { actType: 'rrelu' })));
      for (const v of inf) expect(v).toBeCloseTo(-(0.125 + 0.334) / 2, 6);
      const v = x.copy();
      v.attachGrad();
      const y = autograd.record(() => N.LeakyReLU(v, { actType: 'rrelu', lowerBound: 0.2, upperBound: 0.4 }));
      y.backward();
      const yv = values(y);
      const gv = values(v.grad);
      expect(new Set(yv).size).toBeGreaterThan(100);
      yv.forEach((e, i) => {
        expect(-e).toBeGreaterThanOrEqual(0.2);
        expect(-e).toBeLessThan(0.4);
        expect(gv[i]).toBeCloseTo(-e, 6);  // the gradient is the slope drawn
      });
    });
  });
});

// ---- shapes, dtypes, outputs ----

describe('shapes, dtypes and outputs', () => {
  it('hidden outputs stay hidden unless asked for', () => {
    mx.scope(() => {
      const x = randomArray([2, 3], 70);
      expect(Array.isArray(N.LayerNorm(x, nd.ones([3], { dtype: 'float64' }), nd.zeros([3], { dtype: 'float64' }))))
        .toBe(false);
      const r = N.LayerNorm(x, nd.ones([3], { dtype: 'float64' }), nd.zeros([3], { dtype: 'float64' }),
        { outputMeanVar: true });
      expect(r.map((a: Arr) => a.shape)).toEqual([[2, 3], [2, 1], [2, 1]]);
      expect(Array.isArray(N.L2Normalization(x))).toBe(false);
      expect(Array.isArray(N.LRN(randomArray([1, 3, 2], 71), { nsize: 3 }))).toBe(false);
      expect(Array.isArray(N.LeakyReLU(x, { actType: 'rrelu' }))).toBe(false);
      const gn = N.GroupNorm(randomArray([2, 4, 3], 72), nd.ones([2], { dtype: 'float64' }),
        nd.zeros([2], { dtype: 'float64' }), { numGroups: 2, outputMeanVar: true });
      expect(gn.map((a: Arr) => a.shape)).toEqual([[2, 4, 3], [2, 2], [2, 2]]);
    });
  });

  it('16-bit floats compute in float32', () => {
    mx.scope(() => {
      for (const dtype of ['float16', 'bfloat16']) {
        const x32 = nd.array([[0.5, -1, 2], [1.5, 0.25, -2]]);
        const x = x32.astype(dtype);
        const tol = dtype === 'float16' ? 2e-3 : 1e-2;
        const pairs: [string, Arr[], Record<string, unknown>][] = [
          ['softmax', [], {}], ['log_softmax', [], { axis: 0 }], ['Activation', [], { actType: 'tanh' }],
          ['LeakyReLU', [], { actType: 'gelu' }], ['L2Normalization', [], {}],
          ['LayerNorm', [nd.ones([3]), nd.zeros([3])], {}],
        ];
        for (const [op, extra, params] of pairs) {
          const want = values(callOp(op, [x32, ...extra], params));
          const got = callOp(op, [x, ...extra.map((e) => e.astype(dtype))], params);
          expect(got.dtype).toBe(dtype);
          values(got).forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i]!))));
        }
      }
    });
  });

  it('empty inputs give empty outputs', () => {
    mx.scope(() => {
      expect(N.softmax(nd.zeros([0, 3])).shape).toEqual([0, 3]);
      expect(N.Activation(nd.zeros([0]), { actType: 'relu' }).shape).toEqual([0]);
      expect(N.LayerNorm(nd.zeros([0, 4]), nd.ones([4]), nd.zeros([4])).shape).toEqual([0, 4]);
      expect(N.Dropout(nd.zeros([2, 0])).shape).toEqual([2, 0]);
      expect(N.Embedding(nd.zeros([0]), nd.ones([3, 2]), { inputDim: 3, outputDim: 2 }).shape).toEqual([0, 2]);
      mx.waitAll();
    });
  });

  it('softmax rows sum to one along the chosen axis on a larger input', () => {
    mx.scope(() => {
      const x = randomArray([8, 33, 5], 80, 6, 0, 'float32');
      const s = values(N.sum(N.softmax(x, { axis: 1 }), { axis: 1 }));
      for (const v of s) expect(v).toBeCloseTo(1, 5);
    });
  });

  // Few long rows: on a GPU (and in its CPU twin) the row statistics run in chunks of 128+ elements.
  it('softmax and log_softmax of few long rows, with lengths: forward and backward against float64 sums', () => {
    mx.scope(() => {
      const [rows, n] = [3, 700];
      const xs = Array.from({ length: rows * n }, (_, i) => Math.sin(i * 0.37) * 4 + (i % 7) * 0.1);
      const gs = Array.from({ length: rows * n }, (_, i) => Math.cos(i * 0.11));
      const lens = [700, 5, 333];
      for (const log of [false, true]) {
        const x = nd.array(xs, { shape: [rows, n], dtype: 'float64' });
        x.attachGrad();
        const len = nd.array(lens, { dtype: 'int32' });
        const y = autograd.record(() => N[log ? 'log_softmax' : 'softmax'](x, len, { useLength: true }));
        y.backward(nd.array(gs, { shape: [rows, n], dtype: 'float64' }));
        const want: number[] = [], wantGrad: number[] = [];
        for (let r = 0; r < rows; r++) {
          const row = xs.slice(r * n, r * n + lens[r]!);
          const mx0 = Math.max(...row);
          const sum = row.reduce((a, v) => a + Math.exp(v - mx0), 0);
          const out = row.map((v) => (log ? v - mx0 - Math.log(sum) : Math.exp(v - mx0) / sum));
          const g = gs.slice(r * n, r * n + lens[r]!);
          const dot = log ? g.reduce((a, v) => a + v, 0) : g.reduce((a, v, j) => a + v * out[j]!, 0);
          const grad = out.map((o, j) => (log ? g[j]! - Math.exp(o) * dot : o * (g[j]! - dot)));
          for (let j = 0; j < n; j++) {
            want.push(j < lens[r]! ? out[j]! : 0);
            wantGrad.push(j < lens[r]! ? grad[j]! : 0);
          }
        }
        values(y).forEach((v, i) => expect(Math.abs(v - want[i]!), `out[${i}]`).toBeLessThan(1e-12 * (1 + Math.abs(want[i]!))));
        values(x.grad).forEach((v, i) => expect(Math.abs(v - wantGrad[i]!), `grad[${i}]`).toBeLessThan(1e-12 * (1 + Math.abs(wantGrad[i]!))));
      }
    });
  });

  it('LeakyReLU and Activation accept an out array', () => {
    mx.scope(() => {
      const x = nd.array([-2, 3]);
      const out = nd.zeros([2]);
      N.Activation(x, { actType: 'relu', out });
      expect(values(out)).toEqual([0, 3]);
    });
  });
});

// ---- LRN on larger shapes ----

/** LRN and its gradient for head `og`, in float64 by the formula, over data (N, C, spatial...). */
function refLrn(x: number[], shape: number[], og: number[], p: { nsize: number; alpha: number; beta: number; knorm: number }):
  { y: number[]; gx: number[] } {
  const [N, C] = shape as [number, number], S = shape.slice(2).reduce((a, b) => a * b, 1), half = (p.nsize - 1) / 2;
  const at = (n: number, c: number, s: number): number => (n * C + c) * S + s;
  const norm = new Array<number>(x.length), y = new Array<number>(x.length), gx = new Array<number>(x.length);
  const window = (n: number, c: number, s: number, f: (i: number) => number): number => {
    let acc = 0;
    for (let k = Math.max(0, c - half); k <= Math.min(C - 1, c + half); ++k) acc += f(at(n, k, s));
    return acc;
  };
  for (let n = 0; n < N; ++n)
    for (let c = 0; c < C; ++c)
      for (let s = 0; s < S; ++s) {
        const i = at(n, c, s);
        norm[i] = p.knorm + (p.alpha / p.nsize) * window(n, c, s, (j) => x[j]! * x[j]!);
        y[i] = x[i]! * norm[i]! ** -p.beta;
      }
  for (let n = 0; n < N; ++n)
    for (let c = 0; c < C; ++c)
      for (let s = 0; s < S; ++s) {
        const i = at(n, c, s);
        const sum = window(n, c, s, (j) => og[j]! * x[j]! * norm[j]! ** (-p.beta - 1));
        gx[i] = og[i]! * norm[i]! ** -p.beta - ((2 * p.beta * p.alpha) / p.nsize) * x[i]! * sum;
      }
  return { y, gx };
}

describe('LRN on larger shapes, 16-bit floats and empty arrays', () => {
  // alpha, beta and knorm are float32 parameters: binary fractions keep the float64 reference exact.
  const cases: [number[], { nsize: number; alpha: number; beta: number; knorm: number }][] = [
    [[2, 7, 3, 5], { nsize: 5, alpha: 0.375, beta: 0.75, knorm: 1.25 }],
    [[3, 3, 4], { nsize: 9, alpha: 0.5, beta: 0.625, knorm: 2 }],  // the window is wider than the channels
    [[2, 1, 6], { nsize: 3, alpha: 0.25, beta: 1.5, knorm: 1 }],
    [[1, 12, 2, 1, 3], { nsize: 1, alpha: 0.125, beta: 0.5, knorm: 0.5 }],
  ];
  for (const [shape, p] of cases) {
    it(`(${shape}) nsize ${p.nsize}: forward and data gradient match the formula (float64)`, () => {
      mx.scope(() => {
        const size = shape.reduce((a, b) => a * b, 1);
        const xv = pseudoRandom(size, 201).map((v) => v * 2), og = pseudoRandom(size, 202);
        const want = refLrn(xv, shape, og, p);
        const x = nd.array(xv, { shape, dtype: 'float64' });
        x.attachGrad();
        const y = autograd.record(() => N.LRN(x, p));
        y.backward(nd.array(og, { shape, dtype: 'float64' }));
        values(y).forEach((v, i) => expect(Math.abs(v - want.y[i]!), `y[${i}]`).toBeLessThanOrEqual(1e-12));
        values(x.grad).forEach((v, i) => expect(Math.abs(v - want.gx[i]!), `gx[${i}]`).toBeLessThanOrEqual(1e-12));
      });
    });
  }

  it('float16 and bfloat16 follow float32, forward and backward', () => {
    mx.scope(() => {
      const shape = [2, 5, 4, 3], p = { nsize: 3, alpha: 0.5, beta: 0.75, knorm: 1 };
      const run = (dtype: string): number[][] => {
        const x = randomArray(shape, 205, 2, 0, 'float32').astype(dtype);
        x.attachGrad();
        const y = autograd.record(() => N.LRN(x, p));
        y.backward(randomArray(shape, 206, 1, 0, 'float32').astype(dtype));
        expect([y.dtype, x.grad.dtype]).toEqual([dtype, dtype]);
        return [values(y), values(x.grad)];
      };
      const ref = run('float32');
      for (const [dtype, tol] of [['float16', 4e-3], ['bfloat16', 3e-2]] as const) {
        run(dtype).forEach((got, k) => got.forEach((v, i) =>
          expect(Math.abs(v - ref[k]![i]!), `${dtype} output ${k}[${i}]`).toBeLessThanOrEqual(tol * (1 + Math.abs(ref[k]![i]!)))));
      }
    });
  });

  it('empty batches and channels give empty arrays and gradients', () => {
    mx.scope(() => {
      for (const shape of [[0, 3, 2], [2, 0, 2], [2, 3, 0]]) {
        const x: Arr = nd.zeros(shape);
        x.attachGrad();
        const y = autograd.record(() => N.LRN(x, { nsize: 3 }));
        y.backward();
        expect([y.shape, x.grad.shape]).toEqual([shape, shape]);
      }
    });
  });
});

// ---- bad input ----

describe('bad input', () => {
  for (const c of fixtures.errors) {
    it(c.name, () => {
      mx.scope(() => {
        const inputs = c.inputs.map((s) => nd.zeros(s.shape, { dtype: s.dtype }));
        expectError(() => callOp(c.op, inputs, c.params), ...c.match);
      });
    });
  }

  it('backward ops called directly validate their inputs too', () => {
    mx.scope(() => {
      const invoke = (op: string, inputs: Arr[], params: Record<string, unknown> = {}): unknown =>
        mx.operator.invoke(op, inputs, params as never);
      const e = (shape: number[]): Arr => nd.zeros(shape);
      expectError(() => invoke('_backward_BatchNorm', [e([0, 3]), e([0, 3]), e([0, 3]), e([0, 3]), e([0, 3]), e([0, 3])]),
        '_backward_BatchNorm', 'gamma', '(3,)', '(0,3)');
      expectError(() => invoke('_backward_LayerNorm', [e([2, 4]), e([2, 4]), e([4]), e([2, 4]), e([2, 1])]),
        '_backward_LayerNorm', 'mean', '(2,1)', '(2,4)');
      expectError(() => invoke('_backward_softmax', [e([2, 3]), e([3, 2])]), '_backward_softmax', 'ograd', '(3,2)');
      expectError(() => invoke('_backward_LeakyReLU', [e([2, 3]), e([2, 3])], { actType: 'prelu' }),
        '_backward_LeakyReLU', 'inputs', 'gamma');
      expectError(() => invoke('_backward_Embedding', [e([2, 4]), e([2])], { inputDim: 5, outputDim: 3 }),
        '_backward_Embedding', 'ograd', '(2,3)', '(2,4)');
    });
  });

  it('the library keeps working after the errors', () => {
    mx.scope(() => {
      expectError(() => N.softmax(nd.ones([2, 3]), { axis: 5 }), 'softmax', 'axis');
      expectValues(N.softmax(nd.array([[0, 0]])), [0.5, 0.5]);
      const y = N.BatchNorm(nd.array([[1, 2]]), nd.ones([2]), nd.zeros([2]), nd.zeros([2]), nd.ones([2]));
      expect(y.shape).toEqual([1, 2]);
      expect(values(N.dot(nd.array([[1, 2]]), nd.array([[3], [4]])))).toEqual([11]);
    });
  });
});
