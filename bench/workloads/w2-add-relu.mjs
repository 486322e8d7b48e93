// W2: the memory-bound elementwise chain relu(a + b) on 16M float32 values.

import { randomFloat32 } from '../lib/data.mjs';
import { finish } from '../lib/sync.mjs';

export const id = 'W2';
export const title = 'relu(a+b) float32';

const n = 16 * 1024 * 1024;
// Minimal traffic: read a and b, write the result (a fused kernel's bytes; unfused peers move more).
const bytes = 3 * 4 * n;

const timing = { warmup: 2, reps: 15, budgetMs: 20000 };
const units = [
  { name: 'ms', of: (ms) => ms },
  { name: 'GB/s', of: (ms) => bytes / (ms * 1e6) },
];
// W2: two imperative calls (a + b is written, then read by relu). W2s: the same graph bound as a
// Symbol executor, whose element-wise fusion runs it as one pass (graph/fuse_elemwise.h); the
// peers' rows are W2's (their one graph is already a session / tf.tidy).
export const cases = [
  // fractionOf: GB/s also printed as % of the measured memory bandwidth (bench/lib/peak.mjs)
  { id: 'W2', label: 'relu(a+b) 16M', params: { n }, timing, fractionOf: 'bandwidth', units },
  { id: 'W2s', label: 'same, Symbol executor (fused)', params: { n, symbolic: true }, timing, fractionOf: 'bandwidth',
    units, peersFrom: 'W2' },
];

// The target: W2 at >= 70 % of the memory bandwidth measured in the same run (bench/peak/fma_peak.c:
// y = a + b, counted with the same 12 bytes per element as the GB/s unit here), with iso-native's threads.
export const targets = [
  { case: 'W2', column: 'iso-native', fractionOf: 'bandwidth', atLeast: 0.7, text: 'native relu(a+b) >= 70 % of the measured memory bandwidth (same threads)' },
  { case: 'W2s', column: 'iso-native', fractionOf: 'bandwidth', atLeast: 0.7, text: 'native relu(a+b), Symbol executor, >= 70 % of the measured memory bandwidth' },
];

export function onnxGraph({ n }) {
  return {
    nodes: [
      { op: 'Add', inputs: ['a', 'b'], outputs: ['s'] },
      { op: 'Relu', inputs: ['s'], outputs: ['y'] },
    ],
    inputs: [{ name: 'a', shape: [n] }, { name: 'b', shape: [n] }],
    outputs: [{ name: 'y', shape: [n] }],
  };
}

// A wrong fast path must not look fast: compare every element (once, untimed).
function checkAddRelu(a, b, y) {
  for (let i = 0; i < y.length; i++) {
    const want = Math.max(0, Math.fround(a[i] + b[i]));
    if (y[i] !== want) throw new Error(`relu(a+b) check: y[${i}] = ${y[i]}, want ${want}`);
  }
}

export const impl = {
  async isotensor({ mx, ctx = mx.cpu() }, { n, symbolic = false }) {
    const a = mx.nd.random.uniform({ low: -1, high: 1, shape: [n], ctx });
    const b = mx.nd.random.uniform({ low: -1, high: 1, shape: [n], ctx });
    if (symbolic) {
      const y = mx.sym.relu({ data: mx.sym.elemwise_add({ lhs: mx.sym.Variable('a'), rhs: mx.sym.Variable('b') }) });
      const ex = y.bind(ctx, { a, b });
      checkAddRelu(a.dataSync(), b.dataSync(), ex.forward()[0].dataSync());
      return {
        call() { finish(mx, ex.forward()[0]); },
        dispose() { ex.dispose(); y.dispose(); a.dispose(); b.dispose(); },
      };
    }
    const s0 = a.add(b);
    const y0 = s0.relu();
    checkAddRelu(a.dataSync(), b.dataSync(), y0.dataSync());
    s0.dispose();
    y0.dispose();
    return {
      call() {
        const s = a.add(b);
        const y = s.relu();
        finish(mx, y);
        s.dispose();
        y.dispose();
      },
      dispose() { a.dispose(); b.dispose(); },
    };
  },

  async ort({ ort, createSession }, p) {
    const session = await createSession(onnxGraph(p));
    const feeds = {
      a: new ort.Tensor('float32', randomFloat32(p.n, 1).map((v) => 2 * v - 1), [p.n]),
      b: new ort.Tensor('float32', randomFloat32(p.n, 2).map((v) => 2 * v - 1), [p.n]),
    };
    return {
      async call() { await session.run(feeds); },
      async dispose() { await session.release(); },
    };
  },

  async tfjs({ tf }, { n }) {
    const a = tf.randomUniform([n], -1, 1);
    const b = tf.randomUniform([n], -1, 1);
    return {
      call() { tf.tidy(() => tf.relu(tf.add(a, b))).dispose(); },
      dispose() { a.dispose(); b.dispose(); },
    };
  },
};
