// The reshape family (Reshape, Flatten, expand_dims, squeeze, reshape_like): one contiguous copy,
// or nothing when the output is the input's memory, as reshape.cc's sameDataCompute; and
// shape_array / size_array. Device-generic (GPU kernels and their CPU twins, attached in matrix.cu).
#pragma once
#include <vector>
#include "op/registry.h"
#include "ops/matrix/strided_copy_device.h"

namespace ist {
namespace mat {

template <typename Dev>
void sameDataComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                        const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  copyContiguousDev<Dev>(ctx, in[0].dtype, in[0].size(), out[0].dptr, in[0].dptr, req[0],
                         attrs.op ? attrs.op->name.c_str() : "reshape");
}

// shape_array / size_array: the input's shape (or size) as int64, written from the host values
// (one launch per dim; the input's data is never read).
struct SetInt64Map {
  ISTX static void Map(int64_t, int64_t* o, int64_t v, bool add) { *o = (add ? *o : 0) + v; }
};

// Shared by reshape.cc and the device twins: set(o, v, add) writes (or adds) v into o.
template <typename Set>
void shapeArrayWith(const NodeAttrs& attrs, const std::vector<TBlob>& in, const std::vector<OpReq>& req,
                    const std::vector<TBlob>& out, const Set& set) {
  if (req[0] == OpReq::kNull) return;
  const bool size = attrs.op->name == "size_array";
  int64_t* o = out[0].data<int64_t>();
  const Shape& s = in[0].shape;
  const bool add = req[0] == OpReq::kAddTo;
  if (size) {
    set(o, shapeSize(s), add);
    return;
  }
  for (size_t i = 0; i < s.size(); ++i) set(o + i, s[i], add);
}

template <typename Dev>
void shapeArrayComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                          const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  shapeArrayWith(attrs, in, req, out, [&](int64_t* o, int64_t v, bool add) {
    DeviceKernel<SetInt64Map, Dev>::launch(ctx.run.stream, 1, 1, o, v, add);
  });
}

}  // namespace mat
}  // namespace ist
