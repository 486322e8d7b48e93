// Device-generic UpSampling and _backward_UpSampling (kernels/device.h), as upsampling.cc:
// nearest forward is one Map call per output element of each input's channel slice (inputs in
// order, so summed inputs add in the CPU's order); its gradient is one Map call per input element
// summing its block. Bilinear runs Deconvolution's compute for the same device, as the CPU does.
#pragma once
#include <type_traits>
#include <vector>
#include "kernels/device.h"
#include "ops/nn/im2col_device.h"
#include "ops/nn/upsampling_params.h"

namespace ist {
namespace upsampling_detail {

// y[n, cofs + c, oh, ow] (=|+=) x[n, c, oh / sy, ow / sx] for i over (n, c, oh, ow) of one input.
struct NearestForwardMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* y, const T* x, int64_t C, int64_t H, int64_t W, int64_t OC, int64_t OH,
                       int64_t OW, int64_t cofs, int64_t sy, int64_t sx, bool add) {
    const int64_t ow = i % OW, oh = (i / OW) % OH, plane = i / (OW * OH);
    const int64_t n = plane / C, c = plane % C;
    const T v = x[plane * H * W + (oh / sy) * W + ow / sx];
    T& dst = y[(n * OC + cofs + c) * OH * OW + oh * OW + ow];
    dst = add ? dst + v : v;
  }
};

// dx[n, c, h, w] (=|+=) the sum of og[n, cofs + c] over its sy x sx block.
struct NearestBackwardMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* dx, const T* og, int64_t C, int64_t H, int64_t W, int64_t OC, int64_t OH,
                       int64_t OW, int64_t cofs, int64_t sy, int64_t sx, bool add) {
    const int64_t w = i % W, h = (i / W) % H, plane = i / (W * H);
    const int64_t n = plane / C, c = plane % C;
    const T* gp = og + (n * OC + cofs + c) * OH * OW;
    T acc = 0;
    for (int64_t a = 0; a < sy; ++a)
      for (int64_t b = 0; b < sx; ++b) acc += gp[(h * sy + a) * OW + w * sx + b];
    dx[i] = add ? dx[i] + acc : acc;
  }
};

template <typename Dev, typename T>
void nearestForwardDev(const OpContext& ctx, const UpSamplingParam& p, const std::vector<TBlob>& in, OpReq req,
                       const TBlob& yb) {
  const Shape& o = yb.shape;
  T* y = yb.data<T>();
  const int64_t OH = o[2], OW = o[3], OC = o[1];
  const bool sum = p.multi_input_mode == "sum";
  int64_t cofs = 0;
  for (size_t a = 0; a < in.size(); ++a) {
    const Shape& s = in[a].shape;
    int64_t sy, sx;
    scalesOf(s, o, p.scale, &sy, &sx);
    const int64_t C = s[1], H = s[2], W = s[3];
    // The first input writes (or adds, for kAddTo); later summed inputs add.
    const bool add = req == OpReq::kAddTo || (sum && a > 0);
    DeviceKernel<NearestForwardMap, Dev>::launch(ctx.run.stream, o[0] * C * OH * OW, 1, y, in[a].data<T>(), C, H, W,
                                                 OC, OH, OW, sum ? int64_t(0) : cofs, sy, sx, add);
    cofs += C;
  }
}

// inputs: ograd, then the forward inputs (for their shapes); outputs: one gradient per input.
template <typename Dev, typename T>
void nearestBackwardDev(const OpContext& ctx, const UpSamplingParam& p, const std::vector<TBlob>& in,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const Shape& o = in[0].shape;
  const int64_t OH = o[2], OW = o[3], OC = o[1];
  const bool sum = p.multi_input_mode == "sum";
  int64_t cofs = 0;
  for (size_t a = 0; a < out.size(); ++a) {
    const Shape& s = out[a].shape;
    const int64_t C = s[1], H = s[2], W = s[3];
    if (req[a] != OpReq::kNull) {
      int64_t sy, sx;
      scalesOf(s, o, p.scale, &sy, &sx);
      DeviceKernel<NearestBackwardMap, Dev>::launch(ctx.run.stream, o[0] * C * H * W, sy * sx, out[a].data<T>(),
                                                    in[0].data<T>(), C, H, W, OC, OH, OW, sum ? int64_t(0) : cofs, sy,
                                                    sx, req[a] == OpReq::kAddTo);
    }
    cofs += C;
  }
}

template <typename Dev>
void upComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<UpSamplingParam>();
  if (p.bilinear()) {
    // Deconvolution's compute for this device: its GPU kernel (or host staging) on a GPU, its
    // CPU compute (or twin) on the CPU.
    const Op& deconv = OpRegistry::get("Deconvolution");
    const FCompute* fn = deconv.computeFor(std::is_same_v<Dev, cpu> ? Context::kCPU : Context::kGPU);
    IST_CHECK(fn != nullptr, kOp, "sample_type", "bilinear upsampling needs Deconvolution, which has no compute here");
    (*fn)(deconv.parseAttrs(deconvAttrs(p)), ctx, in, req, out);
    return;
  }
  conv::runFloatDev<Dev>(ctx, kOp, in, req, out, [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    nearestForwardDev<Dev, decltype(t)>(ctx, p, i, req[0], o[0]);
  });
}

template <typename Dev>
void upBackwardComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<UpSamplingParam>();
  conv::runFloatDev<Dev>(ctx, "_backward_UpSampling", in, req, out,
                         [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
                           nearestBackwardDev<Dev, decltype(t)>(ctx, p, i, req, o);
                         });
}

}  // namespace upsampling_detail
}  // namespace ist
