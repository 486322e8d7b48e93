// The SGD family of fused updates: sgd_update, sgd_mom_update, nag_mom_update, their mp_ (float32
// master copy) forms, signsgd_update and signum_update. Each writes the new weight to its output
// (pass the weight itself as `out`, as MXNet's optimizers do) and updates its states in place.
// Not differentiable.
#include "op/registry.h"
#include "ops/optimizer/update_compute.h"
#include "ops/optimizer/update_infer.h"

namespace ist {
namespace optim {
namespace {

IST_REGISTER_OP(sgd_update)
    .describe("SGD step: weight = (1 - lr*wd) * weight - lr * clip(rescale_grad * grad, clip_gradient).\n\n"
              "Pass the weight as `out` to update it in place.")
    .inputs({"weight", "grad"})
    .params<SGDParam>()
    .inferShape(updateShape({}))
    .inferType(updateType({}))
    .inplace(0, 0)
    .compute(Context::kCPU, sgdUpdate<cpu, false>);

IST_REGISTER_OP(sgd_mom_update)
    .describe("SGD step with momentum: mom = momentum*mom - lr*wd*weight - lr*clip(rescale_grad*grad); "
              "weight += mom. The momentum state (the third input) is updated in place.")
    .inputs({"weight", "grad", "mom"})
    .params<SGDMomParam>()
    .mutateInputs({2})
    .inferShape(updateShape({}))
    .inferType(updateType({}))
    .inplace(0, 0)
    .compute(Context::kCPU, momUpdate<cpu, SgdMomMap, false>);

IST_REGISTER_OP(mp_sgd_update)
    .describe("Multi-precision sgd_update: the step is taken on the float32 master copy weight32 "
              "(updated in place) and its value cast to the weight's dtype (e.g. float16).")
    .inputs({"weight", "grad", "weight32"})
    .params<SGDParam>()
    .mutateInputs({2})
    .inferShape(updateShape({}))
    .inferType(updateType({{2}, {}, false}))
    .inplace(0, 0)
    .compute(Context::kCPU, sgdUpdate<cpu, true>);

IST_REGISTER_OP(mp_sgd_mom_update)
    .describe("Multi-precision sgd_mom_update: momentum and master copy weight32 are float32 and "
              "updated in place; the output gets the new weight in the weight's dtype.")
    .inputs({"weight", "grad", "mom", "weight32"})
    .params<SGDMomParam>()
    .mutateInputs({2, 3})
    .inferShape(updateShape({}))
    .inferType(updateType({{2, 3}, {}, false}))
    .inplace(0, 0)
    .compute(Context::kCPU, momUpdate<cpu, SgdMomMap, true>);

IST_REGISTER_OP(nag_mom_update)
    .describe("Nesterov momentum step: with g = clip(rescale_grad*grad) + wd*weight, "
              "mom = momentum*mom - lr*g and weight += momentum*mom - lr*g (mom updated in place).")
    .inputs({"weight", "grad", "mom"})
    .params<SGDMomParam>()
    .mutateInputs({2})
    .inferShape(updateShape({}))
    .inferType(updateType({}))
    .inplace(0, 0)
    .compute(Context::kCPU, momUpdate<cpu, NagMomMap, false>);

IST_REGISTER_OP(mp_nag_mom_update)
    .describe("Multi-precision nag_mom_update: momentum and master copy weight32 are float32 and "
              "updated in place; the output gets the new weight in the weight's dtype.")
    .inputs({"weight", "grad", "mom", "weight32"})
    .params<SGDMomParam>()
    .mutateInputs({2, 3})
    .inferShape(updateShape({}))
    .inferType(updateType({{2, 3}, {}, false}))
    .inplace(0, 0)
    .compute(Context::kCPU, momUpdate<cpu, NagMomMap, true>);

IST_REGISTER_OP(signsgd_update)
    .describe("signSGD step: weight = (1 - lr*wd) * weight - lr * sign(grad) (rescale_grad and "
              "clip_gradient cannot change a sign, so they have no effect).")
    .inputs({"weight", "grad"})
    .params<SGDParam>()
    .inferShape(updateShape({}))
    .inferType(updateType({}))
    .inplace(0, 0)
    .compute(Context::kCPU, signSgdUpdate<cpu>);

IST_REGISTER_OP(signum_update)
    .describe("Signum step: mom = momentum*mom - (1-momentum)*(wd*weight + clip(rescale_grad*grad)); "
              "weight = (1 - lr*wd_lh) * weight + lr * sign(mom) (mom updated in place).")
    .inputs({"weight", "grad", "mom"})
    .params<SignumParam>()
    .mutateInputs({2})
    .inferShape(updateShape({}))
    .inferType(updateType({}))
    .inplace(0, 0)
    .compute(Context::kCPU, signumUpdate<cpu>);

}  // namespace
}  // namespace optim
}  // namespace ist
