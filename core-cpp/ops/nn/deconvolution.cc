// Deconvolution (transposed convolution, 1-D/2-D/3-D, groups, dilation, adj, target_shape) on the
// CPU: GEMM into columns then col2im, the adjoint of Convolution's im2col + GEMM. Its gradient is
// the hidden op _backward_Deconvolution (also used by UpSampling's bilinear mode).
#include "kernels/cpu/gemm.h"
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/im2col.h"

namespace ist {
namespace {

constexpr const char* kOp = "Deconvolution";

struct DeconvolutionParam {
  Shape kernel, stride, dilate, pad, adj, target_shape;
  int num_filter = 0;
  int num_group = 1;
  int64_t workspace = 512;
  bool no_bias = true;
  std::string cudnn_tune;
  bool cudnn_off = false;
  std::string layout;
  static void declare(ParamDecl<DeconvolutionParam>& d) {
    d.field("kernel", &DeconvolutionParam::kernel)
        .doc("Deconvolution kernel size: (w,), (h, w) or (d, h, w). This is same as the kernel size used for "
             "the corresponding convolution.");
    d.field("stride", &DeconvolutionParam::stride).setDefault(Shape{})
        .doc("The stride used for the corresponding convolution: (w,), (h, w) or (d, h, w). Defaults to 1 "
             "for each dimension.");
    d.field("dilate", &DeconvolutionParam::dilate).setDefault(Shape{})
        .doc("Dilation factor for each dimension of the input: (w,), (h, w) or (d, h, w). Defaults to 1 for "
             "each dimension.");
    d.field("pad", &DeconvolutionParam::pad).setDefault(Shape{})
        .doc("The amount of implicit zero padding added during convolution for each dimension of the "
             "input: (w,), (h, w) or (d, h, w). If `target_shape` is set, `pad` is ignored and a padding "
             "that generates the target shape is used. Defaults to no padding.");
    d.field("adj", &DeconvolutionParam::adj).setDefault(Shape{})
        .doc("Adjustment for output shape: (w,), (h, w) or (d, h, w). If `target_shape` is set, `adj` is "
             "ignored and computed accordingly.");
    d.field("target_shape", &DeconvolutionParam::target_shape).setDefault(Shape{})
        .doc("Shape of the output tensor: (w,), (h, w) or (d, h, w).");
    d.field("num_filter", &DeconvolutionParam::num_filter).range(1, 2147483647).doc("Number of output filters.");
    d.field("num_group", &DeconvolutionParam::num_group).setDefault(1).range(1, 2147483647)
        .doc("Number of groups partition.");
    d.field("workspace", &DeconvolutionParam::workspace).setDefault(int64_t(512)).range(0, 9.0e18)
        .doc("Maximum temporary workspace allowed (MB); accepted for MXNet compatibility and ignored.");
    d.field("no_bias", &DeconvolutionParam::no_bias).setDefault(true).doc("Whether to disable bias parameter.");
    d.field("cudnn_tune", &DeconvolutionParam::cudnn_tune).setDefault("None")
        .values({"None", "fastest", "limited_workspace", "off"})
        .doc("Whether to pick convolution algorithm by running performance test (cuDNN only; ignored).");
    d.field("cudnn_off", &DeconvolutionParam::cudnn_off).setDefault(false).doc("Turn off cudnn for this layer (ignored).");
    d.field("layout", &DeconvolutionParam::layout).setDefault("None")
        .values({"None", "NCDHW", "NCHW", "NCW", "NDHWC", "NHWC"})
        .doc("Set layout for input, output and weight. Empty for default layout, NCW for 1d, NCHW for 2d and "
             "NCDHW for 3d. NHWC and NDHWC are only supported on GPU.");
  }
};

// Parameters with defaults filled in; pad/adj as used (derived from target_shape when it is set).
struct DeconvSpec {
  Shape kernel, stride, dilate, pad, adj;
  bool hasTarget = false;
};

DeconvSpec specNoData(const DeconvolutionParam& p, const char* op) {
  IST_CHECK(p.kernel.size() >= 1 && p.kernel.size() <= 3, op, "kernel",
            "must have 1, 2 or 3 entries (1-D, 2-D or 3-D deconvolution), got " << shapeString(p.kernel));
  DeconvSpec s;
  s.kernel = p.kernel;
  conv::checkAtLeast(s.kernel, 1, op, "kernel");
  s.stride = conv::expandTuple(p.stride, p.kernel, 1, op, "stride");
  conv::checkAtLeast(s.stride, 1, op, "stride");
  s.dilate = conv::expandTuple(p.dilate, p.kernel, 1, op, "dilate");
  conv::checkAtLeast(s.dilate, 1, op, "dilate");
  s.pad = conv::expandTuple(p.pad, p.kernel, 0, op, "pad");
  conv::checkAtLeast(s.pad, 0, op, "pad");
  s.adj = conv::expandTuple(p.adj, p.kernel, 0, op, "adj");
  conv::checkAtLeast(s.adj, 0, op, "adj");
  if (!p.target_shape.empty()) {
    conv::expandTuple(p.target_shape, p.kernel, 0, op, "target_shape");
    conv::checkAtLeast(p.target_shape, 0, op, "target_shape");
    for (int64_t t : p.target_shape) s.hasTarget |= t != 0;
  }
  conv::checkChannelFirstLayout(p.layout, p.kernel.size(), op);
  IST_CHECK(p.num_filter % p.num_group == 0, op, "num_group",
            "num_filter " << p.num_filter << " is not divisible by num_group " << p.num_group);
  return s;
}

// With target_shape: MXNet's InferPad (the total trim split as evenly as possible, the odd unit
// going to adj). Then checks adj < stride and computes the output shape of data shape `d`.
Shape deconvOutShape(const DeconvolutionParam& p, DeconvSpec& s, const Shape& d, const char* op) {
  Shape o{d[0], p.num_filter};
  for (size_t i = 0; i < s.kernel.size(); ++i) {
    const int64_t dk = conv::dilatedKernel(s.kernel[i], s.dilate[i]);
    const int64_t full = s.stride[i] * (d[2 + i] - 1) + dk;
    if (s.hasTarget) {
      IST_CHECK(full >= p.target_shape[i], op, "target_shape",
                "target_shape " << shapeString(p.target_shape) << " is too big for data of shape " << shapeString(d)
                                << " (at most " << full << " along spatial axis " << i << ")");
      const int64_t trim = full - p.target_shape[i];
      s.adj[i] = trim % 2;
      s.pad[i] = (trim + 1) / 2;
    }
    IST_CHECK(s.adj[i] < s.stride[i], op, "adj",
              "adj " << shapeString(s.adj) << " must be smaller than stride " << shapeString(s.stride)
                     << (s.hasTarget ? " (adj derived from target_shape " + shapeString(p.target_shape) + ")" : ""));
    const int64_t len = full - 2 * s.pad[i] + s.adj[i];
    IST_CHECK(len >= 0, op, "pad",
              "pad " << shapeString(s.pad) << " leaves no output for data of shape " << shapeString(d)
                     << " and kernel " << shapeString(s.kernel));
    o.push_back(len);
  }
  return o;
}

void deconvShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<DeconvolutionParam>();
  conv::checkBiasInputs(in.size(), p.no_bias, kOp);
  DeconvSpec s = specNoData(p, kOp);
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
  Shape w{d[1], p.num_filter / p.num_group};
  w.insert(w.end(), s.kernel.begin(), s.kernel.end());
  conv::expectShape(in[1], w, kOp, "weight", d);
  if (!p.no_bias) conv::expectShape(in[2], Shape{p.num_filter}, kOp, "bias", d);
  out[0] = deconvOutShape(p, s, d, kOp);
}

void deconvType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  conv::inferFloatTypes(in, out, {"data", "weight", "bias"}, kOp);
}

// Sizes of one call; the geometry sweeps the output y (the "image") with windows at the input's
// positions (the columns), exactly the convolution that maps y back to x.
struct Dims {
  int64_t N, C, F, G, Cg, Fg, K, IS, OS;
  conv::Geom g;
};

Dims dimsOf(const DeconvolutionParam& p, const Shape& x, const Shape& y) {
  DeconvSpec s = specNoData(p, kOp);
  deconvOutShape(p, s, x, kOp);  // fills pad/adj from target_shape
  Dims d;
  d.g = conv::makeGeom(Shape(y.begin() + 2, y.end()), Shape(x.begin() + 2, x.end()), s.kernel, s.stride,
                       s.dilate, s.pad);
  d.N = x[0];
  d.C = x[1];
  d.F = p.num_filter;
  d.G = p.num_group;
  d.Cg = d.C / d.G;
  d.Fg = d.F / d.G;
  d.K = d.g.kSize();
  d.IS = d.g.outSize();  // input positions = column count
  d.OS = d.g.inSize();   // output image size
  return d;
}

template <typename T>
void forward(const DeconvolutionParam& p, const std::vector<TBlob>& in, OpReq req, const TBlob& yb) {
  const Dims d = dimsOf(p, in[0].shape, yb.shape);
  const T* x = in[0].data<T>();
  const T* w = in[1].data<T>();
  T* y = yb.data<T>();
  const int64_t FK = d.Fg * d.K;
  const bool direct = d.g.pointwise();
  const bool add = req == OpReq::kAddTo;
  if (!direct && !add) std::fill(y, y + yb.size(), T(0));
  const size_t colBytes = direct ? 0 : static_cast<size_t>(d.F * d.K * d.IS) * sizeof(T);
  conv::forEachImage(d.N, colBytes, 2 * d.C * FK * d.IS, [&](int64_t n, void* scratch, bool par) {
    const T* xn = x + n * d.C * d.IS;
    T* yn = y + n * d.F * d.OS;
    T* target = direct ? yn : static_cast<T*>(scratch);
    // columns of group g = W_g^T x[n, g]: W_g is (Cg, Fg*K), x[n, g] is (Cg, IS).
    for (int64_t gi = 0; gi < d.G; ++gi)
      gemm<T>(true, false, FK, d.IS, d.Cg, 1.0, w + gi * d.Cg * FK, FK, xn + gi * d.Cg * d.IS, d.IS,
              direct && add ? 1.0 : 0.0, target + gi * FK * d.IS, d.IS, par);
    if (!direct) conv::col2im(target, d.F, d.g, yn, par);
  });
  if (!p.no_bias) conv::addBias(y, in[2].data<T>(), d.N, d.F, d.OS);
}

void deconvCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<DeconvolutionParam>();
  conv::runWidened(kOp, in, req, out, [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    if (i[0].dtype == DType::kFloat32) forward<float>(p, i, req[0], o[0]);
    else forward<double>(p, i, req[0], o[0]);
  });
}

// inputs: ograd, data, weight; outputs: d data, d weight, d bias (unless no_bias).
template <typename T>
void backward(const DeconvolutionParam& p, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
              const std::vector<TBlob>& out) {
  const Dims d = dimsOf(p, in[1].shape, in[0].shape);
  const T* og = in[0].data<T>();
  const T* x = in[1].data<T>();
  const T* w = in[2].data<T>();
  const int64_t FK = d.Fg * d.K;
  const bool direct = d.g.pointwise();
  const bool wantX = req[0] != OpReq::kNull, wantW = req[1] != OpReq::kNull;
  conv::Workspace ws(direct ? 0 : static_cast<size_t>(d.F * d.K * d.IS) * sizeof(T));
  T* dx = wantX ? out[0].data<T>() : nullptr;
  T* dw = wantW ? out[1].data<T>() : nullptr;
  bool firstW = req[1] != OpReq::kAddTo;
  if (wantW && firstW && d.N == 0) std::fill(dw, dw + out[1].size(), T(0));
  if (wantX || wantW) {
    for (int64_t n = 0; n < d.N; ++n) {
      const T* ogn = og + n * d.F * d.OS;
      const T* col = ogn;
      if (!direct) {
        conv::im2col(ogn, d.F, d.g, ws.as<T>());
        col = ws.as<T>();
      }
      for (int64_t gi = 0; gi < d.G; ++gi) {
        const T* colg = col + gi * FK * d.IS;
        const T* wg = w + gi * d.Cg * FK;
        if (wantX)  // d x[n, g] = W_g col_g
          gemm<T>(false, false, d.Cg, d.IS, FK, 1.0, wg, FK, colg, d.IS, req[0] == OpReq::kAddTo ? 1.0 : 0.0,
                  dx + (n * d.C + gi * d.Cg) * d.IS, d.IS);
        if (wantW)  // d W_g += x[n, g] col_g^T
          gemm<T>(false, true, d.Cg, FK, d.IS, 1.0, x + (n * d.C + gi * d.Cg) * d.IS, d.IS, colg, d.IS,
                  firstW ? 0.0 : 1.0, dw + gi * d.Cg * FK, FK);
      }
      firstW = false;
    }
  }
  if (!p.no_bias) conv::biasGrad(og, out[2].data<T>(), d.N, d.F, d.OS, req[2]);
}

void deconvBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                           const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<DeconvolutionParam>();
  conv::runWidened("_backward_Deconvolution", in, req, out,
                   [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
                     if (i[0].dtype == DType::kFloat32) backward<float>(p, i, req, o);
                     else backward<double>(p, i, req, o);
                   });
}

void deconvBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<DeconvolutionParam>();
  std::vector<Shape> fin{in[1], in[2]};
  if (!p.no_bias) fin.push_back(Shape{p.num_filter});
  checkAgainstForward("_backward_Deconvolution", deconvShape, attrs, {in[0]}, fin);
  out[0] = in[1];
  out[1] = in[2];
  if (!p.no_bias) out[2] = Shape{p.num_filter};
}

void deconvBackwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  conv::inferFloatTypes(in, out, {"ograd", "data", "weight"}, "_backward_Deconvolution");
}

std::vector<NodeEntry> deconvGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  AttrDict attrs = nn::backwardAttrs(n->attrs);
  NodePtr b = makeNode("_backward_Deconvolution", {og[0], n->inputs[0], n->inputs[1]}, attrs);
  if (n->attrs.get<DeconvolutionParam>().no_bias) return {NodeEntry{b, 0}, NodeEntry{b, 1}};
  return {NodeEntry{b, 0}, NodeEntry{b, 1}, NodeEntry{b, 2}};
}

int numBiasOutputs(const NodeAttrs& a) { return a.get<DeconvolutionParam>().no_bias ? 2 : 3; }

IST_REGISTER_OP(Deconvolution)
    .describe("Computes 1-D, 2-D or 3-D transposed convolution (aka fractionally strided convolution) of the "
              "input: the gradient of Convolution with respect to its data. Data (batch, channel, *in), weight "
              "(channel, num_filter / num_group, *kernel), optional bias (num_filter,); each spatial output size "
              "is stride * (in - 1) + dilate * (kernel - 1) + 1 - 2 * pad + adj, or target_shape when given. "
              "no_bias defaults to True; pass bias as the third input when it is False.")
    .inputs({"data", "weight"})
    .variadic("bias", nn::kOptionalCount)
    .params<DeconvolutionParam>()
    .inferShape(deconvShape)
    .inferType(deconvType)
    .compute(Context::kCPU, deconvCompute)
    .gradient(deconvGradient);

IST_REGISTER_OP(_backward_Deconvolution)
    .describe("Gradient of Deconvolution: d data, d weight and (unless no_bias) d bias from the output gradient.")
    .inputs({"ograd", "data", "weight"})
    .params<DeconvolutionParam>()
    .numOutputs(numBiasOutputs)
    .inferShape(deconvBackwardShape)
    .inferType(deconvBackwardType)
    .compute(Context::kCPU, deconvBackwardCompute);

}  // namespace
}  // namespace ist
