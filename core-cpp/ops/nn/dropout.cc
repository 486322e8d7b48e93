// Dropout: in training (or mode 'always') zeroes elements with probability p and scales the rest
// by 1 / (1 - p), with one Philox draw per mask element; identity otherwise. The mask (shape of
// data with `axes` set to 1, for variational dropout) is a hidden output used by the gradient.
#include <algorithm>
#include "engine/parallel_for.h"
#include "graph/node.h"
#include "kernels/kernel.h"
#include "kernels/philox.h"
#include "ops/nn/dropout_device.h"
#include "ops/nn/layer_util.h"

namespace ist {
namespace {

using dropdev::DropoutParam;
using dropdev::maskShape;

void dropoutShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  if (!shapeIsKnown(in[0])) return;
  out[0] = in[0];
  out[1] = maskShape(attrs.get<DropoutParam>(), in[0]);
}

void dropoutType(const NodeAttrs&, std::vector<int>& in, std::vector<int>& out) {
  nn::requireFloat(in[0], "Dropout", "data");
  if (in[0] >= 0) out[0] = out[1] = in[0];
}

// Maps a data index to its mask index (mask dims of 1 broadcast).
struct MaskIndex {
  std::vector<int64_t> dims, maskStride;
  explicit MaskIndex(const Shape& d, const Shape& m) : dims(d), maskStride(d.size(), 0) {
    int64_t s = 1;
    for (int i = static_cast<int>(d.size()) - 1; i >= 0; --i) {
      maskStride[i] = m[i] == 1 ? 0 : s;
      s *= m[i];
    }
  }
  int64_t operator()(int64_t i) const {
    int64_t r = 0;
    for (int k = static_cast<int>(dims.size()) - 1; k >= 0; --k) {
      r += (i % dims[k]) * maskStride[k];
      i /= dims[k];
    }
    return r;
  }
};

void dropoutCompute(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<DropoutParam>();
  const int64_t n = in[0].size(), nm = out[1].size();
  if (n == 0) return;
  const bool active = dropdev::dropoutActive(ctx, p);
  const bool same = nm == n;
  IST_TYPE_SWITCH_FLOAT(in[0].dtype, T, "Dropout", {
    using C = typename ComputeType<T>::type;
    const T* x = in[0].data<T>();
    T* y = out[0].data<T>();
    T* mask = out[1].data<T>();
    const double keep = dropdev::keepProbability(p);
    const C scale = keep > 0 ? C(1.0 / keep) : C(0);
    // Mask element i uses word i % 4 of the Philox block of counter rngCounter + i / 4: one block
    // per four elements, the same on every backend and thread count.
    if (!active) {
      parallelFor(nm, 1, [&](int64_t b, int64_t e) { std::fill(mask + b, mask + e, T(C(1))); });
    } else {
      const uint64_t counter = ctx.rngCounter;
      const uint32_t k0 = static_cast<uint32_t>(ctx.rngKey), k1 = static_cast<uint32_t>(ctx.rngKey >> 32);
      // Branch-free: the keep decision is random, so a branch would mispredict half the time.
      auto maskOf = [&](uint32_t word) { return T(C(static_cast<double>(philoxUniformFloat(word)) < keep) * scale); };
      parallelFor((nm + 3) / 4, 40, [&](int64_t b, int64_t e) {
        // Whole blocks in a loop of fixed shape, which the compiler vectorises across blocks.
        const int64_t whole = std::min(e, nm / 4);
        for (int64_t q = b; q < whole; ++q) {
          const uint64_t c = counter + static_cast<uint64_t>(q);
          const PhiloxBlock blk = philox4x32_10(static_cast<uint32_t>(c), static_cast<uint32_t>(c >> 32), 0, 0, k0, k1);
          mask[4 * q] = maskOf(blk.w[0]);
          mask[4 * q + 1] = maskOf(blk.w[1]);
          mask[4 * q + 2] = maskOf(blk.w[2]);
          mask[4 * q + 3] = maskOf(blk.w[3]);
        }
        for (int64_t q = std::max(b, whole); q < e; ++q) {  // the last, partial block
          const uint64_t c = counter + static_cast<uint64_t>(q);
          const PhiloxBlock blk = philox4x32_10(static_cast<uint32_t>(c), static_cast<uint32_t>(c >> 32), 0, 0, k0, k1);
          for (int64_t i = q * 4; i < nm; ++i) mask[i] = maskOf(blk.w[i - q * 4]);
        }
      });
    }
    if (req[0] == OpReq::kNull) return;
    if (!active && y == x && req[0] != OpReq::kAddTo) return;  // identity, run in place
    // The request is resolved outside the loops: a per-element switch keeps WebAssembly's loops scalar.
    const bool add = req[0] == OpReq::kAddTo;
    auto rows = [&](int64_t cost, auto&& valueAt) {  // y[i] (+)= valueAt(i), i in [0, n)
      parallelFor(n, cost, [&](int64_t b, int64_t e) {
        if (add) {
          for (int64_t i = b; i < e; ++i) y[i] = nn::store<T>(nn::load(y[i]) + double(valueAt(i)));
        } else {
          IST_SAME_INDEX_LOOP for (int64_t i = b; i < e; ++i) y[i] = T(valueAt(i));
        }
      });
    };
    if (!active) {
      rows(1, [&](int64_t i) { return C(x[i]); });
    } else if (same) {
      rows(2, [&](int64_t i) { return C(x[i]) * C(mask[i]); });
    } else {
      // Rows along the last axis: one index computation per row, then stride 0 or 1 in the mask.
      const MaskIndex mi(in[0].shape, out[1].shape);
      const int64_t last = in[0].shape.back(), step = out[1].shape.back() == 1 ? 0 : 1;
      parallelFor(n / last, last * 2, [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
          const T* m = mask + mi(r * last);
          for (int64_t j = 0, i = r * last; j < last; ++j, ++i)
            nn::put(y + i, double(C(x[i]) * C(m[j * step])), req[0]);
        }
      });
    }
  });
}

// d(data) = og * mask (broadcast for variational dropout): composed, so it is differentiable again.
std::vector<NodeEntry> dropoutGradient(const NodePtr& n, const std::vector<NodeEntry>& og) {
  const bool variational = !n->attrs.get<DropoutParam>().axes.empty();
  return {makeEntry(variational ? "broadcast_mul" : "elemwise_mul", {og[0], NodeEntry{n, 1}})};
}

IST_REGISTER_OP(Dropout)
    .alias("_npx_dropout")
    .describe("Applies dropout to the input: during training each element is zeroed with probability p and "
              "the rest are scaled by 1 / (1 - p); in inference the input passes unchanged unless mode is "
              "'always'. `axes` shares one draw along the given axes (variational dropout).")
    .inputs({"data"})
    .params<DropoutParam>()
    .numOutputs([](const NodeAttrs&) { return 2; })
    .numVisibleOutputs([](const NodeAttrs&) { return 1; })
    .inferShape(dropoutShape)
    .inferType(dropoutType)
    .inplace(0, 0)
    .setRandom()
    .compute(Context::kCPU, dropoutCompute)
    .gradient(dropoutGradient);

}  // namespace
}  // namespace ist
