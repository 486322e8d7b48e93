// amp_cast, amp_multicast, _split_v2, SVMOutput, Crop, all_finite, multi_all_finite, multi_sum_sq:
// MXNet 1.9 operators that real symbol files and AMP / LAMB code use.
//
// Forward and gradient expectations come from test/fixtures/misc_ops.json, written by
// test/fixtures/gen_misc_ops.py with NumPy (run the script to regenerate it). The rest checks
// finite-difference gradients, gradient dtypes, Symbol round trips, init_output's AND into an
// existing output, chunked sums, and error messages. With ISOTENSOR_GPU_KERNELS_ON_CPU=1 every call
// runs the GPU kernels' CPU twins.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { checkGrad, opsRunDuring, pseudoRandom, randomArray, recordGradCheck } from '../helpers/gradcheck';
import {
  callOp, decode, errorOf, itRaisesFixtureErrors, fromFixture, loadFixtures, values, type FixtureArray, type FixtureCase, type FixtureErrorCase, type FixtureValue,
} from '../helpers/op-fixtures';

const { nd, sym, autograd } = mx;
type Arr = any;
const ops = nd as unknown as Record<string, (...args: unknown[]) => Arr>;
const syms = sym as unknown as Record<string, (...args: unknown[]) => Arr>;

const fixtures = loadFixtures<{ cases: FixtureCase<FixtureValue>[]; grads: FixtureCase<FixtureValue>[]; errors: FixtureErrorCase[] }>('misc_ops.json');

beforeAll(async () => {
  await mx.ready();
  announceBackend('misc-ops');
});

// Float results within a relative tolerance of their dtype (the fixtures' inputs are exact in
// every dtype, so most comparisons are exact); non-finite values must match exactly.
function expectClose(x: Arr, e: FixtureArray<FixtureValue>, what: string): void {
  expect(x.shape, `${what} shape`).toEqual(e.shape);
  expect(x.dtype, `${what} dtype`).toBe(e.dtype);
  const got = values(x);
  const want = e.data.map(decode);
  const rtol = e.dtype === 'float16' ? 1e-3 : e.dtype === 'float32' ? 2e-6 : 1e-12;
  expect(got.length, `${what} size`).toBe(want.length);
  want.forEach((w, i) => {
    if (!Number.isFinite(w)) expect(got[i], `${what}[${i}]`).toBe(w);
    else expect(Math.abs(got[i] - w), `${what}[${i}] = ${got[i]}, want ${w}`).toBeLessThanOrEqual(rtol * Math.max(1, Math.abs(w)));
  });
}

describe('forward against NumPy (test/fixtures/misc_ops.json)', () => {
  for (const c of fixtures.cases) {
    it(`${c.op}: ${c.name}`, () => {
      mx.scope(() => {
        const out = callOp(c.op, c.inputs.map(fromFixture), c.params);
        const outs = Array.isArray(out) ? out : [out];
        expect(outs.length).toBe(c.expected.length);
        c.expected.forEach((e, i) => expectClose(outs[i], e, `output ${i}`));
      });
    });
  }
});

describe('gradients against NumPy (head gradient of ones)', () => {
  for (const c of fixtures.grads) {
    it(`${c.op}: ${c.name}`, () => {
      mx.scope(() => {
        const inputs = c.inputs.map(fromFixture);
        inputs.forEach((x: Arr) => x.attachGrad());
        autograd.record(() => {
          const y = callOp(c.op, inputs, c.params);
          (Array.isArray(y) ? y[0] : y).backward();
        });
        c.expected.forEach((e, i) => expectClose(inputs[i].grad, e, `gradient ${i}`));
      });
    });
  }

  it('SVMOutput: the gradient is the derivative of the SVM loss (finite differences), L2 and L1', () => {
    // Scores away from the hinges at +-margin.
    const scores = [0.3, -1.6, 0.72, 1.4, -0.2, 0.05, -0.45, 2.1, -0.8, 0.9, 1.7, -1.2];
    const labels = [2, 0, 3];
    for (const [margin, reg, linear] of [[1, 1, false], [0.5, 2, false], [1, 0.5, true], [0.25, 3, true]] as const) {
      const loss = (o: number[]): number => {
        let l = 0;
        o.forEach((v, i) => {
          const h = Math.max(0, i % 4 === labels[Math.floor(i / 4)] ? margin - v : margin + v);
          l += linear ? h : h * h;
        });
        return reg * l;
      };
      mx.scope(() => {
        const d = nd.array(scores, { shape: [3, 4], dtype: 'float64' });
        d.attachGrad();
        const params = { margin, regularizationCoefficient: reg, useLinear: linear };
        autograd.record(() => nd.SVMOutput(d, nd.array(labels, { dtype: 'float64' }), params).backward());
        const analytic = values(d.grad);
        const eps = 1e-6;
        scores.forEach((_, e) => {
          const plus = scores.slice();
          const minus = scores.slice();
          plus[e] += eps;
          minus[e] -= eps;
          const numeric = (loss(plus) - loss(minus)) / (2 * eps);
          expect(Math.abs(analytic[e] - numeric), `d/dx[${e}] ${analytic[e]} vs ${numeric}`).toBeLessThan(1e-6 * (1 + Math.abs(numeric)));
        });
      });
    }
    recordGradCheck('SVMOutput');
  });

  it('SVMOutput ignores the head gradient, as MXNet loss layers do', () => {
    mx.scope(() => {
      const d = nd.array([[0.5, -2, 0.3], [2, 0.1, -0.5]], { dtype: 'float64' });
      const lab = nd.array([0, 2], { dtype: 'float64' });
      d.attachGrad();
      autograd.record(() => nd.SVMOutput(d, lab).backward(nd.array([[7, 7, 7], [-3, 0, 9]], { dtype: 'float64' })));
      expect(values(d.grad)).toEqual([-1, 0, 2 * 1.3, 6, 2.2, -2 * 1.5]);
    });
  });
});

describe('finite-difference gradient checks (float64)', () => {
  it('amp_cast and amp_multicast (float64 passes through)', () => {
    checkGrad('amp_cast', [randomArray([3, 4], 1)], { dtype: 'float16' });
    checkGrad('amp_multicast', [randomArray([3], 2), randomArray([2, 2], 3)], { numOutputs: 2 });
    checkGrad('amp_multicast', [randomArray([5], 4)], { numOutputs: 1, castNarrow: true });
  });

  it('_split_v2 along every axis, by indices and sections, squeezed or not', () => {
    const x = randomArray([3, 4, 2], 5);
    for (const axis of [0, 1, 2, -1, -2, -3]) {
      const n = x.shape[(axis + 3) % 3];
      checkGrad('_split_v2', [x], { indices: [], sections: n, axis });
      checkGrad('_split_v2', [x], { indices: [], sections: n, axis, squeezeAxis: true });
    }
    checkGrad('_split_v2', [x], { indices: [0, 1, 3], axis: 1 });
    checkGrad('_split_v2', [x], { indices: [0, 2], axis: 0 });
    checkGrad('_split_v2', [x], { indices: [0], axis: 2 });
    // Only some outputs used: the others get zero gradients.
    checkGrad('_split_v2', [x], { indices: [0, 1, 3], axis: 1 }, { outputs: [1] });
  });

  it('Crop with h_w, crop_like and center_crop (crop_like gets no gradient)', () => {
    const x = randomArray([2, 2, 5, 6], 6);
    checkGrad('Crop', [x], { numArgs: 1, hW: [2, 3], offset: [1, 2] });
    checkGrad('Crop', [x], { numArgs: 1, hW: [3, 4], centerCrop: true });
    checkGrad('Crop', [x, randomArray([1, 1, 4, 2], 7)], { numArgs: 2, offset: [1, 3] }, { wrt: [0] });
    checkGrad('Crop', [x, randomArray([1, 3, 2, 5], 8)], { numArgs: 2, centerCrop: true }, { wrt: [0] });
  });

  it('second-order: the gradient of Crop is differentiable (_backward_Crop crops back)', () => {
    let firstOrder: string[] = [];
    mx.scope(() => {
      const x = randomArray([1, 2, 4, 5], 9);
      const w = nd.array(pseudoRandom(2 * 2 * 3, 10), { shape: [1, 2, 2, 3], dtype: 'float64' });
      const og = nd.ones([1, 2, 2, 3], { dtype: 'float64' });
      og.attachGrad();
      x.attachGrad();
      autograd.record(() => {
        const y = nd.Crop(x, { numArgs: 1, hW: [2, 3], offset: [1, 1] });
        const [[gx], ran] = opsRunDuring(() => autograd.grad([y], [x], { headGrads: [og], createGraph: true, retainGraph: true }));
        expect(ran).toContain('_backward_Crop');
        firstOrder = ran;
        // d/d(og) of sum(gx * pad(w)) is w: pad w like gx, then crop it back.
        nd.sum(gx.mul(nd.Pad(w, { mode: 'constant', padWidth: [0, 0, 0, 0, 1, 1, 1, 1] }))).backward();
      });
      expect(values(og.grad)).toEqual(values(w));
    });
    // The gradient of gx = _backward_Crop(og) with respect to og is verified above.
    firstOrder.filter((op) => op === '_backward_Crop').forEach(recordGradCheck);
  });

  it('amp_cast from float16 gives a float16 gradient; amp_multicast casts each gradient back', () => {
    mx.scope(() => {
      const h = nd.array([1, 2, 3], { dtype: 'float16' });
      const f = nd.array([4, 5], { dtype: 'float32' });
      h.attachGrad();
      f.attachGrad();
      autograd.record(() => {
        const y = nd.amp_cast(h, { dtype: 'float32' });
        expect(y.dtype).toBe('float32');
        y.mul(nd.array([2, 3, 4])).backward();
      });
      expect(h.grad.dtype).toBe('float16');
      expect(values(h.grad)).toEqual([2, 3, 4]);
      h.attachGrad();
      autograd.record(() => {
        const [a, b] = nd.amp_multicast(h, f, { numOutputs: 2, castNarrow: true });
        expect([a.dtype, b.dtype]).toEqual(['float16', 'float16']);
        nd.sum(a).add(nd.sum(b.mul(nd.array([3, 5], { dtype: 'float16' })))).backward();
      });
      expect(h.grad.dtype).toBe('float16');
      expect(f.grad.dtype).toBe('float32');
      expect(values(h.grad)).toEqual([1, 1, 1]);
      expect(values(f.grad)).toEqual([3, 5]);
    });
  });
});

describe('API details', () => {
  it('amp_cast to bfloat16 and back', () => {
    mx.scope(() => {
      const x = nd.array([1.5, -2, 0.25, 96], { dtype: 'float32' });
      const b = nd.amp_cast(x, { dtype: 'bfloat16' });
      expect(b.dtype).toBe('bfloat16');
      expect(values(nd.amp_cast(b, { dtype: 'float32' }))).toEqual([1.5, -2, 0.25, 96]);
      const [p, q] = nd.amp_multicast(b, nd.array([1], { dtype: 'float16' }), { numOutputs: 2 });
      expect([p.dtype, q.dtype]).toEqual(['bfloat16', 'bfloat16']);  // MXNet: target starts at data_0's dtype
      const [r, s] = nd.amp_multicast(x, b, { numOutputs: 2, castNarrow: true });
      expect([r.dtype, s.dtype]).toEqual(['bfloat16', 'bfloat16']);
    });
  });

  it('_split_v2 returns an array per output, reads views at an offset', () => {
    mx.scope(() => {
      const row = nd.arange(0, 12).reshape([3, 4]).at(1);
      const parts = nd._split_v2(row, { indices: [0, 3], axis: 0 }) as Arr[];
      expect(parts.map(values)).toEqual([[4, 5, 6], [7]]);
      const one = nd._split_v2(row, { indices: [0], axis: 0 });
      expect(values(Array.isArray(one) ? one[0] : one)).toEqual([4, 5, 6, 7]);
    });
  });

  it('split_v2 (MXNet\'s Python front): sections or indices, axis 0 by default, on nd, NDArray and sym', () => {
    mx.scope(() => {
      const x = nd.arange(0, 12).reshape([6, 2]);
      expect((nd.split_v2(x, 3) as Arr[]).map(values)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
      expect((x.splitV2([1, 4]) as Arr[]).map((a: Arr) => a.shape)).toEqual([[1, 2], [3, 2], [2, 2]]);
      expect((nd.splitV2(x, 2, { axis: 1 }) as Arr[]).map(values)).toEqual([[0, 2, 4, 6, 8, 10], [1, 3, 5, 7, 9, 11]]);
      // MXNet's positional (ary, indices_or_sections, axis, squeeze_axis).
      expect((nd.split_v2(x, 2, 1, true) as Arr[]).map((a: Arr) => a.shape)).toEqual([[6], [6]]);
      expect(values(nd.split_v2(x, 1) as Arr)).toEqual(values(x));
      const s = sym.split_v2(sym.Variable('x'), [2], { axis: 0 });
      expect(s.listOutputs().length).toBe(2);
      expect(s.toJSON()).toContain('"indices": "(0, 2)"');
      const outs = s.bind(here(), { x }).forward();
      expect(outs.map(values)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7, 8, 9, 10, 11]]);
      expect(sym.Variable('y').splitV2(3, 1).listOutputs().length).toBe(3);
      expect(errorOf(() => nd.split_v2(x, 0))).toMatch(/split_v2.*indicesOrSections.*positive integer/);
      expect(errorOf(() => nd.split_v2(x, 4))).toMatch(/_split_v2/);
      expect(errorOf(() => x.splitV2('2' as never))).toMatch(/splitV2.*list of indices/);
      expect(errorOf(() => x.splitV2(2, 'a' as never))).toMatch(/splitV2.*axis/);
    });
  });

  it('all_finite and multi_all_finite with init_output=false AND into the given output', () => {
    mx.scope(() => {
      const flag = nd.array([1]);
      nd.all_finite(nd.array([1, 2]), { initOutput: false, out: flag });
      expect(values(flag)).toEqual([1]);
      nd.multi_all_finite(nd.array([1, NaN]), nd.array([3]), { numArrays: 2, initOutput: false, out: flag });
      expect(values(flag)).toEqual([0]);
      nd.all_finite(nd.array([1, 2]), { initOutput: false, out: flag });
      expect(values(flag)).toEqual([0]);  // stays cleared
      nd.all_finite(nd.array([1, 2]), { out: flag });
      expect(values(flag)).toEqual([1]);  // init_output=true sets it again
      const f16 = nd.array([1, 2, Infinity], { dtype: 'float16' });
      expect(values(nd.all_finite(f16))).toEqual([0]);
      expect(nd.all_finite(f16).dtype).toBe('float32');
    });
  });

  it('multi_sum_sq over arrays larger than one chunk (4096 elements), in every float dtype', () => {
    mx.scope(() => {
      const n = 10000;
      const data = Array.from({ length: n }, (_, i) => ((i % 13) - 6) / 4);
      const want = data.reduce((s, v) => s + v * v, 0);
      for (const dtype of ['float32', 'float64', 'float16']) {
        const big = nd.array(data, { dtype });
        const small = nd.array([3, 4], { dtype });
        const out = nd.multi_sum_sq(small, big, { numArrays: 2 });
        expect(out.shape).toEqual([2]);
        expect(out.dtype).toBe('float32');
        expect(values(out)).toEqual([25, want]);
      }
    });
  });

  it('all_finite family is not differentiable (backward through it fails with the op name)', () => {
    mx.scope(() => {
      const x = nd.array([1, 2]);
      x.attachGrad();
      expect(() => autograd.record(() => nd.multi_sum_sq(x, { numArrays: 1 }).backward())).toThrow(/multi_sum_sq/);
    });
  });
});

describe('error messages name the op, the argument and the shapes', () => {
  itRaisesFixtureErrors(fixtures.errors, (c) => `${c.op}: ${c.name}`);

  it('the library keeps working after an error', () => {
    mx.scope(() => {
      errorOf(() => nd._split_v2(nd.zeros([4]), { indices: [0, 9], axis: 0 }));
      expect(values(nd.Crop(nd.ones([1, 1, 2, 2]), { numArgs: 1, hW: [1, 1] }))).toEqual([1]);
    });
  });
});

describe('Symbol round trips (toJSON, fromJSON, bind, forward, backward)', () => {
  const roundTrip = (s: Arr): Arr => {
    const text = s.toJSON();
    const back = sym.fromJSON(text);
    expect(back.toJSON()).toBe(text);
    return back;
  };

  it('_split_v2 keeps its attributes and gives several outputs', () => {
    mx.scope(() => {
      const s = roundTrip(syms._split_v2(sym.var('x'), { indices: [0, 1], axis: 0 }));
      const node = JSON.parse(s.toJSON()).nodes.find((n: Arr) => n.op === '_split_v2');
      expect(node.attrs).toMatchObject({ indices: '(0, 1)', axis: '0' });
      const ex = s.bind(here(), { x: nd.array([[1, 2], [3, 4], [5, 6]]) });
      const outs = ex.forward();
      expect(outs.map(values)).toEqual([[1, 2], [3, 4, 5, 6]]);
    });
  });

  it('SVMOutput as a loss head: backward needs no head gradient', () => {
    mx.scope(() => {
      const s = roundTrip(syms.SVMOutput(sym.var('data'), sym.var('label'), { margin: 0.5, useLinear: true }));
      const data = nd.array([[0.2, -0.7], [1, -0.1]]);
      const g = nd.zeros([2, 2]);
      const ex = s.bind(here(), { data, label: nd.array([1, 0]) }, { data: g });
      expect(values(ex.forward({ isTrain: true })[0])).toEqual(values(data));
      ex.backward();
      // L1-SVM, margin 0.5: the label's class gets -1 where 0.5 > score, the others +1 where 0.5 > -score.
      expect(values(g)).toEqual([1, -1, 0, 1]);
    });
  });

  it('Crop with crop_like and amp_multicast in one graph', () => {
    mx.scope(() => {
      const [a, b] = [sym.var('a'), sym.var('b')];
      const cast = syms.amp_multicast(a, b, { numOutputs: 2, castNarrow: true });
      const c = roundTrip(syms.Crop(cast.get(0), cast.get(1), { numArgs: 2, centerCrop: true }));
      const x = nd.arange(0, 16).reshape([1, 1, 4, 4]);
      const ex = c.bind(here(), { a: x, b: nd.zeros([1, 1, 2, 2], { dtype: 'float16' }) });
      const [y] = ex.forward();
      expect(y.dtype).toBe('float16');
      expect(values(y)).toEqual([5, 6, 9, 10]);
    });
  });

  it('all_finite and multi_sum_sq run in a graph', () => {
    mx.scope(() => {
      const p = sym.var('p');
      const g = roundTrip(sym.Group([syms.all_finite(p), syms.multi_sum_sq(p, sym.var('q'), { numArrays: 2 })]));
      const ex = g.bind(here(), { p: nd.array([1, -2]), q: nd.array([Infinity]) });
      const [f, s] = ex.forward();
      expect(values(f)).toEqual([1]);
      expect(values(s)).toEqual([5, Infinity]);
    });
  });
});
