// one_hot: indices of any shape -> (indices.shape..., depth), on_value at each index and off_value
// elsewhere; an index outside [0, depth) leaves its whole row off (as MXNet). No gradient flows
// to integer indices, so its gradient is zero.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>
#include "base/error.h"
#include "engine/parallel_for.h"
#include "op/registry.h"
#include "ops/indexing/one_hot_device.h"

namespace ist {
namespace {

using onehotdev::OneHotParam;

template <typename O> O castValue(double v) { return O(static_cast<typename ComputeType<O>::type>(v)); }

// The selected column of each row, or -1 (NaN and out-of-range indices select nothing).
std::vector<int64_t> hotColumns(const TBlob& idx, int64_t depth) {
  std::vector<int64_t> k(static_cast<size_t>(idx.size()));
  IST_TYPE_SWITCH_NUMERIC(idx.dtype, I, "one_hot", {
    const I* p = idx.data<I>();
    for (size_t i = 0; i < k.size(); ++i) {
      const double x = static_cast<double>(static_cast<typename ComputeType<I>::type>(p[i]));
      k[i] = (std::isfinite(x) && x >= 0 && x < static_cast<double>(depth)) ? static_cast<int64_t>(x) : -1;
    }
  });
  return k;
}

template <typename O>
void oneHotTyped(const std::vector<int64_t>& k, O* out, int64_t depth, double on, double off, bool add) {
  using C = typename ComputeType<O>::type;
  const O onV = castValue<O>(on), offV = castValue<O>(off);
  parallelFor(static_cast<int64_t>(k.size()), depth, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      O* row = out + i * depth;
      for (int64_t j = 0; j < depth; ++j) {
        const O v = j == k[static_cast<size_t>(i)] ? onV : offV;
        row[j] = add ? O(C(row[j]) + C(v)) : v;
      }
    }
  });
}

void oneHotCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const auto& p = attrs.get<OneHotParam>();
  const std::vector<int64_t> k = hotColumns(in[0], p.depth);
  IST_TYPE_SWITCH_NUMERIC(out[0].dtype, O, "one_hot", {
    oneHotTyped<O>(k, out[0].data<O>(), p.depth, p.on_value, p.off_value, req[0] == OpReq::kAddTo);
  });
}

IST_REGISTER_OP(one_hot)
    .describe("Returns a one-hot array: the output has shape (indices.shape..., depth), on_value "
              "where the last coordinate equals the index and off_value elsewhere. Indices outside "
              "[0, depth) give a row of off_value.\n\n"
              "Example: one_hot([1, 0, 2, 0], 3) = [[0, 1, 0], [1, 0, 0], [0, 0, 1], [1, 0, 0]]")
    .inputs({"indices"})
    .params<OneHotParam>()
    .inferShape([](const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
      const int64_t depth = attrs.get<OneHotParam>().depth;
      IST_CHECK(depth >= 0, "one_hot", "depth", "depth must be non-negative, got " << depth);
      if (!shapeIsKnown(in[0])) return;
      Shape o = in[0];
      o.push_back(depth);
      out[0] = o;
    })
    .inferType([](const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
      IST_CHECK(in[0] != static_cast<int>(DType::kBool), "one_hot", "indices",
                "indices must have a numeric dtype, got bool");
      out[0] = static_cast<int>(dtypeFromName(attrs.get<OneHotParam>().dtype, "one_hot", "dtype"));
    })
    .compute(Context::kCPU, oneHotCompute)
    .zeroGradient();

}  // namespace
}  // namespace ist
