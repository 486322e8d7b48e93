// Linear-algebra ops (MXNet's _linalg_* family and khatri_rao): NumPy fixtures for every op and
// parameter form, identities on matrices larger than the 64-wide blocks (blocked Cholesky, LU,
// triangular solves), finite-difference gradient checks (float64) of every differentiable op,
// second-order gradients through the composed ones, and bad input (shapes, dtypes, non-SPD and
// singular matrices) raising an IsotensorError that names the op, the argument and the shapes.
//
// test/fixtures/linalg.json is written by test/fixtures/gen_linalg.py (run it to regenerate).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { checkGrad, opsRunDuring, pseudoRandom, randomArray, recordGradCheck } from '../helpers/gradcheck';
import { announceBackend } from '../helpers/backend';

const { nd, autograd } = mx;
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
  readFileSync(fileURLToPath(new URL('../fixtures/linalg.json', import.meta.url)), 'utf8'),
) as { cases: Case[]; errors: ErrorCase[] };

beforeAll(async () => {
  await mx.ready();
  announceBackend('linalg');
});

// ---- helpers ----

const fromFixture = (a: FixtureArray): Arr => nd.array(a.data, { shape: a.shape, dtype: a.dtype });
const values = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number | bigint>, Number);

function callOp(op: string, inputs: Arr[], params: Record<string, unknown> = {}): Arr {
  const fn = ops[op];
  expect(typeof fn, `nd.${op} should be a function`).toBe('function');
  return Object.keys(params).length ? fn(...inputs, params) : fn(...inputs);
}

/** Largest |got - want| / (1 + |want|). */
function worstError(got: number[], want: number[]): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; ++i) {
    const e = Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!));
    worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
  }
  return worst;
}

function expectArray(x: Arr, shape: number[], dtype: string, data: number[], tol: number): void {
  expect(x.shape).toEqual(shape);
  expect(x.dtype).toBe(dtype);
  expect(worstError(values(x), data)).toBeLessThanOrEqual(tol);
}

/** A float64 (n x n) identity batch of `batch` matrices, flattened. */
function identity(n: number, batch = 1): number[] {
  const out: number[] = [];
  for (let b = 0; b < batch; ++b)
    for (let i = 0; i < n; ++i) for (let j = 0; j < n; ++j) out.push(i === j ? 1 : 0);
  return out;
}

/** Symmetric positive-definite matrices X X^T / n + I (shape [...batch, n, n]), via linalg ops. */
function spd(shape: number[], seed = 1, dtype = 'float64'): Arr {
  const n = shape[shape.length - 1]!;
  const x = randomArray(shape, seed, 1, 0, dtype);
  const batch = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const eye = nd.array(identity(n, batch), { shape, dtype });
  return nd.linalgSyrk(x, { alpha: 1 / n }).add(eye);
}

/** Random matrices with a well-conditioned triangle (diagonal in [1, 2]); the other triangle
 * holds unrelated values the ops must ignore. */
function triangular(shape: number[], seed = 1, dtype = 'float64'): Arr {
  const n = shape[shape.length - 1]!;
  const data = pseudoRandom(shape.reduce((a, b) => a * b, 1), seed).map((v) => 0.5 * v);
  const d = pseudoRandom(data.length, seed + 7);
  for (let e = 0; e < data.length; ++e) {
    const i = Math.floor(e / n) % n, j = e % n;
    if (i === j) data[e] = 1.5 + 0.5 * d[e]!;
  }
  return nd.array(data, { shape, dtype });
}

/** Well-conditioned general matrices I + 0.4 R. */
function general(shape: number[], seed = 1, dtype = 'float64'): Arr {
  const n = shape[shape.length - 1]!;
  const batch = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return randomArray(shape, seed, 0.4, 0, dtype).add(nd.array(identity(n, batch), { shape, dtype }));
}

function expectThrows(fn: () => unknown, match: (string | RegExp)[]): void {
  let message = '';
  try {
    const r = fn() as Arr;
    for (const o of Array.isArray(r) ? r : [r]) o.dataSync();
  } catch (e) {
    expect(e).toBeInstanceOf(mx.IsotensorError);
    message = (e as Error).message;
  }
  expect(message, 'the call should have thrown').not.toBe('');
  for (const m of match) {
    if (typeof m === 'string') expect(message).toContain(m);
    else expect(message).toMatch(m);
  }
}

/**
 * Finite-difference check of d(sum <w, fn(xs)>)/d(xs) for a composite function (checkGrad takes a
 * single op): fn maps float64 inputs to one output.
 */
function checkGradFn(name: string, fn: (xs: Arr[]) => Arr, inputs: Arr[], eps = 1e-6, rtol = 1e-4,
                     atol = 1e-6): void {
  mx.scope(() => {
    const vars = inputs.map((x) => x.copy());
    for (const v of vars) v.attachGrad();
    const y = autograd.record(() => fn(vars));
    const w = randomArray(y.shape, 211);
    autograd.backward([y], [w]);
    const wv = values(w);
    const objective = (xs: Arr[]): number => {
      const yv = values(fn(xs));
      return yv.reduce((s, v, i) => s + v * wv[i]!, 0);
    };
    inputs.forEach((x, i) => {
      const analytic = values(vars[i].grad);
      const base = values(x);
      for (let e = 0; e < base.length; ++e) {
        const at = (delta: number): number => mx.scope(() => {
          const p = base.slice();
          p[e] = p[e]! + delta;
          return objective(inputs.map((z, j) => (j === i ? nd.array(p, { shape: x.shape, dtype: x.dtype }) : z)));
        });
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        const a = analytic[e]!;
        if (Math.abs(a - numeric) > atol + rtol * Math.max(Math.abs(a), Math.abs(numeric))) {
          expect.fail(`${name}: d/d(input ${i})[${e}] autograd ${a} vs finite difference ${numeric}`);
        }
      }
    });
  });
}

// ---- NumPy fixtures ----

describe('linalg ops against NumPy (test/fixtures/linalg.json)', () => {
  for (const c of fixtures.cases) {
    it(`${c.name} (${c.op})`, () => {
      const out = callOp(c.op, c.inputs.map(fromFixture), c.params);
      const outs = Array.isArray(out) ? out : [out];
      expect(outs.length).toBe(c.expected.length);
      c.expected.forEach((e, i) => expectArray(outs[i], e.shape, e.dtype, e.data, c.tol));
    });
  }
});

describe('bad input names the op, the argument and the shapes', () => {
  for (const c of fixtures.errors) {
    it(c.name, () => {
      const inputs = c.inputs.map((s) => nd.zeros(s.shape, { dtype: s.dtype }));
      expectThrows(() => callOp(c.op, inputs, c.params), c.match);
    });
  }

  it('raises shape errors at the call, kernel errors at the next read', () => {
    expect(() => nd.linalgGemm2(nd.ones([2, 3]), nd.ones([4, 5]))).toThrow(mx.IsotensorError);
    const notSpd = nd.array([[1, 2], [2, 1]], { dtype: 'float64' });
    const l = nd.linalgPotrf(notSpd); // pushed; the factorization fails in the kernel
    expect(() => l.dataSync()).toThrow(/linalg_potrf.*'A'.*not symmetric positive definite.*order 2.*\(2,2\)/);
  });

  it('names the failing matrix of a batch and keeps working afterwards', () => {
    const good = spd([3, 3], 5);
    const bad = nd.array([1, 0, 0, 0, -1, 0, 0, 0, 1], { shape: [3, 3], dtype: 'float64' });
    const batch = nd.stack(good, good, bad, good);
    expectThrows(() => nd.linalgPotrf(batch), ['linalg_potrf', "'A'", 'matrix 2 of the batch', 'order 2',
                                               '(4,3,3)']);
    const singular = nd.stack(general([3, 3], 2), nd.zeros([3, 3], { dtype: 'float64' }));
    expectThrows(() => nd.linalgInverse(singular), ['linalg_inverse', "'A'", 'matrix 1 of the batch', 'singular']);
    // The library keeps working, on the same input too.
    const ok = nd.linalgPotrf(good);
    expectArray(nd.linalgGemm2(ok, ok, { transposeB: true }), [3, 3], 'float64', values(good), 1e-12);
  });

  it('rejects mismatched dtypes naming both', () => {
    const a = nd.ones([2, 2]);
    const b = nd.ones([2, 2], { dtype: 'float64' });
    expectThrows(() => nd.linalgGemm2(a, b), ['linalg_gemm2', "'B'", 'float32', 'float64']);
    expectThrows(() => nd.linalgTrsm(a, b), ['linalg_trsm', "'B'", 'float32', 'float64']);
  });

  it('rejects bad parameter values', () => {
    expectThrows(() => nd.linalgGemm2(nd.ones([2, 2]), nd.ones([2, 2]), { axis: -3 }), ['linalg_gemm2', 'axis']);
    expectThrows(() => nd.linalgPotrf(nd.ones([1, 1]), { lower: 'maybe' }), ['linalg_potrf', 'lower']);
    expectThrows(() => nd.linalgMakediag(nd.ones([2]), { offsets: 1 }), ['linalg_makediag', 'offsets']);
  });
});

// ---- names, shapes and API forms ----

describe('names and shapes', () => {
  it('registers MXNet\'s _linalg_* names with the linalg_* aliases', () => {
    for (const op of ['gemm', 'gemm2', 'potrf', 'potri', 'trsm', 'trmm', 'syrk', 'sumlogdiag', 'extractdiag',
                      'makediag', 'extracttrian', 'maketrian', 'inverse', 'det', 'logdet', 'slogdet']) {
      const camel = 'linalg' + op[0]!.toUpperCase() + op.slice(1);
      expect(typeof ops[`_linalg_${op}`], `_linalg_${op}`).toBe('function');
      expect(ops[`linalg_${op}`], `linalg_${op}`).toBe(ops[`_linalg_${op}`]);
      expect(ops[camel], camel).toBe(ops[`_linalg_${op}`]);
    }
    expect(typeof ops['khatri_rao']).toBe('function');
    const info = mx.operator.listOperators().find((o: { name: string }) => o.name === '_linalg_gemm');
    expect(info?.aliases).toContain('linalg_gemm');
  });

  it('det and logdet return one array, slogdet two (the LU outputs stay hidden)', () => {
    const a = general([2, 3, 3], 3);
    const d = nd.linalgDet(a);
    expect(Array.isArray(d)).toBe(false);
    expect(d.shape).toEqual([2]);
    expect(Array.isArray(nd.linalgLogdet(spd([3, 3])))).toBe(false);
    const s = nd.linalgSlogdet(a);
    expect(s.length).toBe(2);
    expect(s[0].shape).toEqual([2]);
    expect(s[1].shape).toEqual([2]);
  });

  it('det/logdet/slogdet special values: singular, negative, empty', () => {
    const sing = nd.array([[1, 2], [2, 4]], { dtype: 'float64' });
    expect(values(nd.linalgLogdet(sing))).toEqual([-Infinity]);
    const [sign, logabs] = nd.linalgSlogdet(sing);
    expect(values(sign)).toEqual([0]);
    expect(values(logabs)).toEqual([-Infinity]);
    const neg = nd.array([[0, 1], [1, 0]], { dtype: 'float64' });
    expect(Number.isNaN(values(nd.linalgLogdet(neg))[0])).toBe(true);
    expect(values(nd.linalgDet(nd.zeros([0, 0], { dtype: 'float64' })))).toEqual([1]);
    expect(nd.linalgDet(nd.zeros([0, 3, 3])).shape).toEqual([0]);
    expect(nd.linalgSumlogdiag(nd.zeros([2, 0, 0])).shape).toEqual([2]);
  });

  it('takes views with an offset (at, slice) like copies', () => {
    const batch = spd([3, 4, 4], 6);
    const view = batch.at(1);
    expect(values(nd.linalgPotrf(view))).toEqual(values(nd.linalgPotrf(view.copy())));
    const rows = nd.slice_axis(randomArray([6, 4], 7), { axis: 0, begin: 2, end: 5 });
    expect(values(nd.linalgGemm2(rows, batch.at(2)))).toEqual(values(nd.linalgGemm2(rows.copy(), batch.at(2).copy())));
  });

  it('rejects 0-d arrays naming the argument', () => {
    expectThrows(() => nd.linalgPotrf(nd.array(2)), ['linalg_potrf', "'A'", '()']);
    expectThrows(() => nd.linalgGemm2(nd.array(2), nd.array(3)), ['linalg_gemm2', "'A'", '()']);
    expectThrows(() => nd.khatri_rao(nd.array(2)), ['khatri_rao', "'args'", '()']);
  });

  it('keeps float32 inputs float32 and writes into `out`', () => {
    const a = spd([4, 4], 4, 'float32');
    const l = nd.linalgPotrf(a);
    expect(l.dtype).toBe('float32');
    const out = nd.zeros([4, 4]);
    nd.linalgPotrf(a, { out });
    expect(values(out)).toEqual(values(l));
  });
});

// ---- khatri_rao in the kernel's order of operations (float32 exactly, via Math.fround) ----

/** khatri_rao of `mats` (rows[i] x N each) and its gradients for out_grad `og`, each product and
 * sum rounded by f in the order the CPU kernel (and the GPU kernel after it) computes them. */
function khatriRaoReference(mats: number[][], rows: number[], N: number, og: number[], f: (x: number) => number) {
  const n = mats.length;
  const total = rows.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  const grads = rows.map((m) => Array<number>(m * N).fill(0));
  for (let R = 0; R < total; R++) {
    const d: number[] = Array(n).fill(0);
    for (let i = n - 1, rest = R; i >= 0; i--) {
      d[i] = rest % rows[i]!;
      rest = Math.floor(rest / rows[i]!);
    }
    for (let k = 0; k < N; k++) {
      const a = (i: number): number => mats[i]![d[i]! * N + k]!;
      const prefix = [1];
      for (let i = 0; i < n; i++) prefix.push(f(prefix[i]! * a(i)));
      const suffix = Array<number>(n + 1).fill(1);
      for (let i = n - 1; i >= 0; i--) suffix[i] = f(suffix[i + 1]! * a(i));
      out.push(prefix[n]!);
      for (let i = 0; i < n; i++) {
        const e = d[i]! * N + k;
        grads[i]![e] = f(grads[i]![e]! + f(f(og[R * N + k]! * prefix[i]!) * suffix[i + 1]!));
      }
    }
  }
  return { out, grads };
}

describe('khatri_rao and _backward_khatri_rao bit for bit', () => {
  const cases: { shapes: number[][]; dtype: string }[] = [
    { shapes: [[3, 4], [5, 4]], dtype: 'float32' },
    { shapes: [[2, 3], [1, 3], [4, 3]], dtype: 'float64' },
    { shapes: [[2, 5], [3, 5], [1, 5], [2, 5]], dtype: 'float32' },
    { shapes: [[6, 2]], dtype: 'float32' },
    { shapes: [[2, 3], [0, 3], [2, 3]], dtype: 'float32' },
    { shapes: [[2, 0], [3, 0]], dtype: 'float64' },
  ];
  for (const c of cases) {
    it(`${c.shapes.map((s) => `(${s.join(',')})`).join(' x ')} ${c.dtype}`, () => {
      const f = c.dtype === 'float32' ? Math.fround : (x: number) => x;
      const mats = c.shapes.map((s, i) => randomArray(s, 60 + i, 1.5, 0, c.dtype));
      const rows = c.shapes.map((s) => s[0]!);
      const N = c.shapes[0]![1]!;
      const og = randomArray([rows.reduce((a, b) => a * b, 1), N], 70, 1, 0, c.dtype);
      const want = khatriRaoReference(mats.map(values), rows, N, values(og), f);
      const out = mx.operator.invoke('khatri_rao', mats, { num_args: mats.length })[0];
      expect(out.shape).toEqual([rows.reduce((a, b) => a * b, 1), N]);
      expect(values(out)).toEqual(want.out);
      const grads = mx.operator.invoke('_backward_khatri_rao', [og, ...mats], { num_args: mats.length });
      grads.forEach((g: Arr, i: number) => {
        expect(g.shape).toEqual(c.shapes[i]);
        expect(values(g)).toEqual(want.grads[i]);
      });
    });
  }

  it('an executor skips the gradients nobody needs (kNull) and writes the others', () => {
    const g = { a: nd.zeros([2, 3], { dtype: 'float64' }), b: nd.ones([3, 3], { dtype: 'float64' }),
                c: nd.zeros([2, 3], { dtype: 'float64' }) };
    const ex = mx.sym.khatri_rao(mx.sym.Variable('a'), mx.sym.Variable('b'), mx.sym.Variable('c')).bind(mx.cpu(), {
      a: randomArray([2, 3], 80), b: randomArray([3, 3], 81), c: randomArray([2, 3], 82),
    }, { argsGrad: g, gradReq: { a: 'write', b: 'null', c: 'write' } });
    ex.forward({ isTrain: true });
    const og = randomArray([12, 3], 83);
    ex.backward([og]);
    const want = khatriRaoReference(['a', 'b', 'c'].map((k) => values(ex.argDict[k])), [2, 3, 2], 3, values(og),
                                    (x) => x);
    expect(values(g.a)).toEqual(want.grads[0]);
    expect(values(g.b)).toEqual(Array(9).fill(1));
    expect(values(g.c)).toEqual(want.grads[2]);
  });
});

// ---- larger matrices: the blocked paths (blocks of 64) against identities ----

describe('blocked kernels on matrices wider than one block', () => {
  const n = 150;

  it('potrf factors: L L^T = A, L lower with a positive diagonal (both triangles)', () => {
    const a = spd([n, n], 11);
    const l = nd.linalgPotrf(a);
    expect(worstError(values(nd.linalgGemm2(l, l, { transposeB: true })), values(a))).toBeLessThan(1e-12);
    const lv = values(l);
    for (let i = 0; i < n; ++i) {
      expect(lv[i * n + i]).toBeGreaterThan(0);
      for (let j = i + 1; j < n; ++j) expect(lv[i * n + j]).toBe(0);
    }
    const u = nd.linalgPotrf(a, { lower: false });
    expect(worstError(values(u), values(l.T))).toBeLessThan(1e-12);
  });

  it('potrf in float32 reconstructs to float32 accuracy', () => {
    const a = spd([2, 130, 130], 12, 'float32');
    const l = nd.linalgPotrf(a);
    expect(worstError(values(nd.linalgGemm2(l, l, { transposeB: true })), values(a))).toBeLessThan(1e-5);
  });

  it('trsm undoes trmm for every side, transpose and triangle', () => {
    const a = triangular([n, n], 13);
    for (const rightside of [false, true]) {
      for (const transpose of [false, true]) {
        for (const lower of [true, false]) {
          const b = randomArray(rightside ? [70, n] : [n, 70], 14);
          const p = { rightside, transpose, lower };
          const x = nd.linalgTrmm(a, b, { ...p, alpha: 2 });
          const back = nd.linalgTrsm(a, x, { ...p, alpha: 0.5 });
          expect(worstError(values(back), values(b)), JSON.stringify(p)).toBeLessThan(1e-10);
        }
      }
    }
  });

  it('trmm matches gemm2 with the masked triangle', () => {
    const a = triangular([n, n], 15);
    const b = randomArray([n, 20], 16);
    const masked = nd.linalgMaketrian(nd.linalgExtracttrian(a));
    expect(worstError(values(nd.linalgTrmm(a, b, { transpose: true })),
                      values(nd.linalgGemm2(masked, b, { transposeA: true })))).toBeLessThan(1e-12);
  });

  it('inverse (pivoted LU) times A is the identity; potri inverts the factored matrix', () => {
    const a = general([n, n], 17);
    const inv = nd.linalgInverse(a);
    expect(worstError(values(nd.linalgGemm2(inv, a)), identity(n))).toBeLessThan(1e-10);
    const s = spd([n, n], 18);
    const sinv = nd.linalgPotri(nd.linalgPotrf(s));
    expect(worstError(values(nd.linalgGemm2(sinv, s)), identity(n))).toBeLessThan(1e-10);
  });

  it('pivoting: a matrix with a zero leading entry', () => {
    const a = general([n, n], 19);
    const av = values(a);
    av[0] = 0;
    const z = nd.array(av, { shape: [n, n], dtype: 'float64' });
    expect(worstError(values(nd.linalgGemm2(z, nd.linalgInverse(z))), identity(n))).toBeLessThan(1e-10);
  });

  it('det, logdet and slogdet agree with the Cholesky factor', () => {
    const s = spd([2, 100, 100], 20);
    const logdet = values(nd.linalgSumlogdiag(nd.linalgPotrf(s))).map((v) => 2 * v);
    expect(worstError(values(nd.linalgLogdet(s)), logdet)).toBeLessThan(1e-10);
    const [sign, logabs] = nd.linalgSlogdet(s);
    expect(values(sign)).toEqual([1, 1]);
    expect(worstError(values(logabs), logdet)).toBeLessThan(1e-10);
    const small = spd([20, 20], 21);
    const ld = 2 * values(nd.linalgSumlogdiag(nd.linalgPotrf(small)))[0]!;
    expect(worstError(values(nd.linalgDet(small)), [Math.exp(ld)])).toBeLessThan(1e-10);
  });

  it('gemm2 on a large batch with a non-default row axis matches per-matrix products', () => {
    const a = randomArray([3, 20, 4, 30], 22);
    const b = randomArray([3, 30, 4, 10], 23);
    const c = nd.linalgGemm2(a, b, { axis: 1 });
    expect(c.shape).toEqual([3, 20, 4, 10]);
    const viaSwap = nd.swapaxes(nd.linalgGemm2(nd.swapaxes(a, { dim1: 1, dim2: 2 }),
                                               nd.swapaxes(b, { dim1: 1, dim2: 2 })), { dim1: 1, dim2: 2 });
    expect(worstError(values(c), values(viaSwap))).toBeLessThan(1e-12);
  });
});

// ---- gradients ----

const r = (shape: number[], seed = 1): Arr => randomArray(shape, seed);

interface GradCase {
  name: string;
  op: string;
  inputs: () => Arr[];
  params?: Record<string, unknown>;
  outputs?: number[];
}

const gradCases: GradCase[] = [
  { name: 'gemm2', op: 'linalgGemm2', inputs: () => [r([2, 3], 1), r([3, 4], 2)] },
  { name: 'gemm2 both transposes, alpha', op: 'linalgGemm2', inputs: () => [r([3, 2], 1), r([4, 3], 2)],
    params: { transposeA: true, transposeB: true, alpha: 1.5 } },
  { name: 'gemm2 transposeA, batched', op: 'linalgGemm2', inputs: () => [r([2, 3, 2], 1), r([2, 3, 2], 2)],
    params: { transposeA: true } },
  { name: 'gemm2 axis=0', op: 'linalgGemm2', inputs: () => [r([3, 2, 2], 1), r([4, 2, 2], 2)],
    params: { axis: 0, transposeB: true } },
  { name: 'gemm', op: 'linalgGemm', inputs: () => [r([2, 3], 1), r([3, 2], 2), r([2, 2], 3)],
    params: { alpha: 0.5, beta: -2 } },
  { name: 'gemm batched transposeB axis=0', op: 'linalgGemm',
    inputs: () => [r([2, 2, 3], 1), r([2, 2, 3], 2), r([2, 2, 2], 3)], params: { transposeB: true, axis: 0 } },
  { name: 'potri lower', op: 'linalgPotri', inputs: () => [triangular([3, 3], 4)] },
  { name: 'potri upper, batched', op: 'linalgPotri', inputs: () => [triangular([2, 3, 3], 5)],
    params: { lower: false } },
  { name: 'syrk', op: 'linalgSyrk', inputs: () => [r([2, 3], 6)], params: { alpha: 0.7 } },
  { name: 'syrk transpose, batched', op: 'linalgSyrk', inputs: () => [r([2, 3, 2], 7)], params: { transpose: true } },
  { name: 'sumlogdiag', op: 'linalgSumlogdiag', inputs: () => [triangular([3, 3], 8)] },
  { name: 'sumlogdiag batched', op: 'linalgSumlogdiag', inputs: () => [triangular([2, 2, 2], 9)] },
  { name: 'extractdiag offset 1', op: 'linalgExtractdiag', inputs: () => [r([2, 3, 3], 10)], params: { offset: 1 } },
  { name: 'makediag offset -1', op: 'linalgMakediag', inputs: () => [r([2, 3], 11)], params: { offset: -1 } },
  { name: 'extracttrian upper', op: 'linalgExtracttrian', inputs: () => [r([3, 3], 12)], params: { lower: false } },
  { name: 'extracttrian offset -1', op: 'linalgExtracttrian', inputs: () => [r([2, 3, 3], 13)],
    params: { offset: -1 } },
  { name: 'maketrian offset 1', op: 'linalgMaketrian', inputs: () => [r([2, 3], 14)], params: { offset: 1 } },
  { name: 'inverse', op: 'linalgInverse', inputs: () => [general([3, 3], 15)] },
  { name: 'inverse batched', op: 'linalgInverse', inputs: () => [general([2, 2, 2], 16)] },
  { name: 'det', op: 'linalgDet', inputs: () => [general([3, 3], 17)] },
  { name: 'det batched', op: 'linalgDet', inputs: () => [general([2, 3, 3], 18)] },
  { name: 'logdet', op: 'linalgLogdet', inputs: () => [spd([2, 3, 3], 19)] },
  { name: 'slogdet (logabsdet)', op: 'linalgSlogdet', inputs: () => [general([2, 3, 3], 20)], outputs: [1] },
  { name: 'khatri_rao of two', op: 'khatri_rao', inputs: () => [r([2, 3], 21), r([3, 3], 22)] },
  { name: 'khatri_rao of three', op: 'khatri_rao', inputs: () => [r([2, 2], 23), r([1, 2], 24), r([3, 2], 25)] },
];
for (const rightside of [false, true]) {
  for (const transpose of [false, true]) {
    for (const lower of [true, false]) {
      const params = { rightside, transpose, lower, alpha: 1.25 };
      const b = rightside ? [2, 3] : [3, 2];
      gradCases.push({ name: `trsm ${JSON.stringify(params)}`, op: 'linalgTrsm',
                       inputs: () => [triangular([3, 3], 26), r(b, 27)], params });
      gradCases.push({ name: `trmm ${JSON.stringify(params)}`, op: 'linalgTrmm',
                       inputs: () => [triangular([3, 3], 28), r(b, 29)], params });
    }
  }
}
gradCases.push({ name: 'trsm batched', op: 'linalgTrsm', inputs: () => [triangular([2, 2, 2], 30), r([2, 2, 3], 31)] });
gradCases.push({ name: 'trmm batched', op: 'linalgTrmm', inputs: () => [triangular([2, 2, 2], 32), r([2, 2, 3], 33)] });

describe('gradients against finite differences (float64)', () => {
  for (const c of gradCases) {
    it(c.name, () => {
      checkGrad(c.op, c.inputs(), c.params ?? {}, c.outputs ? { outputs: c.outputs } : {});
    });
  }

  // potrf reads one triangle, while MXNet's gradient is the symmetric one (for a symmetric
  // perturbation of A); so it is checked through a symmetrisation x -> (x + x^T) / 2.
  const sym = (x: Arr): Arr => nd.elemwise_add(x, nd.swapaxes(x, { dim1: -1, dim2: -2 })).mul(0.5);
  it('potrf (through a symmetrisation, MXNet\'s symmetric gradient)', () => {
    checkGradFn('potrf', ([x]) => nd.linalgPotrf(sym(x)), [spd([3, 3], 34)]);
    recordGradCheck('linalg_potrf');
  });
  it('potrf upper, batched', () => {
    checkGradFn('potrf upper', ([x]) => nd.linalgPotrf(sym(x), { lower: false }), [spd([2, 3, 3], 35)]);
    recordGradCheck('linalg_potrf');
  });
  it('potrf gradient is symmetric and equals 0.5 L^-T sym(L^T dL) L^-1', () => {
    const a = spd([3, 3], 36);
    a.attachGrad();
    const l = autograd.record(() => nd.linalgPotrf(a));
    const w = randomArray([3, 3], 37);
    l.backward(w);
    const g = values(a.grad);
    for (let i = 0; i < 3; ++i) for (let j = 0; j < 3; ++j) expect(g[i * 3 + j]).toBeCloseTo(g[j * 3 + i]!, 12);
  });

  it('det gradient is zero for a singular matrix (MXNet)', () => {
    const a = nd.array([[1, 2], [2, 4]], { dtype: 'float64' });
    a.attachGrad();
    autograd.record(() => nd.linalgDet(a)).backward();
    expect(values(a.grad)).toEqual([0, 0, 0, 0]);
    const b = nd.array([[1, 2], [2, 4]], { dtype: 'float64' });
    b.attachGrad();
    autograd.record(() => nd.linalgSlogdet(b)[1]).backward();
    expect(values(b.grad)).toEqual([0, 0, 0, 0]);
  });

  it('det gradient is det * A^-T', () => {
    const a = nd.array([[1, 4], [2, 3]], { dtype: 'float64' });
    a.attachGrad();
    autograd.record(() => nd.linalgDet(a)).backward();
    expect(worstError(values(a.grad), [3, -2, -4, 1])).toBeLessThan(1e-12);
  });

  it('float32 gradients match float64 ones', () => {
    const grads = ['float32', 'float64'].map((dtype) => {
      const a = triangular([3, 3], 38, dtype);
      const b = randomArray([3, 2], 39, 1, 0, dtype);
      a.attachGrad();
      b.attachGrad();
      autograd.record(() => nd.linalgTrsm(a, b, { transpose: true })).backward();
      expect(a.grad.dtype).toBe(dtype);
      return [...values(a.grad), ...values(b.grad)];
    });
    expect(worstError(grads[0]!, grads[1]!)).toBeLessThan(1e-5);
  });

  it('accumulates with gradReq add across two uses', () => {
    const a = general([2, 2], 40);
    a.attachGrad({ gradReq: 'add' });
    for (let k = 0; k < 2; ++k) autograd.record(() => nd.linalgInverse(a)).backward();
    const once = general([2, 2], 40);
    once.attachGrad();
    autograd.record(() => nd.linalgInverse(once)).backward();
    expect(worstError(values(a.grad), values(once.grad).map((v) => 2 * v))).toBeLessThan(1e-12);
  });
});

// Differentiates x -> <v, grad_x <w, op(x, ...)>> through the composed first-order gradient
// (createGraph) and compares with finite differences of the first-order gradient.
function checkSecondOrder(name: string, fn: (x: Arr) => Arr, x0: Arr): void {
  mx.scope(() => {
    const v = randomArray(x0.shape, 301);
    const firstOrder = (x: Arr, create: boolean): Arr => {
      const y = fn(x);
      const w = randomArray(y.shape, 302);
      return autograd.grad([y], [x], { headGrads: [w], createGraph: create })[0];
    };
    const x = x0.copy();
    x.attachGrad();
    const [g, ran] = opsRunDuring(() => autograd.record(() => firstOrder(x, true)));
    g.backward(v);
    const analytic = values(x.grad);
    const base = values(x0);
    const vv = values(v);
    const objective = (p: number[]): number => mx.scope(() => {
      const xp = nd.array(p, { shape: x0.shape, dtype: 'float64' });
      xp.attachGrad();
      const gp = autograd.record(() => firstOrder(xp, false));
      return values(gp).reduce((s, e, i) => s + e * vv[i]!, 0);
    });
    const eps = 1e-5;
    for (let e = 0; e < base.length; ++e) {
      const plus = base.slice(), minus = base.slice();
      plus[e] = plus[e]! + eps;
      minus[e] = minus[e]! - eps;
      const numeric = (objective(plus) - objective(minus)) / (2 * eps);
      const a = analytic[e]!;
      if (Math.abs(a - numeric) > 1e-5 + 1e-4 * Math.max(Math.abs(a), Math.abs(numeric))) {
        expect.fail(`${name}: second derivative [${e}] autograd ${a} vs finite difference ${numeric}`);
      }
    }
    ran.forEach(recordGradCheck);
  });
}

describe('second-order gradients through the composed gradients', () => {
  it('gemm2', () => {
    const b = r([3, 2], 41);
    checkSecondOrder('gemm2', (x) => nd.linalgGemm2(x, nd.linalgGemm2(x, b), { transposeA: true }), r([3, 3], 42));
  });
  it('inverse', () => {
    checkSecondOrder('inverse', (x) => nd.linalgInverse(x), general([3, 3], 43));
  });
  it('trsm', () => {
    const b = r([3, 2], 44);
    checkSecondOrder('trsm', (x) => nd.linalgTrsm(x, b, { transpose: true }), triangular([3, 3], 45));
  });
  it('syrk', () => {
    checkSecondOrder('syrk', (x) => nd.linalgSyrk(x, { transpose: true }), r([3, 2], 46));
  });
  it('potri', () => {
    checkSecondOrder('potri', (x) => nd.linalgPotri(x), triangular([3, 3], 47));
  });
});

describe('MXNet sub-modules: nd.linalg / sym.linalg, nd.contrib / sym.contrib', () => {
  it('nd.linalg.gemm2 is _linalg_gemm2 under its short name (camelCase too), and so on for every _linalg_ op', () => {
    const linalg = (nd as Arr).linalg;
    expect(Object.keys(linalg).sort()).toEqual(Object.keys(nd).filter((k) => k.startsWith('_linalg_')).map((k) => k.slice(8)).sort());
    for (const k of Object.keys(linalg)) expect(linalg[k]).toBe((nd as Arr)[`_linalg_${k}`]);
    const a = nd.array([[1, 2], [3, 4]]);
    const b = nd.array([[0.5, -1], [2, 1]]);
    expect(values(linalg.gemm2(a, b, { transposeB: true }))).toEqual(values(ops._linalg_gemm2!(a, b, { transposeB: true })));
    expect((nd as Arr).contrib.ctc_loss).toBe((nd as Arr).CTCLoss);
    expect((nd as Arr).contrib.ctcLoss).toBe((nd as Arr).CTCLoss);
  });

  it('sym.linalg.gemm2 makes the _linalg_gemm2 node, named after the short name as MXNet does', () => {
    const { sym } = mx;
    new mx.name.NameManager().run(() => {
      const s = (sym as Arr).linalg.gemm2(sym.Variable('a'), sym.Variable('b'), { alpha: 2 });
      const node = JSON.parse(s.toJSON()).nodes[2];
      expect([node.op, node.name, node.attrs]).toEqual(['_linalg_gemm2', 'gemm20', { alpha: '2' }]);
      const ex = s.bind(mx.cpu(), { a: nd.array([[1, 2]]), b: nd.array([[3], [4]]) });
      expect(values(ex.forward()[0])).toEqual([22]);
      const c = (sym as Arr).contrib.ctc_loss(sym.Variable('d'), sym.Variable('l'));
      expect(JSON.parse(c.toJSON()).nodes[2].name).toBe('ctc_loss0');
    });
  });
});
