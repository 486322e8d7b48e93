// Max, sum and avg pooling for float32 (ops/nn/pooling.cc), one source per SIMD width: pool_rows.cc
// (SSE2 / WASM SIMD128, and the run-time dispatch), pool_rows.avx2.cc and pool_rows.avx512.cc. Row passes
// for planes of any geometry (poolRows), and whole 2-D planes in one call (PoolPlane).
#pragma once
#include <cstdint>
#include <limits>
#include <type_traits>
#include "kernels/cpu/simd.h"

namespace ist {
namespace pool {

// Each lane combines as pooling.cc's MaxOf / SumOf do, so every width gives the scalar loop's bits:
// max(a, held) = a > held ? a : held (NaN held stays; a NaN newcomer loses), sum(a, held) = held + a.
// One 2-D plane's geometry: input H x W, output OH x OW (rows contiguous), window kh x kw, strides, the
// padding before the first row and column, and avg's divisors (null for max and sum): output (oh, ow)'s
// window size is rowsExtent[oh] * colExtent[ow], and an empty window gives 0.
struct PlaneGeom {
  int64_t H, W, OH, OW, kh, kw, sh, sw, ph, pw;
  const float* rowsExtent;
  const float* colExtent;
};

struct RowKernels {
  // v[i] = of(a[i], of(b[i], v[i])), or of(a[i], v[i]) with b null, for i < n.
  void (*rows)(float* v, const float* a, const float* b, int64_t n);
  // v[i] = of(a[i], pad): the window's first row against the padding value (lowest, or 0).
  void (*first)(float* v, const float* a, int64_t n);
  // A whole plane x -> y (y += result with add), as poolRows computes it, element for element: per output
  // row, the window's rows combined in order into v (pvLen(g) floats, the padding's columns held at the pad
  // value), then along v over the kernel columns in order (stride 2 through `halves`, pvLen(g) + 1 floats).
  // Rows of any width run whole vectors, then narrower ones, so even 6 or 13 columns stay vectorised.
  void (*plane)(const PlaneGeom& g, const float* x, float* y, float* v, float* halves, bool add);
};

// Length of the row `v` a plane's passes use (input columns and padding, and every window's reach).
inline int64_t pvLen(const PlaneGeom& g) {
  const int64_t a = g.pw + g.W, b = (g.OW - 1) * g.sw + g.kw;
  return a > b ? a : b;
}

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

// Calls f(std::integral_constant<int, L>{}, i) over [0, n): L = W lanes while they fit, then 8 and 4 (when
// narrower than W), then single lanes.
template <int L, typename F> IST_SIMD_INLINE void laneChunks(int64_t& i, int64_t n, F& f) {
  for (; i + L <= n; i += L) f(std::integral_constant<int, L>{}, i);
}
template <int W, typename F> IST_SIMD_INLINE void forLanes(int64_t n, F&& f) {
  int64_t i = 0;
  laneChunks<W>(i, n, f);
  if constexpr (W > 8) laneChunks<8>(i, n, f);
  if constexpr (W > 4) laneChunks<4>(i, n, f);
  laneChunks<1>(i, n, f);
}

template <int W, bool Max> struct PlaneImpl {
  // L lanes as a vector, one lane as a plain float (a 1-lane vector compiles to stack round trips).
  template <int L> struct Unaligned { using type = typename simd::Vec<float, L>::unaligned; };
  template <int L> using U = typename std::conditional_t<L == 1, std::enable_if<true, float>, Unaligned<L>>::type;
  template <int L> using V = std::conditional_t<L == 1, float, typename simd::Vec<float, L>::type>;
  template <int L> static IST_SIMD_INLINE V<L> ld(const float* p) { return simd::loadu<U<L>>(p); }
  // How two values combine and the padding's value: the row passes', so both give the same bits.
  template <int L> static IST_SIMD_INLINE V<L> of(V<L> a, V<L> held) { return RowImpl<W, Max>::of(a, held); }
  static float pad() { return RowImpl<W, Max>::pad(); }
  static constexpr int64_t kMaxTaps = 64;  // wider windows read v lane by lane

  // even[i] = v[2i], odd[i] = v[2i + 1] (stride 2's columns): four of each from two vector loads. Not
  // row_copy.h's copyEveryOther: an ordinary inline template instantiated in this header's AVX builds could
  // be the copy the linker keeps for baseline callers.
  static IST_SIMD_INLINE void deinterleave(float* even, float* odd, const float* v, int64_t n) {
    using V4 = simd::Vec<float, 4>::type;
    int64_t i = 0;
    for (; 2 * i + 8 <= n; i += 4) {
      const V4 a = simd::loadu<V4>(v + 2 * i), b = simd::loadu<V4>(v + 2 * i + 4);
      simd::storeu<V4>(even + i, __builtin_shufflevector(a, b, 0, 2, 4, 6));
      simd::storeu<V4>(odd + i, __builtin_shufflevector(a, b, 1, 3, 5, 7));
    }
    for (; 2 * i < n; ++i) {
      even[i] = v[2 * i];
      if (2 * i + 1 < n) odd[i] = v[2 * i + 1];
    }
  }

  static void plane(const PlaneGeom& g, const float* x, float* y, float* v, float* halves, bool add) {
    const int64_t vLen = pvLen(g);
    float* vin = v + g.pw;
    for (int64_t i = 0; i < g.pw; ++i) v[i] = pad();
    for (int64_t i = g.pw + g.W; i < vLen; ++i) v[i] = pad();
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const int64_t st = oh * g.sh - g.ph;
      const int64_t lo = st > 0 ? st : 0, hi = st + g.kh < g.H ? st + g.kh : g.H;
      // The window's rows, in order, into v.
      if (lo >= hi) {
        for (int64_t i = 0; i < g.W; ++i) vin[i] = pad();
      } else {
        forLanes<W>(g.W, [&](auto lanes, int64_t i) {
          constexpr int L = decltype(lanes)::value;
          V<L> acc = of<L>(ld<L>(x + lo * g.W + i), simd::splat<V<L>>(pad()));
          for (int64_t r = lo + 1; r < hi; ++r) acc = of<L>(ld<L>(x + r * g.W + i), acc);
          simd::storeu(vin + i, acc);
        });
      }
      // Along v over the kernel columns, in order: column ow * sw + k of v sits at src + ow + off[k] (for
      // stride 2 in v's even or odd half, so every tap is a contiguous load); other strides lane by lane.
      const float* src = v;
      const bool strided = g.sw > 2 || g.kw > kMaxTaps;
      int64_t off[kMaxTaps];
      if (!strided) {
        if (g.sw == 2) {
          deinterleave(halves, halves + (vLen + 1) / 2, v, vLen);
          src = halves;
        }
        for (int64_t k = 0; k < g.kw; ++k) off[k] = g.sw == 2 ? (k & 1) * ((vLen + 1) / 2) + k / 2 : k;
      }
      float* yr = y + oh * g.OW;
      const float rows = g.rowsExtent ? g.rowsExtent[oh] : 0.0f;
      forLanes<W>(g.OW, [&](auto lanes, int64_t ow) {
        constexpr int L = decltype(lanes)::value;
        V<L> r;
        if (!strided) {
          r = ld<L>(src + ow + off[0]);
          for (int64_t k = 1; k < g.kw; ++k) r = of<L>(ld<L>(src + ow + off[k]), r);
        } else {
          float m[L];
          for (int l = 0; l < L; ++l) {
            const float* c = src + (ow + l) * g.sw;
            m[l] = c[0];
            for (int64_t k = 1; k < g.kw; ++k) m[l] = of<1>(c[k], m[l]);
          }
          r = ld<L>(m);
        }
        if (g.colExtent) {
          const V<L> size = simd::splat<V<L>>(rows) * ld<L>(g.colExtent + ow);
          r = size > simd::splat<V<L>>(0.0f) ? r / size : simd::splat<V<L>>(0.0f);
        }
        if (add) r = ld<L>(yr + ow) + r;
        simd::storeu(yr + ow, r);
      });
    }
  }
};

template <int W> RowKernels rowKernelsOf(bool max) {
  if (max) return {&RowImpl<W, true>::rows, &RowImpl<W, true>::first, &PlaneImpl<W, true>::plane};
  return {&RowImpl<W, false>::rows, &RowImpl<W, false>::first, &PlaneImpl<W, false>::plane};
}

}  // namespace pool
}  // namespace ist
