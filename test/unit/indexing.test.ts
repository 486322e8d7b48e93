// Shape and indexing ops added with the gradients work: Pad (pad), SliceChannel (split), pick,
// gather_nd, scatter_nd, _scatter_set_nd, one_hot, ravel_multi_index, unravel_index, diag,
// shape_array, size_array, reshape_like, _take_along_axis.
//
// Forward expectations come from test/fixtures/indexing.json, written by
// test/fixtures/gen_indexing.py with NumPy (run the script to regenerate it). The rest checks the
// aliases and API forms, errors found while computing (indices out of bounds), dtypes, and that
// the library keeps working after an error; and, for the GPU kernels' logic (run as their CPU twins
// with ISOTENSOR_GPU_KERNELS_ON_CPU=1), every dtype, rounding, many dims, empty arrays, and
// _backward_gather_nd's order of addition for repeated indices.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';
import { callOp, errorOf, expectArray, fromFixture, loadFixtures, values, type FixtureCase, type FixtureErrorCase } from '../helpers/op-fixtures';

const { nd } = mx;
type Arr = any;

const fixtures = loadFixtures<{ cases: FixtureCase[]; errors: FixtureErrorCase[] }>('indexing.json');

beforeAll(async () => {
  await mx.ready();
  announceBackend('indexing');
});

describe('indexing ops against NumPy (test/fixtures/indexing.json)', () => {
  for (const c of fixtures.cases) {
    it(`${c.name} (${c.op})`, () => {
      const out = callOp(c.op, c.inputs.map(fromFixture), c.params);
      const outs = Array.isArray(out) ? out : [out];
      expect(outs.length).toBe(c.expected.length);
      c.expected.forEach((e, i) => expectArray(outs[i], e.shape, e.dtype, e.data));
    });
  }
});

describe('error messages name the op, the argument and the shapes', () => {
  for (const c of fixtures.errors) {
    it(c.name, () => {
      const inputs = c.inputs.map((s) => nd.zeros(s.shape, { dtype: s.dtype }));
      const message = errorOf(() => callOp(c.op, inputs, c.params));
      for (const m of c.match) expect(message).toContain(m);
    });
  }

  it('reports indices out of bounds found while computing, and keeps working', () => {
    const data = nd.array([[1, 2], [3, 4]]);
    let m = errorOf(() => nd.gather_nd(data, nd.array([[0, 2]], { dtype: 'int32' })));
    expect(m).toMatch(/gather_nd.*indices.*index 2.*out of bounds.*\(2,2\)/);
    m = errorOf(() => nd.scatter_nd(nd.array([1]), nd.array([[-3]]), { shape: [2] }));
    expect(m).toMatch(/scatter_nd.*indices.*-3.*out of bounds/);
    m = errorOf(() => nd.ravel_multi_index(nd.array([[1, 7], [0, 1]]), { shape: [2, 6] }));
    expect(m).toMatch(/ravel_multi_index.*data.*7.*out of bounds.*\(2,6\)/);
    m = errorOf(() => nd.unravel_index(nd.array([3, 12]), { shape: [3, 4] }));
    expect(m).toMatch(/unravel_index.*data.*12.*out of bounds.*\(3,4\)/);
    m = errorOf(() => nd.unravel_index(nd.array([-1]), { shape: [-1, 4] }));
    expect(m).toMatch(/unravel_index.*-1.*out of bounds/);
    m = errorOf(() => nd._take_along_axis(data, nd.array([[0], [5]], { dtype: 'int64' }), { axis: 1 }));
    expect(m).toMatch(/_take_along_axis.*indices.*out of bounds/);
    // The library still works, and the failed arrays' successors compute normally.
    expect(values(nd.gather_nd(data, nd.array([[1], [0]])))).toEqual([3]);
  });

  it('rejects bool indices', () => {
    const m = errorOf(() => nd.pick(nd.ones([2, 2]), nd.array([1, 0], { dtype: 'bool' })));
    expect(m).toMatch(/pick.*index.*bool/);
    expect(errorOf(() => nd.one_hot(nd.array([true], { dtype: 'bool' }), { depth: 2 }))).toMatch(/one_hot.*indices/);
  });
});

describe('API forms and aliases', () => {
  it('nd.pad and nd.Pad agree; mode defaults to constant', () => {
    const x = nd.array([[1, 2], [3, 4]]);
    const a = nd.pad(x, { mode: 'edge', padWidth: [0, 0, 1, 1] });
    expectArray(a, [2, 4], 'float32', [1, 1, 2, 2, 3, 3, 4, 4]);
    expectArray(nd.Pad(x, { padWidth: [1, 0, 0, 0] }), [3, 2], 'float32', [0, 0, 1, 2, 3, 4]);
  });

  it('nd.split returns one array per output and keeps the dtype', () => {
    const parts = nd.split(nd.arange(0, 6, 1, { dtype: 'int32' }).reshape([3, 2]), { numOutputs: 3, axis: 0 });
    expect(Array.isArray(parts)).toBe(true);
    expect(parts.length).toBe(3);
    parts.forEach((p: Arr, i: number) => expectArray(p, [1, 2], 'int32', [2 * i, 2 * i + 1]));
  });

  it('split of a view with an offset reads the right elements', () => {
    const base = nd.arange(0, 12).reshape([3, 4]);
    const row = base.at(1);
    const [a, b] = nd.split(row, { numOutputs: 2, axis: 0 });
    expect(values(a)).toEqual([4, 5]);
    expect(values(b)).toEqual([6, 7]);
  });

  it('pick and one_hot round-trip: pick(one_hot(i), i) is all on_value', () => {
    const idx = nd.array([2, 0, 1], { dtype: 'int64' });
    const oh = nd.one_hot(idx, { depth: 3, onValue: 5, dtype: 'float64' });
    expectArray(nd.pick(oh, idx, { axis: 1 }), [3], 'float64', [5, 5, 5]);
  });

  it('ravel_multi_index inverts unravel_index', () => {
    const flat = nd.array([0, 7, 23, 59], { dtype: 'int32' });
    const multi = nd.unravel_index(flat, { shape: [3, 4, 5] });
    expect(multi.shape).toEqual([3, 4]);
    expectArray(nd.ravel_multi_index(multi, { shape: [3, 4, 5] }), [4], 'int32', [0, 7, 23, 59]);
  });

  it('gather_nd and scatter_nd are inverse on distinct indices, for several dtypes', () => {
    for (const dtype of ['float32', 'float64', 'int32', 'uint8', 'float16']) {
      const data = nd.array([[1, 2, 3], [4, 5, 6]], { dtype });
      const idx = nd.array([[1, 0], [2, 0]], { dtype: 'int32' });
      const g = nd.gather_nd(data, idx);
      expectArray(g, [2], dtype, [6, 1]);
      expectArray(nd.scatter_nd(g, idx, { shape: [2, 3] }), [2, 3], dtype, [1, 0, 0, 0, 0, 6]);
    }
  });

  it('_scatter_set_nd keeps lhs elsewhere and leaves lhs itself unchanged', () => {
    const lhs = nd.array([1, 2, 3, 4]);
    const out = nd._scatter_set_nd(lhs, nd.array([9, 8]), nd.array([[3, 0]]), { shape: [4] });
    expect(values(out)).toEqual([8, 2, 3, 9]);
    expect(values(lhs)).toEqual([1, 2, 3, 4]);
  });

  it('diag keeps bool and bfloat16 storage', () => {
    expectArray(nd.diag(nd.array([[true, false], [false, true]], { dtype: 'bool' })), [2], 'bool', [1, 1]);
    const d = nd.diag(nd.array([1.5, -2], { dtype: 'bfloat16' }));
    expectArray(d, [2, 2], 'bfloat16', [1.5, 0, 0, -2]);
  });

  it('reshape_like takes any dtype for the shape source and keeps lhs dtype', () => {
    const y = nd.reshape_like(nd.arange(0, 6, 1, { dtype: 'int64' }), nd.zeros([3, 2], { dtype: 'bool' }));
    expectArray(y, [3, 2], 'int64', [0, 1, 2, 3, 4, 5]);
  });

  it('shape_array and size_array of float16 and int arrays are int64', () => {
    expectArray(nd.shape_array(nd.zeros([4, 0, 2], { dtype: 'float16' })), [3], 'int64', [4, 0, 2]);
    expectArray(nd.size_array(nd.zeros([4, 3], { dtype: 'uint8' })), [1], 'int64', [12]);
  });

  it('one_hot out dtypes', () => {
    for (const dtype of ['float32', 'float64', 'float16', 'uint8', 'int8', 'int32', 'int64']) {
      expectArray(nd.one_hot(nd.array([1, 3]), { depth: 2, dtype }), [2, 2], dtype, [0, 1, 0, 0]);
    }
  });

  it('Pad of bool and uint8 data, constant values cast to the dtype', () => {
    expectArray(nd.Pad(nd.array([true], { dtype: 'bool' }), { padWidth: [1, 1], constantValue: 0 }),
                [3], 'bool', [0, 1, 0]);
    expectArray(nd.Pad(nd.array([7], { dtype: 'uint8' }), { padWidth: [0, 2], constantValue: 255 }),
                [3], 'uint8', [7, 255, 255]);
  });
});

describe('ravel_multi_index, unravel_index and _backward_gather_nd: dtypes, edge cases, order', () => {
  const numeric = ['float32', 'float64', 'float16', 'bfloat16', 'uint8', 'int8', 'int16', 'uint16', 'int32',
                   'uint32', 'int64', 'uint64'];
  const backwardGatherNd = (og: Arr, idx: Arr, data: Arr): Arr =>
    mx.operator.invoke('_backward_gather_nd', [og, idx, data])[0];

  it('ravel_multi_index and unravel_index keep every numeric dtype', () => {
    for (const dtype of numeric) {
      const multi = nd.array([[3, 6, 6, 0], [4, 5, 1, 0]], { dtype });
      expectArray(nd.ravel_multi_index(multi, { shape: [7, 6] }), [4], dtype, [22, 41, 37, 0]);
      expectArray(nd.unravel_index(nd.array([22, 41, 37, 0], { dtype }), { shape: [-1, 6] }), [2, 4], dtype,
                  [3, 6, 6, 0, 4, 5, 1, 0]);
    }
  });

  it('flat indices are rounded or wrapped by the output dtype', () => {
    // 3 * 8192 + 2047 = 26623 and 3 * 8192 + 2040 = 26616 both round to 26624 in 16-bit floats.
    expectArray(nd.ravel_multi_index(nd.array([[3], [2047]], { dtype: 'float16' }), { shape: [4, 8192] }), [1],
                'float16', [26624]);
    expectArray(nd.ravel_multi_index(nd.array([[3], [2040]], { dtype: 'bfloat16' }), { shape: [4, 8192] }), [1],
                'bfloat16', [26624]);
    // 300 does not fit in 8 bits: it wraps to 44.
    for (const dtype of ['uint8', 'int8'])
      expectArray(nd.ravel_multi_index(nd.array([[1], [100]], { dtype }), { shape: [2, 200] }), [1], dtype, [44]);
  });

  it('handle more than 16 dims, 0-d and empty batches', () => {
    const shape = [3, ...Array(19).fill(2)];
    const cols = [Array(20).fill(0), [2, ...Array(19).fill(1)], shape.map((_, j) => (j === 0 ? 1 : j % 2))];
    const flat = cols.map((c) => c.reduce((r, k, j) => r * (j === 0 ? 1 : shape[j]!) + k, 0));
    expect(flat[1]).toBe(3 * 2 ** 19 - 1);
    const data = shape.flatMap((_, j) => cols.map((c) => c[j]!));
    expectArray(nd.ravel_multi_index(nd.array(data, { shape: [20, 3], dtype: 'int32' }), { shape }), [3], 'int32', flat);
    expectArray(nd.unravel_index(nd.array(flat, { dtype: 'int32' }), { shape }), [20, 3], 'int32', data);
    expectArray(nd.ravel_multi_index(nd.array([3, 4]), { shape: [7, 6] }), [], 'float32', [22]);
    expectArray(nd.unravel_index(nd.array(22), { shape: [7, 6] }), [2], 'float32', [3, 4]);
    expectArray(nd.ravel_multi_index(nd.zeros([2, 0]), { shape: [7, 6] }), [0], 'float32', []);
    expectArray(nd.unravel_index(nd.zeros([0, 3], { dtype: 'int64' }), { shape: [7, 6] }), [2, 0, 3], 'int64', []);
  });

  it('report the first bad index as the CPU reads them: non-finite values before bounds', () => {
    let m = errorOf(() => nd.ravel_multi_index(nd.array([[1, 7], [NaN, 0]]), { shape: [2, 6] }));
    expect(m).toMatch(/ravel_multi_index.*data.*index at position 2 is not finite/);
    m = errorOf(() => nd.unravel_index(nd.array([3, 50, Infinity], { dtype: 'float16' }), { shape: [3, 4] }));
    expect(m).toMatch(/unravel_index.*data.*index at position 2 is not finite/);
    m = errorOf(() => nd.ravel_multi_index(nd.array([[1, 2, 5], [0, 9, 4]], { dtype: 'uint8' }), { shape: [3, 4] }));
    expect(m).toMatch(/ravel_multi_index.*index 9 \(row 1, column 1\) is out of bounds for dim 1 of shape \(3,4\)/);
    m = errorOf(() => nd.unravel_index(nd.array([3, 50, 12, -2], { dtype: 'int64' }), { shape: [3, 4] }));
    expect(m).toMatch(/unravel_index.*index 50 at position 1 is out of bounds for shape \(3,4\) \(12 elements\)/);
    m = errorOf(() => nd.unravel_index(nd.array([1e30]), { shape: [-1, 4] }));
    expect(m).toMatch(/unravel_index.*out of bounds/);
    // After the errors the ops still compute.
    expectArray(nd.unravel_index(nd.array([7], { dtype: 'int32' }), { shape: [3, 4] }), [2, 1], 'int32', [1, 3]);
  });

  it('_backward_gather_nd adds repeated slices for every numeric dtype', () => {
    for (const dtype of numeric) {
      const og = nd.array([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]], { dtype });
      const idx = nd.array([[2, 0, 2, -1, 1, 2]], { dtype: 'int32' });
      expectArray(backwardGatherNd(og, idx, nd.zeros([3, 2], { dtype })), [3, 2], dtype,
                  [3, 4, 9, 10, 1 + 5 + 7 + 11, 2 + 6 + 8 + 12]);
    }
  });

  it('_backward_gather_nd adds in index order, rounding each addition to the dtype', () => {
    // Slot 1 gets 1e8, 1, -1e8, 1 (float32: 1e8 + 1 == 1e8) and 2048, 1, -2048, 1 (float16:
    // 2048 + 1 == 2048): in index order both end at 1; other orders or a wider accumulator give 0 or 2.
    const idx = nd.array([[1, 0, 1, 2, 1, 0, 1]], { dtype: 'int64' });
    const f32 = nd.array([1e8, 5, 1, 7, -1e8, 3, 1], { dtype: 'float32' });
    expectArray(backwardGatherNd(f32, idx, nd.zeros([3])), [3], 'float32', [8, 1, 7]);
    const f16 = nd.array([2048, 5, 1, 7, -2048, 3, 1], { dtype: 'float16' });
    expectArray(backwardGatherNd(f16, idx, nd.zeros([3], { dtype: 'float16' })), [3], 'float16', [8, 1, 7]);
  });

  it('_backward_gather_nd of many columns matches a sequential sum (float64, 2-d indices)', () => {
    const n = 1000;
    const rows = Array.from({ length: n }, (_, i) => (i * 7919 + (i >> 3)) % 5);
    const cols = Array.from({ length: n }, (_, i) => ((i * 31) % 4) - 2);  // -2..1, negative from the end
    const g = Array.from({ length: n * 3 }, (_, i) => Math.sin(i) * 10 ** ((i % 7) - 3));
    const want = Array(5 * 2 * 3).fill(0);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < 3; c++) want[(rows[i]! * 2 + ((cols[i]! + 2) % 2)) * 3 + c] += g[i * 3 + c]!;
    const idx = nd.array([...rows, ...cols], { shape: [2, 8, n / 8], dtype: 'int32' });
    const og = nd.array(g, { shape: [8, n / 8, 3], dtype: 'float64' });
    expectArray(backwardGatherNd(og, idx, nd.zeros([5, 2, 3], { dtype: 'float64' })), [5, 2, 3], 'float64', want);
  });

  it('_backward_gather_nd of empty gradients is zeros; bad indices raise the CPU error', () => {
    expectArray(backwardGatherNd(nd.zeros([0, 2]), nd.zeros([1, 0], { dtype: 'int32' }), nd.ones([3, 2])), [3, 2],
                'float32', [0, 0, 0, 0, 0, 0]);
    expectArray(backwardGatherNd(nd.zeros([2, 0]), nd.array([[0, 1]]), nd.ones([3, 0])), [3, 0], 'float32', []);
    const m = errorOf(() => backwardGatherNd(nd.ones([2]), nd.array([[0, 3]], { dtype: 'int32' }), nd.zeros([3])));
    expect(m).toMatch(/_backward_gather_nd.*gather_nd.*indices.*index 3 at indices\[0, 1\] is out of bounds/);
    expect(errorOf(() => backwardGatherNd(nd.ones([1]), nd.array([[NaN]]), nd.zeros([3]))))
      .toMatch(/_backward_gather_nd.*indices\[0, 0\] is not finite/);
    // Through autograd: repeated rows accumulate.
    const x = nd.array([[1, 2], [3, 4]]);
    x.attachGrad();
    mx.autograd.record(() => nd.gather_nd(x, nd.array([[1, 1, 0]]))).backward();
    expectArray(x.grad, [2, 2], 'float32', [1, 1, 2, 2]);
  });
});

// The GPU kernels of _backward_take and _backward_Embedding sort many indices into runs of one row
// (ops/indexing/sorted_runs_device.h) and add each run in index order; few indices, or many
// columns, walk every index per column. Both must give the CPU kernels' sequential sums.
describe('_backward_take and _backward_Embedding: sums in index order', () => {
  const invoke = (op: string, inputs: Arr[], params: Record<string, unknown>): Arr =>
    mx.operator.invoke(op, inputs, params)[0];
  const f32 = (x: number): number => Math.fround(x);
  const same = (x: number): number => x;
  /** Rounds to the nearest float16 (ties to even; no overflow in these sums). */
  const f16 = (x: number): number => {
    if (x === 0) return x;
    const ulp = 2 ** (Math.max(Math.floor(Math.log2(Math.abs(x))), -14) - 10);
    const q = x / ulp, fl = Math.floor(q), frac = q - fl;
    return (frac < 0.5 ? fl : frac > 0.5 ? fl + 1 : fl % 2 === 0 ? fl : fl + 1) * ulp;
  };
  // 40 indices into 6 rows: row 1 gets 1e8, 1, -1e8, 1 (float32 keeps 1 only in this order) and
  // nothing else.
  const m = 40;
  const rows = Array.from({ length: m }, (_, j) => [1, 4, 1, 0, 1, 5, 1][j] ?? [0, 2, 3, 4, 5][(j * 7 + (j >> 2)) % 5]!);
  const big = [1e8, 0, 1, 0, -1e8, 0, 1];
  const gradient = (j: number, k: number): number => (j < big.length && big[j] ? big[j]! : Math.sin(j * 13 + k) * 10);

  /** d a[o, rows[j], c] += og[o, j, c] for j in order, rounding each addition. */
  function takeReference(outer: number, n: number, inner: number, round: (x: number) => number): number[] {
    const want = Array(outer * n * inner).fill(0);
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < m; j++)
        for (let c = 0; c < inner; c++) {
          const at = (o * n + rows[j]!) * inner + c;
          want[at] = round(want[at] + round(gradient(j, o * inner + c)));
        }
    return want;
  }

  for (const [dtype, round] of [['float32', f32], ['float64', same]] as const) {
    it(`_backward_take along axis 0 and axis 1 (${dtype})`, () => {
      const idx = nd.array(rows, { dtype: 'int32' });
      // axis 0: a (6,), one column; axis 1: a (3, 6, 2), 6 columns.
      for (const [axis, outer, inner] of [[0, 1, 1], [1, 3, 2]] as const) {
        const shape = axis === 0 ? [6] : [outer, 6, inner];
        const ogShape = axis === 0 ? [m] : [outer, m, inner];
        const og = nd.array(Array.from({ length: outer * m * inner }, (_, e) => {
          const o = Math.floor(e / (m * inner)), j = Math.floor(e / inner) % m, c = e % inner;
          return gradient(j, o * inner + c);
        }), { shape: ogShape, dtype });
        const got = invoke('_backward_take', [og, idx, nd.zeros(shape, { dtype })], { axis });
        expectArray(got, shape, dtype, takeReference(outer, 6, inner, round));
      }
    });
  }

  it('_backward_take through autograd, gradReq add, float16 rounding each addition', () => {
    // Row 1 gets 2048, 1, -2048, 1: float16 gives 2048 + 1 == 2048, so 1 in index order.
    const g16 = Array.from({ length: m }, (_, j) => [2048, 3, 1, 2, -2048, 1, 1][j] ?? (j % 5) - 2);
    const a = nd.zeros([6], { dtype: 'float16' });
    a.attachGrad({ gradReq: 'add' });
    const idx = nd.array(rows, { dtype: 'int64' });
    const once = Array(6).fill(0);
    for (let j = 0; j < m; j++) once[rows[j]!] = f16(once[rows[j]!] + g16[j]!);
    for (let pass = 0; pass < 2; pass++)
      mx.autograd.record(() => nd.take(a, idx)).backward(nd.array(g16, { dtype: 'float16' }));
    expect(once[1]).toBe(1);
    expectArray(a.grad, [6], 'float16', once.map((v) => 2 * v));
  });

  it('_backward_Embedding of many indices: in place for float32, summed in float for float16', () => {
    const d = 3;
    const data = nd.array(rows, { dtype: 'float32' });
    const og32 = nd.array(Array.from({ length: m * d }, (_, e) => gradient(Math.floor(e / d), e % d)), { shape: [m, d] });
    const want32 = Array(6 * d).fill(0);
    for (let j = 0; j < m; j++)
      for (let q = 0; q < d; q++) want32[rows[j]! * d + q] = f32(want32[rows[j]! * d + q] + f32(gradient(j, q)));
    expectArray(invoke('_backward_Embedding', [og32, data], { inputDim: 6, outputDim: d }), [6, d], 'float32', want32);
    // float16: row 1 sums 2048 + 1 - 2048 + 1 = 2 in float, stored once (each addition in float16 would give 1).
    const g16 = Array.from({ length: m }, (_, j) => [2048, 3, 1, 2, -2048, 1, 1][j] ?? (j % 5) - 2);
    const og16 = nd.array(g16.flatMap((v) => [v, -v, 0.5]), { shape: [m, d], dtype: 'float16' });
    const sums = Array(6).fill(0);
    for (let j = 0; j < m; j++) sums[rows[j]!] += g16[j]!;
    const count = Array(6).fill(0);
    for (const r of rows) count[r]++;
    const want16 = sums.flatMap((s, r) => [s, s === 0 ? 0 : -s, count[r] * 0.5]);
    const w = nd.zeros([6, d], { dtype: 'float16' });
    w.attachGrad({ gradReq: 'add' });
    const x = nd.array(rows, { dtype: 'int32' });
    for (let pass = 0; pass < 2; pass++)
      mx.autograd.record(() => nd.Embedding(x, w, { inputDim: 6, outputDim: d, dtype: 'float16' })).backward(og16);
    expectArray(w.grad, [6, d], 'float16', want16.map((v) => 2 * v));
    expect(sums[1]).toBe(2);
  });
});
