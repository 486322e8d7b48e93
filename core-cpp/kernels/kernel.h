// Kernel<OP, Dev>::launch(n, args...) calls OP::Map(i, args...) for i in [0, n) on a device.
//
// The pattern of MXNet's Kernel<OP, xpu>: an op's per-element math is written
// once as a struct with an ISTX static Map(), and the CPU/WASM launcher
// (kernels/cpu/kernel_cpu.h) and the CUDA launcher (kernels/cuda/kernel_cuda.cuh)
// both instantiate it.
#pragma once
#include <cstdint>
#include "base/macros.h"

namespace ist {

struct cpu { static constexpr int kDevType = 1; };
struct gpu { static constexpr int kDevType = 2; };

template <typename OP, typename Dev> struct Kernel;

// Vectorise without interleaving or unrolling: elementwise loops are memory-bound, and this
// keeps each instance small (it roughly halves the WASM code of the elementwise family).
#if defined(__clang__)
#define IST_VECTOR_LOOP _Pragma("clang loop interleave_count(1) unroll(disable)")
#else
#define IST_VECTOR_LOOP
#endif

// OP::Map(i, args...) for i in [begin, end): the CPU launchers' chunk loop. The arguments come by
// value so they live in registers: read through a lambda's captures they could alias the floats the
// loop stores, and every scalar and pointer was reloaded per element, with no vectorisation (an
// optimizer update ran ~9x slower than an in-place add over the same bytes).
template <typename OP, typename... Args>
inline void mapRange(int64_t begin, int64_t end, Args... args) {
  IST_VECTOR_LOOP for (int64_t i = begin; i < end; ++i) OP::Map(i, args...);
}

}  // namespace ist
