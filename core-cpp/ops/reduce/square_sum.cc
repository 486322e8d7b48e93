// _square_sum: the sum of squares over `axis` (MXNet's ReduceAxesParam: axis, keepdims, exclude).
// MXNet registers it for row_sparse input; dense input gets the same math, sum(x * x, axis). The
// forward reuses the reduce engine with a squaring load; the gradient 2 * x * ograd (spread back
// over the reduced axes) is built from registered ops, so it differentiates again.
#include <vector>
#include "graph/node.h"
#include "ops/reduce/reduce_axes.h"
#include "ops/reduce/reduce_kernel.h"

namespace ist {
namespace square_sum {
namespace {

// The sum reducer with each element squared on load (integers square and add wrapping in 64 bits).
template <typename T> struct SqSumR : reduce::SumR<T> {
  using Acc = typename reduce::SumR<T>::Acc;
  static Acc load(T x) {
    const Acc v = reduce::SumR<T>::load(x);
    return v * v;
  }
};

void squareSumCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const auto& p = attrs.get<ReduceAxesParam>();
  const TBlob& x = in[0];
  const std::vector<bool> mask = reduceMask(x.shape, p.axis, p.exclude, "_square_sum");
  IST_TYPE_SWITCH_NUMERIC(x.dtype, DT, "_square_sum", {
    reduce::reduceAxes<SqSumR<DT>>(x.data<DT>(), x.shape, mask, out[0].data<DT>(), req[0]);
  });
}

void squareSumType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  IST_CHECK(in[0] != static_cast<int>(DType::kBool) && out[0] != static_cast<int>(DType::kBool), "_square_sum",
            "data", "_square_sum does not support bool input");
  inferSameType(attrs, in, out);
}

IST_REGISTER_OP(_square_sum)
    .describe("Computes the sum of squares of array elements over the given axes: "
              "sum(data * data, axis). MXNet uses it to fuse square and sum for row_sparse "
              "gradients; dense input gets the same result.\n\n"
              "Example: _square_sum([[0, 0], [1, 2], [0, 0], [3, 4], [0, 0]], axis=1) = [0, 5, 0, 25, 0]")
    .inputs({"data"})
    .params<ReduceAxesParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      inferReduceAxesShape(attrs, in, out, false);
    })
    .inferType(squareSumType)
    .compute(Context::kCPU, squareSumCompute)
    .gradient([](const NodePtr& n, const std::vector<NodeEntry>& og) {
      // d/dx sum(x^2) = 2x: ograd spread over the reduced axes (as sum's gradient), times 2x.
      AttrDict a;
      for (const char* k : {"axis", "keepdims", "exclude"})
        if (auto it = n->attrs.dict.find(k); it != n->attrs.dict.end()) a[k] = it->second;
      const NodeEntry x = n->inputs[0];
      const NodeEntry g = makeEntry("_broadcast_reduced", {og[0], x}, a);
      const NodeEntry twoX = makeEntry("_mul_scalar", {x}, AttrDict{{"scalar", "2"}});
      return std::vector<NodeEntry>{makeEntry("elemwise_mul", {g, twoX})};
    });

}  // namespace
}  // namespace square_sum
}  // namespace ist
