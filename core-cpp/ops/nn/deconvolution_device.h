// Device-generic Deconvolution and _backward_Deconvolution (kernels/device.h): the CPU compute's
// formulation (deconvolution.cc): GEMM into columns then a gather-style col2im forward, im2col of
// the output gradient then GEMMs backward. Images run in chunks whose column matrices fit a
// scratch budget; GEMMs are batched over images or groups. Pointwise geometry skips the columns.
#pragma once
#include <vector>
#include "ops/nn/deconvolution_params.h"
#include "ops/nn/im2col_device.h"

namespace ist {
namespace deconvolution_detail {

template <typename Dev, typename T>
void forwardDev(const OpContext& ctx, const DeconvolutionParam& p, const std::vector<TBlob>& in, OpReq req,
                const TBlob& yb) {
  const Dims d = dimsOf(p, in[0].shape, yb.shape);
  const conv::DevGeom g = conv::devGeom(d.g);
  const T* x = in[0].data<T>();
  const T* w = in[1].data<T>();
  T* y = yb.data<T>();
  const int64_t FK = d.Fg * d.K;
  const bool direct = d.g.pointwise();
  const bool add = req == OpReq::kAddTo;
  const int64_t perImage = direct ? 0 : d.F * d.K * d.IS;
  conv::col2imChunks<Dev, T>(ctx, g, direct, d.N, d.F, d.F * d.OS, perImage, y, add,
                             [&](int64_t n0, int64_t nb, T* target, int64_t tImg, double beta) {
    // columns of group g = W_g^T x[n, g]: W_g is (Cg, Fg*K), x[n, g] is (Cg, IS).
    conv::gemmImagesGroups<Dev, T>(ctx, kOp, nb, d.G, true, false, FK, d.IS, d.Cg, w, FK, 0, d.Cg * FK,
                                   x + n0 * d.C * d.IS, d.IS, d.C * d.IS, d.Cg * d.IS, beta, target, d.IS, tImg,
                                   FK * d.IS);
  });
  if (!p.no_bias) conv::addBiasDev<Dev, T>(ctx, y, in[2].data<T>(), d.N, d.F, d.OS);
}

template <typename Dev>
void deconvComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<DeconvolutionParam>();
  conv::runFloatDev<Dev>(ctx, kOp, in, req, out, [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    forwardDev<Dev, decltype(t)>(ctx, p, i, req[0], o[0]);
  });
}

// inputs: ograd, data, weight; outputs: d data, d weight, d bias (unless no_bias).
template <typename Dev, typename T>
void backwardDev(const OpContext& ctx, const DeconvolutionParam& p, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  constexpr const char* op = "_backward_Deconvolution";
  const Dims d = dimsOf(p, in[1].shape, in[0].shape);
  const conv::DevGeom g = conv::devGeom(d.g);
  const T* og = in[0].data<T>();
  const T* x = in[1].data<T>();
  const T* w = in[2].data<T>();
  const int64_t FK = d.Fg * d.K;
  const bool direct = d.g.pointwise();
  const bool wantX = req[0] != OpReq::kNull, wantW = req[1] != OpReq::kNull;
  void* stream = ctx.run.stream;
  T* dx = wantX ? out[0].data<T>() : nullptr;
  T* dw = wantW ? out[1].data<T>() : nullptr;
  bool firstW = req[1] != OpReq::kAddTo;
  if (wantW && firstW && d.N == 0) DeviceMem<Dev>::zero(stream, dw, static_cast<size_t>(out[1].size()) * sizeof(T));
  if (wantX || wantW) {
    const int64_t perImage = direct ? 0 : d.F * d.K * d.IS;
    conv::im2colChunks<Dev, T>(ctx, g, direct, d.N, d.F, d.F * d.OS, perImage, og,
                               [&](int64_t n0, int64_t nb, const T* col, int64_t colImg) {
      if (wantX)  // d x[n, g] (Cg x IS) = W_g (Cg x FK) col[n, g] (FK x IS)
        conv::gemmImagesGroups<Dev, T>(ctx, op, nb, d.G, false, false, d.Cg, d.IS, FK, w, FK, 0, d.Cg * FK, col, d.IS,
                                       colImg, FK * d.IS, req[0] == OpReq::kAddTo ? 1.0 : 0.0,
                                       dx + n0 * d.C * d.IS, d.IS, d.C * d.IS, d.Cg * d.IS);
      if (wantW) {
        for (int64_t k = 0; k < nb; ++k) {
          // d W_g (Cg x FK) (+)= x[n, g] (Cg x IS) col[n, g]^T, batched over groups
          conv::gemmDev<Dev, T>(ctx, op, d.G, false, true, d.Cg, FK, d.IS, x + (n0 + k) * d.C * d.IS, d.IS,
                                d.Cg * d.IS, col + k * colImg, d.IS, FK * d.IS, firstW ? 0.0 : 1.0, dw, FK, d.Cg * FK);
          firstW = false;
        }
      }
    });
  }
  if (!p.no_bias) conv::biasGradDev<Dev, T>(ctx, og, out[2].data<T>(), d.N, d.F, d.OS, req[2]);
}

template <typename Dev>
void deconvBackwardComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                              const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<DeconvolutionParam>();
  conv::runFloatDev<Dev>(ctx, "_backward_Deconvolution", in, req, out,
                         [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
                           backwardDev<Dev, decltype(t)>(ctx, p, i, req, o);
                         });
}

}  // namespace deconvolution_detail
}  // namespace ist
