// W7: one training step of a 2-layer unidirectional LSTM (hidden 256, input size 256) on a sequence of 35
// steps with a batch of 32, layout TNC: forward under autograd from zero initial states, loss = the sum of
// every output (T x B x H values), backward into the gradients of all weights. No optimizer update: the
// step ends with the gradients written (isotensor's gradients are overwritten, grad_req 'write'; PyTorch's
// are set to None before each step; tfjs's come fresh from tf.variableGrads).
//
// W7 calls the fused RNN operator itself (nd.RNN, mode 'lstm', one flat parameter vector in MXNet's order,
// explicit zero states); W7g is the same step through Gluon (gluon.rnn.LSTM, imperative), whose forward
// concatenates its eight parameters into that vector on every call. The peers run the same model once (W7)
// and are shown in both rows (`peersFrom`): PyTorch nn.LSTM(256, 256, num_layers=2); tfjs an unrolled loop
// of tf.basicLSTMCell (one [x, h] x [I+H, 4H] matMul per layer and step, forget bias 0, one bias vector
// instead of two) inside tf.variableGrads. onnxruntime has no training API, so its columns skip.
//
// Weights are uniform in +-1/sqrt(H) (PyTorch's default), inputs uniform in [-1, 1).
//
// FLOPs: the gate GEMMs only (elementwise gate math is ignored). Forward, per layer and step:
// 4H x (I_l + H) multiply-adds per batch row, so 2 * 4H * (I_l + H) * B flops (I_0 = I, I_1 = H);
// backward ~2x the forward (input-gradient and weight-gradient GEMMs), so a step is
// 3 * T * sum_l 2 * 4H * (I_l + H) * B = 3 * 35 * 2 * (2 * 4 * 256 * 512 * 32) = 7.05 GFLOP.
//
// Check (isotensor, before timing): the step runs once on an input whose batch columns repeat with period
// 2, and the outputs (all 32 columns) and every gradient are compared with a float64 JS LSTM (forward and
// backpropagation through time) run on the two distinct sequences with the same weights.

import { randomFloat32 } from '../lib/data.mjs';
import { finish } from '../lib/sync.mjs';

export const id = 'W7';
export const title = 'LSTM train step';

const T = 35, B = 32, I = 256, H = 256, L = 2;
const layerIn = (l) => (l === 0 ? I : H);
let fwdFlops = 0;
for (let l = 0; l < L; l++) fwdFlops += T * 2 * 4 * H * (layerIn(l) + H) * B;
const flops = 3 * fwdFlops;

const units = [
  { name: 'ms', of: (ms) => ms },
  { name: 'GFLOP/s', of: (ms) => flops / (ms * 1e6) },
];
// One warm-up step after the builder's own first step (the check); tfjs-backend-wasm takes seconds per step.
const timing = { warmup: 1, reps: 10, minReps: 2, budgetMs: 20000 };
const params = { T, B, I, H, L };

export const cases = [
  { id: 'W7', label: `LSTM ${L}x${H} T${T} b${B} fwd+bwd (nd.RNN)`, params, timing, units },
  { id: 'W7g', label: 'same, gluon.rnn.LSTM', params: { ...params, gluon: true }, timing, units, peersFrom: 'W7' },
];

export const targets = [
  { case: 'W7', ratio: ['torch', 'iso-native'], atLeast: 1.0, text: 'native LSTM step >= PyTorch CPU' },
  { case: 'W7', ratio: ['tfjs-wasm', 'iso-wasm-1t'], atLeast: 1.2, text: 'wasm-single LSTM step >= 1.2x tfjs-backend-wasm' },
  { case: 'W7', ratio: ['tfjs-wasm', 'iso-wasm-mt'], atLeast: 1.2, text: 'wasm-threads LSTM step >= 1.2x tfjs-backend-wasm' },
];

const scale = 1 / Math.sqrt(H);

/** Offsets of the RNN operator's flat parameter vector: every weight (per layer i2h, h2h), then every bias. */
function layout() {
  const w = [], b = [];
  let off = 0;
  for (let l = 0; l < L; l++) {
    w.push({ i2h: off, h2h: off + 4 * H * layerIn(l) });
    off += 4 * H * (layerIn(l) + H);
  }
  for (let l = 0; l < L; l++) {
    b.push({ i2h: off, h2h: off + 4 * H });
    off += 8 * H;
  }
  return { w, b, size: off };
}
const LAYOUT = layout();

/** Float64 LSTM on one sequence x (T*I) with flat weights P: its outputs (T*H) and d(sum of outputs)/dP. */
function referenceLstm(x, P) {
  const sig = (v) => 1 / (1 + Math.exp(-v));
  const grad = new Float64Array(LAYOUT.size);
  const layers = [];
  let inp = Float64Array.from(x);
  for (let l = 0; l < L; l++) {
    const ni = layerIn(l), wo = LAYOUT.w[l], bo = LAYOUT.b[l];
    const gates = new Float64Array(T * 4 * H), cs = new Float64Array((T + 1) * H), hs = new Float64Array((T + 1) * H);
    for (let t = 0; t < T; t++) {
      for (let r = 0; r < 4 * H; r++) {
        let a = P[bo.i2h + r] + P[bo.h2h + r];
        const wi = wo.i2h + r * ni, wh = wo.h2h + r * H, xi = t * ni, hi = t * H;
        for (let k = 0; k < ni; k++) a += P[wi + k] * inp[xi + k];
        for (let k = 0; k < H; k++) a += P[wh + k] * hs[hi + k];
        gates[t * 4 * H + r] = Math.floor(r / H) === 2 ? Math.tanh(a) : sig(a);  // gates i, f, g, o
      }
      for (let j = 0; j < H; j++) {
        const g = t * 4 * H;
        const c = gates[g + H + j] * cs[t * H + j] + gates[g + j] * gates[g + 2 * H + j];
        cs[(t + 1) * H + j] = c;
        hs[(t + 1) * H + j] = gates[g + 3 * H + j] * Math.tanh(c);
      }
    }
    layers.push({ inp, gates, cs, hs });
    inp = hs.slice(H);
  }
  const out = inp;
  // Backpropagation through time, top layer first; dOut = 1 for every output of the top layer.
  let dOut = new Float64Array(T * H).fill(1);
  for (let l = L - 1; l >= 0; l--) {
    const ni = layerIn(l), wo = LAYOUT.w[l], bo = LAYOUT.b[l];
    const { inp: xin, gates, cs, hs } = layers[l];
    const dIn = new Float64Array(T * ni), dh = new Float64Array(H), dc = new Float64Array(H), da = new Float64Array(4 * H);
    for (let t = T - 1; t >= 0; t--) {
      const g = t * 4 * H;
      for (let j = 0; j < H; j++) {
        const i = gates[g + j], f = gates[g + H + j], gg = gates[g + 2 * H + j], o = gates[g + 3 * H + j];
        const c = cs[(t + 1) * H + j], tc = Math.tanh(c);
        const dhj = dOut[t * H + j] + dh[j];
        const dcj = dc[j] + dhj * o * (1 - tc * tc);
        da[j] = dcj * gg * i * (1 - i);
        da[H + j] = dcj * cs[t * H + j] * f * (1 - f);
        da[2 * H + j] = dcj * i * (1 - gg * gg);
        da[3 * H + j] = dhj * tc * o * (1 - o);
        dc[j] = dcj * f;
      }
      dh.fill(0);
      for (let r = 0; r < 4 * H; r++) {
        const d = da[r];
        grad[bo.i2h + r] += d;
        grad[bo.h2h + r] += d;
        const wi = wo.i2h + r * ni, wh = wo.h2h + r * H, xi = t * ni, hi = t * H;
        for (let k = 0; k < ni; k++) { grad[wi + k] += d * xin[xi + k]; dIn[xi + k] += d * P[wi + k]; }
        for (let k = 0; k < H; k++) { grad[wh + k] += d * hs[hi + k]; dh[k] += d * P[wh + k]; }
      }
    }
    dOut = dIn;
  }
  return { out, grad };
}

/**
 * Runs `run(x)` (one step; returns the output array) on a batch whose columns repeat with period 2 and
 * compares its outputs and gradients (`grads()`, flat in the operator's order) with the float64 reference.
 */
function checkAgainstReference(mx, run, weights, grads, ctx, what) {
  const seqs = [0, 1].map((s) => {
    const v = randomFloat32(T * I, 7 + s);
    for (let k = 0; k < v.length; k++) v[k] = 2 * v[k] - 1;
    return v;
  });
  const xc = new Float32Array(T * B * I);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) xc.set(seqs[b % 2].subarray(t * I, (t + 1) * I), (t * B + b) * I);
  const x = mx.nd.array(xc, { shape: [T, B, I], ctx });
  const out = run(x);
  const got = out.dataSync();
  out.dispose();
  x.dispose();
  const g = grads();
  const P = weights();
  const refs = seqs.map((s) => referenceLstm(s, P));
  let outErr = 0;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const r = refs[b % 2].out;
      for (let j = 0; j < H; j++) outErr = Math.max(outErr, Math.abs(got[(t * B + b) * H + j] - r[t * H + j]));
    }
  }
  if (!(outErr < 1e-5)) throw new Error(`${what} check: output differs from the float64 reference by ${outErr}`);
  // Each gradient block (8 of them) against its own largest reference entry.
  const blocks = [];
  for (let l = 0; l < L; l++) {
    blocks.push([`l${l} i2h weight`, LAYOUT.w[l].i2h, 4 * H * layerIn(l)], [`l${l} h2h weight`, LAYOUT.w[l].h2h, 4 * H * H]);
    blocks.push([`l${l} i2h bias`, LAYOUT.b[l].i2h, 4 * H], [`l${l} h2h bias`, LAYOUT.b[l].h2h, 4 * H]);
  }
  for (const [name, off, n] of blocks) {
    let err = 0, max = 0;
    for (let k = off; k < off + n; k++) {
      const ref = (B / 2) * (refs[0].grad[k] + refs[1].grad[k]);
      max = Math.max(max, Math.abs(ref));
      err = Math.max(err, Math.abs(g[k] - ref));
    }
    if (!(max > 0) || !(err <= 2e-4 * max)) {
      throw new Error(`${what} check: ${name} gradient differs from the float64 reference by ${err} (largest entry ${max})`);
    }
  }
}

function randomInput(mx, ctx) {
  return mx.nd.random.uniform({ low: -1, high: 1, shape: [T, B, I], ctx });
}

/** The timed call of both isotensor cases: `run` on one fixed random input; `owned` is disposed with it. */
function timedStep(mx, ctx, run, owned) {
  const x = randomInput(mx, ctx);
  return {
    call() {
      const out = run(x);
      finish(mx, out);
      out.dispose();
    },
    dispose() { [...owned, x].forEach((a) => a.dispose()); },
  };
}

/** W7g: gluon.rnn.LSTM, imperative. */
async function gluonStep({ mx, ctx }) {
  const { autograd, gluon } = mx;
  const lstm = new gluon.rnn.LSTM(H, { numLayers: L, layout: 'TNC', inputSize: I });
  lstm.initialize({ init: new mx.init.Uniform(scale), ctx });
  // bias initializers default to zeros: give them the same range as the weights (as the other peers).
  for (let l = 0; l < L; l++) for (const g of ['i2h', 'h2h']) lstm[`l${l}_${g}_bias`].setData(mx.nd.random.uniform({ low: -scale, high: scale, shape: [4 * H], ctx }));
  const order = [];
  for (const t of ['weight', 'bias']) for (let l = 0; l < L; l++) for (const g of ['i2h', 'h2h']) order.push(lstm[`l${l}_${g}_${t}`]);
  const flat = (arrs) => {
    const out = new Float32Array(LAYOUT.size);
    let off = 0;
    for (const a of arrs) { const v = a.dataSync(); out.set(v, off); off += v.length; }
    return out;
  };
  const run = (x) => mx.scope(() => {
    let out;
    const loss = autograd.record(() => { out = lstm.forward(x); return out.sum(); });
    loss.backward();
    return out;
  });
  checkAgainstReference(mx, run, () => flat(order.map((p) => p.data())), () => flat(order.map((p) => p.grad())), ctx, 'gluon.rnn.LSTM');
  return timedStep(mx, ctx, run, []);
}

export const impl = {
  async isotensor({ mx, ctx = mx.cpu() }, p = {}) {
    if (p.gluon) return gluonStep({ mx, ctx });
    const { nd, autograd } = mx;
    const w = nd.random.uniform({ low: -scale, high: scale, shape: [LAYOUT.size], ctx });
    w.attachGrad();
    const h0 = nd.zeros([L, B, H], { ctx }), c0 = nd.zeros([L, B, H], { ctx });
    const run = (x) => mx.scope(() => {
      let out;
      const loss = autograd.record(() => {
        out = nd.RNN(x, w, h0, c0, { stateSize: H, numLayers: L, mode: 'lstm' });
        return nd.sum(out);
      });
      loss.backward();
      return out;
    });
    checkAgainstReference(mx, run, () => w.dataSync(), () => w.grad.dataSync(), ctx, 'nd.RNN LSTM');
    return timedStep(mx, ctx, run, [w, h0, c0]);
  },

  async tfjs({ tf }) {
    if (!tf.getGradient('Sigmoid')) throw new Error('tfjs gradients are not registered (see bench/peers/tfjs-wasm.mjs)');
    const kernels = [], biases = [];
    for (let l = 0; l < L; l++) {
      kernels.push(tf.variable(tf.randomUniform([layerIn(l) + H, 4 * H], -scale, scale)));
      biases.push(tf.variable(tf.randomUniform([4 * H], -scale, scale)));
    }
    const vars = [...kernels, ...biases];
    const forgetBias = tf.scalar(0);
    const x = tf.randomUniform([T, B, I], -1, 1);
    const xs = tf.unstack(x);  // T arrays (B, I); the input needs no gradient
    const zeros = tf.zeros([B, H]);
    const lossFn = () => {
      const c = Array(L).fill(zeros), h = Array(L).fill(zeros);
      let total = null;
      for (let t = 0; t < T; t++) {
        let inp = xs[t];
        for (let l = 0; l < L; l++) {
          [c[l], h[l]] = tf.basicLSTMCell(forgetBias, kernels[l], biases[l], inp, c[l], h[l]);
          inp = h[l];
        }
        const s = tf.sum(inp);
        total = total === null ? s : tf.add(total, s);
      }
      return total;
    };
    const step = () => tf.tidy(() => {
      const { value, grads } = tf.variableGrads(lossFn, vars);
      return [value, ...Object.values(grads)];
    });
    const first = step();
    const bad = first.find((g) => !g.dataSync().every(Number.isFinite));
    first.forEach((a) => a.dispose());
    if (bad) throw new Error('LSTM check (tfjs): a gradient or the loss is not finite');
    return {
      call() {
        const r = step();
        r[0].dataSync();  // the loss read back: every queued kernel has run
        r.forEach((a) => a.dispose());
      },
      dispose() { [...vars, forgetBias, x, ...xs, zeros].forEach((a) => a.dispose()); },
    };
  },
};
