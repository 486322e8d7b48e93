// _split_v2 (MXNet's split_v2 operator): params, the split points and the device-generic compute
// (each output one strided copy of its slab), shared by split_v2.cc and split_v2.cu.
#pragma once
#include <climits>
#include <string>
#include <vector>
#include "base/error.h"
#include "op/params.h"
#include "op/registry.h"
#include "ops/matrix/strided_copy.h"
#include "ops/matrix/strided_copy_device.h"

namespace ist {
namespace mat {

struct SplitV2Param {
  Shape indices;
  int axis = 1;
  bool squeeze_axis = false;
  int sections = 0;
  static void declare(ParamDecl<SplitV2Param>& d) {
    d.field("indices", &SplitV2Param::indices)
        .doc("Indices of splits. The elements should denote the boundaries of at which split is "
             "performed along the `axis`: output i covers [indices[i], indices[i+1]) and the last "
             "output runs to the end (indices[0] must be 0; ignored when sections > 0).");
    d.field("axis", &SplitV2Param::axis).setDefault(1).doc("Axis along which to split.");
    d.field("squeeze_axis", &SplitV2Param::squeeze_axis)
        .setDefault(false)
        .doc("If true, Removes the axis with length 1 from the shapes of the output arrays; only "
             "allowed when every output has length 1 along `axis`.");
    d.field("sections", &SplitV2Param::sections)
        .setDefault(0)
        .range(0, INT_MAX)
        .doc("Number of sections if equally splitted. Default to 0 which means split by indices.");
  }
};

constexpr const char* kSplitV2 = "_split_v2";

inline int splitV2NumOutputs(const SplitV2Param& p) {
  if (p.sections > 0) return p.sections;
  IST_CHECK(!p.indices.empty(), kSplitV2, "indices",
            "indices=() with sections=0 gives no outputs; give split points (starting with 0) or sections > 0");
  return static_cast<int>(p.indices.size());
}

// The normalized axis and the boundaries b[0] = 0 < b[1] < ... < b[k] = length of the axis.
inline int splitV2Bounds(const Shape& s, const SplitV2Param& p, std::vector<int64_t>& b) {
  IST_CHECK(!s.empty(), kSplitV2, "data", "cannot split a 0-d array (shape ())");
  const int axis = normalizeAxis(p.axis, static_cast<int>(s.size()), kSplitV2, "axis");
  const int64_t len = s[axis];
  b.clear();
  if (p.sections > 0) {
    IST_CHECK(len % p.sections == 0 && len >= p.sections, kSplitV2, "sections",
              "sections=" << p.sections << " does not split axis " << axis << " of length " << len
                          << " (shape " << shapeString(s) << ") into equal non-empty parts");
    for (int i = 0; i <= p.sections; ++i) b.push_back(len / p.sections * i);
  } else {
    IST_CHECK(!p.indices.empty() && p.indices[0] == 0, kSplitV2, "indices",
              "indices " << shapeString(p.indices) << " must start with 0 (the first output starts at the beginning of axis " << axis << ")");
    for (size_t i = 0; i < p.indices.size(); ++i) b.push_back(p.indices[i]);
    b.push_back(len);
    for (size_t i = 0; i + 1 < b.size(); ++i)
      IST_CHECK(b[i] < b[i + 1], kSplitV2, "indices",
                "indices " << shapeString(p.indices) << " do not split axis " << axis << " of length "
                           << len << " (shape " << shapeString(s) << "): output " << i << " would be ["
                           << b[i] << ", " << b[i + 1] << ")");
  }
  if (p.squeeze_axis)
    for (size_t i = 0; i + 1 < b.size(); ++i)
      IST_CHECK(b[i + 1] - b[i] == 1, kSplitV2, "squeeze_axis",
                "squeeze_axis needs every output of length 1 along axis " << axis << ", output " << i
                    << " has length " << b[i + 1] - b[i] << " (shape " << shapeString(s) << ")");
  return axis;
}

template <typename Copy>
void splitV2With(const Copy& copy, const NodeAttrs& attrs, const std::vector<TBlob>& in,
                 const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const auto& p = attrs.get<SplitV2Param>();
  const Shape& s = in[0].shape;
  std::vector<int64_t> b;
  const int axis = splitV2Bounds(s, p, b);
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  for (size_t i = axis + 1; i < s.size(); ++i) inner *= s[i];
  for (size_t k = 0; k < out.size(); ++k) {
    const int64_t rows = b[k + 1] - b[k];
    if (req[k] == OpReq::kNull || outer * rows * inner == 0) continue;
    const char* src = byteAt(static_cast<const void*>(in[0].dptr), b[k] * inner, in[0].dtype);
    copy(in[0].dtype, Shape{outer, rows * inner}, out[k].dptr, {rows * inner, 1}, src, {s[axis] * inner, 1},
         req[k], kSplitV2);
  }
}

template <typename Dev>
void splitV2Dev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  splitV2With(DevCopy<Dev>{ctx}, attrs, in, req, out);
}

}  // namespace mat
}  // namespace ist
