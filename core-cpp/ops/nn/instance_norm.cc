// InstanceNorm: normalizes each (sample, channel) over the spatial axes, with per-channel gamma and
// beta; the mean and variance (N, C) are hidden outputs kept for _backward_InstanceNorm.
#include "graph/node.h"
#include "ops/nn/norm_params.h"
#include "ops/nn/norm_rows.h"

namespace ist {
namespace {


void instanceNormShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = nn::opName(attrs, "InstanceNorm");  // also checks _backward_InstanceNorm
  if (!shapeIsKnown(in[0])) return;
  const Shape& d = in[0];
  IST_CHECK(d.size() >= 3, op, "data",
            "expects data of rank >= 3 (batch, channel, spatial...), got shape " << shapeString(d));
  nn::expectVector(in[1], d[1], op, "gamma", d);
  nn::expectVector(in[2], d[1], op, "beta", d);
  out[0] = d;
  out[1] = out[2] = Shape{d[0], d[1]};
}

void instanceNormType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  const int t = nn::unifyFloat(in, {"data", "gamma", "beta"}, "InstanceNorm");
  if (t >= 0) out[0] = out[1] = out[2] = t;
}

void instanceNormCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                         const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  // Empty data still writes the (possibly non-empty) statistics outputs.
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "InstanceNorm", {
    nn::normRowsForward<T>(nn::instancePlan(in[0].shape), in[0].data<T>(), in[1].data<T>(), in[2].data<T>(),
                           out[0].data<T>(), out[1].data<T>(), out[2].data<T>(),
                           attrs.get<InstanceNormParam>().eps, true, req[0]);
  });
}

// _backward_InstanceNorm inputs: ograd, data, gamma, mean, var. Outputs: d(data), d(gamma), d(beta).
void instanceNormBackward(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, "_backward_InstanceNorm", {
    nn::normRowsBackward<T>(nn::instancePlan(in[1].shape), in[0].data<T>(), in[1].data<T>(), in[2].data<T>(),
                            in[3].data<T>(), in[4].data<T>(), attrs.get<InstanceNormParam>().eps, true,
                            out[0].data<T>(), out[1].data<T>(), out[2].data<T>(), in[2].size(), req);
  });
}

IST_REGISTER_OP(InstanceNorm)
    .describe("Instance normalization: out = (x - mean) / sqrt(var + eps) * gamma + beta, with mean and "
              "variance over the spatial axes of each sample and channel (data rank >= 3); gamma and beta "
              "have shape (C,).")
    .inputs({"data", "gamma", "beta"})
    .params<InstanceNormParam>()
    .numOutputs([](const NodeAttrs&) { return 3; })
    .numVisibleOutputs([](const NodeAttrs&) { return 1; })
    .inferShape(instanceNormShape)
    .inferType(instanceNormType)
    .compute(Context::kCPU, instanceNormCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      NodePtr b = makeNode("_backward_InstanceNorm",
                           {og[0], n->inputs[0], n->inputs[1], NodeEntry{n, 1}, NodeEntry{n, 2}}, n->attrs.dict);
      return std::vector<NodeEntry>{NodeEntry{b, 0}, NodeEntry{b, 1}, NodeEntry{b, 2}};
    });

IST_REGISTER_OP(_backward_InstanceNorm)
    .describe("Gradient of InstanceNorm.")
    .inputs({"ograd", "data", "gamma", "mean", "var"})
    .params<InstanceNormParam>()
    .numOutputs([](const NodeAttrs&) { return 3; })
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[1])) return;
      std::vector<Shape> fin{in[1], in[2], in[2]}, fout(3);
      instanceNormShape(attrs, fin, fout);  // data and gamma, as the forward checks them
      nn::expectShape(in[0], in[1], "_backward_InstanceNorm", "ograd");
      nn::expectShape(in[3], fout[1], "_backward_InstanceNorm", "mean");
      nn::expectShape(in[4], fout[2], "_backward_InstanceNorm", "var");
      out[0] = in[1];
      out[1] = out[2] = fin[1];
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      const int t = nn::unifyFloat(in, {"ograd", "data", "gamma", "mean", "var"}, "_backward_InstanceNorm");
      if (t >= 0) out[0] = out[1] = out[2] = t;
    })
    .compute(Context::kCPU, instanceNormBackward);

}  // namespace
}  // namespace ist
