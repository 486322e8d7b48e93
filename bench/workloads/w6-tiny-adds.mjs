// W6: dispatch overhead: 10,000 chained adds on shape [4] (x = x + b), timed until the last result exists.

import { finish } from '../lib/sync.mjs';

export const id = 'W6';
export const title = 'tiny adds (dispatch overhead)';

const count = 10000;

export const cases = [{
  id: 'W6',
  label: `${count} adds of [4]`,
  params: { count },
  timing: { warmup: 2, reps: 7, budgetMs: 20000 },
  units: [
    { name: 'us/op', of: (ms) => (ms * 1000) / count },
  ],
}];

export const targets = [
  // issue 7: <= 2 us/op native, <= 4 us/op wasm (and below tfjs-backend-wasm's)
  { case: 'W6', column: 'iso-native', atMost: 2, text: 'W6 <= 2 us/op on native' },
  { case: 'W6', column: 'iso-wasm-1t', atMost: 4, text: 'W6 <= 4 us/op on wasm-single' },
  { case: 'W6', column: 'iso-wasm-mt', atMost: 4, text: 'W6 <= 4 us/op on wasm-threads' },
  { case: 'W6', ratio: ['tfjs-wasm', 'iso-wasm-1t'], atLeast: 1.0, text: 'W6 wasm-single per-op cost <= tfjs-backend-wasm' },
];

export function onnxGraph() {
  return {
    nodes: [{ op: 'Add', inputs: ['x', 'b'], outputs: ['y'] }],
    inputs: [{ name: 'x', shape: [4] }, { name: 'b', shape: [4] }],
    outputs: [{ name: 'y', shape: [4] }],
  };
}

const X0 = [1, 2, 3, 4];
const B = [0.5, 0.25, 0.125, 0.0625];

// A wrong fast path must not look fast: the chain's result, accumulated in float32 as the peers do.
function checkChain(got, count) {
  for (let j = 0; j < 4; j++) {
    let want = X0[j];
    for (let i = 0; i < count; i++) want = Math.fround(want + B[j]);
    if (got[j] !== want) throw new Error(`tiny-add chain check: x[${j}] = ${got[j]}, want ${want}`);
  }
}

export const impl = {
  async isotensor({ mx, ctx = mx.cpu() }, { count }) {
    const x0 = mx.nd.array(X0, { ctx });
    const b = mx.nd.array(B, { ctx });
    // Each intermediate is disposed as soon as the next add is queued, as an app would.
    const chain = () => {
      let x = x0;
      for (let i = 0; i < count; i++) {
        const y = x.add(b);
        if (x !== x0) x.dispose();
        x = y;
      }
      return x;
    };
    const last = chain();
    checkChain(last.dataSync(), count);
    last.dispose();
    return {
      call() {
        const x = chain();
        finish(mx, x);
        x.dispose();
      },
      dispose() { x0.dispose(); b.dispose(); },
    };
  },

  async ort({ ort, createSession }, p) {
    const session = await createSession(onnxGraph(p));
    const x0 = new ort.Tensor('float32', Float32Array.from(X0), [4]);
    const b = new ort.Tensor('float32', Float32Array.from(B), [4]);
    return {
      async call() {
        let x = x0;
        for (let i = 0; i < p.count; i++) x = (await session.run({ x, b })).y;
      },
      async dispose() { await session.release(); },
    };
  },

  async tfjs({ tf }, { count }) {
    const x0 = tf.tensor1d(X0);
    const b = tf.tensor1d(B);
    return {
      call() {
        let x = x0;
        for (let i = 0; i < count; i++) {
          const y = tf.add(x, b);
          if (x !== x0) x.dispose();
          x = y;
        }
        x.dataSync();
        x.dispose();
      },
      dispose() { x0.dispose(); b.dispose(); },
    };
  },
};
