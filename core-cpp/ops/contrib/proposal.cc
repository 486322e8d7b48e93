// _contrib_Proposal and _contrib_MultiProposal (MXNet contrib): Faster R-CNN's region proposal layer,
// anchors decoded by bbox_pred, clipped, filtered and reduced by NMS to rpn_post_nms_top_n rois per
// image (the steps are described in proposal_device.h). Their gradient is zero, as MXNet's backward.
#include <vector>
#include "base/error.h"
#include "graph/node.h"
#include "op/registry.h"
#include "ops/contrib/proposal_device.h"

namespace ist {
namespace proposal {
namespace {

// All three inputs share one float dtype (MXNet computes in real_t); the outputs take it.
void proposalType(const char* op, std::vector<int>& in, std::vector<int>& out) {
  int t = -1;
  for (int v : in)
    if (v >= 0) t = v;
  if (t < 0) t = out[0] >= 0 ? out[0] : out[1];
  if (t < 0) return;
  const char* names[3] = {"cls_prob", "bbox_pred", "im_info"};
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] < 0) in[i] = t;
    const DType d = static_cast<DType>(in[i]);
    IST_CHECK(d == DType::kFloat32 || d == DType::kFloat64, op, names[i],
              names[i] << " must be float32 or float64, got " << dtypeName(d));
    IST_CHECK(in[i] == t, op, names[i],
              names[i] << " has dtype " << dtypeName(d) << " but the other inputs have "
                       << dtypeName(static_cast<DType>(t)));
  }
  out[0] = out[1] = t;
}

template <bool Multi>
void proposalShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  const int64_t rows = proposalShapes(in, attrs.get<ProposalParam>(), Multi);
  out[0] = Shape{rows, 5};
  out[1] = Shape{rows, 1};
}

int visibleOutputs(const NodeAttrs& attrs) { return attrs.get<ProposalParam>().output_score ? 2 : 1; }

IST_REGISTER_OP(_contrib_Proposal)
    .describe("Generate region proposals via RPN (Faster R-CNN), for one image.\n\n"
              "Anchors (ratios x scales of a feature_stride box, at every feature position) are moved by "
              "bbox_pred, clipped to the image (im_info = [[height, width, scale]]), boxes smaller than "
              "rpn_min_size * scale get score -1, the best rpn_pre_nms_top_n by foreground score "
              "(cls_prob[:, A:]) go through NMS (IoU > threshold suppresses), and the first "
              "rpn_post_nms_top_n kept boxes are returned as rows [0, x1, y1, x2, y2] (cycling through the "
              "kept boxes when fewer survive); with output_score, their scores as a second output.\n\n"
              "Inputs: cls_prob (1, 2A, H, W), bbox_pred (1, 4A, H, W), im_info (1, 3); A = "
              "len(ratios) * len(scales). Output: (rpn_post_nms_top_n, 5) [and (rpn_post_nms_top_n, 1)].")
    .inputs({"cls_prob", "bbox_pred", "im_info"})
    .outputs({"output", "score"})
    .params<ProposalParam>()
    .numVisibleOutputs(visibleOutputs)
    .inferShape(proposalShape<false>)
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) { proposalType(kProposal, in, out); })
    .compute(Context::kCPU, proposalDev<false, cpu>)
    .zeroGradient();

IST_REGISTER_OP(_contrib_MultiProposal)
    .describe("Generate region proposals via RPN (Faster R-CNN), for a batch of N images.\n\n"
              "As _contrib_Proposal, per image: rows [b, x1, y1, x2, y2] of image b fill rows "
              "b * rpn_post_nms_top_n .. (b + 1) * rpn_post_nms_top_n - 1.\n\n"
              "Inputs: cls_prob (N, 2A, H, W), bbox_pred (N, 4A, H, W), im_info (N, 3). Output: "
              "(N * rpn_post_nms_top_n, 5) [and (N * rpn_post_nms_top_n, 1) with output_score].")
    .inputs({"cls_prob", "bbox_pred", "im_info"})
    .outputs({"output", "score"})
    .params<ProposalParam>()
    .numVisibleOutputs(visibleOutputs)
    .inferShape(proposalShape<true>)
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      proposalType(kMultiProposal, in, out);
    })
    .compute(Context::kCPU, proposalDev<true, cpu>)
    .zeroGradient();

}  // namespace
}  // namespace proposal
}  // namespace ist
