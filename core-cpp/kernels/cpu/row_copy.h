// Copies of rows too short for a library call to pay: a contiguous run, and every other value
// (a stride-2 row). Shared by im2col, the convolution's phase planes and max pooling.
#pragma once
#include <cstdint>
#include <type_traits>
#include "kernels/cpu/simd.h"

namespace ist {

// dst[0, n) = src[0, n), inline: most runs are short (a 7-wide output row), where a library call
// costs more than the copy. T: float or double.
template <typename T>
inline void copyRun(T* dst, const T* src, int64_t n) {
  using V = typename simd::Vec<T, 16 / sizeof(T)>::type;
  constexpr int64_t L = 16 / sizeof(T);
  if (n < L) {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
    return;
  }
  for (int64_t i = 0; i + L < n; i += L) simd::storeu<V>(dst + i, simd::loadu<V>(src + i));
  simd::storeu<V>(dst + n - L, simd::loadu<V>(src + n - L));  // the last L, overlapping
}

// dst[i] = src[2 * i] for i < n (a stride-2 convolution's row): four values from two vector loads
// at a time (element by element, this loop was three quarters of a stride-2 im2col). Reads no
// element past src[2 * (n - 1)].
template <typename T>
void copyEveryOther(T* dst, const T* src, int64_t n) {
  int64_t i = 0;
  if constexpr (std::is_same<T, float>::value) {
    using V = simd::Vec<float, 4>::type;
    for (; i + 4 < n; i += 4)
      simd::storeu<V>(dst + i, __builtin_shufflevector(simd::loadu<V>(src + 2 * i), simd::loadu<V>(src + 2 * i + 4), 0, 2,
                                                       4, 6));
  }
  for (; i < n; ++i) dst[i] = src[2 * i];
}

}  // namespace ist
