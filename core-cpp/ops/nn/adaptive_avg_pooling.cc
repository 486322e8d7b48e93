// _contrib_AdaptiveAvgPooling2D: average pooling of NCHW data onto a fixed (OH, OW) grid, bin i of
// an axis covering [floor(i * in / out), ceil((i + 1) * in / out)) as in MXNet 1.9 (and PyTorch's
// adaptive_avg_pool2d). The gradient _backward_contrib_AdaptiveAvgPooling2D spreads each output
// gradient evenly over its bin; it is linear in the output gradient, whose own gradient is the
// forward op again.
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/nn/adaptive_avg_pooling_device.h"
#include "ops/nn/conv_common.h"

namespace ist {
namespace aapool {
namespace {

void aapShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = nn::opName(attrs, kOp);
  int64_t oh, ow;
  aapool::outputHW(attrs.get<AdaptiveAvgPoolParam>(), op, &oh, &ow);
  const Shape& d = in[0];
  if (!shapeIsKnown(d)) return;
  IST_CHECK(d.size() == 4, op, "data", "expects a 4-D array (batch, channel, height, width), got shape "
                                           << shapeString(d));
  IST_CHECK(d[0] * d[1] == 0 || (d[2] > 0 && d[3] > 0), op, "data",
            "cannot average an empty spatial extent: data of shape " << shapeString(d) << " into " << oh << "x"
                                                                     << ow << " bins");
  out[0] = Shape{d[0], d[1], oh, ow};
}

void aapType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  conv::inferFloatTypes(in, out, {"data"}, nn::opName(attrs, kOp));
}

void aapBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  checkAgainstForward(kBack, aapShape, attrs, {in[0]}, {in[1]});
  if (shapeIsKnown(in[1])) out[0] = in[1];
}

void aapBackwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  conv::inferFloatTypes(in, out, {"ograd", "data"}, kBack);
}

IST_REGISTER_OP(_contrib_AdaptiveAvgPooling2D)
    .describe("Applies a 2D adaptive average pooling over a 4D input (batch, channel, height, width), giving "
              "(batch, channel, OH, OW) for output_size (OH, OW) (an int s means s x s; () means 1x1). Output "
              "bin i along an axis of n input pixels averages pixels floor(i * n / OH) to ceil((i + 1) * n / OH) "
              "- 1.\n\nExample: data of shape (1, 1, 3, 3) with output_size=2 averages the overlapping 2x2 "
              "windows at (0, 0), (0, 1), (1, 0), (1, 1).")
    .inputs({"data"})
    .params<AdaptiveAvgPoolParam>()
    .inferShape(aapShape)
    .inferType(aapType)
    .compute(Context::kCPU, aapool::aapForwardDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry(kBack, {og[0], n->inputs[0]}, n->attrs.dict)};
    });

IST_REGISTER_OP(_backward_contrib_AdaptiveAvgPooling2D)
    .describe("Gradient of _contrib_AdaptiveAvgPooling2D with respect to data: each output gradient divided "
              "evenly over its bin.")
    .inputs({"ograd", "data"})
    .params<AdaptiveAvgPoolParam>()
    .inferShape(aapBackwardShape)
    .inferType(aapBackwardType)
    .compute(Context::kCPU, namedCompute(kBack, aapool::aapBackwardDev<cpu>))
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      // Linear in ograd: its adjoint is the forward pooling; data only gives the shape.
      return std::vector<NodeEntry>{makeEntry(kOp, {g[0]}, n->attrs.dict), makeEntry("zeros_like", {n->inputs[1]})};
    });

}  // namespace
}  // namespace aapool
}  // namespace ist
