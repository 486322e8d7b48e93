// W4: one training step of an MLP 784-512-512-10 (ReLU, softmax cross-entropy) on a batch of 128:
// forward, backward through autograd, and a plain SGD update of the six parameters.
// W4 writes the step with nd ops and autograd; W4g is the same step through Gluon (HybridSequential of
// Dense layers, SoftmaxCrossEntropyLoss, gluon.Trainer 'sgd'), imperative; W4h the same Gluon net and loss
// hybridized (cached graphs run by the Symbol executor). The peers run one model, timed once (W4) and shown
// in all three rows (`peersFrom`).

import { finish } from '../lib/sync.mjs';

export const id = 'W4';
export const title = 'MLP train step';

const B = 128, sizes = [784, 512, 512, 10];
const flops = 3 * 2 * B * (784 * 512 + 512 * 512 + 512 * 10);  // forward + two backward GEMMs per layer

const units = [
  { name: 'ms', of: (ms) => ms },
  { name: 'GFLOP/s', of: (ms) => flops / (ms * 1e6) },
];
const timing = { warmup: 3, reps: 30, budgetMs: 20000 };

export const cases = [
  { id: 'W4', label: `MLP 784-512-512-10 b${B} step`, params: {}, timing, units },
  { id: 'W4g', label: 'same, Gluon imperative', params: { gluon: true, hybridize: false }, timing, units, peersFrom: 'W4' },
  { id: 'W4h', label: 'same, Gluon hybridized', params: { gluon: true, hybridize: true }, timing, units, peersFrom: 'W4' },
];

export const targets = [
  { case: 'W4', ratio: ['torch', 'iso-native'], atLeast: 1.0, text: 'native MLP step >= 1.0x PyTorch' },
  { case: 'W4', ratio: ['tfjs-wasm', 'iso-wasm-1t'], atLeast: 1.0, text: 'wasm-single MLP step >= tfjs-backend-wasm' },
  // issue 5 (Gluon): hybridized native >= PyTorch CPU; wasm >= 1.2x tfjs-backend-wasm (single thread
  // against tfjs's single thread, and the threaded build).
  { case: 'W4h', ratio: ['torch', 'iso-native'], atLeast: 1.0, text: 'Gluon hybridized native MLP step >= PyTorch CPU' },
  { case: 'W4h', ratio: ['tfjs-wasm', 'iso-wasm-1t'], atLeast: 1.2, text: 'Gluon hybridized wasm-single MLP step >= 1.2x tfjs-backend-wasm' },
  { case: 'W4h', ratio: ['tfjs-wasm', 'iso-wasm-mt'], atLeast: 1.2, text: 'Gluon hybridized wasm-threads MLP step >= 1.2x tfjs-backend-wasm' },
];

// Summed (not averaged) loss over the batch, so a small rate.
const lr = 1e-4;

/** W4g / W4h: the MLP as a Gluon HybridSequential, trained with gluon.Trainer. */
async function gluonStep({ mx, ctx = mx.cpu() }, { hybridize }) {
  const { nd, autograd, gluon } = mx;
  const net = new gluon.nn.HybridSequential();
  net.add(new gluon.nn.Dense(sizes[1], { activation: 'relu', inUnits: sizes[0] }),
    new gluon.nn.Dense(sizes[2], { activation: 'relu', inUnits: sizes[1] }),
    new gluon.nn.Dense(sizes[3], { inUnits: sizes[2] }));
  net.initialize({ init: new mx.init.Xavier({ rndType: 'gaussian', factorType: 'in', magnitude: 2 }), ctx });
  const lossFn = new gluon.loss.SoftmaxCrossEntropyLoss();
  if (hybridize) { net.hybridize(); lossFn.hybridize(); }
  // Per-sample losses, backward of their sum, step(1): the summed-loss SGD of W4 and the peers.
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });
  const x = nd.random.uniform({ shape: [B, 784], ctx });
  const label = nd.array(Array.from({ length: B }, (_, i) => i % 10), { ctx });
  const step = () => mx.scope(() => {
    const loss = autograd.record(() => lossFn.forward(net.forward(x), label));
    loss.backward();
    trainer.step(1);
    return loss.sum();
  });
  const first = step().asScalar();
  for (let i = 0; i < 5; i++) step();
  const later = step().asScalar();
  if (!(later < first)) throw new Error(`Gluon MLP check: loss ${first} -> ${later} did not decrease`);
  return {
    call() {
      const loss = step();
      finish(mx, loss);
      loss.dispose();
    },
    dispose() { x.dispose(); label.dispose(); },
  };
}

export const impl = {
  async isotensor({ mx, ctx = mx.cpu() }, p = {}) {
    if (p.gluon) return gluonStep({ mx, ctx }, p);
    const { nd, autograd } = mx;
    const params = [];
    for (let i = 0; i < 3; i++) {
      const w = nd.random.normal({ scale: Math.sqrt(2 / sizes[i]), shape: [sizes[i + 1], sizes[i]], ctx });
      const b = nd.zeros([sizes[i + 1]], { ctx });
      w.attachGrad();
      b.attachGrad();
      params.push(w, b);
    }
    const x = nd.random.uniform({ shape: [B, 784], ctx });
    const label = nd.array(Array.from({ length: B }, (_, i) => i % 10), { ctx });
    const step = () => mx.scope(() => {
      const loss = autograd.record(() => {
        let h = x;
        for (let i = 0; i < 3; i++) {
          h = nd.FullyConnected(h, params[2 * i], params[2 * i + 1], { numHidden: sizes[i + 1] });
          if (i < 2) h = nd.relu(h);
        }
        return nd.softmax_cross_entropy(h, label);
      });
      loss.backward();
      for (const p of params) nd.elemwise_sub(p, nd._mul_scalar(p.grad, { scalar: lr }), { out: p });
      return loss;
    });
    // The loss must fall on a fixed batch: a broken gradient would not.
    const first = step().asScalar();
    for (let i = 0; i < 5; i++) step();
    const later = step().asScalar();
    if (!(later < first)) throw new Error(`MLP check: loss ${first} -> ${later} did not decrease`);
    return {
      call() {
        const loss = step();
        finish(mx, loss);
        loss.dispose();
      },
      dispose() { params.forEach((p) => p.dispose()); x.dispose(); label.dispose(); },
    };
  },

  async tfjs({ tf }) {
    // bench/peers/tfjs-wasm.mjs registers tfjs's gradients (tfjs-core alone has none).
    if (!tf.getGradient('Sum')) throw new Error('tfjs gradients are not registered (see bench/peers/tfjs-wasm.mjs)');
    const vars = [];
    for (let i = 0; i < 3; i++) {
      vars.push(tf.variable(tf.randomNormal([sizes[i], sizes[i + 1]], 0, Math.sqrt(2 / sizes[i]))));
      vars.push(tf.variable(tf.zeros([sizes[i + 1]])));
    }
    const x = tf.randomUniform([B, 784]);
    const labels = tf.oneHot(tf.tensor1d(Array.from({ length: B }, (_, i) => i % 10), 'int32'), 10);
    const opt = tf.train.sgd(lr);
    return {
      call() {
        tf.tidy(() => {
          opt.minimize(() => {
            let h = x;
            for (let i = 0; i < 3; i++) {
              h = tf.add(tf.matMul(h, vars[2 * i]), vars[2 * i + 1]);
              if (i < 2) h = tf.relu(h);
            }
            return tf.losses.softmaxCrossEntropy(labels, h, undefined, undefined, tf.Reduction.SUM);
          }, false, vars);
        });
      },
      dispose() { vars.forEach((v) => v.dispose()); x.dispose(); labels.dispose(); opt.dispose(); },
    };
  },
};
