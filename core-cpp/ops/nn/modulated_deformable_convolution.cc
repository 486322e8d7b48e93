// _contrib_ModulatedDeformableConvolution (Deformable ConvNets v2, MXNet 1.9): deformable
// convolution whose every tap sample is also scaled by a per-position modulation `mask` (applied as
// given: no sigmoid inside), with zero-padded bilinear sampling. Its gradient
// _backward_ModulatedDeformableConvolution goes to data, offset, mask, weight and bias. The computes
// are the device-generic ones of deformable_convolution_device.h.
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/nn/deformable_convolution_device.h"

namespace ist {
namespace modulated_deformable_convolution {
namespace {

using deformconv::kBackV2;
using deformconv::kOpV2;
using deformconv::ModulatedDeformableConvolutionParam;

void shapeFn(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<ModulatedDeformableConvolutionParam>();
  deformconv::dcShape(p, true, kOpV2, in, out);
  // MXNet processes the batch in steps of im2col_step images and would drop a partial last step.
  const Shape& d = in[0];
  if (shapeIsKnown(d) && d.size() == 4)
    IST_CHECK(d[0] <= p.im2col_step || d[0] % p.im2col_step == 0, kOpV2, "im2col_step",
              "the batch size " << d[0] << " (data shape " << shapeString(d)
                                << ") must be smaller than or divisible by im2col_step " << p.im2col_step);
}

void typeFn(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  if (attrs.get<ModulatedDeformableConvolutionParam>().no_bias)
    conv::inferFloatTypes(in, out, {"data", "offset", "mask", "weight"}, kOpV2);
  else
    conv::inferFloatTypes(in, out, {"data", "offset", "mask", "weight", "bias"}, kOpV2);
}

int numBackOutputs(const NodeAttrs& a) { return a.get<ModulatedDeformableConvolutionParam>().no_bias ? 4 : 5; }

// (ograd, data, offset, mask, weight) -> d data, d offset, d mask, d weight, (d bias).
void backShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<ModulatedDeformableConvolutionParam>();
  IST_CHECK(in.size() == 5, kBackV2, "inputs",
            "expects (ograd, data, offset, mask, weight), got " << in.size() << " inputs");
  std::vector<Shape> fin{in[1], in[2], in[3], in[4]};
  if (!p.no_bias) fin.push_back(Shape{p.num_filter});
  checkAgainstForward(kBackV2, shapeFn, attrs, {in[0]}, fin);
  for (int i = 0; i < 4; ++i) out[i] = in[i + 1];
  if (!p.no_bias) out[4] = Shape{p.num_filter};
}

void backType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  conv::inferFloatTypes(in, out, {"ograd", "data", "offset", "mask", "weight"}, kBackV2);
}

std::vector<NodeEntry> gradientFn(const NodePtr& n, const std::vector<NodeEntry>& og) {
  NodePtr b = makeNode(kBackV2, {og[0], n->inputs[0], n->inputs[1], n->inputs[2], n->inputs[3]},
                       nn::backwardAttrs(n->attrs));
  std::vector<NodeEntry> r{NodeEntry{b, 0}, NodeEntry{b, 1}, NodeEntry{b, 2}, NodeEntry{b, 3}};
  if (!n->attrs.get<ModulatedDeformableConvolutionParam>().no_bias) r.push_back(NodeEntry{b, 4});
  return r;
}

IST_REGISTER_OP(_contrib_ModulatedDeformableConvolution)
    .describe("Compute 2-D modulated deformable convolution on 4-D input (Deformable ConvNets v2: More Deformable, "
              "Better Results, https://arxiv.org/abs/1811.11168). Shapes: data (batch_size, channel, height, "
              "width), offset (batch_size, num_deformable_group * kernel[0] * kernel[1] * 2, out_height, "
              "out_width), mask (batch_size, num_deformable_group * kernel[0] * kernel[1], out_height, out_width), "
              "weight (num_filter, channel / num_group, kernel[0], kernel[1]), bias (num_filter,), out (batch_size, "
              "num_filter, out_height, out_width). Each kernel tap (i, j) at output (y, x) reads data bilinearly "
              "at (y * stride[0] - pad[0] + i * dilate[0] + dy, x * stride[1] - pad[1] + j * dilate[1] + dx) "
              "(offset channels 2 * (i * kernel[1] + j) and 2 * (i * kernel[1] + j) + 1 of its deformable group; "
              "pixels outside the image count as 0) and multiplies it by mask channel i * kernel[1] + j of the "
              "group, as given (apply a sigmoid before, as DCNv2 does).")
    .inputs({"data", "offset", "mask", "weight"})
    .variadic("bias", nn::kOptionalCount)
    .optionalInput("bias", [](const NodeAttrs& a) { return !a.get<ModulatedDeformableConvolutionParam>().no_bias; })
    .params<ModulatedDeformableConvolutionParam>()
    .inferShape(shapeFn)
    .inferType(typeFn)
    .compute(Context::kCPU, deformconv::dcForwardCompute<ModulatedDeformableConvolutionParam, true, cpu>)
    .gradient(gradientFn);

IST_REGISTER_OP(_backward_ModulatedDeformableConvolution)
    .describe("Gradient of _contrib_ModulatedDeformableConvolution: d data, d offset, d mask, d weight and (unless "
              "no_bias) d bias from the output gradient.")
    .inputs({"ograd", "data", "offset", "mask", "weight"})
    .params<ModulatedDeformableConvolutionParam>()
    .numOutputs(numBackOutputs)
    .inferShape(backShape)
    .inferType(backType)
    .compute(Context::kCPU,
             namedCompute(kBackV2, deformconv::dcBackwardCompute<ModulatedDeformableConvolutionParam, true, cpu>));

}  // namespace
}  // namespace modulated_deformable_convolution
}  // namespace ist
