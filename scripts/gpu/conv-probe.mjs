// One W3 geometry (N x 64 x 56 x 56, 3x3 pad 1 -> 64) on gpu(0), for profiling a single setting
// per process (with ISOTENSOR_GPU_PROFILE): node conv-probe.mjs N timed|cudnn|own bias|nobias sync|b2b
import * as mx from '../../dist/index.mjs';
await mx.ready();
const { nd } = mx;
const [N, mode, bias, pattern] = [Number(process.argv[2] ?? 16), process.argv[3] ?? 'timed', process.argv[4] ?? 'bias',
  process.argv[5] ?? 'sync'];
const g = mx.gpu(0);
const x = nd.ones([N, 64, 56, 56], { ctx: g }), w = nd.ones([64, 64, 3, 3], { ctx: g }), b = nd.zeros([64], { ctx: g });
const p = { kernel: [3, 3], num_filter: 64, pad: [1, 1], ...(mode === 'cudnn' ? { cudnn_tune: 'off' } : mode === 'own' ? { cudnn_off: true } : {}) };
const call = () => (bias === 'bias' ? nd.Convolution(x, w, b, p) : nd.Convolution(x, w, { ...p, no_bias: true }));
const n = 300;
for (let i = 0; i < 30; i++) { call().dispose(); mx.waitAll(); }
const ts = [];
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  const t = performance.now();
  call().dispose();
  if (pattern === 'sync') { mx.waitAll(); ts.push(performance.now() - t); }
}
mx.waitAll();
const per = pattern === 'sync' ? ts.sort((a, c) => a - c)[n >> 1] : (performance.now() - t0) / n;
console.log(`W3 N=${N} ${mode} ${bias} ${pattern}: ${(per * 1000).toFixed(1)} us/call`);
