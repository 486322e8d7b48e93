// The samplers' lane kernels at 4 doubles per vector; built with the AVX2 flags.
#if defined(__x86_64__)
#include "ops/random/sampler_lanes.h"

namespace ist {
namespace sampler {

LaneDrawFn laneDrawAvx2() {
#if defined(__AVX2__)
  return &Lanes<4>::draw;
#else
  // Built without the AVX2 flags (a build that does not special-case *.avx2.cc): stay correct.
  return &Lanes<2>::draw;
#endif
}

}  // namespace sampler
}  // namespace ist
#endif  // __x86_64__
