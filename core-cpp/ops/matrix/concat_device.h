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

// The computes below, shared by concat.cc (copy = copyStrided) and the device-generic twins (copy =
// copyStridedDev<Dev>): copy(dtype, shape, dst, dstStrides, src, srcStrides, req, op).

// Input seen as (outer, rows, inner) into output columns [offset, offset + rows) of (outer, total, inner).
template <typename Copy>
void copySlabWith(const Copy& copy, const TBlob& src, const TBlob& out, int64_t outer, int64_t rows,
                  int64_t inner, int64_t total, int64_t offset, OpReq req, const char* op) {
  char* dst = byteAt(out.dptr, offset * inner, out.dtype);
  copy(out.dtype, Shape{outer, rows * inner}, dst, {total * inner, 1}, src.dptr, {rows * inner, 1}, req,
       op);
}

template <typename Copy>
void concatComputeWith(const Copy& copy, const NodeAttrs& attrs, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const Shape& os = out[0].shape;
  int64_t outer, inner;
  const int axis = splitAtAxis(os, attrs.get<ConcatParam>().dim, "Concat", "dim", outer, inner);
  int64_t offset = 0;
  for (const TBlob& b : in) {
    copySlabWith(copy, b, out[0], outer, b.shape[axis], inner, os[axis], offset, req[0], "Concat");
    offset += b.shape[axis];
  }
}

template <typename Copy>
void concatBackwardComputeWith(const Copy& copy, const NodeAttrs& attrs, const std::vector<TBlob>& in,
                               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const Shape& os = in[0].shape;
  int64_t outer, inner;
  const int axis = splitAtAxis(os, attrs.get<ConcatParam>().dim, "Concat", "dim", outer, inner);
  int64_t offset = 0;
  for (size_t k = 0; k < out.size(); ++k) {
    const int64_t rows = out[k].shape[axis];
    const char* src = byteAt(static_cast<const void*>(in[0].dptr), offset * inner, in[0].dtype);
    copy(in[0].dtype, Shape{outer, rows * inner}, out[k].dptr, {rows * inner, 1}, src,
         {os[axis] * inner, 1}, req[k], "_backward_Concat");
    offset += rows;
  }
}

template <typename Copy>
void stackComputeWith(const Copy& copy, const NodeAttrs& attrs, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  int64_t outer, inner;
  splitAtAxis(out[0].shape, attrs.get<StackParam>().axis, "stack", "axis", outer, inner);
  const int64_t n = static_cast<int64_t>(in.size());
  for (int64_t k = 0; k < n; ++k) copySlabWith(copy, in[k], out[0], outer, 1, inner, n, k, req[0], "stack");
}

template <typename Dev>
void concatComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  concatComputeWith(DevCopy<Dev>{ctx}, attrs, in, req, out);
}

template <typename Dev>
void concatBackwardComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                              const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  concatBackwardComputeWith(DevCopy<Dev>{ctx}, attrs, in, req, out);
}

template <typename Dev>
void stackComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  stackComputeWith(DevCopy<Dev>{ctx}, attrs, in, req, out);
}

}  // namespace mat
}  // namespace ist
