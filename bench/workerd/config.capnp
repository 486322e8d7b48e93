# workerd config of the cold-start benchmark's isotensor worker (bench/cold-start.mjs copies this folder and
# bench/lib/cold_start_case.mjs into a temporary folder and links the package there as node_modules/isotensor).
# Module names follow the package's paths, as in examples/edge-worker/config.capnp.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .iso) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "main") ],
);

const iso :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "cold-start-worker.mjs"),
    (name = "cold_start_case.mjs", esModule = embed "cold_start_case.mjs"),
    (name = "isotensor/infer", esModule = "export * from '/node_modules/isotensor/dist/infer.edge.mjs';"),
    (name = "node_modules/isotensor/dist/infer.edge.mjs", esModule = embed "node_modules/isotensor/dist/infer.edge.mjs"),
    (name = "node_modules/isotensor/wasm/dist/isotensor-simd.mjs",
     esModule = embed "node_modules/isotensor/wasm/dist/isotensor-simd.mjs"),
    (name = "node_modules/isotensor/wasm/dist/isotensor-simd.wasm",
     wasm = embed "node_modules/isotensor/wasm/dist/isotensor-simd.wasm"),
  ],
  compatibilityDate = "2025-01-01",
);
