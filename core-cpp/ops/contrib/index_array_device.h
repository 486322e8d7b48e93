// _contrib_index_array: its parameters and geometry (shared with index_array.cc) and the
// device-generic compute (the GPU kernel and its CPU twin, attached in index_array.cu).
#pragma once
#include <cstdint>
#include <optional>
#include <vector>
#include "base/error.h"
#include "base/shape.h"
#include "kernels/device.h"
#include "op/params.h"
#include "op/registry.h"

namespace ist {
namespace indexarray {

constexpr const char* kOp = "_contrib_index_array";
constexpr int kMaxAxes = 32;

struct IndexArrayParam {
  std::optional<Shape> axes;
  static void declare(ParamDecl<IndexArrayParam>& d) {
    d.field("axes", &IndexArrayParam::axes)
        .setDefault(std::optional<Shape>())
        .doc("The axes to include in the index array. Supports negative values.");
  }
};

// Per output column j: coordinate = (flat % upper[j]) / lower[j], upper/lower being the products
// of the dims from the column's axis (inclusive / exclusive) to the end. Passed by value to kernels.
struct IndexArrayGeometry {
  int m = 0;
  int64_t upper[kMaxAxes] = {};
  int64_t lower[kMaxAxes] = {};
};

// Axes wrap modulo ndim as in MXNet ((a % ndim + ndim) % ndim), so any integer names an axis.
inline IndexArrayGeometry indexArrayGeometry(const Shape& s, const IndexArrayParam& p) {
  const int ndim = static_cast<int>(s.size());
  std::vector<int> axes;
  if (p.axes.has_value()) {
    IST_CHECK(ndim > 0 || p.axes->empty(), kOp, "axes",
              "axes=" << shapeString(*p.axes) << " given but data is 0-d (shape " << shapeString(s) << ")");
    for (size_t i = 0; i < p.axes->size(); ++i) {
      const int64_t a = (*p.axes)[i];
      axes.push_back(static_cast<int>(((a % ndim) + ndim) % ndim));
    }
  } else {
    for (int i = 0; i < ndim; ++i) axes.push_back(i);
  }
  IST_CHECK(static_cast<int>(axes.size()) <= kMaxAxes, kOp, "axes",
            "at most " << kMaxAxes << " axes are supported, got " << axes.size() << " for data of shape "
                       << shapeString(s));
  std::vector<int64_t> prod(static_cast<size_t>(ndim) + 1, 1);
  for (int i = ndim - 1; i >= 0; --i) prod[i] = prod[i + 1] * s[i];
  IndexArrayGeometry g;
  g.m = static_cast<int>(axes.size());
  for (int j = 0; j < g.m; ++j) {
    g.upper[j] = prod[axes[j]];
    g.lower[j] = prod[axes[j] + 1];
  }
  return g;
}

inline Shape indexArrayShape(const Shape& s, const IndexArrayParam& p) {
  const IndexArrayGeometry g = indexArrayGeometry(s, p);
  Shape o = s;
  o.push_back(g.m);
  return o;
}

struct IndexArrayMap {
  ISTX static void Map(int64_t t, int64_t* out, IndexArrayGeometry g, bool add) {
    const int64_t i = t / g.m, j = t % g.m;
    const int64_t v = (i % g.upper[j]) / g.lower[j];
    out[t] = add ? out[t] + v : v;
  }
};

template <typename Dev>
void indexArrayDev(const NodeAttrs& attrs, const OpContext& ctx, const std::vector<TBlob>& in,
                   const std::vector<OpReq>& req, const std::vector<TBlob>& out) {
  const IndexArrayGeometry g = indexArrayGeometry(in[0].shape, attrs.get<IndexArrayParam>());
  if (req[0] == OpReq::kNull || out[0].size() == 0) return;
  IST_CHECK(out[0].dtype == DType::kInt64, kOp, "output", "the output must be int64");
  DeviceKernel<IndexArrayMap, Dev>::launch(ctx.run.stream, out[0].size(), 2, out[0].data<int64_t>(), g,
                                           req[0] == OpReq::kAddTo);
}

}  // namespace indexarray
}  // namespace ist
