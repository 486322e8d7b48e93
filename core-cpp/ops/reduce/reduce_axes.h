// Parameters and shape rules shared by the reductions (sum, mean, max, norm, argmax, ...)
// and their inverses (broadcast_to, broadcast_axis, broadcast_like), with MXNet 1.x semantics.
#pragma once
#include <optional>
#include <vector>
#include "op/params.h"
#include "op/registry.h"

namespace ist {

// sum, mean, prod, max, min, nansum, nanprod: MXNet's ReduceAxesParam.
struct ReduceAxesParam {
  std::optional<Shape> axis;
  bool keepdims = false;
  bool exclude = false;
  static void declare(ParamDecl<ReduceAxesParam>& d);
};

// norm: MXNet's NormParam.
struct NormParam {
  int ord = 2;
  std::optional<Shape> axis;
  std::string out_dtype;
  bool keepdims = false;
  static void declare(ParamDecl<NormParam>& d);
};

// argmax, argmin: MXNet's ReduceAxisParam (one axis or None for the flattened array).
struct ReduceAxisParam {
  std::optional<int> axis;
  bool keepdims = false;
  static void declare(ParamDecl<ReduceAxisParam>& d);
};

// Which input dims a reduction folds: validates `axis` (range, duplicates) against the input
// shape and applies `exclude`. None or () means every axis, as in MXNet.
std::vector<bool> reduceMask(const Shape& in, const std::optional<Shape>& axis, bool exclude,
                             const char* op);
// MXNet 1.x output shape: reduced dims become 1 with keepdims, else disappear; reducing every
// dim without keepdims gives (1,).
Shape reducedShape(const Shape& in, const std::vector<bool>& mask, bool keepdims);
// Checks one argmax-style axis and returns it normalised.
int checkReduceAxis(int64_t axis, const Shape& in, const char* op);

// Shape/type inference for the ReduceAxesParam ops. `needsNonEmpty` (max, min) rejects
// reducing an empty set into a non-empty output: those reductions have no identity.
void inferReduceAxesShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out,
                          bool needsNonEmpty);

}  // namespace ist
