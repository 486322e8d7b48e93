// Types of the wasm/dist files that the Workers entry imports (rollup maps 'isotensor-wasm/' to ../wasm/dist/).
declare module 'isotensor-wasm/isotensor-simd.mjs' {
  const factory: (moduleArgs: Record<string, unknown>) => Promise<any>;
  export default factory;
}
declare module 'isotensor-wasm/isotensor-simd.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
