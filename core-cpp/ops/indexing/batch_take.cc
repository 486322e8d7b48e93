// batch_take (MXNet's deprecated predecessor of pick): out[i] = a[i, indices[i]] for 2-D a, indices
// clipped into range. MXNet registers no gradient for it, so neither do we.
#include <vector>
#include "base/error.h"
#include "engine/parallel_for.h"
#include "op/registry.h"
#include "ops/indexing/batch_take_device.h"
#include "ops/nn/layer_util.h"

namespace ist {
namespace {

using namespace batchtakedev;

void batchTakeCompute(const NodeAttrs&, const OpContext&, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const BatchTakeGeom g = batchTakeGeom(in[0].shape);
  const int64_t m = in[1].size();
  std::vector<int64_t> k(static_cast<size_t>(m));
  for (int64_t i = 0; i < m; ++i)
    if (!batchTakeIndex(nn::readAsDouble(in[1], i, "batch_take"), g.cols, k[static_cast<size_t>(i)])) throwBadIndex(i);
  const bool add = req[0] == OpReq::kAddTo;
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, "batch_take", {
    T* y = out[0].data<T>();
    const T* a = in[0].data<T>();
    parallelFor(m, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) BatchTakeMap::Map(i, y, a, k.data(), g.cols, add);
    });
  });
}

IST_REGISTER_OP(batch_take)
    .describe("Takes elements from a data batch: given a of shape (d0, d1) and indices with d0 "
              "elements, out[i] = a[i, indices[i]], shaped like indices. Indices are truncated to "
              "integers and clipped into [0, d1 - 1]. Deprecated in MXNet: use pick.\n\n"
              "Example: x = [[1, 2], [3, 4], [5, 6]]: batch_take(x, [0, 1, 0]) = [1, 4, 5]")
    .inputs({"a", "indices"})
    .inferShape([](const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0])) return;
      const BatchTakeGeom g = batchTakeGeom(in[0]);
      if (!shapeIsKnown(in[1])) {
        if (!shapeRankKnown(in[1])) in[1] = Shape{g.rows};
        else return;
      }
      IST_CHECK(shapeSize(in[1]) == g.rows, "batch_take", "indices",
                "indices has shape " << shapeString(in[1]) << " but a of shape " << shapeString(in[0])
                                     << " needs " << g.rows << " indices, one per row");
      out[0] = in[1];
    })
    .inferType([](const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
      if (in[1] < 0) in[1] = static_cast<int>(DType::kInt32);  // MXNet's index dtype
      nn::requireNumeric(in[1], "batch_take", "indices");
      if (in[0] < 0) in[0] = out[0];
      if (in[0] < 0) return;
      nn::requireNumeric(in[0], "batch_take", "a");
      out[0] = in[0];
    })
    .compute(Context::kCPU, batchTakeCompute);

}  // namespace
}  // namespace ist
