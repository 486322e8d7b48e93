// The executor's prepared weights (op/prepared_input.h): a bound executor keeps each convolution's
// weights packed (or Winograd-transformed) across inference runs. Results must be the bits of the
// imperative op on every call, and a weight written by any route between runs (set, copyParamsFrom,
// an in-place op, a write through a view, an optimizer step, a trainer step of a hybridized block,
// even one pushed asynchronously between two forwards) must be seen: never a stale cached form.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';
import { pseudoRandom } from '../helpers/gradcheck';

const { nd, gluon, autograd } = mx as any;
const sym: any = mx.sym;
type Arr = any;

const gpuTwins = process.env.ISOTENSOR_GPU_KERNELS_ON_CPU === '1';
const vals = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number>, Number);
const randomArray = (shape: number[], seed: number, dtype = 'float32', scale = 1): Arr =>
  nd.array(pseudoRandom(shape.reduce((a, b) => a * b, 1), seed).map((v: number) => (v - 0.5) * scale), { shape, dtype, ctx: here() });

beforeAll(async () => {
  await mx.ready();
  announceBackend('executor-prepared-weights');
});

// Geometries for every CPU path: Winograd, im2col from the image, im2col stored (1-D), pointwise,
// groups, float64, a one-pixel output (matrix-vector: not prepared), a single filter.
const cases = [
  { name: 'Winograd 3x3', xs: [2, 64, 14, 14], f: 12, kernel: [3, 3], stride: [1, 1], pad: [1, 1] },
  { name: 'im2col 3x3 stride 2', xs: [2, 6, 11, 9], f: 10, kernel: [3, 3], stride: [2, 2], pad: [1, 1] },
  { name: 'im2col 5x5 one image', xs: [1, 3, 12, 12], f: 9, kernel: [5, 5], stride: [1, 1], pad: [2, 2] },
  { name: '1-D kernel 3', xs: [3, 4, 20], f: 6, kernel: [3], stride: [1], pad: [1] },
  { name: 'pointwise 1x1', xs: [3, 16, 5, 7], f: 8, kernel: [1, 1], stride: [1, 1], pad: [0, 0] },
  { name: 'two groups', xs: [2, 6, 9, 9], f: 10, kernel: [3, 3], stride: [1, 1], pad: [1, 1], numGroup: 2 },
  { name: 'float64 3x3', xs: [2, 5, 9, 9], f: 7, kernel: [3, 3], stride: [1, 1], pad: [1, 1], dtype: 'float64' },
  { name: 'one output pixel', xs: [2, 8, 3, 3], f: 5, kernel: [3, 3], stride: [1, 1], pad: [0, 0] },
  { name: 'one filter', xs: [2, 4, 8, 8], f: 1, kernel: [3, 3], stride: [1, 1], pad: [1, 1] },
];
type Case = typeof cases[number] & { numGroup?: number; dtype?: string };

const convOpts = (c: Case, noBias: boolean) => ({
  kernel: c.kernel, stride: c.stride, pad: c.pad, numFilter: c.f, numGroup: c.numGroup ?? 1, noBias,
});
const weightShape = (c: Case) => [c.f, c.xs[1]! / (c.numGroup ?? 1), ...c.kernel];

describe('prepared convolution weights in an inference executor', () => {
  for (const c of cases as Case[]) {
    for (const noBias of [true, false]) {
      it(`${c.name}${noBias ? '' : ' with bias'}: each run has the imperative bits, after every kind of weight write`, () => {
        const dtype = c.dtype ?? 'float32';
        const data = randomArray(c.xs, 1, dtype);
        const weight = randomArray(weightShape(c), 2, dtype, 0.5);
        const bias = randomArray([c.f], 3, dtype);
        const net = sym.Convolution({ data: sym.Variable('data'), name: 'conv', ...convOpts(c, noBias) });
        const args: Record<string, Arr> = { data, conv_weight: weight };
        if (!noBias) args['conv_bias'] = bias;
        const ex = net.bind(here(), args, { gradReq: 'null' });
        const expectImperative = (what: string) => {
          const want = nd.Convolution(...(noBias ? [data, weight] : [data, weight, bias]), convOpts(c, noBias));
          expect(vals(ex.forward()[0]), what).toEqual(vals(want));
          want.dispose();
        };
        expectImperative('first run');
        expectImperative('second run (prepared weights reused)');
        const other = randomArray(weightShape(c), 4, dtype, 0.5);
        weight.set(other);
        expectImperative('after set()');
        ex.copyParamsFrom({ conv_weight: randomArray(weightShape(c), 5, dtype, 0.5) });
        expectImperative('after copyParamsFrom');
        weight.iadd(0.125);
        expectImperative('after an in-place add');
        weight.slice(0, 1).iadd(-0.25);
        expectImperative('after a write through a view of the first filter');
        nd.sgd_update(weight, other, { lr: 0.5, out: weight });
        expectImperative('after sgd_update into the weight');
        // Written while the first of two forwards is still queued: each run sees its own weights.
        const first = ex.forward()[0].copy();
        const before = nd.Convolution(...(noBias ? [data, weight] : [data, weight, bias]), convOpts(c, noBias));
        nd.elemwise_mul(weight, other, { out: weight });
        const second = ex.forward()[0].copy();
        const after = nd.Convolution(...(noBias ? [data, weight] : [data, weight, bias]), convOpts(c, noBias));
        expect(vals(first)).toEqual(vals(before));
        expect(vals(second)).toEqual(vals(after));
        expect(vals(second)).not.toEqual(vals(first));
        ex.dispose();
        for (const a of [data, weight, bias, other, first, second, before, after]) a.dispose();
      });
    }
  }

  it('conv + batch norm + relu fused: the prepared weights follow weight writes, bit for bit the unfused run', () => {
    const c = cases[0] as Case;
    const net = sym.Activation({
      data: sym.BatchNorm({ data: sym.Convolution({ data: sym.Variable('data'), name: 'conv', ...convOpts(c, true) }),
                            name: 'bn', fixGamma: false }),
      name: 'act', actType: 'relu' });
    const ex = net.simpleBind(here(), { data: c.xs }, { gradReq: 'null' });
    let seed = 20;
    for (const [k, arr] of Object.entries({ ...ex.argDict, ...ex.auxDict }) as Array<[string, Arr]>) {
      const v = pseudoRandom(arr.size, seed++).map((t: number) => (k.endsWith('var') ? 0.5 + t : t - 0.5));
      arr.set(nd.array(v, { shape: arr.shape }));
    }
    const w = ex.argDict.conv_weight;
    const want = () => {
      const p = { ...ex.argDict, ...ex.auxDict };
      const y = nd.Activation(nd.BatchNorm(nd.Convolution(p.data, p.conv_weight, convOpts(c, true)), p.bn_gamma, p.bn_beta,
                                           p.bn_moving_mean, p.bn_moving_var, { fixGamma: false, useGlobalStats: true }),
                              { actType: 'relu' });
      const v = vals(y);
      y.dispose();
      return v;
    };
    expect(ex.planJSON().fused).toEqual([['conv', 'bn', 'act']]);
    for (let step = 0; step < 3; ++step) {
      expect(vals(ex.forward()[0])).toEqual(want());
      expect(vals(ex.forward()[0])).toEqual(want());
      w.imul(0.75);
    }
    ex.dispose();
  });

  it('counts the prepared weights in memoryInfo while the executor holds them, and frees them with it', () => {
    for (const c of [cases[0], cases[1]] as Case[]) {
      mx.waitAll();
      const base = mx.memoryInfo().liveBytes;
      const data = randomArray(c.xs, 40);
      const weight = randomArray(weightShape(c), 41, 'float32', 0.5);
      const net = sym.Convolution({ data: sym.Variable('data'), name: 'conv', ...convOpts(c, true) });
      const ex = net.bind(here(), { data, conv_weight: weight }, { gradReq: 'null' });
      ex.forward();
      mx.waitAll();
      const bound = mx.memoryInfo().liveBytes;
      const packed = c.f * weightShape(c).slice(1).reduce((a, b) => a * b, 1) * 4;
      ex.forward(); // the second run reuses the forms the first one made: nothing new is held
      mx.waitAll();
      expect(mx.memoryInfo().liveBytes, c.name).toBe(bound);
      ex.dispose();
      mx.waitAll();
      const released = bound - mx.memoryInfo().liveBytes;
      // The executor's output plus the prepared weights (at least the weights' own bytes) go back;
      // the GPU kernels' CPU twins (ISOTENSOR_GPU_KERNELS_ON_CPU) prepare nothing, as on a GPU.
      const imperative = nd.Convolution(data, weight, convOpts(c, true));
      const output = imperative.size * 4;
      imperative.dispose();
      expect(released, c.name).toBeGreaterThanOrEqual(output + (gpuTwins ? 0 : packed));
      data.dispose();
      weight.dispose();
      mx.waitAll();
      expect(mx.memoryInfo().liveBytes, c.name).toBe(base);
    }
  });

  it('training forwards and backwards between inference runs: inference sees the updated weights', () => {
    const c = cases[1] as Case;
    const net = sym.sum({ data: sym.Convolution({ data: sym.Variable('data'), name: 'conv', ...convOpts(c, false) }) });
    const ex = net.simpleBind(here(), { data: c.xs });
    ex.argDict.data.set(randomArray(c.xs, 30));
    ex.argDict.conv_weight.set(randomArray(weightShape(c), 31, 'float32', 0.5));
    ex.argDict.conv_bias.set(randomArray([c.f], 32));
    const want = () => {
      const y = nd.sum(nd.Convolution(ex.argDict.data, ex.argDict.conv_weight, ex.argDict.conv_bias, convOpts(c, false)));
      const v = vals(y);
      y.dispose();
      return v;
    };
    for (let step = 0; step < 3; ++step) {
      expect(vals(ex.forward()[0])).toEqual(want());
      ex.forward({ isTrain: true });
      ex.backward();
      nd.sgd_update(ex.argDict.conv_weight, ex.gradDict.conv_weight, { lr: 0.01, out: ex.argDict.conv_weight });
    }
    ex.dispose();
  });

  it('a hybridized Gluon network trained between predictions predicts as the same network run op by op', () => {
    const build = () => {
      const net = new gluon.nn.HybridSequential();
      net.add(new gluon.nn.Conv2D(6, 3, { padding: 1, inChannels: 3 }), new gluon.nn.Activation('relu'),
              new gluon.nn.Conv2D(4, 1, { inChannels: 6 }), new gluon.nn.Flatten(), new gluon.nn.Dense(2, { inUnits: 4 * 64 }));
      net.initialize({ init: new mx.init.Xavier(), ctx: here() });
      return net;
    };
    const net = build();
    const x = randomArray([4, 3, 8, 8], 40);
    const label = nd.array([0, 1, 1, 0], { ctx: here() });
    net.forward(x).dispose();  // parameters' shapes
    const plain = build();
    plain.forward(x).dispose();
    net.hybridize();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    // The two networks' parameters in creation order (their name prefixes differ).
    const sameParams = () => {
      const dst = [...plain.collectParams().values()];
      [...net.collectParams().values()].forEach((p: any, i: number) => dst[i].setData(p.data()));
    };
    for (let step = 0; step < 3; ++step) {
      sameParams();
      const pred = net.forward(x);
      const ref = plain.forward(x);
      expect(vals(pred)).toEqual(vals(ref));
      pred.dispose();
      ref.dispose();
      autograd.record(() => loss.forward(net.forward(x), label)).backward();
      trainer.step(4);
    }
  });
});
