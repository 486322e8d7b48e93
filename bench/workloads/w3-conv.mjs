// W3: 2-D convolution forward, 64 -> 64 channels, 3x3 kernel, pad 1, on 56x56 maps (ResNet's first stage).

import { randomFloat32 } from '../lib/data.mjs';
import { finish } from '../lib/sync.mjs';

export const id = 'W3';
export const title = 'Conv2D 64->64 3x3 float32';

const C = 64, F = 64, H = 56, W = 56, K = 3;
const convCase = (caseId, N, reps) => ({
  id: caseId,
  label: `Conv ${N}x${C}x${H}x${W} k3 p1`,
  params: { N },
  timing: { warmup: 2, reps, budgetMs: 20000 },
  fractionOf: 'peak', // GFLOP/s also printed as % of the measured f32 peak (bench/lib/peak.mjs)
  fractionNote: 'W3 GFLOP/s count the direct convolution\'s flops (2·N·F·H·W·C·9); isotensor runs 3x3 stride-1 '
    + 'convolutions as Winograd F(2x2, 3x3), 2.25x fewer multiply-adds, so its W3 fractions are effective ones, '
    + 'not the share of the arithmetic units kept busy (they can pass 100 %)',
  units: [
    { name: 'ms', of: (ms) => ms },
    { name: 'GFLOP/s', of: (ms) => (2 * N * F * H * W * C * K * K) / (ms * 1e6) },
  ],
});

export const cases = [convCase('W3a', 1, 30), convCase('W3b', 16, 6)];

// The targets: isotensor's wasm threads build >= 1.2x onnxruntime-web (same thread count) and
// tfjs-backend-wasm, the native addon >= 1.0x PyTorch and onnxruntime-node (these replace "native within
// 1.5x of PyTorch"); the single-thread wasm build against tfjs-backend-wasm stays as it was.
export const targets = [
  ...['W3a', 'W3b'].flatMap((c) => {
    const what = `conv batch ${c === 'W3a' ? 1 : 16}`;
    return [
      { case: c, ratio: ['ortweb-mt', 'iso-wasm-mt'], atLeast: 1.2, text: `wasm-threads ${what} >= 1.2x onnxruntime-web (same threads)` },
      { case: c, ratio: ['tfjs-wasm', 'iso-wasm-mt'], atLeast: 1.2, text: `wasm-threads ${what} >= 1.2x tfjs-backend-wasm` },
      { case: c, ratio: ['tfjs-wasm', 'iso-wasm-1t'], atLeast: 1.0, text: `wasm-single ${what} >= tfjs-backend-wasm` },
      { case: c, ratio: ['torch', 'iso-native'], atLeast: 1.0, text: `native ${what} >= 1.0x PyTorch` },
      { case: c, ratio: ['ortnode', 'iso-native'], atLeast: 1.0, text: `native ${what} >= 1.0x onnxruntime-node` },
    ];
  }),
];

export function onnxGraph({ N }) {
  return {
    nodes: [{ op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'],
      attrs: { kernel_shape: [K, K], pads: [1, 1, 1, 1], strides: [1, 1] } }],
    inputs: [{ name: 'x', shape: [N, C, H, W] }],
    outputs: [{ name: 'y', shape: [N, F, H, W] }],
    initializers: [
      { name: 'w', shape: [F, C, K, K], data: randomFloat32(F * C * K * K, 7) },
      { name: 'b', shape: [F], data: randomFloat32(F, 9) },
    ],
  };
}

// A wrong fast path must not look fast: spot-check outputs against a direct float64 sum.
function checkConv(x, w, b, y, N) {
  for (const [n, f, i, j] of [[0, 0, 0, 0], [N - 1, F - 1, H - 1, W - 1], [0, 5, 17, 30], [N - 1, 1, 0, W - 1]]) {
    let want = b[f];
    for (let c = 0; c < C; c++) {
      for (let di = 0; di < K; di++) {
        for (let dj = 0; dj < K; dj++) {
          const ii = i + di - 1, jj = j + dj - 1;
          if (ii < 0 || jj < 0 || ii >= H || jj >= W) continue;
          want += x[((n * C + c) * H + ii) * W + jj] * w[((f * C + c) * K + di) * K + dj];
        }
      }
    }
    const got = y[((n * F + f) * H + i) * W + j];
    if (!(Math.abs(got - want) <= 1e-3 * (1 + Math.abs(want)))) {
      throw new Error(`conv check: y[${n},${f},${i},${j}] = ${got}, want ${want}`);
    }
  }
}

export const impl = {
  async isotensor({ mx, ctx = mx.cpu() }, { N }) {
    const { nd } = mx;
    const x = nd.random.uniform({ shape: [N, C, H, W], ctx });
    const w = nd.random.uniform({ low: -0.1, high: 0.1, shape: [F, C, K, K], ctx });
    const b = nd.random.uniform({ shape: [F], ctx });
    const opts = { kernel: [K, K], pad: [1, 1], numFilter: F };
    const y = nd.Convolution(x, w, b, opts);
    checkConv(x.dataSync(), w.dataSync(), b.dataSync(), y.dataSync(), N);
    y.dispose();
    return {
      call() {
        const y = nd.Convolution(x, w, b, opts);
        finish(mx, y);
        y.dispose();
      },
      dispose() { x.dispose(); w.dispose(); b.dispose(); },
    };
  },

  async ort({ ort, createSession }, p) {
    const session = await createSession(onnxGraph(p));
    const feeds = { x: new ort.Tensor('float32', randomFloat32(p.N * C * H * W), [p.N, C, H, W]) };
    return {
      async call() { await session.run(feeds); },
      async dispose() { await session.release(); },
    };
  },

  // tfjs convolves NHWC with HWIO filters (its native layout; NCHW is not supported on wasm).
  async tfjs({ tf }, { N }) {
    const x = tf.randomUniform([N, H, W, C]);
    const w = tf.randomUniform([K, K, C, F], -0.1, 0.1);
    const b = tf.randomUniform([F]);
    return {
      call() { tf.tidy(() => tf.add(tf.conv2d(x, w, 1, 'same'), b)).dispose(); },
      dispose() { x.dispose(); w.dispose(); b.dispose(); },
    };
  },
};
