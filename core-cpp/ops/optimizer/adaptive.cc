// Per-coordinate adaptive fused updates: rmsprop_update, rmspropalex_update (centered), ftrl_update,
// adagrad_update (alias _sparse_adagrad_update, dense here) and adadelta_update. States are
// updated in place; the weight goes to the output (pass the weight as `out`). Not differentiable.
#include "op/registry.h"
#include "ops/optimizer/update_compute.h"
#include "ops/optimizer/update_infer.h"

namespace ist {
namespace optim {
namespace {

IST_REGISTER_OP(rmsprop_update)
    .describe("RMSProp step (Tieleman & Hinton): g = clip(rescale_grad*grad + wd*weight); "
              "n = (1-gamma1)*g^2 + gamma1*n; weight -= lr * g / sqrt(n + epsilon), then clipped to "
              "+-clip_weights when that is >= 0 (n updated in place).")
    .inputs({"weight", "grad", "n"})
    .params<RMSPropParam>()
    .mutateInputs({2})
    .inferShape(updateShape({}))
    .inferType(updateType({}))
    .inplace(0, 0)
    .compute(Context::kCPU, rmspropUpdate<cpu>);

IST_REGISTER_OP(rmspropalex_update)
    .describe("Centered RMSProp step (Graves 2013): n and g hold running means of g'^2 and g' "
              "(g' = clip(rescale_grad*grad + wd*weight)); delta = gamma2*delta - lr*g' / "
              "sqrt(n - g^2 + epsilon); weight += delta (n, g, delta updated in place).")
    .inputs({"weight", "grad", "n", "g", "delta"})
    .params<RMSPropAlexParam>()
    .mutateInputs({2, 3, 4})
    .inferShape(updateShape({}))
    .inferType(updateType({}))
    .inplace(0, 0)
    .compute(Context::kCPU, rmspropAlexUpdate<cpu>);

IST_REGISTER_OP(ftrl_update)
    .describe("FTRL-proximal step: with g = clip(rescale_grad*grad), z += g - (sqrt(n + g^2) - sqrt(n)) "
              "* weight / lr and n += g^2; weight = (sign(z)*lamda1 - z) / ((beta + sqrt(n)) / lr + wd) "
              "where |z| > lamda1, else 0 (z and n updated in place).")
    .inputs({"weight", "grad", "z", "n"})
    .params<FtrlParam>()
    .mutateInputs({2, 3})
    .inferShape(updateShape({}))
    .inferType(updateType({}))
    .inplace(0, 0)
    .compute(Context::kCPU, ftrlUpdate<cpu>);

IST_REGISTER_OP(adagrad_update)
    .alias("_sparse_adagrad_update")
    .describe("AdaGrad step: g = clip(rescale_grad*grad); history += g^2; "
              "weight -= lr * (g / sqrt(history + epsilon) + wd*weight) (history updated in place).")
    .inputs({"weight", "grad", "history"})
    .params<AdagradParam>()
    .mutateInputs({2})
    .inferShape(updateShape({}))
    .inferType(updateType({}))
    .inplace(0, 0)
    .compute(Context::kCPU, adagradUpdate<cpu>);

IST_REGISTER_OP(adadelta_update)
    .describe("AdaDelta step: g = clip(rescale_grad*grad) + wd*weight; acc_g = rho*acc_g + (1-rho)*g^2; "
              "d = sqrt(acc_delta + epsilon) / sqrt(acc_g + epsilon) * g; acc_delta = rho*acc_delta + "
              "(1-rho)*d^2; weight -= lr * d (acc_g and acc_delta updated in place).")
    .inputs({"weight", "grad", "acc_g", "acc_delta"})
    .params<AdadeltaParam>()
    .mutateInputs({2, 3})
    .inferShape(updateShape({}))
    .inferType(updateType({}))
    .inplace(0, 0)
    .compute(Context::kCPU, adadeltaUpdate<cpu>);

}  // namespace
}  // namespace optim
}  // namespace ist
