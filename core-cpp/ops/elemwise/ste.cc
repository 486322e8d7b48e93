// _contrib_round_ste and _contrib_sign_ste (MXNet contrib/stes_op): round / sign forward, with the
// straight-through estimator's gradient: the output gradient passes back unchanged.
#include "graph/node.h"
#include "ops/elemwise/compute.h"
#include "ops/elemwise/register.h"

namespace ist {
namespace elem {
namespace ste {
namespace {

// d/dx = 1, so the input gradient is the output gradient itself (as _copy's).
std::vector<NodeEntry> passThrough(const NodePtr&, const std::vector<NodeEntry>& og) { return {og[0]}; }

[[maybe_unused]] Op& kRoundSte =
    restrictDTypes(addUnaryOp("_contrib_round_ste", {},
                              "Straight-through estimator of round(): the forward pass rounds to the nearest "
                              "integer (halves away from zero), the backward pass passes the gradient through "
                              "unchanged (d/dx = 1 instead of round's 0). Useful for quantized training.\n\n"
                              "Example: round_ste([-1.5, 1.5, -1.9, 1.9, 2.7]) = [-2, 2, -2, 2, 3], gradient [1, 1, 1, 1, 1]",
                              &unaryCompute<cpu, elem::round, kNumericTypes>),
                   kNumericTypes)
        .gradient(passThrough);

[[maybe_unused]] Op& kSignSte =
    restrictDTypes(addUnaryOp("_contrib_sign_ste", {},
                              "Straight-through estimator of sign(): the forward pass gives the element-wise "
                              "sign (-1, 0 or 1), the backward pass passes the gradient through unchanged "
                              "(d/dx = 1 instead of sign's 0). Useful for quantized training.\n\n"
                              "Example: sign_ste([-2, 0, 3]) = [-1, 0, 1], gradient [1, 1, 1]",
                              &unaryCompute<cpu, elem::sign, kNumericTypes>),
                   kNumericTypes)
        .gradient(passThrough);

}  // namespace
}  // namespace ste
}  // namespace elem
}  // namespace ist
