# workerd config of the cold-start baseline: a worker with no library (workerd's own start-up).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .baseline) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "main") ],
);

const baseline :Workerd.Worker = (
  modules = [ (name = "worker.mjs", esModule = embed "baseline-worker.mjs"),
              (name = "cold_start_case.mjs", esModule = embed "cold_start_case.mjs") ],
  compatibilityDate = "2025-01-01",
);
