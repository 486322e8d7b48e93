// The samplers' lane kernels at 8 doubles per vector; built with the AVX512 flags.
#if defined(__x86_64__)
#include "ops/random/sampler_lanes.h"

namespace ist {
namespace sampler {

LaneDrawFn laneDrawAvx512() {
#if defined(__AVX512F__)
  return &Lanes<8>::draw;
#else
  // Built without the AVX512 flags (a build that does not special-case *.avx512.cc): stay correct.
  return &Lanes<2>::draw;
#endif
}

}  // namespace sampler
}  // namespace ist
#endif  // __x86_64__
