// Device-generic GridGenerator, BilinearSampler, SpatialTransformer and their gradients
// (kernels/device.h), with spatial.cc's math: one Map call per output element, except where noted.
//
// The data gradient of the sampler is a scatter (each output position adds to the up to four
// pixels around its sample point, anywhere in the image). Float atomics would make the sums depend
// on thread order, and a pixel scanning every output position of its batch costs H*W*OH*OW per
// plane, so it is a deterministic gather instead: the output positions of each batch are sorted,
// stably, by the top-left corner of their 2x2 footprint (a bottom-up merge sort of one Map per
// pass, done once for all channels, which share the grid); a pixel then reads the four cells whose
// footprints cover it and merges them by output position, so it adds its contributions in the
// CPU's order: the same result every run, and the CPU's sums up to contraction into fused
// multiply-adds. Cost: O(N*OH*OW log^2) to sort, O(C*N*OH*OW) to gather.
#pragma once
#include <cstdint>
#include <vector>
#include "kernels/device.h"
#include "ops/nn/dense_device_util.h"
#include "ops/nn/spatial_params.h"

namespace ist {
namespace spatialop {

// ---- grid generation ----

// grid (N, 2, H, W): element i (=|+=) loc[n, r] . (x, y, 1) at its target pixel.
struct AffineGridMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* grid, const T* loc, int64_t H, int64_t W, bool add) {
    const int64_t HW = H * W, r = i / HW, h = (i % HW) / W, w = i % W;
    const T* a = loc + r * 3;
    const T y = static_cast<T>(targetCoord(h, H)), x = static_cast<T>(targetCoord(w, W));
    const T v = a[0] * x + a[1] * y + a[2];
    grid[i] = add ? grid[i] + v : v;
  }
};

// grid (N, 2, H, W) (=|+=) (flow + (w, h)) / (sx, sy) - 1.
struct WarpGridMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* grid, const T* flow, int64_t H, int64_t W, T sx, T sy, bool add) {
    const int64_t HW = H * W;
    const bool isY = (i / HW) % 2 == 1;
    const T v = (flow[i] + static_cast<T>(isY ? (i % HW) / W : i % W)) / (isY ? sy : sx) - T(1);
    grid[i] = add ? grid[i] + v : v;
  }
};

// d grid / d flow: d flow (=|+=) og / (sx, sy).
struct WarpGridGradMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* d, const T* og, int64_t HW, T sx, T sy, bool add) {
    const T v = og[i] / ((i / HW) % 2 == 1 ? sy : sx);
    d[i] = add ? d[i] + v : v;
  }
};

// d loc[n, r, :] = sum over target pixels of og[n, r] * (x, y, 1), in chunks of kAffineChunk pixels
// so large targets still spread over threads: partial[(r, chunk)] holds the chunk's three sums
// (in the CPU's pixel order), the finish adds the chunks in order (one chunk: the CPU's sums).
constexpr int64_t kAffineChunk = 256;
struct AffineGradPartialMap {
  template <typename T>
  ISTX static void Map(int64_t j, T* partial, const T* og, int64_t H, int64_t W, int64_t chunks) {
    const int64_t HW = H * W, r = j / chunks, c = j % chunks;
    const int64_t end = (c + 1) * kAffineChunk < HW ? (c + 1) * kAffineChunk : HW;
    const T* g = og + r * HW;
    T ax = 0, ay = 0, a1 = 0;
    for (int64_t p = c * kAffineChunk; p < end; ++p) {
      const T v = g[p];
      ax += v * static_cast<T>(targetCoord(p % W, W));
      ay += v * static_cast<T>(targetCoord(p / W, H));
      a1 += v;
    }
    partial[j * 3] = ax;
    partial[j * 3 + 1] = ay;
    partial[j * 3 + 2] = a1;
  }
};
struct AffineGradFinishMap {
  template <typename T>
  ISTX static void Map(int64_t j, T* d, const T* partial, int64_t chunks, bool add) {
    const int64_t r = j / 3, k = j % 3;
    T acc = 0;
    for (int64_t c = 0; c < chunks; ++c) acc += partial[(r * chunks + c) * 3 + k];
    d[j] = add ? d[j] + acc : acc;
  }
};

// ---- bilinear sampling ----

// out (N, C, OH, OW) (=|+=) data (N, C, H, W) sampled at grid (N, 2, OH, OW); i over out.
struct SampleForwardMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* out, const T* data, const T* grid, int64_t C, int64_t H, int64_t W, int64_t OS,
                       bool add) {
    const int64_t plane = i / OS, o = i % OS, n = plane / C;
    const T* gx = grid + n * 2 * OS;
    const Taps<T> t = tapsAt(gx[o], gx[OS + o], H, W);
    const T* img = data + plane * H * W;
    const int64_t at = t.y0 * W + t.x0;  // may be -1 or -W - 1 when only later taps are inside
    const T vtl = t.tl ? img[at] : T(0), vtr = t.tr ? img[at + 1] : T(0);
    const T vbl = t.bl ? img[at + W] : T(0), vbr = t.br ? img[at + W + 1] : T(0);
    const T v = vtl * t.wy * t.wx + vtr * t.wy * (T(1) - t.wx) + vbl * (T(1) - t.wy) * t.wx +
                vbr * (T(1) - t.wy) * (T(1) - t.wx);
    out[i] = add ? out[i] + v : v;
  }
};

// Per output position k = (n, o): its footprint's cell, the top-left corner (y0, x0) in
// [-1, H-1] x [-1, W-1] on an (H+1) x (W+1) lattice per batch (key n * L + cell), or `none` (sorts
// last) when no tap is inside; and its top-left weights for the gather.
struct FootprintMap {
  template <typename T>
  ISTX static void Map(int64_t k, int64_t* key, int64_t* pos, T* wy, T* wx, const T* grid, int64_t H, int64_t W,
                       int64_t OS, int64_t none) {
    const int64_t n = k / OS, o = k % OS;
    const T* gx = grid + n * 2 * OS;
    const Taps<T> t = tapsAt(gx[o], gx[OS + o], H, W);
    const bool inside = t.tl || t.tr || t.bl || t.br;
    key[k] = inside ? n * (H + 1) * (W + 1) + (t.y0 + 1) * (W + 1) + t.x0 + 1 : none;
    pos[k] = k;
    wy[k] = t.wy;
    wx[k] = t.wx;
  }
};

// One pass of a stable bottom-up merge sort of (key, pos) pairs: sorted runs of `width` merge
// pairwise, each element placed by binary search in its partner run (ties: the left run first).
struct MergePassMap {
  ISTX static void Map(int64_t j, int64_t* keyOut, int64_t* posOut, const int64_t* key, const int64_t* pos,
                       int64_t M, int64_t width) {
    const int64_t run = j / width, base = (run - run % 2) * width, k = key[j];
    const bool left = run % 2 == 0;
    int64_t lo = left ? base + width : base;
    int64_t hi = left ? (base + 2 * width < M ? base + 2 * width : M) : base + width;
    const int64_t first = lo;
    while (lo < hi) {  // partner elements before k: < k from the right run, <= k from the left
      const int64_t mid = lo + (hi - lo) / 2;
      if (key[mid] < k || (!left && key[mid] == k)) lo = mid + 1;
      else hi = mid;
    }
    const int64_t dest = base + (j - base - (left ? 0 : width)) + (lo - first);
    keyOut[dest] = k;
    posOut[dest] = pos[j];
  }
};

// start[c] = the first sorted position whose key is >= c, for c in [0, cells].
struct CellStartMap {
  ISTX static void Map(int64_t c, int64_t* start, const int64_t* key, int64_t M) {
    int64_t lo = 0, hi = M;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (key[mid] < c) lo = mid + 1;
      else hi = mid;
    }
    start[c] = lo;
  }
};

// d data at pixel i = (n, c, y, x) (=|+=) the contributions of the output positions whose
// footprint covers it: the cells with top-left (y, x), (y, x-1), (y-1, x), (y-1, x-1) (as its
// tl, tr, bl, br tap), merged by output position so the sum runs in the CPU's order.
struct DataGradGatherMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* gdata, const T* og, const int64_t* start, const int64_t* pos, const T* wy,
                       const T* wx, int64_t C, int64_t H, int64_t W, int64_t OS, bool add) {
    const int64_t x = i % W, y = (i / W) % H, plane = i / (H * W), n = plane / C;
    const int64_t cell = n * (H + 1) * (W + 1) + (y + 1) * (W + 1) + x + 1;
    const int64_t cells[4] = {cell, cell - 1, cell - (W + 1), cell - (W + 1) - 1};
    int64_t at[4], end[4];
    for (int q = 0; q < 4; ++q) {
      at[q] = start[cells[q]];
      end[q] = start[cells[q] + 1];
    }
    const T* g = og + plane * OS;  // indexed by o = k - n * OS
    T acc = add ? gdata[i] : T(0);
    for (;;) {
      int tap = -1;
      int64_t k = 0;
      for (int q = 0; q < 4; ++q)
        if (at[q] < end[q] && (tap < 0 || pos[at[q]] < k)) {
          tap = q;
          k = pos[at[q]];
        }
      if (tap < 0) break;
      ++at[tap];
      const T fy = tap < 2 ? wy[k] : T(1) - wy[k], fx = tap % 2 == 0 ? wx[k] : T(1) - wx[k];
      acc += g[k - n * OS] * fy * fx;
    }
    gdata[i] = acc;
  }
};

// The data gradient of the sampler (see the file comment).
template <typename Dev, typename T>
void sampleDataGradDev(const OpContext& ctx, T* gdata, const T* og, const T* grid, int64_t N, int64_t C, int64_t H,
                       int64_t W, int64_t OS, bool add) {
  if (N * C * H * W == 0) return;
  void* s = ctx.run.stream;
  const int64_t M = N * OS, cells = N * (H + 1) * (W + 1);
  auto padded = [](int64_t bytes) { return (static_cast<size_t>(bytes) + 255) / 256 * 256; };
  const size_t keyBytes = padded(M * 8), wBytes = padded(M * static_cast<int64_t>(sizeof(T)));
  TempSpace<Dev> tmp(s, 4 * keyBytes + 2 * wBytes + padded((cells + 1) * 8));
  char* base = tmp.template as<char>();
  int64_t* key[2] = {reinterpret_cast<int64_t*>(base), reinterpret_cast<int64_t*>(base + keyBytes)};
  int64_t* pos[2] = {reinterpret_cast<int64_t*>(base + 2 * keyBytes), reinterpret_cast<int64_t*>(base + 3 * keyBytes)};
  T* wy = reinterpret_cast<T*>(base + 4 * keyBytes);
  T* wx = reinterpret_cast<T*>(base + 4 * keyBytes + wBytes);
  int64_t* start = reinterpret_cast<int64_t*>(base + 4 * keyBytes + 2 * wBytes);
  DeviceKernel<FootprintMap, Dev>::launch(s, M, 20, key[0], pos[0], wy, wx, grid, H, W, OS, cells);
  int cur = 0;
  int64_t log2w = 0;
  for (int64_t width = 1; width < M; width *= 2, ++log2w, cur ^= 1)
    DeviceKernel<MergePassMap, Dev>::launch(s, M, 4 + 2 * log2w, key[cur ^ 1], pos[cur ^ 1], key[cur], pos[cur], M,
                                            width);
  DeviceKernel<CellStartMap, Dev>::launch(s, cells + 1, 40, start, key[cur], M);
  DeviceKernel<DataGradGatherMap, Dev>::launch(s, N * C * H * W, 16 + 4 * (OS / (H * W) + 1), gdata, og, start,
                                               pos[cur], wy, wx, C, H, W, OS, add);
}

// ---- computes ----

// runWidenedDev (float16/bfloat16 through float32 scratch), then fn(T(), inputs, outputs).
template <typename Dev, typename Fn>
void runFloat(const OpContext& ctx, const char* op, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
              const std::vector<TBlob>& out, const Fn& fn) {
  dnd::runWidenedDev<Dev>(ctx, op, in, req, out, [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    if (i[0].dtype == DType::kFloat32) fn(float(), i, o);
    else fn(double(), i, o);
  });
}

template <typename Dev, typename T>
void affineGridDev(const OpContext& ctx, const T* loc, T* grid, int64_t N, int64_t H, int64_t W, bool add) {
  DeviceKernel<AffineGridMap, Dev>::launch(ctx.run.stream, N * 2 * H * W, 6, grid, loc, H, W, add);
}

template <typename Dev>
void ggComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<GridGeneratorParam>();
  const bool add = req[0] == OpReq::kAddTo;
  runFloat<Dev>(ctx, kGG, in, req, out, [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    using T = decltype(t);
    const Shape& x = i[0].shape;
    if (p.affine()) {
      affineGridDev<Dev>(ctx, i[0].data<T>(), o[0].data<T>(), x[0], p.target_shape[0], p.target_shape[1], add);
      return;
    }
    const int64_t H = x[2], W = x[3];
    const T sx = static_cast<T>((static_cast<double>(W) - 1.0) / 2.0);
    const T sy = static_cast<T>((static_cast<double>(H) - 1.0) / 2.0);
    DeviceKernel<WarpGridMap, Dev>::launch(ctx.run.stream, x[0] * 2 * H * W, 4, o[0].data<T>(), i[0].data<T>(), H, W,
                                           sx, sy, add);
  });
}

// _backward_GridGenerator: input ograd (the grid's gradient); output d data.
template <typename Dev>
void ggBackwardComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<GridGeneratorParam>();
  const bool add = req[0] == OpReq::kAddTo;
  runFloat<Dev>(ctx, kGGB, in, req, out, [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    using T = decltype(t);
    void* s = ctx.run.stream;
    const Shape& g = i[0].shape;
    if (p.affine()) {
      const int64_t rows = g[0] * 2, H = p.target_shape[0], W = p.target_shape[1];
      const int64_t chunks = (H * W + kAffineChunk - 1) / kAffineChunk;
      TempSpace<Dev> partial(s, static_cast<size_t>(rows * chunks * 3) * sizeof(T));
      DeviceKernel<AffineGradPartialMap, Dev>::launch(s, rows * chunks, kAffineChunk * 8, partial.template as<T>(),
                                                      i[0].data<T>(), H, W, chunks);
      DeviceKernel<AffineGradFinishMap, Dev>::launch(s, rows * 3, chunks, o[0].data<T>(), partial.template as<T>(),
                                                     chunks, add);
      return;
    }
    const int64_t H = g[2], W = g[3];
    const T sx = static_cast<T>((static_cast<double>(W) - 1.0) / 2.0);
    const T sy = static_cast<T>((static_cast<double>(H) - 1.0) / 2.0);
    DeviceKernel<WarpGridGradMap, Dev>::launch(s, g[0] * 2 * H * W, 2, o[0].data<T>(), i[0].data<T>(), H * W, sx, sy,
                                               add);
  });
}

template <typename Dev>
void bsComputeDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
                  const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  runFloat<Dev>(ctx, kBS, in, req, out, [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    using T = decltype(t);
    const Shape &d = i[0].shape, &y = o[0].shape;
    DeviceKernel<SampleForwardMap, Dev>::launch(ctx.run.stream, o[0].size(), 30, o[0].data<T>(), i[0].data<T>(),
                                                i[1].data<T>(), d[1], d[2], d[3], y[2] * y[3],
                                                req[0] == OpReq::kAddTo);
  });
}

// _backward_BilinearSampler inputs: ograd, data, grid; outputs: d data, d grid.
template <typename Dev>
void bsBackwardComputeDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  runFloat<Dev>(ctx, kBSB, in, req, out, [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    using T = decltype(t);
    const Shape &d = i[1].shape, &y = i[0].shape;
    const int64_t N = d[0], C = d[1], H = d[2], W = d[3], OS = y[2] * y[3];
    if (req[0] != OpReq::kNull)
      sampleDataGradDev<Dev, T>(ctx, o[0].data<T>(), i[0].data<T>(), i[2].data<T>(), N, C, H, W, OS,
                                req[0] == OpReq::kAddTo);
    if (req[1] != OpReq::kNull)
      DeviceKernel<SampleGridGradMap, Dev>::launch(ctx.run.stream, N * OS, C * 16, o[1].data<T>(), i[0].data<T>(),
                                                   i[1].data<T>(), i[2].data<T>(), C, H, W, OS,
                                                   req[1] == OpReq::kAddTo);
  });
}

template <typename Dev>
void stComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<SpatialTransformerParam>();
  runFloat<Dev>(ctx, kST, in, req, out, [&](auto t, const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    using T = decltype(t);
    const Shape& d = i[0].shape;
    const int64_t OH = p.target_shape[0], OW = p.target_shape[1];
    TempSpace<Dev> grid(ctx.run.stream, static_cast<size_t>(d[0] * 2 * OH * OW) * sizeof(T));
    affineGridDev<Dev>(ctx, i[1].data<T>(), grid.template as<T>(), d[0], OH, OW, false);
    DeviceKernel<SampleForwardMap, Dev>::launch(ctx.run.stream, o[0].size(), 30, o[0].data<T>(), i[0].data<T>(),
                                                grid.template as<T>(), d[1], d[2], d[3], OH * OW,
                                                req[0] == OpReq::kAddTo);
  });
}

}  // namespace spatialop
}  // namespace ist
