// The recurrent cells' row kernels instantiated for AVX2 (8 floats per vector); built with the AVX2 flags.
#pragma GCC optimize("fp-contract=off")  // the same roundings at every width (rnn_cell_rows.h)
#if defined(__x86_64__)
#include "ops/nn/rnn_cell_rows.h"

namespace ist {
namespace rnn {

RnnCellKernels rnnCellKernelsAvx2() {
#if defined(__AVX2__)
  return rnnCellKernelsOf<8>();
#else
  // Built without the AVX2 flags (a build that does not special-case *.avx2.cc): stay correct.
  return rnnCellKernelsOf<4>();
#endif
}

}  // namespace rnn
}  // namespace ist
#endif  // __x86_64__
