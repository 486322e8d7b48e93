// Workers runtimes (workerd, Cloudflare, miniflare): the single-thread wasm is imported statically, as a
// compiled WebAssembly.Module, because such runtimes forbid compiling fetched bytes and importing by URL.
// SPDX-License-Identifier: Apache-2.0
import createIsotensorSimd from 'isotensor-wasm/isotensor-simd.mjs';
import simdModule from 'isotensor-wasm/isotensor-simd.wasm';
import { configureWasm } from './runtime.js';

configureWasm({ flavour: 'single', factory: createIsotensorSimd, module: simdModule });
