// pick's parameters and geometry (shared with pick.cc) and the device-generic computes of pick and
// _backward_pick, attached in pick.cu.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/indexing/index_scratch_device.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace pickdev {

struct PickParam {
  std::optional<int> axis;
  bool keepdims = false;
  std::string mode;
  static void declare(ParamDecl<PickParam>& d) {
    d.field("axis", &PickParam::axis)
        .setDefault(std::optional<int>(-1))
        .doc("int or None. The axis to picking the elements. Negative values means indexing from "
             "right to left. None (the flattened input) is not supported, as in MXNet 1.x.");
    d.field("keepdims", &PickParam::keepdims)
        .setDefault(false)
        .doc("If true, the axis where we pick the elements is left in the result as dimension "
             "with size one.");
    d.field("mode", &PickParam::mode)
        .setDefault("clip")
        .values({"wrap", "clip"})
        .doc("Specify how out-of-bound indices behave. \"clip\" means clip to the range: indices "
             "past either end address the first or last element. \"wrap\" means to wrap around.");
  }
};

// data seen as (outer, n, inner) around the picked axis.
struct PickGeometry {
  int axis;
  int64_t outer = 1, n = 1, inner = 1;
};

inline PickGeometry pickGeometry(const Shape& s, const PickParam& p) {
  const char* op = "pick";
  IST_CHECK(p.axis.has_value(), op, "axis",
            "axis=None is not supported by pick; give an axis (data shape " << shapeString(s) << ")");
  IST_CHECK(!s.empty(), op, "data", "cannot pick from a 0-d array (shape ())");
  PickGeometry g;
  g.axis = normalizeAxis(*p.axis, static_cast<int>(s.size()), op, "axis");
  for (int i = 0; i < g.axis; ++i) g.outer *= s[i];
  g.n = s[g.axis];
  for (size_t i = g.axis + 1; i < s.size(); ++i) g.inner *= s[i];
  return g;
}

// k[i] = index i resolved into [0, n) (wrap or clip); non-finite ones counted in errors[0] and
// flagged with bad[i] = 1.
struct PickResolveMap {
  ISTX static void Map(int64_t i, int64_t* k, int8_t* bad, double* errors, const double* idx, int64_t n, bool wrap) {
    const double x = idx[i];
    if (!(x == x && x - x == 0)) {
      bad[i] = 1;
      k[i] = 0;
      deviceAtomicAdd(errors, 1.0);
      return;
    }
    bad[i] = 0;
    int64_t v = dnd::truncInt64(x);
    if (wrap) {
      v %= n;
      k[i] = v < 0 ? v + n : v;
    } else {
      k[i] = v < 0 ? 0 : (v >= n ? n - 1 : v);
    }
  }
};

template <typename Dev>
const int64_t* resolveIndicesDev(const OpContext& ctx, IndexScratch<Dev>& r, const TBlob& idx, int64_t n,
                                 const PickParam& p) {
  void* s = ctx.run.stream;
  const int64_t m = idx.size();
  if (m == 0) return r.k();
  dnd::readDoubles<Dev>(ctx, idx, r.idx(), "pick");
  DeviceMem<Dev>::zero(s, r.errors(), sizeof(double));
  DeviceKernel<PickResolveMap, Dev>::launch(s, m, 4, r.k(), r.bad(), r.errors(), static_cast<const double*>(r.idx()),
                                            n, p.mode == "wrap");
  double errors = 0;
  DeviceMem<Dev>::toHost(s, &errors, r.errors(), sizeof(double));
  if (errors != 0) {
    std::vector<int8_t> bad(static_cast<size_t>(m));
    DeviceMem<Dev>::toHost(s, bad.data(), r.bad(), static_cast<size_t>(m));
    for (int64_t i = 0; i < m; ++i)
      if (bad[i]) throwError("pick", "index", "index at position " + std::to_string(i) + " is not finite");
  }
  return r.k();
}

struct PickMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* y, const T* x, const int64_t* k, PickGeometry g, bool add) {
    using C = dnd::CT<T>;
    const int64_t o = t / g.inner, i = t % g.inner;
    const T v = x[(o * g.n + k[t]) * g.inner + i];
    y[t] = add ? T(C(y[t]) + C(v)) : v;
  }
};

struct PickBackwardMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* dx, const T* og, const int64_t* k, PickGeometry g) {
    using C = dnd::CT<T>;
    const int64_t o = t / g.inner, i = t % g.inner;
    T& d = dx[(o * g.n + k[t]) * g.inner + i];
    d = T(C(d) + C(og[t]));
  }
};

template <typename Dev>
void pickDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
             const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<PickParam>();
  const PickGeometry g = pickGeometry(in[0].shape, p);
  void* s = ctx.run.stream;
  IndexScratch<Dev> r(s, in[1].size());
  const int64_t* k = resolveIndicesDev<Dev>(ctx, r, in[1], g.n, p);
  IST_TYPE_SWITCH_NUMERIC(in[0].dtype, T, "pick", {
    DeviceKernel<PickMap, Dev>::launch(s, g.outer * g.inner, 1, out[0].data<T>(), in[0].data<T>(), k, g,
                                       req[0] == OpReq::kAddTo);
  });
}

// (out_grad, index, data) -> data's shape.
template <typename Dev>
void pickBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  if (req[0] != OpReq::kAddTo) dnd::zeroBlob<Dev>(ctx, out[0]);
  if (in[0].size() == 0) return;
  const auto& p = attrs.get<PickParam>();
  const PickGeometry g = pickGeometry(in[2].shape, p);
  void* s = ctx.run.stream;
  IndexScratch<Dev> r(s, in[1].size());
  const int64_t* k = resolveIndicesDev<Dev>(ctx, r, in[1], g.n, p);
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, "_backward_pick", {
    DeviceKernel<PickBackwardMap, Dev>::launch(s, g.outer * g.inner, 1, out[0].data<T>(), in[0].data<T>(), k, g);
  });
}

}  // namespace pickdev
}  // namespace ist
