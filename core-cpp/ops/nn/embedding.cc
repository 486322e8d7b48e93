// Embedding: looks up rows of weight (input_dim, output_dim) at integer-valued indices (clipped to
// the vocabulary, as MXNet does); the gradient scatter-adds into weight's rows (indices get none).
#include <cmath>
#include <algorithm>
#include <cstring>
#include <type_traits>
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "ops/nn/embedding_device.h"
#include "ops/nn/layer_util.h"

namespace ist {
namespace {

using embdev::EmbeddingParam;

void embeddingShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = "Embedding";
  const auto& p = attrs.get<EmbeddingParam>();
  const Shape w{p.input_dim, p.output_dim};
  if (!shapeRankKnown(in[1])) {
    in[1] = w;
  } else if (shapeIsKnown(in[1])) {
    IST_CHECK(in[1] == w, op, "weight",
              "expected shape " << shapeString(w) << " (input_dim, output_dim), got " << shapeString(in[1]));
  }
  if (!shapeIsKnown(in[0])) return;
  Shape o = in[0];
  o.push_back(p.output_dim);
  out[0] = o;
}

void embeddingType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const char* op = "Embedding";
  if (in[0] >= 0)
    IST_CHECK(in[0] != static_cast<int>(DType::kBool), op, "data", "indices must be numeric, got bool");
  int t = in[1] >= 0 ? in[1] : (out[0] >= 0 ? out[0] : static_cast<int>(dtypeFromName(attrs.get<EmbeddingParam>().dtype, op)));
  if (in[1] < 0) in[1] = t;
  IST_CHECK(in[1] != static_cast<int>(DType::kBool), op, "weight", "must be numeric, got bool");
  out[0] = t;
}

// Row index of element i of the indices: truncated toward zero, then clipped to [0, input_dim).
inline int64_t rowOf(const TBlob& idx, int64_t i, int64_t vocab, const char* op) {
  const double v = nn::readAsDouble(idx, i, op);
  if (!(v > 0)) return 0;  // also NaN
  const double t = std::trunc(v);
  return t >= static_cast<double>(vocab - 1) ? vocab - 1 : static_cast<int64_t>(t);
}

void embeddingCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<EmbeddingParam>();
  const int64_t m = in[0].size(), d = p.output_dim;
  const size_t rowBytes = static_cast<size_t>(d) * dtypeSize(in[1].dtype);
  const char* w = static_cast<const char*>(in[1].dptr);
  char* y = static_cast<char*>(out[0].dptr);
  parallelFor(m, d, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const char* src = w + static_cast<size_t>(rowOf(in[0], i, p.input_dim, "Embedding")) * rowBytes;
      char* dst = y + static_cast<size_t>(i) * rowBytes;
      if (req[0] != OpReq::kAddTo) {
        memcpy(dst, src, rowBytes);
        continue;
      }
      IST_TYPE_SWITCH_NUMERIC(in[1].dtype, T, "Embedding", {
        using C = typename ComputeType<T>::type;
        for (int64_t q = 0; q < d; ++q)
          reinterpret_cast<T*>(dst)[q] = T(C(reinterpret_cast<T*>(dst)[q]) + C(reinterpret_cast<const T*>(src)[q]));
      });
    }
  });
}

// Sums ograd rows into d(weight) columns [b, e): every index is visited in order (deterministic).
template <typename T>
void scatterColumns(const T* g, T* gw, const std::vector<int64_t>& rows, int64_t vocab, int64_t d, int64_t b,
                    int64_t e, OpReq req) {
  using C = typename ComputeType<T>::type;
  const int64_t w = e - b, m = static_cast<int64_t>(rows.size());
  if constexpr (std::is_same_v<C, T>) {  // accumulate in place
    if (req != OpReq::kAddTo)
      for (int64_t r = 0; r < vocab; ++r) std::fill(gw + r * d + b, gw + r * d + e, T(0));
    for (int64_t i = 0; i < m; ++i) {
      T* dst = gw + rows[static_cast<size_t>(i)] * d + b;
      const T* src = g + i * d + b;
      for (int64_t q = 0; q < w; ++q) dst[q] += src[q];
    }
  } else {  // 16-bit floats: sum in float, then store once
    std::vector<C> acc(static_cast<size_t>(vocab * w), C(0));
    for (int64_t i = 0; i < m; ++i) {
      C* a = acc.data() + rows[static_cast<size_t>(i)] * w;
      const T* src = g + i * d + b;
      for (int64_t q = 0; q < w; ++q) a[q] += C(src[q]);
    }
    for (int64_t r = 0; r < vocab; ++r)
      for (int64_t q = 0; q < w; ++q) {
        T* dst = gw + r * d + b + q;
        const C v = acc[static_cast<size_t>(r * w + q)];
        *dst = req == OpReq::kAddTo ? T(C(*dst) + v) : T(v);
      }
  }
}

// _backward_Embedding inputs: ograd, data. Output: d(weight), the sum of ograd rows per index.
// Columns are split across threads.
void embeddingBackward(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const char* op = "_backward_Embedding";
  const auto& p = attrs.get<EmbeddingParam>();
  const int64_t m = in[1].size(), d = p.output_dim, vocab = p.input_dim;
  std::vector<int64_t> rows(static_cast<size_t>(m));
  for (int64_t i = 0; i < m; ++i) rows[static_cast<size_t>(i)] = rowOf(in[1], i, vocab, op);
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, op, {
    const T* g = in[0].data<T>();
    T* gw = out[0].data<T>();
    parallelFor(d, m + vocab, [&](int64_t b, int64_t e) { scatterColumns<T>(g, gw, rows, vocab, d, b, e, req[0]); });
  });
}

IST_REGISTER_OP(Embedding)
    .alias("_npx_embedding")
    .describe("Maps integer indices to vector representations: out[..., :] = weight[index, :], with weight of "
              "shape (input_dim, output_dim) and the output of shape data.shape + (output_dim,). Indices are "
              "truncated to integers and clipped to [0, input_dim - 1].")
    .inputs({"data", "weight"})
    .params<EmbeddingParam>()
    .inferShape(embeddingShape)
    .inferType(embeddingType)
    .compute(Context::kCPU, embeddingCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      return std::vector<NodeEntry>{NodeEntry{}, makeEntry("_backward_Embedding", {og[0], n->inputs[0]}, n->attrs.dict)};
    });

IST_REGISTER_OP(_backward_Embedding)
    .describe("Gradient of Embedding with respect to its weight.")
    .inputs({"ograd", "data"})
    .params<EmbeddingParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      const auto& p = attrs.get<EmbeddingParam>();
      if (shapeIsKnown(in[1])) {
        Shape g = in[1];
        g.push_back(p.output_dim);
        nn::expectShape(in[0], g, "_backward_Embedding", "ograd");
      }
      out[0] = Shape{p.input_dim, p.output_dim};
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      nn::requireNumeric(in[0], "_backward_Embedding", "ograd");
      nn::requireNumeric(in[1], "_backward_Embedding", "data");
      if (in[0] >= 0) out[0] = in[0];
    })
    .compute(Context::kCPU, embeddingBackward);

}  // namespace
}  // namespace ist
