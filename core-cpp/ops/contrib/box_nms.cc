// _contrib_box_nms (alias _contrib_box_non_maximum_suppression, MXNet contrib): non-maximum
// suppression of scored boxes per batch, with MXNet's hidden second output (each output row's source
// row) that its gradient _backward_contrib_box_nms uses to move out_grad back to the kept boxes.
#include <vector>
#include "base/error.h"
#include "graph/node.h"
#include "op/backward_errors.h"
#include "op/registry.h"
#include "ops/contrib/box_nms_device.h"

namespace ist {
namespace {

using boxnms::BoxNMSParam;

IST_REGISTER_OP(_contrib_box_nms)
    .describe("Apply non-maximum suppression to input.\n\n"
              "The output will be sorted in descending order according to `score` (equal scores keep "
              "their input order). Boxes with overlaps larger than `overlap_thresh`, smaller scores and "
              "background boxes will be removed and filled with -1, the corresponding position will be "
              "recorded for backward propogation. During back-propagation, the gradient will be copied "
              "to the original position according to the input index. For positions that have been "
              "suppressed, the in_grad will be assigned 0.\n\n"
              "Input requirements: at least 2 dimensions (n, k), any higher dims are batch dims, e.g. "
              "(a, b, c, d, n, k) == (a*b*c*d, n, k); n is the number of boxes in each batch and k the "
              "width of each box item. By default, a box is [id, score, xmin, ymin, xmax, ymax, ...].\n\n"
              "Example: x = [[0, 0.5, 0.1, 0.1, 0.2, 0.2], [1, 0.4, 0.1, 0.1, 0.2, 0.2], "
              "[0, 0.3, 0.1, 0.1, 0.14, 0.14], [2, 0.6, 0.5, 0.5, 0.7, 0.8]]; box_nms(x, "
              "overlap_thresh=0.1, coord_start=2, score_index=1, id_index=0, force_suppress=True) = "
              "[[2, 0.6, 0.5, 0.5, 0.7, 0.8], [0, 0.5, 0.1, 0.1, 0.2, 0.2], [-1, -1, -1, -1, -1, -1], "
              "[-1, -1, -1, -1, -1, -1]]")
    .alias("_contrib_box_non_maximum_suppression")
    .inputs({"data"})
    // Outputs output, hidden record: MXNet declares no output names, so list_outputs says outputN.
    .outputs({"output0", "output1"})
    .params<BoxNMSParam>()
    .numVisibleOutputs([](const NodeAttrs&) { return 1; })
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0])) return;
      out[1] = boxnms::boxNmsCheck(in[0], attrs.get<BoxNMSParam>());
      out[0] = in[0];
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      const int t = in[0] >= 0 ? in[0] : out[0];
      if (t < 0) return;
      in[0] = out[0] = out[1] = t;
    })
    .compute(Context::kCPU, boxnms::boxNmsDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry("_backward_contrib_box_nms", {og[0], NodeEntry{n, 0}, NodeEntry{n, 1}},
                                              n->attrs.dict)};
    });

IST_REGISTER_OP(_backward_contrib_box_nms)
    .describe("Gradient of _contrib_box_nms: out_grad's rows moved back to the input rows they came from "
              "(zeros for the suppressed and invalid boxes).")
    .inputs({"out_grad", "output", "record"})
    .params<BoxNMSParam>()
    .inferShape(namedShape("_backward_contrib_box_nms",
                           [](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
                             const Shape& s = shapeIsKnown(in[1]) ? in[1] : in[0];
                             if (!shapeIsKnown(s)) return;
                             const Shape r = boxnms::boxNmsCheck(s, attrs.get<BoxNMSParam>());
                             if (shapeIsKnown(in[0]))
                               IST_CHECK(in[0] == s, "_backward_contrib_box_nms", "out_grad",
                                         "out_grad has shape " << shapeString(in[0]) << " but the output has "
                                                               << shapeString(s));
                             if (shapeIsKnown(in[2]))
                               IST_CHECK(in[2] == r, "_backward_contrib_box_nms", "record",
                                         "record has shape " << shapeString(in[2]) << " but needs "
                                                             << shapeString(r));
                             out[0] = s;
                           }))
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      const int t = in[0] >= 0 ? in[0] : in[1];
      if (t < 0) return;
      out[0] = t;
    })
    .compute(Context::kCPU, namedCompute("_backward_contrib_box_nms", boxnms::boxNmsBackwardDev<cpu>));

}  // namespace
}  // namespace ist
