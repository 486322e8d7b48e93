// take's parameters (shared with take.cc) and the device-generic computes of take and
// _backward_take, attached in take.cu. Indices are resolved on the device; errors (non-finite
// indices, out-of-range ones in mode 'raise') are counted there and, when any, the first one in
// index order is reported with the CPU kernel's message.
#pragma once
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/indexing/sorted_runs_device.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace takedev {

struct TakeParam {
  int axis;
  std::string mode;
  static void declare(ParamDecl<TakeParam>& d) {
    d.field("axis", &TakeParam::axis).setDefault(0).doc("The axis of input array to be taken.");
    d.field("mode", &TakeParam::mode)
        .setDefault("clip")
        .values({"clip", "wrap", "raise"})
        .doc("How out-of-bound indices behave: clip to the range, wrap around, or raise an error.");
  }
};

enum TakeMode { kClip = 0, kWrap = 1, kRaise = 2 };

// rows[j] = the row index j selects; raw[j] = the index as an integer; status[j] = 0 (fine),
// 1 (not finite) or 2 (out of bounds in raise mode), counted in errors[0].
struct TakeResolveMap {
  template <typename I>
  ISTX static void Map(int64_t j, int64_t* rows, int64_t* raw, int8_t* status, double* errors, const I* idx,
                       int64_t n, int mode) {
    using C = dnd::CT<I>;
    const C x = static_cast<C>(idx[j]);
    if constexpr (std::is_floating_point_v<C>) {
      const double d = static_cast<double>(x);
      if (!(d == d && d - d == 0)) {
        status[j] = 1;
        raw[j] = 0;
        rows[j] = 0;
        deviceAtomicAdd(errors, 1.0);
        return;
      }
    }
    int64_t k;
    if constexpr (std::is_floating_point_v<C>) k = dnd::truncInt64(static_cast<double>(x));
    else k = static_cast<int64_t>(x);
    raw[j] = k;
    status[j] = 0;
    if (mode == kRaise) {
      if (!(k >= -n && k < n)) {
        status[j] = 2;
        rows[j] = 0;
        deviceAtomicAdd(errors, 1.0);
        return;
      }
      if (k < 0) k += n;
    } else if (mode == kWrap) {
      k %= n;
      if (k < 0) k += n;
    } else {
      k = k < 0 ? 0 : (k >= n ? n - 1 : k);
    }
    rows[j] = k;
  }
};

// Device scratch of the resolved rows of m indices.
template <typename Dev>
struct TakeRows {
  TempSpace<Dev> mem;
  int64_t m;
  TakeRows(void* s, int64_t m_) : mem(s, static_cast<size_t>(m_) * 17 + 16), m(m_) {}
  int64_t* rows() const { return mem.template as<int64_t>(); }
  int64_t* raw() const { return rows() + m; }
  double* errors() const { return reinterpret_cast<double*>(rows() + 2 * m); }
  int8_t* status() const { return reinterpret_cast<int8_t*>(rows() + 2 * m + 1); }
};

// Resolves the indices per mode, throwing (after the fact) the CPU kernel's error for the first bad one.
template <typename Dev>
void resolveRowsDev(const OpContext& ctx, TakeRows<Dev>& r, const TBlob& idx, int64_t n, const TakeParam& p, int axis,
                    const Shape& shape) {
  void* s = ctx.run.stream;
  const int64_t m = idx.size();
  if (m == 0) return;
  const int mode = p.mode == "raise" ? kRaise : (p.mode == "wrap" ? kWrap : kClip);
  DeviceMem<Dev>::zero(s, r.errors(), sizeof(double));
  IST_TYPE_SWITCH_NUMERIC(idx.dtype, I, "take", {
    DeviceKernel<TakeResolveMap, Dev>::launch(s, m, 4, r.rows(), r.raw(), r.status(), r.errors(),
                                              static_cast<const I*>(idx.dptr), n, mode);
  });
  double errors = 0;
  DeviceMem<Dev>::toHost(s, &errors, r.errors(), sizeof(double));
  if (errors == 0) return;
  std::vector<int64_t> raw(static_cast<size_t>(m));
  std::vector<int8_t> status(static_cast<size_t>(m));
  DeviceMem<Dev>::toHost(s, raw.data(), r.raw(), static_cast<size_t>(m) * sizeof(int64_t));
  DeviceMem<Dev>::toHost(s, status.data(), r.status(), static_cast<size_t>(m));
  for (int64_t j = 0; j < m; ++j) {
    if (status[j] == 1) throwError("take", "indices", "index at position " + std::to_string(j) + " is not finite");
    const int64_t k = raw[j];
    IST_CHECK(status[j] != 2, "take", "indices",
              "index " << k << " is out of bounds for axis " << axis << " with size " << n << " of shape "
                       << shapeString(shape));
  }
}

// Unsigned type of a size, for dtype-blind copies.
template <size_t S> struct Bits;
template <> struct Bits<1> { using type = uint8_t; };
template <> struct Bits<2> { using type = uint16_t; };
template <> struct Bits<4> { using type = uint32_t; };
template <> struct Bits<8> { using type = uint64_t; };

struct TakeGatherMap {
  template <typename T>
  ISTX static void Map(int64_t e, T* dst, const T* src, const int64_t* rows, int64_t m, int64_t n, int64_t inner,
                       bool add) {
    const int64_t t = e / inner, c = e % inner, o = t / m, j = t % m;
    const T v = src[(o * n + rows[j]) * inner + c];
    if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, uint16_t> || std::is_same_v<T, uint32_t> ||
                  std::is_same_v<T, uint64_t>) {
      if (!add) {
        dst[e] = v;
        return;
      }
    }
    using C = dnd::CT<T>;
    dst[e] = add ? T(C(dst[e]) + C(v)) : v;
  }
};

inline void takeGeometry(const Shape& s, int axis, int64_t* outer, int64_t* n, int64_t* inner) {
  *outer = 1;
  *inner = 1;
  *n = s[axis];
  for (int i = 0; i < axis; ++i) *outer *= s[i];
  for (size_t i = axis + 1; i < s.size(); ++i) *inner *= s[i];
}

template <typename Dev>
void takeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
             const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<TakeParam>();
  const TBlob& a = in[0];
  const TBlob& idx = in[1];
  const int axis = normalizeAxis(p.axis, a.ndim(), "take");
  int64_t outer, n, inner;
  takeGeometry(a.shape, axis, &outer, &n, &inner);
  const int64_t m = idx.size();
  void* s = ctx.run.stream;
  TakeRows<Dev> r(s, m);
  resolveRowsDev<Dev>(ctx, r, idx, n, p, axis, a.shape);
  const int64_t total = outer * m * inner;
  if (total == 0) return;
  const int64_t* rows = r.rows();
  if (req[0] != OpReq::kAddTo) {
    switch (dtypeSize(a.dtype)) {
      case 1: DeviceKernel<TakeGatherMap, Dev>::launch(s, total, 1, out[0].data<uint8_t>(), a.data<uint8_t>(), rows, m, n, inner, false); break;
      case 2: DeviceKernel<TakeGatherMap, Dev>::launch(s, total, 1, out[0].data<uint16_t>(), a.data<uint16_t>(), rows, m, n, inner, false); break;
      case 4: DeviceKernel<TakeGatherMap, Dev>::launch(s, total, 1, out[0].data<uint32_t>(), a.data<uint32_t>(), rows, m, n, inner, false); break;
      case 8: DeviceKernel<TakeGatherMap, Dev>::launch(s, total, 1, out[0].data<uint64_t>(), a.data<uint64_t>(), rows, m, n, inner, false); break;
      default: throwUnsupportedDType(a.dtype, "take");
    }
    return;
  }
  IST_TYPE_SWITCH_NUMERIC(a.dtype, T, "take", {
    DeviceKernel<TakeGatherMap, Dev>::launch(s, total, 1, out[0].data<T>(), a.data<T>(), rows, m, n, inner, true);
  });
}

// Column (o, c) of d a: adds every out_grad slice j onto row rows[j], in index order. For few
// indices, or enough columns to fill a GPU.
struct TakeScatterColumnMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* da, const T* g, const int64_t* rows, int64_t m, int64_t n, int64_t inner) {
    using C = dnd::CT<T>;
    const int64_t o = t / inner, c = t % inner;
    for (int64_t j = 0; j < m; ++j) {
      T* dst = da + (o * n + rows[j]) * inner + c;
      *dst = T(C(*dst) + C(g[(o * m + j) * inner + c]));
    }
  }
};

// Element (o, p, c) of the sorted indices (sorted_runs_device.h): the first index of each run of
// one row adds the run's out_grad slices onto that row's column c, in index order, rounding each
// addition to T as the column walk does.
struct TakeScatterRunsMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* da, const T* g, const int64_t* keys, const int64_t* sources, int64_t m,
                       int64_t n, int64_t inner) {
    const int64_t c = t % inner, op = t / inner, o = op / m, p = op % m;
    if (!runStarts(keys, p)) return;
    using C = dnd::CT<T>;
    T* dst = da + (o * n + keys[p]) * inner + c;
    T acc = *dst;
    for (int64_t q = p; q < m && keys[q] == keys[p]; ++q) acc = T(C(acc) + C(g[(o * m + sources[q]) * inner + c]));
    *dst = acc;
  }
};

// _backward_take: (out_grad, indices, a) -> a's shape.
template <typename Dev>
void takeBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<TakeParam>();
  const TBlob& a = in[2];
  if (req[0] != OpReq::kAddTo) dnd::zeroBlob<Dev>(ctx, out[0]);
  const int axis = normalizeAxis(p.axis, a.ndim(), "take");
  int64_t outer, n, inner;
  takeGeometry(a.shape, axis, &outer, &n, &inner);
  const int64_t m = in[1].size();
  if (outer * inner * m == 0) return;
  void* s = ctx.run.stream;
  TakeRows<Dev> r(s, m);
  resolveRowsDev<Dev>(ctx, r, in[1], n, p, axis, a.shape);
  const int64_t* rows = r.rows();
  if (!scatterSortsRuns(m, outer * inner)) {
    IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, "_backward_take", {
      DeviceKernel<TakeScatterColumnMap, Dev>::launch(s, outer * inner, m, out[0].data<T>(), in[0].data<T>(), rows,
                                                      m, n, inner);
    });
    return;
  }
  const SortedRuns<Dev> runs(s, rows, m);
  const int64_t* keys = runs.keys();
  const int64_t* sources = runs.sources();
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, "_backward_take", {
    DeviceKernel<TakeScatterRunsMap, Dev>::launch(s, outer * m * inner, 2, out[0].data<T>(), in[0].data<T>(), keys,
                                                  sources, m, n, inner);
  });
}

}  // namespace takedev
}  // namespace ist
