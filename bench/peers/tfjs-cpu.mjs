// The @tensorflow/tfjs-backend-cpu column: tfjs's plain-JavaScript kernels (no wasm, no native code),
// single-threaded. Same workload implementations as tfjs-wasm (`kind = 'tfjs'`), only the backend differs.

import { SkipError } from '../lib/skip.mjs';
import { packageInfo } from '../lib/pkg.mjs';
import { registerGradients } from './tfjs-wasm.mjs';

export const kind = 'tfjs';

export async function load() {
  let tf;
  try {
    tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
  } catch (e) {
    throw new SkipError(`@tensorflow/tfjs-core / tfjs-backend-cpu not installed (npm ci --prefix bench): ${e.message}`);
  }
  const pkg = packageInfo('@tensorflow/tfjs-backend-cpu');
  const gradients = await registerGradients(pkg.dir);
  if (!(await tf.setBackend('cpu'))) throw new SkipError('tfjs cpu backend failed to initialise');
  await tf.ready();
  return {
    lib: { tf },
    info: { name: '@tensorflow/tfjs-backend-cpu', version: pkg.version, threads: 1,
      gradients: gradients || 'registered (bundled register_all_gradients)' },
  };
}
