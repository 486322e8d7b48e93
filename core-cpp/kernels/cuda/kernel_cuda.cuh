// The CUDA launcher: Kernel<OP, gpu>::launch(stream, n, args...) runs OP::Map(i, args...) for
// i in [0, n) in a grid-stride loop of 256-thread blocks; plus the GPU sides of kernels/device.h
// (DeviceKernel, TempSpace, DeviceMem, DeviceBlas), so compute templates written for any Dev run here.
#pragma once
#include <cuda_runtime.h>
#include <cstddef>
#include <cstdint>
#include <string>
#include "base/error.h"
#include "kernels/device.h"

namespace ist {

// Throws IsotensorError naming the CUDA call that failed.
inline void cudaCheck(cudaError_t err, const char* what) {
  if (err != cudaSuccess) throwError("", "", std::string(what) + ": " + cudaGetErrorString(err));
}

template <typename OP, typename... Args>
__global__ void kernelGridStride(int64_t n, Args... args) {
  const int64_t stride = int64_t(blockDim.x) * gridDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    OP::Map(i, args...);
  }
}

template <typename OP>
struct Kernel<OP, gpu> {
  static constexpr int kThreads = 256;
  // Enough blocks to fill any current GPU; larger n loops inside each thread.
  static constexpr int64_t kMaxBlocks = 1 << 16;

  // stream: a cudaStream_t (RunContext::stream holds it as void*).
  template <typename... Args>
  static void launch(void* stream, int64_t n, Args... args) {
    if (n <= 0) return;
    int64_t blocks = (n + kThreads - 1) / kThreads;
    if (blocks > kMaxBlocks) blocks = kMaxBlocks;
    kernelGridStride<OP, Args...>
        <<<unsigned(blocks), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(n, args...);
    cudaCheck(cudaGetLastError(), "CUDA kernel launch");
  }
};

template <typename M>
struct DeviceKernel<M, gpu> {
  template <typename... Args>
  static void launch(void* stream, int64_t n, int64_t /*costPerItem*/, Args... args) {
    Kernel<M, gpu>::launch(stream, n, args...);
  }
};

// Stream-ordered scratch memory: freed after the work queued on the stream that uses it.
template <>
class TempSpace<gpu> {
 public:
  TempSpace(void* stream, size_t bytes) : stream_(static_cast<cudaStream_t>(stream)) {
    cudaCheck(cudaMallocAsync(&ptr_, bytes ? bytes : 1, stream_), "cudaMallocAsync");
  }
  ~TempSpace() { cudaFreeAsync(ptr_, stream_); }
  TempSpace(const TempSpace&) = delete;
  TempSpace& operator=(const TempSpace&) = delete;
  void* get() const { return ptr_; }
  template <typename T> T* as() const { return static_cast<T*>(ptr_); }

 private:
  cudaStream_t stream_;
  void* ptr_ = nullptr;
};

template <>
struct DeviceMem<gpu> {
  static void zero(void* stream, void* dst, size_t bytes) {
    if (bytes) cudaCheck(cudaMemsetAsync(dst, 0, bytes, static_cast<cudaStream_t>(stream)), "cudaMemsetAsync");
  }
  static void copy(void* stream, void* dst, const void* src, size_t bytes) {
    if (bytes && dst != src)
      cudaCheck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, static_cast<cudaStream_t>(stream)),
                "cudaMemcpyAsync");
  }
  static void toHost(void* stream, void* hostDst, const void* src, size_t bytes) {
    if (!bytes) return;
    cudaStream_t s = static_cast<cudaStream_t>(stream);
    cudaCheck(cudaMemcpyAsync(hostDst, src, bytes, cudaMemcpyDeviceToHost, s), "cudaMemcpyAsync");
    cudaCheck(cudaStreamSynchronize(s), "cudaStreamSynchronize");
  }
};

// cuBLAS (loaded with dlopen) when present, else the project's tiled kernels: kernels/cuda/blas.cu.
template <>
struct DeviceBlas<gpu> {
  static void gemm(void* stream, const GemmArgs& g, const char* op);
};

}  // namespace ist
