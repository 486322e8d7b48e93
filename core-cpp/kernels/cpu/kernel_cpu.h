// The CPU/WASM launcher: runs OP::Map over [0, n) with parallelFor on the engine's pool.
#pragma once
#include "engine/parallel_for.h"
#include "kernels/kernel.h"

namespace ist {

template <typename OP>
struct Kernel<OP, cpu> {
  // costPerItem: rough cost of one Map call, in simple arithmetic ops (sets the parallel grain).
  template <typename... Args>
  static void launch(int64_t n, Args... args) {
    launchCost(n, 1, args...);
  }
  template <typename... Args>
  static void launchCost(int64_t n, int64_t costPerItem, Args... args) {
    parallelFor(n, costPerItem, [&](int64_t begin, int64_t end) { mapRange<OP>(begin, end, args...); });
  }
};

}  // namespace ist
