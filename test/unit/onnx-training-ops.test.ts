// mx.onnx: the ai.onnx.preview.training optimizers (Adagrad, Adam, Momentum), TensorScatter and LSTM with
// peepholes: onnx's conformance cases (test/fixtures/onnx/extra) plus steps checked against values computed here.
// SPDX-License-Identifier: Apache-2.0
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { runCase } from '../helpers/onnx-cases';
import { announceBackend } from '../helpers/backend';

type Arr = any;
const EXTRA = join(__dirname, '../fixtures/onnx/extra');
const model = (name: string): string => join(EXTRA, name, 'model.onnx');

beforeAll(async () => {
  await mx.ready();
  announceBackend('onnx-training-ops');
});

const f32 = (v: number[], shape?: number[]): Arr => mx.nd.array(v, { dtype: 'float32', ...(shape ? { shape } : {}) });
const scalar = (v: number, dtype: 'float32' | 'int64'): Arr => mx.nd.array([v], { dtype }).reshape([]);

/** Runs a fixture model's session on `feeds`; its outputs by name as plain numbers. */
function run(name: string, feeds: Record<string, Arr>): Record<string, number[]> {
  const s = mx.onnx.InferenceSession.createSync(model(name));
  try {
    const out = s.run<Arr>(feeds);
    return Object.fromEntries(s.outputNames.map((n) => [n, Array.from(out[n].dataSync() as Float32Array)]));
  } finally {
    s.dispose();
  }
}

function expectClose(got: number[], want: number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!), `${what}[${i}] = ${g}, expected ${want[i]}`).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(want[i]!)));
}

describe('onnx conformance cases (session and imported graph)', () => {
  const cases = readdirSync(EXTRA).filter((d) => d.startsWith('test_')).sort();
  it('has the cases', () => expect(cases.length).toBe(13));
  // Gradient runs in sessions only: importModel builds no gradient graphs.
  for (const name of cases) it(name, () => runCase(join(EXTRA, name), !name.startsWith('test_gradient')));
});

describe('Gradient', () => {
  it('d(a + b)/da, d((a + b) a)/db at other points than the fixtures, and importModel refuses it clearly', () => {
    const s = mx.onnx.InferenceSession.createSync(model('test_gradient_of_add_and_mul'));
    try {
      const out = mx.scope(() => {
        const r = s.run<Arr>({ a: scalar(3, 'float32').reshape([]), b: scalar(-2, 'float32').reshape([]) });
        return s.outputNames.map((n) => Array.from(r[n].dataSync() as Float32Array));
      });
      // d = (a + b) a: dd/da = 2a + b = 4, dd/db = a = 3.
      expect(out).toEqual([[3], [4], [3]]);
    } finally {
      s.dispose();
    }
    expect(() => mx.onnx.importModelSync(model('test_gradient_of_add'))).toThrow(/Gradient runs in an InferenceSession only/);
  });
});


// The fixtures all run step T = 0; these take later steps, where Adam's bias correction, Adagrad's decay
// and Momentum's beta apply. Attributes are those onnx's case generators gave each model.
describe('optimizer steps after the first (T > 0)', () => {
  it('Adam (alpha 0.95, beta 0.1, epsilon 1e-7, norm_coefficient 0.001) at T = 3', () => {
    const [x, g, v, h] = [[1, 2], [0.5, -1], [0.2, 0.3], [0.1, 0.4]];
    const out = mx.scope(() => run('test_adam', {
      R: scalar(0.1, 'float32'), T: scalar(3, 'int64'), X: f32(x), G: f32(g), V: f32(v), H: f32(h),
    }));
    const gr = x.map((xi, i) => 0.001 * xi + g[i]!);
    const vn = gr.map((gi, i) => 0.95 * v[i]! + 0.05 * gi);
    const hn = gr.map((gi, i) => 0.1 * h[i]! + 0.9 * gi * gi);
    const rate = (0.1 * Math.sqrt(1 - 0.1 ** 3)) / (1 - 0.95 ** 3);
    expectClose(out.V_new!, vn, 'V_new');
    expectClose(out.H_new!, hn, 'H_new');
    expectClose(out.X_new!, x.map((xi, i) => xi - (rate * vn[i]!) / (Math.sqrt(hn[i]!) + 1e-7)), 'X_new');
    // By hand: g = 0.501, V = 0.95 * 0.2 + 0.05 * 0.501.
    expect(out.V_new![0]).toBeCloseTo(0.21505, 6);
  });

  it('Adagrad (decay_factor 0.1, epsilon 1e-5, norm_coefficient 0.001) at T = 10', () => {
    const out = mx.scope(() => run('test_adagrad', {
      R: scalar(0.1, 'float32'), T: scalar(10, 'int64'), X: f32([1]), G: f32([3]), H: f32([7]),
    }));
    // r = 0.1 / (1 + 10 * 0.1) = 0.05; g = 3.001; H = 7 + 3.001^2; X = 1 - r * g / (sqrt(H) + 1e-5).
    const hNew = 7 + 3.001 * 3.001;
    expectClose(out.H_new!, [hNew], 'H_new');
    expectClose(out.X_new!, [1 - (0.05 * 3.001) / (Math.sqrt(hNew) + 1e-5)], 'X_new');
  });

  it('Momentum standard (alpha 0.95, beta 0.1, norm_coefficient 0.001): beta is 1 at T = 0 only', () => {
    const feeds = (t: number) => ({ R: scalar(0.5, 'float32'), T: scalar(t, 'int64'), X: f32([2, -4]), G: f32([1, 3]), V: f32([10, 20]) });
    const gr = [1.002, 2.996];
    for (const [t, beta] of [[0, 1], [4, 0.1]] as const) {
      const out = mx.scope(() => run('test_momentum', feeds(t)));
      const v = [0, 1].map((i) => 0.95 * [10, 20][i]! + beta * gr[i]!);
      expectClose(out.V_new!, v, `V_new at T=${t}`);
      expectClose(out.X_new!, [0, 1].map((i) => [2, -4][i]! - 0.5 * v[i]!), `X_new at T=${t}`);
    }
  });

  it('Momentum nesterov (alpha 0.95, beta 1, norm_coefficient 0.01) at T = 2', () => {
    const out = mx.scope(() => run('test_nesterov_momentum', {
      R: scalar(0.1, 'float32'), T: scalar(2, 'int64'), X: f32([1]), G: f32([2]), V: f32([4]),
    }));
    // g = 2.01; V = 0.95 * 4 + 2.01 = 5.81; X = 1 - 0.1 * (2.01 + 0.95 * 5.81).
    expectClose(out.V_new!, [5.81], 'V_new');
    expectClose(out.X_new!, [1 - 0.1 * (2.01 + 0.95 * 5.81)], 'X_new');
  });
});

/** ONNX's TensorScatter on (B, 1, S, K) caches along axis 2, written out in plain loops. */
function scatterRef(past: number[], upd: number[], w: number[], B: number, S: number, L: number, K: number, circular: boolean): number[] {
  const out = past.slice();
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < L; j++) {
      const s = circular ? (w[b]! + j) % S : w[b]! + j;
      for (let k = 0; k < K; k++) out[(b * S + s) * K + k] = upd[(b * L + j) * K + k]!;
    }
  }
  return out;
}

describe('TensorScatter', () => {
  const [B, S, L, K] = [2, 4, 2, 3];
  const past = Array.from({ length: B * S * K }, (_, i) => i);
  const upd = Array.from({ length: B * L * K }, (_, i) => 100 + i);

  it('circular writes wrap around past the cache end (write indices beyond max_sequence_length too)', () => {
    for (const w of [[3, 0], [5, 7]]) {
      const out = mx.scope(() => run('test_tensorscatter_circular', {
        past_cache: f32(past, [B, 1, S, K]), update: f32(upd, [B, 1, L, K]),
        write_indices: mx.nd.array(w, { dtype: 'int64' }),
      }));
      expect(out.present_cache, `write_indices ${w}`).toEqual(scatterRef(past, upd, w, B, S, L, K, true));
    }
  });

  it('linear writes at per-batch offsets', () => {
    const w = [2, 0];
    const out = mx.scope(() => run('test_tensorscatter', {
      past_cache: f32(past, [B, 1, S, K]), update: f32(upd, [B, 1, L, K]), write_indices: mx.nd.array(w, { dtype: 'int64' }),
    }));
    expect(out.present_cache).toEqual(scatterRef(past, upd, w, B, S, L, K, false));
  });

  it('without write_indices writes at 0 (a prefill), here along axis 1 of a rank-3 cache', () => {
    const out = mx.scope(() => {
      const s = mx.onnx.InferenceSession.createSync(join(EXTRA, 'tensorscatter_prefill.onnx'));
      const r = Array.from(s.run<Arr>({ past: f32(past, [B, S, K]), update: f32(upd, [B, L, K]) }).present.dataSync() as Float32Array);
      s.dispose();
      return r;
    });
    expect(out).toEqual(scatterRef(past, upd, [0, 0], B, S, L, K, false));
  });

  it('an update that does not fit, or a linear write past the end, is an IsotensorError naming the node', () => {
    const bad = (feeds: () => Record<string, Arr>, re: RegExp) => mx.scope(() => {
      let err: unknown;
      try {
        run('test_tensorscatter', feeds());
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(mx.IsotensorError);
      expect(String((err as Error).message)).toMatch(/onnx TensorScatter \(node '[^']+'\)/);
      expect(String((err as Error).message)).toMatch(re);
    });
    const wi = mx.nd.array([0, 0], { dtype: 'int64' });
    // Longer than the cache along the sequence axis.
    bad(() => ({ past_cache: f32(past, [B, 1, S, K]), update: f32(new Array(B * 5 * K).fill(1), [B, 1, 5, K]), write_indices: wi }),
        /does not fit/);
    // A different size outside the sequence axis.
    bad(() => ({ past_cache: f32(past, [B, 1, S, K]), update: f32(new Array(B * L * 2).fill(1), [B, 1, L, 2]), write_indices: wi }),
        /does not fit/);
    // Linear mode cannot write rows 3 and 4 of a 4-row cache.
    bad(() => ({ past_cache: f32(past, [B, 1, S, K]), update: f32(upd, [B, 1, L, K]), write_indices: mx.nd.array([3, 0], { dtype: 'int64' }) }),
        /write_indices\[0\] = 3/);
  });
});

describe('LSTM with peepholes', () => {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));

  /** ONNX's forward LSTM (gates i, o, f, c; P as i, o, f), keeping the state past each sequence's length. */
  function lstmRef(x: number[], w: number[], r: number[], bias: number[], p: number[], lens: number[], h0: number[], c0: number[],
                   T: number, N: number, I: number, H: number): number[] {
    const h = h0.slice();
    const cs = c0.slice();
    for (let t = 0; t < T; t++) {
      for (let n = 0; n < N; n++) {
        if (t >= lens[n]!) continue;
        const pre = (gate: number, j: number): number => {
          let s = bias[gate * H + j]! + bias[4 * H + gate * H + j]!;
          for (let k = 0; k < I; k++) s += x[(t * N + n) * I + k]! * w[(gate * H + j) * I + k]!;
          for (let k = 0; k < H; k++) s += h[n * H + k]! * r[(gate * H + j) * H + k]!;
          return s;
        };
        const hn: number[] = [];
        for (let j = 0; j < H; j++) {
          const cPrev = cs[n * H + j]!;
          const i = sig(pre(0, j) + p[j]! * cPrev);
          const f = sig(pre(2, j) + p[2 * H + j]! * cPrev);
          const cNew = f * cPrev + i * Math.tanh(pre(3, j));
          const o = sig(pre(1, j) + p[H + j]! * cNew);
          hn.push(o * Math.tanh(cNew));
          cs[n * H + j] = cNew;
        }
        for (let j = 0; j < H; j++) h[n * H + j] = hn[j]!;
      }
    }
    return h;
  }

  it('matches a direct evaluation over several steps, with sequence lengths and non-zero initial states', () => {
    const [T, N, I, H] = [3, 2, 4, 3];
    const wave = (n: number, a: number) => Array.from({ length: n }, (_, i) => Math.round(100 * Math.sin(a * (i + 1))) / 200);
    const x = wave(T * N * I, 0.7);
    const w = wave(4 * H * I, 1.3);
    const r = wave(4 * H * H, 2.1);
    const b = wave(8 * H, 0.9);
    const p = wave(3 * H, 1.7).map((v) => 2 * v);
    const h0 = wave(N * H, 0.4);
    const c0 = wave(N * H, 0.5);
    const lens = [3, 2];
    const out = mx.scope(() => run('test_lstm_with_peepholes', {
      X: f32(x, [T, N, I]), W: f32(w, [1, 4 * H, I]), R: f32(r, [1, 4 * H, H]), B: f32(b, [1, 8 * H]),
      sequence_lens: mx.nd.array(lens, { dtype: 'int32' }), initial_h: f32(h0, [1, N, H]), initial_c: f32(c0, [1, N, H]),
      P: f32(p, [1, 3 * H]),
    }));
    expectClose(out.Y_h!, lstmRef(x, w, r, b, p, lens, h0, c0, T, N, I, H), 'Y_h');
  });

  // Models of gen_models.mjs, P a graph input: P = 0 takes the fused RNN op, a tiny non-zero P the unrolled
  // steps, so both must agree on every output, for each direction and layout, with sequence lengths.
  for (const [file, D, layout] of [['lstm_peepholes_bidirectional.onnx', 2, 0], ['lstm_peepholes_reverse_layout1.onnx', 1, 1]] as const) {
    it(`unrolled steps agree with the fused op: ${file}`, () => mx.scope(() => {
      const [T, N, I, H] = [4, 3, 2, 3];
      const wave = (n: number, a: number) => Array.from({ length: n }, (_, i) => Math.sin(a * (i + 1)) / 2);
      const ss = layout ? [N, D, H] : [D, N, H];
      const feeds = (p: number) => ({
        X: f32(wave(T * N * I, 0.7), layout ? [N, T, I] : [T, N, I]), W: f32(wave(D * 4 * H * I, 1.3), [D, 4 * H, I]),
        R: f32(wave(D * 4 * H * H, 2.1), [D, 4 * H, H]), B: f32(wave(D * 8 * H, 0.9), [D, 8 * H]),
        L: mx.nd.array([4, 2, 3], { dtype: 'int32' }), H0: f32(wave(D * N * H, 0.4), ss), C0: f32(wave(D * N * H, 0.5), ss),
        P: f32(new Array<number>(D * 3 * H).fill(p), [D, 3 * H]),
      });
      const s = mx.onnx.InferenceSession.createSync(join(EXTRA, file));
      const fused = s.run<Arr>(feeds(0));
      const unrolled = s.run<Arr>(feeds(1e-30));
      for (const k of ['Y', 'Yh', 'Yc']) {
        expect(unrolled[k].shape, k).toEqual(fused[k].shape);
        expectClose(Array.from(unrolled[k].dataSync() as Float32Array), Array.from(fused[k].dataSync() as Float32Array), k);
      }
      s.dispose();
    }));
  }
});
