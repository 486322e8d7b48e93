// The elementwise contrib ops _contrib_div_sqrt_dim, _contrib_quadratic (+ _contrib_backward_quadratic)
// and _contrib_gradientmultiplier (+ _contrib_backward_gradientmultiplier): parameters (shared with
// scale_ops.cc) and device-generic computes (GPU kernels and CPU twins, attached in scale_ops.cu).
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace scaleops {

struct QuadraticParam {
  float a = 0, b = 0, c = 0;
  static void declare(ParamDecl<QuadraticParam>& d) {
    d.field("a", &QuadraticParam::a).setDefault(0.0f)
        .doc("Coefficient of the quadratic term in the quadratic function.");
    d.field("b", &QuadraticParam::b).setDefault(0.0f)
        .doc("Coefficient of the linear term in the quadratic function.");
    d.field("c", &QuadraticParam::c).setDefault(0.0f).doc("Constant term in the quadratic function.");
  }
};

// MXNet's NumpyBinaryScalarParam (gradientmultiplier reuses the binary-scalar parser).
struct ScalarParam {
  double scalar = 1;
  bool is_int = true;
  static void declare(ParamDecl<ScalarParam>& d) {
    d.field("scalar", &ScalarParam::scalar).setDefault(1.0).doc("Scalar input value");
    d.field("is_int", &ScalarParam::is_int).setDefault(true)
        .doc("Indicate whether scalar input is int type");
  }
};

// MXNet evaluates with float coefficients: double data stays double, everything else goes through float.
template <typename T> using WideT = std::conditional_t<std::is_same_v<T, double>, double, float>;

template <typename T>
ISTX void store(T* p, WideT<T> v, bool add) {
  using W = WideT<T>;
  *p = add ? T(W(dnd::CT<T>(*p)) + v) : T(v);
}

// out = x / T(sqrt(d)) (the divisor cast to the data's dtype first, as MXNet does).
struct DivMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* y, const T* x, T div, bool add) {
    using C = dnd::CT<T>;
    const C v = C(C(x[i]) / C(div));
    y[i] = add ? T(C(y[i]) + v) : T(v);
  }
};

struct QuadraticMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* y, const T* x, float a, float b, float c, bool add) {
    using W = WideT<T>;
    const W v = W(dnd::CT<T>(x[i]));
    store(y + i, v * (W(a) * v + W(b)) + W(c), add);
  }
};

// in_grad = out_grad * (2 a x + b)
struct QuadraticBackwardMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* dx, const T* og, const T* x, float a, float b, bool add) {
    using W = WideT<T>;
    const W v = W(dnd::CT<T>(x[i]));
    store(dx + i, W(dnd::CT<T>(og[i])) * (W(2.0f * a) * v + W(b)), add);
  }
};

struct CopyMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* y, const T* x, bool add) {
    using C = dnd::CT<T>;
    y[i] = add ? T(C(y[i]) + C(x[i])) : x[i];
  }
};

struct MulScalarMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* y, const T* x, T s, bool add) {
    using C = dnd::CT<T>;
    const C v = C(C(x[i]) * C(s));
    y[i] = add ? T(C(y[i]) + v) : T(v);
  }
};

template <typename T>
T castScalar(double v) {
  if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>)
    return static_cast<T>(static_cast<int64_t>(v));
  else
    return static_cast<T>(static_cast<typename ComputeType<T>::type>(v));
}

inline void checkDivSqrtDim(const Shape& s) {
  IST_CHECK(!s.empty(), "_contrib_div_sqrt_dim", "data",
            "data must have at least 1 dimension (its last is the one divided by), got shape "
                << shapeString(s));
}

template <typename Dev>
void divSqrtDimDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  checkDivSqrtDim(in[0].shape);
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const double d = std::sqrt(static_cast<double>(in[0].shape.back()));
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, "_contrib_div_sqrt_dim", {
    DeviceKernel<DivMap, Dev>::launch(ctx.run.stream, out[0].size(), 2, out[0].data<T>(), in[0].data<T>(),
                                      castScalar<T>(d), req[0] == OpReq::kAddTo);
  });
}

template <typename Dev>
void quadraticDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<QuadraticParam>();
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, "_contrib_quadratic", {
    DeviceKernel<QuadraticMap, Dev>::launch(ctx.run.stream, out[0].size(), 4, out[0].data<T>(),
                                            in[0].data<T>(), p.a, p.b, p.c, req[0] == OpReq::kAddTo);
  });
}

// (out_grad, data) -> data's shape.
template <typename Dev>
void quadraticBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<QuadraticParam>();
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, "_contrib_backward_quadratic", {
    DeviceKernel<QuadraticBackwardMap, Dev>::launch(ctx.run.stream, out[0].size(), 4, out[0].data<T>(),
                                                    in[0].data<T>(), in[1].data<T>(), p.a, p.b,
                                                    req[0] == OpReq::kAddTo);
  });
}

template <typename Dev>
void identityDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  if (req[0] != OpReq::kAddTo) {
    DeviceMem<Dev>::copy(ctx.run.stream, out[0].dptr, in[0].dptr,
                         static_cast<size_t>(out[0].size()) * dtypeSize(out[0].dtype));
    return;
  }
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, "_contrib_gradientmultiplier", {
    DeviceKernel<CopyMap, Dev>::launch(ctx.run.stream, out[0].size(), 1, out[0].data<T>(), in[0].data<T>(), true);
  });
}

template <typename Dev>
void mulScalarDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<ScalarParam>();
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, "_contrib_backward_gradientmultiplier", {
    DeviceKernel<MulScalarMap, Dev>::launch(ctx.run.stream, out[0].size(), 1, out[0].data<T>(), in[0].data<T>(),
                                            castScalar<T>(p.scalar), req[0] == OpReq::kAddTo);
  });
}

}  // namespace scaleops
}  // namespace ist
