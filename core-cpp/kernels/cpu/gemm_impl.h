// The GEMM driver and micro-kernel templates, instantiated once per SIMD width by gemm*.cc.
//
// Goto/BLIS structure. For a block of C:
//   for jc over N by NC:
//     for pc over K by KC:         pack a KC x NC block of op(B) into NR-wide column panels
//       for ic over M by MC:       pack an MC x KC block of op(A) into MR-tall row panels
//         for jr over NC by NR:    one B panel (KC x NR) stays in L1 ...
//           for ir over MC by MR:  ... while A panels stream from L2 through the micro-kernel,
//                                  which keeps an MR x NR tile of C in registers.
// Packing reads A and B through their transposes, so the kernel only ever sees one layout, and
// pads edge panels with zeros, so it always computes whole tiles (edge tiles are written through
// a small buffer). The last column panel is only as many vectors wide as its columns need: with
// 48-wide tiles a 49-column product (a 7x7 convolution map) would otherwise do 96 columns of work.
// Threads take disjoint rectangles of C; K is never split, so each element of C is accumulated in
// the same order however many threads run.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>
#include <type_traits>
#include "engine/parallel_for.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/simd.h"

namespace ist {
namespace gemm_detail {

template <typename T>
struct Args {
  bool transA, transB;
  int64_t M, N, K;
  T alpha;
  const T* A;
  int64_t lda;
  const T* B;
  int64_t ldb;
  T beta;
  T* C;
  int64_t ldc;
  const GemmBSource<T>* bSource = nullptr;  // when set, op(B) comes from it (B, ldb, transB unused)
  // Whole-K panels of op(B) made by an earlier call with packOut (gemmPackB): panel j (a multiple
  // of NR) is K x width at packedB + j * K. When set, B is not packed again.
  const T* packedB = nullptr;
  // Only pack op(B) into packOut in that layout (M, A and C unused).
  T* packOut = nullptr;
  // op(A) packed by an earlier call with packOutA (gemmPackA), block by block of K: the block of
  // K from pc (pc a multiple of the blocking's step kc) holds every row's MR-row panels in packA's
  // layout, at packedA + pc * roundUp(M, MR), so the panel of rows i .. i+MR (i a multiple of MR)
  // is kc x MR at packedA + pc * roundUp(M, MR) + i * kc. A thread's consecutive panels are then
  // adjacent in memory, one stream for the prefetcher (weights too large for the caches come from
  // memory). When set, A is not packed again.
  const T* packedA = nullptr;
  // Only pack op(A) into packOutA in that layout (N, B and C unused).
  T* packOutA = nullptr;
};

// Cache blocking, in elements: MC rows of A and KC of K fill a good part of L2, KC x NC of B of L3.
struct Blocking {
  int64_t MC, KC, NC;
};

// 64-byte aligned per-thread scratch (slot 0: packed A, 1: packed B, 2: other: a GEMV's gathered
// vector, or B panels the calling thread shares with its helpers); grows on demand and lives as long
// as the thread. Defined in gemm.cc.
void* scratch(int slot, size_t bytes);

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }
// Splits n into equal-ish blocks of at most `block`, each a multiple of `mult`.
inline int64_t balancedStep(int64_t n, int64_t block, int64_t mult) {
  int64_t nb = ceilDiv(n, block);
  return std::max<int64_t>(mult, roundUp(ceilDiv(n, nb), mult));
}

// The register-blocked MR x (NV * W) micro-kernel.
template <typename T, int W, int MR, int NV>
struct MicroKernel {
  using V = typename simd::Vec<T, W>::type;
  using VU = typename simd::Vec<T, W>::unaligned;
  static constexpr int NR = W * NV;

  // c[0:mr, 0:nr] = alpha * (a-panel . b-panel) + beta * c (beta == 0: c is not read).
  // Kept out of line: inlined into the blocking loops, GCC -O3 runs out of registers and spills
  // the broadcast A value on every step (a third of the speed in the SSE2 build).
  // kPrefetchA: A is a prepared operand (weights too large for the caches, streamed from memory;
  // the hardware prefetchers stop at each 4 KiB page), so each step prefetches A 64 steps ahead:
  // within this panel, then the next, adjacent in the packed layout. Where A was packed by this
  // call it is in L2 already, and the prefetches cost 1-2 % (a no-op in WebAssembly).
  template <bool kPrefetchA>
  __attribute__((noinline)) static void tile(int64_t kc, const T* __restrict a, const T* __restrict b, T* __restrict c,
                   int64_t ldc, T alpha, T beta, int mr, int nr) {
    V acc[MR][NV];
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) acc[i][j] = V{};
    for (int64_t k = 0; k < kc; ++k) {
      if constexpr (kPrefetchA) __builtin_prefetch(a + 64 * MR);
      V bv[NV];
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) bv[j] = simd::load<V>(b + j * W);
#pragma GCC unroll 32
      for (int i = 0; i < MR; ++i) {
        V av = simd::splat<V>(a[i]);
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j) acc[i][j] = simd::fmadd(av, bv[j], acc[i][j]);
      }
      a += MR;
      b += NR;
    }
    if (mr == MR && nr == NR) {
      if (beta == T(0)) {
#pragma GCC unroll 32
        for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
          for (int j = 0; j < NV; ++j) simd::storeu<V>(c + i * ldc + j * W, acc[i][j] * alpha);
      } else {
#pragma GCC unroll 32
        for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
          for (int j = 0; j < NV; ++j) {
            T* p = c + i * ldc + j * W;
            simd::storeu<V>(p, acc[i][j] * alpha + simd::loadu<V>(p) * beta);
          }
      }
      return;
    }
    alignas(64) T buf[MR * NR];
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) simd::store<V>(buf + i * NR + j * W, acc[i][j]);
    for (int i = 0; i < mr; ++i) {
      T* row = c + i * ldc;
      const T* src = buf + i * NR;
      if (beta == T(0)) {
        for (int j = 0; j < nr; ++j) row[j] = alpha * src[j];
      } else {
        for (int j = 0; j < nr; ++j) row[j] = alpha * src[j] + beta * row[j];
      }
    }
  }
};

template <typename T, int W, int MR, int NV>
struct Driver {
  using Kernel = MicroKernel<T, W, MR, NV>;
  static constexpr int NR = Kernel::NR;
  using VU = typename Kernel::VU;

  // Width in columns of a packed B panel holding `cols` columns: whole vectors, at most NR.
  static int panelWidth(int64_t cols) {
    return static_cast<int>(std::min<int64_t>(NV, ceilDiv(cols, W)) * W);
  }

  // The micro-kernel with nv (1..NV) vectors per row, for a panel of width nv * W.
  template <int NVk = NV>
  static void tile(int nv, bool prefetchA, int64_t kc, const T* a, const T* b, T* c, int64_t ldc, T alpha, T beta,
                   int mr, int nr) {
    if constexpr (NVk > 1) {
      if (nv < NVk) return tile<NVk - 1>(nv, prefetchA, kc, a, b, c, ldc, alpha, beta, mr, nr);
    }
    if (prefetchA) MicroKernel<T, W, MR, NVk>::template tile<true>(kc, a, b, c, ldc, alpha, beta, mr, nr);
    else MicroKernel<T, W, MR, NVk>::template tile<false>(kc, a, b, c, ldc, alpha, beta, mr, nr);
  }

  // A panel of at most kThin columns (N = 49 leaves one past 48) runs thinTile instead of a
  // W-wide tile whose lanes past nr are wasted. Needs MR lanes to be one vector no wider than W.
  static constexpr bool kHasThin = (MR & (MR - 1)) == 0 && MR <= W;
  static constexpr int kThin = W >= 8 ? 4 : W / 2;

  // c[0:rows, 0:NRt] = alpha * (P row panels . first NRt columns of a b-panel `width` wide) + beta * c,
  // panel p (rows p * MR ..) at a + p * panelStride: vectorised along each panel's MR rows (one
  // load per k, B's values broadcast). The P panels' sums are independent chains that overlap in
  // the FMA pipeline (one chain alone waits on the FMA latency every k). Each element gets the
  // same multiply-adds in the same k order as tile(), so the bits do not depend on the path.
  template <int NRt, int P>
  __attribute__((noinline)) static void thinTile(int64_t kc, const T* __restrict a, int64_t panelStride, const T* __restrict b,
                                                 int width, T* __restrict c, int64_t ldc, T alpha, T beta, int rows) {
    using VM = typename simd::Vec<T, MR>::type;
    VM acc[P][NRt];
#pragma GCC unroll 4
    for (int p = 0; p < P; ++p)
#pragma GCC unroll 4
      for (int j = 0; j < NRt; ++j) acc[p][j] = VM{};
    for (int64_t k = 0; k < kc; ++k, b += width) {
#pragma GCC unroll 4
      for (int p = 0; p < P; ++p) {
        const VM av = simd::loadu<VM>(a + p * panelStride + k * MR);
#pragma GCC unroll 4
        for (int j = 0; j < NRt; ++j) acc[p][j] = simd::fmadd(av, simd::splat<VM>(b[j]), acc[p][j]);
      }
    }
    alignas(64) T buf[P][NRt][MR];
#pragma GCC unroll 4
    for (int p = 0; p < P; ++p)
#pragma GCC unroll 4
      for (int j = 0; j < NRt; ++j) simd::storeu<VM>(buf[p][j], acc[p][j]);
    for (int i = 0; i < rows; ++i) {
      T* row = c + i * ldc;
      const int p = i / MR, r = i % MR;
      for (int j = 0; j < NRt; ++j) row[j] = beta == T(0) ? alpha * buf[p][j][r] : alpha * buf[p][j][r] + beta * row[j];
    }
  }

  // Up to P panels at a time (P * NRt chains within the register file), then the rest.
  template <int NRt, int P>
  static void thinPanels(int64_t kc, const T* a, int64_t panelStride, int64_t mc, const T* b, int width, T* c,
                         int64_t ldc, T alpha, T beta) {
    int64_t ir = 0;
    for (; mc - ir > (P - 1) * MR; ir += P * MR)
      thinTile<NRt, P>(kc, a + (ir / MR) * panelStride, panelStride, b, width, c + ir * ldc, ldc, alpha, beta,
                       static_cast<int>(std::min<int64_t>(P * MR, mc - ir)));
    for (; ir < mc; ir += MR)
      thinTile<NRt, 1>(kc, a + (ir / MR) * panelStride, panelStride, b, width, c + ir * ldc, ldc, alpha, beta,
                       static_cast<int>(std::min<int64_t>(MR, mc - ir)));
  }

  // The mc rows of a block against a panel of nr <= kThin columns; row panel q at a + q * panelStride.
  static void thin(int nr, int64_t kc, const T* a, int64_t panelStride, int64_t mc, const T* b, int width, T* c,
                   int64_t ldc, T alpha, T beta) {
    switch (nr) {
      case 1: return thinPanels<1, 4>(kc, a, panelStride, mc, b, width, c, ldc, alpha, beta);
      case 2: return thinPanels<2, 4>(kc, a, panelStride, mc, b, width, c, ldc, alpha, beta);
      case 3: return thinPanels<3, 2>(kc, a, panelStride, mc, b, width, c, ldc, alpha, beta);
      default: return thinPanels<4, 2>(kc, a, panelStride, mc, b, width, c, ldc, alpha, beta);
    }
  }

  // out[panel][k][MR] for rows i0 .. i0+mc of op(A), k in p0 .. p0+kc; rows past mc are zero.
  static void packA(const Args<T>& g, int64_t i0, int64_t mc, int64_t p0, int64_t kc, T* out) {
    for (int64_t ir = 0; ir < mc; ir += MR) {
      const int rows = static_cast<int>(std::min<int64_t>(MR, mc - ir));
      T* dst = out + ir * kc;
      if (g.transA) {  // A is K x M: each k gives MR contiguous values
        const T* src = g.A + p0 * g.lda + (i0 + ir);
        for (int64_t k = 0; k < kc; ++k, src += g.lda, dst += MR) {
          if (rows == MR) {
            std::memcpy(dst, src, sizeof(T) * MR);
          } else {
            for (int i = 0; i < MR; ++i) dst[i] = i < rows ? src[i] : T(0);
          }
        }
      } else {  // A is M x K: interleave MR row streams
        const T* rowp[MR];
        for (int i = 0; i < MR; ++i) rowp[i] = g.A + (i0 + ir + std::min(i, rows - 1)) * g.lda + p0;
        if (rows == MR) {
          for (int64_t k = 0; k < kc; ++k, dst += MR) {
#pragma GCC unroll 32
            for (int i = 0; i < MR; ++i) dst[i] = rowp[i][k];
          }
        } else {
          for (int64_t k = 0; k < kc; ++k, dst += MR)
            for (int i = 0; i < MR; ++i) dst[i] = i < rows ? rowp[i][k] : T(0);
        }
      }
    }
  }

  // d[i * ld + u] = rows[u][k + i] for i, u < 4: a 4 x 4 block of four rows, transposed (a pure copy,
  // so the packed values are those of the scalar loop).
  static void transpose4(const float* const* rows, int64_t k, float* d, int64_t ld) {
    using V4 = simd::Vec<float, 4>::type;
    const V4 r0 = simd::loadu<V4>(rows[0] + k), r1 = simd::loadu<V4>(rows[1] + k);
    const V4 r2 = simd::loadu<V4>(rows[2] + k), r3 = simd::loadu<V4>(rows[3] + k);
    const V4 lo01 = __builtin_shufflevector(r0, r1, 0, 4, 1, 5), lo23 = __builtin_shufflevector(r2, r3, 0, 4, 1, 5);
    const V4 hi01 = __builtin_shufflevector(r0, r1, 2, 6, 3, 7), hi23 = __builtin_shufflevector(r2, r3, 2, 6, 3, 7);
    simd::storeu<V4>(d, __builtin_shufflevector(lo01, lo23, 0, 1, 4, 5));
    simd::storeu<V4>(d + ld, __builtin_shufflevector(lo01, lo23, 2, 3, 6, 7));
    simd::storeu<V4>(d + 2 * ld, __builtin_shufflevector(hi01, hi23, 0, 1, 4, 5));
    simd::storeu<V4>(d + 3 * ld, __builtin_shufflevector(hi01, hi23, 2, 3, 6, 7));
  }

  // out[panel][k][width] for columns j0 .. j0+nc of op(B), k in p0 .. p0+kc; every panel is NR
  // wide except the last, which is panelWidth(its columns) wide; columns past nc are zero.
  static void packB(const Args<T>& g, int64_t p0, int64_t kc, int64_t j0, int64_t nc, T* out) {
    for (int64_t jr = 0; jr < nc; jr += NR) {
      const int cols = static_cast<int>(std::min<int64_t>(NR, nc - jr));
      const int width = panelWidth(cols);
      T* dst = out + jr * kc;
      if (g.bSource) {
        g.bSource->fill(g.bSource->ctx, p0, kc, j0 + jr, cols, width, dst);
      } else if (!g.transB) {  // B is K x N: each k gives `width` contiguous values
        const T* src = g.B + p0 * g.ldb + (j0 + jr);
        for (int64_t k = 0; k < kc; ++k, src += g.ldb, dst += width) {
          if (cols == NR) {  // whole vectors: a memcpy of a run-time size became `rep movsq`, slow to start
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) simd::storeu<VU>(dst + v * W, simd::loadu<VU>(src + v * W));
          } else if (cols == width) {
            std::memcpy(dst, src, sizeof(T) * width);
          } else {
            for (int j = 0; j < width; ++j) dst[j] = j < cols ? src[j] : T(0);
          }
        }
      } else {  // B is N x K: column j of op(B) is row j of B
        if (cols < width) std::memset(dst, 0, sizeof(T) * width * kc);
        // Eight rows of B at a time, so each k writes eight adjacent values of the panel row
        // (one row at a time wrote every value to a different cache line).
        int j = 0;
        for (; j + 8 <= cols; j += 8) {
          const T* src[8];
          for (int u = 0; u < 8; ++u) src[u] = g.B + (j0 + jr + j + u) * g.ldb + p0;
          T* d = dst + j;
          int64_t k = 0;
          if constexpr (std::is_same<T, float>::value) {  // 4 x 4 blocks transposed in registers
            for (; k + 4 <= kc; k += 4, d += 4 * width)
              for (int h = 0; h < 8; h += 4) transpose4(src + h, k, d + h, width);
          }
          for (; k < kc; ++k, d += width) {
#pragma GCC unroll 8
            for (int u = 0; u < 8; ++u) d[u] = src[u][k];
          }
        }
        for (; j < cols; ++j) {
          const T* src = g.B + (j0 + jr + j) * g.ldb + p0;
          T* d = dst + j;
          for (int64_t k = 0; k < kc; ++k) d[k * width] = src[k];
        }
      }
    }
  }

  // op(A) into g.packOutA, block by block of K (see Args::packedA).
  static void packWholeA(const Args<T>& g, const Blocking& bl) {
    const int64_t kcStep = balancedStep(g.K, bl.KC, 1), mPad = roundUp(g.M, MR);
    for (int64_t pc = 0; pc < g.K; pc += kcStep)
      packA(g, 0, g.M, pc, std::min(kcStep, g.K - pc), g.packOutA + pc * mPad);
  }

  // op(B) as whole-K panels into g.packOut (see Args::packedB).
  static void packWhole(const Args<T>& g) {
    for (int64_t j = 0; j < g.N; j += NR) {
      const int64_t cols = std::min<int64_t>(NR, g.N - j);
      packB(g, 0, g.K, j, cols, g.packOut + j * g.K);
    }
  }

  // C[i0:i1, j0:j1] on this thread.
  static void serial(const Args<T>& g, const Blocking& bl, int64_t i0, int64_t i1, int64_t j0,
                     int64_t j1) {
    const int64_t m = i1 - i0, n = j1 - j0;
    if (m <= 0 || n <= 0) return;
    const int64_t kcStep = balancedStep(g.K, bl.KC, 1);
    const int64_t mcStep = balancedStep(m, bl.MC, MR);
    const int64_t ncStep = balancedStep(n, bl.NC, NR);
    // A blocks are packed here unless the whole op(A) was packed beforehand (g.packedA).
    T* aBlock = g.packedA ? nullptr : static_cast<T*>(scratch(0, sizeof(T) * mcStep * kcStep));
    // B blocks are packed here unless the whole op(B) was packed beforehand (g.packedB).
    T* bBlock = g.packedB ? nullptr : static_cast<T*>(scratch(1, sizeof(T) * ncStep * kcStep));
    for (int64_t jc = 0; jc < n; jc += ncStep) {
      const int64_t nc = std::min(ncStep, n - jc);
      for (int64_t pc = 0; pc < g.K; pc += kcStep) {
        const int64_t kc = std::min(kcStep, g.K - pc);
        const T beta = pc == 0 ? g.beta : T(1);
        const T alpha = g.alpha;
        if (bBlock) packB(g, pc, kc, j0 + jc, nc, bBlock);
        for (int64_t ic = 0; ic < m; ic += mcStep) {
          const int64_t mc = std::min(mcStep, m - ic);
          if (aBlock) packA(g, i0 + ic, mc, pc, kc, aBlock);
          // The panel of rows ir .. ir + MR of this block starts at ap + ir * kc (its kc x MR
          // values, MR apart along k, in both layouts).
          const T* ap = aBlock ? aBlock : g.packedA + pc * roundUp(g.M, MR) + (i0 + ic) * kc;
          for (int64_t jr = 0; jr < nc; jr += NR) {
            const int nr = static_cast<int>(std::min<int64_t>(NR, nc - jr));
            const int width = panelWidth(nr);
            const T* bp = bBlock ? bBlock + jr * kc : g.packedB + (j0 + jc + jr) * g.K + pc * width;
            T* cBlock = g.C + (i0 + ic) * g.ldc + (j0 + jc + jr);
            if constexpr (kHasThin) {
              if (nr <= kThin) {
                thin(nr, kc, ap, MR * kc, mc, bp, width, cBlock, g.ldc, alpha, beta);
                continue;
              }
            }
            for (int64_t ir = 0; ir < mc; ir += MR) {
              const int mr = static_cast<int>(std::min<int64_t>(MR, mc - ir));
              tile(width / W, !aBlock, kc, ap + ir * kc, bp, cBlock + ir * g.ldc, g.ldc, alpha, beta, mr, nr);
            }
          }
        }
      }
    }
  }

  // Splits C into about parallelThreads() rectangles of whole MR x NR tiles, as square as the
  // shape allows (each rectangle re-packs its own rows of A and columns of B).
  static void run(const Args<T>& g, const Blocking& bl, bool parallel) {
    if (g.packOut) return packWhole(g);
    if (g.packOutA) return packWholeA(g, bl);
    const double flops = 2.0 * double(g.M) * double(g.N) * double(g.K);
    const int threads = parallel && flops >= 4e6 ? parallelThreads() : 1;
    if (threads <= 1) {
      serial(g, bl, 0, g.M, 0, g.N);
      return;
    }
    int64_t bestPm = 1, bestPn = 1, bestMt = g.M, bestNt = g.N;
    double bestCost = -1;
    for (int pm = 1; pm <= threads; ++pm) {
      if (threads % pm) continue;
      const int pn = threads / pm;
      const int64_t mt = roundUp(ceilDiv(g.M, pm), MR), nt = roundUp(ceilDiv(g.N, pn), NR);
      if ((pm > 1 && (pm - 1) * mt >= g.M) || (pn > 1 && (pn - 1) * nt >= g.N)) continue;
      // Time of one rectangle: its multiply-adds plus the packing of its A rows and B columns.
      const double cost = double(mt) * double(nt) + 4.0 * double(mt + nt) * MR;
      if (bestCost < 0 || cost < bestCost) {
        bestCost = cost;
        bestPm = pm; bestPn = pn; bestMt = mt; bestNt = nt;
      }
    }
    const int64_t tiles = bestPm * bestPn;
    const int64_t pn = bestPn, mt = bestMt, nt = bestNt;
    // Threads that split only the rows would each make the same B panels; when B is made on demand
    // (a convolution's column matrix from the image), it is made once, whole-K, and shared.
    Args<T> shared = g;
    if (g.bSource && pn == 1 && bestPm > 1) {
      const int64_t kStep = 64, kChunks = ceilDiv(g.K, kStep), panels = ceilDiv(g.N, NR);
      T* whole = static_cast<T*>(scratch(2, sizeof(T) * g.K * panels * NR));
      parallelFor(panels * kChunks, kStep * NR * 4, [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) {
          const int64_t j = (t / kChunks) * NR, k0 = (t % kChunks) * kStep, kc = std::min(kStep, g.K - k0);
          const int64_t cols = std::min<int64_t>(NR, g.N - j);
          packB(g, k0, kc, j, cols, whole + j * g.K + k0 * panelWidth(cols));
        }
      });
      shared.bSource = nullptr;
      shared.packedB = whole;
    }
    parallelFor(tiles, static_cast<int64_t>(2.0 * mt * nt * g.K), [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t ti = t / pn, tj = t % pn;
        serial(shared, bl, ti * mt, std::min(g.M, (ti + 1) * mt), tj * nt, std::min(g.N, (tj + 1) * nt));
      }
    });
  }
};

// Matrix-vector products (M == 1 or N == 1), where packing would only add memory traffic.
template <typename T, int W>
struct Gemv {
  using V = typename simd::Vec<T, W>::type;

  // y[j * incy] = alpha * sum_k x[k] * R[j * ld + k] + beta * y[j * incy], j < n (x contiguous).
  static void dotForm(int64_t n, int64_t K, const T* x, const T* R, int64_t ld, T alpha, T beta,
                      T* y, int64_t incy, bool parallel) {
    auto body = [&](int64_t jb, int64_t je) {
      for (int64_t j = jb; j < je; ++j) {
        const T* r = R + j * ld;
        V a0{}, a1{}, a2{}, a3{};
        int64_t k = 0;
        for (; k + 4 * W <= K; k += 4 * W) {
          a0 = simd::fmadd(simd::loadu<V>(x + k), simd::loadu<V>(r + k), a0);
          a1 = simd::fmadd(simd::loadu<V>(x + k + W), simd::loadu<V>(r + k + W), a1);
          a2 = simd::fmadd(simd::loadu<V>(x + k + 2 * W), simd::loadu<V>(r + k + 2 * W), a2);
          a3 = simd::fmadd(simd::loadu<V>(x + k + 3 * W), simd::loadu<V>(r + k + 3 * W), a3);
        }
        for (; k + W <= K; k += W) a0 = simd::fmadd(simd::loadu<V>(x + k), simd::loadu<V>(r + k), a0);
        T s = simd::hsum<T>((a0 + a1) + (a2 + a3));
        for (; k < K; ++k) s += x[k] * r[k];
        T* out = y + j * incy;
        *out = beta == T(0) ? alpha * s : alpha * s + beta * *out;
      }
    };
    if (parallel) parallelFor(n, 2 * K + 4, body);
    else body(0, n);
  }

  // y[j * incy] = alpha * sum_k x[k * incx] * R[k * ld + j] + beta * y[j * incy], j < n.
  static void axpyForm(int64_t n, int64_t K, const T* x, int64_t incx, const T* R, int64_t ld,
                       T alpha, T beta, T* y, int64_t incy, bool parallel) {
    constexpr int64_t kChunk = 64 * W;  // accumulators of one chunk of y stay in L1
    auto body = [&](int64_t cb, int64_t ce) {
      alignas(64) T acc[kChunk];
      for (int64_t c = cb; c < ce; ++c) {
        const int64_t j0 = c * kChunk, len = std::min(kChunk, n - j0);
        std::memset(acc, 0, sizeof(acc));
        int64_t k = 0;
        for (; k + 4 <= K; k += 4) {  // four rows per pass: a quarter of the accumulator traffic
          const T x0 = x[k * incx], x1 = x[(k + 1) * incx], x2 = x[(k + 2) * incx],
                  x3 = x[(k + 3) * incx];
          const V v0 = simd::splat<V>(x0), v1 = simd::splat<V>(x1), v2 = simd::splat<V>(x2),
                  v3 = simd::splat<V>(x3);
          const T* r0 = R + k * ld + j0;
          const T *r1 = r0 + ld, *r2 = r1 + ld, *r3 = r2 + ld;
          int64_t j = 0;
          for (; j + W <= len; j += W) {
            V a = simd::load<V>(acc + j);
            a = simd::fmadd(v0, simd::loadu<V>(r0 + j), a);
            a = simd::fmadd(v1, simd::loadu<V>(r1 + j), a);
            a = simd::fmadd(v2, simd::loadu<V>(r2 + j), a);
            a = simd::fmadd(v3, simd::loadu<V>(r3 + j), a);
            simd::store<V>(acc + j, a);
          }
          for (; j < len; ++j) acc[j] = acc[j] + x0 * r0[j] + x1 * r1[j] + x2 * r2[j] + x3 * r3[j];
        }
        for (; k < K; ++k) {
          const T xk = x[k * incx];
          const V xv = simd::splat<V>(xk);
          const T* r = R + k * ld + j0;
          int64_t j = 0;
          for (; j + W <= len; j += W)
            simd::store<V>(acc + j, simd::fmadd(xv, simd::loadu<V>(r + j), simd::load<V>(acc + j)));
          for (; j < len; ++j) acc[j] += xk * r[j];
        }
        for (int64_t j = 0; j < len; ++j) {
          T* out = y + (j0 + j) * incy;
          *out = beta == T(0) ? alpha * acc[j] : alpha * acc[j] + beta * *out;
        }
      }
    };
    const int64_t chunks = (n + kChunk - 1) / kChunk;
    if (parallel) parallelFor(chunks, 2 * K * kChunk, body);
    else body(0, chunks);
  }

  // Handles g when M == 1 or N == 1; returns false otherwise, and whenever op(B) is not a plain
  // stored matrix (a source, prepacked panels, or a pack-only call: those are the driver's).
  static bool run(const Args<T>& g, bool parallel) {
    if (g.bSource || g.packedB || g.packOut || g.packedA || g.packOutA) return false;
    if (g.M == 1) {  // C row = x . op(B), x = row 0 of op(A)
      const int64_t incx = g.transA ? g.lda : 1;
      if (!g.transB) {
        axpyForm(g.N, g.K, g.A, incx, g.B, g.ldb, g.alpha, g.beta, g.C, 1, parallel);
      } else {
        const T* x = contiguous(g.A, incx, g.K);
        dotForm(g.N, g.K, x, g.B, g.ldb, g.alpha, g.beta, g.C, 1, parallel);
      }
      return true;
    }
    if (g.N == 1) {  // C column = op(A) . x, x = column 0 of op(B)
      const int64_t incx = g.transB ? 1 : g.ldb;
      if (!g.transA) {
        const T* x = contiguous(g.B, incx, g.K);
        dotForm(g.M, g.K, x, g.A, g.lda, g.alpha, g.beta, g.C, g.ldc, parallel);
      } else {
        axpyForm(g.M, g.K, g.B, incx, g.A, g.lda, g.alpha, g.beta, g.C, g.ldc, parallel);
      }
      return true;
    }
    return false;
  }

  static const T* contiguous(const T* x, int64_t inc, int64_t n) {
    if (inc == 1) return x;
    T* buf = static_cast<T*>(scratch(2, sizeof(T) * n));
    for (int64_t i = 0; i < n; ++i) buf[i] = x[i * inc];
    return buf;
  }
};

// Per-ISA entry points: M, N, K > 0 and alpha != 0 (gemm.cc handles the degenerate cases).
void sgemmGeneric(const Args<float>& g, bool parallel);
void dgemmGeneric(const Args<double>& g, bool parallel);
void sgemmAvx2(const Args<float>& g, bool parallel);
void dgemmAvx2(const Args<double>& g, bool parallel);
void sgemmAvx512(const Args<float>& g, bool parallel);
void dgemmAvx512(const Args<double>& g, bool parallel);
extern const char* const kSgemmGenericName;
extern const char* const kSgemmAvx2Name;
extern const char* const kSgemmAvx512Name;

}  // namespace gemm_detail
}  // namespace ist
