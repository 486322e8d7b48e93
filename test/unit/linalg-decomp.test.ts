// MXNet's two-output factorisations _linalg_gelqf (LQ: A = L Q) and _linalg_syevd (A = U^T diag(L) U):
// NumPy fixtures (values with LAPACK's and MXNet's sign conventions), the factorisations' own
// identities (reconstruction, orthonormality, L's triangle, ascending eigenvalues, MXNet's
// eigenvector signs), the hidden gradients against MXNet's formulas and the gradients against finite
// differences, bad input, special values, views, empty shapes and a Symbol JSON round trip.
//
// test/fixtures/linalg_decomp.json is written by test/fixtures/gen_linalg_decomp.py (run it to regenerate).
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { pseudoRandom, randomArray, recordGradCheck, checkGrad } from '../helpers/gradcheck';
import { announceBackend } from '../helpers/backend';
import {
  callOp, errorOf, fromFixture, itRaisesFixtureErrors, loadFixtures, values,
  type FixtureCase, type FixtureErrorCase,
} from '../helpers/op-fixtures';

const { nd, autograd, sym } = mx;
type Arr = any;
const linalg = (nd as Arr).linalg as Record<string, (...args: unknown[]) => Arr>;

interface Case extends FixtureCase { tol: number }
const fixtures = loadFixtures<{ cases: Case[]; backward: Case[]; errors: FixtureErrorCase[] }>('linalg_decomp.json');

beforeAll(async () => {
  await mx.ready();
  announceBackend('linalg-decomp');
});

// ---- helpers ----

/** Largest |got - want| / (s + |want|), s the largest |want| (1 when all are zero): relative to the
 * array's scale, so that matrices of 2^70 or 2^-600 are compared as strictly as those of 1. */
function worstError(got: number[], want: number[]): number {
  expect(got.length).toBe(want.length);
  const s = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
  let worst = 0;
  for (let i = 0; i < got.length; ++i) {
    const e = Math.abs(got[i]! - want[i]!) / (s + Math.abs(want[i]!));
    worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
  }
  return worst;
}

function expectClose(x: Arr, shape: number[], dtype: string, want: number[], tol: number, what = ''): void {
  expect(x.shape, what).toEqual(shape);
  expect(x.dtype, what).toBe(dtype);
  expect(worstError(values(x), want), what).toBeLessThanOrEqual(tol);
}

const prod = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** The matrices of a flat row-major batch of r x c matrices. */
function matrices(v: number[], r: number, c: number): number[][] {
  const out: number[][] = [];
  for (let k = 0; k * r * c < v.length; ++k) out.push(v.slice(k * r * c, (k + 1) * r * c));
  return out;
}

/** (r x k) . (k x c) of row-major matrices; op(A) = A^T when ta (A stored k x r), likewise tb. */
function matmul(a: number[], b: number[], r: number, k: number, c: number, ta = false, tb = false): number[] {
  const o = Array<number>(r * c).fill(0);
  for (let i = 0; i < r; ++i)
    for (let j = 0; j < c; ++j) {
      let s = 0;
      for (let q = 0; q < k; ++q) s += (ta ? a[q * r + i]! : a[i * k + q]!) * (tb ? b[j * k + q]! : b[q * c + j]!);
      o[i * c + j] = s;
    }
  return o;
}

const eye = (n: number): number[] => Array.from({ length: n * n }, (_, e) => (Math.floor(e / n) === e % n ? 1 : 0));

/** The symmetric matrix whose lower triangle is that of a (n x n). */
function lowerSymmetric(a: number[], n: number): number[] {
  return a.map((_, e) => {
    const i = Math.floor(e / n), j = e % n;
    return i >= j ? a[e]! : a[j * n + i]!;
  });
}

/** The identities of (Q, L) = gelqf(A), for every matrix of the batch. */
function checkLq(a: Arr, q: Arr, l: Arr, tol: number): void {
  const [m, n] = a.shape.slice(-2);
  const as = matrices(values(a), m, n), qs = matrices(values(q), m, n), ls = matrices(values(l), m, m);
  as.forEach((A, k) => {
    const Q = qs[k]!, L = ls[k]!;
    for (let i = 0; i < m; ++i) for (let j = i + 1; j < m; ++j) expect(L[i * m + j], 'L upper triangle').toBe(0);
    expect(worstError(matmul(L, Q, m, m, n), A), 'L Q = A').toBeLessThanOrEqual(tol);
    expect(worstError(matmul(Q, Q, m, n, m, false, true), eye(m)), 'Q Q^T = I').toBeLessThanOrEqual(tol);
  });
}

/** The identities of (U, L) = syevd(A), for every matrix of the batch, and MXNet's sign rule exactly. */
function checkEigen(a: Arr, u: Arr, lam: Arr, tol: number): void {
  const n = a.shape[a.shape.length - 1]!;
  const as = matrices(values(a), n, n), us = matrices(values(u), n, n), ls = matrices(values(lam), 1, n);
  as.forEach((A, k) => {
    const U = us[k]!, L = ls[k]!;
    for (let i = 1; i < n; ++i) expect(L[i]!, 'ascending eigenvalues').toBeGreaterThanOrEqual(L[i - 1]!);
    const dU = U.map((v, e) => v * L[Math.floor(e / n)]!);
    expect(worstError(matmul(U, dU, n, n, n, true), lowerSymmetric(A, n)), 'U^T diag(L) U = A').toBeLessThanOrEqual(tol);
    expect(worstError(matmul(U, U, n, n, n, false, true), eye(n)), 'U U^T = I').toBeLessThanOrEqual(tol);
    expectMxnetSigns(U, n);
  });
}

/** MXNet's SyevdEigenVecSigns: each row's first entry of largest magnitude is positive. */
function expectMxnetSigns(U: number[], n: number): void {
  for (let i = 0; i < n; ++i) {
    let k = 0;
    for (let c = 1; c < n; ++c) if (Math.abs(U[i * n + c]!) > Math.abs(U[i * n + k]!)) k = c;
    expect(U[i * n + k], `row ${i}'s largest entry`).toBeGreaterThan(0);
  }
}

const identityTol = (dtype: string): number => (dtype === 'float32' ? 5e-6 : 1e-13);

// ---- NumPy fixtures ----

describe('gelqf and syevd against NumPy (test/fixtures/linalg_decomp.json)', () => {
  for (const c of fixtures.cases) {
    it(`${c.name} (${c.op})`, () => {
      const a = fromFixture(c.inputs[0]!);
      const outs = callOp(c.op, [a], c.params);
      expect(Array.isArray(outs)).toBe(true);
      expect(outs.length).toBe(2);
      c.expected.forEach((e, i) => expectClose(outs[i], e.shape, e.dtype, e.data as number[], c.tol, `output ${i}`));
      if (c.op === '_linalg_gelqf') {
        checkLq(a, outs[0], outs[1], identityTol(a.dtype));
        // LAPACK's signs of L's diagonal (MXNet's only convention), exactly.
        const m = a.shape[a.shape.length - 2]!;
        const got = matrices(values(outs[1]), m, m), want = matrices(c.expected[1]!.data as number[], m, m);
        got.forEach((L, k) => {
          for (let i = 0; i < m; ++i) expect(Math.sign(L[i * m + i]!)).toBe(Math.sign(want[k]![i * m + i]!));
        });
      } else {
        checkEigen(a, outs[0], outs[1], identityTol(a.dtype));
      }
    });
  }
});

describe('the hidden gradients against MXNet\'s formulas (fixtures)', () => {
  for (const c of fixtures.backward) {
    it(`${c.name} (${c.op})`, () => {
      const out = mx.operator.invoke(c.op, c.inputs.map(fromFixture));
      expect(out.length).toBe(1);
      const e = c.expected[0]!;
      expectClose(out[0], e.shape, e.dtype, e.data as number[], c.tol);
    });
  }
});

// ---- MXNet's documented examples and sign conventions ----

describe('MXNet\'s documented examples and conventions', () => {
  it('gelqf: la_op.cc\'s example, Q and L in that order, L with LAPACK\'s negative diagonal entry', () => {
    const [q, l] = linalg.gelqf!(nd.array([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' }));
    expectClose(q, [2, 3], 'float64', [-0.26726124, -0.53452248, -0.80178373, 0.87287156, 0.21821789, -0.43643578], 1e-8);
    expectClose(l, [2, 2], 'float64', [-3.74165739, 0, -8.55235974, 1.96396101], 1e-8);
    const [qb, lb] = linalg.gelqf!(nd.array([[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]], { dtype: 'float64' }));
    expectClose(qb.at(1), [2, 3], 'float64', [-0.50257071, -0.57436653, -0.64616234, 0.7620735, 0.05862104, -0.64483142], 1e-8);
    expectClose(lb.at(1), [2, 2], 'float64', [-13.92838828, 0, -19.09768702, 0.52758934], 1e-8);
  });

  it('gelqf: a row with nothing right of the diagonal is not reflected (L keeps its sign)', () => {
    for (const d of [2, -2]) {
      const [q, l] = linalg.gelqf!(nd.array([[d, 0, 0], [1, 3, 4]], { dtype: 'float64' }));
      expect(values(l)[0]).toBe(d);
      expect(values(q).slice(0, 3)).toEqual([1, 0, 0]);
    }
  });

  it('syevd: la_op.cc\'s examples, U and L in that order, ascending eigenvalues', () => {
    const [u, l] = linalg.syevd!(nd.array([[1, 2], [2, 4]], { dtype: 'float64' }));
    expectClose(u, [2, 2], 'float64', [0.89442719, -0.4472136, 0.4472136, 0.89442719], 1e-8);
    expectClose(l, [2], 'float64', [0, 5], 1e-8);
    const [ub, lb] = linalg.syevd!(nd.array([[[1, 2], [2, 4]], [[1, 2], [2, 5]]], { dtype: 'float64' }));
    expectClose(ub.at(1), [2, 2], 'float64', [0.92387953, -0.38268343, 0.38268343, 0.92387953], 1e-8);
    expectClose(lb, [2, 2], 'float64', [0, 5, 0.17157288, 5.82842712], 1e-8);
  });

  it('syevd: of equal largest magnitudes in a row the first decides the sign', () => {
    const [u, l] = linalg.syevd!(nd.array([[2, 1], [1, 2]], { dtype: 'float64' }));
    const h = Math.SQRT1_2;
    expectClose(u, [2, 2], 'float64', [h, -h, h, h], 1e-15);
    expectClose(l, [2], 'float64', [1, 3], 1e-15);
  });

  it('syevd reads only the lower triangle', () => {
    const lower = nd.array([[4, 99, -7], [1, 3, 42], [0.5, -2, 1]], { dtype: 'float64' });
    const full = nd.array([[4, 1, 0.5], [1, 3, -2], [0.5, -2, 1]], { dtype: 'float64' });
    const [u1, l1] = linalg.syevd!(lower);
    const [u2, l2] = linalg.syevd!(full);
    expect(values(u1)).toEqual(values(u2));
    expect(values(l1)).toEqual(values(l2));
  });

  it('syevd has no linalg_syevd alias (MXNet registers none); gelqf has linalg_gelqf', () => {
    const ops = nd as unknown as Record<string, unknown>;
    expect(typeof ops._linalg_syevd).toBe('function');
    expect(linalg.syevd).toBe(ops._linalg_syevd);
    expect(ops.linalg_gelqf).toBe(ops._linalg_gelqf);
    expect(ops.linalgGelqf).toBe(ops._linalg_gelqf);
    expect(linalg.gelqf).toBe(ops._linalg_gelqf);
    const info = mx.operator.listOperators().find((o: { name: string }) => o.name === '_linalg_syevd');
    expect(info?.aliases).toEqual([]);
  });
});

// ---- larger matrices, views, empty shapes, special values ----

describe('shapes, views and special values', () => {
  it('gelqf of a (40, 100) float64 and a (3, 20, 30) float32 batch', () => {
    const a = randomArray([40, 100], 11);
    const [q, l] = linalg.gelqf!(a);
    checkLq(a, q, l, 1e-12);
    const b = randomArray([3, 20, 30], 12, 1, 0, 'float32');
    const [qb, lb] = linalg.gelqf!(b);
    expect(qb.dtype).toBe('float32');
    checkLq(b, qb, lb, 1e-5);
  });

  it('syevd of a (50, 50) float64 and a (3, 24, 24) float32 batch', () => {
    const r = randomArray([50, 50], 13);
    const a = nd.elemwise_add(r, nd.swapaxes(r, { dim1: 0, dim2: 1 }));
    const [u, l] = linalg.syevd!(a);
    checkEigen(a, u, l, 1e-12);
    const b = randomArray([3, 24, 24], 14, 1, 0, 'float32');
    const [ub, lb] = linalg.syevd!(b);  // only the lower triangle counts
    expect(ub.dtype).toBe('float32');
    checkEigen(b, ub, lb, 2e-5);
  });

  it('takes views with an offset (at, slice) like copies', () => {
    const batch = randomArray([3, 4, 6], 15);
    const view = batch.at(1);
    const [q1, l1] = linalg.gelqf!(view);
    const [q2, l2] = linalg.gelqf!(view.copy());
    expect(values(q1)).toEqual(values(q2));
    expect(values(l1)).toEqual(values(l2));
    const sq = nd.slice_axis(randomArray([3, 5, 5], 16), { axis: 0, begin: 1, end: 3 });
    const [u1, e1] = linalg.syevd!(sq);
    const [u2, e2] = linalg.syevd!(sq.copy());
    expect(values(u1)).toEqual(values(u2));
    expect(values(e1)).toEqual(values(e2));
  });

  it('empty shapes give empty outputs', () => {
    const cases: [number[], number[], number[]][] = [[[0, 4], [0, 4], [0, 0]], [[2, 0, 3], [2, 0, 3], [2, 0, 0]],
                                                    [[0, 2, 3], [0, 2, 3], [0, 2, 2]]];
    for (const [a, qs, ls] of cases) {
      const [q, l] = linalg.gelqf!(nd.zeros(a, { dtype: 'float64' }));
      expect([q.shape, l.shape]).toEqual([qs, ls]);
    }
    const eig: [number[], number[]][] = [[[0, 0], [0]], [[3, 0, 0], [3, 0]], [[0, 2, 2], [0, 2]]];
    for (const [a, ls] of eig) {
      const [u, l] = linalg.syevd!(nd.zeros(a));
      expect([u.shape, l.shape, u.dtype]).toEqual([a, ls, 'float32']);
    }
  });

  it('1x1 and zero matrices', () => {
    const [q, l] = linalg.gelqf!(nd.array([[-3]], { dtype: 'float64' }));
    expect([values(q), values(l)]).toEqual([[1], [-3]]);
    const [u, e] = linalg.syevd!(nd.zeros([2, 3, 3], { dtype: 'float64' }));
    expect(values(u)).toEqual([...eye(3), ...eye(3)]);
    expect(values(e)).toEqual(Array(6).fill(0));
  });

  it('syevd: a NaN or infinity in the lower triangle gives NaN outputs (that matrix only); the upper is not read', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const good = [2, 0.5, 0.5, 1];
      const a = nd.array([...good, 1, 0, bad, 1], { shape: [2, 2, 2], dtype: 'float64' });
      const [u, l] = linalg.syevd!(a);
      const uv = values(u), lv = values(l);
      expect(uv.slice(4).every(Number.isNaN)).toBe(true);
      expect(lv.slice(2).every(Number.isNaN)).toBe(true);
      expect(uv.slice(0, 4).every(Number.isFinite)).toBe(true);
      const upper = nd.array([1, bad, 0, 1], { shape: [2, 2], dtype: 'float64' });
      const [uu, lu] = linalg.syevd!(upper);
      expect(values(uu)).toEqual(eye(2));
      expect(values(lu)).toEqual([1, 1]);
    }
  });

  it('gelqf: a NaN or infinity gives NaN factors, L\'s upper triangle still zero', () => {
    for (const bad of [NaN, Infinity]) {
      const [q, l] = linalg.gelqf!(nd.array([[1, bad, 3], [4, 5, 6]], { dtype: 'float32' }));
      expect(values(q).every(Number.isNaN)).toBe(true);
      const lv = values(l);
      expect([lv[1]]).toEqual([0]);
      expect([lv[0], lv[2], lv[3]].every(Number.isNaN)).toBe(true);
    }
  });

  it('keeps float32 float32 and writes into `out`', () => {
    const a = randomArray([3, 5], 17, 1, 0, 'float32');
    const [q, l] = linalg.gelqf!(a);
    expect([q.dtype, l.dtype]).toEqual(['float32', 'float32']);
    const qo = nd.zeros([3, 5]), lo = nd.zeros([3, 3]);
    linalg.gelqf!(a, { out: [qo, lo] });
    expect(values(qo)).toEqual(values(q));
    expect(values(lo)).toEqual(values(l));
  });
});

// ---- bad input ----

describe('bad input names the op, the argument and the shapes', () => {
  itRaisesFixtureErrors(fixtures.errors.filter((c) => !c.op.startsWith('_backward_')));

  for (const c of fixtures.errors.filter((e) => e.op.startsWith('_backward_'))) {
    it(c.name, () => {
      mx.scope(() => {
        const inputs = c.inputs.map((s) => nd.zeros(s.shape, { dtype: s.dtype as never }));
        const message = errorOf(() => mx.operator.invoke(c.op, inputs));
        for (const m of c.match) expect(message).toContain(m);
      });
    });
  }

  it('rejects mismatched dtypes in the hidden gradients, naming both', () => {
    const f = (s: number[], dtype = 'float64'): Arr => nd.zeros(s, { dtype: dtype as never });
    const message = errorOf(() => mx.operator.invoke('_backward_linalg_syevd', [f([2, 2]), f([2], 'float32'), f([2, 2]), f([2])]));
    for (const m of ['_backward_linalg_syevd', "'dL'", 'float32', 'float64']) expect(message).toContain(m);
  });

  it('rejects params (the ops take none) and keeps working afterwards', () => {
    const message = errorOf(() => linalg.gelqf!(nd.ones([2, 3]), { lower: true }));
    expect(message).toContain('lower');
    const [u] = linalg.syevd!(nd.array([[2, 0], [0, 1]]));
    expect(values(u)).toEqual([0, 1, 1, 0]);
  });
});

// ---- gradients ----

/**
 * Finite-difference check of sum_k <w_k, outputs_k(fn(x))> for a function of one float64 input
 * returning several outputs (checkGrad takes a single op).
 */
function checkGradOutputs(name: string, fn: (x: Arr) => Arr[], x0: Arr, eps = 1e-6, rtol = 1e-4, atol = 1e-6): void {
  mx.scope(() => {
    const x = x0.copy();
    x.attachGrad();
    const ys = autograd.record(() => fn(x));
    const ws = ys.map((y: Arr, k: number) => randomArray(y.shape, 211 + k));
    autograd.backward(ys, ws);
    const wv = ws.map(values);
    const objective = (xs: Arr): number =>
      fn(xs).reduce((s: number, y: Arr, k: number) => values(y).reduce((t, v, i) => t + v * wv[k]![i]!, s), 0);
    const analytic = values(x.grad);
    const base = values(x0);
    for (let e = 0; e < base.length; ++e) {
      const at = (delta: number): number => mx.scope(() => {
        const p = base.slice();
        p[e] = p[e]! + delta;
        return objective(nd.array(p, { shape: x0.shape, dtype: 'float64' }));
      });
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      const a = analytic[e]!;
      if (Math.abs(a - numeric) > atol + rtol * Math.max(Math.abs(a), Math.abs(numeric)))
        expect.fail(`${name}: d/dx[${e}] autograd ${a} vs finite difference ${numeric}`);
    }
  });
}

/** Full-rank (..., m, n) matrices whose reflections stay far from a sign change: 1.5 [I 0] + R. */
function wide(shape: number[], seed: number): Arr {
  const [m, n] = shape.slice(-2) as [number, number];
  const v = pseudoRandom(prod(shape), seed).map((r, e) => {
    const i = Math.floor(e / n) % m, j = e % n;
    return r + (i === j ? 1.5 : 0);
  });
  return nd.array(v, { shape, dtype: 'float64' });
}

/** Symmetric-in-distribution (..., n, n) inputs with eigenvalues about 2 apart: 0.3 R + diag(0, 2, 4, ...). */
function separated(shape: number[], seed: number): Arr {
  const n = shape[shape.length - 1]!;
  const v = pseudoRandom(prod(shape), seed).map((r, e) => {
    const i = Math.floor(e / n) % n, j = e % n;
    return 0.3 * r + (i === j ? 2 * i : 0);
  });
  return nd.array(v, { shape, dtype: 'float64' });
}

// syevd reads one triangle, while MXNet's gradient is the symmetric one (for a symmetric
// perturbation of A); so it is checked through a symmetrisation x -> (x + x^T) / 2.
const symmetrise = (x: Arr): Arr => nd.elemwise_add(x, nd.swapaxes(x, { dim1: -1, dim2: -2 })).mul(0.5);

describe('gradients against finite differences (float64)', () => {
  const gelqfCases: [string, number[], number[] | undefined][] = [
    ['(2,3), both outputs', [2, 3], undefined], ['(3,3) square', [3, 3], undefined],
    ['batched (2,2,4)', [2, 2, 4], undefined], ['(2,5), Q only', [2, 5], [0]], ['(3,4), L only', [3, 4], [1]],
  ];
  for (const [name, shape, outputs] of gelqfCases) {
    it(`gelqf ${name}`, () => {
      checkGrad('_linalg_gelqf', [wide(shape, 20 + shape.length)], {}, outputs ? { outputs } : {});
    });
  }

  const syevdCases: [string, number[], number[]][] = [
    ['(3,3), both outputs', [3, 3], [0, 1]], ['batched (2,4,4)', [2, 4, 4], [0, 1]], ['(4,4), U only', [4, 4], [0]],
    ['(3,3), eigenvalues only', [3, 3], [1]], ['(1,1)', [1, 1], [0, 1]],
  ];
  for (const [name, shape, outputs] of syevdCases) {
    it(`syevd ${name} (through a symmetrisation, MXNet's symmetric gradient)`, () => {
      checkGradOutputs(`syevd ${name}`, (x) => {
        const r = linalg.syevd!(symmetrise(x));
        return outputs.map((k) => r[k]);
      }, separated(shape, 30 + shape[0]!));
      recordGradCheck('_linalg_syevd');
    });
  }

  it('syevd gradient is symmetric', () => {
    const a = separated([4, 4], 40);
    a.attachGrad();
    const [u, l] = autograd.record(() => linalg.syevd!(a));
    autograd.backward([u, l], [randomArray([4, 4], 41), randomArray([4], 42)]);
    const g = values(a.grad);
    for (let i = 0; i < 4; ++i) for (let j = 0; j < 4; ++j) expect(g[i * 4 + j]).toBeCloseTo(g[j * 4 + i]!, 12);
  });

  it('float32 gradients match float64 ones', () => {
    const grads = ['float32', 'float64'].map((dtype) => {
      const a = nd.array(values(wide([2, 3], 43)), { shape: [2, 3], dtype: dtype as never });
      const s = nd.array(values(separated([3, 3], 44)), { shape: [3, 3], dtype: dtype as never });
      a.attachGrad();
      s.attachGrad();
      const [q, l] = autograd.record(() => linalg.gelqf!(a));
      autograd.backward([q, l], [randomArray([2, 3], 45, 1, 0, dtype), randomArray([2, 2], 46, 1, 0, dtype)]);
      const [u, e] = autograd.record(() => linalg.syevd!(s));
      autograd.backward([u, e], [randomArray([3, 3], 47, 1, 0, dtype), randomArray([3], 48, 1, 0, dtype)]);
      expect([a.grad!.dtype, s.grad!.dtype]).toEqual([dtype, dtype]);
      return [...values(a.grad), ...values(s.grad)];
    });
    expect(worstError(grads[0]!, grads[1]!)).toBeLessThan(1e-5);
  });

  it('accumulates with gradReq add across two uses', () => {
    const once = (req: 'write' | 'add', times: number): number[] => {
      const a = wide([2, 3], 49);
      const s = separated([3, 3], 50);
      a.attachGrad({ gradReq: req });
      s.attachGrad({ gradReq: req });
      for (let k = 0; k < times; ++k) {
        autograd.record(() => nd.sum(linalg.gelqf!(a)[1])).backward();
        autograd.record(() => nd.sum(linalg.syevd!(s)[1])).backward();
      }
      return [...values(a.grad), ...values(s.grad)];
    };
    const one = once('write', 1);
    expect(worstError(once('add', 2), one.map((v) => 2 * v))).toBeLessThan(1e-12);
  });
});

// ---- Symbol ----

describe('Symbol: sym.linalg.gelqf / syevd, JSON round trip, executor forward and backward', () => {
  const cases: [string, string, () => Arr][] = [
    ['gelqf', '_linalg_gelqf', () => wide([2, 2, 3], 60)],
    ['syevd', '_linalg_syevd', () => separated([2, 3, 3], 61)],
  ];
  for (const [short, op, input] of cases) {
    it(short, () => {
      new mx.name.NameManager().run(() => {
        const s = (sym as Arr).linalg[short](sym.Variable('a'));
        const json = s.toJSON();
        const node = JSON.parse(json).nodes[1];
        expect([node.op, node.name]).toEqual([op, `${short}0`]);
        const again = sym.loadJSON(json);
        expect(again.toJSON()).toBe(json);
        expect(again.listOutputs().length).toBe(2);
        const a = input();
        const grad = nd.zeros(a.shape, { dtype: 'float64' });
        const ex = again.bind(mx.cpu(), { a }, { argsGrad: { a: grad } } as any);
        const outs = ex.forward({ isTrain: true });
        const want = linalg[short]!(a);
        outs.forEach((o: Arr, k: number) => expect(values(o)).toEqual(values(want[k])));
        const heads = outs.map((o: Arr, k: number) => randomArray(o.shape, 62 + k));
        ex.backward(heads);
        const v = a.copy();
        v.attachGrad();
        const ys = autograd.record(() => linalg[short]!(v));
        autograd.backward(ys, heads);
        expect(worstError(values(grad), values(v.grad))).toBeLessThan(1e-12);
      });
    });
  }
});
