// _linalg_gemm / _linalg_gemm2 (aliases linalg_gemm, linalg_gemm2): batched matrix products with
// MXNet's `axis` (row axis) layout, on the SIMD GEMM; gradients composed of gemm2 itself.
#include <string>
#include "ops/linalg/gemm_ops_device.h"
#include "ops/linalg/la_common.h"

namespace ist {
namespace {

using la::MatView;

using gemmdev::Layout;
using gemmdev::GemmGeometry;
using gemmdev::gemmGeometry;

template <typename P>
void gemmShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1])) return;
  const auto& p = attrs.get<P>();
  const char* op = la::opName(attrs);
  GemmGeometry g = gemmGeometry(op, in[0], in[1], p.transpose_a, p.transpose_b, p.axis);
  if (in.size() > 2) {
    if (shapeIsKnown(in[2]))
      IST_CHECK(in[2] == g.out, op, "C",
                "C has shape " << shapeString(in[2]) << " but op(A) * op(B) of " << shapeString(in[0])
                               << " and " << shapeString(in[1]) << " has shape "
                               << shapeString(g.out));
    else in[2] = g.out;
  }
  out[0] = g.out;
}

// out = alpha * op(A) op(B) [+ beta * C] over the batch.
template <typename T>
void gemmRun(const GemmGeometry& g, bool tA, bool tB, double alpha, const TBlob* C, double beta,
             const TBlob& A, const TBlob& B, T* out, bool addTo) {
  const Layout& L = g.layout;
  const T* a = A.data<T>();
  const T* b = B.data<T>();
  const T* c = C ? C->data<T>() : nullptr;
  la::forEachMatrix(L.batch(), 2 * g.M * g.N * g.K + g.M * g.N, [&](int64_t i, bool par) -> int64_t {
    MatView<T> av{const_cast<T*>(a) + L.offset(i, g.rA, g.cA), g.rA, g.cA, L.inner * g.cA, false};
    MatView<T> bv{const_cast<T*>(b) + L.offset(i, g.rB, g.cB), g.rB, g.cB, L.inner * g.cB, false};
    MatView<T> ov{out + L.offset(i, g.M, g.N), g.M, g.N, L.inner * g.N, false};
    if (tA) av = av.trans();
    if (tB) bv = bv.trans();
    T gemmBeta = addTo ? T(1) : T(0);
    if (c && beta != 0.0) {
      const T* ci = c + L.offset(i, g.M, g.N);
      for (int64_t r = 0; r < g.M; ++r)
        for (int64_t k = 0; k < g.N; ++k) {
          const T v = T(beta) * ci[r * L.inner * g.N + k];
          ov(r, k) = addTo ? ov(r, k) + v : v;
        }
      gemmBeta = T(1);
    }
    la::gemmView(av, bv, ov, T(alpha), gemmBeta, par);
    return 0;
  });
}

template <typename P>
void gemmCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<P>();
  const GemmGeometry g =
      gemmGeometry(la::opName(attrs), in[0].shape, in[1].shape, p.transpose_a, p.transpose_b, p.axis);
  const TBlob* C = in.size() > 2 ? &in[2] : nullptr;
  double beta = 0.0;
  if constexpr (std::is_same_v<P, la::GemmParam>) beta = p.beta;
  const bool addTo = req[0] == OpReq::kAddTo;
  IST_LA_SWITCH(in[0].dtype, T, la::opName(attrs), {
    gemmRun<T>(g, p.transpose_a, p.transpose_b, p.alpha, C, beta, in[0], in[1], out[0].data<T>(),
               addTo);
  });
}

// ---- gradients ----
//
// C = alpha op(A) op(B) gives (MXNet's gemm2_backward):
//   dA = alpha dC op(B)^T   or, with transpose_a, alpha op(B) dC^T
//   dB = alpha op(A)^T dC   or, with transpose_b, alpha dC^T op(A)
// each itself a gemm2 with the same alpha and axis, so every order of derivative exists.
std::vector<NodeEntry> productGradients(const NodeEntry& og, const NodeEntry& a, const NodeEntry& b,
                                        bool tA, bool tB, double alpha, int axis) {
  auto g2 = [&](const NodeEntry& x, const NodeEntry& y, bool tx, bool ty) {
    return makeEntry("_linalg_gemm2", {x, y},
                     AttrDict{{"transpose_a", la::boolAttr(tx)}, {"transpose_b", la::boolAttr(ty)},
                              {"alpha", la::numAttr(alpha)}, {"axis", std::to_string(axis)}});
  };
  NodeEntry dA = tA ? g2(b, og, tB, true) : g2(og, b, false, !tB);
  NodeEntry dB = tB ? g2(og, a, true, tA) : g2(a, og, !tA, false);
  return {dA, dB};
}

std::vector<NodeEntry> gemm2Gradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  const auto& p = n->attrs.get<la::Gemm2Param>();
  return productGradients(og[0], n->inputs[0], n->inputs[1], p.transpose_a, p.transpose_b, p.alpha,
                          p.axis);
}

std::vector<NodeEntry> gemmGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  const auto& p = n->attrs.get<la::GemmParam>();
  std::vector<NodeEntry> g = productGradients(og[0], n->inputs[0], n->inputs[1], p.transpose_a,
                                              p.transpose_b, p.alpha, p.axis);
  g.push_back(makeEntry("_mul_scalar", {og[0]}, AttrDict{{"scalar", la::numAttr(p.beta)}}));
  return g;
}

IST_REGISTER_OP(_linalg_gemm)
    .alias("linalg_gemm")
    .describe(
        "Performs general matrix multiplication and accumulation: out = alpha * op(A) * op(B) + "
        "beta * C, op() being the identity or the transpose (transpose_a, transpose_b). Inputs of "
        "rank n > 2 are batches; the last axis indexes the columns and `axis` the rows (default "
        "-2, the trailing two axes), as swapaxes/gemm/swapaxes would. float32 and float64 only.")
    .inputs({"A", "B", "C"})
    .params<la::GemmParam>()
    .inferShape(gemmShape<la::GemmParam>)
    .inferType(la::floatType)
    .compute(Context::kCPU, gemmCompute<la::GemmParam>)
    .gradient(gemmGradient);

IST_REGISTER_OP(_linalg_gemm2)
    .alias("linalg_gemm2")
    .describe(
        "Performs general matrix multiplication: out = alpha * op(A) * op(B), op() being the "
        "identity or the transpose (transpose_a, transpose_b). Inputs of rank n > 2 are batches; "
        "the last axis indexes the columns and `axis` the rows (default -2). float32 and float64 "
        "only.")
    .inputs({"A", "B"})
    .params<la::Gemm2Param>()
    .inferShape(gemmShape<la::Gemm2Param>)
    .inferType(la::floatType)
    .compute(Context::kCPU, gemmCompute<la::Gemm2Param>)
    .gradient(gemm2Gradient);

}  // namespace
}  // namespace ist
