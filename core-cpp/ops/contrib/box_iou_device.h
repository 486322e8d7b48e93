// _contrib_box_iou: its parameters and shape rule (shared with box_iou.cc) and the device-generic
// computes of it and of _backward_contrib_box_iou (GPU kernels and CPU twins, attached in box_iou.cu).
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/contrib/box_common_device.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace boxiou {

constexpr const char* kOp = "_contrib_box_iou";

struct BoxOverlapParam {
  std::string format;
  static void declare(ParamDecl<BoxOverlapParam>& d) {
    d.field("format", &BoxOverlapParam::format)
        .setDefault("corner")
        .values({"corner", "center"})
        .doc("The box encoding type. \n \"corner\" means boxes are encoded as [xmin, ymin, xmax, ymax], "
             "\"center\" means boxes are encodes as [x, y, width, height].");
  }
};

inline void checkSide(const Shape& s, const char* arg) {
  IST_CHECK(s.size() >= 2 && s.back() == 4, kOp, arg,
            arg << " must have at least 2 dimensions and a last dimension of 4 (the box coordinates), got shape "
                << shapeString(s));
}

// lhs.shape[:-1] + rhs.shape[:-1].
inline Shape boxIouShape(const Shape& l, const Shape& r) {
  checkSide(l, "lhs");
  checkSide(r, "rhs");
  Shape o;
  for (size_t i = 0; i + 1 < l.size(); ++i) o.push_back(l[i]);
  for (size_t i = 0; i + 1 < r.size(); ++i) o.push_back(r[i]);
  return o;
}

struct IouMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* out, const T* lhs, const T* rhs, int64_t nr, int fmt, bool add) {
    using C = dnd::CT<T>;
    C a[4], b[4];
    boxes::loadBox(a, lhs + (t / nr) * 4);
    boxes::loadBox(b, rhs + (t % nr) * 4);
    const C inter = boxes::intersect1d(a, b, fmt) * boxes::intersect1d(a + 1, b + 1, fmt);
    C v = C(0);
    if (inter > C(0)) v = inter / (boxes::boxArea(a, fmt) + boxes::boxArea(b, fmt) - inter);
    out[t] = add ? T(C(out[t]) + v) : T(v);
  }
};

template <typename Dev>
void boxIouDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  boxIouShape(in[0].shape, in[1].shape);
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const int64_t nr = in[1].size() / 4;
  const int fmt = boxes::boxFormat(attrs.get<BoxOverlapParam>().format);
  IST_TYPE_SWITCH_FLOAT(out[0].dtype, T, kOp, {
    DeviceKernel<IouMap, Dev>::launch(ctx.run.stream, out[0].size(), 16, out[0].data<T>(), in[0].data<T>(),
                                      in[1].data<T>(), nr, fmt, req[0] == OpReq::kAddTo);
  });
}

// (out_grad, lhs, rhs) -> zeros like lhs and rhs: MXNet back-propagates no gradient through box_iou.
template <typename Dev>
void boxIouBackwardDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>&,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  for (size_t i = 0; i < out.size(); ++i)
    if (req[i] != OpReq::kNull && req[i] != OpReq::kAddTo) dnd::zeroBlob<Dev>(ctx, out[i]);
}

}  // namespace boxiou
}  // namespace ist
