// Cold start in a browser page: import the library, initialise it, compute relu(a + b) on 16 floats and read the
// result — isotensor (browser bundle), onnxruntime-web (ESM build, wasm EP, 1 thread) and tfjs-backend-wasm
// (UMD builds, as a page without a bundler loads them). Files come from this server (bench/node_modules).
import { a, b, checkResult, onnxGraph } from '/bench/lib/cold_start_case.mjs';

const peers = '/bench/node_modules';

function script(src) {
  return new Promise((ok, fail) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = ok;
    s.onerror = () => fail(new Error(`cannot load ${src}`));
    document.head.append(s);
  });
}

const cases = {
  async isotensor() {
    const mx = await import('/dist/index.browser.mjs');
    await mx.ready();
    const y = mx.nd.relu(mx.nd.array(a).add(mx.nd.array(b)));
    return { out: await y.data(), flavour: mx.runtimeInfo().wasmFlavour };
  },
  async 'ort-web'() {
    const ort = await import(`${peers}/onnxruntime-web/dist/ort.wasm.min.mjs`);
    ort.env.wasm.wasmPaths = `${peers}/onnxruntime-web/dist/`;
    ort.env.wasm.numThreads = 1;
    const { encodeModel } = await import('/bench/lib/onnx.mjs');
    const session = await ort.InferenceSession.create(encodeModel(onnxGraph), { executionProviders: ['wasm'] });
    const r = await session.run({ a: new ort.Tensor('float32', a, [16]), b: new ort.Tensor('float32', b, [16]) });
    return { out: r.y.data };
  },
  async 'tfjs-wasm'() {
    await script(`${peers}/@tensorflow/tfjs-core/dist/tf-core.min.js`);
    await script(`${peers}/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js`);
    const tf = globalThis.tf;
    tf.wasm.setWasmPaths(`${peers}/@tensorflow/tfjs-backend-wasm/dist/`);
    await tf.setBackend('wasm');
    await tf.ready();
    const y = tf.relu(tf.add(tf.tensor1d(a), tf.tensor1d(b)));
    return { out: await y.data() };
  },
};

globalThis.coldStart = async (which) => {
  const t0 = performance.now();
  const { out, flavour } = await cases[which]();
  const firstResultMs = performance.now() - t0;
  checkResult(which, out);
  return { firstResultMs, flavour: flavour ?? null, crossOriginIsolated: globalThis.crossOriginIsolated };
};
globalThis.pageReady = true;
