// Pooling's row kernels instantiated for AVX512 (16 floats per vector); built with the AVX512 flags.
#if defined(__x86_64__)
#include "ops/nn/pool_rows.h"

namespace ist {
namespace pool {

RowKernels rowKernelsAvx512(bool max) {
#if defined(__AVX512F__)
  return rowKernelsOf<16>(max);
#else
  // Built without the AVX512 flags (a build that does not special-case *.avx512.cc): stay correct.
  return rowKernelsOf<4>(max);
#endif
}

}  // namespace pool
}  // namespace ist
#endif  // __x86_64__
