// Broadcast copy shared by broadcast_to/axis/like and the reductions' gradient ops: repeats an
// array along its size-1 axes into a bigger one of the same rank.
#pragma once
#include <algorithm>
#include <cstring>
#include <vector>
#include "ops/reduce/reduce_kernel.h"

namespace ist {
namespace reduce {

// Copies x (shape `in`, same rank as `out`, 1 on broadcast axes) into every position of out.
template <typename T>
void broadcastInto(const T* x, const Shape& in, const Shape& outShape, T* out, OpReq req) {
  // Compact: drop size-1 output dims, merge neighbours that are both broadcast or both copied.
  std::vector<int64_t> dims, istr;
  std::vector<int64_t> inStrides = shapeStrides(in);
  for (size_t i = 0; i < outShape.size(); ++i) {
    if (outShape[i] == 1) continue;
    int64_t s = in[i] == 1 ? 0 : inStrides[i];
    if (!dims.empty() && (istr.back() == 0) == (s == 0)) {
      dims.back() *= outShape[i];
      istr.back() = s;  // inner stride of the merged pair
    } else {
      dims.push_back(outShape[i]);
      istr.push_back(s);
    }
  }
  const int64_t numOut = shapeSize(outShape);
  if (numOut == 0) return;
  const int64_t L = dims.empty() ? 1 : dims.back();
  const bool copyRow = !dims.empty() && istr.back() != 0;
  Walker rows;
  for (size_t k = 0; k + 1 < dims.size(); ++k) {
    rows.dims.push_back(dims[k]);
    rows.strides.push_back(istr[k]);
  }
  parallelFor(numOut / L, L, [&](int64_t r0, int64_t r1) {
    Walker w = rows;
    w.seek(r0);
    for (int64_t r = r0; r < r1; ++r, w.next()) {
      const T* src = x + w.off;
      T* dst = out + r * L;
      if (req == OpReq::kAddTo) {
        for (int64_t i = 0; i < L; ++i) storeOut(dst, i, static_cast<CT<T>>(src[copyRow ? i : 0]), req);
      } else if (copyRow) {
        std::memcpy(dst, src, static_cast<size_t>(L) * sizeof(T));
      } else {
        std::fill(dst, dst + L, *src);
      }
    }
  });
}

}  // namespace reduce
}  // namespace ist
