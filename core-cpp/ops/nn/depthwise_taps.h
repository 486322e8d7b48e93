// The depthwise convolution's inner loop (ops/nn/depthwise.h) for float32, one source instantiated
// per SIMD width: depthwise_taps.cc (SSE2 / WASM SIMD128, and the run-time dispatch),
// depthwise_taps.avx2.cc and depthwise_taps.avx512.cc.
#pragma once
#include <cstdint>
#include "kernels/cpu/simd.h"

namespace ist {
namespace conv {

// Whole vectors past n that depthwiseTaps may read from src and write to out: callers leave this much
// room after both (the extra outputs are junk, never kept).
constexpr int64_t kTapsSlack = 64;

// out[i] = sum over taps k, in order, of w[k] * src[i + off[k]] for i in [0, n), rounded up to
// whole vectors. ISA: the instantiating file's vector width.
void depthwiseTaps(float* out, const float* src, const int64_t* off, const float* w, int64_t taps, int64_t n);
void depthwiseTapsAvx2(float* out, const float* src, const int64_t* off, const float* w, int64_t taps, int64_t n);
void depthwiseTapsAvx512(float* out, const float* src, const int64_t* off, const float* w, int64_t taps, int64_t n);

// The kernel: four vectors of outputs at a time (four independent multiply-add chains), each
// output's taps accumulated in tap order from zero.
template <int W>
inline void depthwiseTapsImpl(float* out, const float* src, const int64_t* off, const float* w, int64_t taps,
                              int64_t n) {
  using V = typename simd::Vec<float, W>::type;
  using U = typename simd::Vec<float, W>::unaligned;
  static_assert(4 * W <= kTapsSlack, "the slack covers one block");
  for (int64_t i = 0; i < n; i += 4 * W) {
    V a0 = simd::splat<V>(0.0f), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t k = 0; k < taps; ++k) {
      const V wk = simd::splat<V>(w[k]);
      const float* s = src + off[k] + i;
      a0 = simd::fmadd<V>(wk, simd::loadu<U>(s), a0);
      a1 = simd::fmadd<V>(wk, simd::loadu<U>(s + W), a1);
      a2 = simd::fmadd<V>(wk, simd::loadu<U>(s + 2 * W), a2);
      a3 = simd::fmadd<V>(wk, simd::loadu<U>(s + 3 * W), a3);
    }
    simd::storeu(out + i, a0);
    simd::storeu(out + i + W, a1);
    simd::storeu(out + i + 2 * W, a2);
    simd::storeu(out + i + 3 * W, a3);
  }
}

}  // namespace conv
}  // namespace ist
