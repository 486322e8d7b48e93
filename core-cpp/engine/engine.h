// The dependency engine: ops declare what they read and write and run as soon as those are ready.
//
// Each storage chunk has one engine Var. pushSync() returns at once; the op
// runs after every earlier writer of what it reads and every earlier reader
// and writer of what it writes. ThreadedEngine runs ready ops on the shared
// worker pool; NaiveEngine runs each op inside pushSync (for debugging and for
// single-threaded WASM). An exception thrown by an op is stored on the vars it
// writes; later ops reading those vars are skipped and inherit the error, and
// waitForVar() rethrows it as IsotensorError.
#pragma once
#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>
#include "base/context.h"

namespace ist {

struct Var;  // opaque to users of the engine
using VarHandle = Var*;

struct RunContext {
  Context ctx;
  void* stream = nullptr;  // cudaStream_t on GPU
};

using SyncFn = std::function<void(RunContext)>;

class Engine {
 public:
  virtual ~Engine() = default;
  virtual VarHandle newVariable() = 0;
  // Runs `fn` once `fn`'s reads and writes are ready. A var in both lists counts as written.
  // runOnError: run `fn` even when an input var carries an error (it neither inherits nor clears
  // errors) — used by signal/callback ops that wake waiters, which must fire whatever happened.
  virtual void pushSync(SyncFn fn, Context ctx, const std::vector<VarHandle>& constVars,
                        const std::vector<VarHandle>& mutableVars, const char* opName,
                        bool runOnError = false) = 0;
  // pushSync for an op on tiny arrays: the engine may run it on the calling thread when its vars
  // are free at once, where handing it to a worker would cost more than the op itself.
  virtual void pushSmall(SyncFn fn, Context ctx, const std::vector<VarHandle>& constVars,
                         const std::vector<VarHandle>& mutableVars, const char* opName) {
    pushSync(std::move(fn), ctx, constVars, mutableVars, opName);
  }
  // Runs `deleter` as a write on `var` and then destroys the var.
  virtual void deleteVariable(SyncFn deleter, Context ctx, VarHandle var) = 0;
  // Blocks until every pushed write to var is done; rethrows an error stored on it.
  virtual void waitForVar(VarHandle var) = 0;
  // Blocks until all pushed ops are done; rethrows (and clears) the first error no wait has seen.
  virtual void waitForAll() = 0;
  virtual const char* kind() const = 0;
  virtual int numWorkers() const = 0;

  // The process-wide engine. init() picks its kind and thread count once. get() is inline and
  // cannot throw once the engine exists: in the WASM build every call that may throw, made where
  // destructors are pending, costs a round trip through a JS exception trampoline.
  static Engine* get() {
    Engine* e = current_.load(std::memory_order_acquire);
    return e ? e : initDefault();
  }
  static void init(int numThreads, int kind /*0 env, 1 threaded, 2 naive*/);

  // Tracing of op execution (for tests proving concurrency and for profiling).
  static void setTrace(bool on);
  static std::string takeTraceJSON();

 private:
  static Engine* initDefault();
  static std::atomic<Engine*> current_;  // set once by init, never deleted
};

}  // namespace ist
