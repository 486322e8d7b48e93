// Scalar helpers for device-generic kernels (kernels/device.h), callable inside Map on both devices: stores with a request, loads/stores through double, float-to-integer conversions and rounded arithmetic that give the CPU's bits.
#pragma once
#include <cstdint>
#include <type_traits>
#include "base/dtype.h"
#include "base/macros.h"

namespace ist {

// dst = v, or dst += v (in the compute type; bool ORs) when add.
template <typename T>
ISTX void putValue(T& dst, T v, bool add) {
  if (!add) {
    dst = v;
  } else if constexpr (std::is_same_v<T, bool>) {
    dst = dst || v;
  } else {
    using C = typename ComputeType<T>::type;
    dst = T(C(dst) + C(v));
  }
}

// nn::load / nn::store / nn::put of ops/nn/layer_util.h: through the compute type and double.
template <typename T> ISTX double ldd(const T& v) {
  return static_cast<double>(static_cast<typename ComputeType<T>::type>(v));
}
template <typename T> ISTX T std_(double v) { return static_cast<T>(static_cast<typename ComputeType<T>::type>(v)); }
template <typename T> ISTX void putd(T* p, double v, bool add) {
  *p = add ? std_<T>(ldd(*p) + v) : std_<T>(v);
}

// Float-to-integer conversions as the CPU kernels get them on x86 (cvttsd2si): NaN and values out
// of range give the most negative integer. CUDA would saturate instead, so conversions of
// unchecked user values (labels, indices) go through these to agree with the CPU.
ISTX int64_t truncInt64(double x) {
  return (x >= -9223372036854775808.0 && x < 9223372036854775808.0) ? static_cast<int64_t>(x)
                                                                      : static_cast<int64_t>(-9223372036854775807LL - 1);
}
ISTX int truncInt(double x) {
  return (x > -2147483649.0 && x < 2147483648.0) ? static_cast<int>(x) : static_cast<int>(-2147483647 - 1);
}

// a + b and a * b rounded on their own: nvcc would otherwise contract a * b + c into one FMA,
// whose rounding differs from the CPU's. On the host these are the plain operators.
template <typename C> ISTX C hostAdd(C a, C b) {
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_same_v<C, double>) return __dadd_rn(a, b);
  else if constexpr (std::is_same_v<C, float>) return __fadd_rn(a, b);
  else return a + b;
#else
  return a + b;
#endif
}
template <typename C> ISTX C hostMul(C a, C b) {
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_same_v<C, double>) return __dmul_rn(a, b);
  else if constexpr (std::is_same_v<C, float>) return __fmul_rn(a, b);
  else return a * b;
#else
  return a * b;
#endif
}

}  // namespace ist
