// _shuffle's device-generic compute (GPU kernel and its CPU twin, attached in random.cu): the
// CPU's Fisher-Yates permutation of axis 0 (shuffle_op.cc), rebuilt as an index permutation and
// then applied to the rows in parallel.
//
// Why part of it runs on one thread: swap k (k = 0 .. n-2) exchanges row n-1-k with row j_k, and
// j_k may be any row that earlier swaps already moved, so where a row ends up is a chain through
// every earlier swap; the exact CPU permutation needs those swaps in order. The draws j_k depend
// only on (key, rngCounter + k, n - k), not on the array, so they run in parallel (Philox is the
// costly part); one thread then applies the n - 1 index swaps (O(n) integer moves), and the rows
// move in parallel: out row p = input row perm[p].
#pragma once
#include <cstdint>
#include <vector>
#include "base/error.h"
#include "kernels/device.h"
#include "kernels/philox.h"
#include "op/registry.h"

namespace ist {
namespace rnd {

// swapWith[k] = j_k, the row that swap k exchanges with row n-1-k (as shuffle_op.cc draws it).
struct ShuffleDrawMap {
  ISTX static void Map(int64_t k, int64_t* swapWith, int64_t n, uint64_t key, uint64_t counter) {
    PhiloxStream st(key, counter + static_cast<uint64_t>(k));
    swapWith[k] = static_cast<int64_t>(st.below64(static_cast<uint64_t>(n - k)));
  }
};

// The swaps in the CPU's order, on row indices: afterwards row p of the result is input row perm[p].
struct ShuffleSwapMap {
  ISTX static void Map(int64_t, int64_t* perm, const int64_t* swapWith, int64_t n) {
    for (int64_t p = 0; p < n; ++p) perm[p] = p;
    for (int64_t k = 0; k + 1 < n; ++k) {
      const int64_t i = n - 1 - k, j = swapWith[k];
      const int64_t t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
  }
};

// out row p = src row perm[p], one word per call.
struct ShuffleGatherMap {
  template <typename W>
  ISTX static void Map(int64_t e, W* out, const W* src, const int64_t* perm, int64_t width) {
    const int64_t p = e / width, w = e - p * width;
    out[e] = src[perm[p] * width + w];
  }
};

template <typename Dev, typename W>
void shuffleGatherDev(void* s, void* out, const void* src, const int64_t* perm, int64_t n, size_t rowBytes) {
  const int64_t width = static_cast<int64_t>(rowBytes / sizeof(W));
  DeviceKernel<ShuffleGatherMap, Dev>::launch(s, n * width, 2, static_cast<W*>(out), static_cast<const W*>(src),
                                              perm, width);
}

template <typename Dev>
void shuffleComputeDev(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  IST_CHECK(req[0] != OpReq::kAddTo, "_shuffle", "out", "accumulating into the output is not supported");
  const TBlob& x = in[0];
  void* s = ctx.run.stream;
  const size_t bytes = static_cast<size_t>(x.size()) * dtypeSize(x.dtype);
  if (x.ndim() == 0 || bytes == 0 || x.shape[0] == 1) {
    DeviceMem<Dev>::copy(s, out[0].dptr, x.dptr, bytes);
    return;
  }
  const int64_t n = x.shape[0];
  const size_t rowBytes = bytes / static_cast<size_t>(n);
  const bool inPlace = out[0].dptr == x.dptr;
  const size_t indexBytes = (static_cast<size_t>(2 * n) * sizeof(int64_t) + 255) / 256 * 256;
  TempSpace<Dev> tmp(s, indexBytes + (inPlace ? bytes : 0));
  int64_t* swapWith = tmp.template as<int64_t>();
  int64_t* perm = swapWith + n;
  DeviceKernel<ShuffleDrawMap, Dev>::launch(s, n - 1, 40, swapWith, n, ctx.rngKey, ctx.rngCounter);
  DeviceKernel<ShuffleSwapMap, Dev>::launch(s, 1, 4 * n, perm, static_cast<const int64_t*>(swapWith), n);
  const void* src = x.dptr;
  if (inPlace) {  // the gather reads rows the writes would overwrite: read from a copy
    void* copy = tmp.template as<char>() + indexBytes;
    DeviceMem<Dev>::copy(s, copy, x.dptr, bytes);
    src = copy;
  }
  // Move whole rows in the widest word that divides them.
  const int64_t* permc = perm;
  if (rowBytes % 8 == 0) shuffleGatherDev<Dev, uint64_t>(s, out[0].dptr, src, permc, n, rowBytes);
  else if (rowBytes % 4 == 0) shuffleGatherDev<Dev, uint32_t>(s, out[0].dptr, src, permc, n, rowBytes);
  else if (rowBytes % 2 == 0) shuffleGatherDev<Dev, uint16_t>(s, out[0].dptr, src, permc, n, rowBytes);
  else shuffleGatherDev<Dev, uint8_t>(s, out[0].dptr, src, permc, n, rowBytes);
}

}  // namespace rnd
}  // namespace ist
