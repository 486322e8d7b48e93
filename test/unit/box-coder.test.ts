// MXNet 1.9's box coder and matching ops: _contrib_box_encode (training targets and masks from
// matched reference boxes), _contrib_box_decode (offsets back to corner boxes) and
// _contrib_bipartite_matching (greedy matching of a score matrix); all three back-propagate zeros,
// as MXNet defines them.
//
// Forward expectations come from test/fixtures/box_coder.json, written by test/fixtures/gen_box_coder.py
// with NumPy following MXNet's kernels (run it to regenerate). The rest checks the API forms, errors
// naming op and argument (a positive sample's out-of-range match is found while computing), Symbol JSON
// round trips, the zero gradients, and, with ISOTENSOR_GPU_KERNELS_ON_CPU=1, the GPU kernels' logic
// through their CPU twins.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { checkGrad, randomArray, recordGradCheck } from '../helpers/gradcheck';
import {
  callOp,
  errorOf,
  expectArray,
  expectClose,
  fromFixture,
  itRaisesFixtureErrors,
  loadFixtures,
  singleOpJSON,
  values,
  type FixtureCase,
  type FixtureErrorCase,
  type FixtureValue,
} from '../helpers/op-fixtures';

const { nd } = mx;
type Arr = any;
const contrib = (nd as any).contrib as Record<string, (...args: unknown[]) => Arr>;
const sym: any = mx.sym;
const ENC = '_contrib_box_encode';
const DEC = '_contrib_box_decode';
const BM = '_contrib_bipartite_matching';

const fixtures = loadFixtures<{ cases: FixtureCase<FixtureValue>[]; errors: FixtureErrorCase[] }>('box_coder.json');

beforeAll(async () => {
  await mx.ready();
  announceBackend('box-coder');
});

const f64 = (data: number[], shape: number[]): Arr => nd.array(data, { shape, dtype: 'float64' });
const outputsOf = (r: Arr): Arr[] => (Array.isArray(r) ? r : [r]);

// A small encode problem: 2 batches of 3 anchors against 2 refs, sample 1 of batch 0 ignored.
function encodeInputs(dtype = 'float64'): Arr[] {
  const a = (d: number[], s: number[]) => nd.array(d, { shape: s, dtype: dtype as never });
  return [
    a([1, 0, 1, 1, -1, 1], [2, 3]),
    a([1, 0, 0, 0, 1, 1], [2, 3]),
    a([0, 0, 2, 2, 1, 1, 3, 4, 0.5, 0, 1.5, 3, 2, 2, 4, 5, 0, 1, 1, 2, 3, 3, 6, 6], [2, 3, 4]),
    a([0.5, 0.5, 2, 3, 1, 0, 3, 3, 2, 1, 5, 4, 0, 0, 1, 2], [2, 2, 4]),
    a([0, 0.1, 0, -0.1], [4]),
    a([0.1, 0.1, 0.2, 0.2], [4]),
  ];
}

describe('box_encode, box_decode and bipartite_matching against NumPy (test/fixtures/box_coder.json)', () => {
  for (const c of fixtures.cases) {
    it(c.name, () => {
      mx.scope(() => {
        const outs = outputsOf(callOp(c.op, c.inputs.map(fromFixture), c.params));
        expect(outs.length).toBe(c.expected.length);
        c.expected.forEach((e, i) =>
          expectClose(outs[i], e.shape, e.dtype, e.data.map((v) => (v === 'nan' ? NaN : Number(v))), `${c.name} output ${i}`));
      });
    });
  }
});

describe('errors name the op, the argument and the shapes', () => {
  itRaisesFixtureErrors(fixtures.errors);

  it('box_encode: a positive sample matched outside the refs is an error naming matches', () => {
    mx.scope(() => {
      for (const bad of [2, -1, 7.5, NaN]) {
        const [s, , a, r, mu, sd] = encodeInputs('float32');
        const m = nd.array([0, 0, 1, bad, 0, 0], { shape: [2, 3] });
        const msg = errorOf(() => contrib.box_encode!(s, m, a, r, mu, sd));
        expect(msg).toContain(ENC);
        expect(msg).toContain("'matches'");
        expect(msg).toContain('(1, 0)');
        expect(msg).toContain('(2,2,4)');
      }
      // A negative or ignored sample's match is never read.
      const [s, , a, r, mu, sd] = encodeInputs('float32');
      const m = nd.array([0, 99, 1, 1, -5, 0], { shape: [2, 3] });
      const [t, k] = contrib.box_encode!(s, m, a, r, mu, sd);
      expect(values(k)).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]);
      expect(values(t).slice(4, 8)).toEqual([0, 0, 0, 0]);
      // The library keeps working.
      expect(contrib.box_encode!(...encodeInputs('float32'))[0].shape).toEqual([2, 3, 4]);
    });
  });

  it('mismatched dtypes name the input; integer data is refused', () => {
    mx.scope(() => {
      const ins = encodeInputs('float32');
      ins[3] = ins[3].astype('float64');
      let m = errorOf(() => contrib.box_encode!(...ins));
      expect(m).toContain(ENC); expect(m).toContain("'refs'");
      m = errorOf(() => contrib.box_decode!(nd.zeros([1, 2, 4]), nd.zeros([1, 2, 4], { dtype: 'float64' })));
      expect(m).toContain(DEC); expect(m).toContain("'anchors'");
      m = errorOf(() => contrib.bipartite_matching!(nd.zeros([2, 2], { dtype: 'int32' }), { threshold: 0 }));
      expect(m).toContain(BM);
      m = errorOf(() => contrib.box_decode!(nd.zeros([1, 2, 4]), nd.zeros([1, 2, 4]), { clip: 1, bogus: 2 } as any));
      expect(m).toContain(DEC); expect(m).toContain('bogus');
    });
  });
});

describe('API forms and behaviour', () => {
  it('nd.contrib short and camelCase names, nd._contrib_ names, snake_case or camelCase options', () => {
    expect(contrib.boxEncode).toBe(contrib.box_encode);
    expect(contrib.boxDecode).toBe(contrib.box_decode);
    expect(contrib.bipartiteMatching).toBe(contrib.bipartite_matching);
    mx.scope(() => {
      const x = f64([0.5, 0.6, 0.1, 0.2, 0.3, 0.4], [3, 2]);
      const a = contrib.bipartiteMatching!(x, { threshold: 1e-12, isAscend: false });
      const b = (nd as any)._contrib_bipartite_matching(x, { threshold: 1e-12, is_ascend: false });
      expect(a.length).toBe(2);
      expectArray(a[0], [3], 'float64', [1, -1, 0]);
      expectArray(a[1], [2], 'float64', [2, 0]);
      expect(values(b[0])).toEqual(values(a[0]));
      const d = randomArray([2, 3, 4], 7, 0.5);
      const anc = f64([0, 0, 2, 2, 1, 1, 3, 4, 0.5, 0, 1.5, 3], [1, 3, 4]);
      const p = contrib.boxDecode!(d, anc, { std0: 0.1, std2: 0.2, format: 'corner' });
      const q = (nd as any)._contrib_box_decode(d, anc, { std0: 0.1, std2: 0.2, format: 'corner' });
      expect(values(p)).toEqual(values(q));
      expect(mx.operator.getOperator('_npx_box_decode')?.name).toBe(DEC);
      expect(mx.operator.getOperator('_npx_box_encode')?.name).toBe(ENC);
      expect(mx.operator.getOperator('_npx_bipartite_matching')?.name).toBe(BM);
    });
  });

  it('decode inverts encode (corner anchors, the same stds: float params exact in float32)', () => {
    mx.scope(() => {
      const [s, m, a, r] = encodeInputs();
      const sd = f64([0.125, 0.125, 0.25, 0.25], [4]);
      const zero = f64([0, 0, 0, 0], [4]);
      const [t] = contrib.box_encode!(s, m, a, r, zero, sd);
      // Batch 0 of the anchors is what decode reads: decode batch 0's targets. Its positive boxes 0
      // and 2 are matched to refs 1 and 0.
      const t0 = f64(values(t).slice(0, 12), [1, 3, 4]);
      const out = values(contrib.box_decode!(t0, a, { std0: 0.125, std1: 0.125, std2: 0.25, std3: 0.25, format: 'corner' }));
      const refs = values(r);
      for (const [box, ref] of [[0, 1], [2, 0]] as const)
        for (let c = 0; c < 4; ++c) expect(out[box * 4 + c]).toBeCloseTo(refs[ref * 4 + c]!, 12);
    });
  });

  it('bipartite_matching: markers are consistent (row r -> column c iff column c -> row r)', () => {
    mx.scope(() => {
      const x = randomArray([3, 7, 5], 11);
      const [rows, cols] = contrib.bipartite_matching!(x, { threshold: -0.3 });
      const rv = values(rows);
      const cv = values(cols);
      for (let b = 0; b < 3; ++b)
        for (let i = 0; i < 7; ++i) {
          const c = rv[b * 7 + i]!;
          if (c >= 0) expect(cv[b * 5 + c]).toBe(i);
        }
      expect(cv.filter((v) => v >= 0).length).toBe(rv.filter((v) => v >= 0).length);
    });
  });
});

describe('Symbol JSON round trips', () => {
  it('box_encode, box_decode and bipartite_matching load from MXNet JSON, re-serialise and run', () => {
    mx.scope(() => {
      const enc = encodeInputs('float32');
      const names = ['samples', 'matches', 'anchors', 'refs', 'means', 'stds'];
      const d = nd.array(values(randomArray([2, 3, 4], 3, 0.5)), { shape: [2, 3, 4] });
      const anc = nd.array([0, 0, 2, 2, 1, 1, 3, 4, 0.5, 0, 1.5, 3], { shape: [1, 3, 4] });
      const sc = nd.array(values(randomArray([2, 4, 3], 5)), { shape: [2, 4, 3] });
      const runs: [string, Record<string, string>, string[], Arr[], number, Arr][] = [
        [ENC, {}, names, enc, 2, contrib.box_encode!(...enc)[0]],
        [DEC, { std0: '0.1', clip: '0.5', format: 'corner' }, ['data', 'anchors'], [d, anc], 1,
         contrib.box_decode!(d, anc, { std0: 0.1, clip: 0.5, format: 'corner' })],
        [BM, { threshold: '0.1', is_ascend: 'False', topk: '2' }, ['data'], [sc], 2,
         contrib.bipartite_matching!(sc, { threshold: 0.1, topk: 2 })[0]],
      ];
      for (const [op, attrs, args, ins, nOut, want] of runs) {
        const s = sym.loadJSON(singleOpJSON(op, attrs, args, nOut));
        expect(s.listArguments()).toEqual(args);
        const again = sym.loadJSON(s.toJSON());
        expect(again.toJSON()).toBe(s.toJSON());
        const ex = again.bind(here(), Object.fromEntries(args.map((n, i) => [n, ins[i]])));
        const out = ex.forward()[0];
        expect(out.shape).toEqual(want.shape);
        expect(values(out)).toEqual(values(want));
        ex.dispose();
      }
    });
  });

  it('sym.contrib builders: argument and output names, shape inference', () => {
    const e = sym.contrib.box_encode({ samples: sym.Variable('s'), matches: sym.Variable('m'), anchors: sym.Variable('a'),
                                       refs: sym.Variable('r'), means: sym.Variable('mu'), stds: sym.Variable('sd'),
                                       name: 'enc' });
    expect(e.listArguments()).toEqual(['s', 'm', 'a', 'r', 'mu', 'sd']);
    expect(e.listOutputs()).toEqual(['enc_output0', 'enc_output1']);
    const inf = e.inferShape({ s: [2, 5], m: [2, 5], a: [2, 5, 4], r: [2, 3, 4] });
    expect(inf.argShapes).toEqual([[2, 5], [2, 5], [2, 5, 4], [2, 3, 4], [4], [4]]);
    expect(inf.outShapes).toEqual([[2, 5, 4], [2, 5, 4]]);
    const b = sym.contrib.bipartite_matching({ data: sym.Variable('x'), threshold: 0.5, name: 'bm' });
    expect(b.listOutputs()).toEqual(['bm_output0', 'bm_output1']);
    expect(b.inferShape({ x: [2, 3, 6, 4] }).outShapes).toEqual([[2, 3, 6], [2, 3, 4]]);
    const d = sym.contrib.box_decode({ data: sym.Variable('x'), anchors: sym.Variable('a'), name: 'dec' });
    expect(d.inferShape({ x: [3, 5, 4], a: [1, 5, 4] }).outShapes).toEqual([[3, 5, 4]]);
  });
});

describe('gradients (zeros, as MXNet defines them)', () => {
  it('box_encode: zero gradients for all six inputs', () => {
    mx.scope(() => {
      const ins = encodeInputs();
      for (const x of ins) x.attachGrad();
      const outs = mx.autograd.record(() => contrib.box_encode!(...ins));
      mx.autograd.backward(outs, outs.map((o: Arr) => nd.onesLike(o)));
      for (const x of ins) expect(values(x.grad)).toEqual(new Array(x.size).fill(0));
    });
    // MXNet's FGradient is MakeZeroGradNodes, which is what was just checked (the targets have a
    // true slope in the boxes, so finite differences would not agree).
    recordGradCheck(ENC);
  });

  it('box_decode: zero gradients for data and anchors', () => {
    mx.scope(() => {
      const d = randomArray([2, 3, 4], 21, 0.5);
      const a = f64([0, 0, 2, 2, 1, 1, 3, 4, 0.5, 0, 1.5, 3], [1, 3, 4]);
      d.attachGrad();
      a.attachGrad();
      mx.autograd.record(() => contrib.box_decode!(d, a, { format: 'corner' })).backward();
      expect(values(d.grad)).toEqual(new Array(24).fill(0));
      expect(values(a.grad)).toEqual(new Array(12).fill(0));
    });
    recordGradCheck(DEC);
  });

  it('bipartite_matching: zero gradient, which finite differences agree with (markers are piecewise constant)', () => {
    checkGrad(BM, [randomArray([2, 4, 3], 31)], { threshold: 0.05 });
    checkGrad(BM, [randomArray([5, 2], 32)], { threshold: 0.5, is_ascend: true, topk: 1 });
    mx.scope(() => {
      const x = randomArray([3, 2], 33);
      x.attachGrad();
      const outs = mx.autograd.record(() => contrib.bipartite_matching!(x, { threshold: -1 }));
      mx.autograd.backward(outs, outs.map((o: Arr) => nd.onesLike(o)));
      expect(values(x.grad)).toEqual([0, 0, 0, 0, 0, 0]);
    });
  });
});
