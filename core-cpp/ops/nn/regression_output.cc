// LinearRegressionOutput, LogisticRegressionOutput, MAERegressionOutput: loss layers whose forward
// is identity / sigmoid and whose gradient is (out - label) or sign(out - label) times
// grad_scale / (label elements per sample), ignoring the head gradient as MXNet does.
#include <cmath>
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "ops/nn/layer_util.h"
#include "ops/nn/regression_output_device.h"

namespace ist {
namespace {

using regdev::RegressionOutputParam;
using regdev::Reg;
using regdev::regName;

// The label has the data's first dimension and size; unknown, it is (n,) for data (n, 1), else data's shape.
template <Reg R>
void regressionShape(const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = regName<R>();
  if (!shapeIsKnown(in[0])) return;
  const Shape& d = in[0];
  IST_CHECK(!d.empty(), op, "data", "expects data of rank >= 1, got shape ()");
  if (!shapeRankKnown(in[1])) {
    in[1] = (d.size() == 2 && d[1] == 1) ? Shape{d[0]} : d;
  } else if (shapeIsKnown(in[1])) {
    IST_CHECK(!in[1].empty() && in[1][0] == d[0] && shapeSize(in[1]) == shapeSize(d), op, "label",
              "shape " << shapeString(in[1]) << " is inconsistent with data of shape " << shapeString(d)
                       << " (same first dimension and number of elements expected)");
  }
  out[0] = d;
}

template <Reg R>
void regressionType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  const char* op = regName<R>();
  nn::requireFloat(in[0], op, "data");
  if (in[1] >= 0)
    IST_CHECK(in[1] != static_cast<int>(DType::kBool), op, "label", "expects a numeric array, got bool");
  if (in[0] < 0) return;
  if (in[1] < 0) in[1] = in[0];
  out[0] = in[0];
}

template <Reg R>
void regressionCompute(const NodeAttrs&, const OpContext&, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const int64_t n = in[0].size();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, regName<R>(), {
    using C = typename ComputeType<T>::type;
    const T* x = in[0].data<T>();
    T* y = out[0].data<T>();
    parallelFor(n, 4, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const C v = C(x[i]);
        nn::put(y + i, double(R == Reg::kLogistic ? C(1) / (C(1) + std::exp(-v)) : v), req[0]);
      }
    });
  });
}

// _backward_*_reg_out inputs: label, output (MXNet's order). Output: the data gradient.
template <Reg R>
void regressionBackward(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const TBlob &label = in[0], &y = in[1];
  const char* op = regName<R>();
  const double scale = regdev::regGradScale(attrs, label);
  const int64_t n = y.size();
  IST_TYPE_SWITCH_FLOAT(y.dtype, T, op, {
    const T* yp = y.data<T>();
    T* gx = out[0].data<T>();
    parallelFor(n, 4, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const double diff = nn::load(yp[i]) - nn::readAsDouble(label, i, op);
        const double g = R == Reg::kMAE ? (diff > 0 ? 1.0 : -1.0) : diff;  // MXNet: sign 0 -> -1
        nn::put(gx + i, g * scale, req[0]);
      }
    });
  });
}

template <Reg R>
std::vector<NodeEntry> regressionGradient(const NodePtr& n, const std::vector<NodeEntry>&) {
  const char* bwd = R == Reg::kLinear ? "_backward_linear_reg_out"
                                      : (R == Reg::kLogistic ? "_backward_logistic_reg_out" : "_backward_mae_reg_out");
  return {makeEntry(bwd, {n->inputs[1], NodeEntry{n, 0}}, n->attrs.dict), NodeEntry{}};
}

// Backward inputs: label, output (checked like the forward's data, label).
void backwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = nn::opName(attrs, "_backward_linear_reg_out");
  if (!shapeIsKnown(in[1]) || !shapeIsKnown(in[0])) return;
  const Shape &d = in[1], &l = in[0];
  IST_CHECK(!d.empty() && !l.empty() && l[0] == d[0] && shapeSize(l) == shapeSize(d), op, "label",
            "shape " << shapeString(l) << " is inconsistent with output of shape " << shapeString(d)
                     << " (same first dimension and number of elements expected)");
  out[0] = d;
}
void backwardType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const char* op = nn::opName(attrs, "_backward_linear_reg_out");
  nn::requireFloat(in[1], op, "output");
  nn::requireNumeric(in[0], op, "label");
  if (in[1] >= 0) out[0] = in[1];
}

#define IST_REGISTER_REGRESSION(NAME, BWD, R, DOC)           \
  IST_REGISTER_OP(NAME)                                       \
      .describe(DOC)                                          \
      .inputs({"data", "label"})                              \
      .params<RegressionOutputParam>()                        \
      .inferShape(regressionShape<R>)                         \
      .inferType(regressionType<R>)                           \
      .inplace(0, 0)                                          \
      .compute(Context::kCPU, regressionCompute<R>)           \
      .gradient(regressionGradient<R>);                       \
  IST_REGISTER_OP(BWD)                                        \
      .describe("Gradient of " #NAME ".")                     \
      .inputs({"label", "output"})                            \
      .params<RegressionOutputParam>()                        \
      .inferShape(backwardShape)                              \
      .inferType(backwardType)                                \
      .compute(Context::kCPU, regressionBackward<R>);

IST_REGISTER_REGRESSION(LinearRegressionOutput, _backward_linear_reg_out, Reg::kLinear,
                        "Computes and optimizes for squared loss during backward propagation: the forward "
                        "output is the data; the gradient is (output - label) * grad_scale / m, m the label "
                        "elements per sample.")
IST_REGISTER_REGRESSION(LogisticRegressionOutput, _backward_logistic_reg_out, Reg::kLogistic,
                        "Applies a logistic function to the input and optimizes log loss during backward "
                        "propagation: the gradient is (sigmoid(data) - label) * grad_scale / m.")
IST_REGISTER_REGRESSION(MAERegressionOutput, _backward_mae_reg_out, Reg::kMAE,
                        "Computes mean absolute error: the forward output is the data; the gradient is "
                        "sign(output - label) * grad_scale / m (-1 where they are equal, as in MXNet).")

}  // namespace
}  // namespace ist
