// Max and sum pooling's row passes for float32 (ops/nn/pooling.cc's poolRows), one source per SIMD width:
// pool_rows.cc (SSE2 / WASM SIMD128, and the run-time dispatch), pool_rows.avx2.cc and pool_rows.avx512.cc.
#pragma once
#include <cstdint>
#include <limits>
#include "kernels/cpu/simd.h"

namespace ist {
namespace pool {

// Each lane combines as pooling.cc's MaxOf / SumOf do, so every width gives the scalar loop's bits:
// max(a, held) = a > held ? a : held (NaN held stays; a NaN newcomer loses), sum(a, held) = held + a.
struct RowKernels {
  // v[i] = of(a[i], of(b[i], v[i])), or of(a[i], v[i]) with b null, for i < n.
  void (*rows)(float* v, const float* a, const float* b, int64_t n);
  // v[i] = of(a[i], pad): the window's first row against the padding value (lowest, or 0).
  void (*first)(float* v, const float* a, int64_t n);
};

// The widest kernels this CPU runs.
const RowKernels& rowKernels(bool max);
RowKernels rowKernelsAvx2(bool max);
RowKernels rowKernelsAvx512(bool max);

template <int W, bool Max> struct RowImpl {
  using V = typename simd::Vec<float, W>::type;
  using U = typename simd::Vec<float, W>::unaligned;
  // X: a vector V or one float (the rows' remainders).
  template <typename X> static IST_SIMD_INLINE X of(X a, X held) {
    if constexpr (Max) return a > held ? a : held;
    else return held + a;
  }
  static float pad() { return Max ? std::numeric_limits<float>::lowest() : 0.0f; }
  static void rows(float* v, const float* a, const float* b, int64_t n) {
    int64_t i = 0;
    if (b) {
      for (; i + W <= n; i += W)
        simd::storeu(v + i, of(simd::loadu<U>(a + i), of(simd::loadu<U>(b + i), simd::loadu<U>(v + i))));
      for (; i < n; ++i) v[i] = of(a[i], of(b[i], v[i]));
    } else {
      for (; i + W <= n; i += W) simd::storeu(v + i, of(simd::loadu<U>(a + i), simd::loadu<U>(v + i)));
      for (; i < n; ++i) v[i] = of(a[i], v[i]);
    }
  }
  static void first(float* v, const float* a, int64_t n) {
    const V p = simd::splat<V>(pad());
    int64_t i = 0;
    for (; i + W <= n; i += W) simd::storeu(v + i, of(simd::loadu<U>(a + i), p));
    for (; i < n; ++i) v[i] = of(a[i], pad());
  }
};

template <int W> RowKernels rowKernelsOf(bool max) {
  if (max) return {&RowImpl<W, true>::rows, &RowImpl<W, true>::first};
  return {&RowImpl<W, false>::rows, &RowImpl<W, false>::first};
}

}  // namespace pool
}  // namespace ist
