// The SSD ops _contrib_MultiBoxPrior, _contrib_MultiBoxDetection and _contrib_MultiBoxTarget (MXNet 1.9
// contrib).
//
// Forward expectations come from test/fixtures/contrib_multibox.json, written by
// test/fixtures/gen_contrib_multibox.py with NumPy following MXNet's CPU code (run the script to
// regenerate it); values are compared within each case's `tol` (0 for MultiBoxPrior's float32 and
// float64: exact). The rest checks MXNet's own test_multibox_prior_op values, the zero gradients
// MXNet defines, error messages, a Symbol round trip through MXNet JSON, and, with
// ISOTENSOR_GPU_KERNELS_ON_CPU=1, the GPU kernels' logic through their CPU twins.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { checkGrad, randomArray, recordGradCheck } from '../helpers/gradcheck';
import { callOp, errorOf, itRaisesFixtureErrors, fromFixture, loadFixtures, values, type FixtureCase, type FixtureErrorCase } from '../helpers/op-fixtures';

const { nd, sym } = mx;
type Arr = any;
const contrib = (nd as any).contrib as Record<string, (...a: unknown[]) => Arr>;

interface Case extends FixtureCase { tol: number }
const fixtures = loadFixtures<{
  cases: Case[];
  errors: FixtureErrorCase[];
  mxnetPriorChecks: { sizes: number[]; ratios: number[]; expected: number[] }[];
}>('contrib_multibox.json');

beforeAll(async () => {
  await mx.ready();
  announceBackend('contrib-multibox');
});

/** Shape, dtype, then every value within tol * (1 + |want|); -1 markers and class ids come out exact at tol 0. */
function expectClose(x: Arr, shape: number[], dtype: string, want: number[], tol: number, what: string): void {
  expect(x.shape, what).toEqual(shape);
  expect(x.dtype, what).toBe(dtype);
  const got = values(x);
  expect(got.length, what).toBe(want.length);
  got.forEach((v, i) => {
    const w = want[i]!;
    if (!(Math.abs(v - w) <= tol * (1 + Math.abs(w)))) expect.fail(`${what} element ${i}: got ${v}, want ${w}`);
  });
}

describe('MultiBoxPrior, MultiBoxDetection and MultiBoxTarget against NumPy (test/fixtures/contrib_multibox.json)', () => {
  for (const c of fixtures.cases) {
    it(c.name, () => {
      mx.scope(() => {
        const res = callOp(c.op, c.inputs.map(fromFixture), c.params);
        const outs = Array.isArray(res) ? res : [res];
        expect(outs.length).toBe(c.expected.length);
        c.expected.forEach((e, i) => expectClose(outs[i], e.shape, e.dtype, e.data, c.tol, `${c.name} output ${i}`));
        const out = outs[0];
        const e = c.expected[0]!;
        if (c.op === '_contrib_MultiBoxTarget') {
          // loc_mask and cls_target are exact (0/1 masks, class ids, ignore_label).
          expect(values(outs[1])).toEqual(c.expected[1]!.data);
          expect(values(outs[2])).toEqual(c.expected[2]!.data);
        }
        if (c.op === '_contrib_MultiBoxDetection') {
          // Class ids (column 0) are exact: they decide sorting and suppression.
          const got = values(out);
          for (let i = 0; i < got.length; i += 6) expect(got[i], `${c.name} row ${i / 6}`).toBe(e.data[i]);
        }
      });
    });
  }
});

describe('MultiBoxPrior', () => {
  it("MXNet's test_multibox_prior_op: 561x728 map, cell (250, 250)", () => {
    mx.scope(() => {
      const x = nd.zeros([1, 3, 561, 728]);
      for (const chk of fixtures.mxnetPriorChecks) {
        const y = contrib.MultiBoxPrior!(x, { sizes: chk.sizes, ratios: chk.ratios });
        expect(y.shape).toEqual([1, 2042040, 4]);
        const at = ((250 * 728 + 250) * 5) * 4;
        const got = values(y).slice(at, at + 4);
        got.forEach((v, i) => expect(Math.abs(v - chk.expected[i]!)).toBeLessThan(1e-5));
      }
    });
  });

  it('names: contrib.MultiBoxPrior, _contrib_MultiBoxPrior and _npx_multibox_prior are the same op', () => {
    mx.scope(() => {
      const x = nd.zeros([1, 1, 2, 3]);
      const a = values(contrib.MultiBoxPrior!(x, { sizes: [0.4, 0.2], ratios: [1, 2] }));
      const b = values((nd as any)._contrib_MultiBoxPrior(x, { sizes: [0.4, 0.2], ratios: [1, 2] }));
      const c = values((nd as any)._npx_multibox_prior(x, { sizes: '(0.4, 0.2)', ratios: '[1,2]' }));
      expect(b).toEqual(a);
      expect(c).toEqual(a);
      expect(a.length).toBe(2 * 3 * 3 * 4);
    });
  });

  it('zero gradient: finite differences agree (the anchors do not depend on the data values)', () => {
    checkGrad('_contrib_MultiBoxPrior', [randomArray([1, 2, 3, 2], 51)], { sizes: [0.5, 0.25], ratios: [1, 2] });
    checkGrad('_contrib_MultiBoxPrior', [randomArray([2, 1, 2, 2], 52)], { clip: true, sizes: [0.9] });
    mx.scope(() => {
      const x = randomArray([1, 1, 2, 2], 53);
      x.attachGrad();
      mx.autograd.record(() => contrib.MultiBoxPrior!(x, { sizes: [0.5] })).backward();
      expect(values(x.grad)).toEqual([0, 0, 0, 0]);
    });
  });
});

describe('MultiBoxDetection', () => {
  it('zero gradients for all three inputs (as MXNet defines them)', () => {
    mx.scope(() => {
      const cls = nd.array([0.1, 0.2, 0.9, 0.3, 0.0, 0.5], { shape: [1, 3, 2], dtype: 'float64' });
      const loc = randomArray([1, 8], 61, 0.2);
      const anc = nd.array([0.1, 0.1, 0.4, 0.4, 0.5, 0.5, 0.9, 0.8], { shape: [1, 2, 4], dtype: 'float64' });
      for (const a of [cls, loc, anc]) a.attachGrad();
      mx.autograd.record(() => contrib.MultiBoxDetection!(cls, loc, anc)).backward();
      expect(values(cls.grad)).toEqual(Array(6).fill(0));
      expect(values(loc.grad)).toEqual(Array(8).fill(0));
      expect(values(anc.grad)).toEqual(Array(8).fill(0));
    });
    // MXNet's backward writes zeros, which is what was just checked; finite differences would see the
    // decoded boxes' true slope.
    recordGradCheck('_contrib_MultiBoxDetection');
  });

  it('on the output of MultiBoxPrior (anchors shared by the batch)', () => {
    mx.scope(() => {
      const anchors = contrib.MultiBoxPrior!(nd.zeros([1, 1, 2, 2]), { sizes: [0.5] });
      // 3 classes x 4 anchors: anchor 0 -> class 0 (0.8), anchor 1 -> class 1 (0.7), anchor 2 below the
      // threshold (a -1 row), anchor 3 -> class 0 (0.6); boxes with loc_pred 0 are the anchors.
      const cls = nd.array([0.1, 0.2, 0.99, 0.1, 0.8, 0.1, 0.005, 0.6, 0.1, 0.7, 0.005, 0.3], { shape: [1, 3, 4] });
      const out = contrib.MultiBoxDetection!(cls, nd.zeros([1, 16]), anchors);
      expect(out.shape).toEqual([1, 4, 6]);
      const v = values(out);
      const rows = [0, 1, 2, 3].map((r) => v.slice(r * 6, r * 6 + 6));
      expect(rows.map((r) => r[0])).toEqual([0, 1, 0, -1]);
      [0.8, 0.7, 0.6].forEach((sc, r) => expect(rows[r]![1]).toBeCloseTo(sc, 6));
      expect(rows[3]).toEqual([-1, -1, -1, -1, -1, -1]);
      [[0, 0, 0.5, 0.5], [0.5, 0, 1, 0.5], [0.5, 0.5, 1, 1]].forEach((box, r) =>
        box.forEach((b, k) => expect(rows[r]![2 + k]).toBeCloseTo(b, 6)));
    });
  });
});

describe('MultiBoxTarget', () => {
  const anchor = () => nd.array([0.1, 0.1, 0.3, 0.3, 0.4, 0.4, 0.6, 0.6, 0.1, 0.5, 0.4, 0.9], { shape: [1, 3, 4], dtype: 'float64' });

  it('three outputs with MXNet names; zero gradients for all three inputs (as MXNet defines them)', () => {
    mx.scope(() => {
      const a = anchor();
      const label = nd.array([2, 0.1, 0.1, 0.3, 0.32, -1, -1, -1, -1, -1], { shape: [1, 2, 5], dtype: 'float64' });
      const cls = randomArray([1, 4, 3], 81);
      for (const x of [a, label, cls]) x.attachGrad();
      const outs = mx.autograd.record(() => contrib.MultiBoxTarget!(a, label, cls));
      expect(outs.length).toBe(3);
      expect(outs.map((o: Arr) => o.shape)).toEqual([[1, 12], [1, 12], [1, 3]]);
      expect(values(outs[2])).toEqual([3, 0, 0]);
      expect(values(outs[1])).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
      mx.autograd.backward(outs, outs.map((o: Arr) => nd.onesLike(o)));
      expect(values(a.grad)).toEqual(Array(12).fill(0));
      expect(values(label.grad)).toEqual(Array(10).fill(0));
      expect(values(cls.grad)).toEqual(Array(12).fill(0));
      const s = (sym as any).contrib.MultiBoxTarget({ anchor: sym.Variable('a'), label: sym.Variable('l'),
                                                      cls_pred: sym.Variable('c'), name: 'mbt' });
      expect(s.listOutputs()).toEqual(['mbt_loc_target', 'mbt_loc_mask', 'mbt_cls_target']);
      expect(s.listArguments()).toEqual(['a', 'l', 'c']);
    });
    // MXNet's backward writes zeros, which is what was just checked (the targets are piecewise
    // constant in cls_pred and in the boxes away from matching changes, but not everywhere).
    recordGradCheck('_contrib_MultiBoxTarget');
  });

  it('a padding row that is not all -1 is an error naming the label (found while computing)', () => {
    mx.scope(() => {
      const label = nd.array([1, 0.1, 0.1, 0.3, 0.3, -1, 0.2, -1, -1, -1], { shape: [1, 2, 5], dtype: 'float64' });
      const msg = errorOf(() => contrib.MultiBoxTarget!(anchor(), label, nd.zeros([1, 2, 3], { dtype: 'float64' })));
      expect(msg).toContain('_contrib_MultiBoxTarget');
      expect(msg).toContain('label');
      expect(msg).toContain('-1');
    });
  });

  it('too few negative-mining candidates is an error, as in MXNet', () => {
    mx.scope(() => {
      // One label overlapping every anchor by >= 0.4: no anchor qualifies as a mined negative.
      const a = nd.array([0.1, 0.1, 0.5, 0.5, 0.12, 0.1, 0.52, 0.5, 0.1, 0.12, 0.5, 0.52], { shape: [1, 3, 4] });
      const label = nd.array([0, 0.1, 0.1, 0.5, 0.5], { shape: [1, 1, 5] });
      const msg = errorOf(() => contrib.MultiBoxTarget!(a, label, nd.zeros([1, 2, 3]),
        { negativeMiningRatio: 3, negativeMiningThresh: 0.4, overlapThreshold: 0.99 }));
      expect(msg).toContain('_contrib_MultiBoxTarget');
      expect(msg).toContain('negative');
      // the library keeps working
      expect(values(contrib.MultiBoxTarget!(a, label, nd.zeros([1, 2, 3]))[2])).toEqual([1, 1, 1]);
    });
  });
});

describe('error messages name the op, the argument and the shapes', () => {
  itRaisesFixtureErrors(fixtures.errors);

  it('unknown parameters are rejected, and the library keeps working', () => {
    mx.scope(() => {
      const msg = errorOf(() => contrib.MultiBoxPrior!(nd.zeros([1, 1, 2, 2]), { size: [0.5] }));
      expect(msg).toContain('_contrib_MultiBoxPrior');
      expect(msg).toContain('size');
      expect(contrib.MultiBoxPrior!(nd.zeros([1, 1, 1, 1])).shape).toEqual([1, 1, 4]);
    });
  });
});

describe('Symbol: MXNet JSON round trip', () => {
  const json = JSON.stringify({
    nodes: [
      { op: 'null', name: 'feat', inputs: [] },
      { op: '_contrib_MultiBoxPrior', name: 'prior', attrs: { sizes: '(0.5, 0.25)', ratios: '(1, 2)', clip: 'True' },
        inputs: [[0, 0, 0]] },
      { op: 'null', name: 'cls', inputs: [] },
      { op: 'null', name: 'loc', inputs: [] },
      { op: '_contrib_MultiBoxDetection', name: 'det',
        attrs: { nms_threshold: '0.45', force_suppress: 'True', variances: '(0.1, 0.1, 0.2, 0.2)', nms_topk: '400' },
        inputs: [[2, 0, 0], [3, 0, 0], [1, 0, 0]] },
    ],
    arg_nodes: [0, 2, 3],
    node_row_ptr: [0, 1, 2, 3, 4, 5],
    heads: [[4, 0, 0]],
    attrs: { mxnet_version: ['int', 10901] },
  });

  it('loads, infers shapes, round-trips, binds and runs forward like the NDArray calls', () => {
    mx.scope(() => {
      const s = sym.loadJSON(json);
      expect(s.listArguments()).toEqual(['cls', 'loc', 'feat']);  // MXNet's depth-first order from the head
      const shapes = s.inferShape({ feat: [2, 8, 3, 2], cls: [2, 4, 18], loc: [2, 72] });
      expect(shapes.outShapes).toEqual([[2, 18, 6]]);
      const again = sym.loadJSON(s.toJSON());
      const feat = nd.zeros([2, 8, 3, 2]);
      const cls = nd.softmax(randomArray([2, 4, 18], 71, 2, 0, 'float32'), { axis: 1 });
      const loc = randomArray([2, 72], 72, 0.3, 0, 'float32');
      const ex = again.bind(here(), { feat, cls, loc });
      const got = values(ex.forward()[0]);
      const anchors = contrib.MultiBoxPrior!(feat, { sizes: [0.5, 0.25], ratios: [1, 2], clip: true });
      const want = values(contrib.MultiBoxDetection!(cls, loc, anchors,
        { nmsThreshold: 0.45, forceSuppress: true, nmsTopk: 400 }));
      expect(got).toEqual(want);
      expect(got.filter((v, i) => i % 6 === 0 && v >= 0).length).toBeGreaterThan(0);
      ex.dispose();
    });
  });

  it('sym.contrib.MultiBoxPrior keeps its params through toJSON', () => {
    const p = (sym as any).contrib.MultiBoxPrior({ data: sym.Variable('x'), sizes: [0.3], steps: [0.5, 0.25], name: 'p' });
    const back = sym.loadJSON(p.toJSON());
    expect(back.inferShape({ x: [1, 1, 4, 5] }).outShapes).toEqual([[1, 20, 4]]);
    const node = JSON.parse(back.toJSON()).nodes.find((n: any) => n.op === '_contrib_MultiBoxPrior');
    expect(node.attrs.sizes).toBe('(0.3,)');
    expect(node.attrs.steps).toBe('(0.5, 0.25)');
  });
});
