// _contrib_allclose's parameters and its device-generic compute (NumPy's allclose over two arrays
// of one shape, a 0-d uint8 result as in MXNet), attached in allclose.cu and used as the CPU compute.
#pragma once
#include <cstdint>
#include <type_traits>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace allclose {

constexpr const char* kOp = "_contrib_allclose";

struct AllCloseParam {
  // float, as MXNet stores them: the tolerances compare in float except for float64 data.
  float rtol = 1e-05f, atol = 1e-08f;
  bool equal_nan = true;
  static void declare(ParamDecl<AllCloseParam>& d) {
    d.field("rtol", &AllCloseParam::rtol).setDefault(1e-05f).doc("Relative tolerance.");
    d.field("atol", &AllCloseParam::atol).setDefault(1e-08f).doc("Absolute tolerance.");
    d.field("equal_nan", &AllCloseParam::equal_nan)
        .setDefault(true)
        .doc("Whether to compare NaN's as equal. If True, NaN's in A will be considered equal to NaN's in B "
             "in the output array.");
  }
};

// Counts the elements that are not close into *bad (|a - b| <= atol + rtol |b|; NaN per equal_nan).
struct AllCloseMap {
  template <typename T>
  ISTX static void Map(int64_t i, double* bad, const T* a, const T* b, float rtol, float atol, bool equalNan) {
    using C = dnd::CT<T>;
    using F = typename std::conditional<std::is_same<C, double>::value, double, float>::type;
    const C x = static_cast<C>(a[i]), y = static_cast<C>(b[i]);
    const bool nx = x != x, ny = y != y;  // false for integers
    bool ok;
    if (nx || ny) {
      ok = equalNan && nx == ny;
    } else {
      const F diff = static_cast<F>(x > y ? C(x - y) : C(y - x));
      const F fy = static_cast<F>(y);
      ok = x == y || diff <= static_cast<F>(atol) + (fy > 0 ? static_cast<F>(rtol) * fy : -static_cast<F>(rtol) * fy);
    }
    if (!ok) deviceAtomicAdd(bad, 1.0);
  }
};

// out[0] (=|+=) 1 when nothing was counted.
struct AllCloseResultMap {
  ISTX static void Map(int64_t, uint8_t* out, const double* bad, bool add) {
    const uint8_t r = *bad == 0.0 ? 1 : 0;
    out[0] = add ? static_cast<uint8_t>(out[0] + r) : r;
  }
};

inline void checkShapes(const Shape& a, const Shape& b) {
  IST_CHECK(a == b, kOp, "b",
            "a and b must have the same shape, got a " << shapeString(a) << " and b " << shapeString(b));
}

template <typename Dev>
void allcloseDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  checkShapes(in[0].shape, in[1].shape);
  const auto& p = attrs.get<AllCloseParam>();
  void* s = ctx.run.stream;
  TempSpace<Dev> tmp(s, sizeof(double));
  double* bad = tmp.template as<double>();
  DeviceMem<Dev>::zero(s, bad, sizeof(double));
  if (in[0].size() > 0) {
    IST_TYPE_SWITCH_NUMERIC(in[0].dtype, T, kOp, {
      DeviceKernel<AllCloseMap, Dev>::launch(s, in[0].size(), 2, bad, in[0].data<T>(), in[1].data<T>(), p.rtol, p.atol,
                                             p.equal_nan);
    });
  }
  DeviceKernel<AllCloseResultMap, Dev>::launch(s, 1, 1, out[0].data<uint8_t>(), static_cast<const double*>(bad),
                                               req[0] == OpReq::kAddTo);
}

}  // namespace allclose
}  // namespace ist
