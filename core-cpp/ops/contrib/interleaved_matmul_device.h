// The fused multi-head attention products of MXNet's contrib transformer ops
// (_contrib_interleaved_matmul_{selfatt,encdec}_{qk,valatt}) and their backward ops: parameters,
// shape rules (shared with interleaved_matmul.cc) and device-generic computes over strided batched
// GEMMs (DeviceBlas), attached for the GPU in interleaved_matmul.cu and used as the CPU computes.
//
// Layout (as MXNet): projections are (seq_len, batch, heads * k * head_dim) with, for each (batch b,
// head h), k consecutive blocks of head_dim (q, k, v for self-attention; k, v for keys_values).
// Attention item i = b * heads + h therefore starts i * k * head_dim elements into a row, and one
// row of the sequence is batch * heads * k * head_dim long: every product is one batched GEMM over
// the items with that item stride and that leading dimension, no copies or transposes.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace imm {

struct InterleavedMatMulParam {
  int heads = 1;
  bool bwd_ignore_zero_init = false;
  static void declare(ParamDecl<InterleavedMatMulParam>& d) {
    d.field("heads", &InterleavedMatMulParam::heads)
        .range(1, 2147483647.0)
        .doc("Set number of heads");
    d.field("bwd_ignore_zero_init", &InterleavedMatMulParam::bwd_ignore_zero_init)
        .setDefault(false)
        .doc("Make backward pass ignore AddTo and not init to 0. Accepted for MXNet compatibility; "
             "the gradients computed here are the same either way.");
  }
};

constexpr const char* kSelfQk = "_contrib_interleaved_matmul_selfatt_qk";
constexpr const char* kSelfVal = "_contrib_interleaved_matmul_selfatt_valatt";
constexpr const char* kEncQk = "_contrib_interleaved_matmul_encdec_qk";
constexpr const char* kEncVal = "_contrib_interleaved_matmul_encdec_valatt";

// Attention geometry: batch, heads, head_dim, query length, key/value length.
struct AttGeom {
  int64_t B = 0, H = 0, D = 0, Sq = 0, Skv = 0;
  int64_t items() const { return B * H; }
};

inline void check3d(const Shape& s, const char* op, const char* arg, const char* layout) {
  IST_CHECK(s.size() == 3, op, arg,
            arg << " must be 3-D (" << layout << "), got shape " << shapeString(s));
}

// A projection of `blocks` interleaved blocks per head: (seq_len, batch, heads * blocks * head_dim).
inline void checkProjection(const Shape& s, int64_t heads, int64_t blocks, const char* op, const char* arg,
                            const char* layout) {
  check3d(s, op, arg, layout);
  IST_CHECK(s[2] % (heads * blocks) == 0, op, arg,
            arg << ".shape[2] = " << s[2] << " must be a multiple of " << (blocks > 1 ? std::to_string(blocks) + " * " : "")
                << "heads = " << heads * blocks << " (shape " << shapeString(s) << ", heads=" << heads << ")");
}

inline AttGeom selfQkGeom(const Shape& qkv, int heads, const char* op = kSelfQk) {
  checkProjection(qkv, heads, 3, op, "queries_keys_values", "seq_length, batch, 3 * heads * head_dim");
  AttGeom g;
  g.Sq = g.Skv = qkv[0];
  g.B = qkv[1];
  g.H = heads;
  g.D = qkv[2] / (3 * static_cast<int64_t>(heads));
  return g;
}

inline void checkAttention(const Shape& att, const AttGeom& g, const char* op, const char* other,
                           const Shape& otherShape) {
  check3d(att, op, "attention", "batch * heads, query_length, key_length");
  const Shape want{g.items(), g.Sq, g.Skv};
  IST_CHECK(att == want, op, "attention",
            "attention has shape " << shapeString(att) << " but " << other << " of shape "
                                   << shapeString(otherShape) << " with heads=" << g.H << " needs "
                                   << shapeString(want));
}

inline AttGeom selfValGeom(const Shape& qkv, const Shape& att, int heads, const char* op = kSelfVal) {
  const AttGeom g = selfQkGeom(qkv, heads, op);
  checkAttention(att, g, op, "queries_keys_values", qkv);
  return g;
}

inline AttGeom encQkGeom(const Shape& q, const Shape& kv, int heads, const char* op = kEncQk) {
  checkProjection(q, heads, 1, op, "queries", "query_length, batch, heads * head_dim");
  check3d(kv, op, "keys_values", "key_length, batch, 2 * heads * head_dim");
  IST_CHECK(kv[2] == 2 * q[2] && kv[1] == q[1], op, "keys_values",
            "keys_values has shape " << shapeString(kv) << " but queries of shape " << shapeString(q)
                                     << " need (key_length, " << q[1] << ", " << 2 * q[2] << ")");
  AttGeom g;
  g.Sq = q[0];
  g.Skv = kv[0];
  g.B = q[1];
  g.H = heads;
  g.D = q[2] / heads;
  return g;
}

inline AttGeom encValGeom(const Shape& kv, const Shape& att, int heads, const char* op = kEncVal) {
  checkProjection(kv, heads, 2, op, "keys_values", "key_length, batch, 2 * heads * head_dim");
  check3d(att, op, "attention", "batch * heads, query_length, key_length");
  AttGeom g;
  g.Sq = att[1];
  g.Skv = kv[0];
  g.B = kv[1];
  g.H = heads;
  g.D = kv[2] / (2 * static_cast<int64_t>(heads));
  checkAttention(att, g, op, "keys_values", kv);
  return g;
}

// Output shapes.
inline Shape scoresShape(const AttGeom& g) { return Shape{g.items(), g.Sq, g.Skv}; }
inline Shape contextShape(const AttGeom& g) { return Shape{g.Sq, g.B, g.H * g.D}; }

inline double qkScale(const AttGeom& g) { return g.D > 0 ? 1.0 / std::sqrt(static_cast<double>(g.D)) : 1.0; }

// One strided operand: base pointer + element offset, leading dimension, stride between items.
struct Operand {
  const void* p;
  int64_t off, ld, stride;
};

inline const void* at(const void* p, int64_t elems, DType t) {
  return static_cast<const char*>(p) + elems * static_cast<int64_t>(dtypeSize(t));
}

// C_i (=|+=) alpha op(A_i) op(B_i) for the g.items() attention items.
template <typename Dev>
void itemsGemm(const OpContext& ctx, DType t, int64_t items, bool beta1, bool ta, bool tb, int64_t M, int64_t N,
               int64_t K, double alpha, Operand A, Operand B, Operand C, const char* op) {
  GemmArgs a;
  a.dtype = t;
  a.transA = ta;
  a.transB = tb;
  a.M = M; a.N = N; a.K = K;
  a.alpha = alpha;
  a.beta = beta1 ? 1.0 : 0.0;
  a.A = at(A.p, A.off, t); a.lda = A.ld; a.strideA = A.stride;
  a.B = at(B.p, B.off, t); a.ldb = B.ld; a.strideB = B.stride;
  a.C = const_cast<void*>(at(C.p, C.off, t)); a.ldc = C.ld; a.strideC = C.stride;
  a.batch = items;
  dnd::gemmDev<Dev>(ctx, a, op);
}

// Operands of one attention item i (offsets of item 0; the stride steps to item i).
// A projection with `blocks` blocks per head, block `which` (0 = q or k, 1 = k or v, 2 = v).
inline Operand proj(const TBlob& b, const AttGeom& g, int64_t blocks, int64_t which) {
  return Operand{b.dptr, which * g.D, g.items() * blocks * g.D, blocks * g.D};
}
inline Operand scores(const TBlob& b, const AttGeom& g) { return Operand{b.dptr, 0, g.Skv, g.Sq * g.Skv}; }

// An interleaved gradient written block by block: a plain write leaves the other blocks to zero.
template <typename Dev>
bool prepareInterleaved(const OpContext& ctx, const TBlob& b, OpReq req) {
  if (req == OpReq::kNull) return false;
  if (req != OpReq::kAddTo && b.size() > 0) dnd::zeroBlob<Dev>(ctx, b);
  return true;
}

// scores (items, Sq, Skv) = scale * Q K^T.
template <typename Dev>
void qkProduct(const OpContext& ctx, const AttGeom& g, OpReq req, Operand Q, Operand K, const TBlob& out,
               const char* op) {
  if (req == OpReq::kNull || out.size() == 0) return;
  itemsGemm<Dev>(ctx, out.dtype, g.items(), req == OpReq::kAddTo, false, true, g.Sq, g.Skv, g.D, qkScale(g), Q, K,
                 scores(out, g), op);
}

// dQ = scale * og K, dK = scale * og^T Q (beta1: accumulate into the destination).
template <typename Dev>
void qkBackward(const OpContext& ctx, const AttGeom& g, DType t, const TBlob& og, Operand Q, Operand K,
                const Operand* dQ, bool dQAdd, const Operand* dK, bool dKAdd, const char* op) {
  const double s = qkScale(g);
  if (dQ) itemsGemm<Dev>(ctx, t, g.items(), dQAdd, false, false, g.Sq, g.D, g.Skv, s, scores(og, g), K, *dQ, op);
  if (dK) itemsGemm<Dev>(ctx, t, g.items(), dKAdd, true, false, g.Skv, g.D, g.Sq, s, scores(og, g), Q, *dK, op);
}

// context (Sq, B, H * D) = att V per item.
inline Operand context(const TBlob& b, const AttGeom& g) { return Operand{b.dptr, 0, g.items() * g.D, g.D}; }

template <typename Dev>
void valProduct(const OpContext& ctx, const AttGeom& g, OpReq req, const TBlob& att, Operand V, const TBlob& out,
                const char* op) {
  if (req == OpReq::kNull || out.size() == 0) return;
  itemsGemm<Dev>(ctx, out.dtype, g.items(), req == OpReq::kAddTo, false, false, g.Sq, g.D, g.Skv, 1.0,
                 scores(att, g), V, context(out, g), op);
}

// dV = att^T og, datt = og V^T.
template <typename Dev>
void valBackward(const OpContext& ctx, const AttGeom& g, DType t, const TBlob& og, const TBlob& att, Operand V,
                 const Operand* dV, bool dVAdd, const TBlob* dAtt, OpReq attReq, const char* op) {
  if (dV) itemsGemm<Dev>(ctx, t, g.items(), dVAdd, true, false, g.Skv, g.D, g.Sq, 1.0, scores(att, g), context(og, g),
                         *dV, op);
  if (dAtt && attReq != OpReq::kNull && dAtt->size() > 0)
    itemsGemm<Dev>(ctx, t, g.items(), attReq == OpReq::kAddTo, false, true, g.Sq, g.Skv, g.D, 1.0, context(og, g), V,
                   scores(*dAtt, g), op);
}

inline int headsOf(const NodeAttrs& attrs) { return attrs.get<InterleavedMatMulParam>().heads; }

// ---- forward computes ----

template <typename Dev>
void selfQkDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const AttGeom g = selfQkGeom(in[0].shape, headsOf(attrs));
  qkProduct<Dev>(ctx, g, req[0], proj(in[0], g, 3, 0), proj(in[0], g, 3, 1), out[0], kSelfQk);
}

template <typename Dev>
void selfValDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const AttGeom g = selfValGeom(in[0].shape, in[1].shape, headsOf(attrs));
  valProduct<Dev>(ctx, g, req[0], in[1], proj(in[0], g, 3, 2), out[0], kSelfVal);
}

template <typename Dev>
void encQkDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
              const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const AttGeom g = encQkGeom(in[0].shape, in[1].shape, headsOf(attrs));
  qkProduct<Dev>(ctx, g, req[0], proj(in[0], g, 1, 0), proj(in[1], g, 2, 0), out[0], kEncQk);
}

template <typename Dev>
void encValDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const AttGeom g = encValGeom(in[0].shape, in[1].shape, headsOf(attrs));
  valProduct<Dev>(ctx, g, req[0], in[1], proj(in[0], g, 2, 1), out[0], kEncVal);
}

// ---- backward computes (inputs: out_grad, then the forward inputs) ----

// (out_grad, queries_keys_values) -> d queries_keys_values (v blocks zero).
template <typename Dev>
void selfQkBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const AttGeom g = selfQkGeom(in[1].shape, headsOf(attrs), "_backward_interleaved_matmul_selfatt_qk");
  if (!prepareInterleaved<Dev>(ctx, out[0], req[0]) || out[0].size() == 0) return;
  const Operand dQ = proj(out[0], g, 3, 0), dK = proj(out[0], g, 3, 1);
  const bool add = req[0] == OpReq::kAddTo;
  qkBackward<Dev>(ctx, g, out[0].dtype, in[0], proj(in[1], g, 3, 0), proj(in[1], g, 3, 1), &dQ, add, &dK, add,
                  "_backward_interleaved_matmul_selfatt_qk");
}

// (out_grad, queries_keys_values, attention) -> (d queries_keys_values (q, k blocks zero), d attention).
template <typename Dev>
void selfValBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "_backward_interleaved_matmul_selfatt_valatt";
  const AttGeom g = selfValGeom(in[1].shape, in[2].shape, headsOf(attrs), op);
  const bool wantV = prepareInterleaved<Dev>(ctx, out[0], req[0]) && out[0].size() > 0;
  const Operand dV = proj(out[0], g, 3, 2);
  valBackward<Dev>(ctx, g, in[0].dtype, in[0], in[2], proj(in[1], g, 3, 2), wantV ? &dV : nullptr,
                   req[0] == OpReq::kAddTo, &out[1], req[1], op);
}

// (out_grad, queries, keys_values) -> (d queries, d keys_values (v blocks zero)).
template <typename Dev>
void encQkBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "_backward_interleaved_matmul_encdec_qk";
  const AttGeom g = encQkGeom(in[1].shape, in[2].shape, headsOf(attrs), op);
  const bool wantQ = req[0] != OpReq::kNull && out[0].size() > 0;
  const bool wantK = prepareInterleaved<Dev>(ctx, out[1], req[1]) && out[1].size() > 0;
  const Operand dQ = proj(out[0], g, 1, 0), dK = proj(out[1], g, 2, 0);
  qkBackward<Dev>(ctx, g, in[0].dtype, in[0], proj(in[1], g, 1, 0), proj(in[2], g, 2, 0), wantQ ? &dQ : nullptr,
                  req[0] == OpReq::kAddTo, wantK ? &dK : nullptr, req[1] == OpReq::kAddTo, op);
}

// (out_grad, keys_values, attention) -> (d keys_values (k blocks zero), d attention).
template <typename Dev>
void encValBackwardDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = "_backward_interleaved_matmul_encdec_valatt";
  const AttGeom g = encValGeom(in[1].shape, in[2].shape, headsOf(attrs), op);
  const bool wantV = prepareInterleaved<Dev>(ctx, out[0], req[0]) && out[0].size() > 0;
  const Operand dV = proj(out[0], g, 2, 1);
  valBackward<Dev>(ctx, g, in[0].dtype, in[0], in[2], proj(in[1], g, 2, 1), wantV ? &dV : nullptr,
                   req[0] == OpReq::kAddTo, &out[1], req[1], op);
}

}  // namespace imm
}  // namespace ist
