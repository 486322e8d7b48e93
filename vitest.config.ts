// Unit specs import 'isotensor', i.e. the built bundle dist/index.mjs; ISOTENSOR_BACKEND and
// ISOTENSOR_WASM_FLAVOUR pick the backend (scripts/test-all.mjs runs the suite once per backend).
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const bundle = fileURLToPath(new URL('./dist/index.mjs', import.meta.url));

// Specs that need a process of their own: lifetime's 2.4 GB allocation needs three contiguous 800 MB
// blocks in a 4 GB WebAssembly heap that earlier specs have not fragmented.
const ownProcess = ['test/unit/lifetime.test.ts'];

// The run with the GPU kernels' CPU twins (ISOTENSOR_GPU_KERNELS_ON_CPU=1, scripts/test-all.mjs) leaves out the
// specs of host-side TypeScript (image codecs, record files, iterators' decoding, schedulers, graph JSON, plots):
// they run no device compute, so the twins would repeat the native run exactly.
const hostOnly = ['image', 'image-encode', 'image-jpeg', 'image-jpeg2000', 'image-resize', 'image-webp', 'inflate',
  'recordio', 'io-iterators', 'io-det-iterator', 'gluon-data-file-workers', 'gluon-image-folder', 'lr-scheduler',
  'viz', 'symbol-json', 'onnx-strings'].map((name) => `test/unit/${name}.test.ts`);
const twinsRun = process.env.ISOTENSOR_GPU_KERNELS_ON_CPU === '1';

export default defineConfig({
  resolve: { alias: { isotensor: bundle } },
  test: {
    setupFiles: ['test/helpers/test-context.ts', 'test/helpers/op-coverage.ts'],
    pool: 'forks',
    // Two spec processes at least: vitest's default (CPUs - 1) is one process on a 2-core CI machine, where
    // a spec waits on its own JS half the time (native run 131 s -> 83 s, wasm threads 177 s -> 115 s).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Load the bundle with Node itself (not through vite's transform), exactly as users get it.
    server: { deps: { external: [/\/dist\/index\.mjs$/] } },
    projects: [
      // The specs share their worker processes (isolate: false): a fresh process per spec file cost
      // a third of each run (Node start-up, loading the bundle and compiling the WebAssembly module).
      // Specs leave no state behind that others read (names, seeds and engine settings are set where used).
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], exclude: twinsRun ? [...ownProcess, ...hostOnly] : ownProcess, isolate: false } },
      { extends: true, test: { name: 'unit-isolated', include: ownProcess, isolate: true } },
    ],
  },
});
