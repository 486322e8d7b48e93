// Per-element samplers for the random ops, written once for the CPU/WASM and CUDA launchers.
//
// Each sampler turns one element's PhiloxStream (kernels/philox.h) into a value. Which words
// it reads is part of the reproducibility contract, so it is spelled out here:
//   uniform   float32/16: word 0 (24-bit); float64: words 0-1 (53-bit)
//   normal    float32/16: words 0-1 (32-bit u1, u2); float64: words 0-3 (53-bit u1, u2);
//             Box-Muller z = sqrt(-2 log u1) cos(2 pi u2), u1 in (0,1]
//   randint   word 0 for ranges below 2^32, words 0-1 otherwise; exactly unbiased (rare
//             rejections read the following words)
//   exponential  words 0-1; gamma, poisson: as many words as their rejection loops need
// Arithmetic uses detmath (bit-reproducible log/exp/cos) and is never contracted into FMA.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>
#include "base/dtype.h"
#include "kernels/philox.h"
#include "ops/random/det_math.h"

// GCC would fuse a*b+c into FMA wherever FMA is enabled (-mfma TUs); keep every rounding step.
// (clang builds only WASM here, which has no FMA; nvcc is handled by the intrinsics below.)
#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif
namespace ist {
namespace sampler {

#if defined(__CUDA_ARCH__)
ISTX float addf(float a, float b) { return __fadd_rn(a, b); }
ISTX float mulf(float a, float b) { return __fmul_rn(a, b); }
#else
ISTX float addf(float a, float b) { return a + b; }
ISTX float mulf(float a, float b) { return a * b; }
#endif

template <typename T> ISTX constexpr bool isDouble() { return std::is_same<T, double>::value; }

// A standard normal from the stream: 2 words (float-resolution) or 4 words (double).
template <bool kDouble> ISTX double standardNormal(PhiloxStream& st) {
  double u1, u2;
  if constexpr (kDouble) {
    u1 = st.uniformOpenDouble();
    u2 = st.uniformDouble();
  } else {
    u1 = detmath::mul(static_cast<double>(st.nextU32()) + 1.0, 1.0 / 4294967296.0);
    u2 = detmath::mul(static_cast<double>(st.nextU32()), 1.0 / 4294967296.0);
  }
  return detmath::mul(sqrt(detmath::mul(-2.0, detmath::log(u1))), detmath::cos2pi(u2));
}

// Uniform, Normal and Exponential split their draw at a lane draw (ops/random/sampler_lanes.h),
// which the CPU computes several elements at a time: fromLane finishes one element from it.
struct Uniform {
  float low, high;
  template <typename T> ISTX T fromLane(double u) const {  // u: uniformFloat() or, for float64, uniformDouble()
    if constexpr (isDouble<T>()) {
      double l = low, h = high;
      return static_cast<T>(detmath::add(l, detmath::mul(detmath::sub(h, l), u)));
    } else {
      return T(addf(low, mulf(addf(high, -low), static_cast<float>(u))));
    }
  }
  template <typename T> ISTX T draw(PhiloxStream& st) const {
    if constexpr (isDouble<T>()) return fromLane<T>(st.uniformDouble());
    else return fromLane<T>(st.uniformFloat());
  }
};

struct Normal {
  double loc, scale;
  template <typename T> ISTX T fromLane(double z) const {  // z: a standard normal
    return T(static_cast<typename ComputeType<T>::type>(detmath::add(loc, detmath::mul(scale, z))));
  }
  template <typename T> ISTX T draw(PhiloxStream& st) const { return fromLane<T>(standardNormal<isDouble<T>()>(st)); }
};

struct Exponential {
  double lam;
  template <typename T> ISTX T fromLane(double logU) const {  // logU: log of a uniform in (0, 1]
    return T(static_cast<typename ComputeType<T>::type>(detmath::div(-logU, lam)));
  }
  template <typename T> ISTX T draw(PhiloxStream& st) const { return fromLane<T>(detmath::log(st.uniformOpenDouble())); }
};

// Marsaglia & Tsang (2000); shapes below 1 use Gamma(a + 1) * U^(1/a).
struct Gamma {
  double alpha, beta;
  ISTX double sample(PhiloxStream& st) const {
    if (!(alpha > 0.0 && beta > 0.0 && alpha < 1e300)) return 0.0 / 0.0;  // the loop needs them
    const bool boost = alpha < 1.0;
    const double a = boost ? alpha + 1.0 : alpha;
    const double d = detmath::sub(a, 1.0 / 3.0);
    const double c = detmath::div(1.0, sqrt(detmath::mul(9.0, d)));
    double v;
    for (;;) {
      double x, t;
      do {
        x = standardNormal<true>(st);
        t = detmath::add(1.0, detmath::mul(c, x));
      } while (t <= 0.0);
      v = detmath::mul(detmath::mul(t, t), t);
      double u = st.uniformOpenDouble();
      double x2 = detmath::mul(x, x);
      if (u < detmath::sub(1.0, detmath::mul(0.0331, detmath::mul(x2, x2)))) break;
      double rhs = detmath::add(detmath::mul(0.5, x2),
                                detmath::mul(d, detmath::add(detmath::sub(1.0, v), detmath::log(v))));
      if (detmath::log(u) < rhs) break;
    }
    double g = detmath::mul(d, v);
    if (boost) g = detmath::mul(g, detmath::exp(detmath::div(detmath::log(st.uniformOpenDouble()), alpha)));
    return detmath::mul(g, beta);
  }
  template <typename T> ISTX T draw(PhiloxStream& st) const {
    return T(static_cast<typename ComputeType<T>::type>(sample(st)));
  }
};

// log(k!) for k >= 0: a sum of logs for small k, Stirling's series beyond.
ISTX double logFactorial(double k) {
  if (k < 16.0) {
    double s = 0.0;
    for (double i = 2.0; i <= k; i += 1.0) s = detmath::add(s, detmath::log(i));
    return s;
  }
  double n = detmath::add(k, 1.0), inv = detmath::div(1.0, n), inv2 = detmath::mul(inv, inv);
  double series = detmath::mul(inv, detmath::sub(1.0 / 12.0, detmath::mul(inv2, detmath::sub(1.0 / 360.0,
                      detmath::mul(inv2, detmath::sub(1.0 / 1260.0, detmath::mul(inv2, 1.0 / 1680.0)))))));
  double lead = detmath::sub(detmath::mul(detmath::sub(n, 0.5), detmath::log(n)), n);
  return detmath::add(detmath::add(lead, 0.91893853320467274178), series);  // + log(2 pi) / 2
}

// Knuth's product method below lam = 10, Hörmann's PTRS (transformed rejection) above.
struct Poisson {
  double lam;
  ISTX double sample(PhiloxStream& st) const {
    if (!(lam >= 0.0) || lam > 1.7976931348623157e308) return 0.0 / 0.0;  // NaN, negative or inf
    if (lam == 0.0) return 0.0;
    if (lam >= 1e15) {  // far beyond PTRS's range; the normal limit is exact to float precision
      return floor(detmath::add(detmath::add(lam, detmath::mul(sqrt(lam), standardNormal<true>(st))), 0.5));
    }
    if (lam < 10.0) {
      const double limit = detmath::exp(-lam);
      double k = 0.0, p = st.uniformDouble();
      while (p > limit) {
        k += 1.0;
        p = detmath::mul(p, st.uniformDouble());
      }
      return k;
    }
    const double slam = sqrt(lam), loglam = detmath::log(lam);
    const double b = detmath::add(0.931, detmath::mul(2.53, slam));
    const double a = detmath::add(-0.059, detmath::mul(0.02483, b));
    const double invAlpha = detmath::add(1.1239, detmath::div(1.1328, detmath::sub(b, 3.4)));
    const double vr = detmath::sub(0.9277, detmath::div(3.6224, detmath::sub(b, 2.0)));
    for (;;) {
      double U = detmath::sub(st.uniformDouble(), 0.5);
      double V = st.uniformDouble();
      double us = detmath::sub(0.5, U < 0 ? -U : U);
      double kf = floor(detmath::add(detmath::add(detmath::mul(detmath::add(detmath::div(detmath::mul(2.0, a), us), b), U), lam), 0.43));
      if (us >= 0.07 && V <= vr) return kf;
      if (kf < 0.0 || (us < 0.013 && V > us)) continue;
      double lhs = detmath::sub(detmath::add(detmath::log(V), detmath::log(invAlpha)),
                                detmath::log(detmath::add(detmath::div(a, detmath::mul(us, us)), b)));
      double rhs = detmath::sub(detmath::add(-lam, detmath::mul(kf, loglam)), logFactorial(kf));
      if (lhs <= rhs) return kf;
    }
  }
  template <typename T> ISTX T draw(PhiloxStream& st) const {
    return T(static_cast<typename ComputeType<T>::type>(sample(st)));
  }
};

// Integers in [low, low + range), range >= 1.
struct RandInt {
  int64_t low;
  uint64_t range;
  template <typename T> ISTX T draw(PhiloxStream& st) const {
    return static_cast<T>(static_cast<int64_t>(static_cast<uint64_t>(low) + st.below64(range)));
  }
};

}  // namespace sampler
}  // namespace ist

#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#pragma GCC pop_options
#endif
