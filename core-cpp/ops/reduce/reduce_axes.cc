// Axis validation and output-shape rules of the reductions (MXNet's ReduceAxesShapeImpl).
#include "ops/reduce/reduce_axes.h"
#include <algorithm>

namespace ist {

void ReduceAxesParam::declare(ParamDecl<ReduceAxesParam>& d) {
  d.field("axis", &ReduceAxesParam::axis)
      .setDefault(std::nullopt)
      .doc("The axis or axes along which to reduce. None or () reduces over all elements into an "
           "array of shape (1,). Negative values count from the last axis.");
  d.field("keepdims", &ReduceAxesParam::keepdims)
      .setDefault(false)
      .doc("If true, the reduced axes stay in the result as dimensions of size one.");
  d.field("exclude", &ReduceAxesParam::exclude)
      .setDefault(false)
      .doc("Whether to reduce over the axes that are NOT in axis instead.");
}

void NormParam::declare(ParamDecl<NormParam>& d) {
  d.field("ord", &NormParam::ord).setDefault(2).doc("Order of the norm: 1 or 2.");
  d.field("axis", &NormParam::axis)
      .setDefault(std::nullopt)
      .doc("The axis or axes along which to compute the norm; None or () means all elements.");
  d.field("out_dtype", &NormParam::out_dtype)
      .setDefault("None")
      .values({"None", "float16", "bfloat16", "float32", "float64", "int64", "int32", "int8"})
      .doc("The data type of the output (default: the input's).");
  d.field("keepdims", &NormParam::keepdims)
      .setDefault(false)
      .doc("If true, the reduced axes stay in the result as dimensions of size one.");
}

void ReduceAxisParam::declare(ParamDecl<ReduceAxisParam>& d) {
  d.field("axis", &ReduceAxisParam::axis)
      .setDefault(std::nullopt)
      .doc("The axis along which to search; None searches the flattened array. Negative values "
           "count from the last axis.");
  d.field("keepdims", &ReduceAxisParam::keepdims)
      .setDefault(false)
      .doc("If true, the reduced axis stays in the result as a dimension of size one.");
}

namespace {
std::string axesString(const Shape& axes) {
  std::string r = "(";
  for (size_t i = 0; i < axes.size(); ++i) r += (i ? "," : "") + std::to_string(axes[i]);
  return r + (axes.size() == 1 ? ",)" : ")");
}
}  // namespace

int checkReduceAxis(int64_t axis, const Shape& in, const char* op) {
  const int64_t ndim = static_cast<int64_t>(in.size());
  IST_CHECK(axis >= -ndim && axis < ndim, op, "axis",
            "axis " << axis << " is out of range for input of shape " << shapeString(in));
  return static_cast<int>(axis < 0 ? axis + ndim : axis);
}

std::vector<bool> reduceMask(const Shape& in, const std::optional<Shape>& axis, bool exclude,
                             const char* op) {
  const size_t ndim = in.size();
  if (!axis || axis->empty()) return std::vector<bool>(ndim, true);  // MXNet: exclude is ignored here
  std::vector<bool> listed(ndim, false);
  for (int64_t a : *axis) {
    int n = checkReduceAxis(a, in, op);
    IST_CHECK(!listed[n], op, "axis",
              "duplicate axis " << a << " in " << axesString(*axis) << " for input of shape "
                                << shapeString(in));
    listed[n] = true;
  }
  if (exclude) listed.flip();
  return listed;
}

Shape reducedShape(const Shape& in, const std::vector<bool>& mask, bool keepdims) {
  Shape out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!mask[i]) out.push_back(in[i]);
    else if (keepdims) out.push_back(1);
  }
  if (!keepdims && out.empty()) out.push_back(1);
  return out;
}

void inferReduceAxesShape(const NodeAttrs& attrs, std::vector<Shape>& in, std::vector<Shape>& out,
                          bool needsNonEmpty) {
  const char* op = attrs.op ? attrs.op->name.c_str() : "reduce";
  const auto& p = attrs.get<ReduceAxesParam>();
  if (!shapeIsKnown(in[0])) return;
  std::vector<bool> mask = reduceMask(in[0], p.axis, p.exclude, op);
  Shape o = reducedShape(in[0], mask, p.keepdims);
  if (needsNonEmpty) {
    IST_CHECK(shapeSize(in[0]) > 0 || shapeSize(o) == 0, op, "data",
              "cannot reduce an empty array of shape " << shapeString(in[0])
                                                       << " (this reduction has no identity value)");
  }
  out[0] = o;
}

}  // namespace ist
