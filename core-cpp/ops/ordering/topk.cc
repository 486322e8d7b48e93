// topk: the k largest (or smallest) elements along an axis, as values, indices, a 0/1 mask, or
// both values and indices (two outputs).
#include "ops/ordering/ordering_kernel.h"
#include "ops/ordering/ordering_params.h"

namespace ist {
namespace ordering {
namespace {

void topkShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  const auto& p = attrs.get<TopKParam>();
  const RetTyp rt = retTypOf(p);
  OrderPlan plan = makePlan(in[0], p.axis, p.k, "topk");
  if (rt == RetTyp::kIndices || rt == RetTyp::kBoth) indexDType(p.dtype, plan, in[0], "topk");
  if (rt == RetTyp::kMask) {
    out[0] = in[0];
    return;
  }
  out[0] = orderedShape(in[0], plan);
  if (rt == RetTyp::kBoth) out[1] = out[0];
}

void topkType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  const auto& p = attrs.get<TopKParam>();
  const RetTyp rt = retTypOf(p);
  checkSortableDType(in[0], "topk");
  const int idx = static_cast<int>(dtypeFromName(p.dtype, "topk", "dtype"));
  if (rt == RetTyp::kIndices) {
    out[0] = idx;
    return;
  }
  // Values and masks keep the input's dtype.
  if (in[0] < 0) in[0] = out[0];
  else out[0] = in[0];
  if (rt == RetTyp::kBoth) out[1] = idx;
}

void topkCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<TopKParam>();
  const OrderPlan plan = makePlan(in[0].shape, p.axis, p.k, "topk");
  const OrderOutputs o = topkOutputs(p, req, out);
  runOrdering(in[0], plan, p.is_ascend, o, "topk");
}

IST_REGISTER_OP(topk)
    .describe("Returns the top k elements in an input array along the given axis (the flattened "
              "array when axis is None): their indices (default, in the `dtype` param's type), "
              "their values, a 0/1 mask of the input's shape, or both [values, indices]. k < 1 "
              "keeps the whole axis. Largest first unless is_ascend; equal values keep their order "
              "and NaN counts as the largest value.\n\n"
              "Example: x = [[0.3, 0.2, 0.4], [0.1, 0.3, 0.2]]: topk(x) = [[2], [1]]; "
              "topk(x, ret_typ='value', k=2) = [[0.4, 0.3], [0.3, 0.2]]; "
              "topk(x, axis=0, ret_typ='value', k=2) = [[0.3, 0.3, 0.4], [0.1, 0.2, 0.2]]")
    .inputs({"data"})
    .numOutputs([](const NodeAttrs& attrs) {
      return retTypOf(attrs.get<TopKParam>()) == RetTyp::kBoth ? 2 : 1;
    })
    .params<TopKParam>()
    .inferShape(topkShape)
    .inferType(topkType)
    .compute(Context::kCPU, topkCompute);

}  // namespace
}  // namespace ordering
}  // namespace ist
