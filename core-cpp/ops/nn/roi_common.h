// What the ROI ops (ROIPooling, ROIAlign, PSROIPooling, DeformablePSROIPooling) share: the check of
// their (data, rois) inputs, and gradients computed by scattering, where each output-gradient
// element adds its share into the input elements it read (atomics on a GPU), summed in the compute
// type, then written or added to the gradient.
#pragma once
#include <cstdint>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "ndarray/tblob.h"
#include "op/registry.h"

namespace ist {

// data (N, C, H, W) and rois (R, 5) rows of [batch_index, x1, y1, x2, y2]; unknown shapes pass.
inline void checkRoiInputs(const char* op, const Shape& data, const Shape& rois) {
  if (shapeIsKnown(data))
    IST_CHECK(data.size() == 4, op, "data",
              "expects a 4-D feature map (batch, channel, H, W), got shape " << shapeString(data));
  if (shapeIsKnown(rois))
    IST_CHECK(rois.size() == 2 && rois[1] == 5, op, "rois",
              "expects a 2-D array (num_rois, 5) of [batch_index, x1, y1, x2, y2] rows, got shape "
                  << shapeString(rois));
}

// gx = (gx +) acc, narrowed to T.
struct ScatteredGradMap {
  template <typename T, typename C>
  ISTX static void Map(int64_t j, T* gx, const C* acc, bool add) {
    gx[j] = add ? T(static_cast<C>(gx[j]) + acc[j]) : T(acc[j]);
  }
};

// d data of an op whose ScatterMap runs per output-gradient element as
// Map(k, acc, ograd, rois, geom): inputs (ograd, data, rois), output d data.
template <typename ScatterMap, typename Dev, typename Geom>
void roiScatterBackward(const char* op, const OpContext& ctx, const std::vector<TBlob>& in,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out, const Geom& g) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  void* s = ctx.run.stream;
  const int64_t total = out[0].size();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, op, {
    using C = typename ComputeType<T>::type;
    TempSpace<Dev> tmp(s, static_cast<size_t>(total) * sizeof(C));
    C* acc = tmp.template as<C>();
    DeviceMem<Dev>::zero(s, acc, static_cast<size_t>(total) * sizeof(C));
    DeviceKernel<ScatterMap, Dev>::launch(s, in[0].size(), 64, acc, in[0].data<T>(), in[2].data<T>(), g);
    DeviceKernel<ScatteredGradMap, Dev>::launch(s, total, 2, out[0].data<T>(), static_cast<const C*>(acc),
                                                req[0] == OpReq::kAddTo);
  });
}

}  // namespace ist
