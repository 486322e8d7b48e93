// The regression output layers' parameters (shared with regression_output.cc) and the
// device-generic computes of LinearRegressionOutput, LogisticRegressionOutput, MAERegressionOutput
// and their backward ops, attached in regression_output.cu.
#pragma once
#include <cstdint>
#include <vector>
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace regdev {

struct RegressionOutputParam {
  float grad_scale;
  static void declare(ParamDecl<RegressionOutputParam>& d) {
    d.field("grad_scale", &RegressionOutputParam::grad_scale).setDefault(1.0f)
        .doc("Scale the gradient by a float factor");
  }
};

enum class Reg { kLinear, kLogistic, kMAE };

template <Reg R> constexpr const char* regName() {
  return R == Reg::kLinear ? "LinearRegressionOutput"
                           : (R == Reg::kLogistic ? "LogisticRegressionOutput" : "MAERegressionOutput");
}

template <Reg R>
struct RegForwardMap {
  template <typename T> ISTX static void Map(int64_t i, T* y, const T* x, bool add) {
    using C = dnd::CT<T>;
    const C v = C(x[i]);
    dnd::putd(y + i, double(R == Reg::kLogistic ? C(1) / (C(1) + math::exp(-v)) : v), add);
  }
};

template <Reg R>
struct RegBackwardMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* gx, const T* y, const double* label, double scale, bool add) {
    const double diff = dnd::ldd(y[i]) - label[i];
    const double g = R == Reg::kMAE ? (diff > 0 ? 1.0 : -1.0) : diff;
    dnd::putd(gx + i, g * scale, add);
  }
};

template <typename Dev, Reg R>
void regressionDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const int64_t n = in[0].size();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, regName<R>(), {
    DeviceKernel<RegForwardMap<R>, Dev>::launch(ctx.run.stream, n, 4, out[0].data<T>(), in[0].data<T>(),
                                                req[0] == OpReq::kAddTo);
  });
}

// The gradient's scale: grad_scale over the labels per sample (shared with regression_output.cc).
inline double regGradScale(const NodeAttrs& attrs, const TBlob& label) {
  const double perSample = static_cast<double>(label.size()) / static_cast<double>(label.shape[0]);
  return attrs.get<RegressionOutputParam>().grad_scale / perSample;
}

// _backward_*_reg_out inputs: label, output. Output: the data gradient.
template <typename Dev, Reg R>
void regressionBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                           const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const TBlob &label = in[0], &y = in[1];
  const char* op = regName<R>();
  const double scale = regGradScale(attrs, label);
  const int64_t n = y.size();
  void* s = ctx.run.stream;
  TempSpace<Dev> lab(s, static_cast<size_t>(label.size()) * sizeof(double));
  dnd::readDoubles<Dev>(ctx, label, lab.template as<double>(), op);
  IST_TYPE_SWITCH_FLOAT(y.dtype, T, op, {
    DeviceKernel<RegBackwardMap<R>, Dev>::launch(s, n, 4, out[0].data<T>(), y.data<T>(),
                                                 static_cast<const double*>(lab.template as<double>()), scale,
                                                 req[0] == OpReq::kAddTo);
  });
}

}  // namespace regdev
}  // namespace ist
