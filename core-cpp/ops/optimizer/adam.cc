// The Adam family of fused updates: adam_update, _adamw_update and _mp_adamw_update, and LAMB's two
// phases (lamb_update_phase1/2 and their mp_ forms). Moments and master copies are updated in
// place; the weight goes to the output (pass the weight as `out`). Not differentiable.
#include "op/registry.h"
#include "ops/optimizer/update_compute.h"
#include "ops/optimizer/update_infer.h"

namespace ist {
namespace optim {
namespace {

IST_REGISTER_OP(adam_update)
    .describe("Adam step: g = clip(rescale_grad*grad + wd*weight); mean = beta1*mean + (1-beta1)*g; "
              "var = beta2*var + (1-beta2)*g^2; weight -= lr * mean / (sqrt(var) + epsilon). Bias "
              "correction is folded into lr by the caller (mean and var updated in place).")
    .inputs({"weight", "grad", "mean", "var"})
    .params<AdamParam>()
    .mutateInputs({2, 3})
    .inferShape(updateShape({}))
    .inferType(updateType({}))
    .inplace(0, 0)
    .compute(Context::kCPU, adamUpdate<cpu>);

IST_REGISTER_OP(_adamw_update)
    .describe("AdamW step (decoupled weight decay): g = clip(rescale_grad*grad); the moments update as "
              "in adam_update; weight -= eta * (lr * mean / (sqrt(var) + epsilon) + wd * weight). "
              "rescale_grad is a one-element float32 array; when it is 0, NaN or infinite the step is "
              "skipped.")
    .inputs({"weight", "grad", "mean", "var", "rescale_grad"})
    .params<AdamWParam>()
    .mutateInputs({2, 3})
    .inferShape(updateShape({{}, {4}, false}))
    .inferType(updateType({{4}, {4}, false}))
    .inplace(0, 0)
    .compute(Context::kCPU, adamWUpdate<cpu, false>);

IST_REGISTER_OP(_mp_adamw_update)
    .describe("Multi-precision _adamw_update: mean, var and the master copy weight32 are float32 and "
              "updated in place; the output gets the new weight in the weight's dtype.")
    .inputs({"weight", "grad", "mean", "var", "weight32", "rescale_grad"})
    .params<AdamWParam>()
    .mutateInputs({2, 3, 4})
    .inferShape(updateShape({{}, {5}, false}))
    .inferType(updateType({{2, 3, 4, 5}, {5}, false}))
    .inplace(0, 0)
    .compute(Context::kCPU, adamWUpdate<cpu, true>);

IST_REGISTER_OP(lamb_update_phase1)
    .describe("LAMB, phase 1: updates mean and var in place as Adam does (g = clip(rescale_grad*grad)) "
              "and returns the direction mean^ / (sqrt(var^) + epsilon) + wd*weight, with bias-corrected "
              "moments when bias_correction. Phase 2 takes it with the norms of weight and direction.")
    .inputs({"weight", "grad", "mean", "var"})
    .params<LambPhase1Param>()
    .mutateInputs({2, 3})
    .inferShape(updateShape({}))
    .inferType(updateType({}))
    .compute(Context::kCPU, lambPhase1<cpu, false>);

IST_REGISTER_OP(lamb_update_phase2)
    .describe("LAMB, phase 2: weight -= lr * (r1 / r2) * g, where r1 = ||weight|| (clamped to "
              "[lower_bound, upper_bound] when those are >= 0) and r2 = ||g|| are one-element arrays; "
              "the ratio is 1 when either norm is 0.")
    .inputs({"weight", "g", "r1", "r2"})
    .params<LambPhase2Param>()
    .inferShape(updateShape({{}, {2, 3}, false}))
    .inferType(updateType({}))
    .inplace(0, 0)
    .compute(Context::kCPU, lambPhase2<cpu, false>);

IST_REGISTER_OP(mp_lamb_update_phase1)
    .describe("Multi-precision lamb_update_phase1: mean, var and the master copy weight32 are float32; "
              "returns the float32 direction.")
    .inputs({"weight", "grad", "mean", "var", "weight32"})
    .params<LambPhase1Param>()
    .mutateInputs({2, 3})
    .inferShape(updateShape({}))
    .inferType(updateType({{2, 3, 4}, {}, true}))
    .compute(Context::kCPU, lambPhase1<cpu, true>);

IST_REGISTER_OP(mp_lamb_update_phase2)
    .describe("Multi-precision lamb_update_phase2: the step is taken on the float32 master copy weight32 "
              "(updated in place); g, r1 and r2 are float32.")
    .inputs({"weight", "g", "r1", "r2", "weight32"})
    .params<LambPhase2Param>()
    .mutateInputs({4})
    .inferShape(updateShape({{}, {2, 3}, false}))
    .inferType(updateType({{1, 2, 3, 4}, {}, false}))
    .inplace(0, 0)
    .compute(Context::kCPU, lambPhase2<cpu, true>);

}  // namespace
}  // namespace optim
}  // namespace ist
