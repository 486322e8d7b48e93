// Elementwise contrib ops: _contrib_div_sqrt_dim (x / sqrt(last dim)), _contrib_quadratic
// (a x^2 + b x + c) with _contrib_backward_quadratic, and _contrib_gradientmultiplier (identity
// forward, gradient scaled) with _contrib_backward_gradientmultiplier, as in MXNet 1.9.
#include <vector>
#include "base/error.h"
#include "graph/node.h"
#include "op/backward_errors.h"
#include "op/registry.h"
#include "ops/contrib/scale_ops_device.h"

namespace ist {
namespace {

using scaleops::QuadraticParam;
using scaleops::ScalarParam;

// Same shape in and out, and for the backward ops every input alike.
void allSameShape(const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
  for (const auto& s : in)
    if (shapeIsKnown(s)) { out[0] = s; break; }
}

IST_REGISTER_OP(_contrib_div_sqrt_dim)
    .describe("Rescale the input by the square root of the channel dimension.\n\n"
              "   out = data / sqrt(data.shape[-1])\n\n"
              "For integer dtypes the divisor is sqrt(data.shape[-1]) cast to the dtype, as in MXNet.")
    .inputs({"data"})
    .inferShape([](const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0])) return;
      scaleops::checkDivSqrtDim(in[0]);
      out[0] = in[0];
    })
    .inferType(inferSameType)
    .compute(Context::kCPU, scaleops::divSqrtDimDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      // Linear in data: the gradient is the same scaling of out_grad.
      return std::vector<NodeEntry>{makeEntry("_contrib_div_sqrt_dim", {og[0]})};
    });

IST_REGISTER_OP(_contrib_quadratic)
    .describe("This operators implements the quadratic function.\n\n"
              ".. math::\n    f(x) = ax^2+bx+c\n\n"
              "where :math:`x` is an input tensor and all operations in the function are element-wise.\n\n"
              "Example: x = [[1, 2], [3, 4]]; quadratic(data=x, a=1, b=2, c=3) = [[6, 11], [18, 27]]")
    .inputs({"data"})
    .params<QuadraticParam>()
    .inferShape(inferSameShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, scaleops::quadraticDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{
          makeEntry("_contrib_backward_quadratic", {og[0], n->inputs[0]}, n->attrs.dict)};
    });

IST_REGISTER_OP(_contrib_backward_quadratic)
    .describe("Gradient of _contrib_quadratic: out_grad * (2 a data + b).")
    .inputs({"out_grad", "data"})
    .params<QuadraticParam>()
    .inferShape(namedShape("_contrib_backward_quadratic",
                           [](const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
                             if (shapeIsKnown(in[0]) && shapeIsKnown(in[1]))
                               IST_CHECK(in[0] == in[1], "_contrib_backward_quadratic", "out_grad",
                                         "out_grad has shape " << shapeString(in[0]) << " but data has "
                                                               << shapeString(in[1]));
                             if (shapeIsKnown(in[1])) out[0] = in[1];
                             else if (shapeIsKnown(in[0])) out[0] = in[0];
                           }))
    .inferType(inferSameType)
    .compute(Context::kCPU, scaleops::quadraticBackwardDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      // d/d out_grad: the same map of g; d/d data: g * out_grad * 2a.
      const auto& p = n->attrs.get<QuadraticParam>();
      AttrDict twoA{{"scalar", paramparse::formatDouble(2.0 * static_cast<double>(p.a))}, {"is_int", "False"}};
      return std::vector<NodeEntry>{
          makeEntry("_contrib_backward_quadratic", {g[0], n->inputs[1]}, n->attrs.dict),
          makeEntry("_mul_scalar", {makeEntry("elemwise_mul", {g[0], n->inputs[0]})}, twoA)};
    });

IST_REGISTER_OP(_contrib_gradientmultiplier)
    .describe("This operator implements the gradient multiplier function. In forward pass it acts as "
              "an identity transform. During backpropagation it multiplies the gradient from the "
              "subsequent level by a scalar factor lambda and passes it to the preceding layer.")
    .inputs({"data"})
    .params<ScalarParam>()
    .inferShape(inferSameShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, scaleops::identityDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry("_contrib_backward_gradientmultiplier", {og[0]}, n->attrs.dict)};
    });

IST_REGISTER_OP(_contrib_backward_gradientmultiplier)
    .describe("Gradient of _contrib_gradientmultiplier: out_grad * scalar.")
    .inputs({"data"})
    .params<ScalarParam>()
    .inferShape(allSameShape)
    .inferType(inferSameType)
    .compute(Context::kCPU, scaleops::mulScalarDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      return std::vector<NodeEntry>{makeEntry("_contrib_backward_gradientmultiplier", {g[0]}, n->attrs.dict)};
    });

}  // namespace
}  // namespace ist
