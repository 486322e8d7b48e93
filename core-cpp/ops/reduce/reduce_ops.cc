// Value reductions over axes: sum, mean, prod, max, min, nansum, nanprod and norm (MXNet 1.x).
//
// The output dtype is the input's (norm: out_dtype if given). Float inputs accumulate in double,
// integer sums/products wrap in 64 bits; an integer mean truncates like MXNet's.
#include <vector>
#include "ops/reduce/reduce_axes.h"
#include "ops/reduce/reduce_kernel.h"

namespace ist {
namespace {

const char* opName(const NodeAttrs& attrs) { return attrs.op ? attrs.op->name.c_str() : "reduce"; }

std::vector<bool> maskFor(const NodeAttrs& attrs, const TBlob& in) {
  const auto& p = attrs.get<ReduceAxesParam>();
  return reduceMask(in.shape, p.axis, p.exclude, opName(attrs));
}

enum class Kind { kSum, kMean, kProd, kMax, kMin, kNanSum, kNanProd };

template <Kind K>
void reduceCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  using namespace reduce;
  if (req[0] == OpReq::kNull) return;
  const char* op = opName(attrs);
  const TBlob& x = in[0];
  std::vector<bool> mask = maskFor(attrs, x);
  const bool nanAware = (K == Kind::kNanSum || K == Kind::kNanProd) && dtypeIsFloat(x.dtype);
  if (nanAware) {
    IST_TYPE_SWITCH_FLOAT(x.dtype, DT, op, {
      if constexpr (K == Kind::kNanSum) reduceAxes<NanSumR<DT>>(x.data<DT>(), x.shape, mask, out[0].data<DT>(), req[0]);
      else reduceAxes<NanProdR<DT>>(x.data<DT>(), x.shape, mask, out[0].data<DT>(), req[0]);
    });
    return;
  }
  IST_TYPE_SWITCH_ALL(x.dtype, DT, op, {
    const DT* src = x.data<DT>();
    DT* dst = out[0].data<DT>();
    if constexpr (K == Kind::kSum || K == Kind::kNanSum) reduceAxes<SumR<DT>>(src, x.shape, mask, dst, req[0]);
    else if constexpr (K == Kind::kMean) reduceAxes<SumR<DT>>(src, x.shape, mask, dst, req[0], true);
    else if constexpr (K == Kind::kProd || K == Kind::kNanProd) reduceAxes<ProdR<DT>>(src, x.shape, mask, dst, req[0]);
    else if constexpr (K == Kind::kMax) reduceAxes<MaxR<DT>>(src, x.shape, mask, dst, req[0]);
    else reduceAxes<MinR<DT>>(src, x.shape, mask, dst, req[0]);
  });
}

void inferReduceShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  inferReduceAxesShape(attrs, in, out, false);
}
void inferMinMaxShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  inferReduceAxesShape(attrs, in, out, true);
}

#define IST_REDUCE_OP(name, kind, shapeFn, text)          \
  IST_REGISTER_OP(name)                                   \
      .describe(text)                                     \
      .inputs({"data"})                                   \
      .params<ReduceAxesParam>()                          \
      .inferShape(shapeFn)                                \
      .inferType(inferSameType)                           \
      .compute(Context::kCPU, reduceCompute<Kind::kind>)

IST_REDUCE_OP(sum, kSum, inferReduceShape,
              "Computes the sum of array elements over the given axes.\n\n"
              "Example: sum([[1,2],[3,4]], axis=1) = [3, 7]")
    .alias("sum_axis");
IST_REDUCE_OP(mean, kMean, inferReduceShape,
              "Computes the mean of array elements over the given axes (integer inputs truncate).");
IST_REDUCE_OP(prod, kProd, inferReduceShape,
              "Computes the product of array elements over the given axes.");
IST_REDUCE_OP(nansum, kNanSum, inferReduceShape,
              "Computes the sum of array elements over the given axes, treating NaN as zero.");
IST_REDUCE_OP(nanprod, kNanProd, inferReduceShape,
              "Computes the product of array elements over the given axes, treating NaN as one.");
IST_REDUCE_OP(max, kMax, inferMinMaxShape,
              "Computes the maximum of array elements over the given axes (NaN propagates).")
    .alias("max_axis");
IST_REDUCE_OP(min, kMin, inferMinMaxShape,
              "Computes the minimum of array elements over the given axes (NaN propagates).")
    .alias("min_axis");

#undef IST_REDUCE_OP

// --- norm ---

void normShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const auto& p = attrs.get<NormParam>();
  IST_CHECK(p.ord == 1 || p.ord == 2, "norm", "ord", "only ord=1 and ord=2 are supported, got " << p.ord);
  if (!shapeIsKnown(in[0])) return;
  out[0] = reducedShape(in[0], reduceMask(in[0], p.axis, false, "norm"), p.keepdims);
}

void normType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const auto& p = attrs.get<NormParam>();
  if (in[0] >= 0) {
    IST_CHECK(static_cast<DType>(in[0]) != DType::kBool, "norm", "data", "norm does not support bool input");
  }
  if (p.out_dtype != "None") {
    out[0] = static_cast<int>(dtypeFromName(p.out_dtype, "norm", "out_dtype"));
  } else {
    std::vector<int> i1{in[0]}, o1{out[0]};
    inferSameType(attrs, i1, o1);
    in[0] = i1[0];
    out[0] = o1[0];
  }
}

template <typename DT, typename O>
void normInto(const TBlob& x, const std::vector<bool>& mask, int ord, O* dst, OpReq req) {
  if (ord == 1) reduce::reduceAxes<reduce::Norm1R<DT>>(x.data<DT>(), x.shape, mask, dst, req);
  else reduce::reduceAxes<reduce::Norm2R<DT>>(x.data<DT>(), x.shape, mask, dst, req);
}

void normCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<NormParam>();
  const TBlob& x = in[0];
  std::vector<bool> mask = reduceMask(x.shape, p.axis, false, "norm");
  // Reduce into doubles, then convert to the output dtype (whatever out_dtype is): one instantiation
  // per input dtype, and the same bits as converting each result directly.
  std::vector<double> tmp(static_cast<size_t>(out[0].size()));
  IST_TYPE_SWITCH_NUMERIC(x.dtype, DT, "norm", normInto<DT>(x, mask, p.ord, tmp.data(), OpReq::kWriteTo));
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, OT, "norm", {
    OT* dst = out[0].data<OT>();
    for (size_t i = 0; i < tmp.size(); ++i) reduce::storeOut(dst, static_cast<int64_t>(i), tmp[i], req[0]);
  });
}

IST_REGISTER_OP(norm)
    .describe("Computes the L1 (ord=1) or L2 (ord=2) norm over the given axes, by default of the "
              "whole array.\n\nExample: norm([[1,2],[3,4]], ord=1, axis=1) = [3, 7]")
    .inputs({"data"})
    .params<NormParam>()
    .inferShape(normShape)
    .inferType(normType)
    .compute(Context::kCPU, normCompute);

}  // namespace
}  // namespace ist
