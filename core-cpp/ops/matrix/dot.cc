// dot and batch_dot: matrix products on the blocked GEMM (kernels/cpu/gemm.h), MXNet 1.x shapes,
// and their gradients (_backward_dot, _backward_batch_dot).
#include <cstring>
#include <string>
#include "base/error.h"
#include "graph/node.h"
#include "kernels/cpu/gemm.h"
#include "op/registry.h"
#include "op/backward_errors.h"
#include "ops/matrix/dot_device.h"

namespace ist {
namespace {

using dotdev::DotParam;
using dotdev::DotGeometry;
using dotdev::dotGeometry;

void dotShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1])) return;
  Shape o;
  dotGeometry(in[0], in[1], attrs.get<DotParam>(), &o);
  out[0] = o;
}

// Both operands share one numeric dtype, which the output takes.
void matmulType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const char* op = attrs.op ? attrs.op->name.c_str() : "dot";
  if (in[0] >= 0 && in[1] >= 0)
    IST_CHECK(in[0] == in[1], op, "rhs",
              "dtypes differ: lhs is " << dtypeName(DType(in[0])) << ", rhs is "
                                       << dtypeName(DType(in[1])));
  int t = in[0] >= 0 ? in[0] : (in[1] >= 0 ? in[1] : out[0]);
  if (t < 0) return;
  IST_CHECK(DType(t) != DType::kBool, op, "lhs", "bool arrays are not supported");
  in[0] = in[1] = out[0] = t;
}

void dotCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<DotParam>();
  const DotGeometry g = dotGeometry(in[0].shape, in[1].shape, p, nullptr);
  const double beta = req[0] == OpReq::kAddTo ? 1.0 : 0.0;
  if (g.vectorDot) {
    gemmDType(in[0].dtype, false, false, 1, 1, g.K, 1.0, in[0].dptr, g.K, in[1].dptr, 1, beta,
              out[0].dptr, 1, "dot");
    return;
  }
  const int64_t lda = p.transpose_a ? g.M : g.K, ldb = p.transpose_b ? g.K : g.N;
  gemmDType(in[0].dtype, p.transpose_a, p.transpose_b, g.M, g.N, g.K, 1.0, in[0].dptr, lda,
            in[1].dptr, ldb, beta, out[0].dptr, g.N, "dot");
}

using dotdev::BatchGeometry;
using dotdev::batchGeometry;

void batchDotShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1])) return;
  Shape o;
  batchGeometry(in[0], in[1], attrs.get<DotParam>(), &o);
  out[0] = o;
}

void batchDotCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<DotParam>();
  const BatchGeometry g = batchGeometry(in[0].shape, in[1].shape, p, nullptr);
  const double beta = req[0] == OpReq::kAddTo ? 1.0 : 0.0;
  const int64_t lda = p.transpose_a ? g.M : g.K, ldb = p.transpose_b ? g.K : g.N;
  gemmBatchedDType(in[0].dtype, g.batch, p.transpose_a, p.transpose_b, g.M, g.N, g.K, 1.0,
                   in[0].dptr, lda, g.M * g.K, in[1].dptr, ldb, g.K * g.N, beta, out[0].dptr, g.N,
                   g.M * g.N, "batch_dot");
}

// ---- gradients ----
//
// Both products are bilinear, C = f(A, B). Their backward op returns the adjoints
// (f_A*(og; B), f_B*(og; A)). It is bilinear too, so for incoming gradients (gA, gB) of its two
// outputs: d og = f(gA, B) + f(A, gB); only the second output depends on A, and
// <gB, f_B*(og; A)> = <A, f_A*(og; gB)>, so dA = _backward(og, ., gB)[0]; likewise
// dB = _backward(og, gA, .)[1]. Every order of derivative is again dot / _backward_dot.

// The two adjoint GEMMs of one (batched) product op(A) . op(B) = og (dotdev::dotBackwardPlan).
void dotBackwardGemm(DType dt, const DotParam& p, int64_t batch, int64_t M, int64_t N, int64_t K,
                     const void* og, const void* A, const void* B, void* dA, void* dB, OpReq reqA,
                     OpReq reqB, const char* op) {
  auto run = [&](bool tx, bool ty, int64_t m, int64_t n, int64_t k, const void* X, int64_t ldx,
                 int64_t sx, const void* Y, int64_t ldy, int64_t sy, void* Z, int64_t ldz,
                 int64_t sz, OpReq req) {
    if (req == OpReq::kNull) return;
    const double beta = req == OpReq::kAddTo ? 1.0 : 0.0;
    if (batch == 1) gemmDType(dt, tx, ty, m, n, k, 1.0, X, ldx, Y, ldy, beta, Z, ldz, op);
    else gemmBatchedDType(dt, batch, tx, ty, m, n, k, 1.0, X, ldx, sx, Y, ldy, sy, beta, Z, ldz, sz, op);
  };
  dotdev::dotBackwardPlan(p, M, N, K, og, A, B, dA, dB, reqA, reqB, run);
}

void zeroIfWrite(const TBlob& b, OpReq req) {
  if (req == OpReq::kWriteTo || req == OpReq::kWriteInplace)
    std::memset(b.dptr, 0, static_cast<size_t>(b.size()) * dtypeSize(b.dtype));
}

// Inputs: out_grad, lhs, rhs; outputs: lhs_grad, rhs_grad.
void dotBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[1]) || !shapeIsKnown(in[2])) return;
  Shape o;
  if (attrs.op->name == "_backward_dot") dotGeometry(in[1], in[2], attrs.get<DotParam>(), &o);
  else batchGeometry(in[1], in[2], attrs.get<DotParam>(), &o);
  if (shapeIsKnown(in[0]))
    IST_CHECK(in[0] == o, attrs.op->name, "out_grad",
              "out_grad has shape " << shapeString(in[0]) << " but the product of "
                                    << shapeString(in[1]) << " and " << shapeString(in[2])
                                    << " has shape " << shapeString(o));
  out[0] = in[1];
  out[1] = in[2];
}

void dotBackwardType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  std::vector<int> ab{in[1], in[2]}, o{in[0]};
  matmulType(attrs, ab, o);
  out[0] = out[1] = ab[0];
}

void dotBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  dotdev::dotBackwardWith(attrs, attrs.op->name == "_backward_batch_dot", in, req, out, zeroIfWrite,
                          dotBackwardGemm);
}

// The forward op's gradient: one _backward_<op> node with two outputs.
FGradient productGradient(const std::string& backwardOp) {
  return [backwardOp](const NodePtr& n, const std::vector<NodeEntry>& og) {
    NodePtr b = makeNode(backwardOp, {og[0], n->inputs[0], n->inputs[1]}, n->attrs.dict);
    return std::vector<NodeEntry>{NodeEntry{b, 0}, NodeEntry{b, 1}};
  };
}

// The backward op's gradient (see the comment above): inputs (og, A, B), incoming (gA, gB).
FGradient productBackwardGradient(const std::string& forwardOp, const std::string& backwardOp) {
  return [forwardOp, backwardOp](const NodePtr& n, const std::vector<NodeEntry>& g) {
    const NodeEntry &og = n->inputs[0], &a = n->inputs[1], &b = n->inputs[2];
    const AttrDict& d = n->attrs.dict;
    NodeEntry dOg = makeEntry("elemwise_add", {makeEntry(forwardOp, {g[0], b}, d),
                                               makeEntry(forwardOp, {a, g[1]}, d)});
    NodeEntry dA{makeNode(backwardOp, {og, a, g[1]}, d), 0};
    NodeEntry dB{makeNode(backwardOp, {og, g[0], b}, d), 1};
    return std::vector<NodeEntry>{dOg, dA, dB};
  };
}

IST_REGISTER_OP(dot)
    .describe(
        "Dot product of two arrays. 1-D . 1-D gives the inner product (shape (1,)); 2-D . 2-D the "
        "matrix product; N-D contracts the last axis of lhs with the first axis of rhs, so "
        "(a..., k) . (k, b...) -> (a..., b...). transpose_a contracts lhs's first axis instead, "
        "transpose_b rhs's last axis.")
    .inputs({"lhs", "rhs"})
    .params<DotParam>()
    .inferShape(dotShape)
    .inferType(matmulType)
    .compute(Context::kCPU, dotCompute)
    .gradient(productGradient("_backward_dot"));

IST_REGISTER_OP(batch_dot)
    .describe(
        "Batched matrix product: lhs (B..., M, K) . rhs (B..., K, N) -> (B..., M, N), with the last "
        "two axes of an input swapped when its transpose flag is set.")
    .inputs({"lhs", "rhs"})
    .params<DotParam>()
    .inferShape(batchDotShape)
    .inferType(matmulType)
    .compute(Context::kCPU, batchDotCompute)
    .gradient(productGradient("_backward_batch_dot"));

IST_REGISTER_OP(_backward_dot)
    .describe("Gradient of dot: (out_grad, lhs, rhs) -> (lhs_grad, rhs_grad).")
    .inputs({"out_grad", "lhs", "rhs"})
    .outputs({"lhs_grad", "rhs_grad"})
    .params<DotParam>()
    .inferShape(namedShape("_backward_dot", dotBackwardShape))
    .inferType(dotBackwardType)
    .compute(Context::kCPU, namedCompute("_backward_dot", dotBackwardCompute))
    .gradient(productBackwardGradient("dot", "_backward_dot"));

IST_REGISTER_OP(_backward_batch_dot)
    .describe("Gradient of batch_dot: (out_grad, lhs, rhs) -> (lhs_grad, rhs_grad).")
    .inputs({"out_grad", "lhs", "rhs"})
    .outputs({"lhs_grad", "rhs_grad"})
    .params<DotParam>()
    .inferShape(namedShape("_backward_batch_dot", dotBackwardShape))
    .inferType(dotBackwardType)
    .compute(Context::kCPU, namedCompute("_backward_batch_dot", dotBackwardCompute))
    .gradient(productBackwardGradient("batch_dot", "_backward_batch_dot"));

}  // namespace
}  // namespace ist
