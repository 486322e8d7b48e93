// _contrib_group_adagrad_update (MXNet contrib's Group AdaGrad: one history value per weight row)
// and reset_arrays (zeroes num_arrays arrays in place, no outputs). Neither is differentiable.
#include <string>
#include <vector>
#include "base/error.h"
#include "op/registry.h"
#include "ops/optimizer/group_adagrad_device.h"

namespace ist {
namespace groupada {
namespace {

// weight and grad share a shape (the output's); history holds one value per row (weight's first
// dim), e.g. (rows, 1) as MXNet's GroupAdaGrad optimizer creates it, which is inferred when unknown.
void groupAdagradShape(const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = kGroupAdagrad;
  for (int k : {0, 1})
    if (!shapeIsKnown(in[k]) && shapeIsKnown(out[0])) in[k] = out[0];
  if (!shapeIsKnown(in[0]) && shapeIsKnown(in[1])) in[0] = in[1];
  if (!shapeIsKnown(in[0])) return;
  const Shape& w = in[0];
  IST_CHECK(!w.empty(), op, "weight", "weight must have at least one dim (rows), got shape ()");
  if (!shapeIsKnown(in[1])) in[1] = w;
  IST_CHECK(in[1] == w, op, "grad",
            "grad has shape " << shapeString(in[1]) << " but weight has shape " << shapeString(w));
  if (!shapeIsKnown(in[2])) in[2] = Shape{w[0], 1};
  const Shape& h = in[2];
  IST_CHECK(!h.empty() && h[0] == w[0] && shapeSize(h) == w[0], op, "history",
            "history has shape " << shapeString(h) << " but needs one value per row of weight " << shapeString(w)
                                 << ", e.g. shape (" << w[0] << ", 1)");
  out[0] = w;
}

void groupAdagradType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  inferSameType(attrs, in, out);
  const int t = in[0] >= 0 ? in[0] : out[0];
  IST_CHECK(t < 0 || t == static_cast<int>(DType::kFloat32) || t == static_cast<int>(DType::kFloat64) ||
                t == static_cast<int>(DType::kFloat16),
            kGroupAdagrad, "weight", "dtype " << dtypeName(static_cast<DType>(t)) << " is not supported; use "
                                              << "float16, float32 or float64");
}

IST_REGISTER_OP(_contrib_group_adagrad_update)
    .describe("Update function for Group AdaGrad optimizer.\n\n"
              "Referenced from *Adaptive Subgradient Methods for Online Learning and Stochastic "
              "Optimization*, and available at http://www.jmlr.org/papers/volume12/duchi11a/duchi11a.pdf "
              "but uses only a single learning rate for every row of the parameter array.\n\n"
              "Updates are applied by::\n\n"
              "    grad = clip(grad * rescale_grad, clip_gradient)\n"
              "    history += mean(square(grad), axis=1, keepdims=True)\n"
              "    div = grad / sqrt(history + epsilon)\n"
              "    weight -= div * lr\n\n"
              "history has one value per row (shape (rows, 1)) and is updated in place; pass the weight "
              "as `out`. Every row is updated (all arrays are dense here). Weight decay is not supported.")
    .inputs({"weight", "grad", "history"})
    .params<GroupAdagradParam>()
    .mutateInputs({2})
    .inferShape(groupAdagradShape)
    .inferType(groupAdagradType)
    .inplace(0, 0)
    .compute(Context::kCPU, groupAdagradDev<cpu>);

std::vector<int> allResetInputs() {
  std::vector<int> r(kMaxResetArrays);
  for (int i = 0; i < kMaxResetArrays; ++i) r[i] = i;
  return r;
}

IST_REGISTER_OP(reset_arrays)
    .describe("Set to zero multiple arrays: every input is zeroed in place; there are no outputs. "
              "Example: reset_arrays(a, b, num_arrays=2) leaves a and b all zeros.")
    .variadic("data", "num_arrays")
    .params<ResetArraysParam>()
    .numOutputs([](const NodeAttrs&) { return 0; })
    .mutateInputs(allResetInputs())
    .inferShape([](const NodeAttrs&, std::vector<Shape>&, std::vector<Shape>&) {})
    .inferType([](const NodeAttrs&, std::vector<int>&, std::vector<int>&) {})
    .compute(Context::kCPU, resetArraysDev<cpu>);

}  // namespace
}  // namespace groupada
}  // namespace ist
