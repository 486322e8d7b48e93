// Concat / _backward_Concat / stack: params (shared with concat.cc) and the device-generic
// computes (GPU kernels and their CPU twins, attached in matrix.cu).
#pragma once
#include <climits>
#include <vector>
#include "base/error.h"
#include "op/registry.h"
#include "ops/matrix/strided_copy.h"
#include "ops/matrix/strided_copy_device.h"

namespace ist {
namespace mat {

struct ConcatParam {
  int num_args = 1;
  int dim = 1;
  static void declare(ParamDecl<ConcatParam>& d) {
    d.field("num_args", &ConcatParam::num_args)
        .range(1, INT_MAX)
        .doc("Number of inputs to be concatenated.");
    d.field("dim", &ConcatParam::dim).setDefault(1).doc("the dimension to be concated.");
  }
};

struct StackParam {
  int axis = 0;
  int num_args = 1;
  static void declare(ParamDecl<StackParam>& d) {
    d.field("axis", &StackParam::axis)
        .setDefault(0)
        .doc("The axis in the result array along which the input arrays are stacked.");
    d.field("num_args", &StackParam::num_args).range(1, INT_MAX).doc("Number of inputs to be stacked.");
  }
};

// Input seen as (outer, rows, inner) into output columns [offset, offset + rows) of (outer, total, inner).
template <typename Dev>
void copySlabDev(const OpContext& ctx, const TBlob& src, const TBlob& out, int64_t outer, int64_t rows,
                 int64_t inner, int64_t total, int64_t offset, OpReq req, const char* op) {
  char* dst = byteAt(out.dptr, offset * inner, out.dtype);
  copyStridedDev<Dev>(ctx, out.dtype, Shape{outer, rows * inner}, dst, {total * inner, 1}, src.dptr,
                      {rows * inner, 1}, req, op);
}

template <typename Dev>
void concatComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const Shape& os = out[0].shape;
  const int axis =
      normalizeAxis(attrs.get<ConcatParam>().dim, static_cast<int>(os.size()), "Concat", "dim");
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= os[i];
  for (size_t i = axis + 1; i < os.size(); ++i) inner *= os[i];
  int64_t offset = 0;
  for (const TBlob& b : in) {
    copySlabDev<Dev>(ctx, b, out[0], outer, b.shape[axis], inner, os[axis], offset, req[0], "Concat");
    offset += b.shape[axis];
  }
}

template <typename Dev>
void concatBackwardComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                              const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const Shape& os = in[0].shape;
  const int axis =
      normalizeAxis(attrs.get<ConcatParam>().dim, static_cast<int>(os.size()), "Concat", "dim");
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= os[i];
  for (size_t i = axis + 1; i < os.size(); ++i) inner *= os[i];
  int64_t offset = 0;
  for (size_t k = 0; k < out.size(); ++k) {
    const int64_t rows = out[k].shape[axis];
    const char* src = byteAt(static_cast<const void*>(in[0].dptr), offset * inner, in[0].dtype);
    copyStridedDev<Dev>(ctx, in[0].dtype, Shape{outer, rows * inner}, out[k].dptr, {rows * inner, 1},
                        src, {os[axis] * inner, 1}, req[k], "_backward_Concat");
    offset += rows;
  }
}

template <typename Dev>
void stackComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const Shape& os = out[0].shape;
  const int axis =
      normalizeAxis(attrs.get<StackParam>().axis, static_cast<int>(os.size()), "stack", "axis");
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= os[i];
  for (size_t i = axis + 1; i < os.size(); ++i) inner *= os[i];
  const int64_t n = static_cast<int64_t>(in.size());
  for (int64_t k = 0; k < n; ++k) copySlabDev<Dev>(ctx, in[k], out[0], outer, 1, inner, n, k, req[0], "stack");
}

}  // namespace mat
}  // namespace ist
