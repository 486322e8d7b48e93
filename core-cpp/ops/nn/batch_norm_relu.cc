// _contrib_BatchNormWithReLU (MXNet's oneDNN fusion, found in exported model files): relu(BatchNorm(x))
// with BatchNorm's params, inputs and hidden outputs, run as BatchNorm's computes then relu's in place.
#include "graph/node.h"
#include "ops/nn/legacy_layers.h"
#include "ops/nn/norm_params.h"

namespace ist {
namespace batch_norm_relu {
namespace {

constexpr const char* kOp = "_contrib_BatchNormWithReLU";

NodeAttrs asBatchNorm(const NodeAttrs& a) {
  NodeAttrs m = a;
  m.op = &OpRegistry::get("BatchNorm");
  return m;
}

void bnReluCompute(int dev, const NodeAttrs& a, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  IST_CHECK(req[0] != OpReq::kAddTo, kOp, "output", "cannot be accumulated into (req add)");
  legacy::runCompute(dev, asBatchNorm(a), ctx, in, req, out);
  if (req[0] == OpReq::kNull) return;
  static const NodeAttrs relu = legacy::attrsOf("relu");
  legacy::runCompute(dev, relu, ctx, {out[0]}, {OpReq::kWriteInplace}, {out[0]});
}

[[maybe_unused]] const bool kRegistered = [] {
  legacy::onAllDevices(OpRegistry::add(kOp), bnReluCompute)
      .describe("Batch normalization fused with ReLU: max(BatchNorm(data, gamma, beta, moving_mean, moving_var), "
                "0) with BatchNorm's params; moving_mean / moving_var are updated in training as BatchNorm does. "
                "With output_mean_var it also returns the mean and the inverse std used.")
      .inputs({"data", "gamma", "beta", "moving_mean", "moving_var"})
      .params<BatchNormParam>()
      .numOutputs([](const NodeAttrs&) { return 4; })
      .numVisibleOutputs([](const NodeAttrs& a) { return a.get<BatchNormParam>().output_mean_var ? 3 : 1; })
      .mutateInputs({3, 4})
      .inferShape([](const NodeAttrs& a, std::vector<Shape>& in, std::vector<Shape>& out) {
        const NodeAttrs m = asBatchNorm(a);
        legacy::as(kOp, m.op->name, [&] { m.op->inferShapeFn(m, in, out); });
      })
      .inferType([](const NodeAttrs& a, std::vector<int>& in, std::vector<int>& out) {
        const NodeAttrs m = asBatchNorm(a);
        legacy::as(kOp, m.op->name, [&] { m.op->inferTypeFn(m, in, out); });
      })
      .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
        // BatchNorm's gradient of the head gradient where the output is positive.
        NodeEntry mask = makeEntry("_greater_scalar", {NodeEntry{n, 0}}, {{"scalar", "0"}});
        NodeEntry g = makeEntry("elemwise_mul", {og[0], mask});
        NodePtr b = makeNode("_backward_BatchNorm",
                             {g, n->inputs[0], n->inputs[1], NodeEntry{n, 1}, NodeEntry{n, 2}, NodeEntry{n, 3}},
                             n->attrs.dict);
        return std::vector<NodeEntry>{NodeEntry{b, 0}, NodeEntry{b, 1}, NodeEntry{b, 2}, NodeEntry{}, NodeEntry{}};
      });
  return true;
}();

}  // namespace
}  // namespace batch_norm_relu
}  // namespace ist
