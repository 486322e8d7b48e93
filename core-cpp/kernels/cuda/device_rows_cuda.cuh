// The CUDA side of DeviceRowKernel (kernels/device_rows.h): blockIdx.y walks the rows, the x
// dimension the row's elements, about eight per thread so that each thread's M::Row is shared by
// several elements; blocks narrow to the row for short rows (a 7x7 feature map is 49 elements).
#pragma once
#include <cuda_runtime.h>
#include <cstdint>
#include "kernels/cuda/kernel_cuda.cuh"
#include "kernels/device_rows.h"

namespace ist {

template <typename M, typename... Args>
__global__ void rowKernel(int64_t rows, int64_t rowLen, Args... args) {
  const int64_t step = int64_t(blockDim.x) * gridDim.x;
  for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const int64_t first = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (first >= rowLen) continue;
    const auto state = M::Row(r, args...);
    const int64_t base = r * rowLen;
    for (int64_t j = first; j < rowLen; j += step) M::Map(state, base + j, args...);
  }
}

template <typename M>
struct DeviceRowKernel<M, gpu> {
  static constexpr int64_t kPerThread = 8;
  template <typename... Args>
  static void launch(void* stream, int64_t rows, int64_t rowLen, int64_t /*costPerItem*/, Args... args) {
    if (rows <= 0 || rowLen <= 0) return;
    const int64_t threads = rowLen >= 256 ? 256 : (rowLen + 31) / 32 * 32;
    int64_t bx = (rowLen + threads * kPerThread - 1) / (threads * kPerThread);
    if (bx > 65535) bx = 65535;
    const int64_t by = rows < 65535 ? rows : 65535;
    const dim3 grid(static_cast<unsigned>(bx), static_cast<unsigned>(by));
    rowKernel<M, Args...><<<grid, unsigned(threads), 0, static_cast<cudaStream_t>(stream)>>>(rows, rowLen, args...);
    cudaCheck(cudaGetLastError(), "CUDA kernel launch");
  }
};

}  // namespace ist
