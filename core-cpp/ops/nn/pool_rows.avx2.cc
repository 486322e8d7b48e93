// Pooling's row kernels instantiated for AVX2 (8 floats per vector); built with the AVX2 flags.
#if defined(__x86_64__)
#include "ops/nn/pool_rows.h"

namespace ist {
namespace pool {

RowKernels rowKernelsAvx2(bool max) {
#if defined(__AVX2__)
  return rowKernelsOf<8>(max);
#else
  // Built without the AVX2 flags (a build that does not special-case *.avx2.cc): stay correct.
  return rowKernelsOf<4>(max);
#endif
}

}  // namespace pool
}  // namespace ist
#endif  // __x86_64__
