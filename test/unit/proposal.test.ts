// _contrib_Proposal and _contrib_MultiProposal (Faster R-CNN's RPN proposal layer, MXNet 1.9 contrib).
//
// Forward expectations come from test/fixtures/proposal.json, written by test/fixtures/gen_proposal.py
// with NumPy following MXNet's algorithm (run the script to regenerate it): several scales/ratios,
// output_score, iou_loss, min-size filtering, padded feature maps, fewer survivors than
// rpn_post_nms_top_n (cycling), batches, float64. The rest checks MultiProposal against Proposal per
// image (as MXNet's test_multi_proposal_op), a full-size map, the zero gradients MXNet defines, errors
// found while computing (im_info), a Symbol round trip through MXNet JSON, and, with
// ISOTENSOR_GPU_KERNELS_ON_CPU=1, the GPU kernels' logic through their CPU twins.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { checkGrad, pseudoRandom, randomArray, recordGradCheck } from '../helpers/gradcheck';
import { callOp, errorOf, expectClose, fromFixture, itRaisesFixtureErrors, loadFixtures, values, type FixtureCase, type FixtureErrorCase } from '../helpers/op-fixtures';

const { nd, sym } = mx;
type Arr = any;
const contrib = (nd as any).contrib as Record<string, (...a: unknown[]) => Arr>;

const fixtures = loadFixtures<{ cases: FixtureCase[]; errors: FixtureErrorCase[] }>('proposal.json');
const tolerance: Record<string, number> = { float32: 1e-5, float64: 1e-12 };

beforeAll(async () => {
  await mx.ready();
  announceBackend('proposal');
});

/** cls_prob (n, 2A, h, w) with distinct scores in (0, 1), bbox_pred (n, 4A, h, w) small deltas, im_info rows. */
function rpnInputs(n: number, a: number, h: number, w: number, im: number[][], seed: number, dtype = 'float32'): Arr[] {
  const cls = nd.array(pseudoRandom(n * 2 * a * h * w, seed).map((v) => 0.5 + 0.49 * v), { shape: [n, 2 * a, h, w], dtype });
  const bbox = nd.array(pseudoRandom(n * 4 * a * h * w, seed + 1).map((v) => 0.3 * v), { shape: [n, 4 * a, h, w], dtype });
  const info = nd.array(im.flat(), { shape: [n, 3], dtype });
  return [cls, bbox, info];
}

describe('Proposal and MultiProposal against NumPy (test/fixtures/proposal.json)', () => {
  for (const c of fixtures.cases) {
    it(`${c.name} (${c.op})`, () => {
      mx.scope(() => {
        const res = callOp(c.op, c.inputs.map(fromFixture), c.params);
        const outs = Array.isArray(res) ? res : [res];
        expect(outs.length).toBe(c.expected.length);
        c.expected.forEach((e, i) => expectClose(outs[i], e.shape, e.dtype, e.data, `${c.name} output ${i}`, tolerance));
        // Batch indices (column 0) are exact.
        const got = values(outs[0]);
        const e = c.expected[0]!;
        for (let i = 0; i < got.length; i += 5) expect(got[i], `${c.name} row ${i / 5}`).toBe(e.data[i]);
      });
    });
  }
});

describe('behaviour', () => {
  it('names: contrib.Proposal / _contrib_Proposal and contrib.MultiProposal / _contrib_MultiProposal', () => {
    mx.scope(() => {
      const [cls, bbox, info] = rpnInputs(1, 2, 3, 3, [[48, 48, 1]], 11);
      const p = { scales: [2], ratios: [1, 2], rpnPostNmsTopN: 5 };
      const a = values(contrib.Proposal!(cls, bbox, info, p));
      expect(values((nd as any)._contrib_Proposal(cls, bbox, info, p))).toEqual(a);
      expect(values(contrib.MultiProposal!(cls, bbox, info, p))).toEqual(a);
      expect(values((nd as any)._contrib_MultiProposal(cls, bbox, info, { scales: '(2,)', ratios: '[1,2]', rpn_post_nms_top_n: 5 }))).toEqual(a);
      expect(a.length).toBe(25);
    });
  });

  it("MultiProposal equals Proposal image by image (MXNet's test_multi_proposal_op)", () => {
    mx.scope(() => {
      for (const dtype of ['float32', 'float64']) {
        const im = [[64, 80, 1], [50, 70, 1.3], [64, 64, 0.7]];
        const [cls, bbox, info] = rpnInputs(3, 6, 4, 5, im, 21, dtype);
        const p = { scales: [2, 4], ratios: [0.5, 1, 2], rpnPreNmsTopN: 40, rpnPostNmsTopN: 12, threshold: 0.6, outputScore: true };
        const [rois, scores] = contrib.MultiProposal!(cls, bbox, info, p);
        expect(rois.shape).toEqual([36, 5]);
        expect(scores.shape).toEqual([36, 1]);
        const all = values(rois);
        const allScores = values(scores);
        for (let b = 0; b < 3; b++) {
          const sl = (x: Arr) => nd.slice_axis(x, { axis: 0, begin: b, end: b + 1 });
          const [r1, s1] = contrib.Proposal!(sl(cls), sl(bbox), sl(info), p);
          const one = values(r1);
          for (let i = 0; i < 12; i++) {
            expect(all[(b * 12 + i) * 5]).toBe(b);
            expect(one[i * 5]).toBe(0);
            expect(all.slice((b * 12 + i) * 5 + 1, (b * 12 + i) * 5 + 5)).toEqual(one.slice(i * 5 + 1, i * 5 + 5));
          }
          expect(allScores.slice(b * 12, b * 12 + 12)).toEqual(values(s1));
        }
      }
    });
  });

  it('a full-size map with the default params (38 x 50 x 12 anchors, pre 6000, post 300)', () => {
    mx.scope(() => {
      const [cls, bbox, info] = rpnInputs(2, 12, 38, 50, [[600, 800, 1], [560, 720, 1.2]], 31);
      const [rois, scores] = contrib.MultiProposal!(cls, bbox, info, { outputScore: true });
      expect(rois.shape).toEqual([600, 5]);
      const r = values(rois);
      const s = values(scores);
      for (let i = 0; i < 600; i++) {
        const b = i < 300 ? 0 : 1;
        expect(r[i * 5]).toBe(b);
        const [h, w] = b === 0 ? [600, 800] : [560, 720];
        // Kept boxes lie in the image; scores are descending within an image's kept boxes.
        expect(r[i * 5 + 1]).toBeGreaterThanOrEqual(0);
        expect(r[i * 5 + 3]).toBeLessThanOrEqual(w - 1);
        expect(r[i * 5 + 4]).toBeLessThanOrEqual(h - 1);
        if (i % 300 > 0) expect(s[i]).toBeLessThanOrEqual(s[i - 1]!);
      }
      // The first image's rows equal Proposal's on it alone.
      const sl = (x: Arr) => nd.slice_axis(x, { axis: 0, begin: 0, end: 1 });
      expect(values(contrib.Proposal!(sl(cls), sl(bbox), sl(info)))).toEqual(r.slice(0, 1500));
    });
  });

  it('equal scores keep anchor order (stable sort); nothing suppressed at threshold 1', () => {
    mx.scope(() => {
      const cls = nd.full([1, 2, 2, 3], 0.5);
      const bbox = nd.zeros([1, 4, 2, 3]);
      const info = nd.array([[32, 48, 1]]);
      const r = values(contrib.Proposal!(cls, bbox, info, { scales: [1], ratios: [1], threshold: 1, rpnMinSize: 1, rpnPostNmsTopN: 6 }));
      // Anchor (0, 0, 15, 15) shifted by 16 per position, row-major over (h, w).
      const want: number[] = [];
      for (let h = 0; h < 2; h++) for (let w = 0; w < 3; w++) want.push(0, 16 * w, 16 * h, 16 * w + 15, 16 * h + 15);
      expect(r).toEqual(want);
    });
  });

  it('empty cases: rpn_post_nms_top_n 0, a batch of 0 images', () => {
    mx.scope(() => {
      const [cls, bbox, info] = rpnInputs(1, 1, 2, 2, [[32, 32, 1]], 41);
      expect(contrib.Proposal!(cls, bbox, info, { scales: [2], ratios: [1], rpnPostNmsTopN: 0 }).shape).toEqual([0, 5]);
      const y = contrib.MultiProposal!(nd.zeros([0, 2, 2, 2]), nd.zeros([0, 4, 2, 2]), nd.zeros([0, 3]),
        { scales: [2], ratios: [1], outputScore: true });
      expect(y.map((a: Arr) => a.shape)).toEqual([[0, 5], [0, 1]]);
    });
  });
});

describe('error messages name the op, the argument and the shapes', () => {
  itRaisesFixtureErrors(fixtures.errors);

  it('no anchor positions (a 0 x 0 map) with rows to fill', () => {
    mx.scope(() => {
      const msg = errorOf(() => contrib.Proposal!(nd.zeros([1, 2, 0, 0]), nd.zeros([1, 4, 0, 0]), nd.zeros([1, 3]),
        { scales: [2], ratios: [1] }));
      expect(msg).toMatch(/_contrib_Proposal.*cls_prob.*\(1,2,0,0\)/);
    });
  });

  it('im_info larger than the feature map or not finite (found while computing); the library keeps working', () => {
    mx.scope(() => {
      const [cls, bbox] = rpnInputs(2, 1, 3, 3, [[48, 48, 1], [48, 48, 1]], 51);
      const p = { scales: [2], ratios: [1] };
      expect(errorOf(() => contrib.MultiProposal!(cls, bbox, nd.array([[48, 48, 1], [48, 100, 1]]), p)))
        .toMatch(/_contrib_MultiProposal.*im_info.*im_info\[1\].*width 100.*only 3 columns/);
      expect(errorOf(() => contrib.MultiProposal!(cls, bbox, nd.array([[80, 48, 1], [48, 48, 1]]), p)))
        .toMatch(/_contrib_MultiProposal.*im_info.*im_info\[0\].*height 80.*only 3 rows/);
      expect(errorOf(() => contrib.MultiProposal!(cls, bbox, nd.array([[48, 48, NaN], [48, 48, 1]]), p)))
        .toMatch(/_contrib_MultiProposal.*im_info.*finite/);
      expect(contrib.MultiProposal!(cls, bbox, nd.array([[48, 48, 1], [63, 63, 1]]), p).shape).toEqual([600, 5]);
    });
  });

  it('rejects parameters the op does not have and bad tuples', () => {
    mx.scope(() => {
      const [cls, bbox, info] = rpnInputs(1, 1, 2, 2, [[32, 32, 1]], 61);
      expect(errorOf(() => contrib.Proposal!(cls, bbox, info, { scales: [2], ratios: [1], nms: 1 } as any))).toMatch(/_contrib_Proposal.*nms/);
      expect(errorOf(() => contrib.Proposal!(cls, bbox, info, { scales: '(2,', ratios: [1] }))).toMatch(/_contrib_Proposal.*scales/);
      expect(errorOf(() => contrib.Proposal!(cls, bbox, info, { scales: [], ratios: [1] }))).toMatch(/_contrib_Proposal.*scales/);
    });
  });
});

describe('gradients (MXNet defines them as zero)', () => {
  for (const op of ['Proposal', 'MultiProposal']) {
    it(`${op}: zero gradients for all three inputs, with and without output_score`, () => {
      mx.scope(() => {
        for (const outputScore of [false, true]) {
          const ins = rpnInputs(1, 2, 3, 3, [[48, 48, 1]], 71, 'float64');
          ins.forEach((a) => a.attachGrad());
          mx.autograd.record(() => {
            const r = contrib[op]!(...ins, { scales: [2], ratios: [1, 2], rpnPostNmsTopN: 6, outputScore });
            const outs = Array.isArray(r) ? r : [r];
            return nd.add_n(...outs.map((o: Arr) => nd.sum(o)));
          }).backward();
          ins.forEach((a) => expect(values(a.grad).every((v) => v === 0)).toBe(true));
        }
      });
    });

    it(`${op}: finite differences agree with the zero gradient for cls_prob (the rois depend on the score order only)`, () => {
      // float64, distinct scores far apart relative to eps: the order (and so the output) is locally constant.
      const [cls, bbox, info] = rpnInputs(1, 2, 3, 3, [[48, 48, 1]], 81, 'float64');
      checkGrad(`_contrib_${op}`, [cls, bbox, info], { scales: '(2,)', ratios: '(1, 2)', rpn_post_nms_top_n: '6' }, { wrt: [0] });
    });
  }

  it('counts as checked: bbox_pred and im_info get zeros too, as MXNet (their true slope is not zero)', () => {
    recordGradCheck('_contrib_Proposal');
    recordGradCheck('_contrib_MultiProposal');
  });
});

describe('Symbol: MXNet JSON round trip', () => {
  const json = (op: string, attrs: Record<string, string>) => JSON.stringify({
    nodes: [
      { op: 'null', name: 'rpn_cls_prob', inputs: [] },
      { op: 'null', name: 'rpn_bbox_pred', inputs: [] },
      { op: 'null', name: 'im_info', inputs: [] },
      { op, name: 'rois', attrs, inputs: [[0, 0, 0], [1, 0, 0], [2, 0, 0]] },
    ],
    arg_nodes: [0, 1, 2],
    node_row_ptr: [0, 1, 2, 3, 5],
    heads: [[3, 0, 0]],
    attrs: { mxnet_version: ['int', 10901] },
  });

  for (const [op, n] of [['_contrib_Proposal', 1], ['_contrib_MultiProposal', 2]] as const) {
    it(`${op}: loads, infers shapes, round-trips, binds and runs forward like the NDArray call`, () => {
      mx.scope(() => {
        const attrs = { feature_stride: '16', scales: '(2, 4)', ratios: '(0.5, 1, 2)', rpn_pre_nms_top_n: '50',
          rpn_post_nms_top_n: '10', threshold: '0.7', rpn_min_size: '16' };
        const s = sym.loadJSON(json(op, attrs));
        expect(s.listArguments()).toEqual(['rpn_cls_prob', 'rpn_bbox_pred', 'im_info']);
        expect(s.inferShape({ rpn_cls_prob: [n, 12, 4, 5] }).argShapes).toEqual([[n, 12, 4, 5], [n, 24, 4, 5], [n, 3]]);
        expect(s.inferShape({ rpn_cls_prob: [n, 12, 4, 5] }).outShapes).toEqual([[n * 10, 5]]);
        const again = sym.loadJSON(s.toJSON());
        expect(again.toJSON()).toBe(s.toJSON());
        const [cls, bbox, info] = rpnInputs(n, 6, 4, 5, n === 1 ? [[64, 80, 1]] : [[64, 80, 1], [48, 64, 1]], 91);
        const ex = again.bind(here(), { rpn_cls_prob: cls, rpn_bbox_pred: bbox, im_info: info });
        const got = values(ex.forward()[0]);
        const want = values(callOp(op, [cls, bbox, info], attrs));
        expect(got).toEqual(want);
        ex.dispose();
      });
    });
  }

  it('sym.contrib.Proposal with output_score has two outputs', () => {
    const p = (sym as any).contrib.Proposal({ cls_prob: sym.Variable('c'), bbox_pred: sym.Variable('b'), im_info: sym.Variable('i'),
      scales: [8], ratios: [1], output_score: true, rpn_post_nms_top_n: 7, name: 'prop' });
    expect(p.listOutputs()).toEqual(['prop_output', 'prop_score']);
    expect(p.inferShape({ c: [1, 2, 3, 3] }).outShapes).toEqual([[7, 5], [7, 1]]);
    const back = sym.loadJSON(p.toJSON());
    const node = JSON.parse(back.toJSON()).nodes.find((x: any) => x.op === '_contrib_Proposal');
    expect(node.attrs.scales).toBe('(8,)');
    expect(node.attrs.output_score).toMatch(/^(True|true|1)$/);
  });
});
