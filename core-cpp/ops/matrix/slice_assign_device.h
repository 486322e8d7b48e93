// _slice_assign and _slice_assign_scalar (MXNet's crop-assign): params and the device-generic
// computes (CPU kernels in slice_assign.cc, GPU kernels and their CPU twins in slice_assign.cu).
// Both reuse slice's SliceParam / sliceView and the strided copies of strided_copy_device.h.
#pragma once
#include <string>
#include <vector>
#include "base/error.h"
#include "kernels/device_util.h"
#include "op/backward_errors.h"
#include "op/registry.h"
#include "ops/matrix/slice_device.h"

namespace ist {
namespace sliceassign {

constexpr const char* kAssign = "_slice_assign";
constexpr const char* kAssignScalar = "_slice_assign_scalar";

// MXNet's SliceAssignScalarParam: the scalar, then slice's begin/end/step.
struct SliceAssignScalarParam {
  double scalar = 0;
  OptIntTuple begin, end, step;
  static void declare(ParamDecl<SliceAssignScalarParam>& d) {
    d.field("scalar", &SliceAssignScalarParam::scalar).setDefault(0.0)
        .doc("The scalar value for assignment.");
    d.field("begin", &SliceAssignScalarParam::begin)
        .doc("Starting indices for the slice, per axis from the first (negative counts from the end; "
             "None is the start in the step's direction).");
    d.field("end", &SliceAssignScalarParam::end)
        .doc("Ending indices (exclusive) for the slice (negative counts from the end; None is the end "
             "in the step's direction).");
    d.field("step", &SliceAssignScalarParam::step).setDefault(OptIntTuple{})
        .doc("Step for each sliced axis (default 1; negative walks backwards; never 0).");
  }
};

// The region of `s` both ops write: slice's view, its errors re-raised under the op's name.
inline mat::SliceView regionOf(const Shape& s, const OptIntTuple& b, const OptIntTuple& e, const OptIntTuple& st,
                               const char* op) {
  mat::SliceParam p;
  p.begin = b;
  p.end = e;
  p.step = st;
  try {
    return mat::sliceView(s, p);
  } catch (const IsotensorError& err) {
    rethrowNamed(op, err);
  }
}
inline mat::SliceView regionOf(const Shape& s, const mat::SliceParam& p) {
  return regionOf(s, p.begin, p.end, p.step, kAssign);
}
inline mat::SliceView regionOf(const Shape& s, const SliceAssignScalarParam& p) {
  return regionOf(s, p.begin, p.end, p.step, kAssignScalar);
}

// p[0] = scalar in T (a one-element source the region copy repeats with stride 0).
struct SetScalarMap {
  template <typename T> ISTX static void Map(int64_t, T* p, double v) { p[0] = std_<T>(v); }
};

// dst (contiguous, lhs's shape) = lhs with the region overwritten: by src when srcStrides are the
// view's contiguous strides (rhs), by one repeated element when they are all 0 (the scalar).
template <typename Dev>
void assignInto(const OpContext& ctx, void* dst, const TBlob& lhs, const mat::SliceView& v, const void* src,
                const std::vector<int64_t>& srcStrides, const char* op) {
  mat::copyContiguousDev<Dev>(ctx, lhs.dtype, lhs.size(), dst, lhs.dptr, OpReq::kWriteTo, op);
  if (shapeSize(v.shape) == 0) return;
  std::vector<int64_t> dstStrides;
  const int64_t offset = mat::viewStrides(lhs.shape, v, &dstStrides);
  mat::copyStridedDev<Dev>(ctx, lhs.dtype, v.shape, mat::byteAt(dst, offset, lhs.dtype), dstStrides, src, srcStrides,
                      OpReq::kWriteTo, op);
}

// Runs assignInto for the request: in place (kWriteTo, kWriteInplace), or into scratch added to out (kAddTo).
template <typename Dev>
void assignFor(const OpContext& ctx, OpReq req, const TBlob& out, const TBlob& lhs, const mat::SliceView& v,
               const void* src, const std::vector<int64_t>& srcStrides, const char* op) {
  if (req == OpReq::kNull || out.size() == 0) return;
  if (req != OpReq::kAddTo) {
    assignInto<Dev>(ctx, out.dptr, lhs, v, src, srcStrides, op);
    return;
  }
  TempSpace<Dev> tmp(ctx.run.stream, static_cast<size_t>(out.size()) * dtypeSize(out.dtype));
  assignInto<Dev>(ctx, tmp.get(), lhs, v, src, srcStrides, op);
  mat::copyContiguousDev<Dev>(ctx, out.dtype, out.size(), out.dptr, tmp.get(), OpReq::kAddTo, op);
}

// (lhs, rhs) -> lhs with lhs[begin:end:step] = rhs.
template <typename Dev>
void sliceAssignDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const mat::SliceView v = regionOf(in[0].shape, attrs.get<mat::SliceParam>());
  assignFor<Dev>(ctx, req[0], out[0], in[0], v, in[1].dptr, contiguousStrides(v.shape), kAssign);
}

// (data) -> data with data[begin:end:step] = scalar.
template <typename Dev>
void sliceAssignScalarDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<SliceAssignScalarParam>();
  const mat::SliceView v = regionOf(in[0].shape, p);
  TempSpace<Dev> one(ctx.run.stream, 16);
  IST_TYPE_SWITCH_ALL(in[0].dtype, T, kAssignScalar, {
    DeviceKernel<SetScalarMap, Dev>::launch(ctx.run.stream, 1, 1, one.template as<T>(), p.scalar);
  });
  assignFor<Dev>(ctx, req[0], out[0], in[0], v, one.get(), std::vector<int64_t>(v.shape.size(), 0), kAssignScalar);
}

}  // namespace sliceassign
}  // namespace ist
