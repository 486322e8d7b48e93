// _contrib_MultiBoxPrior (MXNet contrib, SSD): the prior (anchor) boxes of a feature map, in corner
// format, shaped (1, H * W * num_anchors, 4); its gradient, as in MXNet, is zeros.
#include <vector>
#include "base/error.h"
#include "op/registry.h"
#include "ops/contrib/multibox_prior_device.h"

namespace ist {
namespace {

using mboxprior::MultiBoxPriorParam;

IST_REGISTER_OP(_contrib_MultiBoxPrior)
    .describe("Generate prior(anchor) boxes from data, sizes and ratios.\n\n"
              "data is (batch, channel, height, width); the output is (1, height * width * num_anchors, 4) "
              "with num_anchors = len(sizes) + len(ratios) - 1, boxes [xmin, ymin, xmax, ymax]. Per cell "
              "(rows outer), the anchors are every size with ratios[0], then ratios[1:] with sizes[0].\n\n"
              "Example: MultiBoxPrior(zeros((1, 1, 2, 2)), sizes=(0.5,)) = [[[0, 0, 0.5, 0.5], "
              "[0.5, 0, 1, 0.5], [0, 0.5, 0.5, 1], [0.5, 0.5, 1, 1]]]")
    .alias("_npx_multibox_prior")
    .inputs({"data"})
    .params<MultiBoxPriorParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0])) return;
      out[0] = mboxprior::priorShape(in[0], attrs.get<MultiBoxPriorParam>());
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      const int t = in[0] >= 0 ? in[0] : out[0];
      mbox::checkFloatType(t, mboxprior::kOp, "data");
      if (t < 0) return;
      in[0] = out[0] = t;
    })
    .compute(Context::kCPU, mboxprior::multiBoxPriorDev<cpu>)
    .zeroGradient();

}  // namespace
}  // namespace ist
