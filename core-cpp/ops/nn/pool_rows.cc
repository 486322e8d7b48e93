// Pooling's row kernels at the baseline width (SSE2 natively, SIMD128 in WASM), and the dispatch to the
// widest one this CPU runs.
#include "ops/nn/pool_rows.h"
#include "kernels/cpu/cpu_features.h"

namespace ist {
namespace pool {

namespace {
RowKernels widest(bool max) {
#if defined(__x86_64__)
  if (cpuIsa() == CpuIsa::kAvx512) return rowKernelsAvx512(max);
  if (cpuIsa() == CpuIsa::kAvx2) return rowKernelsAvx2(max);
#endif
  return rowKernelsOf<4>(max);
}
}  // namespace

const RowKernels& rowKernels(bool max) {
  static const RowKernels kMax = widest(true), kSum = widest(false);
  return max ? kMax : kSum;
}

}  // namespace pool
}  // namespace ist
