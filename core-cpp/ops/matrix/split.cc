// SliceChannel (split): splits an array into num_outputs equal parts along an axis, each a strided
// copy of its slab; the gradient joins the output gradients again (Concat, or stack when the
// axis was squeezed).
#include <climits>
#include <string>
#include "base/error.h"
#include "graph/node.h"
#include "op/registry.h"
#include "ops/matrix/strided_copy.h"
#include "ops/matrix/split_device.h"

namespace ist {
namespace {

using mat::SliceChannelParam;

void splitShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = "SliceChannel";
  if (!shapeIsKnown(in[0])) return;
  const auto& p = attrs.get<SliceChannelParam>();
  const Shape& s = in[0];
  IST_CHECK(!s.empty(), op, "data", "cannot split a 0-d array (shape ())");
  const int axis = normalizeAxis(p.axis, static_cast<int>(s.size()), op, "axis");
  IST_CHECK(s[axis] % p.num_outputs == 0, op, "num_outputs",
            "num_outputs=" << p.num_outputs << " does not evenly divide the length " << s[axis]
                           << " of axis " << axis << " of shape " << shapeString(s));
  Shape o = s;
  o[axis] = s[axis] / p.num_outputs;
  if (p.squeeze_axis) {
    IST_CHECK(o[axis] == 1, op, "squeeze_axis",
              "squeeze_axis needs input.shape[axis] == num_outputs, got length " << s[axis]
                  << " of axis " << axis << " of shape " << shapeString(s) << " and num_outputs="
                  << p.num_outputs);
    o.erase(o.begin() + axis);
  }
  for (auto& x : out) x = o;
}

void splitType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  int t = in[0];
  for (int v : out)
    if (t < 0) t = v;
  if (t < 0) return;
  in[0] = t;
  for (auto& v : out) v = t;
}

void splitCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  mat::splitComputeWith(mat::HostCopy{}, attrs, in, req, out);
}

IST_REGISTER_OP(SliceChannel)
    .alias("split")
    .describe("Splits an array along `axis` into num_outputs equal parts (num_outputs outputs); "
              "with squeeze_axis the split axis, then of length 1, is removed.\n\n"
              "Example: x of shape (3, 2): split(x, num_outputs=3, axis=0) gives three arrays of "
              "shape (1, 2); with squeeze_axis=1, three of shape (2,).")
    .inputs({"data"})
    .numOutputs([](const NodeAttrs& attrs) { return attrs.get<SliceChannelParam>().num_outputs; })
    .params<SliceChannelParam>()
    .inferShape(splitShape)
    .inferType(splitType)
    .compute(Context::kCPU, splitCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      const auto& p = n->attrs.get<SliceChannelParam>();
      if (p.squeeze_axis)
        return std::vector<NodeEntry>{makeEntry("stack", og, {{"axis", std::to_string(p.axis)}})};
      return std::vector<NodeEntry>{makeEntry("Concat", og, {{"dim", std::to_string(p.axis)}})};
    });

}  // namespace
}  // namespace ist
