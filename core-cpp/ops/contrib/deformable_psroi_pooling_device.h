// _contrib_DeformablePSROIPooling's parameters, MXNet 1.9's sampling arithmetic (Deformable ConvNets'
// deformable position-sensitive ROI pooling) and the device-generic computes of the forward and of
// the gradients to data and trans, used by deformable_psroi_pooling.cc (CPU) and
// deformable_psroi_pooling.cu (GPU and its CPU twin).
#pragma once
#include <cstdint>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/contrib/psroi_pooling_device.h"
#include "ops/elemwise/functors.h"
#include "ops/nn/dense_device_util.h"
#include "ops/nn/roi_common.h"

namespace ist {
namespace dpsroi {

constexpr const char* kOp = "_contrib_DeformablePSROIPooling";
constexpr const char* kBack = "_backward__contrib_DeformablePSROIPooling";

struct DeformablePSROIPoolingParam {
  float spatial_scale = 1;
  int output_dim = 0;
  int group_size = 0;
  int pooled_size = 0;
  int part_size = 0;
  int sample_per_part = 1;
  float trans_std = 0;
  bool no_trans = false;
  static void declare(ParamDecl<DeformablePSROIPoolingParam>& d) {
    d.field("spatial_scale", &DeformablePSROIPoolingParam::spatial_scale).range(0.0, 1.0)
        .doc("Ratio of input feature map height (or w) to raw image height (or w). Equals the reciprocal of total "
             "stride in convolutional layers");
    d.field("output_dim", &DeformablePSROIPoolingParam::output_dim).doc("fix output dim");
    d.field("group_size", &DeformablePSROIPoolingParam::group_size).doc("fix group size");
    d.field("pooled_size", &DeformablePSROIPoolingParam::pooled_size).doc("fix pooled size");
    d.field("part_size", &DeformablePSROIPoolingParam::part_size).setDefault(0).doc("fix part size");
    d.field("sample_per_part", &DeformablePSROIPoolingParam::sample_per_part).setDefault(1)
        .doc("fix samples per part");
    d.field("trans_std", &DeformablePSROIPoolingParam::trans_std).setDefault(0.0).range(0.0, 1.0)
        .doc("fix transition std");
    d.field("no_trans", &DeformablePSROIPoolingParam::no_trans).setDefault(false)
        .doc("Whether to disable trans parameter.");
  }
};

// part_size 0 means pooled_size (MXNet sets it so in Init).
inline int64_t partOf(const DeformablePSROIPoolingParam& p) { return p.part_size > 0 ? p.part_size : p.pooled_size; }

// Data (N, Cin, H, W) with Cin = C * G * G; output (R, C, P, P); trans (R, 2 * K, Q, Q) for K
// classes (C / K output channels each) and Q = part_size; S samples per bin side.
struct DpGeom {
  int64_t N, Cin, H, W, C, P, G, Q, S, K;
  float scale, transStd;
  bool noTrans;
};

// One output bin: the data plane it reads, its first sample, the sample step, the ROI size (trans
// is in units of it) and its trans cell (offset of the x entry; y is Q * Q further).
template <typename C>
struct DpBin {
  bool valid;
  int64_t plane, transAt;
  C w0, h0, stepW, stepH, roiW, roiH;
};

template <typename T>
ISTX DpBin<typename ComputeType<T>::type> dpBinAt(int64_t o, const T* rois, const T* trans, const DpGeom& g) {
  using C = typename ComputeType<T>::type;
  const int64_t pw = o % g.P, ph = (o / g.P) % g.P, ctop = (o / (g.P * g.P)) % g.C, r = o / (g.P * g.P * g.C);
  DpBin<C> bin{false, 0, 0, C(0), C(0), C(0), C(0), C(0), C(0)};
  const psroi::PsBox<C> b = psroi::psBoxAt(rois + r * 5, g.N, g.scale, true);
  if (!b.valid) return bin;
  const C bw = b.w / static_cast<C>(g.P), bh = b.h / static_cast<C>(g.P);
  bin.stepW = bw / static_cast<C>(g.S);
  bin.stepH = bh / static_cast<C>(g.S);
  bin.roiW = b.w;
  bin.roiH = b.h;
  bin.w0 = static_cast<C>(pw) * bw + b.x0;
  bin.h0 = static_cast<C>(ph) * bh + b.y0;
  if (!g.noTrans) {
    int64_t partH = static_cast<int64_t>(math::floor(static_cast<C>(ph) / static_cast<C>(g.P) * static_cast<C>(g.Q)));
    int64_t partW = static_cast<int64_t>(math::floor(static_cast<C>(pw) / static_cast<C>(g.P) * static_cast<C>(g.Q)));
    partH = partH < 0 ? 0 : (partH > g.Q - 1 ? g.Q - 1 : partH);
    partW = partW < 0 ? 0 : (partW > g.Q - 1 ? g.Q - 1 : partW);
    const int64_t cls = ctop / (g.C / g.K);
    bin.transAt = ((r * g.K + cls) * 2 * g.Q + partH) * g.Q + partW;
    const C ts = static_cast<C>(g.transStd);
    bin.w0 += static_cast<C>(trans[bin.transAt]) * ts * b.w;
    bin.h0 += static_cast<C>(trans[bin.transAt + g.Q * g.Q]) * ts * b.h;
  }
  const int64_t gh = psroi::psGroupCell<C>(ph, g.G, g.P), gw = psroi::psGroupCell<C>(pw, g.G, g.P);
  bin.plane = (b.batch * g.Cin + (ctop * g.G + gh) * g.G + gw) * g.H * g.W;
  bin.valid = true;
  return bin;
}

// Sample (w, h) of an H x W plane: false when it lies outside [-0.5, W - 0.5] x [-0.5, H - 0.5] (or
// is NaN); else clipped to the plane, with its corner pixels and fractions.
template <typename C>
ISTX bool dpSample(C w, C h, int64_t H, int64_t W, int64_t* x0, int64_t* x1, int64_t* y0, int64_t* y1, C* dx,
                   C* dy) {
  if (!(w >= C(-0.5) && w <= static_cast<C>(W) - C(0.5) && h >= C(-0.5) && h <= static_cast<C>(H) - C(0.5)))
    return false;
  w = w < C(0) ? C(0) : (w > static_cast<C>(W - 1) ? static_cast<C>(W - 1) : w);
  h = h < C(0) ? C(0) : (h > static_cast<C>(H - 1) ? static_cast<C>(H - 1) : h);
  *x0 = static_cast<int64_t>(math::floor(w));
  *x1 = static_cast<int64_t>(math::ceil(w));
  *y0 = static_cast<int64_t>(math::floor(h));
  *y1 = static_cast<int64_t>(math::ceil(h));
  *dx = w - static_cast<C>(*x0);
  *dy = h - static_cast<C>(*y0);
  return true;
}

// Output o: the mean of its bin's in-range bilinear samples (0 when none); cnt[o] their count.
struct DpForwardMap {
  template <typename T>
  ISTX static void Map(int64_t o, T* y, T* cnt, const T* x, const T* rois, const T* trans, DpGeom g, bool add) {
    using C = typename ComputeType<T>::type;
    const DpBin<C> bin = dpBinAt(o, rois, trans, g);
    C sum = C(0);
    int64_t n = 0;
    if (bin.valid) {
      const T* plane = x + bin.plane;
      for (int64_t ih = 0; ih < g.S; ++ih)
        for (int64_t iw = 0; iw < g.S; ++iw) {
          int64_t x0, x1, y0, y1;
          C dx, dy;
          if (!dpSample(bin.w0 + static_cast<C>(iw) * bin.stepW, bin.h0 + static_cast<C>(ih) * bin.stepH, g.H, g.W,
                        &x0, &x1, &y0, &y1, &dx, &dy))
            continue;
          sum += (C(1) - dx) * (C(1) - dy) * static_cast<C>(plane[y0 * g.W + x0]) +
                 (C(1) - dx) * dy * static_cast<C>(plane[y1 * g.W + x0]) +
                 dx * (C(1) - dy) * static_cast<C>(plane[y0 * g.W + x1]) + dx * dy * static_cast<C>(plane[y1 * g.W + x1]);
          ++n;
        }
    }
    const C v = n == 0 ? C(0) : sum / static_cast<C>(n);
    y[o] = add ? T(static_cast<C>(y[o]) + v) : T(v);
    if (cnt) cnt[o] = T(static_cast<C>(n));
  }
};

// Output o's gradient: to its samples' taps in accX and, with trans, to its trans cell in accT (MXNet's
// formula: the bilinear slope times trans_std times the ROI size), all in the compute type.
struct DpScatterMap {
  template <typename T, typename C>
  ISTX static void Map(int64_t o, C* accX, C* accT, const T* og, const T* x, const T* rois, const T* trans, DpGeom g) {
    const DpBin<C> bin = dpBinAt(o, rois, trans, g);
    if (!bin.valid) return;
    int64_t n = 0;  // the forward's count, recomputed
    for (int64_t ih = 0; ih < g.S; ++ih)
      for (int64_t iw = 0; iw < g.S; ++iw) {
        int64_t x0, x1, y0, y1;
        C dx, dy;
        if (dpSample(bin.w0 + static_cast<C>(iw) * bin.stepW, bin.h0 + static_cast<C>(ih) * bin.stepH, g.H, g.W, &x0,
                     &x1, &y0, &y1, &dx, &dy))
          ++n;
      }
    if (n == 0) return;
    const C d = static_cast<C>(og[o]) / static_cast<C>(n);
    const T* plane = x + bin.plane;
    C* gplane = accX + bin.plane;
    const C ts = static_cast<C>(g.transStd);
    C tx = C(0), ty = C(0);
    for (int64_t ih = 0; ih < g.S; ++ih)
      for (int64_t iw = 0; iw < g.S; ++iw) {
        int64_t x0, x1, y0, y1;
        C dx, dy;
        if (!dpSample(bin.w0 + static_cast<C>(iw) * bin.stepW, bin.h0 + static_cast<C>(ih) * bin.stepH, g.H, g.W,
                      &x0, &x1, &y0, &y1, &dx, &dy))
          continue;
        deviceAtomicAdd(gplane + y0 * g.W + x0, (C(1) - dx) * (C(1) - dy) * d);
        deviceAtomicAdd(gplane + y1 * g.W + x0, (C(1) - dx) * dy * d);
        deviceAtomicAdd(gplane + y0 * g.W + x1, dx * (C(1) - dy) * d);
        deviceAtomicAdd(gplane + y1 * g.W + x1, dx * dy * d);
        if (g.noTrans) continue;
        const C u00 = static_cast<C>(plane[y0 * g.W + x0]), u01 = static_cast<C>(plane[y1 * g.W + x0]);
        const C u10 = static_cast<C>(plane[y0 * g.W + x1]), u11 = static_cast<C>(plane[y1 * g.W + x1]);
        tx += (u11 * dy + u10 * (C(1) - dy) - u01 * dy - u00 * (C(1) - dy)) * ts * d * bin.roiW;
        ty += (u11 * dx + u01 * (C(1) - dx) - u10 * dx - u00 * (C(1) - dx)) * ts * d * bin.roiH;
      }
    if (g.noTrans) return;
    deviceAtomicAdd(accT + bin.transAt, tx);
    deviceAtomicAdd(accT + bin.transAt + g.Q * g.Q, ty);
  }
};

// A per-side bound on samples per bin, so an absurd sample_per_part cannot hang the kernel (MXNet has none).
constexpr int kMaxSamplePerPart = 4096;

inline DpGeom dpGeom(const DeformablePSROIPoolingParam& p, const Shape& data, const Shape& out, const Shape* trans) {
  const int64_t G = p.group_size;
  return DpGeom{data[0], data[1], data[2], data[3], out[1], out[2], G, partOf(p), p.sample_per_part,
                trans ? (*trans)[1] / 2 : 1, p.spatial_scale, p.trans_std, p.no_trans};
}

// Inputs (data, rois[, trans]); outputs (output, top_count).
template <typename Dev>
void dpForwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (out[0].size() == 0 || (req[0] == OpReq::kNull && (out.size() < 2 || req[1] == OpReq::kNull))) return;
  const auto& p = attrs.get<DeformablePSROIPoolingParam>();
  const DpGeom g = dpGeom(p, in[0].shape, out[0].shape, p.no_trans ? nullptr : &in[2].shape);
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kOp, {
    // top_count is always written whole (it is a hidden output of plain counts).
    T* cnt = out.size() > 1 && req[1] != OpReq::kNull ? out[1].data<T>() : nullptr;
    TempSpace<Dev> scratch(ctx.run.stream, req[0] == OpReq::kNull ? static_cast<size_t>(out[0].size()) * sizeof(T) : 1);
    T* y = req[0] == OpReq::kNull ? scratch.template as<T>() : out[0].data<T>();
    DeviceKernel<DpForwardMap, Dev>::launch(ctx.run.stream, out[0].size(), 64, y, cnt, in[0].data<T>(),
                                            in[1].data<T>(), p.no_trans ? static_cast<const T*>(nullptr) : in[2].data<T>(),
                                            g, req[0] == OpReq::kAddTo);
  });
}

// Inputs (ograd, data, rois[, trans]); outputs (d data[, d trans]).
template <typename Dev>
void dpBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<DeformablePSROIPoolingParam>();
  const bool wantX = req[0] != OpReq::kNull, wantT = !p.no_trans && out.size() > 1 && req[1] != OpReq::kNull;
  if (!wantX && !wantT) return;
  const DpGeom g = dpGeom(p, in[1].shape, in[0].shape, p.no_trans ? nullptr : &in[3].shape);
  void* s = ctx.run.stream;
  const int64_t nx = in[1].size(), nt = p.no_trans ? 0 : in[3].size();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kBack, {
    using C = typename ComputeType<T>::type;
    ScratchLayout lay;
    const size_t offX = lay.add<C>(nx), offT = lay.add<C>(nt);
    TempSpace<Dev> tmp(s, lay.bytes());
    C* accX = ScratchLayout::at<C>(tmp.get(), offX);
    C* accT = ScratchLayout::at<C>(tmp.get(), offT);
    if (nx > 0) DeviceMem<Dev>::zero(s, accX, static_cast<size_t>(nx) * sizeof(C));
    if (nt > 0) DeviceMem<Dev>::zero(s, accT, static_cast<size_t>(nt) * sizeof(C));
    if (nx > 0)
      DeviceKernel<DpScatterMap, Dev>::launch(s, in[0].size(), 64, accX, accT, in[0].data<T>(), in[1].data<T>(),
                                              in[2].data<T>(), p.no_trans ? static_cast<const T*>(nullptr) : in[3].data<T>(),
                                              g);
    if (wantX && nx > 0)
      DeviceKernel<ScatteredGradMap, Dev>::launch(s, nx, 2, out[0].data<T>(), static_cast<const C*>(accX),
                                             req[0] == OpReq::kAddTo);
    if (wantT && nt > 0)
      DeviceKernel<ScatteredGradMap, Dev>::launch(s, nt, 2, out[1].data<T>(), static_cast<const C*>(accT),
                                             req[1] == OpReq::kAddTo);
  });
}

}  // namespace dpsroi
}  // namespace ist
