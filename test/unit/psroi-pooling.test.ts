// R-FCN's position-sensitive ROI pooling ops of MXNet 1.9: _contrib_PSROIPooling (average pooling of
// integer pixel windows) and _contrib_DeformablePSROIPooling (bilinear samples per bin, bins shifted
// by the optional trans input), their gradients (_backward__contrib_PSROIPooling to data,
// _backward__contrib_DeformablePSROIPooling to data and trans; rois get zeros).
//
// Forward expectations come from test/fixtures/psroi_pooling.json, written by
// test/fixtures/gen_psroi_pooling.py with NumPy following MXNet's kernels (run it to regenerate). The
// rest checks the API forms, empty inputs, errors naming op and argument, Symbol JSON round trips
// (trans listed only without no_trans), the gradients by finite differences and by value, and, with
// ISOTENSOR_GPU_KERNELS_ON_CPU=1, the GPU kernels' logic through their CPU twins.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { checkBackwardOpGrad, checkGrad, pseudoRandom, randomArray } from '../helpers/gradcheck';
import {
  callOp,
  camelKeys,
  errorOf,
  expectClose,
  fromFixture,
  itRaisesFixtureErrors,
  loadFixtures,
  singleOpJSON,
  values,
  type FixtureCase,
  type FixtureErrorCase,
} from '../helpers/op-fixtures';

const { nd, autograd } = mx;
type Arr = any;
const contrib = (nd as any).contrib as Record<string, (...args: unknown[]) => Arr>;
const sym: any = mx.sym;
const PS = '_contrib_PSROIPooling';
const DP = '_contrib_DeformablePSROIPooling';

const fixtures = loadFixtures<{ cases: FixtureCase[]; errors: FixtureErrorCase[] }>('psroi_pooling.json');

beforeAll(async () => {
  await mx.ready();
  announceBackend('psroi-pooling');
});

const f64 = (data: number[], shape: number[]): Arr => nd.array(data, { shape, dtype: 'float64' });

describe('PSROIPooling and DeformablePSROIPooling against NumPy (test/fixtures/psroi_pooling.json)', () => {
  for (const c of fixtures.cases) {
    it(c.name, () => {
      mx.scope(() => {
        const y = callOp(c.op, c.inputs.map(fromFixture), c.params);
        expect(Array.isArray(y)).toBe(false);
        const e = c.expected[0]!;
        expectClose(y, e.shape, e.dtype, e.data, c.name);
      });
    });
  }
});

describe('errors name the op, the argument and the shapes', () => {
  itRaisesFixtureErrors(fixtures.errors);

  it('rejects mismatched dtypes and parameters the op does not have', () => {
    mx.scope(() => {
      const x = nd.zeros([1, 8, 4, 4]);
      const rois = nd.array([0, 0, 0, 2, 2], { shape: [1, 5] });
      let m = errorOf(() => contrib.PSROIPooling!(x, rois.astype('float64'), { spatialScale: 1, outputDim: 2, pooledSize: 2 }));
      expect(m).toContain(PS); expect(m).toContain("'rois'");
      m = errorOf(() => contrib.PSROIPooling!(x.astype('int32'), rois.astype('int32'), { spatialScale: 1, outputDim: 2, pooledSize: 2 }));
      expect(m).toContain(PS); expect(m).toContain("'data'");
      m = errorOf(() => contrib.DeformablePSROIPooling!(x, rois, nd.zeros([1, 2, 2, 2], { dtype: 'float64' }),
                                                         { spatialScale: 1, outputDim: 2, groupSize: 2, pooledSize: 2 }));
      expect(m).toContain(DP); expect(m).toContain("'trans'");
      m = errorOf(() => contrib.PSROIPooling!(x, rois, { spatialScale: 1, outputDim: 2, pooledSize: 2, partSize: 2 } as any));
      expect(m).toContain(PS); expect(m).toContain('part_size');
      // The library keeps working.
      expect(contrib.PSROIPooling!(x, rois, { spatialScale: 1, outputDim: 2, pooledSize: 2 }).shape).toEqual([1, 2, 2, 2]);
    });
  });

  it('the backward ops check their inputs too', () => {
    mx.scope(() => {
      const params = { spatial_scale: '1', output_dim: '2', pooled_size: '2' };
      let m = errorOf(() => mx.operator.invoke('_backward__contrib_PSROIPooling',
                                               [nd.ones([1, 2, 3, 3]), nd.ones([1, 8, 4, 4]), nd.ones([1, 5])], params as never)[0]);
      expect(m).toContain('_backward__contrib_PSROIPooling'); expect(m).toContain('ograd');
      m = errorOf(() => mx.operator.invoke('_backward__contrib_DeformablePSROIPooling',
                                           [nd.ones([1, 2, 2, 2]), nd.ones([1, 8, 4, 4]), nd.ones([1, 5]), nd.ones([1, 2, 3, 3])],
                                           { ...params, group_size: '2' } as never)[0]);
      expect(m).toContain('_backward__contrib_DeformablePSROIPooling'); expect(m).toContain("'trans'");
    });
  });
});

describe('API forms and edge cases', () => {
  it('is reachable as nd.contrib.X and nd._contrib_X, with camelCase or snake_case options', () => {
    mx.scope(() => {
      const x = randomArray([1, 8, 5, 6], 3, 1, 0, 'float32');
      const rois = nd.array([0, 0, 0, 4, 3, 0, 1, 1, 5, 4], { shape: [2, 5] });
      const a = contrib.PSROIPooling!(x, rois, { spatialScale: 1, outputDim: 2, pooledSize: 2 });
      const b = (nd as any)._contrib_PSROIPooling(x, rois, { spatial_scale: 1, output_dim: 2, pooled_size: 2, group_size: 2 });
      expect(a.shape).toEqual([2, 2, 2, 2]);
      expect(values(a)).toEqual(values(b));
      const trans = randomArray([2, 2, 2, 2], 4, 0.5, 0, 'float32');
      const d = contrib.DeformablePSROIPooling!(x, rois, trans, { spatialScale: 1, outputDim: 2, groupSize: 2, pooledSize: 2,
                                                                  transStd: 0.1 });
      const e = (nd as any)._contrib_DeformablePSROIPooling(x, rois, trans, camelKeys({ spatial_scale: 1, output_dim: 2,
        group_size: 2, pooled_size: 2, trans_std: 0.1 }));
      expect(Array.isArray(d)).toBe(false);
      expect(d.shape).toEqual([2, 2, 2, 2]);
      expect(values(d)).toEqual(values(e));
    });
  });

  it('DeformablePSROIPooling: zero offsets (or trans_std 0) give the no_trans result', () => {
    mx.scope(() => {
      const x = randomArray([2, 18, 6, 7], 5);
      const rois = f64([1, 0, 0, 9, 7, 0, -2, 3, 5, 11, 1, 3, 3, 3, 3], [3, 5]);
      const p = { spatialScale: 0.7, outputDim: 2, groupSize: 3, pooledSize: 3, samplePerPart: 2 };
      const none = values(contrib.DeformablePSROIPooling!(x, rois, { ...p, noTrans: true }));
      const zero = values(contrib.DeformablePSROIPooling!(x, rois, nd.zeros([3, 4, 3, 3], { dtype: 'float64' }),
                                                           { ...p, transStd: 0.2 }));
      const off = values(contrib.DeformablePSROIPooling!(x, rois, randomArray([3, 4, 3, 3], 6), p));
      expect(zero).toEqual(none);
      expect(off).toEqual(none);
    });
  });

  it('PSROIPooling: an ROI covering exactly pooled_size x pooled_size pixels reads one pixel per bin', () => {
    mx.scope(() => {
      // 1x1 bins: output (c, ph, pw) is data channel (c * 2 + ph) * 2 + pw at pixel (1 + ph, 2 + pw).
      const x = randomArray([1, 8, 4, 5], 7);
      const y = values(contrib.PSROIPooling!(x, f64([0, 2, 1, 3, 2], [1, 5]), { spatialScale: 1, outputDim: 2, pooledSize: 2 }));
      const xs = values(x);
      const want: number[] = [];
      for (let c = 0; c < 2; c++)
        for (let ph = 0; ph < 2; ph++)
          for (let pw = 0; pw < 2; pw++) want.push(xs[(((c * 2 + ph) * 2 + pw) * 4 + 1 + ph) * 5 + 2 + pw]!);
      expect(y).toEqual(want);
    });
  });

  it('empty inputs: no ROIs, an empty batch, an empty feature map (PSROIPooling)', () => {
    mx.scope(() => {
      for (const dtype of ['float32', 'float64'] as const) {
        const x = nd.ones([1, 4, 3, 3], { dtype });
        const noRois = nd.zeros([0, 5], { dtype });
        const y = contrib.PSROIPooling!(x, noRois, { spatialScale: 1, outputDim: 1, pooledSize: 2 });
        expect(y.shape).toEqual([0, 1, 2, 2]);
        const d = contrib.DeformablePSROIPooling!(x, noRois, { spatialScale: 1, outputDim: 1, groupSize: 2, pooledSize: 2, noTrans: true });
        expect(d.shape).toEqual([0, 1, 2, 2]);
        // No image to read: zeros.
        const rois = nd.array([0, 0, 0, 2, 2], { shape: [1, 5], dtype });
        expect(values(contrib.PSROIPooling!(nd.zeros([0, 4, 3, 3], { dtype }), rois, { spatialScale: 1, outputDim: 1, pooledSize: 2 })))
          .toEqual([0, 0, 0, 0]);
        expect(values(contrib.PSROIPooling!(nd.zeros([1, 4, 0, 3], { dtype }), rois, { spatialScale: 1, outputDim: 1, pooledSize: 2 })))
          .toEqual([0, 0, 0, 0]);
        expect(values(contrib.DeformablePSROIPooling!(nd.zeros([0, 4, 3, 3], { dtype }), rois,
          { spatialScale: 1, outputDim: 1, groupSize: 2, pooledSize: 2, noTrans: true }))).toEqual([0, 0, 0, 0]);
      }
      // Gradients of no ROIs are zeros.
      const x = randomArray([1, 8, 3, 3], 8);
      x.attachGrad();
      autograd.record(() => contrib.PSROIPooling!(x, nd.zeros([0, 5], { dtype: 'float64' }),
                                                 { spatialScale: 1, outputDim: 2, pooledSize: 2 }).sum()).backward();
      expect(values(x.grad)).toEqual(new Array(72).fill(0));
    });
  });

  it('ROIs with non-finite corners or a batch index outside the data give zeros', () => {
    mx.scope(() => {
      const x = randomArray([2, 8, 4, 4], 9, 1, 3);
      const rois = f64([NaN, 0, 0, 2, 2, 0, Infinity, 0, 2, 2, -1, 0, 0, 3, 3, 2, 0, 0, 3, 3, 0, 1e300, -1e300, 1e301, 2], [5, 5]);
      expect(values(contrib.PSROIPooling!(x, rois, { spatialScale: 1, outputDim: 2, pooledSize: 2 }))).toEqual(new Array(40).fill(0));
      expect(values(contrib.DeformablePSROIPooling!(x, rois, randomArray([5, 2, 2, 2], 10),
        { spatialScale: 1, outputDim: 2, groupSize: 2, pooledSize: 2, transStd: 0.1 }))).toEqual(new Array(40).fill(0));
      // Non-finite offsets skip their samples.
      const t = f64(new Array(8).fill(NaN), [1, 2, 2, 2]);
      expect(values(contrib.DeformablePSROIPooling!(x, f64([0, 0, 0, 3, 3], [1, 5]), t,
        { spatialScale: 1, outputDim: 2, groupSize: 2, pooledSize: 2, transStd: 0.1 }))).toEqual(new Array(8).fill(0));
    });
  });

  it('float16 data accumulates in float32', () => {
    mx.scope(() => {
      const x64 = randomArray([1, 8, 6, 6], 11);
      const rois = f64([0, 0, 0, 5, 4, 0, 1, 2, 3, 5], [2, 5]);
      const trans = randomArray([2, 2, 2, 2], 12, 0.5);
      const ps = { spatialScale: 1, outputDim: 2, pooledSize: 2, groupSize: 2 };
      const p = { ...ps, samplePerPart: 2, transStd: 0.1 };
      for (const [want, got] of [
        [contrib.PSROIPooling!(x64, rois, ps), contrib.PSROIPooling!(x64.astype('float16'), rois.astype('float16'), ps)],
        [contrib.DeformablePSROIPooling!(x64, rois, trans, p),
         contrib.DeformablePSROIPooling!(x64.astype('float16'), rois.astype('float16'), trans.astype('float16'), p)],
      ] as Array<[Arr, Arr]>) {
        expect(got.dtype).toBe('float16');
        const w = values(want);
        values(got).forEach((v, i) => expect(Math.abs(v - w[i]!)).toBeLessThan(5e-3));
      }
    });
  });
});

describe('gradients', () => {
  const rois = () => f64([0, 0.3, 0.7, 4.1, 3.3, 1, 1.55, 2.05, 6.2, 5.45, 0, 2.1, 1.2, 2.6, 1.45, 1, -1.7, -0.8, 3.3, 7.9,
                          0, 5.6, 4.1, 8.9, 6.9, 5, 0, 0, 3, 3], [6, 5]);

  it('PSROIPooling: finite differences with respect to data', () => {
    checkGrad(PS, [randomArray([2, 8, 6, 7], 21), rois()], { spatialScale: 1, outputDim: 2, pooledSize: 2 }, { wrt: [0] });
    checkGrad(PS, [randomArray([2, 8, 6, 7], 22), rois()], { spatialScale: 0.5, outputDim: 2, pooledSize: 3, groupSize: 2 },
              { wrt: [0] });
    checkGrad(PS, [randomArray([2, 9, 5, 5], 23), rois()], { spatialScale: 1, outputDim: 1, pooledSize: 2, groupSize: 3 },
              { wrt: [0] });
  });

  it('PSROIPooling: each output gradient spreads evenly over its bin; rois get zeros', () => {
    mx.scope(() => {
      // One 4x4 ROI, 2x2 bins of 4 pixels: bin (ph, pw) reads channel ph * 2 + pw.
      const x = randomArray([1, 4, 4, 4], 24);
      const r = f64([0, 0, 0, 3, 3], [1, 5]);
      x.attachGrad();
      r.attachGrad();
      autograd.record(() => contrib.PSROIPooling!(x, r, { spatialScale: 1, outputDim: 1, pooledSize: 2 }))
        .backward(f64([4, 8, 12, 16], [1, 1, 2, 2]));
      const want: number[] = [];
      for (let c = 0; c < 4; c++)
        for (let h = 0; h < 4; h++)
          for (let w = 0; w < 4; w++) {
            const ph = h < 2 ? 0 : 1, pw = w < 2 ? 0 : 1;
            want.push(ph * 2 + pw === c ? (c + 1) : 0);
          }
      expect(values(x.grad)).toEqual(want);
      expect(values(r.grad)).toEqual([0, 0, 0, 0, 0]);
    });
  });

  it('PSROIPooling: gradients accumulate with gradReq add', () => {
    mx.scope(() => {
      const x = randomArray([1, 4, 4, 4], 25);
      x.attachGrad('add');
      const r = f64([0, 0, 0, 3, 3], [1, 5]);
      for (let i = 0; i < 2; i++)
        autograd.record(() => contrib.PSROIPooling!(x, r, { spatialScale: 1, outputDim: 1, pooledSize: 2 }).sum()).backward();
      expect(values(x.grad).reduce((a, b) => a + b, 0)).toBeCloseTo(8, 12);
    });
  });

  it('_backward__contrib_PSROIPooling: finite differences with respect to ograd (second order)', () => {
    checkBackwardOpGrad('_backward__contrib_PSROIPooling', [randomArray([6, 2, 3, 3], 26), randomArray([2, 8, 6, 7], 27), rois()],
                        { spatial_scale: '0.5', output_dim: '2', pooled_size: '3', group_size: '2' });
  });

  // Interior ROIs and small offsets keep every sample inside the image and off integer coordinates
  // (bilinear sampling is smooth there; MXNet's trans gradient ignores the clipping at the border).
  const inner = () => f64([0, 1, 1, 5, 5, 0, 2, 1, 5, 4, 0, 1, 2, 4, 5], [3, 5]);

  it('DeformablePSROIPooling: finite differences with respect to data and trans', () => {
    checkGrad(DP, [randomArray([1, 8, 7, 7], 31), inner(), randomArray([3, 2, 2, 2], 32, 0.3)],
              { spatialScale: 1, outputDim: 2, groupSize: 2, pooledSize: 2, samplePerPart: 2, transStd: 0.1 }, { wrt: [0, 2] });
    // Two classes, part_size 2 != pooled_size 3, group_size 3.
    checkGrad(DP, [randomArray([1, 18, 7, 7], 33), inner(), randomArray([3, 4, 2, 2], 34, 0.3)],
              { spatialScale: 1, outputDim: 2, groupSize: 3, pooledSize: 3, partSize: 2, samplePerPart: 2, transStd: 0.1 },
              { wrt: [0, 2] });
    // group_size 2 != pooled_size 3, one sample per bin, spatial_scale 0.5.
    checkGrad(DP, [randomArray([1, 4, 5, 5], 35), f64([0, 2, 2, 8, 9, 0, 3, 3, 6, 6], [2, 5]), randomArray([2, 2, 3, 3], 36, 0.3)],
              { spatialScale: 0.5, outputDim: 1, groupSize: 2, pooledSize: 3, transStd: 0.05 }, { wrt: [0, 2] });
  });

  it('DeformablePSROIPooling with no_trans: finite differences with respect to data (ROIs partly outside too)', () => {
    checkGrad(DP, [randomArray([2, 8, 6, 7], 37), rois()],
              { spatialScale: 1, outputDim: 2, groupSize: 2, pooledSize: 2, samplePerPart: 3, noTrans: true }, { wrt: [0] });
  });

  it('DeformablePSROIPooling: rois get zeros; the trans gradient follows MXNet\'s formula', () => {
    mx.scope(() => {
      // One ROI [0, 0, 3, 3] -> start -0.5, size 4, one sample per bin at (-0.5 + 2 pw + 4 tx * 0.1, ...).
      // With data = 3 * x + 5 * y in every channel, d/dtx = 3 * 0.1 * 4 per output, d/dty = 5 * 0.1 * 4.
      const plane: number[] = [];
      for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) plane.push(3 * x + 5 * y);
      const data = f64([...plane, ...plane, ...plane, ...plane], [1, 4, 5, 5]);
      const r = f64([0, 0, 0, 3, 3], [1, 5]);
      const t = f64([2.1, 2.2, 2.3, 2.4, 1.6, 1.7, 1.8, 1.9], [1, 2, 2, 2]);
      data.attachGrad();
      r.attachGrad();
      t.attachGrad();
      const y = autograd.record(() => contrib.DeformablePSROIPooling!(data, r, t,
        { spatialScale: 1, outputDim: 1, groupSize: 2, pooledSize: 2, transStd: 0.1 }));
      y.backward();
      const ts = Math.fround(0.1);  // trans_std is a float param
      values(y).forEach((v, i) => {
        const ph = i >> 1, pw = i & 1;
        const sx = -0.5 + 2 * pw + [2.1, 2.2, 2.3, 2.4][i]! * ts * 4, sy = -0.5 + 2 * ph + [1.6, 1.7, 1.8, 1.9][i]! * ts * 4;
        expect(v).toBeCloseTo(3 * sx + 5 * sy, 12);
      });
      values(t.grad).forEach((g, i) => expect(g).toBeCloseTo((i < 4 ? 3 : 5) * ts * 4, 12));
      expect(values(r.grad)).toEqual([0, 0, 0, 0, 0]);
      expect(values(data.grad).reduce((a, b) => a + b, 0)).toBeCloseTo(4, 12);
    });
  });
});

describe('Symbol', () => {
  const json = (op: string, attrs: Record<string, string>, inputs: string[]) =>
    singleOpJSON(op, attrs, inputs, op === PS ? 1 : 2);

  it('MXNet JSON loads, round-trips, binds, and runs forward and backward like nd', () => {
    mx.scope(() => {
      const x = randomArray([1, 8, 7, 7], 51);
      const rois = f64([0, 1, 1, 5, 5, 0, 2, 1, 5, 4], [2, 5]);
      const trans = randomArray([2, 2, 2, 2], 52, 0.3);
      const dp = { spatialScale: 1, outputDim: 2, groupSize: 2, pooledSize: 2, samplePerPart: 2, transStd: 0.1 };
      const cases: Array<[string, Record<string, string>, Record<string, Arr>, (a: Record<string, Arr>) => Arr]> = [
        [PS, { spatial_scale: '0.5', output_dim: '2', pooled_size: '3', group_size: '2' }, { data: x, rois },
         (a) => contrib.PSROIPooling!(a.data, a.rois, { spatialScale: 0.5, outputDim: 2, pooledSize: 3, groupSize: 2 })],
        [DP, { spatial_scale: '1', output_dim: '2', group_size: '2', pooled_size: '2', sample_per_part: '2', trans_std: '0.1' },
         { data: x, rois, trans }, (a) => contrib.DeformablePSROIPooling!(a.data, a.rois, a.trans, dp)],
        // MXNet lists trans only without no_trans (the registry's optionalInputs rule).
        [DP, { spatial_scale: '1', output_dim: '2', group_size: '2', pooled_size: '2', sample_per_part: '2', no_trans: 'True' },
         { data: x, rois },
         (a) => contrib.DeformablePSROIPooling!(a.data, a.rois, { ...dp, noTrans: true })],
      ];
      for (const [op, attrs, args, ref] of cases) {
        const s = sym.loadJSON(json(op, attrs, Object.keys(args)));
        expect(s.listArguments()).toEqual(Object.keys(args));
        expect(s.listOutputs()).toHaveLength(1);
        const again = sym.loadJSON(s.toJSON());
        expect(again.toJSON()).toBe(s.toJSON());
        const grads = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, nd.zeros(v.shape, { dtype: 'float64' })]));
        const gradReq = Object.fromEntries(Object.keys(args).map((k) => [k, k === 'rois' ? 'null' : 'write']));
        const ex = again.bind(here(), args, { argsGrad: grads, gradReq } as any);
        const out = ex.forward({ isTrain: true })[0];
        const want = ref(args);
        expectClose(out, want.shape, 'float64', values(want), op);
        const head = nd.array(pseudoRandom(out.size, 53), { shape: out.shape, dtype: 'float64' });
        ex.backward(head);
        const vars = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, v.copy()]));
        for (const k of Object.keys(vars)) if (k !== 'rois') vars[k].attachGrad();
        autograd.record(() => ref(vars)).backward(head);
        for (const k of Object.keys(vars))
          if (k !== 'rois') expectClose(ex.gradDict[k], args[k].shape, 'float64', values(vars[k].grad), `${op} grad ${k}`);
        ex.dispose();
      }
    });
  });

  it('sym.contrib builds the ops, names trans, and infers shapes', () => {
    const d = sym.Variable('data');
    const r = sym.Variable('rois');
    const p = sym.contrib.PSROIPooling({ data: d, rois: r, spatialScale: 0.0625, outputDim: 21, pooledSize: 7 });
    expect(p.inferShape({ data: [1, 21 * 49, 38, 50], rois: [300, 5] }).outShapes).toEqual([[300, 21, 7, 7]]);
    expect(p.toJSON()).toContain(PS);
    const q = sym.contrib.DeformablePSROIPooling({ data: d, rois: r, spatialScale: 0.0625, outputDim: 8, groupSize: 7,
                                                  pooledSize: 7, partSize: 7, samplePerPart: 4, transStd: 0.1, name: 'dp' });
    expect(q.listArguments()).toEqual(['data', 'rois', 'dp_trans']);
    expect(q.inferShape({ data: [1, 8 * 49, 38, 50], rois: [300, 5], dp_trans: [300, 2, 7, 7] }).outShapes)
      .toEqual([[300, 8, 7, 7]]);
    const n = sym.contrib.DeformablePSROIPooling({ data: d, rois: r, spatialScale: 0.0625, outputDim: 8, groupSize: 7,
                                                  pooledSize: 7, noTrans: true, name: 'dp' });
    expect(n.listArguments()).toEqual(['data', 'rois']);
  });
});
