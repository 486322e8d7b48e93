// diag / _backward_diag: params and the diagonal view (shared with diag.cc) and the
// device-generic computes (GPU kernels and their CPU twins, attached in matrix.cu).
#pragma once
#include <algorithm>
#include <vector>
#include "base/error.h"
#include "op/registry.h"
#include "ops/matrix/strided_copy.h"
#include "ops/matrix/strided_copy_device.h"

namespace ist {
namespace mat {

struct DiagParam {
  int k = 0;
  int axis1 = 0;
  int axis2 = 1;
  static void declare(ParamDecl<DiagParam>& d) {
    d.field("k", &DiagParam::k)
        .setDefault(0)
        .doc("Diagonal in question. The default is 0. Use k>0 for diagonals above the main "
             "diagonal, and k<0 for diagonals below the main diagonal. If input has shape (S0 S1) "
             "k must be between -S0 and S1");
    d.field("axis1", &DiagParam::axis1)
        .setDefault(0)
        .doc("The first axis of the sub-arrays of interest. Ignored when the input is a 1-D array.");
    d.field("axis2", &DiagParam::axis2)
        .setDefault(1)
        .doc("The second axis of the sub-arrays of interest. Ignored when the input is a 1-D array.");
  }
};

// The diagonal of an N-d array (N >= 2) as a strided view: the output shape (other dims, then
// the diagonal), the element strides of that view over the input, and its start offset.
struct DiagView {
  Shape shape;
  std::vector<int64_t> strides;
  int64_t offset = 0;
};

inline DiagView diagView(const Shape& s, const DiagParam& p, const char* op) {
  const int nd = static_cast<int>(s.size());
  int a1 = normalizeAxis(p.axis1, nd, op, "axis1");
  int a2 = normalizeAxis(p.axis2, nd, op, "axis2");
  IST_CHECK(a1 != a2, op, "axis2",
            "axis1 and axis2 both refer to axis " << a1 << " of shape " << shapeString(s));
  const int64_t k = p.k;
  const int64_t rows = s[a1] - std::max<int64_t>(0, -k), cols = s[a2] - std::max<int64_t>(0, k);
  const int64_t len = std::min(rows, cols);
  IST_CHECK(len >= 0, op, "k",
            "diagonal k=" << k << " does not exist in the (" << s[a1] << ", " << s[a2]
                          << ") planes of shape " << shapeString(s));
  const std::vector<int64_t> st = shapeStrides(s);
  DiagView v;
  for (int i = 0; i < nd; ++i) {
    if (i == a1 || i == a2) continue;
    v.shape.push_back(s[i]);
    v.strides.push_back(st[i]);
  }
  v.shape.push_back(len);
  v.strides.push_back(st[a1] + st[a2]);
  v.offset = std::max<int64_t>(0, -k) * st[a1] + std::max<int64_t>(0, k) * st[a2];
  return v;
}

// The k-th diagonal of an n x n matrix: start offset and stride.
inline void matrixDiagonal(int64_t n, int k, int64_t* offset, int64_t* stride) {
  *offset = k >= 0 ? k : -static_cast<int64_t>(k) * n;
  *stride = n + 1;
}

// vector (length m) <-> k-th diagonal of the n x n matrix `matrix`, in the direction `toMatrix`.
template <typename Dev>
void vectorDiagonalCopyDev(const OpContext& ctx, const TBlob& vec, const TBlob& matrix, int k, bool toMatrix,
                           OpReq req, const char* op) {
  if (req == OpReq::kNull) return;
  const int64_t m = vec.size(), n = matrix.shape[0];
  int64_t off, stride;
  matrixDiagonal(n, k, &off, &stride);
  if (toMatrix) {
    if (req != OpReq::kAddTo)
      DeviceMem<Dev>::zero(ctx.run.stream, matrix.dptr, static_cast<size_t>(matrix.size()) * dtypeSize(matrix.dtype));
    copyStridedDev<Dev>(ctx, matrix.dtype, Shape{m}, byteAt(matrix.dptr, off, matrix.dtype), {stride}, vec.dptr, {1},
                        req == OpReq::kAddTo ? OpReq::kAddTo : OpReq::kWriteTo, op);
  } else {
    copyStridedDev<Dev>(ctx, vec.dtype, Shape{m}, vec.dptr, {1},
                        byteAt(static_cast<const void*>(matrix.dptr), off, matrix.dtype), {stride}, req, op);
  }
}

template <typename Dev>
void diagComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<DiagParam>();
  if (in[0].shape.size() == 1) {
    vectorDiagonalCopyDev<Dev>(ctx, in[0], out[0], p.k, true, req[0], "diag");
    return;
  }
  const DiagView v = diagView(in[0].shape, p, "diag");
  copyStridedDev<Dev>(ctx, in[0].dtype, v.shape, out[0].dptr, contiguousStrides(v.shape),
                      byteAt(static_cast<const void*>(in[0].dptr), v.offset, in[0].dtype), v.strides, req[0],
                      "diag");
}

template <typename Dev>
void diagBackwardComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                            const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<DiagParam>();
  if (in[1].shape.size() == 1) {
    vectorDiagonalCopyDev<Dev>(ctx, out[0], in[0], p.k, false, req[0], "_backward_diag");
    return;
  }
  if (req[0] != OpReq::kAddTo)
    DeviceMem<Dev>::zero(ctx.run.stream, out[0].dptr, static_cast<size_t>(out[0].size()) * dtypeSize(out[0].dtype));
  const DiagView v = diagView(in[1].shape, p, "_backward_diag");
  copyStridedDev<Dev>(ctx, in[0].dtype, v.shape, byteAt(out[0].dptr, v.offset, out[0].dtype), v.strides,
                      in[0].dptr, contiguousStrides(v.shape),
                      req[0] == OpReq::kAddTo ? OpReq::kAddTo : OpReq::kWriteTo, "_backward_diag");
}

}  // namespace mat
}  // namespace ist
