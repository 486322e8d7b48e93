// _contrib_allclose (MXNet contrib): 1 when every |a - b| <= atol + rtol |b| (NaNs equal per
// equal_nan), else 0, as a 0-d uint8 array; not differentiable. Compute in allclose_device.h.
#include <vector>
#include "base/error.h"
#include "graph/node.h"
#include "op/registry.h"
#include "ops/contrib/allclose_device.h"

namespace ist {
namespace {

IST_REGISTER_OP(_contrib_allclose)
    .describe("This operators implements the numpy.allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False)\n\n"
              "    f(x) = |a-b| <= atol + rtol|b|\n\n"
              "where a, b are the input tensors of equal types an shapes, atol, rtol the values of absolute "
              "and relative tolerance (by default, rtol=1e-05, atol=1e-08). The result is a 0-d uint8 "
              "array: 1 if all elements are close, else 0.\n\n"
              "Examples:\n  a = [1e10, 1e-7], b = [1.00001e10, 1e-8]: allclose(a, b) = 0\n"
              "  a = [1e10, 1e-8], b = [1.00001e10, 1e-9]: allclose(a, b) = 1")
    .inputs({"a", "b"})
    .params<allclose::AllCloseParam>()
    .inferShape([](const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (shapeIsKnown(in[0]) && shapeIsKnown(in[1])) allclose::checkShapes(in[0], in[1]);
      out[0] = Shape{};
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      const int t = in[0] >= 0 ? in[0] : in[1];
      if (t >= 0) {
        IST_CHECK(in[0] < 0 || in[1] < 0 || in[0] == in[1], allclose::kOp, "b",
                  "a and b must have the same dtype, got a " << dtypeName(static_cast<DType>(in[0])) << " and b "
                                                             << dtypeName(static_cast<DType>(in[1])));
        IST_CHECK(t != static_cast<int>(DType::kBool), allclose::kOp, "a", "a and b must be numeric, got bool");
        in[0] = in[1] = t;
      }
      out[0] = static_cast<int>(DType::kUint8);
    })
    .compute(Context::kCPU, allclose::allcloseDev<cpu>);

}  // namespace
}  // namespace ist
