// Cholesky-family linalg ops (MXNet's la_op.cc): _linalg_potrf, _linalg_potri, _linalg_trsm,
// _linalg_trmm, _linalg_syrk, _linalg_sumlogdiag (aliases without the underscore), and their
// gradients: compositions of linalg ops where MXNet's formula allows, hidden _backward_ ops for
// potrf and sumlogdiag.
#include <cmath>
#include <cstring>
#include <string>
#include "ops/linalg/la_common.h"

namespace ist {
namespace {

using la::MatView;

// ---- shapes ----

// One square-matrix input, same-shape output (potrf, potri).
void squareShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  la::checkMatrices(la::opName(attrs), "A", in[0], true);
  out[0] = in[0];
}

// MXNet's LaTriangMatrixMultOpShape: A square (..., n, n), B (..., n, m) or with rightside
// (..., m, n); the output has B's shape.
void triangShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1])) return;
  const char* op = la::opName(attrs);
  const auto& p = attrs.get<la::TriangParam>();
  const Shape &a = in[0], &b = in[1];
  la::checkMatrices(op, "A", a, true);
  la::checkMatrices(op, "B", b, false);
  la::checkSameBatch(op, "A", a, "B", b);
  const size_t n = a.size();
  const int64_t bDim = p.rightside ? b[n - 1] : b[n - 2];
  IST_CHECK(bDim == a[n - 1], op, "B",
            "incompatible matrix dimensions: A is " << a[n - 2] << " x " << a[n - 1] << " but B has "
                << bDim
                << (p.rightside ? " columns (rightside=True)" : " rows (rightside=False)")
                << "; shapes " << shapeString(a) << " and " << shapeString(b));
  out[0] = b;
}

void syrkShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  la::checkMatrices(la::opName(attrs), "A", in[0], false);
  const size_t n = in[0].size();
  const int64_t m = attrs.get<la::SyrkParam>().transpose ? in[0][n - 1] : in[0][n - 2];
  Shape o(in[0].begin(), in[0].end() - 2);
  o.push_back(m);
  o.push_back(m);
  out[0] = o;
}

// The batch dims, or (1,) for a single matrix (MXNet's LaReduceShape<2>).
Shape reducedShape(const Shape& s) {
  if (s.size() == 2) return Shape{1};
  return Shape(s.begin(), s.end() - 2);
}

void sumlogdiagShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  la::checkMatrices(la::opName(attrs), "A", in[0], true);
  out[0] = reducedShape(in[0]);
}

// Backward ops (out_grad, forward tensor) -> gradient of the forward tensor's shape; out_grad has
// that shape (potrf) or one value per matrix (sumlogdiag).
template <bool kReduced>
void backwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1])) return;
  const char* op = la::opName(attrs);
  const std::string& arg = attrs.op->inputNames[1];
  la::checkMatrices(op, arg.c_str(), in[1], true);
  const Shape want = kReduced ? reducedShape(in[1]) : in[1];
  IST_CHECK(in[0] == want, op, "out_grad",
            "has shape " << shapeString(in[0]) << " but " << arg << " of shape "
                         << shapeString(in[1]) << " needs " << shapeString(want));
  out[0] = in[1];
}

// ---- helpers ----

template <typename T>
void copyIfDistinct(T* dst, const T* src, int64_t n) {
  if (dst != src && n > 0) std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(T));
}

// Zeroes the strict upper (keepLower) or strict lower triangle.
template <typename T>
void zeroOtherTriangle(const MatView<T>& A, bool keepLower) {
  for (int64_t i = 0; i < A.rows; ++i)
    for (int64_t j = 0; j < A.cols; ++j)
      if (keepLower ? j > i : j < i) A(i, j) = T(0);
}

// Mirrors the lower triangle into the upper one (fromLower) or the reverse.
template <typename T>
void symmetrize(const MatView<T>& A, bool fromLower) {
  for (int64_t i = 0; i < A.rows; ++i)
    for (int64_t j = 0; j < i; ++j) {
      if (fromLower) A(j, i) = A(i, j);
      else A(i, j) = A(j, i);
    }
}

// ---- potrf ----

void potrfCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const bool lower = attrs.get<la::CholeskyParam>().lower;
  const Shape& s = in[0].shape;
  const int64_t n = s.back(), batch = la::batchOf(s);
  IST_LA_SWITCH(in[0].dtype, T, op, {
    la::writeResult<T>(out[0], req[0], [&](T* o) {
      copyIfDistinct(o, in[0].data<T>(), in[0].size());
      const la::BatchFailure f = la::forEachMatrix(batch, la::cube(n) / 3, [&](int64_t b, bool par) {
        const MatView<T> m = la::dense(o + b * n * n, n, n);
        const int64_t info = la::potrf(m, lower, par);
        if (info == 0) zeroOtherTriangle(m, lower);
        return info;
      });
      la::checkPositiveDefinite(op, s, f);
    });
  });
}

// dA = 0.5 * L^-T * copyLTU(L^T * dL) * L^-1 (MXNet's potrf_backward; transposed for upper).
void potrfBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const bool lower = attrs.get<la::CholeskyParam>().lower;
  const Shape& s = in[1].shape;
  const int64_t n = s.back(), batch = la::batchOf(s);
  IST_LA_SWITCH(in[1].dtype, T, op, {
    la::writeResult<T>(out[0], req[0], [&](T* o) {
      copyIfDistinct(o, in[0].data<T>(), in[0].size());
      T* Lp = in[1].data<T>();
      la::forEachMatrix(batch, 3 * la::cube(n), [&](int64_t b, bool par) -> int64_t {
        const MatView<T> L = la::dense(Lp + b * n * n, n, n);
        const MatView<T> d = la::dense(o + b * n * n, n, n);
        la::trmm(L, lower, true, !lower, d, T(1), par);
        symmetrize(d, lower);
        la::trsm(L, lower, lower, false, false, d, T(1), par);
        la::trsm(L, lower, !lower, true, false, d, T(0.5), par);
        return 0;
      });
    });
  });
}

std::vector<NodeEntry> potrfGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  return {makeEntry("_backward_linalg_potrf", {og[0], NodeEntry{n, 0}}, n->attrs.dict)};
}

// ---- potri ----

void potriCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const bool lower = attrs.get<la::CholeskyParam>().lower;
  const Shape& s = in[0].shape;
  const int64_t n = s.back(), batch = la::batchOf(s);
  IST_LA_SWITCH(in[0].dtype, T, op, {
    const T* src = in[0].data<T>();
    la::writeResult<T>(out[0], req[0], [&](T* o) {
      const la::BatchFailure f = la::forEachMatrix(batch, la::cube(n), [&](int64_t b, bool par) -> int64_t {
        const MatView<T> F = la::dense(const_cast<T*>(src) + b * n * n, n, n);
        for (int64_t j = 0; j < n; ++j)
          if (F(j, j) == T(0)) return j + 1;
        // W = F^-1 (triangular), then out = W^T W (lower: (L L^T)^-1) or W W^T (upper).
        std::vector<T> w(static_cast<size_t>(n * n), T(0));
        const MatView<T> W = la::dense(w.data(), n, n);
        for (int64_t j = 0; j < n; ++j) W(j, j) = T(1);
        la::trsm(F, lower, false, false, false, W, T(1), par);
        const MatView<T> O = la::dense(o + b * n * n, n, n);
        if (lower) la::gemmView(W.trans(), W, O, T(1), T(0), par);
        else la::gemmView(W, W.trans(), O, T(1), T(0), par);
        symmetrize(O, true);
        return 0;
      });
      la::checkTriangularFactor(op, s, f);
    });
  });
}

// A = potri(B): dB = -tril(A (dA + dA^T) B^-T) (lower; MXNet's potri_backward), composed of
// gemm, gemm2, trsm and the triangle mask.
std::vector<NodeEntry> potriGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  const bool lower = n->attrs.get<la::CholeskyParam>().lower;
  const NodeEntry A{n, 0}, B = n->inputs[0];
  NodeEntry x;
  if (lower) {
    NodeEntry aGt = makeEntry("_linalg_gemm2", {A, og[0]}, AttrDict{{"transpose_b", "True"}});
    x = makeEntry("_linalg_gemm", {A, og[0], aGt});
  } else {
    NodeEntry gtA = makeEntry("_linalg_gemm2", {og[0], A}, AttrDict{{"transpose_a", "True"}});
    x = makeEntry("_linalg_gemm", {og[0], A, gtA});
  }
  NodeEntry y = makeEntry("_linalg_trsm", {B, x},
                          AttrDict{{"transpose", "True"}, {"rightside", la::boolAttr(lower)},
                                   {"lower", la::boolAttr(lower)}, {"alpha", "-1"}});
  return {la::triangleOf(y, lower)};
}

// ---- trsm / trmm ----

template <bool kSolve>
void triangCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const auto& p = attrs.get<la::TriangParam>();
  const Shape &sa = in[0].shape, &sb = in[1].shape;
  const int64_t n = sa.back(), r = sb[sb.size() - 2], c = sb.back(), batch = la::batchOf(sa);
  IST_LA_SWITCH(in[0].dtype, T, op, {
    T* a = in[0].data<T>();
    la::writeResult<T>(out[0], req[0], [&](T* o) {
      copyIfDistinct(o, in[1].data<T>(), in[1].size());
      la::forEachMatrix(batch, n * r * c, [&](int64_t b, bool par) -> int64_t {
        const MatView<T> A = la::dense(a + b * n * n, n, n);
        const MatView<T> B = la::dense(o + b * r * c, r, c);
        if (kSolve) la::trsm(A, p.lower, p.transpose, p.rightside, false, B, T(p.alpha), par);
        else la::trmm(A, p.lower, p.transpose, p.rightside, B, T(p.alpha), par);
        return 0;
      });
    });
  });
}

AttrDict gemm2Attrs(bool ta, bool tb, double alpha) {
  return AttrDict{{"transpose_a", la::boolAttr(ta)}, {"transpose_b", la::boolAttr(tb)},
                  {"alpha", la::numAttr(alpha)}};
}

// C = alpha op(A)^-1 B (MXNet's trsm_backward): dB = trsm(A, dC) with op transposed, and
// dA = -(1/alpha) * (dB C^T or C^T dB, per side and transpose), masked to A's triangle.
std::vector<NodeEntry> trsmGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  const auto& p = n->attrs.get<la::TriangParam>();
  AttrDict d = n->attrs.dict;
  d["transpose"] = la::boolAttr(!p.transpose);
  NodeEntry dB = makeEntry("_linalg_trsm", {n->inputs[0], og[0]}, d);
  const NodeEntry C{n, 0};
  const double scale = -1.0 / p.alpha;
  const bool daLeft = p.rightside == p.transpose;
  NodeEntry g = daLeft
      ? makeEntry("_linalg_gemm2", {dB, C}, gemm2Attrs(p.transpose, !p.transpose, scale))
      : makeEntry("_linalg_gemm2", {C, dB}, gemm2Attrs(!p.transpose, p.transpose, scale));
  return {la::triangleOf(g, p.lower), dB};
}

// C = alpha op(A) B (MXNet's trmm_backward): dA = alpha * (dC B^T or B^T dC ...) masked to A's
// triangle, dB = trmm(A, dC) with op transposed.
std::vector<NodeEntry> trmmGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  const auto& p = n->attrs.get<la::TriangParam>();
  const NodeEntry& B = n->inputs[1];
  NodeEntry g = p.rightside == p.transpose
      ? makeEntry("_linalg_gemm2", {og[0], B}, gemm2Attrs(p.transpose, !p.transpose, p.alpha))
      : makeEntry("_linalg_gemm2", {B, og[0]}, gemm2Attrs(!p.transpose, p.transpose, p.alpha));
  AttrDict d = n->attrs.dict;
  d["transpose"] = la::boolAttr(!p.transpose);
  return {la::triangleOf(g, p.lower), makeEntry("_linalg_trmm", {n->inputs[0], og[0]}, d)};
}

// ---- syrk ----

void syrkCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const auto& p = attrs.get<la::SyrkParam>();
  const Shape& s = in[0].shape;
  const int64_t r = s[s.size() - 2], c = s.back(), batch = la::batchOf(s);
  const int64_t m = p.transpose ? c : r;
  IST_LA_SWITCH(in[0].dtype, T, op, {
    T* a = in[0].data<T>();
    la::writeResult<T>(out[0], req[0], [&](T* o) {
      la::forEachMatrix(batch, 2 * r * c * m, [&](int64_t b, bool par) -> int64_t {
        const MatView<T> A = la::dense(a + b * r * c, r, c);
        const MatView<T> O = la::dense(o + b * m * m, m, m);
        if (p.transpose) la::gemmView(A.trans(), A, O, T(p.alpha), T(0), par);
        else la::gemmView(A, A.trans(), O, T(p.alpha), T(0), par);
        symmetrize(O, true);  // exactly symmetric, as MXNet's copy of the lower triangle
        return 0;
      });
    });
  });
}

// B = alpha A A^T: dA = alpha (dB + dB^T) A; with transpose, alpha A (dB + dB^T).
std::vector<NodeEntry> syrkGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  const auto& p = n->attrs.get<la::SyrkParam>();
  const NodeEntry& A = n->inputs[0];
  const std::string alpha = la::numAttr(p.alpha);
  if (!p.transpose) {
    NodeEntry t = makeEntry("_linalg_gemm2", {og[0], A}, gemm2Attrs(true, false, p.alpha));
    return {makeEntry("_linalg_gemm", {og[0], A, t}, AttrDict{{"alpha", alpha}})};
  }
  NodeEntry t = makeEntry("_linalg_gemm2", {A, og[0]}, gemm2Attrs(false, true, p.alpha));
  return {makeEntry("_linalg_gemm", {A, og[0], t}, AttrDict{{"alpha", alpha}})};
}

// ---- sumlogdiag ----

void sumlogdiagCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const Shape& s = in[0].shape;
  const int64_t n = s.back(), batch = la::batchOf(s);
  IST_LA_SWITCH(in[0].dtype, T, op, {
    const T* a = in[0].data<T>();
    la::writeResult<T>(out[0], req[0], [&](T* o) {
      for (int64_t b = 0; b < batch; ++b) {
        T sum(0);
        for (int64_t j = 0; j < n; ++j) sum += std::log(a[b * n * n + j * (n + 1)]);
        o[b] = sum;
      }
    });
  });
}

// dA = diag(dB / A_ii).
void sumlogdiagBackwardCompute(const NodeAttrs& attrs, const OpContext&,
                               const std::vector<TBlob>& in, const std::vector<OpReq>& req,
                               const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const Shape& s = in[1].shape;
  const int64_t n = s.back(), batch = la::batchOf(s);
  IST_LA_SWITCH(in[1].dtype, T, op, {
    const T* g = in[0].data<T>();
    const T* a = in[1].data<T>();
    la::writeResult<T>(out[0], req[0], [&](T* o) {
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < n; ++j) {
            const int64_t k = b * n * n + i * n + j;
            o[k] = i == j ? g[b] / a[k] : T(0);
          }
    });
  });
}

std::vector<NodeEntry> sumlogdiagGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  return {makeEntry("_backward_linalg_sumlogdiag", {og[0], n->inputs[0]})};
}

// ---- registrations ----

IST_REGISTER_OP(_linalg_potrf)
    .alias("linalg_potrf")
    .describe(
        "Performs Cholesky factorization of a symmetric positive-definite matrix: A = B B^T with B "
        "lower triangular (lower=True, reading A's lower triangle) or A = B^T B with B upper "
        "triangular (lower=False). The other triangle of B is zero. Batched over the leading "
        "axes. A matrix that is not positive definite raises an error. float32 and float64 only.")
    .inputs({"A"})
    .params<la::CholeskyParam>()
    .inferShape(squareShape)
    .inferType(la::floatType)
    .compute(Context::kCPU, potrfCompute)
    .gradient(potrfGradient);

IST_REGISTER_OP(_backward_linalg_potrf)
    .describe("Gradient of _linalg_potrf: (out_grad, B) -> A's gradient (symmetric).")
    .inputs({"out_grad", "B"})
    .params<la::CholeskyParam>()
    .inferShape(backwardShape<false>)
    .inferType(la::floatType)
    .compute(Context::kCPU, potrfBackwardCompute);

IST_REGISTER_OP(_linalg_potri)
    .alias("linalg_potri")
    .describe(
        "Performs matrix inversion from a Cholesky factorization: for the triangular factor A "
        "(only its lower, or with lower=False upper, triangle read), out = A^-T A^-1 (lower) or "
        "A^-1 A^-T (upper), i.e. the inverse of the matrix A was the Cholesky factor of. Batched "
        "over the leading axes. float32 and float64 only.")
    .inputs({"A"})
    .params<la::CholeskyParam>()
    .inferShape(squareShape)
    .inferType(la::floatType)
    .compute(Context::kCPU, potriCompute)
    .gradient(potriGradient);

IST_REGISTER_OP(_linalg_trsm)
    .alias("linalg_trsm")
    .describe(
        "Solves a matrix equation with a triangular matrix: out = alpha * op(A)^-1 * B "
        "(rightside=False) or alpha * B * op(A)^-1 (rightside=True), op() the identity or the "
        "transpose. Only A's lower (or upper) triangle is read. Batched over the leading axes. "
        "float32 and float64 only.")
    .inputs({"A", "B"})
    .params<la::TriangParam>()
    .inferShape(triangShape)
    .inferType(la::floatType)
    .compute(Context::kCPU, triangCompute<true>)
    .gradient(trsmGradient);

IST_REGISTER_OP(_linalg_trmm)
    .alias("linalg_trmm")
    .describe(
        "Performs multiplication with a triangular matrix: out = alpha * op(A) * B "
        "(rightside=False) or alpha * B * op(A) (rightside=True), op() the identity or the "
        "transpose. Only A's lower (or upper) triangle is read. Batched over the leading axes. "
        "float32 and float64 only.")
    .inputs({"A", "B"})
    .params<la::TriangParam>()
    .inferShape(triangShape)
    .inferType(la::floatType)
    .compute(Context::kCPU, triangCompute<false>)
    .gradient(trmmGradient);

IST_REGISTER_OP(_linalg_syrk)
    .alias("linalg_syrk")
    .describe(
        "Multiplication of a matrix with its transpose: out = alpha * A * A^T, or alpha * A^T * A "
        "with transpose=True. Batched over the leading axes. float32 and float64 only.")
    .inputs({"A"})
    .params<la::SyrkParam>()
    .inferShape(syrkShape)
    .inferType(la::floatType)
    .compute(Context::kCPU, syrkCompute)
    .gradient(syrkGradient);

IST_REGISTER_OP(_linalg_sumlogdiag)
    .alias("linalg_sumlogdiag")
    .describe(
        "Computes the sum of the logarithms of the diagonal elements of a square matrix; shape "
        "(1,) for one matrix, the batch shape for a batch. float32 and float64 only.")
    .inputs({"A"})
    .inferShape(sumlogdiagShape)
    .inferType(la::floatType)
    .compute(Context::kCPU, sumlogdiagCompute)
    .gradient(sumlogdiagGradient);

IST_REGISTER_OP(_backward_linalg_sumlogdiag)
    .describe("Gradient of _linalg_sumlogdiag: (out_grad, A) -> diag(out_grad / diag(A)).")
    .inputs({"out_grad", "A"})
    .inferShape(backwardShape<true>)
    .inferType(la::floatType)
    .compute(Context::kCPU, sumlogdiagBackwardCompute);

}  // namespace
}  // namespace ist
