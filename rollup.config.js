// Bundles ts/index.ts into dist/index.mjs (ESM), dist/index.cjs (CJS) and dist/index.d.ts.
// The wasm glue and binaries stay in wasm/dist/ and the addon in bindings/build/: the loaders find them
// at run time relative to the bundle, so nothing binary is inlined here.
import { builtinModules } from 'node:module';
import esbuild from 'rollup-plugin-esbuild';
import dts from 'rollup-plugin-dts';

const builtins = new Set(builtinModules);
// Runtime dependencies stay imports (mx.viz loads @viz-js/viz lazily, only when a picture is rendered).
const external = (id) => id.startsWith('node:') || builtins.has(id) || id.startsWith('@viz-js/');

export default [
  {
    input: 'ts/index.ts',
    external,
    plugins: [esbuild({ target: 'es2022', sourceMap: true })],
    output: [
      { file: 'dist/index.mjs', format: 'es', sourcemap: true },
      { file: 'dist/index.cjs', format: 'cjs', sourcemap: true, exports: 'named', dynamicImportInCjs: true },
    ],
  },
  {
    input: 'ts/index.ts',
    external,
    plugins: [dts({ tsconfig: 'tsconfig.json' })],
    output: { file: 'dist/index.d.ts', format: 'es' },
  },
];
