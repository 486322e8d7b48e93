// Correlation (FlowNet's correlation layer, MXNet's `Correlation`): parameters, geometry and the
// device-generic computes of the forward and of _backward_Correlation, shared by correlation.cc
// (CPU compute, registration) and correlation.cu (GPU computes and their CPU twins).
//
// MXNet's arithmetic, in padded coordinates (data zero-padded by pad_size on each side):
// output (n, q, i, j), q = (p + R) * D + (o + R) for grid offsets p (rows), o (columns) in [-R, R],
// R = max_displacement / stride2, D = 2R + 1, compares the k x k patch whose top-left corner is
// (y1, x1) = (i * stride1 + max_displacement, j * stride1 + max_displacement) in data1 with the
// patch at (y1 + p * stride2, x1 + o * stride2) in data2, over every channel:
//   out = sum_{c, h, w} f(data1[c, y1 + h, x1 + w], data2[c, y2 + h, x2 + w]) / (k * k * C)
// with f(a, b) = a * b (is_multiply) or |a - b|. top_h = ceil((H + 2 pad - 2 border) / stride1),
// border = max_displacement + (k - 1) / 2 (top_w likewise).
//
// The gradient is gathered: each data element sums the contributions of the outputs whose patches
// cover it (no atomics, the same order on every device). d data1 uses df/da = b (or sign: +1 when
// a >= b, else -1); d data2 uses a (or -1 when a >= b, else +1), as MXNet's kernels do.
//
// MXNet also returns two hidden outputs, tmp1 and tmp2: the padded inputs in (N, H + 2 pad,
// W + 2 pad, C) layout. The forward writes them first and reads its patches from them, as MXNet's
// does (each pixel's channels contiguous, no bounds checks); the gradient makes the same copies in
// scratch from data1 and data2, which it takes as inputs.
#pragma once
#include <cstdint>
#include <vector>
#include "base/dtype.h"
#include "base/error.h"
#include "base/macros.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"

namespace ist {
namespace correlation {

constexpr const char* kOp = "Correlation";
constexpr const char* kBack = "_backward_Correlation";
constexpr int kMaxParam = 0x7fffffff;  // MXNet's fields are uint32; these are int, non-negative

struct CorrelationParam {
  int kernel_size = 1;
  int max_displacement = 1;
  int stride1 = 1;
  int stride2 = 1;
  int pad_size = 0;
  bool is_multiply = true;
  static void declare(ParamDecl<CorrelationParam>& d) {
    d.field("kernel_size", &CorrelationParam::kernel_size).setDefault(1).range(0, kMaxParam)
        .doc("kernel size for Correlation must be an odd number");
    d.field("max_displacement", &CorrelationParam::max_displacement).setDefault(1).range(0, kMaxParam)
        .doc("Max displacement of Correlation ");
    d.field("stride1", &CorrelationParam::stride1).setDefault(1).range(1, kMaxParam)
        .doc("stride1 quantize data1 globally");
    d.field("stride2", &CorrelationParam::stride2).setDefault(1).range(1, kMaxParam)
        .doc("stride2 quantize data2 within the neighborhood centered around data1");
    d.field("pad_size", &CorrelationParam::pad_size).setDefault(0).range(0, kMaxParam).doc("pad for Correlation");
    d.field("is_multiply", &CorrelationParam::is_multiply).setDefault(true)
        .doc("operation type is either multiplication or subduction");
  }
};

// Sizes of data (N, C, H, W), the parameters, the displacement grid and the output grid.
struct CorrGeom {
  int64_t N, C, H, W;
  int64_t pad, k, md, s1, s2;
  int64_t R, D;    // grid radius and width: D * D output channels
  int64_t TH, TW;  // output rows and columns (<= 0: the patches do not fit)
  bool mul;
};

// The geometry for data of shape `d` (4-D); TH/TW may come out <= 0, which the shape rule refuses.
inline CorrGeom corrGeom(const CorrelationParam& p, const Shape& d) {
  CorrGeom g{};
  g.N = d[0], g.C = d[1], g.H = d[2], g.W = d[3];
  g.pad = p.pad_size, g.k = p.kernel_size, g.md = p.max_displacement, g.s1 = p.stride1, g.s2 = p.stride2;
  g.R = g.md / g.s2;
  g.D = 2 * g.R + 1;
  const int64_t border = g.md + (g.k - 1) / 2;
  const int64_t spanH = g.H + 2 * g.pad - 2 * border, spanW = g.W + 2 * g.pad - 2 * border;
  g.TH = spanH > 0 ? (spanH + g.s1 - 1) / g.s1 : 0;  // ceil(span / stride1)
  g.TW = spanW > 0 ? (spanW + g.s1 - 1) / g.s1 : 0;
  g.mul = p.is_multiply;
  return g;
}

ISTX int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
ISTX int64_t ceilDiv(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

// Element (y, x) of plane `plane` (n * C + c) in data coordinates; zero in the padding.
template <typename T>
ISTX typename ComputeType<T>::type corrAt(const T* x, const CorrGeom& g, int64_t plane, int64_t y, int64_t xx) {
  using C = typename ComputeType<T>::type;
  if (y < 0 || y >= g.H || xx < 0 || xx >= g.W) return C(0);
  return static_cast<C>(x[(plane * g.H + y) * g.W + xx]);
}

template <typename C>
ISTX C absDiff(C a, C b) {
  const C d = a - b;
  return d < C(0) ? -d : d;
}

// Output o = ((n * D * D + q) * TH + i) * TW + j, from the padded channels-last copies p1, p2
// (tmp1/tmp2): every patch lies inside them, and each pixel's channels are contiguous. The sum
// runs over h, w, then c, MXNet's order.
struct CorrForwardMap {
  template <typename T>
  ISTX static void Map(int64_t o, T* y, const T* p1, const T* p2, CorrGeom g, bool add) {
    using C = typename ComputeType<T>::type;
    const int64_t j = o % g.TW, i = (o / g.TW) % g.TH, q = (o / (g.TW * g.TH)) % (g.D * g.D);
    const int64_t n = o / (g.TW * g.TH * g.D * g.D);
    const int64_t Hp = g.H + 2 * g.pad, Wp = g.W + 2 * g.pad;
    const int64_t y1 = i * g.s1 + g.md, x1 = j * g.s1 + g.md;  // padded coordinates
    const int64_t y2 = y1 + (q / g.D - g.R) * g.s2, x2 = x1 + (q % g.D - g.R) * g.s2;
    C acc = C(0);
    for (int64_t h = 0; h < g.k; ++h)
      for (int64_t w = 0; w < g.k; ++w) {
        const T* a = p1 + ((n * Hp + y1 + h) * Wp + x1 + w) * g.C;
        const T* b = p2 + ((n * Hp + y2 + h) * Wp + x2 + w) * g.C;
        if (g.mul)
          for (int64_t c = 0; c < g.C; ++c) acc += static_cast<C>(a[c]) * static_cast<C>(b[c]);
        else
          for (int64_t c = 0; c < g.C; ++c) acc += absDiff(static_cast<C>(a[c]), static_cast<C>(b[c]));
      }
    const C v = acc / static_cast<C>(g.k * g.k * g.C);
    y[o] = add ? T(static_cast<C>(y[o]) + v) : T(v);
  }
};

// tmp1/tmp2 element t = ((n * Hp + yp) * Wp + xp) * C + c: the padded inputs, channels last.
struct CorrPadMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* t1, T* t2, const T* a, const T* b, CorrGeom g, int req1, int req2) {
    using C = typename ComputeType<T>::type;
    const int64_t Wp = g.W + 2 * g.pad, Hp = g.H + 2 * g.pad;
    const int64_t c = t % g.C, xp = (t / g.C) % Wp, yp = (t / (g.C * Wp)) % Hp, n = t / (g.C * Wp * Hp);
    const int64_t plane = n * g.C + c;
    if (req1 != 0) {
      const C v = corrAt(a, g, plane, yp - g.pad, xp - g.pad);
      t1[t] = req1 == 2 ? T(static_cast<C>(t1[t]) + v) : T(v);
    }
    if (req2 != 0) {
      const C v = corrAt(b, g, plane, yp - g.pad, xp - g.pad);
      t2[t] = req2 == 2 ? T(static_cast<C>(t2[t]) + v) : T(v);
    }
  }
};

// [lo, hi] of the output positions along one axis whose patch (k wide, starting at pos * s1 + md
// + shift in padded coordinates) covers padded coordinate m; empty when lo > hi.
ISTX void corrCover(int64_t m, int64_t shift, const CorrGeom& g, int64_t top, int64_t* lo, int64_t* hi) {
  const int64_t base = m - shift - g.md;
  // stride1 1 (FlowNet's) needs no division.
  const int64_t a = g.s1 == 1 ? base - (g.k - 1) : ceilDiv(base - (g.k - 1), g.s1);
  const int64_t b = g.s1 == 1 ? base : floorDiv(base, g.s1);
  *lo = a > 0 ? a : 0;
  *hi = b < top - 1 ? b : top - 1;
}

// Sum of og over the output rectangle [i0, i1] x [j0, j1] of channel q of image n.
template <typename T>
ISTX typename ComputeType<T>::type corrOgSum(const T* og, const CorrGeom& g, int64_t n, int64_t q, int64_t i0,
                                            int64_t i1, int64_t j0, int64_t j1) {
  using C = typename ComputeType<T>::type;
  C s = C(0);
  const T* base = og + (n * g.D * g.D + q) * g.TH * g.TW;
  for (int64_t i = i0; i <= i1; ++i)
    for (int64_t j = j0; j <= j1; ++j) s += static_cast<C>(base[i * g.TW + j]);
  return s;
}

// The gradients are computed channels last, element t = ((n * H + y) * W + x) * C + c, from the
// padded copies p1, p2: neighbouring elements then read the same output gradients and neighbouring
// data. Every position read below lies inside the padded copies, since it belongs to a patch of
// some output. acc gets the gradient in the compute type.
//
// d data1: every output whose data1 patch covers the element, at each displacement (p, o), pairs
// it with data2 at (y + p * s2, x + o * s2). q = (p + R) * D + o + R runs in order.
struct CorrGrad1Map {
  template <typename T, typename C>
  ISTX static void Map(int64_t t, C* acc, const T* og, const T* p1, const T* p2, CorrGeom g) {
    const int64_t c = t % g.C, px = t / g.C, x = px % g.W, y = (px / g.W) % g.H, n = px / (g.W * g.H);
    const int64_t Hp = g.H + 2 * g.pad, Wp = g.W + 2 * g.pad;
    int64_t i0, i1, j0, j1;
    corrCover(y + g.pad, 0, g, g.TH, &i0, &i1);
    corrCover(x + g.pad, 0, g, g.TW, &j0, &j1);
    C sum = C(0);
    if (i0 <= i1 && j0 <= j1) {
      const int64_t at = ((n * Hp + y + g.pad) * Wp + x + g.pad) * g.C + c;
      const C va = static_cast<C>(p1[at]);
      int64_t q = 0;
      for (int64_t pp = -g.R; pp <= g.R; ++pp)
        for (int64_t oo = -g.R; oo <= g.R; ++oo, ++q) {
          const C vb = static_cast<C>(p2[at + (pp * g.s2 * Wp + oo * g.s2) * g.C]);
          const C d = g.mul ? vb : (va >= vb ? C(1) : C(-1));
          sum += d * corrOgSum(og, g, n, q, i0, i1, j0, j1);
        }
    }
    acc[t] = sum / static_cast<C>(g.k * g.k * g.C);
  }
};

// d data2: for each displacement (p, o), the outputs whose data2 patch covers the element (their
// data1 patches start p * s2, o * s2 earlier) pair it with data1 at (y - p * s2, x - o * s2).
struct CorrGrad2Map {
  template <typename T, typename C>
  ISTX static void Map(int64_t t, C* acc, const T* og, const T* p1, const T* p2, CorrGeom g) {
    const int64_t c = t % g.C, px = t / g.C, x = px % g.W, y = (px / g.W) % g.H, n = px / (g.W * g.H);
    const int64_t Hp = g.H + 2 * g.pad, Wp = g.W + 2 * g.pad;
    const int64_t at = ((n * Hp + y + g.pad) * Wp + x + g.pad) * g.C + c;
    const C vb = static_cast<C>(p2[at]);
    C sum = C(0);
    int64_t q = 0;
    for (int64_t pp = -g.R; pp <= g.R; ++pp, q += g.D) {
      const int64_t dy = pp * g.s2;
      int64_t i0, i1;
      corrCover(y + g.pad, dy, g, g.TH, &i0, &i1);
      if (i0 > i1) continue;
      for (int64_t oo = -g.R; oo <= g.R; ++oo) {
        const int64_t dx = oo * g.s2;
        int64_t j0, j1;
        corrCover(x + g.pad, dx, g, g.TW, &j0, &j1);
        if (j0 > j1) continue;
        const C va = static_cast<C>(p1[at - (dy * Wp + dx) * g.C]);
        const C d = g.mul ? va : (va >= vb ? C(-1) : C(1));
        sum += d * corrOgSum(og, g, n, q + oo + g.R, i0, i1, j0, j1);
      }
    }
    acc[t] = sum / static_cast<C>(g.k * g.k * g.C);
  }
};

// gx (NCHW, element e) = (gx +) acc (channels last), narrowed to T.
struct CorrGradStoreMap {
  template <typename T, typename C>
  ISTX static void Map(int64_t e, T* gx, const C* acc, CorrGeom g, bool add) {
    const int64_t x = e % g.W, y = (e / g.W) % g.H, c = (e / (g.W * g.H)) % g.C, n = e / (g.W * g.H * g.C);
    const C v = acc[((n * g.H + y) * g.W + x) * g.C + c];
    gx[e] = add ? T(static_cast<C>(gx[e]) + v) : T(v);
  }
};

inline int reqCode(OpReq r) { return r == OpReq::kNull ? 0 : r == OpReq::kAddTo ? 2 : 1; }

// Inputs (data1, data2); outputs (output, tmp1, tmp2). The padded copies are made first, into
// tmp1/tmp2 when they are plainly written (the usual case), else into scratch.
template <typename Dev>
void corrForwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const CorrGeom g = corrGeom(attrs.get<CorrelationParam>(), in[0].shape);
  void* s = ctx.run.stream;
  const int64_t padded = g.N * (g.H + 2 * g.pad) * (g.W + 2 * g.pad) * g.C;
  const int r1 = out.size() > 1 ? reqCode(req[1]) : 0, r2 = out.size() > 2 ? reqCode(req[2]) : 0;
  const bool direct = r1 == 1 && r2 == 1;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kOp, {
    const T* a = in[0].data<T>();
    const T* b = in[1].data<T>();
    const bool needFwd = req[0] != OpReq::kNull && out[0].size() > 0;
    if (direct) {
      DeviceKernel<CorrPadMap, Dev>::launch(s, padded, 8, out[1].data<T>(), out[2].data<T>(), a, b, g, 1, 1);
      if (needFwd)
        DeviceKernel<CorrForwardMap, Dev>::launch(s, out[0].size(), 3 * g.k * g.k * g.C + 8, out[0].data<T>(),
                                                  static_cast<const T*>(out[1].data<T>()),
                                                  static_cast<const T*>(out[2].data<T>()), g,
                                                  req[0] == OpReq::kAddTo);
      return;
    }
    if (needFwd) {
      TempSpace<Dev> tmp(s, static_cast<size_t>(2 * padded) * sizeof(T));
      T* p1 = tmp.template as<T>();
      T* p2 = p1 + padded;
      DeviceKernel<CorrPadMap, Dev>::launch(s, padded, 8, p1, p2, a, b, g, 1, 1);
      DeviceKernel<CorrForwardMap, Dev>::launch(s, out[0].size(), 3 * g.k * g.k * g.C + 8, out[0].data<T>(),
                                                static_cast<const T*>(p1), static_cast<const T*>(p2), g,
                                                req[0] == OpReq::kAddTo);
    }
    if (r1 != 0 || r2 != 0)
      DeviceKernel<CorrPadMap, Dev>::launch(s, padded, 8, r1 ? out[1].data<T>() : nullptr,
                                            r2 ? out[2].data<T>() : nullptr, a, b, g, r1, r2);
  });
}

// Inputs (ograd, data1, data2); outputs (d data1, d data2). Scratch: the padded copies, then each
// gradient channels last in the compute type.
template <typename Dev>
void corrBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const CorrGeom g = corrGeom(attrs.get<CorrelationParam>(), in[1].shape);
  const int64_t total = out[0].size();
  if (total == 0 || (req[0] == OpReq::kNull && req[1] == OpReq::kNull)) return;
  void* s = ctx.run.stream;
  const int64_t padded = g.N * (g.H + 2 * g.pad) * (g.W + 2 * g.pad) * g.C;
  // Rough work per element: D * D displacements, each summing the outputs that cover it.
  const int64_t cover = ((g.k + g.s1 - 1) / g.s1) * ((g.k + g.s1 - 1) / g.s1);
  const int64_t cost = g.D * g.D * (cover + 3) + 8;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kBack, {
    using C = typename ComputeType<T>::type;
    ScratchLayout lay;
    const size_t o1 = lay.add<T>(padded), o2 = lay.add<T>(padded), oa = lay.add<C>(total);
    TempSpace<Dev> tmp(s, lay.bytes());
    T* p1 = ScratchLayout::at<T>(tmp.get(), o1);
    T* p2 = ScratchLayout::at<T>(tmp.get(), o2);
    C* acc = ScratchLayout::at<C>(tmp.get(), oa);
    const T* og = in[0].data<T>();
    DeviceKernel<CorrPadMap, Dev>::launch(s, padded, 8, p1, p2, in[1].data<T>(), in[2].data<T>(), g, 1, 1);
    for (int k = 0; k < 2; ++k) {
      if (req[k] == OpReq::kNull) continue;
      if (k == 0)
        DeviceKernel<CorrGrad1Map, Dev>::launch(s, total, cost, acc, og, static_cast<const T*>(p1),
                                                static_cast<const T*>(p2), g);
      else
        DeviceKernel<CorrGrad2Map, Dev>::launch(s, total, cost, acc, og, static_cast<const T*>(p1),
                                                static_cast<const T*>(p2), g);
      DeviceKernel<CorrGradStoreMap, Dev>::launch(s, total, 4, out[k].data<T>(), static_cast<const C*>(acc), g,
                                                  req[k] == OpReq::kAddTo);
    }
  });
}

}  // namespace correlation
}  // namespace ist
