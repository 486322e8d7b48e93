// reverse (flip): params (shared with reverse.cc) and the device-generic compute (GPU kernel and
// its CPU twin, attached in matrix.cu).
#pragma once
#include <vector>
#include "base/error.h"
#include "op/registry.h"
#include "ops/matrix/strided_copy.h"
#include "ops/matrix/strided_copy_device.h"

namespace ist {
namespace mat {

struct ReverseParam {
  Shape axis;
  static void declare(ParamDecl<ReverseParam>& d) {
    d.field("axis", &ReverseParam::axis).doc("The axis (or axes) along which to reverse elements.");
  }
};

inline std::vector<bool> reversedAxes(const Shape& s, const Shape& axes) {
  const int nd = static_cast<int>(s.size());
  std::vector<bool> rev(nd, false);
  for (int64_t a : axes) {
    const int ax = normalizeAxis(a, nd, "reverse", "axis");
    IST_CHECK(!rev[ax], "reverse", "axis",
              "axis " << ax << " is listed twice in " << shapeString(axes) << " (shape "
                      << shapeString(s) << ")");
    rev[ax] = true;
  }
  return rev;
}

// x read backwards along `axes`: the address of its first element read, and the source strides.
inline const char* reverseSource(const TBlob& x, const Shape& axes, std::vector<int64_t>* src) {
  const Shape& s = x.shape;
  const std::vector<bool> rev = reversedAxes(s, axes);
  *src = contiguousStrides(s);
  int64_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!rev[i]) continue;
    start += (s[i] - 1) * (*src)[i];
    (*src)[i] = -(*src)[i];
  }
  return byteAt(static_cast<const void*>(x.dptr), start, x.dtype);
}

template <typename Dev>
void reverseComputeDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                       const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const Shape& s = in[0].shape;
  if (shapeSize(s) == 0) return;
  std::vector<int64_t> src;
  const char* base = reverseSource(in[0], attrs.get<ReverseParam>().axis, &src);
  copyStridedDev<Dev>(ctx, in[0].dtype, s, out[0].dptr, contiguousStrides(s), base, src, req[0], "reverse");
}

}  // namespace mat
}  // namespace ist
