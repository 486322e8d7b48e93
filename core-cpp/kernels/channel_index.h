// The channel of element i of an (outer, C, inner) array, for per-channel elementwise kernels (bias,
// BatchNorm): i / inner % C by multiply-and-shift divisions (Granlund-Montgomery, as CUTLASS's
// FastDivmod) fixed on the host. A GPU has no integer divider: a 64-bit `/` and `%` per element
// cost more than the memory traffic of these kernels.
#pragma once
#include <cstdint>
#include "base/macros.h"

namespace ist {

// Unsigned division by a fixed d in [1, 2^31) of dividends below 2^31: q = umulhi(n, mul) >> shift.
struct FastDivisor {
  uint32_t d = 1, mul = 0, shift = 0;
  FastDivisor() = default;
  explicit FastDivisor(uint32_t divisor) : d(divisor) {
    if (d == 1) return;  // div() returns n itself
    // With s = ceil(log2 d): mul = ceil(2^(31+s) / d) < 2^32, and n * mul >> (31 + s) is exact for
    // n < 2^31 (the rounding error of mul times n stays below 2^(31+s) / d).
    uint32_t s = 0;
    while ((uint64_t{1} << s) < d) ++s;
    mul = static_cast<uint32_t>(((uint64_t{1} << (31 + s)) + d - 1) / d);
    shift = s - 1;
  }
  ISTX uint32_t div(uint32_t n) const {
    if (d == 1) return n;
#if defined(__CUDA_ARCH__)
    return __umulhi(n, mul) >> shift;
#else
    return static_cast<uint32_t>((static_cast<uint64_t>(n) * mul) >> 32) >> shift;
#endif
  }
  ISTX uint32_t mod(uint32_t n) const { return n - div(n) * d; }
};

// Per-channel index of flat element i; 64-bit division when the array is too large for 31 bits.
struct ChannelIndex {
  FastDivisor inner, channels;
  int64_t inner64 = 1, channels64 = 1;
  bool narrow = false;
  ChannelIndex() = default;
  ChannelIndex(int64_t size, int64_t c, int64_t innerSize)
      : inner64(innerSize > 0 ? innerSize : 1), channels64(c > 0 ? c : 1) {
    narrow = size < (int64_t{1} << 31) && inner64 < (int64_t{1} << 31) && channels64 < (int64_t{1} << 31);
    if (narrow) {
      inner = FastDivisor(static_cast<uint32_t>(inner64));
      channels = FastDivisor(static_cast<uint32_t>(channels64));
    }
  }
  ISTX int64_t operator()(int64_t i) const {
    if (narrow) return channels.mod(inner.div(static_cast<uint32_t>(i)));
    return (i / inner64) % channels64;
  }
};

}  // namespace ist
