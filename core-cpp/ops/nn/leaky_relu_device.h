// LeakyReLU's parameters and geometry (shared with leaky_relu.cc) and its device-generic computes
// (LeakyReLU, _backward_LeakyReLU), attached in leaky_relu.cu. The rrelu slopes come from the same
// Philox stream as the CPU kernel (element i: PhiloxStream(rngKey, rngCounter + i)).
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/philox.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace lreludev {

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluLambda = 1.0507009873554804934193349852946;
constexpr double kInvSqrt2 = 0.70710678118654752440084436210485;
constexpr double kInvSqrt2Pi = 0.39894228040143267793994605993438;

struct LeakyReLUParam {
  std::string act_type;
  float slope, lower_bound, upper_bound;
  static void declare(ParamDecl<LeakyReLUParam>& d) {
    d.field("act_type", &LeakyReLUParam::act_type)
        .setDefault("leaky")
        .values({"rrelu", "leaky", "prelu", "elu", "selu", "gelu"})
        .doc("Activation function to be applied.");
    d.field("slope", &LeakyReLUParam::slope).setDefault(0.25f)
        .doc("Init slope for the activation. (For leaky and elu only)");
    d.field("lower_bound", &LeakyReLUParam::lower_bound).setDefault(0.125f)
        .doc("Lower bound of random slope. (For rrelu only)");
    d.field("upper_bound", &LeakyReLUParam::upper_bound).setDefault(0.334f)
        .doc("Upper bound of random slope. (For rrelu only)");
  }
};

enum class Kind { kLeaky, kPReLU, kRReLU, kELU, kSELU, kGELU };

inline Kind kindOf(const std::string& s) {
  if (s == "prelu") return Kind::kPReLU;
  if (s == "rrelu") return Kind::kRReLU;
  if (s == "elu") return Kind::kELU;
  if (s == "selu") return Kind::kSELU;
  if (s == "gelu") return Kind::kGELU;
  return Kind::kLeaky;
}

// How gamma broadcasts over data (MXNet's expand_shape): gamma's trailing dims align with data's
// dims 1 and 0 only. Returns gamma's extent along data dims 0 and 1 (1: broadcast).
struct GammaLayout {
  int64_t g0 = 1, g1 = 1;
};
inline GammaLayout gammaLayout(const Shape& gamma, const Shape& data, const char* op) {
  GammaLayout r;
  int s = static_cast<int>(gamma.size()) - 1;
  for (int i = static_cast<int>(data.size()) - 1; i >= 0; --i) {
    if (s >= 0 && i <= 1 && (data[i] == gamma[s] || gamma[s] == 1)) {
      (i == 0 ? r.g0 : r.g1) = gamma[s];
      --s;
    }
  }
  IST_CHECK(s == -1, op, "gamma",
            "cannot broadcast gamma of shape " << shapeString(gamma) << " to data of shape " << shapeString(data)
                                               << " (gamma matches data's axis 1, or axes 0 and 1)");
  return r;
}

// Data seen as (d0, d1, inner) with gamma index (i0 % g0) * g1 + (i1 % g1).
struct PReLUPlan {
  int64_t d0 = 1, d1 = 1, inner = 1;
  GammaLayout g;
  ISTX int64_t gammaIndex(int64_t block) const {  // block = i0 * d1 + i1
    const int64_t i0 = block / d1, i1 = block % d1;
    return (g.g0 == 1 ? 0 : i0) * g.g1 + (g.g1 == 1 ? 0 : i1);
  }
};
inline PReLUPlan preluPlan(const Shape& data, const Shape& gamma, const char* op) {
  PReLUPlan p;
  p.g = gammaLayout(gamma, data, op);
  p.d0 = data.empty() ? 1 : data[0];
  p.d1 = data.size() > 1 ? data[1] : 1;
  for (size_t i = 2; i < data.size(); ++i) p.inner *= data[i];
  return p;
}

// The activation and d(out)/d(x) from the input (rrelu: `slope` is the element's drawn slope),
// shared by leaky_relu.cc and the device kernels.
template <Kind K, typename C> ISTX C leakyValue(C x, C slope) {
  if constexpr (K == Kind::kELU) {
    return x > C(0) ? x : C(slope * math::expm1(x));
  } else if constexpr (K == Kind::kSELU) {
    return C(kSeluLambda) * (x > C(0) ? x : C(kSeluAlpha * math::expm1(x)));
  } else if constexpr (K == Kind::kGELU) {
    return C(0.5) * x * (C(1) + math::erf(x * C(kInvSqrt2)));
  } else {
    return x > C(0) ? x : x * slope;
  }
}

template <Kind K, typename C> ISTX C leakyDerivative(C x, C slope) {
  if constexpr (K == Kind::kELU) {
    return x > C(0) ? C(1) : slope * math::exp(x);
  } else if constexpr (K == Kind::kSELU) {
    return C(kSeluLambda) * (x > C(0) ? C(1) : C(kSeluAlpha) * math::exp(x));
  } else if constexpr (K == Kind::kGELU) {
    return C(0.5) * (C(1) + math::erf(x * C(kInvSqrt2))) + x * C(kInvSqrt2Pi) * math::exp(C(-0.5) * x * x);
  } else {
    return x > C(0) ? C(1) : slope;
  }
}

// leaky / elu / selu / gelu forward.
template <Kind K>
struct LeakyMap {
  template <typename T> ISTX static void Map(int64_t i, T* y, const T* x, float slope, bool add) {
    using C = dnd::CT<T>;
    const C v = leakyValue<K, C>(C(x[i]), C(slope));
    y[i] = add ? T(C(y[i]) + v) : T(v);
  }
};

struct PReLUMap {
  template <typename T>
  ISTX static void Map(int64_t j, T* y, const T* x, const T* g, PReLUPlan plan, bool add) {
    using C = dnd::CT<T>;
    const C slope = C(g[plan.gammaIndex(j / plan.inner)]);
    const C v = C(x[j]);
    const C r = v > C(0) ? v : v * slope;
    y[j] = add ? T(C(y[j]) + r) : T(r);
  }
};

// rrelu: the mask (drawn slope, or the bounds' mean in inference) and, unless writeY is false, y.
struct RReLUMap {
  template <typename T, typename C>
  ISTX static void Map(int64_t i, T* y, T* mask, const T* x, C lo, C span, C mid, bool train, uint64_t key,
                       uint64_t counter, bool writeY, bool add) {
    C s = mid;
    if (train) {
      PhiloxStream rs(key, counter + static_cast<uint64_t>(i));
      s = lo + hostMul(span, C(rs.uniformFloat()));
    }
    mask[i] = T(s);
    if (!writeY) return;
    const C v = C(x[i]);
    const C r = v > C(0) ? v : v * C(mask[i]);
    y[i] = add ? T(C(y[i]) + r) : T(r);
  }
};

template <typename Dev>
void leakyForwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<LeakyReLUParam>();
  const Kind k = kindOf(p.act_type);
  const int64_t n = in[0].size();
  if (n == 0) return;
  const bool add = req[0] == OpReq::kAddTo;
  const bool writeY = req[0] != OpReq::kNull;
  void* s = ctx.run.stream;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "LeakyReLU", {
    using C = dnd::CT<T>;
    const T* x = in[0].data<T>();
    T* y = out[0].data<T>();
    if (k == Kind::kRReLU) {
      const C lo = C(p.lower_bound), span = C(p.upper_bound - p.lower_bound);
      const C mid = C((p.lower_bound + p.upper_bound) / 2.0f);
      DeviceKernel<RReLUMap, Dev>::launch(s, n, 20, y, out[1].data<T>(), x, lo, span, mid, ctx.isTrain, ctx.rngKey,
                                          ctx.rngCounter, writeY, add);
    } else if (!writeY) {
      // nothing to write
    } else if (k == Kind::kPReLU) {
      const PReLUPlan plan = preluPlan(in[0].shape, in[1].shape, "LeakyReLU");
      DeviceKernel<PReLUMap, Dev>::launch(s, n, 2, y, x, in[1].data<T>(), plan, add);
    } else if (k == Kind::kELU) {
      DeviceKernel<LeakyMap<Kind::kELU>, Dev>::launch(s, n, 20, y, x, p.slope, add);
    } else if (k == Kind::kSELU) {
      DeviceKernel<LeakyMap<Kind::kSELU>, Dev>::launch(s, n, 20, y, x, p.slope, add);
    } else if (k == Kind::kGELU) {
      DeviceKernel<LeakyMap<Kind::kGELU>, Dev>::launch(s, n, 20, y, x, p.slope, add);
    } else {
      DeviceKernel<LeakyMap<Kind::kLeaky>, Dev>::launch(s, n, 1, y, x, p.slope, add);
    }
  });
}

// Element-wise gradient of every kind but prelu (rrelu reads its mask).
template <Kind K>
struct LeakyGradMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* gx, const T* gy, const T* x, const T* mask, float slope, bool add) {
    using C = dnd::CT<T>;
    const C d = leakyDerivative<K, C>(C(x[i]), mask ? C(mask[i]) : C(slope));
    dnd::putd(gx + i, double(C(gy[i]) * d), add);
  }
};

struct PReLUGradDataMap {
  template <typename T>
  ISTX static void Map(int64_t j, T* gx, const T* gy, const T* x, const T* g, PReLUPlan plan, bool add) {
    using C = dnd::CT<T>;
    const C slope = C(g[plan.gammaIndex(j / plan.inner)]);
    const C v = C(x[j]), d = C(gy[j]);
    dnd::putd(gx + j, v > C(0) ? d : d * slope, add);
  }
};

// partial[blk] = sum over the block's elements with x <= 0 (or NaN) of gy * x, in double.
struct PReLUPartialMap {
  template <typename T>
  ISTX static void Map(int64_t blk, double* partial, const T* gy, const T* x, int64_t inner) {
    using C = dnd::CT<T>;
    double acc = 0;
    for (int64_t j = blk * inner, end = j + inner; j < end; ++j) {
      const C v = C(x[j]), d = C(gy[j]);
      if (!(v > C(0))) acc += double(d) * double(v);
    }
    partial[blk] = acc;
  }
};

// d gamma[j] = sum of the partials of the blocks that use gamma[j], in block order.
struct PReLUGammaMap {
  template <typename T>
  ISTX static void Map(int64_t j, T* gout, const double* partial, PReLUPlan plan, bool add) {
    const int64_t j0 = j / plan.g.g1, j1 = j % plan.g.g1;
    const int64_t a0 = plan.g.g0 == 1 ? 0 : j0, b0 = plan.g.g0 == 1 ? plan.d0 : j0 + 1;
    const int64_t a1 = plan.g.g1 == 1 ? 0 : j1, b1 = plan.g.g1 == 1 ? plan.d1 : j1 + 1;
    double acc = 0;
    for (int64_t i0 = a0; i0 < b0; ++i0)
      for (int64_t i1 = a1; i1 < b1; ++i1) acc += partial[i0 * plan.d1 + i1];
    dnd::putd(gout + j, acc, add);
  }
};

template <typename Dev>
void leakyBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<LeakyReLUParam>();
  const Kind k = kindOf(p.act_type);
  const int64_t n = in[1].size();
  void* s = ctx.run.stream;
  const bool add0 = req[0] == OpReq::kAddTo;
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, "_backward_LeakyReLU", {
    const T* gy = in[0].data<T>();
    const T* x = in[1].data<T>();
    T* gx = out[0].data<T>();
    if (k == Kind::kPReLU) {
      const PReLUPlan plan = preluPlan(in[1].shape, in[2].shape, "_backward_LeakyReLU");
      const T* g = in[2].data<T>();
      if (req[0] != OpReq::kNull)
        DeviceKernel<PReLUGradDataMap, Dev>::launch(s, n, 3, gx, gy, x, g, plan, add0);
      if (out.size() > 1 && req[1] != OpReq::kNull) {
        const int64_t blocks = plan.d0 * plan.d1, ng = in[2].size();
        TempSpace<Dev> partial(s, static_cast<size_t>(blocks) * sizeof(double));
        DeviceKernel<PReLUPartialMap, Dev>::launch(s, blocks, plan.inner * 3, partial.template as<double>(), gy, x,
                                                   plan.inner);
        DeviceKernel<PReLUGammaMap, Dev>::launch(s, ng, blocks / (ng > 0 ? ng : 1) + 1, out[1].data<T>(),
                                                 static_cast<const double*>(partial.get()), plan,
                                                 req[1] == OpReq::kAddTo);
      }
      return;
    }
    if (req[0] == OpReq::kNull) return;
    const T* none = nullptr;
    switch (k) {
      case Kind::kRReLU:
        DeviceKernel<LeakyGradMap<Kind::kRReLU>, Dev>::launch(s, n, 2, gx, gy, x, in[2].data<T>(), p.slope, add0);
        break;
      case Kind::kELU:
        DeviceKernel<LeakyGradMap<Kind::kELU>, Dev>::launch(s, n, 24, gx, gy, x, none, p.slope, add0);
        break;
      case Kind::kSELU:
        DeviceKernel<LeakyGradMap<Kind::kSELU>, Dev>::launch(s, n, 24, gx, gy, x, none, p.slope, add0);
        break;
      case Kind::kGELU:
        DeviceKernel<LeakyGradMap<Kind::kGELU>, Dev>::launch(s, n, 24, gx, gy, x, none, p.slope, add0);
        break;
      default:
        DeviceKernel<LeakyGradMap<Kind::kLeaky>, Dev>::launch(s, n, 2, gx, gy, x, none, p.slope, add0);
        break;
    }
  });
}

}  // namespace lreludev
}  // namespace ist
