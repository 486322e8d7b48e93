// MXNet 1.9's multi-weight SGD updates (multi_sgd_update, multi_sgd_mom_update, multi_mp_sgd_update,
// multi_mp_sgd_mom_update and their preloaded_ forms, which take lrs and wds as float32 arrays),
// _multi_adamw_update and _multi_mp_adamw_update (rescale_grad an array; 0, NaN or inf skips the step),
// _multi_lamb_update and _multi_mp_lamb_update, multi_lars and ftml_update: several weights of
// different shapes in one call, float32/float64/float16 and float16 with float32 master copies,
// clipping on and off, momentum, states updated in place, the weights as `out`, Symbol construction (MXNet's input names, momentum and master copies as auxiliary states),
// JSON round trips and graph runs, and errors naming the op, the argument and the shapes.
//
// test/fixtures/optimizer_multi.json is written by test/fixtures/gen_optimizer_multi.py, which follows
// MXNet's kernels operation by operation: float16 results are exact (every operation rounded to float16,
// as mshadow's half_t does), so most comparisons are too.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import {
  callOp, errorOf, fromFixture, itRaisesFixtureErrors, loadFixtures, values, type FixtureArray, type FixtureCase,
  type FixtureErrorCase,
} from '../helpers/op-fixtures';

const { nd, sym } = mx;
type Arr = any;
const ops = nd as unknown as Record<string, (...args: unknown[]) => Arr>;
const syms = sym as unknown as Record<string, (...args: unknown[]) => Arr>;

/** A fixture case plus the inputs the op updates in place and the tolerance (0: exact). */
interface UpdateCase extends FixtureCase {
  mutated: { index: number; expected: FixtureArray }[];
  tol: number;
}
const fixtures = loadFixtures<{ cases: UpdateCase[]; errors: FixtureErrorCase[] }>('optimizer_multi.json');

beforeAll(async () => {
  await mx.ready();
  announceBackend('optimizer-multi');
});

/** Shape, dtype and values: exact when tol is 0, else within tol * max(1, |want|). */
function expectArrayClose(x: Arr, e: FixtureArray, tol: number, what: string): void {
  expect(x.shape, `${what} shape`).toEqual(e.shape);
  expect(x.dtype, `${what} dtype`).toBe(e.dtype);
  const got = values(x);
  if (tol === 0) {
    expect(got, what).toEqual(e.data);
    return;
  }
  expect(got.length, `${what} size`).toBe(e.data.length);
  e.data.forEach((w, i) => {
    expect(Math.abs(got[i]! - w), `${what}[${i}] = ${got[i]}, want ${w}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(w)));
  });
}

/** Positions of the weights among a case's inputs: groups of weight, grad, states..., [weight32]. */
function weightIndices(c: UpdateCase): number[] {
  if (c.op === 'ftml_update') return [0];
  if (c.op === 'multi_lars') return [];
  const states = c.op.includes('adamw') || c.op.includes('lamb') ? 2 : c.op.includes('_mom_') ? 1 : 0;
  const stride = 2 + states + (c.op.includes('_mp_') ? 1 : 0);
  return c.expected.map((_, k) => k * stride);
}

describe('forward against NumPy (test/fixtures/optimizer_multi.json)', () => {
  for (const c of fixtures.cases) {
    it(`${c.op}: ${c.name}`, () => {
      mx.scope(() => {
        const inputs = c.inputs.map(fromFixture);
        const out = callOp(c.op, inputs, c.params);
        const outs: Arr[] = Array.isArray(out) ? out : [out];
        expect(outs.length).toBe(c.expected.length);
        c.expected.forEach((e, i) => expectArrayClose(outs[i], e, c.tol, `output ${i}`));
        for (const m of c.mutated) expectArrayClose(inputs[m.index], m.expected, c.tol, `input ${m.index} (in place)`);
        // Without `out` the weights themselves keep their values.
        for (const w of weightIndices(c)) expect(values(inputs[w]), `weight input ${w}`).toEqual(c.inputs[w]!.data);
      });
    });

    if (weightIndices(c).length === 0) continue;
    it(`${c.op}: ${c.name}, out = the weights`, () => {
      mx.scope(() => {
        const inputs = c.inputs.map(fromFixture);
        const weights = weightIndices(c).map((w) => inputs[w]);
        const out = callOp(c.op, inputs, { ...c.params, out: weights.length === 1 ? weights[0] : weights });
        expect(Array.isArray(out) ? out : [out]).toEqual(weights.length === 1 ? [weights[0]] : weights);
        c.expected.forEach((e, k) => expectArrayClose(weights[k], e, c.tol, `weight ${k}`));
        for (const m of c.mutated) expectArrayClose(inputs[m.index], m.expected, c.tol, `input ${m.index} (in place)`);
      });
    });
  }
});

describe('behaviour', () => {
  const lrs = [0.1, 0.05];
  const wds = [0.01, 0.2];
  const make = (dtype = 'float32') => [
    nd.array([1, -2, 0.5], { dtype }), nd.array([0.25, 4, -1], { dtype }), nd.array([0.5, 0, -0.25], { dtype }),
    nd.array([[3, -1], [2, 0]], { dtype }), nd.array([[-2, 1], [0.5, 8]], { dtype }), nd.array([[0, 1], [-1, 0.5]], { dtype }),
  ];

  it('the preloaded ops equal the tuple-param ops on float32, and read lrs and wds at run time', () => {
    mx.scope(() => {
      const a = make();
      const b = make();
      const params = { numWeights: 2, momentum: 0.9, rescaleGrad: 0.5, clipGradient: 3 };
      const r1 = ops.multi_sgd_mom_update!(...a, { ...params, lrs, wds });
      const lrArr = nd.array(lrs);
      const wdArr = nd.array(wds);
      const r2 = ops.preloaded_multi_sgd_mom_update!(...b, lrArr, wdArr, params);
      expect(r2.map(values)).toEqual(r1.map(values));
      expect(values(b[2])).toEqual(values(a[2]));
      expect(values(b[5])).toEqual(values(a[5]));
      // New learning rates in the same arrays: the next call uses them.
      lrArr.set(nd.array([0, 0]));
      wdArr.set(nd.array([0, 0]));
      const mom0 = values(b[2]);
      const r3 = ops.preloaded_multi_sgd_mom_update!(...b, lrArr, wdArr, params);
      // lr = 0: mom = momentum * mom, and the weight moves by it.
      expect(values(b[2])).toEqual(mom0.map((m) => Math.fround(Math.fround(0.9) * m)));
      expect(values(r3[0])).toEqual(values(b[0]).map((w, i) => Math.fround(w + values(b[2])[i]!)));
    });
  });

  it('one output per weight, in the weights\' dtypes and shapes', () => {
    mx.scope(() => {
      const h = make('float16');
      const r = ops.multi_sgd_update!(h[0], h[1], h[3], h[4], { numWeights: 2, lrs, wds, rescaleGrad: 0.3 });
      expect(r.map((x: Arr) => x.dtype)).toEqual(['float16', 'float16']);
      expect(r.map((x: Arr) => x.shape)).toEqual([[3], [2, 2]]);
      const one = ops.multi_sgd_update!(h[0], h[1], { lrs: [0.1], wds: [0] });
      expect(Array.isArray(one)).toBe(false);
      expect(one.shape).toEqual([3]);
    });
  });

  it('bfloat16 weights with float32 master copies', () => {
    mx.scope(() => {
      const w = nd.array([1, -2, 0.5], { dtype: 'bfloat16' });
      const g = nd.array([0.25, 4, -1], { dtype: 'bfloat16' });
      const w32 = nd.array([1, -2, 0.5]);
      const r = ops.multi_mp_sgd_update!(w, g, w32, { lrs: [0.5], wds: [0] });
      expect(r.dtype).toBe('bfloat16');
      const want = [1 - 0.125, -2 - 2, 0.5 + 0.5];
      expect(values(w32)).toEqual(want);
      expect(values(r)).toEqual(want);
    });
  });

  it('clip_gradient 0 clips every gradient to 0; negative values leave it alone', () => {
    mx.scope(() => {
      const w = nd.array([1, 2]);
      const g = nd.array([100, -100]);
      expect(values(ops.multi_sgd_update!(w, g, { lrs: [1], wds: [0], clipGradient: 0 }))).toEqual([1, 2]);
      expect(values(ops.multi_sgd_update!(w, g, { lrs: [1], wds: [0], clipGradient: -0.5 }))).toEqual([-99, 102]);
    });
  });

  it('no gradient flows through an update', () => {
    const x = nd.array([1, 2]);
    x.attachGrad();
    expect(() => {
      mx.autograd.record(() => ops.multi_sgd_update!(x, nd.array([1, 1]), { lrs: [0.1], wds: [0] }).sum()).backward();
    }).toThrow(mx.IsotensorError);
  });

  it('the library keeps working after an error', () => {
    mx.scope(() => {
      errorOf(() => ops.multi_sgd_update!(nd.zeros([2]), nd.zeros([3]), { lrs: [0.1], wds: [0] }));
      expect(values(ops.multi_sgd_update!(nd.ones([2]), nd.ones([2]), { lrs: [0.5], wds: [0] }))).toEqual([0.5, 0.5]);
    });
  });
});

describe('error messages name the op, the argument and the shapes', () => {
  itRaisesFixtureErrors(fixtures.errors, (c) => `${c.op}: ${c.name}`);
});

describe('Symbol', () => {
  const roundTrip = (s: Arr): Arr => {
    const text = s.toJSON();
    const back = sym.fromJSON(text);
    expect(back.toJSON()).toBe(text);
    return back;
  };

  it('MXNet\'s input names, momentum and master copies as auxiliary states', () => {
    const mom = syms.multi_sgd_mom_update!({ numWeights: 2, lrs: [0.1, 0.2], wds: [0, 0], name: 'upd' });
    expect(mom.listArguments()).toEqual(['upd_weight_0', 'upd_grad_0', 'upd_weight_1', 'upd_grad_1']);
    expect(mom.listAuxiliaryStates()).toEqual(['upd_mom_0', 'upd_mom_1']);
    expect(mom.listOutputs()).toEqual(['upd_output0', 'upd_output1']);
    const mp = syms.multi_mp_sgd_mom_update!({ numWeights: 1, lrs: [0.1], wds: [0], name: 'mp' });
    expect(mp.listInputs()).toEqual(['mp_weight_0', 'mp_grad_0', 'mp_mom_0', 'mp_weight32_0']);
    expect(mp.listAuxiliaryStates()).toEqual(['mp_mom_0', 'mp_weight32_0']);
    const pre = syms.preloaded_multi_mp_sgd_update!({ numWeights: 2, name: 'p' });
    expect(pre.listArguments()).toEqual(['p_weight_0', 'p_grad_0', 'p_weight_1', 'p_grad_1', 'p_lrs', 'p_wds']);
    expect(pre.listAuxiliaryStates()).toEqual(['p_weight32_0', 'p_weight32_1']);
    const plain = syms.multi_sgd_update!({ numWeights: 1, lrs: [0.1], wds: [0], name: 's' });
    expect(plain.listArguments()).toEqual(['s_weight_0', 's_grad_0']);
    expect(plain.listAuxiliaryStates()).toEqual([]);
    const adamw = syms._multi_mp_adamw_update!({ numWeights: 1, lrs: [0.1], wds: [0], etas: [1], name: 'a' });
    expect(adamw.listArguments()).toEqual(['a_weight_0', 'a_grad_0', 'a_rescale_grad']);
    expect(adamw.listAuxiliaryStates()).toEqual(['a_mean_0', 'a_var_0', 'a_weight32_0']);
    expect(syms.ftml_update!({ lr: 0.1, t: 1, name: 'f' }).listAuxiliaryStates()).toEqual(['f_d', 'f_v', 'f_z']);
    expect(syms.multi_lars!({ eta: 0.001, eps: 0, name: 'l' }).listArguments())
      .toEqual(['l_lrs', 'l_weights_sum_sq', 'l_grads_sum_sq', 'l_wds']);
  });

  it('multi_sgd_mom_update: JSON round trip, then bound and run like nd (states updated in place)', () => {
    mx.scope(() => {
      const names = ['w0', 'g0', 'm0', 'w1', 'g1', 'm1'];
      const params = { numWeights: 2, lrs: [0.1, 0.05], wds: [0.01, 0], momentum: 0.9, clipGradient: 1 };
      const s = roundTrip(syms.multi_sgd_mom_update!(...names.map((n) => sym.var(n)), { ...params, name: 'upd' }));
      const node = JSON.parse(s.toJSON()).nodes.find((n: Arr) => n.op === 'multi_sgd_mom_update');
      expect(node.attrs).toEqual({
        num_weights: '2', lrs: '(0.1, 0.05)', wds: '(0.01, 0)', momentum: '0.9', clip_gradient: '1',
      });
      expect(s.listArguments()).toEqual(['w0', 'g0', 'w1', 'g1']);
      expect(s.listAuxiliaryStates()).toEqual(['m0', 'm1']);
      const vals: Record<string, Arr> = {
        w0: nd.array([1, -2, 0.5]), g0: nd.array([0.25, 4, -1]), m0: nd.array([0.5, 0, -0.25]),
        w1: nd.array([[3, -1], [2, 0]]), g1: nd.array([[-2, 1], [0.5, 8]]), m1: nd.array([[0, 1], [-1, 0.5]]),
      };
      const copies = Object.fromEntries(Object.entries(vals).map(([k, v]) => [k, v.copy()]));
      const want = ops.multi_sgd_mom_update!(...names.map((n) => copies[n]), params);
      const ex = s.bind(here(), { w0: vals.w0, g0: vals.g0, w1: vals.w1, g1: vals.g1 },
        { auxStates: { m0: vals.m0, m1: vals.m1 } });
      const outs = ex.forward();
      expect(outs.map(values)).toEqual(want.map(values));
      expect(values(vals.m0)).toEqual(values(copies.m0));
      expect(values(vals.m1)).toEqual(values(copies.m1));
      ex.dispose();
    });
  });

  it('preloaded_multi_mp_sgd_mom_update from MXNet-style JSON: names, inference, a run', () => {
    mx.scope(() => {
      const inputs = ['weight_0', 'grad_0', 'mom_0', 'weight32_0', 'lrs', 'wds'];
      const text = JSON.stringify({
        nodes: [
          ...inputs.map((name) => ({ op: 'null', name, inputs: [] })),
          { op: 'preloaded_multi_mp_sgd_mom_update', name: 'upd', attrs: { num_weights: '1', momentum: '0.5' },
            inputs: inputs.map((_, i) => [i, 0, 0]) },
        ],
        arg_nodes: inputs.map((_, i) => i),
        node_row_ptr: [...inputs.map((_, i) => i), inputs.length, inputs.length + 1],
        heads: [[inputs.length, 0, 0]],
        attrs: { mxnet_version: ['int', 10901] },
      });
      const s = sym.loadJSON(text);
      expect(s.listArguments()).toEqual(['weight_0', 'grad_0', 'lrs', 'wds']);
      expect(s.listAuxiliaryStates()).toEqual(['mom_0', 'weight32_0']);
      const shapes = s.inferShape({ weight_0: [2, 3] });
      expect(shapes.argShapes).toEqual([[2, 3], [2, 3], [1], [1]]);
      expect(shapes.auxShapes).toEqual([[2, 3], [2, 3]]);
      const types = s.inferType({ weight_0: 'float16' });
      expect(types.argTypes).toEqual(['float16', 'float16', 'float32', 'float32']);
      expect(types.auxTypes).toEqual(['float32', 'float32']);
      const w = nd.array([1, 2], { dtype: 'float16' });
      const m = nd.array([1, -1]);
      const w32 = nd.array([1, 2]);
      const ex = s.bind(here(), { weight_0: w, grad_0: nd.array([2, -4], { dtype: 'float16' }), lrs: nd.array([0.25]),
        wds: nd.array([0]) }, { auxStates: { mom_0: m, weight32_0: w32 } });
      const [y] = ex.forward();
      // mom = 0.5*mom - 0.25*grad; weight32 += mom
      expect(values(m)).toEqual([0, 0.5]);
      expect(values(w32)).toEqual([1, 2.5]);
      expect(y.dtype).toBe('float16');
      expect(values(y)).toEqual([1, 2.5]);
      ex.dispose();
    });
  });
});
