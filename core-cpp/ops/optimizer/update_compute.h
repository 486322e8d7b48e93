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
#include "ops/reduce/all_finite_device.h"  // multiSumSqDev: the norms of _multi_lamb_update

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

// ---- The multi-weight updates and ftml_update: MXNet's arithmetic in the weight's type ----

// M over one weight's n elements with that output's request (MXNet's multi kernels take req[0] for
// every output; the requests only differ where an executor skips an unread output).
template <typename M, typename Dev, typename... Args>
void launchWithReq(const OpContext& ctx, int64_t n, OpReq req, Args... args) {
  if (req == OpReq::kWriteTo || req == OpReq::kWriteInplace) {
    DeviceKernel<M, Dev>::launch(ctx.run.stream, n, kCost, args..., WriteReq{});
  } else if (req != OpReq::kNull) {
    DeviceKernel<M, Dev>::launch(ctx.run.stream, n, kCost, args..., static_cast<int>(req));
  }
}

// A parameter in compute type A, as MXNet casts it (a double goes through float unless A is double).
template <typename A> A paramAs(double x) {
  if constexpr (std::is_same_v<A, double>) return x;
  else return A(static_cast<float>(x));
}

// multi_sgd_update (kMom = false, kMP = false: inputs weight_i, grad_i), multi_sgd_mom_update (+ mom_i),
// their mp_ forms (+ weight32_i; mom_i float32) and, with kPreloaded, the preloaded_ forms whose last
// two inputs are the float32 lrs and wds arrays. One launch per weight: the weights have different
// sizes, and each runs in its own dtype.
template <typename Dev, typename P, bool kMom, bool kMP, bool kPreloaded>
void multiSgdUpdate(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const MultiSgdArgs a = attrs.get<P>().args();
  constexpr int kStride = 2 + (kMom ? 1 : 0) + (kMP ? 1 : 0);
  const float* lrs = kPreloaded ? in[static_cast<size_t>(a.num * kStride)].data<float>() : nullptr;
  const float* wds = kPreloaded ? in[static_cast<size_t>(a.num * kStride + 1)].data<float>() : nullptr;
  for (int k = 0; k < a.num; ++k) {
    const size_t base = static_cast<size_t>(k * kStride);
    const TBlob& weight = in[base];
    IST_TYPE_SWITCH_FLOAT(weight.dtype, T, nameOf(attrs), {
      using M = std::conditional_t<kMP, float, T>;  // MXNet's MPDType
      using A = ArithOf<M>;
      auto mom = [&] {
        if constexpr (kMom) return in[base + 2].data<M>();
        else return NoMom{};
      }();
      auto run = [&](auto rate) {
        const size_t kk = static_cast<size_t>(k);
        launchWithReq<MultiSgdMap, Dev>(ctx, weight.size(), req[kk], out[kk].data<T>(), weight.data<T>(),
                                        in[base + 1].data<T>(), mom, masterOf<kMP>(in, base + kStride - 1), rate,
                                        A(a.momentum), A(a.rescale), A(a.clip));
      };
      if constexpr (!kPreloaded) {
        run(TupleRate<A>{(*a.lrs)[static_cast<size_t>(k)], (*a.wds)[static_cast<size_t>(k)]});
      } else if constexpr (std::is_same_v<Dev, cpu>) {
        run(HostRate{lrs[k], wds[k]});  // read once: the loop then keeps them in registers
      } else {
        run(ArrayRate{lrs, wds, k});
      }
    });
  }
}

// ftml_update (weight, grad, d, v, z).
template <typename Dev>
void ftmlUpdate(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<FTMLParam>();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, nameOf(attrs), {
    using A = ArithOf<T>;
    const A beta1(p.beta1), beta2(p.beta2), t(static_cast<float>(p.t));
    // MXNet's power::Map(beta, t), per element there, is the same for every element: once here.
    const A corr1 = A(1.0f) - A(math::pow(valueOf(beta1), valueOf(t)));
    const A corr2 = A(1.0f) - A(math::pow(valueOf(beta2), valueOf(t)));
    launchWithReq<FtmlMap, Dev>(ctx, in[0].size(), req[0], out[0].data<T>(), in[0].data<T>(), in[1].data<T>(),
                                in[2].data<T>(), in[3].data<T>(), in[4].data<T>(), A(p.lr), beta1, beta2,
                                paramAs<A>(p.epsilon), A(p.wd), A(p.rescale_grad), A(p.clip_grad), corr1, corr2);
  });
}

// _multi_adamw_update (inputs weight_k, grad_k, mean_k, var_k, then rescale_grad of the weights'
// dtype) and _multi_mp_adamw_update (+ weight32_k; mean, var and rescale_grad float32).
template <typename Dev, bool kMP>
void multiAdamWUpdate(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<MultiAdamWParam>();
  constexpr int kStride = kMP ? 5 : 4;
  const TBlob& rescale = in[static_cast<size_t>(p.num_weights * kStride)];
  for (int k = 0; k < p.num_weights; ++k) {
    const size_t base = static_cast<size_t>(k * kStride);
    const TBlob& weight = in[base];
    IST_TYPE_SWITCH_FLOAT(weight.dtype, T, nameOf(attrs), {
      using M = std::conditional_t<kMP, float, T>;
      using A = ArithOf<M>;
      const size_t kk = static_cast<size_t>(k);
      auto run = [&](auto rs) {
        launchWithReq<MultiAdamWMap, Dev>(ctx, weight.size(), req[kk], out[kk].data<T>(), weight.data<T>(),
                                          in[base + 1].data<T>(), in[base + 2].data<M>(), in[base + 3].data<M>(),
                                          masterOf<kMP>(in, base + 4), rs, p.lrs[kk], p.wds[kk], p.etas[kk],
                                          A(p.beta1), A(p.beta2), A(p.epsilon), A(p.clip_gradient));
      };
      // The CPU reads rescale_grad once (a finite nonzero value goes to the Map as a CheckedRescale); the
      // GPU's Map reads it from the array.
      const M* rescaleArr = rescale.data<M>();
      if constexpr (std::is_same_v<Dev, cpu>) {
        const float r = rescaleValue(rescaleArr);
        if (skipRescale(r, rescaleArr)) run(rescaleArr);
        else run(CheckedRescale{r});
      } else {
        run(rescaleArr);
      }
    });
  }
}

// multi_lars (lrs, weights_sum_sq, grads_sum_sq, wds: float32 arrays of one shape).
template <typename Dev>
void multiLars(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<LARSParam>();
  launchWithReq<MultiLarsMap, Dev>(ctx, in[1].size(), req[0], out[0].data<float>(),
                                   static_cast<const float*>(in[0].data<float>()),
                                   static_cast<const float*>(in[1].data<float>()),
                                   static_cast<const float*>(in[2].data<float>()),
                                   static_cast<const float*>(in[3].data<float>()), p.eta, p.eps, p.rescale_grad);
}

// _multi_lamb_update (weight_k, grad_k, mean_k, var_k) and _multi_mp_lamb_update (+ weight32_k; mean,
// var float32): the direction of every weight into float32 scratch, the sums of squares of the weights
// and of the directions (multi_sum_sq's kernels), then the steps.
template <typename Dev, bool kMP>
void multiLambUpdate(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<MultiLAMBParam>();
  constexpr int kStride = kMP ? 5 : 4;
  const size_t num = static_cast<size_t>(p.num_tensors);
  ScratchLayout layout;
  std::vector<size_t> dirAt(num);
  for (size_t k = 0; k < num; ++k) dirAt[k] = layout.add<float>(in[k * kStride].size());
  const size_t sumsAt = layout.add<float>(static_cast<int64_t>(2 * num));
  TempSpace<Dev> tmp(ctx.run.stream, layout.bytes());
  float* sums = ScratchLayout::at<float>(tmp.get(), sumsAt);  // r1^2 of each weight, then r2^2
  std::vector<TBlob> weights(num), dirs(num);
  for (size_t k = 0; k < num; ++k) {
    weights[k] = in[k * kStride];
    dirs[k] = weights[k];
    dirs[k].dptr = ScratchLayout::at<float>(tmp.get(), dirAt[k]);
    dirs[k].dtype = DType::kFloat32;
  }
  auto sumSq = [&](const std::vector<TBlob>& xs, float* o) {
    TBlob r;
    r.dptr = o;
    r.shape = Shape{static_cast<int64_t>(num)};
    r.ctx = weights[0].ctx;
    finitedev::multiSumSqDev<Dev>(attrs, ctx, xs, {OpReq::kWriteTo}, {r});
  };
  sumSq(weights, sums);
  for (size_t k = 0; k < num; ++k) {
    const size_t base = k * kStride;
    IST_TYPE_SWITCH_FLOAT(in[base].dtype, T, nameOf(attrs), {
      using M = std::conditional_t<kMP, float, T>;
      using A = ArithOf<M>;
      const A beta1(p.beta1), beta2(p.beta2), t(static_cast<float>(p.step_count[k]));
      const A corr1 = A(1.0f) - A(math::pow(valueOf(beta1), valueOf(t)));
      const A corr2 = A(1.0f) - A(math::pow(valueOf(beta2), valueOf(t)));
      DeviceKernel<MultiLambDirMap, Dev>::launch(ctx.run.stream, in[base].size(), kCost, dirs[k].data<float>(),
                                                 in[base].data<T>(), in[base + 1].data<T>(), in[base + 2].data<M>(),
                                                 in[base + 3].data<M>(), masterOf<kMP>(in, base + 4), p.rescale_grad,
                                                 beta1, beta2, A(p.epsilon), p.wds[k],
                                                 A(p.clip_gradient), p.bias_correction, corr1, corr2);
    });
  }
  sumSq(dirs, sums + num);
  for (size_t k = 0; k < num; ++k) {
    const size_t base = k * kStride;
    IST_TYPE_SWITCH_FLOAT(in[base].dtype, T, nameOf(attrs), {
      const float* dir = dirs[k].data<float>();
      const float* sumSqW = sums + k;
      const float* sumSqDir = sums + num + k;
      launchWithReq<MultiLambStepMap, Dev>(ctx, in[base].size(), req[k], out[k].data<T>(), in[base].data<T>(), dir,
                                           masterOf<kMP>(in, base + 4), sumSqW, sumSqDir, p.learning_rates[k],
                                           p.lower_bound, p.upper_bound);
    });
  }
}

}  // namespace optim
}  // namespace ist
