// Portable SIMD vectors for hot CPU kernels: one source, lowered to SIMD128 (WASM), SSE2, AVX2, AVX-512.
//
// Kernels are written against Vec<T, W>::type, a GCC/clang vector extension of W lanes, and the
// few helpers below. The width W is a template argument, so a kernel is instantiated once per
// target: W = 4 floats in the generic file (SSE2 natively, f32x4 in WASM), 8 in *.avx2.cc and 16
// in *.avx512.cc, which the build compiles with the matching -m flags.
#pragma once
#include <cstdint>
#include <cstring>
#if defined(__x86_64__) && (defined(__FMA__) || defined(__AVX512F__))
#include <immintrin.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define IST_SIMD_INLINE inline __attribute__((always_inline))
#else
#define IST_SIMD_INLINE inline
#endif

namespace ist {
namespace simd {

template <typename T, int W>
struct Vec {
  static constexpr int kLanes = W;
  // Aligned to its size: loads through it need 16/32/64-byte aligned addresses (packed buffers).
  typedef T type __attribute__((vector_size(W * sizeof(T))));
  // Same vector, element-aligned: for loads and stores to user memory.
  typedef T unaligned __attribute__((vector_size(W * sizeof(T)), aligned(sizeof(T))));
};

template <typename V> IST_SIMD_INLINE V load(const void* p) { return *static_cast<const V*>(p); }

template <typename V> IST_SIMD_INLINE V loadu(const void* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));
  return v;
}

template <typename V> IST_SIMD_INLINE void store(void* p, V v) { *static_cast<V*>(p) = v; }

template <typename V> IST_SIMD_INLINE void storeu(void* p, V v) { std::memcpy(p, &v, sizeof(V)); }

// Every lane set to x (a splat / broadcast): scalar-vector arithmetic broadcasts the scalar, and
// x - 0 (unlike x + 0, which differs for x = -0) folds away, leaving one broadcast instruction.
template <typename V, typename T> IST_SIMD_INLINE V splat(T x) { return x - V{}; }

// a * b + c, fused where the target has FMA instructions: the x86 widths call them explicitly;
// elsewhere (SSE2, WASM SIMD128, which has no fused multiply-add) it is a multiply and an add.
// (GCC also contracts a plain a * b + c into an FMA in C++ wherever -mfma allows, -std=c++17 or
// not: code in the *.avx2.cc / *.avx512.cc files that must round as the baseline build does needs
// #pragma GCC optimize("fp-contract=off").)
template <typename V> IST_SIMD_INLINE V fmadd(V a, V b, V c) { return a * b + c; }

#if defined(__x86_64__) && defined(__FMA__)
template <> IST_SIMD_INLINE Vec<float, 8>::type fmadd(Vec<float, 8>::type a, Vec<float, 8>::type b,
                                                      Vec<float, 8>::type c) {
  return _mm256_fmadd_ps(a, b, c);
}
template <> IST_SIMD_INLINE Vec<double, 4>::type fmadd(Vec<double, 4>::type a, Vec<double, 4>::type b,
                                                       Vec<double, 4>::type c) {
  return _mm256_fmadd_pd(a, b, c);
}
template <> IST_SIMD_INLINE Vec<float, 4>::type fmadd(Vec<float, 4>::type a, Vec<float, 4>::type b,
                                                      Vec<float, 4>::type c) {
  return _mm_fmadd_ps(a, b, c);
}
#endif
#if defined(__x86_64__) && defined(__AVX512F__)
template <> IST_SIMD_INLINE Vec<float, 16>::type fmadd(Vec<float, 16>::type a, Vec<float, 16>::type b,
                                                       Vec<float, 16>::type c) {
  return _mm512_fmadd_ps(a, b, c);
}
template <> IST_SIMD_INLINE Vec<double, 8>::type fmadd(Vec<double, 8>::type a, Vec<double, 8>::type b,
                                                       Vec<double, 8>::type c) {
  return _mm512_fmadd_pd(a, b, c);
}
#endif

// Sum of the lanes, in a fixed order (lane 0 + lane 1 + ...), so results never depend on the target's
// shuffle tricks.
template <typename T, typename V> IST_SIMD_INLINE T hsum(V v) {
  constexpr int n = sizeof(V) / sizeof(T);
  T s = v[0];
  for (int i = 1; i < n; ++i) s += v[i];
  return s;
}

}  // namespace simd
}  // namespace ist
