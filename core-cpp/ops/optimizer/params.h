// Parameter structs of the fused optimizer updates (MXNet's names, defaults and float types, so
// symbol JSON and imperative calls read the same attributes as MXNet 1.9's optimizer_op).
#pragma once
#include <string>
#include <utility>
#include <vector>
#include "op/float_tuple.h"
#include "op/params.h"

namespace ist {
namespace optim {

// The fields almost every update shares. MXNet's convention: clip_gradient < 0 disables clipping
// (0 clips every gradient to zero; the TS optimizers pass it only when set and non-zero).
template <typename P>
void declareCommon(ParamDecl<P>& d, float P::*wd, float P::*rescale, float P::*clip) {
  d.field("wd", wd).setDefault(0.0f)
      .doc("Weight decay: an L2 penalty on the weights, scaled by the learning rate.");
  d.field("rescale_grad", rescale).setDefault(1.0f)
      .doc("Multiplies the gradient before anything else (often 1 / batch_size).");
  d.field("clip_gradient", clip).setDefault(-1.0f)
      .doc("Clips the rescaled gradient to [-clip_gradient, clip_gradient]; negative: no clipping.");
}

// sgd_update, mp_sgd_update, signsgd_update.
struct SGDParam {
  float lr, wd, rescale_grad, clip_gradient;
  bool lazy_update;
  static void declare(ParamDecl<SGDParam>& d) {
    d.field("lr", &SGDParam::lr).doc("Learning rate.");
    declareCommon(d, &SGDParam::wd, &SGDParam::rescale_grad, &SGDParam::clip_gradient);
    d.field("lazy_update", &SGDParam::lazy_update).setDefault(true)
        .doc("Row-sparse lazy updates in MXNet; every array here is dense, so it has no effect.");
  }
};

// sgd_mom_update, mp_sgd_mom_update, nag_mom_update, mp_nag_mom_update.
struct SGDMomParam {
  float lr, momentum, wd, rescale_grad, clip_gradient;
  bool lazy_update;
  static void declare(ParamDecl<SGDMomParam>& d) {
    d.field("lr", &SGDMomParam::lr).doc("Learning rate.");
    d.field("momentum", &SGDMomParam::momentum).setDefault(0.0f)
        .doc("Decay of the momentum state at each step.");
    declareCommon(d, &SGDMomParam::wd, &SGDMomParam::rescale_grad, &SGDMomParam::clip_gradient);
    d.field("lazy_update", &SGDMomParam::lazy_update).setDefault(true)
        .doc("Row-sparse lazy updates in MXNet; every array here is dense, so it has no effect.");
  }
};

// signum_update.
struct SignumParam {
  float lr, momentum, wd, rescale_grad, clip_gradient, wd_lh;
  static void declare(ParamDecl<SignumParam>& d) {
    d.field("lr", &SignumParam::lr).doc("Learning rate.");
    d.field("momentum", &SignumParam::momentum).setDefault(0.0f)
        .doc("Decay of the momentum state at each step.");
    declareCommon(d, &SignumParam::wd, &SignumParam::rescale_grad, &SignumParam::clip_gradient);
    d.field("wd_lh", &SignumParam::wd_lh).setDefault(0.0f)
        .doc("Decoupled weight decay (Loshchilov & Hutter): weight *= 1 - lr * wd_lh.");
  }
};

// adam_update.
struct AdamParam {
  float lr, beta1, beta2, epsilon, wd, rescale_grad, clip_gradient;
  bool lazy_update;
  static void declare(ParamDecl<AdamParam>& d) {
    d.field("lr", &AdamParam::lr).doc("Learning rate (bias corrections are folded in by the caller).");
    d.field("beta1", &AdamParam::beta1).setDefault(0.9f).doc("Decay of the first-moment estimate.");
    d.field("beta2", &AdamParam::beta2).setDefault(0.999f).doc("Decay of the second-moment estimate.");
    d.field("epsilon", &AdamParam::epsilon).setDefault(1e-8f).doc("Added to sqrt(var) in the denominator.");
    declareCommon(d, &AdamParam::wd, &AdamParam::rescale_grad, &AdamParam::clip_gradient);
    d.field("lazy_update", &AdamParam::lazy_update).setDefault(true)
        .doc("Row-sparse lazy updates in MXNet; every array here is dense, so it has no effect.");
  }
};

// _adamw_update, _mp_adamw_update (rescale_grad is an input array there, not a parameter).
struct AdamWParam {
  float lr, beta1, beta2, epsilon, wd, eta, clip_gradient;
  static void declare(ParamDecl<AdamWParam>& d) {
    d.field("lr", &AdamWParam::lr).doc("Learning rate of the Adam step (multiplied by eta).");
    d.field("beta1", &AdamWParam::beta1).setDefault(0.9f).doc("Decay of the first-moment estimate.");
    d.field("beta2", &AdamWParam::beta2).setDefault(0.999f).doc("Decay of the second-moment estimate.");
    d.field("epsilon", &AdamWParam::epsilon).setDefault(1e-8f).doc("Added to sqrt(var) in the denominator.");
    d.field("wd", &AdamWParam::wd).setDefault(0.0f)
        .doc("Decoupled weight decay: eta * wd * weight is subtracted, apart from the Adam step.");
    d.field("eta", &AdamWParam::eta).doc("Schedule multiplier of the whole step (decay included).");
    d.field("clip_gradient", &AdamWParam::clip_gradient).setDefault(-1.0f)
        .doc("Clips the rescaled gradient to [-clip_gradient, clip_gradient]; negative: no clipping.");
  }
};

// rmsprop_update.
struct RMSPropParam {
  float lr, gamma1, epsilon, wd, rescale_grad, clip_gradient, clip_weights;
  static void declare(ParamDecl<RMSPropParam>& d) {
    d.field("lr", &RMSPropParam::lr).doc("Learning rate.");
    d.field("gamma1", &RMSPropParam::gamma1).setDefault(0.95f)
        .doc("Decay of the running mean of squared gradients.");
    d.field("epsilon", &RMSPropParam::epsilon).setDefault(1e-8f).doc("Added inside the square root.");
    declareCommon(d, &RMSPropParam::wd, &RMSPropParam::rescale_grad, &RMSPropParam::clip_gradient);
    d.field("clip_weights", &RMSPropParam::clip_weights).setDefault(-1.0f)
        .doc("Clips the updated weights to [-clip_weights, clip_weights]; negative: no clipping.");
  }
};

// rmspropalex_update (Graves' centered RMSProp with momentum).
struct RMSPropAlexParam {
  float lr, gamma1, gamma2, epsilon, wd, rescale_grad, clip_gradient, clip_weights;
  static void declare(ParamDecl<RMSPropAlexParam>& d) {
    d.field("lr", &RMSPropAlexParam::lr).doc("Learning rate.");
    d.field("gamma1", &RMSPropAlexParam::gamma1).setDefault(0.95f)
        .doc("Decay of the running means of the gradient and its square.");
    d.field("gamma2", &RMSPropAlexParam::gamma2).setDefault(0.9f).doc("Momentum of the step.");
    d.field("epsilon", &RMSPropAlexParam::epsilon).setDefault(1e-8f).doc("Added inside the square root.");
    declareCommon(d, &RMSPropAlexParam::wd, &RMSPropAlexParam::rescale_grad, &RMSPropAlexParam::clip_gradient);
    d.field("clip_weights", &RMSPropAlexParam::clip_weights).setDefault(-1.0f)
        .doc("Clips the updated weights to [-clip_weights, clip_weights]; negative: no clipping.");
  }
};

// ftrl_update.
struct FtrlParam {
  float lr, lamda1, beta, wd, rescale_grad, clip_gradient;
  static void declare(ParamDecl<FtrlParam>& d) {
    d.field("lr", &FtrlParam::lr).doc("Learning rate.");
    d.field("lamda1", &FtrlParam::lamda1).setDefault(0.01f).doc("L1 regularisation strength.");
    d.field("beta", &FtrlParam::beta).setDefault(1.0f).doc("Per-coordinate learning-rate offset.");
    declareCommon(d, &FtrlParam::wd, &FtrlParam::rescale_grad, &FtrlParam::clip_gradient);
  }
};

// adagrad_update (alias _sparse_adagrad_update; dense arrays here).
struct AdagradParam {
  float lr, epsilon, wd, rescale_grad, clip_gradient;
  static void declare(ParamDecl<AdagradParam>& d) {
    d.field("lr", &AdagradParam::lr).doc("Learning rate.");
    d.field("epsilon", &AdagradParam::epsilon).setDefault(1e-7f)
        .doc("Added to the history inside the square root.");
    declareCommon(d, &AdagradParam::wd, &AdagradParam::rescale_grad, &AdagradParam::clip_gradient);
  }
};

// adadelta_update (no MXNet op of this name: MXNet's AdaDelta composes small ops).
struct AdadeltaParam {
  float lr, rho, epsilon, wd, rescale_grad, clip_gradient;
  static void declare(ParamDecl<AdadeltaParam>& d) {
    d.field("lr", &AdadeltaParam::lr).setDefault(1.0f).doc("Learning rate (scales the AdaDelta step).");
    d.field("rho", &AdadeltaParam::rho).setDefault(0.9f)
        .doc("Decay of the running means of squared gradients and squared steps.");
    d.field("epsilon", &AdadeltaParam::epsilon).setDefault(1e-5f).doc("Added inside both square roots.");
    declareCommon(d, &AdadeltaParam::wd, &AdadeltaParam::rescale_grad, &AdadeltaParam::clip_gradient);
  }
};

// lamb_update_phase1, mp_lamb_update_phase1.
struct LambPhase1Param {
  float beta1, beta2, epsilon;
  int t;
  bool bias_correction;
  float wd, rescale_grad, clip_gradient;
  static void declare(ParamDecl<LambPhase1Param>& d) {
    d.field("beta1", &LambPhase1Param::beta1).setDefault(0.9f).doc("Decay of the first-moment estimate.");
    d.field("beta2", &LambPhase1Param::beta2).setDefault(0.999f).doc("Decay of the second-moment estimate.");
    d.field("epsilon", &LambPhase1Param::epsilon).setDefault(1e-6f).doc("Added to sqrt(var) in the denominator.");
    d.field("t", &LambPhase1Param::t).doc("This weight's update count (1 at the first step).");
    d.field("bias_correction", &LambPhase1Param::bias_correction).setDefault(true)
        .doc("Divide the moments by 1 - beta^t.");
    d.field("wd", &LambPhase1Param::wd).doc("Weight decay added to the direction: g += wd * weight.");
    d.field("rescale_grad", &LambPhase1Param::rescale_grad).setDefault(1.0f)
        .doc("Multiplies the gradient before anything else (often 1 / batch_size).");
    d.field("clip_gradient", &LambPhase1Param::clip_gradient).setDefault(-1.0f)
        .doc("Clips the rescaled gradient to [-clip_gradient, clip_gradient]; negative: no clipping.");
  }
};

// lamb_update_phase2, mp_lamb_update_phase2.
struct LambPhase2Param {
  float lr, lower_bound, upper_bound;
  static void declare(ParamDecl<LambPhase2Param>& d) {
    d.field("lr", &LambPhase2Param::lr).doc("Learning rate.");
    d.field("lower_bound", &LambPhase2Param::lower_bound).setDefault(-1.0f)
        .doc("Lower limit of the weight norm r1; negative: none.");
    d.field("upper_bound", &LambPhase2Param::upper_bound).setDefault(-1.0f)
        .doc("Upper limit of the weight norm r1; negative: none.");
  }
};

// ---- The multi-weight updates (multi_*_update, preloaded_multi_*_update) ----

// Most weights one multi-weight call takes. MXNet's kernels hold up to 60 per call (its parameter
// struct's arrays); the registry's static lists of mutated inputs and in-place pairs cover this many.
constexpr int kMaxMultiWeights = 256;

template <typename P>
void declareNumWeights(ParamDecl<P>& d, int P::*num) {
  d.field("num_weights", num).setDefault(1).range(1, kMaxMultiWeights)
      .doc("Number of updated weights: the inputs are that many groups (weight, grad, states...).");
}
template <typename P>
void declareMultiRates(ParamDecl<P>& d, FloatTuple P::*lrs, FloatTuple P::*wds) {
  d.field("lrs", lrs).doc("Learning rates, one per weight.");
  d.field("wds", wds).doc("Weight decays, one per weight (lr*wd*weight is subtracted).");
}
template <typename P>
void declareMultiTail(ParamDecl<P>& d, float P::*rescale, float P::*clip, int P::*num) {
  d.field("rescale_grad", rescale).setDefault(1.0f)
      .doc("Multiplies the gradient before anything else (often 1 / batch_size).");
  d.field("clip_gradient", clip).setDefault(-1.0f)
      .doc("Clips the rescaled gradient to [-clip_gradient, clip_gradient]; negative: no clipping.");
  declareNumWeights(d, num);
}

// The per-call values of the multi-SGD family, whichever of the four parameter structs holds them.
struct MultiSgdArgs {
  int num = 1;
  float momentum = 0.0f, rescale = 1.0f, clip = -1.0f;
  const FloatTuple* lrs = nullptr;  // null for the preloaded_ ops (lrs and wds are input arrays)
  const FloatTuple* wds = nullptr;
};

// multi_sgd_update, multi_mp_sgd_update.
struct MultiSGDParam {
  FloatTuple lrs, wds;
  float rescale_grad, clip_gradient;
  int num_weights;
  static void declare(ParamDecl<MultiSGDParam>& d) {
    declareMultiRates(d, &MultiSGDParam::lrs, &MultiSGDParam::wds);
    declareMultiTail(d, &MultiSGDParam::rescale_grad, &MultiSGDParam::clip_gradient, &MultiSGDParam::num_weights);
  }
  MultiSgdArgs args() const { return {num_weights, 0.0f, rescale_grad, clip_gradient, &lrs, &wds}; }
  int count() const { return num_weights; }
  std::vector<std::pair<const char*, size_t>> tuples() const { return {{"lrs", lrs.size()}, {"wds", wds.size()}}; }
};

// multi_sgd_mom_update, multi_mp_sgd_mom_update.
struct MultiSGDMomParam {
  FloatTuple lrs, wds;
  float momentum, rescale_grad, clip_gradient;
  int num_weights;
  static void declare(ParamDecl<MultiSGDMomParam>& d) {
    declareMultiRates(d, &MultiSGDMomParam::lrs, &MultiSGDMomParam::wds);
    d.field("momentum", &MultiSGDMomParam::momentum).setDefault(0.0f)
        .doc("Decay of the momentum states at each step.");
    declareMultiTail(d, &MultiSGDMomParam::rescale_grad, &MultiSGDMomParam::clip_gradient,
                     &MultiSGDMomParam::num_weights);
  }
  MultiSgdArgs args() const { return {num_weights, momentum, rescale_grad, clip_gradient, &lrs, &wds}; }
  int count() const { return num_weights; }
  std::vector<std::pair<const char*, size_t>> tuples() const { return {{"lrs", lrs.size()}, {"wds", wds.size()}}; }
};

// preloaded_multi_sgd_update, preloaded_multi_mp_sgd_update (lrs and wds are the last two inputs).
struct PreloadedMultiSGDParam {
  float rescale_grad, clip_gradient;
  int num_weights;
  static void declare(ParamDecl<PreloadedMultiSGDParam>& d) {
    declareMultiTail(d, &PreloadedMultiSGDParam::rescale_grad, &PreloadedMultiSGDParam::clip_gradient,
                     &PreloadedMultiSGDParam::num_weights);
  }
  MultiSgdArgs args() const { return {num_weights, 0.0f, rescale_grad, clip_gradient, nullptr, nullptr}; }
  int count() const { return num_weights; }
  std::vector<std::pair<const char*, size_t>> tuples() const { return {}; }
};

// preloaded_multi_sgd_mom_update, preloaded_multi_mp_sgd_mom_update.
struct PreloadedMultiSGDMomParam {
  float momentum, rescale_grad, clip_gradient;
  int num_weights;
  static void declare(ParamDecl<PreloadedMultiSGDMomParam>& d) {
    d.field("momentum", &PreloadedMultiSGDMomParam::momentum).setDefault(0.0f)
        .doc("Decay of the momentum states at each step.");
    declareMultiTail(d, &PreloadedMultiSGDMomParam::rescale_grad, &PreloadedMultiSGDMomParam::clip_gradient,
                     &PreloadedMultiSGDMomParam::num_weights);
  }
  MultiSgdArgs args() const { return {num_weights, momentum, rescale_grad, clip_gradient, nullptr, nullptr}; }
  int count() const { return num_weights; }
  std::vector<std::pair<const char*, size_t>> tuples() const { return {}; }
};

// ftml_update. MXNet names the clipping bound clip_grad here, and epsilon is a double whose default
// is the float 1e-8f.
struct FTMLParam {
  float lr, beta1, beta2;
  double epsilon;
  int t;
  float wd, rescale_grad, clip_grad;
  static void declare(ParamDecl<FTMLParam>& d) {
    d.field("lr", &FTMLParam::lr).doc("Learning rate.");
    d.field("beta1", &FTMLParam::beta1).setDefault(0.6f).range(0.0, 1.0).doc("Decay of z (generally close to 0.5).");
    d.field("beta2", &FTMLParam::beta2).setDefault(0.999f).range(0.0, 1.0)
        .doc("Decay of v, the running mean of squared gradients (generally close to 1).");
    d.field("epsilon", &FTMLParam::epsilon).setDefault(static_cast<double>(1e-8f))
        .doc("Added to the square root in d, against division by zero.");
    d.field("t", &FTMLParam::t).doc("This weight's update count (1 at the first step).");
    d.field("wd", &FTMLParam::wd).setDefault(0.0f)
        .doc("Weight decay: wd*weight is added to the rescaled gradient (before clipping).");
    d.field("rescale_grad", &FTMLParam::rescale_grad).setDefault(1.0f)
        .doc("Multiplies the gradient before anything else (often 1 / batch_size).");
    d.field("clip_grad", &FTMLParam::clip_grad).setDefault(-1.0f)
        .doc("Clips rescale_grad*grad + wd*weight to [-clip_grad, clip_grad]; negative: no clipping.");
  }
};

// _multi_adamw_update, _multi_mp_adamw_update (rescale_grad is the last input array).
struct MultiAdamWParam {
  FloatTuple lrs;
  float beta1, beta2, epsilon;
  FloatTuple wds, etas;
  float clip_gradient;
  int num_weights;
  static void declare(ParamDecl<MultiAdamWParam>& d) {
    d.field("lrs", &MultiAdamWParam::lrs).doc("Learning rates of the Adam steps, one per weight.");
    d.field("beta1", &MultiAdamWParam::beta1).setDefault(0.9f).doc("Decay of the first-moment estimates.");
    d.field("beta2", &MultiAdamWParam::beta2).setDefault(0.999f).doc("Decay of the second-moment estimates.");
    d.field("epsilon", &MultiAdamWParam::epsilon).setDefault(1e-8f).doc("Added to sqrt(var) in the denominator.");
    d.field("wds", &MultiAdamWParam::wds)
        .doc("Decoupled weight decays, one per weight: eta * wd * weight is subtracted.");
    d.field("etas", &MultiAdamWParam::etas).doc("Schedule multipliers of each weight's whole step.");
    d.field("clip_gradient", &MultiAdamWParam::clip_gradient).setDefault(-1.0f)
        .doc("Clips the rescaled gradient to [-clip_gradient, clip_gradient]; negative: no clipping.");
    declareNumWeights(d, &MultiAdamWParam::num_weights);
  }
  int count() const { return num_weights; }
  std::vector<std::pair<const char*, size_t>> tuples() const {
    return {{"lrs", lrs.size()}, {"wds", wds.size()}, {"etas", etas.size()}};
  }
};

// multi_lars.
struct LARSParam {
  float eta, eps, rescale_grad;
  static void declare(ParamDecl<LARSParam>& d) {
    d.field("eta", &LARSParam::eta).doc("LARS eta: the trust coefficient.");
    d.field("eps", &LARSParam::eps).doc("LARS eps: added to the denominator.");
    d.field("rescale_grad", &LARSParam::rescale_grad).setDefault(1.0f)
        .doc("Rescales the gradients' norms (the factor their sums of squares were taken before).");
  }
};

// _multi_lamb_update, _multi_mp_lamb_update (MXNet counts the weights in num_tensors here).
struct MultiLAMBParam {
  FloatTuple learning_rates;
  float beta1, beta2, epsilon;
  FloatTuple wds;
  float rescale_grad, lower_bound, upper_bound, clip_gradient;
  bool bias_correction;
  Shape step_count;  // MXNet's Tuple<int>
  int num_tensors;
  static void declare(ParamDecl<MultiLAMBParam>& d) {
    d.field("learning_rates", &MultiLAMBParam::learning_rates).doc("Learning rates, one per weight.");
    d.field("beta1", &MultiLAMBParam::beta1).setDefault(0.9f).doc("Decay of the first-moment estimates.");
    d.field("beta2", &MultiLAMBParam::beta2).setDefault(0.999f).doc("Decay of the second-moment estimates.");
    d.field("epsilon", &MultiLAMBParam::epsilon).setDefault(1e-6f).doc("Added to sqrt(var) in the denominator.");
    d.field("wds", &MultiLAMBParam::wds).doc("Weight decays, one per weight (wd * weight joins the direction).");
    d.field("rescale_grad", &MultiLAMBParam::rescale_grad).setDefault(1.0f)
        .doc("Multiplies the gradient before anything else (often 1 / batch_size).");
    d.field("lower_bound", &MultiLAMBParam::lower_bound).setDefault(-1.0f)
        .doc("Lower limit of the weight norm r1; negative: none.");
    d.field("upper_bound", &MultiLAMBParam::upper_bound).setDefault(-1.0f)
        .doc("Upper limit of the weight norm r1; negative: none.");
    d.field("clip_gradient", &MultiLAMBParam::clip_gradient).setDefault(-1.0f)
        .doc("Clips the rescaled gradient to [-clip_gradient, clip_gradient]; negative: no clipping.");
    d.field("bias_correction", &MultiLAMBParam::bias_correction).setDefault(true)
        .doc("Divide the moments by 1 - beta^t.");
    d.field("step_count", &MultiLAMBParam::step_count).doc("Each weight's update count t (1 at the first step).");
    d.field("num_tensors", &MultiLAMBParam::num_tensors).setDefault(1).range(1, 45)
        .doc("Number of updated weights (at most 45, as in MXNet).");
  }
  int count() const { return num_tensors; }
  std::vector<std::pair<const char*, size_t>> tuples() const {
    return {{"learning_rates", learning_rates.size()}, {"wds", wds.size()}, {"step_count", step_count.size()}};
  }
};

}  // namespace optim
}  // namespace ist
