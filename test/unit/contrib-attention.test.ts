// The fused multi-head attention products of MXNet's contrib transformer ops
// (_contrib_interleaved_matmul_selfatt_qk, _selfatt_valatt, _encdec_qk, _encdec_valatt) and their
// hidden _backward_interleaved_matmul_* gradients; and _contrib_allclose.
//
// Forward and gradient expectations come from test/fixtures/contrib_attention.json, written by
// test/fixtures/gen_contrib_attention.py with NumPy (reshape/transpose/batch-matmul, as MXNet's
// docstrings spell the ops) and a full softmax attention checked against PyTorch. The rest checks
// gradients by finite differences, gradient accumulation, error messages, a BERT-style Symbol loaded
// from MXNet JSON, a larger case against a loop reference (the blocked GEMM's strided paths) and,
// with ISOTENSOR_GPU_KERNELS_ON_CPU=1, the GPU computes through their CPU twins.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { checkGrad, pseudoRandom, randomArray } from '../helpers/gradcheck';
import { callOp, errorOf, itRaisesFixtureErrors, expectArray, fromFixture, loadFixtures, values, type FixtureArray, type FixtureCase, type FixtureErrorCase, type FixtureValue } from '../helpers/op-fixtures';

const { nd, autograd, sym } = mx;
type Arr = any;

interface GradCase {
  name: string;
  op: string;
  params: Record<string, unknown>;
  inputs: FixtureArray[];
  out_grad: FixtureArray;
  expected: FixtureArray[];
}
interface Fixtures {
  cases: FixtureCase[];
  grads: GradCase[];
  attention: { heads: number; qkv: FixtureArray; expected: FixtureArray; source: string };
  errors: FixtureErrorCase[];
  allclose: FixtureCase<FixtureValue>[];
}

const fixtures = loadFixtures<Fixtures>('contrib_attention.json');

const TOL: Record<string, [number, number]> = { float64: [1e-12, 1e-12], float32: [1e-5, 1e-6], float16: [4e-3, 4e-3] };

/** Shape, dtype and values within the dtype's tolerance (the GEMM sums in its own order). */
function expectClose(x: Arr, e: FixtureArray): void {
  expect(x.shape).toEqual(e.shape);
  expect(x.dtype).toBe(e.dtype);
  const got = values(x);
  const [rtol, atol] = TOL[e.dtype]!;
  expect(got.length).toBe(e.data.length);
  got.forEach((g, i) => {
    const w = e.data[i]!;
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) expect.fail(`element ${i}: got ${g}, expected ${w}`);
  });
}

beforeAll(async () => {
  await mx.ready();
  announceBackend('contrib-attention');
});

describe('interleaved attention products against NumPy (test/fixtures/contrib_attention.json)', () => {
  for (const c of fixtures.cases) {
    it(c.name, () => {
      mx.scope(() => {
        const out = callOp(c.op, c.inputs.map(fromFixture), c.params);
        expect(Array.isArray(out)).toBe(false);
        expectClose(out, c.expected[0]!);
      });
    });
  }

  it('nd.contrib exposes the short names', () => {
    mx.scope(() => {
      const qkv = nd.array(pseudoRandom(2 * 1 * 6, 3), { shape: [2, 1, 6] });
      const a = nd.contrib.interleaved_matmul_selfatt_qk(qkv, { heads: 1 });
      expect(values(a)).toEqual(values(nd._contrib_interleaved_matmul_selfatt_qk(qkv, { heads: 1 })));
    });
  });

  it('full multi-head self attention (qk, softmax, valatt) matches softmax(q k^T / sqrt(d)) v', () => {
    mx.scope(() => {
      const { heads, qkv, expected } = fixtures.attention;
      const x = fromFixture(qkv);
      const scores = nd._contrib_interleaved_matmul_selfatt_qk(x, { heads });
      const out = nd._contrib_interleaved_matmul_selfatt_valatt(x, nd.softmax(scores, { axis: -1 }), { heads });
      expectClose(out, expected);
    });
  });
});

describe('gradients', () => {
  for (const g of fixtures.grads) {
    it(`by value for a fixed out_grad: ${g.name}`, () => {
      mx.scope(() => {
        const xs = g.inputs.map(fromFixture);
        for (const x of xs) x.attachGrad();
        autograd.record(() => callOp(g.op, xs, g.params)).backward(fromFixture(g.out_grad));
        g.expected.forEach((e, i) => expectClose(xs[i].grad, e));
      });
    });
  }

  it('finite differences: selfatt_qk and selfatt_valatt', () => {
    for (const [h, b, s, d] of [[2, 2, 3, 2], [1, 1, 2, 3]] as const) {
      checkGrad('_contrib_interleaved_matmul_selfatt_qk', [randomArray([s, b, 3 * h * d], 5 + h)], { heads: h });
      checkGrad('_contrib_interleaved_matmul_selfatt_valatt',
                [randomArray([s, b, 3 * h * d], 7 + h), randomArray([b * h, s, s], 9 + h)], { heads: h });
    }
  });

  it('finite differences: encdec_qk and encdec_valatt', () => {
    for (const [h, b, sq, skv, d] of [[2, 2, 3, 2, 2], [1, 1, 2, 3, 3]] as const) {
      checkGrad('_contrib_interleaved_matmul_encdec_qk',
                [randomArray([sq, b, h * d], 11 + h), randomArray([skv, b, 2 * h * d], 13 + h)], { heads: h });
      checkGrad('_contrib_interleaved_matmul_encdec_valatt',
                [randomArray([skv, b, 2 * h * d], 15 + h), randomArray([b * h, sq, skv], 17 + h)], { heads: h });
    }
  });

  it('finite differences through a whole attention block (qk, softmax, valatt on one projection)', () => {
    mx.scope(() => {
      const x = randomArray([3, 2, 12], 21);
      const block = (qkv: Arr): Arr => nd._contrib_interleaved_matmul_selfatt_valatt(
        qkv, nd.softmax(nd._contrib_interleaved_matmul_selfatt_qk(qkv, { heads: 2 }), { axis: -1 }), { heads: 2 });
      const w = randomArray([3, 2, 4], 22);
      const f = (qkv: Arr): number => values(nd.sum(nd.elemwise_mul(block(qkv), w)))[0]!;
      const v = x.copy();
      v.attachGrad();
      autograd.record(() => nd.sum(nd.elemwise_mul(block(v), w))).backward();
      const analytic = values(v.grad);
      const base = values(x);
      const eps = 1e-6;
      base.forEach((_, e) => {
        const at = (dx: number) => f(nd.array(base.map((u, k) => (k === e ? u + dx : u)), { shape: x.shape, dtype: 'float64' }));
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        if (Math.abs(analytic[e]! - numeric) > 1e-7 + 1e-5 * Math.abs(numeric))
          expect.fail(`attention block: d/dqkv[${e}] autograd ${analytic[e]} vs finite difference ${numeric}`);
      });
    });
  });

  it('the value blocks get no gradient from qk, the query/key blocks none from valatt', () => {
    mx.scope(() => {
      const [h, b, s, d] = [2, 1, 3, 2];
      const x = randomArray([s, b, 3 * h * d], 23);
      x.attachGrad();
      autograd.record(() => nd._contrib_interleaved_matmul_selfatt_qk(x, { heads: h })).backward(randomArray([b * h, s, s], 24));
      const gq = values(x.grad);
      autograd.record(() => nd._contrib_interleaved_matmul_selfatt_valatt(x, randomArray([b * h, s, s], 25), { heads: h }))
        .backward(randomArray([s, b, h * d], 26));
      const gv = values(x.grad);
      gq.forEach((g, i) => {
        const block = Math.floor((i % (3 * d)) / d);  // 0 q, 1 k, 2 v within each head
        if (block === 2) expect(g).toBe(0);
        else expect(gv[i]).toBe(0);
      });
      // encdec: keys_values' value blocks get nothing from qk, its key blocks nothing from valatt.
      const q = randomArray([2, b, h * d], 27);
      const kv = randomArray([s, b, 2 * h * d], 28);
      kv.attachGrad();
      autograd.record(() => nd._contrib_interleaved_matmul_encdec_qk(q, kv, { heads: h })).backward(randomArray([b * h, 2, s], 29));
      const gk = values(kv.grad);
      autograd.record(() => nd._contrib_interleaved_matmul_encdec_valatt(kv, randomArray([b * h, 2, s], 30), { heads: h }))
        .backward(randomArray([2, b, h * d], 31));
      const gkv = values(kv.grad);
      gk.forEach((g, i) => {
        if (Math.floor((i % (2 * d)) / d) === 1) expect(g).toBe(0);
        else expect(gkv[i]).toBe(0);
      });
    });
  });

  it('gradients accumulate with gradReq add and sum over both uses of one projection', () => {
    mx.scope(() => {
      const [h, b, s, d] = [2, 2, 3, 2];
      const x0 = randomArray([s, b, 3 * h * d], 32);
      const att = randomArray([b * h, s, s], 33);
      const run = (x: Arr): Arr => nd.sum(nd._contrib_interleaved_matmul_selfatt_valatt(
        x, nd.elemwise_add(att, nd._contrib_interleaved_matmul_selfatt_qk(x, { heads: h })), { heads: h }));
      const once = x0.copy();
      once.attachGrad();
      autograd.record(() => run(once)).backward();
      const g1 = values(once.grad);
      const twice = x0.copy();
      twice.attachGrad('add');
      for (let i = 0; i < 2; i++) autograd.record(() => run(twice)).backward();
      values(twice.grad).forEach((g, i) => expect(g).toBeCloseTo(2 * g1[i]!, 10));
      // Both uses contribute: the q/k blocks (from qk) and the v blocks (from valatt) are non-zero.
      expect(g1.some((g, i) => Math.floor((i % (3 * d)) / d) === 2 && g !== 0)).toBe(true);
      expect(g1.some((g, i) => Math.floor((i % (3 * d)) / d) < 2 && g !== 0)).toBe(true);
    });
  });
});

describe('error messages name the op, the argument and the shapes', () => {
  itRaisesFixtureErrors(fixtures.errors);

  it('heads is required', () => {
    mx.scope(() => {
      expect(errorOf(() => (nd as any)._contrib_interleaved_matmul_selfatt_qk(nd.zeros([2, 1, 6]))))
        .toMatch(/_contrib_interleaved_matmul_selfatt_qk.*heads/);
    });
  });

  it('the backward ops check their out_grad', () => {
    mx.scope(() => {
      const m = errorOf(() => mx.operator.invoke('_backward_interleaved_matmul_selfatt_qk',
                                                 [nd.ones([2, 3, 2]), nd.ones([3, 1, 12])], { heads: '2' } as never)[0]);
      expect(m).toMatch(/_backward_interleaved_matmul_selfatt_qk.*ograd.*\(2,3,2\).*\(2,3,3\)/);
      const m2 = errorOf(() => mx.operator.invoke('_backward_interleaved_matmul_encdec_valatt',
                                                  [nd.ones([2, 1, 3]), nd.ones([5, 1, 8]), nd.ones([2, 2, 5])],
                                                  { heads: '2' } as never)[0]);
      expect(m2).toMatch(/_backward_interleaved_matmul_encdec_valatt.*ograd.*\(2,1,3\).*\(2,1,4\)/);
    });
  });

  it('the library keeps working after a bad call', () => {
    mx.scope(() => {
      expect(errorOf(() => nd._contrib_interleaved_matmul_encdec_qk(nd.zeros([3, 2, 4]), nd.zeros([5, 2, 6]), { heads: 2 })))
        .toContain('keys_values');
      const out = nd._contrib_interleaved_matmul_encdec_qk(nd.ones([3, 2, 4]), nd.ones([5, 2, 8]), { heads: 2 });
      expect(out.shape).toEqual([4, 3, 5]);
      values(out).forEach((v) => expect(v).toBeCloseTo(2 / Math.sqrt(2), 6));
    });
  });
});

describe('a larger case against a loop reference (the blocked GEMM over strided items)', () => {
  it('all four ops, heads=4, batch=3, seq 37/29, head_dim 24', () => {
    mx.scope(() => {
      const [H, B, S, T, D] = [4, 3, 37, 29, 24];
      const qkv = pseudoRandom(S * B * 3 * H * D, 41);
      const q = pseudoRandom(S * B * H * D, 42);
      const kv = pseudoRandom(T * B * 2 * H * D, 43);
      const attS = pseudoRandom(B * H * S * S, 44);
      const attT = pseudoRandom(B * H * S * T, 45);
      // element (s, item i = b * H + h, block, e) of a projection with `blocks` blocks per head.
      const P = (x: number[], blocks: number) => (s: number, i: number, blk: number, e: number) =>
        x[s * B * H * blocks * D + i * blocks * D + blk * D + e]!;
      const pq = P(qkv, 3), pe = P(q, 1), pkv = P(kv, 2);
      const sc = 1 / Math.sqrt(D);
      const selfQk: number[] = [], selfVal: number[] = new Array(S * B * H * D).fill(0);
      const encQk: number[] = [], encVal: number[] = new Array(S * B * H * D).fill(0);
      for (let i = 0; i < B * H; i++) for (let s = 0; s < S; s++) {
        for (let t = 0; t < S; t++) {
          let a = 0;
          for (let e = 0; e < D; e++) a += pq(s, i, 0, e) * pq(t, i, 1, e);
          selfQk.push(a * sc);
        }
        for (let t = 0; t < T; t++) {
          let a = 0;
          for (let e = 0; e < D; e++) a += pe(s, i, 0, e) * pkv(t, i, 0, e);
          encQk.push(a * sc);
        }
        for (let e = 0; e < D; e++) {
          let a = 0, c = 0;
          for (let t = 0; t < S; t++) a += attS[(i * S + s) * S + t]! * pq(t, i, 2, e);
          for (let t = 0; t < T; t++) c += attT[(i * S + s) * T + t]! * pkv(t, i, 1, e);
          selfVal[s * B * H * D + i * D + e] = a;
          encVal[s * B * H * D + i * D + e] = c;
        }
      }
      for (const dtype of ['float64', 'float32']) {
        const tol = dtype === 'float64' ? 1e-10 : 1e-4;
        const arr = (x: number[], shape: number[]) => nd.array(x, { shape, dtype });
        const near = (got: Arr, want: number[], shape: number[]) => {
          expect(got.shape).toEqual(shape);
          values(got).forEach((g, k) => {
            if (!(Math.abs(g - want[k]!) <= tol * (1 + Math.abs(want[k]!)))) expect.fail(`${dtype} [${k}]: ${g} vs ${want[k]}`);
          });
        };
        near(nd._contrib_interleaved_matmul_selfatt_qk(arr(qkv, [S, B, 3 * H * D]), { heads: H }), selfQk, [B * H, S, S]);
        near(nd._contrib_interleaved_matmul_selfatt_valatt(arr(qkv, [S, B, 3 * H * D]), arr(attS, [B * H, S, S]), { heads: H }),
             selfVal, [S, B, H * D]);
        near(nd._contrib_interleaved_matmul_encdec_qk(arr(q, [S, B, H * D]), arr(kv, [T, B, 2 * H * D]), { heads: H }),
             encQk, [B * H, S, T]);
        near(nd._contrib_interleaved_matmul_encdec_valatt(arr(kv, [T, B, 2 * H * D]), arr(attT, [B * H, S, T]), { heads: H }),
             encVal, [S, B, H * D]);
      }
    });
  });
});

describe('Symbol: a BERT-style attention block from MXNet JSON', () => {
  const json = JSON.stringify({
    nodes: [
      { op: 'null', name: 'qkv', inputs: [] },
      { op: '_contrib_interleaved_matmul_selfatt_qk', name: 'att_score', attrs: { heads: '2' }, inputs: [[0, 0, 0]] },
      { op: 'softmax', name: 'att_weights', attrs: { axis: '-1' }, inputs: [[1, 0, 0]] },
      { op: '_contrib_interleaved_matmul_selfatt_valatt', name: 'att_context', attrs: { heads: '2' },
        inputs: [[0, 0, 0], [2, 0, 0]] },
    ],
    arg_nodes: [0],
    node_row_ptr: [0, 1, 2, 3, 4],
    heads: [[3, 0, 0]],
    attrs: { mxnet_version: ['int', 10901] },
  });

  it('loads, round-trips, infers shapes, binds, runs forward and backward', () => {
    mx.scope(() => {
      const { heads, qkv, expected } = fixtures.attention;
      const s = sym.loadJSON(json);
      expect(heads).toBe(2);
      expect(s.listArguments()).toEqual(['qkv']);
      const again = sym.loadJSON(s.toJSON());
      expect(again.toJSON()).toBe(s.toJSON());
      expect(again.inferShape({ qkv: qkv.shape }).outShapes).toEqual([expected.shape]);
      const x = fromFixture(qkv);
      const ex = again.bind(here(), { qkv: x }, { argsGrad: { qkv: nd.zeros(qkv.shape, { dtype: 'float64' }) },
                                                  gradReq: { qkv: 'write' } } as any);
      const out = ex.forward({ isTrain: true })[0];
      expectClose(out, expected);
      const head = randomArray(expected.shape, 51);
      ex.backward(head);
      // The same gradient as the imperative graph.
      const v = x.copy();
      v.attachGrad();
      autograd.record(() => nd._contrib_interleaved_matmul_selfatt_valatt(
        v, nd.softmax(nd._contrib_interleaved_matmul_selfatt_qk(v, { heads }), { axis: -1 }), { heads })).backward(head);
      const want = values(v.grad);
      values(ex.gradDict.qkv).forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 12));
      ex.dispose();
    });
  });

  it('builds with mx.sym and infers the encoder-decoder shapes', () => {
    const q = sym.Variable('q');
    const kv = sym.Variable('kv');
    const sc = sym._contrib_interleaved_matmul_encdec_qk(q, kv, { heads: 3 });
    const ctx = sym._contrib_interleaved_matmul_encdec_valatt(kv, sym.softmax(sc, { axis: -1 }), { heads: 3 });
    const r = sym.loadJSON(ctx.toJSON()).inferShape({ q: [4, 2, 12], kv: [7, 2, 24] });
    expect(r.outShapes).toEqual([[4, 2, 12]]);
    expect(sym.loadJSON(sc.toJSON()).inferShape({ q: [4, 2, 12], kv: [7, 2, 24] }).outShapes).toEqual([[6, 4, 7]]);
  });
});

describe('_contrib_allclose against MXNet\'s rule (test/fixtures/contrib_attention.json)', () => {
  for (const c of fixtures.allclose) {
    it(c.name, () => {
      mx.scope(() => {
        const out = callOp('_contrib_allclose', c.inputs.map(fromFixture), c.params);
        expectArray(out, [], 'uint8', c.expected[0]!.data as number[]);
      });
    });
  }

  it('nd.contrib.allclose, defaults rtol=1e-05, atol=1e-08, equal_nan=True', () => {
    mx.scope(() => {
      const a = nd.array([1, NaN, 1e-9], { dtype: 'float64' });
      expect(values(nd.contrib.allclose(a, nd.array([1 + 5e-6, NaN, 0], { dtype: 'float64' })))).toEqual([1]);
      expect(values(nd.contrib.allclose(a, nd.array([1 + 2e-5, NaN, 0], { dtype: 'float64' })))).toEqual([0]);
    });
  });

  it('a larger array: one element out of tolerance anywhere is found', () => {
    mx.scope(() => {
      const n = 100003;
      const base = pseudoRandom(n, 61);
      const a = nd.array(base, { dtype: 'float32' });
      expect(values(nd._contrib_allclose(a, a.copy()))).toEqual([1]);
      for (const k of [0, 4097, n - 1]) {
        const b = nd.array(base.map((v, i) => (i === k ? v + 0.01 : v)), { dtype: 'float32' });
        expect(values(nd._contrib_allclose(a, b))).toEqual([0]);
      }
    });
  });

  it('has no gradient, as in MXNet', () => {
    mx.scope(() => {
      const a = nd.array([1, 2], { dtype: 'float64' });
      a.attachGrad();
      const m = errorOf(() => {
        autograd.record(() => nd._contrib_allclose(a, nd.array([1, 2], { dtype: 'float64' }))).backward();
        return a.grad;
      });
      expect(m).toContain('_contrib_allclose');
    });
  });

  it('Symbol: loads from MXNet JSON, infers a 0-d uint8 output, runs', () => {
    mx.scope(() => {
      const s = sym.loadJSON(JSON.stringify({
        nodes: [
          { op: 'null', name: 'a', inputs: [] },
          { op: 'null', name: 'b', inputs: [] },
          { op: '_contrib_allclose', name: 'close0', attrs: { rtol: '0.1', atol: '0', equal_nan: 'False' },
            inputs: [[0, 0, 0], [1, 0, 0]] },
        ],
        arg_nodes: [0, 1],
        node_row_ptr: [0, 1, 2, 3],
        heads: [[2, 0, 0]],
        attrs: { mxnet_version: ['int', 10901] },
      }));
      const again = sym.loadJSON(s.toJSON());
      expect(again.toJSON()).toBe(s.toJSON());
      const r = again.inferShape({ a: [2, 2], b: [2, 2] });
      expect(r.outShapes).toEqual([[]]);
      expect(again.inferType({ a: 'float32', b: 'float32' }).outTypes).toEqual(['uint8']);
      const ex = again.bind(here(), { a: nd.array([1, 2, 3, 4], { shape: [2, 2] }), b: nd.array([1.05, 2, 3, 4.5], { shape: [2, 2] }) });
      expectArray(ex.forward()[0], [], 'uint8', [0]);
      ex.dispose();
      const ex2 = again.bind(here(), { a: nd.array([1, 2, 3, 4], { shape: [2, 2] }), b: nd.array([1.05, 2, 3, 4.3], { shape: [2, 2] }) });
      expectArray(ex2.forward()[0], [], 'uint8', [1]);
      ex2.dispose();
    });
  });
});
