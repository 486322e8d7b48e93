// dot and batch_dot: matrix products on the blocked GEMM (kernels/cpu/gemm.h), MXNet 1.x shapes.
#include <string>
#include "base/error.h"
#include "kernels/cpu/gemm.h"
#include "op/registry.h"

namespace ist {
namespace {

struct DotParam {
  bool transpose_a = false;
  bool transpose_b = false;
  std::string forward_stype;
  static void declare(ParamDecl<DotParam>& d) {
    d.field("transpose_a", &DotParam::transpose_a)
        .setDefault(false)
        .doc("If true then transpose the first input before dot.");
    d.field("transpose_b", &DotParam::transpose_b)
        .setDefault(false)
        .doc("If true then transpose the second input before dot.");
    d.field("forward_stype", &DotParam::forward_stype)
        .setDefault("None")
        .values({"None", "default", "csr", "row_sparse"})
        .doc("Storage type of the output (accepted for MXNet compatibility; outputs are dense).");
  }
};

// How dot views its inputs: op(lhs) is M x K and op(rhs) is K x N, both stored row-major.
struct DotGeometry {
  int64_t M, N, K;
  bool vectorDot;  // 1-D . 1-D
};

// MXNet's rule: without transpose, lhs (a..., k) and rhs (k, b...) give (a..., b...); transpose_a
// contracts lhs's first axis instead of its last, transpose_b rhs's last instead of its first.
DotGeometry dotGeometry(const Shape& l, const Shape& r, const DotParam& p, Shape* out) {
  const char* op = "dot";
  IST_CHECK(!l.empty(), op, "lhs", "dot does not take 0-d arrays (lhs shape " << shapeString(l) << ")");
  IST_CHECK(!r.empty(), op, "rhs", "dot does not take 0-d arrays (rhs shape " << shapeString(r) << ")");
  DotGeometry g{};
  if (l.size() == 1 && r.size() == 1) {
    IST_CHECK(!p.transpose_a && !p.transpose_b, op, p.transpose_a ? "transpose_a" : "transpose_b",
              "cannot transpose 1-D vectors (shapes " << shapeString(l) << " and " << shapeString(r)
                                                       << ")");
    IST_CHECK(l[0] == r[0], op, "rhs",
              "shapes " << shapeString(l) << " and " << shapeString(r) << " are not aligned: "
                        << l[0] << " (lhs) != " << r[0] << " (rhs)");
    g = {1, 1, l[0], true};
    if (out) *out = Shape{1};
    return g;
  }
  auto prod = [](const Shape& s, size_t b, size_t e) {
    int64_t n = 1;
    for (size_t i = b; i < e; ++i) n *= s[i];
    return n;
  };
  // lhs and rhs as matrices (rows x cols of storage), products taken dim by dim so that empty
  // arrays keep their other extents.
  const int64_t lCols = p.transpose_a ? prod(l, 1, l.size()) : l.back();
  const int64_t lRows = p.transpose_a ? l[0] : prod(l, 0, l.size() - 1);
  const int64_t rCols = p.transpose_b ? r.back() : prod(r, 1, r.size());
  const int64_t rRows = p.transpose_b ? prod(r, 0, r.size() - 1) : r[0];
  const int64_t lK = p.transpose_a ? l[0] : l.back();
  const int64_t rK = p.transpose_b ? r.back() : r[0];
  IST_CHECK(lK == rK, op, "rhs",
            "shapes " << shapeString(l) << " and " << shapeString(r) << " are not aligned for "
                      << "transpose_a=" << (p.transpose_a ? "True" : "False")
                      << ", transpose_b=" << (p.transpose_b ? "True" : "False") << ": lhs contracts "
                      << lK << " elements, rhs " << rK);
  g.K = lK;
  g.M = p.transpose_a ? lCols : lRows;
  g.N = p.transpose_b ? rRows : rCols;
  g.vectorDot = false;
  if (out) {
    Shape o;
    if (l.size() > 1) {
      if (p.transpose_a) o.insert(o.end(), l.begin() + 1, l.end());
      else o.insert(o.end(), l.begin(), l.end() - 1);
    }
    if (r.size() > 1) {
      if (p.transpose_b) o.insert(o.end(), r.begin(), r.end() - 1);
      else o.insert(o.end(), r.begin() + 1, r.end());
    }
    *out = o;
  }
  return g;
}

void dotShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1])) return;
  Shape o;
  dotGeometry(in[0], in[1], attrs.get<DotParam>(), &o);
  out[0] = o;
}

// Both operands share one numeric dtype, which the output takes.
void matmulType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const char* op = attrs.op ? attrs.op->name.c_str() : "dot";
  if (in[0] >= 0 && in[1] >= 0)
    IST_CHECK(in[0] == in[1], op, "rhs",
              "dtypes differ: lhs is " << dtypeName(DType(in[0])) << ", rhs is "
                                       << dtypeName(DType(in[1])));
  int t = in[0] >= 0 ? in[0] : (in[1] >= 0 ? in[1] : out[0]);
  if (t < 0) return;
  IST_CHECK(DType(t) != DType::kBool, op, "lhs", "bool arrays are not supported");
  in[0] = in[1] = out[0] = t;
}

void dotCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<DotParam>();
  const DotGeometry g = dotGeometry(in[0].shape, in[1].shape, p, nullptr);
  const double beta = req[0] == OpReq::kAddTo ? 1.0 : 0.0;
  if (g.vectorDot) {
    gemmDType(in[0].dtype, false, false, 1, 1, g.K, 1.0, in[0].dptr, g.K, in[1].dptr, 1, beta,
              out[0].dptr, 1, "dot");
    return;
  }
  const int64_t lda = p.transpose_a ? g.M : g.K, ldb = p.transpose_b ? g.K : g.N;
  gemmDType(in[0].dtype, p.transpose_a, p.transpose_b, g.M, g.N, g.K, 1.0, in[0].dptr, lda,
            in[1].dptr, ldb, beta, out[0].dptr, g.N, "dot");
}

// batch_dot: lhs (B..., M, K) and rhs (B..., K, N), last two axes swapped by the transposes.
struct BatchGeometry {
  int64_t batch, M, N, K;
};

BatchGeometry batchGeometry(const Shape& l, const Shape& r, const DotParam& p, Shape* out) {
  const char* op = "batch_dot";
  IST_CHECK(l.size() >= 3, op, "lhs",
            "needs arrays of 3 or more dims, got lhs shape " << shapeString(l) << " and rhs shape "
                                                             << shapeString(r));
  IST_CHECK(r.size() == l.size(), op, "rhs",
            "lhs and rhs must have the same number of dims, got " << shapeString(l) << " and "
                                                                  << shapeString(r));
  const size_t n = l.size();
  int64_t batch = 1;
  for (size_t i = 0; i + 2 < n; ++i) {
    IST_CHECK(l[i] == r[i], op, "rhs",
              "batch dims differ: shapes " << shapeString(l) << " and " << shapeString(r));
    batch *= l[i];
  }
  const int64_t M = p.transpose_a ? l[n - 1] : l[n - 2], lK = p.transpose_a ? l[n - 2] : l[n - 1];
  const int64_t N = p.transpose_b ? r[n - 2] : r[n - 1], rK = p.transpose_b ? r[n - 1] : r[n - 2];
  IST_CHECK(lK == rK, op, "rhs",
            "shapes " << shapeString(l) << " and " << shapeString(r) << " are not aligned for "
                      << "transpose_a=" << (p.transpose_a ? "True" : "False")
                      << ", transpose_b=" << (p.transpose_b ? "True" : "False") << ": lhs contracts "
                      << lK << " elements, rhs " << rK);
  if (out) {
    Shape o(l.begin(), l.end() - 2);
    o.push_back(M);
    o.push_back(N);
    *out = o;
  }
  return {batch, M, N, lK};
}

void batchDotShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0]) || !shapeIsKnown(in[1])) return;
  Shape o;
  batchGeometry(in[0], in[1], attrs.get<DotParam>(), &o);
  out[0] = o;
}

void batchDotCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<DotParam>();
  const BatchGeometry g = batchGeometry(in[0].shape, in[1].shape, p, nullptr);
  const double beta = req[0] == OpReq::kAddTo ? 1.0 : 0.0;
  const int64_t lda = p.transpose_a ? g.M : g.K, ldb = p.transpose_b ? g.K : g.N;
  gemmBatchedDType(in[0].dtype, g.batch, p.transpose_a, p.transpose_b, g.M, g.N, g.K, 1.0,
                   in[0].dptr, lda, g.M * g.K, in[1].dptr, ldb, g.K * g.N, beta, out[0].dptr, g.N,
                   g.M * g.N, "batch_dot");
}

IST_REGISTER_OP(dot)
    .describe(
        "Dot product of two arrays. 1-D . 1-D gives the inner product (shape (1,)); 2-D . 2-D the "
        "matrix product; N-D contracts the last axis of lhs with the first axis of rhs, so "
        "(a..., k) . (k, b...) -> (a..., b...). transpose_a contracts lhs's first axis instead, "
        "transpose_b rhs's last axis.")
    .inputs({"lhs", "rhs"})
    .params<DotParam>()
    .inferShape(dotShape)
    .inferType(matmulType)
    .compute(Context::kCPU, dotCompute);

IST_REGISTER_OP(batch_dot)
    .describe(
        "Batched matrix product: lhs (B..., M, K) . rhs (B..., K, N) -> (B..., M, N), with the last "
        "two axes of an input swapped when its transpose flag is set.")
    .inputs({"lhs", "rhs"})
    .params<DotParam>()
    .inferShape(batchDotShape)
    .inferType(matmulType)
    .compute(Context::kCPU, batchDotCompute);

}  // namespace
}  // namespace ist
