// Map-structs: a functor applied at element i (load, compute in ComputeType, store with OpReq).
//
// Both launchers run these: Kernel<M, cpu> / the CPU row loops in ops/elemwise/cpu_loops.h,
// and Kernel<M, gpu> in kernels/cuda/kernel_cuda.cuh. AddTo = true accumulates (OpReq::kAddTo).
// DeviceKernel<M, Dev>::launch(stream, n, cost, args...) is the one launch call compute
// templates make for either device (the CPU one ignores the stream).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include "base/dtype.h"
#include "base/macros.h"
#include "engine/parallel_for.h"
#include "kernels/device.h"
#include "ops/elemwise/convert.h"
#include "ops/elemwise/functors.h"

namespace ist {

namespace elem {

// out[i] = v, or out[i] += v; v is in the compute type of T.
template <bool AddTo, typename T, typename CT>
ISTX void store(T* out, int64_t i, CT v) {
  if constexpr (!AddTo) {
    out[i] = T(v);
  } else if constexpr (std::is_same_v<CT, bool>) {
    out[i] = out[i] || v;
  } else {
    out[i] = T(plus::Map(CT(out[i]), v));
  }
}

template <typename T> using CT_ = typename ComputeType<T>::type;

// The maps below whose element i touches index i only say so (kSameIndex, kernels/kernel.h): out may be
// an input, and the CPU loop still vectorises.

// out[i] = OP(in[i])
template <typename OP, bool AddTo>
struct UnaryMap {
  static constexpr bool kSameIndex = true;
  template <typename T>
  ISTX static void Map(int64_t i, T* out, const T* in) {
    store<AddTo>(out, i, OP::Map(CT_<T>(in[i])));
  }
};

// out[i] = OP(a[i * sa], b[i * sb]); sa, sb in {0, 1} cover same-shape and size-1 operands.
template <typename OP, bool AddTo>
struct BinaryStridedMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* out, const T* a, int64_t sa, const T* b, int64_t sb) {
    store<AddTo>(out, i, OP::Map(CT_<T>(a[i * sa]), CT_<T>(b[i * sb])));
  }
};

// out[i] = OP(a[i], b[i]): the contiguous case, kept separate so CPU loops vectorise.
template <typename OP, bool AddTo>
struct BinaryMap {
  static constexpr bool kSameIndex = true;
  template <typename T>
  ISTX static void Map(int64_t i, T* out, const T* a, const T* b) {
    store<AddTo>(out, i, OP::Map(CT_<T>(a[i]), CT_<T>(b[i])));
  }
};

// out[i] = OP(a[i], s) and out[i] = OP(s, b[i]) with a host scalar s.
template <typename OP, bool AddTo>
struct ScalarRhsMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename CT>
  ISTX static void Map(int64_t i, T* out, const T* a, CT s) {
    store<AddTo>(out, i, OP::Map(CT_<T>(a[i]), s));
  }
};
template <typename OP, bool AddTo>
struct ScalarLhsMap {
  static constexpr bool kSameIndex = true;
  template <typename T, typename CT>
  ISTX static void Map(int64_t i, T* out, CT s, const T* b) {
    store<AddTo>(out, i, OP::Map(s, CT_<T>(b[i])));
  }
};

// out[i] = OP(in[i], p, q) for two scalar parameters (clip bounds, hard_sigmoid alpha/beta).
template <typename OP, bool AddTo>
struct Param2Map {
  static constexpr bool kSameIndex = true;
  template <typename T, typename CT>
  ISTX static void Map(int64_t i, T* out, const T* in, CT p, CT q) {
    store<AddTo>(out, i, OP::Map(CT_<T>(in[i]), p, q));
  }
};

// Broadcast geometry after merging: output dims with size 1 dropped and neighbouring dims with
// the same broadcast pattern fused, so (8,1,5)+(8,4,5) has 3 dims and (2,3)+(3,) has 1 row dim.
constexpr int kMaxBroadcastDims = 16;
struct BroadcastGeom {
  int ndim = 1;                          // >= 1; dim ndim-1 is the innermost
  int64_t shape[kMaxBroadcastDims] = {1};
  int64_t lstride[kMaxBroadcastDims] = {1};  // element strides; 0 along broadcast dims
  int64_t rstride[kMaxBroadcastDims] = {1};
};

// General N-D broadcast by index decomposition (the GPU path; CPU uses row loops).
template <typename OP, bool AddTo>
struct BroadcastMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* out, const T* a, const T* b, const BroadcastGeom& g) {
    int64_t ia = 0, ib = 0, rest = i;
    for (int d = g.ndim - 1; d >= 0; --d) {
      const int64_t c = rest % g.shape[d];
      rest /= g.shape[d];
      ia += c * g.lstride[d];
      ib += c * g.rstride[d];
    }
    store<AddTo>(out, i, OP::Map(CT_<T>(a[ia]), CT_<T>(b[ib])));
  }
};

// out[i] = convert<O>(in[i])
template <bool AddTo>
struct CastMap {
  template <typename O, typename I>
  ISTX static void Map(int64_t i, O* out, const I* in) {
    store<AddTo>(out, i, CT_<O>(convert<O>(in[i])));
  }
};

// where: the condition is read through a representation with the same zero test (bytes of an
// integer, a float, or float16/bfloat16 bits without the sign so -0 counts as zero).
struct HalfBits { uint16_t bits; };
template <typename C> ISTX bool nonzero(C c) { return c != C(0); }
ISTX bool nonzero(HalfBits c) { return (c.bits & 0x7fffu) != 0; }

// out[i] = cond[i / M] ? x[i] : y[i]; Batch = false means M == 1.
template <bool Batch, bool AddTo>
struct WhereMap {
  template <typename T, typename C>
  ISTX static void Map(int64_t i, T* out, const C* cond, const T* x, const T* y, int64_t M) {
    const bool c = nonzero(cond[Batch ? i / M : i]);
    store<AddTo>(out, i, CT_<T>(c ? x[i] : y[i]));
  }
};

}  // namespace elem
}  // namespace ist
