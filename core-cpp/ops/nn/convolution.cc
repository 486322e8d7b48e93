// Convolution (1-D, 2-D, 3-D; strides, dilation, padding, groups) on the CPU as im2col + GEMM,
// with its gradient as the hidden op _backward_Convolution (col2im for the data gradient).
// A 1x1 kernel with stride 1 and no padding skips im2col: the image is already the column matrix.
#include "kernels/cpu/gemm.h"
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/im2col.h"

namespace ist {
namespace {

constexpr const char* kOp = "Convolution";

struct ConvolutionParam {
  Shape kernel, stride, dilate, pad;
  int num_filter = 0;
  int num_group = 1;
  int64_t workspace = 1024;
  bool no_bias = false;
  std::string cudnn_tune;
  bool cudnn_off = false;
  std::string layout;
  static void declare(ParamDecl<ConvolutionParam>& d) {
    d.field("kernel", &ConvolutionParam::kernel).doc("Convolution kernel size: (w,), (h, w) or (d, h, w).");
    d.field("stride", &ConvolutionParam::stride).setDefault(Shape{})
        .doc("Convolution stride: (w,), (h, w) or (d, h, w). Defaults to 1 for each dimension.");
    d.field("dilate", &ConvolutionParam::dilate).setDefault(Shape{})
        .doc("Convolution dilate: (w,), (h, w) or (d, h, w). Defaults to 1 for each dimension.");
    d.field("pad", &ConvolutionParam::pad).setDefault(Shape{})
        .doc("Zero pad for convolution: (w,), (h, w) or (d, h, w). Defaults to no padding.");
    d.field("num_filter", &ConvolutionParam::num_filter).range(1, 2147483647)
        .doc("Convolution filter (channel) number.");
    d.field("num_group", &ConvolutionParam::num_group).setDefault(1).range(1, 2147483647)
        .doc("Number of group partitions.");
    d.field("workspace", &ConvolutionParam::workspace).setDefault(int64_t(1024)).range(0, 9.0e18)
        .doc("Maximum temporary workspace allowed (MB); accepted for MXNet compatibility and ignored.");
    d.field("no_bias", &ConvolutionParam::no_bias).setDefault(false).doc("Whether to disable bias parameter.");
    d.field("cudnn_tune", &ConvolutionParam::cudnn_tune).setDefault("None")
        .values({"None", "fastest", "limited_workspace", "off"})
        .doc("Whether to pick convolution algo by running performance test (cuDNN only; ignored).");
    d.field("cudnn_off", &ConvolutionParam::cudnn_off).setDefault(false).doc("Turn off cudnn for this layer (ignored).");
    d.field("layout", &ConvolutionParam::layout).setDefault("None")
        .values({"None", "NCDHW", "NCHW", "NCW", "NDHWC", "NHWC"})
        .doc("Set layout for input, output and weight. Empty for default layout: NCW for 1d, NCHW for 2d "
             "and NCDHW for 3d. NHWC and NDHWC are only supported on GPU.");
  }
};

// The parameters with defaults filled in and checked against each other.
struct ConvSpec {
  Shape kernel, stride, dilate, pad;
};

ConvSpec convSpec(const ConvolutionParam& p, const char* op) {
  IST_CHECK(p.kernel.size() >= 1 && p.kernel.size() <= 3, op, "kernel",
            "must have 1, 2 or 3 entries (1-D, 2-D or 3-D convolution), got " << shapeString(p.kernel));
  ConvSpec s;
  s.kernel = p.kernel;
  conv::checkAtLeast(s.kernel, 1, op, "kernel");
  s.stride = conv::expandTuple(p.stride, p.kernel, 1, op, "stride");
  conv::checkAtLeast(s.stride, 1, op, "stride");
  s.dilate = conv::expandTuple(p.dilate, p.kernel, 1, op, "dilate");
  conv::checkAtLeast(s.dilate, 1, op, "dilate");
  s.pad = conv::expandTuple(p.pad, p.kernel, 0, op, "pad");
  conv::checkAtLeast(s.pad, 0, op, "pad");
  conv::checkChannelFirstLayout(p.layout, p.kernel.size(), op);
  IST_CHECK(p.num_filter % p.num_group == 0, op, "num_group",
            "num_filter " << p.num_filter << " is not divisible by num_group " << p.num_group);
  return s;
}

// Output shape for data shape `d` (rank and channels already checked).
Shape convOutShape(const ConvolutionParam& p, const ConvSpec& s, const Shape& d, const char* op) {
  Shape o{d[0], p.num_filter};
  for (size_t i = 0; i < s.kernel.size(); ++i) {
    const int64_t padded = d[2 + i] + 2 * s.pad[i];
    const int64_t dk = conv::dilatedKernel(s.kernel[i], s.dilate[i]);
    IST_CHECK(dk <= padded, op, "kernel",
              "kernel " << shapeString(s.kernel) << " (dilated size " << dk << " along spatial axis " << i
                        << ") exceeds the padded input: data shape " << shapeString(d) << ", pad "
                        << shapeString(s.pad));
    o.push_back((padded - dk) / s.stride[i] + 1);
  }
  return o;
}

void convShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<ConvolutionParam>();
  conv::checkBiasInputs(in.size(), p.no_bias, kOp);
  const ConvSpec s = convSpec(p, kOp);
  const size_t nd = s.kernel.size();
  const Shape& d = in[0];
  if (!shapeRankKnown(d)) return;
  IST_CHECK(d.size() == nd + 2, kOp, "data",
            "expected a " << nd + 2 << "-D array (" << conv::defaultLayout(nd) << ") for kernel "
                          << shapeString(s.kernel) << ", got shape " << shapeString(d));
  if (!shapeIsKnown(d)) return;
  IST_CHECK(d[1] % p.num_group == 0, kOp, "num_group",
            "input channels " << d[1] << " (data shape " << shapeString(d) << ") are not divisible by num_group "
                              << p.num_group);
  Shape w{p.num_filter, d[1] / p.num_group};
  w.insert(w.end(), s.kernel.begin(), s.kernel.end());
  conv::expectShape(in[1], w, kOp, "weight", d);
  if (!p.no_bias) conv::expectShape(in[2], Shape{p.num_filter}, kOp, "bias", d);
  out[0] = convOutShape(p, s, d, kOp);
}

void convType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  conv::inferFloatTypes(in, out, {"data", "weight", "bias"}, kOp);
}

struct Dims {
  int64_t N, C, F, G, Cg, Fg, K, IS, OS;
  conv::Geom g;
};

Dims dimsOf(const ConvolutionParam& p, const Shape& x, const Shape& y) {
  const ConvSpec s = convSpec(p, kOp);
  Dims d;
  d.g = conv::makeGeom(Shape(x.begin() + 2, x.end()), Shape(y.begin() + 2, y.end()), s.kernel, s.stride,
                       s.dilate, s.pad);
  d.N = x[0];
  d.C = x[1];
  d.F = p.num_filter;
  d.G = p.num_group;
  d.Cg = d.C / d.G;
  d.Fg = d.F / d.G;
  d.K = d.g.kSize();
  d.IS = d.g.inSize();
  d.OS = d.g.outSize();
  return d;
}

template <typename T>
void forward(const ConvolutionParam& p, const std::vector<TBlob>& in, OpReq req, const TBlob& yb) {
  const Dims d = dimsOf(p, in[0].shape, yb.shape);
  const T* x = in[0].data<T>();
  const T* w = in[1].data<T>();
  T* y = yb.data<T>();
  const int64_t CK = d.Cg * d.K;
  const bool direct = d.g.pointwise();
  const double beta = req == OpReq::kAddTo ? 1.0 : 0.0;
  const size_t colBytes = direct ? 0 : static_cast<size_t>(d.C * d.K * d.OS) * sizeof(T);
  conv::forEachImage(d.N, colBytes, 2 * d.F * CK * d.OS, [&](int64_t n, void* scratch, bool par) {
    const T* xn = x + n * d.C * d.IS;
    const T* col = xn;
    if (!direct) {
      conv::im2col(xn, d.C, d.g, static_cast<T*>(scratch), par);
      col = static_cast<T*>(scratch);
    }
    T* yn = y + n * d.F * d.OS;
    for (int64_t gi = 0; gi < d.G; ++gi)
      gemm<T>(false, false, d.Fg, d.OS, CK, 1.0, w + gi * d.Fg * CK, CK, col + gi * CK * d.OS, d.OS, beta,
              yn + gi * d.Fg * d.OS, d.OS, par);
  });
  if (!p.no_bias) conv::addBias(y, in[2].data<T>(), d.N, d.F, d.OS);
}

void convCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<ConvolutionParam>();
  conv::runWidened(kOp, in, req, out, [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    if (i[0].dtype == DType::kFloat32) forward<float>(p, i, req[0], o[0]);
    else forward<double>(p, i, req[0], o[0]);
  });
}

// inputs: ograd, data, weight; outputs: d data, d weight, d bias (unless no_bias).
template <typename T>
void backward(const ConvolutionParam& p, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
              const std::vector<TBlob>& out) {
  const Dims d = dimsOf(p, in[1].shape, in[0].shape);
  const T* og = in[0].data<T>();
  const T* x = in[1].data<T>();
  const T* w = in[2].data<T>();
  const int64_t CK = d.Cg * d.K;
  const bool direct = d.g.pointwise();

  if (req[1] != OpReq::kNull) {  // d weight = sum_n og[n] x col(x[n])^T, per group, images in order
    conv::Workspace ws(direct ? 0 : static_cast<size_t>(d.C * d.K * d.OS) * sizeof(T));
    T* col = ws.as<T>();
    T* dw = out[1].data<T>();
    bool first = req[1] != OpReq::kAddTo;
    if (first && d.N == 0) std::fill(dw, dw + out[1].size(), T(0));
    for (int64_t n = 0; n < d.N; ++n) {
      const T* xn = x + n * d.C * d.IS;
      const T* c = xn;
      if (!direct) {
        conv::im2col(xn, d.C, d.g, col);
        c = col;
      }
      const T* ogn = og + n * d.F * d.OS;
      for (int64_t gi = 0; gi < d.G; ++gi)
        gemm<T>(false, true, d.Fg, CK, d.OS, 1.0, ogn + gi * d.Fg * d.OS, d.OS, c + gi * CK * d.OS, d.OS,
                first ? 0.0 : 1.0, dw + gi * d.Fg * CK, CK);
      first = false;
    }
  }

  if (req[0] != OpReq::kNull) {  // d data = col2im(W^T og[n]), per group; images are independent
    T* dx = out[0].data<T>();
    const bool add = req[0] == OpReq::kAddTo;
    if (!direct && !add) std::fill(dx, dx + out[0].size(), T(0));
    const size_t colBytes = direct ? 0 : static_cast<size_t>(d.C * d.K * d.OS) * sizeof(T);
    conv::forEachImage(d.N, colBytes, 2 * d.F * CK * d.OS, [&](int64_t n, void* scratch, bool par) {
      const T* ogn = og + n * d.F * d.OS;
      T* dxn = dx + n * d.C * d.IS;
      T* target = direct ? dxn : static_cast<T*>(scratch);
      for (int64_t gi = 0; gi < d.G; ++gi)
        gemm<T>(true, false, CK, d.OS, d.Fg, 1.0, w + gi * d.Fg * CK, CK, ogn + gi * d.Fg * d.OS, d.OS,
                direct && add ? 1.0 : 0.0, target + gi * CK * d.OS, d.OS, par);
      if (!direct) conv::col2im(target, d.C, d.g, dxn, par);
    });
  }

  if (!p.no_bias) conv::biasGrad(og, out[2].data<T>(), d.N, d.F, d.OS, req[2]);
}

void convBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                         const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<ConvolutionParam>();
  conv::runWidened("_backward_Convolution", in, req, out,
                   [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
                     if (i[0].dtype == DType::kFloat32) backward<float>(p, i, req, o);
                     else backward<double>(p, i, req, o);
                   });
}

void convBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<ConvolutionParam>();
  std::vector<Shape> fin{in[1], in[2]};
  if (!p.no_bias) fin.push_back(Shape{p.num_filter});
  checkAgainstForward("_backward_Convolution", convShape, attrs, {in[0]}, fin);
  out[0] = in[1];
  out[1] = in[2];
  if (!p.no_bias) out[2] = Shape{p.num_filter};
}

void convBackwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  conv::inferFloatTypes(in, out, {"ograd", "data", "weight"}, "_backward_Convolution");
}

std::vector<NodeEntry> convGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  AttrDict attrs = nn::backwardAttrs(n->attrs);
  NodePtr b = makeNode("_backward_Convolution", {og[0], n->inputs[0], n->inputs[1]}, attrs);
  if (n->attrs.get<ConvolutionParam>().no_bias) return {NodeEntry{b, 0}, NodeEntry{b, 1}};
  return {NodeEntry{b, 0}, NodeEntry{b, 1}, NodeEntry{b, 2}};
}

int numBiasOutputs(const NodeAttrs& a) { return a.get<ConvolutionParam>().no_bias ? 2 : 3; }

IST_REGISTER_OP(Convolution)
    .describe("Compute N-D convolution on (N+2)-D input (NCW, NCHW or NCDHW). With data of shape "
              "(batch, channel, *in), weight (num_filter, channel / num_group, *kernel) and bias "
              "(num_filter,), out[n, f] = sum over the filter's channel group and kernel window of weight * data "
              "+ bias[f]; each spatial output size is floor((in + 2 * pad - dilate * (kernel - 1) - 1) / stride) + 1. "
              "num_group > 1 splits channels and filters into independent groups. Pass bias as the third "
              "input unless no_bias is set.")
    .inputs({"data", "weight"})
    .variadic("bias", nn::kOptionalCount)
    .params<ConvolutionParam>()
    .inferShape(convShape)
    .inferType(convType)
    .compute(Context::kCPU, convCompute)
    .gradient(convGradient);

IST_REGISTER_OP(_backward_Convolution)
    .describe("Gradient of Convolution: d data, d weight and (unless no_bias) d bias from the output gradient.")
    .inputs({"ograd", "data", "weight"})
    .params<ConvolutionParam>()
    .numOutputs(numBiasOutputs)
    .inferShape(convBackwardShape)
    .inferType(convBackwardType)
    .compute(Context::kCPU, convBackwardCompute);

}  // namespace
}  // namespace ist
