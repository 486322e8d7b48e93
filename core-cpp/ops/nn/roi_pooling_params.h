// ROIPooling's parameters and the ROI window arithmetic (MXNet's rounding) that its CPU compute
// (roi_pooling.cc) and its device-generic compute (roi_pooling_device.h) share, callable in Map.
#pragma once
#include <cfloat>
#include <cstdint>
#include "base/dtype.h"
#include "base/macros.h"
#include "base/shape.h"
#include "op/params.h"
#include "ops/elemwise/functors.h"

namespace ist {
namespace roiop {

constexpr const char* kOp = "ROIPooling";
constexpr const char* kBack = "_backward_ROIPooling";

struct ROIPoolingParam {
  Shape pooled_size;
  float spatial_scale = 1;
  static void declare(ParamDecl<ROIPoolingParam>& d) {
    d.field("pooled_size", &ROIPoolingParam::pooled_size).doc("ROI pooling output shape (h,w) ");
    d.field("spatial_scale", &ROIPoolingParam::spatial_scale).range(0.0, 1.0)
        .doc("Ratio of input feature map height (or w) to raw image height (or w). Equals the reciprocal of total "
             "stride in convolutional layers");
  }
};

// Sizes of data (N, Ch, H, W) and of the pooled grid (PH, PW).
struct RoiGeom {
  int64_t N, Ch, H, W, PH, PW;
};

// The pooling window of one ROI, in data pixels.
struct RoiBox {
  int64_t batch = -1;  // -1: index outside the data
  int64_t h0 = 0, w0 = 0;
  double binH = 1, binW = 1;
};

ISTX int64_t clampTo(int64_t v, int64_t size) { return v < 0 ? 0 : (v > size ? size : v); }

// Coordinates that round and convert to int64 safely (false for inf and NaN too).
ISTX bool finiteCoords(double v) { return math::fabs(v) < 9.0e15; }

// The box of ROI row [batch_index, x1, y1, x2, y2], with MXNet's arithmetic in the input's compute
// type (float for float32/16, double for float64); non-finite rows give an empty box.
template <typename T>
ISTX RoiBox roiBoxAt(const T* row, float scale, const RoiGeom& g) {
  using C = typename ComputeType<T>::type;
  C roi[5];
  bool ok = true;
  for (int k = 0; k < 5; ++k) {
    roi[k] = static_cast<C>(row[k]);
    ok = ok && finiteCoords(static_cast<double>(roi[k]) * (k ? scale : 1.0f));
  }
  RoiBox b;
  if (!ok) return b;
  const C s = static_cast<C>(scale);
  const int64_t x1 = static_cast<int64_t>(math::round(roi[1] * s)), y1 = static_cast<int64_t>(math::round(roi[2] * s));
  const int64_t x2 = static_cast<int64_t>(math::round(roi[3] * s)), y2 = static_cast<int64_t>(math::round(roi[4] * s));
  const C bi = math::trunc(roi[0]);  // MXNet casts to int: -0.5 is image 0
  if (bi >= C(0) && bi < static_cast<C>(g.N)) b.batch = static_cast<int64_t>(bi);
  b.h0 = y1;
  b.w0 = x1;
  const int64_t rh = y2 - y1 + 1 > 1 ? y2 - y1 + 1 : 1, rw = x2 - x1 + 1 > 1 ? x2 - x1 + 1 : 1;
  b.binH = static_cast<double>(static_cast<C>(rh) / static_cast<C>(g.PH));
  b.binW = static_cast<double>(static_cast<C>(rw) / static_cast<C>(g.PW));
  return b;
}

// [start, end) of bin i along a side of `size` pixels from `origin`, clipped.
template <typename C>
ISTX void binRange(int64_t i, double bin, int64_t origin, int64_t size, int64_t* s, int64_t* e) {
  const C b = static_cast<C>(bin);
  const int64_t lo = static_cast<int64_t>(math::floor(static_cast<C>(i) * b));
  const int64_t hi = static_cast<int64_t>(math::ceil(static_cast<C>(i + 1) * b));
  *s = clampTo(lo + origin, size);
  *e = clampTo(hi + origin, size);
}

// Max over bin (ph, pw) of channel c of ROI box b: 0 for an empty bin or a missing image. *where
// gets the flat data index of the first maximum, -1 for none (also when every value is NaN).
template <typename T>
ISTX typename ComputeType<T>::type roiBinMax(const T* x, const RoiBox& b, int64_t c, int64_t ph, int64_t pw,
                                             const RoiGeom& g, int64_t* where) {
  using C = typename ComputeType<T>::type;
  int64_t hs, he, ws, we;
  binRange<C>(ph, b.binH, b.h0, g.H, &hs, &he);
  binRange<C>(pw, b.binW, b.w0, g.W, &ws, &we);
  *where = -1;
  if (b.batch < 0 || he <= hs || we <= ws) return C(0);
  const int64_t plane = (b.batch * g.Ch + c) * g.H * g.W;
  C best = -FLT_MAX;
  for (int64_t h = hs; h < he; ++h)
    for (int64_t w = ws; w < we; ++w) {
      const C v = static_cast<C>(x[plane + h * g.W + w]);
      if (v > best) {
        best = v;
        *where = plane + h * g.W + w;
      }
    }
  return best;
}

}  // namespace roiop
}  // namespace ist
