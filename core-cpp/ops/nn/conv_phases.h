// A 1-D or 2-D convolution's column matrix from phase planes: the image split by the stride into
// its phases (stride 2: even or odd row, even or odd column), padding included, so that every
// output row's run of a column-matrix row is one contiguous copy from one plane. im2colBlock
// instead works out each run's padding and, for stride 2, gathers every other value: that made it
// up to a fifth of ResNet's 7x7/2 stem and a third of its 3x3/2 convolutions. Stride 1 has one
// phase, the padded image.
//
// With strides (sy, sx), dilation (dy, dx) and Wq = OW + (KW - 1) * dx / sx columns per phase row,
// the entry for channel c, kernel offset (ky, kx) and output (oh, ow) is plane
// (ky * dy % sy, kx * dx % sx) of channel c at row oh + ky * dy / sy, column ow + kx * dx / sx.
// The GEMM sums each output over the same rows in the same order as with im2col: the same bits.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>
#include "engine/parallel_for.h"
#include "kernels/cpu/row_copy.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/im2col.h"

namespace ist {
namespace conv {

// Strides up to 4, the ones measured and tested (ResNet, VGG, MobileNet use 1 and 2); larger ones
// (patch embeddings) and 3-D convolutions keep im2colBlock.
inline bool phasesApply(const Geom& g) { return g.nd <= 2 && g.s[1] <= 4 && g.s[2] <= 4; }

struct PhasePlan {
  int64_t sy = 1, sx = 1;    // the strides: phases per channel are sy * sx (those some tap reads)
  int64_t Hq = 0, Wq = 0;    // rows and columns of each phase plane
  int64_t planes = 0;        // phase planes per channel actually stored
  std::vector<int64_t> planeOf;   // [a * sx + b] -> plane index within a channel, or -1
  std::vector<int64_t> rowStart;  // per column-matrix row (c, ky, kx) of one group: its first element
  int64_t planeSize() const { return Hq * Wq; }
  int64_t channelSize() const { return planes * Hq * Wq; }
};

inline PhasePlan phasePlan(const Geom& g, int64_t channels) {
  PhasePlan pp;
  const int64_t KH = g.k[1], KW = g.k[2], dy = g.d[1], dx = g.d[2];
  pp.sy = g.s[1];
  pp.sx = g.s[2];
  pp.Hq = g.out[1] + (KH - 1) * dy / pp.sy;
  pp.Wq = g.out[2] + (KW - 1) * dx / pp.sx;
  pp.planeOf.assign(static_cast<size_t>(pp.sy * pp.sx), -1);
  for (int64_t ky = 0; ky < KH; ++ky)
    for (int64_t kx = 0; kx < KW; ++kx) {
      int64_t& p = pp.planeOf[static_cast<size_t>(ky * dy % pp.sy * pp.sx + kx * dx % pp.sx)];
      if (p < 0) p = pp.planes++;
    }
  // Each tap's start within its channel's planes, then the same taps channel after channel.
  std::vector<int64_t> tap;
  for (int64_t ky = 0; ky < KH; ++ky)
    for (int64_t kx = 0; kx < KW; ++kx) {
      const int64_t plane = pp.planeOf[static_cast<size_t>(ky * dy % pp.sy * pp.sx + kx * dx % pp.sx)];
      tap.push_back(plane * pp.planeSize() + ky * dy / pp.sy * pp.Wq + kx * dx / pp.sx);
    }
  pp.rowStart.reserve(static_cast<size_t>(channels) * tap.size());
  for (int64_t c = 0; c < channels; ++c)
    for (const int64_t t : tap) pp.rowStart.push_back(c * pp.channelSize() + t);
  return pp;
}

// The phase planes of `channels` channels of an image (C x H x W) into dst, which holds
// channels * channelSize() elements: plane (a, b)[u][v] = img[sy u + a - ph][sx v + b - pw], zero
// where that falls in the padding. Channels split over threads when `parallel`.
template <typename T>
void splitPhases(const T* img, int64_t channels, const Geom& g, const PhasePlan& pp, T* dst, bool parallel) {
  const int64_t H = g.in[1], W = g.in[2], ph = g.p[1], pw = g.p[2];
  auto fill = [&](int64_t cb, int64_t ce) {
    for (int64_t c = cb; c < ce; ++c)
      for (int64_t a = 0; a < pp.sy; ++a)
        for (int64_t b = 0; b < pp.sx; ++b) {
          const int64_t p = pp.planeOf[static_cast<size_t>(a * pp.sx + b)];
          if (p < 0) continue;
          T* plane = dst + c * pp.channelSize() + p * pp.planeSize();
          int64_t vlo, vhi;  // columns v whose input column sx v + b - pw lies in [0, W)
          validRange(W, pp.Wq, pp.sx, pw, b, &vlo, &vhi);
          for (int64_t u = 0; u < pp.Hq; ++u) {
            T* row = plane + u * pp.Wq;
            const int64_t ih = pp.sy * u + a - ph;
            if (ih < 0 || ih >= H || vhi <= vlo) {
              std::fill(row, row + pp.Wq, T(0));
              continue;
            }
            const T* in = img + (c * H + ih) * W + pp.sx * vlo + b - pw;
            std::fill(row, row + vlo, T(0));
            if (pp.sx == 1) copyRun(row + vlo, in, vhi - vlo);
            else if (pp.sx == 2) copyEveryOther(row + vlo, in, vhi - vlo);
            else
              for (int64_t v = vlo; v < vhi; ++v) row[v] = in[(v - vlo) * pp.sx];
            std::fill(row + vhi, row + pp.Wq, T(0));
          }
        }
  };
  if (parallel) parallelFor(channels, pp.channelSize(), fill);
  else fill(0, channels);
}

// Rows [k0, k0 + kc) and columns [j0, j0 + cols) of the column matrix, row-major with `width`
// columns (zeros past cols): a GemmBSource fill, one copy per run of columns in an output row
// (forEachColumnRuns; a GEMM panel of 48 columns: 1 or 2 runs in the 112-wide rows of ResNet's stem).
template <typename T>
void phaseRows(const T* planes, const Geom& g, const PhasePlan& pp, int64_t k0, int64_t kc, int64_t j0, int64_t cols,
               int64_t width, T* dst) {
  forEachColumnRuns(g, j0, cols, [&](const ColumnRun* runs, int n) {
    T* d = dst;
    for (int64_t r = k0; r < k0 + kc; ++r, d += width) {
      const T* src = planes + pp.rowStart[static_cast<size_t>(r)];
      for (int i = 0; i < n; ++i) copyRun(d + runs[i].at, src + runs[i].row * pp.Wq + runs[i].ow, runs[i].len);
    }
  });
  zeroPastColumns(dst, kc, cols, width, width);
}

}  // namespace conv
}  // namespace ist
