// _contrib_BilinearResize2D's parameters, MXNet 1.9's coordinate mapping, and the device-generic
// computes of the resize and of its gather-style gradient, shared by bilinear_resize.cc (CPU) and
// bilinear_resize.cu (GPU, CPU twin).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/elemwise/functors.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace bresize {

constexpr const char* kOp = "_contrib_BilinearResize2D";
constexpr const char* kBack = "_backward_contrib_BilinearResize2D";

struct BilinearResizeParam {
  int height = 1, width = 1;
  std::optional<float> scale_height, scale_width;
  std::string mode;
  bool align_corners = true;
  static void declare(ParamDecl<BilinearResizeParam>& d) {
    d.field("height", &BilinearResizeParam::height).setDefault(1).range(1, 2147483647.0)
        .doc("output height (required, but ignored if scale_height is defined or mode is not \"size\")");
    d.field("width", &BilinearResizeParam::width).setDefault(1).range(1, 2147483647.0)
        .doc("output width (required, but ignored if scale_width is defined or mode is not \"size\")");
    d.field("scale_height", &BilinearResizeParam::scale_height).setDefault(std::nullopt)
        .doc("sampling scale of the height (optional, used in modes \"size\" and \"odd_scale\")");
    d.field("scale_width", &BilinearResizeParam::scale_width).setDefault(std::nullopt)
        .doc("sampling scale of the width (optional, used in modes \"size\" and \"odd_scale\")");
    d.field("mode", &BilinearResizeParam::mode).setDefault("size")
        .values({"size", "odd_scale", "like", "to_even_down", "to_even_up", "to_odd_down", "to_odd_up"})
        .doc("resizing mode. \"size\" - output height equals parameter \"height\" if \"scale_height\" is not "
             "defined or input height multiplied by \"scale_height\" otherwise (same for width); "
             "\"odd_scale\" - if an original side is odd, the result is (original - 1) * scale + 1, else "
             "original * scale; \"like\" - resize the first input to the height and width of the second input; "
             "\"to_even_down\" / \"to_even_up\" - to the nearest lower / bigger even size; \"to_odd_down\" / "
             "\"to_odd_up\" - to the nearest lower / bigger odd size.");
    d.field("align_corners", &BilinearResizeParam::align_corners).setDefault(true)
        .doc("With align_corners = True, the corner pixels of input and output are aligned (src = dst * (in - 1) "
             "/ (out - 1)); with False, pixel centres are scaled (src = (dst + 0.5) * in / out - 0.5, clipped at "
             "0), so the output values can depend on the input size.");
  }
};

// MXNet's scale (float): 0 for an output of one pixel, whatever align_corners.
inline float pixelScale(int64_t in, int64_t out, bool alignCorners) {
  if (out <= 1) return 0.f;
  return alignCorners ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                      : static_cast<float>(in) / static_cast<float>(out);
}

// One output coordinate's source taps: i0 and i0 + step (step 0 at the last pixel), weights l0, l1.
struct Taps {
  int64_t i0, step;
  float l0, l1;
};

ISTX Taps tapsAt(float scale, int64_t dst, int64_t in, bool alignCorners) {
  float src = alignCorners ? scale * static_cast<float>(dst)
                           : scale * (static_cast<float>(dst) + 0.5f) - 0.5f;
  if (src < 0.f) src = 0.f;
  int64_t i0 = static_cast<int64_t>(src);
  if (i0 > in - 1) i0 = in - 1;
  Taps t;
  t.i0 = i0;
  t.step = i0 < in - 1 ? 1 : 0;
  t.l1 = src - static_cast<float>(i0);
  t.l0 = 1.f - t.l1;
  return t;
}

// Weight of source pixel i in output coordinate dst (0 when it is not one of the taps).
ISTX float tapWeight(float scale, int64_t dst, int64_t in, bool alignCorners, int64_t i) {
  const Taps t = tapsAt(scale, dst, in, alignCorners);
  float w = 0.f;
  if (t.i0 == i) w += t.l0;
  if (t.i0 + t.step == i) w += t.l1;
  return w;
}

struct ResizeGeom {
  int64_t planes, H, W, OH, OW;
  float rh, rw;
  bool ac;
};

inline ResizeGeom resizeGeom(const Shape& in, const Shape& out, bool ac) {
  return ResizeGeom{in[0] * in[1], in[2], in[3], out[2], out[3], pixelScale(in[2], out[2], ac),
                    pixelScale(in[3], out[3], ac), ac};
}

// Output o = (plane * OH + oh) * OW + ow.
struct ResizeForwardMap {
  template <typename T>
  ISTX static void Map(int64_t o, T* y, const T* x, ResizeGeom g, bool add) {
    using C = dnd::CT<T>;
    const int64_t ow = o % g.OW, oh = (o / g.OW) % g.OH, plane = o / (g.OW * g.OH);
    const Taps th = tapsAt(g.rh, oh, g.H, g.ac), tw = tapsAt(g.rw, ow, g.W, g.ac);
    const T* p = x + (plane * g.H + th.i0) * g.W + tw.i0;
    const int64_t dh = th.step * g.W, dw = tw.step;
    const C v = static_cast<C>(th.l0) * (static_cast<C>(tw.l0) * static_cast<C>(p[0]) +
                                         static_cast<C>(tw.l1) * static_cast<C>(p[dw])) +
                static_cast<C>(th.l1) * (static_cast<C>(tw.l0) * static_cast<C>(p[dh]) +
                                         static_cast<C>(tw.l1) * static_cast<C>(p[dh + dw]));
    y[o] = add ? T(static_cast<C>(y[o]) + v) : T(v);
  }
};

// Output coordinates [*lo, *hi] whose taps may include source pixel i: sources lie within one
// pixel of i, so dst is near i / scale (a few extra on each side for rounding and the clip at 0).
ISTX void candidates(float scale, int64_t i, int64_t out, int64_t* lo, int64_t* hi) {
  if (!(scale > 0.f)) {
    *lo = 0;
    *hi = out - 1;
    return;
  }
  const float a = (static_cast<float>(i) - 1.5f) / scale, b = (static_cast<float>(i) + 2.f) / scale;
  *lo = a < 0.f ? 0 : static_cast<int64_t>(a) - 2;
  if (*lo < 0) *lo = 0;
  *hi = b > static_cast<float>(out) ? out - 1 : static_cast<int64_t>(b) + 2;
  if (*hi > out - 1) *hi = out - 1;
}

// Input j = (plane * H + h) * W + w gathers the output gradients of every output that reads it.
struct ResizeBackwardMap {
  template <typename T>
  ISTX static void Map(int64_t j, T* gx, const T* og, ResizeGeom g, bool add) {
    using C = dnd::CT<T>;
    const int64_t w = j % g.W, h = (j / g.W) % g.H, plane = j / (g.W * g.H);
    int64_t ohLo, ohHi, owLo, owHi;
    candidates(g.rh, h, g.OH, &ohLo, &ohHi);
    candidates(g.rw, w, g.OW, &owLo, &owHi);
    const T* gp = og + plane * g.OH * g.OW;
    C acc = add ? static_cast<C>(gx[j]) : C(0);
    for (int64_t oh = ohLo; oh <= ohHi; ++oh) {
      const float wh = tapWeight(g.rh, oh, g.H, g.ac, h);
      if (wh == 0.f) continue;
      C row = C(0);
      for (int64_t ow = owLo; ow <= owHi; ++ow) {
        const float ww = tapWeight(g.rw, ow, g.W, g.ac, w);
        if (ww != 0.f) row += static_cast<C>(ww) * static_cast<C>(gp[oh * g.OW + ow]);
      }
      acc += static_cast<C>(wh) * row;
    }
    gx[j] = T(acc);
  }
};

// Inputs (data[, like]); output the resized data.
template <typename Dev>
void resizeForwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<BilinearResizeParam>();
  const ResizeGeom g = resizeGeom(in[0].shape, out[0].shape, p.align_corners);
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kOp, {
    DeviceKernel<ResizeForwardMap, Dev>::launch(ctx.run.stream, out[0].size(), 24, out[0].data<T>(),
                                                in[0].data<T>(), g, req[0] == OpReq::kAddTo);
  });
}

// Inputs (ograd, data); output d data.
template <typename Dev>
void resizeBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  if (in[0].size() == 0) {
    if (req[0] != OpReq::kAddTo) dnd::zeroBlob<Dev>(ctx, out[0]);
    return;
  }
  const auto& p = attrs.get<BilinearResizeParam>();
  const ResizeGeom g = resizeGeom(out[0].shape, in[0].shape, p.align_corners);
  const int64_t ch = g.rh > 0.f ? static_cast<int64_t>(4.f / g.rh) + 6 : g.OH;
  const int64_t cw = g.rw > 0.f ? static_cast<int64_t>(4.f / g.rw) + 6 : g.OW;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kBack, {
    DeviceKernel<ResizeBackwardMap, Dev>::launch(ctx.run.stream, out[0].size(), ch * cw * 8, out[0].data<T>(),
                                                 in[0].data<T>(), g, req[0] == OpReq::kAddTo);
  });
}

}  // namespace bresize
}  // namespace ist
