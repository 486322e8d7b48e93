// _contrib_AdaptiveAvgPooling2D's parameters, bin arithmetic and device-generic computes (forward
// and the gather-style gradient), shared by adaptive_avg_pooling.cc (CPU) and .cu (GPU, CPU twin).
#pragma once
#include <cstdint>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace aapool {

constexpr const char* kOp = "_contrib_AdaptiveAvgPooling2D";
constexpr const char* kBack = "_backward_contrib_AdaptiveAvgPooling2D";

struct AdaptiveAvgPoolParam {
  Shape output_size;
  static void declare(ParamDecl<AdaptiveAvgPoolParam>& d) {
    d.field("output_size", &AdaptiveAvgPoolParam::output_size).setDefault(Shape{})
        .doc("int (output size) or a tuple of int for output (height, width). () means 1x1.");
  }
};

// (OH, OW) from output_size: () -> 1x1, (s,) -> s x s, (h, w).
inline void outputHW(const AdaptiveAvgPoolParam& p, const char* op, int64_t* oh, int64_t* ow) {
  const Shape& s = p.output_size;
  IST_CHECK(s.size() <= 2, op, "output_size",
            "must be an int or a (height, width) pair, got " << shapeString(s));
  for (int64_t v : s)
    IST_CHECK(v >= 1, op, "output_size", "entries must be at least 1, got " << shapeString(s));
  *oh = s.empty() ? 1 : s[0];
  *ow = s.empty() ? 1 : (s.size() == 1 ? s[0] : s[1]);
}

// Sizes: planes = N * C; input H x W; output OH x OW.
struct AapGeom {
  int64_t planes, H, W, OH, OW;
};

// Bin i of `out` bins over `in` pixels: [floor(i * in / out), ceil((i + 1) * in / out)).
ISTX int64_t binStart(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
ISTX int64_t binEnd(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

// Output o = (plane * OH + oh) * OW + ow: the mean of its bin.
struct AapForwardMap {
  template <typename T>
  ISTX static void Map(int64_t o, T* y, const T* x, AapGeom g, bool add) {
    using C = dnd::CT<T>;
    const int64_t ow = o % g.OW, oh = (o / g.OW) % g.OH, plane = o / (g.OW * g.OH);
    const int64_t hs = binStart(oh, g.H, g.OH), he = binEnd(oh, g.H, g.OH);
    const int64_t ws = binStart(ow, g.W, g.OW), we = binEnd(ow, g.W, g.OW);
    const T* xp = x + plane * g.H * g.W;
    C sum = C(0);
    for (int64_t h = hs; h < he; ++h)
      for (int64_t w = ws; w < we; ++w) sum += static_cast<C>(xp[h * g.W + w]);
    const C v = sum / static_cast<C>((he - hs) * (we - ws));
    y[o] = add ? T(static_cast<C>(y[o]) + v) : T(v);
  }
};

// Input j = (plane * H + h) * W + w gathers og / bin size from every bin that holds it (bins
// overlap by at most one pixel, so only a few candidates around h * OH / H can).
struct AapBackwardMap {
  template <typename T>
  ISTX static void Map(int64_t j, T* gx, const T* og, AapGeom g, bool add) {
    using C = dnd::CT<T>;
    const int64_t w = j % g.W, h = (j / g.W) % g.H, plane = j / (g.W * g.H);
    const int64_t ohLo = (h * g.OH) / g.H - 1, ohHi = ((h + 1) * g.OH) / g.H + 1;
    const int64_t owLo = (w * g.OW) / g.W - 1, owHi = ((w + 1) * g.OW) / g.W + 1;
    const T* gp = og + plane * g.OH * g.OW;
    C acc = add ? static_cast<C>(gx[j]) : C(0);
    for (int64_t oh = ohLo < 0 ? 0 : ohLo; oh <= ohHi && oh < g.OH; ++oh) {
      const int64_t hs = binStart(oh, g.H, g.OH), he = binEnd(oh, g.H, g.OH);
      if (h < hs || h >= he) continue;
      for (int64_t ow = owLo < 0 ? 0 : owLo; ow <= owHi && ow < g.OW; ++ow) {
        const int64_t ws = binStart(ow, g.W, g.OW), we = binEnd(ow, g.W, g.OW);
        if (w < ws || w >= we) continue;
        acc += static_cast<C>(gp[oh * g.OW + ow]) / static_cast<C>((he - hs) * (we - ws));
      }
    }
    gx[j] = T(acc);
  }
};

inline AapGeom aapGeom(const Shape& data, const Shape& out) {
  return AapGeom{data[0] * data[1], data[2], data[3], out[2], out[3]};
}

template <typename Dev>
void aapForwardDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const AapGeom g = aapGeom(in[0].shape, out[0].shape);
  const int64_t cost = (g.H / g.OH + 2) * (g.W / g.OW + 2) * 2;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kOp, {
    DeviceKernel<AapForwardMap, Dev>::launch(ctx.run.stream, out[0].size(), cost, out[0].data<T>(),
                                             in[0].data<T>(), g, req[0] == OpReq::kAddTo);
  });
}

// Inputs (ograd, data); output d data.
template <typename Dev>
void aapBackwardDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const AapGeom g = aapGeom(out[0].shape, in[0].shape);
  if (in[0].size() == 0) {  // no output bins: the gradient is zero
    if (req[0] != OpReq::kAddTo) dnd::zeroBlob<Dev>(ctx, out[0]);
    return;
  }
  const int64_t cost = (g.OH / g.H + 3) * (g.OW / g.W + 3) * 4;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kBack, {
    DeviceKernel<AapBackwardMap, Dev>::launch(ctx.run.stream, out[0].size(), cost, out[0].data<T>(),
                                              in[0].data<T>(), g, req[0] == OpReq::kAddTo);
  });
}

}  // namespace aapool
}  // namespace ist
