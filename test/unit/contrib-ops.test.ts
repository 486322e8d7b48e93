// MXNet contrib ops: _contrib_arange_like, _contrib_div_sqrt_dim, _contrib_quadratic,
// _contrib_gradientmultiplier, _contrib_index_array, _contrib_index_copy, _contrib_box_iou and
// _contrib_box_nms (alias _contrib_box_non_maximum_suppression), reached as nd.contrib.* and sym.contrib.*.
//
// Forward expectations come from test/fixtures/contrib_ops.json, written by
// test/fixtures/gen_contrib_ops.py with NumPy (box_nms as MXNet 1.9's algorithm written out as loops;
// run the script to regenerate it). The rest checks gradients (finite differences where the op is
// differentiable, MXNet's zeros or scaled gradients where it is not), box_nms's record through its
// backward, errors, and Symbol JSON round trips. Run with ISOTENSOR_GPU_KERNELS_ON_CPU=1 it checks
// the GPU kernels' logic (their CPU twins).
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { checkGrad, pseudoRandom, randomArray, recordGradCheck } from '../helpers/gradcheck';
import { errorOf, fromFixture, loadFixtures, singleOpJSON, values, type FixtureArray } from '../helpers/op-fixtures';

const { nd } = mx;
type Arr = any;
const contrib = (nd as any).contrib as Record<string, (...args: unknown[]) => Arr>;
const sym: any = mx.sym;

interface Case {
  name: string; op: string; inputs: FixtureArray[]; params: Record<string, unknown>;
  expected: FixtureArray[]; tol: number; record?: FixtureArray;
}

const fixtures = loadFixtures<{ cases: Case[] }>('contrib_ops.json');

beforeAll(async () => {
  await mx.ready();
  announceBackend('contrib-ops');
});

const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const camelKeys = (p: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(p).map(([k, v]) => [camel(k), v]));

/** nd.contrib.<name> for "contrib.<name>", else nd.<op>. */
function opFn(op: string): (...args: unknown[]) => Arr {
  const fn = op.startsWith('contrib.') ? contrib[op.slice(8)] : (nd as any)[op];
  expect(typeof fn, `nd.${op} should be a function`).toBe('function');
  return fn;
}

function callOp(op: string, inputs: Arr[], params: Record<string, unknown>): Arr {
  const fn = opFn(op);
  return Object.keys(params).length ? fn(...inputs, params) : fn(...inputs);
}

function expectClose(x: Arr, shape: number[], dtype: string, want: number[], tol: number, what = ''): void {
  expect(x.shape, what).toEqual(shape);
  expect(x.dtype, what).toBe(dtype);
  const got = values(x);
  expect(got.length, what).toBe(want.length);
  got.forEach((v, i) => {
    const w = want[i]!;
    if (!(Math.abs(v - w) <= tol * (1 + Math.abs(w)))) expect.fail(`${what} element ${i}: got ${v}, want ${w}`);
  });
}

describe('contrib ops against NumPy (test/fixtures/contrib_ops.json)', () => {
  for (const c of fixtures.cases) {
    it(`${c.name} (${c.op})`, () => {
      mx.scope(() => {
        const out = callOp(c.op, c.inputs.map(fromFixture), camelKeys(c.params));
        const outs = Array.isArray(out) ? out : [out];
        expect(outs.length).toBe(c.expected.length);
        c.expected.forEach((e, i) => expectClose(outs[i], e.shape, e.dtype, e.data, c.tol, c.name));
      });
    });
  }
});

describe('names and API forms', () => {
  it('nd.contrib has the short, camelCase and alias names of the same functions', () => {
    expect(contrib.arangeLike).toBe(contrib.arange_like);
    expect(contrib.divSqrtDim).toBe(contrib.div_sqrt_dim);
    expect(contrib.indexArray).toBe(contrib.index_array);
    expect(contrib.indexCopy).toBe(contrib.index_copy);
    expect(contrib.boxIou).toBe(contrib.box_iou);
    expect(contrib.boxNms).toBe(contrib.box_nms);
    expect(contrib.box_non_maximum_suppression).toBe(contrib.box_nms);
    expect(typeof contrib.quadratic).toBe('function');
    expect(typeof contrib.gradientmultiplier).toBe('function');
    for (const n of ['_contrib_arange_like', '_npx_arange_like', '_contrib_box_non_maximum_suppression',
                     '_contrib_backward_quadratic', '_contrib_backward_gradientmultiplier'])
      expect(mx.operator.getOperator(n), n).toBeTruthy();
  });

  it('snake_case and camelCase option keys give the same result', () => {
    mx.scope(() => {
      const x = nd.ones([2, 3]);
      expect(values(contrib.arange_like!(x, { start: 1, repeat: 2 })))
        .toEqual(values(contrib.arangeLike!(x, { start: 1, repeat: 2 })));
      const b = nd.array([[0, 0.9, 0, 0, 1, 1], [0, 0.8, 0, 0, 1, 1]]);
      expect(values(contrib.box_nms!(b, { id_index: 0, topk: 1 }))).toEqual(values(contrib.boxNms!(b, { idIndex: 0, topk: 1 })));
    });
  });

  it('box_nms returns only its visible output; the record is its hidden second output', () => {
    mx.scope(() => {
      const b = nd.array([[0, 0.5, 0, 0, 1, 1], [0, 0.9, 0, 0, 1, 1], [0, 0.7, 5, 5, 6, 6]]);
      const y = contrib.box_nms!(b);
      expect(Array.isArray(y)).toBe(false);
      expect(y.shape).toEqual([3, 6]);
      const all = mx.operator.invoke('_contrib_box_nms', [b], {});
      expect(all.length).toBe(1);
      expect(values(all[0])).toEqual([0, 0.9, 0, 0, 1, 1, 0, 0.7, 5, 5, 6, 6, ...Array(6).fill(-1)].map(Math.fround));
      const info = mx.operator.getOperator('_contrib_box_non_maximum_suppression')!;
      expect(info.name).toBe('_contrib_box_nms');
      expect(info.outputs).toEqual(['output0', 'output1']);  // MXNet declares no names: output, hidden record
      expect(info.differentiable).toBe(true);
    });
  });
});

describe('gradients', () => {
  it('div_sqrt_dim: finite differences', () => {
    checkGrad('_contrib_div_sqrt_dim', [randomArray([2, 3, 4], 3)]);
  });

  it('quadratic: finite differences, and second order through _contrib_backward_quadratic', () => {
    checkGrad('_contrib_quadratic', [randomArray([3, 4], 5)], { a: 0.75, b: -1.5, c: 2 });
    checkGrad('_contrib_backward_quadratic', [randomArray([3, 4], 6), randomArray([3, 4], 7)],
              { a: 0.75, b: -1.5, c: 2 });
  });

  it('gradientmultiplier: identity forward, out_grad * scalar backward', () => {
    checkGrad('_contrib_gradientmultiplier', [randomArray([2, 5], 9)], { scalar: 1 });
    checkGrad('_contrib_backward_gradientmultiplier', [randomArray([2, 5], 10)], { scalar: -2.5 });
    mx.scope(() => {
      for (const dtype of ['float32', 'float64', 'float16']) {
        const x = nd.array([1, -2, 3], { dtype });
        x.attachGrad();
        mx.autograd.record(() => contrib.gradientmultiplier!(nd.square(x), { scalar: -0.5 })).backward();
        expect(values(x.grad)).toEqual([-1, 2, -3]);
      }
    });
  });

  it('index_copy: finite differences for old_tensor and new_tensor, no gradient for the index', () => {
    const idx = nd.array([3, 0], { dtype: 'float64' });
    checkGrad('_contrib_index_copy', [randomArray([4, 3], 11), idx, randomArray([2, 3], 12)], {}, { wrt: [0, 2] });
    mx.scope(() => {
      const old = randomArray([4, 2], 13);
      const nw = randomArray([3, 2], 14);
      const i = nd.array([1, 3, 1]);
      old.attachGrad();
      nw.attachGrad();
      const og = nd.array([1, 2, 3, 4, 5, 6, 7, 8], { shape: [4, 2], dtype: 'float64' });
      mx.autograd.record(() => contrib.index_copy!(old, i, nw)).backward(og);
      expect(values(old.grad)).toEqual([1, 2, 0, 0, 5, 6, 0, 0]);
      expect(values(nw.grad)).toEqual([3, 4, 7, 8, 3, 4]);
    });
  });

  it('box_nms: finite differences (gradients follow the kept boxes)', () => {
    // Class ids between integers, so the finite differences do not move a box to another class.
    const d = nd.array([[0.5, 0.5, 0.1, 0.1, 0.2, 0.2], [1.5, 0.4, 0.1, 0.1, 0.2, 0.2],
                        [0.5, 0.3, 0.1, 0.1, 0.14, 0.14], [2.5, 0.6, 0.5, 0.5, 0.7, 0.8]], { dtype: 'float64' });
    checkGrad('_contrib_box_nms', [d], { overlap_thresh: 0.1, id_index: 0 });
    checkGrad('_contrib_box_nms', [randomArray([2, 6, 5], 21, 0.3, 0.5)], { coord_start: 1, score_index: 0, topk: 4 });
  });

  it('box_nms backward moves out_grad rows to their input rows (MXNet unit test cases)', () => {
    mx.scope(() => {
      for (const c of fixtures.cases.filter((k) => k.op === 'contrib.box_nms' && k.inputs[0]!.dtype === 'float64')) {
        const x = fromFixture(c.inputs[0]!);
        x.attachGrad();
        const og = nd.array(pseudoRandom(x.size, 31), { shape: x.shape, dtype: 'float64' });
        mx.autograd.record(() => contrib.box_nms!(x, camelKeys(c.params))).backward(og);
        const width = x.shape[x.shape.length - 1];
        const want = new Array(x.size).fill(0);
        const g = values(og);
        c.record!.data.forEach((r, i) => {
          if (r >= 0) for (let k = 0; k < width; k++) want[r * width + k] = g[i * width + k];
        });
        expectClose(x.grad, x.shape, 'float64', want, 0, c.name);
      }
    });
  });

  it('MXNet doc example of box_nms backward', () => {
    mx.scope(() => {
      const x = nd.array([[0, 0.5, 0.1, 0.1, 0.2, 0.2], [1, 0.4, 0.1, 0.1, 0.2, 0.2],
                          [0, 0.3, 0.1, 0.1, 0.14, 0.14], [2, 0.6, 0.5, 0.5, 0.7, 0.8]]);
      x.attachGrad();
      const og = nd.array([[0.1, 0.1, 0.1, 0.1, 0.1, 0.1], [0.2, 0.2, 0.2, 0.2, 0.2, 0.2],
                           [0.3, 0.3, 0.3, 0.3, 0.3, 0.3], [0.4, 0.4, 0.4, 0.4, 0.4, 0.4]]);
      mx.autograd.record(() => contrib.box_nms!(x, { overlapThresh: 0.1, idIndex: 0, forceSuppress: true })).backward(og);
      expectClose(x.grad, [4, 6], 'float32', [...Array(6).fill(0.2), ...Array(12).fill(0), ...Array(6).fill(0.1)], 1e-7);
    });
  });

  it('zero gradients: arange_like, index_array, box_iou (as in MXNet)', () => {
    mx.scope(() => {
      const x = randomArray([2, 4], 41);
      x.attachGrad();
      mx.autograd.record(() => nd.add(contrib.arange_like!(x, { start: 2 }), x)).backward();
      expect(values(x.grad)).toEqual(Array(8).fill(1));
      mx.autograd.record(() => contrib.index_array!(x)).backward();
      expect(values(x.grad)).toEqual(Array(8).fill(0));
      const l = nd.array([[0, 0, 1, 1], [0.5, 0.5, 2, 2]], { dtype: 'float64' });
      const r = nd.array([[0.2, 0.1, 1.5, 1]], { dtype: 'float64' });
      l.attachGrad();
      r.attachGrad();
      mx.autograd.record(() => contrib.box_iou!(l, r)).backward();
      expect(values(l.grad)).toEqual(Array(8).fill(0));
      expect(values(r.grad)).toEqual(Array(4).fill(0));
    });
    // MXNet defines box_iou's gradient as zeros (its _backward_contrib_box_iou writes zeros), which
    // is what was just checked; finite differences would see the IoU's true slope.
    recordGradCheck('_contrib_box_iou');
  });

  it('arange_like and index_array: finite differences agree with the zero gradient', () => {
    checkGrad('_contrib_arange_like', [randomArray([2, 3], 43)], { start: 1, step: 0.5 });
    checkGrad('_contrib_arange_like', [randomArray([2, 3], 44)], { axis: 0 });
    checkGrad('_contrib_index_array', [randomArray([2, 3], 45)], { axes: [1] });
  });
});

describe('errors name the op, the argument and the shapes', () => {
  const cases: Array<[string, () => Arr, RegExp]> = [
    ['arange_like axis out of range', () => contrib.arange_like!(nd.ones([2, 3]), { axis: 2 }),
     /_contrib_arange_like.*axis/],
    ['arange_like repeat 0', () => contrib.arange_like!(nd.ones([2]), { repeat: 0 }), /_contrib_arange_like.*repeat.*at least 1/],
    ['div_sqrt_dim of a 0-d array', () => contrib.div_sqrt_dim!(nd.array(3)), /_contrib_div_sqrt_dim.*data.*shape \(\)/],
    ['index_array axes on a 0-d array', () => contrib.index_array!(nd.array(1), { axes: [0] }), /_contrib_index_array.*axes/],
    ['index_copy 2-d index', () => contrib.index_copy!(nd.zeros([4, 2]), nd.zeros([1, 1]), nd.zeros([1, 2])),
     /_contrib_index_copy.*index_vector.*1-D.*\(1, ?1\)/],
    ['index_copy row width', () => contrib.index_copy!(nd.zeros([4, 2]), nd.zeros([1]), nd.zeros([1, 3])),
     /_contrib_index_copy.*new_tensor.*\(1, ?3\).*\(4, ?2\)/],
    ['index_copy too many rows', () => contrib.index_copy!(nd.zeros([2, 2]), nd.zeros([3]), nd.zeros([3, 2])),
     /_contrib_index_copy.*new_tensor/],
    ['index_copy index count', () => contrib.index_copy!(nd.zeros([4, 2]), nd.zeros([2]), nd.zeros([3, 2])),
     /_contrib_index_copy.*index_vector.*needs 3/],
    ['index_copy index out of range', () => contrib.index_copy!(nd.zeros([4, 2]), nd.array([1, 4]), nd.zeros([2, 2])),
     /_contrib_index_copy.*index_vector.*index 4 at position 1 is out of range/],
    ['index_copy negative index', () => contrib.index_copy!(nd.zeros([4, 2]), nd.array([-1]), nd.zeros([1, 2])),
     /_contrib_index_copy.*index_vector.*-1/],
    ['index_copy NaN index', () => contrib.index_copy!(nd.zeros([4, 2]), nd.array([NaN]), nd.zeros([1, 2])),
     /_contrib_index_copy.*index_vector/],
    ['box_iou last dim', () => contrib.box_iou!(nd.zeros([2, 5]), nd.zeros([2, 4])), /_contrib_box_iou.*lhs.*\(2, ?5\)/],
    ['box_iou 1-d rhs', () => contrib.box_iou!(nd.zeros([2, 4]), nd.zeros([4])), /_contrib_box_iou.*rhs.*\(4,?\)/],
    ['box_iou format', () => contrib.box_iou!(nd.zeros([2, 4]), nd.zeros([1, 4]), { format: 'xyxy' as any }), /format/],
    ['box_nms 1-d', () => contrib.box_nms!(nd.zeros([6])), /_contrib_box_nms.*data.*at least 2 dimensions/],
    ['box_nms narrow', () => contrib.box_nms!(nd.zeros([3, 4])), /_contrib_box_nms.*data.*at least 5/],
    ['box_nms narrow with id', () => contrib.box_nms!(nd.zeros([3, 5]), { idIndex: 0, coordStart: 1, scoreIndex: 0 }),
     /_contrib_box_nms.*data.*at least 6/],
    ['box_nms score in coordinates', () => contrib.box_nms!(nd.zeros([3, 6]), { scoreIndex: 3 }), /_contrib_box_nms.*score_index/],
    ['box_nms coordinates past the end', () => contrib.box_nms!(nd.zeros([3, 6]), { coordStart: 3 }),
     /_contrib_box_nms.*coord_start/],
    ['box_nms id equals score', () => contrib.box_nms!(nd.zeros([3, 6]), { idIndex: 1 }), /_contrib_box_nms.*id_index/],
    ['box_nms id out of range', () => contrib.box_nms!(nd.zeros([3, 7]), { idIndex: 7 }), /_contrib_box_nms.*id_index/],
    ['box_nms integer data', () => contrib.box_nms!(nd.zeros([3, 6], { dtype: 'int32' })), /_contrib_box_nms.*int32/],
  ];
  for (const [name, fn, re] of cases) {
    it(name, () => {
      mx.scope(() => expect(errorOf(fn)).toMatch(re));
    });
  }

  it('the library keeps working after an error', () => {
    mx.scope(() => {
      errorOf(() => contrib.index_copy!(nd.zeros([2, 1]), nd.array([5]), nd.zeros([1, 1])));
      expect(values(contrib.index_copy!(nd.zeros([2, 1]), nd.array([1]), nd.ones([1, 1])))).toEqual([0, 1]);
    });
  });
});

describe('dtypes and edge cases', () => {
  it('arange_like keeps every numeric dtype; unsigned types wrap negative starts like MXNet', () => {
    mx.scope(() => {
      for (const dtype of ['float32', 'float64', 'float16', 'int8', 'int32', 'int64', 'uint8']) {
        const y = contrib.arange_like!(nd.zeros([2, 2], { dtype }), { start: 1, step: 2 });
        expect(y.dtype).toBe(dtype);
        expect(values(y)).toEqual([1, 3, 5, 7]);
      }
      expect(values(contrib.arange_like!(nd.zeros([2], { dtype: 'uint8' }), { start: -1 }))).toEqual([255, 0]);
    });
  });

  it('index_array of an empty axis list and of a 0-d array', () => {
    mx.scope(() => {
      const z = contrib.index_array!(nd.array(5));
      expect(z.shape).toEqual([0]);
      expect(z.dtype).toBe('int64');
    });
  });

  it('quadratic, div_sqrt_dim and gradientmultiplier keep int dtypes', () => {
    mx.scope(() => {
      expect(values(contrib.quadratic!(nd.array([1, 2], { dtype: 'int64' }), { a: 1, c: 1 }))).toEqual([2, 5]);
      expect(contrib.div_sqrt_dim!(nd.array([[4, 8, 12, 16]], { dtype: 'int32' })).dtype).toBe('int32');
      expect(values(contrib.div_sqrt_dim!(nd.array([[4, 8, 12, 16]], { dtype: 'int32' })))).toEqual([2, 4, 6, 8]);
      expect(values(contrib.gradientmultiplier!(nd.array([7, 8], { dtype: 'int32' }), { scalar: 3 }))).toEqual([7, 8]);
    });
  });

  it('box_nms of no boxes and of many boxes per batch', () => {
    mx.scope(() => {
      expect(contrib.box_nms!(nd.zeros([2, 0, 6])).shape).toEqual([2, 0, 6]);
      // 300 identical-score, disjoint boxes: all kept, in input order (stable sort).
      const n = 300;
      const rows: number[] = [];
      for (let i = 0; i < n; i++) rows.push(0.5, 2 * i, 0, 2 * i + 1, 1);
      const y = values(contrib.box_nms!(nd.array(rows, { shape: [n, 5], dtype: 'float64' }), { coordStart: 1, scoreIndex: 0 }));
      expect(y).toEqual(rows);
      // The same boxes all on top of each other: only the first survives.
      const same: number[] = [];
      for (let i = 0; i < n; i++) same.push(0.5, 0, 0, 1, 1);
      const z = values(contrib.box_nms!(nd.array(same, { shape: [n, 5] }), { coordStart: 1, scoreIndex: 0 }));
      expect(z.slice(0, 5)).toEqual([0.5, 0, 0, 1, 1]);
      expect(z.slice(5).every((v) => v === -1)).toBe(true);
    });
  });
});

describe('Symbol', () => {
  const json = singleOpJSON;

  it('MXNet JSON loads, round-trips, binds, and runs forward and backward like nd', () => {
    mx.scope(() => {
      const x = randomArray([3, 6], 51, 0.4, 0.5);
      const old = randomArray([4, 6], 52);
      const idx = nd.array([2, 0], { dtype: 'float64' });
      const nw = randomArray([2, 6], 53);
      const lhs4 = randomArray([3, 4], 54, 0.3, 0.5);
      const rhs4 = randomArray([2, 4], 55, 0.3, 0.5);
      const cases: Array<[string, Record<string, string>, Record<string, Arr>, string, () => Arr]> = [
        ['_contrib_div_sqrt_dim', {}, { data: x }, 'data', () => contrib.div_sqrt_dim!(x)],
        ['_contrib_quadratic', { a: '0.5', b: '-1', c: '2' }, { data: x }, 'data',
         () => contrib.quadratic!(x, { a: 0.5, b: -1, c: 2 })],
        ['_contrib_gradientmultiplier', { scalar: '0.25' }, { data: x }, 'data',
         () => contrib.gradientmultiplier!(x, { scalar: 0.25 })],
        ['_contrib_index_copy', {}, { old_tensor: old, index_vector: idx, new_tensor: nw }, 'new_tensor',
         () => contrib.index_copy!(old, idx, nw)],
        ['_contrib_box_non_maximum_suppression', { overlap_thresh: '0.3', coord_start: '0', score_index: '4' },
         { data: x }, 'data', () => contrib.box_nms!(x, { overlapThresh: 0.3, coordStart: 0, scoreIndex: 4 })],
        ['_contrib_arange_like', { start: '1', axis: '-1' }, { data: x }, 'data',
         () => contrib.arange_like!(x, { start: 1, axis: -1 })],
        ['_contrib_box_iou', { format: 'center' }, { lhs: lhs4, rhs: rhs4 },
         'lhs', () => contrib.box_iou!(lhs4, rhs4, { format: 'center' })],
      ];
      for (const [op, attrs, args, gradArg, ref] of cases) {
        const s = sym.loadJSON(json(op, attrs, Object.keys(args)));
        expect(s.listArguments()).toEqual(Object.keys(args));
        const again = sym.loadJSON(s.toJSON());
        expect(again.toJSON()).toBe(s.toJSON());
        const arg = args[gradArg];
        const grads = { [gradArg]: nd.zeros(arg.shape, { dtype: 'float64' }) };
        const gradReq = Object.fromEntries(Object.keys(args).map((k) => [k, k === gradArg ? 'write' : 'null']));
        const ex = again.bind(here(), args, { argsGrad: grads, gradReq } as any);
        const out = ex.forward({ isTrain: true })[0];
        const want = ref();
        expectClose(out, want.shape, want.dtype, values(want), 1e-12, op);
        const head = nd.array(pseudoRandom(out.size, 53), { shape: out.shape, dtype: out.dtype });
        ex.backward(head);
        const v = arg.copy();
        v.attachGrad();
        const inputs = Object.keys(args).map((k) => (k === gradArg ? v : args[k]));
        mx.autograd.record(() => {
          const fn = { _contrib_div_sqrt_dim: contrib.div_sqrt_dim, _contrib_quadratic: contrib.quadratic,
            _contrib_gradientmultiplier: contrib.gradientmultiplier, _contrib_index_copy: contrib.index_copy,
            _contrib_box_non_maximum_suppression: contrib.box_nms, _contrib_arange_like: contrib.arange_like,
            _contrib_box_iou: contrib.box_iou }[op]!;
          const p = Object.fromEntries(Object.entries(attrs).map(([k, val]) => [camel(k), Number.isNaN(Number(val)) ? val : Number(val)]));
          fn(...inputs, p).backward(head);
        });
        expectClose(ex.gradDict[gradArg], arg.shape, 'float64', values(v.grad), 1e-12, `${op} grad`);
        ex.dispose();
      }
    });
  });

  it('sym.contrib builds the ops and infers shapes and types', () => {
    const d = sym.Variable('data');
    expect(sym.contrib.box_nms({ data: d }).inferShape({ data: [2, 10, 6] }).outShapes).toEqual([[2, 10, 6]]);
    expect(sym.contrib.index_array({ data: d, axes: [0] }).inferShape({ data: [2, 3] }).outShapes).toEqual([[2, 3, 1]]);
    expect(sym.contrib.index_array({ data: d }).inferType({ data: 'float32' }).outTypes).toEqual(['int64']);
    expect(sym.contrib.arange_like({ data: d, axis: 1 }).inferShape({ data: [2, 3] }).outShapes).toEqual([[3]]);
    const iou = sym.contrib.box_iou({ lhs: sym.Variable('a'), rhs: sym.Variable('b') });
    expect(iou.inferShape({ a: [2, 3, 4], b: [5, 4] }).outShapes).toEqual([[2, 3, 5]]);
    const ic = sym.contrib.index_copy({ oldTensor: sym.Variable('o'), indexVector: sym.Variable('i'), newTensor: sym.Variable('n') });
    expect(ic.inferShape({ o: [5, 3], i: [2], n: [2, 3] }).outShapes).toEqual([[5, 3]]);
    expect(sym.contrib.quadratic({ data: d, a: 1 }).toJSON()).toContain('_contrib_quadratic');
  });
});
