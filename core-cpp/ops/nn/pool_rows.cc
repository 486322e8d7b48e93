// Pooling's row kernels at the baseline width (SSE2 natively, SIMD128 in WASM), and the dispatch to the
// widest one this CPU runs.
#include "ops/nn/pool_rows.h"
#include "kernels/cpu/cpu_features.h"

namespace ist {
namespace pool {

const RowKernels& rowKernels(bool max) {
  static const RowKernels kMax = [] {
#if defined(__x86_64__)
    if (cpuIsa() == CpuIsa::kAvx512) return rowKernelsAvx512(true);
    if (cpuIsa() == CpuIsa::kAvx2) return rowKernelsAvx2(true);
#endif
    return rowKernelsOf<4>(true);
  }();
  static const RowKernels kSum = [] {
#if defined(__x86_64__)
    if (cpuIsa() == CpuIsa::kAvx512) return rowKernelsAvx512(false);
    if (cpuIsa() == CpuIsa::kAvx2) return rowKernelsAvx2(false);
#endif
    return rowKernelsOf<4>(false);
  }();
  return max ? kMax : kSum;
}

}  // namespace pool
}  // namespace ist
