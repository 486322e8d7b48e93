// SliceChannel (split): params (shared with split.cc) and the device-generic compute (GPU kernel
// and its CPU twin, attached in matrix.cu).
#pragma once
#include <climits>
#include <vector>
#include "base/error.h"
#include "op/registry.h"
#include "ops/matrix/strided_copy.h"
#include "ops/matrix/strided_copy_device.h"

namespace ist {
namespace mat {

struct SliceChannelParam {
  int num_outputs = 1;
  int axis = 1;
  bool squeeze_axis = false;
  static void declare(ParamDecl<SliceChannelParam>& d) {
    d.field("num_outputs", &SliceChannelParam::num_outputs)
        .range(1, INT_MAX)
        .doc("Number of splits. Note that this should evenly divide the length of the `axis`.");
    d.field("axis", &SliceChannelParam::axis).setDefault(1).doc("Axis along which to split.");
    d.field("squeeze_axis", &SliceChannelParam::squeeze_axis)
        .setDefault(false)
        .doc("If true, removes the split axis (of length 1) from the shapes of the outputs; only "
             "allowed when input.shape[axis] == num_outputs.");
  }
};

template <typename Dev>
void splitComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<SliceChannelParam>();
  const Shape& s = in[0].shape;
  const int axis = normalizeAxis(p.axis, static_cast<int>(s.size()), "SliceChannel", "axis");
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  for (size_t i = axis + 1; i < s.size(); ++i) inner *= s[i];
  const int64_t rows = s[axis] / p.num_outputs;
  for (size_t k = 0; k < out.size(); ++k) {
    const char* src = byteAt(static_cast<const void*>(in[0].dptr), static_cast<int64_t>(k) * rows * inner,
                             in[0].dtype);
    copyStridedDev<Dev>(ctx, in[0].dtype, Shape{outer, rows * inner}, out[k].dptr, {rows * inner, 1}, src,
                        {s[axis] * inner, 1}, req[k], "SliceChannel");
  }
}

}  // namespace mat
}  // namespace ist
