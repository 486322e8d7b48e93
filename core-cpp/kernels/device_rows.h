// DeviceRowKernel<M, Dev>: a per-element kernel over rows of consecutive elements whose per-row
// setup (a channel's scale and shift, say) is computed once per row on the CPU and once per thread
// on a GPU, instead of once per element: M::Row(r, args...) gives the row's state, then
// M::Map(state, i, args...) runs for each flat index i of row r. The GPU side is in
// kernels/cuda/device_rows_cuda.cuh; like DeviceKernel, the CPU instantiation is the GPU path's twin.
#pragma once
#include <cstdint>
#include "engine/parallel_for.h"
#include "kernels/kernel.h"

namespace ist {

template <typename M, typename Dev> struct DeviceRowKernel;

// costPerItem: rough scalar operations per element, for parallelFor's split.
template <typename M>
struct DeviceRowKernel<M, cpu> {
  template <typename... Args>
  static void launch(void* /*stream*/, int64_t rows, int64_t rowLen, int64_t costPerItem, Args... args) {
    if (rows <= 0 || rowLen <= 0) return;
    parallelFor(rows, costPerItem * rowLen, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) runRow(r, rowLen, args...);
    });
  }

 private:
  // The arguments by value, as in mapRange (kernels/kernel.h): kept in registers, not reloaded.
  template <typename... Args>
  static void runRow(int64_t r, int64_t rowLen, Args... args) {
    const auto state = M::Row(r, args...);
    const int64_t base = r * rowLen;
    IST_VECTOR_LOOP for (int64_t j = 0; j < rowLen; ++j) M::Map(state, base + j, args...);
  }
};

}  // namespace ist
