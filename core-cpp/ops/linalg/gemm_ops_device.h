// _linalg_gemm / _linalg_gemm2 geometry (shared with gemm_ops.cc) and their device-generic
// computes over DeviceBlas, attached in gemm_ops.cu.
#pragma once
#include <cstdint>
#include <type_traits>
#include <vector>
#include "ops/linalg/la_common.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace gemmdev {

// Where the matrices of an operand live. The columns are the last axis, the rows axis `axis`;
// the axes before `axis` (outer) and between it and the last (inner) index the batch, so matrix
// b = (o, k) starts at o * rows * inner * cols + k * cols, with row stride inner * cols.
struct Layout {
  int64_t outer = 1, inner = 1;
  int64_t batch() const { return outer * inner; }
  int64_t offset(int64_t b, int64_t rows, int64_t cols) const {
    return (b / inner) * rows * inner * cols + (b % inner) * cols;
  }
};

struct GemmGeometry {
  int axis = 0;
  int64_t M = 0, N = 0, K = 0;     // op(A) is M x K, op(B) is K x N
  int64_t rA, cA, rB, cB;          // stored matrix dims
  Layout layout;
  Shape out;
};

// MXNet's LaMatrixMultMacOpShape: A and B of equal rank >= 2, equal on every axis but the row
// axis and the last; op(A) . op(B) must chain.
inline GemmGeometry gemmGeometry(const char* op, const Shape& a, const Shape& b, bool tA, bool tB,
                          int axisParam) {
  la::checkMatrices(op, "A", a, false);
  la::checkMatrices(op, "B", b, false);
  IST_CHECK(a.size() == b.size(), op, "B",
            "A and B must have the same rank, got shapes " << shapeString(a) << " and "
                                                           << shapeString(b));
  const int ndim = static_cast<int>(a.size());
  const int axis = axisParam < 0 ? ndim + axisParam : axisParam;
  IST_CHECK(axis >= 0 && axis < ndim - 1, op, "axis",
            "row axis " << axisParam << " is out of range for inputs of rank " << ndim
                        << " (it must name an axis before the last one); shapes " << shapeString(a)
                        << " and " << shapeString(b));
  GemmGeometry g;
  g.axis = axis;
  for (int i = 0; i < ndim - 1; ++i)
    if (i != axis)
      IST_CHECK(a[i] == b[i], op, "B",
                "shapes " << shapeString(a) << " and " << shapeString(b)
                          << " must be equal except on the row axis " << axis
                          << " and the last axis (they differ on axis " << i << ")");
  g.rA = a[axis]; g.cA = a[ndim - 1];
  g.rB = b[axis]; g.cB = b[ndim - 1];
  g.M = tA ? g.cA : g.rA;
  g.K = tA ? g.rA : g.cA;
  const int64_t kB = tB ? g.cB : g.rB;
  g.N = tB ? g.rB : g.cB;
  IST_CHECK(g.K == kB, op, "B",
            "incompatible matrix dimensions for multiplication: op(A) is " << g.M << " x " << g.K
                << ", op(B) is " << kB << " x " << g.N << " (shapes " << shapeString(a) << " and "
                << shapeString(b) << ", transpose_a=" << la::boolAttr(tA)
                << ", transpose_b=" << la::boolAttr(tB) << ")");
  for (int i = 0; i < axis; ++i) g.layout.outer *= a[i];
  for (int i = axis + 1; i < ndim - 1; ++i) g.layout.inner *= a[i];
  g.out = a;
  g.out[axis] = g.M;
  g.out[ndim - 1] = g.N;
  return g;
}

// out[i] = T(beta) * c[i], or out[i] += T(beta) * c[i].
struct BetaCMap {
  template <typename T> ISTX static void Map(int64_t i, T* out, const T* c, T beta, bool add) {
    const T v = beta * c[i];
    out[i] = add ? T(out[i] + v) : v;
  }
};

template <typename Dev, typename P>
void gemmComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<P>();
  const char* op = la::opName(attrs);
  const GemmGeometry g = gemmGeometry(op, in[0].shape, in[1].shape, p.transpose_a, p.transpose_b, p.axis);
  const TBlob* C = in.size() > 2 ? &in[2] : nullptr;
  double beta = 0.0;
  if constexpr (std::is_same_v<P, la::GemmParam>) beta = p.beta;
  const bool addTo = req[0] == OpReq::kAddTo;
  const DType dt = in[0].dtype;
  if (dt != DType::kFloat32 && dt != DType::kFloat64) throwUnsupportedDType(dt, op);
  double gemmBeta = addTo ? 1.0 : 0.0;
  if (C && beta != 0.0 && out[0].size() > 0) {
    if (dt == DType::kFloat32)
      DeviceKernel<BetaCMap, Dev>::launch(ctx.run.stream, out[0].size(), 1, out[0].data<float>(), C->data<float>(),
                                          float(beta), addTo);
    else
      DeviceKernel<BetaCMap, Dev>::launch(ctx.run.stream, out[0].size(), 1, out[0].data<double>(),
                                          C->data<double>(), beta, addTo);
    gemmBeta = 1.0;
  }
  const Layout& L = g.layout;
  if (L.batch() == 0 || g.M == 0 || g.N == 0) return;
  const size_t es = dtypeSize(dt);
  // Matrix (o, k) of an operand with `rows` x `cols` stored matrices starts at
  // o * rows * inner * cols + k * cols; its rows are inner * cols apart.
  GemmArgs a;
  a.dtype = dt;
  a.transA = p.transpose_a;
  a.transB = p.transpose_b;
  a.M = g.M; a.N = g.N; a.K = g.K;
  a.alpha = p.alpha;
  a.beta = gemmBeta;
  a.lda = L.inner * g.cA;
  a.ldb = L.inner * g.cB;
  a.ldc = L.inner * g.N;
  const char* A0 = static_cast<const char*>(in[0].dptr);
  const char* B0 = static_cast<const char*>(in[1].dptr);
  char* C0 = static_cast<char*>(out[0].dptr);
  if (L.inner == 1 || L.outer <= L.inner) {
    // One batched call per outer index, over the inner matrices (cols apart).
    a.batch = L.inner;
    a.strideA = g.cA; a.strideB = g.cB; a.strideC = g.N;
    if (L.inner == 1) {  // plain batch of contiguous matrices
      a.batch = L.outer;
      a.strideA = g.rA * g.cA; a.strideB = g.rB * g.cB; a.strideC = g.M * g.N;
      a.A = A0; a.B = B0; a.C = C0;
      dnd::gemmDev<Dev>(ctx, a, op);
      return;
    }
    for (int64_t o = 0; o < L.outer; ++o) {
      a.A = A0 + static_cast<size_t>(o * g.rA * L.inner * g.cA) * es;
      a.B = B0 + static_cast<size_t>(o * g.rB * L.inner * g.cB) * es;
      a.C = C0 + static_cast<size_t>(o * g.M * L.inner * g.N) * es;
      dnd::gemmDev<Dev>(ctx, a, op);
    }
  } else {
    // One batched call per inner index, over the outer matrices (rows * inner * cols apart).
    a.batch = L.outer;
    a.strideA = g.rA * L.inner * g.cA; a.strideB = g.rB * L.inner * g.cB; a.strideC = g.M * L.inner * g.N;
    for (int64_t k = 0; k < L.inner; ++k) {
      a.A = A0 + static_cast<size_t>(k * g.cA) * es;
      a.B = B0 + static_cast<size_t>(k * g.cB) * es;
      a.C = C0 + static_cast<size_t>(k * g.N) * es;
      dnd::gemmDev<Dev>(ctx, a, op);
    }
  }
}

}  // namespace gemmdev
}  // namespace ist
