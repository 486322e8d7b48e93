// _contrib_group_adagrad_update (row-wise AdaGrad) and reset_arrays (zeroes its inputs in place):
// params and the device-generic computes (CPU kernels in group_adagrad.cc, GPU kernels and their
// CPU twins in group_adagrad.cu).
#pragma once
#include <cstdint>
#include <vector>
#include "base/error.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/optimizer/update_kernels.h"

namespace ist {
namespace groupada {

constexpr const char* kGroupAdagrad = "_contrib_group_adagrad_update";
constexpr const char* kReset = "reset_arrays";
// The registry's mutated-input list is static, so reset_arrays takes at most this many arrays.
constexpr int kMaxResetArrays = 4096;

// MXNet's GroupAdagradParam (contrib/optimizer_op-inl.h), same order and defaults.
struct GroupAdagradParam {
  float lr = 0, rescale_grad = 1, clip_gradient = -1, epsilon = 1e-5f;
  static void declare(ParamDecl<GroupAdagradParam>& d) {
    d.field("lr", &GroupAdagradParam::lr).doc("Learning rate");
    d.field("rescale_grad", &GroupAdagradParam::rescale_grad).setDefault(1.0f)
        .doc("Rescale gradient to grad = rescale_grad*grad.");
    d.field("clip_gradient", &GroupAdagradParam::clip_gradient).setDefault(-1.0f)
        .doc("Clip gradient to the range of [-clip_gradient, clip_gradient] If clip_gradient <= 0, gradient "
             "clipping is turned off. grad = max(min(grad, clip_gradient), -clip_gradient).");
    d.field("epsilon", &GroupAdagradParam::epsilon).setDefault(1e-5f).doc("Epsilon for numerical stability");
  }
};

struct ResetArraysParam {
  int num_arrays = 1;
  static void declare(ParamDecl<ResetArraysParam>& d) {
    d.field("num_arrays", &ResetArraysParam::num_arrays).range(1, kMaxResetArrays).doc("number of input arrays.");
  }
};

// One row r of `len` elements: history[r] += mean(g'^2) with g' = clip(rescale * grad), then
// w -= lr * g' / sqrt(history[r] + eps) over the row (MXNet's GroupAdagradDnsRspKernel on every row).
struct GroupAdagradRowMap {
  template <typename T, typename C>
  ISTX static void Map(int64_t r, T* out, const T* weight, const T* grad, T* history, int64_t len, C lr, C eps,
                       C rescale, C clip, int req) {
    const int64_t b = r * len;
    C ssq = C(0);
    for (int64_t j = b; j < b + len; ++j) {
      const C g = optim::scaledGrad(grad, j, rescale, clip);
      ssq += g * g;
    }
    const C h = optim::ld(history[r]) + ssq / C(len);
    history[r] = T(h);
    const C den = math::sqrt(h + eps);
    for (int64_t j = b; j < b + len; ++j)
      optim::putOut(out, j, optim::ld(weight[j]) - lr * optim::scaledGrad(grad, j, rescale, clip) / den, req);
  }
};

// (weight, grad, history) -> updated weight; history (one value per row of weight) updated in place.
template <typename Dev>
void groupAdagradDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<GroupAdagradParam>();
  const int64_t rows = in[0].shape.empty() ? 1 : in[0].shape[0];
  if (in[0].size() == 0 || rows == 0) return;
  const int64_t len = in[0].size() / rows;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kGroupAdagrad, {
    using C = typename ComputeType<T>::type;
    DeviceKernel<GroupAdagradRowMap, Dev>::launch(ctx.run.stream, rows, 4 * len, out[0].data<T>(), in[0].data<T>(),
                                                  in[1].data<T>(), in[2].data<T>(), len, C(p.lr), C(p.epsilon),
                                                  C(p.rescale_grad), C(p.clip_gradient), static_cast<int>(req[0]));
  });
}

// Zeroes every input (MXNet's reset_arrays: no outputs, all inputs mutated).
template <typename Dev>
void resetArraysDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in, const std::vector<OpReq>&,
                    const std::vector<TBlob>&) {
  for (const TBlob& b : in)
    DeviceMem<Dev>::zero(ctx.run.stream, b.dptr, static_cast<size_t>(b.size()) * dtypeSize(b.dtype));
}

}  // namespace groupada
}  // namespace ist
