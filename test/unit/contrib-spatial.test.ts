// MXNet 1.9's contrib spatial ops: _contrib_AdaptiveAvgPooling2D, _contrib_BilinearResize2D (every
// mode, both align_corners mappings, the `like` input) and _contrib_ROIAlign (adaptive and fixed
// sampling, aligned, position-sensitive, invalid batch indices).
//
// Forward expectations come from test/fixtures/contrib_spatial.json, written by
// test/fixtures/gen_contrib_spatial.py with NumPy following MXNet's kernels (cross-checked against
// PyTorch's adaptive_avg_pool2d and interpolate). The rest checks the API forms (nd.contrib.X,
// nd._contrib_X, camelCase options), empty arrays, errors naming op and argument, Symbol JSON round
// trips (including mode='like' with its second input), and the gradients by finite differences.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { checkBackwardOpGrad, checkGrad, pseudoRandom, randomArray } from '../helpers/gradcheck';
import {
  camelKeys,
  errorOf,
  expectClose,
  fromFixture,
  loadFixtures,
  singleOpJSON,
  values,
  type FixtureCase,
} from '../helpers/op-fixtures';

const { nd } = mx;
type Arr = any;
const contrib = (nd as any).contrib as Record<string, (...args: unknown[]) => Arr>;
const sym: any = mx.sym;

const fixtures = loadFixtures<{ cases: FixtureCase[] }>('contrib_spatial.json');

beforeAll(async () => {
  await mx.ready();
  announceBackend('contrib-spatial');
});


describe('contrib spatial ops against NumPy (test/fixtures/contrib_spatial.json)', () => {
  for (const c of fixtures.cases) {
    it(c.name, () => {
      mx.scope(() => {
        const y = contrib[c.op]!(...c.inputs.map(fromFixture), camelKeys(c.params));
        const e = c.expected[0]!;
        expectClose(y, e.shape, e.dtype, e.data, c.name);
      });
    });
  }
});

describe('API forms and edge cases', () => {
  it('is reachable as nd.contrib.X, nd._contrib_X, with snake_case or camelCase options', () => {
    mx.scope(() => {
      const x = randomArray([1, 2, 4, 5], 3, 1, 0, 'float32');
      const a = contrib.BilinearResize2D!(x, { height: 3, width: 7, alignCorners: false });
      const b = (nd as any)._contrib_BilinearResize2D(x, { height: 3, width: 7, align_corners: false });
      expect(values(a)).toEqual(values(b));
      const p = contrib.AdaptiveAvgPooling2D!(x, { outputSize: 2 });
      expect(p.shape).toEqual([1, 2, 2, 2]);
      expect(values((nd as any)._contrib_AdaptiveAvgPooling2D(x, { output_size: [2, 2] }))).toEqual(values(p));
      const rois = nd.array([0, 0, 0, 3, 2], { shape: [1, 5] });
      const r = contrib.ROIAlign!(x, rois, { pooledSize: [2, 2], spatialScale: 1 });
      expect(values((nd as any)._contrib_ROIAlign(x, rois, { pooled_size: [2, 2], spatial_scale: 1 }))).toEqual(values(r));
    });
  });

  it('AdaptiveAvgPooling2D: default output_size is 1x1 (the global mean); identity at the input size', () => {
    mx.scope(() => {
      const x = randomArray([2, 3, 4, 5], 5);
      const g = contrib.AdaptiveAvgPooling2D!(x);
      expect(g.shape).toEqual([2, 3, 1, 1]);
      expectClose(g, [2, 3, 1, 1], 'float64', values(nd.mean(x, { axis: [2, 3], keepdims: true })));
      expectClose(contrib.AdaptiveAvgPooling2D!(x, { outputSize: [4, 5] }), [2, 3, 4, 5], 'float64', values(x));
    });
  });

  it('BilinearResize2D: same size is the identity (both mappings); a 1x1 output takes pixel (0, 0)', () => {
    mx.scope(() => {
      const x = randomArray([2, 2, 3, 4], 6);
      for (const alignCorners of [true, false]) {
        expectClose(contrib.BilinearResize2D!(x, { height: 3, width: 4, alignCorners }), [2, 2, 3, 4], 'float64', values(x));
        const one = contrib.BilinearResize2D!(x, { alignCorners });  // height = width = 1 by default
        const v = values(x);
        expectClose(one, [2, 2, 1, 1], 'float64', [v[0]!, v[12]!, v[24]!, v[36]!]);
      }
    });
  });

  it("BilinearResize2D matches MXNet's own align_corners example (test_operator.py)", () => {
    mx.scope(() => {
      const x = nd.array([64, 32, 32, 64, 50, 100], { shape: [1, 1, 3, 2] });
      const want: Record<string, number[]> = {
        false: [64, 56, 40, 32, 56, 52, 44, 40, 40, 44, 52, 56, 36.5, 45.625, 63.875, 73, 45.5, 56.875, 79.625, 91, 50,
                62.5, 87.5, 100],
        true: [64, 53.333, 42.667, 32, 51.2, 49.067, 46.933, 44.8, 38.4, 44.8, 51.2, 57.6, 35.6, 47.467, 59.333, 71.2,
               42.8, 57.067, 71.333, 85.6, 50, 66.667, 83.333, 100],
      };
      for (const alignCorners of [false, true]) {
        const y = contrib.BilinearResize2D!(x, { height: 6, width: 4, mode: 'size', alignCorners });
        expect(y.shape).toEqual([1, 1, 6, 4]);
        values(y).forEach((v, i) => expect(Math.abs(v - want[String(alignCorners)]![i]!)).toBeLessThan(1e-3));
      }
      // align_corners defaults to true.
      expect(values(contrib.BilinearResize2D!(x, { height: 6, width: 4 }))).toEqual(
        values(contrib.BilinearResize2D!(x, { height: 6, width: 4, alignCorners: true })));
    });
  });

  it('BilinearResize2D modes give MXNet sizes', () => {
    mx.scope(() => {
      const x = nd.zeros([1, 1, 5, 4]);
      const size = (p: Record<string, unknown>, ...more: Arr[]) => contrib.BilinearResize2D!(x, ...more, p).shape;
      expect(size({ height: 2, width: 9 })).toEqual([1, 1, 2, 9]);
      expect(size({ scaleHeight: 1.5, scaleWidth: 0.6 })).toEqual([1, 1, 7, 2]);
      expect(size({ scaleWidth: 3, height: 2, width: 2 })).toEqual([1, 1, 2, 2]);  // scale_width alone is ignored
      expect(size({ mode: 'odd_scale', scaleHeight: 2, scaleWidth: 2 })).toEqual([1, 1, 9, 8]);
      expect(size({ mode: 'odd_scale', scaleHeight: 0.5, scaleWidth: 0.5 })).toEqual([1, 1, 3, 2]);
      expect(size({ mode: 'to_even_down' })).toEqual([1, 1, 4, 4]);
      expect(size({ mode: 'to_even_up' })).toEqual([1, 1, 6, 4]);
      expect(size({ mode: 'to_odd_down' })).toEqual([1, 1, 5, 3]);
      expect(size({ mode: 'to_odd_up' })).toEqual([1, 1, 5, 5]);
      expect(size({ mode: 'like' }, nd.zeros([3, 7, 2, 8]))).toEqual([1, 1, 2, 8]);
      // to_odd_down of a side of 1 gives an empty side.
      expect(contrib.BilinearResize2D!(nd.zeros([1, 1, 2, 2]), { mode: 'to_odd_down' }).shape).toEqual([1, 1, 1, 1]);
      expect(contrib.BilinearResize2D!(nd.zeros([1, 1, 1, 2]), { mode: 'to_even_down' }).shape).toEqual([1, 1, 0, 2]);
    });
  });

  it('handles empty arrays', () => {
    mx.scope(() => {
      for (const dtype of ['float32', 'float64']) {
        expect(contrib.AdaptiveAvgPooling2D!(nd.zeros([0, 3, 4, 4], { dtype }), { outputSize: 2 }).shape).toEqual([0, 3, 2, 2]);
        expect(contrib.AdaptiveAvgPooling2D!(nd.zeros([2, 0, 4, 4], { dtype }), { outputSize: 2 }).shape).toEqual([2, 0, 2, 2]);
        expect(contrib.BilinearResize2D!(nd.zeros([0, 2, 3, 3], { dtype }), { height: 5, width: 2 }).shape).toEqual([0, 2, 5, 2]);
        const e = contrib.BilinearResize2D!(nd.zeros([1, 1, 1, 3], { dtype }), { mode: 'to_even_down' });
        expect(e.shape).toEqual([1, 1, 0, 2]);
        expect(values(e)).toEqual([]);
        const r = contrib.ROIAlign!(nd.ones([1, 2, 3, 3], { dtype }), nd.zeros([0, 5], { dtype }), { pooledSize: [2, 2], spatialScale: 1 });
        expect(r.shape).toEqual([0, 2, 2, 2]);
      }
      // Gradients of empty outputs are zero.
      const x = nd.ones([1, 2, 3, 3], { dtype: 'float64' });
      x.attachGrad();
      mx.autograd.record(() => {
        const y = contrib.ROIAlign!(x, nd.zeros([0, 5], { dtype: 'float64' }), { pooledSize: [2, 2], spatialScale: 1 });
        y.backward();
      });
      expect(values(x.grad)).toEqual(new Array(18).fill(0));
    });
  });

  it('ROIAlign: ROIs with a negative or too large batch index give zeros and no gradient', () => {
    mx.scope(() => {
      const x = randomArray([2, 2, 4, 4], 8);
      const rois = nd.array([-1, 0, 0, 2, 2, 2, 0, 0, 2, 2, 1, 0, 0, 2, 2], { shape: [3, 5], dtype: 'float64' });
      x.attachGrad();
      let y: Arr;
      mx.autograd.record(() => {
        y = contrib.ROIAlign!(x, rois, { pooledSize: [2, 2], spatialScale: 1 });
        y.backward();
      });
      expect(values(y!).slice(0, 16)).toEqual(new Array(16).fill(0));
      expect(values(y!).slice(16).some((v) => v !== 0)).toBe(true);
      // Only image 1 (the third ROI) receives gradient.
      expect(values(x.grad).slice(0, 32)).toEqual(new Array(32).fill(0));
    });
  });

  it('ROIAlign with float16 data accumulates in float32', () => {
    mx.scope(() => {
      const x64 = randomArray([1, 2, 6, 6], 9);
      const rois = nd.array([0, 0.5, 0.5, 5, 4.5, 0, 1, 2, 3, 3], { shape: [2, 5], dtype: 'float64' });
      const want = values(contrib.ROIAlign!(x64, rois, { pooledSize: [3, 3], spatialScale: 1 }));
      const got = contrib.ROIAlign!(x64.astype('float16'), rois.astype('float16'), { pooledSize: [3, 3], spatialScale: 1 });
      expect(got.dtype).toBe('float16');
      values(got).forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(3e-3));
    });
  });
});

describe('errors name the op and the argument', () => {
  it('AdaptiveAvgPooling2D', () => {
    mx.scope(() => {
      const op = '_contrib_AdaptiveAvgPooling2D';
      let m = errorOf(() => contrib.AdaptiveAvgPooling2D!(nd.zeros([2, 3, 4])));
      expect(m).toContain(op); expect(m).toContain("'data'"); expect(m).toContain('(2,3,4)');
      m = errorOf(() => contrib.AdaptiveAvgPooling2D!(nd.zeros([1, 1, 4, 4]), { outputSize: [1, 2, 3] }));
      expect(m).toContain(op); expect(m).toContain("'output_size'");
      m = errorOf(() => contrib.AdaptiveAvgPooling2D!(nd.zeros([1, 1, 4, 4]), { outputSize: 0 }));
      expect(m).toContain("'output_size'");
      m = errorOf(() => contrib.AdaptiveAvgPooling2D!(nd.zeros([1, 1, 0, 4]), { outputSize: 2 }));
      expect(m).toContain(op); expect(m).toContain("'data'");
      m = errorOf(() => contrib.AdaptiveAvgPooling2D!(nd.zeros([1, 1, 4, 4], { dtype: 'int32' })));
      expect(m).toContain(op); expect(m).toContain("'data'");
    });
  });

  it('BilinearResize2D', () => {
    mx.scope(() => {
      const op = '_contrib_BilinearResize2D';
      const x = nd.zeros([1, 1, 4, 4]);
      let m = errorOf(() => contrib.BilinearResize2D!(nd.zeros([4, 4]), { height: 2, width: 2 }));
      expect(m).toContain(op); expect(m).toContain("'data'"); expect(m).toContain('(4,4)');
      m = errorOf(() => contrib.BilinearResize2D!(x, { mode: 'like' }));
      expect(m).toContain(op); expect(m).toContain("'like'");
      m = errorOf(() => contrib.BilinearResize2D!(x, nd.zeros([1, 1, 2, 2]), { height: 2, width: 2 }));
      expect(m).toContain(op); expect(m).toContain("'like'");
      m = errorOf(() => contrib.BilinearResize2D!(x, nd.zeros([2, 2]), { mode: 'like' }));
      expect(m).toContain("'like'"); expect(m).toContain('(2,2)');
      m = errorOf(() => contrib.BilinearResize2D!(x, { mode: 'odd_scale', scaleHeight: 2 }));
      expect(m).toContain(op); expect(m).toContain("'scale_width'");
      m = errorOf(() => contrib.BilinearResize2D!(x, { scaleHeight: 2 }));
      expect(m).toContain("'scale_width'");
      m = errorOf(() => contrib.BilinearResize2D!(x, { scaleHeight: -1, scaleWidth: 1 }));
      expect(m).toContain("'scale_height'");
      m = errorOf(() => contrib.BilinearResize2D!(x, { mode: 'nearest' }));
      expect(m).toContain(op); expect(m).toContain("'mode'");
      m = errorOf(() => contrib.BilinearResize2D!(x, { height: 0 }));
      expect(m).toContain("'height'");
      m = errorOf(() => contrib.BilinearResize2D!(nd.zeros([1, 1, 0, 3]), { height: 2, width: 2 }));
      expect(m).toContain(op); expect(m).toContain("'data'");
    });
  });

  it('ROIAlign', () => {
    mx.scope(() => {
      const op = '_contrib_ROIAlign';
      const x = nd.zeros([1, 4, 5, 5]);
      const rois = nd.array([0, 0, 0, 2, 2], { shape: [1, 5] });
      let m = errorOf(() => contrib.ROIAlign!(x, nd.zeros([2, 4]), { pooledSize: [2, 2], spatialScale: 1 }));
      expect(m).toContain(op); expect(m).toContain("'rois'"); expect(m).toContain('(2,4)');
      m = errorOf(() => contrib.ROIAlign!(nd.zeros([4, 5, 5]), rois, { pooledSize: [2, 2], spatialScale: 1 }));
      expect(m).toContain(op); expect(m).toContain("'data'");
      m = errorOf(() => contrib.ROIAlign!(x, rois, { pooledSize: [2], spatialScale: 1 }));
      expect(m).toContain(op); expect(m).toContain("'pooled_size'");
      m = errorOf(() => contrib.ROIAlign!(x, rois, { pooledSize: [0, 2], spatialScale: 1 }));
      expect(m).toContain("'pooled_size'");
      m = errorOf(() => contrib.ROIAlign!(x, rois, { pooledSize: [2, 2] }));
      expect(m).toContain(op); expect(m).toContain("'spatial_scale'");
      m = errorOf(() => contrib.ROIAlign!(x, rois, { pooledSize: [2, 2], spatialScale: 2 }));
      expect(m).toContain("'spatial_scale'");
      m = errorOf(() => contrib.ROIAlign!(nd.zeros([1, 6, 5, 5]), rois, { pooledSize: [2, 2], spatialScale: 1, positionSensitive: true }));
      expect(m).toContain(op); expect(m).toContain("'data'"); expect(m).toContain('divisible');
      m = errorOf(() => contrib.ROIAlign!(x, rois.astype('float64'), { pooledSize: [2, 2], spatialScale: 1 }));
      expect(m).toContain(op); expect(m).toContain("'rois'");
      m = errorOf(() => contrib.ROIAlign!(nd.zeros([1, 4, 0, 5]), rois, { pooledSize: [2, 2], spatialScale: 1 }));
      expect(m).toContain("'data'");
    });
  });
});

describe('gradients (finite differences, float64)', () => {
  it('AdaptiveAvgPooling2D', () => {
    checkGrad('_contrib_AdaptiveAvgPooling2D', [randomArray([2, 2, 5, 7], 11)], { outputSize: [3, 4] });
    checkGrad('_contrib_AdaptiveAvgPooling2D', [randomArray([1, 2, 3, 2], 12)], { outputSize: [5, 7] });
    checkGrad('_contrib_AdaptiveAvgPooling2D', [randomArray([1, 3, 4, 4], 13)]);
  });

  it('BilinearResize2D (every mode, both mappings)', () => {
    const x = () => randomArray([2, 2, 5, 4], 21);
    for (const alignCorners of [true, false]) {
      checkGrad('_contrib_BilinearResize2D', [x()], { height: 9, width: 7, alignCorners });
      checkGrad('_contrib_BilinearResize2D', [x()], { height: 3, width: 2, alignCorners });
      checkGrad('_contrib_BilinearResize2D', [x()], { height: 1, width: 6, alignCorners });
      checkGrad('_contrib_BilinearResize2D', [x()], { scaleHeight: 2.5, scaleWidth: 0.5, alignCorners });
      checkGrad('_contrib_BilinearResize2D', [x()], { mode: 'odd_scale', scaleHeight: 2, scaleWidth: 3, alignCorners });
      for (const mode of ['to_even_down', 'to_even_up', 'to_odd_down', 'to_odd_up'])
        checkGrad('_contrib_BilinearResize2D', [x()], { mode, alignCorners });
      checkGrad('_contrib_BilinearResize2D', [x(), randomArray([1, 1, 8, 3], 22)], { mode: 'like', alignCorners }, { wrt: [0] });
    }
    // Large upsampling: many outputs per input pixel in the gather.
    checkGrad('_contrib_BilinearResize2D', [randomArray([1, 1, 3, 2], 23)], { height: 31, width: 17, alignCorners: false });
  });

  it('BilinearResize2D gives `like` a zero gradient', () => {
    mx.scope(() => {
      const x = randomArray([1, 1, 3, 3], 24), like = randomArray([1, 2, 5, 4], 25);
      x.attachGrad();
      like.attachGrad();
      mx.autograd.record(() => {
        contrib.BilinearResize2D!(x, like, { mode: 'like' }).backward();
      });
      expect(values(like.grad)).toEqual(new Array(40).fill(0));
      expect(values(x.grad).reduce((a, b) => a + b, 0)).toBeCloseTo(20, 10);  // weights sum to 1 per output
    });
  });

  it('ROIAlign (gradient to data; rois get zeros)', () => {
    const rois = nd.array([0, 0.3, 0.7, 4.1, 3.3, 1, 1.55, 2.05, 6.2, 5.45, 0, 2.1, 1.2, 2.6, 1.45, 1, -1.7, -0.8, 3.3, 7.9,
                           0, 5.6, 4.1, 8.9, 6.9], { shape: [5, 5], dtype: 'float64' });
    const data = () => randomArray([2, 3, 6, 7], 31);
    checkGrad('_contrib_ROIAlign', [data(), rois], { pooledSize: [2, 2], spatialScale: 1 }, { wrt: [0] });
    checkGrad('_contrib_ROIAlign', [data(), rois], { pooledSize: [3, 2], spatialScale: 1, sampleRatio: 2 }, { wrt: [0] });
    checkGrad('_contrib_ROIAlign', [data(), rois], { pooledSize: [2, 3], spatialScale: 0.5, aligned: true }, { wrt: [0] });
    const ps = nd.array([0, 0.2, 0.3, 4.1, 3.9, 0, 1.1, 0.6, 3.2, 4.4], { shape: [2, 5], dtype: 'float64' });
    checkGrad('_contrib_ROIAlign', [randomArray([1, 8, 5, 5], 32), ps],
              { pooledSize: [2, 2], spatialScale: 1, positionSensitive: true, sampleRatio: 2 }, { wrt: [0] });
    mx.scope(() => {
      const x = data(), r = rois.copy();
      x.attachGrad();
      r.attachGrad();
      mx.autograd.record(() => {
        contrib.ROIAlign!(x, r, { pooledSize: [2, 2], spatialScale: 1 }).backward();
      });
      expect(values(r.grad)).toEqual(new Array(25).fill(0));
    });
  });

  it('second order: the backward ops are differentiable (linear in the output gradient)', () => {
    mx.scope(() => {
      for (const [op, inputs, params] of [
        ['AdaptiveAvgPooling2D', [randomArray([1, 2, 5, 4], 41)], { outputSize: [2, 3] }],
        ['BilinearResize2D', [randomArray([1, 2, 3, 4], 42)], { height: 5, width: 6, alignCorners: false }],
        ['ROIAlign', [randomArray([1, 2, 5, 5], 43), nd.array([0, 0.5, 0.2, 3.5, 4.1], { shape: [1, 5], dtype: 'float64' })],
         { pooledSize: [2, 2], spatialScale: 1 }],
      ] as Array<[string, Arr[], Record<string, unknown>]>) {
        // <grad_x(<w, f(x)>), v> is linear in w; its gradient wrt w is f(v) for a linear f.
        const x = inputs[0]!;
        const w0 = contrib[op]!(...inputs, params);
        const w = nd.array(pseudoRandom(w0.size, 44), { shape: w0.shape, dtype: 'float64' });
        const v = nd.array(pseudoRandom(x.size, 45), { shape: x.shape, dtype: 'float64' });
        x.attachGrad();
        w.attachGrad();
        mx.autograd.record(() => {
          const y = contrib[op]!(...inputs, params);
          const [gx] = mx.autograd.grad([nd.sum(nd.elemwise_mul(y, w))], [x], { createGraph: true }) as Arr[];
          nd.sum(nd.elemwise_mul(gx, v)).backward();
        });
        const want = values(contrib[op]!(v, ...inputs.slice(1), params));
        values(w.grad).forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 10));
      }
    });
  });
});

// The hidden gradient ops are linear in ograd (data and rois only lend shapes and boxes): their
// own gradient, checked here by central differences through mx.operator.invoke.
describe('gradients of the gradient ops (finite differences, float64)', () => {
  const cases: Array<[string, () => Arr[], Record<string, unknown>]> = [
    ['_backward_contrib_AdaptiveAvgPooling2D', () => [randomArray([1, 2, 2, 3], 61), randomArray([1, 2, 5, 4], 62)],
     { output_size: '(2, 3)' }],
    ['_backward_contrib_BilinearResize2D', () => [randomArray([1, 2, 5, 2], 63), randomArray([1, 2, 3, 4], 64)],
     { align_corners: 'False' }],
    ['_backward_contrib_BilinearResize2D', () => [randomArray([1, 1, 2, 7], 65), randomArray([1, 1, 4, 3], 66)], {}],
    ['_backward_ROIAlign', () => [randomArray([2, 2, 2, 2], 67), randomArray([1, 2, 5, 5], 68),
                                   nd.array([0, 0.5, 0.2, 3.5, 4.1, 0, 1.2, 1.1, 4.6, 2.9], { shape: [2, 5], dtype: 'float64' })],
     { pooled_size: '(2, 2)', spatial_scale: '1', sample_ratio: '2' }],
  ];
  for (const [op, make, params] of cases) {
    it(`${op} ${JSON.stringify(params)}`, () => {
      checkBackwardOpGrad(op, make(), params);
    });
  }
});

describe('Symbol', () => {
  const json = singleOpJSON;

  it('MXNet JSON loads, round-trips, binds, and runs forward and backward like nd', () => {
    mx.scope(() => {
      const x = randomArray([1, 2, 4, 5], 51);
      const cases: Array<[string, Record<string, string>, Record<string, Arr>, () => Arr]> = [
        ['_contrib_AdaptiveAvgPooling2D', { output_size: '(2, 3)' }, { data: x },
         () => contrib.AdaptiveAvgPooling2D!(x, { outputSize: [2, 3] })],
        ['_contrib_BilinearResize2D', { height: '7', width: '3', align_corners: 'False' }, { data: x },
         () => contrib.BilinearResize2D!(x, { height: 7, width: 3, alignCorners: false })],
        // MXNet lists `like` only for mode 'like' (the registry's optionalInputs rule).
        ['_contrib_BilinearResize2D', { mode: 'like' }, { data: x, like: randomArray([1, 1, 6, 2], 52) },
         () => contrib.BilinearResize2D!(x, nd.zeros([1, 1, 6, 2]), { mode: 'like' })],
        ['_contrib_ROIAlign', { pooled_size: '(2, 2)', spatial_scale: '0.5', sample_ratio: '2' },
         { data: x, rois: nd.array([0, 1, 1, 6, 7], { shape: [1, 5], dtype: 'float64' }) },
         () => contrib.ROIAlign!(x, nd.array([0, 1, 1, 6, 7], { shape: [1, 5], dtype: 'float64' }),
                                 { pooledSize: [2, 2], spatialScale: 0.5, sampleRatio: 2 })],
      ];
      for (const [op, attrs, args, ref] of cases) {
        const s = sym.loadJSON(json(op, attrs, Object.keys(args)));
        expect(s.listArguments()).toEqual(Object.keys(args));
        const again = sym.loadJSON(s.toJSON());
        expect(again.toJSON()).toBe(s.toJSON());
        const grads = { data: nd.zeros(x.shape, { dtype: 'float64' }) };
        const gradReq = Object.fromEntries(Object.keys(args).map((k) => [k, k === 'data' ? 'write' : 'null']));
        const ex = again.bind(here(), args, { argsGrad: grads, gradReq } as any);
        const out = ex.forward({ isTrain: true })[0];
        const want = ref();
        expectClose(out, want.shape, 'float64', values(want), op);
        const head = nd.array(pseudoRandom(out.size, 53), { shape: out.shape, dtype: 'float64' });
        ex.backward(head);
        x.attachGrad();
        mx.autograd.record(() => {
          const y = ref();
          y.backward(head);
        });
        expectClose(ex.gradDict.data, x.shape, 'float64', values(x.grad), `${op} grad`);
        ex.dispose();
      }
    });
  });

  it('sym.contrib builds the ops and infers shapes', () => {
    const d = sym.Variable('data');
    const a = sym.contrib.AdaptiveAvgPooling2D({ data: d, outputSize: 3 });
    expect(a.inferShape({ data: [2, 4, 9, 9] }).outShapes).toEqual([[2, 4, 3, 3]]);
    const b = sym.contrib.BilinearResize2D({ data: d, mode: 'odd_scale', scaleHeight: 2, scaleWidth: 2 });
    expect(b.inferShape({ data: [2, 4, 5, 6] }).outShapes).toEqual([[2, 4, 9, 12]]);
    const r = sym.contrib.ROIAlign({ data: d, rois: sym.Variable('rois'), pooledSize: [7, 7], spatialScale: 0.0625 });
    expect(r.inferShape({ data: [1, 256, 38, 50], rois: [300, 5] }).outShapes).toEqual([[300, 256, 7, 7]]);
    expect(r.toJSON()).toContain('_contrib_ROIAlign');
    // The optional input gets MXNet's name, and only in mode 'like'.
    const l = sym.contrib.BilinearResize2D({ data: d, like: sym.Variable('ref'), mode: 'like', name: 'up' });
    expect(l.listArguments()).toEqual(['data', 'ref']);
    expect(l.inferShape({ data: [1, 2, 4, 5], ref: [1, 1, 8, 3] }).outShapes).toEqual([[1, 2, 8, 3]]);
    const auto = sym.contrib.BilinearResize2D({ data: d, mode: 'like', name: 'up' });
    expect(auto.listArguments()).toEqual(['data', 'up_like']);
  });
});
