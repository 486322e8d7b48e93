// ftml_update: MXNet 1.9's FTML step ("Follow the Moving Leader", Zheng & Kwok 2017). The states d, v
// and z are updated in place; the weight goes to the output (pass the weight as `out`). The arithmetic
// is MXNet's kernel's, in the weight's dtype (float16 rounding every operation). Not differentiable.
#include "op/registry.h"
#include "ops/optimizer/update_compute.h"
#include "ops/optimizer/update_infer.h"

namespace ist {
namespace optim {
namespace {

IST_REGISTER_OP(ftml_update)
    .describe("FTML step: g = clip(rescale_grad*grad + wd*weight, clip_grad); v = beta2*v + (1-beta2)*g^2; "
              "d_t = (1 - beta1^t) / lr * (sqrt(v / (1 - beta2^t)) + epsilon); "
              "z = beta1*z + (1-beta1)*g - (d_t - beta1*d)*weight; d = d_t; weight = -z / d_t "
              "(d, v and z updated in place).")
    .inputs({"weight", "grad", "d", "v", "z"})
    .params<FTMLParam>()
    .mutateInputs({2, 3, 4})
    .inferShape(updateShape({}))
    .inferType(updateType({}))
    .inplace(0, 0)
    .compute(Context::kCPU, ftmlUpdate<cpu>);

}  // namespace
}  // namespace optim
}  // namespace ist
