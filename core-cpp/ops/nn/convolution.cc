// Convolution (1-D, 2-D, 3-D; strides, dilation, padding, groups) on the CPU as im2col + GEMM,
// with its gradient as the hidden op _backward_Convolution (col2im for the data gradient).
// A 1x1 kernel with stride 1 and no padding skips im2col: the image is already the column matrix;
// float32 3x3 stride-1 convolutions run as Winograd F(2x2, 3x3) (winograd.h); depthwise layers run
// directly (depthwise.h). In an executor's
// inference runs the weights' prepared form (packed filters, or Winograd's packed planes) is kept
// between calls (op/prepared_input.h).
#include <type_traits>
#include "kernels/cpu/gemm.h"
#include "graph/node.h"
#include "op/backward_errors.h"
#include "op/prepared_input.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/conv_phases.h"
#include "ops/nn/conv_weight_grad.h"
#include "ops/nn/depthwise.h"
#include "ops/nn/im2col.h"
#include "ops/nn/convolution_params.h"
#include "ops/nn/channel_affine.h"
#include "ops/nn/winograd.h"

namespace ist {
namespace convolution_detail {
namespace {

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

// With `affine` (a fused BatchNorm, which then carries the bias), each image's output gets it right
// after its GEMM.
// prepared: the executor's cache of the weights' prepared form, or null.
template <typename T>
void forward(const ConvolutionParam& p, const std::vector<TBlob>& in, OpReq req, const TBlob& yb,
             const ChannelAffine<T>* affine, PreparedInput* prepared) {
  const Dims d = dimsOf(p, in[0].shape, yb.shape);
  const T* x = in[0].data<T>();
  const T* w = in[1].data<T>();
  T* y = yb.data<T>();
  const bool biasAfter = !p.no_bias && !affine;  // a fused affine adds the bias itself
  const int64_t CK = d.Cg * d.K;
  const bool direct = d.g.pointwise();
  const double beta = req == OpReq::kAddTo ? 1.0 : 0.0;
  // A fused channel shuffle: group gi's GEMM writes its filters G channels apart, from channel gi.
  const bool shuffled = affine && affine->shuffled;
  IST_CHECK(!shuffled || (d.G > 1 && !conv::depthwiseApplies(d)), kOp, "num_group",
            "a channel shuffle is fused only into a grouped, not depthwise, convolution");
  const int64_t groupOut = shuffled ? d.OS : d.Fg * d.OS;  // from one group's first output row to the next's
  const int64_t ldy = shuffled ? d.G * d.OS : d.OS;        // between a group's output rows
  auto channelAt = [&](int64_t f) { return shuffled ? (f % d.Fg) * d.G + f / d.Fg : f; };
  if (conv::depthwiseApplies(d)) {
    conv::depthwiseForward(x, w, y, d, beta, affine);
    if (biasAfter) conv::addBias(y, in[2].data<T>(), d.N, d.F, d.OS);
    return;
  }
  if constexpr (std::is_same<T, float>::value) {
    if (winograd::applies(d)) {
      winograd::forward(x, w, y, d, beta, affine, prepared);
      if (biasAfter) conv::addBias(y, in[2].data<T>(), d.N, d.F, d.OS);
      return;
    }
  }
  // The column matrix is made block by block while the GEMM packs it (copied from the image's
  // phase planes, conv_phases.h, or for 3-D and large strides by im2colBlock), unless the product
  // is a matrix-vector one (the GEMV reads a stored matrix).
  const bool fromImage = !direct && d.Fg > 1 && d.OS > 1;
  const bool phases = fromImage && conv::phasesApply(d.g);
  const conv::PhasePlan pp = phases ? conv::phasePlan(d.g, d.Cg) : conv::PhasePlan();
  const size_t colBytes = phases ? static_cast<size_t>(d.C * pp.channelSize()) * sizeof(T)
                          : direct || fromImage ? 0
                                                : static_cast<size_t>(d.C * d.K * d.OS) * sizeof(T);
  const std::vector<conv::ColRow> colRows =
      fromImage && !phases ? conv::colRows(d.g, d.Cg) : std::vector<conv::ColRow>();
  // Each group's filters packed as the GEMM's A operand, kept by the executor between calls; not
  // for matrix-vector products, which do not pack (and sum in another order).
  const int64_t wBlock = gemmPackedASize(d.Fg, CK);
  const T* packedW = nullptr;
  if (prepared && d.Fg > 1 && d.OS > 1 && CK > 0) {
    auto packFilters = [&](void* buf) {
      parallelFor(d.G, 2 * d.Fg * CK, [&](int64_t b, int64_t e) {
        for (int64_t gi = b; gi < e; ++gi)
          gemmPackA<T>(false, d.Fg, CK, w + gi * d.Fg * CK, CK, static_cast<T*>(buf) + gi * wBlock);
      });
    };
    const uint64_t kind = conv::kPackedFilters * 16 + sizeof(T);  // the layout and the dtype
    packedW = static_cast<const T*>(prepared->get(kind, sizeof(T) * d.G * wBlock, packFilters));
  }
  // (par: this image has the pool to itself, as its GEMM had.)
  auto finishImage = [&](T* yn, bool par) {
    if (!affine) return;
    auto channels = [&](int64_t fb, int64_t fe) {
      for (int64_t f = fb; f < fe; ++f) {
        const int64_t at = channelAt(f) * d.OS;
        affine->apply(yn + at, f, d.OS, (yn - y) + at);
      }
    };
    if (par) parallelFor(d.F, 2 * d.OS, channels);
    else channels(0, d.F);
  };
  conv::forEachImage(d.N, colBytes, 2 * d.F * CK * d.OS, [&](int64_t n, void* scratch, bool par) {
    const T* xn = x + n * d.C * d.IS;
    const T* col = xn;
    if (fromImage) {
      struct Ctx {
        const T* img;  // the group's channels of the image, or of its phase planes
        const conv::Geom* g;
        const conv::ColRow* rows;
        const conv::PhasePlan* pp;
      };
      auto fromImageRows = [](const void* c, int64_t k0, int64_t kc, int64_t j0, int64_t cols, int width, T* dst) {
        const Ctx* cx = static_cast<const Ctx*>(c);
        conv::im2colBlock(cx->img, *cx->g, cx->rows, k0, kc, j0, cols, width, dst);
      };
      auto fromPhasePlanes = [](const void* c, int64_t k0, int64_t kc, int64_t j0, int64_t cols, int width, T* dst) {
        const Ctx* cx = static_cast<const Ctx*>(c);
        conv::phaseRows(cx->img, *cx->g, *cx->pp, k0, kc, j0, cols, width, dst);
      };
      T* planes = static_cast<T*>(scratch);
      if (phases) conv::splitPhases(xn, d.C, d.g, pp, planes, par);
      T* yn = y + n * d.F * d.OS;
      for (int64_t gi = 0; gi < d.G; ++gi) {
        const Ctx ctx = phases ? Ctx{planes + gi * d.Cg * pp.channelSize(), &d.g, nullptr, &pp}
                               : Ctx{xn + gi * d.Cg * d.IS, &d.g, colRows.data(), nullptr};
        const GemmBSource<T> src{phases ? +fromPhasePlanes : +fromImageRows, &ctx};
        if (packedW)
          gemmPackedA<T>(d.Fg, d.OS, CK, 1.0, packedW + gi * wBlock, false, nullptr, 0, beta, yn + gi * groupOut,
                         ldy, par, &src);
        else
          gemmFromSource<T>(false, d.Fg, d.OS, CK, 1.0, w + gi * d.Fg * CK, CK, src, beta, yn + gi * groupOut,
                            ldy, par);
      }
      finishImage(yn, par);
      return;
    }
    if (!direct) {
      conv::im2col(xn, d.C, d.g, static_cast<T*>(scratch), par);
      col = static_cast<T*>(scratch);
    }
    T* yn = y + n * d.F * d.OS;
    for (int64_t gi = 0; gi < d.G; ++gi) {
      if (packedW)
        gemmPackedA<T>(d.Fg, d.OS, CK, 1.0, packedW + gi * wBlock, false, col + gi * CK * d.OS, d.OS, beta,
                       yn + gi * groupOut, ldy, par);
      else
        gemm<T>(false, false, d.Fg, d.OS, CK, 1.0, w + gi * d.Fg * CK, CK, col + gi * CK * d.OS, d.OS, beta,
                yn + gi * groupOut, ldy, par);
    }
    finishImage(yn, par);
  });
  if (biasAfter) conv::addBias(y, in[2].data<T>(), d.N, d.F, d.OS);
}

void convCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<ConvolutionParam>();
  conv::runWidened(kOp, in, req, out, [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    if (i[0].dtype == DType::kFloat32) forward<float>(p, i, req[0], o[0], nullptr, ctx.prepared);
    else forward<double>(p, i, req[0], o[0], nullptr, ctx.prepared);
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

  if (req[1] != OpReq::kNull)  // d weight = sum_n og[n] x col(x[n])^T, per group
    conv::weightGradient<T>({og, d.F, x, d.C, d.g, direct, d.N, d.G}, out[1].data<T>(), req[1] == OpReq::kAddTo);

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

}  // namespace
}  // namespace convolution_detail

template <typename T>
void convolutionWithAffine(const NodeAttrs& conv, const TBlob& data, const TBlob& weight, const TBlob& y,
                           const ChannelAffine<T>& affine, PreparedInput* prepared) {
  convolution_detail::forward<T>(conv.get<convolution_detail::ConvolutionParam>(), {data, weight}, OpReq::kWriteTo, y,
                                 &affine, prepared);
}
template void convolutionWithAffine<float>(const NodeAttrs&, const TBlob&, const TBlob&, const TBlob&,
                                           const ChannelAffine<float>&, PreparedInput*);
template void convolutionWithAffine<double>(const NodeAttrs&, const TBlob&, const TBlob&, const TBlob&,
                                            const ChannelAffine<double>&, PreparedInput*);

template <typename T>
void convolutionForward(const convolution_detail::ConvolutionParam& p, const TBlob& data, const TBlob& weight, OpReq req,
                        const TBlob& y) {
  convolution_detail::forward<T>(p, {data, weight}, req, y, nullptr, nullptr);
}
template void convolutionForward<float>(const convolution_detail::ConvolutionParam&, const TBlob&, const TBlob&, OpReq,
                                        const TBlob&);
template void convolutionForward<double>(const convolution_detail::ConvolutionParam&, const TBlob&, const TBlob&, OpReq,
                                         const TBlob&);

namespace convolution_detail {
namespace {

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
    .optionalInput("bias", [](const NodeAttrs& a) { return !a.get<ConvolutionParam>().no_bias; })
    .params<ConvolutionParam>()
    .inferShape(convShape)
    .inferType(convType)
    .compute(Context::kCPU, convCompute)
    .prepares(1)
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
}  // namespace convolution_detail
}  // namespace ist
