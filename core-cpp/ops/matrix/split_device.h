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

// Shared by split.cc (copy = HostCopy) and the device twins (copy = DevCopy<Dev>).
template <typename Copy>
void splitComputeWith(const Copy& copy, const NodeAttrs& attrs, const std::vector<TBlob>& in,
                      const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<SliceChannelParam>();
  const Shape& s = in[0].shape;
  int64_t outer, inner;
  const int axis = splitAtAxis(s, p.axis, "SliceChannel", "axis", outer, inner);
  const int64_t rows = s[axis] / p.num_outputs;
  for (size_t k = 0; k < out.size(); ++k) {
    const char* src = byteAt(static_cast<const void*>(in[0].dptr), static_cast<int64_t>(k) * rows * inner,
                             in[0].dtype);
    copy(in[0].dtype, Shape{outer, rows * inner}, out[k].dptr, {rows * inner, 1}, src,
         {s[axis] * inner, 1}, req[k], "SliceChannel");
  }
}

template <typename Dev>
void splitComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                     const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  splitComputeWith(DevCopy<Dev>{ctx}, attrs, in, req, out);
}

}  // namespace mat
}  // namespace ist
