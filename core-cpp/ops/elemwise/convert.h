// Element-type conversion defined for every pair of dtypes: no undefined behaviour, no WASM traps.
#pragma once
#include <stdint.h>
#include <type_traits>
#include "base/half.h"
#include "base/macros.h"

namespace ist {

template <typename T> struct IsHalfLike : std::false_type {};
template <> struct IsHalfLike<half_t> : std::true_type {};
template <> struct IsHalfLike<bf16_t> : std::true_type {};

// The floating type an integer op computes transcendental math in: double for integers (as
// MXNet's math:: wrappers do), the type itself for float and double.
template <typename T>
using RealOf = std::conditional_t<std::is_integral_v<T>, double, T>;

namespace detail {
// float/double -> integer. C++ leaves out-of-range conversions undefined and WASM's trunc
// instructions trap on them, so: NaN gives 0, values beyond int64 saturate, and everything else
// truncates toward zero and then wraps like a two's-complement narrowing of the int64 value
// (MXNet documents cast([300, -1], 'uint8') = [44, 255]).
template <typename To, typename F>
ISTX To realToInt(F x) {
  if (!(x == x)) return To(0);
  if constexpr (std::is_same_v<To, uint64_t>) {
    if (x >= F(9223372036854775808.0)) {
      return x >= F(18446744073709551616.0) ? ~uint64_t(0) : static_cast<uint64_t>(x);
    }
  }
  if (x >= F(9223372036854775808.0)) return static_cast<To>(INT64_MAX);
  if (x < F(-9223372036854775808.0)) return static_cast<To>(INT64_MIN);
  return static_cast<To>(static_cast<int64_t>(x));
}
}  // namespace detail

// convert<To>(x): float16/bfloat16 go through float; bool is x != 0 (NaN counts as true).
template <typename To, typename From>
ISTX To convert(From x) {
  if constexpr (std::is_same_v<To, From>) {
    return x;
  } else if constexpr (IsHalfLike<From>::value) {
    return convert<To>(static_cast<float>(x));
  } else if constexpr (std::is_same_v<To, bool>) {
    return x != From(0);
  } else if constexpr (IsHalfLike<To>::value) {
    return To(static_cast<float>(x));
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    return detail::realToInt<To>(x);
  } else {
    return static_cast<To>(x);
  }
}

}  // namespace ist
