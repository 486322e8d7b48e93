// Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3") and the
// conversions from its words to uniform floats, shared by CPU/WASM and CUDA kernels.
//
// Counter convention (every random op follows it, so one seed gives the same numbers on
// every backend and any thread count):
//   * OpContext carries rngKey (the device's seed) and rngCounter, the first of a range of
//     counters the runtime reserved for this call (it advances the device's counter by the
//     number of elements of the largest output or input).
//   * Element i of the output owns the 64-bit counter e = rngCounter + i. Its random words come
//     from blocks j = 0, 1, 2, ...: block j = philox4x32_10(ctr = {lo(e), hi(e), lo(j), hi(j)},
//     key = {lo(rngKey), hi(rngKey)}), four 32-bit words each, read in order (PhiloxStream).
//     Most samplers use only the first words of block 0; rejection samplers read on.
//   * So an element's value depends only on (key, e), never on how the work was split.
#pragma once
#include <cstdint>
#include "base/macros.h"

namespace ist {

struct PhiloxBlock {
  uint32_t w[4];
};

ISTX PhiloxBlock philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                               uint32_t k1) {
  const uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  const uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) { k0 += kWeyl0; k1 += kWeyl1; }
    uint64_t p0 = static_cast<uint64_t>(kMul0) * c0;
    uint64_t p1 = static_cast<uint64_t>(kMul1) * c2;
    uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
  }
  return PhiloxBlock{{c0, c1, c2, c3}};
}

// Uniform float in [0, 1) from the top 24 bits of one word: every value is a multiple of 2^-24,
// exactly representable, so the conversion is identical everywhere.
ISTX float philoxUniformFloat(uint32_t w) { return static_cast<float>(w >> 8) * (1.0f / 16777216.0f); }
// Uniform double in [0, 1) from 53 bits of two words.
ISTX double philoxUniformDouble(uint32_t w0, uint32_t w1) {
  uint64_t bits = (static_cast<uint64_t>(w0) << 21) ^ (static_cast<uint64_t>(w1) >> 11);
  return static_cast<double>(bits & ((uint64_t(1) << 53) - 1)) * (1.0 / 9007199254740992.0);
}
// Uniform double in (0, 1], never 0: the argument of log() in Box-Muller and friends.
ISTX double philoxUniformOpenDouble(uint32_t w0, uint32_t w1) {
  return 1.0 - philoxUniformDouble(w0, w1);
}

// The random words owned by one element: block 0 first, then blocks 1, 2, ... on demand.
class PhiloxStream {
 public:
  ISTX PhiloxStream(uint64_t key, uint64_t elementCounter)
      : k0_(static_cast<uint32_t>(key)), k1_(static_cast<uint32_t>(key >> 32)),
        e0_(static_cast<uint32_t>(elementCounter)), e1_(static_cast<uint32_t>(elementCounter >> 32)) {
    refill();
  }
  ISTX uint32_t nextU32() {
    if (used_ == 4) { ++block_; refill(); }
    return buf_.w[used_++];
  }
  ISTX uint64_t nextU64() {
    uint64_t hi = nextU32();
    return (hi << 32) | nextU32();
  }
  ISTX float uniformFloat() { return philoxUniformFloat(nextU32()); }
  ISTX double uniformDouble() {
    uint32_t a = nextU32();
    return philoxUniformDouble(a, nextU32());
  }
  // (0, 1]: safe for log().
  ISTX double uniformOpenDouble() { return 1.0 - uniformDouble(); }
  // Uniform integer in [0, range) for range >= 1, exactly unbiased: Lemire's multiply-shift
  // with rejection (rejections, rare for small ranges, read further words of the stream).
  ISTX uint32_t below32(uint32_t range) {
    uint64_t m = static_cast<uint64_t>(nextU32()) * range;
    uint32_t low = static_cast<uint32_t>(m);
    if (low < range) {
      uint32_t threshold = static_cast<uint32_t>(0u - range) % range;
      while (low < threshold) {
        m = static_cast<uint64_t>(nextU32()) * range;
        low = static_cast<uint32_t>(m);
      }
    }
    return static_cast<uint32_t>(m >> 32);
  }
  // Uniform integer in [0, range) for range >= 1 (range 0 means 2^64), exactly unbiased:
  // rejection of the top partial bucket of 64-bit draws.
  ISTX uint64_t below64(uint64_t range) {
    if (range == 0) return nextU64();
    if (range <= 0xFFFFFFFFull) return below32(static_cast<uint32_t>(range));
    uint64_t limit = (0 - range) % range;  // 2^64 mod range draws are rejected
    uint64_t x = nextU64();
    while (x < limit) x = nextU64();
    return x % range;
  }

 private:
  ISTX void refill() {
    buf_ = philox4x32_10(e0_, e1_, static_cast<uint32_t>(block_), static_cast<uint32_t>(block_ >> 32), k0_, k1_);
    used_ = 0;
  }
  uint32_t k0_, k1_, e0_, e1_;
  uint64_t block_ = 0;
  PhiloxBlock buf_;
  int used_ = 0;
};

}  // namespace ist
