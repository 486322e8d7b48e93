// _contrib_MultiBoxTarget (MXNet contrib, SSD): the training targets of the anchors (box regression
// targets, their mask and class targets) from matching anchors to padded ground-truth labels, with
// optional hard negative mining; its gradients, as in MXNet, are zeros.
#include <vector>
#include "base/error.h"
#include "op/registry.h"
#include "ops/contrib/multibox_target_device.h"

namespace ist {
namespace {

using mboxtarget::MultiBoxTargetParam;

IST_REGISTER_OP(_contrib_MultiBoxTarget)
    .describe("Compute Multibox training targets\n\n"
              "anchor is (1, num_anchors, 4), label (batch, num_labels, >= 5) rows [class, xmin, ymin, xmax, "
              "ymax, ...] padded with -1 rows, cls_pred (batch, num_classes, num_anchors). Outputs: loc_target "
              "and loc_mask (batch, num_anchors * 4), cls_target (batch, num_anchors) with 0 for background "
              "(negatives), class + 1 for matched anchors and ignore_label for the rest.")
    .alias("_npx_multibox_target")
    .inputs({"anchor", "label", "cls_pred"})
    .outputs({"loc_target", "loc_mask", "cls_target"})
    .params<MultiBoxTargetParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1]) || !shapeIsKnown(in[2])) return;
      const auto s = mboxtarget::targetShapes(in[0], in[1], in[2], attrs.get<MultiBoxTargetParam>());
      for (int i = 0; i < 3; ++i) out[i] = s[i];
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      static const char* names[] = {"anchor", "label", "cls_pred"};
      int t = -1;
      for (int i = 0; i < 3 && t < 0; ++i) t = in[i];
      for (int i = 0; i < 3 && t < 0; ++i) t = out[i];
      if (t < 0) return;
      for (int i = 0; i < 3; ++i) {
        mbox::checkFloatType(in[i] >= 0 ? in[i] : t, mboxtarget::kOp, names[i]);
        IST_CHECK(in[i] < 0 || in[i] == t, mboxtarget::kOp, names[i],
                  names[i] << " has dtype " << dtypeName(static_cast<DType>(in[i])) << " but the other inputs have "
                           << dtypeName(static_cast<DType>(t)));
        in[i] = t;
        out[i] = t;
      }
    })
    .compute(Context::kCPU, mboxtarget::multiBoxTargetDev<cpu>)
    .zeroGradient();

}  // namespace
}  // namespace ist
