// Winograd F(2x2, 3x3) convolution: the CPU fast path for float32 3x3 convolutions, stride 1.
//
// Each 2x2 output tile comes from a 4x4 input tile: Y = A^T [ sum_c (G g_fc G^T) .* (B^T d_c B) ] A.
// With U = G g G^T (per filter and channel) and V = B^T d B (per channel and tile) laid out as
// 16 planes (one per position of the 4x4 transformed tile), the sum over channels is 16 GEMMs
// M[xi] (F x tiles) = U[xi] (F x C) . V[xi] (C x tiles): 16 multiply-adds per 4 outputs instead of
// 36, 2.25x fewer than im2col. The transforms only add, subtract and halve, so float32 results stay
// within a few ulps of the direct sum (tests compare against the float64 im2col path).
// Images are processed in groups whose tiles share the GEMMs, so small maps (7x7) still give the
// GEMMs enough columns.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>
#include "engine/parallel_for.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/simd.h"
#include "ops/nn/channel_affine.h"
#include "ops/nn/conv_common.h"
#include "op/prepared_input.h"

namespace ist {
namespace winograd {

constexpr int kPlanes = 16;  // positions of a 4x4 transformed tile
// The transforms' vectors: 4 floats (SIMD128 in WASM, SSE in the native generic build). Written
// with explicit vectors because the many output streams defeat the compilers' alias analysis.
using V4 = simd::Vec<float, 4>::unaligned;
inline V4 ld4(const float* p) { return simd::loadu<V4>(p); }
inline void st4(float* p, V4 v) { simd::storeu<V4>(p, v); }

struct Tiling {
  int64_t H, W, OH, OW, pH, pW;  // input, output, padding
  int64_t TH, TW;                // tiles down and across
  int64_t tiles() const { return TH * TW; }
};

// ISOTENSOR_CONV_WINOGRAD: "0" never (im2col for every convolution), "1" for every geometry it
// supports, unset: where it is faster (applies() below). For benchmarks and comparisons.
inline int mode() {
  static const int m = [] {
    const char* v = std::getenv("ISOTENSOR_CONV_WINOGRAD");
    return v && v[0] == '0' ? 0 : v && v[0] == '1' ? 1 : 2;
  }();
  return m;
}

// Applies to float32 2-D convolutions with a 3x3 kernel, stride 1, no dilation, one group, and
// enough channels and tiles for the GEMMs to pay for the transforms.
inline bool applies(const conv::Dims& d) {
  const conv::Geom& g = d.g;
  if (mode() == 0 || g.nd != 2 || d.G != 1) return false;
  if (g.k[1] != 3 || g.k[2] != 3 || g.s[1] != 1 || g.s[2] != 1 || g.d[1] != 1 || g.d[2] != 1) return false;
  if (g.p[1] > 2 || g.p[2] > 2) return false;
  if (mode() == 1) return true;
  const int64_t tiles = ((g.out[1] + 1) / 2) * ((g.out[2] + 1) / 2);
  // The kernel transform (16 F x C planes) is redone per call: with few tiles it costs more than the
  // multiply-adds saved (native, 2 threads: 2x512x7x7, 32 tiles, im2col 3.2 ms vs Winograd 3.8;
  // 1x256x14x14, 49 tiles, 1.39 vs 1.12; 4x512x7x7, 64 tiles, 7.7 vs 5.7). With few input channels
  // the transforms' traffic outweighs the multiply-adds saved even with the kernel transform kept
  // (SqueezeNet's 3x3 expands inside a session: 16->64 at 55x55, 447 vs 328 us; 32->128 at 27x27,
  // 279 vs 259; 48->192 at 13x13, 167 vs 118; 64->256 at 13x13, level).
  return d.C >= 64 && d.F >= 8 && d.N * tiles >= 48;
}

inline Tiling tilingOf(const conv::Geom& g) {
  Tiling t;
  t.H = g.in[1];
  t.W = g.in[2];
  t.OH = g.out[1];
  t.OW = g.out[2];
  t.pH = g.p[1];
  t.pW = g.p[2];
  t.TH = (t.OH + 1) / 2;
  t.TW = (t.OW + 1) / 2;
  return t;
}

// U[xi][f][c] = (G g G^T)[xi] with G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1], for filters [fb, fe).
// Four channels at a time: their 3x3 kernels are gathered into vectors (lane = channel), so every
// store writes four consecutive channels of one plane.
template <typename Vec>
inline void transformKernel(const Vec g[9], Vec u[16]) {
  const Vec half = simd::splat<Vec>(0.5f);
  Vec t[4][3];  // G g
  for (int j = 0; j < 3; ++j) {
    const Vec g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
    t[0][j] = g0;
    t[1][j] = half * (g0 + g1 + g2);
    t[2][j] = half * (g0 - g1 + g2);
    t[3][j] = g2;
  }
  for (int i = 0; i < 4; ++i) {  // (G g) G^T
    const Vec a0 = t[i][0], a1 = t[i][1], a2 = t[i][2];
    u[i * 4 + 0] = a0;
    u[i * 4 + 1] = half * (a0 + a1 + a2);
    u[i * 4 + 2] = half * (a0 - a1 + a2);
    u[i * 4 + 3] = a2;
  }
}

inline void transformWeights(const float* w, int64_t F, int64_t C, int64_t fb, int64_t fe, float* U) {
  const int64_t plane = F * C;
  using S = simd::Vec<float, 1>::type;
  for (int64_t f = fb; f < fe; ++f) {
    const float* wf = w + f * C * 9;
    float* uf = U + f * C;
    int64_t c = 0;
    for (; c + 4 <= C; c += 4) {
      simd::Vec<float, 4>::type g[9], u[16];  // locals: the aligned vector type
      for (int k = 0; k < 9; ++k) g[k] = simd::Vec<float, 4>::type{wf[c * 9 + k], wf[(c + 1) * 9 + k], wf[(c + 2) * 9 + k], wf[(c + 3) * 9 + k]};
      transformKernel(g, u);
      for (int k = 0; k < 16; ++k) st4(uf + k * plane + c, u[k]);
    }
    for (; c < C; ++c) {
      S g[9], u[16];
      for (int k = 0; k < 9; ++k) g[k] = S{wf[c * 9 + k]};
      transformKernel(g, u);
      for (int k = 0; k < 16; ++k) uf[k * plane + c] = u[k][0];
    }
  }
}

// V[xi][c][col0 + t] = (B^T d B)[xi] for every tile t of channel plane `img`, with
// B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. Tile tw covers padded columns 2tw .. 2tw+3 of
// four padded rows; tile rows overlap by two, so each padded row is made once, into a ring of four.
// Row i of B^T d is one contiguous combination of two of them (r); its (.) B at tile tw reads
// r[2tw .. 2tw+3], and four tiles at a time come from r's even and odd halves (two shuffles of
// two loads each). (Splitting every row into even and odd columns element by element, twice per
// row, was two thirds of this function.)
inline int64_t transformInputScratch(const Tiling& t) { return 5 * (2 * t.TW + 2); }

inline void transformInput(const float* img, const Tiling& t, float* V, int64_t planeStride, int64_t col0,
                           float* scratch /* transformInputScratch(t) floats */) {
  const int64_t L = 2 * t.TW + 2;  // padded columns the tiles read
  const int64_t inCols = std::min(t.W, L - t.pW);
  float* ring[4] = {scratch, scratch + L, scratch + 2 * L, scratch + 3 * L};
  float* r = scratch + 4 * L;
  auto padRow = [&](int64_t pr, float* dst) {  // padded row pr: input row pr - pH, zeros outside
    const int64_t ih = pr - t.pH;
    if (ih < 0 || ih >= t.H) {
      std::memset(dst, 0, sizeof(float) * L);
      return;
    }
    std::memset(dst, 0, sizeof(float) * t.pW);
    std::memcpy(dst + t.pW, img + ih * t.W, sizeof(float) * inCols);
    std::memset(dst + t.pW + inCols, 0, sizeof(float) * (L - t.pW - inCols));
  };
  for (int64_t th = 0; th < t.TH; ++th) {
    for (int64_t pr = th == 0 ? 0 : 2 * th + 2; pr < 2 * th + 4; ++pr) padRow(pr, ring[pr & 3]);
    const float* d[4];
    for (int i = 0; i < 4; ++i) d[i] = ring[(2 * th + i) & 3];
    float* out = V + col0 + th * t.TW;
    for (int i = 0; i < 4; ++i) {
      // Row i of B^T d: d0 - d2, d1 + d2, d2 - d1, d1 - d3.
      const float* p = d[i == 2 ? 2 : i == 0 ? 0 : 1];
      const float* q = d[i == 2 ? 1 : i == 3 ? 3 : 2];
      int64_t k = 0;
      if (i == 1) {
        for (; k + 4 <= L; k += 4) st4(r + k, ld4(p + k) + ld4(q + k));
        for (; k < L; ++k) r[k] = p[k] + q[k];
      } else {
        for (; k + 4 <= L; k += 4) st4(r + k, ld4(p + k) - ld4(q + k));
        for (; k < L; ++k) r[k] = p[k] - q[k];
      }
      float* o0 = out + (i * 4 + 0) * planeStride;
      float* o1 = out + (i * 4 + 1) * planeStride;
      float* o2 = out + (i * 4 + 2) * planeStride;
      float* o3 = out + (i * 4 + 3) * planeStride;
      int64_t x = 0;
      for (; x + 4 <= t.TW; x += 4) {
        const V4 a = ld4(r + 2 * x), b = ld4(r + 2 * x + 4), c = ld4(r + 2 * x + 2), e = ld4(r + 2 * x + 6);
        const V4 e0 = __builtin_shufflevector(a, b, 0, 2, 4, 6), q0 = __builtin_shufflevector(a, b, 1, 3, 5, 7);
        const V4 e1 = __builtin_shufflevector(c, e, 0, 2, 4, 6), q1 = __builtin_shufflevector(c, e, 1, 3, 5, 7);
        st4(o0 + x, e0 - e1);
        st4(o1 + x, q0 + e1);
        st4(o2 + x, e1 - q0);
        st4(o3 + x, q0 - q1);
      }
      for (; x < t.TW; ++x) {
        o0[x] = r[2 * x] - r[2 * x + 2];
        o1[x] = r[2 * x + 1] + r[2 * x + 2];
        o2[x] = r[2 * x + 2] - r[2 * x + 1];
        o3[x] = r[2 * x + 1] - r[2 * x + 3];
      }
    }
  }
}

// y (OH x OW) = A^T m A for every tile, m[xi] = M[xi * planeStride + col0 + t], with
// A^T = [1 1 1 0; 0 1 -1 -1]; beta != 0 adds beta * y. Tile rows are computed as four contiguous
// arrays (the 2x2 outputs of every tile) and then interleaved into the two output rows.
inline void transformOutput(const float* M, int64_t planeStride, int64_t col0, const Tiling& t, float* y,
                            float beta, float* scratch /* 4 * TW floats */) {
  float* q[4] = {scratch, scratch + t.TW, scratch + 2 * t.TW, scratch + 3 * t.TW};
  for (int64_t th = 0; th < t.TH; ++th) {
    const float* m = M + col0 + th * t.TW;
    const float* v[16];
    for (int k = 0; k < 16; ++k) v[k] = m + k * planeStride;
    int64_t tw = 0;
    for (; tw + 4 <= t.TW; tw += 4) {
      V4 a[2][4];
      for (int j = 0; j < 4; ++j) {
        const V4 m0 = ld4(v[j] + tw), m1 = ld4(v[4 + j] + tw), m2 = ld4(v[8 + j] + tw), m3 = ld4(v[12 + j] + tw);
        a[0][j] = m0 + m1 + m2;
        a[1][j] = m1 - m2 - m3;
      }
      st4(q[0] + tw, a[0][0] + a[0][1] + a[0][2]);
      st4(q[1] + tw, a[0][1] - a[0][2] - a[0][3]);
      st4(q[2] + tw, a[1][0] + a[1][1] + a[1][2]);
      st4(q[3] + tw, a[1][1] - a[1][2] - a[1][3]);
    }
    for (; tw < t.TW; ++tw) {
      float a[2][4];
      for (int j = 0; j < 4; ++j) {
        a[0][j] = v[j][tw] + v[4 + j][tw] + v[8 + j][tw];
        a[1][j] = v[4 + j][tw] - v[8 + j][tw] - v[12 + j][tw];
      }
      q[0][tw] = a[0][0] + a[0][1] + a[0][2];
      q[1][tw] = a[0][1] - a[0][2] - a[0][3];
      q[2][tw] = a[1][0] + a[1][1] + a[1][2];
      q[3][tw] = a[1][1] - a[1][2] - a[1][3];
    }
    for (int r = 0; r < 2 && th * 2 + r < t.OH; ++r) {
      float* yr = y + (th * 2 + r) * t.OW;
      const float* qe = q[2 * r];
      const float* qo = q[2 * r + 1];
      const int64_t pairs = t.OW / 2;
      if (beta == 0.f) {
        for (int64_t x = 0; x < pairs; ++x) {
          yr[2 * x] = qe[x];
          yr[2 * x + 1] = qo[x];
        }
        if (t.OW & 1) yr[t.OW - 1] = qe[pairs];
      } else {
        for (int64_t x = 0; x < pairs; ++x) {
          yr[2 * x] = qe[x] + beta * yr[2 * x];
          yr[2 * x + 1] = qo[x] + beta * yr[2 * x + 1];
        }
        if (t.OW & 1) yr[t.OW - 1] = qe[pairs] + beta * yr[t.OW - 1];
      }
    }
  }
}

// The transformed kernel: plane xi (F x C) at data + xi * plane, stored or packed (gemmPackA).
struct Planes {
  const float* data;
  int64_t plane;
  bool packed;
};

// Images [n0, n0 + gn) as one group: their tiles side by side in V and M (the 16 GEMMs get gn * T
// columns). `parallel`: each phase split over the threads; otherwise all on this thread.
inline void forwardGroup(const float* x, const Planes& U, float* y, const conv::Dims& d, const Tiling& t, double beta,
                         int64_t n0, int64_t gn, float* V, float* M, bool parallel, const ChannelAffine<float>* affine) {
  const int64_t C = d.C, F = d.F, T = t.tiles(), cols = gn * T;
  const int64_t vPlane = C * cols, mPlane = F * cols;
  auto range = [&](int64_t n, int64_t cost, FunctionRef<void(int64_t, int64_t)> fn) {
    if (parallel) parallelFor(n, cost, fn);
    else fn(0, n);
  };
  range(gn * C, d.g.inSize() * 4, [&](int64_t b, int64_t e) {
    std::vector<float> rows(static_cast<size_t>(transformInputScratch(t)));
    for (int64_t i = b; i < e; ++i) {
      const int64_t n = i / C, c = i % C;
      transformInput(x + ((n0 + n) * C + c) * d.IS, t, V + c * cols, vPlane, n * T, rows.data());
    }
  });
  // The 16 GEMMs, each on one thread: every element of M is summed over the channels in the same
  // order whatever the grouping and the thread count.
  range(kPlanes, 2 * F * C * cols, [&](int64_t b, int64_t e) {
    for (int64_t xi = b; xi < e; ++xi) {
      const float* u = U.data + xi * U.plane;
      if (U.packed)
        gemmPackedA<float>(F, cols, C, 1.0, u, false, V + xi * vPlane, cols, 0.0, M + xi * mPlane, cols, false);
      else
        gemm<float>(false, false, F, cols, C, 1.0, u, C, V + xi * vPlane, cols, 0.0, M + xi * mPlane, cols, false);
    }
  });
  range(gn * F, T * 40, [&](int64_t b, int64_t e) {
    std::vector<float> rows(static_cast<size_t>(4 * t.TW));
    for (int64_t i = b; i < e; ++i) {
      const int64_t n = i / F, f = i % F;
      float* yf = y + ((n0 + n) * F + f) * d.OS;
      transformOutput(M + f * cols, mPlane, n * T, t, yf, static_cast<float>(beta), rows.data());
      if (affine) affine->apply(yf, f, d.OS, yf - y);
    }
  });
}

// y[n] = conv3x3(x[n], w) (+ beta * y) for all N images; x is N x C x H x W, w is F x C x 3 x 3.
// With at least as many images as threads and enough tiles per image, each thread takes whole
// images (no synchronisation between phases); otherwise the images go in groups and every phase
// uses all threads. Small maps (7x7, 14x14) take the groups: per-thread images would each stream
// the whole transformed kernel U through GEMMs of few columns (4x512x7x7 on 2 threads: 11.4 ms
// per-thread images, 5.7 ms grouped; 16x512x7x7: 19.6 vs 17.8 ms).
// affine: a fused BatchNorm applied to each output plane as it is made (ops/nn/channel_affine.h).
// prepared: an executor's cache, which keeps the transformed kernel packed for the GEMMs between
// calls (when every GEMM has more than one row and column: a matrix-vector product does not pack,
// and would sum in another order than the uncached call).
inline void forward(const float* x, const float* w, float* y, const conv::Dims& d, double beta,
                    const ChannelAffine<float>* affine = nullptr, PreparedInput* prepared = nullptr) {
  const Tiling t = tilingOf(d.g);
  const int64_t C = d.C, F = d.F, T = t.tiles();
  // Images per group: the V and M planes of a group stay within ~8 MB, at least one image.
  const int64_t perImage = kPlanes * (C + F) * T * static_cast<int64_t>(sizeof(float));
  const int64_t group = std::max<int64_t>(1, std::min<int64_t>(d.N, (int64_t(8) << 20) / perImage));
  const bool packed = prepared && F > 1 && T > 1 && C > 0;
  auto transform = [&](float* into) {
    parallelFor(F, C * 60, [&](int64_t fb, int64_t fe) { transformWeights(w, F, C, fb, fe, into); });
  };
  conv::Workspace uws(packed ? 0 : sizeof(float) * kPlanes * F * C);
  Planes U{uws.as<float>(), F * C, false};
  if (packed) {
    U.plane = gemmPackedASize(F, C);
    U.packed = true;
    U.data = static_cast<const float*>(
        prepared->get(conv::kWinogradPlanes, sizeof(float) * kPlanes * U.plane, [&](void* buf) {
          conv::Workspace planes(sizeof(float) * kPlanes * F * C);
          transform(planes.as<float>());
          parallelFor(kPlanes, 2 * F * C, [&](int64_t b, int64_t e) {
            for (int64_t xi = b; xi < e; ++xi)
              gemmPackA<float>(false, F, C, planes.as<float>() + xi * F * C, C, static_cast<float*>(buf) + xi * U.plane);
          });
        }));
  } else {
    transform(uws.as<float>());
  }
  const int threads = parallelThreads();
  if (threads > 1 && d.N >= threads && T >= 64) {
    parallelFor(d.N, 2 * F * C * 16 * T, [&](int64_t b, int64_t e) {
      const int64_t g = std::min(group, e - b);
      conv::Workspace ws(static_cast<size_t>(perImage * g));
      float* V = ws.as<float>();
      for (int64_t n0 = b; n0 < e; n0 += g) {
        const int64_t gn = std::min(g, e - n0);
        forwardGroup(x, U, y, d, t, beta, n0, gn, V, V + kPlanes * C * T * gn, false, affine);
      }
    });
    return;
  }
  conv::Workspace ws(static_cast<size_t>(perImage * group));
  float* V = ws.as<float>();
  for (int64_t n0 = 0; n0 < d.N; n0 += group) {
    const int64_t gn = std::min(group, d.N - n0);
    forwardGroup(x, U, y, d, t, beta, n0, gn, V, V + kPlanes * C * T * gn, true, affine);
  }
}

}  // namespace winograd
}  // namespace ist
