// Crop: MXNet's legacy spatial crop of NCHW data, to h_w or to the height and width of a second
// input (crop_like), at `offset` or centred; the gradient pads the output gradient back with zeros
// (_backward_Crop) and gives crop_like a zero gradient.
#include <string>
#include "base/error.h"
#include "graph/node.h"
#include "op/backward_errors.h"
#include "op/registry.h"
#include "ops/matrix/crop_device.h"
#include "ops/nn/layer_util.h"

namespace ist {
namespace {

using cropdev::CropParam;

void cropShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<CropParam>();
  IST_CHECK(static_cast<int>(in.size()) == p.num_args, "Crop", "num_args",
            "num_args=" << p.num_args << " but " << in.size() << " inputs were given");
  if (!shapeIsKnown(in[0])) return;
  const Shape& d = in[0];
  IST_CHECK(d.size() == 4, "Crop", "data", "expects 4-D data (batch, channel, y, x), got shape " << shapeString(d));
  int64_t h, w;
  if (p.num_args == 1) {
    IST_CHECK(p.h_w.size() == 2, "Crop", "h_w", "expects (h, w), got " << shapeString(p.h_w));
    IST_CHECK(p.h_w[0] >= 1 && p.h_w[0] <= d[2] && p.h_w[1] >= 1 && p.h_w[1] <= d[3], "Crop", "h_w",
              "h_w=" << shapeString(p.h_w) << " must be within [1, " << d[2] << "] x [1, " << d[3]
                     << "] for data of shape " << shapeString(d));
    h = p.h_w[0];
    w = p.h_w[1];
  } else {
    if (!shapeIsKnown(in[1])) return;
    IST_CHECK(in[1].size() == 4, "Crop", "crop_like",
              "expects a 4-D crop_like (its dims 2 and 3 give the size), got shape " << shapeString(in[1]));
    h = in[1][2];
    w = in[1][3];
  }
  cropdev::cropWindow(d, h, w, p, "Crop");
  out[0] = Shape{d[0], d[1], h, w};
}

void cropType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  nn::requireFloat(in[0], "Crop", "data");
  if (in[0] >= 0) out[0] = in[0];
  else if (out[0] >= 0) in[0] = out[0];
}

IST_REGISTER_OP(Crop)
    .describe("Crops a 4-D (batch, channel, y, x) array spatially: to h_w with one input, or to the "
              "height and width of the second input (crop_like) with num_args=2; the window starts "
              "at `offset` (y, x), or is centred with center_crop.\n\n"
              "Example: x of shape (1, 1, 4, 4): Crop(x, num_args=1, h_w=(2, 2), offset=(1, 1)) is "
              "x[:, :, 1:3, 1:3].")
    .variadic("data", "num_args")
    .params<CropParam>()
    .inferShape(cropShape)
    .inferType(cropType)
    .compute(Context::kCPU, cropdev::cropDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      std::vector<NodeEntry> g{makeEntry("_backward_Crop", {og[0], n->inputs[0]}, n->attrs.dict)};
      if (n->inputs.size() > 1) g.push_back(makeEntry("zeros_like", {n->inputs[1]}));
      return g;
    });

IST_REGISTER_OP(_backward_Crop)
    .describe("Gradient of Crop with respect to data: out_grad placed at the crop window of zeros "
              "shaped like data.")
    .inputs({"out_grad", "data"})
    .params<CropParam>()
    .inferShape(namedShape("_backward_Crop", [](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1])) return;
      IST_CHECK(in[0].size() == 4 && in[1].size() == 4 && in[0][0] == in[1][0] && in[0][1] == in[1][1],
                "_backward_Crop", "out_grad",
                "out_grad of shape " << shapeString(in[0]) << " is not a crop of data of shape " << shapeString(in[1]));
      cropdev::cropWindow(in[1], in[0][2], in[0][3], attrs.get<CropParam>(), "_backward_Crop");
      out[0] = in[1];
    }))
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      nn::requireFloat(in[0], "_backward_Crop", "out_grad");
      const int t = in[0] >= 0 ? in[0] : out[0];
      if (t < 0) return;
      in[0] = out[0] = t;
    })
    .compute(Context::kCPU, namedCompute("_backward_Crop", cropdev::cropBackwardDev<cpu>))
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      // The crop of the gradient to out_grad's size, at the same window.
      AttrDict a = n->attrs.dict;
      a["num_args"] = "2";
      return std::vector<NodeEntry>{makeEntry("Crop", {g[0], n->inputs[0]}, a), NodeEntry{}};
    });

}  // namespace
}  // namespace ist
