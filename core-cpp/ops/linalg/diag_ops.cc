// Diagonal and triangle packing ops (MXNet's la_op.cc): _linalg_extractdiag / _linalg_makediag
// (offset) and _linalg_extracttrian / _linalg_maketrian (offset, lower), each the other's gradient.
#include <cmath>
#include <cstdlib>
#include <string>
#include "ops/linalg/la_common.h"

namespace ist {
namespace {

// Length of the packed vector of a triangle with m rows.
int64_t triangleSize(int64_t m) { return m * (m + 1) / 2; }

// n' = n - |offset| rows/cols of the diagonal or triangle taken from an n x n matrix. MXNet needs
// n' > 0; an empty matrix with offset 0 is accepted too (it packs to nothing).
int64_t extractedSize(const char* op, const Shape& s, int offset) {
  la::checkMatrices(op, "A", s, true);
  const int64_t n = s.back(), m = n - std::abs(static_cast<int64_t>(offset));
  IST_CHECK(m > 0 || (n == 0 && offset == 0), op, "offset",
            "offset " << offset << " is out of range for matrices of size " << n << " x " << n
                      << " (input shape " << shapeString(s) << "); |offset| must be below " << n);
  return m;
}

template <bool kDiag>
int offsetOf(const NodeAttrs& attrs) {
  if constexpr (kDiag) return attrs.get<la::DiagParam>().offset;
  else return attrs.get<la::TrianParam>().offset;
}

template <bool kDiag>
void extractShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  const int64_t m = extractedSize(la::opName(attrs), in[0], offsetOf<kDiag>(attrs));
  Shape o(in[0].begin(), in[0].end() - 2);
  o.push_back(kDiag ? m : triangleSize(m));
  out[0] = o;
}

// The square side of makediag / maketrian's output for a last axis of length `len`.
template <bool kDiag>
int64_t madeSide(const char* op, const Shape& s, int offset) {
  IST_CHECK(!s.empty(), op, "A",
            "expects a tensor of rank >= 1 (its last axis holds the "
                << (kDiag ? "diagonal" : "packed triangle") << "), got shape " << shapeString(s));
  const int64_t len = s.back(), k = std::abs(static_cast<int64_t>(offset));
  if (kDiag) return len + k;
  const int64_t m = static_cast<int64_t>(std::floor(0.5 + (std::sqrt(8.0 * len + 1) - 1.0) * 0.5));
  IST_CHECK(triangleSize(m) == len, op, "A",
            "the last axis (length " << len << ", shape " << shapeString(s)
                << ") must hold a packed triangle, i.e. have length m*(m+1)/2 for some m");
  return m + k;
}

template <bool kDiag>
void makeShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  const int64_t side = madeSide<kDiag>(la::opName(attrs), in[0], offsetOf<kDiag>(attrs));
  Shape o(in[0].begin(), in[0].end() - 1);
  o.push_back(side);
  o.push_back(side);
  out[0] = o;
}

// Calls fn(matrixIndex, packedIndex) for every element of the diagonal / triangle, in MXNet's
// packing order (CopyDiag, CopyTrian): the diagonal from its top-left; a lower triangle row by row;
// an upper one (offset > 0, or offset 0 with lower=False) column by column.
template <bool kDiag, typename Fn>
void forEachPacked(int64_t n, int offset, bool lower, Fn&& fn) {
  const int64_t k = std::abs(static_cast<int64_t>(offset)), m = n - k;
  if (m <= 0) return;
  if (kDiag) {
    for (int64_t i = 0; i < m; ++i) {
      const int64_t row = i + (offset < 0 ? k : 0), col = i + (offset > 0 ? k : 0);
      fn(row * n + col, i);
    }
    return;
  }
  const bool upper = offset > 0 || (offset == 0 && !lower);
  int64_t idx = 0;
  for (int64_t r = 0; r < m; ++r)
    for (int64_t c = 0; c <= r; ++c, ++idx) {
      // (r + k, c) of the lower triangle below diagonal -k, or its transpose for the upper one.
      const int64_t row = upper ? c : r + k, col = upper ? r + k : c;
      fn(row * n + col, idx);
    }
}

template <bool kDiag>
void extractCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const int offset = offsetOf<kDiag>(attrs);
  bool lower = true;
  if constexpr (!kDiag) lower = attrs.get<la::TrianParam>().lower;
  const Shape& s = in[0].shape;
  const int64_t n = s.back(), batch = la::batchOf(s), per = out[0].shape.back();
  IST_LA_SWITCH(in[0].dtype, T, op, {
    const T* a = in[0].data<T>();
    la::writeResult<T>(out[0], req[0], [&](T* o) {
      for (int64_t b = 0; b < batch; ++b)
        forEachPacked<kDiag>(n, offset, lower,
                             [&](int64_t e, int64_t i) { o[b * per + i] = a[b * n * n + e]; });
    });
  });
}

template <bool kDiag>
void makeCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const int offset = offsetOf<kDiag>(attrs);
  bool lower = true;
  if constexpr (!kDiag) lower = attrs.get<la::TrianParam>().lower;
  const Shape& s = out[0].shape;
  const int64_t n = s.back(), batch = la::batchOf(s), per = in[0].shape.back();
  IST_LA_SWITCH(in[0].dtype, T, op, {
    const T* a = in[0].data<T>();
    la::writeResult<T>(out[0], req[0], [&](T* o) {
      for (int64_t i = 0; i < out[0].size(); ++i) o[i] = T(0);
      for (int64_t b = 0; b < batch; ++b)
        forEachPacked<kDiag>(n, offset, lower,
                             [&](int64_t e, int64_t i) { o[b * n * n + e] = a[b * per + i]; });
    });
  });
}

// Extraction and construction are each other's adjoints (same offset and lower).
FGradient inverseOpGradient(const std::string& other) {
  return [other](const NodePtr& n, const std::vector<NodeEntry>& og) {
    return std::vector<NodeEntry>{makeEntry(other, {og[0]}, n->attrs.dict)};
  };
}

IST_REGISTER_OP(_linalg_extractdiag)
    .alias("linalg_extractdiag")
    .describe(
        "Extracts the diagonal entries of a square matrix (offset > 0: a diagonal above the main "
        "one, < 0: below) as a vector; a batch of matrices gives one vector per matrix. float32 "
        "and float64 only.")
    .inputs({"A"})
    .params<la::DiagParam>()
    .inferShape(extractShape<true>)
    .inferType(la::floatType)
    .compute(Context::kCPU, extractCompute<true>)
    .gradient(inverseOpGradient("_linalg_makediag"));

IST_REGISTER_OP(_linalg_makediag)
    .alias("linalg_makediag")
    .describe(
        "Constructs a square matrix with the input as its diagonal (offset > 0: a diagonal above "
        "the main one, < 0: below), zeros elsewhere; a batch of vectors gives a batch of matrices. "
        "float32 and float64 only.")
    .inputs({"A"})
    .params<la::DiagParam>()
    .inferShape(makeShape<true>)
    .inferType(la::floatType)
    .compute(Context::kCPU, makeCompute<true>)
    .gradient(inverseOpGradient("_linalg_extractdiag"));

IST_REGISTER_OP(_linalg_extracttrian)
    .alias("linalg_extracttrian")
    .describe(
        "Extracts a triangular sub-matrix of a square matrix as a vector: offset 0 the lower (or, "
        "lower=False, upper) triangle with the diagonal, offset k > 0 the upper triangle above the "
        "k-th diagonal, k < 0 the lower triangle below the |k|-th. Lower triangles are packed row "
        "by row, upper ones column by column (MXNet's order). float32 and float64 only.")
    .inputs({"A"})
    .params<la::TrianParam>()
    .inferShape(extractShape<false>)
    .inferType(la::floatType)
    .compute(Context::kCPU, extractCompute<false>)
    .gradient(inverseOpGradient("_linalg_maketrian"));

IST_REGISTER_OP(_linalg_maketrian)
    .alias("linalg_maketrian")
    .describe(
        "Constructs a square matrix from a packed triangle (the inverse of linalg_extracttrian): "
        "the entries outside the triangle are zero, and |offset| extra zero diagonals are added. "
        "float32 and float64 only.")
    .inputs({"A"})
    .params<la::TrianParam>()
    .inferShape(makeShape<false>)
    .inferType(la::floatType)
    .compute(Context::kCPU, makeCompute<false>)
    .gradient(inverseOpGradient("_linalg_extracttrian"));

}  // namespace
}  // namespace ist
