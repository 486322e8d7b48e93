// MXNet's Correlation (FlowNet's correlation layer) and its gradient _backward_Correlation.
//
// Forward and gradient expectations come from test/fixtures/correlation.json, written by
// test/fixtures/gen_correlation.py with NumPy following MXNet's CPU loops (src/operator/
// correlation.cc): is_multiply true and false, kernel sizes 1, 3 and 5, max_displacement/stride2
// combinations, stride1 > 1, padding (also wider than the image), non-square images, float16/32/64,
// and |a - b|'s sign convention where a == b. The rest checks the gradients by finite differences,
// the error messages, empty arrays, gradient accumulation, the hidden outputs and Symbol JSON.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { checkGrad, pseudoRandom, randomArray } from '../helpers/gradcheck';
import {
  camelKeys, errorOf, expectClose, fromFixture, itRaisesFixtureErrors, loadFixtures, values, type FixtureArray,
  type FixtureCase, type FixtureErrorCase,
} from '../helpers/op-fixtures';

const { nd } = mx;
type Arr = any;
const sym: any = mx.sym;
const Correlation = (nd as any).Correlation as (...args: unknown[]) => Arr;

interface GradCase {
  name: string;
  params: Record<string, unknown>;
  inputs: FixtureArray[];
  ograd: FixtureArray;
  expected: FixtureArray[];
}
const fixtures = loadFixtures<{ cases: FixtureCase[]; grads: GradCase[]; errors: FixtureErrorCase[] }>('correlation.json');

beforeAll(async () => {
  await mx.ready();
  announceBackend('correlation');
});


describe('Correlation against NumPy (test/fixtures/correlation.json)', () => {
  for (const c of fixtures.cases) {
    it(c.name, () => {
      mx.scope(() => {
        const y = Correlation(...c.inputs.map(fromFixture), camelKeys(c.params));
        const e = c.expected[0]!;
        expectClose(y, e.shape, e.dtype, e.data, c.name);
      });
    });
  }
});

describe("gradients against MXNet's backward loop (float64)", () => {
  for (const c of fixtures.grads) {
    it(c.name, () => {
      mx.scope(() => {
        const [a, b] = c.inputs.map(fromFixture);
        a.attachGrad();
        b.attachGrad();
        mx.autograd.record(() => {
          Correlation(a, b, camelKeys(c.params)).backward(fromFixture(c.ograd));
        });
        expectClose(a.grad, c.expected[0]!.shape, 'float64', c.expected[0]!.data, `${c.name} d data1`);
        expectClose(b.grad, c.expected[1]!.shape, 'float64', c.expected[1]!.data, `${c.name} d data2`);
      });
    });
  }
});

describe('gradients (finite differences, float64)', () => {
  const cases: Array<[number[], Record<string, unknown>]> = [
    [[2, 2, 4, 5], {}],
    [[1, 2, 6, 5], { kernelSize: 3, padSize: 1 }],
    [[1, 2, 7, 6], { kernelSize: 3, maxDisplacement: 2, stride2: 2, padSize: 2 }],
    [[1, 3, 8, 7], { stride1: 2, maxDisplacement: 2, padSize: 2 }],
    [[1, 1, 9, 8], { stride1: 3, kernelSize: 3, maxDisplacement: 4, stride2: 3, padSize: 4 }],
    [[1, 2, 2, 3], { padSize: 3, stride1: 2 }],
  ];
  for (const [shape, params] of cases) {
    for (const isMultiply of [true, false]) {
      it(`${JSON.stringify(shape)} ${JSON.stringify(params)} isMultiply=${isMultiply}`, () => {
        // Random values: |a - b| is differentiable at every pair (no ties, no zeros).
        checkGrad('Correlation', [randomArray(shape, 3), randomArray(shape, 4)], { ...params, isMultiply });
      });
    }
  }
});

describe('errors name the op, the argument and the shapes', () => {
  itRaisesFixtureErrors(fixtures.errors);

  it('_backward_Correlation checks its own inputs', () => {
    mx.scope(() => {
      const op = '_backward_Correlation';
      const x = nd.zeros([1, 2, 5, 5]);
      const invoke = (inputs: Arr[], params: Record<string, unknown> = {}) => () =>
        mx.operator.invoke(op, inputs, params as never)[0];
      let m = errorOf(invoke([nd.zeros([1, 9, 4, 4]), x, x]));
      expect(m).toContain(op); expect(m).toContain("'ograd'"); expect(m).toContain('(1,9,4,4)'); expect(m).toContain('(1,9,3,3)');
      m = errorOf(invoke([nd.zeros([1, 9, 3, 3]), x, nd.zeros([1, 2, 5, 4])]));
      expect(m).toContain(op); expect(m).toContain("'data2'");
      m = errorOf(invoke([nd.zeros([1, 9, 3, 3]), x, x], { kernel_size: 4 }));
      expect(m).toContain(op); expect(m).toContain("'kernel_size'");
      m = errorOf(invoke([nd.zeros([1, 9, 3, 3], { dtype: 'float64' }), x, x]));
      expect(m).toContain(op); expect(m).toContain("'data1'");
      // Well-formed, it returns both gradients.
      const g = mx.operator.invoke(op, [nd.ones([1, 9, 3, 3]), x, x], {} as never);
      expect(g.map((a: Arr) => a.shape)).toEqual([[1, 2, 5, 5], [1, 2, 5, 5]]);
    });
  });
});

describe('API and edge cases', () => {
  it('returns one array (tmp1/tmp2 are hidden) with the documented shape; camelCase or snake_case options', () => {
    mx.scope(() => {
      const a = randomArray([2, 3, 9, 11], 5, 1, 0, 'float32'), b = randomArray([2, 3, 9, 11], 6, 1, 0, 'float32');
      const y = Correlation(a, b, { kernelSize: 3, maxDisplacement: 4, stride1: 2, stride2: 2, padSize: 4 });
      expect(Array.isArray(y)).toBe(false);
      // D = 2 * (4 / 2) + 1 = 5; top = ceil((9 + 8 - 2 * 5) / 2) = 4, ceil((11 + 8 - 10) / 2) = 5.
      expect(y.shape).toEqual([2, 25, 4, 5]);
      expect(y.dtype).toBe('float32');
      const z = Correlation(a, b, { kernel_size: 3, max_displacement: 4, stride1: 2, stride2: 2, pad_size: 4 });
      expect(values(z)).toEqual(values(y));
      expect(mx.operator.invoke('Correlation', [a, b], { max_displacement: '1' } as never).length).toBe(1);
    });
  });

  it('defaults: kernel 1, max_displacement 1, multiply; the centre channel is the mean of data1 * data2 over channels', () => {
    mx.scope(() => {
      const a = randomArray([1, 4, 3, 5], 7), b = randomArray([1, 4, 3, 5], 8);
      const y = Correlation(a, b);
      expect(y.shape).toEqual([1, 9, 1, 3]);
      const want = values(nd.mean(nd.elemwise_mul(a, b), { axis: 1 }));  // (1, 3, 5)
      const centre = values(y).slice(4 * 3, 5 * 3);  // channel q = 4 (no displacement), row 0 of the data is row 1
      centre.forEach((v, j) => expect(v).toBeCloseTo(want[1 * 5 + j + 1]!, 12));
    });
  });

  it('correlating an image with itself: is_multiply=false gives 0 at zero displacement', () => {
    mx.scope(() => {
      const a = randomArray([1, 2, 5, 6], 9);
      const y = Correlation(a, a, { isMultiply: false, kernelSize: 3, padSize: 1 });
      expect(y.shape).toEqual([1, 9, 3, 4]);
      expect(values(y).slice(4 * 12, 5 * 12)).toEqual(new Array(12).fill(0));
    });
  });

  it('handles empty batches', () => {
    mx.scope(() => {
      for (const dtype of ['float32', 'float64']) {
        const a = nd.zeros([0, 2, 5, 5], { dtype });
        a.attachGrad();
        let y: Arr;
        mx.autograd.record(() => {
          y = Correlation(a, a, { maxDisplacement: 2, padSize: 2 });
          y.backward();
        });
        expect(y!.shape).toEqual([0, 25, 5, 5]);
        expect(a.grad!.shape).toEqual([0, 2, 5, 5]);
      }
    });
  });

  it("gradients accumulate with grad_req 'add'", () => {
    mx.scope(() => {
      const a = randomArray([1, 2, 5, 5], 10), b = randomArray([1, 2, 5, 5], 11);
      const once = (req: 'write' | 'add', times: number): number[][] => {
        const x = a.copy(), z = b.copy();
        x.attachGrad(req);
        z.attachGrad(req);
        for (let t = 0; t < times; t++)
          mx.autograd.record(() => {
            Correlation(x, z, { kernelSize: 3, padSize: 2, maxDisplacement: 1 }).backward();
          });
        return [values(x.grad), values(z.grad)];
      };
      const [g1, g2] = once('write', 1);
      const [h1, h2] = once('add', 2);
      h1!.forEach((v, i) => expect(v).toBeCloseTo(2 * g1![i]!, 12));
      h2!.forEach((v, i) => expect(v).toBeCloseTo(2 * g2![i]!, 12));
    });
  });

  it('float16 accumulates in float32', () => {
    mx.scope(() => {
      const a = randomArray([1, 8, 6, 6], 12), b = randomArray([1, 8, 6, 6], 13);
      const params = { kernelSize: 3, maxDisplacement: 2, padSize: 2 };
      const want = values(Correlation(a.astype('float16').astype('float64'), b.astype('float16').astype('float64'), params));
      const got = Correlation(a.astype('float16'), b.astype('float16'), params);
      expect(got.dtype).toBe('float16');
      values(got).forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(2e-3));
    });
  });
});

describe('Symbol', () => {
  const json = (attrs: Record<string, string>) => JSON.stringify({
    nodes: [
      { op: 'null', name: 'img1', inputs: [] },
      { op: 'null', name: 'img2', inputs: [] },
      { op: 'Correlation', name: 'corr', attrs, inputs: [[0, 0, 0], [1, 0, 0]] },
    ],
    arg_nodes: [0, 1],
    node_row_ptr: [0, 1, 2, 5],
    heads: [[2, 0, 0]],
    attrs: { mxnet_version: ['int', 10901] },
  });

  it('MXNet JSON loads, round-trips, binds, and runs forward and backward like nd', () => {
    mx.scope(() => {
      const attrs = { kernel_size: '3', max_displacement: '2', stride1: '1', stride2: '2', pad_size: '2', is_multiply: 'False' };
      const s = sym.loadJSON(json(attrs));
      expect(s.listArguments()).toEqual(['img1', 'img2']);
      expect(s.listOutputs()).toEqual(['corr_output']);
      const again = sym.loadJSON(s.toJSON());
      expect(again.toJSON()).toBe(s.toJSON());
      const shape = [2, 3, 6, 7];
      expect(again.inferShape({ img1: shape, img2: shape }).outShapes).toEqual([[2, 9, 4, 5]]);
      const a = randomArray(shape, 14), b = randomArray(shape, 15);
      const grads = { img1: nd.zeros(shape, { dtype: 'float64' }), img2: nd.zeros(shape, { dtype: 'float64' }) };
      const ex = again.bind(here(), { img1: a, img2: b }, { argsGrad: grads } as any);
      const out = ex.forward({ isTrain: true })[0];
      const params = { kernelSize: 3, maxDisplacement: 2, stride2: 2, padSize: 2, isMultiply: false };
      const want = Correlation(a, b, params);
      expectClose(out, want.shape, 'float64', values(want), 'forward');
      const head = nd.array(pseudoRandom(out.size, 16), { shape: out.shape, dtype: 'float64' });
      ex.backward(head);
      const x = a.copy(), z = b.copy();
      x.attachGrad();
      z.attachGrad();
      mx.autograd.record(() => {
        Correlation(x, z, params).backward(head);
      });
      expectClose(ex.gradDict.img1, shape, 'float64', values(x.grad), 'd img1');
      expectClose(ex.gradDict.img2, shape, 'float64', values(z.grad), 'd img2');
      ex.dispose();
    });
  });

  it('sym.Correlation builds the op, infers shapes and names its output like MXNet', () => {
    const c = sym.Correlation({ data1: sym.Variable('a'), data2: sym.Variable('b'), maxDisplacement: 4, stride2: 2,
                                padSize: 4, name: 'corr1' });
    expect(c.listArguments()).toEqual(['a', 'b']);
    expect(c.listOutputs()).toEqual(['corr1_output']);
    expect(c.inferShape({ a: [4, 16, 12, 20] }).outShapes).toEqual([[4, 25, 12, 20]]);
    expect(JSON.parse(c.toJSON()).nodes[2].op).toBe('Correlation');
    let m = '';
    try {
      c.inferShape({ a: [4, 16, 12, 20], b: [4, 16, 12, 21] });
    } catch (e) {
      m = (e as Error).message;
    }
    expect(m).toContain('Correlation');
    expect(m).toContain("'data2'");
  });
});
