// Deconvolution (transposed convolution, 1-D/2-D/3-D, groups, dilation, adj, target_shape) on the
// CPU: GEMM into columns then col2im, the adjoint of Convolution's im2col + GEMM. Its gradient is
// the hidden op _backward_Deconvolution (also used by UpSampling's bilinear mode), whose data gradient
// is a Convolution.
#include "kernels/cpu/gemm.h"
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/conv_weight_grad.h"
#include "ops/nn/im2col.h"
#include "ops/nn/convolution_params.h"
#include "ops/nn/deconvolution_params.h"

namespace ist {
namespace deconvolution_detail {
namespace {

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
  const bool direct = d.g.pointwise();
  if (req[1] != OpReq::kNull)  // d W_g = sum_n x[n, g] col(og[n])_g^T
    conv::weightGradient<T>({x, d.C, og, d.F, d.g, direct, d.N, d.G}, out[1].data<T>(), req[1] == OpReq::kAddTo);
  if (req[0] != OpReq::kNull) {
    // d x[n, g] = W_g col(og[n])_g: the convolution of og by W with this geometry (W's (C, F/G, k) layout
    // is a convolution's with C filters), so it takes Convolution's path: columns made as the GEMM packs
    // them, never stored, and Winograd where it applies.
    DeconvSpec s = specNoData(p, kOp);
    deconvOutShape(p, s, in[1].shape, kOp);  // the pad target_shape implies
    convolution_detail::ConvolutionParam cp;
    cp.kernel = s.kernel;
    cp.stride = s.stride;
    cp.dilate = s.dilate;
    cp.pad = s.pad;
    cp.num_filter = static_cast<int>(d.C);
    cp.num_group = static_cast<int>(d.G);
    cp.no_bias = true;
    cp.layout = p.layout;
    cp.cudnn_tune = p.cudnn_tune;
    convolutionForward<T>(cp, in[0], in[2], req[0], out[0]);
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
    .optionalInput("bias", [](const NodeAttrs& a) { return !a.get<DeconvolutionParam>().no_bias; })
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
}  // namespace deconvolution_detail
}  // namespace ist
