// _contrib_index_copy: its shape rule (shared with index_copy.cc) and the device-generic compute
// (the GPU kernel and its CPU twin, attached in index_copy.cu).
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/registry.h"
#include "ops/indexing/index_scratch_device.h"
#include "ops/nn/dense_device_util.h"

namespace ist {
namespace indexcopy {

constexpr const char* kOp = "_contrib_index_copy";

// (old_tensor, index_vector, new_tensor) -> old_tensor's shape.
inline void checkShapes(const Shape& old, const Shape& idx, const Shape& nw) {
  IST_CHECK(idx.size() == 1, kOp, "index_vector",
            "index_vector must be 1-D, got shape " << shapeString(idx));
  IST_CHECK(!old.empty(), kOp, "old_tensor", "old_tensor must have at least 1 dimension, got shape ()");
  bool ok = old.size() == nw.size() && nw[0] <= old[0];
  for (size_t i = 1; ok && i < old.size(); ++i) ok = old[i] == nw[i];
  IST_CHECK(ok, kOp, "new_tensor",
            "new_tensor has shape " << shapeString(nw) << " but old_tensor has shape " << shapeString(old)
                                    << " (same ndim, dims after the first equal, first dim at most old's)");
  IST_CHECK(idx[0] == nw[0], kOp, "index_vector",
            "index_vector has shape " << shapeString(idx) << " but new_tensor of shape " << shapeString(nw)
                                      << " needs " << nw[0] << " indices");
}

// k[i] = trunc(index[i]), flagged bad (and counted) when not finite or outside [0, n).
struct ResolveMap {
  ISTX static void Map(int64_t i, int64_t* k, int8_t* bad, double* errors, const double* idx, int64_t n) {
    const double x = idx[i];
    const bool finite = x == x && x - x == 0;
    const int64_t v = finite ? dnd::truncInt64(x) : -1;
    if (!finite || v < 0 || v >= n) {
      bad[i] = 1;
      k[i] = 0;
      deviceAtomicAdd(errors, 1.0);
      return;
    }
    bad[i] = 0;
    k[i] = v;
  }
};

// winner[r] = the last position i with k[i] == r, or -1: with repeated indices the last row written
// wins, deterministically on every device.
struct WinnerMap {
  ISTX static void Map(int64_t r, int64_t* winner, const int64_t* k, int64_t m) {
    int64_t w = -1;
    for (int64_t i = 0; i < m; ++i)
      if (k[i] == r) w = i;
    winner[r] = w;
  }
};

struct CopyRowsMap {
  template <typename T>
  ISTX static void Map(int64_t t, T* out, const T* old, const T* nw, const int64_t* winner, int64_t inner,
                       bool add) {
    using C = dnd::CT<T>;
    const int64_t r = t / inner, c = t % inner;
    const int64_t w = winner[r];
    const T v = w >= 0 ? nw[w * inner + c] : old[t];
    out[t] = add ? T(C(out[t]) + C(v)) : v;
  }
};

template <typename Dev>
void indexCopyDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                  const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  checkShapes(in[0].shape, in[1].shape, in[2].shape);
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  void* s = ctx.run.stream;
  const int64_t n = in[0].shape[0], m = in[1].size();
  const int64_t inner = n > 0 ? in[0].size() / n : 1;
  IndexScratch<Dev> r(s, m);
  TempSpace<Dev> winner(s, static_cast<size_t>(n) * sizeof(int64_t) + 8);
  if (m > 0) {
    dnd::readDoubles<Dev>(ctx, in[1], r.idx(), kOp);
    DeviceMem<Dev>::zero(s, r.errors(), sizeof(double));
    DeviceKernel<ResolveMap, Dev>::launch(s, m, 4, r.k(), r.bad(), r.errors(),
                                          static_cast<const double*>(r.idx()), n);
    double errors = 0;
    DeviceMem<Dev>::toHost(s, &errors, r.errors(), sizeof(double));
    if (errors != 0) {
      std::vector<int8_t> bad(static_cast<size_t>(m));
      std::vector<double> idx(static_cast<size_t>(m));
      DeviceMem<Dev>::toHost(s, bad.data(), r.bad(), static_cast<size_t>(m));
      DeviceMem<Dev>::toHost(s, idx.data(), r.idx(), static_cast<size_t>(m) * sizeof(double));
      for (int64_t i = 0; i < m; ++i)
        if (bad[i])
          throwError(kOp, "index_vector",
                     "index " + paramparse::formatDouble(idx[i]) + " at position " + std::to_string(i) +
                         " is out of range for old_tensor of shape " + shapeString(in[0].shape) +
                         " (valid: 0 to " + std::to_string(n - 1) + ")");
    }
  }
  DeviceKernel<WinnerMap, Dev>::launch(s, n, m + 1, winner.template as<int64_t>(),
                                       static_cast<const int64_t*>(r.k()), m);
  IST_TYPE_SWITCH_ALL(out[0].dtype, T, kOp, {
    DeviceKernel<CopyRowsMap, Dev>::launch(s, out[0].size(), 1, out[0].data<T>(), in[0].data<T>(),
                                           in[2].data<T>(), static_cast<const int64_t*>(winner.template as<int64_t>()),
                                           inner, req[0] == OpReq::kAddTo);
  });
}

}  // namespace indexcopy
}  // namespace ist
