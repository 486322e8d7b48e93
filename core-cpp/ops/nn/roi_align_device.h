// _contrib_ROIAlign's parameters, MXNet 1.9's sampling arithmetic (Caffe2/Detectron's ROIAlign) and
// the device-generic computes of the forward and of the gradient to data, shared by roi_align.cc
// (CPU) and roi_align.cu (GPU, CPU twin).
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
namespace roialign {

constexpr const char* kOp = "_contrib_ROIAlign";
constexpr const char* kBack = "_backward_ROIAlign";

struct ROIAlignParam {
  Shape pooled_size;
  float spatial_scale = 1;
  int sample_ratio = -1;
  bool position_sensitive = false;
  bool aligned = false;
  static void declare(ParamDecl<ROIAlignParam>& d) {
    d.field("pooled_size", &ROIAlignParam::pooled_size)
        .doc("ROI Align output roi feature map height and width: (h, w)");
    d.field("spatial_scale", &ROIAlignParam::spatial_scale).range(0.0, 1.0)
        .doc("Ratio of input feature map height (or w) to raw image height (or w). Equals the reciprocal of total "
             "stride in convolutional layers");
    d.field("sample_ratio", &ROIAlignParam::sample_ratio).setDefault(-1)
        .doc("Optional sampling ratio of ROI align, using adaptive size by default.");
    d.field("position_sensitive", &ROIAlignParam::position_sensitive).setDefault(false)
        .doc("Whether to perform position-sensitive RoI pooling. PSRoIPooling is first proposaled by R-FCN and it "
             "can reduce the input channels by ph*pw times, where (ph, pw) is the pooled_size");
    d.field("aligned", &ROIAlignParam::aligned).setDefault(false)
        .doc("Center-aligned ROIAlign introduced in Detectron2. To enable, set aligned to True.");
  }
};

// Data (N, Cin, H, W); output (R, C, PH, PW) with C = Cin, or Cin / (PH * PW) when position-sensitive.
struct RaGeom {
  int64_t N, Cin, H, W, C, PH, PW;
  float scale;
  int sampleRatio;
  bool ps, aligned;
};

// Sampling of one ROI: start corner, bin size, samples per bin side; valid false for an ROI that
// gives zeros (batch index outside the data, non-finite corners, no samples or absurdly many).
template <typename C>
struct RaBox {
  bool valid;
  int64_t batch;
  C y0, x0, binH, binW;
  int64_t gh, gw;
};

// A per-side bound on samples per bin, so an absurd box cannot hang the kernel (MXNet has none).
constexpr double kMaxSamplesPerBin = 16777216.0;

template <typename T>
ISTX RaBox<typename ComputeType<T>::type> raBoxAt(const T* row, const RaGeom& g) {
  using C = typename ComputeType<T>::type;
  RaBox<C> b{false, 0, C(0), C(0), C(1), C(1), 1, 1};
  C r[5];
  for (int k = 0; k < 5; ++k) {
    r[k] = static_cast<C>(row[k]);
    if (!(math::fabs(r[k]) < C(1e30))) return b;  // inf or NaN
  }
  const C bi = math::trunc(r[0]);  // MXNet casts to int
  if (bi < C(0) || bi >= static_cast<C>(g.N)) return b;
  const C s = static_cast<C>(g.scale), off = g.aligned ? C(0.5) : C(0);
  const C x0 = r[1] * s - off, y0 = r[2] * s - off, x1 = r[3] * s - off, y1 = r[4] * s - off;
  C rw = x1 - x0, rh = y1 - y0;
  if (!g.aligned) {  // malformed ROIs grow to 1x1
    rw = rw > C(1) ? rw : C(1);
    rh = rh > C(1) ? rh : C(1);
  }
  b.binH = rh / static_cast<C>(g.PH);
  b.binW = rw / static_cast<C>(g.PW);
  const double gh = g.sampleRatio > 0 ? g.sampleRatio : math::ceil(static_cast<double>(rh / static_cast<C>(g.PH)));
  const double gw = g.sampleRatio > 0 ? g.sampleRatio : math::ceil(static_cast<double>(rw / static_cast<C>(g.PW)));
  if (!(gh >= 1 && gw >= 1 && gh * gw <= kMaxSamplesPerBin)) return b;
  b.valid = true;
  b.batch = static_cast<int64_t>(bi);
  b.y0 = y0;
  b.x0 = x0;
  b.gh = static_cast<int64_t>(gh);
  b.gw = static_cast<int64_t>(gw);
  return b;
}

// Bilinear taps of sample (y, x) in an H x W plane; false when it lies outside [-1, H] x [-1, W].
template <typename C>
ISTX bool raTaps(C y, C x, int64_t H, int64_t W, int64_t* pos, C* wt) {
  if (y < C(-1) || y > static_cast<C>(H) || x < C(-1) || x > static_cast<C>(W)) return false;
  if (y <= C(0)) y = C(0);
  if (x <= C(0)) x = C(0);
  int64_t yl = static_cast<int64_t>(y), xl = static_cast<int64_t>(x), yh, xh;
  if (yl >= H - 1) {
    yh = yl = H - 1;
    y = static_cast<C>(yl);
  } else {
    yh = yl + 1;
  }
  if (xl >= W - 1) {
    xh = xl = W - 1;
    x = static_cast<C>(xl);
  } else {
    xh = xl + 1;
  }
  const C ly = y - static_cast<C>(yl), lx = x - static_cast<C>(xl), hy = C(1) - ly, hx = C(1) - lx;
  pos[0] = yl * W + xl;
  pos[1] = yl * W + xh;
  pos[2] = yh * W + xl;
  pos[3] = yh * W + xh;
  wt[0] = hy * hx;
  wt[1] = hy * lx;
  wt[2] = ly * hx;
  wt[3] = ly * lx;
  return true;
}

// The data plane that output (c, ph, pw) of a box reads.
ISTX int64_t raPlane(const RaGeom& g, int64_t batch, int64_t c, int64_t ph, int64_t pw) {
  const int64_t cu = g.ps ? (c * g.PH + ph) * g.PW + pw : c;
  return (batch * g.Cin + cu) * g.H * g.W;
}

// Output o = ((r * C + c) * PH + ph) * PW + pw: the mean of its bin's bilinear samples.
struct RaForwardMap {
  template <typename T>
  ISTX static void Map(int64_t o, T* y, const T* x, const T* rois, RaGeom g, bool add) {
    using C = typename ComputeType<T>::type;
    const int64_t pw = o % g.PW, ph = (o / g.PW) % g.PH, c = (o / (g.PW * g.PH)) % g.C, r = o / (g.PW * g.PH * g.C);
    const RaBox<C> b = raBoxAt(rois + r * 5, g);
    C v = C(0);
    if (b.valid) {
      const T* plane = x + raPlane(g, b.batch, c, ph, pw);
      for (int64_t iy = 0; iy < b.gh; ++iy) {
        const C yy = b.y0 + static_cast<C>(ph) * b.binH +
                     (static_cast<C>(iy) + C(0.5)) * b.binH / static_cast<C>(b.gh);
        for (int64_t ix = 0; ix < b.gw; ++ix) {
          const C xx = b.x0 + static_cast<C>(pw) * b.binW +
                       (static_cast<C>(ix) + C(0.5)) * b.binW / static_cast<C>(b.gw);
          int64_t pos[4];
          C wt[4];
          if (!raTaps(yy, xx, g.H, g.W, pos, wt)) continue;
          v += wt[0] * static_cast<C>(plane[pos[0]]) + wt[1] * static_cast<C>(plane[pos[1]]) +
               wt[2] * static_cast<C>(plane[pos[2]]) + wt[3] * static_cast<C>(plane[pos[3]]);
        }
      }
      v /= static_cast<C>(b.gh * b.gw);
    }
    y[o] = add ? T(static_cast<C>(y[o]) + v) : T(v);
  }
};

// Output o's gradient, spread over its samples' taps in acc (compute type, one per data element).
struct RaScatterMap {
  template <typename T, typename C>
  ISTX static void Map(int64_t o, C* acc, const T* og, const T* rois, RaGeom g) {
    const int64_t pw = o % g.PW, ph = (o / g.PW) % g.PH, c = (o / (g.PW * g.PH)) % g.C, r = o / (g.PW * g.PH * g.C);
    const RaBox<C> b = raBoxAt(rois + r * 5, g);
    if (!b.valid) return;
    const C go = static_cast<C>(og[o]) / static_cast<C>(b.gh * b.gw);
    C* plane = acc + raPlane(g, b.batch, c, ph, pw);
    for (int64_t iy = 0; iy < b.gh; ++iy) {
      const C yy = b.y0 + static_cast<C>(ph) * b.binH + (static_cast<C>(iy) + C(0.5)) * b.binH / static_cast<C>(b.gh);
      for (int64_t ix = 0; ix < b.gw; ++ix) {
        const C xx = b.x0 + static_cast<C>(pw) * b.binW +
                     (static_cast<C>(ix) + C(0.5)) * b.binW / static_cast<C>(b.gw);
        int64_t pos[4];
        C wt[4];
        if (!raTaps(yy, xx, g.H, g.W, pos, wt)) continue;
        for (int k = 0; k < 4; ++k) deviceAtomicAdd(plane + pos[k], go * wt[k]);
      }
    }
  }
};

inline RaGeom raGeom(const ROIAlignParam& p, const Shape& data, const Shape& out) {
  return RaGeom{data[0], data[1], data[2], data[3], out[1], out[2], out[3], p.spatial_scale, p.sample_ratio,
                p.position_sensitive, p.aligned};
}

// Inputs (data, rois).
template <typename Dev>
void raForwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const RaGeom g = raGeom(attrs.get<ROIAlignParam>(), in[0].shape, out[0].shape);
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kOp, {
    DeviceKernel<RaForwardMap, Dev>::launch(ctx.run.stream, out[0].size(), 64, out[0].data<T>(), in[0].data<T>(),
                                            in[1].data<T>(), g, req[0] == OpReq::kAddTo);
  });
}

// Inputs (ograd, data, rois); output d data.
template <typename Dev>
void raBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const RaGeom g = raGeom(attrs.get<ROIAlignParam>(), out[0].shape, in[0].shape);
  roiScatterBackward<RaScatterMap, Dev>(kBack, ctx, in, req, out, g);
}

}  // namespace roialign
}  // namespace ist
