// Parameter structs (and their small helpers) of moments, _broadcast_reduced, cumsum and
// _backward_cumsum, shared by the CPU computes (.cc) and the device computes (reduce_device.h).
#pragma once
#include <optional>
#include <string>
#include <vector>
#include "ops/reduce/reduce_axes.h"

namespace ist {

struct MomentsParam {
  std::optional<Shape> axes;
  bool keepdims = false;
  static void declare(ParamDecl<MomentsParam>& d) {
    d.field("axes", &MomentsParam::axes).setDefault(std::nullopt)
        .doc("Array of ints. Axes along which to compute the moments (None: all).");
    d.field("keepdims", &MomentsParam::keepdims).setDefault(false)
        .doc("Produce moments with the same dimensionality as the input.");
  }
};

// reduceMask, with errors naming moments' `axes` parameter.
inline std::vector<bool> momentsMask(const Shape& in, const std::optional<Shape>& axes) {
  if (axes) {
    const int64_t nd = static_cast<int64_t>(in.size());
    std::vector<bool> seen(in.size(), false);
    for (int64_t a : *axes) {
      IST_CHECK(a >= -nd && a < nd, "moments", "axes",
                "axis " << a << " is out of range for input of shape " << shapeString(in));
      const size_t k = static_cast<size_t>(a < 0 ? a + nd : a);
      IST_CHECK(!seen[k], "moments", "axes", "duplicate axis " << a << " for input of shape " << shapeString(in));
      seen[k] = true;
    }
  }
  return reduceMask(in, axes, false, "moments");
}

struct BroadcastReducedParam {
  std::optional<Shape> axis;
  bool keepdims = false;
  bool exclude = false;
  bool normalize = false;
  static void declare(ParamDecl<BroadcastReducedParam>& d) {
    d.field("axis", &BroadcastReducedParam::axis).setDefault(std::nullopt)
        .doc("The axes the forward reduction folded (None: all).");
    d.field("keepdims", &BroadcastReducedParam::keepdims).setDefault(false)
        .doc("Whether the forward reduction kept the folded axes as size 1.");
    d.field("exclude", &BroadcastReducedParam::exclude).setDefault(false)
        .doc("Whether the forward reduction folded the axes NOT in axis.");
    d.field("normalize", &BroadcastReducedParam::normalize).setDefault(false)
        .doc("Divide by the number of folded elements (the gradient of mean).");
  }
};

struct CumsumParam {
  std::optional<int> axis;
  std::string dtype;
  static void declare(ParamDecl<CumsumParam>& d) {
    d.field("axis", &CumsumParam::axis).setDefault(std::nullopt)
        .doc("Axis along which the cumulative sum is computed. The default (None) is to compute "
             "the cumsum over the flattened array.");
    d.field("dtype", &CumsumParam::dtype).setDefault("None")
        .values({"None", "float16", "bfloat16", "float32", "float64", "uint8", "int8", "int16", "uint16",
                 "int32", "uint32", "int64", "uint64"})
        .doc("Type of the returned array and of the accumulator. The default (None) is the input's "
             "dtype (int64 for bool).");
  }
};

// The scanned array viewed as [outer, R, inner], R along the axis (the whole array for None).
struct ScanView {
  int64_t outer = 1, R = 1, inner = 1;
};
inline ScanView scanView(const Shape& s, const std::optional<int>& axis, const char* op) {
  ScanView v;
  if (!axis) {
    v.R = shapeSize(s);
    return v;
  }
  const int a = checkReduceAxis(*axis, s, op);
  for (int i = 0; i < a; ++i) v.outer *= s[i];
  v.R = s[a];
  for (size_t i = a + 1; i < s.size(); ++i) v.inner *= s[i];
  return v;
}

// _backward_cumsum(ograd, data): the suffix sums of ograd along axis, in data's shape and dtype.
struct BackwardCumsumParam {
  std::optional<int> axis;
  static void declare(ParamDecl<BackwardCumsumParam>& d) {
    d.field("axis", &BackwardCumsumParam::axis).setDefault(std::nullopt)
        .doc("The forward cumsum's axis (None: the flattened array).");
  }
};

// ---- host-side plans shared by the CPU computes and the device twins (reduce_device.h) ----

// x's shape with the masked (reduced) dims set to 1.
inline Shape keptShape(const Shape& x, const std::vector<bool>& mask) {
  Shape kept = x;
  for (size_t i = 0; i < kept.size(); ++i)
    if (mask[i]) kept[i] = 1;
  return kept;
}

// _broadcast_reduced: like's shape with the masked dims set to 1, and how many elements each
// output folded (the product of the masked dims).
inline Shape foldedShape(const Shape& l, const std::vector<bool>& mask, int64_t* folded) {
  Shape kept = l;
  *folded = 1;
  for (size_t i = 0; i < l.size(); ++i) {
    if (!mask[i]) continue;
    *folded *= l[i];
    kept[i] = 1;
  }
  return kept;
}

// _reduce_sum_like: the dims of x (shape xs) along which `like` (shape l) was broadcast: leading
// dims like lacks, and its size-1 dims.
inline std::vector<bool> sumLikeMask(const Shape& xs, const Shape& l) {
  const size_t lead = xs.size() - l.size();
  std::vector<bool> mask(xs.size());
  for (size_t i = 0; i < mask.size(); ++i) mask[i] = i < lead || l[i - lead] == 1;
  return mask;
}

// argmax / argmin: the searched axis must not be empty (unless the output is), nor the whole array.
inline void checkSearchable(const Shape& in, const std::optional<int>& axis, const char* op) {
  if (axis && !in.empty()) {
    int a = checkReduceAxis(*axis, in, op);
    int64_t others = 1;
    for (size_t i = 0; i < in.size(); ++i) others *= static_cast<int>(i) == a ? 1 : in[i];
    IST_CHECK(in[a] > 0 || others == 0, op, "axis",
              "cannot search along axis " << *axis << " of size 0 (input shape " << shapeString(in) << ")");
  } else {
    IST_CHECK(shapeSize(in) > 0, op, "data", "cannot search an empty array of shape " << shapeString(in));
  }
}

// The searched array as (outer, R, inner) around the axis (the whole array as R without one).
inline void searchGeometry(const Shape& s, int64_t size, const std::optional<int>& axis, const char* op,
                           int64_t* outer, int64_t* R, int64_t* inner) {
  *outer = 1;
  *R = size;
  *inner = 1;
  if (axis && !s.empty()) {
    const int a = checkReduceAxis(*axis, s, op);
    for (int i = 0; i < a; ++i) *outer *= s[i];
    *R = s[a];
    for (size_t i = a + 1; i < s.size(); ++i) *inner *= s[i];
  }
}

}  // namespace ist
