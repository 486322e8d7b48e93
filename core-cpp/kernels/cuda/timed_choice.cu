// Picking the fastest way to compute a result on a GPU by running the candidates (timed_choice.h).
#include "kernels/cuda/timed_choice.h"
#include <cuda_runtime.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <mutex>
#include <unordered_map>
#include "kernels/cuda/kernel_cuda.cuh"

namespace ist {

namespace {

constexpr int kTimedCalls = 4;  // back to back, so host and device work overlap as in steady use
constexpr int kTimedBatches = 3;

bool logChoices() {
  static const bool on = [] {
    const char* v = std::getenv("ISOTENSOR_LOG_TIMED_CHOICES");
    return v && *v && std::string(v) != "0";
  }();
  return on;
}

}  // namespace

int fastestOf(void* stream, const std::vector<std::function<void()>>& candidates, const char* what,
              bool synchronous) {
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  int best = -1;
  double bestTime = std::numeric_limits<double>::infinity();
  std::exception_ptr firstError;
  std::string log;
  for (size_t i = 0; i < candidates.size(); ++i) {
    try {  // a candidate that fails here (e.g. an algorithm the library rejects at run time) is skipped
      candidates[i]();
      cudaCheck(cudaStreamSynchronize(s), "cudaStreamSynchronize");
      double t = std::numeric_limits<double>::infinity();
      for (int batch = 0; batch < kTimedBatches; ++batch) {  // the best batch: noise only adds time
        const auto t0 = std::chrono::steady_clock::now();
        for (int rep = 0; rep < kTimedCalls; ++rep) {
          candidates[i]();
          if (synchronous) cudaCheck(cudaStreamSynchronize(s), "cudaStreamSynchronize");
        }
        cudaCheck(cudaStreamSynchronize(s), "cudaStreamSynchronize");
        t = std::min(t, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / kTimedCalls);
      }
      if (logChoices()) log += " " + std::to_string(i) + ":" + std::to_string(int(t * 1e6)) + "us";
      if (t < bestTime) {
        bestTime = t;
        best = static_cast<int>(i);
      }
    } catch (...) {
      if (!firstError) firstError = std::current_exception();
      if (logChoices()) log += " " + std::to_string(i) + ":failed";
    }
  }
  if (logChoices()) std::fprintf(stderr, "[timed choice] %s:%s -> %d\n", what, log.c_str(), best);
  if (best < 0 && firstError) std::rethrow_exception(firstError);
  return best < 0 ? 0 : best;
}

int fastestOnce(const std::string& key, void* stream, const std::vector<std::function<void()>>& candidates,
                const char* what) {
  static std::mutex mu;
  static std::unordered_map<std::string, int> chosen;
  {
    std::lock_guard<std::mutex> lk(mu);
    auto it = chosen.find(key);
    if (it != chosen.end()) return it->second;
  }
  const int best = fastestOf(stream, candidates, what);  // outside the lock: candidates may take a while
  std::lock_guard<std::mutex> lk(mu);
  return chosen.emplace(key, best).first->second;
}

}  // namespace ist
