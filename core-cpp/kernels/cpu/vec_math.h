// Vectorised float32 exp, sigmoid and tanh, for kernels whose time goes to these functions (the RNN
// gates: glibc's scalar tanhf/expf were a third of an LSTM forward).
//
// Accuracy: within about 3 ulp of the correctly rounded result (exp: range reduction by ln 2 and
// a degree-6 polynomial; tanh: an odd polynomial below |x| = 0.625, fitted to tanh(x)/x in float64
// by test/fixtures/gen_vec_math.py, and 1 - 2 / (exp(2|x|) + 1) above). NaN propagates; exp
// saturates to 0 and to +inf outside [-103.97, 88.72]. Written for W-lane vector extensions, so the
// same source is SSE or SIMD128 (W = 4) and AVX2 / AVX-512 (W = 8 / 16) in the files built with
// those flags (e.g. ops/nn/lstm_cell_rows.*.cc); every width gives the same bits where the
// including file keeps multiply-adds unfused (#pragma GCC optimize("fp-contract=off")).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include "kernels/cpu/simd.h"

namespace ist {
namespace vmath {

template <int W> using VecF = typename simd::Vec<float, W>::type;
template <int W> using VecI = typename simd::Vec<int32_t, W>::type;

template <int W> IST_SIMD_INLINE VecF<W> expV(VecF<W> x) {
  using VF = VecF<W>;
  const VF hi = simd::splat<VF>(88.7228393555f), lo = simd::splat<VF>(-103.972084045f);
  const VF log2e = simd::splat<VF>(1.44269504089f);
  const VF ln2hi = simd::splat<VF>(0.693359375f), ln2lo = simd::splat<VF>(-2.12194440e-4f);
  // n = round(x * log2 e), kept in [-150, 128] so 2^n below is built from valid exponents.
  VF t = x * log2e;
  t = t < simd::splat<VF>(-150.f) ? simd::splat<VF>(-150.f) : t;
  t = t > simd::splat<VF>(128.f) ? simd::splat<VF>(128.f) : t;
  const VF magic = simd::splat<VF>(12582912.f);  // 1.5 * 2^23: adding it rounds to an integer
  const VF n = (t + magic) - magic;
  const VF r = (x - n * ln2hi) - n * ln2lo;
  VF p = simd::splat<VF>(1.f / 720);
  p = p * r + simd::splat<VF>(1.f / 120);
  p = p * r + simd::splat<VF>(1.f / 24);
  p = p * r + simd::splat<VF>(1.f / 6);
  p = p * r + simd::splat<VF>(0.5f);
  p = p * r + simd::splat<VF>(1.f);
  p = p * r + simd::splat<VF>(1.f);
  // 2^n as two factors 2^(n/2) 2^(n - n/2), each a valid normal exponent, so subnormal results
  // and 2^128 * p < 1 still come out right.
  const VecI<W> ni = __builtin_convertvector(n, VecI<W>);
  const VecI<W> n1 = ni >> 1, n2 = ni - n1;
  const VF s1 = (VF)((n1 + 127) << 23), s2 = (VF)((n2 + 127) << 23);
  VF y = p * s1 * s2;
  y = x > hi ? simd::splat<VF>(INFINITY) : y;
  y = x < lo ? simd::splat<VF>(0.f) : y;
  return x != x ? x : y;
}

template <int W> IST_SIMD_INLINE VecF<W> sigmoidV(VecF<W> x) {
  using VF = VecF<W>;
  return simd::splat<VF>(1.f) / (simd::splat<VF>(1.f) + expV<W>(-x));
}

template <int W> IST_SIMD_INLINE VecF<W> tanhV(VecF<W> x) {
  using VF = VecF<W>;
  const VF ax = x < simd::splat<VF>(0.f) ? -x : x;
  // Small |x|: x * P(x^2).
  const VF x2 = x * x;
  VF p = simd::splat<VF>(-0.005709965713322163f);
  p = p * x2 + simd::splat<VF>(0.020642254501581192f);
  p = p * x2 + simd::splat<VF>(-0.053739842027425766f);
  p = p * x2 + simd::splat<VF>(0.13331419229507446f);
  p = p * x2 + simd::splat<VF>(-0.33333277702331543f);
  p = p * x2 + simd::splat<VF>(1.f);
  const VF small = x * p;
  // Large |x|: 1 - 2 / (e^(2|x|) + 1), with the sign of x (saturates to +-1).
  const VF big = simd::splat<VF>(1.f) - simd::splat<VF>(2.f) / (expV<W>(ax + ax) + simd::splat<VF>(1.f));
  const VF signedBig = x < simd::splat<VF>(0.f) ? -big : big;
  const VF y = ax < simd::splat<VF>(0.625f) ? small : signedBig;
  return x != x ? x : y;
}

// y[i] = f(x[i]) for i < n (x and y may be the same array) at 4 lanes; the tail goes through a
// padded vector.
template <VecF<4> (*F)(VecF<4>)>
inline void mapArray(const float* x, float* y, int64_t n) {
  using VF = VecF<4>;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) simd::storeu<VF>(y + i, F(simd::loadu<VF>(x + i)));
  if (i < n) {
    float buf[4] = {0, 0, 0, 0};
    std::memcpy(buf, x + i, sizeof(float) * static_cast<size_t>(n - i));
    const VF v = F(simd::loadu<VF>(buf));
    std::memcpy(buf, &v, sizeof(buf));
    std::memcpy(y + i, buf, sizeof(float) * static_cast<size_t>(n - i));
  }
}

inline void sigmoidArray(const float* x, float* y, int64_t n) { mapArray<sigmoidV<4>>(x, y, n); }
inline void tanhArray(const float* x, float* y, int64_t n) { mapArray<tanhV<4>>(x, y, n); }
inline void expArray(const float* x, float* y, int64_t n) { mapArray<expV<4>>(x, y, n); }

}  // namespace vmath
}  // namespace ist
