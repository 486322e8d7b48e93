// The spatial transformer ops' parameters and sampling geometry, shared by their CPU compute
// (spatial.cc) and their device-generic compute (spatial_device.h).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include "base/error.h"
#include "base/macros.h"
#include "base/shape.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/elemwise/functors.h"

namespace ist {
namespace spatialop {

constexpr const char* kGG = "GridGenerator";
constexpr const char* kGGB = "_backward_GridGenerator";
constexpr const char* kBS = "BilinearSampler";
constexpr const char* kBSB = "_backward_BilinearSampler";
constexpr const char* kST = "SpatialTransformer";

struct GridGeneratorParam {
  std::string transform_type;
  Shape target_shape;
  static void declare(ParamDecl<GridGeneratorParam>& d) {
    d.field("transform_type", &GridGeneratorParam::transform_type).values({"affine", "warp"})
        .doc("The type of transformation. For `affine`, input data should be an affine matrix of size (batch, 6). "
             "For `warp`, input data should be an optical flow of size (batch, 2, h, w).");
    d.field("target_shape", &GridGeneratorParam::target_shape).setDefault(Shape{0, 0})
        .doc("Specifies the output shape (H, W). This is required if transformation type is `affine`. If "
             "transformation type is `warp`, this parameter is ignored.");
  }
  bool affine() const { return transform_type == "affine"; }
};

struct BilinearSamplerParam {
  std::optional<bool> cudnn_off;
  static void declare(ParamDecl<BilinearSamplerParam>& d) {
    d.field("cudnn_off", &BilinearSamplerParam::cudnn_off).setDefault(std::nullopt)
        .doc("whether to turn cudnn off (accepted for MXNet compatibility; there is no cuDNN path)");
  }
};

struct SpatialTransformerParam {
  Shape target_shape;
  std::string transform_type, sampler_type;
  std::optional<bool> cudnn_off;
  static void declare(ParamDecl<SpatialTransformerParam>& d) {
    d.field("target_shape", &SpatialTransformerParam::target_shape).setDefault(Shape{0, 0})
        .doc("output shape(h, w) of spatial transformer: (y, x)");
    d.field("transform_type", &SpatialTransformerParam::transform_type).values({"affine"})
        .doc("transformation type");
    d.field("sampler_type", &SpatialTransformerParam::sampler_type).values({"bilinear"}).doc("sampling type");
    d.field("cudnn_off", &SpatialTransformerParam::cudnn_off).setDefault(std::nullopt)
        .doc("whether to turn cudnn off (accepted for MXNet compatibility; there is no cuDNN path)");
  }
};

// target_shape must be (H, W) with both positive (affine grids).
inline void checkTarget(const Shape& t, const char* op) {
  IST_CHECK(t.size() == 2 && t[0] > 0 && t[1] > 0, op, "target_shape",
            "must be (H, W) with H, W > 0 for an affine transform, got " << shapeString(t));
}

// Normalized target coordinate of index i along a side of n pixels (MXNet: NaN when n == 1).
ISTX double targetCoord(int64_t i, int64_t n) {
  return -1.0 + static_cast<double>(i) * (2.0 / static_cast<double>(n - 1));
}

// The four taps of one bilinear sample: top-left corner, weights of the top row / left column,
// and which corners lie inside the image.
template <typename T> struct Taps {
  int64_t y0 = 0, x0 = 0;
  T wy = 0, wx = 0;  // MXNet's top_left_y_w, top_left_x_w
  bool tl = false, tr = false, bl = false, br = false;
};

template <typename T> ISTX Taps<T> tapsAt(T gx, T gy, int64_t H, int64_t W) {
  Taps<T> t;
  const T yr = (gy + T(1)) * static_cast<T>(H - 1) / T(2);
  const T xr = (gx + T(1)) * static_cast<T>(W - 1) / T(2);
  const T fy = math::floor(yr), fx = math::floor(xr);
  t.wy = T(1) - (yr - fy);
  t.wx = T(1) - (xr - fx);
  // Compare as floating point first: huge, infinite or NaN coordinates never become indices.
  const bool y0in = fy >= T(0) && fy <= static_cast<T>(H - 1), y1in = fy >= T(-1) && fy <= static_cast<T>(H - 2);
  const bool x0in = fx >= T(0) && fx <= static_cast<T>(W - 1), x1in = fx >= T(-1) && fx <= static_cast<T>(W - 2);
  if (y0in || y1in) t.y0 = static_cast<int64_t>(fy);
  if (x0in || x1in) t.x0 = static_cast<int64_t>(fx);
  t.tl = y0in && x0in;
  t.tr = y0in && x1in;
  t.bl = y1in && x0in;
  t.br = y1in && x1in;
  return t;
}

// d grid at (n, o) (=|+=) the channel sum of d out / d (x, y); k over (n, o). Shared by the CPU
// kernel (spatial.cc) and the device one (spatial_device.h).
struct SampleGridGradMap {
  template <typename T>
  ISTX static void Map(int64_t k, T* ggrid, const T* og, const T* data, const T* grid, int64_t C, int64_t H,
                       int64_t W, int64_t OS, bool add) {
    const int64_t n = k / OS, o = k % OS;
    const T* gx = grid + n * 2 * OS;
    const Taps<T> t = tapsAt(gx[o], gx[OS + o], H, W);
    const int64_t at = t.y0 * W + t.x0;
    T dy = 0, dx = 0;  // d out / d (top-left weights), summed over channels
    for (int64_t c = 0; c < C; ++c) {
      const T* img = data + (n * C + c) * H * W;
      const T vtl = t.tl ? img[at] : T(0), vtr = t.tr ? img[at + 1] : T(0);
      const T vbl = t.bl ? img[at + W] : T(0), vbr = t.br ? img[at + W + 1] : T(0);
      const T g = og[(n * C + c) * OS + o];
      const T cross = vtl - vtr - vbl + vbr;
      dy -= g * (vtr - vbr + cross * t.wx);
      dx -= g * (vbl - vbr + cross * t.wy);
    }
    // x_src = (x + 1) (W - 1) / 2, and the top-left weight falls as x_src grows.
    const T vx = dx * static_cast<T>(W - 1) / T(2), vy = dy * static_cast<T>(H - 1) / T(2);
    T* gg = ggrid + n * 2 * OS + o;
    gg[0] = add ? gg[0] + vx : vx;
    gg[OS] = add ? gg[OS] + vy : vy;
  }
};

}  // namespace spatialop
}  // namespace ist
