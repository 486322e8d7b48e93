// CTCLoss and _backward_ctc_loss as device-generic computes (attached in ctc_loss.cu): the CPU
// kernel's log-space recursions (ctc_loss.cc), in double precision, written over kernels/device.h.
//
// Labels and lengths go to the host once to be checked with the CPU's messages (there is no
// host-to-device copy, so each sequence's length and labels are then derived again on the device).
// One launch takes the log-softmax of every (t, n) row; alpha runs forward one launch per time step
// with a thread per (sequence, state), beta backward likewise; the loss is one Map per sequence and
// the gradient one Map per (t, n, symbol) that sums alpha * beta over that symbol's states in state
// order, as the CPU does (deterministic, no atomics). float16/bfloat16 data run in float32
// (dnd::runWidenedDev), as the CPU computes them.
#pragma once
#include <cstdint>
#include <limits>
#include <vector>
#include "ops/elemwise/functors.h"
#include "ops/nn/ctc_loss_params.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace ctcdev {

ISTX double negInf() { return -std::numeric_limits<double>::infinity(); }

// log(exp(a) + exp(b)), exact when either is -inf (the CPU's logAdd).
ISTX double logAdd(double a, double b) {
  if (a == negInf()) return b;
  if (b == negInf()) return a;
  return a > b ? a + math::log1p(math::exp(b - a)) : b + math::log1p(math::exp(a - b));
}

// Each sequence's facts on the device (arrays of N, labels (N, L)), derived by SequencesMap.
struct Seqs {
  const int64_t* T;       // the sequence's length
  const int64_t* S;       // its number of states: 2 * label length + 1
  const int64_t* live;    // 1 when an alignment fits and T > 0 (the recursions run), else 0
  const int64_t* labels;  // valid below the label length
  int64_t L, blank;
  // The symbol of state s: blanks at even states, the labels between them.
  ISTX int64_t ext(int64_t n, int64_t s) const { return s % 2 == 0 ? blank : labels[n * L + (s - 1) / 2]; }
  // Whether state s may be entered from s - 2 (a label differing from the one before).
  ISTX bool skip(int64_t n, int64_t s) const { return s >= 2 && s % 2 == 1 && ext(n, s) != ext(n, s - 2); }
};

// Sequence n's length, labels and states from the inputs as doubles, already checked on the host
// (lengths in range, labels tokens), so the integer conversions are exact truncations.
struct SequencesMap {
  ISTX static void Map(int64_t n, int64_t* T, int64_t* S, int64_t* live, int64_t* labels, const double* label,
                       const double* dataLengths, const double* labelLengths, int64_t T0, int64_t L, double padding) {
    const int64_t Tn = dataLengths ? static_cast<int64_t>(dataLengths[n]) : T0;
    int64_t len = L;
    if (labelLengths) {
      len = static_cast<int64_t>(labelLengths[n]);
    } else {
      for (int64_t j = 0; j < L; ++j)
        if (label[n * L + j] == padding) { len = j; break; }
    }
    int64_t repeats = 0;  // each repeat needs a blank between, one more time step
    for (int64_t j = 0; j < len; ++j) {
      labels[n * L + j] = static_cast<int64_t>(label[n * L + j]);
      if (j > 0 && labels[n * L + j] == labels[n * L + j - 1]) ++repeats;
    }
    T[n] = Tn;
    S[n] = 2 * len + 1;
    live[n] = len + repeats <= Tn && Tn > 0 ? 1 : 0;
  }
};

// lp[r, :] = log softmax of x[r, :] for row r = t * N + n inside a live sequence (the CPU's order).
struct LogSoftmaxMap {
  template <typename C>
  ISTX static void Map(int64_t r, double* lp, const C* x, Seqs q, int64_t N, int64_t A) {
    const int64_t t = r / N, n = r % N;
    if (!q.live[n] || t >= q.T[n]) return;
    const C* xr = x + r * A;
    double mx = negInf(), sum = 0;
    for (int64_t k = 0; k < A; ++k) {
      const double v = dnd::ldd(xr[k]);
      mx = mx < v ? v : mx;  // std::max(mx, v): a NaN never replaces mx
    }
    for (int64_t k = 0; k < A; ++k) sum += math::exp(dnd::ldd(xr[k]) - mx);
    const double lse = mx + math::log(sum);
    for (int64_t k = 0; k < A; ++k) lp[r * A + k] = dnd::ldd(xr[k]) - lse;
  }
};

// alpha[t, n, s] (log forward probabilities, rows of Smax states) from alpha[t - 1]; i = n * Smax + s.
struct AlphaStepMap {
  ISTX static void Map(int64_t i, double* alpha, const double* lp, Seqs q, int64_t t, int64_t N, int64_t A,
                       int64_t Smax) {
    const int64_t n = i / Smax, s = i % Smax;
    if (!q.live[n] || t >= q.T[n] || s >= q.S[n]) return;
    const double l = lp[(t * N + n) * A + q.ext(n, s)];
    double* at = alpha + (t * N + n) * Smax;
    if (t == 0) {  // a path starts at the first blank or the first label
      at[s] = s <= 1 ? l : negInf();
      return;
    }
    const double* prev = at - N * Smax;
    double a = prev[s];
    if (s >= 1) a = logAdd(a, prev[s - 1]);
    if (q.skip(n, s)) a = logAdd(a, prev[s - 2]);
    at[s] = a == negInf() ? negInf() : a + l;
  }
};

// beta[t, n, s] (log backward probabilities, this step's symbol included) from beta[t + 1].
struct BetaStepMap {
  ISTX static void Map(int64_t i, double* beta, const double* lp, Seqs q, int64_t t, int64_t N, int64_t A,
                       int64_t Smax) {
    const int64_t n = i / Smax, s = i % Smax, S = q.S[n];
    if (!q.live[n] || t >= q.T[n] || s >= S) return;
    double* bt = beta + (t * N + n) * Smax;
    double b;
    if (t == q.T[n] - 1) {
      b = s >= S - 2 ? 0.0 : negInf();  // a path ends at the last label or the blank after it
    } else {
      const double* next = bt + N * Smax;
      b = next[s];
      if (s + 1 < S) b = logAdd(b, next[s + 1]);
      if (s + 2 < S && q.skip(n, s + 2)) b = logAdd(b, next[s + 2]);
    }
    bt[s] = b == negInf() ? negInf() : b + lp[(t * N + n) * A + q.ext(n, s)];
  }
};

// loss[n] (=|+=) -log p(label | data), 0 for a sequence with no alignment or no steps; logp[n]
// keeps log p for the gradient.
struct LossMap {
  template <typename C>
  ISTX static void Map(int64_t n, C* loss, double* logp, const double* alpha, Seqs q, int64_t N, int64_t Smax,
                       bool write, bool add) {
    double l = 0.0;
    if (q.live[n]) {
      const int64_t S = q.S[n];
      const double* at = alpha + ((q.T[n] - 1) * N + n) * Smax;
      double p = at[S - 1];
      if (S > 1) p = logAdd(p, at[S - 2]);
      logp[n] = p;
      l = -p;
    }
    if (write) dnd::putd(loss + n, l, add);
  }
};

// g[t, n, k] (=|+=) softmax - (sum over the states of symbol k of alpha * beta) / (p * y_k); 0
// (or untouched with kAddTo) past the sequence's end and for sequences without an alignment.
struct GradMap {
  template <typename C>
  ISTX static void Map(int64_t i, C* g, const double* lp, const double* alpha, const double* beta,
                       const double* logp, Seqs q, int64_t N, int64_t A, int64_t Smax, bool add) {
    const int64_t k = i % A, r = i / A, n = r % N, t = r / N;
    if (!q.live[n] || t >= q.T[n]) {
      if (!add) g[i] = C(0);
      return;
    }
    const double* at = alpha + r * Smax;
    const double* bt = beta + r * Smax;
    const int64_t S = q.S[n];
    double acc = negInf();
    // Symbol k's states in increasing order: the even ones for the blank, else the labels equal to k.
    const bool blank = k == q.blank;
    for (int64_t s = blank ? 0 : 1; s < S; s += 2) {
      if (!blank && q.labels[n * q.L + (s - 1) / 2] != k) continue;
      const double ab = at[s] + bt[s];
      if (ab != negInf() && !math::isNan(ab)) acc = logAdd(acc, ab);
    }
    const double l = lp[i];
    const double v = acc == negInf() ? math::exp(l) : math::exp(l) - math::exp(acc - l - logp[n]);
    dnd::putd(g + i, v, add);
  }
};

// Scratch of 8-byte words carved into arrays (each rounded to 256 bytes).
class Words {
 public:
  static size_t bytes(int64_t n) { return (static_cast<size_t>(n > 0 ? n : 0) * 8 + 255) / 256 * 256; }
  explicit Words(char* base) : base_(base) {}
  template <typename W> W* take(int64_t n) {
    W* p = reinterpret_cast<W*>(base_ + off_);
    off_ += bytes(n);
    return p;
  }

 private:
  char* base_;
  size_t off_ = 0;
};

// The recursions, loss and gradient over data x (compute type C) into loss and grad.
template <typename Dev, typename C>
void lossAndGrad(const OpContext& ctx, const Seqs& q, int64_t T0, int64_t N, int64_t A, double* lp, double* alpha,
                 double* beta, double* logp, const TBlob& x, const std::vector<OpReq>& req, const TBlob& loss,
                 const TBlob& grad) {
  void* s = ctx.run.stream;
  const int64_t Smax = 2 * q.L + 1;
  const C* xd = x.data<C>();
  DeviceKernel<LogSoftmaxMap, Dev>::launch(s, T0 * N, A * 30, lp, xd, q, N, A);
  for (int64_t t = 0; t < T0; ++t)
    DeviceKernel<AlphaStepMap, Dev>::launch(s, N * Smax, 60, alpha, static_cast<const double*>(lp), q, t, N, A, Smax);
  DeviceKernel<LossMap, Dev>::launch(s, N, 60, loss.data<C>(), logp, static_cast<const double*>(alpha), q, N, Smax,
                                     req[0] != OpReq::kNull, req[0] == OpReq::kAddTo);
  if (req[1] == OpReq::kNull) return;
  for (int64_t t = T0 - 1; t >= 0; --t)
    DeviceKernel<BetaStepMap, Dev>::launch(s, N * Smax, 60, beta, static_cast<const double*>(lp), q, t, N, A, Smax);
  DeviceKernel<GradMap, Dev>::launch(s, T0 * N * A, 40 + 20 * q.L, grad.data<C>(), static_cast<const double*>(lp),
                                     static_cast<const double*>(alpha), static_cast<const double*>(beta),
                                     static_cast<const double*>(logp), q, N, A, Smax, req[1] == OpReq::kAddTo);
}

// CTCLoss: in data, label, [data_lengths], [label_lengths]; out loss (N), grad (T, N, A).
template <typename Dev>
void ctcForwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  using ctcop::kOp;
  if (req[0] == OpReq::kNull && req[1] == OpReq::kNull) return;
  const auto& p = attrs.get<ctcop::CTCLossParam>();
  const int64_t T0 = in[0].shape[0], N = in[0].shape[1], A = in[0].shape[2], L = in[1].shape[1];
  const int64_t Smax = 2 * L + 1;
  const bool wantGrad = req[1] != OpReq::kNull;
  void* s = ctx.run.stream;
  const size_t bytes = Words::bytes(N * L + 2 * N) + Words::bytes(T0 * N * A) +
                       Words::bytes(T0 * N * Smax) * (wantGrad ? 2 : 1) + Words::bytes(N) + Words::bytes(N * L) +
                       3 * Words::bytes(N);
  TempSpace<Dev> tmp(s, bytes);
  Words carve(tmp.template as<char>());
  // The label values, then the data and label lengths, adjacent: one read to the host.
  double* values = carve.take<double>(N * L + 2 * N);
  double *dataLengths = values + N * L, *labelLengths = dataLengths + N;
  double* lp = carve.take<double>(T0 * N * A);
  double* alpha = carve.take<double>(T0 * N * Smax);
  double* beta = wantGrad ? carve.take<double>(T0 * N * Smax) : nullptr;
  double* logp = carve.take<double>(N);
  int64_t* labels = carve.take<int64_t>(N * L);
  int64_t *seqT = carve.take<int64_t>(N), *seqS = carve.take<int64_t>(N), *live = carve.take<int64_t>(N);

  dnd::readDoubles<Dev>(ctx, in[1], values, kOp);
  if (p.use_data_lengths) dnd::readDoubles<Dev>(ctx, in[p.dataLengthsAt()], dataLengths, kOp);
  if (p.use_label_lengths) dnd::readDoubles<Dev>(ctx, in[p.labelLengthsAt()], labelLengths, kOp);
  std::vector<double> host(static_cast<size_t>(N * L + 2 * N));
  DeviceMem<Dev>::toHost(s, host.data(), values, host.size() * sizeof(double));
  ctcop::checkedSequences(
      p, in[0].shape, in[1].shape, [&](int64_t b, int64_t j) { return host[static_cast<size_t>(b * L + j)]; },
      [&](int64_t b) { return host[static_cast<size_t>(N * L + b)]; },
      [&](int64_t b) { return host[static_cast<size_t>(N * L + N + b)]; });
  DeviceKernel<SequencesMap, Dev>::launch(s, N, 4 * L + 8, seqT, seqS, live, labels, static_cast<const double*>(values),
                                          p.use_data_lengths ? static_cast<const double*>(dataLengths) : nullptr,
                                          p.use_label_lengths ? static_cast<const double*>(labelLengths) : nullptr, T0,
                                          L, p.padding());
  const Seqs q{seqT, seqS, live, labels, L, p.blankOf(A)};
  dnd::runWidenedDev<Dev>(ctx, kOp, {in[0]}, req, out, [&](const std::vector<TBlob>& i, const std::vector<TBlob>& o) {
    if (i[0].dtype == DType::kFloat64)
      lossAndGrad<Dev, double>(ctx, q, T0, N, A, lp, alpha, beta, logp, i[0], req, o[0], o[1]);
    else
      lossAndGrad<Dev, float>(ctx, q, T0, N, A, lp, alpha, beta, logp, i[0], req, o[0], o[1]);
  });
}

// d data[t, n, k] (=|+=) ograd[n] * grad[t, n, k], the product in double as on the CPU.
struct ScaleGradMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* dx, const T* ograd, const T* grad, int64_t N, int64_t A, bool add) {
    dnd::putd(dx + i, hostMul(dnd::ldd(ograd[(i / A) % N]), dnd::ldd(grad[i])), add);
  }
};

// _backward_ctc_loss: in ograd (N), grad (T, N, A) (the forward's hidden output); out d data.
template <typename Dev>
void ctcBackwardDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const int64_t N = in[1].shape[1], A = in[1].shape[2];
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, ctcop::kBack, {
    DeviceKernel<ScaleGradMap, Dev>::launch(ctx.run.stream, out[0].size(), 3, out[0].data<T>(), in[0].data<T>(),
                                            in[1].data<T>(), N, A, req[0] == OpReq::kAddTo);
  });
}

}  // namespace ctcdev
}  // namespace ist
