// Index reductions: argmax, argmin (one axis or the flattened array) and argmax_channel.
//
// As in MXNet 1.x the indices are returned in the input's dtype, and the first occurrence of
// the extreme value wins; NaN counts as the extreme (NumPy's rule). Like the value
// reductions, big searches with few outputs are split into fixed blocks whose partial
// (value, index) pairs are combined in order, so any thread count gives the same answer.
#include <vector>
#include "ops/reduce/reduce_axes.h"
#include "ops/reduce/reduce_kernel.h"
#include "ops/reduce/reduce_params.h"

namespace ist {
namespace {

using reduce::CT;

template <bool kMax> struct Better {
  template <typename V> static bool test(V x, V best) {
    if (x != x) return best == best;  // NaN beats any number, not an earlier NaN
    return kMax ? x > best : x < best;
  }
};

// Searches x viewed as [outer, R, inner] along R; writes outer*inner indices.
template <bool kMax, typename T>
void searchAxis(const T* x, int64_t outer, int64_t R, int64_t inner, T* out, OpReq req) {
  using V = CT<T>;
  using B = Better<kMax>;
  const int64_t numOut = outer * inner;
  const int64_t blockRows = std::max<int64_t>(1, reduce::kBlockElems / std::min(inner, reduce::kInnerChunk));
  const bool split = numOut < reduce::kMinTasks && outer * R * inner >= 2 * reduce::kBlockElems;
  const int64_t nb = split ? (R + blockRows - 1) / blockRows : 1;
  const int64_t rowsPer = split ? blockRows : R;
  // Partial results per (output, block): best value and its index along R.
  std::vector<V> bestV(static_cast<size_t>(numOut * nb));
  std::vector<int64_t> bestI(static_cast<size_t>(numOut * nb));
  const int64_t nI = (inner + reduce::kInnerChunk - 1) / reduce::kInnerChunk;
  parallelFor(outer * nI * nb, std::min(inner, reduce::kInnerChunk) * rowsPer, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      int64_t b = k % nb, ic = (k / nb) % nI, o = k / (nb * nI);
      int64_t i0 = ic * reduce::kInnerChunk, len = std::min(reduce::kInnerChunk, inner - i0);
      int64_t r0 = b * rowsPer, r1 = std::min(R, r0 + rowsPer);
      for (int64_t i = 0; i < len; ++i) {
        const T* p = x + o * R * inner + i0 + i;
        V best = static_cast<V>(p[r0 * inner]);
        int64_t at = r0;
        for (int64_t r = r0 + 1; r < r1; ++r) {
          V v = static_cast<V>(p[r * inner]);
          if (B::test(v, best)) { best = v; at = r; }
        }
        size_t slot = static_cast<size_t>((o * inner + i0 + i) * nb + b);
        bestV[slot] = best;
        bestI[slot] = at;
      }
    }
  });
  parallelFor(numOut, nb, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      V best = bestV[o * nb];
      int64_t at = bestI[o * nb];
      for (int64_t b = 1; b < nb; ++b)
        if (B::test(bestV[o * nb + b], best)) { best = bestV[o * nb + b]; at = bestI[o * nb + b]; }
      reduce::storeOut(out, o, static_cast<CT<T>>(at), req);
    }
  });
}

Shape searchShape(const Shape& in, const std::optional<int>& axis, bool keepdims, const char* op) {
  if (!axis || in.size() <= 1) {
    if (axis) checkReduceAxis(*axis, in, op);
    return keepdims ? Shape(in.size(), 1) : Shape{1};
  }
  int a = checkReduceAxis(*axis, in, op);
  Shape out = in;
  if (keepdims) out[a] = 1;
  else out.erase(out.begin() + a);
  return out;
}


template <bool kMax>
void searchCompute(const NodeAttrs& attrs, const std::optional<int>& axis, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const char* op = attrs.op ? attrs.op->name.c_str() : "argmax";
  if (req[0] == OpReq::kNull) return;
  const TBlob& x = in[0];
  checkSearchable(x.shape, axis, op);
  int64_t outer, R, inner;
  searchGeometry(x.shape, x.size(), axis, op, &outer, &R, &inner);
  if (outer * inner == 0) return;
  IST_TYPE_SWITCH_NUMERIC(x.dtype, DT, op, searchAxis<kMax>(x.data<DT>(), outer, R, inner, out[0].data<DT>(), req[0]));
}

void searchShapeFn(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const char* op = attrs.op ? attrs.op->name.c_str() : "argmax";
  const auto& p = attrs.get<ReduceAxisParam>();
  if (!shapeIsKnown(in[0])) return;
  checkSearchable(in[0], p.axis, op);
  out[0] = searchShape(in[0], p.axis, p.keepdims, op);
}

template <bool kMax>
void searchParamCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  searchCompute<kMax>(attrs, attrs.get<ReduceAxisParam>().axis, in, req, out);
}

IST_REGISTER_OP(argmax)
    .describe("Returns the indices of the maximum values along an axis (the first occurrence wins), "
              "in the input's dtype.\n\nExample: argmax([[0,1,2],[3,4,5]], axis=0) = [1, 1, 1]")
    .inputs({"data"})
    .params<ReduceAxisParam>()
    .inferShape(searchShapeFn)
    .inferType(inferSameType)
    .compute(Context::kCPU, searchParamCompute<true>);

IST_REGISTER_OP(argmin)
    .describe("Returns the indices of the minimum values along an axis (the first occurrence wins), "
              "in the input's dtype.\n\nExample: argmin([[0,1,2],[3,4,5]], axis=1) = [0, 0]")
    .inputs({"data"})
    .params<ReduceAxisParam>()
    .inferShape(searchShapeFn)
    .inferType(inferSameType)
    .compute(Context::kCPU, searchParamCompute<false>);

// Legacy MXNet op: argmax along axis 1 without keepdims.
IST_REGISTER_OP(argmax_channel)
    .describe("Returns the argmax indices of each channel (along axis 1).\n\n"
              "Example: argmax_channel([[0,1,2],[3,4,5]]) = [2, 2]")
    .inputs({"data"})
    .inferShape([](const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
      if (!shapeIsKnown(in[0])) return;
      checkSearchable(in[0], 1, "argmax_channel");
      out[0] = searchShape(in[0], 1, false, "argmax_channel");
    })
    .inferType(inferSameType)
    .compute(Context::kCPU, [](const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                               const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
      searchCompute<true>(attrs, 1, in, req, out);
    });

}  // namespace
}  // namespace ist
