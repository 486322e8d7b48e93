// SVMOutput: a loss layer whose forward is the identity and whose gradient is the L2-SVM (or, with
// use_linear, L1-SVM) hinge-loss gradient of the output against the class labels, scaled by
// regularization_coefficient, ignoring the head gradient as MXNet's loss layers do.
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/nn/layer_util.h"
#include "ops/nn/svm_output_device.h"

namespace ist {
namespace {

using svmdev::SVMOutputParam;

// data (..., classes); label has data's shape without the last axis (one class per row).
void svmCheckShapes(const char* op, const char* dataArg, const Shape& d, Shape& l) {
  IST_CHECK(!d.empty(), op, dataArg, "expects " << dataArg << " of rank >= 1, got shape ()");
  const Shape want(d.begin(), d.end() - 1);
  if (!shapeRankKnown(l)) {
    l = want;
    return;
  }
  if (shapeIsKnown(l))
    IST_CHECK(l == want, op, "label",
              "label has shape " << shapeString(l) << " but " << dataArg << " of shape " << shapeString(d)
                                 << " needs " << shapeString(want) << " (its shape without the last axis)");
}

void svmShape(const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  svmCheckShapes("SVMOutput", "data", in[0], in[1]);
  out[0] = in[0];
}

void svmType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  nn::requireFloat(in[0], "SVMOutput", "data");
  nn::requireNumeric(in[1], "SVMOutput", "label");
  if (in[0] < 0) return;
  if (in[1] < 0) in[1] = in[0];
  out[0] = in[0];
}

void svmBackwardShape(const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[1])) return;
  svmCheckShapes("_backward_SVMOutput", "output", in[1], in[0]);
  out[0] = in[1];
}

void svmBackwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  nn::requireFloat(in[1], "_backward_SVMOutput", "output");
  nn::requireNumeric(in[0], "_backward_SVMOutput", "label");
  if (in[1] >= 0) out[0] = in[1];
}

IST_REGISTER_OP(SVMOutput)
    .describe("Computes support vector machine based transformation of the input: the forward "
              "output is the data; the gradient is that of the L2-SVM loss (use_linear: L1-SVM) "
              "with the given margin, scaled by regularization_coefficient. The label holds one "
              "class index per row of data (data's shape without the last axis).")
    .inputs({"data", "label"})
    .params<SVMOutputParam>()
    .inferShape(svmShape)
    .inferType(svmType)
    .inplace(0, 0)
    .compute(Context::kCPU, svmdev::svmOutputDev<cpu>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>&) {
      return std::vector<NodeEntry>{makeEntry("_backward_SVMOutput", {n->inputs[1], NodeEntry{n, 0}}, n->attrs.dict),
                                    NodeEntry{}};
    });

IST_REGISTER_OP(_backward_SVMOutput)
    .describe("Gradient of SVMOutput with respect to data (inputs: label, output).")
    .inputs({"label", "output"})
    .params<SVMOutputParam>()
    .inferShape(svmBackwardShape)
    .inferType(svmBackwardType)
    .compute(Context::kCPU, namedCompute("_backward_SVMOutput", svmdev::svmOutputBackwardDev<cpu>));

}  // namespace
}  // namespace ist
