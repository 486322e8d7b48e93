// _slice_assign (alias _crop_assign) and _slice_assign_scalar (alias _crop_assign_scalar): a copy of
// the input with a slice region (slice's begin/end/step) replaced by rhs or by a scalar. Gradients
// compose registered ops: d lhs (d data) = the output gradient with the region set to 0, d rhs =
// slice of the output gradient.
#include <string>
#include <vector>
#include "base/error.h"
#include "graph/node.h"
#include "op/registry.h"
#include "ops/matrix/slice_assign_device.h"

namespace ist {
namespace sliceassign {
namespace {

// The output gradient with the region zeroed, as _slice_assign_scalar(scalar=0) on dict's region.
NodeEntry zeroRegion(const NodeEntry& og, AttrDict dict) {
  dict["scalar"] = "0";
  return makeEntry(kAssignScalar, {og}, std::move(dict));
}

IST_REGISTER_OP(_slice_assign)
    .alias("_crop_assign")
    .describe("Assign the rhs to a cropped subset of lhs.\n\n"
              "Requirements\n------------\n- output should be explicitly given and be the same as lhs.\n"
              "- lhs and rhs are of the same data type, and on the same device.\n\n"
              "The region is slice's: begin, end and step per leading axis (None entries as in slice); "
              "rhs must have the region's shape. Example: lhs = zeros((2, 3)), rhs = [[1], [2]]: "
              "_slice_assign(lhs, rhs, begin=(None, 1), end=(None, 2)) = [[0, 1, 0], [0, 2, 0]]")
    .inputs({"lhs", "rhs"})
    .params<mat::SliceParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0]) && shapeIsKnown(out[0])) in[0] = out[0];
      if (!shapeIsKnown(in[0])) return;
      const mat::SliceView v = regionOf(in[0], attrs.get<mat::SliceParam>());
      if (!shapeIsKnown(in[1])) in[1] = v.shape;
      IST_CHECK(in[1] == v.shape, kAssign, "rhs",
                "rhs has shape " << shapeString(in[1]) << " but the region of lhs (shape " << shapeString(in[0])
                                 << ") it replaces has shape " << shapeString(v.shape));
      out[0] = in[0];
    })
    .inferType(inferSameType)
    .inplace(0, 0)
    .compute(Context::kCPU, sliceAssignDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{zeroRegion(og[0], n->attrs.dict), makeEntry("slice", {og[0]}, n->attrs.dict)};
    });

IST_REGISTER_OP(_slice_assign_scalar)
    .alias("_crop_assign_scalar")
    .describe("(Assign the scalar to a cropped subset of the input.\n\n"
              "Requirements\n------------\n- output should be explicitly given and be the same as input\n)\n\n"
              "The region is slice's: begin, end and step per leading axis (None entries as in slice). "
              "Example: _slice_assign_scalar(zeros((2, 3)), scalar=5, begin=(0, 0), end=(2, 3), "
              "step=(1, 2)) = [[5, 0, 5], [5, 0, 5]]")
    .inputs({"data"})
    .params<SliceAssignScalarParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0]) && shapeIsKnown(out[0])) in[0] = out[0];
      if (!shapeIsKnown(in[0])) return;
      regionOf(in[0], attrs.get<SliceAssignScalarParam>());
      out[0] = in[0];
    })
    .inferType(inferSameType)
    .inplace(0, 0)
    .compute(Context::kCPU, sliceAssignScalarDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{zeroRegion(og[0], n->attrs.dict)};
    });

}  // namespace
}  // namespace sliceassign
}  // namespace ist
