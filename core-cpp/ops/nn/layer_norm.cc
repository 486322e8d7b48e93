// LayerNorm: normalizes along `axis` with per-position gamma and beta; mean and std are extra
// outputs (visible with output_mean_var), kept for _backward_LayerNorm.
#include "graph/node.h"
#include "ops/nn/norm_params.h"
#include "ops/nn/norm_rows.h"

namespace ist {
namespace {


void layerNormShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = nn::opName(attrs, "LayerNorm");  // also checks _backward_LayerNorm
  if (!shapeIsKnown(in[0])) return;
  const Shape& d = in[0];
  const int axis = nn::checkAxis(attrs.get<LayerNormParam>().axis, d, op);
  nn::expectVector(in[1], d[axis], op, "gamma", d);
  nn::expectVector(in[2], d[axis], op, "beta", d);
  Shape moments = d;
  moments[axis] = 1;
  out[0] = d;
  out[1] = out[2] = moments;
}

void layerNormType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  const int t = nn::unifyFloat(in, {"data", "gamma", "beta"}, "LayerNorm");
  if (t >= 0) out[0] = out[1] = out[2] = t;
}

void layerNormCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  // Empty data still writes the (possibly non-empty) statistics outputs.
  const nn::RowPlan p = nn::layerPlan(attrs, in[0].shape);
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "LayerNorm", {
    nn::normRowsForward<T>(p, in[0].data<T>(), in[1].data<T>(), in[2].data<T>(), out[0].data<T>(),
                           out[1].data<T>(), out[2].data<T>(), attrs.get<LayerNormParam>().eps, false, req[0]);
  });
}

// _backward_LayerNorm inputs: ograd, data, gamma, mean, std. Outputs: d(data), d(gamma), d(beta).
void layerNormBackward(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const nn::RowPlan p = nn::layerPlan(attrs, in[1].shape);
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, "_backward_LayerNorm", {
    nn::normRowsBackward<T>(p, in[0].data<T>(), in[1].data<T>(), in[2].data<T>(), in[3].data<T>(),
                            in[4].data<T>(), attrs.get<LayerNormParam>().eps, false, out[0].data<T>(),
                            out[1].data<T>(), out[2].data<T>(), in[2].size(), req);
  });
}

IST_REGISTER_OP(LayerNorm)
    .alias("_npx_layer_norm")
    .describe("Layer normalization: out = (x - mean) / sqrt(var + eps) * gamma + beta, with mean and "
              "variance over `axis` and gamma, beta of shape (data.shape[axis],). With output_mean_var "
              "it also returns the mean and std (data's shape with `axis` set to 1).")
    .inputs({"data", "gamma", "beta"})
    .params<LayerNormParam>()
    .numOutputs([](const NodeAttrs&) { return 3; })
    .numVisibleOutputs([](const NodeAttrs& a) { return a.get<LayerNormParam>().output_mean_var ? 3 : 1; })
    .inferShape(layerNormShape)
    .inferType(layerNormType)
    .compute(Context::kCPU, layerNormCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      NodePtr b = makeNode("_backward_LayerNorm",
                           {og[0], n->inputs[0], n->inputs[1], NodeEntry{n, 1}, NodeEntry{n, 2}}, n->attrs.dict);
      return std::vector<NodeEntry>{NodeEntry{b, 0}, NodeEntry{b, 1}, NodeEntry{b, 2}};
    });

IST_REGISTER_OP(_backward_LayerNorm)
    .describe("Gradient of LayerNorm.")
    .inputs({"ograd", "data", "gamma", "mean", "std"})
    .params<LayerNormParam>()
    .numOutputs([](const NodeAttrs&) { return 3; })
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[1])) return;
      std::vector<Shape> fin{in[1], in[2], in[2]}, fout(3);
      layerNormShape(attrs, fin, fout);  // data and gamma, as the forward checks them
      nn::expectShape(in[0], in[1], "_backward_LayerNorm", "ograd");
      nn::expectShape(in[3], fout[1], "_backward_LayerNorm", "mean");
      nn::expectShape(in[4], fout[2], "_backward_LayerNorm", "std");
      out[0] = in[1];
      out[1] = out[2] = fin[1];
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      const int t = nn::unifyFloat(in, {"ograd", "data", "gamma", "mean", "std"}, "_backward_LayerNorm");
      if (t >= 0) out[0] = out[1] = out[2] = t;
    })
    .compute(Context::kCPU, layerNormBackward);

}  // namespace
}  // namespace ist
