// Computes of the fused optimizer updates, written once for Dev = cpu and Dev = gpu: each one
// picks the weight's dtype and launches its Map (update_kernels.h) over the flattened arrays.
// The .cc files register the cpu instantiations (the CPU and WASM kernels themselves); optimizer.cu
// attaches the gpu ones. Inputs follow MXNet's order (weight, grad, states..., [weight32]).
#pragma once
#include <cmath>
#include <type_traits>
#include <vector>
#include "base/dtype.h"
#include "kernels/device.h"
#include "op/registry.h"
#include "ops/optimizer/params.h"
#include "ops/optimizer/update_kernels.h"

namespace ist {
namespace optim {

inline const char* nameOf(const NodeAttrs& a) { return a.op ? a.op->name.c_str() : "optimizer update"; }
constexpr int64_t kCost = 12;  // rough scalar operations per element, for the CPU's parallelFor
template <typename T> using CT = typename ComputeType<T>::type;

// Runs M over the weight's n elements with the request appended as the Map's last argument: WriteReq for
// a plain write (every optimizer step's), else the OpReq as an int (kNullOp, kAddTo), so only the common
// case gets a second, branch-free kernel.
template <typename M, typename Dev, typename... Args>
void launchUpdate(const OpContext& ctx, int64_t n, const std::vector<OpReq>& req, Args... args) {
  if (req[0] == OpReq::kWriteTo || req[0] == OpReq::kWriteInplace) {
    DeviceKernel<M, Dev>::launch(ctx.run.stream, n, kCost, args..., WriteReq{});
  } else {
    DeviceKernel<M, Dev>::launch(ctx.run.stream, n, kCost, args..., static_cast<int>(req[0]));
  }
}

// The float32 master copy of a multi-precision update (input k), or NoMaster.
template <bool MP>
auto masterOf(const std::vector<TBlob>& in, size_t k) {
  if constexpr (MP) return in[k].data<float>();
  else return NoMaster{};
}

// sgd_update (MP = false) and mp_sgd_update (MP = true: inputs weight, grad, weight32).
template <typename Dev, bool MP>
void sgdUpdate(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<SGDParam>();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, nameOf(attrs), {
    using C = CT<T>;
    launchUpdate<SgdMap, Dev>(ctx, in[0].size(), req, out[0].data<T>(), in[0].data<T>(), in[1].data<T>(),
                              masterOf<MP>(in, 2), C(p.lr), C(p.wd), C(p.rescale_grad), C(p.clip_gradient));
  });
}

// sgd_mom_update / nag_mom_update (MP = false: weight, grad, mom) and their mp_ forms
// (weight, grad, mom float32, weight32).
template <typename Dev, typename M, bool MP>
void momUpdate(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<SGDMomParam>();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, nameOf(attrs), {
    using C = CT<T>;
    using S = std::conditional_t<MP, float, T>;
    launchUpdate<M, Dev>(ctx, in[0].size(), req, out[0].data<T>(), in[0].data<T>(), in[1].data<T>(),
                         in[2].data<S>(), masterOf<MP>(in, 3), C(p.lr), C(p.momentum), C(p.wd),
                         C(p.rescale_grad), C(p.clip_gradient));
  });
}

template <typename Dev>
void signSgdUpdate(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<SGDParam>();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, nameOf(attrs), {
    using C = CT<T>;
    launchUpdate<SignSgdMap, Dev>(ctx, in[0].size(), req, out[0].data<T>(), in[0].data<T>(), in[1].data<T>(),
                                  C(p.lr), C(p.wd));
  });
}

template <typename Dev>
void signumUpdate(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<SignumParam>();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, nameOf(attrs), {
    using C = CT<T>;
    launchUpdate<SignumMap, Dev>(ctx, in[0].size(), req, out[0].data<T>(), in[0].data<T>(), in[1].data<T>(),
                                 in[2].data<T>(), C(p.lr), C(p.momentum), C(p.wd), C(p.rescale_grad),
                                 C(p.clip_gradient), C(p.wd_lh));
  });
}

template <typename Dev>
void adamUpdate(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<AdamParam>();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, nameOf(attrs), {
    using C = CT<T>;
    launchUpdate<AdamMap, Dev>(ctx, in[0].size(), req, out[0].data<T>(), in[0].data<T>(), in[1].data<T>(),
                               in[2].data<T>(), in[3].data<T>(), C(p.lr), C(p.beta1), C(p.beta2), C(p.epsilon),
                               C(p.wd), C(p.rescale_grad), C(p.clip_gradient));
  });
}

// _adamw_update (weight, grad, mean, var, rescale_grad) and _mp_adamw_update (weight, grad,
// mean, var, weight32, rescale_grad). rescale_grad stays on the device: the GPU's Map reads it; the CPU
// reads it once, and a finite nonzero value goes to the Map as a CheckedRescale.
template <typename Dev, bool MP>
void adamWUpdate(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<AdamWParam>();
  const float* rescale = in[MP ? 5 : 4].data<float>();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, nameOf(attrs), {
    using C = CT<T>;
    using S = std::conditional_t<MP, float, T>;
    auto launch = [&](auto rs) {
      launchUpdate<AdamWMap, Dev>(ctx, in[0].size(), req, out[0].data<T>(), in[0].data<T>(), in[1].data<T>(),
                                  in[2].data<S>(), in[3].data<S>(), masterOf<MP>(in, 4), rs, C(p.lr), C(p.beta1),
                                  C(p.beta2), C(p.epsilon), C(p.wd), C(p.eta), C(p.clip_gradient));
    };
    if constexpr (std::is_same_v<Dev, cpu>) {
      const float r = rescale[0];
      if (!skipsStep(C(r), rescale)) {
        launch(CheckedRescale{r});
        return;
      }
    }
    launch(rescale);
  });
}

template <typename Dev>
void rmspropUpdate(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<RMSPropParam>();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, nameOf(attrs), {
    using C = CT<T>;
    launchUpdate<RmsPropMap, Dev>(ctx, in[0].size(), req, out[0].data<T>(), in[0].data<T>(), in[1].data<T>(),
                                  in[2].data<T>(), C(p.lr), C(p.gamma1), C(p.epsilon), C(p.wd),
                                  C(p.rescale_grad), C(p.clip_gradient), C(p.clip_weights));
  });
}

template <typename Dev>
void rmspropAlexUpdate(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<RMSPropAlexParam>();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, nameOf(attrs), {
    using C = CT<T>;
    launchUpdate<RmsPropAlexMap, Dev>(ctx, in[0].size(), req, out[0].data<T>(), in[0].data<T>(),
                                      in[1].data<T>(), in[2].data<T>(), in[3].data<T>(), in[4].data<T>(),
                                      C(p.lr), C(p.gamma1), C(p.gamma2), C(p.epsilon), C(p.wd),
                                      C(p.rescale_grad), C(p.clip_gradient), C(p.clip_weights));
  });
}

template <typename Dev>
void ftrlUpdate(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<FtrlParam>();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, nameOf(attrs), {
    using C = CT<T>;
    launchUpdate<FtrlMap, Dev>(ctx, in[0].size(), req, out[0].data<T>(), in[0].data<T>(), in[1].data<T>(),
                               in[2].data<T>(), in[3].data<T>(), C(p.lr), C(p.lamda1), C(p.beta), C(p.wd),
                               C(p.rescale_grad), C(p.clip_gradient));
  });
}

template <typename Dev>
void adagradUpdate(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<AdagradParam>();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, nameOf(attrs), {
    using C = CT<T>;
    launchUpdate<AdagradMap, Dev>(ctx, in[0].size(), req, out[0].data<T>(), in[0].data<T>(), in[1].data<T>(),
                                  in[2].data<T>(), C(p.lr), C(p.epsilon), C(p.wd), C(p.rescale_grad),
                                  C(p.clip_gradient));
  });
}

template <typename Dev>
void adadeltaUpdate(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<AdadeltaParam>();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, nameOf(attrs), {
    using C = CT<T>;
    launchUpdate<AdadeltaMap, Dev>(ctx, in[0].size(), req, out[0].data<T>(), in[0].data<T>(), in[1].data<T>(),
                                   in[2].data<T>(), in[3].data<T>(), C(p.lr), C(p.rho), C(p.epsilon), C(p.wd),
                                   C(p.rescale_grad), C(p.clip_gradient));
  });
}

// lamb_update_phase1 (weight, grad, mean, var -> g) and mp_lamb_update_phase1 (weight, grad,
// mean, var, weight32 -> float32 g).
template <typename Dev, bool MP>
void lambPhase1(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<LambPhase1Param>();
  const double corr1 = p.bias_correction ? 1.0 - std::pow(double(p.beta1), p.t) : 1.0;
  const double corr2 = p.bias_correction ? 1.0 - std::pow(double(p.beta2), p.t) : 1.0;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, nameOf(attrs), {
    using C = CT<T>;
    using S = std::conditional_t<MP, float, T>;
        launchUpdate<LambPhase1Map, Dev>(ctx, in[0].size(), req, out[0].data<S>(), in[0].data<T>(),
                                         in[1].data<T>(), in[2].data<S>(), in[3].data<S>(), masterOf<MP>(in, 4),
                                         C(p.beta1), C(p.beta2), C(p.epsilon), C(p.wd), C(p.rescale_grad),
                                         C(p.clip_gradient), C(corr1), C(corr2));
  });
}

// lamb_update_phase2 (weight, g, r1, r2) and mp_lamb_update_phase2 (weight, g, r1, r2, weight32).
template <typename Dev, bool MP>
void lambPhase2(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<LambPhase2Param>();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, nameOf(attrs), {
    using C = CT<T>;
    using G = std::conditional_t<MP, float, T>;
    launchUpdate<LambPhase2Map, Dev>(ctx, in[0].size(), req, out[0].data<T>(), in[0].data<T>(), in[1].data<G>(),
                                     in[2].data<G>(), in[3].data<G>(), masterOf<MP>(in, 4), C(p.lr),
                                     C(p.lower_bound), C(p.upper_bound));
  });
}

}  // namespace optim
}  // namespace ist
