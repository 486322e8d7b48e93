// W5: ResNet-18 (v1, ImageNet layout) inference in float32 on 224x224 images, batch 1 and 16.
//
// 7x7/2 conv 64 + BN + relu, 3x3/2 max pool, four stages of two BasicBlocks (64, 128, 256, 512
// channels; the first block of stages 2-4 has stride 2 and a 1x1/2 conv + BN projection shortcut),
// global average pool, FC 1000. Convolutions have no bias (BN follows each); BN runs in inference
// mode on its moving statistics. Weights and statistics are random (seeded, fixed ranges below), the
// same arrays for isotensor and onnxruntime; PyTorch (bench/python/torch_worker.py) draws the same
// ranges with its own seeded generator. tfjs-backend-wasm runs the same weights in NHWC (see impl.tfjs).
//
// W5a also measures peak memory (bench/worker.mjs --memory; the method is described there): the row
// `W5a peak memory` in the table, MB the model and one batch-1 inference add to a running library.

import { randomFloat32 } from '../lib/data.mjs';
import { finish } from '../lib/sync.mjs';

export const id = 'W5';
export const title = 'ResNet-18 inference float32';

const IMG = 224, CLASSES = 1000, EPS = 1e-5;
const STAGES = [64, 128, 256, 512];

/** The layers in order: convs {k, s, p, cin, cout, hin}, BNs and the FC, with output sizes. */
function architecture() {
  const convs = [];
  const conv = (name, cin, cout, k, s, hin) => {
    const p = k >> 1;
    const hout = Math.floor((hin + 2 * p - k) / s) + 1;
    convs.push({ name, cin, cout, k, s, p, hin, hout });
    return { name, cin, cout, k, s, p, hin, hout };
  };
  const stem = conv('conv1', 3, 64, 7, 2, IMG); // 112
  let h = Math.floor((stem.hout + 2 - 3) / 2) + 1; // max pool 3x3/2 pad 1: 56
  let cin = 64;
  const blocks = [];
  STAGES.forEach((cout, i) => {
    for (let b = 0; b < 2; b++) {
      const s = i > 0 && b === 0 ? 2 : 1;
      const name = `layer${i + 1}.${b}`;
      const c1 = conv(`${name}.conv1`, cin, cout, 3, s, h);
      const c2 = conv(`${name}.conv2`, cout, cout, 3, 1, c1.hout);
      const down = s !== 1 || cin !== cout ? conv(`${name}.downsample`, cin, cout, 1, s, h) : null;
      blocks.push({ name, c1, c2, down });
      h = c1.hout;
      cin = cout;
    }
  });
  return { stem, blocks, convs, poolOut: 56 };
}

const ARCH = architecture();
// Multiply-adds per image: the convolutions and the FC (BN, relu, pooling and adds are not counted).
const MACS = ARCH.convs.reduce((a, c) => a + c.cout * c.hout * c.hout * c.cin * c.k * c.k, 0) + 512 * CLASSES;

const resnetCase = (caseId, N, reps) => ({
  id: caseId,
  label: `ResNet-18 b${N} 224x224`,
  params: { N },
  timing: { warmup: 2, reps, budgetMs: 20000 },
  units: [
    { name: 'ms', of: (ms) => ms },
    { name: 'img/s', of: (ms) => (N * 1000) / ms },
    { name: 'GFLOP/s', of: (ms) => (2 * MACS * N) / (ms * 1e6) },
  ],
});

// W5as / W5bs: the same network as one Symbol bound by the executor (inference), where BatchNorm,
// the residual add and the relu run as the convolution's epilogue (graph/fuse_conv_bn.h); the
// peers' rows are W5a's / W5b's.
export const cases = [
  { ...resnetCase('W5a', 1, 20), memory: { prepare: prepareMemory } },
  { ...resnetCase('W5as', 1, 20), label: 'same, Symbol executor (fused)', params: { N: 1, symbolic: true }, peersFrom: 'W5a' },
  resnetCase('W5b', 16, 6),
  { ...resnetCase('W5bs', 16, 6), label: 'same, Symbol executor (fused)', params: { N: 16, symbolic: true }, peersFrom: 'W5b' },
];

// The targets: isotensor's wasm threads build >= 1.2x onnxruntime-web (same thread count) and
// tfjs-backend-wasm, the native addon >= 1.0x PyTorch and onnxruntime-node; batch 1 uses no more memory
// than onnxruntime.
export const targets = [
  ...['W5a', 'W5b', 'W5as', 'W5bs'].flatMap((c) => {
    const what = `ResNet-18 batch ${c.startsWith('W5a') ? 1 : 16}${c.endsWith('s') ? ' (Symbol executor)' : ''}`;
    return [
      { case: c, ratio: ['ortweb-mt', 'iso-wasm-mt'], atLeast: 1.2, text: `wasm-threads ${what} >= 1.2x onnxruntime-web (same threads)` },
      { case: c, ratio: ['tfjs-wasm', 'iso-wasm-mt'], atLeast: 1.2, text: `wasm-threads ${what} >= 1.2x tfjs-backend-wasm` },
      { case: c, ratio: ['torch', 'iso-native'], atLeast: 1.0, text: `native ${what} >= 1.0x PyTorch` },
      { case: c, ratio: ['ortnode', 'iso-native'], atLeast: 1.0, text: `native ${what} >= 1.0x onnxruntime-node` },
    ];
  }),
  { case: 'W5a', metric: 'peakMemory', ratio: ['ortnode', 'iso-native'], atLeast: 1.0,
    text: 'native ResNet-18 batch-1 peak bytes <= onnxruntime-node\'s' },
  { case: 'W5a', metric: 'peakMemory', ratio: ['ortweb-mt', 'iso-wasm-mt'], atLeast: 1.0,
    text: 'wasm-threads ResNet-18 batch-1 peak bytes <= onnxruntime-web\'s' },
  { case: 'W5b', ratio: ['torch-cuda', 'iso-gpu'], atLeast: 0.9, text: 'ResNet-18 batch 16 on GPU >= 0.9x PyTorch CUDA' },
];

// ---- weights: host Float32Arrays, generated once per process and shared by every case and peer ----

const uniform = (n, lo, hi, seed) => {
  const u = randomFloat32(n, seed);
  for (let i = 0; i < n; i++) u[i] = lo + (hi - lo) * u[i];
  return u;
};

let weightsCache = null;
/**
 * conv weight (cout, cin, k, k) U(±sqrt(3 / fan_in)) (variance 1 / fan_in, so activations keep their
 * scale through the 18 layers); BN gamma U(0.5, 1.5), beta U(-0.1, 0.1), moving mean U(-0.1, 0.1),
 * moving var U(0.5, 1.5); FC weight (1000, 512) U(±sqrt(3 / 512)), bias U(-0.1, 0.1).
 */
function weights() {
  if (weightsCache) return weightsCache;
  let seed = 1000;
  const w = {};
  for (const c of ARCH.convs) {
    const fanIn = c.cin * c.k * c.k, a = Math.sqrt(3 / fanIn);
    w[c.name] = { shape: [c.cout, c.cin, c.k, c.k], data: uniform(c.cout * fanIn, -a, a, seed++) };
    w[`${c.name}.bn`] = {
      gamma: uniform(c.cout, 0.5, 1.5, seed++), beta: uniform(c.cout, -0.1, 0.1, seed++),
      mean: uniform(c.cout, -0.1, 0.1, seed++), var: uniform(c.cout, 0.5, 1.5, seed++),
    };
  }
  const a = Math.sqrt(3 / 512);
  w.fc = { shape: [CLASSES, 512], data: uniform(CLASSES * 512, -a, a, seed++), bias: uniform(CLASSES, -0.1, 0.1, seed++) };
  weightsCache = w;
  return w;
}

/** The input batch, U(-1, 1). */
const inputData = (N) => uniform(N * 3 * IMG * IMG, -1, 1, 3);

// ---- onnxruntime graph ----

export function onnxGraph({ N }) {
  const w = weights();
  const nodes = [], initializers = [];
  const init = (name, shape, data) => { initializers.push({ name, shape, data }); return name; };
  const convBn = (x, c, relu) => {
    const bn = w[`${c.name}.bn`];
    nodes.push({ op: 'Conv', inputs: [x, init(`${c.name}.w`, w[c.name].shape, w[c.name].data)], outputs: [`${c.name}.y`],
      attrs: { kernel_shape: [c.k, c.k], strides: [c.s, c.s], pads: [c.p, c.p, c.p, c.p] } });
    nodes.push({ op: 'BatchNormalization', outputs: [`${c.name}.bn.y`], attrs: { epsilon: EPS },
      inputs: [`${c.name}.y`, ...['gamma', 'beta', 'mean', 'var'].map((k) => init(`${c.name}.bn.${k}`, [c.cout], bn[k]))] });
    if (!relu) return `${c.name}.bn.y`;
    nodes.push({ op: 'Relu', inputs: [`${c.name}.bn.y`], outputs: [`${c.name}.relu`] });
    return `${c.name}.relu`;
  };
  let x = convBn('x', ARCH.stem, true);
  nodes.push({ op: 'MaxPool', inputs: [x], outputs: ['pool'],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } });
  x = 'pool';
  for (const b of ARCH.blocks) {
    const a = convBn(x, b.c1, true);
    const y = convBn(a, b.c2, false);
    const sc = b.down ? convBn(x, b.down, false) : x;
    nodes.push({ op: 'Add', inputs: [y, sc], outputs: [`${b.name}.add`] });
    nodes.push({ op: 'Relu', inputs: [`${b.name}.add`], outputs: [`${b.name}.out`] });
    x = `${b.name}.out`;
  }
  nodes.push({ op: 'GlobalAveragePool', inputs: [x], outputs: ['gap'] });
  nodes.push({ op: 'Flatten', inputs: ['gap'], outputs: ['flat'], attrs: { axis: 1 } });
  nodes.push({ op: 'Gemm', inputs: ['flat', init('fc.w', w.fc.shape, w.fc.data), init('fc.b', [CLASSES], w.fc.bias)],
    outputs: ['y'], attrs: { transB: 1 } });
  return {
    nodes, initializers,
    inputs: [{ name: 'x', shape: [N, 3, IMG, IMG] }],
    outputs: [{ name: 'y', shape: [N, CLASSES] }],
  };
}

// ---- isotensor ----

/** The model's weights as NDArrays on `ctx`, with their host copies for the check. */
function uploadWeights(nd, ctx) {
  const w = weights();
  const arrays = [];
  const up = (data, shape) => { const a = nd.array(data, { ctx, shape }); arrays.push(a); return a; };
  const P = {};
  for (const c of ARCH.convs) {
    const bn = w[`${c.name}.bn`];
    P[c.name] = { spec: c, w: up(w[c.name].data, w[c.name].shape), host: w[c.name].data };
    P[`${c.name}.bn`] = { host: bn, ...Object.fromEntries(['gamma', 'beta', 'mean', 'var'].map((k) => [k, up(bn[k], [c.cout])])) };
  }
  P.fc = { w: up(w.fc.data, w.fc.shape), b: up(w.fc.bias, [CLASSES]), host: w.fc };
  return { P, dispose: () => arrays.forEach((a) => a.dispose()) };
}

/**
 * One forward pass with the public ops. Every intermediate is disposed as soon as it is used; with
 * `hook`, each op's (kind, inputs, output, params) is reported before its inputs are released.
 */
function forward(nd, P, x, hook) {
  const step = (y, kind, ins, p) => { hook?.(kind, ins, y, p); return y; };
  const convBn = (x, c, relu) => {
    const { spec: s } = P[c.name];
    const y1 = step(nd.Convolution(x, P[c.name].w, { kernel: [s.k, s.k], stride: [s.s, s.s], pad: [s.p, s.p],
      numFilter: s.cout, noBias: true }), 'conv', [x], P[c.name]);
    const bn = P[`${c.name}.bn`];
    const y2 = step(nd.BatchNorm(y1, bn.gamma, bn.beta, bn.mean, bn.var,
      { eps: EPS, fixGamma: false, useGlobalStats: true }), 'bn', [y1], bn);
    y1.dispose();
    if (!relu) return y2;
    const y3 = step(nd.relu(y2), 'relu', [y2]);
    y2.dispose();
    return y3;
  };
  const stem = convBn(x, ARCH.stem, true);
  let h = step(nd.Pooling(stem, { kernel: [3, 3], stride: [2, 2], pad: [1, 1], poolType: 'max' }), 'maxpool', [stem]);
  stem.dispose();
  for (const b of ARCH.blocks) {
    const a = convBn(h, b.c1, true);
    const y = convBn(a, b.c2, false);
    a.dispose();
    const sc = b.down ? convBn(h, b.down, false) : h;
    const s = step(nd.elemwise_add(y, sc), 'add', [y, sc]);
    y.dispose();
    if (sc !== h) sc.dispose();
    const out = step(nd.relu(s), 'relu', [s]);
    s.dispose();
    if (h !== x) h.dispose();
    h = out;
  }
  const g = step(nd.Pooling(h, { globalPool: true, poolType: 'avg', kernel: [1, 1] }), 'avgpool', [h]);
  h.dispose();
  const y = step(nd.FullyConnected(g, P.fc.w, P.fc.b, { numHidden: CLASSES }), 'fc', [g], P.fc);
  g.dispose();
  return y;
}

/** The network of forward() as one Symbol: parameters named `<conv>_weight`, `<conv>_bn_*`, `fc_*`. */
function buildSymbol(sym) {
  const convBn = (x, c, relu) => {
    const y = sym.BatchNorm({
      data: sym.Convolution({ data: x, name: c.name, kernel: [c.k, c.k], stride: [c.s, c.s], pad: [c.p, c.p],
        numFilter: c.cout, noBias: true }),
      name: `${c.name}_bn`, eps: EPS, fixGamma: false });
    return relu ? sym.relu({ data: y }) : y;
  };
  const x = sym.Variable('data');
  let h = sym.Pooling({ data: convBn(x, ARCH.stem, true), kernel: [3, 3], stride: [2, 2], pad: [1, 1], poolType: 'max' });
  for (const b of ARCH.blocks) {
    const y = convBn(convBn(h, b.c1, true), b.c2, false);
    const sc = b.down ? convBn(h, b.down, false) : h;
    h = sym.relu({ data: sym.elemwise_add({ lhs: y, rhs: sc }) });
  }
  const g = sym.Pooling({ data: h, globalPool: true, poolType: 'avg', kernel: [1, 1] });
  return sym.FullyConnected({ data: g, name: 'fc', numHidden: CLASSES });
}

/** Binds buildSymbol's network to the uploaded weights and the input x (inference). */
function bindSymbol(mx, ctx, P, x) {
  const net = buildSymbol(mx.sym);
  const args = { data: x, fc_weight: P.fc.w, fc_bias: P.fc.b };
  const aux = {};
  for (const c of ARCH.convs) {
    const bn = P[`${c.name}.bn`];
    args[`${c.name}_weight`] = P[c.name].w;
    args[`${c.name}_bn_gamma`] = bn.gamma;
    args[`${c.name}_bn_beta`] = bn.beta;
    aux[`${c.name}_bn_moving_mean`] = bn.mean;
    aux[`${c.name}_bn_moving_var`] = bn.var;
  }
  return { net, ex: net.bind(ctx, args, { auxStates: aux }) };
}

// A wrong fast path must not look fast: every op of one forward pass is spot-checked against a float64
// evaluation of that op on its actual (read-back) inputs, at the first, last and 30 scattered outputs.
function makeChecker() {
  const host = new WeakMap();
  const read = (a) => {
    let v = host.get(a);
    if (!v) { v = { data: a.dataSync(), shape: a.shape }; host.set(a, v); }
    return v;
  };
  let ops = 0;
  const hook = (kind, ins, out, p) => {
    const X = ins.map(read);
    const Y = read(out);
    const [n0, c0, h0 = 1, w0 = 1] = X[0].shape;
    const [, C, H = 1, W = 1] = Y.shape;
    const x = X[0].data;
    const xAt = (n, c, i, j) => (i < 0 || j < 0 || i >= h0 || j >= w0 ? null : x[((n * c0 + c) * h0 + i) * w0 + j]);
    if (!Y.data.every(Number.isFinite)) throw new Error(`ResNet-18 check: ${kind} #${ops} output is not finite`);
    const size = Y.data.length;
    const picks = [0, size - 1];
    let r = 12345 + ops;
    for (let t = 0; t < 30; t++) { r = (r * 1103515245 + 12345) >>> 0; picks.push(r % size); }
    for (const idx of picks) {
      const j = idx % W, i = Math.floor(idx / W) % H, c = Math.floor(idx / (W * H)) % C, n = Math.floor(idx / (W * H * C));
      let want, scale;
      if (kind === 'conv') {
        const s = p.spec, w = p.host;
        want = 0; scale = 0;
        for (let ci = 0; ci < s.cin; ci++) {
          for (let di = 0; di < s.k; di++) {
            for (let dj = 0; dj < s.k; dj++) {
              const v = xAt(n, ci, i * s.s + di - s.p, j * s.s + dj - s.p);
              if (v == null) continue;
              const t = v * w[((c * s.cin + ci) * s.k + di) * s.k + dj];
              want += t; scale += Math.abs(t);
            }
          }
        }
      } else if (kind === 'bn') {
        const b = p.host;
        want = ((x[idx] - b.mean[c]) / Math.sqrt(b.var[c] + EPS)) * b.gamma[c] + b.beta[c];
        scale = Math.abs(want) + Math.abs(x[idx]);
      } else if (kind === 'relu') {
        want = Math.max(0, x[idx]); scale = Math.abs(want);
      } else if (kind === 'add') {
        want = x[idx] + X[1].data[idx]; scale = Math.abs(x[idx]) + Math.abs(X[1].data[idx]);
      } else if (kind === 'maxpool') {
        want = -Infinity;
        for (let di = 0; di < 3; di++) for (let dj = 0; dj < 3; dj++) {
          const v = xAt(n, c, 2 * i + di - 1, 2 * j + dj - 1);
          if (v != null && v > want) want = v;
        }
        scale = Math.abs(want);
      } else if (kind === 'avgpool') {
        want = 0; scale = 0;
        for (let a = 0; a < h0; a++) for (let b = 0; b < w0; b++) { want += xAt(n, c, a, b); scale += Math.abs(xAt(n, c, a, b)); }
        want /= h0 * w0; scale /= h0 * w0;
      } else if (kind === 'fc') {
        // y (N, 1000) from x (N, 512, 1, 1) flattened: here idx = n * 1000 + o (W = H = 1, C = 1000).
        const o = c, k = c0 * h0 * w0;
        want = p.host.bias[o]; scale = Math.abs(want);
        for (let q = 0; q < k; q++) { const t = x[n * k + q] * p.host.data[o * k + q]; want += t; scale += Math.abs(t); }
      }
      const got = Y.data[idx];
      if (!(Math.abs(got - want) <= 2e-4 * scale + 1e-5)) {
        throw new Error(`ResNet-18 check: ${kind} #${ops} output[${n},${c},${i},${j}] = ${got}, want ${want}`);
      }
    }
    if (n0 !== Y.shape[0]) throw new Error(`ResNet-18 check: ${kind} #${ops} batch ${n0} -> ${Y.shape[0]}`);
    ops++;
  };
  return { hook, count: () => ops };
}

/**
 * Before the memory baseline (bench/worker.mjs --memory): the host weights every column holds alike,
 * and the library's runtime started with a one-op model, so neither counts as the model's memory.
 */
async function prepareMemory(kind, lib) {
  weights();
  if (kind === 'ort') {
    const session = await lib.createSession({ nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
      inputs: [{ name: 'x', shape: [4] }], outputs: [{ name: 'y', shape: [4] }] });
    await session.run({ x: new lib.ort.Tensor('float32', new Float32Array(4), [4]) });
    await session.release();
  } else if (kind === 'tfjs') {
    lib.tf.tidy(() => lib.tf.conv2d(lib.tf.ones([1, 4, 4, 1]), lib.tf.ones([3, 3, 1, 1]), 1, 'same')).dataSync();
  } else if (kind === 'isotensor') {
    const a = lib.mx.nd.ones([4], { ctx: lib.ctx });
    const b = a.add(a);
    b.dataSync();
    a.dispose();
    b.dispose();
  }
}

export const impl = {
  async isotensor({ mx, ctx = mx.cpu() }, { N, symbolic = false }) {
    const { nd } = mx;
    const { P, dispose } = uploadWeights(nd, ctx);
    const x = nd.array(inputData(N), { ctx, shape: [N, 3, IMG, IMG] });
    const checker = makeChecker();
    const y0 = forward(nd, P, x, checker.hook);
    const want = ARCH.convs.length * 2 + 1 /* maxpool */ + ARCH.blocks.length * 2 /* add, relu */ + 1 /* stem relu */
      + ARCH.blocks.length /* relu inside */ + 2 /* avgpool, fc */;
    if (checker.count() !== want || String(y0.shape) !== String([N, CLASSES])) {
      throw new Error(`ResNet-18 check: ${checker.count()} ops (want ${want}), output shape ${y0.shape}`);
    }
    if (symbolic) {
      // The executor's output against the op-by-op one checked above (same kernels: equal bits expected).
      const { net, ex } = bindSymbol(mx, ctx, P, x);
      const got = ex.forward()[0].dataSync();
      const ref = y0.dataSync();
      y0.dispose();
      for (let i = 0; i < ref.length; i++) {
        if (!(Math.abs(got[i] - ref[i]) <= 1e-5 * (1 + Math.abs(ref[i])))) {
          throw new Error(`ResNet-18 executor check: output[${i}] = ${got[i]}, op by op ${ref[i]}`);
        }
      }
      return {
        call() { finish(mx, ex.forward()[0]); },
        dispose() { ex.dispose(); net.dispose(); x.dispose(); dispose(); },
      };
    }
    y0.dispose();
    return {
      call() {
        const y = forward(nd, P, x);
        finish(mx, y);
        y.dispose();
      },
      dispose() { x.dispose(); dispose(); },
    };
  },

  async ort({ ort, createSession }, p) {
    const session = await createSession(onnxGraph(p));
    const feeds = { x: new ort.Tensor('float32', inputData(p.N), [p.N, 3, IMG, IMG]) };
    return {
      async call() { await session.run(feeds); },
      async dispose() { await session.release(); },
    };
  },

  // tfjs-backend-wasm, NHWC with HWIO filters (its layout; NCHW is not supported on wasm), the same
  // weights. BatchNorm is folded into each convolution's filter and bias and the relu fused into it
  // (tf.fused.conv2d), as tfjs-converter emits a ResNet and as onnxruntime does to its graph
  // (graphOptimizationLevel 'all'); isotensor runs BatchNorm as its own op. Explicit symmetric padding
  // (pad = k >> 1), as in the other columns; max pool 3x3/2 pad 1; global average pool = mean over H, W;
  // FC as tf.fused.matMul with a bias and the weight stored transposed, (512, 1000): with transposeB
  // and a bias, tfjs-backend-wasm 4.22's fused matMul returned wrong values (checked against float64).
  async tfjs({ tf }, { N }) {
    const w = weights();
    const tensors = [];
    const keep = (t) => { tensors.push(t); return t; };
    const L = {};
    for (const c of ARCH.convs) {
      const bn = w[`${c.name}.bn`], src = w[c.name].data, fanIn = c.cin * c.k * c.k;
      const hwio = new Float32Array(fanIn * c.cout), bias = new Float32Array(c.cout);
      for (let o = 0; o < c.cout; o++) {
        const scale = bn.gamma[o] / Math.sqrt(bn.var[o] + EPS);
        bias[o] = bn.beta[o] - bn.mean[o] * scale;
        for (let i = 0; i < c.cin; i++) {
          for (let a = 0; a < c.k; a++) {
            for (let b = 0; b < c.k; b++) {
              hwio[((a * c.k + b) * c.cin + i) * c.cout + o] = src[((o * c.cin + i) * c.k + a) * c.k + b] * scale;
            }
          }
        }
      }
      L[c.name] = { spec: c, filter: keep(tf.tensor4d(hwio, [c.k, c.k, c.cin, c.cout])), bias: keep(tf.tensor1d(bias)) };
    }
    const fcT = new Float32Array(512 * CLASSES);
    for (let o = 0; o < CLASSES; o++) for (let i = 0; i < 512; i++) fcT[i * CLASSES + o] = w.fc.data[o * 512 + i];
    const fcW = keep(tf.tensor2d(fcT, [512, CLASSES])), fcB = keep(tf.tensor1d(w.fc.bias));
    const nchw = inputData(N), nhwc = new Float32Array(nchw.length);
    for (let n = 0; n < N; n++) {
      for (let ch = 0; ch < 3; ch++) {
        for (let p = 0; p < IMG * IMG; p++) nhwc[(n * IMG * IMG + p) * 3 + ch] = nchw[(n * 3 + ch) * IMG * IMG + p];
      }
    }
    const x = keep(tf.tensor4d(nhwc, [N, IMG, IMG, 3]));
    const conv = (h, c, relu) => {
      const l = L[c.name];
      return tf.fused.conv2d({ x: h, filter: l.filter, bias: l.bias, strides: l.spec.s, pad: l.spec.p,
        activation: relu ? 'relu' : 'linear' });
    };
    const forwardTf = () => tf.tidy(() => {
      let h = tf.maxPool(conv(x, ARCH.stem, true), 3, 2, 1);
      for (const b of ARCH.blocks) {
        const y = conv(conv(h, b.c1, true), b.c2, false);
        h = tf.relu(tf.add(y, b.down ? conv(h, b.down, false) : h));
      }
      return tf.fused.matMul({ a: tf.mean(h, [1, 2]), b: fcW, bias: fcB });
    });
    const y0 = forwardTf();
    if (String(y0.shape) !== String([N, CLASSES]) || !y0.dataSync().every(Number.isFinite)) {
      throw new Error(`ResNet-18 tfjs check: output shape ${y0.shape} or values not finite`);
    }
    y0.dispose();
    return {
      call() { forwardTf().dispose(); },
      dispose() { tensors.forEach((t) => t.dispose()); },
    };
  },
};
