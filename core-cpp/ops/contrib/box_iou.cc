// _contrib_box_iou (MXNet contrib): the intersection-over-union of every lhs box with every rhs box,
// shaped lhs.shape[:-1] + rhs.shape[:-1]; its gradient, as in MXNet, is zeros (_backward_contrib_box_iou).
#include <vector>
#include "base/error.h"
#include "graph/node.h"
#include "op/backward_errors.h"
#include "op/registry.h"
#include "ops/contrib/box_iou_device.h"

namespace ist {
namespace {

using boxiou::BoxOverlapParam;

void boxIouType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  int t = in[0] >= 0 ? in[0] : (in[1] >= 0 ? in[1] : out[0]);
  if (t < 0) return;
  IST_CHECK(in[1] < 0 || in[1] == t, boxiou::kOp, "rhs",
            "rhs has dtype " << dtypeName(static_cast<DType>(in[1])) << " but lhs has "
                             << dtypeName(static_cast<DType>(t)));
  in[0] = in[1] = out[0] = t;
}

IST_REGISTER_OP(_contrib_box_iou)
    .describe("Bounding box overlap of two arrays. The overlap is defined as Intersection-over-Union, "
              "aka, IOU.\n  - lhs: (a_1, a_2, ..., a_n, 4) array\n  - rhs: (b_1, b_2, ..., b_n, 4) array\n"
              "  - output: (a_1, a_2, ..., a_n, b_1, b_2, ..., b_n) array\n\n"
              "Zero gradients are back-propagated in this op for now.\n\n"
              "Example: x = [[0.5, 0.5, 1.0, 1.0], [0.0, 0.0, 0.5, 0.5]]; y = [[0.25, 0.25, 0.75, 0.75]]: "
              "box_iou(x, y, format='corner') = [[0.1428], [0.1428]]")
    .inputs({"lhs", "rhs"})
    .params<BoxOverlapParam>()
    .inferShape([](const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1])) return;
      out[0] = boxiou::boxIouShape(in[0], in[1]);
    })
    .inferType(boxIouType)
    .compute(Context::kCPU, boxiou::boxIouDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      const NodeEntry g = makeEntry("_backward_contrib_box_iou", {og[0], n->inputs[0], n->inputs[1]}, n->attrs.dict);
      return std::vector<NodeEntry>{NodeEntry{g.node, 0}, NodeEntry{g.node, 1}};
    });

IST_REGISTER_OP(_backward_contrib_box_iou)
    .describe("Gradient of _contrib_box_iou: zeros shaped like lhs and rhs.")
    .inputs({"out_grad", "lhs", "rhs"})
    .outputs({"lhs_grad", "rhs_grad"})
    .params<BoxOverlapParam>()
    .inferShape(namedShape("_backward_contrib_box_iou",
                           [](const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
                             if (!shapeIsKnown(in[1]) || !shapeIsKnown(in[2])) return;
                             const Shape o = boxiou::boxIouShape(in[1], in[2]);
                             if (shapeIsKnown(in[0]))
                               IST_CHECK(in[0] == o, "_backward_contrib_box_iou", "out_grad",
                                         "out_grad has shape " << shapeString(in[0]) << " but box_iou gives "
                                                               << shapeString(o));
                             out[0] = in[1];
                             out[1] = in[2];
                           }))
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      const int t = in[1] >= 0 ? in[1] : in[0];
      if (t < 0) return;
      out[0] = out[1] = t;
    })
    .compute(Context::kCPU, namedCompute("_backward_contrib_box_iou", boxiou::boxIouBackwardDev<cpu>));

}  // namespace
}  // namespace ist
