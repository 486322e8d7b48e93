// Device-generic Pooling and _backward_Pooling (kernels/device.h), with pooling.cc's window rules:
// one Map call per output element forward; backward is gather-style (one Map call per data
// element sums the windows that contain it, in output order, as the CPU's scatter adds them), so
// it is deterministic and needs no atomics. max's gradient goes to the first element of each
// window equal to the output, found first by one Map call per output element.
#pragma once
#include <limits>
#include <math.h>
#include <vector>
#include "kernels/device.h"
#include "ops/nn/im2col_device.h"
#include "ops/nn/pooling_params.h"

namespace ist {
namespace pooling_detail {

// The plan as plain data, held as 3 spatial dims (leading unit dims for 1-D/2-D), with element
// strides of the data (x) and output (y) views.
struct PoolGeom {
  int64_t in[3], out[3], k[3], s[3], p[3];
  int64_t C;
  bool channelLast, countPad;
  int kind, pv;  // Kind as int, p_value
  int64_t xn, xc, xsp[3], yn, yc, ysp[3];
};

inline void viewStrides(const Plan& pl, const int64_t* dims, int64_t* n, int64_t* c, int64_t* sp) {
  const int64_t sz = dims[0] * dims[1] * dims[2];
  if (pl.channelLast) {
    *c = 1;
    sp[2] = pl.C;
    sp[1] = dims[2] * pl.C;
    sp[0] = dims[1] * dims[2] * pl.C;
  } else {
    sp[2] = 1;
    sp[1] = dims[2];
    sp[0] = dims[1] * dims[2];
    *c = sz;
  }
  *n = sz * pl.C;
}

inline PoolGeom poolGeom(const Plan& pl) {
  PoolGeom g;
  for (int i = 0; i < 3; ++i) {
    g.in[i] = g.out[i] = g.k[i] = g.s[i] = 1;
    g.p[i] = 0;
  }
  const int off = 3 - pl.nd;
  for (int i = 0; i < pl.nd; ++i) {
    g.in[off + i] = pl.in[i];
    g.out[off + i] = pl.out[i];
    g.k[off + i] = pl.kernel[i];
    g.s[off + i] = pl.stride[i];
    g.p[off + i] = pl.pad[i];
  }
  g.C = pl.C;
  g.channelLast = pl.channelLast;
  g.countPad = pl.countPad;
  g.kind = static_cast<int>(pl.kind);
  g.pv = pl.p;
  viewStrides(pl, g.in, &g.xn, &g.xc, g.xsp);
  viewStrides(pl, g.out, &g.yn, &g.yc, g.ysp);
  return g;
}

constexpr int kMaxK = static_cast<int>(Kind::kMax), kAvgK = static_cast<int>(Kind::kAvg),
              kSumK = static_cast<int>(Kind::kSum), kLpK = static_cast<int>(Kind::kLp);

ISTX int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
ISTX int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

// Splits a contiguous element index of an (N, C, d0, d1, d2) array (or channel-last) into
// (n, c, spatial); returns n * C + c.
ISTX int64_t splitIndex(int64_t i, const int64_t* dims, int64_t C, bool channelLast, int64_t* sp) {
  int64_t c = 0;
  if (channelLast) {
    c = i % C;
    i /= C;
  }
  sp[2] = i % dims[2];
  i /= dims[2];
  sp[1] = i % dims[1];
  i /= dims[1];
  sp[0] = i % dims[0];
  i /= dims[0];
  if (!channelLast) {
    c = i % C;
    i /= C;
  }
  return i * C + c;
}

// The clipped window of output position o: [lo, hi) per dim; returns the divisor avg uses.
ISTX int64_t poolWindow(const PoolGeom& g, const int64_t* o, int64_t* lo, int64_t* hi) {
  int64_t padded = 1, real = 1;
  for (int i = 0; i < 3; ++i) {
    const int64_t st = o[i] * g.s[i] - g.p[i];
    const int64_t en = imin(st + g.k[i], g.in[i] + g.p[i]);
    padded *= en - st;
    lo[i] = imax(st, 0);
    hi[i] = imin(en, g.in[i]);
    real *= imax(hi[i] - lo[i], 0);
  }
  return g.countPad ? padded : real;
}

ISTX float rootP(float v, int p) { return p == 1 ? v : p == 2 ? ::sqrtf(v) : ::cbrtf(v); }
ISTX double rootP(double v, int p) { return p == 1 ? v : p == 2 ? ::sqrt(v) : ::cbrt(v); }

struct PoolForwardMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* y, const T* x, PoolGeom g, bool add) {
    int64_t o[3], lo[3], hi[3];
    const int64_t plane = splitIndex(i, g.out, g.C, g.channelLast, o);
    const int64_t size = poolWindow(g, o, lo, hi);
    const T* xp = x + (plane / g.C) * g.xn + (plane % g.C) * g.xc;
    const int64_t len = imax(hi[2] - lo[2], 0);
    T r;
    if (g.kind == kMaxK) {
      r = std::numeric_limits<T>::lowest();
      for (int64_t a = lo[0]; a < hi[0]; ++a)
        for (int64_t b = lo[1]; b < hi[1]; ++b)
          r = rowMax(xp + a * g.xsp[0] + b * g.xsp[1] + lo[2] * g.xsp[2], len, g.xsp[2], r);
    } else {
      T acc = 0;
      for (int64_t a = lo[0]; a < hi[0]; ++a)
        for (int64_t b = lo[1]; b < hi[1]; ++b) {
          const T* row = xp + a * g.xsp[0] + b * g.xsp[1] + lo[2] * g.xsp[2];
          if (g.pv == 1) {
            acc += rowSum(row, len, g.xsp[2]);
          } else {
            for (int64_t c = 0; c < len; ++c) {
              const T v = row[c * g.xsp[2]];
              acc += g.pv == 2 ? v * v : v * v * v;
            }
          }
        }
      if (g.kind == kAvgK) r = size > 0 ? acc / T(size) : T(0);
      else if (g.kind == kLpK) r = rootP(acc, g.pv);
      else r = acc;
    }
    y[i] = add ? y[i] + r : r;
  }
};

// arg[i]: the data offset (within its (n, c) plane) of the first element of output i's window
// equal to the forward output y[i], or -1.
struct PoolArgFirstMap {
  template <typename T>
  ISTX static void Map(int64_t i, int64_t* arg, const T* x, const T* y, PoolGeom g) {
    int64_t o[3], lo[3], hi[3];
    const int64_t plane = splitIndex(i, g.out, g.C, g.channelLast, o);
    poolWindow(g, o, lo, hi);
    const T* xp = x + (plane / g.C) * g.xn + (plane % g.C) * g.xc;
    const T out = y[i];
    for (int64_t a = lo[0]; a < hi[0]; ++a)
      for (int64_t b = lo[1]; b < hi[1]; ++b)
        for (int64_t c = lo[2]; c < hi[2]; ++c) {
          const int64_t xi = a * g.xsp[0] + b * g.xsp[1] + c * g.xsp[2];
          if (xp[xi] == out) {
            arg[i] = xi;
            return;
          }
        }
    arg[i] = -1;
  }
};

// dx[i] (=|+=) the sum over the windows containing data element i, in output order.
struct PoolBackwardMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* dx, const T* og, const T* x, const T* y, const int64_t* arg, PoolGeom g,
                       bool add) {
    int64_t e[3], olo[3], ohi[3];
    const int64_t plane = splitIndex(i, g.in, g.C, g.channelLast, e);
    const int64_t xi = e[0] * g.xsp[0] + e[1] * g.xsp[1] + e[2] * g.xsp[2];
    // Windows o with o*s - p <= e < o*s - p + k.
    for (int d = 0; d < 3; ++d) {
      const int64_t num = e[d] + g.p[d] - g.k[d] + 1;  // o >= ceil(num / s)
      olo[d] = imax(0, num >= 0 ? (num + g.s[d] - 1) / g.s[d] : -((-num) / g.s[d]));
      ohi[d] = imin(g.out[d], (e[d] + g.p[d]) / g.s[d] + 1);
    }
    const int64_t ybase = (plane / g.C) * g.yn + (plane % g.C) * g.yc;
    const T xv = x[i];
    T acc = add ? dx[i] : T(0);
    int64_t o[3], lo[3], hi[3];
    for (o[0] = olo[0]; o[0] < ohi[0]; ++o[0])
      for (o[1] = olo[1]; o[1] < ohi[1]; ++o[1])
        for (o[2] = olo[2]; o[2] < ohi[2]; ++o[2]) {
          const int64_t oi = ybase + o[0] * g.ysp[0] + o[1] * g.ysp[1] + o[2] * g.ysp[2];
          const T gv = og[oi];
          if (g.kind == kMaxK) {
            if (arg[oi] == xi) acc += gv;
            continue;
          }
          T scale = T(1);
          if (g.kind == kAvgK) {
            const int64_t size = poolWindow(g, o, lo, hi);
            scale = size > 0 ? T(1) / T(size) : T(0);
          }
          T dv = gv;
          if (g.kind == kLpK && g.pv > 1) {
            const T out = y[oi];
            const T ratio = out == T(0) ? T(0) : xv / out;
            dv = g.pv == 2 ? gv * ratio : gv * ratio * ratio;
          }
          acc += dv * scale;
        }
    dx[i] = acc;
  }
};

template <typename Dev, typename T>
void forwardDev(const OpContext& ctx, const Plan& pl, const T* x, T* y, int64_t outCount, OpReq req) {
  const PoolGeom g = poolGeom(pl);
  const int64_t kSz = g.k[0] * g.k[1] * g.k[2];
  DeviceKernel<PoolForwardMap, Dev>::launch(ctx.run.stream, outCount, kSz, y, x, g, req == OpReq::kAddTo);
}

template <typename Dev, typename T>
void backwardDev(const OpContext& ctx, const Plan& pl, const T* og, const T* x, const T* y, T* dx, int64_t outCount,
                 int64_t inCount, OpReq req) {
  const PoolGeom g = poolGeom(pl);
  const int64_t kSz = g.k[0] * g.k[1] * g.k[2];
  TempSpace<Dev> arg(ctx.run.stream, static_cast<size_t>(pl.kind == Kind::kMax ? outCount : 0) * sizeof(int64_t));
  if (pl.kind == Kind::kMax)
    DeviceKernel<PoolArgFirstMap, Dev>::launch(ctx.run.stream, outCount, kSz, arg.template as<int64_t>(), x, y, g);
  DeviceKernel<PoolBackwardMap, Dev>::launch(ctx.run.stream, inCount, kSz, dx, og, x, y,
                                             arg.template as<const int64_t>(), g, req == OpReq::kAddTo);
}

template <typename Dev>
void poolComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const Plan pl = makePlan(attrs.get<PoolingParam>(), in[0].shape, kOp);
  conv::runFloatDev<Dev>(ctx, kOp, in, req, out, [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    using T = decltype(t);
    forwardDev<Dev, T>(ctx, pl, i[0].data<T>(), o[0].data<T>(), o[0].size(), req[0]);
  });
}

// inputs: ograd, data, output (forward's); output: d data.
template <typename Dev>
void poolBackwardComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                            const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const Plan pl = makePlan(attrs.get<PoolingParam>(), in[1].shape, "_backward_Pooling");
  conv::runFloatDev<Dev>(ctx, "_backward_Pooling", in, req, out,
                         [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
                           using T = decltype(t);
                           backwardDev<Dev, T>(ctx, pl, i[0].data<T>(), i[1].data<T>(), i[2].data<T>(),
                                               o[0].data<T>(), i[0].size(), o[0].size(), req[0]);
                         });
}

}  // namespace pooling_detail
}  // namespace ist
