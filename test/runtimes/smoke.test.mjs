// The installed package's smoke test, one file for `node --test`, `deno test` and `bun test`: ops, autograd, a model.
// SPDX-License-Identifier: Apache-2.0
//
// run.mjs copies this file into a folder where the packed tarball is installed (with ISOTENSOR_SKIP_NATIVE=1), so
// `import 'isotensor'` resolves through the package's `exports` the way it does for users of each runtime:
// Node takes dist/index.mjs, Deno dist/index.browser.mjs, Bun the Node bundle. The fixture folder is copied
// beside it (../fixtures/edge-model/). Deno needs --allow-read (the wasm file and the fixtures).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const runtime = typeof globalThis.Deno !== 'undefined' ? 'deno' : typeof globalThis.Bun !== 'undefined' ? 'bun' : 'node';

// The cold-start figure: from importing the package to the first op's values in JS (loads and starts the wasm core).
const importStart = performance.now();
const mx = await import('isotensor');
await mx.ready();
const firstValues = Array.from(mx.nd.array([1, 2, 3]).add(1).dataSync());
const firstOpMs = performance.now() - importStart;
const info = mx.runtimeInfo();
// run.mjs reads this line from each runner's output.
console.log('ISOTENSOR_SMOKE ' + JSON.stringify({
  runtime, backend: info.backend, flavour: info.wasmFlavour, threads: info.threads, simd: info.simd,
  importToFirstOpMs: +firstOpMs.toFixed(1), processStartToFirstOpMs: +(importStart + firstOpMs).toFixed(1),
}));

const { nd, sym, autograd } = mx;
const fixtures = new URL('../fixtures/edge-model/', import.meta.url);
const samples = JSON.parse(readFileSync(new URL('samples.json', fixtures), 'utf8'));
const symbolText = readFileSync(new URL(samples.model.symbol, fixtures), 'utf8');
const paramBytes = new Uint8Array(readFileSync(new URL(samples.model.params, fixtures)));

const values = (a) => Array.from(a.dataSync());

function assertClose(actual, expected, tol, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= tol, `${what}[${i}]: ${v} vs ${expected[i]}`));
}

test('the package runs on the WebAssembly backend and says why native is absent', () => {
  assert.deepEqual(firstValues, [2, 3, 4]);
  assert.equal(info.backend, 'wasm');
  // Deno cannot run emscripten's pthread workers; Node and Bun can.
  assert.equal(info.wasmFlavour, runtime === 'deno' ? 'single' : 'threads');
  assert.equal(info.simd, 'simd128');
  assert.equal(typeof info.nativeUnavailable, 'string');
  assert.match(info.nativeUnavailable, runtime === 'deno' ? /only in Node/ : /ISOTENSOR_SKIP_NATIVE/);
});

test('NDArray creation, broadcasting arithmetic, dot and reductions give known values', async () => {
  assert.deepEqual(values(nd.zeros([2, 2])), [0, 0, 0, 0]);
  assert.deepEqual(values(nd.full([3], 7)), [7, 7, 7]);
  assert.deepEqual(values(nd.eye(2)), [1, 0, 0, 1]);
  const x = nd.arange(0, 6).reshape([2, 3]);  // [[0,1,2],[3,4,5]]
  assert.deepEqual(x.shape, [2, 3]);
  assert.deepEqual(values(x.add(nd.array([10, 20, 30]))), [10, 21, 32, 13, 24, 35]);
  assert.deepEqual(values(nd.array([[1], [2]]).mul(nd.array([[1, 2, 3]]))), [1, 2, 3, 2, 4, 6]);
  assert.deepEqual(values(x.sub(1).div(2)), [-0.5, 0, 0.5, 1, 1.5, 2]);
  assert.deepEqual(values(nd.dot(x, nd.ones([3, 2]))), [3, 3, 12, 12]);
  assert.deepEqual(values(nd.dot(x, x.transpose())), [5, 14, 14, 50]);
  assert.deepEqual(values(x.sum({ axis: 0 })), [3, 5, 7]);
  assert.equal(x.mean().asScalar(), 2.5);
  assert.deepEqual(values(x.max({ axis: 1 })), [2, 5]);
  assert.deepEqual(values(nd.argmax(nd.array([[1, 9, 3], [8, 2, 4]]), { axis: 1 })), [1, 0]);
  assertClose(values(nd.exp(nd.array([0, 1]))), [1, Math.E], 1e-6, 'exp');
  // The non-blocking read path (what a browser main thread must use).
  assert.deepEqual(Array.from(await x.sum().data()), [15]);
});

test('autograd: the gradient of a small expression matches the hand-computed one', () => {
  const x = nd.array([1, 2, 3]);
  x.attachGrad();
  // y = sum(x^3 + 2x)  =>  dy/dx = 3x^2 + 2
  const y = autograd.record(() => x.mul(x).mul(x).add(x.mul(2)).sum());
  y.backward();
  assert.deepEqual(values(x.grad), [5, 14, 29]);

  const w = nd.array([[1, 2], [3, 4]]), v = nd.array([[5], [6]]);
  w.attachGrad();
  // L = sum(relu(W v)) with W v = [17, 39] > 0  =>  dL/dW = 1 v^T
  const l = autograd.record(() => nd.relu(nd.dot(w, v)).sum());
  l.backward();
  assert.deepEqual(values(w.grad), [5, 6, 5, 6]);
});

/** Binds the fixture's graph with its parameters and the samples, and returns the softmax probabilities. */
function predict(lib, params) {
  const net = lib.sym.fromJSON(symbolText);
  assert.deepEqual(net.listArguments(), ['data', 'dense0_weight', 'dense0_bias', 'dense1_weight', 'dense1_bias']);
  const args = { data: lib.nd.array(samples.pixels).div(samples.model.pixelScale) };
  for (const [key, arr] of Object.entries(params)) args[key.replace(/^arg:/, '')] = arr;
  const exe = net.bind(lib.cpu(), args);
  const [logits] = exe.forward();
  assert.deepEqual(logits.shape, [samples.pixels.length, 10]);
  return lib.nd.softmax(logits);
}

function assertPredictions(lib, probs) {
  assert.deepEqual(Array.from(lib.nd.argmax(probs, { axis: 1 }).dataSync()), samples.classes);
  assertClose(Array.from(probs.dataSync()), samples.probabilities.flat(), 1e-4, 'probabilities');
}

test('a model from bytes (symbol JSON + MXNet params) predicts the fixture digits', () => {
  const params = nd.deserialize(paramBytes);
  assert.deepEqual(Object.keys(params).sort(),
    ['arg:dense0_bias', 'arg:dense0_weight', 'arg:dense1_bias', 'arg:dense1_weight']);
  assertPredictions(mx, predict(mx, params));
});

test("the inference entry 'isotensor/infer' loads the same model with nd.load(bytes)", async () => {
  const infer = await import('isotensor/infer');
  await infer.ready();
  assert.equal(infer.runtimeInfo().backend, 'wasm');
  assert.equal(typeof infer.gluon, 'undefined');
  assertPredictions(infer, predict(infer, await infer.nd.load(paramBytes)));
});

test('ONNX: the model exported to ONNX bytes runs in an InferenceSession and predicts the same digits', async () => {
  const params = nd.deserialize(paramBytes);
  const net = sym.fromJSON(symbolText);
  const plain = {};
  for (const [key, arr] of Object.entries(params)) plain[key.replace(/^arg:/, '')] = arr;
  const bytes = mx.onnx.exportModel(net, plain, { inputShapes: { data: [samples.pixels.length, samples.pixels[0].length] } });
  for (const lib of [mx, await import('isotensor/infer')]) {
    await lib.ready();
    const session = await lib.onnx.InferenceSession.create(bytes);
    assert.deepEqual(session.inputNames, ['data']);
    const logits = session.run({ data: lib.nd.array(samples.pixels).div(samples.model.pixelScale) })[session.outputNames[0]];
    assertPredictions(lib, lib.nd.softmax(logits));
    session.dispose();
  }
});

test('errors are IsotensorErrors that name the failing op', () => {
  assert.throws(() => nd.ones([2, 3]).add(nd.ones([4, 5])),
    (e) => e instanceof mx.IsotensorError && /broadcast_add/.test(e.message) && /\(2,3\).*\(4,5\)/.test(e.message));
  assert.throws(() => nd.dot(nd.ones([2, 3]), nd.ones([2, 3])),
    (e) => e instanceof mx.IsotensorError && /^dot\b/.test(e.message));
  assert.throws(() => sym.fromJSON('{"nodes": 1}'), mx.IsotensorError);
});
