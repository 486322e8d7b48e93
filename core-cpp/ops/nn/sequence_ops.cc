// SequenceMask, SequenceLast and SequenceReverse (MXNet's variable-length sequence ops, with the
// optional sequence_length input) and _backward_SequenceLast, which scatters a gradient back to the
// last valid step.
#include <string>
#include <vector>
#include "base/error.h"
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "op/backward_errors.h"
#include "op/registry.h"
#include "ops/nn/sequence_device.h"

namespace ist {
namespace seqdev {
namespace {

// Lengths read and checked on the host (null when use_sequence_length is off).
const int64_t* hostLengths(std::vector<int64_t>& k, const TBlob* len, const SeqGeom& g, const char* op) {
  if (!len) return nullptr;
  const LenRange rg = lenRange(op, g.T);
  k.resize(static_cast<size_t>(g.B));
  for (int64_t b = 0; b < g.B; ++b) {
    const double x = nn::readAsDouble(*len, b, op);
    if (!lenOk(x, rg, k[static_cast<size_t>(b)])) throwBadLength(op, b, x, g.T, rg);
  }
  return k.data();
}

template <typename M, typename T, typename... A>
void runMap(int64_t n, T* y, const T* x, A... a) {
  parallelFor(n, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) M::Map(i, y, x, a...);
  });
}

template <SeqKind K>
void seqCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = attrs.op->name.c_str();
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const SequenceParam p = seqParams(attrs);
  const int dataAt = K == SeqKind::kLastBackward ? 1 : 0;
  const SeqGeom g = seqGeom(in[dataAt].shape, p.axis, K == SeqKind::kReverse ? 0 : 1, op);
  if (K == SeqKind::kLast || K == SeqKind::kLastBackward)
    IST_CHECK(g.T > 0, op, "data", "cannot take the last step of an empty time axis (data shape "
                                       << shapeString(in[dataAt].shape) << ")");
  std::vector<int64_t> kv;
  const int64_t* k = hostLengths(kv, p.use_sequence_length ? &in[dataAt + 1] : nullptr, g, op);
  const bool add = req[0] == OpReq::kAddTo;
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, op, {
    T* y = out[0].data<T>();
    const T* x = in[0].data<T>();
    const int64_t n = out[0].size();
    if constexpr (K == SeqKind::kMask) runMap<SeqMaskMap>(n, y, x, k, g, static_cast<double>(p.value), add);
    else if constexpr (K == SeqKind::kLast) runMap<SeqLastMap>(n, y, x, k, g, add);
    else if constexpr (K == SeqKind::kLastBackward) runMap<SeqLastBackwardMap>(n, y, x, k, g, add);
    else runMap<SeqReverseMap>(n, y, x, k, g, add);
  });
}

// Inputs to pass on to a gradient node: (x[, sequence_length]).
std::vector<NodeEntry> withLength(const NodePtr& n, NodeEntry x, int lenAt) {
  std::vector<NodeEntry> r{std::move(x)};
  if (seqParams(n->attrs).use_sequence_length) r.push_back(n->inputs[lenAt]);
  return r;
}
std::vector<NodeEntry> gradsWithLength(const NodePtr& n, NodeEntry g, int lenAt) {
  std::vector<NodeEntry> r{std::move(g)};
  for (int i = 1; i < lenAt; ++i) r.push_back(NodeEntry{});
  if (seqParams(n->attrs).use_sequence_length) r.push_back(NodeEntry{});  // lengths: no gradient
  return r;
}

void sameShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out, int maxAxis) {
  const char* op = attrs.op->name.c_str();
  if (!seqCheckInputs(attrs, in, maxAxis, op)) return;
  out[0] = in[0];
}

IST_REGISTER_OP(SequenceMask)
    .describe("Sets all elements outside the sequence to a constant value. data is "
              "[max_sequence_length, batch_size, other_feature_dims] (axis=0) or [batch_size, "
              "max_sequence_length, ...] (axis=1); with use_sequence_length, steps at or past "
              "sequence_length[b] of batch element b are set to `value`, otherwise the op is the identity.\n\n"
              "Example: x of shape (3, 2, 3), sequence_length = [2, 3], value = 1: x[2, 0, :] becomes "
              "[1, 1, 1] and the rest is unchanged.")
    .inputs({"data"})
    .variadic("sequence_length", nn::kOptionalCount)
    .optionalInput("sequence_length", [](const NodeAttrs& a) { return a.get<SequenceMaskParam>().use_sequence_length; })
    .params<SequenceMaskParam>()
    .inferShape([](const NodeAttrs& a, std::vector<Shape>& in, std::vector<Shape>& out) { sameShape(a, in, out, 1); })
    .inferType([](const NodeAttrs& a, std::vector<int>& in, std::vector<int>& out) {
      seqInferType(a, in, out, "SequenceMask");
    })
    .compute(Context::kCPU, seqCompute<SeqKind::kMask>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      // Masked steps get no gradient: the gradient is og masked with 0.
      AttrDict a = nn::backwardAttrs(n->attrs);
      a["value"] = "0";
      return gradsWithLength(n, makeEntry("SequenceMask", withLength(n, og[0], 1), a), 1);
    });

IST_REGISTER_OP(SequenceLast)
    .describe("Takes the last element of a sequence. data is [max_sequence_length, batch_size, "
              "other_feature_dims] (axis=0) or [batch_size, max_sequence_length, ...] (axis=1); the "
              "output drops the time axis: out[b] = data[sequence_length[b] - 1, b] with "
              "use_sequence_length, else data[max_sequence_length - 1, b].\n\n"
              "Example: x of shape (3, 3, 3) holding 1..27 along the time axis 0: SequenceLast(x) = "
              "x[2]; SequenceLast(x, [1, 1, 1], use_sequence_length=True) = x[0].")
    .inputs({"data"})
    .variadic("sequence_length", nn::kOptionalCount)
    .optionalInput("sequence_length", [](const NodeAttrs& a) { return a.get<SequenceLastParam>().use_sequence_length; })
    .params<SequenceLastParam>()
    .inferShape([](const NodeAttrs& a, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!seqCheckInputs(a, in, 1, "SequenceLast")) return;
      Shape o = in[0];
      o.erase(o.begin() + seqParams(a).axis);
      out[0] = o;
    })
    .inferType([](const NodeAttrs& a, std::vector<int>& in, std::vector<int>& out) {
      seqInferType(a, in, out, "SequenceLast");
    })
    .compute(Context::kCPU, seqCompute<SeqKind::kLast>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      std::vector<NodeEntry> ins{og[0], n->inputs[0]};
      if (seqParams(n->attrs).use_sequence_length) ins.push_back(n->inputs[1]);
      return gradsWithLength(n, makeEntry("_backward_SequenceLast", ins, nn::backwardAttrs(n->attrs)), 1);
    });

IST_REGISTER_OP(_backward_SequenceLast)
    .describe("Gradient of SequenceLast with respect to data: ograd written at each sequence's last "
              "valid step of zeros shaped like data.")
    .inputs({"ograd", "data"})
    .variadic("sequence_length", nn::kOptionalCount)
    .params<SequenceLastParam>()
    .inferShape(namedShape("_backward_SequenceLast",
                           [](const NodeAttrs& a, std::vector<Shape>& in, std::vector<Shape>& out) {
                             const char* op = "_backward_SequenceLast";
                             if (!seqCheckInputs(a, in, 1, op, 1)) return;
                             Shape o = in[1];
                             o.erase(o.begin() + seqParams(a).axis);
                             nn::expectShape(in[0], o, op, "ograd");
                             out[0] = in[1];
                           }))
    .inferType([](const NodeAttrs& a, std::vector<int>& in, std::vector<int>& out) {
      seqInferType(a, in, out, "_backward_SequenceLast", 2);
    })
    .compute(Context::kCPU, namedCompute("_backward_SequenceLast", seqCompute<SeqKind::kLastBackward>))
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      // Linear in ograd: its gradient is SequenceLast of g; data only gives the shape.
      std::vector<NodeEntry> ins{g[0]};
      if (seqParams(n->attrs).use_sequence_length) ins.push_back(n->inputs[2]);
      return gradsWithLength(n, makeEntry("SequenceLast", ins, nn::backwardAttrs(n->attrs)), 2);
    });

IST_REGISTER_OP(SequenceReverse)
    .describe("Reverses the elements of each sequence. data is [max_sequence_length, batch_size, "
              "other_feature_dims]; with use_sequence_length, only the first sequence_length[b] steps "
              "of batch element b are reversed and the rest stay in place.\n\n"
              "Example: x of shape (3, 2, 2), sequence_length = [2, 3]: out[:, 0] = x[[1, 0, 2], 0], "
              "out[:, 1] = x[[2, 1, 0], 1].")
    .inputs({"data"})
    .variadic("sequence_length", nn::kOptionalCount)
    .optionalInput("sequence_length", [](const NodeAttrs& a) { return a.get<SequenceReverseParam>().use_sequence_length; })
    .params<SequenceReverseParam>()
    .inferShape([](const NodeAttrs& a, std::vector<Shape>& in, std::vector<Shape>& out) { sameShape(a, in, out, 0); })
    .inferType([](const NodeAttrs& a, std::vector<int>& in, std::vector<int>& out) {
      seqInferType(a, in, out, "SequenceReverse");
    })
    .compute(Context::kCPU, seqCompute<SeqKind::kReverse>)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      // The reversal is its own inverse (and a permutation), so it is its own gradient.
      return gradsWithLength(n, makeEntry("SequenceReverse", withLength(n, og[0], 1), nn::backwardAttrs(n->attrs)), 1);
    });

}  // namespace
}  // namespace seqdev
}  // namespace ist
