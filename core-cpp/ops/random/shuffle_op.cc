// _shuffle (alias shuffle): permutes an array along axis 0 with a Fisher-Yates shuffle whose
// k-th swap (k = 0 .. n-2, swapping row n-1-k with a row j <= n-1-k) draws j from Philox
// counter rngCounter + k, exactly unbiased. Deterministic for a given seed on every backend; the
// GPU kernel (shuffle_device.h) rebuilds the same permutation.
#include <algorithm>
#include <cstring>
#include <utility>
#include "kernels/philox.h"
#include "op/registry.h"

namespace ist {
namespace {

template <typename W>
void shuffleRows(W* rows, int64_t n, int64_t width, uint64_t key, uint64_t counter) {
  for (int64_t k = 0; k + 1 < n; ++k) {
    const int64_t i = n - 1 - k;
    PhiloxStream st(key, counter + static_cast<uint64_t>(k));
    const int64_t j = static_cast<int64_t>(st.below64(static_cast<uint64_t>(i) + 1));
    if (i != j) std::swap_ranges(rows + i * width, rows + (i + 1) * width, rows + j * width);
  }
}

void shuffleCompute(const NodeAttrs&, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  IST_CHECK(req[0] != OpReq::kAddTo, "_shuffle", "out", "accumulating into the output is not supported");
  const TBlob& x = in[0];
  const size_t bytes = static_cast<size_t>(x.size()) * dtypeSize(x.dtype);
  if (out[0].dptr != x.dptr && bytes > 0) std::memcpy(out[0].dptr, x.dptr, bytes);
  if (x.ndim() == 0 || bytes == 0) return;
  const int64_t n = x.shape[0];
  const size_t rowBytes = bytes / static_cast<size_t>(n);
  // Swap whole rows in the widest word that divides them.
  if (rowBytes % 8 == 0) shuffleRows(out[0].data<uint64_t>(), n, rowBytes / 8, ctx.rngKey, ctx.rngCounter);
  else if (rowBytes % 4 == 0) shuffleRows(out[0].data<uint32_t>(), n, rowBytes / 4, ctx.rngKey, ctx.rngCounter);
  else if (rowBytes % 2 == 0) shuffleRows(out[0].data<uint16_t>(), n, rowBytes / 2, ctx.rngKey, ctx.rngCounter);
  else shuffleRows(out[0].data<uint8_t>(), n, rowBytes, ctx.rngKey, ctx.rngCounter);
}

IST_REGISTER_OP(_shuffle)
    .alias("shuffle")
    .describe("Randomly shuffles the array along its first axis; each sub-array keeps its order.")
    .inputs({"data"})
    .setRandom()
    .inferShape(inferSameShape)
    .inferType(inferSameType)
    .inplace(0, 0)
    .compute(Context::kCPU, shuffleCompute);

}  // namespace
}  // namespace ist
