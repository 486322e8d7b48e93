// _contrib_PSROIPooling's parameters, MXNet 1.9's R-FCN box arithmetic (shared with
// _contrib_DeformablePSROIPooling) and the device-generic computes of the forward and of the gradient
// to data, used by psroi_pooling.cc (CPU) and psroi_pooling.cu (GPU and its CPU twin).
#pragma once
#include <cstdint>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/elemwise/functors.h"
#include "ops/nn/dense_device_util.h"
#include "ops/nn/roi_common.h"

namespace ist {
namespace psroi {

constexpr const char* kOp = "_contrib_PSROIPooling";
constexpr const char* kBack = "_backward__contrib_PSROIPooling";

struct PSROIPoolingParam {
  float spatial_scale = 1;
  int output_dim = 0;
  int pooled_size = 0;
  int group_size = 0;
  static void declare(ParamDecl<PSROIPoolingParam>& d) {
    d.field("spatial_scale", &PSROIPoolingParam::spatial_scale).range(0.0, 1.0)
        .doc("Ratio of input feature map height (or w) to raw image height (or w). Equals the reciprocal of total "
             "stride in convolutional layers");
    d.field("output_dim", &PSROIPoolingParam::output_dim).doc("fix output dim");
    d.field("pooled_size", &PSROIPoolingParam::pooled_size).doc("fix pooled size");
    d.field("group_size", &PSROIPoolingParam::group_size).setDefault(0).doc("fix group size");
  }
};

// group_size 0 means pooled_size (MXNet sets it so in Init).
inline int64_t groupOf(const PSROIPoolingParam& p) { return p.group_size > 0 ? p.group_size : p.pooled_size; }

// A box in feature-map pixels: start corner and size; valid false for a row that gives zeros (batch
// index outside the data, or a non-finite value).
template <typename C>
struct PsBox {
  bool valid;
  int64_t batch;
  C x0, y0, w, h;
};

// MXNet's box of row [batch_index, x1, y1, x2, y2]: corners rounded (half away from zero), the end
// corner + 1, both times spatial_scale minus `shift` (0.5 in the deformable op); sizes at least 0.1.
template <typename T>
ISTX PsBox<typename ComputeType<T>::type> psBoxAt(const T* row, int64_t N, float scale, bool halfShift) {
  using C = typename ComputeType<T>::type;
  PsBox<C> b{false, 0, C(0), C(0), C(1), C(1)};
  C r[5];
  for (int k = 0; k < 5; ++k) {
    r[k] = static_cast<C>(row[k]);
    if (!(math::fabs(r[k]) < C(1e30))) return b;  // inf or NaN
  }
  const C bi = math::trunc(r[0]);  // MXNet casts to int
  if (bi < C(0) || bi >= static_cast<C>(N)) return b;
  const C s = static_cast<C>(scale), sh = halfShift ? C(0.5) : C(0);
  b.x0 = math::round(r[1]) * s - sh;
  b.y0 = math::round(r[2]) * s - sh;
  const C x1 = (math::round(r[3]) + C(1)) * s - sh, y1 = (math::round(r[4]) + C(1)) * s - sh;
  b.w = x1 - b.x0 > C(0.1) ? x1 - b.x0 : C(0.1);  // too small ROIs: at least 0.1 (avoids 0)
  b.h = y1 - b.y0 > C(0.1) ? y1 - b.y0 : C(0.1);
  b.valid = true;
  b.batch = static_cast<int64_t>(bi);
  return b;
}

// Group cell of bin i of P along a side: floor(i * G / P), clipped to [0, G).
template <typename C>
ISTX int64_t psGroupCell(int64_t i, int64_t G, int64_t P) {
  int64_t g = static_cast<int64_t>(math::floor(static_cast<C>(i) * static_cast<C>(G) / static_cast<C>(P)));
  return g < 0 ? 0 : (g > G - 1 ? G - 1 : g);
}

// floor / ceil of v clipped to [0, size] before the conversion, so huge boxes stay defined.
template <typename C>
ISTX int64_t psClipIndex(C v, int64_t size) {
  if (!(v > C(0))) return 0;
  if (v >= static_cast<C>(size)) return size;
  return static_cast<int64_t>(v);
}

// Data (N, Cin, H, W) with Cin = C * G * G; output (R, C, P, P).
struct PsGeom {
  int64_t N, Cin, H, W, C, P, G;
  float scale;
};

// Bin o = ((r * C + ctop) * P + ph) * P + pw of the output: its data plane and [hs, he) x [ws, we).
struct PsBin {
  int64_t plane, hs, he, ws, we;
  bool empty;
};

template <typename T>
ISTX PsBin psBinAt(int64_t o, const T* rois, const PsGeom& g) {
  using C = typename ComputeType<T>::type;
  const int64_t pw = o % g.P, ph = (o / g.P) % g.P, ctop = (o / (g.P * g.P)) % g.C, r = o / (g.P * g.P * g.C);
  PsBin bin{0, 0, 0, 0, 0, true};
  const PsBox<C> b = psBoxAt(rois + r * 5, g.N, g.scale, false);
  if (!b.valid) return bin;
  const C bh = b.h / static_cast<C>(g.P), bw = b.w / static_cast<C>(g.P);
  bin.hs = psClipIndex(math::floor(static_cast<C>(ph) * bh + b.y0), g.H);
  bin.ws = psClipIndex(math::floor(static_cast<C>(pw) * bw + b.x0), g.W);
  bin.he = psClipIndex(math::ceil(static_cast<C>(ph + 1) * bh + b.y0), g.H);
  bin.we = psClipIndex(math::ceil(static_cast<C>(pw + 1) * bw + b.x0), g.W);
  bin.empty = bin.he <= bin.hs || bin.we <= bin.ws;
  const int64_t gh = psGroupCell<C>(ph, g.G, g.P), gw = psGroupCell<C>(pw, g.G, g.P);
  const int64_t c = (ctop * g.G + gh) * g.G + gw;
  bin.plane = (b.batch * g.Cin + c) * g.H * g.W;
  return bin;
}

// Output o: the mean of its bin (0 for an empty bin or an ROI that gives zeros).
struct PsForwardMap {
  template <typename T>
  ISTX static void Map(int64_t o, T* y, const T* x, const T* rois, PsGeom g, bool add) {
    using C = typename ComputeType<T>::type;
    const PsBin bin = psBinAt(o, rois, g);
    C v = C(0);
    if (!bin.empty) {
      for (int64_t h = bin.hs; h < bin.he; ++h)
        for (int64_t w = bin.ws; w < bin.we; ++w) v += static_cast<C>(x[bin.plane + h * g.W + w]);
      v /= static_cast<C>((bin.he - bin.hs) * (bin.we - bin.ws));
    }
    y[o] = add ? T(static_cast<C>(y[o]) + v) : T(v);
  }
};

// Output o's gradient, spread evenly over its bin in acc (compute type, one per data element).
struct PsScatterMap {
  template <typename T, typename C>
  ISTX static void Map(int64_t o, C* acc, const T* og, const T* rois, PsGeom g) {
    const PsBin bin = psBinAt(o, rois, g);
    if (bin.empty) return;
    const C d = static_cast<C>(og[o]) / static_cast<C>((bin.he - bin.hs) * (bin.we - bin.ws));
    for (int64_t h = bin.hs; h < bin.he; ++h)
      for (int64_t w = bin.ws; w < bin.we; ++w) deviceAtomicAdd(acc + bin.plane + h * g.W + w, d);
  }
};

inline PsGeom psGeom(const PSROIPoolingParam& p, const Shape& data, const Shape& out) {
  return PsGeom{data[0], data[1], data[2], data[3], out[1], out[2], groupOf(p), p.spatial_scale};
}

// Inputs (data, rois).
template <typename Dev>
void psForwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const PsGeom g = psGeom(attrs.get<PSROIPoolingParam>(), in[0].shape, out[0].shape);
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kOp, {
    DeviceKernel<PsForwardMap, Dev>::launch(ctx.run.stream, out[0].size(), 64, out[0].data<T>(), in[0].data<T>(),
                                            in[1].data<T>(), g, req[0] == OpReq::kAddTo);
  });
}

// Inputs (ograd, data, rois); output d data.
template <typename Dev>
void psBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const PsGeom g = psGeom(attrs.get<PSROIPoolingParam>(), out[0].shape, in[0].shape);
  roiScatterBackward<PsScatterMap, Dev>(kBack, ctx, in, req, out, g);
}

}  // namespace psroi
}  // namespace ist
