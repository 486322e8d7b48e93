// Depthwise convolution (one input channel and one filter per group: MobileNet's and ShuffleNet's
// 3x3 layers) computed directly on the CPU: each plane copied into padded phase planes
// (phase_planes.h), then each output plane the sum, tap by tap in tap order, of a weight times the
// flat plane from the tap's offset. The general path (im2col, then one single-row GEMM per channel)
// moved K times the image through memory and made one GEMM call per channel.
// float32 runs the SIMD kernel of depthwise_taps.h (fused multiply-adds where the CPU has them, so
// its last bits depend on the ISA, as the GEMM's do); float64 runs taps9 / tapAxpy below.
#pragma once
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>
#include "engine/parallel_for.h"
#include "ops/nn/channel_affine.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/depthwise_taps.h"
#include "ops/nn/phase_planes.h"

namespace ist {
namespace conv {

// out[i] += w * src[i]: separate buffers, so the loop vectorizes without alias checks.
template <typename T>
inline void tapAxpy(T* __restrict out, const T* __restrict src, T w, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] += w * src[i];
}

// out[i] = sum over the 9 taps of w[k] * src[i + off[k]], in tap order (the order tapAxpy adds in):
// each output is loaded from the taps once and stored once, with the taps' weights in registers.
template <typename T>
inline void taps9(T* __restrict out, const T* __restrict src, const int64_t* off, const T* w, int64_t n) {
  const T* s0 = src + off[0]; const T* s1 = src + off[1]; const T* s2 = src + off[2];
  const T* s3 = src + off[3]; const T* s4 = src + off[4]; const T* s5 = src + off[5];
  const T* s6 = src + off[6]; const T* s7 = src + off[7]; const T* s8 = src + off[8];
  const T w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
  for (int64_t i = 0; i < n; ++i) {
    T acc = T(0) + w0 * s0[i];
    acc += w1 * s1[i];
    acc += w2 * s2[i];
    acc += w3 * s3[i];
    acc += w4 * s4[i];
    acc += w5 * s5[i];
    acc += w6 * s6[i];
    acc += w7 * s7[i];
    acc += w8 * s8[i];
    out[i] = acc;
  }
}

// 1-D and 2-D depthwise layers with a channel multiplier of 1 (the only kind the networks use).
inline bool depthwiseApplies(const Dims& d) {
  return d.G > 1 && d.Cg == 1 && d.Fg == 1 && d.g.nd <= 2 && d.g.in[0] == 1 && d.g.k[0] == 1;
}

// y (N, C, OH, OW) = depthwise(x, w) [+ beta * y]; then a fused BatchNorm's affine per channel.
template <typename T>
void depthwiseForward(const T* x, const T* w, T* y, const Dims& d, double beta, const ChannelAffine<T>* affine) {
  const Geom& g = d.g;
  const int64_t IH = g.in[1], IW = g.in[2], OH = g.out[1], OW = g.out[2];
  const int64_t KH = g.k[1], KW = g.k[2], SH = g.s[1], SW = g.s[2], DH = g.d[1], DW = g.d[2];
  const int64_t PH = g.p[1], PW = g.p[2];
  // The plane is copied once into zero-padded phase planes (phase_planes.h), and each tap is one
  // long multiply-add over a flat plane.
  const PhasePlanes pp(IH, IW, OH, OW, KH, KW, SH, SW, DH, DW, PH, PW);
  const int64_t extLen = pp.extLen;
  parallelFor(d.N * d.C, 2 * KH * KW * OH * OW, [&](int64_t b, int64_t e) {
    std::vector<T> planes(static_cast<size_t>(pp.size + kTapsSlack), T(0));
    std::vector<T> ext(static_cast<size_t>(extLen + kTapsSlack));
    for (int64_t nc = b; nc < e; ++nc) {
      const int64_t c = nc % d.C;
      const T* wc = w + c * KH * KW;
      T* yp = y + nc * OH * OW;
      pp.fill(x + nc * IH * IW, T(0), planes.data());
      T* out = ext.data();
      if constexpr (std::is_same<T, float>::value) {
        depthwiseTaps(out, planes.data(), pp.offsets.data(), wc, KH * KW, extLen);  // SIMD, dispatched
      } else if (KH * KW == 9) {
        taps9(out, planes.data(), pp.offsets.data(), wc, extLen);
      } else {
        std::fill(ext.begin(), ext.end(), T(0));
        for (int64_t k = 0; k < KH * KW; ++k) tapAxpy(out, planes.data() + pp.offsets[k], wc[k], extLen);
      }
      for (int64_t oy = 0; oy < OH; ++oy) {
        const T* r = out + oy * pp.PWs;
        T* dst = yp + oy * OW;
        if (beta != 0) {
          for (int64_t ox = 0; ox < OW; ++ox) dst[ox] += r[ox];
        } else {
          std::copy(r, r + OW, dst);
        }
      }
      if (affine) affine->apply(yp, c, OH * OW, nc * OH * OW);
    }
  });
}

}  // namespace conv
}  // namespace ist
