// Device-generic (kernels/device.h) L2Normalization and _backward_L2Normalization, the same
// arithmetic as l2_normalization.cc: each group's sum of squares (or of og * y) is a reduction of
// reduce_device.h's engine, then one Map per element. Included only from .cu files.
#pragma once
#include <vector>
#include "ops/nn/norm_rows_device.h"

namespace ist {
namespace ndev {

struct L2NormMap {
  template <typename T> ISTX static void Map(int64_t r, double* sq, T* norm, double eps) {
    const double nv = ::sqrt(sq[r] + eps);
    sq[r] = nv;
    norm[r] = std_<T>(nv);
  }
};

struct L2ForwardMap {
  template <typename T>
  ISTX static void Map(int64_t i, const RowGeom& g, const T* x, const double* nv, T* y, OpReq req) {
    dput(y + i, ldd(x[i]) / nv[g.rowOf(i)], req);
  }
};

struct L2BackwardMap {
  template <typename T>
  ISTX static void Map(int64_t i, const RowGeom& g, const T* gy, const T* y, const T* norm, const double* dot, T* gx,
                       OpReq req) {
    const int64_t r = g.rowOf(i);
    dput(gx + i, (ldd(gy[i]) - ldd(y[i]) * dot[r]) / ldd(norm[r]), req);
  }
};

template <typename Dev>
void l2Compute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "L2Normalization";
  const auto& p = attrs.get<L2NormalizationParam>();
  const nn::AxisSplit s = groupsOf(p.mode, in[0].shape);
  const int64_t rows = s.outer * s.inner;
  if (rows == 0) return;
  const RowGeom rg{s.n, s.inner, 1, true};
  TempSpace<Dev> tmp(ctx.run.stream, size_t(rows) * sizeof(double));
  double* nv = tmp.template as<double>();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, op, {
    const T* x = in[0].data<T>();
    const rdev::RGeom g = rdev::makeRGeom(Shape{s.outer, s.n, s.inner}, {false, true, false}, op);
    rdev::mapReduce<Dev, DSum>(ctx, g, LoadSq<T>{x}, StoreDiv{nv, 1.0});
    DeviceKernel<L2NormMap, Dev>::launch(ctx.run.stream, rows, 4, nv, out[1].data<T>(), double(p.eps));
    if (req[0] != OpReq::kNull)
      DeviceKernel<L2ForwardMap, Dev>::launch(ctx.run.stream, rows * s.n, 2, rg, x, static_cast<const double*>(nv),
                                              out[0].data<T>(), req[0]);
  });
}

template <typename Dev>
void l2Backward(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "_backward_L2Normalization";
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const nn::AxisSplit s = groupsOf(attrs.get<L2NormalizationParam>().mode, in[1].shape);
  const int64_t rows = s.outer * s.inner;
  if (rows == 0) return;
  const RowGeom rg{s.n, s.inner, 1, true};
  TempSpace<Dev> tmp(ctx.run.stream, size_t(rows) * sizeof(double));
  double* dot = tmp.template as<double>();
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, op, {
    const T* gy = in[0].data<T>();
    const T* y = in[1].data<T>();
    const rdev::RGeom g = rdev::makeRGeom(Shape{s.outer, s.n, s.inner}, {false, true, false}, op);
    rdev::mapReduce<Dev, DSum>(ctx, g, LoadProd<T>{gy, y}, StoreDiv{dot, 1.0});
    DeviceKernel<L2BackwardMap, Dev>::launch(ctx.run.stream, rows * s.n, 4, rg, gy, y, in[2].data<T>(),
                                             static_cast<const double*>(dot), out[0].data<T>(), req[0]);
  });
}

}  // namespace ndev
}  // namespace ist
