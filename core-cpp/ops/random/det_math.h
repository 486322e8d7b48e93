// Bit-reproducible log, exp and cos(2*pi*u) in double precision for the samplers.
//
// libm differs between glibc, emscripten's musl and CUDA in the last bit, which would make
// normal/gamma/poisson samples differ across backends. These use only +, -, *, / and exact bit
// manipulation, evaluated in a fixed order (CUDA: explicit round-to-nearest intrinsics, so
// nvcc never fuses into FMA), so every target computes the same bits. Accuracy is a few ulp.
#pragma once
#include <cstdint>
#include <cstring>
#include "base/macros.h"

// GCC would fuse a*b+c into FMA wherever FMA is enabled (-mfma TUs); keep every rounding step.
// (clang builds only WASM here, which has no FMA; nvcc is handled by the intrinsics below.)
#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif
namespace ist {
namespace detmath {

#if defined(__CUDA_ARCH__)
ISTX double add(double a, double b) { return __dadd_rn(a, b); }
ISTX double mul(double a, double b) { return __dmul_rn(a, b); }
ISTX double div(double a, double b) { return __ddiv_rn(a, b); }
#else
ISTX double add(double a, double b) { return a + b; }
ISTX double mul(double a, double b) { return a * b; }
ISTX double div(double a, double b) { return a / b; }
#endif
ISTX double sub(double a, double b) { return add(a, -b); }

ISTX uint64_t bitsOf(double x) {
  uint64_t b;
  memcpy(&b, &x, 8);
  return b;
}
ISTX double fromBits(uint64_t b) {
  double x;
  memcpy(&x, &b, 8);
  return x;
}

constexpr double kLn2Hi = 6.93147180369123816490e-01;  // upper bits of ln 2 (k * hi is exact)
constexpr double kLn2Lo = 1.90821492927058770002e-10;  // ln 2 - kLn2Hi
constexpr double kPi = 3.14159265358979311600e+00;

// Natural log for finite x > 0 (0 gives -inf, negative or NaN gives NaN).
ISTX double log(double x) {
  if (!(x > 0)) return x == 0 ? -1.0 / 0.0 : 0.0 / 0.0;
  if (x > 1.7976931348623157e308) return x;  // inf
  int e = 0;
  if (x < 2.2250738585072014e-308) { x = mul(x, 18014398509481984.0); e = -54; }  // subnormal: * 2^54
  uint64_t b = bitsOf(x);
  e += static_cast<int>((b >> 52) & 0x7ff) - 1023;
  double m = fromBits((b & 0x000fffffffffffffull) | 0x3ff0000000000000ull);  // [1, 2)
  if (m > 1.4142135623730951) { m = mul(m, 0.5); ++e; }                       // [sqrt(1/2), sqrt(2)]
  // log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172: an odd series in s.
  double f = sub(m, 1.0);  // exact
  double s = div(f, add(2.0, f));
  double z = mul(s, s);
  double series = 1.0 / 25;
  const double coef[] = {1.0 / 23, 1.0 / 21, 1.0 / 19, 1.0 / 17, 1.0 / 15, 1.0 / 13,
                         1.0 / 11, 1.0 / 9,  1.0 / 7,  1.0 / 5,  1.0 / 3};
  for (double c : coef) series = add(mul(series, z), c);
  // log(m) = 2s + 2s * z * series; written as f - (f - 2s) ... kept simple: 2s(1 + z*series).
  double logm = mul(mul(2.0, s), add(1.0, mul(z, series)));
  double k = static_cast<double>(e);
  return add(mul(k, kLn2Hi), add(mul(k, kLn2Lo), logm));
}

// e^x.
ISTX double exp(double x) {
  if (x != x) return x;
  if (x > 709.78) return 1.0 / 0.0;
  if (x < -745.2) return 0.0;
  // x = k ln2 + r, |r| <= ln2 / 2 (k * kLn2Hi is exact for |k| < 2^20).
  double kd = static_cast<double>(static_cast<int64_t>(add(mul(x, 1.4426950408889634), x < 0 ? -0.5 : 0.5)));
  double r = sub(sub(x, mul(kd, kLn2Hi)), mul(kd, kLn2Lo));
  // Taylor series to r^15/15! (< 1e-17 relative for |r| <= 0.347), Horner from the top.
  double t = 1.0;
  for (int n = 15; n >= 1; --n) t = add(1.0, div(mul(t, r), static_cast<double>(n)));
  int k = static_cast<int>(kd);
  // Scale by 2^k in two steps so subnormal results and k = 1024 stay exact.
  int k1 = k / 2, k2 = k - k1;
  double s1 = fromBits(static_cast<uint64_t>(k1 + 1023) << 52);
  double s2 = fromBits(static_cast<uint64_t>(k2 + 1023) << 52);
  return mul(mul(t, s1), s2);
}

// sin and cos of a in [-pi/4, pi/4] by their Taylor series (error < 1e-17).
ISTX double sinSmall(double a) {
  double z = mul(a, a), t = 1.0;
  for (int n = 17; n >= 3; n -= 2) t = sub(1.0, div(mul(t, z), static_cast<double>(n * (n - 1))));
  return mul(a, t);
}
ISTX double cosSmall(double a) {
  double z = mul(a, a), t = 1.0;
  for (int n = 18; n >= 2; n -= 2) t = sub(1.0, div(mul(t, z), static_cast<double>(n * (n - 1))));
  return t;
}

// cos(2 pi u) for u in [0, 1): reduced exactly to the nearest quarter turn.
ISTX double cos2pi(double u) {
  double q4 = mul(u, 4.0);  // exact
  double n = static_cast<double>(static_cast<int64_t>(add(q4, 0.5)));
  double d = sub(q4, n);    // exact, in [-0.5, 0.5]
  double a = mul(d, mul(kPi, 0.5));
  switch (static_cast<int64_t>(n) & 3) {
    case 0: return cosSmall(a);
    case 1: return -sinSmall(a);
    case 2: return -cosSmall(a);
    default: return sinSmall(a);
  }
}

}  // namespace detmath
}  // namespace ist

#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#pragma GCC pop_options
#endif
