// The samplers' lane kernels at the baseline width (SSE2 natively, SIMD128 in WASM), and the dispatch
// to the widest one this CPU runs.
#include "ops/random/sampler_lanes.h"
#include "kernels/cpu/cpu_features.h"

namespace ist {
namespace sampler {

LaneDrawFn laneDrawFn() {
  static const LaneDrawFn kWidest = [] {
#if defined(__x86_64__)
    if (cpuIsa() == CpuIsa::kAvx512) return laneDrawAvx512();
    if (cpuIsa() == CpuIsa::kAvx2) return laneDrawAvx2();
#endif
    return &Lanes<2>::draw;
  }();
  return kWidest;
}

}  // namespace sampler
}  // namespace ist
