// batch_take's geometry and index rule (shared with batch_take.cc) and its device-generic compute,
// attached in batch_take.cu: out[i] = a[i, clip(indices[i], 0, d1 - 1)] for 2-D a.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "op/registry.h"
#include "ops/indexing/index_scratch_device.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace batchtakedev {

// a's rows and row length; checks a is 2-D with non-empty rows (unless it has no rows).
struct BatchTakeGeom {
  int64_t rows = 0, cols = 0;
};
inline BatchTakeGeom batchTakeGeom(const Shape& a) {
  IST_CHECK(a.size() == 2, "batch_take", "a", "a must be a 2-D array (d0, d1), got shape " << shapeString(a));
  IST_CHECK(a[1] > 0 || a[0] == 0, "batch_take", "a",
            "cannot take from rows of length 0 (a has shape " << shapeString(a) << ")");
  return BatchTakeGeom{a[0], a[1]};
}

// An index truncated toward zero and clipped into [0, cols) (MXNet clips); false when not finite.
ISTX bool batchTakeIndex(double x, int64_t cols, int64_t& k) {
  if (!(x == x && x - x == 0)) {
    k = 0;
    return false;
  }
  k = x <= 0 ? 0 : (x >= static_cast<double>(cols - 1) ? cols - 1 : static_cast<int64_t>(x));
  return true;
}

[[noreturn]] inline void throwBadIndex(int64_t i) {
  throwError("batch_take", "indices", "index at position " + std::to_string(i) + " is not finite");
}

struct BatchTakeResolveMap {
  ISTX static void Map(int64_t i, int64_t* k, int8_t* bad, double* errors, const double* idx, int64_t cols) {
    const bool ok = batchTakeIndex(idx[i], cols, k[i]);
    bad[i] = ok ? 0 : 1;
    if (!ok) deviceAtomicAdd(errors, 1.0);
  }
};

struct BatchTakeMap {
  template <typename T>
  ISTX static void Map(int64_t i, T* y, const T* a, const int64_t* k, int64_t cols, bool add) {
    putValue(y[i], a[i * cols + k[i]], add);
  }
};

template <typename Dev>
void batchTakeDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const BatchTakeGeom g = batchTakeGeom(in[0].shape);
  void* s = ctx.run.stream;
  const int64_t m = in[1].size();
  IndexScratch<Dev> r(s, m);
  dnd::readDoubles<Dev>(ctx, in[1], r.idx(), "batch_take");
  DeviceMem<Dev>::zero(s, r.errors(), sizeof(double));
  DeviceKernel<BatchTakeResolveMap, Dev>::launch(s, m, 4, r.k(), r.bad(), r.errors(),
                                                 static_cast<const double*>(r.idx()), g.cols);
  double errors = 0;
  DeviceMem<Dev>::toHost(s, &errors, r.errors(), sizeof(double));
  if (errors != 0) {
    std::vector<int8_t> bad(static_cast<size_t>(m));
    DeviceMem<Dev>::toHost(s, bad.data(), r.bad(), static_cast<size_t>(m));
    for (int64_t i = 0; i < m; ++i)
      if (bad[i]) throwBadIndex(i);
  }
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, T, "batch_take", {
    DeviceKernel<BatchTakeMap, Dev>::launch(s, m, 1, out[0].data<T>(), in[0].data<T>(),
                                            static_cast<const int64_t*>(r.k()), g.cols, req[0] == OpReq::kAddTo);
  });
}

}  // namespace batchtakedev
}  // namespace ist
