// The depthwise taps kernel at the baseline width (SSE2 natively, SIMD128 in WASM), and the
// dispatch to the widest one this CPU runs.
#include "ops/nn/depthwise_taps.h"
#include "kernels/cpu/cpu_features.h"

namespace ist {
namespace conv {

namespace {
void tapsGeneric(float* out, const float* src, const int64_t* off, const float* w, int64_t taps, int64_t n) {
  depthwiseTapsImpl<4>(out, src, off, w, taps, n);
}
}  // namespace

void depthwiseTaps(float* out, const float* src, const int64_t* off, const float* w, int64_t taps, int64_t n) {
#if defined(__x86_64__)
  const CpuIsa isa = cpuIsa();
  if (isa == CpuIsa::kAvx512) return depthwiseTapsAvx512(out, src, off, w, taps, n);
  if (isa == CpuIsa::kAvx2) return depthwiseTapsAvx2(out, src, off, w, taps, n);
#endif
  tapsGeneric(out, src, off, w, taps, n);
}

}  // namespace conv
}  // namespace ist
