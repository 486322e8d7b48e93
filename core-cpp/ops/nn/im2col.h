// im2col / col2im over 1-, 2- and 3-D images (held as 3-D, see conv::Geom), for the GEMM
// formulation of Convolution and Deconvolution.
//
// The column matrix of a C-channel image has C * kSize rows (channel-major, then kernel offsets
// kd, kh, kw) and outSize columns (window positions od, oh, ow):
//   col[(c, kd, kh, kw), (od, oh, ow)] = img[c, od*s0 - p0 + kd*d0, oh*s1 - p1 + kh*d1, ow*s2 - p2 + kw*d2]
// with zeros where the index falls in the padding. Rows are filled with runs of contiguous copies
// (the innermost axis is split once into its padded head, valid middle and padded tail).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>
#include "engine/parallel_for.h"
#include "kernels/cpu/row_copy.h"
#include "ops/nn/conv_common.h"

namespace ist {
namespace conv {

// The window positions [lo, hi) along one axis whose tap at kernel offset `koff` (already times
// the dilation) lands inside [0, in).
inline void validRange(int64_t in, int64_t out, int64_t s, int64_t p, int64_t koff, int64_t* lo, int64_t* hi) {
  *lo = std::min(out, std::max<int64_t>(0, ceilDiv(p - koff, s)));
  *hi = std::max(*lo, std::min(out, ceilDiv(in + p - koff, s)));
}

// What one row of the column matrix reads: channel c at kernel offset (kd, kh, kw), as the offsets
// im2colBlock needs, computed once per convolution instead of once per packed block.
struct ColRow {
  int64_t plane;          // c * inSize
  int64_t dOff, hOff;     // kd * d0 - p0, kh * d1 - p1
  int64_t w0, wlo, whi;   // input column = ow * s2 + w0; valid ow in [wlo, whi)
};

inline std::vector<ColRow> colRows(const Geom& g, int64_t channels) {
  const int64_t K = g.kSize();
  std::vector<ColRow> rows(static_cast<size_t>(channels * K));
  for (int64_t r = 0; r < channels * K; ++r) {
    const int64_t c = r / K, kk = r % K;
    const int64_t kw = kk % g.k[2], kh = (kk / g.k[2]) % g.k[1], kd = kk / (g.k[2] * g.k[1]);
    ColRow& row = rows[static_cast<size_t>(r)];
    row.plane = c * g.inSize();
    row.dOff = kd * g.d[0] - g.p[0];
    row.hOff = kh * g.d[1] - g.p[1];
    row.w0 = kw * g.d[2] - g.p[2];
    validRange(g.in[2], g.out[2], g.s[2], g.p[2], kw * g.d[2], &row.wlo, &row.whi);
  }
  return rows;
}

// Columns [j0, j0 + cols) of a column matrix, split into runs along ow, one per output row they
// touch: body(runs, n) gets them up to 64 at a time (a GEMM panel, <= 48 columns, needs one call).
struct ColumnRun {
  int64_t at, len;  // columns at .. at + len of the block
  int64_t ow, row;  // the first one's window column, and its output row od * out[1] + oh
  int64_t od, oh;   // that row's coordinates (divided once here, not once per column-matrix row)
};
template <typename Body>
void forEachColumnRuns(const Geom& g, int64_t j0, int64_t cols, Body&& body) {
  constexpr int kMaxRuns = 64;
  ColumnRun runs[kMaxRuns];
  const int64_t rowLen = g.out[2];
  for (int64_t done = 0; done < cols;) {
    int n = 0;
    for (int64_t j = j0 + done; done < cols && n < kMaxRuns;) {
      const int64_t ow = j % rowLen, len = std::min(cols - done, rowLen - ow);
      const int64_t row = j / rowLen;
      runs[n++] = ColumnRun{done, len, ow, row, row / g.out[1], row % g.out[1]};
      done += len;
      j += len;
    }
    body(static_cast<const ColumnRun*>(runs), n);
  }
}

// Zeros in columns cols .. width of a kc-row block whose rows are ld apart (a GEMM panel's unused
// columns).
template <typename T>
void zeroPastColumns(T* dst, int64_t kc, int64_t cols, int64_t width, int64_t ld) {
  if (cols < width)
    for (int64_t r = 0; r < kc; ++r) std::fill(dst + r * ld + cols, dst + r * ld + width, T(0));
}

// Rows [k0, k0 + kc) and columns [j0, j0 + cols) of the column matrix, written row-major with
// `width` columns (zeros past cols) in rows ld apart (0: width): the whole matrix (im2col below),
// the block a GEMM packs, made straight from the image so the whole matrix is never stored
// (gemmFromSource), or one image's columns among other images' (conv_weight_grad.h); one run of
// columns per output row at a time (forEachColumnRuns).
template <typename T>
void im2colBlock(const T* img, const Geom& g, const ColRow* rows, int64_t k0, int64_t kc, int64_t j0, int64_t cols,
                 int64_t width, T* dst, int64_t ld = 0) {
  if (ld == 0) ld = width;
  forEachColumnRuns(g, j0, cols, [&](const ColumnRun* runs, int n) {
    T* d = dst;
    for (int64_t r = k0; r < k0 + kc; ++r, d += ld) {
      const ColRow& cr = rows[r];
      const T* src = img + cr.plane;
      for (int i = 0; i < n; ++i) {
        const ColumnRun& run = runs[i];
        T* out = d + run.at;
        const int64_t id = run.od * g.s[0] + cr.dOff, ih = run.oh * g.s[1] + cr.hOff;
        if (id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1]) {
          std::fill(out, out + run.len, T(0));
          continue;
        }
        const T* row = src + (id * g.in[1] + ih) * g.in[2];
        const int64_t end = run.ow + run.len;
        const int64_t lo = std::min(std::max(cr.wlo, run.ow), end), hi = std::max(lo, std::min(cr.whi, end));
        std::fill(out, out + (lo - run.ow), T(0));
        if (g.s[2] == 1) {
          if (hi > lo) copyRun(out + (lo - run.ow), row + lo + cr.w0, hi - lo);
        } else if (g.s[2] == 2) {
          copyEveryOther(out + (lo - run.ow), row + 2 * lo + cr.w0, hi - lo);
        } else {
          for (int64_t x = lo; x < hi; ++x) out[x - run.ow] = row[x * g.s[2] + cr.w0];
        }
        std::fill(out + (hi - run.ow), out + run.len, T(0));
      }
    }
  });
  zeroPastColumns(dst, kc, cols, width, ld);
}

// The whole column matrix of a `channels`-channel image, rows split over threads when `parallel`.
template <typename T>
void im2col(const T* img, int64_t channels, const Geom& g, T* col, bool parallel = true) {
  const std::vector<ColRow> rows = colRows(g, channels);
  const int64_t outSz = g.outSize();
  auto fill = [&](int64_t b, int64_t e) { im2colBlock(img, g, rows.data(), b, e - b, 0, outSz, outSz, col + b * outSz); };
  if (!parallel) return fill(0, channels * g.kSize());
  parallelFor(channels * g.kSize(), outSz, fill);
}

// The adjoint of im2col for channels [cb, ce): img[c, ...] += every column entry that im2col read
// from it. `img` must be initialised (zeros for a plain scatter).
template <typename T>
void col2imChannels(const T* col, int64_t cb, int64_t ce, const Geom& g, T* img) {
  const int64_t K = g.kSize(), inSz = g.inSize(), outSz = g.outSize();
  for (int64_t c = cb; c < ce; ++c) {
    T* dstImg = img + c * inSz;
    for (int64_t kk = 0; kk < K; ++kk) {
      const int64_t kw = kk % g.k[2], kh = (kk / g.k[2]) % g.k[1], kd = kk / (g.k[2] * g.k[1]);
      const T* src = col + (c * K + kk) * outSz;
      int64_t wlo, whi;
      validRange(g.in[2], g.out[2], g.s[2], g.p[2], kw * g.d[2], &wlo, &whi);
      const int64_t w0 = kw * g.d[2] - g.p[2];
      for (int64_t od = 0; od < g.out[0]; ++od) {
        const int64_t id = od * g.s[0] - g.p[0] + kd * g.d[0];
        for (int64_t oh = 0; oh < g.out[1]; ++oh, src += g.out[2]) {
          const int64_t ih = oh * g.s[1] - g.p[1] + kh * g.d[1];
          if (id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1] || whi <= wlo) continue;
          T* row = dstImg + (id * g.in[1] + ih) * g.in[2];
          if (g.s[2] == 1) {
            T* r = row + w0;
            for (int64_t ow = wlo; ow < whi; ++ow) r[ow] += src[ow];
          } else {
            for (int64_t ow = wlo; ow < whi; ++ow) row[ow * g.s[2] + w0] += src[ow];
          }
        }
      }
    }
  }
}

// col2im over all channels; channels go to different threads when `parallel` (a channel's rows
// all write into that channel only).
template <typename T>
void col2im(const T* col, int64_t channels, const Geom& g, T* img, bool parallel = true) {
  if (!parallel) return col2imChannels(col, 0, channels, g, img);
  parallelFor(channels, g.kSize() * g.outSize(),
              [&](int64_t cb, int64_t ce) { col2imChannels(col, cb, ce, g, img); });
}

// Runs body(n, scratch, parallelInside) for every image n in [0, N). With at least as many images
// as threads, images go to different threads, each chunk with its own `scratchBytes` of scratch,
// and body must run its kernels single-threaded (parallelInside false); otherwise images run in
// order and body's kernels use the threads. Either way every image computes the same arithmetic.
template <typename F>
void forEachImage(int64_t N, size_t scratchBytes, int64_t costPerImage, F&& body) {
  const int threads = parallelThreads();
  if (N > 1 && threads > 1 && N >= threads) {
    parallelFor(N, costPerImage, [&](int64_t b, int64_t e) {
      Workspace ws(scratchBytes);
      for (int64_t n = b; n < e; ++n) body(n, ws.as<void>(), false);
    });
    return;
  }
  Workspace ws(scratchBytes);
  for (int64_t n = 0; n < N; ++n) body(n, ws.as<void>(), true);
}

}  // namespace conv
}  // namespace ist
