// Activation's parameters (shared with activation.cc) and its device-generic compute, attached in
// activation.cu. (Its gradient is composed of element-wise ops: there is no backward op.)
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace actdev {

struct ActivationParam {
  std::string act_type;
  static void declare(ParamDecl<ActivationParam>& d) {
    d.field("act_type", &ActivationParam::act_type)
        .values({"relu", "sigmoid", "tanh", "softrelu", "softsign"})
        .doc("Activation function to be applied.");
  }
};

enum class Act { kRelu, kSigmoid, kTanh, kSoftRelu, kSoftSign };

inline Act actOf(const std::string& s) {
  if (s == "relu") return Act::kRelu;
  if (s == "sigmoid") return Act::kSigmoid;
  if (s == "tanh") return Act::kTanh;
  if (s == "softrelu") return Act::kSoftRelu;
  return Act::kSoftSign;
}

// The same formulas as activation.cc, on the math:: overloads callable from device code.
template <Act A, typename C> ISTX C activateDev(C a) {
  if constexpr (A == Act::kRelu) {
    return !(a <= C(0)) ? a : C(0);
  } else if constexpr (A == Act::kSigmoid) {
    return C(1) / (C(1) + math::exp(-a));
  } else if constexpr (A == Act::kTanh) {
    return math::tanh(a);
  } else if constexpr (A == Act::kSoftRelu) {
    return a > C(20) ? a : math::log1p(math::exp(a));
  } else {
    return a / (C(1) + math::fabs(a));
  }
}

template <Act A>
struct ActMap {
  static constexpr bool kSameIndex = true;  // y may be x (in place)
  template <typename T> ISTX static void Map(int64_t i, T* y, const T* x, bool add) {
    using C = dnd::CT<T>;
    const C v = activateDev<A, C>(C(x[i]));
    y[i] = add ? T(C(y[i]) + v) : T(v);
  }
};

template <typename Dev>
void activationDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const int64_t n = in[0].size();
  const bool add = req[0] == OpReq::kAddTo;
  void* s = ctx.run.stream;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "Activation", {
    const T* x = in[0].data<T>();
    T* y = out[0].data<T>();
    switch (actOf(attrs.get<ActivationParam>().act_type)) {
      case Act::kRelu: DeviceKernel<ActMap<Act::kRelu>, Dev>::launch(s, n, 1, y, x, add); break;
      case Act::kSigmoid: DeviceKernel<ActMap<Act::kSigmoid>, Dev>::launch(s, n, 16, y, x, add); break;
      case Act::kTanh: DeviceKernel<ActMap<Act::kTanh>, Dev>::launch(s, n, 16, y, x, add); break;
      case Act::kSoftRelu: DeviceKernel<ActMap<Act::kSoftRelu>, Dev>::launch(s, n, 16, y, x, add); break;
      case Act::kSoftSign: DeviceKernel<ActMap<Act::kSoftSign>, Dev>::launch(s, n, 16, y, x, add); break;
    }
  });
}

}  // namespace actdev
}  // namespace ist
