// Engine extensions for the core (wait-to-write, idle callbacks, test factories, hooks).
//
// Engine::get() always returns an EngineBase; engineImpl() hands it out typed.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>
#include "engine/engine.h"

namespace ist {

class EngineBase : public Engine {
 public:
  // Blocks until every pushed read and write of var is done; rethrows its error (wait-to-write).
  // Same as pushing an empty runOnError write and waiting for it, minus the op when var is idle.
  virtual void waitForVarWrite(VarHandle var) = 0;
  // Calls fn once no pushed op is pending: at once on this thread when idle, else on the
  // worker that finishes the last op. fn must not block or push. Fits ist_wait_all_signal
  // without a helper thread; unlike waitForAll it does not consume recorded errors.
  virtual void onIdle(std::function<void()> fn) = 0;
};

// The process engine (Engine::get()) as an EngineBase.
EngineBase* engineImpl();

// Stand-alone engines for tests. A threaded engine owns its own pool of numThreads workers
// (its destructor waits for its ops and joins them); parallelFor keeps using the process pool.
// Without threads (single-threaded WASM) makeThreadedEngine returns a naive engine.
std::unique_ptr<EngineBase> makeThreadedEngine(int numThreads);
std::unique_ptr<EngineBase> makeNaiveEngine();

// Engine vars alive in the process (all engines); for leak tests.
int64_t liveVarCount();

// Called once on each GPU worker thread before its first op (the CUDA module sets it:
// cudaSetDevice + stream creation); the result becomes RunContext::stream for that device.
// The naive engine calls it once per device on the first pushing thread.
void setGpuWorkerInit(void* (*init)(int devId));
// Per-op device timing (the CUDA module installs it under ISOTENSOR_GPU_PROFILE): begin runs on
// the GPU worker before an op's function, end after it, bracketing the kernels the op queued.
struct GpuOpTimer {
  void* (*begin)(int devId, void* stream) = nullptr;
  void (*end)(void* token, const char* opName) = nullptr;
};
// Installs the timer (a static object that outlives the engine).
void setGpuOpTimer(const GpuOpTimer* timer);

// Index of the calling thread in traces: 0 for threads the engine does not own, 1..N for
// pool workers, N+1+devId for GPU workers.
int currentThreadIndex();

}  // namespace ist
