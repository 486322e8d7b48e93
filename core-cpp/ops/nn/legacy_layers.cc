// MXNet's deprecated layers Convolution_v1, BatchNorm_v1 and Pooling_v1, which old model files
// still name. Convolution_v1 and BatchNorm_v1 translate their params to Convolution's / BatchNorm's
// and run that op's computes on every device (BatchNorm_v1 converting its var output); Pooling_v1
// has its own kernels (legacy_layers_device.h).
#include "graph/node.h"
#include "ops/nn/layer_util.h"
#include "ops/nn/legacy_layers.h"
#include "ops/nn/legacy_layers_device.h"

namespace ist {
namespace legacy_layers {
namespace {

using legacy::as;
using legacy::runCompute;

// ---- Convolution_v1: Convolution restricted to 2-D (NCHW) and 3-D (NCDHW, no dilation) kernels.

constexpr const char* kConv = "Convolution_v1";

struct ConvV1Param {
  Shape kernel, stride, dilate, pad;
  int num_filter = 0, num_group = 1;
  int64_t workspace = 1024;
  bool no_bias = false, cudnn_off = false;
  std::string cudnn_tune, layout;
  NodeAttrs modern;
  static constexpr const char* kModern = "Convolution";
  static void declare(ParamDecl<ConvV1Param>& d) {
    d.field("kernel", &ConvV1Param::kernel).doc("convolution kernel size: (h, w) or (d, h, w)");
    d.field("stride", &ConvV1Param::stride).setDefault(Shape{}).doc("convolution stride: (h, w) or (d, h, w)");
    d.field("dilate", &ConvV1Param::dilate).setDefault(Shape{}).doc("convolution dilate: (h, w) or (d, h, w)");
    d.field("pad", &ConvV1Param::pad).setDefault(Shape{}).doc("pad for convolution: (h, w) or (d, h, w)");
    d.field("num_filter", &ConvV1Param::num_filter).range(1, 2147483647).doc("convolution filter(channel) number");
    d.field("num_group", &ConvV1Param::num_group).setDefault(1).range(1, 2147483647)
        .doc("Number of group partitions.");
    d.field("workspace", &ConvV1Param::workspace).setDefault(int64_t(1024)).range(0, 9.0e18)
        .doc("Maximum temporary workspace allowed for convolution (MB); accepted and ignored.");
    d.field("no_bias", &ConvV1Param::no_bias).setDefault(false).doc("Whether to disable bias parameter.");
    d.field("cudnn_tune", &ConvV1Param::cudnn_tune).setDefault("None")
        .values({"None", "fastest", "limited_workspace", "off"})
        .doc("Whether to pick convolution algo by running performance test (cuDNN only).");
    d.field("cudnn_off", &ConvV1Param::cudnn_off).setDefault(false).doc("Turn off cudnn for this layer.");
    d.field("layout", &ConvV1Param::layout).setDefault("None").values({"None", "NCDHW", "NCHW", "NDHWC", "NHWC"})
        .doc("Set layout for input, output and weight. Empty for default layout: NCHW for 2d and NCDHW for 3d; "
             "the channel-last layouts are not supported (as in MXNet).");
  }
  static AttrDict translate(const ConvV1Param& p, const AttrDict& d) {
    const size_t nd = p.kernel.size();
    IST_CHECK(nd == 2 || nd == 3, kConv, "kernel",
              "supports 2-D (h, w) and 3-D (d, h, w) kernels, got " << shapeString(p.kernel));
    IST_CHECK(p.layout == "None" || p.layout == "NCHW" || p.layout == "NCDHW", kConv, "layout",
              "only NCHW and NCDHW layouts are supported, got " << p.layout);
    if (nd == 3)
      for (int64_t v : p.dilate)
        IST_CHECK(v == 1, kConv, "dilate",
                  "dilation is not supported in 3-D convolution, got " << shapeString(p.dilate));
    return d;  // every v1 param means the same in Convolution
  }
};

void convV1Compute(int dev, const NodeAttrs& a, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  runCompute(dev, a.get<ConvV1Param>().modern, ctx, in, req, out);
}

// ---- BatchNorm_v1: BatchNorm over axis 1 of 2-D or 4-D data whose third output is the variance
// (BatchNorm's is the inverse std, kept here as hidden output 3 for the gradient).

constexpr const char* kBN = "BatchNorm_v1";

struct BatchNormV1Param {
  double eps = 1e-3;
  float momentum = 0.9f;
  bool fix_gamma = true, use_global_stats = false, output_mean_var = false;
  NodeAttrs modern;
  static constexpr const char* kModern = "BatchNorm";
  static void declare(ParamDecl<BatchNormV1Param>& d) {
    d.field("eps", &BatchNormV1Param::eps).setDefault(1e-3).doc("Epsilon to prevent div 0");
    d.field("momentum", &BatchNormV1Param::momentum).setDefault(0.9f).doc("Momentum for moving average");
    d.field("fix_gamma", &BatchNormV1Param::fix_gamma).setDefault(true).doc("Fix gamma while training");
    d.field("use_global_stats", &BatchNormV1Param::use_global_stats).setDefault(false)
        .doc("Whether use global moving statistics instead of local batch-norm. This will force change "
             "batch-norm into a scale shift operator.");
    d.field("output_mean_var", &BatchNormV1Param::output_mean_var).setDefault(false)
        .doc("Output All,normal mean and var");
  }
  static AttrDict translate(const BatchNormV1Param&, const AttrDict& d) { return d; }  // axis stays 1
};

// BatchNorm's outputs (output, mean, inverse std, batch-stats flag) are v1's 0, 1, 3 and 4.
std::vector<size_t> modernOutputs() { return {0, 1, 3, 4}; }

void bnV1Shape(const NodeAttrs& a, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (shapeRankKnown(in[0]))
    IST_CHECK(in[0].size() == 2 || in[0].size() == 4, kBN, "data",
              "expects 2-D (N, C) or 4-D (N, C, H, W) data, got shape " << shapeString(in[0]));
  const NodeAttrs& m = a.get<BatchNormV1Param>().modern;
  std::vector<Shape> o(4, unknownShape());
  as(kBN, m.op->name, [&] { m.op->inferShapeFn(m, in, o); });
  for (size_t i = 0; i < 4; ++i) out[modernOutputs()[i]] = o[i];
  out[2] = o[1];
}

void bnV1Type(const NodeAttrs& a, std::vector<int>& in, std::vector<int>& out) {
  const NodeAttrs& m = a.get<BatchNormV1Param>().modern;
  std::vector<int> o(4, -1);
  as(kBN, m.op->name, [&] { m.op->inferTypeFn(m, in, o); });
  for (size_t i = 0; i < 4; ++i) out[modernOutputs()[i]] = o[i];
  out[2] = o[1];
}

void bnV1Compute(int dev, const NodeAttrs& a, const OpContext& ctx, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = a.get<BatchNormV1Param>();
  IST_CHECK(req[2] != OpReq::kAddTo, kBN, "var", "cannot be accumulated into (req add)");
  // The inverse std is written whenever the variance is wanted: it is derived from it.
  const OpReq inv = req[2] != OpReq::kNull ? OpReq::kWriteTo : req[3];
  runCompute(dev, p.modern, ctx, in, {req[0], req[1], inv, req[4]}, {out[0], out[1], out[3], out[4]});
  if (req[2] == OpReq::kNull) return;
  if (!ctx.isTrain || p.use_global_stats) {  // the moving variance itself, as MXNet outputs it
    static const NodeAttrs copy = legacy::attrsOf("_copyto");
    runCompute(dev, copy, ctx, {in[4]}, {OpReq::kWriteTo}, {out[2]});
    return;
  }
  // Batch variance = invstd^-2 - eps.
  static const NodeAttrs pw = legacy::attrsOf("_power_scalar", {{"scalar", "-2"}});
  runCompute(dev, pw, ctx, {out[3]}, {OpReq::kWriteTo}, {out[2]});
  const NodeAttrs minus = legacy::attrsOf("_minus_scalar", {{"scalar", paramparse::formatDouble(p.eps)}});
  runCompute(dev, minus, ctx, {out[2]}, {OpReq::kWriteInplace}, {out[2]});
}

std::vector<NodeEntry> bnV1Gradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  const NodeAttrs& m = n->attrs.get<BatchNormV1Param>().modern;
  NodePtr b = makeNode("_backward_BatchNorm",
                       {og[0], n->inputs[0], n->inputs[1], NodeEntry{n, 1}, NodeEntry{n, 3}, NodeEntry{n, 4}}, m.dict);
  return {NodeEntry{b, 0}, NodeEntry{b, 1}, NodeEntry{b, 2}, NodeEntry{}, NodeEntry{}};
}

// ---- Pooling_v1: its own kernels (legacy_layers_device.h), as its padding and max-gradient rules
// differ from Pooling's.

using legacy_pool::PoolingV1Param;
using legacy_pool::kPool;

void poolV1Shape(const NodeAttrs& a, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  const legacy_pool::PoolV1Geom g = legacy_pool::poolV1Geom(a.get<PoolingV1Param>(), in[0]);
  out[0] = Shape{in[0][0], in[0][1], g.OH, g.OW};
}

void poolV1BackwardShape(const NodeAttrs& a, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = "_backward_Pooling_v1";
  if (!shapeIsKnown(in[1])) return;
  const legacy_pool::PoolV1Geom g = legacy_pool::poolV1Geom(a.get<PoolingV1Param>(), in[1], op);
  const Shape y{in[1][0], in[1][1], g.OH, g.OW};
  nn::expectShape(in[0], y, op, "ograd");
  nn::expectShape(in[2], y, op, "output");
  out[0] = in[1];
}

void poolV1Type(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  std::vector<std::string> names{"data"};
  if (in.size() == 3) names = {"ograd", "data", "output"};
  const int t = nn::unifyFloat(in, names, in.size() == 3 ? "_backward_Pooling_v1" : kPool);
  if (t >= 0) out[0] = t;
}

// ---- Registrations.

[[maybe_unused]] const bool kRegistered = [] {
  legacy::onAllDevices(legacy::addLegacyOp<ConvV1Param>(kConv), convV1Compute)
      .describe("Deprecated (MXNet 0.x) convolution: Convolution with 2-D (NCHW) or 3-D (NCDHW, no dilation) "
                "kernels. data (N, C, *in), weight (num_filter, C / num_group, *kernel), bias (num_filter,) "
                "unless no_bias.")
      .inputs({"data", "weight"})
      .variadic("bias", nn::kOptionalCount)
      .optionalInput("bias", [](const NodeAttrs& a) { return !a.get<ConvV1Param>().no_bias; })
      .inferShape([](const NodeAttrs& a, std::vector<Shape>& in, std::vector<Shape>& out) {
        const NodeAttrs& m = a.get<ConvV1Param>().modern;
        as(kConv, m.op->name, [&] { m.op->inferShapeFn(m, in, out); });
      })
      .inferType([](const NodeAttrs& a, std::vector<int>& in, std::vector<int>& out) {
        const NodeAttrs& m = a.get<ConvV1Param>().modern;
        as(kConv, m.op->name, [&] { m.op->inferTypeFn(m, in, out); });
      })
      .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
        const NodeAttrs& m = n->attrs.get<ConvV1Param>().modern;
        NodePtr b = makeNode("_backward_Convolution", {og[0], n->inputs[0], n->inputs[1]}, nn::backwardAttrs(m));
        if (n->attrs.get<ConvV1Param>().no_bias) return std::vector<NodeEntry>{NodeEntry{b, 0}, NodeEntry{b, 1}};
        return std::vector<NodeEntry>{NodeEntry{b, 0}, NodeEntry{b, 1}, NodeEntry{b, 2}};
      });

  legacy::onAllDevices(legacy::addLegacyOp<BatchNormV1Param>(kBN), bnV1Compute)
      .describe("Deprecated (MXNet 0.x) batch normalization over axis 1 of 2-D or 4-D data: out = (x - mean) / "
                "sqrt(var + eps) * gamma + beta. In training (and not use_global_stats) mean and var are the "
                "batch's (biased variance) and moving_mean / moving_var are updated in place: moving = moving * "
                "momentum + batch * (1 - momentum); otherwise the moving statistics are used. With "
                "output_mean_var it also returns the mean and the variance used (BatchNorm returns the inverse "
                "std). MXNet 1.x updated the moving statistics in the backward pass; here the training forward "
                "pass does, as BatchNorm does.")
      .inputs({"data", "gamma", "beta", "moving_mean", "moving_var"})
      .numOutputs([](const NodeAttrs&) { return 5; })
      .numVisibleOutputs([](const NodeAttrs& a) { return a.get<BatchNormV1Param>().output_mean_var ? 3 : 1; })
      .mutateInputs({3, 4})
      .inferShape(bnV1Shape)
      .inferType(bnV1Type)
      .gradient(bnV1Gradient);

  OpRegistry::add(kPool)
      .describe("Deprecated (MXNet 0.x) pooling of 4-D (N, C, H, W) data with 2-D windows over the zero-padded "
                "data: max (padded cells count as 0), avg (divided by the whole kernel area) or sum; valid "
                "floor((in + 2 * pad - kernel) / stride) + 1 or full ceil(...) + 1 outputs per axis. global_pool "
                "pools the whole H x W. The max gradient goes to every cell equal to its window's maximum.")
      .inputs({"data"})
      .params<PoolingV1Param>()
      .inferShape(poolV1Shape)
      .inferType(poolV1Type)
      .compute(Context::kCPU, legacy_pool::poolV1Dev<cpu>)
      .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
        return std::vector<NodeEntry>{
            makeEntry("_backward_Pooling_v1", {og[0], n->inputs[0], NodeEntry{n, 0}}, n->attrs.dict)};
      });

  OpRegistry::add("_backward_Pooling_v1")
      .describe("Gradient of Pooling_v1.")
      .inputs({"ograd", "data", "output"})
      .params<PoolingV1Param>()
      .inferShape(poolV1BackwardShape)
      .inferType(poolV1Type)
      .compute(Context::kCPU, legacy_pool::poolV1BackwardDev<cpu>);
  return true;
}();

}  // namespace
}  // namespace legacy_layers
}  // namespace ist
