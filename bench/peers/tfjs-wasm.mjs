// The @tensorflow/tfjs-backend-wasm column (SIMD build; in Node it runs single-threaded).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SkipError } from '../lib/skip.mjs';
import { packageInfo } from '../lib/pkg.mjs';

export const kind = 'tfjs';

// tfjs-core registers no gradients by itself (the @tensorflow/tfjs umbrella package, not installed,
// does), and its ESM gradient files use extensionless imports Node cannot load. W4, W7 and W8 train, so the
// registration module is bundled once with the project's esbuild. The bundle's copy of tfjs
// internals registers into the same global registries as the loaded tfjs-core.
export async function registerGradients(pkgDir) {
  const out = path.join(os.tmpdir(), 'isotensor-bench-tfjs-gradients.mjs');
  if (!existsSync(out)) {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const r = spawnSync(path.join(root, 'node_modules/.bin/esbuild'),
      [path.join(pkgDir, '../tfjs-core/dist/register_all_gradients.js'), '--bundle', '--platform=node',
        '--format=esm', `--outfile=${out}`, '--log-level=error'], { encoding: 'utf8' });
    if (r.status !== 0) return `bundling tfjs gradients failed: ${r.stderr || r.error}`;
  }
  await import(pathToFileURL(out).href);
  return '';
}

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
  const gradients = await registerGradients(pkg.dir);
  if (!(await tf.setBackend('wasm'))) throw new SkipError('tfjs wasm backend failed to initialise');
  await tf.ready();
  return {
    lib: { tf },
    info: { name: '@tensorflow/tfjs-backend-wasm', version: pkg.version,
      threads: wasm.getThreadsCount(), simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
      multithreadSupport: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
      gradients: gradients || 'registered (bundled register_all_gradients)' },
  };
}
