// The depthwise taps kernel instantiated for AVX512 (16 floats per vector); built with the AVX512 flags.
#if defined(__x86_64__)
#include "ops/nn/depthwise_taps.h"

namespace ist {
namespace conv {

void depthwiseTapsAvx512(float* out, const float* src, const int64_t* off, const float* w, int64_t taps, int64_t n) {
#if defined(__AVX512F__)
  depthwiseTapsImpl<16>(out, src, off, w, taps, n);
#else
  // Built without the AVX512 flags (a build that does not special-case *.avx512.cc): stay correct.
  depthwiseTapsImpl<4>(out, src, off, w, taps, n);
#endif
}

}  // namespace conv
}  // namespace ist
#endif  // __x86_64__
