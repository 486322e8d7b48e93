// Kernel<OP, Dev>::launch(n, args...) calls OP::Map(i, args...) for i in [0, n) on a device.
//
// The pattern of MXNet's Kernel<OP, xpu>: an op's per-element math is written
// once as a struct with an ISTX static Map(), and the CPU/WASM launcher
// (kernels/cpu/kernel_cpu.h) and the CUDA launcher (kernels/cuda/kernel_cuda.cuh)
// both instantiate it.
#pragma once
#include <cstdint>
#include <type_traits>
#include "base/macros.h"

namespace ist {

struct cpu { static constexpr int kDevType = 1; };
struct gpu { static constexpr int kDevType = 2; };

template <typename OP, typename Dev> struct Kernel;

// Vectorise without interleaving or unrolling: elementwise loops are memory-bound, and this
// keeps each instance small (it roughly halves the WASM code of the elementwise family).
// IST_SAME_INDEX_LOOP, for loops whose iteration i reads and writes index i of each array only (the
// arrays being the same or disjoint), also lets the vectoriser skip its run-time overlap check. Clang's
// check fails when the output is an input (an in-place add, an optimizer step writing the weight), and
// such loops ran scalar in WebAssembly: 3x slower than out of place. (GCC's check accepts equal pointers.)
#if defined(__clang__)
#define IST_VECTOR_LOOP _Pragma("clang loop interleave_count(1) unroll(disable)")
#define IST_SAME_INDEX_LOOP _Pragma("clang loop vectorize(assume_safety) interleave_count(1) unroll(disable)")
#else
#define IST_VECTOR_LOOP
#define IST_SAME_INDEX_LOOP
#endif

// A Map declares `static constexpr bool kSameIndex = true` when element i touches index i of its arrays
// only (or reads a fixed element of an array it does not write); mapRange then uses IST_SAME_INDEX_LOOP.
template <typename OP, typename = void> struct IsSameIndexMap : std::false_type {};
template <typename OP>
struct IsSameIndexMap<OP, std::void_t<decltype(OP::kSameIndex)>> : std::bool_constant<OP::kSameIndex> {};

// OP::Map(i, args...) for i in [begin, end): the CPU launchers' chunk loop. The arguments come by
// value so they live in registers: read through a lambda's captures they could alias the floats the
// loop stores, and every scalar and pointer was reloaded per element, with no vectorisation (an
// optimizer update ran ~9x slower than an in-place add over the same bytes).
template <typename OP, typename... Args>
inline void mapRange(int64_t begin, int64_t end, Args... args) {
  if constexpr (IsSameIndexMap<OP>::value) {
    IST_SAME_INDEX_LOOP for (int64_t i = begin; i < end; ++i) OP::Map(i, args...);
  } else {
    IST_VECTOR_LOOP for (int64_t i = begin; i < end; ++i) OP::Map(i, args...);
  }
}

}  // namespace ist
