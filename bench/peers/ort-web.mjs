// The onnxruntime-web columns: its wasm execution provider running in Node, 1 or N threads.

import { encodeModel } from '../lib/onnx.mjs';
import { SkipError } from '../lib/skip.mjs';
import { packageInfo } from '../lib/pkg.mjs';

export const kind = 'ort';

export async function load({ threads = 1 } = {}) {
  let ort;
  try {
    ort = await import('onnxruntime-web');
  } catch (e) {
    throw new SkipError(`onnxruntime-web not installed (npm ci --prefix bench): ${e.message}`);
  }
  const pkg = packageInfo('onnxruntime-web');
  ort.env.wasm.numThreads = threads;
  // Load the .wasm from node_modules, never from a CDN.
  ort.env.wasm.wasmPaths = `${pkg.dir}/dist/`;
  const createSession = (graph) => ort.InferenceSession.create(encodeModel(graph), {
    executionProviders: ['wasm'], graphOptimizationLevel: 'all',
  });
  return {
    lib: { ort, createSession },
    info: { name: 'onnxruntime-web', version: pkg.version,
      threads, simd: true, proxy: ort.env.wasm.proxy },
  };
}
