// MXNet's fused multi-head attention products (contrib/transformer.cc): _contrib_interleaved_matmul_
// selfatt_qk / selfatt_valatt / encdec_qk / encdec_valatt on interleaved projections, and their
// hidden _backward_interleaved_matmul_* ops. Computes are the strided batched GEMMs of
// interleaved_matmul_device.h (DeviceBlas<cpu> here, the GPU in interleaved_matmul.cu).
#include <string>
#include <vector>
#include "base/error.h"
#include "graph/node.h"
#include "op/backward_errors.h"
#include "op/registry.h"
#include "ops/contrib/interleaved_matmul_device.h"

namespace ist {
namespace {

using imm::AttGeom;
using imm::InterleavedMatMulParam;

// Every input and output shares one floating dtype (float16, float32 or float64: MXNet's GPU types).
FInferType sameFloatType(const char* op, std::vector<const char*> names) {
  return [op, names](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
    int t = -1;
    for (int x : in) if (x >= 0) { t = x; break; }
    if (t < 0) for (int x : out) if (x >= 0) { t = x; break; }
    if (t < 0) return;
    for (size_t i = 0; i < in.size(); ++i) {
      IST_CHECK(in[i] < 0 || in[i] == t, op, names[i],
                names[i] << " has dtype " << dtypeName(static_cast<DType>(in[i])) << " but " << names[0]
                         << " has " << dtypeName(static_cast<DType>(t)));
      in[i] = t;
    }
    const DType d = static_cast<DType>(t);
    IST_CHECK(d == DType::kFloat32 || d == DType::kFloat64 || d == DType::kFloat16, op, names[0],
              "dtype " << dtypeName(d) << " is not supported; use float16, float32 or float64");
    for (int& x : out) x = t;
  };
}

int headsOf(const NodeAttrs& a) { return a.get<InterleavedMatMulParam>().heads; }

bool known(const std::vector<Shape>& s, size_t from, size_t n) {
  for (size_t i = from; i < from + n; ++i)
    if (!shapeIsKnown(s[i])) return false;
  return true;
}

// Forward shape rules.
void selfQkShape(const NodeAttrs& a, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!known(in, 0, 1)) return;
  out[0] = imm::scoresShape(imm::selfQkGeom(in[0], headsOf(a)));
}
void selfValShape(const NodeAttrs& a, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!known(in, 0, 2)) return;
  out[0] = imm::contextShape(imm::selfValGeom(in[0], in[1], headsOf(a)));
}
void encQkShape(const NodeAttrs& a, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!known(in, 0, 2)) return;
  out[0] = imm::scoresShape(imm::encQkGeom(in[0], in[1], headsOf(a)));
}
void encValShape(const NodeAttrs& a, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!known(in, 0, 2)) return;
  out[0] = imm::contextShape(imm::encValGeom(in[0], in[1], headsOf(a)));
}

// Backward shape rule: (out_grad, forward inputs...) -> forward input shapes, out_grad checked.
FInferShape backwardShape(const std::string& op, FInferShape forward, size_t nIn) {
  return namedShape(op, [op, forward, nIn](const NodeAttrs& a, std::vector<Shape>& in, std::vector<Shape>& out) {
    if (!known(in, 1, nIn)) return;
    checkAgainstForward(op, forward, a, {in[0]}, std::vector<Shape>(in.begin() + 1, in.end()));
    for (size_t i = 0; i < nIn; ++i) out[i] = in[1 + i];
  });
}

// Gradient entries of a forward op with nIn inputs from its backward op (one output per input).
FGradient viaBackward(const char* backward, size_t nIn) {
  return [backward, nIn](const NodePtr& n, const std::vector<NodeEntry>& og) {
    std::vector<NodeEntry> args{og[0]};
    for (const auto& e : n->inputs) args.push_back(e);
    const NodeEntry g = makeEntry(backward, args, n->attrs.dict);
    std::vector<NodeEntry> r;
    for (size_t i = 0; i < nIn; ++i) r.push_back(NodeEntry{g.node, static_cast<uint32_t>(i)});
    return r;
  };
}

IST_REGISTER_OP(_contrib_interleaved_matmul_selfatt_qk)
    .describe("Compute the matrix multiplication between the projections of queries and keys in "
              "multihead attention use as self attention.\n\n"
              "the input must be a single tensor of interleaved projections of queries, keys and values "
              "following the layout: (seq_length, batch_size, num_heads * head_dim * 3)\n\n"
              "the equivalent code would be:\n"
              "tmp = mx.nd.reshape(queries_keys_values, shape=(0, 0, num_heads, 3, -1))\n"
              "q_proj = mx.nd.transpose(tmp[:,:,:,0,:], axes=(1, 2, 0, 3))\n"
              "q_proj = mx.nd.reshape(q_proj, shape=(-1, 0, 0), reverse=True)\n"
              "q_proj = mx.nd.contrib.div_sqrt_dim(q_proj)\n"
              "k_proj = mx.nd.transpose(tmp[:,:,:,1,:], axes=(1, 2, 0, 3))\n"
              "k_proj = mx.nd.reshape(k_proj, shape=(-1, 0, 0), reverse=True)\n"
              "output = mx.nd.batch_dot(q_proj, k_proj, transpose_b=True)")
    .inputs({"queries_keys_values"})
    .params<InterleavedMatMulParam>()
    .inferShape(selfQkShape)
    .inferType(sameFloatType(imm::kSelfQk, {"queries_keys_values"}))
    .compute(Context::kCPU, imm::selfQkDev<cpu>)
    .gradient(viaBackward("_backward_interleaved_matmul_selfatt_qk", 1));

IST_REGISTER_OP(_backward_interleaved_matmul_selfatt_qk)
    .describe("Gradient of _contrib_interleaved_matmul_selfatt_qk: (out_grad, queries_keys_values) -> "
              "the gradient of queries_keys_values (zero in the value blocks).")
    .inputs({"out_grad", "queries_keys_values"})
    .params<InterleavedMatMulParam>()
    .inferShape(backwardShape("_backward_interleaved_matmul_selfatt_qk", selfQkShape, 1))
    .inferType(sameFloatType("_backward_interleaved_matmul_selfatt_qk", {"out_grad", "queries_keys_values"}))
    .compute(Context::kCPU,
             namedCompute("_backward_interleaved_matmul_selfatt_qk", imm::selfQkBackwardDev<cpu>));

IST_REGISTER_OP(_contrib_interleaved_matmul_selfatt_valatt)
    .describe("Compute the matrix multiplication between the projections of values and the attention "
              "weights in multihead attention use as self attention.\n\n"
              "the inputs must be a tensor of interleaved projections of queries, keys and values "
              "following the layout: (seq_length, batch_size, num_heads * head_dim * 3)\n"
              "and the attention weights following the layout: (batch_size, seq_length, seq_length)\n\n"
              "the equivalent code would be:\n"
              "tmp = mx.nd.reshape(queries_keys_values, shape=(0, 0, num_heads, 3, -1))\n"
              "v_proj = mx.nd.transpose(tmp[:,:,:,2,:], axes=(1, 2, 0, 3))\n"
              "v_proj = mx.nd.reshape(v_proj, shape=(-1, 0, 0), reverse=True)\n"
              "output = mx.nd.batch_dot(attention, v_proj)\n"
              "output = mx.nd.reshape(output, shape=(-1, num_heads, 0, 0), reverse=True)\n"
              "output = mx.nd.transpose(output, axes=(2, 0, 1, 3))\n"
              "output = mx.nd.reshape(output, shape=(0, 0, -1))")
    .inputs({"queries_keys_values", "attention"})
    .params<InterleavedMatMulParam>()
    .inferShape(selfValShape)
    .inferType(sameFloatType(imm::kSelfVal, {"queries_keys_values", "attention"}))
    .compute(Context::kCPU, imm::selfValDev<cpu>)
    .gradient(viaBackward("_backward_interleaved_matmul_selfatt_valatt", 2));

IST_REGISTER_OP(_backward_interleaved_matmul_selfatt_valatt)
    .describe("Gradient of _contrib_interleaved_matmul_selfatt_valatt: (out_grad, queries_keys_values, "
              "attention) -> the gradients of queries_keys_values (zero in the query and key blocks) and "
              "attention.")
    .inputs({"out_grad", "queries_keys_values", "attention"})
    .outputs({"queries_keys_values_grad", "attention_grad"})
    .params<InterleavedMatMulParam>()
    .inferShape(backwardShape("_backward_interleaved_matmul_selfatt_valatt", selfValShape, 2))
    .inferType(sameFloatType("_backward_interleaved_matmul_selfatt_valatt",
                             {"out_grad", "queries_keys_values", "attention"}))
    .compute(Context::kCPU,
             namedCompute("_backward_interleaved_matmul_selfatt_valatt", imm::selfValBackwardDev<cpu>));

IST_REGISTER_OP(_contrib_interleaved_matmul_encdec_qk)
    .describe("Compute the matrix multiplication between the projections of queries and keys in "
              "multihead attention use as encoder-decoder.\n\n"
              "the inputs must be a tensor of projections of queries following the layout: "
              "(seq_length, batch_size, num_heads * head_dim)\n"
              "and a tensor of interleaved projections of values and keys following the layout: "
              "(seq_length, batch_size, num_heads * head_dim * 2)\n\n"
              "the equivalent code would be:\n"
              "q_proj = mx.nd.transpose(queries, axes=(1, 2, 0, 3))\n"
              "q_proj = mx.nd.reshape(q_proj, shape=(-1, 0, 0), reverse=True)\n"
              "q_proj = mx.nd.contrib.div_sqrt_dim(q_proj)\n"
              "tmp = mx.nd.reshape(keys_values, shape=(0, 0, num_heads, 2, -1))\n"
              "k_proj = mx.nd.transpose(tmp[:,:,:,0,:], axes=(1, 2, 0, 3))\n"
              "k_proj = mx.nd.reshape(k_proj, shape=(-1, 0, 0), reverse=True)\n"
              "output = mx.nd.batch_dot(q_proj, k_proj, transpose_b=True)")
    .inputs({"queries", "keys_values"})
    .params<InterleavedMatMulParam>()
    .inferShape(encQkShape)
    .inferType(sameFloatType(imm::kEncQk, {"queries", "keys_values"}))
    .compute(Context::kCPU, imm::encQkDev<cpu>)
    .gradient(viaBackward("_backward_interleaved_matmul_encdec_qk", 2));

IST_REGISTER_OP(_backward_interleaved_matmul_encdec_qk)
    .describe("Gradient of _contrib_interleaved_matmul_encdec_qk: (out_grad, queries, keys_values) -> the "
              "gradients of queries and keys_values (zero in the value blocks).")
    .inputs({"out_grad", "queries", "keys_values"})
    .outputs({"queries_grad", "keys_values_grad"})
    .params<InterleavedMatMulParam>()
    .inferShape(backwardShape("_backward_interleaved_matmul_encdec_qk", encQkShape, 2))
    .inferType(sameFloatType("_backward_interleaved_matmul_encdec_qk", {"out_grad", "queries", "keys_values"}))
    .compute(Context::kCPU,
             namedCompute("_backward_interleaved_matmul_encdec_qk", imm::encQkBackwardDev<cpu>));

IST_REGISTER_OP(_contrib_interleaved_matmul_encdec_valatt)
    .describe("Compute the matrix multiplication between the projections of values and the attention "
              "weights in multihead attention use as encoder-decoder.\n\n"
              "the inputs must be a tensor of interleaved projections of keys and values following the "
              "layout: (seq_length, batch_size, num_heads * head_dim * 2)\n"
              "and the attention weights following the layout: (batch_size, seq_length, seq_length)\n\n"
              "the equivalent code would be:\n"
              "tmp = mx.nd.reshape(queries_keys_values, shape=(0, 0, num_heads, 3, -1))\n"
              "v_proj = mx.nd.transpose(tmp[:,:,:,1,:], axes=(1, 2, 0, 3))\n"
              "v_proj = mx.nd.reshape(v_proj, shape=(-1, 0, 0), reverse=True)\n"
              "output = mx.nd.batch_dot(attention, v_proj)\n"
              "output = mx.nd.reshape(output, shape=(-1, num_heads, 0, 0), reverse=True)\n"
              "output = mx.nd.transpose(output, axes=(2, 0, 1, 3))\n"
              "output = mx.nd.reshape(output, shape=(0, 0, -1))")
    .inputs({"keys_values", "attention"})
    .params<InterleavedMatMulParam>()
    .inferShape(encValShape)
    .inferType(sameFloatType(imm::kEncVal, {"keys_values", "attention"}))
    .compute(Context::kCPU, imm::encValDev<cpu>)
    .gradient(viaBackward("_backward_interleaved_matmul_encdec_valatt", 2));

IST_REGISTER_OP(_backward_interleaved_matmul_encdec_valatt)
    .describe("Gradient of _contrib_interleaved_matmul_encdec_valatt: (out_grad, keys_values, attention) "
              "-> the gradients of keys_values (zero in the key blocks) and attention.")
    .inputs({"out_grad", "keys_values", "attention"})
    .outputs({"keys_values_grad", "attention_grad"})
    .params<InterleavedMatMulParam>()
    .inferShape(backwardShape("_backward_interleaved_matmul_encdec_valatt", encValShape, 2))
    .inferType(sameFloatType("_backward_interleaved_matmul_encdec_valatt", {"out_grad", "keys_values", "attention"}))
    .compute(Context::kCPU,
             namedCompute("_backward_interleaved_matmul_encdec_valatt", imm::encValBackwardDev<cpu>));

}  // namespace
}  // namespace ist
