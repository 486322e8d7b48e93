# workerd config of the edge worker: worker.mjs, isotensor's workerd build and the bundled model, on 127.0.0.1:8787.
# SPDX-License-Identifier: Apache-2.0
#
# Layout it expects (paths relative to this file): worker.mjs, model/digits-mlp-symbol.json,
# model/digits-mlp-0000.params and node_modules/isotensor (npm install isotensor). Run: npx workerd serve config.capnp
# (another port: -s http=127.0.0.1:9000).
#
# workerd resolves an import against the importing module's *name*, so the package's files are named by their
# paths in the package: dist/infer.edge.mjs imports "../wasm/dist/isotensor-simd.mjs" and "…/isotensor-simd.wasm",
# which then name the two modules below. The bare name the worker imports, "isotensor/infer", is a one-line
# module re-exporting that file (what a bundler's `exports` resolution with the `workerd` condition picks).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .edgeWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "main") ],
);

const edgeWorker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "isotensor/infer", esModule = "export * from '/node_modules/isotensor/dist/infer.edge.mjs';"),
    (name = "node_modules/isotensor/dist/infer.edge.mjs", esModule = embed "node_modules/isotensor/dist/infer.edge.mjs"),
    (name = "node_modules/isotensor/wasm/dist/isotensor-simd.mjs",
     esModule = embed "node_modules/isotensor/wasm/dist/isotensor-simd.mjs"),
    # A precompiled WebAssembly.Module: Workers may not compile wasm from bytes at run time.
    (name = "node_modules/isotensor/wasm/dist/isotensor-simd.wasm",
     wasm = embed "node_modules/isotensor/wasm/dist/isotensor-simd.wasm"),
    (name = "model/digits-mlp-symbol.json", text = embed "model/digits-mlp-symbol.json"),
    (name = "model/digits-mlp-0000.params", data = embed "model/digits-mlp-0000.params"),
  ],
  compatibilityDate = "2025-01-01",
);
