// The row-sorting kernel behind sort, argsort and topk: orders each row of an OrderPlan and
// writes any of sorted values, their indices and a 0/1 mask of the selected elements.
#pragma once
#include <vector>
#include "ndarray/tblob.h"
#include "op/registry.h"
#include "ops/ordering/ordering_params.h"

namespace ist {
namespace ordering {

// Result blobs of one call; a null blob (or kNull req) is not written.
struct OrderOutputs {
  const TBlob* values = nullptr;   // plan's ordered shape, the input's dtype
  OpReq valuesReq = OpReq::kNull;
  const TBlob* indices = nullptr;  // plan's ordered shape, any numeric dtype
  OpReq indicesReq = OpReq::kNull;
  const TBlob* mask = nullptr;     // the input's shape and dtype: 1 where selected, else 0
  OpReq maskReq = OpReq::kNull;
};

// Where topk's results go for its ret_typ: values, indices, the mask, or values then indices.
inline OrderOutputs topkOutputs(const TopKParam& p, const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  OrderOutputs o;
  switch (retTypOf(p)) {
    case RetTyp::kValue: o.values = &out[0]; o.valuesReq = req[0]; break;
    case RetTyp::kIndices: o.indices = &out[0]; o.indicesReq = req[0]; break;
    case RetTyp::kMask: o.mask = &out[0]; o.maskReq = req[0]; break;
    case RetTyp::kBoth:
      o.values = &out[0]; o.valuesReq = req[0];
      o.indices = &out[1]; o.indicesReq = req[1];
      break;
  }
  return o;
}

// Orders the rows of x (ascending, or descending when !ascend) and writes the first plan.k of
// each row. Rows run in parallel; the result is the same for any thread count.
void runOrdering(const TBlob& x, const OrderPlan& plan, bool ascend, const OrderOutputs& out,
                 const char* op);

}  // namespace ordering
}  // namespace ist
