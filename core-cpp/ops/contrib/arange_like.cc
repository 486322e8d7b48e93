// _contrib_arange_like (MXNet contrib): evenly spaced values shaped like the input (or like one of
// its axes), start + step * floor(i / repeat), in the input's dtype. Zero gradient.
#include <vector>
#include "base/error.h"
#include "op/registry.h"
#include "ops/contrib/arange_like_device.h"

namespace ist {
namespace {

using arangelike::RangeLikeParam;

IST_REGISTER_OP(_contrib_arange_like)
    .describe("Return an array with evenly spaced values. If axis is not given, the output will have "
              "the same shape as the input array. Otherwise, the output will be a 1-D array with size "
              "of the specified axis in input shape.\n\n"
              "Example: x of shape (3, 4): arange_like(x, start=0) = [[0, 1, 2, 3], [4, 5, 6, 7], "
              "[8, 9, 10, 11]]; arange_like(x, start=0, axis=-1) = [0, 1, 2, 3]")
    .alias("_npx_arange_like")
    .inputs({"data"})
    .params<RangeLikeParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0])) return;
      out[0] = arangelike::rangeLikeShape(in[0], attrs.get<RangeLikeParam>());
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      IST_CHECK(in[0] != static_cast<int>(DType::kBool), arangelike::kOp, "data",
                "data must have a numeric dtype, got bool");
      if (in[0] >= 0) out[0] = in[0];
      else if (out[0] >= 0) in[0] = out[0];
    })
    .compute(Context::kCPU, arangelike::rangeLikeDev<cpu>)
    .zeroGradient();

}  // namespace
}  // namespace ist
