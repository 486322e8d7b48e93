// _contrib_boolean_mask (nd.contrib.boolean_mask): the rows of data whose index entry is nonzero, an
// output shape that depends on the index VALUES (the data-shape hook of core-cpp/op/data_shape.h), and
// its gradient _backward_contrib_boolean_mask (out_grad scattered back to the selected rows).
//
// Forward expectations come from test/fixtures/boolean_mask.json, written by
// test/fixtures/gen_boolean_mask.py with NumPy (run the script to regenerate it). The rest checks the
// gradient against finite differences and by value, autograd through the op (memory flat over many
// steps), errors (and that the library keeps working after one), a Symbol that loads and round-trips
// but cannot be bound (its shape needs concrete data, as in MXNet), and, with
// ISOTENSOR_GPU_KERNELS_ON_CPU=1, the GPU kernels' logic through their CPU twins.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { checkBackwardOpGrad, checkGrad, pseudoRandom, randomArray } from '../helpers/gradcheck';
import {
  callOp, errorOf, expectArray, fromFixture, itRaisesFixtureErrors, loadFixtures, values, type FixtureCase,
  type FixtureErrorCase, type FixtureValue,
} from '../helpers/op-fixtures';

const { nd, autograd, sym } = mx;
type Arr = any;
const OP = '_contrib_boolean_mask';

const fixtures = loadFixtures<{ cases: FixtureCase<FixtureValue>[]; errors: FixtureErrorCase[] }>('boolean_mask.json');

beforeAll(async () => {
  await mx.ready();
  announceBackend('boolean-mask');
});

describe('_contrib_boolean_mask against NumPy (test/fixtures/boolean_mask.json)', () => {
  for (const c of fixtures.cases) {
    it(c.name, () => {
      mx.scope(() => {
        const out = callOp(c.op, c.inputs.map(fromFixture), c.params);
        expect(Array.isArray(out)).toBe(false);
        const e = c.expected[0]!;
        expectArray(out, e.shape, e.dtype, e.data as number[]);
      });
    });
  }

  it('is reached as nd.contrib.boolean_mask and nd.contrib.booleanMask', () => {
    mx.scope(() => {
      const contrib = (nd as any).contrib;
      expect(contrib.boolean_mask).toBe((nd as any)[OP]);
      expect(contrib.booleanMask).toBe(contrib.boolean_mask);
      const out = contrib.boolean_mask(nd.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), nd.array([0, 1, 0]));
      expectArray(out, [1, 3], 'float32', [4, 5, 6]);
    });
  });

  it('the output shape follows the index values of each call (lazily computed inputs too)', () => {
    mx.scope(() => {
      const data = nd.array(pseudoRandom(40, 3), { shape: [10, 4] });
      const got: number[] = [];
      for (let k = 0; k <= 10; k++) {
        // The index comes out of other ops, so the hook has to wait for them.
        const index = nd.broadcast_lesser(nd.arange(0, 10), nd.full([10], k));
        const out = nd.contrib.boolean_mask(data, index);
        got.push(out.shape[0]);
        expect(values(out)).toEqual(values(data).slice(0, 4 * k));
      }
      expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });
  });

  it('writes into a given output of the right shape and rejects a wrong one', () => {
    mx.scope(() => {
      const data = nd.array([1, 2, 3, 4, 5, 6], { shape: [3, 2] });
      const index = nd.array([1, 0, 1]);
      const out = nd.zeros([2, 2]);
      nd.contrib.boolean_mask(data, index, { out });
      expect(values(out)).toEqual([1, 2, 5, 6]);
      expect(errorOf(() => nd.contrib.boolean_mask(data, index, { out: nd.zeros([3, 2]) })))
        .toMatch(/_contrib_boolean_mask.*out.*\(2,2\)/);
    });
  });
});

describe('error messages name the op, the argument and the shapes', () => {
  itRaisesFixtureErrors(fixtures.errors);

  it('the library keeps working after an error', () => {
    mx.scope(() => {
      const x = nd.array([1, 2, 3, 4], { shape: [2, 2] });
      expect(errorOf(() => nd.contrib.boolean_mask(x, nd.array([1, 0, 1])))).toMatch(/_contrib_boolean_mask.*index/);
      expect(errorOf(() => nd.contrib.boolean_mask(x, nd.array([1, 0]), { axis: 1 }))).toMatch(/axis/);
      expectArray(nd.contrib.boolean_mask(x, nd.array([0, 1])), [1, 2], 'float32', [3, 4]);
    });
  });

  it('an index whose producer failed raises that error, and the next call works', () => {
    mx.scope(() => {
      const x = nd.array([1, 2, 3, 4], { shape: [2, 2] });
      // pick with a NaN index fails in its kernel; boolean_mask reads that index's values.
      const bad = nd.pick(nd.array([[1, 0], [0, 1]]), nd.array([NaN, 0]), { axis: 1 });
      expect(errorOf(() => nd.contrib.boolean_mask(x, bad))).toMatch(/not finite/);
      expectArray(nd.contrib.boolean_mask(x, nd.array([1, 1])), [2, 2], 'float32', [1, 2, 3, 4]);
    });
  });

  it('_backward_contrib_boolean_mask checks out_grad against the index', () => {
    mx.scope(() => {
      const data = nd.ones([3, 2]);
      const index = nd.array([1, 0, 1]);
      const run = (og: Arr) => mx.operator.invoke('_backward_contrib_boolean_mask', [og, data, index])[0];
      expect(errorOf(() => run(nd.ones([3, 2])))).toMatch(/_backward_contrib_boolean_mask.*out_grad.*selects 2 rows/);
      expect(errorOf(() => run(nd.ones([2, 3])))).toMatch(/_backward_contrib_boolean_mask.*out_grad.*\(2,3\)/);
      expect(values(run(nd.array([1, 2, 3, 4], { shape: [2, 2] })))).toEqual([1, 2, 0, 0, 3, 4]);
    });
  });
});

describe('gradients', () => {
  it('finite differences (float64 data; 1-D, 2-D, 3-D; int and float index)', () => {
    checkGrad(OP, [randomArray([6], 1), nd.array([1, 0, 1, 1, 0, 1], { dtype: 'int32' })]);
    checkGrad(OP, [randomArray([5, 3], 2), nd.array([0, 1, 0.5, -0, 1])], {}, { wrt: [0] });
    checkGrad(OP, [randomArray([4, 2, 3], 3), nd.array([1, 1, 0, 1], { dtype: 'int64' })], { axis: 0 });
  });

  it('_backward_contrib_boolean_mask: finite differences with respect to out_grad', () => {
    checkBackwardOpGrad('_backward_contrib_boolean_mask',
                        [randomArray([2, 3], 4), randomArray([4, 3], 5), nd.array([0, 1, 0, 1], { dtype: 'int32' })], {});
  });

  it('gradient values: out_grad rows at the selected rows, zeros elsewhere; none selected gives zeros', () => {
    mx.scope(() => {
      const x = nd.array([1, 2, 3, 4, 5, 6, 7, 8], { shape: [4, 2], dtype: 'float64' });
      x.attachGrad();
      const y = autograd.record(() => nd.contrib.boolean_mask(x, nd.array([0, 1, 0, 1])));
      expect(y.shape).toEqual([2, 2]);
      y.backward(nd.array([10, 20, 30, 40], { shape: [2, 2], dtype: 'float64' }));
      expect(values(x.grad)).toEqual([0, 0, 10, 20, 0, 0, 30, 40]);
      autograd.record(() => nd.sum(nd.contrib.boolean_mask(x, nd.zeros([4])))).backward();
      expect(values(x.grad)).toEqual(new Array(8).fill(0));
      // float32 data, index of another dtype, gradReq add accumulates.
      const z = nd.array([1, 2, 3], { dtype: 'float32' });
      z.attachGrad('add');
      for (let i = 0; i < 2; i++)
        autograd.record(() => nd.contrib.boolean_mask(z, nd.array([1, 0, 1], { dtype: 'uint8' })).mul(3).sum()).backward();
      expect(values(z.grad)).toEqual([6, 0, 6]);
    });
  });

  it('second-order gradients flow through the backward op', () => {
    mx.scope(() => {
      const z = nd.array([1, 2, 3, 4], { shape: [2, 2], dtype: 'float64' });
      z.attachGrad();
      const index = nd.array([0, 1]);
      autograd.record(() => {
        const [g] = autograd.grad([nd.contrib.boolean_mask(z.mul(z), index).sum()], [z], { createGraph: true });
        return g!.sum();
      }).backward();
      expect(values(z.grad)).toEqual([0, 0, 2, 2]);
    });
  });

  it('keeps memory flat over many recorded steps', () => {
    const w = nd.array(pseudoRandom(12, 7), { shape: [6, 2] });
    w.attachGrad();
    const step = (i: number): void => mx.scope(() => {
      const index = nd.array([i % 2, 1, 0, (i >> 1) % 2, 1, i % 3 === 0 ? 1 : 0]);
      autograd.record(() => nd.sum(nd.contrib.boolean_mask(w, index).mul(2))).backward();
    });
    for (let i = 0; i < 50; i++) step(i);
    mx.waitAll();
    const before = mx.memoryInfo();
    for (let i = 0; i < 1000; i++) step(i);
    mx.waitAll();
    const after = mx.memoryInfo();
    expect(after.liveArrays).toBeLessThanOrEqual(before.liveArrays);
    expect(after.liveBytes).toBeLessThanOrEqual(before.liveBytes);
    // Step 999: index [1, 1, 0, 1, 1, 1].
    expect(values(w.grad)).toEqual([2, 2, 2, 2, 0, 0, 2, 2, 2, 2, 2, 2]);
  });
});

describe('Symbol: the shape needs concrete data', () => {
  const json = JSON.stringify({
    nodes: [
      { op: 'null', name: 'data', inputs: [] },
      { op: 'null', name: 'index', inputs: [] },
      { op: OP, name: 'mask0', attrs: { axis: '0' }, inputs: [[0, 0, 0], [1, 0, 0]] },
    ],
    arg_nodes: [0, 1],
    node_row_ptr: [0, 1, 2, 3],
    heads: [[2, 0, 0]],
    attrs: { mxnet_version: ['int', 10901] },
  });

  it('loads MXNet JSON and round-trips; sym.contrib.boolean_mask builds the same node', () => {
    const s = sym.loadJSON(json);
    expect(s.listArguments()).toEqual(['data', 'index']);
    const again = sym.loadJSON(s.toJSON());
    expect(again.toJSON()).toBe(s.toJSON());
    const built = (sym as any).contrib.boolean_mask({ data: sym.Variable('data'), index: sym.Variable('index'), name: 'mask0' });
    expect(built.listArguments()).toEqual(['data', 'index']);
    expect(JSON.parse(built.toJSON()).nodes[2].op).toBe(OP);
  });

  it('partial inference leaves the first dim unknown; the index shape and the dtype follow data', () => {
    const s = sym.loadJSON(json);
    const r = s.inferShapePartial({ data: [5, 3] });
    expect(r.argShapes).toEqual([[5, 3], [5]]);
    expect(r.outShapes).toEqual([[0, 3]]);
    expect(s.inferType({ data: 'float64', index: 'int32' }).outTypes).toEqual(['float64']);
    expect(errorOf(() => s.inferShape({ data: [5, 3] }))).toMatch(/infer_shape.*cannot decide/);
    expect(errorOf(() => s.inferShape({ data: [5, 3], index: [4] }))).toMatch(/_contrib_boolean_mask.*index.*length 4/);
  });

  it('binding fails with an IsotensorError naming the op (MXNet cannot bind it either)', () => {
    mx.scope(() => {
      const s = sym.loadJSON(json);
      const m = errorOf(() => s.bind(here(), { data: nd.ones([3, 2]), index: nd.array([1, 0, 1]) }));
      expect(m).toMatch(/_contrib_boolean_mask/);
      expect(m).toMatch(/cannot infer the shape/);
      expect(m).toMatch(/depends on the input values/);
    });
  });
});
