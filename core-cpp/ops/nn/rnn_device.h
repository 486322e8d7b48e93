// RNN and _backward_RNN as device-generic computes (attached in rnn.cu): the same layouts, math and
// dropout masks as the CPU kernels (rnn_kernels.h), written over kernels/device.h.
//
// Forward, per layer and direction: one GEMM projects every step's input (all T*N rows) and the
// biases fold into it; then each time step is a GEMM of the state with the recurrent weight and one
// kernel with a thread per (batch row, unit) that applies the gates, writes the output, the state
// and the step's reserve row. Back-propagation through time mirrors it step by step; the weight
// and bias gradients are one GEMM / column sum each over all steps. float16/bfloat16 run in float32
// (dnd::runWidenedDev), as the CPU computes them.
#pragma once
#include <cstdint>
#include <vector>
#include "kernels/philox.h"
#include "ops/elemwise/functors.h"
#include "ops/nn/dense_device_util.h"
#include "ops/nn/fully_connected_device.h"
#include "ops/nn/rnn_params.h"

namespace ist {
namespace rnndev {

using rnn::Mode;

template <typename C> ISTX C sigm(C v) { return C(1) / (C(1) + math::exp(-v)); }

template <typename C> ISTX C clipCell(C v, bool clip, bool clipNan, C lo, C hi) {
  if (!clip) return v;
  if (math::isNan(v)) return clipNan ? lo : v;
  return v < lo ? lo : (v > hi ? hi : v);
}

// xp[r, k] += b_ih[k] + b_hh[k] for k < foldH (GRU's b_hn stays out: it sits inside r * (...)).
struct FoldBiasMap {
  template <typename C>
  ISTX static void Map(int64_t i, C* xp, const C* bih, const C* bhh, int64_t GH, int64_t foldH) {
    const int64_t k = i % GH;
    xp[i] += bih[k] + (k < foldH ? bhh[k] : C(0));
  }
};

struct OnesMap {  // no dropout: the mask is all ones
  template <typename C> ISTX static void Map(int64_t i, C* m) { m[i] = C(1); }
};

// y[i] = x[i] * m[i]
struct MulMap {
  template <typename C> ISTX static void Map(int64_t i, C* y, const C* x, const C* m) { y[i] = x[i] * m[i]; }
};

// The dropout mask of a layer boundary: element i is element base + i of the whole mask region,
// drawn from word (base + i) % 4 of the Philox block of counter + (base + i) / 4 (as rnn::fillMask).
struct MaskMap {
  template <typename C>
  ISTX static void Map(int64_t i, C* mask, int64_t base, uint64_t key, uint64_t counter, double keep, C scale) {
    const uint64_t g = static_cast<uint64_t>(base + i);
    const uint64_t c = counter + g / 4;
    const PhiloxBlock blk = philox4x32_10(static_cast<uint32_t>(c), static_cast<uint32_t>(c >> 32), 0, 0,
                                          static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32));
    mask[i] = static_cast<double>(philoxUniformFloat(blk.w[g % 4])) < keep ? scale : C(0);
  }
};

struct LengthsMap {  // lengths already checked to be integers in [0, T]
  ISTX static void Map(int64_t i, int64_t* lens, const double* v) { lens[i] = static_cast<int64_t>(v[i]); }
};

// One time step of one direction, shared by the forward and backward step kernels.
template <typename C>
struct StepArgs {
  Mode mode;
  int64_t t, N, H, DH, dOff, S;  // dOff: the direction's column offset d*H in a layer output row
  const int64_t* lens;           // (N) or null
  bool clip, clipNan;
  C clipLo, clipHi;
};

template <typename C> ISTX bool validStep(const StepArgs<C>& a, int64_t t, int64_t n) {
  return !a.lens || t < a.lens[n];
}

// Forward gates of unit j of batch row n (i = n * H + j). xp: the step input projections (T*N, G*H),
// hp: this step's h . W_hh^T (N, G*H); h, c: the running state (N, H), updated in place; yl: the
// layer output (T, N, D*H); st: the direction's step values (T, N, S*H).
struct StepForwardMap {
  template <typename C>
  ISTX static void Map(int64_t i, StepArgs<C> a, const C* xp, const C* hp, const C* bhh, C* h, C* c, C* yl, C* st) {
    const int64_t H = a.H, n = i / H, j = i % H, row = a.t * a.N + n;
    const int64_t GH = (a.mode == Mode::kLstm ? 4 : a.mode == Mode::kGru ? 3 : 1) * H;
    C* yrow = yl + row * a.DH + a.dOff;
    C* srow = st + row * a.S * H;
    if (!validStep(a, a.t, n)) {  // past the sequence's end: zeros out, state kept
      yrow[j] = C(0);
      for (int64_t k = 0; k < a.S; ++k) srow[k * H + j] = C(0);
      return;
    }
    const C* xr = xp + row * GH;
    const C* hr = hp + n * GH;
    C hv;
    if (a.mode == Mode::kLstm) {
      const C gi = sigm(xr[j] + hr[j]);
      const C gf = sigm(xr[H + j] + hr[H + j]);
      const C gg = math::tanh(xr[2 * H + j] + hr[2 * H + j]);
      const C go = sigm(xr[3 * H + j] + hr[3 * H + j]);
      const C cv = clipCell(gf * c[n * H + j] + gi * gg, a.clip, a.clipNan, a.clipLo, a.clipHi);
      srow[j] = gi;
      srow[H + j] = gf;
      srow[2 * H + j] = gg;
      srow[3 * H + j] = go;
      srow[4 * H + j] = cv;
      c[n * H + j] = cv;
      hv = go * math::tanh(cv);
    } else if (a.mode == Mode::kGru) {
      const C r = sigm(xr[j] + hr[j]);
      const C z = sigm(xr[H + j] + hr[H + j]);
      const C an = hr[2 * H + j] + bhh[2 * H + j];
      const C nv = math::tanh(xr[2 * H + j] + r * an);
      hv = (C(1) - z) * nv + z * h[n * H + j];
      srow[j] = r;
      srow[H + j] = z;
      srow[2 * H + j] = nv;
      srow[3 * H + j] = an;
    } else {
      const C pre = xr[j] + hr[j];
      hv = a.mode == Mode::kRnnRelu ? (pre > C(0) ? pre : C(0)) : math::tanh(pre);
    }
    h[n * H + j] = hv;
    yrow[j] = hv;
  }
};

// The backward step's extra geometry: the step processed before t (tp) and whether there is one.
struct BackStep {
  int64_t tp;
  bool hasPrev;
};

// Backward gates of unit j of batch row n at step t: from dh (N, H) (the gradient flowing back
// through the state) plus the output gradient dyl, the pre-activation gradients gx (T*N, G*H) (and
// GRU's h-side gh), the previous state hprev (T*N, H) for the weight gradient, dc (LSTM, in place)
// and GRU's direct path z * dh.
struct StepBackwardMap {
  template <typename C>
  ISTX static void Map(int64_t i, StepArgs<C> a, BackStep b, const C* yl, const C* st, const C* h0, const C* c0,
                       const C* dyl, const C* dh, C* dc, C* hprev, C* gx, C* gh, C* direct) {
    const int64_t H = a.H, n = i / H, j = i % H, row = a.t * a.N + n;
    const int64_t G = a.mode == Mode::kLstm ? 4 : a.mode == Mode::kGru ? 3 : 1, GH = G * H;
    C* grx = gx + row * GH;
    C* grh = gh + row * GH;
    if (!validStep(a, a.t, n)) {  // the state passed through unchanged: no parameter gradient
      hprev[row * H + j] = C(0);
      for (int64_t k = 0; k < G; ++k) grx[k * H + j] = C(0);
      if (a.mode == Mode::kGru)
        for (int64_t k = 0; k < G; ++k) grh[k * H + j] = C(0);
      return;
    }
    const bool prevValid = b.hasPrev && validStep(a, b.tp, n);
    const C hpa = prevValid ? yl[(b.tp * a.N + n) * a.DH + a.dOff + j] : h0[n * H + j];
    hprev[row * H + j] = hpa;
    const C dhv = dh[n * H + j] + dyl[row * a.DH + a.dOff + j];
    const C* srow = st + row * a.S * H;
    if (a.mode == Mode::kLstm) {
      const C cprev = prevValid ? st[(b.tp * a.N + n) * a.S * H + 4 * H + j] : c0[n * H + j];
      const C gi = srow[j], gf = srow[H + j], gg = srow[2 * H + j], go = srow[3 * H + j], cv = srow[4 * H + j];
      const C tc = math::tanh(cv);
      C dcv = dc[n * H + j] + dhv * go * (C(1) - tc * tc);
      if (a.clip && !(cv > a.clipLo && cv < a.clipHi)) dcv = C(0);  // a cell at a clip bound passes none
      grx[j] = dcv * gg * gi * (C(1) - gi);
      grx[H + j] = dcv * cprev * gf * (C(1) - gf);
      grx[2 * H + j] = dcv * gi * (C(1) - gg * gg);
      grx[3 * H + j] = dhv * tc * go * (C(1) - go);
      dc[n * H + j] = dcv * gf;
    } else if (a.mode == Mode::kGru) {
      const C r = srow[j], z = srow[H + j], nv = srow[2 * H + j], an = srow[3 * H + j];
      const C dn = dhv * (C(1) - z) * (C(1) - nv * nv);
      const C dz = dhv * (hpa - nv) * z * (C(1) - z);
      const C dr = dn * an * r * (C(1) - r);
      grx[j] = grh[j] = dr;
      grx[H + j] = grh[H + j] = dz;
      grx[2 * H + j] = dn;
      grh[2 * H + j] = dn * r;
      direct[n * H + j] = dhv * z;
    } else {
      const C hv = yl[row * a.DH + a.dOff + j];
      grx[j] = a.mode == Mode::kRnnRelu ? (hv > C(0) ? dhv : C(0)) : dhv * (C(1) - hv * hv);
    }
  }
};

// dh = the product gh_t . W_hh (+ GRU's direct path) for rows still inside their sequence.
struct StepStateGradMap {
  template <typename C>
  ISTX static void Map(int64_t i, StepArgs<C> a, C* dh, const C* prod, const C* direct) {
    if (!validStep(a, a.t, i / a.H)) return;
    dh[i] = prod[i] + (direct ? direct[i] : C(0));
  }
};

template <typename C>
StepArgs<C> stepArgs(const rnn::Dims& dm, const rnn::Options& o, int64_t d, const int64_t* lens) {
  StepArgs<C> a;
  a.mode = dm.mode;
  a.t = 0;
  a.N = dm.N;
  a.H = dm.H;
  a.DH = dm.D * dm.H;
  a.dOff = d * dm.H;
  a.S = dm.S();
  a.lens = lens;
  a.clip = o.clip;
  a.clipNan = o.clipNan;
  a.clipLo = C(o.clipLo);
  a.clipHi = C(o.clipHi);
  return a;
}

// C (=|+=) op(A) op(B) in compute type C.
template <typename Dev, typename C>
void mm(const OpContext& ctx, bool ta, bool tb, int64_t M, int64_t N, int64_t K, const C* A, int64_t lda, const C* B,
        int64_t ldb, double beta, C* out, int64_t ldc, const char* op) {
  GemmArgs g;
  g.dtype = DTypeOf<C>::value;
  g.transA = ta;
  g.transB = tb;
  g.M = M;
  g.N = N;
  g.K = K;
  g.beta = beta;
  g.A = A;
  g.lda = lda;
  g.B = B;
  g.ldb = ldb;
  g.C = out;
  g.ldc = ldc;
  dnd::gemmDev<Dev>(ctx, g, op);
}

// Stores n values of src at dst, part of an output with request req.
template <typename Dev, typename C>
void storeOut(const OpContext& ctx, C* dst, int64_t n, OpReq req, const C* src) {
  if (req == OpReq::kNull || n <= 0) return;
  if (req == OpReq::kAddTo)
    DeviceKernel<dnd::AddToMap, Dev>::launch(ctx.run.stream, n, 1, dst, src);
  else
    DeviceMem<Dev>::copy(ctx.run.stream, dst, src, static_cast<size_t>(n) * sizeof(C));
}

// Device copy of the sequence lengths as int64, checked on the host first (the CPU's message).
template <typename Dev>
class DeviceLengths {
 public:
  DeviceLengths(const OpContext& ctx, const TBlob& b, int64_t T, const char* op)
      : buf_(ctx.run.stream, static_cast<size_t>(b.size()) * (sizeof(double) + sizeof(int64_t))) {
    const int64_t n = b.size();
    double* v = buf_.template as<double>();
    lens_ = reinterpret_cast<int64_t*>(v + n);
    dnd::readDoubles<Dev>(ctx, b, v, op);
    std::vector<double> host(static_cast<size_t>(n));
    DeviceMem<Dev>::toHost(ctx.run.stream, host.data(), v, host.size() * sizeof(double));
    rnnop::checkLengths(host, T, op);
    DeviceKernel<LengthsMap, Dev>::launch(ctx.run.stream, n, 1, lens_, static_cast<const double*>(v));
  }
  const int64_t* get() const { return lens_; }

 private:
  TempSpace<Dev> buf_;
  int64_t* lens_ = nullptr;
};

// in: x, w, hx, [cx] in compute type C; out: y, [hy, [cy]], reserve.
template <typename Dev, typename C>
void forwardC(const OpContext& ctx, const rnnop::RNNParam& p, const rnn::Dims& dm, const rnn::Options& o,
              const int64_t* lens, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
              const std::vector<TBlob>& out) {
  const char* op = "RNN";
  void* s = ctx.run.stream;
  const int64_t T = dm.T, N = dm.N, H = dm.H, D = dm.D, GH = dm.GH(), TN = T * N, DH = D * H;
  const int nv = p.numVisible();
  const bool gru = dm.mode == Mode::kGru, lstm = dm.mode == Mode::kLstm;
  const C* x = in[0].data<C>();
  const C* w = in[1].data<C>();
  const C* hx = in[2].data<C>();
  const C* cx = lstm ? in[3].data<C>() : nullptr;
  // The reserve is scratch too when the caller does not keep it.
  const bool ownReserve = req[nv] == OpReq::kWriteTo || req[nv] == OpReq::kWriteInplace;
  ScratchLayout lay;
  const size_t xpAt = lay.add<C>(TN * GH), hpAt = lay.add<C>(N * GH), hAt = lay.add<C>(N * H), cAt = lay.add<C>(N * H),
               xnAt = lay.add<C>(dm.L > 1 ? TN * DH : 0), rsAt = lay.add<C>(ownReserve ? 0 : dm.reserveSize());
  TempSpace<Dev> tmp(s, lay.bytes());
  const auto at = [&](size_t offset) { return ScratchLayout::at<C>(tmp.get(), offset); };
  C *xp = at(xpAt), *hp = at(hpAt), *h = at(hAt), *c = at(cAt), *xn = at(xnAt);
  C* rs = ownReserve ? out[nv].data<C>() : at(rsAt);
  const size_t stateBytes = static_cast<size_t>(N * H) * sizeof(C);

  const C* xl = x;
  for (int64_t l = 0; l < dm.L; ++l) {
    const int64_t inl = dm.inSize(l);
    C* yl = rs + dm.resY(l);
    for (int64_t d = 0; d < D; ++d) {
      const C* Wih = w + dm.wih(l, d);
      const C* Whh = w + dm.whh(l, d);
      const C* bhh = w + dm.bhh(l, d);
      C* st = rs + dm.resSteps(l, d);
      mm<Dev, C>(ctx, false, true, TN, GH, inl, xl, inl, Wih, inl, 0.0, xp, GH, op);
      DeviceKernel<FoldBiasMap, Dev>::launch(s, TN * GH, 2, xp, w + dm.bih(l, d), bhh, GH, gru ? 2 * H : GH);
      const int64_t sIdx = l * D + d;
      DeviceMem<Dev>::copy(s, h, hx + sIdx * N * H, stateBytes);
      if (lstm) DeviceMem<Dev>::copy(s, c, cx + sIdx * N * H, stateBytes);
      StepArgs<C> a = stepArgs<C>(dm, o, d, lens);
      for (int64_t step = 0; step < T; ++step) {
        a.t = d == 0 ? step : T - 1 - step;
        mm<Dev, C>(ctx, false, true, N, GH, H, h, H, Whh, H, 0.0, hp, GH, op);
        DeviceKernel<StepForwardMap, Dev>::launch(s, N * H, 8 * dm.G(), a, static_cast<const C*>(xp),
                                                  static_cast<const C*>(hp), bhh, h, c, yl, st);
      }
      if (p.state_outputs) {  // hy, cy (L*D, N, H): this layer and direction's slice
        storeOut<Dev, C>(ctx, out[1].data<C>() + sIdx * N * H, N * H, req[1], h);
        if (lstm) storeOut<Dev, C>(ctx, out[2].data<C>() + sIdx * N * H, N * H, req[2], c);
      }
    }
    if (l + 1 < dm.L) {
      C* mask = rs + dm.resMask(l);
      const int64_t M = dm.outSize();
      if (o.dropout) {
        const double keep = 1.0 - o.p;
        DeviceKernel<MaskMap, Dev>::launch(s, M, 40, mask, l * M, o.rngKey, o.rngCounter, keep, C(1.0 / keep));
      } else {
        DeviceKernel<OnesMap, Dev>::launch(s, M, 1, mask);
      }
      DeviceKernel<MulMap, Dev>::launch(s, M, 1, xn, static_cast<const C*>(yl), static_cast<const C*>(mask));
      xl = xn;
    }
  }
  storeOut<Dev, C>(ctx, out[0].data<C>(), out[0].size(), req[0], rs + dm.resY(dm.L - 1));
  if (!ownReserve && req[nv] == OpReq::kAddTo)
    DeviceKernel<dnd::AddToMap, Dev>::launch(s, dm.reserveSize(), 1, out[nv].data<C>(), static_cast<const C*>(rs));
}

// in: dy, x, w, hx, [cx], reserve, [dhy, [dcy]] in compute type C (the backward op's inputs less
// the lengths); out: dx, dw, dhx, [dcx].
template <typename Dev, typename C>
void backwardC(const OpContext& ctx, const rnnop::RNNParam& p, const rnn::Dims& dm, const rnn::Options& o,
               const int64_t* lens, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
               const std::vector<TBlob>& out) {
  const char* op = "_backward_RNN";
  void* s = ctx.run.stream;
  const int64_t T = dm.T, N = dm.N, H = dm.H, D = dm.D, GH = dm.GH(), TN = T * N, DH = D * H;
  const bool gru = dm.mode == Mode::kGru, lstm = dm.mode == Mode::kLstm, stacked = dm.L > 1;
  int k = 0;
  const C* dy = in[k++].data<C>();
  const C* x = in[k++].data<C>();
  const C* w = in[k++].data<C>();
  const C* hx = in[k++].data<C>();
  const C* cx = lstm ? in[k++].data<C>() : nullptr;
  const C* rs = in[k++].data<C>();
  const C* dhy = p.state_outputs ? in[k++].data<C>() : nullptr;
  const C* dcy = p.state_outputs && lstm ? in[k++].data<C>() : nullptr;
  const bool wantW = req[1] != OpReq::kNull;
  C* dw = out[1].data<C>();
  if (req[1] != OpReq::kAddTo && wantW) DeviceMem<Dev>::zero(s, dw, static_cast<size_t>(out[1].size()) * sizeof(C));

  ScratchLayout lay;
  const int64_t layerOut = stacked ? TN * DH : 0;
  const size_t dylAt = lay.add<C>(layerOut), dxlAt = lay.add<C>(layerOut), xinAt = lay.add<C>(layerOut),
               gxAt = lay.add<C>(TN * GH), ghAt = lay.add<C>(gru ? TN * GH : 0), hprevAt = lay.add<C>(TN * H),
               dhAt = lay.add<C>(N * H), dcAt = lay.add<C>(N * H), prodAt = lay.add<C>(N * H),
               directAt = lay.add<C>(gru ? N * H : 0);
  TempSpace<Dev> tmpSpace(s, lay.bytes());
  const auto at = [&](size_t offset) { return ScratchLayout::at<C>(tmpSpace.get(), offset); };
  C *dylB = at(dylAt), *dxl = at(dxlAt), *xin = at(xinAt), *gx = at(gxAt), *ghB = at(ghAt), *hprev = at(hprevAt);
  C *dh = at(dhAt), *dc = at(dcAt), *prod = at(prodAt);
  C* direct = gru ? at(directAt) : nullptr;  // null: no direct path (StepStateGradMap tests it)
  C* gh = gru ? ghB : gx;
  const size_t stateBytes = static_cast<size_t>(N * H) * sizeof(C);

  const C* dyl = dy;  // the top layer's output gradient, then each lower layer's through its mask
  for (int64_t l = dm.L - 1; l >= 0; --l) {
    const int64_t inl = dm.inSize(l);
    const C* xl = x;
    if (l > 0) {  // the layer's input: the output below after its dropout mask
      DeviceKernel<MulMap, Dev>::launch(s, dm.outSize(), 1, xin, rs + dm.resY(l - 1), rs + dm.resMask(l - 1));
      xl = xin;
    }
    // The input gradient of the first layer only when the caller wants it.
    C* dX = l == 0 ? (req[0] == OpReq::kNull ? nullptr : out[0].data<C>()) : dxl;
    const bool dXAdd = l == 0 && req[0] == OpReq::kAddTo;
    const C* yl = rs + dm.resY(l);
    for (int64_t d = 0; d < D; ++d) {
      const C* Wih = w + dm.wih(l, d);
      const C* Whh = w + dm.whh(l, d);
      const C* st = rs + dm.resSteps(l, d);
      const int64_t sIdx = l * D + d;
      const C* h0 = hx + sIdx * N * H;
      const C* c0 = lstm ? cx + sIdx * N * H : nullptr;
      if (dhy) DeviceMem<Dev>::copy(s, dh, dhy + sIdx * N * H, stateBytes);
      else DeviceMem<Dev>::zero(s, dh, stateBytes);
      if (lstm && dcy) DeviceMem<Dev>::copy(s, dc, dcy + sIdx * N * H, stateBytes);
      else if (lstm) DeviceMem<Dev>::zero(s, dc, stateBytes);
      StepArgs<C> a = stepArgs<C>(dm, o, d, lens);
      for (int64_t step = T - 1; step >= 0; --step) {
        a.t = d == 0 ? step : T - 1 - step;
        const BackStep b{d == 0 ? a.t - 1 : a.t + 1, step > 0};
        DeviceKernel<StepBackwardMap, Dev>::launch(s, N * H, 12 * dm.G(), a, b, yl, st, h0, c0, dyl,
                                                   static_cast<const C*>(dh), dc, hprev, gx, gh, direct);
        mm<Dev, C>(ctx, false, false, N, H, GH, gh + a.t * N * GH, GH, Whh, H, 0.0, prod, H, op);
        DeviceKernel<StepStateGradMap, Dev>::launch(s, N * H, 2, a, dh, static_cast<const C*>(prod),
                                                    static_cast<const C*>(direct));
      }
      if (req[2] != OpReq::kNull) storeOut<Dev, C>(ctx, out[2].data<C>() + sIdx * N * H, N * H, req[2], dh);
      if (lstm && req[3] != OpReq::kNull) storeOut<Dev, C>(ctx, out[3].data<C>() + sIdx * N * H, N * H, req[3], dc);
      if (wantW) {
        mm<Dev, C>(ctx, true, false, GH, inl, TN, gx, GH, xl, inl, 1.0, dw + dm.wih(l, d), inl, op);
        mm<Dev, C>(ctx, true, false, GH, H, TN, gh, GH, hprev, H, 1.0, dw + dm.whh(l, d), H, op);
        fcdev::biasGradDev<Dev, C>(ctx, dw + dm.bih(l, d), gx, TN, GH, true);
        fcdev::biasGradDev<Dev, C>(ctx, dw + dm.bhh(l, d), gh, TN, GH, true);
      }
      if (dX) mm<Dev, C>(ctx, false, false, TN, inl, GH, gx, GH, Wih, inl, d == 0 && !dXAdd ? 0.0 : 1.0, dX, inl, op);
    }
    if (l > 0) {  // through the dropout mask to the output of the layer below
      DeviceKernel<MulMap, Dev>::launch(s, dm.outSize(), 1, dylB, static_cast<const C*>(dxl), rs + dm.resMask(l - 1));
      dyl = dylB;
    }
  }
}

// The float inputs of a call (all but sequence_length) and its checked lengths on the device.
template <typename Dev>
struct CallInputs {
  std::vector<TBlob> floats;
  std::unique_ptr<DeviceLengths<Dev>> lens;
  CallInputs(const OpContext& ctx, const std::vector<TBlob>& in, int lengthIndex, int64_t T, const char* op) {
    for (int i = 0; i < static_cast<int>(in.size()); ++i)
      if (i != lengthIndex) floats.push_back(in[i]);
    if (lengthIndex >= 0) lens = std::make_unique<DeviceLengths<Dev>>(ctx, in[lengthIndex], T, op);
  }
  const int64_t* lengths() const { return lens ? lens->get() : nullptr; }
};

template <typename Dev>
void rnnForwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<rnnop::RNNParam>();
  const rnn::Dims dm = rnnop::dimsOf(p, in[0].shape);
  const rnn::Options o = rnnop::optionsOf(p, ctx);
  const CallInputs<Dev> call(ctx, in, p.lengthIndex(), dm.T, "RNN");
  dnd::runWidenedDev<Dev>(ctx, "RNN", call.floats, req, out, [&](const std::vector<TBlob>& i, const std::vector<TBlob>& r) {
    if (i[0].dtype == DType::kFloat64) forwardC<Dev, double>(ctx, p, dm, o, call.lengths(), i, req, r);
    else forwardC<Dev, float>(ctx, p, dm, o, call.lengths(), i, req, r);
  });
}

template <typename Dev>
void rnnBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<rnnop::RNNParam>();
  const rnnop::BwdLayout b = rnnop::bwdLayout(p);
  const rnn::Dims dm = rnnop::dimsOf(p, in[1].shape);
  const rnn::Options o = rnnop::optionsOf(p, ctx);  // clipping only: the masks come from the reserve
  const CallInputs<Dev> call(ctx, in, b.length, dm.T, "_backward_RNN");
  dnd::runWidenedDev<Dev>(ctx, "_backward_RNN", call.floats, req, out,
                          [&](const std::vector<TBlob>& i, const std::vector<TBlob>& r) {
    if (i[0].dtype == DType::kFloat64) backwardC<Dev, double>(ctx, p, dm, o, call.lengths(), i, req, r);
    else backwardC<Dev, float>(ctx, p, dm, o, call.lengths(), i, req, r);
  });
}

}  // namespace rnndev
}  // namespace ist
