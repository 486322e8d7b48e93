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
  const int64_t chunk = conv::imagesPerChunk<T>(d.N, perImage);
  TempSpace<Dev> ws(ctx.run.stream, static_cast<size_t>(direct ? 0 : chunk * perImage) * sizeof(T));
  for (int64_t n0 = 0; n0 < d.N; n0 += chunk) {
    const int64_t nb = std::min(chunk, d.N - n0);
    const T* xn = x + n0 * d.C * d.IS;
    const T* col = xn;
    int64_t colImg = d.C * d.IS;
    if (!direct) {
      conv::im2colDev<Dev, T>(ctx, xn, nb, d.C, g, ws.template as<T>());
      col = ws.template as<T>();
      colImg = perImage;
    }
    // y[n, g] (Fg x OS) = W_g (Fg x CK) col[n, g] (CK x OS)
    conv::gemmImagesGroups<Dev, T>(ctx, kOp, nb, d.G, false, false, d.Fg, d.OS, CK, w, CK, 0, d.Fg * CK, col, d.OS,
                                   colImg, CK * d.OS, beta, y + n0 * d.F * d.OS, d.OS, d.F * d.OS, d.Fg * d.OS);
  }
  if (!p.no_bias) conv::addBiasDev<Dev, T>(ctx, y, in[2].data<T>(), d.N, d.F, d.OS);
}

template <typename Dev>
void convComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<ConvolutionParam>();
  conv::runWidenedDev<Dev>(ctx, kOp, in, req, out, [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    if (i[0].dtype == DType::kFloat32) forwardDev<Dev, float>(ctx, p, i, req[0], o[0]);
    else forwardDev<Dev, double>(ctx, p, i, req[0], o[0]);
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
  const int64_t chunk = conv::imagesPerChunk<T>(d.N, perImage);
  void* stream = ctx.run.stream;

  if (req[1] != OpReq::kNull) {  // d weight = sum_n og[n] x col(x[n])^T, per group, images in order
    TempSpace<Dev> ws(stream, static_cast<size_t>(direct ? 0 : chunk * perImage) * sizeof(T));
    T* dw = out[1].data<T>();
    bool first = req[1] != OpReq::kAddTo;
    if (first && d.N == 0) DeviceMem<Dev>::zero(stream, dw, static_cast<size_t>(out[1].size()) * sizeof(T));
    for (int64_t n0 = 0; n0 < d.N; n0 += chunk) {
      const int64_t nb = std::min(chunk, d.N - n0);
      const T* cols = x + n0 * d.C * d.IS;
      int64_t colImg = d.C * d.IS;
      if (!direct) {
        conv::im2colDev<Dev, T>(ctx, cols, nb, d.C, g, ws.template as<T>());
        cols = ws.template as<T>();
        colImg = perImage;
      }
      for (int64_t k = 0; k < nb; ++k) {
        // dW_g (Fg x CK) (+)= og[n, g] (Fg x OS) col[n, g]^T, batched over groups
        conv::gemmDev<Dev, T>(ctx, op, d.G, false, true, d.Fg, CK, d.OS, og + (n0 + k) * d.F * d.OS, d.OS,
                              d.Fg * d.OS, cols + k * colImg, d.OS, CK * d.OS, first ? 0.0 : 1.0, dw, CK, d.Fg * CK);
        first = false;
      }
    }
  }

  if (req[0] != OpReq::kNull) {  // d data = col2im(W^T og[n]), per group
    T* dx = out[0].data<T>();
    const bool add = req[0] == OpReq::kAddTo;
    TempSpace<Dev> ws(stream, static_cast<size_t>(direct ? 0 : chunk * perImage) * sizeof(T));
    for (int64_t n0 = 0; n0 < d.N; n0 += chunk) {
      const int64_t nb = std::min(chunk, d.N - n0);
      T* dxn = dx + n0 * d.C * d.IS;
      T* target = direct ? dxn : ws.template as<T>();
      const int64_t tImg = direct ? d.C * d.IS : perImage;
      // col[n, g] (CK x OS) = W_g^T (CK x Fg) og[n, g] (Fg x OS)
      conv::gemmImagesGroups<Dev, T>(ctx, op, nb, d.G, true, false, CK, d.OS, d.Fg, w, CK, 0, d.Fg * CK,
                                     og + n0 * d.F * d.OS, d.OS, d.F * d.OS, d.Fg * d.OS, direct && add ? 1.0 : 0.0,
                                     target, d.OS, tImg, CK * d.OS);
      if (!direct) conv::col2imDev<Dev, T>(ctx, target, nb, d.C, g, dxn, add);
    }
  }

  if (!p.no_bias) conv::biasGradDev<Dev, T>(ctx, og, out[2].data<T>(), d.N, d.F, d.OS, req[2]);
}

template <typename Dev>
void convBackwardComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                            const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<ConvolutionParam>();
  conv::runWidenedDev<Dev>(ctx, "_backward_Convolution", in, req, out,
                           [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
                             if (i[0].dtype == DType::kFloat32) backwardDev<Dev, float>(ctx, p, i, req, o);
                             else backwardDev<Dev, double>(ctx, p, i, req, o);
                           });
}

}  // namespace convolution_detail
}  // namespace ist
