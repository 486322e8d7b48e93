// The fused RNN operator (rnn_relu, rnn_tanh, lstm, gru) through the public API: forward values and
// gradients against PyTorch, finite-difference gradients per mode, dropout between layers, sequence
// lengths, LSTM cell clipping, larger sizes checked by composition, empty inputs and bad input.
//
// test/fixtures/nn_rnn.json comes from test/fixtures/gen_nn_rnn.py (PyTorch, float64 references with
// the weights repacked into MXNet's flat parameter vector; rerun it to regenerate).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';
import { expectClose, fromFixture, type FixtureArray } from '../helpers/gluon-fixtures';
import { checkGrad, pseudoRandom, randomArray } from '../helpers/gradcheck';

const { nd, autograd } = mx;
type Arr = any; // an NDArray; kept loose so the spec does not depend on the .d.ts details
type Params = Record<string, unknown>;

interface Case {
  name: string;
  dtype: string;
  params: Params;
  inputs: FixtureArray[];
  expected: FixtureArray[];
  heads: FixtureArray[];
  grads: FixtureArray[];
  tol: number;
}
interface ErrorCase { name: string; inputs: { shape: number[]; dtype: string }[]; params: Params; match: string[] }

const fixtures = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/nn_rnn.json', import.meta.url)), 'utf8'),
) as { cases: Case[]; errors: ErrorCase[] };

beforeAll(async () => {
  await mx.ready();
  announceBackend('nn-rnn');
});

// ---- helpers ----

const GATES: Record<string, number> = { rnn_relu: 1, rnn_tanh: 1, lstm: 4, gru: 3 };
const values = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number>, Number);
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** Length of MXNet's packed parameter vector. */
function paramSize(mode: string, I: number, H: number, L: number, D: number): number {
  let s = 0;
  for (let l = 0; l < L; ++l) s += D * GATES[mode]! * H * ((l === 0 ? I : D * H) + H + 2);
  return s;
}

/** Visible outputs of RNN as an array (one array without state_outputs). */
function rnn(inputs: Arr[], params: Params): Arr[] {
  const r = nd.RNN(...inputs, params);
  return Array.isArray(r) ? r : [r];
}

const near = (x: Arr, want: number[], shape: number[], tol: number, what: string): void =>
  expectClose(x, { shape, dtype: x.dtype, data: want }, tol, what);

/** Random inputs (data, parameters, state, [state_cell]) for a configuration. */
function makeInputs(mode: string, T: number, N: number, I: number, H: number, L: number, D: number,
                    seed: number, dtype = 'float64', wScale = 0.5): Arr[] {
  const ins = [
    randomArray([T, N, I], seed, 1, 0, dtype),
    randomArray([paramSize(mode, I, H, L, D)], seed + 1, wScale, 0, dtype),
    randomArray([L * D, N, H], seed + 2, 0.5, 0, dtype),
  ];
  if (mode === 'lstm') ins.push(randomArray([L * D, N, H], seed + 3, 0.5, 0, dtype));
  return ins;
}

// ---- PyTorch references ----

describe('PyTorch references (forward and gradients)', () => {
  for (const c of fixtures.cases) {
    it(c.name, () => {
      mx.scope(() => {
        const inputs = c.inputs.map(fromFixture);
        const nGrad = c.grads.length;  // data, parameters, state, [state_cell]; not sequence_length
        for (let i = 0; i < nGrad; ++i) inputs[i].attachGrad();
        const outs = autograd.record(() => rnn(inputs, c.params));
        expect(outs.length).toBe(c.expected.length);
        outs.forEach((o: Arr, k: number) => expectClose(o, c.expected[k]!, c.tol, `output ${k}`));
        autograd.backward(outs, c.heads.map(fromFixture));
        const names = ['data', 'parameters', 'state', 'state_cell'];
        c.grads.forEach((g, i) => expectClose(inputs[i].grad, g, c.tol, `gradient of ${names[i]}`));
      });
    });
  }
});

// ---- finite differences (float64) ----

describe('finite-difference gradients', () => {
  it('rnn_relu: 2 layers, bidirectional, state outputs', () => {
    checkGrad('RNN', makeInputs('rnn_relu', 3, 2, 2, 2, 2, 2, 11),
              { stateSize: 2, numLayers: 2, mode: 'rnn_relu', bidirectional: true, stateOutputs: true });
  });

  it('rnn_tanh: one layer, and 2 stacked layers with state outputs', () => {
    checkGrad('RNN', makeInputs('rnn_tanh', 4, 2, 3, 3, 1, 1, 21), { stateSize: 3, numLayers: 1, mode: 'rnn_tanh' });
    checkGrad('RNN', makeInputs('rnn_tanh', 3, 2, 2, 2, 2, 1, 22),
              { stateSize: 2, numLayers: 2, mode: 'rnn_tanh', stateOutputs: true });
  });

  it('lstm: 2 layers, bidirectional, state and cell outputs', () => {
    checkGrad('RNN', makeInputs('lstm', 3, 2, 2, 2, 2, 2, 31),
              { stateSize: 2, numLayers: 2, mode: 'lstm', bidirectional: true, stateOutputs: true });
  });

  it('gru: 2 layers, bidirectional, state outputs', () => {
    checkGrad('RNN', makeInputs('gru', 3, 2, 2, 2, 2, 2, 41),
              { stateSize: 2, numLayers: 2, mode: 'gru', bidirectional: true, stateOutputs: true });
  });

  it('sequence lengths (lstm bidirectional, gru)', () => {
    const lens = nd.array([3, 1], { dtype: 'int32' });
    checkGrad('RNN', [...makeInputs('lstm', 3, 2, 2, 2, 1, 2, 51), lens],
              { stateSize: 2, numLayers: 1, mode: 'lstm', bidirectional: true, stateOutputs: true,
                useSequenceLength: true });
    checkGrad('RNN', [...makeInputs('gru', 4, 2, 2, 2, 2, 1, 52), nd.array([2, 4], { dtype: 'int32' })],
              { stateSize: 2, numLayers: 2, mode: 'gru', stateOutputs: true, useSequenceLength: true });
  });

  it('lstm with cell clipping (some cells at the bounds)', () => {
    // Larger weights push cells past +-0.3; the clipped ones pass no gradient.
    const inputs = makeInputs('lstm', 4, 2, 2, 3, 1, 1, 61, 'float64', 1.5);
    const params = { stateSize: 3, numLayers: 1, mode: 'lstm', stateOutputs: true, lstmStateClipMin: -0.3,
                     lstmStateClipMax: 0.3 };
    mx.scope(() => {
      const cy = values(rnn(inputs, params)[2]);
      expect(cy.every((v) => v >= -0.3 && v <= 0.3)).toBe(true);
      expect(cy.some((v) => Math.abs(Math.abs(v) - 0.3) < 1e-12)).toBe(true);
      expect(cy.some((v) => Math.abs(v) < 0.29)).toBe(true);
    });
    checkGrad('RNN', inputs, params);
  });
});

// ---- dropout between layers ----

describe('dropout between layers', () => {
  const params = { stateSize: 4, numLayers: 2, mode: 'lstm', p: 0.5, stateOutputs: true };
  const noDrop = { ...params, p: 0 };

  it('is off in inference and for a single layer', () => {
    mx.scope(() => {
      const x = makeInputs('lstm', 5, 3, 3, 4, 2, 1, 71, 'float32');
      const want = values(rnn(x, noDrop)[0]);
      expect(values(autograd.predictMode(() => rnn(x, params))[0])).toEqual(want);
      const one = makeInputs('gru', 4, 2, 3, 4, 1, 1, 72, 'float32');
      const p1 = { stateSize: 4, numLayers: 1, mode: 'gru', p: 0.7 };
      expect(values(autograd.trainMode(() => rnn(one, p1))[0])).toEqual(values(rnn(one, { ...p1, p: 0 })[0]));
    });
  });

  it('applies in training, reproducibly after mx.random.seed', () => {
    mx.scope(() => {
      const x = makeInputs('lstm', 5, 3, 3, 4, 2, 1, 73, 'float32');
      const run = (seed: number): number[] => {
        mx.random.seed(seed);
        return values(autograd.trainMode(() => rnn(x, params))[0]);
      };
      const a = run(5), b = run(5), c = run(6);
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
      expect(a).not.toEqual(values(rnn(x, noDrop)[0]));
    });
  });

  it('its gradient matches central differences taken under the same seed', () => {
    mx.scope(() => {
      const gp = { stateSize: 3, numLayers: 3, mode: 'gru', p: 0.4, bidirectional: true, stateOutputs: true };
      const base = makeInputs('gru', 3, 2, 2, 3, 3, 2, 81);
      const heads = [randomArray([3, 2, 6], 82), randomArray([6, 2, 3], 83)];
      const objective = (xs: Arr[]): number => mx.scope(() => {
        mx.random.seed(9);
        const outs = autograd.trainMode(() => rnn(xs, gp));
        return outs.reduce((s: number, o: Arr, k: number) => {
          const v = values(o), h = values(heads[k]);
          return s + v.reduce((t, e, i) => t + e * h[i]!, 0);
        }, 0);
      });
      const vars = base.map((x) => x.copy());
      vars.forEach((v) => v.attachGrad());
      mx.random.seed(9);
      const outs = autograd.record(() => rnn(vars, gp), { trainMode: true });
      autograd.backward(outs, heads);
      // Directional derivatives along pseudo-random directions, one per input.
      base.forEach((x, i) => {
        const dir = pseudoRandom(x.size, 91 + i);
        const g = values(vars[i].grad);
        const analytic = g.reduce((s, e, k) => s + e * dir[k]!, 0);
        const eps = 1e-6;
        const shifted = (sgn: number): number => mx.scope(() => {
          const xs = base.map((b, j) => (j !== i ? b
            : nd.array(values(b).map((v, k) => v + sgn * eps * dir[k]!), { shape: b.shape, dtype: 'float64' })));
          return objective(xs);
        });
        const numeric = (shifted(1) - shifted(-1)) / (2 * eps);
        expect(Math.abs(analytic - numeric), `input ${i}: ${analytic} vs ${numeric}`)
          .toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(numeric));
      });
    });
  });
});

// ---- sequence lengths, clipping, NaN ----

describe('sequence lengths and cell clipping', () => {
  it('full lengths equal no lengths; padded steps output zeros and keep the state', () => {
    mx.scope(() => {
      const base = { stateSize: 3, numLayers: 1, mode: 'gru', bidirectional: true, stateOutputs: true };
      const x = makeInputs('gru', 4, 2, 2, 3, 1, 2, 101, 'float32');
      const plain = rnn(x, base);
      const full = rnn([...x, nd.array([4, 4], { dtype: 'int32' })], { ...base, useSequenceLength: true });
      expect(values(full[0])).toEqual(values(plain[0]));
      expect(values(full[1])).toEqual(values(plain[1]));
      // Length 0 for the second sequence: zeros out, initial state back.
      const zero = rnn([...x, nd.array([4, 0], { dtype: 'float32' })], { ...base, useSequenceLength: true });
      const out = values(zero[0]);
      for (let t = 0; t < 4; ++t) expect(out.slice((t * 2 + 1) * 6, (t * 2 + 2) * 6)).toEqual([0, 0, 0, 0, 0, 0]);
      const h0 = values(x[2]), hy = values(zero[1]);
      for (const d of [0, 1]) expect(hy.slice(d * 6 + 3, d * 6 + 6)).toEqual(h0.slice(d * 6 + 3, d * 6 + 6));
    });
  });

  it('rejects lengths outside [0, T] or fractional when the kernel reads them', () => {
    mx.scope(() => {
      const x = makeInputs('rnn_tanh', 3, 2, 2, 2, 1, 1, 111, 'float32');
      const p = { stateSize: 2, numLayers: 1, mode: 'rnn_tanh', useSequenceLength: true };
      for (const bad of [[4, 1], [-1, 2], [1.5, 2]]) {
        let msg = '';
        try {
          values(rnn([...x, nd.array(bad, { dtype: 'float32' })], p)[0]);
        } catch (e) {
          expect(e).toBeInstanceOf(mx.IsotensorError);
          msg = (e as Error).message;
        }
        expect(msg).toContain('RNN');
        expect(msg).toContain('sequence_length');
      }
      expect(values(nd.elemwise_add(nd.array([1]), nd.array([2])))).toEqual([3]);
    });
  });

  it('float32 cell clipping (the vectorised cell rows, whole vectors and a remainder) matches float64', () => {
    // H = 21: one or two whole SIMD vectors and a remainder of lanes, so both paths of the float32 kernel
    // clip, and pass no gradient through clipped cells, as the float64 path does.
    const H = 21;
    const params = { stateSize: H, numLayers: 2, mode: 'lstm', bidirectional: true, stateOutputs: true,
                     lstmStateClipMin: -0.3, lstmStateClipMax: 0.35 };
    mx.scope(() => {
      const in64 = makeInputs('lstm', 5, 3, 4, H, 2, 2, 63, 'float64', 0.8);
      const in32 = in64.map((a) => a.astype('float32'));
      const run = (ins: Arr[]) => {
        ins.forEach((a) => a.attachGrad());
        const outs = autograd.record(() => rnn(ins, params));
        // Weighted heads, so every output element's gradient path matters.
        autograd.backward(outs, outs.map((o: Arr, k: number) => randomArray(o.shape, 90 + k, 1, 0, o.dtype)));
        return [...outs.map(values), ...ins.map((a) => values(a.grad))];
      };
      const want = run(in64), got = run(in32);
      const cy = want[2]!;
      expect(cy.filter((v) => v === -0.3 || v === 0.35).length).toBeGreaterThan(10);
      expect(cy.filter((v) => Math.abs(v) < 0.29).length).toBeGreaterThan(10);
      want.forEach((w, k) => {
        const g = got[k]!;
        const scale = Math.max(1, ...w.map(Math.abs));
        const err = Math.max(...w.map((v, i) => Math.abs(v - g[i]!)));
        expect(err, `result ${k}`).toBeLessThan(2e-5 * scale);
      });
    });
  });

  it('lstm_state_clip_nan turns NaN cells into the lower bound', () => {
    mx.scope(() => {
      const [x, w, h, c] = makeInputs('lstm', 2, 2, 2, 2, 1, 1, 121, 'float32');
      const xd = values(x);
      xd[0] = NaN;  // sequence 0, step 0
      const xn = nd.array(xd, { shape: x.shape, dtype: 'float32' });
      const p = { stateSize: 2, numLayers: 1, mode: 'lstm', stateOutputs: true, lstmStateClipMin: -2,
                  lstmStateClipMax: 2 };
      const kept = values(rnn([xn, w, h, c], { ...p, lstmStateClipNan: true })[2]);
      expect(kept.slice(0, 2)).toEqual([-2, -2]);
      expect(kept.slice(2).every(Number.isFinite)).toBe(true);
      const spread = values(rnn([xn, w, h, c], p)[2]);
      expect(spread.slice(0, 2).every(Number.isNaN)).toBe(true);
    });
  });
});

// ---- larger sizes, checked by composition ----

describe('larger sizes (threaded GEMMs) against compositions of smaller calls', () => {
  /** Splits MXNet's packed vector of a one-layer bidirectional net into two unidirectional ones. */
  function splitDirections(mode: string, w: number[], I: number, H: number): number[][] {
    const G = GATES[mode]!, wi = G * H * I, wh = G * H * H, b = G * H;
    const per = wi + wh, biases = 2 * per;
    return [0, 1].map((d) => [...w.slice(d * per, (d + 1) * per),
                              ...w.slice(biases + d * 2 * b, biases + (d + 1) * 2 * b)]);
  }
  const reverseTime = (v: number[], T: number, row: number): number[] => {
    const r: number[] = [];
    for (let t = T - 1; t >= 0; --t) r.push(...v.slice(t * row, (t + 1) * row));
    return r;
  };

  for (const mode of ['lstm', 'gru']) {
    it(`${mode}: bidirectional = forward pass + reverse pass on reversed time (values and gradients)`, () => {
      mx.scope(() => {
        const T = 9, N = 24, I = 40, H = 48, dtype = 'float64';
        const [x, w, h, c] = makeInputs(mode, T, N, I, H, 1, 2, 131, dtype, 0.15);
        const bi = { stateSize: H, numLayers: 1, mode, bidirectional: true, stateOutputs: true };
        const uni = { stateSize: H, numLayers: 1, mode, stateOutputs: true };
        const head = randomArray([T, N, 2 * H], 132, 1, 0, dtype);
        const vars = [x, w, h, ...(c ? [c] : [])].map((a) => a.copy());
        vars.forEach((v) => v.attachGrad());
        const outs = autograd.record(() => rnn(vars, bi));
        autograd.backward([outs[0]], [head]);

        const xd = values(x), hd = values(h), cd = c ? values(c) : [], hh = values(head);
        const ws = splitDirections(mode, values(w), I, H);
        const want = new Array<number>(T * N * 2 * H).fill(0);
        const dx = new Array<number>(T * N * I).fill(0);
        const dw: number[] = [];
        for (const d of [0, 1]) {
          const xs = d ? reverseTime(xd, T, N * I) : xd;
          const headD: number[] = [];
          for (let r = 0; r < T * N; ++r) headD.push(...hh.slice(r * 2 * H + d * H, r * 2 * H + (d + 1) * H));
          const ins = [nd.array(xs, { shape: [T, N, I], dtype }), nd.array(ws[d]!, { dtype }),
                       nd.array(hd.slice(d * N * H, (d + 1) * N * H), { shape: [1, N, H], dtype })];
          if (c) ins.push(nd.array(cd.slice(d * N * H, (d + 1) * N * H), { shape: [1, N, H], dtype }));
          ins.forEach((a) => a.attachGrad());
          const o = autograd.record(() => rnn(ins, uni));
          const hd2 = nd.array(d ? reverseTime(headD, T, N * H) : headD, { shape: [T, N, H], dtype });
          autograd.backward([o[0]], [hd2]);
          let ov = values(o[0]);
          if (d) ov = reverseTime(ov, T, N * H);
          for (let r = 0; r < T * N; ++r)
            for (let j = 0; j < H; ++j) want[r * 2 * H + d * H + j] = ov[r * H + j]!;
          let gx = values(ins[0].grad);
          if (d) gx = reverseTime(gx, T, N * I);
          gx.forEach((v, k) => { dx[k] += v; });
          dw.push(values(ins[1].grad));
        }
        near(outs[0], want, [T, N, 2 * H], 1e-10, 'output');
        near(vars[0].grad, dx, [T, N, I], 1e-10, 'd data');
        // Back to the bidirectional packing: weights of both directions, then their biases.
        const G = GATES[mode]!, per = G * H * (I + H), b2 = 2 * G * H;
        const dwPacked = [...dw[0]!.slice(0, per), ...dw[1]!.slice(0, per), ...dw[0]!.slice(per, per + b2),
                          ...dw[1]!.slice(per, per + b2)];
        near(vars[1].grad, dwPacked, [dwPacked.length], 1e-10, 'd parameters');
      });
    });
  }

  it('rnn_tanh: 2 stacked layers = layer 0, then layer 1 on its output (float32)', () => {
    mx.scope(() => {
      const T = 7, N = 32, I = 30, H = 64, dtype = 'float32';
      const [x, w, h] = makeInputs('rnn_tanh', T, N, I, H, 2, 1, 141, dtype, 0.1);
      const two = rnn([x, w, h], { stateSize: H, numLayers: 2, mode: 'rnn_tanh', stateOutputs: true });
      const wd = values(w), hd = values(h);
      const w0 = H * (I + H), w1 = H * (H + H), b = 2 * H;
      const p0 = [...wd.slice(0, w0), ...wd.slice(w0 + w1, w0 + w1 + b)];
      const p1 = [...wd.slice(w0, w0 + w1), ...wd.slice(w0 + w1 + b)];
      const one = { stateSize: H, numLayers: 1, mode: 'rnn_tanh', stateOutputs: true };
      const l0 = rnn([x, nd.array(p0, { dtype }), nd.array(hd.slice(0, N * H), { shape: [1, N, H], dtype })], one);
      const l1 = rnn([l0[0], nd.array(p1, { dtype }), nd.array(hd.slice(N * H), { shape: [1, N, H], dtype })], one);
      near(two[0], values(l1[0]), [T, N, H], 1e-5, 'output');
      near(two[1], [...values(l0[1]), ...values(l1[1])], [2, N, H], 1e-5, 'final state');
    });
  });
});

// ---- API forms, empty inputs ----

describe('gradients only where asked', () => {
  // Backward skips the gradients nobody reads (req kNull: data and initial state without
  // attachGrad); the parameter gradient must not change.
  for (const [mode, dtype] of [['lstm', 'float32'], ['lstm', 'float64'], ['gru', 'float32'], ['rnn_tanh', 'float64']]) {
    it(`${mode} ${dtype}: the same parameter gradient with and without data/state gradients`, () => {
      mx.scope(() => {
        const T = 6, N = 5, I = 7, H = 8, L = 2, D = 2;
        const ins = makeInputs(mode!, T, N, I, H, L, D, 151, dtype, 0.3);
        const params = { stateSize: H, numLayers: L, mode, bidirectional: true, stateOutputs: true };
        const head = randomArray([T, N, D * H], 152, 1, 0, dtype);
        const gradOfW = (all: boolean): number[] => {
          const vars = ins.map((a: Arr) => a.copy());
          vars.forEach((v: Arr, i: number) => { if (all || i === 1) v.attachGrad(); });
          const outs = autograd.record(() => rnn(vars, params));
          autograd.backward([outs[0]], [head]);
          if (all) expect(values(vars[0].grad).some((v) => v !== 0)).toBe(true);
          return values(vars[1].grad);
        };
        const full = gradOfW(true), only = gradOfW(false);
        expect(only.length).toBe(full.length);
        only.forEach((v, i) => expect(v).toBe(full[i]));
      });
    });
  }
});

describe("accumulating gradients (gradReq 'add')", () => {
  // Every gradient of two backward passes into 'add' buffers is twice one pass's gradient, with
  // sequence lengths, state-output gradients and every input's gradient in play.
  for (const [mode, dtype] of [['lstm', 'float32'], ['gru', 'float64'], ['rnn_relu', 'float16']]) {
    it(`${mode} ${dtype}: two passes give twice the gradients`, () => {
      mx.scope(() => {
        const T = 5, N = 4, I = 3, H = 6, L = 2, D = 2;
        const ins = makeInputs(mode!, T, N, I, H, L, D, 171, dtype, 0.3);
        ins.push(nd.array([5, 3, 0, 4], { dtype: 'int32' }));
        const params = { stateSize: H, numLayers: L, mode, bidirectional: true, stateOutputs: true,
                         useSequenceLength: true };
        const heads = [randomArray([T, N, D * H], 172, 1, 0, dtype), randomArray([L * D, N, H], 173, 1, 0, dtype)];
        const grads = (gradReq: 'write' | 'add', passes: number): number[][] => {
          const vars = ins.map((a: Arr) => a.copy());
          vars.slice(0, -1).forEach((v: Arr) => v.attachGrad({ gradReq }));
          for (let k = 0; k < passes; ++k) {
            const outs = autograd.record(() => rnn(vars, params));
            autograd.backward([outs[0], outs[1]], heads);
          }
          return vars.slice(0, -1).map((v: Arr) => values(v.grad));
        };
        const once = grads('write', 1), twice = grads('add', 2);
        const tol = dtype === 'float16' ? 1e-2 : dtype === 'float32' ? 1e-5 : 1e-12;
        once.forEach((g, k) => {
          expect(g.some((v) => v !== 0)).toBe(true);
          g.forEach((v, i) => expect(Math.abs(twice[k]![i]! - 2 * v)).toBeLessThanOrEqual(tol * (1 + Math.abs(v))));
        });
      });
    });
  }
});

describe('API forms and empty inputs', () => {
  it('returns one array without state_outputs, three for lstm with them; _npx_rnn is the same op', () => {
    mx.scope(() => {
      const x = makeInputs('lstm', 2, 1, 2, 2, 1, 1, 151, 'float32');
      const p = { stateSize: 2, numLayers: 1, mode: 'lstm' };
      const single = nd.RNN(...x, p);
      expect(Array.isArray(single)).toBe(false);
      expect(single.shape).toEqual([2, 1, 2]);
      const three = nd.RNN(...x, { ...p, stateOutputs: true });
      expect(three.map((a: Arr) => a.shape)).toEqual([[2, 1, 2], [1, 1, 2], [1, 1, 2]]);
      expect(values(mx.operator.invoke('_npx_rnn', x, { state_size: 2, num_layers: 1, mode: 'lstm' })[0]))
        .toEqual(values(single));
    });
  });

  it('empty sequence gives an empty output and the initial state; empty batch gives empty arrays', () => {
    mx.scope(() => {
      const p = { stateSize: 3, numLayers: 2, mode: 'gru', bidirectional: true, stateOutputs: true };
      const [x, w, h] = makeInputs('gru', 0, 2, 2, 3, 2, 2, 161, 'float32');
      w.attachGrad();
      h.attachGrad();
      const outs = autograd.record(() => rnn([x, w, h], p));
      expect(outs[0].shape).toEqual([0, 2, 6]);
      expect(values(outs[1])).toEqual(values(h));
      autograd.backward([outs[1]], [nd.onesLike(outs[1])]);
      expect(values(h.grad).every((v) => v === 1)).toBe(true);
      expect(values(w.grad).every((v) => v === 0)).toBe(true);
      const e = rnn(makeInputs('lstm', 3, 0, 2, 3, 1, 1, 162, 'float32'),
                    { stateSize: 3, numLayers: 1, mode: 'lstm', stateOutputs: true });
      expect(e.map((a: Arr) => a.shape)).toEqual([[3, 0, 3], [1, 0, 3], [1, 0, 3]]);
    });
  });
});

// ---- bad input ----

describe('bad input', () => {
  for (const c of fixtures.errors) {
    it(c.name, () => {
      let msg = '';
      try {
        mx.scope(() => {
          const ins = c.inputs.map((s) => nd.zeros(s.shape, { dtype: s.dtype }));
          for (const o of rnn(ins, c.params)) o.dataSync();
        });
      } catch (e) {
        expect(e).toBeInstanceOf(mx.IsotensorError);
        msg = (e as Error).message;
      }
      for (const m of c.match) expect(msg).toContain(m);
      expect(values(nd.elemwise_add(nd.array([1, 2]), nd.array([3, 4])))).toEqual([4, 6]);
    });
  }

  it('_backward_RNN checks its reserve and output gradients', () => {
    mx.scope(() => {
      const p = { state_size: 2, num_layers: 1, mode: 'rnn_tanh', state_outputs: true };
      const [x, w, h] = makeInputs('rnn_tanh', 3, 2, 2, 2, 1, 1, 171, 'float32');
      const og = nd.ones([3, 2, 2]), ogh = nd.ones([1, 2, 2]);
      const reserve = nd.zeros([12]);  // T * N * H for one vanilla layer
      const ok = mx.operator.invoke('_backward_RNN', [og, x, w, h, reserve, ogh], p);
      expect(ok.map((a: Arr) => a.shape)).toEqual([[3, 2, 2], [w.size], [1, 2, 2]]);
      const fails = (inputs: Arr[], want: string[]): void => {
        let msg = '';
        try {
          mx.operator.invoke('_backward_RNN', inputs, p);
        } catch (e) {
          expect(e).toBeInstanceOf(mx.IsotensorError);
          msg = (e as Error).message;
        }
        for (const m of want) expect(msg).toContain(m);
      };
      fails([og, x, w, h, nd.zeros([11]), ogh], ['_backward_RNN', 'reserve', '(12,)', '(11,)']);
      fails([nd.ones([3, 2, 3]), x, w, h, reserve, ogh], ['_backward_RNN', 'ograd', '(3,2,3)', '(3,2,2)']);
      fails([og, x, w, h, reserve, nd.ones([2, 2, 2])], ['_backward_RNN', 'ograd', '(2,2,2)']);
      fails([og, x, nd.zeros([5]), h, reserve, ogh], ['_backward_RNN', 'parameters', '(5,)']);
      fails([og, x, w, h, reserve], ['_backward_RNN', 'inputs', 'ograd_state']);
    });
  });
});
