// NaiveEngine: runs every op inside pushSync, with the same error rules as ThreadedEngine.
//
// For debugging (ISOTENSOR_ENGINE=naive) and single-threaded WASM. Ops still see the var/error
// semantics of the threaded engine, so a failing op only surfaces at the next wait. Meant for one
// pushing thread; ops may push (nested pushes run at once, depth-first).
#include <vector>
#include "base/nested_scratch.h"
#include "engine/engine_impl.h"
#include "engine/thread_pool.h"
#include "engine/var.h"

namespace ist {

namespace {

class NaiveEngine final : public EngineBase {
 public:
  VarHandle newVariable() override { return new Var; }

  void pushSync(SyncFn fn, Context ctx, const std::vector<VarHandle>& constVars,
                const std::vector<VarHandle>& mutableVars, const char* opName,
                bool runOnError) override {
    run(fn, ctx, constVars.data(), constVars.size(), mutableVars.data(), mutableVars.size(), opName,
        runOnError ? kRunOnError : 0u);
  }

  void deleteVariable(SyncFn deleter, Context ctx, VarHandle var) override {
    run(deleter, ctx, nullptr, 0, &var, 1, "DeleteVariable", kRunOnError | kNoTrace);
    delete var;
  }

  void waitForVar(VarHandle var) override { raiseVarError(var->error); }
  void waitForVarWrite(VarHandle var) override { raiseVarError(var->error); }
  void waitForAll() override { errors_.raiseFirstUnraised(); }
  void onIdle(std::function<void()> fn) override { fn(); }

  const char* kind() const override { return "naive"; }
  int numWorkers() const override {
    ThreadPool* p = processPool();
    return p ? p->size() : 1;
  }

 private:
  void run(SyncFn& fn, Context ctx, const VarHandle* constVars, size_t numConst,
           const VarHandle* mutableVars, size_t numMutable, const char* name, unsigned flags) {
    // One dep buffer per nesting level: an op's fn (or its captures' destructors) may push.
    NestedScratch<std::vector<VarDep>> deps;
    collectDeps(constVars, numConst, mutableVars, numMutable, nullptr, *deps);
    const VarDep* d = deps->data();
    const size_t n = deps->size();
    RunContext rc{ctx, ctx.isGPU() ? gpuStream(ctx.devId) : nullptr};
    runOp(fn, rc, name, d, n, flags, errors_);
  }

  void* gpuStream(int dev) {
    if (dev >= static_cast<int>(streams_.size())) streams_.resize(dev + 1, {false, nullptr});
    if (!streams_[dev].first) {
      GpuWorkerInit init = gpuWorkerInit();
      streams_[dev] = {true, init ? init(dev) : nullptr};
    }
    return streams_[dev].second;
  }

  ErrorList errors_;
  std::vector<std::pair<bool, void*>> streams_;
};

}  // namespace

std::unique_ptr<EngineBase> makeNaiveEngine() { return std::unique_ptr<EngineBase>(new NaiveEngine); }

}  // namespace ist
