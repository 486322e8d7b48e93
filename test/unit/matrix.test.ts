// Matrix and shape ops through the public API: dot, batch_dot, transpose, Reshape, expand_dims,
// squeeze, Flatten, slice, slice_axis, slice_like, Concat, stack, tile, repeat, reverse,
// SwapAxis, depth_to_space / space_to_depth.
//
// Most expectations come from test/fixtures/matrix.json, written by test/fixtures/gen_matrix.py
// with NumPy (run the script to regenerate it). The rest checks the API forms users write
// (methods, options objects, variadic calls), views with offsets, empty and 0-d arrays, dtypes,
// a larger GEMM against a plain JS product, and error messages.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';

const { nd } = mx;
type Arr = any; // an NDArray; kept loose so the spec does not depend on the .d.ts details
const ops = nd as unknown as Record<string, (...args: unknown[]) => Arr>;

interface FixtureArray { shape: number[]; dtype: string; data: number[] }
interface Case {
  name: string;
  op: string;
  inputs: FixtureArray[];
  params: Record<string, unknown>;
  expected: FixtureArray[];
  tol: number;
}
interface ErrorCase {
  name: string;
  op: string;
  inputs: { shape: number[]; dtype: string }[];
  params: Record<string, unknown>;
  match: string[];
}

const fixtures = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/matrix.json', import.meta.url)), 'utf8'),
) as { cases: Case[]; errors: ErrorCase[] };

beforeAll(async () => {
  await mx.ready();
  announceBackend('matrix');
});

// ---- helpers ----

const fromFixture = (a: FixtureArray): Arr => nd.array(a.data, { shape: a.shape, dtype: a.dtype });

/** Calls nd.<op>(...inputs, params?) the way the generated functions take them. */
function callOp(op: string, inputs: Arr[], params: Record<string, unknown>): Arr {
  const fn = ops[op];
  expect(typeof fn, `nd.${op} should be a function`).toBe('function');
  return Object.keys(params).length ? fn(...inputs, params) : fn(...inputs);
}

const values = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number | bigint>, Number);

/** Shape, dtype and values (exact, or within relative+absolute `tol`). */
function expectArray(x: Arr, shape: number[], dtype: string, data: number[], tol = 0): void {
  expect(x.shape).toEqual(shape);
  expect(x.dtype).toBe(dtype);
  const got = values(x);
  expect(got.length).toBe(data.length);
  if (tol === 0) {
    expect(got).toEqual(data);
    return;
  }
  let worst = 0;
  for (let i = 0; i < got.length; ++i) {
    worst = Math.max(worst, Math.abs(got[i]! - data[i]!) / (1 + Math.abs(data[i]!)));
  }
  expect(worst).toBeLessThanOrEqual(tol);
}

/** Deterministic pseudo-random values in [-1, 1). */
function randomData(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; ++i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Row-major C = op(A) . op(B) in float64, as a plain reference for the GEMM. */
function refMatmul(a: Float32Array, b: Float32Array, M: number, N: number, K: number,
                   tA: boolean, tB: boolean): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; ++i) {
    for (let j = 0; j < N; ++j) {
      let s = 0;
      for (let k = 0; k < K; ++k) s += a[tA ? k * M + i : i * K + k]! * b[tB ? j * K + k : k * N + j]!;
      c[i * N + j] = s;
    }
  }
  return c;
}

// ---- NumPy fixtures ----

describe('matrix ops against NumPy (test/fixtures/matrix.json)', () => {
  for (const c of fixtures.cases) {
    it(`${c.name} (${c.op})`, () => {
      const inputs = c.inputs.map(fromFixture);
      const out = callOp(c.op, inputs, c.params);
      const outs = Array.isArray(out) ? out : [out];
      expect(outs.length).toBe(c.expected.length);
      c.expected.forEach((e, i) => expectArray(outs[i], e.shape, e.dtype, e.data, c.tol));
    });
  }
});

describe('error messages name the op, the argument and the shapes', () => {
  for (const c of fixtures.errors) {
    it(c.name, () => {
      const inputs = c.inputs.map((s) => nd.zeros(s.shape, { dtype: s.dtype }));
      let message = '';
      try {
        callOp(c.op, inputs, c.params).dataSync();
      } catch (e) {
        expect(e).toBeInstanceOf(mx.IsotensorError);
        message = (e as Error).message;
      }
      expect(message, 'the call should have thrown').not.toBe('');
      for (const m of c.match) expect(message).toContain(m);
    });
  }

  it('raises shape errors at the call, not at the next read', () => {
    const a = nd.ones([2, 3]);
    const b = nd.ones([4, 5]);
    expect(() => nd.dot(a, b)).toThrow(mx.IsotensorError);
    expect(() => a.dot(b)).toThrow(/dot.*\(2,3\).*\(4,5\)/);
    expect(() => nd.dot(nd.ones([3]), nd.ones([3]), { transposeA: true })).toThrow(/dot.*transpose/);
  });

  it('rejects mismatched dtypes in dot', () => {
    const a = nd.ones([2, 2]);
    const b = nd.ones([2, 2], { dtype: 'float64' });
    expect(() => nd.dot(a, b)).toThrow(/dot.*float32.*float64|dot.*float64.*float32/);
  });
});

// ---- API forms ----

describe('dot and batch_dot', () => {
  const a = () => nd.array([[1, 2, 3], [4, 5, 6]]);
  const b = () => nd.array([[1, 0], [0, 1], [1, 1]]);

  it('nd.dot, the method, and the transpose options agree', () => {
    expectArray(nd.dot(a(), b()), [2, 2], 'float32', [4, 5, 10, 11]);
    expectArray(a().dot(b()), [2, 2], 'float32', [4, 5, 10, 11]);
    expectArray(a().dot(a(), { transposeB: true }), [2, 2], 'float32', [14, 32, 32, 77]);
    expectArray(nd.dot(a(), a(), { transposeA: true }), [3, 3], 'float32',
                [17, 22, 27, 22, 29, 36, 27, 36, 45]);
    expectArray(nd.dot(b(), a(), { transposeA: true, transposeB: true }), [2, 2], 'float32',
                [4, 10, 5, 11]);
  });

  it('1-D . 1-D gives shape [1] like MXNet', () => {
    expectArray(nd.dot(nd.array([1, 2, 3]), nd.array([4, 5, 6])), [1], 'float32', [32]);
  });

  it('batch_dot with transposeA equals per-batch dot', () => {
    const x = nd.array(Array.from(randomData(2 * 4 * 3, 1)), { shape: [2, 4, 3] });
    const y = nd.array(Array.from(randomData(2 * 4 * 5, 2)), { shape: [2, 4, 5] });
    const z = nd.batch_dot(x, y, { transposeA: true });
    expect(z.shape).toEqual([2, 3, 5]);
    const per = [0, 1].flatMap((i) => values(nd.dot(x.at(i), y.at(i), { transposeA: true })));
    expectArray(z, [2, 3, 5], 'float32', per, 1e-6);
  });

  it('matches a plain product on a larger float32 GEMM, for every transpose', () => {
    const M = 67, N = 45, K = 131;
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        const ad = randomData(M * K, 3), bd = randomData(K * N, 4);
        const A = nd.array(ad, { shape: tA ? [K, M] : [M, K] });
        const B = nd.array(bd, { shape: tB ? [N, K] : [K, N] });
        const C = nd.dot(A, B, { transposeA: tA, transposeB: tB });
        expectArray(C, [M, N], 'float32', Array.from(refMatmul(ad, bd, M, N, K, tA, tB)), 1e-5);
      }
    }
  });

  it('is deterministic: the same product twice is bitwise identical', () => {
    const A = nd.array(randomData(300 * 257, 5), { shape: [300, 257] });
    const B = nd.array(randomData(257 * 190, 6), { shape: [257, 190] });
    const c1 = Array.from(nd.dot(A, B).dataSync() as Float32Array);
    const c2 = Array.from(nd.dot(A, B).dataSync() as Float32Array);
    expect(c1).toEqual(c2);
  });

  it('handles float64 and int32 exactly, and float16 within its precision', () => {
    const x = [[1, -2], [3, 4]];
    const y = [[5, 6], [-7, 8]];
    const want = [19, -10, -13, 50];
    for (const dtype of ['float64', 'int32', 'float16']) {
      const product = nd.dot(nd.array(x, { dtype }), nd.array(y, { dtype }));
      expectArray(product, [2, 2], dtype, want);
    }
  });

  it('works on views with an offset (slice and at)', () => {
    const m = nd.array(Array.from({ length: 12 }, (_, i) => i), { shape: [4, 3] });
    const rows = m.slice(1, 3); // rows 1..2: [[3,4,5],[6,7,8]]
    expectArray(rows.dot(nd.ones([3, 1])), [2, 1], 'float32', [12, 21]);
    expectArray(nd.dot(m.at(3), nd.array([1, 1, 1])), [1], 'float32', [30]);
  });

  it('supports empty operands', () => {
    expectArray(nd.dot(nd.zeros([0, 3]), nd.ones([3, 4])), [0, 4], 'float32', []);
    expectArray(nd.dot(nd.ones([2, 0]), nd.ones([0, 3])), [2, 3], 'float32', [0, 0, 0, 0, 0, 0]);
  });
});

describe('transpose and axis moves', () => {
  const x = () => nd.array(Array.from({ length: 24 }, (_, i) => i), { shape: [2, 3, 4] });

  it('a.transpose(), a.T and nd.transpose with axes', () => {
    const t = x().transpose();
    expect(t.shape).toEqual([4, 3, 2]);
    expect(values(t).slice(0, 4)).toEqual([0, 12, 4, 16]);
    expect(x().T.shape).toEqual([4, 3, 2]);
    const p = nd.transpose(x(), { axes: [1, 0, 2] });
    expect(p.shape).toEqual([3, 2, 4]);
    expect(values(p).slice(0, 8)).toEqual([0, 1, 2, 3, 12, 13, 14, 15]);
  });

  it('transposes a large 2-D array (blocked path) exactly', () => {
    const R = 130, C = 77;
    const data = Array.from({ length: R * C }, (_, i) => i);
    const t = nd.array(data, { shape: [R, C], dtype: 'int32' }).transpose();
    const want = new Array<number>(R * C);
    for (let i = 0; i < R; ++i) for (let j = 0; j < C; ++j) want[j * R + i] = i * C + j;
    expectArray(t, [C, R], 'int32', want);
  });

  it('transposes a view with an offset, and a 0-d array', () => {
    const v = x().at(1); // [[12..15],[16..19],[20..23]]
    expectArray(v.transpose(), [4, 3], 'float32', [12, 16, 20, 13, 17, 21, 14, 18, 22, 15, 19, 23]);
    expectArray(nd.array(5).transpose(), [], 'float32', [5]);
  });

  it('swapaxes', () => {
    expect(ops.swapaxes!(x(), { dim1: 0, dim2: 2 }).shape).toEqual([4, 3, 2]);
  });
});

describe('reshape family', () => {
  it('x.reshape with codes is a view; nd.reshape / nd.Reshape copy', () => {
    const x = nd.array(Array.from({ length: 24 }, (_, i) => i), { shape: [2, 3, 4] });
    const v = x.reshape([0, -1]);
    expect(v.shape).toEqual([2, 12]);
    expect(v.sharesMemoryWith(x)).toBe(true);
    const r = nd.reshape(x, { shape: [-3, -2] });
    expect(r.shape).toEqual([6, 4]);
    expect(values(r)).toEqual(values(x));
    expect(nd.Reshape(x, { shape: [-1, 0], reverse: true }).shape).toEqual([6, 4]);
  });

  it('expandDims, squeeze and flatten', () => {
    const x = nd.zeros([2, 1, 3]);
    expect(nd.expandDims(x, 0).shape).toEqual([1, 2, 1, 3]);
    expect(x.expandDims(-1).shape).toEqual([2, 1, 3, 1]);
    expect(x.squeeze().shape).toEqual([2, 3]);
    expect(nd.squeeze(nd.zeros([1, 1])).shape).toEqual([1]);
    expect(nd.zeros([2, 3, 4]).flatten().shape).toEqual([2, 12]);
    expect(nd.Flatten(nd.zeros([5])).shape).toEqual([5, 1]);
  });

  it('keeps dtype and values', () => {
    const x = nd.array([[1, 2], [3, 4]], { dtype: 'int32' });
    expectArray(x.expandDims(0), [1, 2, 2], 'int32', [1, 2, 3, 4]);
    expectArray(x.flatten(), [2, 2], 'int32', [1, 2, 3, 4]);
  });
});

describe('slicing', () => {
  const x = () => nd.array(Array.from({ length: 12 }, (_, i) => i), { shape: [3, 4] });

  it('nd.slice with null entries and steps', () => {
    expectArray(nd.slice(x(), { begin: [0, 1], end: [2, null] }), [2, 3], 'float32', [1, 2, 3, 5, 6, 7]);
    const stepped = nd.slice(x(), { begin: [null, null], end: [null, null], step: [-1, 2] });
    expectArray(stepped, [3, 2], 'float32', [8, 10, 4, 6, 0, 2]);
  });

  it('slice_axis and slice_like', () => {
    const cols = ops.slice_axis!(x(), { axis: 1, begin: 1, end: 3 });
    expectArray(cols, [3, 2], 'float32', [1, 2, 5, 6, 9, 10]);
    const last = ops.slice_axis!(x(), { axis: 0, begin: -1, end: null });
    expectArray(last, [1, 4], 'float32', [8, 9, 10, 11]);
    expectArray(ops.slice_like!(x(), nd.zeros([2, 2])), [2, 2], 'float32', [0, 1, 4, 5]);
  });
});

describe('joining', () => {
  it('nd.concat along dim 0 and the default dim 1', () => {
    const a = nd.array([[1, 2]]);
    const b = nd.array([[3, 4], [5, 6]]);
    expectArray(nd.concat(a, b, { dim: 0 }), [3, 2], 'float32', [1, 2, 3, 4, 5, 6]);
    expectArray(nd.concat(b, b), [2, 4], 'float32', [3, 4, 3, 4, 5, 6, 5, 6]);
  });

  it('concat accepts empty inputs', () => {
    const a = nd.zeros([0, 2]);
    const b = nd.array([[3, 4]]);
    expectArray(nd.concat(a, b, { dim: 0 }), [1, 2], 'float32', [3, 4]);
  });

  it('nd.stack along a new axis', () => {
    const a = nd.array([[1, 2], [3, 4]]);
    const b = nd.array([[5, 6], [7, 8]]);
    expectArray(nd.stack(a, b, { axis: 1 }), [2, 2, 2], 'float32', [1, 2, 5, 6, 3, 4, 7, 8]);
    expectArray(nd.stack(a, b), [2, 2, 2], 'float32', [1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('repetition and reversal', () => {
  const x = () => nd.array([[1, 2, 3], [4, 5, 6]]);

  it('tile and repeat as methods and functions', () => {
    expectArray(x().tile([2, 1]), [4, 3], 'float32', [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
    expectArray(nd.tile(x(), [2]), [2, 6], 'float32', [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
    expectArray(x().repeat(2, { axis: 0 }), [4, 3], 'float32', [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
    expectArray(nd.repeat(x(), 2), [12], 'float32', [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
  });

  it('flip / reverse', () => {
    expectArray(x().flip(0), [2, 3], 'float32', [4, 5, 6, 1, 2, 3]);
    expectArray(nd.flip(x(), { axis: 1 }), [2, 3], 'float32', [3, 2, 1, 6, 5, 4]);
    expectArray(nd.reverse(x(), { axis: [0, 1] }), [2, 3], 'float32', [6, 5, 4, 3, 2, 1]);
  });
});
