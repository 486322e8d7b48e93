// makeBroadcastGeom: merges the dims of a broadcast so kernels walk few, long, contiguous rows.
#include <vector>
#include "base/error.h"
#include "ops/elemwise/compute.h"

namespace ist {
namespace elem {

BroadcastGeom makeBroadcastGeom(const Shape& lhs, const Shape& rhs, const Shape& out,
                                const char* op) {
  const size_t nd = out.size();
  // Merged dims, on the stack (this runs once per broadcast op call); n keeps counting past
  // kMaxBroadcastDims for the error message.
  int64_t sizes[kMaxBroadcastDims];
  bool lb[kMaxBroadcastDims], rb[kMaxBroadcastDims];  // lhs / rhs broadcast along the merged dim
  int n = 0;
  bool lastL = false, lastR = false;
  for (size_t d = 0; d < nd; ++d) {
    const int64_t o = out[d];
    if (o == 1) continue;  // size-1 output dims carry no index
    const int64_t l = d < nd - lhs.size() ? 1 : lhs[d - (nd - lhs.size())];
    const int64_t r = d < nd - rhs.size() ? 1 : rhs[d - (nd - rhs.size())];
    const bool lbc = l == 1, rbc = r == 1;
    if (n > 0 && lastL == lbc && lastR == rbc) {
      if (n <= kMaxBroadcastDims) sizes[n - 1] *= o;
    } else {
      if (n < kMaxBroadcastDims) {
        sizes[n] = o;
        lb[n] = lbc;
        rb[n] = rbc;
      }
      ++n;
      lastL = lbc;
      lastR = rbc;
    }
  }
  BroadcastGeom g;
  if (n == 0) return g;  // one element: shape {1}, strides {1, 1}
  IST_CHECK(n <= kMaxBroadcastDims, op, "rhs",
            "broadcasting " << shapeString(lhs) << " with " << shapeString(rhs) << " needs " << n
                            << " alternating dims; at most " << kMaxBroadcastDims << " are supported");
  g.ndim = n;
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
