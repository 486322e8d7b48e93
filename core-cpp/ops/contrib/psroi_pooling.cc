// _contrib_PSROIPooling (R-FCN's position-sensitive ROI average pooling, MXNet 1.9): each ROI row
// [batch_index, x1, y1, x2, y2] (image pixels; corners rounded, end + 1, times spatial_scale) is split
// into pooled_size x pooled_size bins; bin (ph, pw) of output channel ctop averages data channel
// (ctop * group_size + gh) * group_size + gw over its integer pixel window (floor/ceil, clipped to the
// image), where (gh, gw) is the bin's group cell. Empty bins and ROIs with a batch index outside the
// data give 0. The gradient _backward__contrib_PSROIPooling spreads each output gradient evenly over
// its bin; rois get a zero gradient, as in MXNet.
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/contrib/psroi_pooling_device.h"
#include "ops/nn/conv_common.h"

namespace ist {
namespace psroi {
namespace {

void psShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<PSROIPoolingParam>();
  const char* op = nn::opName(attrs, kOp);
  IST_CHECK(p.pooled_size > 0, op, "pooled_size", "must be positive, got " << p.pooled_size);
  IST_CHECK(p.output_dim > 0, op, "output_dim", "must be positive, got " << p.output_dim);
  IST_CHECK(p.group_size >= 0, op, "group_size", "must be >= 0 (0: pooled_size), got " << p.group_size);
  const Shape &d = in[0], &r = in[1];
  checkRoiInputs(op, d, r);
  if (shapeIsKnown(d)) {
    const int64_t G = groupOf(p);
    IST_CHECK(d[1] == p.output_dim * G * G, op, "data",
              "expects output_dim * group_size^2 = " << p.output_dim << " * " << G << "^2 = " << p.output_dim * G * G
                                                      << " channels, got data of shape " << shapeString(d));
  }
  if (!shapeIsKnown(r)) return;
  out[0] = Shape{r[0], p.output_dim, p.pooled_size, p.pooled_size};
}

void psType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const int t = nn::unifyFloat(in, {"data", "rois"}, nn::opName(attrs, kOp));
  if (t >= 0) out[0] = t;
}

// (ograd, data, rois) -> d data.
void psBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  checkAgainstForward(kBack, psShape, attrs, {in[0]}, {in[1], in[2]});
  if (shapeIsKnown(in[1])) out[0] = in[1];
}

void psBackwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  const int t = nn::unifyFloat(in, {"ograd", "data", "rois"}, kBack);
  if (t >= 0) out[0] = t;
}

IST_REGISTER_OP(_contrib_PSROIPooling)
    .describe("Performs region-of-interest pooling on inputs. Resize bounding box coordinates by spatial_scale and "
              "crop input feature maps accordingly. The cropped feature maps are pooled by position-sensitive "
              "average pooling to a fixed-size output of (num_rois, output_dim, pooled_size, pooled_size): bin "
              "(ph, pw) of output channel c reads data channel (c * group_size + gh) * group_size + gw, with "
              "(gh, gw) the bin's cell in a group_size x group_size grid, so data has output_dim * group_size^2 "
              "channels. Each ROI row is [batch_index, x1, y1, x2, y2]; empty bins give 0.\n\n"
              "Reference: Dai, Jifeng, et al. \"R-FCN: Object Detection via Region-based Fully Convolutional "
              "Networks.\" NIPS, 2016")
    .inputs({"data", "rois"})
    .params<PSROIPoolingParam>()
    .inferShape(psShape)
    .inferType(psType)
    .compute(Context::kCPU, psForwardDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry(kBack, {og[0], n->inputs[0], n->inputs[1]}, n->attrs.dict),
                                    makeEntry("zeros_like", {n->inputs[1]})};
    });

IST_REGISTER_OP(_backward__contrib_PSROIPooling)
    .describe("Gradient of _contrib_PSROIPooling with respect to data: each output gradient spread evenly over the "
              "pixels of its bin.")
    .inputs({"ograd", "data", "rois"})
    .params<PSROIPoolingParam>()
    .inferShape(psBackwardShape)
    .inferType(psBackwardType)
    .compute(Context::kCPU, namedCompute(kBack, psBackwardDev<cpu>))
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      // Linear in ograd: its adjoint is PSROIPooling itself.
      return std::vector<NodeEntry>{makeEntry(kOp, {g[0], n->inputs[2]}, n->attrs.dict),
                                    makeEntry("zeros_like", {n->inputs[1]}), makeEntry("zeros_like", {n->inputs[2]})};
    });

}  // namespace
}  // namespace psroi
}  // namespace ist
