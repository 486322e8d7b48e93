// One cold start, in a fresh process: import the library, initialise it, compute relu(a + b) on 16 floats
// and read the result. Prints one JSON line: { importMs, firstResultMs, sinceProcessStartMs }.
//
//   node bench/cold-start-child.mjs iso-wasm-mt | iso-wasm-1t | iso-native | ort-web | ort-node | tfjs-wasm
//
// Each peer does its own equivalent: onnxruntime creates a session for the one-node-pair ONNX graph and runs
// it once; tfjs sets its wasm backend and runs the two ops. The files come from the local packages, never
// the network.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { a, b, checkResult, onnxGraph } from './lib/cold_start_case.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const which = process.argv[2];

async function isotensor(backend, flavour) {
  process.env.ISOTENSOR_BACKEND = backend;
  if (flavour) process.env.ISOTENSOR_WASM_FLAVOUR = flavour;
  const t0 = performance.now();
  const mx = await import(pathToFileURL(`${root}dist/index.mjs`).href);
  const t1 = performance.now();
  await mx.ready();
  const y = mx.nd.relu(mx.nd.array(a).add(mx.nd.array(b)));
  return { t0, t1, out: await y.data() };
}

async function ortGraph(ort, provider, t0, t1) {
  const { encodeModel } = await import('./lib/onnx.mjs');
  const session = await ort.InferenceSession.create(encodeModel(onnxGraph), { executionProviders: [provider] });
  const r = await session.run({ a: new ort.Tensor('float32', a, [16]), b: new ort.Tensor('float32', b, [16]) });
  return { t0, t1, out: r.y.data };
}

const runs = {
  'iso-wasm-mt': () => isotensor('wasm', 'threads'),
  'iso-wasm-1t': () => isotensor('wasm', 'single'),
  'iso-native': () => isotensor('native'),
  'ort-web': async () => {
    const t0 = performance.now();
    const ort = await import('onnxruntime-web');
    const t1 = performance.now();
    const { packageInfo } = await import('./lib/pkg.mjs');
    ort.env.wasm.wasmPaths = `${packageInfo('onnxruntime-web').dir}/dist/`;
    ort.env.wasm.numThreads = 1;
    return ortGraph(ort, 'wasm', t0, t1);
  },
  'ort-node': async () => {
    const t0 = performance.now();
    const ort = await import('onnxruntime-node');
    const t1 = performance.now();
    return ortGraph(ort, 'cpu', t0, t1);
  },
  'tfjs-wasm': async () => {
    const t0 = performance.now();
    const tf = await import('@tensorflow/tfjs-core');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const t1 = performance.now();
    const { packageInfo } = await import('./lib/pkg.mjs');
    wasm.setWasmPaths(`${packageInfo('@tensorflow/tfjs-backend-wasm').dir}/dist/`);
    await tf.setBackend('wasm');
    await tf.ready();
    const y = tf.relu(tf.add(tf.tensor1d(a), tf.tensor1d(b)));
    return { t0, t1, out: await y.data() };
  },
};

const run = runs[which];
if (!run) {
  console.error(`cold-start-child: unknown case '${which}' (expected ${Object.keys(runs).join(', ')})`);
  process.exit(2);
}
const { t0, t1, out } = await run();
const t2 = performance.now();
try {
  checkResult(which, out);
} catch (e) {
  console.error(`cold-start-child: ${e.message}`);
  process.exit(1);
}
console.log(JSON.stringify({ importMs: t1 - t0, firstResultMs: t2 - t0, sinceProcessStartMs: t2 }));
process.exit(0);
