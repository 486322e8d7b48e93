// MXNet's deprecated layers that old model files name: Convolution_v1, BatchNorm_v1, Pooling_v1 (and
// its hidden _backward_Pooling_v1), and the oneDNN fusion _contrib_BatchNormWithReLU.
//
// Forward (and Pooling_v1 gradient) expectations come from test/fixtures/legacy_layers.json, written by
// test/fixtures/gen_legacy_layers.py with NumPy following MXNet 1.9's v1 kernels (run it to regenerate).
// The rest checks where the v1 ops agree with the modern ones and where they differ (BatchNorm_v1's var
// output, Pooling_v1's zero padding, area divisor and tie gradients), moving statistics, errors naming
// op and argument, float16, empty batches, hand-written MXNet symbol JSON, finite-difference gradients
// and, with ISOTENSOR_GPU_KERNELS_ON_CPU=1, the GPU paths through their CPU twins.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { checkGrad, randomArray } from '../helpers/gradcheck';
import {
  callOp,
  expectClose,
  fromFixture,
  itRaisesFixtureErrors,
  loadFixtures,
  values,
  type FixtureArray,
  type FixtureCase,
  type FixtureErrorCase,
} from '../helpers/op-fixtures';

const { nd, autograd } = mx;
type Arr = any;
const N = nd as any;
const sym: any = mx.sym;

interface LegacyCase extends FixtureCase {
  train: boolean;
  moving?: FixtureArray[];
  ograd?: FixtureArray;
  grad?: FixtureArray;
}
const fixtures = loadFixtures<{ cases: LegacyCase[]; errors: FixtureErrorCase[] }>('legacy_layers.json');

// Batch statistics and convolution sums round differently from NumPy's float64 reference.
const tol = { float16: 1e-2, float32: 3e-5, float64: 1e-10 };

beforeAll(async () => {
  await mx.ready();
  announceBackend('legacy-layers');
});

const mode = (train: boolean) => (train ? autograd.trainMode : autograd.predictMode);
const list = (r: Arr): Arr[] => (Array.isArray(r) ? r : [r]);

describe('against NumPy (test/fixtures/legacy_layers.json)', () => {
  for (const c of fixtures.cases) {
    it(c.name, () => {
      mx.scope(() => {
        const inputs = c.inputs.map(fromFixture);
        const ys = list(mode(c.train)(() => callOp(c.op, inputs, c.params)));
        expect(ys.length).toBe(c.expected.length);
        c.expected.forEach((e, k) => expectClose(ys[k], e.shape, e.dtype, e.data, `${c.name} output ${k}`, tol));
        c.moving?.forEach((m, k) => expectClose(inputs[3 + k], m.shape, m.dtype, m.data, `${c.name} moving ${k}`, tol));
        if (c.grad) {
          const x = inputs[0].copy();
          x.attachGrad();
          const y = autograd.record(() => callOp(c.op, [x, ...inputs.slice(1)], c.params));
          y.backward(fromFixture(c.ograd!));
          expectClose(x.grad, c.grad.shape, c.grad.dtype, c.grad.data, `${c.name} gradient`, tol);
        }
      });
    });
  }
});

describe('errors name the op, the argument and the shapes', () => {
  itRaisesFixtureErrors(fixtures.errors);
});

describe('agreement with the modern ops', () => {
  it('Convolution_v1 is Convolution (2-D and 3-D, groups, no_bias)', () => {
    mx.scope(() => {
      for (const dtype of ['float32', 'float64']) {
        const x = randomArray([2, 4, 7, 6], 1, 1, 0, dtype);
        const w = randomArray([4, 2, 3, 3], 2, 1, 0, dtype);
        const b = randomArray([4], 3, 1, 0, dtype);
        const p = { kernel: [3, 3], numFilter: 4, numGroup: 2, stride: [2, 1], pad: [1, 0], dilate: [1, 2] };
        expect(values(N.Convolution_v1(x, w, b, p))).toEqual(values(N.Convolution(x, w, b, p)));
        const q = { kernel: [3, 3], numFilter: 4, numGroup: 2, noBias: true };
        expect(values(N.Convolution_v1(x, w, q))).toEqual(values(N.Convolution(x, w, q)));
        const x3 = randomArray([1, 2, 3, 4, 5], 4, 1, 0, dtype);
        const w3 = randomArray([3, 2, 2, 2, 2], 5, 1, 0, dtype);
        const r = { kernel: [2, 2, 2], numFilter: 3, noBias: true, pad: [1, 1, 0] };
        expect(values(N.Convolution_v1(x3, w3, r))).toEqual(values(N.Convolution(x3, w3, r)));
      }
    });
  });

  it('BatchNorm_v1 is BatchNorm over axis 1, with the variance where BatchNorm gives the inverse std', () => {
    mx.scope(() => {
      for (const train of [true, false]) {
        const x = randomArray([3, 2, 2, 3], 6, 2, 1);
        const g = randomArray([2], 7, 0.5, 1), b = randomArray([2], 8);
        const p = { fixGamma: false, outputMeanVar: true, eps: 0.01 };
        const v1 = mode(train)(() => N.BatchNorm_v1(x, g, b, nd.zeros([2], { dtype: 'float64' }),
                                                    nd.ones([2], { dtype: 'float64' }), p));
        const m = mode(train)(() => N.BatchNorm(x, g, b, nd.zeros([2], { dtype: 'float64' }),
                                                nd.ones([2], { dtype: 'float64' }), p));
        expect(values(v1[0])).toEqual(values(m[0]));
        expect(values(v1[1])).toEqual(values(m[1]));
        const varFromInv = values(m[2]).map((s) => 1 / (s * s) - 0.01);
        expectClose(v1[2], [2], 'float64', varFromInv, 'var', tol);
      }
    });
  });

  it('Pooling_v1 matches Pooling where their rules coincide (no padding, valid windows)', () => {
    mx.scope(() => {
      const x = randomArray([2, 3, 7, 6], 9, 1, 0, 'float32');
      for (const poolType of ['max', 'avg', 'sum']) {
        const p = { kernel: [3, 2], stride: [2, 2], poolType };
        expectClose(N.Pooling_v1(x, p), [2, 3, 3, 3], 'float32', values(N.Pooling(x, p)), poolType, tol);
        const gp = { kernel: [1, 1], globalPool: true, poolType };
        expectClose(N.Pooling_v1(x, gp), [2, 3, 1, 1], 'float32', values(N.Pooling(x, gp)), `global ${poolType}`, tol);
      }
      // Non-negative data (after a relu, as in ResNet's stem): max with padding agrees too.
      const r = nd.relu(x);
      const p = { kernel: [3, 3], stride: [2, 2], pad: [1, 1] };
      expect(values(N.Pooling_v1(r, p))).toEqual(values(N.Pooling(r, p)));
    });
  });

  it('where they differ: Pooling_v1 pads max with zeros and divides avg by the whole kernel area', () => {
    mx.scope(() => {
      const x = nd.array([-1, -2, -3, -4], { shape: [1, 1, 2, 2] });
      expect(values(N.Pooling_v1(x, { kernel: [2, 2], pad: [1, 1] }))).toEqual([0, 0, 0, 0, -1, 0, 0, 0, 0]);
      expect(values(N.Pooling(x, { kernel: [2, 2], pad: [1, 1] }))).toEqual([-1, -1, -2, -1, -1, -2, -3, -3, -4]);
      const y = nd.ones([1, 1, 3, 3]);
      // "full": the last window overhangs the padded input but still divides by 4.
      expect(values(N.Pooling_v1(y, { kernel: [2, 2], stride: [2, 2], poolType: 'avg', poolingConvention: 'full' })))
        .toEqual([1, 0.5, 0.5, 0.25]);
    });
  });

  it('_contrib_BatchNormWithReLU is relu(BatchNorm) with BatchNorm\'s hidden outputs', () => {
    mx.scope(() => {
      const x = randomArray([2, 3, 2, 2], 10, 2);
      const g = randomArray([3], 11, 0.5, 1), b = randomArray([3], 12, 0.5);
      for (const train of [true, false]) {
        const p = { fixGamma: false, outputMeanVar: true };
        const f = mode(train)(() => N._contrib_BatchNormWithReLU(x, g, b, nd.zeros([3], { dtype: 'float64' }),
                                                                 nd.ones([3], { dtype: 'float64' }), p));
        const m = mode(train)(() => N.BatchNorm(x, g, b, nd.zeros([3], { dtype: 'float64' }),
                                                nd.ones([3], { dtype: 'float64' }), p));
        expect(values(f[0])).toEqual(values(nd.relu(m[0])));
        expect(values(f[1])).toEqual(values(m[1]));
        expect(values(f[2])).toEqual(values(m[2]));
        expect(values(f[0]).some((v) => v === 0)).toBe(true);
      }
      const single = N._contrib_BatchNormWithReLU(x, g, b, nd.zeros([3], { dtype: 'float64' }), nd.ones([3], { dtype: 'float64' }));
      expect(Array.isArray(single)).toBe(false);
    });
  });
});

describe('moving statistics, float16, empty batches', () => {
  it('BatchNorm_v1 updates moving_mean / moving_var in training only; use_global_stats keeps them', () => {
    mx.scope(() => {
      const x = nd.array([1, 2, 3, 5, 0, 4, -1, 2], { shape: [4, 2] });
      const mm = nd.zeros([2]), mv = nd.ones([2]);
      autograd.predictMode(() => N.BatchNorm_v1(x, nd.ones([2]), nd.zeros([2]), mm, mv, { momentum: 0.5 }));
      expect(values(mm)).toEqual([0, 0]);
      autograd.trainMode(() => N.BatchNorm_v1(x, nd.ones([2]), nd.zeros([2]), mm, mv, { momentum: 0.5 }));
      // batch mean (0.75, 3.25), biased variance (2.1875, 1.6875)
      expectClose(mm, [2], 'float32', [0.375, 1.625], 'moving_mean', tol);
      expectClose(mv, [2], 'float32', [1.59375, 1.34375], 'moving_var', tol);
      autograd.trainMode(() => N.BatchNorm_v1(x, nd.ones([2]), nd.zeros([2]), mm, mv, { useGlobalStats: true }));
      expectClose(mm, [2], 'float32', [0.375, 1.625], 'moving_mean kept', tol);
    });
  });

  it('float16 data (float32 statistics for BatchNorm_v1)', () => {
    mx.scope(() => {
      const x = randomArray([2, 2, 5, 4], 13, 1, 0, 'float32');
      const w = randomArray([3, 2, 2, 2], 14, 0.5, 0, 'float32');
      const h = (a: Arr) => a.astype('float16');
      const c16 = N.Convolution_v1(h(x), h(w), { kernel: [2, 2], numFilter: 3, noBias: true });
      expect(c16.dtype).toBe('float16');
      expectClose(c16, [2, 3, 4, 3], 'float16', values(N.Convolution_v1(x, w, { kernel: [2, 2], numFilter: 3, noBias: true })),
        'conv', tol);
      const p16 = N.Pooling_v1(h(x), { kernel: [2, 2], poolType: 'avg', pad: [1, 1] });
      expectClose(p16, [2, 2, 6, 5], 'float16', values(N.Pooling_v1(x, { kernel: [2, 2], poolType: 'avg', pad: [1, 1] })),
        'pool', tol);
      const r = autograd.trainMode(() => N.BatchNorm_v1(h(x), nd.ones([2]), nd.zeros([2]), nd.zeros([2]), nd.ones([2]),
                                                         { outputMeanVar: true }));
      expect(r.map((a: Arr) => a.dtype)).toEqual(['float16', 'float32', 'float32']);
      const r32 = autograd.trainMode(() => N.BatchNorm_v1(x, nd.ones([2]), nd.zeros([2]), nd.zeros([2]), nd.ones([2]),
                                                           { outputMeanVar: true }));
      expectClose(r[0], [2, 2, 5, 4], 'float16', values(r32[0]), 'bn', tol);
      expectClose(r[2], [2], 'float32', values(r32[2]), 'bn var', { float32: 1e-3 });
    });
  });

  it('an empty batch gives empty outputs', () => {
    mx.scope(() => {
      for (const dtype of ['float32', 'float64']) {
        const x = nd.zeros([0, 2, 4, 4], { dtype });
        expect(N.Convolution_v1(x, nd.zeros([3, 2, 3, 3], { dtype }), nd.zeros([3], { dtype }),
                                { kernel: [3, 3], numFilter: 3 }).shape).toEqual([0, 3, 2, 2]);
        expect(N.Pooling_v1(x, { kernel: [2, 2], stride: [2, 2] }).shape).toEqual([0, 2, 2, 2]);
        expect(N.Pooling_v1(x, { globalPool: true, poolType: 'avg' }).shape).toEqual([0, 2, 1, 1]);
        const one = nd.ones([2], { dtype });
        expect(N.BatchNorm_v1(x, one, one, one, one).shape).toEqual([0, 2, 4, 4]);
        expect(N._contrib_BatchNormWithReLU(x, one, one, one, one).shape).toEqual([0, 2, 4, 4]);
      }
    });
  });
});

describe('gradients (finite differences, float64)', () => {
  it('Convolution_v1', () => {
    const x = randomArray([1, 2, 5, 4], 20), w = randomArray([2, 2, 3, 2], 21), b = randomArray([2], 22);
    checkGrad('Convolution_v1', [x, w, b], { kernel: [3, 2], numFilter: 2, pad: [1, 0], stride: [1, 2] });
    checkGrad('Convolution_v1', [x, randomArray([4, 1, 2, 2], 23)], { kernel: [2, 2], numFilter: 4, numGroup: 2,
                                                                      noBias: true, dilate: [2, 1] });
  });

  it('BatchNorm_v1 (training, inference, use_global_stats, fix_gamma)', () => {
    const x = randomArray([3, 2, 2, 2], 24, 2), g = randomArray([2], 25, 0.5, 1), b = randomArray([2], 26);
    const mm = randomArray([2], 27, 0.3), mv = randomArray([2], 28, 0.3, 1.2);
    const o = { wrt: [0, 1, 2], rtol: 1e-4, atol: 1e-5 };
    checkGrad('BatchNorm_v1', [x, g, b, mm, mv], { fixGamma: false }, { ...o, train: true });
    checkGrad('BatchNorm_v1', [x, g, b, mm, mv], { fixGamma: true }, { ...o, train: true });
    checkGrad('BatchNorm_v1', [x, g, b, mm, mv], { fixGamma: false }, { ...o, train: false });
    checkGrad('BatchNorm_v1', [x, g, b, mm, mv], { fixGamma: false, useGlobalStats: true }, { ...o, train: true });
    checkGrad('BatchNorm_v1', [randomArray([5, 3], 29, 2), randomArray([3], 30, 0.5, 1), randomArray([3], 31),
                               nd.zeros([3], { dtype: 'float64' }), nd.ones([3], { dtype: 'float64' })],
              { fixGamma: false, eps: 0.01 }, { ...o, train: true });
  });

  it('_contrib_BatchNormWithReLU', () => {
    const x = randomArray([3, 2, 2, 2], 32, 2), g = randomArray([2], 33, 0.5, 1), b = randomArray([2], 34, 0.3);
    const mm = randomArray([2], 35, 0.3), mv = randomArray([2], 36, 0.3, 1.2);
    const o = { wrt: [0, 1, 2], rtol: 1e-4, atol: 1e-5 };
    checkGrad('_contrib_BatchNormWithReLU', [x, g, b, mm, mv], { fixGamma: false }, { ...o, train: true });
    checkGrad('_contrib_BatchNormWithReLU', [x, g, b, mm, mv], { fixGamma: false }, { ...o, train: false });
  });

  it('Pooling_v1 (max with zero padding, avg, sum, full, global)', () => {
    const x = randomArray([1, 2, 5, 5], 37);
    checkGrad('Pooling_v1', [x], { kernel: [3, 3], stride: [2, 2], pad: [1, 1] });
    checkGrad('Pooling_v1', [randomArray([1, 2, 4, 5], 38, 1, -1.2)], { kernel: [2, 2], pad: [1, 1] });
    checkGrad('Pooling_v1', [x], { kernel: [2, 3], stride: [2, 2], pad: [1, 1], poolType: 'avg', poolingConvention: 'full' });
    checkGrad('Pooling_v1', [x], { kernel: [3, 2], stride: [2, 1], poolType: 'sum', poolingConvention: 'full' });
    checkGrad('Pooling_v1', [x], { globalPool: true, poolType: 'avg' });
    checkGrad('Pooling_v1', [x], { globalPool: true, poolType: 'max' });
  });
});

describe('MXNet symbol JSON', () => {
  // An MXNet 1.x-era net as a model zoo wrote it: param strings, aux inputs, v1 layers.
  const nodes = [
    { op: 'null', name: 'data', inputs: [] },
    { op: 'null', name: 'conv0_weight', inputs: [] },
    { op: 'Convolution_v1', name: 'conv0', attrs: { kernel: '(3, 3)', no_bias: 'True', num_filter: '4', pad: '(1, 1)',
                                                    workspace: '512', cudnn_tune: 'limited_workspace' },
      inputs: [[0, 0, 0], [1, 0, 0]] },
    { op: 'null', name: 'bn0_gamma', inputs: [] },
    { op: 'null', name: 'bn0_beta', inputs: [] },
    { op: 'null', name: 'bn0_moving_mean', attrs: { __init__: '["zero", {}]' }, inputs: [] },
    { op: 'null', name: 'bn0_moving_var', attrs: { __init__: '["one", {}]' }, inputs: [] },
    { op: 'BatchNorm_v1', name: 'bn0', attrs: { eps: '1e-05', fix_gamma: 'False', momentum: '0.9' },
      inputs: [[2, 0, 0], [3, 0, 0], [4, 0, 0], [5, 0, 1], [6, 0, 1]] },
    { op: 'Activation', name: 'relu0', attrs: { act_type: 'relu' }, inputs: [[7, 0, 0]] },
    { op: 'Pooling_v1', name: 'pool0', attrs: { kernel: '(3, 3)', pad: '(1, 1)', pool_type: 'max', stride: '(2, 2)',
                                                pooling_convention: 'full' }, inputs: [[8, 0, 0]] },
    { op: 'null', name: 'bn1_gamma', inputs: [] },
    { op: 'null', name: 'bn1_beta', inputs: [] },
    { op: 'null', name: 'bn1_moving_mean', inputs: [] },
    { op: 'null', name: 'bn1_moving_var', inputs: [] },
    { op: '_contrib_BatchNormWithReLU', name: 'bn1', attrs: { eps: '0.001', fix_gamma: 'True', use_global_stats: 'True' },
      inputs: [[9, 0, 0], [10, 0, 0], [11, 0, 0], [12, 0, 1], [13, 0, 1]] },
    { op: 'Pooling_v1', name: 'pool1', attrs: { kernel: '(1, 1)', global_pool: 'True', pool_type: 'avg' }, inputs: [[14, 0, 0]] },
  ];
  const json = JSON.stringify({
    nodes,
    arg_nodes: [0, 1, 3, 4, 5, 6, 10, 11, 12, 13],
    node_row_ptr: [0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 20, 21],
    heads: [[15, 0, 0]],
    attrs: { mxnet_version: ['int', 10600] },
  });

  it('loads, round-trips, binds and runs forward like the modern ops', () => {
    mx.scope(() => {
      const s = sym.loadJSON(json);
      expect(s.listArguments()).toEqual(['data', 'conv0_weight', 'bn0_gamma', 'bn0_beta', 'bn1_gamma', 'bn1_beta']);
      expect(s.listAuxiliaryStates()).toEqual(['bn0_moving_mean', 'bn0_moving_var', 'bn1_moving_mean', 'bn1_moving_var']);
      const again = sym.loadJSON(s.toJSON());
      expect(again.listArguments()).toEqual(s.listArguments());
      const { outShapes } = again.inferShape({ data: [2, 3, 6, 5] });
      expect(outShapes).toEqual([[2, 4, 1, 1]]);
      const args = {
        data: randomArray([2, 3, 6, 5], 40, 1, 0, 'float32'), conv0_weight: randomArray([4, 3, 3, 3], 41, 0.3, 0, 'float32'),
        bn0_gamma: randomArray([4], 42, 0.3, 1, 'float32'), bn0_beta: randomArray([4], 43, 0.3, 0, 'float32'),
        bn1_gamma: randomArray([4], 44, 0.3, 1, 'float32'), bn1_beta: randomArray([4], 45, 0.3, 0, 'float32'),
      };
      const aux = {
        bn0_moving_mean: randomArray([4], 46, 0.2, 0, 'float32'), bn0_moving_var: randomArray([4], 47, 0.2, 1, 'float32'),
        bn1_moving_mean: randomArray([4], 48, 0.2, 0.5, 'float32'), bn1_moving_var: randomArray([4], 49, 0.2, 1, 'float32'),
      };
      const ex = again.bind(here(), args, { auxStates: aux, gradReq: 'null' });
      const out = ex.forward({ isTrain: false })[0];
      // The same net from the modern ops (relu output is non-negative, so max pooling's padding rules agree).
      const c = N.Convolution(args.data, args.conv0_weight, { kernel: [3, 3], noBias: true, numFilter: 4, pad: [1, 1] });
      const b0 = N.BatchNorm(c, args.bn0_gamma, args.bn0_beta, aux.bn0_moving_mean, aux.bn0_moving_var,
                             { eps: 1e-5, fixGamma: false });
      const p0 = N.Pooling(nd.relu(b0), { kernel: [3, 3], pad: [1, 1], stride: [2, 2], poolingConvention: 'full' });
      const b1 = nd.relu(N.BatchNorm(p0, args.bn1_gamma, args.bn1_beta, aux.bn1_moving_mean, aux.bn1_moving_var,
                                     { useGlobalStats: true }));
      const want = values(N.Pooling(b1, { globalPool: true, poolType: 'avg' }));
      expectClose(out, [2, 4, 1, 1], 'float32', want, 'net', tol);
    });
  });

  it('binds for training: gradients flow through every v1 layer', () => {
    mx.scope(() => {
      const s = sym.loadJSON(json);
      const shapes: Record<string, number[]> = { data: [2, 3, 6, 5], conv0_weight: [4, 3, 3, 3], bn0_gamma: [4], bn0_beta: [4],
                                                 bn1_gamma: [4], bn1_beta: [4] };
      const args: Record<string, Arr> = {};
      const grads: Record<string, Arr> = {};
      Object.entries(shapes).forEach(([k, sh], i) => {
        args[k] = randomArray(sh, 50 + i, 0.5, k.endsWith('gamma') ? 1 : 0, 'float32');
        grads[k] = nd.zeros(sh);
      });
      const aux = { bn0_moving_mean: nd.zeros([4]), bn0_moving_var: nd.ones([4]), bn1_moving_mean: nd.zeros([4]),
                    bn1_moving_var: nd.ones([4]) };
      const ex = s.bind(here(), args, { argsGrad: grads, auxStates: aux });
      const out = ex.forward({ isTrain: true })[0];
      ex.backward(nd.ones(out.shape));
      expect(values(grads['data']).some((v) => v !== 0)).toBe(true);
      expect(values(grads['conv0_weight']).some((v) => v !== 0)).toBe(true);
      expect(values(grads['bn0_gamma']).some((v) => v !== 0)).toBe(true);
      // bn1 uses global statistics in training too: its moving statistics stay; bn0's move.
      expect(values(aux.bn1_moving_mean)).toEqual([0, 0, 0, 0]);
      expect(values(aux.bn0_moving_mean).some((v) => v !== 0)).toBe(true);
    });
  });
});
