// Device-generic Convolution and _backward_Convolution (kernels/device.h): the CPU compute's
// im2col + GEMM formulation (convolution.cc), with images processed in chunks whose column
// matrices fit a scratch budget, GEMMs batched over images or groups, and a gather-style col2im
// for the data gradient. The 1x1 (pointwise) case multiplies the image directly.
#pragma once
#include <vector>
#include "ops/nn/convolution_params.h"
#include "ops/nn/im2col_device.h"

namespace ist {
namespace convolution_detail {

template <typename Dev, typename T>
void forwardDev(const OpContext& ctx, const ConvolutionParam& p, const std::vector<TBlob>& in, OpReq req,
                const TBlob& yb) {
  const Dims d = dimsOf(p, in[0].shape, yb.shape);
  const conv::DevGeom g = conv::devGeom(d.g);
  const T* x = in[0].data<T>();
  const T* w = in[1].data<T>();
  T* y = yb.data<T>();
  const int64_t CK = d.Cg * d.K;
  const bool direct = d.g.pointwise();
  const double beta = req == OpReq::kAddTo ? 1.0 : 0.0;
  const int64_t perImage = direct ? 0 : d.C * d.K * d.OS;
  conv::im2colChunks<Dev, T>(ctx, g, direct, d.N, d.C, d.C * d.IS, perImage, x,
                             [&](int64_t n0, int64_t nb, const T* col, int64_t colImg) {
    // y[n, g] (Fg x OS) = W_g (Fg x CK) col[n, g] (CK x OS)
    conv::gemmImagesGroups<Dev, T>(ctx, kOp, nb, d.G, false, false, d.Fg, d.OS, CK, w, CK, 0, d.Fg * CK, col, d.OS,
                                   colImg, CK * d.OS, beta, y + n0 * d.F * d.OS, d.OS, d.F * d.OS, d.Fg * d.OS);
  });
  if (!p.no_bias) conv::addBiasDev<Dev, T>(ctx, y, in[2].data<T>(), d.N, d.F, d.OS);
}

template <typename Dev>
void convComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<ConvolutionParam>();
  conv::runFloatDev<Dev>(ctx, kOp, in, req, out, [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    forwardDev<Dev, decltype(t)>(ctx, p, i, req[0], o[0]);
  });
}

// inputs: ograd, data, weight; outputs: d data, d weight, d bias (unless no_bias).
template <typename Dev, typename T>
void backwardDev(const OpContext& ctx, const ConvolutionParam& p, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  constexpr const char* op = "_backward_Convolution";
  const Dims d = dimsOf(p, in[1].shape, in[0].shape);
  const conv::DevGeom g = conv::devGeom(d.g);
  const T* og = in[0].data<T>();
  const T* x = in[1].data<T>();
  const T* w = in[2].data<T>();
  const int64_t CK = d.Cg * d.K;
  const bool direct = d.g.pointwise();
  const int64_t perImage = direct ? 0 : d.C * d.K * d.OS;
  void* stream = ctx.run.stream;

  if (req[1] != OpReq::kNull) {  // d weight = sum_n og[n] x col(x[n])^T, per group, images in order
    T* dw = out[1].data<T>();
    bool first = req[1] != OpReq::kAddTo;
    if (first && d.N == 0) DeviceMem<Dev>::zero(stream, dw, static_cast<size_t>(out[1].size()) * sizeof(T));
    conv::im2colChunks<Dev, T>(ctx, g, direct, d.N, d.C, d.C * d.IS, perImage, x,
                               [&](int64_t n0, int64_t nb, const T* cols, int64_t colImg) {
      for (int64_t k = 0; k < nb; ++k) {
        // dW_g (Fg x CK) (+)= og[n, g] (Fg x OS) col[n, g]^T, batched over groups
        conv::gemmDev<Dev, T>(ctx, op, d.G, false, true, d.Fg, CK, d.OS, og + (n0 + k) * d.F * d.OS, d.OS,
                              d.Fg * d.OS, cols + k * colImg, d.OS, CK * d.OS, first ? 0.0 : 1.0, dw, CK, d.Fg * CK);
        first = false;
      }
    });
  }

  if (req[0] != OpReq::kNull) {  // d data = col2im(W^T og[n]), per group
    conv::col2imChunks<Dev, T>(ctx, g, direct, d.N, d.C, d.C * d.IS, perImage, out[0].data<T>(),
                               req[0] == OpReq::kAddTo,
                               [&](int64_t n0, int64_t nb, T* target, int64_t tImg, double beta) {
      // col[n, g] (CK x OS) = W_g^T (CK x Fg) og[n, g] (Fg x OS)
      conv::gemmImagesGroups<Dev, T>(ctx, op, nb, d.G, true, false, CK, d.OS, d.Fg, w, CK, 0, d.Fg * CK,
                                     og + n0 * d.F * d.OS, d.OS, d.F * d.OS, d.Fg * d.OS, beta, target, d.OS, tImg,
                                     CK * d.OS);
    });
  }

  if (!p.no_bias) conv::biasGradDev<Dev, T>(ctx, og, out[2].data<T>(), d.N, d.F, d.OS, req[2]);
}

template <typename Dev>
void convBackwardComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                            const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<ConvolutionParam>();
  conv::runFloatDev<Dev>(ctx, "_backward_Convolution", in, req, out,
                         [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
                           backwardDev<Dev, decltype(t)>(ctx, p, i, req, o);
                         });
}

}  // namespace convolution_detail
}  // namespace ist
