// Compaction of a reduction's input shape into alternating kept/reduced dims (reduce_kernel.h).
#include "ops/reduce/reduce_kernel.h"

namespace ist {
namespace reduce {

Plan makePlan(const Shape& in, const std::vector<bool>& mask) {
  Plan p;
  for (size_t i = 0; i < in.size(); ++i) {
    p.numIn *= in[i];
    if (mask[i]) p.numRed *= in[i];
    else p.numOut *= in[i];
    if (in[i] == 1) continue;  // size-1 dims change no offsets
    if (!p.dims.empty() && p.red.back() == mask[i]) {
      p.dims.back() *= in[i];
    } else {
      p.dims.push_back(in[i]);
      p.red.push_back(mask[i]);
    }
  }
  p.strides.assign(p.dims.size(), 1);
  for (size_t k = p.dims.size(); k-- > 1;) p.strides[k - 1] = p.strides[k] * p.dims[k];
  return p;
}

void splitWalkers(const Plan& plan, bool skipLast, Walker* kept, Walker* reduced) {
  size_t n = plan.dims.size() - (skipLast && !plan.dims.empty() ? 1 : 0);
  for (size_t k = 0; k < n; ++k) {
    Walker* w = plan.red[k] ? reduced : kept;
    w->dims.push_back(plan.dims[k]);
    w->strides.push_back(plan.strides[k]);
  }
  kept->seek(0);
  reduced->seek(0);
}

}  // namespace reduce
}  // namespace ist
