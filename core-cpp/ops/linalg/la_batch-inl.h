// forEachMatrix (declared in la_kernels.h): how the linalg ops spread a batch of matrices over threads.
#pragma once
#include <mutex>
#include "engine/parallel_for.h"

namespace ist {
namespace la {

template <typename Fn>
BatchFailure forEachMatrix(int64_t batch, int64_t flopsPerItem, Fn&& fn) {
  BatchFailure fail;
  if (batch <= 0) return fail;
  // Large matrices keep the batch serial and let GEMM split each product; small ones are too
  // small for that, so the batch itself is split.
  constexpr int64_t kBigItem = int64_t(1) << 22;
  if (batch == 1 || parallelThreads() <= 1 || flopsPerItem >= kBigItem) {
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t code = fn(b, true);
      if (code != 0) return {b, code};
    }
    return fail;
  }
  std::mutex mu;
  parallelFor(batch, flopsPerItem > 0 ? flopsPerItem : 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t code = fn(b, false);
      if (code != 0) {
        std::lock_guard<std::mutex> lock(mu);
        if (fail.index < 0 || b < fail.index) fail = {b, code};
        return;
      }
    }
  });
  return fail;
}

}  // namespace la
}  // namespace ist
