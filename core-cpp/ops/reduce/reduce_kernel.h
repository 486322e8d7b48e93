// The CPU/WASM reduction engine: folds any set of axes without transposing, in parallel, with
// results that are bit-identical for every thread count.
//
// The input is first compacted: size-1 dims are dropped and adjacent dims that are both
// reduced (or both kept) are merged, so (2,3,4,5) reduced over (1,2) becomes [2 | 12 | 5].
// Then one of two loops runs:
//   A. innermost dim reduced: each output folds contiguous runs of the input (a row sum);
//   B. innermost dim kept: each output row of I contiguous elements accumulates whole input
//      rows (a column sum), vectorised across I.
// Other reduced/kept dims are walked with an odometer. Work is split into tasks whose
// boundaries depend only on the shape (outputs, fixed inner chunks, fixed blocks of the
// reduced range when there are too few outputs); block partials are combined in block order.
// parallelFor may hand tasks to threads however it likes: each output's arithmetic is fixed.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>
#include "base/dtype.h"
#include "engine/parallel_for.h"
#include "op/registry.h"

namespace ist {
namespace reduce {

template <typename T> using CT = typename ComputeType<T>::type;
template <typename T> constexpr bool kIsFloat = !std::is_same_v<CT<T>, T> || std::is_floating_point_v<T>;

// Elements folded per block when loop A splits a reduction, and the output-row chunk of loop B.
constexpr int64_t kBlockElems = 16384;
constexpr int64_t kInnerChunk = 2048;
// Fewer independent tasks than this (on a big input) makes the reduced range split into blocks,
// aiming at kSplitTasks tasks.
constexpr int64_t kMinTasks = 16;
constexpr int64_t kSplitTasks = 64;

template <typename O, typename V> inline O castOut(V v) {
  if constexpr (std::is_same_v<O, half_t> || std::is_same_v<O, bf16_t>) return O(static_cast<float>(v));
  else if constexpr (std::is_same_v<O, bool>) return v != V(0);
  else return static_cast<O>(v);
}

// Writes v into out[i] honouring req (the caller skips kNull).
template <typename O, typename V> inline void storeOut(O* out, int64_t i, V v, OpReq req) {
  if (req == OpReq::kAddTo) out[i] = castOut<O>(static_cast<V>(static_cast<CT<O>>(out[i])) + v);
  else out[i] = castOut<O>(v);
}

// Integer sums and products wrap like NumPy's, computed in uint64 (well-defined overflow).
template <typename T> inline uint64_t toWrapped(T x) {
  if constexpr (std::is_signed_v<T>) return static_cast<uint64_t>(static_cast<int64_t>(x));
  else return static_cast<uint64_t>(x);
}

// --- Reducers: Acc is the accumulator, load maps an element into it, step folds (and also
// combines partials), finish turns the fold of n elements into the value stored. ---

template <typename T> struct SumR {
  using Acc = std::conditional_t<kIsFloat<T>, double, uint64_t>;
  static Acc init() { return Acc(0); }
  static Acc load(T x) {
    if constexpr (kIsFloat<T>) return static_cast<double>(static_cast<CT<T>>(x));
    else return toWrapped(x);
  }
  static Acc step(Acc a, Acc v) { return a + v; }
  static auto finish(Acc a, int64_t n, bool mean) {
    if constexpr (kIsFloat<T>) {
      return mean ? a / static_cast<double>(n) : a;
    } else if constexpr (std::is_signed_v<T>) {
      int64_t s = static_cast<int64_t>(a);
      return (mean && n > 0) ? s / n : s;  // MXNet: integer mean truncates
    } else {
      return (mean && n > 0) ? a / static_cast<uint64_t>(n) : a;
    }
  }
};

template <typename T> struct ProdR {
  using Acc = std::conditional_t<kIsFloat<T>, double, uint64_t>;
  static Acc init() { return Acc(1); }
  static Acc load(T x) { return SumR<T>::load(x); }
  static Acc step(Acc a, Acc v) { return a * v; }
  static auto finish(Acc a, int64_t, bool) {
    if constexpr (kIsFloat<T> || !std::is_signed_v<T>) return a;
    else return static_cast<int64_t>(a);
  }
};

// NaN-propagating, like NumPy's max/min.
template <typename T> struct MaxR {
  using Acc = CT<T>;
  static Acc init() {
    if constexpr (std::is_floating_point_v<Acc>) return -std::numeric_limits<Acc>::infinity();
    else return std::numeric_limits<Acc>::lowest();
  }
  static Acc load(T x) { return static_cast<Acc>(x); }
  static Acc step(Acc a, Acc v) { return ((v > a) | (v != v)) ? v : a; }  // branch-free
  static Acc finish(Acc a, int64_t, bool) { return a; }
};

template <typename T> struct MinR {
  using Acc = CT<T>;
  static Acc init() {
    if constexpr (std::is_floating_point_v<Acc>) return std::numeric_limits<Acc>::infinity();
    else return std::numeric_limits<Acc>::max();
  }
  static Acc load(T x) { return static_cast<Acc>(x); }
  static Acc step(Acc a, Acc v) { return ((v < a) | (v != v)) ? v : a; }
  static Acc finish(Acc a, int64_t, bool) { return a; }
};

// Float types only (for integers nansum/nanprod are sum/prod).
template <typename T> struct NanSumR : SumR<T> {
  static double load(T x) {
    double v = static_cast<double>(static_cast<CT<T>>(x));
    return v != v ? 0.0 : v;
  }
};
template <typename T> struct NanProdR : ProdR<T> {
  static double load(T x) {
    double v = static_cast<double>(static_cast<CT<T>>(x));
    return v != v ? 1.0 : v;
  }
};

// norm(ord=1) and norm(ord=2), accumulated in double for every input type.
template <typename T> struct Norm1R {
  using Acc = double;
  static Acc init() { return 0.0; }
  static Acc load(T x) { return std::fabs(static_cast<double>(static_cast<CT<T>>(x))); }
  static Acc step(Acc a, Acc v) { return a + v; }
  static double finish(Acc a, int64_t, bool) { return a; }
};
template <typename T> struct Norm2R : Norm1R<T> {
  static double load(T x) {
    double v = static_cast<double>(static_cast<CT<T>>(x));
    return v * v;
  }
  static double finish(double a, int64_t, bool) { return std::sqrt(a); }
};

// --- The compacted view and its walkers. ---

struct Plan {
  std::vector<int64_t> dims, strides;  // compacted input dims, outermost first
  std::vector<bool> red;               // reduced?
  int64_t numOut = 1;                  // output elements
  int64_t numRed = 1;                  // elements folded into each output
  int64_t numIn = 1;
};
Plan makePlan(const Shape& in, const std::vector<bool>& mask);

// Odometer over some dims of the input: tracks the input offset of a multi-index.
struct Walker {
  std::vector<int64_t> dims, strides, idx;
  int64_t off = 0;
  void seek(int64_t linear) {
    off = 0;
    idx.assign(dims.size(), 0);
    for (size_t k = dims.size(); k-- > 0;) {
      idx[k] = linear % dims[k];
      linear /= dims[k];
      off += idx[k] * strides[k];
    }
  }
  void next() {
    for (size_t k = dims.size(); k-- > 0;) {
      off += strides[k];
      if (++idx[k] < dims[k]) return;
      off -= strides[k] * dims[k];
      idx[k] = 0;
    }
  }
};

// Splits the plan's dims into the kept walker and the reduced walker; `skipLast` leaves the
// innermost dim out of both (it is walked by the inner loop).
void splitWalkers(const Plan& plan, bool skipLast, Walker* kept, Walker* reduced);

// Folds len contiguous elements into 8 lanes (element k of the run goes to lane k % 8).
template <typename Red, typename T>
inline void foldRun(typename Red::Acc* lanes, const T* p, int64_t len) {
  typename Red::Acc l8[8];  // a private copy: the compiler may keep it in registers (no aliasing p)
  for (int l = 0; l < 8; ++l) l8[l] = lanes[l];
  int64_t k = 0;
  for (; k + 8 <= len; k += 8)
    for (int l = 0; l < 8; ++l) l8[l] = Red::step(l8[l], Red::load(p[k + l]));
  for (int l = 0; k < len; ++k, ++l) l8[l] = Red::step(l8[l], Red::load(p[k]));
  for (int l = 0; l < 8; ++l) lanes[l] = l8[l];
}

// Loop A: innermost dim reduced (or nothing left after compaction).
template <typename Red, typename T, typename O>
void reduceInnerRuns(const T* x, const Plan& plan, O* out, OpReq req, bool mean) {
  using Acc = typename Red::Acc;
  Walker keptW, redW;
  const bool hasRun = !plan.dims.empty();
  splitWalkers(plan, hasRun, &keptW, &redW);
  const int64_t run = hasRun ? plan.dims.back() : 1;
  const int64_t T_ = plan.numRed, numOut = plan.numOut;

  // Folds elements [t0, t1) of the reduced range of the output whose input base is `base`.
  auto foldRange = [&](Walker& rw, int64_t base, int64_t t0, int64_t t1) {
    Acc lanes[8];
    for (auto& l : lanes) l = Red::init();
    int64_t r = t0 % run;
    rw.seek(t0 / run);
    while (t0 < t1) {
      int64_t len = std::min(run - r, t1 - t0);
      foldRun<Red>(lanes, x + base + rw.off + r, len);
      t0 += len;
      r = 0;
      rw.next();
    }
    Acc acc = lanes[0];
    for (int l = 1; l < 8; ++l) acc = Red::step(acc, lanes[l]);
    return acc;
  };

  const bool split = numOut < kMinTasks && plan.numIn >= 2 * kBlockElems;
  if (!split) {
    parallelFor(numOut, std::max<int64_t>(T_, 1), [&](int64_t o0, int64_t o1) {
      Walker kw = keptW, rw = redW;
      kw.seek(o0);
      for (int64_t o = o0; o < o1; ++o, kw.next())
        storeOut(out, o, Red::finish(foldRange(rw, kw.off, 0, T_), T_, mean), req);
    });
    return;
  }
  const int64_t nb = (T_ + kBlockElems - 1) / kBlockElems;
  std::unique_ptr<Acc[]> partial(new Acc[static_cast<size_t>(numOut * nb)]);  // Acc may be bool
  parallelFor(numOut * nb, kBlockElems, [&](int64_t k0, int64_t k1) {
    Walker kw = keptW, rw = redW;
    for (int64_t k = k0; k < k1; ++k) {
      int64_t o = k / nb, b = k % nb;
      kw.seek(o);
      partial[k] = foldRange(rw, kw.off, b * kBlockElems, std::min(T_, (b + 1) * kBlockElems));
    }
  });
  for (int64_t o = 0; o < numOut; ++o) {
    Acc acc = partial[o * nb];
    for (int64_t b = 1; b < nb; ++b) acc = Red::step(acc, partial[o * nb + b]);
    storeOut(out, o, Red::finish(acc, T_, mean), req);
  }
}

// Loop B: innermost dim kept; output rows of I contiguous elements.
template <typename Red, typename T, typename O>
void reduceOuterRows(const T* x, const Plan& plan, O* out, OpReq req, bool mean) {
  using Acc = typename Red::Acc;
  Walker keptW, redW;
  splitWalkers(plan, true, &keptW, &redW);
  const int64_t I = plan.dims.back();
  const int64_t P = plan.numOut / I, T_ = plan.numRed;
  const int64_t nI = (I + kInnerChunk - 1) / kInnerChunk;

  // Folds reduced rows [t0, t1) into acc[0, len) for output row base `base`, columns from i0.
  auto foldRows = [&](Walker& rw, int64_t base, int64_t i0, int64_t len, int64_t t0, int64_t t1,
                      Acc* acc) {
    for (int64_t i = 0; i < len; ++i) acc[i] = Red::init();
    rw.seek(t0);
    int64_t t = t0;
    // Four rows per pass (same per-column order as one at a time, so the same bits): a quarter
    // of the accumulator traffic and four read streams for the prefetcher.
    for (; t + 4 <= t1; t += 4) {
      const T* p0 = x + base + rw.off + i0;
      rw.next();
      const T* p1 = x + base + rw.off + i0;
      rw.next();
      const T* p2 = x + base + rw.off + i0;
      rw.next();
      const T* p3 = x + base + rw.off + i0;
      rw.next();
      for (int64_t i = 0; i < len; ++i) {
        Acc a = Red::step(acc[i], Red::load(p0[i]));
        a = Red::step(a, Red::load(p1[i]));
        a = Red::step(a, Red::load(p2[i]));
        acc[i] = Red::step(a, Red::load(p3[i]));
      }
    }
    for (; t < t1; ++t, rw.next()) {
      const T* p = x + base + rw.off + i0;
      for (int64_t i = 0; i < len; ++i) acc[i] = Red::step(acc[i], Red::load(p[i]));
    }
  };

  const int64_t tasks = P * nI;
  const bool split = tasks < kMinTasks && plan.numIn >= 2 * kBlockElems;
  if (!split) {
    parallelFor(tasks, std::max<int64_t>(T_, 1) * std::min(I, kInnerChunk), [&](int64_t k0, int64_t k1) {
      Walker kw = keptW, rw = redW;
      std::unique_ptr<Acc[]> holder(new Acc[static_cast<size_t>(std::min(I, kInnerChunk))]);
      Acc* acc = holder.get();
      int64_t p = k0 / nI, ic = k0 % nI;
      kw.seek(p);
      for (int64_t k = k0; k < k1; ++k) {
        int64_t i0 = ic * kInnerChunk, len = std::min(kInnerChunk, I - i0);
        foldRows(rw, kw.off, i0, len, 0, T_, acc);
        for (int64_t i = 0; i < len; ++i) storeOut(out, p * I + i0 + i, Red::finish(acc[i], T_, mean), req);
        if (++ic == nI) { ic = 0; ++p; kw.next(); }
      }
    });
    return;
  }
  // Split the reduced rows into just enough blocks for kSplitTasks tasks (the partials cost
  // memory traffic); the count depends on the shape only.
  const int64_t want = std::min<int64_t>(T_, (kSplitTasks + tasks - 1) / tasks);
  const int64_t rowsPerBlock = (T_ + want - 1) / want;
  const int64_t nb = (T_ + rowsPerBlock - 1) / rowsPerBlock;
  std::unique_ptr<Acc[]> partial(new Acc[static_cast<size_t>(P * nb * I)]);  // [p][b][i]
  parallelFor(tasks * nb, kBlockElems, [&](int64_t k0, int64_t k1) {
    Walker kw = keptW, rw = redW;
    for (int64_t k = k0; k < k1; ++k) {
      int64_t b = k % nb, ic = (k / nb) % nI, p = k / (nb * nI);
      int64_t i0 = ic * kInnerChunk, len = std::min(kInnerChunk, I - i0);
      kw.seek(p);
      foldRows(rw, kw.off, i0, len, b * rowsPerBlock, std::min(T_, (b + 1) * rowsPerBlock),
               partial.get() + (p * nb + b) * I + i0);
    }
  });
  parallelFor(P * I, nb, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      int64_t p = o / I, i = o % I;
      Acc acc = partial[(p * nb) * I + i];
      for (int64_t b = 1; b < nb; ++b) acc = Red::step(acc, partial[(p * nb + b) * I + i]);
      storeOut(out, o, Red::finish(acc, T_, mean), req);
    }
  });
}

// Reduces x (shape `in`) over the dims in `mask` into out (numOut elements, row-major over the
// kept dims). `mean` divides by the number of folded elements (SumR only).
template <typename Red, typename T, typename O>
void reduceAxes(const T* x, const Shape& in, const std::vector<bool>& mask, O* out, OpReq req,
                bool mean = false) {
  if (req == OpReq::kNull) return;
  Plan plan = makePlan(in, mask);
  if (plan.numOut == 0) return;
  if (plan.numRed == 0) {  // empty folds: the identity (sum 0, prod 1, mean NaN)
    auto v = Red::finish(Red::init(), 0, mean);
    parallelFor(plan.numOut, 1, [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) storeOut(out, o, v, req);
    });
    return;
  }
  if (!plan.dims.empty() && !plan.red.back()) reduceOuterRows<Red>(x, plan, out, req, mean);
  else reduceInnerRuns<Red>(x, plan, out, req, mean);
}

}  // namespace reduce
}  // namespace ist
