// softmax, log_softmax, softmin (along an axis, with temperature, output dtype and optional
// lengths) and SoftmaxActivation (instance / channel), with their backward ops.
#include <algorithm>
#include <cmath>
#include <optional>
#include <type_traits>
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "ops/nn/layer_util.h"
#include "ops/nn/softmax_device.h"

namespace ist {
namespace {

using smdev::SoftmaxParam;
using smdev::Flavor;
using smdev::kSoftmax;
using smdev::kLogSoftmax;
using smdev::kSoftmin;

// Rows of `n` elements, `inner` apart, enumerated as r = o * inner + i (the order of the
// length array, which is data's shape without the axis).
struct Rows {
  nn::AxisSplit s;
  int64_t count() const { return s.outer * s.inner; }
  int64_t base(int64_t r) const { return (r / s.inner) * s.n * s.inner + r % s.inner; }
};

int64_t rowLength(const TBlob* len, int64_t r, int64_t n, const char* op) {
  if (len == nullptr) return n;
  const double v = nn::readAsDouble(*len, r, op);
  return v <= 0 ? 0 : std::min<int64_t>(n, static_cast<int64_t>(v));
}

template <typename T, typename O>
void softmaxForward(const T* x, O* y, const TBlob* len, Rows rows, bool logMode, bool negate, double temp,
                    OpReq req, const char* op) {
  using A = std::conditional_t<std::is_same_v<T, double> || std::is_same_v<O, double>, double, float>;
  const int64_t n = rows.s.n, st = rows.s.inner;
  const A sign = negate ? A(-1) : A(1), invT = A(1.0 / temp);
  parallelFor(rows.count(), n * 12, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t base = rows.base(r), m = rowLength(len, r, n, op);
      A mx = m > 0 ? sign * A(x[base]) : A(0);
      for (int64_t j = 1; j < m; ++j) mx = std::max(mx, sign * A(x[base + j * st]));
      A sum = 0;
      for (int64_t j = 0; j < m; ++j) sum += std::exp((sign * A(x[base + j * st]) - mx) * invT);
      const A logSum = std::log(sum), inv = A(1) / sum;
      for (int64_t j = 0; j < n; ++j) {
        O* p = y + base + j * st;
        A v = 0;
        if (j < m) {
          const A z = (sign * A(x[base + j * st]) - mx) * invT;
          v = logMode ? z - logSum : std::exp(z) * inv;
        }
        *p = req == OpReq::kAddTo ? O(A(*p) + v) : O(v);
      }
    }
  });
}

// gx = (out * (og - sum(og * out))) / T for softmax (negated for softmin), and
// (og - exp(out) * sum(og)) / T for log_softmax; zero past each row's length.
template <typename O, typename T>
void softmaxBackward(const O* gy, const O* y, T* gx, const TBlob* len, Rows rows, bool logMode, bool negate,
                     double temp, OpReq req, const char* op) {
  using A = std::conditional_t<std::is_same_v<T, double> || std::is_same_v<O, double>, double, float>;
  const int64_t n = rows.s.n, st = rows.s.inner;
  const A scale = A((negate ? -1.0 : 1.0) / temp);
  parallelFor(rows.count(), n * 8, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t base = rows.base(r), m = rowLength(len, r, n, op);
      A sum = 0;
      for (int64_t j = 0; j < m; ++j) {
        const int64_t k = base + j * st;
        sum += logMode ? A(gy[k]) : A(gy[k]) * A(y[k]);
      }
      for (int64_t j = 0; j < n; ++j) {
        const int64_t k = base + j * st;
        A v = 0;
        if (j < m) v = (logMode ? A(gy[k]) - std::exp(A(y[k])) * sum : A(y[k]) * (A(gy[k]) - sum)) * scale;
        gx[k] = req == OpReq::kAddTo ? T(A(gx[k]) + v) : T(v);
      }
    }
  });
}

// Runs softmaxForward/Backward with the C++ types of the two float blobs.
template <typename F> void switch2(DType a, DType b, const char* op, F&& f) {
  IST_TYPE_SWITCH_FLOAT(a, TA, op, {
    IST_TYPE_SWITCH_FLOAT(b, TB, op, { f(TA{}, TB{}); });
  });
}

// The shape length must have: data's shape without `axis` ((1,) for 1-D data).
Shape lengthShape(const Shape& d, int axis) {
  Shape ls;
  for (int i = 0; i < static_cast<int>(d.size()); ++i)
    if (i != axis) ls.push_back(d[i]);
  if (ls.empty()) ls.push_back(1);
  return ls;
}

void checkLength(const NodeAttrs& attrs, const char* op) {
  const bool want = attrs.get<SoftmaxParam>().useLength();
  const int extra = nn::optionalInputs(attrs);
  IST_CHECK(extra == (want ? 1 : 0), op, "length",
            (want ? "use_length=True needs the length input: inputs (data, length)"
                  : "a length input needs use_length=True")
                << "; got " << 1 + extra << " input(s)");
}

void softmaxShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = nn::opName(attrs, "softmax");
  const auto& p = attrs.get<SoftmaxParam>();
  checkLength(attrs, op);
  IST_CHECK(!p.temperature || *p.temperature != 0.0, op, "temperature", "must be non-zero");
  if (!shapeIsKnown(in[0])) return;
  IST_CHECK(!in[0].empty(), op, "data", "expects an array of rank >= 1, got shape ()");
  const int axis = nn::checkAxis(p.axis, in[0], op);
  if (p.useLength()) {
    const Shape ls = lengthShape(in[0], axis);
    if (!shapeRankKnown(in[1])) in[1] = ls;
    IST_CHECK(in[1] == ls, op, "length",
              "expected shape " << shapeString(ls) << " (data's shape " << shapeString(in[0]) << " without axis "
                                << axis << "), got " << shapeString(in[1]));
  }
  out[0] = in[0];
}

void softmaxType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const char* op = nn::opName(attrs, "softmax");
  const auto& p = attrs.get<SoftmaxParam>();
  nn::requireFloat(in[0], op, "data");
  if (in.size() > 1 && in[1] >= 0) {
    const DType lt = static_cast<DType>(in[1]);
    IST_CHECK(!dtypeIsFloat(lt) && lt != DType::kBool, op, "length",
              "expects an integer array, got " << dtypeName(lt));
  }
  if (p.hasDType()) {
    out[0] = static_cast<int>(dtypeFromName(p.dtype, op));
  } else if (in[0] >= 0) {
    out[0] = in[0];
  }
}

template <const Flavor& FL>
void softmaxCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || in[0].size() == 0) return;
  const auto& p = attrs.get<SoftmaxParam>();
  const Rows rows{nn::splitAt(in[0].shape, nn::checkAxis(p.axis, in[0].shape, FL.name))};
  const TBlob* len = p.useLength() ? &in[1] : nullptr;
  switch2(in[0].dtype, out[0].dtype, FL.name, [&](auto ti, auto to) {
    using T = decltype(ti);
    using O = decltype(to);
    softmaxForward<T, O>(in[0].data<T>(), out[0].data<O>(), len, rows, FL.log, FL.negate, p.temp(), req[0],
                         FL.name);
  });
}

// _backward_<flavor> inputs: ograd, output, then data (only with a dtype override, for the
// gradient's dtype) and length (with use_length).
void softmaxBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = nn::opName(attrs, "_backward_softmax");
  const auto& p = attrs.get<SoftmaxParam>();
  nn::expectOptional(attrs, 2, (p.hasDType() ? 1 : 0) + (p.useLength() ? 1 : 0),
                     std::string("ograd, output") + (p.hasDType() ? ", data" : "") + (p.useLength() ? ", length" : ""),
                     op);
  if (!shapeIsKnown(in[1])) return;
  IST_CHECK(!in[1].empty(), op, "output", "expects an array of rank >= 1, got shape ()");
  const int axis = nn::checkAxis(p.axis, in[1], op);
  nn::expectShape(in[0], in[1], op, "ograd");
  if (p.hasDType()) nn::expectShape(in[2], in[1], op, "data");
  if (p.useLength()) nn::expectShape(in.back(), lengthShape(in[1], axis), op, "length");
  out[0] = in[1];
}

void softmaxBackwardType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const char* op = nn::opName(attrs, "_backward_softmax");
  const auto& p = attrs.get<SoftmaxParam>();
  std::vector<int> yt{in[0], in[1]};
  nn::unifyFloat(yt, {"ograd", "output"}, op);
  if (p.hasDType()) nn::requireFloat(in[2], op, "data");
  if (p.useLength() && in.back() >= 0) {
    const DType lt = static_cast<DType>(in.back());
    IST_CHECK(!dtypeIsFloat(lt) && lt != DType::kBool, op, "length", "expects an integer array, got " << dtypeName(lt));
  }
  out[0] = p.hasDType() ? in[2] : yt[1];
}

template <const Flavor& FL>
void softmaxBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                            const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<SoftmaxParam>();
  const Rows rows{nn::splitAt(in[1].shape, nn::checkAxis(p.axis, in[1].shape, FL.name))};
  const TBlob* len = p.useLength() ? &in[in.size() - 1] : nullptr;
  switch2(in[1].dtype, out[0].dtype, FL.name, [&](auto to, auto ti) {
    using O = decltype(to);
    using T = decltype(ti);
    softmaxBackward<O, T>(in[0].data<O>(), in[1].data<O>(), out[0].data<T>(), len, rows, FL.log, FL.negate,
                          p.temp(), req[0], FL.name);
  });
}

template <const Flavor& FL>
std::vector<NodeEntry> softmaxGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  const auto& p = n->attrs.get<SoftmaxParam>();
  AttrDict attrs = nn::backwardAttrs(n->attrs);
  std::vector<NodeEntry> ins{og[0], NodeEntry{n, 0}};
  if (p.hasDType()) ins.push_back(n->inputs[0]);
  if (p.useLength()) ins.push_back(n->inputs[1]);
  std::vector<NodeEntry> r{makeEntry(std::string("_backward_") + FL.name, ins, attrs)};
  if (p.useLength()) r.push_back(NodeEntry{});  // lengths are integers: no gradient
  return r;
}

#define IST_REGISTER_SOFTMAX(NAME, FL, ALIAS, DOC)                                     \
  IST_REGISTER_OP(NAME) ALIAS                                                          \
      .describe(DOC)                                                                   \
      .inputs({"data"})                                                                \
      .variadic("length", nn::kOptionalCount)                                          \
      .optionalInput("length", [](const NodeAttrs& a) { return a.get<SoftmaxParam>().useLength(); }) \
      .params<SoftmaxParam>()                                                          \
      .inferShape(softmaxShape)                                                        \
      .inferType(softmaxType)                                                          \
      .compute(Context::kCPU, softmaxCompute<FL>)                                      \
      .gradient(softmaxGradient<FL>);                                                  \
  IST_REGISTER_OP(_backward_##NAME)                                                    \
      .describe("Gradient of " #NAME ".")                                              \
      .inputs({"ograd", "output"})                                                     \
      .variadic("extra", nn::kOptionalCount)                                           \
      .params<SoftmaxParam>()                                                          \
      .inferShape(softmaxBackwardShape)                                                \
      .inferType(softmaxBackwardType)                                                  \
      .compute(Context::kCPU, softmaxBackwardCompute<FL>);

IST_REGISTER_SOFTMAX(softmax, kSoftmax, .alias("_npx_softmax"),
                     "Applies the softmax function exp(x / T) / sum(exp(x / T)) along `axis` (T: temperature). "
                     "With use_length, only the first length[i] entries of each row take part and the rest "
                     "of the row is 0.")
IST_REGISTER_SOFTMAX(log_softmax, kLogSoftmax, .alias("_npx_log_softmax"),
                     "Computes the log softmax (x / T) - log(sum(exp(x / T))) along `axis`, stably. With "
                     "use_length, entries past each row's length are 0.")
IST_REGISTER_SOFTMAX(softmin, kSoftmin, ,
                     "Applies the softmin function exp(-x / T) / sum(exp(-x / T)) along `axis`. With "
                     "use_length, entries past each row's length are 0.")

// ---- SoftmaxActivation ----

using smdev::SoftmaxActivationParam;
using smdev::activationAxis;

void softmaxActivationShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  const bool channel = attrs.get<SoftmaxActivationParam>().mode == "channel";
  IST_CHECK(in[0].size() >= (channel ? 3u : 1u), "SoftmaxActivation", "data",
            (channel ? "mode 'channel' needs data of rank >= 3" : "needs data of rank >= 1")
                << ", got shape " << shapeString(in[0]));
  out[0] = in[0];
}

void softmaxActivationType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  nn::requireFloat(in[0], "SoftmaxActivation", "data");
  if (in[0] >= 0) out[0] = in[0];
}

void softmaxActivationCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                              const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || in[0].size() == 0) return;
  const Rows rows{nn::splitAt(in[0].shape, activationAxis(attrs, in[0].shape))};
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "SoftmaxActivation", {
    softmaxForward<T, T>(in[0].data<T>(), out[0].data<T>(), nullptr, rows, false, false, 1.0, req[0],
                         "SoftmaxActivation");
  });
}

void softmaxActivationBackward(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const Rows rows{nn::splitAt(in[1].shape, activationAxis(attrs, in[1].shape))};
  IST_TYPE_SWITCH_FLOAT(in[1].dtype, T, "_backward_SoftmaxActivation", {
    softmaxBackward<T, T>(in[0].data<T>(), in[1].data<T>(), out[0].data<T>(), nullptr, rows, false, false, 1.0,
                          req[0], "_backward_SoftmaxActivation");
  });
}

IST_REGISTER_OP(SoftmaxActivation)
    .describe("Applies softmax activation to the input: per instance (over the last axis) or, with "
              "mode 'channel', across channels (axis 1) at each position. Prefer softmax(axis=...).")
    .inputs({"data"})
    .params<SoftmaxActivationParam>()
    .inferShape(softmaxActivationShape)
    .inferType(softmaxActivationType)
    .compute(Context::kCPU, softmaxActivationCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{makeEntry("_backward_SoftmaxActivation", {og[0], NodeEntry{n, 0}}, n->attrs.dict)};
    });

IST_REGISTER_OP(_backward_SoftmaxActivation)
    .describe("Gradient of SoftmaxActivation.")
    .inputs({"ograd", "output"})
    .params<SoftmaxActivationParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      const char* op = "_backward_SoftmaxActivation";
      if (!shapeIsKnown(in[1])) return;
      const bool channel = attrs.get<SoftmaxActivationParam>().mode == "channel";
      IST_CHECK(in[1].size() >= (channel ? 3u : 1u), op, "output",
                (channel ? "mode 'channel' needs rank >= 3" : "needs rank >= 1") << ", got shape "
                                                                                  << shapeString(in[1]));
      nn::expectShape(in[0], in[1], op, "ograd");
      out[0] = in[1];
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      const int t = nn::unifyFloat(in, {"ograd", "output"}, "_backward_SoftmaxActivation");
      if (t >= 0) out[0] = t;
    })
    .compute(Context::kCPU, softmaxActivationBackward);

}  // namespace
}  // namespace ist
