// sort and argsort: a sorted copy of the input, or the indices that sort it, along one axis.
#include "ops/ordering/ordering_kernel.h"
#include "ops/ordering/ordering_params.h"

namespace ist {
namespace ordering {
namespace {

void sortShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  const auto& p = attrs.get<SortParam>();
  out[0] = orderedShape(in[0], makePlan(in[0], p.axis, 0, "sort"));
}

void sortCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<SortParam>();
  OrderOutputs o;
  o.values = &out[0];
  o.valuesReq = req[0];
  runOrdering(in[0], makePlan(in[0].shape, p.axis, 0, "sort"), p.is_ascend, o, "sort");
}

void argsortShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  const auto& p = attrs.get<ArgSortParam>();
  OrderPlan plan = makePlan(in[0], p.axis, 0, "argsort");
  indexDType(p.dtype, plan, in[0], "argsort");
  out[0] = orderedShape(in[0], plan);
}

void sortType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  checkSortableDType(in[0], "sort");
  inferSameType(attrs, in, out);
}

void argsortType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  checkSortableDType(in[0], "argsort");
  out[0] = static_cast<int>(dtypeFromName(attrs.get<ArgSortParam>().dtype, "argsort", "dtype"));
}

void argsortCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<ArgSortParam>();
  OrderOutputs o;
  o.indices = &out[0];
  o.indicesReq = req[0];
  runOrdering(in[0], makePlan(in[0].shape, p.axis, 0, "argsort"), p.is_ascend, o, "argsort");
}

IST_REGISTER_OP(sort)
    .describe("Returns a sorted copy of an input array along the given axis (the flattened array "
              "when axis is None). Equal values keep their order; NaN sorts as the largest value.\n\n"
              "Example: sort([[1, 4], [3, 1]]) = [[1, 4], [1, 3]]; "
              "sort([[1, 4], [3, 1]], axis=None) = [1, 1, 3, 4]; "
              "sort([[1, 4], [3, 1]], is_ascend=0) = [[4, 1], [3, 1]]")
    .inputs({"data"})
    .params<SortParam>()
    .inferShape(sortShape)
    .inferType(sortType)
    .compute(Context::kCPU, sortCompute);

IST_REGISTER_OP(argsort)
    .describe("Returns the indices that would sort an input array along the given axis (the "
              "flattened array when axis is None), in the `dtype` param's type. Equal values keep "
              "their order; NaN sorts as the largest value.\n\n"
              "Example: argsort([[0.3, 0.2, 0.4], [0.1, 0.3, 0.2]]) = [[1, 0, 2], [0, 2, 1]]; "
              "with axis=0: [[1, 0, 1], [0, 1, 0]]; with axis=None: [3, 1, 5, 0, 4, 2]")
    .inputs({"data"})
    .params<ArgSortParam>()
    .inferShape(argsortShape)
    .inferType(argsortType)
    .compute(Context::kCPU, argsortCompute);

}  // namespace
}  // namespace ordering
}  // namespace ist
