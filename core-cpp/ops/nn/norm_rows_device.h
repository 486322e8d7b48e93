// Device-generic (kernels/device.h) twin of norm_rows.h: LayerNorm, InstanceNorm, GroupNorm and
// their backward ops, plus the helpers the other normalization device computes share (loads and
// stores through double, per-channel parameter blobs as doubles). Row statistics and parameter
// gradients are reductions of ops/reduce/reduce_device.h's engine (gather style, deterministic).
// Included only from .cu files (ops/nn/normalization.cu).
#pragma once
#include <cmath>
#include <vector>
#include "kernels/device.h"
#include "kernels/device_util.h"
#include "ops/nn/layer_util.h"
#include "ops/nn/norm_params.h"
#include "ops/nn/norm_rows.h"
#include "ops/reduce/reduce_device.h"

namespace ist {
namespace ndev {

template <typename T> using CT = typename ComputeType<T>::type;

// nn::put of layer_util.h with a request, callable on the device (kernels/device_util.h's putd).
template <typename T> ISTX void dput(T* p, double v, OpReq req) { putd(p, v, req == OpReq::kAddTo); }

// Sum of doubles (the loaders produce the terms).
struct DSum {
  using Acc = double;
  ISTX static double init() { return 0.0; }
  ISTX static double step(double a, double v) { return a + v; }
  ISTX static double finish(double a, int64_t, bool) { return a; }
};

template <typename T> struct LoadX {
  const T* x;
  ISTX double operator()(int64_t off, int64_t, int64_t) const { return ldd(x[off]); }
};
// (x - center[o])^2
template <typename T> struct LoadCenteredSq {
  const T* x;
  const double* center;
  ISTX double operator()(int64_t off, int64_t o, int64_t) const {
    const double d = ldd(x[off]) - center[o];
    return d * d;
  }
};
template <typename T> struct LoadSq {
  const T* x;
  ISTX double operator()(int64_t off, int64_t, int64_t) const {
    const double v = ldd(x[off]);
    return v * v;
  }
};
// a * b
template <typename T> struct LoadProd {
  const T* a;
  const T* b;
  ISTX double operator()(int64_t off, int64_t, int64_t) const { return ldd(a[off]) * ldd(b[off]); }
};

// p[o] = div > 0 ? v / div : 0 (div 1 stores the plain value).
struct StoreDiv {
  double* p;
  double div;
  ISTX void operator()(int64_t o, double v) const { p[o] = div > 0 ? v / div : 0.0; }
};
// put(p + o, v, req)
template <typename T> struct StorePut {
  T* p;
  OpReq req;
  ISTX void operator()(int64_t o, double v) const { dput(p + o, v, req); }
};

struct ToDoubleMap {
  template <typename T> ISTX static void Map(int64_t i, const T* src, double* dst) { dst[i] = ldd(src[i]); }
};
struct FromDoubleMap {
  template <typename T> ISTX static void Map(int64_t i, const double* src, T* dst, OpReq req) {
    dput(dst + i, src[i], req);
  }
};

// A float blob (parameters, statistics) converted into n doubles at dst.
template <typename Dev>
void toDoubles(const OpContext& ctx, const TBlob& b, double* dst, const char* op) {
  IST_TYPE_SWITCH_FLOAT(b.dtype, T, op, {
    DeviceKernel<ToDoubleMap, Dev>::launch(ctx.run.stream, b.size(), 1, b.data<T>(), dst);
  });
}
template <typename Dev>
void fromDoubles(const OpContext& ctx, const TBlob& b, const double* src, OpReq req, const char* op) {
  if (req == OpReq::kNull) return;
  IST_TYPE_SWITCH_FLOAT(b.dtype, T, op, {
    DeviceKernel<FromDoubleMap, Dev>::launch(ctx.run.stream, b.size(), 1, src, b.data<T>(), req);
  });
}

// --- rows: (outer, inner) pairs; a row's n elements lie `inner` apart (nn::RowPlan) ---

struct RowGeom {
  int64_t n, inner, groups;
  bool perPosition;
  ISTX int64_t rowOf(int64_t i) const { return (i / (n * inner)) * inner + i % inner; }
  ISTX int64_t posOf(int64_t i) const { return (i / inner) % n; }
  ISTX int64_t affine(int64_t r, int64_t j) const { return perPosition ? j : r % groups; }
};
inline RowGeom rowGeomOf(const nn::RowPlan& p) { return RowGeom{p.s.n, p.s.inner, p.groups, p.perPosition}; }

// Forward per row: sd = sqrt(var + eps); mean/dev outputs (always written, as the CPU does).
struct RowStatsMap {
  template <typename T>
  ISTX static void Map(int64_t r, const double* mu, const double* var, double* inv, T* mean, T* dev, double eps,
                       bool storeVar) {
    const double sd = ::sqrt(var[r] + eps);
    inv[r] = 1.0 / sd;
    mean[r] = std_<T>(mu[r]);
    dev[r] = std_<T>(storeVar ? var[r] : sd);
  }
};

struct RowsForwardMap {
  template <typename T>
  ISTX static void Map(int64_t i, const RowGeom& g, const T* x, const T* gamma, const T* beta, const double* mu,
                       const double* inv, T* out, OpReq req) {
    const int64_t r = g.rowOf(i), a = g.affine(r, g.posOf(i));
    dput(out + i, (ldd(x[i]) - mu[r]) * inv[r] * ldd(gamma[a]) + ldd(beta[a]), req);
  }
};

template <typename Dev, typename T>
void normRowsForward(const OpContext& ctx, const nn::RowPlan& p, const T* x, const T* gamma, const T* beta, T* out,
                     T* mean, T* dev, double eps, bool storeVar, OpReq req, const char* op) {
  const int64_t rows = p.rows(), n = p.s.n;
  if (rows == 0) return;
  void* s = ctx.run.stream;
  TempSpace<Dev> tmp(s, size_t(rows) * 3 * sizeof(double));
  double* mu = tmp.template as<double>();
  double* var = mu + rows;
  double* inv = var + rows;
  const rdev::RGeom g = rdev::makeRGeom(Shape{p.s.outer, n, p.s.inner}, {false, true, false}, op);
  rdev::mapReduce<Dev, DSum>(ctx, g, LoadX<T>{x}, StoreDiv{mu, double(n)});
  rdev::mapReduce<Dev, DSum>(ctx, g, LoadCenteredSq<T>{x, mu}, StoreDiv{var, double(n)});
  DeviceKernel<RowStatsMap, Dev>::launch(s, rows, 4, static_cast<const double*>(mu), static_cast<const double*>(var),
                                         inv, mean, dev, eps, storeVar);
  if (req == OpReq::kNull) return;
  DeviceKernel<RowsForwardMap, Dev>::launch(s, rows * n, 4, rowGeomOf(p), x, gamma, beta,
                                            static_cast<const double*>(mu), static_cast<const double*>(inv), out,
                                            req);
}

// Backward per row: mu and 1 / sd from the stored statistics.
struct RowBackStatsMap {
  template <typename T>
  ISTX static void Map(int64_t r, const T* mean, const T* dev, double* mu, double* inv, double eps, bool storedVar) {
    const double d = ldd(dev[r]);
    const double sd = storedVar ? ::sqrt(d + eps) : d;
    mu[r] = ldd(mean[r]);
    inv[r] = 1.0 / sd;
  }
};

// Loaders of the backward sums: kind 0 dxh = og * gamma[a]; 1 dxh * xh; 2 og * xh; 3 og.
template <typename T, int kKind> struct RowBackLoad {
  RowGeom g;
  const T* og;
  const T* x;
  const T* gamma;
  const double* mu;
  const double* inv;
  ISTX double operator()(int64_t off, int64_t, int64_t) const {
    const double gv = ldd(og[off]);
    if constexpr (kKind == 3) {
      return gv;
    } else {
      const int64_t r = g.rowOf(off);
      if constexpr (kKind == 0) return gv * ldd(gamma[g.affine(r, g.posOf(off))]);
      const double xh = (ldd(x[off]) - mu[r]) * inv[r];
      if constexpr (kKind == 2) return gv * xh;
      return gv * ldd(gamma[g.affine(r, g.posOf(off))]) * xh;
    }
  }
};

struct RowsBackwardMap {
  template <typename T>
  ISTX static void Map(int64_t i, const RowGeom& g, const T* og, const T* x, const T* gamma, const double* mu,
                       const double* inv, const double* sumD, const double* sumDX, T* dx, OpReq req) {
    const int64_t r = g.rowOf(i);
    const double nn_ = static_cast<double>(g.n);
    const double mD = sumD[r] / nn_, mDX = sumDX[r] / nn_;
    const double xh = (ldd(x[i]) - mu[r]) * inv[r];
    const double dxh = ldd(og[i]) * ldd(gamma[g.affine(r, g.posOf(i))]);
    dput(dx + i, (dxh - mD - xh * mDX) * inv[r], req);
  }
};

template <typename Dev, typename T>
void normRowsBackward(const OpContext& ctx, const nn::RowPlan& p, const T* og, const T* x, const T* gamma,
                      const T* mean, const T* dev, double eps, bool storedVar, T* dx, T* dgamma, T* dbeta,
                      int64_t nParams, const std::vector<OpReq>& req, const char* op) {
  const int64_t rows = p.rows(), n = p.s.n;
  void* s = ctx.run.stream;
  const RowGeom rg = rowGeomOf(p);
  TempSpace<Dev> tmp(s, size_t(rows > 0 ? rows : 1) * 4 * sizeof(double));
  double* mu = tmp.template as<double>();
  double* inv = mu + rows;
  double* sumD = inv + rows;
  double* sumDX = sumD + rows;
  const double* cmu = mu;
  const double* cinv = inv;
  const bool writeDx = rows > 0 && req[0] != OpReq::kNull && n != 0;
  if (rows > 0) DeviceKernel<RowBackStatsMap, Dev>::launch(s, rows, 4, mean, dev, mu, inv, eps, storedVar);
  if (writeDx) {
    const rdev::RGeom g = rdev::makeRGeom(Shape{p.s.outer, n, p.s.inner}, {false, true, false}, op);
    rdev::mapReduce<Dev, DSum>(ctx, g, RowBackLoad<T, 0>{rg, og, x, gamma, cmu, cinv}, StoreDiv{sumD, 1.0});
    rdev::mapReduce<Dev, DSum>(ctx, g, RowBackLoad<T, 1>{rg, og, x, gamma, cmu, cinv}, StoreDiv{sumDX, 1.0});
  }
  // Parameter sums (before dx is written, in case dx is og's storage): per position j (data as
  // [outer, n, inner]) or per row % groups (data as [rows / groups, groups, n]).
  if (nParams > 0) {
    Shape view;
    if (p.perPosition) view = Shape{p.s.outer, n, p.s.inner};
    else view = Shape{p.groups == 0 ? 0 : rows / p.groups, p.groups, n};
    const rdev::RGeom g = rdev::makeRGeom(view, {true, false, true}, op);
    if (req[1] != OpReq::kNull)
      rdev::mapReduce<Dev, DSum>(ctx, g, RowBackLoad<T, 2>{rg, og, x, gamma, cmu, cinv}, StorePut<T>{dgamma, req[1]});
    if (req[2] != OpReq::kNull)
      rdev::mapReduce<Dev, DSum>(ctx, g, RowBackLoad<T, 3>{rg, og, x, gamma, cmu, cinv}, StorePut<T>{dbeta, req[2]});
  }
  if (writeDx)
    DeviceKernel<RowsBackwardMap, Dev>::launch(s, rows * n, 10, rg, og, x, gamma, cmu, cinv,
                                               static_cast<const double*>(sumD), static_cast<const double*>(sumDX), dx,
                                               req[0]);
}

// --- LayerNorm / InstanceNorm / GroupNorm (row plans in norm_rows.h) ---

using nn::groupPlan;
using nn::instancePlan;
using nn::layerPlan;

template <typename Dev>
void layerNormCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const nn::RowPlan p = layerPlan(attrs, in[0].shape);
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "LayerNorm", {
    normRowsForward<Dev, T>(ctx, p, in[0].data<T>(), in[1].data<T>(), in[2].data<T>(), out[0].data<T>(),
                            out[1].data<T>(), out[2].data<T>(), attrs.get<LayerNormParam>().eps, false, req[0],
                            "LayerNorm");
  });
}

template <typename Dev>
void layerNormBackward(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const nn::RowPlan p = layerPlan(attrs, in[1].shape);
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, "_backward_LayerNorm", {
    normRowsBackward<Dev, T>(ctx, p, in[0].data<T>(), in[1].data<T>(), in[2].data<T>(), in[3].data<T>(),
                             in[4].data<T>(), attrs.get<LayerNormParam>().eps, false, out[0].data<T>(),
                             out[1].data<T>(), out[2].data<T>(), in[2].size(), req, "_backward_LayerNorm");
  });
}

template <typename Dev>
void instanceNormCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                         const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "InstanceNorm", {
    normRowsForward<Dev, T>(ctx, instancePlan(in[0].shape), in[0].data<T>(), in[1].data<T>(), in[2].data<T>(),
                            out[0].data<T>(), out[1].data<T>(), out[2].data<T>(),
                            attrs.get<InstanceNormParam>().eps, true, req[0], "InstanceNorm");
  });
}

template <typename Dev>
void instanceNormBackward(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, "_backward_InstanceNorm", {
    normRowsBackward<Dev, T>(ctx, instancePlan(in[1].shape), in[0].data<T>(), in[1].data<T>(), in[2].data<T>(),
                             in[3].data<T>(), in[4].data<T>(), attrs.get<InstanceNormParam>().eps, true,
                             out[0].data<T>(), out[1].data<T>(), out[2].data<T>(), in[2].size(), req,
                             "_backward_InstanceNorm");
  });
}

template <typename Dev>
void groupNormCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "GroupNorm", {
    normRowsForward<Dev, T>(ctx, groupPlan(attrs, in[0].shape), in[0].data<T>(), in[1].data<T>(), in[2].data<T>(),
                            out[0].data<T>(), out[1].data<T>(), out[2].data<T>(), attrs.get<GroupNormParam>().eps,
                            false, req[0], "GroupNorm");
  });
}

template <typename Dev>
void groupNormBackward(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, "_backward_GroupNorm", {
    normRowsBackward<Dev, T>(ctx, groupPlan(attrs, in[1].shape), in[0].data<T>(), in[1].data<T>(), in[2].data<T>(),
                             in[3].data<T>(), in[4].data<T>(), attrs.get<GroupNormParam>().eps, false,
                             out[0].data<T>(), out[1].data<T>(), out[2].data<T>(), in[2].size(), req,
                             "_backward_GroupNorm");
  });
}

}  // namespace ndev
}  // namespace ist
