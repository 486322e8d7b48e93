// Pooling_v1's params and geometry and its device-generic computes (forward and _backward_Pooling_v1),
// shared by legacy_layers.cc (the CPU computes) and legacy_layers.cu (GPU, and the CPU twins).
// MXNet's Pooling_v1 pools a zero-padded copy of the data: max counts padded cells as 0, avg divides
// by the whole kernel area, and the max gradient goes to every cell equal to the window's maximum.
// Pooling differs in all three, so this op has its own kernels.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>
#include "base/error.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace legacy_pool {

constexpr const char* kPool = "Pooling_v1";

struct PoolingV1Param {
  Shape kernel, stride, pad;
  std::string pool_type, pooling_convention;
  bool global_pool = false;
  static void declare(ParamDecl<PoolingV1Param>& d) {
    d.field("kernel", &PoolingV1Param::kernel).setDefault(Shape{}).doc("pooling kernel size: (y, x) or (d, y, x)");
    d.field("pool_type", &PoolingV1Param::pool_type).setDefault("max").values({"avg", "max", "sum"})
        .doc("Pooling type to be applied.");
    d.field("global_pool", &PoolingV1Param::global_pool).setDefault(false)
        .doc("Ignore kernel size, do global pooling based on current input feature map. ");
    d.field("pooling_convention", &PoolingV1Param::pooling_convention).setDefault("valid").values({"full", "valid"})
        .doc("Pooling convention to be applied.");
    d.field("stride", &PoolingV1Param::stride).setDefault(Shape{}).doc("stride: for pooling (y, x) or (d, y, x)");
    d.field("pad", &PoolingV1Param::pad).setDefault(Shape{}).doc("pad for pooling: (y, x) or (d, y, x)");
  }
};

// One 4-D call: NC planes of H x W pooled into OH x OW by kh x kw windows at stride (sh, sw) over
// the data zero-padded by (ph, pw); kind 0 max, 1 avg, 2 sum; scale multiplies the reduction.
struct PoolV1Geom {
  int64_t NC = 0, H = 0, W = 0, OH = 1, OW = 1, kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;
  int kind = 0;
  double scale = 1;
};

// Geometry for data shape d (checked: 4-D, windows fitting the padded input).
inline PoolV1Geom poolV1Geom(const PoolingV1Param& p, const Shape& d, const char* op = kPool) {
  IST_CHECK(d.size() == 4, op, "data", "expects 4-D (N, C, H, W) data, got shape " << shapeString(d));
  PoolV1Geom g;
  g.NC = d[0] * d[1];
  g.H = d[2];
  g.W = d[3];
  g.kind = p.pool_type == "max" ? 0 : p.pool_type == "avg" ? 1 : 2;
  if (p.global_pool) {
    IST_CHECK(g.H > 0 && g.W > 0, op, "data",
              "global pooling needs a non-empty feature map, got shape " << shapeString(d));
    g.kh = g.H;
    g.kw = g.W;
  } else {
    IST_CHECK(p.kernel.size() == 2, op, "kernel",
              "supports 2-D kernels (y, x) unless global_pool, got " << shapeString(p.kernel));
    IST_CHECK(p.stride.empty() || p.stride.size() == 2, op, "stride",
              shapeString(p.stride) << " does not match kernel " << shapeString(p.kernel));
    IST_CHECK(p.pad.empty() || p.pad.size() == 2, op, "pad",
              shapeString(p.pad) << " does not match kernel " << shapeString(p.kernel));
    g.kh = p.kernel[0];
    g.kw = p.kernel[1];
    if (!p.stride.empty()) g.sh = p.stride[0], g.sw = p.stride[1];
    if (!p.pad.empty()) g.ph = p.pad[0], g.pw = p.pad[1];
    IST_CHECK(g.kh > 0 && g.kw > 0, op, "kernel", "must be positive, got " << shapeString(p.kernel));
    IST_CHECK(g.sh > 0 && g.sw > 0, op, "stride", "must be positive, got " << shapeString(p.stride));
    IST_CHECK(g.ph >= 0 && g.pw >= 0, op, "pad", "must be non-negative, got " << shapeString(p.pad));
    const int64_t hp = g.H + 2 * g.ph, wp = g.W + 2 * g.pw;
    IST_CHECK(g.kh <= hp && g.kw <= wp, op, "kernel",
              "kernel " << shapeString(p.kernel) << " exceeds the padded input: data shape " << shapeString(d)
                        << ", pad " << shapeString(p.pad));
    const bool full = p.pooling_convention == "full";
    g.OH = 1 + (full ? (hp - g.kh + g.sh - 1) / g.sh : (hp - g.kh) / g.sh);
    g.OW = 1 + (full ? (wp - g.kw + g.sw - 1) / g.sw : (wp - g.kw) / g.sw);
  }
  g.scale = g.kind == 1 ? 1.0 / static_cast<double>(g.kh * g.kw) : 1.0;
  return g;
}

// One output: the reduction over its window of the padded plane (windows clipped to its end).
struct PoolV1ForwardMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* y, const T* x, PoolV1Geom g, bool add) {
    using C = dnd::CT<T>;
    const int64_t ow = t % g.OW, oh = (t / g.OW) % g.OH, nc = t / (g.OW * g.OH);
    const int64_t hs = oh * g.sh, ws = ow * g.sw;
    const int64_t he = hs + g.kh < g.H + 2 * g.ph ? hs + g.kh : g.H + 2 * g.ph;
    const int64_t we = ws + g.kw < g.W + 2 * g.pw ? ws + g.kw : g.W + 2 * g.pw;
    const T* plane = x + nc * g.H * g.W;
    C acc = g.kind == 0 ? C(-3.4028234663852886e38) : C(0);  // mshadow's initial maximum: -FLT_MAX
    for (int64_t r = hs; r < he; ++r)
      for (int64_t c = ws; c < we; ++c) {
        const int64_t ih = r - g.ph, iw = c - g.pw;
        const C v = (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) ? C(plane[ih * g.W + iw]) : C(0);
        if (g.kind == 0) acc = v > acc ? v : acc;
        else acc += v;
      }
    const C r = g.kind == 1 ? C(acc * C(g.scale)) : acc;
    y[t] = add ? T(C(y[t]) + r) : T(r);
  }
};

// One input cell: the output gradients of the windows holding it (for max, of those whose maximum
// it equals), times scale.
struct PoolV1BackwardMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* dx, const T* og, const T* x, const T* y, PoolV1Geom g, bool add) {
    using C = dnd::CT<T>;
    const int64_t iw = t % g.W, ih = (t / g.W) % g.H, nc = t / (g.W * g.H);
    const int64_t r = ih + g.ph, c = iw + g.pw;  // in the padded plane
    const int64_t oh0 = r < g.kh ? 0 : (r - g.kh + g.sh) / g.sh, oh1 = r / g.sh + 1 < g.OH ? r / g.sh + 1 : g.OH;
    const int64_t ow0 = c < g.kw ? 0 : (c - g.kw + g.sw) / g.sw, ow1 = c / g.sw + 1 < g.OW ? c / g.sw + 1 : g.OW;
    const int64_t base = nc * g.OH * g.OW;
    const C v = C(x[t]);
    C acc = C(0);
    for (int64_t oh = oh0; oh < oh1; ++oh)
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        const int64_t o = base + oh * g.OW + ow;
        if (g.kind != 0 || v == C(y[o])) acc += C(og[o]);
      }
    const C d = g.kind == 1 ? C(acc * C(g.scale)) : acc;
    dx[t] = add ? T(C(dx[t]) + d) : T(d);
  }
};

template <typename Dev>
void poolV1Dev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const PoolV1Geom g = poolV1Geom(attrs.get<PoolingV1Param>(), in[0].shape);
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kPool, {
    DeviceKernel<PoolV1ForwardMap, Dev>::launch(ctx.run.stream, out[0].size(), g.kh * g.kw, out[0].data<T>(),
                                                in[0].data<T>(), g, req[0] == OpReq::kAddTo);
  });
}

// (ograd, data, output) -> d data.
template <typename Dev>
void poolV1BackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const PoolV1Geom g = poolV1Geom(attrs.get<PoolingV1Param>(), in[1].shape, "_backward_Pooling_v1");
  const int64_t per = ((g.kh + g.sh - 1) / g.sh) * ((g.kw + g.sw - 1) / g.sw);
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, "_backward_Pooling_v1", {
    DeviceKernel<PoolV1BackwardMap, Dev>::launch(ctx.run.stream, out[0].size(), per, out[0].data<T>(),
                                                 in[0].data<T>(), in[1].data<T>(), in[2].data<T>(), g,
                                                 req[0] == OpReq::kAddTo);
  });
}

}  // namespace legacy_pool
}  // namespace ist
