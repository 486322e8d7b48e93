// W8: one training "epoch" of LeNet on synthetic 28x28 digits through each library's usual training API:
// 64 batches of 64 (4,096 images), each step forward, softmax cross-entropy (mean over the batch),
// backward, SGD with momentum 0.9 (lr 0.05, no weight decay). The epoch is the timed call.
//
// LeNet = Conv(20, 5x5) + ReLU - MaxPool(2) - Conv(50, 5x5) + ReLU - MaxPool(2) - Dense(500) + ReLU - Dense(10).
// isotensor: gluon.modelZoo.vision.lenet() with gluon.Trainer('sgd', momentum 0.9) and
// SoftmaxCrossEntropyLoss, imperative (W8) or hybridized, net and loss (W8h); the peers run the same
// model once (W8) and are shown in both rows (`peersFrom`): PyTorch eager nn.Sequential + optim.SGD,
// tfjs ops (conv2d NHWC, maxPool, matMul) + tf.train.momentum, on tfjs-backend-wasm and tfjs-backend-cpu.
//
// The images are learnable (a class-dependent bright band plus noise), so a broken gradient shows:
// isotensor's builder checks that one epoch lowers the loss on the first batch.

import { randomFloat32 } from '../lib/data.mjs';
import { finish } from '../lib/sync.mjs';

export const id = 'W8';
export const title = 'LeNet training epoch (Gluon)';

const B = 64, NB = 64, LR = 0.05, MOMENTUM = 0.9;
// Multiply-adds per image, forward: conv1 20x24x24x25, conv2 50x8x8x500, dense 800x500 + 500x10;
// training is about 3x the forward (input-gradient and weight-gradient passes).
const macs = 20 * 24 * 24 * 25 + 50 * 8 * 8 * 500 + 800 * 500 + 500 * 10;
const flopsPerEpoch = 3 * 2 * macs * B * NB;

const units = [
  { name: 'ms/epoch', of: (ms) => ms },
  { name: 'img/s', of: (ms) => (B * NB) / (ms / 1000) },
  { name: 'GFLOP/s', of: (ms) => flopsPerEpoch / (ms * 1e6) },
];
// One warm-up epoch, then up to 5 timed ones while under 30 s of timed work (at least 1: tfjs-backend-cpu
// takes over a minute per epoch here).
const timing = { warmup: 1, reps: 5, minReps: 1, budgetMs: 30000 };

export const cases = [
  { id: 'W8', label: `LeNet epoch ${NB}x b${B}, Gluon imperative`, params: { hybridize: false }, timing, units },
  { id: 'W8h', label: 'same, Gluon hybridized', params: { hybridize: true }, timing, units, peersFrom: 'W8' },
];

export const targets = [
  { case: 'W8h', ratio: ['torch', 'iso-native'], atLeast: 1.0, text: 'Gluon hybridized native LeNet epoch >= PyTorch CPU' },
  { case: 'W8h', ratio: ['tfjs-wasm', 'iso-wasm-1t'], atLeast: 1.2, text: 'Gluon hybridized wasm-single LeNet epoch >= 1.2x tfjs-backend-wasm' },
  { case: 'W8h', ratio: ['tfjs-wasm', 'iso-wasm-mt'], atLeast: 1.2, text: 'Gluon hybridized wasm-threads LeNet epoch >= 1.2x tfjs-backend-wasm' },
];

/** Batch b: images [B*784] (NCHW with C = 1, the same bytes as NHWC) and labels. */
function batch(b) {
  const x = randomFloat32(B * 784, 1000 + b);
  const y = new Float32Array(B);
  for (let i = 0; i < B; i++) {
    const cls = (i * 7 + b * 3) % 10;
    y[i] = cls;
    const img = x.subarray(i * 784, (i + 1) * 784);
    for (let k = 0; k < 784; k++) img[k] *= 0.3;
    for (let r = 2 + 2 * cls; r < 5 + 2 * cls; r++) for (let c = 4; c < 24; c++) img[r * 28 + c] += 1;
  }
  return { x, y };
}

export const impl = {
  async isotensor({ mx, ctx = mx.cpu() }, { hybridize }) {
    const { nd, autograd, gluon } = mx;
    const data = Array.from({ length: NB }, (_, b) => {
      const { x, y } = batch(b);
      return [nd.array(x, { shape: [B, 1, 28, 28], ctx }), nd.array(y, { ctx })];
    });
    const net = gluon.modelZoo.vision.lenet({ classes: 10 });
    net.initialize({ init: new mx.init.Xavier({ rndType: 'gaussian', factorType: 'in', magnitude: 2 }), ctx });
    const lossFn = new gluon.loss.SoftmaxCrossEntropyLoss();
    if (hybridize) { net.hybridize(); lossFn.hybridize(); }
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: LR, momentum: MOMENTUM });
    const epoch = () => {
      for (const [x, y] of data) {
        mx.scope(() => {
          const loss = autograd.record(() => lossFn.forward(net.forward(x), y));
          loss.backward();
          trainer.step(B);
        });
      }
    };
    const loss0 = () => mx.scope(() => lossFn.forward(net.forward(data[0][0]), data[0][1]).mean().asScalar());
    const before = loss0();
    epoch();
    const after = loss0();
    if (!(after < before)) throw new Error(`LeNet check: loss on batch 0 ${before} -> ${after} after one epoch did not decrease`);
    return {
      call() {
        epoch();
        finish(mx);
      },
      dispose() { data.forEach(([x, y]) => { x.dispose(); y.dispose(); }); },
    };
  },

  async tfjs({ tf }) {
    if (!tf.getGradient('Conv2D')) throw new Error('tfjs gradients are not registered (see bench/peers/tfjs-wasm.mjs)');
    const he = (shape, fanIn) => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn)));
    const vars = [
      he([5, 5, 1, 20], 25), tf.variable(tf.zeros([20])),
      he([5, 5, 20, 50], 500), tf.variable(tf.zeros([50])),
      he([800, 500], 800), tf.variable(tf.zeros([500])),
      he([500, 10], 500), tf.variable(tf.zeros([10])),
    ];
    const [w1, b1, w2, b2, w3, b3, w4, b4] = vars;
    const data = Array.from({ length: NB }, (_, b) => {
      const { x, y } = batch(b);
      return [tf.tensor4d(x, [B, 28, 28, 1]), tf.oneHot(tf.tensor1d(Int32Array.from(y), 'int32'), 10)];
    });
    const opt = tf.train.momentum(LR, MOMENTUM);
    // tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel (it has Conv2DBackpropInput and
    // Conv3DBackpropFilterV2), so tf.conv2d cannot be trained there as is. On such a backend the
    // convolution keeps tf.conv2d forward (XNNPACK) and gets a custom gradient: the input gradient from
    // tf.conv2dTranspose (Conv2DBackpropInput), the filter gradient from tfjs's own wasm
    // Conv3DBackpropFilterV2 kernel on depth-1 views. Backends that have the kernel (cpu) use tf.conv2d's
    // registered gradient.
    const hasFilterGrad = !!tf.getKernel('Conv2DBackpropFilter', tf.getBackend());
    const conv = (x, w, needDx) => {
      if (hasFilterGrad) return tf.conv2d(x, w, 1, 'valid');
      return tf.customGrad((xx, ww, save) => {
        save([xx, ww]);
        return {
          value: tf.conv2d(xx, ww, 1, 'valid'),
          gradFunc: (dy, [xs, ws]) => {
            const [n, h, wd, c] = xs.shape, [, oh, ow, f] = dy.shape, [kh, kw] = ws.shape;
            const dw = tf.engine().runKernel('Conv3DBackpropFilterV2',
              { x: tf.reshape(xs, [n, 1, h, wd, c]), dy: tf.reshape(dy, [n, 1, oh, ow, f]) },
              { strides: [1, 1, 1], pad: 'valid', filterShape: [1, kh, kw, c, f] });
            return [needDx ? tf.conv2dTranspose(dy, ws, xs.shape, 1, 'valid') : tf.zerosLike(xs), tf.reshape(dw, ws.shape)];
          },
        };
      })(x, w);
    };
    const forward = (x) => {
      let h = tf.maxPool(tf.relu(tf.add(conv(x, w1, false), b1)), 2, 2, 'valid');
      h = tf.maxPool(tf.relu(tf.add(conv(h, w2, true), b2)), 2, 2, 'valid');
      h = tf.relu(tf.add(tf.matMul(tf.reshape(h, [B, 800]), w3), b3));
      return tf.add(tf.matMul(h, w4), b4);
    };
    // A few steps on batch 0 must lower its loss (a wrong custom gradient would not).
    const lossOf = ([x, y]) => tf.tidy(() => tf.losses.softmaxCrossEntropy(y, forward(x)).dataSync()[0]);
    const before = lossOf(data[0]);
    for (let i = 0; i < 3; i++) tf.tidy(() => { opt.minimize(() => tf.losses.softmaxCrossEntropy(data[0][1], forward(data[0][0])), false, vars); });
    const after = lossOf(data[0]);
    if (!(after < before)) throw new Error(`LeNet check (tfjs): loss on batch 0 ${before} -> ${after} did not decrease`);
    return {
      call() {
        for (const [x, y] of data) {
          tf.tidy(() => { opt.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)), false, vars); });
        }
      },
      dispose() { vars.forEach((v) => v.dispose()); data.forEach(([x, y]) => { x.dispose(); y.dispose(); }); opt.dispose(); },
    };
  },
};
