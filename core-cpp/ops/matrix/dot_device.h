// dot / batch_dot parameters and geometry (shared with dot.cc) and their device-generic computes
// (dot, batch_dot, _backward_dot, _backward_batch_dot) over DeviceBlas, attached in dot.cu.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace dotdev {

struct DotParam {
  bool transpose_a = false;
  bool transpose_b = false;
  std::string forward_stype;
  static void declare(ParamDecl<DotParam>& d) {
    d.field("transpose_a", &DotParam::transpose_a)
        .setDefault(false)
        .doc("If true then transpose the first input before dot.");
    d.field("transpose_b", &DotParam::transpose_b)
        .setDefault(false)
        .doc("If true then transpose the second input before dot.");
    d.field("forward_stype", &DotParam::forward_stype)
        .setDefault("None")
        .values({"None", "default", "csr", "row_sparse"})
        .doc("Storage type of the output (accepted for MXNet compatibility; outputs are dense).");
  }
};

// How dot views its inputs: op(lhs) is M x K and op(rhs) is K x N, both stored row-major.
struct DotGeometry {
  int64_t M, N, K;
  bool vectorDot;  // 1-D . 1-D
};

// MXNet's rule: without transpose, lhs (a..., k) and rhs (k, b...) give (a..., b...); transpose_a
// contracts lhs's first axis instead of its last, transpose_b rhs's last instead of its first.
inline DotGeometry dotGeometry(const Shape& l, const Shape& r, const DotParam& p, Shape* out) {
  const char* op = "dot";
  IST_CHECK(!l.empty(), op, "lhs", "dot does not take 0-d arrays (lhs shape " << shapeString(l) << ")");
  IST_CHECK(!r.empty(), op, "rhs", "dot does not take 0-d arrays (rhs shape " << shapeString(r) << ")");
  DotGeometry g{};
  if (l.size() == 1 && r.size() == 1) {
    IST_CHECK(!p.transpose_a && !p.transpose_b, op, p.transpose_a ? "transpose_a" : "transpose_b",
              "cannot transpose 1-D vectors (shapes " << shapeString(l) << " and " << shapeString(r)
                                                       << ")");
    IST_CHECK(l[0] == r[0], op, "rhs",
              "shapes " << shapeString(l) << " and " << shapeString(r) << " are not aligned: "
                        << l[0] << " (lhs) != " << r[0] << " (rhs)");
    g = {1, 1, l[0], true};
    if (out) *out = Shape{1};
    return g;
  }
  auto prod = [](const Shape& s, size_t b, size_t e) {
    int64_t n = 1;
    for (size_t i = b; i < e; ++i) n *= s[i];
    return n;
  };
  // lhs and rhs as matrices (rows x cols of storage), products taken dim by dim so that empty
  // arrays keep their other extents.
  const int64_t lCols = p.transpose_a ? prod(l, 1, l.size()) : l.back();
  const int64_t lRows = p.transpose_a ? l[0] : prod(l, 0, l.size() - 1);
  const int64_t rCols = p.transpose_b ? r.back() : prod(r, 1, r.size());
  const int64_t rRows = p.transpose_b ? prod(r, 0, r.size() - 1) : r[0];
  const int64_t lK = p.transpose_a ? l[0] : l.back();
  const int64_t rK = p.transpose_b ? r.back() : r[0];
  IST_CHECK(lK == rK, op, "rhs",
            "shapes " << shapeString(l) << " and " << shapeString(r) << " are not aligned for "
                      << "transpose_a=" << (p.transpose_a ? "True" : "False")
                      << ", transpose_b=" << (p.transpose_b ? "True" : "False") << ": lhs contracts "
                      << lK << " elements, rhs " << rK);
  g.K = lK;
  g.M = p.transpose_a ? lCols : lRows;
  g.N = p.transpose_b ? rRows : rCols;
  g.vectorDot = false;
  if (out) {
    Shape o;
    if (l.size() > 1) {
      if (p.transpose_a) o.insert(o.end(), l.begin() + 1, l.end());
      else o.insert(o.end(), l.begin(), l.end() - 1);
    }
    if (r.size() > 1) {
      if (p.transpose_b) o.insert(o.end(), r.begin(), r.end() - 1);
      else o.insert(o.end(), r.begin() + 1, r.end());
    }
    *out = o;
  }
  return g;
}

// batch_dot: lhs (B..., M, K) and rhs (B..., K, N), last two axes swapped by the transposes.
struct BatchGeometry {
  int64_t batch, M, N, K;
};

inline BatchGeometry batchGeometry(const Shape& l, const Shape& r, const DotParam& p, Shape* out) {
  const char* op = "batch_dot";
  IST_CHECK(l.size() >= 3, op, "lhs",
            "needs arrays of 3 or more dims, got lhs shape " << shapeString(l) << " and rhs shape "
                                                             << shapeString(r));
  IST_CHECK(r.size() == l.size(), op, "rhs",
            "lhs and rhs must have the same number of dims, got " << shapeString(l) << " and "
                                                                  << shapeString(r));
  const size_t n = l.size();
  int64_t batch = 1;
  for (size_t i = 0; i + 2 < n; ++i) {
    IST_CHECK(l[i] == r[i], op, "rhs",
              "batch dims differ: shapes " << shapeString(l) << " and " << shapeString(r));
    batch *= l[i];
  }
  const int64_t M = p.transpose_a ? l[n - 1] : l[n - 2], lK = p.transpose_a ? l[n - 2] : l[n - 1];
  const int64_t N = p.transpose_b ? r[n - 2] : r[n - 1], rK = p.transpose_b ? r[n - 1] : r[n - 2];
  IST_CHECK(lK == rK, op, "rhs",
            "shapes " << shapeString(l) << " and " << shapeString(r) << " are not aligned for "
                      << "transpose_a=" << (p.transpose_a ? "True" : "False")
                      << ", transpose_b=" << (p.transpose_b ? "True" : "False") << ": lhs contracts "
                      << lK << " elements, rhs " << rK);
  if (out) {
    Shape o(l.begin(), l.end() - 2);
    o.push_back(M);
    o.push_back(N);
    *out = o;
  }
  return {batch, M, N, lK};
}

template <typename Dev>
void dotForwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<DotParam>();
  const DotGeometry g = dotGeometry(in[0].shape, in[1].shape, p, nullptr);
  GemmArgs a;
  a.dtype = in[0].dtype;
  a.beta = req[0] == OpReq::kAddTo ? 1.0 : 0.0;
  a.A = in[0].dptr;
  a.B = in[1].dptr;
  a.C = out[0].dptr;
  if (g.vectorDot) {
    a.M = 1; a.N = 1; a.K = g.K;
    a.lda = g.K; a.ldb = 1; a.ldc = 1;
  } else {
    a.transA = p.transpose_a;
    a.transB = p.transpose_b;
    a.M = g.M; a.N = g.N; a.K = g.K;
    a.lda = p.transpose_a ? g.M : g.K;
    a.ldb = p.transpose_b ? g.K : g.N;
    a.ldc = g.N;
  }
  dnd::gemmDev<Dev>(ctx, a, "dot");
}

template <typename Dev>
void batchDotForwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<DotParam>();
  const BatchGeometry g = batchGeometry(in[0].shape, in[1].shape, p, nullptr);
  GemmArgs a;
  a.dtype = in[0].dtype;
  a.transA = p.transpose_a;
  a.transB = p.transpose_b;
  a.M = g.M; a.N = g.N; a.K = g.K;
  a.beta = req[0] == OpReq::kAddTo ? 1.0 : 0.0;
  a.A = in[0].dptr; a.lda = p.transpose_a ? g.M : g.K; a.strideA = g.M * g.K;
  a.B = in[1].dptr; a.ldb = p.transpose_b ? g.K : g.N; a.strideB = g.K * g.N;
  a.C = out[0].dptr; a.ldc = g.N; a.strideC = g.M * g.N;
  a.batch = g.batch;
  dnd::gemmDev<Dev>(ctx, a, "batch_dot");
}

// The two adjoint GEMMs of one (batched) product op(A) . op(B) = og, on the stored layouts, shared
// by dot.cc and the device twins: each is run(tx, ty, m, n, k, X, ldx, sx, Y, ldy, sy, Z, ldz, sz, req)
// (Z = op(X) . op(Y), strides sx/sy/sz between batch items).
template <typename Run>
void dotBackwardPlan(const DotParam& p, int64_t M, int64_t N, int64_t K, const void* og, const void* A,
                     const void* B, void* dA, void* dB, OpReq reqA, OpReq reqB, const Run& run) {
  const bool ta = p.transpose_a, tb = p.transpose_b;
  // Stored A is (ta ? K x M : M x K), stored B is (tb ? N x K : K x N), og is M x N.
  const int64_t lda = ta ? M : K, ldb = tb ? K : N, ldo = N;
  const int64_t sA = M * K, sB = K * N, sO = M * N;
  if (!ta) {
    // dA (M x K) = og . op(B)^T
    if (!tb) run(false, true, M, K, N, og, ldo, sO, B, ldb, sB, dA, K, sA, reqA);
    else run(false, false, M, K, N, og, ldo, sO, B, ldb, sB, dA, K, sA, reqA);
  } else {
    // dA (K x M) = op(B) . og^T
    if (!tb) run(false, true, K, M, N, B, ldb, sB, og, ldo, sO, dA, M, sA, reqA);
    else run(true, true, K, M, N, B, ldb, sB, og, ldo, sO, dA, M, sA, reqA);
  }
  if (!tb) {
    // dB (K x N) = op(A)^T . og
    if (!ta) run(true, false, K, N, M, A, lda, sA, og, ldo, sO, dB, N, sB, reqB);
    else run(false, false, K, N, M, A, lda, sA, og, ldo, sO, dB, N, sB, reqB);
  } else {
    // dB (N x K) = og^T . op(A)
    if (!ta) run(true, false, N, K, M, og, ldo, sO, A, lda, sA, dB, K, sB, reqB);
    else run(true, true, N, K, M, og, ldo, sO, A, lda, sA, dB, K, sB, reqB);
  }
}

// The backward ops' compute, shared by dot.cc and the device twins. Inputs: out_grad, lhs, rhs;
// outputs: lhs_grad, rhs_grad. zeroIfWrite(blob, req) clears an output the GEMMs will not touch;
// gemm(dtype, p, batch, M, N, K, og, A, B, dA, dB, reqA, reqB, op) runs the two adjoint GEMMs.
template <typename Zero, typename Gemm>
void dotBackwardWith(const NodeAttrs& attrs, bool batched, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out, const Zero& zeroIfWrite,
                     const Gemm& gemm) {
  const auto& p = attrs.get<DotParam>();
  const char* op = batched ? "batch_dot" : "dot";
  int64_t batch = 1, M, N, K;
  if (batched) {
    const BatchGeometry g = batchGeometry(in[1].shape, in[2].shape, p, nullptr);
    batch = g.batch; M = g.M; N = g.N; K = g.K;
  } else {
    const DotGeometry g = dotGeometry(in[1].shape, in[2].shape, p, nullptr);
    M = g.M; N = g.N; K = g.K;
  }
  // M or N == 0: the gradients are all zero; K == 0 leaves dA/dB empty anyway.
  if (batch * M * N == 0) {
    zeroIfWrite(out[0], req[0]);
    zeroIfWrite(out[1], req[1]);
    return;
  }
  if (K == 0) return;
  gemm(in[0].dtype, p, batch, M, N, K, in[0].dptr, in[1].dptr, in[2].dptr, out[0].dptr, out[1].dptr, req[0],
       req[1], op);
}

template <typename Dev>
void dotBackwardGemmDev(const OpContext& ctx, DType dt, const DotParam& p, int64_t batch, int64_t M, int64_t N,
                        int64_t K, const void* og, const void* A, const void* B, void* dA, void* dB, OpReq reqA,
                        OpReq reqB, const char* op) {
  auto run = [&](bool tx, bool ty, int64_t m, int64_t n, int64_t k, const void* X, int64_t ldx, int64_t sx,
                 const void* Y, int64_t ldy, int64_t sy, void* Z, int64_t ldz, int64_t sz, OpReq req) {
    if (req == OpReq::kNull) return;
    GemmArgs a;
    a.dtype = dt;
    a.transA = tx; a.transB = ty;
    a.M = m; a.N = n; a.K = k;
    a.beta = req == OpReq::kAddTo ? 1.0 : 0.0;
    a.A = X; a.lda = ldx; a.strideA = sx;
    a.B = Y; a.ldb = ldy; a.strideB = sy;
    a.C = Z; a.ldc = ldz; a.strideC = sz;
    a.batch = batch;
    dnd::gemmDev<Dev>(ctx, a, op);
  };
  dotBackwardPlan(p, M, N, K, og, A, B, dA, dB, reqA, reqB, run);
}

// Inputs: out_grad, lhs, rhs; outputs: lhs_grad, rhs_grad (attached to both backward ops).
template <typename Dev, bool kBatched>
void dotBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  dotBackwardWith(
      attrs, kBatched, in, req, out,
      [&](const TBlob& b, OpReq r) {
        if (r == OpReq::kWriteTo || r == OpReq::kWriteInplace) dnd::zeroBlob<Dev>(ctx, b);
      },
      [&](DType dt, const DotParam& p, int64_t batch, int64_t M, int64_t N, int64_t K, const void* og,
          const void* A, const void* B, void* dA, void* dB, OpReq reqA, OpReq reqB, const char* op) {
        dotBackwardGemmDev<Dev>(ctx, dt, p, batch, M, N, K, og, A, B, dA, dB, reqA, reqB, op);
      });
}

}  // namespace dotdev
}  // namespace ist
