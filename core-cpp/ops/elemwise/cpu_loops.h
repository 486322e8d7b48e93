// CPU/WASM loops for unary and binary elementwise ops: contiguous rows the compiler vectorises.
//
// Each (functor, dtype, req) instantiates only a row function (unaryRow / binaryRow); the
// drivers that split work over threads and walk broadcast rows are type-erased and shared.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include "ndarray/tblob.h"
#include "ops/elemwise/maps.h"

namespace ist {
namespace elem {

using UnaryRowFn = void (*)(int64_t n, void* out, const void* in);
// sa, sb: element strides of the operands along the row, each 0 (broadcast) or 1.
using BinaryRowFn = void (*)(int64_t n, void* out, const void* a, int64_t sa, const void* b,
                             int64_t sb);

// float16 / bfloat16 rows run the float row function over blocks converted to float (the
// result is the same: functors compute those types in float). One conversion routine serves
// every functor, and the float loops vectorise.
void halfRowViaFloat(int64_t n, void* out, const void* in, UnaryRowFn floatRow, bool addTo,
                     bool bf16);
void halfRowViaFloat(int64_t n, void* out, const void* a, int64_t sa, const void* b, int64_t sb,
                     BinaryRowFn floatRow, bool addTo, bool bf16);

// Integer rows of functors that compute in double anyway (IsRealFunctor: exp, sin, ...) run the
// double row over converted blocks, so those functors are not instantiated per integer type.
void intRowViaDouble(int64_t n, void* out, const void* in, UnaryRowFn doubleRow, bool addTo,
                     DType dtype);

template <typename OP, bool AddTo, typename T>
void unaryRow(int64_t n, void* outv, const void* inv) {
  if constexpr (IsHalfLike<T>::value) {
    halfRowViaFloat(n, outv, inv, &unaryRow<OP, AddTo, float>, AddTo,
                    std::is_same_v<T, bf16_t>);
  } else if constexpr (std::is_integral_v<T> && IsRealFunctor<OP>::value) {
    intRowViaDouble(n, outv, inv, &unaryRow<OP, AddTo, double>, AddTo, DTypeOf<T>::value);
  } else {
    T* out = static_cast<T*>(outv);
    const T* in = static_cast<const T*>(inv);
    IST_SAME_INDEX_LOOP for (int64_t i = 0; i < n; ++i) UnaryMap<OP, AddTo>::Map(i, out, in);
  }
}

template <typename OP, bool AddTo, typename T>
void binaryRow(int64_t n, void* outv, const void* av, int64_t sa, const void* bv, int64_t sb) {
  if constexpr (IsHalfLike<T>::value) {
    halfRowViaFloat(n, outv, av, sa, bv, sb, &binaryRow<OP, AddTo, float>, AddTo,
                    std::is_same_v<T, bf16_t>);
  } else {
    using CT = CT_<T>;
    T* out = static_cast<T*>(outv);
    const T* a = static_cast<const T*>(av);
    const T* b = static_cast<const T*>(bv);
    if (sa != 0 && sb != 0) {
      IST_SAME_INDEX_LOOP for (int64_t i = 0; i < n; ++i) BinaryMap<OP, AddTo>::Map(i, out, a, b);
    } else if (!AddTo && sa != 0) {  // accumulation takes the strided loop below
      const CT s = CT(b[0]);
      IST_SAME_INDEX_LOOP for (int64_t i = 0; i < n; ++i) ScalarRhsMap<OP, AddTo>::Map(i, out, a, s);
    } else if (!AddTo && sb != 0) {
      const CT s = CT(a[0]);
      IST_SAME_INDEX_LOOP for (int64_t i = 0; i < n; ++i) ScalarLhsMap<OP, AddTo>::Map(i, out, s, b);
    } else {
      IST_VECTOR_LOOP for (int64_t i = 0; i < n; ++i) {
        BinaryStridedMap<OP, AddTo>::Map(i, out, a, sa, b, sb);
      }
    }
  }
}

// out[i] = convert<O>(in[i])
template <typename O, typename I>
void castRow(int64_t n, void* outv, const void* inv) {
  O* out = static_cast<O*>(outv);
  const I* in = static_cast<const I*>(inv);
  IST_VECTOR_LOOP for (int64_t i = 0; i < n; ++i) CastMap<false>::Map(i, out, in);
}

// out[i] = row(in[i]) over n elements (of outSize / inSize bytes), split across the pool.
void cpuUnaryFlat(int64_t n, int64_t cost, UnaryRowFn row, void* out, const void* in,
                  size_t outSize, size_t inSize);
// Binary op over a broadcast geometry (a same-shape or scalar operand is a 1-dim geometry).
void cpuBinaryBroadcast(const BroadcastGeom& g, int64_t cost, BinaryRowFn row, void* out,
                        const void* a, const void* b, size_t elemSize);

// out += src for two blobs of one shape and dtype.
void cpuAccumulate(const TBlob& src, const TBlob& out, const char* op);

// OP(data, scalar) or, reverse, OP(scalar, data); `scalar` points at one element of the dtype.
void cpuScalar(int64_t n, int64_t cost, BinaryRowFn row, void* out, const void* data,
               const void* scalar, bool reverse, size_t elemSize);

}  // namespace elem
}  // namespace ist
