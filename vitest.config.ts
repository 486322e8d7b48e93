// Unit specs import 'isotensor', i.e. the built bundle dist/index.mjs; ISOTENSOR_BACKEND and
// ISOTENSOR_WASM_FLAVOUR pick the backend (scripts/test-all.mjs runs the suite once per backend).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const bundle = fileURLToPath(new URL('./dist/index.mjs', import.meta.url));

export default defineConfig({
  resolve: { alias: { isotensor: bundle } },
  test: {
    include: ['test/unit/**/*.test.ts'],
    setupFiles: ['test/helpers/test-context.ts', 'test/helpers/op-coverage.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Load the bundle with Node itself (not through vite's transform), exactly as users get it.
    server: { deps: { external: [/\/dist\/index\.mjs$/] } },
  },
});
