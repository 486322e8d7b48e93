// The recurrent cells' element-wise work over one batch row (LSTM, GRU, tanh/relu RNN), forward and
// backward, for float32, one source per SIMD width: rnn_cell_rows.cc (SSE2 / WASM SIMD128, and the
// run-time dispatch), rnn_cell_rows.avx2.cc and rnn_cell_rows.avx512.cc. The GEMMs around it are in
// rnn_kernels.h, which also holds the same cells for other types; this is the rest of a time step
// (at 4 lanes and through libm it was a fifth of an LSTM step and most of a GRU's).
//
// Every element is computed with the same operations in the same order at every width, whole
// vectors or the remainder's narrower ones, and the files keep multiply-adds unfused, so results
// are identical bit for bit across widths and CPUs.
#pragma once
#include <cstdint>
#include <type_traits>
#include "kernels/cpu/simd.h"
#include "kernels/cpu/vec_math.h"

namespace ist {
namespace rnn {

// Cell clipping as rnn_kernels.h's clipCell: to [lo, hi], NaN kept or (nan) replaced by lo.
struct CellClip {
  bool on = false, nan = false;
  float lo = 0, hi = 0;
};

// Gate pre-activations arrive as two rows, x (the input projection, biases folded in) and h (the
// recurrent product), G gates of H each. s is the row of the step's reserve the backward pass reads.
struct RnnCellKernels {
  // LSTM, gates i, f, g, o: s[0, 4H) = sigmoid(i), sigmoid(f), tanh(g), sigmoid(o), s[4H, 5H) = the
  // clipped cell f * c + i * g; c = that cell, y = hOut = o * tanh(cell). c is read before it is written.
  void (*lstmForward)(const float* x, const float* h, float* s, float* c, float* y, float* hOut, int64_t H,
                      const CellClip& clip);
  // LSTM back through one step: cPrev the cell before the step, dy the output's gradient, dh the state's
  // from the later step; dc is read and replaced by the gradient into cPrev. Writes the 4H gate
  // pre-activation gradients g.
  void (*lstmBackward)(const float* s, const float* cPrev, const float* dy, const float* dh, float* dc, float* g,
                       int64_t H, const CellClip& clip);
  // GRU, gates r, z, n (bhn: the recurrent bias of n, which sits inside r * (...)): s = r, z, n and
  // a = h_n + bhn; hState (the previous state, read first) and y become (1 - z) * n + z * hState.
  void (*gruForward)(const float* x, const float* h, const float* bhn, float* s, float* hState, float* y,
                     int64_t H);
  // GRU back through one step: hPrev the state before it. Writes gx (input-side gate gradients), gh
  // (recurrent-side ones; they differ in n's) and direct, dh's part that bypasses the recurrent GEMM.
  void (*gruBackward)(const float* s, const float* hPrev, const float* dy, const float* dh, float* gx, float* gh,
                      float* direct, int64_t H);
  // Plain RNN: hState = y = tanh(x + h), or max(x + h, 0) with relu.
  void (*plainForward)(const float* x, const float* h, float* hState, float* y, int64_t H, bool relu);
};

// The widest kernels this CPU runs.
const RnnCellKernels& rnnCellKernels();
RnnCellKernels rnnCellKernelsAvx2();
RnnCellKernels rnnCellKernelsAvx512();

// The cells over L lanes [j, j + L) of a row: L = the file's vector width, 8 or 4 for the remainder, then 1.
template <int L> struct CellLanes {
  using V = typename simd::Vec<float, L>::type;
  using U = typename simd::Vec<float, L>::unaligned;
  static IST_SIMD_INLINE V ld(const float* p) { return simd::loadu<U>(p); }
  static IST_SIMD_INLINE void st(float* p, V v) { simd::storeu(p, v); }
  static IST_SIMD_INLINE V one() { return simd::splat<V>(1.f); }

  static IST_SIMD_INLINE V clipped(V v, const CellClip& k) {
    const V lo = simd::splat<V>(k.lo), hi = simd::splat<V>(k.hi);
    V r = v < lo ? lo : v;  // std::max(v, lo)
    r = hi < r ? hi : r;    // std::min(r, hi)
    return v != v ? (k.nan ? lo : v) : r;
  }

  static IST_SIMD_INLINE void lstmForward(const float* x, const float* h, float* s, float* c, float* y, float* hOut,
                                          int64_t H, int64_t j, const CellClip& k) {
    const V i = vmath::sigmoidV<L>(ld(x + j) + ld(h + j));
    const V f = vmath::sigmoidV<L>(ld(x + H + j) + ld(h + H + j));
    const V g = vmath::tanhV<L>(ld(x + 2 * H + j) + ld(h + 2 * H + j));
    const V o = vmath::sigmoidV<L>(ld(x + 3 * H + j) + ld(h + 3 * H + j));
    V cell = f * ld(c + j) + i * g;
    if (k.on) cell = clipped(cell, k);
    const V hv = o * vmath::tanhV<L>(cell);
    st(s + j, i);
    st(s + H + j, f);
    st(s + 2 * H + j, g);
    st(s + 3 * H + j, o);
    st(s + 4 * H + j, cell);
    st(c + j, cell);
    st(y + j, hv);
    st(hOut + j, hv);
  }

  static IST_SIMD_INLINE void lstmBackward(const float* s, const float* cPrev, const float* dy, const float* dh,
                                           float* dc, float* g, int64_t H, int64_t j, const CellClip& k) {
    const V i = ld(s + j), f = ld(s + H + j), gg = ld(s + 2 * H + j), o = ld(s + 3 * H + j);
    const V cell = ld(s + 4 * H + j);
    const V tc = vmath::tanhV<L>(cell);
    const V dhv = ld(dh + j) + ld(dy + j);
    V dcv = ld(dc + j) + dhv * o * (one() - tc * tc);
    if (k.on) {  // a cell at a clip bound passes no gradient: dcv only strictly inside (lo, hi)
      const auto inside = (cell > simd::splat<V>(k.lo)) & (cell < simd::splat<V>(k.hi));
      dcv = inside ? dcv : simd::splat<V>(0.f);
    }
    st(g + j, dcv * gg * i * (one() - i));
    st(g + H + j, dcv * ld(cPrev + j) * f * (one() - f));
    st(g + 2 * H + j, dcv * i * (one() - gg * gg));
    st(g + 3 * H + j, dhv * tc * o * (one() - o));
    st(dc + j, dcv * f);
  }

  static IST_SIMD_INLINE void gruForward(const float* x, const float* h, const float* bhn, float* s, float* hState,
                                         float* y, int64_t H, int64_t j) {
    const V r = vmath::sigmoidV<L>(ld(x + j) + ld(h + j));
    const V z = vmath::sigmoidV<L>(ld(x + H + j) + ld(h + H + j));
    const V a = ld(h + 2 * H + j) + ld(bhn + j);
    const V n = vmath::tanhV<L>(ld(x + 2 * H + j) + r * a);
    const V hv = (one() - z) * n + z * ld(hState + j);
    st(s + j, r);
    st(s + H + j, z);
    st(s + 2 * H + j, n);
    st(s + 3 * H + j, a);
    st(hState + j, hv);
    st(y + j, hv);
  }

  static IST_SIMD_INLINE void gruBackward(const float* s, const float* hPrev, const float* dy, const float* dh,
                                          float* gx, float* gh, float* direct, int64_t H, int64_t j) {
    const V r = ld(s + j), z = ld(s + H + j), n = ld(s + 2 * H + j), a = ld(s + 3 * H + j);
    const V dhv = ld(dh + j) + ld(dy + j);
    const V dn = dhv * (one() - z) * (one() - n * n);
    const V dz = dhv * (ld(hPrev + j) - n) * z * (one() - z);
    const V dr = dn * a * r * (one() - r);
    st(gx + j, dr);
    st(gh + j, dr);
    st(gx + H + j, dz);
    st(gh + H + j, dz);
    st(gx + 2 * H + j, dn);
    st(gh + 2 * H + j, dn * r);
    st(direct + j, dhv * z);
  }

  static IST_SIMD_INLINE void plainForward(const float* x, const float* h, float* hState, float* y, int64_t j,
                                           bool relu) {
    const V pre = ld(x + j) + ld(h + j);
    const V hv = relu ? (pre > simd::splat<V>(0.f) ? pre : simd::splat<V>(0.f)) : vmath::tanhV<L>(pre);
    st(hState + j, hv);
    st(y + j, hv);
  }
};

// Calls f(std::integral_constant<int, L>{}, j) over lanes [0, H): L = W while whole vectors fit, then 8
// and 4 lanes (when narrower than W), then single lanes.
template <int W, typename F> IST_SIMD_INLINE void cellLanes(int64_t H, F&& f) {
  int64_t j = 0;
  for (; j + W <= H; j += W) f(std::integral_constant<int, W>{}, j);
  if constexpr (W > 8)
    for (; j + 8 <= H; j += 8) f(std::integral_constant<int, 8>{}, j);
  if constexpr (W > 4)
    for (; j + 4 <= H; j += 4) f(std::integral_constant<int, 4>{}, j);
  for (; j < H; ++j) f(std::integral_constant<int, 1>{}, j);
}

// Whole rows, through cellLanes.
template <int W> struct CellRows {
  static void lstmForward(const float* x, const float* h, float* s, float* c, float* y, float* hOut, int64_t H,
                          const CellClip& k) {
    cellLanes<W>(H, [&](auto lanes, int64_t j) {
      CellLanes<decltype(lanes)::value>::lstmForward(x, h, s, c, y, hOut, H, j, k);
    });
  }
  static void lstmBackward(const float* s, const float* cPrev, const float* dy, const float* dh, float* dc, float* g,
                           int64_t H, const CellClip& k) {
    cellLanes<W>(H, [&](auto lanes, int64_t j) {
      CellLanes<decltype(lanes)::value>::lstmBackward(s, cPrev, dy, dh, dc, g, H, j, k);
    });
  }
  static void gruForward(const float* x, const float* h, const float* bhn, float* s, float* hState, float* y,
                         int64_t H) {
    cellLanes<W>(H, [&](auto lanes, int64_t j) {
      CellLanes<decltype(lanes)::value>::gruForward(x, h, bhn, s, hState, y, H, j);
    });
  }
  static void gruBackward(const float* s, const float* hPrev, const float* dy, const float* dh, float* gx, float* gh,
                          float* direct, int64_t H) {
    cellLanes<W>(H, [&](auto lanes, int64_t j) {
      CellLanes<decltype(lanes)::value>::gruBackward(s, hPrev, dy, dh, gx, gh, direct, H, j);
    });
  }
  static void plainForward(const float* x, const float* h, float* hState, float* y, int64_t H, bool relu) {
    cellLanes<W>(H, [&](auto lanes, int64_t j) {
      CellLanes<decltype(lanes)::value>::plainForward(x, h, hState, y, j, relu);
    });
  }
};

template <int W> RnnCellKernels rnnCellKernelsOf() {
  return {&CellRows<W>::lstmForward, &CellRows<W>::lstmBackward, &CellRows<W>::gruForward,
          &CellRows<W>::gruBackward, &CellRows<W>::plainForward};
}

}  // namespace rnn
}  // namespace ist
