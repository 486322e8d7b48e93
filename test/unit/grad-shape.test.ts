// Gradients of the matrix, shape, indexing and ordering ops: a finite-difference check (float64)
// per op and parameter form, second-order checks that differentiate through each op's gradient
// (the _backward_* ops), zero gradients of index-valued ops, and index inputs getting none.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { checkGrad, opsRunDuring, pseudoRandom, randomArray, recordGradCheck } from '../helpers/gradcheck';
import { announceBackend } from '../helpers/backend';

const { nd, autograd } = mx;
type Arr = any;
const ops = nd as unknown as Record<string, (...args: unknown[]) => Arr>;
const values = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number | bigint>, Number);

beforeAll(async () => {
  await mx.ready();
  announceBackend('grad-shape');
});

const r = (shape: number[], seed = 1): Arr => randomArray(shape, seed);
/** Distinct, well-separated float64 values (no ties, so sort orders are stable under eps). */
const distinct = (shape: number[], seed = 1): Arr => {
  const n = shape.reduce((a, b) => a * b, 1);
  const perm = pseudoRandom(n, seed).map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const data = new Array<number>(n);
  perm.forEach(([, i], rank) => { data[i] = rank * 0.37 - n * 0.15; });
  return nd.array(data, { shape, dtype: 'float64' });
};
const ints = (data: number[], shape: number[], dtype = 'int32'): Arr => nd.array(data, { shape, dtype });

interface GradCase {
  name: string;
  op: string;
  inputs: () => Arr[];
  params?: Record<string, unknown>;
  wrt?: number[];
  outputs?: number[];
}

const cases: GradCase[] = [
  // dot / batch_dot
  { name: 'dot 2-D', op: 'dot', inputs: () => [r([2, 3], 1), r([3, 4], 2)] },
  { name: 'dot transposeA', op: 'dot', inputs: () => [r([3, 2], 1), r([3, 4], 2)], params: { transposeA: true } },
  { name: 'dot transposeB', op: 'dot', inputs: () => [r([2, 3], 1), r([4, 3], 2)], params: { transposeB: true } },
  { name: 'dot transposeA and transposeB', op: 'dot', inputs: () => [r([3, 2], 1), r([4, 3], 2)],
    params: { transposeA: true, transposeB: true } },
  { name: 'dot 1-D . 1-D', op: 'dot', inputs: () => [r([4], 1), r([4], 2)] },
  { name: 'dot N-D (2,2,3) . (3,2,2)', op: 'dot', inputs: () => [r([2, 2, 3], 1), r([3, 2, 2], 2)] },
  { name: 'dot N-D transposeA (3,2,2) . (3,4)', op: 'dot', inputs: () => [r([3, 2, 2], 1), r([3, 4], 2)],
    params: { transposeA: true } },
  { name: 'dot N-D transposeB (2,3) . (2,2,3)', op: 'dot', inputs: () => [r([2, 3], 1), r([2, 2, 3], 2)],
    params: { transposeB: true } },
  { name: 'dot 1-D . 2-D', op: 'dot', inputs: () => [r([3], 1), r([3, 2], 2)] },
  { name: 'batch_dot', op: 'batch_dot', inputs: () => [r([2, 2, 3], 1), r([2, 3, 4], 2)] },
  { name: 'batch_dot transposeA', op: 'batch_dot', inputs: () => [r([2, 3, 2], 1), r([2, 3, 4], 2)],
    params: { transposeA: true } },
  { name: 'batch_dot transposeB', op: 'batch_dot', inputs: () => [r([2, 2, 3], 1), r([2, 4, 3], 2)],
    params: { transposeB: true } },
  { name: 'batch_dot both transposes, 4-D', op: 'batch_dot', inputs: () => [r([2, 1, 3, 2], 1), r([2, 1, 4, 3], 2)],
    params: { transposeA: true, transposeB: true } },
  // permutations
  { name: 'transpose (default: reversed axes)', op: 'transpose', inputs: () => [r([2, 3, 4])] },
  { name: 'transpose axes (1, -1, 0)', op: 'transpose', inputs: () => [r([2, 3, 4])], params: { axes: [1, -1, 0] } },
  { name: 'SwapAxis', op: 'SwapAxis', inputs: () => [r([2, 3, 4])], params: { dim1: 0, dim2: 2 } },
  { name: 'depth_to_space', op: 'depth_to_space', inputs: () => [r([1, 8, 2, 3])], params: { blockSize: 2 } },
  { name: 'space_to_depth', op: 'space_to_depth', inputs: () => [r([1, 2, 4, 6])], params: { blockSize: 2 } },
  { name: 'reverse two axes', op: 'reverse', inputs: () => [r([2, 3, 4])], params: { axis: [0, 2] } },
  // reshapes
  { name: 'Reshape with codes', op: 'Reshape', inputs: () => [r([2, 3, 4])], params: { shape: [-1, 0] } },
  { name: 'Reshape to 0-d', op: 'Reshape', inputs: () => [r([1, 1])], params: { shape: [] } },
  { name: 'Flatten', op: 'Flatten', inputs: () => [r([2, 3, 2])] },
  { name: 'expand_dims', op: 'expand_dims', inputs: () => [r([2, 3])], params: { axis: -1 } },
  { name: 'squeeze', op: 'squeeze', inputs: () => [r([2, 1, 3, 1])], params: { axis: [1] } },
  { name: 'reshape_like', op: 'reshape_like', inputs: () => [r([6, 4], 1), r([2, 3], 2)],
    params: { lhsBegin: 0, lhsEnd: 1 }, wrt: [0] },
  // slicing
  { name: 'slice begin/end', op: 'slice', inputs: () => [r([4, 5])], params: { begin: [1, 0], end: [3, 4] } },
  { name: 'slice with steps and None', op: 'slice', inputs: () => [r([5, 6])],
    params: { begin: [null, 1], end: [null, 6], step: [2, 2] } },
  { name: 'slice negative step', op: 'slice', inputs: () => [r([4, 5])],
    params: { begin: [3, null], end: [0, null], step: [-1, -2] } },
  { name: 'slice_axis', op: 'slice_axis', inputs: () => [r([3, 5])], params: { axis: 1, begin: 1, end: -1 } },
  { name: 'slice_like (no gradient for shape_like)', op: 'slice_like', inputs: () => [r([4, 5], 1), r([2, 3], 2)] },
  { name: 'slice_like axes', op: 'slice_like', inputs: () => [r([3, 4, 5], 1), r([1, 2], 2)], params: { axes: [0, 1] },
    wrt: [0] },
  // joining / splitting
  { name: 'Concat dim 1 of three', op: 'Concat', inputs: () => [r([2, 1], 1), r([2, 3], 2), r([2, 2], 3)],
    params: { dim: 1 } },
  { name: 'Concat dim 0', op: 'Concat', inputs: () => [r([1, 3], 1), r([2, 3], 2)], params: { dim: 0 } },
  { name: 'stack axis 1', op: 'stack', inputs: () => [r([2, 3], 1), r([2, 3], 2)], params: { axis: 1 } },
  { name: 'stack axis -1', op: 'stack', inputs: () => [r([2, 3], 1), r([2, 3], 2), r([2, 3], 3)],
    params: { axis: -1 } },
  { name: 'SliceChannel', op: 'SliceChannel', inputs: () => [r([2, 6])], params: { numOutputs: 3, axis: 1 } },
  { name: 'SliceChannel squeezeAxis, one output used', op: 'SliceChannel', inputs: () => [r([3, 2])],
    params: { numOutputs: 3, axis: 0, squeezeAxis: true }, outputs: [1] },
  // repetition / padding
  { name: 'tile', op: 'tile', inputs: () => [r([2, 3])], params: { reps: [2, 1, 2] } },
  { name: 'tile with fewer reps than dims', op: 'tile', inputs: () => [r([2, 3])], params: { reps: [3] } },
  { name: 'repeat axis 0', op: 'repeat', inputs: () => [r([2, 3])], params: { repeats: 3, axis: 0 } },
  { name: 'repeat flattened', op: 'repeat', inputs: () => [r([2, 2])], params: { repeats: 2 } },
  { name: 'Pad constant', op: 'Pad', inputs: () => [r([2, 3])],
    params: { mode: 'constant', padWidth: [1, 0, 2, 1], constantValue: 3 } },
  { name: 'Pad edge', op: 'Pad', inputs: () => [r([2, 3])], params: { mode: 'edge', padWidth: [2, 1, 1, 3] } },
  { name: 'Pad reflect', op: 'Pad', inputs: () => [r([3, 3])], params: { mode: 'reflect', padWidth: [2, 1, 1, 2] } },
  { name: 'Pad reflect wider than the axis', op: 'Pad', inputs: () => [r([3])],
    params: { mode: 'reflect', padWidth: [5, 4] } },
  { name: 'Pad 4-D NCHW edge', op: 'Pad', inputs: () => [r([1, 2, 2, 2])],
    params: { mode: 'edge', padWidth: [0, 0, 0, 0, 1, 1, 2, 0] } },
  { name: 'diag of a matrix k=1', op: 'diag', inputs: () => [r([3, 4])], params: { k: 1 } },
  { name: 'diag of a vector k=-1', op: 'diag', inputs: () => [r([3])], params: { k: -1 } },
  { name: 'diag 3-D axes (2, 0)', op: 'diag', inputs: () => [r([3, 2, 4])], params: { axis1: 2, axis2: 0, k: -1 } },
  // indexing (index inputs are integers: no gradient)
  { name: 'take axis 0 with repeated indices', op: 'take', inputs: () => [r([4, 3]), ints([0, 2, 2, 3, 0], [5])] },
  { name: 'take axis 1, 2-d indices, wrap', op: 'take', inputs: () => [r([2, 3, 2]), ints([4, -1, 0, 1], [2, 2])],
    params: { axis: 1, mode: 'wrap' } },
  { name: 'take clip', op: 'take', inputs: () => [r([3, 2]), ints([-2, 5, 1], [3])], params: { mode: 'clip' } },
  { name: 'pick axis 1', op: 'pick', inputs: () => [r([3, 4]), ints([0, 3, 1], [3])], params: { axis: 1 } },
  { name: 'pick axis 0 keepdims', op: 'pick', inputs: () => [r([3, 2]), ints([2, 0], [1, 2])],
    params: { axis: 0, keepdims: true } },
  { name: 'gather_nd (repeated index)', op: 'gather_nd',
    inputs: () => [r([3, 4]), ints([1, 1, 2, 0, 0, 3], [2, 3])] },
  { name: 'gather_nd slices', op: 'gather_nd', inputs: () => [r([3, 2, 2]), ints([2, -3], [1, 2])] },
  { name: 'scatter_nd', op: 'scatter_nd', inputs: () => [r([3]), ints([1, 0, 2, 0, 1, 1], [2, 3])],
    params: { shape: [3, 2] } },
  { name: '_scatter_set_nd', op: '_scatter_set_nd',
    inputs: () => [r([2, 3], 1), r([2], 2), ints([0, 1, 2, 0], [2, 2])], params: { shape: [2, 3] } },
  { name: '_take_along_axis', op: '_take_along_axis', inputs: () => [r([3, 4]), ints([0, 3, 3, 1, 2, 0], [3, 2])],
    params: { axis: 1 } },
  // ordering
  { name: 'sort', op: 'sort', inputs: () => [distinct([3, 4])] },
  { name: 'sort axis 0 descending', op: 'sort', inputs: () => [distinct([3, 4])], params: { axis: 0, isAscend: false } },
  { name: 'sort flattened', op: 'sort', inputs: () => [distinct([2, 3])], params: { axis: null } },
  { name: 'topk values', op: 'topk', inputs: () => [distinct([3, 5])], params: { k: 2, retTyp: 'value' } },
  { name: 'topk both (values output)', op: 'topk', inputs: () => [distinct([4, 3])],
    params: { k: 2, axis: 0, retTyp: 'both' }, outputs: [0] },
  { name: 'topk values ascending, flattened', op: 'topk', inputs: () => [distinct([2, 3])],
    params: { k: 3, axis: null, retTyp: 'value', isAscend: true } },
];

describe('finite-difference gradients (float64)', () => {
  for (const c of cases) {
    it(c.name, () => {
      checkGrad(c.op, c.inputs(), c.params ?? {}, { wrt: c.wrt ?? floatInputs(c.inputs()), outputs: c.outputs });
    });
  }
});

function floatInputs(xs: Arr[]): number[] {
  return xs.map((x, i) => (x.dtype === 'float64' ? i : -1)).filter((i) => i >= 0);
}

/**
 * Hessian-vector check through the op's gradient graph: S(x) = sum(op(x)^2) / 2 differentiated
 * with createGraph gives g(x) = J^T op(x); backward of <v, g> must equal the directional
 * derivative of g along v (finite differences). This runs the gradient of every _backward_* op
 * the first gradient used (their gradient w.r.t. out_grad, and w.r.t. the other operand for
 * dot/batch_dot).
 */
function checkHessianVector(op: string, inputs: Arr[], params: Record<string, unknown>, wrt: number[],
                            eps = 1e-5, tol = 1e-4): void {
  const call = (xs: Arr[]): Arr[] => {
    const y = Object.keys(params).length ? ops[op]!(...xs, params) : ops[op]!(...xs);
    return Array.isArray(y) ? y : [y];
  };
  mx.scope(() => {
    const gradAt = (xs: Arr[], createGraph: boolean): Arr[] => {
      const vars = xs.map((x) => x.copy());
      wrt.forEach((i) => vars[i].attachGrad());
      const heads = autograd.record(() => call(vars).map((y) => nd.elemwise_mul(y, y)));
      const g = autograd.record(() => autograd.grad(heads, wrt.map((i) => vars[i]), { createGraph }));
      return [vars, g];
    };
    const dirs = wrt.map((i, j) => randomArray(inputs[i].shape, 300 + j));
    // Analytic: d<v, g>/dx.
    const [[vars, g], ran] = opsRunDuring(() => gradAt(inputs, true) as [Arr[], Arr[]]);
    autograd.backward(g, dirs);
    const analytic = wrt.map((i) => values(vars[i].grad));
    // Numeric: (g(x + eps v) - g(x - eps v)) / (2 eps).
    const shifted = (sign: number): number[][] => mx.scope(() => {
      const xs = inputs.map((x, i) => {
        const j = wrt.indexOf(i);
        if (j < 0) return x;
        const p = values(x).map((v, e) => v + sign * eps * values(dirs[j])[e]!);
        return nd.array(p, { shape: x.shape, dtype: 'float64' });
      });
      return (gradAt(xs, false)[1] as Arr[]).map(values);
    });
    const up = shifted(1), down = shifted(-1);
    wrt.forEach((_, j) => {
      analytic[j]!.forEach((a, e) => {
        const numeric = (up[j]![e]! - down[j]![e]!) / (2 * eps);
        if (Math.abs(a - numeric) > 1e-6 + tol * Math.max(Math.abs(a), Math.abs(numeric))) {
          expect.fail(`${op}: Hessian-vector [input ${wrt[j]}][${e}] autograd ${a} vs finite difference ${numeric}`);
        }
      });
    });
    ran.forEach(recordGradCheck);
  });
}

const secondOrder: GradCase[] = [
  { name: 'dot (_backward_dot)', op: 'dot', inputs: () => [r([2, 3], 1), r([3, 2], 2)] },
  { name: 'dot transposes (_backward_dot)', op: 'dot', inputs: () => [r([3, 2], 1), r([2, 3], 2)],
    params: { transposeA: true, transposeB: true } },
  { name: 'batch_dot (_backward_batch_dot)', op: 'batch_dot', inputs: () => [r([2, 2, 3], 1), r([2, 3, 2], 2)],
    params: { transposeB: false } },
  { name: 'slice (_backward_slice)', op: 'slice', inputs: () => [r([4, 3])], params: { begin: [1, null], end: [4, null], step: [2, -1] } },
  { name: 'slice_axis (_backward_slice_axis)', op: 'slice_axis', inputs: () => [r([3, 4])], params: { axis: 1, begin: 1, end: 3 } },
  { name: 'slice_like (_backward_slice_like)', op: 'slice_like', inputs: () => [r([3, 4], 1), r([2, 2], 2)], wrt: [0] },
  { name: 'Concat (_backward_Concat)', op: 'Concat', inputs: () => [r([2, 1], 1), r([2, 2], 2)], params: { dim: 1 } },
  { name: 'stack (SliceChannel, then stack)', op: 'stack', inputs: () => [r([2, 2], 1), r([2, 2], 2)], params: { axis: 0 } },
  { name: 'SliceChannel (Concat)', op: 'SliceChannel', inputs: () => [r([2, 4])], params: { numOutputs: 2 } },
  { name: 'tile (_backward_tile)', op: 'tile', inputs: () => [r([2, 2])], params: { reps: [2, 2] } },
  { name: 'repeat (_backward_repeat)', op: 'repeat', inputs: () => [r([2, 2])], params: { repeats: 2, axis: 1 } },
  { name: 'Pad reflect (_backward_Pad)', op: 'Pad', inputs: () => [r([3, 3])], params: { mode: 'reflect', padWidth: [1, 2, 2, 1] } },
  { name: 'Pad constant (_backward_Pad)', op: 'Pad', inputs: () => [r([2, 2])], params: { mode: 'constant', padWidth: [1, 1, 0, 1], constantValue: 2 } },
  { name: 'diag (_backward_diag)', op: 'diag', inputs: () => [r([3, 3])], params: { k: 1 } },
  { name: 'diag of a vector (_backward_diag)', op: 'diag', inputs: () => [r([3])] },
  { name: 'take (_backward_take)', op: 'take', inputs: () => [r([3, 2]), ints([2, 0, 2], [3])] },
  { name: 'pick (_backward_pick)', op: 'pick', inputs: () => [r([3, 3]), ints([1, 0, 2], [3])], params: { axis: 1 } },
  { name: 'gather_nd (_backward_gather_nd)', op: 'gather_nd', inputs: () => [r([3, 2]), ints([0, 2, 2], [1, 3])] },
  { name: 'sort (_backward_take_along_axis)', op: 'sort', inputs: () => [distinct([2, 4])] },
  { name: 'topk values (_backward_take_along_axis)', op: 'topk', inputs: () => [distinct([2, 4])], params: { k: 2, retTyp: 'value' } },
  { name: 'transpose', op: 'transpose', inputs: () => [r([2, 3])], params: { axes: [1, 0] } },
  { name: 'Reshape (reshape_like)', op: 'Reshape', inputs: () => [r([2, 3])], params: { shape: [3, 2] } },
];

describe('second order through the gradient graphs (Hessian-vector products)', () => {
  for (const c of secondOrder) {
    it(c.name, () => {
      const xs = c.inputs();
      checkHessianVector(c.op, xs, c.params ?? {}, c.wrt ?? floatInputs(xs));
    });
  }
});

describe('zero and absent gradients', () => {
  const zeroGradOf = (f: (x: Arr) => Arr, x0: Arr): number[] => {
    const x = x0.copy();
    x.attachGrad();
    const y = autograd.record(() => f(x));
    (Array.isArray(y) ? y[0] : y).backward();
    return values(x.grad);
  };

  it('argsort has a zero gradient', () => {
    expect(zeroGradOf((x) => nd.argsort(x), distinct([2, 3]))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('topk indices and mask outputs have zero gradients', () => {
    expect(zeroGradOf((x) => nd.topk(x, { k: 2 }), distinct([4]))).toEqual([0, 0, 0, 0]);
    expect(zeroGradOf((x) => nd.topk(x, { k: 2, retTyp: 'mask' }), distinct([4]))).toEqual([0, 0, 0, 0]);
  });

  it('one_hot, shape_array and size_array have zero gradients', () => {
    expect(zeroGradOf((x) => nd.one_hot(x, { depth: 3 }), nd.array([0, 2], { dtype: 'float64' }))).toEqual([0, 0]);
    expect(zeroGradOf((x) => nd.shape_array(x), r([2, 2]))).toEqual([0, 0, 0, 0]);
    expect(zeroGradOf((x) => nd.size_array(x), r([3]))).toEqual([0, 0, 0]);
  });

  it('ravel_multi_index and unravel_index have zero gradients', () => {
    expect(zeroGradOf((x) => nd.ravel_multi_index(x, { shape: [3, 3] }),
                      nd.array([[0, 2], [1, 1]], { dtype: 'float64' }))).toEqual([0, 0, 0, 0]);
    expect(zeroGradOf((x) => nd.unravel_index(x, { shape: [3, 3] }),
                      nd.array([4, 7], { dtype: 'float64' }))).toEqual([0, 0]);
  });

  it('take gives no gradient to its indices, slice_like none to shape_like', () => {
    const a = r([3, 2]);
    const idx = nd.array([2, 0], { dtype: 'float64' });
    a.attachGrad();
    idx.attachGrad();
    autograd.record(() => nd.take(a, idx)).backward();
    expect(values(a.grad)).toEqual([1, 1, 0, 0, 1, 1]);
    expect(values(idx.grad)).toEqual([0, 0]);
    const x = r([3, 3]);
    const like = r([2, 2]);
    x.attachGrad();
    like.attachGrad();
    autograd.record(() => nd.slice_like(x, like)).backward();
    expect(values(x.grad)).toEqual([1, 1, 0, 1, 1, 0, 0, 0, 0]);
    expect(values(like.grad)).toEqual([0, 0, 0, 0]);
  });

  it('topk both: values carry the gradient, indices none', () => {
    const x = distinct([5]);
    x.attachGrad();
    const [v, i] = autograd.record(() => nd.topk(x, { k: 2, retTyp: 'both' })) as Arr[];
    autograd.backward([v, i]);
    const xs = values(x);
    const top = [...xs].sort((a, b) => b - a).slice(0, 2);
    expect(values(x.grad)).toEqual(xs.map((e) => (top.includes(e) ? 1 : 0)));
  });

  it('gradients accumulate with gradReq add and keep float32', () => {
    const x = nd.array([[1, 2, 3], [4, 5, 6]]);
    x.attachGrad({ gradReq: 'add' });
    for (let k = 0; k < 2; k++) autograd.record(() => nd.slice_axis(x, { axis: 1, begin: 1, end: 3 })).backward();
    expect(x.grad.dtype).toBe('float32');
    expect(values(x.grad)).toEqual([0, 2, 2, 0, 2, 2]);
  });

  it('handles empty arrays', () => {
    const x = nd.zeros([0, 3], { dtype: 'float64' });
    x.attachGrad();
    autograd.record(() => nd.Pad(nd.tile(x, { reps: [2, 1] }), { mode: 'constant', padWidth: [1, 1, 0, 0] }))
      .backward();
    expect(x.grad.shape).toEqual([0, 3]);
    // dot with an empty contraction (K = 0) or an empty result (M = 0).
    const a = nd.zeros([2, 0], { dtype: 'float64' });
    const b = nd.zeros([0, 3], { dtype: 'float64' });
    a.attachGrad();
    b.attachGrad();
    autograd.record(() => nd.dot(a, b)).backward();
    expect(a.grad.shape).toEqual([2, 0]);
    expect(b.grad.shape).toEqual([0, 3]);
    const c = nd.zeros([0, 3], { dtype: 'float64' });
    const d = r([3, 2]);
    d.attachGrad();
    autograd.record(() => nd.dot(c, d)).backward();
    expect(values(d.grad)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
