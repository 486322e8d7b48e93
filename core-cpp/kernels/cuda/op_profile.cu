// ISOTENSOR_GPU_PROFILE=1: the device time of every GPU op, measured with CUDA events around the
// kernels it queues, summed per op name and printed to stderr at exit (or ISOTENSOR_GPU_PROFILE=path
// appends the table to that file). Host timings (mx.engine traces) cannot see where a GPU spends
// its time, because an op is done once its kernels are queued; the table also gives the GPU
// worker's host time inside each op (library calls, launches), which a synchronous call waits for.
#include <cuda_runtime.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>
#include "engine/engine_impl.h"

namespace ist {
namespace {

struct Span {
  std::string name;
  void* stream;
  cudaEvent_t start, stop;
  std::chrono::steady_clock::time_point hostStart;
  float hostMs = 0;
};

struct Totals {
  double ms = 0;
  std::vector<float> each;  // every call's milliseconds, for the median
  std::vector<float> host;  // every call's host milliseconds on the GPU worker
};

class OpProfile {
 public:
  void* begin(int /*dev*/, void* stream) {
    Span* s = new Span{{}, stream, event(), event(), {}, 0};
    cudaEventRecord(s->start, static_cast<cudaStream_t>(stream));
    s->hostStart = std::chrono::steady_clock::now();
    return s;
  }

  void end(void* token, const char* name) {
    Span* s = static_cast<Span*>(token);
    s->hostMs = std::chrono::duration<float, std::milli>(std::chrono::steady_clock::now() - s->hostStart).count();
    cudaEventRecord(s->stop, static_cast<cudaStream_t>(s->stream));
    s->name = name ? name : "?";
    std::lock_guard<std::mutex> lk(mu_);
    if (!registered_) {  // after the CUDA runtime's own exit handler, so this one runs first
      registered_ = true;
      std::atexit([] { instance().report(); });
    }
    open_.push_back(s);
    if (open_.size() >= 2048) resolve();  // bounded memory; the wait lands on the GPU worker only
  }

  static OpProfile& instance() {
    static OpProfile* p = new OpProfile;  // never destroyed: the exit handler uses it
    return *p;
  }

 private:
  cudaEvent_t event() {
    std::lock_guard<std::mutex> lk(mu_);
    if (!free_.empty()) {
      cudaEvent_t e = free_.back();
      free_.pop_back();
      return e;
    }
    cudaEvent_t e = nullptr;
    cudaEventCreate(&e);
    return e;
  }

  // Folds the finished spans into the totals (mu_ held).
  void resolve() {
    for (Span* s : open_) {
      float ms = 0;
      if (cudaEventSynchronize(s->stop) == cudaSuccess && cudaEventElapsedTime(&ms, s->start, s->stop) == cudaSuccess) {
        Totals& t = totals_[s->name];
        t.ms += ms;
        t.each.push_back(ms);
        t.host.push_back(s->hostMs);
      }
      cudaGetLastError();
      free_.push_back(s->start);
      free_.push_back(s->stop);
      delete s;
    }
    open_.clear();
  }

  void report() {
    std::lock_guard<std::mutex> lk(mu_);
    resolve();
    std::vector<std::pair<std::string, Totals>> rows(totals_.begin(), totals_.end());
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
    double all = 0;
    for (const auto& r : rows) all += r.second.ms;
    const char* dest = std::getenv("ISOTENSOR_GPU_PROFILE");
    FILE* f = dest && std::strcmp(dest, "1") != 0 ? std::fopen(dest, "a") : nullptr;
    FILE* out = f ? f : stderr;
    // The median says what a call costs in steady use; the first calls of an op (lazy module
    // loading, cuDNN's timed algorithm trials) only move the total and the maximum.
    std::fprintf(out, "gpu op profile: device time per op name (CUDA events), %.3f ms in all\n", all);
    // host us: the median time the GPU worker spent inside the op, from its first to its last call.
    std::fprintf(out, "%-36s %8s %12s %10s %10s %10s %6s %9s\n", "op", "calls", "total ms", "median us", "mean us",
                 "max us", "share", "host us");
    for (auto& [name, t] : rows) {
      std::vector<float>& e = t.each;
      std::sort(e.begin(), e.end());
      std::sort(t.host.begin(), t.host.end());
      const double n = static_cast<double>(e.size());
      std::fprintf(out, "%-36s %8zu %12.3f %10.1f %10.1f %10.1f %5.1f%% %9.1f\n", name.c_str(), e.size(), t.ms,
                   1000.0 * e[e.size() / 2], 1000 * t.ms / n, 1000.0 * e.back(), all > 0 ? 100 * t.ms / all : 0.0,
                   1000.0 * t.host[t.host.size() / 2]);
    }
    if (f) std::fclose(f);
  }

  std::mutex mu_;
  bool registered_ = false;
  std::vector<Span*> open_;
  std::vector<cudaEvent_t> free_;
  std::map<std::string, Totals> totals_;
};

const GpuOpTimer kTimer{
    [](int dev, void* stream) { return OpProfile::instance().begin(dev, stream); },
    [](void* token, const char* name) { OpProfile::instance().end(token, name); },
};

const bool kInstalled = [] {
  const char* v = std::getenv("ISOTENSOR_GPU_PROFILE");
  if (v && *v && std::strcmp(v, "0") != 0) setGpuOpTimer(&kTimer);
  return true;
}();

}  // namespace
}  // namespace ist
