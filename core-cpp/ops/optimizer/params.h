// Parameter structs of the fused optimizer updates (MXNet's names, defaults and float types, so
// symbol JSON and imperative calls read the same attributes as MXNet 1.9's optimizer_op).
#pragma once
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

}  // namespace optim
}  // namespace ist
