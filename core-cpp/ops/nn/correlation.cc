// Correlation (FlowNet's correlation layer, MXNet's `Correlation`): shape and type rules, the CPU
// compute (the cpu instantiation of correlation_device.h) and the gradient _backward_Correlation,
// which takes (ograd, data1, data2) and returns the gradients of both inputs. As in MXNet, the op
// has three outputs, of which only `output` is visible: tmp1 and tmp2 are the zero-padded inputs
// in (N, H + 2 pad, W + 2 pad, C) layout.
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/nn/correlation_device.h"
#include "ops/nn/layer_util.h"

namespace ist {
namespace correlation {
namespace {

// Shapes of data (N, C, H, W) that fits no displacement grid, or would be absurdly large, are refused.
constexpr double kMaxElements = 9.0e15;

void checkData(const Shape& d, const char* op, const char* arg) {
  if (!shapeIsKnown(d)) return;
  IST_CHECK(d.size() == 4, op, arg, "expects a 4-D array (batch, channel, height, width), got shape " << shapeString(d));
}

// Inputs data1, data2 (equal shapes); outputs output (N, D*D, TH, TW), tmp1 and tmp2 (N, Hp, Wp, C).
void corrShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<CorrelationParam>();
  const char* op = nn::opName(attrs, kOp);
  IST_CHECK(p.kernel_size % 2 == 1, op, "kernel_size", "must be an odd number, got " << p.kernel_size);
  checkData(in[0], op, "data1");
  checkData(in[1], op, "data2");
  if (shapeIsKnown(in[0]) && shapeIsKnown(in[1]))
    IST_CHECK(in[0] == in[1], op, "data2",
              "must have the shape of data1, got data1 " << shapeString(in[0]) << " and data2 " << shapeString(in[1]));
  const Shape d = shapeIsKnown(in[0]) ? in[0] : in[1];
  if (!shapeIsKnown(d)) return;
  if (!shapeIsKnown(in[0])) in[0] = d;
  if (!shapeIsKnown(in[1])) in[1] = d;
  const CorrGeom g = corrGeom(p, d);
  IST_CHECK(g.TH > 0 && g.TW > 0, op, "max_displacement",
            "the neighborhood and kernel do not fit in the data: data of shape "
                << shapeString(d) << " padded by pad_size=" << p.pad_size << " is smaller than 2 * (max_displacement="
                << p.max_displacement << " + (kernel_size=" << p.kernel_size << " - 1) / 2) + 1 along height or width");
  const double outSize = static_cast<double>(g.N) * static_cast<double>(g.D) * static_cast<double>(g.D) *
                         static_cast<double>(g.TH) * static_cast<double>(g.TW);
  const double padSize = static_cast<double>(g.N) * static_cast<double>(g.H + 2 * g.pad) *
                         static_cast<double>(g.W + 2 * g.pad) * static_cast<double>(g.C);
  IST_CHECK(outSize < kMaxElements && padSize < kMaxElements, op, "max_displacement",
            "the output for data of shape " << shapeString(d) << " would have too many elements (max_displacement="
                                            << p.max_displacement << ", pad_size=" << p.pad_size << ")");
  out[0] = Shape{g.N, g.D * g.D, g.TH, g.TW};
  const Shape padded{g.N, g.H + 2 * g.pad, g.W + 2 * g.pad, g.C};
  if (out.size() > 1) out[1] = padded;
  if (out.size() > 2) out[2] = padded;
}

void corrType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const int t = nn::unifyFloat(in, {"data1", "data2"}, nn::opName(attrs, kOp));
  if (t < 0) return;
  for (auto& o : out) o = t;
}

// (ograd, data1, data2) -> (d data1, d data2).
void corrBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  std::vector<Shape> fwdIn{in[1], in[2]};
  checkAgainstForward(kBack, corrShape, attrs, {in[0]}, fwdIn);
  const Shape& d = shapeIsKnown(in[1]) ? in[1] : in[2];
  if (!shapeIsKnown(d)) return;
  out[0] = d;
  if (out.size() > 1) out[1] = d;
}

void corrBackwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  const int t = nn::unifyFloat(in, {"ograd", "data1", "data2"}, kBack);
  if (t < 0) return;
  for (auto& o : out) o = t;
}

IST_REGISTER_OP(Correlation)
    .describe("Applies correlation to inputs (FlowNet's correlation layer). Each patch of data1 (batch, channel, "
              "height, width) is compared with the patches of data2 around it: for a kernel_size k x k patch whose "
              "top-left corner is (i * stride1 + max_displacement, j * stride1 + max_displacement) in the data "
              "zero-padded by pad_size, and each displacement (p, o) in [-R, R]^2 times stride2 (R = "
              "max_displacement / stride2, D = 2R + 1), output[n, (p + R) * D + (o + R), i, j] = sum over channels "
              "and patch of data1 * data2 (is_multiply) or |data1 - data2|, divided by k * k * channels. The output "
              "is (batch, D * D, ceil((H + 2 pad - 2 border) / stride1), ceil((W + 2 pad - 2 border) / stride1)) "
              "with border = max_displacement + (k - 1) / 2. kernel_size must be odd.")
    .inputs({"data1", "data2"})
    .outputs({"output", "tmp1", "tmp2"})  // MXNet's names; tmp1/tmp2 (the padded inputs) are hidden
    .numVisibleOutputs([](const NodeAttrs&) { return 1; })
    .params<CorrelationParam>()
    .inferShape(corrShape)
    .inferType(corrType)
    .compute(Context::kCPU, correlation::corrForwardDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      NodePtr b = makeNode(kBack, {og[0], n->inputs[0], n->inputs[1]}, n->attrs.dict);
      return std::vector<NodeEntry>{NodeEntry{b, 0}, NodeEntry{b, 1}};
    });

IST_REGISTER_OP(_backward_Correlation)
    .describe("Gradient of Correlation with respect to data1 and data2 (from the output's gradient; tmp1 and tmp2 "
              "take none). For is_multiply=False the derivative of |a - b| is +1 for data1 where a >= b, else -1, "
              "and the opposite for data2, as in MXNet.")
    .inputs({"ograd", "data1", "data2"})
    .outputs({"data1_grad", "data2_grad"})
    .params<CorrelationParam>()
    .inferShape(corrBackwardShape)
    .inferType(corrBackwardType)
    .compute(Context::kCPU, namedCompute(kBack, correlation::corrBackwardDev<cpu>));

}  // namespace
}  // namespace correlation
}  // namespace ist
