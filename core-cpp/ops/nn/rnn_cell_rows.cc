// The recurrent cells' row kernels at the baseline width (SSE2 natively, SIMD128 in WASM), and the
// dispatch to the widest one this CPU runs.
#pragma GCC optimize("fp-contract=off")  // the same roundings at every width (rnn_cell_rows.h)
#include "ops/nn/rnn_cell_rows.h"
#include "kernels/cpu/cpu_features.h"

namespace ist {
namespace rnn {

namespace {
RnnCellKernels widest() {
#if defined(__x86_64__)
  if (cpuIsa() == CpuIsa::kAvx512) return rnnCellKernelsAvx512();
  if (cpuIsa() == CpuIsa::kAvx2) return rnnCellKernelsAvx2();
#endif
  return rnnCellKernelsOf<4>();
}
}  // namespace

const RnnCellKernels& rnnCellKernels() {
  static const RnnCellKernels kernels = widest();
  return kernels;
}

}  // namespace rnn
}  // namespace ist
