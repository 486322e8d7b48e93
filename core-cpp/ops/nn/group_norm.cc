// GroupNorm: splits the channels into num_groups groups and normalizes each (sample, group) over its
// channels and spatial axes; gamma and beta are per group, shape (num_groups,), as in MXNet 1.9.
#include "graph/node.h"
#include "ops/nn/norm_params.h"
#include "ops/nn/norm_rows.h"

namespace ist {
namespace {


void groupNormShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = nn::opName(attrs, "GroupNorm");  // also checks _backward_GroupNorm
  const int g = attrs.get<GroupNormParam>().num_groups;
  IST_CHECK(g >= 1, op, "num_groups", "must be >= 1, got " << g);
  if (!shapeIsKnown(in[0])) return;
  const Shape& d = in[0];
  IST_CHECK(d.size() >= 3, op, "data",
            "expects data of rank >= 3 (batch, channel, spatial...), got shape " << shapeString(d));
  IST_CHECK(d[1] % g == 0, op, "num_groups",
            "the " << d[1] << " channels of data of shape " << shapeString(d) << " are not divisible into " << g
                   << " groups");
  nn::expectVector(in[1], g, op, "gamma", d);
  nn::expectVector(in[2], g, op, "beta", d);
  out[0] = d;
  out[1] = out[2] = Shape{d[0], g};
}

void groupNormType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  const int t = nn::unifyFloat(in, {"data", "gamma", "beta"}, "GroupNorm");
  if (t >= 0) out[0] = out[1] = out[2] = t;
}

void groupNormCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  // Empty data still writes the (possibly non-empty) statistics outputs.
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "GroupNorm", {
    nn::normRowsForward<T>(nn::groupPlan(attrs, in[0].shape), in[0].data<T>(), in[1].data<T>(), in[2].data<T>(),
                           out[0].data<T>(), out[1].data<T>(), out[2].data<T>(), attrs.get<GroupNormParam>().eps,
                           false, req[0]);
  });
}

// _backward_GroupNorm inputs: ograd, data, gamma, mean, std. Outputs: d(data), d(gamma), d(beta).
void groupNormBackward(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, "_backward_GroupNorm", {
    nn::normRowsBackward<T>(nn::groupPlan(attrs, in[1].shape), in[0].data<T>(), in[1].data<T>(), in[2].data<T>(),
                            in[3].data<T>(), in[4].data<T>(), attrs.get<GroupNormParam>().eps, false,
                            out[0].data<T>(), out[1].data<T>(), out[2].data<T>(), in[2].size(), req);
  });
}

IST_REGISTER_OP(GroupNorm)
    .describe("Group normalization: the channels are split into num_groups groups; each group of each "
              "sample is normalized, (x - mean) / sqrt(var + eps), then scaled by gamma[group] and shifted "
              "by beta[group] (gamma, beta: shape (num_groups,)). With output_mean_var it also returns "
              "the mean and std, shape (N, num_groups).")
    .inputs({"data", "gamma", "beta"})
    .params<GroupNormParam>()
    .numOutputs([](const NodeAttrs&) { return 3; })
    .numVisibleOutputs([](const NodeAttrs& a) { return a.get<GroupNormParam>().output_mean_var ? 3 : 1; })
    .inferShape(groupNormShape)
    .inferType(groupNormType)
    .compute(Context::kCPU, groupNormCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      NodePtr b = makeNode("_backward_GroupNorm",
                           {og[0], n->inputs[0], n->inputs[1], NodeEntry{n, 1}, NodeEntry{n, 2}}, n->attrs.dict);
      return std::vector<NodeEntry>{NodeEntry{b, 0}, NodeEntry{b, 1}, NodeEntry{b, 2}};
    });

IST_REGISTER_OP(_backward_GroupNorm)
    .describe("Gradient of GroupNorm.")
    .inputs({"ograd", "data", "gamma", "mean", "std"})
    .params<GroupNormParam>()
    .numOutputs([](const NodeAttrs&) { return 3; })
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[1])) return;
      std::vector<Shape> fin{in[1], in[2], in[2]}, fout(3);
      groupNormShape(attrs, fin, fout);  // data and gamma, as the forward checks them
      nn::expectShape(in[0], in[1], "_backward_GroupNorm", "ograd");
      nn::expectShape(in[3], fout[1], "_backward_GroupNorm", "mean");
      nn::expectShape(in[4], fout[2], "_backward_GroupNorm", "std");
      out[0] = in[1];
      out[1] = out[2] = fin[1];
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      const int t = nn::unifyFloat(in, {"ograd", "data", "gamma", "mean", "std"}, "_backward_GroupNorm");
      if (t >= 0) out[0] = out[1] = out[2] = t;
    })
    .compute(Context::kCPU, groupNormBackward);

}  // namespace
}  // namespace ist
