// _contrib_fft and _contrib_ifft (MXNet contrib): the unnormalised 1-D DFT along the last axis of
// real 2-D / 4-D data, output interleaved (re, im), and the real part of the unnormalised inverse.
//
// Forward expectations come from test/fixtures/fft.json, written by test/fixtures/gen_fft.py with
// numpy.fft (run the script to regenerate it): d = 1, 2, 3, 5, 6, 8, 12, 16, 100, 1024 (powers of
// two and Bluestein lengths), batch dims, float16/32/64, empty arrays. The rest checks the round trip
// ifft(fft(x)) = d * x, lengths whose rows span several kernel launches against a direct DFT, the
// gradients (finite differences, and each op's gradient being the other op), gradient accumulation,
// errors, and a Symbol loaded from MXNet JSON. With ISOTENSOR_GPU_KERNELS_ON_CPU=1 all of it runs the
// GPU kernels' logic through their CPU twins.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { checkGrad, pseudoRandom, randomArray } from '../helpers/gradcheck';
import { callOp, errorOf, fromFixture, loadFixtures, values, type FixtureCase, type FixtureErrorCase } from '../helpers/op-fixtures';

const { nd, autograd, sym } = mx;
type Arr = any;

const fixtures = loadFixtures<{ cases: FixtureCase[]; errors: FixtureErrorCase[] }>('fft.json');

beforeAll(async () => {
  await mx.ready();
  announceBackend('fft');
});

// An FFT's rounding error scales with the largest magnitude of its row, so values are compared
// relative to the largest expected one (the reference is rounded to the dtype, hence one ulp of it).
const relTol: Record<string, number> = { float16: 2e-3, float32: 1e-6, float64: 1e-12 };
function expectSpectrum(x: Arr, shape: number[], dtype: string, want: number[], what = ''): void {
  expect(x.shape, what).toEqual(shape);
  expect(x.dtype, what).toBe(dtype);
  const got = values(x);
  expect(got.length, what).toBe(want.length);
  const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
  const tol = relTol[dtype]! * scale;
  got.forEach((v, i) => {
    if (!(Math.abs(v - want[i]!) <= tol)) expect.fail(`${what} element ${i}: got ${v}, want ${want[i]} (tol ${tol})`);
  });
}

/** The direct O(d^2) DFT of row r of x (shape [rows, d]) at frequency k, in float64. */
function directDft(x: number[], d: number, r: number, k: number): [number, number] {
  let re = 0, im = 0;
  for (let n = 0; n < d; n++) {
    const a = (-2 * Math.PI * ((k * n) % d)) / d;
    re += x[r * d + n]! * Math.cos(a);
    im += x[r * d + n]! * Math.sin(a);
  }
  return [re, im];
}

describe('fft and ifft against numpy.fft (test/fixtures/fft.json)', () => {
  for (const c of fixtures.cases) {
    it(`${c.name} (${c.op})`, () => {
      mx.scope(() => {
        const out = callOp(c.op, c.inputs.map(fromFixture), c.params);
        expect(Array.isArray(out)).toBe(false);
        const e = c.expected[0]!;
        expectSpectrum(out, e.shape, e.dtype, e.data, c.name);
      });
    });
  }

  it('a small example exactly, and the nd.contrib names', () => {
    mx.scope(() => {
      const y = nd._contrib_fft(nd.array([[1, 2, 3, 4]]));
      expect(values(y)).toEqual([10, 0, -2, 2, -2, 0, -2, -2]);
      expect(values(nd._contrib_ifft(y))).toEqual([4, 8, 12, 16]);
      expect(values(nd.contrib.fft(nd.array([[1, 2, 3, 4]])))).toEqual([10, 0, -2, 2, -2, 0, -2, -2]);
      expect(values(nd.contrib.ifft(y, { computeSize: 3 }))).toEqual([4, 8, 12, 16]);
    });
  });
});

describe('round trips and long rows', () => {
  it('ifft(fft(x)) = d * x for powers of two and other lengths, 2-D and 4-D, float64', () => {
    mx.scope(() => {
      for (const shape of [[3, 1], [2, 2], [4, 7], [2, 16], [3, 100], [1, 1024], [2, 1, 3, 9], [1, 2, 2, 32]]) {
        const x = randomArray(shape, 7 + shape.length);
        const d = shape[shape.length - 1]!;
        const back = values(nd._contrib_ifft(nd._contrib_fft(x)));
        const want = values(x).map((v) => v * d);
        expectSpectrum(nd.array(back, { shape, dtype: 'float64' }), shape, 'float64', want, `shape ${shape}`);
      }
    });
  });

  it('float32 of a non power of two length (Bluestein, d = 1000) matches a direct float64 DFT', () => {
    mx.scope(() => {
      const d = 1000;
      const data = pseudoRandom(2 * d, 5);
      const x = nd.array(data, { shape: [2, d] });
      const xs = values(x);
      const y = values(nd._contrib_fft(x));
      let scale = 1;
      const want: number[] = [];
      for (let r = 0; r < 2; r++) {
        for (let k = 0; k < d; k++) {
          const [re, im] = directDft(xs, d, r, k);
          want.push(re, im);
          scale = Math.max(scale, Math.abs(re), Math.abs(im));
        }
      }
      // Against the float64 truth: the float32 rounding of the result only.
      y.forEach((v, i) => {
        if (!(Math.abs(v - want[i]!) <= 1e-6 * scale)) expect.fail(`element ${i}: got ${v}, want ${want[i]}`);
      });
    });
  });

  it('rows beyond one launch\'s scratch (several launches per call) are all transformed', () => {
    mx.scope(() => {
      // Rows of m = 2^16 (fft) and of 40000 points (Bluestein, m = 2^17) use 1 MiB / 2 MiB of the
      // 64 MiB scratch each, so 70 / 33 rows take two launches split after row 64 / 32; check rows on
      // both sides of the split.
      for (const [rows, d, split] of [[70, 65536, 64], [33, 40000, 32]] as const) {
        const x = nd.array(pseudoRandom(rows * d, 11), { shape: [rows, d], dtype: 'float64' });
        const xs = values(x);
        const y = nd._contrib_fft(x);
        const ys = values(y);
        for (const r of [0, split - 1, split, rows - 1]) {
          for (const k of [0, 1, 7, d - 1]) {
            const [re, im] = directDft(xs, d, r, k);
            const at = (r * d + k) * 2;
            expect(Math.abs(ys[at]! - re)).toBeLessThan(1e-9 * Math.sqrt(d));
            expect(Math.abs(ys[at + 1]! - im)).toBeLessThan(1e-9 * Math.sqrt(d));
          }
        }
        const back = values(nd._contrib_ifft(y));
        let worst = 0;
        back.forEach((v, i) => { worst = Math.max(worst, Math.abs(v / d - xs[i]!)); });
        expect(worst).toBeLessThan(1e-12);
      }
    });
  });
});

describe('gradients', () => {
  it('_contrib_fft: finite differences (powers of two, Bluestein lengths, 4-D)', () => {
    checkGrad('_contrib_fft', [randomArray([2, 8], 21)]);
    checkGrad('_contrib_fft', [randomArray([3, 6], 22)]);
    checkGrad('_contrib_fft', [randomArray([1, 2, 2, 5], 23)]);
    checkGrad('_contrib_fft', [randomArray([2, 1], 24)], { compute_size: 1 });
  });

  it('_contrib_ifft: finite differences (powers of two, Bluestein lengths, 4-D)', () => {
    checkGrad('_contrib_ifft', [randomArray([2, 16], 31)]);
    checkGrad('_contrib_ifft', [randomArray([3, 14], 32)]);
    checkGrad('_contrib_ifft', [randomArray([2, 1, 2, 6], 33)]);
    checkGrad('_contrib_ifft', [randomArray([1, 2], 34)]);
  });

  it('each op\'s gradient is the other applied to the output gradient (MXNet\'s backward, no 1/d)', () => {
    mx.scope(() => {
      const x = randomArray([2, 12], 41);
      x.attachGrad();
      const w = randomArray([2, 24], 42);
      const y = autograd.record(() => nd._contrib_fft(x));
      y.backward(w);
      expectSpectrum(x.grad, [2, 12], 'float64', values(nd._contrib_ifft(w)), 'd fft');
      const z = randomArray([3, 16], 43);
      z.attachGrad();
      const v = randomArray([3, 8], 44);
      autograd.record(() => nd._contrib_ifft(z)).backward(v);
      expectSpectrum(z.grad, [3, 16], 'float64', values(nd._contrib_fft(v)), 'd ifft');
    });
  });

  it('the composite ifft(fft(x)) = d * x differentiates to d', () => {
    mx.scope(() => {
      const x = randomArray([2, 5], 45);
      x.attachGrad();
      const y = autograd.record(() => nd._contrib_ifft(nd._contrib_fft(x)));
      y.backward(nd.onesLike(y));
      expectSpectrum(x.grad, [2, 5], 'float64', new Array(10).fill(5), 'composite');
    });
  });
});

describe('error messages name the op, the argument and the shapes', () => {
  for (const c of fixtures.errors) {
    it(c.name, () => {
      mx.scope(() => {
        const inputs = c.inputs.map((s) => nd.zeros(s.shape, { dtype: s.dtype }));
        const message = errorOf(() => callOp(c.op, inputs, c.params));
        for (const m of c.match) expect(message).toContain(m);
      });
    });
  }

  it('the library keeps working after an error', () => {
    mx.scope(() => {
      expect(errorOf(() => nd._contrib_ifft(nd.zeros([2, 3])))).toMatch(/_contrib_ifft.*data.*even/);
      expect(values(nd._contrib_ifft(nd.array([[1, 0, 1, 0]])))).toEqual([2, 0]);
    });
  });
});

describe('Symbol: MXNet JSON', () => {
  const json = (op: string, attrs: Record<string, string>) => JSON.stringify({
    nodes: [
      { op: 'null', name: 'data', inputs: [] },
      { op, name: 'f0', attrs, inputs: [[0, 0, 0]] },
    ],
    arg_nodes: [0],
    node_row_ptr: [0, 1, 2],
    heads: [[1, 0, 0]],
    attrs: { mxnet_version: ['int', 10901] },
  });

  it('loads, round-trips, infers shapes, binds, runs forward and backward (write and add)', () => {
    mx.scope(() => {
      const s = sym.loadJSON(json('_contrib_fft', { compute_size: '64' }));
      const again = sym.loadJSON(s.toJSON());
      expect(again.toJSON()).toBe(s.toJSON());
      expect(again.inferShape({ data: [2, 3, 4, 5] }).outShapes).toEqual([[2, 3, 4, 10]]);
      const data = nd.array([1, 2, 3, 4, 0, 1, 0, -1], { shape: [2, 4] });
      const grad = nd.zeros([2, 4]);
      const ex = again.bind(here(), { data }, { argsGrad: { data: grad }, gradReq: { data: 'add' } } as any);
      const out = ex.forward({ isTrain: true })[0].copy();  // outlives the executor
      expect(out.shape).toEqual([2, 8]);
      expect(values(out)).toEqual([10, 0, -2, 2, -2, 0, -2, -2, 0, 0, 0, -2, 0, 0, 0, 2]);
      // out_grad = 1 on every real part, 0 on imaginary parts: grad_n = sum_k cos(2 pi k n / 4) = 4 [n = 0].
      const og = nd.array([1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1], { shape: [2, 8] });
      ex.backward(og);
      // Imaginary out_grad: grad_n = -sum_k sin(2 pi k n / 4) = 0.
      expect(values(ex.gradDict.data).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([4, 0, 0, 0, 0, 0, 0, 0]);
      ex.forward({ isTrain: true });
      ex.backward(og);
      expect(values(ex.gradDict.data).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([8, 0, 0, 0, 0, 0, 0, 0]);
      ex.dispose();

      const si = sym.loadJSON(json('_contrib_ifft', {}));
      expect(si.inferShape({ data: [3, 8] }).outShapes).toEqual([[3, 4]]);
      const exi = sym.loadJSON(si.toJSON()).bind(here(), { data: out });
      expect(values(exi.forward()[0])).toEqual([4, 8, 12, 16, 0, 4, 0, -4]);
      exi.dispose();
    });
  });

  it('sym.contrib.fft composes and serialises with MXNet\'s op name', () => {
    mx.scope(() => {
      const s = sym.contrib.ifft({ data: sym.contrib.fft({ data: sym.Variable('x'), computeSize: 8 } as any) } as any);
      const j = JSON.parse(s.toJSON());
      expect(j.nodes.map((n: any) => n.op)).toEqual(['null', '_contrib_fft', '_contrib_ifft']);
      const ex = sym.loadJSON(s.toJSON()).bind(here(), { x: nd.array([1, -2, 3], { shape: [1, 3] }) });
      expect(values(ex.forward()[0]).map((v) => Math.round(v * 1e4) / 1e4)).toEqual([3, -6, 9]);
      ex.dispose();
    });
  });
});
