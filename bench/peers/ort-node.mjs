// The onnxruntime-node column: native ONNX Runtime (CPU execution provider) through its Node binding.

import { encodeModel } from '../lib/onnx.mjs';
import { SkipError } from '../lib/skip.mjs';
import { packageInfo } from '../lib/pkg.mjs';

export const kind = 'ort';

export async function load({ threads = 1 } = {}) {
  let ort;
  try {
    ort = await import('onnxruntime-node');
  } catch (e) {
    throw new SkipError(`onnxruntime-node not installed or not loadable (npm ci --prefix bench): ${e.message}`);
  }
  const pkg = packageInfo('onnxruntime-node');
  const createSession = (graph) => ort.InferenceSession.create(encodeModel(graph), {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all',
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
  });
  return {
    lib: { ort, createSession },
    info: { name: 'onnxruntime-node', version: pkg.version,
      intraOpThreads: threads },
  };
}
