// Groups n destination keys (a row, a slice offset) into runs of equal keys, each run in source
// order, on either device: the deterministic scatter-add of the indexing ops' gradients
// (_backward_take, _backward_Embedding, _backward_gather_nd).
//
// The CPU adds source p's values onto destination keys[p] for p = 0, 1, ..., so a destination hit
// several times sums in source order. Float atomics would add in a varying order (and round
// differently each run), and one thread walking every source leaves a GPU idle. Instead the
// (key, source) pairs are sorted, and the first pair of each run of equal keys sums its run in
// source order: the CPU's additions in the CPU's order, one Map per destination. The pairs are
// distinct, so a bitonic network (no data-dependent control flow, one launch per pass) orders them
// uniquely; padding up to the power-of-two length sorts last.
#pragma once
#include <cstdint>
#include "base/macros.h"
#include "kernels/device.h"

namespace ist {

// keys[p] = key[p], sources[p] = p; padding past n gets the largest key.
struct RunLoadPairsMap {
  ISTX static void Map(int64_t p, int64_t* keys, int64_t* sources, const int64_t* key, int64_t n) {
    keys[p] = p < n ? key[p] : INT64_MAX;
    sources[p] = p;
  }
};

// One compare-exchange pass of the bitonic network: pair t joins items lo and lo + stride (stride
// a power of two), put in ascending order when lo's `block` bit is clear, descending otherwise.
struct RunBitonicStepMap {
  ISTX static void Map(int64_t t, int64_t* keys, int64_t* sources, int64_t block, int64_t stride) {
    const int64_t lo = ((t & ~(stride - 1)) << 1) | (t & (stride - 1)), hi = lo + stride;
    const bool ascending = (lo & block) == 0;
    const bool hiFirst = keys[hi] < keys[lo] || (keys[hi] == keys[lo] && sources[hi] < sources[lo]);
    if (hiFirst != ascending) return;
    const int64_t k = keys[lo], c = sources[lo];
    keys[lo] = keys[hi];
    sources[lo] = sources[hi];
    keys[hi] = k;
    sources[hi] = c;
  }
};

// Whether sorted position p starts a run (the Map that owns the run's destination).
ISTX bool runStarts(const int64_t* keys, int64_t p) { return p == 0 || keys[p - 1] != keys[p]; }

// Whether a scatter-add of m sources onto `columns` independent columns sorts its sources into
// runs: one thread per column walking every source is fine while the columns alone fill a GPU or
// the walk is short.
inline bool scatterSortsRuns(int64_t m, int64_t columns) { return m > 16 && columns < (int64_t{1} << 16); }

// The sorted pairs of n keys, in device scratch: keys() ascending, sources() the source positions,
// ascending within a run. Positions n.. are padding.
template <typename Dev>
class SortedRuns {
 public:
  SortedRuns(void* s, const int64_t* key, int64_t n) : len_(paddedLength(n)), mem_(s, static_cast<size_t>(2 * len_) * 8) {
    if (n == 0) return;
    DeviceKernel<RunLoadPairsMap, Dev>::launch(s, len_, 1, keys(), sources(), key, n);
    for (int64_t block = 2; block <= len_; block <<= 1)
      for (int64_t stride = block / 2; stride > 0; stride >>= 1)
        DeviceKernel<RunBitonicStepMap, Dev>::launch(s, len_ / 2, 4, keys(), sources(), block, stride);
  }
  int64_t* keys() const { return mem_.template as<int64_t>(); }
  int64_t* sources() const { return keys() + len_; }

 private:
  static int64_t paddedLength(int64_t n) {
    int64_t len = 1;
    while (len < n) len <<= 1;
    return len;
  }
  int64_t len_;
  TempSpace<Dev> mem_;
};

}  // namespace ist
