// _contrib_MultiBoxPrior: its parameters and shape rule (shared with multibox_prior.cc) and the
// device-generic compute (GPU kernel and CPU twin, attached in multibox_prior.cu).
//
// As MXNet 1.9's MultiBoxPriorForward: for each feature-map cell (row r, column c; rows outer), the
// anchors are every size with ratios[0], then ratios[1:] with sizes[0]; centre
// ((c + offsets[1]) * step_x, (r + offsets[0]) * step_y), half width size * H / W * sqrt(ratio) / 2,
// half height size / sqrt(ratio) / 2, all in float arithmetic; steps <= 0 mean 1/H and 1/W. clip
// clamps the stored corners to [0, 1].
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/contrib/multibox_params.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace mboxprior {

constexpr const char* kOp = "_contrib_MultiBoxPrior";

struct MultiBoxPriorParam {
  FloatTuple sizes, ratios, steps, offsets;
  bool clip = false;
  static void declare(ParamDecl<MultiBoxPriorParam>& d) {
    d.field("sizes", &MultiBoxPriorParam::sizes).setDefault(FloatTuple{{1.0}})
        .doc("List of sizes of generated MultiBoxPriores.");
    d.field("ratios", &MultiBoxPriorParam::ratios).setDefault(FloatTuple{{1.0}})
        .doc("List of aspect ratios of generated MultiBoxPriores.");
    d.field("clip", &MultiBoxPriorParam::clip).setDefault(false).doc("Whether to clip out-of-boundary boxes.");
    d.field("steps", &MultiBoxPriorParam::steps).setDefault(FloatTuple{{-1.0, -1.0}})
        .doc("Priorbox step across y and x, -1 for auto calculation.");
    d.field("offsets", &MultiBoxPriorParam::offsets).setDefault(FloatTuple{{0.5, 0.5}})
        .doc("Priorbox center offsets, y and x respectively");
  }
};

// MXNet's shape and parameter checks; returns the output shape (1, H * W * num_anchors, 4).
inline Shape priorShape(const Shape& s, const MultiBoxPriorParam& p) {
  IST_CHECK(s.size() >= 4, kOp, "data",
            "data must have at least 4 dimensions (batch, channel, height, width), got shape " << shapeString(s));
  IST_CHECK(s[2] > 0 && s[3] > 0, kOp, "data",
            "data's height and width (dimensions 2 and 3) must be > 0, got shape " << shapeString(s));
  IST_CHECK(p.sizes.size() > 0, kOp, "sizes", "sizes must have at least one entry");
  IST_CHECK(p.ratios.size() > 0, kOp, "ratios", "ratios must have at least one entry");
  IST_CHECK(p.steps.size() == 2, kOp, "steps",
            "steps must have 2 entries (step_y, step_x), got " << p.steps.size());
  IST_CHECK(p.offsets.size() == 2, kOp, "offsets",
            "offsets must have 2 entries (offset_y, offset_x), got " << p.offsets.size());
  for (size_t i = 0; i < 2; ++i)
    IST_CHECK(p.offsets[i] >= 0.f && p.offsets[i] <= 1.f, kOp, "offsets",
              "offsets must lie in [0, 1], got " << p.offsets.v[i]);
  IST_CHECK(p.steps[0] * p.steps[1] >= 0.f, kOp, "steps",
            "must specify both step_y and step_x (or neither), got (" << p.steps.v[0] << ", " << p.steps.v[1] << ")");
  const int64_t anchors = static_cast<int64_t>(p.sizes.size() + p.ratios.size()) - 1;
  return Shape{1, s[2] * s[3] * anchors, 4};
}

struct PriorGeometry {
  int height = 0, width = 0, numSizes = 0, numAnchors = 0;
  float stepY = 0, stepX = 0, offY = 0, offX = 0;
  bool clip = false;
};

// values[k] = v (fills the sizes/ratios table in device memory one entry at a time).
struct SetMap {
  ISTX static void Map(int64_t, float* dst, float v) { *dst = v; }
};

// Thread i = one anchor: cell (i / numAnchors), anchor k = i % numAnchors. table = sizes, then ratios.
struct PriorMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* out, const float* table, PriorGeometry g) {
    const int k = static_cast<int>(i % g.numAnchors);
    const int64_t cell = i / g.numAnchors;
    const int r = static_cast<int>(cell / g.width), c = static_cast<int>(cell % g.width);
    const float cy = (r + g.offY) * g.stepY;
    const float cx = (c + g.offX) * g.stepX;
    // sizes[k] with ratios[0], or sizes[0] with ratios[k - numSizes + 1].
    const float size = k < g.numSizes ? table[k] : table[0];
    const float ratio = sqrtf(table[g.numSizes + (k < g.numSizes ? 0 : k - g.numSizes + 1)]);
    const float w = size * g.height / g.width * ratio / 2;
    const float h = size / ratio / 2;
    const float v[4] = {cx - w, cy - h, cx + w, cy + h};
    for (int j = 0; j < 4; ++j) {
      T t = T(v[j]);
      if (g.clip) {  // MXNet clips the stored DType values
        using C = dnd::CT<T>;
        if (C(t) < C(0)) t = T(C(0));
        if (C(t) > C(1)) t = T(C(1));
      }
      out[i * 4 + j] = t;
    }
  }
};

template <typename Dev>
void multiBoxPriorDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<MultiBoxPriorParam>();
  const Shape os = priorShape(in[0].shape, p);
  IST_CHECK(req[0] != OpReq::kAddTo, kOp, "output", "adding into the output (kAddTo) is not supported");
  if (req[0] == OpReq::kNull) return;
  PriorGeometry g;
  g.height = static_cast<int>(in[0].shape[2]);
  g.width = static_cast<int>(in[0].shape[3]);
  g.numSizes = static_cast<int>(p.sizes.size());
  g.numAnchors = static_cast<int>(p.sizes.size() + p.ratios.size()) - 1;
  g.stepY = p.steps[0];
  g.stepX = p.steps[1];
  if (g.stepY <= 0 || g.stepX <= 0) {  // estimate from the layer shape
    g.stepY = 1.f / g.height;
    g.stepX = 1.f / g.width;
  }
  g.offY = p.offsets[0];
  g.offX = p.offsets[1];
  g.clip = p.clip;
  void* s = ctx.run.stream;
  const size_t entries = p.sizes.size() + p.ratios.size();
  TempSpace<Dev> tmp(s, entries * sizeof(float));
  float* table = static_cast<float*>(tmp.get());
  for (size_t k = 0; k < p.sizes.size(); ++k) DeviceKernel<SetMap, Dev>::launch(s, 1, 1, table + k, p.sizes[k]);
  for (size_t k = 0; k < p.ratios.size(); ++k)
    DeviceKernel<SetMap, Dev>::launch(s, 1, 1, table + p.sizes.size() + k, p.ratios[k]);
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kOp, {
    DeviceKernel<PriorMap, Dev>::launch(s, os[1], 24, out[0].data<T>(), static_cast<const float*>(table), g);
  });
}

}  // namespace mboxprior
}  // namespace ist
