// Joining arrays: Concat (concat) along an existing axis, stack along a new one. Each input is
// one strided copy into its slab of the output (rows of `inner` contiguous elements). Gradients:
// Concat's is _backward_Concat (the slabs copied back out), stack's is SliceChannel with
// squeeze_axis.
#include <climits>
#include <string>
#include "base/error.h"
#include "graph/node.h"
#include "op/registry.h"
#include "op/backward_errors.h"
#include "ops/matrix/strided_copy.h"
#include "ops/matrix/concat_device.h"

namespace ist {
namespace {

void sameTypeAll(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const char* op = attrs.op ? attrs.op->name.c_str() : "Concat";
  int t = -1;
  for (int v : in) if (v >= 0) { t = v; break; }
  if (t < 0) t = out[0];
  if (t < 0) return;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] < 0) in[i] = t;
    IST_CHECK(in[i] == t, op, "data",
              "input " << i << " is " << dtypeName(DType(in[i])) << " but input 0 is "
                       << dtypeName(DType(t)));
  }
  out[0] = t;
}

// ---- Concat ----

using mat::ConcatParam;

void concatShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = "Concat";
  for (auto& s : in)
    if (!shapeIsKnown(s)) return;
  const Shape& first = in[0];
  const int nd = static_cast<int>(first.size());
  IST_CHECK(nd > 0, op, "data", "cannot concatenate 0-d arrays (input 0 has shape ())");
  const int axis = normalizeAxis(attrs.get<ConcatParam>().dim, nd, op, "dim");
  Shape o = first;
  o[axis] = 0;
  for (size_t k = 0; k < in.size(); ++k) {
    const Shape& s = in[k];
    bool ok = static_cast<int>(s.size()) == nd;
    for (int i = 0; ok && i < nd; ++i) ok = i == axis || s[i] == first[i];
    IST_CHECK(ok, op, "data",
              "input " << k << " has shape " << shapeString(s) << ", which does not match input 0's "
                       << shapeString(first) << " outside dim " << axis << " (all shapes: "
                       << shapesString(in) << ")");
    o[axis] += s[axis];
  }
  out[0] = o;
}

void concatCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  mat::concatComputeWith(mat::HostCopy{}, attrs, in, req, out);
}

IST_REGISTER_OP(Concat)
    .alias("concat")
    .alias("_rnn_param_concat")  // what MXNet 1.9 exports for fused RNN layers' parameter vectors
    .describe("Joins input arrays along the existing axis `dim`; all other dims must match.")
    .variadic("data", "num_args")
    .params<ConcatParam>()
    .inferShape(concatShape)
    .inferType(sameTypeAll)
    .compute(Context::kCPU, concatCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      std::vector<NodeEntry> ins{og[0]};
      ins.insert(ins.end(), n->inputs.begin(), n->inputs.end());
      NodePtr b = makeNode("_backward_Concat", ins,
                           {{"dim", std::to_string(n->attrs.get<ConcatParam>().dim)}});
      std::vector<NodeEntry> g;
      for (uint32_t k = 0; k < n->inputs.size(); ++k) g.push_back(NodeEntry{b, k});
      return g;
    });

// ---- _backward_Concat: (out_grad, data...) -> one gradient per data, each its slab of out_grad ----

void concatBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  std::vector<Shape> data(in.begin() + 1, in.end()), o(1);
  concatShape(attrs, data, o);
  if (!shapeIsKnown(o[0])) return;
  if (shapeIsKnown(in[0]))
    IST_CHECK(in[0] == o[0], "_backward_Concat", "out_grad",
              "out_grad has shape " << shapeString(in[0]) << " but the inputs " << shapesString(data)
                                    << " concatenate to " << shapeString(o[0]));
  for (size_t k = 0; k < data.size(); ++k) out[k] = data[k];
}

void concatBackwardType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  std::vector<int> all(in), o(1, -1);
  sameTypeAll(attrs, all, o);
  if (o[0] < 0) return;
  for (auto& t : in) t = o[0];
  for (auto& t : out) t = o[0];
}

void concatBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                           const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  mat::concatBackwardComputeWith(mat::HostCopy{}, attrs, in, req, out);
}

IST_REGISTER_OP(_backward_Concat)
    .describe("Gradient of Concat: splits out_grad into one slab per concatenated input.")
    .inputs({"out_grad"})
    .variadic("data", "num_args")
    .numOutputs([](const NodeAttrs& attrs) { return attrs.get<ConcatParam>().num_args; })
    .params<ConcatParam>()
    .inferShape(namedShape("_backward_Concat", concatBackwardShape))
    .inferType(concatBackwardType)
    .compute(Context::kCPU, namedCompute("_backward_Concat", concatBackwardCompute))
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& g) {
      std::vector<NodeEntry> r(n->inputs.size());
      r[0] = makeEntry("Concat", g, {{"dim", std::to_string(n->attrs.get<ConcatParam>().dim)}});
      return r;
    });

// ---- stack ----

using mat::StackParam;

void stackShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = "stack";
  for (auto& s : in)
    if (!shapeIsKnown(s)) return;
  for (size_t k = 1; k < in.size(); ++k)
    IST_CHECK(in[k] == in[0], op, "data",
              "input " << k << " has shape " << shapeString(in[k]) << " but input 0 has "
                       << shapeString(in[0]) << "; stack needs equal shapes");
  const int axis =
      normalizeAxis(attrs.get<StackParam>().axis, static_cast<int>(in[0].size()) + 1, op, "axis");
  Shape o = in[0];
  o.insert(o.begin() + axis, static_cast<int64_t>(in.size()));
  out[0] = o;
}

void stackCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  mat::stackComputeWith(mat::HostCopy{}, attrs, in, req, out);
}

IST_REGISTER_OP(stack)
    .describe("Joins arrays of equal shape along a new axis `axis`.")
    .variadic("data", "num_args")
    .params<StackParam>()
    .inferShape(stackShape)
    .inferType(sameTypeAll)
    .compute(Context::kCPU, stackCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      const auto& p = n->attrs.get<StackParam>();
      NodePtr b = makeNode("SliceChannel", {og[0]},
                           {{"axis", std::to_string(p.axis)},
                            {"num_outputs", std::to_string(n->inputs.size())},
                            {"squeeze_axis", "True"}});
      std::vector<NodeEntry> g;
      for (uint32_t k = 0; k < n->inputs.size(); ++k) g.push_back(NodeEntry{b, k});
      return g;
    });

}  // namespace
}  // namespace ist
