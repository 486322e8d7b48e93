// The strided copy kernel: dim simplification, then contiguous rows, blocked 2-D transposes or
// element loops, split over the engine's pool.
#include "ops/matrix/strided_copy.h"
#include <algorithm>
#include <cstring>
#include "base/error.h"
#include "engine/parallel_for.h"
#include "ops/matrix/strided_copy_device.h"

namespace ist {

namespace {

// A simplified copy: dims ordered outer to inner, none of size 1 (rank 0 means one element).
struct Plan {
  std::vector<int64_t> shape, dst, src;
};

// Returns false when the copy is empty (strided_copy_device.h's simplifyCopy, shared with the twins).
bool simplify(const Shape& shape, const std::vector<int64_t>& ds, const std::vector<int64_t>& ss,
              Plan& p) {
  return mat::simplifyCopy(shape, ds, ss, &p.shape, &p.dst, &p.src);
}

// Walks the multi-index of the dims in `dims` (outer to inner) starting at linear index `start`,
// keeping element offsets of both sides.
struct Odometer {
  const Plan& p;
  std::vector<int> dims;
  std::vector<int64_t> idx;
  int64_t dOff = 0, sOff = 0;
  Odometer(const Plan& plan, std::vector<int> d, int64_t start) : p(plan), dims(std::move(d)) {
    idx.assign(dims.size(), 0);
    for (int k = static_cast<int>(dims.size()) - 1; k >= 0; --k) {
      const int64_t n = p.shape[dims[k]];
      idx[k] = start % n;
      start /= n;
      dOff += idx[k] * p.dst[dims[k]];
      sOff += idx[k] * p.src[dims[k]];
    }
  }
  void next() {
    for (int k = static_cast<int>(dims.size()) - 1; k >= 0; --k) {
      const int d = dims[k];
      dOff += p.dst[d];
      sOff += p.src[d];
      if (++idx[k] < p.shape[d]) return;
      dOff -= p.dst[d] * p.shape[d];
      sOff -= p.src[d] * p.shape[d];
      idx[k] = 0;
    }
  }
};

template <typename E>
struct Assign {
  static constexpr bool kMemcpy = true;
  static void apply(E& d, const E& s) { d = s; }
};

template <typename T>
struct Accumulate {
  static constexpr bool kMemcpy = false;
  static void apply(T& d, const T& s) {
    using C = typename ComputeType<T>::type;
    d = T(C(d) + C(s));
  }
};

constexpr int64_t kTile = 32;  // 2-D transpose tile edge, in elements

template <typename E, typename Op>
void run(const Plan& p, char* dstBase, const char* srcBase) {
  E* dst = reinterpret_cast<E*>(dstBase);
  const E* src = reinterpret_cast<const E*>(srcBase);
  const int nd = static_cast<int>(p.shape.size());
  if (nd == 0) {
    Op::apply(*dst, *src);
    return;
  }
  const int last = nd - 1;
  const int64_t len = p.shape[last], dsl = p.dst[last], ssl = p.src[last];

  // A dim (other than the innermost) along which the source is contiguous while the destination
  // is contiguous along the innermost one: a transpose, done in cache-sized tiles.
  int tdim = -1;
  if (dsl == 1 && ssl != 1 && len >= 8) {
    for (int d = 0; d < last; ++d)
      if (p.src[d] == 1 && p.shape[d] >= 8) tdim = d;
  }

  if (tdim < 0) {
    // Elements [j0, j1) of one innermost row.
    auto copyRow = [&](E* d, const E* s, int64_t j0, int64_t j1) {
      if (dsl == 1 && ssl == 1) {
        if constexpr (Op::kMemcpy) {
          std::memcpy(d + j0, s + j0, sizeof(E) * static_cast<size_t>(j1 - j0));
        } else {
          for (int64_t j = j0; j < j1; ++j) Op::apply(d[j], s[j]);
        }
      } else if (dsl == 1 && ssl == 0) {
        const E v = *s;
        for (int64_t j = j0; j < j1; ++j) Op::apply(d[j], v);
      } else if (dsl == 1) {
        for (int64_t j = j0; j < j1; ++j) Op::apply(d[j], s[j * ssl]);
      } else {
        for (int64_t j = j0; j < j1; ++j) Op::apply(d[j * dsl], s[j * ssl]);
      }
    };
    // Short rows (repeat, tile of narrow arrays) also loop the next dim here, so the per-row
    // index bookkeeping is amortised over more elements.
    const int inner2 = nd >= 2 && len < 64 ? 1 : 0;
    const int64_t n2 = inner2 ? p.shape[last - 1] : 1;
    const int64_t d2 = inner2 ? p.dst[last - 1] : 0, s2 = inner2 ? p.src[last - 1] : 0;
    std::vector<int> outer;
    for (int d = 0; d < last - inner2; ++d) outer.push_back(d);
    int64_t rows = 1;
    for (int d : outer) rows *= p.shape[d];
    // Tasks are (row, piece): a piece is a block of short rows of the second dim, or a stretch of
    // one long row, so even a single row spreads over the threads.
    constexpr int64_t kPiece = 16384;  // elements per task, at least
    const int64_t blk = inner2 ? std::max<int64_t>(1, kPiece / len) : 1;
    const int64_t cols = inner2 ? len : std::min(len, kPiece);
    const int64_t pieces = inner2 ? (n2 + blk - 1) / blk : (len + cols - 1) / cols;
    parallelFor(rows * pieces, cols * std::min(blk, n2), [&](int64_t b, int64_t e) {
      int64_t row = b / pieces;
      Odometer od(p, outer, row);
      for (int64_t t = b; t < e; ++t) {
        for (; row < t / pieces; ++row) od.next();
        const int64_t piece = t % pieces;
        if (inner2) {
          const int64_t k1 = std::min(n2, (piece + 1) * blk);
          for (int64_t k = piece * blk; k < k1; ++k)
            copyRow(dst + od.dOff + k * d2, src + od.sOff + k * s2, 0, len);
        } else {
          copyRow(dst + od.dOff, src + od.sOff, piece * cols, std::min(len, (piece + 1) * cols));
        }
      }
    });
    return;
  }

  std::vector<int> outer;
  for (int d = 0; d < last; ++d)
    if (d != tdim) outer.push_back(d);
  int64_t outerCount = 1;
  for (int d : outer) outerCount *= p.shape[d];
  const int64_t tn = p.shape[tdim], dst_t = p.dst[tdim];
  const int64_t strips = (tn + kTile - 1) / kTile;
  parallelFor(outerCount * strips, kTile * len, [&](int64_t b, int64_t e) {
    Odometer od(p, outer, b / strips);
    int64_t cur = b / strips;
    for (int64_t item = b; item < e; ++item) {
      const int64_t o = item / strips, strip = item % strips;
      while (cur < o) {
        od.next();
        ++cur;
      }
      const int64_t i0 = strip * kTile, i1 = std::min(tn, i0 + kTile), ni = i1 - i0;
      E* dBase = dst + od.dOff;
      const E* sBase = src + od.sOff;
      // Through a small buffer: each source run (contiguous along tdim) is read once and each
      // destination run (contiguous along the last dim) written once. Touching both sides in
      // place keeps kTile lines of the strided side live at once, and with power-of-two strides
      // those lines share one L1 set and evict each other.
      E buf[kTile * kTile];
      for (int64_t j0 = 0; j0 < len; j0 += kTile) {
        const int64_t nj = std::min(kTile, len - j0);
        for (int64_t j = 0; j < nj; ++j) {
          const E* s = sBase + (j0 + j) * ssl + i0;
          for (int64_t i = 0; i < ni; ++i) buf[j * kTile + i] = s[i];
        }
        for (int64_t i = 0; i < ni; ++i) {
          E* d = dBase + (i0 + i) * dst_t + j0;
          for (int64_t j = 0; j < nj; ++j) Op::apply(d[j], buf[j * kTile + i]);
        }
      }
    }
  });
}

void dispatch(DType dtype, const Plan& p, char* dst, const char* src, OpReq req, const char* op) {
  if (req == OpReq::kAddTo) {
    IST_TYPE_SWITCH_ALL(dtype, DT, op, { run<DT, Accumulate<DT>>(p, dst, src); });
    return;
  }
  switch (dtypeSize(dtype)) {
    case 1: run<uint8_t, Assign<uint8_t>>(p, dst, src); break;
    case 2: run<uint16_t, Assign<uint16_t>>(p, dst, src); break;
    case 4: run<uint32_t, Assign<uint32_t>>(p, dst, src); break;
    case 8: run<uint64_t, Assign<uint64_t>>(p, dst, src); break;
    default: throwUnsupportedDType(dtype, op);
  }
}

}  // namespace

std::vector<int64_t> contiguousStrides(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

void copyStrided(DType dtype, const Shape& shape, void* dst, const std::vector<int64_t>& dstStrides,
                 const void* src, const std::vector<int64_t>& srcStrides, OpReq req, const char* op) {
  if (req == OpReq::kNull) return;
  Plan p;
  if (!simplify(shape, dstStrides, srcStrides, p)) return;
  dispatch(dtype, p, static_cast<char*>(dst), static_cast<const char*>(src), req, op);
}

void copyContiguous(DType dtype, int64_t n, void* dst, const void* src, OpReq req, const char* op) {
  if (req == OpReq::kNull || n <= 0) return;
  if (req != OpReq::kAddTo) {
    if (dst == src) return;
    const size_t es = dtypeSize(dtype);
    constexpr int64_t kChunk = 1 << 16;  // elements per task: big copies use every thread
    char* d = static_cast<char*>(dst);
    const char* s = static_cast<const char*>(src);
    parallelFor((n + kChunk - 1) / kChunk, kChunk, [&](int64_t b, int64_t e) {
      const int64_t lo = b * kChunk, hi = std::min(n, e * kChunk);
      std::memcpy(d + lo * es, s + lo * es, static_cast<size_t>(hi - lo) * es);
    });
    return;
  }
  copyStrided(dtype, Shape{n}, dst, {1}, src, {1}, req, op);
}

}  // namespace ist
