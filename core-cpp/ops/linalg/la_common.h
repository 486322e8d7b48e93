// Shared pieces of the linalg ops: MXNet 1.9's parameter structs (la_op.h), rank/square checks,
// float32/float64 type inference, req handling and gradient-graph helpers.
#pragma once
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>
#include "base/error.h"
#include "graph/node.h"
#include "op/registry.h"
#include "ops/linalg/la_kernels.h"

// Binds T to float or double (the only dtypes the linalg ops take; type inference rejects others).
#define IST_LA_SWITCH(dtype, T, op, ...)                          \
  switch (dtype) {                                                \
    IST_TYPE_SWITCH_CASE(kFloat32, float, T, __VA_ARGS__)         \
    IST_TYPE_SWITCH_CASE(kFloat64, double, T, __VA_ARGS__)        \
    default: ::ist::throwUnsupportedDType(dtype, op);             \
  }

namespace ist {
namespace la {

// ---- parameters (names, defaults and docs as in MXNet's la_op.h) ----

struct GemmParam {  // LaMatrixMacParam
  bool transpose_a = false, transpose_b = false;
  double alpha = 1.0, beta = 1.0;
  int axis = -2;
  static void declare(ParamDecl<GemmParam>& d) {
    d.field("transpose_a", &GemmParam::transpose_a).setDefault(false)
        .doc("Multiply with transposed of first input (A).");
    d.field("transpose_b", &GemmParam::transpose_b).setDefault(false)
        .doc("Multiply with transposed of second input (B).");
    d.field("alpha", &GemmParam::alpha).setDefault(1.0).doc("Scalar factor multiplied with A*B.");
    d.field("beta", &GemmParam::beta).setDefault(1.0).doc("Scalar factor multiplied with C.");
    d.field("axis", &GemmParam::axis).setDefault(-2).doc("Axis corresponding to the matrix rows.");
  }
};

struct Gemm2Param {  // LaMatrixMultParam
  bool transpose_a = false, transpose_b = false;
  double alpha = 1.0;
  int axis = -2;
  static void declare(ParamDecl<Gemm2Param>& d) {
    d.field("transpose_a", &Gemm2Param::transpose_a).setDefault(false)
        .doc("Multiply with transposed of first input (A).");
    d.field("transpose_b", &Gemm2Param::transpose_b).setDefault(false)
        .doc("Multiply with transposed of second input (B).");
    d.field("alpha", &Gemm2Param::alpha).setDefault(1.0).doc("Scalar factor multiplied with A*B.");
    d.field("axis", &Gemm2Param::axis).setDefault(-2)
        .doc("Axis corresponding to the matrix row indices.");
  }
};

struct CholeskyParam {  // LaCholeskyParam
  bool lower = true;
  static void declare(ParamDecl<CholeskyParam>& d) {
    d.field("lower", &CholeskyParam::lower).setDefault(true)
        .doc("True if the triangular matrix is lower triangular, false if it is upper triangular.");
  }
};

struct TriangParam {  // LaTriangMatrixMultParam
  bool transpose = false, rightside = false, lower = true;
  double alpha = 1.0;
  static void declare(ParamDecl<TriangParam>& d) {
    d.field("transpose", &TriangParam::transpose).setDefault(false)
        .doc("Use transposed of the triangular matrix");
    d.field("rightside", &TriangParam::rightside).setDefault(false)
        .doc("Multiply triangular matrix from the right to non-triangular one.");
    d.field("lower", &TriangParam::lower).setDefault(true)
        .doc("True if the triangular matrix is lower triangular, false if it is upper triangular.");
    d.field("alpha", &TriangParam::alpha).setDefault(1.0)
        .doc("Scalar factor to be applied to the result.");
  }
};

struct SyrkParam {  // LaSyrkParam
  bool transpose = false;
  double alpha = 1.0;
  static void declare(ParamDecl<SyrkParam>& d) {
    d.field("transpose", &SyrkParam::transpose).setDefault(false)
        .doc("Use transpose of input matrix.");
    d.field("alpha", &SyrkParam::alpha).setDefault(1.0)
        .doc("Scalar factor to be applied to the result.");
  }
};

struct DiagParam {  // LaDiagParam
  int offset = 0;
  static void declare(ParamDecl<DiagParam>& d) {
    d.field("offset", &DiagParam::offset).setDefault(0)
        .doc("Offset of the diagonal versus the main diagonal. 0 corresponds to the main diagonal, "
             "a negative/positive value to diagonals below/above the main diagonal.");
  }
};

struct TrianParam {  // LaTrianParam
  int offset = 0;
  bool lower = true;
  static void declare(ParamDecl<TrianParam>& d) {
    d.field("offset", &TrianParam::offset).setDefault(0)
        .doc("Offset of the diagonal versus the main diagonal. 0 corresponds to the main diagonal, "
             "a negative/positive value to diagonals below/above the main diagonal.");
    d.field("lower", &TrianParam::lower).setDefault(true)
        .doc("Refer to the lower triangular matrix if lower=true, refer to the upper otherwise. "
             "Only relevant when offset=0");
  }
};

// ---- checks ----

inline const char* opName(const NodeAttrs& attrs) {
  return attrs.op ? attrs.op->name.c_str() : "linalg";
}

// `s` is a tensor of matrices (rank >= 2), square when `square`.
inline void checkMatrices(const char* op, const char* arg, const Shape& s, bool square) {
  IST_CHECK(s.size() >= 2, op, arg,
            "expects a tensor of matrices (rank >= 2, the last two axes being the matrix), got shape "
                << shapeString(s));
  if (square)
    IST_CHECK(s[s.size() - 1] == s[s.size() - 2], op, arg,
              "expects square matrices (the last two dimensions equal), got shape " << shapeString(s));
}

// Leading (batch) dims of a and b agree: same rank, same dims before the last two.
inline void checkSameBatch(const char* op, const char* argA, const Shape& a, const char* argB,
                           const Shape& b) {
  IST_CHECK(a.size() == b.size(), op, argB,
            argA << " and " << argB << " must have the same rank, got shapes " << shapeString(a)
                 << " and " << shapeString(b));
  for (size_t i = 0; i + 2 < a.size(); ++i)
    IST_CHECK(a[i] == b[i], op, argB,
              "leading (batch) dimensions of " << argA << " and " << argB << " differ: shapes "
                                               << shapeString(a) << " and " << shapeString(b));
}

inline int64_t batchOf(const Shape& s, size_t matrixDims = 2) {
  int64_t n = 1;
  for (size_t i = 0; i + matrixDims < s.size(); ++i) n *= s[i];
  return n;
}

// All inputs share one dtype, float32 or float64 (MXNet's linalg supports no other); every
// output takes it.
inline void floatType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const char* op = opName(attrs);
  const std::vector<std::string>* names = attrs.op ? &attrs.op->inputNames : nullptr;
  auto argName = [&](size_t i) -> std::string {
    if (names && i < names->size()) return (*names)[i];
    if (attrs.op && !attrs.op->variadicInput.empty()) return attrs.op->variadicInput;
    return "input " + std::to_string(i);
  };
  int t = -1;
  size_t first = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] < 0) continue;
    if (t < 0) { t = in[i]; first = i; continue; }
    IST_CHECK(in[i] == t, op, argName(i),
              "dtypes differ: " << argName(first) << " is " << dtypeName(DType(t)) << ", "
                                << argName(i) << " is " << dtypeName(DType(in[i])));
  }
  if (t < 0)
    for (int o : out) if (o >= 0) { t = o; break; }
  if (t < 0) return;
  IST_CHECK(DType(t) == DType::kFloat32 || DType(t) == DType::kFloat64, op, argName(first),
            "supports float32 and float64 only, got " << dtypeName(DType(t)));
  for (auto& x : in) x = t;
  for (auto& x : out) x = t;
}

// Runs fn(T* dst) writing a full result, honouring req (kAddTo: into a temporary, then added).
template <typename T, typename Fn>
void writeResult(const TBlob& out, OpReq req, Fn&& fn) {
  if (req == OpReq::kNull) return;
  if (req != OpReq::kAddTo) {
    fn(out.data<T>());
    return;
  }
  const int64_t n = out.size();
  std::vector<T> tmp(static_cast<size_t>(n));
  fn(tmp.data());
  T* o = out.data<T>();
  for (int64_t i = 0; i < n; ++i) o[i] += tmp[i];
}

// How error messages name batch item `b` of an input of shape `s`.
inline std::string batchItem(const Shape& s, int64_t b) {
  return s.size() > 2 ? "matrix " + std::to_string(b) + " of the batch" : "the matrix";
}

// ---- the factorisations' failures (f.index: the first failing matrix, -1 for none; f.code:
// LAPACK's info), raised alike by the CPU kernels and the device ones ----

inline void checkPositiveDefinite(const char* op, const Shape& s, const BatchFailure& f) {
  IST_CHECK(f.index < 0, op, "A",
            batchItem(s, f.index) << " is not symmetric positive definite: the leading minor of order " << f.code
                                  << " is not positive (input shape " << shapeString(s) << ")");
}
inline void checkTriangularFactor(const char* op, const Shape& s, const BatchFailure& f) {
  IST_CHECK(f.index < 0, op, "A",
            "the triangular factor in " << batchItem(s, f.index) << " is singular: diagonal entry " << (f.code - 1)
                                        << " is zero (input shape " << shapeString(s) << ")");
}
inline void checkNonsingularLU(const char* op, const Shape& s, const BatchFailure& f) {
  IST_CHECK(f.index < 0, op, "A",
            batchItem(s, f.index) << " is singular (U(" << f.code - 1 << ", " << f.code - 1
                                  << ") of its LU factorization is zero; input shape " << shapeString(s) << ")");
}
inline void checkPivots(const char* op, const Shape& luShape, const BatchFailure& f) {
  IST_CHECK(f.index < 0, op, "pivot",
            "pivots of " << batchItem(luShape, f.index) << " are not 1-based row indices in [1, " << luShape.back()
                         << "] (LU shape " << shapeString(luShape) << ")");
}

// ---- gradient-graph helpers ----

inline std::string boolAttr(bool v) { return v ? "True" : "False"; }
inline std::string numAttr(double v) { return paramparse::formatDouble(v); }

// Keeps the `lower` (or upper) triangle of a batch of square matrices, zeroing the rest, as the
// differentiable composition maketrian(extracttrian(x)).
inline NodeEntry triangleOf(const NodeEntry& x, bool lower) {
  AttrDict d{{"offset", "0"}, {"lower", boolAttr(lower)}};
  return makeEntry("_linalg_maketrian", {makeEntry("_linalg_extracttrian", {x}, d)}, d);
}

}  // namespace la
}  // namespace ist
