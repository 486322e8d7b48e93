// The weight gradient of an im2col convolution, dW_g (=|+=) sum over images n of A[n]_g col(img[n])_g^T
// per group g: Convolution's (A the output gradient, img the input) and Deconvolution's (A the input,
// img the output gradient).
//
// One image at a time made small products: LeNet's second layer is a 50 x 500 x 64 GEMM per image,
// too short to amortise its packing and too small to split over threads. So images go in chunks
// whose columns sit side by side (one GEMM with K = images x positions), and when dW is small the
// chunks run on different threads, each into its own partial product, summed in chunk order at the
// end. The chunks depend on the shapes only, so the result is the same for any thread count.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>
#include "engine/parallel_for.h"
#include "kernels/cpu/gemm.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/im2col.h"

namespace ist {
namespace conv {

// A weight gradient's operands. Per image: A is aRows x L (L = g.outSize()), img has imgChannels
// planes of g.inSize() elements; `direct` (a 1x1 stride-1 unpadded kernel) uses the image as its own
// column matrix.
template <typename T>
struct WeightGradArgs {
  const T* a;
  int64_t aRows;
  const T* img;
  int64_t imgChannels;
  Geom g;
  bool direct;
  int64_t N, G;
};

// Columns per chunk to aim for (a GEMM depth that amortises packing), the chunk's column matrix at
// most this many bytes unless one image needs more, and how many chunks at most.
constexpr int64_t kGradChunkColumns = 512;
constexpr size_t kGradChunkBytes = size_t(4) << 20;
constexpr int64_t kGradMaxChunks = 64;
// Below this many dW elements per group the GEMM has too few output tiles to share between threads:
// chunks then run in parallel into partial products.
constexpr int64_t kGradSmallOutput = 65536;

template <typename T>
void weightGradient(const WeightGradArgs<T>& w, T* dw, bool add) {
  const int64_t L = w.g.outSize(), K = w.direct ? 1 : w.g.kSize();
  const int64_t colHeight = w.imgChannels * K;  // every group's rows
  const int64_t Mg = w.aRows / w.G, CKg = colHeight / w.G;
  const int64_t dwSize = w.aRows * CKg;
  if (dwSize == 0) return;
  if (w.N == 0 || L == 0) {
    if (!add) std::fill(dw, dw + dwSize, T(0));
    return;
  }
  const size_t imageColBytes = static_cast<size_t>(colHeight * L) * sizeof(T);
  int64_t nb = std::min<int64_t>(w.N, ceilDiv(kGradChunkColumns, L));
  nb = std::max<int64_t>(1, std::min<int64_t>(nb, static_cast<int64_t>(kGradChunkBytes / std::max<size_t>(imageColBytes, 1))));
  nb = std::max(nb, ceilDiv(w.N, kGradMaxChunks));
  const int64_t chunks = ceilDiv(w.N, nb);
  const std::vector<ColRow> rows = w.direct ? std::vector<ColRow>() : colRows(w.g, w.imgChannels);

  // The chunk starting at image n0 (m images, Lc = m * L columns): its A and column matrix, gathered
  // into scratch unless a single image's own arrays serve (then the pointers come back unchanged).
  auto gather = [&](int64_t n0, int64_t m, T* aBuf, T* colBuf, bool par, const T** aOut, const T** colOut) {
    const int64_t Lc = m * L;
    const T* an = w.a + n0 * w.aRows * L;
    const T* imgn = w.img + n0 * w.imgChannels * w.g.inSize();
    if (m == 1) {
      *aOut = an;
      if (w.direct) {
        *colOut = imgn;
        return;
      }
      im2col(imgn, w.imgChannels, w.g, colBuf, par);
      *colOut = colBuf;
      return;
    }
    for (int64_t j = 0; j < m; ++j) {
      const T* aj = an + j * w.aRows * L;
      for (int64_t r = 0; r < w.aRows; ++r) std::memcpy(aBuf + r * Lc + j * L, aj + r * L, L * sizeof(T));
    }
    auto cols = [&](int64_t rb, int64_t re) {
      for (int64_t j = 0; j < m; ++j) {
        const T* imgj = imgn + j * w.imgChannels * w.g.inSize();
        if (w.direct) {
          for (int64_t r = rb; r < re; ++r) std::memcpy(colBuf + r * Lc + j * L, imgj + r * L, L * sizeof(T));
        } else {
          im2colBlock(imgj, w.g, rows.data(), rb, re - rb, 0, L, L, colBuf + rb * Lc + j * L, Lc);
        }
      }
    };
    if (par) parallelFor(colHeight, m * L, cols);
    else cols(0, colHeight);
    *aOut = aBuf;
    *colOut = colBuf;
  };
  auto product = [&](const T* ac, const T* colc, int64_t Lc, double beta, T* target, bool par) {
    for (int64_t gi = 0; gi < w.G; ++gi)
      gemm<T>(false, true, Mg, CKg, Lc, 1.0, ac + gi * Mg * Lc, Lc, colc + gi * CKg * Lc, Lc, beta,
              target + gi * Mg * CKg, CKg, par);
  };
  // (the column matrix after A, from a 64-byte boundary)
  const size_t aBytes = nb > 1 ? (static_cast<size_t>(w.aRows * nb * L) * sizeof(T) + 63) / 64 * 64 : 0;
  const size_t colBytes = nb > 1 || !w.direct ? static_cast<size_t>(colHeight * nb * L) * sizeof(T) : 0;

  if (chunks > 1 && Mg * CKg < kGradSmallOutput) {
    Workspace partials(static_cast<size_t>(chunks * dwSize) * sizeof(T));
    T* part = partials.as<T>();
    parallelFor(chunks, 2 * dwSize * nb * L, [&](int64_t cb, int64_t ce) {
      Workspace scratch(aBytes + colBytes);
      T* aBuf = scratch.as<T>();
      T* colBuf = aBuf + aBytes / sizeof(T);
      for (int64_t c = cb; c < ce; ++c) {
        const int64_t n0 = c * nb, m = std::min(nb, w.N - n0);
        const T *ac, *colc;
        gather(n0, m, aBuf, colBuf, false, &ac, &colc);
        product(ac, colc, m * L, 0.0, part + c * dwSize, false);
      }
    });
    parallelFor(dwSize, chunks, [&](int64_t lo, int64_t hi) {  // ((dW + p0) + p1) + ..., a row of partials at a time
      if (add) {
        for (int64_t i = lo; i < hi; ++i) dw[i] += part[i];
      } else {
        std::memcpy(dw + lo, part + lo, static_cast<size_t>(hi - lo) * sizeof(T));
      }
      for (int64_t c = 1; c < chunks; ++c) {
        const T* p = part + c * dwSize;
        for (int64_t i = lo; i < hi; ++i) dw[i] += p[i];
      }
    });
    return;
  }
  Workspace scratch(aBytes + colBytes);
  T* aBuf = scratch.as<T>();
  T* colBuf = aBuf + aBytes / sizeof(T);
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t n0 = c * nb, m = std::min(nb, w.N - n0);
    const T *ac, *colc;
    gather(n0, m, aBuf, colBuf, true, &ac, &colc);
    product(ac, colc, m * L, add || c > 0 ? 1.0 : 0.0, dw, true);
  }
}

}  // namespace conv
}  // namespace ist
