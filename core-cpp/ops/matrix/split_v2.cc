// _split_v2: MXNet's split_v2 operator, splitting an array along an axis at given indices or into
// equal sections (MXNet's Python split_v2 prepends the 0 to the indices it passes); the gradient
// joins the output gradients again (Concat, or stack when the axis was squeezed).
#include <string>
#include "base/error.h"
#include "graph/node.h"
#include "op/registry.h"
#include "ops/matrix/split_v2_device.h"

namespace ist {
namespace {

using mat::SplitV2Param;
using mat::kSplitV2;

void splitV2Shape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  const auto& p = attrs.get<SplitV2Param>();
  std::vector<int64_t> b;
  const int axis = mat::splitV2Bounds(in[0], p, b);
  for (size_t k = 0; k < out.size(); ++k) {
    Shape o = in[0];
    o[axis] = b[k + 1] - b[k];
    if (p.squeeze_axis) o.erase(o.begin() + axis);
    out[k] = o;
  }
}

void splitV2Compute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  mat::splitV2With(mat::HostCopy{}, attrs, in, req, out);
}

IST_REGISTER_OP(_split_v2)
    .describe("Splits an array along a particular axis into multiple sub-arrays: at the split "
              "points `indices` (output i covers [indices[i], indices[i+1]), the last runs to the "
              "end; indices[0] is 0) or, with sections > 0, into that many equal parts. With "
              "squeeze_axis the split axis, then of length 1, is removed.\n\n"
              "Example: x of shape (3, 2, 1): _split_v2(x, indices=(0, 1), axis=0) gives arrays of "
              "shapes (1, 2, 1) and (2, 2, 1); _split_v2(x, indices=(), sections=3, axis=0, "
              "squeeze_axis=1) gives three arrays of shape (2, 1).")
    .inputs({"data"})
    .numOutputs([](const NodeAttrs& attrs) { return mat::splitV2NumOutputs(attrs.get<SplitV2Param>()); })
    .params<SplitV2Param>()
    .inferShape(splitV2Shape)
    .inferType(inferSameType)
    .compute(Context::kCPU, splitV2Compute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      const auto& p = n->attrs.get<SplitV2Param>();
      if (p.squeeze_axis)
        return std::vector<NodeEntry>{makeEntry("stack", og, {{"axis", std::to_string(p.axis)}})};
      return std::vector<NodeEntry>{makeEntry("Concat", og, {{"dim", std::to_string(p.axis)}})};
    });

}  // namespace
}  // namespace ist
