// _contrib_DeformableConvolution (Deformable ConvNets v1, MXNet 1.9): a 2-D convolution whose every
// kernel tap samples data bilinearly at p + dilate * k + (dy, dx), the offsets read per output
// position from the `offset` input (channels (dy, dx) interleaved per tap, per deformable group).
// Its gradient _backward_DeformableConvolution goes to data, offset, weight and bias. The computes
// are the device-generic ones of deformable_convolution_device.h.
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/nn/deformable_convolution_device.h"

namespace ist {
namespace deformable_convolution {
namespace {

using deformconv::DeformableConvolutionParam;
using deformconv::kBackV1;
using deformconv::kOpV1;

void shapeFn(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  deformconv::dcShape(attrs.get<DeformableConvolutionParam>(), false, kOpV1, in, out);
}

void typeFn(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  if (attrs.get<DeformableConvolutionParam>().no_bias)
    conv::inferFloatTypes(in, out, {"data", "offset", "weight"}, kOpV1);
  else
    conv::inferFloatTypes(in, out, {"data", "offset", "weight", "bias"}, kOpV1);
}

int numBackOutputs(const NodeAttrs& a) { return a.get<DeformableConvolutionParam>().no_bias ? 3 : 4; }

// (ograd, data, offset, weight) -> d data, d offset, d weight, (d bias).
void backShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<DeformableConvolutionParam>();
  IST_CHECK(in.size() == 4, kBackV1, "inputs", "expects (ograd, data, offset, weight), got " << in.size() << " inputs");
  std::vector<Shape> fin{in[1], in[2], in[3]};
  if (!p.no_bias) fin.push_back(Shape{p.num_filter});
  checkAgainstForward(kBackV1, shapeFn, attrs, {in[0]}, fin);
  out[0] = in[1];
  out[1] = in[2];
  out[2] = in[3];
  if (!p.no_bias) out[3] = Shape{p.num_filter};
}

void backType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  conv::inferFloatTypes(in, out, {"ograd", "data", "offset", "weight"}, kBackV1);
}

std::vector<NodeEntry> gradientFn(const NodePtr& n, const std::vector<NodeEntry>& og) {
  NodePtr b = makeNode(kBackV1, {og[0], n->inputs[0], n->inputs[1], n->inputs[2]}, nn::backwardAttrs(n->attrs));
  std::vector<NodeEntry> r{NodeEntry{b, 0}, NodeEntry{b, 1}, NodeEntry{b, 2}};
  if (!n->attrs.get<DeformableConvolutionParam>().no_bias) r.push_back(NodeEntry{b, 3});
  return r;
}

IST_REGISTER_OP(_contrib_DeformableConvolution)
    .describe("Compute 2-D deformable convolution on 4-D input (Deformable Convolutional Networks, "
              "https://arxiv.org/abs/1703.06211). For 2-D deformable convolution the shapes are data (batch_size, "
              "channel, height, width), offset (batch_size, num_deformable_group * kernel[0] * kernel[1] * 2, "
              "out_height, out_width), weight (num_filter, channel / num_group, kernel[0], kernel[1]), bias "
              "(num_filter,) and out (batch_size, num_filter, out_height, out_width), with out_height = "
              "floor((height + 2 * pad[0] - dilate[0] * (kernel[0] - 1) - 1) / stride[0]) + 1 (likewise the "
              "width). Each kernel tap (i, j) at output (y, x) reads data bilinearly at (y * stride[0] - pad[0] + "
              "i * dilate[0] + dy, x * stride[1] - pad[1] + j * dilate[1] + dx), where (dy, dx) are offset "
              "channels 2 * (i * kernel[1] + j) and 2 * (i * kernel[1] + j) + 1 of the tap's deformable group; "
              "samples outside the image are 0. num_group splits channels and filters into groups as in "
              "Convolution; num_deformable_group splits the channels into groups with their own offsets.")
    .inputs({"data", "offset", "weight"})
    .variadic("bias", nn::kOptionalCount)
    .optionalInput("bias", [](const NodeAttrs& a) { return !a.get<DeformableConvolutionParam>().no_bias; })
    .params<DeformableConvolutionParam>()
    .inferShape(shapeFn)
    .inferType(typeFn)
    .compute(Context::kCPU, deformconv::dcForwardCompute<DeformableConvolutionParam, false, cpu>)
    .gradient(gradientFn);

IST_REGISTER_OP(_backward_DeformableConvolution)
    .describe("Gradient of _contrib_DeformableConvolution: d data, d offset, d weight and (unless no_bias) d bias "
              "from the output gradient.")
    .inputs({"ograd", "data", "offset", "weight"})
    .params<DeformableConvolutionParam>()
    .numOutputs(numBackOutputs)
    .inferShape(backShape)
    .inferType(backType)
    .compute(Context::kCPU,
             namedCompute(kBackV1, deformconv::dcBackwardCompute<DeformableConvolutionParam, false, cpu>));

}  // namespace
}  // namespace deformable_convolution
}  // namespace ist
