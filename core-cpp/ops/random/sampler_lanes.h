// The CPU samplers' hot paths on W doubles at a time: Philox, the uniform conversions, detmath's log
// and cos(2 pi u), and sampler::standardNormal, lane for lane the same operations in the same order,
// so the same bits as the scalar samplers (and the GPU kernels). One source per width:
// sampler_lanes.cc (2 lanes: SSE2, SIMD128, and the run-time dispatch), sampler_lanes.avx2.cc (4) and
// sampler_lanes.avx512.cc (8).
#pragma once
#include <cstdint>
#include <cstring>
#include "kernels/cpu/simd.h"
#if defined(__SSE2__)
#include <immintrin.h>
#endif
#include <algorithm>
#include <type_traits>
#include "base/dtype.h"
#include "engine/parallel_for.h"
#include "kernels/philox.h"
#include "op/registry.h"
#include "ops/random/det_math.h"
#include "ops/random/samplers.h"

// The *.avx2.cc / *.avx512.cc files are built with -mfma: keep every rounding step, as det_math.h does.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif
namespace ist {
namespace sampler {

// What a run of elements draws, each from its own Philox counter (kernels/philox.h):
//   kNormalFloat   sampler::standardNormal<false> (float32/16 outputs: words 0-1)
//   kNormalDouble  sampler::standardNormal<true> (float64 outputs: words 0-3)
//   kLogUniform    detmath::log(uniformOpenDouble()) (words 0-1), Exponential's draw before -/lam
//   kUniformFloat  uniformFloat() (word 0), exactly, as a double
//   kUniformDouble uniformDouble() (words 0-1)
enum class LaneDraw { kNormalFloat, kNormalDouble, kLogUniform, kUniformFloat, kUniformDouble };

// Elements per call: the Philox words and the results of one run stay on the stack.
constexpr int64_t kLaneRun = 64;

// z[j] = the draw of element counter0 + j under `key`, for j < n <= kLaneRun.
using LaneDrawFn = void (*)(LaneDraw what, uint64_t key, uint64_t counter0, int64_t n, double* z);
// The widest this CPU runs.
LaneDrawFn laneDrawFn();
LaneDrawFn laneDrawAvx2();    // Lanes<kBuildLanes>::draw of sampler_lanes.avx2.cc
LaneDrawFn laneDrawAvx512();  // and of sampler_lanes.avx512.cc

// Doubles per vector with the flags this file is compiled with (a build that does not give the
// *.avx2.cc / *.avx512.cc files their flags still gets correct, baseline-width kernels).
#if defined(__AVX512F__)
constexpr int kBuildLanes = 8;
#elif defined(__AVX2__)
constexpr int kBuildLanes = 4;
#else
constexpr int kBuildLanes = 2;
#endif

template <int W> struct Lanes {
  using Vd = typename simd::Vec<double, W>::type;
  using Vi = typename simd::Vec<int64_t, W>::type;
  using Vu = typename simd::Vec<uint64_t, W>::type;

  static Vd bitsToDouble(Vu b) { Vd v; memcpy(&v, &b, sizeof v); return v; }
  static Vu doubleToBits(Vd x) { Vu b; memcpy(&b, &x, sizeof b); return b; }
  // A lane mask (-1 / 0) choosing a or b.
  static Vd select(Vi mask, Vd a, Vd b) { return bitsToDouble((doubleToBits(a) & Vu(mask)) | (doubleToBits(b) & ~Vu(mask))); }

  // double(e) for |e| < 2^51, exactly, without the int64 conversion AVX2 and SSE2 lack: 2^52 + 2^51 + e
  // has e in its low mantissa bits.
  static Vd toDouble(Vi e) {
    return bitsToDouble(Vu(e + 0x4338000000000000ll)) - 6755399441055744.0;
  }

  // Vectors per run. The functions below take all of a run's vectors a step at a time: the series
  // are chains of dependent multiplies and divides, and R chains side by side keep the units busy.
  static constexpr int R = static_cast<int>(kLaneRun / W);

  // detmath::log of each vector, in place, for x in [2^-1022, 2^1024): the samplers' arguments are
  // in [2^-53, 1], so the scalar version's zero, subnormal, infinite and NaN cases never arise here.
  static void logRun(Vd* x) {
    Vd s[R], z[R], series[R], k[R];
    for (int q = 0; q < R; ++q) {
      const Vu b = doubleToBits(x[q]);
      Vi e = Vi((b >> 52) & 0x7ff) - 1023;
      Vd m = bitsToDouble((b & 0x000fffffffffffffull) | 0x3ff0000000000000ull);  // [1, 2)
      const Vi big = m > 1.4142135623730951;                                      // -1 where true
      m = select(big, m * 0.5, m);
      e -= big;
      const Vd f = m - 1.0;
      s[q] = f / (2.0 + f);
      z[q] = s[q] * s[q];
      series[q] = Vd{} + 1.0 / 25;
      k[q] = toDouble(e);
    }
    const double coef[] = {1.0 / 23, 1.0 / 21, 1.0 / 19, 1.0 / 17, 1.0 / 15, 1.0 / 13,
                           1.0 / 11, 1.0 / 9,  1.0 / 7,  1.0 / 5,  1.0 / 3};
    for (double c : coef)
      for (int q = 0; q < R; ++q) series[q] = series[q] * z[q] + c;
    for (int q = 0; q < R; ++q) {
      const Vd logm = (2.0 * s[q]) * (1.0 + z[q] * series[q]);
      x[q] = k[q] * detmath::kLn2Hi + (k[q] * detmath::kLn2Lo + logm);
    }
  }

  // detmath::cos2pi of each vector, in place, for u in [0, 1): sinSmall's and cosSmall's series run
  // as one loop of cosSmall's nine steps, whose first step leaves the sine lanes' 1 as it is.
  static void cos2piRun(Vd* u) {
    Vd a[R], z[R], t[R];
    Vi isSin[R], negate[R];
    for (int q = 0; q < R; ++q) {
      const Vd q4 = u[q] * 4.0;
      // The scalar version's int64_t(q4 + 0.5), in [0, 4]: how many of 1, 2, 3, 4 it reaches.
      const Vd h = q4 + 0.5;
      const Vi ni = -((h >= 1.0) + (h >= 2.0) + (h >= 3.0) + (h >= 4.0));
      a[q] = (q4 - toDouble(ni)) * (detmath::kPi * 0.5);
      z[q] = a[q] * a[q];
      t[q] = Vd{} + 1.0;
      const Vi quadrant = ni & 3;
      isSin[q] = (quadrant & 1) != 0;
      negate[q] = (quadrant == 1) | (quadrant == 2);
    }
    for (int step = 0; step < 9; ++step) {
      const double nc = 18 - 2 * step, ns = 19 - 2 * step;  // cos: n = 18..2; sin: n = 17..3 from step 1
      for (int q = 0; q < R; ++q) {
        const Vd next = 1.0 - (t[q] * z[q]) / select(isSin[q], Vd{} + ns * (ns - 1), Vd{} + nc * (nc - 1));
        t[q] = step == 0 ? select(isSin[q], t[q], next) : next;
      }
    }
    for (int q = 0; q < R; ++q) {
      const Vd r = select(isSin[q], a[q] * t[q], t[q]);
      u[q] = select(negate[q], -r, r);
    }
  }

  static Vd sqrt(Vd x) {
    for (int l = 0; l < W; ++l) x[l] = __builtin_sqrt(x[l]);  // correctly rounded, as the scalar sqrt
    return x;
  }

  // a * k for lanes a < 2^32: the x86 widening multiply where there is one (a plain 64-bit lane
  // multiply by a constant becomes shifts and adds there).
  static Vu mul32(Vu a, uint32_t k) {
#if defined(__AVX512F__)
    if constexpr (W == 8) return Vu(_mm512_mul_epu32(__m512i(a), _mm512_set1_epi64(k)));
#endif
#if defined(__AVX2__)
    if constexpr (W == 4) return Vu(_mm256_mul_epu32(__m256i(a), _mm256_set1_epi64x(k)));
#endif
#if defined(__SSE2__)
    if constexpr (W == 2) return Vu(_mm_mul_epu32(__m128i(a), _mm_set1_epi64x(k)));
#endif
    return a * static_cast<uint64_t>(k);
  }

  // philox4x32_10 of counters {c, 0, 0} under the key for W counters at once: each 32-bit word in a
  // 64-bit lane, so the 32 x 32 -> 64-bit products are one vector multiply.
  static void philoxBlock0(Vu c, uint64_t key, Vu w[4]) {
    const Vu low32 = Vu{} + 0xffffffffull;
    Vu c0 = c & low32, c1 = c >> 32, c2 = Vu{}, c3 = Vu{};
    uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
    for (int round = 0; round < 10; ++round) {
      if (round > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
      const Vu p0 = mul32(c0, 0xD2511F53u), p1 = mul32(c2, 0xCD9E8D57u);
      c0 = (p1 >> 32) ^ c1 ^ k0;
      c1 = p1 & low32;
      c2 = (p0 >> 32) ^ c3 ^ k1;
      c3 = p0 & low32;
    }
    w[0] = c0; w[1] = c1; w[2] = c2; w[3] = c3;
  }

  // double(v) for v < 2^53, exactly: halves below 2^52 through the mantissa, then doubled.
  static Vd u53ToDouble(Vu v) {
    const Vd magic = Vd{} + 4503599627370496.0;  // 2^52
    const Vd half = bitsToDouble((v >> 1) | 0x4330000000000000ull) - magic;
    return half * 2.0 + (bitsToDouble((v & 1) | 0x4330000000000000ull) - magic);
  }

  template <LaneDraw kWhat> static void drawRun(uint64_t key, uint64_t counter0, int64_t n, double* z) {
    Vd u1[R], u2[R];
    Vu lane;
    for (int l = 0; l < W; ++l) lane[l] = static_cast<uint64_t>(l);
    for (int q = 0; q < R; ++q) {
      Vu w[4];
      philoxBlock0(counter0 + static_cast<uint64_t>(q * W) + lane, key, w);
      // philoxUniformDouble(a, b): 53 bits of two words.
      auto uniformDouble = [](Vu a, Vu b) {
        return u53ToDouble(((a << 21) ^ (b >> 11)) & ((uint64_t(1) << 53) - 1)) * (1.0 / 9007199254740992.0);
      };
      if constexpr (kWhat == LaneDraw::kNormalFloat) {
        u1[q] = (u53ToDouble(w[0]) + 1.0) * (1.0 / 4294967296.0);
        u2[q] = u53ToDouble(w[1]) * (1.0 / 4294967296.0);
      } else if constexpr (kWhat == LaneDraw::kUniformFloat) {
        u1[q] = u53ToDouble(w[0] >> 8) * (1.0 / 16777216.0);
      } else if constexpr (kWhat == LaneDraw::kUniformDouble) {
        u1[q] = uniformDouble(w[0], w[1]);
      } else {  // philoxUniformOpenDouble(w0, w1), and for normals philoxUniformDouble(w2, w3)
        u1[q] = 1.0 - uniformDouble(w[0], w[1]);
        if constexpr (kWhat == LaneDraw::kNormalDouble) u2[q] = uniformDouble(w[2], w[3]);
      }
    }
    constexpr bool kNormal = kWhat == LaneDraw::kNormalFloat || kWhat == LaneDraw::kNormalDouble;
    if constexpr (kNormal || kWhat == LaneDraw::kLogUniform) logRun(u1);
    if constexpr (kNormal) {
      cos2piRun(u2);
      for (int q = 0; q < R; ++q) u1[q] = sqrt(-2.0 * u1[q]) * u2[q];
    }
    memcpy(z, u1, static_cast<size_t>(n) * sizeof(double));
  }

  static void draw(LaneDraw what, uint64_t key, uint64_t counter0, int64_t n, double* z) {
    switch (what) {
      case LaneDraw::kNormalFloat: return drawRun<LaneDraw::kNormalFloat>(key, counter0, n, z);
      case LaneDraw::kNormalDouble: return drawRun<LaneDraw::kNormalDouble>(key, counter0, n, z);
      case LaneDraw::kLogUniform: return drawRun<LaneDraw::kLogUniform>(key, counter0, n, z);
      case LaneDraw::kUniformFloat: return drawRun<LaneDraw::kUniformFloat>(key, counter0, n, z);
      case LaneDraw::kUniformDouble: return drawRun<LaneDraw::kUniformDouble>(key, counter0, n, z);
    }
  }
};

// Which lane draw samples of S for T outputs finish from (kHas false: S draws per element). WebAssembly
// draws uniforms per element: a uniform draw is all Philox, and its vector Philox (i64x2.mul) is no
// faster than the scalar one there.
template <typename S, typename T> struct LaneDrawOf { static constexpr bool kHas = false; };
template <typename T> struct LaneDrawOf<Normal, T> {
  static constexpr bool kHas = true;
  static constexpr LaneDraw kWhat = std::is_same<T, double>::value ? LaneDraw::kNormalDouble : LaneDraw::kNormalFloat;
};
template <typename T> struct LaneDrawOf<Exponential, T> {
  static constexpr bool kHas = true;
  static constexpr LaneDraw kWhat = LaneDraw::kLogUniform;
};
#if !defined(__wasm__)
template <typename T> struct LaneDrawOf<Uniform, T> {
  static constexpr bool kHas = true;
  static constexpr LaneDraw kWhat = std::is_same<T, double>::value ? LaneDraw::kUniformDouble : LaneDraw::kUniformFloat;
};
#endif

// out[i] (req) = samplerAt(i).fromLane<T>(element i's lane draw) for i < n, element i on Philox counter
// counter + i: the per-element kernels' values, a run of kLaneRun elements at a time.
template <typename T, typename SamplerAt>
void laneSample(SamplerAt samplerAt, uint64_t key, uint64_t counter, T* out, int64_t n, OpReq req) {
  using S = std::decay_t<decltype(samplerAt(int64_t(0)))>;
  using C = typename ComputeType<T>::type;
  const LaneDrawFn drawRun = laneDrawFn();
  const bool add = req == OpReq::kAddTo;
  parallelFor((n + kLaneRun - 1) / kLaneRun, 20 * kLaneRun, [&](int64_t b, int64_t e) {
    double z[kLaneRun];
    for (int64_t r = b; r < e; ++r) {
      const int64_t i0 = r * kLaneRun, m = std::min(kLaneRun, n - i0);
      drawRun(LaneDrawOf<S, T>::kWhat, key, counter + static_cast<uint64_t>(i0), m, z);
      T* y = out + i0;
      for (int64_t j = 0; j < m; ++j) {
        const T v = samplerAt(i0 + j).template fromLane<T>(z[j]);
        y[j] = add ? T(static_cast<C>(static_cast<C>(y[j]) + static_cast<C>(v))) : v;
      }
    }
  });
}

}  // namespace sampler
}  // namespace ist

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif
