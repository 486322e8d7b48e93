// Intra-op parallelism sharing the engine's worker pool.
#pragma once
#include <cstdint>
#include "base/function_ref.h"

namespace ist {

// Calls fn(begin, end) on disjoint chunks covering [0, n), in parallel when the
// work (n * costPerItem, in rough ops) is worth it. The caller runs chunks too,
// so it never deadlocks even when every worker is busy.
void parallelFor(int64_t n, int64_t costPerItem, FunctionRef<void(int64_t, int64_t)> fn);
// Threads parallelFor may use (1 in single-threaded WASM).
int parallelThreads();

}  // namespace ist
