// _contrib_BilinearResize2D: bilinear resizing of NCHW data (MXNet 1.9): the output size comes from
// height/width, scale_height/scale_width, or the mode (odd_scale, like: the spatial size of a
// second input `like`, to_even/odd_down/up); align_corners picks the coordinate mapping (see
// bilinear_resize_device.h). The gradient _backward_contrib_BilinearResize2D sends each output
// gradient back to its four taps; `like` gets a zero gradient, as in MXNet.
#include <cmath>
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/nn/bilinear_resize_device.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/layer_util.h"

namespace ist {
namespace bresize {
namespace {

// MXNet's float product, truncated toward zero; checked to be a usable size.
int64_t scaledSize(float scale, int64_t side, const char* arg, const Shape& d) {
  const float v = scale * static_cast<float>(side);
  IST_CHECK(std::isfinite(v) && v >= 0.f && v < 2147483648.f, kOp, arg,
            "scale " << scale << " gives an invalid size " << v << " for data of shape " << shapeString(d));
  return static_cast<int64_t>(v);
}

int64_t oddScaled(const std::optional<float>& scale, int64_t side, const char* arg, const Shape& d) {
  IST_CHECK(scale.has_value(), kOp, arg, "mode 'odd_scale' needs " << arg << " (data of shape " << shapeString(d) << ")");
  return side % 2 == 0 ? scaledSize(*scale, side, arg, d) : scaledSize(*scale, side - 1, arg, d) + 1;
}

void resizeShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<BilinearResizeParam>();
  const bool like = p.mode == "like";
  IST_CHECK(in.size() == (like ? 2u : 1u), kOp, "like",
            (like ? "mode 'like' takes inputs (data, like)" : "takes one input (data) unless mode='like'")
                << ", got " << in.size() << " input(s)");
  const Shape& d = in[0];
  if (like && shapeIsKnown(in[1]))
    IST_CHECK(in[1].size() == 4, kOp, "like", "expects a 4-D array (batch, channel, height, width), got shape "
                                                  << shapeString(in[1]));
  if (!shapeIsKnown(d)) return;
  IST_CHECK(d.size() == 4, kOp, "data", "expects a 4-D array (batch, channel, height, width), got shape "
                                            << shapeString(d));
  int64_t oh = 0, ow = 0;
  const int64_t H = d[2], W = d[3];
  if (p.mode == "size") {
    // As MXNet: scale_height switches both sides to scales (scale_width alone is ignored).
    if (p.scale_height.has_value()) {
      IST_CHECK(p.scale_width.has_value(), kOp, "scale_width",
                "scale_height is set, so scale_width is needed too (data of shape " << shapeString(d) << ")");
      oh = scaledSize(*p.scale_height, H, "scale_height", d);
      ow = scaledSize(*p.scale_width, W, "scale_width", d);
    } else {
      oh = p.height;
      ow = p.width;
    }
  } else if (p.mode == "odd_scale") {
    oh = oddScaled(p.scale_height, H, "scale_height", d);
    ow = oddScaled(p.scale_width, W, "scale_width", d);
  } else if (like) {
    if (!shapeIsKnown(in[1])) return;
    oh = in[1][2];
    ow = in[1][3];
  } else {
    const bool even = p.mode == "to_even_down" || p.mode == "to_even_up";
    const int64_t step = (p.mode == "to_even_down" || p.mode == "to_odd_down") ? -1 : 1;
    oh = (H % 2 == 0) == even ? H : H + step;
    ow = (W % 2 == 0) == even ? W : W + step;
    if (oh < 0) oh = 0;  // to_odd_down of an empty side
    if (ow < 0) ow = 0;
  }
  IST_CHECK(d[0] * d[1] * oh * ow == 0 || (H > 0 && W > 0), kOp, "data",
            "cannot resize an empty image: data of shape " << shapeString(d) << " to " << oh << "x" << ow);
  out[0] = Shape{d[0], d[1], oh, ow};
}

void resizeType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  // `like` only lends its shape: any dtype.
  std::vector<int> data{in[0]};
  conv::inferFloatTypes(data, out, {"data"}, kOp);
  in[0] = data[0];
  if (in.size() > 1 && in[1] < 0) in[1] = in[0];
  (void)attrs;
}

// (ograd, data) -> d data; ograd must be data's batch and channels at the resized size.
void resizeBackwardShape(const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
  const Shape &g = in[0], &d = in[1];
  if (shapeIsKnown(d))
    IST_CHECK(d.size() == 4, kBack, "data", "expects a 4-D array, got shape " << shapeString(d));
  if (shapeIsKnown(g))
    IST_CHECK(g.size() == 4, kBack, "ograd", "expects a 4-D array, got shape " << shapeString(g));
  if (!shapeIsKnown(d)) return;
  if (shapeIsKnown(g)) {
    IST_CHECK(g[0] == d[0] && g[1] == d[1], kBack, "ograd",
              "has shape " << shapeString(g) << " but data has shape " << shapeString(d));
    IST_CHECK(g[0] * g[1] * g[2] * g[3] == 0 || (d[2] > 0 && d[3] > 0), kBack, "data",
              "cannot resize an empty image: data of shape " << shapeString(d));
  }
  out[0] = d;
}

void resizeBackwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  conv::inferFloatTypes(in, out, {"ograd", "data"}, kBack);
}

AttrDict backwardDict(const NodeAttrs& attrs) {
  AttrDict a = attrs.dict;
  a.erase(nn::kOptionalCount);
  a["mode"] = "size";  // the output size comes from ograd
  return a;
}

IST_REGISTER_OP(_contrib_BilinearResize2D)
    .describe("Perform 2D resizing (upsampling or downsampling) for 4D input (batch, channel, height, width) "
              "using bilinear interpolation: linear interpolation first in one direction, then in the other. The "
              "output is (batch, channel, new_height, new_width), the new size set by `mode` (with height/width "
              "or scale_height/scale_width, or the height and width of a second input `like` for mode='like').")
    .inputs({"data"})
    .variadic("like", nn::kOptionalCount)
    .optionalInput("like", [](const NodeAttrs& a) { return a.get<BilinearResizeParam>().mode == "like"; })
    .params<BilinearResizeParam>()
    .inferShape(resizeShape)
    .inferType(resizeType)
    .compute(Context::kCPU, bresize::resizeForwardDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      std::vector<NodeEntry> r{makeEntry(kBack, {og[0], n->inputs[0]}, backwardDict(n->attrs))};
      if (n->inputs.size() > 1) r.push_back(makeEntry("zeros_like", {n->inputs[1]}));
      return r;
    });

IST_REGISTER_OP(_backward_contrib_BilinearResize2D)
    .describe("Gradient of _contrib_BilinearResize2D with respect to data: each output gradient added to its "
              "four source pixels with the interpolation weights.")
    .inputs({"ograd", "data"})
    .params<BilinearResizeParam>()
    .inferShape(resizeBackwardShape)
    .inferType(resizeBackwardType)
    .compute(Context::kCPU, namedCompute(kBack, bresize::resizeBackwardDev<cpu>))
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      // Linear in ograd: its adjoint resizes back to ograd's size.
      AttrDict a{{"mode", "like"}, {"align_corners", n->attrs.dict.count("align_corners") ? n->attrs.dict.at("align_corners") : "True"}};
      return std::vector<NodeEntry>{makeEntry(kOp, {g[0], n->inputs[0]}, a), makeEntry("zeros_like", {n->inputs[1]})};
    });

}  // namespace
}  // namespace bresize
}  // namespace ist
