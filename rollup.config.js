// Bundles the package's entries: for each of `isotensor` (ts/index.ts) and `isotensor/infer` (ts/infer.ts)
//   dist/<entry>.mjs + .cjs   Node (the native addon when it loads, else WebAssembly), with .d.ts types
//   dist/<entry>.browser.mjs  browsers, Web Workers and Deno: no Node loading code, minified
//   dist/<entry>.edge.mjs     Workers runtimes (workerd): imports the single-thread wasm as a module
// The wasm glue and binaries stay in wasm/dist/ and the addon in bindings/build/: the loaders find them at
// run time relative to the bundle (new URL('../wasm/dist/…', import.meta.url)), so nothing binary is inlined.
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import esbuild from 'rollup-plugin-esbuild';
import dts from 'rollup-plugin-dts';

const builtins = new Set(builtinModules);
// Runtime dependencies stay imports (mx.viz loads @viz-js/viz lazily, only when a picture is rendered);
// 'isotensor-wasm/*' are the wasm/dist files, imported statically only by the Workers entries.
const external = (id) => id.startsWith('node:') || builtins.has(id) || id.startsWith('@viz-js/') ||
  id.startsWith('isotensor-wasm/');
const wasmPaths = (id) => (id.startsWith('isotensor-wasm/') ? `../wasm/dist/${id.slice('isotensor-wasm/'.length)}` : id);

// Browser and Workers bundles load the addon-free loader in place of backend/native_loader.ts.
const nativeLoader = fileURLToPath(new URL('./ts/backend/native_loader.ts', import.meta.url));
const browserNativeLoader = {
  name: 'browser-native-loader',
  async resolveId(source, importer, options) {
    if (!source.endsWith('/native_loader.js') || importer?.endsWith('native_loader.browser.ts')) return null;
    const r = await this.resolve(source.replace(/\.js$/, '.ts'), importer, { ...options, skipSelf: true });
    return r?.id === nativeLoader ? nativeLoader.replace(/\.ts$/, '.browser.ts') : null;
  },
};

// Workers bundlers (wrangler's esbuild) inline every literal dynamic import, which would put Graphviz (mx.viz,
// ~0.6 MB gzipped) in each Worker: the edge bundles name it with an expression, so it loads only if rendered.
const lazyViz = {
  name: 'lazy-viz',
  renderChunk(code) {
    return { code: code.replaceAll('import("@viz-js/viz")', 'import(["@viz-js", "viz"].join("/"))'), map: null };
  },
};

const entries = { index: 'ts/index.ts', infer: 'ts/infer.ts' };
const node = (target) => esbuild({ target, sourceMap: true });
const browser = () => esbuild({ target: 'es2022', sourceMap: true, minify: true });

export default Object.entries(entries).flatMap(([name, input]) => [
  {
    input,
    external,
    plugins: [node('es2022')],
    output: [
      { file: `dist/${name}.mjs`, format: 'es', sourcemap: true },
      { file: `dist/${name}.cjs`, format: 'cjs', sourcemap: true, exports: 'named', dynamicImportInCjs: true },
    ],
  },
  {
    input,
    external,
    plugins: [browserNativeLoader, browser()],
    output: { file: `dist/${name}.browser.mjs`, format: 'es', sourcemap: true },
  },
  {
    input: `ts/entries/${name}.edge.ts`,
    external,
    plugins: [browserNativeLoader, browser(), lazyViz],
    output: { file: `dist/${name}.edge.mjs`, format: 'es', sourcemap: true, paths: wasmPaths },
  },
  {
    input,
    external,
    plugins: [dts({ tsconfig: 'tsconfig.json' })],
    output: { file: `dist/${name}.d.ts`, format: 'es' },
  },
]);
