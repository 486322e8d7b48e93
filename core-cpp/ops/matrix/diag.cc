// diag: builds a matrix with a 1-D input on its k-th diagonal, or extracts the k-th diagonal of
// the (axis1, axis2) planes of an N-d input (appended as the last axis). Both are strided copies
// along the diagonal (stride = row stride + column stride). The gradient _backward_diag does the
// opposite copy, and its gradient is diag again.
#include <algorithm>
#include <cstring>
#include <string>
#include "base/error.h"
#include "graph/node.h"
#include "op/registry.h"
#include "op/backward_errors.h"
#include "ops/matrix/strided_copy.h"
#include "ops/matrix/diag_device.h"

namespace ist {
namespace {

using mat::DiagParam;
using mat::DiagView;
using mat::diagView;

Shape diagShapeOf(const Shape& s, const DiagParam& p, const char* op) {
  IST_CHECK(!s.empty(), op, "data", "needs an array of 1 or more dims, got shape ()");
  if (s.size() == 1) {
    const int64_t n = s[0] + std::abs(static_cast<int64_t>(p.k));
    return Shape{n, n};
  }
  return diagView(s, p, op).shape;
}

void zeroFill(const TBlob& b) {
  std::memset(b.dptr, 0, static_cast<size_t>(b.size()) * dtypeSize(b.dtype));
}

char* at(const TBlob& b, int64_t offset) {
  return static_cast<char*>(b.dptr) + offset * static_cast<int64_t>(dtypeSize(b.dtype));
}

using mat::matrixDiagonal;

// vector (length m) <-> k-th diagonal of the n x n matrix `mat`, in the direction `toMatrix`.
void vectorDiagonalCopy(const TBlob& vec, const TBlob& mat, int k, bool toMatrix, OpReq req,
                        const char* op) {
  if (req == OpReq::kNull) return;
  const int64_t m = vec.size(), n = mat.shape[0];
  int64_t off, stride;
  matrixDiagonal(n, k, &off, &stride);
  if (toMatrix) {
    if (req != OpReq::kAddTo) zeroFill(mat);
    copyStrided(mat.dtype, Shape{m}, at(mat, off), {stride}, vec.dptr, {1},
                req == OpReq::kAddTo ? OpReq::kAddTo : OpReq::kWriteTo, op);
  } else {
    copyStrided(vec.dtype, Shape{m}, vec.dptr, {1}, at(mat, off), {stride}, req, op);
  }
}

void diagCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<DiagParam>();
  if (in[0].shape.size() == 1) {
    vectorDiagonalCopy(in[0], out[0], p.k, true, req[0], "diag");
    return;
  }
  const DiagView v = diagView(in[0].shape, p, "diag");
  copyStrided(in[0].dtype, v.shape, out[0].dptr, contiguousStrides(v.shape), at(in[0], v.offset),
              v.strides, req[0], "diag");
}

// (out_grad, data) -> data's shape: the diagonal of out_grad (1-D data) or out_grad written onto
// the diagonal of zeros (N-d data).
void diagBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                         const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<DiagParam>();
  if (in[1].shape.size() == 1) {
    vectorDiagonalCopy(out[0], in[0], p.k, false, req[0], "_backward_diag");
    return;
  }
  if (req[0] != OpReq::kAddTo) zeroFill(out[0]);
  const DiagView v = diagView(in[1].shape, p, "_backward_diag");
  copyStrided(in[0].dtype, v.shape, at(out[0], v.offset), v.strides, in[0].dptr,
              contiguousStrides(v.shape), req[0] == OpReq::kAddTo ? OpReq::kAddTo : OpReq::kWriteTo,
              "_backward_diag");
}

IST_REGISTER_OP(diag)
    .describe("Extracts a diagonal or constructs a diagonal array. A 1-D input of length n gives "
              "the (n+|k|, n+|k|) matrix with the input on its k-th diagonal; an N-d input gives "
              "the k-th diagonals of its (axis1, axis2) planes, those two axes removed and the "
              "diagonal appended as the last axis.\n\n"
              "Example: diag([[1, 2, 3], [4, 5, 6]]) = [1, 5]; diag([[1, 2, 3], [4, 5, 6]], k=1) = "
              "[2, 6]; diag([1, 2]) = [[1, 0], [0, 2]]")
    .inputs({"data"})
    .params<DiagParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0])) return;
      out[0] = diagShapeOf(in[0], attrs.get<DiagParam>(), "diag");
    })
    .inferType(inferSameType)
    .compute(Context::kCPU, diagCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry("_backward_diag", {og[0], n->inputs[0]}, n->attrs.dict)};
    });

IST_REGISTER_OP(_backward_diag)
    .describe("Gradient of diag: (out_grad, data) -> an array shaped like data.")
    .inputs({"out_grad", "data"})
    .params<DiagParam>()
    .inferShape(namedShape("_backward_diag", [](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[1])) return;
      const Shape o = diagShapeOf(in[1], attrs.get<DiagParam>(), "_backward_diag");
      if (shapeIsKnown(in[0]))
        IST_CHECK(in[0] == o, "_backward_diag", "out_grad",
                  "out_grad has shape " << shapeString(in[0]) << " but diag of data shape "
                                        << shapeString(in[1]) << " has shape " << shapeString(o));
      out[0] = in[1];
    }))
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      int t = in[0] >= 0 ? in[0] : out[0];
      if (t < 0) return;
      in[0] = out[0] = t;
    })
    .compute(Context::kCPU, namedCompute("_backward_diag", diagBackwardCompute))
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      return std::vector<NodeEntry>{makeEntry("diag", {g[0]}, n->attrs.dict), NodeEntry{}};
    });

}  // namespace
}  // namespace ist
