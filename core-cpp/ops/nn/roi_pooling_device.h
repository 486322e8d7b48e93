// Device-generic (kernels/device.h) ROIPooling and _backward_ROIPooling, attached in
// roi_pooling.cu, with roi_pooling.cc's window arithmetic (roi_pooling_params.h).
//
// Forward: one Map call per ROI computes its box, then one per output element max-pools its bin.
// Backward is gather-style, so it is deterministic and needs no atomics: one Map call per data
// element sums the gradients of the outputs whose argmax names it, visiting only the bins that
// contain it, in output order (the order in which the CPU adds them, with the same rounding).
// An argmax made by hand may name an element outside its bin, which that search would miss; a
// check counts such entries, and when there are any, one Map call per channel adds that channel's
// gradients in the CPU's order instead. Both kernels are always launched and read the count on
// the device (one of them returns at once), so the stream never waits for the host.
#pragma once
#include <cstdint>
#include <vector>
#include "kernels/device.h"
#include "op/registry.h"
#include "ops/nn/roi_pooling_params.h"

namespace ist {
namespace roiop {

inline RoiGeom roiGeom(const ROIPoolingParam& p, const Shape& data) {
  return RoiGeom{data[0], data[1], data[2], data[3], p.pooled_size[0], p.pooled_size[1]};
}

struct RoiBoxMap {
  template <typename T>
  ISTX static void Map(int64_t r, RoiBox* boxes, const T* rois, float scale, RoiGeom g) {
    boxes[r] = roiBoxAt(rois + r * 5, scale, g);
  }
};

// Output o = ((r * Ch + c) * PH + ph) * PW + pw.
struct RoiForwardMap {
  template <typename T>
  ISTX static void Map(int64_t o, T* y, int64_t* arg, const T* x, const RoiBox* boxes, RoiGeom g, bool writeY,
                       bool addY, bool writeArg) {
    using C = typename ComputeType<T>::type;
    const int64_t pw = o % g.PW, ph = (o / g.PW) % g.PH, plane = o / (g.PH * g.PW);
    int64_t where;
    const C best = roiBinMax(x, boxes[plane / g.Ch], plane % g.Ch, ph, pw, g, &where);
    if (writeY) y[o] = addY ? T(static_cast<C>(y[o]) + best) : T(best);
    if (writeArg) arg[o] = where;
  }
};

template <typename C>
ISTX bool inBin(const RoiBox& b, int64_t ph, int64_t pw, int64_t h, int64_t w, const RoiGeom& g) {
  int64_t hs, he, ws, we;
  binRange<C>(ph, b.binH, b.h0, g.H, &hs, &he);
  binRange<C>(pw, b.binW, b.w0, g.W, &ws, &we);
  return h >= hs && h < he && w >= ws && w < we;
}

// offBin[0] += 1 for each argmax entry that the CPU adds at (inside the data, in the output's
// channel) but that lies outside the output's bin in its ROI's image, where the gather looks.
struct RoiArgCheckMap {
  template <typename T>
  ISTX static void Map(int64_t o, double* offBin, const int64_t* arg, const RoiBox* boxes, RoiGeom g, int64_t total,
                       const T* /*og: names the compute type*/) {
    using C = typename ComputeType<T>::type;
    const int64_t pw = o % g.PW, ph = (o / g.PW) % g.PH, plane = o / (g.PH * g.PW);
    const int64_t at = arg[o], HW = g.H * g.W;
    if (at < 0 || at >= total || (at / HW) % g.Ch != plane % g.Ch) return;  // skipped on the CPU too
    const RoiBox& b = boxes[plane / g.Ch];
    const int64_t hw = at % HW;
    if (at / (HW * g.Ch) != b.batch || !inBin<C>(b, ph, pw, hw / g.W, hw % g.W, g)) deviceAtomicAdd(offBin, 1.0);
  }
};

// gx[j] (=|+=) the sum of og[o] over outputs o whose argmax is j, in output order.
struct RoiGatherMap {
  template <typename T>
  ISTX static void Map(int64_t j, T* gx, const T* og, const int64_t* arg, const RoiBox* boxes, const double* offBin,
                       RoiGeom g, int64_t R, bool add) {
    using C = typename ComputeType<T>::type;
    if (*offBin != 0) return;
    const int64_t w = j % g.W, h = (j / g.W) % g.H, c = (j / (g.H * g.W)) % g.Ch, n = j / (g.H * g.W * g.Ch);
    T acc = add ? gx[j] : T(0);
    for (int64_t r = 0; r < R; ++r) {
      const RoiBox b = boxes[r];
      if (b.batch != n) continue;
      // Bins only move forward, so their union spans [start of the first, end of the last).
      int64_t lo, hi, unused;
      binRange<C>(0, b.binH, b.h0, g.H, &lo, &unused);
      binRange<C>(g.PH - 1, b.binH, b.h0, g.H, &unused, &hi);
      if (h < lo || h >= hi) continue;
      binRange<C>(0, b.binW, b.w0, g.W, &lo, &unused);
      binRange<C>(g.PW - 1, b.binW, b.w0, g.W, &unused, &hi);
      if (w < lo || w >= hi) continue;
      for (int64_t ph = 0; ph < g.PH; ++ph) {
        int64_t hs, he;
        binRange<C>(ph, b.binH, b.h0, g.H, &hs, &he);
        if (hs > h) break;  // later bins start further on
        if (h >= he) continue;
        for (int64_t pw = 0; pw < g.PW; ++pw) {
          int64_t ws, we;
          binRange<C>(pw, b.binW, b.w0, g.W, &ws, &we);
          if (ws > w) break;
          if (w >= we) continue;
          const int64_t o = ((r * g.Ch + c) * g.PH + ph) * g.PW + pw;
          if (arg[o] == j) acc = T(static_cast<C>(acc) + static_cast<C>(og[o]));
        }
      }
    }
    gx[j] = acc;
  }
};

// The CPU's loop for channel c (used only when some argmax entry lies outside its bin).
struct RoiChannelScatterMap {
  template <typename T>
  ISTX static void Map(int64_t c, T* gx, const T* og, const int64_t* arg, const double* offBin, RoiGeom g, int64_t R,
                       bool add) {
    using C = typename ComputeType<T>::type;
    if (*offBin == 0) return;
    const int64_t HW = g.H * g.W, P = g.PH * g.PW, total = g.N * g.Ch * HW;
    if (!add)
      for (int64_t n = 0; n < g.N; ++n)
        for (int64_t k = 0; k < HW; ++k) gx[(n * g.Ch + c) * HW + k] = T(0);
    for (int64_t r = 0; r < R; ++r)
      for (int64_t i = 0; i < P; ++i) {
        const int64_t o = (r * g.Ch + c) * P + i, at = arg[o];
        if (at < 0 || at >= total || (at / HW) % g.Ch != c) continue;
        gx[at] = T(static_cast<C>(gx[at]) + static_cast<C>(og[o]));
      }
  }
};

// Device scratch: the ROI boxes, then (backward) the count of argmax entries outside their bins.
template <typename Dev>
struct RoiScratch {
  TempSpace<Dev> mem;
  explicit RoiScratch(void* s, int64_t R) : mem(s, static_cast<size_t>(R) * sizeof(RoiBox) + sizeof(double)) {}
  RoiBox* boxes() const { return mem.template as<RoiBox>(); }
  double* offBin(int64_t R) const { return reinterpret_cast<double*>(boxes() + R); }
};

template <typename Dev>
void roiForwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull && req[1] == OpReq::kNull) return;
  const auto& p = attrs.get<ROIPoolingParam>();
  const RoiGeom g = roiGeom(p, in[0].shape);
  const int64_t R = in[1].shape[0], n = out[0].size();
  if (n == 0) return;
  void* s = ctx.run.stream;
  RoiScratch<Dev> tmp(s, R);
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kOp, {
    DeviceKernel<RoiBoxMap, Dev>::launch(s, R, 20, tmp.boxes(), in[1].data<T>(), p.spatial_scale, g);
    DeviceKernel<RoiForwardMap, Dev>::launch(s, n, 8, out[0].data<T>(), out[1].data<int64_t>(), in[0].data<T>(),
                                             static_cast<const RoiBox*>(tmp.boxes()), g, req[0] != OpReq::kNull,
                                             req[0] == OpReq::kAddTo, req[1] != OpReq::kNull);
  });
}

// Inputs: ograd, data (for its shape), rois, argmax.
template <typename Dev>
void roiBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<ROIPoolingParam>();
  const RoiGeom g = roiGeom(p, out[0].shape);
  const int64_t R = in[0].shape[0], total = out[0].size(), outputs = in[0].size();
  if (total == 0) return;
  const bool add = req[0] == OpReq::kAddTo;
  void* s = ctx.run.stream;
  RoiScratch<Dev> tmp(s, R);
  double* offBin = tmp.offBin(R);
  const RoiBox* boxes = tmp.boxes();
  const int64_t* arg = in[3].data<int64_t>();
  DeviceMem<Dev>::zero(s, offBin, sizeof(double));
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kBack, {
    const T* og = in[0].data<T>();
    T* gx = out[0].data<T>();
    DeviceKernel<RoiBoxMap, Dev>::launch(s, R, 20, tmp.boxes(), in[2].data<T>(), p.spatial_scale, g);
    DeviceKernel<RoiArgCheckMap, Dev>::launch(s, outputs, 8, offBin, arg, boxes, g, total, og);
    DeviceKernel<RoiGatherMap, Dev>::launch(s, total, R * 4, gx, og, arg, boxes,
                                            static_cast<const double*>(offBin), g, R, add);
    DeviceKernel<RoiChannelScatterMap, Dev>::launch(s, g.Ch, 1, gx, og, arg, static_cast<const double*>(offBin), g,
                                                    R, add);
  });
}

}  // namespace roiop
}  // namespace ist
