// Dropout's parameters (shared with dropout.cc) and its device-generic compute, attached in
// dropout.cu. The mask is drawn exactly as on the CPU: mask element i uses word i % 4 of the
// Philox block of counter rngCounter + i / 4 (kernels/philox.h), so one seed gives one mask on
// every device.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/philox.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"
#include "ops/nn/layer_util.h"

namespace ist {
namespace dropdev {

struct DropoutParam {
  float p;
  std::string mode;
  Shape axes;
  std::optional<bool> cudnn_off;
  static void declare(ParamDecl<DropoutParam>& d) {
    d.field("p", &DropoutParam::p).setDefault(0.5f).range(0, 1)
        .doc("Fraction of the input that gets dropped out during training time.");
    d.field("mode", &DropoutParam::mode)
        .setDefault("training")
        .values({"training", "always"})
        .doc("Whether to only turn on dropout during training or to also turn on for inference.");
    d.field("axes", &DropoutParam::axes).setDefault(Shape{}).doc("Axes for variational dropout kernel.");
    d.field("cudnn_off", &DropoutParam::cudnn_off).setDefault(false)
        .doc("Whether to turn off cudnn in dropout operator. This option is ignored if axes is specified.");
  }
};

inline Shape maskShape(const DropoutParam& p, const Shape& d) {
  Shape m = d;
  for (int64_t a : p.axes) m[nn::checkAxis(a, d, "Dropout", "axes")] = 1;
  return m;
}

struct MaskFillMap {
  template <typename T> ISTX static void Map(int64_t i, T* mask) { mask[i] = T(dnd::CT<T>(1)); }
};

// Mask elements 4q .. 4q + 3 from one Philox block.
struct MaskDrawMap {
  template <typename T, typename C>
  ISTX static void Map(int64_t q, T* mask, int64_t nm, uint64_t key, uint64_t counter, double keep, C scale) {
    const uint64_t c = counter + static_cast<uint64_t>(q);
    const PhiloxBlock blk = philox4x32_10(static_cast<uint32_t>(c), static_cast<uint32_t>(c >> 32), 0, 0,
                                          static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32));
    const int64_t end = q * 4 + 4 < nm ? q * 4 + 4 : nm;
    for (int64_t i = q * 4; i < end; ++i) {
      const C kept = C(static_cast<double>(philoxUniformFloat(blk.w[i - q * 4])) < keep);
      mask[i] = T(kept * scale);
    }
  }
};

// Shared with dropout.cc: whether this call drops (training, or mode "always", and p > 0), and the
// probability of keeping an element.
inline bool dropoutActive(const OpContext& ctx, const DropoutParam& p) {
  return (ctx.isTrain || p.mode == "always") && p.p > 0;
}
inline double keepProbability(const DropoutParam& p) { return 1.0 - static_cast<double>(p.p); }

struct CopyPutMap {
  template <typename T> ISTX static void Map(int64_t i, T* y, const T* x, bool add) {
    dnd::putd(y + i, dnd::ldd(x[i]), add);
  }
};

struct MulMaskMap {
  template <typename T> ISTX static void Map(int64_t i, T* y, const T* x, const T* mask, bool add) {
    using C = dnd::CT<T>;
    dnd::putd(y + i, double(C(x[i]) * C(mask[i])), add);
  }
};

// Data index -> mask index over merged dims (mask dims of 1 broadcast: stride 0).
constexpr int kMaxMaskDims = 16;
struct MaskIndexDev {
  int nd = 0;
  int64_t dims[kMaxMaskDims] = {};
  int64_t stride[kMaxMaskDims] = {};
  ISTX int64_t operator()(int64_t i) const {
    int64_t r = 0;
    for (int k = nd - 1; k >= 0; --k) {
      r += (i % dims[k]) * stride[k];
      i /= dims[k];
    }
    return r;
  }
};

// Merges runs of adjacent dims that are all broadcast (mask dim 1) or all kept.
inline MaskIndexDev maskIndexOf(const Shape& d, const Shape& m) {
  std::vector<int64_t> dims;
  std::vector<bool> bcast;
  for (size_t i = 0; i < d.size(); ++i) {
    const bool b = m[i] == 1;
    if (!dims.empty() && bcast.back() == b) {
      dims.back() *= d[i];
    } else {
      dims.push_back(d[i]);
      bcast.push_back(b);
    }
  }
  IST_CHECK(dims.size() <= static_cast<size_t>(kMaxMaskDims), "Dropout", "axes",
            "the GPU kernel supports at most " << kMaxMaskDims << " alternating runs of dropped and kept axes, got "
                                               << dims.size() << " for data of shape " << shapeString(d));
  MaskIndexDev r;
  r.nd = static_cast<int>(dims.size());
  int64_t s = 1;
  for (int i = r.nd - 1; i >= 0; --i) {
    r.dims[i] = dims[i];
    r.stride[i] = bcast[i] ? 0 : s;
    if (!bcast[i]) s *= dims[i];
  }
  return r;
}

struct MulMaskBcastMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* y, const T* x, const T* mask, MaskIndexDev mi, bool add) {
    using C = dnd::CT<T>;
    dnd::putd(y + i, double(C(x[i]) * C(mask[mi(i)])), add);
  }
};

template <typename Dev>
void dropoutDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<DropoutParam>();
  const int64_t n = in[0].size(), nm = out[1].size();
  if (n == 0) return;
  const bool active = dropoutActive(ctx, p);
  const bool same = nm == n;
  void* s = ctx.run.stream;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "Dropout", {
    using C = dnd::CT<T>;
    const T* x = in[0].data<T>();
    T* y = out[0].data<T>();
    T* mask = out[1].data<T>();
    const double keep = keepProbability(p);
    const C scale = keep > 0 ? C(1.0 / keep) : C(0);
    if (!active) {
      DeviceKernel<MaskFillMap, Dev>::launch(s, nm, 1, mask);
    } else {
      DeviceKernel<MaskDrawMap, Dev>::launch(s, (nm + 3) / 4, 40, mask, nm, ctx.rngKey, ctx.rngCounter, keep, scale);
    }
    if (req[0] == OpReq::kNull) return;
    const bool add = req[0] == OpReq::kAddTo;
    if (!active) {
      DeviceKernel<CopyPutMap, Dev>::launch(s, n, 1, y, x, add);
    } else if (same) {
      DeviceKernel<MulMaskMap, Dev>::launch(s, n, 2, y, x, static_cast<const T*>(mask), add);
    } else {
      const MaskIndexDev mi = maskIndexOf(in[0].shape, out[1].shape);
      DeviceKernel<MulMaskBcastMap, Dev>::launch(s, n, 4, y, x, static_cast<const T*>(mask), mi, add);
    }
  });
}

}  // namespace dropdev
}  // namespace ist
