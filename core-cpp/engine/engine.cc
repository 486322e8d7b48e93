// The process engine (Engine::get/init), op tracing, and the var/error rules both engines share.
//
// Process-wide objects here are created with `new` and never destroyed: worker threads may
// still be running ops while static destructors run at exit, so nothing they touch may die.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <unordered_map>
#include "base/json.h"
#include "engine/engine.h"
#include "engine/engine_impl.h"
#include "engine/thread_pool.h"
#include "engine/var.h"
#include "engine/write_stamp.h"

// Threads a pthreads WASM build may start; PTHREAD_POOL_SIZE must be at least this, because a
// thread not pre-spawned only starts once the main thread yields to the event loop.
#ifndef IST_WASM_MAX_THREADS
#define IST_WASM_MAX_THREADS 8
#endif

namespace ist {

// ---------------------------------------------------------------- vars and dependencies

namespace {
std::atomic<int64_t> gLiveVars{0};
std::atomic<GpuWorkerInit> gGpuInit{nullptr};
std::atomic<const GpuOpTimer*> gGpuOpTimer{nullptr};

std::atomic<uint64_t> gNextWriteStamp{1};
uint64_t nextWriteStamp() { return gNextWriteStamp.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

Var::Var() : writeStamp(nextWriteStamp()) { gLiveVars.fetch_add(1, std::memory_order_relaxed); }
Var::~Var() { gLiveVars.fetch_sub(1, std::memory_order_relaxed); }
int64_t liveVarCount() { return gLiveVars.load(std::memory_order_relaxed); }
uint64_t varWriteStamp(VarHandle var) { return var->writeStamp.load(std::memory_order_acquire); }

void setGpuWorkerInit(void* (*init)(int devId)) { gGpuInit.store(init); }
GpuWorkerInit gpuWorkerInit() { return gGpuInit.load(); }
void setGpuOpTimer(const GpuOpTimer* timer) { gGpuOpTimer.store(timer); }
const GpuOpTimer* gpuOpTimer() { return gGpuOpTimer.load(std::memory_order_relaxed); }

void collectDeps(const VarHandle* constVars, size_t numConst, const VarHandle* mutableVars,
                 size_t numMutable, OpBlock* op, std::vector<VarDep>& deps) noexcept {
  deps.clear();
  if (numConst + numMutable <= 32) {  // the usual case: a linear scan beats hashing
    auto find = [&](Var* v) -> VarDep* {
      for (VarDep& d : deps)
        if (d.var == v) return &d;
      return nullptr;
    };
    for (size_t i = 0; i < numMutable; ++i)
      if (mutableVars[i] && !find(mutableVars[i])) deps.push_back({mutableVars[i], op, nullptr, kDepWrite});
    for (size_t i = 0; i < numConst; ++i) {
      if (!constVars[i]) continue;
      if (VarDep* d = find(constVars[i])) d->mode |= kDepRead;
      else deps.push_back({constVars[i], op, nullptr, kDepRead});
    }
    return;
  }
  std::unordered_map<Var*, size_t> index;
  for (size_t i = 0; i < numMutable; ++i)
    if (mutableVars[i] && index.emplace(mutableVars[i], deps.size()).second)
      deps.push_back({mutableVars[i], op, nullptr, kDepWrite});
  for (size_t i = 0; i < numConst; ++i) {
    if (!constVars[i]) continue;
    auto it = index.emplace(constVars[i], deps.size());
    if (it.second) deps.push_back({constVars[i], op, nullptr, kDepRead});
    else deps[it.first->second].mode |= kDepRead;
  }
}

// ---------------------------------------------------------------- errors

void ErrorList::add(const ErrorRef& e) {
  std::lock_guard<std::mutex> lk(mu_);
  errors_.push_back(e);
}

void ErrorList::raiseFirstUnraised() {
  ErrorRef first;
  {
    std::lock_guard<std::mutex> lk(mu_);
    for (const ErrorRef& e : errors_)
      if (!e->raised.load()) {
        first = e;
        break;
      }
    errors_.clear();
  }
  raiseVarError(first);
}

void raiseVarError(const ErrorRef& e) {
  if (!e) return;
  e->raised.store(true);
  std::rethrow_exception(e->error);
}

// ---------------------------------------------------------------- tracing

namespace {
struct TraceEvent {
  std::string op;
  int thread;
  int64_t startNs, endNs;
};
std::atomic<bool> gTraceOn{false};
std::atomic<int64_t> gTraceEpochNs{0};
std::mutex& traceMu() {
  static std::mutex* m = new std::mutex;
  return *m;
}
std::vector<TraceEvent>& traceEvents() {
  static auto* v = new std::vector<TraceEvent>;
  return *v;
}
int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}
void recordTrace(const char* name, int64_t startNs, int64_t endNs) {
  TraceEvent ev{name ? name : "", currentThreadIndex(), startNs, endNs};
  std::lock_guard<std::mutex> lk(traceMu());
  traceEvents().push_back(std::move(ev));
}
}  // namespace

void Engine::setTrace(bool on) {
  if (on && !gTraceOn.load()) gTraceEpochNs.store(nowNs());
  gTraceOn.store(on);
}

std::string Engine::takeTraceJSON() {
  std::vector<TraceEvent> events;
  {
    std::lock_guard<std::mutex> lk(traceMu());
    events.swap(traceEvents());
  }
  const int64_t epoch = gTraceEpochNs.load();
  std::string out = "[";
  char buf[96];
  for (size_t i = 0; i < events.size(); ++i) {
    const TraceEvent& e = events[i];
    if (i) out += ',';
    out += "{\"op\":";
    appendJsonString(out, e.op);
    std::snprintf(buf, sizeof buf, ",\"thread\":%d,\"start_us\":%.3f,\"end_us\":%.3f}", e.thread,
                  (e.startNs - epoch) / 1e3, (e.endNs - epoch) / 1e3);
    out += buf;
  }
  return out + "]";
}

// ---------------------------------------------------------------- running one op

void runOp(SyncFn& fn, const RunContext& rc, const char* name, const VarDep* deps, size_t n,
           unsigned flags, ErrorList& errors) noexcept {
  ErrorRef err;
  if (!(flags & kRunOnError))
    for (size_t i = 0; i < n; ++i)
      if ((deps[i].mode & kDepRead) && deps[i].var->error) {
        err = deps[i].var->error;  // skipped: its outputs inherit the upstream error
        break;
      }
  if (!err) {
    const bool tracing = gTraceOn.load(std::memory_order_relaxed) && !(flags & kNoTrace);
    const int64_t t0 = tracing ? nowNs() : 0;
    const GpuOpTimer* timer = rc.ctx.isGPU() && !(flags & kNoTrace) ? gpuOpTimer() : nullptr;
    void* timing = timer ? timer->begin(rc.ctx.devId, rc.stream) : nullptr;
    try {
      fn(rc);
    } catch (...) {
      err = std::make_shared<ErrorRecord>();
      err->error = std::current_exception();
      errors.add(err);
    }
    if (tracing) recordTrace(name, t0, nowNs());
    if (timing) timer->end(timing, name);
  }
  for (size_t i = 0; i < n; ++i) {
    if (!(deps[i].mode & kDepWrite)) continue;
    // Stamped after the op ran (a skipped op too: its var now holds an error), so an op reading
    // the var sees a stamp that matches the data it reads.
    deps[i].var->writeStamp.store(nextWriteStamp(), std::memory_order_release);
    if (err) deps[i].var->error = err;
    else if (!(flags & kRunOnError) && deps[i].var->error) deps[i].var->error.reset();  // overwritten: healed
  }
  // Drop the captures last: they may hold the last reference to an array, whose delete (a push;
  // run at once by the naive engine) may free one of these vars. The threaded engine still holds
  // access to them here, so such a delete waits behind this op.
  fn = nullptr;
}

// ---------------------------------------------------------------- the process engine

namespace {

int engineKindFromEnv() {
  const char* env = std::getenv("ISOTENSOR_ENGINE");
  if (!env) return 1;
  std::string s(env);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s.find("naive") != std::string::npos ? 2 : 1;  // "naive", "NaiveEngine"; else threaded
}
}  // namespace

std::atomic<Engine*> Engine::current_{nullptr};

Engine* Engine::initDefault() {
  init(0, 0);
  return current_.load(std::memory_order_acquire);
}

EngineBase* engineImpl() { return static_cast<EngineBase*>(Engine::get()); }

// The first call wins; later calls (and the lazy call from get()) are ignored, because ops
// already pushed, vars already created and the pool parallelFor holds belong to the first engine.
void Engine::init(int numThreads, int kind) {
  static std::mutex* mu = new std::mutex;
  std::lock_guard<std::mutex> lk(*mu);
  if (current_.load()) return;
  if (numThreads <= 0) numThreads = static_cast<int>(std::thread::hardware_concurrency());
  numThreads = std::max(numThreads, 1);
#if !IST_HAS_THREADS
  kind = 2;
  numThreads = 1;
#elif defined(__EMSCRIPTEN__)
  numThreads = std::min(numThreads, IST_WASM_MAX_THREADS);
#endif
  if (kind != 1 && kind != 2) kind = engineKindFromEnv();
  EngineBase* engine;
  ThreadPool* pool;
  if (kind == 2) {
    pool = new ThreadPool(numThreads > 1 ? numThreads : 0);  // only for parallelFor
    engine = makeNaiveEngine().release();
  } else {
    engine = makeThreadedEngine(numThreads).release();
    pool = threadedEnginePool(engine);
  }
  setProcessPool(pool);
  current_.store(engine, std::memory_order_release);  // never deleted (see the top of this file)
}

}  // namespace ist
