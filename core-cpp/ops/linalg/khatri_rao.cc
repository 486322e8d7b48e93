// khatri_rao (MXNet's contrib/krprod.cc): the column-wise Khatri-Rao product of n matrices, and a
// hidden _backward_khatri_rao so it can be differentiated (MXNet registers no gradient for it).
#include <string>
#include <vector>
#include "ops/linalg/la_common.h"

namespace ist {
namespace {

struct KhatriRaoParam {
  int num_args = 1;
  static void declare(ParamDecl<KhatriRaoParam>& d) {
    d.field("num_args", &KhatriRaoParam::num_args).range(1, 1 << 30).doc("Number of input matrices.");
  }
};

// Inputs (M_i x N) -> (M_1 * ... * M_n) x N; `first` skips leading non-matrix inputs (out_grad).
Shape khatriRaoOut(const char* op, const std::vector<Shape>& in, size_t first) {
  int64_t rows = 1, cols = 0;
  for (size_t i = first; i < in.size(); ++i) {
    const Shape& s = in[i];
    IST_CHECK(s.size() == 2, op, "args",
              "input " << i - first << " must be a matrix (rank 2), got shape " << shapeString(s));
    if (i == first) cols = s[1];
    IST_CHECK(s[1] == cols, op, "args",
              "all inputs must have the same number of columns: input 0 has shape "
                  << shapeString(in[first]) << ", input " << i - first << " has shape "
                  << shapeString(s));
    rows *= s[0];
  }
  return Shape{rows, cols};
}

void khatriRaoShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  for (auto& s : in) if (!shapeIsKnown(s)) return;
  out[0] = khatriRaoOut(la::opName(attrs), in, 0);
}

// Visits every output row with the row index of each input (the last input varies fastest).
template <typename Fn>
void forEachRow(const std::vector<int64_t>& rows, Fn&& fn) {
  const size_t n = rows.size();
  int64_t total = 1;
  for (int64_t r : rows) total *= r;
  std::vector<int64_t> digit(n, 0);
  for (int64_t R = 0; R < total; ++R) {
    fn(R, digit);
    for (size_t i = n; i-- > 0;) {
      if (++digit[i] < rows[i]) break;
      digit[i] = 0;
    }
  }
}

void khatriRaoCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const int64_t N = out[0].shape[1];
  std::vector<int64_t> rows;
  for (auto& b : in) rows.push_back(b.shape[0]);
  IST_LA_SWITCH(in[0].dtype, T, op, {
    la::writeResult<T>(out[0], req[0], [&](T* o) {
      forEachRow(rows, [&](int64_t R, const std::vector<int64_t>& d) {
        for (int64_t k = 0; k < N; ++k) {
          T v(1);
          for (size_t i = 0; i < in.size(); ++i) v *= in[i].data<T>()[d[i] * N + k];
          o[R * N + k] = v;
        }
      });
    });
  });
}

// dA_i[r, k] = sum over output rows R whose input-i row is r of og[R, k] * prod_{j != i} A_j[., k]
// (prefix and suffix products, so zeros need no division).
void khatriRaoBackwardShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  for (auto& s : in) if (!shapeIsKnown(s)) return;
  const char* op = la::opName(attrs);
  const Shape o = khatriRaoOut(op, in, 1);
  IST_CHECK(in[0] == o, op, "out_grad",
            "out_grad has shape " << shapeString(in[0]) << " but the product has shape "
                                  << shapeString(o));
  for (size_t i = 1; i < in.size(); ++i) out[i - 1] = in[i];
}

void khatriRaoBackwardCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                              const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = la::opName(attrs);
  const size_t n = in.size() - 1;
  const int64_t N = in[0].shape[1];
  std::vector<int64_t> rows;
  for (size_t i = 1; i < in.size(); ++i) rows.push_back(in[i].shape[0]);
  IST_LA_SWITCH(in[0].dtype, T, op, {
    std::vector<std::vector<T>> grads(n);
    for (size_t i = 0; i < n; ++i) grads[i].assign(static_cast<size_t>(rows[i] * N), T(0));
    const T* og = in[0].data<T>();
    std::vector<T> prefix(n + 1), suffix(n + 1);
    forEachRow(rows, [&](int64_t R, const std::vector<int64_t>& d) {
      for (int64_t k = 0; k < N; ++k) {
        const T g = og[R * N + k];
        prefix[0] = T(1);
        for (size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] * in[i + 1].data<T>()[d[i] * N + k];
        suffix[n] = T(1);
        for (size_t i = n; i-- > 0;) suffix[i] = suffix[i + 1] * in[i + 1].data<T>()[d[i] * N + k];
        for (size_t i = 0; i < n; ++i) grads[i][d[i] * N + k] += g * prefix[i] * suffix[i + 1];
      }
    });
    for (size_t i = 0; i < n; ++i)
      la::writeResult<T>(out[i], req[i], [&](T* o) {
        for (size_t e = 0; e < grads[i].size(); ++e) o[e] = grads[i][e];
      });
  });
}

IST_REGISTER_OP(khatri_rao)
    .describe(
        "Computes the (column-wise) Khatri-Rao product of the input matrices A_1 (M_1 x N), ..., "
        "A_n (M_n x N): the (M_1 * ... * M_n) x N matrix whose k-th column is the outer product of "
        "the k-th columns, flattened with the last input varying fastest.")
    .variadic("args", "num_args")
    .params<KhatriRaoParam>()
    .inferShape(khatriRaoShape)
    .inferType(la::floatType)
    .compute(Context::kCPU, khatriRaoCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      std::vector<NodeEntry> ins{og[0]};
      ins.insert(ins.end(), n->inputs.begin(), n->inputs.end());
      NodePtr b = makeNode("_backward_khatri_rao", ins, n->attrs.dict);
      std::vector<NodeEntry> g;
      for (size_t i = 0; i < n->inputs.size(); ++i) g.push_back(NodeEntry{b, static_cast<uint32_t>(i)});
      return g;
    });

IST_REGISTER_OP(_backward_khatri_rao)
    .describe("Gradient of khatri_rao: (out_grad, args...) -> one gradient per matrix.")
    .inputs({"out_grad"})
    .variadic("args", "num_args")
    .params<KhatriRaoParam>()
    .numOutputs([](const NodeAttrs& a) { return a.get<KhatriRaoParam>().num_args; })
    .inferShape(khatriRaoBackwardShape)
    .inferType(la::floatType)
    .compute(Context::kCPU, khatriRaoBackwardCompute);

}  // namespace
}  // namespace ist
