// The device-generic toolkit that compute templates written once for Dev = cpu and Dev = gpu use.
//
// A compute template `template <typename Dev> void fooCompute(attrs, ctx, in, req, out)` may only
// touch device memory through these: DeviceKernel<M, Dev>::launch runs M::Map(i, args...) for
// i in [0, n); TempSpace<Dev> is scratch memory ordered on the op's stream (ScratchLayout splits one
// into arrays); DeviceMem<Dev> fills
// and copies; DeviceBlas<Dev>::gemm multiplies matrices; deviceAtomicAdd accumulates from
// concurrent Map calls. The GPU specialisations live in kernels/cuda/kernel_cuda.cuh. Because the
// CPU instantiation is the same code, the CPU test suite checks the GPU path's logic too (see
// op/device_compute.h: ISOTENSOR_GPU_KERNELS_ON_CPU=1 runs these twins in place of CPU kernels).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include "base/dtype.h"
#include "base/macros.h"
#include "engine/parallel_for.h"
#include "kernels/kernel.h"

namespace ist {

template <typename M, typename Dev> struct DeviceKernel;
template <typename Dev> class TempSpace;
template <typename Dev> struct DeviceMem;
template <typename Dev> struct DeviceBlas;

// costPerItem: rough scalar operations per Map call, so parallelFor splits only worthwhile work.
template <typename M>
struct DeviceKernel<M, cpu> {
  template <typename... Args>
  static void launch(void* /*stream*/, int64_t n, int64_t costPerItem, Args... args) {
    if (n <= 0) return;
    parallelFor(n, costPerItem, [&](int64_t begin, int64_t end) { mapRange<M>(begin, end, args...); });
  }
};

template <>
class TempSpace<cpu> {
 public:
  TempSpace(void* /*stream*/, size_t bytes) : buf_(new unsigned char[bytes ? bytes : 1]) {}
  void* get() const { return buf_.get(); }
  template <typename T> T* as() const { return static_cast<T*>(get()); }

 private:
  std::unique_ptr<unsigned char[]> buf_;
};

// Places arrays one after another in one TempSpace, each at a 256-byte boundary: add<T>(n) reserves
// n elements and returns their byte offset, at<T>(base, offset) their address in the allocation.
class ScratchLayout {
 public:
  template <typename T> size_t add(int64_t n) {
    const size_t offset = bytes_;
    bytes_ += (static_cast<size_t>(n > 0 ? n : 0) * sizeof(T) + 255) / 256 * 256;
    return offset;
  }
  size_t bytes() const { return bytes_ ? bytes_ : 1; }
  template <typename T> static T* at(void* base, size_t offset) {
    return reinterpret_cast<T*>(static_cast<char*>(base) + offset);
  }

 private:
  size_t bytes_ = 0;
};

template <>
struct DeviceMem<cpu> {
  static void zero(void* /*stream*/, void* dst, size_t bytes) { if (bytes) std::memset(dst, 0, bytes); }
  static void copy(void* /*stream*/, void* dst, const void* src, size_t bytes) {
    if (bytes && dst != src) std::memmove(dst, src, bytes);
  }
  // Device memory to host memory, waiting for the work queued before it (e.g. an error flag).
  static void toHost(void* /*stream*/, void* hostDst, const void* src, size_t bytes) {
    if (bytes) std::memcpy(hostDst, src, bytes);
  }
};

// Row-major C = alpha * op(A) * op(B) + beta * C, `batch` times with element strides between the
// matrices (see kernels/cpu/gemm.h for the argument conventions; beta == 0 never reads C).
// `op` names the calling operator in errors (e.g. a dtype the device cannot multiply).
struct GemmArgs {
  DType dtype = DType::kFloat32;
  bool transA = false, transB = false;
  int64_t M = 0, N = 0, K = 0;
  double alpha = 1, beta = 0;
  const void* A = nullptr;
  int64_t lda = 0, strideA = 0;
  const void* B = nullptr;
  int64_t ldb = 0, strideB = 0;
  void* C = nullptr;
  int64_t ldc = 0, strideC = 0;
  int64_t batch = 1;
};

template <>
struct DeviceBlas<cpu> {
  static void gemm(void* stream, const GemmArgs& g, const char* op);
};

// Atomic accumulation usable inside Map on both devices (scatter-adds such as Embedding's
// gradient). float and double; the CPU side is a compare-and-swap loop.
template <typename T>
ISTX void deviceAtomicAdd(T* p, T v) {
#if defined(__CUDA_ARCH__)
  atomicAdd(p, v);
#else
  T old, desired;
  __atomic_load(p, &old, __ATOMIC_RELAXED);
  do {
    desired = old + v;
  } while (!__atomic_compare_exchange(p, &old, &desired, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
#endif
}

}  // namespace ist
