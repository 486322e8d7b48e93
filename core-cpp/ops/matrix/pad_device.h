// Device-generic Pad and _backward_Pad (kernels/device.h), with pad.cc's index rules computed in
// place of its per-axis tables: forward is one Map call per output element (each axis maps its
// coordinate to the input's, or to the constant); the gradient is gather-style, one Map call per
// input element summing the out_grad elements read from it (per axis, the preimage of an index is
// a range, or one or two residues modulo the reflection period), in the CPU's order. Adjacent
// unpadded axes are merged; an array with more than kMaxPadDims axes left runs the CPU compute
// (through host staging on a GPU).
#pragma once
#include <type_traits>
#include <vector>
#include "base/dtype.h"
#include "base/error.h"
#include "kernels/device.h"
#include "kernels/device_util.h"
#include "op/host_staging.h"
#include "op/registry.h"
#include "ops/matrix/pad_params.h"

namespace ist {
namespace pad_detail {

constexpr int kMaxPadDims = 16;
enum PadMode { kConstant = 0, kEdge = 1, kReflect = 2 };

// Shapes with adjacent unpadded axes merged: input dims n, widths before b, output dims o, and
// contiguous strides of both.
struct PadGeom {
  int nd = 0;
  int mode = kConstant;
  int64_t n[kMaxPadDims], b[kMaxPadDims], o[kMaxPadDims], is[kMaxPadDims], os[kMaxPadDims];
};

// False when more than kMaxPadDims axes remain after merging.
inline bool makePadGeom(const Shape& s, const PadParam& p, PadGeom* g) {
  g->mode = p.mode == "constant" ? kConstant : p.mode == "edge" ? kEdge : kReflect;
  std::vector<int64_t> n, b, a;
  for (size_t i = 0; i < s.size(); ++i) {
    const int64_t bi = p.pad_width[2 * i], ai = p.pad_width[2 * i + 1];
    if (!n.empty() && bi == 0 && ai == 0 && b.back() == 0 && a.back() == 0) {
      n.back() *= s[i];
      continue;
    }
    n.push_back(s[i]);
    b.push_back(bi);
    a.push_back(ai);
  }
  if (n.empty()) {  // a 0-d array: one element, nothing padded
    n.push_back(1);
    b.push_back(0);
    a.push_back(0);
  }
  if (n.size() > static_cast<size_t>(kMaxPadDims)) return false;
  g->nd = static_cast<int>(n.size());
  int64_t si = 1, so = 1;
  for (int i = g->nd - 1; i >= 0; --i) {
    g->n[i] = n[i];
    g->b[i] = b[i];
    g->o[i] = n[i] + b[i] + a[i];
    g->is[i] = si;
    g->os[i] = so;
    si *= g->n[i];
    so *= g->o[i];
  }
  return true;
}

// The input index output index `c` of axis d reads, or -1 for the constant (pad.cc's axisMap).
ISTX int64_t padSource(const PadGeom& g, int d, int64_t c) {
  const int64_t n = g.n[d];
  int64_t i = c - g.b[d];
  if (i >= 0 && i < n) return i;
  if (g.mode == kConstant) return -1;
  if (g.mode == kEdge) return i < 0 ? 0 : n - 1;
  if (n == 1) return 0;
  const int64_t period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  if (i >= n) i = period - i;
  return i;
}

struct PadForwardMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* y, const T* x, PadGeom g, T fill, bool add) {
    int64_t rem = i, src = 0;
    bool constant = false;
    for (int d = g.nd - 1; d >= 0; --d) {
      const int64_t c = rem % g.o[d];
      rem /= g.o[d];
      const int64_t s = padSource(g, d, c);
      if (s < 0) constant = true;
      else src += s * g.is[d];
    }
    putValue(y[i], constant ? fill : x[src], add);
  }
};

// The output indices of one axis that read input index `idx`, in increasing order: kind 0 the
// range first + t, kind 1 first + t * period, kind 2 alternately lo and hi plus (t / 2) * period.
struct Preimage {
  int kind;
  int64_t first, hi, period, count;
  ISTX int64_t at(int64_t t) const {
    return kind == 0 ? first + t : kind == 1 ? first + t * period : (t >> 1) * period + ((t & 1) ? hi : first);
  }
};

ISTX int64_t countFrom(int64_t first, int64_t period, int64_t total) {
  return first < total ? (total - first + period - 1) / period : 0;
}

ISTX Preimage padPreimage(const PadGeom& g, int d, int64_t idx) {
  const int64_t n = g.n[d], b = g.b[d], total = g.o[d];
  Preimage r{0, idx + b, 0, 1, 1};
  if (g.mode == kConstant) return r;
  if (n == 1) {
    r.first = 0;
    r.count = total;
    return r;
  }
  if (g.mode == kEdge) {
    if (idx == 0) {
      r.first = 0;
      r.count = b + 1;
    } else if (idx == n - 1) {
      r.first = b + n - 1;
      r.count = total - r.first;
    }
    return r;
  }
  const int64_t period = 2 * (n - 1);
  r.period = period;
  if (idx == 0 || idx == n - 1) {
    r.kind = 1;
    r.first = (b + idx) % period;
    r.count = countFrom(r.first, period, total);
    return r;
  }
  const int64_t f1 = (b + idx) % period, f2 = (b + period - idx) % period;
  r.kind = 2;
  r.first = f1 < f2 ? f1 : f2;
  r.hi = f1 < f2 ? f2 : f1;
  r.count = countFrom(r.first, period, total) + countFrom(r.hi, period, total);
  return r;
}

struct PadBackwardMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* dx, const T* og, PadGeom g, bool add) {
    using C = typename ComputeType<T>::type;
    using Acc = std::conditional_t<std::is_floating_point_v<C>, double, C>;
    Preimage pre[kMaxPadDims];
    int64_t t[kMaxPadDims];
    int64_t rem = i;
    bool empty = false;
    for (int d = g.nd - 1; d >= 0; --d) {
      pre[d] = padPreimage(g, d, rem % g.n[d]);
      rem /= g.n[d];
      t[d] = 0;
      if (pre[d].count == 0) empty = true;
    }
    Acc acc = 0;
    if (!empty) {
      for (;;) {
        int64_t off = 0;
        for (int d = 0; d < g.nd; ++d) off += pre[d].at(t[d]) * g.os[d];
        acc += Acc(C(og[off]));
        int d = g.nd - 1;
        for (; d >= 0; --d) {
          if (++t[d] < pre[d].count) break;
          t[d] = 0;
        }
        if (d < 0) break;
      }
    }
    putValue(dx[i], T(C(acc)), add);
  }
};

template <typename T> T padFill(double v) {
  if constexpr (std::is_same_v<T, bool>) return v != 0.0;
  else return T(static_cast<typename ComputeType<T>::type>(v));
}

// The CPU compute of `name` for arrays of too many axes: directly on the CPU, host-staged on a GPU.
template <typename Dev>
void padFallback(const char* name, const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const Op& op = OpRegistry::get(name);
  const FCompute& cpuFn = op.computeFns.at(Context::kCPU);
  if constexpr (std::is_same_v<Dev, cpu>) {
    cpuFn(attrs, ctx, in, req, out);
  } else {
    static const FCompute staged = makeHostStagedCompute(op, cpuFn);
    staged(attrs, ctx, in, req, out);
  }
}

template <typename Dev>
void padComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<PadParam>();
  PadGeom g;
  if (!makePadGeom(in[0].shape, p, &g)) return padFallback<Dev>("Pad", attrs, ctx, in, req, out);
  IST_TYPE_SWITCH_ALL(in[0].dtype, T, "Pad", {
    DeviceKernel<PadForwardMap, Dev>::launch(ctx.run.stream, out[0].size(), g.nd, out[0].data<T>(),
                                             in[0].data<T>(), g, padFill<T>(p.constant_value),
                                             req[0] == OpReq::kAddTo);
  });
}

// inputs: out_grad, data; output: d data.
template <typename Dev>
void padBackwardComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                           const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<PadParam>();
  PadGeom g;
  if (!makePadGeom(in[1].shape, p, &g)) return padFallback<Dev>("_backward_Pad", attrs, ctx, in, req, out);
  IST_TYPE_SWITCH_NUMERIC(in[0].dtype, T, "_backward_Pad", {
    DeviceKernel<PadBackwardMap, Dev>::launch(ctx.run.stream, out[0].size(), 2 * g.nd, out[0].data<T>(),
                                              in[0].data<T>(), g, req[0] == OpReq::kAddTo);
  });
}

}  // namespace pad_detail
}  // namespace ist
