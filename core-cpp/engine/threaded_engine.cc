// ThreadedEngine: ops wait in per-var FIFO queues and run on the worker pool once every var grants access.
//
// An op holds one VarDep per distinct var and a wait counter starting at (#vars + 1). Each var
// grants in program order (readers together, a writer alone) by decrementing the counter; the
// push itself holds the "+1" so the op cannot start half-registered. At zero the op goes to the
// CPU pool, or to its GPU device's own worker thread. When it finishes, each var passes access
// to the next ops in its queue; a worker keeps one newly ready op for itself (skipping a queue
// round trip) unless parallelFor chunks are waiting. Registration is serialised by one push
// mutex so pushes from several threads can never queue in crossing orders (no deadlock); no
// lock is held while an op runs.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include "base/error.h"
#include "engine/engine_impl.h"
#include "engine/thread_pool.h"
#include "engine/var.h"

namespace ist {

class ThreadedEngine;

struct OpBlock {
  ThreadedEngine* engine = nullptr;
  SyncFn fn;
  Context ctx;
  const char* name = nullptr;
  unsigned flags = 0;
  bool deletesVar = false;
  std::atomic<int> wait{0};
  std::vector<VarDep> deps;  // capacity is kept while the block sits in the free list
  OpBlock* nextFree = nullptr;
};

namespace {

thread_local const void* tGpuEngine = nullptr;  // engine whose GPU worker this thread is
thread_local int tGpuDev = -1;
thread_local void* tStream = nullptr;
thread_local std::vector<VarDep*> tGranted;  // scratch for complete(); never re-entered

// Hands access to queued ops of v while it allows. Caller holds v->mu.
void grantQueued(Var* v, std::vector<VarDep*>& out) {
  while (VarDep* d = v->head) {
    if (v->writer) break;
    if (d->mode & kDepWrite) {
      if (v->readers) break;
      v->writer = true;
    } else {
      ++v->readers;
    }
    v->head = d->next;
    if (!v->head) v->tail = nullptr;
    out.push_back(d);
  }
}

struct DeviceWorker {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<OpBlock*> queue;
  std::atomic<int> queued{0};  // queue.size(), readable without mu while spinning
  bool stop = false;
  std::thread thread;
};

constexpr int kMaxFreeOps = 4096;
// How long a GPU worker spins for more work before sleeping (ISOTENSOR_GPU_SPIN_MICROS overrides).
int gpuSpinMicros() {
  static const int us = [] {
    const char* v = std::getenv("ISOTENSOR_GPU_SPIN_MICROS");
    return v && *v ? std::atoi(v) : 200;
  }();
  return us;
}

}  // namespace

class ThreadedEngine final : public EngineBase {
 public:
  explicit ThreadedEngine(int numThreads) : pool_(new ThreadPool(std::max(numThreads, 1))) {}

  ~ThreadedEngine() override {
    try {
      waitForAll();
    } catch (...) {
    }
    for (auto& w : gpu_) {
      if (!w) continue;
      {
        std::lock_guard<std::mutex> lk(w->mu);
        w->stop = true;
      }
      w->cv.notify_all();
      w->thread.join();
    }
    pool_.reset();  // joins the workers before the members they touch go away
    while (freeList_) {
      OpBlock* next = freeList_->nextFree;
      delete freeList_;
      freeList_ = next;
    }
  }

  ThreadPool* pool() const { return pool_.get(); }

  VarHandle newVariable() override { return new Var; }

  void pushSync(SyncFn fn, Context ctx, const std::vector<VarHandle>& constVars,
                const std::vector<VarHandle>& mutableVars, const char* opName,
                bool runOnError) override {
    push(std::move(fn), ctx, constVars.data(), constVars.size(), mutableVars.data(),
         mutableVars.size(), opName, runOnError ? kRunOnError : 0u, false);
  }

  void pushSmall(SyncFn fn, Context ctx, const std::vector<VarHandle>& constVars,
                 const std::vector<VarHandle>& mutableVars, const char* opName) override {
    push(std::move(fn), ctx, constVars.data(), constVars.size(), mutableVars.data(), mutableVars.size(), opName,
         ctx.isGPU() ? 0u : kRunIfReady, false);
  }

  void deleteVariable(SyncFn deleter, Context ctx, VarHandle var) override {
    // Freeing memory costs less than a hand-off: run it here when nothing still uses the var.
    push(std::move(deleter), ctx, nullptr, 0, &var, 1, "DeleteVariable",
         kRunOnError | kNoTrace | (ctx.isGPU() ? 0u : kRunIfReady), true);
  }

  void waitForVar(VarHandle var) override { waitVar(var, false); }
  void waitForVarWrite(VarHandle var) override { waitVar(var, true); }

  void waitForAll() override {
    // A timed GPU call ends in waitAll a few microseconds after its kernels are queued: yield a
    // little before paying for a futex sleep and wake-up, as waitVar does.
    for (int i = 0; i < 100 && pending_.load(std::memory_order_acquire) != 0; ++i) std::this_thread::yield();
    idleInterest_.fetch_add(1);  // before the check of pending_ in wait (see notifyIdle)
    {
      std::unique_lock<std::mutex> lk(idleMu_);
      idleCv_.wait(lk, [&] { return pending_.load() == 0; });
    }
    idleInterest_.fetch_sub(1);
    errors_.raiseFirstUnraised();
  }

  void onIdle(std::function<void()> fn) override {
    idleInterest_.fetch_add(1);  // before the check of pending_ (see notifyIdle)
    {
      std::lock_guard<std::mutex> lk(idleMu_);
      if (pending_.load() != 0) {
        idleFns_.push_back(std::move(fn));  // notifyIdle takes its interest back with it
        return;
      }
    }
    idleInterest_.fetch_sub(1);
    fn();
  }

  const char* kind() const override { return "threaded"; }
  int numWorkers() const override { return pool_->size(); }

  static void runTask(void* arg) {
    OpBlock* op = static_cast<OpBlock*>(arg);
    op->engine->runChain(op);
  }

 private:
  void push(SyncFn&& fn, Context ctx, const VarHandle* constVars, size_t numConst,
            const VarHandle* mutableVars, size_t numMutable, const char* name, unsigned flags,
            bool deletesVar) {
    IST_CHECK(!ctx.isGPU() || (ctx.devId >= 0 && ctx.devId < 64), name ? name : "engine", "ctx",
              "invalid device " << ctx.str());
    OpBlock* op = allocOp();
    op->fn = std::move(fn);
    op->ctx = ctx;
    op->name = name;
    op->flags = flags;
    op->deletesVar = deletesVar;
    collectDeps(constVars, numConst, mutableVars, numMutable, op, op->deps);
    const int hold = static_cast<int>(op->deps.size()) + 1;
    op->wait.store(hold, std::memory_order_relaxed);
    pending_.fetch_add(1, std::memory_order_relaxed);
    int granted = 0;
    {
      std::lock_guard<SpinLock> order(pushMu_);
      for (VarDep& d : op->deps) {
        Var* v = d.var;
        std::lock_guard<SpinLock> lk(v->mu);
        const bool write = d.mode & kDepWrite;
        if (!v->writer && !v->head && (!write || v->readers == 0)) {
          if (write) v->writer = true;
          else ++v->readers;
          ++granted;
        } else {
          d.next = nullptr;
          if (v->tail) v->tail->next = &d;
          else v->head = &d;
          v->tail = &d;
        }
      }
    }
    if (op->wait.fetch_sub(granted + 1, std::memory_order_acq_rel) != granted + 1) return;
    // Granted everything at once: a small op runs here rather than paying a hand-off.
    if ((flags & kRunIfReady) && granted == static_cast<int>(op->deps.size())) runChain(op);
    else dispatch(op);
  }

  void dispatch(OpBlock* op) {
    if (op->flags & kRunInline) {
      runChain(op);
    } else if (op->ctx.isGPU()) {
      DeviceWorker* w = gpuWorker(op->ctx.devId);
      {
        std::lock_guard<std::mutex> lk(w->mu);
        w->queue.push_back(op);
        w->queued.fetch_add(1, std::memory_order_release);
      }
      w->cv.notify_one();
    } else {
      pool_->submit(&ThreadedEngine::runTask, op);
    }
  }

  // Whether the calling worker may run op right after the one it finished.
  bool canRunHere(const OpBlock* op) const {
    if (op->ctx.isGPU()) return tGpuEngine == this && tGpuDev == op->ctx.devId;
    return pool_->onWorker() && !pool_->jobsWaiting();
  }

  void runChain(OpBlock* op) {
    while (op) {
      RunContext rc{op->ctx, op->ctx.isGPU() ? tStream : nullptr};
      runOp(op->fn, rc, op->name, op->deps.data(), op->deps.size(), op->flags, errors_);
      op = complete(op);
    }
  }

  // Releases op's vars, dispatches what became ready and returns one op to run here (or null).
  OpBlock* complete(OpBlock* op) {
    OpBlock* next = nullptr;
    std::vector<OpBlock*> inlineOps;
    std::vector<VarDep*>& granted = tGranted;
    for (VarDep& d : op->deps) {
      Var* v = d.var;
      granted.clear();
      {
        std::lock_guard<SpinLock> lk(v->mu);
        if (d.mode & kDepWrite) v->writer = false;
        else --v->readers;
        grantQueued(v, granted);
      }
      for (VarDep* g : granted) {
        if (g->op->wait.fetch_sub(1, std::memory_order_acq_rel) != 1) continue;
        if (g->op->flags & kRunInline) inlineOps.push_back(g->op);  // after this loop: it reuses tGranted
        else if (!next && canRunHere(g->op)) next = g->op;
        else dispatch(g->op);
      }
    }
    // The delete op was the var's last user (pushing to a deleted var is a caller bug).
    if (op->deletesVar) delete op->deps[0].var;
    freeOp(op);
    if (pending_.fetch_sub(1) == 1 && idleInterest_.load() != 0) notifyIdle();
    for (OpBlock* o : inlineOps) runChain(o);
    return next;
  }

  // Called when pending_ reached 0 while someone waits for idle or queued an onIdle function. Both
  // raise idleInterest_ before they check pending_, and complete() lowers pending_ before it reads
  // idleInterest_ (all sequentially consistent), so one of the two sides always sees the other:
  // the common case of nobody waiting costs no lock.
  void notifyIdle() {
    std::vector<std::function<void()>> fns;
    {
      std::lock_guard<std::mutex> lk(idleMu_);
      idleCv_.notify_all();
      if (pending_.load() == 0) fns.swap(idleFns_);  // still idle?
    }
    if (!fns.empty()) idleInterest_.fetch_sub(static_cast<int>(fns.size()));
    for (auto& f : fns) f();
  }

  void waitVar(Var* var, bool forWrite) {
    bool idle;
    ErrorRef idleError;
    {
      std::lock_guard<SpinLock> lk(var->mu);
      idle = !var->writer && !var->head && (!forWrite || var->readers == 0);
      if (idle) idleError = var->error;  // no writer can hold the var while we hold mu
    }
    if (idle) {
      raiseVarError(idleError);
      return;
    }
    struct Waiter {
      std::mutex mu;
      std::condition_variable cv;
      std::atomic<bool> done{false};
      ErrorRef error;
    } w;
    Var* v = var;
    auto signal = [&w, v](RunContext) {
      ErrorRef e = v->error;
      std::lock_guard<std::mutex> lk(w.mu);  // the waiter takes mu before leaving, so w outlives this
      w.error = std::move(e);
      w.done.store(true, std::memory_order_release);
      w.cv.notify_all();
    };
    const unsigned flags = kRunOnError | kNoTrace | kRunInline;
    if (forWrite) push(signal, Context::cpu(), nullptr, 0, &v, 1, "WaitForVarWrite", flags, false);
    else push(signal, Context::cpu(), &v, 1, nullptr, 0, "WaitForVar", flags, false);
    // Small ops finish within microseconds: yield a little before paying for a futex sleep.
    for (int i = 0; i < 100 && !w.done.load(std::memory_order_acquire); ++i) std::this_thread::yield();
    {
      std::unique_lock<std::mutex> lk(w.mu);
      w.cv.wait(lk, [&] { return w.done.load(std::memory_order_relaxed); });
    }
    raiseVarError(w.error);
  }

  OpBlock* allocOp() {
    {
      std::lock_guard<SpinLock> lk(freeMu_);
      if (OpBlock* op = freeList_) {
        freeList_ = op->nextFree;
        --freeCount_;
        return op;
      }
    }
    OpBlock* op = new OpBlock;
    op->engine = this;
    return op;
  }

  void freeOp(OpBlock* op) {
    op->deps.clear();
    {
      std::lock_guard<SpinLock> lk(freeMu_);
      if (freeCount_ < kMaxFreeOps) {
        op->nextFree = freeList_;
        freeList_ = op;
        ++freeCount_;
        return;
      }
    }
    delete op;
  }

  DeviceWorker* gpuWorker(int dev) {
    std::lock_guard<std::mutex> lk(gpuMu_);
    if (dev >= static_cast<int>(gpu_.size())) gpu_.resize(dev + 1);
    if (!gpu_[dev]) {
      gpu_[dev].reset(new DeviceWorker);
      DeviceWorker* w = gpu_[dev].get();
      w->thread = std::thread([this, w, dev] { gpuLoop(w, dev); });
    }
    return gpu_[dev].get();
  }

  void gpuLoop(DeviceWorker* w, int dev) {
    tGpuEngine = this;
    tGpuDev = dev;
    setCurrentThreadIndex(pool_->size() + 1 + dev);
    if (GpuWorkerInit init = gpuWorkerInit()) tStream = init(dev);
    std::unique_lock<std::mutex> lk(w->mu);
    for (;;) {
      if (!w->queue.empty()) {
        OpBlock* op = w->queue.front();
        w->queue.pop_front();
        w->queued.fetch_sub(1, std::memory_order_relaxed);
        lk.unlock();
        runChain(op);
        lk.lock();
        continue;
      }
      if (w->stop) return;
      // The host thread pushes GPU ops one by one, each a few microseconds apart: spin briefly
      // before sleeping, so a burst does not pay a futex wake-up (tens of microseconds) per op.
      lk.unlock();
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(gpuSpinMicros());
      while (w->queued.load(std::memory_order_acquire) == 0 && std::chrono::steady_clock::now() < until)
        std::this_thread::yield();
      lk.lock();
      if (!w->queue.empty() || w->stop) continue;
      w->cv.wait(lk);
    }
  }

  std::unique_ptr<ThreadPool> pool_;
  SpinLock pushMu_;
  std::atomic<int64_t> pending_{0};
  std::mutex idleMu_;
  std::condition_variable idleCv_;
  std::vector<std::function<void()>> idleFns_;
  std::atomic<int> idleInterest_{0};  // waitForAll callers waiting plus idleFns_.size()
  ErrorList errors_;
  SpinLock freeMu_;
  OpBlock* freeList_ = nullptr;
  int freeCount_ = 0;
  std::mutex gpuMu_;
  std::vector<std::unique_ptr<DeviceWorker>> gpu_;
};

ThreadPool* threadedEnginePool(EngineBase* engine) {
  return static_cast<ThreadedEngine*>(engine)->pool();
}

std::unique_ptr<EngineBase> makeThreadedEngine(int numThreads) {
#if IST_HAS_THREADS
  return std::unique_ptr<EngineBase>(new ThreadedEngine(numThreads));
#else
  (void)numThreads;
  return makeNaiveEngine();
#endif
}

}  // namespace ist
