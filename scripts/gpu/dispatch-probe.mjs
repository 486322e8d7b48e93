// Per-call host cost of small GPU ops (a probe for docs/GPU.md): N back-to-back calls, one wait.
import * as mx from '../../dist/index.mjs';
await mx.ready();
const { nd } = mx;
const g = mx.gpu(0);
function per(label, n, fn) {
  for (let i = 0; i < 50; i++) fn();
  mx.waitAll();
  const t = performance.now();
  for (let i = 0; i < n; i++) fn();
  const tq = performance.now();
  mx.waitAll();
  const t1 = performance.now();
  console.log(`${label}: ${((t1 - t) / n * 1000).toFixed(1)} us/call (host queueing ${((tq - t) / n * 1000).toFixed(1)} us/call)`);
}
const a = nd.ones([4], { ctx: g }), b = nd.ones([4], { ctx: g });
per('add 4 elements', 5000, () => nd.add(a, b).dispose());
for (const [name, xs, ws, p] of [
  ['conv 1x8x8x8 k3', [1, 8, 8, 8], [8, 8, 3, 3], { kernel: [3, 3], num_filter: 8, pad: [1, 1] }],
  ['conv 1x64x56x56 k3', [1, 64, 56, 56], [64, 64, 3, 3], { kernel: [3, 3], num_filter: 64, pad: [1, 1] }],
  ['conv 1x512x7x7 k3', [1, 512, 7, 7], [512, 512, 3, 3], { kernel: [3, 3], num_filter: 512, pad: [1, 1] }],
]) {
  const x = nd.ones(xs, { ctx: g }), w = nd.ones(ws, { ctx: g }), bias = nd.zeros([ws[0]], { ctx: g });
  for (const off of [false, true]) {
    per(`${name}${off ? ' own kernels' : ' cuDNN'}`, 1000, () => nd.Convolution(x, w, bias, { ...p, cudnn_off: off }).dispose());
  }
}
const x = nd.ones([1, 64, 56, 56], { ctx: g });
const gm = nd.ones([64], { ctx: g }), bt = nd.zeros([64], { ctx: g }), mm = nd.zeros([64], { ctx: g }), mv = nd.ones([64], { ctx: g });
per('BatchNorm inference 1x64x56x56', 1000, () => nd.BatchNorm(x, gm, bt, mm, mv, { fix_gamma: false }).dispose());
per('relu 1x64x56x56', 1000, () => nd.relu(x).dispose());
// One synchronous round trip: an op, then a read of one element.
const t = performance.now();
for (let i = 0; i < 200; i++) nd.add(a, b).dataSync();
console.log(`round trip add + read: ${((performance.now() - t) / 200 * 1000).toFixed(1)} us`);
// Latency of one synchronous call (the bench's W3 method: call, then waitAll) against the
// back-to-back cost, for W3's geometries: what the host adds before and after the device's work.
function median(xs) { const s = [...xs].sort((p, q) => p - q); return s[s.length >> 1]; }
function latency(label, n, fn, wait) {
  for (let i = 0; i < 30; i++) { fn(); wait(); }
  const ts = [];
  for (let i = 0; i < n; i++) { const t0 = performance.now(); fn(); wait(); ts.push(performance.now() - t0); }
  console.log(`${label}: ${(median(ts) * 1000).toFixed(1)} us/call (median of ${n})`);
}
latency('waitAll alone', 500, () => {}, () => mx.waitAll());
latency('add 4 elements + waitAll', 500, () => nd.add(a, b).dispose(), () => mx.waitAll());
for (const N of [1, 16]) {
  const x = nd.ones([N, 64, 56, 56], { ctx: g }), w = nd.ones([64, 64, 3, 3], { ctx: g }), bias = nd.zeros([64], { ctx: g });
  const p = { kernel: [3, 3], num_filter: 64, pad: [1, 1] };
  for (const [mode, extra, withBias] of [['timed choice', {}, true], ['timed choice, no bias', { no_bias: true }, false],
    ['cuDNN forced', { cudnn_tune: 'off' }, true], ['own kernels', { cudnn_off: true }, true]]) {
    const call = () => (withBias ? nd.Convolution(x, w, bias, { ...p, ...extra }) : nd.Convolution(x, w, { ...p, ...extra }));
    per(`W3 N=${N} ${mode}, back to back`, 300, () => call().dispose());
    latency(`W3 N=${N} ${mode}, call + waitAll`, 300, () => call().dispose(), () => mx.waitAll());
    let y = null;
    latency(`W3 N=${N} ${mode}, call + waitToRead`, 300, () => { y = call(); }, () => { y.waitToRead(); y.dispose(); });
  }
}
