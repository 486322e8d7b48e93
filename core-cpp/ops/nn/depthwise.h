// Depthwise convolution (one input channel and one filter per group: MobileNet's and ShuffleNet's
// 3x3 layers) computed directly on the CPU: each output row is the sum, over the kernel's taps, of a
// weight times a shifted input row. The general path (im2col, then one single-row GEMM per channel)
// moved K times the image through memory and made one GEMM call per channel.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>
#include "engine/parallel_for.h"
#include "ops/nn/channel_affine.h"
#include "ops/nn/conv_common.h"

namespace ist {
namespace conv {

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
  // Per tap column kx: the output columns whose input column lies inside the image.
  std::vector<int64_t> lo(KW), hi(KW);
  for (int64_t kx = 0; kx < KW; ++kx) {
    const int64_t off = kx * DW - PW;  // input column = ox * SW + off
    lo[kx] = off >= 0 ? 0 : (-off + SW - 1) / SW;
    hi[kx] = IW - off <= 0 ? 0 : std::min(OW, (IW - off + SW - 1) / SW);
    if (hi[kx] < lo[kx]) hi[kx] = lo[kx];
  }
  parallelFor(d.N * d.C, 2 * KH * KW * OH * OW, [&](int64_t b, int64_t e) {
    std::vector<T> row(static_cast<size_t>(OW));
    for (int64_t nc = b; nc < e; ++nc) {
      const int64_t c = nc % d.C;
      const T* xp = x + nc * IH * IW;
      const T* wc = w + c * KH * KW;
      T* yp = y + nc * OH * OW;
      for (int64_t oy = 0; oy < OH; ++oy) {
        std::fill(row.begin(), row.end(), T(0));
        for (int64_t ky = 0; ky < KH; ++ky) {
          const int64_t iy = oy * SH - PH + ky * DH;
          if (iy < 0 || iy >= IH) continue;
          const T* xr = xp + iy * IW;
          for (int64_t kx = 0; kx < KW; ++kx) {
            const T wv = wc[ky * KW + kx];
            const T* src = xr + kx * DW - PW;
            T* dst = row.data();
            if (SW == 1) {
              for (int64_t ox = lo[kx]; ox < hi[kx]; ++ox) dst[ox] += wv * src[ox];
            } else {
              for (int64_t ox = lo[kx]; ox < hi[kx]; ++ox) dst[ox] += wv * src[ox * SW];
            }
          }
        }
        T* out = yp + oy * OW;
        if (beta != 0) {
          for (int64_t ox = 0; ox < OW; ++ox) out[ox] += row[ox];
        } else {
          std::copy(row.begin(), row.end(), out);
        }
      }
      if (affine) affine->apply(yp, c, OH * OW, nc * OH * OW);
    }
  });
}

}  // namespace conv
}  // namespace ist
