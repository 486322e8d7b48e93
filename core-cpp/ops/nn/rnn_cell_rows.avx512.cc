// The recurrent cells' row kernels instantiated for AVX512 (16 floats per vector); built with the AVX512 flags.
#pragma GCC optimize("fp-contract=off")  // the same roundings at every width (rnn_cell_rows.h)
#if defined(__x86_64__)
#include "ops/nn/rnn_cell_rows.h"

namespace ist {
namespace rnn {

RnnCellKernels rnnCellKernelsAvx512() {
#if defined(__AVX512F__)
  return rnnCellKernelsOf<16>();
#else
  // Built without the AVX512 flags (a build that does not special-case *.avx512.cc): stay correct.
  return rnnCellKernelsOf<4>();
#endif
}

}  // namespace rnn
}  // namespace ist
#endif  // __x86_64__
