// _contrib_MultiBoxDetection (MXNet contrib, SSD): decodes the class probabilities and box
// regressions of every anchor into scored detections, sorted and non-maximum suppressed, shaped
// (batch, num_anchors, 6); its gradient, as in MXNet, is zeros.
#include <vector>
#include "base/error.h"
#include "op/registry.h"
#include "ops/contrib/multibox_detection_device.h"

namespace ist {
namespace {

using mboxdet::MultiBoxDetectionParam;

IST_REGISTER_OP(_contrib_MultiBoxDetection)
    .describe("Convert multibox detection predictions.\n\n"
              "cls_prob is (batch, num_classes, num_anchors) with class 0 the background, loc_pred "
              "(batch, num_anchors * 4), anchor (1, num_anchors, 4) from MultiBoxPrior. Each output row is "
              "[class_id, score, xmin, ymin, xmax, ymax] (class_id without the background), detections "
              "first, sorted by score (descending, ties in anchor order); rows removed by the threshold "
              "are all -1, rows suppressed by NMS or beyond nms_topk have class_id -1.")
    .alias("_npx_multibox_detection")
    .inputs({"cls_prob", "loc_pred", "anchor"})
    .params<MultiBoxDetectionParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1]) || !shapeIsKnown(in[2])) return;
      out[0] = mboxdet::detectionShape(in[0], in[1], in[2], attrs.get<MultiBoxDetectionParam>());
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      static const char* names[] = {"cls_prob", "loc_pred", "anchor"};
      int t = out[0];
      for (int i = 0; i < 3 && t < 0; ++i) t = in[i];
      if (t < 0) return;
      for (int i = 0; i < 3; ++i) {
        mbox::checkFloatType(in[i] >= 0 ? in[i] : t, mboxdet::kOp, names[i]);
        IST_CHECK(in[i] < 0 || in[i] == t, mboxdet::kOp, names[i],
                  names[i] << " has dtype " << dtypeName(static_cast<DType>(in[i])) << " but the other inputs have "
                           << dtypeName(static_cast<DType>(t)));
        in[i] = t;
      }
      out[0] = t;
    })
    .compute(Context::kCPU, mboxdet::multiBoxDetectionDev<cpu>)
    .zeroGradient();

}  // namespace
}  // namespace ist
