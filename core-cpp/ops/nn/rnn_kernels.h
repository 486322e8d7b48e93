// CPU kernels of the fused RNN op (ops/nn/rnn.cc, layouts in rnn_layout.h): the forward pass over
// layers, directions and time steps, and back-propagation through time.
//
// Every time step's input projection is one GEMM over all T*N rows; the recurrence runs one
// (N x H) * (H x G*H) GEMM per step; the weight gradients are one GEMM each over all steps.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include "engine/parallel_for.h"
#include "kernels/cpu/gemm.h"
#include "kernels/philox.h"
#include "ops/nn/rnn_cell_rows.h"
#include "ops/nn/rnn_layout.h"
#include "storage/storage.h"

namespace ist {
namespace rnn {

// Scratch memory from the CPU pool, released on scope exit.
template <typename C>
class Buffer {
 public:
  explicit Buffer(int64_t n) : bytes_(std::max<size_t>(static_cast<size_t>(std::max<int64_t>(n, 0)) * sizeof(C), 1)) {
    ptr_ = static_cast<C*>(Storage::alloc(Context::cpu(), bytes_));
  }
  ~Buffer() { Storage::free(Context::cpu(), ptr_, bytes_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  C* get() const { return ptr_; }

 private:
  size_t bytes_;
  C* ptr_;
};

// C = op(A) op(B) + beta C (beta 0 or 1), tolerating empty dimensions.
template <typename C>
void mm(bool ta, bool tb, int64_t M, int64_t Nc, int64_t K, const C* A, int64_t lda, const C* B, int64_t ldb,
        double beta, C* Cm, int64_t ldc) {
  if (M <= 0 || Nc <= 0) return;
  if (K <= 0) {
    if (beta == 0)
      for (int64_t i = 0; i < M; ++i) std::fill(Cm + i * ldc, Cm + i * ldc + Nc, C(0));
    return;
  }
  gemm<C>(ta, tb, M, Nc, K, 1.0, A, lda, B, ldb, beta, Cm, ldc);
}

// A recurrent weight, packed once for the GEMM of every time step (gemmPackB): op(B) is K x N.
template <typename C>
class StepWeight {
 public:
  StepWeight(bool trans, int64_t K, int64_t N, const C* B, int64_t ldb)
      : K_(K), N_(N), packed_(K > 0 && N > 0 ? gemmPackedBSize(K, N) : 0) {
    if (K > 0 && N > 0) gemmPackB<C>(trans, K, N, B, ldb, packed_.get());
  }
  // C = op(A) . this (beta 0), A is M x K with leading dimension lda (empty shapes as mm does);
  // parallel false inside a caller's parallel region.
  void times(int64_t M, const C* A, int64_t lda, C* out, int64_t ldc, bool parallel = true) const {
    if (M <= 0 || N_ <= 0 || K_ <= 0) return mm<C>(false, false, M, N_, K_, A, lda, nullptr, 0, 0.0, out, ldc);
    gemmPackedB<C>(false, M, N_, K_, 1.0, A, lda, packed_.get(), 0.0, out, ldc, parallel);
  }

 private:
  int64_t K_, N_;
  Buffer<C> packed_;
};

// A time step's work split by batch rows: a row pass `pre`, the product with the recurrent weight
// `gemm`, a row pass `post`. Each thread takes a block of rows through all three, one parallel
// region per step instead of three (a GEMM split by columns between two row passes), and the
// rows stay in cache. Blocks are multiples of 8 rows (the GEMM's row tiles); with fewer rows per
// thread than that, the stages run one after another, the GEMM split by columns. pre(b, e) and
// post(b, e) handle rows [b, e); gemm(b, e, parallel) computes those rows of the product.
// cost*: rough operations per row of each stage.
template <typename Pre, typename Gemm, typename Post>
void stepByRows(int64_t N, int64_t preCost, int64_t gemmCost, int64_t postCost, const Pre& pre, const Gemm& gemm,
                const Post& post) {
  const int64_t threads = parallelThreads();
  if (threads <= 1 || N < 8 * threads) {
    if (preCost > 0) parallelFor(N, preCost, [&](int64_t b, int64_t e) { pre(b, e); });
    gemm(int64_t(0), N, true);
    if (postCost > 0) parallelFor(N, postCost, [&](int64_t b, int64_t e) { post(b, e); });
    return;
  }
  const int64_t per = ((N + threads - 1) / threads + 7) / 8 * 8, blocks = (N + per - 1) / per;
  parallelFor(blocks, (preCost + gemmCost + postCost) * per, [&](int64_t b, int64_t e) {
    for (int64_t blk = b; blk < e; ++blk) {
      const int64_t r0 = blk * per, r1 = std::min(N, r0 + per);
      pre(r0, r1);
      gemm(r0, r1, false);
      post(r0, r1);
    }
  });
}

template <typename C> inline C sigmoid(C v) { return C(1) / (C(1) + std::exp(-v)); }

template <typename C> inline C clipCell(C v, const Options& o) {
  if (!o.clip) return v;
  if (std::isnan(v)) return o.clipNan ? C(o.clipLo) : v;
  return std::min(std::max(v, C(o.clipLo)), C(o.clipHi));
}

// A saved cell value at a clip bound passes no gradient to the unclipped cell.
template <typename C> inline bool cellClipped(C v, const Options& o) {
  return o.clip && !(v > C(o.clipLo) && v < C(o.clipHi));
}

// One batch row of each cell, forward and backward (the arrays as rnn_cell_rows.h describes them):
// float32 through the widest SIMD kernels this CPU runs, other types here through <cmath>.
template <typename C>
inline void lstmForwardRow(const C* xr, const C* hr, C* srow, C* cn, C* yrow, C* hn, int64_t H, const Options& o) {
  for (int64_t j = 0; j < H; ++j) {
    const C i = sigmoid(xr[j] + hr[j]), f = sigmoid(xr[H + j] + hr[H + j]);
    const C g = std::tanh(xr[2 * H + j] + hr[2 * H + j]), og = sigmoid(xr[3 * H + j] + hr[3 * H + j]);
    const C cv = clipCell(f * cn[j] + i * g, o);
    const C hv = og * std::tanh(cv);
    srow[j] = i;
    srow[H + j] = f;
    srow[2 * H + j] = g;
    srow[3 * H + j] = og;
    srow[4 * H + j] = cv;
    cn[j] = cv;
    hn[j] = hv;
    yrow[j] = hv;
  }
}

template <typename C>
inline void lstmBackwardRow(const C* srow, const C* cprev, const C* dyr, const C* dhn, C* dcn, C* grx, int64_t H,
                            const Options& o) {
  for (int64_t j = 0; j < H; ++j) {
    const C i = srow[j], f = srow[H + j], g = srow[2 * H + j], og = srow[3 * H + j];
    const C cv = srow[4 * H + j];
    const C dhv = dhn[j] + dyr[j];
    const C tc = std::tanh(cv);
    C dcv = dcn[j] + dhv * og * (C(1) - tc * tc);
    if (cellClipped(cv, o)) dcv = C(0);
    grx[j] = dcv * g * i * (C(1) - i);
    grx[H + j] = dcv * cprev[j] * f * (C(1) - f);
    grx[2 * H + j] = dcv * i * (C(1) - g * g);
    grx[3 * H + j] = dhv * tc * og * (C(1) - og);
    dcn[j] = dcv * f;
  }
}

template <typename C>
inline void gruForwardRow(const C* xr, const C* hr, const C* bhn, C* srow, C* hn, C* yrow, int64_t H) {
  for (int64_t j = 0; j < H; ++j) {
    const C r = sigmoid(xr[j] + hr[j]);
    const C z = sigmoid(xr[H + j] + hr[H + j]);
    const C a = hr[2 * H + j] + bhn[j];
    const C nv = std::tanh(xr[2 * H + j] + r * a);
    const C hv = (C(1) - z) * nv + z * hn[j];
    srow[j] = r;
    srow[H + j] = z;
    srow[2 * H + j] = nv;
    srow[3 * H + j] = a;
    hn[j] = hv;
    yrow[j] = hv;
  }
}

template <typename C>
inline void gruBackwardRow(const C* srow, const C* hpa, const C* dyr, const C* dhn, C* grx, C* grh, C* dir,
                           int64_t H) {
  for (int64_t j = 0; j < H; ++j) {
    const C r = srow[j], z = srow[H + j], nv = srow[2 * H + j], a = srow[3 * H + j];
    const C dhv = dhn[j] + dyr[j];
    const C dn = dhv * (C(1) - z) * (C(1) - nv * nv);
    const C dz = dhv * (hpa[j] - nv) * z * (C(1) - z);
    const C dr = dn * a * r * (C(1) - r);
    grx[j] = grh[j] = dr;
    grx[H + j] = grh[H + j] = dz;
    grx[2 * H + j] = dn;
    grh[2 * H + j] = dn * r;
    dir[j] = dhv * z;
  }
}

template <typename C>
inline void plainForwardRow(const C* xr, const C* hr, C* hn, C* yrow, int64_t H, bool relu) {
  for (int64_t j = 0; j < H; ++j) {
    const C pre = xr[j] + hr[j];
    const C hv = relu ? (pre > C(0) ? pre : C(0)) : std::tanh(pre);
    hn[j] = hv;
    yrow[j] = hv;
  }
}

inline CellClip cellClipOf(const Options& o) {
  return {o.clip, o.clipNan, static_cast<float>(o.clipLo), static_cast<float>(o.clipHi)};
}
template <>
inline void lstmForwardRow<float>(const float* xr, const float* hr, float* srow, float* cn, float* yrow, float* hn,
                                  int64_t H, const Options& o) {
  rnnCellKernels().lstmForward(xr, hr, srow, cn, yrow, hn, H, cellClipOf(o));
}
template <>
inline void lstmBackwardRow<float>(const float* srow, const float* cprev, const float* dyr, const float* dhn,
                                   float* dcn, float* grx, int64_t H, const Options& o) {
  rnnCellKernels().lstmBackward(srow, cprev, dyr, dhn, dcn, grx, H, cellClipOf(o));
}
template <>
inline void gruForwardRow<float>(const float* xr, const float* hr, const float* bhn, float* srow, float* hn,
                                 float* yrow, int64_t H) {
  rnnCellKernels().gruForward(xr, hr, bhn, srow, hn, yrow, H);
}
template <>
inline void gruBackwardRow<float>(const float* srow, const float* hpa, const float* dyr, const float* dhn, float* grx,
                                  float* grh, float* dir, int64_t H) {
  rnnCellKernels().gruBackward(srow, hpa, dyr, dhn, grx, grh, dir, H);
}
template <>
inline void plainForwardRow<float>(const float* xr, const float* hr, float* hn, float* yrow, int64_t H, bool relu) {
  rnnCellKernels().plainForward(xr, hr, hn, yrow, H, relu);
}

// Dropout mask of layer boundary l: element e of the whole mask region uses word e % 4 of the
// Philox block of counter rngCounter + e / 4 (as Dropout does), kept elements scaled by 1 / (1 - p).
template <typename C>
void fillMask(C* mask, int64_t n, int64_t base, const Options& o) {
  if (!o.dropout) {
    std::fill(mask, mask + n, C(1));
    return;
  }
  const double keep = 1.0 - o.p;
  const C scale = C(1.0 / keep);
  parallelFor(n, 10, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const uint64_t g = static_cast<uint64_t>(base + i);
      const uint64_t c = o.rngCounter + g / 4;
      const PhiloxBlock blk = philox4x32_10(static_cast<uint32_t>(c), static_cast<uint32_t>(c >> 32), 0, 0,
                                            static_cast<uint32_t>(o.rngKey), static_cast<uint32_t>(o.rngKey >> 32));
      mask[i] = static_cast<double>(philoxUniformFloat(blk.w[g % 4])) < keep ? scale : C(0);
    }
  });
}

inline bool validStep(const int64_t* lens, int64_t t, int64_t n) { return !lens || t < lens[n]; }

// Forward pass. x (T, N, I), w (paramSize), hx/cx (L*D, N, H) (cx LSTM only), lens (N) or null.
// Writes y (T, N, D*H), hy/cy (L*D, N, H) when non-null, and the whole reserve rs. With lengths,
// steps at or past a sequence's length leave its state unchanged and output zeros (cuDNN's
// padded layout): the reverse direction starts at the sequence's last valid step.
template <typename C>
void forward(const Dims& dm, const Options& o, const C* x, const C* w, const C* hx, const C* cx, const int64_t* lens,
             C* y, C* hy, C* cy, C* rs) {
  const int64_t T = dm.T, N = dm.N, H = dm.H, D = dm.D, GH = dm.GH(), S = dm.S(), TN = T * N, DH = D * H;
  const bool lstm = dm.mode == Mode::kLstm, gru = dm.mode == Mode::kGru, relu = dm.mode == Mode::kRnnRelu;
  Buffer<C> xpB(TN * GH), hpB(N * GH), hB(N * H), cB(N * H), xnB(dm.L > 1 ? TN * DH : 0), biasB(GH);
  C *xp = xpB.get(), *hp = hpB.get(), *h = hB.get(), *c = cB.get(), *bias = biasB.get();
  const C* xl = x;
  for (int64_t l = 0; l < dm.L; ++l) {
    const int64_t in = dm.inSize(l);
    C* yl = rs + dm.resY(l);
    for (int64_t d = 0; d < D; ++d) {
      const C* Wih = w + dm.wih(l, d);
      const C* Whh = w + dm.whh(l, d);
      const C* bih = w + dm.bih(l, d);
      const C* bhh = w + dm.bhh(l, d);
      C* st = rs + dm.resSteps(l, d);
      mm<C>(false, true, TN, GH, in, xl, in, Wih, in, 0.0, xp, GH);
      // Both biases fold into the projection, except GRU's b_hn, which sits inside r * (...).
      const int64_t foldH = gru ? 2 * H : GH;
      for (int64_t k = 0; k < GH; ++k) bias[k] = bih[k] + (k < foldH ? bhh[k] : C(0));
      parallelFor(TN, GH, [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
          C* row = xp + r * GH;
          for (int64_t k = 0; k < GH; ++k) row[k] += bias[k];
        }
      });
      const int64_t sIdx = l * D + d;
      std::copy(hx + sIdx * N * H, hx + (sIdx + 1) * N * H, h);
      if (lstm) std::copy(cx + sIdx * N * H, cx + (sIdx + 1) * N * H, c);
      const StepWeight<C> whhT(true, H, GH, Whh, H);  // h . Whh^T at every step
      for (int64_t s = 0; s < T; ++s) {
        const int64_t t = d == 0 ? s : T - 1 - s;
        // Rows are independent: row n's product reads h row n, its gates write h row n.
        const auto product = [&](int64_t b, int64_t e, bool par) {
          whhT.times(e - b, h + b * H, H, hp + b * GH, GH, par);
        };
        stepByRows(N, 0, 2 * H * GH, GH * 8, [](int64_t, int64_t) {}, product, [&](int64_t b, int64_t e) {
          for (int64_t n = b; n < e; ++n) {
            C* yrow = yl + (t * N + n) * DH + d * H;
            C* srow = st + (t * N + n) * S * H;
            if (!validStep(lens, t, n)) {
              std::fill(yrow, yrow + H, C(0));
              std::fill(srow, srow + S * H, C(0));
              continue;
            }
            const C* xr = xp + (t * N + n) * GH;
            const C* hr = hp + n * GH;
            C* hn = h + n * H;
            C* cn = c + n * H;
            if (lstm) lstmForwardRow(xr, hr, srow, cn, yrow, hn, H, o);
            else if (gru) gruForwardRow(xr, hr, bhh + 2 * H, srow, hn, yrow, H);
            else plainForwardRow(xr, hr, hn, yrow, H, relu);
          }
        });
      }
      if (hy) std::copy(h, h + N * H, hy + sIdx * N * H);
      if (cy && lstm) std::copy(c, c + N * H, cy + sIdx * N * H);
    }
    if (l + 1 < dm.L) {
      C* mask = rs + dm.resMask(l);
      const int64_t M = dm.outSize();
      fillMask(mask, M, l * M, o);
      C* xn = xnB.get();
      parallelFor(M, 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) xn[i] = yl[i] * mask[i];
      });
      xl = xn;
    }
  }
  const C* top = rs + dm.resY(dm.L - 1);
  std::copy(top, top + dm.outSize(), y);
}

// Back-propagation through time. Inputs as forward plus its reserve rs and the output gradients
// dy (T, N, D*H), dhy/dcy (L*D, N, H) or null (zero). dw must hold zeros on entry; dx, dhx and dcx
// (LSTM) are overwritten; dx, dhx and dcx may be null (not computed).
template <typename C>
void backward(const Dims& dm, const Options& o, const C* x, const C* w, const C* hx, const C* cx, const int64_t* lens,
              const C* rs, const C* dy, const C* dhy, const C* dcy, C* dx, C* dw, C* dhx, C* dcx) {
  const int64_t T = dm.T, N = dm.N, H = dm.H, D = dm.D, GH = dm.GH(), S = dm.S(), TN = T * N, DH = D * H;
  const bool lstm = dm.mode == Mode::kLstm, gru = dm.mode == Mode::kGru, relu = dm.mode == Mode::kRnnRelu;
  const bool stacked = dm.L > 1;
  Buffer<C> dylB(TN * DH), dxlB(stacked ? TN * DH : 0), xinB(stacked ? TN * DH : 0), gxB(TN * GH),
      ghB(gru ? TN * GH : 0), hprevB(TN * H), dhB(N * H), dcB(N * H), tmpB(N * H), directB(gru ? N * H : 0);
  C *dyl = dylB.get(), *gx = gxB.get(), *gh = gru ? ghB.get() : gx, *hprev = hprevB.get();
  C *dh = dhB.get(), *dc = dcB.get(), *tmp = tmpB.get(), *direct = directB.get();
  std::copy(dy, dy + dm.outSize(), dyl);

  for (int64_t l = dm.L - 1; l >= 0; --l) {
    const int64_t in = dm.inSize(l);
    const C* xl = x;
    if (l > 0) {  // the layer's input: the output below after its dropout mask
      const C* yb = rs + dm.resY(l - 1);
      const C* mask = rs + dm.resMask(l - 1);
      C* xin = xinB.get();
      parallelFor(dm.outSize(), 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) xin[i] = yb[i] * mask[i];
      });
      xl = xin;
    }
    C* dX = l == 0 ? dx : dxlB.get();
    const C* yl = rs + dm.resY(l);
    for (int64_t d = 0; d < D; ++d) {
      const C* Wih = w + dm.wih(l, d);
      const C* Whh = w + dm.whh(l, d);
      const C* st = rs + dm.resSteps(l, d);
      const int64_t sIdx = l * D + d;
      const C* h0 = hx + sIdx * N * H;
      const C* c0 = lstm ? cx + sIdx * N * H : nullptr;
      if (dhy) std::copy(dhy + sIdx * N * H, dhy + (sIdx + 1) * N * H, dh);
      else std::fill(dh, dh + N * H, C(0));
      if (lstm && dcy) std::copy(dcy + sIdx * N * H, dcy + (sIdx + 1) * N * H, dc);
      else std::fill(dc, dc + N * H, C(0));

      const StepWeight<C> whh(false, GH, H, Whh, H);  // gh_t . Whh at every step
      for (int64_t s = T - 1; s >= 0; --s) {
        const int64_t t = d == 0 ? s : T - 1 - s;
        const int64_t tp = d == 0 ? t - 1 : t + 1;  // the step processed before t
        // Rows are independent: row n's gates read dh row n and write gh row n, whose product
        // with Whh gives dh row n for the step before.
        const auto gates = [&](int64_t b, int64_t e) {
          for (int64_t n = b; n < e; ++n) {
            const bool valid = validStep(lens, t, n);
            const bool prevValid = s > 0 && validStep(lens, tp, n);
            const int64_t row = t * N + n;
            C* hpa = hprev + row * H;
            C* grx = gx + row * GH;
            C* grh = gh + row * GH;
            if (!valid) {  // the state passed through unchanged: no parameter gradient
              std::fill(hpa, hpa + H, C(0));
              std::fill(grx, grx + GH, C(0));
              if (gru) std::fill(grh, grh + GH, C(0));
              continue;
            }
            const C* hpr = prevValid ? yl + (tp * N + n) * DH + d * H : h0 + n * H;
            std::copy(hpr, hpr + H, hpa);
            const C* dyr = dyl + row * DH + d * H;
            const C* srow = st + row * S * H;
            C* dhn = dh + n * H;
            C* dcn = dc + n * H;
            if (lstm) {
              const C* cprev = prevValid ? st + (tp * N + n) * S * H + 4 * H : c0 + n * H;
              lstmBackwardRow(srow, cprev, dyr, dhn, dcn, grx, H, o);
            } else if (gru) {
              gruBackwardRow(srow, hpa, dyr, dhn, grx, grh, direct + n * H, H);
            } else {
              const C* hrow = yl + row * DH + d * H;
              for (int64_t j = 0; j < H; ++j) {
                const C dhv = dhn[j] + dyr[j];
                grx[j] = relu ? (hrow[j] > C(0) ? dhv : C(0)) : dhv * (C(1) - hrow[j] * hrow[j]);
              }
            }
          }
        };
        const auto product = [&](int64_t b, int64_t e, bool par) {
          whh.times(e - b, gh + (t * N + b) * GH, GH, tmp + b * H, H, par);
        };
        stepByRows(N, GH * 12, 2 * GH * H, H, gates, product, [&](int64_t b, int64_t e) {
          for (int64_t n = b; n < e; ++n) {
            if (!validStep(lens, t, n)) continue;
            for (int64_t j = 0; j < H; ++j) dh[n * H + j] = tmp[n * H + j] + (gru ? direct[n * H + j] : C(0));
          }
        });
      }
      if (dhx) std::copy(dh, dh + N * H, dhx + sIdx * N * H);
      if (lstm && dcx) std::copy(dc, dc + N * H, dcx + sIdx * N * H);

      mm<C>(true, false, GH, in, TN, gx, GH, xl, in, 1.0, dw + dm.wih(l, d), in);
      mm<C>(true, false, GH, H, TN, gh, GH, hprev, H, 1.0, dw + dm.whh(l, d), H);
      C* dbih = dw + dm.bih(l, d);
      C* dbhh = dw + dm.bhh(l, d);
      // Column sums over the TN rows, a block of columns per chunk walked row by row (contiguous
      // and vectorisable; a column at a time strides a whole row per element).
      constexpr int64_t kCols = 64;
      parallelFor((GH + kCols - 1) / kCols, TN * kCols / 4, [&](int64_t b, int64_t e) {
        for (int64_t blk = b; blk < e; ++blk) {
          const int64_t k0 = blk * kCols, k1 = std::min(GH, k0 + kCols);
          C sx[kCols] = {}, sh[kCols] = {};
          for (int64_t r = 0; r < TN; ++r) {
            const C* xr = gx + r * GH;
            const C* hr = gh + r * GH;
            for (int64_t k = k0; k < k1; ++k) {
              sx[k - k0] += xr[k];
              sh[k - k0] += hr[k];
            }
          }
          for (int64_t k = k0; k < k1; ++k) {
            dbih[k] += sx[k - k0];
            dbhh[k] += sh[k - k0];
          }
        }
      });
      // The input gradient of the first layer only when the caller wants it (dx null: req kNull).
      if (dX) mm<C>(false, false, TN, in, GH, gx, GH, Wih, in, d == 0 ? 0.0 : 1.0, dX, in);
    }
    if (l > 0) {  // through the dropout mask to the output of the layer below
      const C* mask = rs + dm.resMask(l - 1);
      const C* dxl = dxlB.get();
      parallelFor(dm.outSize(), 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) dyl[i] = dxl[i] * mask[i];
      });
    }
  }
}

}  // namespace rnn
}  // namespace ist
