// CTCLoss (Connectionist Temporal Classification, Graves et al. 2006) on the CPU: data
// (seq_len, batch, alphabet) holds unnormalized activations (softmax is applied inside), label
// (batch, label_len) the target sequences; the output (batch,) is -log p(label | data). The
// forward/backward recursions run in log space in double precision, and the forward pass also
// writes the gradient with respect to data into a hidden output (as MXNet does), which
// _backward_ctc_loss scales by the incoming gradient. Labels end at the padding value (0 with
// blank_label='first', -1 with 'last') unless label_lengths is given; data_lengths limit each
// sequence (the gradient past a sequence's end is 0). An impossible alignment (a label longer than
// its sequence allows) gives loss 0 and gradient 0, as MXNet's loss does. The GPU computes (and
// their CPU twins) are ctc_loss_device.h.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/nn/conv_common.h"
#include "ops/nn/ctc_loss_params.h"

namespace ist {
namespace ctcop {
namespace {

std::string inputList(const CTCLossParam& p) {
  return std::string("data, label") + (p.use_data_lengths ? ", data_lengths" : "") +
         (p.use_label_lengths ? ", label_lengths" : "");
}

void ctcShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<CTCLossParam>();
  const char* op = nn::opName(attrs, kOp);
  nn::expectOptional(attrs, 2, p.numOptional(), inputList(p), op);
  const Shape &d = in[0], &l = in[1];
  if (shapeIsKnown(d))
    IST_CHECK(d.size() == 3, op, "data",
              "expects a 3-D array (sequence_length, batch_size, alphabet_size), got shape " << shapeString(d));
  if (shapeIsKnown(l))
    IST_CHECK(l.size() == 2, op, "label", "expects a 2-D array (batch_size, label_length), got shape " << shapeString(l));
  if (!shapeIsKnown(d)) return;
  IST_CHECK(d[2] >= 1, op, "data", "needs an alphabet of at least 1 (the blank), got shape " << shapeString(d));
  if (shapeIsKnown(l)) {
    IST_CHECK(l[0] == d[1], op, "label",
              "batch size of label " << shapeString(l) << " differs from data " << shapeString(d)
                                     << " (data is (sequence_length, batch_size, alphabet_size))");
    IST_CHECK(l[1] <= d[0], op, "label",
              "label length " << l[1] << " (shape " << shapeString(l) << ") exceeds the sequence length of data "
                              << shapeString(d));
  }
  const Shape batch{d[1]};
  if (p.use_data_lengths) nn::expectVector(in[p.dataLengthsAt()], d[1], op, "data_lengths", d);
  if (p.use_label_lengths) nn::expectVector(in[p.labelLengthsAt()], d[1], op, "label_lengths", d);
  out[0] = batch;
  out[1] = d;
}

void ctcType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const auto& p = attrs.get<CTCLossParam>();
  const char* op = nn::opName(attrs, kOp);
  nn::requireFloat(in[0], op, "data");
  nn::requireNumeric(in[1], op, "label");
  if (p.use_data_lengths) nn::requireNumeric(in[p.dataLengthsAt()], op, "data_lengths");
  if (p.use_label_lengths) nn::requireNumeric(in[p.labelLengthsAt()], op, "label_lengths");
  if (in[0] >= 0) out[0] = out[1] = in[0];
}

inline double logAdd(double a, double b) {
  if (a == -std::numeric_limits<double>::infinity()) return b;
  if (b == -std::numeric_limits<double>::infinity()) return a;
  return a > b ? a + std::log1p(std::exp(b - a)) : b + std::log1p(std::exp(a - b));
}

using Item = ctcop::Sequence;

std::vector<Item> readItems(const CTCLossParam& p, const std::vector<TBlob>& in) {
  const int64_t L = in[1].shape[1];
  return ctcop::checkedSequences(
      p, in[0].shape, in[1].shape, [&](int64_t b, int64_t j) { return nn::readAsDouble(in[1], b * L + j, kOp); },
      [&](int64_t b) { return nn::readAsDouble(in[p.dataLengthsAt()], b, kOp); },
      [&](int64_t b) { return nn::readAsDouble(in[p.labelLengthsAt()], b, kOp); });
}

// Loss and gradient (into g, stride N * A per time step) of one sequence; x is its activations.
template <typename T>
double sequenceLoss(const T* x, T* g, const Item& it, int64_t N, int64_t A, int64_t blank, OpReq greq) {
  const double ninf = -std::numeric_limits<double>::infinity();
  const int64_t Tb = it.T, L = static_cast<int64_t>(it.labels.size()), S = 2 * L + 1, step = N * A;
  int64_t repeats = 0;
  for (int64_t j = 1; j < L; ++j) repeats += it.labels[j] == it.labels[j - 1] ? 1 : 0;
  auto zeroGrad = [&]() {
    if (greq == OpReq::kNull || greq == OpReq::kAddTo) return;
    for (int64_t t = 0; t < Tb; ++t) std::fill(g + t * step, g + t * step + A, T(0));
  };
  if (L + repeats > Tb) {  // no alignment fits
    zeroGrad();
    return 0.0;
  }
  if (Tb == 0) return 0.0;  // empty sequence, empty label: p = 1
  // log softmax per time step
  std::vector<double> lp(static_cast<size_t>(Tb * A));
  for (int64_t t = 0; t < Tb; ++t) {
    const T* xt = x + t * step;
    double mx = ninf, sum = 0;
    for (int64_t k = 0; k < A; ++k) mx = std::max(mx, nn::load(xt[k]));
    for (int64_t k = 0; k < A; ++k) sum += std::exp(nn::load(xt[k]) - mx);
    const double lse = mx + std::log(sum);
    for (int64_t k = 0; k < A; ++k) lp[t * A + k] = nn::load(xt[k]) - lse;
  }
  auto ext = [&](int64_t s) { return s % 2 == 0 ? blank : it.labels[(s - 1) / 2]; };
  // skip(s): whether state s may be entered from s - 2 (a label differing from the one before).
  auto skip = [&](int64_t s) { return s >= 2 && s % 2 == 1 && ext(s) != ext(s - 2); };
  std::vector<double> alpha(static_cast<size_t>(Tb * S), ninf);
  alpha[0] = lp[blank];
  if (S > 1) alpha[1] = lp[ext(1)];
  for (int64_t t = 1; t < Tb; ++t)
    for (int64_t s = 0; s < S; ++s) {
      double a = alpha[(t - 1) * S + s];
      if (s >= 1) a = logAdd(a, alpha[(t - 1) * S + s - 1]);
      if (skip(s)) a = logAdd(a, alpha[(t - 1) * S + s - 2]);
      alpha[t * S + s] = a == ninf ? ninf : a + lp[t * A + ext(s)];
    }
  double logp = alpha[(Tb - 1) * S + S - 1];
  if (S > 1) logp = logAdd(logp, alpha[(Tb - 1) * S + S - 2]);
  if (greq == OpReq::kNull) return -logp;
  // beta sweep (two rows), accumulating alpha * beta per symbol at each time step
  std::vector<double> beta(static_cast<size_t>(S), ninf), next(static_cast<size_t>(S), ninf), acc(static_cast<size_t>(A));
  for (int64_t t = Tb - 1; t >= 0; --t) {
    for (int64_t s = 0; s < S; ++s) {
      double b;
      if (t == Tb - 1) {
        b = s >= S - 2 ? 0.0 : ninf;  // log 1 at the two end states, before adding this step
      } else {
        b = next[s];
        if (s + 1 < S) b = logAdd(b, next[s + 1]);
        if (s + 2 < S && skip(s + 2)) b = logAdd(b, next[s + 2]);
      }
      beta[s] = b == ninf ? ninf : b + lp[t * A + ext(s)];
    }
    std::fill(acc.begin(), acc.end(), ninf);
    for (int64_t s = 0; s < S; ++s) {
      const double ab = alpha[t * S + s] + beta[s];
      if (ab != ninf && !std::isnan(ab)) acc[ext(s)] = logAdd(acc[ext(s)], ab);
    }
    T* gt = g + t * step;
    for (int64_t k = 0; k < A; ++k) {
      const double l = lp[t * A + k];
      // d(-log p)/d x = softmax - (sum over states of symbol k of alpha * beta) / (p * y_k)
      const double v = acc[k] == ninf ? std::exp(l) : std::exp(l) - std::exp(acc[k] - l - logp);
      nn::put(gt + k, v, greq);
    }
    std::swap(beta, next);
  }
  return -logp;
}

template <typename T>
void ctcForward(const CTCLossParam& p, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
                const std::vector<TBlob>& out) {
  const int64_t T0 = in[0].shape[0], N = in[0].shape[1], A = in[0].shape[2];
  const int64_t blank = p.blankOf(A);
  const std::vector<Item> items = readItems(p, in);
  const T* x = in[0].data<T>();
  T* loss = out[0].data<T>();
  T* g = out[1].data<T>();
  parallelFor(N, T0 * A * 40, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      const Item& it = items[static_cast<size_t>(b)];
      const double l = sequenceLoss(x + b * A, g + b * A, it, N, A, blank, req[1]);
      if (req[0] != OpReq::kNull) nn::put(loss + b, l, req[0]);
      // Time steps past the sequence's end get no gradient.
      if (req[1] == OpReq::kWriteTo || req[1] == OpReq::kWriteInplace)
        for (int64_t t = it.T; t < T0; ++t) std::fill(g + (t * N + b) * A, g + (t * N + b) * A + A, T(0));
    }
  });
}

void ctcCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
                const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull && req[1] == OpReq::kNull) return;
  const auto& p = attrs.get<CTCLossParam>();
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kOp, ctcForward<T>(p, in, req, out));
}

// _backward_ctc_loss inputs: ograd (batch,), grad (the forward's hidden (seq, batch, alphabet)
// output); output: d data = ograd[b] * grad[:, b, :].
void ctcBackwardShape(const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
  const Shape &o = in[0], &g = in[1];
  if (shapeIsKnown(g))
    IST_CHECK(g.size() == 3, kBack, "grad",
              "expects CTCLoss's saved gradient (sequence_length, batch_size, alphabet_size), got shape "
                  << shapeString(g));
  if (!shapeIsKnown(g)) return;
  if (shapeIsKnown(o))
    IST_CHECK(o == Shape{g[1]}, kBack, "ograd",
              "expected shape (" << g[1] << ",) (one loss per sequence of grad " << shapeString(g) << "), got "
                                 << shapeString(o));
  out[0] = g;
}

void ctcBackwardType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  conv::inferFloatTypes(in, out, {"ograd", "grad"}, kBack);
}

template <typename T> void ctcBackward(const TBlob& og, const TBlob& gb, OpReq req, const TBlob& dx) {
  const int64_t T0 = gb.shape[0], N = gb.shape[1], A = gb.shape[2];
  const T* o = og.data<T>();
  const T* g = gb.data<T>();
  T* d = dx.data<T>();
  parallelFor(T0 * N, A, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const double s = nn::load(o[r % N]);
      for (int64_t k = 0; k < A; ++k) nn::put(d + r * A + k, s * nn::load(g[r * A + k]), req);
    }
  });
}

void ctcBackwardCompute(const NodeAttrs&, const OpContext&, const std::vector<TBlob>& in,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kBack, ctcBackward<T>(in[0], in[1], req[0], out[0]));
}

IST_REGISTER_OP(CTCLoss)
    .alias("ctc_loss")
    .alias("_contrib_CTCLoss")
    .alias("_contrib_ctc_loss")
    .describe("Connectionist Temporal Classification loss. data (sequence_length, batch_size, alphabet_size) holds "
              "activations before softmax; label (batch_size, label_length) the target token indices, padded with "
              "0 (blank_label='first': channel 0 is the blank, tokens are 1..alphabet_size-1) or -1 "
              "(blank_label='last': channel alphabet_size-1 is the blank, tokens are 0..alphabet_size-2). "
              "Optional inputs data_lengths and label_lengths (batch_size,) with use_data_lengths / "
              "use_label_lengths give each sequence's length. Output (batch_size,): -log p(label | data). "
              "A label that cannot be aligned within its sequence gives loss 0 and no gradient.")
    .inputs({"data", "label"})
    .variadic("lengths", nn::kOptionalCount)
    .optionalInputs({"data_lengths", "label_lengths"},
                    [](const NodeAttrs& a) {
                      const auto& p = a.get<CTCLossParam>();
                      std::vector<std::string> r;
                      if (p.use_data_lengths) r.push_back("data_lengths");
                      if (p.use_label_lengths) r.push_back("label_lengths");
                      return r;
                    })
    .outputs({"out", "grad"})
    .numVisibleOutputs([](const NodeAttrs&) { return 1; })
    .params<CTCLossParam>()
    .inferShape(ctcShape)
    .inferType(ctcType)
    .compute(Context::kCPU, ctcCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      std::vector<NodeEntry> r(n->inputs.size());
      r[0] = makeEntry(kBack, {og[0], NodeEntry{n, 1}});
      return r;
    });

IST_REGISTER_OP(_backward_ctc_loss)
    .describe("Gradient of CTCLoss with respect to data: the gradient saved by the forward pass, scaled per "
              "sequence by the incoming gradient.")
    .inputs({"ograd", "grad"})
    .inferShape(ctcBackwardShape)
    .inferType(ctcBackwardType)
    .compute(Context::kCPU, ctcBackwardCompute);

}  // namespace
}  // namespace ctcop
}  // namespace ist
