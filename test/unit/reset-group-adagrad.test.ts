// reset_arrays (zeroes num_arrays arrays in place, no outputs) and _contrib_group_adagrad_update
// (row-wise AdaGrad: history holds one value per weight row, updated in place).
//
// group_adagrad_update's expectations over several steps come from test/fixtures/group_adagrad.json,
// written by test/fixtures/gen_group_adagrad.py with NumPy (MXNet 1.9's formula). The rest checks
// reset_arrays on arrays of several shapes and dtypes, errors, a Symbol built from MXNet JSON and,
// with ISOTENSOR_GPU_KERNELS_ON_CPU=1, the GPU kernels' logic through their CPU twins.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import {
  errorOf, expectClose, fromFixture, loadFixtures, singleOpJSON, values, type FixtureArray,
} from '../helpers/op-fixtures';

const { nd, sym } = mx;
type Arr = any;

interface Step { weight: FixtureArray; history: FixtureArray }
interface AdagradCase {
  name: string;
  params: Record<string, number>;
  weight: FixtureArray;
  history: FixtureArray;
  grads: FixtureArray[];
  expected: Step[];
}
const { cases } = loadFixtures<{ cases: AdagradCase[] }>('group_adagrad.json');
// The kernel runs in the weight's compute type (float32 for float16, whose history is stored as float16
// after each step), the reference in float64.
const tol = { float16: 1e-2, float32: 1e-5, float64: 1e-12 };
const camel = (p: Record<string, number>) => ({
  lr: p.lr, rescaleGrad: p.rescale_grad, clipGradient: p.clip_gradient, epsilon: p.epsilon,
});
const opts = (p: Record<string, number>) =>
  Object.fromEntries(Object.entries(camel(p)).filter(([, v]) => v !== undefined)) as { lr: number };

beforeAll(async () => {
  await mx.ready();
  announceBackend('reset-group-adagrad');
});

describe('_contrib_group_adagrad_update against NumPy (test/fixtures/group_adagrad.json)', () => {
  for (const c of cases) {
    it(`${c.name}: ${c.grads.length} steps with out = weight`, () => {
      mx.scope(() => {
        const weight = fromFixture(c.weight);
        const history = fromFixture(c.history);
        c.grads.forEach((g, k) => {
          const r = nd._contrib_group_adagrad_update(weight, fromFixture(g), history, { ...opts(c.params), out: weight });
          expect(r).toBe(weight);
          const e = c.expected[k]!;
          expectClose(weight, e.weight.shape, e.weight.dtype, e.weight.data, `step ${k} weight`, tol);
          expectClose(history, e.history.shape, e.history.dtype, e.history.data, `step ${k} history`, tol);
        });
      });
    });
  }

  it('without out: a new weight array; the weight is unchanged and history still updated', () => {
    mx.scope(() => {
      const c = cases[0]!;
      const weight = fromFixture(c.weight);
      const history = fromFixture(c.history);
      const r = nd._contrib_group_adagrad_update(weight, fromFixture(c.grads[0]!), history, opts(c.params));
      const e = c.expected[0]!;
      expectClose(r, e.weight.shape, e.weight.dtype, e.weight.data, 'new weight', tol);
      expectClose(history, e.history.shape, e.history.dtype, e.history.data, 'history', tol);
      expect(values(weight)).toEqual(values(fromFixture(c.weight)));
    });
  });

  it('empty weights leave everything as it is', () => {
    mx.scope(() => {
      const h = nd.ones([3, 1]);
      const r = nd._contrib_group_adagrad_update(nd.zeros([3, 0]), nd.zeros([3, 0]), h, { lr: 0.1 });
      expect(r.shape).toEqual([3, 0]);
      expect(values(h)).toEqual([1, 1, 1]);
      expect(nd._contrib_group_adagrad_update(nd.zeros([0, 2]), nd.zeros([0, 2]), nd.zeros([0, 1]), { lr: 0.1 }).shape)
        .toEqual([0, 2]);
    });
  });

  it('errors name the op, the argument and the shapes', () => {
    mx.scope(() => {
      const w = nd.ones([3, 2]);
      expect(errorOf(() => nd._contrib_group_adagrad_update(w, nd.ones([2, 3]), nd.ones([3, 1]), { lr: 1 })))
        .toMatch(/_contrib_group_adagrad_update.*grad.*\(2,3\).*\(3,2\)/);
      expect(errorOf(() => nd._contrib_group_adagrad_update(w, nd.ones([3, 2]), nd.ones([3, 2]), { lr: 1 })))
        .toMatch(/_contrib_group_adagrad_update.*history.*\(3,2\).*one value per row/);
      expect(errorOf(() => nd._contrib_group_adagrad_update(w, nd.ones([3, 2]), nd.ones([2, 1]), { lr: 1 })))
        .toMatch(/_contrib_group_adagrad_update.*history.*\(2,1\)/);
      const i = nd.ones([3, 2], { dtype: 'int32' });
      expect(errorOf(() => nd._contrib_group_adagrad_update(i, i, nd.ones([3, 1], { dtype: 'int32' }), { lr: 1 })))
        .toMatch(/_contrib_group_adagrad_update.*int32/);
      expect(errorOf(() => nd._contrib_group_adagrad_update(w, w, nd.ones([3, 1], { dtype: 'float64' }), { lr: 1 })))
        .toMatch(/_contrib_group_adagrad_update.*history.*float64/);
      expect(errorOf(() => nd._contrib_group_adagrad_update(w, w, nd.ones([3, 1]), {} as never)))
        .toMatch(/_contrib_group_adagrad_update.*lr/);
    });
  });

  it('Symbol from MXNet JSON: history is an auxiliary state (mutated) inferred as (rows, 1); bind and forward', () => {
    mx.scope(() => {
      const s = sym.loadJSON(singleOpJSON('_contrib_group_adagrad_update', { lr: '0.1', epsilon: '1e-05' },
                                          ['weight', 'grad', 'history']));
      expect(s.listArguments()).toEqual(['weight', 'grad']);
      expect(s.listAuxiliaryStates()).toEqual(['history']);
      const shapes = s.inferShape({ weight: [3, 4] });
      expect(shapes.argShapes).toEqual([[3, 4], [3, 4]]);
      expect(shapes.auxShapes).toEqual([[3, 1]]);
      const c = cases[0]!;
      const history = fromFixture(c.history);
      const ex = s.bind(here(), { weight: fromFixture(c.weight), grad: fromFixture(c.grads[0]!) }, { auxStates: { history } });
      const out = ex.forward();
      const e = c.expected[0]!;
      expectClose(out[0], e.weight.shape, e.weight.dtype, e.weight.data, 'bound weight', tol);
      expectClose(ex.auxArrays[0], e.history.shape, e.history.dtype, e.history.data, 'bound history', tol);
      const again = sym.loadJSON(s.toJSON());
      expect(again.listAuxiliaryStates()).toEqual(['history']);
    });
  });
});

describe('reset_arrays', () => {
  it('zeroes 1..N arrays of different shapes and dtypes in place', () => {
    mx.scope(() => {
      const make = (): Arr[] => [
        nd.array([1, -2, 3], { dtype: 'float32' }),
        nd.array([1.5, 2.5, 3.5, 4.5], { shape: [2, 2], dtype: 'float64' }),
        nd.array([7, 8, 9, 10, 11, 12], { shape: [1, 2, 3], dtype: 'int32' }),
        nd.array([1, 0, 1], { dtype: 'bool' }),
        nd.array([0.5, 0.25], { dtype: 'float16' }),
        nd.zeros([0, 3]),
        nd.array([255, 1], { dtype: 'uint8' }),
        nd.array([5], { dtype: 'int64' }),
      ];
      for (let n = 1; n <= 8; n++) {
        const xs = make();
        const untouched = xs.slice(n).map(values);
        const r = nd.reset_arrays(xs.slice(0, n));
        expect(Array.isArray(r) ? r.length : -1).toBe(0);
        xs.slice(0, n).forEach((x, k) => {
          expect(values(x), `array ${k} of ${n}`).toEqual(new Array(x.size).fill(0));
        });
        expect(xs.slice(n).map(values)).toEqual(untouched);
      }
      // num_arrays is the number of arrays given; an explicit one works as well.
      const a = nd.ones([2, 3]);
      nd.reset_arrays(a);
      expect(values(a)).toEqual([0, 0, 0, 0, 0, 0]);
      const b = nd.ones([2]);
      expect(mx.operator.invoke('reset_arrays', [a.add(1), b], { num_arrays: '2' })).toEqual([]);
      expect(values(b)).toEqual([0, 0]);
      expect(values(a)).toEqual([0, 0, 0, 0, 0, 0]);
    });
  });

  it('later reads see the zeros (the write is ordered after earlier work on the arrays)', () => {
    mx.scope(() => {
      const a = nd.ones([64, 64]);
      const b = a.mul(3);
      nd.reset_arrays([a, b]);
      expect(values(nd.sum(a.add(b)))).toEqual([0]);
    });
  });

  it('errors: num_arrays differs from the arrays given, or is out of range', () => {
    mx.scope(() => {
      const a = nd.ones([2]);
      expect(errorOf(() => mx.operator.invoke('reset_arrays', [a, a], { num_arrays: '3' }) as never)).toMatch(/reset_arrays/);
      expect(errorOf(() => mx.operator.invoke('reset_arrays', [], { num_arrays: '0' }) as never)).toMatch(/reset_arrays.*num_arrays/);
      expect(values(a)).toEqual([1, 1]);
    });
  });
});
