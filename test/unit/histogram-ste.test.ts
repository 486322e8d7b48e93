// MXNet 1.9's _histogram (counts in bin_cnt even bins over range, or in the bins given as an array;
// not differentiable), _square_sum (sum of squares over axes; gradient 2 x ograd) and the
// straight-through estimators _contrib_round_ste / _contrib_sign_ste (round / sign forward, the
// output gradient passed through unchanged).
//
// Forward expectations come from test/fixtures/histogram_ste.json, written by
// test/fixtures/gen_histogram_ste.py with NumPy (run it to regenerate). The rest checks the API forms,
// edge cases, errors naming op and argument, Symbol JSON round trips, the gradients (finite differences
// for _square_sum, exact pass-through for the STE ops), and, with ISOTENSOR_GPU_KERNELS_ON_CPU=1, the
// GPU kernels' logic through their CPU twins.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { checkGrad, pseudoRandom, randomArray, recordGradCheck } from '../helpers/gradcheck';
import {
  callOp,
  errorOf,
  expectArray,
  expectClose,
  fromFixture,
  itRaisesFixtureErrors,
  loadFixtures,
  singleOpJSON,
  values,
  type FixtureCase,
  type FixtureErrorCase,
  type FixtureValue,
} from '../helpers/op-fixtures';

const { nd, autograd } = mx;
type Arr = any;
const ops = nd as unknown as Record<string, (...args: unknown[]) => Arr>;
const sym: any = mx.sym;

const fixtures = loadFixtures<{ cases: FixtureCase<FixtureValue>[]; errors: FixtureErrorCase[] }>('histogram_ste.json');

beforeAll(async () => {
  await mx.ready();
  announceBackend('histogram-ste');
});

const f64 = (data: number[], shape: number[]): Arr => nd.array(data, { shape, dtype: 'float64' });
const decode = (v: FixtureValue): number => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v);
const tolerances = { float16: 2e-3, float32: 1e-6, float64: 1e-12 };

// Counts of xs in the bins of `edges` (the last bin closed), by a plain scan.
function scanCounts(xs: number[], edges: number[]): number[] {
  const n = edges.length - 1;
  const c = new Array(n).fill(0);
  for (const x of xs) {
    if (!(x >= edges[0]! && x <= edges[n]!)) continue;
    let t = 0;
    while (t < n - 1 && x >= edges[t + 1]!) t++;
    c[t]++;
  }
  return c;
}

describe('against NumPy (test/fixtures/histogram_ste.json)', () => {
  for (const c of fixtures.cases) {
    it(c.name, () => {
      mx.scope(() => {
        const r = callOp(c.op, c.inputs.map(fromFixture), c.params);
        const outs = Array.isArray(r) ? r : [r];
        expect(outs).toHaveLength(c.expected.length);
        c.expected.forEach((e, k) => {
          const want = e.data.map(decode);
          // Exact where exactness is the point (counts; infinities, which a relative tolerance cannot take).
          if (e.dtype === 'int64' || e.dtype === 'int32' || want.some((v) => !Number.isFinite(v)))
            expectArray(outs[k], e.shape, e.dtype, want);
          else expectClose(outs[k], e.shape, e.dtype, want, `${c.name} output ${k}`, tolerances);
        });
      });
    });
  }
});

describe('errors name the op and the argument', () => {
  itRaisesFixtureErrors(fixtures.errors);

  it('histogram: edges that decrease (or are NaN) are rejected, and the library keeps working', () => {
    mx.scope(() => {
      const x = nd.array([0.5, 1.5]);
      for (const bad of [[0, 2, 1], [0, NaN, 1], [3, 2]]) {
        const m = errorOf(() => ops._histogram!(x, nd.array(bad)));
        expect(m).toContain('_histogram');
        expect(m).toContain("'bins'");
        expect(m).toContain('monotonically');
      }
      expect(values(ops._histogram!(x, nd.array([0, 1, 2]))[0])).toEqual([1, 1]);
    });
  });

  it('histogram: range must be finite', () => {
    mx.scope(() => {
      const m = errorOf(() => ops._histogram!(nd.array([1]), { binCnt: 2, range: [0, Infinity] }));
      expect(m).toContain('_histogram');
      expect(m).toContain("'range'");
    });
  });

  it('histogram is not differentiable: backward through it fails clearly', () => {
    mx.scope(() => {
      const x = nd.array([0.1, 0.6, 0.9], { dtype: 'float64' });
      x.attachGrad();
      const y = autograd.record(() => nd.elemwise_mul(ops._histogram!(x, { binCnt: 2, range: [0, 1] })[1], nd.ones([3], { dtype: 'float64' })));
      expect(() => y.backward()).toThrow(/_histogram.*not differentiable/);
      const z = autograd.record(() => ops._square_sum!(x));
      z.backward();
      expect(values(x.grad)).toEqual([0.2, 1.2, 1.8]);
    });
  });
});

describe('_histogram', () => {
  it('returns (counts int64, edges in data\'s dtype), with camelCase or snake_case options', () => {
    mx.scope(() => {
      const x = nd.array([0, 1, 2, 2, 3, 4], { shape: [3, 2] });
      const [h, e] = ops._histogram!(x, { binCnt: 5, range: [0, 5] });
      expectArray(h, [5], 'int64', [1, 1, 2, 1, 1]);
      expectArray(e, [6], 'float32', [0, 1, 2, 3, 4, 5]);
      const [h2] = ops._histogram!(x, { bin_cnt: 5, range: [0, 5] });
      expect(values(h2)).toEqual([1, 1, 2, 1, 1]);
      const [h3, e3] = ops._histogram!(x, nd.array([0, 2.1, 3]));
      expectArray(h3, [2], 'int64', [4, 1]);
      expectClose(e3, [3], 'float32', [0, 2.1, 3]);
    });
  });

  it('many values: counts agree with a scan of the returned edges (uniform and given edges)', () => {
    mx.scope(() => {
      for (const dtype of ['float32', 'float64'] as const) {
        const x = randomArray([50, 101], 3, 1.3, 0.1, dtype);
        const xs = values(x);
        for (const n of [1, 7, 64]) {
          const [h, e] = ops._histogram!(x, { binCnt: n, range: [-1, 1] });
          const want = scanCounts(xs, values(e));
          expect(values(h)).toEqual(want);
          expect(want.reduce((a, b) => a + b, 0)).toBeLessThan(xs.length);
        }
        const edges = pseudoRandom(12, 4).sort((a, b) => a - b);
        const [h, e] = ops._histogram!(x, nd.array(edges, { dtype }));
        expect(values(h)).toEqual(scanCounts(xs, values(e)));
      }
    });
  });

  it('the edges output keeps the bins input values exactly', () => {
    mx.scope(() => {
      const b = f64([-1e300, -0.1, 0, 0.1, 1e300], [5]);
      const [h, e] = ops._histogram!(f64([-1, 0, 0.05, 5, 1e300], [5]), b);
      expect(values(e)).toEqual(values(b));
      expect(values(h)).toEqual([1, 0, 2, 2]);
    });
  });

  it('integer data with edges beyond its range saturates them', () => {
    mx.scope(() => {
      const [h, e] = ops._histogram!(nd.array([-100, 0, 100], { dtype: 'int8' }), { binCnt: 2, range: [-1000, 1000] });
      expectArray(e, [3], 'int8', [-128, 0, 127]);
      expectArray(h, [2], 'int64', [1, 2]);
    });
  });
});

describe('_square_sum', () => {
  it('matches sum(x * x) on a long row and many outputs (the device engine\'s split paths)', () => {
    mx.scope(() => {
      for (const [shape, axis] of [[[3, 2500], 1], [[2500, 3], 0], [[40, 30, 20], [0, 2]]] as Array<[number[], number | number[]]>) {
        const x = randomArray(shape, 5, 2);
        const y = ops._square_sum!(x, { axis });
        const ref = nd.sum(nd.elemwise_mul(x, x), { axis });
        expectClose(y, ref.shape, 'float64', values(ref), `axis ${JSON.stringify(axis)}`, { float64: 1e-12 });
      }
    });
  });

  it('finite differences: axes, keepdims, exclude', () => {
    checkGrad('_square_sum', [randomArray([2, 3, 4], 11)], {});
    checkGrad('_square_sum', [randomArray([2, 3, 4], 12)], { axis: 1 });
    checkGrad('_square_sum', [randomArray([2, 3, 4], 13)], { axis: [0, 2], keepdims: true });
    checkGrad('_square_sum', [randomArray([2, 3, 4], 14)], { axis: -1, exclude: true });
    checkGrad('_square_sum', [randomArray([5, 1], 15)], { axis: 0 });
  });

  it('the gradient is 2 x ograd spread over the reduced axes, and differentiates again', () => {
    mx.scope(() => {
      const x = f64([1, -2, 3, 0.5, 4, -1], [2, 3]);
      x.attachGrad();
      const y = autograd.record(() => ops._square_sum!(x, { axis: 1 }));
      y.backward(f64([10, 100], [2]));
      expect(values(x.grad)).toEqual([20, -40, 60, 100, 800, -200]);
      // d/dx of sum(grad(square_sum)) = 2 per element.
      const x2 = f64([1, -2, 3], [3]);
      x2.attachGrad();
      autograd.record(() => {
        const g = autograd.grad(ops._square_sum!(x2), [x2], { createGraph: true })[0];
        return nd.sum(g);
      }).backward();
      expect(values(x2.grad)).toEqual([2, 2, 2]);
    });
  });

  it('gradients accumulate with gradReq add', () => {
    mx.scope(() => {
      const x = f64([1, 2], [2]);
      x.attachGrad('add');
      for (let i = 0; i < 2; i++) autograd.record(() => ops._square_sum!(x)).backward();
      expect(values(x.grad)).toEqual([4, 8]);
    });
  });

  it('empty input: zeros out, empty gradient', () => {
    mx.scope(() => {
      expect(values(ops._square_sum!(nd.zeros([0, 3]), { axis: 0 }))).toEqual([0, 0, 0]);
      expect(values(ops._square_sum!(nd.zeros([0, 3]))).length).toBe(1);
      const x = nd.zeros([0, 3], { dtype: 'float64' });
      x.attachGrad();
      autograd.record(() => ops._square_sum!(x, { axis: 1 })).backward();
      expect(x.grad!.shape).toEqual([0, 3]);
    });
  });
});

describe('straight-through estimators', () => {
  for (const op of ['_contrib_round_ste', '_contrib_sign_ste']) {
    it(`${op}: the gradient is the output gradient, unchanged`, () => {
      mx.scope(() => {
        for (const dtype of ['float32', 'float64'] as const) {
          const x = nd.array([-1.5, 1.5, -1.9, 1.9, 2.7, 0], { dtype });
          x.attachGrad();
          const og = nd.array([0.25, -3, 7, 1e-3, 5, -2], { dtype });
          autograd.record(() => ops[op]!(x)).backward(og);
          expect(values(x.grad)).toEqual(values(og));
          // Composed: d/dx ste(3 x) = 3.
          autograd.record(() => nd.sum(ops[op]!(nd._mul_scalar(x, { scalar: 3 })))).backward();
          expect(values(x.grad)).toEqual([3, 3, 3, 3, 3, 3]);
        }
        // Finite differences cannot see a straight-through gradient (round and sign are flat almost
        // everywhere): the exact checks above are its gradient check.
        recordGradCheck(op);
      });
    });
  }

  it('is reachable as nd.contrib.round_ste / sign_ste', () => {
    mx.scope(() => {
      const contrib = (nd as any).contrib;
      expect(values(contrib.round_ste(nd.array([-2.5, 0.4, 2.5])))).toEqual([-3, 0, 3]);
      expect(values(contrib.sign_ste(nd.array([-2, 0, 3])))).toEqual([-1, 0, 1]);
    });
  });
});

describe('Symbol', () => {
  it('_histogram: MXNet JSON (bin_cnt form and bins form) loads, round-trips and binds', () => {
    mx.scope(() => {
      const x = f64([0, 1, 2, 2, 3, 4, 0.5, 7], [2, 4]);
      const cases: Array<[Record<string, string>, Record<string, Arr>, number[], number[]]> = [
        [{ bin_cnt: '5', range: '(0, 5)' }, { data: x }, [2, 1, 2, 1, 1], [0, 1, 2, 3, 4, 5]],
        [{}, { data: x, bins: f64([0, 2.1, 3, 7], [4]) }, [5, 0, 3], [0, 2.1, 3, 7]],
      ];
      for (const [attrs, args, counts, edges] of cases) {
        const s = sym.loadJSON(singleOpJSON('_histogram', attrs, Object.keys(args), 2));
        expect(s.listArguments()).toEqual(Object.keys(args));
        const again = sym.loadJSON(s.toJSON());
        expect(again.toJSON()).toBe(s.toJSON());
        const ex = again.bind(here(), args, { gradReq: 'null' } as any);
        const out = ex.forward();
        // The JSON's head is output 0; the node itself has both outputs.
        expectArray(out[0], [counts.length], 'int64', counts);
        ex.dispose();
        const both = sym._histogram({ data: sym.Variable('data'), ...(args.bins ? { bins: sym.Variable('bins') } : {}),
          ...(attrs.bin_cnt ? { binCnt: 5, range: [0, 5] } : {}) });
        expect(both.listOutputs()).toHaveLength(2);
        const ex2 = both.bind(here(), args, { gradReq: 'null' } as any);
        const [h, e] = ex2.forward();
        expect(values(h)).toEqual(counts);
        expectClose(e, [edges.length], 'float64', edges);
        ex2.dispose();
      }
    });
  });

  it('_square_sum and the STE ops: JSON loads, round-trips, binds, runs forward and backward like nd', () => {
    mx.scope(() => {
      const x = randomArray([3, 4], 31, 2);
      const cases: Array<[string, Record<string, string>, (a: Arr) => Arr]> = [
        ['_square_sum', { axis: '(1,)', keepdims: 'True' }, (a) => ops._square_sum!(a, { axis: [1], keepdims: true })],
        ['_square_sum', {}, (a) => ops._square_sum!(a)],
        ['_contrib_round_ste', {}, (a) => ops._contrib_round_ste!(a)],
        ['_contrib_sign_ste', {}, (a) => ops._contrib_sign_ste!(a)],
      ];
      for (const [op, attrs, ref] of cases) {
        const s = sym.loadJSON(singleOpJSON(op, attrs, ['data']));
        const again = sym.loadJSON(s.toJSON());
        expect(again.toJSON()).toBe(s.toJSON());
        const grad = nd.zeros([3, 4], { dtype: 'float64' });
        const ex = again.bind(here(), { data: x }, { argsGrad: { data: grad } } as any);
        const out = ex.forward({ isTrain: true })[0];
        const want = ref(x);
        expectClose(out, want.shape, 'float64', values(want), op);
        const head = nd.array(pseudoRandom(out.size, 32), { shape: out.shape, dtype: 'float64' });
        ex.backward(head);
        const v = x.copy();
        v.attachGrad();
        autograd.record(() => ref(v)).backward(head);
        expectClose(ex.gradDict.data, [3, 4], 'float64', values(v.grad), `${op} grad`);
        ex.dispose();
      }
    });
  });
});
