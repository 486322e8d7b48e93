// RNN: MXNet's fused recurrent layer (vanilla ReLU/tanh RNN, LSTM, GRU; stacked, bidirectional,
// optionally variable-length, dropout between layers, LSTM cell clipping) on the CPU, and its
// gradient, the hidden op _backward_RNN (back-propagation through time over a saved reserve).
//
// The packed layouts live in rnn_layout.h, the CPU math in rnn_kernels.h, the GPU kernels (and their
// CPU twins) in rnn_device.h. The reserve (every layer's output, the gate activations and dropout
// masks) is a hidden output, so autograd keeps it for the backward.
#include <cmath>
#include <memory>
#include <optional>
#include <sstream>
#include <type_traits>
#include "graph/node.h"
#include "op/backward_errors.h"
#include "ops/nn/layer_util.h"
#include "ops/nn/rnn_kernels.h"
#include "ops/nn/rnn_params.h"

namespace ist {
namespace rnn_op {
namespace {

constexpr const char* kOp = "RNN";
constexpr const char* kBwd = "_backward_RNN";

using rnnop::BwdLayout;
using rnnop::RNNParam;
using rnnop::bwdLayout;
using rnnop::dimsOf;
using rnnop::optionsOf;

std::string inputList(const RNNParam& p) {
  std::string s = "data, parameters, state";
  if (p.lstm()) s += ", state_cell";
  if (p.use_sequence_length) s += ", sequence_length";
  return s;
}

void checkParams(const RNNParam& p, const char* op) {
  IST_CHECK(p.p < 1, op, "p", "the dropout rate must be in [0, 1), got " << p.p);
  IST_CHECK(!p.projection_size.has_value(), op, "projection_size",
            "LSTM hidden-state projection is not supported (MXNet runs it only with cuDNN); got projection_size="
                << p.projection_size.value_or(0) << ", leave it unset");
  const bool lo = p.lstm_state_clip_min.has_value(), hi = p.lstm_state_clip_max.has_value();
  if (!lo && !hi) return;
  const char* given = lo ? "lstm_state_clip_min" : "lstm_state_clip_max";
  IST_CHECK(p.lstm(), op, given, "state clipping applies to mode='lstm' only, got mode='" << p.mode << "'");
  IST_CHECK(lo && hi, op, lo ? "lstm_state_clip_max" : "lstm_state_clip_min",
            "lstm_state_clip_min and lstm_state_clip_max must be given together (only " << given << " is set)");
  IST_CHECK(!std::isnan(*p.lstm_state_clip_min) && !std::isnan(*p.lstm_state_clip_max) &&
                *p.lstm_state_clip_max >= *p.lstm_state_clip_min,
            op, "lstm_state_clip_max",
            "lstm_state_clip_max (" << *p.lstm_state_clip_max << ") must be >= lstm_state_clip_min ("
                                    << *p.lstm_state_clip_min << ")");
}

std::string describeLayers(const RNNParam& p, const Shape& data) {
  std::ostringstream os;
  os << p.num_layers << (p.bidirectional ? " bidirectional " : " ") << p.mode << " layer(s), state_size "
     << p.state_size << ", input size " << data[2];
  return os.str();
}

// Fills an unknown input shape or checks a known one against `want`.
void expectArg(Shape& s, const Shape& want, const char* op, const char* arg, const Shape& data, const std::string& what) {
  if (!shapeRankKnown(s)) {
    s = want;
    return;
  }
  bool ok = s.size() == want.size();
  for (size_t i = 0; ok && i < s.size(); ++i) ok = s[i] == want[i] || s[i] == kUnknownDim;
  IST_CHECK(ok, op, arg,
            "expected shape " << shapeString(want) << " (" << what << ") for data of shape " << shapeString(data)
                              << ", got " << shapeString(s));
  s = want;
}

// The shape rule on (data, parameters, state, [state_cell], [sequence_length]) → (output, [hy, [cy]],
// reserve); shared by the backward op's checks (it does not look at the input count).
void shapeCore(const RNNParam& p, const char* op, std::vector<Shape>& in, std::vector<Shape>& out) {
  checkParams(p, op);
  Shape& d = in[0];
  if (!shapeRankKnown(d)) return;
  IST_CHECK(d.size() == 3, op, "data",
            "expected a 3-D array (sequence length, batch, input size), layout TNC, got shape " << shapeString(d));
  if (!shapeIsKnown(d)) return;
  const rnn::Dims dm = dimsOf(p, d);
  // Sizes in double first: huge state_size/num_layers must fail here, not overflow.
  const double G = static_cast<double>(dm.G()), H = dm.H, D = dm.D, L = dm.L;
  const double params = D * G * H * (dm.I + H + 2) + (L - 1) * D * G * H * (D * H + H + 2);
  const double reserve = static_cast<double>(dm.T) * dm.N * H * D * (2 * L - 1 + L * dm.S());
  IST_CHECK(params < 4e15 && reserve < 4e15, op, "state_size",
            "state_size " << p.state_size << " with num_layers " << p.num_layers << " and data of shape "
                          << shapeString(d) << " needs more elements than an array can hold");
  const int64_t LD = dm.L * dm.D;
  const std::string stateWhat = "(num_layers * directions, batch, state_size)";
  expectArg(in[1], Shape{dm.paramSize()}, op, "parameters", d,
            "the packed weights and biases of " + describeLayers(p, d));
  expectArg(in[2], Shape{LD, dm.N, dm.H}, op, "state", d, stateWhat);
  if (p.lstm()) expectArg(in[p.cellIndex()], Shape{LD, dm.N, dm.H}, op, "state_cell", d, stateWhat);
  if (p.use_sequence_length) expectArg(in[p.lengthIndex()], Shape{dm.N}, op, "sequence_length", d, "(batch,)");
  out[0] = Shape{dm.T, dm.N, dm.D * dm.H};
  if (p.state_outputs) {
    out[1] = Shape{LD, dm.N, dm.H};
    if (p.lstm()) out[2] = Shape{LD, dm.N, dm.H};
  }
  out[p.numVisible()] = Shape{dm.reserveSize()};
}

void rnnShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<RNNParam>();
  nn::expectOptional(attrs, 3, p.numExtra(), inputList(p), kOp);
  shapeCore(p, kOp, in, out);
}

// One float dtype for data, parameters and states (and every output); lengths any numeric type.
int typeCore(const RNNParam& p, const char* op, std::vector<int>& in, const std::vector<std::string>& names,
             int lengthIndex, std::vector<int>& out) {
  std::vector<int> floats;
  std::vector<std::string> floatNames;
  for (size_t i = 0; i < in.size(); ++i) {
    if (static_cast<int>(i) == lengthIndex) continue;
    floats.push_back(in[i]);
    floatNames.push_back(i < names.size() ? names[i] : "data");
  }
  int t = nn::unifyFloat(floats, floatNames, op);
  if (t < 0)
    for (int v : out) if (v >= 0) t = v;
  if (t < 0) return -1;
  for (size_t i = 0, k = 0; i < in.size(); ++i) {
    if (static_cast<int>(i) == lengthIndex) continue;
    in[i] = floats[k] >= 0 ? floats[k] : t;
    ++k;
  }
  if (p.use_sequence_length && lengthIndex >= 0 && lengthIndex < static_cast<int>(in.size())) {
    nn::requireNumeric(in[lengthIndex], op, "sequence_length");
    if (in[lengthIndex] < 0) in[lengthIndex] = t;
  }
  for (auto& v : out) v = t;
  return t;
}

void rnnType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const auto& p = attrs.get<RNNParam>();
  std::vector<std::string> names{"data", "parameters", "state"};
  if (p.lstm()) names.push_back("state_cell");
  if (p.use_sequence_length) names.push_back("sequence_length");
  typeCore(p, kOp, in, names, p.lengthIndex(), out);
}

// Sequence lengths as integers in [0, T].
std::vector<int64_t> readLengths(const TBlob& b, int64_t T, const char* op) {
  std::vector<double> v(static_cast<size_t>(b.size()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = nn::readAsDouble(b, static_cast<int64_t>(i), op);
  return rnnop::checkLengths(v, T, op);
}

// A float blob in compute type C: the blob itself for float32/float64, a widened copy otherwise.
template <typename T>
class Src {
 public:
  using C = typename ComputeType<T>::type;
  explicit Src(const TBlob& b) {
    if constexpr (std::is_same_v<T, C>) {
      ptr_ = b.data<T>();
    } else {
      buf_ = std::make_unique<rnn::Buffer<C>>(b.size());
      C* dst = buf_->get();
      const T* src = b.data<T>();
      parallelFor(b.size(), 2, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) dst[i] = static_cast<C>(src[i]);
      });
      ptr_ = dst;
    }
  }
  const C* get() const { return ptr_; }

 private:
  const C* ptr_ = nullptr;
  std::unique_ptr<rnn::Buffer<C>> buf_;
};

// An output computed in type C: written straight into the blob when possible, otherwise into
// scratch that finish() narrows to T and writes or adds (kAddTo); kNull results are dropped.
template <typename T>
class Dst {
 public:
  using C = typename ComputeType<T>::type;
  // skipNull: a kNull output gets no buffer and get() is null (for kernels that skip it).
  Dst(const TBlob& b, OpReq req, bool zero = false, bool skipNull = false) : blob_(b), req_(req) {
    if (req == OpReq::kNull && skipNull) return;
    if constexpr (std::is_same_v<T, C>) {
      if (req != OpReq::kAddTo && req != OpReq::kNull) ptr_ = b.data<T>();
    }
    if (!ptr_) {
      buf_ = std::make_unique<rnn::Buffer<C>>(b.size());
      ptr_ = buf_->get();
    }
    if (zero) std::fill(ptr_, ptr_ + b.size(), C(0));
  }
  C* get() const { return ptr_; }
  void finish() const {
    if (!buf_ || req_ == OpReq::kNull) return;
    T* o = blob_.data<T>();
    const C* s = ptr_;
    const bool add = req_ == OpReq::kAddTo;
    parallelFor(blob_.size(), 2, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) o[i] = static_cast<T>(add ? static_cast<C>(o[i]) + s[i] : s[i]);
    });
  }

 private:
  TBlob blob_;
  OpReq req_;
  C* ptr_ = nullptr;
  std::unique_ptr<rnn::Buffer<C>> buf_;
};

template <typename T>
using SrcPtr = std::unique_ptr<Src<T>>;
template <typename T>
using DstPtr = std::unique_ptr<Dst<T>>;

template <typename T>
void forwardTyped(const RNNParam& p, const rnn::Dims& dm, const rnn::Options& o, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out, const int64_t* lens) {
  Src<T> x(in[0]), w(in[1]), hx(in[2]);
  SrcPtr<T> cx = p.lstm() ? std::make_unique<Src<T>>(in[p.cellIndex()]) : nullptr;
  const int nv = p.numVisible();
  Dst<T> y(out[0], req[0]), rs(out[nv], req[nv]);
  DstPtr<T> hy = p.state_outputs ? std::make_unique<Dst<T>>(out[1], req[1]) : nullptr;
  DstPtr<T> cy = p.state_outputs && p.lstm() ? std::make_unique<Dst<T>>(out[2], req[2]) : nullptr;
  rnn::forward(dm, o, x.get(), w.get(), hx.get(), cx ? cx->get() : nullptr, lens, y.get(),
               hy ? hy->get() : nullptr, cy ? cy->get() : nullptr, rs.get());
  y.finish();
  rs.finish();
  if (hy) hy->finish();
  if (cy) cy->finish();
}

void rnnCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<RNNParam>();
  const rnn::Dims dm = dimsOf(p, in[0].shape);
  std::vector<int64_t> lens;
  if (p.use_sequence_length) lens = readLengths(in[p.lengthIndex()], dm.T, kOp);
  const rnn::Options o = optionsOf(p, ctx);
  const int64_t* lp = p.use_sequence_length ? lens.data() : nullptr;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, kOp, { forwardTyped<T>(p, dm, o, in, req, out, lp); });
}

// ---- gradient ----

std::string bwdInputList(const BwdLayout& b) {
  std::string s;
  for (auto& n : b.names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

void rnnBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<RNNParam>();
  const BwdLayout b = bwdLayout(p);
  nn::expectOptional(attrs, 4, b.count - 4, bwdInputList(b), kBwd);
  std::vector<Shape> fin{in[1], in[2], in[3]};
  if (p.lstm()) fin.push_back(in[b.cell]);
  if (p.use_sequence_length) fin.push_back(in[b.length]);
  const FInferShape forward = [](const NodeAttrs& a, std::vector<Shape>& i, std::vector<Shape>& o) {
    shapeCore(a.get<RNNParam>(), kOp, i, o);
  };
  // The forward rule checks the forward inputs (and fills their unknowns); then the reserve and the
  // output gradients must match what that forward call produced.
  std::vector<Shape> fout(p.numVisible() + 1, unknownShape());
  namedShape(kBwd, forward)(attrs, fin, fout);
  if (shapeIsKnown(fout.back()) && shapeIsKnown(in[b.reserve]))
    IST_CHECK(in[b.reserve] == fout.back(), kBwd, "reserve",
              "expected shape " << shapeString(fout.back()) << " (the hidden reserve output of RNN) for data of shape "
                                << shapeString(fin[0]) << ", got " << shapeString(in[b.reserve]));
  std::vector<Shape> ograds{in[0]};
  if (p.state_outputs) {
    ograds.push_back(in[b.ogState]);
    if (p.lstm()) ograds.push_back(in[b.ogCell]);
  }
  ograds.push_back(in[b.reserve]);
  checkAgainstForward(kBwd, forward, attrs, ograds, fin);
  if (!shapeIsKnown(fin[0])) return;
  for (int i = 0; i < 3 + (p.lstm() ? 1 : 0); ++i) out[i] = fin[i];
}

void rnnBackwardType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const auto& p = attrs.get<RNNParam>();
  const BwdLayout b = bwdLayout(p);
  typeCore(p, kBwd, in, b.names, b.length, out);
}

template <typename T>
void backwardTyped(const RNNParam& p, const BwdLayout& b, const rnn::Dims& dm, const rnn::Options& o,
                   const std::vector<TBlob>& in, const std::vector<OpReq>& req, const std::vector<TBlob>& out,
                   const int64_t* lens) {
  Src<T> dy(in[0]), x(in[1]), w(in[2]), hx(in[3]), rs(in[b.reserve]);
  SrcPtr<T> cx = p.lstm() ? std::make_unique<Src<T>>(in[b.cell]) : nullptr;
  SrcPtr<T> dhy = p.state_outputs ? std::make_unique<Src<T>>(in[b.ogState]) : nullptr;
  SrcPtr<T> dcy = p.state_outputs && p.lstm() ? std::make_unique<Src<T>>(in[b.ogCell]) : nullptr;
  Dst<T> dx(out[0], req[0], false, true), dw(out[1], req[1], /*zero=*/true), dhx(out[2], req[2], false, true);
  DstPtr<T> dcx = p.lstm() ? std::make_unique<Dst<T>>(out[3], req[3], false, true) : nullptr;
  rnn::backward(dm, o, x.get(), w.get(), hx.get(), cx ? cx->get() : nullptr, lens, rs.get(), dy.get(),
                dhy ? dhy->get() : nullptr, dcy ? dcy->get() : nullptr, dx.get(), dw.get(), dhx.get(),
                dcx ? dcx->get() : nullptr);
  dx.finish();
  dw.finish();
  dhx.finish();
  if (dcx) dcx->finish();
}

void rnnBackwardCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<RNNParam>();
  const BwdLayout b = bwdLayout(p);
  const rnn::Dims dm = dimsOf(p, in[1].shape);
  std::vector<int64_t> lens;
  if (p.use_sequence_length) lens = readLengths(in[b.length], dm.T, kBwd);
  const rnn::Options o = optionsOf(p, ctx);  // clipping only: the masks come from the reserve
  const int64_t* lp = p.use_sequence_length ? lens.data() : nullptr;
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, kBwd, { backwardTyped<T>(p, b, dm, o, in, req, out, lp); });
}

std::vector<NodeEntry> rnnGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  const auto& p = n->attrs.get<RNNParam>();
  const int nv = p.numVisible();
  std::vector<NodeEntry> ins{og[0], n->inputs[0], n->inputs[1], n->inputs[2]};
  if (p.lstm()) ins.push_back(n->inputs[p.cellIndex()]);
  if (p.use_sequence_length) ins.push_back(n->inputs[p.lengthIndex()]);
  ins.push_back(NodeEntry{n, static_cast<uint32_t>(nv)});
  for (int i = 1; i < nv; ++i) ins.push_back(og[i]);
  NodePtr b = makeNode(kBwd, ins, nn::backwardAttrs(n->attrs));
  std::vector<NodeEntry> r{NodeEntry{b, 0}, NodeEntry{b, 1}, NodeEntry{b, 2}};
  if (p.lstm()) r.push_back(NodeEntry{b, 3});
  if (p.use_sequence_length) r.push_back(NodeEntry{});  // lengths: no gradient
  return r;
}

IST_REGISTER_OP(RNN)
    .alias("_npx_rnn")
    .describe(
        "Applies recurrent layers to input data. Currently, vanilla RNN, LSTM and GRU are implemented, with both "
        "multi-layer and bidirectional support. data is (sequence length, batch, input size) (layout TNC); "
        "parameters is every layer's weights and biases packed in one vector (MXNet's/cuDNN's order: for each "
        "layer and direction W_i2h (G*state_size, in) then W_h2h (G*state_size, state_size), gates LSTM i,f,g,o / "
        "GRU r,z,n; then for each layer and direction b_i2h then b_h2h); state is the initial hidden state "
        "(num_layers * directions, batch, state_size). Pass state_cell after state for LSTM, then sequence_length "
        "(batch,) when use_sequence_length is set (steps past a sequence's length keep its state and output "
        "zeros). Vanilla RNN: h_t = act(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh) with act relu or tanh. LSTM: "
        "i, f, o = sigmoid(...), g = tanh(...), c_t = f * c_(t-1) + i * g (clipped to "
        "[lstm_state_clip_min, lstm_state_clip_max] when set), h_t = o * tanh(c_t). GRU (cuDNN's form): "
        "r, z = sigmoid(...), n = tanh(W_in x_t + b_in + r * (W_hn h_(t-1) + b_hn)), h_t = (1 - z) * n + z * "
        "h_(t-1). Returns the output (sequence length, batch, directions * state_size) and, with state_outputs, "
        "the final hidden state (and cell state for LSTM). In training, dropout with rate p applies between "
        "layers.")
    .inputs({"data", "parameters", "state"})
    .variadic("extra", nn::kOptionalCount)
    .optionalInputs({"state_cell", "sequence_length"},
                    [](const NodeAttrs& a) {
                      const auto& p = a.get<RNNParam>();
                      std::vector<std::string> r;
                      if (p.lstm()) r.push_back("state_cell");
                      if (p.use_sequence_length) r.push_back("sequence_length");
                      return r;
                    })
    .params<RNNParam>()
    .numOutputs([](const NodeAttrs& a) { return a.get<RNNParam>().numVisible() + 1; })
    .numVisibleOutputs([](const NodeAttrs& a) { return a.get<RNNParam>().numVisible(); })
    .inferShape(rnnShape)
    .inferType(rnnType)
    .setRandom()
    .compute(Context::kCPU, rnnCompute)
    .gradient(rnnGradient);

IST_REGISTER_OP(_backward_RNN)
    .describe("Gradient of RNN (back-propagation through time): d data, d parameters, d state and (LSTM) d "
              "state_cell from the output gradients and the forward's hidden reserve.")
    .inputs({"ograd", "data", "parameters", "state"})
    .variadic("extra", nn::kOptionalCount)
    .params<RNNParam>()
    .numOutputs([](const NodeAttrs& a) { return a.get<RNNParam>().lstm() ? 4 : 3; })
    .inferShape(rnnBackwardShape)
    .inferType(rnnBackwardType)
    .compute(Context::kCPU, rnnBackwardCompute);

}  // namespace
}  // namespace rnn_op
}  // namespace ist
