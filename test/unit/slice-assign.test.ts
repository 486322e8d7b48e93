// _slice_assign (_crop_assign) and _slice_assign_scalar (_crop_assign_scalar): a copy of the input
// with slice's region (begin/end/step, None entries, negative indices and steps) replaced by rhs or
// by a scalar.
//
// Forward expectations come from test/fixtures/slice_assign.json, written by
// test/fixtures/gen_slice_assign.py with NumPy. The rest checks in-place use (out = lhs), kAddTo
// through gradient accumulation, empty arrays, finite-difference and by-value gradients (d lhs is
// the output gradient with the region zeroed, d rhs its slice), errors, a Symbol round trip from
// MXNet JSON and, with ISOTENSOR_GPU_KERNELS_ON_CPU=1, the GPU kernels' logic through their CPU twins.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { checkGrad, randomArray } from '../helpers/gradcheck';
import {
  callOp, errorOf, expectArray, fromFixture, itRaisesFixtureErrors, loadFixtures, singleOpJSON, values,
} from '../helpers/op-fixtures';

const { nd, autograd, sym } = mx;
type Arr = any;

const fixtures = loadFixtures('slice_assign.json');

beforeAll(async () => {
  await mx.ready();
  announceBackend('slice-assign');
});

describe('_slice_assign and _slice_assign_scalar against NumPy (test/fixtures/slice_assign.json)', () => {
  for (const c of fixtures.cases) {
    it(`${c.name} (${c.op})`, () => {
      mx.scope(() => {
        const e = c.expected[0]!;
        const out = callOp(c.op, c.inputs.map(fromFixture), c.params);
        expectArray(out, e.shape, e.dtype, e.data);
        // The aliases run the same op.
        const alias = c.op === '_slice_assign' ? '_crop_assign' : '_crop_assign_scalar';
        expectArray(callOp(alias, c.inputs.map(fromFixture), c.params), e.shape, e.dtype, e.data);
      });
    });
  }

  it('out = lhs writes in place (MXNet\'s usage) and leaves rhs alone', () => {
    mx.scope(() => {
      for (const c of fixtures.cases) {
        const inputs = c.inputs.map(fromFixture);
        const before = c.inputs.map((a) => a.data);
        const r = callOp(c.op, inputs, { ...c.params, out: inputs[0] });
        expect(r).toBe(inputs[0]);
        const e = c.expected[0]!;
        expectArray(inputs[0], e.shape, e.dtype, e.data);
        if (inputs[1]) expect(values(inputs[1])).toEqual(before[1]);
      }
    });
  });

  it('a separate out array gets the result; the input is unchanged', () => {
    mx.scope(() => {
      const lhs = nd.array([1, 2, 3, 4, 5, 6], { shape: [2, 3] });
      const out = nd.zeros([2, 3]);
      nd._slice_assign(lhs, nd.array([9, 8], { shape: [2, 1] }), { begin: [null, 2], end: [null, 3], out });
      expect(values(out)).toEqual([1, 2, 9, 4, 5, 8]);
      expect(values(lhs)).toEqual([1, 2, 3, 4, 5, 6]);
      nd._slice_assign_scalar(lhs, { scalar: -1, begin: [1], end: [2], out });
      expect(values(out)).toEqual([1, 2, 3, -1, -1, -1]);
    });
  });

  it('empty arrays: a zero-length axis outside the region, and a region on an empty axis', () => {
    mx.scope(() => {
      const lhs = nd.zeros([3, 0]);
      const r = nd._slice_assign(lhs, nd.zeros([2, 0]), { begin: [1], end: [3] });
      expect(r.shape).toEqual([3, 0]);
      expect(nd._slice_assign_scalar(lhs, { scalar: 4, begin: [0, null], end: [2, null] }).shape).toEqual([3, 0]);
      const e = nd.zeros([0, 2]);
      expect(nd._slice_assign(e, nd.zeros([0, 1]), { begin: [0, 1], end: [0, 2] }).shape).toEqual([0, 2]);
    });
  });

  it('bool and int64 data', () => {
    mx.scope(() => {
      const b = nd.array([0, 0, 0, 0], { dtype: 'bool' });
      expect(values(nd._slice_assign_scalar(b, { scalar: 1, begin: [1], end: [4], step: [2] }))).toEqual([0, 1, 0, 1]);
      const i = nd.array([1, 2, 3], { dtype: 'int64' });
      expectArray(nd._slice_assign(i, nd.array([7], { dtype: 'int64' }), { begin: [-1], end: [null] }), [3], 'int64',
                  [1, 2, 7]);
    });
  });
});

describe('gradients', () => {
  it('finite differences: _slice_assign with respect to lhs and rhs', () => {
    checkGrad('_slice_assign', [randomArray([4, 3], 1), randomArray([2, 2], 2)], { begin: [1, 0], end: [3, 2] });
    checkGrad('_slice_assign', [randomArray([5, 4, 2], 3), randomArray([3, 2, 2], 4)],
              { begin: [null, -1], end: [null, 0], step: [2, -2] });
    checkGrad('_slice_assign', [randomArray([6], 5), randomArray([6], 6)], { begin: [null], end: [null] });
  });

  it('finite differences: _slice_assign_scalar', () => {
    checkGrad('_slice_assign_scalar', [randomArray([4, 3], 7)], { scalar: 2, begin: [1, 0], end: [3, 3], step: [1, 2] });
    checkGrad('_slice_assign_scalar', [randomArray([3, 2, 2], 8)], { begin: [-1], end: [null], step: [-1] });
  });

  it('gradient values: d lhs is the output gradient with the region zeroed, d rhs its slice', () => {
    mx.scope(() => {
      const lhs = nd.zeros([2, 3], { dtype: 'float64' });
      const rhs = nd.zeros([2, 1], { dtype: 'float64' });
      lhs.attachGrad();
      rhs.attachGrad();
      const head = nd.array([1, 2, 3, 4, 5, 6], { shape: [2, 3], dtype: 'float64' });
      autograd.record(() => nd._slice_assign(lhs, rhs, { begin: [null, 1], end: [null, 2] })).backward(head);
      expect(values(lhs.grad)).toEqual([1, 0, 3, 4, 0, 6]);
      expect(values(rhs.grad)).toEqual([2, 5]);
      const x = nd.zeros([4], { dtype: 'float32' });
      x.attachGrad();
      autograd.record(() => nd._slice_assign_scalar(x, { scalar: 3, begin: [3], end: [null], step: [-2] }))
        .backward(nd.array([1, 2, 3, 4]));
      expect(values(x.grad)).toEqual([1, 0, 3, 0]);
    });
  });

  it('gradients accumulate with gradReq add (kAddTo), and second-order gradients flow', () => {
    mx.scope(() => {
      const lhs = nd.array([1, 2, 3, 4], { dtype: 'float64' });
      const rhs = nd.array([5, 6], { dtype: 'float64' });
      lhs.attachGrad('add');
      rhs.attachGrad('add');
      for (let i = 0; i < 2; i++)
        autograd.record(() => nd._slice_assign(lhs, rhs, { begin: [0], end: [4], step: [2] }).mul(3).sum()).backward();
      expect(values(lhs.grad)).toEqual([0, 6, 0, 6]);
      expect(values(rhs.grad)).toEqual([6, 6]);
      // d/dz of sum(grad_z(sum(_slice_assign_scalar(z^2)))) = 2 outside the region.
      const z = nd.array([1, 2, 3], { dtype: 'float64' });
      z.attachGrad();
      autograd.record(() => {
        const [g] = autograd.grad([nd._slice_assign_scalar(z.mul(z), { scalar: 1, begin: [1], end: [2] }).sum()], [z],
                                  { createGraph: true });
        return g!.sum();
      }).backward();
      expect(values(z.grad)).toEqual([2, 0, 2]);
    });
  });
});

describe('bound executors', () => {
  it('gradReq add accumulates both gradients into the given arrays', () => {
    mx.scope(() => {
      const s = sym._slice_assign(sym.Variable('a'), sym.Variable('b'), { begin: [1], end: [3] });
      const ga = nd.array([10, 10, 10, 10]);
      const gb = nd.array([1, 1]);
      const ex = s.bind(here(), { a: nd.array([1, 2, 3, 4]), b: nd.array([5, 6]) },
                        { argsGrad: { a: ga, b: gb }, gradReq: 'add' });
      expect(values(ex.forward(true)[0])).toEqual([1, 5, 6, 4]);
      ex.backward([nd.array([1, 2, 3, 4])]);
      expect(values(ga)).toEqual([11, 10, 10, 14]);
      expect(values(gb)).toEqual([3, 4]);
      const t = sym._slice_assign_scalar(sym.Variable('x'), { scalar: 3, begin: [0], end: [4], step: [2] });
      const gx = nd.array([1, 1, 1, 1]);
      const ex2 = t.bind(here(), { x: nd.array([1, 2, 3, 4]) }, { argsGrad: { x: gx }, gradReq: 'add' });
      expect(values(ex2.forward(true)[0])).toEqual([3, 2, 3, 4]);
      ex2.backward([nd.array([5, 6, 7, 8])]);
      expect(values(gx)).toEqual([1, 7, 1, 9]);
    });
  });
});

describe('errors name the op, the argument and the shapes', () => {
  itRaisesFixtureErrors(fixtures.errors);

  it('an out array of another shape, and the library keeps working after an error', () => {
    mx.scope(() => {
      const lhs = nd.ones([3]);
      expect(errorOf(() => nd._slice_assign(lhs, nd.ones([2]), { begin: [0], end: [1] }))).toMatch(/_slice_assign.*rhs/);
      expect(errorOf(() => nd._slice_assign_scalar(lhs, { begin: [0], end: [1], out: nd.ones([2]) })))
        .toMatch(/_slice_assign_scalar.*out/);
      expect(values(nd._slice_assign(lhs, nd.zeros([1]), { begin: [0], end: [1] }))).toEqual([0, 1, 1]);
    });
  });
});

describe('Symbol', () => {
  it('MXNet JSON of _slice_assign and _crop_assign_scalar: load, infer the rhs shape, bind, forward, save', () => {
    mx.scope(() => {
      const json = singleOpJSON('_slice_assign', { begin: '(None, 1)', end: '(None, 3)', step: '(None, 1)' },
                                ['lhs', 'rhs']);
      const s = sym.loadJSON(json);
      expect(s.listArguments()).toEqual(['lhs', 'rhs']);
      const shapes = s.inferShape({ lhs: [2, 4] });
      expect(shapes.argShapes).toEqual([[2, 4], [2, 2]]);
      expect(shapes.outShapes).toEqual([[2, 4]]);
      const lhs = nd.array([1, 2, 3, 4, 5, 6, 7, 8], { shape: [2, 4] });
      const rhs = nd.array([-1, -2, -3, -4], { shape: [2, 2] });
      const r = s.bind(here(), { lhs, rhs }).forward();
      expect(values(r[0])).toEqual([1, -1, -2, 4, 5, -3, -4, 8]);
      const again = sym.loadJSON(s.toJSON());
      expect(values(again.bind(here(), { lhs, rhs }).forward()[0])).toEqual([1, -1, -2, 4, 5, -3, -4, 8]);

      const t = sym.loadJSON(singleOpJSON('_crop_assign_scalar', { scalar: '7', begin: '(0,)', end: '(1,)' }, ['x']));
      expect(values(t.bind(here(), { x: lhs }).forward()[0])).toEqual([7, 7, 7, 7, 5, 6, 7, 8]);
      const built = sym._slice_assign_scalar(sym.Variable('x'), { scalar: 0, begin: [null, 3], end: [null, null] });
      expect(values(sym.loadJSON(built.toJSON()).bind(here(), { x: lhs }).forward()[0]))
        .toEqual([1, 2, 3, 0, 5, 6, 7, 0]);
    });
  });
});
