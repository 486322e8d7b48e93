// _contrib_DeformablePSROIPooling (Deformable ConvNets' deformable position-sensitive ROI pooling,
// MXNet 1.9): like PSROIPooling, but the ROI (corners rounded, end + 1, times spatial_scale, minus
// 0.5) is sampled bilinearly on a sample_per_part^2 grid per bin, and each bin is shifted by
// trans * trans_std * ROI size, trans (num_rois, 2 * classes, part_size, part_size) holding (x, y)
// offsets per class and part (no trans input with no_trans=True). Samples outside the image are
// skipped; a bin without samples gives 0. A hidden second output, top_count, counts each bin's
// samples (MXNet's). The gradient _backward__contrib_DeformablePSROIPooling goes to data and trans;
// rois get a zero gradient, as in MXNet.
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/contrib/deformable_psroi_pooling_device.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/layer_util.h"

namespace ist {
namespace dpsroi {
namespace {

// Inputs (data, rois[, trans]); outputs (output[, top_count]), both (R, output_dim, P, P).
void dpShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<DeformablePSROIPoolingParam>();
  const char* op = nn::opName(attrs, kOp);
  nn::expectOptional(attrs, 2, p.no_trans ? 0 : 1, p.no_trans ? "data, rois" : "data, rois, trans", op);
  IST_CHECK(in.size() == (p.no_trans ? 2u : 3u), op, "inputs",
            "expected inputs (" << (p.no_trans ? "data, rois" : "data, rois, trans") << "), got " << in.size()
                                << " input(s)");
  IST_CHECK(p.pooled_size > 0, op, "pooled_size", "must be positive, got " << p.pooled_size);
  IST_CHECK(p.output_dim > 0, op, "output_dim", "must be positive, got " << p.output_dim);
  IST_CHECK(p.group_size > 0, op, "group_size", "must be positive, got " << p.group_size);
  IST_CHECK(p.part_size >= 0, op, "part_size", "must be >= 0 (0: pooled_size), got " << p.part_size);
  IST_CHECK(p.sample_per_part > 0 && p.sample_per_part <= kMaxSamplePerPart, op, "sample_per_part",
            "must be in [1, " << kMaxSamplePerPart << "], got " << p.sample_per_part);
  const Shape &d = in[0], &r = in[1];
  checkRoiInputs(op, d, r);
  if (shapeIsKnown(d)) {
    const int64_t G = p.group_size;
    IST_CHECK(d[1] == p.output_dim * G * G, op, "data",
              "expects output_dim * group_size^2 = " << p.output_dim << " * " << G << "^2 = " << p.output_dim * G * G
                                                      << " channels, got data of shape " << shapeString(d));
  }
  if (!p.no_trans && shapeIsKnown(in[2])) {
    const Shape& t = in[2];
    const int64_t Q = partOf(p);
    IST_CHECK(t.size() == 4 && t[1] > 0 && t[1] % 2 == 0 && t[2] == Q && t[3] == Q, op, "trans",
              "expects (num_rois, 2 * num_classes, part_size, part_size) with part_size " << Q << ", got shape "
                                                                                         << shapeString(t));
    IST_CHECK(p.output_dim % (t[1] / 2) == 0, op, "trans",
              "has " << t[1] / 2 << " classes (shape " << shapeString(t) << "), which must divide output_dim "
                     << p.output_dim);
    if (shapeIsKnown(r))
      IST_CHECK(t[0] == r[0], op, "trans",
                "needs one row per ROI: shape " << shapeString(t) << " for rois of shape " << shapeString(r));
  }
  if (shapeIsKnown(d) && shapeIsKnown(r))
    IST_CHECK(r[0] == 0 || (d[2] > 0 && d[3] > 0), op, "data",
              "cannot sample an empty feature map of shape " << shapeString(d) << " for " << r[0] << " ROIs");
  if (!shapeIsKnown(r)) return;
  out[0] = Shape{r[0], p.output_dim, p.pooled_size, p.pooled_size};
  if (out.size() > 1) out[1] = out[0];
}

void dpType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const int t = nn::unifyFloat(in, {"data", "rois", "trans"}, nn::opName(attrs, kOp));
  if (t < 0) return;
  for (auto& o : out) o = t;
}

// (ograd, data, rois[, trans]) -> (d data[, d trans]).
void dpBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  IST_CHECK(in.size() >= 3, kBack, "inputs", "expected inputs (ograd, data, rois[, trans]), got " << in.size() << " input(s)");
  std::vector<Shape> fwd(in.begin() + 1, in.end());
  checkAgainstForward(kBack, dpShape, attrs, {in[0]}, fwd);
  if (shapeIsKnown(in[1])) out[0] = in[1];
  if (out.size() > 1 && in.size() > 3 && shapeIsKnown(in[3])) out[1] = in[3];
}

void dpBackwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  const int t = nn::unifyFloat(in, {"ograd", "data", "rois", "trans"}, kBack);
  if (t < 0) return;
  for (auto& o : out) o = t;
}

bool hasTrans(const NodeAttrs& a) { return !a.get<DeformablePSROIPoolingParam>().no_trans; }

IST_REGISTER_OP(_contrib_DeformablePSROIPooling)
    .describe("Performs deformable position-sensitive region-of-interest pooling on inputs. The DeformablePSROIPooling "
              "operation is described in https://arxiv.org/abs/1703.06211 .batch_size will change to the number of "
              "region bounding boxes after DeformablePSROIPooling.\n\n"
              "Each ROI row [batch_index, x1, y1, x2, y2] is split into pooled_size x pooled_size bins; bin (ph, pw) "
              "of output channel c averages sample_per_part^2 bilinear samples of data channel (c * group_size + gh) "
              "* group_size + gw, shifted by trans[roi, 2 * class + (0: x, 1: y), part_h, part_w] * trans_std times "
              "the ROI width (height). Samples outside the image are skipped.")
    .inputs({"data", "rois"})
    .variadic("trans", nn::kOptionalCount)
    .optionalInput("trans", hasTrans)
    // output, top_count: a count, not names, so the TS facade returns the one visible array (the
    // params are required, so it cannot ask the op with default params).
    .numOutputs([](const NodeAttrs&) { return 2; })
    .numVisibleOutputs([](const NodeAttrs&) { return 1; })
    .params<DeformablePSROIPoolingParam>()
    .inferShape(dpShape)
    .inferType(dpType)
    .compute(Context::kCPU, dpForwardDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      const bool trans = hasTrans(n->attrs);
      std::vector<NodeEntry> ins{og[0], n->inputs[0], n->inputs[1]};
      if (trans) ins.push_back(n->inputs[2]);
      NodePtr b = makeNode(kBack, ins, nn::backwardAttrs(n->attrs));
      std::vector<NodeEntry> g{NodeEntry{b, 0}, makeEntry("zeros_like", {n->inputs[1]})};
      if (trans) g.push_back(NodeEntry{b, 1});
      return g;
    });

IST_REGISTER_OP(_backward__contrib_DeformablePSROIPooling)
    .describe("Gradient of _contrib_DeformablePSROIPooling with respect to data (each output gradient spread over "
              "its samples' bilinear taps) and, unless no_trans, trans.")
    .inputs({"ograd", "data", "rois"})
    .variadic("trans", nn::kOptionalCount)
    .numOutputs([](const NodeAttrs& a) { return hasTrans(a) ? 2 : 1; })
    .params<DeformablePSROIPoolingParam>()
    .inferShape(dpBackwardShape)
    .inferType(dpBackwardType)
    .compute(Context::kCPU, namedCompute(kBack, dpBackwardDev<cpu>));

}  // namespace
}  // namespace dpsroi
}  // namespace ist
