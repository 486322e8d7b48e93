// The GPU backend against the CPU: copies, operators, gradients (RNN, linalg factorisations, samplers),
// Philox streams, errors raised by kernels, and memory. Runs where a CUDA GPU is visible; elsewhere
// it prints why it skips. (scripts/gpu-suite.sh also re-runs the whole suite with gpu(0) as default.)
import { beforeAll, describe, expect } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';
import { onGpu } from '../helpers/gpu';
import { pseudoRandom } from '../helpers/gradcheck';

const { nd, autograd } = mx;
type Arr = any;

beforeAll(async () => {
  await mx.ready();
  announceBackend('gpu');
});

const gpuCount = (): number => mx.numGpus();

function rand(shape: number[], seed: number, scale = 1, dtype = 'float32', ctx: mx.Context = mx.cpu()): Arr {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = pseudoRandom(n, seed).map((x) => x * scale);
  return nd.array(v, { dtype, ctx }).reshape(shape);
}

/** n integer-valued float32 indices in [0, below), on cpu(0). */
function intsBelow(n: number, below: number, seed: number): Arr {
  return nd.array(pseudoRandom(n, seed).map((x) => Math.floor(Math.abs(x) * 7919) % below), { ctx: mx.cpu() });
}

/** max |a - b| over max(max |b|, floor): the floor keeps mathematically-zero results (a conv bias
 * before BatchNorm has a zero gradient) from turning rounding noise into a large relative error. */
function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity;
    if (Number.isNaN(a[i])) continue;
    num = Math.max(num, Math.abs(Number(a[i]) - Number(b[i])));
    den = Math.max(den, Math.abs(Number(b[i])));
  }
  return num / Math.max(den, floor);
}

function values(a: Arr): number[] {
  return Array.from(a.dataSync() as ArrayLike<number>, Number);
}

// Case inputs live on cpu(0) explicitly: the suite also runs with gpu(0) as the default context.
const onCpu = { ctx: mx.cpu() };
const TOL: Record<string, number> = { float64: 1e-10, float32: 2e-5, float16: 2e-3, bfloat16: 2e-2 };

/** Runs op on CPU and on `g` with the same inputs; every output must agree within the dtype's tolerance. */
function sameOnGpu(g: mx.Context, op: string, inputs: Arr[], params: Record<string, unknown> = {}, tol?: number): void {
  const onCpu = mx.operator.invoke(op, inputs, params as never);
  const onDev = mx.operator.invoke(op, inputs.map((x) => x.copyto(g)), params as never);
  expect(onDev.length).toBe(onCpu.length);
  for (let i = 0; i < onCpu.length; i++) {
    expect(onDev[i].context.equals(g), `${op} output ${i} context`).toBe(true);
    expect(onDev[i].shape).toEqual(onCpu[i].shape);
    const t = tol ?? TOL[onCpu[i].dtype] ?? 0;
    const err = maxRelErr(values(onDev[i]), values(onCpu[i]));
    expect(err, `${op} output ${i} (${onCpu[i].dtype}) differs from CPU by ${err}`).toBeLessThanOrEqual(t);
  }
}

describe('gpu contexts', () => {
  onGpu('reports the device and the libraries found', () => {
    const info = mx.runtimeInfo();
    expect(info.cuda).toBe(true);
    expect(info.numGpus).toBe(gpuCount());
    console.log(`gpu: ${gpuCount()} device(s); cuBLAS ${info.cublas ? `loaded from ${String(info.cublasPath)}` : 'not found (own GEMM kernels)'}; ` +
      `cuDNN ${info.cudnn ? `${String(info.cudnnVersion)} loaded from ${String(info.cudnnPath)}` : 'not found (own convolution kernels)'}`);
  });

  onGpu('copies every dtype to the GPU and back unchanged', (g) => {
    for (const dtype of ['float32', 'float64', 'float16', 'bfloat16', 'int8', 'uint8', 'int32', 'int64', 'bool']) {
      const src = nd.array([0, 1, 2, 3, 4, 5, 6, 7].map((x) => (dtype === 'bool' ? x % 2 : x)), { dtype, ...onCpu }).reshape([2, 4]);
      const d = src.copyto(g);
      expect(d.context.equals(g)).toBe(true);
      expect(d.dtype).toBe(dtype);
      const d2 = d.copyto(g);  // device to device
      expect(values(d2.asInContext(mx.cpu()))).toEqual(values(src));
    }
  });

  onGpu('keeps the memory of a GPU training loop flat', (g) => {
    const w = rand([64, 32], 3, 0.1, 'float32', g);
    w.attachGrad();
    const x = rand([16, 32], 4, 1, 'float32', g);
    const step = (): void => {
      autograd.record(() => nd.sum(nd.relu(nd.dot(x, w, { transpose_b: true })))).backward();
      w.isub(w.grad.mul(0.01));
    };
    for (let i = 0; i < 20; i++) mx.scope(step);
    mx.waitAll();
    const before = mx.memoryInfo(g).liveBytes;
    for (let i = 0; i < 300; i++) mx.scope(step);
    mx.waitAll();
    expect(mx.memoryInfo(g).liveBytes).toBeLessThanOrEqual(before);
  });
});

/** A batch of symmetric positive-definite matrices on cpu(0): X X^T + n I. */
function spd(batch: number, n: number, seed: number, dtype = 'float32'): Arr {
  const x = rand([batch, n, n], seed, 1, dtype);
  return nd.linalg_gemm2(x, x, { transpose_b: true }).add(nd.eye(n, { dtype, ...onCpu }).mul(n));
}

describe('operators on the GPU agree with the CPU', () => {
  // [op, inputs(seed-based), params].
  const cases: Array<[string, () => Arr[], Record<string, unknown>]> = [
    ['elemwise_add', () => [rand([3, 5], 1), rand([3, 5], 2)], {}],
    ['broadcast_mul', () => [rand([3, 1, 4], 1), rand([1, 5, 4], 2)], {}],
    ['exp', () => [rand([100], 1)], {}],
    ['sum', () => [rand([4, 50, 3], 1)], { axis: 1 }],
    ['sum', () => [rand([10000], 1)], {}],
    ['mean', () => [rand([6, 7, 8], 1)], { axis: '(0,2)', keepdims: true }],
    ['max', () => [rand([6, 7, 8], 1)], { axis: 2 }],
    ['argmax', () => [rand([6, 7], 1)], { axis: 1 }],
    ['norm', () => [rand([6, 7], 1)], { ord: 2, axis: 1 }],
    ['dot', () => [rand([33, 65], 1), rand([65, 17], 2)], {}],
    ['dot', () => [rand([65, 33], 1), rand([17, 65], 2)], { transpose_a: true, transpose_b: true }],
    ['dot', () => [rand([20, 30], 1, 1, 'float64'), rand([30, 10], 2, 1, 'float64')], {}],
    ['dot', () => [rand([16, 32], 1, 1, 'float16'), rand([32, 8], 2, 1, 'float16')], {}],
    ['batch_dot', () => [rand([4, 5, 6], 1), rand([4, 6, 7], 2)], {}],
    ['FullyConnected', () => [rand([8, 20], 1), rand([10, 20], 2), rand([10], 3)], { num_hidden: 10 }],
    ['Convolution', () => [rand([2, 3, 9, 9], 1), rand([4, 3, 3, 3], 2), rand([4], 3)],
      { kernel: '(3,3)', num_filter: 4, pad: '(1,1)', stride: '(2,2)' }],
    ['Convolution', () => [rand([2, 4, 7, 7], 1), rand([6, 2, 3, 3], 2), rand([6], 3)],
      { kernel: '(3,3)', num_filter: 6, num_group: 2, dilate: '(2,2)' }],
    ['Deconvolution', () => [rand([2, 3, 5, 5], 1), rand([3, 4, 3, 3], 2)],
      { kernel: '(3,3)', num_filter: 4, stride: '(2,2)', no_bias: true }],
    ['Pooling', () => [rand([2, 3, 8, 8], 1)], { kernel: '(2,2)', stride: '(2,2)', pool_type: 'max' }],
    ['Pooling', () => [rand([2, 3, 7, 7], 1)], { kernel: '(3,3)', stride: '(2,2)', pool_type: 'avg', pooling_convention: 'full' }],
    ['Pooling', () => [rand([2, 3, 7, 7], 1)], { global_pool: true, kernel: '(1,1)', pool_type: 'avg' }],
    ['Activation', () => [rand([50], 1)], { act_type: 'tanh' }],
    ['LeakyReLU', () => [rand([50], 1)], { act_type: 'elu', slope: 0.3 }],
    ['softmax', () => [rand([5, 40], 1, 5)], { axis: -1 }],
    ['log_softmax', () => [rand([5, 40, 3], 1, 5)], { axis: 1 }],
    // Few long rows: the statistics in chunks.
    ['softmax', () => [rand([3, 700], 1, 5)], { axis: -1 }],
    ['log_softmax', () => [rand([2, 3000, 2], 2, 5)], { axis: 1 }],
    ['BatchNorm', () => [rand([4, 3, 5, 5], 1), rand([3], 2), rand([3], 3), nd.zeros([3], onCpu), nd.ones([3], onCpu)], { fix_gamma: false }],
    ['LayerNorm', () => [rand([6, 20], 1), rand([20], 2), rand([20], 3)], {}],
    ['transpose', () => [rand([3, 4, 5], 1)], { axes: '(2,0,1)' }],
    ['Concat', () => [rand([2, 3], 1), rand([2, 4], 2)], { num_args: 2, dim: 1 }],
    ['slice', () => [rand([6, 7], 1)], { begin: '(1,2)', end: '(5,7)', step: '(2,1)' }],
    ['take', () => [rand([10, 4], 1), nd.array([3, 0, 9, 9], onCpu)], {}],
    ['Embedding', () => [nd.array([[1, 2], [0, 7]], onCpu), rand([8, 5], 2)], { input_dim: 8, output_dim: 5 }],
    ['one_hot', () => [nd.array([1, 0, 3], onCpu)], { depth: 4 }],
    ['SoftmaxOutput', () => [rand([4, 6], 1), nd.array([1, 0, 5, 2], onCpu)], {}],
    ['topk', () => [rand([5, 9], 1)], { k: 3, ret_typ: 'both' }],
    ['sort', () => [rand([5, 9], 1)], { axis: 1 }],
    ['cumsum', () => [rand([5, 9], 1)], { axis: 1 }],
    ['_linalg_potrf', () => [nd.array([[4, 2], [2, 3]], onCpu)], {}],
    ['_linalg_syrk', () => [rand([3, 5, 7], 1)], { transpose: true, alpha: 0.5 }],
    ['_linalg_trmm', () => [rand([2, 6, 6], 1), rand([2, 4, 6], 2)], { rightside: true, lower: false, alpha: 2 }],
    ['_linalg_trsm', () => [nd.array([[2, 0, 0], [0.5, 3, 0], [-1, 0.25, 1.5]], { dtype: 'float64', ...onCpu }), rand([3, 5], 2, 1, 'float64')], { transpose: true }],
    ['_linalg_trsm', () => [nd.array([[2, 0.3, -1], [0, 3, 0.5], [0, 0, 1.5]], onCpu), rand([4, 3], 2)], { rightside: true, lower: false, alpha: -1.5 }],
    ['_linalg_extracttrian', () => [rand([2, 5, 5], 1)], { offset: -1 }],
    ['_linalg_maketrian', () => [rand([2, 10], 1)], { offset: 1, lower: false }],
    ['_linalg_extractdiag', () => [rand([2, 5, 5], 1)], { offset: 2 }],
    ['_linalg_makediag', () => [rand([3, 4], 1)], { offset: -1 }],
    ['_linalg_sumlogdiag', () => [nd.array([[[2, 9], [9, 3]], [[0.5, 1], [1, 4]]], onCpu)], {}],
    ['_linalg_potrf', () => [spd(3, 6, 1)], { lower: false }],
    ['_linalg_potri', () => [nd.linalg_potrf(spd(2, 5, 2))], {}],
    ['_linalg_inverse', () => [rand([3, 7, 7], 1, 1, 'float64')], {}],
    ['_linalg_det', () => [rand([4, 5, 5], 2)], {}],
    ['_linalg_slogdet', () => [rand([4, 6, 6], 3, 1, 'float64')], {}],
    ['_linalg_logdet', () => [spd(2, 4, 4)], {}],
    ['RNN', () => [rand([3, 2, 4], 1), rand([4 * (4 * 5 + 5 * 5 + 2 * 5)], 2, 0.3), nd.zeros([1, 2, 5], onCpu), nd.zeros([1, 2, 5], onCpu)],
      { mode: 'lstm', state_size: 5, num_layers: 1 }],
    ['CTCLoss', () => [rand([6, 2, 5], 1), nd.array([[1, 2, 0], [3, 3, 1]], onCpu)], {}],
    ['CTCLoss', () => [rand([8, 3, 5], 2, 2), nd.array([[0, 1, 1, -1], [3, 3, 3, 2], [2, -1, -1, -1]], onCpu), nd.array([8, 5, 3], onCpu), nd.array([3, 4, 1], onCpu)],
      { blank_label: 'last', use_data_lengths: true, use_label_lengths: true }],
    ['CTCLoss', () => [rand([5, 2, 4], 3, 1, 'float16'), nd.array([[1, 2], [3, 0]], onCpu)], {}],
    ['_ravel_multi_index', () => [nd.array([[3, 6, 6, 0], [4, 5, 1, 2]], onCpu)], { shape: [7, 6] }],
    ['_unravel_index', () => [nd.array([22, 41, 37, 0], onCpu)], { shape: [7, 6] }],
    ['_backward_gather_nd', () => [rand([6, 2], 1), nd.array([[2, 0, 2, -1, 1, 2]], onCpu), rand([3, 2], 2)], {}],
    // Many indices, few columns: the scatter-adds sort the indices into runs of one row.
    ['_backward_take', () => [rand([3, 300, 2], 1), intsBelow(300, 40, 2), rand([3, 40, 2], 3)], { axis: 1 }],
    ['_backward_Embedding', () => [rand([300, 16], 1), intsBelow(300, 50, 2)], { input_dim: 50, output_dim: 16 }],
    ['_backward_Embedding', () => [rand([300, 8], 1, 1, 'float16'), intsBelow(300, 50, 2)],
      { input_dim: 50, output_dim: 8, dtype: 'float16' }],
    ['khatri_rao', () => [rand([3, 4], 1), rand([5, 4], 2)], {}],
    ['_backward_khatri_rao', () => [rand([30, 4], 3), rand([3, 4], 1), rand([5, 4], 2), rand([2, 4], 4)], { num_args: 3 }],
    ['BilinearSampler', () => [rand([2, 3, 5, 5], 1), rand([2, 2, 4, 4], 2, 1.1)], {}],
    ['GridGenerator', () => [rand([2, 6], 1)], { transform_type: 'affine', target_shape: '(5,7)' }],
    ['GridGenerator', () => [rand([2, 2, 4, 5], 1, 3)], { transform_type: 'warp' }],
    ['SpatialTransformer', () => [rand([2, 3, 6, 5], 1), rand([2, 6], 2, 0.8)], { target_shape: '(4,7)', transform_type: 'affine', sampler_type: 'bilinear' }],
    ['LRN', () => [rand([2, 7, 5, 5], 1, 2)], { nsize: 5, alpha: 0.5, beta: 0.75, knorm: 1 }],
    ['LRN', () => [rand([2, 5, 4, 4], 1, 1, 'float16')], { nsize: 3 }],
    ['ROIPooling', () => [rand([2, 3, 8, 9], 1), nd.array([[0, 0, 0, 7, 6], [1, 2.5, 1, 8, 7.5], [1, 3, 3, 3, 3]], onCpu)], { pooled_size: '(3,2)', spatial_scale: 1 }],
    ['UpSampling', () => [rand([1, 2, 3, 3], 1)], { scale: 2, sample_type: 'nearest', num_args: 1 }],
    ['Pad', () => [rand([1, 2, 3, 3], 1)], { mode: 'reflect', pad_width: '(0,0,0,0,1,1,2,2)' }],
  ];
  for (const [op, make, params] of cases) {
    onGpu(`${op} ${JSON.stringify(params)}`, (g) => mx.scope(() => sameOnGpu(g, op, make(), params)));
  }

  // Ordering kernels (bitonic network on the GPU) must give the CPU's stable order exactly: few
  // distinct values (ties everywhere) and a NaN every 97th element.
  const tied = (shape: number[], dtype = 'float32'): Arr => {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = Array.from({ length: n }, (_, i) => (i % 97 === 5 ? NaN : (((i * 7919) % 301) - 150) / 4));
    return nd.array(v, { dtype, ...onCpu }).reshape(shape);
  };
  onGpu('sort, argsort and topk of 3 x 5000 rows equal the CPU exactly', (g) => mx.scope(() => {
    const x = tied([3, 5000]);
    for (const params of [{}, { is_ascend: false }]) sameOnGpu(g, 'sort', [x], params, 0);
    sameOnGpu(g, 'argsort', [x], { dtype: 'int32' }, 0);
    sameOnGpu(g, 'argsort', [x], { is_ascend: false, dtype: 'int64' }, 0);
    sameOnGpu(g, 'topk', [x], { k: 100, ret_typ: 'both', dtype: 'int32' }, 0);
    sameOnGpu(g, 'topk', [x], { k: 2500, ret_typ: 'mask', is_ascend: true }, 0);
    const cols = tied([5000, 3]);  // rows strided along axis 0
    sameOnGpu(g, 'sort', [cols], { axis: 0, is_ascend: false }, 0);
    sameOnGpu(g, 'topk', [cols], { axis: 0, k: 7, ret_typ: 'both' }, 0);
    sameOnGpu(g, 'sort', [tied([3, 4097], 'float16')], {}, 0);
  }), { timeout: 60_000 });
  onGpu('sort, argsort and topk of 70000 flattened elements equal the CPU exactly', (g) => mx.scope(() => {
    const x = tied([70000]);
    sameOnGpu(g, 'sort', [x], { axis: 'None' }, 0);
    sameOnGpu(g, 'argsort', [x], { axis: 'None', is_ascend: false, dtype: 'int64' }, 0);
    sameOnGpu(g, 'topk', [x], { axis: 'None', k: 1000, ret_typ: 'both', dtype: 'int32' }, 0);
    sameOnGpu(g, 'topk', [x], { axis: 'None', k: 35000, ret_typ: 'mask' }, 0);
  }), { timeout: 60_000 });
  onGpu('gradients of sort and topk (take-along scatter) equal the CPU, accumulated too', (g) => mx.scope(() => {
    const grad = (ctx: mx.Context): number[] => {
      const x = tied([40, 300]).copyto(ctx);
      x.attachGrad({ gradReq: 'add' });
      const head = nd.array(pseudoRandom(40 * 300, 5), onCpu).reshape([40, 300]).copyto(ctx);
      for (let i = 0; i < 2; i++) autograd.record(() => nd.sort(x, { isAscend: false })).backward(head);
      autograd.record(() => nd.topk(x, { axis: 0, k: 9, retTyp: 'value' }))
        .backward(nd.ones([9, 300], onCpu).copyto(ctx));
      return values(x.grad.asInContext(mx.cpu()));
    };
    expect(grad(g)).toEqual(grad(mx.cpu()));
  }), { timeout: 60_000 });

  onGpu('draws the same random numbers as the CPU for the same seed', (g) => {
    for (const [draw, shape] of [
      [(c: mx.Context) => nd.random.uniform({ low: -1, high: 2, shape: [1000], ctx: c }), [1000]],
      [(c: mx.Context) => nd.random.normal({ loc: 1, scale: 2, shape: [999], ctx: c }), [999]],
    ] as const) {
      mx.random.seed(42);
      const a = values(draw(mx.cpu()));
      mx.random.seed(42);
      const b = values(draw(g));
      expect(b.length).toBe(shape[0]);
      expect(maxRelErr(b, a)).toBeLessThan(1e-5);
    }
    mx.random.seed(7);
    const x = nd.ones([2000], onCpu);
    const m1 = values(autograd.trainMode(() => nd.Dropout(x, { p: 0.3 })));
    mx.random.seed(7);
    const m2 = values(autograd.trainMode(() => nd.Dropout(x.copyto(g), { p: 0.3 })));
    expect(m2).toEqual(m1);
  });

  onGpu('_sample_multinomial (get_prob and its gradient) and _shuffle draw exactly what the CPU draws for one seed', (g) => mx.scope(() => {
    const run = (ctx: mx.Context): number[][] => {
      const p = nd.array(Array.from({ length: 4 * 37 }, (_, i) => ((i * 37) % 101) / 101 + 0.01), { shape: [4, 37], ...onCpu }).copyto(ctx);
      p.attachGrad();
      mx.random.seed(5);
      const [s, lp] = autograd.record(() => mx.operator.invoke('_sample_multinomial', [p], { shape: '(3,50)', get_prob: 'True' } as never)) as Arr[];
      lp.backward();
      mx.random.seed(6);
      const shuffled = ['float32', 'int32', 'float16'].map((dtype) =>
        mx.operator.invoke('_shuffle', [nd.arange(0, 999, 1, { dtype, ...onCpu } as never).reshape([333, 3]).copyto(ctx)])[0]);
      return [s, lp, p.grad, ...shuffled].map((x: Arr) => values(x.asInContext(mx.cpu())));
    };
    const cpu = run(mx.cpu()), dev = run(g);
    for (const i of [0, 2, 3, 4, 5]) expect(dev[i]).toEqual(cpu[i]);  // samples, gradient, permutations: bit-exact
    expect(maxRelErr(dev[1]!, cpu[1]!)).toBeLessThanOrEqual(1e-7);     // log-probs: CUDA log vs glibc log
  }));
});

describe('gradients on the GPU', () => {
  function grads(ctx: mx.Context, build: (p: Arr[]) => Arr, params: Arr[]): number[][] {
    const ps = params.map((p) => p.copyto(ctx));
    for (const p of ps) p.attachGrad();
    autograd.record(() => build(ps)).backward();
    return ps.map((p) => values(p.grad));
  }
  const nets: Array<[string, (p: Arr[]) => Arr, () => Arr[]]> = [
    ['MLP (FullyConnected, relu, softmax cross-entropy)', (p) => {
      const h = nd.relu(nd.FullyConnected(p[0], p[1], p[2], { num_hidden: 16 }));
      const o = nd.FullyConnected(h, p[3], p[4], { num_hidden: 4 });
      return nd.sum(nd.softmax_cross_entropy(o, nd.array([0, 1, 2, 3, 1, 0], { ctx: p[0].context })));
    }, () => [rand([6, 10], 1), rand([16, 10], 2, 0.3), rand([16], 3, 0.1), rand([4, 16], 4, 0.3), rand([4], 5, 0.1)]],
    ['CNN (Convolution, BatchNorm, Pooling, FullyConnected)', (p) => {
      const c = nd.Convolution(p[0], p[1], p[2], { kernel: [3, 3], num_filter: 4, pad: [1, 1] });
      const b = autograd.trainMode(() => nd.BatchNorm(c, p[3], p[4], nd.zeros([4], { ctx: c.context }),
                                                     nd.ones([4], { ctx: c.context }), { fix_gamma: false }));
      const q = nd.Pooling(nd.relu(b), { kernel: [2, 2], stride: [2, 2], pool_type: 'max' });
      return nd.sum(nd.square(nd.FullyConnected(q, p[5], { num_hidden: 3, no_bias: true })));
    }, () => [rand([2, 3, 6, 6], 1), rand([4, 3, 3, 3], 2, 0.3), rand([4], 3, 0.1), rand([4], 4, 0.5), rand([4], 5, 0.1),
      rand([3, 36], 6, 0.2)]],
  ];
  for (const [name, build, make] of nets) {
    onGpu(name, (g) => {
      const params = make();
      const onCpu = grads(mx.cpu(), build, params);
      const onDev = grads(g, build, params);
      for (let i = 0; i < onCpu.length; i++) {
        expect(maxRelErr(onDev[i]!, onCpu[i]!, 1e-3), `${name}: gradient of parameter ${i}`).toBeLessThan(1e-4);
      }
    });
  }

  // The factorisations (ops/linalg/la_factor_device.h): Cholesky and LU gradients.
  onGpu('gradients of potrf, det, slogdet and inverse', (g) => mx.scope(() => {
    const cases: Array<[string, (a: Arr) => Arr, Arr]> = [
      ['potrf', (a) => nd.sum(nd.linalg_potrf(a).mul(nd.linalg_potrf(a))), spd(3, 5, 7, 'float64')],
      ['det', (a) => nd.sum(nd.linalg_det(a)), rand([3, 4, 4], 8, 1, 'float64')],
      ['slogdet', (a) => nd.sum(nd.linalg_slogdet(a)[1]), rand([2, 5, 5], 9, 1, 'float64')],
      ['inverse', (a) => nd.sum(nd.linalg_inverse(a).mul(nd.linalg_inverse(a))), rand([2, 4, 4], 10, 1, 'float64')],
    ];
    for (const [name, f, a] of cases) {
      const [onCpu] = grads(mx.cpu(), (p) => f(p[0]), [a]);
      const [onDev] = grads(g, (p) => f(p[0]), [a]);
      expect(maxRelErr(onDev!, onCpu!), `${name} gradient`).toBeLessThan(1e-9);
    }
  }));

  // Gradients whose device kernels gather instead of scattering (spatial sampler, CTC, LRN, ROIPooling).
  onGpu('gradients of BilinearSampler, SpatialTransformer, CTCLoss, LRN and ROIPooling', (g) => mx.scope(() => {
    const cases: Array<[string, (p: Arr[]) => Arr, () => Arr[]]> = [
      ['BilinearSampler', (p) => nd.sum(nd.square(nd.BilinearSampler(p[0], p[1]))),
        () => [rand([2, 3, 6, 5], 1, 1, 'float64'), rand([2, 2, 7, 4], 2, 1.2, 'float64')]],
      ['SpatialTransformer', (p) => nd.sum(nd.square(nd.SpatialTransformer(p[0], p[1],
        { target_shape: [5, 4], transform_type: 'affine', sampler_type: 'bilinear' }))),
        () => [rand([2, 3, 6, 5], 3, 1, 'float64'), rand([2, 6], 4, 0.7, 'float64')]],
      ['CTCLoss', (p) => nd.sum(nd.CTCLoss(p[0], nd.array([[1, 2, 2], [3, 1, 0]], { ctx: p[0].context }))),
        () => [rand([9, 2, 5], 5, 2, 'float64')]],
      ['LRN', (p) => nd.sum(nd.square(nd.LRN(p[0], { nsize: 3 }))), () => [rand([2, 6, 3, 3], 6, 1, 'float64')]],
      ['ROIPooling', (p) => nd.sum(nd.square(nd.ROIPooling(p[0], nd.array([[0, 0, 0, 4, 4], [1, 1, 2, 5, 3], [0, 1, 1, 5, 5]],
        { dtype: 'float64', ctx: p[0].context }), { pooled_size: [2, 2], spatial_scale: 1 }))), () => [rand([2, 3, 6, 6], 7, 1, 'float64')]],
    ];
    for (const [name, f, make] of cases) {
      const ps = make();
      const onCpu = grads(mx.cpu(), f, ps), onDev = grads(g, f, ps);
      onCpu.forEach((want, i) => expect(maxRelErr(onDev[i]!, want), `${name} gradient ${i}`).toBeLessThan(1e-10));
    }
  }));

  // The fused RNN kernel (ops/nn/rnn_device.h): 2 bidirectional layers with sequence lengths, state
  // outputs and, in training, the dropout masks between layers drawn from the same seed.
  const GATES: Record<string, number> = { rnn_relu: 1, rnn_tanh: 1, lstm: 4, gru: 3 };
  for (const [mode, dtype, p] of [['lstm', 'float32', 0.3], ['gru', 'float32', 0.3], ['rnn_tanh', 'float64', 0],
                                  ['rnn_relu', 'float32', 0.2], ['lstm', 'float16', 0]] as const) {
    onGpu(`RNN ${mode} ${dtype} (dropout ${p}): outputs and every gradient match the CPU`, (g) => mx.scope(() => {
      const T = 7, N = 5, I = 6, H = 9, L = 2, D = 2, G = GATES[mode]!;
      const params = { mode, state_size: H, num_layers: L, bidirectional: true, state_outputs: true, p,
                       use_sequence_length: true };
      const nParams = D * G * H * (I + H + 2) + D * G * H * (D * H + H + 2);
      const ins = [rand([T, N, I], 1, 1, dtype), rand([nParams], 2, 0.3, dtype), rand([L * D, N, H], 3, 0.5, dtype)];
      if (mode === 'lstm') ins.push(rand([L * D, N, H], 4, 0.5, dtype));
      const lens = nd.array([7, 3, 0, 5, 1], { dtype: 'int32', ...onCpu });
      const run = (ctx: mx.Context): number[][] => {
        const vs = ins.map((a) => a.copyto(ctx));
        for (const v of vs) v.attachGrad();
        mx.random.seed(11);
        const outs = autograd.record(() => mx.operator.invoke('RNN', [...vs, lens.copyto(ctx)], params as never));
        autograd.backward(outs, outs.map((o: Arr, k: number) => rand(o.shape, 20 + k, 1, dtype, ctx)));
        return [...outs.map(values), ...vs.map((v) => values(v.grad))];
      };
      const cpuResults = run(mx.cpu()), gpuResults = run(g);
      const tol = dtype === 'float64' ? 1e-10 : dtype === 'float16' ? 2e-2 : 1e-4;
      cpuResults.forEach((want, k) => {
        const err = maxRelErr(gpuResults[k]!, want, 1e-3);
        expect(err, `RNN ${mode}: result ${k} differs from the CPU by ${err}`).toBeLessThanOrEqual(tol);
      });
    }));
  }
});

// Convolutions run through cuDNN where it is found (cudnn_off: true forces the own im2col + GEMM
// kernels): forward, data, weight and bias gradients of both against the CPU, across geometries.
describe('convolutions on the GPU (cuDNN and own kernels) agree with the CPU', () => {
  type ConvCase = [string, 'Convolution' | 'Deconvolution', number[], number[], Record<string, unknown>, string?];
  const cases: ConvCase[] = [
    ['2-D 3x3 pad 1', 'Convolution', [2, 5, 9, 9], [6, 5, 3, 3], { kernel: [3, 3], num_filter: 6, pad: [1, 1] }],
    ['2-D stride 2, dilate 2, groups 2', 'Convolution', [3, 4, 11, 10], [6, 2, 3, 3],
      { kernel: [3, 3], num_filter: 6, stride: [2, 2], dilate: [2, 2], num_group: 2 }],
    ['2-D 1x1', 'Convolution', [2, 8, 5, 5], [4, 8, 1, 1], { kernel: [1, 1], num_filter: 4 }],
    ['2-D rectangular kernel, uneven stride', 'Convolution', [2, 3, 10, 7], [5, 3, 3, 2],
      { kernel: [3, 2], num_filter: 5, stride: [3, 1], pad: [2, 0] }],
    ['1-D', 'Convolution', [3, 4, 17], [6, 4, 5], { kernel: [5], num_filter: 6, pad: [2], stride: [2] }],
    ['3-D', 'Convolution', [2, 3, 5, 6, 7], [4, 3, 3, 3, 3], { kernel: [3, 3, 3], num_filter: 4, pad: [1, 1, 1] }],
    ['depthwise', 'Convolution', [2, 6, 8, 8], [6, 1, 3, 3], { kernel: [3, 3], num_filter: 6, num_group: 6, pad: [1, 1] }],
    ['float64', 'Convolution', [2, 3, 6, 6], [4, 3, 3, 3], { kernel: [3, 3], num_filter: 4 }, 'float64'],
    ['deconv stride 2 adj 1', 'Deconvolution', [2, 3, 5, 5], [3, 4, 3, 3],
      { kernel: [3, 3], num_filter: 4, stride: [2, 2], pad: [1, 1], adj: [1, 1], no_bias: false }],
    ['deconv groups, 1-D', 'Deconvolution', [2, 4, 9], [4, 3, 4], { kernel: [4], num_filter: 6, num_group: 2, stride: [2], no_bias: false }],
  ];
  function run(ctx: mx.Context, op: string, inputs: Arr[], params: Record<string, unknown>, add: boolean): number[][] {
    const ps = inputs.map((p) => p.copyto(ctx));
    for (const p of ps) p.attachGrad({ gradReq: add ? 'add' : 'write' });
    const call = (): Arr => (nd as Record<string, any>)[op](...ps, params);
    const head = rand(call().shape, 99, 1, ps[0].dtype, ctx);
    let out: Arr = null;
    for (let k = 0; k < (add ? 2 : 1); k++) {
      autograd.record(() => { out = call(); return out; }).backward(head);
    }
    return [values(out), ...ps.map((p) => values(p.grad))];
  }
  // auto: whichever ran faster on the first call; cudnn_tune 'off': cuDNN's first suggestion, no
  // timing (cuDNN forced); cudnn_off: the own kernels.
  const modes: Array<[string, Record<string, unknown>]> = [['', {}], [' (cuDNN)', { cudnn_tune: 'off' }], [' (own kernels)', { cudnn_off: true }]];
  for (const [name, op, xShape, wShape, params, dtype = 'float32'] of cases) {
    for (const [modeName, mode] of modes) {
      for (const add of mode.cudnn_off ? [false] : [false, true]) {
        onGpu(`${op} ${name}${modeName}${add ? ', gradients accumulated' : ''}`, (g) => mx.scope(() => {
          const channels = (params.num_filter as number);
          const noBias = params.no_bias === true || (op === 'Deconvolution' && params.no_bias === undefined);
          const inputs = [rand(xShape, 1, 1, dtype), rand(wShape, 2, 0.3, dtype), ...(noBias ? [] : [rand([channels], 3, 0.1, dtype)])];
          const p = { ...params, no_bias: noBias, ...mode };
          const want = run(mx.cpu(), op, inputs, p, add);
          const got = run(g, op, inputs, p, add);
          const tol = dtype === 'float64' ? 1e-10 : 2e-5;
          for (let i = 0; i < want.length; i++) {
            const err = maxRelErr(got[i]!, want[i]!, 1e-3);
            expect(err, `${name}: ${i === 0 ? 'output' : `gradient of input ${i - 1}`} differs by ${err}`).toBeLessThanOrEqual(tol);
          }
        }));
      }
    }
  }

  onGpu('BatchNorm inference with moving statistics (fused kernel) matches the CPU', (g) => mx.scope(() => {
    const inputs = [rand([4, 6, 7, 5], 1), rand([6], 2), rand([6], 3), rand([6], 4, 0.5), nd.abs(rand([6], 5)).add(0.5)];
    for (const fix_gamma of [true, false]) sameOnGpu(g, 'BatchNorm', inputs, { fix_gamma, eps: 1e-3 });
    sameOnGpu(g, 'BatchNorm', inputs, { fix_gamma: false, use_global_stats: true, axis: 1 });
  }));
});

describe('the executor on the GPU', () => {
  // Convolution -> BatchNorm (-> relu) runs as the convolution then one in-place epilogue pass
  // (graph/fuse_conv_bn.h): the bits of the unfused GPU runs (a monitor pushes those), and the
  // CPU's values within the dtype's tolerance. 7x7 maps make rows shorter than a block.
  const sym: any = mx.sym;
  const cases: Array<[string, number[], string]> = [
    ['float32, 14x14', [2, 8, 14, 14], 'float32'], ['float32, 7x7 maps', [3, 16, 7, 7], 'float32'],
    ['float16', [2, 8, 10, 10], 'float16'], ['float64', [2, 4, 6, 6], 'float64'],
  ];
  for (const [name, xs, dtype] of cases) {
    onGpu(`conv + BatchNorm + relu fuse in inference, ${name}`, (g) => mx.scope(() => {
      const f = 12;
      const net = sym.Activation({
        data: sym.BatchNorm({ data: sym.Convolution({ data: sym.Variable('data'), name: 'conv', kernel: [3, 3], pad: [1, 1],
                                                      numFilter: f, noBias: true }), name: 'bn', fixGamma: false }),
        name: 'act', actType: 'relu' });
      const args = {
        data: rand(xs, 11, 1, dtype), conv_weight: rand([f, xs[1]!, 3, 3], 12, 0.3, dtype),
        bn_gamma: nd.abs(rand([f], 13, 1, dtype)).add(0.5), bn_beta: rand([f], 14, 0.5, dtype),
      };
      const aux = { bn_moving_mean: rand([f], 15, 0.2, dtype), bn_moving_var: nd.abs(rand([f], 16, 1, dtype)).add(0.5) };
      const bind = (ctx: mx.Context) => net.bind(ctx, Object.fromEntries(Object.entries(args).map(([k, v]) => [k, v.copyto(ctx)])),
        { auxStates: Object.fromEntries(Object.entries(aux).map(([k, v]) => [k, v.copyto(ctx)])) });
      const ex = bind(g);
      expect(ex.planJSON().fused).toEqual([['conv', 'bn', 'act']]);
      const fused = values(ex.forward()[0]);
      ex.setMonitorCallback((_n: string, arr: Arr) => arr.dispose());
      const unfused = values(ex.forward()[0]);
      ex.setMonitorCallback(null);
      expect(fused).toEqual(unfused);
      expect(fused.some((v) => v === 0) && fused.some((v) => v > 0)).toBe(true);
      const cpuEx = bind(mx.cpu());
      const err = maxRelErr(fused, values(cpuEx.forward()[0]));
      expect(err, `differs from the CPU by ${err}`).toBeLessThanOrEqual(TOL[dtype]! * 10);
      ex.dispose();
      cpuEx.dispose();
    }));
  }

  // A float32 element-wise tree runs as one kernel (ops/elemwise/fused_device.h), forward and
  // backward: the bits of the unfused GPU kernels, the CPU's values within tolerance.
  onGpu('element-wise trees fuse into one kernel, forward and backward', (g) => mx.scope(() => {
    const a = sym.Variable('a'), b = sym.Variable('b'), c = sym.Variable('c');
    const y = sym.Activation({ data: a.mul(b).add(c).mul(0.5).rsub(1), actType: 'tanh', name: 'act' })
      .div(sym.sigmoid({ data: a }).add(1));
    const n = 5000;
    const run = (ctx: mx.Context, fused: boolean): number[][] => {
      const args = { a: rand([n], 1, 2, 'float32', ctx), b: rand([n], 2, 2, 'float32', ctx), c: rand([n], 3, 2, 'float32', ctx) };
      const grads = { a: nd.zeros([n], { ctx }), b: nd.zeros([n], { ctx }), c: nd.zeros([n], { ctx }) };
      const ex = y.bind(ctx, args, { argsGrad: grads });
      if (ctx.equals(g)) expect(ex.planJSON().fused.length).toBeGreaterThan(0);
      if (!fused) ex.setMonitorCallback((_n: string, arr: Arr) => arr.dispose());
      ex.forward({ isTrain: true });
      ex.backward(rand([n], 4, 1, 'float32', ctx));
      const out = [values(ex.outputs[0]), ...['a', 'b', 'c'].map((k) => values((grads as any)[k]))];
      ex.dispose();
      return out;
    };
    const fusedGpu = run(g, true), unfusedGpu = run(g, false), cpu = run(mx.cpu(), true);
    fusedGpu.forEach((v, k) => {
      expect(v, `result ${k}: fused against unfused kernels`).toEqual(unfusedGpu[k]);
      expect(maxRelErr(v, cpu[k]!), `result ${k} against the CPU`).toBeLessThanOrEqual(1e-5);
    });
  }));
});

describe('errors raised on the GPU', () => {
  onGpu('an out-of-range index in a GPU kernel surfaces as IsotensorError at the next read', (g) => {
    const data = nd.array([[1, 2], [3, 4]], { ctx: g });
    expect(() => nd.take(data, nd.array([0, 5], { ctx: g }), { mode: 'raise' }).dataSync()).toThrow(mx.IsotensorError);
    expect(values(nd.take(data, nd.array([1], { ctx: g })))).toEqual([3, 4]);  // still works
  });

  onGpu('mixing cpu and gpu inputs names the op and both contexts', (g) => {
    expect(() => nd.elemwise_add(nd.ones([2], { ctx: g }), nd.ones([2], onCpu))).toThrow(/elemwise_add.*(gpu\(0\)|cpu\(0\))/);
  });

  onGpu('a device that does not exist is a clear error', () => {
    const n = gpuCount();
    expect(() => nd.ones([2], { ctx: mx.gpu(n) })).toThrow(new RegExp(`gpu\\(${n}\\) is not available`));
  });
});
