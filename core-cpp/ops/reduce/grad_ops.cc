// Hidden ops the gradients are built from: _reduce_sum_like (sums a broadcast result back to an
// input's shape; the adjoint of NumPy broadcasting) and _broadcast_reduced (spreads a
// reduction's output back over its input's shape; the adjoint of sum, or of mean with
// normalize). Each is the other's transpose, so they differentiate into each other.
#include <vector>
#include "ops/reduce/broadcast_kernel.h"
#include "ops/reduce/reduce_axes.h"
#include "ops/reduce/reduce_params.h"
#include "ops/reduce/reduce_kernel.h"

namespace ist {
namespace {

// --- _reduce_sum_like(data, like): data summed over the axes where like has size 1 or that
// like lacks (like's shape broadcasts to data's). ---

void sumLikeShape(const NodeAttrs&, std::vector<Shape>& in, std::vector<Shape>& out) {
  const Shape &d = in[0], &l = in[1];
  if (!shapeIsKnown(l)) return;
  if (shapeIsKnown(d)) {
    bool ok = l.size() <= d.size();
    for (size_t i = 0; ok && i < l.size(); ++i) {
      const int64_t dd = d[d.size() - l.size() + i];
      ok = l[i] == dd || l[i] == 1;
    }
    IST_CHECK(ok, "_reduce_sum_like", "like",
              "shape " << shapeString(l) << " does not broadcast to data's shape " << shapeString(d));
  }
  out[0] = l;
}

void dataType(const NodeAttrs& attrs, std::vector<int>& in, std::vector<int>& out) {
  std::vector<int> i1{in[0]};
  inferSameType(attrs, i1, out);
  in[0] = i1[0];
}

void sumLikeCompute(const NodeAttrs&, const OpContext&, const std::vector<TBlob>& in,
                    const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull) return;
  const TBlob& x = in[0];
  const Shape& l = in[1].shape;
  const std::vector<bool> mask = sumLikeMask(x.shape, l);
  IST_TYPE_SWITCH_NUMERIC(x.dtype, DT, "_reduce_sum_like", {
    reduce::reduceAxes<reduce::SumR<DT>>(x.data<DT>(), x.shape, mask, out[0].data<DT>(), req[0]);
  });
}

IST_REGISTER_OP(_reduce_sum_like)
    .describe("Sums data over the axes along which `like` was broadcast to data's shape (leading "
              "axes like lacks, and its size-1 axes); the result has like's shape. Used by the "
              "gradients of broadcasting ops.")
    .inputs({"data", "like"})
    .inferShape(sumLikeShape)
    .inferType(dataType)
    .compute(Context::kCPU, sumLikeCompute);

// --- _broadcast_reduced(data, like): data (a reduction of like over axis/exclude, with or
// without keepdims) repeated over the reduced axes to like's shape; normalize divides by the
// number of elements each output folded (the gradient of mean). ---


std::vector<bool> reducedMask(const NodeAttrs& attrs, const Shape& like) {
  const auto& p = attrs.get<BroadcastReducedParam>();
  return reduceMask(like, p.axis, p.exclude, "_broadcast_reduced");
}

void broadcastReducedShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out) {
  const Shape& l = in[1];
  if (!shapeIsKnown(l)) return;
  const Shape expect = reducedShape(l, reducedMask(attrs, l), attrs.get<BroadcastReducedParam>().keepdims);
  if (shapeIsKnown(in[0])) {
    IST_CHECK(in[0] == expect, "_broadcast_reduced", "data",
              "shape " << shapeString(in[0]) << " is not the reduced shape " << shapeString(expect)
                       << " of like " << shapeString(l));
  }
  out[0] = l;
}

void broadcastReducedCompute(const NodeAttrs& attrs, const OpContext&, const std::vector<TBlob>& in,
                             const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  const Shape& l = in[1].shape;
  const std::vector<bool> mask = reducedMask(attrs, l);
  int64_t folded;
  const Shape kept = foldedShape(l, mask, &folded);
  const TBlob& x = in[0];
  IST_TYPE_SWITCH_NUMERIC(x.dtype, DT, "_broadcast_reduced", {
    const DT* src = x.data<DT>();
    std::vector<DT> scaled;
    if (attrs.get<BroadcastReducedParam>().normalize) {
      scaled.resize(static_cast<size_t>(x.size()));
      for (size_t i = 0; i < scaled.size(); ++i)
        scaled[i] = reduce::castOut<DT>(static_cast<double>(static_cast<reduce::CT<DT>>(src[i])) /
                                        static_cast<double>(folded));
      src = scaled.data();
    }
    reduce::broadcastInto(src, kept, l, out[0].data<DT>(), req[0]);
  });
}

IST_REGISTER_OP(_broadcast_reduced)
    .describe("Repeats data, the output of a reduction of `like` over `axis`, along the reduced "
              "axes back to like's shape (divided by the folded count with normalize). Used by the "
              "gradients of the reductions.")
    .inputs({"data", "like"})
    .params<BroadcastReducedParam>()
    .inferShape(broadcastReducedShape)
    .inferType(dataType)
    .compute(Context::kCPU, broadcastReducedCompute);

}  // namespace
}  // namespace ist
