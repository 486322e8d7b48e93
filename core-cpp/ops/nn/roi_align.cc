// _contrib_ROIAlign (Mask R-CNN's region-of-interest align, MXNet 1.9): each ROI row [batch_index,
// x1, y1, x2, y2] (image pixels, times spatial_scale; minus 0.5 with aligned=True) is split into
// pooled_size bins, and each bin averages bilinear samples of data on a sample_ratio grid (adaptive:
// ceil(roi side / bins)). position_sensitive reads channel group (ph, pw) for bin (ph, pw) (R-FCN).
// ROIs with a batch index outside the data give zeros (MXNet documents this for negative indices).
// The gradient _backward_ROIAlign goes to data; rois get a zero gradient, as in MXNet.
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/roi_align_device.h"

namespace ist {
namespace roialign {
namespace {

void raShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<ROIAlignParam>();
  const char* op = nn::opName(attrs, kOp);
  IST_CHECK(p.pooled_size.size() == 2 && p.pooled_size[0] > 0 && p.pooled_size[1] > 0, op, "pooled_size",
            "must be (h, w) with h, w > 0, got " << shapeString(p.pooled_size));
  const Shape &d = in[0], &r = in[1];
  checkRoiInputs(op, d, r);
  if (!shapeIsKnown(d) || !shapeIsKnown(r)) return;
  const int64_t bins = p.pooled_size[0] * p.pooled_size[1];
  int64_t c = d[1];
  if (p.position_sensitive) {
    IST_CHECK(d[1] % bins == 0, op, "data",
              "position_sensitive needs channels divisible by pooled_size[0] * pooled_size[1] = "
                  << bins << ", got data of shape " << shapeString(d));
    c = d[1] / bins;
  }
  IST_CHECK(r[0] * c == 0 || (d[2] > 0 && d[3] > 0), op, "data",
            "cannot sample an empty feature map of shape " << shapeString(d) << " for " << r[0] << " ROIs");
  out[0] = Shape{r[0], c, p.pooled_size[0], p.pooled_size[1]};
}

void raType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const int t = nn::unifyFloat(in, {"data", "rois"}, nn::opName(attrs, kOp));
  if (t >= 0) out[0] = t;
}

// (ograd, data, rois) -> d data.
void raBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  checkAgainstForward(kBack, raShape, attrs, {in[0]}, {in[1], in[2]});
  if (shapeIsKnown(in[1])) out[0] = in[1];
}

void raBackwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  const int t = nn::unifyFloat(in, {"ograd", "data", "rois"}, kBack);
  if (t >= 0) out[0] = t;
}

IST_REGISTER_OP(_contrib_ROIAlign)
    .describe("This operator takes a 4D feature map as an input array and region proposals as `rois`, then aligns "
              "the feature map over sub-regions of input and produces a fixed-sized output array (num_rois, "
              "channel, h, w) for pooled_size (h, w). Used in Faster R-CNN and Mask R-CNN. Each ROI row is "
              "[batch_index, x1, y1, x2, y2]; an ROI whose batch index is negative (or past the batch) gives 0. "
              "Different from ROI pooling, ROI Align performs no quantization of the ROI, its bins or the "
              "sampling points: each sample is bilinearly interpolated from the nearby grid points and each bin "
              "averages its samples.\n\nReference: He, Kaiming, et al. \"Mask R-CNN.\" ICCV, 2017")
    .inputs({"data", "rois"})
    .params<ROIAlignParam>()
    .inferShape(raShape)
    .inferType(raType)
    .compute(Context::kCPU, roialign::raForwardDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry(kBack, {og[0], n->inputs[0], n->inputs[1]}, n->attrs.dict),
                                    makeEntry("zeros_like", {n->inputs[1]})};
    });

IST_REGISTER_OP(_backward_ROIAlign)
    .describe("Gradient of _contrib_ROIAlign with respect to data: each output gradient spread over the bilinear "
              "taps of its bin's samples.")
    .inputs({"ograd", "data", "rois"})
    .params<ROIAlignParam>()
    .inferShape(raBackwardShape)
    .inferType(raBackwardType)
    .compute(Context::kCPU, namedCompute(kBack, roialign::raBackwardDev<cpu>))
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      // Linear in ograd: its adjoint is ROIAlign itself.
      return std::vector<NodeEntry>{makeEntry(kOp, {g[0], n->inputs[2]}, n->attrs.dict),
                                    makeEntry("zeros_like", {n->inputs[1]}), makeEntry("zeros_like", {n->inputs[2]})};
    });

}  // namespace
}  // namespace roialign
}  // namespace ist
