// _contrib_arange_like: its parameters and shape rule (shared with arange_like.cc) and the
// device-generic compute (the GPU kernel and its CPU twin, attached in arange_like.cu).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace arangelike {

struct RangeLikeParam {
  double start = 0;
  double step = 1;
  int repeat = 1;
  std::string ctx;
  std::optional<int> axis;
  static void declare(ParamDecl<RangeLikeParam>& d) {
    d.field("start", &RangeLikeParam::start)
        .setDefault(0.0)
        .doc("Start of interval. The interval includes this value. The default start value is 0.");
    d.field("step", &RangeLikeParam::step).setDefault(1.0).doc("Spacing between values.");
    d.field("repeat", &RangeLikeParam::repeat)
        .setDefault(1)
        .doc("The repeating time of all elements. E.g repeat=3, the element a will be repeated three "
             "times --> a, a, a.");
    d.field("ctx", &RangeLikeParam::ctx)
        .setDefault("")
        .doc("Context of output, in format [cpu|gpu|cpu_pinned](n). Only used for imperative calls.");
    d.field("axis", &RangeLikeParam::axis)
        .setDefault(std::optional<int>())
        .doc("Arange elements according to the size of a certain axis of input array. The negative "
             "numbers are interpreted counting from the backward. If not provided, will arange "
             "elements according to the input shape.");
  }
};

constexpr const char* kOp = "_contrib_arange_like";

// data's shape, or (data.shape[axis],) when axis is given.
inline Shape rangeLikeShape(const Shape& data, const RangeLikeParam& p) {
  IST_CHECK(p.repeat >= 1, kOp, "repeat", "repeat must be at least 1, got " << p.repeat);
  if (!p.axis.has_value()) return data;
  IST_CHECK(!data.empty(), kOp, "axis",
            "axis=" << *p.axis << " given but data is 0-d (shape " << shapeString(data) << ")");
  const int a = normalizeAxis(*p.axis, static_cast<int>(data.size()), kOp, "axis");
  return Shape{data[a]};
}

// out[i] = start + floor(i / repeat) * step, in data's dtype (start and step cast to it first, as
// MXNet does; unsigned types take the two's complement of negative values).
struct RangeLikeMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* out, T start, T step, int64_t repeat, bool add) {
    using C = dnd::CT<T>;
    const C v = C(C(start) + C(i / repeat) * C(step));
    out[i] = add ? T(C(out[i]) + v) : T(v);
  }
};

template <typename T>
T castParam(double v) {
  if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>)
    return static_cast<T>(static_cast<int64_t>(v));
  else
    return static_cast<T>(static_cast<typename ComputeType<T>::type>(v));
}

template <typename Dev>
void rangeLikeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<RangeLikeParam>();
  rangeLikeShape(in[0].shape, p);
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, kOp, {
    DeviceKernel<RangeLikeMap, Dev>::launch(ctx.run.stream, out[0].size(), 1, out[0].data<T>(),
                                            castParam<T>(p.start), castParam<T>(p.step),
                                            static_cast<int64_t>(p.repeat), req[0] == OpReq::kAddTo);
  });
}

}  // namespace arangelike
}  // namespace ist
