// reverse (flip): the input read backwards (negative strides) along the chosen axes. It is its
// own inverse, so the gradient reverses the output gradient.
#include <string>
#include "base/error.h"
#include "graph/node.h"
#include "op/registry.h"
#include "ops/matrix/strided_copy.h"
#include "ops/matrix/reverse_device.h"

namespace ist {
namespace {

using mat::ReverseParam;
using mat::reversedAxes;

void reverseShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  reversedAxes(in[0], attrs.get<ReverseParam>().axis);
  out[0] = in[0];
}

void reverseCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const Shape& s = in[0].shape;
  if (shapeSize(s) == 0) return;
  std::vector<int64_t> src;
  const char* base = mat::reverseSource(in[0], attrs.get<ReverseParam>().axis, &src);
  copyStrided(in[0].dtype, s, out[0].dptr, contiguousStrides(s), base, src, req[0], "reverse");
}

IST_REGISTER_OP(reverse)
    .alias("flip")
    .describe("Reverses the order of elements along the given axis (or axes); the shape is kept.")
    .inputs({"data"})
    .params<ReverseParam>()
    .inferShape(reverseShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, reverseCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry("reverse", {og[0]}, n->attrs.dict)};
    });

}  // namespace
}  // namespace ist
