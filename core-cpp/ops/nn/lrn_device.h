// Device-generic (kernels/device.h) LRN and _backward_LRN, attached in lrn.cu, with lrn.cc's
// arithmetic: one Map call per (n, spatial) channel column slides the window sum along the
// channels in double, adding and dropping terms in the CPU's order, so the CPU twins give the CPU's
// bits and a GPU differs only by its pow's rounding (products and sums are rounded on their own:
// no contracted FMAs). The backward's terms, each with a pow, are one Map call per element first.
// 16-bit floats are loaded and stored through float, as on the CPU.
#pragma once
#include <cstdint>
#include <vector>
#include "kernels/device.h"
#include "kernels/device_util.h"
#include "op/registry.h"
#include "ops/elemwise/functors.h"
#include "ops/nn/lrn_params.h"

namespace ist {
namespace lrnop {

// The column view and the scalars of the LRN expression, as plain data for Map.
struct LrnGeom {
  int64_t c, s, half;
  double knorm, salpha, beta;
};

inline LrnGeom lrnGeom(const LRNParam& p, const Shape& data) {
  const Cols L = colsOf(data);
  return LrnGeom{L.c, L.s, p.nsize / 2, double(p.knorm), double(p.alpha) / p.nsize, double(p.beta)};
}

// Flat index of channel 0 of column col.
ISTX int64_t columnBase(int64_t col, const LrnGeom& g) { return (col / g.s) * g.c * g.s + col % g.s; }

// norm = knorm + salpha * window sum of x^2 (always written, as on the CPU); y = x * norm^-beta.
struct LrnForwardMap {
  template <typename T>
  ISTX static void Map(int64_t col, const T* x, T* y, T* norm, LrnGeom g, bool writeY, bool addY) {
    const int64_t base = columnBase(col, g);
    auto sq = [&](int64_t k) {
      const double v = ldd(x[base + k * g.s]);
      return hostMul(v, v);
    };
    double acc = 0;
    for (int64_t j = 0; j < (g.c < g.half ? g.c : g.half); ++j) acc = hostAdd(acc, sq(j));
    for (int64_t k = 0; k < g.c; ++k) {
      if (k + g.half < g.c) acc = hostAdd(acc, sq(k + g.half));
      if (k - g.half - 1 >= 0) acc = hostAdd(acc, -sq(k - g.half - 1));
      const int64_t i = base + k * g.s;
      const double nv = hostAdd(g.knorm, hostMul(g.salpha, acc));
      norm[i] = std_<T>(nv);
      if (writeY) putd(y + i, hostMul(ldd(x[i]), math::pow(nv, -g.beta)), addY);
    }
  }
};

// t[i] = og * x * norm^(-beta - 1), the terms the backward window sums.
struct LrnGradTermMap {
  template <typename T>
  ISTX static void Map(int64_t i, double* t, const T* gy, const T* x, const T* norm, double beta) {
    t[i] = ldd(gy[i]) * ldd(x[i]) * math::pow(ldd(norm[i]), -beta - 1.0);
  }
};

// dx = og * norm^-beta - coef * x * window sum of t, coef = 2 beta alpha / nsize.
struct LrnBackwardMap {
  template <typename T>
  ISTX static void Map(int64_t col, T* gx, const double* t, const T* gy, const T* x, const T* norm, LrnGeom g,
                       double coef, bool add) {
    const int64_t base = columnBase(col, g);
    double acc = 0;
    for (int64_t j = 0; j < (g.c < g.half ? g.c : g.half); ++j) acc = hostAdd(acc, t[base + j * g.s]);
    for (int64_t k = 0; k < g.c; ++k) {
      if (k + g.half < g.c) acc = hostAdd(acc, t[base + (k + g.half) * g.s]);
      if (k - g.half - 1 >= 0) acc = hostAdd(acc, -t[base + (k - g.half - 1) * g.s]);
      const int64_t i = base + k * g.s;
      const double direct = hostMul(ldd(gy[i]), math::pow(ldd(norm[i]), -g.beta));
      putd(gx + i, hostAdd(direct, -hostMul(hostMul(coef, ldd(x[i])), acc)), add);
    }
  }
};

template <typename Dev>
void lrnForwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (in[0].size() == 0) return;
  const LrnGeom g = lrnGeom(attrs.get<LRNParam>(), in[0].shape);
  const int64_t cols = in[0].size() / g.c;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "LRN", {
    DeviceKernel<LrnForwardMap, Dev>::launch(ctx.run.stream, cols, g.c * 8, in[0].data<T>(), out[0].data<T>(),
                                             out[1].data<T>(), g, req[0] != OpReq::kNull, req[0] == OpReq::kAddTo);
  });
}

// Inputs: ograd, data, norm.
template <typename Dev>
void lrnBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const LrnGeom g = lrnGeom(attrs.get<LRNParam>(), in[1].shape);
  const int64_t n = in[1].size(), cols = n / g.c;
  const double coef = 2.0 * g.beta * g.salpha;
  TempSpace<Dev> tmp(ctx.run.stream, static_cast<size_t>(n) * sizeof(double));
  double* t = tmp.template as<double>();
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, "_backward_LRN", {
    const T* gy = in[0].data<T>();
    const T* x = in[1].data<T>();
    const T* norm = in[2].data<T>();
    DeviceKernel<LrnGradTermMap, Dev>::launch(ctx.run.stream, n, 8, t, gy, x, norm, g.beta);
    DeviceKernel<LrnBackwardMap, Dev>::launch(ctx.run.stream, cols, g.c * 10, out[0].data<T>(),
                                              static_cast<const double*>(t), gy, x, norm, g, coef,
                                              req[0] == OpReq::kAddTo);
  });
}

}  // namespace lrnop
}  // namespace ist
