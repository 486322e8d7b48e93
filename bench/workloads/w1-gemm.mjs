// W1: float32 matrix multiply C = A·B, one call per timed repetition.

import { randomFloat32 } from '../lib/data.mjs';
import { finish } from '../lib/sync.mjs';

export const id = 'W1';
export const title = 'GEMM float32';

const gemmCase = (caseId, M, K, N, reps) => ({
  id: caseId,
  label: `GEMM ${M}x${K}x${N}`,
  params: { M, K, N },
  timing: { warmup: 2, reps, budgetMs: 20000 },
  fractionOf: 'peak', // GFLOP/s also printed as % of the measured f32 peak (bench/lib/peak.mjs)
  units: [
    { name: 'ms', of: (ms) => ms },
    { name: 'GFLOP/s', of: (ms) => (2 * M * K * N) / (ms * 1e6) },
  ],
});

export const cases = [gemmCase('W1a', 256, 1024, 2048, 20), gemmCase('W1b', 2048, 2048, 2048, 6)];

// The targets: isotensor's wasm threads build >= 1.2x onnxruntime-web (same thread count) and
// tfjs-backend-wasm, the native addon >= 1.0x PyTorch and onnxruntime-node; GEMM 2048 at >= 70 % of the
// AVX-512 FMA peak (native) and >= 60 % of the SIMD128 peak (wasm), both measured in the same run with
// the column's thread count. The single-thread wasm build against tfjs-backend-wasm (single-threaded in
// Node) stays as it was.
export const targets = [
  ...['W1a', 'W1b'].flatMap((c) => {
    const what = c === 'W1a' ? 'GEMM 256x1024x2048' : 'GEMM 2048';
    return [
      { case: c, ratio: ['ortweb-mt', 'iso-wasm-mt'], atLeast: 1.2, text: `wasm-threads ${what} >= 1.2x onnxruntime-web (same threads)` },
      { case: c, ratio: ['tfjs-wasm', 'iso-wasm-mt'], atLeast: 1.2, text: `wasm-threads ${what} >= 1.2x tfjs-backend-wasm` },
      { case: c, ratio: ['tfjs-wasm', 'iso-wasm-1t'], atLeast: 1.0, text: `wasm-single ${what} >= 1.0x tfjs-backend-wasm` },
      { case: c, ratio: ['torch', 'iso-native'], atLeast: 1.0, text: `native ${what} >= 1.0x PyTorch` },
      { case: c, ratio: ['ortnode', 'iso-native'], atLeast: 1.0, text: `native ${what} >= 1.0x onnxruntime-node` },
    ];
  }),
  { case: 'W1b', column: 'iso-native', fractionOf: 'peak', atLeast: 0.7, text: 'native GEMM 2048 >= 70 % of the AVX-512 FMA peak (same threads)' },
  { case: 'W1b', column: 'iso-wasm-mt', fractionOf: 'peak', atLeast: 0.6, text: 'wasm-threads GEMM 2048 >= 60 % of the SIMD128 peak (x threads)' },
  { case: 'W1b', column: 'iso-wasm-1t', fractionOf: 'peak', atLeast: 0.6, text: 'wasm-single GEMM 2048 >= 60 % of the SIMD128 peak (1 thread)' },
];

export function onnxGraph({ M, K, N }) {
  return {
    nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }],
    inputs: [{ name: 'a', shape: [M, K] }, { name: 'b', shape: [K, N] }],
    outputs: [{ name: 'c', shape: [M, N] }],
  };
}

// A wrong fast path must not look fast: spot-check a few entries of C against a float64 dot product.
function checkProduct(a, b, c, M, K, N) {
  for (const [i, j] of [[0, 0], [M - 1, N - 1], [M >> 1, N >> 1], [M - 1, 0], [0, N - 1]]) {
    let want = 0;
    for (let k = 0; k < K; k++) want += a[i * K + k] * b[k * N + j];
    const got = c[i * N + j];
    if (!(Math.abs(got - want) <= 1e-4 * K)) throw new Error(`GEMM check: C[${i},${j}] = ${got}, want ${want}`);
  }
}

// Each implementation returns { call, dispose }: `call` computes one product and returns once
// the result exists (isotensor: after waitAll, plus a one-element read-back on a GPU, see
// bench/lib/sync.mjs; the arrays live on `ctx`, cpu unless the iso-gpu column; tfjs-wasm kernels run synchronously; onnxruntime
// resolves run() with the output copied out).
export const impl = {
  async isotensor({ mx, ctx = mx.cpu() }, { M, K, N }) {
    const a = mx.nd.random.uniform({ shape: [M, K], ctx });
    const b = mx.nd.random.uniform({ shape: [K, N], ctx });
    const c = mx.nd.dot(a, b);
    checkProduct(a.dataSync(), b.dataSync(), c.dataSync(), M, K, N);
    c.dispose();
    return {
      call() {
        const c = mx.nd.dot(a, b);
        finish(mx, c);
        c.dispose();
      },
      dispose() { a.dispose(); b.dispose(); },
    };
  },

  async ort({ ort, createSession }, p) {
    const session = await createSession(onnxGraph(p));
    const feeds = {
      a: new ort.Tensor('float32', randomFloat32(p.M * p.K), [p.M, p.K]),
      b: new ort.Tensor('float32', randomFloat32(p.K * p.N), [p.K, p.N]),
    };
    return {
      async call() { await session.run(feeds); },
      async dispose() { await session.release(); },
    };
  },

  async tfjs({ tf }, { M, K, N }) {
    const a = tf.randomUniform([M, K]);
    const b = tf.randomUniform([K, N]);
    return {
      call() { tf.matMul(a, b).dispose(); },
      dispose() { a.dispose(); b.dispose(); },
    };
  },
};
