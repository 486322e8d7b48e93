// makeBroadcastGeom: merges the dims of a broadcast so kernels walk few, long, contiguous rows.
#include <vector>
#include "base/error.h"
#include "ops/elemwise/compute.h"

namespace ist {
namespace elem {

BroadcastGeom makeBroadcastGeom(const Shape& lhs, const Shape& rhs, const Shape& out,
                                const char* op) {
  const size_t nd = out.size();
  std::vector<int64_t> sizes;
  std::vector<bool> lb, rb;  // lhs / rhs broadcast along the merged dim
  for (size_t d = 0; d < nd; ++d) {
    const int64_t o = out[d];
    if (o == 1) continue;  // size-1 output dims carry no index
    const int64_t l = d < nd - lhs.size() ? 1 : lhs[d - (nd - lhs.size())];
    const int64_t r = d < nd - rhs.size() ? 1 : rhs[d - (nd - rhs.size())];
    const bool lbc = l == 1, rbc = r == 1;
    if (!sizes.empty() && lb.back() == lbc && rb.back() == rbc) {
      sizes.back() *= o;
    } else {
      sizes.push_back(o);
      lb.push_back(lbc);
      rb.push_back(rbc);
    }
  }
  BroadcastGeom g;
  if (sizes.empty()) return g;  // one element: shape {1}, strides {1, 1}
  IST_CHECK(sizes.size() <= size_t(kMaxBroadcastDims), op, "rhs",
            "broadcasting " << shapeString(lhs) << " with " << shapeString(rhs) << " needs "
                            << sizes.size() << " alternating dims; at most " << kMaxBroadcastDims
                            << " are supported");
  g.ndim = int(sizes.size());
  int64_t accL = 1, accR = 1;
  for (int d = g.ndim - 1; d >= 0; --d) {
    g.shape[d] = sizes[d];
    g.lstride[d] = lb[d] ? 0 : accL;
    g.rstride[d] = rb[d] ? 0 : accR;
    if (!lb[d]) accL *= sizes[d];
    if (!rb[d]) accR *= sizes[d];
  }
  return g;
}

}  // namespace elem
}  // namespace ist
