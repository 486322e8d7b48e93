// The @tensorflow/tfjs-backend-wasm column (SIMD build; in Node it runs single-threaded).

import { SkipError } from '../lib/skip.mjs';
import { packageInfo } from '../lib/pkg.mjs';

export const kind = 'tfjs';

export async function load() {
  let tf, wasm;
  try {
    tf = await import('@tensorflow/tfjs-core');
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    throw new SkipError(`@tensorflow/tfjs-core / tfjs-backend-wasm not installed (npm ci --prefix bench): ${e.message}`);
  }
  const pkg = packageInfo('@tensorflow/tfjs-backend-wasm');
  // Load the .wasm files from node_modules, never from a CDN.
  wasm.setWasmPaths(`${pkg.dir}/dist/`);
  if (!(await tf.setBackend('wasm'))) throw new SkipError('tfjs wasm backend failed to initialise');
  await tf.ready();
  return {
    lib: { tf },
    info: { name: '@tensorflow/tfjs-backend-wasm', version: pkg.version,
      threads: wasm.getThreadsCount(), simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
      multithreadSupport: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') },
  };
}
