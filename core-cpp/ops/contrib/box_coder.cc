// _contrib_box_encode and _contrib_box_decode: MXNet 1.9's normalized centre-offset box coder
// (box_coder_device.h holds the rules and computes). Both back-propagate zeros, as in MXNet.
#include <vector>
#include "base/error.h"
#include "graph/node.h"
#include "op/registry.h"
#include "ops/contrib/box_coder_device.h"

namespace ist {
namespace box_coder {
namespace {

using box_coder_dev::BoxDecodeParam;

IST_REGISTER_OP(_contrib_box_encode)
    .describe("Encode bounding boxes training target with normalized center offsets.\n"
              "Input bounding boxes are using corner type: `x_{min}, y_{min}, x_{max}, y_{max}`.\n\n"
              "samples (B, N): +1 positive, -1 negative, 0 ignore; matches (B, N): the matched row of refs "
              "in [0, M); anchors (B, N, 4) and refs (B, M, 4) in corner format; means and stds (4,). "
              "Outputs targets (B, N, 4) = ((ref_x - a_x) / a_w - means[0]) / stds[0], "
              "((ref_y - a_y) / a_h - means[1]) / stds[1], (log(ref_w / a_w) - means[2]) / stds[2], "
              "(log(ref_h / a_h) - means[3]) / stds[3] for positive samples (0 elsewhere) and masks "
              "(B, N, 4) = 1 for positive samples, 0 elsewhere.")
    .alias("_npx_box_encode")
    .inputs({"samples", "matches", "anchors", "refs", "means", "stds"})
    .outputs({"output0", "output1"})
    .inferShape([](const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
      const Shape o = box_coder_dev::encodeShapes(in);
      if (shapeIsKnown(o)) out[0] = out[1] = o;
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      box_coder_dev::sameType(box_coder_dev::kEnc, {"samples", "matches", "anchors", "refs", "means", "stds"}, in,
                              out);
    })
    .compute(Context::kCPU, box_coder_dev::encodeDev<cpu>)
    .zeroGradient();

IST_REGISTER_OP(_contrib_box_decode)
    .describe("Decode bounding boxes training target with normalized center offsets.\n"
              "Input bounding boxes are using corner type: `x_{min}, y_{min}, x_{max}, y_{max}` or center "
              "type: `x, y, width, height`.\n\n"
              "data (B, N, 4) holds the predicted offsets, anchors (1, N, 4) the anchors in `format` (only "
              "anchors[0] is read). With the anchor's centre (ax, ay) and size (aw, ah): x = data[0] * std0 "
              "* aw + ax, y = data[1] * std1 * ah + ay, w = exp(data[2] * std2) * aw, h = exp(data[3] * std3) "
              "* ah (the exponents first clipped to `clip` when clip > 0); the output is the corner box "
              "(x - w/2, y - h/2, x + w/2, y + h/2).")
    .alias("_npx_box_decode")
    .inputs({"data", "anchors"})
    .params<BoxDecodeParam>()
    .inferShape([](const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (shapeIsKnown(in[0]) && shapeIsKnown(in[1])) out[0] = box_coder_dev::decodeShape(in[0], in[1]);
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      box_coder_dev::sameType(box_coder_dev::kDec, {"data", "anchors"}, in, out);
    })
    .compute(Context::kCPU, box_coder_dev::decodeDev<cpu>)
    .zeroGradient();

}  // namespace
}  // namespace box_coder
}  // namespace ist
