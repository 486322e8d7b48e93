// Crop (MXNet's legacy Crop): params, the crop window (shared with crop.cc) and the device-generic
// computes of Crop and _backward_Crop, attached in crop.cu.
#pragma once
#include <cstdint>
#include <vector>
#include "base/error.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace cropdev {

struct CropParam {
  int num_args = 1;
  Shape offset{0, 0};
  Shape h_w{0, 0};
  bool center_crop = false;
  static void declare(ParamDecl<CropParam>& d) {
    d.field("num_args", &CropParam::num_args)
        .range(1, 2)
        .doc("Number of inputs for crop, if equals one, then we will use the h_w for crop height and "
             "width, else if equals two, then we will use the height and width of the second input "
             "symbol, we name crop_like here");
    d.field("offset", &CropParam::offset).setDefault(Shape{0, 0}).doc("crop offset coordinate: (y, x)");
    d.field("h_w", &CropParam::h_w).setDefault(Shape{0, 0}).doc("crop height and weight: (h, w)");
    d.field("center_crop", &CropParam::center_crop)
        .setDefault(false)
        .doc("If set to true, then it will use be the center_crop,or it will crop using the shape of "
             "crop_like");
  }
};

// data (n, c, H, W) cropped to (n, c, h, w) at rows [oy, oy + h), columns [ox, ox + w).
struct CropWindow {
  int64_t planes = 0, H = 0, W = 0, h = 0, w = 0, oy = 0, ox = 0;
};

// The window for a crop of data shape d to height h and width w; op names the caller in errors.
inline CropWindow cropWindow(const Shape& d, int64_t h, int64_t w, const CropParam& p, const char* op) {
  IST_CHECK(d.size() == 4, op, "data", "expects 4-D data (batch, channel, y, x), got shape " << shapeString(d));
  CropWindow g;
  g.planes = d[0] * d[1];
  g.H = d[2];
  g.W = d[3];
  g.h = h;
  g.w = w;
  IST_CHECK(h <= g.H && w <= g.W, op, "data",
            "cannot crop data of shape " << shapeString(d) << " to height " << h << " and width " << w);
  if (p.center_crop) {
    g.oy = (g.H - h) / 2;
    g.ox = (g.W - w) / 2;
  } else {
    IST_CHECK(p.offset.size() == 2, op, "offset", "expects (y, x), got " << shapeString(p.offset));
    IST_CHECK(p.offset[0] >= 0 && p.offset[0] <= g.H - h, op, "offset",
              "offset[0]=" << p.offset[0] << " must be in [0, " << g.H - h << "] to crop height " << h
                           << " from data of shape " << shapeString(d));
    IST_CHECK(p.offset[1] >= 0 && p.offset[1] <= g.W - w, op, "offset",
              "offset[1]=" << p.offset[1] << " must be in [0, " << g.W - w << "] to crop width " << w
                           << " from data of shape " << shapeString(d));
    g.oy = p.offset[0];
    g.ox = p.offset[1];
  }
  return g;
}

// out[i] (an element of the cropped (planes, h, w)) = data at the window's place.
struct CropMap {
  template <typename T> ISTX static void Map(int64_t i, T* y, const T* x, CropWindow g, bool add) {
    const int64_t c = i % g.w, r = (i / g.w) % g.h, pl = i / (g.w * g.h);
    dnd::putd(y + i, dnd::ldd(x[(pl * g.H + r + g.oy) * g.W + c + g.ox]), add);
  }
};

// dx[i] (an element of data's (planes, H, W)) = the output gradient inside the window, else 0.
struct CropBackwardMap {
  template <typename T> ISTX static void Map(int64_t i, T* dx, const T* og, CropWindow g, bool add) {
    const int64_t c = i % g.W - g.ox, r = (i / g.W) % g.H - g.oy, pl = i / (g.W * g.H);
    const double v = (r >= 0 && r < g.h && c >= 0 && c < g.w) ? dnd::ldd(og[(pl * g.h + r) * g.w + c]) : 0.0;
    dnd::putd(dx + i, v, add);
  }
};

template <typename Dev>
void cropDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
             const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const CropWindow g = cropWindow(in[0].shape, out[0].shape[2], out[0].shape[3], attrs.get<CropParam>(), "Crop");
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "Crop", {
    DeviceKernel<CropMap, Dev>::launch(ctx.run.stream, out[0].size(), 1, out[0].data<T>(), in[0].data<T>(), g,
                                       req[0] == OpReq::kAddTo);
  });
}

// _backward_Crop inputs: out_grad, data (for its shape). Output: the data gradient.
template <typename Dev>
void cropBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const CropWindow g =
      cropWindow(out[0].shape, in[0].shape[2], in[0].shape[3], attrs.get<CropParam>(), "_backward_Crop");
  IST_TYPE_SWITCH_FLOAT(out[0].dtype, T, "_backward_Crop", {
    DeviceKernel<CropBackwardMap, Dev>::launch(ctx.run.stream, out[0].size(), 1, out[0].data<T>(),
                                               in[0].data<T>(), g, req[0] == OpReq::kAddTo);
  });
}

}  // namespace cropdev
}  // namespace ist
