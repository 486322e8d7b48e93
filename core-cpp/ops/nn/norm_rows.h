// Row normalization shared by LayerNorm, InstanceNorm and GroupNorm: each row of n elements
// (`inner` apart) is centred and scaled by 1 / sqrt(var + eps), then gamma and beta are applied per
// element position (LayerNorm) or per row (InstanceNorm: channel, GroupNorm: group).
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>
#include "engine/parallel_for.h"
#include "ops/nn/layer_util.h"
#include "ops/nn/norm_params.h"

namespace ist {
namespace nn {

struct RowPlan {
  AxisSplit s;               // rows are (outer, inner) pairs; a row's elements lie along n
  bool perPosition = true;   // gamma index: the element's position j, or the row's r % groups
  int64_t groups = 1;
  int64_t rows() const { return s.outer * s.inner; }
  int64_t base(int64_t r) const { return (r / s.inner) * s.n * s.inner + r % s.inner; }
  int64_t affine(int64_t r, int64_t j) const { return perPosition ? j : r % groups; }
};

// The row plans of LayerNorm (rows around `axis`), InstanceNorm and GroupNorm, shared by their .cc
// computes and the device twins (norm_rows_device.h).
inline RowPlan layerPlan(const NodeAttrs& attrs, const Shape& d) {
  RowPlan p;
  p.s = splitAt(d, checkAxis(attrs.get<LayerNormParam>().axis, d, "LayerNorm"));
  return p;
}
// Rows are (sample, channel) pairs of the spatial size; gamma is per channel (row % C).
inline RowPlan instancePlan(const Shape& d) {
  RowPlan p;
  p.s.outer = d[0] * d[1];
  p.s.n = d[0] * d[1] == 0 ? 0 : shapeSize(d) / (d[0] * d[1]);
  p.s.inner = 1;
  p.perPosition = false;
  p.groups = d[1];
  return p;
}
// Rows are (sample, group) pairs: contiguous blocks of (C / groups) * spatial elements.
inline RowPlan groupPlan(const NodeAttrs& attrs, const Shape& d) {
  const int64_t g = attrs.get<GroupNormParam>().num_groups;
  RowPlan p;
  p.s.outer = d[0] * g;
  p.s.n = p.s.outer == 0 ? 0 : shapeSize(d) / p.s.outer;
  p.s.inner = 1;
  p.perPosition = false;
  p.groups = g;
  return p;
}

// Forward: out, and per-row mean and (std, or var when storeVar) in row order.
template <typename T>
void normRowsForward(const RowPlan& p, const T* x, const T* gamma, const T* beta, T* out, T* mean, T* dev,
                     double eps, bool storeVar, OpReq req) {
  const int64_t n = p.s.n, st = p.s.inner;
  parallelFor(p.rows(), n * 6, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t base = p.base(r);
      double sum = 0;
      for (int64_t j = 0; j < n; ++j) sum += load(x[base + j * st]);
      const double mu = n > 0 ? sum / static_cast<double>(n) : 0.0;
      double sq = 0;
      for (int64_t j = 0; j < n; ++j) {
        const double d = load(x[base + j * st]) - mu;
        sq += d * d;
      }
      const double var = n > 0 ? sq / static_cast<double>(n) : 0.0;
      const double sd = std::sqrt(var + eps), inv = 1.0 / sd;
      mean[r] = store<T>(mu);
      dev[r] = store<T>(storeVar ? var : sd);
      if (req == OpReq::kNull) continue;
      for (int64_t j = 0; j < n; ++j) {
        const int64_t i = base + j * st, a = p.affine(r, j);
        put(out + i, (load(x[i]) - mu) * inv * load(gamma[a]) + load(beta[a]), req);
      }
    }
  });
}

// Backward: dx = (dxh - mean(dxh) - xh * mean(dxh * xh)) / std with xh the normalized input and
// dxh = og * gamma; dgamma = sum(og * xh), dbeta = sum(og) over the elements each parameter touched.
// Parameter sums are reduced in a fixed order, so results do not depend on the thread count.
template <typename T>
void normRowsBackward(const RowPlan& p, const T* og, const T* x, const T* gamma, const T* mean, const T* dev,
                      double eps, bool storedVar, T* dx, T* dgamma, T* dbeta, int64_t nParams,
                      const std::vector<OpReq>& req) {
  const int64_t n = p.s.n, st = p.s.inner, rows = p.rows();
  // Per-chunk partial parameter sums (per position) or per-row sums (per row).
  const int64_t chunks = p.perPosition ? std::max<int64_t>(1, std::min<int64_t>(rows, 64)) : rows;
  const int64_t width = p.perPosition ? n : 1;
  std::vector<double> pg(static_cast<size_t>(chunks * width), 0.0), pb(pg.size(), 0.0);
  const int64_t perChunk = p.perPosition ? (rows + chunks - 1) / chunks : 1;
  parallelFor(chunks, perChunk * n * 10, [&](int64_t cb, int64_t ce) {
    for (int64_t c = cb; c < ce; ++c) {
      double* gsum = pg.data() + c * width;
      double* bsum = pb.data() + c * width;
      for (int64_t r = c * perChunk, rEnd = std::min(rows, (c + 1) * perChunk); r < rEnd; ++r) {
        const int64_t base = p.base(r);
        const double mu = load(mean[r]), d = load(dev[r]);
        const double sd = storedVar ? std::sqrt(d + eps) : d, inv = 1.0 / sd;
        double sumD = 0, sumDX = 0;
        for (int64_t j = 0; j < n; ++j) {
          const int64_t i = base + j * st;
          const double g = load(og[i]), xh = (load(x[i]) - mu) * inv;
          const double dxh = g * load(gamma[p.affine(r, j)]);
          sumD += dxh;
          sumDX += dxh * xh;
          const int64_t slot = p.perPosition ? j : 0;
          gsum[slot] += g * xh;
          bsum[slot] += g;
        }
        if (req[0] == OpReq::kNull || n == 0) continue;
        const double mD = sumD / static_cast<double>(n), mDX = sumDX / static_cast<double>(n);
        for (int64_t j = 0; j < n; ++j) {
          const int64_t i = base + j * st;
          const double xh = (load(x[i]) - mu) * inv;
          const double dxh = load(og[i]) * load(gamma[p.affine(r, j)]);
          put(dx + i, (dxh - mD - xh * mDX) * inv, req[0]);
        }
      }
    }
  });
  std::vector<double> gg(static_cast<size_t>(nParams), 0.0), gb(gg.size(), 0.0);
  for (int64_t c = 0; c < chunks; ++c) {
    for (int64_t w = 0; w < width; ++w) {
      const int64_t a = p.perPosition ? w : p.affine(c, 0);
      gg[static_cast<size_t>(a)] += pg[static_cast<size_t>(c * width + w)];
      gb[static_cast<size_t>(a)] += pb[static_cast<size_t>(c * width + w)];
    }
  }
  for (int64_t a = 0; a < nParams; ++a) {
    if (req[1] != OpReq::kNull) put(dgamma + a, gg[static_cast<size_t>(a)], req[1]);
    if (req[2] != OpReq::kNull) put(dbeta + a, gb[static_cast<size_t>(a)], req[2]);
  }
}

}  // namespace nn
}  // namespace ist
